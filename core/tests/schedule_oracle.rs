//! Oracle tests for the scheduler and the trace model on `multi`, built from the real go
//! 1.23.5's captures in `shared/oracle` (skipped, with a note, when they are absent):
//! - at `-p 1` the scheduler dispatches `build` actions in the order of the `# pkg` sections of
//!   `go build -n` (cmd/go runs `-n` with one worker);
//! - a simulated cold build's trace exports as valid Trace Event JSON with go's span names and
//!   flow events, and imports back into the same model;
//! - the real `-debug-trace` and `-debug-actiongraph` of a cold build import with the same
//!   package set as our plan.

use std::collections::BTreeSet;

use buildlab_core::cost::{simulate, Simulation, Sizes};
use buildlab_core::plan::{plan, Mode, Plan, PlanInput, Toolchain};
use buildlab_core::schedule::{self, Dispatch, Outcome};
use buildlab_core::stdlib::StdLib;
use buildlab_core::trace::{
    from_actiongraph, from_chrome_trace, to_actiongraph_json, to_chrome_trace,
    validate_chrome_trace, Status,
};
use serde_json::Value;

mod common;
use common::{oracle, s};

/// multi's `PlanInput` from its `go list -deps -json` (as core/tests/plan_oracle.rs builds it).
fn multi_input() -> Option<PlanInput> {
    Some(common::input_from_list(&common::go_list(&common::oracle("multi/go-list-deps.json")?)))
}

fn multi_plan() -> Option<Plan> {
    Some(plan(multi_input()?, &Toolchain::default()).expect("plan"))
}

/// multi's sizes: std from the embedded graph, its own packages from the captured sources.
fn multi_sizes(p: &Plan) -> Sizes {
    let mut sizes = Sizes::from_std(StdLib::for_target("linux", "amd64", true).unwrap());
    for pkg in &p.input().packages {
        if !pkg.standard {
            sizes.insert_files(pkg, |f| {
                std::fs::metadata(format!("{}/{f}", pkg.dir).replace(
                    "/tmp/gooracle/",
                    &format!("{}/../../shared/oracle/src/", env!("CARGO_MANIFEST_DIR")),
                ))
                .map(|m| m.len())
                .unwrap_or(0)
            });
        }
    }
    sizes
}

#[test]
fn schedule_oracle_p1_order_is_build_n_section_order() {
    let (Some(p), Some(n)) = (multi_plan(), oracle("multi/build-n-cold.txt")) else {
        return;
    };
    let lines: Vec<&str> = n.lines().collect();
    let want: Vec<&str> = lines
        .windows(3)
        .filter(|w| w[0] == "#" && w[2] == "#" && w[1].starts_with("# "))
        .map(|w| &w[1][2..])
        .collect();
    let mut sched = schedule::for_plan(&p, schedule::workers(Some(4), 2, true));
    let mut got = Vec::new();
    while let Some((job, d)) = sched.start() {
        assert_eq!(d, Dispatch::Run);
        assert_eq!(sched.running(), 1, "-n runs one action at a time");
        let a = *sched.item(job);
        if p.action(a).mode == Mode::Build {
            got.push(p.package_path(a).to_string());
        }
        sched.finish(job, Outcome::Ok);
    }
    assert!(sched.is_finished());
    assert_eq!(got.len(), 58);
    assert_eq!(got, want);
}

#[test]
fn schedule_oracle_failure_in_the_middle_of_multi() {
    let Some(p) = multi_plan() else { return };
    // internal/poll fails: os, fmt, the main package, link and install are skipped;
    // everything else (runtime, reflect, strconv, …) still builds.
    let mut sim = Simulation::oracle(2);
    sim.failing = vec!["internal/poll".into()];
    let t = simulate(&p, &multi_sizes(&p), &sim);
    let status = |pkg: &str, mode: &str| {
        t.actions
            .iter()
            .find(|a| a.package == pkg && a.mode == mode)
            .map(|a| a.status)
    };
    assert_eq!(status("internal/poll", "build"), Some(Status::Failed));
    for pkg in ["os", "fmt", "example.com/multi"] {
        assert_eq!(status(pkg, "build"), Some(Status::Skipped), "{pkg}");
    }
    assert_eq!(status("example.com/multi", "link"), Some(Status::Skipped));
    for pkg in ["runtime", "reflect", "strconv", "example.com/multi/asmadd"] {
        assert_eq!(status(pkg, "build"), Some(Status::Ran), "{pkg}");
    }
    assert!(validate_chrome_trace(&to_chrome_trace(&t)).is_empty());
}

