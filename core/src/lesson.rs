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

// The file is read from a `serde_json::Value` by hand rather than with serde's derive: the
// derived readers of the tagged `run` and `check` objects instantiated serde's buffering
// deserializer for every variant, ~60 KB of the page's wasm before optimisation. Reading by hand
// also locates a structural error (`steps[1].run[2]: unknown field "fille"`). Every object
// refuses fields it does not know, so a typo is not silently ignored.

struct LessonFile {
    id: String,
    title: String,
    summary: String,
    seed: Option<String>,
    workspaces: BTreeMap<String, WsFile>,
    steps: Vec<StepFile>,
}

struct WsFile {
    sample: Option<String>,
    txtar: Option<Lines>,
}

/// Text as one string or as an array of lines (joined with `\n`, plus a final `\n`).
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

struct StepFile {
    title: String,
    text: Vec<String>,
    button: String,
    run: Vec<ActionFile>,
    questions: Vec<QuestionFile>,
}

enum ActionFile {
    Open {
        workspace: String,
    },
    CleanCache,
    Build {
        label: Option<String>,
        flags: Vec<String>,
        p: Option<usize>,
        cpus: Option<usize>,
        patterns: Vec<String>,
    },
    Edit {
        file: String,
        append: Option<String>,
        replace: Option<String>,
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

struct QuestionFile {
    ask: String,
    check: Json,
    choices: Vec<String>,
    expect: Json,
    explain: String,
}

/// One JSON object of the file, read field by field; [`Obj::done`] refuses what is left.
struct Obj {
    /// Its location, as [`LessonError::at`] gives it.
    at: String,
    fields: serde_json::Map<String, Json>,
}

impl Obj {
    fn new(at: String, v: Json) -> Result<Obj, LessonError> {
        match v {
            Json::Object(fields) => Ok(Obj { at, fields }),
            _ => Err(err(at, "must be an object")),
        }
    }

    fn field_at(&self, key: &str) -> String {
        if self.at.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.at)
        }
    }

    /// A field that must be there (`null` counts as absent).
    fn need(&mut self, key: &str) -> Result<Json, LessonError> {
        match self.fields.remove(key) {
            Some(Json::Null) | None => Err(err(&self.at, format!("missing field {key:?}"))),
            Some(v) => Ok(v),
        }
    }

    fn string(&mut self, key: &str) -> Result<String, LessonError> {
        let v = self.need(key)?;
        self.as_string(key, v)
    }

    fn opt_string(&mut self, key: &str) -> Result<Option<String>, LessonError> {
        match self.fields.remove(key) {
            Some(Json::Null) | None => Ok(None),
            Some(v) => self.as_string(key, v).map(Some),
        }
    }

    fn as_string(&self, key: &str, v: Json) -> Result<String, LessonError> {
        match v {
            Json::String(s) => Ok(s),
            _ => Err(err(self.field_at(key), "must be a string")),
        }
    }

    /// An array of strings; absent is empty.
    fn strings(&mut self, key: &str) -> Result<Vec<String>, LessonError> {
        match self.fields.remove(key) {
            Some(Json::Null) | None => Ok(Vec::new()),
            Some(v) => self.as_strings(key, v),
        }
    }

    /// An array of strings that must be there (it may be empty).
    fn need_strings(&mut self, key: &str) -> Result<Vec<String>, LessonError> {
        let v = self.need(key)?;
        self.as_strings(key, v)
    }

