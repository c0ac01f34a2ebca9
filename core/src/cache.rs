//! The build cache: the [`Cache`] trait and [`DirCache`], a model of the go command's GOCACHE
//! directory (`src/cmd/go/internal/cache/cache.go`) over a small file-system trait, [`CacheFs`].
//! [`MemFs`] holds that layout in memory (tests, the page); the native helper implements
//! [`CacheFs`] over a real directory.
//!
//! Layout: subdirectories `00`–`ff` by the first byte of an ID; `<hex>-a` action entries of
//! exactly one 175-byte line `v1 <actionID> <outputID> <size:20> <unix-nanos:20>\n`; `<hex>-d`
//! output data named by the output ID (the hash of the data); `README`; `trim.txt` (the Unix
//! seconds of the last trim).
//!
//! Timing, as go: a lookup refreshes the mtime of the `-a` and `-d` files it used, at most once
//! an hour; [`Cache::trim`] runs at most once every 24 h (per `trim.txt`; a time more than an
//! hour in the future counts as corrupt) and removes `-a`/`-d` files unused for 5 days plus an
//! hour of slack. The clock is passed in as Unix nanoseconds, never read.
//!
//! Integrity: a missing, truncated, over-long or malformed entry, a version other than `v1`, a
//! mismatched ID, missing data, data of the wrong size, and data that does not hash to its
//! output ID are all misses with a typed [`Miss`] reason, never a wrong output. Two depths of
//! lookup, as cmd/go has: [`Cache::get_file`] is go's `GetFile` (the entry, and its output
//! present at the entry's size, a `stat`: no data read, nothing hashed), what a build needs on
//! a hit; [`Cache::get_data`] reads the data and also checks that it hashes to its output ID
//! (go checks only the size; the hash is our choice), what a caller that consumes the bytes
//! uses. So data is verified whenever it is read.
//!
//! Not here: which actions are stored (see [`crate::rebuild`]: build outputs yes, link outputs
//! only for `go run`), locking (one writer), and the fuzz cache.

use std::collections::BTreeMap;
use std::fmt;

use crate::hash::Digest;

/// Unix time in nanoseconds.
pub type UnixNanos = i64;

pub const NANOS_PER_SEC: i64 = 1_000_000_000;
pub const HOUR: i64 = 3600 * NANOS_PER_SEC;
/// go's `mtimeInterval`.
pub const MTIME_INTERVAL: i64 = HOUR;
/// go's `trimInterval`.
pub const TRIM_INTERVAL: i64 = 24 * HOUR;
/// go's `trimLimit`.
pub const TRIM_LIMIT: i64 = 5 * 24 * HOUR;
/// The size of an action entry line.
pub const ENTRY_SIZE: usize = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1;

/// The README go writes into a new cache directory.
pub const README: &str = "This directory holds cached build artifacts from the Go build system.\nRun \"go clean -cache\" if the directory is getting too large.\nRun \"go clean -fuzzcache\" to delete the fuzz cache.\nSee golang.org to learn more about Go.\n";

/// An action entry: which output an action produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub output: Digest,
    pub size: u64,
    /// When it was stored (Unix nanoseconds).
    pub time: UnixNanos,
}

impl Entry {
    /// The `-a` file's one line for action `id`.
    pub fn render(&self, id: &Digest) -> String {
        format!(
            "v1 {} {} {:>20} {:>20}\n",
            id.to_hex(),
            self.output.to_hex(),
            self.size,
            self.time
        )
    }

