//! cgo as cmd/go runs it, as data: the `#cgo` lines of a package (go/build's `saveCgo`) and
//! the commands of a package's cgo steps with their argv (cmd/go's `exec.go`: `build`'s cgo
//! branch, `cgo`, `dynimport`, `ccompile`, `gccld`, `compilerCmd`, `gccSupportsFlag`).
//!
//! One description serves two readers: the transcript prints these commands under `-n` / `-x`
//! ([`crate::transcript`]), and the helper's real toolchain runs them (with real paths, its own
//! allow-list and gcc found on disk). So what Buildlab shows for a cgo package is what it runs,
//! and both are what go does.
//!
//! # The commands, in go's order
//!
//! 1. `cgo -objdir OBJDIR -importpath PATH [-import_runtime_cgo=false] [-import_syscall=false]
//!    "-ldflags=…" -- CPPFLAGS -I OBJDIR CFLAGS FILES…` in the package directory, with
//!    `TERM=dumb CGO_LDFLAGS=` in its environment. LDFLAGS go to cgo quoted one by one
//!    (`strconv.Quote`), CFLAGS and LDFLAGS start with go's defaults (`-O2 -g`).
//! 2. gcc on `_cgo_export.c`, each `X.cgo2.c` (in OBJDIR) and then the package's own C and
//!    assembly files (`gccfiles`: in runtime/cgo only the `gcc_*` assembly), each into the next
//!    `_xNNN.o`, run in the file's directory.
//! 3. gcc on `_cgo_main.c`, gcc linking `_cgo_main.o`, the objects and every `.syso` of the
//!    package and its dependencies into `_cgo_.o` (run in go's working directory), then
//!    `cgo -dynpackage NAME -dynimport _cgo_.o -dynout _cgo_import.go [-dynlinker]`.
//!
//! Every gcc command starts with `compilerCmd`: `gcc -I DIR -fPIC -m64 -pthread`, then the flags
//! gcc was found to accept (`-fno-caret-diagnostics`, `-Qunused-arguments`,
//! `-Wl,--no-gc-sections`), `-fmessage-length=0`, the work directory's prefix map and
//! `-gno-record-gcc-switches`; a compile adds GOROOT's prefix map for standard packages and
//! `-frandom-seed=ACTIONID`. Which flags gcc accepts is asked by running gcc (`gccSupportsFlag`):
//! [`CcSupport`] holds the answers. Under `-n` go runs nothing: it *prints* each probe
//! (`gcc FLAG -O2 -g -c -x c - -o /dev/null || true`, in `$WORK`) and takes every answer as no,
//! so `-n` lists probes ([`CmdKind::Probe`]) and none of the probed flags. Under `-x` go prints a
//! probe only when its answer is not in the build cache yet (the first build with a new gcc); the
//! transcript assumes the answers are cached.
//!
//! # Not modelled
//!
//! `pkg-config`, C++ / Objective-C / Fortran / SWIG files (core does not list them), `CC` and
//! `CGO_CFLAGS`-style environment variables (go's defaults are used), `-trimpath`, the
//! c-archive / c-shared build modes and gccgo. No IO.

use crate::constraint::{parse_expr, parse_plus_build_expr, BuildContext};
use crate::plan::{go_quote, ActionIx, Plan};
use crate::scan::{Lexer, Tok};

/// go's `DefaultCFlags`: what CGO_CFLAGS and CGO_LDFLAGS are when unset.
pub const DEFAULT_FLAGS: [&str; 2] = ["-O2", "-g"];

/// The package's flags from its `#cgo` lines, in go/build's order (file by file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CgoFlags {
    pub cppflags: Vec<String>,
    pub cflags: Vec<String>,
    pub ldflags: Vec<String>,
}

impl CgoFlags {
    /// No flags (a `const` [`Default`]).
    pub const EMPTY: CgoFlags = CgoFlags {
        cppflags: Vec::new(),
        cflags: Vec::new(),
        ldflags: Vec::new(),
    };
}

/// gcc's answers to go's `gccSupportsFlag` probes, in the order go asks them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CcSupport {
    pub no_caret_diagnostics: bool,
    pub qunused_arguments: bool,
    pub no_gc_sections: bool,
    pub debug_prefix_map: bool,
    pub file_prefix_map: bool,
    pub gno_record_gcc_switches: bool,
    pub random_seed: bool,
}

impl CcSupport {
    /// What GNU gcc (8 and later) answers: everything but clang's two flags.
    pub const GCC: CcSupport = CcSupport {
        no_caret_diagnostics: false,
        qunused_arguments: false,
        no_gc_sections: true,
        debug_prefix_map: true,
        file_prefix_map: true,
        gno_record_gcc_switches: true,
        random_seed: true,
    };

    /// The probe flags, each with where its answer is kept (the helper asks gcc for each).
    pub const PROBES: [&'static str; 7] = [
        "-fno-caret-diagnostics",
        "-Qunused-arguments",
        "-Wl,--no-gc-sections",
        "-fdebug-prefix-map=a=b",
        "-ffile-prefix-map=a=b",
        "-gno-record-gcc-switches",
        "-frandom-seed=1",
    ];

    /// The answer for one of [`CcSupport::PROBES`] (false for any other flag).
    pub fn get(&self, flag: &str) -> bool {
        match flag {
            "-fno-caret-diagnostics" => self.no_caret_diagnostics,
            "-Qunused-arguments" => self.qunused_arguments,
            "-Wl,--no-gc-sections" => self.no_gc_sections,
            "-fdebug-prefix-map=a=b" => self.debug_prefix_map,
            "-ffile-prefix-map=a=b" => self.file_prefix_map,
            "-gno-record-gcc-switches" => self.gno_record_gcc_switches,
            "-frandom-seed=1" => self.random_seed,
            _ => false,
        }
    }

    /// Asks `ask` about every probe flag (the helper runs gcc for each).
    pub fn probe(mut ask: impl FnMut(&str) -> bool) -> CcSupport {
        let mut s = CcSupport::default();
        for flag in Self::PROBES {
            let yes = ask(flag);
            match flag {
                "-fno-caret-diagnostics" => s.no_caret_diagnostics = yes,
                "-Qunused-arguments" => s.qunused_arguments = yes,
                "-Wl,--no-gc-sections" => s.no_gc_sections = yes,
                "-fdebug-prefix-map=a=b" => s.debug_prefix_map = yes,
                "-ffile-prefix-map=a=b" => s.file_prefix_map = yes,
                "-gno-record-gcc-switches" => s.gno_record_gcc_switches = yes,
                _ => s.random_seed = yes,
            }
        }
        s
    }
}

/// What runs a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// `$GOTOOLDIR/cgo`.
    Cgo,
    /// The C compiler (`$CC`, `gcc`).
    Cc,
}