#[test]
fn trace_oracle_simulated_multi_exports_valid_go_shaped_trace() {
    let Some(p) = multi_plan() else { return };
    let t = simulate(&p, &multi_sizes(&p), &Simulation::oracle(2));
    let json = to_chrome_trace(&t);
    assert_eq!(validate_chrome_trace(&json), Vec::<String>::new());

    // Same span names and the same flows (as name pairs) as go's own trace.
    let spans = |json: &str| -> (BTreeSet<String>, BTreeSet<String>) {
        let v: Vec<Value> = serde_json::from_str(json).unwrap();
        let names = v
            .iter()
            .filter(|e| e["ph"] == "B")
            .map(|e| s(e, "name"))
            .filter(|n| n.starts_with("Executing action") || n.starts_with("exec.Builder.Do"))
            .collect();
        let flows = v
            .iter()
            .filter(|e| e["ph"] == "s")
            .map(|e| s(e, "name"))
            .collect();
        (names, flows)
    };
    let (ours, our_flows) = spans(&json);
    if let Some(real) = oracle("multi/trace-cold.json") {
        assert_eq!(validate_chrome_trace(&real), Vec::<String>::new());
        let (theirs, their_flows) = spans(&real);
        assert_eq!(ours, theirs);
        assert_eq!(our_flows, their_flows);
    }

    // Round trip through our importer.
    let back = from_chrome_trace(&json).unwrap();
    assert_eq!(
        back.build_packages(),
        t.build_packages()
            .into_iter()
            .filter(|p| p != "unsafe")
            .collect::<Vec<_>>()
    );
    assert_eq!(back.lanes, 2);

    // -debug-actiongraph with times: go's shape, parses back with the same times.
    let ag = to_actiongraph_json(&p, &t, "/tmp/go-build1", 1_795_544_855_000_000_000);
    let back = from_actiongraph(&ag).unwrap();
    assert_eq!(back.actions.len(), p.len());
    let wall = |t: &buildlab_core::trace::Trace| {
        let a = t
            .actions
            .iter()
            .map(|a| a.start_us)
            .fold(f64::INFINITY, f64::min);
        let b = t.actions.iter().map(|a| a.end_us).fold(0.0, f64::max);
        b - a
    };
    assert!((wall(&back) - wall(&t)).abs() < 1.0);
    let first: Value = serde_json::from_str::<Vec<Value>>(&ag).unwrap()[0].clone();
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "ID",
        "Mode",
        "Package",
        "Deps",
        "Objdir",
        "Target",
        "Priority",
        "Built",
        "TimeReady",
        "TimeStart",
        "TimeDone",
        "Cmd",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
}

#[test]
fn trace_oracle_real_multi_trace_and_actiongraph_import_with_our_package_set() {
    let (Some(p), Some(tr), Some(ag)) = (
        multi_plan(),
        oracle("multi/trace-cold.json"),
        oracle("multi/actiongraph-cold.json"),
    ) else {
        return;
    };
    let ours: Vec<String> = {
        let mut v: Vec<String> = p
            .actions()
            .filter(|(_, x)| x.mode == Mode::Build)
            .map(|(a, _)| p.package_path(a).to_string())
            .collect();
        v.sort();
        v
    };
    let t = from_chrome_trace(&tr).unwrap();
    assert_eq!(t.build_packages(), ours);
    assert_eq!(t.root, "link-install multi");
    assert_eq!(t.lanes, 2);
    assert!(t.actions.iter().all(|a| a.end_us >= a.start_us));
    let link = t.actions.iter().find(|a| a.mode == "link").unwrap();
    assert_eq!(
        link.deps.len(),
        58,
        "flows into link: every build with a span"
    );

    let g = from_actiongraph(&ag).unwrap();
    assert_eq!(g.build_packages(), ours);
    assert_eq!(g.actions.len(), p.len());
    assert!(g.lanes >= 1 && g.lanes <= 2, "lanes {}", g.lanes);
    let wall_ms = g.end_us / 1000.0;
    assert!(
        (9000.0..9700.0).contains(&wall_ms),
        "actiongraph wall {wall_ms}"
    );
}
