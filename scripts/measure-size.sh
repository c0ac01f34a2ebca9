#!/usr/bin/env bash
# Prints the size of what the page loads before its first build (raw and gzip -9), from dist/ as
# `trunk build --release` left it: the wasm, the JS, the CSS, index.html and the default sample
# (`samples/hello.txtar`, fetched before the build on load). Not counted: what is fetched on
# first use later (other samples, lessons, `std/` graphs of other targets).
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
total_raw=0; total_gz=0
printf '| file | raw bytes | gzip -9 bytes |\n|---|---:|---:|\n'
for f in dist/*.wasm dist/*.js dist/*.css dist/index.html dist/samples/hello.txtar; do
  raw=$(stat -c%s "$f"); gz=$(gzip -9c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '| %s | %d | %d |\n' "$(basename "$f" | sed -E 's/-[0-9a-f]{16}//')" "$raw" "$gz"
done
printf '| **first load** | %d | %d |\n' "$total_raw" "$total_gz"
