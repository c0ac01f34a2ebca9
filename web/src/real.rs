//! `go build` with the real Go tools, driven by the page: the page's core plans the workspace
//! for the helper's Go, computes every action ID and looks each one up in the page's cache
//! (IndexedDB), exactly as for a simulated build; only the misses go to the helper, through a JS
//! executor (`www/src/helper.js`), which runs them from the plan it made itself of the same files
//! (the two plans are checked equal by `Plan::digest`), keeps the outputs in its
//! content-addressed store and returns them; the page stores each archive in its own cache under
//! its own action ID. A warm build therefore sends nothing and runs no tool.
//!
//! At the first miss, one run request goes out: every tool action of the plan and the page's
//! cache entries for this build (its hits). The helper drives core's session over them as the
//! page does — the same hits, the same action and build IDs — and runs the misses on its `-p`
//! workers without waiting for the page between two actions; its stream's lines complete the
//! page's own jobs (a build ID that differs fails the action). Per-dependency latency (a reply,
//! the page's work on it, a new request) is gone from the critical path.
//!
//! With IndexedDB the run is *deferred*: no archive crosses while the tools run. Each line
//! carries its archive's content ID, output ID and size, which is all the page's session needs
//! to complete the job (`Object::held_archive`, `Cache::put_held`); the entries wait aside
//! (`Checked::held`, then [`Session`]'s `unsaved`) and [`save_outputs`], once the result is on
//! screen, fetches the outputs in one request and writes each with its entries in one
//! transaction. The archives live in the page's cache, not as references to the helper's store,
//! so a helper restarted with an empty store is sent them (409) as before.
//!
//! The executor is a JS object whose methods return promises:
//! - `run(RunRequest)` resolves to a reader whose `next()` resolves to each line of the stream
//!   (`start` and `action` lines, an action's archive as a `Uint8Array` in `bytes`, or with
//!   `deferred` its `archive.contentId`), then `null`; or to `{missing: [hex]}` when the helper
//!   lacks outputs of the page's hits.
//! - `exec(ExecRequest)` (used when there is no `run`: one request per action) resolves to the
//!   helper's answer with the archive as a `Uint8Array` (`archive`), or to `{missing: [hex]}`
//!   when the helper lacks a dependency's output the page holds; it rejects with an `Error`
//!   whose message is shown (helper unreachable, a 4xx).
//! - `upload(hex, Uint8Array)` puts such an output into the helper's store.
//!
//! Not here: HTTP (the executor's), the simulated toolchain ([`crate::session::build`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::task::Waker;

use buildlab_core::actionid::DigestedFiles;
use buildlab_core::build::{self, Config, Job, Timing, ToolResult};
use buildlab_core::cache::{CacheFs, DirCache, Miss, UnixNanos};
use buildlab_core::constraint::BuildContext;
use buildlab_core::hash::Digest;
use buildlab_core::load::LoadRequest;
use buildlab_core::object::Object;
use buildlab_core::plan::{ActionIx, Mode, Plan, Toolchain};
use buildlab_core::schedule;
use buildlab_core::trace::{Kind, Span, TraceAction};
use buildlab_core::transcript::{self, RenderInput};
use wasm_bindgen::{JsCast, JsValue};

use crate::dto;
use crate::overlay::{Batch, Checked, Corrupt, OverlayFs};
use crate::session::{self, Built, PlanFailure, Planned, Request, Session};
use crate::store::{self, Backend};

/// The Go the helper found, as `/api/v1/info` reports it: what the page plans for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealGo {
    pub version: String,
    pub goroot: String,
    pub goos: String,
    pub goarch: String,
    /// The helper machine's CPUs (the compiler's `-c` and the default `-p` follow them).
    pub cpus: usize,
    /// Where the helper plans every workspace (`/home/gopher/work`).
    pub planned_root: String,
    /// The helper's Go's own `CGO_ENABLED` (on when gcc is found there): both plans use it.
    pub cgo_enabled: bool,
    /// The helper's gcc as go hashes it (`CC ID=`, `/api/v1/info`'s `ccId`; empty when it
    /// reports none): the page's action IDs of packages using cgo are then the helper's, and a
    /// gcc upgrade there invalidates the page's cached entries for them.
    pub cc_id: String,
}

impl RealGo {
    /// The load request and toolchain the helper uses for the same build: this Go's GOROOT,
    /// version, target, `CGO_ENABLED` and gcc identity, the helper's CPUs, the planned root, and the
    /// page's `-o` and build settings.
    pub fn request(&self, base: &LoadRequest, parallel: Option<usize>) -> (LoadRequest, Toolchain) {
        let mut ctx = BuildContext::new(&self.goos, &self.goarch);
        ctx.cgo_enabled = self.cgo_enabled;
        let req = LoadRequest {
            cwd: base.cwd.clone(),
            patterns: base.patterns.clone(),
            ctx,
            goroot: self.goroot.clone(),
            module_root_display: self.planned_root.clone(),
            // -o: the install's target is part of the plan (and of its digest).
            mode: base.mode.clone(),
            // The helper plans with the same settings (its allow-list refuses the tools'
            // flags it will not run).
            settings: base.settings.clone(),
        };
        let tc = Toolchain {
            goroot: self.goroot.clone(),
            goos: self.goos.clone(),
            goarch: self.goarch.clone(),
            arch_env: (self.goarch == "amd64").then(|| ("GOAMD64".to_string(), "v1".to_string())),
            version: self.version.clone(),
            cgo_enabled: self.cgo_enabled,
            cc_id: self.cc_id.clone(),
            cpus: self.cpus.max(1),
            parallel,
            ..Toolchain::default()
        };
        (req, tc)
    }
}

