//! The loader's errors against the real go 1.23.5: every `go build` case of
//! `shared/oracle/errors.txt`, loaded from its module in `shared/oracle/src/errs/NAME` and
//! compared byte for byte with what go printed. Cases whose error comes from the compiler (a type
//! error, a syntax error in a function body) must load cleanly. Skipped, with a note, when the
//! oracle is absent.

use std::path::PathBuf;

use buildlab_core::load::{load, LoadRequest, Loaded};

mod common;
use common::read_tree;

fn oracle() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracle");
    if p.join("errors.txt").is_file() {
        Some(p)
    } else {
        eprintln!("note: {} absent; skipping", p.display());
        None
    }
}

/// One `$ (cd NAME && go build ARGS)` of errors.txt with its output and exit status.
struct Case {
    module: String,
    args: Vec<String>,
    output: String,
    status: i32,
}

fn cases(text: &str) -> Vec<Case> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(cmd) = line.strip_prefix("$ (cd ") else {
            continue;
        };
        let Some((module, rest)) = cmd.split_once(" && ") else {
            continue;
        };
        let Some(args) = rest
            .strip_suffix(')')
            .and_then(|r| r.strip_prefix("go build "))
        else {
            continue;
        };
        let mut output = Vec::new();
        let mut status = -1;
        for l in lines.by_ref() {
            if let Some(s) = l
                .strip_prefix("[exit status ")
                .and_then(|s| s.strip_suffix(']'))
            {
                status = s.parse().unwrap();
                break;
            }
            output.push(l);
        }
        out.push(Case {
            module: module.to_string(),
            args: args.split_whitespace().map(str::to_string).collect(),
            output: output.join("\n"),
            status,
        });
    }
    out
}

