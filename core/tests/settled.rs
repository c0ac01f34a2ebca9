//! The live transcript ([`buildlab_core::transcript::Settled`]): what a driver shows while a build
//! runs, a settled piece at a time, must be a prefix of what [`render`] prints at the end, and the
//! whole of it once every action has ended. And the transcript without `-x` or `-n`: the
//! banners and reports of the `-x` one, though its commands are no longer made.
//!
//! The builds are the `multi` fixture (packages, assembly, the standard library) run by the
//! simulated toolchain on a hand-driven clock with two workers, so that actions overlap, end out
//! of dispatch order, and one fails.

mod common;
use common::read_tree;

use std::path::PathBuf;

use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::build::{Config, Job, Session, Simulated, Timing, ToolResult, Toolchain};
use buildlab_core::cache::MemoryCache;
use buildlab_core::load::{load, LoadRequest};
use buildlab_core::plan::{plan, Plan, Toolchain as Target};
use buildlab_core::rebuild::Record;
use buildlab_core::trace::Span;
use buildlab_core::transcript::{render, ActionRun, ChunkKind, Flags, RenderInput, Settled};
use buildlab_core::workspace::Workspace;

const NOW: i64 = 1_795_544_806 * 1_000_000_000;
const WORK: &str = "/tmp/go-build4242";
const GOCACHE: &str = "/home/gopher/.cache/go-build";

fn multi() -> (Workspace, Plan) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/multi/src");
    let ws = read_tree(&dir);
    let req = LoadRequest {
        module_root_display: "/tmp/gooracle/multi".into(),
        ..LoadRequest::default()
    };
    let loaded = load(&ws, &req).unwrap_or_else(|e| panic!("load failed:\n{e}"));
    let p = plan(loaded.input, &Target::default()).unwrap_or_else(|e| panic!("plan: {e:?}"));
    (ws, p)
}

/// A job on the hand-driven clock: when it started and ends, and its result.
struct Running {
    job: Job,
    result: ToolResult,
    start_us: f64,
    end_us: f64,
}

/// The job's tool runs laid end to end over its time on the clock.
fn timing(r: &Running) -> Timing {
    let n = r.result.runs.len().max(1) as f64;
    let share = (r.end_us - r.start_us) / n;
    let spans = r
        .result
        .runs
        .iter()
        .enumerate()
        .map(|(i, (kind, _))| Span {
            kind: *kind,
            start_us: r.start_us + share * i as f64,
            end_us: r.start_us + share * (i + 1) as f64,
        })
        .collect();
    Timing {
        start_us: r.start_us,
        end_us: r.end_us,
        spans,
    }
}

/// A cold build of `multi` with `print` and `-v`, the package `fail` (if any) failing: each
/// job's length depends on its action, the earliest end completes first, and after every
/// completion the live transcript advances to the earliest start of the jobs still running.
/// Returns what the live transcript printed during the build and at the end, and the runs.
fn drive(
    p: &Plan,
    ws: &Workspace,
    print: Flags,
    verbose: bool,
    fail: Option<&str>,
) -> (String, String, Vec<ActionRun>) {
    let files = WorkspaceFiles {
        ws,
        root: p.input().cwd.clone(),
    };
    let cfg = Config {
        print,
        verbose,
        workers: 2,
        now: NOW,
        work_dir: WORK.into(),
        gocache: GOCACHE.into(),
        ..Config::default()
    };
    let record = Record::default();
    let mut s = Session::new(p, &files, &record, None, cfg);
    let mut cache = MemoryCache::default();
    let mut tc = Simulated::for_plan(p, &files);
    let mut running: Vec<Running> = Vec::new();
    let mut live = Settled::default();
    let mut during = String::new();
    let mut now = 0.0_f64;
    loop {
        for job in s.ready(&mut cache, now) {
            let mut result = tc.run(p, &files, &job);
            if Some(job.import_path.as_str()) == fail {
                result.output = None;
                result.status = 1;
                result.failed_step = Some(0);
                result.stderr = format!("{}/x.go:1:1: a planted failure\n", p.input().cwd);
            }
            let len = 1_000.0 + 370.0 * (job.action.index() % 7) as f64;
            running.push(Running {
                job,
                result,
                start_us: now,
                end_us: now + len,
            });
        }
        let Some(i) =
            (0..running.len()).min_by(|&a, &b| running[a].end_us.total_cmp(&running[b].end_us))
        else {
            break;
        };
        let r = running.swap_remove(i);
        now = r.end_us;
        let t = timing(&r);
        s.complete(&mut cache, &r.job, r.result, t);
        let bound = running.iter().map(|r| r.start_us).fold(now, f64::min);
        during.push_str(&live.advance(&input(p, print, verbose, s.runs()), bound));
    }
    let result = s.finish();
    let end = live.advance(&input(p, print, verbose, &result.runs), f64::INFINITY);
    assert_eq!(
        render(&input(p, print, verbose, &result.runs)),
        result.transcript
    );
    (during, end, result.runs)
}

