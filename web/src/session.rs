//! One page's Buildlab session: the loaded workspace and its plan, the last build's why-rebuilt
//! record, the simulated binaries in the working directory, and where the cache lives
//! (IndexedDB, or memory after a quota failure). It drives the core's build driver
//! ([`buildlab_core::build::Session`]) with the simulated toolchain on a virtual clock, against the
//! browser's cache, in three steps: one read transaction that prefetches every record the build
//! will look up (dry runs of the driver's predict path, [`rebuild::predict`], skipped when the
//! inputs are those of the last build, whose dry run found every record among the known ones,
//! and those are all still there: see [`DryKey`]), the build itself over
//! an in-memory `DirCache<OverlayFs>` (yielding to the event loop between batches and reporting
//! each finished action as it goes), and one write transaction that flushes what changed together
//! with the record and the binary's build ID.
//!
//! Async functions take the session as a `&RefCell` and never hold a borrow across an `.await`:
//! they copy out what they need, await, and write results back.
//!
//! Not here: JS types (see [`crate::dto`]), flag parsing ([`crate::goflags`]) and the real
//! toolchain (the helper's).

use std::cell::RefCell;
use std::rc::Rc;

use buildlab_core::actionid::{DigestedFiles, WorkspaceFiles};
use buildlab_core::build::{self, BuildResult, Config};
use buildlab_core::cache::{CacheFs, DirCache, UnixNanos};
use buildlab_core::cost::Machine;
use buildlab_core::load::{self, LoadErrors, LoadRequest, Loaded};
use buildlab_core::plan::{self, Plan, PlanError, Toolchain};
use buildlab_core::rebuild::{self, BuildReport, Flags, Record};
use buildlab_core::schedule;
use buildlab_core::trace::{Trace, TraceAction};
#[cfg(feature = "extras")]
use buildlab_core::transcript;
#[cfg(feature = "extras")]
use buildlab_core::transcript::WorkTree;
use buildlab_core::workspace::Workspace;

use crate::goflags::BuildFlags;
#[cfg(feature = "extras")]
use crate::overlay::View;
use crate::overlay::{Checked, Corrupt, Discover, OverlayFs};
use crate::real::RealGo;
use crate::store::{Backend, Listing, ReadStats, StoreError, Workdir, WriteStats};

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
    /// The load's packages and warnings; its `input` moved into `plan` (see `plan.input()`).
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
    pub(crate) fn files(&self) -> WorkspaceFiles<'_> {
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
    /// The virtual machine: CPUs (GOMAXPROCS) and `-p`.
    cpus: usize,
    parallel: Option<usize>,
    planned: Option<Rc<Planned>>,
    record: Rc<Record>,
    /// Target path → build ID of the simulated binary there.
    binaries: crate::store::Binaries,
    /// The last imported trace (cleared by a build: the timeline then shows the build's).
    #[cfg(feature = "extras")]
    pub trace: Option<Trace>,
    /// The last build's trace with the plan it ran, for the exports.
    #[cfg(feature = "extras")]
    pub last_build: Option<(Rc<Planned>, Trace)>,
    /// The last build's report: the lines each action hashed, asked for when the page shows
    /// them (`Lab.actionInputs`) rather than sent with every build.
    pub last_report: Option<BuildReport>,
    /// The first module's last build's `build P` inputs (`Lab.adopt`), answered by
    /// `Lab.actionInputs` until this module builds (its report then answers).
    #[cfg(feature = "extras")]
    pub handed_inputs: Vec<(String, Vec<String>)>,
    /// The traces of the last builds, labelled, oldest first (what a share link records).
    pub history: Vec<(String, Trace)>,
    /// The lesson step that ran last and its builds, for the answers' checks.
    #[cfg(feature = "extras")]
    pub step: Option<crate::lessons::StepRun>,
    /// Why the persisted record could not be used, if it could not.
    pub record_note: Option<String>,
    /// The record's JSON as last read or written: an unchanged record is not written again.
    record_json: Option<String>,
    /// When this session last ran the daily trim check (it is checked at most hourly).
    trim_checked: Option<UnixNanos>,
    /// The cache records this page knows IndexedDB holds: what its last build read or wrote,
    /// entries with their bytes, outputs by size and mtime only (content-addressed, so nothing
    /// here can go stale; whether they are still there is asked at every read).
    known: Rc<OverlayFs>,
    /// What the last prefetch's dry run was run on, when it found everything it needed among the
    /// known records (see [`DryKey`]).
    settled: Option<DryKey>,
    /// The real Go the helper offers, when the page builds with it: plans are then made for
    /// that toolchain (its GOROOT, version, CPUs, `CGO_ENABLED`), as the helper makes them.
    #[cfg(feature = "extras")]
    real: Option<RealGo>,
    /// Target path → the real binary there (its build ID and its content hash in the helper's
    /// store), for this page's lifetime: the working directory of real builds. A few paths at
    /// most: a vector, not a B-tree map of its own value type (its own copy of the B-tree code
    /// in the page's first module, which only ever looks one up: docs/benchmarks.md).
    #[cfg(feature = "extras")]
    real_binaries: Vec<(String, RealBinary)>,
    /// A real build's cache entries whose outputs are still on the helper, with the cache they
    /// go to: saved after the build ([`crate::real::save_outputs`]).
    #[cfg(feature = "extras")]
    pub(crate) unsaved: Option<(B, Vec<crate::real::Unsaved>)>,
    /// The cache of the toolchain not in use (see [`CacheSide`]); `None` until a real cache is
    /// attached ([`Session::attach_real_cache`]).
    #[cfg(feature = "extras")]
    other: Option<CacheSide<B>>,
    /// The key listing asked for when the Build button was pressed ([`Session::list_ahead`]).
    ahead: Option<Ahead>,
    /// A simulated build ran since the page opened or the cache was last cleaned: the go it
    /// stands for wrote its module index into GOCACHE then (`-n` too, which stores no entry).
    index_written: bool,
}

