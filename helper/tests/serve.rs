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
    let (child, addr) = start(&dist);
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

/// A GET with extra header lines; the response's head (lower-cased) and body bytes.
fn get_raw(addr: &str, path: &str, headers: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    (String::from_utf8_lossy(&out[..split]).to_lowercase(), out[split + 4..].to_vec())
}

/// Starts `buildlab serve --port 0` over `dist`; the server and the address from its URL line.
fn start(dist: &std::path::Path) -> (Server, String) {
    let mut child = Server(
        Command::new(env!("CARGO_BIN_EXE_buildlab"))
            .args(["serve", "--port", "0", "--dist"])
            .arg(dist)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    // http://127.0.0.1:PORT/#token=...
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL line");
    let addr = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
    (child, addr)
}

#[test]
fn serves_precompressed_copies_to_browsers_that_accept_gzip() {
    use flate2::read::GzDecoder;
    let dist = std::env::temp_dir().join(format!("buildlab-gzip-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<title>Buildlab</title>\n".repeat(20)).unwrap();
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0".iter().copied().chain((0..4000u32).map(|i| (i % 61) as u8)).collect();
    std::fs::write(dist.join("app_bg.wasm"), &wasm).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_buildlab"))
        .args(["precompress", "--iterations", "2"])
        .arg(&dist)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 gzip copies"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(dist.join("app_bg.wasm.gz").is_file());

    let (server, addr) = start(&dist);
    let (gz_head, gz_body) = get_raw(&addr, "/app_bg.wasm", "Accept-Encoding: gzip, deflate, br, zstd\r\n");
    let (plain_head, plain_body) = get_raw(&addr, "/app_bg.wasm", "");
    let (refused_head, refused_body) = get_raw(&addr, "/app_bg.wasm", "Accept-Encoding: gzip;q=0, br\r\n");
    let (index_head, index_body) = get_raw(&addr, "/", "Accept-Encoding: gzip\r\n");
    drop(server);

    assert!(gz_head.starts_with("http/1.1 200"), "{gz_head}");
    assert!(gz_head.contains("content-encoding: gzip"), "{gz_head}");
    assert!(gz_head.contains("content-type: application/wasm"), "the original's type: {gz_head}");
    assert!(gz_head.contains("vary: accept-encoding"), "{gz_head}");
    assert!(gz_body.len() < wasm.len() / 4, "{} bytes", gz_body.len());
    let mut inflated = Vec::new();
    GzDecoder::new(&gz_body[..]).read_to_end(&mut inflated).unwrap();
    assert_eq!(inflated, wasm);
    // Without gzip among the accepted encodings, the file as it is.
    for (head, body) in [(&plain_head, &plain_body), (&refused_head, &refused_body)] {
        assert!(head.starts_with("http/1.1 200") && !head.contains("content-encoding"), "{head}");
        assert_eq!(body, &wasm);
    }
    // The directory's index.html too.
    assert!(index_head.contains("content-encoding: gzip"), "{index_head}");
    let mut html = String::new();
    GzDecoder::new(&index_body[..]).read_to_string(&mut html).unwrap();
    assert!(html.starts_with("<title>Buildlab</title>"));

    // The page rebuilt without precompressing: the old copy must not be served for the new file.
    let new_wasm = b"\0asm\x01\0\0\0 rebuilt".to_vec();
    std::fs::write(dist.join("app_bg.wasm"), &new_wasm).unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::OpenOptions::new().write(true).open(dist.join("app_bg.wasm")).unwrap().set_modified(later).unwrap();
    let (server, addr) = start(&dist);
    let (head, body) = get_raw(&addr, "/app_bg.wasm", "Accept-Encoding: gzip\r\n");
    drop(server);
    std::fs::remove_dir_all(&dist).ok();
    assert!(!head.contains("content-encoding"), "{head}");
    assert_eq!(body, new_wasm);
}
