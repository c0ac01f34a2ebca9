//! The scheduler: which action runs next, as a pure state machine (`start` / `finish`) that an
//! outer loop drives. It holds no threads, reads no clock and runs nothing itself, so the same
//! code serves the browser's single event loop, a native thread pool and the virtual clock of the
//! simulation ([`crate::cost::simulate`]). It is generic over what is scheduled, like cargo's
//! `DependencyQueue` or ninja's `Plan`.
//!
//! # cmd/go's policy (`Builder.Do` in `src/cmd/go/internal/work/exec.go`)
//!
//! - Every job has a priority: its index in a depth-first post-order walk from the root (the
//!   planner's [`crate::plan::Action::priority`]). Among ready jobs the lowest priority starts
//!   first (a min-heap), so the build prefers what a plain depth-first build would do first.
//! - A job is ready when all its dependencies have finished, *whether or not they failed*.
//! - At most `workers` jobs run at once: `-p N`, by default the CPU count; `-n` forces 1
//!   ([`workers`]).
//! - A failure propagates: a job that fails marks every dependent as failed (cmd/go's
//!   `a0.Failed = a.Failed`, the *last* failed dependency to finish wins). A failed-marked job is
//!   still dispatched in priority order, but as [`Dispatch::Skip`]: its actor does not run, it
//!   finishes at once and passes the mark on. Jobs that do not depend on the failure run as usual:
//!   go keeps building everything else and reports all the errors.
//!
//! Deliberately not here: durations, worker lanes and the clock (the driver's business), and what
//! a job *is* (actions, test fixtures: anything `T`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::plan::{ActionIx, Plan};

/// A job's handle: its index in insertion order.
pub type JobId = usize;

/// How a run ended, as the driver reports it to [`Scheduler::finish`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
}

/// What the driver should do with a job [`Scheduler::start`] hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// Run the job's actor.
    Run,
    /// A dependency failed (`failed` is the job whose failure reached this one): do not run it;
    /// call [`Scheduler::finish`] at once (its outcome is ignored; the mark propagates).
    Skip { failed: JobId },
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Dependencies pending.
    Waiting,
    /// In the ready heap.
    Ready,
    Running,
    Done,
}

#[derive(Clone, Debug)]
struct Job<T> {
    item: T,
    priority: usize,
    /// Jobs that depend on this one (cmd/go's `triggers`), in insertion order.
    triggers: Vec<JobId>,
    deps: Vec<JobId>,
    pending: usize,
    /// The job whose failure this job carries (itself when it failed).
    failed: Option<JobId>,
    state: State,
}

/// The ready / running / done bookkeeping for a dependency graph of `T`s.
#[derive(Clone, Debug)]
pub struct Scheduler<T> {
    jobs: Vec<Job<T>>,
    ready: BinaryHeap<Reverse<(usize, JobId)>>,
    running: usize,
    workers: usize,
    done: usize,
}

/// The worker count cmd/go uses: `-p N` if given, else the CPU count; 1 under `-n`.
pub fn workers(parallel: Option<usize>, cpus: usize, dry_run: bool) -> usize {
    if dry_run {
        1
    } else {
        parallel.unwrap_or(cpus).max(1)
    }
}

impl<T> Scheduler<T> {
    /// An empty scheduler with `workers` slots (0 is taken as 1).
    pub fn new(workers: usize) -> Self {
        Scheduler {
            jobs: Vec::new(),
            ready: BinaryHeap::new(),
            running: 0,
            workers: workers.max(1),
            done: 0,
        }
    }

    /// Add a job. Its dependencies must already be added (a post-order, which is how cmd/go lists
    /// its actions); a job without pending dependencies is ready at once. Ties in priority go to
    /// the earlier job.
    ///
    /// # Panics
    /// If a dependency is not an existing job: that is a bug in the caller, not a user error.
    pub fn add(&mut self, item: T, priority: usize, deps: &[JobId]) -> JobId {
        let id = self.jobs.len();
        let mut pending = 0;
        let mut failed = None;
        for &d in deps {
            assert!(d < id, "schedule: job {id} depends on unknown job {d}");
            self.jobs[d].triggers.push(id);
            match self.jobs[d].state {
                State::Done => {
                    if self.jobs[d].failed.is_some() {
                        failed = self.jobs[d].failed;
                    }
                }
                _ => pending += 1,
            }
        }
        let state = if pending == 0 {
            self.ready.push(Reverse((priority, id)));
            State::Ready
        } else {
            State::Waiting
        };
        self.jobs.push(Job {
            item,
            priority,
            triggers: Vec::new(),
            deps: deps.to_vec(),
            pending,
            failed,
            state,
        });
        id
    }

    /// Take the ready job with the lowest priority, if a worker is free.
    pub fn start(&mut self) -> Option<(JobId, Dispatch)> {
        if self.running >= self.workers {
            return None;
        }
        let Reverse((_, id)) = self.ready.pop()?;
        let job = &mut self.jobs[id];
        job.state = State::Running;
        self.running += 1;
        Some((
            id,
            match job.failed {
                None => Dispatch::Run,
                Some(failed) => Dispatch::Skip { failed },
            },
        ))
    }

