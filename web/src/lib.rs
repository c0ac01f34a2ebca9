//! `buildlab-web`: the wasm side of Buildlab. It owns every type that crosses into JavaScript
//! (the DTOs in [`dto`]), the IndexedDB store ([`store`]), the in-memory cache overlay that lets
//! the synchronous core build against it ([`overlay`]), and the session that drives a build
//! ([`session`]). The JS API is the free functions below and the [`Lab`] class.
//!
//! Domain logic stays in `buildlab-core`; this crate only adapts it to the browser.
//!
//! The page loads it twice over: first built without the `extras` feature (the first build and
//! nothing else: `Lab.open`, `loadFiles`, `build`, `listAhead`, `handoff`), then the full build,
//! prefetched once that build is on screen, into which the session moves with [`Lab::handoff`]
//! and `Lab::adopt` on the first use of anything else (an edit's prediction, the graph, the
//! commands, the cache panel, lessons, share links, traces, the real toolchain; www/src/engine.js).

pub mod assets;
pub mod dto;
pub mod goflags;
pub mod jsread;
pub mod lessons;
pub mod overlay;
pub mod real;
#[cfg(any(test, not(feature = "extras")))]
pub mod samples;
pub mod session;
#[cfg(test)]
mod split_tests;
pub mod store;
#[cfg(test)]
mod tests;

/// The allocator in the browser: talc's, configured for wasm (its memory grows the module's
/// linear memory on demand), in place of the standard library's dlmalloc, which was 7 KB of
/// the first module's code (docs/benchmarks.md, Page weight). The page has no threads.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

#[cfg(feature = "extras")]
use buildlab_core::cache::{du_size, human_size, DirCache};
use buildlab_core::cache::{gocache_dir, UnixNanos};
#[cfg(feature = "extras")]
use buildlab_core::transcript;
use buildlab_core::workspace::Workspace;
use wasm_bindgen::prelude::*;

use crate::session::Session;
use crate::store::{Backend, IdbBackend};

/// Called by the page's loader once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {}

/// The walking skeleton's summary of the built-in sample module: module path, file hashes and
/// the combined digest. The page shows it once its first build is visible, from the full module
/// it prefetches then without switching to it (www/src/engine.js `about`): the first module is
/// the first build and nothing else.
#[cfg(feature = "extras")]
#[wasm_bindgen(js_name = sampleSummary)]
pub fn sample_summary() -> Result<JsValue, JsError> {
    let summary = buildlab_core::sample::summarize(&buildlab_core::sample::hello())
        .map_err(|e| JsError::new(&e))?;
    dto::to_js(&dto::Summary::from(summary))
}

/// The sample module's source as txtar. The page fetches its samples as files, so only the full
/// module (and the tests) carry this.
#[cfg(feature = "extras")]
#[wasm_bindgen(js_name = sampleTxtar)]
pub fn sample_txtar() -> String {
    buildlab_core::sample::HELLO_TXTAR.to_string()
}

/// Records this visit in IndexedDB and returns the record stored by the previous visit (if any)
/// and the new one. The full module's only, like `sampleSummary`.
#[cfg(feature = "extras")]
#[wasm_bindgen(js_name = recordVisit)]
pub fn record_visit(digest: String) -> js_sys::Promise {
    promise(async move {
        let db = store::open(store::DB_NAME)
            .await
            .map_err(store::StoreError::into_js)?;
        let out = store::record_visit(&db, &digest)
            .await
            .map_err(store::StoreError::into_js);
        db.close();
        dto::to_js(&out?)
    })
}

/// The simulated `GOCACHE`: go's default for a Linux user `gopher`.
pub fn gocache() -> String {
    gocache_dir("linux", &|k| {
        (k == "HOME").then(|| "/home/gopher".to_string())
    })
    .unwrap_or_default()
}

/// `go env NAME` in the simulated environment; `None` for a variable it does not model.
pub fn go_env(name: &str) -> Option<String> {
    let tc = buildlab_core::plan::Toolchain::default();
    match name {
        "GOCACHE" => Some(gocache()),
        "GOROOT" => Some(tc.goroot),
        "GOOS" => Some(tc.goos),
        "GOARCH" => Some(tc.goarch),
        "GOVERSION" => Some(tc.version),
        "GOMAXPROCS" => Some(tc.cpus.to_string()),
        _ => None,
    }
}

/// Parses a lesson file (`id` is its name without `.json`). Returns the lesson as the page shows
/// it — steps, questions and their kinds, never the expected answers — or throws every problem,
/// one per line, each with its place.
#[cfg(feature = "extras")]
#[wasm_bindgen(js_name = parseLesson)]
pub fn parse_lesson(id: &str, text: &str) -> Result<JsValue, JsError> {
    let l = lesson_of(id, text)?;
    dto::to_js(&dto::Lesson::of(&l))
}

#[cfg(feature = "extras")]
fn lesson_of(id: &str, text: &str) -> Result<buildlab_core::lesson::Lesson, JsError> {
    buildlab_core::lesson::parse(id, text).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| format!("{id}.json: {e}")).collect();
        JsError::new(&lines.join("\n"))
    })
}

/// The browser's clock, as the cache wants it (Unix nanoseconds).
pub fn now() -> UnixNanos {
    js_sys::Date::now() as i64 * 1_000_000
}

