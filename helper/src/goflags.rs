//! `go build`'s flag syntax for the CLI: the parser is core's ([`buildlab_core::goflags`]),
//! shared with the page so that both read a command line the same way, with go's error texts.
//! The CLI honours every flag it defines, `--real` included.

pub use buildlab_core::goflags::{BuildFlags, FlagError, USAGE};
