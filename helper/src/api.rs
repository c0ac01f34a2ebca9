//! The helper's HTTP API for the page, version 1, under `/api/v1/`: real Go builds of the
//! workspace the page sends, streamed as they run, and the outputs by content hash.
//!
//! | route                        | what                                                        |
//! |------------------------------|-------------------------------------------------------------|
//! | `GET /api/v1/info`           | the detected Go (or why none), the limits                   |
//! | `POST /api/v1/build`         | files + flags in (JSON); NDJSON progress out                |
//! | `GET /api/v1/blob/<hex>`     | a cache data file (archive, binary) as a binary body        |
//! | `POST /api/v1/run/<hex>`     | runs a binary this helper built; its stdout/stderr (JSON)   |
//!
//! Every route is behind [`crate::guard`] (Host, Origin, token). The request carries files and a
//! closed set of flags, never a command line (the build settings' tool flags allow-listed,
//! [`crate::toolflags`]): the helper loads and plans the workspace itself
//! with core, at one planned root ([`PLANNED_ROOT`]) so that action IDs do not depend on where it
//! really is, and runs the plan with the real tools ([`crate::realbuild`]) in a private `$WORK`
//! under a per-build temporary directory that is removed afterwards. Outputs go to a
//! GOCACHE-layout directory (the content-addressed store), so an unchanged output is neither
//! recomputed nor re-sent: the page fetches blobs it does not hold.
//!
//! Validation happens before anything is written: an over-limit or malformed request gets a
//! 4xx with a JSON `{"error": …}` body and leaves nothing behind.
//!
//! Plans use the detected go's own `CGO_ENABLED` (the page's plan too: `/api/v1/info` tells it);
//! a cgo package's steps run through [`crate::realcgo`]. Not here: module downloads (no network;
//! only what the page sends and the standard library), and any Go command other than a build.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};

use crate::realtools;
use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::build::Config;
use buildlab_core::cache::{CacheFs, DirCache};
use buildlab_core::constraint::BuildContext;
use buildlab_core::hash::Digest;
use buildlab_core::load::{load, LoadRequest};
use buildlab_core::plan::{plan, BuildMode, Mode};
use buildlab_core::schedule;
use buildlab_core::trace::{self, CacheOutcome, Status, TraceAction};
use buildlab_core::transcript::{self, ChunkKind};
use buildlab_core::workspace::{normalize, Workspace};

use crate::diskcache::{self, DiskCache, DiskFs};
use crate::godetect::GoInstall;
use crate::guard::{Guard, TOKEN_HEADER};
use crate::realbuild::{self, Event};

/// The wire format's version, in every JSON body and stream line.
pub const API_VERSION: u32 = 1;

/// Where every workspace is planned (and where its objects say their sources are).
pub const PLANNED_ROOT: &str = "/home/gopher/work";

/// What one request may ask for.
#[derive(Clone, Debug)]
pub struct Limits {
    pub body_bytes: usize,
    pub files: usize,
    pub total_bytes: usize,
    pub file_bytes: usize,
    pub path_len: usize,
    pub patterns: usize,
    pub tool_timeout: Duration,
    pub concurrent_builds: usize,
    pub run_timeout: Duration,
    pub run_output_bytes: usize,
    /// Largest blob the page may upload (a dependency's archive it holds and this store lost).
    pub blob_bytes: usize,
    /// A page-driven workspace nobody used for this long is removed.
    pub workspace_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 16 << 20,
            files: 1000,
            total_bytes: 8 << 20,
            file_bytes: 2 << 20,
            path_len: 256,
            patterns: 16,
            tool_timeout: Duration::from_secs(300),
            concurrent_builds: 2,
            run_timeout: Duration::from_secs(10),
            run_output_bytes: 1 << 20,
            blob_bytes: 256 << 20,
            workspace_idle: Duration::from_secs(600),
        }
    }
}

/// The API's state, fixed at start apart from the build counter and the binaries built.
pub struct Api {
    pub guard: Guard,
    pub go: Result<GoInstall, String>,
    /// The content-addressed store (a GOCACHE layout).
    pub cache_root: PathBuf,
    /// Per-build and per-run temporary directories go under here (created at start, private).
    pub tmp_root: PathBuf,
    pub limits: Limits,
    builds: Arc<Semaphore>,
    counter: AtomicU64,
    /// Content hashes of binaries this helper linked (only those may be run).
    pub(crate) binaries: Mutex<HashSet<String>>,
    /// The workspaces pages opened to run their builds' misses ([`OpenWorkspace`]).
    pub(crate) workspaces: Mutex<HashMap<u64, Arc<OpenWorkspace>>>,
    /// Tool runs since start (every step the exec replies list in `runs`, the `# internal` ones
    /// done in process included, as a page counts them), the tool processes among them, and
    /// actions executed for pages: what a page (or a test) reads from `/api/v1/info` to know
    /// that a warm build ran no tool.
    pub(crate) tool_runs: AtomicU64,
    pub(crate) tool_processes: AtomicU64,
    pub(crate) execs: AtomicU64,
}

impl Api {
    /// The real executor's setup for a page's build: the detected Go's tools, this build's
    /// `$WORK`, its copy of the workspace (which the plan names at [`PLANNED_ROOT`]) and GOROOT
    /// readable, the helper's store, its tool timeout.
    pub(crate) fn page_setup<'a>(
        &'a self,
        go: &'a GoInstall,
        work: &'a Path,
        src: &'a Path,
        workers: usize,
        only: Option<&'a std::collections::HashSet<buildlab_core::plan::ActionIx>>,
    ) -> realbuild::Setup<'a> {
        realbuild::Setup {
            tooldir: Path::new(&go.tooldir),
            work,
            cache_root: &self.cache_root,
            readable: vec![src.to_path_buf(), PathBuf::from(&go.goroot)],
            src_map: Some((PLANNED_ROOT, src)),
            timeout: self.limits.tool_timeout,
            workers,
            only,
        }
    }

    pub fn new(
        guard: Guard,
        go: Result<GoInstall, String>,
        cache_root: PathBuf,
        tmp_root: PathBuf,
        limits: Limits,
    ) -> Api {
        Api {
            guard,
            go,
            cache_root,
            tmp_root,
            builds: Arc::new(Semaphore::new(limits.concurrent_builds)),
            limits,
            counter: AtomicU64::new(0),
            binaries: Mutex::new(HashSet::new()),
            workspaces: Mutex::new(HashMap::new()),
            tool_runs: AtomicU64::new(0),
            tool_processes: AtomicU64::new(0),
            execs: AtomicU64::new(0),
        }
    }
}

