//! `buildlab build --real` on packages that use cgo, checked against the real go run on a copy
//! of the same module: the binary runs and prints, the same packages recompile after a Go or a C
//! edit, `CGO_ENABLED` is go's, and `#cgo` flags that could load, run or reach outside the
//! sources are refused in go's words before gcc runs. Skipped (with a note) when Go 1.23 or gcc
//! is not installed; CI installs both.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

const GO: &str = "/usr/lib/go-1.23/bin/go";

/// Go and a C compiler: what these tests need (go itself turns cgo off without gcc).
fn have_go_and_gcc() -> bool {
    let gcc = ["/usr/bin/gcc", "/usr/local/bin/gcc", "/bin/gcc"]
        .iter()
        .any(|p| Path::new(p).is_file());
    if !Path::new(GO).is_file() || !gcc {
        eprintln!("note: Go 1.23 or gcc is not installed; skipping the real cgo builds");
        return false;
    }
    true
}

/// A module with a package using cgo: `#cgo` CFLAGS and LDFLAGS (libm), a C file of its own,
/// a header, and a Go function exported to C (so `_cgo_export.c` has work to do).
const CALC: &[(&str, &str)] = &[
    ("go.mod", "module example.com/cgocalc\n\ngo 1.23\n"),
    (
        "main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/cgocalc/calc\"\n)\n\nfunc main() {\n\tfmt.Println(calc.Triple(14), calc.Hypot(3, 4), calc.Greeting())\n}\n",
    ),
    (
        "calc/calc.go",
        "// Package calc does its arithmetic in C.\npackage calc\n\n/*\n#cgo CFLAGS: -DFACTOR=3 -Wall\n#cgo LDFLAGS: -lm\n#include \"calc.h\"\n*/\nimport \"C\"\n\n// Triple multiplies in C by the factor the #cgo line defines.\nfunc Triple(x int) int { return int(C.scale(C.int(x))) }\n\n// Hypot calls libm through C.\nfunc Hypot(a, b float64) float64 { return float64(C.hyp(C.double(a), C.double(b))) }\n\n//export goName\nfunc goName() *C.char { return C.CString(\"cgo\") }\n\n// Greeting asks C, which asks Go.\nfunc Greeting() string { return C.GoString(C.greet()) }\n",
    ),
    ("calc/calc.h", "int scale(int x);\ndouble hyp(double a, double b);\nchar *greet(void);\n"),
    (
        "calc/calc.c",
        "#include <math.h>\n#include \"calc.h\"\n#include \"_cgo_export.h\"\n\nint scale(int x) { return x * FACTOR; }\ndouble hyp(double a, double b) { return sqrt(a * a + b * b); }\nchar *greet(void) { return goName(); }\n",
    ),
];

/// A temporary directory with a module written into it and its own GOCACHE; removed on drop.
struct Module {
    base: PathBuf,
    dir: PathBuf,
}

