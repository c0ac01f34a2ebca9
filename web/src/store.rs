//! Buildlab's IndexedDB database, through the `idb` crate's typed API (factory, database,
//! transactions, object stores, key ranges) without its `futures` feature: every request is
//! awaited as the one future type [`Asked`] (idb's own futures, closures and tokio channels, a
//! future type per request kind, were ≈ 5.8 KB gzip of the page's first module; the rest of
//! idb costs 2.2 KB; docs/benchmarks.md, Page weight). Here: the schema (version, upgrade
//! steps), the skeleton's visit record, and [`IdbBackend`], the persistent half of the build
//! cache.
//!
//! # Schema (version 2)
//!
//! | store     | key (out of line)        | value                                   | index          |
//! |-----------|--------------------------|-----------------------------------------|----------------|
//! | `meta`    | a name (`skeleton-visit`, `cache/trim.txt`, `workdir/binary/<path>`, `workdir/record`) | a small record | |
//! | `actions` | action ID, 64 hex digits | `{data: "v1 <id> <out> <size> <time>\n", used: ms}` | `used` |
//! | `outputs` | output ID, 64 hex digits | `{data: Uint8Array or Blob, used: ms}`   | `used`         |
//!
//! An output of [`BLOB_AT`] bytes or more (a real archive) is stored as a `Blob`: made from the
//! bytes in wasm memory in one copy, it is a handle in the value, so IndexedDB neither clones
//! nor compresses it on the page's thread (for a cold real build, ≈ 75 MB that the page's
//! renderer would otherwise serialize beside the tools). Its bytes are read when asked for
//! (`Blob.arrayBuffer()`); see [`Backend::read`] for what that does to the read's transaction.
//!
//! `actions` and `outputs` hold the GOCACHE layout's `<hex>-a` and `<hex>-d` files
//! ([`buildlab_core::cache`]); `used` is the file's mtime (Unix ms), which go refreshes on use at
//! most once an hour and trims after five days. `workdir/binary/<path>` is `{path, buildId}`, the
//! simulated binary in the working directory (one per target path, so switching samples keeps
//! each one in place); `workdir/record` is the why-rebuilt record as
//! [`buildlab_core::rebuild::Record::to_json`] writes it (versioned JSON; a record of another
//! version is dropped and the next build explains less). Upgrades: 0 → 1 creates `meta`; 1 → 2 adds
//! `actions` and `outputs` and their `used` indexes. A database of a newer version is refused
//! (IndexedDB's `VersionError`), never downgraded.
//!
//! # Transactions
//!
//! The core's cache is synchronous and IndexedDB is not, so a build talks to IndexedDB twice: one
//! read-only transaction before it ([`Backend::read`]: the stores' keys listed, then every lookup
//! of the build batched in a few rounds of parallel `get`s; an output an entry names is taken as
//! listed, its bytes are read only when a lookup needs them) and one read-write transaction after
//! it ([`Backend::write`]: puts, compare-and-delete of corrupt records, mtime refreshes, those of
//! outputs not read done in place, the daily trim). Each is atomic, so
//! two tabs building at once serialize their flushes and never see half of one; records are
//! content-addressed, so the last writer of a key writes the same output. Inside a transaction
//! nothing but IndexedDB requests is awaited: awaiting anything else would let the browser
//! auto-commit it.
//!
//! Not here: which keys a build needs (the session's dry run decides, [`crate::overlay`]), and
//! the verification of what is read (the core's `DirCache` does it over the loaded records).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use buildlab_core::cache::{
    CacheFs, DirCache, UnixNanos, HOUR, MTIME_INTERVAL, NANOS_PER_SEC, TRIM_INTERVAL, TRIM_LIMIT,
};
use buildlab_core::object::Names;
use idb::request::OpenDatabaseRequest;
use idb::{
    Database, DatabaseEvent, Factory, KeyPath, KeyRange, ObjectStore, ObjectStoreParams, Query,
    Transaction, TransactionMode,
};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsError, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomException, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction};

use crate::dto::{Visit, VisitRecord};
use crate::overlay::{Batch, OverlayFs};

pub const DB_NAME: &str = "buildlab";
/// The schema version. Bump it with an upgrade step in [`upgrade`] for every change of stores.
pub const SCHEMA_VERSION: u32 = 2;
pub const META: &str = "meta";
pub const ACTIONS: &str = "actions";
pub const OUTPUTS: &str = "outputs";
/// The index on a record's last-used time, for trimming.
pub const USED: &str = "used";
const VISIT_KEY: &str = "skeleton-visit";
const TRIM_KEY: &str = "cache/trim.txt";
/// Schema 2's first builds kept one binary under this key; read, never written.
const OLD_BINARY_KEY: &str = "workdir/binary";
const BINARY_PREFIX: &str = "workdir/binary/";
const RECORD_KEY: &str = "workdir/record";
const NANOS_PER_MS: i64 = 1_000_000;

/// Opens (creating or upgrading) the database `name`. Its request is answered as every other
/// ([`Asked`]); the upgrade runs in idb's `upgradeneeded` callback.
pub async fn open(name: &str) -> Result<Database, StoreError> {
    let factory =
        Factory::new().map_err(|_| StoreError::Other("this browser has no IndexedDB".into()))?;
    // idb drops a request's callbacks with the request, and awaiting takes the request apart
    // (into the raw handle): the callback goes on a second handle of the same request, kept
    // until the answer.
    let raw = IdbOpenDbRequest::from(factory.open(name, Some(SCHEMA_VERSION))?);
    let mut req = OpenDatabaseRequest::from(raw.clone());
    req.on_upgrade_needed(|event| {
        if let Ok(db) = event.database() {
            upgrade(&db, event.old_version().unwrap_or(0));
        }
    });
    let db = asked(raw.into(), |db| {
        Database::from(db.unchecked_into::<IdbDatabase>())
    })
    .await;
    // `upgradeneeded` comes before the answer, or not at all.
    drop(req);
    db
}

/// The upgrade steps, from `old` to [`SCHEMA_VERSION`]. Each step is idempotent.
fn upgrade(db: &Database, old: u32) {
    let has = |s: &str| db.store_names().iter().any(|n| n == s);
    if old < 1 && !has(META) {
        // Keys are given explicitly (no key path): `meta` holds a few named records.
        let _ = db.create_object_store(META, ObjectStoreParams::new());
    }
    if old < 2 {
        for name in [ACTIONS, OUTPUTS] {
            if !has(name) {
                if let Ok(s) = db.create_object_store(name, ObjectStoreParams::new()) {
                    let _ = s.create_index(USED, KeyPath::new_single("used"), None);
                }
            }
        }
    }
}

