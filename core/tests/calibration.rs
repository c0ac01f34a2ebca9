//! Calibration check: the simulated cold-build wall time of `multi` and `webjson` at `-p 1` and
//! `-p 2` on the oracle machine against the real go 1.23.5's (`shared/oracle`), within ±15%.
//! Prints the table that docs/benchmarks.md shows:
//! `cargo test -p buildlab-core --test calibration -- --nocapture`.
//!
//! References (whole go command, ms): webjson from `webjson/wall.txt` (cold `-a`, cgo off as in
//! the `-p 1` capture; cgo on as a further row); multi `-p 2` the median of `multi/timings.txt`.
//! There is no capture of multi at `-p 1`: its reference is *derived* from measurements — the
//! `-p 1` durations of multi's std packages in webjson's `-p 1` build, plus multi's own packages,
//! link and install from its cold action graph, plus the go command's time outside
//! `Builder.Do` in multi's trace.

use std::collections::HashMap;
use std::path::PathBuf;

use buildlab_core::cost::{simulate, Simulation, Sizes};
use buildlab_core::plan::{
    plan, BuildMode, ModuleInfo, PkgMore, PkgNode, Plan, PlanInput, Toolchain,
};
use buildlab_core::stdlib::StdLib;
use buildlab_core::trace::{from_actiongraph, from_chrome_trace};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracle")
}

fn oracle(rel: &str) -> Option<String> {
    std::fs::read_to_string(root().join(rel)).ok()
}

/// A main package over the embedded std graph (as the loader would resolve it).
fn std_main_plan(name: &str, imports: &[&str], cgo: bool, parallel: usize) -> (Plan, Sizes) {
    let std = StdLib::for_target("linux", "amd64", cgo).unwrap();
    let deps = std.deps(imports);
    let index: HashMap<&str, usize> = deps
        .iter()
        .enumerate()
        .map(|(i, p)| (p.import_path, i))
        .collect();
    let files =
        |f: &[buildlab_core::stdlib::SrcFile]| f.iter().map(|x| x.name.to_string()).collect();
    let mut packages: Vec<PkgNode> = deps
        .iter()
        .map(|p| {
            PkgNode {
                import_path: p.import_path.into(),
                name: p.name.into(),
                dir: format!("/usr/lib/go-1.23/src/{}", p.import_path),
                standard: true,
                imports: p
                    .imports
                    .iter()
                    .filter(|i| **i != "C")
                    .map(|i| index[i])
                    .collect(),
                go_files: files(&p.go_files),
                ..Default::default()
            }
            .with_more(PkgMore {
                s_files: files(&p.s_files),
                h_files: files(&p.h_files),
                cgo_files: files(&p.cgo_files),
                c_files: files(&p.c_files),
                ..Default::default()
            })
        })
        .collect();
    let dir = format!("/tmp/gooracle/{name}");
    packages.push(PkgNode {
        import_path: format!("example.com/{name}"),
        name: "main".into(),
        dir: dir.clone(),
        imports: imports.iter().map(|i| index[i]).collect(),
        go_files: vec!["main.go".into()],
        module: Some(0),
        ..Default::default()
    });
    let input = PlanInput {
        roots: vec![packages.len() - 1],
        packages,
        mode: BuildMode::Build,
        cwd: dir,
        modules: vec![ModuleInfo {
            path: format!("example.com/{name}"),
            go_version: "1.23".into(),
            main: true,
            ..Default::default()
        }],
        default_godebug: String::new(),
        settings: Default::default(),
    };
    let tc = Toolchain {
        cgo_enabled: cgo,
        parallel: Some(parallel),
        ..Toolchain::default()
    };
    let p = plan(input, &tc).expect("plan");
    let mut sizes = Sizes::from_std(std);
    let main = p.input().packages.last().unwrap().clone();
    sizes.insert_files(&main, |f| {
        std::fs::metadata(root().join("src").join(name).join(f))
            .map(|m| m.len())
            .unwrap_or(0)
    });
    (p, sizes)
}

