//! The walking skeleton's hard-wired sample: the tutorial's `hello` module, and a summary of it
//! (module path from `go.mod`, blake3 of every file) that the page and the CLI show.

use crate::{gomod, hash, workspace::Workspace};

/// The tutorial's first module, as txtar (shared with the browser tests, which hash it on their own).
pub const HELLO_TXTAR: &str = include_str!("../samples/hello.txtar");

/// What the skeleton shows about a workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub module: String,
    pub files: Vec<(String, String)>,
    /// blake3 over `file NAME HASH` lines, see [`hash::files_digest`].
    pub digest: String,
}

pub fn hello() -> Workspace {
    Workspace::from_txtar(HELLO_TXTAR).expect("the built-in sample is a valid txtar").1
}

/// Parses the workspace's `go.mod` and hashes its files.
pub fn summarize(ws: &Workspace) -> Result<Summary, String> {
    let data = ws.get("go.mod").ok_or("go: cannot find main module; see 'go help modules'")?;
    let m = gomod::parse("go.mod", data).map_err(|e| e.to_string())?;
    let module = m.module_path().ok_or("go.mod: no module declaration in go.mod")?.to_string();
    let files = ws.iter().map(|(p, d)| (p.to_string(), hash::Digest::of(d).to_hex())).collect();
    let digest = hash::files_digest(ws.iter()).to_hex();
    Ok(Summary { module, files, digest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_summary() {
        let s = summarize(&hello()).unwrap();
        assert_eq!(s.module, "example.com/hello");
        assert_eq!(s.files.len(), 2);
        assert_eq!(s.digest.len(), 64);
    }
}
