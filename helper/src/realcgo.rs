//! The cgo steps of one build action, run for real as cmd/go's `exec.go` runs them (`build`'s
//! cgo branch, `cgo`, `dynimport`, `ccompile`, `gccld`, `compilerCmd`, `gccSupportsFlag`).
//!
//! core's plan has one [`buildlab_core::plan::Step::Cgo`] where go runs, per package using cgo,
//! the cgo tool, gcc on each C file, the `_cgo_.o` link and `cgo -dynimport`. Their command
//! lines come from core ([`buildlab_core::cgo::steps`]), the same description the transcript
//! prints under `-n` / `-x`, given real paths and the answers of the real gcc to go's
//! `gccSupportsFlag` probes: what Buildlab shows is what it runs. This module keeps the IO: it
//! reads the `#cgo` lines from the files on disk (with core's parser), checks them against its
//! allow-list, checks the assembly gcc gets is not Go assembly, probes and finds gcc, runs the
//! commands, and when the `_cgo_.o` link fails packs go's empty `dynimportfail` marker instead of
//! `_cgo_import.go` (which makes the linker link externally). [`run`] returns what the rest of
//! the action needs: the generated Go files the compile adds after the package's own, and the
//! objects `pack r` appends after the assembly objects.
//!
//! Everything gcc sees comes from the helper: the program is `CC` (a bare name from the plan's
//! toolchain, `gcc`) found in the system's binary directories, the flags are go's own plus the
//! package's `#cgo` lines, checked against an allow-list narrower than go's (`security.go`),
//! paths included: `-I` / `-L` may only name the sources, GOROOT or `$WORK`. A refused flag is
//! go's own error (`pkg: invalid flag in #cgo CFLAGS: …`, [`buildlab_core::cgo::invalid_flag`]).
//! No shell, a minimal environment, the same timeout as every tool.
//!
//! Not here: `pkg-config`, C++ / Objective-C / Fortran / SWIG files (core does not list them),
//! `CC`, `CGO_CFLAGS` and friends from the environment (go's defaults, `gcc` and `-O2 -g`, are
//! what core's action IDs hash), go's `-trimpath` flag.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use buildlab_core::cgo;
use buildlab_core::constraint::BuildContext;
use buildlab_core::plan::{ActionIx, PkgNode, Plan};

use crate::realtools::{clean_path, ExecContext, ExecError, ExecResult, ToolRun};

/// Where gcc may be found (the plan names it by its bare name, as `$CC` does).
const CC_DIRS: &[&str] = &["/usr/local/bin", "/usr/bin", "/bin"];

/// What the cgo steps leave for the rest of the action (real paths).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Compiled after the package's own Go files: `_cgo_gotypes.go`, each `X.cgo1.go`, and
    /// `_cgo_import.go` when the dynimport link worked.
    pub go_files: Vec<String>,
    /// Packed after the assembly objects: `_x001.o`… (or the `dynimportfail` marker).
    pub objects: Vec<String>,
}

/// One package's cgo run: its files, directories and flags, resolved and checked.
struct Pkg<'p> {
    p: &'p PkgNode,
    /// The package directory on disk.
    dir: PathBuf,
    /// `$WORK/bNNN/` on disk, with its trailing slash (go's `objdir`).
    objdir: String,
    /// gcc's absolute path.
    cc: PathBuf,
    flags: cgo::CgoFlags,
    /// The files gcc compiles besides cgo's output (`gccfiles`), relative to `dir`.
    gccfiles: Vec<String>,
    /// go's `-frandom-seed`: the action ID part of the build ID.
    seed: String,
    /// GOROOT (standard packages' C file names are mapped to `/_/GOROOT`).
    goroot: String,
    goos: String,
    /// `(real root, planned root)` when the plan names the sources where they are not (the
    /// API's planned root): cgo's `-trimpath` and gcc's prefix map write the planned one, as the
    /// compile's `-trimpath` does for Go files.
    src_map: Option<(String, String)>,
    /// go's working directory (the gcc link and `cgo -dynimport` run there).
    cwd: PathBuf,
    /// GOARCH: gcc's `-m64` / `-m32`.
    goarch: String,
    /// `.syso` files of the package and everything it depends on (sorted, unique).
    syso: Vec<String>,
}

