//! `buildlab-core`: a pure model of what `go build` does.
//!
//! The data flow is `Workspace` (files in memory) → load (`go.mod`, file headers, the standard
//! library graph) → plan (the action graph) → action IDs → cache → schedule → execute → trace.
//! This crate does no IO, reads no clock and starts no thread: files arrive in a [`workspace::Workspace`],
//! storage and execution come through traits. It builds for the host and for
//! `wasm32-unknown-unknown` alike.

pub mod actionid;
pub mod build;
pub mod cache;
pub mod cgo;
pub mod constraint;
pub mod cost;
pub mod goflags;
pub mod gojson;
pub mod gomod;
pub mod hash;
pub mod lesson;
pub mod load;
pub mod object;
pub mod parse;
pub mod plan;
pub mod rebuild;
pub mod sample;
pub mod scan;
pub mod schedule;
pub mod share;
pub mod sort;
pub mod stdlib;
pub mod syntax;
pub mod trace;
pub mod transcript;
pub mod why;
pub mod workspace;
