//! Edits on our own fixtures, built by the real go 1.23 and by Buildlab's model, compared.
//!
//! For each of `tests/fixtures/{diamond,asm,embed,replace,workspace3}` the sources are copied to
//! a temporary directory and built with `go build -x .` in the fixture's `rundir`
//! (`GOTOOLCHAIN=local GOPROXY=off`, a fresh `GOCACHE` per fixture). Then a sequence of edits is
//! applied (touch, a newline at the end of a leaf, a code byte in a leaf, a comment in a `.s`
//! file, an embedded file, a string in a non-inlinable function body, a body edit that does or
//! does not change how a parameter escapes, ...), each rebuilt with
//! `go build -x`. From every transcript we take the packages compiled (`compile ... -p PKG`),
//! the asm runs and the link runs, and compare them with what the model predicts
//! ([`rebuild::predict`], from the last build's record alone) and runs ([`rebuild::run`]) for
//! the same files, loaded with [`load`] and planned with [`plan`] after every edit. An edit is
//! undone after its build unless the next edit builds on it; the undo builds are compared too.
//!
//! Skipped, with a note, when `/usr/lib/go-1.23/bin/go` is absent. Takes a minute or more: the
//! cold builds compile the standard library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::cache::{MemoryCache, HOUR};
use buildlab_core::load::{load, LoadRequest};
use buildlab_core::plan::{plan, Toolchain};
use buildlab_core::rebuild::{self, BuildReport, Flags, Record};
use buildlab_core::workspace::Workspace;

const GO: &str = "/usr/lib/go-1.23/bin/go";

// ---------------------------------------------------------------------------------------------
// Edits
// ---------------------------------------------------------------------------------------------

