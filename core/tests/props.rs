//! Property tests for the loader, the planner and the scheduler over generated modules.
//!
//! A generated module (`example.com/m`) has a main package at its root and library packages
//! `p1`…`pN` (some under `lib/`), each importing later packages (an acyclic graph) and a few std
//! packages, with imports spread over one or two files. Properties:
//!
//! - An acyclic module loads and plans; its packages come out in `go list -deps` order; every
//!   action has a lower priority than each of its dependents, and the scheduler built by
//!   [`schedule::for_plan`] starts every action after all its dependencies finished, whatever the
//!   worker count and the order in which running actions finish.
//! - Adding back edges (each with a forward edge, so every back edge closes a cycle) makes the
//!   load fail with exactly go's text: one `import cycle not allowed` error per package that was
//!   met again while still loading, with the import stack of that moment, printed in `go list
//!   -deps` order. The expected text comes from a small model of cmd/go's `loadImport` /
//!   `reusePackage` (below), checked against the real go by `generated_modules_match_real_go`
//!   when go 1.23 is installed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use buildlab_core::load::{load, LoadRequest, Loaded};
use buildlab_core::plan::{plan, Mode, Toolchain};
use buildlab_core::schedule::{self, Dispatch, Outcome};
use buildlab_core::workspace::Workspace;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const MODULE: &str = "example.com/m";
const STD: &[&str] = &[
    "bytes",
    "errors",
    "fmt",
    "io",
    "math",
    "os",
    "sort",
    "strings",
    "sync",
    "unicode/utf8",
];

/// A generated module: package 0 is `main` at the root, package `i > 0` a library.
#[derive(Clone, Debug)]
struct Spec {
    /// Per package: under `lib/`.
    nested: Vec<bool>,
    /// Per package: the module packages it imports.
    imports: Vec<BTreeSet<usize>>,
    /// Per package: the std packages it imports.
    std: Vec<BTreeSet<&'static str>>,
    /// Per package: imports split over two files.
    split: Vec<bool>,
    /// `go build ./...` rather than `go build .`.
    all: bool,
}

impl Spec {
    fn n(&self) -> usize {
        self.imports.len()
    }
    fn dir(&self, i: usize) -> String {
        match (i, self.nested[i]) {
            (0, _) => String::new(),
            (_, true) => format!("lib/p{i}"),
            (_, false) => format!("p{i}"),
        }
    }
    fn path(&self, i: usize) -> String {
        match i {
            0 => MODULE.to_string(),
            _ => format!("{MODULE}/{}", self.dir(i)),
        }
    }

    fn files(&self) -> Vec<(String, String)> {
        let mut out = vec![(
            "go.mod".to_string(),
            format!("module {MODULE}\n\ngo 1.23\n"),
        )];
        for i in 0..self.n() {
            let name = if i == 0 {
                "main".to_string()
            } else {
                format!("p{i}")
            };
            let mut imports: Vec<String> = self.imports[i].iter().map(|&j| self.path(j)).collect();
            imports.extend(self.std[i].iter().map(|s| s.to_string()));
            // Unsorted in the source: the loader sorts.
            imports.reverse();
            let (first, second) = if self.split[i] {
                let (a, b) = imports.split_at(imports.len() / 2);
                (a.to_vec(), Some(b.to_vec()))
            } else {
                (imports, None)
            };
            let body = if i == 0 {
                "func main() {}\n".to_string()
            } else {
                format!("const X = {i}\n")
            };
            let file = |imports: &[String], body: &str| {
                let mut s = format!("package {name}\n\n");
                if !imports.is_empty() {
                    s.push_str("import (\n");
                    for p in imports {
                        s.push_str(&format!("\t_ \"{p}\"\n"));
                    }
                    s.push_str(")\n\n");
                }
                s.push_str(body);
                s
            };
            let dir = self.dir(i);
            let at = |f: &str| {
                if dir.is_empty() {
                    f.to_string()
                } else {
                    format!("{dir}/{f}")
                }
            };
            out.push((at(&format!("{name}.go")), file(&first, &body)));
            if let Some(second) = second {
                out.push((at("more.go"), file(&second, "")));
            }
        }
        out
    }

