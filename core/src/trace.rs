//! The trace model: what happened during a build, per worker lane, for the page's timeline, and
//! its two interchange formats, both spoken the way cmd/go 1.23 writes them:
//!
//! - Chrome Trace Event JSON, as `go build -debug-trace=FILE` writes it (opens in Perfetto): a
//!   bare array; on tid 0 the spans `Running build command`, `load.PackagesAndErrors` and
//!   `exec.Builder.Do (MODE TARGET)`; per worker goroutine (tid 1..N) one B/E pair named
//!   `Executing action (MODE PACKAGE)` for every action that has an actor and was not skipped
//!   after a failure; and for each dependency that had such a span, a flow `DEP -> ACTION`
//!   (`ph` `s` at the dependency's end on its tid, `f` with `bp: "e"` at the action's start),
//!   numbered from 1 in the order go emits them (right after the action's `B`). We add two
//!   `M` (metadata) events naming the process and stating [`TRACE_VERSION`]; go writes none.
//! - `-debug-actiongraph` JSON with `TimeReady` / `TimeStart` / `TimeDone` (RFC 3339, UTC, ns).
//!
//! Both import into the same [`Trace`], so the page can show a real build it did not run. What
//! an import cannot know stays empty: a real trace has no ready times, an action graph has no
//! worker lanes (they are reconstructed greedily) and neither carries cache outcomes.
//!
//! Times are microseconds from the start of the go command (`0.0`). This module reads no clock:
//! an export that needs wall-clock times takes the epoch as a parameter.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::plan::{Mode, Plan, WorkDir, WORK};

/// The version of the trace model as exported (in the Chrome trace's metadata event).
pub const TRACE_VERSION: u32 = 1;

/// What a span of work was, for the timeline's colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Compile,
    Asm,
    Pack,
    Cgo,
    Link,
    /// `link-install` / `build-install`: the buildid rewrite and the move into place.
    Install,
    /// cmd/go's own work in an action (hashing, cache writes).
    Go,
    CacheHit,
    /// Actions with no actor: `nop`, `built-in package`, the `go build` root.
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Compile => "compile",
            Kind::Asm => "asm",
            Kind::Pack => "pack",
            Kind::Cgo => "cgo",
            Kind::Link => "link",
            Kind::Install => "install",
            Kind::Go => "go",
            Kind::CacheHit => "cache-hit",
            Kind::Other => "other",
        }
    }

    /// The kind a tool run of a real build shows as: `buildid -w` inside a `build` action is
    /// cmd/go's own bookkeeping, elsewhere it is part of installing the target.
    pub fn of_tool(tool: &str, mode: crate::plan::Mode) -> Kind {
        match tool {
            "compile" => Kind::Compile,
            "asm" => Kind::Asm,
            "pack" => Kind::Pack,
            "link" => Kind::Link,
            "buildid" if mode == crate::plan::Mode::Build => Kind::Go,
            _ => Kind::Install,
        }
    }

    /// The kind an action of this mode shows as when it runs.
    pub fn of_mode(mode: &str) -> Kind {
        match mode {
            "build" => Kind::Compile,
            "link" => Kind::Link,
            "link-install" | "build-install" => Kind::Install,
            _ => Kind::Other,
        }
    }
}

/// The cache's verdict on an action. Builds driven by [`crate::build`] fill it in; the bare
/// cost simulation and imported traces carry [`CacheOutcome::Unknown`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    Unknown,
    Hit,
    /// The target in place is current (the link, and the main package's compile it needed).
    UpToDate,
    Miss {
        reason: String,
    },
}

/// How an action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ran,
    Failed,
    /// A dependency failed: dispatched, not run (cmd/go's `a.Failed`).
    Skipped,
    /// No actor (`nop`, `built-in package`, `go build`): dispatched, nothing to run.
    NoActor,
}

/// One tool run (or cmd/go's own work) inside an action, on the action's lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub kind: Kind,
    pub start_us: f64,
    pub end_us: f64,
}