#[test]
fn every_go_build_case_of_errors_txt() {
    let Some(oracle) = oracle() else { return };
    let text = std::fs::read_to_string(oracle.join("errors.txt")).unwrap();
    let cases = cases(&text);
    assert!(
        cases.len() >= 32,
        "only {} go build cases found",
        cases.len()
    );
    let mut failures = Vec::new();
    for c in &cases {
        if c.args.iter().any(|a| a.starts_with('-')) {
            continue; // `go build -x`: a transcript, not a load result
        }
        let ws = read_tree(&oracle.join("src/errs").join(&c.module));
        let req = LoadRequest {
            cwd: String::new(),
            patterns: c.args.clone(),
            module_root_display: format!("/tmp/gooracle/errs/{}", c.module),
            ..LoadRequest::default()
        };
        let what = format!("(cd {} && go build {})", c.module, c.args.join(" "));
        let compiler_error = c.output.starts_with("# ");
        match load(&ws, &req) {
            Ok(l) => {
                let warnings = l.warnings.join("\n");
                if c.status != 0 && !compiler_error {
                    failures.push(format!("{what}: loaded, want:\n{}", c.output));
                } else if !compiler_error && warnings != c.output {
                    failures.push(format!("{what}: warnings\n{warnings}\nwant:\n{}", c.output));
                }
            }
            Err(e) => {
                let got = e.to_string();
                if compiler_error || c.status == 0 {
                    failures.push(format!("{what}: load failed, want success:\n{got}"));
                } else if got != c.output {
                    failures.push(format!("{what}:\n--- got\n{got}\n--- want\n{}", c.output));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The located errors carry the workspace file and position the text names.
#[test]
fn errors_are_located() {
    let Some(oracle) = oracle() else { return };
    let ws = read_tree(&oracle.join("src/errs/missing"));
    let req = LoadRequest {
        module_root_display: "/tmp/gooracle/errs/missing".into(),
        ..LoadRequest::default()
    };
    let e = load(&ws, &req).unwrap_err();
    let loc = e.errors[0].location.clone().expect("a location");
    assert_eq!((loc.path.as_str(), loc.line, loc.col), ("main.go", 3, 8));
}

/// Imports go refuses before it looks anywhere (cmd/go's `loadPackageData` and modload's
/// `importFromModules`), and the importer-side checks of relative and vendored imports: each
/// a one-file module `example.com/m` whose main.go imports the path on line 3, column 8. The
/// wanted texts are go 1.23.5's (`go build` with `GOPROXY=off`), printed by the real toolchain.
#[test]
fn refused_import_paths_are_go_s() {
    use buildlab_core::workspace::Workspace;
    let cases: &[(&str, &str)] = &[
        (
            "fmt@v1",
            "package example.com/m\n\timports fmt@v1: can only use path@version syntax with \
             'go get' and 'go install' in module-aware mode",
        ),
        (
            "mod/x",
            "package example.com/m\n\timports mod/x: disallowed import path \"mod/x\"",
        ),
        (
            "/abs/x",
            "main.go:3:8: \"/abs/x\" is not a package path; see 'go help packages'",
        ),
        (
            "std",
            "main.go:3:8: \"std\" is not an importable package; see 'go help packages'",
        ),
        (
            "example.com//m",
            "main.go:3:8: malformed import path \"example.com//m\": double slash",
        ),
        (
            "-x",
            "main.go:3:8: malformed import path \"-x\": leading dash",
        ),
        (
            "internal/abi/",
            "main.go:3:8: malformed import path \"internal/abi/\": trailing slash",
        ),
        (
            "a/b.",
            "main.go:3:8: malformed import path \"a/b.\": trailing dot in path element",
        ),
        (
            "COM1/x",
            "main.go:3:8: malformed import path \"COM1/x\": \"COM1\" disallowed as path element \
             component on Windows",
        ),
        (
            "x~1/y",
            "main.go:3:8: malformed import path \"x~1/y\": trailing tilde and digits in path \
             element",
        ),
        (
            "../x",
            "main.go:3:8: \"../x\" is relative, but relative import paths are not supported in \
             module mode\nmain.go:3:8: local import \"../x\" in non-local package",
        ),
        (
            ".",
            "main.go:3:8: \".\" is relative, but relative import paths are not supported in \
             module mode\nmain.go:3:8: .: cannot import current directory",
        ),
        (
            "vendor/golang.org/x/net/idna",
            "main.go:3:8: use of vendored package not allowed",
        ),
        (
            "example.com/m/vendor/v",
            "main.go:3:8: example.com/m/vendor/v must be imported as v",
        ),
        // Allowed in an import path (not in a module path): a `+`, an element's leading dot.
        (
            "example.com/m/a+b",
            "main.go:3:8: no required module provides package example.com/m/a+b; to add it:\n\
             \tgo get example.com/m/a+b",
        ),
        (
            "example.com/m/.hid",
            "main.go:3:8: no required module provides package example.com/m/.hid; to add it:\n\
             \tgo get example.com/m/.hid",
        ),
    ];
    for (path, want) in cases {
        let mut ws = Workspace::new();
        ws.insert("go.mod", "module example.com/m\n\ngo 1.23\n")
            .unwrap();
        let main = format!("package main\n\nimport _ \"{path}\"\n\nfunc main() {{}}\n");
        ws.insert("main.go", main).unwrap();
        if path.contains("/vendor/") {
            ws.insert("vendor/v/v.go", "package v\n").unwrap();
        }
        let req = LoadRequest {
            module_root_display: "/tmp/m".into(),
            ..LoadRequest::default()
        };
        match load(&ws, &req) {
            Ok(_) => panic!("{path}: loaded, want:\n{want}"),
            Err(e) => assert_eq!(e.to_string(), *want, "import {path:?}"),
        }
    }
}

/// What go 1.23.5 (run with `GOTOOLCHAIN=local`, as the oracle is) says of a module whose
/// `go` line is newer than itself, of `godebug` lines it does not know, and of C files in a
/// package without cgo; each a module `example.com/m` with a main package, the wanted text
/// printed by the real go command.
#[test]
fn go_mod_versions_godebugs_and_foreign_sources_are_go_s() {
    const MAIN: &str = "package main\n\nfunc main() {}\n";
    let cases: &[(&[(&str, &str)], &str, &str)] = &[
        (
            &[("go.mod", "module example.com/m\n\ngo 1.23.9\n")],
            "",
            "go: go.mod requires go >= 1.23.9 (running go 1.23.5; GOTOOLCHAIN=local)",
        ),
        (
            &[("go.mod", "module example.com/m\n\ngo 1.24rc1\n")],
            "",
            "go: go.mod requires go >= 1.24rc1 (running go 1.23.5; GOTOOLCHAIN=local)",
        ),
        // Before the missing module line; after the parse errors.
        (
            &[("go.mod", "go 1.99\n")],
            "",
            "go: go.mod requires go >= 1.99 (running go 1.23.5; GOTOOLCHAIN=local)",
        ),
        (
            &[("go.mod", "module example.com/m\n\ngo 1.99\n\nfoo bar\n")],
            "",
            "go: errors parsing go.mod:\ngo.mod:5: unknown directive: foo",
        ),
        // From a subdirectory: go.mod's short path.
        (
            &[("go.mod", "module example.com/m\n\ngo 1.99\n")],
            "sub",
            "go: ../go.mod requires go >= 1.99 (running go 1.23.5; GOTOOLCHAIN=local)",
        ),
        // A replaced dependency's `go` line (from go1.21 a requirement), named as written.
        (
            &[
                (
                    "go.mod",
                    "module example.com/m\n\ngo 1.23\n\nrequire example.com/d v0.0.0\n\n\
                     replace example.com/d => ./d\n",
                ),
                ("d/go.mod", "module example.com/d\n\ngo 1.99\n"),
                ("d/d.go", "package d\n"),
            ],
            "",
            "go: module ./d requires go >= 1.99 (running go 1.23.5; GOTOOLCHAIN=local)",
        ),
        (
            &[(
                "go.mod",
                "module example.com/m\n\ngo 1.23\n\ngodebug nosuch=1\n",
            )],
            "",
            "go: error loading go.mod:\ngo.mod:5: unknown godebug \"nosuch\"",
        ),
        (
            &[(
                "go.mod",
                "module example.com/m\n\ngo 1.23\n\ngodebug (\n\ta=1\n\tdefault=go1.99\n\t\
                 panicnil=1\n\tdefault=go1.21\n\tasynctimerchan=x\n)\n",
            )],
            "",
            "go: error loading go.mod:\ngo.mod:6: unknown godebug \"a\"\ngo: error loading \
             go.mod:\ngo.mod:7: default=go1.99 too new (toolchain is go1.23.5)",
        ),
        // Accepted: a newer toolchain line alone, an older pre-release, known settings.
        (
            &[(
                "go.mod",
                "module example.com/m\n\ngo 1.23rc1\n\ntoolchain go1.99.1\n\ngodebug (\n\t\
                 panicnil=1\n\tdefault=go1.21\n)\n",
            )],
            "",
            "",
        ),
        (
            &[
                ("go.mod", "module example.com/m\n\ngo 1.23\n"),
                ("x.c", "int x;\n"),
            ],
            "",
            "package example.com/m: C source files not allowed when not using cgo or SWIG: x.c",
        ),
        (
            &[
                ("go.mod", "module example.com/m\n\ngo 1.23\n"),
                ("imp.go", "package main\n\nimport _ \"example.com/m/c\"\n"),
                ("c/c.go", "package c\n"),
                ("c/x.c", "int x;\n"),
                ("c/y.cc", "int y;\n"),
            ],
            "",
            "package example.com/m\n\timports example.com/m/c: C source files not allowed when \
             not using cgo or SWIG: x.c",
        ),
    ];
    for (files, cwd, want) in cases {
        let main = if cwd.is_empty() {
            "main.go".to_string()
        } else {
            format!("{cwd}/main.go")
        };
        let mut files = files.to_vec();
        files.push((&main, MAIN));
        let req = LoadRequest {
            cwd: cwd.to_string(),
            module_root_display: "/tmp/m".into(),
            ..LoadRequest::default()
        };
        assert_eq!(load_error(&files, &req), *want, "{files:?}");
    }
}

/// What loading `files` with `req` prints: go's errors, or nothing when it loads.
fn load_error(files: &[(&str, &str)], req: &LoadRequest) -> String {
    let mut ws = buildlab_core::workspace::Workspace::new();
    for (path, text) in files {
        ws.insert(path, *text).unwrap();
    }
    load(&ws, req)
        .err()
        .map_or_else(String::new, |e| e.to_string())
}

/// Import-path wildcards reach std as cmd/go's matchPackages does (`net/http/...`, sorted; not
/// std's vendored packages unless the pattern names `vendor/…` past `vendor/...`; not a
/// directory with nothing to build for the target), and one that matches nothing is a warning,
/// not an error: `go build` then builds nothing and succeeds. The lists are go 1.23.5's (its
/// `go build -n` of each pattern builds exactly these).
#[test]
fn std_wildcards_match_as_go_s() {
    use buildlab_core::plan::{plan, Toolchain};
    use buildlab_core::workspace::Workspace;
    let mut ws = Workspace::new();
    ws.insert("go.mod", "module example.com/m\n\ngo 1.23\n")
        .unwrap();
    ws.insert("main.go", "package main\n\nfunc main() {}\n")
        .unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "net/http/...",
            &[
                "net/http",
                "net/http/cgi",
                "net/http/cookiejar",
                "net/http/fcgi",
                "net/http/httptest",
                "net/http/httptrace",
                "net/http/httputil",
                "net/http/internal",
                "net/http/internal/ascii",
                "net/http/internal/testcert",
                "net/http/pprof",
            ],
            "",
        ),
        (
            "runtime/internal/...",
            &[
                "runtime/internal/math",
                "runtime/internal/startlinetest",
                "runtime/internal/sys",
            ],
            "",
        ),
        (
            "vendor/golang.org/x/text/...",
            &[
                "vendor/golang.org/x/text/secure/bidirule",
                "vendor/golang.org/x/text/transform",
                "vendor/golang.org/x/text/unicode/bidi",
                "vendor/golang.org/x/text/unicode/norm",
            ],
            "",
        ),
        (
            "vendor/...",
            &[],
            "go: warning: \"vendor/...\" matched no packages",
        ),
        (
            "std/...",
            &[],
            "go: warning: \"std/...\" matched no packages",
        ),
    ];
    for (pattern, want, warning) in cases {
        let req = LoadRequest {
            patterns: vec![pattern.to_string()],
            module_root_display: "/tmp/m".into(),
            ..LoadRequest::default()
        };
        let loaded = load(&ws, &req).unwrap();
        let roots = root_paths(&loaded);
        assert_eq!(roots, *want, "{pattern}");
        assert_eq!(loaded.warnings.join("\n"), *warning, "{pattern}");
        // Nothing matched: nothing to build, and no error.
        let p = plan(loaded.input, &Toolchain::default()).unwrap();
        assert_eq!(p.len() > 1, !want.is_empty(), "{pattern}");
    }
    // `std`: every std package, std's vendored ones included (go list std: 305 on linux/amd64
    // with cgo, 304 without: no runtime/cgo), less the four with only test files, which go
    // build leaves out (omitTestOnly); `go build -n std`'s transcript is go's line for line
    // (5,965 and 5,554 lines, checked by hand).
    for (cgo, count) in [(true, 301), (false, 300)] {
        let mut req = LoadRequest {
            patterns: vec!["std".into()],
            module_root_display: "/tmp/m".into(),
            ..LoadRequest::default()
        };
        req.ctx.cgo_enabled = cgo;
        let loaded = load(&ws, &req).unwrap();
        let roots = root_paths(&loaded);
        assert_eq!(roots.len(), count, "std with cgo {cgo}");
        assert_eq!(roots.first(), Some(&"archive/tar"));
        assert_eq!(roots.last(), Some(&"vendor/golang.org/x/text/unicode/norm"));
        assert_eq!(roots.contains(&"runtime/cgo"), cgo);
        assert!(roots.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
        assert!(!roots.contains(&"embed/internal/embedtest"));
    }
    // A std package with only test files: matched (no warning), not built; named, it loads and
    // its build action fails with go's words (core/tests/build.rs).
    let load_one = |pattern: &str| {
        let req = LoadRequest {
            patterns: vec![pattern.into()],
            module_root_display: "/tmp/m".into(),
            ..LoadRequest::default()
        };
        load(&ws, &req)
    };
    let matched = load_one("embed/internal/...").unwrap();
    assert!(matched.input.roots.is_empty() && matched.warnings.is_empty());
    let named = load_one("embed/internal/embedtest").unwrap();
    assert_eq!(
        named.input.packages[named.input.roots[0]].build_error(),
        Some("embed/internal/embedtest: no non-test Go files in /usr/lib/go-1.23/src/embed/internal/embedtest")
    );
}

/// `go build a.go b.go` and patterns written as paths, each answered as go 1.23.5 answers it
/// (probed with `go build -n` on this module): the files' package `command-line-arguments` or
/// go's words for what it refuses, and paths cleaned, absolute, or climbing out of the module and
/// back (`../m/util`), resolved to the same packages. (The named files' plan, transcript and
/// action graph are the `cmdfiles` fixture's.)
#[test]
fn named_files_and_path_patterns_are_go_s() {
    use buildlab_core::workspace::Workspace;
    let mut ws = Workspace::new();
    for (path, text) in [
        ("go.mod", "module example.com/m\n\ngo 1.23\n"),
        (
            "main.go",
            "package main\n\nimport \"example.com/m/util\"\n\nfunc main() { util.Hi() }\n",
        ),
        ("extra.go", "package main\n"),
        ("dup/a.go", "package dup\n"),
        ("dup/A.go", "package dup\n"),
        ("util/util.go", "package util\n\nfunc Hi() {}\n"),
        ("util/u.go.d/x.txt", "a directory named like a Go file\n"),
        (
            "cmd/c.go",
            "package main\n\nimport _ \"example.com/m/internal/sec\"\n\nfunc main() {}\n",
        ),
        ("internal/sec/s.go", "package sec\n"),
        ("nested/go.mod", "module example.com/nested\n\ngo 1.23\n"),
        ("nested/n.go", "package main\n\nfunc main() {}\n"),
    ] {
        ws.insert(path, text).unwrap();
    }
    let run = |cwd: &str, args: &[&str]| {
        let req = LoadRequest {
            cwd: cwd.into(),
            patterns: args.iter().map(|a| a.to_string()).collect(),
            module_root_display: "/home/gopher/m".into(),
            ..LoadRequest::default()
        };
        match load(&ws, &req) {
            Ok(l) => root_paths(&l).join(" "),
            Err(e) => e.to_string(),
        }
    };
    let cases: &[(&str, &[&str], &str)] = &[
        ("", &["main.go", "extra.go"], "command-line-arguments"),
        ("", &["./main.go"], "command-line-arguments"),
        ("", &["/home/gopher/m/main.go"], "command-line-arguments"),
        ("util", &["../main.go", "../extra.go"], "command-line-arguments"),
        ("", &["cmd/c.go"], "command-line-arguments"),
        ("", &["nested/n.go"], "command-line-arguments"),
        ("", &["main.go", "foo"], "named files must be .go files: foo"),
        ("", &["main.go", "nosuch.go"], "stat nosuch.go: no such file or directory"),
        ("", &["main.go", "util/u.go.d"], "named files must be .go files: util/u.go.d"),
        ("", &["main.go", "util"], "named files must be .go files: util"),
        (
            "",
            &["main.go", "util/util.go"],
            "named files must all be in one directory; have . and util",
        ),
        (
            "",
            &["main.go", "../m/extra.go"],
            "named files must all be in one directory; have . and ../m",
        ),
        (
            "",
            &["main.go", "main.go"],
            "package command-line-arguments: case-insensitive file name collision: \"main.go\" and \"main.go\"",
        ),
        (
            "",
            &["dup/a.go", "dup/A.go"],
            "package command-line-arguments: case-insensitive file name collision: \"A.go\" and \"a.go\"",
        ),
        // Not a file: a package path that ends in .go.
        (
            "",
            &["nosuch.go"],
            "no required module provides package nosuch.go; to add it:\n\tgo get nosuch.go",
        ),
        ("", &["util/"], "package util is not in std (/usr/lib/go-1.23/src/util)"),
        ("", &["./util/", "example.com/m//util/."], "example.com/m/util"),
        ("", &["../m/util"], "example.com/m/util"),
        ("", &["/home/gopher/m/util/"], "example.com/m/util"),
        ("util", &["../u..."], "example.com/m/util"),
        ("", &["./u..."], "example.com/m/util"),
        (
            "util",
            &["/home/gopher/m/util/../i...", "../c..."],
            "example.com/m/internal/sec example.com/m/cmd",
        ),
        (
            "",
            &["/home/gopher/..."],
            "pattern /home/gopher/...: directory prefix .. does not contain main module or its selected dependencies",
        ),
        (
            "",
            &["./nested/..."],
            "pattern ./nested/...: directory prefix nested does not contain main module or its selected dependencies",
        ),
        ("", &["./nosuch/..."], "pattern ./nosuch/...: lstat ./nosuch/: no such file or directory"),
    ];
    for (cwd, args, want) in cases {
        assert_eq!(
            run(cwd, args),
            *want,
            "go build {} (in ./{cwd})",
            args.join(" ")
        );
    }
}

/// Outside any module (no go.mod here or above) go 1.23.5 still builds std's packages and named
/// files, and refuses what needs a main module in modload's words (each text taken from go run in
/// a directory without go.mod).
#[test]
fn outside_a_module_std_and_named_files_build_as_go_s() {
    use buildlab_core::workspace::Workspace;
    let mut ws = Workspace::new();
    for (path, text) in [
        (
            "main.go",
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println() }\n",
        ),
        (
            "imp.go",
            "package main\n\nimport _ \"example.com/x\"\nimport _ \"./sub\"\n\nfunc main() {}\n",
        ),
        ("sub/s.go", "package main\n\nfunc main() {}\n"),
    ] {
        ws.insert(path, text).unwrap();
    }
    let run = |args: &[&str]| {
        let req = LoadRequest {
            patterns: args.iter().map(|a| a.to_string()).collect(),
            module_root_display: "/home/gopher/nomod".into(),
            ..LoadRequest::default()
        };
        match load(&ws, &req) {
            Ok(l) => {
                assert!(l.input.modules.is_empty(), "{args:?}");
                assert_eq!(l.input.default_godebug, "", "{args:?}");
                root_paths(&l).join(" ")
            }
            Err(e) => e.to_string(),
        }
    };
    let no_gomod =
        "go.mod file not found in current directory or any parent directory; see 'go help modules'";
    let cases: &[(&[&str], String)] = &[
        (&["main.go"], "command-line-arguments".into()),
        (&["fmt"], "fmt".into()),
        (&["."], format!("go: {no_gomod}")),
        (&["./sub"], format!("go: {no_gomod}")),
        (
            &["./..."],
            "pattern ./...: directory prefix . does not contain main module or its selected dependencies".into(),
        ),
        (
            &["example.com/x"],
            format!("no required module provides package example.com/x: {no_gomod}"),
        ),
        (
            &["imp.go"],
            format!(
                "imp.go:4:8: \"./sub\" is relative, but relative import paths are not supported in module mode\n\
                 imp.go:3:8: no required module provides package example.com/x: {no_gomod}"
            ),
        ),
    ];
    for (args, want) in cases {
        assert_eq!(run(args), *want, "go build {}", args.join(" "));
    }
}

/// The import paths of the packages the command line named, in order.
fn root_paths(l: &Loaded) -> Vec<&str> {
    l.input
        .roots
        .iter()
        .map(|&r| l.input.packages[r].import_path.as_str())
        .collect()
}

/// `-mod` as go 1.23.5 takes it (each text checked with `go build -n ARGS .` in the module): a
/// value it does not know is refused after every flag is parsed (exit 1); a missing package is
/// reported in the words of the mode go settled on (and why, when a vendor directory was there
/// to consider); vendor mode, given or chosen for a `go 1.14`+ module with a `vendor`
/// directory, first checks the requirements and replacements against `vendor/modules.txt`.
/// Buildlab builds no vendored modules: a vendor directory with any in it is refused in so many
/// words.
#[test]
fn mod_flag_and_vendor_directories_are_go_s() {
    use buildlab_core::goflags::BuildFlags;
    let flags =
        |args: &[&str]| BuildFlags::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    for (args, want) in [
        (
            &["-mod=bogus", "."][..],
            "-mod=bogus not supported (can be '', 'mod', 'readonly', or 'vendor')",
        ),
        (
            &["-mod", "."],
            "-mod=. not supported (can be '', 'mod', 'readonly', or 'vendor')",
        ),
        (
            &["-p", "0", "-mod=bogus", "."],
            "-mod=bogus not supported (can be '', 'mod', 'readonly', or 'vendor')",
        ),
    ] {
        let e = flags(args).unwrap_err();
        assert_eq!((e.0.as_str(), e.1), (want, 1), "{args:?}");
    }
    // A usage error anywhere on the line comes first (go parses every flag before it checks).
    assert_eq!(flags(&["-mod=bogus", "-zzz", "."]).unwrap_err().1, 2);
    assert_eq!(flags(&["-p", "0", "-zzz", "."]).unwrap_err().1, 2);

    const MISSING: &str =
        "package main\n\nimport \"example.com/nope\"\n\nfunc main() { nope.F() }\n";
    const GO123: &str = "module example.com/hello\n\ngo 1.23.5\n";
    const REPLACE: &str = "module example.com/replace\n\ngo 1.22\n\nrequire example.com/greet v1.2.3\n\nreplace example.com/greet v1.2.3 => ./greet\n";
    let inconsistent = "go: inconsistent vendoring in /tmp/m:\n\
        \texample.com/greet@v1.2.3: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt\n\
        \texample.com/greet@v1.2.3: is replaced in go.mod, but not marked as replaced in vendor/modules.txt\n\n\
        \tTo ignore the vendor directory, use -mod=readonly or -mod=mod.\n\
        \tTo sync the vendor directory, run:\n\t\tgo mod vendor";
    let greet = [
        ("greet/go.mod", "module example.com/greet\n\ngo 1.18\n"),
        ("greet/greet.go", "package greet\n\nfunc Hi() {}\n"),
        (
            "main.go",
            "package main\n\nimport \"example.com/greet\"\n\nfunc main() { greet.Hi() }\n",
        ),
    ];
    let replace113 = REPLACE.replace("go 1.22", "go 1.13");
    let cases: Vec<(Vec<(&str, &str)>, &[&str], &str)> = vec![
        (vec![("go.mod", GO123), ("main.go", MISSING)], &[], "main.go:3:8: no required module provides package example.com/nope; to add it:\n\tgo get example.com/nope"),
        (vec![("go.mod", GO123), ("main.go", MISSING)], &["-mod=readonly"], "main.go:3:8: cannot find module providing package example.com/nope: import lookup disabled by -mod=readonly"),
        (vec![("go.mod", GO123), ("main.go", MISSING)], &["-mod=vendor"], "main.go:3:8: cannot find module providing package example.com/nope: import lookup disabled by -mod=vendor"),
        (vec![("go.mod", GO123), ("main.go", MISSING)], &["-mod=mod"], "go: finding module for package example.com/nope\nmain.go:3:8: cannot find module providing package example.com/nope: module lookup disabled by GOPROXY=off"),
        // A vendor directory (an empty modules.txt): used from go 1.14, and said so.
        (vec![("go.mod", GO123), ("main.go", MISSING), ("vendor/modules.txt", "")], &[], "main.go:3:8: cannot find module providing package example.com/nope: import lookup disabled by -mod=vendor\n\t(Go version in go.mod is at least 1.14 and vendor directory exists.)"),
        (vec![("go.mod", "module example.com/hello\n\ngo 1.13\n"), ("main.go", MISSING), ("vendor/modules.txt", "")], &[], "main.go:3:8: cannot find module providing package example.com/nope: import lookup disabled by -mod=readonly\n\t(Go version in go.mod is 1.13, so vendor directory was not used.)"),
        (vec![("go.mod", "module example.com/hello\n"), ("main.go", MISSING), ("vendor/modules.txt", "")], &[], "main.go:3:8: cannot find module providing package example.com/nope: import lookup disabled by -mod=readonly\n\t(Go version in go.mod is unspecified, so vendor directory was not used.)"),
        (vec![("go.mod", GO123), ("main.go", MISSING), ("vendor/modules.txt", "")], &["-mod=mod"], "go: finding module for package example.com/nope\nmain.go:3:8: cannot find module providing package example.com/nope: module lookup disabled by GOPROXY=off"),
        // Requirements and replacements an empty vendor directory does not list.
        ([greet.to_vec(), vec![("go.mod", REPLACE)]].concat(), &["-mod=vendor"], inconsistent),
        ([greet.to_vec(), vec![("go.mod", REPLACE), ("vendor/modules.txt", "\n")]].concat(), &[], inconsistent),
        ([greet.to_vec(), vec![("go.mod", REPLACE), ("vendor/modules.txt", "")]].concat(), &["-mod=mod"], ""),
        ([greet.to_vec(), vec![("go.mod", REPLACE)]].concat(), &["-mod=readonly"], ""),
        // Before go 1.14 nothing is checked; the import is then not looked up.
        ([greet.to_vec(), vec![("go.mod", replace113.as_str())]].concat(), &["-mod=vendor"], "main.go:3:8: cannot find module providing package example.com/greet: import lookup disabled by -mod=vendor"),
        // A required module without a directory: -mod=mod downloads it, in vain.
        (vec![("go.mod", "module example.com/hello\n\ngo 1.23.5\n\nrequire example.com/x v1.0.0\n"), ("main.go", "package main\n\nimport \"example.com/x\"\n\nfunc main() { x.F() }\n")], &["-mod=mod"], "go: downloading example.com/x v1.0.0\nmain.go:3:8: module lookup disabled by GOPROXY=off"),
        // Vendored modules: Buildlab's own refusal.
        ([greet.to_vec(), vec![("go.mod", REPLACE), ("vendor/modules.txt", "# example.com/greet v1.2.3 => ./greet\n## explicit\n")]].concat(), &[], "buildlab: -mod=vendor: vendor/modules.txt lists vendored modules, and Buildlab does not build from a vendor directory; build with -mod=mod or -mod=readonly"),
        (vec![("go.mod", GO123), ("main.go", "package main\n\nimport \"v\"\n\nfunc main() { v.F() }\n"), ("vendor/v/v.go", "package v\n\nfunc F() {}\n")], &[], "go: ignoring package v which exists in the vendor directory but is missing from vendor/modules.txt. To sync the vendor directory run go mod vendor.\nmain.go:3:8: package v is not in std (/usr/lib/go-1.23/src/v)"),
    ];
    for (files, args, want) in &cases {
        let mut argv: Vec<&str> = args.to_vec();
        argv.push(".");
        let f = flags(&argv).unwrap();
        let req = LoadRequest {
            patterns: f.patterns.clone(),
            module_root_display: "/tmp/m".into(),
            settings: f.settings.clone(),
            ..LoadRequest::default()
        };
        assert_eq!(load_error(files, &req), *want, "{files:?} {args:?}");
    }
}

/// Patterns and imports that reach packages Buildlab has no data for are refused in so many
/// words (go would build the go command's own packages, or follow test files' imports for
/// `all`), rather than answered with an error go never gives.
#[test]
fn cmd_packages_and_all_are_refused_in_so_many_words() {
    use buildlab_core::workspace::Workspace;
    let mut ws = Workspace::new();
    ws.insert("go.mod", "module example.com/m\n\ngo 1.23\n")
        .unwrap();
    ws.insert("main.go", "package main\n\nfunc main() {}\n")
        .unwrap();
    ws.insert("c/c.go", "package c\n\nimport _ \"cmd/internal/obj\"\n")
        .unwrap();
    let no_cmd = "Buildlab's std graph (go1.23.5) has the standard library's packages, not the go command's own (cmd/...)";
    for (pat, want) in [
        ("cmd", format!("buildlab: cmd: {no_cmd}")),
        ("cmd/go", format!("buildlab: cmd/go: {no_cmd}")),
        ("cmd/...", format!("buildlab: cmd/...: {no_cmd}")),
        ("...", format!("buildlab: ...: {no_cmd}")),
        ("all", "buildlab: all: Buildlab does not expand `all` (the main module's packages, their imports and their tests' imports); name the packages, or ./...".to_string()),
        ("./c", format!("c/c.go:3:8: buildlab: cmd/internal/obj: {no_cmd}")),
    ] {
        let req = LoadRequest {
            patterns: vec![pat.to_string()],
            module_root_display: "/tmp/m".into(),
            ..LoadRequest::default()
        };
        let e = load(&ws, &req).err().unwrap_or_else(|| panic!("{pat}: loaded"));
        assert_eq!(e.to_string(), want, "{pat}");
    }
}