/// Reads the previous visit record and writes the next one, in one read-write transaction.
pub async fn record_visit(db: &Database, digest: &str) -> Result<Visit, StoreError> {
    let tx = db.transaction(&[META], TransactionMode::ReadWrite)?;
    let store = Store(tx.object_store(META)?);
    let key = JsValue::from_str(VISIT_KEY);
    let previous: Option<VisitRecord> = store
        .get(key.clone())?
        .await?
        .and_then(|v| VisitRecord::from_js(&v));
    let current = VisitRecord {
        digest: digest.to_string(),
        visits: previous.as_ref().map_or(1, |p| p.visits + 1),
    };
    let value = serde_wasm_bindgen::to_value(&current)
        .map_err(|e| StoreError::Other(format!("the visit record: {e}")))?;
    store.put(&value, &key)?.await?;
    // Nothing else is asked: the transaction commits by itself.
    finish(tx).await?;
    Ok(Visit { previous, current })
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// An object store of an open transaction (idb's), whose requests are answered as [`Asked`]
/// futures.
///
/// Not idb's request futures (its `futures` feature): each of its request types (get, put,
/// delete, count, …) is then a future of its own, with two Rust closures and a tokio `oneshot`
/// channel per request, each its own code in the page's first module (docs/benchmarks.md, Page
/// weight). Without that feature idb's requests are typed values that convert into the
/// browser's `IDBRequest`; here its `onsuccess` and `onerror` are a JS promise's `resolve` and
/// `reject`: no Rust closure is made, and every request is the same future.
struct Store(ObjectStore);

impl Store {
    fn put(&self, value: &JsValue, key: &JsValue) -> Result<Asked<()>, StoreError> {
        ask(self.0.put(value, Some(key)), drop)
    }
    /// The value under `key`, `None` when there is none.
    fn get(&self, key: JsValue) -> Result<Asked<Option<JsValue>>, StoreError> {
        ask(self.0.get(key), |v| (!v.is_undefined()).then_some(v))
    }
    fn delete(&self, key: JsValue) -> Result<Asked<()>, StoreError> {
        ask(self.0.delete(key), drop)
    }
    /// Every key, in key order.
    fn keys(&self) -> Result<Asked<Vec<JsValue>>, StoreError> {
        ask(self.0.get_all_keys(None, None), items)
    }
    /// Every value, in key order; those whose keys are in `range` with one.
    fn values(&self, range: Option<KeyRange>) -> Result<Asked<Vec<JsValue>>, StoreError> {
        ask(self.0.get_all(range.map(Query::from), None), items)
    }
    /// The keys of the records whose `used` time is in `range` (the [`USED`] index).
    fn keys_used_in(&self, range: &KeyRange) -> Result<Asked<Vec<JsValue>>, StoreError> {
        let index = self.0.index(USED)?;
        ask(index.get_all_keys(Some(range.clone().into()), None), items)
    }
    fn count(&self) -> Result<Asked<u32>, StoreError> {
        ask(self.0.count(None), |v| v.as_f64().unwrap_or(0.0) as u32)
    }
    fn clear(&self) -> Result<Asked<()>, StoreError> {
        ask(self.0.clear(), drop)
    }
}

/// An array's items.
fn items(v: JsValue) -> Vec<JsValue> {
    js_sys::Array::from(&v).to_vec()
}

/// An issued request: its answer, once awaited, the request's `result` mapped by `map`.
struct Asked<T> {
    req: IdbRequest,
    done: JsFuture,
    map: fn(JsValue) -> T,
}

/// Issues a request (`req` is the idb call that made it, any of its request types) and returns
/// its answer to await.
fn ask<R: Into<IdbRequest>, T>(
    req: Result<R, idb::Error>,
    map: fn(JsValue) -> T,
) -> Result<Asked<T>, StoreError> {
    Ok(asked(req?.into(), map))
}

/// [`ask`] for the raw request: its `onsuccess` and `onerror` a promise's `resolve`/`reject`.
fn asked<T>(req: IdbRequest, map: fn(JsValue) -> T) -> Asked<T> {
    let done = JsFuture::from(js_sys::Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    }));
    Asked { req, done, map }
}

impl<T> Future for Asked<T> {
    type Output = Result<T, StoreError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let ok = match Pin::new(&mut self.done).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r.is_ok(),
        };
        Poll::Ready(answer(&self.req, ok).map(self.map))
    }
}

/// A settled request's result, or its error in the browser's words.
fn answer(req: &IdbRequest, ok: bool) -> Result<JsValue, StoreError> {
    if ok {
        return req.result().map_err(thrown);
    }
    Err(match req.error() {
        Ok(Some(d)) => classify_dom(&d),
        _ => StoreError::Other("request failed without an error from the browser".into()),
    })
}

/// What a call that threw says: a DOM exception sorted as [`classify_dom`] does, else the JS
/// value's text.
fn thrown(e: JsValue) -> StoreError {
    if let Some(d) = e.dyn_ref::<DomException>() {
        return classify_dom(d);
    }
    StoreError::Other(match e.as_string() {
        Some(s) => s,
        // No value to print (`toString` of `undefined` would throw).
        None if e.is_undefined() || e.is_null() => "request failed".into(),
        None => String::from(e.unchecked_ref::<js_sys::Object>().to_string()),
    })
}

/// The JS value an `idb` error carries (what the browser threw, or the value of the wrong
/// type), if it has one.
fn js_value(e: idb::Error) -> Option<JsValue> {
    use idb::Error as E;
    match e {
        E::AddFailed(v)
        | E::ClearFailed(v)
        | E::CountFailed(v)
        | E::CursorAdvanceFailed(v)
        | E::CursorContinueFailed(v)
        | E::CursorKeyNotFound(v)
        | E::CursorPrimaryKeyNotFound(v)
        | E::CursorValueNotFound(v)
        | E::DeleteFailed(v)
        | E::GetAllFailed(v)
        | E::GetAllKeysFailed(v)
        | E::GetFailed(v)
        | E::GetKeyFailed(v)
        | E::IndexCreateFailed(v)
        | E::IndexDeleteFailed(v)
        | E::IndexedDbDeleteFailed(v)
        | E::IndexedDbNotFound(v)
        | E::IndexedDbOpenFailed(v)
        | E::IndexNotFound(v)
        | E::KeyPathNotFound(v)
        | E::KeyRangeBoundNotFound(v)
        | E::KeyRangeCreateFailed(v)
        | E::KeyRangeIncludesFailed(v)
        | E::ObjectStoreCreateFailed(v)
        | E::ObjectStoreDeleteFailed(v)
        | E::ObjectStoreNotFound(v)
        | E::OpenCursorFailed(v)
        | E::OpenKeyCursorFailed(v)
        | E::RequestErrorNotFound(v)
        | E::RequestResultNotFound(v)
        | E::TransactionAbortError(v)
        | E::TransactionCommitError(v)
        | E::TransactionModeNotFound(v)
        | E::TransactionOpenFailed(v)
        | E::UnexpectedJsType(_, v)
        | E::UpdateFailed(v) => Some(v),
        E::DomException(d) => Some(d.into()),
        _ => None,
    }
}

/// Sorts an `idb` error into [`StoreError`] by what the browser threw, in its words: a DOM
/// exception as [`classify_dom`] does (`QuotaExceededError` the one the session recovers from).
///
/// Not `idb::Error`'s own `Display`: its 45 sentences (2.9 KB of code and their text) made
/// the page's first module 1.1 KB gzip bigger for messages seen only when IndexedDB fails
/// (docs/benchmarks.md, Page weight).
pub fn classify(e: idb::Error) -> StoreError {
    match js_value(e) {
        Some(v) => thrown(v),
        None => StoreError::Other("request failed without an error from the browser".into()),
    }
}

