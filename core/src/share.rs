//! Share links: everything needed to reproduce a Buildlab session — the workspace, the command
//! line, the toolchain choice, the virtual machine's CPUs and the recorded trace(s) of the last
//! build(s) — packed into one token that fits in a URL fragment, so no server is involved.
//!
//! # The token (format 1)
//!
//! ```text
//! 1.<base64url, no padding, of raw DEFLATE of the payload JSON>
//! ```
//!
//! The format number comes first, in the clear, so that a page can refuse a link from a newer
//! Buildlab before it decodes anything ("this link was made by a newer Buildlab (format 3); this
//! page reads format 1"). The payload is a JSON object:
//!
//! | field        | what                                                                  |
//! |--------------|-----------------------------------------------------------------------|
//! | `title`      | optional, what the sharer called it                                   |
//! | `txtar`      | the workspace as txtar (the Go playground's format), files in order   |
//! | `noeol`      | paths whose last line has no newline (txtar adds one; we take it off) |
//! | `raw`        | `[path, text]` files txtar cannot carry (a line starting `-- `, odd names) |
//! | `bin`        | `[path, base64url]` files that are not UTF-8                          |
//! | `cwd`        | the directory go runs in, relative to the workspace (`""`: the root)  |
//! | `argv`       | the command line, `["go", "build", "-x", "."]`                        |
//! | `toolchain`  | `{runner: "simulated" \| "real", goos, goarch, cgo}`                  |
//! | `cpus`       | the virtual machine's CPUs (GOMAXPROCS)                                |
//! | `builds`     | `[{label, trace}]`, oldest first, `trace` in the compact encoding below |
//!
//! The workspace round-trips exactly (bytes, not just text): txtar alone would add missing
//! final newlines, mangle non-UTF-8 files and split a file at a line that looks like a header.
//!
//! # The compact trace encoding (version 1)
//!
//! A [`Trace`] as `{v: 1, origin, root, lanes, end, do: [start, end], strings, actions}` where
//! `strings` is a table of the modes, package paths and miss reasons, and each action is a tuple
//! `[id, mode, package, deps, lane, ready, start, end, kind, status, cache, spans]`: `mode` and
//! `package` index `strings`; `lane` is 0 for none; `ready` is -1 for none; `kind` and
//! `status` are small codes (see [`KINDS`], [`STATUSES`]); `cache` is 0 unknown, 1 hit,
//! 2 up to date, `3 + i` a miss for reason `strings[i]`; `spans` is flat,
//! `[kind, start, end, …]`. Times are whole microseconds (a trace is drawn in milliseconds):
//! encoding rounds, so a decoded trace equals the original up to that rounding
//! ([`quantize`] applies the same rounding in place).
//!
//! # Hostile links
//!
//! A link is untrusted input. [`decode`] checks, in this order: the token's length
//! ([`MAX_TOKEN_CHARS`]) before anything else, the format number, the base64 alphabet, then
//! inflates with a bounded decompressor that stops at [`MAX_PAYLOAD_BYTES`] (no decompression
//! bombs), then parses and validates every field: paths through
//! [`crate::workspace::normalize`] (no `..`, no absolute paths), counts and lengths bounded (the
//! `MAX_*` constants), indices in range, codes known. Every failure is a [`ShareError`] whose
//! `Display` is a sentence for the page. Nothing here renders anything: the page shows file
//! names and contents as text only.
//!
//! Not here: building the URL (the page puts the token after `#share=`), IO, and the page's
//! state; old formats are read by [`decode`] for as long as they exist (there is one).

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::trace::{CacheOutcome, Kind, Origin, Span, Status, Trace, TraceAction};
use crate::workspace::{normalize, Workspace};

/// The format this build writes and reads.
pub const SHARE_FORMAT: u32 = 1;
/// The version of the compact trace encoding inside format 1.
pub const TRACE_ENCODING: u32 = 1;

/// Longest token accepted, in characters (checked before anything is decoded).
pub const MAX_TOKEN_CHARS: usize = 1 << 20;
/// Largest payload after decompression, bytes.
pub const MAX_PAYLOAD_BYTES: usize = 4 << 20;
pub const MAX_FILES: usize = 2_000;
pub const MAX_PATH_BYTES: usize = 512;
pub const MAX_ARGS: usize = 128;
pub const MAX_ARG_BYTES: usize = 4_096;
pub const MAX_TITLE_BYTES: usize = 200;
pub const MAX_CPUS: usize = 256;
pub const MAX_BUILDS: usize = 8;
pub const MAX_LABEL_BYTES: usize = 64;
/// Actions over all the traces of one link.
pub const MAX_ACTIONS: usize = 50_000;
pub const MAX_SPANS_PER_ACTION: usize = 64;
pub const MAX_LANES: usize = 1_024;
pub const MAX_STRINGS: usize = 60_000;
pub const MAX_STRING_BYTES: usize = 4_096;
/// Times beyond ±this many µs (about 11.5 days) are refused.
pub const MAX_TIME_US: i64 = 1_000_000_000_000;

