// The build bar's command line as text. This only keeps the text and the flag toggles in step and
// splits the line into words for the engine; what a flag means, and go's errors for bad ones, are
// the engine's (core's flag parser), not this file's.

/** Splits a shell-like line into words: whitespace separates, '…' and "…" quote. */
export function words(line) {
  const out = [];
  let cur = null;
  let quote = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur = cur ?? "";
    } else if (/\s/.test(ch)) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else {
      cur = (cur ?? "") + ch;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

const BOOL_FLAGS = ["x", "n", "work", "a"];

/**
 * Classifies a command line: { kind: "build", argv, flags: { x, n, work, a, p }, rest } for
 * `go build …`; "clean-cache", "env", "du" for the cache commands; "other" for anything else
 * (the engine answers those, in go's or the shell's words).
 */
export function classify(line) {
  const argv = words(line);
  if (argv[0] === "go" && argv[1] === "build") {
    const flags = { x: false, n: false, work: false, a: false, p: null };
    const rest = [];
    const args = argv.slice(2);
    for (let i = 0; i < args.length; i++) {
      const w = args[i];
      const m = w.match(/^--?([a-z]+)(?:=(.*))?$/);
      if (m && BOOL_FLAGS.includes(m[1])) {
        flags[m[1]] = m[2] === undefined ? true : m[2] === "true" || m[2] === "1";
      } else if (m && m[1] === "p") {
        const v = m[2] !== undefined ? m[2] : args[++i];
        flags.p = v !== undefined && /^\d+$/.test(v) ? Number(v) : v ?? null;
      } else {
        rest.push(w);
      }
    }
    return { kind: "build", argv, flags, rest };
  }
  if (argv[0] === "go" && argv[1] === "clean" && argv.includes("-cache")) return { kind: "clean-cache", argv };
  if (argv[0] === "go" && argv[1] === "env") return { kind: "env", argv };
  if (argv[0] === "du") return { kind: "du", argv };
  return { kind: "other", argv };
}

/** The canonical `go build` line for a set of flags, keeping the other words (packages, unknown flags). */
export function formatBuild(flags, rest) {
  const out = ["go", "build"];
  if (flags.x) out.push("-x");
  if (flags.n) out.push("-n");
  if (flags.work) out.push("-work");
  if (flags.a) out.push("-a");
  if (flags.p !== null && flags.p !== undefined && flags.p !== "") out.push("-p", String(flags.p));
  const tail = rest && rest.length ? rest : ["."];
  for (const w of tail) out.push(/[\s'"]/.test(w) ? `'${w}'` : w);
  return out.join(" ");
}
