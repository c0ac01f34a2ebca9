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
    /// By action key (`build P`, `link P`), in key order (a sorted vector: `object::Keyed`).
    pub actions: object::Keyed<ActionRecord>,
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
    ///
    /// Written by hand ([`json`]) as serde_json printed it (compact, keys sorted, its escapes):
    /// the page's wasm then carries no JSON `Value` nor serde_json's reader.
    pub fn to_json(&self) -> String {
        let mut s = String::from("{\"actions\":[");
        for (i, (key, a)) in self.actions.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str("{\"build_id\":");
            json::string(&mut s, &a.build_id);
            s.push_str(",\"compile_id\":");
            match &a.compile_id {
                Some(b) => {
                    s.push('[');
                    json::string(&mut s, &b.action.to_hex());
                    s.push(',');
                    json::string(&mut s, &b.content.to_hex());
                    s.push(']');
                }
                None => s.push_str("null"),
            }
            s.push_str(",\"content\":");
            json::string(&mut s, &a.content.to_hex());
            s.push_str(",\"export\":");
            match &a.export {
                Some(e) => {
                    s.push_str("{\"api\":");
                    json::string(&mut s, &e.api.to_hex());
                    s.push_str(",\"inline\":[");
                    for (j, (k, f)) in e.inline.iter().enumerate() {
                        if j > 0 {
                            s.push(',');
                        }
                        s.push_str("{\"body\":");
                        json::string(&mut s, &f.body.to_hex());
                        s.push_str(",\"calls\":");
                        json::strings(&mut s, &f.calls);
                        s.push_str(&format!(",\"cost\":{},\"key\":", f.cost));
                        json::string(&mut s, k);
                        s.push('}');
                    }
                    s.push_str("]}");
                }
                None => s.push_str("null"),
            }
            s.push_str(",\"id\":");
            json::string(&mut s, &a.inputs.id.to_hex());
            s.push_str(",\"key\":");
            json::string(&mut s, key);
            s.push_str(",\"lines\":");
            json::strings(&mut s, a.inputs.lines());
            s.push_str(",\"output\":");
            match &a.output {
                Some(o) => json::string(&mut s, &o.to_hex()),
                None => s.push_str("null"),
            }
            s.push('}');
        }
        s.push_str(&format!("],\"version\":{RECORD_VERSION}}}"));
        s
    }

    /// Reads [`Record::to_json`]'s output; refuses other versions and malformed records (the
    /// caller then starts from an empty record: the next build explains less, nothing breaks).
    pub fn from_json(text: &str) -> Result<Record, String> {
        use json::Value;
        let v = json::parse(text).map_err(|e| format!("record: {e}"))?;
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
                    let mut inline = object::Keyed::new();
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

/// The record's JSON, by hand: a writer that prints strings as serde_json does and a small
/// reader (RFC 8259, nesting at most 128 deep as serde_json's) into [`json::Value`]. The page
/// keeps the record in IndexedDB as this text and the helper on disk; serde_json reads and
/// writes the same text (a test holds the two to each other).
pub(crate) mod json {
    use std::fmt::Write;

    /// A parsed JSON value. Numbers keep their text (the record has only small integers).
    #[derive(Clone, Debug, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(String),
        String(String),
        Array(Vec<Value>),
        /// Members in the text's order; a repeated key: the last one counts, as in serde_json.
        Object(Vec<(String, Value)>),
    }

    static NULL: Value = Value::Null;

    impl Value {
        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Object(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }
        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::String(s) => Some(s),
                _ => None,
            }
        }
        /// An integer in `0..=u64::MAX` written without a fraction or exponent.
        pub fn as_u64(&self) -> Option<u64> {
            match self {
                Value::Number(n) => n.parse().ok(),
                _ => None,
            }
        }
        pub fn as_array(&self) -> Option<&Vec<Value>> {
            match self {
                Value::Array(a) => Some(a),
                _ => None,
            }
        }
    }

    impl std::ops::Index<&str> for Value {
        type Output = Value;
        /// The member `key`, or null when there is none (as serde_json's `Value`).
        fn index(&self, key: &str) -> &Value {
            self.get(key).unwrap_or(&NULL)
        }
    }

    /// `s` as a JSON string, escaped as serde_json escapes it.
    pub fn string(out: &mut String, s: &str) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    /// An array of strings.
    pub fn strings<S: AsRef<str>>(out: &mut String, items: impl IntoIterator<Item = S>) {
        out.push('[');
        for (i, s) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(out, s.as_ref());
        }
        out.push(']');
    }

    /// Parses one JSON text.
    pub fn parse(text: &str) -> Result<Value, String> {
        let mut p = Parser {
            b: text.as_bytes(),
            at: 0,
            depth: 0,
        };
        let v = p.value()?;
        p.space();
        match p.at == p.b.len() {
            true => Ok(v),
            false => Err(p.error("trailing characters")),
        }
    }

    struct Parser<'a> {
        b: &'a [u8],
        at: usize,
        depth: u32,
    }

    impl Parser<'_> {
        fn error(&self, what: &str) -> String {
            format!("{what} at byte {}", self.at)
        }
        fn space(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.at) {
                self.at += 1;
            }
        }
        fn eat(&mut self, c: u8) -> bool {
            let hit = self.b.get(self.at) == Some(&c);
            self.at += usize::from(hit);
            hit
        }
        fn literal(&mut self, word: &str, v: Value) -> Result<Value, String> {
            match self.b[self.at..].starts_with(word.as_bytes()) {
                true => {
                    self.at += word.len();
                    Ok(v)
                }
                false => Err(self.error("expected value")),
            }
        }
        fn value(&mut self) -> Result<Value, String> {
            self.space();
            match self.b.get(self.at) {
                Some(b'n') => self.literal("null", Value::Null),
                Some(b't') => self.literal("true", Value::Bool(true)),
                Some(b'f') => self.literal("false", Value::Bool(false)),
                Some(b'"') => self.string().map(Value::String),
                Some(b'[' | b'{') => self.nested(),
                Some(b'-' | b'0'..=b'9') => self.number(),
                Some(_) => Err(self.error("expected value")),
                None => Err(self.error("EOF while parsing a value")),
            }
        }
        fn nested(&mut self) -> Result<Value, String> {
            self.depth += 1;
            if self.depth > 128 {
                return Err(self.error("recursion limit exceeded"));
            }
            let v = match self.b[self.at] {
                b'[' => self.array(),
                _ => self.object(),
            };
            self.depth -= 1;
            v
        }
        fn array(&mut self) -> Result<Value, String> {
            let items = self.items(b']', "expected `,` or `]`", Self::value)?;
            Ok(Value::Array(items))
        }
        fn object(&mut self) -> Result<Value, String> {
            let members = self.items(b'}', "expected `,` or `}`", Self::member)?;
            Ok(Value::Object(members))
        }
        /// An object's `"key": value`.
        fn member(&mut self) -> Result<(String, Value), String> {
            self.space();
            if self.b.get(self.at) != Some(&b'"') {
                return Err(self.error("key must be a string"));
            }
            let key = self.string()?;
            self.space();
            if !self.eat(b':') {
                return Err(self.error("expected `:`"));
            }
            Ok((key, self.value()?))
        }
        /// The items of an array or object from its opening bracket to `close`, separated by
        /// commas, each read by `item`; `expected` is the error after an item that is followed
        /// by neither.
        fn items<T>(
            &mut self,
            close: u8,
            expected: &str,
            item: fn(&mut Self) -> Result<T, String>,
        ) -> Result<Vec<T>, String> {
            self.at += 1;
            let mut items = Vec::new();
            self.space();
            if self.eat(close) {
                return Ok(items);
            }
            loop {
                items.push(item(self)?);
                self.space();
                if self.eat(close) {
                    return Ok(items);
                }
                if !self.eat(b',') {
                    return Err(self.error(expected));
                }
            }
        }
        fn digits(&mut self) -> usize {
            let from = self.at;
            while self.b.get(self.at).is_some_and(u8::is_ascii_digit) {
                self.at += 1;
            }
            self.at - from
        }
        fn number(&mut self) -> Result<Value, String> {
            let from = self.at;
            self.eat(b'-');
            match self.b.get(self.at) {
                Some(b'0') => self.at += 1,
                Some(b'1'..=b'9') => {
                    self.digits();
                }
                _ => return Err(self.error("invalid number")),
            }
            if self.eat(b'.') && self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
            if self.eat(b'e') || self.eat(b'E') {
                if !self.eat(b'+') {
                    self.eat(b'-');
                }
                if self.digits() == 0 {
                    return Err(self.error("invalid number"));
                }
            }
            // ASCII by construction.
            let text = String::from_utf8_lossy(&self.b[from..self.at]).into_owned();
            Ok(Value::Number(text))
        }
        fn hex4(&mut self) -> Result<u32, String> {
            let h = self
                .b
                .get(self.at..self.at + 4)
                .ok_or_else(|| self.error("EOF in escape"))?;
            let h = std::str::from_utf8(h).map_err(|_| self.error("invalid escape"))?;
            let n = u32::from_str_radix(h, 16).map_err(|_| self.error("invalid escape"))?;
            self.at += 4;
            Ok(n)
        }
        /// A string at `"`: its text with the escapes resolved.
        fn string(&mut self) -> Result<String, String> {
            self.at += 1;
            let mut out = Vec::new();
            loop {
                let Some(&c) = self.b.get(self.at) else {
                    return Err(self.error("EOF while parsing a string"));
                };
                self.at += 1;
                match c {
                    b'"' => break,
                    b'\\' => {
                        let e = *self
                            .b
                            .get(self.at)
                            .ok_or_else(|| self.error("EOF in escape"))?;
                        self.at += 1;
                        let ch = match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => self.unicode()?,
                            _ => return Err(self.error("invalid escape")),
                        };
                        let mut buf = [0; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    0..=0x1f => return Err(self.error("control character in a string")),
                    c => out.push(c),
                }
            }
            // The input is a &str and escapes add whole characters: valid UTF-8.
            String::from_utf8(out).map_err(|_| self.error("invalid UTF-8"))
        }
        /// `\uXXXX` (after the `u`), a surrogate pair as one character.
        fn unicode(&mut self) -> Result<char, String> {
            let n = self.hex4()?;
            let n = match n {
                0xD800..=0xDBFF => {
                    if !(self.eat(b'\\') && self.eat(b'u')) {
                        return Err(self.error("lone leading surrogate"));
                    }
                    let lo = self.hex4()?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return Err(self.error("invalid surrogate pair"));
                    }
                    0x10000 + ((n - 0xD800) << 10) + (lo - 0xDC00)
                }
                0xDC00..=0xDFFF => return Err(self.error("lone trailing surrogate")),
                n => n,
            };
            char::from_u32(n).ok_or_else(|| self.error("invalid escape"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The writer the record had before [`json`]: serde_json's `json!`, kept to hold the hand
    /// writer to it byte for byte.
    fn serde_json_record(r: &Record) -> String {
        use serde_json::Value;
        let hex = |d: &Digest| Value::String(d.to_hex());
        let actions: Vec<Value> = r
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

    fn sample_record() -> Record {
        let d = |s: &str| Digest::of(s.as_bytes());
        let mut r = Record::default();
        let lines = [
            "go 1.23",
            "file \"quoted\" \\back\\slash\ttab\u{1}ctl\u{1f} é ✓ 🦀",
            "",
        ];
        let mut inline = object::Keyed::new();
        for (k, calls) in [("F", vec!["G".to_string()]), ("T.M", vec![])] {
            inline.insert(
                k.to_string(),
                object::Inlinable {
                    cost: 80,
                    body: d(k),
                    calls,
                },
            );
        }
        r.actions.insert(
            "build example.com/m".into(),
            ActionRecord {
                inputs: HashedInputs::from_lines("build example.com/m".into(), lines, d("id")),
                build_id: "abc/def".into(),
                compile_id: Some(BuildId {
                    action: d("a"),
                    content: d("c"),
                }),
                content: d("content"),
                export: Some(object::ExportData {
                    api: d("api"),
                    inline,
                }),
                output: Some(d("out")),
            },
        );
        r.actions.insert(
            "link example.com/m".into(),
            ActionRecord {
                inputs: HashedInputs::from_lines("link example.com/m".into(), ["x"], d("l")),
                build_id: "l/l".into(),
                compile_id: None,
                content: d("lc"),
                export: None,
                output: None,
            },
        );
        r
    }

    #[test]
    fn the_record_is_written_as_serde_json_wrote_it_and_read_back() {
        let r = sample_record();
        let text = r.to_json();
        assert_eq!(text, serde_json_record(&r));
        assert_eq!(Record::from_json(&text).unwrap(), r);
        // What serde_json pretty-prints reads the same (whitespace anywhere JSON allows it).
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(Record::from_json(&pretty).unwrap(), r);
        assert_eq!(
            Record::from_json(&text.replace("\"version\":1", "\"version\":2")).unwrap_err(),
            "record: version 2, this build reads 1"
        );
    }

    /// The reader takes what serde_json takes and refuses what it refuses.
    #[test]
    fn the_json_reader_agrees_with_serde_json() {
        fn to_serde(v: &json::Value) -> serde_json::Value {
            use json::Value as J;
            match v {
                J::Null => serde_json::Value::Null,
                J::Bool(b) => (*b).into(),
                J::Number(n) => serde_json::from_str(n).unwrap(),
                J::String(s) => s.clone().into(),
                J::Array(a) => a.iter().map(to_serde).collect(),
                J::Object(m) => m.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect(),
            }
        }
        let good = [
            "null",
            " true ",
            "false",
            "0",
            "-0",
            "12",
            "-3.25e+10",
            "1E5",
            "0.5",
            r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83e\udd80""#,
            "[]",
            "[ 1 , [2,[ ]] ]",
            "{}",
            r#"{"a":1,"b":{"c":[null]},"a":2}"#,
            "\t\n\r [1]",
        ];
        for t in good {
            let ours = json::parse(t).unwrap_or_else(|e| panic!("{t}: {e}"));
            let theirs: serde_json::Value = serde_json::from_str(t).unwrap();
            assert_eq!(to_serde(&ours), theirs, "{t}");
        }
        let bad = [
            "",
            "nul",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "{1:2}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "\"abc",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "\"a\u{1}\"",
            "[1] 2",
            "tru",
            "[",
            "{\"a\":",
        ];
        for t in bad {
            assert!(json::parse(t).is_err(), "{t:?} parsed");
            assert!(
                serde_json::from_str::<serde_json::Value>(t).is_err(),
                "{t:?}"
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(json::parse(&deep).is_err(), "nesting is bounded");
        assert_eq!(json::parse("{\"v\":7}").unwrap()["v"].as_u64(), Some(7));
        assert_eq!(json::parse("{\"v\":7.0}").unwrap()["v"].as_u64(), None);
        assert_eq!(json::parse("{}").unwrap()["v"], json::Value::Null);
    }

    proptest! {
        #[test]
        fn any_string_is_written_and_read_as_serde_json_does(s in any::<String>()) {
            let mut ours = String::new();
            json::string(&mut ours, &s);
            prop_assert_eq!(&ours, &serde_json::to_string(&s).unwrap());
            prop_assert_eq!(json::parse(&ours).unwrap(), json::Value::String(s));
        }
    }
}
