//! Data the page fetches when it first needs it rather than carrying it in the wasm.
//!
//! The standard-library graphs are not compiled into the page's modules (core's `linux-std` and
//! `cross-targets` features are off). linux/amd64's, the simulated toolchain's target, is 17 KB
//! of gzipped data: as a file it downloads alongside the wasm (`www/index.html` preloads it) and
//! costs no wasm compilation; `Lab.open` starts its fetch before it opens IndexedDB and hands it
//! to core after ([`StdFetch`]). darwin/arm64's and windows/amd64's (11 KB) are needed only when a
//! helper on such a machine runs the real tools, so a real build fetches its target's then. All
//! come from `std/`, where Trunk's post-build hook copies `core/data/std-*.txt` (see `Trunk.toml`).

use buildlab_core::stdlib::StdLib;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The fetch of the std graph of the target the simulated toolchain builds for (core's
/// default `Toolchain`: linux/amd64, cgo on), which every simulated load needs.
pub fn start_simulated() -> StdFetch {
    let tc = buildlab_core::plan::Toolchain::default();
    StdFetch::start(&tc.goos, &tc.goarch, tc.cgo_enabled)
}

/// The fetch of a std graph this build does not carry: started at once (so it runs while the
/// caller does other IO), given to core when awaited. Nothing to do for a graph that is
/// available or a target Buildlab has no graph for (the loader reports that in go's words).
pub struct StdFetch(Option<(String, Result<js_sys::Promise, String>)>);

impl StdFetch {
    pub fn start(goos: &str, goarch: &str, cgo_enabled: bool) -> StdFetch {
        StdFetch(
            StdLib::data_file(goos, goarch, cgo_enabled)
                .map(|name| (name.clone(), start_fetch(&format!("std/{name}")))),
        )
    }

    /// Waits for the file and makes the graph available; a failed fetch or a broken file is an
    /// error naming the file.
    pub async fn finish(self) -> Result<(), String> {
        let Some((name, started)) = self.0 else {
            return Ok(());
        };
        let text = match started {
            Ok(p) => read_text(p).await,
            Err(e) => Err(e),
        };
        let text = text.map_err(|e| format!("fetching the std graph {name}: {e}"))?;
        StdLib::provide(text).map_err(|e| format!("std graph {name}: {e}"))?;
        Ok(())
    }
}

/// Makes the std graph of `goos`/`goarch`/`cgo_enabled` available, fetching its data file if this
/// build does not carry it. A target Buildlab has no graph for is left to the loader, which
/// reports it in go's words; a failed fetch or a broken file is an error naming the file.
pub async fn ensure_std(goos: &str, goarch: &str, cgo_enabled: bool) -> Result<(), JsError> {
    StdFetch::start(goos, goarch, cgo_enabled)
        .finish()
        .await
        .map_err(|e| JsError::new(&e))
}

/// Starts fetching `url` (relative to the page).
fn start_fetch(url: &str) -> Result<js_sys::Promise, String> {
    let window = web_sys::window().ok_or("no window")?;
    Ok(window.fetch_with_str(url))
}

/// The body of a started fetch as text; an HTTP error status is an error.
async fn read_text(started: js_sys::Promise) -> Result<String, String> {
    let resp = JsFuture::from(started).await.map_err(describe)?;
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
/// graph before its first real build (the build itself calls it too). Real builds are the full
/// module's, so is this.
#[cfg(feature = "extras")]
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
