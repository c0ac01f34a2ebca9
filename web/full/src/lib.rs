//! The page's full wasm module: every export of `buildlab-web` with its `extras` feature
//! (lessons, share links, trace import/export, the real toolchain's driver). The first load
//! carries `buildlab-web` without them; `www/src/engine.js` fetches this module on their first
//! use and moves the session into it (`Lab::handoff` → `Lab::adopt`). Nothing of its own: the
//! exports are `buildlab-web`'s, linked in through this re-export.

pub use buildlab_web::*;