/// What a command is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdKind {
    /// A `gccSupportsFlag` probe, shown only under `-n` (`… || true`); never run by the helper,
    /// which asks gcc itself.
    Probe,
    /// The cgo tool over the cgo files.
    Cgo,
    /// gcc compiling one C or assembly file into an object.
    Compile,
    /// gcc linking `_cgo_.o` (its failure is not an error: see [`CgoSteps::dynimport_fail`]).
    Link,
    /// `cgo -dynimport`, which writes `_cgo_import.go`.
    Dynimport,
}

/// One command of the cgo steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgoCmd {
    pub kind: CmdKind,
    pub program: Program,
    /// The directory it runs in (shown as `cd DIR`).
    pub dir: String,
    /// Environment added to the command, shown before it (`TERM='dumb'`).
    pub env: Vec<(String, String)>,
    /// The arguments after the program.
    pub args: Vec<String>,
}

/// A package's cgo steps and what they leave for the rest of the build action.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CgoSteps {
    pub cmds: Vec<CgoCmd>,
    /// Compiled after the package's own Go files: `_cgo_gotypes.go`, each `X.cgo1.go`,
    /// `_cgo_import.go`.
    pub go_files: Vec<String>,
    /// Packed after the assembly objects: `_x001.o`….
    pub objects: Vec<String>,
    /// What replaces `_cgo_import.go` (in `go_files`) by an object when the `_cgo_.o` link
    /// fails: go then writes an empty `dynimportfail`, which makes the linker link externally.
    pub dynimport_fail: String,
    /// Every file the steps leave in the work directory, in the order they appear.
    pub outputs: Vec<String>,
}

/// Everything the cgo steps of one package depend on.
#[derive(Clone, Debug)]
pub struct CgoInput<'a> {
    pub import_path: &'a str,
    /// The package clause name (`cgo -dynpackage`).
    pub name: &'a str,
    /// The package directory.
    pub dir: &'a str,
    pub standard: bool,
    /// The cgo files, relative to `dir`.
    pub cgo_files: &'a [String],
    /// The C files and the assembly files, relative to `dir` (see [`gcc_files`]).
    pub gcc_files: Vec<String>,
    /// The work directory of the action, with its trailing slash (`$WORK/b001/`).
    pub objdir: &'a str,
    /// go's working directory (the `_cgo_.o` link and `cgo -dynimport` run there).
    pub cwd: &'a str,
    /// GOROOT (standard packages' C file names are mapped to `/_/GOROOT`).
    pub goroot: &'a str,
    pub goos: &'a str,
    pub goarch: &'a str,
    /// The cgo tool's path, as shown and run.
    pub cgo_tool: String,
    /// The C compiler as shown (`gcc`).
    pub cc: &'a str,
    pub flags: &'a CgoFlags,
    /// `-frandom-seed`: the action ID part of the build ID.
    pub seed: &'a str,
    /// `.syso` files of the package and its dependencies, absolute, sorted, unique.
    pub syso: Vec<String>,
    /// gcc's answers; `None` under `-n` (every probe shown, every answer no).
    pub support: Option<CcSupport>,
    /// cgo's `-trimpath` (go's overlay rule: `actual=>shown`, `;`-separated).
    pub trimpath: Option<String>,
    /// More `-ffile-prefix-map=FROM=TO` maps for each compile after GOROOT's (the helper's
    /// planned source root).
    pub prefix_maps: Vec<(String, String)>,
}

/// exec.go's `gccfiles`: the C files, then the assembly files — all of them in a package using
/// cgo, only the `gcc_*` ones in runtime/cgo (whose other assembly `asm` assembles). Whether a
/// package hands Go assembly to gcc (go's error) is for the caller to check: it reads files.
pub fn gcc_files(
    import_path: &str,
    standard: bool,
    c_files: &[String],
    s_files: &[String],
) -> Vec<String> {
    let runtime_cgo = standard && import_path == "runtime/cgo";
    c_files
        .iter()
        .chain(
            s_files
                .iter()
                .filter(|f| !runtime_cgo || f.starts_with("gcc_")),
        )
        .cloned()
        .collect()
}

/// go's error for a package using cgo that has Go assembly (exec.go's `build`).
pub fn go_assembly_error(file: &str) -> String {
    format!("package using cgo has Go assembly file {file}")
}

/// go's error for a `#cgo` flag its allow-list refuses (security.go's `checkFlags`).
pub fn invalid_flag(kind: &str, flag: &str) -> String {
    format!("invalid flag in #cgo {kind}: {flag}")
}

/// Whether a failed cgo step's output is one of go's own errors (which go prints as
/// `pkg: message`) rather than a tool's output (printed under `# pkg`).
pub fn is_go_error(output: &str) -> bool {
    output.starts_with("invalid flag in #cgo ")
        || output.starts_with("package using cgo has Go assembly file ")
}

/// Whether this build of core has cgo's commands and reads the `#cgo` lines of the workspace's
/// own packages (its `cgo-commands` feature). Without it (the page's first-load module) such a
/// package stops the load with [`UNSUPPORTED`], and the page builds it on the full module.
pub const COMMANDS: bool = cfg!(feature = "cgo-commands");

/// The load error of a workspace package using cgo without [`COMMANDS`].
pub const UNSUPPORTED: &str =
    "buildlab: this build of Buildlab does not read the #cgo lines of a package using cgo";

/// Whether build action `a` of `plan` has cgo steps: it builds a package using cgo, with cgo
/// enabled (what [`for_action`] gives commands for).
pub fn has_steps(plan: &Plan, a: ActionIx) -> bool {
    plan.toolchain().cgo_enabled
        && plan.action(a).objdir.is_some()
        && plan.package(a).is_some_and(|p| !p.cgo_files().is_empty())
}

/// Whether any action of `plan` has cgo steps. The page's first-load module is built without
/// the `cgo-commands` feature (the command rendering below, ≈ 4 KB of gzipped wasm): it hands
/// a build whose transcript (`-n`, `-x`) or `-work` tree would show cgo's commands to the full
/// module, which has them.
pub fn plan_has_steps(plan: &Plan) -> bool {
    plan.actions().any(|(a, _)| has_steps(plan, a))
}

