//! The action graph planner: from a resolved package graph to the graph of actions `go build`
//! runs, shaped exactly as cmd/go 1.23 builds it (`src/cmd/go/internal/work/action.go`,
//! `build.go`, `exec.go`, `gc.go`).
//!
//! Shape. `go build P…` creates a root `go build` action whose dependencies are each named
//! package's "auto" action: `link` for `package main`, `build` otherwise. When exactly one main
//! package is named (or `-o FILE` is given) there is no root: the root is the install action
//! (`link-install`, `Target` = the binary's name). `build(p)` depends on `build(q)` for each q in
//! p's *internal* imports (the source imports in `go list` order, then the imports cmd/go adds:
//! `unsafe`, `runtime/cgo`, `syscall` for cgo packages, `runtime` for main packages); `unsafe` is a
//! `built-in package` action. `link(main)` depends on `build(main)` then on every transitive `build`
//! in breadth-first order, and `build(main)` gets an extra `nop` dependency on all of those, so the
//! main package compiles last.
//!
//! Numbering. Work directories `bNNN` are handed out by a counter when a `build` action is
//! *created*, before its imports are visited: a pre-order walk of the import graph from the
//! first named package, in import order (main is `b001`; `unsafe` takes a number too). `link`
//! shares its main package's directory. The JSON `ID` of an action is its index in a
//! breadth-first walk from the root over `Deps` in order; the scheduling priority is its index in
//! a depth-first post-order walk from the root (leaves first, the root last), as in `Builder.Do`.
//!
//! Each action also has its [`Step`]s ([`Plan::steps`]): the commands and file writes that
//! `go build -x` would show for it (mkdir, `go_asm.h`, `asm -gensymabis`, importcfg, compile,
//! header copies, asm, pack, buildid, link, mv), with `$WORK`-relative paths and [`BUILD_ID`]
//! standing for build IDs. They are rendered on first use, not at planning time: a warm build
//! hashes every action but runs (and prints) few of them.
//!
//! Deliberately not here: loading (go.mod, file scanning, the std graph) comes in as
//! [`PlanInput`]; action IDs, cache lookups, scheduling and execution belong to later stages;
//! the cgo/gcc commands of a package using cgo are one [`Step::Cgo`], detailed by
//! [`crate::cgo`]. No IO, no clock, no threads: this builds for wasm32 too.

use std::collections::VecDeque;
use std::fmt;
use std::sync::OnceLock;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::goflags::{BuildSettings, SETTINGS};
use crate::gojson;
use crate::load::COMMAND_LINE_ARGUMENTS;

/// Stands for a build ID in argv: `ACTIONID/ACTIONID` for compile, the four-part link ID for link.
pub const BUILD_ID: &str = "@BUILDID@";

/// The `$WORK` prefix used in every path the planner produces.
pub const WORK: &str = "$WORK";

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/// One resolved package, as the loader hands it over (fields named after `go list -json`).
///
/// What most packages have is in place; the rest ([`PkgMore`]: assembly, cgo and other files,
/// embeds, an import map) is boxed and absent when empty, which keeps a node at a third of
/// its size: a large module's nodes are written by the loader, read by the planner and freed
/// once each, so their size is memory traffic on every build.
#[derive(Clone, Debug, Default)]
pub struct PkgNode {
    pub import_path: String,
    /// Package clause name; `"main"` makes a command.
    pub name: String,
    /// Directory as go sees it: absolute in real go (`/usr/lib/go-1.23/src/fmt`), any consistent
    /// root in the browser. Files are `dir + "/" + file`.
    pub dir: String,
    pub standard: bool,
    /// Direct imports, resolved, as indices into [`PlanInput::packages`], in `go list`'s
    /// `Imports` order (sorted by the path as written; vendored paths resolved in place), without
    /// the pseudo-package `C`. The planner appends cmd/go's implicit imports itself.
    pub imports: Vec<usize>,
    pub go_files: Vec<String>,
    /// Index into [`PlanInput::modules`]; `None` for the standard library.
    pub module: Option<usize>,
    /// Read through [`PkgNode::more`] and its accessors (`s_files()`…); set with
    /// [`PkgNode::set_more`], which leaves it `None` when all of it is empty. (`Some` of an
    /// empty box is allowed and equal to `None`.)
    pub more: Option<Box<PkgMore>>,
}

/// The parts of a [`PkgNode`] that most packages leave empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkgMore {
    /// `go list`'s `ImportMap`: (path as written, resolved path) where they differ.
    pub import_map: Vec<(String, String)>,
    pub s_files: Vec<String>,
    pub h_files: Vec<String>,
    pub cgo_files: Vec<String>,
    pub c_files: Vec<String>,
    pub syso_files: Vec<String>,
    /// The flags of the `#cgo` lines of `cgo_files` (`go list`'s `CgoCPPFLAGS`, `CgoCFLAGS`,
    /// `CgoLDFLAGS`).
    pub cgo_flags: crate::cgo::CgoFlags,
    /// `//go:embed` patterns and the files each matched (cmd/go's `Internal.Embed`), sorted by
    /// pattern, each pattern once.
    pub embed_patterns: Vec<(String, Vec<String>)>,
    /// All embedded files (`go list`'s `EmbedFiles`).
    pub embed_files: Vec<String>,
    /// Why the package's build action fails when it runs, in go's words (`m/t: no non-test Go
    /// files in /home/gopher/m/t`): go loads such a package without error and its build action
    /// fails after making its object directory, while the other packages build.
    pub build_error: Option<String>,
    /// The package's share of the per-package flags, when it has any (boxed: a plain build
    /// has none, and every node's `PkgMore` is moved and compared).
    pub flags: Option<Box<PkgFlags>>,
}

/// A package's `-gcflags`, `-asmflags` and `-ldflags` (cmd/go's `p.Internal.Gcflags`…: the
/// flags of the last value whose pattern matched it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkgFlags {
    pub gcflags: Vec<String>,
    pub asmflags: Vec<String>,
    pub ldflags: Vec<String>,
}

impl PkgMore {
    const EMPTY: PkgMore = PkgMore {
        import_map: Vec::new(),
        s_files: Vec::new(),
        h_files: Vec::new(),
        cgo_files: Vec::new(),
        c_files: Vec::new(),
        syso_files: Vec::new(),
        cgo_flags: crate::cgo::CgoFlags::EMPTY,
        embed_patterns: Vec::new(),
        embed_files: Vec::new(),
        build_error: None,
        flags: None,
    };

    fn is_empty(&self) -> bool {
        self == &Self::EMPTY
    }
}

impl PartialEq for PkgNode {
    fn eq(&self, o: &Self) -> bool {
        self.import_path == o.import_path
            && self.name == o.name
            && self.dir == o.dir
            && self.standard == o.standard
            && self.imports == o.imports
            && self.go_files == o.go_files
            && self.module == o.module
            && self.more() == o.more()
    }
}

impl Eq for PkgNode {}

impl PkgNode {
    /// The package's `-gcflags`, `-asmflags` and `-ldflags` ([`PkgMore::flags`]), empty when
    /// it has none.
    pub fn flags(&self) -> &PkgFlags {
        static NONE: PkgFlags = PkgFlags {
            gcflags: Vec::new(),
            asmflags: Vec::new(),
            ldflags: Vec::new(),
        };
        self.more().flags.as_deref().unwrap_or(&NONE)
    }

    /// Why the package's build action fails when it runs ([`PkgMore::build_error`]).
    pub fn build_error(&self) -> Option<&str> {
        self.more().build_error.as_deref()
    }

    /// The package cmd/go makes of the `.go` files named on the command line (`go build
    /// main.go`): `command-line-arguments`, outside the standard library and any module.
    pub fn is_cmdline_files(&self) -> bool {
        !self.standard && self.module.is_none() && self.import_path == COMMAND_LINE_ARGUMENTS
    }

    /// The node's less common parts (all empty for most packages).
    pub fn more(&self) -> &PkgMore {
        static EMPTY: PkgMore = PkgMore::EMPTY;
        self.more.as_deref().unwrap_or(&EMPTY)
    }

    /// The node's less common parts, to change them.
    pub fn more_mut(&mut self) -> &mut PkgMore {
        self.more.get_or_insert_with(Default::default)
    }

    /// Sets the node's less common parts (kept only if not all empty).
    pub fn set_more(&mut self, more: PkgMore) {
        self.more = (!more.is_empty()).then(|| Box::new(more));
    }

    /// The node with these less common parts ([`PkgNode::set_more`]).
    pub fn with_more(mut self, more: PkgMore) -> PkgNode {
        self.set_more(more);
        self
    }

    /// `go list`'s `ImportMap`: (path as written, resolved path) where they differ.
    pub fn import_map(&self) -> &[(String, String)] {
        &self.more().import_map
    }
    pub fn s_files(&self) -> &[String] {
        &self.more().s_files
    }
    pub fn h_files(&self) -> &[String] {
        &self.more().h_files
    }
    pub fn cgo_files(&self) -> &[String] {
        &self.more().cgo_files
    }
    pub fn c_files(&self) -> &[String] {
        &self.more().c_files
    }
    pub fn syso_files(&self) -> &[String] {
        &self.more().syso_files
    }
    /// The flags of the `#cgo` lines of `cgo_files`.
    pub fn cgo_flags(&self) -> &crate::cgo::CgoFlags {
        &self.more().cgo_flags
    }
    /// `//go:embed` patterns and the files each matched, sorted by pattern, each once.
    pub fn embed_patterns(&self) -> &[(String, Vec<String>)] {
        &self.more().embed_patterns
    }
    /// All embedded files (`go list`'s `EmbedFiles`).
    pub fn embed_files(&self) -> &[String] {
        &self.more().embed_files
    }
}

/// A module that provides packages (for `-lang` and the binary's build info).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    pub path: String,
    /// Empty for the main module and for directory replacements.
    pub version: String,
    /// The `go` directive; empty means go's default for a go.mod without one (1.16).
    pub go_version: String,
    pub main: bool,
    /// A `replace` target: (path, version); version empty for a directory.
    pub replace: Option<(String, String)>,
    /// go.sum hash recorded in the build info for unreplaced dependencies.
    pub sum: String,
}

/// What the `go build` command line asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BuildMode {
    /// `go build P…` without `-o`: one main package is written to its default name in the
    /// current directory; anything else is compiled (and linked) and discarded.
    #[default]
    Build,
    /// `go build -o FILE P` (exactly one package).
    BuildTo(String),
    /// `go build -o DIR/ P…`: every main package written to `DIR/<name>`.
    BuildToDir(String),
}

