//! `POST /api/v1/workspace/<n>/run`: a page's whole build of misses in one request.
//!
//! The per-action exec route costs one round trip per finished action before its dependents can
//! start (the reply, the page's own work on it, a new request). Here the page sends once: the
//! actions it lets the helper run (by id in the plan both sides made, checked equal by the plan
//! digest when the workspace was opened), and its cache's entries for this build — action ID →
//! output hash and size — for the hits. The helper drives core's build session over its own plan
//! (the executor `buildlab build --real` uses, [`crate::realbuild::run`], `-p` workers, cmd/go's
//! priority) with a cache made of exactly those entries, so it finds the page's hits and
//! computes the same action and build IDs the page's session will; tool arguments come from its
//! own plan, never from the request. Each finished job is one NDJSON line as it ends; the page
//! feeds it to its own session and fetches the archive by `GET /api/v1/blob/<hex>`. A failed
//! action's dependents are not run (the session skips them, as go does).
//!
//! Line types: `{"type":"start","id","atMs"}` when a job is handed to a worker,
//! `{"type":"action",…}` per job (id, key, buildId, ok, output, failedStep, runs,
//! startMs/endMs on the run's clock, queuedMs, wallMs, lane, archive `{hex,size}`, binary
//! `{hex,size,buildId}`), then one `{"type":"done",…}`, or `{"type":"error",…}`.
//!
//! With `inline: true` in the request the archives travel in the stream itself
//! ([`RUN_INLINE_TYPE`]): every `action` line that names an archive is followed by exactly its
//! `size` bytes. A page then makes no request per action at all (each one costs the browser a
//! fetch, a loader and a response of its own, beside the tools on the same CPUs). The bytes are
//! read from the store when the stream reaches them, never by the build's thread, which does
//! not wait for the page.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::build::Config;
use buildlab_core::cache::{CacheFs, DirCache, Entry, UnixNanos};
use buildlab_core::plan::{ActionIx, Mode};
use buildlab_core::rebuild::Record;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{
    bad, blob_path, go_and_workspace, is_hex64, line, missing_outputs_reply, ndjson_stream,
    no_workspace, small_json, store_blob, valid_build_id, Api, ApiError, OpenWorkspace,
    API_VERSION,
};
use crate::diskcache::{self, DiskFs};
use crate::godetect::GoInstall;
use crate::realbuild::{self, Event, Ran};

/// The page's run request. Unknown fields are refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RunRequest {
    version: u32,
    /// The actions the helper may run, by id: every tool action the page did not find in its
    /// cache when it planned. A job the session hands out for any other fails unrun.
    actions: Vec<usize>,
    /// The page's cache entries for this build: its hits, by action ID.
    #[serde(default)]
    hits: Vec<HitRef>,
    /// `-a`.
    #[serde(default)]
    force: bool,
    /// The build ID of the binary the page holds (go's binary in place).
    #[serde(default)]
    target: Option<String>,
    /// Each archive in the stream after its line (see the module doc), instead of by
    /// `GET /api/v1/blob/<hex>`.
    #[serde(default)]
    inline: bool,
    /// The archives stay in the store during the build: each `action` line carries its
    /// archive's content ID (`archive.contentId`) so that the page completes its job without
    /// the bytes, and fetches them after the build (`POST /api/v1/outputs`). Not with `inline`.
    #[serde(default)]
    deferred: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HitRef {
    action_id: String,
    hex: String,
    size: u64,
}

/// A validated run request: the allowed actions and the entries, nothing written yet.
struct RunPlan {
    only: HashSet<ActionIx>,
    entries: HashMap<String, Vec<u8>>,
    force: bool,
    target: Option<String>,
    inline: bool,
    deferred: bool,
}

/// The media type of a run stream with the archives in it: NDJSON lines, each `action` line that
/// names an archive followed by its bytes.
pub const RUN_INLINE_TYPE: &str = "application/x-buildlab-run";

/// What the run sends: a line, or a line and the store file of the archive it names (its size,
/// as the line says).
type Sink<'a> = &'a dyn Fn(Value, Option<(PathBuf, u64)>);

/// One piece of a run stream, as the build's thread hands it over.
enum Piece {
    Line(Value),
    /// An archive in the store, read when the stream gets to it.
    File(PathBuf, u64),
    /// A deferred run's `action` line and its archive in the store: the line goes out with the
    /// archive's content ID (`archive.contentId`), computed when the stream gets to it.
    WithContent(Value, PathBuf),
}