/// The cache in IndexedDB database `name` (in memory, saying why, when it cannot be opened).
#[cfg(feature = "extras")]
async fn open_cache(name: &str) -> session::CacheSide<IdbBackend> {
    match store::open(name).await {
        Ok(db) => {
            let b = IdbBackend::new(db);
            let workdir = b.workdir().await.unwrap_or_default();
            session::CacheSide::new(Some(b), None, &workdir)
        }
        Err(e) => session::CacheSide::new(
            None,
            Some(format!("IndexedDB: {}", e.describe())),
            &Default::default(),
        ),
    }
}

/// Why `build` refuses a real build: the executor is missing, or this is the first-load module,
/// built without the real toolchain's driver (the page then loads the full module).
#[cfg(feature = "extras")]
const NO_REAL_BUILD: &str = "a real build needs the helper's executor";
#[cfg(not(feature = "extras"))]
const NO_REAL_BUILD: &str =
    "this module has no real toolchain: the page loads the full module for it";

/// Why the first-load module refuses a simulated build that needs what only the full module has
/// (`-work`'s tree, the build settings, `//go:embed` directives, exported functions (the escape
/// analysis), cgo's commands:
/// [`session::needs_full_module`]; a
/// `go.mod` beyond a `module` and a `go` line, a vendor directory, a pattern other than a
/// directory's, each a load error naming what this build leaves out (`gomod::UNSUPPORTED`,
/// `load::PATTERNS_UNSUPPORTED`); and any load or plan that fails, whose errors the full
/// module prints in go's words).
/// `www/src/engine.js` knows this text: it loads the full module and builds again.
#[cfg(not(feature = "extras"))]
const NEEDS_FULL_MODULE: &str =
    "this module builds only what a sample's first build needs (the samples' Go files as they ship, without exported functions; no -work tree, build settings, cgo commands, //go:embed directives, go.mod beyond module and go lines, package patterns beyond directories, or errors before the build): the page loads the full module for the rest";

/// A Buildlab session: a workspace, its plan, and the build cache in IndexedDB (or in memory
/// after a quota failure). Methods that touch IndexedDB return promises.
#[wasm_bindgen]
pub struct Lab {
    session: Rc<RefCell<Session<IdbBackend>>>,
    /// The simulation's IndexedDB database; the real toolchain's is `<name>-real` (opened by
    /// the full module only: the first refuses real builds).
    #[cfg(feature = "extras")]
    db_name: String,
}

/// A JS promise of an async export's future. Every export goes through one boxed future type,
/// so the module carries one copy of `future_to_promise`'s task and callbacks instead of one per
/// export (each async body is still its own state machine).
fn promise<F>(f: F) -> js_sys::Promise
where
    F: Future<Output = Result<JsValue, JsError>> + 'static,
{
    to_promise(Box::pin(f))
}

fn to_promise(
    f: std::pin::Pin<Box<dyn Future<Output = Result<JsValue, JsError>>>>,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move { f.await.map_err(JsValue::from) })
}

#[cfg(feature = "extras")]
fn from_js<T: serde::de::DeserializeOwned + Default>(v: JsValue) -> Result<T, JsError> {
    if v.is_undefined() || v.is_null() {
        return Ok(T::default());
    }
    serde_wasm_bindgen::from_value(v).map_err(|e| JsError::new(&e.to_string()))
}

#[wasm_bindgen]
impl Lab {
    /// Opens a session over the IndexedDB database `dbName` (default `buildlab`). Without
    /// IndexedDB the session keeps its cache in memory and says so in `storage`.
    ///
    /// The page's modules carry no std graph: linux/amd64's is fetched while IndexedDB opens
    /// (`assets::StdFetch`). If that fails, the session still opens (its cache and files work);
    /// a simulated build tries the fetch again and fails in its words, naming the file.
    /// Resolves to the `Lab`.
    pub fn open(db_name: Option<String>) -> js_sys::Promise {
        promise(async move { Ok(Lab::opened(db_name).await.into()) })
    }
}

impl Lab {
    /// [`Lab::open`]'s session, for Rust callers.
    pub async fn opened(db_name: Option<String>) -> Lab {
        let std = assets::start_simulated();
        let name = db_name.unwrap_or_else(|| store::DB_NAME.to_string());
        let session = match store::open(&name).await {
            Ok(db) => {
                let b = IdbBackend::new(db);
                let workdir = b.workdir().await.unwrap_or_default();
                Session::new(Some(b), None, workdir)
            }
            Err(e) => Session::new(
                None,
                Some(format!("IndexedDB: {}", e.describe())),
                Default::default(),
            ),
        };
        if let Err(e) = std.finish().await {
            web_sys::console::warn_1(&JsValue::from_str(&e));
        }
        Lab {
            session: Rc::new(RefCell::new(session)),
            #[cfg(feature = "extras")]
            db_name: name,
        }
    }
}

