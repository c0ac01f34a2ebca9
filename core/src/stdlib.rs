//! The standard library of go1.23.5 as the go command sees it: for each supported target, every
//! package of `go list -deps std` with its imports, import map and source files (names and byte
//! sizes). The loader resolves std imports against it; the planner renders the compile, asm and
//! cgo command lines of std packages from it.
//!
//! The data is embedded (`core/data/std-go1.23.5-*.txt`, written by `scripts/gen-stdgraph.py` from
//! the real `go list -deps -json std`) and parsed on first use per target. This module knows no
//! file contents, only names and sizes; it reads no GOROOT and does no IO at run time. The
//! features `linux-std` and `cross-targets` (both default) choose what is embedded; the caller
//! fetches a target's file that is not and hands it to [`StdLib::provide`] (the page does, see
//! `web/src/assets.rs`).
//!
//! # Targets
//!
//! | target        | CGO_ENABLED | packages |
//! |---------------|-------------|----------|
//! | linux/amd64   | 1           | 305      |
//! | linux/amd64   | 0           | 304      |
//! | darwin/arm64  | 0           | 303      |
//! | windows/amd64 | 0           | 306      |
//!
//! The cross targets are listed with cgo off, as go does by default when cross-compiling.
//!
//! # Data format (version 3)
//!
//! Line-oriented text; `#` starts a comment line. A header of `key value` lines comes first:
//!
//! ```text
//! stdgraph 4                    format version; always the first non-comment line
//! base linux amd64 cgo1         only in an overlay (below)
//! go go1.23.5                   the toolchain the data came from
//! target linux amd64 cgo1       GOOS GOARCH CGO_ENABLED
//! env GOAMD64=v1                the architecture level go passes to asm as -D GOAMD64_v1
//! packages 305                  the package count after overlaying
//! ```
//!
//! Then one block per package, sorted by import path. Only `pkg` is required; empty lists are
//! left out:
//!
//! ```text
//! pkg math/rand/v2 rand         import path, then the package name when it is not the last element
//! imports C errors vendor/golang.org/x/net/dns/dnsmessage ...   as go lists them (see below)
//! importmap golang.org/x/net/dns/dnsmessage=vendor/golang.org/x/net/dns/dnsmessage
//! go a.go:1234 b.go:99          GoFiles as name:bytes, in go's order
//! cgo  s  c  h  syso  embed     CgoFiles, SFiles, CFiles, HFiles, SysoFiles, EmbedFiles, likewise
//! embedpatterns p256_asm_table.bin
//! cgocflags -fno-stack-protector    the #cgo CFLAGS / LDFLAGS directives, as go lists them
//! cgoldflags -lresolv
//! exports Errorf Formatter ...  the names the package exports on this target, sorted
//! funcs Atoi:2(string) Itoa(int) ...   its exported functions that are not generic, sorted,
//!                               with `:N` where one returns N results other than one, and
//!                               its parameters' types as types2 prints them to an importer
//!                               (`io.Writer`, `...any`) where each prints as one word
//! ```
//!
//! `exports` (new in version 2) is there for the packages a module may import (not internal,
//! not vendored) that export at most 1,000 names (syscall and debug/elf export more): the
//! simulated compiler's `undefined: fmt.Prinln` ([`StdPackage::exports`]). `funcs` (new in
//! version 3) is beside it: the simulated compiler's `assignment mismatch: 1 variable but
//! strconv.Atoi returns 2 values` ([`StdPackage::funcs`]); version 4 adds the parameters, for
//! `not enough arguments in call to strings.Repeat` and `cannot use "12" (untyped string
//! constant) as int value in argument to strconv.Itoa`.
//!
//! `imports` keeps go's order: sorted by the path written in the source, with a vendored import
//! replaced in place by its `vendor/...` path, and with the pseudo-import `C` and `unsafe` included.
//! That order is the order of the `packagefile` lines of the package's importcfg, and the order in
//! which `go list -deps` walks, so it is kept rather than re-sorted.
//!
//! One file (linux/amd64, cgo on) is written in full. The others are overlays on it: a `base`
//! header line, `drop <path>` lines for its packages the target lacks, and full blocks for the
//! packages that differ or are new (most of std is the same everywhere; this keeps the four files
//! at 29 KB gzip instead of 65 KB).
//!
//! # What the planner must special-case for std
//!
//! See [`StdPackage::complete`], [`StdPackage::build_imports`] and [`StdPackage::asm_files`]: the
//! `-complete` exceptions, the imports cgo adds, and runtime/cgo's split of its `.s`/`.S` files.
//! Every std package compiles with `-std` and `-lang=go1.23` (std has no module, so the language
//! version is the toolchain's); go1.23 passes no `-+`/`-compiling-runtime` (the tools work that
//! out from the package path). A package whose `h` files end in `_GOARCH`/`_GOOS` gets them copied
//! into its object dir (runtime: `cp .../asm_amd64.h $WORK/b012/asm_GOARCH.h`), as for any package.

use std::sync::OnceLock;

/// The go version every embedded graph was taken from.
pub const GO_VERSION: &str = "go1.23.5";

/// The newest format version this module reads.
const FORMAT_VERSION: u32 = 4;

/// A GOOS/GOARCH/CGO_ENABLED combination with an embedded graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub goos: &'static str,
    pub goarch: &'static str,
    pub cgo_enabled: bool,
}

/// A source file of a std package: its name in the package directory and its size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SrcFile {
    pub name: &'static str,
    pub size: u64,
}

/// One standard-library package on one target. The directory is always `$GOROOT/src/<import_path>`
/// and every package is `Standard`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StdPackage {
    pub import_path: &'static str,
    /// The `package` clause name (`rand` for `math/rand/v2`).
    pub name: &'static str,
    /// The imports as `go list` prints them; see the module doc for the order.
    pub imports: Vec<&'static str>,
    /// Import path as written → resolved path, sorted by the written path. Only vendored
    /// imports appear: `golang.org/x/net/...` → `vendor/golang.org/x/net/...`.
    pub import_map: Vec<(&'static str, &'static str)>,
    pub go_files: Vec<SrcFile>,
    pub cgo_files: Vec<SrcFile>,
    pub s_files: Vec<SrcFile>,
    pub c_files: Vec<SrcFile>,
    pub h_files: Vec<SrcFile>,
    pub syso_files: Vec<SrcFile>,
    pub embed_files: Vec<SrcFile>,
    pub embed_patterns: Vec<&'static str>,
    pub cgo_cflags: Vec<&'static str>,
    pub cgo_ldflags: Vec<&'static str>,
    /// The names the package exports on this target, sorted; empty when the data does not
    /// list them (see the module doc), which callers take as unknown.
    pub exports: Vec<&'static str>,
    /// Its exported functions that are not generic, sorted; empty where `exports` is, and
    /// without the `compile-checks` feature.
    pub funcs: Vec<StdFunc>,
}

/// An exported function of a std package ([`StdPackage::funcs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StdFunc {
    pub name: &'static str,
    /// How many results it returns.
    pub results: u8,
    /// Its parameters' types as types2 prints them to an importer, where the data has them.
    pub params: Option<Vec<&'static str>>,
}

