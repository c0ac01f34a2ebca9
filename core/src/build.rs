//! The build driver: one `go build` as a pure, resumable state machine over
//! [`crate::schedule::Scheduler`], and the [`Toolchain`] trait that runs its actions.
//!
//! A [`Session`] is driven by an outer loop, step by step, the same way on every host:
//!
//! ```text
//! let mut s = Session::new(&plan, &files, &record, binary_build_id, config);
//! loop {
//!     for job in s.ready(&mut cache, now_us) { start job on the toolchain }   // may be empty
//!     if nothing is running { break }
//!     wait for one job; s.complete(&mut cache, &job, result, timing);
//! }
//! let result = s.finish();   // transcript, trace, report, exit status, binary to write
//! ```
//!
//! [`simulate`] is that loop on a virtual clock with the [`Simulated`] toolchain; the page
//! drives it on the browser's event loop and the helper on real tools.
//!
//! # What happens when an action becomes ready (`Builder.Do` + `useCache`, exec.go / buildid.go)
//!
//! - `build`: its action ID is computed ([`crate::actionid::compile_id`]) from its dependencies'
//!   content IDs. If the binary in place already carries this compile (exec.go's "main build
//!   pseudo-cache", see [`crate::rebuild`]) it is up to date; else the cache is consulted (`-a`
//!   misses everything). A hit finishes at once, reading the entry and the output's size only
//!   (go's `GetFile`; the content ID and export data come from the record of the build that
//!   made or last read that output, see `Session::look_up`); the output's bytes are read, and
//!   verified against its output ID, only when no record names it or by a driver that consumes
//!   them. A miss becomes a [`Job`]. On completion the
//!   output is stored (with an empty `stdout` entry beside it) and its content ID unblocks the
//!   dependents.
//! - `link`: its action ID hashes every linked package's content ID. A binary in place whose build
//!   ID starts with it is up to date; `go build` never stores nor reuses a link output
//!   ([`crate::rebuild::Flags::cache_link`] models `go run`).
//! - `link-install`: moves the binary into place (a job) unless the link was up to date.
//! - Actions without an actor (`go build`, `built-in package`, `nop`) finish at once.
//! - A failed job marks its dependents, which are dispatched as skipped; everything else goes on,
//!   and the exit status is 1, as go does.
//! - Under `-n` nothing runs and nothing is stored: a miss is shown and, as in go, its content ID
//!   is taken to be its action ID for the dependents' hashes.
//!
//! Every action keeps what it hashed ([`crate::rebuild::Record`]) and a typed cache outcome
//! ([`crate::why::Outcome`]) for "why did this rebuild?".
//!
//! Deliberately not here: IO, clocks and threads. Time comes in as numbers (virtual or measured
//! microseconds since the command started), the cache through [`Cache`], execution through the
//! outer loop, the binary goes out as bytes for the caller to write.

use crate::actionid::{self, short, BuildId, HashedInputs, LinkBuildId, SourceFiles};
use crate::cache::{Cache, Entry, Miss, TrimReport, UnixNanos};
use crate::cost::{self, Clock, CostModel, Machine, Sizes};
use crate::hash::Digest;
use crate::object::{self, Dep, ExportData, Object};
use crate::plan::{ActionIx, Mode, PkgNode, Plan, Step, Tool};
use crate::rebuild::{ActionRecord, ActionReport, BuildReport, Flags, Record};
use crate::schedule::{self, Dispatch, JobId, Scheduler};
use crate::stdlib::StdLib;
use crate::trace::{self, CacheOutcome, Kind, Span, Status, Trace, TraceAction};
use crate::transcript::{self, ActionRun, RenderInput, RunOutcome, RunTiming, Transcript};
use crate::why::{self, MissReason, Outcome};

// ---------------------------------------------------------------------------------------------
// Configuration, jobs, results
// ---------------------------------------------------------------------------------------------

/// One build's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Cache behaviour: `-a`, link caching, what action IDs hash.
    pub flags: Flags,
    /// What is printed: `-x`, `-n`, `-work`. `-n` also means nothing runs and nothing is stored.
    pub print: transcript::Flags,
    /// `-v`: print each package's import path as its build starts.
    pub verbose: bool,
    /// `-p` (see [`schedule::workers`]).
    pub workers: usize,
    /// The clock for cache entries and mtimes (Unix ns), read by the caller.
    pub now: UnixNanos,
    /// `WORK=` (e.g. `/tmp/go-build123`), shown by `-x` and `-work`.
    pub work_dir: String,
    /// `GOCACHE`, for the cache file names the transcript shows.
    pub gocache: String,
    /// When `Builder.Do` starts, µs from the start of the command (the trace's `do_start_us`).
    pub do_start_us: f64,
    /// The go command's time after `Builder.Do`, µs.
    pub after_us: f64,
    /// GOCACHE holds go's module index: some go command wrote it since the cache was made or
    /// last cleaned (any command that loads packages does, `-n` too). The simulation then takes
    /// the cost model's warm command time ([`crate::cost::CostModel::command_with`]); without
    /// it, go indexes every std package it loads first. The driver knows its cache: the page
    /// and the CLI set it when their GOCACHE holds any entry.
    pub index_cached: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            flags: Flags::default(),
            print: transcript::Flags::default(),
            verbose: false,
            workers: 1,
            now: 0,
            work_dir: "/tmp/go-build".into(),
            gocache: "/home/gopher/.cache/go-build".into(),
            do_start_us: 0.0,
            after_us: 0.0,
            index_cached: false,
        }
    }
}

/// A direct dependency's output, as a job needs it.
#[derive(Clone, Debug)]
pub struct JobInput {
    pub action: ActionIx,
    pub import_path: String,
    /// The package name (`util`).
    pub name: String,
    /// Its export data (what the simulated compiler reads).
    pub export: ExportData,
    /// Its output's cache file (`<hex>` of `$GOCACHE/xx/<hex>-d`) when it came from or went to
    /// the cache.
    pub output_hex: Option<String>,
}

/// An action to run on the toolchain: its steps are `plan.steps(job.action)`.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: JobId,
    pub action: ActionIx,
    pub mode: Mode,
    /// `build P`, `link P`, `link-install P`.
    pub key: String,
    pub import_path: String,
    /// The worker lane it runs on, 1-based.
    pub lane: usize,
    /// What replaces [`crate::plan::BUILD_ID`] in the steps' command lines.
    pub build_id: String,
    /// Direct dependencies with an output (for `build`), in the action's `Deps` order.
    pub inputs: Vec<JobInput>,
}

/// What a toolchain made of a job.
#[derive(Clone, Debug, Default)]
pub struct ToolResult {
    /// A `build`'s output. `None` for link and install (the session derives the binary).
    pub output: Option<Object>,
    pub stdout: String,
    pub stderr: String,
    /// 0 for success.
    pub status: i32,
    /// On failure: the index of the step that failed in the action's steps.
    pub failed_step: Option<usize>,
    /// The tool runs and their durations, ms: uncontended costs for a simulation (the clock
    /// applies contention), measured times for real tools.
    pub runs: Vec<(Kind, f64)>,
}

impl ToolResult {
    pub fn ok(output: Option<Object>, runs: Vec<(Kind, f64)>) -> Self {
        ToolResult {
            output,
            runs,
            ..ToolResult::default()
        }
    }
}

/// When a job ran, µs from the start of the command, and its tool runs on the timeline.
#[derive(Clone, Debug, Default)]
pub struct Timing {
    pub start_us: f64,
    pub end_us: f64,
    pub spans: Vec<Span>,
}

/// Runs jobs: the simulation, the real tools (helper), test fakes.
pub trait Toolchain {
    fn run(&mut self, plan: &Plan, files: &dyn SourceFiles, job: &Job) -> ToolResult;
}

/// The binary `go build` leaves in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binary {
    /// The install target as the plan names it (`multi`, or the `-o` path), relative to the
    /// directory go runs in unless absolute.
    pub path: String,
    /// Its four-part build ID.
    pub build_id: String,
    pub bytes: Vec<u8>,
}

/// Everything one build produced.
#[derive(Clone, Debug)]
pub struct BuildResult {
    /// What go prints on stderr, with the exit status.
    pub transcript: Transcript,
    pub trace: Trace,
    /// Per-action outcomes, the compiled / asm / link sets, the record for the next build.
    pub report: BuildReport,
    /// go's exit status: 0, or 1 when an action failed.
    pub exit_status: u8,
    /// The binary to write, when the build installed one.
    pub binary: Option<Binary>,
    /// Wall time of the command, ms (virtual in a simulation).
    pub wall_ms: f64,
    /// The actions in dispatch order with their outcomes: what the transcript was rendered
    /// from, and what [`transcript::work_tree`] needs for `-work`.
    pub runs: Vec<ActionRun>,
}

// ---------------------------------------------------------------------------------------------
// The simulated binary
// ---------------------------------------------------------------------------------------------

/// go's raw build ID marker (`cmd/internal/buildid`): `\xff Go build ID: "ID"\n \xff`.
const BUILD_ID_PREFIX: &[u8] = b"\xff Go build ID: \"";
const BUILD_ID_END: &[u8] = b"\"\n \xff";

/// The bytes of a simulated binary: a shell script that says what it is, carrying its build ID
/// with go's raw marker, so that `go tool buildid` and [`binary_build_id`] read it back.
pub fn binary_bytes(import_path: &str, build_id: &str) -> Vec<u8> {
    let mut b = format!(
        "#!/bin/sh\n# buildlab simulated binary (format 1) of {import_path}: the simulated toolchain \
         does not produce machine code.\n# "
    )
    .into_bytes();
    b.extend_from_slice(BUILD_ID_PREFIX);
    b.extend_from_slice(build_id.as_bytes());
    b.extend_from_slice(BUILD_ID_END);
    b.extend_from_slice(
        format!(
            "\necho 'buildlab: {import_path} was built by the simulated toolchain' >&2\nexit 1\n"
        )
        .as_bytes(),
    );
    b
}

