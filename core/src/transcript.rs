//! What `go build` prints: the `-n` script, the `-x` trace, the `-v` package list and the
//! failure reports, rendered from a [`Plan`] and the facts of one execution, exactly as go1.23's
//! `cmd/go/internal/work` (`shell.go`: `ShowCmd`, `fmtCmd`, `writeFile`, `Mkdir`, `RemoveAll`,
//! `moveOrCopyFile`, `reportCmd`; `exec.go`: `build`, `link`, `BuildInstallFunc`) prints them;
//! and the `$WORK` tree that `-work` leaves behind.
//!
//! # Input
//!
//! The plan says what every action *would* do ([`Step`]s with `$WORK` paths and [`BUILD_ID`]
//! placeholders). The caller says what happened, as plain data: one [`ActionRun`] per action, in
//! the order the actions were dispatched, each with a [`RunOutcome`] (a cache hit and the hex name
//! of its output's cache file, ran and stored, failed at a step with the tool's output, skipped
//! after a failure, or up to date because the installed binary is current) and, when known, when
//! it ran ([`RunTiming`]). Cache files are `$GOCACHE/<first 2 hex>/<hex>-d` ([`cache_file`]).
//!
//! # What go prints, and when
//!
//! - `-x` starts with `WORK=/tmp/go-buildNNN` (so does `-work`); `-n` never does, and spells the
//!   work directory `$WORK` everywhere, heredocs included. Under `-x` every command has the work
//!   directory replaced by `$WORK` *except* `cat >… << 'EOF'` heredocs, which show absolute paths.
//! - A command run in a directory is preceded by `cd DIR` when DIR differs from the script's
//!   current directory, and DIR at the start of a word is shown as `.`. The current directory and
//!   the directories made are the whole command's (`shellShared`), not an action's.
//! - `mkdir -p` is shown once per directory per build; `rm -rf DIR` only for a directory that was
//!   made, and never under `-work`.
//! - A `build` that misses runs its steps; under `-n` they are preceded by the `#\n# pkg\n#` banner,
//!   under `-v` by the package's import path (after the banner), under `-x` followed by
//!   `cp $WORK/bNNN/_pkg_.a $GOCACHE/xx/<hex>-d # internal` when stored. A hit prints nothing
//!   (not even under `-v`), and dependents' importcfg name its cache file. The link names each
//!   dependency's output the same way.
//! - The install of a binary that is already current prints only `touch TARGET`, and only under
//!   `-n`; otherwise it moves the linked binary (`mv`; `cp` under `-x` when it comes from the cache).
//! - A failed step is followed by `# pkg` and the tool's output (work directory as `$WORK`,
//!   directories shortened relative to the working directory); go then exits with status 1.
//!
//! # Interleaving
//!
//! go prints each command when the worker running its action issues it: `ShowCmd` comes just
//! before the tool runs (`runOut`), and the file writes, `mkdir`s, `buildid -w` and the cache copy
//! are printed as they happen, so with `-p 2` the lines of two actions alternate. The transcript
//! orders every printed line by the time its step was issued ([`RunTiming`] → per-step times: a
//! step is issued when the tool runs before it in its action have finished; cmd/go's own work
//! comes first), ties in dispatch order. Runs without a timing keep the time of the run before
//! them, so one worker (`-p 1`, and every `-n`, see [`serial_order`]) prints action after action.
//!
//! # What this module does not do
//!
//! It runs nothing, reads no cache and decides no outcome: hits, misses, failures and times come
//! in as data. When the timing lumps several tool runs of a kind into one span (the simulation's
//! asm runs), each gets an equal share. A package's cgo commands ([`Step::Cgo`]) are
//! [`crate::cgo`]'s: under `-n` with gcc's probes, under `-x` with GNU gcc's answers as go's cache
//! holds them (no probe shown); they share the step's time. A failed cgo step prints its commands
//! up to the one that failed when the timing has one span per command run (the real tools), all
//! of them otherwise; go's own error for it (a refused `#cgo` flag) is printed `pkg: message`
//! before any of them. The `-work` tree knows the text of
//! the files cmd/go writes itself (importcfg, importcfg.link, embedcfg); tool outputs (archives,
//! objects, symabis, the compiler's `go_asm.h`, copied headers, cgo's and gcc's files) are listed
//! with unknown size unless the caller fills it in. No IO, no clock, no threads.

use std::collections::BTreeMap;

use crate::cgo;
use crate::object::Names;
use crate::plan::{
    go_quote, ActionIx, FileContents, Invocation, Mode, Plan, Step, Tool, BUILD_ID, WORK,
};
use crate::schedule::{self, Outcome};
use crate::trace::{Kind, Span};

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/// The command-line flags that change what is printed. `-a` is not here: it shows only through
/// the outcomes (every build misses). `-v` is [`RenderInput::verbose`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `-x`: print the commands as they run.
    pub x: bool,
    /// `-n`: print the commands, run nothing (takes precedence over `-x`).
    pub n: bool,
    /// `-work`: print `WORK=` and keep the work directory (no `rm -rf`).
    pub work: bool,
}

/// What became of one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The output was found in the cache: `output_hex` names its cache file.
    Hit { output_hex: String },
    /// Nothing to do because the installed target is current: the link whose binary's build ID
    /// matches, and the main package's compile that only that link needed (cmd/go's "main build
    /// pseudo-cache"). The install above such a link prints `touch TARGET` under `-n`.
    UpToDate,
    /// The steps ran; the output was stored in the cache as `stored_as` (`None` under `-n` and for
    /// outputs go does not store, such as a `go build` link).
    Ran { stored_as: Option<String> },
    /// Step `step` (an index into [`crate::plan::Action::steps`]) failed with `output`, the tool's
    /// combined stdout and stderr. Later steps did not run.
    Failed { step: usize, output: String },
    /// Not run: a dependency failed.
    Skipped,
}

