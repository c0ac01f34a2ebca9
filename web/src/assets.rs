//! Data the page fetches when it first needs it rather than carrying it in the wasm.
//!
//! The standard-library graphs of darwin/arm64 and windows/amd64 are not compiled into the page
//! (core's `cross-targets` feature is off: they were 11 KB of the gzipped wasm, and a page on
//! the simulated toolchain only ever builds for linux/amd64). A real build through a helper on
//! such a machine plans for the helper's target, so its graph is fetched then from `std/`, where
//! Trunk's post-build hook copies `core/data/std-*.txt` (see `Trunk.toml`).

use buildlab_core::stdlib::StdLib;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Makes the std graph of `goos`/`goarch`/`cgo_enabled` available, fetching its data file if this
/// build does not carry it. A target Buildlab has no graph for is left to the loader, which
/// reports it in go's words; a failed fetch or a broken file is an error naming the file.
pub async fn ensure_std(goos: &str, goarch: &str, cgo_enabled: bool) -> Result<(), JsError> {
    let Some(name) = StdLib::data_file(goos, goarch, cgo_enabled) else {
        return Ok(());
    };
    let text = fetch_text(&format!("std/{name}"))
        .await
        .map_err(|e| JsError::new(&format!("fetching the std graph {name}: {e}")))?;
    StdLib::provide(text).map_err(|e| JsError::new(&format!("std graph {name}: {e}")))?;
    Ok(())
}

/// The body of `url` (relative to the page) as text; an HTTP error status is an error.
async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(describe)?;
    let resp: web_sys::Response = resp.dyn_into().map_err(describe)?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let text = JsFuture::from(resp.text().map_err(describe)?)
        .await
        .map_err(describe)?;
    text.as_string().ok_or_else(|| "not text".to_string())
}

/// A thrown JS value as a sentence (an `Error`'s message, else its string form).
fn describe(v: JsValue) -> String {
    v.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| v.as_string())
        .unwrap_or_else(|| "failed".to_string())
}

/// `ensureStdGraph(goos, goarch, cgo)`: what [`ensure_std`] does, for a page that wants the
/// graph before its first real build (the build itself calls it too).
#[wasm_bindgen(js_name = ensureStdGraph)]
pub async fn ensure_std_graph(goos: String, goarch: String, cgo: bool) -> Result<(), JsError> {
    ensure_std(&goos, &goarch, cgo).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    /// The page's build carries linux/amd64 only; another known target is fetched, and a fetch
    /// that fails (the test runner serves no `std/`) is an error naming the file, with the target
    /// still unavailable. An unknown target is left to the loader.
    #[wasm_bindgen_test]
    async fn std_graphs_not_compiled_in_are_fetched() {
        assert!(StdLib::for_target("linux", "amd64", true).is_some());
        assert!(StdLib::for_target("linux", "amd64", false).is_some());
        ensure_std("linux", "amd64", false)
            .await
            .expect("compiled in");
        ensure_std("plan9", "386", false)
            .await
            .expect("left to the loader");
        assert_eq!(
            StdLib::data_file("darwin", "arm64", false).as_deref(),
            Some("std-go1.23.5-darwin-arm64-cgo0.txt"),
            "the page's wasm must not carry the cross targets"
        );
        let e = ensure_std("darwin", "arm64", false).await.unwrap_err();
        let msg = JsValue::from(e)
            .dyn_into::<js_sys::Error>()
            .unwrap()
            .message();
        assert!(String::from(msg)
            .starts_with("fetching the std graph std-go1.23.5-darwin-arm64-cgo0.txt: "),);
        assert!(StdLib::for_target("darwin", "arm64", false).is_none());
    }
}