/// The planner's input: an already-resolved package graph and the command. `Default` (empty)
/// is what is left where it was moved out (`std::mem::take`) into [`plan`], which owns it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanInput {
    pub packages: Vec<PkgNode>,
    /// The named packages, in command-line (pattern match) order.
    pub roots: Vec<usize>,
    pub mode: BuildMode,
    /// Directory go runs in (compile runs there, so module files appear as `./x.go`).
    pub cwd: String,
    pub modules: Vec<ModuleInfo>,
    /// Non-empty when the main module's go version or `//go:debug` lines change GODEBUG
    /// defaults (the loader computes it); passed to the linker and recorded in the build info.
    pub default_godebug: String,
    /// `-trimpath`, `-tags` and the per-package flags as given (each package's own share of
    /// the per-package flags is in its [`PkgMore`]).
    pub settings: BuildSettings,
}

/// The toolchain and machine the plan is for. `Default` is the oracle machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    pub goroot: String,
    pub goos: String,
    pub goarch: String,
    /// The arch env, e.g. (`GOAMD64`, `v1`); asm gets `-D GOAMD64_v1`.
    pub arch_env: Option<(String, String)>,
    /// `runtime.Version()` of the toolchain, e.g. `go1.23.5`.
    pub version: String,
    pub cgo_enabled: bool,
    /// `runtime.GOMAXPROCS(0)`: the default `-p` and the base of `compile -c`.
    pub cpus: usize,
    /// `go build -p N`; `None` means `cpus`.
    pub parallel: Option<usize>,
    /// `$CC` (the linker's `-extld`).
    pub cc: String,
    /// gcc's identity as go hashes it (`CC ID=`, [`crate::cgo::cc_id`]); empty: unknown.
    pub cc_id: String,
}

impl Default for Toolchain {
    fn default() -> Self {
        Toolchain {
            goroot: "/usr/lib/go-1.23".into(),
            goos: "linux".into(),
            goarch: "amd64".into(),
            arch_env: Some(("GOAMD64".into(), "v1".into())),
            version: "go1.23.5".into(),
            cgo_enabled: true,
            cpus: 2,
            parallel: None,
            cc: "gcc".into(),
            cc_id: String::new(),
        }
    }
}

impl Toolchain {
    fn tool(&self, name: &str) -> String {
        format!(
            "{}/pkg/tool/{}_{}/{}",
            self.goroot, self.goos, self.goarch, name
        )
    }

    /// `gcBackendConcurrency`: GOMAXPROCS, capped at 4 unless `-p 1`.
    fn backend_concurrency(&self) -> usize {
        let c = self.cpus.max(1);
        if self.parallel.unwrap_or(self.cpus) == 1 {
            c
        } else {
            c.min(4)
        }
    }

    fn exe_suffix(&self) -> &'static str {
        if self.goos == "windows" {
            ".exe"
        } else {
            ""
        }
    }

    /// The language version of the toolchain (`gover.Local()` cut to major.minor).
    fn local_lang(&self) -> String {
        lang(self.version.trim_start_matches("go"))
    }
}

/// Why a plan could not be made. These are inconsistencies in the input (loader bugs or user
/// errors the loader should have reported), listed all at once, sorted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanError {
    NoPackages,
    /// An index that does not name a package.
    BadIndex {
        from: String,
        index: usize,
    },
    /// An implicit import (e.g. `runtime` for a main package) absent from the input.
    MissingImplicit {
        package: String,
        import: String,
    },
    ImportCycle {
        cycle: Vec<String>,
    },
    /// `-o FILE` with several packages.
    MultipleToFile {
        output: String,
    },
    /// `-o DIR/` with no main package among them.
    NoMainPackages,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::NoPackages => write!(f, "no packages to build"),
            PlanError::BadIndex { from, index } => {
                write!(f, "package {from}: import index {index} out of range")
            }
            PlanError::MissingImplicit { package, import } => {
                write!(
                    f,
                    "package {package}: implicit import {import} was not loaded"
                )
            }
            PlanError::ImportCycle { cycle } => {
                write!(f, "import cycle not allowed: {}", cycle.join(" -> "))
            }
            PlanError::MultipleToFile { output } => {
                write!(
                    f,
                    "go: cannot write multiple packages to non-directory {output}"
                )
            }
            PlanError::NoMainPackages => write!(f, "go: no main packages to build"),
        }
    }
}

impl std::error::Error for PlanError {}

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

/// An action's mode, spelled as cmd/go spells it in `-debug-actiongraph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    GoBuild,
    Build,
    BuiltIn,
    BuildInstall,
    Link,
    LinkInstall,
    Nop,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::GoBuild => "go build",
            Mode::Build => "build",
            Mode::BuiltIn => "built-in package",
            Mode::BuildInstall => "build-install",
            Mode::Link => "link",
            Mode::LinkInstall => "link-install",
            Mode::Nop => "nop",
        }
    }

    /// Whether cmd/go has a function to run for this action (`Actor != nil`).
    fn has_actor(self) -> bool {
        !matches!(self, Mode::GoBuild | Mode::BuiltIn | Mode::Nop)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A work directory `$WORK/bNNN/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkDir(pub u32);

impl WorkDir {
    /// `b001`.
    pub fn name(self) -> String {
        format!("b{:03}", self.0)
    }
    /// `$WORK/b001/` (with the trailing slash cmd/go keeps).
    pub fn path(self) -> String {
        format!("{WORK}/{}/", self.name())
    }
}

/// An action's handle: its index in creation order.
pub type ActionIx = NodeIndex<u32>;

/// One action of the graph.
#[derive(Clone, Debug)]
pub struct Action {
    pub mode: Mode,
    /// Index into [`PlanInput::packages`].
    pub package: Option<usize>,
    /// Dependencies in cmd/go's order (it matters: importcfg, link order, priorities).
    pub deps: Vec<ActionIx>,
    pub objdir: Option<WorkDir>,
    /// `Target`: the binary name for an install, `$WORK/b001/exe/a.out` for link.
    pub target: Option<String>,
    /// `built` as known at planning time (link's output; installs' target).
    pub built: Option<String>,
    /// Index in the depth-first post-order walk (lower runs first among ready actions).
    pub priority: usize,
    /// `ID` in `-debug-actiongraph` (breadth-first order from the root).
    pub id: usize,
}

/// A tool run by cmd/go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    Compile,
    Asm,
    Pack,
    BuildId,
    Link,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Compile => "compile",
            Tool::Asm => "asm",
            Tool::Pack => "pack",
            Tool::BuildId => "buildid",
            Tool::Link => "link",
        }
    }
}

/// One tool invocation as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub tool: Tool,
    /// Working directory (`""`: none shown, as for the `# internal` steps).
    pub dir: String,
    /// Extra environment, e.g. `GOROOT` for link.
    pub env: Vec<(String, String)>,
    /// Full argv, `argv[0]` the tool's path.
    pub argv: Vec<String>,
    /// cmd/go does this step in-process (pack, buildid) and marks it `# internal`.
    pub internal: bool,
}

/// The contents of an `importcfg` / `importcfg.link`, kept symbolic: a `packagefile` points at
/// the action that produces it, because a cache hit replaces `$WORK/bNNN/_pkg_.a` by a cache file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportCfg {
    /// Compile configs start with `# import config`; link configs do not.
    pub header: bool,
    pub importmap: Vec<(String, String)>,
    pub packagefiles: Vec<(String, ActionIx)>,
    /// `modinfo` line payload (link only), unquoted bytes.
    pub modinfo: Option<Vec<u8>>,
}

impl ImportCfg {
    /// The file text, given where each dependency's output is.
    pub fn render(&self, built: impl Fn(ActionIx) -> String) -> String {
        let mut s = String::new();
        if self.header {
            s.push_str("# import config\n");
        }
        for (raw, fin) in &self.importmap {
            s.push_str(&format!("importmap {raw}={fin}\n"));
        }
        for (path, a) in &self.packagefiles {
            s.push_str(&format!("packagefile {path}={}\n", built(*a)));
        }
        if let Some(info) = &self.modinfo {
            s.push_str(&format!("modinfo {}\n", go_quote(info)));
        }
        s
    }
}

/// What a file written into `$WORK` holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileContents {
    Text(String),
    ImportCfg(ImportCfg),
}

/// One step of an action, in the order cmd/go performs (and `-x` prints) them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Mkdir(String),
    WriteFile {
        path: String,
        contents: FileContents,
    },
    Run(Invocation),
    /// `cp SRC DST` (header files copied under their `_GOOS_GOARCH` names).
    Copy {
        from: String,
        to: String,
    },
    /// `mv SRC DST` (the install of a linked binary).
    Move {
        from: String,
        to: String,
    },
    /// `rm -rf DIR` (the build's work directory after an install).
    RemoveAll(String),
    /// The cgo steps (cgo, gcc, `_cgo_.o`, dynimport) of a package with cgo files; their
    /// commands are [`crate::cgo::for_action`]'s (they depend on gcc's answers and the build ID).
    Cgo {
        files: Vec<String>,
    },
}

// ---------------------------------------------------------------------------------------------
// The graph, typestated
// ---------------------------------------------------------------------------------------------

/// Marker: the graph is being built; it cannot be queried.
#[derive(Debug)]
pub struct Building;
/// Marker: priorities and IDs are assigned; the graph is read-only (steps render on demand).
#[derive(Debug)]
pub struct Sealed;

/// The action graph. Only `ActionGraph<Sealed>` (alias [`Plan`]) can be queried.
#[derive(Debug)]
pub struct ActionGraph<S> {
    graph: DiGraph<Action, ()>,
    root: ActionIx,
    input: PlanInput,
    toolchain: Toolchain,
    /// Actions in JSON ID order (breadth-first from the root).
    by_id: Vec<ActionIx>,
    /// Each action's steps, by node index, rendered on first use ([`Plan::steps`]): most plans
    /// are hashed and looked up in the cache without ever running (or printing) most actions.
    steps: Vec<OnceLock<Vec<Step>>>,
    /// Each action's package and every package's import path, directory and facts, dense
    /// ([`PackagePaths`]).
    paths: PackagePaths,
    _state: std::marker::PhantomData<S>,
}

/// What the planner and action IDs read of every package, dense and by index: each import path
/// and each directory back to back in one string each, a few facts per package ([`Facts`]), and
/// each action's package. Action IDs write an `import` line for every dependency of every
/// action (a link, a `packagefile` line for every package of the program) and a `dir` line and
/// a handful of tests per package: read through the graph's node, the package's `PkgNode` (~450
/// bytes, several cache lines) and its own `String`s, that was several cache misses per action
/// and per dependency, scattered over the heap, in a loop whose hashing leaves the misses no
/// room to overlap. The planner itself read each `PkgNode` four times (its imports, its implicit
/// imports, its name, these tables). All of it is now read once, in one tight pass over the
/// packages in [`Builder::new`], where the reads of one package do not wait for the previous
/// one's (docs/benchmarks.md, sessions 18 and 19).
#[derive(Debug, Default)]
struct PackagePaths {
    /// Each package's import path then its `dir`, package after package (package `p`'s path
    /// at place `2p`, its `dir` at `2p + 1`): a compile ID reads both, and finds them side by
    /// side.
    strings: crate::strings::Strings,
    facts: Vec<Facts>,
    /// By action node index: its package's index, [`PackagePaths::NONE`] for none. Filled as
    /// actions are added.
    of_action: Vec<u32>,
    /// The packages that have a `link` action, sorted.
    linked: Vec<usize>,
}

