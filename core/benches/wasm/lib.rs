//! `pipeline_10000` of `../pipeline.rs` as wasm exports, timed from JS by `run.mjs` (core reads
//! no clock). `setup` generates the workspace once; each other export runs one iteration and
//! returns a byte of its result so that nothing is optimised away. Never inlined, so that
//! `callgrind_annotate --inclusive=yes` over the native harness shows each export's cost.

#[path = "../common/mod.rs"]
mod common;

use std::cell::RefCell;

thread_local! {
    static W: RefCell<Option<common::Generated>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&common::Generated) -> R) -> R {
    W.with(|w| f(w.borrow().as_ref().expect("setup first")))
}

/// Generates the `n`-package workspace; returns its size in bytes.
#[no_mangle]
pub extern "C" fn setup(n: u32) -> u32 {
    let g = common::workspace(n as usize);
    let bytes = g.bytes as u32;
    W.with(|w| *w.borrow_mut() = Some(g));
    bytes
}

/// The reference: blake3 of every file, then a petgraph toposort of the package graph.
#[no_mangle]
#[inline(never)]
pub extern "C" fn reference() -> u32 {
    with(|w| {
        let (acc, len) = common::reference(w);
        u32::from(acc) ^ len as u32
    })
}

/// Load + plan + every action ID.
#[no_mangle]
#[inline(never)]
pub extern "C" fn pipeline() -> u32 {
    with(|w| {
        let (_, plan) = common::load_and_plan(w);
        u32::from(common::action_ids(&plan, &w.ws))
    })
}

/// Load alone.
#[no_mangle]
#[inline(never)]
pub extern "C" fn load_only() -> u32 {
    with(|w| {
        let l = buildlab_core::load::load(&w.ws, &w.req).expect("loads");
        l.input.packages.len() as u32
    })
}
