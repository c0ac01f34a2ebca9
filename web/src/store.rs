//! Buildlab's IndexedDB database, through the `idb` crate. The skeleton keeps one record in a
//! `meta` store; the build cache's stores arrive with the cache work, under a higher schema
//! version and an upgrade step.
//!
//! Every transaction here awaits only IndexedDB requests: awaiting anything else would let the
//! browser auto-commit it.

use crate::dto::{Visit, VisitRecord};
use idb::{Database, DatabaseEvent, Factory, TransactionMode};
use wasm_bindgen::{JsError, JsValue};

pub const DB_NAME: &str = "buildlab";
/// The schema version. Bump it with an upgrade step in [`open`] for every change of stores.
pub const SCHEMA_VERSION: u32 = 1;
const META: &str = "meta";
const VISIT_KEY: &str = "skeleton-visit";

pub fn js_error(e: idb::Error) -> JsError {
    JsError::new(&format!("IndexedDB: {e}"))
}

/// Opens (creating or upgrading) the database `name`.
pub async fn open(name: &str) -> Result<Database, idb::Error> {
    let factory = Factory::new()?;
    let mut req = factory.open(name, Some(SCHEMA_VERSION))?;
    req.on_upgrade_needed(|event| {
        let Ok(db) = event.database() else { return };
        if !db.store_names().iter().any(|s| s == META) {
            // Keys are given explicitly (no key path): `meta` holds a few named records.
            let _ = db.create_object_store(META, idb::ObjectStoreParams::new());
        }
    });
    req.await
}

/// Reads the previous visit record and writes the next one, in one read-write transaction.
pub async fn record_visit(db: &Database, digest: &str) -> Result<Visit, idb::Error> {
    let tx = db.transaction(&[META], TransactionMode::ReadWrite)?;
    let store = tx.object_store(META)?;
    let key = JsValue::from_str(VISIT_KEY);
    let previous: Option<VisitRecord> =
        store.get(key.clone())?.await?.and_then(|v| serde_wasm_bindgen::from_value(v).ok());
    let current = VisitRecord { digest: digest.to_string(), visits: previous.as_ref().map_or(1, |p| p.visits + 1) };
    let value = serde_wasm_bindgen::to_value(&current).map_err(|e| idb::Error::UnexpectedJsType("VisitRecord", e.into()))?;
    store.put(&value, Some(&key))?.await?;
    tx.commit()?.await?;
    Ok(Visit { previous, current })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    async fn fresh(name: &str) -> Database {
        Factory::new().unwrap().delete(name).unwrap().await.unwrap();
        open(name).await.unwrap()
    }

    #[wasm_bindgen_test]
    async fn first_visit_has_no_previous_record() {
        let db = fresh("buildlab-test-first").await;
        let v = record_visit(&db, "abc").await.unwrap();
        assert_eq!(v.previous, None);
        assert_eq!(v.current, VisitRecord { digest: "abc".into(), visits: 1 });
        db.close();
    }

    #[wasm_bindgen_test]
    async fn record_survives_reopening_the_database() {
        let name = "buildlab-test-reopen";
        let db = fresh(name).await;
        record_visit(&db, "one").await.unwrap();
        db.close();
        let db = open(name).await.unwrap();
        assert_eq!(db.version().unwrap(), SCHEMA_VERSION);
        let v = record_visit(&db, "two").await.unwrap();
        assert_eq!(v.previous, Some(VisitRecord { digest: "one".into(), visits: 1 }));
        assert_eq!(v.current.visits, 2);
        db.close();
    }
}
