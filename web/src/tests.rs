//! The crate's tests, in headless Chromium against real IndexedDB: the schema and its upgrade,
//! the cache backend's round trip and batching, corrupt entries, the quota fallback, and a whole
//! load → plan → build → rebuild over the `multi` fixture module.

use std::cell::RefCell;

use buildlab_core::cache::{Cache, CacheFs, DirCache, Miss, HOUR};
use buildlab_core::hash::Digest;
use buildlab_core::why::Outcome as CacheOutcome;
use buildlab_core::workspace::Workspace;
use idb::{Factory, ObjectStoreParams, TransactionMode};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::DomException;

use crate::dto::VisitRecord;
use crate::overlay::{Batch, Checked, OverlayFs};
use crate::session::{self, Session, Storage};
use crate::store::{
    self, classify, encode, Backend, IdbBackend, ReadStats, StoreError, WriteStats,
};

wasm_bindgen_test_configure!(run_in_browser);

const T0: i64 = 1_795_544_806 * 1_000_000_000;

async fn fresh(name: &str) -> idb::Database {
    Factory::new().unwrap().delete(name).unwrap().await.unwrap();
    store::open(name).await.unwrap()
}

fn id(n: u32) -> Digest {
    Digest::of(&n.to_le_bytes())
}

/// Stores `n` entries through a DirCache and returns the batch that would flush them.
fn batch_of(n: u32, now: i64) -> Batch {
    let mut c = DirCache::open(OverlayFs::default());
    for i in 0..n {
        c.put(&id(i), format!("output {i}").as_bytes(), now);
    }
    c.fs_mut().take_batch()
}

/// Reads the entries of `ids` and then the outputs they name.
async fn read_entries<B: Backend>(b: &B, ids: &[Digest]) -> (OverlayFs, ReadStats) {
    let mut fs = OverlayFs::default();
    let mut wanted = |fs: &OverlayFs| {
        let d = crate::overlay::Discover::new(fs);
        for i in ids {
            let _ = d.peek_data(i);
        }
        d.into_wanted()
    };
    let stats = b.read(&mut fs, &mut wanted).await.unwrap();
    (fs, stats)
}

// ---------------------------------------------------------------------------------------------
// The skeleton's record and the schema
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn first_visit_has_no_previous_record() {
    let db = fresh("buildlab-test-first").await;
    let v = store::record_visit(&db, "abc").await.unwrap();
    assert_eq!(v.previous, None);
    assert_eq!(
        v.current,
        VisitRecord {
            digest: "abc".into(),
            visits: 1
        }
    );
    db.close();
}

#[wasm_bindgen_test]
async fn record_survives_reopening_the_database() {
    let name = "buildlab-test-reopen";
    let db = fresh(name).await;
    store::record_visit(&db, "one").await.unwrap();
    db.close();
    let db = store::open(name).await.unwrap();
    assert_eq!(db.version().unwrap(), store::SCHEMA_VERSION);
    let v = store::record_visit(&db, "two").await.unwrap();
    assert_eq!(
        v.previous,
        Some(VisitRecord {
            digest: "one".into(),
            visits: 1
        })
    );
    assert_eq!(v.current.visits, 2);
    db.close();
}

#[wasm_bindgen_test]
async fn upgrade_from_version_1_keeps_the_visit_and_adds_the_cache() {
    let name = "buildlab-test-upgrade";
    Factory::new().unwrap().delete(name).unwrap().await.unwrap();
    // Version 1 exactly as the skeleton created it: one `meta` store.
    let mut req = Factory::new().unwrap().open(name, Some(1)).unwrap();
    req.on_upgrade_needed(|event| {
        use idb::DatabaseEvent;
        let db = event.database().unwrap();
        db.create_object_store(store::META, ObjectStoreParams::new())
            .unwrap();
    });
    let v1 = req.await.unwrap();
    assert_eq!(v1.store_names(), vec![store::META.to_string()]);
    store::record_visit(&v1, "from-v1").await.unwrap();
    v1.close();

    let db = store::open(name).await.unwrap();
    assert_eq!(db.version().unwrap(), 2);
    let mut names = db.store_names();
    names.sort();
    assert_eq!(names, vec!["actions", "meta", "outputs"]);
    let tx = db
        .transaction(&[store::ACTIONS, store::OUTPUTS], TransactionMode::ReadOnly)
        .unwrap();
    for s in [store::ACTIONS, store::OUTPUTS] {
        assert_eq!(
            tx.object_store(s).unwrap().index_names(),
            vec![store::USED.to_string()]
        );
    }
    drop(tx);
    let v = store::record_visit(&db, "from-v2").await.unwrap();
    assert_eq!(
        v.previous,
        Some(VisitRecord {
            digest: "from-v1".into(),
            visits: 1
        })
    );
    // The cache works in the upgraded database.
    let b = IdbBackend::new(db);
    b.write(&batch_of(2, T0)).await.unwrap();
    let (fs, _) = read_entries(&b, &[id(0), id(1)]).await;
    let mut c = DirCache::open(fs);
    assert_eq!(c.get_data(&id(1), T0).unwrap().1, b"output 1");
    b.database().close();
}