/// What the real tools did in one build.
#[derive(Clone, Debug, Default)]
pub struct RealRun {
    /// The linked binary's content hash in the helper's store, when the link ran.
    pub binary_hex: Option<String>,
    /// Actions sent to the helper, tool processes it ran for them.
    pub execs: usize,
    pub tool_runs: usize,
    /// Dependency outputs the page uploaded because the helper's store lacked them.
    pub uploaded: usize,
    /// Archive bytes that came back.
    pub received_bytes: usize,
    /// A deferred run's archives, left on the helper until the build is done (see
    /// [`save_outputs`]): their bytes.
    pub unsaved_bytes: u64,
    /// The first failure of the helper itself (unreachable, a refusal), not of a tool: what
    /// the page says once above the per-package messages.
    pub helper_error: Option<String>,
    /// Where the page's time went (see [`Phases`]).
    pub phases: Phases,
    /// The helper's slot (1-based) each job ran on: the timeline's lane (the page keeps more
    /// jobs in flight than the helper runs at once, so core's lanes are not the workers').
    lanes: HashMap<ActionIx, usize>,
}

/// Where a real build's page time went, ms: planning, hashing and the cache read before the
/// first action; the drive (waiting for the helper included); the page's own work on the
/// replies (archives into wasm, hashed, stored in the overlay); the flush to IndexedDB; and,
/// summed over the replies, the helper's time per action as it measured it.
#[derive(Clone, Debug, Default)]
pub struct Phases {
    /// Of `before_ms`: loading and planning (a simulated build's), and the prefetch's dry runs.
    pub plan_ms: f64,
    pub dry_ms: f64,
    pub before_ms: f64,
    /// A settled simulated build: waiting, after the drive, for the listing that confirms the
    /// known records are all still there.
    pub confirm_ms: f64,
    pub drive_ms: f64,
    pub replies_ms: f64,
    pub flush_ms: f64,
    pub helper_ms: f64,
}

/// The helper's answer to one action.
enum Reply {
    Ran(Box<Ran>),
    /// The helper lacks these dependency outputs (content hashes) the page holds.
    Missing(Vec<String>),
    /// The helper was unreachable or refused; its words.
    Error(String),
}

struct Ran {
    answer: dto::ExecReply,
    archive: Option<Vec<u8>>,
    /// A deferred run's archive, still on the helper: its content ID, output ID and size.
    held: Option<(Digest, Digest, u64)>,
}

/// One action in flight: the job, when it was sent (µs of the build), and the reply.
struct Flight {
    job: Job,
    start_us: f64,
    reply: Reply,
    /// Uploads already tried for this job (a second `missing` is an error).
    retried: bool,
}

type Pending = Vec<Pin<Box<dyn Future<Output = Flight>>>>;

/// The first of `pending` to finish (the others keep running).
async fn next_done(pending: &mut Pending) -> Flight {
    std::future::poll_fn(|cx| {
        for i in 0..pending.len() {
            if let Poll::Ready(f) = pending[i].as_mut().poll(cx) {
                drop(pending.swap_remove(i));
                return Poll::Ready(f);
            }
        }
        Poll::Pending
    })
    .await
}

fn js_error(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the helper did not answer".into())
}

async fn call(executor: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f = js_sys::Reflect::get(executor, &JsValue::from_str(method))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| format!("the page's helper executor has no {method}()"))?;
    let this = executor.clone();
    let r = match args {
        [a] => f.call1(&this, a),
        [a, b] => f.call2(&this, a, b),
        _ => f.call0(&this),
    }
    .map_err(js_error)?;
    let p = r
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| format!("{method}() did not return a promise"))?;
    wasm_bindgen_futures::JsFuture::from(p)
        .await
        .map_err(js_error)
}

/// Uploads `blobs`, then asks the helper to run the job.
async fn attempt(
    executor: JsValue,
    job: Job,
    request: JsValue,
    start_us: f64,
    blobs: Vec<(String, Vec<u8>)>,
) -> Flight {
    let retried = !blobs.is_empty();
    for (hex, bytes) in blobs {
        let arr = js_sys::Uint8Array::from(bytes.as_slice());
        if let Err(e) = call(&executor, "upload", &[JsValue::from_str(&hex), arr.into()]).await {
            let reply = Reply::Error(format!("uploading {hex}: {e}"));
            return Flight {
                job,
                start_us,
                reply,
                retried,
            };
        }
    }
    let reply = match call(&executor, "exec", &[request]).await {
        Err(e) => Reply::Error(e),
        Ok(v) => parse_reply(&v),
    };
    Flight {
        job,
        start_us,
        reply,
        retried,
    }
}

fn parse_reply(v: &JsValue) -> Reply {
    let missing =
        js_sys::Reflect::get(v, &JsValue::from_str("missing")).unwrap_or(JsValue::UNDEFINED);
    if js_sys::Array::is_array(&missing) {
        let hexes = js_sys::Array::from(&missing)
            .iter()
            .filter_map(|h| h.as_string())
            .collect();
        return Reply::Missing(hexes);
    }
    let answer: dto::ExecReply = match serde_wasm_bindgen::from_value(v.clone()) {
        Ok(a) => a,
        Err(e) => return Reply::Error(format!("the helper's answer: {e}")),
    };
    let bytes = js_sys::Reflect::get(v, &JsValue::from_str("bytes")).unwrap_or(JsValue::UNDEFINED);
    let archive = bytes.dyn_ref::<js_sys::Uint8Array>().map(|a| a.to_vec());
    let held = held_archive(v);
    Reply::Ran(Box::new(Ran {
        answer,
        archive,
        held,
    }))
}

