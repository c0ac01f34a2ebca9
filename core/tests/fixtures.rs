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

fn load_args(ws: &Workspace, cwd: &str, display: &str, args: Vec<String>) -> Loaded {
    // The arguments as go parses them: build flags (`-tags`, `-trimpath`…), then patterns.
    let flags = buildlab_core::goflags::BuildFlags::parse(&args).expect("fixture flags");
    let req = LoadRequest {
        cwd: cwd.into(),
        patterns: flags.patterns,
        module_root_display: display.into(),
        settings: flags.settings,
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

/// The arguments the fixture is built with (its `args` file: flags and patterns), `.` without
/// one.
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
    buildflags,
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
            "buildflags",
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

/// The `buildflags` fixture's flags reach the action IDs as go hashes them: the lines of
/// `GODEBUG=gocachehash=1 go build -trimpath -tags=pro,beta -gcflags=./edition=-N
/// -asmflags=all=-S -ldflags=-w .` (go 1.23.5) for two packages and the link, without the
/// files', imports' and dependencies' lines (values there differ: blake3, stand-ins for std).
#[test]
fn buildflags_reach_the_action_ids_as_go_hashes_them() {
    use buildlab_core::actionid::{compile_id, link_id, IdConfig, WorkspaceFiles};
    use buildlab_core::plan::Mode;
    let dir = fixtures_dir().join("buildflags");
    let ws = read_tree(&dir.join("src"));
    let root = "/tmp/buildlab-fx/src";
    let loaded = load_args(&ws, "", root, fixture_args(&dir));
    let p = our_plan(&loaded);
    let files = WorkspaceFiles {
        ws: &ws,
        root: format!("{root}/"),
    };
    let shown = |lines: Vec<&str>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| {
                !["file ", "import ", "packagefile ", "packagemain "]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .map(|l| l.trim_end_matches('\n').to_string())
            .collect()
    };
    let common = [
        "go1.23.5",
        "compile",
        "module example.com/buildflags@",
        "go 1.23",
        "goos linux goarch amd64",
        "omitdebug false standard false local false prefix \"\"",
        "trimpath",
    ];
    let want = |extra: &[&str]| -> Vec<String> {
        common.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let id = |pkg: &str| {
        let a = p.build_action(pkg).unwrap();
        compile_id(&p, a, &files, &|_| None, &IdConfig::default())
    };
    let asmsum = id("example.com/buildflags/asmsum");
    assert_eq!(
        shown(asmsum.lines().collect()),
        want(&[
            "compile compile version go1.23.5 [] []",
            "asm \"asm version go1.23.5\" [] [\"-S\"]",
            "GOAMD64=v1"
        ])
    );
    let edition = id("example.com/buildflags/edition");
    assert_eq!(
        shown(edition.lines().collect()),
        want(&["compile compile version go1.23.5 [] [\"-N\"]", "GOAMD64=v1"])
    );
    let link = p
        .actions()
        .find(|(_, x)| x.mode == Mode::Link)
        .map(|(a, _)| a)
        .unwrap();
    let l = link_id(&p, link, &|_| None, &IdConfig::default());
    assert_eq!(
        shown(l.lines().collect()),
        [
            "go1.23.5",
            "link",
            "buildmode default goos linux goarch amd64",
            "omitdebug false standard false local false prefix \"\"",
            "trimpath",
            "link link version go1.23.5 [] exe",
            "linkflags [\"-w\"]",
            "GOAMD64=v1",
            "GOROOT=",
            "GO_EXTLINK_ENABLED=",
        ]
    );
}
