//! Why an action ran: typed cache outcomes, the diff of hashed input lines between the last build
//! of a package and this one, and the walk from a rebuilt action down to the root cause
//! (`file util/util.go A → B`, through `import example.com/multi/util C → D`, up to the link).
//!
//! This goes beyond the go command, which only says "build ID mismatch": every action keeps the
//! lines it hashed ([`crate::actionid::HashedInputs`]), so the diff is always available.
//! Prediction of the rebuild set before a build lives in [`crate::rebuild::predict`].

use std::cmp::Ordering;
use std::fmt;

use crate::actionid::HashedInputs;
use crate::cache::Miss;
use crate::object::Keyed;

/// The cache outcome of one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The output came from the cache.
    Hit,
    /// The target in place already carries this build ID (or, for `package main`, the binary
    /// does): nothing to do.
    TargetUpToDate,
    Miss(MissReason),
}

/// Why an action ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MissReason {
    /// `go build -a`.
    Forced,
    /// No entry and no earlier build of this action to compare with.
    NoEntry,
    /// An entry exists but is unusable.
    Corrupt(Miss),
    /// The action ID changed since the last build: these hashed inputs differ.
    InputsChanged(Vec<InputChange>),
    /// A link under `go build`: binaries are not cached, and the one in place (if any) has
    /// another build ID.
    LinkNotCached,
    /// A link whose inputs did not change, but the binary is not in place.
    TargetMissing,
}

impl Outcome {
    pub fn ran(&self) -> bool {
        matches!(self, Outcome::Miss(_))
    }
}

/// A one-line reason, for a timeline's tooltip (`inputs changed: file util/util.go`).
impl fmt::Display for MissReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissReason::Forced => write!(f, "-a"),
            MissReason::NoEntry => write!(f, "not in the cache"),
            MissReason::Corrupt(m) => write!(f, "{m}"),
            MissReason::InputsChanged(ch) => {
                write!(f, "inputs changed")?;
                if let Some(c) = ch.first() {
                    write!(f, ": {} {}", c.kind.word(), c.subject)?;
                    if ch.len() > 1 {
                        write!(f, " (+{} more)", ch.len() - 1)?;
                    }
                }
                Ok(())
            }
            MissReason::LinkNotCached => write!(f, "go build does not cache binaries"),
            MissReason::TargetMissing => write!(f, "the binary is not in place"),
        }
    }
}

/// One hashed input that differs: `subject old → new` (`None`: absent on that side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputChange {
    pub kind: InputKind,
    /// `util/util.go`, `example.com/multi/util`, `go`, …
    pub subject: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What sort of input a hashed line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputKind {
    /// A source, assembly or embedded file (`file NAME HASH`).
    File,
    /// A dependency's content ID (`import P C` for compile, `packagefile P=C` for link).
    Import,
    /// The main package's full build ID in a link (`packagemain`).
    PackageMain,
    /// Anything else: toolchain, flags, `go` line, GOOS/GOARCH, build info.
    Config,
}

impl InputKind {
    /// How a change of this kind is spelled: `file`, `import`, `packagemain`, `config`.
    pub fn word(self) -> &'static str {
        match self {
            InputKind::File => "file",
            InputKind::Import => "import",
            InputKind::PackageMain => "packagemain",
            InputKind::Config => "config",
        }
    }
}

impl fmt::Display for InputChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.kind.word();
        let o = self.old.as_deref().unwrap_or("(none)");
        let n = self.new.as_deref().unwrap_or("(none)");
        if self.kind == InputKind::PackageMain {
            write!(f, "{word} {o} → {n}")
        } else {
            write!(f, "{word} {} {o} → {n}", self.subject)
        }
    }
}