#[wasm_bindgen]
impl Lab {
    /// Loads a workspace from a txtar archive. Returns `{files, comment}`. The page hands its
    /// files over with `loadFiles`: only the full module (and the tests) carry this.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = loadTxtar)]
    pub fn load_txtar(&self, text: &str) -> Result<JsValue, JsError> {
        let (comment, ws) =
            Workspace::from_txtar(text).map_err(|e| JsError::new(&e.to_string()))?;
        let files = ws.len();
        self.session.borrow_mut().load(ws);
        dto::to_js(&dto::Loaded { files, comment })
    }

    /// Loads a workspace from `[{path, text}]`. Returns `{files, comment: ""}`.
    #[wasm_bindgen(js_name = loadFiles)]
    pub fn load_files(&self, files: JsValue) -> Result<JsValue, JsError> {
        let files = dto::FileIn::list_from_js(&files)?;
        let mut ws = Workspace::new();
        for f in files {
            ws.insert(&f.path, f.text)
                .map_err(|e| JsError::new(&e.to_string()))?;
        }
        let n = ws.len();
        self.session.borrow_mut().load(ws);
        dto::to_js(&dto::Loaded {
            files: n,
            comment: String::new(),
        })
    }

    /// The workspace as txtar (the full module's; the tests compare workspaces with it).
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = workspaceTxtar)]
    pub fn workspace_txtar(&self) -> String {
        self.session.borrow().workspace().to_txtar("")
    }

    /// Loads and plans `go build [patterns]` in `cwd` (`{patterns?, cwd?}`, default `.` at the
    /// root). Returns the plan DTO: `{ok, packages, actions, errors, errorText, warnings}`. The
    /// package graph's: the full module's only (the first module's build plans by itself).
    #[cfg(feature = "extras")]
    pub fn plan(&self, options: JsValue) -> Result<JsValue, JsError> {
        let o = dto::PlanOptions::from_js(&options)?;
        let r = self.session.borrow_mut().plan(o.patterns, o.cwd);
        dto::to_js(&match r {
            Ok(p) => dto::Plan::of(&p),
            Err(f) => dto::Plan::failed(&f),
        })
    }

    /// Predicts the rebuild set against the cache (`{force?}`), changing nothing. Resolves to
    /// the build DTO with `predicted: true`. Asked on the first edit: the full module's only.
    #[cfg(feature = "extras")]
    pub fn predict(&self, options: JsValue) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let o = dto::BuildOptions::from_js(&options)?;
            let r = session::predict(&s, o.force).await;
            let storage = s.borrow().storage().clone();
            dto::to_js(&match r {
                Ok(out) => dto::Build::of(&out),
                Err(f) => dto::Build::failed(&f, &storage),
            })
        })
    }

    /// `go build` with the simulated toolchain over the IndexedDB cache. `options`:
    /// `{argv: ["go", "build", "-x", "."]}` or `{flags: {x, n, a, work, p}, patterns}`, plus
    /// `cpus` (the virtual machine's, default 2) and `cwd`. `onEvent`, when given, is called
    /// while the build runs with `{kind: "actions", actions}` for every batch of actions that
    /// finished (in order; a warm build's come in one batch), then
    /// with `{kind: "output", text, action}` for each piece of the transcript. Resolves to the
    /// build DTO (`dto::BuildRun`): exit code, go's output, the trace, hits and misses, the
    /// compiled / assembled / linked sets, `$WORK` under `-work`, the simulated wall time. A flag
    /// error resolves with exit code 2 and go's usage text; load errors with 1 and go's errors.
    ///
    /// With `real` in the options (the helper's Go) and an `executor` (`www/src/helper.js`), the
    /// build runs the real tools for its misses through the helper ([`real::build`]).
    pub fn build(
        &self,
        options: JsValue,
        on_event: Option<js_sys::Function>,
        executor: Option<JsValue>,
    ) -> js_sys::Promise {
        let s = self.session.clone();
        #[cfg(feature = "extras")]
        let real_db = format!("{}-real", self.db_name);
        promise(async move {
            let o = dto::RunOptions::from_js(&options)?;
            // The first module refuses a real build below: it opens no cache for one.
            #[cfg(feature = "extras")]
            if o.real.is_some() && !s.borrow().has_real_cache() {
                let side = open_cache(&real_db).await;
                s.borrow_mut().attach_real_cache(side);
            }
            let storage = s.borrow().storage().clone();
            let flags = match &o.argv {
                Some(argv) => goflags::parse_argv(argv),
                None => {
                    let f = o.flags.clone().unwrap_or_default();
                    match f.p {
                        Some(0) => Err(goflags::FlagError(
                            "go: -p must be a positive integer: 0".into(),
                            1,
                        )),
                        _ => Ok(goflags::BuildFlags {
                            x: f.x,
                            n: f.n,
                            a: f.a,
                            work: f.work,
                            p: f.p,
                            patterns: if o.patterns.is_empty() {
                                vec![".".into()]
                            } else {
                                o.patterns.clone()
                            },
                            ..Default::default()
                        }),
                    }
                }
            };
            let emit = |v: &dto::Progress| emit_to(&on_event, v);
            let flags = match flags {
                Ok(f) => f,
                Err(goflags::FlagError(text, status)) => {
                    let run = dto::BuildRun::stopped(
                        o.flags.clone().unwrap_or_default(),
                        text,
                        status,
                        None,
                        &storage,
                    );
                    emit(&dto::Progress::Output {
                        text: &run.output,
                        action: None,
                    });
                    return dto::to_js(&run);
                }
            };
            let req = session::Request {
                flags: flags.clone(),
                cpus: o.cpus.unwrap_or(2).max(1),
                cwd: o.cwd.clone(),
            };
            let mut progress = action_batches(&on_event);
            let r = match (o.real.clone(), executor) {
                #[cfg(feature = "extras")]
                (Some(go), Some(exec)) => {
                    let go = dto::RealGoIn::from_js(go)?;
                    assets::ensure_std(&go.goos, &go.goarch, false).await?;
                    s.borrow_mut().set_real(Some(go.into()));
                    real::build(&s, &req, now(), &mut progress, exec).await
                }
                (Some(_), _) => return Err(JsError::new(NO_REAL_BUILD)),
                _ => {
                    assets::start_simulated()
                        .finish()
                        .await
                        .map_err(|e| JsError::new(&e))?;
                    #[cfg(not(feature = "extras"))]
                    if session::needs_full_module(&s, &req) {
                        return Err(JsError::new(NEEDS_FULL_MODULE));
                    }
                    session::build(&s, &req, now(), &mut progress).await
                }
            };
            let run = match r {
                Ok(b) => {
                    let run = dto::BuildRun::of(&b);
                    let label = o.label.clone().unwrap_or_else(|| "build".into());
                    let mut s = s.borrow_mut();
                    s.remember(label, b.planned.clone(), b.result.trace);
                    s.last_report = Some(b.result.report);
                    run
                }
                // Before anything was read or written: the full module loads this, and says
                // what stopped the load or the plan in go's words (the first module's first
                // build is a sample's, which loads and plans).
                #[cfg(not(feature = "extras"))]
                Err(_) => return Err(JsError::new(NEEDS_FULL_MODULE)),
                #[cfg(feature = "extras")]
                Err(f) => {
                    let plan = dto::Plan::failed(&f);
                    // go's builder printed `WORK=` before it loaded anything.
                    let work = session::work_dir(now());
                    let work = transcript::work_line(flags.print(), &work);
                    dto::BuildRun::stopped(
                        (&flags).into(),
                        work.unwrap_or_default() + &plan.error_text,
                        1,
                        Some(plan),
                        &storage,
                    )
                }
            };
            for c in &run.chunks {
                emit(&dto::Progress::Output {
                    text: &c.text,
                    action: c.action,
                });
            }
            dto::to_js(&run)
        })
    }

    /// The lines the last build hashed into the action ID of `build <importPath>` (what the
    /// graph's detail lists), or `null` when that build had no such action. The graph is the full
    /// module's: the first module hands its last build's inputs over with `handoff`.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = actionInputs)]
    pub fn action_inputs(&self, import_path: &str) -> JsValue {
        let s = self.session.borrow();
        let key = format!("build {import_path}");
        let lines = match &s.last_report {
            Some(r) => r
                .get(&key)
                .map(|a| a.inputs.lines().map(String::from).collect::<Vec<_>>()),
            None => s
                .handed_inputs
                .binary_search_by(|(k, _)| k.as_str().cmp(&key))
                .ok()
                .map(|i| s.handed_inputs[i].1.clone()),
        };
        match lines {
            Some(l) => dto::to_js(&l).unwrap_or(JsValue::NULL),
            None => JsValue::NULL,
        }
    }

    /// After a real build: saves the outputs it left on the helper to IndexedDB with their
    /// entries ([`real::save_outputs`]). `fetcher.fetch(hexes)` is the helper's outputs
    /// stream (`www/src/helper.js`); `onProgress(doneBytes, totalBytes)` is called as it goes.
    /// Resolves to `{entries, outputs, missing, bytes, totalBytes}` (nothing to save: zeros).
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = saveOutputs)]
    pub fn save_outputs(
        &self,
        fetcher: JsValue,
        on_progress: Option<js_sys::Function>,
    ) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let progress = |done: u64, total: u64| {
                if let Some(f) = &on_progress {
                    let _ = f.call2(
                        &JsValue::NULL,
                        &JsValue::from_f64(done as f64),
                        &JsValue::from_f64(total as f64),
                    );
                }
            };
            let r = real::save_outputs(&s, &fetcher, &progress)
                .await
                .map_err(|e| JsError::new(&e))?;
            let o = js_sys::Object::new();
            let set = |k: &str, v: JsValue| {
                let _ = js_sys::Reflect::set(&o, &k.into(), &v);
            };
            set("entries", JsValue::from(r.entries as u32));
            set("outputs", JsValue::from(r.outputs as u32));
            let missing = js_sys::Array::new();
            for h in &r.missing {
                missing.push(&JsValue::from_str(h));
            }
            set("missing", missing.into());
            set("bytes", JsValue::from_f64(r.bytes as f64));
            set("totalBytes", JsValue::from_f64(r.total_bytes as f64));
            Ok(o.into())
        })
    }

    /// The real binary the current plan installs, when a real build left one in place:
    /// `{path, buildId, hex}` (run it with the helper's `/api/v1/run/<hex>`), else `null`.
    /// Only the full module builds with the real toolchain, so only it has real binaries.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = realBinary)]
    pub fn real_binary(&self) -> Result<JsValue, JsError> {
        let b = self.session.borrow_mut().real_binary();
        match b {
            Some((path, b)) => dto::to_js(&dto::RealBinaryDto {
                path,
                build_id: b.build_id,
                hex: b.hex,
            }),
            None => Ok(JsValue::NULL),
        }
    }

    /// The Build button is pressed: asks IndexedDB now for the key listing the next build
    /// confirms its known records with, so that it is there by the click
    /// ([`session::Session::list_ahead`]).
    #[wasm_bindgen(js_name = listAhead)]
    pub fn list_ahead(&self) {
        self.session.borrow_mut().list_ahead();
    }

    /// `go clean -cache`. Resolves to `{removed}` (the number of records removed). This and the
    /// cache panel's exports below are the full module's: the page switches to it for them.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = cleanCache)]
    pub fn clean_cache(&self) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let removed = session::clean_cache(&s)
                .await
                .map_err(|e| JsError::new(&e))?;
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"removed".into(), &JsValue::from(removed));
            Ok(o.into())
        })
    }

    /// `go env NAME` for the simulated environment (`GOCACHE`, `GOROOT`, `GOOS`, `GOARCH`,
    /// `GOVERSION`); `undefined` for anything else.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = goEnv)]
    pub fn go_env(&self, name: &str) -> Option<String> {
        go_env(name)
    }

    /// The cache's size: `{bytes, duBytes, du, files, storage}` (`du` as `du -sh` prints it).
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = cacheSize)]
    pub fn cache_size(&self) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let (c, storage) = snapshot(&s).await?;
            let list = c.list();
            let du = du_size(&c);
            dto::to_js(&dto::CacheSize {
                bytes: list.iter().map(|l| l.size).sum(),
                du_bytes: du,
                du: human_size(du),
                files: list.len(),
                storage,
            })
        })
    }

    /// Every cache file: `[{name: "xx/<hex>-a", size, usedMs}]`, sorted by name.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = cacheList)]
    pub fn cache_list(&self) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let (c, _) = snapshot(&s).await?;
            let files: Vec<dto::CacheFile> = c
                .list()
                .into_iter()
                .map(|l| dto::CacheFile {
                    name: l.path,
                    size: l.size,
                    used_ms: (l.mtime / 1_000_000) as f64,
                })
                .collect();
            dto::to_js(&files)
        })
    }

    /// `{storage, persisted, usage, quota}` from `navigator.storage`.
    #[cfg(feature = "extras")]
    pub fn storage(&self) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let storage = (&s.borrow().storage().clone()).into();
            let mgr = web_sys::window().map(|w| w.navigator().storage());
            let (mut persisted, mut usage, mut quota) = (None, None, None);
            if let Some(m) = mgr {
                if let Ok(p) = m.persisted() {
                    persisted = wasm_bindgen_futures::JsFuture::from(p)
                        .await
                        .ok()
                        .and_then(|v| v.as_bool());
                }
                if let Ok(p) = m.estimate() {
                    if let Ok(e) = wasm_bindgen_futures::JsFuture::from(p).await {
                        let get = |k: &str| {
                            js_sys::Reflect::get(&e, &k.into())
                                .ok()
                                .and_then(|v| v.as_f64())
                        };
                        usage = get("usage");
                        quota = get("quota");
                    }
                }
            }
            dto::to_js(&dto::StorageInfo {
                storage,
                persisted,
                usage,
                quota,
            })
        })
    }

    /// `navigator.storage.persist()`: resolves to whether the browser granted persistence.
    /// The page does not call it (nothing asks for persistence yet): only the full module has it.
    #[cfg(feature = "extras")]
    pub fn persist(&self) -> js_sys::Promise {
        promise(async move {
            let m = web_sys::window()
                .ok_or_else(|| JsError::new("no window"))?
                .navigator()
                .storage();
            let p = m
                .persist()
                .map_err(|_| JsError::new("navigator.storage.persist failed"))?;
            let v = wasm_bindgen_futures::JsFuture::from(p)
                .await
                .map_err(|_| JsError::new("persist rejected"))?;
            Ok(JsValue::from_bool(v.as_bool().unwrap_or(false)))
        })
    }

    /// Imports a real go trace: `-debug-trace` (Chrome trace JSON) or `-debug-actiongraph` JSON,
    /// told apart by shape. Returns `{origin, root, wallMs, packages, trace}` (`trace` as the
    /// timeline draws it); it becomes the current trace, read-only (a build replaces it).
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = importTrace)]
    pub fn import_trace(&self, json: &str) -> Result<JsValue, JsError> {
        use buildlab_core::trace;
        let t = if json.trim_start().starts_with('[') && json.contains("\"ph\"") {
            trace::from_chrome_trace(json)
        } else {
            trace::from_actiongraph(json)
        }
        .map_err(|e| JsError::new(&e.to_string()))?;
        // Parsed again for the packages the file names besides its actions (`unsafe`).
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
        let out = dto::to_js(&dto::Imported::named(&t, &v));
        self.session.borrow_mut().trace = Some(t);
        out
    }

    /// The current trace — the last imported, else the last build's, else the plan simulated on
    /// the oracle machine — as `chrome` (Trace Event JSON, opens in Perfetto) or `actiongraph`
    /// (`-debug-actiongraph`; not for an imported trace, which has no plan here).
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = exportTrace)]
    pub fn export_trace(&self, format: &str) -> Result<String, JsError> {
        use buildlab_core::trace;
        let mut s = self.session.borrow_mut();
        let (t, planned) = match (&s.trace, &s.last_build) {
            (Some(t), _) => (t.clone(), None),
            (None, Some((p, t))) => (t.clone(), Some(p.clone())),
            (None, None) => match s.planned() {
                Ok(p) => (simulated_trace(&p), Some(p)),
                Err(_) => {
                    return Err(JsError::new(
                        "nothing to export: load and plan a workspace first",
                    ))
                }
            },
        };
        match format {
            "chrome" => Ok(trace::to_chrome_trace(&t)),
            "actiongraph" => {
                let p = planned.ok_or_else(|| {
                    JsError::new(
                        "an imported trace has no action graph here; export it as a Chrome trace",
                    )
                })?;
                Ok(trace::to_actiongraph_json(
                    &p.plan,
                    &t,
                    "/tmp/go-build",
                    js_sys::Date::now() as i128 * 1_000_000,
                ))
            }
            _ => Err(JsError::new("format must be \"chrome\" or \"actiongraph\"")),
        }
    }

    /// The current trace as the trace DTO (see `exportTrace`).
    #[cfg(feature = "extras")]
    pub fn trace(&self) -> Result<JsValue, JsError> {
        let mut s = self.session.borrow_mut();
        if let Some(t) = s.trace.as_ref().or(s.last_build.as_ref().map(|b| &b.1)) {
            return dto::to_js(&dto::Trace::from(t));
        }
        match s.planned() {
            Ok(p) => dto::to_js(&dto::Trace::from(&simulated_trace(&p))),
            Err(_) => Ok(JsValue::NULL),
        }
    }

    /// Runs step `step` (0-based) of the lesson in `text` (file `id`.json) on this session: opens
    /// its workspace, runs its commands and builds over this page's cache, then keeps the builds
    /// for `checkAnswer`. `onEvent` gets `{kind: "command", text}` before each command, the
    /// builds' `actions` and `output` events (as `build`'s), and `output` for `go env`. Resolves to
    /// `{lesson, step, builds: [{label, argv, cpus, run}], files, questions}`; rejects with a
    /// sentence when the lesson or the experiment cannot run.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = runLessonStep)]
    pub fn run_lesson_step(
        &self,
        id: String,
        text: String,
        step: usize,
        on_event: Option<js_sys::Function>,
    ) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let lesson = lesson_of(&id, &text)?;
            let emit = |v: &dto::Progress| emit_to(&on_event, v);
            let steps = lesson.steps.get(step).cloned();
            let mut builds = Vec::new();
            let mut events = |e: lessons::StepEvent| match e {
                lessons::StepEvent::Command(text) => emit(&dto::Progress::Command { text }),
                lessons::StepEvent::Output(text) => {
                    emit(&dto::Progress::Output { text, action: None })
                }
                lessons::StepEvent::Built(label, b) => {
                    let run = dto::BuildRun::of(b);
                    for c in &run.chunks {
                        emit(&dto::Progress::Output {
                            text: &c.text,
                            action: c.action,
                        });
                    }
                    let cmd = steps.as_ref().and_then(|st| {
                        st.run.iter().find_map(|a| match a {
                            buildlab_core::lesson::Action::Build(x) if x.label == label => Some(x),
                            _ => None,
                        })
                    });
                    builds.push(dto::StepBuild {
                        label: label.to_string(),
                        argv: cmd.map(|x| x.argv()).unwrap_or_default(),
                        cpus: cmd.map_or(2, |x| x.cpus),
                        run,
                    });
                }
            };
            let mut progress = action_batches(&on_event);
            lessons::run_step(&s, lesson, step, now(), &mut events, &mut progress)
                .await
                .map_err(|e| JsError::new(&e))?;
            let s = s.borrow();
            let run = s.step.as_ref().expect("run_step keeps its run");
            let questions = run.lesson.steps[step]
                .questions
                .iter()
                .map(|q| dto::Question::of(q, run.choices(q)))
                .collect();
            dto::to_js(&dto::StepRun {
                lesson: id,
                step,
                builds,
                files: dto::files_of(s.workspace()),
                questions,
            })
        })
    }

    /// Checks the learner's answer to question `question` (0-based) of the step that ran last,
    /// against that step's builds (`core::lesson::check`). `answer` is a number, a boolean, a
    /// string or an array of strings (typed text is read too: `3`, `yes`, `a, b`). Returns
    /// `{correct, observed, explain}`; throws when no step has run or the answer cannot be read.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = checkAnswer)]
    pub fn check_answer(&self, question: usize, answer: JsValue) -> Result<JsValue, JsError> {
        let answer: serde_json::Value = if answer.is_undefined() || answer.is_null() {
            serde_json::Value::Null
        } else {
            serde_wasm_bindgen::from_value(answer).map_err(|e| JsError::new(&e.to_string()))?
        };
        let s = self.session.borrow();
        let run = s
            .step
            .as_ref()
            .ok_or_else(|| JsError::new("run the step's experiment first"))?;
        let v = run.check(question, &answer).map_err(|e| JsError::new(&e))?;
        let explain = run.lesson.steps[run.step].questions[question]
            .explain
            .clone();
        dto::to_js(&dto::Verdict {
            correct: v.correct,
            observed: v.observed.to_string(),
            explain,
        })
    }

    /// A share link's token (`1.…`, for `#share=`) for this session's workspace and the traces
    /// of its last builds, with the page's command line, toolchain and CPUs (`options`: `{argv,
    /// cpus, toolchain, cwd, title}`). Throws, with the reason, when the link would be refused.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = shareLink)]
    pub fn share_link(&self, options: JsValue) -> Result<String, JsError> {
        use buildlab_core::share;
        let shared = shared_of(&self.session.borrow(), from_js(options)?);
        share::validate(&shared).map_err(|e| JsError::new(&format!("cannot share: {e}")))?;
        Ok(share::encode(&shared))
    }

    /// The session handed to the page's full wasm module (everything but the first build:
    /// www/src/engine.js switches to it on the first use of anything else), for that module's
    /// `adopt`: `{files: [{path, bytes}], builds: [{label, origin, root, trace}], inputs?: [{key,
    /// lines}]}` (`inputs`: the last build's, [`dto::inputs_to_js`]) as plain JS values
    /// (`dto::HandoffBuild`; not a share link's JSON, whose writer and wire format would be in
    /// this module for nothing else). The cache, the why-rebuilt record and the binaries
    /// are in IndexedDB, which both modules open.
    pub fn handoff(&self) -> Result<JsValue, JsError> {
        let s = self.session.borrow();
        let builds: Vec<dto::HandoffBuild> = s.history.iter().map(dto::HandoffBuild::of).collect();
        let out = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&out, &"files".into(), &dto::files_to_js(s.workspace()));
        let _ = js_sys::Reflect::set(&out, &"builds".into(), &dto::to_js(&builds)?);
        if let Some(r) = &s.last_report {
            let _ = js_sys::Reflect::set(&out, &"inputs".into(), &dto::inputs_to_js(r));
        }
        Ok(out.into())
    }

    /// Takes over a session handed off by the first-load module (`handoff`): its workspace, its
    /// builds as the history, the last one as the last build's trace (so exports and share links
    /// made right after the switch show it), its last build's inputs (`actionInputs` answers
    /// them until this module builds). Throws, changing nothing, when `handoff` is not
    /// what `Lab.handoff` makes (the page then goes on without the history).
    #[cfg(feature = "extras")]
    pub fn adopt(&self, handoff: JsValue) -> Result<(), JsError> {
        let h = dto::Handoff::from_js(&handoff)?;
        let mut s = self.session.borrow_mut();
        s.load(h.workspace);
        s.history = h.builds;
        s.handed_inputs = h.inputs;
        let last = s.history.last().map(|b| b.1.clone());
        if let (Some(t), Ok(p)) = (last, s.planned()) {
            s.last_build = Some((p, t));
        }
        Ok(())
    }

    /// Opens a share link's token (with or without `#share=`): on success the session holds its
    /// workspace and its recorded builds become the history and the current trace; resolves to
    /// `{title, files, cwd, argv, toolchain, cpus, builds: [{label, wallMs, hits, misses,
    /// trace}]}`. A broken or hostile link throws the codec's sentence and changes nothing.
    #[cfg(feature = "extras")]
    #[wasm_bindgen(js_name = openShared)]
    pub fn open_shared(&self, token: &str) -> Result<JsValue, JsError> {
        let shared =
            buildlab_core::share::decode(token).map_err(|e| JsError::new(&e.to_string()))?;
        let out = dto::to_js(&dto::SharedDto::of(&shared))?;
        let mut s = self.session.borrow_mut();
        take_shared(&mut s, shared);
        s.trace = s.history.last().map(|b| b.1.clone());
        Ok(out)
    }
}

