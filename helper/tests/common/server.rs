//! A real `buildlab serve` for the integration tests: started on 127.0.0.1:0 with its own
//! directories under the temporary root, spoken to over raw HTTP/1.1 so that every header (Host,
//! Origin, the token) is exactly what a test says; killed and its directories removed on drop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Helper {
    pub child: Child,
    pub addr: String,
    pub token: String,
    pub base: PathBuf,
}

impl Helper {
    pub fn start(tag: &str, extra: &[&str]) -> Helper {
        let base = std::env::temp_dir().join(format!("buildlab-api-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        for d in ["dist", "tmp", "cache", "cwd"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        std::fs::write(base.join("dist/index.html"), "<title>Buildlab</title>").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_buildlab"))
            .args(["serve", "--port", "0", "--dist"])
            .arg(base.join("dist"))
            .arg("--tmp-root")
            .arg(base.join("tmp"))
            .arg("--cache")
            .arg(base.join("cache"))
            .args(extra)
            .current_dir(base.join("cwd"))
            .env("BUILDLAB_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("a URL")
            .to_string();
        let (addr, token) = url
            .trim_start_matches("http://")
            .split_once("/#token=")
            .expect("a tokened URL");
        assert!(
            addr.starts_with("127.0.0.1:"),
            "binds loopback only: {addr}"
        );
        assert_eq!(token.len(), 64);
        Helper {
            child,
            addr: addr.to_string(),
            token: token.to_string(),
            base,
        }
    }

    pub fn port(&self) -> &str {
        self.addr.rsplit(':').next().unwrap()
    }

    /// One request with exactly these headers (plus Content-Length and Connection: close).
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(600))).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        s.write_all(head.as_bytes()).unwrap();
        // The server may answer (413) before reading all of a large body.
        let _ = s.write_all(body);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        parse_response(&out)
    }

    /// A request as the page sends it: own Host, own Origin, the token.
    pub fn api(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let origin = format!("http://{}", self.addr);
        let h = [
            ("Host", self.addr.as_str()),
            ("Origin", origin.as_str()),
            ("X-Buildlab-Token", self.token.as_str()),
        ];
        self.raw(method, path, &h, body)
    }

    pub fn tmp_entries(&self) -> Vec<String> {
        entries(&self.base.join("tmp"))
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub fn parse_response(raw: &[u8]) -> (u16, Vec<u8>) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = &raw[split + 4..];
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    (
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_vec()
        },
    )
}

pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
    out
}