    /// Parses an `-a` file, as go's `cache.get` does.
    pub fn parse(id: &Digest, data: &[u8]) -> Result<Entry, EntryFault> {
        if data.is_empty() {
            return Err(EntryFault::Empty);
        }
        if data.len() > ENTRY_SIZE {
            return Err(EntryFault::TooLong);
        }
        if data.len() < ENTRY_SIZE {
            return Err(EntryFault::Incomplete);
        }
        if !(data[0] == b'v' && data[2] == b' ') {
            return Err(EntryFault::InvalidHeader);
        }
        if data[1] != b'1' {
            return Err(EntryFault::UnknownVersion(
                String::from_utf8_lossy(&data[..2]).into_owned(),
            ));
        }
        let sp = |i: usize| data[i] == b' ';
        if !(sp(3 + 64)
            && sp(3 + 64 + 1 + 64)
            && sp(3 + 64 + 1 + 64 + 1 + 20)
            && data[ENTRY_SIZE - 1] == b'\n')
        {
            return Err(EntryFault::InvalidHeader);
        }
        let text = std::str::from_utf8(data).map_err(|_| EntryFault::InvalidHeader)?;
        let eid = crate::object::parse_hex(&text[3..67]).ok_or(EntryFault::BadHex)?;
        if eid != *id {
            return Err(EntryFault::MismatchedId);
        }
        let output = crate::object::parse_hex(&text[68..132]).ok_or(EntryFault::BadHex)?;
        let size: i64 = text[133..153]
            .trim_start()
            .parse()
            .map_err(|_| EntryFault::BadSize)?;
        let time: i64 = text[154..174]
            .trim_start()
            .parse()
            .map_err(|_| EntryFault::BadTime)?;
        if size < 0 {
            return Err(EntryFault::BadSize);
        }
        if time < 0 {
            return Err(EntryFault::BadTime);
        }
        Ok(Entry {
            output,
            size: size as u64,
            time,
        })
    }
}

/// What is wrong with an `-a` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryFault {
    Empty,
    TooLong,
    /// Truncated.
    Incomplete,
    InvalidHeader,
    /// A version line other than `v1`.
    UnknownVersion(String),
    MismatchedId,
    BadHex,
    BadSize,
    BadTime,
}

impl fmt::Display for EntryFault {
    /// The variant's name (`BadHex`, `UnknownVersion("v2")`), as its `Debug` would print it,
    /// without the `Debug` formatting machinery in the page's wasm.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            EntryFault::Empty => "Empty",
            EntryFault::TooLong => "TooLong",
            EntryFault::Incomplete => "Incomplete",
            EntryFault::InvalidHeader => "InvalidHeader",
            EntryFault::UnknownVersion(v) => {
                let v = crate::plan::go_quote(v.as_bytes());
                return write!(f, "UnknownVersion({v})");
            }
            EntryFault::MismatchedId => "MismatchedId",
            EntryFault::BadHex => "BadHex",
            EntryFault::BadSize => "BadSize",
            EntryFault::BadTime => "BadTime",
        };
        f.write_str(name)
    }
}

/// Why a lookup found nothing usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Miss {
    /// No `-a` file.
    NoEntry,
    BadEntry(EntryFault),
    /// The entry names output data that is not there (an `-a` without its `-d`).
    DataMissing,
    /// The data's size is not the entry's.
    DataSize {
        want: u64,
        got: u64,
    },
    /// The data does not hash to its output ID.
    DataHash,
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Miss::NoEntry => write!(f, "no cache entry"),
            Miss::BadEntry(e) => write!(f, "corrupt cache entry: {e}"),
            Miss::DataMissing => write!(f, "cache entry without its output data"),
            Miss::DataSize { want, got } => {
                write!(f, "cached output has {got} bytes, entry says {want}")
            }
            Miss::DataHash => write!(f, "cached output does not hash to its output ID"),
        }
    }
}

/// One listed cache file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// `ab/ab12…-a`.
    pub path: String,
    pub size: u64,
    pub mtime: UnixNanos,
}

/// What a trim did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrimReport {
    /// False when `trim.txt` said the last trim was under 24 h ago.
    pub ran: bool,
    pub removed: Vec<String>,
}

