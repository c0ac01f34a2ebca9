#!/usr/bin/env python3
"""Fits the simulated toolchain's cost model and writes core/data/cost-model.json.

Inputs are the real measurements in ../shared/oracle (go1.23.5, linux/amd64, a 2-core VM):

  webjson/cost-cgo0-p1-actions.csv   every action of a cold `go build -a -p 1` (CGO_ENABLED=0):
                                     uncontended per-action times, the base of every tool fit
  webjson/cost-cgo0-actions.csv      the same build at -p 2 (contention)
  webjson/cost-cgo1-actions.csv      -p 2 with cgo (contention; the cgo/gcc cost)
  multi/actiongraph-cold.json        multi's cold build at -p 2 (contention; a second link size)
  multi/trace-cold.json,
  webjson/trace-a-cold-cgo1.json     the go command's own time outside Builder.Do (start, load)
  std-graph-go1.23.5.jsonl           source bytes of std packages (for multi's link size)
  src/multi/                         multi's own sources

What is fitted (all times in ms; KB = 1024 bytes of .go + .s source, as the CSVs count them):

  compile  = compile_ms + compile_per_kb_ms * KB + compile_per_file_ms * go_files
             least squares over the -p 1 build actions without .s or cgo files (CmdReal)
  asm      = asm_ms + asm_per_file_ms * s_files  (gensymabis, the asm runs and pack), least
             squares over the residual CmdReal of packages with .s files
  action   = action_ms: cmd/go's own work per build action (hashing, cache writes),
             the median of (action duration - CmdReal) at -p 1
  cgo      = cgo_ms + cgo_per_c_file_ms * c_files, from the two cgo packages of the cgo1 build
             (runtime/cgo, net), their durations deflated by the contention factor below
  link     = link_ms + link_per_kb_ms * KB of all linked packages' source (a stand-in for
             archive size), through webjson's (-p 1) and multi's links
  contention: while two actions overlap on the 2-core machine, each runs `slowdown2` times
             slower than alone. Per action i of the -p 2 builds, with w_i its -p 1 duration and
             f_i the fraction of its run overlapped by another action:
             dur_i = w_i * (1 - f_i) + slowdown2 * w_i * f_i, fitted by least squares.
             The machine's throughput with two busy workers is then 2 / slowdown2 (1 = no gain
             from the second core), and `scaling` = 2 / slowdown2 - 1 is the throughput gained
             per extra busy core, which cost.rs generalises to N workers on C cores.
  command  = command_ms + command_per_package_ms * packages: the go command's time outside
             Builder.Do (start, package loading, exit), from the two traces. Both are of cold
             builds, whose GOCACHE had no module index yet: go reads and indexes every std
             package directory it loads, and writes the index to GOCACHE (even under -n).
  warm     = command_warm_ms + command_warm_per_package_ms * packages: the whole go command
             when GOCACHE has the index, from the two warm no-op builds (multi/timings.txt's
             warm-binpresent median, webjson/wall.txt's cgo=1 warm no-op): everything is a
             cache hit, so their wall time is the go command's own

Run from the repository root: `python3 scripts/calibrate.py` (stdlib only; no numpy). It prints
the fitted values and the fit quality and rewrites core/data/cost-model.json.
"""

import csv
import datetime
import json
import pathlib
import re
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORACLE = (ROOT / ".." / "shared" / "oracle").resolve()
OUT = ROOT / "core" / "data" / "cost-model.json"
STD_CGO1 = ROOT / "core" / "data" / "std-go1.23.5-linux-amd64-cgo1.txt"
FORMAT_VERSION = 1


def rows(name):
    """The cost CSVs write the `tools` column unquoted (`asm,compile`): it is whatever lies
    between the 9 columns before it and the 6 after it."""
    lines = (ORACLE / "webjson" / name).read_text().splitlines()
    head = lines[0].split(",")
    out = []
    for fields in csv.reader(lines[1:]):
        fixed = fields[:9] + [",".join(fields[9:len(fields) - 6])] + fields[len(fields) - 6:]
        out.append(dict(zip(head, fixed)))
    return out


def num(r, k):
    v = r.get(k, "")
    return float(v) if v not in ("", None) else 0.0


