//! The in-memory file system a build reads: a sorted map from slash-separated relative paths to
//! bytes, plus the txtar archive format (the Go playground's multi-file format) to move whole
//! workspaces in and out as text.
//!
//! This module knows nothing about a real disk: a native front end fills a `Workspace` through
//! [`FileSource`], the page fills it from the editor, a share link from a txtar archive.

#[cfg(feature = "path-index")]
use std::collections::{BTreeMap, HashMap};

/// A file's bytes: shared with the hash index when there is one (feature `path-index`).
#[cfg(feature = "path-index")]
type Bytes = std::sync::Arc<[u8]>;
#[cfg(not(feature = "path-index"))]
type Bytes = Vec<u8>;

/// Where a native front end gets files from. `core` never implements it over a real disk.
pub trait FileSource {
    /// Everything under the root.
    fn list(&self) -> Listing;
}

/// What a [`FileSource`] holds.
#[derive(Default)]
pub struct Listing {
    /// Every file as `(relative/slash/path, bytes)`, in any order.
    pub files: Vec<(String, Vec<u8>)>,
    /// Directories that hold no file and no directory (a disk has them; a txtar archive
    /// cannot), in any order. The loader tells an empty directory from a missing one as go
    /// does (`no Go files in DIR` against `stat DIR: directory not found`). Left out of the
    /// workspace without the feature `empty-dirs`.
    pub empty_dirs: Vec<String>,
}

/// A set of files keyed by a normalized relative path (`dir/file.go`, no leading `./` or `/`).
///
/// With the feature `path-index` (a default), two views of the same files: `files` in path
/// order (listings, directories, txtar) and `index` by hash for [`Workspace::get`]. Action IDs
/// look up every file of every package by path, and in a workspace of thousands of files a
/// search of the ordered map compares dozens of keys that share long prefixes
/// (`g012/p1234/...`); the hash finds it with one comparison. The bytes are shared between the
/// two views, not copied. The page leaves the feature off: its workspaces are small, and the
/// index's code is 2.3 KB of gzipped wasm (docs/benchmarks.md).
#[derive(Clone, Default)]
pub struct Workspace {
    files: Files,
    #[cfg(feature = "path-index")]
    index: PathIndex,
    /// Directories that exist without any file below them ([`Listing::empty_dirs`]),
    /// normalized, sorted, without repeats (feature `empty-dirs`).
    #[cfg(feature = "empty-dirs")]
    empty_dirs: Vec<String>,
}

/// The files in path order. With `path-index` (native front ends: workspaces of tens of
/// thousands of files, filled one insert at a time in any order) a B-tree map; without it (the
/// page: tens of files) a sorted vector, core's [`Keyed`](crate::object::Keyed), whose inserts
/// shift the vector but whose code is a binary search, where each B-tree map type adds its own
/// insert, search, removal and drop code to the page's wasm (docs/benchmarks.md, Page weight).
#[cfg(feature = "path-index")]
type Files = BTreeMap<String, File>;
#[cfg(not(feature = "path-index"))]
type Files = crate::object::Keyed<File>;

/// A file's bytes and, with the feature `path-index`, where its path lies in the index's
/// text (`NO_PATH` for a path whose hash another path holds), kept here so that
/// [`Workspace::iter`] reads nothing more than the ordered map's own nodes.
#[derive(Clone)]
struct File {
    bytes: Bytes,
    #[cfg(feature = "path-index")]
    path: (u32, u32),
}

#[cfg(feature = "path-index")]
const NO_PATH: (u32, u32) = (u32::MAX, u32::MAX);

impl PartialEq for Workspace {
    /// The same files with the same bytes (the index is a view of them), and the same empty
    /// directories.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter().eq(other.iter())
            && self.empty_dirs() == other.empty_dirs()
    }
}

impl Eq for Workspace {}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// The files as a map from path to bytes.
        struct Files<'a>(&'a Workspace);
        impl std::fmt::Debug for Files<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_map().entries(self.0.iter()).finish()
            }
        }
        f.debug_struct("Workspace")
            .field("files", &Files(self))
            .finish()
    }
}

/// A path that cannot name a file inside a workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPath(pub String);

impl std::fmt::Display for BadPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid file path {}: must be relative, without `..`, empty or backslash elements",
            crate::plan::go_quote(self.0.as_bytes())
        )
    }
}

