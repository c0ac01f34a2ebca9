//! The in-memory file system a build reads: a sorted map from slash-separated relative paths to
//! bytes, plus the txtar archive format (the Go playground's multi-file format) to move whole
//! workspaces in and out as text.
//!
//! This module knows nothing about a real disk: a native front end fills a `Workspace` through
//! [`FileSource`], the page fills it from the editor, a share link from a txtar archive.

use std::collections::BTreeMap;
#[cfg(feature = "path-index")]
use std::collections::HashMap;

/// A file's bytes: shared with the hash index when there is one (feature `path-index`).
#[cfg(feature = "path-index")]
type Bytes = std::sync::Arc<[u8]>;
#[cfg(not(feature = "path-index"))]
type Bytes = Vec<u8>;

/// Where a native front end gets files from. `core` never implements it over a real disk.
pub trait FileSource {
    /// Every file under the root as `(relative/slash/path, bytes)`, in any order.
    fn files(&self) -> Vec<(String, Vec<u8>)>;
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
    files: BTreeMap<String, Bytes>,
    #[cfg(feature = "path-index")]
    index: HashMap<String, Bytes, foldhash::fast::FixedState>,
}

impl PartialEq for Workspace {
    /// The same files with the same bytes (the index is a view of them).
    fn eq(&self, other: &Self) -> bool {
        self.files == other.files
    }
}

impl Eq for Workspace {}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("files", &self.files)
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
            "invalid file path {:?}: must be relative, without `..`, empty or backslash elements",
            self.0
        )
    }
}

impl Workspace {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_source(src: &dyn FileSource) -> Result<Self, BadPath> {
        let mut ws = Self::new();
        for (p, data) in src.files() {
            ws.insert(&p, data)?;
        }
        Ok(ws)
    }

    /// Adds or replaces a file. The path is normalized: `./a//b.go` becomes `a/b.go`.
    pub fn insert(&mut self, path: &str, data: impl Into<Vec<u8>>) -> Result<(), BadPath> {
        let norm = normalize(path).ok_or_else(|| BadPath(path.to_string()))?;
        let data: Bytes = data.into().into();
        #[cfg(feature = "path-index")]
        self.index.insert(norm.clone(), data.clone());
        self.files.insert(norm, data);
        Ok(())
    }

    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        let p = normalize(path)?;
        #[cfg(feature = "path-index")]
        {
            self.index.remove(&p);
            self.files.remove(&p).map(|d| d.to_vec())
        }
        #[cfg(not(feature = "path-index"))]
        self.files.remove(&p)
    }

    #[cfg(feature = "path-index")]
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        // Found as written, the path is a key, so it is in normal form (the common case): no
        // check and no copy to look it up.
        if let Some(d) = self.index.get(path) {
            return Some(d);
        }
        normalize(path).and_then(|p| self.index.get(&p).map(|d| &d[..]))
    }

    #[cfg(not(feature = "path-index"))]
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        if is_normal(path) {
            // Already in normal form (the common case): no copy to look it up.
            return self.files.get(path).map(Vec::as_slice);
        }
        normalize(path).and_then(|p| self.files.get(&p).map(Vec::as_slice))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every file in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), &v[..]))
    }

    /// Files directly inside `dir` (`""` is the root), in name order, as (file name, bytes).
    pub fn dir_files<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.files
            .range(prefix.clone()..)
            .take_while({
                let prefix = prefix.clone();
                move |(k, _)| k.starts_with(&prefix)
            })
            .filter_map(move |(k, v)| {
                let rest = &k[prefix.len()..];
                (!rest.contains('/')).then_some((rest, &v[..]))
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
        for (name, data) in &self.files {
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
