//! `buildlab-web`: the wasm side of Buildlab. It owns every type that crosses into JavaScript
//! (the DTOs in [`dto`]), the IndexedDB store ([`store`]), the in-memory cache overlay that lets
//! the synchronous core build against it ([`overlay`]), and the session that drives a build
//! ([`session`]). The JS API is the free functions below and the [`Lab`] class.
//!
//! Domain logic stays in `buildlab-core`; this crate only adapts it to the browser.

pub mod dto;
pub mod overlay;
pub mod session;
pub mod store;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use buildlab_core::cache::{du_size, gocache_dir, human_size, Cache, DirCache, UnixNanos};
use buildlab_core::workspace::Workspace;
use wasm_bindgen::prelude::*;

use crate::session::Session;
use crate::store::{Backend, IdbBackend};

/// Called by the page's loader once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {}

/// The walking skeleton's summary of the built-in sample module: module path, file hashes and
/// the combined digest.
#[wasm_bindgen(js_name = sampleSummary)]
pub fn sample_summary() -> Result<JsValue, JsError> {
    let summary = buildlab_core::sample::summarize(&buildlab_core::sample::hello())
        .map_err(|e| JsError::new(&e))?;
    dto::to_js(&dto::Summary::from(summary))
}

/// The sample module's source as txtar, for the page to display.
#[wasm_bindgen(js_name = sampleTxtar)]
pub fn sample_txtar() -> String {
    buildlab_core::sample::HELLO_TXTAR.to_string()
}

/// Records this visit in IndexedDB and returns the record stored by the previous visit (if any)
/// and the new one.
#[wasm_bindgen(js_name = recordVisit)]
pub async fn record_visit(digest: String) -> Result<JsValue, JsError> {
    let db = store::open(store::DB_NAME).await.map_err(store::js_error)?;
    let out = store::record_visit(&db, &digest)
        .await
        .map_err(store::js_error);
    db.close();
    dto::to_js(&out?)
}

/// The simulated `GOCACHE`: go's default for a Linux user `gopher`.
pub fn gocache() -> String {
    gocache_dir("linux", &|k| {
        (k == "HOME").then(|| "/home/gopher".to_string())
    })
    .unwrap_or_default()
}

/// The browser's clock, as the cache wants it (Unix nanoseconds).
pub fn now() -> UnixNanos {
    js_sys::Date::now() as i64 * 1_000_000
}

/// A Buildlab session: a workspace, its plan, and the build cache in IndexedDB (or in memory
/// after a quota failure). Methods that touch IndexedDB return promises.
#[wasm_bindgen]
pub struct Lab {
    session: Rc<RefCell<Session<IdbBackend>>>,
}