impl From<idb::Error> for StoreError {
    fn from(e: idb::Error) -> Self {
        classify(e)
    }
}

// ---------------------------------------------------------------------------------------------
// The cache backend
// ---------------------------------------------------------------------------------------------

/// Why the store failed. `Quota` is the one the session recovers from (by keeping its cache in
/// memory); the others are reported as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// `QuotaExceededError`: the browser refused to store more.
    Quota(String),
    /// Any other failure, with the DOM exception's name when there is one.
    Other(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Quota(m) => write!(f, "QuotaExceededError: {m}"),
            StoreError::Other(m) => write!(f, "IndexedDB: {m}"),
        }
    }
}

/// A DOM exception as [`StoreError`], by its name: `QuotaExceededError` is the one the session
/// recovers from.
pub fn classify_dom(d: &DomException) -> StoreError {
    if d.name() == "QuotaExceededError" {
        StoreError::Quota(d.message())
    } else {
        StoreError::Other(format!("{}: {}", d.name(), d.message()))
    }
}

impl StoreError {
    /// The browser's words: the DOM exception's `name: message`, or what failed.
    pub fn describe(&self) -> String {
        match self {
            StoreError::Quota(m) => format!("QuotaExceededError: {m}"),
            StoreError::Other(m) => m.clone(),
        }
    }

    /// The error an export throws: `IndexedDB: ` and the browser's words.
    pub fn into_js(self) -> JsError {
        JsError::new(&format!("IndexedDB: {}", self.describe()))
    }
}

/// What one read did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub transactions: u32,
    /// Batches of parallel `get`s (each awaited together).
    pub rounds: u32,
    pub gets: u32,
    pub found: u32,
    /// Time spent planning what to read (the caller's dry runs), µs.
    pub dry_us: u64,
    /// Records the store listed (action entries and outputs): none after `go clean -cache`.
    pub listed: u32,
}

/// What one write did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub transactions: u32,
    pub puts: u32,
    pub deletes: u32,
    /// Records removed by the trim (`xx/<hex>-a` names), when it ran.
    pub trimmed: Vec<String>,
}

/// The persistent side of the cache, kept small so that a test double can stand in for it
/// (one that throws `QuotaExceededError`, say). Every method is one transaction.
#[allow(async_fn_in_trait)] // single-threaded wasm: no Send bound wanted
pub trait Backend {
    /// Loads cache files into `fs` in one read-only transaction. `wanted(fs)` names the paths
    /// (`xx/<hex>-a`, `xx/<hex>-d`) to read next; it is called again after each batch, until it
    /// names nothing that has not been asked for yet.
    ///
    /// The transaction first lists the keys IndexedDB holds (one `getAllKeys` per store). `known`
    /// holds records this page already has in memory (read or written by its last build, outputs
    /// by size only): every one still listed is taken from it, so a warm build reads no values
    /// at all; records another tab removed meanwhile are not taken. Every listed output that a
    /// loaded entry names is noted as listed ([`OverlayFs::stub`]), bytes unread.
    async fn read(
        &self,
        fs: &mut OverlayFs,
        known: Option<&OverlayFs>,
        wanted: &mut dyn FnMut(&OverlayFs) -> Vec<String>,
    ) -> Result<ReadStats, StoreError>;
    /// Lists the cache files the store holds (`xx/<hex>-a`, `xx/<hex>-d`) in one read-only
    /// transaction whose requests are issued before this returns: the caller may work while
    /// the answer comes, then await it.
    fn list(&self) -> Result<Listing, StoreError>;
    /// Applies a batch in one read-write transaction (and trims, when `batch.trim_at` is due).
    async fn write(&self, batch: &Batch) -> Result<WriteStats, StoreError>;
    /// Every cache file (for listing and `du`), in one read-only transaction.
    async fn snapshot(&self) -> Result<OverlayFs, StoreError>;
    /// `go clean -cache`: removes every action and output record; returns how many.
    async fn clear(&self) -> Result<u32, StoreError>;
    /// What the working directory holds: the simulated binaries and the last build's record.
    async fn workdir(&self) -> Result<Workdir, StoreError>;
    /// Writes outputs that came as `Blob`s (a real build's archives, fetched from the helper
    /// after the build) with the entries naming them, in one read-write transaction: an entry
    /// is in the store only with its output. A store that cannot hold `Blob`s refuses.
    async fn save_outputs(&self, saves: &[Save]) -> Result<WriteStats, StoreError> {
        let _ = saves;
        Err(StoreError::Other(
            "this cache cannot save outputs fetched as Blobs".into(),
        ))
    }
}

/// One output to save as it came (a `Blob`), and the entries that name it: `(xx/<hex>-a path,
/// the entry's line, mtime)`.
pub struct Save {
    pub output_path: String,
    pub blob: JsValue,
    pub entries: Vec<(String, Vec<u8>, UnixNanos)>,
}

/// A record's value holding a `Blob` as its data (see [`encode`]).
fn encode_blob(blob: &JsValue, mtime: UnixNanos) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"data".into(), blob);
    let _ = Reflect::set(
        &o,
        &"used".into(),
        &JsValue::from_f64((mtime / NANOS_PER_MS) as f64),
    );
    o.into()
}

/// A listing under way (see [`Backend::list`]).
pub type Listing =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Present, StoreError>>>>;

/// The keys a listing found, kept as JS `Set`s of the stores' keys: a build asks about the few
/// records it knows, so no key of a large store is copied into wasm as a string.
pub struct Present {
    actions: js_sys::Set,
    outputs: js_sys::Set,
}

impl Present {
    /// A listing of these stores' keys (`actions`, `outputs`).
    pub fn new(actions: &[JsValue], outputs: &[JsValue]) -> Self {
        let set = |keys: &[JsValue]| {
            let s = js_sys::Set::new(&JsValue::UNDEFINED);
            for k in keys {
                s.add(k);
            }
            s
        };
        Present {
            actions: set(actions),
            outputs: set(outputs),
        }
    }

    /// Whether the store holds the cache file `path` (`xx/<hex>-a`, `xx/<hex>-d`).
    pub fn contains(&self, path: &str) -> bool {
        match slot(path) {
            Some((ACTIONS, key)) => self.actions.has(&JsValue::from_str(&key)),
            Some((OUTPUTS, key)) => self.outputs.has(&JsValue::from_str(&key)),
            _ => false,
        }
    }
}

/// The persisted state of the simulated working directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workdir {
    /// Target path → the build ID of the binary there.
    pub binaries: Binaries,
    /// The why-rebuilt record's JSON.
    pub record: Option<String>,
}

/// Target path → the build ID of the simulated binary there: one per main package built, a few
/// at most. A vector, not a `BTreeMap<String, String>`: that map type's B-tree code was in the
/// page's first-load wasm for this map alone (docs/benchmarks.md, Page weight).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Binaries(Vec<(String, String)>);