/// When an action ran, µs from the start of the command, and its tool runs as the trace has
/// them ([`Kind::Go`] for cmd/go's own work): what places its commands among those of the
/// actions running beside it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunTiming {
    pub start_us: f64,
    pub end_us: f64,
    pub spans: Vec<Span>,
}

impl RunTiming {
    /// An action that finished as soon as it was dispatched.
    pub fn instant(at_us: f64) -> Self {
        RunTiming {
            start_us: at_us,
            end_us: at_us,
            spans: Vec::new(),
        }
    }
}

/// One dispatched action and its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionRun {
    pub action: ActionIx,
    pub outcome: RunOutcome,
    /// The build ID that replaces [`BUILD_ID`] in the action's command lines (`A/A` for a
    /// compile, the four-part ID for a link); `None` keeps the placeholder.
    pub build_id: Option<String>,
    /// When it ran; `None` places it right after the run before it.
    pub timing: Option<RunTiming>,
}

impl ActionRun {
    pub fn new(action: ActionIx, outcome: RunOutcome) -> Self {
        ActionRun {
            action,
            outcome,
            build_id: None,
            timing: None,
        }
    }
}

/// Everything [`render`] and [`work_tree`] need.
#[derive(Clone, Copy, Debug)]
pub struct RenderInput<'a> {
    pub plan: &'a Plan,
    pub flags: Flags,
    /// `-v`: print each package's import path as its build starts.
    pub verbose: bool,
    /// The work directory go made, e.g. `/tmp/go-build123` (ignored under `-n`).
    pub work_dir: &'a str,
    /// `GOCACHE`, e.g. `/home/gopher/.cache/go-build`.
    pub gocache: &'a str,
    /// The actions in dispatch order. Actions without a run are taken as not run; actions with
    /// nothing to do (`nop`, `built-in package`, the `go build` root) may be listed or not.
    pub runs: &'a [ActionRun],
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// What a piece of the transcript is, so the page can colour and link it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkKind {
    /// `WORK=/tmp/go-buildNNN`.
    WorkDir,
    /// What names a package before its commands: the `-n` banner `\n#\n# pkg\n#\n\n` and the
    /// `-v` line `pkg\n`.
    Banner,
    /// Commands shown by `-n` / `-x` (and `cd` lines between them).
    Commands,
    /// `# pkg` and a failed tool's output.
    ToolOutput,
}

/// A contiguous piece of the transcript and the action that printed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub action: Option<ActionIx>,
    pub kind: ChunkKind,
    /// Whole lines, each ending in `\n`.
    pub text: String,
}

/// What `go build` writes to stderr, and its exit status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    pub chunks: Vec<Chunk>,
    pub exit_status: u8,
}

impl Transcript {
    /// The whole stderr text.
    pub fn text(&self) -> String {
        self.chunks.iter().map(|c| c.text.as_str()).collect()
    }

    /// Puts the load's warnings (`go: warning: "./x/..." matched no packages`) where go prints
    /// them: before everything but `WORK=`, which go's builder prints before it loads anything.
    pub fn insert_warnings(&mut self, warnings: &[String]) {
        if warnings.is_empty() {
            return;
        }
        let at = match self.chunks.first() {
            Some(c) if c.kind == ChunkKind::WorkDir => 1,
            _ => 0,
        };
        let text = warnings.iter().map(|w| format!("{w}\n")).collect();
        let chunk = Chunk {
            action: None,
            kind: ChunkKind::ToolOutput,
            text,
        };
        self.chunks.insert(at, chunk);
    }
}

/// The `WORK=` line go prints first under `-x` or `-work` (never `-n`): its builder makes the
/// work directory before loading, so the line comes before load errors and warnings too.
pub fn work_line(flags: Flags, work_dir: &str) -> Option<String> {
    (!flags.n && (flags.x || flags.work)).then(|| format!("WORK={work_dir}\n"))
}

/// A cache file's path: `$GOCACHE/<first 2 hex>/<hex>-d`.
pub fn cache_file(gocache: &str, hex: &str) -> String {
    format!("{gocache}/{}/{hex}-d", hex.get(..2).unwrap_or(hex))
}

/// The order one worker dispatches the plan's actions in (`-p 1`, and every `-n`): ready
/// actions lowest priority first. A failure does not change it (skipped actions are still
/// dispatched in turn).
pub fn serial_order(plan: &Plan) -> Vec<ActionIx> {
    let mut s = schedule::for_plan(plan, 1);
    let mut order = Vec::with_capacity(s.len());
    while let Some((job, _)) = s.start() {
        order.push(*s.item(job));
        s.finish(job, Outcome::Ok);
    }
    order
}

/// Render what `go build` prints for `input`.
pub fn render(input: &RenderInput) -> Transcript {
    let script = Script::new(input);
    let mut sh = Shell::new(&script);
    sh.work_line();
    for t in script.timed_ops() {
        sh.emit(t.action, t.op);
    }
    Transcript {
        chunks: sh.chunks,
        exit_status: sh.exit_status,
    }
}

/// The transcript of a build still running, a settled piece at a time: what a driver shows
/// while the tools run, with the same text [`render`] gives at the end as its prefix.
///
/// [`render`] of the runs so far would do, but it formats every action's commands again each
/// time: over a build, the cost grows with the square of its actions (a cold build of a real
/// program is hundreds of KB of `-x` text, rendered every few hundred ms beside the tools on
/// the same CPUs). Here each finished run's ops are made once, kept in issue order until they
/// are settled, and printed through the same shell state (`cd` directory, directories made)
/// that [`render`] carries from one action to the next.
#[derive(Debug, Default)]
pub struct Settled {
    /// The runs (by their index in [`RenderInput::runs`]) whose ops are taken.
    taken: Vec<bool>,
    /// Ops of finished runs not printed yet, in [`render`]'s order.
    pending: Vec<Timed>,
    /// The shell state after the ops printed so far.
    script_dir: String,
    made: Names,
    began: bool,
}