/// The span kinds by code, as the compact encoding numbers them.
pub const KINDS: [Kind; 9] = [
    Kind::Compile,
    Kind::Asm,
    Kind::Pack,
    Kind::Cgo,
    Kind::Link,
    Kind::Install,
    Kind::Go,
    Kind::CacheHit,
    Kind::Other,
];
/// The action statuses by code.
pub const STATUSES: [Status; 4] = [
    Status::Ran,
    Status::Failed,
    Status::Skipped,
    Status::NoActor,
];

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/// What a share link reproduces.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub title: String,
    pub workspace: Workspace,
    /// The directory go runs in, workspace-relative (`""` is the root).
    pub cwd: String,
    /// The command line as typed: `["go", "build", "-x", "."]`. The page parses it.
    pub argv: Vec<String>,
    pub toolchain: ToolchainChoice,
    /// The virtual machine's CPUs (GOMAXPROCS), 1..=[`MAX_CPUS`].
    pub cpus: usize,
    /// The recorded builds, oldest first (e.g. `cold`, then `warm`).
    pub builds: Vec<SharedBuild>,
}

/// Which toolchain ran the builds and for which target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolchainChoice {
    pub runner: Runner,
    pub goos: String,
    pub goarch: String,
    pub cgo: bool,
}

impl Default for ToolchainChoice {
    fn default() -> Self {
        ToolchainChoice {
            runner: Runner::Simulated,
            goos: "linux".into(),
            goarch: "amd64".into(),
            cgo: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runner {
    /// The calibrated simulation in the page.
    Simulated,
    /// The real Go tools through the native helper.
    Real,
}

/// One recorded build.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedBuild {
    /// `cold`, `warm`, `after edit`… (at most [`MAX_LABEL_BYTES`]).
    pub label: String,
    pub trace: Trace,
}

/// Why a link cannot be opened. `Display` is the sentence the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareError {
    /// Empty, or not `N.` followed by the payload.
    NotALink,
    TooLong {
        chars: usize,
        max: usize,
    },
    /// Made by a newer Buildlab.
    NewerFormat {
        found: u64,
    },
    /// A format number this page never wrote (0, or not a number).
    UnknownFormat {
        found: String,
    },
    /// A character outside base64url, at this offset of the payload.
    BadCharacter {
        at: usize,
    },
    /// The compressed data is damaged (truncated or altered).
    Corrupt,
    /// Decompressing would exceed [`MAX_PAYLOAD_BYTES`].
    TooBig {
        max: usize,
    },
    /// The payload is not the expected JSON.
    Malformed(String),
    /// A field is out of bounds or inconsistent: which, and why.
    Invalid(String),
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareError::NotALink => write!(f, "this is not a Buildlab share link"),
            ShareError::TooLong { chars, max } => write!(
                f,
                "this share link is too long ({chars} characters; at most {max} are read)"
            ),
            ShareError::NewerFormat { found } => write!(
                f,
                "this link was made by a newer Buildlab (format {found}); this page reads format {SHARE_FORMAT}"
            ),
            ShareError::UnknownFormat { found } => write!(
                f,
                "this link has an unknown format ({found:?}); this page reads format {SHARE_FORMAT}"
            ),
            ShareError::BadCharacter { at } => write!(
                f,
                "this share link is damaged: unexpected character at position {at} (was it cut or edited?)"
            ),
            ShareError::Corrupt => write!(
                f,
                "this share link is damaged: its data does not decompress (was it cut short?)"
            ),
            ShareError::TooBig { max } => write!(
                f,
                "this share link unpacks to more than {} MiB, which this page refuses",
                max >> 20
            ),
            ShareError::Malformed(e) => write!(f, "this share link is damaged: {e}"),
            ShareError::Invalid(e) => write!(f, "this share link is invalid: {e}"),
        }
    }
}

impl std::error::Error for ShareError {}

// ---------------------------------------------------------------------------------------------
// Encode and decode
// ---------------------------------------------------------------------------------------------

/// The token for `s` (`1.` + base64url of the deflated payload). Fields beyond the caps are
/// written as they are; [`decode`] would refuse them, so the page should check
/// [`validate`] first if it lets users build huge workspaces.
pub fn encode(s: &Shared) -> String {
    let json = to_json(s);
    let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
    let mut out = format!("{SHARE_FORMAT}.");
    base64url_encode(&packed, &mut out);
    out
}

