//! The samples' Go files as the page ships them (`www/samples/*.txtar`), for the first-load
//! module: it has no compile checks (core without `compile-checks`), so it builds only Go
//! files it knows to compile, these; a workspace holding any other Go file (an edit, a saved
//! edited workspace) goes to the full module (`session::needs_full_module`). That the samples
//! compile is a test of core's (`core/tests/build.rs`, `samples_compile_with_every_check`).
//!
//! Only the samples the first module can build at all are known here: those whose Go files
//! have no exported function (the escape analysis is the full module's) and no `//go:embed`
//! directive, `hello` and `webjson` (a test below checks which). The others' builds are the
//! full module's whatever their files. The module knows each file by its blake3 digest; the
//! test below also checks the digests against the archives.

use buildlab_core::hash::Digest;

/// The blake3 digests of the Go files of `hello` and `webjson` (their `main.go`).
const GO_FILES: [&str; 2] = [
    "775f25007e438b551d14001c10018585ce2bb9e0bfcbec4d28dcb0d1e9e9472e",
    "b8cb78a7b95e09dbf2aa673380acb426c1b18172ee99a3f419a8d1841f13fe55",
];

/// Whether `data` is, byte for byte, one of those samples' Go files.
pub fn is_sample_go_file(data: &[u8]) -> bool {
    let hex = Digest::of(data).to_hex();
    GO_FILES.contains(&hex.as_str())
}

/// The contents of a txtar archive's `.go` files: each from the line after its `-- name.go --`
/// header to the next header's line.
#[cfg(test)]
fn go_files(txtar: &str) -> impl Iterator<Item = &[u8]> {
    let b = txtar.as_bytes();
    let mut headers: Vec<(usize, usize, bool)> = Vec::new(); // (start, end of line, a .go file)
    let mut at = 0;
    for line in txtar.split_inclusive('\n') {
        let name = line.trim_end_matches('\n');
        if let Some(name) = name.strip_prefix("-- ").and_then(|n| n.strip_suffix(" --")) {
            headers.push((at, at + line.len(), name.trim().ends_with(".go")));
        }
        at += line.len();
    }
    let ends: Vec<usize> = headers
        .iter()
        .skip(1)
        .map(|h| h.0)
        .chain([b.len()])
        .collect();
    headers
        .into_iter()
        .zip(ends)
        .filter(|((_, _, go), _)| *go)
        .map(move |((_, from, _), to)| &b[from..to])
}

#[cfg(test)]
mod tests {
    use super::*;
    // The crate's tests run in the browser (wasm-bindgen-test; `cargo test` on the host leaves
    // this crate out): a plain `#[test]` here would never run.
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Every sample, for the test of which ones the first module can build.
    const ALL: [(&str, &str); 5] = [
        ("hello", include_str!("../../www/samples/hello.txtar")),
        ("multi", include_str!("../../www/samples/multi.txtar")),
        ("diamond", include_str!("../../www/samples/diamond.txtar")),
        ("embed", include_str!("../../www/samples/embed.txtar")),
        ("webjson", include_str!("../../www/samples/webjson.txtar")),
    ];

    #[wasm_bindgen_test]
    fn the_first_module_knows_exactly_the_samples_it_can_build() {
        let mut known = 0;
        for (name, txtar) in ALL {
            let buildable = go_files(txtar).all(|f| {
                !buildlab_core::object::needs_escape_analysis(f)
                    && !buildlab_core::syntax::has_embed_directive(f)
            });
            for f in go_files(txtar) {
                assert_eq!(
                    is_sample_go_file(f),
                    buildable,
                    "{name}: {} (the digests in GO_FILES are the archives' Go files')",
                    Digest::of(f).to_hex()
                );
                known += usize::from(buildable);
            }
        }
        assert_eq!(known, GO_FILES.len(), "every digest is a buildable sample's Go file");
        assert!(go_files(ALL[0].1).all(is_sample_go_file), "hello, the opening sample");
    }

    #[wasm_bindgen_test]
    fn sample_files_are_known_and_edits_are_not() {
        let hello = go_files(ALL[0].1).next().expect("hello has a Go file");
        assert!(hello.starts_with(b"package main"));
        assert!(is_sample_go_file(hello));
        let mut edited = hello.to_vec();
        edited.extend_from_slice(b"\nvar edited = 1\n");
        assert!(!is_sample_go_file(&edited));
        assert!(!is_sample_go_file(&hello[..hello.len() - 1]));
        // Every sample has Go files, and each ends where the next header starts.
        for (_, s) in ALL {
            assert!(go_files(s).count() > 0);
            assert!(go_files(s).all(|f| !f.windows(4).any(|w| w == b"\n-- ")));
        }
    }
}