impl Binaries {
    /// Sets the binary at `path`, replacing the one there.
    pub fn insert(&mut self, path: String, build_id: String) {
        match self.0.iter_mut().find(|b| b.0 == path) {
            Some(b) => b.1 = build_id,
            None => self.0.push((path, build_id)),
        }
    }
    /// The build ID of the binary at `path`.
    pub fn get(&self, path: &str) -> Option<&String> {
        self.0.iter().find(|b| b.0 == path).map(|b| &b.1)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Where a cache path lives: (store, key).
pub fn slot(path: &str) -> Option<(&'static str, String)> {
    if path == "trim.txt" {
        return Some((META, TRIM_KEY.to_string()));
    }
    let (dir, name) = path.split_once('/')?;
    let (hex, kind) = name.rsplit_once('-')?;
    if dir.len() != 2
        || !hex.starts_with(dir)
        || hex.len() != 64
        || !hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    match kind {
        "a" => Some((ACTIONS, hex.to_string())),
        "d" => Some((OUTPUTS, hex.to_string())),
        _ => None,
    }
}

/// The cache path of a record (the inverse of [`slot`] for `actions` and `outputs`).
pub fn path_of(store: &str, key: &str) -> Option<String> {
    let kind = match store {
        ACTIONS => 'a',
        OUTPUTS => 'd',
        _ => return None,
    };
    Some(format!("{}/{key}-{kind}", key.get(..2)?))
}

/// Data at least this large that is not text is stored as a `Blob` (see the module doc); below
/// it, as bytes (IndexedDB keeps small values inline).
pub const BLOB_AT: usize = 64 << 10;

/// A `Blob` of `data`, copied once out of wasm memory by the constructor.
fn blob_of(data: &[u8]) -> Option<JsValue> {
    let ctor = Reflect::get(&js_sys::global(), &"Blob".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let parts = js_sys::Array::new();
    let args = js_sys::Array::new();
    // SAFETY: the view is read by the Blob constructor before wasm runs again; nothing between
    // its creation and that call allocates in wasm memory (which could move the buffer).
    let view = unsafe { Uint8Array::view(data) };
    parts.push(&view);
    args.push(&parts);
    Reflect::construct(&ctor, &args).ok()
}

/// A record's value: `{data, used}`; `data` is text when it is valid UTF-8 (action entries,
/// `trim.txt`), a `Blob` from [`BLOB_AT`] bytes, else bytes.
pub fn encode(data: &[u8], mtime: UnixNanos) -> JsValue {
    let o = Object::new();
    let text = if data.len() >= BLOB_AT && data.starts_with(buildlab_core::object::ARCHIVE_MAGIC) {
        None // a Go archive is not text: no need to validate 13 MB of it as UTF-8
    } else {
        std::str::from_utf8(data).ok().filter(|s| !s.is_empty())
    };
    let v: JsValue = match text {
        Some(s) => JsValue::from_str(s),
        None if data.len() >= BLOB_AT => {
            blob_of(data).unwrap_or_else(|| Uint8Array::from(data).into())
        }
        None => Uint8Array::from(data).into(),
    };
    let _ = Reflect::set(&o, &"data".into(), &v);
    let _ = Reflect::set(
        &o,
        &"used".into(),
        &JsValue::from_f64((mtime / NANOS_PER_MS) as f64),
    );
    o.into()
}

/// The inverse of [`encode`] for a value held inline (text or bytes). A record of another shape
/// reads as empty data (which the cache then reports as corrupt), never as an error; a `Blob`
/// is read by [`decode_async`].
pub fn decode(v: &JsValue) -> (Vec<u8>, UnixNanos) {
    let data = Reflect::get(v, &"data".into()).unwrap_or(JsValue::UNDEFINED);
    let bytes = if let Some(s) = data.as_string() {
        s.into_bytes()
    } else if let Some(a) = data.dyn_ref::<Uint8Array>() {
        a.to_vec()
    } else {
        Vec::new()
    };
    (bytes, used_of(v))
}

fn used_of(v: &JsValue) -> UnixNanos {
    let used = Reflect::get(v, &"used".into())
        .ok()
        .and_then(|u| u.as_f64())
        .unwrap_or(0.0);
    used as i64 * NANOS_PER_MS
}

/// The `Blob` a value's `data` is, if it is one (an output of [`BLOB_AT`] bytes or more).
fn blob_in(v: &JsValue) -> Option<JsValue> {
    let data = Reflect::get(v, &"data".into()).ok()?;
    let is_blob = Reflect::get(&data, &"arrayBuffer".into()).is_ok_and(|f| f.is_function())
        && !data.is_instance_of::<Uint8Array>();
    is_blob.then_some(data)
}

/// The size of a value's data without reading a `Blob`'s bytes.
fn data_len(v: &JsValue) -> Option<usize> {
    let b = blob_in(v)?;
    Reflect::get(&b, &"size".into())
        .ok()?
        .as_f64()
        .map(|n| n as usize)
}

/// [`decode`], reading a `Blob`'s bytes. Awaits something other than IndexedDB: a transaction
/// with no request pending meanwhile commits by itself.
pub async fn decode_async(v: &JsValue) -> (Vec<u8>, UnixNanos) {
    let Some(blob) = blob_in(v) else {
        return decode(v);
    };
    let read = Reflect::get(&blob, &"arrayBuffer".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(&blob).ok())
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    let bytes = match read {
        Some(p) => match wasm_bindgen_futures::JsFuture::from(p).await {
            Ok(buf) => Uint8Array::new(&buf).to_vec(),
            Err(_) => Vec::new(), // unreadable: empty data, reported as corrupt by the cache
        },
        None => Vec::new(),
    };
    (bytes, used_of(v))
}

/// Notes as listed (present, bytes not read) every output that the action entries among
/// `paths` name and the store holds, with the entry's size and mtime. The size can be taken
/// from the entry: an entry and its output are written in one transaction, so the partial
/// file go's size check catches cannot exist here; the bytes are checked in full (size and
/// hash) whenever they are read. The mtime is the entry's: a lookup refreshes both together.
fn stub_outputs(fs: &mut OverlayFs, present: &Names, paths: Vec<String>) {
    for path in paths {
        let Some((ACTIONS, key)) = slot(&path) else {
            continue;
        };
        let Some(id) = buildlab_core::object::parse_hex(&key) else {
            continue;
        };
        let (Some(data), Some(mtime)) = (fs.get(&path), fs.mtime(&path)) else {
            continue;
        };
        let Ok(e) = buildlab_core::cache::Entry::parse(&id, data) else {
            continue;
        };
        let out = DirCache::<OverlayFs>::output_file(&e.output);
        if present.contains(&out) {
            fs.stub(&out, e.size, mtime);
        }
    }
}

/// The cache over an open IndexedDB database.
#[derive(Clone)]
pub struct IdbBackend {
    db: Rc<Database>,
}

impl IdbBackend {
    pub fn new(db: Database) -> Self {
        IdbBackend { db: Rc::new(db) }
    }
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// A transaction over the cache's stores.
    fn transaction(&self, mode: TransactionMode) -> Result<Transaction, StoreError> {
        Ok(self.db.transaction(&[ACTIONS, OUTPUTS, META], mode)?)
    }

    /// A read-write transaction over the three stores, ended by [`end_write`], and the stats
    /// of the write it starts (one transaction; the caller counts its puts and deletes).
    fn begin_write(&self) -> Result<Write, StoreError> {
        let tx = self.transaction(TransactionMode::ReadWrite)?;
        let stores = open_stores(&tx)?;
        let stats = WriteStats {
            transactions: 1,
            ..Default::default()
        };
        Ok(Write { tx, stores, stats })
    }
}

/// A read-write transaction as [`IdbBackend::begin_write`] opens it.
struct Write {
    tx: Transaction,
    stores: [Store; 3],
    stats: WriteStats,
}

/// Waits for a transaction to commit; an abort reports the transaction's error. The end is
/// watched on the raw handle idb gives back (`From<Transaction>`): its `complete` and `abort`
/// events are a promise's `resolve` and `reject` (not idb's transaction future, its own type
/// with three channels); its `error` event is not waited for: a failed request aborts the
/// transaction after it, and the abort carries the error.
fn finish(tx: Transaction) -> impl Future<Output = Result<(), StoreError>> {
    settled(tx.into())
}

/// [`finish`] on the raw handle.
async fn settled(raw: IdbTransaction) -> Result<(), StoreError> {
    let done = JsFuture::from(js_sys::Promise::new(&mut |resolve, reject| {
        raw.set_oncomplete(Some(&resolve));
        raw.set_onabort(Some(&reject));
    }));
    match done.await {
        Ok(_) => Ok(()),
        Err(_) => Err(match raw.error() {
            Some(d) => classify_dom(&d),
            None => StoreError::Other("transaction aborted".into()),
        }),
    }
}

/// Ends a read-write transaction once its requests are issued and awaited: commits it when
/// they all succeeded (`run`), else aborts it and reports the transaction's own error when it
/// has one (a quota failure can surface either way). On the raw handle: idb's `abort` takes
/// the transaction, and its error is read after the abort (one the browser aborted already
/// keeps its cause; the abort then throws, and is ignored).
async fn end_write(tx: Transaction, run: Result<(), StoreError>) -> Result<(), StoreError> {
    let raw = IdbTransaction::from(tx);
    if let Err(e) = run {
        let _ = raw.abort();
        return Err(match raw.error() {
            Some(d) => classify_dom(&d),
            None => e,
        });
    }
    settled(raw).await
}

fn store_for<'a>(stores: &'a [Store; 3], name: &str) -> &'a Store {
    match name {
        ACTIONS => &stores[0],
        OUTPUTS => &stores[1],
        _ => &stores[2],
    }
}

fn open_stores(tx: &Transaction) -> Result<[Store; 3], StoreError> {
    let store = |name| tx.object_store(name).map(Store).map_err(StoreError::from);
    Ok([store(ACTIONS)?, store(OUTPUTS)?, store(META)?])
}

impl Backend for IdbBackend {
    async fn read(
        &self,
        fs: &mut OverlayFs,
        known: Option<&OverlayFs>,
        wanted: &mut dyn FnMut(&OverlayFs) -> Vec<String>,
    ) -> Result<ReadStats, StoreError> {
        let mut tx = self.transaction(TransactionMode::ReadOnly)?;
        let mut stores = open_stores(&tx)?;
        let mut stats = ReadStats {
            transactions: 1,
            ..Default::default()
        };
        // Set once a round awaited a Blob's bytes: the transaction has committed meanwhile.
        let mut stale = false;
        // What the store holds, keys only: which known records are still there, and which
        // outputs an entry names can be taken as present without reading them.
        let lists = [(ACTIONS, stores[0].keys()?), (OUTPUTS, stores[1].keys()?)];
        let mut listed = Vec::new();
        for (store, keys) in lists {
            for k in keys.await? {
                if let Some(p) = k.as_string().and_then(|k| path_of(store, &k)) {
                    listed.push(p);
                }
            }
        }
        let present = Names::from_vec(listed);
        stats.rounds += 1;
        stats.listed = present.len() as u32;
        if let Some(known) = known {
            for (path, data, mtime) in known.files() {
                if present.contains(path) && !fs.is_loaded(path) {
                    fs.load(path, data.to_vec(), mtime);
                }
            }
            for (path, size, mtime) in known.stubs() {
                if present.contains(path) {
                    fs.stub(path, size, mtime);
                }
            }
        }
        stub_outputs(fs, &present, fs.files().map(|f| f.0.to_string()).collect());
        if present.is_empty() {
            // An empty store (a first build, the cache just cleaned) has nothing to read: no dry
            // run to plan the reads (for a real program, every action ID hashed once more
            // before the first tool starts).
            return Ok(stats);
        }
        let mut asked = Names::new();
        loop {
            let next: Vec<(String, &'static str, String)> = wanted(fs)
                .into_iter()
                .filter(|p| asked.insert(p.clone()))
                .filter_map(|p| slot(&p).map(|(store, key)| (p, store, key)))
                .collect();
            if next.is_empty() {
                break;
            }
            if std::mem::take(&mut stale) {
                // Outputs are content-addressed and verified when used, and an entry names its
                // output: one removed between the two transactions reads as a miss.
                tx = self.transaction(TransactionMode::ReadOnly)?;
                stores = open_stores(&tx)?;
                stats.transactions += 1;
            }
            // Issue the whole batch before awaiting any of it: the gets run in parallel.
            let mut pending = Vec::new();
            for (path, store, key) in next {
                let req = store_for(&stores, store).get(JsValue::from_str(&key))?;
                pending.push((path, req));
            }
            stats.rounds += 1;
            stats.gets += pending.len() as u32;
            let mut got = Vec::new();
            let mut blobs = Vec::new();
            for (path, req) in pending {
                if let Some(v) = req.await? {
                    stats.found += 1;
                    if blob_in(&v).is_some() {
                        blobs.push((path, v));
                        continue;
                    }
                    let (data, used) = decode(&v);
                    fs.load(&path, data, used);
                    got.push(path);
                }
            }
            // Every request of the round has been answered: reading the Blobs now lets the
            // transaction end, and the next round (if any) opens another.
            stale = !blobs.is_empty();
            for (path, v) in blobs {
                let (data, used) = decode_async(&v).await;
                fs.load(&path, data, used);
                got.push(path);
            }
            stub_outputs(fs, &present, got);
        }
        // A read-only transaction commits by itself once nothing is pending.
        Ok(stats)
    }

    fn list(&self) -> Result<Listing, StoreError> {
        let tx = self.transaction(TransactionMode::ReadOnly)?;
        let stores = open_stores(&tx)?;
        let lists = [(ACTIONS, stores[0].keys()?), (OUTPUTS, stores[1].keys()?)];
        Ok(Box::pin(async move {
            let _tx = tx;
            let [(_, actions), (_, outputs)] = lists;
            let (actions, outputs) = (actions.await?, outputs.await?);
            Ok(Present::new(&actions, &outputs))
        }))
    }

    async fn write(&self, batch: &Batch) -> Result<WriteStats, StoreError> {
        let Write {
            tx,
            stores,
            mut stats,
        } = self.begin_write()?;
        let run = async {
            let mut puts = Vec::new();
            for (path, data, mtime) in &batch.writes {
                if let Some((store, key)) = slot(path) {
                    puts.push(
                        store_for(&stores, store)
                            .put(&encode(data, *mtime), &JsValue::from_str(&key))?,
                    );
                }
            }
            if let Some((path, build_id)) = &batch.binary {
                let o = Object::new();
                let _ = Reflect::set(&o, &"path".into(), &JsValue::from_str(path));
                let _ = Reflect::set(&o, &"buildId".into(), &JsValue::from_str(build_id));
                let key = format!("{BINARY_PREFIX}{path}");
                puts.push(stores[2].put(&o, &JsValue::from_str(&key))?);
            }
            if let Some(json) = &batch.record {
                puts.push(stores[2].put(&JsValue::from_str(json), &JsValue::from_str(RECORD_KEY))?);
            }
            // Compare-and-delete: a corrupt record is removed only if it is still the bytes this
            // build read (another tab may have replaced it with a good one meanwhile).
            let mut checks = Vec::new();
            let mut deletes = Vec::new();
            for (path, was) in &batch.deletes {
                let Some((store, key)) = slot(path) else {
                    continue;
                };
                let s = store_for(&stores, store);
                match was {
                    Some(bytes) => {
                        checks.push((s, key.clone(), bytes, s.get(JsValue::from_str(&key))?))
                    }
                    None => deletes.push(s.delete(JsValue::from_str(&key))?),
                }
            }
            for (s, key, bytes, get) in checks {
                // A Blob cannot be read inside this transaction (awaiting it would end it): it
                // is compared by size. Another tab's good copy of the same output has the size
                // of the corrupt one only if it was corrupted in place; deleting it costs that
                // tab one rebuild, never a wrong hit.
                let same = |v: &JsValue| match data_len(v) {
                    Some(n) => n == bytes.len(),
                    None => decode(v).0 == *bytes,
                };
                if get.await?.is_some_and(|v| same(&v)) {
                    deletes.push(s.delete(JsValue::from_str(&key))?);
                }
            }
            // An mtime refresh of a record whose bytes this page did not read: read it here, in
            // the transaction, and put it back with the new time (the bytes stay in JS).
            let mut touches = Vec::new();
            for (path, mtime) in &batch.touches {
                if let Some((store, key)) = slot(path) {
                    let s = store_for(&stores, store);
                    let get = s.get(JsValue::from_str(&key))?;
                    touches.push((s, key, *mtime, get));
                }
            }
            for (s, key, mtime, get) in touches {
                if let Some(v) = get.await? {
                    let _ = Reflect::set(
                        &v,
                        &"used".into(),
                        &JsValue::from_f64((mtime / NANOS_PER_MS) as f64),
                    );
                    puts.push(s.put(&v, &JsValue::from_str(&key))?);
                }
            }
            stats.puts = puts.len() as u32;
            stats.deletes = deletes.len() as u32;
            for p in puts {
                p.await?;
            }
            for d in deletes {
                d.await?;
            }
            if let Some(now) = batch.trim_at {
                stats.trimmed = trim(&stores, now).await?;
            }
            Ok::<(), StoreError>(())
        };
        end_write(tx, run.await).await?;
        Ok(stats)
    }

    async fn save_outputs(&self, saves: &[Save]) -> Result<WriteStats, StoreError> {
        let Write {
            tx,
            stores,
            mut stats,
        } = self.begin_write()?;
        let run = async {
            let mut puts = Vec::new();
            for s in saves {
                let Some((OUTPUTS, key)) = slot(&s.output_path) else {
                    continue;
                };
                let mtime = s.entries.first().map_or(0, |e| e.2);
                puts.push(stores[1].put(&encode_blob(&s.blob, mtime), &JsValue::from_str(&key))?);
                // Requests of one transaction run in order: each entry after its output.
                for (path, line, mtime) in &s.entries {
                    if let Some((ACTIONS, key)) = slot(path) {
                        puts.push(stores[0].put(&encode(line, *mtime), &JsValue::from_str(&key))?);
                    }
                }
            }
            stats.puts = puts.len() as u32;
            for p in puts {
                p.await?;
            }
            Ok::<(), StoreError>(())
        };
        end_write(tx, run.await).await?;
        Ok(stats)
    }

    async fn snapshot(&self) -> Result<OverlayFs, StoreError> {
        let tx = self.transaction(TransactionMode::ReadOnly)?;
        let stores = open_stores(&tx)?;
        let reqs = [
            (ACTIONS, stores[0].keys()?, stores[0].values(None)?),
            (OUTPUTS, stores[1].keys()?, stores[1].values(None)?),
        ];
        let trim = stores[2].get(JsValue::from_str(TRIM_KEY))?;
        let mut fs = OverlayFs::default();
        let mut blobs = Vec::new();
        for (store, keys, values) in reqs {
            // Both lists come in key order from the same transaction: they pair up.
            let (keys, values) = (keys.await?, values.await?);
            for (k, v) in keys.iter().zip(values) {
                if let Some(path) = k.as_string().and_then(|k| path_of(store, &k)) {
                    if blob_in(&v).is_some() {
                        blobs.push((path, v));
                        continue;
                    }
                    let (data, used) = decode(&v);
                    fs.load(&path, data, used);
                }
            }
        }
        if let Some(v) = trim.await? {
            let (data, used) = decode(&v);
            fs.load("trim.txt", data, used);
        }
        // Last, once every request is answered (the transaction may then end).
        for (path, v) in blobs {
            let (data, used) = decode_async(&v).await;
            fs.load(&path, data, used);
        }
        Ok(fs)
    }

    async fn clear(&self) -> Result<u32, StoreError> {
        let tx = self.transaction(TransactionMode::ReadWrite)?;
        let stores = open_stores(&tx)?;
        let counts = [stores[0].count()?, stores[1].count()?];
        let clears = [stores[0].clear()?, stores[1].clear()?];
        let mut n = 0;
        for c in counts {
            n += c.await?;
        }
        for c in clears {
            c.await?;
        }
        finish(tx).await?;
        Ok(n)
    }

    async fn workdir(&self) -> Result<Workdir, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly)?;
        let meta = Store(tx.object_store(META)?);
        let range = KeyRange::bound(
            &JsValue::from_str(BINARY_PREFIX),
            &JsValue::from_str(&format!("{BINARY_PREFIX}\u{ffff}")),
            None,
            None,
        )?;
        let bins = meta.values(Some(range))?;
        let old = meta.get(JsValue::from_str(OLD_BINARY_KEY))?;
        let record = meta.get(JsValue::from_str(RECORD_KEY))?;
        let field =
            |v: &JsValue, k: &str| Reflect::get(v, &k.into()).ok().and_then(|x| x.as_string());
        let mut w = Workdir::default();
        let old = old.await?;
        for v in old.iter().chain(bins.await?.iter()) {
            if let (Some(p), Some(id)) = (field(v, "path"), field(v, "buildId")) {
                w.binaries.insert(p, id);
            }
        }
        w.record = record.await?.and_then(|v| v.as_string());
        Ok(w)
    }
}