/// Makes a share link's session this session's: its workspace loaded, its recorded builds the
/// history, oldest first.
#[cfg(feature = "extras")]
fn take_shared<B: Backend + Clone>(s: &mut Session<B>, shared: buildlab_core::share::Shared) {
    s.load(shared.workspace);
    s.history = shared
        .builds
        .into_iter()
        .map(|b| (b.label, b.trace))
        .collect();
}

/// The session's workspace and last builds as a share link holds them, with the page's command
/// line, toolchain and CPUs from `o`.
#[cfg(feature = "extras")]
fn shared_of<B: Backend + Clone>(
    s: &Session<B>,
    o: dto::ShareOptions,
) -> buildlab_core::share::Shared {
    use buildlab_core::share::{self, Runner, SharedBuild, ToolchainChoice};
    let tc = buildlab_core::plan::Toolchain::default();
    share::Shared {
        title: o.title,
        workspace: s.workspace().clone(),
        cwd: o.cwd,
        argv: o.argv,
        toolchain: ToolchainChoice {
            runner: if o.toolchain == "real" {
                Runner::Real
            } else {
                Runner::Simulated
            },
            goos: tc.goos,
            goarch: tc.goarch,
            cgo: tc.cgo_enabled,
        },
        cpus: o.cpus.unwrap_or(2).clamp(1, share::MAX_CPUS),
        builds: s
            .history
            .iter()
            .map(|(label, trace)| SharedBuild {
                label: label.chars().take(share::MAX_LABEL_BYTES / 4).collect(),
                trace: trace.clone(),
            })
            .collect(),
    }
}

