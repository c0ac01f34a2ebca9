//! One pass of the go command's cache logic over a plan, in dependency order: compute each
//! action's ID, consult the cache as cmd/go's `useCache` does, produce the simulated output
//! ([`crate::object`]) on a miss and store it, and record what every action hashed. And
//! [`predict`]: the rebuild set for the current edits, from the last build's record alone.
//!
//! cmd/go's rules modelled here: `-a` misses everything but still stores; `build` outputs are
//! stored (with an empty `stdout` entry beside them); `link` outputs are stored only when
//! asked (`go run`), never for `go build`; a target already in place whose build ID starts with
//! the action ID is left alone, and for `package main` whose only use is the link, a binary in
//! place with a matching four-part build ID makes the compile itself unnecessary (exec.go's
//! "main build pseudo-cache"), so a warm no-op build runs nothing and a build with the binary
//! deleted only relinks.
//!
//! The per-action logic lives in [`crate::build::Session`]; [`run`] drives a session one job at
//! a time with the simulated toolchain (the same cache decisions as any valid schedule), and
//! [`predict`] drives one that only looks at the cache. Here: the types they report in, and the
//! record's versioned JSON ([`Record::to_json`]). Not here: timing, parallelism, transcripts and
//! the real tools.

use std::collections::BTreeMap;

use crate::actionid::{BuildId, HashedInputs, IdConfig, SourceFiles};
use crate::build::{self, Config, ReadOnly, Session, Simulated};
use crate::cache::{Cache, UnixNanos};
use crate::hash::Digest;
use crate::object;
use crate::plan::{ActionIx, Mode, Plan};
use crate::why::{self, Explain, Outcome};

/// The command's flags that change cache behaviour.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `-a`.
    pub force: bool,
    /// Store and reuse link outputs (`go run`).
    pub cache_link: bool,
    pub ids: IdConfig,
}

/// What the last build of each action hashed and produced, kept so that the next build can say
/// what changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub actions: BTreeMap<String, ActionRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub inputs: HashedInputs,
    pub build_id: String,
    /// The build ID's parts (for compile: action, content; for link: the content).
    pub compile_id: Option<BuildId>,
    pub content: Digest,
    /// The simulated object's export data, for prediction of importers.
    pub export: Option<object::ExportData>,
    /// The output ID (the hash of the stored output) the build ID and export data above belong
    /// to, when the output went to or came from the cache. A later hit on the same action ID
    /// whose entry names this output takes them from here instead of reading the output: what
    /// go reads from the archive's header on a hit (`buildid.ReadFile`), without reading the
    /// rest (see [`crate::build`]).
    pub output: Option<Digest>,
}

/// One action's result.
#[derive(Clone, Debug)]
pub struct ActionReport {
    pub action: ActionIx,
    /// `build P` or `link P`.
    pub key: String,
    pub import_path: String,
    pub mode: Mode,
    pub outcome: Outcome,
    pub inputs: HashedInputs,
    pub build_id: String,
    /// Asm invocations run (0 unless the action ran and has `.s` files).
    pub asm_runs: usize,
}

/// The result of a build (or of a prediction).
#[derive(Clone, Debug, Default)]
pub struct BuildReport {
    pub actions: Vec<ActionReport>,
    /// The new record (the old one updated with this build's actions).
    pub record: Record,
    /// The build ID of the binary in place after the build.
    pub target: Option<String>,
}

impl BuildReport {
    /// Import paths of the packages compiled, sorted.
    pub fn compiled(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .actions
            .iter()
            .filter(|a| a.mode == Mode::Build && a.outcome.ran())
            .map(|a| a.import_path.clone())
            .collect();
        crate::sort::sort(&mut v);
        v
    }
    pub fn asm_runs(&self) -> usize {
        self.actions.iter().map(|a| a.asm_runs).sum()
    }
    pub fn link_runs(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.mode == Mode::Link && a.outcome.ran())
            .count()
    }
    pub fn get(&self, key: &str) -> Option<&ActionReport> {
        self.actions.iter().find(|a| a.key == key)
    }
    /// The why-rebuilt text of an action (see [`why::explain`]).
    pub fn explain(&self, key: &str) -> String {
        why::explain(self, key)
    }
}