fn input<'a>(p: &'a Plan, flags: Flags, verbose: bool, runs: &'a [ActionRun]) -> RenderInput<'a> {
    RenderInput {
        plan: p,
        flags,
        verbose,
        work_dir: WORK,
        gocache: GOCACHE,
        runs,
    }
}

const X: Flags = Flags {
    x: true,
    n: false,
    work: false,
};
const FAIL: Option<&str> = Some("example.com/multi/util");

/// The live text during the build is a prefix of the transcript, most of it, and the rest comes
/// at the end.
fn check_live(print: Flags, verbose: bool, fail: Option<&str>) {
    let (ws, p) = multi();
    let (during, end, runs) = drive(&p, &ws, print, verbose, fail);
    let full = render(&input(&p, print, verbose, &runs)).text();
    assert!(
        full.starts_with(&during),
        "the live text is not a prefix of the transcript:\n--- live\n{during}\n--- transcript\n{full}"
    );
    assert_eq!(
        format!("{during}{end}"),
        full,
        "live text, then the rest at the end"
    );
    assert!(
        during.len() * 2 > full.len(),
        "most of the transcript is settled before the end ({} of {} bytes)",
        during.len(),
        full.len()
    );
}

#[test]
fn live_x_is_a_prefix_then_the_whole_transcript() {
    check_live(X, false, None);
    check_live(X, true, None);
    check_live(Flags { work: true, ..X }, true, None);
}

#[test]
fn live_x_with_a_failure_is_a_prefix_then_the_whole_transcript() {
    let (ws, p) = multi();
    let (_, _, runs) = drive(&p, &ws, X, false, FAIL);
    let full = render(&input(&p, X, false, &runs)).text();
    assert!(full.contains("a planted failure"), "{full}");
    check_live(X, false, FAIL);
    check_live(X, true, FAIL);
}

/// Without `-x` or `-n` go shows no command: the transcript of the same runs is the `-x` one's
/// `WORK=` line (under `-work`), `-v` lines and failure reports, in the same order, though the
/// commands are not made at all. Live, it is still a prefix, then the whole.
#[test]
fn without_x_the_transcript_is_the_x_ones_banners_and_reports() {
    let (ws, p) = multi();
    for fail in [None, FAIL] {
        let (_, _, runs) = drive(&p, &ws, X, true, fail);
        for work in [false, true] {
            let loud = render(&input(&p, Flags { work, ..X }, true, &runs));
            let want: String = loud
                .chunks
                .iter()
                .filter(|c| c.kind != ChunkKind::Commands)
                // `WORK=` is printed by -x or -work.
                .filter(|c| work || c.kind != ChunkKind::WorkDir)
                .map(|c| c.text.as_str())
                .collect();
            let quiet = Flags {
                work,
                ..Flags::default()
            };
            let got = render(&input(&p, quiet, true, &runs));
            assert!(got.chunks.iter().all(|c| c.kind != ChunkKind::Commands));
            assert_eq!(got.text(), want, "fail={fail:?} work={work}");
            assert_eq!(got.exit_status, loud.exit_status);
        }
        let (during, end, runs) = drive(&p, &ws, Flags::default(), true, fail);
        let full = render(&input(&p, Flags::default(), true, &runs)).text();
        assert_eq!(format!("{during}{end}"), full);
        assert!(full.starts_with(&during));
    }
}
