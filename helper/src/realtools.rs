//! Runs one planned action with the real Go tools, in a private `$WORK`.
//!
//! The argv of every tool comes from `core`'s plan, never from a request: the helper plans the
//! workspace itself and executes actions of that plan by index. Before a step runs it is checked:
//! the program must be one of the Go tools in the detected `GOTOOLDIR` (or, for cgo, gcc: see
//! [`crate::realcgo`]), no argument may name a path outside `$WORK`, the module's directory or
//! `GOROOT`, and plugin or output-redirecting flags the planner never emits are refused. Tools run directly (no shell), with a minimal
//! environment and a timeout.
//!
//! The steps cmd/go does itself and marks `# internal` — `buildid -w` after compile and link,
//! `pack r` for assembly objects — run in this process ([`crate::buildid`], [`crate::pack`]), as
//! in go: no process per action for bookkeeping, and the archive go's own bytes.
//!
//! A package using cgo has one `Step::Cgo` in its plan: [`crate::realcgo`] runs go's cgo and gcc
//! steps there, and the compile and `pack r` that follow get what they generated (the Go files
//! after the package's own, the objects after the assembly ones). gcc is the only other program
//! that may run, with argv the helper builds from core's description.
//!
//! Not here: caching (the driver decides what runs), HTTP (see `api`).

use buildlab_core::plan::{ActionIx, FileContents, Invocation, Mode, Plan, Step, BUILD_ID, WORK};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where an action runs and what it may touch.
pub struct ExecContext<'a> {
    /// The real directory `$WORK` stands for.
    pub work: &'a Path,
    /// GOTOOLDIR of the detected Go: the only programs that may run.
    pub tooldir: &'a Path,
    /// Directories tools may read besides `$WORK` (the workspace copy, GOROOT).
    pub readable: Vec<PathBuf>,
    /// The archive of each dependency action (a `$WORK/bNNN/_pkg_.a` of this build, or a
    /// cached file): what `importcfg` lines point to.
    pub archives: &'a HashMap<ActionIx, PathBuf>,
    /// Build ID to put where the plan says `@BUILDID@`.
    pub build_id: &'a str,
    pub timeout: Duration,
    /// When the plan names the sources under a directory they are not really in (the API plans
    /// every workspace at one stable root so that action IDs and objects do not depend on the
    /// per-build temporary directory): `(planned root, real root)`. Paths are mapped before the
    /// checks, and compile and asm get `-trimpath` rewriting the real root back to the planned
    /// one, so their outputs are what they would be at the planned root.
    pub src_map: Option<(&'a str, &'a Path)>,
    /// How the `# internal` steps run.
    pub internal: Internal,
}

/// How the steps go marks `# internal` (`buildid -w`, `pack r`) run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Internal {
    /// In this process, as cmd/go does them (a signed Mach-O binary still goes to the tool).
    #[default]
    InProcess,
    /// As the real `buildid` and `pack` tools: the reference the in-process steps are checked
    /// against.
    Tools,
    /// `pack r` in process, `buildid -w` not at all: the output as the compiler or linker left
    /// it, to compare the two ways of rewriting its build ID on copies of one file.
    SkipBuildId,
}

/// One step that ran: a tool process or an in-process `# internal` step.
#[derive(Clone, Debug)]
pub struct ToolRun {
    /// The tool's name (`compile`, `buildid`, …), also for an internal step.
    pub tool: String,
    /// From the action's start.
    pub start: Duration,
    pub took: Duration,
    /// Done in this process (no tool ran).
    pub internal: bool,
}

/// What running one action did.
#[derive(Debug, Default)]
pub struct ExecResult {
    /// Combined tool output, as go shows it under `# pkg`.
    pub output: String,
    pub success: bool,
    /// Wall time spent in tools and internal steps.
    pub tool_time: Duration,
    /// Every step that ran, in order.
    pub runs: Vec<ToolRun>,
    /// How many tool processes were started (the internal steps done in process not counted).
    pub processes: usize,
    /// On failure, the index of the failing step in the action's steps.
    pub failed_step: Option<usize>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ExecError {
    /// A step the plan made that this executor refuses to run (a bug or an unsupported feature).
    Refused(String),
    Io(String),
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::Refused(m) => write!(f, "refused: {m}"),
            ExecError::Io(m) => write!(f, "{m}"),
        }
    }
}

