//! The helper's HTTP API, end to end: the real `buildlab serve` binary on 127.0.0.1:0, spoken to
//! over raw HTTP/1.1 so that every header (Host, Origin, the token) is exactly what a test says.
//!
//! - Real cold and warm builds of the `hello` and `multi` fixtures through `/api/v1/build`: the
//!   binary runs (`/api/v1/run`) and prints what it should, the warm build runs no tool. Skipped
//!   with a note when Go 1.23 is absent (`./dev test` installs it).
//! - Hostile requests: each refused with its status, leaving the per-build temporary root empty,
//!   the store untouched and no file anywhere else. The tool timeout and the concurrent-build
//!   limit use a fake Go whose compiler never ends.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

mod common;
use common::server::{entries, parse_response, Helper};

const GO: &str = "/usr/lib/go-1.23/bin/go";

/// Every file under `dir`, recursively (relative paths), for before/after comparisons.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn lines(body: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(body)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn fixture_files(name: &str) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
        .join("src");
    tree(&root)
        .into_iter()
        .map(|p| json!({"path": p, "text": std::fs::read_to_string(root.join(&p)).unwrap()}))
        .collect()
}

fn build_req(files: Vec<Value>, extra: Value) -> Vec<u8> {
    let mut v = json!({"version": 1, "files": files});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v.to_string().into_bytes()
}

fn go_present() -> bool {
    if Path::new(GO).is_file() {
        return true;
    }
    eprintln!(
        "note: {GO} is absent; skipping the real-toolchain API test (./dev test installs Go 1.23)"
    );
    false
}

/// The detected Go and a helper started with it (`--go`, test name `name`), or `None` when Go is
/// absent (the test skips, saying so).
fn helper_with_go(name: &str) -> Option<(buildlab_helper::godetect::GoInstall, Helper)> {
    if !go_present() {
        return None;
    }
    let go = buildlab_helper::godetect::detect(Some(Path::new(GO))).unwrap();
    Some((go, Helper::start(name, &["--go", GO])))
}

/// A real build: the final `done` line and how many actions started.
fn build(h: &Helper, files: &[Value], extra: Value) -> (Value, usize, Vec<Value>) {
    let (status, body) = h.api("POST", "/api/v1/build", &build_req(files.to_vec(), extra));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let ls = lines(&body);
    assert_eq!(ls[0]["type"], "start", "{:?}", ls[0]);
    let done = ls.last().unwrap().clone();
    assert_eq!(done["type"], "done", "{done}");
    let started = ls.iter().filter(|l| l["type"] == "actionStart").count();
    (done, started, ls)
}

fn cold_warm_run(name: &str, want: &str) {
    if !go_present() {
        return;
    }
    let h = Helper::start(name, &["--go", GO]);
    let (s, info) = h.api("GET", "/api/v1/info", b"");
    assert_eq!(s, 200);
    let info: Value = serde_json::from_slice(&info).unwrap();
    assert_eq!(info["go"]["available"], true, "{info}");
    let files = fixture_files(name);

    let (cold, started, ls) = build(&h, &files, json!({"flags": {"x": true}}));
    assert_eq!(cold["exitStatus"], 0, "{}", cold["transcript"]);
    assert!(
        started > 10 && cold["toolRuns"].as_u64().unwrap() > 10,
        "a cold build runs the tools"
    );
    assert!(ls
        .iter()
        .any(|l| l["type"] == "actionEnd" && l["cache"] == "miss"));
    assert!(cold["transcript"]
        .as_str()
        .unwrap()
        .contains("/compile -o $WORK/b001/_pkg_.a"));
    assert!(
        cold["trace"].as_array().is_some_and(|e| e.len() > 10),
        "a Chrome trace (-debug-trace format)"
    );
    let hex = cold["binary"]["hex"]
        .as_str()
        .expect("a binary")
        .to_string();
    assert_eq!(
        h.tmp_entries(),
        Vec::<String>::new(),
        "the per-build directory is removed"
    );

    let (s, bin) = h.api("GET", &format!("/api/v1/blob/{hex}"), b"");
    assert_eq!(s, 200);
    assert_eq!(bin.len() as u64, cold["binary"]["size"].as_u64().unwrap());
    assert!(bin.starts_with(b"\x7fELF"));

    let (s, run) = h.api("POST", &format!("/api/v1/run/{hex}"), b"");
    assert_eq!(s, 200);
    let run: Value = serde_json::from_slice(&run).unwrap();
    assert_eq!(run["stdout"], want, "{run}");
    assert_eq!(run["exitStatus"], 0);

    // Warm, with the binary the page holds: nothing runs, the same binary is current.
    let (warm, started, ls) = build(&h, &files, json!({"flags": {"x": true}, "binary": hex}));
    assert_eq!(warm["exitStatus"], 0);
    assert_eq!(started, 0, "the warm build ran no tool");
    assert_eq!(warm["toolRuns"], 0);
    assert_eq!(warm["binary"]["hex"], hex.as_str());
    assert_eq!(warm["binary"]["upToDate"], true);
    assert!(ls
        .iter()
        .filter(|l| l["type"] == "actionEnd" && l["mode"] == "build")
        .all(|l| l["cache"] == "hit" || l["cache"] == "up-to-date"));

    // Warm without a binary: every compile hits, only the link runs (go build's rule).
    let (relink, _, ls) = build(&h, &files, json!({}));
    assert_eq!(relink["exitStatus"], 0);
    let ran: Vec<&str> = ls
        .iter()
        .filter(|l| l["type"] == "actionStart")
        .map(|l| l["key"].as_str().unwrap())
        .collect();
    assert!(ran.iter().all(|k| k.starts_with("link")), "{ran:?}");
    assert_eq!(
        relink["binary"]["hex"],
        hex.as_str(),
        "the same binary, bit for bit"
    );
    assert_eq!(h.tmp_entries(), Vec::<String>::new());
}

/// The build settings reach the real tools: `-tags` picks the file, `-ldflags=-X` sets the
/// variable, `-gcflags` reaches compile, and `-trimpath` makes the binary's file names import
/// paths (the helper's own rewrite of its real directory to the planned root must not get in
/// the way of go's rule). Each checked by running the binary.
#[test]
fn api_real_build_with_build_settings() {
    let Some((_, h)) = helper_with_go("settings") else {
        return;
    };
    let files = vec![
        json!({"path": "go.mod", "text": "module example.com/settings\n\ngo 1.23\n"}),
        json!({"path": "main.go", "text": "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nvar version = \"dev\"\n\nvar edition = \"community\"\n\nfunc main() {\n\t_, file, _, _ := runtime.Caller(0)\n\tfmt.Println(version, edition, file)\n}\n"}),
        json!({"path": "pro.go", "text": "//go:build pro\n\npackage main\n\nfunc init() { edition = \"pro\" }\n"}),
    ];
    let run = |settings: Value| -> (String, String) {
        let (done, _, _) = build(
            &h,
            &files,
            json!({"flags": {"x": true, "settings": settings}}),
        );
        let text = done["transcript"].as_str().unwrap().to_string();
        assert_eq!(done["exitStatus"], 0, "{text}");
        let hex = done["binary"]["hex"]
            .as_str()
            .expect("a binary")
            .to_string();
        let (s, out) = h.api("POST", &format!("/api/v1/run/{hex}"), b"");
        assert_eq!(s, 200);
        let out: Value = serde_json::from_slice(&out).unwrap();
        (out["stdout"].as_str().unwrap().to_string(), text)
    };
    let (plain, _) = run(json!([]));
    assert_eq!(plain, "dev community /home/gopher/work/main.go\n");
    let (set, text) = run(json!([
        "-trimpath",
        "-tags=pro",
        "-ldflags=-X main.version=1.2",
        "-gcflags=-N -l"
    ]));
    assert_eq!(set, "1.2 pro example.com/settings/main.go\n");
    assert!(text.contains(" -N -l "), "-gcflags reach compile: {text}");
    assert!(
        text.contains("-X main.version=1.2"),
        "-ldflags reach link: {text}"
    );
    assert!(
        text.contains("-trimpath \"/home/gopher/work=>example.com/settings;$WORK/b001=>\""),
        "go's -trimpath rule, as go prints it: {text}"
    );
    assert_eq!(h.tmp_entries(), Vec::<String>::new());
}

#[test]
fn api_real_build_hello_cold_warm_and_run() {
    cold_warm_run("hello", "hi\n");
}

#[test]
fn api_real_build_multi_cold_warm_and_run() {
    cold_warm_run("multi", "[! HELLO] [a b] 5\n");
}

/// A Go installation whose compiler never ends (`sleep`), for the timeout and the build limit.
fn fake_go(base: &Path) -> PathBuf {
    let root = base.join("fakego");
    let tools = root.join("pkg/tool/linux_amd64");
    std::fs::create_dir_all(&tools).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    let go = root.join("bin/go");
    let env = json!({"GOROOT": root, "GOVERSION": "go1.23.5", "GOTOOLDIR": tools, "GOOS": "linux", "GOARCH": "amd64"});
    std::fs::write(&go, format!("#!/bin/sh\ncat <<'EOF'\n{env}\nEOF\n")).unwrap();
    for t in ["compile", "asm", "pack", "buildid", "link"] {
        std::fs::write(tools.join(t), "#!/bin/sh\nexec sleep 600\n").unwrap();
    }
    for p in [go.clone()]
        .into_iter()
        .chain(["compile", "asm", "pack", "buildid", "link"].map(|t| tools.join(t)))
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    go
}