/// What action IDs and the planner test of a package, read from [`PackagePaths`] instead of its
/// `PkgNode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// [`PkgNode::module`], [`PackagePaths::NONE`] for none.
    module: u32,
    flags: u8,
}

impl Facts {
    const MAIN: u8 = 1;
    const STANDARD: u8 = 2;
    const CGO: u8 = 4;
    const ASM: u8 = 8;
    /// `builtin` or `unsafe` of the standard library: a `built-in package` action.
    const BUILTIN: u8 = 16;

    fn of(p: &PkgNode) -> Facts {
        let mut flags = 0;
        for (on, flag) in [
            (p.name == "main", Facts::MAIN),
            (p.standard, Facts::STANDARD),
            (!p.cgo_files().is_empty(), Facts::CGO),
            (!p.s_files().is_empty(), Facts::ASM),
            (
                p.standard && matches!(p.import_path.as_str(), "builtin" | "unsafe"),
                Facts::BUILTIN,
            ),
        ] {
            if on {
                flags |= flag;
            }
        }
        let module = p.module.map_or(PackagePaths::NONE, |m| {
            u32::try_from(m).expect("fewer than 2^32 modules")
        });
        Facts { module, flags }
    }

    /// The package is named `main`.
    pub(crate) fn main(self) -> bool {
        self.flags & Facts::MAIN != 0
    }
    /// [`PkgNode::standard`].
    pub(crate) fn standard(self) -> bool {
        self.flags & Facts::STANDARD != 0
    }
    /// The package has cgo files.
    pub(crate) fn cgo(self) -> bool {
        self.flags & Facts::CGO != 0
    }
    /// The package has `.s` files.
    pub(crate) fn asm(self) -> bool {
        self.flags & Facts::ASM != 0
    }
    fn builtin(self) -> bool {
        self.flags & Facts::BUILTIN != 0
    }
    /// [`PkgNode::module`].
    pub(crate) fn module(self) -> Option<usize> {
        (self.module != PackagePaths::NONE).then_some(self.module as usize)
    }
}

impl PackagePaths {
    const NONE: u32 = u32::MAX;

    /// Room for `n` packages (their strings grow as they come).
    fn with_capacity(n: usize) -> Self {
        PackagePaths {
            strings: crate::strings::Strings::with_capacity(2 * n, n * 64),
            facts: Vec::with_capacity(n),
            of_action: Vec::with_capacity(n + 8),
            linked: Vec::new(),
        }
    }

    /// Appends the next package's entries.
    fn push(&mut self, p: &PkgNode) {
        self.strings.push(&p.import_path);
        self.strings.push(&p.dir);
        self.facts.push(Facts::of(p));
    }

    fn package(&self, a: ActionIx) -> Option<usize> {
        let p = self.of_action[a.index()];
        (p != Self::NONE).then_some(p as usize)
    }

    fn path(&self, p: usize) -> &str {
        self.strings.get(2 * p)
    }

    fn dir(&self, p: usize) -> &str {
        self.strings.get(2 * p + 1)
    }
}

/// A finished plan.
pub type Plan = ActionGraph<Sealed>;

/// Plan `go build` for `input` on `toolchain`.
pub fn plan(input: PlanInput, toolchain: &Toolchain) -> Result<Plan, Vec<PlanError>> {
    let builder = Builder::new(&input, toolchain)?;
    let (graph, root, paths) = builder.build()?;
    let building = ActionGraph::<Building> {
        graph,
        root,
        input,
        toolchain: toolchain.clone(),
        by_id: Vec::new(),
        steps: Vec::new(),
        paths,
        _state: std::marker::PhantomData,
    };
    Ok(building.seal())
}

impl ActionGraph<Building> {
    /// Assign priorities (post-order) and IDs (breadth-first); freeze. Steps are rendered later,
    /// on demand.
    fn seal(mut self) -> Plan {
        // Priorities: depth-first post-order from the root (exec.go actionList).
        let n = self.graph.node_count();
        let mut seen = vec![false; n];
        let mut order = Vec::with_capacity(n);
        // Iterative post-order over ordered deps.
        // Sized for the deepest walk up front (chains of imports can be thousands deep).
        let mut stack: Vec<(ActionIx, usize)> = Vec::with_capacity(n);
        stack.push((self.root, 0));
        seen[self.root.index()] = true;
        while let Some(&mut (a, ref mut i)) = stack.last_mut() {
            let deps = &self.graph[a].deps;
            if *i < deps.len() {
                let d = deps[*i];
                *i += 1;
                if !std::mem::replace(&mut seen[d.index()], true) {
                    stack.push((d, 0));
                }
            } else {
                order.push(a);
                stack.pop();
            }
        }
        for (p, &a) in order.iter().enumerate() {
            self.graph[a].priority = p;
        }
        // IDs: breadth-first from the root (action.go actionGraphJSON).
        // Every action once: sized up front (grown by doubling, it was reallocated ~15 times).
        let mut by_id = Vec::with_capacity(n);
        by_id.push(self.root);
        let mut seen_bfs = vec![false; n];
        seen_bfs[self.root.index()] = true;
        let mut i = 0;
        while i < by_id.len() {
            for &d in &self.graph[by_id[i]].deps {
                if !std::mem::replace(&mut seen_bfs[d.index()], true) {
                    by_id.push(d);
                }
            }
            i += 1;
        }
        for (id, &a) in by_id.iter().enumerate() {
            self.graph[a].id = id;
        }
        self.by_id = by_id;
        let steps = (0..self.graph.node_count())
            .map(|_| OnceLock::new())
            .collect();
        ActionGraph {
            graph: self.graph,
            root: self.root,
            input: self.input,
            toolchain: self.toolchain,
            by_id: self.by_id,
            steps,
            paths: self.paths,
            _state: std::marker::PhantomData,
        }
    }
}

/// A plain summary row for the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSummary {
    pub id: usize,
    pub mode: &'static str,
    pub package: Option<String>,
    pub workdir: Option<String>,
    pub target: Option<String>,
    pub deps: Vec<usize>,
    pub priority: usize,
    pub tools: Vec<Tool>,
}

impl ActionGraph<Sealed> {
    pub fn root(&self) -> ActionIx {
        self.root
    }
    pub fn input(&self) -> &PlanInput {
        &self.input
    }
    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }
    pub fn action(&self, a: ActionIx) -> &Action {
        &self.graph[a]
    }
    /// What action `a` does when it runs, in order (empty for `nop`, `built-in package`,
    /// `go build`). Rendered on first use and kept.
    pub fn steps(&self, a: ActionIx) -> &[Step] {
        self.steps[a.index()].get_or_init(|| self.step_builder().for_action(a))
    }
    /// The build info of main package `main_pkg` (index into [`PlanInput::packages`]), as its
    /// link's `importcfg.link` carries it in the `modinfo` line (without go's markers).
    pub fn build_info(&self, main_pkg: usize) -> String {
        self.step_builder().build_info(main_pkg)
    }
    fn step_builder(&self) -> Steps<'_> {
        Steps {
            graph: &self.graph,
            input: &self.input,
            toolchain: &self.toolchain,
        }
    }
    /// The underlying petgraph graph; edges run from an action to each of its dependencies.
    pub fn graph(&self) -> &DiGraph<Action, ()> {
        &self.graph
    }
    /// Actions in `-debug-actiongraph` ID order.
    pub fn actions(&self) -> impl Iterator<Item = (ActionIx, &Action)> + '_ {
        self.by_id.iter().map(move |&a| (a, &self.graph[a]))
    }
    pub fn len(&self) -> usize {
        self.by_id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
    /// Actions that depend on `a` (in creation order).
    pub fn dependents(&self, a: ActionIx) -> Vec<ActionIx> {
        let mut v: Vec<ActionIx> = self
            .graph
            .neighbors_directed(a, Direction::Incoming)
            .collect();
        crate::sort::sort(&mut v);
        v.dedup();
        v
    }
    pub fn package(&self, a: ActionIx) -> Option<&PkgNode> {
        self.graph[a].package.map(|p| &self.input.packages[p])
    }
    /// The action's package (its [`Action::package`]), read from a dense table.
    pub fn package_index(&self, a: ActionIx) -> Option<usize> {
        self.paths.package(a)
    }
    /// The import path of package `p` (an index into [`PlanInput::packages`]), read from a
    /// dense table.
    pub fn import_path(&self, p: usize) -> &str {
        self.paths.path(p)
    }
    /// Package `p` is named `main`, read from a dense table.
    pub fn is_main(&self, p: usize) -> bool {
        self.paths.facts[p].main()
    }
    /// What action IDs test of package `p`, read from a dense table (not its `PkgNode`).
    pub(crate) fn facts(&self, p: usize) -> Facts {
        self.paths.facts[p]
    }
    /// The `dir` of package `p`, read from a dense table.
    pub(crate) fn dir(&self, p: usize) -> &str {
        self.paths.dir(p)
    }
    /// Whether package `p` has a `link` action (main packages built as programs).
    pub(crate) fn is_linked(&self, p: usize) -> bool {
        self.paths.linked.binary_search(&p).is_ok()
    }
    /// The action's package import path, `""` when none (as in the JSON).
    pub fn package_path(&self, a: ActionIx) -> &str {
        self.package_index(a).map_or("", |p| self.import_path(p))
    }
    /// A digest of everything this plan would run: each action's id, mode, package and steps
    /// (tool command lines with their placeholders, importcfg files, copies). The page and the
    /// helper each compute it over their own plan of the same files; equal digests mean the
    /// helper would run exactly the commands the page's action IDs were hashed from.
    pub fn digest(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        for (a, x) in self.actions() {
            let _ = writeln!(
                s,
                "{} {} {} {:?}",
                x.id,
                x.mode.as_str(),
                self.package_path(a),
                self.steps(a)
            );
        }
        crate::hash::Digest::of(s.as_bytes()).to_hex()
    }
    /// The `build` action of a package, if it is in the graph.
    pub fn build_action(&self, import_path: &str) -> Option<ActionIx> {
        self.actions()
            .find(|(a, x)| {
                matches!(x.mode, Mode::Build | Mode::BuiltIn)
                    && self.package_path(*a) == import_path
            })
            .map(|(a, _)| a)
    }
    /// Where an action's output is before any cache is consulted (`built`).
    pub fn cold_built(&self, a: ActionIx) -> String {
        let x = &self.graph[a];
        match (&x.built, x.mode, x.objdir) {
            (Some(b), _, _) => b.clone(),
            (None, Mode::Build, Some(d)) => format!("{}_pkg_.a", d.path()),
            _ => String::new(),
        }
    }

    pub fn summary(&self) -> Vec<ActionSummary> {
        self.actions()
            .map(|(a, x)| ActionSummary {
                id: x.id,
                mode: x.mode.as_str(),
                package: self.package(a).map(|p| p.import_path.clone()),
                workdir: x.objdir.map(WorkDir::name),
                target: x.target.clone(),
                deps: x.deps.iter().map(|&d| self.graph[d].id).collect(),
                priority: x.priority,
                tools: self
                    .steps(a)
                    .iter()
                    .filter_map(|s| match s {
                        Step::Run(inv) => Some(inv.tool),
                        _ => None,
                    })
                    .collect(),
            })
            .collect()
    }

    /// `-debug-actiongraph` JSON as cmd/go writes it before running (no times, IDs or commands),
    /// with `$WORK` replaced by `work_dir` (e.g. `/tmp/go-build123`).
    pub fn to_actiongraph_json(&self, work_dir: &str) -> String {
        let fix = |s: &str| s.replacen(WORK, work_dir, 1);
        let list: Vec<wire::ActionJson> = self
            .actions()
            .map(|(a, x)| wire::ActionJson {
                id: x.id,
                mode: x.mode.as_str().to_string(),
                package: self.package_path(a).to_string(),
                deps: x.deps.iter().map(|&d| self.graph[d].id).collect(),
                objdir: x.objdir.map(|d| fix(&d.path())).unwrap_or_default(),
                target: x.target.as_deref().map(fix).unwrap_or_default(),
                priority: x.priority,
                built: x.built.as_deref().map(fix).unwrap_or_default(),
                need_build: matches!(x.mode, Mode::Build | Mode::BuiltIn),
                cmd: None,
            })
            .collect();
        gojson::marshal_indent(&list)
    }
}