/// One entry of a `funcs` line: `Itoa(int)`, `Atoi:2(string)`, `Exit:0(int)`, `Now:1()`, or
/// without parentheses where the parameters are not listed.
#[cfg(feature = "compile-checks")]
fn std_func(entry: &'static str) -> Option<StdFunc> {
    let (head, params) = match entry.split_once('(') {
        Some((head, rest)) => {
            let list = rest.strip_suffix(')')?;
            let params = if list.is_empty() {
                Vec::new()
            } else {
                list.split(',').collect()
            };
            (head, Some(params))
        }
        None => (entry, None),
    };
    let (name, results) = match head.split_once(':') {
        None => (head, 1),
        Some((name, n)) => (name, n.parse().ok()?),
    };
    Some(StdFunc {
        name,
        results,
        params,
    })
}

/// The std packages of one target, sorted by import path.
#[derive(Debug)]
pub struct StdLib {
    target: Target,
    arch_env: Option<(&'static str, &'static str)>,
    packages: Vec<StdPackage>,
}

/// Whether `path` names a standard-library package by go's rule (`search.IsStandardImportPath`):
/// its first element has no dot. It says nothing of whether such a package exists.
pub fn is_std_path(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    !first.contains('.')
}

const fn target(goos: &'static str, goarch: &'static str, cgo_enabled: bool) -> Target {
    Target {
        goos,
        goarch,
        cgo_enabled,
    }
}

/// The data file of each target, the full one first. `None`: not compiled in; see
/// [`StdLib::provide`].
///
/// linux/amd64 (cgo on and off) is embedded with the `linux-std` feature, darwin/arm64 and
/// windows/amd64 with `cross-targets` (both on by default; the native binary and the tests use
/// them). The page's wasm leaves both off. The cross targets were 11 KB of its gzipped size and
/// are needed only when a helper on such a machine runs the real tools, so the page fetches
/// that file then; linux/amd64's graph (the simulated toolchain's target) was another 17 KB of
/// data the browser had to download and compile as part of the module, and is fetched instead
/// while the page opens its IndexedDB cache (`web/src/assets.rs`).
const EMBEDDED: [(Target, Option<&str>); 4] = [
    (target("linux", "amd64", true), LINUX_CGO1),
    (target("linux", "amd64", false), LINUX_CGO0),
    (target("darwin", "arm64", false), CROSS_DARWIN),
    (target("windows", "amd64", false), CROSS_WINDOWS),
];

#[cfg(feature = "linux-std")]
const LINUX_CGO1: Option<&str> = Some(include_str!("../data/std-go1.23.5-linux-amd64-cgo1.txt"));
#[cfg(feature = "linux-std")]
const LINUX_CGO0: Option<&str> = Some(include_str!("../data/std-go1.23.5-linux-amd64-cgo0.txt"));
#[cfg(not(feature = "linux-std"))]
const LINUX_CGO1: Option<&str> = None;
#[cfg(not(feature = "linux-std"))]
const LINUX_CGO0: Option<&str> = None;
#[cfg(feature = "cross-targets")]
const CROSS_DARWIN: Option<&str> = Some(include_str!("../data/std-go1.23.5-darwin-arm64-cgo0.txt"));
#[cfg(feature = "cross-targets")]
const CROSS_WINDOWS: Option<&str> =
    Some(include_str!("../data/std-go1.23.5-windows-amd64-cgo0.txt"));
#[cfg(not(feature = "cross-targets"))]
const CROSS_DARWIN: Option<&str> = None;
#[cfg(not(feature = "cross-targets"))]
const CROSS_WINDOWS: Option<&str> = None;

const TARGETS: [Target; 4] = [EMBEDDED[0].0, EMBEDDED[1].0, EMBEDDED[2].0, EMBEDDED[3].0];

/// The data files handed over at run time for targets not compiled in ([`StdLib::provide`]).
static PROVIDED: [OnceLock<&'static str>; 4] = [const { OnceLock::new() }; 4];

static PARSED: [OnceLock<StdLib>; 4] = [const { OnceLock::new() }; 4];

/// The data file of target `i`: compiled in, or provided at run time, or not (yet) available.
fn text(i: usize) -> Option<&'static str> {
    EMBEDDED[i].1.or_else(|| PROVIDED[i].get().copied())
}

/// The parsed graph of target `i`, if its data (and its base's) is available.
fn graph(i: usize) -> Option<&'static StdLib> {
    if let Some(lib) = PARSED[i].get() {
        return Some(lib);
    }
    let text = text(i)?;
    let want = EMBEDDED[i].0;
    // The target by name, not `{:?}`: `Target`'s `Debug` would be in the page's wasm for these
    // messages alone.
    let name = format!(
        "{}/{} cgo{}",
        want.goos, want.goarch, want.cgo_enabled as u8
    );
    let raw = parse(text).unwrap_or_else(|e| panic!("std graph {name}: {e}"));
    let lib = match raw.base {
        None => raw.into_lib(),
        Some(base) => {
            let j = TARGETS.iter().position(|t| *t == base);
            let j = j.unwrap_or_else(|| panic!("std graph {name}: its base is not a known target"));
            raw.overlay_on(graph(j)?)
                .unwrap_or_else(|e| panic!("std graph {name}: {e}"))
        }
    };
    assert!(lib.target == want, "std graph {name} has the wrong target");
    Some(PARSED[i].get_or_init(|| lib))
}

