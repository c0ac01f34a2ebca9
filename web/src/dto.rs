//! The wire types between wasm and the page's JavaScript. Only this module derives `Serialize`;
//! domain types in `buildlab-core` stay Rust-only. Field names are the JS names.

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsError, JsValue};

/// Serializes a DTO into a plain JS object (maps as objects, not `Map`).
pub fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileHash {
    pub path: String,
    pub blake3: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub module: String,
    pub files: Vec<FileHash>,
    pub digest: String,
}

impl From<buildlab_core::sample::Summary> for Summary {
    fn from(s: buildlab_core::sample::Summary) -> Self {
        Summary {
            module: s.module,
            files: s.files.into_iter().map(|(path, blake3)| FileHash { path, blake3 }).collect(),
            digest: s.digest,
        }
    }
}

/// The skeleton's one IndexedDB record.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VisitRecord {
    pub digest: String,
    pub visits: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    pub previous: Option<VisitRecord>,
    pub current: VisitRecord,
}