/// Runs the cgo steps of build action `action` (its step `step_ix`). On a failing step the
/// result says so (`success` false, the tool's output in go's words) and `Ok(None)` comes back.
pub fn run(
    plan: &Plan,
    action: ActionIx,
    step_ix: usize,
    cx: &ExecContext,
    res: &mut ExecResult,
    action_start: Instant,
) -> Result<Option<Generated>, ExecError> {
    let pkg = match prepare(plan, action, cx) {
        Ok(p) => p,
        Err(Prep::Refused(e)) => return Err(e),
        Err(Prep::GoError(msg)) => {
            fail(res, step_ix, &msg);
            return Ok(None);
        }
    };
    let mut runner = Runner {
        cx,
        res,
        step_ix,
        action_start,
    };
    pkg.execute(&mut runner)
}

enum Prep {
    /// Something the helper will not run (a path outside the allowed roots, no gcc).
    Refused(ExecError),
    /// An error go itself reports for the package (bad `#cgo` line or flag, Go assembly).
    GoError(String),
}

fn fail(res: &mut ExecResult, step_ix: usize, msg: &str) {
    res.output.push_str(msg);
    if !msg.ends_with('\n') {
        res.output.push('\n');
    }
    res.success = false;
    res.failed_step = Some(step_ix);
}

/// Resolves everything the steps need before any of them runs.
fn prepare<'p>(plan: &'p Plan, action: ActionIx, cx: &ExecContext) -> Result<Pkg<'p>, Prep> {
    let refused = |m: String| Prep::Refused(ExecError::Refused(m));
    let p = plan
        .package(action)
        .ok_or_else(|| refused("cgo step without a package".into()))?;
    let x = plan.action(action);
    let objdir = x
        .objdir
        .ok_or_else(|| refused("cgo step without a work dir".into()))?;
    let objdir = cx.subst(&objdir.path());
    if !clean_path(Path::new(&objdir)).starts_with(cx.work) {
        return Err(refused(format!("cgo work dir {objdir:?} is outside $WORK")));
    }
    let dir = clean_path(Path::new(&cx.subst(&p.dir)));
    if !cx.readable.iter().any(|r| dir.starts_with(r)) {
        return Err(refused(format!(
            "cgo package directory {:?} is outside the sources",
            p.dir
        )));
    }
    for f in p
        .cgo_files()
        .iter()
        .chain(p.c_files())
        .chain(p.s_files())
        .chain(p.syso_files())
    {
        if !plain_file_name(f) {
            return Err(refused(format!("cgo input {f:?} is not a plain file name")));
        }
    }
    let tc = plan.toolchain();
    let cc = find_cc(&tc.cc).ok_or_else(|| {
        refused(format!(
            "C compiler {:?} not found in {}",
            tc.cc,
            CC_DIRS.join(":")
        ))
    })?;
    let mut ctx = BuildContext::new(&tc.goos, &tc.goarch);
    ctx.cgo_enabled = true;
    // The flags of the files on disk (what gcc will see), read as core's loader reads them.
    let mut sources = Vec::new();
    for f in p.cgo_files() {
        let path = dir.join(f);
        let src = std::fs::read(&path)
            .map_err(|e| Prep::Refused(ExecError::Io(format!("read {}: {e}", path.display()))))?;
        sources.push(src);
    }
    let flags = cgo::package_flags(&dir.to_string_lossy(), p.cgo_files(), &ctx, |f| {
        let i = p.cgo_files().iter().position(|g| g == f)?;
        Some(sources[i].as_slice())
    })
    .map_err(Prep::GoError)?;
    let roots: Vec<&Path> = cx
        .readable
        .iter()
        .map(PathBuf::as_path)
        .chain([cx.work])
        .collect();
    check_flags("CPPFLAGS", &flags.cppflags, &roots, false).map_err(Prep::GoError)?;
    check_flags("CFLAGS", &flags.cflags, &roots, false).map_err(Prep::GoError)?;
    check_flags("LDFLAGS", &flags.ldflags, &roots, true).map_err(Prep::GoError)?;
    let gccfiles = gcc_files(p, &dir).map_err(Prep::GoError)?;
    let seed = cx
        .build_id
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let cwd = clean_path(Path::new(&cx.subst(&plan.input().cwd)));
    if !(cwd.starts_with(cx.work) || cx.readable.iter().any(|r| cwd.starts_with(r))) {
        return Err(refused(format!(
            "cgo would run in {cwd:?}, outside $WORK and the sources"
        )));
    }
    Ok(Pkg {
        p,
        dir,
        objdir,
        cc,
        flags,
        gccfiles,
        seed,
        goroot: tc.goroot.clone(),
        goos: tc.goos.clone(),
        cwd,
        src_map: cx.src_map.map(|(planned, real)| {
            (
                real.to_string_lossy().trim_end_matches('/').to_string(),
                planned.trim_end_matches('/').to_string(),
            )
        }),
        goarch: tc.goarch.clone(),
        syso: syso_files(plan, action, cx),
    })
}