/// The content ID core gives a real archive ([`buildlab_core::object::content_hash`] with the
/// build ID in its header), as 64 hex digits: what the page's session needs of an output to
/// complete its job and compute its dependents' action IDs without the bytes.
fn content_id(path: &std::path::Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let id = buildlab_core::object::archive_build_id(&bytes)
        .ok_or_else(|| format!("{}: not a Go archive with a build ID", path.display()))?;
    Ok(buildlab_core::object::content_hash(&bytes, &id).to_hex())
}

/// The line of a deferred run's action with its archive's content ID in, or an error line
/// when the store's file cannot give one (the page then fails the action with these words).
async fn with_content(mut v: Value, path: PathBuf) -> Value {
    let r = tokio::task::spawn_blocking(move || content_id(&path))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
    match r {
        Ok(hex) => v["archive"]["contentId"] = json!(hex),
        Err(e) => {
            v["ok"] = json!(false);
            let out = v["output"].as_str().unwrap_or("").to_string();
            v["output"] = json!(format!(
                "{out}buildlab: reading the archive's content ID: {e}\n"
            ));
        }
    }
    v
}

/// Like [`ndjson_stream`], with each archive's bytes after its line (see the module doc). The
/// build's thread only queues (unbounded: lines are small and files are read later), so a page
/// that reads slowly never holds up the tools; each file is read, and its size checked against
/// the line's, when the stream is polled for it.
fn inline_stream(job: impl FnOnce(Sink) + Send + 'static, deferred: bool) -> Response {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Piece>();
    tokio::task::spawn_blocking(move || {
        job(&|v: Value, file: Option<(PathBuf, u64)>| {
            let _ = match file {
                Some((path, _)) if deferred => tx.send(Piece::WithContent(v, path)),
                Some((path, size)) => tx
                    .send(Piece::Line(v))
                    .and_then(|_| tx.send(Piece::File(path, size))),
                None => tx.send(Piece::Line(v)),
            };
        })
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let piece = match rx.recv().await? {
            Piece::Line(v) => Ok(line(v)),
            Piece::WithContent(v, path) => Ok(line(with_content(v, path).await)),
            Piece::File(path, size) => match tokio::fs::read(&path).await {
                Ok(b) if b.len() as u64 == size => Ok(Bytes::from(b)),
                Ok(b) => Err(std::io::Error::other(format!(
                    "{}: {} bytes in the store where the line said {size}",
                    path.display(),
                    b.len()
                ))),
                Err(e) => Err(e),
            },
        };
        Some((piece, rx))
    });
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            if deferred {
                "application/x-ndjson"
            } else {
                RUN_INLINE_TYPE
            },
        )
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Body::from_stream(stream))
        .expect("a response")
}

fn too_many(what: &str, n: usize, max: usize) -> ApiError {
    ApiError(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("{n} {what}: this workspace's plan has {max} actions"),
    )
}

/// Checks a run request against the workspace's plan: known, distinct tool actions; hits as
/// hex content hashes; at most one entry per action ID; the counts bounded by the plan's size
/// (hits: two per action, its entry and its stdout's).
fn validate(req: RunRequest, ws: &OpenWorkspace, now: UnixNanos) -> Result<RunPlan, ApiError> {
    if req.version != API_VERSION {
        return Err(bad(format!(
            "unsupported request version {} (this helper speaks {API_VERSION})",
            req.version
        )));
    }
    let max = ws.by_id.len();
    if req.actions.is_empty() {
        return Err(bad("actions: no action to run"));
    }
    if req.actions.len() > max {
        return Err(too_many("actions", req.actions.len(), max));
    }
    // An action's entry and its stdout's (go's subkey) per action, at most.
    if req.hits.len() > 2 * max {
        return Err(too_many("hits", req.hits.len(), max));
    }
    let mut only = HashSet::new();
    for &id in &req.actions {
        let &a = ws
            .by_id
            .get(&id)
            .ok_or_else(|| bad(format!("actions: the plan has no action {id}")))?;
        let x = ws.plan.action(a);
        if !matches!(x.mode, Mode::Build | Mode::Link | Mode::LinkInstall) {
            return Err(bad(format!(
                "actions: action {id} ({} {}) runs no tool",
                x.mode.as_str(),
                ws.plan.package_path(a)
            )));
        }
        if !only.insert(a) {
            return Err(bad(format!("actions: action {id} is given twice")));
        }
    }
    let mut entries = HashMap::new();
    for h in &req.hits {
        let (Some(id), Some(out)) = (hex_digest(&h.action_id), hex_digest(&h.hex)) else {
            return Err(bad(
                "hits: actionId and hex must be 64-digit lowercase hex hashes",
            ));
        };
        let e = Entry {
            output: out,
            size: h.size,
            time: now,
        };
        let path = DirCache::<DiskFs>::action_file(&id);
        if entries.insert(path, e.render(&id).into_bytes()).is_some() {
            return Err(bad(format!(
                "hits: action ID {} is given twice",
                h.action_id
            )));
        }
    }
    if let Some(t) = &req.target {
        if !valid_build_id(t) {
            return Err(bad(
                "target: base64url parts joined by '/' (at most 256 bytes)",
            ));
        }
    }
    Ok(RunPlan {
        only,
        entries,
        force: req.force,
        target: req.target,
        inline: req.inline && !req.deferred,
        deferred: req.deferred,
    })
}