/// A refusal: status and message, as `{"version":1,"error":…}`.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        tracing::warn!(status = self.0.as_u16(), error = %self.1, "refused");
        let body = json!({ "version": API_VERSION, "error": self.1 });
        (
            self.0,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

pub(crate) fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

/// The API routes, guarded; merge into the static site's router.
pub fn router(api: Arc<Api>) -> Router {
    let body_limit = api.limits.body_bytes;
    Router::new()
        .route("/api/v1/info", get(info))
        .route("/api/v1/build", post(build))
        .route("/api/v1/workspace", post(open_workspace))
        .route(
            "/api/v1/workspace/{n}",
            axum::routing::delete(close_workspace),
        )
        .route("/api/v1/workspace/{n}/exec", post(exec_action))
        .route(
            "/api/v1/workspace/{n}/run",
            post(crate::pagerun::run_actions),
        )
        .route("/api/v1/blob/{hex}", get(blob).put(put_blob))
        .route("/api/v1/outputs", post(crate::pagerun::fetch_outputs))
        .route("/api/v1/run/{hex}", post(run_binary))
        .route("/api/{*rest}", axum::routing::any(unknown_route))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(api.clone(), guard_layer))
        .with_state(api)
}

async fn unknown_route() -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        "no such API route (this helper speaks /api/v1/)".into(),
    )
}

fn header_str(h: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Host, Origin and token before anything else; CORS only for `--allow-origin` origins.
async fn guard_layer(State(api): State<Arc<Api>>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let (host, origin) = (header_str(h, header::HOST), header_str(h, header::ORIGIN));
    let extra_origin = origin
        .filter(|o| api.guard.allowed_origins.iter().any(|a| a == o))
        .map(str::to_string);
    if req.method() == Method::OPTIONS {
        // A preflight carries no token; answer it only for an allowed extra origin on our host.
        return match (
            api.guard.check(host, origin, Some(&api.guard.token)),
            &extra_origin,
        ) {
            (Ok(()), Some(o)) => {
                let mut r = StatusCode::NO_CONTENT.into_response();
                cors(r.headers_mut(), o);
                r.headers_mut().insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static("x-buildlab-token, content-type"),
                );
                r.headers_mut().insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET, POST"),
                );
                r
            }
            (Err(e), _) => refusal(e),
            (Ok(()), None) => ApiError(
                StatusCode::FORBIDDEN,
                "refused: no cross-origin access without --allow-origin".into(),
            )
            .into_response(),
        };
    }
    if let Err(e) = api.guard.check(host, origin, header_str(h, TOKEN_HEADER)) {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), "guard: {e}");
        let mut r = refusal(e);
        if let Some(o) = &extra_origin {
            cors(r.headers_mut(), o);
        }
        return r;
    }
    tracing::info!(method = %req.method(), path = %req.uri().path(), "api");
    let mut r = next.run(req).await;
    if let Some(o) = &extra_origin {
        cors(r.headers_mut(), o);
    }
    r
}

fn refusal(e: crate::guard::Refusal) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN);
    ApiError(status, e.to_string()).into_response()
}

fn cors(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn json_response(v: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

// ---------------------------------------------------------------------------------------------
// GET /api/v1/info
// ---------------------------------------------------------------------------------------------

async fn info(State(api): State<Arc<Api>>) -> Response {
    let l = &api.limits;
    let go = match &api.go {
        Ok(g) => {
            // Asks gcc once per helper (cached): not on the server's threads.
            let g2 = g.clone();
            let tc = tokio::task::spawn_blocking(move || crate::cli::real_toolchain(&g2, None))
                .await
                .unwrap_or_default();
            let mut v = json!({
                "available": true, "version": g.version, "goroot": g.goroot,
                "goos": g.goos, "goarch": g.goarch, "cgoEnabled": g.cgo_enabled,
                "cpus": tc.cpus,
            });
            // The page hashes it as the helper does (`CC ID=`): only with cgo on and gcc found.
            if !tc.cc_id.is_empty() {
                v["ccId"] = json!(tc.cc_id);
            }
            v
        }
        Err(why) => json!({ "available": false, "why": why }),
    };
    json_response(json!({
        "version": API_VERSION,
        "helper": format!("buildlab {}", env!("CARGO_PKG_VERSION")),
        "go": go,
        "plannedRoot": PLANNED_ROOT,
        "pageBuilds": true,
        "counters": {
            "toolRuns": api.tool_runs.load(Ordering::Relaxed),
            "toolProcesses": api.tool_processes.load(Ordering::Relaxed),
            "execs": api.execs.load(Ordering::Relaxed),
        },
        "limits": {
            "bodyBytes": l.body_bytes, "files": l.files, "totalBytes": l.total_bytes,
            "fileBytes": l.file_bytes, "pathLength": l.path_len,
            "toolTimeoutMs": l.tool_timeout.as_millis() as u64,
            "concurrentBuilds": l.concurrent_builds,
            "runTimeoutMs": l.run_timeout.as_millis() as u64, "runOutputBytes": l.run_output_bytes,
            "blobBytes": l.blob_bytes, "workspaceIdleMs": l.workspace_idle.as_millis() as u64,
        },
    }))
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/build
// ---------------------------------------------------------------------------------------------

/// The build request. Unknown fields are refused (there is no way to pass other flags).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildRequest {
    version: u32,
    files: Vec<FileIn>,
    #[serde(default)]
    flags: FlagsIn,
    /// Package patterns (`.`, `./...`, `./cmd/x`, import paths); default `.`.
    #[serde(default)]
    packages: Vec<String>,
    /// The directory the build runs in, relative to the workspace root; default the root.
    #[serde(default)]
    cwd: String,
    /// The content hash of the binary the page holds from an earlier build (go's "binary in
    /// place"): when it is current the link does not run again.
    #[serde(default)]
    binary: Option<String>,
    /// The digest of the plan the page made (`Plan::digest`): a workspace the helper plans
    /// differently is refused rather than run with command lines the page did not hash.
    #[serde(default, rename = "planDigest")]
    plan_digest: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    path: String,
    text: String,
}

/// The go build flags the page may set. `-work`, `-toolexec`… do not exist here.
/// `-o` only names where the page puts the binary: it changes the plan (the link-install's
/// target, so the plan digest), never what the helper writes (the binary stays in `$WORK` and
/// the store). `settings`: `-trimpath`, `-tags`, `-gcflags`, `-asmflags`, `-ldflags`, one word
/// each as the page parsed them, the tools' flags among them allow-listed
/// ([`crate::toolflags`]).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FlagsIn {
    #[serde(default)]
    x: bool,
    #[serde(default)]
    n: bool,
    #[serde(default)]
    a: bool,
    #[serde(default)]
    p: Option<usize>,
    #[serde(default)]
    o: Option<String>,
    #[serde(default)]
    settings: Vec<String>,
}

impl FlagsIn {
    /// What `-o` asks for, as the page's session decides it: a directory when the name ends in
    /// `/` or the workspace has files under it (relative to the cwd), else the binary's path.
    fn mode(&self, ws: &Workspace, cwd: &str) -> BuildMode {
        let flags = buildlab_core::goflags::BuildFlags {
            o: self.o.clone(),
            ..Default::default()
        };
        flags.mode(|o| {
            let dir = match cwd {
                "" | "." => format!("{o}/"),
                c => format!("{c}/{o}/"),
            };
            ws.iter().any(|(path, _)| path.starts_with(&dir))
        })
    }
}

/// A validated request: nothing has been written yet.
struct Validated {
    ws: Workspace,
    flags: FlagsIn,
    settings: buildlab_core::goflags::BuildSettings,
    patterns: Vec<String>,
    cwd: String,
    binary: Option<String>,
    plan_digest: Option<String>,
}

/// Characters allowed in file paths, patterns and the cwd: go's safe path characters, minus
/// everything a shell or a flag parser would treat specially (the helper uses neither, but a
/// name that needs quoting is refused rather than carried around).
fn safe_chars(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b'+' | b'~' | b'@')
    })
}