/// A file name from a package's lists: no directory part, no option look-alike.
fn plain_file_name(f: &str) -> bool {
    !f.is_empty() && !f.contains('/') && !f.starts_with('-') && f != "." && f != ".."
}

fn find_cc(name: &str) -> Option<PathBuf> {
    if !plain_file_name(name) || name.contains(char::is_whitespace) {
        return None;
    }
    CC_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// exec.go's `gccfiles` ([`cgo::gcc_files`]), after go's check that none of the assembly gcc
/// gets is Go assembly (which only runtime/cgo, whose Go assembly `asm` assembles, may have).
fn gcc_files(p: &PkgNode, dir: &Path) -> Result<Vec<String>, String> {
    let files = cgo::gcc_files(&p.import_path, p.standard, p.c_files(), p.s_files());
    if !(p.standard && p.import_path == "runtime/cgo") {
        for s in p.s_files() {
            if let Ok(data) = std::fs::read(dir.join(s)) {
                if is_go_assembly(&data) {
                    return Err(cgo::go_assembly_error(s));
                }
            }
        }
    }
    Ok(files)
}

/// A line starting with TEXT, DATA or GLOBL: Go assembly, which gcc cannot assemble.
fn is_go_assembly(data: &[u8]) -> bool {
    ["TEXT", "DATA", "GLOBL"].iter().any(|w| {
        data.starts_with(w.as_bytes())
            || data
                .windows(w.len() + 1)
                .any(|x| x[0] == b'\n' && &x[1..] == w.as_bytes())
    })
}

/// dynimport's `gatherSyso`: the `.syso` files of the action's package and of every package it
/// depends on, sorted and unique.
fn syso_files(plan: &Plan, action: ActionIx, cx: &ExecContext) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![action];
    let mut out = BTreeSet::new();
    while let Some(a) = stack.pop() {
        if !seen.insert(a) {
            continue;
        }
        if let Some(p) = plan.package(a) {
            for f in p.syso_files().iter().filter(|f| plain_file_name(f)) {
                let path = clean_path(Path::new(&cx.subst(&format!("{}/{f}", p.dir))));
                if cx.readable.iter().any(|r| path.starts_with(r)) {
                    out.insert(path.to_string_lossy().into_owned());
                }
            }
        }
        stack.extend(plan.action(a).deps.iter().copied());
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// The allow-list (a subset of go's security.go)
// ---------------------------------------------------------------------------------------------

/// Checks a package's `#cgo` flags of kind `name` (`CFLAGS`, `LDFLAGS`…): only flags that change
/// how code is compiled or which system library is linked, never one that loads a plugin, runs
/// a program, writes elsewhere or reads outside `roots`. Errors in go's words.
pub fn check_flags(
    name: &str,
    list: &[String],
    roots: &[&Path],
    linker: bool,
) -> Result<(), String> {
    let bad = |a: &str| Err(cgo::invalid_flag(name, a));
    let in_roots = |p: &str| {
        let c = clean_path(Path::new(p));
        p.starts_with('/') && roots.iter().any(|r| c.starts_with(r))
    };
    let mut i = 0;
    while i < list.len() {
        let a = list[i].as_str();
        if a.starts_with('@') || a.contains("..") {
            return bad(a);
        }
        if a == "-I" || (linker && a == "-L") || (!linker && matches!(a, "-D" | "-U")) {
            match list.get(i + 1) {
                Some(v) if !v.starts_with('-') && !v.starts_with('@') => {
                    if matches!(a, "-I" | "-L") && !in_roots(v) {
                        let why = "outside the sources, GOROOT and $WORK";
                        return Err(cgo::invalid_flag(name, &format!("{a} {v} ({why})")));
                    }
                    if matches!(a, "-D" | "-U") && !macro_arg(v) {
                        return bad(&format!("{a} {v}"));
                    }
                    i += 2;
                    continue;
                }
                _ => return Err(cgo::invalid_flag(name, &format!("{a} without argument"))),
            }
        }
        let ok = if linker {
            linker_flag_ok(a, &in_roots)
        } else {
            compiler_flag_ok(a, &in_roots)
        };
        if !ok {
            return bad(a);
        }
        i += 1;
    }
    Ok(())
}

/// `NAME` or `NAME=value` for `-D` (no option look-alike value).
fn macro_arg(v: &str) -> bool {
    let (name, value) = v.split_once('=').unwrap_or((v, ""));
    ident(name) && !value.starts_with('-') && !value.contains('@')
}

fn ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn compiler_flag_ok(a: &str, in_roots: &dyn Fn(&str) -> bool) -> bool {
    if let Some(v) = a.strip_prefix("-D") {
        return macro_arg(v);
    }
    if let Some(v) = a.strip_prefix("-U") {
        return ident(v);
    }
    if let Some(p) = a.strip_prefix("-I") {
        return in_roots(p);
    }
    if let Some(w) = a.strip_prefix("-W") {
        // Warnings (-Wall, -Wno-x, -Werror); never -Wa, / -Wp, / -Wl, (options for other tools).
        return !w.contains([',', '@']);
    }
    if let Some(o) = a.strip_prefix("-O") {
        return !o.starts_with(['-', '@']);
    }
    if let Some(g) = a.strip_prefix("-g") {
        return !g.starts_with(['-', '@']) && !g.contains('=');
    }
    if let Some(s) = a.strip_prefix("-std=") {
        return !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+');
    }
    if let Some(m) = a.strip_prefix("-m") {
        return matches!(
            m,
            "32" | "64"
                | "sse2"
                | "sse3"
                | "ssse3"
                | "sse4"
                | "sse4.1"
                | "sse4.2"
                | "avx"
                | "avx2"
                | "aes"
                | "no-avx"
                | "no-sse"
        ) || ["arch=", "tune=", "cpu=", "fpu="].iter().any(|k| {
            m.strip_prefix(k).is_some_and(|v| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            })
        });
    }
    if let Some(f) = a.strip_prefix("-f") {
        let f = f.strip_prefix("no-").unwrap_or(f);
        return matches!(
            f,
            "asynchronous-unwind-tables"
                | "common"
                | "exceptions"
                | "fast-math"
                | "inline-functions"
                | "omit-frame-pointer"
                | "pic"
                | "PIC"
                | "pie"
                | "PIE"
                | "plt"
                | "strict-aliasing"
                | "signed-char"
                | "unsigned-char"
                | "stack-protector"
                | "stack-protector-strong"
                | "stack-protector-all"
                | "stack-check"
                | "builtin"
                | "eliminate-unused-debug-types"
        ) || f
            .strip_prefix("visibility=")
            .is_some_and(|v| matches!(v, "default" | "hidden" | "internal" | "protected"))
            || f.strip_prefix("message-length=")
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()));
    }
    matches!(
        a,
        "-W" | "-O" | "-ansi" | "-pedantic" | "-pedantic-errors" | "-pipe" | "-pthread" | "-w"
    )
}

