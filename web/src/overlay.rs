//! The in-memory side of the browser's build cache: [`OverlayFs`], a [`CacheFs`] holding the
//! records a build loaded from IndexedDB and journaling every change the build makes, so that a
//! synchronous core `DirCache<OverlayFs>` can run the build and the changes can then be flushed in
//! one transaction ([`OverlayFs::take_batch`]).
//!
//! A file can be *listed* without being read: the store holds it (IndexedDB listed its key)
//! and its bytes stay there ([`OverlayFs::stub`]). That is what a hit needs of an output (go's
//! `GetFile` only stats it): its size and mtime. Reading a listed file finds nothing, so a
//! lookup that needs the bytes asks for them; an mtime refresh of a listed file is journaled
//! as a [`Batch::touches`] entry that the flush applies inside IndexedDB without the bytes ever
//! coming into wasm.
//!
//! Two [`Cache`] adapters sit beside it. [`Discover`] is the prefetch planner: a dry run of the
//! build over what is loaded so far records every cache file the build would read and is not
//! there yet (an action entry, or the output an entry names). A dry-run miss simulates the
//! output, which is deterministic, so the action IDs downstream are the ones the real build will
//! compute; a second dry run over the loaded records confirms it (and asks again if not).
//! [`Checked`] wraps the real build's cache: a corrupt entry is a miss with the core's typed
//! reason, and its records are deleted (compare-and-delete at flush time).
//!
//! Not here: IndexedDB itself ([`crate::store`]) and the session's bookkeeping.

use std::cell::RefCell;

use buildlab_core::cache::{Cache, CacheFs, DirCache, Entry, Miss, TrimReport, UnixNanos};
use buildlab_core::hash::Digest;
use buildlab_core::object::{Keyed, Names};

/// A pending change of one cache file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Change {
    /// Write the file's current bytes and mtime (also an mtime refresh).
    Write,
    /// Delete it; `Some(bytes)` when it was loaded with those bytes (delete only if unchanged).
    Delete(Option<Vec<u8>>),
    /// A listed file's new mtime (its bytes were not read).
    Touch,
}

/// What the overlay holds of a file: its bytes (read from the store, or written), or only its
/// size (listed).
#[derive(Clone, Debug)]
enum Body {
    Read(Vec<u8>),
    Listed(u64),
}

/// Cache files in memory, with the changes made since they were loaded.
#[derive(Clone, Debug, Default)]
pub struct OverlayFs {
    /// Every file with its mtime, read ones and listed ones in one map: in the page's wasm each
    /// B-tree map type is its own copy of the B-tree code (docs/benchmarks.md, Page weight).
    files: Keyed<(Body, UnixNanos)>,
    /// A sorted vector (core's `Names`), not a `BTreeSet<String>`: the B-tree code for
    /// `String` keys would be in the page's wasm for this set alone.
    dirs: Names,
    /// The bytes of each file as the store holds them (read, or written by a batch): what a
    /// delete carries, so that it removes the record only while it is still those bytes. A map of
    /// the same type as `files` (each held as `Body::Read` with mtime 0), not a
    /// `BTreeMap<String, Vec<u8>>`: that type's B-tree code (insert, removal, search, clone,
    /// ≈ 4 KB) was in the page's wasm for this map alone.
    loaded: Keyed<(Body, UnixNanos)>,
    /// The journal, in the order the changes were made; a later change of a path replaces an
    /// earlier one ([`OverlayFs::take_batch`]). A vector, not a map: a B-tree map of its own
    /// value type would add its own copy of the B-tree code to the page's wasm.
    changes: Vec<(String, Change)>,
}

/// The changes of a build, ready to be written in one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// `(path, bytes, mtime)`.
    pub writes: Vec<(String, Vec<u8>, UnixNanos)>,
    /// `(path, the bytes read)`: delete when still those bytes (`None`: unconditionally).
    pub deletes: Vec<(String, Option<Vec<u8>>)>,
    /// `(path, mtime)`: refresh the mtime of a record whose bytes were not read.
    pub touches: Vec<(String, UnixNanos)>,
    /// The simulated binary now in the working directory: `(path, build ID)`.
    pub binary: Option<(String, String)>,
    /// Run the daily trim with this clock.
    pub trim_at: Option<UnixNanos>,
    /// The why-rebuilt record to keep (`Record::to_json`).
    pub record: Option<String>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
            && self.deletes.is_empty()
            && self.touches.is_empty()
            && self.binary.is_none()
            && self.trim_at.is_none()
            && self.record.is_none()
    }
}

