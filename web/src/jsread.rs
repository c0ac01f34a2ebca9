//! The page's option objects read field by field (`Reflect.get`), not through serde.
//!
//! Why: every `serde_wasm_bindgen::from_value` drags serde's deserializer, a visitor per type
//! and serde's error texts into the module; the first-load module read only five small shapes
//! (`plan`'s, `predict`'s and `build`'s options, `loadFiles`' files, the visit record), and
//! reading them by hand made it 6.7 KB gzip smaller (docs/benchmarks.md, Page weight). What
//! the page passes reads as it did; `undefined` and `null` are an absent field (its default),
//! as the options' `#[serde(default)]` made of a missing one; a field of the wrong type is an
//! error naming the field.

use wasm_bindgen::{JsError, JsValue};

/// A field of `obj`: `None` when `obj` is no object, or the field is absent, `undefined` or
/// `null`.
pub fn field(obj: &JsValue, name: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    let v = js_sys::Reflect::get(obj, &JsValue::from_str(name)).ok()?;
    (!v.is_undefined() && !v.is_null()).then_some(v)
}

/// The error for a field that is there with the wrong type.
fn invalid(name: &str, want: &str) -> JsError {
    JsError::new(&format!("invalid type: `{name}` must be {want}"))
}

/// Checks that an options argument is an object, or absent (`undefined`/`null`: defaults).
pub fn options(v: &JsValue) -> Result<(), JsError> {
    if v.is_undefined() || v.is_null() || v.is_object() {
        Ok(())
    } else {
        Err(invalid("options", "an object"))
    }
}

/// A string field.
pub fn string(obj: &JsValue, name: &str) -> Result<Option<String>, JsError> {
    field(obj, name)
        .map(|v| v.as_string().ok_or_else(|| invalid(name, "a string")))
        .transpose()
}

/// A string field that must be there.
pub fn required_string(obj: &JsValue, name: &str) -> Result<String, JsError> {
    string(obj, name)?.ok_or_else(|| JsError::new(&format!("missing field `{name}`")))
}

/// A boolean field.
pub fn boolean(obj: &JsValue, name: &str) -> Result<Option<bool>, JsError> {
    field(obj, name)
        .map(|v| v.as_bool().ok_or_else(|| invalid(name, "a boolean")))
        .transpose()
}

/// A count: a whole number from 0 to 2³²−1 (a `usize` in wasm32).
pub fn count(obj: &JsValue, name: &str) -> Result<Option<usize>, JsError> {
    field(obj, name)
        .map(|v| whole(&v).ok_or_else(|| invalid(name, "a whole number")))
        .transpose()
}

/// `v` as a whole number from 0 to 2³²−1.
fn whole(v: &JsValue) -> Option<usize> {
    let n = v.as_f64()?;
    (n >= 0.0 && n <= u32::MAX as f64 && n.fract() == 0.0).then_some(n as usize)
}

/// An array of strings.
pub fn strings(obj: &JsValue, name: &str) -> Result<Option<Vec<String>>, JsError> {
    let Some(v) = field(obj, name) else {
        return Ok(None);
    };
    let items = array(&v).ok_or_else(|| invalid(name, "an array of strings"))?;
    items
        .iter()
        .map(|s| {
            s.as_string()
                .ok_or_else(|| invalid(name, "an array of strings"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `v` as an array, if it is one.
pub fn array(v: &JsValue) -> Option<js_sys::Array> {
    js_sys::Array::is_array(v).then(|| js_sys::Array::from(v))
}