/// A key listing asked for ahead of a build, and when (page ms).
struct Ahead {
    at_ms: f64,
    listing: Listing,
}

/// How long a listing asked for ahead of a build stands for the build's own: a press of the
/// Build button lasts ≈ 100 ms; a longer one is not a click, and its listing is asked for again.
pub const AHEAD_MS: f64 = 500.0;

/// Lets a listing nobody will read finish on its own. Dropped while IndexedDB still owes its
/// answer, its request callbacks would be freed before IndexedDB calls them (an exception in
/// the page).
fn discard(listing: Listing) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = listing.await;
    });
}

impl<B> Drop for Session<B> {
    fn drop(&mut self) {
        self.drop_ahead();
    }
}

impl<B> Session<B> {
    /// Forgets the listing asked for ahead, letting it finish (see [`discard`]).
    fn drop_ahead(&mut self) {
        if let Some(a) = self.ahead.take() {
            discard(a.listing);
        }
    }
}

/// One toolchain's GOCACHE: where it lives, what this page knows of it, and the why-rebuilt
/// record of its last build. The simulation and the real toolchain each have their own (two
/// IndexedDB databases), as two Go installations would: the simulation models go1.23.5 so
/// faithfully that many action IDs are the same, yet its objects are not real archives, and a
/// real build must never take one for a hit.
pub struct CacheSide<B> {
    backend: Option<B>,
    storage: Storage,
    mem: OverlayFs,
    record: Rc<Record>,
    record_note: Option<String>,
    record_json: Option<String>,
    trim_checked: Option<UnixNanos>,
    known: Rc<OverlayFs>,
}

impl<B> CacheSide<B> {
    /// A cache over `backend` (`None`: no IndexedDB; `why` says why), with the record `workdir`
    /// kept.
    pub fn new(backend: Option<B>, why: Option<String>, workdir: &Workdir) -> Self {
        let storage = match (&backend, why) {
            (Some(_), None) => Storage::IndexedDb,
            (_, why) => Storage::Memory {
                reason: why.unwrap_or_else(|| "IndexedDB is unavailable".into()),
            },
        };
        let (record, record_note) = match workdir.record.as_deref().map(Record::from_json) {
            None => (Record::default(), None),
            Some(Ok(r)) => (r, None),
            Some(Err(e)) => (Record::default(), Some(e)),
        };
        CacheSide {
            backend,
            storage,
            mem: OverlayFs::default(),
            record: Rc::new(record),
            record_note,
            record_json: workdir.record.clone(),
            trim_checked: None,
            known: Rc::new(OverlayFs::default()),
        }
    }
}

