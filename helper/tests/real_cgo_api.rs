//! What a page's request may carry now that the helper's executor runs cgo: C files and `#cgo`
//! lines. The helper's build route plans page workspaces with `CGO_ENABLED=0` (as the page
//! plans them), so a package using cgo is left out exactly as `CGO_ENABLED=0 go build` leaves it
//! out; should the routes plan with cgo on, a hostile `#cgo` flag is refused in go's words before
//! gcc runs. Either way nothing is built from it and the per-build directory is removed.
//! Skipped (with a note) when Go 1.23 is not installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const GO: &str = "/usr/lib/go-1.23/bin/go";

/// A `buildlab serve` on a free loopback port with its own directories; killed on drop.
struct Helper {
    child: Child,
    addr: String,
    token: String,
    base: PathBuf,
}

impl Helper {
    fn start(tag: &str) -> Helper {
        let base =
            std::env::temp_dir().join(format!("buildlab-cgoapi-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        for d in ["dist", "tmp", "cache"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        std::fs::write(base.join("dist/index.html"), "<title>Buildlab</title>").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_buildlab"))
            .args(["serve", "--port", "0", "--go", GO, "--dist"])
            .arg(base.join("dist"))
            .arg("--tmp-root")
            .arg(base.join("tmp"))
            .arg("--cache")
            .arg(base.join("cache"))
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
        Helper {
            child,
            addr: addr.to_string(),
            token: token.to_string(),
            base,
        }
    }

    /// A request as the page sends it (own Host and Origin, the token); status and body.
    fn api(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(600))).unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {a}\r\nOrigin: http://{a}\r\nX-Buildlab-Token: {t}\r\n\
             Content-Length: {n}\r\nConnection: close\r\n\r\n",
            a = self.addr,
            t = self.token,
            n = body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut body = &raw[split + 4..];
        if !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            return (status, String::from_utf8_lossy(body).into_owned());
        }
        let mut out = Vec::new();
        while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
            let n = usize::from_str_radix(String::from_utf8_lossy(&body[..eol]).trim(), 16)
                .unwrap_or(0);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&body[eol + 2..eol + 2 + n]);
            body = &body[eol + 2 + n + 2..];
        }
        (status, String::from_utf8_lossy(&out).into_owned())
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

#[test]
fn page_requests_with_cgo_files_never_run_hostile_cgo_flags() {
    if !Path::new(GO).is_file() {
        eprintln!("note: {GO} is absent; skipping the helper's cgo request test");
        return;
    }
    let h = Helper::start("hostile");
    let (status, info) = h.api("GET", "/api/v1/info", b"");
    assert_eq!(status, 200, "{info}");
    let info: Value = serde_json::from_str(&info).unwrap();
    let cgo_on = info["go"]["cgoEnabled"]
        .as_bool()
        .expect("info says whether cgo is on");
    let files = json!([
        {"path": "go.mod", "text": "module example.com/c\n\ngo 1.23\n"},
        {"path": "main.go", "text": "package main\n\nimport \"example.com/c/calc\"\n\nfunc main() { println(calc.F()) }\n"},
        {"path": "calc/calc.go", "text": "package calc\n\n/*\n#cgo CFLAGS: -fplugin=/tmp/evil.so\n#cgo LDFLAGS: -Wl,-rpath,/tmp\nint f(void);\n*/\nimport \"C\"\n\nfunc F() int { return int(C.f()) }\n"},
        {"path": "calc/calc.c", "text": "int f(void) { return 3; }\n"},
    ]);
    let req = json!({"version": 1, "files": files}).to_string();
    let (status, body) = h.api("POST", "/api/v1/build", req.as_bytes());
    assert_eq!(status, 200, "{body}");
    let done: Value = body
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "done")
        .unwrap_or_else(|| panic!("no done line: {body}"));
    assert_eq!(done["exitStatus"], 1, "{done}");
    let transcript = done["transcript"].as_str().unwrap_or_default();
    let want = if cgo_on {
        "invalid flag in #cgo CFLAGS: -fplugin=/tmp/evil.so"
    } else {
        "imports example.com/c/calc: build constraints exclude all Go files in "
    };
    assert!(transcript.contains(want), "cgo on: {cgo_on}; {transcript}");
    assert!(done["binary"].is_null(), "a binary was offered: {done}");
    if !cgo_on {
        assert_eq!(done["toolRuns"], 0, "a load error runs no tool: {done}");
    }
    // The per-build directory is gone once the request has been answered.
    let left: Vec<_> = std::fs::read_dir(h.base.join("tmp"))
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
