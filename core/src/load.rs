//! The package loader: from a [`Workspace`] and a `go build` command line to the planner's
//! [`PlanInput`], as the go command's loader does it (`cmd/go/internal/load`, `modload`,
//! `go/build`), with go's error texts.
//!
//! Steps, in go's order:
//! 1. *Main module.* `go.mod` is found walking up from the working directory and parsed strictly;
//!    each `replace` with a directory target makes that module available, its `go.mod` parsed
//!    laxly (its `go` line gives the module's `-lang`). A directory holding its own `go.mod`
//!    belongs to that module, never to the enclosing one.
//! 2. *Patterns.* `.`, `./dir`, `./dir/...`, `./...` and import paths, matched in command-line
//!    order; `...` walks directories in name order and skips `_`/`.`-prefixed ones, `testdata`,
//!    nested modules and directories without buildable Go files.
//! 3. *Imports.* A depth-first load over each package's imports sorted by path, then the imports
//!    cmd/go adds (cgo's `unsafe`, `runtime/cgo`, `syscall`; `runtime` for a main package). A path
//!    resolves to the standard library ([`StdLib`], already vendor-resolved) if its first element
//!    has no dot and std has it, else to the available module with the longest matching path.
//!    The import stack is kept as cmd/go keeps it, so cycle and error texts carry the same chain.
//! 4. *Embeds.* `//go:embed` patterns are resolved against the package directory ([`embed`]).
//! 5. *Order.* Packages come out as `go list -deps` prints them: a depth-first post-order from
//!    the roots. Errors are reported the way `go build` prints them: every package's error in
//!    that same order, once per package.
//!
//! What it deliberately does not do: it reads no disk and no module cache (a required module
//! without a directory replacement is unavailable, and importing from it fails as go 1.23 fails
//! with `GOPROXY=off` and an empty cache), it knows no `go.work`, GOPATH mode or test packages,
//! and it does not type-check: compile errors belong to the compiler. Of `-mod` and vendor
//! directories it knows what go decides before it reads a vendored package ([`Lookup`]: the
//! mode, the consistency of an empty `vendor/modules.txt` with `go.mod`, how a missing package
//! is then reported); a `vendor/modules.txt` that lists modules is refused in so many words.

mod embed;
mod godebug;
mod pkgflags;

use std::collections::HashMap;
use std::fmt;

use crate::constraint::{
    classify_dir, BuildContext, DirError, DirFiles, DirImports, DirName, FileError, FileRole,
    OtherKind,
};
use crate::goflags::{BuildSettings, ModFlag, SETTINGS};
use crate::gomod::{self, GoMod, ReplaceTarget};
use crate::plan::{go_quote, BuildMode, ModuleInfo, PkgMore, PkgNode, PlanInput};
use crate::scan::HeaderError;
use crate::stdlib::{is_std_path, StdLib, StdPackage};
use crate::transcript::short_path;
use crate::worded;
use crate::workspace::Workspace;

// ---------------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------------

/// modload's error when a pattern or an import needs the main module and there is none.
const NO_GO_MOD: &str =
    "go.mod file not found in current directory or any parent directory; see 'go help modules'";

/// A `go build` command to load for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadRequest {
    /// The workspace-relative directory go runs in (`""` is the workspace root).
    pub cwd: String,
    /// The package patterns, as on the command line (`.` if none is given).
    pub patterns: Vec<String>,
    pub mode: BuildMode,
    /// The target and its tags.
    pub ctx: BuildContext,
    /// GOROOT as go prints it (`/usr/lib/go-1.23`).
    pub goroot: String,
    /// How the workspace root is shown in messages and package directories (`/home/gopher/hello`).
    pub module_root_display: String,
    /// `-trimpath`, `-tags` (which the loader adds to `ctx`'s build tags) and the per-package
    /// flags, which it hands to each package it matches.
    pub settings: BuildSettings,
}

impl Default for LoadRequest {
    fn default() -> Self {
        LoadRequest {
            cwd: String::new(),
            patterns: vec![".".into()],
            mode: BuildMode::Build,
            ctx: BuildContext::default(),
            goroot: "/usr/lib/go-1.23".into(),
            module_root_display: "/home/gopher/work".into(),
            settings: BuildSettings::default(),
        }
    }
}

/// A successful load: the planner's input and what the UI shows about each package.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub input: PlanInput,
    /// Parallel to `input.packages`.
    pub packages: Vec<PackageInfo>,
    /// `go: warning: "./..." matched no packages`, without the trailing newline.
    pub warnings: Vec<String>,
}

/// What the loader learned about one package, beyond what the planner needs. (Each file's
/// verdict is not kept: nothing read it, and copying every file's name into the result and
/// freeing it again was a measurable part of a load; `DirFiles::verdicts` has them while the
/// loader runs.)
///
/// Its import path is its [`PkgNode`]'s (`input.packages`, same index), and its workspace
/// directory the end of that node's `dir` ([`PackageInfo::ws_dir`]): neither is copied, two
/// strings per package fewer to make and free in a large module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageInfo {
    /// The length of the workspace-relative directory at the end of the package's
    /// [`PkgNode::dir`]; `None` for the standard library.
    ws_dir_len: Option<usize>,
    /// Index into `input.modules`; `None` for the standard library.
    pub module: Option<usize>,
    /// Named on the command line (directly or through a pattern).
    pub root: bool,
}

impl PackageInfo {
    /// The workspace-relative directory of the package whose node is `node` (`""` for the
    /// module root); `None` for the standard library.
    pub fn ws_dir<'n>(&self, node: &'n PkgNode) -> Option<&'n str> {
        self.ws_dir_len.map(|n| &node.dir[node.dir.len() - n..])
    }

    /// Whether the package is the standard library's.
    pub fn is_standard(&self) -> bool {
        self.ws_dir_len.is_none()
    }
}

/// Where an error points, for the editor: a workspace file and go's line and column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub col: usize,
}

/// One error as cmd/go's `PackageError` holds it; `Display` is go's exact text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The import chain (`package A\n\timports B...`), when go prints it.
    pub import_stack: Vec<String>,
    /// `main.go:3:8`, the position as go prints it (short path).
    pub pos: String,
    /// Print the stack even when there is a position (internal-package errors).
    pub always_print_stack: bool,
    pub message: String,
    /// The workspace file and position `pos` names, if any.
    pub location: Option<Location>,
    is_cycle: bool,
}

impl LoadError {
    /// An error with no position or import stack (go prints the message alone).
    pub fn plain(message: impl Into<String>) -> Self {
        LoadError {
            import_stack: Vec::new(),
            pos: String::new(),
            always_print_stack: false,
            message: message.into(),
            location: None,
            is_cycle: false,
        }
    }

    fn with_stack(stack: &[String], message: impl Into<String>) -> Self {
        LoadError {
            import_stack: stack.to_vec(),
            ..LoadError::plain(message)
        }
    }
}

impl fmt::Display for LoadError {
    /// `PackageError.Error()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.pos.is_empty() && (self.import_stack.is_empty() || !self.always_print_stack) {
            return write!(f, "{}: {}", self.pos, self.message);
        }
        if self.import_stack.is_empty() {
            return f.write_str(&self.message);
        }
        write!(f, "package {}", self.import_stack.join("\n\timports "))?;
        if !self.pos.is_empty() {
            write!(f, "\n\t{}", self.pos)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a load failed: every error, in the order `go build` prints them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadErrors {
    pub errors: Vec<LoadError>,
    pub warnings: Vec<String>,
}

impl fmt::Display for LoadErrors {
    /// What go prints on stderr, without the trailing newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self
            .warnings
            .iter()
            .cloned()
            .chain(self.errors.iter().map(|e| e.to_string()))
            .collect();
        f.write_str(&lines.join("\n"))
    }
}

/// Whether this build of core matches every package pattern go takes (its `all-patterns`
/// feature): named `.go` files, `std`, import-path wildcards, and the patterns it refuses in
/// so many words (`cmd`, `...`, `all`). Without it (the page's first module, whose first build
/// is a sample's `.`, `./...` or a directory) such a pattern stops the load with
/// [`PATTERNS_UNSUPPORTED`].
pub const ALL_PATTERNS: bool = cfg!(feature = "all-patterns");

/// The load error of a package with `//go:embed` lines where this build does not resolve them
/// (without `embed-directives`: the page's first module, which hands such a workspace on).
pub const EMBEDS_UNSUPPORTED: &str =
    "buildlab: this build of Buildlab does not resolve //go:embed patterns";

/// The load error of a pattern this build does not match ([`ALL_PATTERNS`]).
pub const PATTERNS_UNSUPPORTED: &str =
    "buildlab: this build of Buildlab matches only directory patterns (., ./..., ./dir)";

/// Whether `pat` is a pattern only [`ALL_PATTERNS`] matches.
fn needs_all_patterns(pat: &str) -> bool {
    pat.ends_with(".go") || !is_local_pattern(pat)
}

/// Whether the pattern `pat` names a directory (relative or absolute), not an import path.
fn is_local_pattern(pat: &str) -> bool {
    is_local_import(pat) || pat.starts_with('/')
}

impl std::error::Error for LoadErrors {}

impl From<LoadError> for LoadErrors {
    fn from(e: LoadError) -> Self {
        LoadErrors {
            errors: vec![e],
            warnings: Vec::new(),
        }
    }
}

/// Loads the packages `req` names from `ws`, as `go build` would before planning.
pub fn load(ws: &Workspace, req: &LoadRequest) -> Result<Loaded, LoadErrors> {
    let mut loaded = if !SETTINGS || req.settings.tags.is_empty() {
        load_for(ws, req)
    } else {
        // `-tags`: the module's files are judged with them (std's graph has its files for the
        // default tags, so a tag its constraints test is refused).
        if let Some(t) = pkgflags::std_changing_tag(&req.settings.tags) {
            return Err(LoadError::plain(worded(|| format!(
                "buildlab: -tags {t}: the standard library builds other files under this tag, \
                 and Buildlab's std graph (go1.23.5) has them for the default tags only"
            )))
            .into());
        }
        let mut tagged = req.clone();
        tagged
            .ctx
            .build_tags
            .extend(req.settings.tags.iter().cloned());
        load_for(ws, &tagged)
    }?;
    if SETTINGS {
        pkgflags::apply(&mut loaded.input);
    }
    Ok(loaded)
}

fn load_for(ws: &Workspace, req: &LoadRequest) -> Result<Loaded, LoadErrors> {
    let std = StdLib::for_target(&req.ctx.goos, &req.ctx.goarch, req.ctx.cgo_enabled).ok_or_else(
        || {
            LoadError::plain(worded(|| format!(
                "go: no standard library graph for {}/{} with CGO_ENABLED={}",
                req.ctx.goos, req.ctx.goarch, req.ctx.cgo_enabled as u8
            )))
        },
    )?;
    let tree = Tree::new(ws);
    let paths = Paths {
        root: req.module_root_display.trim_end_matches('/').to_string(),
        cwd: clean_rel(&req.cwd).unwrap_or_default(),
    };
    let modules = Modules::find(ws, &tree, &paths, req.settings.mod_flag)?;
    let mut l = Loader {
        ws,
        tree: &tree,
        req,
        std,
        paths: &paths,
        mods: &modules,
        // About one node per directory (the module's packages), plus std's.
        nodes: Vec::with_capacity(tree.dirs.list.len() + 512),
        // Every directory's package and std's (a few hundred): never rehashed while loading.
        cache: PathTable::with_capacity(tree.dirs.list.len() + 512),
        stk: Vec::with_capacity(tree.dirs.list.len() + 512),
        frames: Vec::with_capacity(tree.dirs.list.len() + 512),
        classified: std::iter::repeat_with(|| None)
            .take(tree.dirs.list.len())
            .collect(),
        // A guess (five imports and 96 bytes of paths per file, a Go file per file) that saves
        // regrowing: only the pages written are touched. Too small a guess copied the list
        // once per load of a large module into a block twice its size, on fresh pages (glibc
        // maps a block that large anew, and its pages are faulted in on every load): 1,300 page
        // faults per load of the 10,000-package benchmark, about 20 with room enough.
        imports: DirImports::with_capacity(5 * ws.len(), 96 * ws.len(), ws.len()),
        import_path: String::new(),
        cmdline: None,
    };
    let (roots, root_paths, warnings) = l.match_patterns();
    l.finish(roots, root_paths, warnings)
}

// ---------------------------------------------------------------------------------------------
// The workspace as a directory tree
// ---------------------------------------------------------------------------------------------

#[derive(Default, Debug)]
pub(crate) struct Entries<'w> {
    /// The subdirectories, as workspace paths (`dir/name`), sorted (which sorts them by name:
    /// they share the prefix), each with its place in the tree's list ([`Tree::at`]): the `...`
    /// walk goes down without looking each one up by name.
    pub dirs: Vec<(&'w str, u32)>,
    /// The files directly inside, in name order, with their bytes (what
    /// [`Workspace::dir_files`] gives, without searching the workspace again): this range of
    /// the tree's one list ([`Tree::files`]), not a vector per directory (thousands of small
    /// blocks made and freed per load).
    files: std::ops::Range<u32>,
    /// A `*.go` file is directly inside (`fsys.IsDirWithGoFiles`).
    has_go: bool,
    /// A `go.mod` file is directly inside.
    has_gomod: bool,
    /// The directory's number (0 to the number of directories, in the order the tree met them:
    /// path order, parents after their first child): the loader keeps what it learns about a
    /// directory in vectors by this number, so that once it has a directory's entries it needs
    /// no further lookup by name.
    index: usize,
}

/// Every directory of the workspace (including those that hold only directories) and its entries.
/// Names borrow the workspace's paths (every directory is a prefix of a file's path), so building
/// it allocates per directory, not per file; directories are looked up by hash, since the loader
/// asks about each one several times (resolution, `dirInModule`, the `...` walk).
#[derive(Debug)]
pub(crate) struct Tree<'w> {
    /// Every directory and its entries, in the order they were first met (path order, parents
    /// after their first child; a directory's [`Entries::index`] is its place), found by hash.
    dirs: Dirs<'w>,
    /// The directories that hold a `go.mod`, in path order: usually one or a few, which lets
    /// [`Modules::dir_in_module`] answer without a lookup per path element.
    gomod_dirs: Vec<&'w str>,
    /// Every directory's files ([`Entries::files`]), each directory's in one run.
    files: Vec<(&'w str, &'w [u8])>,
}

impl<'w> Tree<'w> {
    fn new(ws: &'w Workspace) -> Self {
        // Sized for a directory per two files and their parents (one per sixteen); it grows if
        // there are more. (Regrown, the list was a copy and a second large block per load.)
        let guess = ws.len() / 2 + ws.len() / 16 + 1;
        let mut dirs = Dirs {
            list: Vec::with_capacity(guess),
            by_hash: HashIndex::with_capacity(guess),
        };
        let mut gomod_dirs = Vec::new();
        let mut all_files = Vec::with_capacity(ws.len());
        dirs.add("", Entries::default());
        // Paths come in order, so each directory's files arrive in name order, and the files
        // directly inside a directory mostly one after another: a run of them takes one lookup.
        // The current run, gathered first so that a directory whose files are one run (most
        // are) gets its list in one exact allocation: small enough for the allocator's fast
        // bins, where a list grown by pushing was a mid-sized block to coalesce when freed.
        let mut run: Vec<(&'w str, &'w [u8])> = Vec::new();
        let mut run_dir = "";
        // The paths are taken a batch at a time and their bytes touched together before they
        // are split ([`touch_paths`]).
        let mut files = ws.iter();
        let mut batch: Vec<(&'w str, &'w [u8])> = Vec::with_capacity(PATH_BATCH);
        loop {
            batch.clear();
            batch.extend(files.by_ref().take(PATH_BATCH));
            if batch.is_empty() {
                break;
            }
            std::hint::black_box(touch_paths(&batch));
            for &(path, data) in &batch {
                // Each path split once.
                let (dir, name) = split(path);
                if dir != run_dir && !run.is_empty() {
                    Self::add_run(&mut dirs, &mut gomod_dirs, &mut all_files, run_dir, &run);
                    run.clear();
                }
                run_dir = dir;
                run.push((name, data));
            }
        }
        if !run.is_empty() {
            Self::add_run(&mut dirs, &mut gomod_dirs, &mut all_files, run_dir, &run);
        }
        // Directories without files (from a disk): there, and empty.
        for d in ws.empty_dirs() {
            if dirs.find(d).is_none() {
                let i = dirs.add(d, Entries::default());
                Self::list_in_parents(&mut dirs, d, i);
            }
        }
        // Subdirectories arrive in path order, which is not name order (`a-b/x` comes before
        // `a/x`, but `a` before `a-b`).
        for (i, (_, e)) in dirs.list.iter_mut().enumerate() {
            crate::sort::sort(&mut e.dirs);
            e.index = i;
        }
        Tree {
            dirs,
            gomod_dirs,
            files: all_files,
        }
    }

    /// The files directly inside a directory of the tree, in name order, with their bytes.
    pub(crate) fn files(&self, e: &Entries<'w>) -> &[(&'w str, &'w [u8])] {
        &self.files[e.files.start as usize..e.files.end as usize]
    }

    /// Adds a run of files directly inside `dir` (in name order) to its entries: one lookup
    /// for the run's directory (its parents are listed after, if it is new).
    fn add_run(
        dirs: &mut Dirs<'w>,
        gomod_dirs: &mut Vec<&'w str>,
        files: &mut Vec<(&'w str, &'w [u8])>,
        dir: &'w str,
        run: &[(&'w str, &'w [u8])],
    ) {
        let (i, new) = match dirs.find(dir) {
            Some(i) => (i, false),
            None => (dirs.add(dir, Entries::default()), true),
        };
        let e = &mut dirs.list[i].1;
        for &(name, _) in run {
            e.has_go |= name.ends_with(".go");
            if name == "go.mod" {
                e.has_gomod = true;
                gomod_dirs.push(dir);
            }
        }
        // A later run of the same directory (its files interleaved with a subdirectory's)
        // moves the directory's earlier files to the end first (their old places are left
        // unused), so that its files stay one run.
        let end = offset32(files.len());
        if e.files.is_empty() {
            e.files = end..end;
        } else if e.files.end != end {
            let earlier = e.files.start as usize..e.files.end as usize;
            files.extend_from_within(earlier);
            e.files = end..offset32(files.len());
        }
        files.extend_from_slice(run);
        e.files.end = offset32(files.len());
        if new {
            Self::list_in_parents(dirs, dir, i);
        }
    }

