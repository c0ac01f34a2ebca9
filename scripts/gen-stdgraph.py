#!/usr/bin/env python3
"""Writes core/data/std-*.txt, the standard-library package graph that Buildlab embeds.

It runs the real `go list -deps -json std` once per target and keeps, for every package, what the
loader needs to resolve std imports and what the planner needs to render the exact compile, asm and
cgo command lines of std packages: the import list as go lists it, the import map of vendored
packages, and the names and byte sizes of the Go, cgo, assembly, C, header, syso and embedded files;
and, for the packages a module can import, the names they export (for the simulated compiler's
`undefined: fmt.Prinln`), read by go/parser (scripts/stdexports/main.go, run with `go run`).

Targets (one file each; the first is written in full, the others as overlays on it that list only
the packages that differ, which keeps the four files small in the wasm bundle):
  linux/amd64   CGO_ENABLED=1  (the host of the oracle captures; gcc present)
  linux/amd64   CGO_ENABLED=0
  darwin/arm64  CGO_ENABLED=0  (a cross build: go turns cgo off when cross-compiling without CC)
  windows/amd64 CGO_ENABLED=0  (likewise)

The go command runs with GOTOOLCHAIN=local GOPROXY=off GOENV=off GOFLAGS= GOWORK=off, from an empty
directory outside any module, with a private GOCACHE/GOPATH in a temporary directory, so that
nothing about the machine but GOROOT reaches the output.

The format is described in core/src/stdlib.rs and in the header of every file. Packages are sorted by
import path; file lists and imports keep go's order (imports are sorted by the path written in the
source, so a vendored import sits where its unvendored path sorts: that is the order of the
importcfg `packagefile` lines, which is why it is kept).

Usage:
  scripts/gen-stdgraph.py              # rewrite core/data/std-*.txt
  scripts/gen-stdgraph.py --check      # exit 1 if the committed files are stale
  scripts/gen-stdgraph.py --go PATH    # another go binary (must still be go1.23.5)
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

GO_VERSION = "go1.23.5"
FORMAT_VERSION = 4
DEFAULT_GO = "/usr/lib/go-1.23/bin/go"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "core", "data")

# (goos, goarch, cgo_enabled)
TARGETS = [
    ("linux", "amd64", True),
    ("linux", "amd64", False),
    ("darwin", "arm64", False),
    ("windows", "amd64", False),
]
# The target written in full; the others are overlays on it.
BASE = TARGETS[0]

# File lists go may report that this format does not carry. Finding one is an error: extend the
# format (and bump FORMAT_VERSION) rather than drop data silently.
UNSUPPORTED_LISTS = ["CXXFiles", "MFiles", "FFiles", "SwigFiles", "SwigCXXFiles"]

# (JSON field, line tag) of the file lists written with byte sizes, in output order.
FILE_LISTS = [
    ("GoFiles", "go"),
    ("CgoFiles", "cgo"),
    ("SFiles", "s"),
    ("CFiles", "c"),
    ("HFiles", "h"),
    ("SysoFiles", "syso"),
    ("EmbedFiles", "embed"),
]


# A package exporting more names than this is left without an `exports` line (its selectors go
# unchecked): syscall and debug/elf, half of all the names, and no tutorial calls into them.
MAX_EXPORTS = 1000


def file_name(target):
    goos, goarch, cgo = target
    return f"std-{GO_VERSION}-{goos}-{goarch}-cgo{int(cgo)}.txt"


def go_env(tmp, target):
    goos, goarch, cgo = target
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO_"))}
    env.update(
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOENV="off",
        GOFLAGS="",
        GOWORK="off",
        GOCACHE=os.path.join(tmp, "cache"),
        GOPATH=os.path.join(tmp, "gopath"),
        GOMODCACHE=os.path.join(tmp, "gopath", "pkg", "mod"),
        GOOS=goos,
        GOARCH=goarch,
        CGO_ENABLED=str(int(cgo)),
    )
    return env


def run(go, tmp, target, *args):
    cwd = os.path.join(tmp, "empty")
    os.makedirs(cwd, exist_ok=True)
    p = subprocess.run([go, *args], cwd=cwd, env=go_env(tmp, target), capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"go {' '.join(args)} failed ({target}):\n{p.stderr}")
    return p.stdout


def decode_stream(text):
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def check_token(s, what):
    bad = not s or any(c.isspace() for c in s)
    bad = bad or (what == "file" and ":" in s) or (what == "path" and "=" in s)
    if bad:
        sys.exit(f"cannot encode {what} {s!r} in the line format")
    return s


def render(go, tmp, target, pkgs, exports, params):
    goos, goarch, cgo = target
    env = run(go, tmp, target, "env", "-json", "GOVERSION", "GOROOT", "GOAMD64", "GOARM64", "CGO_ENABLED")
    env = json.loads(env)
    if env["GOVERSION"] != GO_VERSION:
        sys.exit(f"{go} is {env['GOVERSION']}, want {GO_VERSION}")
    if env["CGO_ENABLED"] != str(int(cgo)):
        sys.exit(f"CGO_ENABLED={env['CGO_ENABLED']} for {target}")
    goroot = env["GOROOT"]

    # The target's architecture level, as go passes it to asm (-D GOAMD64_v1); GOARM64 only adds
    # -D GOARM64_LSE when it enables LSE, which the default v8.0 does not.
    arch_env = {"amd64": "GOAMD64", "arm64": "GOARM64"}.get(goarch)

    body = []
    count = 0
    for p in sorted(pkgs, key=lambda p: p["ImportPath"]):
        path = p["ImportPath"]
        if p.get("Error") or p.get("DepsErrors"):
            sys.exit(f"{path}: go list reported an error: {p.get('Error') or p.get('DepsErrors')}")
        if not p.get("Standard") or not p.get("Goroot"):
            sys.exit(f"{path}: not a standard package; the format assumes every package is")
        if p["Dir"] != os.path.join(goroot, "src", path):
            sys.exit(f"{path}: unexpected Dir {p['Dir']}")
        for k in UNSUPPORTED_LISTS:
            if p.get(k):
                sys.exit(f"{path}: has {k}, which the format does not carry")
        check_token(path, "path")
        name = p["Name"]
        head = f"pkg {path}" if name == path.rsplit("/", 1)[-1] else f"pkg {path} {check_token(name, 'name')}"
        body.append(head)
        imports = p.get("Imports") or []
        if imports:
            body.append("imports " + " ".join(check_token(i, "path") for i in imports))
        imap = p.get("ImportMap") or {}
        if imap:
            body.append("importmap " + " ".join(f"{check_token(k, 'path')}={check_token(v, 'path')}"
                                                 for k, v in sorted(imap.items())))
        for field, tag in FILE_LISTS:
            files = p.get(field) or []
            if files:
                sized = [f"{check_token(f, 'file')}:{os.path.getsize(os.path.join(p['Dir'], f))}" for f in files]
                body.append(tag + " " + " ".join(sized))
        patterns = p.get("EmbedPatterns") or []
        if patterns:
            body.append("embedpatterns " + " ".join(check_token(x, "pattern") for x in patterns))
        for field, tag in (("CgoCFLAGS", "cgocflags"), ("CgoLDFLAGS", "cgoldflags")):
            flags = p.get(field) or []
            if flags:
                body.append(tag + " " + " ".join(check_token(x, "flag") for x in flags))
        names = exported(p, exports)
        if names:
            body.append("exports " + " ".join(names))
        funcs = functions(p, exports, params)
        if funcs:
            body.append("funcs " + " ".join(funcs))
        count += 1

    header = [
        f"# Buildlab standard-library graph: `go list -deps -json std` of {GO_VERSION} for "
        f"{goos}/{goarch}, CGO_ENABLED={int(cgo)}.",
        "# Written by scripts/gen-stdgraph.py; do not edit. Format: see core/src/stdlib.rs.",
        "# Every package is Standard, lives in $GOROOT/src/<path>, and compiles with -lang=go1.23 -std.",
        f"stdgraph {FORMAT_VERSION}",
        f"go {GO_VERSION}",
        f"target {goos} {goarch} cgo{int(cgo)}",
    ]
    if arch_env:
        header.append(f"env {arch_env}={env[arch_env]}")
    header.append(f"packages {count}")
    return header, blocks(body)


def importable(path):
    """Whether a module can import the std package: not internal, not vendored (go refuses both)."""
    parts = path.split("/")
    return "internal" not in parts and parts[0] != "vendor"


def compiled_files(p):
    """The package's files the compiler is given on this target (cgo's only with cgo on)."""
    return [os.path.join(p["Dir"], f) for f in (p.get("GoFiles") or []) + (p.get("CgoFiles") or [])]


def exported(p, exports):
    """The names the package exports on this target, sorted, or none when it is not importable or
    exports more than MAX_EXPORTS."""
    if not importable(p["ImportPath"]):
        return []
    names = sorted({n for f in compiled_files(p) for n in exports[f][0]})
    return [] if len(names) > MAX_EXPORTS else names


def functions(p, exports, params):
    """The package's exported functions that are not generic, as `funcs` lists them: the name,
    with `:N` when it returns N results other than one, then its parameters' types in parentheses
    (`Itoa(int)`, `Atoi:2(string)`) where each is a word of letters, digits and `_.*[]{}` (`...`
    before a variadic one's; none for a function type, a channel: their printing has spaces);
    sorted. Only beside `exports`."""
    if not exported(p, exports):
        return []
    out = []
    known = params.get(p["ImportPath"], {})
    entries = {f for path in compiled_files(p) for f in exports[path][1]}
    for entry in sorted(entries, key=lambda e: e.partition(":")[0]):
        name, _, n = entry.partition(":")
        entry = name if n == "1" else entry
        types = known.get(name)
        if types is not None and all(PARAM_TYPE.fullmatch(t) for t in types):
            entry += "(" + ",".join(types) + ")"
        out.append(entry)
    return out


# A parameter type `funcs` can carry: no spaces, commas or parentheses.
PARAM_TYPE = re.compile(r"(\.\.\.)?[A-Za-z0-9_.*\[\]{}]+")


def go_params(go, tmp, target, paths):
    """{import path: {function: [parameter types]}} on the target, from scripts/stdexports
    -params (go/types from source)."""
    prog = os.path.join(REPO, "scripts", "stdexports", "main.go")
    goos, goarch, cgo = target
    env = go_env(tmp, BASE)
    for k in ("GOOS", "GOARCH", "CGO_ENABLED"):
        env.pop(k)
    p = subprocess.run([go, "run", prog, "-params", f"-goos={goos}", f"-goarch={goarch}",
                        f"-cgo={str(cgo).lower()}"], input="\n".join(sorted(paths)) + "\n",
                       env=env, cwd=os.path.join(tmp, "empty"), capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"go run {prog} -params failed ({target}):\n{p.stderr}")
    out = {}
    for line in p.stdout.splitlines():
        path, funcs = line.split("\t")
        out[path] = {}
        for f in funcs.split():
            name, _, rest = f.partition("(")
            out[path][name] = [t for t in rest[:-1].split(",") if t] if rest[:-1] else []
    if set(out) != set(paths):
        sys.exit("scripts/stdexports -params did not report every package")
    return out


def go_exports(go, tmp, paths):
    """{file: [exported top-level names]} for every file in paths, from scripts/stdexports."""
    env = go_env(tmp, BASE)
    for k in ("GOOS", "GOARCH", "CGO_ENABLED"):
        env.pop(k)
    prog = os.path.join(REPO, "scripts", "stdexports", "main.go")
    p = subprocess.run([go, "run", prog], input="\n".join(sorted(paths)) + "\n", env=env,
                       cwd=os.path.join(tmp, "empty"), capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"go run {prog} failed:\n{p.stderr}")
    out = {}
    for line in p.stdout.splitlines():
        path, names, funcs = line.split("\t")
        out[path] = ([check_token(n, "name") for n in names.split()],
                     [check_token(f, "function") for f in funcs.split()])
    if set(out) != set(paths):
        sys.exit("scripts/stdexports did not report every file")
    return out


def blocks(lines):
    """Splits the body into {import path: block text}."""
    out, cur = {}, None
    for line in lines:
        if line.startswith("pkg "):
            cur = line.split(" ")[1]
            out[cur] = []
        out[cur].append(line)
    return {k: "\n".join(v) + "\n" for k, v in out.items()}


def full_text(header, pkgs):
    return "\n".join(header) + "\n" + "".join(pkgs[k] for k in sorted(pkgs))


def overlay_text(header, pkgs, base_target, base_pkgs):
    """The target as a difference from the base: the blocks that differ or are new, in full, and a
    `drop` line for each base package the target lacks. Most of std is the same on every target,
    and gzip's 32 KB window cannot find the repeats across four 60 KB files, so this quarters the
    compressed size of the three non-base targets."""
    goos, goarch, cgo = base_target
    header = header[:3] + [f"# An overlay on {file_name(base_target)}: packages listed here replace or add to it."] + \
        header[3:4] + [f"base {goos} {goarch} cgo{int(cgo)}"] + header[4:]
    drops = [f"drop {k}\n" for k in sorted(base_pkgs) if k not in pkgs]
    changed = [pkgs[k] for k in sorted(pkgs) if base_pkgs.get(k) != pkgs[k]]
    return "\n".join(header) + "\n" + "".join(drops) + "".join(changed)


# Identifiers of //go:build lines that are not tags a user sets: the known GOOS and GOARCH values
# (go/build's knownOS and knownArch), release tags, and the tags go sets itself.
KNOWN_OS = set("aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd "
               "plan9 solaris wasip1 windows zos".split())
KNOWN_ARCH = set("386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le "
                 "mips64p32 mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 "
                 "wasm".split())
IMPLIED = {"cgo", "gc", "gccgo", "unix"}


def constraint_tags(goroot):
    """The tags that some non-test .go or .s file of the standard library (GOROOT/src without cmd,
    testdata and directories go ignores) tests in its //go:build line: setting one with -tags can
    change which files a std package builds from."""
    import re
    src = os.path.join(goroot, "src")
    tags = set()
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        dirs[:] = sorted(d for d in dirs if not (d.startswith((".", "_")) or d == "testdata"
                                                 or (rel == "." and d == "cmd")))
        for f in sorted(files):
            if not f.endswith((".go", ".s")) or f.endswith("_test.go"):
                continue
            with open(os.path.join(root, f), errors="replace") as fh:
                for line in fh:
                    if line.startswith("//go:build "):
                        for t in re.findall(r"[A-Za-z0-9_.]+", line[len("//go:build "):]):
                            if (t not in KNOWN_OS and t not in KNOWN_ARCH and t not in IMPLIED
                                    and not re.fullmatch(r"go1\.[0-9]+", t)
                                    and not t.startswith("goexperiment.")):
                                tags.add(t)
                        break
                    if line.startswith("package "):
                        break
    return sorted(tags)


def tags_text(go, tags):
    return (f"# The build tags the standard library's //go:build lines test ({GO_VERSION}, every target,\n"
            f"# goexperiment.* left out: every one of those counts). Written by scripts/gen-stdgraph.py.\n"
            + "\n".join(tags) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--go", default=DEFAULT_GO)
    ap.add_argument("--out", default=OUT_DIR)
    ap.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = ap.parse_args()
    stale = []
    with tempfile.TemporaryDirectory(prefix="gen-stdgraph-") as tmp:
        listed = {t: decode_stream(run(args.go, tmp, t, "list", "-deps", "-json", "std")) for t in TARGETS}
        paths = {f for t in TARGETS for p in listed[t] if importable(p["ImportPath"]) for f in compiled_files(p)}
        exports = go_exports(args.go, tmp, paths)
        params = {t: go_params(args.go, tmp, t, [p["ImportPath"] for p in listed[t]
                                                 if exported(p, exports)]) for t in TARGETS}
        rendered = {t: render(args.go, tmp, t, listed[t], exports, params[t]) for t in TARGETS}
        goroot = subprocess.run([args.go, "env", "GOROOT"], capture_output=True, text=True,
                                check=True).stdout.strip()
        outputs = [(os.path.join(args.out, f"std-{GO_VERSION}-tags.txt"),
                    tags_text(args.go, constraint_tags(goroot)))]
        base_header, base_pkgs = rendered[BASE]
        for target in TARGETS:
            header, pkgs = rendered[target]
            if target == BASE:
                text = full_text(header, pkgs)
            else:
                text = overlay_text(header, pkgs, BASE, base_pkgs)
            outputs.append((os.path.join(args.out, file_name(target)), text))
        for dest, text in outputs:
            data = text.encode()
            gz = len(gzip.compress(data, compresslevel=9, mtime=0))
            print(f"{os.path.relpath(dest, REPO)}: {len(data)} bytes, {gz} gzip", file=sys.stderr)
            if args.check:
                old = open(dest, "rb").read() if os.path.exists(dest) else None
                if old != data:
                    stale.append(dest)
            else:
                os.makedirs(args.out, exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(data)
        # go list leaves read-only module-cache files behind; make them removable.
        for root, dirs, _ in os.walk(tmp):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
    if stale:
        sys.exit("stale: " + ", ".join(os.path.relpath(s, REPO) for s in stale))


if __name__ == "__main__":
    main()