fn check_rel_path(what: &str, p: &str, limits: &Limits) -> Result<(), ApiError> {
    if p.is_empty() || p.len() > limits.path_len {
        return Err(bad(format!(
            "{what} {p:?}: empty or longer than {} bytes",
            limits.path_len
        )));
    }
    if p.starts_with('/') {
        return Err(bad(format!("{what} {p:?}: absolute paths are not allowed")));
    }
    if !safe_chars(p) {
        return Err(bad(format!(
            "{what} {p:?}: only letters, digits and . _ - / + ~ @ are allowed"
        )));
    }
    if p.split('/').any(|c| c == ".." || c == "." || c.is_empty())
        || normalize(p).as_deref() != Some(p)
    {
        return Err(bad(format!(
            "{what} {p:?}: must be a normalised relative path (no `..`, `.` or empty elements)"
        )));
    }
    if p.split('/').any(|c| c.starts_with('-')) {
        return Err(bad(format!(
            "{what} {p:?}: an element may not start with '-'"
        )));
    }
    Ok(())
}

fn validate(body: &[u8], limits: &Limits) -> Result<Validated, ApiError> {
    let req: BuildRequest =
        serde_json::from_slice(body).map_err(|e| bad(format!("bad build request: {e}")))?;
    if req.version != API_VERSION {
        return Err(bad(format!(
            "unsupported request version {} (this helper speaks {API_VERSION})",
            req.version
        )));
    }
    if req.files.is_empty() {
        return Err(bad("no files"));
    }
    if req.files.len() > limits.files {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{} files: the limit is {}", req.files.len(), limits.files),
        ));
    }
    let total: usize = req.files.iter().map(|f| f.text.len()).sum();
    if total > limits.total_bytes {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{total} bytes of files: the limit is {}",
                limits.total_bytes
            ),
        ));
    }
    let mut ws = Workspace::new();
    let mut dirs = HashSet::new();
    for f in &req.files {
        check_rel_path("file", &f.path, limits)?;
        if f.text.len() > limits.file_bytes {
            return Err(ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("file {:?}: larger than {} bytes", f.path, limits.file_bytes),
            ));
        }
        if ws.get(&f.path).is_some() {
            return Err(bad(format!("file {:?} is given twice", f.path)));
        }
        let mut d = f.path.as_str();
        while let Some((parent, _)) = d.rsplit_once('/') {
            dirs.insert(parent.to_string());
            d = parent;
        }
        ws.insert(&f.path, f.text.as_bytes().to_vec())
            .map_err(|e| bad(e.to_string()))?;
    }
    // A name that is both a file and a directory cannot be written as given.
    if let Some((p, _)) = ws.iter().find(|(p, _)| dirs.contains(*p)) {
        return Err(bad(format!(
            "file {p:?} is also a directory of other files"
        )));
    }
    if ws.get("go.mod").is_none() {
        return Err(bad("the workspace has no go.mod at its root"));
    }
    if req.packages.len() > limits.patterns {
        return Err(bad(format!(
            "more than {} package patterns",
            limits.patterns
        )));
    }
    for p in &req.packages {
        let rest = p.strip_prefix("./").unwrap_or(p);
        if p != "."
            && p != "./..."
            && !(rest.ends_with("/...")
                && check_rel_path("pattern", &rest[..rest.len() - 4], limits).is_ok())
        {
            check_rel_path("package pattern", rest, limits)?;
        }
    }
    if !req.cwd.is_empty() {
        check_rel_path("cwd", &req.cwd, limits)?;
    }
    if let Some(p) = req.flags.p {
        if !(1..=64).contains(&p) {
            return Err(bad(format!("flags.p {p}: must be 1..64")));
        }
    }
    if let Some(o) = &req.flags.o {
        // The helper never writes it, but a name it plans must be one the page could hold.
        let rel = o.strip_suffix('/').unwrap_or(o);
        if o != "/dev/null" {
            check_rel_path("flags.o", rel, limits)?;
        }
    }
    let settings = crate::toolflags::parse(&req.flags.settings).map_err(bad)?;
    if let Some(h) = &req.binary {
        if !is_hex64(h) {
            return Err(bad("binary: not a 64-digit lowercase hex content hash"));
        }
    }
    if let Some(h) = &req.plan_digest {
        if !is_hex64(h) {
            return Err(bad("planDigest: not a 64-digit lowercase hex digest"));
        }
    }
    let patterns = if req.packages.is_empty() {
        vec![".".to_string()]
    } else {
        req.packages
    };
    Ok(Validated {
        ws,
        flags: req.flags,
        settings,
        patterns,
        cwd: req.cwd,
        binary: req.binary,
        plan_digest: req.plan_digest,
    })
}

pub(crate) fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A per-build temporary directory, removed when dropped (also on panic or a dropped stream).
struct TempDir(PathBuf);

