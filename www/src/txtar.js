// txtar, the go command's archive format (golang.org/x/tools/txtar): a comment, then files
// introduced by `-- NAME --` lines. The samples are stored as txtar; the page keeps a workspace
// as a sorted list of { path, text }.

const MARKER = /^-- (.+) --$/;

/** Parses a txtar archive into its comment and its files, in archive order. */
export function parse(text) {
  const lines = text.split("\n");
  let comment = [];
  const files = [];
  let cur = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    const m = line.match(MARKER);
    if (m) {
      cur = { path: m[1].trim(), lines: [] };
      files.push(cur);
    } else if (i === lines.length - 1 && line === "") {
      // the split's empty tail after the final newline
    } else if (cur) {
      cur.lines.push(lines[i]);
    } else {
      comment.push(lines[i]);
    }
  }
  return {
    comment: comment.length ? comment.join("\n") + "\n" : "",
    files: files.map((f) => ({ path: f.path, text: f.lines.length ? f.lines.join("\n") + "\n" : "" })),
  };
}

/** Formats files (any order) as a txtar archive with files sorted by path. */
export function format(comment, files) {
  let out = comment || "";
  if (out && !out.endsWith("\n")) out += "\n";
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    let t = f.text;
    if (t && !t.endsWith("\n")) t += "\n";
    out += `-- ${f.path} --\n${t}`;
  }
  return out;
}
