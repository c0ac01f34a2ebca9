//! The simulated compiler's checks (`buildlab_core::syntax`) over code that compiles: every
//! non-test file of the installed go 1.23's standard library and commands, package by package
//! as `go list std cmd` gives them (linux/amd64, the std graph's target: its exported names are
//! checked the same way). Each check is meant to report only what cmd/compile
//! certainly reports, so any report here is a false one (a learner's correct program failing
//! in the simulation). Skipped, with a note, when `/usr/lib/go-1.23/bin/go` is absent.

use std::collections::HashMap;
use std::process::Command;

use buildlab_core::syntax;

const GO: &str = "/usr/lib/go-1.23/bin/go";

struct Package {
    path: String,
    name: String,
    /// `./name` as the compiler is given it, and the bytes.
    files: Vec<(String, Vec<u8>)>,
}

fn go_list() -> Option<Vec<Package>> {
    if !std::path::Path::new(GO).exists() {
        eprintln!("note: {GO} not installed; the checks were not run over go's own sources");
        return None;
    }
    let out = Command::new(GO)
        .args([
            "list",
            "-e",
            "-f",
            "{{.ImportPath}}\t{{.Name}}\t{{.Dir}}\t{{join .GoFiles \" \"}} {{join .CgoFiles \" \"}}",
            "std",
            "cmd",
        ])
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .output()
        .expect("go list runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let packages: Vec<Package> = text
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let [path, name, dir, files] = f[..] else {
                return None;
            };
            let files = files
                .split(' ')
                .filter(|f| !f.is_empty())
                .map(|f| {
                    (
                        format!("./{f}"),
                        std::fs::read(format!("{dir}/{f}")).unwrap(),
                    )
                })
                .collect();
            Some(Package {
                path: path.to_string(),
                name: name.to_string(),
                files,
            })
        })
        .collect();
    assert!(
        packages.len() > 500,
        "go list std cmd: {} packages",
        packages.len()
    );
    Some(packages)
}

// Two halves, run side by side.
#[test]
fn no_check_reports_anything_in_std() {
    no_check_reports_anything(|path| !path.starts_with("cmd"));
}

#[test]
fn no_check_reports_anything_in_cmd() {
    no_check_reports_anything(|path| path.starts_with("cmd"));
}

/// What the sweep says of a file the parser is unsure of.
fn unsure() -> syntax::SyntaxError {
    let msg = "buildlab_core::parse is unsure of this file".to_string();
    syntax::SyntaxError {
        line: 1,
        col: 1,
        msg,
    }
}