/// Opens a token made by [`encode`] (of this or an older format), refusing anything else with a
/// [`ShareError`]. Leading `#share=` or `share=` is accepted, surrounding whitespace ignored.
pub fn decode(token: &str) -> Result<Shared, ShareError> {
    if token.len() > MAX_TOKEN_CHARS + 16 {
        return Err(ShareError::TooLong {
            chars: token.len(),
            max: MAX_TOKEN_CHARS,
        });
    }
    let t = token.trim();
    let t = t.strip_prefix('#').unwrap_or(t);
    let t = t.strip_prefix("share=").unwrap_or(t);
    if t.len() > MAX_TOKEN_CHARS {
        return Err(ShareError::TooLong {
            chars: t.len(),
            max: MAX_TOKEN_CHARS,
        });
    }
    let (version, body) = t.split_once('.').ok_or(ShareError::NotALink)?;
    match parse_format(version)? {
        1 => {}
        n => return Err(ShareError::NewerFormat { found: n }),
    }
    let packed = base64url_decode(body)?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_PAYLOAD_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ShareError::TooBig {
                max: MAX_PAYLOAD_BYTES,
            },
            _ => ShareError::Corrupt,
        })?;
    let json = String::from_utf8(json)
        .map_err(|_| ShareError::Malformed("its data is not UTF-8 text".into()))?;
    from_json(&json)
}

/// A token's payload before compression: the wire as JSON text. The page also hands its session
/// from its first wasm module to the full one with it (no compression code in the first).
pub fn to_json(s: &Shared) -> String {
    // Not `expect`: that would keep serde_json's error `Debug` in the page's first module.
    serde_json::to_string(&to_wire(s)).unwrap_or_else(|_| panic!("plain data serializes"))
}

/// Reads a payload made by [`to_json`], with [`decode`]'s checks.
pub fn from_json(json: &str) -> Result<Shared, ShareError> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| ShareError::Malformed(e.to_string()))?;
    from_wire(Wire::read(v).map_err(ShareError::Malformed)?)
}

fn parse_format(v: &str) -> Result<u64, ShareError> {
    if v.is_empty() {
        return Err(ShareError::NotALink);
    }
    let shown = || v.chars().take(12).collect::<String>();
    if v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ShareError::UnknownFormat { found: shown() });
    }
    match v.parse::<u64>() {
        Ok(0) | Err(_) => Err(ShareError::UnknownFormat { found: shown() }),
        Ok(n) => Ok(n),
    }
}

/// Checks `s` against the bounds [`decode`] enforces (what a link made from it would fail on).
pub fn validate(s: &Shared) -> Result<(), ShareError> {
    from_wire(to_wire(s)).map(|_| ())
}

/// Rounds every time of `t` to whole microseconds, as the compact encoding does.
pub fn quantize(t: &mut Trace) {
    let q = |x: &mut f64| *x = us(*x) as f64;
    q(&mut t.end_us);
    q(&mut t.do_start_us);
    q(&mut t.do_end_us);
    for a in &mut t.actions {
        q(&mut a.start_us);
        q(&mut a.end_us);
        if let Some(r) = &mut a.ready_us {
            q(r);
        }
        for s in &mut a.spans {
            q(&mut s.start_us);
            q(&mut s.end_us);
        }
    }
}

fn us(x: f64) -> i64 {
    if x.is_finite() {
        x.round().clamp(-(MAX_TIME_US as f64), MAX_TIME_US as f64) as i64
    } else {
        0
    }
}

// ---------------------------------------------------------------------------------------------
// The wire form (private: the format is this module's, not its types')
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct Wire {
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    txtar: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    noeol: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    raw: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bin: Vec<(String, String)>,
    cwd: String,
    argv: Vec<String>,
    toolchain: WireToolchain,
    cpus: u64,
    builds: Vec<WireBuild>,
}

#[derive(Serialize)]
struct WireToolchain {
    runner: String,
    goos: String,
    goarch: String,
    cgo: bool,
}

#[derive(Serialize)]
struct WireBuild {
    label: String,
    trace: WireTrace,
}

#[derive(Serialize)]
struct WireTrace {
    v: u32,
    origin: String,
    root: String,
    lanes: u64,
    end: i64,
    #[serde(rename = "do")]
    do_span: (i64, i64),
    strings: Vec<String>,
    actions: Vec<WireAction>,
}

/// `[id, mode, package, deps, lane, ready, start, end, kind, status, cache, spans]`.
type WireAction = (
    u64,
    u32,
    u32,
    Vec<u32>,
    u32,
    i64,
    i64,
    i64,
    u8,
    u8,
    u32,
    Vec<i64>,
);

// The wire is read from a `serde_json::Value` by hand rather than with serde's derive: the
// derived readers (four structs and the twelve-element action tuple) were a typed JSON reader of
// their own in the page's wasm, next to the `Value` reader every other JSON import uses. Every
// object refuses fields it does not know, as before.

