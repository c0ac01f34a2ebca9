//! The wire types between wasm and the page's JavaScript. Only this module derives `Serialize`;
//! domain types in `buildlab-core` stay Rust-only. Field names are the JS names.

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsError, JsValue};

use crate::jsread;

/// Serializes a DTO into a plain JS object (maps as objects, not `Map`).
pub fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileHash {
    pub path: String,
    pub blake3: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub module: String,
    pub files: Vec<FileHash>,
    pub digest: String,
}

impl From<buildlab_core::sample::Summary> for Summary {
    fn from(s: buildlab_core::sample::Summary) -> Self {
        Summary {
            module: s.module,
            files: s
                .files
                .into_iter()
                .map(|(path, blake3)| FileHash { path, blake3 })
                .collect(),
            digest: s.digest,
        }
    }
}

/// The skeleton's one IndexedDB record.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VisitRecord {
    pub digest: String,
    pub visits: u32,
}

impl VisitRecord {
    /// The stored record, read by hand (`crate::jsread`); `None` if it is not one.
    pub fn from_js(v: &JsValue) -> Option<Self> {
        Some(VisitRecord {
            digest: jsread::string(v, "digest").ok()??,
            visits: u32::try_from(jsread::count(v, "visits").ok()??).ok()?,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    pub previous: Option<VisitRecord>,
    pub current: VisitRecord,
}

// ---------------------------------------------------------------------------------------------
// The Lab API (version 1 of this wire format: field names and enum tags are the contract)
// ---------------------------------------------------------------------------------------------

/// One file handed in by the page.
pub struct FileIn {
    pub path: String,
    pub text: String,
}

impl FileIn {
    /// `loadFiles`' `[{path, text}]`, both fields required (read by hand: `crate::jsread`).
    pub fn list_from_js(v: &JsValue) -> Result<Vec<FileIn>, JsError> {
        let items = jsread::array(v)
            .ok_or_else(|| JsError::new("invalid type: the files must be an array"))?;
        items
            .iter()
            .map(|f| {
                Ok(FileIn {
                    path: jsread::required_string(&f, "path")?,
                    text: jsread::required_string(&f, "text")?,
                })
            })
            .collect()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Loaded {
    pub files: usize,
    /// The txtar comment (the text before the first file), if any.
    pub comment: String,
}

/// `plan({patterns, cwd})`; both optional.
#[derive(Default)]
pub struct PlanOptions {
    pub patterns: Vec<String>,
    pub cwd: String,
}

impl PlanOptions {
    /// Reads the options by hand (`crate::jsread`); `undefined` is every default.
    pub fn from_js(v: &JsValue) -> Result<Self, JsError> {
        jsread::options(v)?;
        Ok(PlanOptions {
            patterns: jsread::strings(v, "patterns")?.unwrap_or_default(),
            cwd: jsread::string(v, "cwd")?.unwrap_or_default(),
        })
    }
}

/// `build({force})`; all optional. The later scheduler-driven build adds `-x -n -work -p`.
#[derive(Default)]
pub struct BuildOptions {
    /// `-a`.
    pub force: bool,
}

impl BuildOptions {
    /// Reads the options by hand (`crate::jsread`); `undefined` is every default.
    pub fn from_js(v: &JsValue) -> Result<Self, JsError> {
        jsread::options(v)?;
        Ok(BuildOptions {
            force: jsread::boolean(v, "force")?.unwrap_or_default(),
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    pub import_path: String,
    /// Workspace-relative directory; absent for the standard library.
    pub dir: Option<String>,
    pub standard: bool,
    /// Named on the command line.
    pub root: bool,
    /// The files it builds from: Go, assembly, headers, C, embedded.
    pub files: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// The `-debug-actiongraph` ID.
    pub id: usize,
    pub mode: &'static str,
    pub package: Option<String>,
    /// `b001`.
    pub workdir: Option<String>,
    pub priority: usize,
    pub deps: Vec<usize>,
    pub target: Option<String>,
}

/// One error, with go's text and (when it points into the workspace) where.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanErrorDto {
    pub text: String,
    pub path: Option<String>,
    pub line: Option<usize>,
    pub col: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub ok: bool,
    pub packages: Vec<Package>,
    pub actions: Vec<Action>,
    pub errors: Vec<PlanErrorDto>,
    /// What `go build` prints on stderr (go's exact text), empty when planning succeeded.
    pub error_text: String,
    pub warnings: Vec<String>,
}

/// Where the cache lives.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    /// `"indexeddb"` or `"memory"`.
    pub mode: &'static str,
    /// Why the cache is in memory.
    pub reason: Option<String>,
}

/// Something that happened in a build, in order. Today: one `action` event per action with an
/// outcome, then `corrupt` and `storageFallback` notes; the scheduler-driven build will add
/// start/finish events with times.
#[derive(Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    Action {
        id: usize,
        /// `build P` or `link P`.
        key: String,
        mode: &'static str,
        package: String,
        /// `hit`, `up-to-date` or `miss`.
        outcome: &'static str,
        /// For a miss: `forced`, `no-entry`, `corrupt`, `inputs-changed`, `link-not-cached`,
        /// `target-missing`.
        reason: Option<&'static str>,
        /// The why-rebuilt text (the chain down to the changed input).
        why: Option<String>,
        build_id: String,
    },
    /// A corrupt cache entry met on lookup: a miss, its records deleted, the action rebuilt.
    Corrupt { file: String, reason: String },
    /// The cache could not be written: it is in memory for the rest of the session.
    StorageFallback {
        quota_exceeded: bool,
        message: String,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheTraffic {
    pub read_transactions: u32,
    pub read_rounds: u32,
    pub lookups: u32,
    pub found: u32,
    pub write_transactions: u32,
    pub puts: u32,
    pub deletes: u32,
    pub trimmed: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Build {
    pub ok: bool,
    /// `predict()` rather than `build()`: nothing ran, nothing was stored.
    pub predicted: bool,
    pub compiled: Vec<String>,
    pub asm_runs: usize,
    pub link_runs: usize,
    /// Keys (`build P`, `link P`) of the actions that ran (or would run).
    pub ran: Vec<String>,
    /// The build ID of the binary in place afterwards.
    pub target: Option<String>,
    pub events: Vec<Event>,
    pub cache: CacheTraffic,
    pub storage: Storage,
    /// Set when planning failed (then nothing else is filled).
    pub plan_errors: Option<Plan>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheFile {
    /// `ab/ab12…-a`, as in GOCACHE.
    pub name: String,
    pub size: u64,
    /// Last used (the file's mtime), Unix ms.
    pub used_ms: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheSize {
    /// Sum of the file sizes.
    pub bytes: u64,
    /// `du -s` in bytes (4 KiB blocks per file and directory).
    pub du_bytes: u64,
    /// `du -sh`'s figure: `1.2M`.
    pub du: String,
    pub files: usize,
    pub storage: Storage,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageInfo {
    pub storage: Storage,
    pub persisted: Option<bool>,
    pub usage: Option<f64>,
    pub quota: Option<f64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceAction {
    pub id: usize,
    pub mode: String,
    pub package: String,
    pub deps: Vec<usize>,
    pub lane: Option<usize>,
    pub start_us: f64,
    pub end_us: f64,
    pub kind: &'static str,
    pub status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// `simulated`, `go-trace` or `go-actiongraph`.
    pub origin: &'static str,
    pub root: String,
    pub lanes: usize,
    pub wall_ms: f64,
    pub actions: Vec<TraceAction>,
}

// ---------------------------------------------------------------------------------------------
// Conversions from the session's results
// ---------------------------------------------------------------------------------------------

use crate::session::{self, Outcome, PlanFailure, Planned};
use buildlab_core::plan::Mode;
use buildlab_core::rebuild::BuildReport;
use buildlab_core::why::{MissReason, Outcome as CacheOutcome};

impl From<&session::Storage> for Storage {
    fn from(s: &session::Storage) -> Self {
        match s {
            session::Storage::IndexedDb => Storage {
                mode: "indexeddb",
                reason: None,
            },
            session::Storage::Memory { reason } => Storage {
                mode: "memory",
                reason: Some(reason.clone()),
            },
        }
    }
}

impl Plan {
    pub fn of(p: &Planned) -> Plan {
        let packages = p
            .loaded
            .packages
            .iter()
            .zip(&p.plan.input().packages)
            .map(|(k, n)| Package {
                import_path: n.import_path.clone(),
                dir: k.ws_dir(n).map(String::from),
                standard: k.is_standard(),
                root: k.root,
                files: [
                    n.go_files.as_slice(),
                    n.cgo_files(),
                    n.s_files(),
                    n.h_files(),
                    n.c_files(),
                    n.embed_files(),
                ]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            })
            .collect();
        let actions = p
            .plan
            .summary()
            .into_iter()
            .map(|a| Action {
                id: a.id,
                mode: a.mode,
                package: a.package,
                workdir: a.workdir,
                priority: a.priority,
                deps: a.deps,
                target: a.target,
            })
            .collect();
        Plan {
            ok: true,
            packages,
            actions,
            errors: Vec::new(),
            error_text: String::new(),
            warnings: p.loaded.warnings.clone(),
        }
    }

    pub fn failed(f: &PlanFailure) -> Plan {
        let (errors, error_text, warnings) = match f {
            PlanFailure::Load(e) => (
                e.errors
                    .iter()
                    .map(|x| PlanErrorDto {
                        text: x.to_string(),
                        path: x.location.as_ref().map(|l| l.path.clone()),
                        line: x.location.as_ref().map(|l| l.line),
                        col: x.location.as_ref().map(|l| l.col),
                    })
                    .collect(),
                e.to_string(),
                e.warnings.clone(),
            ),
            PlanFailure::Plan(v) => {
                let errors: Vec<PlanErrorDto> = v
                    .iter()
                    .map(|x| PlanErrorDto {
                        text: x.to_string(),
                        path: None,
                        line: None,
                        col: None,
                    })
                    .collect();
                let text = errors
                    .iter()
                    .map(|e| e.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                (errors, text, Vec::new())
            }
        };
        Plan {
            ok: false,
            packages: Vec::new(),
            actions: Vec::new(),
            errors,
            error_text,
            warnings,
        }
    }
}

fn reason_word(r: &MissReason) -> &'static str {
    match r {
        MissReason::Forced => "forced",
        MissReason::NoEntry => "no-entry",
        MissReason::Corrupt(_) => "corrupt",
        MissReason::InputsChanged(_) => "inputs-changed",
        MissReason::LinkNotCached => "link-not-cached",
        MissReason::TargetMissing => "target-missing",
    }
}

fn action_events(p: &Planned, r: &BuildReport) -> Vec<Event> {
    r.actions
        .iter()
        .map(|a| {
            let (outcome, reason) = match &a.outcome {
                CacheOutcome::Hit => ("hit", None),
                CacheOutcome::TargetUpToDate => ("up-to-date", None),
                CacheOutcome::Miss(m) => ("miss", Some(reason_word(m))),
            };
            Event::Action {
                id: p.plan.action(a.action).id,
                key: a.key.clone(),
                mode: a.mode.as_str(),
                package: a.import_path.clone(),
                outcome,
                reason,
                why: a.outcome.ran().then(|| r.explain(&a.key)),
                build_id: a.build_id.clone(),
            }
        })
        .collect()
}

impl Build {
    pub fn of(o: &Outcome) -> Build {
        let r = &o.report;
        let mut events = action_events(&o.planned, r);
        for c in &o.corrupt {
            events.push(Event::Corrupt {
                file: c.file.clone(),
                reason: c.reason.to_string(),
            });
        }
        if let Some(e) = &o.fallback {
            events.push(Event::StorageFallback {
                quota_exceeded: matches!(e, crate::store::StoreError::Quota(_)),
                message: e.to_string(),
            });
        }
        Build {
            ok: true,
            predicted: o.predicted,
            compiled: r.compiled(),
            asm_runs: r.asm_runs(),
            link_runs: r.link_runs(),
            ran: r
                .actions
                .iter()
                .filter(|a| a.outcome.ran())
                .map(|a| a.key.clone())
                .collect(),
            target: r.target.clone(),
            events,
            cache: CacheTraffic {
                read_transactions: o.read.transactions,
                read_rounds: o.read.rounds,
                lookups: o.read.gets,
                found: o.read.found,
                write_transactions: o.write.transactions,
                puts: o.write.puts,
                deletes: o.write.deletes,
                trimmed: o.write.trimmed.clone(),
            },
            storage: (&o.storage).into(),
            plan_errors: None,
        }
    }

    pub fn failed(f: &PlanFailure, storage: &session::Storage) -> Build {
        Build {
            ok: false,
            predicted: false,
            compiled: Vec::new(),
            asm_runs: 0,
            link_runs: 0,
            ran: Vec::new(),
            target: None,
            events: Vec::new(),
            cache: CacheTraffic {
                read_transactions: 0,
                read_rounds: 0,
                lookups: 0,
                found: 0,
                write_transactions: 0,
                puts: 0,
                deletes: 0,
                trimmed: Vec::new(),
            },
            storage: storage.into(),
            plan_errors: Some(Plan::failed(f)),
        }
    }
}

/// `simulated`, `go-trace` or `go-actiongraph`.
fn origin_word(o: buildlab_core::trace::Origin) -> &'static str {
    use buildlab_core::trace::Origin;
    match o {
        Origin::Simulated => "simulated",
        Origin::GoTrace => "go-trace",
        Origin::GoActionGraph => "go-actiongraph",
    }
}

impl From<&buildlab_core::trace::Trace> for Trace {
    fn from(t: &buildlab_core::trace::Trace) -> Self {
        use buildlab_core::trace::Status;
        Trace {
            origin: origin_word(t.origin),
            root: t.root.clone(),
            lanes: t.lanes,
            wall_ms: t.wall_ms(),
            actions: t
                .actions
                .iter()
                .map(|a| TraceAction {
                    id: a.id,
                    mode: a.mode.clone(),
                    package: a.package.clone(),
                    deps: a.deps.clone(),
                    lane: a.lane,
                    start_us: a.start_us,
                    end_us: a.end_us,
                    kind: a.kind.as_str(),
                    status: match a.status {
                        Status::Ran => "ran",
                        Status::Failed => "failed",
                        Status::Skipped => "skipped",
                        Status::NoActor => "no-actor",
                    },
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lab.build: the scheduler-driven build (wire version [`BUILD_VERSION`])
// ---------------------------------------------------------------------------------------------

/// The version of [`BuildRun`] and [`Progress`]: bump it when a field changes meaning.
pub const BUILD_VERSION: u32 = 1;

/// The flags as toggles: `{x, n, a, work, p}`.
#[derive(Serialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct FlagsDto {
    pub x: bool,
    pub n: bool,
    pub a: bool,
    pub work: bool,
    pub p: Option<usize>,
}

impl FlagsDto {
    /// Reads `{x, n, a, work, p}` by hand (`crate::jsread`); each one optional.
    pub fn from_js(v: &JsValue) -> Result<Self, JsError> {
        Ok(FlagsDto {
            x: jsread::boolean(v, "x")?.unwrap_or_default(),
            n: jsread::boolean(v, "n")?.unwrap_or_default(),
            a: jsread::boolean(v, "a")?.unwrap_or_default(),
            work: jsread::boolean(v, "work")?.unwrap_or_default(),
            p: jsread::count(v, "p")?,
        })
    }
}

/// `build({argv | flags, cpus, patterns, cwd})`: `argv` (`["go", "build", "-x", "."]`) wins over
/// `flags` + `patterns`.
#[derive(Default)]
pub struct RunOptions {
    pub argv: Option<Vec<String>>,
    pub flags: Option<FlagsDto>,
    pub patterns: Vec<String>,
    pub cwd: String,
    /// The virtual machine's CPUs; 2 when absent.
    pub cpus: Option<usize>,
    /// What a share link calls this build (`build 3`); `build` when absent.
    pub label: Option<String>,
    /// The helper's Go (`/api/v1/info`'s `go` and `plannedRoot`): build with the real tools
    /// through the executor passed beside the options. Kept as it came: only the full module
    /// builds with it, and reads it there ([`RealGoIn::from_js`]); the first one only sees
    /// that it is there.
    pub real: Option<JsValue>,
}

impl RunOptions {
    /// Reads the options by hand (`crate::jsread`); `undefined` is every default.
    pub fn from_js(v: &JsValue) -> Result<Self, JsError> {
        jsread::options(v)?;
        let flags = jsread::field(v, "flags");
        let flags = flags.as_ref().map(FlagsDto::from_js).transpose()?;
        Ok(RunOptions {
            argv: jsread::strings(v, "argv")?,
            flags,
            patterns: jsread::strings(v, "patterns")?.unwrap_or_default(),
            cwd: jsread::string(v, "cwd")?.unwrap_or_default(),
            cpus: jsread::count(v, "cpus")?,
            label: jsread::string(v, "label")?,
            real: jsread::field(v, "real"),
        })
    }
}

/// The cache's verdict on one action, with its reason and the why-rebuilt text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheDto {
    /// `hit`, `up-to-date`, `miss` or `unknown`.
    pub outcome: &'static str,
    pub reason: Option<String>,
    pub why: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpanDto {
    pub kind: &'static str,
    pub start_us: f64,
    pub end_us: f64,
}

/// One action on the timeline.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildAction {
    /// The `-debug-actiongraph` ID.
    pub id: usize,
    pub mode: String,
    pub package: String,
    /// Indices into the trace's `actions` (empty in progress events).
    pub deps: Vec<usize>,
    /// Worker lane, 1-based; `null` when the action ran nothing.
    pub lane: Option<usize>,
    pub ready_us: Option<f64>,
    pub start_us: f64,
    pub end_us: f64,
    pub kind: &'static str,
    /// `ran`, `failed`, `skipped`, `no-actor`.
    pub status: &'static str,
    /// `b001`.
    pub work_dir: Option<String>,
    /// The action ID, hex (final trace only).
    pub action_id: Option<String>,
    /// The build ID the action produced or reused (final trace only).
    pub build_id: Option<String>,
    pub cache: CacheDto,
    pub spans: Vec<SpanDto>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildTrace {
    pub lanes: usize,
    pub do_start_us: f64,
    pub do_end_us: f64,
    pub end_us: f64,
    pub actions: Vec<BuildAction>,
}

/// A piece of the transcript and the action (by `-debug-actiongraph` ID) that printed it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChunkDto {
    pub action: Option<usize>,
    /// `workdir`, `banner`, `commands`, `tool-output`.
    pub kind: &'static str,
    pub text: String,
}

/// A file or directory of the kept `$WORK`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkFile {
    /// Relative to `$WORK` (`b001/importcfg`).
    pub path: String,
    pub dir: bool,
    /// The text when cmd/go wrote it itself (importcfg, importcfg.link, embedcfg).
    pub text: Option<String>,
    pub size: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkDto {
    /// `/tmp/go-build…`.
    pub dir: String,
    pub files: Vec<WorkFile>,
    /// The listing as `find` + `cat` would show it.
    pub listing: String,
}

/// One package's outcome, for the graph.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageOutcome {
    pub import_path: String,
    /// `hit` (or up to date) or `miss`.
    pub outcome: &'static str,
    pub reason: Option<String>,
    pub why: Option<String>,
    pub action_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BinaryDto {
    pub path: String,
    pub build_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// The simulated wall time of the command, ms.
    pub real_ms: f64,
    /// Always true here: the times come from the calibrated cost model, not a clock.
    pub simulated: bool,
}

/// `BuildRun.work`: `-work`'s tree, made by the full module only (the first module hands a
/// `-work` build over: `session::needs_full_module`).
#[cfg(feature = "extras")]
pub type WorkField = WorkDto;
/// In the first module the field is always absent: a type without values, so that its
/// serializer is `None`'s alone (not `WorkDto`'s).
#[cfg(not(feature = "extras"))]
pub type WorkField = Never;

/// `BuildRun.real`: a real build's work on the helper, in the full module only (the first
/// module refuses real builds).
#[cfg(feature = "extras")]
pub type RealField = RealRunDto;
/// Always absent in the first module, as [`WorkField`].
#[cfg(not(feature = "extras"))]
pub type RealField = Never;

/// A type without values, for the fields above.
#[cfg(not(feature = "extras"))]
#[derive(Serialize)]
pub enum Never {}

/// What `Lab.build` resolves to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildRun {
    pub version: u32,
    /// The command ran (flags parsed, packages loaded); `exitCode` says how it went.
    pub ok: bool,
    pub exit_code: u8,
    /// Everything go printed (stderr), exactly.
    pub output: String,
    pub chunks: Vec<ChunkDto>,
    pub flags: FlagsDto,
    pub trace: Option<BuildTrace>,
    pub timing: Option<Timing>,
    /// Build and link actions served from the cache or already in place / run.
    pub hits: usize,
    pub misses: usize,
    pub compiled: Vec<String>,
    /// Packages whose assembly ran.
    pub assembled: Vec<String>,
    pub asm_runs: usize,
    pub linked: Vec<String>,
    pub link_runs: usize,
    /// Keys of the actions that ran (`build P`, `link P`).
    pub ran: Vec<String>,
    pub packages: Vec<PackageOutcome>,
    pub work: Option<WorkField>,
    pub binary: Option<BinaryDto>,
    pub cache: Option<CacheTraffic>,
    pub storage: Storage,
    /// Corrupt entries met, a storage fallback.
    pub events: Vec<Event>,
    /// Set when loading or planning failed.
    pub plan_errors: Option<Plan>,
    /// A real build's work on the helper; absent for a simulation.
    pub real: Option<RealField>,
    /// Where a simulated build's page time went, ms: before the first action (plan, action
    /// IDs, the IndexedDB read), the drive, the flush. Absent for a real build (see `real`).
    pub phases: Option<PhasesDto>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhasesDto {
    pub plan_ms: f64,
    pub dry_ms: f64,
    pub before_ms: f64,
    pub confirm_ms: f64,
    pub drive_ms: f64,
    pub flush_ms: f64,
}

/// Streamed to `build`'s `onEvent` while the build runs: `{kind: "actions", actions}` per batch
/// of finished actions (everything that finished between two looks of the driver, in order),
/// then `{kind: "output", text, action}` per transcript chunk.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Progress<'a> {
    Actions {
        actions: Vec<BuildAction>,
    },
    Output {
        text: &'a str,
        action: Option<usize>,
    },
    /// A lesson step runs a command (`go build -x .`, `go clean -cache`): the terminal echoes it
    /// and the live timeline starts over.
    Command {
        text: &'a str,
    },
}

use buildlab_core::trace::{CacheOutcome as TraceCache, Status, TraceAction as CoreTraceAction};

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Ran => "ran",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::NoActor => "no-actor",
    }
}

/// `b001` of every action, by `-debug-actiongraph` ID.
pub fn workdirs(p: &Planned) -> ById<String> {
    let mut dirs = ById::default();
    for a in p.plan.summary() {
        if let Some(w) = a.workdir {
            dirs.insert(a.id, w);
        }
    }
    dirs
}

/// A map from `-debug-actiongraph` IDs (a plan's: 0 to its number of actions) to values, as a
/// vector indexed by ID. Not a `HashMap`: each key and value type of one is its own copy of
/// hashbrown's insert and rehash in the page's wasm (docs/benchmarks.md, Page weight).
pub struct ById<T>(Vec<Option<T>>);

impl<T> Default for ById<T> {
    fn default() -> Self {
        ById(Vec::new())
    }
}

impl<T> ById<T> {
    pub fn insert(&mut self, id: usize, v: T) {
        if id >= self.0.len() {
            self.0.resize_with(id + 1, || None);
        }
        self.0[id] = Some(v);
    }
    pub fn get(&self, id: usize) -> Option<&T> {
        self.0.get(id)?.as_ref()
    }
}

impl BuildAction {
    pub fn of(a: &CoreTraceAction, work_dir: Option<String>) -> BuildAction {
        let (outcome, reason) = match &a.cache {
            TraceCache::Unknown => ("unknown", None),
            TraceCache::Hit => ("hit", None),
            TraceCache::UpToDate => ("up-to-date", None),
            TraceCache::Miss { reason } => ("miss", Some(reason.clone())),
        };
        BuildAction {
            id: a.id,
            mode: a.mode.clone(),
            package: a.package.clone(),
            deps: a.deps.clone(),
            lane: a.lane,
            ready_us: a.ready_us,
            start_us: a.start_us,
            end_us: a.end_us,
            kind: a.kind.as_str(),
            status: status_word(a.status),
            work_dir,
            action_id: None,
            build_id: None,
            cache: CacheDto {
                outcome,
                reason,
                why: None,
            },
            spans: a
                .spans
                .iter()
                .map(|s| SpanDto {
                    kind: s.kind.as_str(),
                    start_us: s.start_us,
                    end_us: s.end_us,
                })
                .collect(),
        }
    }
}

fn chunk_kind(k: buildlab_core::transcript::ChunkKind) -> &'static str {
    use buildlab_core::transcript::ChunkKind as K;
    match k {
        K::WorkDir => "workdir",
        K::Banner => "banner",
        K::Commands => "commands",
        K::ToolOutput => "tool-output",
    }
}

impl From<&crate::goflags::BuildFlags> for FlagsDto {
    fn from(f: &crate::goflags::BuildFlags) -> Self {
        FlagsDto {
            x: f.x,
            n: f.n,
            a: f.a,
            work: f.work,
            p: f.p,
        }
    }
}

impl BuildRun {
    /// The transcript's chunks, with the action IDs the page knows.
    pub fn chunks(p: &Planned, t: &buildlab_core::transcript::Transcript) -> Vec<ChunkDto> {
        t.chunks
            .iter()
            .map(|c| ChunkDto {
                action: c.action.map(|a| p.plan.action(a).id),
                kind: chunk_kind(c.kind),
                text: c.text.clone(),
            })
            .collect()
    }

    pub fn of(b: &session::Built) -> BuildRun {
        let p = &b.planned;
        let r = &b.result;
        let report = &r.report;
        // go's stderr: the load's warnings go after `WORK=`, before the build's lines.
        let mut transcript = r.transcript.clone();
        transcript.insert_warnings(&p.loaded.warnings);
        let dirs = workdirs(p);
        // Per action: its report entry (action ID, build ID, why).
        let mut by_id = ById::default();
        for a in &report.actions {
            by_id.insert(p.plan.action(a.action).id, a);
        }
        let actions = r
            .trace
            .actions
            .iter()
            .map(|a| {
                let mut x = BuildAction::of(a, dirs.get(a.id).cloned());
                if let Some(rep) = by_id.get(a.id) {
                    x.action_id = Some(rep.inputs.id.to_hex());
                    x.build_id = Some(rep.build_id.clone()).filter(|s| !s.is_empty());
                    if rep.outcome.ran() {
                        x.cache.why = Some(report.explain(&rep.key));
                    }
                }
                x
            })
            .collect();
        let counted = report
            .actions
            .iter()
            .filter(|a| matches!(a.mode, Mode::Build | Mode::Link));
        let misses = counted.clone().filter(|a| a.outcome.ran()).count();
        let hits = counted.count() - misses;
        let mut assembled: Vec<String> = report
            .actions
            .iter()
            .filter(|a| a.asm_runs > 0)
            .map(|a| a.import_path.clone())
            .collect();
        buildlab_core::sort::sort(&mut assembled);
        let mut linked: Vec<String> = report
            .actions
            .iter()
            .filter(|a| a.mode == Mode::Link && a.outcome.ran())
            .map(|a| a.import_path.clone())
            .collect();
        buildlab_core::sort::sort(&mut linked);
        let packages = report
            .actions
            .iter()
            .filter(|a| a.mode == Mode::Build)
            .map(|a| {
                let (outcome, reason) = match &a.outcome {
                    CacheOutcome::Miss(m) => ("miss", Some(m.to_string())),
                    _ => ("hit", None),
                };
                PackageOutcome {
                    import_path: a.import_path.clone(),
                    outcome,
                    reason,
                    why: a.outcome.ran().then(|| report.explain(&a.key)),
                    action_id: a.inputs.id.to_hex(),
                }
            })
            .collect();
        // Only the full module makes `-work`'s tree (`session::needs_full_module`).
        #[cfg(not(feature = "extras"))]
        let work: Option<Never> = None;
        #[cfg(feature = "extras")]
        let work = b.work.as_ref().map(|w| WorkDto {
            dir: w.root.clone(),
            files: w
                .entries
                .iter()
                .map(|(path, e)| match e {
                    buildlab_core::transcript::WorkEntry::Dir => WorkFile {
                        path: path.clone(),
                        dir: true,
                        text: None,
                        size: None,
                    },
                    buildlab_core::transcript::WorkEntry::File { text, size } => WorkFile {
                        path: path.clone(),
                        dir: false,
                        text: text.clone(),
                        size: *size,
                    },
                })
                .collect(),
            listing: w.render(),
        });
        let mut events = Vec::new();
        for c in &b.corrupt {
            events.push(Event::Corrupt {
                file: c.file.clone(),
                reason: c.reason.to_string(),
            });
        }
        if let Some(e) = &b.fallback {
            events.push(Event::StorageFallback {
                quota_exceeded: matches!(e, crate::store::StoreError::Quota(_)),
                message: e.to_string(),
            });
        }
        BuildRun {
            version: BUILD_VERSION,
            ok: true,
            exit_code: r.exit_status,
            output: transcript.text(),
            chunks: BuildRun::chunks(p, &transcript),
            flags: (&b.flags).into(),
            trace: Some(BuildTrace {
                lanes: r.trace.lanes,
                do_start_us: r.trace.do_start_us,
                do_end_us: r.trace.do_end_us,
                end_us: r.trace.end_us,
                actions,
            }),
            timing: Some(Timing {
                real_ms: r.wall_ms,
                #[cfg(feature = "extras")]
                simulated: b.real.is_none(),
                #[cfg(not(feature = "extras"))]
                simulated: true,
            }),
            hits,
            misses,
            compiled: report.compiled(),
            assembled,
            asm_runs: report.asm_runs(),
            linked,
            link_runs: report.link_runs(),
            ran: report
                .actions
                .iter()
                .filter(|a| a.outcome.ran())
                .map(|a| a.key.clone())
                .collect(),
            packages,
            work,
            binary: r.binary.as_ref().map(|x| BinaryDto {
                path: p.binary_path().unwrap_or_else(|| x.path.clone()),
                build_id: x.build_id.clone(),
            }),
            cache: Some(CacheTraffic {
                read_transactions: b.read.transactions,
                read_rounds: b.read.rounds,
                lookups: b.read.gets,
                found: b.read.found,
                write_transactions: b.write.transactions,
                puts: b.write.puts,
                deletes: b.write.deletes,
                trimmed: b.write.trimmed.clone(),
            }),
            storage: (&b.storage).into(),
            events,
            plan_errors: None,
            #[cfg(feature = "extras")]
            real: b.real.as_ref().map(RealRunDto::from),
            // The first module builds with the simulation only.
            #[cfg(not(feature = "extras"))]
            real: None,
            phases: b.phases.as_ref().map(|p| PhasesDto {
                plan_ms: p.plan_ms,
                dry_ms: p.dry_ms,
                before_ms: p.before_ms,
                confirm_ms: p.confirm_ms,
                drive_ms: p.drive_ms,
                flush_ms: p.flush_ms,
            }),
        }
    }

    /// A command that stopped before building: a flag error (`status` 2) or load errors (1),
    /// with go's text as the output.
    pub fn stopped(
        flags: FlagsDto,
        output: String,
        status: u8,
        plan_errors: Option<Plan>,
        storage: &session::Storage,
    ) -> BuildRun {
        let mut output = output;
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        BuildRun {
            version: BUILD_VERSION,
            ok: false,
            exit_code: status,
            chunks: vec![ChunkDto {
                action: None,
                kind: "tool-output",
                text: output.clone(),
            }],
            output,
            flags,
            trace: None,
            timing: None,
            hits: 0,
            misses: 0,
            compiled: Vec::new(),
            assembled: Vec::new(),
            asm_runs: 0,
            linked: Vec::new(),
            link_runs: 0,
            ran: Vec::new(),
            packages: Vec::new(),
            work: None,
            binary: None,
            cache: None,
            storage: storage.into(),
            events: Vec::new(),
            plan_errors,
            real: None,
            phases: None,
        }
    }
}

impl BuildTrace {
    /// A recorded or imported trace for the timeline (no work dirs, action IDs or why).
    pub fn of(t: &buildlab_core::trace::Trace) -> BuildTrace {
        BuildTrace {
            lanes: t.lanes,
            do_start_us: t.do_start_us,
            do_end_us: t.do_end_us,
            end_us: t.end_us,
            actions: t.actions.iter().map(|a| BuildAction::of(a, None)).collect(),
        }
    }
}

/// Build and link actions of a trace that came from the cache (or were in place), and that ran.
pub fn trace_hits_misses(t: &buildlab_core::trace::Trace) -> (usize, usize) {
    let counted = t
        .actions
        .iter()
        .filter(|a| a.mode == "build" || a.mode == "link");
    let misses = counted
        .clone()
        .filter(|a| matches!(a.cache, TraceCache::Miss { .. }))
        .count();
    let hits = counted
        .filter(|a| matches!(a.cache, TraceCache::Hit | TraceCache::UpToDate))
        .count();
    (hits, misses)
}

/// What `Lab.importTrace` returns: the trace for the timeline and what it is.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    /// `go-trace` or `go-actiongraph`.
    pub origin: &'static str,
    pub root: String,
    pub wall_ms: f64,
    /// Build actions' packages in the trace.
    pub packages: usize,
    /// Every package the file names (loaded, or a build action), sorted: with `unsafe`, which
    /// is built into the compiler and runs no action, one more than `packages` for a whole build.
    pub named_packages: Vec<String>,
    /// The named packages with no build action (`unsafe`).
    pub without_action: Vec<String>,
    pub trace: BuildTrace,
}

impl Imported {
    /// With the packages the file `json` names besides its build actions: a go trace's
    /// `load.loadPackageData P` events, an action graph's `built-in package` actions.
    pub fn named(t: &buildlab_core::trace::Trace, json: &serde_json::Value) -> Imported {
        use serde_json::Value;
        let built = t.build_packages();
        let mut named = built.clone();
        let items = match json {
            Value::Array(a) => a.as_slice(),
            Value::Object(o) => o
                .get("traceEvents")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            _ => &[],
        };
        for e in items {
            let str_of = |k: &str| e.get(k).and_then(Value::as_str);
            if let Some(p) = str_of("name").and_then(|n| n.strip_prefix("load.loadPackageData ")) {
                named.push(p.to_string());
            }
            if matches!(str_of("Mode"), Some("build" | "built-in package")) {
                if let Some(p) = str_of("Package") {
                    named.push(p.to_string());
                }
            }
        }
        named.sort();
        named.dedup();
        let without_action = named
            .iter()
            .filter(|p| built.binary_search(p).is_err())
            .cloned()
            .collect();
        Imported {
            origin: Trace::from(t).origin,
            root: t.root.clone(),
            wall_ms: t.wall_ms(),
            packages: built.len(),
            named_packages: named,
            without_action,
            trace: BuildTrace::of(t),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lessons (the lesson file's format is core's; this is what the page shows of it)
// ---------------------------------------------------------------------------------------------

use buildlab_core::lesson::{Action as LessonAction, Kind as AnswerKind, Lesson as CoreLesson};

/// A lesson for the page: no expected answers (the page checks nothing itself).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub seed: Option<String>,
    pub steps: Vec<LessonStep>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LessonStep {
    pub title: String,
    pub text: Vec<String>,
    pub button: String,
    /// The experiment as the commands it runs (`go clean -cache`, `go build -x .`, `edit F`).
    pub run: Vec<String>,
    pub questions: Vec<Question>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    pub ask: String,
    /// `number`, `yes-no`, `text` (one of `choices`), `set` (some of `choices`, or typed).
    pub kind: &'static str,
    pub choices: Vec<String>,
}

fn kind_word(k: AnswerKind) -> &'static str {
    match k {
        AnswerKind::Number => "number",
        AnswerKind::YesNo => "yes-no",
        AnswerKind::Text => "text",
        AnswerKind::Set => "set",
    }
}

fn action_text(a: &LessonAction) -> String {
    match a {
        LessonAction::Open(w) => format!("open {w}"),
        LessonAction::CleanCache => "go clean -cache".into(),
        LessonAction::Build(b) => b.argv().join(" "),
        LessonAction::Edit { file, .. } => format!("edit {file}"),
        LessonAction::Write { file, .. } => format!("write {file}"),
        LessonAction::Delete { file } => format!("rm {file}"),
        LessonAction::RemoveBinary => "rm the binary".into(),
        LessonAction::Env(v) => format!("go env {v}"),
    }
}

impl Question {
    pub fn of(q: &buildlab_core::lesson::Question, choices: Vec<String>) -> Question {
        Question {
            ask: q.ask.clone(),
            kind: kind_word(q.check.kind()),
            choices,
        }
    }
}

impl Lesson {
    pub fn of(l: &CoreLesson) -> Lesson {
        Lesson {
            id: l.id.clone(),
            title: l.title.clone(),
            summary: l.summary.clone(),
            seed: l.seed.clone(),
            steps: l
                .steps
                .iter()
                .map(|s| LessonStep {
                    title: s.title.clone(),
                    text: s.text.clone(),
                    button: s.button.clone(),
                    run: s.run.iter().map(action_text).collect(),
                    questions: s
                        .questions
                        .iter()
                        .map(|q| Question::of(q, q.choices.clone()))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// One file of the workspace, as text (`binary` when it is not UTF-8: shown, not editable).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileOut {
    pub path: String,
    pub text: String,
    pub binary: bool,
}

pub fn files_of(ws: &buildlab_core::workspace::Workspace) -> Vec<FileOut> {
    ws.iter()
        .map(|(path, bytes)| match std::str::from_utf8(bytes) {
            Ok(t) => FileOut {
                path: path.to_string(),
                text: t.to_string(),
                binary: false,
            },
            Err(_) => FileOut {
                path: path.to_string(),
                text: String::from_utf8_lossy(bytes).into_owned(),
                binary: true,
            },
        })
        .collect()
}

/// One build of a lesson step.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepBuild {
    pub label: String,
    pub argv: Vec<String>,
    pub cpus: usize,
    pub run: BuildRun,
}

/// What `Lab.runLessonStep` resolves to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRun {
    pub lesson: String,
    /// 0-based.
    pub step: usize,
    pub builds: Vec<StepBuild>,
    /// The workspace after the experiment.
    pub files: Vec<FileOut>,
    /// The questions with the choices to offer now that the step ran.
    pub questions: Vec<Question>,
}

/// What `Lab.checkAnswer` resolves to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub correct: bool,
    /// What the build showed, as the page prints it.
    pub observed: String,
    pub explain: String,
}

// ---------------------------------------------------------------------------------------------
// Share links (the token's format is core's `share`)
// ---------------------------------------------------------------------------------------------

/// What the page adds to the session's workspace and builds to make a link.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ShareOptions {
    pub title: String,
    pub argv: Vec<String>,
    pub cpus: Option<usize>,
    /// `simulated` or `real`.
    pub toolchain: String,
    pub cwd: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolchainDto {
    pub runner: &'static str,
    pub goos: String,
    pub goarch: String,
    pub cgo: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedBuildDto {
    pub label: String,
    pub wall_ms: f64,
    pub hits: usize,
    pub misses: usize,
    pub trace: BuildTrace,
}

/// What `Lab.openShared` resolves to (the workspace is loaded into the session already).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedDto {
    pub title: String,
    pub files: Vec<FileOut>,
    pub cwd: String,
    pub argv: Vec<String>,
    pub toolchain: ToolchainDto,
    pub cpus: usize,
    pub builds: Vec<SharedBuildDto>,
}

impl SharedDto {
    pub fn of(s: &buildlab_core::share::Shared) -> SharedDto {
        use buildlab_core::share::Runner;
        SharedDto {
            title: s.title.clone(),
            files: files_of(&s.workspace),
            cwd: s.cwd.clone(),
            argv: s.argv.clone(),
            toolchain: ToolchainDto {
                runner: match s.toolchain.runner {
                    Runner::Simulated => "simulated",
                    Runner::Real => "real",
                },
                goos: s.toolchain.goos.clone(),
                goarch: s.toolchain.goarch.clone(),
                cgo: s.toolchain.cgo,
            },
            cpus: s.cpus,
            builds: s
                .builds
                .iter()
                .map(|b| {
                    let (hits, misses) = trace_hits_misses(&b.trace);
                    SharedBuildDto {
                        label: b.label.clone(),
                        wall_ms: b.trace.wall_ms(),
                        hits,
                        misses,
                        trace: BuildTrace::of(&b.trace),
                    }
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The hand-off from the first-load module to the full one (`Lab.handoff` → `Lab.adopt`)
// ---------------------------------------------------------------------------------------------

/// One build of the session's history as the first-load module hands it over: its label and
/// every field of its trace (the timeline's [`BuildTrace`], plus where it came from and its
/// root). Plain JS values, not a share link's JSON: the first module then needs no JSON writer,
/// txtar or wire format, only the serializer its build results use already; and a JS number
/// carries an `f64` exactly, so the full module's history is the first module's, bit for bit.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffBuild<'a> {
    pub label: &'a str,
    pub origin: &'static str,
    pub root: &'a str,
    pub trace: BuildTrace,
}

impl<'a> HandoffBuild<'a> {
    pub fn of((label, t): &'a (String, buildlab_core::trace::Trace)) -> Self {
        HandoffBuild {
            label,
            origin: origin_word(t.origin),
            root: &t.root,
            trace: BuildTrace::of(t),
        }
    }
}

/// The workspace's files as `[{path, bytes}]` (`bytes` a `Uint8Array`), built by hand: through
/// serde, bytes would become an array of numbers.
pub fn files_to_js(ws: &buildlab_core::workspace::Workspace) -> JsValue {
    let out = js_sys::Array::new();
    for (path, data) in ws.iter() {
        let f = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&f, &"path".into(), &path.into());
        let _ = js_sys::Reflect::set(&f, &"bytes".into(), &js_sys::Uint8Array::from(data).into());
        out.push(&f);
    }
    out.into()
}

/// The lines each `build P` action of `report` hashed into its action ID, as `[{key, lines}]`
/// (built by hand: the first module carries no serializer for them). The graph's detail asks
/// for them (`Lab.actionInputs`) on the full module, after the first module built.
pub fn inputs_to_js(report: &buildlab_core::rebuild::BuildReport) -> JsValue {
    let out = js_sys::Array::new();
    for a in report
        .actions
        .iter()
        .filter(|a| a.key.starts_with("build "))
    {
        let lines = js_sys::Array::new();
        for l in a.inputs.lines() {
            lines.push(&l.into());
        }
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"key".into(), &a.key.as_str().into());
        let _ = js_sys::Reflect::set(&o, &"lines".into(), &lines);
        out.push(&o);
    }
    out.into()
}

/// What `Lab.adopt` takes: the first module's workspace and history (`Lab.handoff`).
#[cfg(feature = "extras")]
pub struct Handoff {
    pub workspace: buildlab_core::workspace::Workspace,
    pub builds: Vec<(String, buildlab_core::trace::Trace)>,
    /// The last build's `build P` inputs, by action key, sorted ([`inputs_to_js`]).
    pub inputs: Vec<(String, Vec<String>)>,
}

#[cfg(feature = "extras")]
impl Handoff {
    /// Reads `{files: [{path, bytes}], builds: [HandoffBuild]}`; an error names what is wrong.
    pub fn from_js(v: &JsValue) -> Result<Handoff, JsError> {
        let files = jsread::field(v, "files")
            .and_then(|f| jsread::array(&f))
            .ok_or_else(|| JsError::new("invalid hand-off: `files` must be an array"))?;
        let mut workspace = buildlab_core::workspace::Workspace::new();
        for f in files.iter() {
            let path = jsread::required_string(&f, "path")?;
            let bytes = jsread::field(&f, "bytes")
                .filter(|b| wasm_bindgen::JsCast::is_instance_of::<js_sys::Uint8Array>(b))
                .ok_or_else(|| JsError::new("invalid hand-off: `bytes` must be a Uint8Array"))?;
            workspace
                .insert(&path, js_sys::Uint8Array::from(bytes).to_vec())
                .map_err(|e| JsError::new(&e.to_string()))?;
        }
        let builds: Vec<BuildIn> = match jsread::field(v, "builds") {
            Some(b) => serde_wasm_bindgen::from_value(b)
                .map_err(|e| JsError::new(&format!("invalid hand-off: {e}")))?,
            None => Vec::new(),
        };
        let builds = builds
            .into_iter()
            .map(BuildIn::into_build)
            .collect::<Result<_, String>>()
            .map_err(|e| JsError::new(&format!("invalid hand-off: {e}")))?;
        let mut inputs = Vec::new();
        for i in jsread::field(v, "inputs")
            .and_then(|i| jsread::array(&i))
            .iter()
            .flat_map(|a| a.iter())
        {
            let key = jsread::required_string(&i, "key")?;
            let lines = jsread::strings(&i, "lines")?.unwrap_or_default();
            inputs.push((key, lines));
        }
        inputs.sort();
        Ok(Handoff {
            workspace,
            builds,
            inputs,
        })
    }
}

/// [`HandoffBuild`] read back.
#[cfg(feature = "extras")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuildIn {
    label: String,
    origin: String,
    root: String,
    trace: TraceIn,
}

/// [`BuildTrace`] read back.
#[cfg(feature = "extras")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceIn {
    lanes: usize,
    do_start_us: f64,
    do_end_us: f64,
    end_us: f64,
    actions: Vec<ActionIn>,
}

/// [`BuildAction`] read back (its page-only fields, `workDir`, `actionId`, `buildId` and the
/// cache's `why`, are not the trace's and are left out of a handed-off build anyway).
#[cfg(feature = "extras")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionIn {
    id: usize,
    mode: String,
    package: String,
    deps: Vec<usize>,
    lane: Option<usize>,
    ready_us: Option<f64>,
    start_us: f64,
    end_us: f64,
    kind: String,
    status: String,
    cache: CacheIn,
    spans: Vec<SpanIn>,
}

#[cfg(feature = "extras")]
#[derive(Deserialize)]
struct CacheIn {
    outcome: String,
    reason: Option<String>,
}

#[cfg(feature = "extras")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpanIn {
    kind: String,
    start_us: f64,
    end_us: f64,
}

/// The variant of `all` that `word` names (the words the DTOs write), or an error naming it.
#[cfg(feature = "extras")]
fn by_word<T: Copy>(
    all: &[T],
    word: &str,
    of: fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|&x| of(x) == word)
        .ok_or_else(|| format!("unknown {what} `{word}`"))
}

#[cfg(feature = "extras")]
fn kind_of(word: &str) -> Result<buildlab_core::trace::Kind, String> {
    use buildlab_core::trace::Kind as K;
    const ALL: [K; 9] = [
        K::Compile,
        K::Asm,
        K::Pack,
        K::Cgo,
        K::Link,
        K::Install,
        K::Go,
        K::CacheHit,
        K::Other,
    ];
    by_word(&ALL, word, K::as_str, "kind")
}

#[cfg(feature = "extras")]
impl BuildIn {
    fn into_build(self) -> Result<(String, buildlab_core::trace::Trace), String> {
        use buildlab_core::trace::{Origin, Span, Trace, TraceAction};
        let origin = by_word(
            &[Origin::Simulated, Origin::GoTrace, Origin::GoActionGraph],
            &self.origin,
            origin_word,
            "origin",
        )?;
        let actions = self
            .trace
            .actions
            .into_iter()
            .map(|a| {
                let cache = match (a.cache.outcome.as_str(), a.cache.reason) {
                    ("unknown", _) => TraceCache::Unknown,
                    ("hit", _) => TraceCache::Hit,
                    ("up-to-date", _) => TraceCache::UpToDate,
                    ("miss", reason) => TraceCache::Miss {
                        reason: reason.unwrap_or_default(),
                    },
                    (w, _) => return Err(format!("unknown cache outcome `{w}`")),
                };
                let spans = a
                    .spans
                    .into_iter()
                    .map(|s| {
                        Ok(Span {
                            kind: kind_of(&s.kind)?,
                            start_us: s.start_us,
                            end_us: s.end_us,
                        })
                    })
                    .collect::<Result<_, String>>()?;
                Ok(TraceAction {
                    id: a.id,
                    mode: a.mode,
                    package: a.package,
                    deps: a.deps,
                    lane: a.lane,
                    ready_us: a.ready_us,
                    start_us: a.start_us,
                    end_us: a.end_us,
                    kind: kind_of(&a.kind)?,
                    status: by_word(
                        &[
                            Status::Ran,
                            Status::Failed,
                            Status::Skipped,
                            Status::NoActor,
                        ],
                        &a.status,
                        status_word,
                        "status",
                    )?,
                    spans,
                    cache,
                })
            })
            .collect::<Result<_, String>>()?;
        let trace = Trace {
            origin,
            root: self.root,
            lanes: self.trace.lanes,
            actions,
            end_us: self.trace.end_us,
            do_start_us: self.trace.do_start_us,
            do_end_us: self.trace.do_end_us,
        };
        Ok((self.label, trace))
    }
}

// ---------------------------------------------------------------------------------------------
// The real toolchain through the helper (`crate::real`)
// ---------------------------------------------------------------------------------------------

/// `Lab.build`'s `real` option: the `go` part of the helper's `/api/v1/info` plus its planned root.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct RealGoIn {
    pub version: String,
    pub goroot: String,
    pub goos: String,
    pub goarch: String,
    pub cpus: usize,
    pub planned_root: String,
    /// `cgoEnabled` of `/api/v1/info` (absent from an older helper's answer: off, as it built).
    #[serde(default)]
    pub cgo_enabled: bool,
    /// `ccId` of `/api/v1/info`: the helper's gcc as go hashes it (absent with cgo off, without
    /// gcc, or from an older helper: core's stand-in, as that helper hashed).
    #[serde(default)]
    pub cc_id: String,
}

impl RealGoIn {
    /// `build`'s `real` option, through serde (only the full module builds with the real tools).
    #[cfg(feature = "extras")]
    pub fn from_js(v: JsValue) -> Result<Self, JsError> {
        serde_wasm_bindgen::from_value(v).map_err(|e| JsError::new(&e.to_string()))
    }
}

impl From<RealGoIn> for crate::real::RealGo {
    fn from(r: RealGoIn) -> Self {
        crate::real::RealGo {
            version: r.version,
            goroot: r.goroot,
            goos: r.goos,
            goarch: r.goarch,
            cpus: r.cpus,
            planned_root: r.planned_root,
            cgo_enabled: r.cgo_enabled,
            cc_id: r.cc_id,
        }
    }
}

/// One action for the helper to run, as the executor's `exec` gets it (it adds the workspace).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecRequest {
    pub plan_digest: String,
    /// The action's id in the plan (the helper's plan has the same ids).
    pub action: usize,
    /// `build P`, for messages.
    pub key: String,
    pub build_id: String,
    pub inputs: Vec<ExecInput>,
    /// What the helper plans (once, when the executor opens its workspace): the patterns,
    /// the directory and `-p` of this build.
    pub packages: Vec<String>,
    pub cwd: String,
    pub p: Option<usize>,
    /// `-o`: the link-install's target is part of the plan the helper checks.
    pub o: Option<String>,
    /// The build settings as words (`-trimpath=true`, `-gcflags=all=-N -l`): the helper plans
    /// with them too, and allow-lists the tools' flags among them.
    pub settings: Vec<String>,
}

#[derive(Serialize)]
pub struct ExecInput {
    pub action: usize,
    pub hex: String,
}

/// A whole build's misses for the helper to run in one request, as the executor's `run` gets it
/// (it adds the workspace): the tool actions it may run, the page's cache entries for the hits
/// (`POST /api/v1/workspace/<n>/run`), and what the workspace is opened with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRequest {
    pub plan_digest: String,
    pub actions: Vec<usize>,
    pub hits: Vec<RunHit>,
    pub force: bool,
    pub target: Option<String>,
    pub packages: Vec<String>,
    pub cwd: String,
    pub p: Option<usize>,
    pub o: Option<String>,
    pub settings: Vec<String>,
}

/// One of the page's cache entries: action ID → output hash and size.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunHit {
    pub action_id: String,
    pub hex: String,
    pub size: u64,
}

/// One line of the run's stream (besides what [`ExecReply`] reads of an `action` line): its
/// type, the action's id, the build ID the helper used, and when it ran on the run's clock.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunLine {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: Option<usize>,
    #[serde(default)]
    pub build_id: String,
    #[serde(default)]
    pub start_ms: f64,
    #[serde(default)]
    pub end_ms: f64,
    /// A `start` line's time: when the helper handed the job to a worker.
    #[serde(default)]
    pub at_ms: f64,
    #[serde(default)]
    pub message: String,
}

/// The helper's answer to an exec (`POST /api/v1/workspace/<n>/exec`); the archive's bytes
/// travel beside it as a `Uint8Array` (`bytes`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecReply {
    pub ok: bool,
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub failed_step: Option<usize>,
    #[serde(default)]
    pub runs: Vec<ExecToolRun>,
    #[serde(default)]
    pub binary: Option<ExecBinary>,
    /// The helper's wall time for the action (tools and its own work).
    #[serde(default)]
    pub wall_ms: f64,
    /// How long the action waited at the helper for one of its `-p` slots, and which slot
    /// (1-based) ran it: the page keeps more actions in flight than the helper runs at once.
    #[serde(default)]
    pub queued_ms: f64,
    #[serde(default)]
    pub lane: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecToolRun {
    pub tool: String,
    pub start_ms: f64,
    pub ms: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecBinary {
    pub hex: String,
}

/// What a real build did on the helper (in `BuildRun.real`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RealRunDto {
    pub execs: usize,
    pub tool_runs: usize,
    pub uploaded: usize,
    pub received_bytes: usize,
    /// Bytes of outputs left on the helper, saved after the build (`Lab.saveOutputs`).
    pub unsaved_bytes: u64,
    pub binary_hex: Option<String>,
    pub helper_error: Option<String>,
    /// Where the page's time went, ms (see `crate::real::Phases`).
    pub before_ms: f64,
    pub drive_ms: f64,
    pub replies_ms: f64,
    pub flush_ms: f64,
    pub helper_ms: f64,
}

impl From<&crate::real::RealRun> for RealRunDto {
    fn from(r: &crate::real::RealRun) -> Self {
        RealRunDto {
            execs: r.execs,
            tool_runs: r.tool_runs,
            uploaded: r.uploaded,
            received_bytes: r.received_bytes,
            unsaved_bytes: r.unsaved_bytes,
            binary_hex: r.binary_hex.clone(),
            helper_error: r.helper_error.clone(),
            before_ms: r.phases.before_ms,
            drive_ms: r.phases.drive_ms,
            replies_ms: r.phases.replies_ms,
            flush_ms: r.phases.flush_ms,
            helper_ms: r.phases.helper_ms,
        }
    }
}

/// `Lab.realBinary()`: the real binary the current plan installs, if one is in place.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RealBinaryDto {
    pub path: String,
    pub build_id: String,
    pub hex: String,
}