    /// Lists the new directory `dir` in its parent, adding the parents that are new too: each
    /// directory is listed once, when it first appears.
    fn list_in_parents(dirs: &mut Dirs<'w>, dir: &'w str, at: usize) {
        let (mut d, mut at) = (dir, offset32(at));
        while !d.is_empty() {
            let parent = split(d).0;
            if let Some(i) = dirs.find(parent) {
                dirs.list[i].1.dirs.push((d, at));
                return;
            }
            let mut e = Entries::default();
            e.dirs.push((d, at));
            at = offset32(dirs.add(parent, e));
            d = parent;
        }
    }

    /// The directory at place `i` of the tree's list ([`Entries::dirs`]' places).
    fn at(&self, i: u32) -> (&'w str, &Entries<'w>) {
        let (k, e) = &self.dirs.list[i as usize];
        (*k, e)
    }

    /// The directory `dir` as the tree holds it (borrowed from the workspace) and its entries,
    /// if it is one.
    fn key(&self, dir: &str) -> Option<(&'w str, &Entries<'w>)> {
        self.dirs.find(dir).map(|i| self.at(offset32(i)))
    }

    pub(crate) fn entries(&self, dir: &str) -> Option<&Entries<'w>> {
        self.key(dir).map(|(_, e)| e)
    }

    pub(crate) fn is_dir(&self, dir: &str) -> bool {
        self.key(dir).is_some()
    }

    pub(crate) fn is_file(&self, path: &str) -> bool {
        let (d, n) = split(path);
        self.has_file(d, n)
    }

    /// `dir/name` is a file.
    pub(crate) fn has_file(&self, dir: &str, name: &str) -> bool {
        self.entries(dir).is_some_and(|e| {
            if name == "go.mod" {
                e.has_gomod
            } else {
                self.files(e)
                    .binary_search_by(|(f, _)| (*f).cmp(name))
                    .is_ok()
            }
        })
    }

    /// Whether no directory strictly below `root` holds a `go.mod`, when that is quick to tell
    /// (`None` when the workspace has more than a few `go.mod` files).
    fn no_gomod_below(&self, root: &str) -> Option<bool> {
        if self.gomod_dirs.len() > 8 {
            return None;
        }
        Some(
            !self
                .gomod_dirs
                .iter()
                .any(|d| *d != root && in_dir(d, root).is_some()),
        )
    }

    /// `dir` as the tree holds it (borrowed from the workspace) and its entries, if it is a
    /// directory with Go files (`fsys.IsDirWithGoFiles`: any `*.go` file directly inside).
    fn go_dir(&self, dir: &str) -> Option<(&'w str, &Entries<'w>)> {
        self.key(dir).filter(|(_, e)| e.has_go)
    }
}

/// The tree's directories, in the order met, and their places by their paths' hashes
/// ([`HashIndex`], as the loader's [`PathTable`]).
#[derive(Debug)]
struct Dirs<'w> {
    list: Vec<(&'w str, Entries<'w>)>,
    by_hash: HashIndex,
}

impl<'w> Dirs<'w> {
    fn find(&self, dir: &str) -> Option<usize> {
        self.by_hash
            .find(HashIndex::hash(dir), |i| self.list[i].0 == dir)
    }

    /// Adds `dir` (not there yet); its place in the list.
    fn add(&mut self, dir: &'w str, e: Entries<'w>) -> usize {
        let i = self.by_hash.insert(HashIndex::hash(dir));
        self.list.push((dir, e));
        i
    }
}

/// How many sibling directories [`touch_headers`] reads ahead of the `...` walk.
const TOUCH_BATCH: usize = 16;

/// Reads the first cache lines (where the package clause and imports are) of every file of
/// the directories `dirs`, folded into one byte for `black_box`. The walk scans each file's
/// header, and the files' bytes are cold: the walk meets them in name order, which is not the
/// order they lie in memory (`p10` comes after `p1`, `p100` after `p10`), so the hardware
/// prefetcher does not guess them, and each scan waited for its file's first miss in turn.
/// Issued back to back for a batch of directories, these loads' misses overlap; the scans
/// then find the lines in cache. (Safe code has no prefetch instruction; a load is one.)
fn touch_headers(tree: &Tree<'_>, dirs: &[(&str, &Entries<'_>)]) -> u8 {
    let mut acc = 0;
    for (_, e) in dirs {
        for (_, data) in tree.files(e) {
            for at in (0..data.len().min(256)).step_by(64) {
                acc ^= data[at];
            }
        }
    }
    acc
}

/// How many workspace paths [`Tree::new`] touches at a time ([`touch_paths`]).
const PATH_BATCH: usize = 32;

/// Reads the first byte of each path, folded into one byte for `black_box`. Each path is its
/// own small block next to its file's bytes, so one path after another is a cache miss after
/// another; issued back to back for a batch, the misses overlap.
fn touch_paths(files: &[(&str, &[u8])]) -> u8 {
    files.iter().fold(0, |acc, (path, _)| {
        acc ^ path.as_bytes().first().copied().unwrap_or(0)
    })
}

/// A position in the tree's list of files.
fn offset32(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 files")
}

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// `a/b`, or either alone when the other is empty. Written out by hand: `concat` over a slice
/// of parts costs several times more, and this runs for every package (its path, its directory).
fn join(a: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + 1 + b.len());
    push_joined(&mut s, a, b);
    s
}

/// [`join`] written at the end of `out`.
fn push_joined(out: &mut String, a: &str, b: &str) {
    out.push_str(a);
    if !a.is_empty() && !b.is_empty() {
        out.push('/');
    }
    out.push_str(b);
}

/// go/build's `IsLocalImport`: `.`, `..`, or a path starting `./` or `../`.
fn is_local_import(path: &str) -> bool {
    matches!(path, "." | "..") || path.starts_with("./") || path.starts_with("../")
}

/// Why a package of GOROOT/src/cmd cannot be loaded.
fn no_cmd() -> String {
    format!(
        "Buildlab's std graph ({}) has the standard library's packages, not the go command's own (cmd/...)",
        crate::stdlib::GO_VERSION
    )
}

/// cmd/go's `FindVendor`: the index of the last `vendor/` that starts a path element (`x/vendor/y`
/// → 2; the effective import path, `y`, follows it).
fn find_vendor(path: &str) -> Option<usize> {
    // Asked of every package: a byte search for `v` first, then a loop over the bytes (a
    // substring search builds its searcher on each call: a third of a load's instructions
    // when it was asked of every import).
    let b = path.as_bytes();
    if !b.contains(&b'v') {
        return None;
    }
    let mut found = None;
    let mut i = 0;
    while i + 7 <= b.len() {
        if b[i] == b'v' && &b[i..i + 7] == b"vendor/" && (i == 0 || b[i - 1] == b'/') {
            found = Some(i);
            i += 7;
        } else {
            i += 1;
        }
    }
    found
}

/// `loadPackageData`'s refusals of a path before it is looked up anywhere.
fn refused_path(path: &str) -> Option<String> {
    if path.starts_with("mod/") {
        return Some(format!(
            "disallowed import path {}",
            go_quote(path.as_bytes())
        ));
    }
    if path.contains('@') {
        return Some(
            "can only use path@version syntax with 'go get' and 'go install' in module-aware mode"
                .into(),
        );
    }
    None
}

/// Cleans a relative slash path (`a/./b/../c` → `a/c`); `None` if it climbs above the root.
fn clean_rel(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for e in path.split('/') {
        match e {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            e => out.push(e),
        }
    }
    Some(out.join("/"))
}

/// search.CleanPatterns for one pattern: cleaned as a path (a leading `./` kept), a version
/// suffix (`@v1`) left as it is.
fn clean_pattern(a: &str) -> String {
    let (p, v) = match a.find('@') {
        Some(i) if !is_local_import(a) && !a.starts_with('/') => a.split_at(i),
        _ => (a, ""),
    };
    let p = match p.strip_prefix("./") {
        Some(_) if !p.starts_with('/') => match go_clean(p).as_str() {
            "." => ".".to_string(),
            c => format!("./{c}"),
        },
        _ => go_clean(p),
    };
    p + v
}

/// filepath.Dir: the path up to its last slash, cleaned (`.` for a bare name).
fn file_dir(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => go_clean(&path[..i]),
        None => ".".to_string(),
    }
}

/// filepath.Clean.
fn go_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for e in path.split('/') {
        match e {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            ".." if rooted => {}
            e => out.push(e),
        }
    }
    match (rooted, out.is_empty()) {
        (true, _) => format!("/{}", out.join("/")),
        (false, true) => ".".to_string(),
        (false, false) => out.join("/"),
    }
}

/// str.FoldDup: the first name equal under case folding to an earlier one, and that earlier
/// one, in sorted order. ASCII case only: go folds all of Unicode, whose tables would weigh
/// more in the page's wasm than every non-ASCII file name collision is worth.
fn fold_dup<'s>(names: &[&'s str]) -> Option<(&'s str, &'s str)> {
    (0..names.len()).find_map(|j| {
        (0..j)
            .find(|&i| names[i].eq_ignore_ascii_case(names[j]))
            .map(|i| (names[i].min(names[j]), names[i].max(names[j])))
    })
}

/// `rel` is `dir` or inside it (both workspace-relative).
fn in_dir<'a>(rel: &'a str, dir: &str) -> Option<&'a str> {
    if dir.is_empty() {
        return Some(rel);
    }
    if rel == dir {
        return Some("");
    }
    rel.strip_prefix(dir)?.strip_prefix('/')
}

/// How workspace paths are shown: absolute under the display root, short relative to the cwd.
struct Paths {
    root: String,
    cwd: String,
}

impl Paths {
    /// `rel` under the display root (an empty root is `/`: the one a root of `/` leaves).
    fn abs(&self, rel: &str) -> String {
        match self.root.is_empty() {
            true => ["/", rel].concat(),
            false => join(&self.root, rel),
        }
    }

    /// The working directory as an absolute path (rooted at `/` when the display root is
    /// empty), for resolving command-line paths.
    fn abs_cwd(&self) -> String {
        go_clean(&format!("/{}/{}", self.root, self.cwd))
    }

    /// [`Paths::abs`] unjoined, for [`classify_dir`]'s messages.
    fn dir_name<'s>(&'s self, rel: &'s str) -> DirName<'s> {
        DirName {
            root: &self.root,
            rel,
        }
    }

    /// `base.ShortPath`: the path relative to the working directory when that is shorter.
    fn short(&self, rel: &str) -> String {
        short_path(&self.abs(rel), &self.abs(&self.cwd))
    }
}

// ---------------------------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Module {
    info: ModuleInfo,
    /// Workspace-relative root directory.
    root: String,
}

/// The main module and the modules it makes available; what is required but unavailable.
struct Modules {
    /// Main module first, then available dependencies by path.
    list: Vec<Module>,
    /// Required modules without a directory replacement: (path, version), by path.
    unavailable: Vec<(String, String)>,
    /// `go.sum` lines of the main module as `path version` / `path version/go.mod`, sorted,
    /// each once (a sorted vector: only `contains` is asked of it).
    sums: Vec<String>,
    main_go_version: String,
    godebug: Vec<(String, String)>,
    /// How an import outside the build list fails (the end of `Loader::resolve`).
    lookup: Lookup,
}

/// `cfg.BuildMod` as modload settles it, and why (`cfg.BuildModReason`): what a missing
/// package's error says.
#[derive(Default)]
struct Lookup {
    /// `-mod=mod`: go would look the package up (with `GOPROXY=off`, in vain).
    query: bool,
    /// `-mod` was given (go then says only that lookups are disabled).
    explicit: bool,
    /// `readonly` or `vendor`.
    mode: &'static str,
    /// Why go chose the mode, when a vendor directory was there to consider.
    reason: Option<String>,
    /// What go prints on stderr as it resolves imports, before the errors (`-mod=mod`: `go:
    /// finding module for package P`, `go: downloading M V`; vendor mode: a vendored package it
    /// ignores); each once, in the order met.
    said: std::cell::RefCell<Vec<String>>,
}

/// Where `path` is in a vector sorted by module path (`Ok`), or where it would go (`Err`).
fn by_path<V>(v: &[(String, V)], path: &str) -> Result<usize, usize> {
    v.binary_search_by(|(k, _)| k.as_str().cmp(path))
}

/// Sets `path`'s value in a vector sorted by module path, as a map's `insert` would.
fn insert_path<V>(v: &mut Vec<(String, V)>, path: String, value: V) {
    match by_path(v, &path) {
        Ok(i) => v[i].1 = value,
        Err(i) => v.insert(i, (path, value)),
    }
}

/// Drops `path` from a vector sorted by module path, if it is there.
fn remove_path<V>(v: &mut Vec<(String, V)>, path: &str) {
    if let Ok(i) = by_path(v, path) {
        v.remove(i);
    }
}