def lstsq(xs, ys):
    """Least squares y ~ X b via the normal equations (small, well-conditioned problems)."""
    n = len(xs[0])
    a = [[sum(x[i] * x[j] for x in xs) for j in range(n)] for i in range(n)]
    b = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(n)]
    for c in range(n):  # Gauss-Jordan with partial pivoting
        p = max(range(c, n), key=lambda r: abs(a[r][c]))
        a[c], a[p], b[c], b[p] = a[p], a[c], b[p], b[c]
        for r in range(n):
            if r != c and a[c][c]:
                f = a[r][c] / a[c][c]
                a[r] = [x - f * y for x, y in zip(a[r], a[c])]
                b[r] -= f * b[c]
    return [b[i] / a[i][i] for i in range(n)]


def r2(xs, ys, coef):
    pred = [sum(c * x for c, x in zip(coef, row)) for row in xs]
    mean = statistics.fmean(ys)
    ss_res = sum((y - p) ** 2 for y, p in zip(ys, pred))
    ss_tot = sum((y - mean) ** 2 for y in ys)
    return 1 - ss_res / ss_tot if ss_tot else 1.0


def c_files():
    """C file counts of std packages (linux/amd64, cgo on) from the embedded std graph."""
    out, pkg = {}, None
    for line in STD_CGO1.read_text().splitlines():
        if line.startswith("pkg "):
            pkg = line.split()[1]
        elif line.startswith("c ") and pkg:
            out[pkg] = len(line.split()) - 1
    return out


def parse_time(s):
    base, _, frac = s.rstrip("Z").partition(".")
    t = datetime.datetime.fromisoformat(base).replace(tzinfo=datetime.timezone.utc).timestamp()
    return t * 1000 + float("0." + (frac or "0")) * 1000


def multi_actions():
    """multi's -p 2 actions as CSV-like rows (mode, package, start_ms, dur_ms)."""
    out = []
    for a in json.loads((ORACLE / "multi" / "actiongraph-cold.json").read_text()):
        if "TimeStart" in a:
            s = parse_time(a["TimeStart"])
            out.append({"mode": a["Mode"], "package": a.get("Package", ""), "start": s,
                        "dur": parse_time(a["TimeDone"]) - s})
    t0 = min(r["start"] for r in out)
    for r in out:
        r["start"] -= t0
    return out


def overlap_fraction(acts):
    """Per action: the fraction of its run during which another action ran too."""
    busy = [(r["start"], r["start"] + r["dur"]) for r in acts if r["dur"] > 0.5]
    res = []
    for r in acts:
        s, e = r["start"], r["start"] + r["dur"]
        if r["dur"] <= 0.5:
            res.append(0.0)
            continue
        pts = sorted({s, e} | {x for a, b in busy for x in (a, b) if s < x < e})
        covered = 0.0
        for a, b in zip(pts, pts[1:]):
            m = (a + b) / 2
            n = sum(1 for x, y in busy if x <= m < y)
            if n >= 2:
                covered += b - a
        res.append(covered / r["dur"])
    return res


def trace_before_after_do(path):
    """(ms before Builder.Do, ms after it) within the go command's trace."""
    ev = json.loads(path.read_text())
    span = {}
    for e in ev:
        if e["name"].startswith(("Running build command", "exec.Builder.Do")):
            span.setdefault(e["name"].split(" (")[0], {})[e["ph"]] = e["ts"]
    run, do = span["Running build command"], span["exec.Builder.Do"]
    return (do["B"] - run["B"]) / 1000, (run["E"] - do["E"]) / 1000


def trace_outside_do(path):
    ev = json.loads(path.read_text())
    span = {}
    for e in ev:
        if e["name"].startswith(("Running build command", "exec.Builder.Do")):
            span.setdefault(e["name"].split(" (")[0], {})[e["ph"]] = e["ts"]
    total = span["Running build command"]["E"] - span["Running build command"]["B"]
    do = span["exec.Builder.Do"]["E"] - span["exec.Builder.Do"]["B"]
    return (total - do) / 1000