/// The cgo steps of build action `a` of `plan`, with the build ID `build_id` (`A/C`; its first
/// part seeds gcc) and gcc's answers `support` (`None` under `-n`). `None` when the action
/// builds no package using cgo.
#[cfg(feature = "cgo-commands")]
pub fn for_action(
    plan: &Plan,
    a: ActionIx,
    build_id: &str,
    support: Option<CcSupport>,
) -> Option<CgoSteps> {
    if !has_steps(plan, a) {
        return None;
    }
    let p = plan.package(a)?;
    let tc = plan.toolchain();
    let objdir = plan.action(a).objdir?.path();
    let input = CgoInput {
        import_path: &p.import_path,
        name: &p.name,
        dir: &p.dir,
        standard: p.standard,
        cgo_files: p.cgo_files(),
        gcc_files: gcc_files(&p.import_path, p.standard, p.c_files(), p.s_files()),
        objdir: &objdir,
        cwd: &plan.input().cwd,
        goroot: &tc.goroot,
        goos: &tc.goos,
        goarch: &tc.goarch,
        cgo_tool: cgo_tool(tc),
        cc: &tc.cc,
        flags: p.cgo_flags(),
        seed: build_id.split('/').next().unwrap_or_default(),
        syso: syso_files(plan, a),
        support,
        trimpath: None,
        prefix_maps: trimpath_map(plan, p).into_iter().collect(),
    };
    Some(steps(&input))
}

/// exec.go `ccompile`'s map under `-trimpath` for a package outside GOROOT (whose map is always
/// there): its module's directory shown as `/_/PATH@VERSION`, or the directory of the files named
/// on the command line as `/_/command-line-arguments`.
#[cfg(feature = "cgo-commands")]
fn trimpath_map(plan: &Plan, p: &crate::plan::PkgNode) -> Option<(String, String)> {
    if !plan.input().settings.trimpath || p.standard {
        return None;
    }
    Some(match p.module.map(|m| &plan.input().modules[m]) {
        Some(m) => {
            // The module's directory: the package's, less its path below the module's.
            let below = p.import_path.strip_prefix(m.path.as_str()).unwrap_or("");
            let dir = p.dir.strip_suffix(below).unwrap_or(&p.dir);
            let at = match m.version.is_empty() {
                true => String::new(),
                false => format!("@{}", m.version),
            };
            (dir.to_string(), format!("/_/{}{at}", m.path))
        }
        None => (p.dir.clone(), format!("/_/{}", p.import_path)),
    })
}

/// Without `cgo-commands` (the page's first-load module) no cgo command is rendered: the page
/// sends every build that would show one to the full module ([`plan_has_steps`]), so an action
/// with cgo steps reaching this is a bug, never a transcript silently missing its commands.
#[cfg(not(feature = "cgo-commands"))]
pub fn for_action(
    plan: &Plan,
    a: ActionIx,
    _build_id: &str,
    _support: Option<CcSupport>,
) -> Option<CgoSteps> {
    assert!(
        !has_steps(plan, a),
        "cgo's commands are rendered by the full module (buildlab_core without cgo-commands)"
    );
    None
}

/// The cgo tool of the toolchain: `$GOROOT/pkg/tool/GOOS_GOARCH/cgo`.
pub fn cgo_tool(tc: &crate::plan::Toolchain) -> String {
    format!("{}/pkg/tool/{}_{}/cgo", tc.goroot, tc.goos, tc.goarch)
}

/// What an action ID hashes as the C compiler's identity (`CC ID=`): gcc's version line when
/// the caller asked gcc ([`gcc_version_line`]), else a stand-in naming `$CC` (the simulation
/// and the page do not run gcc), so a gcc upgrade changes the IDs of packages using cgo only
/// where gcc was asked.
pub fn cc_id(tc: &crate::plan::Toolchain) -> String {
    if tc.cc_id.is_empty() {
        format!("{} (buildlab stand-in)", tc.cc)
    } else {
        tc.cc_id.clone()
    }
}

/// go's `gccToolID` for a released compiler: in the output of `CC -### -x c -c -` (run with
/// `LC_ALL=C`), the first line with a field `version` followed by one starting with a digit,
/// looking at each line only up to its first field ending in `:` (`Configured with: …` may
/// contain anything). `None` when there is none, or for a development compiler (the line says
/// `experimental`), whose identity go takes from the compiler proper instead.
pub fn gcc_version_line(out: &str) -> Option<&str> {
    let line = out.split('\n').find(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        for (i, f) in fields.iter().enumerate() {
            if f.ends_with(':') {
                return false;
            }
            if *f == "version"
                && fields
                    .get(i + 1)
                    .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()))
            {
                return true;
            }
        }
        false
    })?;
    (!line.contains("experimental")).then_some(line)
}

/// dynimport's `gatherSyso`: the `.syso` files of the action's package and of every package it
/// depends on, absolute, sorted and unique.
pub fn syso_files(plan: &Plan, a: ActionIx) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![a];
    let mut out = std::collections::BTreeSet::new();
    while let Some(a) = stack.pop() {
        if !seen.insert(a) {
            continue;
        }
        if let Some(p) = plan.package(a) {
            out.extend(p.syso_files().iter().map(|f| join(&p.dir, f)));
        }
        stack.extend(plan.action(a).deps.iter().copied());
    }
    out.into_iter().collect()
}

/// `dir/f` (f relative), `f` when absolute.
fn join(dir: &str, f: &str) -> String {
    if f.starts_with('/') {
        f.to_string()
    } else {
        format!("{}/{f}", dir.trim_end_matches('/'))
    }
}

/// filepath.Dir and filepath.Base of an absolute path.
fn split_dir(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (".", path),
    }
}

/// The commands of one package's cgo steps, as go issues them.
pub fn steps(x: &CgoInput) -> CgoSteps {
    let mut b = Steps {
        x,
        out: CgoSteps::default(),
    };
    b.run();
    b.out
}

struct Steps<'a, 'x> {
    x: &'a CgoInput<'x>,
    out: CgoSteps,
}

impl Steps<'_, '_> {
    fn env(&self, ld: bool) -> Vec<(String, String)> {
        let mut e = vec![("TERM".to_string(), "dumb".to_string())];
        if ld {
            e.push(("CGO_LDFLAGS".into(), String::new()));
        }
        e
    }

    fn push(
        &mut self,
        kind: CmdKind,
        program: Program,
        dir: &str,
        env: Vec<(String, String)>,
        args: Vec<String>,
    ) {
        self.out.cmds.push(CgoCmd {
            kind,
            program,
            dir: dir.to_string(),
            env,
            args,
        });
    }

