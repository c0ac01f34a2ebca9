//! The default GODEBUG of a main package (cmd/go's `load/godebug.go`): the settings whose default
//! changed after the main module's `go` version, overridden by `godebug` lines in `go.mod` and
//! `//go:debug` directives in the main package's files.

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
fn for_go_version(v: &str) -> Option<Vec<(&'static str, &'static str)>> {
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
            .map(|(k, _, old)| (*k, *old))
            .collect(),
    )
}

/// `defaultGODEBUG` for a main package: `go_version` is the main module's (`1.16` when go.mod
/// has no `go` line), `settings` the go.mod `godebug` pairs then the `//go:debug` pairs in order.
///
/// go keeps them in a map (a later pair of a key replaces an earlier one), takes `default` out
/// of it, lays it over the go version's old defaults and prints it in key order. Here the pairs
/// are sorted in a vector (stable: a key's pairs keep their order) and the last of each key is
/// printed: no B-tree map of its own type and no removal code in the page's wasm for it.
pub(crate) fn default_godebug(go_version: &str, settings: &[(String, String)]) -> String {
    let mut version = go_version.to_string();
    if let Some((_, v)) = settings.iter().rev().find(|(k, _)| k == "default") {
        let v = v.trim_start_matches("go");
        if v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            version = v.to_string();
        }
    }
    let mut pairs: Vec<(&str, &str)> = for_go_version(&version).unwrap_or_default();
    pairs.extend(
        settings
            .iter()
            .filter(|(k, _)| k != "default")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    crate::sort::sort_by(&mut pairs, |a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if pairs.get(i + 1).is_some_and(|next| next.0 == *k) {
            continue;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
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
    use std::collections::BTreeMap;

    /// The map-based version this file had before (go's own way), kept to hold the vector one to.
    fn default_godebug_by_map(go_version: &str, settings: &[(String, String)]) -> String {
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
        if let Some(defaults) = for_go_version(&version) {
            let mut d: BTreeMap<String, String> = defaults
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            d.extend(m);
            m = d;
        }
        m.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn godebug_is_the_map_based_result() {
        let keys = [
            "panicnil",
            "default",
            "zz",
            "asynctimerchan",
            "aa",
            "tls3des",
        ];
        let values = [
            "1", "0", "go1.20", "1.22", "go1.21.3", "x", "", "go", "1..2",
        ];
        let versions = ["1.16", "1.21", "1.22.1", "1.23", "1.23.5", "2.0", "bad", ""];
        // Every sequence of up to three settings over these keys and values, at every version.
        let mut seqs: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for s in &seqs {
                for (i, k) in keys.iter().enumerate() {
                    for v in values.iter().skip(i % 3).step_by(3) {
                        let mut t = s.clone();
                        t.push((k.to_string(), v.to_string()));
                        next.push(t);
                    }
                }
            }
            seqs.extend(next.into_iter().filter(|t| t.len() <= 3));
            seqs.sort();
            seqs.dedup();
        }
        assert!(seqs.len() > 1_000, "{}", seqs.len());
        for v in versions {
            for s in &seqs {
                assert_eq!(
                    default_godebug(v, s),
                    default_godebug_by_map(v, s),
                    "{v} {s:?}"
                );
            }
        }
    }

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