mod wire {
    //! The `-debug-actiongraph` wire format (field names and `omitempty` as in action.go).
    use serde::Serialize;

    fn is_zero(n: &usize) -> bool {
        *n == 0
    }
    fn is_false(b: &bool) -> bool {
        !*b
    }

    #[derive(Serialize)]
    pub struct ActionJson {
        #[serde(rename = "ID")]
        pub id: usize,
        #[serde(rename = "Mode")]
        pub mode: String,
        #[serde(rename = "Package")]
        pub package: String,
        #[serde(rename = "Deps", skip_serializing_if = "Vec::is_empty")]
        pub deps: Vec<usize>,
        #[serde(rename = "Objdir", skip_serializing_if = "String::is_empty")]
        pub objdir: String,
        #[serde(rename = "Target", skip_serializing_if = "String::is_empty")]
        pub target: String,
        #[serde(rename = "Priority", skip_serializing_if = "is_zero")]
        pub priority: usize,
        #[serde(rename = "Built", skip_serializing_if = "String::is_empty")]
        pub built: String,
        #[serde(rename = "NeedBuild", skip_serializing_if = "is_false")]
        pub need_build: bool,
        #[serde(rename = "Cmd")]
        pub cmd: Option<Vec<String>>,
    }
}

// ---------------------------------------------------------------------------------------------
// Construction (action.go)
// ---------------------------------------------------------------------------------------------

/// A package whose build action is being made ([`Builder::build_action`]): its work
/// directory, the next import to visit, the actions of the imports visited so far.
struct BuildFrame {
    p: usize,
    objdir: WorkDir,
    next: usize,
    deps: Vec<ActionIx>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum InstallMode {
    Build,
    Install,
}

/// cmd/go's actionCache: the action made for (mode, package), for the four modes it caches
/// (`build`, `link` and their installs), as a table by package index: packages are dense
/// indices, so a lookup is an index, not a hash (and the page's wasm carries no hash table
/// type for it).
struct ActionCache(Vec<[u32; 4]>);

impl ActionCache {
    const NONE: u32 = u32::MAX;

    fn new(packages: usize) -> Self {
        ActionCache(vec![[Self::NONE; 4]; packages])
    }

    fn slot(mode: Mode) -> usize {
        match mode {
            Mode::Build => 0,
            Mode::Link => 1,
            Mode::BuildInstall => 2,
            Mode::LinkInstall => 3,
            m => unreachable!("cmd/go caches no {} action", m.as_str()),
        }
    }

    fn get(&self, mode: Mode, p: usize) -> Option<ActionIx> {
        let a = self.0[p][Self::slot(mode)];
        (a != Self::NONE).then(|| ActionIx::new(a as usize))
    }

    fn insert(&mut self, mode: Mode, p: usize, a: ActionIx) {
        let a = u32::try_from(a.index()).expect("fewer than 2^32 actions");
        self.0[p][Self::slot(mode)] = a;
    }
}

struct Builder<'a> {
    input: &'a PlanInput,
    tc: &'a Toolchain,
    graph: DiGraph<Action, ()>,
    /// cmd/go's actionCache, keyed by (mode, package).
    cache: ActionCache,
    objdir_seq: u32,
    /// Internal imports per package (source imports + implicit ones), back to back: package
    /// `p`'s are `internal[internal_ends[p - 1]..internal_ends[p]]` ([`Builder::internal`]).
    /// One vector rather than one per package.
    internal: Vec<usize>,
    internal_ends: Vec<usize>,
    /// Install targets (cmd/go's `p.Target`) by package, set only by `-o` (one, or one per
    /// main package of the patterns with `-o DIR/`): a short list, searched.
    targets: Vec<(usize, String)>,
    in_progress: Vec<usize>,
    /// `in_progress` as a membership table by package (the stack can be thousands deep).
    on_stack: Vec<bool>,
    errors: Vec<PlanError>,
    /// The dense tables the sealed plan keeps, filled as the packages are read and the actions
    /// added.
    paths: PackagePaths,
}