/// A binary a real build left in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealBinary {
    pub build_id: String,
    /// Its content hash in the helper's store (what `/api/v1/run/<hex>` runs).
    pub hex: String,
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
    pub fn new(backend: Option<B>, why: Option<String>, workdir: Workdir) -> Self {
        let side = CacheSide::new(backend, why, &workdir);
        let mut s = Session {
            backend: None,
            storage: Storage::IndexedDb,
            mem: OverlayFs::default(),
            ws: Workspace::new(),
            req: LoadRequest::default(),
            cpus: Toolchain::default().cpus,
            parallel: None,
            planned: None,
            record: Rc::new(Record::default()),
            binaries: workdir.binaries,
            #[cfg(feature = "extras")]
            trace: None,
            #[cfg(feature = "extras")]
            last_build: None,
            last_report: None,
            #[cfg(feature = "extras")]
            handed_inputs: Vec::new(),
            history: Vec::new(),
            #[cfg(feature = "extras")]
            step: None,
            record_note: None,
            record_json: None,
            trim_checked: None,
            known: Rc::new(OverlayFs::default()),
            settled: None,
            #[cfg(feature = "extras")]
            real: None,
            #[cfg(feature = "extras")]
            real_binaries: Vec::new(),
            #[cfg(feature = "extras")]
            unsaved: None,
            #[cfg(feature = "extras")]
            other: None,
            ahead: None,
            index_written: false,
        };
        s.put_side(side);
        s
    }

    #[cfg(feature = "extras")]
    fn take_side(&mut self) -> CacheSide<B> {
        CacheSide {
            backend: self.backend.take(),
            storage: self.storage.clone(),
            mem: std::mem::take(&mut self.mem),
            record: std::mem::take(&mut self.record),
            record_note: self.record_note.take(),
            record_json: self.record_json.take(),
            trim_checked: self.trim_checked.take(),
            known: std::mem::take(&mut self.known),
        }
    }

    fn put_side(&mut self, c: CacheSide<B>) {
        self.backend = c.backend;
        self.storage = c.storage;
        self.mem = c.mem;
        self.record = c.record;
        self.record_note = c.record_note;
        self.record_json = c.record_json;
        self.trim_checked = c.trim_checked;
        self.known = c.known;
    }

    /// Whether the real toolchain's cache is attached (in use or set aside).
    #[cfg(feature = "extras")]
    pub fn has_real_cache(&self) -> bool {
        self.real.is_some() || self.other.is_some()
    }

    /// Attaches the real toolchain's cache, set aside until a real build.
    #[cfg(feature = "extras")]
    pub fn attach_real_cache(&mut self, side: CacheSide<B>) {
        if !self.has_real_cache() {
            self.other = Some(side);
        }
    }

    /// Builds from now on with the helper's real Go (`Some`) or the simulation (`None`). The
    /// plan is redone when this changes (the toolchain is hashed into every action ID), and
    /// switching between the two switches caches. A real cache not attached yet starts empty in
    /// memory. Only in the full module: the first builds with the simulation only (it refuses a
    /// real build and the page loads the full module).
    #[cfg(feature = "extras")]
    pub fn set_real(&mut self, real: Option<RealGo>) {
        if real == self.real {
            return;
        }
        if real.is_some() != self.real.is_some() {
            let next = self.other.take().unwrap_or_else(|| {
                CacheSide::new(
                    None,
                    Some("no IndexedDB database was opened for the real toolchain".into()),
                    &Workdir::default(),
                )
            });
            let current = self.take_side();
            self.put_side(next);
            self.other = Some(current);
        }
        self.real = real;
        self.planned = None;
        self.settled = None;
        self.drop_ahead();
    }

    /// The real Go this session builds with, if it builds with one: never in the first module
    /// (see [`Session::set_real`]), where the real paths below then compile away.
    pub fn real(&self) -> Option<&RealGo> {
        #[cfg(feature = "extras")]
        return self.real.as_ref();
        #[cfg(not(feature = "extras"))]
        None
    }

    /// The real binary the current plan installs, if a real build left it in place.
    #[cfg(feature = "extras")]
    pub fn real_binary(&mut self) -> Option<(String, RealBinary)> {
        let path = self.planned().ok()?.binary_path()?;
        let b = self.real_binary_at(&path)?.clone();
        Some((path, b))
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
    /// files is an edit, and the next build says what changed. The same files again keep the
    /// plan (the page hands its files over before every build).
    pub fn load(&mut self, ws: Workspace) {
        if ws != self.ws {
            self.ws = ws;
            self.planned = None;
        }
    }

    /// Forgets every binary in the working directory (a lesson's `open` empties it; `rm`). Only
    /// in memory: the next build that installs one writes it back to IndexedDB.
    pub fn remove_binaries(&mut self) -> usize {
        std::mem::take(&mut self.binaries).len()
    }

    /// The module's directory as go shows it (`/home/gopher/work`).
    pub fn module_root(&self) -> &str {
        &self.req.module_root_display
    }

    /// The name of the binary `go build` installs for the current plan, if it installs one.
    pub fn binary_name(&mut self) -> Option<String> {
        let p = self.planned().ok()?;
        let path = p.binary_path()?;
        Some(path.rsplit('/').next().unwrap_or(&path).to_string())
    }

    /// Remembers a finished build for the exports and share links (at most [`HISTORY`] kept).
    /// The first module keeps the history only (for `Lab.handoff`): the last build's plan and
    /// trace are for the full module's exports.
    pub fn remember(&mut self, label: String, planned: Rc<Planned>, trace: Trace) {
        #[cfg(feature = "extras")]
        {
            self.trace = None;
            self.last_build = Some((planned, trace.clone()));
        }
        #[cfg(not(feature = "extras"))]
        drop(planned);
        self.history.push((label, trace));
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
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

    /// Sets the virtual machine's CPUs and `-p`; the plan is redone when they change (the
    /// compiler's `-c` follows them).
    pub fn set_machine(&mut self, cpus: usize, parallel: Option<usize>) {
        let cpus = cpus.clamp(1, 256);
        if (cpus, parallel) != (self.cpus, self.parallel) {
            self.cpus = cpus;
            self.parallel = parallel;
            self.planned = None;
        }
    }

    /// The last build's record (what each action hashed).
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The current plan, planning with the last options if needed.
    pub fn planned(&mut self) -> Result<Rc<Planned>, PlanFailure> {
        if let Some(p) = &self.planned {
            return Ok(p.clone());
        }
        let (req, tc) = match self.real() {
            Some(r) => r.request(&self.req, self.parallel),
            None => (
                self.req.clone(),
                Toolchain {
                    cpus: self.cpus,
                    parallel: self.parallel,
                    ..Toolchain::default()
                },
            ),
        };
        let mut loaded = load::load(&self.ws, &req).map_err(PlanFailure::Load)?;
        // The plan owns the input (`plan.input()`): a copy and its drop cost several percent.
        let plan = plan::plan(std::mem::take(&mut loaded.input), &tc).map_err(PlanFailure::Plan)?;
        let p = Rc::new(Planned {
            ws: self.ws.clone(),
            req,
            loaded,
            plan,
        });
        self.planned = Some(p.clone());
        Ok(p)
    }

    /// The build ID of the binary in place for this plan, if any (real builds have their own
    /// working directory: a simulated binary is not a real one).
    fn target(&self, p: &Planned) -> Option<String> {
        let path = p.binary_path()?;
        match self.real() {
            #[cfg(feature = "extras")]
            Some(_) => self.real_binary_at(&path).map(|b| b.build_id.clone()),
            _ => self.binaries.get(&path).cloned(),
        }
    }

    /// Keeps a real build's entries whose outputs are still on the helper (none in the first
    /// module, which runs no real builds).
    pub(crate) fn set_unsaved(&mut self, unsaved: Option<(B, Vec<crate::real::Unsaved>)>) {
        #[cfg(feature = "extras")]
        {
            self.unsaved = unsaved;
        }
        #[cfg(not(feature = "extras"))]
        drop(unsaved);
    }

    /// Takes what [`Session::set_unsaved`] kept.
    pub(crate) fn take_unsaved(&mut self) -> Option<(B, Vec<crate::real::Unsaved>)> {
        #[cfg(feature = "extras")]
        return self.unsaved.take();
        #[cfg(not(feature = "extras"))]
        None
    }

    /// Sets the lesson step that ran last (the first module keeps none: lessons are the full
    /// module's).
    pub fn set_step(&mut self, step: Option<crate::lessons::StepRun>) {
        #[cfg(feature = "extras")]
        {
            self.step = step;
        }
        #[cfg(not(feature = "extras"))]
        drop(step);
    }

    /// The real binary a real build left at `path`.
    #[cfg(feature = "extras")]
    fn real_binary_at(&self, path: &str) -> Option<&RealBinary> {
        self.real_binaries
            .iter()
            .find(|b| b.0 == path)
            .map(|b| &b.1)
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
        self.known = Rc::new(OverlayFs::default());
        self.drop_ahead();
        self.index_written = false;
        n as u32
    }

    /// Asks IndexedDB now for the key listing with which the next build confirms its known
    /// records (see [`build`]): the Build button is pressed and not yet released. After an
    /// input event Chromium runs no other task until it has drawn the next frame, so a listing
    /// asked for on `click` answers a frame later (≈ 10 ms here, 7 of a warm no-op's 14) while
    /// one asked for on `pointerdown` is there by the release. It is the listing of the moment
    /// the button went down; the build takes it if it starts within [`AHEAD_MS`] and this page
    /// wrote nothing meanwhile, and asks again otherwise. Only a build that would list at all
    /// (one whose inputs are the last settled ones) is worth asking for.
    pub fn list_ahead(&mut self) {
        self.drop_ahead();
        if self.settled.is_none() {
            return;
        }
        if let Some(listing) = self.backend.as_ref().and_then(|b| b.list().ok()) {
            self.ahead = Some(Ahead {
                at_ms: page_ms(),
                listing,
            });
        }
    }

    /// The listing asked for ahead, if it is recent enough to be this build's (see
    /// [`Session::list_ahead`]); it is used once.
    fn take_ahead(&mut self) -> Option<Listing> {
        let a = self.ahead.take()?;
        if page_ms() - a.at_ms <= AHEAD_MS {
            return Some(a.listing);
        }
        discard(a.listing);
        None
    }
}

/// How many recent builds a share link records.
pub const HISTORY: usize = 2;

/// `go clean -cache`: the memory cache and IndexedDB's. Resolves to the records removed.
pub async fn clean_cache<B: Backend + Clone>(cell: &RefCell<Session<B>>) -> Result<u32, String> {
    let (backend, mut removed) = {
        let mut s = cell.borrow_mut();
        (s.backend().cloned(), s.clear_memory())
    };
    if let Some(b) = backend {
        removed += b.clear().await.map_err(|e| e.to_string())?;
    }
    Ok(removed)
}

/// What a prefetch's dry run depends on: the plan (the workspace and the options it was made
/// from), the record (its hits take their build IDs from it), the binary in place and `-a`.
/// The same inputs over the same known records look up the same files, so a build whose inputs
/// are the last settled ones, and whose known records IndexedDB all still lists, needs no dry
/// run: every file it will look up is loaded or listed already.
#[derive(Clone)]
pub(crate) struct DryKey {
    planned: Rc<Planned>,
    record: Rc<Record>,
    target: Option<String>,
    force: bool,
}

impl PartialEq for DryKey {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.planned, &o.planned)
            && Rc::ptr_eq(&self.record, &o.record)
            && self.target == o.target
            && self.force == o.force
    }
}