impl TempDir {
    fn new(root: &Path, tag: &str, n: u64) -> std::io::Result<TempDir> {
        let d = root.join(format!(
            "{tag}-{n}-{}",
            diskcache::now().rem_euclid(1_000_000_000)
        ));
        std::fs::create_dir(&d)?;
        Ok(TempDir(d))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the workspace under `dir`: plain directories and new files only (never through or as
/// a symlink: `create_new` fails on any existing entry).
fn write_workspace(ws: &Workspace, dir: &Path) -> std::io::Result<()> {
    for (p, data) in ws.iter() {
        let path = dir.join(p);
        let mut at = dir.to_path_buf();
        for c in p.split('/').take(p.split('/').count() - 1) {
            at.push(c);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(std::io::Error::other(format!(
                        "{p}: a parent is not a directory"
                    )))
                }
                Err(_) => std::fs::create_dir(&at)?,
            }
        }
        use std::io::Write;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?
            .write_all(data)?;
    }
    Ok(())
}

pub(crate) fn line(v: Value) -> Bytes {
    let mut s = v.to_string();
    s.push('\n');
    Bytes::from(s)
}

fn action_json(a: &TraceAction, output: &str) -> Value {
    let (cache, reason) = match &a.cache {
        CacheOutcome::Unknown => ("none", String::new()),
        CacheOutcome::Hit => ("hit", String::new()),
        CacheOutcome::UpToDate => ("up-to-date", String::new()),
        CacheOutcome::Miss { reason } => ("miss", reason.clone()),
    };
    let status = match a.status {
        Status::Ran => "ran",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::NoActor => "no-actor",
    };
    json!({
        "type": "actionEnd", "id": a.id, "mode": a.mode, "package": a.package, "lane": a.lane,
        "startUs": a.start_us, "endUs": a.end_us, "status": status, "cache": cache, "reason": reason,
        "spans": a.spans.iter().map(|s| json!({"kind": s.kind.as_str(), "startUs": s.start_us, "endUs": s.end_us})).collect::<Vec<_>>(),
        "output": output,
    })
}

/// A build or workspace request's body, read within the size limit and validated, and the Go
/// installation that will run it: 413 for an oversized body, 400 for an invalid one, 503 when
/// the helper found no Go.
/// Largest body of a request that carries no files (exec, run): what a plan's worth of action
/// IDs and cache entries needs, with room to spare.
const SMALL_BODY_BYTES: usize = 1 << 20;

/// The JSON body of a request that carries no files: over 1 MiB is 413, a body that does not
/// parse is 400, each naming the request (`what`: "exec", "run").
pub(crate) async fn small_json<T: serde::de::DeserializeOwned>(
    body: Body,
    what: &str,
) -> Result<T, ApiError> {
    let body = axum::body::to_bytes(body, SMALL_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("{what} request larger than 1 MiB"),
            )
        })?;
    serde_json::from_slice(&body).map_err(|e| bad(format!("bad {what} request: {e}")))
}

async fn read_build_request(api: &Api, body: Body) -> Result<(Validated, GoInstall), ApiError> {
    let limit = api.limits.body_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body larger than {limit} bytes"),
        )
    })?;
    let v = validate(&body, &api.limits)?;
    let go = installed_go(api)?;
    Ok((v, go))
}

/// The Go installation the helper found, or 503 saying why there is none.
fn installed_go(api: &Api) -> Result<GoInstall, ApiError> {
    api.go.clone().map_err(|why| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("no Go toolchain: {why}"),
        )
    })
}

/// What a request on open workspace `n` runs with: the Go installation (503 without one) and
/// the workspace (404 when it is not open), whose idle clock it restarts.
pub(crate) fn go_and_workspace(
    api: &Api,
    n: u64,
) -> Result<(GoInstall, Arc<OpenWorkspace>), ApiError> {
    let go = installed_go(api)?;
    let ws = api
        .workspaces
        .lock()
        .ok()
        .and_then(|m| m.get(&n).cloned())
        .ok_or_else(|| no_workspace(n))?;
    if let Ok(mut t) = ws.last_used.lock() {
        *t = Instant::now();
    }
    Ok((go, ws))
}

/// 409 naming the outputs (`what`: whose they are) the page holds and this helper's store does
/// not: the page uploads them (`PUT /api/v1/blob/<hex>`) and asks again.
pub(crate) fn missing_outputs_reply(what: &str, missing: Vec<String>) -> Response {
    let body = json!({
        "version": API_VERSION,
        "error": format!("{} {what} are not in this helper's store", missing.len()),
        "missing": missing,
    });
    (
        StatusCode::CONFLICT,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// One of the `--max-builds` slots (a build, or an open page workspace), or 429.
fn build_permit(api: &Api) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    api.builds.clone().try_acquire_owned().map_err(|_| {
        ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "{} builds are running: try again when one ends",
                api.limits.concurrent_builds
            ),
        )
    })
}

async fn build(State(api): State<Arc<Api>>, body: Body) -> Result<Response, ApiError> {
    let (v, go) = read_build_request(&api, body).await?;
    let permit = build_permit(&api)?;
    let n = api.counter.fetch_add(1, Ordering::Relaxed) + 1;
    let api2 = api.clone();
    Ok(ndjson_stream(move |send| {
        let _permit = permit;
        let started = Instant::now();
        match run_build(&api2, &go, v, n, send) {
            Ok(()) => tracing::info!(
                build = n,
                ms = started.elapsed().as_millis() as u64,
                "build done"
            ),
            Err(e) => {
                tracing::error!(build = n, "build failed: {e}");
                send(json!({"type": "error", "message": e}));
            }
        }
    }))
}

