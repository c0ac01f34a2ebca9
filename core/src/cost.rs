//! The simulated toolchain's cost model, and the virtual-clock simulation that runs a plan
//! through the [`crate::schedule`] state machine with it.
//!
//! # The model
//!
//! Fitted by `scripts/calibrate.py` on real go1.23.5 measurements (a 2-core linux/amd64 VM,
//! `../shared/oracle/webjson/cost-*-actions.csv`, multi's action graph and traces) and embedded
//! from `core/data/cost-model.json` (format version 1). Times are ms of an *uncontended* run:
//!
//! | run       | cost                                                                   |
//! |-----------|------------------------------------------------------------------------|
//! | compile   | `compile_ms + compile_per_kb_ms · KB(.go + .s) + compile_per_file_ms · go files` |
//! | asm       | `asm_ms + asm_per_file_ms · .s files` (gensymabis, asm, pack)          |
//! | cgo       | `cgo_ms + cgo_per_c_file_ms · .c files` (cgo, gcc, dynimport)           |
//! | link      | `link_ms + link_per_kb_ms · KB of every linked package's source`        |
//! | install   | `install_ms` (buildid rewrite, move)                                   |
//! | cmd/go    | `action_ms` per build action (hashing, cache writes)                   |
//! | command   | `command_ms + command_per_package_ms · packages` outside `Builder.Do`  |
//! | warm      | `command_warm_ms + command_warm_per_package_ms · packages`, instead of `command` |
//!
//! `command` is the go command's own time in a cold build: GOCACHE had no module index yet, so
//! go read and indexed every std package directory it loaded, and wrote the index to GOCACHE
//! (any go command does, `-n` too: after `go clean -cache`, `go build -n` of multi took
//! 0.14–0.18 s here, the next one 0.05–0.07 s). Once the index is there, the whole go command
//! of a build that runs nothing (a warm no-op) is `warm`: fitted on the real warm no-ops of
//! multi (73 ms, 59 packages) and webjson (129 ms, 151).
//!
//! Source size stands in for archive size at link time (the simulation has no archives).
//!
//! # Contention
//!
//! `n` runs on a machine of `C` cores share a throughput of `1 + scaling · (min(n, C) − 1)`
//! "uncontended runs" (processor sharing: each progresses at that divided by `n`, at most 1).
//! `scaling` is what a second busy core adds; on the oracle VM it measured close to 0 (two
//! concurrent compiles each ran ~1.9× slower than alone: the VM's two vCPUs gave little more
//! than one). [`Machine::oracle`] is that machine; a user modelling a healthy C-core machine
//! sets `scaling` near 0.9.
//!
//! Deliberately not here: outputs and cache behaviour (the simulated toolchain and cache stages),
//! and any clock: the simulation's time is virtual.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::plan::{ActionIx, Mode, PkgNode, Plan};
use crate::schedule::{self, Dispatch, Outcome};
use crate::stdlib::StdLib;
use crate::trace::{CacheOutcome, Kind, Span, Status, Trace, TraceAction};

/// The newest format version of `cost-model.json` this module reads.
const FORMAT_VERSION: u32 = 1;

/// `core/data/cost-model.json` as a constant: the page's wasm then carries neither the file nor
/// a JSON read of it at startup. `calibrated_is_the_data_file` holds it to the file (and prints
/// the table to paste after `scripts/calibrate.py` rewrites the file).
static CALIBRATED: CostModel = CostModel {
    version: 1,
    go: Cow::Borrowed("go1.23.5"),
    compile_ms: 8.6,
    compile_per_kb_ms: 2.062,
    compile_per_file_ms: 0.847,
    asm_ms: 0.0,
    asm_per_file_ms: 0.0,
    action_ms: 1.7,
    cgo_ms: 1153.996,
    cgo_per_c_file_ms: 0.0,
    link_ms: 119.741,
    link_per_kb_ms: 0.03,
    install_ms: 2.972,
    scaling: 0.041,
    command_ms: 69.943,
    command_per_package_ms: 2.103,
    command_before_fraction: 0.589,
    command_warm_ms: 37.087,
    command_warm_per_package_ms: 0.609,
};