/// One wire object, read field by field; [`Fields::done`] refuses what is left.
struct Fields {
    what: &'static str,
    map: serde_json::Map<String, Value>,
}

impl Fields {
    fn new(what: &'static str, v: Value) -> Result<Fields, String> {
        match v {
            Value::Object(map) => Ok(Fields { what, map }),
            _ => Err(format!("{what}: not an object")),
        }
    }

    fn need(&mut self, key: &str) -> Result<Value, String> {
        self.map
            .remove(key)
            .ok_or_else(|| format!("{}: missing field {key:?}", self.what))
    }

    /// An optional field: absent is `T::default()`.
    fn opt<T: Default>(&mut self, key: &str, read: fn(Value) -> Option<T>) -> Result<T, String> {
        match self.map.remove(key) {
            None => Ok(T::default()),
            Some(v) => read(v).ok_or_else(|| self.bad(key)),
        }
    }

    fn get<T>(&mut self, key: &str, read: fn(Value) -> Option<T>) -> Result<T, String> {
        let v = self.need(key)?;
        read(v).ok_or_else(|| self.bad(key))
    }

    fn bad(&self, key: &str) -> String {
        format!("{}: field {key:?} has the wrong type", self.what)
    }

    fn done(self) -> Result<(), String> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(k) => Err(format!("{}: unknown field {k:?}", self.what)),
        }
    }
}

fn string(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn array(v: Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(a) => Some(a),
        _ => None,
    }
}

fn strings(v: Value) -> Option<Vec<String>> {
    array(v)?.into_iter().map(string).collect()
}

/// `[[a, b], …]`.
fn pairs(v: Value) -> Option<Vec<(String, String)>> {
    array(v)?
        .into_iter()
        .map(|p| match <[Value; 2]>::try_from(array(p)?) {
            Ok([a, b]) => Some((string(a)?, string(b)?)),
            Err(_) => None,
        })
        .collect()
}

fn uint<const MAX: u64>(v: Value) -> Option<u64> {
    v.as_u64().filter(|&n| n <= MAX)
}

fn u32_(v: Value) -> Option<u32> {
    uint::<{ u32::MAX as u64 }>(v).map(|n| n as u32)
}

fn int(v: Value) -> Option<i64> {
    v.as_i64()
}

fn ints(v: Value) -> Option<Vec<i64>> {
    array(v)?.into_iter().map(int).collect()
}

impl Wire {
    fn read(v: Value) -> Result<Wire, String> {
        let mut f = Fields::new("the link", v)?;
        let w = Wire {
            title: f.opt("title", string)?,
            txtar: f.get("txtar", string)?,
            noeol: f.opt("noeol", strings)?,
            raw: f.opt("raw", pairs)?,
            bin: f.opt("bin", pairs)?,
            cwd: f.opt("cwd", string)?,
            argv: f.get("argv", strings)?,
            toolchain: WireToolchain::read(f.need("toolchain")?)?,
            cpus: f.get("cpus", uint::<{ u64::MAX }>)?,
            builds: match f.map.remove("builds") {
                None => Vec::new(),
                Some(b) => array(b)
                    .ok_or_else(|| f.bad("builds"))?
                    .into_iter()
                    .map(WireBuild::read)
                    .collect::<Result<_, _>>()?,
            },
        };
        f.done()?;
        Ok(w)
    }
}

impl WireToolchain {
    fn read(v: Value) -> Result<WireToolchain, String> {
        let mut f = Fields::new("toolchain", v)?;
        let t = WireToolchain {
            runner: f.get("runner", string)?,
            goos: f.get("goos", string)?,
            goarch: f.get("goarch", string)?,
            cgo: f.get("cgo", |v| v.as_bool())?,
        };
        f.done()?;
        Ok(t)
    }
}

impl WireBuild {
    fn read(v: Value) -> Result<WireBuild, String> {
        let mut f = Fields::new("a build", v)?;
        let label = f.get("label", string)?;
        let trace = WireTrace::read(f.need("trace")?)?;
        f.done()?;
        Ok(WireBuild { label, trace })
    }
}

impl WireTrace {
    fn read(v: Value) -> Result<WireTrace, String> {
        let mut f = Fields::new("a trace", v)?;
        let t = WireTrace {
            v: f.get("v", u32_)?,
            origin: f.get("origin", string)?,
            root: f.get("root", string)?,
            lanes: f.get("lanes", uint::<{ u64::MAX }>)?,
            end: f.get("end", int)?,
            do_span: f.get("do", |v| match <[i64; 2]>::try_from(ints(v)?) {
                Ok([a, b]) => Some((a, b)),
                Err(_) => None,
            })?,
            strings: f.get("strings", strings)?,
            actions: f.get("actions", |v| array(v)?.into_iter().map(action).collect())?,
        };
        f.done()?;
        Ok(t)
    }
}