/// A build cache.
pub trait Cache {
    /// The action entry for `id`, refreshing its mtime.
    fn get(&mut self, id: &Digest, now: UnixNanos) -> Result<Entry, Miss>;
    /// go's `GetFile`: the entry, with its output data present at the entry's size, refreshing
    /// both files' mtimes. Reads and hashes no data (see the module doc). The default reads it.
    fn get_file(&mut self, id: &Digest, now: UnixNanos) -> Result<Entry, Miss> {
        self.get_data(id, now).map(|(e, _)| e)
    }
    /// Like [`Cache::get_file`] but read-only (for predictions).
    fn peek_file(&self, id: &Digest) -> Result<Entry, Miss> {
        self.peek_data(id).map(|(e, _)| e)
    }
    /// The entry and its verified output data.
    fn get_data(&mut self, id: &Digest, now: UnixNanos) -> Result<(Entry, Vec<u8>), Miss>;
    /// Like [`Cache::get_data`] but read-only: no mtime is refreshed (for predictions).
    fn peek_data(&self, id: &Digest) -> Result<(Entry, Vec<u8>), Miss>;
    /// Stores `data` as the output of action `id` (output ID = its hash).
    fn put(&mut self, id: &Digest, data: &[u8], now: UnixNanos) -> Entry;
    /// Records that action `id`'s output is `output` (`size` bytes) whose bytes another store
    /// holds (a real build's archive, still on the page's helper). A store that keeps entries
    /// only beside their outputs writes the entry once the bytes are in; until then a lookup
    /// misses, as go's does for an entry whose output file is gone. The default stores nothing.
    fn put_held(&mut self, _id: &Digest, output: &Digest, size: u64, now: UnixNanos) -> Entry {
        Entry {
            output: *output,
            size,
            time: now,
        }
    }
    /// go's `Cache.Trim`.
    fn trim(&mut self, now: UnixNanos) -> TrimReport;
}

/// The file operations [`DirCache`] needs, with slash-separated paths relative to the cache root.
pub trait CacheFs {
    fn read(&self, path: &str) -> Option<Vec<u8>>;
    /// A file's size without reading it (a `stat`), `None` when it does not exist. The default
    /// reads it; stores that can tell without reading should say so.
    fn size(&self, path: &str) -> Option<u64> {
        self.read(path).map(|d| d.len() as u64)
    }
    /// Creates or replaces a file, with the given mtime.
    fn write(&mut self, path: &str, data: &[u8], mtime: UnixNanos);
    fn remove(&mut self, path: &str);
    fn mtime(&self, path: &str) -> Option<UnixNanos>;
    fn set_mtime(&mut self, path: &str, t: UnixNanos);
    /// File names directly in `dir` (`""` for the root), sorted.
    fn list(&self, dir: &str) -> Vec<String>;
    fn mkdir(&mut self, dir: &str);
    /// Removes a directory and everything under it.
    fn remove_dir(&mut self, dir: &str);
    fn dirs(&self) -> Vec<String>;
}

/// An in-memory [`CacheFs`]: files with mtimes, and directories.
#[derive(Clone, Debug, Default)]
pub struct MemFs {
    files: BTreeMap<String, (Vec<u8>, UnixNanos)>,
    dirs: std::collections::BTreeSet<String>,
}

impl CacheFs for MemFs {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files.get(path).map(|f| f.0.clone())
    }
    fn size(&self, path: &str) -> Option<u64> {
        self.files.get(path).map(|f| f.0.len() as u64)
    }
    fn write(&mut self, path: &str, data: &[u8], mtime: UnixNanos) {
        self.files.insert(path.to_string(), (data.to_vec(), mtime));
    }
    fn remove(&mut self, path: &str) {
        self.files.remove(path);
    }
    fn mtime(&self, path: &str) -> Option<UnixNanos> {
        self.files.get(path).map(|f| f.1)
    }
    fn set_mtime(&mut self, path: &str, t: UnixNanos) {
        if let Some(f) = self.files.get_mut(path) {
            f.1 = t;
        }
    }
    fn list(&self, dir: &str) -> Vec<String> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.files
            .keys()
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
        self.files.retain(|k, _| !k.starts_with(&prefix));
        self.dirs.remove(dir);
    }
    fn dirs(&self) -> Vec<String> {
        self.dirs.iter().cloned().collect()
    }
}

/// The GOCACHE directory model over a [`CacheFs`].
#[derive(Clone, Debug)]
pub struct DirCache<F: CacheFs> {
    fs: F,
}

