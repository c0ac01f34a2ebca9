//! `go build`'s flag syntax for the page's command line (`go build -x -a -p 2 .`): core's parser
//! ([`buildlab_core::goflags`]), the one the CLI uses, with go's error texts and exit statuses.
//! The page honours `-x`, `-n`, `-a`, `-work`, `-p`, `-v` (the import paths go prints), `-o`
//! (the name the binary is moved to in the transcript and kept under) and the build settings
//! (`-trimpath`, `-tags`, `-gcflags`, `-asmflags`, `-ldflags`: with the simulated toolchain, in
//! the full module); `--real` is Buildlab's CLI flag and, as go would say of it, not defined
//! here.

pub use buildlab_core::goflags::{FlagError, USAGE};

/// What `go build` was asked to do.
pub type BuildFlags = buildlab_core::goflags::BuildFlags;

/// Parses the words after `go build`, as the page honours them.
pub fn parse(args: &[String]) -> Result<BuildFlags, FlagError> {
    BuildFlags::parse(args)?.reject_real()
}

/// Parses a whole command (`["go", "build", …]`), as the page honours it.
pub fn parse_argv(argv: &[String]) -> Result<BuildFlags, FlagError> {
    BuildFlags::parse_argv(argv)?.reject_real()
}

#[cfg(test)]
mod tests {
    use super::*;
    // The crate's tests run in the browser (wasm-bindgen-test; `cargo test` on the host leaves
    // this crate out): a plain `#[test]` here would never run.
    use wasm_bindgen_test::wasm_bindgen_test;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[wasm_bindgen_test]
    fn the_page_accepts_o_and_v_and_not_real() {
        let f = parse_argv(&words("go build -v -o hi .")).unwrap();
        assert!(f.v);
        assert_eq!(f.o.as_deref(), Some("hi"));
        assert_eq!(
            parse(&words("--real")).unwrap_err(),
            FlagError(format!("flag provided but not defined: -real\n{USAGE}"), 2)
        );
        assert_eq!(
            parse(&words("-foo")).unwrap_err(),
            FlagError(format!("flag provided but not defined: -foo\n{USAGE}"), 2)
        );
    }
}