/// go's `Cache.Trim` inside the write transaction: at most once every 24 h (per `trim.txt`; a time
/// more than an hour ahead counts as corrupt), remove records unused for five days plus an hour.
async fn trim(stores: &[Store; 3], now: UnixNanos) -> Result<Vec<String>, StoreError> {
    if let Some(v) = stores[2].get(JsValue::from_str(TRIM_KEY))?.await? {
        let (data, _) = decode(&v);
        if let Ok(t) = String::from_utf8_lossy(&data).trim().parse::<i64>() {
            let d = now - t.saturating_mul(NANOS_PER_SEC);
            if d < TRIM_INTERVAL && d > -MTIME_INTERVAL {
                return Ok(Vec::new());
            }
        }
    }
    let cutoff_ms = ((now - TRIM_LIMIT - HOUR) / NANOS_PER_MS) as f64;
    let range = KeyRange::upper_bound(&JsValue::from_f64(cutoff_ms), Some(true))?;
    let mut old = Vec::new();
    for (i, store) in [ACTIONS, OUTPUTS].into_iter().enumerate() {
        old.push((store, i, stores[i].keys_used_in(&range)?));
    }
    let mut removed = Vec::new();
    let mut deletes = Vec::new();
    for (store, i, keys) in old {
        for k in keys.await? {
            if let Some(p) = k.as_string().and_then(|k| path_of(store, &k)) {
                removed.push(p);
            }
            deletes.push(stores[i].delete(k)?);
        }
    }
    let secs = now.div_euclid(NANOS_PER_SEC).to_string();
    let put = stores[2].put(&encode(secs.as_bytes(), now), &JsValue::from_str(TRIM_KEY))?;
    for d in deletes {
        d.await?;
    }
    put.await?;
    // Through core's one sort: the only `Vec<String>` sort left in the first module, whose own
    // driftsort copy cost ≈ 3.6 KB raw (docs/benchmarks.md, Page weight).
    buildlab_core::sort::sort(&mut removed);
    Ok(removed)
}