/// The cache held in memory, in the GOCACHE layout.
pub type MemoryCache = DirCache<MemFs>;

impl MemoryCache {
    pub fn new() -> Self {
        DirCache::open(MemFs::default())
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new()
    }
}

fn file_name(id: &Digest, kind: char) -> String {
    let hex = id.to_hex();
    format!("{}/{hex}-{kind}", &hex[..2])
}

impl<F: CacheFs> DirCache<F> {
    /// go's `cache.Open` plus the README go writes: creates the 256 subdirectories.
    pub fn open(mut fs: F) -> Self {
        for i in 0..256 {
            fs.mkdir(&format!("{i:02x}"));
        }
        if fs.read("README").is_none() {
            fs.write("README", README.as_bytes(), 0);
        }
        DirCache { fs }
    }

    pub fn fs(&self) -> &F {
        &self.fs
    }
    pub fn fs_mut(&mut self) -> &mut F {
        &mut self.fs
    }

    /// The path of an output's data file, `ab/ab12…-d` (cmd/go's `OutputFile`).
    pub fn output_file(output: &Digest) -> String {
        file_name(output, 'd')
    }
    /// The path of an action's entry file.
    pub fn action_file(id: &Digest) -> String {
        file_name(id, 'a')
    }

    // The cache-wide operations below are not [`Cache`] methods: the builds drive their
    // caches as `dyn Cache`, whose vtables would carry them for every adapter the page's
    // first module builds through, though only the CLI, lessons and the full module's cache
    // panel call them, each on its directory cache (docs/benchmarks.md, Page weight).

    /// Every cache file, sorted by path.
    pub fn list(&self) -> Vec<Listed> {
        layout::list(&self.fs)
    }

    /// Whether any entry (`xx/<hex>-a` or `-d`) is in the cache, not only its README and
    /// `trim.txt`: a GOCACHE some go command has used since it was made or cleaned.
    pub fn has_entries(&self) -> bool {
        // Names only: `list` reads every file for its size.
        self.fs.dirs().iter().any(|d| !self.fs.list(d).is_empty())
    }

    /// Total bytes of the cache files (see [`du_size`] for `du -sh`).
    pub fn size(&self) -> u64 {
        self.list().iter().map(|l| l.size).sum()
    }

    /// `go clean -cache`.
    pub fn clear(&mut self) {
        layout::clear(&mut self.fs)
    }
}

impl<F: CacheFs> Cache for DirCache<F> {
    fn get(&mut self, id: &Digest, now: UnixNanos) -> Result<Entry, Miss> {
        layout::get(&mut self.fs, id, now)
    }

    fn get_file(&mut self, id: &Digest, now: UnixNanos) -> Result<Entry, Miss> {
        layout::get_file(&mut self.fs, id, now)
    }

    fn peek_file(&self, id: &Digest) -> Result<Entry, Miss> {
        layout::peek_file(&self.fs, id)
    }

    fn get_data(&mut self, id: &Digest, now: UnixNanos) -> Result<(Entry, Vec<u8>), Miss> {
        layout::get_data(&mut self.fs, id, now)
    }

    fn peek_data(&self, id: &Digest) -> Result<(Entry, Vec<u8>), Miss> {
        layout::peek_data(&self.fs, id)
    }

    fn put(&mut self, id: &Digest, data: &[u8], now: UnixNanos) -> Entry {
        layout::put(&mut self.fs, id, data, now)
    }

    fn trim(&mut self, now: UnixNanos) -> TrimReport {
        layout::trim(&mut self.fs, now)
    }
}

/// [`DirCache`]'s operations over any [`CacheFs`], written once: the page's module has a
/// `DirCache` of two file system types, and methods generic over `F` would put each of these
/// bodies in it twice (docs/benchmarks.md, Page weight). A file operation is a dynamic call,
/// next to which the work it does (IndexedDB's pages in memory, a disk) is large.
mod layout {
    use super::*;

