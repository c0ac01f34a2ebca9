//! Oracle tests for the planner: the real go 1.23.5's `-debug-actiongraph` and `go build -n`
//! captures in `shared/oracle` against `plan::plan` on the same package graph (built from the
//! captured `go list -deps -json`). Skipped, with a note, when the captures are absent.

mod common;
use common::*;

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};

use buildlab_core::plan::{
    plan, FileContents, ModuleInfo, PkgNode, Plan, PlanInput, Step, Toolchain, BUILD_ID,
};
use serde_json::Value;

/// hello has no `go list` capture: its std packages are a subset of multi's.
fn hello_input() -> Option<PlanInput> {
    let mut input = input_from_list(&go_list(&oracle("multi/go-list-deps.json")?));
    input.modules = vec![ModuleInfo {
        path: "example.com/hello".into(),
        go_version: "1.23.5".into(),
        main: true,
        ..Default::default()
    }];
    input.packages.retain(|p| p.module.is_none()); // std packages only
    let index: HashMap<String, usize> = input
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.import_path.clone(), i))
        .collect();
    // Indices shifted by the retain: rebuild imports from the full list.
    let full = input_from_list(&go_list(&oracle("multi/go-list-deps.json")?));
    for p in &mut input.packages {
        let orig = full
            .packages
            .iter()
            .find(|q| q.import_path == p.import_path)
            .unwrap();
        p.imports = orig
            .imports
            .iter()
            .map(|&i| index[&full.packages[i].import_path])
            .collect();
    }
    input.packages.push(PkgNode {
        import_path: "example.com/hello".into(),
        name: "main".into(),
        dir: "/tmp/gooracle/hello".into(),
        imports: vec![index["fmt"]],
        go_files: vec!["main.go".into()],
        module: Some(0),
        ..Default::default()
    });
    input.roots = vec![input.packages.len() - 1];
    input.cwd = "/tmp/gooracle/hello".into();
    Some(input)
}

/// One action as both sides describe it: `ID Mode Package Deps bNNN Target Priority`.
fn real_rows(graph: &str) -> Vec<String> {
    let v: Vec<Value> = serde_json::from_str(graph).unwrap();
    v.iter()
        .map(|a| {
            let objdir = s(a, "Objdir");
            let work = objdir.find("/b").map(|i| &objdir[..i]).unwrap_or("");
            let short = |x: String| {
                if work.is_empty() {
                    x
                } else {
                    x.replace(work, "$WORK")
                }
            };
            format!(
                "{} {:?} {:?} {:?} {:?} {:?} {}",
                a["ID"],
                s(a, "Mode"),
                s(a, "Package"),
                a.get("Deps").cloned().unwrap_or(Value::Array(vec![])),
                short(objdir.clone()),
                short(s(a, "Target")),
                a.get("Priority").and_then(Value::as_u64).unwrap_or(0)
            )
        })
        .collect()
}

fn our_rows(p: &Plan) -> Vec<String> {
    real_rows(&p.to_actiongraph_json("$WORK"))
}

fn compare_graph(name: &str, input: PlanInput) -> Option<Plan> {
    let graph = oracle(&format!("{name}/actiongraph-cold.json"))?;
    let p = plan(input, &Toolchain::default()).expect("plan");
    let (want, got) = (real_rows(&graph), our_rows(&p));
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(
            g, w,
            "{name}: first differing action (ID Mode Package Deps Objdir Target Priority)"
        );
    }
    assert_eq!(got.len(), want.len(), "{name}: action count");
    // The package set, too, as fidelity checks it.
    let v: Vec<Value> = serde_json::from_str(&graph).unwrap();
    let want_pkgs: BTreeSet<String> = v
        .iter()
        .filter(|a| a["Mode"] == "build")
        .map(|a| s(a, "Package"))
        .collect();
    let got_pkgs: BTreeSet<String> = p
        .actions()
        .filter(|(_, x)| x.mode.as_str() == "build")
        .map(|(a, _)| p.package_path(a).to_string())
        .collect();
    assert_eq!(got_pkgs, want_pkgs, "{name}: package set");
    Some(p)
}

#[test]
fn plan_oracle_hello_actiongraph() {
    if let Some(input) = hello_input() {
        compare_graph("hello", input);
    }
}

#[test]
fn plan_oracle_multi_actiongraph() {
    if let Some(list) = oracle("multi/go-list-deps.json") {
        compare_graph("multi", input_from_list(&go_list(&list)));
    }
}

#[test]
fn plan_oracle_cfgtool_actiongraph() {
    if let Some(list) = oracle("cfgtool/go-list-deps.json") {
        compare_graph("cfgtool", input_from_list(&go_list(&list)));
    }
}

