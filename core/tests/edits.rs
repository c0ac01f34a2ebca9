//! Replays the real go's edit experiments (`shared/oracle/multi/modify/`,
//! `shared/oracle/cfgtool/modify/summary.json`) through plan → action IDs → cache with the
//! simulated objects, and asserts the same recompiled packages, asm runs and link runs as the
//! real go 1.23.5. Also checks our hashed lines against `GODEBUG=gocachehash=1` and the
//! why-rebuilt text. Skipped, with a note, when the captures are absent.
//!
//! The package graph comes from the captured `go list -deps -json` (the loader is a separate
//! module); none of the edits changes a package's file lists, so the captured lists stay true
//! after each edit. Edits to files outside those lists (tests, `_example/`, other commands)
//! therefore cannot change anything here by construction: what those cases check is that such a
//! file is not an input, which is the loader's job.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::cache::{MemoryCache, HOUR};
use buildlab_core::plan::{plan, Plan, PlanInput, Toolchain};
use buildlab_core::rebuild::{self, BuildReport, Flags, Record};
use buildlab_core::workspace::Workspace;
use serde_json::Value;

/// The workspace: every file the module's packages list, read from the captured sources.
fn workspace(input: &PlanInput, src: &Path) -> Workspace {
    let mut ws = Workspace::new();
    let root = input.cwd.trim_end_matches('/');
    for p in input.packages.iter().filter(|p| !p.standard) {
        let rel = p
            .dir
            .strip_prefix(root)
            .unwrap_or("")
            .trim_start_matches('/');
        for f in p
            .go_files
            .iter()
            .chain(p.s_files())
            .chain(p.embed_files())
            .chain(p.h_files())
        {
            let path = if rel.is_empty() {
                f.clone()
            } else {
                format!("{rel}/{f}")
            };
            let data = std::fs::read(src.join(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
            ws.insert(&path, data).unwrap();
        }
    }
    ws
}

struct Lab {
    plan: Plan,
    root: String,
    cache: MemoryCache,
    record: Record,
    target: Option<String>,
    now: i64,
}

impl Lab {
    fn new(module: &str) -> Option<(Lab, Workspace, PathBuf)> {
        let list = go_list(&oracle(&format!("{module}/go-list-deps.json"))?);
        let input = input_from_list(&list);
        let src = oracle_dir().join("src").join(module);
        let ws = workspace(&input, &src);
        let root = input.cwd.clone();
        let plan = plan(input, &Toolchain::default()).expect("plan");
        Some((
            Lab {
                plan,
                root,
                cache: MemoryCache::new(),
                record: Record::default(),
                target: None,
                now: 1_795_544_806 * 1_000_000_000,
            },
            ws,
            src,
        ))
    }

    fn build(&mut self, ws: &Workspace) -> BuildReport {
        let files = WorkspaceFiles {
            ws,
            root: self.root.clone(),
        };
        let flags = Flags::default();
        let predicted = rebuild::predict(
            &self.plan,
            &files,
            &self.cache,
            &self.record,
            self.target.as_deref(),
            &flags,
        );
        self.now += HOUR / 60;
        let r = rebuild::run(
            &self.plan,
            &files,
            &mut self.cache,
            &self.record,
            self.target.as_deref(),
            &flags,
            self.now,
        );
        if !self.record.actions.is_empty() {
            // The prediction (from the record alone, nothing run) matches the build.
            assert_eq!(
                (
                    predicted.compiled(),
                    predicted.asm_runs(),
                    predicted.link_runs()
                ),
                (r.compiled(), r.asm_runs(), r.link_runs()),
                "prediction"
            );
        }
        self.record = r.record.clone();
        self.target = r.target.clone();
        r
    }
}

/// Applies an edit as the oracle scripts did: `old` → `new` once; no `old`: append `new`
/// (an empty `new` is `touch`).
fn edit(ws: &Workspace, src: &Path, file: &str, old: Option<&str>, new: &str) -> Workspace {
    let mut ws = ws.clone();
    let data = ws
        .get(file)
        .map(<[u8]>::to_vec)
        .unwrap_or_else(|| std::fs::read(src.join(file)).unwrap_or_default());
    let mut text = String::from_utf8(data).unwrap();
    match old {
        Some(o) => {
            assert!(text.contains(o), "{file}: {o:?} not found");
            text = text.replacen(o, new, 1);
        }
        None => text.push_str(new),
    }
    ws.insert(file, text).unwrap();
    ws
}

/// multi/modify/summary.txt: (name, compiled, asm runs, link runs).
fn multi_summary(text: &str) -> Vec<(String, Vec<String>, usize, usize)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(h) = lines.next() {
        let name = h
            .trim_start_matches("== ")
            .split(' ')
            .next()
            .unwrap()
            .to_string();
        let mut compiled: Vec<String> = lines
            .next()
            .unwrap()
            .trim_start_matches("compiled (-p):")
            .split_whitespace()
            .map(|p| {
                if p == "main" {
                    "example.com/multi".to_string()
                } else {
                    p.to_string()
                }
            })
            .collect();
        compiled.sort();
        let counts: Vec<usize> = lines
            .next()
            .unwrap()
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        out.push((name, compiled, counts[0], counts[1]));
    }
    out
}

#[test]
fn multi_edits_match_the_real_go() {
    let Some((mut lab, ws, src)) = Lab::new("multi") else {
        return;
    };
    let (Some(summary), Some(json)) = (
        oracle("multi/modify/summary.txt"),
        oracle("multi/modify/summary.json"),
    ) else {
        return;
    };
    let expected = multi_summary(&summary);
    let edits: Vec<Value> = serde_json::from_str(&json).unwrap();

    let cold = lab.build(&ws);
    assert_eq!(cold.link_runs(), 1);
    assert_eq!(cold.asm_runs(), lab.plan.actions().map(|(a, _)| {
        lab.plan.steps(a).iter().filter(|s| matches!(s, buildlab_core::plan::Step::Run(i) if i.tool == buildlab_core::plan::Tool::Asm)).count()
    }).sum::<usize>());
    // Warm, binary present: nothing runs.
    let warm = lab.build(&ws);
    assert!(warm.compiled().is_empty());
    assert_eq!(warm.link_runs(), 0);
    // Binary deleted (build-x-warm-binremoved.txt): only the link reruns.
    lab.target = None;
    let binremoved = lab.build(&ws);
    assert!(binremoved.compiled().is_empty());
    assert_eq!(binremoved.link_runs(), 1);
    // -a: everything compiles again (build-a-counts.txt), and is stored.
    let files = WorkspaceFiles {
        ws: &ws,
        root: lab.root.clone(),
    };
    let forced = rebuild::run(
        &lab.plan,
        &files,
        &mut lab.cache,
        &lab.record,
        lab.target.as_deref(),
        &Flags {
            force: true,
            ..Flags::default()
        },
        lab.now,
    );
    assert_eq!(forced.compiled().len(), cold.compiled().len());

    for (e, (name, compiled, asm, links)) in edits.iter().zip(&expected) {
        assert!(name.ends_with(e["name"].as_str().unwrap()), "{name}");
        let edited = edit(
            &ws,
            &src,
            e["file"].as_str().unwrap(),
            e["old"].as_str(),
            e["new"].as_str().unwrap(),
        );
        let r = lab.build(&edited);
        assert_eq!(
            (r.compiled(), r.asm_runs(), r.link_runs()),
            (compiled.clone(), *asm, *links),
            "edit {name}"
        );
        if name == "3-code-byte-util" {
            let text = r.explain("link example.com/multi");
            eprintln!("{text}");
            // util.Join is not inlinable, but `Sprint(ys)` → `Sprint(xs)` changes how its
            // parameter escapes ("leaking param content: xs" → "leaking param: xs"), so util's
            // export data changes; internal/a's object records util's export fingerprint, so
            // its output changes too (real go: its content ID changes), and the chain of
            // changed outputs runs through it.
            assert!(
                text.contains(
                    "chain: example.com/multi/util → example.com/multi/internal/a → example.com/multi → link example.com/multi"
                ),
                "{text}"
            );
            let a = r.get("build example.com/multi/internal/a").unwrap();
            assert!(a.outcome.ran());
            assert_ne!(
                r.record.actions["build example.com/multi/internal/a"].content,
                cold.record.actions["build example.com/multi/internal/a"].content
            );
            let main = r.explain("build example.com/multi");
            assert!(
                main.contains("  import example.com/multi/internal/a ")
                    && main.contains("  import example.com/multi/util "),
                "{main}"
            );
            assert!(text.contains("root cause: file util/util.go "), "{text}");
            let util = r.explain("build example.com/multi/util");
            assert!(util.contains("  file util/util.go "), "{util}");
        }
        // Undo and rebuild, as the oracle script did (the cache has it; the binary relinks).
        lab.build(&ws);
    }
}

#[test]
fn cfgtool_edits_match_the_real_go() {
    let Some((mut lab, ws, src)) = Lab::new("cfgtool") else {
        return;
    };
    let Some(json) = oracle("cfgtool/modify/summary.json") else {
        return;
    };
    let edits: Vec<Value> = serde_json::from_str(&json).unwrap();
    lab.build(&ws);
    let warm = lab.build(&ws);
    assert!(warm.compiled().is_empty() && warm.link_runs() == 0);
    let mut failures = Vec::new();
    for e in &edits {
        let name = e["name"].as_str().unwrap();
        let transcript = oracle(&format!("cfgtool/modify/{name}.txt")).unwrap_or_default();
        let asm = transcript.matches("/asm ").count();
        let mut want: Vec<String> = strs(e, "compiled")
            .into_iter()
            .map(|p| {
                if p == "main" {
                    "example.com/cfgtool".to_string()
                } else {
                    p
                }
            })
            .collect();
        want.sort();
        let links = e["links"].as_u64().unwrap() as usize;
        let edited = edit(
            &ws,
            &src,
            e["file"].as_str().unwrap(),
            e["old"].as_str(),
            e["new"].as_str().unwrap(),
        );
        // A go.mod edit changes the module's go version: re-plan with it.
        let r = if e["file"].as_str().unwrap().ends_with("go.mod") {
            let mut input = lab.plan.input().clone();
            let text = String::from_utf8(edited.get(e["file"].as_str().unwrap()).unwrap().to_vec())
                .unwrap();
            let gov = text
                .lines()
                .find_map(|l| l.strip_prefix("go "))
                .unwrap()
                .trim()
                .to_string();
            let modpath = text
                .lines()
                .find_map(|l| l.strip_prefix("module "))
                .unwrap()
                .trim()
                .to_string();
            for m in input.modules.iter_mut().filter(|m| m.path == modpath) {
                m.go_version = gov.clone();
            }
            let orig =
                std::mem::replace(&mut lab.plan, plan(input, &Toolchain::default()).unwrap());
            let r = lab.build(&edited);
            lab.plan = orig;
            r
        } else {
            lab.build(&edited)
        };
        let got = (r.compiled(), r.asm_runs(), r.link_runs());
        if got != (want.clone(), asm, links) {
            failures.push(format!(
                "{name}: got {got:?}, real go {:?}",
                (want, asm, links)
            ));
        }
        lab.build(&ws);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Our hashed lines have exactly the shape of go's `GODEBUG=gocachehash=1` for the module's
/// packages and the link (values differ: blake3, and std files are stand-ins).
#[test]
fn hashed_lines_match_gocachehash() {
    let Some((mut lab, ws, _)) = Lab::new("multi") else {
        return;
    };
    let Some(text) = oracle("multi/gocachehash-cold-filtered.txt") else {
        return;
    };
    let r = lab.build(&ws);
    let norm = |l: &str| -> String {
        let l = l.strip_suffix("\\n").unwrap_or(l);
        let w: Vec<&str> = l.split(' ').collect();
        match w[0] {
            "file" | "import" if w.len() == 3 && !w[1].starts_with('\\') => {
                format!("{} {} *", w[0], w[1])
            }
            "packagefile" => format!("packagefile {}=*", l[12..].split('=').next().unwrap()),
            "packagemain" => "packagemain *".into(),
            _ => l.to_string(),
        }
    };
    for key in [
        "build example.com/multi/asmadd",
        "build example.com/multi/util",
        "build example.com/multi/internal/a",
        "build example.com/multi",
        "build fmt",
        "build runtime",
        "build internal/cpu",
        "link example.com/multi",
    ] {
        let prefix = format!("HASH[{key}]: \"");
        let want: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|l| norm(l.strip_suffix('"').unwrap()))
            .collect();
        let ours = &r.get(key).unwrap_or_else(|| panic!("{key}")).inputs;
        let got: Vec<String> = ours
            .render_gocachehash()
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|l| norm(l.strip_suffix('"').unwrap()))
            .collect();
        assert_eq!(got, want, "{key}");
    }
}