/// Splits a hashed line into (kind, subject, value).
fn classify(index: usize, line: &str) -> (InputKind, String, String) {
    let l = line.strip_suffix('\n').unwrap_or(line);
    if index == 0 {
        return (InputKind::Config, "toolchain".into(), l.into());
    }
    if let Some(rest) = l.strip_prefix("file ") {
        if let Some((name, h)) = rest.rsplit_once(' ') {
            return (InputKind::File, name.into(), h.into());
        }
    }
    if let Some(rest) = l.strip_prefix("import ") {
        if !rest.starts_with('"') {
            let (p, c) = rest.split_once(' ').unwrap_or((rest, ""));
            return (InputKind::Import, p.into(), c.into());
        }
    }
    if let Some(rest) = l.strip_prefix("packagefile ") {
        let (p, c) = rest.split_once('=').unwrap_or((rest, ""));
        return (InputKind::Import, p.into(), c.into());
    }
    if let Some(rest) = l.strip_prefix("packagemain ") {
        return (InputKind::PackageMain, "packagemain".into(), rest.into());
    }
    match l.split_once(' ') {
        Some((w, rest)) => (InputKind::Config, w.into(), rest.into()),
        None => match l.split_once('=') {
            Some((k, v)) => (InputKind::Config, k.into(), v.into()),
            None => (InputKind::Config, l.into(), String::new()),
        },
    }
}

/// The hashed inputs that differ between the last build of an action and this one. File
/// subjects are shown as `file_prefix + name` (e.g. `util/` + `util.go`). Sorted: files first,
/// then imports, then the rest.
pub fn diff(old: &HashedInputs, new: &HashedInputs, file_prefix: &str) -> Vec<InputChange> {
    let (a, b) = (grouped(old), grouped(new));
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    // A merge of the two sorted groupings: every key of either side once, in order.
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.0.cmp(&y.0),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        let (x, y) = match order {
            Ordering::Less => (Some(&a[i]), None),
            Ordering::Greater => (None, Some(&b[j])),
            Ordering::Equal => (Some(&a[i]), Some(&b[j])),
        };
        i += usize::from(x.is_some());
        j += usize::from(y.is_some());
        let (xv, yv) = (x.map(|g| &g.1), y.map(|g| &g.1));
        if xv == yv {
            continue;
        }
        let (kind, subject) = &x.or(y).expect("a key of either side").0;
        let subject = if *kind == InputKind::File {
            format!("{file_prefix}{subject}")
        } else {
            subject.clone()
        };
        out.push(InputChange {
            kind: *kind,
            subject,
            old: xv.map(|v| v.join(",")),
            new: yv.map(|v| v.join(",")),
        });
    }
    out
}