    fn as_strings(&self, key: &str, v: Json) -> Result<Vec<String>, LessonError> {
        let bad = || err(self.field_at(key), "must be an array of strings");
        let Json::Array(a) = v else {
            return Err(bad());
        };
        a.into_iter()
            .map(|v| match v {
                Json::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect()
    }

    /// An array of objects, each read by `read` at `key[i]`; absent is empty.
    fn objects<T>(
        &mut self,
        key: &str,
        read: fn(Obj) -> Result<T, LessonError>,
    ) -> Result<Vec<T>, LessonError> {
        match self.fields.remove(key) {
            Some(Json::Null) | None => Ok(Vec::new()),
            Some(v) => self.as_objects(key, v, read),
        }
    }

    /// An array of objects that must be there (it may be empty).
    fn need_objects<T>(
        &mut self,
        key: &str,
        read: fn(Obj) -> Result<T, LessonError>,
    ) -> Result<Vec<T>, LessonError> {
        let v = self.need(key)?;
        self.as_objects(key, v, read)
    }

    fn as_objects<T>(
        &self,
        key: &str,
        v: Json,
        read: fn(Obj) -> Result<T, LessonError>,
    ) -> Result<Vec<T>, LessonError> {
        let at = self.field_at(key);
        let Json::Array(a) = v else {
            return Err(err(at, "must be an array"));
        };
        a.into_iter()
            .enumerate()
            .map(|(i, v)| read(Obj::new(format!("{at}[{i}]"), v)?))
            .collect()
    }

    fn opt_count(&mut self, key: &str) -> Result<Option<usize>, LessonError> {
        match self.fields.remove(key) {
            Some(Json::Null) | None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| err(self.field_at(key), "must be a whole number, 0 or more")),
        }
    }

    /// A boolean; absent is false.
    fn flag(&mut self, key: &str) -> Result<bool, LessonError> {
        match self.fields.remove(key) {
            Some(Json::Null) | None => Ok(false),
            Some(Json::Bool(b)) => Ok(b),
            Some(_) => Err(err(self.field_at(key), "must be true or false")),
        }
    }

    fn number(&mut self, key: &str) -> Result<f64, LessonError> {
        let v = self.need(key)?;
        v.as_f64()
            .ok_or_else(|| err(self.field_at(key), "must be a number"))
    }

    fn lines(&mut self, key: &str) -> Result<Option<Lines>, LessonError> {
        match self.fields.remove(key) {
            Some(Json::Null) | None => Ok(None),
            Some(Json::String(s)) => Ok(Some(Lines::One(s))),
            Some(v @ Json::Array(_)) => self.as_strings(key, v).map(|v| Some(Lines::Many(v))),
            Some(_) => Err(err(
                self.field_at(key),
                "must be a string or an array of lines",
            )),
        }
    }

    /// The tag of a tagged object (`do` of an action, `kind` of a check), in `names`.
    fn tag(&mut self, key: &str, names: &[&str]) -> Result<String, LessonError> {
        let tag = self.string(key)?;
        if names.contains(&tag.as_str()) {
            Ok(tag)
        } else {
            Err(err(
                self.field_at(key),
                format!("unknown {key} {tag:?}, expected one of {names:?}"),
            ))
        }
    }

    /// Refuses the fields nobody read.
    fn done(self) -> Result<(), LessonError> {
        match self.fields.keys().next() {
            None => Ok(()),
            Some(k) => Err(err(&self.at, format!("unknown field {k:?}"))),
        }
    }
}

impl LessonFile {
    fn read(mut o: Obj) -> Result<LessonFile, LessonError> {
        o.need("format")?; // checked by `parse` before
        let id = o.string("id")?;
        let title = o.string("title")?;
        let summary = o.string("summary")?;
        let seed = o.opt_string("seed")?;
        let at = o.field_at("workspaces");
        let mut workspaces = BTreeMap::new();
        let Json::Object(ws) = o.need("workspaces")? else {
            return Err(err(at, "must be an object"));
        };
        for (name, v) in ws {
            let mut w = Obj::new(format!("{at}.{name}"), v)?;
            let f = WsFile {
                sample: w.opt_string("sample")?,
                txtar: w.lines("txtar")?,
            };
            w.done()?;
            workspaces.insert(name, f);
        }
        let steps = o.need_objects("steps", StepFile::read)?;
        o.done()?;
        Ok(LessonFile {
            id,
            title,
            summary,
            seed,
            workspaces,
            steps,
        })
    }
}

impl StepFile {
    fn read(mut o: Obj) -> Result<StepFile, LessonError> {
        let f = StepFile {
            title: o.string("title")?,
            text: o.need_strings("text")?,
            button: o.string("button")?,
            run: o.need_objects("run", ActionFile::read)?,
            questions: o.objects("questions", QuestionFile::read)?,
        };
        o.done()?;
        Ok(f)
    }
}

impl ActionFile {
    const NAMES: [&'static str; 8] = [
        "open",
        "clean-cache",
        "build",
        "edit",
        "write",
        "delete",
        "remove-binary",
        "env",
    ];

