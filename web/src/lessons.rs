//! Lesson steps on the page's own session: a step's experiment ([`buildlab_core::lesson::Action`]s)
//! performed on the same workspace, IndexedDB cache, why-rebuilt record and binaries as the
//! Build button, with the same semantics as the reference driver [`buildlab_core::lesson::Lab`];
//! and the learner's answers checked with [`buildlab_core::lesson::check`] against the builds the
//! step just made ([`StepRun`], kept in the session). The page never checks an answer itself.
//!
//! Not here: parsing lessons (core's [`buildlab_core::lesson::parse`]), fetching lesson files (the
//! page ships them as static files), JS types ([`crate::dto`]).

use std::cell::RefCell;

use buildlab_core::build::BuildResult;
use buildlab_core::lesson::{self, Action, Answer, Check, Edit, Kind, Lesson, Observed, Verdict};
use buildlab_core::trace::TraceAction;

use crate::goflags::BuildFlags;
use crate::session::{self, Built, PlanFailure, Planned, Session};
use crate::store::Backend;

/// The last step that ran and the builds it made, by label, in order.
pub struct StepRun {
    pub lesson: Lesson,
    pub step: usize,
    pub builds: Vec<(String, BuildResult)>,
    /// `go env GOCACHE` and the module's directory when the step ran.
    pub gocache: String,
    pub module_root: String,
    /// The module's packages (not the standard library's) in the step's last build.
    pub packages: Vec<String>,
}

impl StepRun {
    fn observed(&self) -> Observed<'_> {
        Observed {
            builds: self.builds.iter().map(|(l, r)| (l.as_str(), r)).collect(),
            gocache: &self.gocache,
            module_root: &self.module_root,
        }
    }

    /// Checks the learner's `answer` (a JSON value, or the text they typed) to question `q`.
    pub fn check(&self, q: usize, answer: &serde_json::Value) -> Result<Verdict, String> {
        let question = self.lesson.steps[self.step]
            .questions
            .get(q)
            .ok_or_else(|| format!("this step has no question {}", q + 1))?;
        let answer = read_answer(question.check.kind(), answer)?;
        lesson::check(question, &self.observed(), answer)
    }

    /// The options the page offers for question `q`: the author's `choices`, else for a set of
    /// packages the module's packages.
    pub fn choices(&self, q: &lesson::Question) -> Vec<String> {
        match (&q.check, q.choices.is_empty()) {
            (Check::Compiled { .. }, true) => self.packages.clone(),
            _ => q.choices.clone(),
        }
    }
}