/// The fitted coefficients (see the module doc for their meaning).
#[derive(Clone, Debug, PartialEq)]
pub struct CostModel {
    pub version: u32,
    pub go: Cow<'static, str>,
    pub compile_ms: f64,
    pub compile_per_kb_ms: f64,
    pub compile_per_file_ms: f64,
    pub asm_ms: f64,
    pub asm_per_file_ms: f64,
    pub action_ms: f64,
    pub cgo_ms: f64,
    pub cgo_per_c_file_ms: f64,
    pub link_ms: f64,
    pub link_per_kb_ms: f64,
    pub install_ms: f64,
    pub scaling: f64,
    pub command_ms: f64,
    pub command_per_package_ms: f64,
    /// The share of the command overhead spent before `Builder.Do` (start, loading).
    pub command_before_fraction: f64,
    /// The go command's own time when GOCACHE holds the module index (see the module doc).
    pub command_warm_ms: f64,
    pub command_warm_per_package_ms: f64,
}

impl CostModel {
    /// The embedded calibration ([`CALIBRATED`]).
    pub fn calibrated() -> &'static CostModel {
        &CALIBRATED
    }

    /// Read a `cost-model.json`; refuses versions newer than this code knows. Fields it does not
    /// use (`machine`, `fit`: the calibration's record) are ignored.
    ///
    /// Read from a `serde_json::Value` rather than with serde's derive, which added a typed
    /// JSON reader of its own to the page's wasm for this one startup read.
    pub fn parse(json: &str) -> Result<CostModel, String> {
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("cost model: {e}"))?;
        let num = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_f64)
                .ok_or_else(|| format!("cost model: {k:?} is missing or not a number"))
        };
        let version = v
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or("cost model: no format version")?;
        if version > FORMAT_VERSION as u64 {
            return Err(format!(
                "cost model: format version {version} is newer than {FORMAT_VERSION}"
            ));
        }
        Ok(CostModel {
            version: version as u32,
            go: Cow::Owned(
                v.get("go")
                    .and_then(serde_json::Value::as_str)
                    .ok_or("cost model: no go version")?
                    .to_string(),
            ),
            compile_ms: num("compile_ms")?,
            compile_per_kb_ms: num("compile_per_kb_ms")?,
            compile_per_file_ms: num("compile_per_file_ms")?,
            asm_ms: num("asm_ms")?,
            asm_per_file_ms: num("asm_per_file_ms")?,
            action_ms: num("action_ms")?,
            cgo_ms: num("cgo_ms")?,
            cgo_per_c_file_ms: num("cgo_per_c_file_ms")?,
            link_ms: num("link_ms")?,
            link_per_kb_ms: num("link_per_kb_ms")?,
            install_ms: num("install_ms")?,
            scaling: num("scaling")?,
            command_ms: num("command_ms")?,
            command_per_package_ms: num("command_per_package_ms")?,
            command_before_fraction: num("command_before_fraction")?,
            command_warm_ms: num("command_warm_ms")?,
            command_warm_per_package_ms: num("command_warm_per_package_ms")?,
        })
    }

    pub fn compile(&self, s: &PkgSize) -> f64 {
        self.compile_ms
            + self.compile_per_kb_ms * s.source_kb()
            + self.compile_per_file_ms * s.go_files as f64
    }
    pub fn asm(&self, s: &PkgSize) -> f64 {
        if s.s_files == 0 {
            0.0
        } else {
            self.asm_ms + self.asm_per_file_ms * s.s_files as f64
        }
    }
    pub fn cgo(&self, s: &PkgSize) -> f64 {
        if s.cgo_files == 0 {
            0.0
        } else {
            self.cgo_ms + self.cgo_per_c_file_ms * s.c_files as f64
        }
    }
    pub fn link(&self, linked_kb: f64) -> f64 {
        self.link_ms + self.link_per_kb_ms * linked_kb
    }
    /// The go command's time outside `Builder.Do` in a cold build, ms: (before, after).
    pub fn command(&self, packages: usize) -> (f64, f64) {
        self.command_with(packages, false)
    }

    /// The go command's time outside `Builder.Do`, ms: (before, after); `index_cached`: GOCACHE
    /// holds go's module index (any go command since the cache was made or cleaned wrote it).
    pub fn command_with(&self, packages: usize, index_cached: bool) -> (f64, f64) {
        let (fixed, per_package) = match index_cached {
            true => (self.command_warm_ms, self.command_warm_per_package_ms),
            false => (self.command_ms, self.command_per_package_ms),
        };
        let total = fixed + per_package * packages as f64;
        let before = total * self.command_before_fraction;
        (before, total - before)
    }
}