impl<'a> Builder<'a> {
    /// Reads every package once, in order: its imports into `internal`, what it is into the
    /// dense tables. cmd/go's implicit imports (`runtime` for a main package, `unsafe`,
    /// `runtime/cgo` and `syscall` for cgo) name packages that may come later in the list: they
    /// are found by path during the same pass and added to the few lists that need them after
    /// it ([`Builder::add_implicit`]), rather than through a map of every package's path.
    fn new(input: &'a PlanInput, tc: &'a Toolchain) -> Result<Self, Vec<PlanError>> {
        let mut errors = Vec::new();
        // build.go: only `-o FILE` wants a package; otherwise nothing matched builds nothing
        // (after the loader's `matched no packages` warning).
        if input.roots.is_empty() && matches!(input.mode, BuildMode::BuildTo(_)) {
            errors.push(PlanError::NoPackages);
        }
        let n = input.packages.len();
        for &r in &input.roots {
            if r >= n {
                errors.push(PlanError::BadIndex {
                    from: "(roots)".into(),
                    index: r,
                });
            }
        }
        let mut paths = PackagePaths::with_capacity(n);
        let mut targets = Implicit::default();
        // Packages with implicit imports (main packages, cgo): (package, the paths).
        let mut wanting: Vec<(usize, Vec<&'static str>)> = Vec::new();
        // About eight imports a package; grown if there are more.
        let mut internal = Vec::with_capacity(n * 8);
        let mut internal_ends = Vec::with_capacity(n);
        for (pi, p) in input.packages.iter().enumerate() {
            let start = internal.len();
            for &i in &p.imports {
                if i >= n {
                    errors.push(PlanError::BadIndex {
                        from: p.import_path.clone(),
                        index: i,
                    });
                } else if !internal[start..].contains(&i) {
                    internal.push(i);
                }
            }
            internal_ends.push(internal.len());
            let implicit = implicit_imports(p, tc);
            if !implicit.is_empty() {
                wanting.push((pi, implicit));
            }
            targets.note(pi, &p.import_path);
            paths.push(p);
        }
        if !wanting.is_empty() {
            let (merged, ends) = Builder::add_implicit(
                input,
                &internal,
                &internal_ends,
                &wanting,
                &targets,
                &mut errors,
            );
            internal = merged;
            internal_ends = ends;
        }
        if !errors.is_empty() {
            crate::sort::sort(&mut errors);
            errors.dedup();
            return Err(errors);
        }
        // Sized up front: about a build action per package plus a few, with its imports as
        // edges (a link's transitive edges come on top). Growing these while the plan allocates
        // many small blocks shows in the allocator's time.
        let edges = internal.len() + n;
        Ok(Builder {
            input,
            tc,
            graph: DiGraph::with_capacity(n + 8, edges),
            cache: ActionCache::new(n),
            objdir_seq: 0,
            internal,
            internal_ends,
            targets: Vec::new(),
            // The build walk's stack, sized for the deepest chain of imports.
            in_progress: Vec::with_capacity(n),
            on_stack: vec![false; n],
            errors: Vec::new(),
            paths,
        })
    }

    /// The internal import lists with each implicit import of the `wanting` packages appended
    /// to its list (unless already there), as cmd/go appends them after the source imports.
    /// (Kept apart instead, read through a check at the end of each list, the implicit imports
    /// spared this copy but the walk was slower: docs/benchmarks.md, session 19.)
    fn add_implicit(
        input: &PlanInput,
        internal: &[usize],
        ends: &[usize],
        wanting: &[(usize, Vec<&'static str>)],
        targets: &Implicit,
        errors: &mut Vec<PlanError>,
    ) -> (Vec<usize>, Vec<usize>) {
        let extra: usize = wanting.iter().map(|(_, v)| v.len()).sum();
        let mut merged = Vec::with_capacity(internal.len() + extra);
        let mut merged_ends = Vec::with_capacity(ends.len());
        let mut next = wanting.iter().peekable();
        let mut start = 0;
        for (p, &end) in ends.iter().enumerate() {
            let from = merged.len();
            merged.extend_from_slice(&internal[start..end]);
            start = end;
            if let Some((_, paths)) = next.next_if(|(q, _)| *q == p) {
                for &path in paths {
                    match targets.get(path) {
                        Some(i) => {
                            if !merged[from..].contains(&i) {
                                merged.push(i)
                            }
                        }
                        None => errors.push(PlanError::MissingImplicit {
                            package: input.packages[p].import_path.clone(),
                            import: path.to_string(),
                        }),
                    }
                }
            }
            merged_ends.push(merged.len());
        }
        (merged, merged_ends)
    }

    fn pkg(&self, p: usize) -> &'a PkgNode {
        &self.input.packages[p]
    }

    /// Package `p`'s internal imports.
    fn internal(&self, p: usize) -> &[usize] {
        let start = if p == 0 { 0 } else { self.internal_ends[p - 1] };
        &self.internal[start..self.internal_ends[p]]
    }

    /// Records the package of the action about to be added ([`PackagePaths::of_action`]).
    fn note_package(&mut self, package: Option<usize>) {
        let p = package.map_or(PackagePaths::NONE, |p| {
            u32::try_from(p).expect("fewer than 2^32 packages")
        });
        self.paths.of_action.push(p);
    }

    fn new_objdir(&mut self) -> WorkDir {
        self.objdir_seq += 1;
        WorkDir(self.objdir_seq)
    }

    fn add(&mut self, mode: Mode, package: Option<usize>, deps: Vec<ActionIx>) -> ActionIx {
        self.note_package(package);
        self.graph.add_node(Action {
            mode,
            package,
            deps,
            objdir: None,
            target: None,
            built: None,
            priority: 0,
            id: 0,
        })
    }

    /// build.go runBuild.
    fn build(mut self) -> Result<(DiGraph<Action, ()>, ActionIx, PackagePaths), Vec<PlanError>> {
        let roots = self.input.roots.clone();
        // base.IsNull: `-o /dev/null` builds and writes nothing, not even to a default name
        // (go clears the output after choosing it): every main package is linked in $WORK only,
        // as when several packages are built.
        let null = matches!(&self.input.mode, BuildMode::BuildTo(f) if f == "/dev/null");
        let mut output = match &self.input.mode {
            BuildMode::Build => None,
            BuildMode::BuildTo(_) if null => None,
            BuildMode::BuildTo(f) => Some((f.clone(), false)),
            BuildMode::BuildToDir(d) => Some((d.clone(), true)),
        };
        if output.is_none() && !null && roots.len() == 1 && self.pkg(roots[0]).name == "main" {
            output = Some((exec_name(self.pkg(roots[0])) + self.tc.exe_suffix(), false));
        }
        let root = match output {
            Some((dir, true)) => {
                let dir = dir.trim_end_matches('/').to_string();
                let mut deps = Vec::new();
                for &p in &roots {
                    if self.pkg(p).name != "main" {
                        continue;
                    }
                    let name = exec_name(self.pkg(p)) + self.tc.exe_suffix();
                    self.targets.push((p, format!("{dir}/{name}")));
                    deps.push(self.auto_action(InstallMode::Install, p));
                }
                if deps.is_empty() {
                    return Err(vec![PlanError::NoMainPackages]);
                }
                self.add(Mode::GoBuild, None, deps)
            }
            Some((file, false)) => {
                if roots.len() > 1 {
                    return Err(vec![PlanError::MultipleToFile { output: file }]);
                }
                self.targets.push((roots[0], file));
                self.auto_action(InstallMode::Install, roots[0])
            }
            None => {
                let mut deps = Vec::new();
                for &p in &roots {
                    deps.push(self.auto_action(InstallMode::Build, p));
                }
                self.add(Mode::GoBuild, None, deps)
            }
        };
        if !self.errors.is_empty() {
            crate::sort::sort(&mut self.errors);
            self.errors.dedup();
            return Err(self.errors);
        }
        // The edges mirror each action's deps (read by index: no copy of each list).
        for a in 0..self.graph.node_count() {
            let a = ActionIx::new(a);
            for i in 0..self.graph[a].deps.len() {
                let d = self.graph[a].deps[i];
                self.graph.add_edge(a, d, ());
            }
        }
        crate::sort::sort(&mut self.paths.linked);
        self.paths.linked.dedup();
        Ok((self.graph, root, self.paths))
    }

    fn auto_action(&mut self, mode: InstallMode, p: usize) -> ActionIx {
        if self.paths.facts[p].main() {
            self.link_action(mode, p)
        } else {
            self.compile_action(mode, p)
        }
    }

    /// action.go CompileAction (depMode is always ModeBuild for go build).
    fn compile_action(&mut self, mut mode: InstallMode, p: usize) -> ActionIx {
        if mode == InstallMode::Install && (self.target(p).is_none() || self.paths.facts[p].main())
        {
            mode = InstallMode::Build;
        }
        let a = self.build_action(p);
        if mode == InstallMode::Install {
            self.install_action(a)
        } else {
            a
        }
    }

    /// `CompileAction(ModeBuild, p)`: the build action of `p`, made (with those of its imports,
    /// depth-first in import order) if it does not exist yet. cmd/go recurses; this walks with
    /// an explicit stack, so import chains thousands deep cannot overflow the machine stack.
    /// The work directory is numbered when a package is entered, the action added when it is
    /// left, as in cmd/go.
    fn build_action(&mut self, p: usize) -> ActionIx {
        if let Some(a) = self.cache.get(Mode::Build, p) {
            return a;
        }
        let mut frames = match self.enter_build(p) {
            Ok(f) => vec![f],
            Err(stand_in) => return stand_in,
        };
        loop {
            let top = frames
                .last_mut()
                .expect("the walk ends with its first frame");
            if let Some(&q) = self.internal(top.p).get(top.next) {
                top.next += 1;
                match self.cache.get(Mode::Build, q) {
                    Some(a) => top.deps.push(a),
                    None => match self.enter_build(q) {
                        Ok(f) => frames.push(f),
                        Err(stand_in) => frames.last_mut().expect("top").deps.push(stand_in),
                    },
                }
                continue;
            }
            let BuildFrame {
                p, objdir, deps, ..
            } = frames.pop().expect("top exists");
            self.in_progress.pop();
            self.on_stack[p] = false;
            let builtin = self.paths.facts[p].builtin();
            let a = self.add(
                if builtin { Mode::BuiltIn } else { Mode::Build },
                Some(p),
                deps,
            );
            self.graph[a].objdir = Some(objdir);
            self.cache.insert(Mode::Build, p, a);
            match frames.last_mut() {
                Some(up) => up.deps.push(a),
                None => return a,
            }
        }
    }

    /// Enters package `p` for [`Builder::build_action`]: numbers its work directory. On an
    /// import cycle, records the error and gives a stand-in `nop` instead, so construction can
    /// finish and report every error.
    fn enter_build(&mut self, p: usize) -> Result<BuildFrame, ActionIx> {
        if let Some(pos) = self.on_stack[p]
            .then(|| self.in_progress.iter().position(|&q| q == p))
            .flatten()
        {
            let mut cycle: Vec<String> = self.in_progress[pos..]
                .iter()
                .map(|&q| self.pkg(q).import_path.clone())
                .collect();
            cycle.push(self.pkg(p).import_path.clone());
            self.errors.push(PlanError::ImportCycle { cycle });
            return Err(self.add(Mode::Nop, Some(p), Vec::new()));
        }
        let objdir = self.new_objdir();
        self.in_progress.push(p);
        self.on_stack[p] = true;
        Ok(BuildFrame {
            p,
            objdir,
            next: 0,
            // One dependency per import (a few more for implicit ones): one allocation.
            deps: Vec::with_capacity(self.internal(p).len()),
        })
    }

    /// action.go LinkAction.
    fn link_action(&mut self, mode: InstallMode, p: usize) -> ActionIx {
        let a = match self.cache.get(Mode::Link, p) {
            Some(a) => a,
            None => {
                let a1 = self.compile_action(InstallMode::Build, p);
                let objdir = self.graph[a1].objdir;
                let a = self.add(Mode::Link, Some(p), vec![a1]);
                self.paths.linked.push(p);
                let target = format!(
                    "{}exe/a.out{}",
                    objdir.map(WorkDir::path).unwrap_or_default(),
                    self.tc.exe_suffix()
                );
                self.graph[a].objdir = objdir;
                self.graph[a].target = Some(target.clone());
                self.graph[a].built = Some(target);
                self.add_transitive_link_deps(a, a1);
                let rest = self.graph[a].deps[1..].to_vec();
                let nop = self.add(Mode::Nop, None, rest);
                self.graph[a1].deps.push(nop);
                self.cache.insert(Mode::Link, p, a);
                a
            }
        };
        if mode == InstallMode::Install {
            self.install_action(a)
        } else {
            a
        }
    }

    /// action.go addTransitiveLinkDeps: breadth-first over build actions.
    /// A binary links most of the packages: the queue, the link's list and the packages seen
    /// (a flag per package) are sized for all of them, and each action's deps are read in
    /// place (not copied).
    fn add_transitive_link_deps(&mut self, a: ActionIx, a1: ActionIx) {
        let n = self.input.packages.len();
        let mut workq = Vec::with_capacity(n);
        workq.push(a1);
        let mut have = vec![false; n];
        if let Some(p) = self.graph[a1].package {
            have[p] = true;
        }
        self.graph[a].deps.reserve(n);
        let mut i = 0;
        while i < workq.len() {
            let w = workq[i];
            for j in 0..self.graph[w].deps.len() {
                let a2 = self.graph[w].deps[j];
                let x = &self.graph[a2];
                let Some(p2) = x.package else { continue };
                if !matches!(x.mode, Mode::Build | Mode::BuildInstall) || have[p2] {
                    continue;
                }
                have[p2] = true;
                let next = if x.mode == Mode::BuildInstall {
                    x.deps[0]
                } else {
                    a2
                };
                self.graph[a].deps.push(a2);
                workq.push(next);
            }
            i += 1;
        }
    }

    /// `-o`'s install target of package `p`, if it has one.
    fn target(&self, p: usize) -> Option<&str> {
        self.targets
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(_, t)| t.as_str())
    }

    /// action.go installAction: the install overwrites `a1` in place and the build moves to a
    /// fresh node, so every earlier reference to the build now reaches the install.
    fn install_action(&mut self, a1: ActionIx) -> ActionIx {
        let mode = self.graph[a1].mode;
        if matches!(mode, Mode::BuildInstall | Mode::LinkInstall) || !mode.has_actor() {
            return a1;
        }
        let p = self.graph[a1].package.expect("install of a package action");
        let key = if mode == Mode::Link {
            Mode::LinkInstall
        } else {
            Mode::BuildInstall
        };
        if let Some(a) = self.cache.get(key, p) {
            return a;
        }
        let build = self.graph[a1].clone();
        let objdir = build.objdir;
        self.note_package(build.package);
        let b = self.graph.add_node(build);
        let target = self.target(p).map(str::to_string);
        let x = &mut self.graph[a1];
        x.mode = key;
        x.deps = vec![b];
        x.objdir = objdir;
        x.target = target.clone();
        x.built = target;
        self.cache.insert(key, p, a1);
        a1
    }
}

/// Every path [`implicit_imports`] can name.
const IMPLICIT: [&str; 5] = ["unsafe", "runtime/cgo", "syscall", "runtime", "math"];

/// Where each of the [`IMPLICIT`] paths is among the packages (the last package with that path,
/// as a map filled in order would keep).
#[derive(Default)]
struct Implicit([Option<usize>; IMPLICIT.len()]);

impl Implicit {
    /// Package `p` has path `path`. (Compared by length first: module paths are rarely as short
    /// as these, and their bytes are then not read.)
    fn note(&mut self, p: usize, path: &str) {
        if let Some(k) = IMPLICIT
            .iter()
            .position(|&i| i.len() == path.len() && i == path)
        {
            self.0[k] = Some(p);
        }
    }