/// Reads a learner's answer of `kind`: JSON of that type, or text as typed (`3`, `yes`/`no`,
/// `a, b`). The error is a sentence for the learner.
pub fn read_answer(kind: Kind, v: &serde_json::Value) -> Result<Answer, String> {
    if let Some(a) = lesson::answer_from_json(kind, v) {
        return Ok(a);
    }
    let text = v.as_str().map(str::trim).unwrap_or_default();
    match kind {
        Kind::Number => text
            .parse::<i64>()
            .map(Answer::Number)
            .map_err(|_| "type a whole number".to_string()),
        Kind::YesNo => match text.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => Ok(Answer::YesNo(true)),
            "no" | "n" | "false" => Ok(Answer::YesNo(false)),
            _ => Err("answer yes or no".to_string()),
        },
        Kind::Text if !text.is_empty() => Ok(Answer::Text(text.to_string())),
        Kind::Text => Err("pick one of the choices".to_string()),
        Kind::Set => Ok(Answer::Set(
            text.split([',', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        )
        .normalized()),
    }
}

/// What a step tells the page while it runs, besides the builds' own progress.
pub enum StepEvent<'a> {
    /// A command the experiment runs, as the terminal echoes it (`go build -x .`).
    Command(&'a str),
    /// What a command printed.
    Output(&'a str),
    /// A build finished.
    Built(&'a str, &'a Built),
}

/// Runs step `step` of `lesson` on the session: every action in order, each build through
/// [`session::build`]. Returns the step's builds; the session keeps them as its [`StepRun`].
/// A failure to plan or a bad edit stops the step with a sentence.
pub async fn run_step<B: Backend + Clone>(
    cell: &RefCell<Session<B>>,
    lesson: Lesson,
    step: usize,
    now: i64,
    events: &mut dyn FnMut(StepEvent),
    progress: &mut dyn FnMut(&Planned, Vec<TraceAction>),
) -> Result<(), String> {
    let s = lesson
        .steps
        .get(step)
        .ok_or_else(|| format!("lesson {} has no step {}", lesson.id, step + 1))?
        .clone();
    cell.borrow_mut().set_step(None);
    let mut builds: Vec<(String, BuildResult)> = Vec::new();
    let mut packages = Vec::new();
    let mut clock = now;
    for a in &s.run {
        match a {
            Action::Open(name) => {
                let ws = lesson
                    .workspaces
                    .get(name)
                    .ok_or_else(|| format!("no workspace {name:?}"))?
                    .workspace()?;
                let mut s = cell.borrow_mut();
                s.load(ws);
                s.remove_binaries();
            }
            Action::CleanCache => {
                events(StepEvent::Command("go clean -cache"));
                session::clean_cache(cell).await?;
            }
            Action::Build(b) => {
                let argv = b.argv();
                events(StepEvent::Command(&argv.join(" ")));
                let req = session::Request {
                    flags: BuildFlags {
                        x: b.x,
                        n: b.n,
                        a: b.a,
                        work: b.work,
                        p: b.p,
                        patterns: b.patterns.clone(),
                        ..Default::default()
                    },
                    cpus: b.cpus,
                    cwd: String::new(),
                };
                // Every build a second later on the cache's clock, as the reference driver does.
                clock += 1_000_000_000;
                let built = session::build(cell, &req, clock, progress)
                    .await
                    .map_err(|f| failure_text(&f))?;
                events(StepEvent::Built(&b.label, &built));
                packages = built
                    .planned
                    .plan
                    .input()
                    .packages
                    .iter()
                    .filter(|k| !k.standard)
                    .map(|k| k.import_path.clone())
                    .collect();
                packages.sort();
                let Built {
                    planned, result, ..
                } = built;
                let mut s = cell.borrow_mut();
                s.remember(b.label.clone(), planned, result.trace.clone());
                s.last_report = Some(result.report.clone());
                drop(s);
                builds.push((b.label.clone(), result));
            }
            Action::Edit { file, change } => {
                let mut s = cell.borrow_mut();
                let mut ws = s.workspace().clone();
                let old = ws
                    .get(file)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .ok_or_else(|| format!("edit: no file {file:?}"))?;
                let new = match change {
                    Edit::Append(t) => format!("{old}{t}"),
                    Edit::Replace { old: from, new: to } => {
                        if old.matches(from.as_str()).count() != 1 {
                            return Err(format!(
                                "edit {file}: {from:?} does not occur exactly once"
                            ));
                        }
                        old.replacen(from.as_str(), to, 1)
                    }
                };
                ws.insert(file, new).map_err(|e| e.to_string())?;
                s.load(ws);
            }
            Action::Write { file, text } => {
                let mut s = cell.borrow_mut();
                let mut ws = s.workspace().clone();
                ws.insert(file, text.clone()).map_err(|e| e.to_string())?;
                s.load(ws);
            }
            Action::Delete { file } => {
                let mut s = cell.borrow_mut();
                let mut ws = s.workspace().clone();
                ws.remove(file)
                    .ok_or_else(|| format!("delete: no file {file:?}"))?;
                s.load(ws);
            }
            Action::RemoveBinary => {
                let mut s = cell.borrow_mut();
                let bin = s.binary_name().unwrap_or_else(|| "the binary".into());
                events(StepEvent::Command(&format!("rm {bin}")));
                s.remove_binaries();
            }
            Action::Env(var) => {
                events(StepEvent::Command(&format!("go env {var}")));
                let v = crate::go_env(var).unwrap_or_default();
                events(StepEvent::Output(&format!("{v}\n")));
            }
        }
    }
    let mut s = cell.borrow_mut();
    let module_root = s.module_root().to_string();
    s.set_step(Some(StepRun {
        lesson,
        step,
        builds,
        gocache: crate::gocache(),
        module_root,
        packages,
    }));
    Ok(())
}

fn failure_text(f: &PlanFailure) -> String {
    crate::dto::Plan::failed(f).error_text
}