impl Explain for BuildReport {
    fn outcome(&self, key: &str) -> Option<&Outcome> {
        self.get(key).map(|a| &a.outcome)
    }
    fn producer(&self, import_path: &str) -> Option<String> {
        self.actions
            .iter()
            .find(|a| a.mode == Mode::Build && a.import_path == import_path)
            .map(|a| a.key.clone())
    }
}

/// Runs the build's cache logic. `target` is the build ID of the binary in place, if any.
pub fn run(
    plan: &Plan,
    files: &dyn SourceFiles,
    cache: &mut dyn Cache,
    prev: &Record,
    target: Option<&str>,
    flags: &Flags,
    now: UnixNanos,
) -> BuildReport {
    let cfg = Config {
        flags: flags.clone(),
        now,
        ..Config::default()
    };
    let session = Session::new(plan, files, prev, target, cfg);
    build::run_sequential(session, cache, &mut Lazy(None)).report
}

/// The [`Simulated`] toolchain, made when the first job needs it: its sizes come from the whole
/// std graph, and a warm build (or its prediction) runs no job.
struct Lazy(Option<Simulated<'static>>);

impl build::Toolchain for Lazy {
    fn run(&mut self, plan: &Plan, files: &dyn SourceFiles, job: &build::Job) -> build::ToolResult {
        self.0
            .get_or_insert_with(|| Simulated::for_plan(plan, files))
            .run(plan, files, job)
    }
}

/// A prediction's toolchain: a compile whose action ID the record's last build of that package
/// had, and whose output was a real archive, is predicted to give that archive's content again
/// (a real compile is deterministic); otherwise the object model's. A real build whose cache
/// lost one archive thus predicts — and its page prefetches — the entries of the dependents,
/// which go finds again when the recompiled package's content is unchanged.
struct Predicted<'r> {
    sim: Lazy,
    prev: &'r Record,
}

impl build::Toolchain for Predicted<'_> {
    fn run(&mut self, plan: &Plan, files: &dyn SourceFiles, job: &build::Job) -> build::ToolResult {
        if job.mode == Mode::Build {
            if let Some(content) = last_real_content(self.prev, job) {
                let obj = object::Object::held_archive(content, content, 0);
                return build::ToolResult::ok(Some(obj), Vec::new());
            }
        }
        self.sim.run(plan, files, job)
    }
}

/// The content the record's last build of `job` gave, when that was a real archive (its export
/// data is its content ID, with no inlinable bodies) built for the same action ID.
fn last_real_content(prev: &Record, job: &build::Job) -> Option<Digest> {
    let r = prev.actions.get(&job.key)?;
    let bid = r.compile_id?;
    let export = r.export.as_ref()?;
    let real = export.api == r.content && export.inline.is_empty() && bid.content == r.content;
    let same_id = r.build_id.split('/').next() == job.build_id.split('/').next();
    (real && same_id).then_some(r.content)
}

/// Predicts the rebuild set for the current files without running anything and without
/// changing the cache: an action runs if its action ID has no usable cache entry (it changed
/// since the last build and the cache does not hold it); a recompiled package's content ID comes
/// from the object model, so dependents are cut off where it is unchanged. `prev` supplies the
/// why-rebuilt diffs.
pub fn predict(
    plan: &Plan,
    files: &dyn SourceFiles,
    cache: &dyn Cache,
    prev: &Record,
    target: Option<&str>,
    flags: &Flags,
) -> BuildReport {
    let cfg = Config {
        flags: flags.clone(),
        ..Config::default()
    };
    let session = Session::new(plan, files, prev, target, cfg).predicting();
    let mut tc = Predicted {
        sim: Lazy(None),
        prev,
    };
    build::run_sequential(session, &mut ReadOnly(cache), &mut tc).report
}

// ---------------------------------------------------------------------------------------------
// The record on disk
// ---------------------------------------------------------------------------------------------

/// The version of [`Record::to_json`]'s format.
pub const RECORD_VERSION: u64 = 1;

