//! Snapshot tests for `transcript`: the `-n` / `-x` output and the `-work` tree of the real
//! go1.23.5 (`shared/oracle/{hello,multi}`) against our rendering of the same build, planned from
//! the fixture sources by the loader. What the captures' cache held (which actions hit, the hex
//! names of cache files) is read from the captures themselves, since it is input here; build IDs
//! are the only placeholder (`@BUILDID@`). The real cold `-x` builds ran with `-p 2`, so they are
//! compared as a multiset of per-action blocks, each block exactly. Skipped, with a note, when
//! the captures are absent.

mod common;
use common::read_tree;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use buildlab_core::load::{load, LoadRequest};
use buildlab_core::plan::{plan, ActionIx, Mode, Plan, Toolchain, BUILD_ID};
use buildlab_core::transcript::{
    render, serial_order, work_tree, ActionRun, ChunkKind, Flags, RenderInput, RunOutcome,
    Transcript, WorkEntry,
};
use buildlab_core::workspace::Workspace;

// ---------------------------------------------------------------------------------------------
// Fixtures and captures
// ---------------------------------------------------------------------------------------------

fn oracle(rel: &str) -> Option<String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/oracle")
        .join(rel);
    match std::fs::read_to_string(&p) {
        Ok(s) => Some(s),
        Err(_) => {
            eprintln!("note: {} absent; skipping", p.display());
            None
        }
    }
}

fn plan_ws(ws: &Workspace, display: &str) -> Plan {
    let req = LoadRequest {
        cwd: String::new(),
        patterns: vec![".".into()],
        module_root_display: display.into(),
        ..LoadRequest::default()
    };
    let loaded = load(ws, &req).unwrap_or_else(|e| panic!("load failed:\n{e}"));
    plan(loaded.input, &Toolchain::default()).unwrap_or_else(|e| panic!("plan: {e:?}"))
}

/// A module planned as the oracle built it: sources at `/tmp/gooracle/NAME`. hello and multi
/// come from the fixtures, cfgtool (real libraries) from the oracle's own copy.
fn fixture_plan(name: &str) -> Plan {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = if name == "cfgtool" {
        root.join("../../shared/oracle/src/cfgtool")
    } else {
        root.join("../tests/fixtures").join(name).join("src")
    };
    plan_ws(&read_tree(&dir), &format!("/tmp/gooracle/{name}"))
}