fn linker_flag_ok(a: &str, in_roots: &dyn Fn(&str) -> bool) -> bool {
    if let Some(lib) = a.strip_prefix("-l") {
        return !lib.is_empty()
            && !lib.starts_with(['-', '@'])
            && lib
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'))
            && !a.starts_with("-lto_library");
    }
    if let Some(p) = a.strip_prefix("-L") {
        return in_roots(p);
    }
    if let Some(o) = a.strip_prefix("-O") {
        return !o.starts_with(['-', '@']);
    }
    if let Some(g) = a.strip_prefix("-g") {
        return !g.starts_with(['-', '@']) && !g.contains('=');
    }
    matches!(
        a,
        "-O" | "-pthread"
            | "-rdynamic"
            | "-fPIC"
            | "-fpic"
            | "-fPIE"
            | "-fpie"
            | "-pie"
            | "-no-pie"
            | "-static-libgcc"
            | "-m32"
            | "-m64"
    ) || matches!(
        a,
        "-Wl,--as-needed"
            | "-Wl,--no-as-needed"
            | "-Wl,-Bstatic"
            | "-Wl,-Bdynamic"
            | "-Wl,--start-group"
            | "-Wl,--end-group"
    )
}

// ---------------------------------------------------------------------------------------------
// Running the steps
// ---------------------------------------------------------------------------------------------