#[cfg(test)]
mod blob_tests {
    //! Outputs stored as `Blob`s (real archives): written in one copy, read back by a later
    //! read (in a transaction of its own after the Blob's bytes), listed by the snapshot, and
    //! compared by size when a corrupt one is deleted.
    use super::*;
    use crate::overlay::Batch;
    use buildlab_core::cache::Cache;
    use buildlab_core::hash::Digest;
    use wasm_bindgen_test::*;

    const T0: i64 = 1_795_544_806 * 1_000_000_000;

    async fn output_value(b: &IdbBackend, key: &str) -> Option<JsValue> {
        let tx = b
            .database()
            .transaction(&[OUTPUTS], TransactionMode::ReadOnly)
            .unwrap();
        let store = tx.object_store(OUTPUTS).unwrap();
        store.get(JsValue::from_str(key)).unwrap().await.unwrap()
    }

    /// `save_outputs`: a Blob (made in JS from the helper's outputs stream; here from bytes) is
    /// stored as it came, with the entry naming it, in one transaction; a later build's read finds the
    /// entry a hit (its output listed at the entry's size) and reads the Blob's bytes back.
    #[wasm_bindgen_test]
    async fn saved_blobs_come_with_their_entries() {
        let name = "buildlab-store-save-test";
        Factory::new().unwrap().delete(name).unwrap().await.unwrap();
        let b = IdbBackend::new(open(name).await.unwrap());
        let mut bytes = buildlab_core::object::ARCHIVE_MAGIC.to_vec();
        bytes.extend((0..100_000u32).map(|i| (i * 13 % 253) as u8));
        let blob = blob_of(&bytes).expect("a Blob");
        let (id, out) = (Digest::of(b"action"), Digest::of(&bytes));
        let e = buildlab_core::cache::Entry {
            output: out,
            size: bytes.len() as u64,
            time: T0,
        };
        let entry = DirCache::<OverlayFs>::action_file(&id);
        let output = DirCache::<OverlayFs>::output_file(&out);
        let save = Save {
            output_path: output.clone(),
            blob,
            entries: vec![(entry.clone(), e.render(&id).into_bytes(), T0)],
        };
        let stats = b.save_outputs(&[save]).await.unwrap();
        assert_eq!((stats.transactions, stats.puts), (1, 2));
        let (_, key) = slot(&output).unwrap();
        let v = output_value(&b, &key).await.expect("stored");
        assert!(blob_in(&v).is_some(), "kept as the Blob it came as");

        // What the next build's read and lookup see: the entry, its output listed, a hit.
        let mut fs = OverlayFs::default();
        let want = entry.clone();
        b.read(&mut fs, None, &mut |_| vec![want.clone()])
            .await
            .unwrap();
        let mut c = DirCache::open(fs);
        assert_eq!(c.get_file(&id, T0), Ok(e), "a hit");
        let snap = b.snapshot().await.unwrap();
        assert_eq!(snap.get(&output), Some(&bytes[..]), "the bytes read back");
        b.database().close();
    }

