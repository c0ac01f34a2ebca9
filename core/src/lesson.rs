//! Lessons as data: one JSON file per lesson (`lessons/NN-name.json`), parsed and validated here,
//! and the closed set of checks that compare a learner's answer with the build that just ran.
//!
//! A lesson is a list of steps. Each step has text (the author's words), a button that runs an
//! experiment — a short script of [`Action`]s: open a workspace, clean the cache, build with some
//! flags, edit a file, delete the binary, ask `go env` — and questions. A question names a
//! [`Check`]: a measurement of the builds the experiment made (which packages compiled, how many
//! `compile` lines `-x` printed, whether every build action hit the cache, …). The learner's
//! answer is compared with the measurement, never with a stored answer, so the page cannot
//! contradict the build it shows. The author's `expect` is for the tests, which run every
//! experiment through [`crate::build::simulate`] ([`Lab`]) and require the measurement to agree:
//! a lesson cannot claim something the model does not show.
//!
//! The format is documented for authors in `docs/lessons.md`; [`LESSON_FORMAT`] is its version
//! and a file with a newer one is refused with a clear message.
//!
//! [`Lab`] is the reference driver of experiments: a workspace, an in-memory cache, the
//! why-rebuilt record and the binary in place, as the page keeps them. The page runs experiments
//! on its own session (its cache is IndexedDB) with the same semantics and hands the results to
//! [`check`]. Not here: rendering, IO, reading lesson files (the caller passes their text).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::actionid::WorkspaceFiles;
use crate::build::{simulate, BuildResult, Config};
use crate::cache::MemoryCache;
use crate::cost::{CostModel, Machine};
use crate::load::{load, LoadRequest};
use crate::plan::{plan, Toolchain};
use crate::rebuild::{Flags, Record};
use crate::schedule;
use crate::transcript;
use crate::why::{MissReason, Outcome};
use crate::workspace::{normalize, Workspace};

/// The lesson format this build reads.
pub const LESSON_FORMAT: u32 = 1;

const MAX_STEPS: usize = 20;
const MAX_ACTIONS: usize = 20;
const MAX_QUESTIONS: usize = 4;
const MAX_CPUS: usize = 64;

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/// One lesson, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// The file's stem (`03-cache`), also its URL name.
    pub id: String,
    pub title: String,
    /// One line for the lesson list.
    pub summary: String,
    /// The tutorial section it teaches, if any (free text: `"4"`, `"5: misconceptions"`).
    pub seed: Option<String>,
    /// Named workspaces the steps open.
    pub workspaces: BTreeMap<String, WorkspaceSource>,
    pub steps: Vec<Step>,
}

/// Where a workspace comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkspaceSource {
    /// A built-in sample (`hello`).
    Sample(String),
    /// Inline txtar.
    Txtar(String),
}

impl WorkspaceSource {
    pub fn workspace(&self) -> Result<Workspace, String> {
        match self {
            WorkspaceSource::Sample(name) => {
                sample(name).ok_or_else(|| format!("no sample named {name:?}"))
            }
            WorkspaceSource::Txtar(t) => Workspace::from_txtar(t)
                .map(|(_, ws)| ws)
                .map_err(|e| e.to_string()),
        }
    }
}

