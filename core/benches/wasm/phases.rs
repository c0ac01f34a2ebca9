//! The native pipeline split into its phases, to see where its wall time goes: each round
//! loads, plans, computes every action ID and frees the result, timing each step (their sum is
//! what `native`'s `load+plan+ids` times, the drop included), then times the reference. One
//! warm-up round, then `rounds` rounds (default 11); prints each phase's minimum and median,
//! and once how many allocations (and KiB asked for) load, plan and IDs make, counted by a
//! wrapper around the system allocator. With `SKIP_IDS` set in the environment, the IDs and
//! the reference are left out: each round is then `load_plan`'s `load+plan` (the drop timed
//! apart), with no hashing of every source between rounds to evict the loader's tables from
//! the caches. Usage: `cargo build --release --manifest-path
//! core/benches/wasm/Cargo.toml --target-dir target/wasm-bench --bin phases`, then
//! `target/wasm-bench/release/phases [rounds [packages]]`.

#[path = "../common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

/// The system allocator, counting allocations (reallocations included) and bytes asked for.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(l.size(), Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(n, Relaxed);
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static A: Counting = Counting;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(11, |a| a.parse().expect("rounds"));
    let packages: usize = std::env::args()
        .nth(2)
        .map_or(10_000, |a| a.parse().expect("packages"));
    let g = common::workspace(packages);
    let names = ["load", "plan", "ids", "drop", "total", "reference"];
    let mut times = vec![Vec::new(); names.len()];
    for round in 0..=rounds {
        if round == 1 {
            count_allocs(&g);
        }
        let t0 = Instant::now();
        let mut loaded = buildlab_core::load::load(&g.ws, &g.req).expect("loads");
        let t1 = Instant::now();
        let input = std::mem::take(&mut loaded.input);
        let plan = buildlab_core::plan::plan(input, &Default::default()).expect("plans");
        let t2 = Instant::now();
        if std::env::var_os("SKIP_IDS").is_none() {
            black_box(common::action_ids(&plan, &g.ws));
        }
        let t3 = Instant::now();
        drop(black_box(plan));
        drop(black_box(loaded));
        let t4 = Instant::now();
        if std::env::var_os("SKIP_IDS").is_none() {
            black_box(common::reference(&g));
        }
        let t5 = Instant::now();
        if round == 0 {
            continue;
        }
        let ts = [t0, t1, t2, t3, t4];
        for (i, w) in ts.windows(2).enumerate() {
            times[i].push((w[1] - w[0]).as_secs_f64() * 1e3);
        }
        times[4].push((t4 - t0).as_secs_f64() * 1e3);
        times[5].push((t5 - t4).as_secs_f64() * 1e3);
    }
    println!("native phases, {packages} packages, {rounds} rounds:");
    for (n, t) in names.iter().zip(times.iter_mut()) {
        t.sort_by(f64::total_cmp);
        println!(
            "  {n:<9} min {:7.2} ms  median {:7.2} ms",
            t[0],
            t[t.len() / 2]
        );
    }
}

/// Prints the allocations of load, plan and IDs (once).
fn count_allocs(g: &common::Generated) {
    let counted = || (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    let c0 = counted();
    let mut loaded = buildlab_core::load::load(&g.ws, &g.req).expect("loads");
    let c1 = counted();
    let input = std::mem::take(&mut loaded.input);
    let plan = buildlab_core::plan::plan(input, &Default::default()).expect("plans");
    let c2 = counted();
    black_box(common::action_ids(&plan, &g.ws));
    let c3 = counted();
    let d = |a: (usize, usize), b: (usize, usize)| (b.0 - a.0, (b.1 - a.1) / 1024);
    println!(
        "allocations (count, KiB): load {:?}, plan {:?}, ids {:?}",
        d(c0, c1),
        d(c1, c2),
        d(c2, c3)
    );
}
