//! Reading real directories into `core`'s in-memory workspace: the native way in.
//!
//! [`DirSource`] loads chosen subtrees of a root. [`discover`] does what the go command does on
//! start: walk up from the current directory to the `go.mod`, then follow the main module's
//! directory `replace`s (which may point outside it, `../lib`) so that every module the build
//! can reach is in the workspace, under their common ancestor.

use buildlab_core::gomod::{self, ReplaceTarget};
use buildlab_core::workspace::{FileSource, Listing, Workspace};
use std::path::{Component, Path, PathBuf};

/// Files larger than this are left out (a playground has no use for them).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Stop reading a tree after this many files: a mistaken root (`/`) must not eat the machine.
pub const MAX_FILES: usize = 50_000;

pub struct DirSource {
    root: PathBuf,
    /// Subdirectories of `root` to read (relative, slash-separated), each with its whole tree
    /// (`true`) or only the `.go` files directly inside (`false`: a directory outside every
    /// module, where go looks for Go files and nothing else); empty reads all of the root.
    include: Vec<(String, bool)>,
}

impl DirSource {
    pub fn new(root: &Path) -> Self {
        DirSource { root: root.to_path_buf(), include: Vec::new() }
    }

    pub fn load(&self) -> Result<Workspace, String> {
        if !self.root.is_dir() {
            return Err(format!("{}: not a directory", self.root.display()));
        }
        Workspace::from_source(self).map_err(|e| e.to_string())
    }
}

impl FileSource for DirSource {
    /// Every directory read: its files (at most [`MAX_FILES`] in all), and the directories
    /// that held nothing.
    fn list(&self) -> Listing {
        let mut out = Vec::new();
        let mut empty = Vec::new();
        let starts = if self.include.is_empty() { vec![(String::new(), true)] } else { self.include.clone() };
        let mut stack: Vec<(PathBuf, String, bool)> = starts
            .into_iter()
            .map(|(rel, deep)| (if rel.is_empty() { self.root.clone() } else { self.root.join(&rel) }, rel, deep))
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        while let Some((dir, rel, deep)) = stack.pop() {
            if !seen.insert(rel.clone()) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let (mut files, mut dirs) = (false, false);
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == ".git" {
                    continue;
                }
                let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() {
                    dirs = true;
                    if deep {
                        stack.push((entry.path(), path, true));
                    }
                } else if ft.is_file()
                    && (deep || name.ends_with(".go"))
                    && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
                {
                    if let Ok(data) = std::fs::read(entry.path()) {
                        files = true;
                        out.push((path, data));
                        if out.len() >= MAX_FILES {
                            return Listing { files: out, empty_dirs: empty };
                        }
                    }
                }
            }
            // Empty as far as the workspace goes: no file, and no directory read below it (a
            // directory read only for its files has none).
            if !files && !(deep && dirs) && !rel.is_empty() {
                empty.push(rel);
            }
        }
        Listing { files: out, empty_dirs: empty }
    }
}

/// A workspace found the way the go command finds its main module.
pub struct Discovered {
    pub ws: Workspace,
    /// The absolute directory the workspace's root stands for (shown in messages and `cd` lines).
    pub root: PathBuf,
    /// The current directory, relative to `root` (`""` when they are the same).
    pub cwd: String,
}

/// Lexically normalizes an absolute path (`a/b/../c` → `a/c`) without touching the disk.
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    a.components().zip(b.components()).take_while(|(x, y)| x == y).map(|(x, _)| x).collect()
}