    fn run(&mut self) {
        let x = self.x;
        let objdir = x.objdir;
        // b.CFlags: CPPFLAGS as written; CFLAGS and LDFLAGS after go's defaults.
        let mut cppflags = x.flags.cppflags.clone();
        cppflags.extend(["-I".to_string(), objdir.to_string()]);
        let defaults = DEFAULT_FLAGS.iter().map(|s| s.to_string());
        let cflags: Vec<String> = defaults
            .clone()
            .chain(x.flags.cflags.iter().cloned())
            .collect();
        let mut ldflags: Vec<String> = defaults.chain(x.flags.ldflags.iter().cloned()).collect();

        let mut args = vec![
            "-objdir".to_string(),
            objdir.to_string(),
            "-importpath".into(),
            x.import_path.to_string(),
        ];
        if x.standard && x.import_path == "runtime/cgo" {
            args.push("-import_runtime_cgo=false".into());
        }
        if x.standard
            && matches!(
                x.import_path,
                "runtime/race" | "runtime/msan" | "runtime/cgo" | "runtime/asan"
            )
        {
            args.push("-import_syscall=false".into());
        }
        if let Some(t) = &x.trimpath {
            args.extend(["-trimpath".to_string(), t.clone()]);
        }
        let quoted: Vec<String> = ldflags.iter().map(|f| go_quote(f.as_bytes())).collect();
        args.push(format!("-ldflags={}", quoted.join(" ")));
        args.push("--".into());
        args.extend(cppflags.iter().cloned());
        args.extend(cflags.iter().cloned());
        args.extend(x.cgo_files.iter().map(|f| join(x.dir, f)));
        let env = self.env(true);
        self.push(CmdKind::Cgo, Program::Cgo, x.dir, env, args);

        self.out.go_files.push(format!("{objdir}_cgo_gotypes.go"));
        let mut cfiles = vec![format!("{objdir}_cgo_export.c")];
        for f in x.cgo_files {
            let base = f.strip_suffix(".go").unwrap_or(f);
            self.out.go_files.push(format!("{objdir}{base}.cgo1.go"));
            cfiles.push(format!("{objdir}{base}.cgo2.c"));
        }
        for f in [
            "_cgo_gotypes.go",
            "_cgo_export.c",
            "_cgo_export.h",
            "_cgo_main.c",
        ] {
            self.out.outputs.push(format!("{objdir}{f}"));
        }
        for f in x.cgo_files {
            let base = f.strip_suffix(".go").unwrap_or(f);
            self.out.outputs.push(format!("{objdir}{base}.cgo1.go"));
            self.out.outputs.push(format!("{objdir}{base}.cgo2.c"));
        }

        // gcc: cgo's C files, then the package's own, each into the next _xNNN.o.
        let mut gflags = cppflags;
        gflags.extend(cflags);
        let files: Vec<String> = cfiles
            .into_iter()
            .chain(x.gcc_files.iter().map(|f| join(x.dir, f)))
            .collect();
        for (i, file) in files.iter().enumerate() {
            let ofile = format!("{objdir}_x{:03}.o", i + 1);
            self.ccompile(&ofile, &gflags, file);
            self.out.objects.push(ofile.clone());
            self.out.outputs.push(ofile);
        }

        // dynimport: _cgo_main.o linked with the objects and the .syso files into _cgo_.o.
        let main_o = format!("{objdir}_cgo_main.o");
        self.ccompile(&main_o, &gflags, &format!("{objdir}_cgo_main.c"));
        self.out.outputs.push(main_o.clone());
        if (x.goarch == "arm" && x.goos == "linux") || x.goos == "android" {
            if !ldflags.iter().any(|f| f == "-no-pie") {
                ldflags.push("-pie".into());
            }
            if ldflags.iter().any(|f| f == "-pie") && ldflags.iter().any(|f| f == "-static") {
                ldflags.retain(|f| f != "-static");
            }
        }
        let dynobj = format!("{objdir}_cgo_.o");
        let mut link = self.compiler_cmd().split_off(1);
        link.extend(["-o".to_string(), dynobj.clone(), main_o]);
        link.extend(self.out.objects.iter().cloned());
        link.extend(x.syso.iter().cloned());
        link.extend(ldflags);
        let env = self.env(false);
        self.push(CmdKind::Link, Program::Cc, x.cwd, env, link);
        self.out.outputs.push(dynobj.clone());

        let import_go = format!("{objdir}_cgo_import.go");
        let mut dynargs = vec![
            "-dynpackage".to_string(),
            x.name.to_string(),
            "-dynimport".into(),
            dynobj,
            "-dynout".into(),
            import_go.clone(),
        ];
        if x.standard && x.import_path == "runtime/cgo" {
            dynargs.push("-dynlinker".into());
        }
        let env = self.env(false);
        self.push(CmdKind::Dynimport, Program::Cgo, x.cwd, env, dynargs);
        self.out.go_files.push(import_go.clone());
        self.out.outputs.push(import_go);
        self.out.dynimport_fail = format!("{objdir}dynimportfail");
    }

    /// gccSupportsFlag: the answer, and under `-n` the probe shown in `$WORK` (the work dir is
    /// the objdir's parent).
    fn supports(&mut self, compiler: &[String], flag: &str) -> bool {
        match self.x.support {
            Some(s) => s.get(flag),
            None => {
                let mut args: Vec<String> = compiler[1..].to_vec();
                args.push(flag.to_string());
                args.extend(DEFAULT_FLAGS.iter().map(|s| s.to_string()));
                if !flag.starts_with("-Wl,") {
                    args.push("-c".into());
                }
                args.extend(["-x", "c", "-", "-o", "/dev/null"].map(String::from));
                let work = split_dir(self.x.objdir.trim_end_matches('/')).0.to_string();
                self.push(CmdKind::Probe, Program::Cc, &work, Vec::new(), args);
                false
            }
        }
    }

    /// compilerCmd(CC, p.Dir, objdir), program first.
    fn compiler_cmd(&mut self) -> Vec<String> {
        let x = self.x;
        let cc = vec![x.cc.to_string()];
        let mut a = vec![x.cc.to_string(), "-I".into(), x.dir.to_string()];
        if x.goos != "windows" {
            a.push("-fPIC".into());
        }
        a.extend(gcc_arch_args(x.goarch).iter().map(|s| s.to_string()));
        a.push(
            if x.goos == "windows" {
                "-mthreads"
            } else {
                "-pthread"
            }
            .into(),
        );
        for flag in [
            "-fno-caret-diagnostics",
            "-Qunused-arguments",
            "-Wl,--no-gc-sections",
        ] {
            if self.supports(&cc, flag) {
                a.push(flag.into());
            }
        }
        a.push("-fmessage-length=0".into());
        if self.supports(&cc, "-fdebug-prefix-map=a=b") {
            let wd = x.objdir.trim_end_matches('/');
            let kind = if self.supports(&cc, "-ffile-prefix-map=a=b") {
                "file"
            } else {
                "debug"
            };
            a.push(format!("-f{kind}-prefix-map={wd}=/tmp/go-build"));
        }
        if self.supports(&cc, "-gno-record-gcc-switches") {
            a.push("-gno-record-gcc-switches".into());
        }
        if matches!(x.goos, "darwin" | "ios") {
            a.push("-fno-common".into());
        }
        a
    }