const TOOLS: &[&str] = &["compile", "asm", "pack", "buildid", "link"];
/// Flags go never passes in a plain build and that would load code or write elsewhere.
const FORBIDDEN_FLAGS: &[&str] = &["-plugin", "-linkshared", "-dynlink", "-cpuprofile", "-memprofile", "-traceprofile", "-bench", "-r"];

impl ExecContext<'_> {
    pub(crate) fn subst(&self, s: &str) -> String {
        let s = s.replace(WORK, &self.work.to_string_lossy()).replace(BUILD_ID, self.build_id);
        match self.src_map {
            Some((planned, real)) => map_root(&s, planned, &real.to_string_lossy()),
            None => s,
        }
    }

    fn inside_work(&self, p: &str) -> Result<PathBuf, ExecError> {
        let path = PathBuf::from(self.subst(p));
        let clean = clean_path(&path);
        if clean.starts_with(self.work) {
            Ok(clean)
        } else {
            Err(ExecError::Refused(format!("path {p:?} is outside $WORK")))
        }
    }

    /// Every absolute path among the arguments must lie in `$WORK`, a readable root or GOTOOLDIR.
    fn check_args(&self, argv: &[String]) -> Result<(), ExecError> {
        for a in &argv[1..] {
            let bare = a.split_once('=').map_or(a.as_str(), |(k, _)| k);
            if FORBIDDEN_FLAGS.contains(&bare) {
                return Err(ExecError::Refused(format!("flag {bare} is not allowed")));
            }
            for part in a.split(['=', ',']) {
                if part.starts_with('/') {
                    let p = clean_path(Path::new(part));
                    let ok = p.starts_with(self.work)
                        || p.starts_with(self.tooldir)
                        || self.readable.iter().any(|r| p.starts_with(r));
                    if !ok {
                        return Err(ExecError::Refused(format!("argument {a:?} names a path outside $WORK and the sources")));
                    }
                }
                if part.contains("..") && Path::new(part).components().any(|c| c == std::path::Component::ParentDir) {
                    return Err(ExecError::Refused(format!("argument {a:?} climbs out with ..")));
                }
            }
        }
        Ok(())
    }
}

