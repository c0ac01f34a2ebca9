//! The exports of `lib.rs` timed natively the way `run.mjs` times them in wasm: one warm-up run,
//! then `rounds` rounds (default 11), each running the reference, load + plan + IDs and load
//! back to back, so that load from other processes hits all three alike; prints the minimum
//! and the median of each. Usage: `cargo run --release --manifest-path
//! core/benches/wasm/Cargo.toml --target-dir target/wasm-bench --bin native [rounds [packages]]`
//! (10,000 packages by default; other sizes give the growth, e.g. in instructions under
//! callgrind).

use std::time::Instant;

use buildlab_wasm_bench::{load_only, pipeline, reference, setup};

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(11, |a| a.parse().expect("rounds"));
    let packages: u32 = std::env::args()
        .nth(2)
        .map_or(10_000, |a| a.parse().expect("packages"));
    let bytes = setup(packages);
    let runs: [(&str, extern "C" fn() -> u32); 3] = [
        ("reference", reference),
        ("load+plan+ids", pipeline),
        ("load", load_only),
    ];
    let mut times = vec![Vec::new(); runs.len()];
    for (_, f) in &runs {
        std::hint::black_box(f());
    }
    for _ in 0..rounds {
        for (i, (_, f)) in runs.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(f());
            times[i].push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    println!(
        "native, {packages} packages ({:.1} MB), {rounds} rounds:",
        bytes as f64 / 1e6
    );
    report(&runs.map(|(n, _)| n), &mut times);
}

fn report(names: &[&str], times: &mut [Vec<f64>]) {
    for t in times.iter_mut() {
        t.sort_by(f64::total_cmp);
    }
    let (rmin, rmed) = (times[0][0], times[0][times[0].len() / 2]);
    for (n, t) in names.iter().zip(times.iter()) {
        let (min, med) = (t[0], t[t.len() / 2]);
        println!(
            "  {n:<14} min {min:7.1} ms ({:4.1}x ref)  median {med:7.1} ms ({:4.1}x ref)",
            min / rmin,
            med / rmed
        );
    }
}