#[test]
fn api_hostile_requests_are_refused_and_leave_nothing() {
    let fake_base = std::env::temp_dir().join(format!("buildlab-api-fake-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fake_base);
    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Remove(fake_base.clone());
    let go = fake_go(&fake_base);
    let go_arg = go.to_string_lossy().into_owned();
    let h = Helper::start(
        "hostile",
        &[
            "--go",
            &go_arg,
            "--tool-timeout",
            "1",
            "--max-builds",
            "1",
            "--max-files",
            "20",
            "--max-body",
            "65536",
            "--allow-origin",
            "https://tutorial.example",
        ],
    );
    let hello = vec![
        json!({"path": "go.mod", "text": "module example.com/hello\n\ngo 1.23\n"}),
        json!({"path": "main.go", "text": "package main\n\nfunc main() {}\n"}),
    ];
    let with = |extra: Vec<Value>| -> Vec<u8> {
        let mut f = hello.clone();
        f.extend(extra);
        build_req(f, json!({}))
    };
    let file = |p: &str| json!({"path": p, "text": "package x\n"});
    let ok_req = build_req(hello.clone(), json!({}));
    let own = h.addr.clone();
    let own_origin = format!("http://{own}");
    let tok = h.token.clone();
    let port = h.port().to_string();
    let evil_host = format!("evil.example:{port}");
    let lookalike = format!("http://127.0.0.1:{port}.evil.example");
    let wrong_tok = format!(
        "{}{}",
        &tok[..63],
        if tok.ends_with('0') { '1' } else { '0' }
    );
    let hdr = |host: &str, origin: Option<&str>, token: Option<&str>| -> Vec<(String, String)> {
        let mut v = vec![("Host".to_string(), host.to_string())];
        if let Some(o) = origin {
            v.push(("Origin".into(), o.into()));
        }
        if let Some(t) = token {
            v.push(("X-Buildlab-Token".into(), t.into()));
        }
        v
    };
    let good = hdr(&own, Some(&own_origin), Some(&tok));
    let big_body = build_req(
        vec![json!({"path": "go.mod", "text": "x".repeat(100_000)})],
        json!({}),
    );
    let many: Vec<Value> = (0..25).map(|i| file(&format!("p{i}/x.go"))).collect();
    let null_name = build_req(
        vec![
            json!({"path": "go.mod", "text": "m"}),
            json!({"path": "a\u{0}.go", "text": ""}),
        ],
        json!({}),
    );
    let archive_hex = "0".repeat(64);

    // (name, method, path, headers, body, status)
    type Case = (
        &'static str,
        &'static str,
        String,
        Vec<(String, String)>,
        Vec<u8>,
        u16,
    );
    let cases: Vec<Case> = vec![
        (
            "no token",
            "GET",
            "/api/v1/info".into(),
            hdr(&own, None, None),
            vec![],
            401,
        ),
        (
            "wrong token",
            "GET",
            "/api/v1/info".into(),
            hdr(&own, None, Some(&wrong_tok)),
            vec![],
            401,
        ),
        (
            "short token",
            "GET",
            "/api/v1/info".into(),
            hdr(&own, None, Some("abc")),
            vec![],
            401,
        ),
        (
            "token in the query, not the header",
            "GET",
            format!("/api/v1/info?token={tok}"),
            hdr(&own, None, None),
            vec![],
            401,
        ),
        (
            "no token on build",
            "POST",
            "/api/v1/build".into(),
            hdr(&own, Some(&own_origin), None),
            ok_req.clone(),
            401,
        ),
        (
            "foreign Origin",
            "POST",
            "/api/v1/build".into(),
            hdr(&own, Some("http://evil.example"), Some(&tok)),
            ok_req.clone(),
            403,
        ),
        (
            "Origin null",
            "GET",
            "/api/v1/info".into(),
            hdr(&own, Some("null"), Some(&tok)),
            vec![],
            403,
        ),
        (
            "lookalike Origin",
            "GET",
            "/api/v1/info".into(),
            hdr(&own, Some(&lookalike), Some(&tok)),
            vec![],
            403,
        ),
        (
            "foreign preflight",
            "OPTIONS",
            "/api/v1/build".into(),
            hdr(&own, Some("http://evil.example"), None),
            vec![],
            403,
        ),
        (
            "rebinding Host",
            "POST",
            "/api/v1/build".into(),
            hdr(&evil_host, None, Some(&tok)),
            ok_req.clone(),
            421,
        ),
        (
            "rebinding Host on run",
            "POST",
            format!("/api/v1/run/{archive_hex}"),
            hdr(&evil_host, None, Some(&tok)),
            vec![],
            421,
        ),
        (
            "Host with another port",
            "GET",
            "/api/v1/info".into(),
            hdr("127.0.0.1:1", None, Some(&tok)),
            vec![],
            421,
        ),
        (
            "path traversal",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("../evil.go")]),
            400,
        ),
        (
            "nested traversal",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("a/../../evil.go")]),
            400,
        ),
        (
            "absolute path",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("/tmp/evil.go")]),
            400,
        ),
        (
            "dot element",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("a/./b.go")]),
            400,
        ),
        (
            "empty element",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("a//b.go")]),
            400,
        ),
        (
            "backslash traversal",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("..\\evil.go")]),
            400,
        ),
        (
            "NUL in a name",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            null_name,
            400,
        ),
        (
            "symlink-like arrow name",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("link -> /etc/passwd")]),
            400,
        ),
        (
            "file that is also a directory",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("a"), file("a/b.go")]),
            400,
        ),
        (
            "the same file twice",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("x/a.go"), file("x/a.go")]),
            400,
        ),
        (
            "dot-dot file name",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("..")]),
            400,
        ),
        (
            "shell $() in a path",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("$(touch pwned).go")]),
            400,
        ),
        (
            "backticks in a path",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(vec![file("`touch pwned`.go")]),
            400,
        ),
        (
            "semicolon in a pattern",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"packages": [".;touch pwned"]})),
            400,
        ),
        (
            "pipe in cwd",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"cwd": "a|touch pwned"})),
            400,
        ),
        (
            "metacharacters in binary",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"binary": "$(touch pwned)"})),
            400,
        ),
        (
            "flag as a pattern",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"packages": ["-toolexec=/bin/sh"]})),
            400,
        ),
        (
            "pattern climbing out",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"packages": ["../.."]})),
            400,
        ),
        (
            "absolute cwd",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"cwd": "/etc"})),
            400,
        ),
        (
            "-o outside $WORK",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"flags": {"o": "/tmp/evil"}})),
            400,
        ),
        (
            "-toolexec",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(
                hello.clone(),
                json!({"flags": {"toolexec": "/bin/sh -c id"}}),
            ),
            400,
        ),
        (
            "-gcflags",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(
                hello.clone(),
                json!({"flags": {"gcflags": "-cpuprofile=/tmp/x"}}),
            ),
            400,
        ),
        (
            "-ldflags",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"flags": {"ldflags": "-o /tmp/x"}})),
            400,
        ),
        // The build settings: allow-listed tool flags only (helper/src/toolflags.rs).
        (
            "settings: -gcflags=-o",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(
                hello.clone(),
                json!({"flags": {"settings": ["-gcflags=-o=/tmp/evil"]}}),
            ),
            400,
        ),
        (
            "settings: -ldflags=-extld",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(
                hello.clone(),
                json!({"flags": {"settings": ["-ldflags=-extld=/bin/sh -linkmode=external"]}}),
            ),
            400,
        ),
        (
            "settings: a file to compile",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(
                hello.clone(),
                json!({"flags": {"settings": ["-gcflags=all=-N /etc/passwd"]}}),
            ),
            400,
        ),
        (
            "settings: -toolexec as a word",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(
                hello.clone(),
                json!({"flags": {"settings": ["-toolexec=/bin/sh"]}}),
            ),
            400,
        ),
        (
            "settings: a flag and its value in two words",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(
                hello.clone(),
                json!({"flags": {"settings": ["-ldflags", "-s"]}}),
            ),
            400,
        ),
        (
            "-work",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"flags": {"work": true}})),
            400,
        ),
        (
            "an argv",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"argv": ["/bin/sh", "-c", "id"]})),
            400,
        ),
        (
            "an unknown tool",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"tool": "vet"})),
            400,
        ),
        (
            "an unknown tool route",
            "POST",
            "/api/v1/tool/vet".into(),
            good.clone(),
            vec![],
            404,
        ),
        (
            "-p 0",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"flags": {"p": 0}})),
            400,
        ),
        (
            "another protocol version",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(hello.clone(), json!({"version": 2})),
            400,
        ),
        (
            "not JSON",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            b"go build -o /etc/passwd".to_vec(),
            400,
        ),
        (
            "no go.mod",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            build_req(vec![file("main.go")], json!({})),
            400,
        ),
        (
            "oversized body",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            big_body,
            413,
        ),
        (
            "too many files",
            "POST",
            "/api/v1/build".into(),
            good.clone(),
            with(many),
            413,
        ),
        (
            "blob traversal",
            "GET",
            "/api/v1/blob/..%2F..%2Fetc%2Fpasswd".into(),
            good.clone(),
            vec![],
            400,
        ),
        (
            "unknown blob",
            "GET",
            format!("/api/v1/blob/{archive_hex}"),
            good.clone(),
            vec![],
            404,
        ),
        (
            "run an unknown hash",
            "POST",
            format!("/api/v1/run/{archive_hex}"),
            good.clone(),
            vec![],
            404,
        ),
        (
            "run with a bad hash",
            "POST",
            "/api/v1/run/$(id)".into(),
            good.clone(),
            vec![],
            400,
        ),
        (
            "GET on build",
            "GET",
            "/api/v1/build".into(),
            good.clone(),
            vec![],
            405,
        ),
    ];
    let cache_before = tree(&h.base.join("cache"));
    let mut refused = 0;
    for (name, method, path, headers, body, want) in &cases {
        let hv: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, resp) = h.raw(method, path, &hv, body);
        assert_eq!(status, *want, "{name}: {}", String::from_utf8_lossy(&resp));
        if *want != 404 && *want != 405 {
            let v: Value = serde_json::from_slice(&resp)
                .unwrap_or_else(|_| panic!("{name}: a JSON error body"));
            assert!(
                v["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{name}: {v}"
            );
        }
        assert_eq!(
            h.tmp_entries(),
            Vec::<String>::new(),
            "{name}: nothing left in the temporary root"
        );
        refused += 1;
    }
    assert_eq!(
        tree(&h.base.join("cache")),
        cache_before,
        "refused requests store nothing"
    );
    assert!(refused >= 30, "{refused} hostile cases");

    // An allowed extra origin gets its CORS answer (exact origin, no wildcard).
    let (s, _) = h.raw(
        "OPTIONS",
        "/api/v1/build",
        &[("Host", &own), ("Origin", "https://tutorial.example")],
        b"",
    );
    assert_eq!(s, 204);

    // A compile that never ends: killed at the tool timeout; the build fails, in the stream.
    let (status, body) = h.api("POST", "/api/v1/build", &ok_req);
    assert_eq!(status, 200);
    let ls = lines(&body);
    let done = ls.last().unwrap();
    assert_eq!(done["exitStatus"], 1, "{done}");
    assert!(
        ls.iter().any(|l| l["type"] == "actionEnd"
            && l["status"] == "failed"
            && l["output"].as_str().unwrap_or("").contains("killed after")),
        "{ls:?}"
    );
    assert_eq!(
        h.tmp_entries(),
        Vec::<String>::new(),
        "timeout: the build directory is removed"
    );

    // One build at a time (--max-builds 1): a second one meanwhile gets 429.
    let addr = h.addr.clone();
    let (o, t, req) = (own_origin.clone(), tok.clone(), ok_req.clone());
    let first = std::thread::spawn(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        let head = format!("POST /api/v1/build HTTP/1.1\r\nHost: {addr}\r\nOrigin: {o}\r\nX-Buildlab-Token: {t}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", req.len());
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&req).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        parse_response(&out).0
    });
    // The first build holds the slot once its directory is in the temporary root (made after
    // the slot is taken, removed before it is given back; its compile hangs until the 1 s tool
    // timeout). Waiting for that, not a fixed time, keeps the second request from overtaking
    // the first on a busy machine.
    let mut started = false;
    for _ in 0..500 {
        if !h.tmp_entries().is_empty() {
            started = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(started, "the first build started within 5 s");
    let (second, body) = h.api("POST", "/api/v1/build", &ok_req);
    assert_eq!(
        second,
        429,
        "a second concurrent build is refused: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(first.join().unwrap(), 200);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(h.tmp_entries(), Vec::<String>::new());
    // Nothing was written where the helper runs, nor next to the fake Go.
    assert_eq!(entries(&h.base.join("cwd")), Vec::<String>::new());
    assert!(!fake_base.join("pwned").exists() && !Path::new("pwned").exists());
    drop(h);
    let _ = std::fs::remove_dir_all(&fake_base);
}

// ---------------------------------------------------------------------------------------------
// The page-driven build (`/api/v1/workspace`): the page's core plans, hashes and looks up; the
// helper runs only the misses it is sent. Here the "page" is core itself, driven as
// web/src/real.rs drives it, over an in-memory cache.
// ---------------------------------------------------------------------------------------------

use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::build::{Config, Session, Timing, ToolResult};
use buildlab_core::cache::{CacheFs, DirCache, MemFs};
use buildlab_core::constraint::BuildContext;
use buildlab_core::load::{load, LoadRequest};
use buildlab_core::object::Object;
use buildlab_core::plan::{plan, BuildMode, Mode, Plan};
use buildlab_core::rebuild::Record;
use buildlab_core::workspace::Workspace;

/// The fixture planned as the helper plans it (its Go, `CGO_ENABLED=0`, the planned root), for
/// `go build` with `-o` as `mode` says.
fn page_plan(
    files: &[Value],
    go: &buildlab_helper::godetect::GoInstall,
    mode: BuildMode,
) -> (Workspace, Plan) {
    page_plan_cc(files, go, mode, None)
}

/// [`page_plan`] with the C compiler's identity the page took from `/api/v1/info` (`ccId`)
/// instead of the helper's own.
fn page_plan_cc(
    files: &[Value],
    go: &buildlab_helper::godetect::GoInstall,
    mode: BuildMode,
    cc_id: Option<&str>,
) -> (Workspace, Plan) {
    let mut ws = Workspace::new();
    for f in files {
        ws.insert(
            f["path"].as_str().unwrap(),
            f["text"].as_str().unwrap().as_bytes().to_vec(),
        )
        .unwrap();
    }
    let mut ctx = BuildContext::new(&go.goos, &go.goarch);
    ctx.cgo_enabled = go.cgo_enabled;
    let req = LoadRequest {
        ctx,
        goroot: go.goroot.clone(),
        module_root_display: buildlab_helper::api::PLANNED_ROOT.into(),
        mode,
        ..LoadRequest::default()
    };
    let loaded = load(&ws, &req).unwrap_or_else(|e| panic!("{e}"));
    let mut tc = buildlab_helper::cli::real_toolchain(go, None);
    if let Some(id) = cc_id {
        tc.cc_id = id.into();
    }
    let p = plan(loaded.input, &tc).unwrap_or_else(|e| panic!("{e:?}"));
    (ws, p)
}

/// What one page-driven build did.
struct PageBuild {
    exit: u8,
    transcript: String,
    execs: usize,
    /// Steps the helper said it ran, and the tool processes among them (not `internal`).
    runs: usize,
    processes: usize,
    uploads: usize,
    binary: Option<String>,
    target: Option<String>,
}

/// How the "page" talks to the helper: `flags` of the workspace (`{"o": …}`), and whether each
/// archive comes inline in the exec reply (as the page asks) or by a second request.
#[derive(Clone, Copy, Default)]
struct Speak {
    o: Option<&'static str>,
    inline: bool,
}

/// One `go build` as the page runs it: core's session over `cache`; each job one exec request
/// (uploading what the helper lacks when it says so); the archives fetched as binary bodies.
fn page_build(
    h: &Helper,
    files: &[Value],
    ws: &Workspace,
    p: &Plan,
    cache: &mut DirCache<MemFs>,
    target: Option<&str>,
) -> PageBuild {
    page_build_as(h, files, ws, p, cache, target, Speak::default())
}

/// An exec reply: its JSON, and the archive when it came inline (`application/x-buildlab-exec`:
/// the JSON, a newline, the bytes).
fn exec_reply(body: &[u8], inline: bool) -> (Value, Option<Vec<u8>>) {
    if !inline {
        return (serde_json::from_slice(body).unwrap(), None);
    }
    let nl = body.iter().position(|&b| b == b'\n');
    match nl {
        Some(i) if body.len() > i + 1 => (
            serde_json::from_slice(&body[..i]).unwrap(),
            Some(body[i + 1..].to_vec()),
        ),
        _ => (serde_json::from_slice(body).unwrap(), None),
    }
}

/// The page's view of a workspace planned by the helper: its files at the helper's planning root.
fn page_files(ws: &Workspace) -> WorkspaceFiles<'_> {
    WorkspaceFiles {
        ws,
        root: buildlab_helper::api::PLANNED_ROOT.into(),
    }
}

/// A build session's configuration with `n` workers (`-p n`), the rest as the page's default.
fn workers(n: usize) -> Config {
    Config {
        workers: n,
        ..Config::default()
    }
}

fn page_build_as(
    h: &Helper,
    files: &[Value],
    ws: &Workspace,
    p: &Plan,
    cache: &mut DirCache<MemFs>,
    target: Option<&str>,
    speak: Speak,
) -> PageBuild {
    let digest = p.digest();
    let wf = page_files(ws);
    let rec = Record::default();
    let cfg = workers(1);
    let mut s = Session::new(p, &wf, &rec, target, cfg);
    let mut out = PageBuild {
        exit: 0,
        transcript: String::new(),
        execs: 0,
        runs: 0,
        processes: 0,
        uploads: 0,
        binary: None,
        target: None,
    };
    let mut ws_id: Option<u64> = None;
    loop {
        let jobs = s.ready(cache, 0.0);
        if jobs.is_empty() && s.running() == 0 {
            break;
        }
        for job in jobs {
            let id = *ws_id.get_or_insert_with(|| {
                let flags = speak.o.map_or(json!({}), |o| json!({"o": o}));
                let body = build_req(
                    files.to_vec(),
                    json!({"planDigest": digest, "flags": flags}),
                );
                let (st, b) = h.api("POST", "/api/v1/workspace", &body);
                assert_eq!(st, 200, "{}", String::from_utf8_lossy(&b));
                let v: Value = serde_json::from_slice(&b).unwrap();
                assert_eq!(v["planDigest"], digest.as_str());
                v["workspace"].as_u64().unwrap()
            });
            let inputs: Vec<Value> = p
                .action(job.action)
                .deps
                .iter()
                .filter_map(|&d| Some(json!({"action": p.action(d).id, "hex": s.output_hex(d)?})))
                .collect();
            let req = json!({"version": 1, "action": p.action(job.action).id, "buildId": job.build_id, "inputs": inputs, "inline": speak.inline});
            let path = format!("/api/v1/workspace/{id}/exec");
            let (mut st, mut b) = h.api("POST", &path, req.to_string().as_bytes());
            if st == 409 {
                let v: Value = serde_json::from_slice(&b).unwrap();
                for hex in v["missing"].as_array().expect("missing hashes") {
                    let hex = hex.as_str().unwrap();
                    let d = buildlab_core::object::parse_hex(hex).unwrap();
                    let data = cache
                        .fs()
                        .read(&DirCache::<MemFs>::output_file(&d))
                        .expect("the page holds it");
                    let (us, ub) = h.api("PUT", &format!("/api/v1/blob/{hex}"), &data);
                    assert_eq!(us, 201, "{}", String::from_utf8_lossy(&ub));
                    out.uploads += 1;
                }
                (st, b) = h.api("POST", &path, req.to_string().as_bytes());
            }
            assert_eq!(st, 200, "{}", String::from_utf8_lossy(&b));
            out.execs += 1;
            let (v, inline) = exec_reply(&b, speak.inline);
            assert_eq!(
                v["lane"], 1,
                "one request at a time runs on the first slot: {v}"
            );
            assert!(v["queuedMs"].as_f64().is_some(), "{v}");
            let runs = v["runs"].as_array().cloned().unwrap_or_default();
            out.runs += runs.len();
            out.processes += runs.iter().filter(|r| r["internal"] != true).count();
            if v["ok"] == true && matches!(job.mode, Mode::Build | Mode::Link) {
                // buildid -w ran once, in the helper's process, as go does it ("# internal").
                let bid: Vec<&Value> = runs.iter().filter(|r| r["tool"] == "buildid").collect();
                assert!(bid.len() == 1 && bid[0]["internal"] == true, "{v}");
                assert!(
                    runs.iter()
                        .filter(|r| r["tool"] == "pack")
                        .all(|r| r["internal"] == true),
                    "{v}"
                );
            }
            let mut tr = ToolResult {
                stderr: v["output"].as_str().unwrap().to_string(),
                ..ToolResult::default()
            };
            if v["ok"] != true {
                tr.status = 1;
                tr.failed_step = v["failedStep"].as_u64().map(|n| n as usize);
            } else if job.mode == Mode::Build {
                let hex = v["archive"]["hex"].as_str().expect("an archive");
                let bytes = match inline {
                    Some(bytes) => bytes,
                    None => {
                        assert!(!speak.inline, "asked inline, the archive did not come: {v}");
                        let (bs, bytes) = h.api("GET", &format!("/api/v1/blob/{hex}"), b"");
                        assert_eq!(bs, 200);
                        bytes
                    }
                };
                assert_eq!(
                    buildlab_core::hash::Digest::of(&bytes).to_hex(),
                    hex,
                    "the archive is the one stored"
                );
                tr.output = Some(Object::from_archive(bytes).expect("a Go archive"));
            } else if job.mode == Mode::LinkInstall {
                out.binary = v["binary"]["hex"].as_str().map(str::to_string);
            }
            s.complete(cache, &job, tr, Timing::default());
        }
    }
    if let Some(id) = ws_id {
        let (st, _) = h.api("DELETE", &format!("/api/v1/workspace/{id}"), b"");
        assert_eq!(st, 204);
    }
    let r = s.finish();
    out.exit = r.exit_status;
    out.transcript = r.transcript.text();
    out.target = r.report.target.clone();
    out
}

fn counters(h: &Helper) -> Value {
    let (_, b) = h.api("GET", "/api/v1/info", b"");
    serde_json::from_slice::<Value>(&b).unwrap()["counters"].clone()
}

#[test]
fn api_page_driven_build_runs_only_the_misses() {
    let Some((go, h)) = helper_with_go("page") else {
        return;
    };
    let files = fixture_files("multi");
    let (ws, p) = page_plan(&files, &go, BuildMode::Build);
    let mut cache = DirCache::open(MemFs::default());

    // Cold: every build and the link run on the helper.
    let c0 = counters(&h);
    let cold = page_build(&h, &files, &ws, &p, &mut cache, None);
    assert_eq!(cold.exit, 0, "{}", cold.transcript);
    assert!(cold.execs > 10, "{} execs", cold.execs);
    let bin = cold
        .binary
        .clone()
        .expect("the link-install returned a binary");
    let c1 = counters(&h);
    assert_eq!(
        c1["execs"].as_u64().unwrap() - c0["execs"].as_u64().unwrap(),
        cold.execs as u64
    );
    // Every action ran at least its compiler or linker as a process, and buildid -w in the
    // helper; the counters count what the replies listed.
    assert!(
        cold.processes >= cold.execs - 1 && cold.runs > cold.processes,
        "{} processes, {} runs",
        cold.processes,
        cold.runs
    );
    let delta = |k: &str| c1[k].as_u64().unwrap() - c0[k].as_u64().unwrap();
    assert_eq!(delta("toolRuns"), cold.runs as u64);
    assert_eq!(delta("toolProcesses"), cold.processes as u64);
    let (s, run) = h.api("POST", &format!("/api/v1/run/{bin}"), b"");
    assert_eq!(s, 200);
    let run: Value = serde_json::from_slice(&run).unwrap();
    assert_eq!(run["stdout"], "[! HELLO] [a b] 5\n", "{run}");
    assert_eq!(
        h.tmp_entries(),
        Vec::<String>::new(),
        "the closed workspace is removed"
    );

    // Warm, with the binary in place: the page's cache answers everything, nothing is sent.
    let warm = page_build(&h, &files, &ws, &p, &mut cache, cold.target.as_deref());
    assert_eq!(warm.exit, 0, "{}", warm.transcript);
    assert_eq!(warm.execs, 0);
    assert_eq!(counters(&h), c1, "the helper ran nothing");

    // A helper with an empty store: the page's hits are uploaded when the link asks for them.
    drop(h);
    let h2 = Helper::start("page2", &["--go", GO]);
    let relink = page_build(&h2, &files, &ws, &p, &mut cache, None);
    assert_eq!(relink.exit, 0, "{}", relink.transcript);
    assert_eq!(relink.execs, 2, "only the link and its install run");
    assert!(
        relink.uploads > 10,
        "the archives the link needs were uploaded: {}",
        relink.uploads
    );
    assert_eq!(
        relink.binary.as_deref(),
        Some(bin.as_str()),
        "the same binary, bit for bit"
    );
}

/// `go build -o NAME` and `-o DIR/` from the page: the helper plans the same target (the plan
/// digests agree, where they used to differ and the helper refused with 409), the archives come
/// inline in the exec replies, and the binary runs.
#[test]
fn api_page_driven_build_with_o_and_inline_archives() {
    let Some((go, h)) = helper_with_go("pageo") else {
        return;
    };
    let files = fixture_files("hello");
    for (o, mode, target) in [
        (
            "hello-bin",
            BuildMode::BuildTo("hello-bin".into()),
            "hello-bin",
        ),
        ("out/", BuildMode::BuildToDir("out/".into()), "out/hello"),
    ] {
        let (ws, p) = page_plan(&files, &go, mode);
        let installs: Vec<Option<&str>> = p
            .actions()
            .filter(|(_, x)| x.mode == Mode::LinkInstall)
            .map(|(_, x)| x.target.as_deref())
            .collect();
        assert_eq!(installs, [Some(target)], "{o}");
        // Without -o the helper's plan is another one: the digest check notices.
        let plain = build_req(files.clone(), json!({"planDigest": p.digest()}));
        let (st, b) = h.api("POST", "/api/v1/workspace", &plain);
        assert_eq!(st, 409, "{o}: {}", String::from_utf8_lossy(&b));
        let mut cache = DirCache::open(MemFs::default());
        let speak = Speak {
            o: Some(o),
            inline: true,
        };
        let cold = page_build_as(&h, &files, &ws, &p, &mut cache, None, speak);
        assert_eq!(cold.exit, 0, "{o}: {}", cold.transcript);
        assert!(cold.execs > 5, "{o}: {} execs", cold.execs);
        let bin = cold.binary.expect("the link-install returned a binary");
        let (st, run) = h.api("POST", &format!("/api/v1/run/{bin}"), b"");
        assert_eq!(st, 200);
        let run: Value = serde_json::from_slice(&run).unwrap();
        assert_eq!(run["stdout"], "hi\n", "{o}: {run}");
    }
    // A name the page could not hold is refused like any other path.
    for bad in ["../x", "/tmp/x", "a/../b", "-x"] {
        let body = build_req(files.clone(), json!({"flags": {"o": bad}}));
        let (st, b) = h.api("POST", "/api/v1/workspace", &body);
        assert_eq!(st, 400, "-o {bad}: {}", String::from_utf8_lossy(&b));
    }
    assert_eq!(h.tmp_entries(), Vec::<String>::new());
}

/// The page keeps more actions in flight than `-p`; the helper runs at most `-p` of them at once
/// and says how long each waited for a slot and which slot ran it (the timeline's lane).
#[test]
fn api_page_driven_exec_waits_for_a_p_slot() {
    let Some((go, h)) = helper_with_go("pageslots") else {
        return;
    };
    let files = fixture_files("hello");
    let (ws, p) = page_plan(&files, &go, BuildMode::Build);
    let body = build_req(files.clone(), json!({"flags": {"p": 1}}));
    let (st, b) = h.api("POST", "/api/v1/workspace", &body);
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&b));
    let id = serde_json::from_slice::<Value>(&b).unwrap()["workspace"]
        .as_u64()
        .unwrap();
    // Two leaves of the graph, ready at once.
    let wf = page_files(&ws);
    let rec = Record::default();
    let cfg = workers(2);
    let mut s = Session::new(&p, &wf, &rec, None, cfg);
    let mut cache = DirCache::open(MemFs::default());
    let jobs = s.ready(&mut cache, 0.0);
    assert_eq!(jobs.len(), 2);
    let path = format!("/api/v1/workspace/{id}/exec");
    let replies: Vec<Value> = std::thread::scope(|sc| {
        let hs: Vec<_> = jobs
            .iter()
            .map(|job| {
                let req = json!({"version": 1, "action": p.action(job.action).id, "buildId": job.build_id});
                let (h, path) = (&h, &path);
                sc.spawn(move || {
                    let (st, b) = h.api("POST", path, req.to_string().as_bytes());
                    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&b));
                    serde_json::from_slice::<Value>(&b).unwrap()
                })
            })
            .collect();
        hs.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for v in &replies {
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["lane"], 1, "-p 1: one slot: {v}");
    }
    let q = |v: &Value| v["queuedMs"].as_f64().unwrap();
    let (first, second) = if q(&replies[0]) <= q(&replies[1]) {
        (&replies[0], &replies[1])
    } else {
        (&replies[1], &replies[0])
    };
    // The second held the slot only once the first had let it go (the helper's own clock: how
    // long the second queued depends on when its request arrived, which a loaded machine
    // delays).
    let slot = |v: &Value, i: usize| v["slotMs"][i].as_f64().unwrap();
    assert!(
        slot(second, 0) >= slot(first, 1),
        "the second waited for the first's slot: {first} / {second}"
    );
    assert!(q(second) > 0.0, "{second}");
    let (st, _) = h.api("DELETE", &format!("/api/v1/workspace/{id}"), b"");
    assert_eq!(st, 204);
}