/// From `cwd`, finds the main module (the nearest `go.mod` above), and reads it together with
/// every directory its `replace` directives name. With no `go.mod`, the workspace holds `cwd`
/// alone, so the loader reports go's own error.
///
/// A directory that one of `patterns` names (`../x`, `/abs/dir`, the directory of a named `.go`
/// file) outside those is read too, only the `.go` files directly inside it: go reads it to decide
/// between `stat DIR: directory not found`, `no Go files in DIR` and `directory DIR outside
/// main module or its selected dependencies`, and so does the loader from the workspace.
pub fn discover(cwd: &Path, patterns: &[String]) -> Result<Discovered, String> {
    let cwd = clean(&std::path::absolute(cwd).map_err(|e| format!("{}: {e}", cwd.display()))?);
    let module_root = cwd.ancestors().find(|d| d.join("go.mod").is_file()).map(Path::to_path_buf);
    let Some(module_root) = module_root else {
        let ws = DirSource::new(&cwd).load()?;
        return Ok(Discovered { ws, root: cwd, cwd: String::new() });
    };
    let mut dirs = vec![(module_root.clone(), true)];
    if let Ok(data) = std::fs::read(module_root.join("go.mod")) {
        // A broken go.mod is the loader's to report; here it only means no replacements to follow.
        if let Ok(m) = gomod::parse("go.mod", &data) {
            for r in m.replacements() {
                if let ReplaceTarget::Dir(d) = &r.new {
                    let p = clean(&module_root.join(d));
                    if p.is_dir() {
                        dirs.push((p, true));
                    }
                }
            }
        }
    }
    for p in patterns.iter().filter_map(|p| named_dir(&cwd, p)) {
        if p.is_dir() && !dirs.iter().any(|(d, deep)| *deep && p.starts_with(d)) {
            dirs.push((p, false));
        }
    }
    let mut root = module_root.clone();
    for (d, _) in &dirs {
        root = common_ancestor(&root, d);
    }
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).to_string_lossy().replace('\\', "/");
    let include: Vec<(String, bool)> = dirs.iter().map(|(d, deep)| (rel(d), *deep)).collect();
    let ws = Workspace::from_source(&DirSource { root: root.clone(), include }).map_err(|e| e.to_string())?;
    Ok(Discovered { ws, cwd: rel(&cwd), root })
}

/// The directory a command-line pattern names on disk, if it names one: a local path (`.`,
/// `..`, `./x`, `../x`, `/x`; go's `IsLocalImport` or an absolute path) without `...`, or
/// the directory of a named `.go` file.
fn named_dir(cwd: &Path, pat: &str) -> Option<PathBuf> {
    if pat.contains("...") {
        return None;
    }
    let p = clean(&cwd.join(pat));
    if pat.ends_with(".go") {
        return p.parent().map(Path::to_path_buf);
    }
    let local = pat == "." || pat == ".." || pat.starts_with("./") || pat.starts_with("../") || pat.starts_with('/');
    local.then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> PathBuf {
        let base = std::env::temp_dir().join(format!("buildlab-discover-{}-{}", std::process::id(), files.len()));
        let _ = std::fs::remove_dir_all(&base);
        for (p, c) in files {
            let f = base.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, c).unwrap();
        }
        base
    }

    #[test]
    fn follows_replacements_outside_the_module() {
        let base = tree(&[
            ("app/go.mod", "module example.com/app\n\nreplace example.com/lib => ../lib\n"),
            ("app/main.go", "package main\n"),
            ("app/sub/x.go", "package sub\n"),
            ("lib/go.mod", "module example.com/lib\n"),
            ("lib/lib.go", "package lib\n"),
            ("unrelated/big.txt", "not read"),
        ]);
        let d = discover(&base.join("app/sub"), &[]).unwrap();
        assert_eq!(d.root, base);
        assert_eq!(d.cwd, "app/sub");
        let names: Vec<_> = d.ws.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(names, ["app/go.mod", "app/main.go", "app/sub/x.go", "lib/go.mod", "lib/lib.go"]);
        std::fs::remove_dir_all(base).ok();
    }

    /// Directories the patterns name outside the module are read for their `.go` files only;
    /// directories that hold nothing are in the workspace as empty ones.
    #[test]
    fn reads_named_directories_and_keeps_empty_ones() {
        let base = tree(&[
            ("app/go.mod", "module example.com/app\n"),
            ("app/main.go", "package main\n"),
            ("app/keep/.placeholder", ""),
            ("other/x.go", "package x\n"),
            ("other/notes.txt", "not read"),
            ("other/deeper/y.go", "package y\n"),
            ("docs/readme.txt", "not read"),
        ]);
        std::fs::create_dir_all(base.join("app/empty/inner")).unwrap();
        std::fs::remove_file(base.join("app/keep/.placeholder")).unwrap();
        let pats = ["../other", "../docs", "../missing", "../other/..."].map(String::from);
        let d = discover(&base.join("app"), &pats).unwrap();
        assert_eq!(d.root, base);
        assert_eq!(d.cwd, "app");
        let names: Vec<_> = d.ws.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(names, ["app/go.mod", "app/main.go", "other/x.go"]);
        assert_eq!(d.ws.empty_dirs(), ["app/empty/inner", "app/keep", "docs"]);
        std::fs::remove_dir_all(base).ok();
    }

    #[test]
    fn without_go_mod_reads_only_the_current_directory() {
        let base = tree(&[("x/main.go", "package main\n")]);
        let d = discover(&base.join("x"), &[]).unwrap();
        assert_eq!(d.cwd, "");
        assert_eq!(d.ws.len(), 1);
        std::fs::remove_dir_all(base).ok();
    }
}