/// One action of the build.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceAction {
    /// The `-debug-actiongraph` `ID` when known, else the index in [`Trace::actions`].
    pub id: usize,
    /// As cmd/go spells it (`build`, `link`, `built-in package`, …).
    pub mode: String,
    /// Import path; empty for `nop` and `go build`.
    pub package: String,
    /// Indices into [`Trace::actions`].
    pub deps: Vec<usize>,
    /// Worker lane, 1-based (the trace's tid); `None` when the action ran nothing.
    pub lane: Option<usize>,
    pub ready_us: Option<f64>,
    pub start_us: f64,
    pub end_us: f64,
    pub kind: Kind,
    pub status: Status,
    pub spans: Vec<Span>,
    pub cache: CacheOutcome,
}

impl TraceAction {
    /// go's span name: `Executing action (MODE PACKAGE)`.
    pub fn span_name(&self) -> String {
        if self.package.is_empty() {
            format!("Executing action ({})", self.mode)
        } else {
            format!("Executing action ({} {})", self.mode, self.package)
        }
    }

    /// Whether go would write an `Executing action` span for it.
    pub fn has_span(&self) -> bool {
        matches!(self.status, Status::Ran | Status::Failed)
    }
}

/// Where a trace came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Simulated,
    /// A real `go build -debug-trace=FILE`.
    GoTrace,
    /// A real `go build -debug-actiongraph=FILE`.
    GoActionGraph,
}

/// A whole build on a timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub origin: Origin,
    /// `MODE TARGET` of the root, as in `exec.Builder.Do (link-install multi)`.
    pub root: String,
    /// Worker lanes (the `-p` of the build, or the most lanes seen in an import).
    pub lanes: usize,
    pub actions: Vec<TraceAction>,
    /// The go command's span: `0.0 ..= end_us`.
    pub end_us: f64,
    /// `exec.Builder.Do`'s span.
    pub do_start_us: f64,
    pub do_end_us: f64,
}

impl Trace {
    /// Wall time of the whole command, ms.
    pub fn wall_ms(&self) -> f64 {
        self.end_us / 1000.0
    }

    /// Build packages (mode `build`) that appear in the trace, sorted.
    pub fn build_packages(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .actions
            .iter()
            .filter(|a| a.mode == "build")
            .map(|a| a.package.clone())
            .collect();
        crate::sort::sort(&mut v);
        v.dedup();
        v
    }
}

// ---------------------------------------------------------------------------------------------
// Chrome Trace Event JSON
// ---------------------------------------------------------------------------------------------

/// One Trace Event, with go's field order (`traceviewer.Event`).
#[derive(Serialize)]
struct Event {
    name: String,
    ph: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    pid: u64,
    tid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bp: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cat: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Value>,
}

fn ev(name: String, ph: &'static str, ts: f64, tid: usize) -> Event {
    Event {
        name,
        ph,
        ts: Some(ts),
        pid: 0,
        tid: tid as u64,
        id: None,
        bp: None,
        cat: None,
        args: None,
    }
}

