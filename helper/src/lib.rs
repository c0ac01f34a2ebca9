//! The helper's library: the HTTP server and the real-directory file source. The binary in
//! `main.rs` only parses flags.

pub mod api;
pub mod buildid;
pub mod cli;
pub mod dirsource;
pub mod diskcache;
pub mod godetect;
pub mod goflags;
pub mod guard;
pub mod pack;
pub mod pagerun;
pub mod precompress;
pub mod realbuild;
pub mod realcgo;
pub mod realtools;
pub mod serve;
pub mod toolflags;
