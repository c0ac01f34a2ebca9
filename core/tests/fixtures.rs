//! Fixture tests for the loader and planner together: every `tests/fixtures/NAME/` module (sources
//! in `src/`, the directory go ran in in `rundir`) is loaded from its files and planned, and the
//! package list and action graph are compared with what the real go 1.23.5 printed
//! (`expect/deps.txt`, `expect/plan.txt`, captured by `scripts/capture-fixtures.py`). The oracle's
//! `cfgtool` module (real libraries, nested modules, embeds) is checked against its `go list` and
//! action-graph captures when `shared/oracle` is present.

mod common;
use common::read_tree;

use std::path::{Path, PathBuf};

use buildlab_core::load::{load, LoadRequest, Loaded};
use buildlab_core::plan::{plan, Plan, Toolchain};
use buildlab_core::workspace::Workspace;
use serde_json::Value;

fn load_dir(ws: &Workspace, cwd: &str, display: &str) -> Loaded {
    load_args(ws, cwd, display, vec![".".into()])
}

fn load_args(ws: &Workspace, cwd: &str, display: &str, patterns: Vec<String>) -> Loaded {
    let req = LoadRequest {
        cwd: cwd.into(),
        patterns,
        module_root_display: display.into(),
        ..LoadRequest::default()
    };
    load(ws, &req).unwrap_or_else(|e| panic!("load failed:\n{e}"))
}

/// The action graph as `capture-fixtures.py` reduces it: `ID MODE PACKAGE objdir=bNNN prio=N deps=[...]`.
fn plan_lines(graph_json: &str) -> Vec<String> {
    let v: Vec<Value> = serde_json::from_str(graph_json).unwrap();
    v.iter()
        .map(|a| {
            let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let objdir = s("Objdir");
            let objdir = objdir
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .filter(|b| b.len() == 4 && b.starts_with('b'))
                .unwrap_or("-")
                .to_string();
            let pkg = s("Package");
            let deps: Vec<String> = a
                .get("Deps")
                .and_then(Value::as_array)
                .map(|d| d.iter().map(|x| x.to_string()).collect())
                .unwrap_or_default();
            format!(
                "{} {} {} objdir={} prio={} deps=[{}]",
                a["ID"],
                s("Mode"),
                if pkg.is_empty() { "-".into() } else { pkg },
                objdir,
                a.get("Priority").and_then(Value::as_u64).unwrap_or(0),
                deps.join(",")
            )
        })
        .collect()
}

fn our_plan(loaded: &Loaded) -> Plan {
    plan(loaded.input.clone(), &Toolchain::default()).unwrap_or_else(|e| panic!("plan: {e:?}"))
}

fn check_fixture(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let ws = read_tree(&dir.join("src"));
    let rundir = std::fs::read_to_string(dir.join("rundir")).unwrap();
    let cwd = rundir.trim().trim_start_matches("./").trim_end_matches('/');
    let cwd = if cwd == "." { "" } else { cwd };
    let loaded = load_args(&ws, cwd, "/tmp/buildlab-fx/src", fixture_args(dir));

    let want_deps = std::fs::read_to_string(dir.join("expect/deps.txt")).unwrap();
    let got_deps: Vec<&str> = loaded
        .input
        .packages
        .iter()
        .map(|p| p.import_path.as_str())
        .collect();
    assert_eq!(
        got_deps,
        want_deps.lines().collect::<Vec<_>>(),
        "{name}: go list -deps"
    );

    let p = our_plan(&loaded);
    let want_plan = std::fs::read_to_string(dir.join("expect/plan.txt")).unwrap();
    let got = plan_lines(&p.to_actiongraph_json("$WORK"));
    let want: Vec<&str> = want_plan.lines().collect();
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{name}: first differing action");
    }
    assert_eq!(got.len(), want.len(), "{name}: action count");
}