enum Op {
    /// Bump the modification time only.
    Touch,
    /// Append bytes at the end of the file.
    Append(&'static str),
    /// Replace the first occurrence of `.0` by `.1`.
    Replace(&'static str, &'static str),
}

struct Edit {
    name: &'static str,
    /// Relative to the fixture's `src`.
    file: &'static str,
    op: Op,
    /// The next edit builds on this one (no undo in between).
    keep: bool,
}

const fn edit(name: &'static str, file: &'static str, op: Op) -> Edit {
    Edit {
        name,
        file,
        op,
        keep: false,
    }
}

/// A non-inlinable function (a `defer` in a loop: cmd/compile does not inline `defer`).
const NOINLINE: &str = "\nfunc Loop(n int) string {\n\ts := \"\"\n\tfor i := 0; i < n; i++ {\n\t\tdefer func() {}()\n\t\ts += \"x\"\n\t}\n\treturn s\n}\n";

/// A non-inlinable function whose parameter's *contents* leak to the heap (go -m: "leaking param
/// content: xs"): the escape tag is in the export data.
const ESCAPING: &str = "\nvar Sink []string\n\nfunc Keep(xs []string) int {\n\tdefer func() {}()\n\tSink = append(Sink[:0], xs...)\n\treturn len(Sink)\n}\n";

fn edits(fixture: &str) -> Vec<Edit> {
    match fixture {
        "diamond" => vec![
            edit("touch-leaf", "c/c.go", Op::Touch),
            edit("newline-leaf", "c/c.go", Op::Append("\n")),
            edit("code-byte-leaf", "c/c.go", Op::Replace("\"c\"", "\"d\"")),
            Edit {
                keep: true,
                ..edit("add-noinline-func-leaf", "c/c.go", Op::Append(NOINLINE))
            },
            edit(
                "string-in-noinline-body",
                "c/c.go",
                Op::Replace("s += \"x\"", "s += \"y\""),
            ),
            edit(
                "code-byte-middle",
                "a/a.go",
                Op::Replace("\"a\" +", "\"A\" +"),
            ),
            Edit {
                keep: true,
                ..edit("add-escaping-func-leaf", "c/c.go", Op::Append(ESCAPING))
            },
            // The body changes, the tag does not: a and b recompile to identical objects.
            Edit {
                keep: true,
                ..edit(
                    "body-edit-same-escape",
                    "c/c.go",
                    Op::Replace("return len(Sink)", "return len(Sink) + 1"),
                )
            },
            // "leaking param content: xs" → "leaking param: xs": c's export data changes, so do
            // a's and b's objects (they record its fingerprint), and main recompiles.
            edit(
                "escape-change-leaf",
                "c/c.go",
                Op::Replace("Sink = append(Sink[:0], xs...)", "Sink = xs"),
            ),
        ],
        "asm" => vec![
            edit("touch-s", "sum/sum_amd64.s", Op::Touch),
            edit(
                "comment-in-s",
                "sum/three_amd64.s",
                Op::Replace("// func Three() int64", "// func Three() int64 (3)"),
            ),
            edit(
                "code-in-s",
                "sum/three_amd64.s",
                Op::Replace("MOVQ $3,", "MOVQ $4,"),
            ),
            edit("newline-leaf-go", "sum/sum.go", Op::Append("\n")),
            edit(
                "comment-in-go",
                "sum/sum.go",
                Op::Replace("// Sum is implemented", "// Sum is written"),
            ),
        ],
        "embed" => vec![
            edit("embedded-file", "greeting.txt", Op::Append("!")),
            edit(
                "embedded-by-glob",
                "static/index.html",
                Op::Replace("<", "<!-- x -->\n<"),
            ),
            edit("not-embedded", "static/notes.txt", Op::Append("more\n")),
            edit("touch-embedded", "greeting.txt", Op::Touch),
            edit(
                "string-in-main",
                "main.go",
                Op::Replace("ReadDir(\"static\")", "ReadDir(\"./static\")"),
            ),
        ],
        "replace" => vec![
            edit("touch-replaced", "third_party/greet/greet.go", Op::Touch),
            edit(
                "newline-leaf",
                "third_party/greet/loud/loud.go",
                Op::Append("\n"),
            ),
            edit(
                "code-byte-leaf",
                "third_party/greet/loud/loud.go",
                Op::Replace("\"!\"", "\"?\""),
            ),
            Edit {
                keep: true,
                ..edit(
                    "add-noinline-func",
                    "third_party/greet/greet.go",
                    Op::Append(NOINLINE),
                )
            },
            edit(
                "string-in-noinline-body",
                "third_party/greet/greet.go",
                Op::Replace("s += \"x\"", "s += \"y\""),
            ),
        ],
        "workspace3" => vec![
            edit("newline-dep-module", "libb/b.go", Op::Append("\n")),
            edit(
                "code-byte-dep-module",
                "libb/b.go",
                Op::Replace("\"b\", \"a\"", "\"c\", \"a\""),
            ),
            edit("touch-dep-module", "liba/a.go", Op::Touch),
            edit(
                "string-in-main",
                "app/main.go",
                Op::Replace("fmt.Println(liba.A()", "fmt.Println(\"app\", liba.A()"),
            ),
        ],
        _ => unreachable!(),
    }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("buildlab-edits-real-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // The module cache and GOCACHE are read-only in places.
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Every source file under `dir`, as workspace paths relative to it (the built binary, which
/// go writes into the run directory, is left out: it is not a source).
fn read_tree(dir: &Path, skip: &Path) -> Workspace {
    fn walk(root: &Path, dir: &Path, skip: &Path, ws: &mut Workspace) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p == skip {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, skip, ws);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                ws.insert(&rel, std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    let mut ws = Workspace::new();
    walk(dir, dir, skip, &mut ws);
    ws
}

fn apply(src: &Path, e: &Edit) {
    let p = src.join(e.file);
    match e.op {
        Op::Touch => {
            let f = std::fs::File::options().write(true).open(&p).unwrap();
            f.set_modified(SystemTime::now() + Duration::from_secs(3600))
                .unwrap();
        }
        Op::Append(s) => {
            let mut data = std::fs::read(&p).unwrap();
            data.extend_from_slice(s.as_bytes());
            std::fs::write(&p, data).unwrap();
        }
        Op::Replace(old, new) => {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(text.contains(old), "{}: {old:?} not found", e.file);
            std::fs::write(&p, text.replacen(old, new, 1)).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The two builds
// ---------------------------------------------------------------------------------------------

/// What a build ran: packages compiled (sorted import paths), asm runs, link runs.
type Ran = (Vec<String>, usize, usize);

/// `go build -x .`, reduced to what it ran. `main` names the main package's import path.
fn real_build(rundir: &Path, gocache: &Path, main: &str) -> Ran {
    let out = Command::new(GO)
        .args(["build", "-x", "."])
        .current_dir(rundir)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOWORK", "off")
        .env("GOENV", "off")
        .env("CGO_ENABLED", "1")
        .env("GOCACHE", gocache)
        .output()
        .expect("run go");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "go build -x failed in {}:\n{stderr}",
        rundir.display()
    );
    let mut compiled = Vec::new();
    let (mut asm, mut link) = (0, 0);
    for line in stderr.lines() {
        // `GOROOT='/usr/lib/go-1.23' .../link -o ...`: environment assignments come first.
        let mut words = line.split_whitespace().skip_while(|w| {
            w.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
            })
        });
        let Some(tool) = words.next() else { continue };
        if tool.ends_with("/compile") {
            let pkg = words
                .skip_while(|w| *w != "-p")
                .nth(1)
                .unwrap_or_else(|| panic!("compile without -p: {line}"));
            compiled.push(if pkg == "main" { main } else { pkg }.to_string());
        } else if tool.ends_with("/asm") {
            asm += 1;
        } else if tool.ends_with("/link") {
            link += 1;
        }
    }
    compiled.sort();
    (compiled, asm, link)
}

/// The model's side: the last build's record, the cache and the binary in place.
struct Model {
    /// The directory the fixture's `src` is shown as (the real temp path).
    display: String,
    cwd: String,
    cache: MemoryCache,
    record: Record,
    target: Option<String>,
    now: i64,
}

impl Model {
    /// Loads and plans `ws`, then predicts and runs the build. Returns (predicted, ran) and
    /// the main package's import path.
    fn build(&mut self, ws: &Workspace) -> (BuildReport, BuildReport, String) {
        let req = LoadRequest {
            cwd: self.cwd.clone(),
            patterns: vec![".".into()],
            module_root_display: self.display.clone(),
            ..LoadRequest::default()
        };
        let loaded = load(ws, &req).unwrap_or_else(|e| panic!("load:\n{e}"));
        let main = loaded
            .input
            .roots
            .iter()
            .map(|&r| &loaded.input.packages[r])
            .find(|p| p.name == "main")
            .map(|p| p.import_path.clone())
            .expect("a main package");
        let p = plan(loaded.input, &Toolchain::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let files = WorkspaceFiles {
            ws,
            root: self.display.clone(),
        };
        let flags = Flags::default();
        let predicted = rebuild::predict(
            &p,
            &files,
            &self.cache,
            &self.record,
            self.target.as_deref(),
            &flags,
        );
        self.now += HOUR / 60;
        let ran = rebuild::run(
            &p,
            &files,
            &mut self.cache,
            &self.record,
            self.target.as_deref(),
            &flags,
            self.now,
        );
        self.record = ran.record.clone();
        self.target = ran.target.clone();
        (predicted, ran, main)
    }
}

fn summary(r: &BuildReport) -> Ran {
    (r.compiled(), r.asm_runs(), r.link_runs())
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// Runs one fixture's cold build and edits; returns one line per comparison and the failures.
fn check_fixture(name: &str) -> (Vec<String>, Vec<String>) {
    let tmp = TempDir::new(name);
    let src = tmp.0.join("src");
    copy_tree(&fixtures_dir().join(name).join("src"), &src);
    let gocache = tmp.0.join("gocache");
    let rundir_rel = std::fs::read_to_string(fixtures_dir().join(name).join("rundir")).unwrap();
    let cwd = rundir_rel
        .trim()
        .trim_start_matches("./")
        .trim_end_matches('/');
    let cwd = if cwd == "." { "" } else { cwd }.to_string();
    let rundir = if cwd.is_empty() {
        src.clone()
    } else {
        src.join(&cwd)
    };
    let mut model = Model {
        display: src.to_string_lossy().into_owned(),
        cwd,
        cache: MemoryCache::new(),
        record: Record::default(),
        target: None,
        now: 1_795_544_806 * 1_000_000_000,
    };
    // The binary go writes into the run directory (named after the module's last element) is
    // not a source: the workspace leaves it out.
    let gomod = std::fs::read_to_string(rundir.join("go.mod")).unwrap();
    let module = gomod
        .lines()
        .find_map(|l| l.strip_prefix("module "))
        .unwrap()
        .trim();
    let binary = rundir.join(module.rsplit('/').next().unwrap());

    let mut log = Vec::new();
    let mut failures = Vec::new();
    let mut step = |what: &str, model: &mut Model| {
        let ws = read_tree(&src, &binary);
        let (predicted, ran, main) = model.build(&ws);
        let real = real_build(&rundir, &gocache, &main);
        let (p, r) = (summary(&predicted), summary(&ran));
        log.push(format!(
            "{name} {what}: go {:?} asm {} link {}",
            real.0, real.1, real.2
        ));
        // The cold build has no record to predict from: its prediction is the cold set as well.
        if r != real {
            failures.push(format!(
                "{name} {what}: real go compiled {:?}, asm {}, link {}; model ran {:?}, asm {}, link {}",
                real.0, real.1, real.2, r.0, r.1, r.2
            ));
        }
        if p != r {
            failures.push(format!(
                "{name} {what}: model predicted {:?}, asm {}, link {}; ran {:?}, asm {}, link {}",
                p.0, p.1, p.2, r.0, r.1, r.2
            ));
        }
        for key in ran
            .actions
            .iter()
            .filter(|a| a.outcome.ran() && what != "cold")
            .map(|a| a.key.clone())
        {
            log.push(format!(
                "    why {key}: {}",
                ran.explain(&key).lines().next().unwrap_or("")
            ));
        }
    };

    step("cold", &mut model);
    step("warm no-op", &mut model);
    let original: Vec<(String, Vec<u8>)> = {
        let ws = read_tree(&src, &binary);
        ws.iter()
            .map(|(p, d)| (p.to_string(), d.to_vec()))
            .collect()
    };
    let mut pending_undo = false;
    for e in edits(name) {
        apply(&src, &e);
        pending_undo = true;
        step(e.name, &mut model);
        if !e.keep {
            for (p, d) in &original {
                let path = src.join(p);
                if std::fs::read(&path).ok().as_deref() != Some(d.as_slice()) {
                    std::fs::write(&path, d).unwrap();
                }
            }
            step(&format!("undo {}", e.name), &mut model);
            pending_undo = false;
        }
    }
    assert!(!pending_undo, "{name}: the last edit keeps its change");
    (log, failures)
}

#[test]
fn edits_on_fixtures_match_the_real_go() {
    if !Path::new(GO).exists() {
        eprintln!("note: {GO} absent; skipping the real-go edit comparison");
        return;
    }
    let mut failures = Vec::new();
    for name in ["diamond", "asm", "embed", "replace", "workspace3"] {
        let (log, f) = check_fixture(name);
        for l in log {
            eprintln!("{l}");
        }
        failures.extend(f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