impl Module {
    fn new(tag: &str, files: &[(&str, &str)]) -> Module {
        let base = std::env::temp_dir().join(format!("buildlab-cgo-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dir = base.join("m");
        for (rel, text) in files {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Module { base, dir }
    }

    fn edit(&self, rel: &str, old: &str, new: &str) {
        let p = self.dir.join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(old), "{rel} has no {old:?}");
        std::fs::write(p, text.replacen(old, new, 1)).unwrap();
    }

    /// `buildlab ARGS` in the module (`GOCACHE` its own, `env` added).
    fn buildlab(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        self.run(
            Command::new(env!("CARGO_BIN_EXE_buildlab")),
            args,
            env,
            "gocache",
        )
    }

    /// The real `go ARGS` in the module, with a GOCACHE of its own.
    fn go(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        let mut c = Command::new(GO);
        c.env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "");
        self.run(c, args, env, "gocache-go")
    }

    fn run(
        &self,
        mut c: Command,
        args: &[&str],
        env: &[(&str, &str)],
        cache: &str,
    ) -> (i32, String) {
        let out = c
            .args(args)
            .current_dir(&self.dir)
            .env("GOCACHE", self.base.join(cache))
            .env_remove("CGO_ENABLED")
            .envs(env.iter().copied())
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }

    fn exe(&self, name: &str) -> String {
        let out = Command::new(self.dir.join(name))
            .output()
            .expect("run the binary");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn links(x: &str) -> usize {
    x.lines().filter(|l| l.contains("/link ")).count()
}

/// A cgo package of the module's own: cold, warm and after Go and C edits, Buildlab's real
/// toolchain compiles what go compiles, and its binary prints what go's prints.
#[test]
fn real_cgo_package_runs_and_rebuilds_as_go_does() {
    if !have_go_and_gcc() {
        return;
    }
    let lab = Module::new("calc-lab", CALC);
    let go = Module::new("calc-go", CALC);
    let (rc, out) = lab.buildlab(&["build", "--real", "-x", "."], &[]);
    assert_eq!(rc, 0, "{out}");
    let (grc, gout) = go.go(&["build", "-x", "."], &[]);
    assert_eq!(grc, 0, "{gout}");
    assert_eq!(lab.exe("cgocalc"), "42 5 cgo\n");
    assert_eq!(go.exe("cgocalc"), "42 5 cgo\n");
    assert_eq!(
        common::compiled(&out),
        common::compiled(&gout),
        "cold build: the package sets differ"
    );
    assert!(common::compiled(&out).contains(&"runtime/cgo".to_string()));
    // Warm with the binary in place: nothing runs, go prints only WORK=.
    let (rc, warm) = lab.buildlab(&["build", "--real", "-x", "."], &[]);
    assert_eq!((rc, warm.lines().count()), (0, 1), "{warm}");
    // A C edit recompiles the package using cgo and whatever go recompiles after it.
    for (file, old, new, prints) in [
        ("calc/calc.c", "x * FACTOR", "x * FACTOR + 1", "43 5 cgo\n"),
        ("calc/calc.go", "-DFACTOR=3", "-DFACTOR=2", "29 5 cgo\n"),
        (
            "main.go",
            "calc.Triple(14)",
            "calc.Triple(15)",
            "31 5 cgo\n",
        ),
    ] {
        lab.edit(file, old, new);
        go.edit(file, old, new);
        let (rc, out) = lab.buildlab(&["build", "--real", "-x", "."], &[]);
        assert_eq!(rc, 0, "{file}: {out}");
        let (grc, gout) = go.go(&["build", "-x", "."], &[]);
        assert_eq!(grc, 0, "{gout}");
        assert_eq!(
            common::compiled(&out),
            common::compiled(&gout),
            "after editing {file}"
        );
        assert_eq!((links(&out), links(&gout)), (1, 1), "after editing {file}");
        assert_eq!(lab.exe("cgocalc"), prints, "after editing {file}");
    }
}

/// What differs between two runs of the same build: build IDs, gcc's random seed (the action
/// ID), the work directory's number and the cache's file names (each side has its own cache).
fn normalise(text: &str, base: &Path) -> Vec<String> {
    let base = base.to_string_lossy();
    text.lines()
        .map(|line| {
            let line = line
                .replace(&format!("{base}/gocache-go"), "GOCACHE")
                .replace(&format!("{base}/gocache"), "GOCACHE");
            let mut words = Vec::new();
            let mut after_buildid = false;
            for w in line.split(' ') {
                let w = if after_buildid {
                    "ID".to_string()
                } else if w.starts_with("-frandom-seed=") {
                    "-frandom-seed=SEED".to_string()
                } else if w.starts_with("-buildid=") {
                    "-buildid=ID".to_string()
                } else if let Some(i) = w.find("GOCACHE/") {
                    format!("{}GOCACHE/FILE", &w[..i])
                } else if let Some(i) = w.find("/tmp/go-build") {
                    let rest = &w[i + "/tmp/go-build".len()..];
                    let digits =
                        rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                    format!("{}/tmp/go-buildN{}", &w[..i], &rest[digits..])
                } else {
                    w.to_string()
                };
                after_buildid = w == "-buildid";
                words.push(w);
            }
            words.join(" ")
        })
        .collect()
}

/// The first line where two transcripts differ, with its neighbours, for the failure message.
fn assert_same_lines(lab: &[String], go: &[String], what: &str) {
    let at = lab
        .iter()
        .zip(go)
        .position(|(a, b)| a != b)
        .unwrap_or(lab.len().min(go.len()));
    if at == lab.len() && at == go.len() {
        return;
    }
    let show = |v: &[String]| v[at.saturating_sub(3)..(at + 3).min(v.len())].join("\n");
    panic!(
        "{what}: line {} differs ({} lines against go's {})\nbuildlab:\n{}\ngo:\n{}",
        at + 1,
        lab.len(),
        go.len(),
        show(lab),
        show(go)
    );
}

/// The transcript of a package using cgo is go's, line for line: under `-n` the `cgo` command,
/// gcc's flag probes (`… || true`, which go prints and answers no under `-n`), each gcc
/// compile, `_cgo_main.c`, the `_cgo_.o` link and `cgo -dynimport`, then the compile listing
/// the generated files and `pack r` appending gcc's objects — runtime/cgo's and the module's
/// own; under `-x -a` the commands the real tools ran, with the flags gcc accepts. Build IDs,
/// the work directory's number and cache file names aside.
#[test]
fn real_cgo_transcript_is_go_s_line_for_line() {
    if !have_go_and_gcc() {
        return;
    }
    let m = Module::new("transcript", CALC);
    let (rc, lab) = m.buildlab(&["build", "--real", "-a", "-n", "."], &[]);
    assert_eq!(rc, 0, "{lab}");
    let (grc, go) = m.go(&["build", "-a", "-n", "."], &[]);
    assert_eq!(grc, 0, "{go}");
    for line in [
        " || true\n",
        "/cgo -objdir $WORK/b002/ -importpath example.com/cgocalc/calc \"-ldflags=\\\"-O2\\\" \\\"-g\\\" \\\"-lm\\\"\" -- -I $WORK/b002/ -O2 -g -DFACTOR=3 -Wall ./calc.go\n",
        "-o ./_x001.o -c _cgo_export.c\n",
        "/cgo -dynpackage calc -dynimport $WORK/b002/_cgo_.o -dynout $WORK/b002/_cgo_import.go\n",
    ] {
        assert!(go.contains(line), "go -n has no {line:?}");
    }
    assert_same_lines(&normalise(&lab, &m.base), &normalise(&go, &m.base), "-a -n");

    // go asks gcc about each flag once and keeps the answers in its cache; -x shows a probe only
    // while its answer is not there. Warm go's cache, then compare what runs, one at a time.
    let (grc, out) = m.go(&["build", "-o", "warm.bin", "."], &[]);
    assert_eq!(grc, 0, "{out}");
    let args = ["build", "-x", "-a", "-p", "1", "-o", "out.bin", "."];
    let (rc, lab) = m.buildlab(&[&args[..1], &["--real"], &args[1..]].concat(), &[]);
    assert_eq!(rc, 0, "{lab}");
    assert_eq!(m.exe("out.bin"), "42 5 cgo\n");
    let (grc, go) = m.go(&args, &[]);
    assert_eq!(grc, 0, "{go}");
    assert!(
        !go.contains(" || true"),
        "go's cache should hold gcc's answers: {go}"
    );
    assert!(
        go.contains("-ffile-prefix-map=$WORK/b002=/tmp/go-build"),
        "{go}"
    );
    assert_same_lines(
        &normalise(&lab, &m.base),
        &normalise(&go, &m.base),
        "-x -a -p 1",
    );

    // go hashes gcc's identity into the action ID of a package using cgo (`CC ID=` and gcc's
    // version line, gccToolID): so does the real toolchain (its why-rebuilt record keeps the
    // hashed lines), so that a gcc upgrade rebuilds the cgo packages.
    let gcc = Command::new("gcc")
        .args(["-###", "-x", "c", "-c", "-"])
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&gcc.stderr).into_owned();
    let version = text
        .lines()
        .find(|l| l.starts_with("gcc version "))
        .expect("gcc's version line");
    let records = m.base.join("gocache/buildlab/real/buildlab");
    let record: String = std::fs::read_dir(&records)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    // As the record's JSON spells the hashed line `CC ID="…"\n`.
    let hashed = format!("CC ID=\\\"{version}\\\"\\n");
    assert!(
        record.contains(&hashed),
        "no {hashed} in {}",
        records.display()
    );
    assert!(!record.contains("buildlab stand-in"));
}

/// A `#cgo` flag Buildlab's allow-list refuses is reported as go reports the flags its own list
/// refuses: `pkg: invalid flag in #cgo CFLAGS: …` after the work directory is made (go's own
/// error, not a tool's output under `# pkg`), and nothing after it.
#[test]
fn real_cgo_refused_flag_is_framed_as_go_frames_it() {
    if !have_go_and_gcc() {
        return;
    }
    let m = Module::new(
        "framing",
        &[
            ("go.mod", "module example.com/e\n\ngo 1.23\n"),
            (
                "main.go",
                "package main\n\n// #cgo CFLAGS: -fplugin=x.so\nimport \"C\"\n\nfunc main() {}\n",
            ),
        ],
    );
    let (grc, go) = m.go(&["build", "-x", "."], &[]);
    assert_eq!(grc, 1, "{go}");
    assert!(
        go.ends_with(
            "mkdir -p $WORK/b001/\nexample.com/e: invalid flag in #cgo CFLAGS: -fplugin=x.so\n"
        ),
        "{go}"
    );
    let (rc, lab) = m.buildlab(&["build", "--real", "-x", "."], &[]);
    assert_eq!(rc, 1, "{lab}");
    // Buildlab's std comes from its own cache: compare what the failing package prints.
    let tail = |t: &str| {
        t.lines()
            .rev()
            .take(2)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(tail(&lab), tail(&go), "buildlab:\n{lab}\ngo:\n{go}");
    let (rc, lab) = m.buildlab(&["build", "--real", "."], &[]);
    let (grc, go) = m.go(&["build", "."], &[]);
    assert_eq!((rc, lab.as_str()), (grc, go.as_str()));
}

/// A malformed `#cgo` line is go/build's error while loading: `FILE: invalid #cgo line: …`
/// with the file's absolute path, behind the importing file's position when the package is
/// imported; the simulated and the real toolchain load alike.
#[test]
fn real_cgo_malformed_lines_fail_while_loading_as_in_go() {
    if !Path::new(GO).is_file() {
        eprintln!("note: Go 1.23 is not installed; skipping");
        return;
    }
    for line in [
        "#cgo CFLAGS -x",
        "#cgo FOO: -x",
        "#cgo CFLAGS: -D`x`",
        "#cgo linux CFLAGS: \"-Dx",
    ] {
        let m = Module::new(
            "malformed",
            &[
                ("go.mod", "module example.com/e\n\ngo 1.23\n"),
                (
                    "main.go",
                    "package main\n\nimport _ \"example.com/e/sub\"\n\nfunc main() {}\n",
                ),
                (
                    "sub/s.go",
                    &format!("package sub\n\n// {line}\nimport \"C\"\n"),
                ),
            ],
        );
        for (dir, args) in [
            (".", &["build", "-n", "."][..]),
            ("sub", &["build", "-n", "."][..]),
            (".", &["build", "--real", "-n", "./sub"][..]),
        ] {
            let go_args: Vec<&str> = args.iter().copied().filter(|a| *a != "--real").collect();
            let sub = |mut c: Command| {
                c.current_dir(m.dir.join(dir));
                c
            };
            let mut lab = sub(Command::new(env!("CARGO_BIN_EXE_buildlab")));
            let lab = lab
                .args(args)
                .env("GOCACHE", m.base.join("gocache"))
                .output()
                .unwrap();
            let mut go = sub(Command::new(GO));
            let go = go
                .args(&go_args)
                .env("GOTOOLCHAIN", "local")
                .env("GOPROXY", "off")
                .env("GOFLAGS", "")
                .env("GOCACHE", m.base.join("gocache-go"))
                .output()
                .unwrap();
            let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
            assert_eq!(go.status.code(), Some(1), "{line} in {dir}: {}", text(&go));
            assert!(text(&go).contains("/sub/s.go: "), "{}", text(&go));
            assert_eq!(
                (lab.status.code(), text(&lab)),
                (go.status.code(), text(&go)),
                "{line}: buildlab {args:?} in {dir}"
            );
        }
    }
}

/// `CGO_ENABLED` is go's: `0` in the environment builds without cgo (a package made only of cgo
/// files then fails as go fails), unset or `1` builds with it; the binary records which.
#[test]
fn real_cgo_enabled_comes_from_the_environment_like_go() {
    if !have_go_and_gcc() {
        return;
    }
    let lab = Module::new("env-lab", CALC);
    let go = Module::new("env-go", CALC);
    let (rc, out) = lab.buildlab(&["build", "--real", "."], &[("CGO_ENABLED", "0")]);
    let (grc, gout) = go.go(&["build", "."], &[("CGO_ENABLED", "0")]);
    assert_eq!((rc, grc), (1, 1), "buildlab: {out}\ngo: {gout}");
    let first = |s: &str| {
        s.lines()
            .next()
            .unwrap_or("")
            .replace(&go.dir.to_string_lossy().into_owned(), "DIR")
    };
    assert_eq!(
        out.lines()
            .next()
            .unwrap_or("")
            .replace(&lab.dir.to_string_lossy().into_owned(), "DIR"),
        first(&gout)
    );
    let hello: &[(&str, &str)] = &[
        ("go.mod", "module example.com/hi\n\ngo 1.23\n"),
        (
            "main.go",
            "package main\n\nimport \"net\"\n\nfunc main() { println(net.IPv4len) }\n",
        ),
    ];
    let m = Module::new("env-hi", hello);
    for (env, want) in [
        (Some("0"), "build\tCGO_ENABLED=0"),
        (Some("1"), "build\tCGO_ENABLED=1"),
        (None, "build\tCGO_ENABLED=1"),
    ] {
        let vars: Vec<(&str, &str)> = env.map(|v| ("CGO_ENABLED", v)).into_iter().collect();
        let (rc, out) = m.buildlab(&["build", "--real", "-x", "."], &vars);
        assert_eq!(rc, 0, "{out}");
        let bin = std::fs::read(m.dir.join("hi")).unwrap();
        let text = String::from_utf8_lossy(&bin);
        assert!(
            text.contains(want),
            "CGO_ENABLED={env:?}: the binary's build info lacks {want:?}"
        );
        // runtime/cgo and net's cgo files are built only with cgo on (the cache may have them).
        let has_cgo = common::compiled(&out).contains(&"runtime/cgo".to_string());
        assert!(!(env == Some("0") && has_cgo), "cgo off built runtime/cgo");
        let run = Command::new(m.dir.join("hi")).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&run.stderr), "4\n");
    }
}

/// `#cgo` flags that could load a plugin, run or write through another tool, or read outside the
/// sources are refused before gcc runs, in go's words (`invalid flag in #cgo CFLAGS: …`), and
/// nothing is installed; a C compile error is gcc's own, exit status 1.
#[test]
fn real_cgo_refuses_unsafe_flags_and_reports_c_errors() {
    if !have_go_and_gcc() {
        return;
    }
    // One module and cache for every case: the standard library is built once.
    let m = Module::new("hostile", CALC);
    let orig = std::fs::read_to_string(m.dir.join("calc/calc.go")).unwrap();
    for (line, want) in [
        (
            "#cgo CFLAGS: -fplugin=/tmp/evil.so",
            "invalid flag in #cgo CFLAGS: -fplugin=/tmp/evil.so",
        ),
        ("#cgo CFLAGS: -I/etc", "invalid flag in #cgo CFLAGS: -I/etc"),
        (
            "#cgo LDFLAGS: -Wl,-rpath,/tmp",
            "invalid flag in #cgo LDFLAGS: -Wl,-rpath,/tmp",
        ),
        (
            "#cgo LDFLAGS: -L/var/lib",
            "invalid flag in #cgo LDFLAGS: -L/var/lib",
        ),
        (
            "#cgo CPPFLAGS: -include /etc/passwd",
            "invalid flag in #cgo CPPFLAGS: -include",
        ),
        (
            "#cgo CFLAGS: -I ../../../etc",
            "invalid flag in #cgo CFLAGS: -I",
        ),
        ("#cgo pkg-config: zlib", "#cgo pkg-config: not supported"),
    ] {
        std::fs::write(
            m.dir.join("calc/calc.go"),
            orig.replacen(
                "#cgo LDFLAGS: -lm",
                &format!("#cgo LDFLAGS: -lm\n{line}"),
                1,
            ),
        )
        .unwrap();
        let (rc, out) = m.buildlab(&["build", "--real", "-x", "."], &[]);
        assert_eq!(rc, 1, "{line}: {out}");
        assert!(out.contains(want), "{line}: {out}");
        assert!(
            !common::compiled(&out).contains(&"example.com/cgocalc/calc".to_string()),
            "{line}: {out}"
        );
        assert!(
            !m.dir.join("cgocalc").exists(),
            "{line}: a binary was installed"
        );
    }
    std::fs::write(m.dir.join("calc/calc.go"), &orig).unwrap();
    m.edit("calc/calc.c", "return x * FACTOR;", "return x * FACTOR");
    let (rc, out) = m.buildlab(&["build", "--real", "."], &[]);
    assert_eq!(rc, 1, "{out}");
    assert!(out.contains("# example.com/cgocalc/calc\n"), "{out}");
    assert!(out.contains("calc.c:5:") && out.contains("error"), "{out}");
    // Under -x, as go: the cgo commands up to the gcc that failed, then its report.
    let (rc, out) = m.buildlab(&["build", "--real", "-x", "."], &[]);
    assert_eq!(rc, 1, "{out}");
    let report = out
        .find("# example.com/cgocalc/calc\n")
        .expect("the report");
    let before: Vec<&str> = out[..report].lines().collect();
    assert!(
        before.last().is_some_and(|l| l.ends_with(" -c calc.c")),
        "{out}"
    );
    assert!(
        out.contains("-c calc.cgo2.c\n") && !out.contains("_cgo_main.c"),
        "{out}"
    );
}

/// The executor the page's exec and run routes share, under their conditions: the workspace
/// planned at a root where it is not (`/home/gopher/work`, as the API plans every workspace) and
/// mapped to the real copy, `realbuild::run` over a fresh store. With cgo on in the plan the
/// package's cgo and gcc steps run there too, and the binary prints.
#[test]
fn real_cgo_runs_through_the_routes_executor_at_the_planned_root() {
    use buildlab_core::actionid::WorkspaceFiles;
    use buildlab_core::build::Config;
    use buildlab_core::constraint::BuildContext;
    use buildlab_core::load::{load, LoadRequest};
    use buildlab_core::workspace::Workspace;
    use buildlab_helper::diskcache::{DiskCache, DiskFs};
    use buildlab_helper::realbuild::{run, Setup};

    if !have_go_and_gcc() {
        return;
    }
    let Ok(go) = buildlab_helper::godetect::detect(Some(Path::new(GO))) else {
        return;
    };
    const PLANNED: &str = "/home/gopher/work";
    let m = Module::new("routes", CALC);
    let mut ws = Workspace::new();
    for (rel, text) in CALC {
        ws.insert(rel, text.as_bytes().to_vec()).unwrap();
    }
    let mut ctx = BuildContext::new(&go.goos, &go.goarch);
    ctx.cgo_enabled = true;
    let req = LoadRequest {
        cwd: String::new(),
        ctx,
        goroot: go.goroot.clone(),
        module_root_display: PLANNED.into(),
        ..LoadRequest::default()
    };
    let loaded = load(&ws, &req).unwrap_or_else(|e| panic!("{e}"));
    let mut tc = buildlab_helper::cli::real_toolchain(&go, Some(2));
    tc.cgo_enabled = true;
    let plan = buildlab_core::plan::plan(loaded.input, &tc).unwrap();
    assert!(
        plan.build_action("runtime/cgo").is_some(),
        "cgo on plans runtime/cgo"
    );
    let work = m.base.join("work");
    let store = m.base.join("store");
    std::fs::create_dir_all(&work).unwrap();
    let mut cache = DiskCache::open(DiskFs::new(&store));
    let setup = Setup {
        tooldir: Path::new(&go.tooldir),
        work: &work,
        cache_root: &store,
        readable: vec![m.dir.clone(), PathBuf::from(&go.goroot)],
        src_map: Some((PLANNED, &m.dir)),
        timeout: std::time::Duration::from_secs(300),
        workers: 2,
        only: None,
    };
    let files = WorkspaceFiles {
        ws: &ws,
        root: plan.input().cwd.clone(),
    };
    let cfg = Config {
        workers: 2,
        work_dir: work.to_string_lossy().into_owned(),
        ..Config::default()
    };
    let out = run(
        &plan,
        &files,
        &mut cache,
        &Default::default(),
        None,
        cfg,
        &setup,
        &mut |_| {},
    );
    assert_eq!(
        out.result.exit_status,
        0,
        "{}",
        out.result.transcript.text()
    );
    let exe = out.exe.expect("the linked binary");
    let ran = Command::new(&exe).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "42 5 cgo\n");
    // The archive names the planned root, not the per-build copy, as the page's own plan does.
    let calc = plan.build_action("example.com/cgocalc/calc").unwrap();
    let hex = out
        .result
        .runs
        .iter()
        .find_map(|r| match (&r.outcome, r.action == calc) {
            (buildlab_core::transcript::RunOutcome::Ran { stored_as: Some(h) }, true) => {
                Some(h.clone())
            }
            _ => None,
        })
        .expect("calc ran and was stored");
    let archive = std::fs::read(buildlab_core::transcript::cache_file(
        &store.to_string_lossy(),
        &hex,
    ))
    .unwrap();
    let text = String::from_utf8_lossy(&archive);
    assert!(text.contains("/home/gopher/work/calc/calc.go"));
    // Nor do gcc's objects (cgo's //line and #line directives, gcc's debug info).
    assert!(
        !text.contains(&*m.dir.to_string_lossy()),
        "the archive names the per-build copy"
    );
}
