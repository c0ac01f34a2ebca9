//! The real toolchain behind core's build driver: one `go build` whose missed actions run the
//! real Go tools ([`crate::realtools`]) on a small pool of `-p` worker threads, while the
//! [`Session`] itself (go's hit rules, the scheduler, the cache) is driven from one thread, the
//! caller's. `buildlab build --real` ([`crate::cli`]) and the HTTP API ([`crate::api`]) both run
//! builds through [`run`].
//!
//! Outputs are the real `_pkg_.a` archives, stored in a GOCACHE-layout directory
//! ([`crate::diskcache`]) under core's action IDs; their content IDs are the hash of the archive
//! with its build ID zeroed (cmd/go's rule, [`buildlab_core::object::content_hash`]), so early
//! cutoff follows what the real compiler wrote. A real link's `importcfg.link` points at those
//! cache files, as cmd/go's does. The binary is left in `$WORK` for the caller to install.
//!
//! A package using cgo runs its cgo and gcc steps in its build action ([`crate::realcgo`]), as go
//! does; the link needs nothing more (the Go linker picks internal or external linking from the
//! objects it is given).
//!
//! Not here: printing, HTTP, choosing where `$WORK` is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use buildlab_core::actionid::SourceFiles;
use buildlab_core::build::{BuildResult, Config, Job, Session, Timing, ToolResult};
use buildlab_core::cache::Cache;
use buildlab_core::object::Object;
use buildlab_core::plan::{ActionIx, Mode, Plan, Step, WORK};
use buildlab_core::rebuild::Record;
use buildlab_core::trace::{Kind, Span, TraceAction};
use buildlab_core::transcript::cache_file;

use crate::realtools::{run_action, ExecContext, ExecError, ExecResult, Internal};

/// Where a real build runs and what it may touch.
pub struct Setup<'a> {
    /// GOTOOLDIR: the only programs that run.
    pub tooldir: &'a Path,
    /// The real directory `$WORK` stands for (exists, private to this build).
    pub work: &'a Path,
    /// The GOCACHE-layout directory the outputs are stored in (what `cache` is over).
    pub cache_root: &'a Path,
    /// Directories the tools may read besides `$WORK` and the cache: the sources, GOROOT.
    pub readable: Vec<PathBuf>,
    /// `(planned root, real root)` when the plan names the sources elsewhere (the API).
    pub src_map: Option<(&'a str, &'a Path)>,
    /// Per tool run.
    pub timeout: Duration,
    /// Worker threads (`-p`).
    pub workers: usize,
    /// The only actions that may run (a page's run request names them): a job for any other
    /// fails without running a tool. `None`: any.
    pub only: Option<&'a std::collections::HashSet<ActionIx>>,
}

impl<'a> Setup<'a> {
    /// What one action's tools run with: this build's `$WORK` and tools, the readable
    /// directories plus the cache the dependencies' archives are in, go's steps marked
    /// `# internal` done in process.
    fn exec_context<'b>(
        &'b self,
        archives: &'b HashMap<ActionIx, PathBuf>,
        build_id: &'b str,
    ) -> ExecContext<'b> {
        ExecContext {
            work: self.work,
            tooldir: self.tooldir,
            readable: self
                .readable
                .iter()
                .cloned()
                .chain([self.cache_root.to_path_buf()])
                .collect(),
            archives,
            build_id,
            timeout: self.timeout,
            src_map: self.src_map,
            internal: Internal::InProcess,
        }
    }
}

/// Progress, as it happens.
#[derive(Debug)]
pub enum Event<'e> {
    /// A job was handed to a worker (`lane` is 1-based).
    Started { job: &'e Job, at_us: f64 },
    /// An action finished: a hit, a skip, an up-to-date target at dispatch, or a job. `output` is
    /// what its tools printed.
    Finished { action: TraceAction, output: String },
    /// A job's tools ended and the session took its result (before the `Finished` it causes):
    /// what a page that drives its own session needs to complete the same job.
    Ran(Ran<'e>),
}

/// One job's run, as [`Event::Ran`] reports it.
#[derive(Debug)]
pub struct Ran<'e> {
    pub job: &'e Job,
    /// When the session handed it out, when a worker started and ended it (µs of the build).
    pub handed_us: f64,
    pub start_us: f64,
    pub end_us: f64,
    pub result: &'e Result<ExecResult, ExecError>,
    /// The output's content hash in the cache, for a build action that succeeded.
    pub output_hex: Option<&'e str>,
    /// The linked binary in `$WORK`, for a link-install that succeeded.
    pub exe: Option<&'e Path>,
}

