//! The helper's HTTP server: serves Trunk's `dist/` on 127.0.0.1 only. (The token-guarded API
//! for running the real Go tools arrives with the helper work.)

use axum::Router;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use tower_http::services::ServeDir;

pub struct Config {
    pub dist: PathBuf,
    /// 0 picks a free port.
    pub port: u16,
}

pub fn router(dist: PathBuf) -> Router {
    Router::new().fallback_service(ServeDir::new(dist).append_index_html_on_directories(true))
}

/// Binds 127.0.0.1 (never another address), prints the URL, and serves until Ctrl-C.
pub async fn run(cfg: Config) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, cfg.port))).await?;
    let addr = listener.local_addr()?;
    println!("Buildlab is running at http://{addr}/  (Ctrl-C stops it)");
    axum::serve(listener, router(cfg.dist))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