// ---------------------------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn entries_round_trip_with_their_used_time() {
    let b = IdbBackend::new(fresh("buildlab-test-roundtrip").await);
    let w = b.write(&batch_of(3, T0)).await.unwrap();
    assert_eq!((w.transactions, w.puts), (1, 6));
    let (fs, stats) = read_entries(&b, &[id(0), id(1), id(2), id(99)]).await;
    assert_eq!(
        stats,
        ReadStats {
            transactions: 1,
            rounds: 2,
            gets: 7,
            found: 6
        }
    );
    let mut c = DirCache::open(fs);
    for i in 0..3 {
        let (e, data) = c.get_data(&id(i), T0).unwrap();
        assert_eq!(data, format!("output {i}").as_bytes());
        assert_eq!(e.time, T0);
        let a = DirCache::<OverlayFs>::action_file(&id(i));
        assert_eq!(c.fs().mtime(&a), Some(T0), "used time kept (ms precision)");
    }
    assert_eq!(c.get_data(&id(99), T0), Err(Miss::NoEntry));
    // A lookup more than an hour later refreshes `used`; the flush writes only that.
    let later = T0 + 2 * HOUR;
    c.get_data(&id(0), later).unwrap();
    let batch = c.fs_mut().take_batch();
    assert_eq!(batch.writes.len(), 2);
    assert!(batch.writes.iter().all(|(_, _, m)| *m == later));
    b.write(&batch).await.unwrap();
    let (fs, _) = read_entries(&b, &[id(0)]).await;
    assert_eq!(
        fs.mtime(&DirCache::<OverlayFs>::action_file(&id(0))),
        Some(later)
    );
    // The listing sees every file in go's layout.
    let snap = b.snapshot().await.unwrap();
    let names: Vec<&str> = snap.files().map(|f| f.0).collect();
    assert_eq!(names.len(), 6);
    assert!(names
        .iter()
        .all(|n| n.len() == 2 + 1 + 64 + 2 && (n.ends_with("-a") || n.ends_with("-d"))));
    assert_eq!(b.clear().await.unwrap(), 6);
    assert!(b.snapshot().await.unwrap().is_empty());
    b.database().close();
}

#[wasm_bindgen_test]
async fn a_thousand_lookups_take_one_transaction() {
    let b = IdbBackend::new(fresh("buildlab-test-batch").await);
    let w = b.write(&batch_of(1000, T0)).await.unwrap();
    assert_eq!((w.transactions, w.puts), (1, 2000));
    let ids: Vec<Digest> = (0..1000).map(id).collect();
    let t = js_sys::Date::now();
    let (fs, stats) = read_entries(&b, &ids).await;
    let ms = js_sys::Date::now() - t;
    console_log!("1,000 entries + 1,000 outputs read in one transaction: {ms} ms");
    assert_eq!(
        stats,
        ReadStats {
            transactions: 1,
            rounds: 2,
            gets: 2000,
            found: 2000
        }
    );
    let c = DirCache::open(fs);
    assert!(ids.iter().all(|i| c.peek_data(i).is_ok()));
    b.database().close();
}

#[wasm_bindgen_test]
async fn a_corrupt_entry_is_a_miss_and_is_deleted() {
    let db = fresh("buildlab-test-corrupt").await;
    let b = IdbBackend::new(db);
    b.write(&batch_of(2, T0)).await.unwrap();
    // Corrupt output 0 straight in IndexedDB: same size, other bytes. And truncate entry 1.
    let out0 = Digest::of(b"output 0").to_hex();
    let a1 = id(1).to_hex();
    {
        let tx = b
            .database()
            .transaction(
                &[store::OUTPUTS, store::ACTIONS],
                TransactionMode::ReadWrite,
            )
            .unwrap();
        let o = tx.object_store(store::OUTPUTS).unwrap();
        o.put(&encode(b"output X", T0), Some(&JsValue::from_str(&out0)))
            .unwrap()
            .await
            .unwrap();
        let a = tx.object_store(store::ACTIONS).unwrap();
        a.put(&encode(b"v1 trunc", T0), Some(&JsValue::from_str(&a1)))
            .unwrap()
            .await
            .unwrap();
        tx.commit().unwrap().await.unwrap();
    }
    let (fs, _) = read_entries(&b, &[id(0), id(1)]).await;
    let mut cache = DirCache::open(fs);
    let mut c = Checked::new(&mut cache);
    assert_eq!(c.get_data(&id(0), T0), Err(Miss::DataHash));
    assert_eq!(
        c.get_data(&id(1), T0),
        Err(Miss::BadEntry(buildlab_core::cache::EntryFault::Incomplete))
    );
    let reasons: Vec<Miss> = c.corrupt.iter().map(|x| x.reason.clone()).collect();
    assert_eq!(reasons.len(), 2);
    let batch = cache.fs_mut().take_batch();
    assert_eq!(
        batch.deletes.len(),
        3,
        "entry 0, its output, entry 1: {:?}",
        batch.deletes
    );
    let w = b.write(&batch).await.unwrap();
    assert_eq!(w.deletes, 3);
    let snap = b.snapshot().await.unwrap();
    let left: Vec<&str> = snap.files().map(|f| f.0).collect();
    assert_eq!(
        left,
        vec![DirCache::<OverlayFs>::output_file(&Digest::of(b"output 1"))]
    );
    b.database().close();
}