impl StdLib {
    /// The graph for a target, or `None` if none is embedded for it. Parsed on first use.
    ///
    /// A target whose data is neither compiled in nor provided yet is `None` too; see
    /// [`StdLib::data_file`] and [`StdLib::provide`].
    pub fn for_target(goos: &str, goarch: &str, cgo_enabled: bool) -> Option<&'static StdLib> {
        graph(Self::target_index(goos, goarch, cgo_enabled)?)
    }

    /// The targets Buildlab has a graph for (compiled in or to be provided).
    pub fn targets() -> &'static [Target] {
        &TARGETS
    }

    fn target_index(goos: &str, goarch: &str, cgo_enabled: bool) -> Option<usize> {
        TARGETS
            .iter()
            .position(|t| t.goos == goos && t.goarch == goarch && t.cgo_enabled == cgo_enabled)
    }

    /// For a known target whose graph is not compiled into this build and not provided yet: the
    /// name of its data file (`std-go1.23.5-darwin-arm64-cgo0.txt`), which the caller fetches and
    /// hands to [`StdLib::provide`]. `None` when the graph is available or the target unknown.
    pub fn data_file(goos: &str, goarch: &str, cgo_enabled: bool) -> Option<String> {
        let i = Self::target_index(goos, goarch, cgo_enabled)?;
        if text(i).is_some() {
            return None;
        }
        let t = TARGETS[i];
        Some(format!(
            "std-{GO_VERSION}-{}-{}-cgo{}.txt",
            t.goos, t.goarch, t.cgo_enabled as u8
        ))
    }

    /// Makes a target's graph available from its data file's text (as `scripts/gen-stdgraph.py`
    /// wrote it), for a build that does not compile it in. The text is checked in full before
    /// it is kept: format, go version, a known target, its base available, the package count.
    /// Providing a target that is already available changes nothing. Returns the target.
    ///
    /// The graph's strings borrow from the text for the program's lifetime, as they do from the
    /// compiled-in files, so the text is leaked; a rejected one too (one file per attempt).
    pub fn provide(text: String) -> Result<Target, String> {
        let text: &'static str = Box::leak(text.into_boxed_str());
        let raw = parse(text)?;
        let t = raw.target;
        let i = Self::target_index(t.goos, t.goarch, t.cgo_enabled)
            .ok_or_else(|| format!("no std graph is known for {}/{}", t.goos, t.goarch))?;
        if let Some(base) = raw.base {
            let j = TARGETS
                .iter()
                .position(|x| *x == base)
                .ok_or("unknown base")?;
            let base = graph(j).ok_or("its base graph is not available")?;
            raw.overlay_on(base)?;
        }
        if self::text(i).is_none() {
            let _ = PROVIDED[i].set(text);
        }
        Ok(TARGETS[i])
    }

    /// The go version the graphs describe, `go1.23.5`.
    pub fn go_version() -> &'static str {
        GO_VERSION
    }

    pub fn target(&self) -> Target {
        self.target
    }

    /// The architecture-level variable of the target, e.g. `("GOAMD64", "v1")`; asm gets it as
    /// `-D GOAMD64_v1`. (`GOARM64=v8.0` adds no asm flag: only an LSE level would.)
    pub fn arch_env(&self) -> Option<(&'static str, &'static str)> {
        self.arch_env
    }

    /// Every package, sorted by import path.
    pub fn packages(&self) -> &[StdPackage] {
        &self.packages
    }

    pub fn len(&self) -> usize {
        self.packages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    pub fn get(&self, import_path: &str) -> Option<&StdPackage> {
        let i = self
            .packages
            .binary_search_by(|p| p.import_path.cmp(import_path))
            .ok()?;
        Some(&self.packages[i])
    }

    pub fn contains(&self, import_path: &str) -> bool {
        self.get(import_path).is_some()
    }

    /// The roots and everything they depend on, in the order `go list -deps` prints them: a
    /// depth-first walk over [`StdPackage::build_imports`] that lists a package after its
    /// imports. Paths not in the graph are skipped.
    pub fn deps(&self, roots: &[&str]) -> Vec<&StdPackage> {
        let mut seen = vec![false; self.packages.len()];
        let mut out = Vec::new();
        // An explicit stack of (package index, its build imports, next import) instead of recursion.
        let mut stack: Vec<(usize, Vec<&'static str>, usize)> = Vec::new();
        for root in roots {
            let Ok(r) = self.index(root) else { continue };
            if seen[r] {
                continue;
            }
            seen[r] = true;
            stack.push((r, self.packages[r].build_imports(), 0));
            while let Some(top) = stack.last_mut() {
                let next = top.1.get(top.2).copied();
                top.2 += 1;
                match next {
                    Some(imp) => {
                        if let Ok(j) = self.index(imp) {
                            if !seen[j] {
                                seen[j] = true;
                                stack.push((j, self.packages[j].build_imports(), 0));
                            }
                        }
                    }
                    None => {
                        let (i, _, _) = stack.pop().expect("non-empty");
                        out.push(&self.packages[i]);
                    }
                }
            }
        }
        out
    }

    fn index(&self, import_path: &str) -> Result<usize, usize> {
        self.packages
            .binary_search_by(|p| p.import_path.cmp(import_path))
    }
}

impl StdPackage {
    /// Whether go runs cgo on this package (it has CgoFiles).
    pub fn uses_cgo(&self) -> bool {
        !self.cgo_files.is_empty()
    }

    /// What an import written as `raw` in this package resolves to (its vendored path, if any).
    pub fn resolve_import<'a>(&self, raw: &'a str) -> &'a str {
        match self
            .import_map
            .binary_search_by(|(from, _)| (*from).cmp(raw))
        {
            Ok(i) => self.import_map[i].1,
            Err(_) => raw,
        }
    }

    /// The packages the compile action depends on, in go's order (`p.Internal.Imports`): the
    /// imports without the pseudo-import `C`, then those cgo adds to a package with CgoFiles:
    /// `unsafe`, `runtime/cgo` (not for runtime/cgo itself) and `syscall` (not for runtime/cgo,
    /// runtime/race, runtime/msan, runtime/asan), each unless already there. `go list` does not
    /// print the added ones: `net` lists no `runtime/cgo`, yet its importcfg ends with it.
    pub fn build_imports(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> =
            self.imports.iter().copied().filter(|i| *i != "C").collect();
        if self.uses_cgo() {
            let mut add = |p: &'static str| {
                if !self.imports.contains(&p) && !out.contains(&p) {
                    out.push(p);
                }
            };
            add("unsafe");
            if self.import_path != "runtime/cgo" {
                add("runtime/cgo");
            }
            if !matches!(
                self.import_path,
                "runtime/cgo" | "runtime/race" | "runtime/msan" | "runtime/asan"
            ) {
                add("syscall");
            }
        }
        out
    }

    /// Whether compile gets `-complete` (gc.go): only when the package has no non-Go files at all
    /// (cgo, C, assembly, syso), and never for the ten std packages that declare functions whose
    /// bodies the runtime supplies: bytes, internal/poll, net, os, runtime/metrics, runtime/pprof,
    /// runtime/trace, sync, syscall, time.
    pub fn complete(&self) -> bool {
        const RUNTIME_SUPPLIED: [&str; 10] = [
            "bytes",
            "internal/poll",
            "net",
            "os",
            "runtime/metrics",
            "runtime/pprof",
            "runtime/trace",
            "sync",
            "syscall",
            "time",
        ];
        let ext =
            self.cgo_files.len() + self.c_files.len() + self.s_files.len() + self.syso_files.len();
        ext == 0 && !RUNTIME_SUPPLIED.contains(&self.import_path)
    }

    /// The `.s` files go's own assembler handles (`asm -gensymabis`, then one `asm` run each); when
    /// this is non-empty, compile also gets `-symabis` and `-asmhdr`. In a cgo package the
    /// assembly goes to gcc instead, except in runtime/cgo, where only the `gcc_*` files do.
    pub fn asm_files(&self) -> Vec<SrcFile> {
        if !self.uses_cgo() {
            return self.s_files.clone();
        }
        if self.import_path == "runtime/cgo" {
            return self
                .s_files
                .iter()
                .copied()
                .filter(|f| !f.name.starts_with("gcc_"))
                .collect();
        }
        Vec::new()
    }

    /// Bytes of GoFiles plus SFiles (the oracle's `SrcBytes`).
    pub fn source_bytes(&self) -> u64 {
        self.go_files
            .iter()
            .chain(&self.s_files)
            .map(|f| f.size)
            .sum()
    }
}