    /// go's `used`: refresh the mtime unless it is under an hour old.
    pub(super) fn used(fs: &mut dyn CacheFs, path: &str, now: UnixNanos) {
        if let Some(m) = fs.mtime(path) {
            if now - m < MTIME_INTERVAL {
                return;
            }
            fs.set_mtime(path, now);
        }
    }

    pub(super) fn get(fs: &mut dyn CacheFs, id: &Digest, now: UnixNanos) -> Result<Entry, Miss> {
        let path = file_name(id, 'a');
        let data = fs.read(&path).ok_or(Miss::NoEntry)?;
        let e = Entry::parse(id, &data).map_err(Miss::BadEntry)?;
        used(fs, &path, now);
        Ok(e)
    }

    pub(super) fn get_file(
        fs: &mut dyn CacheFs,
        id: &Digest,
        now: UnixNanos,
    ) -> Result<Entry, Miss> {
        let r = peek_file(fs, id);
        if let Ok(e) = &r {
            used(fs, &file_name(id, 'a'), now);
            used(fs, &file_name(&e.output, 'd'), now);
        }
        r
    }

    pub(super) fn peek_file(fs: &dyn CacheFs, id: &Digest) -> Result<Entry, Miss> {
        let data = fs.read(&file_name(id, 'a')).ok_or(Miss::NoEntry)?;
        let e = Entry::parse(id, &data).map_err(Miss::BadEntry)?;
        match fs.size(&file_name(&e.output, 'd')) {
            None => Err(Miss::DataMissing),
            Some(got) if got != e.size => Err(Miss::DataSize { want: e.size, got }),
            Some(_) => Ok(e),
        }
    }

    pub(super) fn get_data(
        fs: &mut dyn CacheFs,
        id: &Digest,
        now: UnixNanos,
    ) -> Result<(Entry, Vec<u8>), Miss> {
        let r = peek_data(fs, id);
        if let Ok((e, _)) = &r {
            used(fs, &file_name(id, 'a'), now);
            used(fs, &file_name(&e.output, 'd'), now);
        }
        r
    }

    pub(super) fn peek_data(fs: &dyn CacheFs, id: &Digest) -> Result<(Entry, Vec<u8>), Miss> {
        let data = fs.read(&file_name(id, 'a')).ok_or(Miss::NoEntry)?;
        let e = Entry::parse(id, &data).map_err(Miss::BadEntry)?;
        let path = file_name(&e.output, 'd');
        let data = fs.read(&path).ok_or(Miss::DataMissing)?;
        if data.len() as u64 != e.size {
            return Err(Miss::DataSize {
                want: e.size,
                got: data.len() as u64,
            });
        }
        if Digest::of(&data) != e.output {
            return Err(Miss::DataHash);
        }
        Ok((e, data))
    }

    pub(super) fn put(fs: &mut dyn CacheFs, id: &Digest, data: &[u8], now: UnixNanos) -> Entry {
        let output = Digest::of(data);
        let dpath = file_name(&output, 'd');
        // After `go clean -cache` the next go command's Open recreates the subdirectories.
        fs.mkdir(&dpath[..2]);
        fs.mkdir(&id.to_hex()[..2]);
        // copyFile: keep an existing data file of the right size and hash.
        let keep = fs
            .read(&dpath)
            .is_some_and(|d| d.len() == data.len() && Digest::of(&d) == output);
        if keep {
            used(fs, &dpath, now);
        } else {
            fs.write(&dpath, data, now);
        }
        let e = Entry {
            output,
            size: data.len() as u64,
            time: now,
        };
        fs.write(&file_name(id, 'a'), e.render(id).as_bytes(), now);
        e
    }

    pub(super) fn list(fs: &dyn CacheFs) -> Vec<Listed> {
        let mut v = Vec::new();
        for d in fs.dirs() {
            for n in fs.list(&d) {
                let path = format!("{d}/{n}");
                v.push(Listed {
                    size: fs.read(&path).map_or(0, |b| b.len() as u64),
                    mtime: fs.mtime(&path).unwrap_or(0),
                    path,
                });
            }
        }
        for n in fs.list("") {
            v.push(Listed {
                size: fs.read(&n).map_or(0, |b| b.len() as u64),
                mtime: fs.mtime(&n).unwrap_or(0),
                path: n,
            });
        }
        crate::sort::sort_by(&mut v, |a, b| a.path.cmp(&b.path));
        v
    }

