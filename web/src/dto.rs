//! The wire types between wasm and the page's JavaScript. Only this module derives `Serialize`;
//! domain types in `buildlab-core` stay Rust-only. Field names are the JS names.

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsError, JsValue};

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
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VisitRecord {
    pub digest: String,
    pub visits: u32,
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
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileIn {
    pub path: String,
    pub text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Loaded {
    pub files: usize,
    /// The txtar comment (the text before the first file), if any.
    pub comment: String,
}

/// `plan({patterns, cwd})`; both optional.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PlanOptions {
    pub patterns: Vec<String>,
    pub cwd: String,
}

/// `build({force})`; all optional. The later scheduler-driven build adds `-x -n -work -p`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BuildOptions {
    /// `-a`.
    pub force: bool,
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
            .map(|k| Package {
                import_path: k.import_path.clone(),
                dir: k.ws_dir.clone(),
                standard: k.ws_dir.is_none(),
                root: k.root,
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

impl From<&buildlab_core::trace::Trace> for Trace {
    fn from(t: &buildlab_core::trace::Trace) -> Self {
        use buildlab_core::trace::{Origin, Status};
        Trace {
            origin: match t.origin {
                Origin::Simulated => "simulated",
                Origin::GoTrace => "go-trace",
                Origin::GoActionGraph => "go-actiongraph",
            },
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