    fn read(mut o: Obj) -> Result<ActionFile, LessonError> {
        let a = match o.tag("do", &Self::NAMES)?.as_str() {
            "open" => ActionFile::Open {
                workspace: o.string("workspace")?,
            },
            "clean-cache" => ActionFile::CleanCache,
            "build" => ActionFile::Build {
                label: o.opt_string("label")?,
                flags: o.strings("flags")?,
                p: o.opt_count("p")?,
                cpus: o.opt_count("cpus")?,
                patterns: o.strings("patterns")?,
            },
            "edit" => ActionFile::Edit {
                file: o.string("file")?,
                append: o.opt_string("append")?,
                replace: o.opt_string("replace")?,
                with: o.opt_string("with")?,
            },
            "write" => ActionFile::Write {
                file: o.string("file")?,
                text: o
                    .lines("text")?
                    .ok_or_else(|| err(&o.at, "missing field \"text\""))?,
            },
            "delete" => ActionFile::Delete {
                file: o.string("file")?,
            },
            "remove-binary" => ActionFile::RemoveBinary,
            _ => ActionFile::Env {
                var: o.string("var")?,
            },
        };
        o.done()?;
        Ok(a)
    }
}

impl QuestionFile {
    fn read(mut o: Obj) -> Result<QuestionFile, LessonError> {
        let f = QuestionFile {
            ask: o.string("ask")?,
            check: o.need("check")?,
            choices: o.strings("choices")?,
            expect: o.need("expect")?,
            explain: o.string("explain")?,
        };
        o.done()?;
        Ok(f)
    }
}

/// A question's `check` object, by its `kind`.
fn read_check(mut o: Obj) -> Result<Check, LessonError> {
    const NAMES: [&str; 14] = [
        "compiled",
        "compiled-count",
        "tool-runs",
        "link-ran",
        "nothing-compiled",
        "cache-hits",
        "outcome",
        "changed-inputs",
        "transcript-has",
        "faster",
        "speedup-at-least",
        "max-parallel",
        "cache-outside-module",
        "exit-status",
    ];
    let kind = o.tag("kind", &NAMES)?;
    let c = match kind.as_str() {
        "compiled" => Check::Compiled {
            build: o.opt_string("build")?,
            all: o.flag("all")?,
        },
        "compiled-count" => Check::CompiledCount {
            build: o.opt_string("build")?,
            all: o.flag("all")?,
        },
        "tool-runs" => Check::ToolRuns {
            build: o.opt_string("build")?,
            tool: o.string("tool")?,
        },
        "link-ran" => Check::LinkRan {
            build: o.opt_string("build")?,
        },
        "nothing-compiled" => Check::NothingCompiled {
            build: o.opt_string("build")?,
        },
        "cache-hits" => Check::CacheHits {
            build: o.opt_string("build")?,
        },
        "outcome" => Check::Outcome {
            build: o.opt_string("build")?,
            action: o.string("action")?,
        },
        "changed-inputs" => Check::ChangedInputs {
            build: o.opt_string("build")?,
            action: o.string("action")?,
        },
        "transcript-has" => Check::TranscriptHas {
            build: o.opt_string("build")?,
            text: o.string("text")?,
        },
        "faster" => Check::Faster {
            build: o.string("build")?,
            than: o.string("than")?,
        },
        "speedup-at-least" => Check::SpeedupAtLeast {
            build: o.string("build")?,
            than: o.string("than")?,
            factor: o.number("factor")?,
        },
        "max-parallel" => Check::MaxParallel {
            build: o.opt_string("build")?,
        },
        "cache-outside-module" => Check::CacheOutsideModule,
        _ => Check::ExitStatus {
            build: o.opt_string("build")?,
        },
    };
    o.done()?;
    Ok(c)
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
    let f = Obj::new(String::new(), v)
        .and_then(LessonFile::read)
        .map_err(|e| vec![e])?;
    let mut errs = Vec::new();
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
    let check = Obj::new(format!("{at}.check"), q.check)
        .and_then(read_check)
        .map_err(|e| vec![e])?;
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
            // As the page sets it: a GOCACHE with entries has go's module index.
            index_cached: self.cache.has_entries(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid lesson with `step` as its only step.
    fn with_step(step: &str) -> String {
        format!(
            r#"{{"format": 1, "id": "t", "title": "T", "summary": "S",
               "workspaces": {{"w": {{"sample": "hello"}}}}, "steps": [{step}]}}"#
        )
    }