/// What the prefetch and the build need, copied out of the session.
pub(crate) struct Inputs<B> {
    settled: Option<DryKey>,
    known: Rc<OverlayFs>,
    record_json: Option<String>,
    trim_checked: Option<UnixNanos>,
    pub(crate) planned: Rc<Planned>,
    pub(crate) record: Rc<Record>,
    pub(crate) target: Option<String>,
    backend: Option<B>,
    mem: OverlayFs,
    persistent: bool,
    index_written: bool,
}

impl<B> Inputs<B> {
    /// The IndexedDB side of the cache, when the session has one.
    pub(crate) fn backend(&self) -> Option<&B> {
        self.backend.as_ref()
    }

    fn dry_key(&self, flags: &Flags) -> DryKey {
        DryKey {
            planned: self.planned.clone(),
            record: self.record.clone(),
            target: self.target.clone(),
            force: flags.force,
        }
    }
}

/// The memory cache and every known record, as a read that found them all would load them.
fn known_overlay<B>(i: &Inputs<B>) -> OverlayFs {
    let mut fs = OverlayFs::default();
    fs.overlay(&i.mem);
    for (path, data, mtime) in i.known.files() {
        if !fs.is_loaded(path) {
            fs.load(path, data.to_vec(), mtime);
        }
    }
    for (path, size, mtime) in i.known.stubs() {
        fs.stub(path, size, mtime);
    }
    fs
}