/// Every check over the packages `judged` picks; the others give names only.
fn no_check_reports_anything(judged: fn(&str) -> bool) {
    let Some(packages) = go_list() else {
        return;
    };
    let names: HashMap<&str, &str> = packages
        .iter()
        .map(|p| (p.path.as_str(), p.name.as_str()))
        .collect();
    let name_of = |path: &str| names.get(path).map(|n| n.to_string());
    // Each package's top-level names, for the selectors of the packages importing it.
    let top: HashMap<&str, Option<Vec<String>>> = packages
        .iter()
        .map(|p| {
            let all: Option<Vec<Vec<syntax::TopLevel>>> = p
                .files
                .iter()
                .map(|(_, src)| syntax::top_level_names(src))
                .collect();
            let names = all.map(|f| f.into_iter().flatten().map(|t| t.name).collect());
            (p.path.as_str(), names)
        })
        .collect();
    // Each package's functions, for the calls of its importers (as a build reads another
    // module package's; a name two packages share is left out, as there).
    let funcs_by_path: HashMap<&str, Option<syntax::PackageFuncs>> = packages
        .iter()
        .map(|p| {
            let unique = packages.iter().filter(|q| q.name == p.name).count() == 1;
            let funcs = unique.then(|| package_funcs(p, Some(&p.name))).flatten();
            (p.path.as_str(), funcs)
        })
        .collect();
    let std = buildlab_core::stdlib::StdLib::for_target("linux", "amd64", true).unwrap();
    let mut params_compared = 0;
    // The std graph's functions (what a build knows of std's, which has no sources here) are
    // the sources' own, with the same result counts.
    for p in packages.iter().filter(|p| judged(&p.path)) {
        let Some(data) = std.get(&p.path) else {
            continue;
        };
        let from_sources = funcs_by_path[p.path.as_str()].as_ref();
        for f in &data.funcs {
            let (name, n) = (f.name, f.results);
            let found = from_sources.and_then(|f| f.get(name));
            assert!(
                from_sources.is_none() || found.map(|f| f.0) == Some(n as usize),
                "{}.{name}: the std graph says {n} results, the sources {found:?}",
                p.path
            );
            // Where both print the parameters (go/types for the graph, this crate's reading of
            // the sources for a module package), alike.
            if let (Some(data), Some((_, Some(read)))) = (&f.params, found) {
                assert_eq!(data, &read.types, "{}.{name}'s parameters", p.path);
                params_compared += 1;
            }
        }
    }
    if judged("strconv") {
        assert!(
            params_compared > 500,
            "{params_compared} functions' parameters compared"
        );
    }
    let (mut files, mut checked, mut calls, mut arg_calls, mut imported_calls) = (0, 0, 0, 0, 0);
    let mut values = 0;
    let mut false_reports = Vec::new();
    for p in packages.iter().filter(|p| judged(&p.path)) {
        let all: Vec<(&str, &[u8])> = p
            .files
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        let mut report = |file: &str, e: &syntax::SyntaxError| {
            false_reports.push(format!("{} {}", p.path, e.render(file)))
        };
        for (file, src) in &all {
            let special = syntax::special_names(src, p.name == "main").unwrap_or_default();
            special.iter().for_each(|e| report(file, e));
        }
        for (i, errs) in syntax::redeclarations(&all, p.name == "main")
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            errs.iter().for_each(|e| report(all[i].0, e));
        }
        for (i, errs) in syntax::duplicate_methods(&all)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            errs.iter().for_each(|(_, e)| report(all[i].0, e));
        }
        let package = top[p.path.as_str()].as_deref();
        if p.name == "main" && !all.is_empty() {
            let mains: Option<Vec<bool>> =
                all.iter().map(|(_, s)| syntax::declares_main(s)).collect();
            assert_ne!(
                mains.map(|m| m.contains(&true)),
                Some(false),
                "{}: func main",
                p.path
            );
        }
        // The package's own functions, and the calls of functions (its own, its imports').
        let own = package_funcs(p, None);
        for (file, src) in &all {
            let Some(parsed) = buildlab_core::parse::parse(src, file) else {
                continue;
            };
            let imports: Vec<(String, &str)> = buildlab_core::scan::scan("", src)
                .imports
                .iter()
                .filter_map(|imp| {
                    let (path, _) = funcs_by_path.get_key_value(imp.path.as_ref())?;
                    let local = imp.alias.as_deref().map(str::to_string);
                    Some((local.or_else(|| name_of(path))?, *path))
                })
                .collect();
            let funcs_of = |pkg: Option<&str>| match pkg {
                None => own.as_ref(),
                Some(local) => imports
                    .iter()
                    .find(|(n, _)| n == local)
                    .and_then(|(_, path)| funcs_by_path[path].as_ref()),
            };
            for (_, e) in syntax::assignment_mismatches(&parsed.calls, &funcs_of) {
                report(file, &e);
            }
            for e in syntax::argument_counts(&parsed.args, &funcs_of) {
                report(file, &e);
            }
            for e in syntax::argument_types(&parsed.args, &funcs_of) {
                report(file, &e);
            }
            if let Some(own) = &own {
                for e in syntax::value_types(&parsed.values, own.types()) {
                    report(file, &e);
                }
                for e in syntax::return_counts(&parsed.returns, own.types()) {
                    report(file, &e);
                }
            }
            values += parsed.values.len();
            // What the two checks judged: calls of functions known (with their parameters).
            let known = |pkg: &Option<String>, name: &str| {
                funcs_of(pkg.as_deref()).and_then(|f| f.get(name))
            };
            calls += parsed
                .calls
                .iter()
                .filter(|c| known(&c.package, &c.callee).is_some())
                .count();
            arg_calls += parsed
                .args
                .iter()
                .filter(|c| known(&c.package, &c.callee).is_some_and(|(_, p)| p.is_some()))
                .count();
            imported_calls += parsed
                .args
                .iter()
                .filter(|c| {
                    c.package.is_some()
                        && known(&c.package, &c.callee).is_some_and(|(_, p)| p.is_some())
                })
                .count();
        }
        for (file, src) in &all {
            files += 1;
            if let Some(e) = syntax::check(src) {
                report(file, &e);
            }
            // cmd/compile's parser: none of go's own files may give an error or leave it unsure.
            let parsed = buildlab_core::parse::parse(src, file);
            match &parsed {
                None => report(file, &unsure()),
                Some(p) => p.errors.iter().for_each(|e| {
                    let (line, col) = (e.pos.0 as usize, e.pos.1 as usize);
                    let msg = e.msg.clone();
                    report(file, &syntax::SyntaxError { line, col, msg })
                }),
            }
            for e in syntax::unused_imports(src, &name_of) {
                report(file, &e);
            }
            // With and without the parser's `:=` declarations (without: where it is unsure).
            let defined = parsed.as_ref().map(|p| p.defined.as_slice());
            for e in syntax::unused_vars(src, defined).unwrap_or_default() {
                report(file, &e);
            }
            for e in syntax::unused_vars(src, None).unwrap_or_default() {
                report(file, &e);
            }
            for e in syntax::missing_returns(src).unwrap_or_default() {
                report(file, &e);
            }
            let signatures =
                package.and_then(|pkg| syntax::undefined_in_signatures(src, pkg, &name_of));
            for e in signatures.unwrap_or_default() {
                report(file, &e);
            }
            let declarations =
                package.and_then(|pkg| syntax::undefined_in_declarations(src, pkg, &name_of));
            for (_, e) in declarations.unwrap_or_default() {
                report(file, &e);
            }
            if let Some(errs) = package.and_then(|pkg| syntax::undefined_names(src, pkg, &name_of))
            {
                checked += 1;
                errs.iter().for_each(|e| report(file, e));
            }
            // The file's imports that go list knows, with their packages' top-level names.
            let imports: Vec<(String, Vec<String>)> = buildlab_core::scan::scan("", src)
                .imports
                .iter()
                .filter(|imp| !matches!(imp.alias.as_deref(), Some("_" | ".")))
                .filter_map(|imp| {
                    let names = top.get(imp.path.as_ref())?.clone()?;
                    let local = imp
                        .alias
                        .as_deref()
                        .map(str::to_string)
                        .or_else(|| name_of(&imp.path))?;
                    Some((local, names))
                })
                .collect();
            for e in syntax::undefined_selectors(src, &imports) {
                report(file, &e);
            }
            // The same selectors against the std graph's exported names, as a build uses them.
            let exported: Vec<(String, Vec<String>)> = buildlab_core::scan::scan("", src)
                .imports
                .iter()
                .filter(|imp| {
                    imp.alias.as_deref() != Some("_") && imp.alias.as_deref() != Some(".")
                })
                .filter_map(|imp| {
                    let p = std
                        .get(imp.path.as_ref())
                        .filter(|p| !p.exports.is_empty())?;
                    let local = imp.alias.as_deref().unwrap_or(p.name).to_string();
                    Some((local, p.exports.iter().map(|n| n.to_string()).collect()))
                })
                .collect();
            for e in syntax::undefined_selectors(src, &exported) {
                report(file, &e);
            }
            #[cfg(feature = "embed-directives")]
            if let Some(d) = syntax::embed_directives(src) {
                d.parse.iter().chain(&d.decls).for_each(|e| report(file, e));
            }
        }
    }
    assert!(
        false_reports.is_empty(),
        "{} false reports:\n{}",
        false_reports.len(),
        false_reports.join("\n")
    );
    // Most files are judged: the undefined-name check gives up only on dot imports, cgo's and
    // vendored packages' unknown names and the like.
    assert!(
        checked * 10 > files * 8,
        "undefined names checked in {checked} of {files} files"
    );
    eprintln!(
        "judged: {calls} assignments of one call, {arg_calls} calls' arguments \
         ({imported_calls} of another package's functions), {values} values given to typed \
         variables"
    );
    assert!(
        values > 1000,
        "{values} values given to variables of known types"
    );
    assert!(
        imported_calls > 1000,
        "{imported_calls} calls of imported functions"
    );
    assert!(
        arg_calls > 10_000,
        "{arg_calls} calls of the package's functions"
    );
    // And the assignment mismatch check is not idle: thousands of such calls in each half.
    assert!(
        calls > 2000,
        "{calls} assignments of a call of the package's functions"
    );
}

/// A package's functions as a build reads them ([`syntax::PackageFuncs`]; `qualifier`: its
/// name, for its importers' calls), `None` where a file is not understood.
fn package_funcs(p: &Package, qualifier: Option<&str>) -> Option<syntax::PackageFuncs> {
    syntax::PackageFuncs::of_sources(p.files.iter().map(|(_, src)| src.as_slice()), qualifier)
}