/// Runs `job` on the blocking pool and answers with what it sends, one NDJSON line per value as
/// it is sent (the build and run routes' progress); the stream ends when `job` returns.
pub(crate) fn ndjson_stream(job: impl FnOnce(&dyn Fn(Value)) + Send + 'static) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::convert::Infallible>>(256);
    tokio::task::spawn_blocking(move || {
        job(&|v: Value| {
            let _ = tx.blocking_send(Ok(line(v)));
        })
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Body::from_stream(stream))
        .expect("a response")
}

fn run_build(
    api: &Api,
    go: &GoInstall,
    v: Validated,
    n: u64,
    send: &dyn Fn(Value),
) -> Result<(), String> {
    let tmp = TempDir::new(&api.tmp_root, "build", n)
        .map_err(|e| format!("creating the build directory: {e}"))?;
    let src = tmp.0.join("src");
    let work = tmp.0.join("work");
    std::fs::create_dir(&src)
        .and_then(|_| std::fs::create_dir(&work))
        .map_err(|e| format!("creating $WORK: {e}"))?;
    write_workspace(&v.ws, &src).map_err(|e| format!("writing the workspace: {e}"))?;

    let fail = |text: String| {
        send(
            json!({"type": "done", "version": API_VERSION, "exitStatus": 1, "transcript": text,
            "chunks": [], "trace": Value::Null, "binary": Value::Null, "toolRuns": 0}),
        );
        Ok(())
    };
    let tc = crate::cli::real_toolchain(go, v.flags.p);
    let plan = match plan_workspace(go, &v) {
        Ok(p) => p,
        Err(text) => return fail(text),
    };
    let mut cache = DiskCache::open(DiskFs::new(&api.cache_root));
    let module = plan
        .input()
        .modules
        .first()
        .map(|m| m.path.clone())
        .unwrap_or_default();
    let record_path = diskcache::record_path(
        &api.cache_root,
        Path::new(&format!("{PLANNED_ROOT}#{module}")),
    );
    let record = diskcache::load_record(&record_path);
    // The binary in place: the one the page holds, if this store has it.
    let target = v.binary.as_deref().and_then(|h| {
        let data =
            DiskFs::new(&api.cache_root).read(&DirCache::<DiskFs>::output_file(&parse_hex(h)?))?;
        realbuild::exe_build_id(&data[..data.len().min(1 << 20)])
    });
    let now = diskcache::now();
    let workers = schedule::workers(v.flags.p, tc.cpus, v.flags.n);
    let mut cfg = Config {
        print: transcript::Flags {
            x: v.flags.x,
            n: v.flags.n,
            work: false,
        },
        workers,
        now,
        work_dir: work.to_string_lossy().into_owned(),
        gocache: api.cache_root.to_string_lossy().into_owned(),
        ..Config::default()
    };
    cfg.flags.force = v.flags.a;
    send(json!({
        "type": "start", "version": API_VERSION, "build": n, "goVersion": go.version, "workers": workers,
        "actions": plan.actions().map(|(a, x)| json!({
            "id": x.id, "mode": x.mode.as_str(), "package": plan.package_path(a),
            "deps": x.deps.iter().map(|&d| plan.action(d).id).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }));
    // Workspace paths are relative to the planned root, not to the request's cwd.
    let files = WorkspaceFiles {
        ws: &v.ws,
        root: PLANNED_ROOT.into(),
    };
    let setup = api.page_setup(go, &work, &src, workers, None);
    let mut on = |e: Event| match e {
        Event::Started { job, at_us } => send(json!({
            "type": "actionStart", "id": plan.action(job.action).id, "key": job.key, "lane": job.lane, "atUs": at_us,
        })),
        Event::Finished { action, output } => send(action_json(&action, &output)),
        Event::Ran(_) => {}
    };
    let out = realbuild::run(
        &plan,
        &files,
        &mut cache,
        &record,
        target.as_deref(),
        cfg,
        &setup,
        &mut on,
    );
    let result = out.result;
    // The binary: the one just linked (stored by content), or the current one the page holds.
    let mut binary = Value::Null;
    if let Some(exe) = &out.exe {
        let bytes = std::fs::read(exe).map_err(|e| format!("reading the linked binary: {e}"))?;
        let d = Digest::of(&bytes);
        let mut fs = DiskFs::new(&api.cache_root);
        let name = DirCache::<DiskFs>::output_file(&d);
        fs.mkdir(&name[..2]);
        fs.write(&name, &bytes, now);
        let hex = d.to_hex();
        api.binaries.lock().map_err(|_| "lock")?.insert(hex.clone());
        binary = json!({"hex": hex, "size": bytes.len(), "buildId": realbuild::exe_build_id(&bytes[..bytes.len().min(1 << 20)])});
    } else if let (Some(h), Some(id)) = (&v.binary, &target) {
        if result.exit_status == 0 && plan.action(plan.root()).mode == Mode::LinkInstall {
            api.binaries.lock().map_err(|_| "lock")?.insert(h.clone());
            binary = json!({"hex": h, "buildId": id, "upToDate": true});
        }
    }
    if !v.flags.n {
        let _ = diskcache::save_record(&record_path, &result.report.record);
        let _ = buildlab_core::cache::Cache::trim(&mut cache, now);
    }
    let chunks: Vec<Value> = result
        .transcript
        .chunks
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ChunkKind::WorkDir => "workDir",
                ChunkKind::Banner => "banner",
                ChunkKind::Commands => "commands",
                ChunkKind::ToolOutput => "toolOutput",
            };
            json!({"action": c.action.map(|a| plan.action(a).id), "kind": kind, "text": c.text})
        })
        .collect();
    send(json!({
        "type": "done", "version": API_VERSION, "exitStatus": result.exit_status,
        "transcript": result.transcript.text(), "chunks": chunks,
        "trace": serde_json::from_str::<Value>(&trace::to_chrome_trace(&result.trace)).unwrap_or(Value::Null),
        "binary": binary, "toolRuns": out.tool_runs, "wallMs": result.wall_ms,
    }));
    drop(tmp);
    Ok(())
}

/// Loads and plans the workspace as the real toolchain builds it (go's own `CGO_ENABLED`, at
/// [`PLANNED_ROOT`]); on failure, go's error text.
fn plan_workspace(go: &GoInstall, v: &Validated) -> Result<buildlab_core::plan::Plan, String> {
    let mut ctx = BuildContext::new(&go.goos, &go.goarch);
    ctx.cgo_enabled = go.cgo_enabled;
    let req = LoadRequest {
        cwd: v.cwd.clone(),
        patterns: v.patterns.clone(),
        ctx,
        goroot: go.goroot.clone(),
        module_root_display: PLANNED_ROOT.into(),
        mode: v.flags.mode(&v.ws, &v.cwd),
        settings: v.settings.clone(),
    };
    let loaded = load(&v.ws, &req).map_err(|e| format!("{e}\n"))?;
    let tc = crate::cli::real_toolchain(go, v.flags.p);
    plan(loaded.input, &tc).map_err(|errs| errs.iter().map(|e| format!("{e}\n")).collect())
}

fn parse_hex(h: &str) -> Option<Digest> {
    is_hex64(h)
        .then(|| buildlab_core::object::parse_hex(h))
        .flatten()
}

// ---------------------------------------------------------------------------------------------
// The page-driven build: POST /api/v1/workspace, POST /api/v1/workspace/<n>/exec,
// DELETE /api/v1/workspace/<n>, PUT /api/v1/blob/<hex>
//
// The page's core plans, hashes and looks every action up in its own cache (IndexedDB); only its
// misses come here, one request per action, naming the action by its id in the plan the helper
// made itself of the same files (checked equal by `planDigest`), the build ID the page chose and
// its dependencies' outputs by content hash. The helper runs that action's own steps and keeps
// the output in its store: a dependent's request then names it, nothing is re-sent.
// ---------------------------------------------------------------------------------------------

/// A workspace a page opened to have its build's misses run: sources and `$WORK` in a
/// temporary directory (removed when the page closes it, or after `workspace_idle`), and the plan
/// the helper made of them itself.
pub(crate) struct OpenWorkspace {
    dir: TempDir,
    pub(crate) plan: buildlab_core::plan::Plan,
    /// Action id (as the page names it) → the action.
    pub(crate) by_id: HashMap<usize, buildlab_core::plan::ActionIx>,
    pub(crate) last_used: Mutex<Instant>,
    /// When the workspace was opened: the clock of the exec replies' `slotMs`.
    pub(crate) opened: Instant,
    /// The build's `-p` slots: a page keeps more actions in flight than that (so that the tools
    /// never wait for the page's own work between two actions), and the helper runs at most
    /// `-p` at once, in the order they came, as go's workers would.
    pub(crate) slots: Arc<Semaphore>,
    /// Which slots are busy (a slot is the action's lane on the page's timeline).
    pub(crate) lanes: Mutex<Vec<bool>>,
    /// The files as the page sent them: what a run request's action IDs are hashed over.
    pub(crate) files: Workspace,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl OpenWorkspace {
    pub(crate) fn src(&self) -> PathBuf {
        self.dir.0.join("src")
    }
    pub(crate) fn work(&self) -> PathBuf {
        self.dir.0.join("work")
    }
}

/// Removes workspaces idle for longer than the limit (a page that went away without closing).
fn reap_idle(api: &Api) {
    let idle = api.limits.workspace_idle;
    if let Ok(mut m) = api.workspaces.lock() {
        m.retain(|_, w| {
            w.last_used
                .lock()
                .map(|t| t.elapsed() < idle)
                .unwrap_or(false)
        });
    }
}

async fn open_workspace(State(api): State<Arc<Api>>, body: Body) -> Result<Response, ApiError> {
    let (v, go) = read_build_request(&api, body).await?;
    reap_idle(&api);
    let permit = build_permit(&api)?;
    let api2 = api.clone();
    tokio::task::spawn_blocking(move || open_blocking(&api2, &go, v, permit))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

fn open_blocking(
    api: &Api,
    go: &GoInstall,
    v: Validated,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Result<Response, ApiError> {
    let internal = |e: String| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e);
    let n = api.counter.fetch_add(1, Ordering::Relaxed) + 1;
    let plan =
        plan_workspace(go, &v).map_err(|text| ApiError(StatusCode::UNPROCESSABLE_ENTITY, text))?;
    let digest = plan.digest();
    if let Some(theirs) = v.plan_digest.as_deref().filter(|d| *d != digest) {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!(
                "the helper plans this workspace differently from the page (plan digest {digest}, the page's {theirs}): the page and the helper come from different Buildlab builds, or the page planned for another Go"
            ),
        ));
    }
    let dir = TempDir::new(&api.tmp_root, "ws", n)
        .map_err(|e| internal(format!("creating the workspace directory: {e}")))?;
    let workers = schedule::workers(
        v.flags.p,
        crate::cli::real_toolchain(go, v.flags.p).cpus,
        false,
    );
    let ws = OpenWorkspace {
        by_id: plan.actions().map(|(a, x)| (x.id, a)).collect(),
        plan,
        last_used: Mutex::new(Instant::now()),
        opened: Instant::now(),
        slots: Arc::new(Semaphore::new(workers)),
        lanes: Mutex::new(vec![false; workers]),
        files: v.ws.clone(),
        _permit: permit,
        dir,
    };
    std::fs::create_dir(ws.src())
        .and_then(|_| std::fs::create_dir(ws.work()))
        .map_err(|e| internal(format!("creating $WORK: {e}")))?;
    write_workspace(&v.ws, &ws.src())
        .map_err(|e| internal(format!("writing the workspace: {e}")))?;
    let actions = ws.by_id.len();
    api.workspaces
        .lock()
        .map_err(|_| internal("lock".into()))?
        .insert(n, Arc::new(ws));
    tracing::info!(workspace = n, actions, "workspace opened");
    Ok(json_response(json!({
        "version": API_VERSION, "workspace": n, "planDigest": digest, "actions": actions,
        "goVersion": go.version,
    })))
}

async fn close_workspace(
    State(api): State<Arc<Api>>,
    UrlPath(n): UrlPath<u64>,
) -> Result<Response, ApiError> {
    let gone = api.workspaces.lock().ok().and_then(|mut m| m.remove(&n));
    match gone {
        // The directory goes when the last running action lets go of it.
        Some(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        None => Err(no_workspace(n)),
    }
}

pub(crate) fn no_workspace(n: u64) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        format!("no workspace {n} (closed, expired after being idle, or the helper restarted)"),
    )
}