/// The built-in samples a lesson may name.
pub fn sample(name: &str) -> Option<Workspace> {
    match name {
        "hello" => Some(crate::sample::hello()),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    /// Paragraphs, plain text (the page may show `backticks` as code).
    pub text: Vec<String>,
    /// The button's label.
    pub button: String,
    /// The experiment; always starts with [`Action::Open`], so one click reproduces it.
    pub run: Vec<Action>,
    pub questions: Vec<Question>,
}

/// One move of an experiment, as the page performs it.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Put the named workspace in the working directory: its files replace the old ones and no
    /// binary is left there. The cache (global, per user) and the why-rebuilt record stay.
    Open(String),
    /// `go clean -cache`.
    CleanCache,
    /// `go build [flags] [patterns]`, recorded under `label`.
    Build(BuildStep),
    /// Change a file's text: append to it, or replace one exact occurrence.
    Edit {
        file: String,
        change: Edit,
    },
    /// Write a whole file (create or replace).
    Write {
        file: String,
        text: String,
    },
    Delete {
        file: String,
    },
    /// `rm` the binary the last build installed.
    RemoveBinary,
    /// `go env VAR`, shown in the terminal.
    Env(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    Append(String),
    Replace { old: String, new: String },
}

/// A build of an experiment: `go build` flags as the command line spells them.
#[derive(Clone, Debug, PartialEq)]
pub struct BuildStep {
    pub label: String,
    /// `-x`, `-n`, `-a`, `-work`.
    pub x: bool,
    pub n: bool,
    pub a: bool,
    pub work: bool,
    /// `-p N`.
    pub p: Option<usize>,
    /// The virtual machine's CPUs (default 2).
    pub cpus: usize,
    pub patterns: Vec<String>,
}

impl BuildStep {
    /// The command line the page shows and runs: `["go", "build", "-x", "-p", "4", "."]`.
    pub fn argv(&self) -> Vec<String> {
        let mut v = vec!["go".to_string(), "build".to_string()];
        for (on, f) in [
            (self.a, "-a"),
            (self.n, "-n"),
            (self.x, "-x"),
            (self.work, "-work"),
        ] {
            if on {
                v.push(f.into());
            }
        }
        if let Some(p) = self.p {
            v.push("-p".into());
            v.push(p.to_string());
        }
        v.extend(self.patterns.iter().cloned());
        v
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub ask: String,
    pub check: Check,
    /// For [`Kind::Text`] checks: the options offered. For sets: the options offered, or empty
    /// for "the module's packages".
    pub choices: Vec<String>,
    /// The author's answer; the tests require the model to agree.
    pub expect: Answer,
    /// Shown once the learner has answered.
    pub explain: String,
}

/// What a question measures in the builds of its step. `build` is a label; `None` means the
/// step's last build.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// The packages compiled (sorted import paths); `all` includes the standard library.
    Compiled { build: Option<String>, all: bool },
    /// How many packages compiled.
    CompiledCount { build: Option<String>, all: bool },
    /// How many lines of the transcript run this tool (`compile`, `asm`, `pack`, `link`): needs
    /// `-x` or `-n`.
    ToolRuns { build: Option<String>, tool: String },
    /// Whether the link ran.
    LinkRan { build: Option<String> },
    /// Whether every package came from the cache or was already up to date (none compiled).
    NothingCompiled { build: Option<String> },
    /// How many actions were cache hits.
    CacheHits { build: Option<String> },
    /// An action's outcome (`build example.com/m/util`, `link example.com/m`), as a word:
    /// `hit`, `up-to-date`, `forced`, `not-in-cache`, `inputs-changed`, `link-not-cached`,
    /// `target-missing`, `corrupt`, or `absent`.
    Outcome {
        build: Option<String>,
        action: String,
    },
    /// The hashed inputs of an action that changed since the previous build, as
    /// `file NAME` / `import PATH` / `config WHAT`, sorted.
    ChangedInputs {
        build: Option<String>,
        action: String,
    },
    /// Whether the transcript contains `text`.
    TranscriptHas { build: Option<String>, text: String },
    /// Whether `build` took less wall time than `than`.
    Faster { build: String, than: String },
    /// Whether `build` was at least `factor` times faster than `than`.
    SpeedupAtLeast {
        build: String,
        than: String,
        factor: f64,
    },
    /// The most actions running at once (from the trace).
    MaxParallel { build: Option<String> },
    /// Whether `GOCACHE` lies outside the module's directory.
    CacheOutsideModule,
    /// go's exit status.
    ExitStatus { build: Option<String> },
}

/// The type of a check's value, and so of the learner's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Number,
    YesNo,
    Text,
    Set,
}

/// A measurement, an answer or an expectation.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Number(i64),
    YesNo(bool),
    Text(String),
    /// Sorted, without duplicates.
    Set(Vec<String>),
}

impl Answer {
    pub fn kind(&self) -> Kind {
        match self {
            Answer::Number(_) => Kind::Number,
            Answer::YesNo(_) => Kind::YesNo,
            Answer::Text(_) => Kind::Text,
            Answer::Set(_) => Kind::Set,
        }
    }

    /// A set with its elements sorted and deduplicated; text trimmed.
    pub fn normalized(self) -> Answer {
        match self {
            Answer::Set(mut v) => {
                v.iter_mut().for_each(|s| *s = s.trim().to_string());
                v.sort();
                v.dedup();
                Answer::Set(v)
            }
            Answer::Text(s) => Answer::Text(s.trim().to_string()),
            a => a,
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Number(n) => write!(f, "{n}"),
            Answer::YesNo(b) => f.write_str(if *b { "yes" } else { "no" }),
            Answer::Text(s) => f.write_str(s),
            Answer::Set(v) if v.is_empty() => f.write_str("none"),
            Answer::Set(v) => f.write_str(&v.join(", ")),
        }
    }
}

impl Check {
    pub fn kind(&self) -> Kind {
        match self {
            Check::Compiled { .. } | Check::ChangedInputs { .. } => Kind::Set,
            Check::CompiledCount { .. }
            | Check::ToolRuns { .. }
            | Check::CacheHits { .. }
            | Check::MaxParallel { .. }
            | Check::ExitStatus { .. } => Kind::Number,
            Check::Outcome { .. } => Kind::Text,
            Check::LinkRan { .. }
            | Check::NothingCompiled { .. }
            | Check::TranscriptHas { .. }
            | Check::Faster { .. }
            | Check::SpeedupAtLeast { .. }
            | Check::CacheOutsideModule => Kind::YesNo,
        }
    }

