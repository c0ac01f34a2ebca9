#!/usr/bin/env node
// Writes www/samples/NAME.txtar, the page's sample modules, from the fixture modules they are
// taken from. The outputs are committed; rerun this after changing a fixture:
//   node scripts/gen-samples.mjs
// Sources: tests/fixtures/*/src, and the std-heavy `webjson` program of the oracle's modules
// (shared/oracle/src/webjson beside this workspace). A source that is missing is an error,
// never a silently dropped sample.
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join, dirname, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SAMPLES = [
  { name: "hello", dir: "tests/fixtures/hello/src", about: "The tutorial's first module: one main package that prints \"hi\"." },
  { name: "multi", dir: "tests/fixtures/multi/src", about: "Several packages, an internal package and an assembly function." },
  { name: "diamond", dir: "tests/fixtures/diamond/src", about: "A diamond: main imports a and b, which both import c." },
  { name: "embed", dir: "tests/fixtures/embed/src", about: "//go:embed of a file, a directory and a pattern (hidden files excluded)." },
  { name: "webjson", dir: process.env.WEBJSON_SRC || "../shared/oracle/src/webjson", about: "A small program that pulls in much of std: net/http, httptest, encoding/json." },
];

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

mkdirSync(join(ROOT, "www", "samples"), { recursive: true });
for (const s of SAMPLES) {
  const dir = join(ROOT, s.dir);
  if (!existsSync(dir)) throw new Error(`sample ${s.name}: source ${dir} does not exist`);
  const files = walk(dir).map((p) => relative(dir, p).split(sep).join("/")).sort();
  let out = `${s.about}\n`;
  for (const f of files) {
    let text = readFileSync(join(dir, f), "utf8");
    if (text.length && !text.endsWith("\n")) text += "\n"; // txtar stores lines
    out += `-- ${f} --\n${text}`;
  }
  writeFileSync(join(ROOT, "www", "samples", `${s.name}.txtar`), out);
  console.log(`www/samples/${s.name}.txtar: ${files.length} files`);
}