    fn workspace(&self) -> Workspace {
        let mut ws = Workspace::new();
        for (p, text) in self.files() {
            ws.insert(&p, text).unwrap();
        }
        ws
    }

    fn pattern(&self) -> &'static str {
        if self.all {
            "./..."
        } else {
            "."
        }
    }

    /// The root packages in match order: `.` is the main package; `./...` walks directories in
    /// name order.
    fn roots(&self) -> Vec<usize> {
        if !self.all {
            return vec![0];
        }
        let mut v: Vec<usize> = (0..self.n()).collect();
        v.sort_by_key(|&i| self.dir(i));
        v
    }

    /// cmd/go's load (`loadImport` → `reusePackage`) over the module packages: a depth-first walk
    /// from the roots over each package's imports sorted by import path, with the import stack.
    /// A package met again before its own imports are loaded gets `import cycle not allowed`
    /// with the stack of that moment (the first such meeting wins). Returns the module packages
    /// in `go list -deps` order (post-order) and go's error text, if any.
    fn go_model(&self) -> (Vec<usize>, Option<String>) {
        struct W<'a> {
            s: &'a Spec,
            loading: BTreeSet<usize>,
            seen: BTreeSet<usize>,
            stk: Vec<usize>,
            err: BTreeMap<usize, Vec<usize>>,
            post: Vec<usize>,
        }
        impl W<'_> {
            fn visit(&mut self, p: usize) {
                if !self.seen.insert(p) {
                    if self.loading.contains(&p) && !self.err.contains_key(&p) {
                        let mut stk = self.stk.clone();
                        stk.push(p);
                        self.err.insert(p, stk);
                    }
                    return;
                }
                self.loading.insert(p);
                self.stk.push(p);
                let mut imports: Vec<usize> = self.s.imports[p].iter().copied().collect();
                imports.sort_by_key(|&q| self.s.path(q));
                for q in imports {
                    self.visit(q);
                }
                self.stk.pop();
                self.loading.remove(&p);
                self.post.push(p);
            }
        }
        let mut w = W {
            s: self,
            loading: BTreeSet::new(),
            seen: BTreeSet::new(),
            stk: Vec::new(),
            err: BTreeMap::new(),
            post: Vec::new(),
        };
        for r in self.roots() {
            w.visit(r);
        }
        let errors: Vec<String> = w
            .post
            .iter()
            .filter_map(|p| w.err.get(p))
            .map(|stk| {
                let chain: Vec<String> = stk.iter().map(|&q| self.path(q)).collect();
                format!(
                    "package {}: import cycle not allowed",
                    chain.join("\n\timports ")
                )
            })
            .collect();
        let text = (!errors.is_empty()).then(|| errors.join("\n"));
        (w.post, text)
    }

    fn load(&self) -> Result<Loaded, String> {
        let req = LoadRequest {
            patterns: vec![self.pattern().into()],
            module_root_display: "/tmp/props/m".into(),
            ..LoadRequest::default()
        };
        load(&self.workspace(), &req).map_err(|e| e.to_string())
    }
}

/// An acyclic module of 1..=`max` packages: package `i` imports some `j > i`; main imports
/// some packages so that most are reachable.
fn acyclic(max: usize) -> impl Strategy<Value = Spec> {
    (1..=max)
        .prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec(any::<bool>(), n),
                prop::collection::vec((0..n, 0..n), 0..=3 * n),
                prop::collection::vec((0..n, 0..STD.len()), 0..=n),
                prop::collection::vec(any::<bool>(), n),
                any::<bool>(),
            )
        })
        .prop_map(|(n, nested, edges, std, split, all)| {
            let mut imports = vec![BTreeSet::new(); n];
            for (a, b) in edges {
                if a != b {
                    imports[a.min(b)].insert(a.max(b));
                }
            }
            let mut stds = vec![BTreeSet::new(); n];
            for (p, s) in std {
                stds[p].insert(STD[s]);
            }
            Spec {
                nested,
                imports,
                std: stds,
                split,
                all,
            }
        })
}