    /// Record that a running job ended; dependents whose last dependency this was become ready.
    ///
    /// # Panics
    /// If the job is not running (a driver bug).
    pub fn finish(&mut self, id: JobId, outcome: Outcome) {
        assert_eq!(
            self.jobs[id].state,
            State::Running,
            "schedule: finish of job {id}, which is not running"
        );
        self.running -= 1;
        self.done += 1;
        let job = &mut self.jobs[id];
        job.state = State::Done;
        if outcome == Outcome::Failed && job.failed.is_none() {
            job.failed = Some(id);
        }
        let failed = job.failed;
        let triggers = std::mem::take(&mut job.triggers);
        for &t in &triggers {
            let dep = &mut self.jobs[t];
            if failed.is_some() {
                dep.failed = failed;
            }
            dep.pending -= 1;
            if dep.pending == 0 {
                dep.state = State::Ready;
                self.ready.push(Reverse((dep.priority, t)));
            }
        }
        self.jobs[id].triggers = triggers;
    }

    /// Every job has finished.
    pub fn is_finished(&self) -> bool {
        self.done == self.jobs.len()
    }
    /// Jobs started and not yet finished.
    pub fn running(&self) -> usize {
        self.running
    }
    pub fn workers(&self) -> usize {
        self.workers
    }
    pub fn len(&self) -> usize {
        self.jobs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
    pub fn item(&self, id: JobId) -> &T {
        &self.jobs[id].item
    }
    pub fn priority(&self, id: JobId) -> usize {
        self.jobs[id].priority
    }
    pub fn deps(&self, id: JobId) -> &[JobId] {
        &self.jobs[id].deps
    }
    pub fn state(&self, id: JobId) -> State {
        self.jobs[id].state
    }
    /// The job whose failure this one carries (itself if it failed), if any.
    pub fn failed(&self, id: JobId) -> Option<JobId> {
        self.jobs[id].failed
    }
    /// Ready jobs, lowest priority first (what `start` would hand out next).
    pub fn ready(&self) -> Vec<JobId> {
        let mut v: Vec<_> = self.ready.iter().map(|r| r.0).collect();
        crate::sort::sort(&mut v);
        v.into_iter().map(|(_, id)| id).collect()
    }
}

/// A scheduler over a plan's actions, added in priority order (so `JobId == priority`).
pub fn for_plan(plan: &Plan, workers: usize) -> Scheduler<ActionIx> {
    let mut by_prio: Vec<(usize, ActionIx)> =
        plan.actions().map(|(a, x)| (x.priority, a)).collect();
    crate::sort::sort(&mut by_prio);
    // Each action's job by its index in the plan's graph (a vector, not a hash map: one table
    // type fewer in the page's wasm). Dependencies come first in priority order.
    let mut job_of: Vec<Option<JobId>> = vec![None; plan.graph().node_count()];
    let mut s = Scheduler::new(workers);
    for (prio, a) in by_prio {
        let deps: Vec<JobId> = plan
            .action(a)
            .deps
            .iter()
            .map(|d| job_of[d.index()].expect("a dependency is scheduled before its dependents"))
            .collect();
        let id = s.add(a, prio, &deps);
        job_of[a.index()] = Some(id);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph written as `name: dep dep …` lines, dependencies first; the last line is the root.
    /// Priorities are assigned as cmd/go does: depth-first post-order from the root.
    fn graph(spec: &str, workers: usize) -> Scheduler<String> {
        let lines: Vec<(&str, Vec<&str>)> = spec
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, d) = l.split_once(':').unwrap_or((l, ""));
                (n.trim(), d.split_whitespace().collect())
            })
            .collect();
        let ix = |n: &str| lines.iter().position(|(m, _)| *m == n).unwrap();
        let mut prio = vec![usize::MAX; lines.len()];
        let mut next = 0;
        fn walk(
            i: usize,
            lines: &[(&str, Vec<&str>)],
            ix: &dyn Fn(&str) -> usize,
            prio: &mut [usize],
            next: &mut usize,
        ) {
            if prio[i] != usize::MAX {
                return;
            }
            prio[i] = usize::MAX - 1;
            for d in &lines[i].1 {
                walk(ix(d), lines, ix, prio, next);
            }
            prio[i] = *next;
            *next += 1;
        }
        walk(lines.len() - 1, &lines, &ix, &mut prio, &mut next);
        let mut s = Scheduler::new(workers);
        for (i, (n, deps)) in lines.iter().enumerate() {
            let deps: Vec<usize> = deps.iter().map(|d| ix(d)).collect();
            s.add(n.to_string(), prio[i], &deps);
        }
        s
    }

    /// Run a script of `s` (start one job), `f:NAME` (finish ok), `x:NAME` (finish failed) and
    /// return the transcript: `run NAME`, `skip NAME (CAUSE)`, `-` (nothing startable).
    fn script(s: &mut Scheduler<String>, ops: &str) -> String {
        let find = |s: &Scheduler<String>, n: &str| (0..s.len()).find(|&i| s.item(i) == n).unwrap();
        let mut out = Vec::new();
        for op in ops.split_whitespace() {
            match op.split_once(':') {
                None => out.push(match s.start() {
                    None => "-".to_string(),
                    Some((id, Dispatch::Run)) => format!("run {}", s.item(id)),
                    Some((id, Dispatch::Skip { failed })) => {
                        format!("skip {} ({})", s.item(id), s.item(failed))
                    }
                }),
                Some(("f", n)) => s.finish(find(s, n), Outcome::Ok),
                Some(("x", n)) => s.finish(find(s, n), Outcome::Failed),
                _ => panic!("bad op {op}"),
            }
        }
        out.join(", ")
    }

    /// Drive to the end with every run taking one tick: each round starts all it can, then
    /// finishes the round's jobs in start order (`!` marks a job that fails, `~` a skip).
    fn rounds(spec: &str, workers: usize, fail: &[&str]) -> String {
        let mut s = graph(spec, workers);
        let mut out = Vec::new();
        while !s.is_finished() {
            let mut round = Vec::new();
            while let Some((id, d)) = s.start() {
                round.push((id, d));
            }
            assert!(!round.is_empty(), "stuck");
            let mut names = Vec::new();
            for (id, d) in round {
                let name = s.item(id).clone();
                let fails = fail.contains(&name.as_str());
                names.push(match (d, fails) {
                    (Dispatch::Skip { .. }, _) => format!("~{name}"),
                    (_, true) => format!("{name}!"),
                    _ => name,
                });
                let outcome = if fails { Outcome::Failed } else { Outcome::Ok };
                s.finish(id, outcome);
            }
            out.push(names.join(" "));
        }
        out.join(" | ")
    }

    // root depends on b and c; b on a; c on a and d; e is independent of a..d.
    const G: &str = "
        a:
        b: a
        d:
        c: a d
        e:
        root: b c e";

    #[test]
    fn schedule_priorities_are_post_order() {
        let s = graph(G, 1);
        let p: Vec<String> = (0..s.len())
            .map(|i| format!("{}={}", s.item(i), s.priority(i)))
            .collect();
        assert_eq!(p.join(" "), "a=0 b=1 d=2 c=3 e=4 root=5");
    }

    #[test]
    fn schedule_p1_script() {
        let mut s = graph(G, 1);
        assert_eq!(
            script(&mut s, "s s f:a s f:b s f:d s f:c s f:e s f:root s"),
            "run a, -, run b, run d, run c, run e, run root, -"
        );
        assert!(s.is_finished());
    }

    #[test]
    fn schedule_ready_heap_picks_lowest_priority_not_arrival() {
        // d (prio 2) is ready from the start; b (prio 1) becomes ready after a: b goes first.
        let mut s = graph(G, 1);
        assert_eq!(script(&mut s, "s f:a"), "run a");
        assert_eq!(
            s.ready()
                .iter()
                .map(|&i| s.item(i).as_str())
                .collect::<Vec<_>>(),
            ["b", "d", "e"]
        );
        assert_eq!(script(&mut s, "s"), "run b");
    }

    #[test]
    fn schedule_dispatch_order_p1_p2_p4() {
        assert_eq!(rounds(G, 1, &[]), "a | b | d | c | e | root");
        assert_eq!(rounds(G, 2, &[]), "a d | b c | e | root");
        assert_eq!(rounds(G, 4, &[]), "a d e | b c | root");
    }

    #[test]
    fn schedule_failure_skips_dependents_and_others_continue() {
        // a fails: b and c (and through them root) are skipped; d and e still run.
        assert_eq!(rounds(G, 1, &["a"]), "a! | ~b | d | ~c | e | ~root");
        assert_eq!(rounds(G, 2, &["a"]), "a! d | ~b ~c | e | ~root");
        assert_eq!(rounds(G, 4, &["a"]), "a! d e | ~b ~c | ~root");
        // d fails: only c and root carry it.
        assert_eq!(rounds(G, 2, &["d"]), "a d! | b ~c | e | ~root");
    }

    #[test]
    fn schedule_failure_script_names_cause_last_failure_wins() {
        let mut s = graph(G, 2);
        assert_eq!(
            script(&mut s, "s s x:a x:d s s f:b f:c s s f:e s"),
            "run a, run d, skip b (a), skip c (d), run e, -, skip root (d)"
        );
        // root carries the mark of c, its last failed dependency to finish, which carries d.
        assert_eq!(s.failed(s.len() - 1).map(|i| s.item(i).as_str()), Some("d"));
    }

    #[test]
    fn schedule_worker_limit_and_workers_default() {
        let mut s = graph(G, 2);
        assert_eq!(script(&mut s, "s s s"), "run a, run d, -");
        assert_eq!(s.running(), 2);
        assert_eq!(workers(None, 8, false), 8);
        assert_eq!(workers(Some(3), 8, false), 3);
        assert_eq!(workers(Some(3), 8, true), 1);
        assert_eq!(workers(Some(0), 8, false), 1);
    }

    #[test]
    #[should_panic(expected = "not running")]
    fn schedule_finish_of_idle_job_is_a_bug() {
        let mut s = graph(G, 1);
        s.finish(0, Outcome::Ok);
    }
}
