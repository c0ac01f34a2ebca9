//! Issue 4: hashing throughput (MB/s, native) and action-ID computation for 10,000 packages.
//!
//! - `hash/files`: [`Digest::of`] over every file of the generated 10,000-package workspace
//!   (see `common/mod.rs`), one digest per file as action IDs need them.
//! - `hash/64MiB`: one 64 MiB buffer (PERFORMANCE.md's reference figure).
//! - `action_ids/10000`: every compile and link action ID of the planned workspace, in priority
//!   order (each dependency's content ID stood in by its action ID: no simulated compile).

mod common;

use std::hint::black_box;

use buildlab_core::hash::Digest;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn hashing(c: &mut Criterion) {
    let w = common::workspace(10_000);
    let mut g = c.benchmark_group("hash");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(w.bytes as u64));
    g.bench_function(BenchmarkId::new("files", w.ws.len()), |b| {
        b.iter(|| {
            let mut acc = 0u8;
            for (_, data) in w.ws.iter() {
                acc ^= Digest::of(data).0[0];
            }
            black_box(acc)
        })
    });
    let big: Vec<u8> = (0..64usize << 20).map(|i| (i * 31 % 251) as u8).collect();
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("64MiB", |b| b.iter(|| black_box(Digest::of(&big))));
    g.finish();

    let (_, plan) = common::load_and_plan(&w);
    let mut g = c.benchmark_group("action_ids");
    g.sample_size(10);
    g.throughput(Throughput::Elements(w.n as u64));
    g.bench_function(BenchmarkId::from_parameter(w.n), |b| {
        b.iter(|| black_box(common::action_ids(&plan, &w.ws)))
    });
    g.finish();
}

criterion_group!(benches, hashing);
criterion_main!(benches);