/// A capture's text up to its trailer (`rc=…`, `-- …`).
fn capture(text: &str) -> String {
    let mut s = String::new();
    for l in text.lines() {
        if l.starts_with("rc=") || l.starts_with("-- ") {
            break;
        }
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Build IDs replaced by the placeholder.
fn norm_ids(text: &str) -> String {
    let mut out = String::new();
    for l in text.lines() {
        let mut l = l.to_string();
        for key in ["-buildid ", "-buildid="] {
            if let Some(at) = l.find(key) {
                let start = at + key.len();
                let end = l[start..].find(' ').map_or(l.len(), |e| start + e);
                l.replace_range(start..end, BUILD_ID);
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn work_of(text: &str) -> String {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("WORK="))
        .expect("a WORK= line")
        .to_string()
}

/// `(gocache, hex)` from a cache file path `GOCACHE/xx/HEX-d`.
fn split_cache_file(path: &str) -> (String, String) {
    let file = path.rsplit('/').next().unwrap();
    let hex = file.strip_suffix("-d").expect("a cache file").to_string();
    let gocache = path[..path.len() - file.len() - 4].to_string();
    (gocache, hex)
}

/// The cold capture's cache writes: work dir name (`b006`) → hex, and GOCACHE.
fn stored(text: &str) -> (String, HashMap<String, String>) {
    let mut map = HashMap::new();
    let mut gocache = String::new();
    for l in text.lines() {
        let Some(rest) = l.strip_prefix("cp $WORK/") else {
            continue;
        };
        let Some((b, rest)) = rest.split_once("/_pkg_.a ") else {
            continue;
        };
        let path = rest.strip_suffix(" # internal").unwrap();
        let (g, hex) = split_cache_file(path);
        gocache = g;
        map.insert(b.to_string(), hex);
    }
    (gocache, map)
}

/// The cache files a warm link read: import path → hex, and GOCACHE.
fn hits(text: &str) -> (String, HashMap<String, String>) {
    let mut map = HashMap::new();
    let mut gocache = String::new();
    for l in text.lines() {
        let Some(rest) = l.strip_prefix("packagefile ") else {
            continue;
        };
        let (pkg, path) = rest.split_once('=').unwrap();
        let (g, hex) = split_cache_file(path);
        gocache = g;
        map.insert(pkg.to_string(), hex);
    }
    (gocache, map)
}

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

/// A cold build (or `-a`): every build misses and is stored as `stored` says (by work dir).
fn cold_runs(p: &Plan, stored: &HashMap<String, String>) -> Vec<ActionRun> {
    serial_order(p)
        .into_iter()
        .map(|a| {
            let x = p.action(a);
            let stored_as = match (x.mode, x.objdir) {
                (Mode::Build, Some(d)) => stored.get(&d.name()).cloned(),
                _ => None,
            };
            ActionRun::new(a, RunOutcome::Ran { stored_as })
        })
        .collect()
}

/// The link action under the root install.
fn link_of(p: &Plan) -> ActionIx {
    let root = p.action(p.root());
    assert_eq!(root.mode, Mode::LinkInstall);
    root.deps[0]
}

/// A warm build: every build hits; with the binary present the link (and the main package's
/// compile) are up to date, without it the link reruns.
fn warm_runs(p: &Plan, hits: &HashMap<String, String>, bin_present: bool) -> Vec<ActionRun> {
    let link = link_of(p);
    let main = p.action(link).deps[0];
    serial_order(p)
        .into_iter()
        .map(|a| {
            let x = p.action(a);
            let outcome = match x.mode {
                Mode::Build if bin_present && a == main => RunOutcome::UpToDate,
                Mode::Build => RunOutcome::Hit {
                    output_hex: hits[p.package_path(a)].clone(),
                },
                Mode::Link if bin_present => RunOutcome::UpToDate,
                _ => RunOutcome::Ran { stored_as: None },
            };
            ActionRun::new(a, outcome)
        })
        .collect()
}

fn rendered(p: &Plan, flags: Flags, work: &str, gocache: &str, runs: &[ActionRun]) -> Transcript {
    render(&RenderInput {
        plan: p,
        flags,
        work_dir: work,
        gocache,
        runs,
    })
}

const X: Flags = Flags {
    x: true,
    n: false,
    work: false,
};
const N: Flags = Flags {
    x: false,
    n: true,
    work: false,
};

fn assert_lines(got: &str, want: &str, what: &str) {
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    for (i, (gl, wl)) in g.iter().zip(&w).enumerate() {
        assert_eq!(gl, wl, "{what}: line {} differs", i + 1);
    }
    assert_eq!(g.len(), w.len(), "{what}: line count");
    assert_eq!(got, want, "{what}: text");
}

// ---------------------------------------------------------------------------------------------
// Per-action blocks of a -x stream
// ---------------------------------------------------------------------------------------------

/// Split a `-x` transcript into per-action blocks: each line (a heredoc counts as one) goes to
/// the work directory it names first (`b006`), refined into `build` / `link` / `install` for the
/// directory main, link and install share; `cd` lines are dropped, and each tool command is
/// prefixed by the directory it ran in, tracked through them.
fn blocks(text: &str, work: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut dir = String::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if let Some(d) = l.strip_prefix("cd ") {
            dir = d.to_string();
            continue;
        }
        let mut unit = l.to_string();
        if l.starts_with("cat >") {
            for m in lines.by_ref() {
                unit.push('\n');
                unit.push_str(m);
                if m.ends_with("EOF") {
                    break;
                }
            }
        }
        let first = unit.lines().next().unwrap();
        let b = ["$WORK/b".to_string(), format!("{work}/b")]
            .iter()
            .filter_map(|pre| first.find(pre.as_str()).map(|i| i + pre.len()))
            .min()
            .map(|i| format!("b{}", &first[i..i + 3]))
            .unwrap_or_default();
        let kind = if first.contains("importcfg.link")
            || first.contains("/exe/")
            || first.contains("/link ")
        {
            "link"
        } else if first.starts_with("mv ") || first.starts_with("rm -rf ") {
            "install"
        } else {
            "build"
        };
        if first.contains("/pkg/tool/") && !first.contains("/buildid ") {
            unit = format!("[{dir}] {unit}");
        }
        out.entry(format!("{b} {kind}")).or_default().push(unit);
    }
    out
}

fn compare_blocks(got: &str, want: &str, work: &str, what: &str) {
    let (g, w) = (blocks(got, work), blocks(want, work));
    for (k, wb) in &w {
        let gb = g.get(k).unwrap_or_else(|| panic!("{what}: no block {k}"));
        for (i, (gl, wl)) in gb.iter().zip(wb).enumerate() {
            assert_eq!(gl, wl, "{what}: block {k}, unit {}", i + 1);
        }
        assert_eq!(gb.len(), wb.len(), "{what}: block {k} length");
    }
    assert_eq!(
        g.keys().collect::<Vec<_>>(),
        w.keys().collect::<Vec<_>>(),
        "{what}: block set"
    );
}

// ---------------------------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------------------------

fn check_cold_x(name: &str) {
    let Some(text) = oracle(&format!("{name}/build-x-cold.txt")) else {
        return;
    };
    let want = norm_ids(&capture(&text));
    let p = fixture_plan(name);
    let work = work_of(&want);
    let (gocache, stored) = stored(&want);
    let t = rendered(&p, X, &work, &gocache, &cold_runs(&p, &stored));
    assert_eq!(t.exit_status, 0);
    assert_eq!(t.chunks[0].kind, ChunkKind::WorkDir);
    compare_blocks(&t.text(), &want, &work, &format!("{name} cold -x"));
    // Same commands; only the `cd` lines depend on the interleaving.
    let count = |s: &str| s.lines().filter(|l| !l.starts_with("cd ")).count();
    assert_eq!(
        count(&t.text()),
        count(&want),
        "{name} cold -x: lines other than cd"
    );
}

fn check_warm(name: &str) {
    let (Some(removed_x), Some(present_x), Some(removed_n)) = (
        oracle(&format!("{name}/build-x-warm-binremoved.txt")),
        oracle(&format!("{name}/build-x-warm-binpresent.txt")),
        oracle(&format!("{name}/build-n-warm-binremoved.txt")),
    ) else {
        return;
    };
    let p = fixture_plan(name);
    let (gocache, hits) = hits(&removed_x);

    let want = norm_ids(&capture(&removed_x));
    let work = work_of(&want);
    let t = rendered(&p, X, &work, &gocache, &warm_runs(&p, &hits, false));
    assert_lines(&t.text(), &want, &format!("{name} warm -x, binary removed"));

    let want = capture(&present_x);
    let t = rendered(
        &p,
        X,
        &work_of(&want),
        &gocache,
        &warm_runs(&p, &hits, true),
    );
    assert_lines(&t.text(), &want, &format!("{name} warm -x, binary present"));

    let want = norm_ids(&capture(&removed_n));
    let t = rendered(&p, N, "", &gocache, &warm_runs(&p, &hits, false));
    assert_lines(&t.text(), &want, &format!("{name} warm -n, binary removed"));

    // cfgtool has no such capture.
    if let Some(present_n) = oracle(&format!("{name}/build-n-warm-binpresent.txt")) {
        let want = capture(&present_n);
        let t = rendered(&p, N, "", &gocache, &warm_runs(&p, &hits, true));
        assert_lines(&t.text(), &want, &format!("{name} warm -n, binary present"));
    }
}

/// `go build -a -x . 2>&1 | grep -c compile` and the other counts of build-a-counts.txt.
fn check_a_counts(name: &str) {
    let (Some(counts), Some(cold)) = (
        oracle(&format!("{name}/build-a-counts.txt")),
        oracle(&format!("{name}/build-x-cold.txt")),
    ) else {
        return;
    };
    let p = fixture_plan(name);
    let (gocache, stored) = stored(&cold);
    let text = rendered(&p, X, "/tmp/go-build1", &gocache, &cold_runs(&p, &stored)).text();
    let grep = |needle: &str| text.lines().filter(|l| l.contains(needle)).count();
    for line in counts.lines() {
        let (what, n) = line.rsplit_once(": ").unwrap();
        let n: usize = n.trim().parse().unwrap();
        let needle = if what.ends_with("grep -c compile") {
            "compile"
        } else if let Some(q) = what
            .strip_prefix("grep -c '")
            .and_then(|w| w.strip_suffix('\''))
        {
            if q == "cgo " {
                "/cgo "
            } else {
                q
            }
        } else {
            what.strip_prefix("grep -c ").unwrap()
        };
        assert_eq!(grep(needle), n, "{name}: {line}");
    }
}

#[test]
fn transcript_hello_cold_x_blocks() {
    check_cold_x("hello");
}

#[test]
fn transcript_multi_cold_x_blocks() {
    check_cold_x("multi");
}

#[test]
fn transcript_hello_warm_x_and_n() {
    check_warm("hello");
}

#[test]
fn transcript_multi_warm_x_and_n() {
    check_warm("multi");
}

/// Real libraries (cgo packages among the hits, old `go` directives): the relink is the same.
#[test]
fn transcript_cfgtool_warm_x_and_n() {
    check_warm("cfgtool");
}

#[test]
fn transcript_a_counts() {
    check_a_counts("hello");
    check_a_counts("multi");
}

/// The whole `-n` script of a cold build, in `-p 1` order, exactly.
#[test]
fn transcript_multi_cold_n_exact() {
    let Some(text) = oracle("multi/build-n-cold.txt") else {
        return;
    };
    let p = fixture_plan("multi");
    let runs = cold_runs(&p, &HashMap::new());
    let t = rendered(&p, N, "", "/tmp/gooracle/cache-multi-main", &runs);
    assert_lines(&t.text(), &norm_ids(&capture(&text)), "multi cold -n");
    assert!(t.chunks.iter().any(|c| c.kind == ChunkKind::Banner));
}

/// The same cold build under `-x` at `-p 1`: the commands of the `-n` script, with the work
/// directory's `WORK=` line, absolute heredocs and the cache writes.
#[test]
fn transcript_multi_cold_x_p1_is_the_n_script_plus_cache_writes() {
    let (Some(n), Some(x)) = (
        oracle("multi/build-n-cold.txt"),
        oracle("multi/build-x-cold.txt"),
    ) else {
        return;
    };
    let p = fixture_plan("multi");
    let x = capture(&x);
    let work = work_of(&x);
    let (gocache, stored) = stored(&x);
    let got = rendered(&p, X, &work, &gocache, &cold_runs(&p, &stored)).text();
    let mut want = format!("WORK={work}\n");
    let n = norm_ids(&capture(&n));
    let lines = n.lines();
    let mut current: Option<String> = None;
    let mut prev = "";
    for l in lines {
        let after_hash = std::mem::replace(&mut prev, l) == "#";
        if l.is_empty() || l == "#" {
            continue;
        }
        if let (true, Some(pkg)) = (after_hash, l.strip_prefix("# ")) {
            current = Some(pkg.to_string());
            continue;
        }
        let l = if l.starts_with("cat >$WORK/") {
            l.replacen("$WORK", &work, 1)
        } else if l.starts_with("packagefile ") {
            l.replace("$WORK", &work)
        } else {
            l.to_string()
        };
        want.push_str(&l);
        want.push('\n');
        // After a package's last command (its buildid), go stores the archive.
        if l.contains("/buildid -w $WORK/") && l.contains("/_pkg_.a") {
            let b = &l[l.find("$WORK/").unwrap() + 6..][..4];
            let hex = &stored[b];
            want.push_str(&format!(
                "cp $WORK/{b}/_pkg_.a {gocache}/{}/{hex}-d # internal\n",
                &hex[..2]
            ));
            assert!(current.take().is_some());
        }
    }
    assert_lines(&got, &want, "multi cold -x at -p 1");
}

// ---------------------------------------------------------------------------------------------
// -work
// ---------------------------------------------------------------------------------------------

/// Sections of a work-dir capture: `find` paths, `size path` lines, `==== path` texts.
struct WorkCapture {
    paths: Vec<String>,
    /// `None` for `?` (unknown in our rendering).
    sizes: BTreeMap<String, Option<u64>>,
    texts: BTreeMap<String, String>,
}

fn parse_work(text: &str) -> WorkCapture {
    let mut w = WorkCapture {
        paths: Vec::new(),
        sizes: BTreeMap::new(),
        texts: BTreeMap::new(),
    };
    let mut section = "";
    let mut current: Option<String> = None;
    for l in text.lines().skip(1) {
        if let Some(path) = l.strip_prefix("==== ") {
            current = Some(path.to_string());
            w.texts.insert(path.to_string(), String::new());
            continue;
        }
        if let Some(c) = &current {
            let t = w.texts.get_mut(c).unwrap();
            t.push_str(l);
            t.push('\n');
            continue;
        }
        match l {
            "== find (sorted)" => section = "find",
            "== sizes" => section = "sizes",
            _ if section == "find" => w.paths.push(l.to_string()),
            _ => {
                let (n, path) = l.split_once(' ').unwrap();
                w.sizes.insert(path.to_string(), n.parse().ok());
            }
        }
    }
    w
}

fn check_work_tree(p: &Plan, want: &WorkCapture, work: &str, runs: &[ActionRun], what: &str) {
    let tree = work_tree(&RenderInput {
        plan: p,
        flags: Flags {
            x: true,
            n: false,
            work: true,
        },
        work_dir: work,
        gocache: "/tmp/gooracle/cache",
        runs,
    })
    .unwrap();
    let got = parse_work(&tree.render());
    if !want.paths.is_empty() {
        assert_eq!(got.paths, want.paths, "{what}: find listing");
    }
    // Every file is listed; the sizes we know (the files go writes itself) are exact.
    assert_eq!(
        got.sizes.keys().collect::<Vec<_>>(),
        want.sizes.keys().collect::<Vec<_>>(),
        "{what}: files"
    );
    let mut checked = 0;
    for (path, e) in &tree.entries {
        if let WorkEntry::File {
            text: Some(t),
            size,
        } = e
        {
            let key = format!("./{path}");
            assert_eq!(*size, want.sizes[&key], "{what}: size of {key}");
            if let Some(w) = want.texts.get(&key) {
                assert_eq!(t, w, "{what}: text of {key}");
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "{what}: no text compared");
}

#[test]
fn transcript_work_tree_cold() {
    for name in ["hello", "multi"] {
        let (Some(work_text), Some(cold)) = (
            oracle(&format!("{name}/work-dir-cold-trimmed.txt")),
            oracle(&format!("{name}/build-x-cold.txt")),
        ) else {
            return;
        };
        let p = fixture_plan(name);
        let (_, stored) = stored(&cold);
        let want = parse_work(&work_text);
        let work = work_of(&work_text);
        check_work_tree(
            &p,
            &want,
            &work,
            &cold_runs(&p, &stored),
            &format!("{name} cold -work"),
        );
    }
}

#[test]
fn transcript_work_tree_warm_relink() {
    let Some(work_text) = oracle("multi/work-dir-warm-binremoved.txt") else {
        return;
    };
    let p = fixture_plan("multi");
    let want = parse_work(&work_text);
    // That build used its own cache: the hits are named from its importcfg.link.
    let (gocache, hits) = hits(&work_text);
    // The listing has no find section: sizes start right after WORK=.
    let want = WorkCapture {
        paths: Vec::new(),
        sizes: work_text
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("===="))
            .map(|l| {
                let (n, path) = l.split_once(' ').unwrap();
                (path.to_string(), n.parse().ok())
            })
            .collect(),
        texts: want.texts,
    };
    let work = work_of(&work_text);
    let runs = warm_runs(&p, &hits, false);
    let tree = work_tree(&RenderInput {
        plan: &p,
        flags: Flags {
            x: true,
            n: false,
            work: true,
        },
        work_dir: &work,
        gocache: &gocache,
        runs: &runs,
    })
    .unwrap();
    let files: Vec<String> = tree
        .entries
        .iter()
        .filter(|(_, e)| matches!(e, WorkEntry::File { .. }))
        .map(|(k, _)| format!("./{k}"))
        .collect();
    assert_eq!(files, want.sizes.keys().cloned().collect::<Vec<_>>());
    let Some(WorkEntry::File {
        text: Some(t),
        size,
    }) = tree.entries.get("b001/importcfg.link")
    else {
        panic!("no importcfg.link");
    };
    assert_eq!(t, &want.texts["./b001/importcfg.link"]);
    assert_eq!(*size, want.sizes["./b001/importcfg.link"]);
    assert!(tree.entries.contains_key("b001/exe"));
}

// ---------------------------------------------------------------------------------------------
// A failing compile (errors.txt, syntax3)
// ---------------------------------------------------------------------------------------------

#[test]
fn transcript_compile_failure_reports_and_exits_1() {
    let Some(errors) = oracle("errors.txt") else {
        return;
    };
    let case = errors
        .split("################ syntax3 ")
        .nth(1)
        .unwrap()
        .split("################ ")
        .next()
        .unwrap();
    let mut ws = Workspace::new();
    for part in case.split("---- file ./").skip(1) {
        let (name, rest) = part.split_once(":\n").unwrap();
        let body: String = rest
            .lines()
            .take_while(|l| !l.starts_with("$ ") && !l.starts_with("---- "))
            .map(|l| format!("{l}\n"))
            .collect();
        ws.insert(name, body.into_bytes()).unwrap();
    }
    let p = plan_ws(&ws, "/tmp/gooracle/errs/syntax3");
    // What go printed without -x, and the tail of its -x.
    let plain: String = case
        .split("$ (cd syntax3 && go build .)\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with('['))
        .map(|l| format!("{l}\n"))
        .collect();
    let x_tail: Vec<&str> = case
        .split("go build -x .) [last 6 lines]\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with('['))
        .collect();
    let message = plain.lines().nth(1).unwrap().to_string();
    let (gocache, runtime_hex) = split_cache_file(x_tail[0].split_once('=').unwrap().1);

    let link = link_of(&p);
    let main = p.action(link).deps[0];
    let compile_step = p
        .steps(main)
        .iter()
        .position(|s| matches!(s, buildlab_core::plan::Step::Run(i) if i.tool.name() == "compile"))
        .unwrap();
    let runs: Vec<ActionRun> = serial_order(&p)
        .into_iter()
        .map(|a| {
            let x = p.action(a);
            let outcome = if a == main {
                RunOutcome::Failed {
                    step: compile_step,
                    // The compiler names the file as it was given: relative to the cwd.
                    output: format!("{message}\n"),
                }
            } else if x.mode == Mode::Build {
                RunOutcome::Hit {
                    output_hex: runtime_hex.clone(),
                }
            } else if a == link || a == p.root() {
                RunOutcome::Skipped
            } else {
                RunOutcome::Ran { stored_as: None }
            };
            ActionRun::new(a, outcome)
        })
        .collect();
    let flags = Flags::default();
    let t = rendered(&p, flags, "/tmp/go-build1", &gocache, &runs);
    assert_eq!(t.text(), plain);
    assert_eq!(t.exit_status, 1);
    assert_eq!(t.chunks.last().unwrap().kind, ChunkKind::ToolOutput);

    let t = rendered(&p, X, "/tmp/go-build1", &gocache, &runs);
    let text = norm_ids(&t.text());
    let got: Vec<&str> = text.lines().collect();
    let want = norm_ids(&x_tail.join("\n"));
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(&got[got.len() - want.len()..], &want[..]);
    assert_eq!(t.exit_status, 1);

    // The absolute spelling of the package directory is shortened as go does.
    let runs: Vec<ActionRun> = runs
        .into_iter()
        .map(|mut r| {
            if let RunOutcome::Failed { output, .. } = &mut r.outcome {
                *output = format!("/tmp/gooracle/errs/syntax3/{}\n", &message[2..]);
            }
            r
        })
        .collect();
    assert_eq!(rendered(&p, flags, "/w", &gocache, &runs).text(), plain);
}

/// Under plain `go build` nothing is printed for a successful build; `-work` prints `WORK=`.
#[test]
fn transcript_quiet_build_and_work_flag() {
    let p = fixture_plan("hello");
    let runs = cold_runs(&p, &HashMap::new());
    let t = rendered(&p, Flags::default(), "/tmp/go-build9", "/c", &runs);
    assert_eq!(t.text(), "");
    let flags = Flags {
        work: true,
        ..Flags::default()
    };
    assert_eq!(
        rendered(&p, flags, "/tmp/go-build9", "/c", &runs).text(),
        "WORK=/tmp/go-build9\n"
    );
    // -x -work keeps the directory: no rm -rf.
    let flags = Flags {
        x: true,
        work: true,
        n: false,
    };
    let text = rendered(&p, flags, "/tmp/go-build9", "/c", &runs).text();
    assert!(
        text.ends_with("mv $WORK/b001/exe/a.out hello\n"),
        "{}",
        &text[text.len() - 200..]
    );
}