    #[wasm_bindgen_test]
    async fn large_outputs_are_blobs_read_back_and_deleted_by_size() {
        let name = "buildlab-store-blob-test";
        Factory::new().unwrap().delete(name).unwrap().await.unwrap();
        let b = IdbBackend::new(open(name).await.unwrap());
        let mut c = DirCache::open(OverlayFs::default());
        let mut big = buildlab_core::object::ARCHIVE_MAGIC.to_vec();
        big.extend((0..200_000u32).map(|i| (i * 7 % 251) as u8));
        let small = b"a small output".to_vec();
        let (id, id2) = (Digest::of(b"blob"), Digest::of(b"small"));
        let e = c.put(&id, &big, T0);
        c.put(&id2, &small, T0);
        b.write(&c.fs_mut().take_batch()).await.unwrap();

        let out = DirCache::<OverlayFs>::output_file(&e.output);
        let (_, key) = slot(&out).unwrap();
        let v = output_value(&b, &key).await.expect("stored");
        assert!(blob_in(&v).is_some(), "a large output is a Blob");
        assert_eq!(data_len(&v), Some(big.len()));

        // The output first (a Blob: its bytes read after the round), then the entry: a second
        // transaction.
        let entry = DirCache::<OverlayFs>::action_file(&id);
        let mut fs = OverlayFs::default();
        let mut wanted = |fs: &OverlayFs| {
            if fs.is_loaded(&out) {
                vec![entry.clone()]
            } else {
                vec![out.clone()]
            }
        };
        let stats = b.read(&mut fs, None, &mut wanted).await.unwrap();
        assert_eq!(fs.get(&out), Some(&big[..]));
        assert!(fs.get(&entry).is_some(), "read in the next transaction");
        assert_eq!(stats.transactions, 2);

        let snap = b.snapshot().await.unwrap();
        assert_eq!(snap.get(&out), Some(&big[..]));
        let small_out = DirCache::<OverlayFs>::output_file(&Digest::of(&small));
        assert_eq!(
            snap.get(&small_out),
            Some(&small[..]),
            "small outputs stay bytes"
        );

        // Compare-and-delete: another size is another output, kept; the same size is deleted.
        let del = |bytes: Vec<u8>| Batch {
            deletes: vec![(out.clone(), Some(bytes))],
            ..Batch::default()
        };
        b.write(&del(big[..100].to_vec())).await.unwrap();
        assert!(output_value(&b, &key).await.is_some(), "kept");
        let mut corrupt = big.clone();
        corrupt[1000] ^= 1;
        b.write(&del(corrupt)).await.unwrap();
        assert!(output_value(&b, &key).await.is_none(), "deleted");
        b.database().close();
    }
}