    fn get(&self, path: &str) -> Option<usize> {
        IMPLICIT
            .iter()
            .position(|&i| i == path)
            .and_then(|k| self.0[k])
    }
}

/// load.go: the imports cmd/go adds to what the source says.
fn implicit_imports(p: &PkgNode, tc: &Toolchain) -> Vec<&'static str> {
    let mut v = Vec::new();
    if !p.cgo_files().is_empty() && tc.cgo_enabled {
        v.push("unsafe");
        if !p.standard || p.import_path != "runtime/cgo" {
            v.push("runtime/cgo");
        }
        if !p.standard
            || !matches!(
                p.import_path.as_str(),
                "runtime/cgo" | "runtime/race" | "runtime/msan" | "runtime/asan"
            )
        {
            v.push("syscall");
        }
    }
    if p.name == "main" {
        // LinkerDeps: everything links runtime; soft float on arm needs math.
        v.push("runtime");
        if tc.goarch == "arm" {
            v.push("math");
        }
    }
    v
}

/// load.go DefaultExecName: the first Go (or cgo) file's name without `.go` for the package of
/// the files named on the command line (exeFromFiles), else [`default_exec_name`].
pub fn exec_name(p: &PkgNode) -> String {
    if !p.is_cmdline_files() {
        return default_exec_name(&p.import_path);
    }
    let first = p.go_files.first().or(p.cgo_files().first());
    first.map_or_else(String::new, |f| {
        let name = f.rsplit('/').next().unwrap_or(f);
        name.strip_suffix(".go").unwrap_or(name).to_string()
    })
}

/// load.go exeFromImportPath: the last element, skipping a major-version suffix.
pub fn default_exec_name(import_path: &str) -> String {
    let (dir, elem) = match import_path.rfind('/') {
        Some(i) => (&import_path[..i], &import_path[i + 1..]),
        None => ("", import_path),
    };
    if elem != import_path && is_version_element(elem) {
        return dir.rsplit('/').next().unwrap_or(dir).to_string();
    }
    elem.to_string()
}

fn is_version_element(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'v' || b[1] == b'0' || (b[1] == b'1' && b.len() == 2) {
        return false;
    }
    b[1..].iter().all(u8::is_ascii_digit)
}

/// gover.Lang: `1.21.3` → `1.21`, `1.12` → `1.12`.
fn lang(v: &str) -> String {
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!(
            "{a}.{}",
            b.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(b)
        ),
        (Some(a), None) => a.to_string(),
        _ => v.to_string(),
    }
}

/// Compare dotted Go versions numerically (`1.9` < `1.21`; missing parts are 0).
fn version_le(a: &str, b: &str) -> bool {
    let num = |s: &str| -> Vec<u64> {
        s.split('.')
            .map(|x| {
                x.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0)
            })
            .collect()
    };
    let (mut x, mut y) = (num(a), num(b));
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    x <= y
}

// ---------------------------------------------------------------------------------------------
// Steps (exec.go build / link / BuildInstallFunc, gc.go)
// ---------------------------------------------------------------------------------------------

/// Renders one action's steps from the finished graph.
struct Steps<'g> {
    graph: &'g DiGraph<Action, ()>,
    input: &'g PlanInput,
    toolchain: &'g Toolchain,
}