impl Workspace {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_source(src: &dyn FileSource) -> Result<Self, BadPath> {
        let mut ws = Self::new();
        let listing = src.list();
        for (p, data) in listing.files {
            ws.insert(&p, data)?;
        }
        #[cfg(feature = "empty-dirs")]
        for d in listing.empty_dirs {
            ws.insert_empty_dir(&d)?;
        }
        Ok(ws)
    }

    /// Records a directory that holds nothing (see [`Listing::empty_dirs`]). A file later
    /// inserted below it does not remove it: the loader's directory tree holds each directory
    /// once either way.
    #[cfg(feature = "empty-dirs")]
    pub fn insert_empty_dir(&mut self, path: &str) -> Result<(), BadPath> {
        let norm = normalize(path).ok_or_else(|| BadPath(path.to_string()))?;
        if let Err(i) = self.empty_dirs.binary_search(&norm) {
            self.empty_dirs.insert(i, norm);
        }
        Ok(())
    }

    /// The directories recorded by `insert_empty_dir`, sorted; none without the feature
    /// `empty-dirs`.
    pub fn empty_dirs(&self) -> &[String] {
        #[cfg(feature = "empty-dirs")]
        return &self.empty_dirs;
        #[cfg(not(feature = "empty-dirs"))]
        &[]
    }

    /// Adds or replaces a file. The path is normalized: `./a//b.go` becomes `a/b.go`.
    pub fn insert(&mut self, path: &str, data: impl Into<Vec<u8>>) -> Result<(), BadPath> {
        let norm = normalize(path).ok_or_else(|| BadPath(path.to_string()))?;
        let bytes: Bytes = data.into().into();
        #[cfg(feature = "path-index")]
        let file = File {
            path: self.index.insert(&norm, bytes.clone()),
            bytes,
        };
        #[cfg(not(feature = "path-index"))]
        let file = File { bytes };
        self.files.insert(norm, file);
        Ok(())
    }

    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        let p = normalize(path)?;
        let file = self.files.remove(&p)?;
        #[cfg(feature = "path-index")]
        {
            self.index.remove(&p);
            // Removed slots keep their text: rebuilt when they are most of the index.
            if self.index.slots.len() > 2 * self.files.len() + 64 {
                self.rebuild_index();
            }
        }
        #[cfg(feature = "path-index")]
        return Some(file.bytes.to_vec());
        #[cfg(not(feature = "path-index"))]
        Some(file.bytes)
    }

    /// The index made again from the files, without the removed slots.
    #[cfg(feature = "path-index")]
    fn rebuild_index(&mut self) {
        self.index = PathIndex::default();
        for (p, f) in &mut self.files {
            f.path = self.index.insert(p, f.bytes.clone());
        }
    }

    #[cfg(feature = "path-index")]
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        // Found as written, the path is a key, so it is in normal form (the common case): no
        // check and no copy to look it up.
        if let Some(d) = self.index.get(path) {
            return Some(d);
        }
        normalize(path).and_then(|p| self.index.get(&p))
    }

    #[cfg(not(feature = "path-index"))]
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        if is_normal(path) {
            // Already in normal form (the common case): no copy to look it up.
            return self.files.get(path).map(|f| &f.bytes[..]);
        }
        normalize(path).and_then(|p| self.files.get(&p).map(|f| &f.bytes[..]))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every file in path order. With the index, each path is read from the index's one
    /// string (the ordered map's own keys are small blocks scattered among the files' bytes):
    /// the loader reads every path, and its tree keeps slices of them as directory keys.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(k, f)| (self.path(k, f), &f.bytes[..]))
    }

    /// `key` as the index's text when it is there, else the key itself.
    #[inline]
    fn path<'a>(&'a self, key: &'a str, f: &File) -> &'a str {
        #[cfg(feature = "path-index")]
        if f.path != NO_PATH {
            return &self.index.text[f.path.0 as usize..f.path.1 as usize];
        }
        #[cfg(not(feature = "path-index"))]
        let _ = f;
        key
    }

    /// Files directly inside `dir` (`""` is the root), in name order, as (file name, bytes).
    pub fn dir_files<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        #[cfg(feature = "path-index")]
        let from = self.files.range(prefix.clone()..);
        #[cfg(not(feature = "path-index"))]
        let from = self.files.iter_from(&prefix);
        from.take_while({
            let prefix = prefix.clone();
            move |(k, _)| k.starts_with(&prefix)
        })
        .filter_map(move |(k, v)| {
            let rest = &k[prefix.len()..];
            (!rest.contains('/')).then_some((rest, &v.bytes[..]))
        })
    }

    /// Every directory that holds at least one file, including the root `""`, sorted.
    pub fn dirs(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .files
            .keys()
            .map(|k| k.rsplit_once('/').map_or("", |(d, _)| d))
            .collect();
        out.dedup();
        crate::sort::sort(&mut out);
        out.dedup();
        out
    }

    /// Parses a txtar archive: an optional comment, then `-- name --` headers each followed by
    /// the file's lines. Never fails on content; a bad file name is an error.
    pub fn from_txtar(text: &str) -> Result<(String, Self), BadPath> {
        let mut ws = Self::new();
        let mut comment = String::new();
        let mut current: Option<(String, String)> = None;
        for line in text.split_inclusive('\n') {
            if let Some(name) = txtar_header(line) {
                if let Some((n, body)) = current.take() {
                    ws.insert(&n, body)?;
                }
                current = Some((name.to_string(), String::new()));
                continue;
            }
            match &mut current {
                Some((_, body)) => body.push_str(line),
                None => comment.push_str(line),
            }
        }
        if let Some((n, body)) = current.take() {
            ws.insert(&n, body)?;
        }
        Ok((comment, ws))
    }

    /// Writes the workspace as a txtar archive. Every file gets a trailing newline, as txtar
    /// requires; text that is not UTF-8 is written lossily (txtar is a text format).
    pub fn to_txtar(&self, comment: &str) -> String {
        let mut out = String::from(comment);
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        for (name, data) in self.iter() {
            out.push_str("-- ");
            out.push_str(name);
            out.push_str(" --\n");
            let body = String::from_utf8_lossy(data);
            out.push_str(&body);
            if !body.is_empty() && !body.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }
}