/// Whether the store still lists every known record.
fn known_all_in(known: &OverlayFs, present: &crate::store::Present) -> bool {
    known.files().all(|(p, _, _)| present.contains(p))
        && known.stubs().all(|(p, _, _)| present.contains(p))
}

/// Whether every record of `known` is in `fs` (the read loads those the store still lists).
fn all_known_present(known: &OverlayFs, fs: &OverlayFs) -> bool {
    known.files().all(|(p, _, _)| fs.is_loaded(p))
        && known.stubs().all(|(p, _, _)| fs.size(p).is_some())
}

fn inputs<B: Backend + Clone>(cell: &RefCell<Session<B>>) -> Result<Inputs<B>, PlanFailure> {
    let mut s = cell.borrow_mut();
    let planned = s.planned()?;
    Ok(Inputs {
        settled: s.settled.clone(),
        known: s.known.clone(),
        record_json: s.record_json.clone(),
        trim_checked: s.trim_checked,
        target: s.target(&planned),
        record: s.record.clone(),
        backend: s.backend.clone(),
        mem: s.mem.clone(),
        persistent: s.storage == Storage::IndexedDb,
        index_written: s.index_written,
        planned,
    })
}

/// Whether the simulated GOCACHE holds go's module index ([`Config::index_cached`]): a build
/// ran in this page since it opened or the cache was cleaned, or the cache holds entries (the
/// memory cache's, records this page knows IndexedDB holds, or what this build's read listed
/// there). Only after `go clean -cache`, or in a new browser profile, is it missing.
fn index_cached<B>(i: &Inputs<B>, read: &ReadStats, holding: bool) -> bool {
    i.index_written
        || holding
        || read.listed > 0
        || !i.known.is_empty()
        || i.known.stubs().next().is_some()
        || !i.mem.is_empty()
}

/// Loads every record the build will look up: the memory cache, then what IndexedDB has, in one
/// read transaction driven by dry runs of the build ([`Discover`]). A failed read leaves only
/// the memory cache (the build then misses; nothing is lost).
///
/// The dry runs hash the module's files once, into `digested` (over `ws_files`, the planned
/// workspace's files), which the caller's build then reuses: a build hashes each file once.
pub(crate) async fn prefetch<'a, B: Backend>(
    i: &'a Inputs<B>,
    flags: &Flags,
    ws_files: &'a WorkspaceFiles<'a>,
    digested: &mut Option<DigestedFiles<'a>>,
) -> (OverlayFs, ReadStats) {
    let mut fs = OverlayFs::default();
    fs.overlay(&i.mem);
    let mut stats = ReadStats::default();
    if let Some(b) = &i.backend {
        let p = &i.planned;
        let mut dry_ms = 0.0;
        let settled = i.settled.as_ref() == Some(&i.dry_key(flags));
        let mut first = true;
        let mut wanted = |fs: &OverlayFs| {
            if std::mem::take(&mut first) && settled && all_known_present(&i.known, fs) {
                return Vec::new();
            }
            let t = page_ms();
            let d = Discover::new(fs);
            let files = digested.get_or_insert_with(|| DigestedFiles::new(&p.plan, ws_files));
            rebuild::predict(&p.plan, files, &d, &i.record, i.target.as_deref(), flags);
            let w = d.into_wanted();
            dry_ms += page_ms() - t;
            w
        };
        if let Ok(s) = b.read(&mut fs, Some(&i.known), &mut wanted).await {
            stats = s;
        }
        stats.dry_us = (dry_ms * 1000.0) as u64;
    }
    (fs, stats)
}