#[wasm_bindgen_test]
async fn a_corrupt_record_replaced_meanwhile_is_not_deleted() {
    let b = IdbBackend::new(fresh("buildlab-test-cas").await);
    b.write(&batch_of(1, T0)).await.unwrap();
    let a0 = id(0).to_hex();
    let put = |bytes: &'static [u8]| {
        let b = b.clone();
        let a0 = a0.clone();
        async move {
            let tx = b
                .database()
                .transaction(&[store::ACTIONS], TransactionMode::ReadWrite)
                .unwrap();
            tx.object_store(store::ACTIONS)
                .unwrap()
                .put(&encode(bytes, T0), Some(&JsValue::from_str(&a0)))
                .unwrap()
                .await
                .unwrap();
            tx.commit().unwrap().await.unwrap();
        }
    };
    put(b"garbage").await;
    let (fs, _) = read_entries(&b, &[id(0)]).await;
    let mut cache = DirCache::open(fs);
    assert!(Checked::new(&mut cache).get_data(&id(0), T0).is_err());
    let batch = cache.fs_mut().take_batch();
    // Another tab writes a good entry before this one flushes.
    let good = batch_of(1, T0);
    b.write(&good).await.unwrap();
    let w = b.write(&batch).await.unwrap();
    assert_eq!(w.deletes, 0);
    let (fs, _) = read_entries(&b, &[id(0)]).await;
    assert!(DirCache::open(fs).peek_data(&id(0)).is_ok());
    b.database().close();
}

// ---------------------------------------------------------------------------------------------
// Whole builds over the multi fixture
// ---------------------------------------------------------------------------------------------

fn multi() -> Workspace {
    let mut ws = Workspace::new();
    for (p, t) in [
        (
            "go.mod",
            include_str!("../../tests/fixtures/multi/src/go.mod"),
        ),
        (
            "main.go",
            include_str!("../../tests/fixtures/multi/src/main.go"),
        ),
        (
            "util/util.go",
            include_str!("../../tests/fixtures/multi/src/util/util.go"),
        ),
        (
            "internal/a/a.go",
            include_str!("../../tests/fixtures/multi/src/internal/a/a.go"),
        ),
        (
            "asmadd/add.go",
            include_str!("../../tests/fixtures/multi/src/asmadd/add.go"),
        ),
        (
            "asmadd/add_amd64.s",
            include_str!("../../tests/fixtures/multi/src/asmadd/add_amd64.s"),
        ),
    ] {
        ws.insert(p, t).unwrap();
    }
    ws
}

async fn session_over(name: &str) -> RefCell<Session<IdbBackend>> {
    let b = IdbBackend::new(store::open(name).await.unwrap());
    let binary = b.binary().await.unwrap();
    let s = Session::new(Some(b), None, binary);
    RefCell::new(s)
}

fn ran(o: &session::Outcome) -> Vec<String> {
    o.report
        .actions
        .iter()
        .filter(|a| a.outcome.ran())
        .map(|a| a.key.clone())
        .collect()
}