/// The build ID in a binary's first bytes, found by go's raw marker (a simulated binary, or a
/// real Go binary, which carries the same marker near the start of its text).
pub fn binary_build_id(bytes: &[u8]) -> Option<String> {
    let at = bytes
        .windows(BUILD_ID_PREFIX.len())
        .position(|w| w == BUILD_ID_PREFIX)?
        + BUILD_ID_PREFIX.len();
    let len = bytes[at..]
        .windows(BUILD_ID_END.len())
        .position(|w| w == BUILD_ID_END)?;
    let id = std::str::from_utf8(&bytes[at..at + len]).ok()?;
    (!id.is_empty() && id.len() < 1024).then(|| id.to_string())
}

// ---------------------------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------------------------

/// Read-only access to a cache (predictions and `-n`): lookups refresh nothing, puts store
/// nothing.
pub(crate) struct ReadOnly<'c>(pub(crate) &'c dyn Cache);

impl Cache for ReadOnly<'_> {
    fn get(&mut self, id: &Digest, _: UnixNanos) -> Result<Entry, Miss> {
        self.0.peek_data(id).map(|x| x.0)
    }
    fn get_file(&mut self, id: &Digest, _: UnixNanos) -> Result<Entry, Miss> {
        self.0.peek_file(id)
    }
    fn peek_file(&self, id: &Digest) -> Result<Entry, Miss> {
        self.0.peek_file(id)
    }
    fn get_data(&mut self, id: &Digest, _: UnixNanos) -> Result<(Entry, Vec<u8>), Miss> {
        self.0.peek_data(id)
    }
    fn peek_data(&self, id: &Digest) -> Result<(Entry, Vec<u8>), Miss> {
        self.0.peek_data(id)
    }
    fn put(&mut self, _: &Digest, data: &[u8], now: UnixNanos) -> Entry {
        Entry {
            output: Digest::of(data),
            size: data.len() as u64,
            time: now,
        }
    }
    fn trim(&mut self, _: UnixNanos) -> TrimReport {
        TrimReport::default()
    }
}

/// A job handed out and not yet complete.
struct InFlight {
    inputs: HashedInputs,
    reason: MissReason,
}

/// What became of one dispatched action, for the trace.
#[derive(Clone)]
struct Done {
    lane: Option<usize>,
    ready_us: Option<f64>,
    start_us: f64,
    end_us: f64,
    kind: Kind,
    status: Status,
    spans: Vec<Span>,
    cache: CacheOutcome,
}

impl Done {
    /// The trace entry of action `a`, without `deps` (filled in once every action is known).
    fn into_trace(self, plan: &Plan, a: ActionIx) -> TraceAction {
        let x = plan.action(a);
        TraceAction {
            id: x.id,
            mode: x.mode.as_str().into(),
            package: plan.package_path(a).into(),
            deps: Vec::new(),
            lane: self.lane,
            ready_us: self.ready_us,
            start_us: self.start_us,
            end_us: self.end_us,
            kind: self.kind,
            status: self.status,
            spans: self.spans,
            cache: self.cache,
        }
    }
}

/// One `go build`, step by step (see the module doc).
pub struct Session<'a> {
    plan: &'a Plan,
    files: &'a dyn SourceFiles,
    prev: &'a Record,
    cfg: Config,
    /// The build ID of the binary in place, split at `/`.
    target_parts: Vec<String>,
    target: Option<String>,
    /// Predicting: look, do not touch (no mtimes, no stores, no target).
    peek: bool,
    sched: Scheduler<ActionIx>,
    job_of: Dense<JobId>,
    lanes: Vec<bool>,
    ids: Dense<BuildId>,
    exports: Dense<ExportData>,
    output_hex: Dense<String>,
    outcomes: Dense<Outcome>,
    in_flight: Dense<InFlight>,
    /// Transcript runs in dispatch order, and where each action's run is.
    runs: Vec<ActionRun>,
    run_of: Dense<usize>,
    done: Vec<Option<Done>>,
    /// Jobs finished since the last [`Session::take_finished`], in order.
    finished: Vec<JobId>,
    ready_at: Dense<f64>,
    report: BuildReport,
    /// This build's records in the order its actions finished, joined to the last build's
    /// (`report.record`) by [`Session::finish`].
    recorded: Vec<(String, ActionRecord)>,
    binary: Option<Binary>,
    now_us: f64,
}

/// A table keyed by a dense index (an action's node index, a job ID, an action's id): a vector
/// of slots. The session's tables were hash maps; as vectors a lookup is an index (no hashing),
/// and the page's wasm has one small generic instead of hashbrown's insert, reserve and drop
/// for every value type (docs/benchmarks.md, Page weight).
#[derive(Clone, Debug)]
struct Dense<V> {
    slots: Vec<Option<V>>,
    len: usize,
}

/// A key of a [`Dense`] table.
trait DenseKey: Copy {
    fn slot(self) -> usize;
}

impl DenseKey for usize {
    fn slot(self) -> usize {
        self
    }
}

impl DenseKey for ActionIx {
    fn slot(self) -> usize {
        self.index()
    }
}

impl<K: DenseKey> DenseKey for &K {
    fn slot(self) -> usize {
        (*self).slot()
    }
}