    fn errors(text: &str) -> Vec<String> {
        parse("t", text)
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    const STEP: &str = r#"{"title": "s", "text": ["p"], "button": "b",
        "run": [{"do": "open", "workspace": "w"}, {"do": "build", "label": "cold", "flags": ["-x"], "p": 1},
                {"do": "write", "file": "a.go", "text": ["package main", ""]}],
        "questions": [{"ask": "?", "check": {"kind": "compiled-count", "build": "cold", "all": true},
                       "expect": 2, "explain": "e"}]}"#;

    #[test]
    fn reads_every_field() {
        let l = parse("t", &with_step(STEP)).expect("valid");
        let s = &l.steps[0];
        assert_eq!(s.text, ["p"]);
        match &s.run[1] {
            Action::Build(b) => {
                assert_eq!(
                    (b.label.as_str(), b.x, b.p, b.cpus),
                    ("cold", true, Some(1), 2)
                );
                assert_eq!(b.patterns, ["."]);
            }
            a => panic!("{a:?}"),
        }
        assert_eq!(
            s.run[2],
            Action::Write {
                file: "a.go".into(),
                text: "package main\n\n".into()
            }
        );
        assert_eq!(
            s.questions[0].check,
            Check::CompiledCount {
                build: Some("cold".into()),
                all: true
            }
        );
        assert_eq!(s.questions[0].expect, Answer::Number(2));
    }

    /// Structural mistakes are refused at their place, one at a time.
    #[test]
    fn structural_errors_are_located() {
        let cases = [
            (
                STEP.replace(r#""do": "open""#, r#""do": "opne""#),
                r#"steps[0].run[0].do: unknown do "opne", expected one of ["open", "clean-cache", "build", "edit", "write", "delete", "remove-binary", "env"]"#,
            ),
            (
                STEP.replace(r#""workspace": "w""#, r#""worksapce": "w""#),
                r#"steps[0].run[0]: missing field "workspace""#,
            ),
            (
                STEP.replace(r#""p": 1"#, r#""p": 1, "q": 2"#),
                r#"steps[0].run[1]: unknown field "q""#,
            ),
            (
                STEP.replace(r#""p": 1"#, r#""p": -1"#),
                "steps[0].run[1].p: must be a whole number, 0 or more",
            ),
            (
                STEP.replace(r#""flags": ["-x"]"#, r#""flags": "-x""#),
                "steps[0].run[1].flags: must be an array of strings",
            ),
            (
                STEP.replace(r#""all": true"#, r#""all": 1"#),
                "steps[0].questions[0].check.all: must be true or false",
            ),
            (
                STEP.replace(r#""kind": "compiled-count""#, r#""kind": "compiled-cnt""#),
                "steps[0].questions[0].check.kind: unknown kind \"compiled-cnt\", expected one of",
            ),
            (
                STEP.replace(r#""text": ["p"]"#, r#""text": 3"#),
                "steps[0].text: must be an array of strings",
            ),
            (
                STEP.replace(r#""ask": "?", "#, ""),
                r#"steps[0].questions[0]: missing field "ask""#,
            ),
            (
                STEP.replace(r#""button": "b","#, ""),
                r#"steps[0]: missing field "button""#,
            ),
        ];
        for (step, want) in cases {
            let got = errors(&with_step(&step));
            assert_eq!(got.len(), 1, "{got:?}");
            assert!(got[0].starts_with(want), "got {got:?}, want {want}");
        }
        assert_eq!(
            errors(
                r#"{"format": 1, "id": "t", "title": "T", "summary": "S", "workspaces": [], "steps": []}"#
            ),
            ["workspaces: must be an object"]
        );
        assert_eq!(
            errors(r#"{"format": 1, "id": "t", "title": "T", "summary": "S", "workspaces": {}}"#),
            [r#"missing field "steps""#]
        );
        assert_eq!(
            errors(
                r#"{"format": 1, "id": "t", "title": "T", "summary": "S", "workspaces": {}, "steps": [], "x": 1}"#
            ),
            [r#"unknown field "x""#]
        );
        // An empty list is read; the validation says what is wrong with it.
        assert_eq!(
            errors(
                r#"{"format": 1, "id": "t", "title": "T", "summary": "S", "workspaces": {}, "steps": []}"#
            ),
            ["steps: a lesson has 1 to 20 steps"]
        );
    }
}