/// Predicts the rebuild set against the cache, changing nothing.
#[cfg(feature = "extras")]
pub async fn predict<B: Backend + Clone>(
    cell: &RefCell<Session<B>>,
    force: bool,
) -> Result<Outcome, PlanFailure> {
    let i = inputs(cell)?;
    let flags = Flags {
        force,
        ..Default::default()
    };
    let p = &i.planned;
    let ws_files = p.files();
    let mut digested = None;
    let (fs, read) = prefetch(&i, &flags, &ws_files, &mut digested).await;
    let cache = DirCache::open(View(&fs));
    let report = rebuild::predict(
        &p.plan,
        &digested.unwrap_or_else(|| DigestedFiles::new(&p.plan, &ws_files)),
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

/// What the page asked to build.
#[derive(Clone, Debug)]
pub struct Request {
    pub flags: BuildFlags,
    /// The virtual machine's CPUs (GOMAXPROCS; the default `-p`).
    pub cpus: usize,
    /// The directory go runs in, workspace-relative.
    pub cwd: String,
}

/// One finished build.
pub struct Built {
    pub planned: Rc<Planned>,
    pub flags: BuildFlags,
    /// Transcript, trace, report, exit status, the simulated wall time.
    pub result: BuildResult,
    /// `$WORK` as `-work` keeps it (the first module hands `-work` builds over).
    #[cfg(feature = "extras")]
    pub work: Option<WorkTree>,
    /// `WORK=` of this build.
    pub work_dir: String,
    pub read: ReadStats,
    pub write: WriteStats,
    pub corrupt: Vec<Corrupt>,
    pub storage: Storage,
    /// Set when this build's flush failed and the session fell back to memory.
    pub fallback: Option<StoreError>,
    /// `None` for a simulation; what the real tools did otherwise.
    #[cfg(feature = "extras")]
    pub real: Option<crate::real::RealRun>,
    /// Where a simulated build's page time went (a real build's is in `real`).
    pub phases: Option<crate::real::Phases>,
}

/// How long the build runs between yields to the event loop, ms of page time.
const SLICE_MS: f64 = 8.0;

pub(crate) fn page_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Lets the browser run (paint, input, other tasks) before the build goes on.
async fn yield_now() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let scheduled = web_sys::window().is_some_and(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
                .is_ok()
        });
        if !scheduled {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// `go build` with the simulated toolchain: plan, prefetch the cache in one read transaction,
/// drive the core's build session on the cost model's virtual clock (`progress` gets every
/// action as it finishes; the loop yields to the event loop every few ms), then flush the cache
/// changes, the record and the binary's build ID in one write transaction. A failed flush (a full
/// quota, typically) moves the session to the memory cache with this build's results in it.
pub async fn build<B: Backend + Clone>(
    cell: &RefCell<Session<B>>,
    req: &Request,
    now: UnixNanos,
    progress: &mut dyn FnMut(&Planned, Vec<TraceAction>),
) -> Result<Built, PlanFailure> {
    let f = &req.flags;
    let t0 = page_ms();
    // A simulated build plans for the simulated toolchain, whatever the last build used.
    #[cfg(feature = "extras")]
    cell.borrow_mut().set_real(None);
    let (i, flags) = prepare(cell, req)?;
    let t_read = page_ms();
    // Settled inputs: the records the build will look up are the known ones. The listing that
    // confirms they are all still there is asked for, and the build runs over them while it
    // comes (holding its progress back); a record gone meanwhile discards this run and the
    // build starts over with a dry run.
    let ahead = cell.borrow_mut().take_ahead();
    let listing = match (&i.backend, i.settled.as_ref() == Some(&i.dry_key(&flags))) {
        (Some(b), true) => ahead.or_else(|| b.list().ok()),
        _ => {
            ahead.map(discard);
            None
        }
    };
    let holding = listing.is_some();
    let p = &i.planned;
    let ws_files = p.files();
    let mut digested = None;
    let (fs, read) = match holding {
        true => (
            known_overlay(&i),
            ReadStats {
                transactions: 1,
                rounds: 1,
                ..Default::default()
            },
        ),
        false => prefetch(&i, &flags, &ws_files, &mut digested).await,
    };
    let mut held: Vec<Vec<TraceAction>> = Vec::new();
    let mut report = |p: &Planned, done: Vec<TraceAction>| match holding {
        true => held.push(done),
        false => progress(p, done),
    };
    let t_drive = page_ms();
    let files = digested.unwrap_or_else(|| DigestedFiles::new(&p.plan, &ws_files));
    let gocache = crate::gocache();
    let work_dir = work_dir(now);
    let print = f.print();

    // Core's simulation (`build::simulate`), a step at a time: the page yields to the browser
    // between steps (unless the progress is held anyway) and reports what each step finished.
    let model = buildlab_core::cost::CostModel::calibrated();
    let cfg = Config {
        flags,
        print,
        workers: schedule::workers(f.p, req.cpus.max(1), f.n),
        verbose: f.v,
        now,
        work_dir: work_dir.clone(),
        gocache: gocache.clone(),
        // Set by the simulation, from the cost model.
        do_start_us: 0.0,
        after_us: 0.0,
        index_cached: index_cached(&i, &read, holding),
    };
    let machine = Machine {
        cores: req.cpus.max(1),
        scaling: model.scaling,
    };
    let mut cache = DirCache::open(fs);
    let mut checked = Checked::new(&mut cache);
    let mut sim = build::Simulation::new(
        &p.plan,
        &files,
        &i.record,
        i.target.as_deref(),
        cfg,
        machine,
    );
    let mut slice = page_ms();
    loop {
        let more = sim.step(&mut checked);
        report(p, sim.take_finished());
        if !more {
            break;
        }
        if !holding && page_ms() - slice > SLICE_MS {
            yield_now().await;
            slice = page_ms();
        }
    }
    let result = sim.finish();
    cell.borrow_mut().index_written = true;
    let corrupt = std::mem::take(&mut checked.corrupt);
    let t_wait = page_ms();
    if let Some(listing) = listing {
        let confirmed = listing
            .await
            .is_ok_and(|present| known_all_in(&i.known, &present));
        if !confirmed {
            cell.borrow_mut().settled = None;
            return Box::pin(build(cell, req, now, progress)).await;
        }
        // Every action finished by now: one batch.
        progress(p, held.into_iter().flatten().collect());
    }
    let t_flush = page_ms();
    let mut built = flush(
        cell, i, f, now, cache, result, corrupt, work_dir, read, None,
    )
    .await;
    built.phases = Some(crate::real::Phases {
        plan_ms: t_read - t0,
        dry_ms: read.dry_us as f64 / 1000.0,
        before_ms: t_drive - t0,
        drive_ms: t_wait - t_drive,
        confirm_ms: t_flush - t_wait,
        flush_ms: page_ms() - t_flush,
        ..Default::default()
    });
    Ok(built)
}

/// The machine and the plan for this request; what the build needs copied out of the session.
pub(crate) fn prepare<B: Backend + Clone>(
    cell: &RefCell<Session<B>>,
    req: &Request,
) -> Result<(Inputs<B>, Flags), PlanFailure> {
    let f = &req.flags;
    plan_request(cell, req)?;
    let i = inputs(cell)?;
    let flags = Flags {
        force: f.a,
        ..Default::default()
    };
    Ok((i, flags))
}

/// The tree `-work` keeps. Only made under `-work`: made for nothing, it costs a cold build of
/// a real program a pass over every action's steps after the last tool.
#[cfg(feature = "extras")]
fn kept_work_tree(
    p: &Planned,
    f: &BuildFlags,
    work_dir: &str,
    result: &BuildResult,
) -> Option<WorkTree> {
    if !f.work {
        return None;
    }
    transcript::work_tree(&transcript::RenderInput {
        plan: &p.plan,
        flags: f.print(),
        verbose: f.v,
        work_dir,
        gocache: &crate::gocache(),
        runs: &result.runs,
    })
}

/// Plans for this request's machine, patterns, directory and `-o` (kept when they are the last
/// plan's).
fn plan_request<B: Backend + Clone>(
    cell: &RefCell<Session<B>>,
    req: &Request,
) -> Result<(), PlanFailure> {
    let f = &req.flags;
    let mut s = cell.borrow_mut();
    s.set_machine(req.cpus, f.p);
    let (patterns, cwd) = (f.patterns.clone(), req.cwd.clone());
    // -o: a directory when it ends in `/` or the workspace has one by that name.
    let mode = f.mode(|o| {
        let dir = match cwd.as_str() {
            "" | "." => format!("{o}/"),
            c => format!("{c}/{o}/"),
        };
        s.ws.iter().any(|(path, _)| path.starts_with(&dir))
    });
    if s.req.patterns != patterns
        || s.req.cwd != cwd
        || s.req.mode != mode
        || s.req.settings != f.settings
    {
        s.req.mode = mode;
        s.req.settings = f.settings.clone();
        s.plan(patterns, cwd)?;
    }
    Ok(())
}

/// Whether this simulated build needs what only the full module has: the tree `-work` keeps,
/// the build settings (`-trimpath`, `-tags`, `-gcflags`…: core's `build-settings`), a Go file
/// other than a sample's as it ships (core's `compile-checks`), the checks
/// of `//go:embed` directives (core's `embed-directives`), a Go file with an exported function
/// (core's `escape-analysis`), two Go files in one directory (their declarations are checked
/// against each other only there), or cgo's commands (`-n` or `-x` over a plan with a cgo step, planned for the simulated toolchain). The first-load module is built without them (core without `cgo-commands`; no
/// work tree): it refuses such a build before it reads or writes anything, and the page runs it
/// again on the full module. A plan that fails is left to the build to report.
pub fn needs_full_module<B: Backend + Clone>(cell: &RefCell<Session<B>>, req: &Request) -> bool {
    let f = &req.flags;
    if f.work || !f.settings.is_default() {
        return true;
    }
    // The simulated compiler's checks are the full module's (core's `compile-checks`): the first
    // module builds only the samples' Go files as they ship (`crate::samples`), which compile;
    // any other Go file goes there. So do cmd/compile's checks of `//go:embed` directives
    // (core's `embed-directives`): any Go file holding one (the embed sample's builds too).
    // And the escape analysis (core's `escape-analysis`): any Go file with an exported function
    // or method, whose escape tags are in its package's export data (every sample's library
    // packages; `hello`, the page's opening sample, has none).
    // Each of those samples is one Go file: two in a directory (copies of one, say) could
    // declare the same names, which only the full module's checks see (as go would fail).
    #[cfg(not(feature = "extras"))]
    {
        let s = cell.borrow();
        let mut dirs: Vec<&str> = Vec::new();
        for (p, d) in s.workspace().iter().filter(|(p, _)| p.ends_with(".go")) {
            let dir = p.rsplit_once('/').map_or("", |(dir, _)| dir);
            if !crate::samples::is_sample_go_file(d)
                || buildlab_core::syntax::has_embed_directive(d)
                || buildlab_core::object::needs_escape_analysis(d)
                || dirs.contains(&dir)
            {
                return true;
            }
            dirs.push(dir);
        }
    }
    if !(f.n || f.x) {
        return false;
    }
    #[cfg(feature = "extras")]
    cell.borrow_mut().set_real(None);
    if plan_request(cell, req).is_err() {
        return false;
    }
    let planned = cell.borrow_mut().planned();
    planned.is_ok_and(|p| buildlab_core::cgo::plan_has_steps(&p.plan))
}

/// `WORK=` of a build started at `now`.
pub(crate) fn work_dir(now: UnixNanos) -> String {
    format!("/tmp/go-build{}", (now / 1000).rem_euclid(10_000_000_000))
}

/// After the build: the cache changes, the record and the binary's build ID flushed in one
/// write transaction (or kept in memory after a failed flush), and the session updated.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn flush<B: Backend + Clone>(
    cell: &RefCell<Session<B>>,
    i: Inputs<B>,
    f: &BuildFlags,
    now: UnixNanos,
    mut cache: DirCache<OverlayFs>,
    result: BuildResult,
    corrupt: Vec<Corrupt>,
    work_dir: String,
    read: ReadStats,
    real: Option<crate::real::RealRun>,
) -> Built {
    let p = &i.planned;
    // None in the first module: it hands `-work` builds to the full one ([`needs_full_module`]).
    #[cfg(feature = "extras")]
    let work = kept_work_tree(p, f, &work_dir, &result);

    let mut batch = cache.fs_mut().take_batch();
    let target = result.report.target.clone();
    let binary = match (p.binary_path(), &target) {
        (Some(path), Some(id)) if !f.n => Some((path, id.clone())),
        _ => None,
    };
    if !f.n {
        // Real binaries stay in the helper's store; only simulated ones are kept here.
        if binary.is_some() && target != i.target && real.is_none() {
            batch.binary = binary.clone();
        }
        // The record as IndexedDB holds it is `i.record` when `i.record_json` is known: an
        // equal record is not serialized, let alone written, again.
        let unchanged = i.record_json.is_some() && *i.record == result.report.record;
        if !unchanged {
            let json = result.report.record.to_json();
            if i.record_json.as_deref() != Some(json.as_str()) {
                batch.record = Some(json);
            }
        }
        // go trims at most daily (trim.txt); look at most hourly from one page.
        if i.trim_checked
            .is_none_or(|t| now - t >= buildlab_core::cache::HOUR)
        {
            batch.trim_at = Some(now);
        }
    }

    let mut write = WriteStats::default();
    let mut fallback = None;
    if let (true, Some(b), false) = (i.persistent, &i.backend, batch.is_empty()) {
        // A listing asked for before this write is not the next build's.
        cell.borrow_mut().drop_ahead();
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
    if fallback.is_none() && i.persistent && !f.n {
        // What IndexedDB now holds of this build's records (the batch was applied).
        // Entries with their bytes (small, and a hit reads them); outputs as listed only (a
        // hit needs their size, not their bytes, and a real build's are megabytes).
        let mut known = OverlayFs::default();
        for (path, data, mtime) in cache.fs().files() {
            match crate::store::slot(path) {
                Some((crate::store::ACTIONS, _)) => known.load(path, data.to_vec(), mtime),
                Some((crate::store::OUTPUTS, _)) => known.stub(path, data.len() as u64, mtime),
                _ => {}
            }
        }
        for (path, size, mtime) in cache.fs().stubs() {
            known.stub(path, size, mtime);
        }
        s.known = Rc::new(known);
    }
    if fallback.is_none() && write.transactions > 0 {
        if let Some(json) = &batch.record {
            s.record_json = Some(json.clone());
        }
        if batch.trim_at.is_some() {
            s.trim_checked = Some(now);
        }
    }
    if !f.n {
        // An unchanged record keeps its identity: the next build's dry run can then be skipped.
        if batch.record.is_some() || i.record_json.is_none() {
            s.record = Rc::new(result.report.record.clone());
        }
        // The dry run found everything among the known records and nothing ran: the same
        // inputs next time need no dry run, and make a no-op the page can run while IndexedDB
        // confirms the records (a build that runs jobs is not settled: it must stream).
        let nothing_ran = result.report.actions.iter().all(|a| !a.outcome.ran());
        let settled = read.gets == 0 && read.transactions == 1 && fallback.is_none() && nothing_ran;
        s.settled = settled.then(|| {
            i.dry_key(&Flags {
                force: f.a,
                ..Default::default()
            })
        });
        match (binary, &real) {
            (Some((path, id)), None) => {
                s.binaries.insert(path, id);
            }
            // Only the full module runs real builds (the first module has no real binaries).
            #[cfg(feature = "extras")]
            (Some((path, build_id)), Some(r)) => {
                // Linked now, or the one in place still current.
                let hex = r.binary_hex.clone().or_else(|| {
                    (i.target.as_deref() == Some(build_id.as_str()))
                        .then(|| s.real_binary_at(&path).map(|b| b.hex.clone()))
                        .flatten()
                });
                match hex {
                    Some(hex) => {
                        s.real_binaries.retain(|b| b.0 != path);
                        s.real_binaries.push((path, RealBinary { build_id, hex }));
                    }
                    None => {
                        s.real_binaries.retain(|b| b.0 != path);
                    }
                }
            }
            _ => {}
        }
    }
    Built {
        planned: i.planned.clone(),
        flags: f.clone(),
        result,
        #[cfg(feature = "extras")]
        work,
        work_dir,
        read,
        write,
        corrupt,
        storage: s.storage.clone(),
        fallback,
        #[cfg(feature = "extras")]
        real,
        phases: None,
    }
}