    /// ccompile: gcc on one file, in the file's directory.
    fn ccompile(&mut self, ofile: &str, flags: &[String], file: &str) {
        let x = self.x;
        let compiler = self.compiler_cmd();
        let mut flags = flags.to_vec();
        if self.supports(&compiler, "-fdebug-prefix-map=a=b") {
            let kind = if self.supports(&compiler, "-ffile-prefix-map=a=b") {
                "file"
            } else {
                "debug"
            };
            if x.standard {
                flags.push(format!("-f{kind}-prefix-map={}=/_/GOROOT", x.goroot));
            }
            for (from, to) in &x.prefix_maps {
                flags.push(format!("-f{kind}-prefix-map={from}={to}"));
            }
        }
        if self.supports(&compiler, "-frandom-seed=1") {
            flags.push(format!("-frandom-seed={}", x.seed));
        }
        let (dir, base) = split_dir(file);
        let mut args = compiler[1..].to_vec();
        args.extend(flags);
        args.extend([
            "-o".to_string(),
            ofile.to_string(),
            "-c".into(),
            base.to_string(),
        ]);
        let env = self.env(false);
        self.push(CmdKind::Compile, Program::Cc, dir, env, args);
    }
}

/// gccArchArgs: the flags that select the target's ABI.
fn gcc_arch_args(goarch: &str) -> &'static [&'static str] {
    match goarch {
        "386" => &["-m32"],
        "amd64" => &["-m64"],
        "arm" => &["-marm"],
        "s390x" => &["-m64", "-march=z196"],
        "ppc64" | "ppc64le" => &["-m64"],
        "riscv64" | "loong64" => &["-mabi=lp64d"],
        _ => &[],
    }
}

// ---------------------------------------------------------------------------------------------
// `#cgo` lines (go/build's saveCgo)
// ---------------------------------------------------------------------------------------------

/// go/build's `saveCgo` over a package's cgo files, in order: `dir` is the package directory
/// as go names it (absolute: errors name `dir/file`, `${SRCDIR}` becomes `dir`), `read` gives a
/// file's bytes (a file it cannot give has no `#cgo` lines). The error is go's text, which go
/// reports while loading the package.
pub fn package_flags<'d>(
    dir: &str,
    files: &[String],
    ctx: &BuildContext,
    mut read: impl FnMut(&str) -> Option<&'d [u8]>,
) -> Result<CgoFlags, String> {
    let mut flags = CgoFlags::default();
    for f in files {
        if let Some(src) = read(f) {
            read_cgo_lines(src, &join(dir, f), dir, ctx, &mut flags)?;
        }
    }
    Ok(flags)
}