/// Runs processes for one action and records them in its result.
struct Runner<'a, 'c> {
    cx: &'a ExecContext<'c>,
    res: &'a mut ExecResult,
    step_ix: usize,
    action_start: Instant,
}

impl Runner<'_, '_> {
    /// Runs `prog args` in `dir`; its output goes to the action's output unless `quiet` (go
    /// shows a failed dynimport link only under -x). `Ok(false)` when it failed.
    fn run(
        &mut self,
        tool: &str,
        prog: &Path,
        args: &[String],
        dir: &Path,
        env: &[(&str, &str)],
        quiet: bool,
    ) -> Result<bool, ExecError> {
        let mut cmd = std::process::Command::new(prog);
        cmd.args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.cx.work)
            .env("TMPDIR", self.cx.work)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        // gcc's messages in the user's language and quotes, as under go (which passes its
        // environment on): the locale variables only, and only plain locale names.
        for (k, v) in locale_env() {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = crate::realtools::run_with_timeout(cmd, self.cx.timeout)
            .map_err(|e| ExecError::Io(format!("{tool}: {e}")))?;
        let took = started.elapsed();
        self.res.tool_time += took;
        self.res.runs.push(ToolRun {
            tool: tool.to_string(),
            start: started - self.action_start,
            took,
            internal: false,
        });
        self.res.processes += 1;
        if !quiet {
            self.res
                .output
                .push_str(&String::from_utf8_lossy(&out.stdout));
            self.res
                .output
                .push_str(&String::from_utf8_lossy(&out.stderr));
        }
        if !out.status.success() && !quiet {
            self.res.success = false;
            self.res.failed_step = Some(self.step_ix);
        }
        Ok(out.status.success())
    }
}