/// Replaces the directory `from` with `to` wherever it starts a path in `s` (`from` itself, or
/// `from/…`), leaving longer names that merely begin with it (`from2/…`) alone.
fn map_root(s: &str, from: &str, to: &str) -> String {
    let from = from.trim_end_matches('/');
    if from.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(from) {
        let after = &rest[i + from.len()..];
        let starts = i == 0 || matches!(rest.as_bytes()[i - 1], b'=' | b';' | b',' | b' ' | b'"' | b'\t' | b'\n');
        let ends = after.is_empty() || after.starts_with(['/', '"', ' ', ';', ',', '\n', '=']);
        out.push_str(&rest[..i]);
        out.push_str(if starts && ends { to } else { from });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Lexical normalization (no symlink resolution: callers only ever create plain directories).
pub(crate) fn clean_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Whether `dir` is the directory an install action's target goes in (outside `$WORK`).
fn is_target_dir(plan: &Plan, action: ActionIx, dir: &str) -> bool {
    let x = plan.action(action);
    matches!(x.mode, Mode::LinkInstall | Mode::BuildInstall)
        && !dir.starts_with(WORK)
        && x.target.as_deref().and_then(|t| t.rfind('/').map(|i| &t[..=i])) == Some(dir)
}

/// Runs the steps of `action` in order. Stops at the first failing tool, as go does.
pub fn run_action(plan: &Plan, action: ActionIx, cx: &ExecContext) -> Result<ExecResult, ExecError> {
    let mut res = ExecResult { success: true, ..Default::default() };
    let action_start = Instant::now();
    // What the cgo steps generated (a package using cgo; its plan always packs).
    let mut cgo: Option<crate::realcgo::Generated> = None;
    for (step_ix, step) in plan.steps(action).iter().enumerate() {
        match step {
            // An install's mkdir of its target's directory (`-o DIR/`) goes with the move: the
            // driver's, like the install itself.
            Step::Mkdir(d) if is_target_dir(plan, action, d) => {}
            Step::Mkdir(d) => {
                std::fs::create_dir_all(cx.inside_work(d)?).map_err(|e| ExecError::Io(format!("mkdir {d}: {e}")))?
            }
            Step::WriteFile { path, contents } => {
                let text = match contents {
                    FileContents::Text(t) => cx.subst(t),
                    FileContents::ImportCfg(cfg) => cfg.render(|dep| {
                        cx.archives.get(&dep).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()
                    }),
                };
                let dst = cx.inside_work(path)?;
                std::fs::write(&dst, text).map_err(|e| ExecError::Io(format!("write {path}: {e}")))?;
            }
            Step::Copy { from, to } => {
                // Header copies read from GOROOT or the module; they always land in $WORK.
                let dst = cx.inside_work(to)?;
                let src = clean_path(Path::new(&cx.subst(from)));
                if !(src.starts_with(cx.work) || cx.readable.iter().any(|r| src.starts_with(r))) {
                    return Err(ExecError::Refused(format!("copy from {from:?}: outside $WORK and the sources")));
                }
                std::fs::copy(src, dst).map_err(|e| ExecError::Io(format!("cp {from} {to}: {e}")))?;
            }
            // The install (mv to the target) and the cleanup are the driver's: it decides where
            // the binary goes and when $WORK is removed.
            Step::Move { .. } | Step::RemoveAll(_) => {}
            Step::Cgo { .. } => match crate::realcgo::run(plan, action, step_ix, cx, &mut res, action_start)? {
                Some(g) => cgo = Some(g),
                None => return Ok(res),
            },
            Step::Run(inv) => {
                if !run_invocation(plan, action, step_ix, inv, cgo.as_ref(), cx, &mut res, action_start)? {
                    return Ok(res);
                }
            }
        }
    }
    Ok(res)
}

/// The argv a step runs with: `$WORK` and the build ID substituted, dependencies' archives where
/// they really are, and for a package using cgo the generated Go files after its own (compile)
/// and gcc's objects after the assembly objects and before the `.syso` files (pack), as
/// exec.go orders them.
fn step_argv(plan: &Plan, action: ActionIx, inv: &Invocation, cgo: Option<&crate::realcgo::Generated>, cx: &ExecContext) -> Vec<String> {
    // A dependency's output named where a cold build leaves it (`$WORK/b002/_pkg_.a`) is
    // wherever it really is (the cache), as cmd/go passes it.
    let moved: HashMap<String, String> = plan
        .action(action)
        .deps
        .iter()
        .filter_map(|&d| Some((plan.cold_built(d), cx.archives.get(&d)?.to_string_lossy().into_owned())))
        .filter(|(cold, _)| !cold.is_empty())
        .collect();
    let mut argv: Vec<String> = inv.argv.iter().map(|a| moved.get(a).cloned().unwrap_or_else(|| cx.subst(a))).collect();
    if let Some(g) = cgo {
        // Where go puts them: core's rule, the one the transcript prints.
        let steps = buildlab_core::cgo::CgoSteps { go_files: g.go_files.clone(), objects: g.objects.clone(), ..Default::default() };
        let real = Invocation { argv, ..inv.clone() };
        argv = buildlab_core::transcript::with_generated(&real, &steps).argv;
    }
    argv
}

/// Runs one tool step (or does it in process when go marks it `# internal`), after checking its
/// program, arguments and directory. `Ok(false)`: it failed, and `res` says how.
#[allow(clippy::too_many_arguments)]
fn run_invocation(
    plan: &Plan,
    action: ActionIx,
    step_ix: usize,
    inv: &Invocation,
    cgo: Option<&crate::realcgo::Generated>,
    cx: &ExecContext,
    res: &mut ExecResult,
    action_start: Instant,
) -> Result<bool, ExecError> {
    let prog = Path::new(&inv.argv[0]);
    let name = prog.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !TOOLS.contains(&name) || prog.parent() != Some(cx.tooldir) {
        return Err(ExecError::Refused(format!("{:?} is not a Go tool in GOTOOLDIR", inv.argv[0])));
    }
    let mut argv = step_argv(plan, action, inv, cgo, cx);
    cx.check_args(&argv)?;
    if let (Some((planned, real)), "compile" | "asm") = (cx.src_map, name) {
        // The tools record source positions; make them the planned root's.
        if let Some(i) = argv.iter().position(|a| a == "-trimpath") {
            if let Some(v) = argv.get_mut(i + 1) {
                *v = format!("{v};{}=>{}", real.display(), planned.trim_end_matches('/'));
            }
        }
    }
    let dir = if inv.dir.is_empty() || inv.dir == "." {
        cx.work.to_path_buf()
    } else {
        PathBuf::from(cx.subst(&inv.dir))
    };
    let dir_ok = [cx.work].into_iter().chain(cx.readable.iter().map(PathBuf::as_path)).any(|r| clean_path(&dir).starts_with(r));
    if !dir_ok {
        return Err(ExecError::Refused(format!("{name} would run in {:?}, outside $WORK and the sources", inv.dir)));
    }
    if inv.internal && cx.internal != Internal::Tools {
        let started = Instant::now();
        match run_internal(name, &argv, &dir, cx)? {
            InternalStep::Done(r) => {
                let took = started.elapsed();
                res.tool_time += took;
                res.runs.push(ToolRun { tool: name.to_string(), start: started - action_start, took, internal: true });
                if let Err(msg) = r {
                    res.output.push_str(&msg);
                    res.output.push('\n');
                    res.success = false;
                    res.failed_step = Some(step_ix);
                    return Ok(false);
                }
                return Ok(true);
            }
            InternalStep::Skipped => return Ok(true),
            InternalStep::ToTool => {}
        }
    }
    let mut cmd = Command::new(prog);
    cmd.args(&argv[1..])
        .current_dir(&dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", cx.work)
        .env("TMPDIR", cx.work)
        .env("GOTOOLCHAIN", "local")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &inv.env {
        cmd.env(k, cx.subst(v));
    }
    let started = Instant::now();
    let out = run_with_timeout(cmd, cx.timeout).map_err(|e| ExecError::Io(format!("{name}: {e}")))?;
    let took = started.elapsed();
    res.tool_time += took;
    res.runs.push(ToolRun { tool: name.to_string(), start: started - action_start, took, internal: false });
    res.processes += 1;
    res.output.push_str(&String::from_utf8_lossy(&out.stdout));
    res.output.push_str(&String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        res.success = false;
        res.failed_step = Some(step_ix);
        return Ok(false);
    }
    Ok(true)
}

/// What became of an `# internal` step.
enum InternalStep {
    /// Done in this process: its error in go's words, if it failed.
    Done(Result<(), String>),
    /// Left undone on purpose ([`Internal::SkipBuildId`]).
    Skipped,
    /// A file this process does not rewrite (a signed Mach-O binary): the real tool runs.
    ToTool,
}

/// `buildid -w TARGET` and `pack r ARCHIVE OBJECTS…` as cmd/go does them itself, over the argv
/// the plan made (already mapped and checked). The file written must lie in `$WORK`.
fn run_internal(name: &str, argv: &[String], dir: &Path, cx: &ExecContext) -> Result<InternalStep, ExecError> {
    let in_work = |p: &str| {
        let p = clean_path(&dir.join(p));
        if p.starts_with(cx.work) {
            Ok(p)
        } else {
            Err(ExecError::Refused(format!("{name} would write {p:?}, outside $WORK")))
        }
    };
    match (name, argv.get(1).map(String::as_str)) {
        ("buildid", Some("-w")) if argv.len() == 3 => {
            if cx.internal == Internal::SkipBuildId {
                return Ok(InternalStep::Skipped);
            }
            let target = in_work(&argv[2])?;
            match crate::buildid::update_build_id(&target, cx.build_id) {
                Ok(_) => Ok(InternalStep::Done(Ok(()))),
                Err(crate::buildid::Error::Unsupported(_)) => Ok(InternalStep::ToTool),
                Err(crate::buildid::Error::Failed(msg)) => Ok(InternalStep::Done(Err(msg))),
            }
        }
        ("pack", Some("r")) if argv.len() >= 4 => {
            let archive = in_work(&argv[2])?;
            let objects: Vec<PathBuf> = argv[3..].iter().map(|o| clean_path(&dir.join(o))).collect();
            let objects: Vec<&Path> = objects.iter().map(PathBuf::as_path).collect();
            Ok(InternalStep::Done(crate::pack::append(&archive, &objects)))
        }
        _ => Err(ExecError::Refused(format!("{name}: not a step go does internally ({:?})", &argv[1..]))),
    }
}

/// Waits for the child, killing it after `timeout` (bounded: no tool can hang the helper).
///
/// The wait is on the child's output pipes, which close when it exits, so the result is there
/// the moment the tool ends — not at the next tick of a polling loop (that tick cost every tool
/// run 2.5 ms on average, a few hundred times per cold build).
pub(crate) fn run_with_timeout(mut cmd: Command, timeout: Duration) -> std::io::Result<std::process::Output> {
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + timeout;
    // Drain the pipes on threads so a chatty tool cannot block on a full pipe; each thread sends
    // what it read when its pipe closes.
    let (tx, rx) = std::sync::mpsc::channel::<(bool, Vec<u8>)>();
    fn drain(pipe: Option<impl std::io::Read + Send + 'static>, is_err: bool, tx: std::sync::mpsc::Sender<(bool, Vec<u8>)>) {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(mut s) = pipe {
                let _ = s.read_to_end(&mut b);
            }
            let _ = tx.send((is_err, b));
        });
    }
    drain(child.stdout.take(), false, tx.clone());
    drain(child.stderr.take(), true, tx);
    let (mut stdout, mut stderr, mut closed) = (Vec::new(), Vec::new(), 0);
    while closed < 2 {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((is_err, b)) => {
                *(if is_err { &mut stderr } else { &mut stdout }) = b;
                closed += 1;
            }
            // The deadline passed (or a drain thread died): decided below.
            Err(_) => break,
        }
    }
    // Both pipes closed: the tool has exited or is exiting. A tool that closed them early (or
    // left a process holding them) is waited for up to the deadline, as before.
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, format!("killed after {timeout:?}")));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    Ok(std::process::Output { status, stdout, stderr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_root_replaces_whole_path_prefixes_only() {
        let m = |s: &str| map_root(s, "/home/gopher/work", "/tmp/b1/src");
        assert_eq!(m("/home/gopher/work"), "/tmp/b1/src");
        assert_eq!(m("/home/gopher/work/util/u.go"), "/tmp/b1/src/util/u.go");
        assert_eq!(m("-x=/home/gopher/work/a;/home/gopher/work2/b"), "-x=/tmp/b1/src/a;/home/gopher/work2/b");
        assert_eq!(m("./main.go"), "./main.go");
        assert_eq!(m("x/home/gopher/work"), "x/home/gopher/work");
    }

    #[test]
    fn tools_output_comes_back_and_hung_tools_are_killed() {
        let mut c = Command::new("/bin/sh");
        c.args(["-c", "echo out; echo err >&2; exit 3"]).stdout(Stdio::piped()).stderr(Stdio::piped());
        let t = Instant::now();
        let o = run_with_timeout(c, Duration::from_secs(10)).unwrap();
        assert_eq!((o.stdout.as_slice(), o.stderr.as_slice(), o.status.code()), (&b"out\n"[..], &b"err\n"[..], Some(3)));
        assert!(t.elapsed() < Duration::from_secs(5));
        let mut c = Command::new("/bin/sh");
        c.args(["-c", "exec sleep 30"]).stdout(Stdio::piped()).stderr(Stdio::piped());
        let t = Instant::now();
        let e = run_with_timeout(c, Duration::from_millis(300)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert!(t.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn clean_path_is_lexical() {
        assert_eq!(clean_path(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
        assert_eq!(clean_path(Path::new("/a/../../etc")), PathBuf::from("/etc"));
    }
}