#[test]
fn api_page_driven_hostile_requests() {
    let Some((go, h)) = helper_with_go("pagehostile") else {
        return;
    };
    let files = fixture_files("hello");
    let (_, p) = page_plan(&files, &go, BuildMode::Build);
    let digest = p.digest();
    let store_before = tree(&h.base.join("cache"));

    // A plan the helper does not make is refused before anything is written.
    let (s, b) = h.api(
        "POST",
        "/api/v1/workspace",
        &build_req(files.clone(), json!({"planDigest": "0".repeat(64)})),
    );
    assert_eq!(s, 409, "{}", String::from_utf8_lossy(&b));
    assert!(String::from_utf8_lossy(&b).contains("plans this workspace differently"));
    let (s, _) = h.api(
        "POST",
        "/api/v1/workspace",
        &build_req(files.clone(), json!({"planDigest": "../x"})),
    );
    assert_eq!(s, 400);
    assert_eq!(h.tmp_entries(), Vec::<String>::new());

    let (s, b) = h.api(
        "POST",
        "/api/v1/workspace",
        &build_req(files.clone(), json!({"planDigest": digest})),
    );
    assert_eq!(s, 200);
    let id = serde_json::from_slice::<Value>(&b).unwrap()["workspace"]
        .as_u64()
        .unwrap();
    let exec = |v: Value| {
        h.api(
            "POST",
            &format!("/api/v1/workspace/{id}/exec"),
            v.to_string().as_bytes(),
        )
    };
    let main_build = p
        .actions()
        .find(|(a, x)| x.mode == Mode::Build && p.package_path(*a) == "example.com/hello")
        .unwrap();
    let (mid, _) = (main_build.1.id, main_build.0);
    let nop = p
        .actions()
        .find(|(_, x)| x.mode != Mode::Build && x.mode != Mode::Link && x.mode != Mode::LinkInstall)
        .unwrap()
        .1
        .id;
    let hex0 = "0".repeat(64);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"version": 1, "action": 99999, "buildId": "a/b"}),
            400,
            "no action",
        ),
        (
            json!({"version": 1, "action": nop, "buildId": "a/b"}),
            400,
            "runs no tool",
        ),
        (
            json!({"version": 1, "action": mid, "buildId": "a;rm -rf ~/b"}),
            400,
            "buildId",
        ),
        (
            json!({"version": 1, "action": mid, "buildId": "-o=/etc/passwd"}),
            400,
            "buildId",
        ),
        (
            json!({"version": 1, "action": mid, "buildId": ""}),
            400,
            "buildId",
        ),
        (
            json!({"version": 1, "action": mid, "buildId": "a/b", "argv": ["sh"]}),
            400,
            "unknown field",
        ),
        (
            json!({"version": 2, "action": mid, "buildId": "a/b"}),
            400,
            "version",
        ),
        (
            json!({"version": 1, "action": mid, "buildId": "a/b", "inputs": [{"action": mid, "hex": hex0}]}),
            400,
            "not a dependency",
        ),
        (
            json!({"version": 1, "action": mid, "buildId": "a/b", "inputs": [{"action": 0, "hex": "../../etc/passwd"}]}),
            400,
            "",
        ),
    ];
    for (req, status, says) in cases {
        let (s, b) = exec(req.clone());
        let text = String::from_utf8_lossy(&b);
        assert_eq!(s, status, "{req}: {text}");
        assert!(text.contains(says), "{req}: {text}");
    }
    // A dependency the store lacks is named, not guessed.
    let dep = p
        .action(main_build.0)
        .deps
        .iter()
        .map(|&d| p.action(d))
        .find(|x| x.mode == Mode::Build)
        .unwrap()
        .id;
    let (s, b) = exec(
        json!({"version": 1, "action": mid, "buildId": "a/b", "inputs": [{"action": dep, "hex": hex0}]}),
    );
    assert_eq!(s, 409);
    assert_eq!(
        serde_json::from_slice::<Value>(&b).unwrap()["missing"],
        json!([hex0])
    );
    // Blobs must hash to their name; a wrong hash or a bad name stores nothing.
    let (s, _) = h.api("PUT", &format!("/api/v1/blob/{hex0}"), b"not that");
    assert_eq!(s, 400);
    let (s, _) = h.api("PUT", "/api/v1/blob/..%2F..%2Fetc", b"x");
    assert_eq!(s, 400);
    let (s, _) = h.raw(
        "PUT",
        &format!("/api/v1/blob/{hex0}"),
        &[("Host", h.addr.as_str())],
        b"x",
    );
    assert_eq!(s, 401, "the token is required on uploads too");
    assert_eq!(tree(&h.base.join("cache")), store_before, "nothing stored");
    // Closed is closed.
    let (s, _) = h.api("DELETE", &format!("/api/v1/workspace/{id}"), b"");
    assert_eq!(s, 204);
    let (s, b) = exec(json!({"version": 1, "action": mid, "buildId": "a/b"}));
    assert_eq!(s, 404, "{}", String::from_utf8_lossy(&b));
    assert_eq!(h.tmp_entries(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/workspace/<n>/run: the page's whole build of misses in one request, streamed.
// ---------------------------------------------------------------------------------------------

/// The page's cache entries, as the run request names its hits: action ID, output, size.
fn cache_hits(cache: &DirCache<MemFs>) -> Vec<Value> {
    let mut hits = Vec::new();
    for i in 0..256 {
        let dir = format!("{i:02x}");
        for name in cache.fs().list(&dir) {
            let Some(hex) = name.strip_suffix("-a") else {
                continue;
            };
            let id = buildlab_core::object::parse_hex(hex).unwrap();
            let data = cache.fs().read(&format!("{dir}/{name}")).unwrap();
            let e = buildlab_core::cache::Entry::parse(&id, &data).unwrap();
            hits.push(json!({"actionId": hex, "hex": e.output.to_hex(), "size": e.size}));
        }
    }
    hits
}

/// A run stream with the archives in it (`inline`): each line, and after an `action` line that
/// names an archive, exactly its `size` bytes.
fn inline_lines(mut body: &[u8]) -> Vec<(Value, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let nl = body.iter().position(|&b| b == b'\n').expect("a whole line");
        let v: Value = serde_json::from_slice(&body[..nl]).unwrap();
        body = &body[nl + 1..];
        let size = (v["type"] == "action")
            .then(|| v["archive"]["size"].as_u64())
            .flatten();
        let bytes = size.map(|n| {
            let (b, rest) = body.split_at(n as usize);
            body = rest;
            b.to_vec()
        });
        out.push((v, bytes));
    }
    out
}

/// What one run-route build did: the page's view, the stream's lines, requests sent.
struct RunBuild {
    page: PageBuild,
    lines: Vec<Value>,
    run_requests: usize,
    /// A deferred run's entries still to save: action key, action ID, output ID, size.
    unsaved: Vec<(
        String,
        buildlab_core::hash::Digest,
        buildlab_core::hash::Digest,
        u64,
    )>,
}

/// How a run's archives reach the page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum How {
    /// Lines only, each archive fetched by its hash (an older page).
    Lines,
    /// In the stream, after their lines.
    Inline,
    /// Left in the helper's store: the lines carry content IDs, the page fetches the archives
    /// after the build (`POST /api/v1/outputs`, [`save_outputs`]).
    Deferred,
}

