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
        verbose: false,
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
        verbose: false,
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
        verbose: false,
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

// ---------------------------------------------------------------------------------------------
// Interleaving at -p > 1
// ---------------------------------------------------------------------------------------------

/// A simulated cold `go build` of a fixture on the oracle's machine (2 cores) with `workers`,
/// printing as `print` and `verbose` say, into `work` and `gocache`.
fn simulate_cold(
    name: &str,
    workers: usize,
    print: Flags,
    verbose: bool,
    work: &str,
    gocache: &str,
) -> (Plan, buildlab_core::build::BuildResult) {
    use buildlab_core::actionid::WorkspaceFiles;
    use buildlab_core::build::{simulate, Config};
    use buildlab_core::cache::MemoryCache;
    use buildlab_core::cost::Machine;
    use buildlab_core::rebuild::Record;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ws = read_tree(&root.join("../tests/fixtures").join(name).join("src"));
    let p = plan_ws(&ws, &format!("/tmp/gooracle/{name}"));
    let files = WorkspaceFiles {
        ws: &ws,
        root: p.input().cwd.clone(),
    };
    let cfg = Config {
        print,
        verbose,
        workers,
        work_dir: work.into(),
        gocache: gocache.into(),
        ..Config::default()
    };
    let mut cache = MemoryCache::default();
    let r = simulate(
        &p,
        &files,
        &mut cache,
        &Record::default(),
        None,
        cfg,
        Machine::oracle(),
    );
    (p, r)
}

/// Cache file names (`/xx/<64 hex>-d`) replaced by a placeholder: the simulated content IDs are
/// not the real compiler's.
fn norm_cache_files(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("-d") {
        let (head, tail) = rest.split_at(i);
        let hex_start = head.len().saturating_sub(64);
        let is_file = head.len() >= 68
            && head[hex_start..].bytes().all(|b| b.is_ascii_hexdigit())
            && head.as_bytes()[hex_start - 1] == b'/'
            && head.as_bytes()[hex_start - 4] == b'/';
        if is_file {
            out.push_str(&head[..hex_start - 3]);
            out.push_str("@HEX@");
        } else {
            out.push_str(head);
            out.push_str("-d");
        }
        rest = &tail[2..];
    }
    out.push_str(rest);
    out
}

/// The action each printed unit belongs to, in print order (a `cd` belongs to the command after
/// it, a heredoc is one unit): the keys of [`blocks`].
fn unit_owners(text: &str, work: &str) -> Vec<String> {
    let mut owners = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        if l.starts_with("cd ") || l.starts_with("WORK=") {
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
        let key = blocks(&unit, work).into_keys().next().unwrap();
        owners.push(key);
    }
    owners
}

/// How many actions had printed their first unit and not yet their last, at most, and how many
/// actions' units are not contiguous.
fn overlap(owners: &[String]) -> (usize, usize) {
    let mut first = HashMap::new();
    let mut last = HashMap::new();
    for (i, o) in owners.iter().enumerate() {
        first.entry(o).or_insert(i);
        last.insert(o, i);
    }
    let most = (0..owners.len())
        .map(|i| {
            first
                .iter()
                .filter(|(o, &f)| f <= i && i <= last[*o])
                .count()
        })
        .max()
        .unwrap_or(0);
    let split = first
        .iter()
        .filter(|(o, &f)| owners[f..=last[*o]].iter().any(|x| x != **o))
        .count();
    (most, split)
}

/// A simulated cold `-x` build of multi with 2 workers interleaves its actions as the real go
/// did with 2 workers: the same commands, each action's in the same order and directories
/// (`cd` tracked across actions), at most two actions printing at once, and some actions'
/// lines split by the other worker's.
#[test]
fn transcript_multi_cold_x_p2_interleaves_like_go() {
    let Some(text) = oracle("multi/build-x-cold.txt") else {
        return;
    };
    let want = norm_cache_files(&norm_ids(&capture(&text)));
    let work = work_of(&want);
    let (gocache, _) = stored(&capture(&text));
    let (_, r) = simulate_cold("multi", 2, X, false, &work, &gocache);
    assert_eq!(r.exit_status, 0);
    let got = norm_cache_files(&norm_ids(&r.transcript.text()));
    compare_blocks(&got, &want, &work, "multi cold -x -p 2");
    let count = |s: &str| s.lines().filter(|l| !l.starts_with("cd ")).count();
    assert_eq!(count(&got), count(&want), "lines other than cd");
    let (most, split) = overlap(&unit_owners(&got, &work));
    let (real_most, real_split) = overlap(&unit_owners(&want, &work));
    assert_eq!(real_most, 2, "the capture ran 2 workers");
    assert_eq!(most, 2, "two actions print at once, never three");
    assert!(
        real_split > 10 && split > 10,
        "interleaved: {split} (go: {real_split})"
    );
    // The chunks say which action printed each piece.
    assert!(r
        .transcript
        .chunks
        .iter()
        .skip(1)
        .all(|c| c.action.is_some()));
}

