//! `go build` with the real Go tools, driven by the page: the page's core plans the workspace
//! for the helper's Go, computes every action ID and looks each one up in the page's cache
//! (IndexedDB), exactly as for a simulated build; only the misses go to the helper, one request
//! per action, through a JS executor (`www/src/helper.js`). The helper runs that action of the
//! plan it made itself of the same files (the two plans are checked equal by `Plan::digest`),
//! keeps the output in its content-addressed store and returns it; the page stores the archive in
//! its own cache under its own action ID. A warm build therefore sends nothing and runs no tool.
//!
//! The executor is a JS object with two methods, both returning promises:
//! - `exec(ExecRequest)` resolves to the helper's answer with the archive as a `Uint8Array`
//!   (`archive`), or to `{missing: [hex]}` when the helper lacks a dependency's output the page
//!   holds; it rejects with an `Error` whose message is shown (helper unreachable, a 4xx).
//! - `upload(hex, Uint8Array)` puts such an output into the helper's store.
//!
//! Not here: HTTP (the executor's), the simulated toolchain ([`crate::session::build`]).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use buildlab_core::build::{self, Config, Job, Timing, ToolResult};
use buildlab_core::cache::{CacheFs, DirCache, Miss, UnixNanos};
use buildlab_core::constraint::BuildContext;
use buildlab_core::hash::Digest;
use buildlab_core::load::LoadRequest;
use buildlab_core::object::Object;
use buildlab_core::plan::{Mode, Plan, Toolchain};
use buildlab_core::schedule;
use buildlab_core::trace::{Kind, Span, TraceAction};
use wasm_bindgen::{JsCast, JsValue};

use crate::dto;
use crate::overlay::{Checked, Corrupt, OverlayFs};
use crate::session::{self, Built, PlanFailure, Planned, Request, Session};
use crate::store::Backend;

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
}

impl RealGo {
    /// The load request and toolchain the helper uses for the same build: this Go's GOROOT,
    /// version and target, `CGO_ENABLED=0`, the helper's CPUs, the planned root.
    pub fn request(&self, base: &LoadRequest, parallel: Option<usize>) -> (LoadRequest, Toolchain) {
        let mut ctx = BuildContext::new(&self.goos, &self.goarch);
        ctx.cgo_enabled = false;
        let req = LoadRequest {
            cwd: base.cwd.clone(),
            patterns: base.patterns.clone(),
            ctx,
            goroot: self.goroot.clone(),
            module_root_display: self.planned_root.clone(),
            ..LoadRequest::default()
        };
        let tc = Toolchain {
            goroot: self.goroot.clone(),
            goos: self.goos.clone(),
            goarch: self.goarch.clone(),
            arch_env: (self.goarch == "amd64").then(|| ("GOAMD64".to_string(), "v1".to_string())),
            version: self.version.clone(),
            cgo_enabled: false,
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
    /// The first failure of the helper itself (unreachable, a refusal), not of a tool: what
    /// the page says once above the per-package messages.
    pub helper_error: Option<String>,
    /// Where the page's time went (see [`Phases`]).
    pub phases: Phases,
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
    Reply::Ran(Box::new(Ran { answer, archive }))
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

/// `go build` with the real tools: plan for the helper's Go, prefetch the cache in one read
/// transaction, drive core's build session with the misses running on the helper (at most
/// `-p` at once; `progress` gets every action as it finishes), then flush as a simulated build
/// does. A helper that fails or cannot be reached fails the actions it was asked to run, with
/// its words in the transcript; what finished before is kept.
pub async fn build<B: Backend + Clone>(
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
    let (fs, read) = session::prefetch(&i, &flags).await;
    let p = i.planned.clone();
    let files = p.files();
    let digest = p.plan.digest();
    let work_dir = session::work_dir(now);
    let do_start_us = (session::page_ms() - t0) * 1e3;
    let cfg = Config {
        flags,
        print: session::print_flags(f),
        workers: schedule::workers(f.p, cpus, f.n),
        verbose: f.v,
        now,
        work_dir: work_dir.clone(),
        gocache: crate::gocache(),
        do_start_us,
        ..Config::default()
    };
    let mut cache = DirCache::open(fs);
    let mut checked = Checked::new(&mut cache);
    let mut s = build::Session::new(&p.plan, &files, &i.record, i.target.as_deref(), cfg);
    let now_us = || (session::page_ms() - t0) * 1e3;
    let mut pending: Pending = Vec::new();
    let mut run = RealRun::default();
    loop {
        for job in s.ready(&mut checked, now_us()) {
            let request = match dto::to_js(&exec_request(&p.plan, &s, &job, &digest, &req)) {
                Ok(r) => r,
                Err(_) => JsValue::NULL,
            };
            pending.push(Box::pin(attempt(
                executor.clone(),
                job,
                request,
                now_us(),
                Vec::new(),
            )));
        }
        progress(&p, s.take_finished());
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
                    let (job, tr, timing) = tool_result(flight, now_us(), &mut run);
                    s.complete(&mut checked, &job, tr, timing);
                }
            }
        } else {
            let (job, tr, timing) = tool_result(flight, now_us(), &mut run);
            s.complete(&mut checked, &job, tr, timing);
        }
        progress(&p, s.take_finished());
        run.phases.replies_ms += session::page_ms() - t_reply;
    }
    let result = s.finish();
    let corrupt = std::mem::take(&mut checked.corrupt);
    let t_flush = session::page_ms();
    run.phases.before_ms = do_start_us / 1e3;
    run.phases.drive_ms = (t_flush - t0) - run.phases.before_ms;
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
    // The flush's own time is known only after it.
    if let Some(r) = built.real.as_mut() {
        r.phases.flush_ms = session::page_ms() - t_flush;
    }
    Ok(built)
}