impl Steps<'_> {
    fn for_action(&self, a: ActionIx) -> Vec<Step> {
        let x = &self.graph[a];
        match x.mode {
            Mode::Build => self.build(a),
            Mode::Link => self.link(a),
            Mode::LinkInstall | Mode::BuildInstall => {
                let b = x.deps[0];
                let from = self.cold_built(b);
                // exec.go BuildInstallFunc: mkdir objdir and the target's directory, move, clean up.
                let mut v = Vec::new();
                if let Some(d) = x.objdir {
                    v.push(Step::Mkdir(d.path()));
                }
                if let Some(t) = &x.target {
                    if let Some(i) = t.rfind('/') {
                        v.push(Step::Mkdir(t[..=i].to_string()));
                    }
                    v.push(Step::Move {
                        from,
                        to: t.clone(),
                    });
                }
                if let Some(d) = x.objdir {
                    v.push(Step::RemoveAll(d.path()));
                }
                v
            }
            Mode::GoBuild | Mode::BuiltIn | Mode::Nop => Vec::new(),
        }
    }

    fn cold_built(&self, a: ActionIx) -> String {
        let x = &self.graph[a];
        match (&x.built, x.mode, x.objdir) {
            (Some(b), _, _) => b.clone(),
            (None, Mode::Build, Some(d)) => format!("{}_pkg_.a", d.path()),
            _ => String::new(),
        }
    }

    /// gc.go pkgPath.
    fn pkg_path(p: &PkgNode) -> &str {
        if p.name == "main" {
            "main"
        } else {
            &p.import_path
        }
    }

    fn abs(p: &PkgNode, f: &str) -> String {
        if f.starts_with('/') {
            f.to_string()
        } else {
            format!("{}/{}", p.dir, f)
        }
    }

    /// gc.go `Action.trimpath`: the object directory dropped from file paths, and under
    /// `-trimpath` the package directory rewritten to its import path (with the module's version
    /// when it has one; `.` for the files named on the command line).
    fn trimpath(&self, p: &PkgNode, objdir: &str) -> String {
        let objdir = objdir.trim_end_matches('/');
        if !SETTINGS || !self.input.settings.trimpath {
            return format!("{objdir}=>");
        }
        let to = match p.module.map(|m| &self.input.modules[m]) {
            Some(m) if !m.version.is_empty() => format!(
                "{}@{}{}",
                m.path,
                m.version,
                p.import_path.strip_prefix(m.path.as_str()).unwrap_or("")
            ),
            _ if p.is_cmdline_files() => ".".into(),
            _ => p.import_path.clone(),
        };
        format!("{}=>{to};{objdir}=>", p.dir)
    }

    fn asm_args(&self, p: &PkgNode, objdir: &str) -> Vec<String> {
        let tc = self.toolchain;
        let mut v = vec![
            tc.tool("asm"),
            "-p".into(),
            Self::pkg_path(p).into(),
            "-trimpath".into(),
            self.trimpath(p, objdir),
            "-I".into(),
            objdir.into(),
            "-I".into(),
            format!("{}/pkg/include", tc.goroot),
            "-D".into(),
            format!("GOOS_{}", tc.goos),
            "-D".into(),
            format!("GOARCH_{}", tc.goarch),
        ];
        if SETTINGS {
            v.extend(p.flags().asmflags.iter().cloned());
        }
        if let Some((k, val)) = &tc.arch_env {
            // gc.go asmArgs defines GO386_, GOAMD64_, GOMIPS_… from the arch env.
            if matches!(
                k.as_str(),
                "GO386" | "GOAMD64" | "GOMIPS" | "GOMIPS64" | "GORISCV64"
            ) {
                v.extend(["-D".into(), format!("{k}_{val}")]);
            }
        }
        v
    }

    fn build(&self, a: ActionIx) -> Vec<Step> {
        let g = self;
        let tc = g.toolchain;
        let x = &g.graph[a];
        let p = &g.input.packages[x.package.expect("build has a package")];
        let objdir = x.objdir.expect("build has an objdir").path();
        let archive = format!("{objdir}_pkg_.a");
        let uses_cgo = !p.cgo_files().is_empty() && tc.cgo_enabled;
        let sfiles: Vec<&String> = if uses_cgo && !(p.standard && p.import_path == "runtime/cgo") {
            Vec::new() // cgo packages hand their .s files to gcc
        } else {
            p.s_files()
                .iter()
                .filter(|f| !(uses_cgo && f.starts_with("gcc_")))
                .collect()
        };
        let mut steps = vec![Step::Mkdir(objdir.clone())];
        if p.build_error().is_some() {
            // exec.go build: the object directory is made, then the NoGoError.
            return steps;
        }
        if uses_cgo {
            steps.push(Step::Cgo {
                files: p.cgo_files().to_vec(),
            });
        }

        // Symbol ABIs from the assembly (gc.go symabis).
        let symabis = if sfiles.is_empty() {
            None
        } else {
            let path = format!("{objdir}symabis");
            steps.push(Step::WriteFile {
                path: format!("{objdir}go_asm.h"),
                contents: FileContents::Text(String::new()),
            });
            let mut argv = self.asm_args(p, &objdir);
            argv.extend(["-gensymabis".into(), "-o".into(), path.clone()]);
            argv.extend(sfiles.iter().map(|f| Self::abs(p, f)));
            steps.push(Step::Run(Invocation {
                tool: Tool::Asm,
                dir: p.dir.clone(),
                env: Vec::new(),
                argv,
                internal: false,
            }));
            Some(path)
        };

        // importcfg: importmap lines, then one packagefile per dependency with an output.
        let mut icfg = ImportCfg {
            header: true,
            importmap: p.import_map().to_vec(),
            ..Default::default()
        };
        for &d in &x.deps {
            let y = &g.graph[d];
            if matches!(y.mode, Mode::Build | Mode::BuildInstall) {
                if let Some(q) = y.package {
                    icfg.packagefiles
                        .push((g.input.packages[q].import_path.clone(), d));
                }
            }
        }
        let importcfg = format!("{objdir}importcfg");
        steps.push(Step::WriteFile {
            path: importcfg.clone(),
            contents: FileContents::ImportCfg(icfg),
        });

        let embedcfg = if p.embed_patterns().is_empty() {
            None
        } else {
            let path = format!("{objdir}embedcfg");
            steps.push(Step::WriteFile {
                path: path.clone(),
                contents: FileContents::Text(embedcfg(p)),
            });
            Some(path)
        };

        // compile (gc.go gc).
        let vers = match p.module.map(|m| &g.input.modules[m]) {
            Some(m) => {
                let v = if m.go_version.is_empty() {
                    "1.16"
                } else {
                    m.go_version.as_str()
                };
                if version_le(v, tc.version.trim_start_matches("go")) {
                    lang(v)
                } else {
                    tc.local_lang()
                }
            }
            None => tc.local_lang(),
        };
        let mut argv = vec![
            tc.tool("compile"),
            "-o".into(),
            archive.clone(),
            "-trimpath".into(),
            self.trimpath(p, &objdir),
            "-p".into(),
            Self::pkg_path(p).into(),
            format!("-lang=go{vers}"),
        ];
        if p.standard {
            argv.push("-std".into());
        }
        let mut ext =
            p.cgo_files().len() + p.c_files().len() + p.s_files().len() + p.syso_files().len();
        if p.standard
            && matches!(
                p.import_path.as_str(),
                "bytes"
                    | "internal/poll"
                    | "net"
                    | "os"
                    | "runtime/metrics"
                    | "runtime/pprof"
                    | "runtime/trace"
                    | "sync"
                    | "syscall"
                    | "time"
            )
        {
            ext += 1;
        }
        if ext == 0 {
            argv.push("-complete".into());
        }
        argv.extend(["-buildid".into(), BUILD_ID.into()]);
        if tc.goos == "plan9" || tc.goarch == "wasm" {
            argv.push("-dwarf=false".into());
        }
        argv.extend(["-goversion".into(), tc.version.clone()]);
        if let Some(s) = &symabis {
            argv.extend(["-symabis".into(), s.clone()]);
        }
        let c = tc.backend_concurrency();
        if c > 1 {
            argv.push(format!("-c={c}"));
        }
        if SETTINGS {
            argv.extend(p.flags().gcflags.iter().cloned());
        }
        argv.extend(["-nolocalimports".into(), "-importcfg".into(), importcfg]);
        if let Some(e) = embedcfg {
            argv.extend(["-embedcfg".into(), e]);
        }
        argv.push("-pack".into());
        if symabis.is_some() {
            argv.extend(["-asmhdr".into(), format!("{objdir}go_asm.h")]);
        }
        argv.extend(p.go_files.iter().map(|f| Self::abs(p, f)));
        steps.push(Step::Run(Invocation {
            tool: Tool::Compile,
            dir: g.input.cwd.clone(),
            env: Vec::new(),
            argv,
            internal: false,
        }));

        // Architecture headers copied under generic names.
        let (goos_goarch, goarch, goos) = (
            format!("_{}_{}", tc.goos, tc.goarch),
            format!("_{}", tc.goarch),
            format!("_{}", tc.goos),
        );
        for h in p.h_files() {
            let (name, ext) = match h.rfind('.') {
                Some(i) => (&h[..i], &h[i + 1..]),
                None => (h.as_str(), ""),
            };
            let targ = if let Some(b) = name.strip_suffix(goos_goarch.as_str()) {
                format!("{b}_GOOS_GOARCH.{ext}")
            } else if let Some(b) = name.strip_suffix(goarch.as_str()) {
                format!("{b}_GOARCH.{ext}")
            } else if let Some(b) = name.strip_suffix(goos.as_str()) {
                format!("{b}_GOOS.{ext}")
            } else {
                continue;
            };
            steps.push(Step::Copy {
                from: Self::abs(p, h),
                to: format!("{objdir}{targ}"),
            });
        }

        // Assemble each .s file, then append the objects to the archive.
        let mut objects = Vec::new();
        for f in &sfiles {
            let o = format!("{objdir}{}.o", f.strip_suffix(".s").unwrap_or(f));
            let mut argv = self.asm_args(p, &objdir);
            argv.extend(["-o".into(), o.clone(), Self::abs(p, f)]);
            steps.push(Step::Run(Invocation {
                tool: Tool::Asm,
                dir: p.dir.clone(),
                env: Vec::new(),
                argv,
                internal: false,
            }));
            objects.push(o);
        }
        objects.extend(p.syso_files().iter().map(|f| Self::abs(p, f)));
        // A package using cgo always packs: gcc's objects are appended (crate::cgo).
        if !objects.is_empty() || uses_cgo {
            let mut argv = vec![tc.tool("pack"), "r".into(), archive.clone()];
            argv.extend(objects);
            steps.push(Step::Run(Invocation {
                tool: Tool::Pack,
                dir: p.dir.clone(),
                env: Vec::new(),
                argv,
                internal: true,
            }));
        }
        steps.push(Step::Run(Invocation {
            tool: Tool::BuildId,
            dir: String::new(),
            env: Vec::new(),
            argv: vec![tc.tool("buildid"), "-w".into(), archive],
            internal: true,
        }));
        steps
    }

    fn link(&self, a: ActionIx) -> Vec<Step> {
        let g = self;
        let tc = g.toolchain;
        let x = &g.graph[a];
        let main = x.package.expect("link has a package");
        let objdir = x.objdir.expect("link has an objdir").path();
        let target = x.target.clone().unwrap_or_default();
        let mut icfg = ImportCfg::default();
        for &d in &x.deps {
            if let Some(q) = g.graph[d].package {
                icfg.packagefiles
                    .push((g.input.packages[q].import_path.clone(), d));
            }
        }
        icfg.modinfo = Some(modinfo_data(&self.build_info(main)));
        let importcfg = format!("{objdir}importcfg.link");
        let mut steps = vec![
            Step::Mkdir(objdir.clone()),
            Step::WriteFile {
                path: importcfg.clone(),
                contents: FileContents::ImportCfg(icfg),
            },
        ];
        if let Some(i) = target.rfind('/') {
            steps.push(Step::Mkdir(target[..=i].to_string()));
        }
        let mut argv = vec![
            tc.tool("link"),
            "-o".into(),
            target.clone(),
            "-importcfg".into(),
            importcfg,
        ];
        if !g.input.default_godebug.is_empty() {
            argv.push(format!(
                "-X=runtime.godebugDefault={}",
                g.input.default_godebug
            ));
        }
        argv.push("-buildmode=exe".into());
        argv.push(format!("-buildid={BUILD_ID}"));
        // The main package's -ldflags, then gcc unless they name a linker (gc.go setextld).
        let ldflags: &[String] = match SETTINGS {
            true => &g.input.packages[main].flags().ldflags,
            false => &[],
        };
        argv.extend(ldflags.iter().cloned());
        if !ldflags
            .iter()
            .any(|f| f == "-extld" || f.starts_with("-extld="))
        {
            argv.push(format!("-extld={}", tc.cc));
        }
        argv.push(self.cold_built(x.deps[0]));
        // GOROOT is cleared under -trimpath (gc.go ld).
        let goroot = match SETTINGS && g.input.settings.trimpath {
            true => String::new(),
            false => tc.goroot.clone(),
        };
        steps.push(Step::Run(Invocation {
            tool: Tool::Link,
            dir: ".".into(),
            env: vec![("GOROOT".into(), goroot)],
            argv,
            internal: false,
        }));
        steps.push(Step::Run(Invocation {
            tool: Tool::BuildId,
            dir: String::new(),
            env: Vec::new(),
            argv: vec![tc.tool("buildid"), "-w".into(), target],
            internal: true,
        }));
        steps
    }

    /// load.go setBuildInfo + runtime/debug BuildInfo.String (no VCS stamping).
    fn build_info(&self, main: usize) -> String {
        let tc = self.toolchain;
        let input = self.input;
        let p = &input.packages[main];
        let mut s = format!("path\t{}\n", p.import_path);
        let fmt_mod = |s: &mut String,
                       word: &str,
                       path: &str,
                       version: &str,
                       sum: &str,
                       rep: Option<&(String, String)>| {
            let v = if version.is_empty() {
                "(devel)"
            } else {
                version
            };
            s.push_str(&format!("{word}\t{path}\t{v}"));
            match rep {
                None => s.push_str(&format!("\t{sum}\n")),
                Some((rp, rv)) => {
                    let rv = if rv.is_empty() {
                        "(devel)"
                    } else {
                        rv.as_str()
                    };
                    s.push_str(&format!("\n=>\t{rp}\t{rv}\t\n\n"));
                }
            }
        };
        let main_mod = p.module.map(|m| &input.modules[m]);
        if let Some(m) = main_mod {
            fmt_mod(&mut s, "mod", &m.path, &m.version, "", None);
        }
        // Modules of every package in the binary (other than the main module), sorted by path.
        // Each package is queued once (a flag per package: a large program has tens of
        // thousands of import edges, and this runs for the compile and the link of main).
        // Without a module other than the main one (a workspace of one module, the page's
        // usual case) there is none to find, and the walk (every package's imports, a cache
        // miss or two per package of a large program) is skipped.
        let main_path = main_mod.map(|x| x.path.as_str());
        let other_modules = input
            .modules
            .iter()
            .any(|mi| Some(mi.path.as_str()) != main_path);
        let mut seen = vec![
            false;
            if other_modules {
                input.packages.len()
            } else {
                0
            }
        ];
        let mut q: VecDeque<usize> = VecDeque::new();
        if other_modules {
            seen[main] = true;
            q.push_back(main);
        }
        // (path, version, module) of each package, deduplicated after the walk: a vector and the
        // crate's one sort rather than a map type of its own (its B-tree code is page weight).
        let mut mods: Vec<(&str, &str, usize)> = Vec::new();
        while let Some(i) = q.pop_front() {
            let pk = &input.packages[i];
            if let Some(m) = pk.module {
                let mi = &input.modules[m];
                if Some(mi.path.as_str()) != main_path {
                    mods.push((&mi.path, &mi.version, m));
                }
            }
            for &j in &pk.imports {
                if !std::mem::replace(&mut seen[j], true) {
                    q.push_back(j);
                }
            }
        }
        crate::sort::sort_by(&mut mods, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        // As a map keyed by (path, version) would: one entry per key, holding the last value.
        mods.dedup_by(|later, first| {
            let same = (later.0, later.1) == (first.0, first.1);
            if same {
                first.2 = later.2;
            }
            same
        });
        for &(_, _, m) in &mods {
            let mi = &input.modules[m];
            fmt_mod(
                &mut s,
                "dep",
                &mi.path,
                &mi.version,
                &mi.sum,
                mi.replace.as_ref(),
            );
        }
        // runtime/debug quotes a value with spaces, tabs, newlines or quotes.
        let mut set = |k: &str, v: &str| {
            let q;
            let v = if v.contains([' ', '\t', '\r', '\n', '"', '`']) {
                q = go_quote(v.as_bytes());
                q.as_str()
            } else {
                v
            };
            s.push_str(&format!("build\t{k}={v}\n"))
        };
        let st = &input.settings;
        let st = SETTINGS.then_some(st);
        if let Some(st) = st.filter(|s| s.asmflags.present) {
            set("-asmflags", &st.asmflags.raw);
        }
        set("-buildmode", "exe");
        set("-compiler", "gc");
        if let Some(st) = st {
            if !st.gcflags.raw.is_empty() {
                set("-gcflags", &st.gcflags.raw);
            }
            // Not under -trimpath: linker flags may name system paths (go.dev/issue/52372).
            if !st.ldflags.raw.is_empty() && !st.trimpath {
                set("-ldflags", &st.ldflags.raw);
            }
            if !st.tags.is_empty() {
                set("-tags", &st.tags.join(","));
            }
            if st.trimpath {
                set("-trimpath", "true");
            }
        }
        if !input.default_godebug.is_empty() {
            set("DefaultGODEBUG", &input.default_godebug);
        }
        set("CGO_ENABLED", if tc.cgo_enabled { "1" } else { "0" });
        if tc.cgo_enabled && !st.is_some_and(|s| s.trimpath) {
            for k in ["CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS"] {
                set(k, "");
            }
        }
        set("GOARCH", &tc.goarch);
        set("GOOS", &tc.goos);
        if let Some((k, v)) = &tc.arch_env {
            set(k, v);
        }
        s
    }
}