fn promise<F>(f: F) -> js_sys::Promise
where
    F: Future<Output = Result<JsValue, JsError>> + 'static,
{
    wasm_bindgen_futures::future_to_promise(async move { f.await.map_err(JsValue::from) })
}

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
    pub async fn open(db_name: Option<String>) -> Lab {
        let name = db_name.unwrap_or_else(|| store::DB_NAME.to_string());
        let session = match store::open(&name).await {
            Ok(db) => {
                let b = IdbBackend::new(db);
                let binary = b.binary().await.ok().flatten();
                Session::new(Some(b), None, binary)
            }
            Err(e) => Session::new(None, Some(format!("IndexedDB: {e}")), None),
        };
        Lab {
            session: Rc::new(RefCell::new(session)),
        }
    }

    /// Loads a workspace from a txtar archive. Returns `{files, comment}`.
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
        let files: Vec<dto::FileIn> =
            serde_wasm_bindgen::from_value(files).map_err(|e| JsError::new(&e.to_string()))?;
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

    /// The workspace as txtar.
    #[wasm_bindgen(js_name = workspaceTxtar)]
    pub fn workspace_txtar(&self) -> String {
        self.session.borrow().workspace().to_txtar("")
    }

    /// Loads and plans `go build [patterns]` in `cwd` (`{patterns?, cwd?}`, default `.` at the
    /// root). Returns the plan DTO: `{ok, packages, actions, errors, errorText, warnings}`.
    pub fn plan(&self, options: JsValue) -> Result<JsValue, JsError> {
        let o: dto::PlanOptions = from_js(options)?;
        let r = self.session.borrow_mut().plan(o.patterns, o.cwd);
        dto::to_js(&match r {
            Ok(p) => dto::Plan::of(&p),
            Err(f) => dto::Plan::failed(&f),
        })
    }

    /// Predicts the rebuild set against the cache (`{force?}`), changing nothing. Resolves to
    /// the build DTO with `predicted: true`.
    pub fn predict(&self, options: JsValue) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let o: dto::BuildOptions = from_js(options)?;
            let r = session::predict(&s, o.force).await;
            let storage = s.borrow().storage().clone();
            dto::to_js(&match r {
                Ok(out) => dto::Build::of(&out),
                Err(f) => dto::Build::failed(&f, &storage),
            })
        })
    }

    /// Builds (`{force?}` is `-a`) with the cache, and resolves to the build DTO: what ran and
    /// why, one event per action, the cache traffic and where the cache lives.
    pub fn build(&self, options: JsValue) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let o: dto::BuildOptions = from_js(options)?;
            let r = session::build(&s, o.force, now()).await;
            let storage = s.borrow().storage().clone();
            dto::to_js(&match r {
                Ok(out) => dto::Build::of(&out),
                Err(f) => dto::Build::failed(&f, &storage),
            })
        })
    }

    /// `go clean -cache`. Resolves to `{removed}` (the number of records removed).
    #[wasm_bindgen(js_name = cleanCache)]
    pub fn clean_cache(&self) -> js_sys::Promise {
        let s = self.session.clone();
        promise(async move {
            let (backend, mut removed) = {
                let mut s = s.borrow_mut();
                (s.backend().cloned(), s.clear_memory())
            };
            if let Some(b) = backend {
                removed += b.clear().await.map_err(|e| JsError::new(&e.to_string()))?;
            }
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"removed".into(), &JsValue::from(removed));
            Ok(o.into())
        })
    }

    /// `go env NAME` for the simulated environment (`GOCACHE`, `GOROOT`, `GOOS`, `GOARCH`,
    /// `GOVERSION`); `undefined` for anything else.
    #[wasm_bindgen(js_name = goEnv)]
    pub fn go_env(&self, name: &str) -> Option<String> {
        let tc = buildlab_core::plan::Toolchain::default();
        match name {
            "GOCACHE" => Some(gocache()),
            "GOROOT" => Some(tc.goroot),
            "GOOS" => Some(tc.goos),
            "GOARCH" => Some(tc.goarch),
            "GOVERSION" => Some(tc.version),
            _ => None,
        }
    }

    /// The cache's size: `{bytes, duBytes, du, files, storage}` (`du` as `du -sh` prints it).
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
    /// told apart by shape. Returns the trace DTO; it becomes the current trace.
    #[wasm_bindgen(js_name = importTrace)]
    pub fn import_trace(&self, json: &str) -> Result<JsValue, JsError> {
        use buildlab_core::trace;
        let t = if json.trim_start().starts_with('[') && json.contains("\"ph\"") {
            trace::from_chrome_trace(json)
        } else {
            trace::from_actiongraph(json)
        }
        .map_err(|e| JsError::new(&e.to_string()))?;
        let out = dto::to_js(&dto::Trace::from(&t));
        self.session.borrow_mut().trace = Some(t);
        out
    }

    /// The current trace (the last imported, else the plan simulated on the oracle machine) as
    /// `chrome` (Perfetto) or `actiongraph` JSON.
    #[wasm_bindgen(js_name = exportTrace)]
    pub fn export_trace(&self, format: &str) -> Result<String, JsError> {
        use buildlab_core::trace;
        let mut s = self.session.borrow_mut();
        let planned = s.planned().ok();
        let t = match (&s.trace, &planned) {
            (Some(t), _) => t.clone(),
            (None, Some(p)) => simulated_trace(p),
            (None, None) => {
                return Err(JsError::new(
                    "nothing to export: load and plan a workspace first",
                ))
            }
        };
        match format {
            "chrome" => Ok(trace::to_chrome_trace(&t)),
            "actiongraph" => {
                let p =
                    planned.ok_or_else(|| JsError::new("an action graph export needs a plan"))?;
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
    pub fn trace(&self) -> Result<JsValue, JsError> {
        let mut s = self.session.borrow_mut();
        let planned = s.planned().ok();
        match (&s.trace, planned) {
            (Some(t), _) => dto::to_js(&dto::Trace::from(t)),
            (None, Some(p)) => dto::to_js(&dto::Trace::from(&simulated_trace(&p))),
            (None, None) => Ok(JsValue::NULL),
        }
    }
}

/// The plan run on the calibrated cost model, cold, at `-p` = the toolchain's CPUs.
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
