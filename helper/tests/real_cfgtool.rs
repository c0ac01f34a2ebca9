//! The oracle's `cfgtool` case (real libraries; it imports `net`, so go builds `net` and
//! `runtime/cgo` with cgo on a machine with gcc) with the real toolchain: `buildlab build --real`
//! plans go's package set and work dirs, builds a binary that runs, and every edit of
//! `oracle/cfgtool/modify/summary.json` recompiles exactly the packages the real go recompiled,
//! with its link runs — the simulated toolchain's `core/tests/edits.rs` check, run for real.
//! Skipped (with a note) when Go 1.23 is not installed or the oracle's captures are absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn oracle() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracle");
    if !p.join("src/cfgtool/go.mod").is_file() || !p.join("cfgtool/modify/summary.json").is_file() {
        eprintln!("note: {} has no cfgtool captures; skipping", p.display());
        return None;
    }
    Some(p)
}

struct Case {
    base: PathBuf,
    module: PathBuf,
}

impl Case {
    fn run(&self, args: &[&str]) -> (i32, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_buildlab"))
            .args(args)
            .current_dir(&self.module)
            .env("GOCACHE", self.base.join("gocache"))
            .env_remove("CGO_ENABLED")
            .output()
            .expect("run buildlab");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// `(package → bNNN)` of every compile line (`compile -o $WORK/bNNN/_pkg_.a … -p PKG`).
fn work_dirs(x: &str) -> BTreeMap<String, String> {
    x.lines()
        .filter_map(|l| {
            let rest = l.split("/compile -o $WORK/").nth(1)?;
            let b = rest.split('/').next()?.to_string();
            let p = rest.split(" -p ").nth(1)?.split(' ').next()?.to_string();
            Some((p, b))
        })
        .collect()
}

#[test]
fn real_cfgtool_plans_builds_and_rebuilds_as_the_real_go() {
    if !Path::new("/usr/lib/go-1.23/bin/go").is_file() {
        eprintln!("note: Go 1.23 is not installed; skipping build --real");
        return;
    }
    let Some(oracle) = oracle() else { return };
    let base = std::env::temp_dir().join(format!("buildlab-real-cfgtool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let case = Case {
        module: base.join("cfgtool"),
        base,
    };
    common::copy_dir(&oracle.join("src/cfgtool"), &case.module);

    // The plan: go's package set (runtime/cgo and net's cgo files included) and work dirs.
    let (rc, plan) = case.run(&["build", "--real", "-n", "."]);
    assert_eq!(rc, 0, "{plan}");
    let want =
        work_dirs(&std::fs::read_to_string(oracle.join("cfgtool/build-x-cold.txt")).unwrap());
    assert_eq!(work_dirs(&plan), want, "work dirs differ from go's");
    assert_eq!(want.get("runtime/cgo").map(String::as_str), Some("b081"));

    let (rc, cold) = case.run(&["build", "--real", "."]);
    assert_eq!(rc, 0, "{cold}");
    let run = Command::new(case.module.join("cfgtool"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("--config string"),
        "{run:?}"
    );
    let bin = std::fs::read(case.module.join("cfgtool")).unwrap();
    assert!(String::from_utf8_lossy(&bin).contains("build\tCGO_ENABLED=1"));

    let edits: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(oracle.join("cfgtool/modify/summary.json")).unwrap(),
    )
    .unwrap();
    let mut failures = Vec::new();
    for e in &edits {
        let name = e["name"].as_str().unwrap();
        let file = case.module.join(e["file"].as_str().unwrap());
        let orig = std::fs::read_to_string(&file).unwrap();
        let new = e["new"].as_str().unwrap();
        match e["old"].as_str() {
            None if new.is_empty() => {
                let f = std::fs::File::options().write(true).open(&file).unwrap();
                f.set_modified(std::time::SystemTime::now()).unwrap();
            }
            None => std::fs::write(&file, format!("{orig}{new}")).unwrap(),
            Some(old) => std::fs::write(&file, orig.replacen(old, new, 1)).unwrap(),
        }
        let (rc, out) = case.run(&["build", "--real", "-x", "."]);
        let want: Vec<String> = e["compiled"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let links = out.lines().filter(|l| l.contains("/link ")).count() as u64;
        if rc != 0 || common::compiled(&out) != want || links != e["links"].as_u64().unwrap() {
            failures.push(format!(
                "{name}: compiled {:?} links {links} (exit {rc}); go: {want:?} links {}",
                common::compiled(&out),
                e["links"]
            ));
        }
        std::fs::write(&file, orig).unwrap();
        let (rc, out) = case.run(&["build", "--real", "."]);
        assert_eq!(rc, 0, "undoing {name}: {out}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
