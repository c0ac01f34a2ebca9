//! One page's Buildlab session: the loaded workspace and its plan, the last build's record, the
//! simulated binary in the working directory, and where the cache lives (IndexedDB, or memory
//! after a quota failure). It drives the core's sequential build ([`rebuild::run`]) against the
//! browser's cache in three steps: one read transaction that prefetches every record the build
//! will look up, the synchronous build over an in-memory `DirCache<OverlayFs>`, and one write
//! transaction that flushes what changed.
//!
//! Async functions take the session as a `&RefCell` and never hold a borrow across an `.await`:
//! they copy out what they need, await, and write results back.
//!
//! Not here: JS types (see [`crate::dto`]) and the scheduler-driven build with transcript and
//! timeline, which will replace the insides of [`build`].

use std::cell::RefCell;
use std::rc::Rc;

use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::cache::{DirCache, UnixNanos};
use buildlab_core::load::{self, LoadErrors, LoadRequest, Loaded};
use buildlab_core::plan::{self, Plan, PlanError, Toolchain};
use buildlab_core::rebuild::{self, BuildReport, Flags, Record};
use buildlab_core::trace::Trace;
use buildlab_core::workspace::Workspace;

use crate::overlay::{Checked, Corrupt, Discover, OverlayFs, View};
use crate::store::{Backend, ReadStats, StoreError, WriteStats};

/// Where the cache lives for the rest of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    IndexedDb,
    /// In memory: IndexedDB failed (`reason`). What IndexedDB holds is still read.
    Memory {
        reason: String,
    },
}

/// A workspace loaded and planned.
pub struct Planned {
    pub ws: Workspace,
    pub req: LoadRequest,
    pub loaded: Loaded,
    pub plan: Plan,
}

impl Planned {
    /// Where the binary of `go build` lands, if the build writes one.
    pub fn binary_path(&self) -> Option<String> {
        let t = self.plan.action(self.plan.root()).target.as_ref()?;
        if t.starts_with('/') {
            return Some(t.clone());
        }
        let root = self.req.module_root_display.trim_end_matches('/');
        let cwd = self.req.cwd.trim_matches('/');
        Some(if cwd.is_empty() {
            format!("{root}/{t}")
        } else {
            format!("{root}/{cwd}/{t}")
        })
    }
    fn files(&self) -> WorkspaceFiles<'_> {
        WorkspaceFiles {
            ws: &self.ws,
            root: self.req.module_root_display.clone(),
        }
    }
}

/// Why planning failed: go's load errors, or the planner's.
pub enum PlanFailure {
    Load(LoadErrors),
    Plan(Vec<PlanError>),
}

pub struct Session<B> {
    backend: Option<B>,
    storage: Storage,
    /// The memory cache: what this session built after IndexedDB failed.
    mem: OverlayFs,
    ws: Workspace,
    req: LoadRequest,
    planned: Option<Rc<Planned>>,
    record: Rc<Record>,
    binary: Option<(String, String)>,
    /// The last imported trace.
    pub trace: Option<Trace>,
}

/// What a build or a prediction did, with the cache traffic behind it.
pub struct Outcome {
    pub planned: Rc<Planned>,
    pub report: BuildReport,
    pub predicted: bool,
    pub read: ReadStats,
    pub write: WriteStats,
    pub corrupt: Vec<Corrupt>,
    pub storage: Storage,
    /// Set when this build's flush failed and the session fell back to memory.
    pub fallback: Option<StoreError>,
}

impl<B: Backend + Clone> Session<B> {
    /// A session over `backend` (`None`: no IndexedDB; `why` says why).
    pub fn new(backend: Option<B>, why: Option<String>, binary: Option<(String, String)>) -> Self {
        let storage = match (&backend, why) {
            (Some(_), None) => Storage::IndexedDb,
            (_, why) => Storage::Memory {
                reason: why.unwrap_or_else(|| "IndexedDB is unavailable".into()),
            },
        };
        Session {
            backend,
            storage,
            mem: OverlayFs::default(),
            ws: Workspace::new(),
            req: LoadRequest::default(),
            planned: None,
            record: Rc::new(Record::default()),
            binary,
            trace: None,
        }
    }

    pub fn backend(&self) -> Option<&B> {
        self.backend.as_ref()
    }
    pub fn storage(&self) -> &Storage {
        &self.storage
    }
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// Replaces the workspace. The last build's record and the binary stay: a reload of edited
    /// files is an edit, and the next build says what changed.
    pub fn load(&mut self, ws: Workspace) {
        self.ws = ws;
        self.planned = None;
    }

    /// Loads and plans the workspace for `go build` with these patterns and directory.
    pub fn plan(&mut self, patterns: Vec<String>, cwd: String) -> Result<Rc<Planned>, PlanFailure> {
        self.req.patterns = if patterns.is_empty() {
            vec![".".into()]
        } else {
            patterns
        };
        self.req.cwd = cwd;
        self.planned = None;
        self.planned()
    }

    /// The current plan, planning with the last options if needed.
    pub fn planned(&mut self) -> Result<Rc<Planned>, PlanFailure> {
        if let Some(p) = &self.planned {
            return Ok(p.clone());
        }
        let loaded = load::load(&self.ws, &self.req).map_err(PlanFailure::Load)?;
        let plan =
            plan::plan(loaded.input.clone(), &Toolchain::default()).map_err(PlanFailure::Plan)?;
        let p = Rc::new(Planned {
            ws: self.ws.clone(),
            req: self.req.clone(),
            loaded,
            plan,
        });
        self.planned = Some(p.clone());
        Ok(p)
    }

