//! The default GODEBUG of a main package (cmd/go's `load/godebug.go`): the settings whose default
//! changed after the main module's `go` version, overridden by `godebug` lines in `go.mod` and
//! `//go:debug` directives in the main package's files.

use std::collections::BTreeMap;

/// go1.23.5's `internal/godebugs.All`, the entries with a `Changed` version: (name, the minor
/// version whose default changed, the old value).
const CHANGED: &[(&str, u32, &str)] = &[
    ("asynctimerchan", 23, "1"),
    ("gotypesalias", 23, "0"),
    ("httplaxcontentlength", 22, "1"),
    ("httpmuxgo121", 22, "1"),
    ("httpservecontentkeepheaders", 23, "1"),
    ("netedns0", 19, "0"),
    ("panicnil", 21, "1"),
    ("tls10server", 22, "1"),
    ("tls3des", 23, "1"),
    ("tlskyber", 23, "0"),
    ("tlsrsakex", 22, "1"),
    ("tlsunsafeekm", 22, "1"),
    ("winreadlinkvolume", 22, "0"),
    ("winsymlink", 22, "0"),
    ("x509keypairleaf", 23, "0"),
    ("x509negativeserial", 23, "1"),
];

/// `godebugForGoVersion`: the old defaults for a module at go version `v` (`1.21`, `1.21.3`).
fn for_go_version(v: &str) -> Option<BTreeMap<String, String>> {
    let mut v = v;
    if v.matches('.').count() >= 2 {
        let i = v.find('.')?;
        let j = i + 1 + v[i + 1..].find('.')?;
        v = &v[..j];
    }
    let n: u32 = v.strip_prefix("1.")?.parse().ok()?;
    Some(
        CHANGED
            .iter()
            .filter(|(_, changed, _)| n < *changed)
            .map(|(k, _, old)| (k.to_string(), old.to_string()))
            .collect(),
    )
}

/// `defaultGODEBUG` for a main package: `go_version` is the main module's (`1.16` when go.mod
/// has no `go` line), `settings` the go.mod `godebug` pairs then the `//go:debug` pairs in order.
pub(crate) fn default_godebug(go_version: &str, settings: &[(String, String)]) -> String {
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in settings {
        m.insert(k.clone(), v.clone());
    }
    let mut version = go_version.to_string();
    if let Some(v) = m.remove("default") {
        let v = v.trim_start_matches("go").to_string();
        if v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            version = v;
        }
    }
    if let Some(mut defaults) = for_go_version(&version) {
        defaults.extend(m);
        m = defaults;
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The `//go:debug key=value` directives of a Go file: `//go:` line comments before the package
/// clause, as go/build collects them.
pub(crate) fn directives(src: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !src.windows(b"//go:debug".len()).any(|w| w == b"//go:debug") {
        return out;
    }
    let text = String::from_utf8_lossy(src);
    let mut in_block = false;
    for line in text.lines() {
        let l = line.trim();
        if in_block {
            if l.contains("*/") {
                in_block = false;
            }
            continue;
        }
        if l.starts_with("/*") {
            in_block = !l.contains("*/");
            continue;
        }
        if l.starts_with("package ") || l == "package" {
            break;
        }
        if let Some(rest) = l.strip_prefix("//go:debug") {
            if let Some((k, v)) = rest.trim().split_once('=') {
                if rest.starts_with([' ', '\t']) {
                    out.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_godebug_defaults_follow_the_go_version() {
        assert_eq!(default_godebug("1.23", &[]), "");
        assert_eq!(default_godebug("1.23.5", &[]), "");
        assert_eq!(
            default_godebug("1.22", &[]),
            "asynctimerchan=1,gotypesalias=0,httpservecontentkeepheaders=1,tls3des=1,tlskyber=0,x509keypairleaf=0,x509negativeserial=1"
        );
        assert_eq!(
            default_godebug("1.23", &[("panicnil".into(), "1".into())]),
            "panicnil=1"
        );
    }
}
