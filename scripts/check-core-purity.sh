#!/usr/bin/env bash
# Fails if `buildlab-core` stops being pure: it must build for wasm32-unknown-unknown and the host,
# depend on nothing browser- or runtime-specific, and use no threads, clock, or IO outside tests.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p buildlab-core
cargo build -q -p buildlab-core --target wasm32-unknown-unknown

# Browser bindings, async runtimes, thread pools, clocks and randomness. (libc is allowed: blake3
# reaches it through cpufeatures for CPU feature detection on some hosts.)
bad_deps='^(web-sys|js-sys|wasm-bindgen|wasm-bindgen-futures|tokio|async-std|smol|rayon|crossbeam|crossbeam-channel|getrandom|rand|instant|web-time|chrono|time|idb) '
deps=$(cargo tree -q -p buildlab-core -e normal --target all --prefix none | sort -u)
if offending=$(grep -E "$bad_deps" <<<"$deps"); then
  echo "core purity: buildlab-core depends on runtime- or browser-specific crates:" >&2
  echo "$offending" >&2
  exit 1
fi

# Non-test code only: each file up to its first #[cfg(test)].
scan_sources() {
python3 - "$1" <<'PY'
import pathlib, re, sys
banned = re.compile(r"std::(thread|fs|net|process|env)\b|Instant::now|SystemTime|thread_rng|std::io::stdin|println!|eprintln!")
bad = []
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.rs")):
    src = f.read_text().split("#[cfg(test)]")[0]
    for n, line in enumerate(src.splitlines(), 1):
        code = line.split("//")[0]
        if banned.search(code):
            bad.append(f"{f}:{n}: {line.strip()}")
if bad:
    print("core purity: IO, threads or the clock in buildlab-core (move it to web/ or helper/):", *bad, sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY
}

# The check must be able to fail: a planted thread spawn and clock read are caught.
planted=$(mktemp -d)
printf 'fn f() { std::thread::spawn(|| ()); let _ = std::time::Instant::now(); }\n#[cfg(test)]\nmod t { fn g() { std::fs::read("x"); } }\n' > "$planted/x.rs"
if scan_sources "$planted" 2>/dev/null; then
  echo "core purity: the source scan missed a planted std::thread / Instant::now" >&2; rm -rf "$planted"; exit 1
fi
rm -rf "$planted"
scan_sources core/src
echo "core purity: ok (host + wasm32 build, $(wc -l <<<"$deps") dependencies, no IO/threads/clock)"