impl<V> Default for Dense<V> {
    fn default() -> Self {
        Dense {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<V> Dense<V> {
    fn get(&self, k: impl DenseKey) -> Option<&V> {
        self.slots.get(k.slot())?.as_ref()
    }

    fn insert(&mut self, k: impl DenseKey, v: V) -> Option<V> {
        let i = k.slot();
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        let old = self.slots[i].replace(v);
        self.len += old.is_none() as usize;
        old
    }

    fn remove(&mut self, k: impl DenseKey) -> Option<V> {
        let old = self.slots.get_mut(k.slot())?.take();
        self.len -= old.is_some() as usize;
        old
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl<K: DenseKey, V> std::ops::Index<K> for Dense<V> {
    type Output = V;
    fn index(&self, k: K) -> &V {
        self.get(k).expect("no entry for the key")
    }
}

impl<K: DenseKey, V> FromIterator<(K, V)> for Dense<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(it: I) -> Self {
        let mut d = Dense::default();
        for (k, v) in it {
            d.insert(k, v);
        }
        d
    }
}

impl<'a> Session<'a> {
    /// A build of `plan` over `files`. `prev` is the last build's record (for why-rebuilt
    /// diffs); `target` the build ID of the binary in place, if any.
    pub fn new(
        plan: &'a Plan,
        files: &'a dyn SourceFiles,
        prev: &'a Record,
        target: Option<&str>,
        cfg: Config,
    ) -> Self {
        let workers = if cfg.print.n { 1 } else { cfg.workers.max(1) };
        let sched = schedule::for_plan(plan, workers);
        let job_of = (0..sched.len()).map(|j| (*sched.item(j), j)).collect();
        let n = sched.len();
        let ready_at = (0..n)
            .filter(|&j| sched.deps(j).is_empty())
            .map(|j| (j, cfg.do_start_us))
            .collect();
        Session {
            plan,
            files,
            prev,
            target_parts: target
                .map(|t| t.split('/').map(str::to_string).collect())
                .unwrap_or_default(),
            target: target.map(str::to_string),
            peek: false,
            sched,
            job_of,
            lanes: vec![false; workers],
            ids: Dense::default(),
            exports: Dense::default(),
            output_hex: Dense::default(),
            outcomes: Dense::default(),
            in_flight: Dense::default(),
            runs: Vec::new(),
            run_of: Dense::default(),
            done: (0..n).map(|_| None).collect(),
            finished: Vec::new(),
            ready_at,
            report: BuildReport {
                record: prev.clone(),
                target: target.map(str::to_string),
                ..BuildReport::default()
            },
            recorded: Vec::new(),
            binary: None,
            now_us: cfg.do_start_us,
            cfg,
        }
    }

    /// A session that predicts: it consults the cache without touching it and does not count
    /// the binary it would link as in place. Used by [`crate::rebuild::predict`].
    pub(crate) fn predicting(mut self) -> Self {
        self.peek = true;
        self
    }

    pub fn plan(&self) -> &'a Plan {
        self.plan
    }
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    /// Every action has finished.
    pub fn is_finished(&self) -> bool {
        self.sched.is_finished()
    }
    /// Jobs handed out and not completed.
    pub fn running(&self) -> usize {
        self.in_flight.len()
    }

    /// The actions dispatched so far with their outcomes and timings, in dispatch order (a job
    /// still running is listed as not run): what a live transcript renders before the end.
    pub fn runs(&self) -> &[transcript::ActionRun] {
        &self.runs
    }

    /// The cache file (`<hex>` of `$GOCACHE/xx/<hex>-d`) holding a build action's output, once
    /// it is known (a hit, or a job's output stored): what a real link's `importcfg` points to.
    pub fn output_hex(&self, a: ActionIx) -> Option<&str> {
        self.output_hex.get(&a).map(String::as_str)
    }

    /// Dispatch everything that can start at `now_us`: cache hits, up-to-date targets, skipped
    /// and actor-less actions finish here at once; the misses come back as jobs to run (at most
    /// the free workers). Empty when nothing can start until a job completes.
    pub fn ready(&mut self, cache: &mut dyn Cache, now_us: f64) -> Vec<Job> {
        self.now_us = self.now_us.max(now_us);
        let mut jobs = Vec::new();
        let readonly = self.cfg.print.n || self.peek;
        while let Some((j, dispatch)) = self.sched.start() {
            let lane = self.lanes.iter().position(|b| !b).expect("a free lane");
            self.lanes[lane] = true;
            let job = if readonly {
                let mut ro = ReadOnly(&*cache);
                self.dispatch(j, dispatch, lane, &mut ro)
            } else {
                self.dispatch(j, dispatch, lane, cache)
            };
            match job {
                Some(job) => jobs.push(job),
                None => self.lanes[lane] = false,
            }
        }
        jobs
    }

    /// Record a job's result. `timing` says when it ran; the session's time moves to its end.
    ///
    /// # Panics
    /// If the job was not handed out by [`Session::ready`] or was already completed (a driver bug).
    pub fn complete(
        &mut self,
        cache: &mut dyn Cache,
        job: &Job,
        result: ToolResult,
        timing: Timing,
    ) {
        let f = self
            .in_flight
            .remove(&job.id)
            .expect("complete: a job handed out by ready");
        self.lanes[job.lane - 1] = false;
        self.now_us = self.now_us.max(timing.end_us);
        let a = job.action;
        let failed = result.status != 0;
        let output = format!("{}{}", result.stdout, result.stderr);
        let mut cache_outcome = CacheOutcome::Miss {
            reason: f.reason.to_string(),
        };
        let outcome = Outcome::Miss(f.reason);
        let ix = self.run_of[&a];
        if failed {
            self.runs[ix].outcome = RunOutcome::Failed {
                step: result.failed_step.unwrap_or(0),
                output,
            };
            self.push_report(a, f.inputs, outcome, String::new());
        } else {
            match job.mode {
                Mode::Build => {
                    let obj = result
                        .output
                        .expect("a successful build produces an object");
                    let bid = BuildId {
                        action: f.inputs.id,
                        content: obj.content(),
                    };
                    let stored = if self.peek {
                        None
                    } else {
                        let e = match obj.held() {
                            Some((out, size)) => {
                                cache.put_held(&f.inputs.id, &out, size, self.cfg.now)
                            }
                            None => {
                                cache.put(&f.inputs.id, &obj.to_bytes(&bid.render()), self.cfg.now)
                            }
                        };
                        cache.put(
                            &actionid::subkey(&f.inputs.id, "stdout"),
                            result.stdout.as_bytes(),
                            self.cfg.now,
                        );
                        Some(e.output)
                    };
                    if let Some(h) = &stored {
                        self.output_hex.insert(a, h.to_hex());
                    }
                    self.runs[ix].outcome = RunOutcome::Ran {
                        stored_as: stored.map(|d| d.to_hex()),
                    };
                    self.built(a, f.inputs, bid, obj.export, stored, outcome);
                }
                Mode::Link => {
                    let rendered = self.link_build_id(a, &f.inputs).unwrap_or_default();
                    if self.cfg.flags.cache_link && !self.peek {
                        let p = self.plan.package_path(a);
                        cache.put(&f.inputs.id, &binary_bytes(p, &rendered), self.cfg.now);
                    }
                    if !self.peek {
                        self.report.target = Some(rendered.clone());
                    }
                    self.runs[ix].outcome = RunOutcome::Ran { stored_as: None };
                    self.linked(a, f.inputs, rendered, outcome);
                }
                _ => {
                    self.runs[ix].outcome = RunOutcome::Ran { stored_as: None };
                    let x = self.plan.action(a);
                    if x.mode == Mode::LinkInstall && !self.peek {
                        if let (Some(path), Some(id)) = (&x.target, &self.report.target) {
                            self.binary = Some(Binary {
                                path: path.clone(),
                                build_id: id.clone(),
                                bytes: binary_bytes(self.plan.package_path(a), id),
                            });
                        }
                    }
                    cache_outcome = CacheOutcome::Unknown;
                }
            }
        }
        self.finish_job(
            job.id,
            Done {
                lane: Some(job.lane),
                ready_us: None,
                start_us: timing.start_us,
                end_us: timing.end_us,
                kind: Kind::of_mode(job.mode.as_str()),
                status: if failed { Status::Failed } else { Status::Ran },
                spans: timing.spans,
                cache: cache_outcome,
            },
        );
    }

    /// The build's results. Call when [`Session::ready`] returns nothing and no job runs.
    pub fn finish(self) -> BuildResult {
        let plan = self.plan;
        let mut report = self.report;
        if self.cfg.print.n {
            // -n changes nothing: the record and the binary stay as they were.
            report.record = self.prev.clone();
            report.target = self.target.clone();
        } else {
            report.record.actions.extend(self.recorded);
        }
        let transcript = transcript::render(&RenderInput {
            plan,
            flags: self.cfg.print,
            verbose: self.cfg.verbose,
            work_dir: &self.cfg.work_dir,
            gocache: &self.cfg.gocache,
            runs: &self.runs,
        });
        let trace = build_trace(
            plan,
            &self.sched,
            self.done,
            self.cfg.do_start_us,
            self.cfg.after_us,
        );
        BuildResult {
            exit_status: transcript.exit_status,
            transcript,
            wall_ms: trace.wall_ms(),
            trace,
            report,
            binary: self.binary,
            runs: self.runs,
        }
    }

    /// The actions that finished since the last call (hits and skips at dispatch, jobs at
    /// completion), in the order they finished, for a driver that shows progress while the
    /// build runs. Each is the trace entry [`Session::finish`] will report, without `deps`.
    pub fn take_finished(&mut self) -> Vec<TraceAction> {
        let plan = self.plan;
        std::mem::take(&mut self.finished)
            .into_iter()
            .filter_map(|j| {
                let d = self.done[j].clone()?;
                Some(d.into_trace(plan, *self.sched.item(j)))
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------------

    fn dispatch(
        &mut self,
        j: JobId,
        dispatch: Dispatch,
        lane: usize,
        cache: &mut dyn Cache,
    ) -> Option<Job> {
        let a = *self.sched.item(j);
        let mode = self.plan.action(a).mode;
        let has_actor = matches!(
            mode,
            Mode::Build | Mode::Link | Mode::LinkInstall | Mode::BuildInstall
        );
        if has_actor {
            self.run_of.insert(a, self.runs.len());
            self.runs.push(ActionRun::new(a, RunOutcome::Skipped));
        }
        if let Dispatch::Skip { .. } = dispatch {
            self.finish_now(j, None, Status::Skipped, Kind::Other, CacheOutcome::Unknown);
            return None;
        }
        match mode {
            Mode::Build => self.dispatch_build(j, a, lane, cache),
            Mode::Link => self.dispatch_link(j, a, lane, cache),
            Mode::LinkInstall | Mode::BuildInstall => self.dispatch_install(j, a, lane),
            _ => {
                self.finish_now(j, None, Status::NoActor, Kind::Other, CacheOutcome::Unknown);
                None
            }
        }
    }

    fn dispatch_build(
        &mut self,
        j: JobId,
        a: ActionIx,
        lane: usize,
        cache: &mut dyn Cache,
    ) -> Option<Job> {
        let plan = self.plan;
        let inputs = {
            let ids = &self.ids;
            actionid::compile_id(
                plan,
                a,
                self.files,
                &|d| ids.get(&d).copied(),
                &self.cfg.flags.ids,
            )
        };
        let ix = self.run_of[&a];
        if let Some(bid) = self.main_up_to_date(a, &inputs) {
            let export = self.prev.actions[inputs.key.as_str()]
                .export
                .clone()
                .unwrap_or(ExportData {
                    api: Digest::of(b""),
                    inline: Default::default(),
                });
            let output = self.prev.actions[inputs.key.as_str()].output;
            self.runs[ix].outcome = RunOutcome::UpToDate;
            self.built(a, inputs, bid, export, output, Outcome::TargetUpToDate);
            self.finish_now(
                j,
                Some(lane),
                Status::Ran,
                Kind::CacheHit,
                CacheOutcome::UpToDate,
            );
            return None;
        }
        let build_error = plan.package(a).and_then(PkgNode::build_error);
        match self.look_up(a, &inputs, cache) {
            Err(reason) if build_error.is_some() => {
                // exec.go build: (no cache entry holds it) the object directory is made (step
                // 0), then the build fails with go's own error, under -n too; its dependents
                // are not run.
                self.runs[ix].outcome = RunOutcome::Failed {
                    step: 0,
                    output: format!("{}\n", build_error.unwrap_or_default()),
                };
                let cache_outcome = CacheOutcome::Miss {
                    reason: reason.to_string(),
                };
                self.push_report(a, inputs, Outcome::Miss(reason), String::new());
                self.finish_now(j, Some(lane), Status::Failed, Kind::Compile, cache_outcome);
                None
            }
            Ok((entry, bid, export)) => {
                let hex = entry.output.to_hex();
                self.output_hex.insert(a, hex.clone());
                self.runs[ix].outcome = RunOutcome::Hit { output_hex: hex };
                self.built(a, inputs, bid, export, Some(entry.output), Outcome::Hit);
                self.finish_now(
                    j,
                    Some(lane),
                    Status::Ran,
                    Kind::CacheHit,
                    CacheOutcome::Hit,
                );
                None
            }
            Err(reason) if self.cfg.print.n => {
                // Shown, not run: go takes the action ID as the content ID.
                let bid = BuildId {
                    action: inputs.id,
                    content: inputs.id,
                };
                self.ids.insert(a, bid);
                self.runs[ix].outcome = RunOutcome::Ran { stored_as: None };
                self.runs[ix].build_id = Some(bid.render());
                let cache_outcome = CacheOutcome::Miss {
                    reason: reason.to_string(),
                };
                self.push_report(a, inputs, Outcome::Miss(reason), bid.render());
                self.finish_now(j, Some(lane), Status::Ran, Kind::Compile, cache_outcome);
                None
            }
            Err(reason) => {
                let build_id = format!("{}/{}", short(&inputs.id), short(&inputs.id));
                self.runs[ix].build_id = Some(build_id.clone());
                Some(self.hand_out(j, a, lane, build_id, inputs, reason))
            }
        }
    }

    fn dispatch_link(
        &mut self,
        j: JobId,
        a: ActionIx,
        lane: usize,
        cache: &mut dyn Cache,
    ) -> Option<Job> {
        let inputs = {
            let ids = &self.ids;
            actionid::link_id(self.plan, a, &|d| ids.get(&d).copied(), &self.cfg.flags.ids)
        };
        let key = inputs.key.clone();
        let flags = &self.cfg.flags;
        let in_place = self
            .target
            .as_deref()
            .is_some_and(|t| t.starts_with(&format!("{}/", short(&inputs.id))));
        let outcome = if !flags.force && in_place {
            Outcome::TargetUpToDate
        } else if flags.force {
            Outcome::Miss(MissReason::Forced)
        } else if flags.cache_link && cache.get(&inputs.id, self.cfg.now).is_ok() {
            Outcome::Hit
        } else {
            Outcome::Miss(match self.prev.actions.get(&key) {
                Some(o) if !o.inputs.same_lines(&inputs) => {
                    MissReason::InputsChanged(why::diff(&o.inputs, &inputs, ""))
                }
                _ if self.target.is_none() => MissReason::TargetMissing,
                _ => MissReason::LinkNotCached,
            })
        };
        let ix = self.run_of[&a];
        // The linker's -buildid: the content part is not known yet, go puts the action ID there.
        let main = self.ids.get(&self.plan.action(a).deps[0]).copied();
        let build_id = main
            .map(|m| format!("{}/{}/{}", short(&inputs.id), m.render(), short(&inputs.id)))
            .unwrap_or_default();
        self.runs[ix].build_id = Some(build_id.clone());
        match outcome {
            Outcome::Miss(reason) if !self.cfg.print.n => {
                Some(self.hand_out(j, a, lane, build_id, inputs, reason))
            }
            outcome => {
                let (run, status, kind, cache_outcome) = match &outcome {
                    Outcome::TargetUpToDate => (
                        RunOutcome::UpToDate,
                        Status::Ran,
                        Kind::CacheHit,
                        CacheOutcome::UpToDate,
                    ),
                    Outcome::Hit => (
                        RunOutcome::Hit {
                            output_hex: String::new(),
                        },
                        Status::Ran,
                        Kind::CacheHit,
                        CacheOutcome::Hit,
                    ),
                    Outcome::Miss(r) => (
                        RunOutcome::Ran { stored_as: None },
                        Status::Ran,
                        Kind::Link,
                        CacheOutcome::Miss {
                            reason: r.to_string(),
                        },
                    ),
                };
                self.runs[ix].outcome = run;
                let rendered = self.link_build_id(a, &inputs).unwrap_or_default();
                self.linked(a, inputs, rendered, outcome);
                self.finish_now(j, Some(lane), status, kind, cache_outcome);
                None
            }
        }
    }

    fn dispatch_install(&mut self, j: JobId, a: ActionIx, lane: usize) -> Option<Job> {
        let link = self.plan.action(a).deps.first().copied();
        let current = link.is_some_and(|l| self.outcomes.get(&l) == Some(&Outcome::TargetUpToDate));
        let ix = self.run_of[&a];
        if current || self.cfg.print.n {
            self.runs[ix].outcome = if current {
                RunOutcome::UpToDate
            } else {
                RunOutcome::Ran { stored_as: None }
            };
            // An install of a current target does nothing: it shows as the link it follows.
            let (kind, cache) = if current {
                (Kind::CacheHit, CacheOutcome::UpToDate)
            } else {
                (Kind::Install, CacheOutcome::Unknown)
            };
            self.finish_now(j, Some(lane), Status::Ran, kind, cache);
            return None;
        }
        let x = self.plan.action(a);
        let p = self.plan.package_path(a).to_string();
        self.in_flight.insert(
            j,
            InFlight {
                inputs: HashedInputs::empty(format!("{} {p}", x.mode)),
                reason: MissReason::NoEntry,
            },
        );
        Some(Job {
            id: j,
            action: a,
            mode: x.mode,
            key: format!("{} {p}", x.mode),
            import_path: p,
            lane: lane + 1,
            build_id: self.report.target.clone().unwrap_or_default(),
            inputs: Vec::new(),
        })
    }

    fn hand_out(
        &mut self,
        j: JobId,
        a: ActionIx,
        lane: usize,
        build_id: String,
        inputs: HashedInputs,
        reason: MissReason,
    ) -> Job {
        let plan = self.plan;
        let x = plan.action(a);
        let deps = if x.mode == Mode::Build {
            x.deps
                .iter()
                .filter_map(|&d| {
                    let p = plan.package(d)?;
                    Some(JobInput {
                        action: d,
                        import_path: p.import_path.clone(),
                        name: p.name.clone(),
                        export: self.exports.get(&d)?.clone(),
                        output_hex: self.output_hex.get(&d).cloned(),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let job = Job {
            id: j,
            action: a,
            mode: x.mode,
            key: inputs.key.clone(),
            import_path: plan.package_path(a).to_string(),
            lane: lane + 1,
            build_id,
            inputs: deps,
        };
        self.in_flight.insert(j, InFlight { inputs, reason });
        job
    }

    /// exec.go's main-package pseudo-cache: the binary in place already holds this compile's
    /// output, and linking it again would give the same binary.
    fn main_up_to_date(&self, a: ActionIx, inputs: &HashedInputs) -> Option<BuildId> {
        let plan = self.plan;
        let triggers = plan.dependents(a);
        let only_link = triggers.len() == 1 && plan.action(triggers[0]).mode == Mode::Link;
        let t = &self.target_parts;
        if self.cfg.flags.force || !only_link || t.len() != 4 || t[1] != short(&inputs.id) {
            return None;
        }
        let bid = self
            .prev
            .actions
            .get(&inputs.key)?
            .compile_id
            .filter(|b| short(&b.action) == t[1] && short(&b.content) == t[2])?;
        let mut ids = self.ids.clone();
        ids.insert(a, bid);
        let link = actionid::link_id(
            plan,
            triggers[0],
            &|d| ids.get(&d).copied(),
            &self.cfg.flags.ids,
        );
        (short(&link.id) == t[0]).then_some(bid)
    }

    /// go's `useCache` for a build action: on a hit go reads the entry, checks that the output
    /// is there at its size (`GetFile`) and reads the output's build ID from its header; it
    /// does not read the rest of the archive. Here the last record of this action stands for
    /// that header when it names the same action ID and the same output: the record was made
    /// from that very output (the output ID is its hash), so its content ID and export data
    /// are what it holds. Otherwise the output is read, verified against its output ID
    /// ([`Cache::get_data`]), and parsed. Either way a missing, truncated or corrupt entry is
    /// a miss with its reason.
    fn look_up(
        &self,
        a: ActionIx,
        inputs: &HashedInputs,
        cache: &mut dyn Cache,
    ) -> Result<(Entry, BuildId, ExportData), MissReason> {
        if self.cfg.flags.force {
            return Err(MissReason::Forced);
        }
        let entry = match cache.get_file(&inputs.id, self.cfg.now) {
            Ok(e) => e,
            Err(Miss::NoEntry) => {
                return Err(self.changed(a, inputs).unwrap_or(MissReason::NoEntry))
            }
            Err(m) => return Err(MissReason::Corrupt(m)),
        };
        if let Some((bid, export)) = self.remembered(inputs, &entry.output) {
            return Ok((entry, bid, export));
        }
        match cache.get_data(&inputs.id, self.cfg.now) {
            Ok((entry, data)) => match Object::parse(&data) {
                Some((_, obj)) => {
                    let bid = BuildId {
                        action: inputs.id,
                        content: obj.content(),
                    };
                    Ok((entry, bid, obj.export))
                }
                None => Err(MissReason::Corrupt(Miss::DataHash)),
            },
            Err(m) => Err(MissReason::Corrupt(m)),
        }
    }

    /// The build ID and export data the last record holds for this action ID and output.
    fn remembered(&self, inputs: &HashedInputs, output: &Digest) -> Option<(BuildId, ExportData)> {
        let r = self.prev.actions.get(&inputs.key)?;
        let bid = r
            .compile_id
            .filter(|b| b.action == inputs.id && r.output.as_ref() == Some(output))?;
        Some((bid, r.export.clone()?))
    }

    /// Why a build with no cache entry runs: its inputs changed since the last build, if they did.
    fn changed(&self, a: ActionIx, inputs: &HashedInputs) -> Option<MissReason> {
        let old = self.prev.actions.get(&inputs.key)?;
        (!old.inputs.same_lines(inputs)).then(|| {
            let pi = self.plan.action(a).package.expect("build has a package");
            MissReason::InputsChanged(why::diff(&old.inputs, inputs, &file_prefix(self.plan, pi)))
        })
    }

    fn link_build_id(&self, a: ActionIx, inputs: &HashedInputs) -> Option<String> {
        let main = self.ids.get(&self.plan.action(a).deps[0]).copied()?;
        Some(
            LinkBuildId {
                action: inputs.id,
                main,
                content: link_content(inputs),
            }
            .render(),
        )
    }

    /// A build action's output is known: record it for dependents, the record and the report.
    /// `output` is its output ID when it is in the cache.
    fn built(
        &mut self,
        a: ActionIx,
        inputs: HashedInputs,
        bid: BuildId,
        export: ExportData,
        output: Option<Digest>,
        outcome: Outcome,
    ) {
        self.ids.insert(a, bid);
        self.exports.insert(a, export.clone());
        self.recorded.push((
            inputs.key.clone(),
            ActionRecord {
                inputs: inputs.clone(),
                build_id: bid.render(),
                compile_id: Some(bid),
                content: bid.content,
                export: Some(export),
                output,
            },
        ));
        self.push_report(a, inputs, outcome, bid.render());
    }

    fn linked(&mut self, a: ActionIx, inputs: HashedInputs, rendered: String, outcome: Outcome) {
        self.recorded.push((
            inputs.key.clone(),
            ActionRecord {
                content: link_content(&inputs),
                inputs: inputs.clone(),
                build_id: rendered.clone(),
                compile_id: None,
                export: None,
                output: None,
            },
        ));
        self.push_report(a, inputs, outcome, rendered);
    }

    fn push_report(
        &mut self,
        a: ActionIx,
        inputs: HashedInputs,
        outcome: Outcome,
        build_id: String,
    ) {
        let asm_runs = if outcome.ran() {
            self.plan
                .steps(a)
                .iter()
                .filter(|s| matches!(s, Step::Run(inv) if inv.tool == Tool::Asm))
                .count()
        } else {
            0
        };
        self.outcomes.insert(a, outcome.clone());
        self.report.actions.push(ActionReport {
            action: a,
            key: inputs.key.clone(),
            import_path: self.plan.package_path(a).to_string(),
            mode: self.plan.action(a).mode,
            outcome,
            inputs,
            build_id,
            asm_runs,
        });
    }

    /// An action that finished at dispatch, at the session's current time.
    fn finish_now(
        &mut self,
        j: JobId,
        lane: Option<usize>,
        status: Status,
        kind: Kind,
        cache: CacheOutcome,
    ) {
        let now = self.now_us;
        self.finish_job(
            j,
            Done {
                lane: lane.map(|l| l + 1),
                ready_us: None,
                start_us: now,
                end_us: now,
                kind,
                status,
                spans: Vec::new(),
                cache,
            },
        );
    }

    fn finish_job(&mut self, j: JobId, mut done: Done) {
        let outcome = if done.status == Status::Failed {
            schedule::Outcome::Failed
        } else {
            schedule::Outcome::Ok
        };
        self.sched.finish(j, outcome);
        let a = *self.sched.item(j);
        for t in self.plan.dependents(a) {
            let d = self.job_of[&t];
            if self.sched.state(d) == schedule::State::Ready {
                if self.ready_at.get(d).is_none() {
                    self.ready_at.insert(d, done.end_us);
                }
            }
        }
        done.ready_us = self.ready_at.get(&j).copied();
        if let Some(&ix) = self.run_of.get(&a) {
            // When it ran places its commands among the other workers' in the transcript.
            self.runs[ix].timing = Some(RunTiming {
                start_us: done.start_us,
                end_us: done.end_us,
                spans: done.spans.clone(),
            });
        }
        self.done[j] = Some(done);
        self.finished.push(j);
    }
}

/// The prefix that turns a package's file names into workspace-relative paths for display.
fn file_prefix(plan: &Plan, pkg: usize) -> String {
    let p = &plan.input().packages[pkg];
    let cwd = plan.input().cwd.trim_end_matches('/');
    match p.dir.strip_prefix(cwd) {
        Some("") => String::new(),
        Some(rest) if rest.starts_with('/') => format!("{}/", &rest[1..]),
        _ => format!("{}/", p.dir),
    }
}

/// The simulated binary's content ID: a function of its packages' contents and the link
/// configuration, i.e. the link's hashed lines minus the salt and the main package's action ID.
fn link_content(inputs: &HashedInputs) -> Digest {
    let mut h = blake3::Hasher::new();
    for l in inputs.lines().skip(1) {
        if let Some(rest) = l.strip_prefix("packagemain ") {
            h.update(rest.rsplit('/').next().unwrap_or("").as_bytes());
        } else {
            h.update(l.as_bytes());
        }
    }
    Digest(*h.finalize().as_bytes())
}

fn build_trace(
    plan: &Plan,
    sched: &Scheduler<ActionIx>,
    done: Vec<Option<Done>>,
    do_start_us: f64,
    after_us: f64,
) -> Trace {
    let mut actions: Vec<TraceAction> = done
        .into_iter()
        .enumerate()
        .map(|(j, d)| {
            let d = d.unwrap_or(Done {
                lane: None,
                ready_us: None,
                start_us: do_start_us,
                end_us: do_start_us,
                kind: Kind::Other,
                status: Status::Skipped,
                spans: Vec::new(),
                cache: CacheOutcome::Unknown,
            });
            d.into_trace(plan, *sched.item(j))
        })
        .collect();
    crate::sort::sort_by_key(&mut actions, |a| a.id);
    let index: Dense<usize> = actions.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    for (_, x) in plan.actions() {
        let i = index[&x.id];
        actions[i].deps = x.deps.iter().map(|&d| index[&plan.action(d).id]).collect();
    }
    let do_end_us = actions.iter().map(|a| a.end_us).fold(do_start_us, f64::max);
    let root = plan.action(plan.root());
    Trace {
        origin: trace::Origin::Simulated,
        root: match &root.target {
            Some(t) => format!("{} {t}", root.mode),
            None => format!("{} ", root.mode),
        },
        lanes: sched.workers(),
        actions,
        end_us: do_end_us + after_us,
        do_start_us,
        do_end_us,
    }
}

// ---------------------------------------------------------------------------------------------
// The simulated toolchain
// ---------------------------------------------------------------------------------------------

/// The simulated toolchain: outputs from [`object::compile`], honest syntax errors from
/// [`crate::syntax`], durations from the cost model ([`cost::action_runs`]).
pub struct Simulated<'m> {
    pub model: &'m CostModel,
    pub sizes: Sizes,
}

impl Simulated<'static> {
    /// With the calibrated model; sizes from the embedded std graph and the workspace's files.
    pub fn for_plan(plan: &Plan, files: &dyn SourceFiles) -> Self {
        let tc = plan.toolchain();
        let mut sizes = StdLib::for_target(&tc.goos, &tc.goarch, tc.cgo_enabled)
            .map(Sizes::from_std)
            .unwrap_or_default();
        for p in plan.input().packages.iter().filter(|p| !p.standard) {
            sizes.insert_files(p, |name| files.read(p, name).map_or(0, |d| d.len() as u64));
        }
        Simulated {
            model: CostModel::calibrated(),
            sizes,
        }
    }
}

impl Toolchain for Simulated<'_> {
    fn run(&mut self, plan: &Plan, files: &dyn SourceFiles, job: &Job) -> ToolResult {
        let runs = cost::action_runs(plan, job.action, &self.sizes, self.model);
        #[cfg(feature = "compile-checks")]
        if job.mode == Mode::Link {
            if let Some((step, stderr)) = link_errors(plan, files, job.action) {
                // The linker loads every package before it finds out: its whole run counts.
                return ToolResult {
                    stderr,
                    status: 1,
                    failed_step: Some(step),
                    runs,
                    ..ToolResult::default()
                };
            }
        }
        if job.mode != Mode::Build {
            return ToolResult::ok(None, runs);
        }
        #[cfg(feature = "compile-checks")]
        if let Some((step, stderr)) = syntax_errors(plan, files, job.action) {
            return ToolResult {
                stderr,
                status: 1,
                failed_step: Some(step),
                // The compile stops early; cmd/go's own work and the compile start still count.
                runs: runs.into_iter().take(2).collect(),
                ..ToolResult::default()
            };
        }
        ToolResult::ok(Some(compile(plan, files, job)), runs)
    }
}

/// The compile step's index and the errors the compiler would print, if [`crate::parse`] or
/// [`crate::syntax`] finds any in the package's Go files.
#[cfg(feature = "compile-checks")]
fn syntax_errors(plan: &Plan, files: &dyn SourceFiles, a: ActionIx) -> Option<(usize, String)> {
    let p = plan.package(a)?;
    if p.standard {
        return None;
    }
    let (step, inv) = plan
        .steps(a)
        .iter()
        .enumerate()
        .find_map(|(i, s)| match s {
            Step::Run(inv) if inv.tool == Tool::Compile => Some((i, inv)),
            _ => None,
        })?;
    let names: Vec<&String> = p.go_files.iter().chain(p.cgo_files()).collect();
    #[cfg(feature = "embed-directives")]
    let embeds = embed_directives(p, files, &names);
    // Parsing: cmd/compile's parser over each file (`crate::parse`; where it is unsure, the
    // narrower `crate::syntax::check`), with the directives' errors the parser gives.
    let shown: Vec<String> = names.iter().map(|n| shown_name(inv, n)).collect();
    let mut parsed: Vec<(usize, crate::syntax::SyntaxError)> = Vec::new();
    // What types2 will say of what the parser saw (`defer f` without a call), and the names
    // each file's `:=` statements declare anew (for its unused variables).
    let mut seen = FromParser {
        errors: Vec::new(),
        defined: vec![None; names.len()],
        funcs: Some(Vec::new()),
        calls: vec![Vec::new(); names.len()],
        args: vec![Vec::new(); names.len()],
        values: vec![Vec::new(); names.len()],
        returns: vec![Vec::new(); names.len()],
    };
    for (i, name) in names.iter().enumerate() {
        let Some(src) = files.read(p, name) else {
            continue;
        };
        let mut errs: Vec<crate::syntax::SyntaxError> = Vec::new();
        match crate::parse::parse(src, &shown[i]) {
            Some(crate::parse::Parsed {
                errors,
                defined,
                funcs,
                calls,
                args,
                values,
                returns,
            }) => {
                seen.defined[i] = Some(defined);
                if let Some(all) = &mut seen.funcs {
                    all.extend(funcs);
                }
                seen.calls[i] = calls;
                seen.args[i] = args;
                seen.values[i] = values;
                seen.returns[i] = returns;
                for e in errors {
                    let (line, col) = (e.pos.0 as usize, e.pos.1 as usize);
                    let error = crate::syntax::SyntaxError {
                        line,
                        col,
                        msg: e.msg,
                    };
                    if e.typecheck {
                        seen.errors.push((i, error));
                    } else {
                        errs.push(error);
                    }
                }
            }
            None => {
                seen.funcs = None;
                errs.extend(crate::syntax::check(src));
            }
        }
        #[cfg(feature = "embed-directives")]
        let errs = with_parse_errors(errs, &embeds[i].parse);
        parsed.extend(errs.into_iter().map(|e| (i, e)));
    }
    // A syntax error stops the compiler before type checking; the scanner's other errors (an
    // invalid character, a rune literal with two) are reported with the type checker's.
    #[cfg_attr(not(feature = "embed-directives"), allow(unused_mut))]
    let mut out = if parsed
        .iter()
        .any(|(_, e)| e.msg.starts_with("syntax error"))
    {
        kept_reports(parsed, &shown)
    } else {
        type_errors(plan, files, &names, &shown, p, parsed, seen)
    };
    #[cfg(feature = "embed-directives")]
    if out.is_empty() {
        // Type-checked: the declarations' directives.
        for (name, embed) in names.iter().zip(&embeds) {
            let shown = shown_name(inv, name);
            for e in &embed.decls {
                out.push_str(&e.render(&shown));
                out.push('\n');
            }
        }
    }
    (!out.is_empty()).then_some((step, out))
}

/// The type-check errors of a package's files that the simulation is sure of, as cmd/compile
/// prints them. types2 reports the package block's redeclarations first, then each type's
/// undefined names and methods declared twice, then the undefined names of the variables,
/// constants and functions' signatures in source order, then each function body's undefined
/// names, its `missing return` and its unused variables (the bodies in source order, the files
/// in the compiler's order), then the unused imports. cmd/compile drops a report on the line
/// of the one before with the same text, stops at the tenth (`too many errors` at its
/// position), and prints them by file, the files in the order of their first report, then by
/// position.
/// What the parser saw that the type checks use: the errors types2 reports of it (by file
/// index), and each file's [`crate::parse::Parsed::defined`] (`None` where the parser was
/// unsure).
#[cfg(feature = "compile-checks")]
struct FromParser {
    errors: Vec<(usize, crate::syntax::SyntaxError)>,
    defined: Vec<Option<Vec<crate::parse::Pos>>>,
    /// Every file's [`crate::parse::Parsed::funcs`] (`None` if the parser was unsure of one).
    funcs: Option<Vec<(String, usize)>>,
    /// Each file's [`crate::parse::Parsed::calls`].
    calls: Vec<Vec<crate::parse::CallAssign>>,
    /// Each file's [`crate::parse::Parsed::args`].
    args: Vec<Vec<crate::parse::CallArgs>>,
    /// Each file's [`crate::parse::Parsed::values`].
    values: Vec<Vec<crate::parse::ValueUse>>,
    /// Each file's [`crate::parse::Parsed::returns`].
    returns: Vec<Vec<crate::parse::ReturnCount>>,
}

#[cfg(feature = "compile-checks")]
fn type_errors(
    plan: &Plan,
    files: &dyn SourceFiles,
    names: &[&String],
    shown: &[String],
    p: &PkgNode,
    parsed: Vec<(usize, crate::syntax::SyntaxError)>,
    seen: FromParser,
) -> String {
    use crate::syntax::SyntaxError;
    let name_of = |path: &str| {
        plan.input()
            .packages
            .iter()
            .find(|q| q.import_path == path)
            .map(|q| q.name.clone())
    };
    let sources: Vec<Option<&[u8]>> = names.iter().map(|n| files.read(p, n)).collect();
    let all: Option<Vec<(&str, &[u8])>> = shown
        .iter()
        .zip(&sources)
        .map(|(n, s)| Some((n.as_str(), (*s)?)))
        .collect();
    // (report order, file, error); the order packed in one number: the phase (package block,
    // types with their methods, values and signatures, bodies, unused imports), then the file
    // or type (its undefined names before its methods declared twice), then the body, then
    // (in a body) undefined names, its missing return, its unused variables, then the
    // position. Positions pack as `line << 20 | column`.
    let mut reported: Vec<(u128, usize, SyntaxError)> = Vec::new();
    let at = |e: &SyntaxError| ((e.line as u128) << 20) | e.col as u128;
    let key = |phase: u128, major: usize, body: u128, kind: u128, e: &SyntaxError| {
        phase << 120 | (major as u128) << 100 | body << 51 | kind << 49 | at(e)
    };
    if let Some(all) = &all {
        let redeclared = crate::syntax::redeclarations(all, p.name == "main").unwrap_or_default();
        for (f, errs) in redeclared.into_iter().enumerate() {
            reported.extend(errs.into_iter().map(|e| (key(0, f, 0, 0, &e), f, e)));
        }
        let methods = crate::syntax::duplicate_methods(all).unwrap_or_default();
        for (f, errs) in methods.into_iter().enumerate() {
            reported.extend(errs.into_iter().map(|(ty, e)| (key(1, ty, 0, 1, &e), f, e)));
        }
    }
    // The package block's names, for each body's undefined names; and how many types the
    // files before each declare (types2 numbers the package's types across its files).
    let tops: Option<Vec<Vec<crate::syntax::TopLevel>>> = sources
        .iter()
        .map(|s| crate::syntax::top_level_names((*s)?))
        .collect();
    let types_before: Vec<usize> = tops
        .iter()
        .flatten()
        .scan(0, |n, file| {
            let before = *n;
            *n += file.iter().filter(|t| t.is_type).count();
            Some(before)
        })
        .collect();
    // The package's type names, for the parameter types a call's error may print.
    let package_types: Vec<String> = tops
        .iter()
        .flatten()
        .flatten()
        .filter(|t| t.is_type)
        .map(|t| t.name.clone())
        .collect();
    // `init` is never declared: a body's `init()` is `undefined: init`.
    let package: Option<Vec<String>> = tops.map(|files| {
        let names = files.into_iter().flatten().map(|t| t.name);
        names.filter(|n| n != "init").collect()
    });
    // The package's functions, for the calls of them: their parameters, their results.
    let params: Option<Vec<(String, Option<crate::syntax::Params>)>> = sources
        .iter()
        .map(|s| crate::syntax::func_params((*s)?))
        .collect::<Option<Vec<_>>>()
        .map(|f| f.concat());
    let own = match (&seen.funcs, &params, &package) {
        (Some(results), Some(params), Some(names)) => Some(crate::syntax::PackageFuncs::new(
            results,
            params,
            names,
            &package_types,
            None,
        )),
        _ => None,
    };
    // What is known of each imported package, read once for all the files.
    let mut imported = Vec::new();
    for (f, src) in sources.iter().enumerate() {
        let Some(src) = *src else {
            continue;
        };
        let spans = crate::syntax::function_spans(src).unwrap_or_default();
        // The body an error is in: the function's beginning (a package variable's function
        // literal is checked in its place among them).
        let body = |e: &SyntaxError| {
            spans
                .iter()
                .find(|(from, to)| (*from..=*to).contains(&(e.line, e.col)))
                .map_or(at(e), |s| (s.0 .0 as u128) << 20 | s.0 .1 as u128)
        };
        for e in crate::syntax::special_names(src, p.name == "main").unwrap_or_default() {
            reported.push((key(0, f, 0, 0, &e), f, e));
        }
        let declarations = package
            .as_deref()
            .and_then(|pkg| crate::syntax::undefined_in_declarations(src, pkg, &name_of));
        for (ty, e) in declarations.unwrap_or_default() {
            reported.push(match ty {
                Some(ty) => (key(1, types_before[f] + ty, 0, 0, &e), f, e),
                None => (key(2, f, 0, 0, &e), f, e),
            });
        }
        let signatures = package
            .as_deref()
            .and_then(|pkg| crate::syntax::undefined_in_signatures(src, pkg, &name_of));
        for e in signatures.unwrap_or_default() {
            reported.push((key(2, f, 0, 0, &e), f, e));
        }
        let mut undefined = package
            .as_deref()
            .and_then(|pkg| crate::syntax::undefined_names(src, pkg, &name_of))
            .unwrap_or_default();
        let locals = imports_known(plan, files, src, &mut imported);
        let names: Vec<(String, Vec<String>)> = locals
            .iter()
            .filter_map(|(local, i)| Some((local.clone(), imported[*i].names.clone()?)))
            .collect();
        undefined.extend(crate::syntax::undefined_selectors(src, &names));
        for e in undefined {
            reported.push((key(3, f, body(&e), 0, &e), f, e));
        }
        for (_, e) in seen.errors.iter().filter(|(g, _)| *g == f) {
            reported.push((key(3, f, body(e), 0, e), f, e.clone()));
        }
        // A call's arguments are checked before its results are assigned.
        let funcs_of = |pkg: Option<&str>| match pkg {
            None => own.as_ref(),
            Some(local) => locals
                .iter()
                .find(|(n, _)| n == local)
                .and_then(|(_, i)| imported[*i].funcs.as_ref()),
        };
        for e in crate::syntax::argument_counts(&seen.args[f], &funcs_of) {
            reported.push((key(3, f, body(&e), 0, &e), f, e));
        }
        for e in crate::syntax::argument_types(&seen.args[f], &funcs_of) {
            reported.push((key(3, f, body(&e), 0, &e), f, e));
        }
        // The package's own type names, which may shadow predeclared ones: known when its
        // files were understood.
        if let Some(own) = &own {
            for e in crate::syntax::value_types(&seen.values[f], own.types()) {
                reported.push((key(3, f, body(&e), 0, &e), f, e));
            }
            for e in crate::syntax::return_counts(&seen.returns[f], own.types()) {
                reported.push((key(3, f, body(&e), 0, &e), f, e));
            }
        }
        // In types2's order: after what is wrong inside the call (`too many errors` comes at
        // the tenth it reports; the ten are then printed by position).
        for (end, e) in crate::syntax::assignment_mismatches(&seen.calls[f], &funcs_of) {
            let checked = SyntaxError {
                line: end.0 as usize,
                col: end.1 as usize,
                msg: String::new(),
            };
            reported.push((key(3, f, body(&e), 0, &checked), f, e));
        }
        for e in crate::syntax::missing_returns(src).unwrap_or_default() {
            reported.push((key(3, f, body(&e), 1, &e), f, e));
        }
        for e in crate::syntax::unused_vars(src, seen.defined[f].as_deref()).unwrap_or_default() {
            reported.push((key(3, f, body(&e), 2, &e), f, e));
        }
        for e in crate::syntax::unused_imports(src, &name_of) {
            reported.push((key(4, f, 0, 0, &e), f, e));
        }
    }
    crate::sort::sort_small_by(&mut reported, |a, b| a.0.cmp(&b.0));
    let parsed = parsed.into_iter();
    kept_reports(
        parsed.chain(reported.into_iter().map(|(_, f, e)| (f, e))),
        shown,
    )
}

/// What the compile checks know of a package a file imports, read once per package (by
/// import path) for all the files of the package being checked: the names it declares at the
/// top level (`undefined: util.F`) and its functions (calls' arguments and results). A module
/// package's are read from its sources (`None` where a file is not read or not understood; its
/// functions also where another package of the build shares its name, as types2 then prints
/// paths); a std package's from the std graph (its exported names, and its functions' result
/// counts and parameters; `None` where it lists no names).
#[cfg(feature = "compile-checks")]
struct Imported {
    path: String,
    names: Option<Vec<String>>,
    funcs: Option<crate::syntax::PackageFuncs>,
}

/// The packages a file imports by name: each local name with its package's index in `known`,
/// which gains the packages met for the first time ([`Imported`]).
#[cfg(feature = "compile-checks")]
fn imports_known(
    plan: &Plan,
    files: &dyn SourceFiles,
    src: &[u8],
    known: &mut Vec<Imported>,
) -> Vec<(String, usize)> {
    let packages = &plan.input().packages;
    let mut out = Vec::new();
    for imp in crate::scan::scan("", src).imports {
        if imp.path == "C" || matches!(imp.alias.as_deref(), Some("_" | ".")) {
            continue;
        }
        let Some(q) = packages.iter().find(|q| q.import_path == imp.path) else {
            continue;
        };
        let at = match known.iter().position(|k| k.path == imp.path) {
            Some(at) => at,
            None if q.standard => {
                let tc = plan.toolchain();
                let std = StdLib::for_target(&tc.goos, &tc.goarch, tc.cgo_enabled)
                    .and_then(|l| l.get(&q.import_path))
                    .filter(|p| !p.exports.is_empty());
                let names: Option<Vec<String>> =
                    std.map(|p| p.exports.iter().map(|n| n.to_string()).collect());
                // types2 prints a parameter's type with its package's name, or its path where two
                // packages of the build share that name (those functions' parameters left out).
                let unique = |name: &str| packages.iter().filter(|p| p.name == name).count() == 1;
                let funcs = std.map(|p| {
                    crate::syntax::PackageFuncs::of_std(p.funcs.iter().map(|f| {
                        let params = f.params.as_ref().filter(|types| {
                            types
                                .iter()
                                .all(|t| crate::syntax::qualifiers(t).all(unique))
                        });
                        let params = params.map(|types| crate::syntax::Params {
                            variadic: types.last().is_some_and(|t| t.starts_with("...")),
                            types: types.iter().map(|t| t.to_string()).collect(),
                        });
                        (f.name.to_string(), f.results as usize, params)
                    }))
                });
                known.push(Imported {
                    path: imp.path.to_string(),
                    names,
                    funcs,
                });
                known.len() - 1
            }
            None => {
                let sources: Option<Vec<&[u8]>> = q
                    .go_files
                    .iter()
                    .chain(q.cgo_files())
                    .map(|f| files.read(q, f))
                    .collect();
                let tops: Option<Vec<crate::syntax::TopLevel>> = sources.as_ref().and_then(|s| {
                    s.iter()
                        .map(|src| crate::syntax::top_level_names(src))
                        .collect::<Option<Vec<_>>>()
                        .map(|t| t.into_iter().flatten().collect())
                });
                // types2 prints another package's types with its name, or its path when two
                // packages of the build share the name (left out).
                let unique = packages.iter().filter(|p| p.name == q.name).count() == 1;
                let funcs =
                    sources
                        .zip(tops.as_deref())
                        .filter(|_| unique)
                        .and_then(|(sources, tops)| {
                            crate::syntax::PackageFuncs::of_parts(sources, tops, Some(&q.name))
                        });
                known.push(Imported {
                    path: imp.path.to_string(),
                    names: tops.map(|t| t.into_iter().map(|t| t.name).collect()),
                    funcs,
                });
                known.len() - 1
            }
        };
        let local = imp.alias.as_deref().unwrap_or(&q.name).to_string();
        out.push((local, at));
    }
    out
}

/// What cmd/compile prints of `reports` (file index and error, in the order it finds them):
/// base.ErrorfAt's filter (a report on the line of the one before with the same text is
/// dropped) and its limit (at the tenth, `too many errors` at its position), then the files in
/// the order of their first report, each by position.
#[cfg(feature = "compile-checks")]
fn kept_reports(
    reports: impl IntoIterator<Item = (usize, crate::syntax::SyntaxError)>,
    shown: &[String],
) -> String {
    use crate::syntax::SyntaxError;
    let at = |e: &SyntaxError| ((e.line as u128) << 20) | e.col as u128;
    let mut kept: Vec<(usize, SyntaxError)> = Vec::new();
    let mut too_many = None;
    for (f, e) in reports {
        let last = kept.last();
        if last.is_some_and(|(g, l)| *g == f && l.line == e.line && l.msg == e.msg) {
            continue;
        }
        kept.push((f, e));
        if kept.len() == 10 {
            let (f, e) = &kept[9];
            too_many = Some(format!(
                "{}:{}:{}: too many errors\n",
                shown[*f], e.line, e.col
            ));
            break;
        }
    }
    // The files in the order of their first report, then by position.
    let mut rank: Vec<usize> = Vec::new();
    for (f, _) in &kept {
        if !rank.contains(f) {
            rank.push(*f);
        }
    }
    let order = |(f, e): &(usize, SyntaxError)| {
        (rank.iter().position(|r| r == f).unwrap_or(0) as u128) << 100 | at(e)
    };
    crate::sort::sort_small_by(&mut kept, |a, b| order(a).cmp(&order(b)));
    let mut out = String::new();
    for (f, e) in kept {
        out.push_str(&e.render(&shown[f]));
        out.push('\n');
    }
    out.extend(too_many);
    out
}

/// What cmd/compile says about each file's `//go:embed` directives, or nothing for any file
/// if any file's are unsure ([`crate::syntax::embed_directives`]).
#[cfg(all(feature = "compile-checks", feature = "embed-directives"))]
fn embed_directives(
    p: &PkgNode,
    files: &dyn SourceFiles,
    names: &[&String],
) -> Vec<crate::syntax::EmbedDirectives> {
    names
        .iter()
        .map(|name| {
            files
                .read(p, name)
                .map_or(Some(Default::default()), crate::syntax::embed_directives)
        })
        .collect::<Option<_>>()
        .unwrap_or_else(|| vec![Default::default(); names.len()])
}

/// A file's parse-time errors: the parser's and the directives' errors it gives as it reads
/// them, in position order.
#[cfg(all(feature = "compile-checks", feature = "embed-directives"))]
fn with_parse_errors(
    mut errs: Vec<crate::syntax::SyntaxError>,
    directives: &[crate::syntax::SyntaxError],
) -> Vec<crate::syntax::SyntaxError> {
    errs.extend(directives.iter().cloned());
    crate::sort::sort_small_by(&mut errs, |a, b| (a.line, a.col).cmp(&(b.line, b.col)));
    errs
}

/// The link step's index and what the linker prints, when the simulation is sure it fails: a
/// main package that declares no `func main` ([`crate::syntax::declares_main`]).
#[cfg(feature = "compile-checks")]
fn link_errors(plan: &Plan, files: &dyn SourceFiles, a: ActionIx) -> Option<(usize, String)> {
    let p = plan.package(a)?;
    let step = plan
        .steps(a)
        .iter()
        .position(|s| matches!(s, Step::Run(inv) if inv.tool == Tool::Link))?;
    let mut declared = false;
    for name in p.go_files.iter().chain(p.cgo_files()) {
        declared |= crate::syntax::declares_main(files.read(p, name)?)?;
    }
    (!declared).then(|| {
        (
            step,
            "runtime.main_main·f: function main is undeclared in the main package\n".to_string(),
        )
    })
}

/// The file as the compiler was given it (`./util/util.go`), which is how it prints it.
#[cfg(feature = "compile-checks")]
fn shown_name(inv: &crate::plan::Invocation, name: &str) -> String {
    inv.argv
        .iter()
        .find(|arg| arg.as_str() == name || arg.ends_with(&format!("/{name}")))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

/// The `-lang` the plan passes to compile (`1.23`), or the toolchain's language.
fn lang_of(plan: &Plan, a: ActionIx) -> String {
    for s in plan.steps(a) {
        if let Step::Run(inv) = s {
            if inv.tool == Tool::Compile {
                if let Some(l) = inv.argv.iter().find_map(|x| x.strip_prefix("-lang=go")) {
                    return l.to_string();
                }
            }
        }
    }
    plan.toolchain()
        .version
        .trim_start_matches("go")
        .to_string()
}

/// Simulated compile of one package, given its dependencies' export data.
fn compile(plan: &Plan, files: &dyn SourceFiles, job: &Job) -> Object {
    let tc = plan.toolchain();
    let p = plan.package(job.action).expect("build has a package");
    let flags = match crate::goflags::SETTINGS {
        true => {
            let f = p.flags();
            object::output_flags(plan.input().settings.trimpath, &f.gcflags, &f.asmflags)
        }
        false => String::new(),
    };
    if p.standard {
        let sizes: Vec<(&str, u64)> = StdLib::for_target(&tc.goos, &tc.goarch, tc.cgo_enabled)
            .and_then(|s| s.get(&p.import_path))
            .map(|sp| {
                sp.go_files
                    .iter()
                    .chain(&sp.cgo_files)
                    .chain(&sp.s_files)
                    .chain(&sp.embed_files)
                    .map(|f| (f.name, f.size))
                    .collect()
            })
            .unwrap_or_default();
        return object::std_object(&tc.version, &p.import_path, &sizes, &flags);
    }
    let read = |names: &[String]| -> Vec<(String, Vec<u8>)> {
        names
            .iter()
            .map(|n| (n.clone(), files.read(p, n).unwrap_or(&[]).to_vec()))
            .collect()
    };
    let mut go_files = read(&p.go_files);
    go_files.extend(read(p.cgo_files()));
    let s_files = read(p.s_files());
    let embed_files = read(p.embed_files());
    fn borrow(v: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
        v.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect()
    }
    let lang = lang_of(plan, job.action);
    object::compile(&object::Source {
        import_path: &p.import_path,
        dir: &p.dir,
        lang: &lang,
        go_files: borrow(&go_files),
        s_files: borrow(&s_files),
        embed_files: borrow(&embed_files),
        import_map: p.import_map().to_vec(),
        deps: job
            .inputs
            .iter()
            .map(|d| Dep {
                import_path: &d.import_path,
                name: &d.name,
                export: &d.export,
            })
            .collect(),
        flags,
    })
}

// ---------------------------------------------------------------------------------------------
// Outer loops
// ---------------------------------------------------------------------------------------------

/// Drive a session to the end one job at a time, in dispatch order, with no notion of time
/// (what [`crate::rebuild::run`] needs).
pub fn run_sequential(
    mut session: Session<'_>,
    cache: &mut dyn Cache,
    toolchain: &mut dyn Toolchain,
) -> BuildResult {
    let (plan, files) = (session.plan, session.files);
    loop {
        let jobs = session.ready(cache, 0.0);
        if jobs.is_empty() && session.running() == 0 {
            break;
        }
        for job in jobs {
            let r = toolchain.run(plan, files, &job);
            session.complete(cache, &job, r, Timing::default());
        }
    }
    session.finish()
}

/// A simulated `go build` driven one step at a time: the [`Simulated`] toolchain on a virtual
/// clock (`-p` workers from the config, contention as the machine), with the go command's own
/// time before and after `Builder.Do` from the cost model. [`simulate`] runs it to the end; the
/// page runs the same steps with pauses between them and reports what each one finished.
pub struct Simulation<'a> {
    plan: &'a Plan,
    files: &'a dyn SourceFiles,
    /// Made when a job first needs it (its sizes come from the whole std graph): a warm build
    /// runs none.
    tc: Option<Simulated<'static>>,
    clock: Clock<(Job, ToolResult)>,
    session: Session<'a>,
}

impl<'a> Simulation<'a> {
    /// A build of `plan` over the record `prev` of the last build and the binary `target` in
    /// place. `cfg`'s `do_start_us` and `after_us` are set here, from the cost model.
    pub fn new(
        plan: &'a Plan,
        files: &'a dyn SourceFiles,
        prev: &'a Record,
        target: Option<&'a str>,
        mut cfg: Config,
        machine: Machine,
    ) -> Self {
        let packages = plan
            .actions()
            .filter(|(_, x)| matches!(x.mode, Mode::Build | Mode::BuiltIn))
            .count();
        let (before_ms, after_ms) =
            CostModel::calibrated().command_with(packages, cfg.index_cached);
        cfg.do_start_us = before_ms * 1000.0;
        cfg.after_us = after_ms * 1000.0;
        Simulation {
            plan,
            files,
            tc: None,
            clock: Clock::new(machine, cfg.do_start_us),
            session: Session::new(plan, files, prev, target, cfg),
        }
    }

    /// Starts every ready action (a hit finishes here, a job goes to a virtual worker), then
    /// runs the clock to the next jobs' end. False when nothing was left to run: the build is
    /// over.
    pub fn step(&mut self, cache: &mut dyn Cache) -> bool {
        let (plan, files) = (self.plan, self.files);
        for job in self.session.ready(cache, self.clock.now_us()) {
            let r = self
                .tc
                .get_or_insert_with(|| Simulated::for_plan(plan, files))
                .run(plan, files, &job);
            let runs = r.runs.clone();
            self.clock.start((job, r), runs);
        }
        if self.clock.is_idle() {
            return false;
        }
        for e in self.clock.advance() {
            let (job, r) = e.item;
            let timing = Timing {
                start_us: e.start_us,
                end_us: e.end_us,
                spans: e.spans,
            };
            self.session.complete(cache, &job, r, timing);
        }
        true
    }

    /// The actions finished since the last call, in order ([`Session::take_finished`]).
    pub fn take_finished(&mut self) -> Vec<TraceAction> {
        self.session.take_finished()
    }

    /// Transcript, trace, report, exit status ([`Session::finish`]).
    pub fn finish(self) -> BuildResult {
        self.session.finish()
    }
}

/// A whole simulated `go build` ([`Simulation`] run to the end).
pub fn simulate(
    plan: &Plan,
    files: &dyn SourceFiles,
    cache: &mut dyn Cache,
    prev: &Record,
    target: Option<&str>,
    cfg: Config,
    machine: Machine,
) -> BuildResult {
    let mut sim = Simulation::new(plan, files, prev, target, cfg, machine);
    while sim.step(cache) {}
    sim.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    use crate::actionid::WorkspaceFiles;
    use crate::cache::{CacheFs, DirCache, MemFs};
    use crate::load::{load, LoadRequest};
    use crate::plan::{plan as make_plan, Toolchain as Target};
    use crate::workspace::Workspace;

    const NOW: i64 = 1_795_544_806 * 1_000_000_000;

    /// A [`MemFs`] that counts the output files (`-d`) read.
    #[derive(Default)]
    struct Counting {
        fs: MemFs,
        data_reads: Cell<usize>,
    }

    impl CacheFs for Counting {
        fn read(&self, path: &str) -> Option<Vec<u8>> {
            if path.ends_with("-d") {
                self.data_reads.set(self.data_reads.get() + 1);
            }
            self.fs.read(path)
        }
        fn size(&self, path: &str) -> Option<u64> {
            self.fs.size(path)
        }
        fn write(&mut self, path: &str, data: &[u8], mtime: UnixNanos) {
            self.fs.write(path, data, mtime)
        }
        fn remove(&mut self, path: &str) {
            self.fs.remove(path)
        }
        fn mtime(&self, path: &str) -> Option<UnixNanos> {
            self.fs.mtime(path)
        }
        fn set_mtime(&mut self, path: &str, t: UnixNanos) {
            self.fs.set_mtime(path, t)
        }
        fn list(&self, dir: &str) -> Vec<String> {
            self.fs.list(dir)
        }
        fn mkdir(&mut self, dir: &str) {
            self.fs.mkdir(dir)
        }
        fn remove_dir(&mut self, dir: &str) {
            self.fs.remove_dir(dir)
        }
        fn dirs(&self) -> Vec<String> {
            self.fs.dirs()
        }
    }

    fn small() -> (Workspace, Plan) {
        let mut ws = Workspace::new();
        for (path, text) in [
            ("go.mod", "module example.com/s\n\ngo 1.23\n"),
            (
                "main.go",
                "package main\n\nimport \"example.com/s/a\"\n\nfunc main() { a.A() }\n",
            ),
            ("a/a.go", "package a\n\nfunc A() {}\n"),
        ] {
            ws.insert(path, text.to_string()).unwrap();
        }
        let req = LoadRequest {
            module_root_display: "/tmp/s".into(),
            ..LoadRequest::default()
        };
        let loaded = load(&ws, &req).unwrap_or_else(|e| panic!("load failed:\n{e}"));
        let plan = make_plan(loaded.input, &Target::default()).expect("plans");
        (ws, plan)
    }

    fn build(ws: &Workspace, plan: &Plan, cache: &mut dyn Cache, prev: &Record) -> BuildResult {
        let files = WorkspaceFiles {
            ws,
            root: plan.input().cwd.clone(),
        };
        let cfg = Config {
            now: NOW,
            ..Config::default()
        };
        let session = Session::new(plan, &files, prev, None, cfg);
        let mut tc = Simulated::for_plan(plan, &files);
        run_sequential(session, cache, &mut tc)
    }

    fn outcome(r: &BuildResult, key: &str) -> Outcome {
        r.report.get(key).expect(key).outcome.clone()
    }

    /// go's `useCache` reads an entry and stats its output; it does not read the output. A
    /// corrupt output is found when its bytes are read: here, by a session without a record of
    /// it, which then rebuilds it.
    #[test]
    fn hits_read_no_output_and_corrupt_outputs_are_found_when_read() {
        let (ws, plan) = small();
        let mut cache = DirCache::open(Counting::default());
        let cold = build(&ws, &plan, &mut cache, &Record::default());
        let a = "build example.com/s/a";
        assert!(outcome(&cold, a).ran());
        let record = cold.report.record.clone();
        assert!(
            record.actions[a].output.is_some(),
            "the record names the output"
        );

        // Warm, with the record: every build action hits and no output is read.
        cache.fs().data_reads.set(0);
        let warm = build(&ws, &plan, &mut cache, &record);
        for r in warm.report.actions.iter().filter(|r| r.mode == Mode::Build) {
            assert_eq!(r.outcome, Outcome::Hit, "{}", r.key);
        }
        assert_eq!(cache.fs().data_reads.get(), 0);
        assert_eq!(warm.report.record, record);

        // a's output corrupted (same size, other bytes): a hit still reads only the entry...
        let id = cold.report.get(a).unwrap().inputs.id;
        let entry = cache.get(&id, NOW).unwrap();
        let path = DirCache::<Counting>::output_file(&entry.output);
        let mut bad = cache.fs().read(&path).unwrap();
        bad[0] ^= 0xff;
        cache.fs_mut().write(&path, &bad, NOW);
        let warm = build(&ws, &plan, &mut cache, &record);
        assert_eq!(outcome(&warm, a), Outcome::Hit);

        // ...and a session that has to read it (no record of that output) finds it corrupt,
        // says so, and rebuilds it; the cache then holds good bytes again.
        let fresh = build(&ws, &plan, &mut cache, &Record::default());
        assert_eq!(
            outcome(&fresh, a),
            Outcome::Miss(MissReason::Corrupt(Miss::DataHash))
        );
        assert!(cache.get_data(&id, NOW).is_ok());
        // An entry whose output was removed is a miss even with the record (go's GetFile).
        cache.fs_mut().remove(&path);
        let gone = build(&ws, &plan, &mut cache, &record);
        assert_eq!(
            outcome(&gone, a),
            Outcome::Miss(MissReason::Corrupt(Miss::DataMissing))
        );
    }
}
