//! Reading real directories into `core`'s in-memory workspace: the native way in.
//!
//! [`DirSource`] loads chosen subtrees of a root. [`discover`] does what the go command does on
//! start: walk up from the current directory to the `go.mod`, then follow the main module's
//! directory `replace`s (which may point outside it, `../lib`) so that every module the build
//! can reach is in the workspace, under their common ancestor.

use buildlab_core::gomod::{self, ReplaceTarget};
use buildlab_core::workspace::{FileSource, Workspace};
use std::path::{Component, Path, PathBuf};

/// Files larger than this are left out (a playground has no use for them).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Stop reading a tree after this many files: a mistaken root (`/`) must not eat the machine.
pub const MAX_FILES: usize = 50_000;

pub struct DirSource {
    root: PathBuf,
    /// Subdirectories of `root` to read (relative, slash-separated); empty reads all of it.
    include: Vec<String>,
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
    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let starts: Vec<String> = if self.include.is_empty() { vec![String::new()] } else { self.include.clone() };
        let mut stack: Vec<(PathBuf, String)> =
            starts.into_iter().map(|rel| (if rel.is_empty() { self.root.clone() } else { self.root.join(&rel) }, rel)).collect();
        let mut seen = std::collections::BTreeSet::new();
        while let Some((dir, rel)) = stack.pop() {
            if !seen.insert(rel.clone()) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == ".git" {
                    continue;
                }
                let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() {
                    stack.push((entry.path(), path));
                } else if ft.is_file() && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES) {
                    if let Ok(data) = std::fs::read(entry.path()) {
                        out.push((path, data));
                        if out.len() >= MAX_FILES {
                            return out;
                        }
                    }
                }
            }
        }
        out
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
pub fn discover(cwd: &Path) -> Result<Discovered, String> {
    let cwd = clean(&std::path::absolute(cwd).map_err(|e| format!("{}: {e}", cwd.display()))?);
    let module_root = cwd.ancestors().find(|d| d.join("go.mod").is_file()).map(Path::to_path_buf);
    let Some(module_root) = module_root else {
        let ws = DirSource::new(&cwd).load()?;
        return Ok(Discovered { ws, root: cwd, cwd: String::new() });
    };
    let mut dirs = vec![module_root.clone()];
    if let Ok(data) = std::fs::read(module_root.join("go.mod")) {
        // A broken go.mod is the loader's to report; here it only means no replacements to follow.
        if let Ok(m) = gomod::parse("go.mod", &data) {
            for r in m.replacements() {
                if let ReplaceTarget::Dir(d) = &r.new {
                    let p = clean(&module_root.join(d));
                    if p.is_dir() {
                        dirs.push(p);
                    }
                }
            }
        }
    }
    let mut root = module_root.clone();
    for d in &dirs {
        root = common_ancestor(&root, d);
    }
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).to_string_lossy().replace('\\', "/");
    let include: Vec<String> = dirs.iter().map(|d| rel(d)).collect();
    let ws = Workspace::from_source(&DirSource { root: root.clone(), include }).map_err(|e| e.to_string())?;
    Ok(Discovered { ws, cwd: rel(&cwd), root })
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
        let d = discover(&base.join("app/sub")).unwrap();
        assert_eq!(d.root, base);
        assert_eq!(d.cwd, "app/sub");
        let names: Vec<_> = d.ws.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(names, ["app/go.mod", "app/main.go", "app/sub/x.go", "lib/go.mod", "lib/lib.go"]);
        std::fs::remove_dir_all(base).ok();
    }

    #[test]
    fn without_go_mod_reads_only_the_current_directory() {
        let base = tree(&[("x/main.go", "package main\n")]);
        let d = discover(&base.join("x")).unwrap();
        assert_eq!(d.cwd, "");
        assert_eq!(d.ws.len(), 1);
        std::fs::remove_dir_all(base).ok();
    }
}
