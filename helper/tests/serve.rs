//! Starts the real `buildlab serve` binary on 127.0.0.1:0 over a temporary dist/ and fetches the page.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Kills the server even when an assertion fails, so no test leaves a process behind.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serves_the_page_on_loopback() {
    let dist = std::env::temp_dir().join(format!("buildlab-serve-test-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<title>Buildlab</title>").unwrap();
    let mut child = Server(Command::new(env!("CARGO_BIN_EXE_buildlab"))
        .args(["serve", "--port", "0", "--dist"])
        .arg(&dist)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap());
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL line").to_string();
    // http://127.0.0.1:PORT/#token=...
    let addr = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
    assert!(addr.starts_with("127.0.0.1:"), "binds loopback only: {addr}");
    let index = get(&addr, "/");
    let missing = get(&addr, "/nope.js");
    drop(child);
    std::fs::remove_dir_all(&dist).ok();
    assert!(index.starts_with("HTTP/1.1 200"), "{index}");
    assert!(index.contains("<title>Buildlab</title>"));
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}

#[test]
fn refuses_a_dist_without_index() {
    let out = Command::new(env!("CARGO_BIN_EXE_buildlab"))
        .args(["serve", "--port", "0", "--dist", "/nonexistent-buildlab-dist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("build the page first"));
}

#[test]
fn summary_of_a_real_directory_matches_core() {
    let dir = std::env::temp_dir().join(format!("buildlab-summary-test-{}", std::process::id()));
    let (_, ws) = buildlab_core::workspace::Workspace::from_txtar(buildlab_core::sample::HELLO_TXTAR).unwrap();
    for (p, d) in ws.iter() {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, d).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_buildlab")).arg("summary").arg(&dir).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let want = buildlab_core::sample::summarize(&ws).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("digest {}", want.digest)), "{stdout}");
}