impl Settled {
    /// The text settled since the last call: the ops of the finished runs (those with a
    /// timing) in [`render`]'s order, up to the first op of a run that ended at or after
    /// `bound_us`. The caller promises that every op still to come — of the runs without a
    /// timing yet, of actions not dispatched yet — is issued at or after `bound_us` (their
    /// actions start no earlier), so nothing can later sort before what is printed.
    pub fn advance(&mut self, input: &RenderInput, bound_us: f64) -> String {
        let script = Script::new(input);
        let mut sh = Shell::new(&script);
        sh.script_dir = std::mem::take(&mut self.script_dir);
        sh.made = std::mem::take(&mut self.made);
        if !self.began {
            self.began = true;
            sh.work_line();
        }
        self.taken
            .resize(input.runs.len().max(self.taken.len()), false);
        let mut added = false;
        for (i, run) in input.runs.iter().enumerate() {
            if self.taken[i] || run.timing.is_none() {
                continue;
            }
            self.taken[i] = true;
            script.run_ops(i, run, &mut 0.0, &mut self.pending);
            added = true;
        }
        if added {
            crate::sort::sort_by(&mut self.pending, Timed::order);
        }
        let end = |t: &Timed| {
            input.runs[t.seq.0]
                .timing
                .as_ref()
                .map_or(f64::INFINITY, |r| r.end_us)
        };
        let n = self
            .pending
            .iter()
            .take_while(|t| end(t) < bound_us)
            .count();
        for t in self.pending.drain(..n) {
            sh.emit(t.action, t.op);
        }
        self.script_dir = sh.script_dir;
        self.made = sh.made;
        sh.chunks.into_iter().map(|c| c.text).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// What each action prints, and when (exec.go)
// ---------------------------------------------------------------------------------------------

/// One thing an action prints, before the shared shell state (the script's directory, the
/// directories made) decides its final text.
#[derive(Clone, Debug, PartialEq)]
enum Op {
    /// The `-n` banner or the `-v` import path.
    Banner(String),
    /// ShowCmd: a command, run in `dir` (`""`: none shown).
    Show { dir: String, cmd: String },
    /// Mkdir of a `$WORK` directory: shown the first time only.
    Mkdir(String),
    /// RemoveAll of a `$WORK` directory: shown if it was made.
    RemoveAll(String),
    /// reportCmd: `# pkg` and a failed tool's output.
    Report(String),
}

/// An [`Op`] with the time it was issued and its place in dispatch order (ties): its run's index
/// among the runs, then its own among the run's ops.
#[derive(Debug)]
struct Timed {
    at: f64,
    seq: (usize, usize),
    action: ActionIx,
    op: Op,
}

impl Timed {
    /// The order go prints ops in: by issue time, ties in dispatch order.
    fn order(a: &Timed, b: &Timed) -> std::cmp::Ordering {
        a.at.total_cmp(&b.at).then(a.seq.cmp(&b.seq))
    }
}

/// Each action's run outcome by its index in the plan's graph; the last run of an action wins.
fn outcomes_by_action<'a>(input: &'a RenderInput<'a>) -> Vec<Option<&'a RunOutcome>> {
    let mut v = vec![None; input.plan.graph().node_count()];
    for r in input.runs {
        if let Some(slot) = v.get_mut(r.action.index()) {
            *slot = Some(&r.outcome);
        }
    }
    v
}

/// What every action's commands are made of: the plan, the flags, where outputs are.
struct Script<'a> {
    input: &'a RenderInput<'a>,
    plan: &'a Plan,
    /// `$WORK` under `-n`, the real directory otherwise.
    work: String,
    /// Each action's outcome, by its index in the plan's graph (a vector rather than a hash
    /// map: one table type fewer in the page's wasm).
    outcomes: Vec<Option<&'a RunOutcome>>,
}

impl<'a> Script<'a> {
    fn new(input: &'a RenderInput<'a>) -> Self {
        Script {
            input,
            plan: input.plan,
            work: if input.flags.n {
                WORK.to_string()
            } else {
                input.work_dir.to_string()
            },
            outcomes: outcomes_by_action(input),
        }
    }

    /// The outcome of `a`'s run, if it has one.
    fn outcome(&self, a: ActionIx) -> Option<&'a RunOutcome> {
        self.outcomes.get(a.index()).copied().flatten()
    }

    /// A `$WORK` path as the process sees it.
    fn abs(&self, s: &str) -> String {
        s.replace(WORK, &self.work)
    }

    /// Where a dependency's output is, as the process sees it.
    fn output_path(&self, a: ActionIx) -> String {
        match self.outcome(a) {
            Some(RunOutcome::Hit { output_hex }) => cache_file(self.input.gocache, output_hex),
            _ => self.abs(&self.plan.cold_built(a)),
        }
    }

    /// An install whose target is already current: its link (or build) was up to date.
    fn installs_current_target(&self, a: ActionIx) -> bool {
        let x = self.plan.action(a);
        matches!(x.mode, Mode::LinkInstall | Mode::BuildInstall)
            && x.deps.first().and_then(|&d| self.outcome(d)) == Some(&RunOutcome::UpToDate)
    }