/// One action's twelve-element array (see [`WireAction`]).
fn action(v: Value) -> Option<WireAction> {
    let [id, mode, package, deps, lane, ready, start, end, kind, status, cache, spans] =
        <[Value; 12]>::try_from(array(v)?).ok()?;
    let byte = |v: Value| uint::<{ u8::MAX as u64 }>(v).map(|n| n as u8);
    Some((
        uint::<{ u64::MAX }>(id)?,
        u32_(mode)?,
        u32_(package)?,
        array(deps)?.into_iter().map(u32_).collect::<Option<_>>()?,
        u32_(lane)?,
        int(ready)?,
        int(start)?,
        int(end)?,
        byte(kind)?,
        byte(status)?,
        u32_(cache)?,
        ints(spans)?,
    ))
}

/// Whether a file can travel inside the txtar text unchanged (after `noeol` is applied).
fn txtar_safe(path: &str, text: &str) -> bool {
    path.trim() == path
        && !path.chars().any(char::is_control)
        && !text
            .split_inclusive('\n')
            .any(|l| l.starts_with("-- ") || l.starts_with("--\t"))
}

fn to_wire(s: &Shared) -> Wire {
    let mut txt = Workspace::new();
    let (mut noeol, mut raw, mut bin) = (Vec::new(), Vec::new(), Vec::new());
    for (path, data) in s.workspace.iter() {
        match std::str::from_utf8(data) {
            Ok(text) if txtar_safe(path, text) => {
                if !text.is_empty() && !text.ends_with('\n') {
                    noeol.push(path.to_string());
                }
                txt.insert(path, data).expect("a workspace path is valid");
            }
            Ok(text) => raw.push((path.to_string(), text.to_string())),
            Err(_) => {
                let mut b = String::new();
                base64url_encode(data, &mut b);
                bin.push((path.to_string(), b));
            }
        }
    }
    let runner = match s.toolchain.runner {
        Runner::Simulated => "simulated",
        Runner::Real => "real",
    };
    Wire {
        title: s.title.clone(),
        txtar: txt.to_txtar(""),
        noeol,
        raw,
        bin,
        cwd: s.cwd.clone(),
        argv: s.argv.clone(),
        toolchain: WireToolchain {
            runner: runner.into(),
            goos: s.toolchain.goos.clone(),
            goarch: s.toolchain.goarch.clone(),
            cgo: s.toolchain.cgo,
        },
        cpus: s.cpus as u64,
        builds: s
            .builds
            .iter()
            .map(|b| WireBuild {
                label: b.label.clone(),
                trace: trace_to_wire(&b.trace),
            })
            .collect(),
    }
}

fn invalid(msg: impl Into<String>) -> ShareError {
    ShareError::Invalid(msg.into())
}

fn check_len(what: &str, s: &str, max: usize) -> Result<(), ShareError> {
    if s.len() > max {
        return Err(invalid(format!("{what} is longer than {max} bytes")));
    }
    Ok(())
}

fn check_path(p: &str) -> Result<(), ShareError> {
    check_len("a file name", p, MAX_PATH_BYTES)?;
    match normalize(p) {
        Some(n) if n == p => Ok(()),
        _ => Err(invalid(format!(
            "the file name {:?} is not a clean relative path",
            p.chars().take(80).collect::<String>()
        ))),
    }
}

