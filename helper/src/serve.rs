//! The helper's HTTP server: Trunk's `dist/` and the token-guarded API ([`crate::api`]) on
//! 127.0.0.1 only. The URL it prints carries the per-start token in its fragment
//! (`http://127.0.0.1:PORT/#token=…`): browsers never send a fragment to a server, the page reads
//! it from `location.hash` and sends it as the `X-Buildlab-Token` header.
//!
//! Not here: the checks themselves ([`crate::guard`]), builds ([`crate::api`]).

use axum::Router;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeDir;

use crate::api::{Api, Limits};
use crate::guard::Guard;

pub struct Config {
    pub dist: PathBuf,
    /// 0 picks a free port.
    pub port: u16,
    /// `--go`: the go command to use; else found on `PATH` or in the usual places.
    pub go: Option<PathBuf>,
    /// `--allow-origin`: origins allowed besides the helper's own.
    pub allow_origins: Vec<String>,
    /// The content-addressed store; default `$GOCACHE/buildlab/real`.
    pub cache: Option<PathBuf>,
    /// Where per-build directories go; default a fresh private directory under `$TMPDIR`.
    pub tmp_root: Option<PathBuf>,
    pub limits: Limits,
}

/// The page's files; with `gzip`, `NAME.gz` in place of `NAME` to a browser that accepts gzip,
/// where `buildlab precompress` made one ([`crate::precompress`]). Every answer says it varies
/// with `Accept-Encoding`, so no cache hands the gzip bytes to a client that did not ask for them.
pub fn router(dist: PathBuf, gzip: bool) -> Router {
    let files = ServeDir::new(dist).append_index_html_on_directories(true);
    let files = if gzip { files.precompressed_gzip() } else { files };
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::map_response(vary_on_encoding))
}

async fn vary_on_encoding(mut r: axum::response::Response) -> axum::response::Response {
    r.headers_mut().append(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    );
    r
}

/// Binds 127.0.0.1 (never another address), prints the tokened URL, and serves until Ctrl-C.
pub async fn run(cfg: Config) -> std::io::Result<()> {
    // A gzip copy older than its file would be served in its place: the page was rebuilt
    // without `buildlab precompress`. If the copies cannot be checked, none is served.
    let gzip = match crate::precompress::drop_stale(&cfg.dist) {
        Ok(dropped) => {
            if !dropped.is_empty() {
                tracing::warn!(
                    count = dropped.len(),
                    "removed gzip copies older than their files (run `buildlab precompress` after trunk build)"
                );
            }
            true
        }
        Err(e) => {
            tracing::warn!("serving without gzip: checking the copies in {}: {e}", cfg.dist.display());
            false
        }
    };
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, cfg.port))).await?;
    let addr = listener.local_addr()?;
    let token = crate::guard::new_token()?;
    let go = crate::godetect::detect(cfg.go.as_deref());
    match &go {
        Ok(g) => {
            tracing::info!(version = %g.version, goroot = %g.goroot, cgo_enabled = g.cgo_enabled, "real toolchain available")
        }
        Err(e) => tracing::warn!("{e}"),
    }
    let cache = match cfg.cache {
        Some(c) => c,
        None => crate::diskcache::gocache()
            .map(|g| crate::cli::real_cache_dir(&g))
            .ok_or_else(|| {
                std::io::Error::other(
                    "GOCACHE is not defined and neither $XDG_CACHE_HOME nor $HOME are",
                )
            })?,
    };
    std::fs::create_dir_all(&cache)?;
    let (tmp_root, owned) = match cfg.tmp_root {
        Some(t) => {
            std::fs::create_dir_all(&t)?;
            (t, false)
        }
        None => (
            crate::cli::make_work_dir(&std::env::temp_dir()).map(|d| {
                let t = d.with_file_name(format!("buildlab-helper-{}", std::process::id()));
                let _ = std::fs::rename(&d, &t);
                t
            })?,
            true,
        ),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp_root, std::fs::Permissions::from_mode(0o700))?;
    }
    let guard = Guard {
        port: addr.port(),
        token: token.clone(),
        allowed_origins: cfg.allow_origins,
    };
    let api = Arc::new(Api::new(guard, go, cache, tmp_root.clone(), cfg.limits));
    let app = crate::api::router(api).merge(router(cfg.dist, gzip));
    println!("Buildlab is running at http://{addr}/#token={token}  (Ctrl-C stops it)");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let r = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    if owned {
        let _ = std::fs::remove_dir_all(&tmp_root);
    }
    r
}