    pub(super) fn clear(fs: &mut dyn CacheFs) {
        // go clean -cache removes the subdirectories only; README and trim.txt stay.
        for d in fs.dirs() {
            if d.len() == 2 && d.bytes().all(|b| b.is_ascii_hexdigit()) {
                fs.remove_dir(&d);
            }
        }
    }

    pub(super) fn trim(fs: &mut dyn CacheFs, now: UnixNanos) -> TrimReport {
        if let Some(data) = fs.read("trim.txt") {
            if let Ok(t) = String::from_utf8_lossy(&data).trim().parse::<i64>() {
                let d = now - t.saturating_mul(NANOS_PER_SEC);
                if d < TRIM_INTERVAL && d > -MTIME_INTERVAL {
                    return TrimReport::default();
                }
            }
        }
        let cutoff = now - TRIM_LIMIT - MTIME_INTERVAL;
        let mut removed = Vec::new();
        for d in fs.dirs() {
            for n in fs.list(&d) {
                if !(n.ends_with("-a") || n.ends_with("-d")) {
                    continue;
                }
                let path = format!("{d}/{n}");
                if fs.mtime(&path).is_some_and(|m| m < cutoff) {
                    fs.remove(&path);
                    removed.push(path);
                }
            }
        }
        let secs = now.div_euclid(NANOS_PER_SEC);
        fs.write("trim.txt", secs.to_string().as_bytes(), now);
        TrimReport { ran: true, removed }
    }
}

/// `du -sh`'s number for a cache: 4 KiB blocks per file (rounded up) and per directory.
pub fn du_size<F: CacheFs>(c: &DirCache<F>) -> u64 {
    const BLOCK: u64 = 4096;
    let files: u64 = c
        .list()
        .iter()
        .map(|l| l.size.div_ceil(BLOCK).max(1) * BLOCK)
        .sum();
    files + (c.fs.dirs().len() as u64 + 1) * BLOCK
}

/// GNU `du -h`'s rendering: powers of 1024, rounded up, one decimal below 10.
pub fn human_size(bytes: u64) -> String {
    let units = ["", "K", "M", "G", "T"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        return format!("{bytes}");
    }
    if v < 10.0 {
        // Tenths as an integer: `{:.1}` on the float would keep core's float formatter (~9 KB
        // of wasm) in the page's first module for this one line.
        let tenths = (v * 10.0).ceil() as u64;
        if tenths < 100 {
            return format!("{}.{}{}", tenths / 10, tenths % 10, units[u]);
        }
    }
    format!("{}{}", v.ceil() as u64, units[u])
}

