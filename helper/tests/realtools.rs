//! Builds fixture modules with the real Go tools, running the argv of Buildlab's own plan, and
//! runs the binaries. This is the strongest check that the plan's command lines are go's.
//! Skipped, with a note, when Go 1.23 is not installed (`./dev test` installs it).

use buildlab_core::constraint::BuildContext;
use buildlab_core::load::{load, LoadRequest};
use buildlab_core::plan::{self, Mode, Toolchain};
use buildlab_core::transcript::serial_order;
use buildlab_core::workspace::Workspace;
use buildlab_helper::godetect;
use buildlab_helper::realtools::{run_action, ExecContext, Internal};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

fn fixture(name: &str) -> (PathBuf, Workspace) {
    let dst = std::env::temp_dir().join(format!("buildlab-real-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dst);
    common::copy_fixture(name, dst)
}

/// 20 base64-ish characters, as go's build ID halves are.
fn id_half(n: usize) -> String {
    format!("{n:0>20}")
}

fn build_and_run(name: &str, want_stdout: &str) {
    let Ok(go) = godetect::detect(Some(Path::new("/usr/lib/go-1.23/bin/go"))) else {
        eprintln!("note: Go 1.23 is not installed; skipping the real-tools build of {name}");
        return;
    };
    let (dir, ws) = fixture(name);
    let mut ctx = BuildContext::new("linux", "amd64");
    ctx.cgo_enabled = false;
    let req = LoadRequest {
        ctx,
        goroot: go.goroot.clone(),
        module_root_display: dir.to_string_lossy().into_owned(),
        ..LoadRequest::default()
    };
    let loaded = load(&ws, &req).unwrap_or_else(|e| panic!("{e}"));
    let tc = Toolchain { goroot: go.goroot.clone(), version: go.version.clone(), cgo_enabled: false, ..Toolchain::default() };
    let plan = plan::plan(loaded.input, &tc).unwrap();
    let work = dir.with_extension("work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let mut archives = HashMap::new();
    let mut exe = None;
    for a in serial_order(&plan) {
        let act = plan.action(a);
        let id = format!("{}/{}", id_half(act.priority), id_half(act.priority));
        let link_id = format!("{id}/{id}");
        let cx = ExecContext {
            work: &work,
            tooldir: Path::new(&go.tooldir),
            readable: vec![dir.clone(), PathBuf::from(&go.goroot)],
            archives: &archives,
            build_id: if act.mode == Mode::Link { &link_id } else { &id },
            timeout: Duration::from_secs(120),
            src_map: None,
            internal: Internal::InProcess,
        };
        let r = run_action(&plan, a, &cx).unwrap_or_else(|e| panic!("{}: {e}", plan.package_path(a)));
        assert!(r.success, "{:?} {}: {}", act.mode, plan.package_path(a), r.output);
        if let Some(wd) = act.objdir {
            match act.mode {
                Mode::Build => {
                    archives.insert(a, work.join(format!("{}/_pkg_.a", wd.name())));
                }
                Mode::Link => exe = Some(work.join(format!("{}/exe/a.out", wd.name()))),
                _ => {}
            }
        }
    }
    let exe = exe.expect("a link action");
    let out = std::process::Command::new(&exe).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), want_stdout);
    std::fs::remove_dir_all(&work).ok();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn real_tools_build_hello_from_our_plan() {
    build_and_run("hello", "hi\n");
}

#[test]
fn real_tools_build_multi_with_assembly_from_our_plan() {
    let (dir, _) = fixture("multi");
    let main = std::fs::read_to_string(dir.join("main.go")).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(main.contains("asmadd"), "multi exercises the asm steps");
    build_and_run("multi", &expected_multi_output());
}

fn expected_multi_output() -> String {
    // What the real `go run .` prints for the multi fixture, captured once by the oracle.
    let go = Path::new("/usr/lib/go-1.23/bin/go");
    if !go.is_file() {
        return String::new();
    }
    let (dir, _) = fixture("multi");
    let out = std::process::Command::new(go)
        .args(["run", "."])
        .current_dir(&dir)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOCACHE", dir.join(".gocache"))
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