/// One `go build` as the page runs it through the run route: core's session over `cache`; at
/// the first miss, one request with every tool action of the plan and the cache's entries as
/// hits (uploading what the helper lacks when it says so); each job completed from its line,
/// whose build ID must be the one the page's session chose, the archive fetched by hash — or,
/// `inline`, taken from the stream after its line (and checked equal to the store's).
fn page_run_build(
    h: &Helper,
    files: &[Value],
    ws: &Workspace,
    p: &Plan,
    cache: &mut DirCache<MemFs>,
    target: Option<&str>,
    how: How,
) -> RunBuild {
    let inline = how == How::Inline;
    let digest = p.digest();
    let wf = page_files(ws);
    let rec = Record::default();
    let cfg = workers(4);
    let mut s = Session::new(p, &wf, &rec, target, cfg);
    let mut out = RunBuild {
        page: PageBuild {
            exit: 0,
            transcript: String::new(),
            execs: 0,
            runs: 0,
            processes: 0,
            uploads: 0,
            binary: None,
            target: None,
        },
        lines: Vec::new(),
        run_requests: 0,
        unsaved: Vec::new(),
    };
    let mut ws_id: Option<u64> = None;
    let mut by_id: std::collections::HashMap<u64, Value> = Default::default();
    let mut inlined: std::collections::HashMap<u64, Vec<u8>> = Default::default();
    loop {
        let jobs = s.ready(cache, 0.0);
        if jobs.is_empty() && s.running() == 0 {
            break;
        }
        if ws_id.is_none() {
            let body = build_req(files.to_vec(), json!({"planDigest": digest}));
            let (st, b) = h.api("POST", "/api/v1/workspace", &body);
            assert_eq!(st, 200, "{}", String::from_utf8_lossy(&b));
            let id = serde_json::from_slice::<Value>(&b).unwrap()["workspace"]
                .as_u64()
                .unwrap();
            ws_id = Some(id);
            let actions: Vec<usize> = p
                .actions()
                .filter(|(_, x)| matches!(x.mode, Mode::Build | Mode::Link | Mode::LinkInstall))
                .map(|(_, x)| x.id)
                .collect();
            let mut req = json!({"version": 1, "actions": actions, "hits": cache_hits(cache), "target": target, "inline": inline});
            if how == How::Deferred {
                req["deferred"] = json!(true);
            }
            let path = format!("/api/v1/workspace/{id}/run");
            let (mut st, mut b) = h.api("POST", &path, req.to_string().as_bytes());
            out.run_requests += 1;
            if st == 409 {
                let v: Value = serde_json::from_slice(&b).unwrap();
                for hex in v["missing"].as_array().expect("missing hashes") {
                    let hex = hex.as_str().unwrap();
                    let d = buildlab_core::object::parse_hex(hex).unwrap();
                    let data = cache
                        .fs()
                        .read(&DirCache::<MemFs>::output_file(&d))
                        .expect("the page holds it");
                    let (us, ub) = h.api("PUT", &format!("/api/v1/blob/{hex}"), &data);
                    assert_eq!(us, 201, "{}", String::from_utf8_lossy(&ub));
                    out.page.uploads += 1;
                }
                (st, b) = h.api("POST", &path, req.to_string().as_bytes());
                out.run_requests += 1;
            }
            assert_eq!(st, 200, "{}", String::from_utf8_lossy(&b));
            out.lines = if inline {
                let pieces = inline_lines(&b);
                for (v, bytes) in &pieces {
                    if let Some(bytes) = bytes {
                        inlined.insert(v["id"].as_u64().unwrap(), bytes.clone());
                    }
                }
                pieces.into_iter().map(|(v, _)| v).collect()
            } else {
                lines(&b)
            };
            let done = out.lines.last().expect("a done line");
            assert_eq!(done["type"], "done", "{done}");
            let mut starts = std::collections::HashSet::new();
            for l in &out.lines[..out.lines.len() - 1] {
                if l["type"] == "start" {
                    assert!(
                        starts.insert(l["id"].as_u64().unwrap()),
                        "one start each: {l}"
                    );
                    continue;
                }
                assert_eq!(l["type"], "action", "{l}");
                assert!(
                    starts.contains(&l["id"].as_u64().unwrap()),
                    "started first: {l}"
                );
                let prev = by_id.insert(l["id"].as_u64().unwrap(), l.clone());
                assert!(prev.is_none(), "one line per action: {l}");
            }
        }
        for job in jobs {
            let v = by_id
                .remove(&(p.action(job.action).id as u64))
                .unwrap_or_else(|| panic!("the run streamed no line for {}", job.key));
            assert_eq!(
                v["buildId"],
                job.build_id.as_str(),
                "the helper chose the page's build ID"
            );
            assert!(v["lane"].as_u64().is_some_and(|l| l >= 1) && v["queuedMs"].is_number());
            out.page.execs += 1;
            let runs = v["runs"].as_array().cloned().unwrap_or_default();
            out.page.runs += runs.len();
            out.page.processes += runs.iter().filter(|r| r["internal"] != true).count();
            let mut tr = ToolResult {
                stderr: v["output"].as_str().unwrap().to_string(),
                ..ToolResult::default()
            };
            if v["ok"] != true {
                tr.status = 1;
                tr.failed_step = v["failedStep"].as_u64().map(|n| n as usize);
            } else if job.mode == Mode::Build && how == How::Deferred {
                // The archive stays on the helper; its content ID is the store's file's.
                let hex = v["archive"]["hex"].as_str().expect("an archive");
                let content = v["archive"]["contentId"].as_str().expect("a content ID");
                let (bs, bytes) = h.api("GET", &format!("/api/v1/blob/{hex}"), b"");
                assert_eq!(bs, 200);
                let size = v["archive"]["size"].as_u64().unwrap();
                assert_eq!(size, bytes.len() as u64);
                let real = Object::from_archive(bytes).expect("a Go archive");
                assert_eq!(real.content().to_hex(), content, "{}", job.key);
                let parse = |h: &str| buildlab_core::object::parse_hex(h).unwrap();
                tr.output = Some(Object::held_archive(parse(content), parse(hex), size));
            } else if job.mode == Mode::Build {
                let hex = v["archive"]["hex"].as_str().expect("an archive");
                let (bs, bytes) = h.api("GET", &format!("/api/v1/blob/{hex}"), b"");
                assert_eq!(bs, 200);
                assert_eq!(v["archive"]["size"], bytes.len());
                if inline {
                    let streamed = inlined.remove(&(p.action(job.action).id as u64));
                    assert!(
                        streamed == Some(bytes.clone()),
                        "{}: the streamed archive is the store's",
                        job.key
                    );
                }
                assert_eq!(buildlab_core::hash::Digest::of(&bytes).to_hex(), hex);
                tr.output = Some(Object::from_archive(bytes).expect("a Go archive"));
            } else if job.mode == Mode::LinkInstall {
                out.page.binary = v["binary"]["hex"].as_str().map(str::to_string);
            }
            s.complete(cache, &job, tr, Timing::default());
        }
    }
    assert!(
        by_id.is_empty(),
        "the helper ran what the page did not: {by_id:?}"
    );
    if let Some(id) = ws_id {
        let (st, _) = h.api("DELETE", &format!("/api/v1/workspace/{id}"), b"");
        assert_eq!(st, 204);
    }
    let r = s.finish();
    if how == How::Deferred {
        // The entries a held archive left out of the cache (a DirCache stores none for it).
        for a in r.report.record.actions.values() {
            let id = a.inputs.id;
            let Some(o) = a.output else { continue };
            if cache
                .fs()
                .read(&DirCache::<MemFs>::action_file(&id))
                .is_some()
            {
                continue;
            }
            let path = DirCache::<MemFs>::output_file(&o);
            assert!(
                cache.fs().read(&path).is_none(),
                "no bytes held for {}",
                a.inputs.key
            );
            let (st, b) = h.api("GET", &format!("/api/v1/blob/{}", o.to_hex()), b"");
            assert_eq!(st, 200);
            out.unsaved
                .push((a.inputs.key.clone(), id, o, b.len() as u64));
        }
    }
    out.page.exit = r.exit_status;
    out.page.transcript = r.transcript.text();
    out.page.target = r.report.target.clone();
    out
}