    /// Every run's ops in the order go prints them: by issue time, ties in dispatch order.
    fn timed_ops(&self) -> Vec<Timed> {
        let mut all = Vec::new();
        let mut cursor = 0.0_f64;
        for (i, run) in self.input.runs.iter().enumerate() {
            self.run_ops(i, run, &mut cursor, &mut all);
        }
        crate::sort::sort_by(&mut all, Timed::order);
        all
    }

    /// Run `ix`'s ops with the times they were issued, onto `out`. A run without a timing is
    /// placed at `cursor` (the latest time so far), which moves to its ops' latest.
    fn run_ops(&self, ix: usize, run: &ActionRun, cursor: &mut f64, out: &mut Vec<Timed>) {
        let ops = self.ops(run);
        let steps = self.plan.steps(run.action);
        let (times, end) = match &run.timing {
            Some(t) => (step_times(steps, t), t.end_us.max(t.start_us)),
            None => (vec![*cursor; steps.len()], *cursor),
        };
        let first = times.first().copied().unwrap_or(end);
        for (k, (at, op)) in ops.into_iter().enumerate() {
            let at = match at {
                At::Start => first,
                At::Step(i) => times.get(i).copied().unwrap_or(end),
                At::End => end,
            };
            *cursor = cursor.max(at);
            out.push(Timed {
                at,
                seq: (ix, k),
                action: run.action,
                op,
            });
        }
    }

    /// What one action prints, each op with the point of the action it is issued at.
    fn ops(&self, run: &ActionRun) -> Vec<(At, Op)> {
        let plan = self.plan;
        let flags = self.input.flags;
        // Without -n or -x the shell shows no command (`Shell::show`): only the banners and
        // the failures' reports print, so the commands are not even made.
        let showing = flags.n || flags.x;
        let a = run.action;
        let x = plan.action(a);
        let mut ops = Vec::new();
        match &run.outcome {
            RunOutcome::Hit { .. } | RunOutcome::Skipped => return ops,
            RunOutcome::UpToDate if !matches!(x.mode, Mode::LinkInstall | Mode::BuildInstall) => {
                return ops
            }
            _ => {}
        }
        if self.installs_current_target(a) {
            // BuildInstallFunc with a1.built == a.Target: clean up, touch under -n.
            if let (true, Some(d)) = (showing, x.objdir) {
                ops.push((At::Start, Op::RemoveAll(d.path())));
            }
            if let (true, Some(t)) = (flags.n, &x.target) {
                ops.push((
                    At::Start,
                    Op::Show {
                        dir: String::new(),
                        cmd: format!("touch {t}"),
                    },
                ));
            }
            return ops;
        }
        if x.mode == Mode::Build {
            let p = plan.package_path(a);
            if flags.n {
                ops.push((At::Start, Op::Banner(format!("\n#\n# {p}\n#\n\n"))));
            }
            if self.input.verbose {
                ops.push((At::Start, Op::Banner(format!("{p}\n"))));
            }
        }
        // Dependencies whose output is not where the plan assumed (cache hits).
        let moved: Vec<(String, String)> = x
            .deps
            .iter()
            .map(|&d| (plan.cold_built(d), d))
            .filter(|(cold, _)| !cold.is_empty())
            .map(|(cold, d)| (cold, self.output_path(d)))
            .collect();
        let failed_at = match &run.outcome {
            RunOutcome::Failed { step, .. } => Some(*step),
            _ => None,
        };
        // go's own error for the cgo step (a refused flag): reported before any cgo command.
        let go_error = match &run.outcome {
            RunOutcome::Failed { step, output } => {
                matches!(plan.steps(a).get(*step), Some(Step::Cgo { .. }))
                    && cgo::is_go_error(output)
            }
            _ => false,
        };
        let mut generated: Option<cgo::CgoSteps> = None;
        let shown_steps = if showing { plan.steps(a) } else { &[] };
        for (i, step) in shown_steps.iter().enumerate() {
            if let Step::Cgo { .. } = step {
                if !(go_error && failed_at == Some(i)) {
                    let steps = self.cgo_steps(a, run.build_id.as_deref());
                    // A failed step: the commands up to the one that failed, when the timing
                    // says how many ran (one cgo span per command run); else all of them.
                    let ran = match (&run.timing, failed_at == Some(i)) {
                        (Some(t), true) => t.spans.iter().filter(|s| s.kind == Kind::Cgo).count(),
                        _ => 0,
                    };
                    let mut shown = 0;
                    for c in &steps.cmds {
                        if ran > 0 && shown == ran {
                            break;
                        }
                        shown += usize::from(c.kind != cgo::CmdKind::Probe);
                        ops.push((At::Step(i), self.cgo_cmd(c)));
                    }
                    generated = Some(steps);
                }
            } else {
                let op = self.step(step, &moved, run.build_id.as_deref(), generated.as_ref());
                ops.extend(op.map(|op| (At::Step(i), op)));
            }
            if failed_at == Some(i) {
                break;
            }
        }
        match &run.outcome {
            RunOutcome::Ran {
                stored_as: Some(hex),
            } if x.mode == Mode::Build && flags.x && !flags.n => {
                let from = self.abs(&plan.cold_built(a));
                let to = cache_file(self.input.gocache, hex);
                ops.push((
                    At::End,
                    Op::Show {
                        dir: String::new(),
                        cmd: format!("cp {from} {to} # internal"),
                    },
                ));
            }
            RunOutcome::Failed { output, .. } if go_error => {
                let mut text = format!("{}: {output}", plan.package_path(a));
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                ops.push((At::End, Op::Report(text)));
            }
            // go's own error for the package (no non-test Go files): already in its words.
            RunOutcome::Failed { output, .. }
                if plan.package(a).is_some_and(|p| p.build_error().is_some()) =>
            {
                ops.push((At::End, Op::Report(output.clone())));
            }
            RunOutcome::Failed { output, .. } => {
                ops.push((At::End, Op::Report(self.report(a, output))));
            }
            _ => {}
        }
        ops
    }