/// `go env GOCACHE`'s default: `$XDG_CACHE_HOME/go-build` or `$HOME/.cache/go-build` (Linux),
/// `$HOME/Library/Caches/go-build` (macOS), `%LocalAppData%\go-build` (Windows). The
/// environment is passed in; `GOCACHE` itself wins.
pub fn gocache_dir(goos: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(v) = env("GOCACHE").filter(|v| !v.is_empty()) {
        return Some(v);
    }
    match goos {
        "windows" => env("LocalAppData").map(|d| format!("{d}\\go-build")),
        "darwin" | "ios" => env("HOME").map(|h| format!("{h}/Library/Caches/go-build")),
        _ => env("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .or_else(|| env("HOME").map(|h| format!("{h}/.cache")))
            .map(|d| format!("{d}/go-build")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_544_806 * NANOS_PER_SEC;

    fn id(n: u8) -> Digest {
        Digest::of(&[n])
    }

    #[test]
    fn entry_round_trips_with_go_layout() {
        let e = Entry {
            output: id(2),
            size: 46,
            time: 1_795_544_806_894_553_781,
        };
        let line = e.render(&id(1));
        assert_eq!(line.len(), 175);
        assert!(line.ends_with("                   46  1795544806894553781\n"));
        assert_eq!(Entry::parse(&id(1), line.as_bytes()), Ok(e));
    }

    /// A corrupt entry's reason reads as it did when it was the fault's `Debug`.
    #[test]
    fn entry_faults_display_as_their_debug() {
        for e in [
            EntryFault::Empty,
            EntryFault::TooLong,
            EntryFault::Incomplete,
            EntryFault::InvalidHeader,
            EntryFault::UnknownVersion("v2".into()),
            EntryFault::MismatchedId,
            EntryFault::BadHex,
            EntryFault::BadSize,
            EntryFault::BadTime,
        ] {
            assert_eq!(e.to_string(), format!("{e:?}"));
            let m = Miss::BadEntry(e.clone()).to_string();
            assert_eq!(m, format!("corrupt cache entry: {e:?}"));
        }
    }

    #[test]
    fn integrity_faults_are_typed_misses() {
        let mut c = MemoryCache::new();
        let a = id(1);
        assert_eq!(c.get(&a, T0), Err(Miss::NoEntry));
        let e = c.put(&a, b"object", T0);
        assert_eq!(c.get_data(&a, T0).unwrap().1, b"object");
        let apath = MemoryCache::action_file(&a);
        let dpath = MemoryCache::output_file(&e.output);
        let line = c.fs().read(&apath).unwrap();

        // Truncated entry.
        c.fs_mut().write(&apath, &line[..100], T0);
        assert_eq!(c.get(&a, T0), Err(Miss::BadEntry(EntryFault::Incomplete)));
        // Unknown version line.
        let mut v2 = line.clone();
        v2[1] = b'2';
        c.fs_mut().write(&apath, &v2, T0);
        assert_eq!(
            c.get(&a, T0),
            Err(Miss::BadEntry(EntryFault::UnknownVersion("v2".into())))
        );
        // Too long, empty, mismatched ID.
        let mut long = line.clone();
        long.push(b'x');
        c.fs_mut().write(&apath, &long, T0);
        assert_eq!(c.get(&a, T0), Err(Miss::BadEntry(EntryFault::TooLong)));
        c.fs_mut().write(&apath, b"", T0);
        assert_eq!(c.get(&a, T0), Err(Miss::BadEntry(EntryFault::Empty)));
        c.fs_mut()
            .write(&MemoryCache::action_file(&id(9)), &line, T0);
        assert_eq!(
            c.get(&id(9), T0),
            Err(Miss::BadEntry(EntryFault::MismatchedId))
        );

        // An -a without its -d; data of the wrong size; data that does not hash to its ID.
        c.fs_mut().write(&apath, &line, T0);
        c.fs_mut().remove(&dpath);
        assert_eq!(c.get_data(&a, T0), Err(Miss::DataMissing));
        assert_eq!(c.get_file(&a, T0), Err(Miss::DataMissing));
        c.fs_mut().write(&dpath, b"obj", T0);
        assert_eq!(c.get_data(&a, T0), Err(Miss::DataSize { want: 6, got: 3 }));
        assert_eq!(c.get_file(&a, T0), Err(Miss::DataSize { want: 6, got: 3 }));
        c.fs_mut().write(&dpath, b"OBJECT", T0);
        assert_eq!(c.get_data(&a, T0), Err(Miss::DataHash));
        // go's GetFile does not read the data: only reading it finds it wrong.
        assert_eq!(c.get_file(&a, T0), Ok(e));
        // A rebuild stores it again and the entry is good.
        c.put(&a, b"object", T0);
        assert_eq!(c.get_data(&a, T0).unwrap().1, b"object");
    }

    #[test]
    fn mtimes_refresh_at_most_hourly() {
        let mut c = MemoryCache::new();
        let a = id(1);
        c.put(&a, b"x", T0);
        let apath = MemoryCache::action_file(&a);
        c.get(&a, T0 + MTIME_INTERVAL - 1).unwrap();
        assert_eq!(c.fs().mtime(&apath), Some(T0));
        c.get(&a, T0 + MTIME_INTERVAL).unwrap();
        assert_eq!(c.fs().mtime(&apath), Some(T0 + MTIME_INTERVAL));
    }

    #[test]
    fn trim_timing_edges() {
        let mut c = MemoryCache::new();
        let (old, fresh) = (id(1), id(2));
        c.put(&old, b"old", T0);
        c.put(&fresh, b"fresh", T0 + 3 * TRIM_INTERVAL);
        let cutoff_age = TRIM_LIMIT + MTIME_INTERVAL;

        // First trim ever: runs; exactly at the cutoff nothing goes (go removes mtime < cutoff).
        let r = c.trim(T0 + cutoff_age);
        assert!(r.ran);
        assert!(r.removed.is_empty());
        assert_eq!(
            c.fs().read("trim.txt").unwrap(),
            ((T0 + cutoff_age) / NANOS_PER_SEC).to_string().as_bytes()
        );

        // Within 24 h of the last trim: does nothing, even though `old` is now past the cutoff.
        let last = T0 + cutoff_age;
        assert!(!c.trim(last + TRIM_INTERVAL - NANOS_PER_SEC).ran);
        // 24 h later: runs, removes the entry and data unused for 5 days + 1 hour.
        let r = c.trim(last + TRIM_INTERVAL);
        assert!(r.ran);
        assert_eq!(r.removed.len(), 2);
        assert!(c.get(&old, last + TRIM_INTERVAL).is_err());
        assert!(c.get(&fresh, last + TRIM_INTERVAL).is_ok());

        // A trim.txt more than an hour in the future is treated as corrupt: trim runs.
        c.fs_mut().write(
            "trim.txt",
            ((T0 + 100 * TRIM_INTERVAL) / NANOS_PER_SEC)
                .to_string()
                .as_bytes(),
            0,
        );
        assert!(c.trim(T0 + 10 * TRIM_INTERVAL).ran);
        // Less than an hour in the future counts as recent.
        let now = T0 + 20 * TRIM_INTERVAL;
        c.fs_mut().write(
            "trim.txt",
            ((now + HOUR / 2) / NANOS_PER_SEC).to_string().as_bytes(),
            0,
        );
        assert!(!c.trim(now).ran);
        // An unparsable trim.txt: trim runs.
        c.fs_mut().write("trim.txt", b"garbage", 0);
        assert!(c.trim(now).ran);
    }

    #[test]
    fn clean_cache_removes_only_the_subdirectories() {
        let mut c = MemoryCache::new();
        c.put(&id(1), b"x", T0);
        c.trim(T0);
        assert_eq!(c.fs().dirs().len(), 256);
        c.clear();
        let names: Vec<String> = c.list().into_iter().map(|l| l.path).collect();
        assert_eq!(names, ["README", "trim.txt"]);
        assert!(c.fs().dirs().is_empty());
        assert_eq!(c.get(&id(1), T0), Err(Miss::NoEntry));
    }

    #[test]
    fn sizes_render_like_du() {
        assert_eq!(human_size(12 * 1024), "12K");
        assert_eq!(human_size(32 * 1024 * 1024 - 5), "32M");
        assert_eq!(human_size(1536 * 1024), "1.5M");
        assert_eq!(human_size(10 * 1024 - 1), "10K");
        // The integer tenths print what `{:.1}` on the rounded-up float printed.
        for bytes in (1024..10 * 1024)
            .chain((1 << 20)..(1 << 20) + 300_000)
            .step_by(7)
        {
            let v = bytes as f64 / if bytes < 1 << 20 { 1024.0 } else { 1048576.0 };
            let r = (v * 10.0).ceil() / 10.0;
            let unit = if bytes < 1 << 20 { "K" } else { "M" };
            if r < 10.0 {
                assert_eq!(human_size(bytes), format!("{r:.1}{unit}"), "{bytes}");
            }
        }
        let env = |k: &str| (k == "HOME").then(|| "/root".to_string());
        assert_eq!(
            gocache_dir("linux", &env).as_deref(),
            Some("/root/.cache/go-build")
        );
    }
}
