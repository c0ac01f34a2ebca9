//! The page's first-load wasm module: the exports of `buildlab-web` without its `extras`
//! feature — the build path only (load, plan, action IDs, the IndexedDB cache, the simulated
//! driver, transcript, timeline and graph DTOs). Lessons, share links, trace import/export and
//! the real toolchain are in `buildlab-web-full`, which the page fetches on their first use.
//! Nothing of its own: the exports are `buildlab-web`'s, linked in through this re-export.

pub use buildlab_web::*;
