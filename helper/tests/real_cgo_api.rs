//! What a page's request may carry now that the helper's executor runs cgo: C files and `#cgo`
//! lines. The helper's build route plans page workspaces with its go's own `CGO_ENABLED` (as the
//! page plans them): with cgo on (gcc installed, as here) a hostile `#cgo` flag is refused in go's
//! words before gcc runs; with cgo off the package is left out exactly as `CGO_ENABLED=0 go build`
//! leaves it out. Either way nothing is built from it and the per-build directory is removed.
//! Skipped (with a note) when Go 1.23 is not installed.

use std::path::Path;

use serde_json::{json, Value};

mod common;
use common::server::Helper;

const GO: &str = "/usr/lib/go-1.23/bin/go";

#[test]
fn page_requests_with_cgo_files_never_run_hostile_cgo_flags() {
    if !Path::new(GO).is_file() {
        eprintln!("note: {GO} is absent; skipping the helper's cgo request test");
        return;
    }
    let h = Helper::start("cgo-hostile", &["--go", GO]);
    let (status, info) = h.api("GET", "/api/v1/info", b"");
    let info = String::from_utf8_lossy(&info);
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
    let body = String::from_utf8_lossy(&body);
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