/// One side's hashed lines grouped by (kind, subject), sorted by it, each group's values in
/// line order. Sorted vectors rather than a B-tree map keyed by the pair: the map's code for
/// that key type was in the page's first module for this one use (docs/benchmarks.md, Page
/// weight).
fn grouped(h: &HashedInputs) -> Vec<((InputKind, String), Vec<String>)> {
    let mut lines: Vec<(InputKind, String, String)> =
        h.lines().enumerate().map(|(i, l)| classify(i, l)).collect();
    // Stable: equal keys keep their lines' order.
    crate::sort::sort_by(&mut lines, |x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
    let mut out: Vec<((InputKind, String), Vec<String>)> = Vec::new();
    for (kind, subject, value) in lines {
        match out.last_mut() {
            Some(((k, s), values)) if *k == kind && *s == subject => values.push(value),
            _ => out.push(((kind, subject), vec![value])),
        }
    }
    out
}

/// What [`chain`] needs to know about each action of a build: its outcome, and which action
/// (by key) produces a given import path.
pub trait Explain {
    fn outcome(&self, key: &str) -> Option<&Outcome>;
    /// The key (`build P`) of the action producing import path `p`.
    fn producer(&self, import_path: &str) -> Option<String>;
}

/// The chain from the root cause to `key`: action keys, root first. An action whose changed
/// inputs include a file or configuration line is a root; otherwise the chain continues through
/// the changed dependency with the longest chain (ties: the first in input order).
pub fn chain(ex: &dyn Explain, key: &str) -> Vec<String> {
    let mut memo = Keyed::new();
    chain_memo(ex, key, &mut memo, 0)
}

fn chain_memo(
    ex: &dyn Explain,
    key: &str,
    memo: &mut Keyed<Vec<String>>,
    depth: usize,
) -> Vec<String> {
    if let Some(c) = memo.get(key) {
        return c.clone();
    }
    let mut best: Vec<String> = Vec::new();
    if let Some(Outcome::Miss(MissReason::InputsChanged(ch))) = ex.outcome(key) {
        let is_root = ch
            .iter()
            .any(|c| matches!(c.kind, InputKind::File | InputKind::Config));
        if !is_root && depth < 10_000 {
            for c in ch.iter() {
                // `packagemain` changes with the main package's action ID: follow its compile.
                let dep = match c.kind {
                    InputKind::Import => ex.producer(&c.subject),
                    InputKind::PackageMain => {
                        key.strip_prefix("link ").and_then(|p| ex.producer(p))
                    }
                    _ => None,
                };
                if let Some(dep) = dep {
                    if dep != key {
                        let sub = chain_memo(ex, &dep, memo, depth + 1);
                        if sub.len() > best.len() {
                            best = sub;
                        }
                    }
                }
            }
        }
    }
    best.push(key.to_string());
    memo.insert(key.to_string(), best.clone());
    best
}

/// The why-rebuilt text for one action: its outcome, its changed inputs, the chain and the root
/// cause's changed inputs.
pub fn explain(ex: &dyn Explain, key: &str) -> String {
    let mut s = format!("{key}: ");
    match ex.outcome(key) {
        None => s.push_str("not in this build\n"),
        Some(Outcome::Hit) => s.push_str("cache hit\n"),
        Some(Outcome::TargetUpToDate) => s.push_str("up to date (target in place)\n"),
        Some(Outcome::Miss(r)) => {
            match r {
                MissReason::Forced => s.push_str("rebuilt: -a\n"),
                MissReason::NoEntry => s.push_str("rebuilt: not in the cache\n"),
                MissReason::Corrupt(m) => s.push_str(&format!("rebuilt: {m}\n")),
                MissReason::LinkNotCached => {
                    s.push_str("relinked: go build does not cache binaries\n")
                }
                MissReason::TargetMissing => s.push_str("relinked: the binary is not in place\n"),
                MissReason::InputsChanged(ch) => {
                    s.push_str("rebuilt: inputs changed\n");
                    for c in ch {
                        s.push_str(&format!("  {c}\n"));
                    }
                }
            }
            let c = chain(ex, key);
            if c.len() > 1 {
                let names: Vec<&str> = c
                    .iter()
                    .map(|k| k.strip_prefix("build ").unwrap_or(k))
                    .collect();
                s.push_str(&format!("chain: {}\n", names.join(" → ")));
                if let Some(Outcome::Miss(MissReason::InputsChanged(ch))) = ex.outcome(&c[0]) {
                    for x in ch
                        .iter()
                        .filter(|x| matches!(x.kind, InputKind::File | InputKind::Config))
                    {
                        s.push_str(&format!("root cause: {x}\n"));
                    }
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Digest;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// `diff` as it was written over a B-tree map of the two sides' lines.
    fn diff_by_map(old: &HashedInputs, new: &HashedInputs, prefix: &str) -> Vec<InputChange> {
        let index = |h: &HashedInputs| {
            let mut m: BTreeMap<(InputKind, String), Vec<String>> = BTreeMap::new();
            for (i, l) in h.lines().enumerate() {
                let (k, s, v) = classify(i, l);
                m.entry((k, s)).or_default().push(v);
            }
            m
        };
        let (a, b) = (index(old), index(new));
        let mut keys: Vec<&(InputKind, String)> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut out = Vec::new();
        for k in keys {
            let (x, y) = (a.get(k), b.get(k));
            if x != y {
                out.push(InputChange {
                    kind: k.0,
                    subject: if k.0 == InputKind::File {
                        format!("{prefix}{}", k.1)
                    } else {
                        k.1.clone()
                    },
                    old: x.map(|v| v.join(",")),
                    new: y.map(|v| v.join(",")),
                });
            }
        }
        out
    }

    proptest! {
        /// The merge of sorted groupings finds what the map did, in the same order, over
        /// lines of every kind with repeated subjects (go hashes several `file` lines of one
        /// name under cgo, and config words repeat).
        #[test]
        fn diff_is_the_maps_diff(
            old in proptest::collection::vec((0usize..6, 0u8..3, 0u8..3), 0..12),
            new in proptest::collection::vec((0usize..6, 0u8..3, 0u8..3), 0..12),
        ) {
            const SHAPES: [&str; 6] = ["file f{}.go H{}", "import p{} C{}", "packagefile p{}=C{}",
                "packagemain M{}{}", "flag{} v{}", "GO{}=x{}"];
            let lines = |v: &[(usize, u8, u8)]| -> Vec<String> {
                let mut out = vec!["go1.23.5".to_string()];
                out.extend(v.iter().map(|&(k, a, b)| {
                    SHAPES[k].replacen("{}", &a.to_string(), 1).replacen("{}", &b.to_string(), 1)
                }));
                out
            };
            let (o, n) = (lines(&old), lines(&new));
            let o: Vec<&str> = o.iter().map(String::as_str).collect();
            let n: Vec<&str> = n.iter().map(String::as_str).collect();
            let (o, n) = (inputs(&o), inputs(&n));
            prop_assert_eq!(diff(&o, &n, "d/"), diff_by_map(&o, &n, "d/"));
        }
    }

    fn inputs(lines: &[&str]) -> HashedInputs {
        HashedInputs::from_lines(
            "build x".into(),
            lines.iter().map(|l| format!("{l}\n")),
            Digest::of(b""),
        )
    }

    /// A build's outcomes by key, for [`chain`].
    struct Outcomes(BTreeMap<String, Outcome>);

    impl Explain for Outcomes {
        fn outcome(&self, key: &str) -> Option<&Outcome> {
            self.0.get(key)
        }
        fn producer(&self, import_path: &str) -> Option<String> {
            let key = format!("build {import_path}");
            self.0.contains_key(&key).then_some(key)
        }
    }

    fn changed(kind: InputKind, subject: &str) -> InputChange {
        InputChange {
            kind,
            subject: subject.into(),
            old: Some("A".into()),
            new: Some("B".into()),
        }
    }

    /// The `multi` edit "one code byte in util": main imports both util and internal/a, and
    /// both changed; the chain goes through the longer path, to the file that changed.
    #[test]
    fn the_chain_takes_the_longest_path_to_the_root_cause() {
        let miss = |ch: Vec<InputChange>| Outcome::Miss(MissReason::InputsChanged(ch));
        let mut o = BTreeMap::new();
        o.insert(
            "build m/util".to_string(),
            miss(vec![changed(InputKind::File, "util/util.go")]),
        );
        o.insert(
            "build m/internal/a".to_string(),
            miss(vec![changed(InputKind::Import, "m/util")]),
        );
        o.insert(
            "build m".to_string(),
            miss(vec![
                changed(InputKind::Import, "m/util"),
                changed(InputKind::Import, "m/internal/a"),
            ]),
        );
        o.insert(
            "link m".to_string(),
            miss(vec![
                changed(InputKind::Import, "m"),
                changed(InputKind::Import, "m/util"),
                changed(InputKind::Import, "m/internal/a"),
                changed(InputKind::PackageMain, "packagemain"),
            ]),
        );
        let ex = Outcomes(o);
        assert_eq!(
            chain(&ex, "link m"),
            ["build m/util", "build m/internal/a", "build m", "link m"]
        );
        let text = explain(&ex, "link m");
        assert!(
            text.contains("chain: m/util → m/internal/a → m → link m\n"),
            "{text}"
        );
        assert!(
            text.contains("root cause: file util/util.go A → B\n"),
            "{text}"
        );
    }

    #[test]
    fn diff_names_files_imports_and_config() {
        let old = inputs(&[
            "go1.23.5",
            "go 1.12",
            "file util.go AAA",
            "import fmt F1",
            "import unsafe ",
        ]);
        let new = inputs(&[
            "go1.23.5",
            "go 1.13",
            "file util.go BBB",
            "import fmt F2",
            "import unsafe ",
        ]);
        let d: Vec<String> = diff(&old, &new, "util/")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            d,
            [
                "file util/util.go AAA → BBB",
                "import fmt F1 → F2",
                "config go 1.12 → 1.13"
            ]
        );
    }
}