/// With one worker the timed transcript is the dispatch-order one: `-p 1` and `-n` print action
/// after action, whatever the times.
#[test]
fn transcript_p1_and_n_print_in_dispatch_order() {
    for print in [X, N] {
        let (p, r) = simulate_cold("multi", 1, print, false, "/tmp/go-build1", "/c");
        assert!(r.runs.iter().any(|run| run.timing.is_some()));
        let untimed: Vec<ActionRun> = r
            .runs
            .iter()
            .cloned()
            .map(|mut run| {
                run.timing = None;
                run
            })
            .collect();
        let flags = print;
        let plain = rendered(&p, flags, "/tmp/go-build1", "/c", &untimed);
        assert_eq!(r.transcript, plain, "{print:?}");
        // One chunk per action and kind, as before interleaving existed.
        let mut seen = std::collections::HashSet::new();
        for c in &plain.chunks {
            assert!(
                seen.insert((c.action, c.kind as u8)),
                "{print:?}: split chunk"
            );
        }
    }
}

/// A schedule built by hand from the capture's first actions: goarch (b009) and asmadd (b002)
/// start together on the two workers; abi (b008) follows goarch, unsafeheader (b011) asmadd.
/// The transcript is the real go's, line for line, up to unsafeheader's cache write.
#[test]
fn transcript_constructed_schedule_is_go_s_exact_interleaving() {
    use buildlab_core::trace::{Kind, Span};
    use buildlab_core::transcript::RunTiming;
    let Some(text) = oracle("multi/build-x-cold.txt") else {
        return;
    };
    let want = norm_ids(&capture(&text));
    let work = work_of(&want);
    let (gocache, stored) = stored(&want);
    let p = fixture_plan("multi");
    let timing = |start: f64, spans: &[(Kind, f64, f64)]| RunTiming {
        start_us: start,
        end_us: spans.last().unwrap().2,
        spans: spans
            .iter()
            .map(|&(kind, start_us, end_us)| Span {
                kind,
                start_us,
                end_us,
            })
            .collect(),
    };
    use Kind::{Asm, Compile, Go};
    let schedule: [(&str, RunTiming); 4] = [
        (
            "example.com/multi/asmadd",
            timing(
                0.0,
                &[(Go, 0.0, 2.0), (Compile, 2.0, 32.0), (Asm, 32.0, 60.0)],
            ),
        ),
        (
            "internal/goarch",
            timing(0.0, &[(Go, 0.0, 1.0), (Compile, 1.0, 40.0)]),
        ),
        (
            "internal/abi",
            timing(
                40.0,
                &[
                    (Go, 40.0, 41.0),
                    (Compile, 41.0, 141.0),
                    (Asm, 141.0, 171.0),
                ],
            ),
        ),
        (
            "internal/unsafeheader",
            timing(60.0, &[(Go, 60.0, 61.0), (Compile, 61.0, 70.0)]),
        ),
    ];
    let runs: Vec<ActionRun> = schedule
        .iter()
        .map(|(pkg, t)| {
            let (a, x) = p
                .actions()
                .find(|(a, x)| x.mode == Mode::Build && p.package_path(*a) == *pkg)
                .unwrap();
            let mut run = ActionRun::new(
                a,
                RunOutcome::Ran {
                    stored_as: stored.get(&x.objdir.unwrap().name()).cloned(),
                },
            );
            run.timing = Some(t.clone());
            run
        })
        .collect();
    let got = norm_ids(&rendered(&p, X, &work, &gocache, &runs).text());
    let upto = want
        .lines()
        .position(|l| l.starts_with("cp $WORK/b011/"))
        .unwrap()
        + 1;
    let want_head: String = want.lines().take(upto).map(|l| format!("{l}\n")).collect();
    let got_head: String = got.lines().take(upto).map(|l| format!("{l}\n")).collect();
    assert_lines(&got_head, &want_head, "hand-made -p 2 schedule");
    // What is left is abi's tail.
    assert!(got
        .lines()
        .skip(upto)
        .all(|l| l.contains("b008") || l.starts_with("cd ")));
}

// ---------------------------------------------------------------------------------------------
// -v
// ---------------------------------------------------------------------------------------------