/// An acyclic module plus 1–3 back edges `j → i` (`j > i ≥ 1`), each with the forward edge
/// `i → j` and `main → i`, so that every back edge closes a cycle reachable from main.
fn cyclic(max: usize) -> impl Strategy<Value = Spec> {
    acyclic(max)
        .prop_filter("needs two libraries", |s| s.n() >= 3)
        .prop_flat_map(|s| {
            let n = s.n();
            (
                Just(s),
                prop::collection::vec((1..n, 1..n), 1..=3)
                    .prop_filter("distinct", |v| v.iter().any(|(a, b)| a != b)),
            )
        })
        .prop_map(|(mut s, back)| {
            for (a, b) in back {
                if a == b {
                    continue;
                }
                let (i, j) = (a.min(b), a.max(b));
                s.imports[i].insert(j);
                s.imports[j].insert(i);
                s.imports[0].insert(i);
            }
            s
        })
}

/// The import path of a loaded package, or `None` for std.
fn module_pkg(l: &Loaded, i: usize) -> Option<&str> {
    let p = &l.input.packages[i];
    (!p.standard).then_some(p.import_path.as_str())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn acyclic_modules_load_plan_and_schedule_in_order(
        spec in acyclic(24),
        workers in 1usize..=4,
        picks in prop::collection::vec(any::<prop::sample::Index>(), 64),
    ) {
        let loaded = match spec.load() {
            Ok(l) => l,
            Err(e) => return Err(TestCaseError::fail(format!("load failed:\n{e}"))),
        };
        // go list -deps order, for the module's packages.
        let (post, err) = spec.go_model();
        prop_assert!(err.is_none());
        let want: Vec<String> = post.iter().map(|&p| spec.path(p)).collect();
        let got: Vec<&str> = (0..loaded.input.packages.len())
            .filter_map(|i| module_pkg(&loaded, i))
            .collect();
        prop_assert_eq!(got, want);

        let p = match plan(loaded.input.clone(), &Toolchain::default()) {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("plan failed: {e:?}"))),
        };
        // Every loaded package has its build action.
        for pkg in &loaded.input.packages {
            prop_assert!(p.build_action(&pkg.import_path).is_some(), "{}", pkg.import_path);
        }
        // Priorities: every dependency is lower than its dependent.
        for (a, act) in p.actions() {
            for &d in &act.deps {
                prop_assert!(
                    p.action(d).priority < act.priority,
                    "{:?} {} (prio {}) depends on {:?} {} (prio {})",
                    act.mode, p.package_path(a), act.priority,
                    p.action(d).mode, p.package_path(d), p.action(d).priority
                );
            }
            if act.mode == Mode::Link {
                // link depends on every build it links.
                let builds = act.deps.iter().filter(|&&d| p.action(d).mode == Mode::Build).count();
                prop_assert!(builds >= 1);
            }
        }

        // Drive the scheduler: finish running actions in a generated order.
        let mut s = schedule::for_plan(&p, workers);
        prop_assert_eq!(s.len(), p.len());
        let mut done = vec![false; s.len()];
        let mut started = Vec::new();
        let mut running: Vec<usize> = Vec::new();
        let mut pick = picks.iter().cycle();
        while !s.is_finished() {
            let ready = s.ready();
            if let Some((id, dispatch)) = s.start() {
                prop_assert_eq!(dispatch, Dispatch::Run);
                prop_assert_eq!(Some(&id), ready.first(), "start takes the lowest ready priority");
                for &d in s.deps(id) {
                    prop_assert!(done[d], "{id} started before its dependency {d} finished");
                }
                started.push(id);
                running.push(id);
                continue;
            }
            prop_assert!(!running.is_empty(), "nothing running and nothing startable");
            let k = pick.next().unwrap().index(running.len());
            let id = running.swap_remove(k);
            s.finish(id, Outcome::Ok);
            done[id] = true;
        }
        prop_assert_eq!(started.len(), p.len());
        if workers == 1 {
            // One worker: exactly the priority order (a post-order, hence topological).
            let prios: Vec<usize> = started.iter().map(|&j| s.priority(j)).collect();
            prop_assert_eq!(prios, (0..p.len()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn import_cycles_are_reported_as_go_reports_them(spec in cyclic(12)) {
        let (_, want) = spec.go_model();
        let want = want.expect("the generator always closes a cycle");
        match spec.load() {
            Ok(_) => prop_assert!(false, "loaded; want:\n{}", want),
            Err(got) => prop_assert_eq!(got, want),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The model against the real go
// ---------------------------------------------------------------------------------------------

const GO: &str = "/usr/lib/go-1.23/bin/go";

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("buildlab-props-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn go(dir: &Path, cache: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(GO)
        .args(args)
        .current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOWORK", "off")
        .env("GOCACHE", cache)
        .env("CGO_ENABLED", "1")
        .output()
        .expect("run go");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, spec: &Spec) {
    for (rel, text) in spec.files() {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Generated modules, acyclic and cyclic, through the real go 1.23: `go list -deps` gives the
/// package order, `go build` the cycle errors. Checks both the model above and the loader.
#[test]
fn generated_modules_match_real_go() {
    if !Path::new(GO).exists() {
        eprintln!("note: {GO} absent; skipping the real-go check of the generators");
        return;
    }
    let cache = TempDir::new("gocache");
    let mut runner = TestRunner::deterministic();
    let mut failures = Vec::new();

    let acyclic_strategy = acyclic(16);
    for case in 0..6 {
        let spec = acyclic_strategy.new_tree(&mut runner).unwrap().current();
        let dir = TempDir::new("acyclic");
        write(&dir.0, &spec);
        let (ok, out, err) = go(&dir.0, &cache.0, &["list", "-deps", spec.pattern()]);
        assert!(ok, "go list failed:\n{err}");
        let real: Vec<&str> = out.lines().filter(|l| l.starts_with(MODULE)).collect();
        let (post, _) = spec.go_model();
        let model: Vec<String> = post.iter().map(|&p| spec.path(p)).collect();
        if real != model {
            failures.push(format!(
                "acyclic {case}: go list -deps {real:?}, model {model:?}\n{spec:?}"
            ));
        }
    }

    let cyclic_strategy = cyclic(10);
    let (mut several, mut all) = (0, 0);
    for case in 0..16 {
        let spec = cyclic_strategy.new_tree(&mut runner).unwrap().current();
        let dir = TempDir::new("cyclic");
        write(&dir.0, &spec);
        let (ok, _, err) = go(&dir.0, &cache.0, &["build", spec.pattern()]);
        let real = err.trim_end().to_string();
        let (_, model) = spec.go_model();
        let ours = spec.load().err();
        several += usize::from(real.matches("import cycle not allowed").count() > 1);
        all += usize::from(spec.all);
        if ok || Some(&real) != model.as_ref() || Some(&real) != ours.as_ref() {
            failures.push(format!(
                "cyclic {case} (go build {}):\n--- go\n{real}\n--- model\n{}\n--- loader\n{}\n{spec:?}",
                spec.pattern(),
                model.unwrap_or_default(),
                ours.unwrap_or_default()
            ));
        }
    }
    eprintln!("16 cyclic modules: {several} with several cycle errors, {all} built as ./...");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(several > 0, "no generated module had several cycles");
}