/// The virtual machine the build runs on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Machine {
    pub cores: usize,
    /// Throughput a busy extra core adds (1.0: perfect; the oracle VM: [`CostModel::scaling`]).
    pub scaling: f64,
}

impl Machine {
    /// The machine the model was calibrated on: 2 cores, its measured scaling.
    pub fn oracle() -> Machine {
        Machine {
            cores: 2,
            scaling: CostModel::calibrated().scaling,
        }
    }

    /// How fast each of `running` concurrent runs progresses (1.0 = uncontended).
    pub fn speed(&self, running: usize) -> f64 {
        if running == 0 {
            return 1.0;
        }
        let busy = running.min(self.cores.max(1)) as f64;
        let throughput = (1.0 + self.scaling * (busy - 1.0)).max(0.1);
        (throughput / running as f64).min(1.0)
    }
}

/// What a package's compile costs depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PkgSize {
    /// Bytes of `.go` files (GoFiles; cgo files are counted in `cgo_files`).
    pub go_bytes: u64,
    pub go_files: u32,
    pub s_bytes: u64,
    pub s_files: u32,
    pub cgo_files: u32,
    pub c_files: u32,
}

impl PkgSize {
    /// KB of `.go` + `.s` source, as the calibration counts it.
    pub fn source_kb(&self) -> f64 {
        (self.go_bytes + self.s_bytes) as f64 / 1024.0
    }
}

/// Source sizes by import path: std from the embedded graph, the user's packages from their
/// files. A package that is not listed is estimated from its file counts.
#[derive(Clone, Debug, Default)]
pub struct Sizes {
    /// Sorted by import path. A sorted vector rather than a `BTreeMap`: in the page's wasm each
    /// B-tree map type is its own copy of the B-tree code (docs/benchmarks.md, Page weight).
    by_path: Vec<(String, PkgSize)>,
}

/// The average `.go` file of go1.23.5's std, bytes (used for packages of unknown size).
const AVERAGE_GO_FILE: u64 = 8 * 1024;

impl Sizes {
    pub fn from_std(std: &StdLib) -> Sizes {
        let mut s = Sizes::default();
        for p in std.packages() {
            let sum = |f: &[crate::stdlib::SrcFile]| f.iter().map(|x| x.size).sum::<u64>();
            s.insert(
                p.import_path,
                PkgSize {
                    go_bytes: sum(&p.go_files),
                    go_files: p.go_files.len() as u32,
                    s_bytes: sum(&p.s_files),
                    s_files: p.s_files.len() as u32,
                    cgo_files: p.cgo_files.len() as u32,
                    c_files: p.c_files.len() as u32,
                },
            );
        }
        s
    }

    /// A package's size from its files' byte counts (`size(file name)`).
    pub fn insert_files(&mut self, pkg: &PkgNode, size: impl Fn(&str) -> u64) {
        let sum = |f: &[String]| f.iter().map(|x| size(x)).sum::<u64>();
        self.insert(
            &pkg.import_path,
            PkgSize {
                go_bytes: sum(&pkg.go_files),
                go_files: pkg.go_files.len() as u32,
                s_bytes: sum(pkg.s_files()),
                s_files: pkg.s_files().len() as u32,
                cgo_files: pkg.cgo_files().len() as u32,
                c_files: pkg.c_files().len() as u32,
            },
        );
    }

    /// Sets the size of `import_path` (replacing one set before).
    pub fn insert(&mut self, import_path: &str, size: PkgSize) {
        match self.index(import_path) {
            Ok(i) => self.by_path[i].1 = size,
            Err(i) => self.by_path.insert(i, (import_path.to_string(), size)),
        }
    }