/// A real cold build of `multi` through one run request: every action's line, the page's own
/// build IDs, the archives by hash, the binary runs; then a warm build sends nothing, an edit
/// runs only what it changed (the rest hits from the page's entries), and a helper with an empty
/// store is sent the hits' outputs it names.
#[test]
fn api_page_run_route_builds_multi_in_one_request() {
    let Some((go, h)) = helper_with_go("pagerun") else {
        return;
    };
    let mut files = fixture_files("multi");
    let (ws, p) = page_plan(&files, &go, BuildMode::Build);
    let mut cache = DirCache::open(MemFs::default());

    let c0 = counters(&h);
    let cold = page_run_build(&h, &files, &ws, &p, &mut cache, None, How::Inline);
    assert_eq!(cold.page.exit, 0, "{}", cold.page.transcript);
    assert_eq!(cold.run_requests, 1);
    let tools = p
        .actions()
        .filter(|(_, x)| matches!(x.mode, Mode::Build | Mode::Link | Mode::LinkInstall))
        .count();
    assert_eq!(cold.page.execs, tools, "cold: every tool action ran, once");
    let c1 = counters(&h);
    assert_eq!(
        c1["execs"].as_u64().unwrap() - c0["execs"].as_u64().unwrap(),
        tools as u64
    );
    assert!(
        cold.lines.iter().any(|l| l["lane"] == 2),
        "two workers ran at once"
    );
    let bin = cold.page.binary.clone().expect("a binary");
    let (s, run) = h.api("POST", &format!("/api/v1/run/{bin}"), b"");
    assert_eq!(s, 200);
    let run: Value = serde_json::from_slice(&run).unwrap();
    assert_eq!(run["stdout"], "[! HELLO] [a b] 5\n", "{run}");
    assert_eq!(h.tmp_entries(), Vec::<String>::new());

    // Warm, binary in place: nothing is sent.
    let warm = page_run_build(
        &h,
        &files,
        &ws,
        &p,
        &mut cache,
        cold.page.target.as_deref(),
        How::Inline,
    );
    assert_eq!((warm.page.exit, warm.run_requests), (0, 0));
    assert_eq!(counters(&h), c1, "the helper ran nothing");

    // An edit of main.go: its compile and the link run; every other action hits on both sides.
    for f in files.iter_mut() {
        if f["path"] == "main.go" {
            let t = format!("{}\n// edited\n", f["text"].as_str().unwrap());
            f["text"] = json!(t);
        }
    }
    let (ws2, p2) = page_plan(&files, &go, BuildMode::Build);
    // Lines only (an older page): the archives by hash.
    let edit = page_run_build(&h, &files, &ws2, &p2, &mut cache, None, How::Lines);
    assert_eq!(edit.page.exit, 0, "{}", edit.page.transcript);
    assert_eq!(edit.page.execs, 3, "main's compile, the link, the install");
    let ran = edit.lines.iter().filter(|l| l["type"] == "action").count();
    assert_eq!(ran, 3, "the helper ran those three, nothing else");

    // A helper whose store lost everything: the hits' outputs are named (409) and uploaded.
    drop(h);
    let h2 = Helper::start("pagerun2", &["--go", GO]);
    for f in files.iter_mut() {
        if f["path"] == "main.go" {
            let t = format!("{}// again\n", f["text"].as_str().unwrap());
            f["text"] = json!(t);
        }
    }
    let (ws3, p3) = page_plan(&files, &go, BuildMode::Build);
    let again = page_run_build(&h2, &files, &ws3, &p3, &mut cache, None, How::Inline);
    assert_eq!(again.page.exit, 0, "{}", again.page.transcript);
    assert_eq!(again.run_requests, 2, "refused once, then run");
    assert!(again.page.uploads > 10, "{} uploads", again.page.uploads);
    assert_eq!(again.page.execs, 3);
}