fn hex_digest(h: &str) -> Option<buildlab_core::hash::Digest> {
    is_hex64(h)
        .then(|| buildlab_core::object::parse_hex(h))
        .flatten()
}

/// The hits' outputs this store lacks (or holds with another size): the page uploads them.
fn missing_outputs(api: &Api, req_hits: &[(String, u64)]) -> Result<Vec<String>, ApiError> {
    let mut missing = Vec::new();
    for (hex, size) in req_hits {
        let ok = std::fs::metadata(blob_path(api, hex)?).is_ok_and(|m| m.len() == *size);
        if !ok && !missing.contains(hex) {
            missing.push(hex.clone());
        }
    }
    Ok(missing)
}

/// The cache a run's session sees: the page's entries (its hits, nothing else: the helper's own
/// entries would make it find hits the page does not have) over this helper's store of outputs,
/// where the outputs it makes are written.
struct PageCacheFs {
    disk: DiskFs,
    entries: HashMap<String, Vec<u8>>,
}

fn is_entry(path: &str) -> bool {
    path.ends_with("-a")
}

impl CacheFs for PageCacheFs {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        if is_entry(path) {
            return self.entries.get(path).cloned();
        }
        self.disk.read(path)
    }
    fn size(&self, path: &str) -> Option<u64> {
        if is_entry(path) {
            return self.entries.get(path).map(|e| e.len() as u64);
        }
        self.disk.size(path)
    }
    fn write(&mut self, path: &str, data: &[u8], mtime: UnixNanos) {
        if is_entry(path) {
            self.entries.insert(path.to_string(), data.to_vec());
        } else {
            self.disk.write(path, data, mtime);
        }
    }
    fn remove(&mut self, path: &str) {
        // Only the run's own view: the store keeps outputs other builds may name.
        self.entries.remove(path);
    }
    fn mtime(&self, path: &str) -> Option<UnixNanos> {
        if is_entry(path) {
            return self.entries.contains_key(path).then(diskcache::now);
        }
        self.disk.mtime(path)
    }
    fn set_mtime(&mut self, path: &str, t: UnixNanos) {
        if !is_entry(path) {
            self.disk.set_mtime(path, t);
        }
    }
    fn list(&self, dir: &str) -> Vec<String> {
        self.disk.list(dir)
    }
    fn mkdir(&mut self, dir: &str) {
        self.disk.mkdir(dir);
    }
    fn remove_dir(&mut self, _dir: &str) {}
    fn dirs(&self) -> Vec<String> {
        self.disk.dirs()
    }
}

