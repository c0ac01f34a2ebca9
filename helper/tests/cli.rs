//! The `buildlab` binary's go-like commands, run for real on temporary copies of
//! `tests/fixtures/*` with a temporary GOCACHE: output streams, exit statuses, the binary left in
//! place, the cache on disk and the record that lets a later build explain itself.

use std::path::{Path, PathBuf};
use std::process::Command;

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
        copy(&src, &module);
        Sandbox { base, module }
    }

    fn gocache(&self) -> PathBuf {
        self.base.join("gocache")
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_buildlab"))
            .args(args)
            .current_dir(&self.module)
            .env("GOCACHE", self.gocache())
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

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
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
    assert!(
        r.stderr.contains("package fmtx is not in std"),
        "{}",
        r.stderr
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