/// The trace as `-debug-trace` writes it: one event per line, in emission order.
pub fn to_chrome_trace(t: &Trace) -> String {
    let mut out: Vec<Event> = vec![
        Event {
            args: Some(
                serde_json::json!({ "name": format!("go build (buildlab trace v{TRACE_VERSION}, {:?})", t.origin) }),
            ),
            ..ev("process_name".into(), "M", 0.0, 0)
        },
        Event {
            args: Some(serde_json::json!({ "name": "go command" })),
            ..ev("thread_name".into(), "M", 0.0, 0)
        },
    ];
    for m in &mut out {
        m.ts = None;
    }
    out.push(ev("Running build command".into(), "B", 0.0, 0));
    out.push(ev("load.PackagesAndErrors".into(), "B", 0.0, 0));
    out.push(ev("load.PackagesAndErrors".into(), "E", t.do_start_us, 0));
    let do_name = format!("exec.Builder.Do ({})", t.root);
    out.push(ev(do_name.clone(), "B", t.do_start_us, 0));

    // Emission order: at each instant, ends before starts; starts carry their flows.
    let mut moments: Vec<(f64, u8, usize)> = Vec::new();
    for (i, a) in t.actions.iter().enumerate() {
        if a.has_span() && a.lane.is_some() {
            moments.push((a.start_us, 1, i));
            moments.push((a.end_us, 0, i));
        }
    }
    crate::sort::sort_by(&mut moments, |x, y| {
        x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2))
    });
    let mut flow = 0u64;
    for (ts, what, i) in moments {
        let a = &t.actions[i];
        let lane = a.lane.unwrap_or(0);
        if what == 0 {
            out.push(ev(a.span_name(), "E", ts, lane));
            continue;
        }
        out.push(ev(a.span_name(), "B", ts, lane));
        for &d in &a.deps {
            let dep = &t.actions[d];
            if !(dep.has_span() && dep.lane.is_some()) {
                continue;
            }
            flow += 1;
            let name = format!("{} -> {}", dep.span_name(), a.span_name());
            out.push(Event {
                id: Some(flow),
                cat: Some("flow"),
                ..ev(name.clone(), "s", dep.end_us, dep.lane.unwrap_or(0))
            });
            out.push(Event {
                id: Some(flow),
                bp: Some("e"),
                cat: Some("flow"),
                ..ev(name, "f", ts, lane)
            });
        }
    }
    out.push(ev(do_name, "E", t.do_end_us, 0));
    out.push(ev("Running build command".into(), "E", t.end_us, 0));

    let mut s = String::from("[\n");
    for (i, e) in out.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&serde_json::to_string(e).expect("plain data"));
        s.push('\n');
    }
    s.push(']');
    s
}

/// Why an imported file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError(pub String);

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImportError {}

const MODES: [&str; 7] = [
    "built-in package",
    "link-install",
    "build-install",
    "go build",
    "build",
    "link",
    "nop",
];

/// `MODE PACKAGE` out of `Executing action (MODE PACKAGE)`.
fn parse_desc(name: &str) -> Option<(String, String)> {
    let inner = name.strip_prefix("Executing action (")?.strip_suffix(')')?;
    for m in MODES {
        if inner == m {
            return Some((m.into(), String::new()));
        }
        if let Some(p) = inner.strip_prefix(m).and_then(|r| r.strip_prefix(' ')) {
            return Some((m.into(), p.into()));
        }
    }
    let (m, p) = inner.split_once(' ').unwrap_or((inner, ""));
    Some((m.into(), p.into()))
}