/// The plan run on the calibrated cost model, cold, at `-p` = the toolchain's CPUs.
#[cfg(feature = "extras")]
fn simulated_trace(p: &session::Planned) -> buildlab_core::trace::Trace {
    use buildlab_core::cost::{simulate, Simulation, Sizes};
    let tc = p.plan.toolchain();
    let mut sizes = buildlab_core::stdlib::StdLib::for_target(&tc.goos, &tc.goarch, tc.cgo_enabled)
        .map(Sizes::from_std)
        .unwrap_or_default();
    let files = buildlab_core::actionid::WorkspaceFiles {
        ws: &p.ws,
        root: p.req.module_root_display.clone(),
    };
    for pkg in p.plan.input().packages.iter().filter(|k| !k.standard) {
        sizes.insert_files(pkg, |n| {
            files
                .path(pkg, n)
                .and_then(|x| p.ws.get(&x))
                .map_or(0, |b| b.len() as u64)
        });
    }
    simulate(
        &p.plan,
        &sizes,
        &Simulation::oracle(tc.parallel.unwrap_or(tc.cpus).max(1)),
    )
}

/// Every cache file: IndexedDB's records under the memory cache's, as a GOCACHE directory.
#[cfg(feature = "extras")]
async fn snapshot<B: Backend + Clone>(
    s: &RefCell<Session<B>>,
) -> Result<(DirCache<overlay::OverlayFs>, dto::Storage), JsError> {
    let (backend, mem, storage) = {
        let s = s.borrow();
        (
            s.backend().cloned(),
            s.memory().clone(),
            dto::Storage::from(s.storage()),
        )
    };
    let mut fs = match backend {
        Some(b) => b
            .snapshot()
            .await
            .map_err(|e| JsError::new(&e.to_string()))?,
        None => overlay::OverlayFs::default(),
    };
    fs.overlay(&mem);
    Ok((DirCache::open(fs), storage))
}