    fn index(&self, import_path: &str) -> Result<usize, usize> {
        self.by_path
            .binary_search_by(|(p, _)| p.as_str().cmp(import_path))
    }

    pub fn get(&self, pkg: &PkgNode) -> PkgSize {
        self.index(&pkg.import_path)
            .map(|i| self.by_path[i].1)
            .unwrap_or(PkgSize {
                go_bytes: pkg.go_files.len() as u64 * AVERAGE_GO_FILE,
                go_files: pkg.go_files.len() as u32,
                s_bytes: pkg.s_files().len() as u64 * AVERAGE_GO_FILE,
                s_files: pkg.s_files().len() as u32,
                cgo_files: pkg.cgo_files().len() as u32,
                c_files: pkg.c_files().len() as u32,
            })
    }
}

/// The tool runs of one action, in order, with their uncontended cost in ms.
pub fn action_runs(plan: &Plan, a: ActionIx, sizes: &Sizes, model: &CostModel) -> Vec<(Kind, f64)> {
    let x = plan.action(a);
    match x.mode {
        Mode::Build => {
            let s = sizes.get(plan.package(a).expect("build has a package"));
            let mut runs = vec![(Kind::Go, model.action_ms)];
            if s.cgo_files > 0 {
                runs.push((Kind::Cgo, model.cgo(&s)));
            }
            runs.push((Kind::Compile, model.compile(&s)));
            if s.s_files > 0 {
                runs.push((Kind::Asm, model.asm(&s)));
            }
            runs
        }
        Mode::Link => {
            let kb: f64 = x
                .deps
                .iter()
                .filter_map(|&d| plan.package(d))
                .map(|p| sizes.get(p).source_kb())
                .sum();
            vec![(Kind::Link, model.link(kb))]
        }
        Mode::LinkInstall | Mode::BuildInstall => vec![(Kind::Install, model.install_ms)],
        Mode::GoBuild | Mode::BuiltIn | Mode::Nop => Vec::new(),
    }
}

/// How to simulate.
#[derive(Clone, Debug)]
pub struct Simulation<'a> {
    pub model: &'a CostModel,
    pub machine: Machine,
    /// `-p`.
    pub workers: usize,
    /// Import paths whose compile fails (their dependents are skipped, as go does).
    pub failing: Vec<String>,
}

impl Simulation<'_> {
    /// The oracle machine at `-p workers` with the calibrated model.
    pub fn oracle(workers: usize) -> Simulation<'static> {
        Simulation {
            model: CostModel::calibrated(),
            machine: Machine::oracle(),
            workers,
            failing: Vec::new(),
        }
    }
}

/// A virtual clock under processor-sharing contention: actions start with their tool runs'
/// uncontended costs, and [`Clock::advance`] moves time to the next end of an action, each run
/// progressing at [`Machine::speed`] of the number running. Shared by [`simulate`] and the
/// build driver's simulation ([`crate::build::simulate`]).
#[derive(Clone, Debug)]
pub struct Clock<T> {
    machine: Machine,
    now_us: f64,
    running: Vec<Running<T>>,
}

#[derive(Clone, Debug)]
struct Running<T> {
    item: T,
    /// Remaining runs, last first: (kind, uncontended ms left).
    runs: Vec<(Kind, f64)>,
    run_start_us: f64,
    spans: Vec<Span>,
    start_us: f64,
}

/// An action that ended on the [`Clock`].
#[derive(Clone, Debug)]
pub struct Ended<T> {
    pub item: T,
    pub start_us: f64,
    pub end_us: f64,
    /// One span per tool run, in order.
    pub spans: Vec<Span>,
}