impl OverlayFs {
    /// Adds a file read from the store, without journaling it.
    pub fn load(&mut self, path: &str, data: Vec<u8>, mtime: UnixNanos) {
        self.loaded
            .insert(path.to_string(), (Body::Read(data.clone()), 0));
        self.files
            .insert(path.to_string(), (Body::Read(data), mtime));
    }

    /// Notes a file the store holds without reading it (see the module doc). A file already
    /// read stays as it is.
    pub fn stub(&mut self, path: &str, size: u64, mtime: UnixNanos) {
        if !self.is_loaded(path) {
            self.files
                .insert(path.to_string(), (Body::Listed(size), mtime));
        }
    }

    /// Whether the bytes of `path` were read (or written), not just listed.
    pub fn is_loaded(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// The files listed and not read: `(path, size, mtime)`, sorted by path.
    pub fn stubs(&self) -> impl Iterator<Item = (&str, u64, UnixNanos)> {
        self.files.iter().filter_map(|(p, (b, m))| match b {
            Body::Listed(n) => Some((p.as_str(), *n, *m)),
            Body::Read(_) => None,
        })
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        match self.files.get(path) {
            Some((Body::Read(d), _)) => Some(d),
            _ => None,
        }
    }

    /// How many files were read or written (not the listed ones).
    pub fn len(&self) -> usize {
        self.files().count()
    }
    pub fn is_empty(&self) -> bool {
        self.files().next().is_none()
    }

    /// Every file read or written (not the listed ones), sorted by path.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8], UnixNanos)> {
        self.files.iter().filter_map(|(p, (b, m))| match b {
            Body::Read(d) => Some((p.as_str(), d.as_slice(), *m)),
            Body::Listed(_) => None,
        })
    }

    /// Lays `other`'s files over these ones (the session's memory cache over what IndexedDB held).
    pub fn overlay(&mut self, other: &OverlayFs) {
        for (p, d, m) in other.files() {
            self.files
                .insert(p.to_string(), (Body::Read(d.to_vec()), m));
        }
    }

    /// Applies a batch to this file set (the memory cache after a quota failure).
    pub fn apply(&mut self, batch: &Batch) {
        for (p, d, m) in &batch.writes {
            self.files.insert(p.clone(), (Body::Read(d.clone()), *m));
        }
        for (p, _) in &batch.deletes {
            if self.is_loaded(p) {
                self.files.remove(p);
            }
        }
    }

    /// The journal as a batch, leaving the journal empty.
    pub fn take_batch(&mut self) -> Batch {
        let mut b = Batch::default();
        for (path, change) in latest_by_path(std::mem::take(&mut self.changes)) {
            match change {
                Change::Write => {
                    if let Some((Body::Read(d), m)) = self.files.get(&path) {
                        b.writes.push((path.clone(), d.clone(), *m));
                        self.loaded.insert(path, (Body::Read(d.clone()), 0));
                    }
                }
                Change::Delete(was) => {
                    self.loaded.remove(&path);
                    b.deletes.push((path, was));
                }
                Change::Touch => {
                    if let Some((Body::Listed(_), m)) = self.files.get(&path) {
                        b.touches.push((path, *m));
                    }
                }
            }
        }
        b
    }
}

/// The journal's last change of each path, sorted by path (what a map of path to change would
/// hold).
fn latest_by_path(mut changes: Vec<(String, Change)>) -> Vec<(String, Change)> {
    // Stable: a path's changes keep their order, so the last of each run is its latest.
    buildlab_core::sort::sort_by(&mut changes, |a, b| a.0.cmp(&b.0));
    let mut out: Vec<(String, Change)> = Vec::with_capacity(changes.len());
    for c in changes {
        match out.last_mut() {
            Some(last) if last.0 == c.0 => *last = c,
            _ => out.push(c),
        }
    }
    out
}