/// What a real build did.
pub struct Outcome {
    pub result: BuildResult,
    /// The linked binary in `$WORK`, when the install ran.
    pub exe: Option<PathBuf>,
    /// How many tool processes ran (0 for a fully warm build).
    pub tool_runs: usize,
}

struct Task {
    job: Job,
    archives: HashMap<ActionIx, PathBuf>,
    handed_us: f64,
}

struct Done {
    job: Job,
    handed_us: f64,
    result: Result<ExecResult, ExecError>,
    start_us: f64,
    end_us: f64,
}

/// The timeline kind of one step that ran: the cgo tool and gcc (a package using cgo) are cgo's
/// time, as the simulated plan shows its one cgo step; the Go tools as core names them.
fn tool_kind(tool: &str, mode: Mode) -> Kind {
    match tool {
        "cgo" | "gcc" => Kind::Cgo,
        _ => Kind::of_tool(tool, mode),
    }
}

fn subst_work(p: &str, work: &Path) -> PathBuf {
    PathBuf::from(p.replace(WORK, &work.to_string_lossy()))
}

/// Runs one build to the end. `on` sees every action start and finish as it happens.
#[allow(clippy::too_many_arguments)]
pub fn run(
    plan: &Plan,
    files: &dyn SourceFiles,
    cache: &mut dyn Cache,
    prev: &Record,
    target: Option<&str>,
    cfg: Config,
    setup: &Setup,
    on: &mut dyn FnMut(Event),
) -> Outcome {
    let t0 = Instant::now();
    let do_start = cfg.do_start_us;
    let now_us = move || do_start + t0.elapsed().as_secs_f64() * 1e6;
    let gocache = setup.cache_root.to_string_lossy().into_owned();
    let mut session = Session::new(plan, files, prev, target, cfg);
    let mut exe = None;
    let mut tool_runs = 0;
    let (task_tx, task_rx) = mpsc::channel::<Task>();
    let task_rx = Arc::new(Mutex::new(task_rx));
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    std::thread::scope(|sc| {
        for _ in 0..setup.workers.max(1) {
            let (rx, tx) = (Arc::clone(&task_rx), done_tx.clone());
            sc.spawn(move || loop {
                // The lock is held only while taking one task.
                let task = match rx.lock().map(|r| r.recv()) {
                    Ok(Ok(t)) => t,
                    _ => return,
                };
                let cx = setup.exec_context(&task.archives, &task.job.build_id);
                let start_us = now_us();
                let result = match setup.only {
                    Some(only) if !only.contains(&task.job.action) => {
                        Err(ExecError::Refused(format!(
                            "{}: not among the actions this run may execute",
                            task.job.key
                        )))
                    }
                    _ => run_action(plan, task.job.action, &cx),
                };
                let end_us = now_us();
                if tx
                    .send(Done {
                        job: task.job,
                        handed_us: task.handed_us,
                        result,
                        start_us,
                        end_us,
                    })
                    .is_err()
                {
                    return;
                }
            });
        }
        drop(done_tx);
        let mut running = 0usize;
        loop {
            let jobs = session.ready(cache, now_us());
            for action in session.take_finished() {
                on(Event::Finished {
                    action,
                    output: String::new(),
                });
            }
            for job in jobs {
                // Every dependency's archive, from this build or the cache.
                let archives = plan
                    .action(job.action)
                    .deps
                    .iter()
                    .filter_map(|&d| {
                        let hex = session.output_hex(d)?;
                        Some((d, PathBuf::from(cache_file(&gocache, hex))))
                    })
                    .collect();
                let handed_us = now_us();
                on(Event::Started {
                    job: &job,
                    at_us: handed_us,
                });
                running += 1;
                if task_tx
                    .send(Task {
                        job,
                        archives,
                        handed_us,
                    })
                    .is_err()
                {
                    running -= 1;
                }
            }
            if running == 0 {
                break;
            }
            let Ok(done) = done_rx.recv() else { break };
            running -= 1;
            let (tr, output, runs) = to_tool_result(plan, &done, setup.work, &mut exe);
            tool_runs += runs;
            let spans = match &done.result {
                Ok(r) => r
                    .runs
                    .iter()
                    .map(|run| {
                        let s = done.start_us + run.start.as_secs_f64() * 1e6;
                        Span {
                            kind: tool_kind(&run.tool, done.job.mode),
                            start_us: s,
                            end_us: s + run.took.as_secs_f64() * 1e6,
                        }
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            let timing = Timing {
                start_us: done.start_us,
                end_us: done.end_us,
                spans,
            };
            let exe_now = (done.job.mode == Mode::LinkInstall && tr.status == 0)
                .then(|| exe.clone())
                .flatten();
            session.complete(cache, &done.job, tr, timing);
            let hex = (done.job.mode == Mode::Build)
                .then(|| session.output_hex(done.job.action).map(str::to_string))
                .flatten();
            on(Event::Ran(Ran {
                job: &done.job,
                handed_us: done.handed_us,
                start_us: done.start_us,
                end_us: done.end_us,
                result: &done.result,
                output_hex: hex.as_deref(),
                exe: exe_now.as_deref(),
            }));
            let mut first = true;
            for action in session.take_finished() {
                let output = if first { output.clone() } else { String::new() };
                first = false;
                on(Event::Finished { action, output });
            }
        }
        drop(task_tx);
    });
    Outcome {
        result: session.finish(),
        exe,
        tool_runs,
    }
}

/// A worker's result as core's [`ToolResult`], the tools' output, and how many tools ran.
fn to_tool_result(
    plan: &Plan,
    done: &Done,
    work: &Path,
    exe: &mut Option<PathBuf>,
) -> (ToolResult, String, usize) {
    let job = &done.job;
    let fail = |msg: String, step: Option<usize>, runs: usize| {
        let tr = ToolResult {
            stderr: msg.clone(),
            status: 1,
            failed_step: step,
            ..ToolResult::default()
        };
        (tr, msg, runs)
    };
    let r = match &done.result {
        Err(e) => return fail(format!("buildlab: {e}\n"), None, 0),
        Ok(r) => r,
    };
    let runs: Vec<(Kind, f64)> = r
        .runs
        .iter()
        .map(|run| (tool_kind(&run.tool, job.mode), run.took.as_secs_f64() * 1e3))
        .collect();
    if !r.success {
        return fail(r.output.clone(), r.failed_step, r.processes);
    }
    let x = plan.action(job.action);
    let output = match job.mode {
        Mode::Build => {
            let Some(wd) = x.objdir else {
                return fail(
                    "buildlab: build action without a work dir\n".into(),
                    None,
                    r.processes,
                );
            };
            let path = work.join(format!("{}/_pkg_.a", wd.name()));
            match std::fs::read(&path).ok().and_then(Object::from_archive) {
                Some(o) => Some(o),
                None => {
                    return fail(
                        format!(
                            "buildlab: {}: no Go archive with a build ID\n",
                            path.display()
                        ),
                        None,
                        r.processes,
                    )
                }
            }
        }
        Mode::LinkInstall => {
            // The move into place is the caller's; the binary stays in $WORK.
            let from = plan.steps(job.action).iter().find_map(|s| match s {
                Step::Move { from, .. } => Some(subst_work(from, work)),
                _ => None,
            });
            match from.filter(|p| p.starts_with(work) && p.is_file()) {
                Some(p) => *exe = Some(p),
                None => {
                    return fail(
                        "buildlab: the linked binary is missing from $WORK\n".into(),
                        None,
                        r.processes,
                    )
                }
            }
            None
        }
        _ => None,
    };
    let tr = ToolResult {
        output,
        stdout: String::new(),
        stderr: r.output.clone(),
        status: 0,
        failed_step: None,
        runs,
    };
    (tr, r.output.clone(), r.processes)
}

/// What one action run for a page left behind.
#[derive(Debug)]
pub enum Artifact {
    /// A build action's `_pkg_.a`, as the tools left it (its build ID already rewritten), and
    /// where it is in `$WORK` (nothing reads it there again: the caller may move it away).
    Archive { bytes: Vec<u8>, path: PathBuf },
    /// A link-install's binary, still in `$WORK`.
    Binary(Vec<u8>),
    /// Nothing to keep (a failed action, or a mode without an output).
    None,
}

/// Runs one action of `plan` as a page asked for it (the page's core decided it is a miss and
/// chose the build ID; `archives` are its dependencies' outputs in the store), and collects what
/// it made. The caller stores the artifact; `$WORK` stays until the page's workspace closes, as
/// cmd/go keeps it until the build ends.
pub fn exec_one(
    plan: &Plan,
    action: ActionIx,
    archives: &HashMap<ActionIx, PathBuf>,
    build_id: &str,
    setup: &Setup,
) -> (Result<ExecResult, ExecError>, Artifact) {
    let cx = setup.exec_context(archives, build_id);
    let r = run_action(plan, action, &cx);
    let ok = matches!(&r, Ok(res) if res.success);
    if !ok {
        return (r, Artifact::None);
    }
    let x = plan.action(action);
    let collected = match x.mode {
        Mode::Build => x
            .objdir
            .map(|wd| setup.work.join(format!("{}/_pkg_.a", wd.name())))
            .and_then(|path| Some((std::fs::read(&path).ok()?, path)))
            .filter(|(b, _)| {
                b.starts_with(buildlab_core::object::ARCHIVE_MAGIC)
                    && buildlab_core::object::archive_build_id(b).is_some()
            })
            .map(|(bytes, path)| Artifact::Archive { bytes, path })
            .ok_or("buildlab: the compiler left no Go archive with a build ID in $WORK\n"),
        Mode::LinkInstall => plan
            .steps(action)
            .iter()
            .find_map(|s| match s {
                Step::Move { from, .. } => Some(subst_work(from, setup.work)),
                _ => None,
            })
            .filter(|p| p.starts_with(setup.work))
            .and_then(|p| std::fs::read(p).ok())
            .map(Artifact::Binary)
            .ok_or("buildlab: the linked binary is missing from $WORK\n"),
        _ => Ok(Artifact::None),
    };
    match collected {
        Ok(a) => (r, a),
        Err(msg) => {
            let mut res = r.unwrap_or_default();
            res.success = false;
            res.output.push_str(msg);
            (Ok(res), Artifact::None)
        }
    }
}

/// The build ID of an executable's first bytes: go's raw marker (a simulated binary), else the
/// ELF note `.note.go.buildid` the real linker writes (name `Go`, type 4).
pub fn exe_build_id(head: &[u8]) -> Option<String> {
    if let Some(id) = buildlab_core::build::binary_build_id(head) {
        return Some(id);
    }
    if !head.starts_with(b"\x7fELF") {
        return None;
    }
    const TAG: &[u8] = b"\x04\x00\x00\x00"; // namesz 4 ("Go\0\0")
    let mut i = 0;
    while let Some(off) = head[i..].windows(4).position(|w| w == b"Go\0\0") {
        let at = i + off;
        i = at + 4;
        if at < 12 || &head[at - 12..at - 8] != TAG || &head[at - 4..at] != TAG {
            continue;
        }
        let len = u32::from_le_bytes(head[at - 8..at - 4].try_into().ok()?) as usize;
        let id = head.get(at + 4..at + 4 + len)?;
        if let Ok(s) = std::str::from_utf8(id) {
            if !s.is_empty() && s.split('/').count() >= 2 {
                return Some(s.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elf_note_build_id() {
        let id = "AAAA/BBBB/CCCC/DDDD";
        let mut b = b"\x7fELF....".to_vec();
        b.extend_from_slice(&4u32.to_le_bytes());
        b.extend_from_slice(&(id.len() as u32).to_le_bytes());
        b.extend_from_slice(&4u32.to_le_bytes());
        b.extend_from_slice(b"Go\0\0");
        b.extend_from_slice(id.as_bytes());
        assert_eq!(exe_build_id(&b).as_deref(), Some(id));
        assert_eq!(exe_build_id(b"\x7fELF nothing"), None);
        let sim = buildlab_core::build::binary_bytes("m", "X/Y/Z/W");
        assert_eq!(exe_build_id(&sim).as_deref(), Some("X/Y/Z/W"));
    }
}