/// Import a `-debug-trace` file (a bare array, or an object with `traceEvents`).
pub fn from_chrome_trace(json: &str) -> Result<Trace, ImportError> {
    let v: Value = serde_json::from_str(json).map_err(|e| ImportError(format!("trace: {e}")))?;
    let events = match &v {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get("traceEvents")
            .and_then(Value::as_array)
            .ok_or_else(|| ImportError("trace: no traceEvents array".into()))?,
        _ => return Err(ImportError("trace: not a JSON array or object".into())),
    };
    let ts = |e: &Value| e.get("ts").and_then(Value::as_f64);
    let origin = events.iter().filter_map(ts).fold(f64::INFINITY, f64::min);
    if !origin.is_finite() {
        return Err(ImportError("trace: no timed events".into()));
    }
    let mut t = Trace {
        origin: Origin::GoTrace,
        root: String::new(),
        lanes: 0,
        actions: Vec::new(),
        end_us: 0.0,
        do_start_us: 0.0,
        do_end_us: 0.0,
    };
    let mut open: HashMap<(u64, String), usize> = HashMap::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut flows: Vec<(String, String)> = Vec::new();
    for e in events {
        let name = e.get("name").and_then(Value::as_str).unwrap_or("");
        let ph = e.get("ph").and_then(Value::as_str).unwrap_or("");
        let tid = e.get("tid").and_then(Value::as_u64).unwrap_or(0);
        let Some(at) = ts(e).map(|x| x - origin) else {
            continue;
        };
        t.end_us = t.end_us.max(at);
        if let Some(root) = name
            .strip_prefix("exec.Builder.Do (")
            .and_then(|r| r.strip_suffix(')'))
        {
            t.root = root.into();
            match ph {
                "B" => t.do_start_us = at,
                "E" => t.do_end_us = at,
                _ => {}
            }
            continue;
        }
        match ph {
            "B" => {
                if let Some((mode, package)) = parse_desc(name) {
                    let i = t.actions.len();
                    t.actions.push(TraceAction {
                        id: i,
                        kind: Kind::of_mode(&mode),
                        mode,
                        package,
                        deps: Vec::new(),
                        lane: Some(tid as usize),
                        ready_us: None,
                        start_us: at,
                        end_us: at,
                        status: Status::Ran,
                        spans: Vec::new(),
                        cache: CacheOutcome::Unknown,
                    });
                    open.insert((tid, name.to_string()), i);
                    by_name.insert(name.to_string(), i);
                    t.lanes = t.lanes.max(tid as usize);
                }
            }
            "E" => {
                if let Some(i) = open.remove(&(tid, name.to_string())) {
                    let a = &mut t.actions[i];
                    a.end_us = at;
                    a.spans = vec![Span {
                        kind: a.kind,
                        start_us: a.start_us,
                        end_us: at,
                    }];
                }
            }
            "s" => {
                if let Some((from, to)) = name.split_once(" -> ") {
                    flows.push((from.into(), to.into()));
                }
            }
            _ => {}
        }
    }
    for (from, to) in flows {
        if let (Some(&f), Some(&d)) = (by_name.get(&from), by_name.get(&to)) {
            if !t.actions[d].deps.contains(&f) {
                t.actions[d].deps.push(f);
            }
        }
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// -debug-actiongraph JSON
// ---------------------------------------------------------------------------------------------

/// Nanoseconds since the Unix epoch of an RFC 3339 time as Go's `time.Time` marshals it
/// (`2026-11-24T18:27:34.806630667Z`, or with a `±hh:mm` offset).
pub fn parse_rfc3339_ns(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, se) = (n(11..13)?, n(14..16)?, n(17..19)?);
    let mut rest = &s[19..];
    let mut frac_ns: i64 = 0;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        let f = &r[..digits];
        let mut padded = f.chars().take(9).collect::<String>();
        while padded.len() < 9 {
            padded.push('0');
        }
        frac_ns = padded.parse().ok()?;
        rest = &r[digits..];
    }
    let offset_s: i64 = match rest {
        "Z" => 0,
        o if o.len() == 6 => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 3600 + o[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
    Some(secs as i128 * 1_000_000_000 + frac_ns as i128)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

/// Go's `time.RFC3339Nano` in UTC: trailing zeros of the fraction dropped.
pub fn format_rfc3339_ns(ns: i128) -> String {
    let secs = ns.div_euclid(1_000_000_000) as i64;
    let frac = ns.rem_euclid(1_000_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let sod = secs.rem_euclid(86400);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if frac != 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Assign lanes to timed intervals greedily (lowest free lane first), as a worker pool would.
fn assign_lanes(t: &mut Trace) {
    let mut order: Vec<usize> = (0..t.actions.len())
        .filter(|&i| t.actions[i].has_span())
        .collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&t.actions[a], &t.actions[b]);
        x.start_us.total_cmp(&y.start_us).then(a.cmp(&b))
    });
    let mut free_at: Vec<f64> = Vec::new();
    for i in order {
        let a = &mut t.actions[i];
        let lane = match free_at.iter().position(|&f| f <= a.start_us) {
            Some(l) => l,
            None => {
                free_at.push(0.0);
                free_at.len() - 1
            }
        };
        free_at[lane] = a.end_us;
        a.lane = Some(lane + 1);
    }
    t.lanes = free_at.len();
}

/// Import a `-debug-actiongraph` file written after the build (with times).
pub fn from_actiongraph(json: &str) -> Result<Trace, ImportError> {
    // Read as one `Value` (the reader every JSON import shares) rather than as `Vec<Value>`.
    let v: Value =
        serde_json::from_str(json).map_err(|e| ImportError(format!("actiongraph: {e}")))?;
    let Value::Array(v) = v else {
        return Err(ImportError(
            "actiongraph: not a JSON array of actions".into(),
        ));
    };
    let time = |a: &Value, k: &str| a.get(k).and_then(Value::as_str).and_then(parse_rfc3339_ns);
    let origin = v
        .iter()
        .filter_map(|a| time(a, "TimeReady").or(time(a, "TimeStart")))
        .min()
        .ok_or_else(|| {
            ImportError("actiongraph: no timed actions (written before the build?)".into())
        })?;
    let us = |ns: i128| (ns - origin) as f64 / 1000.0;
    let index: HashMap<u64, usize> = v
        .iter()
        .enumerate()
        .filter_map(|(i, a)| Some((a.get("ID")?.as_u64()?, i)))
        .collect();
    let mut t = Trace {
        origin: Origin::GoActionGraph,
        root: String::new(),
        lanes: 0,
        actions: Vec::new(),
        end_us: 0.0,
        do_start_us: 0.0,
        do_end_us: 0.0,
    };
    for (i, a) in v.iter().enumerate() {
        let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mode = s("Mode");
        let start = time(a, "TimeStart").map(us).unwrap_or(0.0);
        let end = time(a, "TimeDone").map(us).unwrap_or(start);
        let cmds: Vec<String> = a
            .get("Cmd")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let failed = a.get("Failed").and_then(Value::as_bool).unwrap_or(false);
        let has_actor = matches!(
            mode.as_str(),
            "build" | "link" | "link-install" | "build-install"
        );
        let kind = Kind::of_mode(&mode);
        if i == 0 {
            t.root = format!("{} {}", mode, s("Target"));
        }
        t.actions.push(TraceAction {
            id: a.get("ID").and_then(Value::as_u64).unwrap_or(i as u64) as usize,
            package: s("Package"),
            deps: a
                .get("Deps")
                .and_then(Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(|x| index.get(&x.as_u64()?).copied())
                        .collect()
                })
                .unwrap_or_default(),
            lane: None,
            ready_us: time(a, "TimeReady").map(us),
            start_us: start,
            end_us: end,
            kind,
            status: match (has_actor, failed) {
                (false, _) => Status::NoActor,
                (true, true) => Status::Failed,
                (true, false) => Status::Ran,
            },
            spans: if has_actor {
                vec![Span {
                    kind: cmd_kind(&cmds).unwrap_or(kind),
                    start_us: start,
                    end_us: end,
                }]
            } else {
                Vec::new()
            },
            cache: CacheOutcome::Unknown,
            mode,
        });
        t.end_us = t.end_us.max(end);
    }
    t.do_end_us = t.end_us;
    assign_lanes(&mut t);
    Ok(t)
}

/// The heaviest tool among an action's recorded commands.
fn cmd_kind(cmds: &[String]) -> Option<Kind> {
    let has = |tool: &str| cmds.iter().any(|c| c.contains(&format!("/{tool} ")));
    [
        ("link", Kind::Link),
        ("compile", Kind::Compile),
        ("cgo", Kind::Cgo),
        ("asm", Kind::Asm),
    ]
    .into_iter()
    .find(|(t, _)| has(t))
    .map(|(_, k)| k)
}

#[derive(Serialize)]
struct ActionJson {
    #[serde(rename = "ID")]
    id: usize,
    #[serde(rename = "Mode")]
    mode: String,
    #[serde(rename = "Package")]
    package: String,
    #[serde(rename = "Deps", skip_serializing_if = "Vec::is_empty")]
    deps: Vec<usize>,
    #[serde(rename = "Objdir", skip_serializing_if = "String::is_empty")]
    objdir: String,
    #[serde(rename = "Target", skip_serializing_if = "String::is_empty")]
    target: String,
    #[serde(rename = "Priority", skip_serializing_if = "is_zero")]
    priority: usize,
    #[serde(rename = "Failed", skip_serializing_if = "is_false")]
    failed: bool,
    #[serde(rename = "Built", skip_serializing_if = "String::is_empty")]
    built: String,
    #[serde(rename = "NeedBuild", skip_serializing_if = "is_false")]
    need_build: bool,
    #[serde(rename = "TimeReady", skip_serializing_if = "Option::is_none")]
    time_ready: Option<String>,
    #[serde(rename = "TimeStart", skip_serializing_if = "Option::is_none")]
    time_start: Option<String>,
    #[serde(rename = "TimeDone", skip_serializing_if = "Option::is_none")]
    time_done: Option<String>,
    #[serde(rename = "Cmd")]
    cmd: Option<Vec<String>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// `-debug-actiongraph` JSON of `plan` with the times of `trace` (a simulation of that plan:
/// its action `id`s are the plan's JSON IDs). `epoch_ns` is the wall-clock time (ns since the
/// Unix epoch) that trace time 0 stands for; `work_dir` replaces `$WORK`. `Cmd` stays `null`.
pub fn to_actiongraph_json(plan: &Plan, trace: &Trace, work_dir: &str, epoch_ns: i128) -> String {
    let fix = |s: &str| s.replacen(WORK, work_dir, 1);
    let by_id: HashMap<usize, &TraceAction> = trace.actions.iter().map(|a| (a.id, a)).collect();
    let at = |us: f64| format_rfc3339_ns(epoch_ns + (us * 1000.0).round() as i128);
    let list: Vec<ActionJson> = plan
        .actions()
        .map(|(a, x)| {
            let t = by_id.get(&x.id);
            ActionJson {
                id: x.id,
                mode: x.mode.as_str().into(),
                package: plan.package_path(a).into(),
                deps: x.deps.iter().map(|&d| plan.action(d).id).collect(),
                objdir: x
                    .objdir
                    .map(|d: WorkDir| fix(&d.path()))
                    .unwrap_or_default(),
                target: x.target.as_deref().map(fix).unwrap_or_default(),
                priority: x.priority,
                failed: t.is_some_and(|t| matches!(t.status, Status::Failed | Status::Skipped)),
                built: x.built.as_deref().map(fix).unwrap_or_default(),
                need_build: matches!(x.mode, Mode::Build | Mode::BuiltIn),
                time_ready: t.and_then(|t| t.ready_us).map(at),
                time_start: t.map(|t| at(t.start_us)),
                time_done: t.map(|t| at(t.end_us)),
                cmd: None,
            }
        })
        .collect();
    crate::gojson::marshal_indent(&list)
}

/// Problems with a Chrome Trace Event document, against the format's required fields: every
/// event an object with a string `name` and `ph`; `pid` and `tid` integers; a numeric `ts` on
/// every non-metadata event; B/E balanced per thread and no E before its B; flow events with
/// an `id` and a `cat`, each `s` matched by an `f` with the same `id`. Empty when valid.
pub fn validate_chrome_trace(json: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let v: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let Some(events) = v
        .as_array()
        .or_else(|| v.get("traceEvents").and_then(Value::as_array))
    else {
        return vec!["neither an array nor an object with traceEvents".into()];
    };
    let mut stacks: HashMap<(u64, u64), Vec<(String, f64)>> = HashMap::new();
    let mut flows: HashMap<u64, (u32, u32)> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let Some(o) = e.as_object() else {
            errs.push(format!("event {i}: not an object"));
            continue;
        };
        let name = o.get("name").and_then(Value::as_str);
        let ph = o.get("ph").and_then(Value::as_str).unwrap_or("");
        if name.is_none() {
            errs.push(format!("event {i}: no string name"));
        }
        if !matches!(
            ph,
            "B" | "E" | "X" | "i" | "I" | "s" | "t" | "f" | "M" | "C"
        ) {
            errs.push(format!("event {i}: unknown ph {ph:?}"));
        }
        let (Some(pid), Some(tid)) = (
            o.get("pid").and_then(Value::as_u64),
            o.get("tid").and_then(Value::as_u64),
        ) else {
            errs.push(format!("event {i}: pid/tid missing or not integers"));
            continue;
        };
        let ts = o.get("ts").and_then(Value::as_f64);
        if ph != "M" && ts.is_none() {
            errs.push(format!("event {i}: no numeric ts"));
        }
        let ts = ts.unwrap_or(0.0);
        match ph {
            "B" => stacks
                .entry((pid, tid))
                .or_default()
                .push((name.unwrap_or("").into(), ts)),
            "E" => match stacks.entry((pid, tid)).or_default().pop() {
                None => errs.push(format!("event {i}: E without B on tid {tid}")),
                // The format pairs E with the thread's latest B; the names need not match (go's
                // loader goroutines share tid 0 and interleave their spans).
                Some((n, b)) => {
                    if ts < b {
                        errs.push(format!("event {i}: {n:?} ends before it begins"));
                    }
                }
            },
            "s" | "t" | "f" => {
                let Some(id) = o.get("id").and_then(Value::as_u64) else {
                    errs.push(format!("event {i}: flow event without id"));
                    continue;
                };
                if o.get("cat").and_then(Value::as_str).is_none() {
                    errs.push(format!("event {i}: flow event without cat"));
                }
                let f = flows.entry(id).or_default();
                if ph == "s" {
                    f.0 += 1
                } else if ph == "f" {
                    f.1 += 1
                }
            }
            _ => {}
        }
    }
    for ((_, tid), s) in stacks {
        if let Some((n, _)) = s.last() {
            errs.push(format!("tid {tid}: {n:?} never ends"));
        }
    }
    let mut unmatched: Vec<u64> = flows
        .iter()
        .filter(|(_, &(s, f))| s != 1 || f != 1)
        .map(|(&id, _)| id)
        .collect();
    unmatched.sort();
    if !unmatched.is_empty() {
        errs.push(format!(
            "flows without exactly one s and one f: {unmatched:?}"
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_rfc3339_round_trip() {
        let s = "2026-11-24T18:27:34.806630667Z";
        let ns = parse_rfc3339_ns(s).unwrap();
        assert_eq!(format_rfc3339_ns(ns), s);
        assert_eq!(parse_rfc3339_ns("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ns("1970-01-01T01:00:00.5+01:00"),
            Some(500_000_000)
        );
        assert_eq!(format_rfc3339_ns(1_500_000_000), "1970-01-01T00:00:01.5Z");
        assert_eq!(parse_rfc3339_ns("yesterday"), None);
    }

    #[test]
    fn trace_parse_desc_handles_modes_with_spaces() {
        assert_eq!(
            parse_desc("Executing action (built-in package unsafe)"),
            Some(("built-in package".into(), "unsafe".into()))
        );
        assert_eq!(
            parse_desc("Executing action (link-install example.com/multi)"),
            Some(("link-install".into(), "example.com/multi".into()))
        );
        assert_eq!(parse_desc("load.PackagesAndErrors"), None);
    }

    #[test]
    fn trace_validator_catches_broken_events() {
        let bad = r#"[{"name":"a","ph":"B","ts":1,"pid":0,"tid":1},
            {"name":"b","ph":"E","ts":0,"pid":0,"tid":1},
            {"name":"x","ph":"s","ts":0,"pid":0,"tid":1,"id":3},
            {"ph":"Q","pid":0,"tid":"t"}]"#;
        let errs = validate_chrome_trace(bad);
        assert_eq!(
            errs,
            [
                "event 1: \"a\" ends before it begins",
                "event 2: flow event without cat",
                "event 3: no string name",
                "event 3: unknown ph \"Q\"",
                "event 3: pid/tid missing or not integers",
                "flows without exactly one s and one f: [3]",
            ]
        );
    }
}