/// A deferred run's `archive` (`{hex, size, contentId}`): the output the helper keeps until the
/// page fetches it after the build. `None` when the line carries no content ID.
fn held_archive(v: &JsValue) -> Option<(Digest, Digest, u64)> {
    let a = js_sys::Reflect::get(v, &JsValue::from_str("archive")).ok()?;
    let field = |k: &str| js_sys::Reflect::get(&a, &JsValue::from_str(k)).ok();
    let content = buildlab_core::object::parse_hex(&field("contentId")?.as_string()?)?;
    let output = buildlab_core::object::parse_hex(&field("hex")?.as_string()?)?;
    let size = field("size")?.as_f64()?;
    Some((content, output, size as u64))
}

/// The request for one job: the action by id, the build ID core chose, each dependency's output
/// by content hash.
fn exec_request(
    plan: &Plan,
    s: &build::Session,
    job: &Job,
    digest: &str,
    req: &Request,
) -> dto::ExecRequest {
    let inputs = plan
        .action(job.action)
        .deps
        .iter()
        .filter_map(|&d| {
            Some(dto::ExecInput {
                action: plan.action(d).id,
                hex: s.output_hex(d)?.to_string(),
            })
        })
        .collect();
    dto::ExecRequest {
        plan_digest: digest.to_string(),
        action: plan.action(job.action).id,
        key: job.key.clone(),
        build_id: job.build_id.clone(),
        inputs,
        packages: req.flags.patterns.clone(),
        cwd: req.cwd.clone(),
        p: req.flags.p,
        o: req.flags.o.clone(),
        settings: req.flags.settings.args().to_vec(),
    }
}

/// The dependency outputs the helper asked for, as the page's cache holds them. A hit took only
/// an output's entry and its listing (go's `GetFile`), so an output not read yet is read now, in
/// one read transaction of its own, and every one is verified against its output ID before it
/// leaves: data is checked when it is read. A corrupt output is removed from the cache (compare-
/// and-delete at the flush), reported with its reason, and the request fails with go's kind of
/// words; the next build finds the entry without its output, a miss, and rebuilds it.
async fn read_blobs<B: Backend>(
    backend: Option<&B>,
    checked: &mut Checked<'_>,
    hexes: &[String],
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut paths = Vec::new();
    for hex in hexes {
        let d = buildlab_core::object::parse_hex(hex)
            .ok_or_else(|| format!("{hex}: not a content hash"))?;
        paths.push((hex.clone(), d, DirCache::<OverlayFs>::output_file(&d)));
    }
    let unread: Vec<String> = paths
        .iter()
        .filter(|(_, _, p)| !checked.cache.fs().is_loaded(p))
        .map(|(_, _, p)| p.clone())
        .collect();
    if let (Some(b), false) = (backend, unread.is_empty()) {
        let mut fresh = OverlayFs::default();
        b.read(&mut fresh, None, &mut |_| unread.clone())
            .await
            .map_err(|e| format!("reading the cache: {e}"))?;
        for (path, bytes, mtime) in fresh.files() {
            checked.cache.fs_mut().load(path, bytes.to_vec(), mtime);
        }
    }
    let mut blobs = Vec::new();
    for (hex, d, path) in paths {
        let bytes = checked
            .cache
            .fs()
            .get(&path)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| {
                format!("the helper lacks {hex} and this page's cache does not hold it either")
            })?;
        if Digest::of(&bytes) != d {
            checked.cache.fs_mut().remove(&path);
            checked.corrupt.push(Corrupt {
                file: path,
                reason: Miss::DataHash,
            });
            return Err(format!(
                "cached output {hex} does not hash to its output ID: removed from the cache, \
                 the next build rebuilds it"
            ));
        }
        blobs.push((hex, bytes));
    }
    Ok(blobs)
}

