//! Helpers shared by the helper's integration tests that run the real Go tools.

#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};

use buildlab_core::workspace::Workspace;

/// Copies the sources of `tests/fixtures/NAME/src` to `dst` (the real tools need them on disk)
/// and returns them as a workspace too. Returns `dst`.
pub fn copy_fixture(name: &str, dst: PathBuf) -> (PathBuf, Workspace) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
        .join("src");
    let mut ws = Workspace::new();
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
                let data = std::fs::read(&p).unwrap();
                let out = dst.join(&rel);
                std::fs::create_dir_all(out.parent().unwrap()).unwrap();
                std::fs::write(&out, &data).unwrap();
                ws.insert(&rel, data).unwrap();
            }
        }
    }
    (dst, ws)
}

/// Copies the directory tree `from` to `to` (created), files and directories only.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The packages a `-x` transcript compiled (`-p` of each compile line, `main` for commands),
/// sorted, each once.
pub fn compiled(x: &str) -> Vec<String> {
    let mut v: Vec<String> = x
        .lines()
        .filter(|l| l.contains("/compile -o "))
        .filter_map(|l| {
            l.split(" -p ")
                .nth(1)?
                .split(' ')
                .next()
                .map(str::to_string)
        })
        .collect();
    v.sort();
    v.dedup();
    v
}
