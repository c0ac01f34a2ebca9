//! A [`FileSource`] over a real directory: the native way into `core`'s in-memory workspace.
//! It skips what the go command never reads as module sources: `.git`, and files over a size cap.

use buildlab_core::workspace::{FileSource, Workspace};
use std::path::{Path, PathBuf};

/// Files larger than this are left out (the go command would read them, but a playground has
/// no use for them and they would only bloat memory).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    pub fn new(root: &Path) -> Self {
        DirSource { root: root.to_path_buf() }
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
        let mut stack = vec![(self.root.clone(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
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
                } else if ft.is_file() && entry.metadata().map_or(false, |m| m.len() <= MAX_FILE_BYTES) {
                    if let Ok(data) = std::fs::read(entry.path()) {
                        out.push((path, data));
                    }
                }
            }
        }
        out
    }
}