/// One action to run: by its id in the helper's plan, never by command line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExecRequest {
    version: u32,
    action: usize,
    /// What replaces `@BUILDID@` in the action's steps (the page's core chose it).
    build_id: String,
    /// The dependencies' outputs, by content hash in the store.
    #[serde(default)]
    inputs: Vec<ExecInput>,
    /// Send the archive in the reply's body after the JSON (one request per action instead of
    /// a second one for the blob): `application/x-buildlab-exec`, the JSON, `\n`, the bytes.
    #[serde(default)]
    inline: bool,
}

/// The media type of an exec reply that carries its archive: one line of JSON, then the bytes.
pub const EXEC_INLINE_TYPE: &str = "application/x-buildlab-exec";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecInput {
    action: usize,
    hex: String,
}

/// A build ID as core renders them: base64url parts joined by `/`.
pub(crate) fn valid_build_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.split('/').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

async fn exec_action(
    State(api): State<Arc<Api>>,
    UrlPath(n): UrlPath<u64>,
    body: Body,
) -> Result<Response, ApiError> {
    let req: ExecRequest = small_json(body, "exec").await?;
    if req.version != API_VERSION {
        return Err(bad(format!(
            "unsupported request version {} (this helper speaks {API_VERSION})",
            req.version
        )));
    }
    let (go, ws) = go_and_workspace(&api, n)?;
    let &a = ws
        .by_id
        .get(&req.action)
        .ok_or_else(|| bad(format!("workspace {n} has no action {}", req.action)))?;
    let x = ws.plan.action(a);
    if !matches!(x.mode, Mode::Build | Mode::Link | Mode::LinkInstall) {
        return Err(bad(format!(
            "action {} ({} {}) runs no tool",
            req.action,
            x.mode.as_str(),
            ws.plan.package_path(a)
        )));
    }
    if !valid_build_id(&req.build_id) {
        return Err(bad(
            "buildId: base64url parts joined by '/' (at most 256 bytes)",
        ));
    }
    let mut archives = HashMap::new();
    let mut missing = Vec::new();
    for i in &req.inputs {
        let dep = ws
            .by_id
            .get(&i.action)
            .copied()
            .filter(|d| x.deps.contains(d))
            .ok_or_else(|| {
                bad(format!(
                    "input {}: not a dependency of action {}",
                    i.action, req.action
                ))
            })?;
        let path = blob_path(&api, &i.hex)?;
        if !path.is_file() {
            missing.push(i.hex.clone());
        }
        archives.insert(dep, path);
    }
    if !missing.is_empty() {
        // The page holds these (from its cache) and this store does not: it uploads them.
        return Ok(missing_outputs_reply("dependency outputs", missing));
    }
    // Wait for one of the build's -p slots: the page sends more than -p actions at once.
    let queued = Instant::now();
    let slot = ws
        .slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| no_workspace(n))?;
    let queued_ms = queued.elapsed().as_secs_f64() * 1e3;
    let since_open = |t: Instant| t.duration_since(ws.opened).as_secs_f64() * 1e3;
    let acquired_ms = since_open(Instant::now());
    let lane = Lane::take(&ws);
    api.execs.fetch_add(1, Ordering::Relaxed);
    let api2 = api.clone();
    let ws2 = ws.clone();
    let (mut r, archive) = tokio::task::spawn_blocking(move || {
        exec_blocking(&api2, &go, &ws2, a, &archives, &req.build_id)
    })
    .await
    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    r["queuedMs"] = json!(queued_ms);
    r["lane"] = json!(lane.0 + 1);
    // When the action held its slot, in ms since the workspace was opened: one clock for all
    // of a build's actions, so that which ran at once can be told from the replies.
    r["slotMs"] = json!([acquired_ms, since_open(Instant::now())]);
    drop((lane, slot));
    match archive.filter(|_| req.inline) {
        Some(bytes) => {
            let mut body = r.to_string().into_bytes();
            body.push(b'\n');
            body.extend_from_slice(&bytes);
            Ok((
                [
                    (header::CONTENT_TYPE, EXEC_INLINE_TYPE),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                body,
            )
                .into_response())
        }
        None => Ok(json_response(r)),
    }
}