impl<T> Clock<T> {
    pub fn new(machine: Machine, now_us: f64) -> Self {
        Clock {
            machine,
            now_us,
            running: Vec::new(),
        }
    }
    pub fn now_us(&self) -> f64 {
        self.now_us
    }
    pub fn is_idle(&self) -> bool {
        self.running.is_empty()
    }
    /// Start an action now with its runs (kind, uncontended ms), in order.
    pub fn start(&mut self, item: T, runs: Vec<(Kind, f64)>) {
        self.running.push(Running {
            item,
            runs: runs.into_iter().rev().collect(),
            run_start_us: self.now_us,
            spans: Vec::new(),
            start_us: self.now_us,
        });
    }
    /// Advance to the next time an action ends and return the actions that ended then, in the
    /// order they were started. An action without runs ends at once. Empty when idle.
    pub fn advance(&mut self) -> Vec<Ended<T>> {
        loop {
            if self.running.is_empty() {
                return Vec::new();
            }
            let mut ended = Vec::new();
            let mut i = 0;
            while i < self.running.len() {
                if self.running[i].runs.is_empty() {
                    let r = self.running.remove(i);
                    ended.push(Ended {
                        item: r.item,
                        start_us: r.start_us,
                        end_us: self.now_us,
                        spans: r.spans,
                    });
                } else {
                    i += 1;
                }
            }
            if !ended.is_empty() {
                return ended;
            }
            // Advance to the next end of a tool run.
            let speed = self.machine.speed(self.running.len());
            let step_ms = self
                .running
                .iter()
                .map(|r| r.runs.last().map_or(0.0, |x| x.1) / speed)
                .fold(f64::INFINITY, f64::min);
            self.now_us += step_ms * 1000.0;
            let now = self.now_us;
            for r in &mut self.running {
                if let Some(run) = r.runs.last_mut() {
                    run.1 -= step_ms * speed;
                    if run.1 <= 1e-9 {
                        let (kind, _) = r.runs.pop().expect("a run");
                        r.spans.push(Span {
                            kind,
                            start_us: r.run_start_us,
                            end_us: now,
                        });
                        r.run_start_us = now;
                    }
                }
            }
        }
    }
}