/// The page's save after a deferred run: one `POST /api/v1/outputs` for the outputs, each
/// entry written with its output's bytes (never without), an output the helper no longer has
/// skipped with its entry. Returns the hashes reported missing.
fn save_outputs(h: &Helper, cache: &mut DirCache<MemFs>, run: &RunBuild) -> Vec<String> {
    let hexes: Vec<String> = run.unsaved.iter().map(|u| u.2.to_hex()).collect();
    let body = json!({"version": 1, "hexes": hexes}).to_string();
    let (st, b) = h.api("POST", "/api/v1/outputs", body.as_bytes());
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&b));
    let mut rest: &[u8] = &b;
    let mut got = std::collections::HashMap::new();
    let mut missing = Vec::new();
    let mut done = None;
    while !rest.is_empty() {
        let nl = rest.iter().position(|&c| c == b'\n').expect("a whole line");
        let v: Value = serde_json::from_slice(&rest[..nl]).unwrap();
        rest = &rest[nl + 1..];
        match v["type"].as_str() {
            Some("output") => {
                let n = v["size"].as_u64().unwrap() as usize;
                let (bytes, r) = rest.split_at(n);
                rest = r;
                got.insert(v["hex"].as_str().unwrap().to_string(), bytes.to_vec());
            }
            Some("missing") => missing.push(v["hex"].as_str().unwrap().to_string()),
            Some("done") => done = Some(v),
            _ => panic!("unexpected line {v}"),
        }
    }
    let done = done.expect("a done line");
    assert_eq!(done["sent"], got.len());
    assert_eq!(done["missing"], missing.len());
    for (_, id, out, size) in &run.unsaved {
        let Some(bytes) = got.get(&out.to_hex()) else {
            continue;
        };
        assert_eq!(bytes.len() as u64, *size);
        assert_eq!(&buildlab_core::hash::Digest::of(bytes), out);
        let e = buildlab_core::cache::Entry {
            output: *out,
            size: *size,
            time: 0,
        };
        let fs = cache.fs_mut();
        fs.write(&DirCache::<MemFs>::output_file(out), bytes, 0);
        fs.write(
            &DirCache::<MemFs>::action_file(id),
            e.render(id).as_bytes(),
            0,
        );
    }
    missing
}