/// The route: validated, the hits' outputs present (else 409 naming them), all of the
/// workspace's `-p` slots taken (no exec of the same workspace runs beside it), then streamed.
pub async fn run_actions(
    State(api): State<Arc<Api>>,
    UrlPath(n): UrlPath<u64>,
    body: Body,
) -> Result<Response, ApiError> {
    let req: RunRequest = small_json(body, "run").await?;
    let (go, ws) = go_and_workspace(&api, n)?;
    let hit_outputs: Vec<(String, u64)> =
        req.hits.iter().map(|h| (h.hex.clone(), h.size)).collect();
    let run = validate(req, &ws, diskcache::now())?;
    let (inline, deferred) = (run.inline, run.deferred);
    let missing = missing_outputs(&api, &hit_outputs)?;
    if !missing.is_empty() {
        return Ok(missing_outputs_reply("outputs of the page's hits", missing));
    }
    let workers = ws.lanes.lock().map(|l| l.len()).unwrap_or(1).max(1);
    let slots = ws
        .slots
        .clone()
        .acquire_many_owned(workers as u32)
        .await
        .map_err(|_| no_workspace(n))?;
    let api2 = api.clone();
    let job = move |send: Sink| {
        let _slots = slots;
        if let Err(e) = run_blocking(&api2, &go, &ws, run, workers, send) {
            tracing::error!(workspace = n, "run failed: {e}");
            send(
                json!({"type": "error", "version": API_VERSION, "message": e}),
                None,
            );
        }
    };
    if inline || deferred {
        return Ok(inline_stream(job, deferred));
    }
    // Lines only: each archive is fetched by its hex.
    Ok(ndjson_stream(move |send| job(&|v, _| send(v))))
}

fn run_blocking(
    api: &Api,
    go: &GoInstall,
    ws: &OpenWorkspace,
    run: RunPlan,
    workers: usize,
    send: Sink,
) -> Result<(), String> {
    let started = Instant::now();
    let (src, work) = (ws.src(), ws.work());
    let plan = &ws.plan;
    let mut cache = DirCache::open(PageCacheFs {
        disk: DiskFs::new(&api.cache_root),
        entries: run.entries,
    });
    let files = WorkspaceFiles {
        ws: &ws.files,
        root: plan.input().cwd.clone(),
    };
    let mut cfg = Config {
        workers,
        now: diskcache::now(),
        work_dir: work.to_string_lossy().into_owned(),
        gocache: api.cache_root.to_string_lossy().into_owned(),
        ..Config::default()
    };
    cfg.flags.force = run.force;
    let setup = api.page_setup(go, &work, &src, workers, Some(&run.only));
    let mut on = |e: Event| match e {
        // When a job was handed to a worker: the page places nothing it shows as settled after
        // the start of an action still running.
        Event::Started { job, at_us } => send(
            json!({
                "type": "start", "id": plan.action(job.action).id, "atMs": at_us / 1e3,
            }),
            None,
        ),
        Event::Ran(r) => {
            let (line, archive) = ran_line(api, plan, &r);
            send(line, archive.filter(|_| run.inline || run.deferred));
        }
        Event::Finished { .. } => {}
    };
    let out = realbuild::run(
        plan,
        &files,
        &mut cache,
        &Record::default(),
        run.target.as_deref(),
        cfg,
        &setup,
        &mut on,
    );
    send(
        json!({
            "type": "done", "version": API_VERSION, "exitStatus": out.result.exit_status,
            "toolRuns": out.tool_runs, "wallMs": started.elapsed().as_secs_f64() * 1e3,
        }),
        None,
    );
    Ok(())
}