impl CacheFs for OverlayFs {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.get(path).map(<[u8]>::to_vec)
    }
    fn size(&self, path: &str) -> Option<u64> {
        match self.files.get(path)? {
            (Body::Read(d), _) => Some(d.len() as u64),
            (Body::Listed(n), _) => Some(*n),
        }
    }
    fn write(&mut self, path: &str, data: &[u8], mtime: UnixNanos) {
        self.files
            .insert(path.to_string(), (Body::Read(data.to_vec()), mtime));
        // DirCache::open writes the README; it is not persisted.
        if path != "README" {
            self.changes.push((path.to_string(), Change::Write));
        }
    }
    fn remove(&mut self, path: &str) {
        let was = match self.files.remove(path) {
            Some((Body::Read(_), _)) => match self.loaded.get(path) {
                Some((Body::Read(d), _)) => Some(d.clone()),
                _ => None,
            },
            Some((Body::Listed(_), _)) => None,
            None => return,
        };
        self.changes.push((path.to_string(), Change::Delete(was)));
    }
    fn mtime(&self, path: &str) -> Option<UnixNanos> {
        self.files.get(path).map(|f| f.1)
    }
    fn set_mtime(&mut self, path: &str, t: UnixNanos) {
        if let Some((b, m)) = self.files.get_mut(path) {
            *m = t;
            let change = match b {
                Body::Read(_) => Change::Write,
                Body::Listed(_) => Change::Touch,
            };
            self.changes.push((path.to_string(), change));
        }
    }
    fn list(&self, dir: &str) -> Vec<String> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        // Sorted already: one map holds read and listed files alike.
        self.files
            .iter_from(&prefix)
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(&prefix))
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(str::to_string)
            .collect()
    }
    fn mkdir(&mut self, dir: &str) {
        self.dirs.insert(dir.to_string());
    }
    fn remove_dir(&mut self, dir: &str) {
        let prefix = format!("{dir}/");
        let gone: Vec<String> = self
            .files
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        for p in gone {
            self.remove(&p);
        }
        self.dirs.remove(dir);
    }
    fn dirs(&self) -> Vec<String> {
        self.dirs.iter().cloned().collect()
    }
}

/// A read-only view of an [`OverlayFs`], so that a `DirCache` can verify what is loaded without
/// owning it. Writes are dropped.
pub struct View<'a>(pub &'a OverlayFs);

impl CacheFs for View<'_> {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.0.read(path)
    }
    fn size(&self, path: &str) -> Option<u64> {
        self.0.size(path)
    }
    fn write(&mut self, _: &str, _: &[u8], _: UnixNanos) {}
    fn remove(&mut self, _: &str) {}
    fn mtime(&self, path: &str) -> Option<UnixNanos> {
        self.0.mtime(path)
    }
    fn set_mtime(&mut self, _: &str, _: UnixNanos) {}
    fn list(&self, dir: &str) -> Vec<String> {
        self.0.list(dir)
    }
    fn mkdir(&mut self, _: &str) {}
    fn remove_dir(&mut self, _: &str) {}
    fn dirs(&self) -> Vec<String> {
        self.0.dirs()
    }
}

/// The prefetch planner: a read-only [`Cache`] over the loaded records that notes every file a
/// lookup needed and did not find.
pub struct Discover<'a> {
    cache: DirCache<View<'a>>,
    fs: &'a OverlayFs,
    wanted: RefCell<Vec<String>>,
}

impl<'a> Discover<'a> {
    /// Notes what a lookup needed and did not find: the entry, or the output it names.
    fn note<T>(&self, id: &Digest, r: &Result<T, Miss>) {
        match r {
            Err(Miss::NoEntry) => self
                .wanted
                .borrow_mut()
                .push(DirCache::<View>::action_file(id)),
            Err(Miss::DataMissing) => {
                let a = DirCache::<View>::action_file(id);
                if let Some(e) = self.fs.get(&a).and_then(|d| Entry::parse(id, d).ok()) {
                    self.wanted
                        .borrow_mut()
                        .push(DirCache::<View>::output_file(&e.output));
                }
            }
            _ => {}
        }
    }

    pub fn new(fs: &'a OverlayFs) -> Self {
        Discover {
            cache: DirCache::open(View(fs)),
            fs,
            wanted: RefCell::new(Vec::new()),
        }
    }
    /// The files to read next, in lookup order.
    pub fn into_wanted(self) -> Vec<String> {
        self.wanted.into_inner()
    }
}

impl Cache for Discover<'_> {
    fn get(&mut self, id: &Digest, _: UnixNanos) -> Result<Entry, Miss> {
        self.peek_data(id).map(|x| x.0)
    }
    fn get_file(&mut self, id: &Digest, _: UnixNanos) -> Result<Entry, Miss> {
        self.peek_file(id)
    }
    /// A hit needs the entry; the output only listed (the read stubs every listed output an
    /// entry names). An output the listing lacks is asked for all the same: it is not there,
    /// and the lookup is a miss.
    fn peek_file(&self, id: &Digest) -> Result<Entry, Miss> {
        let r = self.cache.peek_file(id);
        self.note(id, &r);
        r
    }
    fn get_data(&mut self, id: &Digest, _: UnixNanos) -> Result<(Entry, Vec<u8>), Miss> {
        self.peek_data(id)
    }
    fn peek_data(&self, id: &Digest) -> Result<(Entry, Vec<u8>), Miss> {
        let r = self.cache.peek_data(id);
        self.note(id, &r);
        r
    }
    /// A dry run stores nothing.
    fn put(&mut self, _: &Digest, data: &[u8], now: UnixNanos) -> Entry {
        Entry {
            output: Digest::of(data),
            size: data.len() as u64,
            time: now,
        }
    }
    fn trim(&mut self, _: UnixNanos) -> TrimReport {
        TrimReport::default()
    }
}