/// [`Workspace::get`]'s index (feature `path-index`): every path back to back in one string,
/// a slot per path (where it lies in that string, and its bytes) and a table from each path's
/// 64-bit hash to its slot. The action IDs look up every file of every package; with a
/// `HashMap<String, _>` each lookup compared the path with its key's own small allocation,
/// scattered among the files' bytes and cold (one cache miss per file, ~20,000 in a
/// 10,000-package workspace). Here the keys of all files lie together, and so do the slots.
/// Two paths with the same 64-bit hash are possible in principle: the later one is kept in
/// `others`, a plain map, empty in practice.
#[cfg(feature = "path-index")]
#[derive(Clone, Default)]
struct PathIndex {
    text: String,
    slots: Vec<Slot>,
    by_hash: HashMap<u64, u32, crate::load::BuildIdentity>,
    others: HashMap<String, Bytes, foldhash::fast::FixedState>,
}

/// A path of [`PathIndex::text`] and its bytes; `None` once the file is removed (the path's
/// text stays until the index is rebuilt).
#[cfg(feature = "path-index")]
#[derive(Clone)]
struct Slot {
    start: u32,
    end: u32,
    bytes: Option<Bytes>,
}

#[cfg(feature = "path-index")]
impl PathIndex {
    fn hash(path: &str) -> u64 {
        crate::load::str_hash(path)
    }

    fn key(&self, slot: u32) -> &str {
        let s = &self.slots[slot as usize];
        &self.text[s.start as usize..s.end as usize]
    }

    /// The slot whose path is `path` (of hash `h`), if `by_hash` holds it.
    fn slot(&self, h: u64, path: &str) -> Option<u32> {
        let &i = self.by_hash.get(&h)?;
        (self.key(i) == path).then_some(i)
    }

    fn get(&self, path: &str) -> Option<&[u8]> {
        self.get_hashed(Self::hash(path), path)
    }

    /// Adds or replaces `path`; where it lies in `text`, or `NO_PATH` when it went to
    /// `others`.
    fn insert(&mut self, path: &str, bytes: Bytes) -> (u32, u32) {
        match self.insert_hashed(Self::hash(path), path, bytes) {
            Some(i) => (self.slots[i as usize].start, self.slots[i as usize].end),
            None => NO_PATH,
        }
    }

    fn remove(&mut self, path: &str) {
        self.remove_hashed(Self::hash(path), path)
    }

