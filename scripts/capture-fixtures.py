#!/usr/bin/env python3
"""Capture (or check) what the real go command does with each fixture module.

For every tests/fixtures/NAME/ (module sources in src/, the directory to build from in rundir,
and optionally the command line's package arguments in args, `.` without it) this runs the
installed Go on a fresh copy with an empty GOCACHE and writes NAME/expect/:
  deps.txt     `go list -deps -f {{.ImportPath}} ARGS`        the package set, in go's order
  plan.txt     `go build -n -debug-actiongraph ARGS` reduced to one line an action:
               ID MODE PACKAGE objdir=bNNN prio=N deps=[...]
  build-n.txt  `go build -n ARGS` with the module dir written as $MOD and build IDs as BUILDID

usage: capture-fixtures.py [--check] [NAME ...]
  --check  compare the real go's output with the committed expect/ files instead of writing;
           exit 1 on any difference. The Rust fixture tests compare Buildlab with the same files.
"""
import json, os, re, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
GO = os.environ.get("GO", "/usr/lib/go-1.23/bin/go")
BUILDID = re.compile(r"-buildid[ =][A-Za-z0-9_-]{20}(/[A-Za-z0-9_-]{20})+")


def go(args, cwd, env):
    p = subprocess.run([GO] + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit(f"go {' '.join(args)} in {cwd} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p.stdout, p.stderr


def capture(name):
    fx = os.path.join(FIXTURES, name)
    tmp = tempfile.mkdtemp(prefix=f"buildlab-fx-{name}-")
    try:
        src = os.path.join(tmp, "src")
        shutil.copytree(os.path.join(fx, "src"), src)
        rundir = open(os.path.join(fx, "rundir")).read().strip()
        args_file = os.path.join(fx, "args")
        args = open(args_file).read().split() if os.path.exists(args_file) else ["."]
        mod = os.path.normpath(os.path.join(src, rundir))
        env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
        env.update(GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="", GOCACHE=os.path.join(tmp, "cache"),
                   GOPATH=os.path.join(tmp, "gopath"), HOME=tmp, GOOS="linux", GOARCH="amd64", GOAMD64="v1",
                   CGO_ENABLED="1")
        out = {}
        deps, _ = go(["list", "-deps", "-f", "{{.ImportPath}}"] + args, mod, env)
        out["deps.txt"] = deps
        ag = os.path.join(tmp, "actiongraph.json")
        _, script = go(["build", "-n", f"-debug-actiongraph={ag}"] + args, mod, env)
        lines = []
        for a in json.load(open(ag)):
            objdir = re.search(r"/(b\d{3})/$", a.get("Objdir") or "")
            lines.append(f"{a['ID']} {a['Mode']} {a.get('Package') or '-'} objdir={objdir.group(1) if objdir else '-'} "
                         f"prio={a.get('Priority', 0)} deps={a.get('Deps') or []}".replace(", ", ","))
        out["plan.txt"] = "\n".join(lines) + "\n"
        script = script.replace(src, "$SRC")
        out["build-n.txt"] = BUILDID.sub(lambda m: m.group(0)[:9] + "BUILDID", script)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv):
    check = "--check" in argv
    names = [a for a in argv if not a.startswith("--")] or sorted(
        n for n in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, n, "src")))
    if not os.path.exists(GO):
        print(f"capture-fixtures: {GO} not found; install Go 1.23 (scripts/setup.sh go)")
        return 2
    version = subprocess.run([GO, "version"], capture_output=True, text=True).stdout.strip()
    bad = 0
    for name in names:
        got = capture(name)
        exp = os.path.join(FIXTURES, name, "expect")
        for fname, text in got.items():
            path = os.path.join(exp, fname)
            if check:
                want = open(path).read() if os.path.exists(path) else None
                if want != text:
                    bad += 1
                    print(f"{name}/{fname}: the real go ({version}) now differs from the committed expectation")
            else:
                os.makedirs(exp, exist_ok=True)
                open(path, "w").write(text)
        print(f"{name}: {'checked' if check else 'captured'} ({version})")
    if check:
        print(f"oracle fixtures: {len(names) * 3 - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