/// multi's plan from `go list -deps -json` (imports by name; std sizes from the embedded graph).
fn multi_plan(parallel: usize) -> Option<(Plan, Sizes)> {
    let text = oracle("multi/go-list-deps.json")?;
    let list: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|v| v.unwrap())
        .collect();
    let st = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let strs = |v: &Value, k: &str| -> Vec<String> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let index: HashMap<String, usize> = list
        .iter()
        .enumerate()
        .map(|(i, p)| (st(p, "ImportPath"), i))
        .collect();
    let packages: Vec<PkgNode> = list
        .iter()
        .map(|p| {
            PkgNode {
                import_path: st(p, "ImportPath"),
                name: st(p, "Name"),
                dir: st(p, "Dir"),
                standard: p.get("Standard").is_some(),
                imports: strs(p, "Imports")
                    .iter()
                    .filter(|i| *i != "C")
                    .map(|i| index[i])
                    .collect(),
                go_files: strs(p, "GoFiles"),
                module: p.get("Module").map(|_| 0),
                ..Default::default()
            }
            .with_more(PkgMore {
                s_files: strs(p, "SFiles"),
                h_files: strs(p, "HFiles"),
                ..Default::default()
            })
        })
        .collect();
    let main = index["example.com/multi"];
    let input = PlanInput {
        packages,
        roots: vec![main],
        mode: BuildMode::Build,
        cwd: "/tmp/gooracle/multi".into(),
        modules: vec![ModuleInfo {
            path: "example.com/multi".into(),
            go_version: "1.23".into(),
            main: true,
            ..Default::default()
        }],
        default_godebug: String::new(),
        settings: Default::default(),
    };
    let tc = Toolchain {
        parallel: Some(parallel),
        ..Toolchain::default()
    };
    let p = plan(input, &tc).expect("plan");
    let mut sizes = Sizes::from_std(StdLib::for_target("linux", "amd64", true).unwrap());
    for pkg in p.input().packages.iter().filter(|p| !p.standard) {
        let dir = root()
            .join("src")
            .join(pkg.dir.trim_start_matches("/tmp/gooracle/"));
        sizes.insert_files(pkg, |f| {
            std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0)
        });
    }
    Some((p, sizes))
}

/// `cgo=0 -p 1 cold go build -a -x wall: 23693 ms` → 23693 for the line containing `key`.
fn wall_txt(text: &str, key: &str) -> Option<f64> {
    let l = text.lines().find(|l| l.starts_with(key))?;
    let ms = l.split("wall: ").nth(1)?.split(' ').next()?;
    ms.parse().ok()
}

/// The derived `-p 1` reference for multi (see the module doc).
fn multi_p1_derived() -> Option<f64> {
    let csv = oracle("webjson/cost-cgo0-p1-actions.csv")?;
    let mut p1: HashMap<String, f64> = HashMap::new();
    for l in csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if f[1] == "build" {
            p1.insert(f[2].to_string(), f[4].parse().ok()?);
        }
    }
    let g = from_actiongraph(&oracle("multi/actiongraph-cold.json")?).ok()?;
    let mut sum = 0.0;
    for a in &g.actions {
        let own = (a.end_us - a.start_us) / 1000.0;
        sum += match a.mode.as_str() {
            "build" => p1.get(&a.package).copied().unwrap_or(own),
            _ => own,
        };
    }
    let t = from_chrome_trace(&oracle("multi/trace-cold.json")?).ok()?;
    let outside = (t.end_us - (t.do_end_us - t.do_start_us)) / 1000.0;
    Some(sum + outside)
}

#[test]
fn calibration_wall_times_within_15_percent() {
    let (Some(wall), Some(timings)) = (oracle("webjson/wall.txt"), oracle("multi/timings.txt"))
    else {
        eprintln!("note: oracle captures absent; skipping");
        return;
    };
    let multi_p2: f64 = timings
        .lines()
        .find(|l| l.starts_with("SUMMARY cold:"))
        .and_then(|l| l.split("median ").nth(1))
        .and_then(|m| m.split(' ').next())
        .and_then(|m| m.parse().ok())
        .unwrap();
    let webjson = ["encoding/json", "fmt", "net/http", "net/http/httptest"];
    let cases: Vec<(&str, usize, bool, f64, &str)> = vec![
        (
            "multi",
            1,
            true,
            multi_p1_derived().unwrap(),
            "derived (no -p 1 capture)",
        ),
        ("multi", 2, true, multi_p2, "multi/timings.txt median cold"),
        (
            "webjson",
            1,
            false,
            wall_txt(&wall, "cgo=0 -p 1 cold").unwrap(),
            "webjson/wall.txt cgo=0 -p 1",
        ),
        (
            "webjson",
            2,
            false,
            wall_txt(&wall, "cgo=0 cold").unwrap(),
            "webjson/wall.txt cgo=0",
        ),
        (
            "webjson",
            2,
            true,
            wall_txt(&wall, "cgo=1 cold").unwrap(),
            "webjson/wall.txt cgo=1 (extra)",
        ),
    ];
    let mut table = String::from(
        "| module  | -p | cgo | real (ms) | simulated (ms) | error   | reference |\n\
         |---------|----|-----|-----------|----------------|---------|-----------|\n",
    );
    let mut worst: f64 = 0.0;
    for (name, p, cgo, real, source) in cases {
        let (plan, sizes) = if name == "multi" {
            multi_plan(p).unwrap()
        } else {
            std_main_plan(name, &webjson, cgo, p)
        };
        let t = simulate(&plan, &sizes, &Simulation::oracle(p));
        let sim = t.wall_ms();
        let err = (sim - real) / real;
        worst = worst.max(err.abs());
        table.push_str(&format!(
            "| {name:7} | {p:2} | {:3} | {real:9.0} | {sim:14.0} | {:+6.1}% | {source} |\n",
            if cgo { "on" } else { "off" },
            err * 100.0
        ));
    }
    println!("{table}");
    assert!(
        worst <= 0.15,
        "calibration error {:.1}% > 15%\n{table}",
        worst * 100.0
    );
}