/// Run `plan` on a virtual clock: the scheduler hands out actions in cmd/go's order, each runs
/// its tool runs under processor-sharing contention, and every action lands on a worker lane.
/// Returns the timeline, with the go command's own time before and after `Builder.Do`.
pub fn simulate(plan: &Plan, sizes: &Sizes, sim: &Simulation<'_>) -> Trace {
    let model = sim.model;
    let mut sched = schedule::for_plan(plan, sim.workers);
    let packages = plan
        .actions()
        .filter(|(_, x)| matches!(x.mode, Mode::Build | Mode::BuiltIn))
        .count();
    let (before_ms, after_ms) = model.command(packages);
    let t0 = before_ms * 1000.0;
    let mut ready_at: HashMap<usize, f64> = (0..sched.len())
        .filter(|&j| sched.deps(j).is_empty())
        .map(|j| (j, t0))
        .collect();
    let mut lanes_busy = vec![false; sched.workers()];
    let mut clock: Clock<(usize, usize)> = Clock::new(sim.machine, t0);
    let mut done: Vec<Option<TraceAction>> = vec![None; sched.len()];
    let job_of: HashMap<ActionIx, usize> = (0..sched.len()).map(|j| (*sched.item(j), j)).collect();

    let finish = |sched: &mut schedule::Scheduler<ActionIx>,
                  done: &mut Vec<Option<TraceAction>>,
                  ready_at: &mut HashMap<usize, f64>,
                  job: usize,
                  lane: Option<usize>,
                  start_us: f64,
                  end_us: f64,
                  spans: Vec<Span>,
                  status: Status| {
        let a = *sched.item(job);
        let x = plan.action(a);
        let outcome = if status == Status::Failed {
            Outcome::Failed
        } else {
            Outcome::Ok
        };
        sched.finish(job, outcome);
        for t in plan.dependents(a) {
            let j = job_of[&t];
            if sched.state(j) == schedule::State::Ready {
                ready_at.entry(j).or_insert(end_us);
            }
        }
        done[job] = Some(TraceAction {
            id: x.id,
            mode: x.mode.as_str().into(),
            package: plan.package_path(a).into(),
            deps: Vec::new(),
            lane,
            ready_us: ready_at.get(&job).copied(),
            start_us,
            end_us,
            kind: Kind::of_mode(x.mode.as_str()),
            status,
            spans,
            cache: CacheOutcome::Unknown,
        });
    };

    loop {
        // Hand out everything startable now; no-actor and skipped actions finish at once.
        while let Some((job, dispatch)) = sched.start() {
            let now = clock.now_us();
            let a = *sched.item(job);
            let runs = action_runs(plan, a, sizes, model);
            let lane = lanes_busy.iter().position(|b| !b).expect("a free lane");
            let status = match dispatch {
                Dispatch::Skip { .. } => Some(Status::Skipped),
                Dispatch::Run if runs.is_empty() => Some(Status::NoActor),
                Dispatch::Run => None,
            };
            if let Some(status) = status {
                finish(
                    &mut sched,
                    &mut done,
                    &mut ready_at,
                    job,
                    None,
                    now,
                    now,
                    Vec::new(),
                    status,
                );
                continue;
            }
            lanes_busy[lane] = true;
            clock.start((job, lane), runs);
        }
        if clock.is_idle() {
            break;
        }
        for e in clock.advance() {
            let (job, lane) = e.item;
            lanes_busy[lane] = false;
            let pkg = plan.package_path(*sched.item(job)).to_string();
            let fails =
                plan.action(*sched.item(job)).mode == Mode::Build && sim.failing.contains(&pkg);
            finish(
                &mut sched,
                &mut done,
                &mut ready_at,
                job,
                Some(lane + 1),
                e.start_us,
                e.end_us,
                e.spans,
                if fails { Status::Failed } else { Status::Ran },
            );
        }
    }
    let now = clock.now_us();

    // Actions in plan JSON ID order; deps as indices into that order.
    let mut actions: Vec<TraceAction> = done
        .into_iter()
        .map(|a| a.expect("every job ran"))
        .collect();
    actions.sort_by_key(|a| a.id);
    let index: HashMap<usize, usize> = actions.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    for (a, x) in plan.actions() {
        let _ = a;
        let i = index[&x.id];
        actions[i].deps = x.deps.iter().map(|&d| index[&plan.action(d).id]).collect();
    }
    let root = plan.action(plan.root());
    let root_name = match (&root.target, root.mode) {
        (Some(t), _) => format!("{} {}", root.mode, t),
        (None, m) => format!("{m} "),
    };
    Trace {
        origin: crate::trace::Origin::Simulated,
        root: root_name,
        lanes: sched.workers(),
        actions,
        end_us: now + after_ms * 1000.0,
        do_start_us: t0,
        do_end_us: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constant is the data file, field by field.
    #[test]
    fn calibrated_is_the_data_file() {
        let file = CostModel::parse(include_str!("../data/cost-model.json")).unwrap();
        assert_eq!(
            CostModel::calibrated(),
            &file,
            "core/data/cost-model.json changed: set CALIBRATED in core/src/cost.rs to {file:#?}"
        );
    }

    #[test]
    fn cost_model_embedded_parses_and_is_sane() {
        let m = CostModel::calibrated();
        assert_eq!(m.version, 1);
        assert!(
            m.compile_per_kb_ms > 1.0 && m.compile_per_kb_ms < 4.0,
            "{m:?}"
        );
        assert!(m.link(8400.0) > 300.0 && m.link(8400.0) < 600.0);
        assert!(CostModel::parse(r#"{"version": 2}"#)
            .unwrap_err()
            .contains("newer"));
        let missing = include_str!("../data/cost-model.json").replace("\"link_ms\"", "\"lnk_ms\"");
        assert_eq!(
            CostModel::parse(&missing).unwrap_err(),
            "cost model: \"link_ms\" is missing or not a number"
        );
    }

    #[test]
    fn cost_contention_is_processor_sharing() {
        let healthy = Machine {
            cores: 4,
            scaling: 1.0,
        };
        assert_eq!(healthy.speed(1), 1.0);
        assert_eq!(healthy.speed(4), 1.0);
        assert_eq!(healthy.speed(8), 0.5);
        let one = Machine {
            cores: 1,
            scaling: 1.0,
        };
        assert_eq!(one.speed(2), 0.5);
        let vm = Machine {
            cores: 2,
            scaling: 0.0,
        };
        assert_eq!(vm.speed(2), 0.5);
    }
}