/// A deferred run (the page's default with IndexedDB): the lines carry each archive's content
/// ID, no archive crosses during the build, and the page's session completes every job from its
/// line with the build IDs the helper chose; the outputs come after, in one request. An output
/// the helper lost before the save leaves its entry out, and the next build runs exactly that
/// action again (its dependents hit: the same content); a warm build then sends nothing.
#[test]
fn api_page_run_deferred_outputs_saved_after_the_build() {
    let Some((go, h)) = helper_with_go("pagerundeferred") else {
        return;
    };
    let files = fixture_files("multi");
    let (ws, p) = page_plan(&files, &go, BuildMode::Build);
    let mut cache = DirCache::open(MemFs::default());

    let cold = page_run_build(&h, &files, &ws, &p, &mut cache, None, How::Deferred);
    assert_eq!(cold.page.exit, 0, "{}", cold.page.transcript);
    assert_eq!(cold.run_requests, 1);
    let builds = p.actions().filter(|(_, x)| x.mode == Mode::Build).count();
    assert_eq!(
        cold.unsaved.len(),
        builds,
        "every compile's entry waits for its bytes"
    );
    let bin = cold.page.binary.clone().expect("a binary");
    let (s, run) = h.api("POST", &format!("/api/v1/run/{bin}"), b"");
    assert_eq!(s, 200);
    let run: Value = serde_json::from_slice(&run).unwrap();
    assert_eq!(run["stdout"], "[! HELLO] [a b] 5\n", "{run}");

    // The helper loses one output (its store trimmed, say) before the page saves it.
    let (_, _, lost, _) = cold
        .unsaved
        .iter()
        .find(|u| u.0 == "build example.com/multi/util")
        .cloned()
        .expect("util compiled");
    let lost_path = h
        .base
        .join("cache")
        .join(DirCache::<MemFs>::output_file(&lost));
    std::fs::remove_file(&lost_path).unwrap();
    let missing = save_outputs(&h, &mut cache, &cold);
    assert_eq!(
        missing,
        vec![lost.to_hex()],
        "the lost output is reported, not sent"
    );

    // The next build (binary in place) runs exactly the action whose output was lost.
    let c0 = counters(&h);
    let target = cold.page.target.as_deref();
    let again = page_run_build(&h, &files, &ws, &p, &mut cache, target, How::Deferred);
    assert_eq!(again.page.exit, 0, "{}", again.page.transcript);
    let ran: Vec<&Value> = again
        .lines
        .iter()
        .filter(|l| l["type"] == "action")
        .collect();
    assert_eq!(ran.len(), 1, "only the lost output's action: {ran:?}");
    assert_eq!(ran[0]["key"], "build example.com/multi/util");
    assert_eq!(again.unsaved.len(), 1);
    assert_eq!(again.unsaved[0].2, lost, "the same bytes again");
    let c1 = counters(&h);
    assert_eq!(
        c1["execs"].as_u64().unwrap() - c0["execs"].as_u64().unwrap(),
        1
    );
    assert!(save_outputs(&h, &mut cache, &again).is_empty());

    // Warm: every entry has its output; nothing is sent.
    let warm = page_run_build(&h, &files, &ws, &p, &mut cache, target, How::Deferred);
    assert_eq!((warm.page.exit, warm.run_requests), (0, 0));
    assert_eq!(counters(&h), c1, "the helper ran nothing");

    // The route's checks: a bad hash and another version are refused, an unknown hash is
    // reported missing.
    let (s, _) = h.api(
        "POST",
        "/api/v1/outputs",
        br#"{"version":1,"hexes":["../x"]}"#,
    );
    assert_eq!(s, 400);
    let (s, _) = h.api("POST", "/api/v1/outputs", br#"{"version":2,"hexes":[]}"#);
    assert_eq!(s, 400);
    let unknown = "0".repeat(64);
    let body = json!({"version": 1, "hexes": [unknown]}).to_string();
    let (s, b) = h.api("POST", "/api/v1/outputs", body.as_bytes());
    assert_eq!(s, 200);
    let l = lines(&b);
    assert_eq!(l[0], json!({"type": "missing", "hex": unknown}));
    assert_eq!(l[1]["type"], "done");
}

/// Hostile run requests: each refused with its status before anything runs or is stored.
#[test]
fn api_page_run_route_hostile_requests() {
    let Some((go, h)) = helper_with_go("pagerunhostile") else {
        return;
    };
    let files = fixture_files("hello");
    let (_, p) = page_plan(&files, &go, BuildMode::Build);
    let store_before = tree(&h.base.join("cache"));
    let (s, b) = h.api(
        "POST",
        "/api/v1/workspace",
        &build_req(files.clone(), json!({"planDigest": p.digest()})),
    );
    assert_eq!(s, 200);
    let id = serde_json::from_slice::<Value>(&b).unwrap()["workspace"]
        .as_u64()
        .unwrap();
    let path = format!("/api/v1/workspace/{id}/run");
    let tool = |m: Mode| p.actions().find(|(_, x)| x.mode == m).unwrap().1.id;
    let (build, link) = (tool(Mode::Build), tool(Mode::Link));
    let nop = p
        .actions()
        .find(|(_, x)| !matches!(x.mode, Mode::Build | Mode::Link | Mode::LinkInstall))
        .unwrap()
        .1
        .id;
    let hex0 = "0".repeat(64);
    let too_many: Vec<usize> = (0..p.actions().count() + 1).collect();
    let many_hits: Vec<Value> = (0..2 * p.actions().count() + 1)
        .map(|i| json!({"actionId": format!("{i:064x}"), "hex": hex0, "size": 1}))
        .collect();
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"version": 1, "actions": "all"}),
            400,
            "bad run request",
        ),
        (
            json!({"version": 1, "actions": [-1]}),
            400,
            "bad run request",
        ),
        (
            json!({"version": 1, "actions": [build, "x"]}),
            400,
            "bad run request",
        ),
        (json!({"version": 1}), 400, "bad run request"),
        (json!({"version": 1, "actions": []}), 400, "no action"),
        (
            json!({"version": 1, "actions": [99999]}),
            400,
            "no action 99999",
        ),
        (
            json!({"version": 1, "actions": [build, link, build]}),
            400,
            "given twice",
        ),
        (json!({"version": 1, "actions": [nop]}), 400, "runs no tool"),
        (json!({"version": 1, "actions": too_many}), 413, "actions"),
        (
            json!({"version": 1, "actions": [build], "hits": many_hits}),
            413,
            "hits",
        ),
        (
            json!({"version": 1, "actions": [build], "hits": [{"actionId": hex0, "hex": "../../etc/passwd", "size": 1}]}),
            400,
            "hex",
        ),
        (
            json!({"version": 1, "actions": [build], "hits": [{"actionId": "ABC", "hex": hex0, "size": 1}]}),
            400,
            "hex",
        ),
        (
            json!({"version": 1, "actions": [build], "hits": [{"actionId": hex0, "hex": hex0, "size": 1}, {"actionId": hex0, "hex": hex0, "size": 2}]}),
            400,
            "given twice",
        ),
        (
            json!({"version": 1, "actions": [build], "hits": [{"actionId": hex0, "hex": hex0, "size": 1, "path": "/etc"}]}),
            400,
            "unknown field",
        ),
        (
            json!({"version": 1, "actions": [build], "target": "a;rm -rf ~"}),
            400,
            "target",
        ),
        (
            json!({"version": 1, "actions": [build], "argv": ["sh"]}),
            400,
            "unknown field",
        ),
        (json!({"version": 2, "actions": [build]}), 400, "version"),
        // A hit whose output this store lacks is named, not guessed.
        (
            json!({"version": 1, "actions": [build], "hits": [{"actionId": hex0, "hex": hex0, "size": 1}]}),
            409,
            "missing",
        ),
    ];
    for (req, status, says) in cases {
        let (s, b) = h.api("POST", &path, req.to_string().as_bytes());
        let text = String::from_utf8_lossy(&b);
        assert_eq!(s, status, "{req}: {text}");
        assert!(text.contains(says), "{req}: {text}");
    }
    let ok = json!({"version": 1, "actions": [build]}).to_string();
    // The guard: no token, a foreign Origin, a rebinding Host.
    let origin = format!("http://{}", h.addr);
    let (s, _) = h.raw(
        "POST",
        &path,
        &[("Host", h.addr.as_str()), ("Origin", origin.as_str())],
        ok.as_bytes(),
    );
    assert_eq!(s, 401);
    let (s, _) = h.raw(
        "POST",
        &path,
        &[
            ("Host", h.addr.as_str()),
            ("Origin", "http://evil.example"),
            ("X-Buildlab-Token", h.token.as_str()),
        ],
        ok.as_bytes(),
    );
    assert_eq!(s, 403);
    let rebound = format!("evil.example:{}", h.port());
    let (s, _) = h.raw(
        "POST",
        &path,
        &[
            ("Host", rebound.as_str()),
            ("X-Buildlab-Token", h.token.as_str()),
        ],
        ok.as_bytes(),
    );
    assert!(s == 403 || s == 421 || s == 400, "rebinding Host: {s}");
    // Over the body limit.
    let big = vec![b' '; (1 << 20) + 10];
    let (s, _) = h.api("POST", &path, &big);
    assert_eq!(s, 413);
    assert_eq!(tree(&h.base.join("cache")), store_before, "nothing stored");
    // An unknown workspace, and a closed one.
    let (s, _) = h.api("POST", "/api/v1/workspace/99999/run", ok.as_bytes());
    assert_eq!(s, 404);
    let (s, _) = h.api("DELETE", &format!("/api/v1/workspace/{id}"), b"");
    assert_eq!(s, 204);
    let (s, _) = h.api("POST", &path, ok.as_bytes());
    assert_eq!(s, 404);
    assert_eq!(h.tmp_entries(), Vec::<String>::new());
}

