//! Finding a Go installation to run the real tools: `--go PATH`, else `go` on `PATH`, else the
//! Debian backports location. It asks the go command itself (`go env -json`), so the answer is
//! what that toolchain would use, and reports why when nothing usable is found.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A usable Go toolchain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoInstall {
    pub go: PathBuf,
    pub goroot: String,
    pub version: String,
    pub tooldir: String,
    pub goos: String,
    pub goarch: String,
    /// go's own `CGO_ENABLED` decision for this process's environment: the variable when it is
    /// `0` or `1`, else on for a native build when the C compiler is found (go1.20's rule).
    pub cgo_enabled: bool,
}

const FALLBACKS: &[&str] = &["/usr/lib/go-1.23/bin/go", "/usr/local/go/bin/go"];

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// Asks `go` for its environment. `explicit` is the `--go` flag.
pub fn detect(explicit: Option<&Path>) -> Result<GoInstall, String> {
    let candidates: Vec<PathBuf> = match explicit {
        Some(p) => vec![p.to_path_buf()],
        None => on_path("go").into_iter().chain(FALLBACKS.iter().map(PathBuf::from)).collect(),
    };
    let mut why = Vec::new();
    for go in candidates {
        if !go.is_file() {
            why.push(format!("{}: not found", go.display()));
            continue;
        }
        let out = Command::new(&go)
            .args(["env", "-json", "GOROOT", "GOVERSION", "GOTOOLDIR", "GOOS", "GOARCH", "CGO_ENABLED"])
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let env: std::collections::HashMap<String, String> =
                    serde_json::from_slice(&o.stdout).map_err(|e| format!("{}: go env -json: {e}", go.display()))?;
                let field = |k: &str| env.get(k).cloned().unwrap_or_default();
                let install = GoInstall {
                    go: go.clone(),
                    goroot: field("GOROOT"),
                    version: field("GOVERSION"),
                    tooldir: field("GOTOOLDIR"),
                    goos: field("GOOS"),
                    goarch: field("GOARCH"),
                    cgo_enabled: field("CGO_ENABLED") == "1",
                };
                if install.tooldir.is_empty() || !Path::new(&install.tooldir).join("compile").is_file() {
                    why.push(format!("{}: no compile tool in GOTOOLDIR {:?}", go.display(), install.tooldir));
                    continue;
                }
                return Ok(install);
            }
            Ok(o) => why.push(format!("{}: go env failed: {}", go.display(), String::from_utf8_lossy(&o.stderr).trim())),
            Err(e) => why.push(format!("{}: {e}", go.display())),
        }
    }
    Err(format!("no Go installation found ({}); the playground uses the simulated toolchain", why.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_missing_go_is_explained() {
        let e = detect(Some(Path::new("/nonexistent/go"))).unwrap_err();
        assert!(e.contains("/nonexistent/go: not found"), "{e}");
        assert!(e.contains("simulated toolchain"));
    }

    #[test]
    fn detects_the_installed_go_when_present() {
        let go = Path::new("/usr/lib/go-1.23/bin/go");
        if !go.is_file() {
            eprintln!("note: {} absent; skipping", go.display());
            return;
        }
        let g = detect(Some(go)).unwrap();
        assert!(g.version.starts_with("go1.23"), "{g:?}");
        assert_eq!(g.goroot, "/usr/lib/go-1.23");
        assert!(g.tooldir.ends_with("pkg/tool/linux_amd64"));
    }
}