#[cfg(test)]
mod request_tests {
    //! Requests through [`Store`] (idb's requests awaited as [`Asked`]): an answer with its
    //! result, or the browser's error, whether the call is refused at once (an `idb::Error`) or
    //! the request fails later; a transaction's end; and `idb::Error`s in the browser's words.
    use super::*;
    use wasm_bindgen_test::*;

    #[wasm_bindgen_test]
    async fn requests_answer_with_their_result_or_the_browsers_error() {
        let name = "buildlab-store-request-test";
        Factory::new().unwrap().delete(name).unwrap().await.unwrap();
        let db = open(name).await.unwrap();
        let tx = db.transaction(&[META], TransactionMode::ReadWrite).unwrap();
        let meta = Store(tx.object_store(META).unwrap());
        let key = JsValue::from_str("k");
        assert_eq!(
            meta.get(key.clone()).unwrap().await,
            Ok(None),
            "no value: None"
        );
        meta.put(&JsValue::from_str("v"), &key)
            .unwrap()
            .await
            .unwrap();
        let v = meta.get(key.clone()).unwrap().await.unwrap();
        assert_eq!(v.and_then(|v| v.as_string()).as_deref(), Some("v"));
        assert_eq!(meta.count().unwrap().await, Ok(1));
        let keys = meta.keys().unwrap().await.unwrap();
        assert_eq!(
            keys.iter().map(|k| k.as_string()).collect::<Vec<_>>(),
            [Some("k".into())]
        );
        // Calls the browser refuses at once, as idb reports them: `null` is no key; `meta`
        // has no `used` index.
        let e = meta.get(JsValue::NULL).err().expect("refused");
        assert!(
            matches!(&e, StoreError::Other(m) if m.starts_with("DataError: ")),
            "{e:?}"
        );
        let range = KeyRange::upper_bound(&JsValue::from_f64(0.0), None).unwrap();
        let e = meta.keys_used_in(&range).err().expect("no index");
        assert!(
            matches!(&e, StoreError::Other(m) if m.starts_with("NotFoundError: ")),
            "{e:?}"
        );
        // A request that fails later: its transaction is aborted while it is pending.
        let pending = meta.get(key.clone()).unwrap();
        let _tx = tx.abort().unwrap();
        let e = pending.await.expect_err("aborted");
        assert!(
            matches!(&e, StoreError::Other(m) if m.starts_with("AbortError: ")),
            "{e:?}"
        );
        // A transaction's end: committed, or aborted (by the page here: no error of its own).
        let tx = db.transaction(&[META], TransactionMode::ReadWrite).unwrap();
        let meta = Store(tx.object_store(META).unwrap());
        meta.put(&JsValue::from_str("w"), &key)
            .unwrap()
            .await
            .unwrap();
        assert_eq!(finish(tx).await, Ok(()), "committed");
        let tx = db.transaction(&[META], TransactionMode::ReadWrite).unwrap();
        let _put = Store(tx.object_store(META).unwrap()).put(&JsValue::from_str("x"), &key);
        let tx = tx.abort().unwrap();
        assert_eq!(
            finish(tx).await,
            Err(StoreError::Other("transaction aborted".into()))
        );
        let tx = db.transaction(&[META], TransactionMode::ReadOnly).unwrap();
        let v = Store(tx.object_store(META).unwrap())
            .get(key)
            .unwrap()
            .await;
        assert_eq!(
            v.unwrap().and_then(|v| v.as_string()).as_deref(),
            Some("w"),
            "the commit's"
        );
        // A transaction that does not exist: idb's error, in the browser's words.
        let e = StoreError::from(
            db.transaction(&["nope"], TransactionMode::ReadOnly)
                .err()
                .unwrap(),
        );
        assert!(
            matches!(&e, StoreError::Other(m) if m.starts_with("NotFoundError: ")),
            "{e:?}"
        );
        db.close();
    }

    /// A page without `indexedDB` (a browser without it, or one that hides it) is told so in
    /// those words, which the page shows.
    #[wasm_bindgen_test]
    async fn a_browser_without_indexeddb_is_told_so() {
        let global: Object = js_sys::global().unchecked_into();
        let name = JsValue::from_str("indexedDB");
        let was = Object::get_own_property_descriptor(&global, &name);
        let hidden = Object::new();
        Reflect::set(&hidden, &"value".into(), &JsValue::UNDEFINED).unwrap();
        Reflect::set(&hidden, &"configurable".into(), &JsValue::TRUE).unwrap();
        Object::define_property(&global, &name, &hidden);
        let e = open("buildlab-store-hidden-test").await.err();
        match was.is_undefined() {
            true => Reflect::delete_property(&global, &name).map(drop).unwrap(),
            false => drop(Object::define_property(&global, &name, was.unchecked_ref())),
        }
        assert!(Factory::new().is_ok(), "indexedDB is back");
        assert_eq!(
            e.map(|e| format!("IndexedDB: {}", e.describe())),
            Some("IndexedDB: this browser has no IndexedDB".to_string())
        );
    }

    /// `idb::Error`s that carry no DOM exception: what they carry, as JS prints it, or which
    /// step failed; a quota failure, however it comes, is the one the session recovers from.
    #[wasm_bindgen_test]
    fn idb_errors_are_told_in_the_browsers_words() {
        use idb::Error as E;
        let quota = DomException::new_with_message_and_name("full", "QuotaExceededError").unwrap();
        assert_eq!(
            classify(E::DomException(quota.clone())),
            StoreError::Quota("full".into())
        );
        assert_eq!(
            classify(E::UpdateFailed(quota.into())),
            StoreError::Quota("full".into())
        );
        assert_eq!(
            classify(E::GetFailed(JsValue::from_str("gone"))),
            StoreError::Other("gone".into())
        );
        assert_eq!(
            classify(E::IndexedDbNotFound(JsValue::UNDEFINED)),
            StoreError::Other("request failed".into())
        );
        let e = classify(E::UnexpectedJsType(
            "IdbFactory",
            js_sys::Error::new("odd").into(),
        ));
        assert_eq!(e, StoreError::Other("Error: odd".into()));
        assert_eq!(
            classify(E::CursorFinished),
            StoreError::Other("request failed without an error from the browser".into())
        );
        assert_eq!(
            StoreError::from(E::ClearFailed(JsValue::from_str("x"))).describe(),
            "x"
        );
    }
}