def warm_noop_ms():
    """The real go's warm no-op builds, ms: (multi's median, webjson's with cgo)."""
    multi = re.search(r"^SUMMARY warm-binpresent: .* median (\d+) ms",
                      (ORACLE / "multi" / "timings.txt").read_text(), re.M)
    web = re.search(r"^cgo=1 warm no-op wall: (\d+) ms",
                    (ORACLE / "webjson" / "wall.txt").read_text(), re.M)
    return float(multi.group(1)), float(web.group(1))


def main():
    p1 = rows("cost-cgo0-p1-actions.csv")
    builds = [r for r in p1 if r["mode"] == "build" and r["srcbytes"]]

    # compile and asm, fitted jointly over every non-cgo build action. The fixed cost is the
    # median of the smallest packages (an unconstrained intercept comes out negative: big
    # packages dominate the squares); per KB, per Go file and per extra tool run of a package
    # with .s files (asm -gensymabis, one asm per file, pack) are then fitted through the rest,
    # unweighted, so that the build's total is kept. A negative coefficient is dropped.
    fit_rows = [r for r in builds if num(r, "cgofiles") == 0]
    compile_ms = statistics.median(
        num(r, "cmdreal_ms") for r in fit_rows
        if num(r, "srcbytes") < 2048 and num(r, "sfiles") == 0)

    def runs(r):
        return num(r, "sfiles") + 2 if num(r, "sfiles") else 0.0

    feats = [lambda r: num(r, "srcbytes") / 1024, lambda r: num(r, "gofiles"), runs]
    keep = [0, 1, 2]
    ys = [num(r, "cmdreal_ms") - compile_ms for r in fit_rows]
    while True:
        xs = [[feats[i](r) for i in keep] for r in fit_rows]
        coef = lstsq(xs, ys)
        bad = [i for i, c in zip(keep, coef) if c < 0]
        if not bad:
            break
        keep.remove(bad[-1])
    full = {i: c for i, c in zip(keep, coef)}
    per_kb, per_file, per_run = full.get(0, 0.0), full.get(1, 0.0), full.get(2, 0.0)
    compile_r2 = r2(xs, ys, coef)
    asm_ms, asm_per_file = 2 * per_run, per_run
    withs = [r for r in fit_rows if num(r, "sfiles")]
    plain = [r for r in fit_rows if not num(r, "sfiles")]

    def compile_pred(r):
        return compile_ms + per_kb * num(r, "srcbytes") / 1024 + per_file * num(r, "gofiles")

    action_ms = statistics.median(num(r, "dur_ms") - num(r, "cmdreal_ms") for r in builds)

    # contention, over the three -p 2 builds
    base = {r["package"]: num(r, "dur_ms") for r in builds}
    num_, den = 0.0, 0.0
    samples = 0
    for acts in (
        [{"mode": r["mode"], "package": r["package"], "start": num(r, "start_ms"),
          "dur": num(r, "dur_ms")} for r in rows("cost-cgo0-actions.csv")],
        [{"mode": r["mode"], "package": r["package"], "start": num(r, "start_ms"),
          "dur": num(r, "dur_ms")} for r in rows("cost-cgo1-actions.csv")
         if num(r, "cgofiles") == 0],
        multi_actions(),
    ):
        for r, f in zip(acts, overlap_fraction(acts)):
            w = base.get(r["package"]) if r["mode"] == "build" else None
            if not w or f == 0:
                continue
            x = w * f
            y = r["dur"] - w * (1 - f)
            num_ += x * y
            den += x * x
            samples += 1
    slowdown2 = num_ / den
    scaling = 2 / slowdown2 - 1

    # cgo: deflate the two cgo packages of the -p 2 cgo1 build by the contention they saw
    cf = c_files()
    cgo1 = [{"mode": r["mode"], "package": r["package"], "start": num(r, "start_ms"),
             "dur": num(r, "dur_ms"), "row": r} for r in rows("cost-cgo1-actions.csv")]
    extra = {}
    for r, f in zip(cgo1, overlap_fraction(cgo1)):
        row = r["row"]
        if num(row, "cgofiles") > 0:
            alone = r["dur"] / (1 - f + slowdown2 * f)
            asm = (asm_ms + asm_per_file * num(row, "sfiles")) if num(row, "sfiles") else 0
            extra[r["package"]] = alone - action_ms - compile_pred(row) - asm
    cgo_ms = max(extra.get("net", 0.0), 0.0)
    cgo_per_c = max((extra["runtime/cgo"] - cgo_ms) / cf["runtime/cgo"], 0.0)

    # link: webjson (-p 1) and multi
    link_w = next(num(r, "dur_ms") for r in p1 if r["mode"] == "link")
    kb_w = sum(num(r, "srcbytes") for r in builds) / 1024
    kb_w += sum(f.stat().st_size for f in (ORACLE / "src" / "webjson").glob("*.go")) / 1024
    std = {}
    for line in (ORACLE / "std-graph-go1.23.5.jsonl").read_text().splitlines():
        o = json.loads(line)
        std[o["ImportPath"]] = o["SrcBytes"]
    macts = multi_actions()
    link_m = next(r["dur"] for r in macts if r["mode"] == "link")
    own = sum(f.stat().st_size for f in (ORACLE / "src" / "multi").rglob("*")
              if f.suffix in (".go", ".s"))
    kb_m = (own + sum(std[r["package"]] for r in macts
                      if r["mode"] == "build" and r["package"] in std)) / 1024
    link_per_kb = (link_w - link_m) / (kb_w - kb_m)
    link_ms = link_w - link_per_kb * kb_w
    install_ms = statistics.median(
        [num(r, "dur_ms") for r in p1 if r["mode"] == "link-install"]
        + [r["dur"] for r in macts if r["mode"] == "link-install"])

    # the go command outside Builder.Do
    n_m = sum(1 for r in macts if r["mode"] in ("build", "built-in package"))
    n_w = sum(1 for r in rows("cost-cgo1-actions.csv") if r["mode"] in ("build", "built-in package"))
    o_m = trace_outside_do(ORACLE / "multi" / "trace-cold.json")
    o_w = trace_outside_do(ORACLE / "webjson" / "trace-a-cold-cgo1.json")
    command_per_pkg = (o_w - o_m) / (n_w - n_m)
    command_ms = o_m - command_per_pkg * n_m
    before = [trace_before_after_do(ORACLE / p) for p in
              ("multi/trace-cold.json", "webjson/trace-a-cold-cgo1.json")]
    command_before = statistics.fmean(b / (b + a) for b, a in before)
    warm_m, warm_w = warm_noop_ms()
    warm_per_pkg = (warm_w - warm_m) / (n_w - n_m)
    warm_ms = warm_m - warm_per_pkg * n_m

    r3 = lambda x: round(x, 3)
    model = {
        "version": FORMAT_VERSION,
        "go": "go1.23.5",
        "machine": {"goos": "linux", "goarch": "amd64", "cores": 2},
        "written_by": "scripts/calibrate.py",
        "compile_ms": r3(compile_ms),
        "compile_per_kb_ms": r3(per_kb),
        "compile_per_file_ms": r3(per_file),
        "asm_ms": r3(asm_ms),
        "asm_per_file_ms": r3(asm_per_file),
        "action_ms": r3(action_ms),
        "cgo_ms": r3(cgo_ms),
        "cgo_per_c_file_ms": r3(cgo_per_c),
        "link_ms": r3(link_ms),
        "link_per_kb_ms": r3(link_per_kb),
        "install_ms": r3(install_ms),
        "scaling": r3(scaling),
        "command_ms": r3(command_ms),
        "command_per_package_ms": r3(command_per_pkg),
        "command_before_fraction": r3(command_before),
        "command_warm_ms": r3(warm_ms),
        "command_warm_per_package_ms": r3(warm_per_pkg),
        "fit": {
            "compile_r2": r3(compile_r2),
            "compile_samples": len(plain),
            "asm_samples": len(withs),
            "contention_samples": samples,
            "slowdown2": r3(slowdown2),
            "link_points_kb_ms": [[r3(kb_m), r3(link_m)], [r3(kb_w), r3(link_w)]],
            "command_points_pkgs_ms": [[n_m, r3(o_m)], [n_w, r3(o_w)]],
            "warm_points_pkgs_ms": [[n_m, warm_m], [n_w, warm_w]],
            "cgo_extra_ms": {k: r3(v) for k, v in sorted(extra.items())},
        },
    }
    OUT.write_text(json.dumps(model, indent=2) + "\n")
    json.dump(model, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