fn from_wire(w: Wire) -> Result<Shared, ShareError> {
    check_len("the title", &w.title, MAX_TITLE_BYTES)?;
    // The workspace. Count the headers first: parsing is not the place to find out.
    let headers = w.txtar.split('\n').filter(|l| l.starts_with("-- ")).count();
    if headers > MAX_FILES {
        return Err(invalid(format!("it has over {MAX_FILES} files")));
    }
    let (_, mut ws) = Workspace::from_txtar(&w.txtar).map_err(|e| invalid(e.to_string()))?;
    let total = ws.len() + w.raw.len() + w.bin.len();
    if total > MAX_FILES {
        return Err(invalid(format!(
            "it has {total} files; at most {MAX_FILES} are allowed"
        )));
    }
    let txtar_paths: Vec<String> = ws.iter().map(|(p, _)| p.to_string()).collect();
    for p in &txtar_paths {
        check_path(p)?;
    }
    for p in &w.noeol {
        let Some(data) = ws.get(p) else {
            return Err(invalid(format!(
                "noeol names a file that is not there: {p:?}"
            )));
        };
        let Some(stripped) = data.strip_suffix(b"\n") else {
            return Err(invalid(format!("noeol names an empty file: {p:?}")));
        };
        let stripped = stripped.to_vec();
        ws.insert(p, stripped).expect("checked path");
    }
    let seen = |p: &str, ws: &Workspace| -> Result<(), ShareError> {
        check_path(p)?;
        if ws.get(p).is_some() {
            return Err(invalid(format!("the file {p:?} appears twice")));
        }
        Ok(())
    };
    for (p, text) in w.raw {
        seen(&p, &ws)?;
        ws.insert(&p, text).expect("checked path");
    }
    for (p, b64) in w.bin {
        seen(&p, &ws)?;
        let data = base64url_decode(&b64)
            .map_err(|_| invalid(format!("the file {p:?} is not base64url")))?;
        ws.insert(&p, data).expect("checked path");
    }
    // The command.
    if !w.cwd.is_empty() {
        check_path(&w.cwd)?;
    }
    if w.argv.len() > MAX_ARGS {
        return Err(invalid(format!(
            "the command line has more than {MAX_ARGS} words"
        )));
    }
    for a in &w.argv {
        check_len("a command-line word", a, MAX_ARG_BYTES)?;
    }
    let runner = match w.toolchain.runner.as_str() {
        "simulated" => Runner::Simulated,
        "real" => Runner::Real,
        _ => {
            return Err(invalid(
                "the toolchain is neither \"simulated\" nor \"real\"",
            ))
        }
    };
    for (what, v) in [("GOOS", &w.toolchain.goos), ("GOARCH", &w.toolchain.goarch)] {
        let ok = !v.is_empty()
            && v.len() <= 16
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok {
            return Err(invalid(format!("{what} is not a GOOS/GOARCH-shaped word")));
        }
    }
    if w.cpus == 0 || w.cpus > MAX_CPUS as u64 {
        return Err(invalid(format!("the CPU count must be 1 to {MAX_CPUS}")));
    }
    // The traces.
    if w.builds.len() > MAX_BUILDS {
        return Err(invalid(format!("it records more than {MAX_BUILDS} builds")));
    }
    let actions: usize = w.builds.iter().map(|b| b.trace.actions.len()).sum();
    if actions > MAX_ACTIONS {
        return Err(invalid(format!(
            "its traces have more than {MAX_ACTIONS} actions"
        )));
    }
    let mut builds = Vec::with_capacity(w.builds.len());
    for (i, b) in w.builds.into_iter().enumerate() {
        check_len("a build label", &b.label, MAX_LABEL_BYTES)?;
        let trace =
            trace_from_wire(b.trace).map_err(|e| invalid(format!("build {}: {e}", i + 1)))?;
        builds.push(SharedBuild {
            label: b.label,
            trace,
        });
    }
    Ok(Shared {
        title: w.title,
        workspace: ws,
        cwd: w.cwd,
        argv: w.argv,
        toolchain: ToolchainChoice {
            runner,
            goos: w.toolchain.goos,
            goarch: w.toolchain.goarch,
            cgo: w.toolchain.cgo,
        },
        cpus: w.cpus as usize,
        builds,
    })
}

// ---------------------------------------------------------------------------------------------
// The compact trace
// ---------------------------------------------------------------------------------------------

/// Interns strings in first-use order.
#[derive(Default)]
struct Table {
    strings: Vec<String>,
    index: std::collections::HashMap<String, u32>,
}