/// The package arguments the fixture is built with (its `args` file), `.` without one.
fn fixture_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .map(|a| a.split_whitespace().map(String::from).collect())
        .unwrap_or_else(|_| vec![".".into()])
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

macro_rules! fixture {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            check_fixture(&fixtures_dir().join(stringify!($name)));
        }
    )*};
}

fixture!(
    asm,
    cgo,
    cmdfiles,
    constraints,
    diamond,
    embed,
    hello,
    multi,
    replace,
    workspace3
);

/// Every fixture directory has a test above.
#[test]
fn every_fixture_is_tested() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| fixtures_dir().join(n).join("src").is_dir())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "asm",
            "cgo",
            "cmdfiles",
            "constraints",
            "diamond",
            "embed",
            "hello",
            "multi",
            "replace",
            "workspace3"
        ]
    );
}

fn oracle() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracle");
    if p.join("src/cfgtool/go.mod").is_file() {
        Some(p)
    } else {
        eprintln!(
            "note: {} absent; skipping the cfgtool oracle test",
            p.display()
        );
        None
    }
}

fn go_list(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(|v| v.unwrap())
        .collect()
}

fn strs(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn cfgtool_matches_go_list_and_the_action_graph() {
    let Some(oracle) = oracle() else { return };
    let ws = read_tree(&oracle.join("src/cfgtool"));
    let loaded = load_dir(&ws, "", "/tmp/gooracle/cfgtool");
    let list = go_list(&std::fs::read_to_string(oracle.join("cfgtool/go-list-deps.json")).unwrap());

    let want: Vec<String> = list
        .iter()
        .map(|p| p["ImportPath"].as_str().unwrap().to_string())
        .collect();
    let got: Vec<String> = loaded
        .input
        .packages
        .iter()
        .map(|p| p.import_path.clone())
        .collect();
    assert_eq!(got, want, "go list -deps order");

    for (p, g) in list.iter().zip(&loaded.input.packages) {
        let path = &g.import_path;
        let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        assert_eq!(g.name, s("Name"), "{path}: Name");
        assert_eq!(g.dir, s("Dir"), "{path}: Dir");
        let imports: Vec<String> = g
            .imports
            .iter()
            .map(|&i| loaded.input.packages[i].import_path.clone())
            .collect();
        let want_imports: Vec<String> = strs(p, "Imports")
            .into_iter()
            .filter(|i| i != "C")
            .collect();
        assert_eq!(imports, want_imports, "{path}: Imports");
        assert_eq!(g.go_files, strs(p, "GoFiles"), "{path}: GoFiles");
        assert_eq!(g.s_files(), strs(p, "SFiles"), "{path}: SFiles");
        assert_eq!(g.cgo_files(), strs(p, "CgoFiles"), "{path}: CgoFiles");
        assert_eq!(g.embed_files(), strs(p, "EmbedFiles"), "{path}: EmbedFiles");
        let module = g.module.map(|m| &loaded.input.modules[m]);
        match p.get("Module") {
            Some(m) => {
                let module = module.unwrap_or_else(|| panic!("{path}: no module"));
                assert_eq!(
                    module.path,
                    m["Path"].as_str().unwrap(),
                    "{path}: Module.Path"
                );
                assert_eq!(
                    module.go_version,
                    m.get("GoVersion").and_then(Value::as_str).unwrap_or(""),
                    "{path}: Module.GoVersion"
                );
                assert_eq!(
                    module.version,
                    m.get("Version").and_then(Value::as_str).unwrap_or(""),
                    "{path}: Module.Version"
                );
            }
            None => assert!(module.is_none(), "{path}: std has no module"),
        }
    }

    let p = our_plan(&loaded);
    let want =
        plan_lines(&std::fs::read_to_string(oracle.join("cfgtool/actiongraph-cold.json")).unwrap());
    let got = plan_lines(&p.to_actiongraph_json("$WORK"));
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "cfgtool: first differing action");
    }
    assert_eq!(got.len(), want.len(), "cfgtool: action count");
}