/// The helper's reply as core's tool result, with its timing on the build's clock.
fn tool_result(f: Flight, end_us: f64, run: &mut RealRun) -> (Job, ToolResult, Timing) {
    let failure = |msg: String, step: Option<usize>| ToolResult {
        stderr: msg,
        status: 1,
        failed_step: step,
        ..ToolResult::default()
    };
    let Flight {
        job,
        start_us,
        reply,
        ..
    } = f;
    let mut timing = Timing {
        start_us,
        end_us,
        spans: Vec::new(),
    };

    let r = match reply {
        Reply::Error(e) => {
            run.helper_error.get_or_insert_with(|| e.clone());
            return (
                job,
                failure(format!("buildlab: helper: {e}\n"), None),
                timing,
            );
        }
        Reply::Missing(h) => {
            let msg = format!(
                "buildlab: helper: still lacks {} after the upload\n",
                h.join(" ")
            );
            return (job, failure(msg, None), timing);
        }
        Reply::Ran(r) => r,
    };
    let a = &r.answer;
    // It started when the helper gave it a slot, on that slot's lane.
    let start_us = (start_us + a.queued_ms * 1e3).min(end_us);
    timing.start_us = start_us;
    if let Some(l) = a.lane {
        run.lanes.insert(job.action, l);
    }
    run.execs += 1;
    run.phases.helper_ms += a.wall_ms;
    run.tool_runs += a.runs.len();
    timing.spans = a
        .runs
        .iter()
        .map(|t| Span {
            kind: Kind::of_tool(&t.tool, job.mode),
            start_us: start_us + t.start_ms * 1e3,
            end_us: (start_us + (t.start_ms + t.ms) * 1e3).min(end_us),
        })
        .collect();
    let runs = a
        .runs
        .iter()
        .map(|t| (Kind::of_tool(&t.tool, job.mode), t.ms))
        .collect();
    if !a.ok {
        let mut tr = failure(a.output.clone(), a.failed_step);
        tr.runs = runs;
        return (job, tr, timing);
    }
    let output = match job.mode {
        Mode::Build if r.held.is_some() => {
            let (content, out, size) = r.held.expect("held");
            run.unsaved_bytes += size;
            Some(Object::held_archive(content, out, size))
        }
        Mode::Build => {
            let bytes = r.archive.unwrap_or_default();
            run.received_bytes += bytes.len();
            match Object::from_archive(bytes) {
                Some(o) => Some(o),
                None => {
                    let msg = "buildlab: helper: the archive that came back is not a Go archive with a build ID\n";
                    return (job, failure(msg.into(), None), timing);
                }
            }
        }
        Mode::LinkInstall => {
            run.binary_hex = a.binary.as_ref().map(|b| b.hex.clone());
            None
        }
        _ => None,
    };
    let tr = ToolResult {
        output,
        stderr: a.output.clone(),
        runs,
        ..ToolResult::default()
    };
    (job, tr, timing)
}

/// Whether the executor runs a whole build's misses from one request (`run`, streamed) rather
/// than one request per action (`exec`).
fn has_run(executor: &JsValue) -> bool {
    js_sys::Reflect::get(executor, &JsValue::from_str("run"))
        .ok()
        .is_some_and(|f| f.is_function())
}

/// The run request: every tool action of the plan (the helper's session runs the ones that
/// miss, which are exactly the page's since it looks up the same action IDs in the same
/// entries) and the page's cache entries for this build whose outputs it holds (read or
/// listed), at most two per action (an entry and its stdout's).
fn run_request(
    plan: &Plan,
    digest: &str,
    req: &Request,
    fs: &OverlayFs,
    force: bool,
    target: Option<String>,
) -> dto::RunRequest {
    let actions: Vec<usize> = plan
        .actions()
        .filter(|(_, x)| matches!(x.mode, Mode::Build | Mode::Link | Mode::LinkInstall))
        .map(|(_, x)| x.id)
        .collect();
    let max = 2 * plan.actions().count();
    let listed: std::collections::HashSet<&str> = fs.stubs().map(|(p, _, _)| p).collect();
    let mut hits = Vec::new();
    for (path, data, _) in fs.files() {
        let Some(hex) = path.strip_suffix("-a").and_then(|p| p.get(3..)) else {
            continue;
        };
        let Some(id) = buildlab_core::object::parse_hex(hex) else {
            continue;
        };
        let Ok(e) = buildlab_core::cache::Entry::parse(&id, data) else {
            continue;
        };
        let out = DirCache::<OverlayFs>::output_file(&e.output);
        if (fs.is_loaded(&out) || listed.contains(out.as_str())) && hits.len() < max {
            hits.push(dto::RunHit {
                action_id: hex.to_string(),
                hex: e.output.to_hex(),
                size: e.size,
            });
        }
    }
    dto::RunRequest {
        plan_digest: digest.to_string(),
        actions,
        hits,
        force,
        target,
        packages: req.flags.patterns.clone(),
        cwd: req.cwd.clone(),
        p: req.flags.p,
        o: req.flags.o.clone(),
        settings: req.flags.settings.args().to_vec(),
    }
}

/// Starts the run: the executor's reader, after uploading (once) the hits' outputs the helper
/// says it lacks.
async fn start_run<B: Backend>(
    executor: &JsValue,
    request: &JsValue,
    backend: Option<&B>,
    checked: &mut Checked<'_>,
    run: &mut RealRun,
) -> Result<JsValue, String> {
    let mut uploaded = false;
    loop {
        let v = call(executor, "run", std::slice::from_ref(request)).await?;
        let missing =
            js_sys::Reflect::get(&v, &JsValue::from_str("missing")).unwrap_or(JsValue::UNDEFINED);
        if !js_sys::Array::is_array(&missing) {
            return Ok(v);
        }
        let hexes: Vec<String> = js_sys::Array::from(&missing)
            .iter()
            .filter_map(|h| h.as_string())
            .collect();
        if uploaded {
            return Err(format!("still lacks {} after the upload", hexes.join(" ")));
        }
        let blobs = read_blobs(backend, checked, &hexes).await?;
        run.uploaded += blobs.len();
        for (hex, bytes) in blobs {
            let arr = js_sys::Uint8Array::from(bytes.as_slice());
            call(executor, "upload", &[JsValue::from_str(&hex), arr.into()])
                .await
                .map_err(|e| format!("uploading {hex}: {e}"))?;
        }
        uploaded = true;
    }
}

/// The next line of the run's stream.
enum Next {
    Line(dto::RunLine, JsValue),
    End,
    Error(String),
}

async fn next_line(reader: &JsValue) -> Next {
    match call(reader, "next", &[]).await {
        Err(e) => Next::Error(e),
        Ok(v) if v.is_null() || v.is_undefined() => Next::End,
        Ok(v) => match serde_wasm_bindgen::from_value::<dto::RunLine>(v.clone()) {
            Ok(l) => Next::Line(l, v),
            Err(e) => Next::Error(format!("the helper's stream: {e}")),
        },
    }
}

