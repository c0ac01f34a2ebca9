#!/usr/bin/env node
// Bundles the page's UI code (www/src/main.js and what it imports from node_modules: CodeMirror,
// dagre) into www/gen/ui.js with esbuild, for Trunk to pick up. Trunk runs this as its
// pre_build hook (Trunk.toml); it reads only local files: node_modules was filled by `npm ci`.
// Usage: node scripts/bundle-ui.mjs [--dev]   (--dev: no minification, inline source map)
import { build } from "esbuild";
import { join, dirname } from "node:path";
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