impl Table {
    fn of(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

fn kind_code(k: Kind) -> u8 {
    KINDS
        .iter()
        .position(|&x| x == k)
        .expect("every kind has a code") as u8
}

fn trace_to_wire(t: &Trace) -> WireTrace {
    let mut table = Table::default();
    let actions = t
        .actions
        .iter()
        .map(|a| {
            let mode = table.of(&a.mode);
            let package = table.of(&a.package);
            let cache = match &a.cache {
                CacheOutcome::Unknown => 0,
                CacheOutcome::Hit => 1,
                CacheOutcome::UpToDate => 2,
                CacheOutcome::Miss { reason } => 3 + table.of(reason),
            };
            let start = us(a.start_us);
            let spans = a
                .spans
                .iter()
                .flat_map(|s| {
                    [
                        kind_code(s.kind) as i64,
                        us(s.start_us) - start,
                        us(s.end_us) - us(s.start_us),
                    ]
                })
                .collect();
            (
                a.id as u64,
                mode,
                package,
                a.deps.iter().map(|&d| d as u32).collect(),
                a.lane.map_or(0, |l| l as u32),
                a.ready_us.map_or(-1, |r| us(r).max(0)),
                start,
                us(a.end_us) - start,
                kind_code(a.kind),
                STATUSES
                    .iter()
                    .position(|&s| s == a.status)
                    .expect("every status has a code") as u8,
                cache,
                spans,
            )
        })
        .collect();
    WireTrace {
        v: TRACE_ENCODING,
        origin: match t.origin {
            Origin::Simulated => "simulated",
            Origin::GoTrace => "go-trace",
            Origin::GoActionGraph => "go-actiongraph",
        }
        .into(),
        root: t.root.clone(),
        lanes: t.lanes as u64,
        end: us(t.end_us),
        do_span: (us(t.do_start_us), us(t.do_end_us)),
        strings: table.strings,
        actions,
    }
}

fn time(x: i64) -> Result<f64, String> {
    if x.abs() > MAX_TIME_US {
        return Err(format!("a time beyond {MAX_TIME_US} µs"));
    }
    Ok(x as f64)
}

fn trace_from_wire(w: WireTrace) -> Result<Trace, String> {
    if w.v != TRACE_ENCODING {
        return Err(format!(
            "trace encoding {} (this page reads {TRACE_ENCODING})",
            w.v
        ));
    }
    let origin = match w.origin.as_str() {
        "simulated" => Origin::Simulated,
        "go-trace" => Origin::GoTrace,
        "go-actiongraph" => Origin::GoActionGraph,
        o => {
            return Err(format!(
                "unknown origin {:?}",
                o.chars().take(40).collect::<String>()
            ))
        }
    };
    if w.strings.len() > MAX_STRINGS {
        return Err(format!("more than {MAX_STRINGS} strings"));
    }
    if let Some(s) = w
        .strings
        .iter()
        .chain([&w.root])
        .find(|s| s.len() > MAX_STRING_BYTES)
    {
        return Err(format!(
            "a string of {} bytes (at most {MAX_STRING_BYTES})",
            s.len()
        ));
    }
    if w.lanes > MAX_LANES as u64 {
        return Err(format!("more than {MAX_LANES} lanes"));
    }
    let n = w.actions.len();
    let string = |i: u32| -> Result<String, String> {
        w.strings
            .get(i as usize)
            .cloned()
            .ok_or_else(|| format!("string index {i} out of range"))
    };
    let code = |c: u8| -> Result<Kind, String> {
        KINDS
            .get(c as usize)
            .copied()
            .ok_or_else(|| format!("unknown kind {c}"))
    };
    let mut actions = Vec::with_capacity(n);
    for (i, a) in w.actions.iter().enumerate() {
        let (id, mode, package, deps, lane, ready, start, dur, kind, status, cache, spans) = a;
        let at = |e: String| format!("action {i}: {e}");
        if deps.iter().any(|&d| d as usize >= n) {
            return Err(at("a dependency out of range".into()));
        }
        if *lane as u64 > w.lanes {
            return Err(at(format!(
                "lane {lane} beyond the trace's {} lanes",
                w.lanes
            )));
        }
        if spans.len() % 3 != 0 || spans.len() / 3 > MAX_SPANS_PER_ACTION {
            return Err(at("malformed spans".into()));
        }
        let start_us = time(*start).map_err(at)?;
        let end_us = time(start.saturating_add(*dur)).map_err(at)?;
        let mut sp = Vec::with_capacity(spans.len() / 3);
        for c in spans.chunks_exact(3) {
            let k = u8::try_from(c[0]).map_err(|_| at("unknown span kind".into()))?;
            let s = start.saturating_add(c[1]);
            sp.push(Span {
                kind: code(k).map_err(at)?,
                start_us: time(s).map_err(at)?,
                end_us: time(s.saturating_add(c[2])).map_err(at)?,
            });
        }
        actions.push(TraceAction {
            id: usize::try_from(*id).map_err(|_| at("id out of range".into()))?,
            mode: string(*mode).map_err(at)?,
            package: string(*package).map_err(at)?,
            deps: deps.iter().map(|&d| d as usize).collect(),
            lane: (*lane != 0).then_some(*lane as usize),
            ready_us: if *ready < 0 {
                None
            } else {
                Some(time(*ready).map_err(at)?)
            },
            start_us,
            end_us,
            kind: code(*kind).map_err(at)?,
            status: *STATUSES
                .get(*status as usize)
                .ok_or_else(|| at(format!("unknown status {status}")))?,
            cache: match cache {
                0 => CacheOutcome::Unknown,
                1 => CacheOutcome::Hit,
                2 => CacheOutcome::UpToDate,
                r => CacheOutcome::Miss {
                    reason: string(r - 3).map_err(at)?,
                },
            },
            spans: sp,
        });
    }
    Ok(Trace {
        origin,
        root: w.root,
        lanes: w.lanes as usize,
        actions,
        end_us: time(w.end)?,
        do_start_us: time(w.do_span.0)?,
        do_end_us: time(w.do_span.1)?,
    })
}

// ---------------------------------------------------------------------------------------------
// base64url without padding (RFC 4648 §5)
// ---------------------------------------------------------------------------------------------

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Appends the unpadded base64url of `data` to `out`.
pub fn base64url_encode(data: &[u8], out: &mut String) {
    out.reserve(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        let digits = c.len() + 1;
        for i in 0..digits {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
}

/// Decodes unpadded base64url; `=` padding is tolerated at the end. Refuses other alphabets.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, ShareError> {
    let t = text.trim_end_matches('=');
    let b = t.as_bytes();
    if b.len() % 4 == 1 {
        return Err(ShareError::Corrupt);
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3 + 2);
    for (ci, c) in b.chunks(4).enumerate() {
        let mut n: u32 = 0;
        for (i, &ch) in c.iter().enumerate() {
            let v = match ch {
                b'A'..=b'Z' => ch - b'A',
                b'a'..=b'z' => ch - b'a' + 26,
                b'0'..=b'9' => ch - b'0' + 52,
                b'-' => 62,
                b'_' => 63,
                _ => return Err(ShareError::BadCharacter { at: ci * 4 + i }),
            };
            n |= (v as u32) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..c.len() - 1]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token carrying `json` as it is.
    fn token(json: &str) -> String {
        let mut out = "1.".to_string();
        base64url_encode(
            &miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9),
            &mut out,
        );
        out
    }

    /// The hand-written wire reader: what it accepts, and every refusal names its place.
    #[test]
    fn wire_reader_accepts_the_format_and_refuses_the_rest() {
        const OK: &str = r#"{"txtar": "-- go.mod --\nmodule m\n", "argv": ["go", "build"],
            "toolchain": {"runner": "simulated", "goos": "linux", "goarch": "amd64", "cgo": true},
            "cpus": 2, "builds": [{"label": "cold", "trace": {"v": 1, "origin": "simulated",
            "root": "/r", "lanes": 1, "end": 10, "do": [1, 9], "strings": ["build", "m"],
            "actions": [[1, 0, 1, [], 1, 0, 1, 9, 0, 0, 0, []]]}}]}"#;
        let s = decode(&token(OK)).expect("valid");
        assert_eq!((s.cpus, s.argv.len(), s.builds.len()), (2, 2, 1));
        assert_eq!(s.builds[0].trace.actions.len(), 1);
        assert!(s.toolchain.cgo);
        let damaged = |json: String| match decode(&token(&json)) {
            Err(ShareError::Malformed(m)) => m,
            other => panic!("{json}: {other:?}"),
        };
        assert_eq!(
            damaged(OK.replace(r#""cpus": 2"#, r#""cpus": 2, "x": 1"#)),
            r#"the link: unknown field "x""#
        );
        assert_eq!(
            damaged(OK.replace(r#""cgo": true"#, r#""cgo": 1"#)),
            r#"toolchain: field "cgo" has the wrong type"#
        );
        assert_eq!(
            damaged(OK.replace(r#""cpus": 2,"#, "")),
            r#"the link: missing field "cpus""#
        );
        assert_eq!(
            damaged(OK.replace("[1, 9]", "[1, 9, 3]")),
            r#"a trace: field "do" has the wrong type"#
        );
        // An action's kind is a byte; a twelve-element array, no more.
        assert_eq!(
            damaged(OK.replace("9, 0, 0, 0, []", "9, 256, 0, 0, []")),
            r#"a trace: field "actions" has the wrong type"#
        );
        assert_eq!(
            damaged(OK.replace("0, 0, 0, []]", "0, 0, 0, [], 5]")),
            r#"a trace: field "actions" has the wrong type"#
        );
        assert_eq!(
            damaged(r#"["not", "an", "object"]"#.into()),
            "the link: not an object"
        );
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut s = String::new();
            base64url_encode(raw.as_bytes(), &mut s);
            assert_eq!(s, enc);
            assert_eq!(base64url_decode(enc).unwrap(), raw.as_bytes());
        }
        let mut s = String::new();
        base64url_encode(&[0xfb, 0xff], &mut s);
        assert_eq!(s, "-_8");
        assert_eq!(
            base64url_decode("Zm9v+A").unwrap_err(),
            ShareError::BadCharacter { at: 4 }
        );
    }

    #[test]
    fn format_numbers_are_read_before_the_payload() {
        assert_eq!(
            decode("3.whatever").unwrap_err().to_string(),
            "this link was made by a newer Buildlab (format 3); this page reads format 1"
        );
        assert_eq!(decode("abc").unwrap_err(), ShareError::NotALink);
        assert!(matches!(
            decode("0.AA").unwrap_err(),
            ShareError::UnknownFormat { .. }
        ));
        assert!(matches!(
            decode("x1.AA").unwrap_err(),
            ShareError::UnknownFormat { .. }
        ));
    }
}
