//! Issue 3: load + plan of generated workspaces of 100, 1,000 and 10,000 packages (see
//! `common/mod.rs`), and the two stages apart. Target: 10,000 packages in under 100 ms natively,
//! growth no worse than n log n. Also 3,000 and 30,000 packages, to show the shape of the curve
//! on both sides of the step where a load's data (the workspace's sources and the loader's
//! tables) outgrows the last-level cache: between 3,000 and 10,000 packages on a 32 MiB L3.

mod common;

use std::hint::black_box;

use buildlab_core::load::load;
use buildlab_core::plan::{plan, Toolchain};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn load_plan(c: &mut Criterion) {
    let mut g = c.benchmark_group("load_plan");
    g.sample_size(10);
    for n in [100, 1_000, 3_000, 10_000, 30_000] {
        let w = common::workspace(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("load+plan", n), &w, |b, w| {
            b.iter(|| black_box(common::load_and_plan(w).1.len()))
        });
        g.bench_with_input(BenchmarkId::new("load", n), &w, |b, w| {
            b.iter(|| black_box(load(&w.ws, &w.req).unwrap().input.packages.len()))
        });
        let loaded = load(&w.ws, &w.req).unwrap();
        g.bench_with_input(BenchmarkId::new("plan", n), &loaded, |b, l| {
            b.iter(|| black_box(plan(l.input.clone(), &Toolchain::default()).unwrap().len()))
        });
    }
    g.finish();
}

criterion_group!(benches, load_plan);
criterion_main!(benches);