/// One corrupt entry met by a build: the file and the core's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Corrupt {
    pub file: String,
    pub reason: Miss,
}

/// The real build's cache: the core's `DirCache` over the overlay, deleting the records of a
/// corrupt entry when a lookup meets one.
pub struct Checked<'a> {
    pub cache: &'a mut DirCache<OverlayFs>,
    pub corrupt: Vec<Corrupt>,
    /// Entries whose outputs the helper holds (`Cache::put_held`): action ID and entry, kept out
    /// of the cache until the page has their bytes (`crate::real::save_outputs`).
    pub held: Vec<(Digest, Entry)>,
}

impl<'a> Checked<'a> {
    pub fn new(cache: &'a mut DirCache<OverlayFs>) -> Self {
        Checked {
            cache,
            corrupt: Vec::new(),
            held: Vec::new(),
        }
    }

    fn check<T>(&mut self, id: &Digest, r: Result<T, Miss>) -> Result<T, Miss> {
        if let Err(m) = &r {
            if *m != Miss::NoEntry {
                let a = DirCache::<OverlayFs>::action_file(id);
                let entry = self
                    .cache
                    .fs()
                    .get(&a)
                    .and_then(|d| Entry::parse(id, d).ok());
                self.cache.fs_mut().remove(&a);
                if matches!(m, Miss::DataSize { .. } | Miss::DataHash) {
                    if let Some(e) = entry {
                        let d = DirCache::<OverlayFs>::output_file(&e.output);
                        self.cache.fs_mut().remove(&d);
                    }
                }
                self.corrupt.push(Corrupt {
                    file: a,
                    reason: m.clone(),
                });
            }
        }
        r
    }
}

impl Cache for Checked<'_> {
    fn get(&mut self, id: &Digest, now: UnixNanos) -> Result<Entry, Miss> {
        let r = self.cache.get(id, now);
        self.check(id, r)
    }
    fn get_file(&mut self, id: &Digest, now: UnixNanos) -> Result<Entry, Miss> {
        let r = self.cache.get_file(id, now);
        self.check(id, r)
    }
    fn peek_file(&self, id: &Digest) -> Result<Entry, Miss> {
        self.cache.peek_file(id)
    }
    fn get_data(&mut self, id: &Digest, now: UnixNanos) -> Result<(Entry, Vec<u8>), Miss> {
        let r = self.cache.get_data(id, now);
        self.check(id, r)
    }
    fn peek_data(&self, id: &Digest) -> Result<(Entry, Vec<u8>), Miss> {
        self.cache.peek_data(id)
    }
    fn put(&mut self, id: &Digest, data: &[u8], now: UnixNanos) -> Entry {
        self.cache.put(id, data, now)
    }
    fn put_held(&mut self, id: &Digest, output: &Digest, size: u64, now: UnixNanos) -> Entry {
        let e = Entry {
            output: *output,
            size,
            time: now,
        };
        self.held.push((*id, e));
        e
    }
    fn trim(&mut self, now: UnixNanos) -> TrimReport {
        self.cache.trim(now)
    }
}

#[cfg(test)]
mod journal_tests {
    use super::*;
    use wasm_bindgen_test::*;

    /// The batch holds each path's latest change, by path, as a map of path to change did.
    #[wasm_bindgen_test]
    fn a_later_change_of_a_path_replaces_the_earlier_one() {
        let mut fs = OverlayFs::default();
        fs.load("ab/x-a", b"old".to_vec(), 1);
        fs.write("cd/y-d", b"y", 2);
        fs.write("ab/x-a", b"new", 3);
        fs.set_mtime("ab/x-a", 4);
        fs.stub("ef/z-d", 9, 5);
        fs.set_mtime("ef/z-d", 6);
        fs.write("gh/w-a", b"w", 7);
        fs.remove("gh/w-a");
        fs.remove("cd/y-d");
        let b = fs.take_batch();
        assert_eq!(b.writes, [("ab/x-a".to_string(), b"new".to_vec(), 4)]);
        assert_eq!(
            b.deletes,
            [("cd/y-d".to_string(), None), ("gh/w-a".to_string(), None)]
        );
        assert_eq!(b.touches, [("ef/z-d".to_string(), 6)]);
        assert!(fs.take_batch().is_empty(), "the journal is emptied");
        // A file written then read back from the journal is the loaded copy: deleting it now
        // deletes only those bytes.
        fs.remove("ab/x-a");
        assert_eq!(
            fs.take_batch().deletes,
            [("ab/x-a".to_string(), Some(b"new".to_vec()))]
        );
    }
}