/// Where `pattern` is in a package's sorted embed patterns (`Ok`), or where it would go (`Err`).
fn find_embed(embeds: &[(String, At<'_>)], pattern: &str) -> Result<usize, usize> {
    embeds.binary_search_by(|(k, _)| k.as_str().cmp(pattern))
}

impl Lookup {
    /// Says `line` on stderr before the load's errors (once).
    fn say(&self, line: String) {
        let mut said = self.said.borrow_mut();
        if !said.contains(&line) {
            said.push(line);
        }
    }

    /// What was said, then `warnings` (the pattern warnings go prints after loading).
    fn before(&self, warnings: Vec<String>) -> Vec<String> {
        let said = std::mem::take(&mut *self.said.borrow_mut());
        said.into_iter().chain(warnings).collect()
    }

    /// modload's `setDefaultBuildMod` and, in vendor mode, `checkVendorConsistency` for the
    /// main module at `root`. Buildlab builds no vendored module: a `vendor/modules.txt` that
    /// lists any is refused in so many words; an empty one (or none) is what go checks against
    /// the requirements and replacements, and a vendored package it does not list go ignores
    /// (`Loader::resolve` says so as go does).
    fn settle(
        ws: &Workspace,
        tree: &Tree,
        paths: &Paths,
        root: &str,
        main: &GoMod,
        flag: ModFlag,
    ) -> Result<Lookup, LoadError> {
        let mut l = Lookup {
            query: flag == ModFlag::Mod,
            explicit: flag != ModFlag::Unset,
            mode: if flag == ModFlag::Vendor {
                "vendor"
            } else {
                "readonly"
            },
            reason: None,
            said: Default::default(),
        };
        let vendor = join(root, "vendor");
        if !gomod::FULL_GRAMMAR {
            // The first module's loader: a vendor directory goes to the full one.
            return match tree.is_dir(&vendor) {
                true => Err(LoadError::plain(gomod::UNSUPPORTED)),
                false => Ok(l),
            };
        }
        let go = main.go_version();
        if flag == ModFlag::Unset && tree.is_dir(&vendor) {
            match go {
                Some(v) if gomod::go_at_least(v, "1.14") => {
                    l.mode = "vendor";
                    l.reason = Some(
                        "Go version in go.mod is at least 1.14 and vendor directory exists.".into(),
                    );
                }
                v => {
                    let v = v.unwrap_or("unspecified");
                    l.reason = Some(format!(
                        "Go version in go.mod is {v}, so vendor directory was not used."
                    ));
                }
            }
        }
        if l.mode != "vendor" {
            return Ok(l);
        }
        // What modules.txt lists is what go would build from: Buildlab reads no vendored
        // module.
        let listed = ws
            .get(&join(&vendor, "modules.txt"))
            .is_some_and(|d| d.iter().any(|b| !b.is_ascii_whitespace()));
        if listed {
            return Err(LoadError::plain(worded(|| format!(
                "buildlab: -mod=vendor: {}/modules.txt lists vendored modules, and Buildlab does not build from a vendor directory; build with -mod=mod or -mod=readonly",
                paths.short(&vendor)
            ))));
        }
        // Before go 1.14, modules.txt did not say enough to check against (go checks only what
        // an empty one cannot contradict).
        if !go.is_some_and(|v| gomod::go_at_least(v, "1.14")) {
            return Ok(l);
        }
        let mut errs = String::new();
        for r in main.requires() {
            errs.push_str(&format!(
                "\n\t{}@{}: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
                r.path, r.version
            ));
        }
        for r in &main.replace {
            let old = match &r.old_version {
                Some(v) => format!("{}@{v}", r.old_path),
                None => r.old_path.clone(),
            };
            errs.push_str(&format!(
                "\n\t{old}: is replaced in go.mod, but not marked as replaced in vendor/modules.txt"
            ));
        }
        if errs.is_empty() {
            return Ok(l);
        }
        Err(LoadError::plain(worded(|| format!(
            "go: inconsistent vendoring in {}:{errs}\n\n\tTo ignore the vendor directory, use -mod=readonly or -mod=mod.\n\tTo sync the vendor directory, run:\n\t\tgo mod vendor",
            paths.abs(root)
        ))))
    }
}

impl Modules {
    fn find(
        ws: &Workspace,
        tree: &Tree,
        paths: &Paths,
        mod_flag: ModFlag,
    ) -> Result<Modules, LoadError> {
        // Walk up from the working directory to the first go.mod.
        let mut dir = paths.cwd.clone();
        let root = loop {
            if tree.is_file(&join(&dir, "go.mod")) {
                break dir;
            }
            if dir.is_empty() {
                // No main module: go still builds std's packages and named files; what needs
                // the main module fails with NO_GO_MOD.
                return Ok(Modules {
                    list: Vec::new(),
                    unavailable: Vec::new(),
                    sums: Vec::new(),
                    main_go_version: String::new(),
                    godebug: Vec::new(),
                    lookup: Lookup::default(),
                });
            }
            dir = split(&dir).0.to_string();
        };
        let gomod_rel = join(&root, "go.mod");
        let data = ws.get(&gomod_rel).unwrap_or_default();
        let main = gomod::parse(&paths.short(&gomod_rel), data).map_err(|e| {
            LoadError::plain(match e {
                // Said even without `error-texts`: what this build leaves out is named.
                gomod::ModError::Unsupported => gomod::UNSUPPORTED.to_string(),
                e => worded(|| e.to_string()),
            })
        })?;
        // modload's loadModFile: every `godebug` line checked (each error its own message).
        let short = paths.short(&gomod_rel);
        let godebug_errors: Vec<String> = main
            .godebugs()
            .iter()
            .filter_map(|g| {
                let e = gomod::godebug_error(&g.key, &g.value)?;
                Some(format!(
                    "go: error loading go.mod:\n{short}:{}: {e}",
                    g.pos.line
                ))
            })
            .collect();
        if !godebug_errors.is_empty() {
            return Err(LoadError::plain(godebug_errors.join("\n")));
        }
        let main_path = main.module_path().unwrap_or_default().to_string();
        let main_go = main.go_version().unwrap_or("").to_string();
        let lookup = Lookup::settle(ws, tree, paths, &root, &main, mod_flag)?;
        let mut list = vec![Module {
            info: ModuleInfo {
                path: main_path,
                version: String::new(),
                go_version: main_go.clone(),
                main: true,
                replace: None,
                sum: String::new(),
            },
            root: root.clone(),
        }];

        // The module graph: main's requirements, then those of each available dependency.
        // Three small maps by module path, as sorted vectors (`by_path`): their own B-tree types
        // would each add insert, search and remove code to the page's wasm.
        let mut required: Vec<(String, String)> = Vec::new();
        // In vendor mode go's build list is vendor/modules.txt's (`Lookup::settle` let none
        // through): the requirements' go.mod files are not read.
        let vendor = lookup.mode == "vendor";
        let mut queue: Vec<(String, String)> = main
            .requires()
            .iter()
            .filter(|_| !vendor)
            .map(|r| (r.path.clone(), r.version.clone()))
            .collect();
        let mut available: Vec<(String, Module)> = Vec::new();
        let mut unavailable: Vec<(String, String)> = Vec::new();
        while let Some((path, version)) = queue.pop() {
            if path == list[0].info.path {
                continue;
            }
            match by_path(&required, &path) {
                Ok(i) if semver_cmp(&required[i].1, &version) != std::cmp::Ordering::Less => {
                    continue
                }
                Ok(i) => required[i].1 = version.clone(),
                Err(i) => required.insert(i, (path.clone(), version.clone())),
            }
            match replacement(&main, &path, &version, &root) {
                Some((written, dir)) => {
                    remove_path(&mut unavailable, &path);
                    let dep_mod = join(&dir, "go.mod");
                    let dep = ws
                        .get(&dep_mod)
                        .and_then(|d| gomod::parse_lax(&paths.abs(&dep_mod), d).ok())
                        .unwrap_or_default();
                    // From go1.21 a module's `go` line is a requirement on the go command.
                    if let Some(v) = dep
                        .go_version()
                        .filter(|v| gomod::strict_go_version(v) && gomod::newer_than_local(v))
                    {
                        return Err(LoadError::plain(worded(|| format!(
                            "go: {}",
                            gomod::too_new(&format!("module {written}"), v)
                        ))));
                    }
                    for r in dep.requires() {
                        queue.push((r.path.clone(), r.version.clone()));
                    }
                    insert_path(
                        &mut available,
                        path.clone(),
                        Module {
                            info: ModuleInfo {
                                path: path.clone(),
                                version: version.clone(),
                                go_version: dep.go_version().unwrap_or("").to_string(),
                                main: false,
                                replace: Some((written, String::new())),
                                sum: String::new(),
                            },
                            root: dir,
                        },
                    );
                }
                None => {
                    remove_path(&mut available, &path);
                    insert_path(&mut unavailable, path, version);
                }
            }
        }
        list.extend(available.into_iter().map(|(_, m)| m));
        let mut sums: Vec<String> = ws
            .get(&join(&root, "go.sum"))
            .map(|d| {
                String::from_utf8_lossy(d)
                    .lines()
                    .filter_map(|l| {
                        let mut f = l.split_whitespace();
                        Some(format!("{} {}", f.next()?, f.next()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        crate::sort::sort(&mut sums);
        sums.dedup();
        Ok(Modules {
            list,
            unavailable,
            sums,
            main_go_version: if main_go.is_empty() {
                "1.16".into()
            } else {
                main_go
            },
            godebug: main
                .godebugs()
                .iter()
                .map(|g| (g.key.clone(), g.value.clone()))
                .collect(),
            lookup,
        })
    }

    /// The main module (the first of the list); `None` outside any module.
    fn main(&self) -> Option<&Module> {
        self.list.first()
    }

    /// `dirInModule`: whether `dir` (workspace-relative) is a directory of module `m` — inside its
    /// root with no `go.mod` in between.
    fn dir_in_module(&self, tree: &Tree, m: usize, dir: &str) -> bool {
        let root = &self.list[m].root;
        let Some(rest) = in_dir(dir, root) else {
            return false;
        };
        // A `go.mod` can only be met below the root if some directory there has one: with the
        // few a workspace has, looking through them beats a lookup per path element (this runs
        // twice for every package).
        if tree.no_gomod_below(root) == Some(true) {
            return true;
        }
        // Every directory from `dir` up to (not including) the root.
        let mut d = dir;
        for _ in rest.split('/').filter(|e| !e.is_empty()) {
            if tree.has_file(d, "go.mod") {
                return false;
            }
            d = split(d).0;
        }
        true
    }

    /// The module graph error go reports when an import is not found in the available modules
    /// and the full graph has to be read: the first unavailable module's `go.mod` cannot be had.
    fn graph_error(&self) -> Option<String> {
        let (p, v) = self.unavailable.first()?;
        Some(
            if self.sums.binary_search(&format!("{p} {v}/go.mod")).is_ok() {
                format!("{p}@{v}: module lookup disabled by GOPROXY=off")
            } else {
                format!(
                "{p}@{v}: missing go.sum entry for go.mod file; to add it:\n\tgo mod download {p}"
            )
            },
        )
    }
}

/// The directory a `replace` sends `path@version` to: (the target as written, workspace dir).
fn replacement(main: &GoMod, path: &str, version: &str, root: &str) -> Option<(String, String)> {
    // A version-specific replacement wins over a wildcard one.
    let mut best: Option<&gomod::Replace> = None;
    for r in main.replacements() {
        if r.old_path != path {
            continue;
        }
        match &r.old_version {
            Some(v) if v == version => best = Some(r),
            None if best.is_none_or(|b| b.old_version.is_none()) => best = Some(r),
            _ => {}
        }
    }
    match &best?.new {
        ReplaceTarget::Dir(d) => {
            let dir = clean_rel(&join(root, d))?;
            Some((d.clone(), dir))
        }
        _ => None,
    }
}

/// Compares two semantic versions (`v1.2.3`, prereleases before releases); good enough for MVS.
fn semver_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |v: &str| -> (Vec<u64>, String) {
        let v = v.trim_start_matches('v');
        let (core, pre) = v.split_once('-').unwrap_or((v, ""));
        let core = core.split('+').next().unwrap_or("");
        (
            core.split('.').map(|n| n.parse().unwrap_or(0)).collect(),
            pre.to_string(),
        )
    };
    let (ca, pa) = parse(a);
    let (cb, pb) = parse(b);
    ca.cmp(&cb)
        .then_with(|| match (pa.is_empty(), pb.is_empty()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => pa.cmp(&pb),
        })
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

enum Kind<'a> {
    Std(&'static StdPackage),
    Dir {
        module: usize,
        /// Borrowed from the tree.
        dir: &'a str,
        /// The directory's number ([`Entries::index`]): its files are in
        /// [`Loader::classified`].
        index: usize,
    },
    /// The import could not be resolved; the node only carries the error.
    Missing,
}

struct Node<'a> {
    /// [`find_internal`] of the node's path ([`Paths::get`]): checked on every import of the
    /// package, found once.
    internal: Option<usize>,
    kind: Kind<'a>,
    /// The package is named `main` (all the loader asks of its name; the name itself stays in
    /// the directory's files until the result is made).
    main: bool,
    /// cmd/go's `Internal.Imports`; `None` while the package is being loaded.
    imports: Option<Vec<usize>>,
    /// `Imports` as go list prints them (sorted, without `C`), as node indices.
    listed_imports: Listed,
    /// Boxed, as is [`Node::rare`]: the walk reads every node again on each import of it
    /// (`reuse`, the importer's checks), so nodes are kept small (a node with every field in
    /// place was 416 bytes) and what most packages never have lives elsewhere.
    error: Option<Box<LoadError>>,
    rare: Option<Box<Rare>>,
}

/// What few packages have: set through [`Loader::rare`].
#[derive(Default)]
struct Rare {
    /// [`find_vendor`] of the package's path: where its `vendor/` element is.
    vendor: Option<usize>,
    /// `go build` fails on it when it runs (`no non-test Go files in DIR`).
    build_error: Option<String>,
    embed_files: Vec<String>,
    embed_patterns: Vec<(String, Vec<String>)>,
    directives: Vec<(String, String)>,
    /// The `#cgo` lines' flags ([`crate::cgo::package_flags`]).
    cgo_flags: crate::cgo::CgoFlags,
    /// The package of the files named on the command line: the import path of their directory
    /// in the main module (modload's `DirImportPath`), which its imports of internal packages
    /// are checked against. Such a package has no module.
    cmdline_dir_path: Option<String>,
}

/// A node's `Imports` ([`Node::listed_imports`]).
enum Listed {
    /// Its own list (a std package's, from the std graph).
    Own(Vec<usize>),
    /// The first this many of the node's `imports` (a module package's: its source imports
    /// come first, sorted, then the implicit ones), so that no second vector is made.
    Prefix(usize),
}

enum Resolved<'a> {
    Std(&'static StdPackage),
    /// A module's package: the module and its directory, borrowed from the tree, with the
    /// directory's entries.
    Dir(usize, &'a str, &'a Entries<'a>),
}

/// A pattern's packages, or its error as a synthetic package (go's `MatchError`).
enum Root {
    /// The package's import path: this range of the roots' one string ([`RootPaths`]).
    Path(std::ops::Range<usize>),
    /// Boxed: a root is nearly always a path, and a `./...` has thousands.
    Error(Box<LoadError>),
    /// The package of the files named on the command line ([`Loader::cmdline`]).
    Files,
}

/// The import path cmd/go gives the package it makes of the `.go` files named on the command
/// line (`go build main.go util.go`: load.GoFilesPackage).
pub const COMMAND_LINE_ARGUMENTS: &str = "command-line-arguments";

/// The package `go build a.go b.go` makes of the files it names.
struct CmdlineFiles<'a> {
    /// The files' directory, borrowed from the tree.
    dir: &'a str,
    /// Its classification's slot in [`Loader::classified`] (after the directories').
    index: usize,
}

/// The import paths of the packages the patterns matched, back to back in one string (a
/// `./...` matches thousands: a string each was an allocation and a free per package).
#[derive(Default)]
struct RootPaths {
    text: String,
}

impl RootPaths {
    /// Adds `path`, returning its range.
    fn push(&mut self, path: &str) -> std::ops::Range<usize> {
        let start = self.text.len();
        self.text.push_str(path);
        start..self.text.len()
    }

    /// Adds `a/b` ([`join`]), returning its range.
    fn push_joined(&mut self, a: &str, b: &str) -> std::ops::Range<usize> {
        let start = self.text.len();
        push_joined(&mut self.text, a, b);
        start..self.text.len()
    }

    fn get(&self, r: &std::ops::Range<usize>) -> &str {
        &self.text[r.clone()]
    }
}

/// Where an import or `//go:embed` pattern is written: a workspace file (its directory and
/// name, borrowed from the workspace's paths: no string per file) and go's line and column.
/// Rendered as go prints it (`short/path.go:3:8`) only when an error carries it.
#[derive(Clone, Copy, Debug)]
struct At<'a> {
    dir: &'a str,
    name: &'a str,
    line: usize,
    col: usize,
}

/// A package whose imports are being loaded: one frame of the (explicit) depth-first walk.
/// The walk keeps its own stack so that import chains thousands deep cannot overflow the
/// machine stack (wasm's is 1 MiB). Frames are kept in place in the loader's stack, sized up
/// front (not boxed: a box per package was an allocation and a free per package).
enum Frame<'a> {
    Std {
        p: usize,
        imports: Vec<&'static str>,
        /// The next import to load.
        next: usize,
        internal: Vec<usize>,
    },
    Dir(DirFrame<'a>),
}

/// A [`DirFrame::internal`] slot whose import is not loaded yet.
const UNKNOWN: usize = usize::MAX;

struct DirFrame<'a> {
    p: usize,
    dir: &'a str,
    /// The imports to load: the source imports sorted (without `C`; go list's `Imports`, the
    /// first `listed` of them: [`DirFiles::imports`], a range of [`Loader::imports`]), then
    /// the implicit ones (no file).
    source: std::ops::Range<u32>,
    implicit: Implicit,
    listed: usize,
    next: usize,
    /// cmd/go's `Internal.Imports`, one slot per import in order: the import's node once it is
    /// recorded, before that the node found when the frame began, or [`UNKNOWN`].
    internal: Vec<usize>,
    /// `//go:embed` patterns, sorted, each with its first position (a sorted vector: a package
    /// has a few, and a map type of its own would add its B-tree code to the page's wasm).
    embeds: Vec<(String, At<'a>)>,
    directives: Vec<(String, String)>,
}

/// cmd/go's implicit imports of a package (`unsafe`, `runtime/cgo` and `syscall` for cgo,
/// `runtime` for a main package) that its files do not write: at most four, kept in place.
#[derive(Default)]
struct Implicit {
    paths: [&'static str; 4],
    len: usize,
}

impl Implicit {
    fn push(&mut self, path: &'static str) {
        self.paths[self.len] = path;
        self.len += 1;
    }
}

impl<'a> Frame<'a> {
    fn package(&self) -> usize {
        match self {
            Frame::Std { p, .. } => *p,
            Frame::Dir(d) => d.p,
        }
    }

    /// The import being loaded (the last one handed out); a module package's source imports
    /// are in `imports`.
    fn current<'s>(&'s self, imports: &'s DirImports<'a>) -> (&'s str, Option<At<'a>>) {
        match self {
            Frame::Std { imports, next, .. } => (imports[next - 1], None),
            Frame::Dir(d) => {
                let i = d.next - 1;
                if i >= d.listed {
                    return (d.implicit.paths[i - d.listed], None);
                }
                let imp = &imports.list[d.source.start as usize + i];
                let at = At {
                    dir: d.dir,
                    name: imports.file(imp),
                    line: imp.line as usize,
                    col: imp.col as usize,
                };
                (imports.path(imp), Some(at))
            }
        }
    }

    /// The package of the import handed out last, if it was loaded when the frame began (a
    /// module package's frame looks them up then: see [`Loader::begin_dir`]).
    fn known(&self) -> Option<usize> {
        match self {
            Frame::Std { .. } => None,
            Frame::Dir(d) => Some(d.internal[d.next - 1]).filter(|&p| p != UNKNOWN),
        }
    }

    /// Hands out the next import to load, if any.
    fn advance(&mut self) -> bool {
        let (next, len) = match self {
            Frame::Std { imports, next, .. } => (next, imports.len()),
            Frame::Dir(d) => {
                let len = d.listed + d.implicit.len;
                (&mut d.next, len)
            }
        };
        if *next < len {
            *next += 1;
            true
        } else {
            false
        }
    }
}

/// What starting to load an import gave.
enum Begin<'a> {
    /// Already loaded (or being loaded: a cycle), or unresolvable; `checked` says whether the
    /// importer's checks (internal, program) apply.
    Done { p: usize, checked: bool },
    /// A new package whose own imports must be loaded first.
    Frame(Frame<'a>),
}

struct Loader<'a> {
    ws: &'a Workspace,
    tree: &'a Tree<'a>,
    req: &'a LoadRequest,
    std: &'static StdLib,
    paths: &'a Paths,
    mods: &'a Modules,
    nodes: Vec<Node<'a>>,
    /// Every node's import path, and the node of a path (cmd/go's package cache).
    cache: PathTable,
    /// The import stack, as nodes (cmd/go's `ImportStack`); rendered only into errors.
    stk: Vec<usize>,
    /// The walk's frames ([`Loader::load_import`]), kept between walks and sized for the
    /// deepest one up front: a deep walk's stack grown by doubling is reallocated while the
    /// walk frees many small blocks, which makes glibc's allocator consolidate them.
    frames: Vec<Frame<'a>>,
    /// `classify_dir` results by directory ([`Entries::index`]), from pattern matching or
    /// loading, kept in place until the result is made. Not boxed: a box per directory, freed
    /// with the others at the end, was a mid-sized block each for glibc's allocator to
    /// coalesce (the vector's slots are written once, its pages touched as the directories
    /// are classified).
    classified: Vec<Option<DirFiles<'a>>>,
    /// Every classified directory's imports ([`DirFiles::imports`]).
    imports: DirImports<'a>,
    /// The import being started, copied out of [`Loader::imports`] (which starting it may
    /// grow); kept between walks.
    import_path: String,
    /// `go build a.go b.go`: the package of the named files.
    cmdline: Option<CmdlineFiles<'a>>,
}

impl<'a> Loader<'a> {
    fn new_node(&mut self, path: &str, kind: Kind<'a>) -> usize {
        let i = self.nodes.len();
        self.nodes.push(Node {
            internal: find_internal(path),
            kind,
            main: false,
            imports: None,
            listed_imports: Listed::Own(Vec::new()),
            error: None,
            rare: None,
        });
        self.cache.insert(path);
        if let Some(v) = find_vendor(path) {
            self.rare(i).vendor = Some(v);
        }
        i
    }

    /// The import path of node `p`.
    fn path(&self, p: usize) -> &str {
        self.cache.get(p)
    }

    /// The node's [`Rare`] data, made on first use.
    fn rare(&mut self, p: usize) -> &mut Rare {
        self.nodes[p].rare.get_or_insert_with(Box::default)
    }

    /// The import stack as go prints it.
    fn stack(&self) -> Vec<String> {
        self.stk
            .iter()
            .map(|&q| String::from(self.path(q)))
            .collect()
    }

    fn error_here(&self, msg: impl Into<String>) -> LoadError {
        LoadError {
            import_stack: self.stack(),
            ..LoadError::plain(msg)
        }
    }

    fn stack_top_is(&self, path: &str) -> bool {
        self.stk.last().is_some_and(|&q| self.path(q) == path)
    }

    fn set_pos(&self, e: &mut LoadError, pos: Option<&At>) {
        if let Some(at) = pos {
            let rel = join(at.dir, at.name);
            e.pos = format!("{}:{}:{}", self.paths.short(&rel), at.line, at.col);
            e.location = Some(Location {
                path: rel,
                line: at.line,
                col: at.col,
            });
        }
    }

    // -- resolution (modload's importFromModules) -------------------------------------------

    fn resolve(&self, path: &str, importer: Option<usize>) -> Result<Resolved<'a>, String> {
        // importFromModules' checks before any lookup.
        if is_local_import(path) {
            return Err(worded(|| format!(
                "{} is relative, but relative import paths are not supported in module mode",
                go_quote(path.as_bytes())
            )));
        }
        if path.starts_with('/') {
            return Err(worded(|| format!(
                "{} is not a package path; see 'go help packages'",
                go_quote(path.as_bytes())
            )));
        }
        if matches!(path, "std" | "cmd" | "all") {
            return Err(worded(|| format!(
                "{} is not an importable package; see 'go help packages'",
                go_quote(path.as_bytes())
            )));
        }
        // std's packages have valid paths: judged only when not one of them.
        if is_std_path(path) {
            if let Some(p) = self.std.get(path) {
                return Ok(Resolved::Std(p));
            }
        }
        crate::gomod::check_import_path(path)?;
        // -mod=vendor: a package in the vendor directory is built only when vendor/modules.txt
        // lists it (`Lookup::settle` lets no listing through); go says it ignores it.
        if gomod::FULL_GRAMMAR && self.mods.lookup.mode == "vendor" {
            if let Some(m) = self.mods.main() {
                if self
                    .tree
                    .go_dir(&join(&join(&m.root, "vendor"), path))
                    .is_some()
                {
                    self.mods.lookup.say(format!(
                        "go: ignoring package {path} which exists in the vendor directory but is missing from vendor/modules.txt. To sync the vendor directory run go mod vendor."
                    ));
                }
            }
        }
        // The available module with the longest path that is a prefix of `path`.
        let mut best: Option<(usize, &'a str, &'a Entries<'a>)> = None;
        let tree: &'a Tree<'a> = self.tree;
        for (i, m) in self.mods.list.iter().enumerate() {
            let mp = &m.info.path;
            let rest = if path == mp {
                Some("")
            } else {
                path.strip_prefix(mp.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            let Some(rest) = rest else { continue };
            // The directory as the tree holds it (no string: every module root is in the tree).
            let dir = if m.root.is_empty() {
                tree.go_dir(rest)
            } else {
                tree.go_dir(&join(&m.root, rest))
            };
            let Some((dir, entries)) = dir else { continue };
            if self.mods.dir_in_module(tree, i, dir) {
                let longer = best
                    .as_ref()
                    .is_none_or(|(b, _, _)| self.mods.list[*b].info.path.len() < mp.len());
                if longer {
                    best = Some((i, dir, entries));
                }
            }
        }
        if let Some((m, dir, entries)) = best {
            return Ok(Resolved::Dir(m, dir, entries));
        }
        // A required module without a directory: go would have to download it.
        let providers: Vec<&(String, String)> = self
            .mods
            .unavailable
            .iter()
            .filter(|(mp, _)| path == mp || path.starts_with(&format!("{mp}/")))
            .collect();
        if !providers.is_empty() {
            // -mod=mod: go downloads the providers (go.sum or not), in vain.
            let query = gomod::FULL_GRAMMAR && self.mods.lookup.query;
            if query {
                for (p, v) in &providers {
                    self.mods.lookup.say(format!("go: downloading {p} {v}"));
                }
            }
            if query
                || providers
                    .iter()
                    .all(|(p, v)| self.mods.sums.binary_search(&format!("{p} {v}")).is_ok())
            {
                return Err("module lookup disabled by GOPROXY=off".into());
            }
            let mut msg = format!("missing go.sum entry for module providing package {path}");
            match importer {
                Some(i) => {
                    let by = self.path(i);
                    msg.push_str(&format!(" (imported by {by}); to add:\n\tgo get {by}"));
                }
                None => {
                    let mods: Vec<&str> = providers.iter().map(|(p, _)| p.as_str()).collect();
                    msg.push_str(&format!("; to add:\n\tgo mod download {}", mods.join(" ")));
                }
            }
            return Err(msg);
        }
        if let Some(e) = self.mods.graph_error() {
            return Err(e);
        }
        if is_std_path(path) {
            if path == "cmd" || path.starts_with("cmd/") {
                return Err(worded(|| format!("buildlab: {path}: {}", no_cmd())));
            }
            return Err(worded(|| format!(
                "package {path} is not in std ({}/src/{path})",
                self.req.goroot
            )));
        }
        if self.mods.main().is_none() {
            return Err(worded(|| format!(
                "no required module provides package {path}: {NO_GO_MOD}"
            )));
        }
        let l = &self.mods.lookup;
        if !gomod::FULL_GRAMMAR || (!l.query && !l.explicit && l.reason.is_none()) {
            return Err(worded(|| format!(
                "no required module provides package {path}; to add it:\n\tgo get {path}"
            )));
        }
        if l.query {
            l.say(format!("go: finding module for package {path}"));
            return Err(worded(|| format!(
                "cannot find module providing package {path}: module lookup disabled by GOPROXY=off"
            )));
        }
        Err(worded(|| {
            let mut msg = format!(
                "cannot find module providing package {path}: import lookup disabled by -mod={}",
                l.mode
            );
            if let Some(r) = l.reason.as_ref().filter(|_| !l.explicit) {
                msg.push_str(&format!("\n\t({r})"));
            }
            msg
        }))
    }

    // -- loadImport -------------------------------------------------------------------------

    /// Loads `path` imported by `parent` (none for the command line) at `pos`; returns the
    /// package and an error that belongs to the importer (internal package, program import).
    ///
    /// cmd/go recurses through `loadImport` → `load` → `loadImport`; this is the same
    /// depth-first walk with an explicit stack of [`Frame`]s, in the same order.
    fn load_import(
        &mut self,
        path: &str,
        parent: Option<usize>,
        pos: Option<&At>,
    ) -> (usize, Option<LoadError>) {
        let first = match self.begin(path, parent, pos) {
            Begin::Done { p, checked } => return self.checked(path, parent, pos, p, checked),
            Begin::Frame(f) => f,
        };
        // The loader's stack, empty between walks (see `Loader::frames`).
        let mut frames = std::mem::take(&mut self.frames);
        frames.push(first);
        // The result of the import the top frame handed out last, to be recorded in it.
        let mut done: Option<(usize, Option<LoadError>)> = None;
        loop {
            let top = frames
                .last_mut()
                .expect("the walk ends when its first frame does");
            if let Some((q, perr)) = done.take() {
                self.record(top, q, perr);
            }
            if top.advance() {
                let top = frames.last().expect("just advanced");
                if let Some(p) = top.known() {
                    // `begin`'s first case, found when the frame began.
                    self.stk.push(p);
                    self.reuse(p);
                    self.stk.pop();
                    let top = frames.last().expect("just advanced");
                    let (imp, ipos) = top.current(&self.imports);
                    done = Some(self.checked(imp, Some(top.package()), ipos.as_ref(), p, true));
                    continue;
                }
                let (imp, ipos) = top.current(&self.imports);
                // Copied: starting a new package may classify its directory, which adds to
                // `self.imports`.
                let mut imp_buf = std::mem::take(&mut self.import_path);
                imp_buf.clear();
                imp_buf.push_str(imp);
                let imp = imp_buf.as_str();
                let importer = Some(top.package());
                match self.begin(imp, importer, ipos.as_ref()) {
                    Begin::Done { p, checked } => {
                        done = Some(self.checked(imp, importer, ipos.as_ref(), p, checked));
                    }
                    Begin::Frame(f) => frames.push(f),
                }
                self.import_path = imp_buf;
                continue;
            }
            let f = frames.pop().expect("top exists");
            let p = self.complete(f);
            match frames.last() {
                None => {
                    self.frames = frames;
                    return self.checked(path, parent, pos, p, true);
                }
                Some(up) => {
                    let (imp, ipos) = up.current(&self.imports);
                    done = Some(self.checked(imp, Some(up.package()), ipos.as_ref(), p, true));
                }
            }
        }
    }

    /// The start of `loadImport`: a package met again, an unresolvable import, or a new one.
    fn begin(&mut self, path: &str, parent: Option<usize>, pos: Option<&At>) -> Begin<'a> {
        if let Some(p) = self.cache.find(path) {
            self.stk.push(p);
            self.reuse(p);
            self.stk.pop();
            return Begin::Done { p, checked: true };
        }
        // The root of `go build a.go b.go` (only a root: an import of that path is not it).
        if parent.is_none() && path == COMMAND_LINE_ARGUMENTS {
            if let Some(c) = self.cmdline.take() {
                return self.begin_files(c);
            }
        }
        // `loadPackageData`'s refusals, before any lookup: the package has no data at all, and
        // its error no position (go prints the import stack, the path on it).
        if let Some(msg) = refused_path(path) {
            let p = self.new_node(path, Kind::Missing);
            self.stk.push(p);
            let e = self.error_here(msg);
            self.stk.pop();
            self.nodes[p].error = Some(Box::new(e));
            self.nodes[p].imports = Some(Vec::new());
            return Begin::Done { p, checked: false };
        }
        match self.resolve(path, parent) {
            Err(msg) => {
                let p = self.new_node(path, Kind::Missing);
                let mut e = self.error_here(msg);
                if !self.stack_top_is(path) {
                    self.set_pos(&mut e, pos);
                }
                self.nodes[p].error = Some(Box::new(e));
                self.nodes[p].imports = Some(Vec::new());
                // The importer's checks still apply (a relative import is also a local import
                // in a non-local package).
                Begin::Done { p, checked: true }
            }
            Ok(Resolved::Std(sp)) => {
                let p = self.new_node(path, Kind::Std(sp));
                self.nodes[p].main = sp.name == "main";
                if sp.go_files.is_empty() && sp.cgo_files.is_empty() {
                    // Only test files (embed/internal/embedtest): its build action fails.
                    let dir = format!("{}/src/{path}", self.req.goroot);
                    let msg = format!("{path}: no non-test Go files in {dir}");
                    self.rare(p).build_error = Some(msg);
                }
                self.stk.push(p);
                let imports = sp.build_imports();
                Begin::Frame(Frame::Std {
                    p,
                    internal: Vec::with_capacity(imports.len()),
                    imports,
                    next: 0,
                })
            }
            Ok(Resolved::Dir(m, dir, entries)) => {
                Begin::Frame(self.begin_dir(path, m, dir, entries, pos))
            }
        }
    }

    /// An import of the top frame's package is loaded: record it.
    fn record(&mut self, f: &mut Frame<'a>, q: usize, perr: Option<LoadError>) {
        match f {
            Frame::Std { internal, .. } => internal.push(q),
            Frame::Dir(d) => {
                if let Some(perr) = perr {
                    if self.nodes[d.p].error.is_none() {
                        self.nodes[d.p].error = Some(Box::new(perr));
                    }
                }
                d.internal[d.next - 1] = q;
            }
        }
    }

    /// The end of `loadImport`, once the package is loaded: the importer's checks.
    fn checked(
        &self,
        path: &str,
        parent: Option<usize>,
        pos: Option<&At>,
        p: usize,
        checked: bool,
    ) -> (usize, Option<LoadError>) {
        if !checked {
            return (p, None);
        }
        // Checked on every import: the rules depend on the importer.
        if let Some(parent) = parent {
            if let Some(mut perr) = self.disallow_internal(parent, p) {
                self.set_pos(&mut perr, pos);
                return (p, Some(perr));
            }
            if let Some(msg) = self.disallow_vendor(path, parent, p) {
                let mut perr = self.error_here(msg);
                self.set_pos(&mut perr, pos);
                return (p, Some(perr));
            }
            let pn = &self.nodes[p];
            if pn.main && pn.error.is_none() && self.dir_of(parent) != self.dir_of(p) {
                let mut perr = self.error_here(worded(|| format!(
                    "import \"{path}\" is a program, not an importable package"
                )));
                self.set_pos(&mut perr, pos);
                return (p, Some(perr));
            }
            // In module mode no package is local (named by a relative path) but the named
            // files' (GoFilesPackage's `Internal.Local`): every other relative import is one in
            // a non-local package.
            let parent_local = self.nodes[parent]
                .rare
                .as_ref()
                .is_some_and(|r| r.cmdline_dir_path.is_some());
            if is_local_import(path) && !parent_local {
                let mut perr = self.error_here(match path {
                    "." => ".: cannot import current directory".to_string(),
                    _ => worded(|| format!("local import \"{path}\" in non-local package")),
                });
                self.set_pos(&mut perr, pos);
                return (p, Some(perr));
            }
        }
        (p, None)
    }

    /// `disallowVendor` for an import written in a module package's file: a package under a
    /// `vendor` directory is visible only below that directory's parent (std's, under
    /// GOROOT/src, only to std), and is never imported by its path through `vendor/`.
    fn disallow_vendor(&self, path: &str, parent: usize, p: usize) -> Option<String> {
        let Kind::Dir {
            dir: parent_dir, ..
        } = &self.nodes[parent].kind
        else {
            // std's imports are resolved already (`vendor/…` from `golang.org/x/…`).
            return None;
        };
        // A module package's import reaches the node of the path as written: its `vendor`
        // element, found when the node was made, answers both checks. (In the rare data: a
        // larger node made glibc fault the loader's node table in again on every load of
        // 10,000 packages.)
        let i = self.nodes[p].rare.as_ref()?.vendor?;
        let ip = self.path(p);
        debug_assert_eq!(ip, path);
        // The directory that holds the `vendor` directory: the package's directory without the
        // import path's tail from `/vendor/` on.
        let tail = ip.len() - i.saturating_sub(1);
        let visible = match &self.nodes[p].kind {
            Kind::Std(_) => false,
            Kind::Dir { dir, .. } => {
                let full = self.paths.dir_name(dir).text();
                let from = self.paths.dir_name(parent_dir).text();
                full.len()
                    .checked_sub(tail)
                    .is_none_or(|t| has_path_prefix(&from, &full[..t]))
            }
            Kind::Missing => true,
        };
        if !visible {
            return Some("use of vendored package not allowed".into());
        }
        Some(worded(|| format!(
            "{path} must be imported as {}",
            &path[i + "vendor/".len()..]
        )))
    }

    fn dir_of(&self, p: usize) -> Option<&str> {
        match &self.nodes[p].kind {
            Kind::Dir { dir, .. } => Some(dir),
            _ => None,
        }
    }

    /// `reusePackage`: a package met again; if it is still loading, this is a cycle.
    fn reuse(&mut self, p: usize) {
        // The stack is only rendered into an error: copying it on every reuse is quadratic in
        // the depth of deep import graphs.
        let node = &self.nodes[p];
        if node.imports.is_none() {
            let stack = self.stack();
            match &mut self.nodes[p].error {
                e @ None => {
                    let mut err = LoadError::plain("import cycle not allowed");
                    err.import_stack = stack;
                    err.is_cycle = true;
                    *e = Some(Box::new(err));
                }
                Some(e) => e.is_cycle = true,
            }
        }
        if let Some(e) = &self.nodes[p].error {
            if !e.is_cycle && self.stack_shorter(&e.import_stack) {
                let stack = self.stack();
                if let Some(e) = &mut self.nodes[p].error {
                    e.import_stack = stack;
                }
            }
        }
    }

    /// `ImportStack.shorterThan` of the current stack against `b`.
    fn stack_shorter(&self, b: &[String]) -> bool {
        if self.stk.len() != b.len() {
            return self.stk.len() < b.len();
        }
        for (&x, y) in self.stk.iter().zip(b) {
            let x = self.path(x);
            if x != y {
                return x < y.as_str();
            }
        }
        false
    }

    /// `disallowInternal`.
    fn disallow_internal(&self, parent: usize, p: usize) -> Option<LoadError> {
        let node = &self.nodes[p];
        if node.error.is_some() {
            return None;
        }
        let path = self.path(p);
        let i = node.internal?;
        let allowed = match node.kind {
            // Under GOROOT/src: only std itself may import it.
            Kind::Std(_) => matches!(self.nodes[parent].kind, Kind::Std(_)),
            _ => {
                let parent_of = &path[..i.saturating_sub(1)];
                // The named files' package is checked as its directory's path (load.go's
                // disallowInternal, for an importer with CmdlineFiles).
                let importer = match self.nodes[parent].rare.as_deref() {
                    Some(Rare {
                        cmdline_dir_path: Some(d),
                        ..
                    }) => d.as_str(),
                    _ => self.path(parent),
                };
                has_path_prefix(importer, parent_of)
            }
        };
        if allowed {
            return None;
        }
        let mut e = self.error_here(worded(|| format!("use of internal package {path} not allowed")));
        e.always_print_stack = true;
        Some(e)
    }

    /// go/build's `Import` then the start of `Package.load` for a module directory: the
    /// package's node, its error, and the imports to load.
    fn begin_dir(
        &mut self,
        path: &str,
        module: usize,
        dir: &'a str,
        entries: &'a Entries<'a>,
        pos: Option<&At>,
    ) -> Frame<'a> {
        let index = entries.index;
        if self.classified[index].is_none() {
            let files = classify_dir(
                self.paths.dir_name(dir),
                self.tree.files(entries).iter().copied(),
                &self.req.ctx,
                &mut self.imports,
            );
            self.classified[index] = Some(files);
        }
        self.begin_classified(path, module, dir, index, pos)
    }

    /// The rest of [`Loader::begin_dir`], once the package's files are classified in slot
    /// `index` of [`Loader::classified`].
    fn begin_classified(
        &mut self,
        path: &str,
        module: usize,
        dir: &'a str,
        index: usize,
        pos: Option<&At>,
    ) -> Frame<'a> {
        // Read in place: the few fields a package without errors or cgo needs (moving the
        // whole classification, ~300 bytes, out of its slot and back for every package showed
        // in the profile).
        let files = self.classified[index]
            .as_mut()
            .expect("classified just above");
        let main = files.main;
        let cgo = !files.cgo_files.is_empty();
        let bad = files.error.is_some();
        let source = files.imports.clone();
        // The headers are not needed after this.
        let headers = std::mem::take(&mut files.headers);
        let p = self.new_node(path, Kind::Dir { module, dir, index });
        self.nodes[p].main = main;

        if bad || cgo {
            // Out of its slot while the messages are made (put back below).
            let files = self.classified[index].take().expect("classified above");
            self.dir_or_cgo_error(p, path, dir, &files, pos);
            self.classified[index] = Some(files);
        }

        // The package's imports, sorted, each at its first position, without `C`
        // (`classify_dir` merged them while the files were in cache), then cmd/go's implicit
        // ones.
        let listed = source.len();
        let mut implicit = Implicit::default();
        let cgo: &[&'static str] = if cgo {
            &["unsafe", "runtime/cgo", "syscall"]
        } else {
            &[]
        };
        let main_imports: &[&'static str] = if main { &["runtime"] } else { &[] };
        let written = self.imports.of(&source);
        for &i in cgo.iter().chain(main_imports) {
            if !written.iter().any(|imp| self.imports.path(imp) == i) {
                implicit.push(i);
            }
        }

        // Embeds and `//go:debug` lines of the package's own files.
        let mut embeds: Vec<(String, At<'a>)> = Vec::new();
        let mut directives = Vec::new();
        for k in headers {
            if k.embeds.is_empty() && !main {
                continue;
            }
            let at = |line, col| At {
                dir,
                name: k.name,
                line,
                col,
            };
            for e in k.embeds {
                if let Err(i) = find_embed(&embeds, &e.pattern) {
                    embeds.insert(i, (e.pattern, at(e.pos.line, e.pos.col)));
                }
            }
            // `//go:debug` lines only matter in a main package.
            if main {
                let data = k.data;
                directives.extend(godebug::directives(&data[..k.header_len.min(data.len())]));
            }
        }

        // Every import already loaded, looked up now, one after another: the lookups' cache
        // misses (the path's hash slot, its text, the node) overlap here, where one at a time,
        // each between two packages' work, they did not. The others are `UNKNOWN` until
        // loaded; every slot is overwritten with the import's node as it is recorded.
        let mut internal = Vec::with_capacity(listed + implicit.len);
        let written = self.imports.of(&source);
        for imp in written {
            let found = self.cache.find(self.imports.path(imp));
            internal.push(found.unwrap_or(UNKNOWN));
        }
        for &i in &implicit.paths[..implicit.len] {
            internal.push(self.cache.find(i).unwrap_or(UNKNOWN));
        }
        self.stk.push(p);
        Frame::Dir(DirFrame {
            p,
            dir,
            source,
            implicit,
            listed,
            next: 0,
            internal,
            embeds,
            directives,
        })
    }

    /// The package's error from its directory's classification (setLoadPackageDataError), or
    /// from its `#cgo` lines.
    fn dir_or_cgo_error(
        &mut self,
        p: usize,
        path: &str,
        dir: &'a str,
        files: &DirFiles<'a>,
        pos: Option<&At>,
    ) {
        // The directory's error (setLoadPackageDataError).
        if let Some(err) = &files.error {
            let e = self.dir_error(p, path, dir, files, err, pos);
            match e {
                DirErr::Load(e) => self.nodes[p].error = Some(Box::new(e)),
                DirErr::Build(msg) => self.rare(p).build_error = Some(msg),
            }
        } else if !files.cgo_files.is_empty() && !crate::cgo::COMMANDS {
            // The `#cgo` lines are read where cgo's commands are (the page's full module).
            self.nodes[p].error = Some(Box::new(LoadError::plain(crate::cgo::UNSUPPORTED)));
        } else if !files.cgo_files.is_empty() {
            // go/build's saveCgo: a bad `#cgo` line is the package's error, at its import.
            let abs = self.paths.abs(dir);
            let ws = self.ws;
            let read = |f: &str| ws.get(&join(dir, f));
            match crate::cgo::package_flags(&abs, &files.cgo_files, &self.req.ctx, read) {
                Ok(flags) => self.rare(p).cgo_flags = flags,
                Err(msg) => {
                    let mut e = self.error_here(msg);
                    if !self.stack_top_is(path) {
                        self.set_pos(&mut e, pos);
                    }
                    self.nodes[p].error = Some(Box::new(e));
                }
            }
        }
    }

    /// The end of `Package.load`, once every import is loaded.
    fn complete(&mut self, f: Frame<'a>) -> usize {
        match f {
            Frame::Std { p, internal, .. } => {
                self.stk.pop();
                let Kind::Std(sp) = self.nodes[p].kind else {
                    unreachable!("a std frame's node is std")
                };
                let listed = sp
                    .imports
                    .iter()
                    .filter(|i| **i != "C")
                    .map(|i| self.cache.find(i).expect("a std import is loaded"))
                    .collect();
                let node = &mut self.nodes[p];
                node.listed_imports = Listed::Own(listed);
                node.imports = Some(internal);
                p
            }
            Frame::Dir(d) => {
                let DirFrame {
                    p,
                    dir,
                    listed,
                    internal,
                    embeds,
                    directives,
                    ..
                } = d;
                // Embeds (resolveEmbed), after the imports as in cmd/go. Without
                // `embed-directives` (the page's first module, which hands every Go file with
                // a `//go:embed` line to the full module) they are not resolved.
                if !embeds.is_empty() && !crate::syntax::EMBED_DIRECTIVES {
                    self.nodes[p].error = Some(Box::new(LoadError::plain(EMBEDS_UNSUPPORTED)));
                } else if !embeds.is_empty() {
                    let patterns: Vec<String> = embeds.iter().map(|(k, _)| k.clone()).collect();
                    match embed::resolve(self.tree, dir, &patterns) {
                        Ok((all, pmap)) => {
                            let rare = self.rare(p);
                            rare.embed_files = all;
                            rare.embed_patterns = pmap;
                        }
                        Err(e) => {
                            if self.nodes[p].error.is_none() {
                                let mut err = self.error_here(worded(|| {
                                    format!("pattern {}: {}", e.pattern, e.msg)
                                }));
                                let at = find_embed(&embeds, &e.pattern).ok();
                                self.set_pos(&mut err, at.map(|i| &embeds[i].1));
                                self.nodes[p].error = Some(Box::new(err));
                            }
                        }
                    }
                }
                self.stk.pop();

                if !directives.is_empty() {
                    self.rare(p).directives = directives;
                }
                let node = &mut self.nodes[p];
                node.listed_imports = Listed::Prefix(listed);
                node.imports = Some(internal);
                p
            }
        }
    }

    fn dir_error(
        &self,
        p: usize,
        path: &str,
        dir: &str,
        files: &DirFiles,
        err: &DirError,
        pos: Option<&At>,
    ) -> DirErr {
        let at_import = |msg: String| {
            let mut e = self.error_here(msg);
            if !self.stack_top_is(path) {
                self.set_pos(&mut e, pos);
            }
            DirErr::Load(e)
        };
        let pushed = || {
            let mut s = self.stack();
            s.push(String::from(self.path(p)));
            s
        };
        let abs = self.paths.abs(dir);
        match err {
            DirError::BadFile { file, msg } => {
                let syntax = files.verdicts.iter().find_map(|v| match &v.role {
                    FileRole::Invalid(FileError::Header(HeaderError::Syntax { pos, msg }))
                        if &v.name == file =>
                    {
                        Some((*pos, msg.clone()))
                    }
                    _ => None,
                });
                match syntax {
                    // A scanner error: the position in the file, the package on the stack.
                    Some((at, msg)) => {
                        let rel = join(dir, file);
                        let mut e = LoadError::with_stack(&pushed(), msg);
                        e.pos = worded(|| {
                            format!("{}:{}:{}", self.paths.short(&rel), at.line, at.col)
                        });
                        e.location = Some(Location {
                            path: rel,
                            line: at.line,
                            col: at.col,
                        });
                        DirErr::Load(e)
                    }
                    None => at_import(msg.clone()),
                }
            }
            DirError::ExcludedByConstraints { .. } => DirErr::Load(LoadError::with_stack(
                &pushed(),
                worded(|| format!("build constraints exclude all Go files in {abs}")),
            )),
            DirError::NoGoFiles { .. } => DirErr::Load(LoadError::with_stack(
                &pushed(),
                worded(|| format!("no Go files in {abs}")),
            )),
            // Not a load error: the build action fails when it runs.
            DirError::NoNonTestGoFiles { .. } => {
                DirErr::Build(format!("{path}: no non-test Go files in {abs}"))
            }
            DirError::MultiplePackages { .. } => at_import(worded(|| err.to_string())),
            // Found by cmd/go's `Package.load` with the package on the stack: no position.
            DirError::ForeignSources { .. } => {
                DirErr::Load(LoadError::with_stack(&pushed(), worded(|| err.to_string())))
            }
        }
    }

    // -- patterns -----------------------------------------------------------------------------

    fn match_patterns(&mut self) -> (Vec<(Root, bool)>, RootPaths, Vec<String>) {
        let mut roots: Vec<(Root, bool)> = Vec::new();
        let mut paths = RootPaths::default();
        let mut warnings = Vec::new();
        let patterns = if self.req.patterns.is_empty() {
            vec![".".to_string()]
        } else {
            self.req.patterns.clone()
        };
        if !ALL_PATTERNS && patterns.iter().any(|p| needs_all_patterns(p)) {
            let e = LoadError::plain(PATTERNS_UNSUPPORTED);
            return (vec![(Root::Error(Box::new(e)), true)], paths, warnings);
        }
        // load.PackagesAndErrors: one pattern ending in `.go` that names a file makes every
        // pattern a file of the one package GoFilesPackage makes of them.
        if ALL_PATTERNS
            && patterns
                .iter()
                .any(|p| p.ends_with(".go") && self.names_file(p))
        {
            let root = match self.go_files_package(&patterns) {
                Ok(()) => Root::Files,
                Err(e) => Root::Error(Box::new(e)),
            };
            return (vec![(root, true)], paths, warnings);
        }
        let patterns: Vec<String> = patterns.iter().map(|p| clean_pattern(p)).collect();
        for pat in &patterns {
            // An absolute path names a directory, as a relative one does.
            let local = is_local_pattern(pat);
            let wild = pat.contains("...");
            if local && wild {
                match self.match_local_wild(pat, &mut paths) {
                    Ok(list) if list.is_empty() => {
                        warnings.push(format!("go: warning: \"{pat}\" matched no packages"))
                    }
                    Ok(list) => roots.extend(list.into_iter().map(|p| (Root::Path(p), false))),
                    Err(e) => roots.push((Root::Error(Box::new(e)), false)),
                }
            } else if local {
                match self.resolve_local(pat, &mut paths) {
                    Ok(p) => roots.push((Root::Path(p), true)),
                    Err(e) => roots.push((Root::Error(Box::new(e)), true)),
                }
            } else if !ALL_PATTERNS {
                unreachable!("patterns refused above");
            } else if pat == "std" {
                let list = self.match_std(|_| true);
                roots.extend(list.iter().map(|p| (Root::Path(paths.push(p)), false)));
            } else if pat == "cmd" || pat.starts_with("cmd/") || pat == "..." || pat == "all" {
                // Patterns go answers with packages Buildlab has no data for: the go command's
                // own (GOROOT/src/cmd; `...` matches them too), or, for `all`, test files'
                // imports, which the loader does not follow.
                let why = match pat.as_str() {
                    "all" => "Buildlab does not expand `all` (the main module's packages, their \
                              imports and their tests' imports); name the packages, or ./..."
                        .to_string(),
                    _ => no_cmd(),
                };
                let e = LoadError::plain(worded(|| format!("buildlab: {pat}: {why}")));
                roots.push((Root::Error(Box::new(e)), !pat.contains("...")));
            } else if wild {
                let list = self.match_module_wild(pat);
                if list.is_empty() {
                    warnings.push(format!("go: warning: \"{pat}\" matched no packages"));
                }
                roots.extend(list.iter().map(|p| (Root::Path(paths.push(p)), false)));
            } else {
                roots.push((Root::Path(paths.push(pat)), true));
            }
        }
        (roots, paths, warnings)
    }

    /// The workspace path a command-line path names (relative to the working directory, or
    /// absolute), `None` outside the workspace. Resolved as an absolute path, as go does: a
    /// path may climb out of the workspace's root and back in (`../work/util`).
    fn local_dir(&self, pat: &str) -> Option<String> {
        let abs = self.abs_dir(pat);
        let root = self.paths.root.as_str();
        match abs.strip_prefix(root)? {
            "" => Some(String::new()),
            rest => Some(rest.strip_prefix('/')?.to_string()),
        }
    }

    /// A local path as an absolute, clean one (resolveLocalPackage's `absDir`).
    fn abs_dir(&self, pat: &str) -> String {
        match pat.starts_with('/') {
            true => go_clean(pat),
            false => go_clean(&format!("{}/{pat}", self.paths.abs_cwd())),
        }
    }

    /// `fsys.Stat(f)` finds a file (not a directory).
    fn names_file(&self, f: &str) -> bool {
        self.local_dir(f)
            .is_some_and(|rel| self.ws.get(&rel).is_some())
    }

    /// load.GoFilesPackage: the package `command-line-arguments` of the named files, all in one
    /// directory, classified as go/build's `UseAllFiles` does (whatever their build
    /// constraints and name suffixes), in the order named. Its errors are go's, for the first
    /// file that has one.
    fn go_files_package(&mut self, files: &[String]) -> Result<(), LoadError> {
        if let Some(f) = files.iter().find(|f| !f.ends_with(".go")) {
            return Err(LoadError::plain(worded(|| format!(
                "named files must be .go files: {f}"
            ))));
        }
        // The directory as filepath.Dir spells it (which is what go compares), and the workspace's.
        let mut dir: Option<(String, String)> = None;
        let mut names: Vec<String> = Vec::with_capacity(files.len());
        for f in files {
            let rel = self.local_dir(f);
            let Some(rel) = rel.filter(|r| self.ws.get(r).is_some()) else {
                let is_dir = self
                    .local_dir(f)
                    .is_some_and(|r| self.tree.key(&r).is_some());
                return Err(LoadError::plain(match is_dir {
                    true => format!("{f} is a directory, should be a Go file"),
                    false => format!("stat {f}: no such file or directory"),
                }));
            };
            let shown = file_dir(f);
            let (ws_dir, name) = split(&rel);
            match &dir {
                None => dir = Some((shown, ws_dir.to_string())),
                Some((d, _)) if *d != shown => {
                    return Err(LoadError::plain(worded(|| format!(
                        "named files must all be in one directory; have {d} and {shown}"
                    ))))
                }
                Some(_) => {}
            }
            names.push(name.to_string());
        }
        let (_, ws_dir) = dir.expect("go build names at least one pattern");
        let tree: &'a Tree<'a> = self.tree;
        let (dir, entries) = tree
            .key(&ws_dir)
            .expect("a file's directory is in the tree");
        let listed = tree.files(entries);
        let files: Vec<(&'a str, &'a [u8])> = names
            .iter()
            .map(|n| {
                *listed
                    .iter()
                    .find(|(name, _)| name == n)
                    .expect("a named file is in its directory")
            })
            .collect();
        let ctx = BuildContext {
            use_all_files: true,
            ..self.req.ctx.clone()
        };
        // A slice iterator, as the directories' classification has (one copy of classify_dir
        // in the page's wasm, not two).
        let files = files.iter().copied();
        let classified = classify_dir(self.paths.dir_name(dir), files, &ctx, &mut self.imports);
        let index = self.classified.len();
        self.classified.push(Some(classified));
        self.cmdline = Some(CmdlineFiles { dir, index });
        Ok(())
    }

    /// The start of loading the package of the named files ([`Root::Files`]): [`Loader::begin`]
    /// for the root `command-line-arguments` once the files are classified.
    fn begin_files(&mut self, c: CmdlineFiles<'a>) -> Begin<'a> {
        let (dir, index) = (c.dir, c.index);
        let files = self.classified[index].as_ref().expect("classified");
        let names: Vec<&str> = self.imports.go_files(files.go_files.clone()).collect();
        let collision = fold_dup(&names)
            .map(|(a, b)| format!("{} and {}", go_quote(a.as_bytes()), go_quote(b.as_bytes())));
        if let Some(pair) = collision {
            // Package.load stops there, before any import is loaded.
            let kind = Kind::Dir {
                module: 0,
                dir,
                index,
            };
            let p = self.new_node(COMMAND_LINE_ARGUMENTS, kind);
            let msg = worded(|| format!("case-insensitive file name collision: {pair}"));
            let stack = [COMMAND_LINE_ARGUMENTS.to_string()];
            self.nodes[p].error = Some(Box::new(LoadError::with_stack(&stack, msg)));
            self.nodes[p].imports = Some(Vec::new());
            return Begin::Done { p, checked: false };
        }
        // modload's DirImportPath: the directory's path in the main module.
        let dir_path = match self
            .mods
            .main()
            .and_then(|m| Some((m, in_dir(dir, &m.root)?)))
        {
            Some((main, rest)) => join(&main.info.path, rest),
            None => ".".to_string(),
        };
        let first = self.begin_classified(COMMAND_LINE_ARGUMENTS, 0, dir, index, None);
        if let Frame::Dir(d) = &first {
            let p = d.p;
            self.rare(p).cmdline_dir_path = Some(dir_path);
        }
        Begin::Frame(first)
    }

    /// `resolveLocalPackage` for a literal `./dir`: its import path, added to `out`.
    fn resolve_local(
        &mut self,
        pat: &str,
        out: &mut RootPaths,
    ) -> Result<std::ops::Range<usize>, LoadError> {
        if self.mods.main().is_none() {
            return Err(LoadError::plain(worded(|| format!("go: {NO_GO_MOD}"))));
        }
        // Outside the workspace's root there is nothing: the root holds every directory a
        // build can see (the CLI reads the directories its patterns name into it).
        let Some(dir) = self.local_dir(pat) else {
            return Err(LoadError::plain(worded(|| format!(
                "stat {}: directory not found",
                self.abs_dir(pat)
            ))));
        };
        let tree: &'a Tree<'a> = self.tree;
        match tree.key(&dir) {
            Some((dir, entries)) => self.resolve_dir(dir, entries, out),
            None => Err(LoadError::plain(worded(|| format!(
                "stat {}: directory not found",
                self.paths.abs(&dir)
            )))),
        }
    }

    /// The rest of [`Loader::resolve_local`], for the directory `dir` of the tree.
    fn resolve_dir(
        &mut self,
        dir: &'a str,
        entries: &'a Entries<'a>,
        out: &mut RootPaths,
    ) -> Result<std::ops::Range<usize>, LoadError> {
        let files = self.classify(dir, entries);
        let no_go = files.go_files.len()
            + files.cgo_files.len()
            + files.more().test_go_files.len()
            + files.more().xtest_go_files.len()
            + files.more().invalid_go_files.len()
            == 0;
        if no_go && files.more().ignored_go_files.is_empty() {
            return Err(LoadError::plain(worded(|| format!(
                "no Go files in {}",
                self.paths.abs(dir)
            ))));
        }
        // The module whose tree holds the directory, innermost root first.
        let mut best: Option<(usize, &str)> = None;
        for (i, m) in self.mods.list.iter().enumerate() {
            if let Some(rest) = in_dir(dir, &m.root) {
                if best.is_none_or(|(b, _)| self.mods.list[b].root.len() < m.root.len()) {
                    best = Some((i, rest));
                }
            }
        }
        let Some((m, rest)) = best else {
            let short = self.paths.short(dir);
            let what = if short == "." {
                "current directory".to_string()
            } else {
                format!("directory {short}")
            };
            return Err(LoadError::plain(worded(|| format!(
                "{what} outside main module or its selected dependencies"
            ))));
        };
        let pkg = out.push_joined(&self.mods.list[m].info.path, rest);
        if !self.mods.dir_in_module(self.tree, m, dir) {
            let msg = format!(
                "main module ({}) does not contain package {}",
                self.mods.main().map_or("", |m| m.info.path.as_str()),
                out.get(&pkg)
            );
            out.text.truncate(pkg.start);
            return Err(LoadError::plain(msg));
        }
        Ok(pkg)
    }

    /// `./dir/...`: the directories under `dir`, in walk order, that hold a package; their
    /// import paths added to `out`. Each directory is resolved as the walk meets it, while its
    /// classification is in cache.
    fn match_local_wild(
        &mut self,
        pat: &str,
        out: &mut RootPaths,
    ) -> Result<Vec<std::ops::Range<usize>>, LoadError> {
        let i = pat.find("...").unwrap_or(pat.len());
        // The walk starts from the directory part of what comes before `...` (`./u...` walks
        // `./` for `./util`), as search.MatchDirs does.
        let prefix = pat[..i].rfind('/').map_or("", |j| &pat[..j]);
        let prefix = if prefix.is_empty() && pat.starts_with('/') {
            "/"
        } else {
            prefix
        };
        // modload's matchLocalDirs: the module holding the directory the walk starts from must
        // be the main module (no walk of `/var` or `/etc`).
        let start = match file_dir(&pat[..(i + 3).min(pat.len())]) {
            d if d.starts_with('/') => d,
            d => go_clean(&format!("{}/{d}", self.paths.abs_cwd())),
        };
        let main_root = self.mods.main().map(|m| m.root.as_str());
        let in_main = self.local_dir(&start).is_some_and(|rel| {
            let tree = self.tree;
            // findModuleRoot: the nearest directory at or above `rel` with a go.mod.
            let mut d = rel.as_str();
            loop {
                if tree.has_file(d, "go.mod") {
                    break Some(d) == main_root;
                }
                if d.is_empty() {
                    break false;
                }
                d = split(d).0;
            }
        });
        if !in_main {
            return Err(LoadError::plain(worded(|| format!(
                "pattern {pat}: directory prefix {} does not contain main module or its selected dependencies",
                short_path(&start, &self.paths.abs_cwd())
            ))));
        }
        let Some(top) = self.local_dir(if prefix.is_empty() { "." } else { prefix }) else {
            return Err(LoadError::plain(worded(|| format!(
                "pattern {pat}: lstat {prefix}/: no such file or directory"
            ))));
        };
        // The directories' names as the pattern is matched against them (search.MatchDirs):
        // the pattern's own directory, then the path below it.
        let shown_top = match prefix {
            "" => ".".to_string(),
            p if p.starts_with("./") => match go_clean(p).as_str() {
                "." => ".".to_string(),
                c => format!("./{c}"),
            },
            p => go_clean(p),
        };
        let tree: &'a Tree<'a> = self.tree;
        let Some(top) = tree.key(&top) else {
            return Err(LoadError::plain(worded(|| format!(
                "pattern {pat}: lstat {}/: no such file or directory",
                prefix.trim_end_matches('/')
            ))));
        };
        let top_dir = top.0;
        let matcher = pattern_matcher(pat);
        // Sized up front (see `finish`): at most every directory.
        let mut found = Vec::with_capacity(self.tree.dirs.list.len());
        let mut written = String::new();
        self.walk(top, true, &mut |l: &mut Self, d, entries| {
            // The pattern matches the directory as written (`./a/b`, `../m/a/b`).
            written.clear();
            written.push_str(&shown_top);
            match in_dir(d, top_dir) {
                Some("") => {}
                Some(r) => {
                    if shown_top != "/" {
                        written.push('/');
                    }
                    written.push_str(r);
                }
                None => return,
            }
            if !(matcher(&written) || written == "." && matcher("./")) {
                return;
            }
            // `resolve_local(written)`: `written` names `d` (it is inside the cwd).
            if let Ok(p) = l.resolve_dir(d, entries, out) {
                found.push(p);
            }
        });
        Ok(found)
    }

    /// `example.com/m/...`: the packages of the available modules whose path matches.
    /// modload's matchPackages over GOROOT/src: std's packages that `matches` takes, sorted.
    /// `std` is all of them, std's vendored packages included. The graph holds what `go list
    /// std` lists: packages with only test files too (runtime/internal/wasitest on linux),
    /// which match (no "matched no packages" warning) and are then left out of the build as
    /// test-only; runtime/cgo not without cgo.
    fn match_std(&self, matches: impl Fn(&str) -> bool) -> Vec<String> {
        let mut out = Vec::new();
        for sp in self.std.packages() {
            let p: &str = &sp.import_path;
            if p == "runtime/cgo" && !self.req.ctx.cgo_enabled {
                continue;
            }
            if matches(p) {
                out.push(p.to_string());
            }
        }
        crate::sort::sort(&mut out);
        out.dedup();
        out
    }

    fn match_module_wild(&mut self, pat: &str) -> Vec<String> {
        let matcher = pattern_matcher(pat);
        let mut seen = crate::object::Names::new();
        // modload's matchPackages walks GOROOT/src too (`includeStd`): std's packages that
        // match, but for the vendored ones only a pattern naming `vendor/…` past `vendor/...`
        // matches them (pkgpattern's vendor exclusion).
        let vendor = pat.starts_with("vendor/") && pat != "vendor/...";
        let mut out = self.match_std(|p| (vendor || !p.starts_with("vendor/")) && matcher(p));
        for p in &out {
            seen.insert(p.clone());
        }
        for m in 0..self.mods.list.len() {
            let mut dirs = Vec::new();
            let (mods, tree) = (self.mods, self.tree);
            if let Some(root) = tree.key(&mods.list[m].root) {
                self.walk(root, true, &mut |_: &mut Self, d, _| dirs.push(d));
            }
            for d in dirs {
                let rest = in_dir(d, &self.mods.list[m].root).unwrap_or("");
                let pkg = join(&self.mods.list[m].info.path, rest);
                if matcher(&pkg) && seen.insert(pkg.clone()) {
                    out.push(pkg);
                }
            }
        }
        // matchPackages sorts what it found.
        crate::sort::sort(&mut out);
        out
    }

    /// `search.MatchDirs`' walk: directories in name order that would import without a
    /// "no Go files" error, skipping `.`/`_`-prefixed ones, `testdata` and nested modules;
    /// `visit` is called with each, in that order.
    fn walk(
        &mut self,
        (dir, entries): (&'a str, &'a Entries<'a>),
        top: bool,
        visit: &mut dyn FnMut(&mut Self, &'a str, &'a Entries<'a>),
    ) {
        if !top {
            let elem = split(dir).1;
            if elem.starts_with('.') || elem.starts_with('_') || elem == "testdata" {
                return;
            }
            if entries.has_gomod {
                return;
            }
        }
        let files = self.classify(dir, entries);
        let no_go = matches!(
            files.error.as_deref(),
            Some(DirError::NoGoFiles { .. } | DirError::ExcludedByConstraints { .. })
        ) && files.more().invalid_go_files.is_empty();
        if !no_go {
            visit(self, dir, entries);
        }
        let tree: &'a Tree<'a> = self.tree;
        // Every subdirectory listed is in the tree, at its place. Gathered first (a leaf has
        // none: no vector), so that each batch's files can be touched before it is walked.
        let subs: Vec<(&'a str, &'a Entries<'a>)> =
            entries.dirs.iter().map(|&(_, i)| tree.at(i)).collect();
        for batch in subs.chunks(TOUCH_BATCH) {
            std::hint::black_box(touch_headers(tree, batch));
            for &sub in batch {
                self.walk(sub, false, visit);
            }
        }
    }

    /// `classify_dir` of the workspace directory `dir` (with its entries), memoized: matching
    /// `./...` and then loading would otherwise classify (and scan) each directory three times.
    fn classify(&mut self, dir: &'a str, entries: &'a Entries<'a>) -> &DirFiles<'a> {
        let (paths, req) = (self.paths, self.req);
        // A slice iterator: it tells `classify_dir` how many files there are.
        let tree: &'a Tree<'a> = self.tree;
        let files = tree.files(entries).iter().copied();
        let imports = &mut self.imports;
        self.classified[entries.index]
            .get_or_insert_with(|| classify_dir(paths.dir_name(dir), files, &req.ctx, imports))
    }

    // -- the result -------------------------------------------------------------------------

    fn finish(
        mut self,
        roots: Vec<(Root, bool)>,
        root_paths: RootPaths,
        warnings: Vec<String>,
    ) -> Result<Loaded, LoadErrors> {
        // Load every root (loadImport with no parent, an empty stack), deduplicated. The tables
        // are sized up front: growing them (and any large block) while the walk frees many small
        // ones makes glibc's allocator consolidate its free lists (several percent of the load).
        let n = roots.len();
        let mut order: Vec<usize> = Vec::with_capacity(n);
        // By node, grown with the nodes (sized for as many as the loader expects): the position
        // of each root in `order` (`NOT_ROOT` for other nodes), and whether a pattern named it
        // literally. Vectors, not hash tables: a `./...` has thousands of roots.
        const NOT_ROOT: usize = usize::MAX;
        let mut root_at: Vec<usize> = Vec::with_capacity(self.nodes.capacity());
        let mut literal: Vec<bool> = Vec::with_capacity(self.nodes.capacity());
        let mut synthetic: Vec<(usize, LoadError)> = Vec::new();
        for (root, lit) in roots {
            let path = match &root {
                Root::Path(path) => root_paths.get(path),
                Root::Files => COMMAND_LINE_ARGUMENTS,
                Root::Error(_) => "",
            };
            if let Root::Error(e) = root {
                synthetic.push((order.len(), *e));
                continue;
            }
            // One call (its walk inlined here once).
            let p = self.load_import(path, None, None).0;
            root_at.resize(self.nodes.len(), NOT_ROOT);
            literal.resize(self.nodes.len(), false);
            if root_at[p] == NOT_ROOT {
                root_at[p] = order.len();
                order.push(p);
            }
            literal[p] |= lit;
        }

        // PackageList: depth-first post-order over Internal.Imports from the roots.
        let list = self.package_list(&order);
        let mut errors: Vec<LoadError> = Vec::new();
        let mut syn = synthetic.into_iter().peekable();
        let mut emitted_roots = 0;
        // By node: a flag vector, not a set (a `./...` of thousands of packages has thousands).
        let mut seen_root = vec![false; self.nodes.len()];
        for &p in &list {
            if let Some(e) = &self.nodes[p].error {
                errors.push(LoadError::clone(e));
            }
            if let Some(&at) = root_at.get(p).filter(|&&at| at != NOT_ROOT) {
                if !std::mem::replace(&mut seen_root[p], true) {
                    emitted_roots = emitted_roots.max(at + 1);
                }
            }
            while syn
                .peek()
                .is_some_and(|(at, _)| *at <= emitted_roots && *at < order.len())
            {
                errors.push(syn.next().unwrap().1);
            }
        }
        errors.extend(syn.map(|(_, e)| e));
        // A package without non-test files is no load error: its build action fails when it
        // runs (`PkgMore::build_error`), unless omitTestOnly leaves it out below.
        if !errors.is_empty() {
            let warnings = self.mods.lookup.before(warnings);
            return Err(LoadErrors { errors, warnings });
        }
        // omitTestOnly: packages matched only by a wildcard with no non-test files are not built.
        let roots: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&p| literal[p] || !self.test_only(p))
            .collect();
        // The same roots give the same list: walk again only if some were left out.
        let list = if roots.len() == order.len() {
            list
        } else {
            self.package_list(&roots)
        };
        let warnings = self.mods.lookup.before(warnings);
        Ok(self.into_loaded(list, roots, warnings))
    }

    fn test_only(&self, p: usize) -> bool {
        match &self.nodes[p].kind {
            Kind::Dir { index, .. } => self.classified[*index]
                .as_ref()
                .is_some_and(|f| f.go_files.is_empty() && f.cgo_files.is_empty()),
            Kind::Std(sp) => sp.go_files.is_empty() && sp.cgo_files.is_empty(),
            Kind::Missing => false,
        }
    }

    fn package_list(&self, roots: &[usize]) -> Vec<usize> {
        let mut seen = vec![false; self.nodes.len()];
        let mut out = Vec::with_capacity(self.nodes.len());
        for &r in roots {
            if seen[r] {
                continue;
            }
            seen[r] = true;
            let mut stack: Vec<(usize, usize)> = vec![(r, 0)];
            while let Some(top) = stack.last_mut() {
                let (p, i) = *top;
                top.1 += 1;
                let imports = self.nodes[p].imports.as_deref().unwrap_or(&[]);
                match imports.get(i) {
                    Some(&q) => {
                        if !seen[q] {
                            seen[q] = true;
                            stack.push((q, 0));
                        }
                    }
                    None => {
                        stack.pop();
                        out.push(p);
                    }
                }
            }
        }
        out
    }

    fn into_loaded(mut self, list: Vec<usize>, roots: Vec<usize>, warnings: Vec<String>) -> Loaded {
        // Node → position in `list` (every listed node once).
        let mut index = vec![usize::MAX; self.nodes.len()];
        for (i, &p) in list.iter().enumerate() {
            index[p] = i;
        }
        let mut is_root = vec![false; self.nodes.len()];
        for &r in &roots {
            is_root[r] = true;
        }
        let mut default_godebug = String::new();
        let main_roots: Vec<usize> = roots
            .iter()
            .filter(|&&r| self.nodes[r].main)
            .copied()
            .collect();
        if let Some(&m) = main_roots.first().filter(|_| self.mods.main().is_some()) {
            let mut settings = self.mods.godebug.clone();
            if let Some(r) = &self.nodes[m].rare {
                settings.extend(r.directives.iter().cloned());
            }
            default_godebug = godebug::default_godebug(&self.mods.main_go_version, &settings);
        }
        let mut packages = Vec::with_capacity(list.len());
        let mut infos = Vec::with_capacity(list.len());
        for &p in &list {
            // Each node is listed once: its data moves out.
            let n = &mut self.nodes[p];
            // Node indices become list positions in place: the node's vector moves out.
            let mut imports =
                match std::mem::replace(&mut n.listed_imports, Listed::Own(Vec::new())) {
                    Listed::Own(v) => v,
                    // The node's `imports` are not needed once the list is made: they move out.
                    Listed::Prefix(k) => {
                        let mut v = n.imports.take().unwrap_or_default();
                        v.truncate(k);
                        v
                    }
                };
            for q in &mut imports {
                *q = index[*q];
            }
            let kind = std::mem::replace(&mut n.kind, Kind::Missing);
            let Rare {
                embed_patterns,
                embed_files,
                cgo_flags,
                cmdline_dir_path,
                build_error,
                ..
            } = n.rare.take().map(|r| *r).unwrap_or_default();
            let (node, info) = match kind {
                Kind::Std(sp) => {
                    let names = |v: &[crate::stdlib::SrcFile]| {
                        v.iter().map(|f| f.name.to_string()).collect::<Vec<_>>()
                    };
                    let embed_files = names(&sp.embed_files);
                    let mut embed_patterns: Vec<(String, Vec<String>)> = sp
                        .embed_patterns
                        .iter()
                        .map(|pat| {
                            let m: Vec<String> = embed_files
                                .iter()
                                .filter(|f| glob_path(pat, f))
                                .cloned()
                                .collect();
                            (pat.to_string(), m)
                        })
                        .collect();
                    // Sorted by pattern, each once (equal patterns match the same files).
                    crate::sort::sort_by(&mut embed_patterns, |a, b| a.0.cmp(&b.0));
                    embed_patterns.dedup_by(|later, first| later.0 == first.0);
                    (
                        PkgNode {
                            import_path: String::from(self.cache.get(p)),
                            name: sp.name.to_string(),
                            dir: format!("{}/src/{}", self.req.goroot, self.cache.get(p)),
                            standard: true,
                            imports,
                            go_files: names(&sp.go_files),
                            module: None,
                            more: None,
                        }
                        .with_more(PkgMore {
                            import_map: sp
                                .import_map
                                .iter()
                                .map(|(a, b)| (a.to_string(), b.to_string()))
                                .collect(),
                            s_files: names(&sp.s_files),
                            h_files: names(&sp.h_files),
                            cgo_files: names(&sp.cgo_files),
                            c_files: names(&sp.c_files),
                            syso_files: names(&sp.syso_files),
                            cgo_flags: crate::cgo::CgoFlags {
                                cppflags: Vec::new(),
                                cflags: sp.cgo_cflags.iter().map(|s| s.to_string()).collect(),
                                ldflags: sp.cgo_ldflags.iter().map(|s| s.to_string()).collect(),
                            },
                            embed_patterns,
                            embed_files,
                            build_error,
                            ..PkgMore::default()
                        }),
                        PackageInfo {
                            ws_dir_len: None,
                            module: None,
                            root: is_root[p],
                        },
                    )
                }
                Kind::Dir { module, dir, index } => {
                    // The named files' package has no module (its compile's -lang is the
                    // toolchain's, its binary's build info names the main module as a dep).
                    let module = cmdline_dir_path.is_none().then_some(module);
                    let files = self.classified[index]
                        .take()
                        .expect("a listed package is loaded");
                    let more = files.more.map(|m| *m).unwrap_or_default();
                    let other = |k: OtherKind| {
                        if more.other_files.is_empty() {
                            return Vec::new();
                        }
                        more.other_files
                            .iter()
                            .filter(|(kk, _)| *kk == k)
                            .map(|(_, n)| n.clone())
                            .collect::<Vec<_>>()
                    };
                    (
                        PkgNode {
                            import_path: String::from(self.cache.get(p)),
                            name: self.imports.name(files.name).to_string(),
                            dir: self.paths.abs(dir),
                            standard: false,
                            imports,
                            // Made here, one after another (see `DirFiles::go_files`).
                            go_files: self
                                .imports
                                .go_files(files.go_files.clone())
                                .map(String::from)
                                .collect(),
                            module,
                            more: None,
                        }
                        .with_more(PkgMore {
                            import_map: Vec::new(),
                            s_files: more.s_files,
                            h_files: other(OtherKind::H),
                            cgo_files: files.cgo_files,
                            c_files: other(OtherKind::C),
                            syso_files: other(OtherKind::Syso),
                            cgo_flags,
                            embed_patterns,
                            embed_files,
                            build_error,
                            ..PkgMore::default()
                        }),
                        PackageInfo {
                            // `dir` above is the root joined with this directory.
                            ws_dir_len: Some(dir.len()),
                            module,
                            root: is_root[p],
                        },
                    )
                }
                Kind::Missing => unreachable!("a package with an error is never planned"),
            };
            packages.push(node);
            infos.push(info);
        }
        Loaded {
            input: PlanInput {
                packages,
                roots: roots.iter().map(|&r| index[r]).collect(),
                mode: self.req.mode.clone(),
                cwd: self.paths.abs(&self.paths.cwd),
                modules: self.mods.list.iter().map(|m| m.info.clone()).collect(),
                default_godebug,
                settings: self.req.settings.clone(),
            },
            packages: infos,
            warnings,
        }
    }
}

/// The loader's nodes' import paths, back to back in one string, and the node of each path
/// (cmd/go's package cache). A path is met again on every import of its package (tens of
/// thousands of lookups in a large module): a table keyed by a string per node compared each
/// found key against its own allocation, scattered over the heap and cold; here the table holds
/// only each path's 64-bit hash and node ([`HashIndex`]), and the one comparison that confirms a
/// match reads the dense string of all paths.
struct PathTable {
    text: String,
    /// Where each node's path ends in `text` (it starts where the previous one ends).
    ends: Vec<usize>,
    by_hash: HashIndex,
}

impl PathTable {
    fn with_capacity(n: usize) -> Self {
        PathTable {
            // Module paths are a few dozen bytes.
            text: String::with_capacity(n * 32),
            ends: Vec::with_capacity(n),
            by_hash: HashIndex::with_capacity(n),
        }
    }

    /// Node `p`'s path.
    #[inline]
    fn get(&self, p: usize) -> &str {
        let start = if p == 0 { 0 } else { self.ends[p - 1] };
        &self.text[start..self.ends[p]]
    }

    /// The node whose path is `path`.
    #[inline]
    fn find(&self, path: &str) -> Option<usize> {
        self.by_hash
            .find(HashIndex::hash(path), |i| self.get(i) == path)
    }

    /// Adds the path of the next node.
    fn insert(&mut self, path: &str) {
        self.by_hash.insert(HashIndex::hash(path));
        self.text.push_str(path);
        self.ends.push(self.text.len());
    }
}

/// Places in a list of strings kept beside it (the loader's node paths, the tree's
/// directories) by the strings' 64-bit hashes: one hash table type, of `u64` keys hashed as
/// themselves and `u32` places, for both (in the page's wasm each hash table type is its own
/// copy of the table's code). Two strings with one hash chain through `next`. A lookup hashes
/// its string once, probes the small table and compares the string with the candidate's, in
/// the caller's dense list.
#[derive(Debug)]
struct HashIndex {
    /// A hash → the last place added with that hash.
    first: HashMap<u64, u32, BuildIdentity>,
    /// The place added before this one with the same hash (`NONE` if none).
    next: Vec<u32>,
}

impl HashIndex {
    const NONE: u32 = u32::MAX;

    fn with_capacity(n: usize) -> Self {
        HashIndex {
            first: HashMap::with_capacity_and_hasher(n, BuildIdentity),
            next: Vec::with_capacity(n),
        }
    }

    #[inline]
    fn hash(s: &str) -> u64 {
        str_hash(s)
    }

    /// The place, among those added with hash `h`, that `is` says is the one.
    #[inline]
    fn find(&self, h: u64, is: impl Fn(usize) -> bool) -> Option<usize> {
        let mut i = *self.first.get(&h)?;
        while i != Self::NONE {
            if is(i as usize) {
                return Some(i as usize);
            }
            i = self.next[i as usize];
        }
        None
    }

    /// Adds the next place, for a string of hash `h`; that place (0, 1, 2, …).
    fn insert(&mut self, h: u64) -> usize {
        let i = u32::try_from(self.next.len()).expect("fewer than 2^32 strings");
        let prev = self.first.insert(h, i);
        self.next.push(prev.unwrap_or(Self::NONE));
        i as usize
    }
}

/// A string's 64-bit hash (foldhash, fixed seed) as the loader's [`HashIndex`] and the
/// workspace's path index key their tables by it.
#[inline]
pub(crate) fn str_hash(s: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(s)
}

/// Hashes a `u64` that is already a hash ([`PathTable`]'s keys, the workspace's path index)
/// as itself.
#[derive(Clone, Copy, Default)]
pub(crate) struct BuildIdentity;

#[derive(Default)]
pub(crate) struct Identity(u64);

impl std::hash::BuildHasher for BuildIdentity {
    type Hasher = Identity;
    fn build_hasher(&self) -> Identity {
        Identity(0)
    }
}

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys are hashed")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

enum DirErr {
    Load(LoadError),
    Build(String),
}

/// `findInternal`: the byte index of the last `internal` element.
fn find_internal(path: &str) -> Option<usize> {
    // go: a `/internal` suffix, else the last `/internal/`, else an `internal` first element;
    // that is the start of the last element that is exactly `internal`. Checked on every
    // import, so by elements from the end rather than by substring search.
    let b = path.as_bytes();
    let mut end = b.len();
    loop {
        let start = b[..end]
            .iter()
            .rposition(|&c| c == b'/')
            .map_or(0, |i| i + 1);
        if &b[start..end] == b"internal" {
            return Some(start);
        }
        if start == 0 {
            return None;
        }
        end = start - 1;
    }
}

/// `str.HasPathPrefix`.
fn has_path_prefix(s: &str, prefix: &str) -> bool {
    if s.len() == prefix.len() {
        return s == prefix;
    }
    if prefix.is_empty() {
        return true;
    }
    s.len() > prefix.len()
        && (prefix.ends_with('/') || s.as_bytes()[prefix.len()] == b'/')
        && s.starts_with(prefix)
}

/// `search.MatchPattern`: `...` matches any string; `x/...` also matches `x`.
fn pattern_matcher(pattern: &str) -> impl Fn(&str) -> bool {
    let parts: Vec<String> = pattern.split("...").map(str::to_string).collect();
    let also_parent = pattern
        .strip_suffix("/...")
        .filter(|p| !p.contains("..."))
        .map(str::to_string);
    move |name: &str| {
        if also_parent.as_deref() == Some(name) {
            return true;
        }
        wild_match(&parts, name)
    }
}

fn wild_match(parts: &[String], name: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return name.is_empty();
    };
    let Some(after) = name.strip_prefix(first.as_str()) else {
        return false;
    };
    if rest.is_empty() {
        return after.is_empty();
    }
    if rest.len() == 1 && rest[0].is_empty() {
        return true; // a trailing `...` matches any rest
    }
    (0..=after.len())
        .filter(|&k| after.is_char_boundary(k))
        .any(|k| wild_match(rest, &after[k..]))
}

/// A `//go:embed` glob against a file path relative to the package (for std's embed lists).
fn glob_path(pattern: &str, file: &str) -> bool {
    let pattern = pattern.strip_prefix("all:").unwrap_or(pattern);
    let p: Vec<&str> = pattern.split('/').collect();
    let f: Vec<&str> = file.split('/').collect();
    if f.len() < p.len() {
        return false;
    }
    p.iter()
        .zip(&f)
        .all(|(pe, fe)| embed::match_elem(pe, fe) == Ok(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(files: &[(&str, &str)]) -> Workspace {
        let mut w = Workspace::new();
        for (p, d) in files {
            w.insert(p, *d).unwrap();
        }
        w
    }

    fn errors(w: &Workspace, cwd: &str, pats: &[&str]) -> String {
        let req = LoadRequest {
            cwd: cwd.into(),
            patterns: pats.iter().map(|s| s.to_string()).collect(),
            module_root_display: "/m".into(),
            ..LoadRequest::default()
        };
        match load(w, &req) {
            Ok(l) => format!(
                "{}ok {:?}",
                l.warnings
                    .iter()
                    .map(|w| format!("{w}\n"))
                    .collect::<String>(),
                l.input
                    .roots
                    .iter()
                    .map(|&r| l.input.packages[r].import_path.clone())
                    .collect::<Vec<_>>()
            ),
            Err(e) => e.to_string(),
        }
    }

    /// Without `gomod-grammar` (the page's first module) a go.mod beyond a `module` and a `go`
    /// line stops the load with the error the page hands to its full module, and nothing else
    /// does (`./dev test` runs this without default features).
    #[test]
    #[cfg(not(feature = "gomod-grammar"))]
    fn without_the_gomod_grammar_a_richer_go_mod_is_handed_on() {
        let main = ("main.go", "package main\n\nfunc main() {}\n");
        let graph = include_str!("../data/std-go1.23.5-linux-amd64-cgo1.txt");
        crate::stdlib::StdLib::provide(graph.to_string()).expect("the std graph");
        let req = LoadRequest {
            patterns: vec![".".into()],
            ..LoadRequest::default()
        };
        for gomod in [
            "module m\n\nrequire x.com/y v1.0.0\n",
            "module m\ngo 1.23\ntoolchain go1.23.5\n",
            "module m\ngo one.two\n",
            "// Deprecated: no.\nmodule m\n",
        ] {
            let e = load(&ws(&[("go.mod", gomod), main]), &req)
                .err()
                .expect(gomod);
            assert_eq!(e.to_string(), gomod::UNSUPPORTED, "{gomod:?}");
        }
        // A vendor directory goes to the full module too (-mod and vendoring are its own).
        let vendored = ws(&[
            ("go.mod", "module m\ngo 1.23\n"),
            main,
            ("vendor/modules.txt", ""),
        ]);
        assert_eq!(load(&vendored, &req).unwrap_err().to_string(), gomod::UNSUPPORTED);
        // A common go.mod loads.
        let l = load(&ws(&[("go.mod", "module m\ngo 1.23\n"), main]), &req).expect("loads");
        assert_eq!(l.input.modules[0].path, "m");
    }

    /// `go build .` with linux/amd64's std graph provided (the page's wasm, built without
    /// `linux-std`, is given it the same way).
    #[cfg(not(all(
        feature = "cgo-commands",
        feature = "build-constraints",
        feature = "error-texts",
        feature = "embed-directives"
    )))]
    fn dot_with_std() -> LoadRequest {
        let graph = include_str!("../data/std-go1.23.5-linux-amd64-cgo1.txt");
        crate::stdlib::StdLib::provide(graph.to_string()).expect("the std graph");
        LoadRequest {
            patterns: vec![".".into()],
            ..LoadRequest::default()
        }
    }

    /// Without `cgo-commands` a package of the workspace using cgo goes to the full module,
    /// which reads its `#cgo` lines; std's packages using cgo load as ever.
    #[test]
    #[cfg(not(feature = "cgo-commands"))]
    fn without_cgo_commands_a_package_using_cgo_is_handed_on() {
        let req = dot_with_std();
        let gomod = ("go.mod", "module m\ngo 1.23\n");
        let cgo = "package main\n\n// #cgo CFLAGS: -O2\nimport \"C\"\n\nfunc main() {}\n";
        let e = load(&ws(&[gomod, ("main.go", cgo)]), &req).unwrap_err();
        assert!(e.to_string().contains(crate::cgo::UNSUPPORTED), "{e}");
        // net uses cgo in std: it loads.
        let net = "package main\n\nimport \"net\"\n\nfunc main() { _ = net.IPv4len }\n";
        load(&ws(&[gomod, ("main.go", net)]), &req).expect("loads");
    }

    /// Without `build-constraints` a file of the workspace with a `//go:build` or `// +build`
    /// line, Go or not, goes to the full module, which evaluates it; std's files are judged.
    #[test]
    #[cfg(not(feature = "build-constraints"))]
    fn without_build_constraints_a_constrained_file_is_handed_on() {
        let req = dot_with_std();
        let gomod = ("go.mod", "module m\ngo 1.23\n");
        let main = ("main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println() }\n");
        for extra in [
            ("linux.go", "//go:build linux\n\npackage main\n"),
            ("old.go", "// +build !windows\n\npackage main\n"),
            ("add_amd64.s", "//go:build ignore\n\nTEXT ·add(SB),0,$0\n"),
        ] {
            let e = load(&ws(&[gomod, main, extra]), &req).unwrap_err();
            assert!(e.to_string().contains(crate::constraint::UNSUPPORTED), "{}: {e}", extra.0);
        }
        load(&ws(&[gomod, main]), &req).expect("loads");
    }

    /// Without `error-texts` the scanner's errors are found, not worded: a Go file whose
    /// header go cannot read still fails the load (the page's first module then hands the
    /// build to the full one, which words it).
    #[test]
    #[cfg(not(feature = "error-texts"))]
    fn without_error_texts_a_bad_header_still_fails_the_load() {
        let req = dot_with_std();
        let gomod = ("go.mod", "module m\ngo 1.23\n");
        for bad in [
            "package main\n\nimport \"fmt\n\nfunc main() {}\n",
            "package main\n\nimport (\"fmt\", \"os\")\n",
            "package main\n\nimport \"a b\"\n",
        ] {
            assert!(load(&ws(&[gomod, ("main.go", bad)]), &req).is_err(), "{bad:?}");
        }
        let good = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println() }\n";
        load(&ws(&[gomod, ("main.go", good)]), &req).expect("loads");
    }

    /// Without `embed-directives` a package with `//go:embed` lines goes to the full module,
    /// which resolves their patterns.
    #[test]
    #[cfg(not(feature = "embed-directives"))]
    fn without_embed_directives_embeds_are_handed_on() {
        let req = dot_with_std();
        let w = ws(&[
            ("go.mod", "module m\ngo 1.23\n"),
            ("hi.txt", "hi\n"),
            ("main.go", "package main\n\nimport _ \"embed\"\n\n//go:embed hi.txt\nvar hi string\n\nfunc main() { println(hi) }\n"),
        ]);
        let e = load(&w, &req).unwrap_err();
        assert_eq!(e.to_string(), EMBEDS_UNSUPPORTED);
    }

    /// Without `all-patterns` only directory patterns load; the others (named files, `std`,
    /// import paths and their wildcards, `cmd`, `...`, `all`) go to the full module.
    #[test]
    #[cfg(not(feature = "all-patterns"))]
    fn without_all_patterns_only_directories_load() {
        let graph = include_str!("../data/std-go1.23.5-linux-amd64-cgo1.txt");
        crate::stdlib::StdLib::provide(graph.to_string()).expect("the std graph");
        let w = ws(&[
            ("go.mod", "module example.com/m\ngo 1.23\n"),
            ("main.go", "package main\n\nfunc main() {}\n"),
            ("util/u.go", "package util\n"),
        ]);
        let req = |pats: &[&str]| LoadRequest {
            patterns: pats.iter().map(|p| p.to_string()).collect(),
            ..LoadRequest::default()
        };
        for pats in [&["."][..], &["./..."], &["./util"], &[".", "./util"]] {
            load(&w, &req(pats)).unwrap_or_else(|e| panic!("{pats:?}: {e}"));
        }
        for pats in [
            &["main.go"][..],
            &["std"],
            &["fmt"],
            &["example.com/m/..."],
            &["cmd"],
            &["..."],
            &["all"],
            &[".", "fmt"],
        ] {
            let e = load(&w, &req(pats)).unwrap_err();
            assert_eq!(e.to_string(), PATTERNS_UNSUPPORTED, "{pats:?}");
        }
    }

    #[test]
    fn package_info_has_each_packages_workspace_directory() {
        // A replaced module beside the main one: its directory is outside the main module's.
        let w = ws(&[
            ("app/go.mod", "module example.com/app\n\ngo 1.23\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n"),
            ("app/main.go", "package main\n\nimport (\n\t\"example.com/app/a/b\"\n\t\"example.com/lib\"\n)\n\nfunc main() { b.F(); lib.G() }\n"),
            ("app/a/b/b.go", "package b\n\nimport \"strings\"\n\nfunc F() { _ = strings.ToUpper(\"x\") }\n"),
            ("lib/go.mod", "module example.com/lib\n\ngo 1.23\n"),
            ("lib/lib.go", "package lib\n\nfunc G() {}\n"),
        ]);
        for root in ["/m", ""] {
            let req = LoadRequest {
                cwd: "app".into(),
                patterns: vec![".".into()],
                module_root_display: root.into(),
                ..LoadRequest::default()
            };
            let l = load(&w, &req).unwrap();
            let mut got: Vec<(&str, Option<&str>, bool)> = l
                .packages
                .iter()
                .zip(&l.input.packages)
                .filter(|(_, n)| !n.standard || n.import_path == "strings")
                .map(|(k, n)| (n.import_path.as_str(), k.ws_dir(n), k.is_standard()))
                .collect();
            let mut want = vec![
                ("example.com/app", Some("app"), false),
                ("example.com/app/a/b", Some("app/a/b"), false),
                ("example.com/lib", Some("lib"), false),
                ("strings", None, true),
            ];
            got.sort();
            want.sort();
            assert_eq!(got, want, "root {root:?}");
            for (k, n) in l.packages.iter().zip(&l.input.packages) {
                assert_eq!(k.is_standard(), n.standard, "{}", n.import_path);
            }
        }
    }

    #[test]
    fn find_internal_is_gos() {
        for (path, want) in [
            ("internal", Some(0)),
            ("internal/x", Some(0)),
            ("a/internal", Some(2)),
            ("a/internal/b/internal/c", Some(13)),
            ("a/internal/b/internals", Some(2)),
            ("/internal", Some(1)),
            ("a//internal/", Some(3)),
            ("xinternal/a", None),
            ("a/b", None),
            ("", None),
        ] {
            assert_eq!(find_internal(path), want, "{path}");
        }
    }

    #[test]
    fn load_reports_missing_go_mod() {
        let w = ws(&[("main.go", "package main\n")]);
        assert_eq!(
            errors(&w, "", &["."]),
            "go: go.mod file not found in current directory or any parent directory; see 'go help modules'"
        );
    }

    #[test]
    fn load_errors_follow_package_list_order() {
        let w = ws(&[
            ("go.mod", "module example.com/two\n\ngo 1.23\n"),
            (
                "main.go",
                "package main\n\nimport (\n\t\"fmtx\"\n\t\"example.com/two/nope\"\n\t\"abc\"\n)\n\nfunc main() {}\n",
            ),
        ]);
        assert_eq!(
            errors(&w, "", &["."]),
            "main.go:6:2: package abc is not in std (/usr/lib/go-1.23/src/abc)\n\
             main.go:5:2: no required module provides package example.com/two/nope; to add it:\n\
             \tgo get example.com/two/nope\n\
             main.go:4:2: package fmtx is not in std (/usr/lib/go-1.23/src/fmtx)"
        );
    }

    #[test]
    fn load_wildcards_walk_in_name_order_and_skip_what_go_skips() {
        let w = ws(&[
            ("go.mod", "module example.com/w\n\ngo 1.23\n"),
            ("a/p.go", "package a\n"),
            ("a/c/p.go", "package c\n"),
            ("a-b/p.go", "package ab\n"),
            ("_u/p.go", "package u\n"),
            ("x/testdata/p.go", "package t\n"),
            ("nest/go.mod", "module nest\n"),
            ("nest/p.go", "package nest\n"),
            ("excl/e.go", "//go:build ignore\n\npackage excl\n"),
            ("tonly/x_test.go", "package tonly\n"),
        ]);
        assert_eq!(
            errors(&w, "", &["./..."]),
            "ok [\"example.com/w/a\", \"example.com/w/a/c\", \"example.com/w/a-b\"]"
        );
        // Named, a package without non-test files loads; its build action fails when it runs.
        assert_eq!(errors(&w, "", &["./tonly"]), "ok [\"example.com/w/tonly\"]");
        let req = LoadRequest {
            patterns: vec!["./tonly".into()],
            module_root_display: "/m".into(),
            ..LoadRequest::default()
        };
        let l = load(&w, &req).unwrap();
        assert_eq!(
            l.input.packages[l.input.roots[0]].build_error(),
            Some("example.com/w/tonly: no non-test Go files in /m/tonly")
        );
        assert_eq!(
            errors(&w, "", &["./nest"]),
            "main module (example.com/w) does not contain package example.com/w/nest"
        );
        assert_eq!(errors(&w, "", &["./zz"]), "stat /m/zz: directory not found");
        assert_eq!(
            errors(&w, "", &["./zz/..."]),
            "pattern ./zz/...: lstat ./zz/: no such file or directory"
        );
        assert_eq!(
            errors(&w, "", &["./excl/..."]),
            "go: warning: \"./excl/...\" matched no packages\nok []"
        );
    }

    /// resolveLocalPackage's order for a directory: missing (`stat`), then without Go files,
    /// then outside every module. Empty directories come from a disk ([`Listing::empty_dirs`]);
    /// outside the workspace's root there is no directory at all.
    ///
    /// [`Listing::empty_dirs`]: crate::workspace::Listing::empty_dirs
    #[cfg(feature = "empty-dirs")]
    #[test]
    fn local_directories_missing_empty_or_outside_the_module() {
        let mut w = ws(&[
            ("m/go.mod", "module example.com/w\n\ngo 1.23\n"),
            ("m/main.go", "package main\n\nfunc main() {}\n"),
            ("out/x.go", "package x\n"),
            ("out/docs/readme", "text\n"),
        ]);
        for d in ["m/empty/inner", "gone"] {
            w.insert_empty_dir(d).unwrap();
        }
        let at = |pats: &[&str], root: &str| {
            let req = LoadRequest {
                cwd: "m".into(),
                patterns: pats.iter().map(|s| s.to_string()).collect(),
                module_root_display: root.into(),
                ..LoadRequest::default()
            };
            match load(&w, &req) {
                Ok(l) => format!("{:?} ok", l.warnings),
                Err(e) => e.to_string(),
            }
        };
        assert_eq!(at(&["./empty"], "/rt"), "no Go files in /rt/m/empty");
        assert_eq!(
            at(&["./empty/inner"], "/rt"),
            "no Go files in /rt/m/empty/inner"
        );
        assert_eq!(
            at(&["./empty/..."], "/rt"),
            "[\"go: warning: \\\"./empty/...\\\" matched no packages\"] ok"
        );
        assert_eq!(at(&["../gone"], "/rt"), "no Go files in /rt/gone");
        assert_eq!(at(&["../out/docs"], "/rt"), "no Go files in /rt/out/docs");
        assert_eq!(
            at(&["../out"], "/rt"),
            "directory ../out outside main module or its selected dependencies"
        );
        assert_eq!(
            at(&["/rt/out"], "/rt"),
            "directory ../out outside main module or its selected dependencies"
        );
        // Shown by go's ShortPath: relative only when shorter.
        assert_eq!(
            at(&["../out"], "/a"),
            "directory /a/out outside main module or its selected dependencies"
        );
        // Above the root: nothing there.
        assert_eq!(
            at(&["../../elsewhere"], "/rt"),
            "stat /elsewhere: directory not found"
        );
        assert_eq!(at(&["/rt/../x"], "/rt"), "stat /x: directory not found");
        // A workspace rooted at `/` (the CLI, for `go build /`): paths stay absolute.
        assert_eq!(at(&["./empty"], "/"), "no Go files in /m/empty");
        assert_eq!(at(&["/"], "/"), "no Go files in /");
        assert_eq!(
            at(&["./nowhere"], "/"),
            "stat /m/nowhere: directory not found"
        );
    }

    #[test]
    fn load_unavailable_requirements_fail_as_with_goproxy_off() {
        let w = ws(&[
            ("go.mod", "module example.com/req\n\ngo 1.23\n\nrequire example.com/dep v1.0.0\n"),
            (
                "main.go",
                "package main\n\nimport (\n\t\"example.com/dep/x\"\n\t\"fmtx\"\n\t\"example.com/req/nope\"\n)\n\nfunc main() {}\n",
            ),
        ]);
        assert_eq!(
            errors(&w, "", &["."]),
            "main.go:4:2: missing go.sum entry for module providing package example.com/dep/x (imported by example.com/req); to add:\n\
             \tgo get example.com/req\n\
             main.go:6:2: example.com/dep@v1.0.0: missing go.sum entry for go.mod file; to add it:\n\
             \tgo mod download example.com/dep\n\
             main.go:5:2: example.com/dep@v1.0.0: missing go.sum entry for go.mod file; to add it:\n\
             \tgo mod download example.com/dep"
        );
    }

    /// Captured from go1.23.5 (`GOPROXY=off`) on the same files under `/m`.
    #[test]
    fn load_errors_match_the_real_go_for_broken_imports() {
        let w = ws(&[
            ("go.mod", "module example.com/e1\n\ngo 1.23\n"),
            ("nogo/a.txt", "hi\n"),
            ("excl/e.go", "//go:build ignore\n\npackage excl\n"),
            ("syn/s.go", "package syn\n\nimport (\n\t\"fmt\",\n)\n"),
            ("multi/a.go", "package a\n"),
            ("multi/b.go", "package b\n"),
            ("ok/ok.go", "package ok\n"),
            ("deep/x/x.go", "package x\n\nimport _ \"example.com/e1/syn\"\n"),
            (
                "main.go",
                "package main\n\nimport (\n\t_ \"example.com/e1/nogo\"\n\t_ \"example.com/e1/excl\"\n\t_ \"example.com/e1/syn\"\n\t_ \"example.com/e1/multi\"\n\t_ \"example.com/e1/ok\"\n\t_ \"example.com/e1/deep/x\"\n\t_ \"example.com/e1/absent\"\n)\n\nfunc main() {}\n",
            ),
        ]);
        let all = "main.go:10:2: no required module provides package example.com/e1/absent; to add it:\n\
                   \tgo get example.com/e1/absent\n\
                   syn/s.go:4:7: expected ';', found ','\n\
                   package example.com/e1\n\
                   \timports example.com/e1/excl: build constraints exclude all Go files in /m/excl\n\
                   main.go:7:2: found packages a (a.go) and b (b.go) in /m/multi\n\
                   main.go:4:2: no required module provides package example.com/e1/nogo; to add it:\n\
                   \tgo get example.com/e1/nogo";
        assert_eq!(errors(&w, "", &["."]), all);
        assert_eq!(errors(&w, "", &["./..."]), all);
        assert_eq!(errors(&w, "", &["./nogo"]), "no Go files in /m/nogo");
        assert_eq!(
            errors(&w, "", &["./excl"]),
            "package example.com/e1/excl: build constraints exclude all Go files in /m/excl"
        );
        assert_eq!(
            errors(&w, "", &["./multi"]),
            "found packages a (a.go) and b (b.go) in /m/multi"
        );
        assert_eq!(
            errors(&w, "", &["./absent"]),
            "stat /m/absent: directory not found"
        );
        assert_eq!(
            errors(&w, "", &["./deep/..."]),
            "syn/s.go:4:7: expected ';', found ','"
        );
        assert_eq!(
            errors(&w, "", &["./ok", "./syn"]),
            "syn/s.go:4:7: expected ';', found ','"
        );
        assert_eq!(
            errors(&w, "deep", &["./x"]),
            // go printed `../syn/s.go` under /tmp/ld/e1; under /m the absolute path is no longer.
            "/m/syn/s.go:4:7: expected ';', found ','"
        );
    }

    #[test]
    fn load_errors_keep_the_shortest_import_stack_and_embed_positions() {
        let w = ws(&[
            ("go.mod", "module example.com/e2\n\ngo 1.23\n"),
            ("excl/e.go", "//go:build ignore\n\npackage excl\n"),
            (
                "a/a.go",
                "package a\n\nimport _ \"example.com/e2/nope\"\nimport _ \"example.com/e2/excl\"\nimport _ \"fmtx\"\n",
            ),
            (
                "b/b.go",
                "package b\n\nimport _ \"example.com/e2/nope\"\nimport _ \"fmtx\"\nimport _ \"example.com/e2/c/d\"\n",
            ),
            ("c/d/d.go", "package d\n\nimport _ \"example.com/e2/excl\"\n"),
            (
                "main.go",
                "package main\n\nimport (\n\t_ \"example.com/e2/b\"\n\t_ \"example.com/e2/a\"\n)\n\nfunc main() {}\n",
            ),
            ("e/e.go", "package e\n\nimport _ \"embed\"\n\n//go:embed nothing*.txt\nvar s string\n"),
        ]);
        assert_eq!(
            errors(&w, "", &["."]),
            "package example.com/e2\n\
             \timports example.com/e2/a\n\
             \timports example.com/e2/excl: build constraints exclude all Go files in /m/excl\n\
             a/a.go:3:8: no required module provides package example.com/e2/nope; to add it:\n\
             \tgo get example.com/e2/nope\n\
             a/a.go:5:8: package fmtx is not in std (/usr/lib/go-1.23/src/fmtx)"
        );
        assert_eq!(
            errors(&w, "", &["./e"]),
            "e/e.go:5:12: pattern nothing*.txt: no matching files found"
        );
    }

    /// A directory under a nested `go.mod` is outside the main module however many `go.mod`
    /// files the workspace has: with a few, `dirInModule` looks through them; with more than
    /// eight, it asks about each directory up to the root.
    #[test]
    fn nested_modules_are_outside_the_main_module_with_few_or_many_go_mods() {
        for nested in [1, 9] {
            let mut files = vec![
                (
                    "go.mod".to_string(),
                    "module example.com/w\n\ngo 1.23\n".to_string(),
                ),
                ("a/p.go".to_string(), "package a\n".to_string()),
            ];
            for i in 0..nested {
                files.push((format!("m{i}/go.mod"), format!("module m{i}\n")));
                files.push((format!("m{i}/q/p.go"), "package q\n".to_string()));
            }
            let mut w = Workspace::new();
            for (path, text) in &files {
                w.insert(path, text.as_bytes()).unwrap();
            }
            assert_eq!(
                errors(&w, "", &["./m0/q"]),
                "main module (example.com/w) does not contain package example.com/w/m0/q",
                "{nested} nested modules"
            );
            assert_eq!(
                errors(&w, "", &["./..."]),
                "ok [\"example.com/w/a\"]",
                "{nested} nested modules"
            );
        }
    }

    /// Captured from go1.23.5 (`GOPROXY=off`, `go build .`) on the same files: imports from
    /// two files are merged in path order, and a path written twice (in one file, or in two) is
    /// reported at its first position in file order. Each file's imports are sorted when the
    /// directory is classified and merged when the package loads; this holds both steps to go.
    #[test]
    fn imports_of_several_files_are_merged_at_their_first_positions() {
        let w = ws(&[
            ("go.mod", "module example.com/t\n\ngo 1.23\n"),
            (
                "p/a.go",
                "package p\n\nimport _ \"example.com/t/zzz\"\nimport _ \"example.com/t/nope\"\nimport _ \"example.com/t/zzz\"\n",
            ),
            (
                "p/b.go",
                "package p\n\nimport (\n\t_ \"example.com/t/nope\"\n\t_ \"example.com/t/aaa\"\n)\n",
            ),
            (
                "main.go",
                "package main\n\nimport _ \"example.com/t/p\"\n\nfunc main() {}\n",
            ),
        ]);
        assert_eq!(
            errors(&w, "", &["."]),
            "p/b.go:5:2: no required module provides package example.com/t/aaa; to add it:\n\
             \tgo get example.com/t/aaa\n\
             p/a.go:4:8: no required module provides package example.com/t/nope; to add it:\n\
             \tgo get example.com/t/nope\n\
             p/a.go:3:8: no required module provides package example.com/t/zzz; to add it:\n\
             \tgo get example.com/t/zzz"
        );
    }

    /// A chain of 10,000 packages, each importing the next: loading and planning walk it with
    /// their own stacks, so a 1 MiB machine stack (wasm's) is enough.
    #[test]
    fn load_and_plan_a_10000_deep_chain_on_a_small_stack() {
        let n = 10_000;
        let mut w = ws(&[("go.mod", "module example.com/deep\n\ngo 1.23\n")]);
        for i in 0..n {
            let (name, import) = match i {
                0 => ("main".to_string(), "\"example.com/deep/p1\"".to_string()),
                i if i + 1 < n => (format!("p{i}"), format!("\"example.com/deep/p{}\"", i + 1)),
                _ => (format!("p{i}"), "\"fmt\"".to_string()),
            };
            let dir = if i == 0 {
                String::new()
            } else {
                format!("p{i}/")
            };
            w.insert(
                &format!("{dir}{name}.go"),
                format!("package {name}\n\nimport _ {import}\n"),
            )
            .unwrap();
        }
        let h = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                let l = load(&w, &LoadRequest::default()).expect("the chain loads");
                let p = crate::plan::plan(l.input, &crate::plan::Toolchain::default())
                    .expect("the chain plans");
                (l.packages.len(), p.len())
            })
            .unwrap();
        let (pkgs, actions) = h.join().expect("no stack overflow");
        assert!(pkgs > n, "{pkgs}");
        assert!(actions > n, "{actions}");
    }

    #[test]
    fn load_short_paths_are_relative_to_the_cwd() {
        let p = Paths {
            root: "/tmp/ld/e1".into(),
            cwd: "deep".into(),
        };
        assert_eq!(p.short("syn/s.go"), "../syn/s.go");
        assert_eq!(p.short("deep/x/x.go"), "x/x.go");
        assert_eq!(p.short("go.mod"), "../go.mod");
    }

    proptest::proptest! {
        /// The module-path vectors of `Modules::find` (`insert_path`, `remove_path`, `by_path`)
        /// hold what a `BTreeMap` would after the same inserts and removes, in the same order.
        #[test]
        fn path_vectors_behave_as_a_btreemap(
            ops in proptest::collection::vec((0u8..3, 0u8..12, 0u32..100), 0..60)
        ) {
            let mut want = std::collections::BTreeMap::new();
            let mut got: Vec<(String, u32)> = Vec::new();
            for (op, key, val) in ops {
                let key = format!("example.com/m{key}");
                match op {
                    0 => {
                        want.remove(&key);
                        remove_path(&mut got, &key);
                    }
                    _ => {
                        want.insert(key.clone(), val);
                        insert_path(&mut got, key.clone(), val);
                    }
                }
                proptest::prop_assert_eq!(
                    by_path(&got, &key).ok().map(|i| got[i].1),
                    want.get(&key).copied()
                );
            }
            let want: Vec<(String, u32)> = want.into_iter().collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