#[wasm_bindgen_test]
async fn multi_builds_then_rebuilds_from_indexeddb_after_reopening() {
    let name = "buildlab-test-multi";
    fresh(name).await.close();
    let s = session_over(name).await;
    s.borrow_mut().load(multi());
    let planned = s
        .borrow_mut()
        .plan(vec![], String::new())
        .ok()
        .expect("multi plans");
    let plan_dto = crate::dto::Plan::of(&planned);
    assert!(
        plan_dto.packages.len() > 50,
        "{} packages",
        plan_dto.packages.len()
    );
    assert!(plan_dto.actions.iter().any(|a| a.mode == "link-install"));

    // Cold: everything compiles and links.
    let t = js_sys::Date::now();
    let cold = session::build(&s, false, T0).await.ok().unwrap();
    console_log!("cold build of multi: {} ms", js_sys::Date::now() - t);
    assert!(cold
        .report
        .compiled()
        .contains(&"example.com/multi/util".to_string()));
    assert_eq!(cold.report.link_runs(), 1);
    assert_eq!(cold.write.transactions, 1);
    assert!(cold.write.puts > 100);
    assert_eq!(cold.read.transactions, 1);

    // The prediction against IndexedDB agrees: nothing to do.
    let p = session::predict(&s, false).await.ok().unwrap();
    assert_eq!(ran(&p), Vec::<String>::new());
    let dto = crate::dto::Build::of(&p);
    assert!(crate::dto::to_js(&dto).is_ok());

    // Reopen the database in a new session, as a reloaded page would.
    s.borrow().backend().unwrap().database().close();
    drop(s);
    let s = session_over(name).await;
    s.borrow_mut().load(multi());
    let t = js_sys::Date::now();
    let warm = session::build(&s, false, T0 + HOUR / 60)
        .await
        .ok()
        .unwrap();
    console_log!(
        "warm no-op build of multi after reopening: {} ms ({:?})",
        js_sys::Date::now() - t,
        warm.read
    );
    assert_eq!(
        ran(&warm),
        Vec::<String>::new(),
        "the second build ran nothing"
    );
    assert!(warm
        .report
        .actions
        .iter()
        .all(|a| matches!(a.outcome, CacheOutcome::Hit | CacheOutcome::TargetUpToDate)));
    assert_eq!(warm.read.transactions, 1);
    assert!(warm.corrupt.is_empty());

    // Edit one byte in util: util, internal/a, main and the link rebuild.
    let mut ws = multi();
    let util = String::from_utf8(ws.get("util/util.go").unwrap().to_vec()).unwrap();
    ws.insert("util/util.go", format!("{util}\n")).unwrap();
    s.borrow_mut().load(ws);
    let edit = session::build(&s, false, T0 + HOUR / 30)
        .await
        .ok()
        .unwrap();
    console_log!("after a one-byte edit in util: {:?}", ran(&edit));
    assert!(ran(&edit).contains(&"build example.com/multi/util".to_string()));
    assert!(!ran(&edit).contains(&"build example.com/multi/asmadd".to_string()));
    s.borrow().backend().unwrap().database().close();
}

/// A backend whose writes fail as a full disk makes IndexedDB fail.
#[derive(Clone)]
struct QuotaOnWrite(IdbBackend);

impl Backend for QuotaOnWrite {
    async fn read(
        &self,
        fs: &mut OverlayFs,
        wanted: &mut dyn FnMut(&OverlayFs) -> Vec<String>,
    ) -> Result<ReadStats, StoreError> {
        self.0.read(fs, wanted).await
    }
    async fn write(&self, _: &Batch) -> Result<WriteStats, StoreError> {
        let e = DomException::new_with_message_and_name(
            "The quota has been exceeded.",
            "QuotaExceededError",
        )
        .unwrap();
        Err(classify(&idb::Error::DomException(e)))
    }
    async fn snapshot(&self) -> Result<OverlayFs, StoreError> {
        self.0.snapshot().await
    }
    async fn clear(&self) -> Result<u32, StoreError> {
        self.0.clear().await
    }
    async fn binary(&self) -> Result<Option<(String, String)>, StoreError> {
        self.0.binary().await
    }
}

#[wasm_bindgen_test]
async fn quota_exceeded_falls_back_to_memory_and_keeps_the_build() {
    let b = QuotaOnWrite(IdbBackend::new(fresh("buildlab-test-quota").await));
    let s = RefCell::new(Session::new(Some(b), None, None));
    s.borrow_mut().load(multi());
    let cold = session::build(&s, false, T0).await.ok().unwrap();
    assert!(
        matches!(cold.fallback, Some(StoreError::Quota(_))),
        "{:?}",
        cold.fallback
    );
    assert!(
        matches!(s.borrow().storage(), Storage::Memory { reason } if reason.contains("QuotaExceededError"))
    );
    let dto = crate::dto::Build::of(&cold);
    assert_eq!(dto.storage.mode, "memory");
    assert!(dto.events.iter().any(|e| matches!(
        e,
        crate::dto::Event::StorageFallback {
            quota_exceeded: true,
            ..
        }
    )));
    // Nothing built is lost: the next build is all hits from the memory cache.
    let warm = session::build(&s, false, T0 + HOUR / 60)
        .await
        .ok()
        .unwrap();
    assert_eq!(ran(&warm), Vec::<String>::new());
    assert!(warm.fallback.is_none(), "no second write attempted");
    s.borrow().backend().unwrap().0.database().close();
}