/// A parsed data file before any overlay is applied.
#[derive(Debug)]
struct RawGraph {
    base: Option<Target>,
    target: Target,
    arch_env: Option<(&'static str, &'static str)>,
    count: usize,
    drops: Vec<&'static str>,
    packages: Vec<StdPackage>,
}

impl RawGraph {
    fn into_lib(self) -> StdLib {
        StdLib {
            target: self.target,
            arch_env: self.arch_env,
            packages: self.packages,
        }
    }

    fn overlay_on(self, base: &StdLib) -> Result<StdLib, String> {
        // Every drop names a base package, once (a second drop of it is not in the base any
        // more). The base is merged without the dropped: removing them after would add
        // removal code of its own (Page weight).
        for (i, d) in self.drops.iter().enumerate() {
            if base.get(d).is_none() || self.drops[..i].contains(d) {
                return Err(format!("drop {d}: not in the base"));
            }
        }
        let base = base
            .packages
            .iter()
            .filter(|p| !self.drops.contains(&p.import_path));
        let merged = merge_by_path(base, self.packages);
        if merged.len() != self.count {
            return Err(format!(
                "header says {} packages, overlay gives {}",
                self.count,
                merged.len()
            ));
        }
        Ok(StdLib {
            target: self.target,
            arch_env: self.arch_env,
            packages: merged,
        })
    }
}

/// The packages of `base` (cloned) and `over`, both sorted by import path, in one list sorted
/// by import path; where both have a path, `over`'s. A merge of the two sorted lists rather
/// than a map: a `BTreeMap` of its own key and value type cost the page's first module its
/// insertion and iteration code (docs/benchmarks.md, Page weight).
fn merge_by_path<'a>(
    base: impl Iterator<Item = &'a StdPackage>,
    over: Vec<StdPackage>,
) -> Vec<StdPackage> {
    let mut merged = Vec::with_capacity(over.len());
    let mut base = base.peekable();
    for p in over {
        while let Some(b) = base.next_if(|b| b.import_path < p.import_path) {
            merged.push(b.clone());
        }
        base.next_if(|b| b.import_path == p.import_path);
        merged.push(p);
    }
    merged.extend(base.cloned());
    merged
}

/// `s` quoted as go's `%q` quotes it, for the parser's messages.
fn q(s: &str) -> String {
    crate::plan::go_quote(s.as_bytes())
}

fn parse_target(v: &'static str) -> Result<Target, String> {
    let f: Vec<&'static str> = v.split(' ').collect();
    let cgo_enabled = match f.get(2) {
        Some(&"cgo1") => true,
        Some(&"cgo0") => false,
        _ => return Err(format!("bad target {}, want `GOOS GOARCH cgo0|cgo1`", q(v))),
    };
    if f.len() != 3 {
        return Err(format!("bad target {}, want `GOOS GOARCH cgo0|cgo1`", q(v)));
    }
    Ok(Target {
        goos: f[0],
        goarch: f[1],
        cgo_enabled,
    })
}

fn parse_files(v: &'static str) -> Result<Vec<SrcFile>, String> {
    v.split(' ')
        .map(|tok| {
            let (name, size) = tok
                .rsplit_once(':')
                .ok_or_else(|| format!("file {} has no :size", q(tok)))?;
            let size = size
                .parse()
                .map_err(|_| format!("file {} has a bad size", q(tok)))?;
            Ok(SrcFile { name, size })
        })
        .collect()
}

