//! PERFORMANCE.md's target: load + plan + action IDs of a generated 10,000-package workspace
//! (see `common/mod.rs`) ≤ 3× the time of blake3 over the same bytes plus a petgraph toposort
//! of the same graph, measured in the same run. Both are in one group, `pipeline_10000`:
//!
//! - `reference`: blake3 of every file (one digest per file, as action IDs need), then a petgraph
//!   `DiGraph` of the module's packages and import edges built and topologically sorted.
//! - `load+plan+ids`: [`buildlab_core::load::load`], [`buildlab_core::plan::plan`] and every
//!   action ID ([`common::action_ids`]).
//!
//! The ratio is the second median over the first.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

fn pipeline(c: &mut Criterion) {
    let w = common::workspace(10_000);
    let mut g = c.benchmark_group("pipeline_10000");
    g.sample_size(10);
    g.bench_function("reference", |b| b.iter(|| black_box(common::reference(&w))));
    g.bench_function("load+plan+ids", |b| {
        b.iter(|| {
            let (_, plan) = common::load_and_plan(&w);
            black_box(common::action_ids(&plan, &w.ws))
        })
    });
    g.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