    /// The build ID of the binary in place for this plan, if any.
    fn target(&self, p: &Planned) -> Option<String> {
        let path = p.binary_path()?;
        self.binary
            .as_ref()
            .filter(|(b, _)| *b == path)
            .map(|(_, id)| id.clone())
    }

    /// The memory cache's files (what a fallback kept).
    pub fn memory(&self) -> &OverlayFs {
        &self.mem
    }

    /// `go clean -cache` on the memory cache (the caller clears IndexedDB).
    pub fn clear_memory(&mut self) -> u32 {
        let n = self
            .mem
            .files()
            .filter(|(p, _, _)| p.ends_with("-a") || p.ends_with("-d"))
            .count();
        self.mem = OverlayFs::default();
        n as u32
    }
}

/// What the prefetch and the build need, copied out of the session.
struct Inputs<B> {
    planned: Rc<Planned>,
    record: Rc<Record>,
    target: Option<String>,
    backend: Option<B>,
    mem: OverlayFs,
    persistent: bool,
}

fn inputs<B: Backend + Clone>(cell: &RefCell<Session<B>>) -> Result<Inputs<B>, PlanFailure> {
    let mut s = cell.borrow_mut();
    let planned = s.planned()?;
    Ok(Inputs {
        target: s.target(&planned),
        record: s.record.clone(),
        backend: s.backend.clone(),
        mem: s.mem.clone(),
        persistent: s.storage == Storage::IndexedDb,
        planned,
    })
}

/// Loads every record the build will look up: the memory cache, then what IndexedDB has, in one
/// read transaction driven by dry runs of the build ([`Discover`]). A failed read leaves only
/// the memory cache (the build then misses; nothing is lost).
async fn prefetch<B: Backend>(i: &Inputs<B>, flags: &Flags) -> (OverlayFs, ReadStats) {
    let mut fs = OverlayFs::default();
    fs.overlay(&i.mem);
    let mut stats = ReadStats::default();
    if let Some(b) = &i.backend {
        let p = &i.planned;
        let files = p.files();
        let mut wanted = |fs: &OverlayFs| {
            let d = Discover::new(fs);
            rebuild::predict(&p.plan, &files, &d, &i.record, i.target.as_deref(), flags);
            d.into_wanted()
        };
        if let Ok(s) = b.read(&mut fs, &mut wanted).await {
            stats = s;
        }
    }
    (fs, stats)
}

/// Predicts the rebuild set against the cache, changing nothing.
pub async fn predict<B: Backend + Clone>(
    cell: &RefCell<Session<B>>,
    force: bool,
) -> Result<Outcome, PlanFailure> {
    let i = inputs(cell)?;
    let flags = Flags {
        force,
        ..Default::default()
    };
    let (fs, read) = prefetch(&i, &flags).await;
    let p = &i.planned;
    let cache = DirCache::open(View(&fs));
    let report = rebuild::predict(
        &p.plan,
        &p.files(),
        &cache,
        &i.record,
        i.target.as_deref(),
        &flags,
    );
    let storage = cell.borrow().storage.clone();
    Ok(Outcome {
        planned: i.planned.clone(),
        report,
        predicted: true,
        read,
        write: WriteStats::default(),
        corrupt: Vec::new(),
        storage,
        fallback: None,
    })
}

/// Builds with the core's sequential driver: prefetch, build in memory, flush in one transaction.
/// A failed flush (a full quota, typically) moves the session to the memory cache with this
/// build's results in it.
pub async fn build<B: Backend + Clone>(
    cell: &RefCell<Session<B>>,
    force: bool,
    now: UnixNanos,
) -> Result<Outcome, PlanFailure> {
    let i = inputs(cell)?;
    let flags = Flags {
        force,
        ..Default::default()
    };
    let (fs, read) = prefetch(&i, &flags).await;
    let p = &i.planned;
    let mut cache = DirCache::open(fs);
    let mut checked = Checked::new(&mut cache);
    let report = rebuild::run(
        &p.plan,
        &p.files(),
        &mut checked,
        &i.record,
        i.target.as_deref(),
        &flags,
        now,
    );
    let corrupt = std::mem::take(&mut checked.corrupt);
    let mut batch = cache.fs_mut().take_batch();
    let binary = match (p.binary_path(), &report.target) {
        (Some(path), Some(id)) => Some((path, id.clone())),
        _ => None,
    };
    if binary.is_some() && report.target.as_deref() != i.target.as_deref() {
        batch.binary = binary.clone();
    }
    batch.trim_at = Some(now);

    let mut write = WriteStats::default();
    let mut fallback = None;
    if let (true, Some(b)) = (i.persistent, &i.backend) {
        match b.write(&batch).await {
            Ok(w) => write = w,
            Err(e) => fallback = Some(e),
        }
    }

    let mut s = cell.borrow_mut();
    if let Some(e) = &fallback {
        s.storage = Storage::Memory {
            reason: e.to_string(),
        };
    }
    if s.storage != Storage::IndexedDb {
        // Everything this build wrote or refreshed stays in the session's memory cache.
        s.mem.apply(&batch);
    }
    s.record = Rc::new(report.record.clone());
    if binary.is_some() {
        s.binary = binary;
    }
    Ok(Outcome {
        planned: i.planned.clone(),
        report,
        predicted: false,
        read,
        write,
        corrupt,
        storage: s.storage.clone(),
        fallback,
    })
}