/// modload.ModInfoData: the build info between cmd/go's start and end markers.
fn modinfo_data(info: &str) -> Vec<u8> {
    const START: [u8; 16] = [
        0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18,
        0xe6,
    ];
    const END: [u8; 16] = [
        0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8,
        0xf2,
    ];
    let mut v = START.to_vec();
    v.extend_from_slice(info.as_bytes());
    v.extend_from_slice(&END);
    v
}

/// Whether `%q` of `b` is `b` itself between quotes: printable ASCII without quotes or
/// backslashes (every import path), which callers can then write without a `String`.
pub fn go_quote_is_plain(b: &[u8]) -> bool {
    // Every byte judged, without an early exit: a loop the compiler can widen (nearly every
    // string asked about is plain).
    b.iter().fold(true, |ok, &c| {
        ok & (0x20..0x7f).contains(&c) & (c != b'"') & (c != b'\\')
    })
}

/// Go's `strconv.Quote` (`%q`) of a byte string.
pub fn go_quote(b: &[u8]) -> String {
    if go_quote_is_plain(b) {
        // Printable ASCII without quotes or backslashes (import paths): quoted as it is.
        let t = std::str::from_utf8(b).expect("ASCII");
        return ["\"", t, "\""].concat();
    }
    let mut s = String::from("\"");
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let (ch, n) = match std::str::from_utf8(&rest[..rest.len().min(4)]) {
            Ok(t) => (t.chars().next(), t.chars().next().map_or(1, char::len_utf8)),
            Err(e) if e.valid_up_to() > 0 => {
                let t = std::str::from_utf8(&rest[..e.valid_up_to()]).expect("valid prefix");
                let c = t.chars().next().expect("non-empty");
                (Some(c), c.len_utf8())
            }
            Err(_) => (None, 1),
        };
        match ch {
            None => s.push_str(&format!("\\x{:02x}", b[i])),
            Some(c) => match c {
                '\x07' => s.push_str("\\a"),
                '\x08' => s.push_str("\\b"),
                '\x0c' => s.push_str("\\f"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                '\t' => s.push_str("\\t"),
                '\x0b' => s.push_str("\\v"),
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    s.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if c.is_control() => {
                    if (c as u32) < 0x10000 {
                        s.push_str(&format!("\\u{:04x}", c as u32))
                    } else {
                        s.push_str(&format!("\\U{:08x}", c as u32))
                    }
                }
                c => s.push(c),
            },
        }
        i += n;
    }
    s.push('"');
    s
}

/// exec.go: the embedcfg JSON (`json.MarshalIndent`, tab-indented, keys sorted), written by
/// hand as Go writes it ([`crate::gojson`]: a file `a&b.txt` is `"a\u0026b.txt"`).
fn embedcfg(p: &PkgNode) -> String {
    let mut files: Vec<(&str, String)> = p
        .embed_files()
        .iter()
        .map(|f| (f.as_str(), Steps::abs(p, f)))
        .collect();
    crate::sort::sort_by(&mut files, |a, b| a.0.cmp(b.0));
    files.dedup_by(|later, first| later.0 == first.0);
    let mut out = String::from("{\n\t\"Patterns\": ");
    gojson::push_object(&mut out, 1, p.embed_patterns(), |o, d, v| {
        gojson::push_strings(o, d, v)
    });
    out.push_str(",\n\t\"Files\": ");
    gojson::push_object(&mut out, 1, &files, |o, _, v| gojson::push_string(o, v));
    out.push_str("\n}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(path: &str, name: &str, imports: Vec<usize>) -> PkgNode {
        PkgNode {
            import_path: path.into(),
            name: name.into(),
            dir: if path == "unsafe" || path == "runtime" {
                format!("/usr/lib/go-1.23/src/{path}")
            } else {
                format!("/m/{path}")
            },
            standard: path == "unsafe" || path == "runtime",
            imports,
            go_files: vec!["x.go".into()],
            module: if path == "unsafe" || path == "runtime" {
                None
            } else {
                Some(0)
            },
            ..Default::default()
        }
    }

    fn input(packages: Vec<PkgNode>, roots: Vec<usize>, mode: BuildMode) -> PlanInput {
        PlanInput {
            packages,
            roots,
            mode,
            cwd: "/m".into(),
            modules: vec![ModuleInfo {
                path: "m".into(),
                go_version: "1.21".into(),
                main: true,
                ..Default::default()
            }],
            default_godebug: String::new(),
            settings: Default::default(),
        }
    }

    fn shape(p: &Plan) -> Vec<String> {
        p.actions()
            .map(|(a, x)| {
                format!(
                    "{} {} {} {:?} {} p{}",
                    x.id,
                    x.mode,
                    p.package_path(a),
                    x.deps.iter().map(|&d| p.action(d).id).collect::<Vec<_>>(),
                    x.objdir.map(WorkDir::name).unwrap_or_default(),
                    x.priority
                )
            })
            .collect()
    }

    /// `go build m`: 0 m (main) imports 1 m/lib; lib imports unsafe(2); runtime(3) imports unsafe.
    fn single_main_plan() -> Plan {
        let pk = vec![
            pkg("m", "main", vec![1]),
            pkg("m/lib", "lib", vec![2]),
            pkg("unsafe", "unsafe", vec![]),
            pkg("runtime", "runtime", vec![2]),
        ];
        plan(input(pk, vec![0], BuildMode::Build), &Toolchain::default()).unwrap()
    }

    #[test]
    fn plan_single_main_is_rooted_at_link_install() {
        let p = single_main_plan();
        assert_eq!(
            shape(&p),
            [
                "0 link-install m [1] b001 p6",
                "1 link m [2, 3, 4] b001 p5",
                "2 build m [3, 4, 5] b001 p4",
                "3 build m/lib [6] b002 p1",
                "4 build runtime [6] b004 p2",
                "5 nop  [3, 4]  p3",
                "6 built-in package unsafe [] b003 p0",
            ]
        );
        let x = p.action(p.root());
        assert_eq!(x.target.as_deref(), Some("m"));
        assert_eq!(
            p.action(p.build_action("unsafe").unwrap()).objdir,
            Some(WorkDir(3))
        );
        assert_eq!(
            p.action(p.build_action("runtime").unwrap()).objdir,
            Some(WorkDir(4))
        );
    }

    #[test]
    fn dense_package_tables_agree_with_the_packages() {
        let p = single_main_plan();
        for (a, x) in p.actions() {
            assert_eq!(p.package_index(a), x.package, "{a:?}");
            let path = p.package(a).map_or("", |k| k.import_path.as_str());
            assert_eq!(p.package_path(a), path);
            if let Some(k) = x.package {
                assert_eq!(p.import_path(k), path);
                assert_eq!(p.is_main(k), p.input().packages[k].name == "main");
            }
        }
        // Actions without a package (the nop) have none.
        assert!(p.actions().any(|(a, _)| p.package_index(a).is_none()));
        for (k, pk) in p.input().packages.iter().enumerate() {
            let f = p.facts(k);
            assert_eq!(f.main(), pk.name == "main", "{k}");
            assert_eq!(f.standard(), pk.standard, "{k}");
            assert_eq!(f.module(), pk.module, "{k}");
            assert_eq!(f.builtin(), pk.import_path == "unsafe", "{k}");
            assert!(!f.cgo() && !f.asm(), "{k}");
            assert_eq!(p.dir(k), pk.dir, "{k}");
            assert_eq!(p.is_linked(k), k == 0, "{k}");
        }
    }

    #[test]
    fn cgo_and_asm_facts() {
        let mut pk = vec![
            pkg("m", "main", vec![1]),
            pkg("m/lib", "lib", vec![2]),
            pkg("unsafe", "unsafe", vec![]),
            pkg("runtime", "runtime", vec![2]),
            pkg("runtime/cgo", "cgo", vec![]),
            pkg("syscall", "syscall", vec![]),
        ];
        pk[1].more_mut().cgo_files = vec!["c.go".into()];
        pk[1].more_mut().s_files = vec!["a.s".into()];
        let tc = Toolchain {
            cgo_enabled: true,
            ..Toolchain::default()
        };
        let p = plan(input(pk, vec![0], BuildMode::Build), &tc).unwrap();
        assert!(p.facts(1).cgo() && p.facts(1).asm());
        assert!(!p.facts(0).cgo() && !p.facts(0).asm());
        // The implicit imports of a cgo package follow its own, found by path.
        let lib = p.build_action("m/lib").unwrap();
        let deps: Vec<&str> = p
            .action(lib)
            .deps
            .iter()
            .map(|&d| p.package_path(d))
            .collect();
        assert_eq!(deps, ["unsafe", "runtime/cgo", "syscall"]);
    }

    #[test]
    fn a_missing_implicit_import_is_reported() {
        let pk = vec![pkg("m", "main", vec![])];
        assert_eq!(
            plan(input(pk, vec![0], BuildMode::Build), &Toolchain::default()).unwrap_err(),
            [PlanError::MissingImplicit {
                package: "m".into(),
                import: "runtime".into(),
            }]
        );
    }

    #[test]
    fn plan_library_gets_go_build_root_and_no_link() {
        let pk = vec![
            pkg("m/lib", "lib", vec![1]),
            pkg("unsafe", "unsafe", vec![]),
        ];
        let p = plan(input(pk, vec![0], BuildMode::Build), &Toolchain::default()).unwrap();
        assert_eq!(
            shape(&p),
            [
                "0 go build  [1]  p2",
                "1 build m/lib [2] b001 p1",
                "2 built-in package unsafe [] b002 p0"
            ]
        );
    }

    #[test]
    fn plan_reports_missing_runtime_and_cycles() {
        let pk = vec![
            pkg("m", "main", vec![1]),
            pkg("m/a", "a", vec![2]),
            pkg("m/b", "b", vec![1]),
        ];
        let err = plan(
            input(pk.clone(), vec![0], BuildMode::Build),
            &Toolchain::default(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            [PlanError::MissingImplicit {
                package: "m".into(),
                import: "runtime".into()
            }]
        );
        let mut pk = pk;
        pk[0].name = "a".into();
        let err = plan(input(pk, vec![0], BuildMode::Build), &Toolchain::default()).unwrap_err();
        assert_eq!(
            err,
            [PlanError::ImportCycle {
                cycle: vec!["m/a".into(), "m/b".into(), "m/a".into()]
            }]
        );
    }

    #[test]
    fn plan_exec_names_and_quoting() {
        assert_eq!(default_exec_name("example.com/cmd/v2"), "cmd");
        assert_eq!(default_exec_name("example.com/v1"), "v1");
        assert_eq!(default_exec_name("hello"), "hello");
        assert_eq!(lang("1.23.5"), "1.23");
        assert!(version_le("1.9", "1.23.5") && !version_le("1.24", "1.23.5"));
        assert_eq!(go_quote(b"a\tb\x00\xe6\"\\"), "\"a\\tb\\x00\\xe6\\\"\\\\\"");
    }
}