    /// The build labels the check reads (`None`: the step's last build).
    fn builds(&self) -> Vec<Option<&str>> {
        match self {
            Check::Compiled { build, .. }
            | Check::CompiledCount { build, .. }
            | Check::ToolRuns { build, .. }
            | Check::LinkRan { build }
            | Check::NothingCompiled { build }
            | Check::CacheHits { build }
            | Check::Outcome { build, .. }
            | Check::ChangedInputs { build, .. }
            | Check::TranscriptHas { build, .. }
            | Check::MaxParallel { build }
            | Check::ExitStatus { build } => vec![build.as_deref()],
            Check::Faster { build, than } | Check::SpeedupAtLeast { build, than, .. } => {
                vec![Some(build.as_str()), Some(than.as_str())]
            }
            Check::CacheOutsideModule => Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A problem with a lesson file, located by its JSON path (`steps[2].questions[0].check`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LessonError {
    pub at: String,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.at, self.message)
        }
    }
}

fn err(at: impl Into<String>, message: impl Into<String>) -> LessonError {
    LessonError {
        at: at.into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    format: u32,
    id: String,
    title: String,
    summary: String,
    #[serde(default)]
    seed: Option<String>,
    workspaces: BTreeMap<String, WsFile>,
    steps: Vec<StepFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WsFile {
    #[serde(default)]
    sample: Option<String>,
    #[serde(default)]
    txtar: Option<Lines>,
}

/// Text as one string or as an array of lines (joined with `\n`, plus a final `\n`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Lines {
    One(String),
    Many(Vec<String>),
}

impl Lines {
    fn text(self) -> String {
        match self {
            Lines::One(s) => s,
            Lines::Many(v) => v.iter().map(|l| format!("{l}\n")).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    title: String,
    text: Vec<String>,
    button: String,
    run: Vec<ActionFile>,
    #[serde(default)]
    questions: Vec<QuestionFile>,
}

#[derive(Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case", deny_unknown_fields)]
enum ActionFile {
    Open {
        workspace: String,
    },
    CleanCache,
    Build {
        #[serde(default)]
        label: Option<String>,
        #[serde(default)]
        flags: Vec<String>,
        #[serde(default)]
        p: Option<usize>,
        #[serde(default)]
        cpus: Option<usize>,
        #[serde(default)]
        patterns: Vec<String>,
    },
    Edit {
        file: String,
        #[serde(default)]
        append: Option<String>,
        #[serde(default)]
        replace: Option<String>,
        #[serde(default)]
        with: Option<String>,
    },
    Write {
        file: String,
        text: Lines,
    },
    Delete {
        file: String,
    },
    RemoveBinary,
    Env {
        var: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    ask: String,
    check: Json,
    #[serde(default)]
    choices: Vec<String>,
    expect: Json,
    explain: String,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum CheckFile {
    Compiled {
        #[serde(default)]
        build: Option<String>,
        #[serde(default)]
        all: bool,
    },
    CompiledCount {
        #[serde(default)]
        build: Option<String>,
        #[serde(default)]
        all: bool,
    },
    ToolRuns {
        #[serde(default)]
        build: Option<String>,
        tool: String,
    },
    LinkRan {
        #[serde(default)]
        build: Option<String>,
    },
    NothingCompiled {
        #[serde(default)]
        build: Option<String>,
    },
    CacheHits {
        #[serde(default)]
        build: Option<String>,
    },
    Outcome {
        #[serde(default)]
        build: Option<String>,
        action: String,
    },
    ChangedInputs {
        #[serde(default)]
        build: Option<String>,
        action: String,
    },
    TranscriptHas {
        #[serde(default)]
        build: Option<String>,
        text: String,
    },
    Faster {
        build: String,
        than: String,
    },
    SpeedupAtLeast {
        build: String,
        than: String,
        factor: f64,
    },
    MaxParallel {
        #[serde(default)]
        build: Option<String>,
    },
    CacheOutsideModule,
    ExitStatus {
        #[serde(default)]
        build: Option<String>,
    },
}

impl From<CheckFile> for Check {
    fn from(c: CheckFile) -> Check {
        match c {
            CheckFile::Compiled { build, all } => Check::Compiled { build, all },
            CheckFile::CompiledCount { build, all } => Check::CompiledCount { build, all },
            CheckFile::ToolRuns { build, tool } => Check::ToolRuns { build, tool },
            CheckFile::LinkRan { build } => Check::LinkRan { build },
            CheckFile::NothingCompiled { build } => Check::NothingCompiled { build },
            CheckFile::CacheHits { build } => Check::CacheHits { build },
            CheckFile::Outcome { build, action } => Check::Outcome { build, action },
            CheckFile::ChangedInputs { build, action } => Check::ChangedInputs { build, action },
            CheckFile::TranscriptHas { build, text } => Check::TranscriptHas { build, text },
            CheckFile::Faster { build, than } => Check::Faster { build, than },
            CheckFile::SpeedupAtLeast {
                build,
                than,
                factor,
            } => Check::SpeedupAtLeast {
                build,
                than,
                factor,
            },
            CheckFile::MaxParallel { build } => Check::MaxParallel { build },
            CheckFile::CacheOutsideModule => Check::CacheOutsideModule,
            CheckFile::ExitStatus { build } => Check::ExitStatus { build },
        }
    }
}

const TOOLS: [&str; 5] = ["compile", "asm", "pack", "link", "cgo"];
const OUTCOMES: [&str; 9] = [
    "hit",
    "up-to-date",
    "forced",
    "not-in-cache",
    "inputs-changed",
    "link-not-cached",
    "target-missing",
    "corrupt",
    "absent",
];

/// Parses and validates one lesson file. `stem` is the file name without `.json`; the lesson's
/// `id` must equal it. Returns every problem found, sorted by location.
pub fn parse(stem: &str, text: &str) -> Result<Lesson, Vec<LessonError>> {
    // The format number first, so a newer file is refused for what it is.
    let v: Json =
        serde_json::from_str(text).map_err(|e| vec![err("", format!("not JSON: {e}"))])?;
    match v.get("format").and_then(Json::as_u64) {
        Some(1) => {}
        Some(n) if n > LESSON_FORMAT as u64 => {
            return Err(vec![err(
                "format",
                format!("this lesson was written for a newer Buildlab (format {n}); this page reads format {LESSON_FORMAT}"),
            )])
        }
        _ => return Err(vec![err("format", format!("missing or unknown format; this page reads format {LESSON_FORMAT}"))]),
    }
    let f: LessonFile = serde_json::from_value(v).map_err(|e| vec![err("", e.to_string())])?;
    let mut errs = Vec::new();
    if f.format != LESSON_FORMAT {
        errs.push(err("format", "unknown format"));
    }
    if f.id != stem {
        errs.push(err(
            "id",
            format!("{:?} differs from the file name {stem:?}", f.id),
        ));
    }
    let valid_id = !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid_id {
        errs.push(err(
            "id",
            "use lowercase letters, digits and `-` only (it appears in URLs)",
        ));
    }
    for (what, s) in [("title", &f.title), ("summary", &f.summary)] {
        if s.trim().is_empty() {
            errs.push(err(what, "is empty"));
        }
    }
    let mut workspaces = BTreeMap::new();
    for (name, w) in f.workspaces {
        let at = format!("workspaces.{name}");
        let src = match (w.sample, w.txtar) {
            (Some(s), None) => WorkspaceSource::Sample(s),
            (None, Some(t)) => WorkspaceSource::Txtar(t.text()),
            _ => {
                errs.push(err(&at, "give exactly one of `sample` and `txtar`"));
                continue;
            }
        };
        match src.workspace() {
            Ok(ws) if ws.get("go.mod").is_none() => errs.push(err(&at, "has no go.mod")),
            Ok(_) => {}
            Err(e) => errs.push(err(&at, e)),
        }
        workspaces.insert(name, src);
    }
    if f.steps.is_empty() || f.steps.len() > MAX_STEPS {
        errs.push(err("steps", format!("a lesson has 1 to {MAX_STEPS} steps")));
    }
    let mut steps = Vec::new();
    for (i, s) in f.steps.into_iter().enumerate() {
        match step(&format!("steps[{i}]"), s, &workspaces) {
            Ok(s) => steps.push(s),
            Err(mut e) => errs.append(&mut e),
        }
    }
    if !errs.is_empty() {
        errs.sort();
        return Err(errs);
    }
    Ok(Lesson {
        id: f.id,
        title: f.title,
        summary: f.summary,
        seed: f.seed,
        workspaces,
        steps,
    })
}

fn step(
    at: &str,
    s: StepFile,
    workspaces: &BTreeMap<String, WorkspaceSource>,
) -> Result<Step, Vec<LessonError>> {
    let mut errs = Vec::new();
    if s.text.is_empty() || s.text.iter().any(|p| p.trim().is_empty()) {
        errs.push(err(
            format!("{at}.text"),
            "needs at least one paragraph and no empty ones",
        ));
    }
    if s.title.trim().is_empty() || s.button.trim().is_empty() {
        errs.push(err(at, "needs a title and a button label"));
    }
    if s.run.is_empty() || s.run.len() > MAX_ACTIONS {
        errs.push(err(
            format!("{at}.run"),
            format!("an experiment has 1 to {MAX_ACTIONS} actions"),
        ));
    }
    if !matches!(s.run.first(), Some(ActionFile::Open { .. })) {
        errs.push(err(
            format!("{at}.run[0]"),
            "an experiment starts with `open`, so one click reproduces it",
        ));
    }
    let mut run = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for (j, a) in s.run.into_iter().enumerate() {
        let at = format!("{at}.run[{j}]");
        let path = |file: &str, errs: &mut Vec<LessonError>| match normalize(file) {
            Some(p) if p == file => {}
            _ => errs.push(err(&at, format!("{file:?} is not a clean relative path"))),
        };
        run.push(match a {
            ActionFile::Open { workspace } => {
                if !workspaces.contains_key(&workspace) {
                    errs.push(err(&at, format!("no workspace named {workspace:?}")));
                }
                Action::Open(workspace)
            }
            ActionFile::CleanCache => Action::CleanCache,
            ActionFile::Build {
                label,
                flags,
                p,
                cpus,
                patterns,
            } => {
                let label = label.unwrap_or_else(|| format!("build {}", labels.len() + 1));
                if labels.contains(&label) {
                    errs.push(err(&at, format!("a second build labelled {label:?}")));
                }
                labels.push(label.clone());
                let mut b = BuildStep {
                    label,
                    x: false,
                    n: false,
                    a: false,
                    work: false,
                    p,
                    cpus: cpus.unwrap_or(2),
                    patterns: if patterns.is_empty() {
                        vec![".".into()]
                    } else {
                        patterns
                    },
                };
                for fl in &flags {
                    match fl.as_str() {
                        "-x" => b.x = true,
                        "-n" => b.n = true,
                        "-a" => b.a = true,
                        "-work" => b.work = true,
                        _ => errs.push(err(
                            &at,
                            format!("unknown flag {fl:?}: use -x, -n, -a, -work, and `p` for -p"),
                        )),
                    }
                }
                if b.cpus == 0 || b.cpus > MAX_CPUS || p.is_some_and(|p| p == 0 || p > MAX_CPUS) {
                    errs.push(err(&at, format!("cpus and p are 1 to {MAX_CPUS}")));
                }
                Action::Build(b)
            }
            ActionFile::Edit {
                file,
                append,
                replace,
                with,
            } => {
                path(&file, &mut errs);
                let change = match (append, replace, with) {
                    (Some(a), None, None) => Edit::Append(a),
                    (None, Some(old), Some(new)) if !old.is_empty() => Edit::Replace { old, new },
                    _ => {
                        errs.push(err(
                            &at,
                            "an edit has `append`, or `replace` (non-empty) with `with`",
                        ));
                        Edit::Append(String::new())
                    }
                };
                Action::Edit { file, change }
            }
            ActionFile::Write { file, text } => {
                path(&file, &mut errs);
                Action::Write {
                    file,
                    text: text.text(),
                }
            }
            ActionFile::Delete { file } => {
                path(&file, &mut errs);
                Action::Delete { file }
            }
            ActionFile::RemoveBinary => Action::RemoveBinary,
            ActionFile::Env { var } => {
                if !matches!(
                    var.as_str(),
                    "GOCACHE" | "GOROOT" | "GOOS" | "GOARCH" | "GOMAXPROCS"
                ) {
                    errs.push(err(&at, format!("go env {var}: not one the page knows")));
                }
                Action::Env(var)
            }
        });
    }
    if s.questions.len() > MAX_QUESTIONS {
        errs.push(err(
            format!("{at}.questions"),
            format!("at most {MAX_QUESTIONS} questions per step"),
        ));
    }
    let mut questions = Vec::new();
    for (k, q) in s.questions.into_iter().enumerate() {
        let at = format!("{at}.questions[{k}]");
        match question(&at, q, &labels) {
            Ok(q) => questions.push(q),
            Err(mut e) => errs.append(&mut e),
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Step {
        title: s.title,
        text: s.text,
        button: s.button,
        run,
        questions,
    })
}

fn question(at: &str, q: QuestionFile, labels: &[String]) -> Result<Question, Vec<LessonError>> {
    let mut errs = Vec::new();
    let check: Check = match serde_json::from_value::<CheckFile>(q.check) {
        Ok(c) => c.into(),
        Err(e) => return Err(vec![err(format!("{at}.check"), e.to_string())]),
    };
    if labels.is_empty() {
        errs.push(err(at, "a question needs a build in the step's experiment"));
    }
    for l in check.builds().into_iter().flatten() {
        if !labels.iter().any(|x| x == l) {
            errs.push(err(
                format!("{at}.check"),
                format!("no build labelled {l:?} in this step"),
            ));
        }
    }
    match &check {
        Check::ToolRuns { tool, .. } if !TOOLS.contains(&tool.as_str()) => errs.push(err(
            format!("{at}.check"),
            format!("tool is one of {TOOLS:?}"),
        )),
        Check::SpeedupAtLeast { factor, .. } if !(factor.is_finite() && *factor > 0.0) => errs
            .push(err(
                format!("{at}.check"),
                "factor must be a positive number",
            )),
        _ => {}
    }
    let kind = check.kind();
    let expect = match answer_from_json(kind, &q.expect) {
        Some(a) => a,
        None => {
            errs.push(err(
                format!("{at}.expect"),
                format!("must be a {} answer", kind_word(kind)),
            ));
            Answer::Number(0)
        }
    };
    match kind {
        Kind::Text if q.choices.len() < 2 => errs.push(err(
            format!("{at}.choices"),
            "a text question offers at least two choices",
        )),
        Kind::Text => {
            if let Check::Outcome { .. } = check {
                if let Some(c) = q.choices.iter().find(|c| !OUTCOMES.contains(&c.as_str())) {
                    errs.push(err(
                        format!("{at}.choices"),
                        format!("{c:?} is not an outcome word {OUTCOMES:?}"),
                    ));
                }
            }
            if let Answer::Text(t) = &expect {
                if !q.choices.contains(t) {
                    errs.push(err(format!("{at}.expect"), "is not among the choices"));
                }
            }
        }
        Kind::Set => {
            if let Answer::Set(v) = &expect {
                if !q.choices.is_empty() {
                    if let Some(x) = v.iter().find(|x| !q.choices.contains(x)) {
                        errs.push(err(
                            format!("{at}.expect"),
                            format!("{x:?} is not among the choices"),
                        ));
                    }
                }
            }
        }
        _ if !q.choices.is_empty() => errs.push(err(
            format!("{at}.choices"),
            "only text and set questions have choices",
        )),
        _ => {}
    }
    if q.ask.trim().is_empty() || q.explain.trim().is_empty() {
        errs.push(err(at, "needs `ask` and `explain`"));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Question {
        ask: q.ask,
        check,
        choices: q.choices,
        expect,
        explain: q.explain,
    })
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Number => "number",
        Kind::YesNo => "yes/no (true or false)",
        Kind::Text => "text",
        Kind::Set => "list-of-strings",
    }
}

/// Reads an answer of kind `kind` from JSON: a number, a boolean, a string, an array of strings.
pub fn answer_from_json(kind: Kind, v: &Json) -> Option<Answer> {
    Some(match kind {
        Kind::Number => Answer::Number(v.as_i64()?),
        Kind::YesNo => Answer::YesNo(v.as_bool()?),
        Kind::Text => Answer::Text(v.as_str()?.to_string()),
        Kind::Set => Answer::Set(
            v.as_array()?
                .iter()
                .map(|x| x.as_str().map(String::from))
                .collect::<Option<Vec<_>>>()?,
        )
        .normalized(),
    })
}

// ---------------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------------

/// What a step's experiment produced, as the checks read it.
pub struct Observed<'a> {
    /// The builds in the order they ran, by label.
    pub builds: Vec<(&'a str, &'a BuildResult)>,
    /// `go env GOCACHE` of the session.
    pub gocache: &'a str,
    /// The module's directory as go shows it (`/home/gopher/work`).
    pub module_root: &'a str,
}

/// The learner's answer against the build.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub correct: bool,
    /// What the build showed.
    pub observed: Answer,
}

/// Measures `check` on what the experiment produced. An error means the experiment and the
/// check disagree (a missing label, a check that needs `-x` on a build without it).
pub fn measure(check: &Check, obs: &Observed) -> Result<Answer, String> {
    let build = |label: Option<&str>| -> Result<&BuildResult, String> {
        match label {
            None => obs
                .builds
                .last()
                .map(|b| b.1)
                .ok_or_else(|| "the step ran no build".to_string()),
            Some(l) => obs
                .builds
                .iter()
                .rev()
                .find(|b| b.0 == l)
                .map(|b| b.1)
                .ok_or_else(|| format!("no build labelled {l:?}")),
        }
    };
    let compiled = |b: &BuildResult, all: bool| -> Vec<String> {
        b.report
            .compiled()
            .into_iter()
            .filter(|p| all || !is_std(p))
            .collect()
    };
    Ok(match check {
        Check::Compiled { build: l, all } => Answer::Set(compiled(build(l.as_deref())?, *all)),
        Check::CompiledCount { build: l, all } => {
            Answer::Number(compiled(build(l.as_deref())?, *all).len() as i64)
        }
        Check::ToolRuns { build: l, tool } => {
            let text = build(l.as_deref())?.transcript.text();
            let suffix = format!("/{tool}");
            Answer::Number(
                text.lines()
                    .filter(|line| {
                        // The program is the first word that is not a `VAR=value` assignment.
                        let mut words = line
                            .split_whitespace()
                            .skip_while(|w| w.contains('=') && !w.starts_with('/'));
                        words.next().is_some_and(|w| w.ends_with(&suffix))
                    })
                    .count() as i64,
            )
        }
        Check::LinkRan { build: l } => Answer::YesNo(build(l.as_deref())?.report.link_runs() > 0),
        Check::NothingCompiled { build: l } => {
            Answer::YesNo(compiled(build(l.as_deref())?, true).is_empty())
        }
        Check::CacheHits { build: l } => Answer::Number(
            build(l.as_deref())?
                .report
                .actions
                .iter()
                .filter(|a| a.outcome == Outcome::Hit)
                .count() as i64,
        ),
        Check::Outcome { build: l, action } => {
            let word = match build(l.as_deref())?.report.get(action).map(|a| &a.outcome) {
                None => "absent",
                Some(Outcome::Hit) => "hit",
                Some(Outcome::TargetUpToDate) => "up-to-date",
                Some(Outcome::Miss(r)) => match r {
                    MissReason::Forced => "forced",
                    MissReason::NoEntry => "not-in-cache",
                    MissReason::Corrupt(_) => "corrupt",
                    MissReason::InputsChanged(_) => "inputs-changed",
                    MissReason::LinkNotCached => "link-not-cached",
                    MissReason::TargetMissing => "target-missing",
                },
            };
            Answer::Text(word.into())
        }
        Check::ChangedInputs { build: l, action } => {
            let changes = match build(l.as_deref())?.report.get(action).map(|a| &a.outcome) {
                Some(Outcome::Miss(MissReason::InputsChanged(ch))) => ch
                    .iter()
                    .map(|c| format!("{} {}", c.kind.word(), c.subject))
                    .collect(),
                _ => Vec::new(),
            };
            Answer::Set(changes).normalized()
        }
        Check::TranscriptHas { build: l, text } => Answer::YesNo(
            build(l.as_deref())?
                .transcript
                .text()
                .contains(text.as_str()),
        ),
        Check::Faster { build: b, than } => {
            Answer::YesNo(build(Some(b))?.wall_ms < build(Some(than))?.wall_ms)
        }
        Check::SpeedupAtLeast {
            build: b,
            than,
            factor,
        } => Answer::YesNo(build(Some(than))?.wall_ms >= factor * build(Some(b))?.wall_ms),
        Check::MaxParallel { build: l } => {
            let t = &build(l.as_deref())?.trace;
            let mut edges: Vec<(f64, i64)> = t
                .actions
                .iter()
                .filter(|a| a.lane.is_some() && a.end_us > a.start_us)
                .flat_map(|a| [(a.start_us, 1), (a.end_us, -1)])
                .collect();
            // Ends before starts at the same instant: back-to-back actions do not overlap.
            edges.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            let (mut cur, mut max) = (0i64, 0i64);
            for (_, d) in edges {
                cur += d;
                max = max.max(cur);
            }
            Answer::Number(max)
        }
        Check::CacheOutsideModule => {
            let root = obs.module_root.trim_end_matches('/');
            let inside = obs.gocache == root || obs.gocache.starts_with(&format!("{root}/"));
            Answer::YesNo(!inside)
        }
        Check::ExitStatus { build: l } => Answer::Number(build(l.as_deref())?.exit_status as i64),
    })
}

/// Checks a learner's answer against what the build showed.
pub fn check(q: &Question, obs: &Observed, answer: Answer) -> Result<Verdict, String> {
    let observed = measure(&q.check, obs)?;
    Ok(Verdict {
        correct: answer.normalized() == observed,
        observed,
    })
}

/// Standard-library import paths have no dot in their first element (go's rule for module paths).
fn is_std(path: &str) -> bool {
    !path.split('/').next().unwrap_or("").contains('.')
}

// ---------------------------------------------------------------------------------------------
// The reference driver
// ---------------------------------------------------------------------------------------------

/// The state an experiment runs against, as the page keeps it: files, a cache, the last build's
/// record and the binary in place. Builds run through [`crate::build::simulate`].
pub struct Lab {
    pub ws: Workspace,
    pub cache: MemoryCache,
    pub record: Record,
    /// The build ID of the binary in the working directory, if there is one.
    pub binary: Option<String>,
    pub gocache: String,
    pub module_root: String,
    /// The cache's clock (ns); every build advances it by a second.
    pub now: i64,
    /// `go env` lines printed, in order.
    pub env_output: Vec<String>,
}

impl Default for Lab {
    fn default() -> Self {
        Lab {
            ws: Workspace::new(),
            cache: MemoryCache::new(),
            record: Record::default(),
            binary: None,
            gocache: Config::default().gocache,
            module_root: LoadRequest::default().module_root_display,
            now: 1_795_544_806 * 1_000_000_000,
            env_output: Vec::new(),
        }
    }
}

impl Lab {
    /// Runs a step's experiment; returns its builds by label, in order.
    pub fn run(
        &mut self,
        lesson: &Lesson,
        step: &Step,
    ) -> Result<Vec<(String, BuildResult)>, String> {
        let mut out = Vec::new();
        for a in &step.run {
            match a {
                Action::Open(name) => {
                    let src = lesson
                        .workspaces
                        .get(name)
                        .ok_or_else(|| format!("no workspace {name:?}"))?;
                    self.ws = src.workspace()?;
                    self.binary = None;
                }
                Action::CleanCache => self.cache = MemoryCache::new(),
                Action::Build(b) => {
                    let r = self.build(b)?;
                    out.push((b.label.clone(), r));
                }
                Action::Edit { file, change } => {
                    let old = self
                        .ws
                        .get(file)
                        .ok_or_else(|| format!("edit: no file {file:?}"))?;
                    let old = String::from_utf8_lossy(old).into_owned();
                    let new = match change {
                        Edit::Append(s) => format!("{old}{s}"),
                        Edit::Replace { old: from, new: to } => {
                            if old.matches(from.as_str()).count() != 1 {
                                return Err(format!(
                                    "edit {file}: {from:?} does not occur exactly once"
                                ));
                            }
                            old.replacen(from.as_str(), to, 1)
                        }
                    };
                    self.ws.insert(file, new).map_err(|e| e.to_string())?;
                }
                Action::Write { file, text } => self
                    .ws
                    .insert(file, text.clone())
                    .map_err(|e| e.to_string())?,
                Action::Delete { file } => {
                    self.ws
                        .remove(file)
                        .ok_or_else(|| format!("delete: no file {file:?}"))?;
                }
                Action::RemoveBinary => {
                    self.binary
                        .take()
                        .ok_or("remove-binary: there is no binary")?;
                }
                Action::Env(var) => {
                    let v = match var.as_str() {
                        "GOCACHE" => self.gocache.clone(),
                        "GOROOT" => Toolchain::default().goroot,
                        "GOOS" => Toolchain::default().goos,
                        "GOARCH" => Toolchain::default().goarch,
                        _ => String::new(),
                    };
                    self.env_output.push(v);
                }
            }
        }
        Ok(out)
    }

    /// One `go build` with the simulated toolchain on a machine of `b.cpus` cores.
    pub fn build(&mut self, b: &BuildStep) -> Result<BuildResult, String> {
        let req = LoadRequest {
            patterns: b.patterns.clone(),
            module_root_display: self.module_root.clone(),
            ..LoadRequest::default()
        };
        let loaded = load(&self.ws, &req).map_err(|e| e.to_string())?;
        let tc = Toolchain {
            cpus: b.cpus,
            parallel: b.p,
            ..Toolchain::default()
        };
        let p = plan(loaded.input, &tc).map_err(|e| format!("plan: {e:?}"))?;
        let files = WorkspaceFiles {
            ws: &self.ws,
            root: self.module_root.clone(),
        };
        self.now += 1_000_000_000;
        let cfg = Config {
            flags: Flags {
                force: b.a,
                ..Flags::default()
            },
            print: transcript::Flags {
                x: b.x,
                n: b.n,
                work: b.work,
            },
            workers: schedule::workers(b.p, b.cpus, b.n),
            now: self.now,
            gocache: self.gocache.clone(),
            ..Config::default()
        };
        let machine = Machine {
            cores: b.cpus,
            scaling: CostModel::calibrated().scaling,
        };
        let r = simulate(
            &p,
            &files,
            &mut self.cache,
            &self.record,
            self.binary.as_deref(),
            cfg,
            machine,
        );
        if !b.n {
            self.record = r.report.record.clone();
            if let Some(bin) = &r.binary {
                self.binary = Some(bin.build_id.clone());
            }
        }
        Ok(r)
    }

    /// What the checks read, over `builds` as [`Lab::run`] returned them.
    pub fn observed<'a>(&'a self, builds: &'a [(String, BuildResult)]) -> Observed<'a> {
        Observed {
            builds: builds.iter().map(|(l, r)| (l.as_str(), r)).collect(),
            gocache: &self.gocache,
            module_root: &self.module_root,
        }
    }
}
