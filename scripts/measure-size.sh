#!/usr/bin/env bash
# Prints the size of what the page loads before its first build, from dist/ as
# `trunk build --release` left it, then what it fetches only on first use. Three sizes per file:
# raw; `gzip -9`'s; and what the helper sends a browser that accepts gzip ("served": the
# zopfli copy NAME.gz Trunk's release hook wrote with `buildlab precompress`, else the raw file).
#
# First load: index.html, every file it names (`/name` in a src, href or the wasm loader's
# import: the first-load wasm module and its JS, ui.js, the CSS; and what it preloads: linux/amd64's
# std graph, `std/std-go1.23.5-linux-amd64-cgo1.txt`, which Lab.open fetches) and the default sample
# (`samples/hello.txtar`, fetched before the build on load). Taken from index.html itself, so a
# file the page starts with cannot be left out by a name pattern here.
# On first use (listed apart, not in the total): the full wasm module (`buildlab-web-full.js` and
# `buildlab-web-full_bg.wasm`, unhashed: lessons, share links, trace import/export, the real
# toolchain) and the JS chunks under `chunks/` (dagre). Not listed: other samples, lessons,
# `std/` graphs of other targets.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

row() { # file [note] -> prints a row, sets raw, gz and served
  raw=$(stat -c%s "$1"); gz=$(gzip -9c "$1" | wc -c)
  if [ -f "$1.gz" ]; then served=$(stat -c%s "$1.gz"); else served=$raw; fi
  printf '| %s%s | %d | %d | %d |\n' "$(echo "${1#dist/}" | sed -E 's/-[0-9a-f]{8,16}([._])/\1/')" "${2:-}" "$raw" "$gz" "$served"
}

first=(dist/index.html)
while read -r name; do
  [ -f "dist/$name" ] && first+=("dist/$name")
done < <(grep -oE "(src|href)=\"/[^\"]+\"|'/[^']+'|rel=\"preload\" href=\"[^\"]+\"" dist/index.html |
  sed -E "s/^rel=\"preload\" //; s/^(src|href)=//; s/^[\"']\/?//; s/[\"']$//" | sort -u)
first+=(dist/samples/hello.txtar)

total_raw=0; total_gz=0; total_served=0
printf '| file | raw bytes | gzip -9 bytes | served bytes |\n|---|---:|---:|---:|\n'
for f in "${first[@]}"; do
  row "$f"; total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_served=$((total_served + served))
done
printf '| **first load** | %d | %d | %d |\n' "$total_raw" "$total_gz" "$total_served"

lazy_raw=0; lazy_gz=0; lazy_served=0
for f in dist/buildlab-web-full.js dist/buildlab-web-full_bg.wasm dist/chunks/*.js; do
  [ -f "$f" ] || continue
  row "$f" " (on first use)"; lazy_raw=$((lazy_raw + raw)); lazy_gz=$((lazy_gz + gz)); lazy_served=$((lazy_served + served))
done
printf '| on first use (not in the first load) | %d | %d | %d |\n' "$lazy_raw" "$lazy_gz" "$lazy_served"
