//! Growth of load + plan (what `load_plan`'s `load+plan` times, the drop included) from one
//! workspace size to a larger one, with the two sizes timed alternately. The host is shared and
//! its speed drifts by ±10% over minutes, so two criterion runs minutes apart can differ by
//! more than the margin being measured. Each size is timed in a child process of its own (a
//! fresh heap: one size's freed blocks never shape the other's allocations), one warm-up call
//! then calls back to back; children of the two sizes alternate `pairs` times. Prints each
//! size's best and median child minimum, the growth of the best minimums and the median of the
//! pairs' ratios, and what n log n allows.
//!
//! The best minimums are the figure to read: the host's other tenants share its L3 cache, which
//! the large size works from and the small one (in the private L2) does not, so their load
//! inflates the large size alone, in bursts; the best of many alternated children is each
//! size's time between bursts (with 40 pairs, ±1% from run to run, where one pair's ratio
//! spans ×8 to ×22).
//!
//! Usage: `cargo build --release --manifest-path core/benches/wasm/Cargo.toml --target-dir
//! target/wasm-bench --bin growth`, then `target/wasm-bench/release/growth [pairs [small
//! [large]]]` (default 40 pairs, about 35 seconds; 1,000 and 10,000 packages). A child alone:
//! `BUILDLAB_GROWTH_CHILD=10000 target/wasm-bench/release/growth` prints its minimum
//! (`BUILDLAB_GROWTH_CALLS=N` fixes the number of calls, for `perf stat` or valgrind): how two
//! builds of the loader are compared, alternately, on this host.

#[path = "../common/mod.rs"]
mod common;

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

/// The environment variable that makes the binary a child timing one size.
const CHILD: &str = "BUILDLAB_GROWTH_CHILD";

fn main() {
    if let Some(n) = std::env::var_os(CHILD) {
        let n: usize = n.to_str().and_then(|n| n.parse().ok()).expect("a size");
        println!("{}", child(n));
        return;
    }
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let pairs = arg(1, 40);
    let sizes = [arg(2, 1_000), arg(3, 10_000)];
    let me = std::env::current_exe().expect("own path");
    let mut mins = [Vec::new(), Vec::new()];
    for _ in 0..pairs {
        for (k, n) in sizes.iter().enumerate() {
            let out = Command::new(&me)
                .env(CHILD, n.to_string())
                .output()
                .expect("runs the child");
            assert!(out.status.success(), "child failed: {out:?}");
            let ms: f64 = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("a time");
            mins[k].push(ms);
        }
    }
    let ratios: Vec<f64> = mins[1].iter().zip(&mins[0]).map(|(l, s)| l / s).collect();
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    let (small, large, ratios) = (sorted(&mins[0]), sorted(&mins[1]), sorted(&ratios));
    println!("load + plan, {pairs} alternating pairs of child processes (minimum per child):");
    for (n, t) in sizes.iter().zip([&small, &large]) {
        println!(
            "  {n:>6} packages  best {:7.2} ms  median {:7.2} ms",
            t[0],
            t[t.len() / 2]
        );
    }
    let nlogn = |n: usize| n as f64 * (n as f64).ln();
    println!(
        "  growth ×{:.2} (best minimums), ×{:.2} (median pair; pairs ×{:.2} to ×{:.2}); \
         n log n allows ×{:.2}",
        large[0] / small[0],
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
        nlogn(sizes[1]) / nlogn(sizes[0])
    );
}

/// Times load + plan + drop of an `n`-package workspace: one warm-up call, then as many calls
/// as take about half a second (or `BUILDLAB_GROWTH_CALLS`); returns the minimum in
/// milliseconds.
fn child(n: usize) -> f64 {
    let g = common::workspace(n);
    let once = || {
        let t0 = Instant::now();
        let mut loaded = buildlab_core::load::load(&g.ws, &g.req).expect("loads");
        let input = std::mem::take(&mut loaded.input);
        let plan = buildlab_core::plan::plan(input, &Default::default()).expect("plans");
        drop(black_box(plan));
        drop(black_box(loaded));
        t0.elapsed().as_secs_f64() * 1e3
    };
    let first = once();
    let calls = std::env::var("BUILDLAB_GROWTH_CALLS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(((500.0 / first) as usize).clamp(5, 200));
    (0..calls).map(|_| once()).fold(f64::INFINITY, f64::min)
}