    /// [`PathIndex::get`] with the path's hash given (the tests give two paths one hash).
    fn get_hashed(&self, h: u64, path: &str) -> Option<&[u8]> {
        match self.slot(h, path) {
            Some(i) => self.slots[i as usize].bytes.as_deref(),
            None if self.others.is_empty() => None,
            None => self.others.get(path).map(|d| &d[..]),
        }
    }

    fn insert_hashed(&mut self, h: u64, path: &str, bytes: Bytes) -> Option<u32> {
        if !self.others.is_empty() {
            // A path moves to its own slot when that becomes free: never in both places.
            self.others.remove(path);
        }
        match self.by_hash.get(&h) {
            Some(&i) if self.key(i) == path => {
                self.slots[i as usize].bytes = Some(bytes);
                Some(i)
            }
            Some(_) => {
                self.others.insert(path.to_string(), bytes);
                None
            }
            None => {
                let at = |n: usize| u32::try_from(n).expect("workspace paths under 4 GiB");
                let start = at(self.text.len());
                self.text.push_str(path);
                let slot = at(self.slots.len());
                self.slots.push(Slot {
                    start,
                    end: at(self.text.len()),
                    bytes: Some(bytes),
                });
                self.by_hash.insert(h, slot);
                Some(slot)
            }
        }
    }

    fn remove_hashed(&mut self, h: u64, path: &str) {
        match self.slot(h, path) {
            Some(i) => {
                self.by_hash.remove(&h);
                self.slots[i as usize].bytes = None;
            }
            None => {
                self.others.remove(path);
            }
        }
    }
}

fn txtar_header(line: &str) -> Option<&str> {
    let l = line.strip_suffix('\n').unwrap_or(line);
    let l = l.strip_suffix('\r').unwrap_or(l);
    let name = l.strip_prefix("-- ")?.strip_suffix(" --")?.trim();
    (!name.is_empty()).then_some(name)
}

/// `path` is what [`normalize`] would return for it.
#[cfg(not(feature = "path-index"))]
fn is_normal(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && path.split('/').all(|e| !matches!(e, "" | "." | ".."))
}

