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
pub mod strings;
pub mod syntax;
pub mod trace;
pub mod transcript;
pub mod why;
pub mod workspace;

/// Whether this build of core words the errors its scanner, go.mod parser and loader find as
/// go does (its `error-texts` feature). Without it (the page's first-load module, which hands
/// every build whose load fails to the full module, and whose compile never reports the
/// lexer's errors) they are found, and their messages left empty: [`worded`]. (Warnings, a
/// package's build error, which a build that runs prints, and what a build leaves out, are
/// worded either way.)
pub const ERROR_TEXTS: bool = cfg!(feature = "error-texts");

/// `text()`, an error's message in go's words, where this build words them ([`ERROR_TEXTS`]).
#[inline(always)]
pub(crate) fn worded(text: impl FnOnce() -> String) -> String {
    if ERROR_TEXTS {
        text()
    } else {
        String::new()
    }
}
