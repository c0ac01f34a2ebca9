#!/usr/bin/env node
// Bundles the page's UI code (www/src/main.js and what it imports from node_modules: CodeMirror,
// dagre) into www/gen/ui.js with esbuild, for Trunk to pick up. Trunk runs this as its
// pre_build hook (Trunk.toml); it reads only local files: node_modules was filled by `npm ci`.
// Usage: node scripts/bundle-ui.mjs [--dev]   (--dev: no minification, inline source map)
import { build } from "esbuild";
import { join, dirname } from "node:path";
import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev") || process.env.TRUNK_PROFILE === "debug";

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ["www/src/main.js"],
  outfile: "www/gen/ui.js",
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`bundle-ui: www/gen/ui.js ${bytes} bytes${dev ? " (dev)" : ""}`);

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