/// Normalizes a relative slash path; `None` for absolute paths, `..`, backslashes or NUL.
pub fn normalize(path: &str) -> Option<String> {
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return None;
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index agrees with the ordered map through inserts, replacements, removals and the
    /// rebuild they trigger, and two paths given one hash are both found, through the removal
    /// of either.
    #[cfg(feature = "path-index")]
    #[test]
    fn path_index_agrees_with_the_files() {
        let mut ws = Workspace::new();
        for round in 0..3u8 {
            for i in 0..200 {
                ws.insert(&format!("d{}/f{i}.go", i % 7), vec![round, i as u8])
                    .unwrap();
            }
            for i in (0..200).step_by(3) {
                ws.remove(&format!("d{}/f{i}.go", i % 7));
            }
            for (p, d) in ws.iter() {
                assert_eq!(ws.index.get(p), Some(d), "{p}");
            }
            // The paths `iter` reads from the index are the map's keys.
            assert!(ws.iter().map(|(p, _)| p).eq(ws.files.keys()));
            assert_eq!(ws.get("d0/f0.go"), None);
            assert_eq!(ws.get("./d1/f1.go"), Some(&[round, 1][..]));
        }
        // 3 × 67 removals: rebuilt at least once, removed slots not kept forever.
        assert!(ws.index.slots.len() <= 2 * ws.index.by_hash.len() + 64);
        let b = |x: u8| -> Bytes { vec![x].into() };
        let mut ix = PathIndex::default();
        ix.insert_hashed(7, "a", b(1));
        ix.insert_hashed(7, "b", b(2));
        assert_eq!(ix.get_hashed(7, "a"), Some(&[1][..]));
        assert_eq!(ix.get_hashed(7, "b"), Some(&[2][..]));
        assert_eq!(ix.get_hashed(7, "c"), None);
        ix.remove_hashed(7, "a");
        assert_eq!(ix.get_hashed(7, "a"), None);
        assert_eq!(ix.get_hashed(7, "b"), Some(&[2][..]));
        ix.insert_hashed(7, "b", b(3));
        ix.insert_hashed(7, "a", b(4));
        assert_eq!(ix.get_hashed(7, "b"), Some(&[3][..]));
        assert_eq!(ix.get_hashed(7, "a"), Some(&[4][..]));
        ix.remove_hashed(7, "b");
        assert_eq!(ix.get_hashed(7, "b"), None);
        assert_eq!(ix.get_hashed(7, "a"), Some(&[4][..]));
    }

    #[test]
    fn txtar_round_trip() {
        let text =
            "a comment\n-- go.mod --\nmodule example.com/hello\n-- sub/x.go --\npackage sub\n";
        let (comment, ws) = Workspace::from_txtar(text).unwrap();
        assert_eq!(comment, "a comment\n");
        assert_eq!(ws.get("sub/x.go"), Some(&b"package sub\n"[..]));
        assert_eq!(ws.to_txtar(&comment), text);
    }

    #[test]
    fn paths_are_normalized_and_checked() {
        let mut ws = Workspace::new();
        ws.insert("./a//b.go", "x").unwrap();
        assert!(ws.get("a/b.go").is_some());
        // Looked up by hash as written, else normalized first.
        assert_eq!(ws.get("./a//b.go"), Some(&b"x"[..]));
        assert_eq!(ws.get("a/./b.go"), Some(&b"x"[..]));
        assert_eq!(ws.get("../a/b.go"), None);
        ws.insert("a/b.go", "y").unwrap();
        assert_eq!(ws.get("a/b.go"), Some(&b"y"[..]));
        assert_eq!(ws.remove("./a/b.go"), Some(b"y".to_vec()));
        assert_eq!(ws.get("a/b.go"), None);
        assert!(ws.is_empty());
        for bad in ["/etc/passwd", "../x", "a/../../x", "", "a\\b"] {
            assert!(ws.insert(bad, "x").is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Through any inserts, replacements and removals, the workspace (a B-tree map with
        /// `path-index`, a sorted vector without: `./dev test` runs this both ways) holds what
        /// a plain `BTreeMap` of the same paths holds: the same files in the same order, the
        /// same lookups, the same directories and directory listings.
        #[test]
        fn workspace_agrees_with_a_plain_ordered_map(
            ops in proptest::collection::vec(
                (proptest::bool::weighted(0.75), "(a|ab|a/b|b)?/?[a-c.]{1,3}", 0u8..4),
                0..80,
            )
        ) {
            let mut ws = Workspace::new();
            let mut model = std::collections::BTreeMap::<String, Vec<u8>>::new();
            for (insert, path, byte) in ops {
                let Some(norm) = normalize(&path) else {
                    proptest::prop_assert!(ws.insert(&path, vec![byte]).is_err());
                    continue;
                };
                if insert {
                    ws.insert(&path, vec![byte]).unwrap();
                    model.insert(norm, vec![byte]);
                } else {
                    proptest::prop_assert_eq!(ws.remove(&path), model.remove(&norm));
                }
            }
            let files: Vec<(&str, &[u8])> = ws.iter().collect();
            let want: Vec<(&str, &[u8])> =
                model.iter().map(|(p, d)| (p.as_str(), d.as_slice())).collect();
            proptest::prop_assert_eq!(&files, &want);
            for (p, d) in &model {
                proptest::prop_assert_eq!(ws.get(p), Some(d.as_slice()));
            }
            proptest::prop_assert_eq!(ws.get("a/zz"), None);
            for dir in ws.dirs() {
                let listed: Vec<&str> = ws.dir_files(dir).map(|(n, _)| n).collect();
                let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
                let want: Vec<&str> = model
                    .keys()
                    .filter_map(|p| p.strip_prefix(prefix.as_str()))
                    .filter(|rest| !rest.contains('/'))
                    .collect();
                proptest::prop_assert_eq!(listed, want, "{}", dir);
            }
        }
    }

    #[test]
    fn dir_listing() {
        let mut ws = Workspace::new();
        for p in ["go.mod", "main.go", "a/a.go", "a/b/c.go", "ab/x.go"] {
            ws.insert(p, "").unwrap();
        }
        assert_eq!(ws.dirs(), vec!["", "a", "a/b", "ab"]);
        let names: Vec<_> = ws.dir_files("a").map(|(n, _)| n).collect();
        assert_eq!(names, vec!["a.go"]);
        let root: Vec<_> = ws.dir_files("").map(|(n, _)| n).collect();
        assert_eq!(root, vec!["go.mod", "main.go"]);
    }
}