/// Adds the flags of the `#cgo` lines in `src`'s `import "C"` preambles to `flags`, as go/build
/// does: conditions matched against `ctx`, arguments split as go splits them, `${SRCDIR}`
/// expanded, relative `-I` / `-L` made absolute. `name` is the file as go names it in errors.
pub fn read_cgo_lines(
    src: &[u8],
    name: &str,
    dir: &str,
    ctx: &BuildContext,
    flags: &mut CgoFlags,
) -> Result<(), String> {
    for doc in preambles(src) {
        for orig in doc.lines() {
            let line = orig.trim();
            if line.len() < 5
                || !line.starts_with("#cgo")
                || !matches!(line.as_bytes()[4], b' ' | b'\t')
            {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() == 3 && matches!(fields[1], "nocallback" | "noescape") {
                continue;
            }
            let invalid = || format!("{name}: invalid #cgo line: {orig}");
            let (head, argstr) = line[4..].trim().split_once(':').ok_or_else(invalid)?;
            let f: Vec<&str> = head.split_whitespace().collect();
            let (verb, cond) = f.split_last().ok_or_else(invalid)?;
            if !cond.is_empty() && !cond.iter().any(|c| match_auto(c, ctx)) {
                continue;
            }
            let mut args = split_quoted(argstr).ok_or_else(invalid)?;
            for a in args.iter_mut() {
                *a = expand_src_dir(a, dir)
                    .ok_or_else(|| format!("{name}: malformed #cgo argument: {a}"))?;
            }
            if matches!(
                *verb,
                "CFLAGS" | "CPPFLAGS" | "CXXFLAGS" | "FFLAGS" | "LDFLAGS"
            ) {
                make_paths_absolute(&mut args, dir);
            }
            match *verb {
                "CFLAGS" => flags.cflags.extend(args),
                "CPPFLAGS" => flags.cppflags.extend(args),
                "LDFLAGS" => flags.ldflags.extend(args),
                // Only for files core does not list (C++, Fortran): nothing uses them.
                "CXXFLAGS" | "FFLAGS" => {}
                "pkg-config" => {
                    return Err(format!(
                        "{name}: #cgo pkg-config: not supported by Buildlab"
                    ))
                }
                _ => return Err(format!("{name}: invalid #cgo verb: {orig}")),
            }
        }
    }
    Ok(())
}

/// go/build's `matchAuto`: `//go:build` syntax when the text has an operator, else `// +build`.
fn match_auto(text: &str, ctx: &BuildContext) -> bool {
    let expr = if text.contains(['&', '|', '(', ')']) {
        parse_expr(text).ok()
    } else {
        parse_plus_build_expr(text).ok()
    };
    expr.is_some_and(|e| e.eval(&mut |tag| ctx.matches(tag)))
}

/// The text of each comment that is the doc comment of an `import "C"` (go/parser's lead
/// comment of the spec, or of a one-spec import declaration), comment markers removed.
fn preambles(src: &[u8]) -> Vec<String> {
    let mut errs = Vec::new();
    let mut lx = Lexer::new(src, &mut errs);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            src.iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line_of = |off: usize| starts.partition_point(|&s| s <= off);
    // The current comment group: its comments' texts and the line it ends on.
    let mut group: Vec<String> = Vec::new();
    let mut group_end = 0usize;
    // The lead comment of the token after the group, once that token is seen.
    let mut docs = Vec::new();
    let mut decl_doc: Option<String> = None;
    let mut in_import = false;
    let mut in_group = false;
    let mut specs_in_group = 0usize;
    let mut group_has_c: Option<Option<String>> = None;
    let mut steps = 0usize;
    loop {
        steps += 1;
        if steps > 1_000_000 {
            break;
        }
        let t = lx.scan(&mut errs);
        if t.tok == Tok::Comment {
            let start = line_of(t.offset);
            if group.is_empty() || start > group_end + 1 {
                group.clear();
            }
            group_end = start + t.lit.matches('\n').count();
            group.push(t.lit);
            continue;
        }
        let line = line_of(t.offset);
        let lead = (!group.is_empty() && group_end + 1 == line).then(|| comment_text(&group));
        group.clear();
        match t.tok {
            Tok::Eof => break,
            Tok::Keyword("import") => {
                in_import = true;
                decl_doc = lead;
            }
            Tok::Op("(") if in_import => {
                in_group = true;
                specs_in_group = 0;
                group_has_c = None;
            }
            Tok::Op(")") if in_group => {
                if let Some(doc) = group_has_c.take() {
                    match doc {
                        Some(d) => docs.push(d),
                        None if specs_in_group == 1 => docs.extend(decl_doc.take()),
                        None => {}
                    }
                }
                in_group = false;
                in_import = false;
            }
            Tok::String if in_group => {
                specs_in_group += 1;
                if t.lit == "\"C\"" || t.lit == "`C`" {
                    group_has_c = Some(lead);
                }
            }
            Tok::Ident if in_group => {
                // An import name (`x "path"`): the spec's doc is this token's lead comment.
                specs_in_group += 1;
                let next = lx.scan(&mut errs);
                if next.tok == Tok::String && (next.lit == "\"C\"" || next.lit == "`C`") {
                    group_has_c = Some(lead);
                }
            }
            Tok::String if in_import => {
                if t.lit == "\"C\"" || t.lit == "`C`" {
                    docs.extend(decl_doc.take());
                }
                in_import = false;
            }
            Tok::Op(";") if in_group => {}
            Tok::Op(";") => {}
            Tok::Keyword(k) if k != "import" => {
                if !in_group {
                    in_import = false;
                }
                // Imports end at the first other declaration.
                if matches!(k, "func" | "var" | "const" | "type") {
                    break;
                }
            }
            _ if !in_group => in_import = false,
            _ => {}
        }
    }
    docs
}

/// go/ast's `CommentGroup.Text` for the `#cgo` lines' purpose: markers removed, trailing blanks
/// cut, one line per line.
fn comment_text(group: &[String]) -> String {
    let mut out = String::new();
    for c in group {
        // `//x` loses its marker and one space after it; `/*…*/` only its markers.
        let body = if let Some(b) = c.strip_prefix("//") {
            b.strip_prefix(' ').unwrap_or(b)
        } else {
            c.strip_prefix("/*")
                .and_then(|b| b.strip_suffix("*/"))
                .unwrap_or(c)
        };
        for line in body.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// go/build's `splitQuoted`: fields split at spaces, `'…'` and `"…"` quoting, `\` escapes.
/// `None` for an unterminated quote or a trailing backslash.
fn split_quoted(s: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut arg = String::new();
    let (mut escaped, mut quoted, mut quote) = (false, false, '\0');
    for r in s.chars() {
        if escaped {
            escaped = false;
        } else if r == '\\' {
            escaped = true;
            continue;
        } else if quote != '\0' {
            if r == quote {
                quote = '\0';
                continue;
            }
        } else if r == '"' || r == '\'' {
            quoted = true;
            quote = r;
            continue;
        } else if r.is_whitespace() {
            if quoted || !arg.is_empty() {
                args.push(std::mem::take(&mut arg));
                quoted = false;
            }
            continue;
        }
        arg.push(r);
    }
    if quoted || !arg.is_empty() {
        args.push(arg);
    }
    (quote == '\0' && !escaped).then_some(args)
}

/// go/build's `safeCgoName`: the characters a `#cgo` argument may have.
fn safe_cgo_name(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    const SAFE: &str =
        "+-.,/0123456789=ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz:$@%! ~^";
    if s.starts_with('-') && s.len() == 1 {
        return false;
    }
    s.chars().all(|c| !c.is_ascii() || SAFE.contains(c))
}

/// go/build's `expandSrcDir`: `${SRCDIR}` replaced by the package directory, the result checked.
fn expand_src_dir(s: &str, dir: &str) -> Option<String> {
    let d = dir;
    let chunks: Vec<&str> = s.split("${SRCDIR}").collect();
    if chunks.len() < 2 {
        return safe_cgo_name(s).then(|| s.to_string());
    }
    let ok = chunks.iter().all(|c| c.is_empty() || safe_cgo_name(c)) && safe_cgo_name(d);
    ok.then(|| chunks.join(d))
}

/// go/build's `makePathsAbsolute`: `-I x`, `-Ix`, `-L x`, `-Lx` relative to the package.
fn make_paths_absolute(args: &mut [String], dir: &str) {
    let mut next_is_dir = false;
    for a in args.iter_mut() {
        if next_is_dir {
            if !a.starts_with('/') {
                *a = join_clean(dir, a);
            }
            next_is_dir = false;
        } else if a == "-I" || a == "-L" {
            next_is_dir = true;
        } else if let Some(rest) = a.strip_prefix("-I").or_else(|| a.strip_prefix("-L")) {
            if !rest.starts_with('/') {
                let flag = &a[..2];
                *a = format!("{flag}{}", join_clean(dir, rest));
            }
        }
    }
}

/// filepath.Join: `dir/rel`, cleaned lexically (`.` and `..` elements resolved).
fn join_clean(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in dir.split('/').chain(rel.split('/')) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> BuildContext {
        let mut c = BuildContext::new("linux", "amd64");
        c.cgo_enabled = true;
        c
    }

    #[test]
    fn preamble_flags_of_a_single_import() {
        let src = b"package p\n\n/*\n#cgo CFLAGS: -DX=1 -Wall\n#cgo linux LDFLAGS: -lm\n#cgo windows LDFLAGS: -lws2_32\n#include <math.h>\n*/\nimport \"C\"\n\nfunc F() {}\n";
        let mut f = CgoFlags::default();
        read_cgo_lines(src, "p/a.go", "/src/p", &ctx(), &mut f).unwrap();
        assert_eq!(f.cflags, ["-DX=1", "-Wall"]);
        assert_eq!(f.ldflags, ["-lm"]);
    }

    #[test]
    fn only_the_comment_right_above_import_c_counts() {
        // A blank line between the comment and the import: no preamble (go/parser's lead rule).
        let src = b"package p\n\n// #cgo LDFLAGS: -lm\n\nimport \"C\"\n";
        let mut f = CgoFlags::default();
        read_cgo_lines(src, "a.go", "/s", &ctx(), &mut f).unwrap();
        assert!(f.ldflags.is_empty());
        // In a group, the spec's own doc comment.
        let src = b"package p\n\nimport (\n\t\"fmt\"\n\t// #cgo LDFLAGS: -lz\n\t\"C\"\n)\n";
        read_cgo_lines(src, "a.go", "/s", &ctx(), &mut f).unwrap();
        assert_eq!(f.ldflags, ["-lz"]);
    }

    #[test]
    fn conditions_quotes_srcdir_and_relative_paths() {
        let src = b"package p\n// #cgo linux,amd64 CPPFLAGS: -I inc -I${SRCDIR}/x \"-DNAME=a b\"\n// #cgo !linux CFLAGS: -DNO\n// #cgo linux && !arm64 LDFLAGS: -Llib\nimport \"C\"\n";
        let mut f = CgoFlags::default();
        read_cgo_lines(src, "a.go", "/s/p", &ctx(), &mut f).unwrap();
        assert_eq!(f.cppflags, ["-I", "/s/p/inc", "-I/s/p/x", "-DNAME=a b"]);
        assert!(f.cflags.is_empty());
        assert_eq!(f.ldflags, ["-L/s/p/lib"]);
    }

    #[test]
    fn bad_lines_are_go_s_errors() {
        let cases: [(&[u8], &str); 3] = [
            (
                b"package p\n// #cgo CFLAGS -O2\nimport \"C\"\n",
                "d/a.go: invalid #cgo line: #cgo CFLAGS -O2",
            ),
            (
                b"package p\n// #cgo BOGUS: x\nimport \"C\"\n",
                "d/a.go: invalid #cgo verb: #cgo BOGUS: x",
            ),
            (
                b"package p\n// #cgo CFLAGS: -D`x`\nimport \"C\"\n",
                "d/a.go: malformed #cgo argument: -D`x`",
            ),
        ];
        let mut f = CgoFlags::default();
        for (src, want) in cases {
            let e = read_cgo_lines(src, "d/a.go", "/d", &ctx(), &mut f).unwrap_err();
            assert_eq!(e, want);
        }
    }

    #[test]
    fn split_quoted_as_go() {
        assert_eq!(
            split_quoted(r#"a "b c" 'd e' f\ g"#).unwrap(),
            ["a", "b c", "d e", "f g"]
        );
        assert_eq!(split_quoted("\"\"").unwrap(), [""]);
        assert!(split_quoted("\"open").is_none());
    }

    /// The standard library's `#cgo` lines, read from GOROOT, give the flags `go list` reports
    /// (core's std graph keeps them: `cgocflags` / `cgoldflags`).
    #[test]
    fn std_cgo_flags_match_go_list() {
        let goroot = "/usr/lib/go-1.23/src";
        if !std::path::Path::new(goroot).is_dir() {
            eprintln!("note: GOROOT sources absent; skipping");
            return;
        }
        for (pkg, files, cflags, ldflags) in [
            (
                "runtime/cgo",
                &["cgo.go"][..],
                &["-Wall", "-Werror", "-fno-stack-protector"][..],
                &["-lpthread"][..],
            ),
            (
                "net",
                &[
                    "cgo_linux.go",
                    "cgo_resnew.go",
                    "cgo_socknew.go",
                    "cgo_unix_cgo.go",
                    "cgo_unix_cgo_res.go",
                ][..],
                &["-fno-stack-protector"][..],
                &["-lresolv"][..],
            ),
        ] {
            let dir = format!("{goroot}/{pkg}");
            let mut f = CgoFlags::default();
            for file in files {
                let src = std::fs::read(format!("{dir}/{file}")).unwrap();
                read_cgo_lines(&src, file, &dir, &ctx(), &mut f).unwrap();
            }
            assert_eq!(f.cflags, cflags, "{pkg}");
            assert_eq!(f.ldflags, ldflags, "{pkg}");
        }
    }

    fn input<'a>(flags: &'a CgoFlags, support: Option<CcSupport>) -> CgoInput<'a> {
        static CGO_FILES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        CgoInput {
            import_path: "example.com/m/calc",
            name: "calc",
            dir: "/m/calc",
            standard: false,
            cgo_files: CGO_FILES.get_or_init(|| vec!["calc.go".into()]),
            gcc_files: vec!["calc.c".into()],
            objdir: "$WORK/b002/",
            cwd: "/m",
            goroot: "/usr/lib/go-1.23",
            goos: "linux",
            goarch: "amd64",
            cgo_tool: "/usr/lib/go-1.23/pkg/tool/linux_amd64/cgo".into(),
            cc: "gcc",
            flags,
            seed: "SEED",
            syso: Vec::new(),
            support,
            trimpath: None,
            prefix_maps: Vec::new(),
        }
    }

    fn line(c: &CgoCmd) -> String {
        let env: String = c.env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
        format!("[{}] {env}{:?} {}", c.dir, c.program, c.args.join(" "))
    }

    /// Under `-n` go prints each `gccSupportsFlag` probe in `$WORK` and answers no: five per
    /// `compilerCmd`, two more per compile, none of the probed flags in the commands.
    #[test]
    fn dry_run_shows_the_probes_and_none_of_their_flags() {
        let flags = CgoFlags {
            cflags: vec!["-DX=1".into()],
            ldflags: vec!["-lm".into()],
            ..Default::default()
        };
        let s = steps(&input(&flags, None));
        let kinds: Vec<CmdKind> = s.cmds.iter().map(|c| c.kind).collect();
        let probes = kinds.iter().filter(|k| **k == CmdKind::Probe).count();
        // _cgo_export.c, calc.cgo2.c, calc.c, _cgo_main.c: 7 each; the link: 5.
        assert_eq!(probes, 4 * 7 + 5);
        assert_eq!(kinds[0], CmdKind::Cgo);
        assert_eq!(
            line(&s.cmds[0]),
            "[/m/calc] TERM='dumb' CGO_LDFLAGS='' Cgo -objdir $WORK/b002/ -importpath example.com/m/calc \
             -ldflags=\"-O2\" \"-g\" \"-lm\" -- -I $WORK/b002/ -O2 -g -DX=1 /m/calc/calc.go"
        );
        assert_eq!(
            line(&s.cmds[1]),
            "[$WORK] Cc -fno-caret-diagnostics -O2 -g -c -x c - -o /dev/null"
        );
        assert_eq!(
            line(&s.cmds[3]),
            "[$WORK] Cc -Wl,--no-gc-sections -O2 -g -x c - -o /dev/null"
        );
        assert_eq!(
            line(&s.cmds[6]),
            "[$WORK] Cc -I /m/calc -fPIC -m64 -pthread -fmessage-length=0 -fdebug-prefix-map=a=b -O2 -g -c -x c - -o /dev/null"
        );
        assert_eq!(
            line(&s.cmds[8]),
            "[$WORK/b002] TERM='dumb' Cc -I /m/calc -fPIC -m64 -pthread -fmessage-length=0 -I $WORK/b002/ -O2 -g -DX=1 -o $WORK/b002/_x001.o -c _cgo_export.c"
        );
        let compiles: Vec<String> = s
            .cmds
            .iter()
            .filter(|c| c.kind == CmdKind::Compile)
            .map(|c| format!("{} {}", c.dir, c.args[c.args.len() - 1]))
            .collect();
        assert_eq!(
            compiles,
            [
                "$WORK/b002 _cgo_export.c",
                "$WORK/b002 calc.cgo2.c",
                "/m/calc calc.c",
                "$WORK/b002 _cgo_main.c"
            ]
        );
        let tail: Vec<String> = s.cmds[s.cmds.len() - 2..].iter().map(line).collect();
        assert_eq!(
            tail,
            [
                "[/m] TERM='dumb' Cc -I /m/calc -fPIC -m64 -pthread -fmessage-length=0 -o $WORK/b002/_cgo_.o $WORK/b002/_cgo_main.o $WORK/b002/_x001.o $WORK/b002/_x002.o $WORK/b002/_x003.o -O2 -g -lm",
                "[/m] TERM='dumb' Cgo -dynpackage calc -dynimport $WORK/b002/_cgo_.o -dynout $WORK/b002/_cgo_import.go",
            ]
        );
        assert_eq!(
            s.go_files,
            [
                "$WORK/b002/_cgo_gotypes.go",
                "$WORK/b002/calc.cgo1.go",
                "$WORK/b002/_cgo_import.go"
            ]
        );
        assert_eq!(
            s.objects,
            [
                "$WORK/b002/_x001.o",
                "$WORK/b002/_x002.o",
                "$WORK/b002/_x003.o"
            ]
        );
    }

    /// With gcc's answers (what `-x` shows and the helper runs): no probes, the accepted flags,
    /// the work dir's prefix map, GOROOT's for a standard package, and the action ID as seed.
    #[test]
    fn gcc_s_answers_put_its_flags_in_every_command() {
        let flags = CgoFlags::default();
        let mut x = input(&flags, Some(CcSupport::GCC));
        x.standard = true;
        x.prefix_maps = vec![("/real".into(), "/planned".into())];
        let s = steps(&x);
        assert!(s.cmds.iter().all(|c| c.kind != CmdKind::Probe));
        let c = s.cmds.iter().find(|c| c.kind == CmdKind::Compile).unwrap();
        assert_eq!(
            c.args.join(" "),
            "-I /m/calc -fPIC -m64 -pthread -Wl,--no-gc-sections -fmessage-length=0 \
             -ffile-prefix-map=$WORK/b002=/tmp/go-build -gno-record-gcc-switches -I $WORK/b002/ -O2 -g \
             -ffile-prefix-map=/usr/lib/go-1.23=/_/GOROOT -ffile-prefix-map=/real=/planned \
             -frandom-seed=SEED -o $WORK/b002/_x001.o -c _cgo_export.c"
        );
        // Without -ffile-prefix-map, go falls back to -fdebug-prefix-map.
        x.support = Some(CcSupport {
            file_prefix_map: false,
            ..CcSupport::GCC
        });
        let s = steps(&x);
        assert!(s.cmds[1]
            .args
            .contains(&"-fdebug-prefix-map=$WORK/b002=/tmp/go-build".to_string()));
    }

    /// runtime/cgo: gcc gets only the `gcc_*` assembly; cgo is told not to import runtime/cgo
    /// or syscall, and `-dynimport` records the dynamic linker.
    #[test]
    fn runtime_cgo_is_go_s_exception() {
        let s_files: Vec<String> = ["asm_amd64.s", "gcc_amd64.S"].map(String::from).to_vec();
        let c_files = vec!["gcc_util.c".to_string()];
        assert_eq!(
            gcc_files("runtime/cgo", true, &c_files, &s_files),
            ["gcc_util.c", "gcc_amd64.S"]
        );
        assert_eq!(
            gcc_files("example.com/x", false, &c_files, &s_files),
            ["gcc_util.c", "asm_amd64.s", "gcc_amd64.S"]
        );
        let flags = CgoFlags::default();
        let mut x = input(&flags, Some(CcSupport::GCC));
        x.import_path = "runtime/cgo";
        x.name = "cgo";
        x.standard = true;
        let s = steps(&x);
        assert!(s.cmds[0]
            .args
            .windows(2)
            .any(|w| w == ["-import_runtime_cgo=false", "-import_syscall=false"]));
        assert_eq!(s.cmds.last().unwrap().args.last().unwrap(), "-dynlinker");
        assert!(is_go_error(&invalid_flag("CFLAGS", "-fplugin=x")));
        assert!(is_go_error(&go_assembly_error("a.s")));
        assert!(!is_go_error("calc.c:1:1: error: x"));
    }

    /// `package_flags` names files and expands `${SRCDIR}` with the absolute directory.
    #[test]
    fn package_flags_reads_every_cgo_file_in_order() {
        let files = vec!["a.go".to_string(), "b.go".to_string()];
        let src = |f: &str| -> Option<&'static [u8]> {
            match f {
                "a.go" => {
                    Some(b"package p\n// #cgo CFLAGS: -I${SRCDIR}/inc -I ./x/../y\nimport \"C\"\n")
                }
                "b.go" => Some(b"package p\n// #cgo LDFLAGS: -lz\nimport \"C\"\n"),
                _ => None,
            }
        };
        let f = package_flags("/m/p", &files, &ctx(), src).unwrap();
        assert_eq!(f.cflags, ["-I/m/p/inc", "-I", "/m/p/y"]);
        assert_eq!(f.ldflags, ["-lz"]);
        let bad = |f: &str| -> Option<&'static [u8]> {
            (f == "b.go").then_some(&b"package p\n// #cgo CFLAGS -x\nimport \"C\"\n"[..])
        };
        assert_eq!(
            package_flags("/m/p", &files, &ctx(), bad).unwrap_err(),
            "/m/p/b.go: invalid #cgo line: #cgo CFLAGS -x"
        );
    }

    /// gccToolID's version line, from what gcc 12 prints for `gcc -### -x c -c -`.
    #[test]
    fn gcc_s_identity_is_its_version_line() {
        let out = "Using built-in specs.\nCOLLECT_GCC=gcc\nTarget: x86_64-linux-gnu\n\
                   Configured with: ../src/configure --with-pkgversion='Debian version 9'\n\
                   Thread model: posix\ngcc version 12.2.0 (Debian 12.2.0-14+deb12u1) \n \
                   /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet\n";
        assert_eq!(
            gcc_version_line(out),
            Some("gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) ")
        );
        assert_eq!(
            gcc_version_line("clang version 17.0.6\n"),
            Some("clang version 17.0.6")
        );
        assert_eq!(
            gcc_version_line("gcc version 15.0.0 20240101 (experimental)\n"),
            None
        );
        assert_eq!(gcc_version_line("no version here\n"), None);
        let mut tc = crate::plan::Toolchain::default();
        assert_eq!(cc_id(&tc), "gcc (buildlab stand-in)");
        tc.cc_id = "gcc version 12.2.0".into();
        assert_eq!(cc_id(&tc), "gcc version 12.2.0");
    }
}