/// A busy slot of a workspace (its lane), freed when dropped.
struct Lane(usize, Arc<OpenWorkspace>);

impl Lane {
    fn take(ws: &Arc<OpenWorkspace>) -> Lane {
        let mut lanes = ws.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let i = lanes.iter().position(|b| !b).unwrap_or(0);
        if let Some(b) = lanes.get_mut(i) {
            *b = true;
        }
        Lane(i, ws.clone())
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        let mut lanes = self.1.lanes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = lanes.get_mut(self.0) {
            *b = false;
        }
    }
}

fn exec_blocking(
    api: &Api,
    go: &GoInstall,
    ws: &OpenWorkspace,
    a: buildlab_core::plan::ActionIx,
    archives: &HashMap<buildlab_core::plan::ActionIx, PathBuf>,
    build_id: &str,
) -> Result<(Value, Option<Vec<u8>>), ApiError> {
    let (src, work) = (ws.src(), ws.work());
    let setup = api.page_setup(go, &work, &src, 1, None);
    let started = Instant::now();
    let (r, artifact) = realbuild::exec_one(&ws.plan, a, archives, build_id, &setup);
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    let (res, error) = match r {
        Ok(res) => (res, None),
        Err(e) => (
            realtools::ExecResult::default(),
            Some(format!("buildlab: {e}\n")),
        ),
    };
    api.tool_runs
        .fetch_add(res.runs.len() as u64, Ordering::Relaxed);
    api.tool_processes
        .fetch_add(res.processes as u64, Ordering::Relaxed);
    // Every step for the timeline; `internal` ones (buildid -w, pack r) ran in the helper itself.
    let runs: Vec<Value> = res
        .runs
        .iter()
        .map(|r| {
            let mut v = json!({"tool": r.tool, "startMs": r.start.as_secs_f64() * 1e3, "ms": r.took.as_secs_f64() * 1e3});
            if r.internal {
                v["internal"] = json!(true);
            }
            v
        })
        .collect();
    let store = |bytes: &[u8], from: Option<&Path>| {
        store_blob(&api.cache_root, bytes, from).map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("storing the output: {e}"),
            )
        })
    };
    let (mut archive, mut binary) = (Value::Null, Value::Null);
    let mut bytes_out = None;
    match artifact {
        realbuild::Artifact::Archive { bytes, path } => {
            archive = json!({"hex": store(&bytes, Some(&path))?, "size": bytes.len()});
            bytes_out = Some(bytes);
        }
        realbuild::Artifact::Binary(b) => {
            let hex = store(&b, None)?;
            api.binaries
                .lock()
                .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "lock".into()))?
                .insert(hex.clone());
            binary = json!({"hex": hex, "size": b.len(),
                "buildId": realbuild::exe_build_id(&b[..b.len().min(1 << 20)])});
        }
        realbuild::Artifact::None => {}
    }
    let ok = error.is_none() && res.success;
    let reply = json!({
        "version": API_VERSION, "ok": ok,
        "output": format!("{}{}", res.output, error.unwrap_or_default()),
        "failedStep": res.failed_step, "runs": runs, "wallMs": wall_ms,
        "archive": archive, "binary": binary,
    });
    Ok((reply, bytes_out))
}

/// Puts `bytes` into the content-addressed store under their hash: a fresh temporary file
/// renamed into place (readers never see a partial blob). Not synced to disk, as go does not
/// sync its cache: a blob lost in a crash is named missing (409) and sent again, or rebuilt.
/// `from`, a file holding exactly `bytes` that nothing else needs (an archive in `$WORK`), is
/// renamed into place instead of writing the bytes again, when it is on the same file system.
pub(crate) fn store_blob(
    root: &Path,
    bytes: &[u8],
    from: Option<&Path>,
) -> std::io::Result<String> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let d = Digest::of(bytes);
    let path = root.join(DirCache::<DiskFs>::output_file(&d));
    if !path.is_file() {
        let dir = path.parent().unwrap_or(root);
        std::fs::create_dir_all(dir)?;
        if from.is_some_and(|f| std::fs::rename(f, &path).is_ok()) {
            return Ok(d.to_hex());
        }
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".blob-{}-{n}.tmp", std::process::id()));
        let r = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &path));
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        r?;
    }
    Ok(d.to_hex())
}

