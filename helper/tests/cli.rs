//! The `buildlab` binary's go-like commands, run for real on temporary copies of
//! `tests/fixtures/*` with a temporary GOCACHE: output streams, exit statuses, the binary left in
//! place, the cache on disk and the record that lets a later build explain itself.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

struct Sandbox {
    base: PathBuf,
    module: PathBuf,
}

impl Sandbox {
    fn new(fixture: &str, tag: &str) -> Sandbox {
        let base = std::env::temp_dir().join(format!("buildlab-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let module = base.join(fixture);
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(fixture)
            .join("src");
        common::copy_dir(&src, &module);
        Sandbox { base, module }
    }

    fn gocache(&self) -> PathBuf {
        self.base.join("gocache")
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// With more environment (e.g. `TMPDIR`).
    fn run_with(&self, args: &[&str], env: &[(&str, &Path)]) -> Run {
        self.run_in(&self.module, args, env)
    }

    /// In directory `dir` (the module's or one below it).
    fn run_in(&self, dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_buildlab"))
            .args(args)
            .current_dir(dir)
            .env("GOCACHE", self.gocache())
            .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
            .output()
            .expect("run buildlab");
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            status: out.status.code().unwrap_or(-1),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// The `-p` of each compile a `-x` run shows, in its order.
fn compiled_packages(r: &Run) -> Vec<String> {
    r.stderr
        .lines()
        .filter(|l| l.contains("/compile -o "))
        .filter_map(|l| l.split(" -p ").nth(1)?.split(' ').next().map(String::from))
        .collect()
}

fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn cli_multi_cold_warm_binremoved_forced() {
    let s = Sandbox::new("multi", "multi");
    let cold = s.run(&["build", "-x", "."]);
    assert_eq!(cold.status, 0, "{}", cold.stderr);
    assert_eq!(cold.stdout, "");
    assert!(cold.stderr.starts_with("WORK="));
    // go build -a -x . 2>&1 | grep -c compile: 59 with go1.23.5.
    assert_eq!(count(&cold.stderr, "compile"), 59);
    assert_eq!(count(&cold.stderr, "/link "), 1);
    let bin = s.module.join("multi");
    assert!(std::fs::read(&bin).unwrap().starts_with(b"#!/bin/sh\n"));
    assert!(s.gocache().join("README").is_file());
    assert!(
        std::fs::read_dir(s.gocache().join("buildlab"))
            .unwrap()
            .count()
            == 1
    );

    // Warm, binary in place: only WORK=.
    let warm = s.run(&["build", "-x", "."]);
    assert_eq!(warm.status, 0);
    assert_eq!(warm.stderr.lines().count(), 1, "{}", warm.stderr);
    let quiet = s.run(&["build", "."]);
    assert_eq!((quiet.status, quiet.stderr.as_str()), (0, ""));
    // -n prints its script on stderr, as go does.
    let n = s.run(&["build", "-n", "."]);
    assert_eq!(
        (n.status, n.stdout.as_str(), n.stderr.as_str()),
        (0, "", "touch multi\n")
    );

    // Binary removed: only the link.
    std::fs::remove_file(&bin).unwrap();
    let relink = s.run(&["build", "-x", "."]);
    assert_eq!(relink.status, 0);
    assert_eq!(count(&relink.stderr, "/compile "), 0);
    assert_eq!(count(&relink.stderr, "/link "), 1);
    assert!(relink.stderr.contains("\nmv $WORK/b001/exe/a.out multi\n"));
    assert!(bin.is_file());

    // -a: every compile again; -o writes elsewhere.
    let forced = s.run(&["build", "-a", "-x", "-o", "out/m", "."]);
    assert_eq!(forced.status, 0, "{}", forced.stderr);
    assert_eq!(count(&forced.stderr, "compile"), 59);
    assert!(s.module.join("out/m").is_file());

    // An edit rebuilds what go rebuilds: one code byte in util → util, internal/a, main, link.
    let util = s.module.join("util/util.go");
    let text = std::fs::read_to_string(&util).unwrap();
    std::fs::write(&util, format!("{text}\nfunc Extra() int {{ return 1 }}\n")).unwrap();
    let edited = s.run(&["build", "-x", "."]);
    assert_eq!(edited.status, 0);
    assert!(
        count(&edited.stderr, "-p example.com/multi/util ") == 1,
        "{}",
        edited.stderr
    );
    assert_eq!(count(&edited.stderr, "/link "), 1);

    // clean -cache empties the cache: every package compiles again, except main: the binary in
    // place already holds it and relinking would give the same binary (go's main-package
    // pseudo-cache), so neither main nor the link runs.
    let clean = s.run(&["clean", "-cache"]);
    assert_eq!(
        (clean.status, clean.stdout.as_str(), clean.stderr.as_str()),
        (0, "", "")
    );
    assert!(s.gocache().join("README").is_file());
    let after = s.run(&["build", "-x", "."]);
    assert_eq!(count(&after.stderr, "/compile -o"), 57);
    assert_eq!(count(&after.stderr, "-p main "), 0);
    assert_eq!(count(&after.stderr, "/link "), 0);
}

#[test]
fn cli_env_real_and_flag_errors() {
    let s = Sandbox::new("hello", "env");
    let env = s.run(&["env", "GOCACHE"]);
    assert_eq!(env.stdout, format!("{}\n", s.gocache().display()));
    // --real without a usable Go says why and exits 2.
    let real = Command::new(env!("CARGO_BIN_EXE_buildlab"))
        .args(["build", "--real", "."])
        .current_dir(&s.module)
        .env("GOCACHE", s.gocache())
        .env("BUILDLAB_GO", "/nonexistent/go")
        .output()
        .unwrap();
    assert_eq!(real.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&real.stderr);
    assert!(stderr.contains("/nonexistent/go: not found"), "{stderr}");
    let bad = s.run(&["build", "-foo"]);
    assert_eq!(bad.status, 2);
    assert!(bad
        .stderr
        .starts_with("flag provided but not defined: -foo\n"));
    let p0 = s.run(&["build", "-p", "0"]);
    assert_eq!(
        (p0.status, p0.stderr.as_str()),
        (1, "go: -p must be a positive integer: 0\n")
    );
    // -mod: a value go does not know, exit 1 before WORK=; the known ones build hello as a
    // plain build does (no vendor directory, nothing to look up).
    let bogus = s.run(&["build", "-x", "-mod=bogus"]);
    assert_eq!(
        (bogus.status, bogus.stderr.as_str()),
        (
            1,
            "-mod=bogus not supported (can be '', 'mod', 'readonly', or 'vendor')\n"
        )
    );
    for m in ["-mod=mod", "-mod=readonly", "-mod=vendor"] {
        let r = s.run(&["build", m]);
        assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{m}");
    }
    // A pattern that matches nothing: go 1.23.5 warns, builds nothing and succeeds.
    let none = s.run(&["build", "-x", "std/..."]);
    assert_eq!(none.status, 0, "{}", none.stderr);
    // go's builder prints `WORK=` before it loads: the warning comes after it.
    let (work, rest) = none.stderr.split_once('\n').unwrap();
    assert!(work.starts_with("WORK=/"), "{}", none.stderr);
    assert_eq!(rest, "go: warning: \"std/...\" matched no packages\n");
    // go 1.23.5's words, the -o value as given.
    let m = Sandbox::new("multi", "env-o");
    let two = m.run(&["build", "-o", "out/x", "./...", "fmt"]);
    assert_eq!(
        (two.status, two.stderr.as_str()),
        (
            1,
            "go: cannot write multiple packages to non-directory out/x\n"
        )
    );
}

#[test]
fn cli_syntax_error_exits_1_with_go_output() {
    let s = Sandbox::new("hello", "syntax");
    std::fs::write(
        s.module.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"x\" }\n",
    )
    .unwrap();
    let r = s.run(&["build", "."]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.ends_with(
            "\n./main.go:5:31: syntax error: unexpected } in argument list; possibly missing comma or )\n"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.starts_with("# "));
}

#[test]
fn cli_load_errors_exit_1() {
    let s = Sandbox::new("hello", "load");
    std::fs::write(
        s.module.join("main.go"),
        "package main\n\nimport \"fmtx\"\n",
    )
    .unwrap();
    let r = s.run(&["build", "."]);
    assert_eq!(r.status, 1);
    let error = r.stderr.as_str();
    assert!(
        error.starts_with("main.go:3:8: package fmtx is not in std (")
            && error.ends_with("/src/fmtx)\n"),
        "{error}"
    );
    assert_eq!(error.lines().count(), 1, "{error}");
    // Under -x (and -work, not -n) go 1.23.5 prints `WORK=` first: its builder made the work
    // directory before loading.
    let x = s.run(&["build", "-x", "."]);
    let (work, rest) = x.stderr.split_once('\n').unwrap();
    assert!(work.starts_with("WORK=/"), "{}", x.stderr);
    assert_eq!((x.status, rest), (1, error));
    assert_eq!(s.run(&["build", "-n", "-x", "."]).stderr, error);
}

/// Directories named on the command line are judged as go judges them, from the disk: missing
/// (`stat`), empty or without Go files, outside the main module (shown by go's ShortPath),
/// and an empty directory's `...` matches nothing. Texts from go 1.23.5 in the same layout.
#[test]
fn cli_directories_missing_empty_or_outside_the_module() {
    let s = Sandbox::new("hello", "dirs");
    std::fs::create_dir_all(s.module.join("empty")).unwrap();
    std::fs::create_dir_all(s.base.join("outside-empty")).unwrap();
    std::fs::create_dir_all(s.base.join("outside-go")).unwrap();
    std::fs::write(s.base.join("outside-go/x.go"), "package x\n").unwrap();
    let base = s.base.to_string_lossy().into_owned();
    let module = s.module.to_string_lossy().into_owned();
    let cases: Vec<(String, String, i32)> = vec![
        ("./empty".into(), format!("no Go files in {module}/empty\n"), 1),
        ("./absent".into(), format!("stat {module}/absent: directory not found\n"), 1),
        ("./empty/...".into(), "go: warning: \"./empty/...\" matched no packages\n".into(), 0),
        ("../outside-empty".into(), format!("no Go files in {base}/outside-empty\n"), 1),
        ("../absent".into(), format!("stat {base}/absent: directory not found\n"), 1),
        (
            "../outside-go".into(),
            "directory ../outside-go outside main module or its selected dependencies\n".into(),
            1,
        ),
        (
            format!("{base}/outside-go"),
            "directory ../outside-go outside main module or its selected dependencies\n".into(),
            1,
        ),
    ];
    for (pat, want, status) in cases {
        let r = s.run(&["build", &pat]);
        assert_eq!((r.status, r.stderr.as_str()), (status, want.as_str()), "go build {pat}");
    }
}

/// From a package's own directory, the build reads the package's files where the workspace
/// holds them (it hashed nothing before: an edit there rebuilt nothing), and the compile's
/// checks see them: go's `./util.go` names, as go prints them from there.
#[test]
fn cli_in_a_package_directory_sees_its_files() {
    let s = Sandbox::new("multi", "subdir");
    let util = s.module.join("util");
    let build = |args: &[&str]| s.run_in(&util, args, &[]);
    let r = build(&["build", "-v", "."]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.lines().any(|l| l == "example.com/multi/util"), "{}", r.stderr);
    let path = util.join("util.go");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\nfunc Added() int {{ return 1 }}\n")).unwrap();
    let r = build(&["build", "-v", "."]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.lines().any(|l| l == "example.com/multi/util"), "the edit rebuilds util: {}", r.stderr);
    std::fs::write(&path, format!("{text}\nfunc Added() {{ x := 1 }}\n")).unwrap();
    let r = build(&["build", "."]);
    assert_eq!(r.status, 1);
    let line = text.lines().count() + 2;
    assert_eq!(
        r.stderr,
        format!("# example.com/multi/util\n./util.go:{line}:16: declared and not used: x\n")
    );
}

#[test]
fn cli_real_toolchain_cold_warm_and_relink() {
    if !Path::new("/usr/lib/go-1.23/bin/go").is_file() {
        eprintln!("note: Go 1.23 is not installed; skipping build --real");
        return;
    }
    let s = Sandbox::new("hello", "real");
    let cold = s.run(&["build", "--real", "-x", "."]);
    assert_eq!(cold.status, 0, "{}", cold.stderr);
    assert!(count(&cold.stderr, "/compile -o") > 10);
    assert!(
        s.gocache().join("buildlab/real/README").is_file(),
        "real archives have their own store"
    );
    let out = Command::new(s.module.join("hello")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    // Warm with the binary in place: go prints only WORK=.
    let warm = s.run(&["build", "--real", "-x", "."]);
    assert_eq!(warm.status, 0);
    assert_eq!(warm.stderr.lines().count(), 1, "{}", warm.stderr);
    assert!(warm.stderr.starts_with("WORK="));
    // The binary removed: a relink only.
    std::fs::remove_file(s.module.join("hello")).unwrap();
    let relink = s.run(&["build", "--real", "-x", "."]);
    assert_eq!(count(&relink.stderr, "/compile -o"), 0);
    assert_eq!(count(&relink.stderr, "/link "), 1);
    let out = Command::new(s.module.join("hello")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
}

/// `build --real` takes `CGO_ENABLED` from the environment as go does (real cgo builds are
/// tested in `real_cgo.rs`): `1` and `0` both build, and the binary's build info records which.
#[test]
fn cli_real_cgo_enabled_from_the_environment() {
    if !Path::new("/usr/lib/go-1.23/bin/go").is_file() {
        eprintln!("note: Go 1.23 is not installed; skipping build --real");
        return;
    }
    let s = Sandbox::new("hello", "cgo1");
    for v in ["1", "0"] {
        let val = PathBuf::from(v);
        let r = s.run_with(&["build", "--real", "."], &[("CGO_ENABLED", val.as_path())]);
        assert_eq!(r.status, 0, "CGO_ENABLED={v}: {}", r.stderr);
        let bin = std::fs::read(s.module.join("hello")).unwrap();
        let info = format!("build\tCGO_ENABLED={v}");
        assert!(
            String::from_utf8_lossy(&bin).contains(&info),
            "CGO_ENABLED={v}: no {info:?} in the binary"
        );
        let out = Command::new(s.module.join("hello")).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    }
}

/// `-o DIR/` makes the directory and installs the binary in it under its default name, as go
/// does, with the real tools (whose executor leaves the install's mkdir to the driver) and the
/// simulated ones; a warm build with it in place links nothing.
/// The simulated build reads `CGO_ENABLED` as go does: with `0` a package whose only file
/// imports "C" has no files left (go 1.23's words), with `1` (or unset: the simulated machine
/// has gcc) it builds with cgo's steps.
#[test]
fn cli_simulated_cgo_enabled_from_the_environment() {
    let s = Sandbox::new("cgo", "cgo-env");
    let off = s.run_with(&["build", "-n", "."], &[("CGO_ENABLED", Path::new("0"))]);
    assert_eq!(off.status, 1, "{}", off.stderr);
    let want = format!(
        "package example.com/cgocalc\n\timports example.com/cgocalc/calc: build constraints \
         exclude all Go files in {}\n",
        s.module.join("calc").display()
    );
    assert_eq!(off.stderr, want);
    for on in [Some("1"), None, Some("yes")] {
        let env: Vec<(&str, &Path)> = on.iter().map(|v| ("CGO_ENABLED", Path::new(v))).collect();
        let run = s.run_with(&["build", "-n", "."], &env);
        assert_eq!(run.status, 0, "{on:?}: {}", run.stderr);
        assert!(
            count(&run.stderr, "/cgo -objdir") >= 1,
            "{on:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn cli_o_dir_installs_into_the_directory() {
    let real = Path::new("/usr/lib/go-1.23/bin/go").is_file();
    let s = Sandbox::new("hello", "odir");
    for (args, dir) in [
        (vec!["build", "-o", "sim/", "."], "sim"),
        (vec!["build", "--real", "-o", "bin/", "."], "bin"),
    ] {
        if args.contains(&"--real") && !real {
            eprintln!("note: Go 1.23 is not installed; skipping build --real -o");
            continue;
        }
        let r = s.run(&args);
        assert_eq!(r.status, 0, "{args:?}: {}", r.stderr);
        assert!(s.module.join(dir).join("hello").is_file(), "{args:?}");
        let mut again = args.clone();
        again.insert(1, "-x");
        let warm = s.run(&again);
        assert_eq!(warm.status, 0, "{}", warm.stderr);
        assert_eq!(
            count(&warm.stderr, "/link "),
            0,
            "{args:?}: {}",
            warm.stderr
        );
    }
    if real {
        let out = Command::new(s.module.join("bin/hello")).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    }
}

#[test]
fn cli_never_replaces_dev_null_or_other_special_files() {
    use std::os::unix::fs::FileTypeExt;
    let s = Sandbox::new("hello", "devnull");
    // go build -o /dev/null builds and discards; /dev/null must stay the character device.
    let r = s.run(&["build", "-o", "/dev/null", "."]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    // go 1.23.5 links in $WORK and installs nothing (runBuild clears a null -o): no move.
    let n = s.run(&["build", "-n", "-o", "/dev/null", "."]);
    assert_eq!(n.status, 0, "{}", n.stderr);
    assert!(
        n.stderr.contains("/link -o $WORK/b001/exe/a.out "),
        "{}",
        n.stderr
    );
    assert!(
        !n.stderr.contains("/dev/null") && !n.stderr.contains("\nmv "),
        "{}",
        n.stderr
    );
    // A FIFO (or any non-regular file) in the way is refused, not renamed over.
    let fifo = s.module.join("out.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let r = s.run(&["build", "-o", "out.fifo", "."]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn cli_unused_import_fails_like_go() {
    // errors.txt, typeerr: the simulation reports go's first line; the type mismatch after it
    // is beyond the simulation (the page says so).
    let s = Sandbox::new("hello", "typeerr");
    std::fs::write(
        s.module.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Println(1) }\n",
    )
    .unwrap();
    let r = s.run(&["build", "."]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr
            .ends_with("\n./main.go:5:2: \"os\" imported and not used\n"),
        "{}",
        r.stderr
    );
}

/// The oracle's capture, if present.
fn oracle(rel: &str) -> Option<String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/oracle")
        .join(rel);
    let text = std::fs::read_to_string(&p).ok();
    if text.is_none() {
        eprintln!("note: {} absent; skipping the comparison", p.display());
    }
    text
}

/// Every path under `root`, relative (`./b001/importcfg`), sorted as `find | sort` in the C
/// locale sorts them.
fn find(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let r = format!("{rel}/{}", e.file_name().to_string_lossy());
            out.push(r.clone());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &r, out);
            }
        }
    }
    let mut out = vec![".".to_string()];
    walk(root, ".", &mut out);
    out.sort();
    out
}

/// The work directories (`go-build…`) in `tmp`.
fn work_dirs(tmp: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("go-build")
        })
        .collect();
    v.sort();
    v
}

/// `build -work` prints `WORK=` and leaves a real `$WORK` under the temporary directory with
/// the layout the real go leaves (`multi/work-dir-cold-trimmed.txt`: the same paths, the same
/// importcfg and importcfg.link texts, go_asm.h's first line); without `-work`, and under `-n`,
/// nothing is left behind.
#[test]
fn cli_work_keeps_go_s_tree_on_disk() {
    let s = Sandbox::new("multi", "work");
    let tmp = s.base.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let env = [("TMPDIR", tmp.as_path())];

    let kept = s.run_with(&["build", "-work", "."], &env);
    assert_eq!(kept.status, 0, "{}", kept.stderr);
    let dirs = work_dirs(&tmp);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let work = &dirs[0];
    assert_eq!(kept.stderr, format!("WORK={}\n", work.display()));
    let listing = find(work);
    for want in [
        "./b001/importcfg.link",
        "./b001/exe",
        "./b002/go_asm.h",
        "./b002/symabis",
    ] {
        assert!(listing.iter().any(|p| p == want), "{want} in {listing:?}");
    }
    assert!(std::fs::metadata(work.join("b002/_pkg_.a")).unwrap().len() > 0);
    assert!(
        !work.join("b001/exe/a.out").exists(),
        "the binary was moved out"
    );
    assert!(s.module.join("multi").is_file());

    if let Some(real) = oracle("multi/work-dir-cold-trimmed.txt") {
        let real_work = real.lines().next().unwrap().strip_prefix("WORK=").unwrap();
        let real_paths: Vec<String> = real
            .lines()
            .skip_while(|l| *l != "== find (sorted)")
            .skip(1)
            .take_while(|l| !l.starts_with("== "))
            .map(String::from)
            .collect();
        assert_eq!(listing, real_paths, "the find listing of $WORK");
        // The texts cmd/go writes itself, with our $WORK for go's.
        let mut compared = 0;
        for section in real.split("==== ./").skip(1) {
            let (rel, text) = section.split_once('\n').unwrap();
            let ours = std::fs::read_to_string(work.join(rel)).unwrap();
            let theirs = text.replace(real_work, &work.to_string_lossy());
            if rel.ends_with("importcfg") || rel.ends_with("importcfg.link") {
                assert_eq!(ours, theirs, "{rel}");
                compared += 1;
            } else if rel.ends_with("go_asm.h") {
                assert_eq!(ours.lines().next(), theirs.lines().next(), "{rel}");
            }
        }
        assert!(compared >= 50, "{compared} importcfg files compared");
    }

    // Without -work the simulation leaves nothing; -n -work neither.
    std::fs::remove_file(s.module.join("multi")).unwrap();
    let plain = s.run_with(&["build", "-x", "-a", "."], &env);
    assert_eq!(plain.status, 0, "{}", plain.stderr);
    assert!(plain.stderr.starts_with("WORK="));
    let dry = s.run_with(&["build", "-n", "-work", "."], &env);
    assert_eq!(dry.status, 0, "{}", dry.stderr);
    assert!(!dry.stderr.contains("WORK="));
    assert_eq!(work_dirs(&tmp), dirs);
}

/// `build -v` prints each compiled package's import path on stderr, as go does: every package
/// but `unsafe` on a cold cache, nothing on a warm one or for a relink; with `-x` each path
/// before its package's commands.
#[test]
fn cli_v_names_compiled_packages() {
    let s = Sandbox::new("multi", "verbose");
    let cold = s.run(&["build", "-v", "."]);
    assert_eq!(cold.status, 0, "{}", cold.stderr);
    assert_eq!(cold.stdout, "");
    let mut got: Vec<&str> = cold.stderr.lines().collect();
    got.sort();
    assert_eq!(got.len(), 58, "{got:?}");
    for p in [
        "example.com/multi",
        "example.com/multi/util",
        "fmt",
        "runtime",
        "internal/goarch",
    ] {
        assert!(got.contains(&p), "{p}");
    }
    assert!(!got.contains(&"unsafe"));
    let warm = s.run(&["build", "-v", "."]);
    assert_eq!((warm.status, warm.stderr.as_str()), (0, ""));
    std::fs::remove_file(s.module.join("multi")).unwrap();
    let relink = s.run(&["build", "-v", "."]);
    assert_eq!((relink.status, relink.stderr.as_str()), (0, ""));
    let x = s.run(&["build", "-v", "-x", "-a", "-p", "1", "."]);
    let lines: Vec<&str> = x.stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "example.com/multi/util")
        .unwrap();
    assert_eq!(lines[at + 1], "mkdir -p $WORK/b004/");
    assert_eq!(count(&x.stderr, "/compile -o"), 58);
}

/// `-p 2` interleaves the commands of the two workers' actions, as go's `-x` does; `-p 1`
/// prints each action's commands together.
#[test]
fn cli_x_interleaves_at_p2() {
    let s = Sandbox::new("multi", "interleave");
    // Each work directory's lines, in order; an action is split when another's come between.
    let split = |text: &str| -> usize {
        let owners: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let i = l.find("$WORK/b")?;
                Some(l[i + 6..i + 10].to_string())
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut split = std::collections::HashSet::new();
        for (i, o) in owners.iter().enumerate() {
            if i > 0 && owners[i - 1] != *o && !seen.insert(o.clone()) {
                split.insert(o.clone());
            }
            seen.insert(o.clone());
        }
        split.len()
    };
    let p2 = s.run(&["build", "-x", "-p", "2", "."]);
    assert_eq!(p2.status, 0, "{}", p2.stderr);
    let p1 = s.run(&["build", "-x", "-a", "-p", "1", "."]);
    assert_eq!(p1.status, 0, "{}", p1.stderr);
    assert_eq!(
        count(&p2.stderr, "/compile -o"),
        count(&p1.stderr, "/compile -o")
    );
    assert!(split(&p2.stderr) > 10, "{}", p2.stderr);
    // At -p 1 only b001 (compile, link, install share it) comes back.
    assert!(split(&p1.stderr) <= 1, "{}", p1.stderr);
}

/// Every fixture's `build -n` on a cold cache is the real go's as `capture-fixtures.py`
/// captured it (`expect/build-n.txt`: the module directory as `$SRC`, build IDs as `BUILDID`),
/// line for line. The cgo fixture's has runtime/cgo's and the module's cgo steps — the `cgo`
/// command with its flags, gcc's probes (go prints them under `-n` and takes every answer as
/// no), each gcc compile, the `_cgo_.o` link, `cgo -dynimport`, the compile listing the
/// generated files and `pack r` appending gcc's objects; the embed fixture's an embedcfg with
/// Go's JSON escapes (`assets/a\u0026b.css`).
#[test]
fn cli_fixture_dry_runs_are_go_s() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| fixtures.join(n).join("expect/build-n.txt").is_file())
        .collect();
    names.sort();
    assert!(
        names.len() >= 9 && names.iter().any(|n| n == "cgo"),
        "{names:?}"
    );
    for name in &names {
        let sb = Sandbox::new(name, &format!("{name}-n"));
        let rundir = std::fs::read_to_string(fixtures.join(name).join("rundir")).unwrap();
        // The fixture's package arguments (`args`), `.` without them.
        let args = std::fs::read_to_string(fixtures.join(name).join("args"))
            .unwrap_or_else(|_| ".".into());
        let out = Command::new(env!("CARGO_BIN_EXE_buildlab"))
            .args(["build", "-n"])
            .args(args.split_whitespace())
            .current_dir(sb.module.join(rundir.trim()))
            .env("GOCACHE", sb.gocache())
            .env("CGO_ENABLED", "1")
            .output()
            .expect("run buildlab");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text =
            String::from_utf8_lossy(&out.stderr).replace(&*sb.module.to_string_lossy(), "$SRC");
        // `-buildid ID` and `-buildid=ID` as the capture writes them.
        let got: Vec<String> = text
            .lines()
            .map(|l| {
                let mut words: Vec<String> = Vec::new();
                for w in l.split(' ') {
                    let w = if words.last().is_some_and(|p| p == "-buildid") && w != "-w" {
                        "BUILDID".to_string()
                    } else if w.starts_with("-buildid=") {
                        "-buildid=BUILDID".to_string()
                    } else {
                        w.to_string()
                    };
                    words.push(w);
                }
                words.join(" ")
            })
            .collect();
        let want_text =
            std::fs::read_to_string(fixtures.join(name).join("expect/build-n.txt")).unwrap();
        let want: Vec<&str> = want_text.lines().collect();
        if name == "cgo" {
            assert!(want.iter().any(|l| l.ends_with(" || true")));
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{name}: line {}", i + 1);
        }
        assert_eq!(got.len(), want.len(), "{name}");
    }
}

/// `-tags`, `-trimpath` and `-gcflags` are part of what is built: a warm build with the same
/// flags runs nothing, a different tag set recompiles the package whose files it changes (and
/// the link), `-trimpath` every package (go hashes it into every compile); a tag std's own
/// constraints test is refused (the std graph has std's files for the default tags only).
#[test]
fn cli_build_settings_change_what_is_rebuilt() {
    let s = Sandbox::new("buildflags", "settings");
    let compiled = compiled_packages;
    let cold = s.run(&["build", "-x", "-tags=pro", "."]);
    assert_eq!(cold.status, 0, "{}", cold.stderr);
    assert!(cold.stderr.contains("./edition/pro.go"), "{}", cold.stderr);
    assert!(!cold.stderr.contains("./edition/free.go"));
    let warm = s.run(&["build", "-x", "-tags=pro", "."]);
    assert_eq!(
        (warm.status, compiled(&warm)),
        (0, Vec::<String>::new()),
        "{}",
        warm.stderr
    );
    // Without the tag: edition builds from free.go; main's build info changed (no -tags line).
    let untagged = s.run(&["build", "-x", "."]);
    assert_eq!(
        compiled(&untagged),
        ["example.com/buildflags/edition", "main"],
        "{}",
        untagged.stderr
    );
    assert!(untagged.stderr.contains("./edition/free.go"));
    // -gcflags for one package: that package and main (whose build info records the flag).
    let gc = s.run(&["build", "-x", "-gcflags=./asmsum=-N", "."]);
    assert_eq!(
        compiled(&gc),
        ["example.com/buildflags/asmsum", "main"],
        "{}",
        gc.stderr
    );
    assert!(
        gc.stderr.contains("-c=2 -N -nolocalimports"),
        "{}",
        gc.stderr
    );
    // -trimpath: every package again, std's included.
    let trim = s.run(&["build", "-x", "-trimpath", "."]);
    assert!(compiled(&trim).len() > 40, "{}", trim.stderr);
    assert!(trim.stderr.contains("GOROOT='' "), "{}", trim.stderr);
    let netgo = s.run(&["build", "-tags=pro,netgo", "."]);
    assert_eq!(
        (netgo.status, netgo.stderr.as_str()),
        (
            1,
            "buildlab: -tags netgo: the standard library builds other files under this tag, and \
             Buildlab's std graph (go1.23.5) has them for the default tags only\n"
        )
    );
}

/// A package's flags reach its object as they reach go's: after `-gcflags=P=-N` (other code)
/// P's importers recompile, as go 1.23.5 recompiles them; after `-gcflags=P=-m` (diagnostics
/// only) the object is the same and only P (its action ID has the flag) and main (its build
/// info) do.
#[test]
fn cli_gcflags_that_change_the_code_rebuild_the_importers() {
    let s = Sandbox::new("multi", "gcflags");
    let compiled = |r: &Run| {
        let mut v = compiled_packages(r);
        v.sort();
        v
    };
    assert_eq!(s.run(&["build", "-o", "/dev/null", "."]).status, 0);
    let n = s.run(&[
        "build",
        "-x",
        "-o",
        "/dev/null",
        "-gcflags=example.com/multi/util=-N",
        ".",
    ]);
    assert_eq!(
        compiled(&n),
        [
            "example.com/multi/internal/a",
            "example.com/multi/util",
            "main"
        ],
        "{}",
        n.stderr
    );
    let m = s.run(&[
        "build",
        "-x",
        "-o",
        "/dev/null",
        "-gcflags=example.com/multi/util=-m",
        ".",
    ]);
    assert_eq!(
        compiled(&m),
        ["example.com/multi/util", "main"],
        "{}",
        m.stderr
    );
}

/// `go build main.go` in a directory outside any module builds (the named files' package, with
/// no module: its build info a `path` line and no `mod` line, as go 1.23.5's), while `go build
/// .` there is go's "go.mod file not found".
#[test]
fn cli_named_files_build_outside_a_module() {
    let base = std::env::temp_dir().join(format!("buildlab-cli-nomod-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(
        base.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_buildlab"))
            .args(args)
            .current_dir(&base)
            .env("GOCACHE", base.join("gocache"))
            .output()
            .expect("run buildlab");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (status, text) = run(&["build", "-n", "main.go"]);
    assert_eq!(status, 0, "{text}");
    assert!(
        text.contains("modinfo \"0w\\xaf\\f\\x92t\\b\\x02A\\xe1\\xc1\\a\\xe6\\xd6\\x18\\xe6path\\tcommand-line-arguments\\nbuild\\t-buildmode=exe\\n"),
        "{text}"
    );
    assert!(text.contains("mv $WORK/b001/exe/a.out main\n"), "{text}");
    let (status, text) = run(&["build", "main.go"]);
    assert_eq!((status, text.as_str()), (0, ""));
    assert!(base.join("main").is_file());
    let (status, text) = run(&["build", "."]);
    assert_eq!(
        (status, text.as_str()),
        (
            1,
            "go: go.mod file not found in current directory or any parent directory; see 'go help modules'\n"
        )
    );
    let _ = std::fs::remove_dir_all(&base);
}