    /// The cgo steps of build action `a` as go prints them: under `-n` with gcc's probes and
    /// none of the probed flags, otherwise with GNU gcc's answers (cached, so no probe shows).
    fn cgo_steps(&self, a: ActionIx, build_id: Option<&str>) -> cgo::CgoSteps {
        let support = (!self.input.flags.n).then_some(cgo::CcSupport::GCC);
        let mut steps = cgo::for_action(self.plan, a, build_id.unwrap_or(BUILD_ID), support)
            .unwrap_or_default();
        for c in &mut steps.cmds {
            c.dir = self.abs(&c.dir);
            for arg in &mut c.args {
                *arg = self.abs(arg);
            }
        }
        steps
    }

    /// One cgo command's display: runOut's environment and argv, a probe's `|| true`.
    fn cgo_cmd(&self, c: &cgo::CgoCmd) -> Op {
        let program = match c.program {
            cgo::Program::Cgo => cgo::cgo_tool(self.plan.toolchain()),
            cgo::Program::Cc => self.plan.toolchain().cc.clone(),
        };
        let mut cmd = env_prefix(&c.env);
        let argv: Vec<String> = std::iter::once(program)
            .chain(c.args.iter().cloned())
            .collect();
        cmd.push_str(&join_unambiguously(&argv));
        if c.kind == cgo::CmdKind::Probe {
            cmd.push_str(" || true");
        }
        Op::Show {
            dir: c.dir.clone(),
            cmd,
        }
    }

    fn step(
        &self,
        step: &Step,
        moved: &[(String, String)],
        build_id: Option<&str>,
        generated: Option<&cgo::CgoSteps>,
    ) -> Option<Op> {
        let relocate = |s: &String| -> String {
            // The last dependency with that output wins, as when these pairs filled a map.
            match moved.iter().rev().find(|(cold, _)| cold == s) {
                Some((_, p)) => p.clone(),
                None => self.abs(s),
            }
        };
        let show = |cmd: String| Op::Show {
            dir: String::new(),
            cmd,
        };
        Some(match step {
            Step::Mkdir(d) => Op::Mkdir(d.clone()),
            Step::WriteFile { path, contents } => {
                let text = match contents {
                    FileContents::Text(t) => t.clone(),
                    FileContents::ImportCfg(c) => c.render(|d| self.output_path(d)),
                };
                show(write_file_cmd(&self.abs(path), &text))
            }
            Step::Run(inv) => Op::Show {
                dir: inv.dir.clone(),
                cmd: match generated {
                    Some(g) => self.command(&with_generated(inv, g), &relocate, build_id),
                    None => self.command(inv, &relocate, build_id),
                },
            },
            Step::Copy { from, to } => show(format!("cp {} {}", self.abs(from), self.abs(to))),
            Step::Move { from, to } => {
                // moveOrCopyFile: -n always says mv; a file from the cache is copied.
                let src = relocate(from);
                let verb = if !self.input.flags.n && src.starts_with(self.input.gocache) {
                    "cp"
                } else {
                    "mv"
                };
                show(format!("{verb} {src} {to}"))
            }
            Step::RemoveAll(d) => Op::RemoveAll(d.clone()),
            Step::Cgo { .. } => return None,
        })
    }

    /// runOut's display: environment, then the argv joined unambiguously.
    fn command(
        &self,
        inv: &Invocation,
        relocate: &dyn Fn(&String) -> String,
        build_id: Option<&str>,
    ) -> String {
        let mut cmd = env_prefix(&inv.env);
        let argv: Vec<String> = inv
            .argv
            .iter()
            .map(|s| {
                let s = relocate(s);
                match build_id {
                    Some(id) => s.replace(BUILD_ID, id),
                    None => s,
                }
            })
            .collect();
        cmd.push_str(&join_unambiguously(&argv));
        if inv.internal {
            cmd.push_str(" # internal");
        }
        cmd
    }

    /// reportCmd + cmdError: `# pkg` and the output, work dir as `$WORK`, directories shortened.
    fn report(&self, a: ActionIx, output: &str) -> String {
        let mut out = output.to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        if !self.input.flags.n {
            out = replace_prefix(&out, &self.work, WORK);
        }
        let cwd = self.plan.input().cwd.as_str();
        let mut dir = self
            .plan
            .package(a)
            .map(|p| p.dir.clone())
            .unwrap_or_default();
        while !dir.is_empty() {
            let rel = short_path(&dir, cwd);
            if rel != dir {
                out = replace_prefix(&out, &dir, &rel);
            }
            match dir.rfind('/') {
                Some(0) if dir != "/" => dir = "/".into(),
                Some(i) if i > 0 => dir.truncate(i),
                _ => break,
            }
        }
        format!("# {}\n{out}", self.plan.package_path(a))
    }
}

/// The point of its action at which an op is issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    /// Before the first step (the banners).
    Start,
    /// With step `i` of the action's steps.
    Step(usize),
    /// When the action ends (the cache copy, a failure's report).
    End,
}

/// writeFile's display: `echo -n`, a one-line `echo`, or a heredoc.
fn write_file_cmd(path: &str, text: &str) -> String {
    if text.is_empty() {
        format!("echo -n > {path} # internal")
    } else if text.find('\n') == Some(text.len() - 1) {
        format!("echo '{}' > {path} # internal", &text[..text.len() - 1])
    } else {
        format!("cat >{path} << 'EOF' # internal\n{text}EOF")
    }
}