impl Pkg<'_> {
    fn execute(&self, r: &mut Runner) -> Result<Option<Generated>, ExecError> {
        let p = self.p;
        let cc = self.cc.to_string_lossy().into_owned();
        let dir = self.dir.to_string_lossy().into_owned();
        let cwd = self.cwd.to_string_lossy().into_owned();
        // go's gccSupportsFlag, asked of the real gcc (once per flag for the helper's life).
        let support = cgo::CcSupport::probe(|flag| supports(&cc, flag, r.cx.work));
        let input = cgo::CgoInput {
            import_path: &p.import_path,
            name: &p.name,
            dir: &dir,
            standard: p.standard,
            cgo_files: p.cgo_files(),
            gcc_files: self.gccfiles.clone(),
            objdir: &self.objdir,
            cwd: &cwd,
            goroot: &self.goroot,
            goos: &self.goos,
            goarch: &self.goarch,
            cgo_tool: r.cx.tooldir.join("cgo").to_string_lossy().into_owned(),
            cc: "gcc",
            flags: &self.flags,
            seed: &self.seed,
            syso: self.syso.clone(),
            support: Some(support),
            // Sources copied elsewhere than the plan says (the API's planned root): cgo's
            // `#line`s and gcc's file names say the planned one, as the compile's -trimpath does.
            trimpath: self
                .src_map
                .as_ref()
                .map(|(real, planned)| format!("{real}=>{planned}")),
            prefix_maps: self.src_map.iter().cloned().collect(),
        };
        let steps = cgo::steps(&input);
        let cgo_exe = r.cx.tooldir.join("cgo");
        let mut out = Generated {
            go_files: steps.go_files.clone(),
            objects: steps.objects.clone(),
        };
        let mut link_failed = false;
        for c in &steps.cmds {
            let prog = match c.program {
                cgo::Program::Cgo => cgo_exe.as_path(),
                cgo::Program::Cc => self.cc.as_path(),
            };
            let tool = match c.program {
                cgo::Program::Cgo => "cgo",
                cgo::Program::Cc => "gcc",
            };
            let mut env: Vec<(&str, &str)> = c
                .env
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            match c.kind {
                // The helper asked gcc itself (above); go shows probes only under -n.
                cgo::CmdKind::Probe => continue,
                // cgo runs gcc -E itself: the same gcc.
                cgo::CmdKind::Cgo => env.push(("CC", cc.as_str())),
                cgo::CmdKind::Dynimport if link_failed => continue,
                _ => {}
            }
            let quiet = c.kind == cgo::CmdKind::Link;
            if !r.run(tool, prog, &c.args, Path::new(&c.dir), &env, quiet)? {
                if c.kind != cgo::CmdKind::Link {
                    return Ok(None);
                }
                // Only internal linking needs the imports; the marker makes the linker go
                // external (go's `dynimportfail`).
                link_failed = true;
                let fail = &steps.dynimport_fail;
                std::fs::write(fail, b"")
                    .map_err(|e| ExecError::Io(format!("write {fail}: {e}")))?;
                out.go_files.retain(|f| !f.ends_with("/_cgo_import.go"));
                out.objects.push(fail.clone());
            }
        }
        let mut ldflags: Vec<String> = cgo::DEFAULT_FLAGS.iter().map(|s| s.to_string()).collect();
        ldflags.extend(self.flags.ldflags.iter().cloned());
        if let Err(msg) = check_generated_ldflags(&out.go_files, &ldflags) {
            fail(r.res, r.step_ix, &msg);
            return Ok(None);
        }
        Ok(Some(out))
    }
}

/// The backstop go keeps after cgo: `//go:cgo_ldflag` lines in the generated `_cgo_*` files may
/// carry only the package's own LDFLAGS (already checked) and otherwise allowed flags.
fn check_generated_ldflags(go_files: &[String], ldflags: &[String]) -> Result<(), String> {
    const DIRECTIVE: &str = "//go:cgo_ldflag";
    let mut flags = Vec::new();
    for f in go_files {
        let base = Path::new(f)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if !base.starts_with("_cgo_") {
            continue;
        }
        let Ok(src) = std::fs::read_to_string(f) else {
            continue;
        };
        for line in src.lines() {
            if let Some(rest) = line.trim_start().strip_prefix(DIRECTIVE) {
                flags.push(rest.trim().trim_matches('"').to_string());
            }
        }
    }
    if !ldflags.is_empty() {
        if let Some(i) = (0..flags.len()).find(|&i| flags[i..].starts_with(ldflags)) {
            flags.drain(i..i + ldflags.len());
        }
    }
    check_flags("LDFLAGS", &flags, &[], true)
        .map_err(|e| e.replace("#cgo LDFLAGS", "go:cgo_ldflag"))
}