/// gcc's identity as go's `gccToolID` reads it, asked here independently of the helper: the
/// version line of `gcc -### -x c -c -` under `LC_ALL=C`. `None` without gcc.
fn gcc_identity() -> Option<String> {
    let out = std::process::Command::new("gcc")
        .args(["-###", "-x", "c", "-c", "-"])
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
    buildlab_core::cgo::gcc_version_line(&text).map(str::to_string)
}

/// The page hashes the helper's gcc: with cgo on, `/api/v1/info` carries gcc's identity
/// (`ccId`, what go hashes as `CC ID=`); a page planning with it gets the helper's own build IDs
/// for a module's package using cgo and for runtime/cgo through the run route (checked job by
/// job), a warm build sends nothing, and a page planning with another gcc's identity computes
/// other action IDs for exactly the packages using cgo (a gcc upgrade invalidates the page's
/// cached cgo entries and nothing else).
#[test]
fn api_page_run_hashes_the_helper_s_gcc_identity() {
    let Some((go, h)) = helper_with_go("cc-id") else {
        return;
    };
    let (st, info) = h.api("GET", "/api/v1/info", b"");
    assert_eq!(st, 200);
    let info: Value = serde_json::from_slice(&info).unwrap();
    let cc_id = info["go"]["ccId"].as_str().map(str::to_string);
    let gcc = gcc_identity();
    if !go.cgo_enabled || gcc.is_none() {
        assert_eq!(cc_id, None, "no ccId without cgo or gcc: {info}");
        eprintln!("note: cgo is off or gcc absent here; skipping the cgo build");
        return;
    }
    assert_eq!(cc_id, gcc, "{info}");
    let files = vec![
        json!({"path": "go.mod", "text": "module example.com/c\n\ngo 1.23\n"}),
        json!({"path": "main.go", "text": "package main\n\nimport \"example.com/c/calc\"\n\nfunc main() { println(calc.F()) }\n"}),
        json!({"path": "calc/calc.go", "text": "package calc\n\n/*\n#cgo CFLAGS: -DFACTOR=3\nint f(void);\n*/\nimport \"C\"\n\nfunc F() int { return int(C.f()) }\n"}),
        json!({"path": "calc/calc.c", "text": "int f(void) { return 2 * FACTOR; }\n"}),
    ];
    let (ws, p) = page_plan_cc(&files, &go, BuildMode::Build, cc_id.as_deref());
    let mut cache = DirCache::open(MemFs::default());
    let cold = page_run_build(&h, &files, &ws, &p, &mut cache, None, How::Lines);
    assert_eq!(cold.page.exit, 0, "{}", cold.page.transcript);
    let ids: std::collections::HashMap<&str, &str> = cold
        .lines
        .iter()
        .filter(|l| l["type"] == "action")
        .map(|l| (l["key"].as_str().unwrap(), l["buildId"].as_str().unwrap()))
        .collect();
    for key in ["build example.com/c/calc", "build runtime/cgo"] {
        assert!(ids.contains_key(key), "the helper built {key}: {ids:?}");
    }
    let target = cold.page.target.clone();
    let warm = page_run_build(
        &h,
        &files,
        &ws,
        &p,
        &mut cache,
        target.as_deref(),
        How::Lines,
    );
    assert_eq!(warm.page.exit, 0, "{}", warm.page.transcript);
    assert_eq!(warm.run_requests, 0, "a warm build sends nothing");

    // Another gcc: the page's cached cgo entries miss, the rest still hits.
    let other = "gcc version 99.1.0 (elsewhere) ";
    let (ws2, p2) = page_plan_cc(&files, &go, BuildMode::Build, Some(other));
    assert_eq!(p2.digest(), p.digest(), "the plan itself does not change");
    let wf = page_files(&ws2);
    let rec = Record::default();
    // Workers enough for every ready miss at once: all but the cgo packages hit, and the module's
    // waits for runtime/cgo.
    let cfg = workers(16);
    let mut s = Session::new(&p2, &wf, &rec, None, cfg);
    let jobs = s.ready(&mut cache, 0.0);
    let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys, ["build runtime/cgo"], "only cgo misses");
    let action_part = |b: &str| b.split('/').next().unwrap().to_string();
    assert_ne!(
        action_part(&jobs[0].build_id),
        action_part(ids["build runtime/cgo"]),
        "another gcc, another action ID"
    );
}