/// The tool runs a step stands for on the timeline, if any (`pack` and `buildid -w` are cmd/go's
/// own work, `# internal`).
fn step_kind(step: &Step) -> Option<Kind> {
    match step {
        Step::Run(inv) => match inv.tool {
            Tool::Compile => Some(Kind::Compile),
            Tool::Asm => Some(Kind::Asm),
            Tool::Link => Some(Kind::Link),
            Tool::Pack | Tool::BuildId => None,
        },
        Step::Cgo { .. } => Some(Kind::Cgo),
        Step::Move { .. } => Some(Kind::Install),
        _ => None,
    }
}

/// `f64::clamp` for bounds known to be ordered (`lo <= hi`), without its assertion: that
/// assertion's message prints the bounds with `{:?}`, which alone kept core's float formatter
/// (~9 KB of wasm) in the page's first module. Same result, NaN included (`x` comes back).
fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// When each of an action's steps is issued. go prints a command just before it runs it, so a
/// step is issued once the tool runs before it in its action are done. cmd/go's own work
/// ([`Kind::Go`]: the action ID, the cache lookup) comes first. The tool time (every other span)
/// goes to the tool steps: each step of a kind an equal share of that kind's spans (the
/// simulation has one span per kind, real tools one per run); a kind the timing gives no time
/// although the action runs it (the calibrated model folds `asm` into `compile`) counts as an
/// average tool step, and all shares are scaled to the tool time. Steps that are not tool runs
/// take no time. Clamped to the action's span.
fn step_times(steps: &[Step], t: &RunTiming) -> Vec<f64> {
    let total = |k: Kind| -> f64 {
        t.spans
            .iter()
            .filter(|s| s.kind == k)
            .map(|s| (s.end_us - s.start_us).max(0.0))
            .sum()
    };
    let count = |k: Kind| steps.iter().filter(|s| step_kind(s) == Some(k)).count() as f64;
    let tools: Vec<Kind> = steps.iter().filter_map(step_kind).collect();
    let pool: f64 = t
        .spans
        .iter()
        .filter(|s| s.kind != Kind::Go)
        .map(|s| (s.end_us - s.start_us).max(0.0))
        .sum();
    let average = if tools.is_empty() {
        0.0
    } else {
        pool / tools.len() as f64
    };
    let weight = |k: Kind| match total(k) {
        w if w > 0.0 => w / count(k),
        _ => average,
    };
    let weights: f64 = tools.iter().map(|&k| weight(k)).sum();
    let scale = if weights > 0.0 { pool / weights } else { 0.0 };
    let end = t.end_us.max(t.start_us);
    let mut at = t.start_us + total(Kind::Go);
    steps
        .iter()
        .map(|s| {
            let issued = clamp(at, t.start_us, end);
            if let Some(k) = step_kind(s) {
                at += weight(k) * scale;
            }
            issued
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The shell (shell.go)
// ---------------------------------------------------------------------------------------------

/// The state every action's printing shares (`shellShared`), and the chunks printed so far.
struct Shell<'a> {
    script: &'a Script<'a>,
    /// The directory of the printed script (`scriptDir`).
    script_dir: String,
    /// `mkdirCache`, in `$WORK` form.
    made: Names,
    chunks: Vec<Chunk>,
    exit_status: u8,
}

impl<'a> Shell<'a> {
    /// `WORK=` first, under `-x` or `-work` (never `-n`).
    fn work_line(&mut self) {
        let input = self.script.input;
        if let Some(text) = work_line(input.flags, input.work_dir) {
            self.push(None, ChunkKind::WorkDir, text);
        }
    }

    fn new(script: &'a Script<'a>) -> Self {
        Shell {
            script,
            script_dir: String::new(),
            made: Names::new(),
            chunks: Vec::new(),
            exit_status: 0,
        }
    }

    fn showing(&self) -> bool {
        self.script.input.flags.n || self.script.input.flags.x
    }

    /// Appends to the transcript, continuing the last chunk when it is the same action's and kind.
    fn push(&mut self, action: Option<ActionIx>, kind: ChunkKind, text: String) {
        if text.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some(c) if c.action == action && c.kind == kind => c.text.push_str(&text),
            _ => self.chunks.push(Chunk { action, kind, text }),
        }
    }

    /// Prints one op of action `a`.
    fn emit(&mut self, a: ActionIx, op: Op) {
        match op {
            Op::Banner(text) => self.push(Some(a), ChunkKind::Banner, text),
            Op::Show { dir, cmd } => self.show(a, &dir, cmd),
            Op::Mkdir(d) => {
                if self.made.insert(d.clone()) {
                    let cmd = format!("mkdir -p {}", self.script.abs(&d));
                    self.show(a, "", cmd);
                }
            }
            Op::RemoveAll(d) => {
                // Called only through cleanup, so never under -work.
                if !self.script.input.flags.work && self.made.contains(&d) {
                    let cmd = format!("rm -rf {}", self.script.abs(&d));
                    self.show(a, "", cmd);
                }
            }
            Op::Report(text) => {
                self.push(Some(a), ChunkKind::ToolOutput, text);
                self.exit_status = 1;
            }
        }
    }

    /// fmtCmd: the work directory (and its quoted spelling) becomes `$WORK`, except in heredocs.
    fn fmt_cmd(&self, cmd: String) -> String {
        let work = &self.script.work;
        if self.script.input.flags.n || work.is_empty() || cmd.starts_with("cat ") {
            return cmd;
        }
        let mut cmd = cmd.replace(work.as_str(), WORK);
        let q = go_quote(work.as_bytes());
        let escaped = &q[1..q.len() - 1];
        if escaped != work {
            cmd = cmd.replace(escaped, WORK);
        }
        cmd
    }

    /// ShowCmd.
    fn show(&mut self, a: ActionIx, dir: &str, cmd: String) {
        if !self.showing() {
            return;
        }
        let mut cmd = self.fmt_cmd(cmd);
        let mut text = String::new();
        if !dir.is_empty() && dir != "/" {
            if dir != self.script_dir {
                text.push_str(&self.fmt_cmd(format!("cd {dir}")));
                text.push('\n');
                self.script_dir = dir.to_string();
            }
            let dot = if dir.ends_with('/') { " ./" } else { " ." };
            cmd = format!(" {cmd}").replace(&format!(" {dir}"), dot)[1..].to_string();
        }
        text.push_str(&cmd);
        text.push('\n');
        self.push(Some(a), ChunkKind::Commands, text);
    }
}

/// runOut's display of a command's environment: `K='v' ` each.
fn env_prefix(env: &[(String, String)]) -> String {
    let mut cmd = String::new();
    for (k, v) in env {
        if v.contains('\'') {
            cmd.push_str(&format!("{k}={} ", go_quote(v.as_bytes())));
        } else {
            cmd.push_str(&format!("{k}='{v}' "));
        }
    }
    cmd
}

/// A step of a package using cgo with what cgo generated: the compile lists the generated Go
/// files after the package's own; `pack r` adds gcc's objects after the assembly objects and
/// before the `.syso` files (exec.go's order).
pub fn with_generated(inv: &Invocation, g: &cgo::CgoSteps) -> Invocation {
    let mut inv = inv.clone();
    match inv.tool {
        Tool::Compile => inv.argv.extend(g.go_files.iter().cloned()),
        Tool::Pack => {
            // argv: pack r ARCHIVE [objdir objects] [syso]; the archive is in the objdir too.
            let objdir = g
                .objects
                .first()
                .and_then(|o| o.rfind('/').map(|i| &o[..=i]));
            let at = inv
                .argv
                .iter()
                .rposition(|a| objdir.is_some_and(|d| a.starts_with(d)))
                .map_or(inv.argv.len(), |i| i + 1)
                .max(3.min(inv.argv.len()));
            inv.argv.splice(at..at, g.objects.iter().cloned());
        }
        _ => {}
    }
    inv
}

/// joinUnambiguously.
fn join_unambiguously(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let q = go_quote(a.as_bytes());
            if a.is_empty() || a.contains([' ', '(', ')', '>', ';']) || q.len() > a.len() + 2 {
                q
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// replacePrefix: replace `old` where it starts the text, a line, or follows a space or tab.
fn replace_prefix(s: &str, old: &str, new: &str) -> String {
    if old.is_empty() || !s.contains(old) {
        return s.to_string();
    }
    let mut s = s
        .replace(&format!(" {old}"), &format!(" {new}"))
        .replace(&format!("\n{old}"), &format!("\n{new}"))
        .replace(&format!("\n\t{old}"), &format!("\n\t{new}"));
    if let Some(rest) = s.strip_prefix(old) {
        s = format!("{new}{rest}");
    }
    s
}

/// base.ShortPath: the path relative to `cwd` when that is shorter (both absolute, lexical).
pub(crate) fn short_path(path: &str, cwd: &str) -> String {
    if !path.starts_with('/') || !cwd.starts_with('/') {
        return path.to_string();
    }
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let c: Vec<&str> = cwd.split('/').filter(|s| !s.is_empty()).collect();
    let common = p.iter().zip(&c).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; c.len() - common];
    parts.extend(&p[common..]);
    let rel = if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    };
    if rel.len() < path.len() {
        rel
    } else {
        path.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// The kept work tree (-work)
// ---------------------------------------------------------------------------------------------

/// One entry of the work tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkEntry {
    Dir,
    /// A file; `text` when cmd/go wrote it itself, `size` when known (the text's length, or
    /// filled in by the caller for tool outputs).
    File {
        text: Option<String>,
        size: Option<u64>,
    },
}

/// What `$WORK` holds when the build ends and `-work` keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkTree {
    /// The work directory (`/tmp/go-build123`).
    pub root: String,
    /// Paths relative to the root (`b001`, `b001/importcfg`), sorted bytewise as `sort` in the
    /// C locale sorts `find` output.
    pub entries: BTreeMap<String, WorkEntry>,
}

impl WorkTree {
    fn dir(&mut self, rel: &str) {
        let mut at = 0;
        while let Some(i) = rel[at..].find('/') {
            self.entries
                .entry(rel[..at + i].to_string())
                .or_insert(WorkEntry::Dir);
            at += i + 1;
        }
        if !rel.is_empty() {
            self.entries.insert(rel.to_string(), WorkEntry::Dir);
        }
    }

    fn file(&mut self, rel: &str, text: Option<String>) {
        if let Some(i) = rel.rfind('/') {
            self.dir(&rel[..i]);
        }
        let size = text.as_ref().map(|t| t.len() as u64);
        self.entries
            .insert(rel.to_string(), WorkEntry::File { text, size });
    }

    fn remove(&mut self, rel: &str) {
        let prefix = format!("{rel}/");
        self.entries
            .retain(|k, _| k != rel && !k.starts_with(&prefix));
    }

    /// The listing in the layout of the oracle's `work-dir-*.txt`: `WORK=`, `== find (sorted)`,
    /// `== sizes` (`?` for an unknown size), then `==== ./path` and the text of every file whose
    /// text is known.
    pub fn render(&self) -> String {
        let mut s = format!("WORK={}\n== find (sorted)\n.\n", self.root);
        for k in self.entries.keys() {
            s.push_str(&format!("./{k}\n"));
        }
        s.push_str("== sizes\n");
        for (k, e) in &self.entries {
            if let WorkEntry::File { size, .. } = e {
                match size {
                    Some(n) => s.push_str(&format!("{n} ./{k}\n")),
                    None => s.push_str(&format!("? ./{k}\n")),
                }
            }
        }
        for (k, e) in &self.entries {
            if let WorkEntry::File { text: Some(t), .. } = e {
                s.push_str(&format!("==== ./{k}\n{t}"));
            }
        }
        s
    }
}

/// The tree the runs leave in the work directory when it is kept (`-work`): every directory
/// made, file written and tool output of the actions that ran, minus what was moved out.
/// `None` under `-n`, which writes nothing.
pub fn work_tree(input: &RenderInput) -> Option<WorkTree> {
    if input.flags.n {
        return None;
    }
    let sh = Script::new(input);
    let plan = input.plan;
    let mut tree = WorkTree {
        root: input.work_dir.to_string(),
        entries: BTreeMap::new(),
    };
    let prefix = format!("{WORK}/");
    let rel = |p: &str| -> Option<String> {
        p.strip_prefix(&prefix)
            .map(|r| r.trim_end_matches('/').to_string())
    };
    for run in input.runs {
        let steps = plan.steps(run.action);
        let last = match &run.outcome {
            RunOutcome::Ran { .. } => steps.len(),
            RunOutcome::Failed { step, .. } => *step,
            _ => continue,
        };
        if sh.installs_current_target(run.action) {
            continue;
        }
        for step in &steps[..last.min(steps.len())] {
            match step {
                Step::Mkdir(d) => {
                    if let Some(r) = rel(d) {
                        tree.dir(&r);
                    }
                }
                Step::WriteFile { path, contents } => {
                    let text = match contents {
                        FileContents::Text(t) => t.clone(),
                        FileContents::ImportCfg(c) => c.render(|d| sh.output_path(d)),
                    };
                    if let Some(r) = rel(path) {
                        tree.file(&r, Some(text));
                    }
                }
                Step::Run(inv) => {
                    for flag in ["-o", "-asmhdr"] {
                        let out = inv.argv.windows(2).find(|w| w[0] == flag).map(|w| &w[1]);
                        if let Some(r) = out.and_then(|o| rel(o)) {
                            tree.file(&r, None);
                        }
                    }
                }
                Step::Copy { to, .. } => {
                    if let Some(r) = rel(to) {
                        tree.file(&r, None);
                    }
                }
                Step::Move { from, .. } => {
                    if let Some(r) = rel(from) {
                        tree.remove(&r);
                    }
                }
                Step::Cgo { .. } => {
                    let steps =
                        cgo::for_action(plan, run.action, BUILD_ID, Some(cgo::CcSupport::GCC));
                    for f in steps.iter().flat_map(|g| &g.outputs) {
                        if let Some(r) = rel(f) {
                            tree.file(&r, None);
                        }
                    }
                }
                Step::RemoveAll(_) => {}
            }
        }
    }
    Some(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_helpers_match_go() {
        assert_eq!(cache_file("/c", "ab12"), "/c/ab/ab12-d");
        assert_eq!(
            join_unambiguously(&["a".into(), "".into(), "x=>".into(), "b c".into()]),
            "a \"\" \"x=>\" \"b c\""
        );
        assert_eq!(short_path("/m/x", "/m/x"), ".");
        for x in [
            -1.5,
            0.0,
            2.0,
            3.0,
            7.25,
            9.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(clamp(x, 0.0, 3.0), x.clamp(0.0, 3.0), "{x}");
        }
        assert!(clamp(f64::NAN, 0.0, 3.0).is_nan());
        assert_eq!(short_path("/mm/y/z", "/mm/x"), "../y/z");
        assert_eq!(short_path("/m/y/z", "/m/x"), "/m/y/z"); // not shorter
        assert_eq!(short_path("/a", "/m/x/y"), "/a");
        assert_eq!(
            replace_prefix("/w/b1/x.go:1\n/w/b1 y /w/b1\t/w", "/w/b1", "$WORK"),
            "$WORK/x.go:1\n$WORK y $WORK\t/w"
        );
    }

    /// The compile of a package using cgo lists cgo's Go files after the package's own; `pack r`
    /// puts gcc's objects after the assembly objects and before the `.syso` files.
    #[test]
    fn generated_files_join_the_compile_and_the_pack() {
        let g = cgo::CgoSteps {
            go_files: vec!["$WORK/b002/_cgo_gotypes.go".into()],
            objects: vec!["$WORK/b002/_x001.o".into(), "$WORK/b002/_x002.o".into()],
            ..Default::default()
        };
        let inv = |tool, argv: &[&str]| Invocation {
            tool,
            dir: String::new(),
            env: Vec::new(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            internal: false,
        };
        let compile = with_generated(&inv(Tool::Compile, &["compile", "-pack", "/m/a.go"]), &g);
        assert_eq!(
            compile.argv,
            ["compile", "-pack", "/m/a.go", "$WORK/b002/_cgo_gotypes.go"]
        );
        let pack = inv(
            Tool::Pack,
            &[
                "pack",
                "r",
                "$WORK/b002/_pkg_.a",
                "$WORK/b002/a.o",
                "/m/x.syso",
            ],
        );
        assert_eq!(
            with_generated(&pack, &g).argv,
            [
                "pack",
                "r",
                "$WORK/b002/_pkg_.a",
                "$WORK/b002/a.o",
                "$WORK/b002/_x001.o",
                "$WORK/b002/_x002.o",
                "/m/x.syso"
            ]
        );
        let bare = inv(Tool::Pack, &["pack", "r", "$WORK/b002/_pkg_.a"]);
        assert_eq!(with_generated(&bare, &g).argv.len(), 5);
    }
}