/// A write of the cache files that finished so far into IndexedDB, running while the build goes
/// on (its own read-write transaction, spawned so that the browser drives it): the archives do
/// not all wait for the flush after the last tool.
struct BgWrite {
    slot: Rc<RefCell<(Option<Result<(), Batch>>, Option<Waker>)>>,
}

impl BgWrite {
    fn spawn<B: Backend + Clone + 'static>(backend: &B, batch: Batch) -> BgWrite {
        let slot = Rc::new(RefCell::new((None, None::<Waker>)));
        let (b, s2) = (backend.clone(), slot.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let r = match b.write(&batch).await {
                Ok(_) => Ok(()),
                Err(_) => Err(batch),
            };
            let mut g = s2.borrow_mut();
            g.0 = Some(r);
            if let Some(w) = g.1.take() {
                w.wake();
            }
        });
        BgWrite { slot }
    }

    fn done(&self) -> bool {
        self.slot.borrow().0.is_some()
    }

    /// Waits for the write. A failed batch is given back: its files go into the flush's batch
    /// again, where a second failure makes the session fall back to memory as any write does.
    async fn wait(self) -> Result<(), Batch> {
        std::future::poll_fn(|cx| {
            let mut g = self.slot.borrow_mut();
            match g.0.take() {
                Some(r) => Poll::Ready(r),
                None => {
                    g.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

/// Puts a failed early write's files back into the overlay's journal (the flush writes them).
fn rejournal(cache: &mut DirCache<OverlayFs>, batch: Batch) {
    for (path, data, mtime) in batch.writes {
        cache.fs_mut().write(&path, &data, mtime);
    }
}

/// Starts writing what finished since the last write, when no write is under way (one at a
/// time: while one commits, the next batch grows).
async fn write_early<B: Backend + Clone + 'static>(
    backend: Option<&B>,
    cache: &mut DirCache<OverlayFs>,
    bg: &mut Option<BgWrite>,
) {
    let Some(b) = backend else { return };
    if bg.as_ref().is_some_and(|w| !w.done()) {
        return;
    }
    if let Some(w) = bg.take() {
        if let Err(batch) = w.wait().await {
            rejournal(cache, batch);
            return; // IndexedDB refused: the flush tries once more and falls back
        }
    }
    let batch = cache.fs_mut().take_batch();
    if !batch.writes.is_empty() || !batch.touches.is_empty() || !batch.deletes.is_empty() {
        *bg = Some(BgWrite::spawn(b, batch));
    }
}

/// The `-x` transcript shown while the build runs: what go has certainly printed by now. Core's
/// [`transcript::Settled`] prints the finished actions' commands in the order the end's
/// transcript has them, up to the first one that something still running could come before (an
/// action's commands are placed at the times it issued them, so a command is final once its
/// action ended before the earliest job in flight was sent). The end's transcript then has this
/// text as its prefix. Each action's commands are made once: rendering the whole transcript
/// each time cost the page's main thread a time that grew with the square of the build.
struct Live {
    last_ms: f64,
    settled: transcript::Settled,
}

impl Live {
    /// At most this often: each update is one event into the page and a terminal append, beside
    /// the tools on the same CPUs. The live timeline is redrawn at the same pace
    /// (`LIVE_REDRAW_MS` in `www/src/main.js`).
    const EVERY_MS: f64 = 250.0;

    fn new() -> Live {
        Live {
            last_ms: f64::MIN,
            settled: transcript::Settled::default(),
        }
    }

    fn update(
        &mut self,
        s: &build::Session,
        input: RenderInput,
        in_flight_from_us: f64,
        executor: &JsValue,
    ) {
        let now = session::page_ms();
        if now - self.last_ms < Self::EVERY_MS {
            return;
        }
        self.last_ms = now;
        let runs = s.runs();
        let text = self
            .settled
            .advance(&RenderInput { runs, ..input }, in_flight_from_us);
        if text.is_empty() {
            return;
        }
        if let Ok(f) = js_sys::Reflect::get(executor, &JsValue::from_str("live")) {
            if let Some(f) = f.dyn_ref::<js_sys::Function>() {
                let _ = f.call1(executor, &JsValue::from_str(&text));
            }
        }
    }
}

/// The timeline's lane of a finished action: the helper's slot it ran on; an action that ran no
/// tool (a hit) on the lane of the worker that would have dispatched it.
fn relane(a: &mut TraceAction, lanes: &HashMap<usize, usize>, workers: usize) {
    match (lanes.get(&a.id), a.lane) {
        (Some(&l), _) => a.lane = Some(l),
        (None, Some(l)) => a.lane = Some((l - 1) % workers.max(1) + 1),
        (None, None) => {}
    }
}

/// `go build` with the real tools: plan for the helper's Go, prefetch the cache in one read
/// transaction, drive core's build session with the misses running on the helper, then flush as
/// a simulated build does. With an executor that has `run`, the misses go in one request at the
/// first one and the helper's stream completes the page's jobs (the tools never wait for the
/// page); with `exec` only, one request per action: the helper runs at most `-p` actions at once
/// and the page keeps twice as many in flight (the helper queues them in the order sent). `progress` gets every action as it finishes (on the helper's
/// lanes); the archives are written to IndexedDB while the build runs; the executor's `live`
/// gets the transcript as far as it is settled. A helper that fails or cannot be reached fails
/// the actions it was asked to run, with its words in the transcript; what finished before is
/// kept.
pub async fn build<B: Backend + Clone + 'static>(
    cell: &RefCell<Session<B>>,
    req: &Request,
    now: UnixNanos,
    progress: &mut dyn FnMut(&Planned, Vec<TraceAction>),
    executor: JsValue,
) -> Result<Built, PlanFailure> {
    let f = &req.flags;
    // The go command's own time before the first action (plan, hashes, the cache read) is
    // real time here, as in go's trace.
    let t0 = session::page_ms();
    let cpus = cell.borrow().real().map_or(req.cpus, |r| r.cpus).max(1);
    let req = Request {
        cpus,
        ..req.clone()
    };
    let (i, flags) = session::prepare(cell, &req)?;
    let p = i.planned.clone();
    let ws_files = p.files();
    let mut digested = None;
    let (fs, read) = session::prefetch(&i, &flags, &ws_files, &mut digested).await;
    let files = digested.unwrap_or_else(|| DigestedFiles::new(&p.plan, &ws_files));
    let digest = p.plan.digest();
    let work_dir = session::work_dir(now);
    let do_start_us = (session::page_ms() - t0) * 1e3;
    let workers = schedule::workers(f.p, cpus, f.n);
    let gocache = crate::gocache();
    let cfg = Config {
        flags,
        print: f.print(),
        // Twice the helper's slots in flight (see above); -n runs nothing.
        workers: if f.n { workers } else { workers * 2 },
        verbose: f.v,
        now,
        work_dir: work_dir.clone(),
        gocache: gocache.clone(),
        do_start_us,
        ..Config::default()
    };
    let live_input = RenderInput {
        plan: &p.plan,
        flags: f.print(),
        verbose: f.v,
        work_dir: &work_dir,
        gocache: &gocache,
        runs: &[],
    };
    let early_backend = (cell.borrow().storage() == &session::Storage::IndexedDb && !f.n)
        .then(|| i.backend())
        .flatten();
    // The run's archives are fetched after the build (see [`save_outputs`]) when they go to
    // IndexedDB; a page building in memory takes them in the stream, as it has nowhere to
    // save them to later.
    let deferred = early_backend.is_some();
    let mut cache = DirCache::open(fs);
    let mut checked = Checked::new(&mut cache);
    let mut s = build::Session::new(&p.plan, &files, &i.record, i.target.as_deref(), cfg);
    let now_us = || (session::page_ms() - t0) * 1e3;
    let mut pending: Pending = Vec::new();
    let mut sent: HashMap<ActionIx, f64> = HashMap::new();
    let mut run = RealRun::default();
    let mut bg: Option<BgWrite> = None;
    let mut live = Live::new();
    let ids = |lanes: &HashMap<ActionIx, usize>| -> HashMap<usize, usize> {
        lanes
            .iter()
            .map(|(&a, &l)| (p.plan.action(a).id, l))
            .collect()
    };
    let mut report = |s: &mut build::Session, run: &RealRun| {
        let mut done = s.take_finished();
        if !done.is_empty() {
            let lanes = ids(&run.lanes);
            done.iter_mut().for_each(|a| relane(a, &lanes, workers));
            progress(&p, done);
        }
    };
    if has_run(&executor) && !f.n {
        let plan_run = run_request(
            &p.plan,
            &digest,
            &req,
            checked.cache.fs(),
            f.a,
            i.target.clone(),
        );
        let mut waiting: HashMap<usize, (Job, f64)> = HashMap::new();
        let mut early: HashMap<usize, (dto::RunLine, JsValue)> = HashMap::new();
        let mut reader: Option<JsValue> = None;
        let mut t_req_us = 0.0;
        let mut broken: Option<String> = None;
        // Where the stream has got to on the build's clock, and the starts of the actions
        // running on the helper: nothing still to come is placed before either (the live
        // transcript's bound).
        let mut seen_us = 0.0f64;
        let mut started: HashMap<usize, f64> = HashMap::new();
        loop {
            for job in s.ready(&mut checked, now_us()) {
                waiting.insert(p.plan.action(job.action).id, (job, now_us()));
            }
            report(&mut s, &run);
            if waiting.is_empty() {
                break;
            }
            if reader.is_none() && broken.is_none() {
                let js = dto::to_js(&plan_run).unwrap_or(JsValue::NULL);
                // With IndexedDB, the archives stay on the helper until the build is done.
                if deferred {
                    let _ = js_sys::Reflect::set(&js, &"deferred".into(), &JsValue::TRUE);
                }
                match start_run(&executor, &js, i.backend(), &mut checked, &mut run).await {
                    Ok(r) => reader = Some(r),
                    Err(e) => broken = Some(e),
                }
                // The helper's clock starts before its answer comes: its times placed from
                // here are never earlier than they happened on this page.
                t_req_us = now_us();
                seen_us = t_req_us;
            }
            let matched: Vec<usize> = waiting
                .keys()
                .filter(|k| early.contains_key(k))
                .copied()
                .collect();
            let t_reply = session::page_ms();
            if matched.is_empty() {
                if let Some(e) = &broken {
                    // The helper cannot run them: each fails with its words.
                    for (_, (job, sent_us)) in waiting.drain() {
                        let flight = Flight {
                            job,
                            start_us: sent_us,
                            reply: Reply::Error(e.clone()),
                            retried: false,
                        };
                        let (job, tr, timing) = tool_result(flight, now_us(), &mut run);
                        s.complete(&mut checked, &job, tr, timing);
                    }
                } else if let Some(r) = &reader {
                    match next_line(r).await {
                        Next::Line(l, v) if l.kind == "action" => {
                            seen_us = seen_us.max(t_req_us + l.end_ms * 1e3);
                            if let Some(id) = l.id {
                                early.insert(id, (l, v));
                            }
                            continue;
                        }
                        Next::Line(l, _) if l.kind == "start" => {
                            let at = t_req_us + l.at_ms * 1e3;
                            seen_us = seen_us.max(at);
                            if let Some(id) = l.id {
                                started.insert(id, at);
                            }
                            continue;
                        }
                        Next::Line(l, _) if l.kind == "error" => broken = Some(l.message),
                        Next::Line(..) => continue,
                        Next::End => {
                            broken = Some("the helper's run ended without running it".into())
                        }
                        Next::Error(e) => broken = Some(e),
                    }
                    continue;
                }
            }
            for id in matched {
                let (Some((job, _)), Some((l, v))) = (waiting.remove(&id), early.remove(&id))
                else {
                    continue;
                };
                started.remove(&id);
                let start_us = (t_req_us + l.start_ms * 1e3).min(now_us());
                let end_us = (t_req_us + l.end_ms * 1e3).clamp(start_us, now_us());
                let reply = if l.build_id != job.build_id {
                    Reply::Error(format!(
                        "{}: the helper ran it with build ID {} where the page's is {}",
                        job.key, l.build_id, job.build_id
                    ))
                } else {
                    match parse_reply(&v) {
                        Reply::Ran(mut r) => {
                            // Its start is the worker's, already on the helper's clock.
                            r.answer.queued_ms = 0.0;
                            Reply::Ran(r)
                        }
                        other => other,
                    }
                };
                let flight = Flight {
                    job,
                    start_us,
                    reply,
                    retried: false,
                };
                let (job, tr, timing) = tool_result(flight, end_us, &mut run);
                s.complete(&mut checked, &job, tr, timing);
            }
            report(&mut s, &run);
            // A deferred run's journal holds only small files (the stdout entries): they wait for
            // the flush, one transaction instead of one per reply beside the tools.
            if !deferred {
                write_early(early_backend, checked.cache, &mut bg).await;
            }
            let from = started
                .values()
                .copied()
                .fold(seen_us.min(now_us()), f64::min);
            live.update(&s, live_input, from, &executor);
            run.phases.replies_ms += session::page_ms() - t_reply;
        }
    }
    loop {
        for job in s.ready(&mut checked, now_us()) {
            let request = match dto::to_js(&exec_request(&p.plan, &s, &job, &digest, &req)) {
                Ok(r) => r,
                Err(_) => JsValue::NULL,
            };
            sent.insert(job.action, now_us());
            pending.push(Box::pin(attempt(
                executor.clone(),
                job,
                request,
                now_us(),
                Vec::new(),
            )));
        }
        report(&mut s, &run);
        if pending.is_empty() {
            break;
        }
        let flight = next_done(&mut pending).await;
        let t_reply = session::page_ms();
        if let (Reply::Missing(hexes), false) = (&flight.reply, flight.retried) {
            let blobs = read_blobs(i.backend(), &mut checked, hexes).await;
            match blobs {
                Ok(blobs) => {
                    run.uploaded += blobs.len();
                    let request =
                        dto::to_js(&exec_request(&p.plan, &s, &flight.job, &digest, &req))
                            .unwrap_or(JsValue::NULL);
                    let Flight { job, start_us, .. } = flight;
                    pending.push(Box::pin(attempt(
                        executor.clone(),
                        job,
                        request,
                        start_us,
                        blobs,
                    )));
                    continue;
                }
                Err(e) => {
                    let flight = Flight {
                        reply: Reply::Error(e),
                        ..flight
                    };
                    sent.remove(&flight.job.action);
                    let (job, tr, timing) = tool_result(flight, now_us(), &mut run);
                    s.complete(&mut checked, &job, tr, timing);
                }
            }
        } else {
            sent.remove(&flight.job.action);
            let (job, tr, timing) = tool_result(flight, now_us(), &mut run);
            s.complete(&mut checked, &job, tr, timing);
        }
        report(&mut s, &run);
        write_early(early_backend, checked.cache, &mut bg).await;
        let from = sent.values().copied().fold(now_us(), f64::min);
        live.update(&s, live_input, from, &executor);
        run.phases.replies_ms += session::page_ms() - t_reply;
    }
    let mut result = s.finish();
    let lanes = ids(&run.lanes);
    result.trace.lanes = workers;
    result
        .trace
        .actions
        .iter_mut()
        .for_each(|a| relane(a, &lanes, workers));
    let t_flush = session::page_ms();
    if let Some(w) = bg.take() {
        if let Err(batch) = w.wait().await {
            rejournal(checked.cache, batch);
        }
    }
    let corrupt = std::mem::take(&mut checked.corrupt);
    let unsaved = unsaved_entries(std::mem::take(&mut checked.held), now);
    run.phases.before_ms = do_start_us / 1e3;
    run.phases.drive_ms = (t_flush - t0) - run.phases.before_ms;
    let backend = early_backend.cloned();
    // `built.real` is the full module's only (this function is compiled in both).
    #[cfg_attr(not(feature = "extras"), allow(unused_mut))]
    let mut built = session::flush(
        cell,
        i,
        f,
        now,
        cache,
        result,
        corrupt,
        work_dir,
        read,
        Some(run),
    )
    .await;
    // The flush's own time is known only after it (the early writes' wait included).
    #[cfg(feature = "extras")]
    if let Some(r) = built.real.as_mut() {
        r.phases.flush_ms = session::page_ms() - t_flush;
    }
    cell.borrow_mut().set_unsaved(
        backend
            .filter(|_| !unsaved.is_empty())
            .map(|b| (b, unsaved)),
    );
    Ok(built)
}

/// A cache entry of a deferred run whose output is still on the helper: written to IndexedDB
/// together with its output once the page has the bytes ([`save_outputs`]), never before.
#[derive(Clone, Debug)]
pub struct Unsaved {
    /// The entry's cache file (`xx/<hex>-a`) and its line.
    pub entry_path: String,
    pub entry: Vec<u8>,
    /// The output's content hash (its `-d` file's name) and size.
    pub output: Digest,
    pub size: u64,
    pub mtime: UnixNanos,
}

fn unsaved_entries(
    held: Vec<(Digest, buildlab_core::cache::Entry)>,
    now: UnixNanos,
) -> Vec<Unsaved> {
    held.into_iter()
        .map(|(id, e)| Unsaved {
            entry_path: DirCache::<OverlayFs>::action_file(&id),
            entry: e.render(&id).into_bytes(),
            output: e.output,
            size: e.size,
            mtime: now,
        })
        .collect()
}

/// What [`save_outputs`] did: entries written with their outputs, outputs the helper no longer
/// had (their entries are dropped: the next build runs those actions again), bytes saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Saved {
    pub entries: usize,
    pub outputs: usize,
    pub missing: Vec<String>,
    pub bytes: u64,
    pub total_bytes: u64,
}

/// Outputs are written in transactions of about this many bytes: each commits its entries
/// with their outputs, and the progress moves per transaction.
const SAVE_BATCH_BYTES: u64 = 16 << 20;

/// After a deferred real build: fetches the outputs the last build left on the helper in one
/// request (`fetcher.fetch(hexes)`, a reader whose `next()` resolves to `{type: "output", hex,
/// size, blob}` or `{type: "missing", hex}` lines, then `null`) and writes each, with the entries
/// that name it, in one IndexedDB transaction: an entry is never there without its output. An
/// output the helper lost (restarted with another store, trimmed) or that comes back at another
/// size is skipped with its entries: the next build misses them and runs those actions again,
/// as go does for a cache file gone. `progress(done, total)` gets the bytes saved so far.
pub async fn save_outputs<B: Backend + Clone + 'static>(
    cell: &RefCell<Session<B>>,
    fetcher: &JsValue,
    progress: &dyn Fn(u64, u64),
) -> Result<Saved, String> {
    let Some((backend, unsaved)) = cell.borrow_mut().take_unsaved() else {
        return Ok(Saved::default());
    };
    let mut by_output: HashMap<String, Vec<Unsaved>> = HashMap::new();
    let mut hexes = Vec::new();
    let mut saved = Saved::default();
    for u in unsaved {
        let hex = u.output.to_hex();
        if !by_output.contains_key(&hex) {
            hexes.push(hex.clone());
            saved.total_bytes += u.size;
        }
        by_output.entry(hex).or_default().push(u);
    }
    progress(0, saved.total_bytes);
    let list = js_sys::Array::new();
    for h in &hexes {
        list.push(&JsValue::from_str(h));
    }
    let reader = call(fetcher, "fetch", &[list.into()]).await?;
    let mut batch: Vec<store::Save> = Vec::new();
    let mut batch_bytes = 0u64;
    loop {
        let v = call(&reader, "next", &[]).await?;
        let end = v.is_null() || v.is_undefined();
        if !end {
            let field = |k: &str| js_sys::Reflect::get(&v, &JsValue::from_str(k)).ok();
            let kind = field("type")
                .and_then(|t| t.as_string())
                .unwrap_or_default();
            let hex = field("hex").and_then(|t| t.as_string()).unwrap_or_default();
            match (kind.as_str(), by_output.remove(&hex)) {
                ("output", Some(entries)) => {
                    let blob = field("blob").unwrap_or(JsValue::UNDEFINED);
                    let size = js_sys::Reflect::get(&blob, &"size".into())
                        .ok()
                        .and_then(|n| n.as_f64());
                    let want = entries[0].size;
                    if size != Some(want as f64) {
                        saved.missing.push(hex);
                        continue;
                    }
                    batch_bytes += want;
                    saved.outputs += 1;
                    saved.entries += entries.len();
                    batch.push(store::Save {
                        output_path: DirCache::<OverlayFs>::output_file(&entries[0].output),
                        blob,
                        entries: entries
                            .into_iter()
                            .map(|u| (u.entry_path, u.entry, u.mtime))
                            .collect(),
                    });
                }
                ("missing", Some(_)) => saved.missing.push(hex),
                _ => {}
            }
        }
        if !batch.is_empty() && (end || batch_bytes >= SAVE_BATCH_BYTES) {
            backend
                .save_outputs(&batch)
                .await
                .map_err(|e| format!("saving to the cache: {e}"))?;
            saved.bytes += batch_bytes;
            progress(saved.bytes, saved.total_bytes);
            batch.clear();
            batch_bytes = 0;
        }
        if end {
            break;
        }
    }
    // Outputs the stream never named (it ended early): their entries are not written either.
    saved.missing.extend(by_output.into_keys());
    Ok(saved)
}