/// The helper's own locale variables (`LANG`, `LC_ALL`, `LC_CTYPE`, `LC_MESSAGES`) whose values
/// are plain locale names (`C.UTF-8`, `de_DE.utf8@euro`), else `LC_ALL=C`.
fn locale_env() -> Vec<(&'static str, String)> {
    let plain = |v: &str| {
        !v.is_empty()
            && v.len() <= 64
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    };
    let vars: Vec<(&'static str, String)> = ["LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok().filter(|v| plain(v)).map(|v| (k, v)))
        .collect();
    if vars.is_empty() {
        vec![("LC_ALL", "C".to_string())]
    } else {
        vars
    }
}

/// go's `gccToolID` for the C compiler `name` (a bare name, found as [`run`] finds it): the
/// version line of `CC -### -x c -c -` under `LC_ALL=C` ([`cgo::gcc_version_line`]). `None`
/// when gcc is not found, fails, or is a development build (go then hashes the compiler proper,
/// which Buildlab does not). Asked once per compiler for the helper's life.
pub fn gcc_tool_id(name: &str) -> Option<String> {
    static IDS: OnceLock<Mutex<HashMap<String, Option<String>>>> = OnceLock::new();
    let ids = IDS.get_or_init(Default::default);
    if let Some(id) = ids.lock().ok().and_then(|m| m.get(name).cloned()) {
        return id;
    }
    let id = find_cc(name).and_then(|cc| {
        let mut cmd = std::process::Command::new(cc);
        cmd.args(["-###", "-x", "c", "-c", "-"])
            .current_dir("/")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let out = crate::realtools::run_with_timeout(cmd, Duration::from_secs(60)).ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
        cgo::gcc_version_line(&text).map(str::to_string)
    });
    if let Ok(mut m) = ids.lock() {
        m.insert(name.to_string(), id.clone());
    }
    id
}

/// go's `gccSupportsFlag`: `CC FLAG -O2 -g [-c] -x c - -o /dev/null` on empty input, supported
/// unless gcc complains about the flag. Asked once per compiler and flag for the helper's life
/// (go keeps the answer in its cache).
fn supports(cc: &str, flag: &str, work: &Path) -> bool {
    static ANSWERS: OnceLock<Mutex<HashMap<(String, String), bool>>> = OnceLock::new();
    let answers = ANSWERS.get_or_init(Default::default);
    let key = (cc.to_string(), flag.to_string());
    if let Some(&b) = answers
        .lock()
        .ok()
        .and_then(|m| m.get(&key).copied())
        .as_ref()
    {
        return b;
    }
    let mut cmd = std::process::Command::new(cc);
    cmd.arg(flag).args(cgo::DEFAULT_FLAGS);
    if !flag.starts_with("-Wl,") {
        cmd.arg("-c");
    }
    cmd.args(["-x", "c", "-", "-o", "/dev/null"])
        .current_dir(work)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C")
        .env("TMPDIR", work)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = crate::realtools::run_with_timeout(cmd, Duration::from_secs(60));
    let ok = match out {
        Ok(o) => {
            let text = [o.stdout, o.stderr].concat();
            let text = String::from_utf8_lossy(&text);
            ![
                "unrecognized",
                "unknown",
                "unrecognised",
                "is not supported",
                "not recognized",
                "unsupported",
            ]
            .iter()
            .any(|w| text.contains(w))
        }
        Err(_) => false,
    };
    if let Ok(mut m) = answers.lock() {
        m.insert(key, ok);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_refuses_what_could_load_run_or_reach_out() {
        let roots = [Path::new("/src"), Path::new("/work")];
        let ok = |name: &str, f: &[&str], l: bool| {
            check_flags(
                name,
                &f.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &roots,
                l,
            )
        };
        assert!(ok(
            "CFLAGS",
            &[
                "-O2",
                "-g",
                "-Wall",
                "-Werror",
                "-fno-stack-protector",
                "-DX=1",
                "-I",
                "/src/inc",
                "-std=c99",
                "-m64"
            ],
            false
        )
        .is_ok());
        assert!(ok(
            "LDFLAGS",
            &["-lpthread", "-lresolv", "-L/src/lib", "-pthread"],
            true
        )
        .is_ok());
        for bad in [
            "-fplugin=/tmp/x.so",
            "-Wl,-rpath,/x",
            "-Wa,-o,/tmp/x",
            "@/etc/passwd",
            "-o",
            "-B/tmp",
            "-I/etc",
            "-specs=/x",
            "-include",
            "-I/src/../etc",
        ] {
            let e = ok("CFLAGS", &[bad], false).unwrap_err();
            assert!(e.starts_with("invalid flag in #cgo CFLAGS: "), "{bad}: {e}");
        }
        for bad in [
            "-Wl,--wrap=x",
            "-L/usr/lib",
            "-fuse-ld=/tmp/ld",
            "-lto_library",
            "-T",
            "/tmp/x.o",
            "-Wl,-plugin,x.so",
        ] {
            assert!(ok("LDFLAGS", &[bad], true).is_err(), "{bad}");
        }
        assert!(ok("CFLAGS", &["-I"], false).is_err());
    }

    #[test]
    fn go_assembly_is_recognised() {
        assert!(is_go_assembly(
            b"#include \"textflag.h\"\nTEXT \xc2\xb7f(SB),0,$0\n"
        ));
        assert!(!is_go_assembly(b".globl f\nf:\n\tret\n"));
    }
}
