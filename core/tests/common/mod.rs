//! Helpers shared by the oracle tests: reading the captures in `../shared/oracle` and turning
//! a captured `go list -deps -json` into the planner's input.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use buildlab_core::plan::{BuildMode, ModuleInfo, PkgMore, PkgNode, PlanInput};
use buildlab_core::workspace::Workspace;
use serde_json::Value;

/// The oracle captures beside the repository (CI lays `shared/` there too).
pub fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracle")
}

pub fn oracle(rel: &str) -> Option<String> {
    let p = oracle_dir().join(rel);
    match std::fs::read_to_string(&p) {
        Ok(s) => Some(s),
        Err(_) => {
            eprintln!("note: {} absent; skipping", p.display());
            None
        }
    }
}

/// `go list -deps -json` output: concatenated JSON objects.
pub fn go_list(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(|v| v.expect("go list JSON"))
        .collect()
}

pub fn strs(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

/// A `PlanInput` from `go list -deps -json` objects; roots are the packages with `Match`.
pub fn input_from_list(list: &[Value]) -> PlanInput {
    let index: HashMap<String, usize> = list
        .iter()
        .enumerate()
        .map(|(i, p)| (s(p, "ImportPath"), i))
        .collect();
    let mut modules: Vec<ModuleInfo> = Vec::new();
    let mut cwd = String::new();
    let mut packages = Vec::new();
    for p in list {
        let module = p.get("Module").map(|m| {
            let path = s(m, "Path");
            if let Some(i) = modules.iter().position(|x| x.path == path) {
                return i;
            }
            let main = m.get("Main").and_then(Value::as_bool).unwrap_or(false);
            if main {
                cwd = s(m, "Dir");
            }
            modules.push(ModuleInfo {
                path,
                version: s(m, "Version"),
                go_version: s(m, "GoVersion"),
                main,
                replace: m.get("Replace").map(|r| (s(r, "Path"), s(r, "Version"))),
                sum: s(m, "Sum"),
            });
            modules.len() - 1
        });
        let mut import_map: Vec<(String, String)> = p
            .get("ImportMap")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        import_map.sort();
        packages.push(
            PkgNode {
                import_path: s(p, "ImportPath"),
                name: s(p, "Name"),
                dir: s(p, "Dir"),
                standard: p.get("Standard").and_then(Value::as_bool).unwrap_or(false),
                imports: strs(p, "Imports")
                    .iter()
                    .filter(|i| *i != "C")
                    .map(|i| index[i])
                    .collect(),
                go_files: strs(p, "GoFiles"),
                module,
                more: None,
            }
            .with_more(PkgMore {
                import_map,
                s_files: strs(p, "SFiles"),
                h_files: strs(p, "HFiles"),
                cgo_files: strs(p, "CgoFiles"),
                c_files: strs(p, "CFiles"),
                syso_files: strs(p, "SysoFiles"),
                cgo_flags: buildlab_core::cgo::CgoFlags {
                    cppflags: strs(p, "CgoCPPFLAGS"),
                    cflags: strs(p, "CgoCFLAGS"),
                    ldflags: strs(p, "CgoLDFLAGS"),
                },
                embed_patterns: Default::default(),
                embed_files: strs(p, "EmbedFiles"),
                ..Default::default()
            }),
        );
    }
    // `go list -deps` prints dependencies first; the command line matches in path order.
    let mut roots: Vec<usize> = list
        .iter()
        .enumerate()
        .filter(|(_, p)| p.get("Match").is_some())
        .map(|(i, _)| i)
        .collect();
    roots.sort_by_key(|&i| s(&list[i], "ImportPath"));
    PlanInput {
        packages,
        roots,
        mode: BuildMode::Build,
        cwd,
        modules,
        default_godebug: String::new(),
        settings: Default::default(),
    }
}

/// Every file under `dir`, as workspace paths relative to it.
pub fn read_tree(dir: &Path) -> Workspace {
    fn walk(root: &Path, dir: &Path, ws: &mut Workspace) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, ws);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                ws.insert(&rel, std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    let mut ws = Workspace::new();
    walk(dir, dir, &mut ws);
    ws
}