/// Parses one data file. Errors name the line; they are bugs in the generator, never user errors.
fn parse(text: &'static str) -> Result<RawGraph, String> {
    let mut version = None;
    let (mut base, mut target, mut go, mut arch_env, mut count) = (None, None, None, None, None);
    let mut drops = Vec::new();
    let mut packages: Vec<StdPackage> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |msg: String| format!("line {}: {msg}", n + 1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, val) = line
            .split_once(' ')
            .ok_or_else(|| at(format!("no value: {}", q(line))))?;
        if version.is_none() {
            if key != "stdgraph" {
                return Err(at("the first line must be `stdgraph <version>`".into()));
            }
            let v: u32 = val
                .parse()
                .map_err(|_| at(format!("bad version {}", q(val))))?;
            if v != FORMAT_VERSION {
                return Err(at(format!(
                    "format version {v}; this build reads version {FORMAT_VERSION}"
                )));
            }
            version = Some(v);
            continue;
        }
        let header_done = !packages.is_empty() || !drops.is_empty();
        match key {
            // After the first package, `go` lists a package's Go files.
            "base" | "target" | "env" | "packages" if header_done => {
                return Err(at(format!(
                    "header line {} after the first package",
                    q(key)
                )));
            }
            "go" if !header_done => go = Some(val),
            "base" => base = Some(parse_target(val).map_err(at)?),
            "target" => target = Some(parse_target(val).map_err(at)?),
            "env" => {
                let kv = val
                    .split_once('=')
                    .ok_or_else(|| at(format!("bad env {}", q(val))))?;
                arch_env = Some(kv);
            }
            "packages" => {
                count = Some(
                    val.parse::<usize>()
                        .map_err(|_| at(format!("bad count {}", q(val))))?,
                )
            }
            "drop" => drops.push(val),
            "pkg" => {
                let (path, name) = match val.split_once(' ') {
                    Some((p, n)) => (p, n),
                    None => (val, val.rsplit('/').next().unwrap_or(val)),
                };
                if let Some(prev) = packages.last() {
                    if prev.import_path >= path {
                        return Err(at(format!("package {path} is out of order")));
                    }
                }
                packages.push(StdPackage {
                    import_path: path,
                    name,
                    imports: Vec::new(),
                    import_map: Vec::new(),
                    go_files: Vec::new(),
                    cgo_files: Vec::new(),
                    s_files: Vec::new(),
                    c_files: Vec::new(),
                    h_files: Vec::new(),
                    syso_files: Vec::new(),
                    embed_files: Vec::new(),
                    embed_patterns: Vec::new(),
                    cgo_cflags: Vec::new(),
                    cgo_ldflags: Vec::new(),
                    exports: Vec::new(),
                    funcs: Vec::new(),
                });
            }
            _ => {
                let p = packages
                    .last_mut()
                    .ok_or_else(|| at(format!("{} outside a package", q(key))))?;
                // Each kind of line picks its field; one call parses it (one copy of the
                // parse and its error path rather than one per field).
                let files = match key {
                    "go" => &mut p.go_files,
                    "cgo" => &mut p.cgo_files,
                    "s" => &mut p.s_files,
                    "c" => &mut p.c_files,
                    "h" => &mut p.h_files,
                    "syso" => &mut p.syso_files,
                    "embed" => &mut p.embed_files,
                    _ => {
                        let words = match key {
                            "imports" => &mut p.imports,
                            "embedpatterns" => &mut p.embed_patterns,
                            "cgocflags" => &mut p.cgo_cflags,
                            "cgoldflags" => &mut p.cgo_ldflags,
                            "exports" => &mut p.exports,
                            // Read only by the compile checks (the page's first module, which
                            // has none, skips it).
                            "funcs" => {
                                #[cfg(feature = "compile-checks")]
                                {
                                    let funcs: Option<Vec<_>> =
                                        val.split(' ').map(std_func).collect();
                                    p.funcs =
                                        funcs.ok_or_else(|| at(format!("bad funcs {}", q(val))))?;
                                }
                                continue;
                            }
                            "importmap" => {
                                let pairs: Option<Vec<_>> =
                                    val.split(' ').map(|kv| kv.split_once('=')).collect();
                                p.import_map =
                                    pairs.ok_or_else(|| at(format!("bad importmap {}", q(val))))?;
                                if !p.import_map.windows(2).all(|w| w[0].0 < w[1].0) {
                                    return Err(at("importmap is not sorted".into()));
                                }
                                continue;
                            }
                            _ => return Err(at(format!("unknown line {}", q(key)))),
                        };
                        *words = val.split(' ').collect();
                        continue;
                    }
                };
                *files = parse_files(val).map_err(at)?;
            }
        }
    }
    if version.is_none() {
        return Err("empty: no `stdgraph` line".into());
    }
    match go {
        Some(GO_VERSION) => {}
        Some(other) => return Err(format!("go version {}, want {GO_VERSION}", q(other))),
        None => return Err(format!("no `go` line, want {GO_VERSION}")),
    }
    let target = target.ok_or("no `target` line")?;
    let count = count.ok_or("no `packages` line")?;
    if base.is_none() && !drops.is_empty() {
        return Err("`drop` lines in a file without a `base`".into());
    }
    if base.is_none() && count != packages.len() {
        return Err(format!(
            "header says {count} packages, file has {}",
            packages.len()
        ));
    }
    Ok(RawGraph {
        base,
        target,
        arch_env,
        count,
        drops,
        packages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeMap;

    const GO: &str = "/usr/lib/go-1.23/bin/go";

    /// The oracle captures (`/work/shared/oracle`), copied verbatim: `go list -deps -json std`
    /// cut down by the oracle's `stdgraph.py`, with cgo on and off.
    const ORACLE_CGO1: &str = include_str!("../data/testdata/std-graph-go1.23.5.jsonl");
    const ORACLE_CGO0: &str = include_str!("../data/testdata/std-graph-go1.23.5-cgo0.jsonl");
    /// `multi/go-list-deps.json` (`go list -deps -json .` of the multi module) cut down to
    /// ImportPath, Standard, Imports and Deps, one package a line.
    const ORACLE_MULTI: &str = include_str!("../data/testdata/multi-go-list-deps.jsonl");

    /// A target's graph; without the `cross-targets` feature, provided from its data file as the
    /// page does, so every test here also runs with `--no-default-features`.
    fn lib(goos: &str, goarch: &str, cgo: bool) -> &'static StdLib {
        if (goos, goarch, cgo) != ("linux", "amd64", true) {
            lib("linux", "amd64", true); // every other file is an overlay on it
        }
        if let Some(name) = StdLib::data_file(goos, goarch, cgo) {
            let path = format!("{}/data/{name}", env!("CARGO_MANIFEST_DIR"));
            StdLib::provide(std::fs::read_to_string(path).expect("data file")).expect("provide");
        }
        StdLib::for_target(goos, goarch, cgo).expect("known target")
    }

    /// An overlay's `drop` lines each name a base package, once: an unknown one and a repeated
    /// one are refused, in the format's words.
    #[test]
    fn overlay_drops_name_base_packages_once() {
        let base = lib("linux", "amd64", true);
        let text = std::fs::read_to_string(format!(
            "{}/data/std-go1.23.5-darwin-arm64-cgo0.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("data file");
        let overlay =
            |t: String| parse(Box::leak(t.into_boxed_str())).and_then(|r| r.overlay_on(base));
        assert_eq!(overlay(text.clone()).expect("as written").len(), 303);
        let unknown = text.replace("drop runtime/cgo\n", "drop runtime/cgox\n");
        assert_eq!(
            overlay(unknown).unwrap_err(),
            "drop runtime/cgox: not in the base"
        );
        let twice = text.replace("drop runtime/cgo\n", "drop runtime/cgo\ndrop runtime/cgo\n");
        assert_eq!(
            overlay(twice).unwrap_err(),
            "drop runtime/cgo: not in the base"
        );
    }

    /// The exported names of the packages a module may import, per target (go/parser's reading
    /// of the target's files, scripts/stdexports): sorted, exported only, none for internal or
    /// vendored packages nor for the two that export over 1,000 names.
    #[test]
    fn exports_are_what_a_module_may_name() {
        let linux = lib("linux", "amd64", true);
        let fmt = &linux.get("fmt").unwrap().exports;
        for name in ["Println", "Errorf", "Stringer", "Formatter"] {
            assert!(fmt.contains(&name), "fmt exports {name}");
        }
        assert!(!fmt.contains(&"newPrinter") && !fmt.contains(&"Prinln"));
        for p in linux.packages() {
            assert!(
                p.exports.windows(2).all(|w| w[0] < w[1]),
                "{}: sorted",
                p.import_path
            );
            assert!(
                p.exports
                    .iter()
                    .all(|n| n.starts_with(|c: char| c.is_uppercase())),
                "{}: exported names only",
                p.import_path
            );
        }
        assert!(linux.get("internal/poll").unwrap().exports.is_empty());
        assert!(linux.get("syscall").unwrap().exports.is_empty());
        // Functions, with their result counts, among the names; generic ones left out.
        let func = |path: &str, name: &str| {
            let f = linux
                .get(path)
                .unwrap()
                .funcs
                .iter()
                .find(|f| f.name == name)?;
            Some((f.results, f.params.as_ref().map(|p| p.join(", "))))
        };
        let some = |n: u8, p: &str| Some((n, Some(p.to_string())));
        assert_eq!(func("strconv", "Atoi"), some(2, "string"));
        assert_eq!(func("strconv", "Itoa"), some(1, "int"));
        assert_eq!(func("os", "Exit"), some(0, "int"));
        assert_eq!(func("os", "ReadFile"), some(2, "string"));
        assert_eq!(func("time", "Now"), some(1, ""));
        assert_eq!(func("fmt", "Fprintln"), some(2, "io.Writer, ...any"));
        assert_eq!(func("time", "Sleep"), some(0, "time.Duration"));
        // A parameter of a function type prints with spaces: not listed.
        assert_eq!(func("sort", "Slice"), Some((0, None)));
        assert_eq!(func("slices", "Index"), None, "generic");
        for p in linux.packages() {
            assert!(
                p.funcs.windows(2).all(|w| w[0].name < w[1].name),
                "{}",
                p.import_path
            );
            assert!(
                p.funcs.iter().all(|f| p.exports.contains(&f.name)),
                "{}",
                p.import_path
            );
        }
        // An overlay's packages carry their own target's list.
        let windows = lib("windows", "amd64", false);
        assert!(windows.get("os").unwrap().exports.contains(&"Getpid"));
    }

    /// The overlay's merge: the base's packages and the overlay's in import path order, an
    /// overlay package replacing the base's of its path, as inserting both into a map did.
    #[test]
    fn merge_by_path_is_a_map_of_both() {
        let pkg = |path: &'static str, name: &'static str| {
            StdPackage {
                name,
                ..lib("linux", "amd64", true).get("fmt").expect("fmt").clone()
            }
            .with_path(path)
        };
        let base = [pkg("b", "base"), pkg("d", "base"), pkg("f", "base")];
        for over in [
            vec![],
            vec![pkg("a", "over")],
            vec![pkg("d", "over")],
            vec![
                pkg("a", "over"),
                pkg("c", "over"),
                pkg("f", "over"),
                pkg("g", "over"),
            ],
            vec![pkg("b", "over"), pkg("d", "over"), pkg("f", "over")],
        ] {
            let mut map = BTreeMap::new();
            for p in base.iter().cloned().chain(over.iter().cloned()) {
                map.insert(p.import_path, p);
            }
            let want: Vec<StdPackage> = map.into_values().collect();
            assert_eq!(merge_by_path(base.iter(), over), want);
        }
    }

    impl StdPackage {
        fn with_path(mut self, path: &'static str) -> Self {
            self.import_path = path;
            self
        }
    }

    /// What the page relies on: a target not compiled in is absent until its data file is
    /// provided; a provided file is checked before it is kept; providing twice changes nothing.
    #[test]
    fn provide_makes_a_target_available() {
        let data = |name: &str| {
            std::fs::read_to_string(format!("{}/data/{name}", env!("CARGO_MANIFEST_DIR")))
                .expect("data file")
        };
        let cross = cfg!(feature = "cross-targets");
        // The page's case: without `linux-std`, linux/amd64 comes as files too, the full one
        // before its cgo-off overlay (`lib` provides them in that order).
        lib("linux", "amd64", false);
        assert_eq!(StdLib::data_file("linux", "amd64", true), None);
        assert_eq!(StdLib::data_file("linux", "amd64", false), None);
        assert_eq!(
            StdLib::data_file("linux", "arm64", false),
            None,
            "unknown target"
        );
        let win = "std-go1.23.5-windows-amd64-cgo0.txt";
        let text = data(win);
        if !cross && StdLib::data_file("windows", "amd64", false).is_some() {
            assert_eq!(
                StdLib::data_file("windows", "amd64", false).as_deref(),
                Some(win)
            );
            assert!(StdLib::for_target("windows", "amd64", false).is_none());
        }
        // Broken texts are refused and leave the target as it was.
        let available = StdLib::data_file("windows", "amd64", false).is_none();
        let short = text.replace("packages 306", "packages 300");
        assert!(StdLib::provide(short).unwrap_err().contains("306"));
        assert!(StdLib::provide("stdgraph 4\ngo go1.22.0\n".into()).is_err());
        let arm = text.replace("target windows amd64 cgo0", "target linux arm64 cgo0");
        assert_eq!(
            StdLib::provide(arm).unwrap_err(),
            "no std graph is known for linux/arm64"
        );
        assert_eq!(
            StdLib::data_file("windows", "amd64", false).is_none(),
            available
        );
        // The real file is accepted, twice.
        let t = StdLib::provide(text.clone()).expect("provide");
        assert_eq!(
            (t.goos, t.goarch, t.cgo_enabled),
            ("windows", "amd64", false)
        );
        assert_eq!(StdLib::provide(text).expect("again"), t);
        assert_eq!(StdLib::data_file("windows", "amd64", false), None);
        let l = StdLib::for_target("windows", "amd64", false).expect("provided");
        assert_eq!(l.len(), 306);
        assert!(l.contains("internal/syscall/windows"));
    }

    fn jsonl(text: &str) -> Vec<Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).expect("oracle line"))
            .collect()
    }

    fn strs(v: &Value) -> Vec<&str> {
        v.as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap()).collect())
            .unwrap_or_default()
    }

    fn paths(ps: &[&StdPackage]) -> Vec<&'static str> {
        ps.iter().map(|p| p.import_path).collect()
    }

    fn all_roots(l: &StdLib) -> Vec<&str> {
        l.packages().iter().map(|p| p.import_path).collect()
    }

    #[test]
    fn every_target_parses_and_is_closed_under_imports() {
        let counts: Vec<_> = StdLib::targets()
            .iter()
            .map(|t| {
                let l = lib(t.goos, t.goarch, t.cgo_enabled);
                assert_eq!(l.target(), *t);
                for p in l.packages() {
                    for imp in p.build_imports() {
                        assert!(
                            l.contains(imp),
                            "{t:?}: {} imports {imp}, not in the graph",
                            p.import_path
                        );
                    }
                    for (raw, to) in &p.import_map {
                        assert!(
                            p.imports.contains(to),
                            "{}: import map target {to} not imported",
                            p.import_path
                        );
                        assert_eq!(p.resolve_import(raw), *to);
                    }
                }
                format!(
                    "{}/{} cgo={} {}",
                    t.goos,
                    t.goarch,
                    t.cgo_enabled as u8,
                    l.len()
                )
            })
            .collect();
        assert_eq!(
            counts,
            [
                "linux/amd64 cgo=1 305",
                "linux/amd64 cgo=0 304",
                "darwin/arm64 cgo=0 303",
                "windows/amd64 cgo=0 306"
            ]
        );
        assert_eq!(StdLib::go_version(), "go1.23.5");
        assert_eq!(
            lib("linux", "amd64", true).arch_env(),
            Some(("GOAMD64", "v1"))
        );
        assert_eq!(
            lib("darwin", "arm64", false).arch_env(),
            Some(("GOARM64", "v8.0"))
        );
        assert!(StdLib::for_target("darwin", "arm64", true).is_none());
        assert!(StdLib::for_target("js", "wasm", false).is_none());
    }

    /// Every package of the oracle's std graph, field by field, and the `go list -deps std` order.
    #[test]
    fn matches_oracle_std_graph() {
        for (cgo, text, want_len) in [(true, ORACLE_CGO1, 305), (false, ORACLE_CGO0, 304)] {
            let l = lib("linux", "amd64", cgo);
            let oracle = jsonl(text);
            assert_eq!(oracle.len(), want_len);
            assert_eq!(l.len(), want_len, "cgo={cgo}");
            let mut total = 0;
            for o in &oracle {
                let path = o["ImportPath"].as_str().unwrap();
                let p = l
                    .get(path)
                    .unwrap_or_else(|| panic!("cgo={cgo}: {path} missing"));
                let ctx = format!("cgo={cgo} {path}");
                assert_eq!(p.imports, strs(&o["Imports"]), "{ctx}: imports");
                assert_eq!(p.name, o["Name"].as_str().unwrap(), "{ctx}: name");
                assert_eq!(o["Standard"], Value::Bool(true), "{ctx}");
                assert_eq!(
                    p.go_files.len() as u64,
                    o["GoFiles"].as_u64().unwrap(),
                    "{ctx}: GoFiles"
                );
                assert_eq!(
                    p.s_files.len() as u64,
                    o["SFiles"].as_u64().unwrap(),
                    "{ctx}: SFiles"
                );
                assert_eq!(
                    p.source_bytes(),
                    o["SrcBytes"].as_u64().unwrap(),
                    "{ctx}: SrcBytes"
                );
                assert_eq!(
                    p.cgo_files.len() as u64,
                    o["CgoFiles"].as_u64().unwrap(),
                    "{ctx}: CgoFiles"
                );
                let cgo_bytes: u64 = p.cgo_files.iter().map(|f| f.size).sum();
                assert_eq!(
                    cgo_bytes,
                    o["CgoBytes"].as_u64().unwrap(),
                    "{ctx}: CgoBytes"
                );
                total += p.source_bytes();
            }
            if cgo {
                assert_eq!(total, 16_847_131, "the oracle README's total");
            }
            // `go list -deps std`: the matched packages in path order, each after its imports.
            let order: Vec<_> = oracle
                .iter()
                .map(|o| o["ImportPath"].as_str().unwrap())
                .collect();
            assert_eq!(
                paths(&l.deps(&all_roots(l))),
                order,
                "cgo={cgo}: -deps order"
            );
        }
        let edges: usize = lib("linux", "amd64", true)
            .packages()
            .iter()
            .map(|p| p.imports.len())
            .sum();
        assert_eq!(edges, 2107, "std-counts.txt");
        let vendored = lib("linux", "amd64", true)
            .packages()
            .iter()
            .filter(|p| p.import_path.starts_with("vendor/"));
        assert_eq!(vendored.count(), 19, "std-counts.txt");
        let cgo_pkgs: Vec<_> = lib("linux", "amd64", true)
            .packages()
            .iter()
            .filter(|p| p.uses_cgo())
            .map(|p| p.import_path)
            .collect();
        assert_eq!(
            cgo_pkgs,
            [
                "internal/testpty",
                "net",
                "os/user",
                "plugin",
                "runtime/cgo"
            ]
        );
    }

    /// fmt's transitive deps, and every std package's imports and deps, as `go list -deps -json .`
    /// printed them for the multi module.
    #[test]
    fn fmt_deps_match_multi_go_list() {
        let l = lib("linux", "amd64", true);
        let oracle = jsonl(ORACLE_MULTI);
        let std: Vec<_> = oracle
            .iter()
            .filter(|o| o["Standard"] == Value::Bool(true))
            .collect();
        assert_eq!(std.len(), 55);
        for o in std {
            let path = o["ImportPath"].as_str().unwrap();
            let p = l.get(path).unwrap();
            assert_eq!(p.imports, strs(&o["Imports"]), "{path}");
            let mut deps = paths(&l.deps(&[path]));
            assert_eq!(deps.pop(), Some(path));
            deps.sort_unstable();
            assert_eq!(deps, strs(&o["Deps"]), "{path}: Deps");
        }
        let fmt = paths(&l.deps(&["fmt"]));
        assert_eq!(fmt.len(), 53);
        assert_eq!(
            fmt[..4],
            [
                "internal/goarch",
                "unsafe",
                "internal/abi",
                "internal/unsafeheader"
            ]
        );
        assert_eq!(fmt.last(), Some(&"fmt"));
    }

    /// The compile flags of the std packages in `multi/build-x-cold.txt`: every package fmt
    /// needs (unsafe is not compiled) gets `-complete` except these, and those with assembly get
    /// `-symabis`/`-asmhdr`.
    #[test]
    fn compile_flags_match_transcript() {
        let l = lib("linux", "amd64", true);
        let mut no_complete = Vec::new();
        let mut with_asm = Vec::new();
        for p in l
            .deps(&["fmt"])
            .into_iter()
            .filter(|p| p.import_path != "unsafe")
        {
            if !p.complete() {
                no_complete.push(p.import_path);
            }
            if !p.asm_files().is_empty() {
                with_asm.push(p.import_path);
            }
        }
        no_complete.sort_unstable();
        with_asm.sort_unstable();
        let asm = [
            "internal/abi",
            "internal/bytealg",
            "internal/chacha8rand",
            "internal/cpu",
            "internal/reflectlite",
            "internal/runtime/atomic",
            "internal/runtime/syscall",
            "math",
            "reflect",
            "runtime",
            "sync/atomic",
            "syscall",
        ];
        assert_eq!(with_asm, asm);
        let mut want: Vec<_> = asm
            .iter()
            .copied()
            .chain(["internal/poll", "os", "sync", "time"])
            .collect();
        want.sort_unstable();
        assert_eq!(no_complete, want);
        // `asm -gensymabis ... ./abi_test.s ./stub.s`: SFiles include non-test `_test.s` names.
        let abi: Vec<_> = l
            .get("internal/abi")
            .unwrap()
            .asm_files()
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(abi, ["abi_test.s", "stub.s"]);
        let runtime = l.get("runtime").unwrap();
        assert_eq!(runtime.asm_files().len(), 10);
        assert!(runtime.h_files.iter().any(|h| h.name == "asm_amd64.h"));
        // runtime/cgo: asm takes asm_amd64.s, gcc takes gcc_amd64.S; net's .s would go to gcc.
        let rcgo = l.get("runtime/cgo").unwrap();
        assert_eq!(
            rcgo.asm_files().iter().map(|f| f.name).collect::<Vec<_>>(),
            ["asm_amd64.s"]
        );
        assert!(!rcgo.complete());
    }

    /// cgo's added imports: net's importcfg in `cfgtool/build-x-cold.txt` ends with runtime/cgo.
    #[test]
    fn import_map_and_cgo_imports() {
        let l = lib("linux", "amd64", true);
        let net = l.get("net").unwrap();
        assert_eq!(
            net.resolve_import("golang.org/x/net/dns/dnsmessage"),
            "vendor/golang.org/x/net/dns/dnsmessage"
        );
        assert_eq!(net.resolve_import("io"), "io");
        let b = net.build_imports();
        assert_eq!(
            b[..4],
            [
                "cmp",
                "context",
                "errors",
                "vendor/golang.org/x/net/dns/dnsmessage"
            ]
        );
        assert_eq!(b.last(), Some(&"runtime/cgo"));
        assert!(!b.contains(&"C"));
        assert!(!l
            .get("runtime/cgo")
            .unwrap()
            .build_imports()
            .contains(&"syscall"));
        let net0 = lib("linux", "amd64", false).get("net").unwrap();
        assert!(!net0.uses_cgo() && !net0.build_imports().contains(&"runtime/cgo"));
        let nistec = l.get("crypto/internal/nistec").unwrap();
        assert_eq!(nistec.embed_patterns, ["p256_asm_table.bin"]);
        assert_eq!(
            nistec.embed_files,
            [SrcFile {
                name: "p256_asm_table.bin",
                size: 88064
            }]
        );
        assert_eq!(l.get("math/rand/v2").unwrap().name, "rand");

        let cases = [
            ("fmt", true),
            ("net/http", true),
            ("vendor/golang.org/x/net/idna", true),
            ("cmd/go", true),
            ("golang.org/x/net/idna", false),
            ("example.com/m", false),
            ("example/m", true), // go's rule: no dot in the first element
            ("", true),
        ];
        for (path, want) in cases {
            assert_eq!(is_std_path(path), want, "{path:?}");
        }
    }

    #[test]
    fn parse_reports_bad_data() {
        let cases = [
            ("", "empty: no `stdgraph` line"),
            (
                "go go1.23.5\n",
                "line 1: the first line must be `stdgraph <version>`",
            ),
            (
                "stdgraph 5\n",
                "line 1: format version 5; this build reads version 4",
            ),
            (
                "stdgraph 4\ngo go1.22.0\ntarget linux amd64 cgo1\npackages 0\n",
                "go version \"go1.22.0\", want go1.23.5",
            ),
            (
                "stdgraph 4\ngo go1.23.5\ntarget linux amd64\n",
                "line 3: bad target \"linux amd64\", want `GOOS GOARCH cgo0|cgo1`",
            ),
            (
                "stdgraph 4\nimports fmt\n",
                "line 2: \"imports\" outside a package",
            ),
            (
                "stdgraph 4\npkg fmt\ngo a.go\n",
                "line 3: file \"a.go\" has no :size",
            ),
            (
                "stdgraph 4\npkg strconv\nfuncs Atoi:two Itoa\n",
                "line 3: bad funcs \"Atoi:two Itoa\"",
            ),
            (
                "stdgraph 4\npkg strconv\nfuncs Itoa(int\n",
                "line 3: bad funcs \"Itoa(int\"",
            ),
            (
                "stdgraph 4\npkg fmt\nfrob x\n",
                "line 3: unknown line \"frob\"",
            ),
            (
                "stdgraph 4\npkg io\npkg fmt\n",
                "line 3: package fmt is out of order",
            ),
            (
                "stdgraph 4\ngo go1.23.5\ntarget linux amd64 cgo1\npackages 2\npkg fmt\n",
                "header says 2 packages, file has 1",
            ),
            (
                "stdgraph 4\ngo go1.23.5\ntarget linux amd64 cgo1\npackages 0\ndrop fmt\n",
                "`drop` lines in a file without a `base`",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).unwrap_err(), want, "{text:?}");
        }
    }

    // ---- against the installed go, when there is one ----

    fn go_cmd(t: Target, tmp: &std::path::Path, args: &[&str]) -> String {
        let out = std::process::Command::new(GO)
            .args(args)
            .current_dir(tmp)
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOENV", "off")
            .env("GOFLAGS", "")
            .env("GOWORK", "off")
            .env("GOCACHE", tmp.join("cache"))
            .env("GOPATH", tmp.join("gopath"))
            .env("GOMODCACHE", tmp.join("gopath/pkg/mod"))
            .env("GOOS", t.goos)
            .env("GOARCH", t.goarch)
            .env("CGO_ENABLED", if t.cgo_enabled { "1" } else { "0" })
            .env_remove("GOAMD64")
            .env_remove("GOARM64")
            .output()
            .expect("run go");
        assert!(
            out.status.success(),
            "go {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn files(dir: &str, v: &Value) -> Vec<SrcFile> {
        strs(v)
            .into_iter()
            .map(|n| SrcFile {
                name: n.to_string().leak(),
                size: std::fs::metadata(format!("{dir}/{n}")).expect("stat").len(),
            })
            .collect()
    }

    /// Every embedded target against `go list -deps -json std` of the installed go1.23.5, and
    /// the `go list -deps` order of a few packages.
    #[test]
    fn matches_installed_go() {
        if !std::path::Path::new(GO).exists() {
            println!("skipped: {GO} not found");
            return;
        }
        let tmp = std::env::temp_dir().join(format!("buildlab-stdlib-test-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        for &t in StdLib::targets() {
            let l = lib(t.goos, t.goarch, t.cgo_enabled);
            let listed = go_cmd(t, &tmp, &["list", "-deps", "-json", "std"]);
            let listed: Vec<Value> = serde_json::Deserializer::from_str(&listed)
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(listed.len(), l.len(), "{t:?}");
            for o in &listed {
                let path = o["ImportPath"].as_str().unwrap();
                let dir = o["Dir"].as_str().unwrap();
                let p = l
                    .get(path)
                    .unwrap_or_else(|| panic!("{t:?}: {path} missing"));
                let map: BTreeMap<&str, &str> = o["ImportMap"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                            .collect()
                    })
                    .unwrap_or_default();
                let want = StdPackage {
                    import_path: p.import_path,
                    name: p.name,
                    imports: strs(&o["Imports"])
                        .into_iter()
                        .map(|s| &*s.to_string().leak())
                        .collect(),
                    import_map: map
                        .into_iter()
                        .map(|(k, v)| (&*k.to_string().leak(), &*v.to_string().leak()))
                        .collect(),
                    go_files: files(dir, &o["GoFiles"]),
                    cgo_files: files(dir, &o["CgoFiles"]),
                    s_files: files(dir, &o["SFiles"]),
                    c_files: files(dir, &o["CFiles"]),
                    h_files: files(dir, &o["HFiles"]),
                    syso_files: files(dir, &o["SysoFiles"]),
                    embed_files: files(dir, &o["EmbedFiles"]),
                    embed_patterns: strs(&o["EmbedPatterns"])
                        .into_iter()
                        .map(|s| &*s.to_string().leak())
                        .collect(),
                    cgo_cflags: strs(&o["CgoCFLAGS"])
                        .into_iter()
                        .map(|s| &*s.to_string().leak())
                        .collect(),
                    cgo_ldflags: strs(&o["CgoLDFLAGS"])
                        .into_iter()
                        .map(|s| &*s.to_string().leak())
                        .collect(),
                    // go list has no such field: see `exports_are_what_a_module_may_name`.
                    exports: p.exports.clone(),
                    funcs: p.funcs.clone(),
                };
                assert_eq!(p.name, o["Name"].as_str().unwrap(), "{t:?} {path}");
                assert_eq!(*p, want, "{t:?} {path}");
            }
            let order: Vec<_> = listed
                .iter()
                .map(|o| o["ImportPath"].as_str().unwrap())
                .collect();
            assert_eq!(
                paths(&l.deps(&all_roots(l))),
                order,
                "{t:?}: -deps std order"
            );
            for root in ["fmt", "net", "net/http", "os/user"] {
                let out = go_cmd(t, &tmp, &["list", "-deps", root]);
                let want: Vec<_> = out.lines().collect();
                assert_eq!(paths(&l.deps(&[root])), want, "{t:?}: go list -deps {root}");
            }
        }
        let _ = std::process::Command::new("chmod")
            .args(["-R", "u+w"])
            .arg(&tmp)
            .status();
        let _ = std::fs::remove_dir_all(&tmp);
    }

    #[test]
    fn unknown_roots_are_skipped() {
        let l = lib("linux", "amd64", true);
        assert!(l.deps(&["example.com/x"]).is_empty());
        assert!(l.get("example.com/x").is_none() && !l.contains("cmd/go"));
    }
}