/// A blob the page holds and this store lacks (a dependency's output from the page's cache):
/// stored under its content hash after checking that the bytes hash to it.
async fn put_blob(
    State(api): State<Arc<Api>>,
    UrlPath(hex): UrlPath<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let path = blob_path(&api, &hex)?;
    let limit = api.limits.blob_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("blob larger than {limit} bytes"),
        )
    })?;
    if Digest::of(&bytes).to_hex() != hex {
        return Err(bad(format!("the body does not hash to {hex}")));
    }
    if !path.is_file() {
        store_blob(&api.cache_root, &bytes, None).map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("storing the blob: {e}"),
            )
        })?;
    }
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"version": API_VERSION, "hex": hex, "size": bytes.len()}).to_string(),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// GET /api/v1/blob/<hex>, POST /api/v1/run/<hex>
// ---------------------------------------------------------------------------------------------

pub(crate) fn blob_path(api: &Api, hex: &str) -> Result<PathBuf, ApiError> {
    let d = parse_hex(hex).ok_or_else(|| bad("not a 64-digit lowercase hex content hash"))?;
    Ok(api.cache_root.join(DirCache::<DiskFs>::output_file(&d)))
}

async fn blob(
    State(api): State<Arc<Api>>,
    UrlPath(hex): UrlPath<String>,
) -> Result<Response, ApiError> {
    let path = blob_path(&api, &hex)?;
    // One read on the blocking pool, one body: a blob is at most `blob_bytes` (an archive, a
    // binary), and a chunked stream cost a blocking-pool round trip per 64 KiB (≈ 1,150 for
    // one cold build's 75 MB of archives).
    let bytes = tokio::fs::read(&path).await.map_err(|_| {
        ApiError(
            StatusCode::NOT_FOUND,
            format!("no blob {hex} in this helper's store"),
        )
    })?;
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, bytes.len())
        .header(header::ETAG, format!("\"{hex}\""))
        .header(
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        )
        .body(Body::from(bytes))
        .expect("a response"))
}

async fn run_binary(
    State(api): State<Arc<Api>>,
    UrlPath(hex): UrlPath<String>,
) -> Result<Response, ApiError> {
    let path = blob_path(&api, &hex)?;
    let known = api
        .binaries
        .lock()
        .map(|b| b.contains(&hex))
        .unwrap_or(false);
    if !known {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("{hex} is not a binary this helper built"),
        ));
    }
    let api2 = api.clone();
    let r = tokio::task::spawn_blocking(move || run_exe(&api2, &path))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    Ok(json_response(r))
}

fn run_exe(api: &Api, blob: &Path) -> Result<Value, ApiError> {
    let n = api.counter.fetch_add(1, Ordering::Relaxed) + 1;
    let internal = |e: std::io::Error| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("running the binary: {e}"),
        )
    };
    let data = std::fs::read(blob).map_err(|_| {
        ApiError(
            StatusCode::NOT_FOUND,
            "the binary is no longer in the store".into(),
        )
    })?;
    if !data.starts_with(b"\x7fELF") {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not an executable".into(),
        ));
    }
    let tmp = TempDir::new(&api.tmp_root, "run", n).map_err(internal)?;
    let exe = tmp.0.join("a.out");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o700)
            .open(&exe)
            .map_err(internal)?;
        f.write_all(&data).map_err(internal)?;
    }
    let started = Instant::now();
    let mut child = std::process::Command::new(&exe)
        .current_dir(&tmp.0)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &tmp.0)
        .env("TMPDIR", &tmp.0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(internal)?;
    let cap = api.limits.run_output_bytes;
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let (mut kept, mut truncated) = (Vec::new(), false);
            if let Some(mut r) = r {
                let mut buf = [0u8; 8192];
                while let Ok(k) = r.read(&mut buf) {
                    if k == 0 {
                        break;
                    }
                    let room = cap.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..k.min(room)]);
                    truncated |= k > room;
                }
            }
            (kept, truncated)
        })
    };
    let t_out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    );
    let t_err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    );
    let deadline = started + api.limits.run_timeout;
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().map_err(internal)? {
            break Some(st);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (out, out_trunc) = t_out.join().unwrap_or_default();
    let (err, err_trunc) = t_err.join().unwrap_or_default();
    drop(tmp);
    Ok(json!({
        "version": API_VERSION,
        "exitStatus": status.and_then(|s| s.code()),
        "timedOut": timed_out,
        "stdout": String::from_utf8_lossy(&out),
        "stderr": String::from_utf8_lossy(&err),
        "truncated": out_trunc || err_trunc,
        "wallMs": started.elapsed().as_secs_f64() * 1e3,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(files: &[(&str, &str)], extra: &str) -> Vec<u8> {
        let files: Vec<Value> = files
            .iter()
            .map(|(p, t)| json!({"path": p, "text": t}))
            .collect();
        let mut v = json!({"version": 1, "files": files});
        if !extra.is_empty() {
            let e: Value = serde_json::from_str(extra).unwrap();
            for (k, x) in e.as_object().unwrap() {
                v[k] = x.clone();
            }
        }
        v.to_string().into_bytes()
    }

    #[test]
    fn validation_refuses_what_it_must() {
        let l = Limits::default();
        let ok = [("go.mod", "module m\n"), ("main.go", "package main\n")];
        assert!(validate(&req(&ok, ""), &l).is_ok());
        assert!(validate(
            &req(
                &ok,
                r#"{"packages": ["./...", "./a/b", "example.com/m/x"], "cwd": "a"}"#
            ),
            &l
        )
        .is_ok());
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("go.mod", "m"), ("../x.go", "")], ""),
            (&[("go.mod", "m"), ("/etc/x.go", "")], ""),
            (&[("go.mod", "m"), ("a/./x.go", "")], ""),
            (&[("go.mod", "m"), ("a//x.go", "")], ""),
            (&[("go.mod", "m"), ("a;rm -rf ~.go", "")], ""),
            (&[("go.mod", "m"), ("a", ""), ("a/b.go", "")], ""),
            (&[("go.mod", "m"), ("-x.go", "")], ""),
            (&[("main.go", "package main")], ""),
            (&ok, r#"{"flags": {"o": "/tmp/x"}}"#),
            (&ok, r#"{"flags": {"toolexec": "sh"}}"#),
            (&ok, r#"{"packages": ["-toolexec=sh"]}"#),
            (&ok, r#"{"packages": ["../.."]}"#),
            (&ok, r#"{"cwd": "/tmp"}"#),
            (&ok, r#"{"binary": "../../etc/passwd"}"#),
            (&ok, r#"{"version": 2}"#),
            (&ok, r#"{"argv": ["go", "build"]}"#),
        ];
        for (files, extra) in cases {
            let e = validate(&req(files, extra), &l)
                .err()
                .unwrap_or_else(|| panic!("accepted {files:?} {extra}"));
            assert!(e.0.is_client_error(), "{e:?}");
        }
    }
}