/// The warm graphs have the same shape as the cold one (only times and IDs differ).
#[test]
fn plan_oracle_multi_warm_graphs_have_cold_shape() {
    let (Some(cold), Some(list)) = (
        oracle("multi/actiongraph-cold.json"),
        oracle("multi/go-list-deps.json"),
    ) else {
        return;
    };
    let p = plan(input_from_list(&go_list(&list)), &Toolchain::default()).unwrap();
    for warm in [
        "multi/actiongraph-warm-binpresent.json",
        "multi/actiongraph-warm-binremoved.json",
    ] {
        if let Some(w) = oracle(warm) {
            assert_eq!(real_rows(&w), real_rows(&cold));
            assert_eq!(our_rows(&p), real_rows(&w), "{warm}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `go build -n`: a minimal shell-script renderer (shell.go ShowCmd / writeFile / joinUnambiguously)
// ---------------------------------------------------------------------------------------------

fn go_quote(s: &str) -> String {
    buildlab_core::plan::go_quote(s.as_bytes())
}

fn join_unambiguously(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let q = go_quote(a);
            if a.is_empty() || a.contains([' ', '(', ')', '>', ';']) || q.len() > a.len() + 2 {
                q
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Script {
    out: Vec<String>,
    script_dir: String,
    made: HashSet<String>,
}

impl Script {
    fn show(&mut self, dir: &str, cmd: String) {
        let mut cmd = cmd;
        if !dir.is_empty() && dir != "/" {
            if dir != self.script_dir {
                self.out.push(format!("cd {dir}"));
                self.script_dir = dir.to_string();
            }
            let dot = if dir.ends_with('/') { " ./" } else { " ." };
            cmd = format!(" {cmd}").replace(&format!(" {dir}"), dot)[1..].to_string();
        }
        self.out.extend(cmd.split('\n').map(str::to_string));
    }

    fn write(&mut self, path: &str, text: &str) {
        let cmd = if text.is_empty() {
            format!("echo -n > {path} # internal")
        } else if text.find('\n') == Some(text.len() - 1) {
            format!("echo '{}' > {path} # internal", &text[..text.len() - 1])
        } else {
            format!("cat >{path} << 'EOF' # internal\n{text}EOF")
        };
        self.show("", cmd);
    }
}

/// Render the plan as `go build -n` prints it: actions in `-p 1` order (ready actions by
/// priority), build headers, steps. Packages using cgo are skipped (not modelled).
fn render_n(p: &Plan) -> (Vec<String>, BTreeSet<String>) {
    let mut sc = Script {
        out: Vec::new(),
        script_dir: String::new(),
        made: HashSet::new(),
    };
    let mut skipped = BTreeSet::new();
    let all: Vec<_> = p.actions().map(|(a, _)| a).collect();
    let mut pending: HashMap<_, usize> = all.iter().map(|&a| (a, p.action(a).deps.len())).collect();
    let mut heap: BinaryHeap<Reverse<(usize, usize)>> = BinaryHeap::new();
    let by_prio: HashMap<usize, _> = all.iter().map(|&a| (p.action(a).priority, a)).collect();
    for &a in &all {
        if pending[&a] == 0 {
            heap.push(Reverse((p.action(a).priority, 0)));
        }
    }
    while let Some(Reverse((prio, _))) = heap.pop() {
        let a = by_prio[&prio];
        let x = p.action(a);
        if p.steps(a).iter().any(|s| matches!(s, Step::Cgo { .. })) {
            skipped.insert(p.package_path(a).to_string());
            sc.script_dir = "(cgo steps)".into(); // cgo and gcc change directory
        } else {
            if x.mode.as_str() == "build" {
                sc.out.extend([
                    "".into(),
                    "#".into(),
                    format!("# {}", p.package_path(a)),
                    "#".into(),
                    "".into(),
                ]);
            }
            for st in p.steps(a) {
                match st {
                    Step::Mkdir(d) => {
                        if sc.made.insert(d.clone()) {
                            sc.show("", format!("mkdir -p {d}"));
                        }
                    }
                    Step::WriteFile { path, contents } => {
                        let text = match contents {
                            FileContents::Text(t) => t.clone(),
                            FileContents::ImportCfg(c) => c.render(|d| p.cold_built(d)),
                        };
                        sc.write(path, &text);
                    }
                    Step::Run(inv) => {
                        let mut cmd = String::new();
                        for (k, v) in &inv.env {
                            cmd.push_str(&format!("{k}='{v}' "));
                        }
                        cmd.push_str(&join_unambiguously(&inv.argv));
                        if inv.internal {
                            cmd.push_str(" # internal");
                        }
                        sc.show(&inv.dir, cmd);
                    }
                    Step::Copy { from, to } => sc.show("", format!("cp {from} {to}")),
                    Step::Move { from, to } => sc.show("", format!("mv {from} {to}")),
                    Step::RemoveAll(d) => sc.show("", format!("rm -rf {d}")),
                    Step::Cgo { .. } => unreachable!(),
                }
            }
        }
        for d in p.dependents(a) {
            let n = pending.get_mut(&d).unwrap();
            *n -= 1;
            if *n == 0 {
                heap.push(Reverse((p.action(d).priority, 0)));
            }
        }
    }
    (sc.out, skipped)
}

/// The real `-n` script, build IDs replaced by the placeholder, capture trailer cut, and the
/// sections of `skip` packages removed.
fn real_script(text: &str, skip: &BTreeSet<String>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut skipping = false;
    let all: Vec<&str> = text.lines().take_while(|l| !l.starts_with("rc=")).collect();
    let mut i = 0;
    while i < all.len() {
        if all[i] == "#" && i + 2 < all.len() && all[i + 2] == "#" && all[i + 1].starts_with("# ") {
            let was = skipping;
            skipping = skip.contains(&all[i + 1][2..]);
            if skipping && !was {
                lines.pop(); // the blank line before the header
            } else if !skipping && was {
                lines.push(String::new());
            }
        }
        if all[i].contains("/link -o ") {
            skipping = false;
        }
        if !skipping {
            let mut l = all[i].to_string();
            for key in ["-buildid ", "-buildid="] {
                if let Some(at) = l.find(key) {
                    let start = at + key.len();
                    let end = l[start..].find(' ').map_or(l.len(), |e| start + e);
                    l.replace_range(start..end, BUILD_ID);
                }
            }
            lines.push(l);
        }
        i += 1;
    }
    lines
}

fn compare_script(name: &str, input: PlanInput) {
    let Some(text) = oracle(&format!("{name}/build-n-cold.txt")) else {
        return;
    };
    let p = plan(input, &Toolchain::default()).unwrap();
    let (got, skipped) = render_n(&p);
    let want = real_script(&text, &skipped);
    for (n, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(
            g,
            w,
            "{name}: -n line {} differs (cgo packages skipped: {skipped:?})",
            n + 1
        );
    }
    assert_eq!(got.len(), want.len(), "{name}: -n line count");
}

#[test]
fn plan_oracle_multi_build_n_script() {
    if let Some(list) = oracle("multi/go-list-deps.json") {
        compare_script("multi", input_from_list(&go_list(&list)));
    }
}

#[test]
fn plan_oracle_cfgtool_build_n_script() {
    if let Some(list) = oracle("cfgtool/go-list-deps.json") {
        compare_script("cfgtool", input_from_list(&go_list(&list)));
    }
}

/// The kept `$WORK` of a cold multi build: every importcfg (and importcfg.link) we would write.
#[test]
fn plan_oracle_multi_workdir_importcfgs() {
    let (Some(work), Some(list)) = (
        oracle("multi/work-dir-cold-trimmed.txt"),
        oracle("multi/go-list-deps.json"),
    ) else {
        return;
    };
    let p = plan(input_from_list(&go_list(&list)), &Toolchain::default()).unwrap();
    let mut ours = HashMap::new();
    for (a, _) in p.actions() {
        for st in p.steps(a) {
            if let Step::WriteFile {
                path,
                contents: FileContents::ImportCfg(c),
            } = st
            {
                ours.insert(path.clone(), c.render(|d| p.cold_built(d)));
            }
        }
    }
    let work_dir = work
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("WORK="))
        .unwrap_or("$WORK");
    let mut checked = 0;
    for section in work.split("\n==== ./").skip(1) {
        let (rel, body) = section.split_once('\n').unwrap_or((section, ""));
        if !(rel.ends_with("/importcfg") || rel.ends_with("/importcfg.link")) {
            continue;
        }
        let key = format!("$WORK/{rel}");
        let text = ours
            .get(&key)
            .unwrap_or_else(|| panic!("{key}: not planned"));
        let want: Vec<&str> = body.lines().take_while(|l| !l.starts_with("== ")).collect();
        let got: Vec<String> = text.lines().map(|l| l.replace("$WORK", work_dir)).collect();
        assert_eq!(got, want, "{key}");
        checked += 1;
    }
    assert!(
        checked >= 59,
        "only {checked} importcfg files found in the capture"
    );
}
