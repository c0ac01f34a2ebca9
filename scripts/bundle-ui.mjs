#!/usr/bin/env node
// Bundles the page's UI code (www/src/main.js and what it imports from node_modules: CodeMirror,
// dagre) into www/gen/ui.js with esbuild, for Trunk to pick up. Trunk runs this as its
// pre_build hook (Trunk.toml); it reads only local files: node_modules was filled by `npm ci`.
// What the page imports with a dynamic `import()` (dagre: the graph tab) is split into
// www/gen/chunks/, which index.html copies to dist/chunks/ next to ui.js; the first load fetches
// none of them (checked below: ui.js may import no chunk statically).
// Usage: node scripts/bundle-ui.mjs [--dev]   (--dev: no minification, inline source map)
import { build } from "esbuild";
import { join, dirname } from "node:path";
import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev") || process.env.TRUNK_PROFILE === "debug";

rmSync(join(ROOT, "www", "gen", "chunks"), { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { ui: "www/src/main.js" },
  outdir: "www/gen",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
});
const outputs = result.metafile.outputs;
const entry = outputs["www/gen/ui.js"];
const eager = entry.imports.filter((i) => i.kind === "import-statement");
if (eager.length) {
  // A chunk ui.js imports statically is fetched before the first build: it would have to be
  // counted in the first load, and Trunk would not know of it. Fail instead.
  console.error(`bundle-ui: ui.js imports ${eager.map((i) => i.path).join(", ")} statically; only dynamic import() may split`);
  process.exit(1);
}
const lazy = Object.entries(outputs).filter(([p]) => p.startsWith("www/gen/chunks/"));
console.log(`bundle-ui: www/gen/ui.js ${entry.bytes} bytes${dev ? " (dev)" : ""}; loaded on first use: ${lazy.map(([p, o]) => `${p.slice(8)} ${o.bytes} bytes`).join(", ") || "nothing"}`);

// The lessons (lessons/NN-name.json) are static files the page fetches and the wasm parses:
// copied to www/gen/lessons/ with an index of their names, which index.html's copy-dir puts in
// dist/lessons/. Nothing about them is compiled into the wasm.
const lessonsOut = join(ROOT, "www", "gen", "lessons");
rmSync(lessonsOut, { recursive: true, force: true });
mkdirSync(lessonsOut, { recursive: true });
const ids = readdirSync(join(ROOT, "lessons")).filter((f) => /^[a-z0-9-]+\.json$/.test(f)).sort().map((f) => f.slice(0, -5));
for (const id of ids) writeFileSync(join(lessonsOut, `${id}.json`), readFileSync(join(ROOT, "lessons", `${id}.json`)));
writeFileSync(join(lessonsOut, "index.json"), JSON.stringify({ format: 1, lessons: ids }) + "\n");
console.log(`bundle-ui: ${ids.length} lessons into www/gen/lessons`);
