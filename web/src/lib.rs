//! `buildlab-web`: the wasm side of Buildlab. It owns every type that crosses into JavaScript
//! (the DTOs in [`dto`]), the IndexedDB store ([`store`]), and — as later work lands — the build
//! driver loop on the browser's event loop.
//!
//! Domain logic stays in `buildlab-core`; this crate only adapts it to the browser.

pub mod dto;
pub mod store;

use wasm_bindgen::prelude::*;

/// Called by the page's loader once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {}

/// The walking skeleton's summary of the built-in sample module: module path, file hashes and
/// the combined digest.
#[wasm_bindgen(js_name = sampleSummary)]
pub fn sample_summary() -> Result<JsValue, JsError> {
    let summary = buildlab_core::sample::summarize(&buildlab_core::sample::hello()).map_err(|e| JsError::new(&e))?;
    dto::to_js(&dto::Summary::from(summary))
}

/// The sample module's source as txtar, for the page to display.
#[wasm_bindgen(js_name = sampleTxtar)]
pub fn sample_txtar() -> String {
    buildlab_core::sample::HELLO_TXTAR.to_string()
}

/// Records this visit in IndexedDB and returns the record stored by the previous visit (if any)
/// and the new one.
#[wasm_bindgen(js_name = recordVisit)]
pub async fn record_visit(digest: String) -> Result<JsValue, JsError> {
    let db = store::open(store::DB_NAME).await.map_err(store::js_error)?;
    let out = store::record_visit(&db, &digest).await.map_err(store::js_error);
    db.close();
    dto::to_js(&out?)
}
