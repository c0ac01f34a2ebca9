//! The helper's in-process `buildid -w` and `pack r` (what cmd/go marks `# internal`) against
//! the real tools, byte for byte, on the real outputs of `hello`'s and `multi`'s actions.
//!
//! For every action of Buildlab's plan, in go's serial order:
//! 1. the action runs with the real `pack` and `buildid` tools (`Internal::Tools`): the reference;
//! 2. it runs again in the same `$WORK` with `buildid -w` left undone (`Internal::SkipBuildId`),
//!    and two copies of that output are rewritten, one by the real `buildid -w`, one by
//!    [`buildlab_helper::buildid::update_build_id`]: they must be equal, and differ from the
//!    output before (the ID really was rewritten);
//! 3. the in-process result must equal the reference of step 1, which also checks the in-process
//!    `pack r` of the packages with assembly (multi's `asmadd`, runtime, …).
//!
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

const GO: &str = "/usr/lib/go-1.23/bin/go";

/// Removes a directory tree when the test ends, passing or not.
struct TempTree(PathBuf);
impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The fixture's sources copied to a fresh directory, and as a workspace.
fn fixture(name: &str, root: &Path) -> (PathBuf, Workspace) {
    common::copy_fixture(name, root.join("src"))
}

/// A build ID part as go renders them: 20 base64url characters, distinct per action.
fn id_part(n: usize, salt: char) -> String {
    format!("{salt}{n:0>19}")
}

/// The real `buildid` tool on `file`: `-w` rewrites it; without, it prints the ID it reads.
fn real_buildid(tooldir: &Path, args: &[&Path]) -> String {
    let out = std::process::Command::new(tooldir.join("buildid"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "buildid {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn compare_with_the_real_tools(name: &str) {
    let Ok(go) = godetect::detect(Some(Path::new(GO))) else {
        eprintln!(
            "note: Go 1.23 is not installed at {GO}; skipping the buildid comparison for {name}"
        );
        return;
    };
    let root = std::env::temp_dir().join(format!("buildlab-buildid-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let _cleanup = TempTree(root.clone());
    let (dir, ws) = fixture(name, &root);
    let mut ctx = BuildContext::new("linux", "amd64");
    ctx.cgo_enabled = false;
    let req = LoadRequest {
        ctx,
        goroot: go.goroot.clone(),
        module_root_display: dir.to_string_lossy().into_owned(),
        ..LoadRequest::default()
    };
    let loaded = load(&ws, &req).unwrap_or_else(|e| panic!("{e}"));
    let tc = Toolchain {
        goroot: go.goroot.clone(),
        version: go.version.clone(),
        cgo_enabled: false,
        ..Toolchain::default()
    };
    let plan = plan::plan(loaded.input, &tc).unwrap();
    let work = root.join("work");
    let spare = root.join("spare");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&spare).unwrap();
    let tooldir = PathBuf::from(&go.tooldir);
    let mut archives = HashMap::new();
    let (mut rewritten, mut packed, mut linked) = (0, 0, 0);
    for a in serial_order(&plan) {
        let act = plan.action(a);
        let (out, id) = match (act.mode, act.objdir) {
            (Mode::Build, Some(wd)) => (
                work.join(format!("{}/_pkg_.a", wd.name())),
                format!(
                    "{}/{}",
                    id_part(act.priority, 'a'),
                    id_part(act.priority, 'a')
                ),
            ),
            (Mode::Link, Some(wd)) => {
                let p = id_part(act.priority, 'l');
                (
                    work.join(format!("{}/exe/a.out", wd.name())),
                    format!("{p}/{p}/{p}/{p}"),
                )
            }
            _ => continue,
        };
        let run = |internal: Internal| {
            let cx = ExecContext {
                work: &work,
                tooldir: &tooldir,
                readable: vec![dir.clone(), PathBuf::from(&go.goroot)],
                archives: &archives,
                build_id: &id,
                timeout: Duration::from_secs(300),
                src_map: None,
                internal,
            };
            let r = run_action(&plan, a, &cx)
                .unwrap_or_else(|e| panic!("{}: {e}", plan.package_path(a)));
            assert!(
                r.success,
                "{:?} {}: {}",
                act.mode,
                plan.package_path(a),
                r.output
            );
            r
        };
        let what = format!("{:?} {}", act.mode, plan.package_path(a));

        // 1. The real tools: the reference.
        let tools = run(Internal::Tools);
        assert!(
            tools.runs.iter().all(|r| !r.internal) && tools.processes == tools.runs.len(),
            "{what}: tools ran as processes"
        );
        let reference = std::fs::read(&out).unwrap();

        // 2. The same output before its build ID is rewritten, rewritten both ways.
        let skipped = run(Internal::SkipBuildId);
        assert!(
            !skipped.runs.iter().any(|r| r.tool == "buildid"),
            "{what}: buildid was skipped"
        );
        let before = std::fs::read(&out).unwrap();
        let (theirs, ours) = (spare.join("theirs"), spare.join("ours"));
        std::fs::write(&theirs, &before).unwrap();
        std::fs::write(&ours, &before).unwrap();
        real_buildid(&tooldir, &[Path::new("-w"), &theirs]);
        let new_id = buildlab_helper::buildid::update_build_id(&ours, &id)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let (theirs_b, ours_b) = (
            std::fs::read(&theirs).unwrap(),
            std::fs::read(&ours).unwrap(),
        );
        assert!(
            theirs_b == ours_b,
            "{what}: our buildid -w differs from the real tool's"
        );
        assert!(ours_b != before, "{what}: the build ID was not rewritten");
        assert_eq!(
            real_buildid(&tooldir, &[&ours]),
            new_id,
            "{what}: the ID the tool reads is the one we computed"
        );
        assert!(
            new_id.starts_with(&id[..id.rfind('/').unwrap()])
                && !new_id.ends_with(&id[id.rfind('/').unwrap()..])
        );
        rewritten += 1;

        // 3. All internal steps in process: the reference's bytes, pack r included.
        let inproc = run(Internal::InProcess);
        assert_eq!(
            inproc.processes,
            inproc.runs.iter().filter(|r| !r.internal).count()
        );
        assert!(
            inproc
                .runs
                .iter()
                .any(|r| r.tool == "buildid" && r.internal),
            "{what}: buildid ran in process"
        );
        let mine = std::fs::read(&out).unwrap();
        assert!(
            mine == reference,
            "{what}: the in-process internal steps' output differs from the real tools'"
        );
        assert!(
            mine == ours_b,
            "{what}: run_action's rewrite differs from update_build_id's"
        );
        if inproc.runs.iter().any(|r| r.tool == "pack") {
            assert!(inproc.runs.iter().any(|r| r.tool == "pack" && r.internal));
            packed += 1;
        }
        if act.mode == Mode::Build {
            archives.insert(a, out);
        } else {
            linked += 1;
            let ran = std::process::Command::new(&out).output().unwrap();
            assert!(ran.status.success(), "{what}: the binary runs");
        }
    }
    assert!(
        rewritten > 10 && linked == 1,
        "{name}: {rewritten} rewrites, {linked} links"
    );
    assert!(
        packed >= 1,
        "{name}: some package with assembly went through pack r ({packed})"
    );
}

#[test]
fn buildid_in_process_matches_the_tool_on_hello() {
    compare_with_the_real_tools("hello");
}

#[test]
fn buildid_and_pack_in_process_match_the_tools_on_multi() {
    compare_with_the_real_tools("multi");
}