/// `go build -v` on a cold cache prints the import path of every package it compiles (not
/// `unsafe`, which is built in): for multi, the 58 of `go list -deps` other than unsafe, as the
/// real go1.23.5 printed them; nothing else without -x.
#[test]
fn transcript_v_cold_names_every_compiled_package() {
    let Some(deps) = oracle("multi/go-list-deps.json") else {
        return;
    };
    let mut want: Vec<String> = deps
        .lines()
        .filter_map(|l| l.strip_prefix("\t\"ImportPath\": \""))
        .map(|l| l.trim_end_matches("\",").to_string())
        .filter(|p| p != "unsafe")
        .collect();
    want.sort();
    assert_eq!(want.len(), 58);
    for workers in [1, 2] {
        let (p, r) = simulate_cold("multi", workers, Flags::default(), true, "/w", "/c");
        let text = r.transcript.text();
        let mut got: Vec<String> = text.lines().map(String::from).collect();
        if workers == 1 {
            // One worker: dispatch order.
            let order: Vec<String> = serial_order(&p)
                .into_iter()
                .filter(|&a| p.action(a).mode == Mode::Build && p.package_path(a) != "unsafe")
                .map(|a| p.package_path(a).to_string())
                .collect();
            assert_eq!(got, order);
        }
        got.sort();
        assert_eq!(got, want, "-p {workers}");
        assert!(r
            .transcript
            .chunks
            .iter()
            .all(|c| c.kind == ChunkKind::Banner));
    }
}

/// `go build -n -v` prints the import path after each package's banner: the real go's cold
/// `-n -v` script of multi is the `-n` capture with those lines (checked against go1.23.5).
#[test]
fn transcript_n_v_puts_the_import_path_after_the_banner() {
    let Some(text) = oracle("multi/build-n-cold.txt") else {
        return;
    };
    let n = norm_ids(&capture(&text));
    let mut want = String::new();
    let lines: Vec<&str> = n.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        want.push_str(l);
        want.push('\n');
        // The banner is `\n#\n# pkg\n#\n\n`: the path goes after its last (empty) line.
        let banner = i >= 4 && lines[i - 4].is_empty() && lines[i - 3] == "#";
        if banner && lines[i - 1] == "#" && l.is_empty() {
            if let Some(pkg) = lines[i - 2].strip_prefix("# ") {
                want.push_str(pkg);
                want.push('\n');
            }
        }
    }
    assert_eq!(want.lines().count(), n.lines().count() + 58);
    let p = fixture_plan("multi");
    let runs = cold_runs(&p, &HashMap::new());
    let t = render(&RenderInput {
        plan: &p,
        flags: N,
        verbose: true,
        work_dir: "",
        gocache: "/tmp/gooracle/cache-multi-main",
        runs: &runs,
    });
    assert_lines(&t.text(), &want, "multi cold -n -v");
}

/// Cache hits and an up-to-date main print nothing under `-v`: a warm build prints nothing, a
/// relink only its commands (the real go printed nothing for either without -x).
#[test]
fn transcript_v_warm_prints_no_package() {
    let Some(removed_x) = oracle("multi/build-x-warm-binremoved.txt") else {
        return;
    };
    let p = fixture_plan("multi");
    let (gocache, hits) = hits(&removed_x);
    for bin_present in [true, false] {
        let runs = warm_runs(&p, &hits, bin_present);
        let t = render(&RenderInput {
            plan: &p,
            flags: Flags::default(),
            verbose: true,
            work_dir: "/w",
            gocache: &gocache,
            runs: &runs,
        });
        assert_eq!(t.text(), "", "binary present: {bin_present}");
    }
}

/// Under `-x -v` the import path comes first in each compile's lines, before its `mkdir` (as
/// go1.23.5 printed: `internal/goarch` then `mkdir -p $WORK/b009/`).
#[test]
fn transcript_x_v_names_the_package_before_its_commands() {
    let (p, r) = simulate_cold("multi", 1, X, true, "/tmp/go-build1", "/c");
    let text = r.transcript.text();
    let lines: Vec<&str> = text.lines().collect();
    let mut named = 0;
    for (a, x) in p.actions() {
        if x.mode != Mode::Build || p.package_path(a) == "unsafe" {
            continue;
        }
        let pkg = p.package_path(a);
        let at = lines
            .iter()
            .position(|l| *l == pkg)
            .unwrap_or_else(|| panic!("{pkg} not named"));
        assert_eq!(
            lines[at + 1],
            format!("mkdir -p $WORK/{}/", x.objdir.unwrap().name()),
            "{pkg}"
        );
        named += 1;
    }
    assert_eq!(named, 58);
}