/// A benchmark hook for `tests/bench/page-bench.mjs`: hashes a `mib` MiB buffer `rounds` times
/// three ways inside this module and returns the best rate of each in MB/s (10^6 bytes per
/// second, `performance.now()`): `[core, plain, from_js]`. `core` is `Digest::of`, what the
/// cache and the action IDs hash with; `plain` is a bare `blake3::hash` loop over the same bytes,
/// PERFORMANCE.md's reference (the page's hashing must reach 0.9× of it, simd128 on); `from_js`
/// is `Digest::of` over the bytes handed in from a JS `Uint8Array`, as a cache file comes from
/// IndexedDB, the copy into wasm memory included. The three are timed in turn each round so
/// that load on the machine falls on all of them alike. The full module's (the benchmark asks
/// it): the first module carries the first build only.
#[cfg(feature = "extras")]
#[wasm_bindgen(js_name = benchBlake3)]
pub fn bench_blake3(mib: u32, rounds: u32) -> Vec<f64> {
    let data: Vec<u8> = (0..(mib as usize) << 20)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let js = js_sys::Uint8Array::from(&data[..]);
    let perf = web_sys::window().and_then(|w| w.performance());
    let now = || perf.as_ref().map_or_else(js_sys::Date::now, |p| p.now());
    let mut best = [f64::INFINITY; 3];
    let mut sink = 0u8;
    for _ in 0..rounds.max(1) {
        let t = now();
        sink ^= buildlab_core::hash::Digest::of(&data).0[0];
        best[0] = best[0].min(now() - t);
        let t = now();
        sink ^= blake3::hash(&data).as_bytes()[0];
        best[1] = best[1].min(now() - t);
        let t = now();
        sink ^= buildlab_core::hash::Digest::of(&js.to_vec()).0[0];
        best[2] = best[2].min(now() - t);
    }
    std::hint::black_box(sink);
    best.iter()
        .map(|ms| data.len() as f64 / 1e6 / (ms / 1000.0))
        .collect()
}

/// Sends one progress event to the page's callback, if it gave one.
fn emit_to(on_event: &Option<js_sys::Function>, v: &dto::Progress) {
    if let (Some(f), Ok(js)) = (on_event, dto::to_js(v)) {
        let _ = f.call1(&JsValue::NULL, &js);
    }
}

/// The drive's report of finished actions as one `actions` event per batch (a warm build
/// finishes every action at once), each with its `$WORK` directory, worked out once per build.
fn action_batches(
    on_event: &Option<js_sys::Function>,
) -> impl FnMut(&session::Planned, Vec<buildlab_core::trace::TraceAction>) + '_ {
    let mut dirs = None;
    move |p: &session::Planned, done: Vec<buildlab_core::trace::TraceAction>| {
        if on_event.is_none() || done.is_empty() {
            return;
        }
        let dirs = dirs.get_or_insert_with(|| dto::workdirs(p));
        emit_to(
            on_event,
            &dto::Progress::Actions {
                actions: done
                    .iter()
                    .map(|a| dto::BuildAction::of(a, dirs.get(a.id).cloned()))
                    .collect(),
            },
        );
    }
}