impl Record {
    /// The record as versioned JSON (`{"version": 1, "actions": [...]}`, actions sorted by key),
    /// for a native helper to keep beside its cache. `output` is an optional field of version 1:
    /// a record without it reads as one whose hits read their outputs.
    pub fn to_json(&self) -> String {
        use serde_json::{json, Value};
        let hex = |d: &Digest| Value::String(d.to_hex());
        let actions: Vec<Value> = self
            .actions
            .iter()
            .map(|(key, a)| {
                json!({
                    "key": key,
                    "lines": a.inputs.lines().collect::<Vec<_>>(),
                    "id": hex(&a.inputs.id),
                    "build_id": a.build_id,
                    "compile_id": a.compile_id.map(|b| json!([hex(&b.action), hex(&b.content)])),
                    "content": hex(&a.content),
                    "output": a.output.as_ref().map(hex),
                    "export": a.export.as_ref().map(|e| json!({
                        "api": hex(&e.api),
                        "inline": e.inline.iter().map(|(k, f)| json!({
                            "key": k, "cost": f.cost, "body": hex(&f.body), "calls": f.calls,
                        })).collect::<Vec<_>>(),
                    })),
                })
            })
            .collect();
        json!({ "version": RECORD_VERSION, "actions": actions }).to_string()
    }

    /// Reads [`Record::to_json`]'s output; refuses other versions and malformed records (the
    /// caller then starts from an empty record: the next build explains less, nothing breaks).
    pub fn from_json(text: &str) -> Result<Record, String> {
        use serde_json::Value;
        let v: Value = serde_json::from_str(text).map_err(|e| format!("record: {e}"))?;
        match v.get("version").and_then(Value::as_u64) {
            Some(RECORD_VERSION) => {}
            Some(n) => {
                return Err(format!(
                    "record: version {n}, this build reads {RECORD_VERSION}"
                ))
            }
            None => return Err("record: no version".into()),
        }
        let bad = |what: &str| format!("record: bad {what}");
        let digest = |v: &Value, what: &str| -> Result<Digest, String> {
            v.as_str()
                .and_then(object::parse_hex)
                .ok_or_else(|| bad(what))
        };
        let strings = |v: &Value, what: &str| -> Result<Vec<String>, String> {
            v.as_array()
                .ok_or_else(|| bad(what))?
                .iter()
                .map(|s| s.as_str().map(str::to_string).ok_or_else(|| bad(what)))
                .collect()
        };
        let mut record = Record::default();
        for a in v["actions"].as_array().ok_or_else(|| bad("actions"))? {
            let key = a["key"].as_str().ok_or_else(|| bad("key"))?.to_string();
            let compile_id = match &a["compile_id"] {
                Value::Null => None,
                Value::Array(p) if p.len() == 2 => Some(BuildId {
                    action: digest(&p[0], "compile_id")?,
                    content: digest(&p[1], "compile_id")?,
                }),
                _ => return Err(bad("compile_id")),
            };
            let export = match &a["export"] {
                Value::Null => None,
                e => {
                    let mut inline = BTreeMap::new();
                    for f in e["inline"].as_array().ok_or_else(|| bad("inline"))? {
                        inline.insert(
                            f["key"]
                                .as_str()
                                .ok_or_else(|| bad("inline key"))?
                                .to_string(),
                            object::Inlinable {
                                cost: f["cost"].as_u64().ok_or_else(|| bad("inline cost"))? as u32,
                                body: digest(&f["body"], "inline body")?,
                                calls: strings(&f["calls"], "inline calls")?,
                            },
                        );
                    }
                    Some(object::ExportData {
                        api: digest(&e["api"], "api")?,
                        inline,
                    })
                }
            };
            record.actions.insert(
                key.clone(),
                ActionRecord {
                    inputs: HashedInputs::from_lines(
                        key,
                        strings(&a["lines"], "lines")?,
                        digest(&a["id"], "id")?,
                    ),
                    build_id: a["build_id"]
                        .as_str()
                        .ok_or_else(|| bad("build_id"))?
                        .to_string(),
                    compile_id,
                    content: digest(&a["content"], "content")?,
                    export,
                    // Optional: records written before it existed read as not knowing it.
                    output: match &a["output"] {
                        Value::Null => None,
                        o => Some(digest(o, "output")?),
                    },
                },
            );
        }
        Ok(record)
    }
}