/// One finished job as its stream line, and the store file of the archive it names (with the
/// size the line says); the counters `/api/v1/info` reports move with it.
fn ran_line(
    api: &Api,
    plan: &buildlab_core::plan::Plan,
    r: &Ran,
) -> (Value, Option<(PathBuf, u64)>) {
    api.execs.fetch_add(1, Ordering::Relaxed);
    let (res, error) = match r.result {
        Ok(res) => (Some(res), None),
        Err(e) => (None, Some(format!("buildlab: {e}\n"))),
    };
    let runs: Vec<Value> = res
        .map(|res| {
            api.tool_runs
                .fetch_add(res.runs.len() as u64, Ordering::Relaxed);
            api.tool_processes
                .fetch_add(res.processes as u64, Ordering::Relaxed);
            res.runs
                .iter()
                .map(|t| {
                    let mut v = json!({"tool": t.tool, "startMs": t.start.as_secs_f64() * 1e3,
                        "ms": t.took.as_secs_f64() * 1e3});
                    if t.internal {
                        v["internal"] = json!(true);
                    }
                    v
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ok = res.is_some_and(|r| r.success);
    let mut output = format!(
        "{}{}",
        res.map(|r| r.output.as_str()).unwrap_or(""),
        error.unwrap_or_default()
    );
    let file = r.output_hex.and_then(|hex| {
        let path = blob_path(api, hex).ok()?;
        let size = std::fs::metadata(&path).ok()?.len();
        Some((hex, path, size))
    });
    let archive = match (r.output_hex, &file) {
        (_, Some((hex, _, size))) => json!({"hex": hex, "size": size}),
        (Some(hex), None) => json!({"hex": hex, "size": 0}),
        (None, None) => Value::Null,
    };
    let binary = match r.exe.map(std::fs::read) {
        None => Value::Null,
        Some(Ok(b)) => match store_blob(&api.cache_root, &b, None) {
            Ok(hex) => {
                if let Ok(mut set) = api.binaries.lock() {
                    set.insert(hex.clone());
                }
                json!({"hex": hex, "size": b.len(),
                    "buildId": realbuild::exe_build_id(&b[..b.len().min(1 << 20)])})
            }
            Err(e) => {
                ok = false;
                output.push_str(&format!("buildlab: storing the binary: {e}\n"));
                Value::Null
            }
        },
        Some(Err(e)) => {
            ok = false;
            output.push_str(&format!("buildlab: reading the linked binary: {e}\n"));
            Value::Null
        }
    };
    let line = json!({
        "type": "action", "version": API_VERSION,
        "id": plan.action(r.job.action).id, "key": r.job.key, "buildId": r.job.build_id,
        "ok": ok, "output": output,
        "failedStep": res.and_then(|r| r.failed_step),
        "runs": runs,
        "startMs": r.start_us / 1e3, "endMs": r.end_us / 1e3,
        "queuedMs": (r.start_us - r.handed_us).max(0.0) / 1e3,
        "wallMs": (r.end_us - r.start_us) / 1e3,
        "lane": r.job.lane,
        "archive": archive, "binary": binary,
    });
    (line, file.map(|(_, path, size)| (path, size)))
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/outputs: the archives of a deferred run, fetched after the build
// ---------------------------------------------------------------------------------------------

/// The media type of an outputs stream: NDJSON lines, each `output` line followed by exactly
/// its `size` bytes.
pub const OUTPUTS_TYPE: &str = "application/x-buildlab-outputs";

/// At most this many outputs per request (a plan of a few thousand actions at most).
pub const MAX_OUTPUTS: usize = 8192;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputsRequest {
    version: u32,
    hexes: Vec<String>,
}

/// The outputs a page asks for after a deferred run (see [`RunRequest::deferred`]), in one
/// response: per content hash, `{"type":"output","hex","size"}` and its bytes, or
/// `{"type":"missing","hex"}` when the store no longer holds it (the helper restarted with
/// another cache root, the store was trimmed): the page then stores no entry for it and its
/// next build runs that action again, as go does after losing a cache file. Then one
/// `{"type":"done","sent","missing"}`. Each file is read when the stream gets to it, so a page
/// that reads slowly holds at most one archive in memory here.
pub async fn fetch_outputs(State(api): State<Arc<Api>>, body: Body) -> Result<Response, ApiError> {
    let req: OutputsRequest = small_json(body, "outputs").await?;
    if req.version != API_VERSION {
        return Err(bad(format!(
            "unsupported request version {} (this helper speaks {API_VERSION})",
            req.version
        )));
    }
    if req.hexes.len() > MAX_OUTPUTS {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} outputs: at most {MAX_OUTPUTS} per request",
                req.hexes.len()
            ),
        ));
    }
    let mut files = Vec::with_capacity(req.hexes.len());
    for hex in req.hexes {
        let path = blob_path(&api, &hex)?;
        files.push((hex, path));
    }
    let state = (files.into_iter(), 0usize, 0usize, false);
    let stream = futures_util::stream::unfold(state, |(mut it, sent, missing, done)| async move {
        if done {
            return None;
        }
        let Some((hex, path)) = it.next() else {
            let end = json!({"type": "done", "sent": sent, "missing": missing});
            return Some((
                Ok::<_, std::io::Error>(line(end)),
                (it, sent, missing, true),
            ));
        };
        match tokio::fs::read(&path).await {
            Ok(b) => {
                let head = line(json!({"type": "output", "hex": hex, "size": b.len()}));
                let mut out = Vec::with_capacity(head.len() + b.len());
                out.extend_from_slice(&head);
                out.extend_from_slice(&b);
                Some((Ok(Bytes::from(out)), (it, sent + 1, missing, false)))
            }
            Err(_) => {
                let l = line(json!({"type": "missing", "hex": hex}));
                Some((Ok(l), (it, sent, missing + 1, false)))
            }
        }
    });
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, OUTPUTS_TYPE)
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Body::from_stream(stream))
        .expect("a response"))
}
