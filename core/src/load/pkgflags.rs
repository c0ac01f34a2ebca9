//! The build settings' share of each package (cmd/go's `load.PerPackageFlag.For`, matched by
//! `load.MatchPackage`), and the `-tags` the standard library's graph cannot follow.

use crate::plan::{PkgFlags, PlanInput};

/// The tags some standard-library file's `//go:build` line tests (go1.23.5, every target),
/// written by `scripts/gen-stdgraph.py`: with one of them set, std builds from other files than
/// the graph lists, which the graph does not have.
const STD_CONSTRAINT_TAGS: &str = include_str!("../../data/std-go1.23.5-tags.txt");

/// The first of `tags` that changes the standard library's files (a tag its build constraints
/// test, or any `goexperiment.` tag), if any.
pub(crate) fn std_changing_tag(tags: &[String]) -> Option<&str> {
    let listed = STD_CONSTRAINT_TAGS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace);
    tags.iter()
        .map(String::as_str)
        .find(|t| t.starts_with("goexperiment.") || listed.clone().any(|l| l == *t))
}

/// Gives each package its `-gcflags`, `-asmflags` and `-ldflags` (nothing to do without them).
pub(crate) fn apply(input: &mut PlanInput) {
    let PlanInput {
        packages,
        roots,
        cwd,
        settings: s,
        ..
    } = input;
    if !s.has_package_flags() {
        return;
    }
    let mut named = vec![false; packages.len()];
    for &r in roots.iter() {
        named[r] = true;
    }
    for (p, named) in packages.iter_mut().zip(named) {
        let matches = |pat: Option<&str>| match pat {
            None => named,
            Some(pat) => match_package(pat, cwd, &p.import_path, &p.dir, p.standard),
        };
        let f = PkgFlags {
            gcflags: s.gcflags.for_package(matches).to_vec(),
            asmflags: s.asmflags.for_package(matches).to_vec(),
            ldflags: s.ldflags.for_package(matches).to_vec(),
        };
        if f != PkgFlags::default() {
            p.more_mut().flags = Some(Box::new(f));
        }
    }
}

/// `load.MatchPackage(pattern, cwd)` for a package: a relative pattern matches directories
/// (below `cwd`), `all` every package, `std` the standard library's, `cmd` none here (no
/// package of cmd is ever loaded), any other the import path.
fn match_package(pattern: &str, cwd: &str, path: &str, dir: &str, standard: bool) -> bool {
    // search.IsRelativePath is build.IsLocalImport's test.
    if super::is_local_import(pattern) {
        let (base, rest) = match pattern.find("...") {
            None => (pattern, ""),
            Some(i) => {
                let j = pattern[..i].rfind('/').unwrap_or(0);
                (&pattern[..j], &pattern[j + 1..])
            }
        };
        let base = super::go_clean(&format!("{cwd}/{base}"));
        if rest.is_empty() {
            return dir == base;
        }
        let rel = if dir == base {
            "."
        } else {
            match dir.strip_prefix(base.as_str()) {
                Some(r) if base == "/" => r,
                Some(r) if r.starts_with('/') => &r[1..],
                _ => return false,
            }
        };
        return match_pattern(rest, rel);
    }
    match pattern {
        "all" => true,
        "std" => standard,
        "cmd" => standard && path.starts_with("cmd/"),
        _ => match_pattern(pattern, path),
    }
}

/// `pkgpattern.MatchPattern`: `...` matches any string, except across a `vendor` element the
/// pattern does not name; a trailing `/...` also matches the path before it.
fn match_pattern(pattern: &str, name: &str) -> bool {
    if pattern.contains('\0') || name.contains('\0') {
        return false;
    }
    let pat = replace_vendor(pattern);
    let name = replace_vendor(name);
    // `x/vendor/...` matches `x/vendor` itself; `vendor/...` alone matches nothing (go's
    // regular expression for it needs a leading slash).
    if pat == "\0/..." {
        return false;
    }
    if let Some(base) = pat.strip_suffix("/\0/...") {
        if name.strip_suffix("/vendor") == Some(base) && !base.contains("...") {
            return true;
        }
        return wild(pat.as_bytes(), name.as_bytes());
    }
    if let Some(base) = pat.strip_suffix("/...") {
        if wild(base.as_bytes(), name.as_bytes()) {
            return true;
        }
    }
    wild(pat.as_bytes(), name.as_bytes())
}

/// Each `vendor` element of `x` but the last as a NUL byte (pkgpattern's `replaceVendor`).
fn replace_vendor(x: &str) -> String {
    let elems: Vec<&str> = x.split('/').collect();
    let last = elems.len() - 1;
    elems
        .iter()
        .enumerate()
        .map(|(i, e)| if i < last && *e == "vendor" { "\0" } else { e })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `name` matches `pat`, where `...` stands for any run of bytes without a NUL.
fn wild(pat: &[u8], name: &[u8]) -> bool {
    match pat.windows(3).position(|w| w == b"...") {
        None => pat == name,
        Some(i) => {
            let (lit, rest) = (&pat[..i], &pat[i + 3..]);
            let Some(after) = name.strip_prefix(lit) else {
                return false;
            };
            (0..=after.len())
                .take_while(|&k| k == 0 || after[k - 1] != 0)
                .any(|k| wild(rest, &after[k..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_pkgpattern_does() {
        let yes = [
            ("...", "a/b"),
            ("example.com/...", "example.com"),
            ("example.com/...", "example.com/x/y"),
            ("ex...", "example.com/x"),
            ("a/.../c", "a/b/x/c"),
            ("a/vendor/...", "a/vendor"),
            ("a/vendor/...", "a/vendor/b/c"),
            ("fmt", "fmt"),
        ];
        for (p, n) in yes {
            assert!(match_pattern(p, n), "{p} should match {n}");
        }
        let no = [
            ("...", "a/vendor/b"),
            ("a/...", "a/vendor/b"),
            ("vendor/...", "vendor/golang.org/x/net"),
            ("example.com/...", "example.comx"),
            ("fmt", "fmt/x"),
            ("a/.../c", "a/c/d"),
        ];
        for (p, n) in no {
            assert!(!match_pattern(p, n), "{p} should not match {n}");
        }
    }

    #[test]
    fn relative_patterns_match_directories() {
        let m = |pat, dir| match_package(pat, "/m", "x", dir, false);
        assert!(m(".", "/m"));
        assert!(!m(".", "/m/a"));
        assert!(m("./a", "/m/a"));
        assert!(m("./...", "/m"));
        assert!(m("./...", "/m/a/b"));
        assert!(!m("./...", "/mm"));
        assert!(!m("./a/...", "/m/b"));
        assert!(m("./a/...", "/m/a"));
        assert!(m("../m/a", "/m/a"));
        assert!(!m("./...", "/usr/lib/go-1.23/src/fmt"));
        assert!(match_package("std", "/m", "fmt", "/g/src/fmt", true));
        assert!(!match_package("std", "/m", "m/a", "/m/a", false));
        assert!(match_package("all", "/m", "m/a", "/m/a", false));
    }

    #[test]
    fn tags_std_tests_are_refused() {
        let t = |v: &[&str]| {
            std_changing_tag(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .map(str::to_string)
        };
        assert_eq!(t(&["extra"]), None);
        assert_eq!(t(&["extra", "netgo"]).as_deref(), Some("netgo"));
        assert_eq!(t(&["purego"]).as_deref(), Some("purego"));
        assert_eq!(
            t(&["goexperiment.arenas"]).as_deref(),
            Some("goexperiment.arenas")
        );
    }
}
