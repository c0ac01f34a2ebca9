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
    let stats = b.read(&mut fs, None, &mut wanted).await.unwrap();
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
            // The listing of the stores' keys, the entries, the outputs they name.
            rounds: 3,
            gets: 7,
            found: 6,
            dry_us: 0,
            // Three entries and their three outputs.
            listed: 6,
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
            rounds: 3,
            gets: 2000,
            found: 2000,
            dry_us: 0,
            listed: 2000,
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
    files(&[
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
    ])
}

/// A workspace of these `(path, text)` files.
fn files(list: &[(&str, &str)]) -> Workspace {
    let mut ws = Workspace::new();
    for (p, t) in list {
        ws.insert(p, *t).unwrap();
    }
    ws
}

/// A session over a new, empty database `name`.
async fn fresh_session(name: &str) -> RefCell<Session<IdbBackend>> {
    fresh(name).await.close();
    session_over(name).await
}

async fn session_over(name: &str) -> RefCell<Session<IdbBackend>> {
    let b = IdbBackend::new(store::open(name).await.unwrap());
    let workdir = b.workdir().await.unwrap();
    let s = Session::new(Some(b), None, workdir);
    RefCell::new(s)
}

fn ran_keys(r: &buildlab_core::rebuild::BuildReport) -> Vec<String> {
    r.actions
        .iter()
        .filter(|a| a.outcome.ran())
        .map(|a| a.key.clone())
        .collect()
}

fn ran(o: &session::Outcome) -> Vec<String> {
    ran_keys(&o.report)
}

/// `go build ARGS` through the session, as the page runs it (2 virtual CPUs), collecting the
/// progress events' action IDs.
async fn go_build<B: Backend + Clone>(
    s: &RefCell<Session<B>>,
    args: &str,
    now: i64,
) -> (session::Built, Vec<usize>) {
    let argv: Vec<String> = format!("go build {args}")
        .split_whitespace()
        .map(String::from)
        .collect();
    let req = session::Request {
        flags: crate::goflags::BuildFlags::parse_argv(&argv).unwrap(),
        cpus: 2,
        cwd: String::new(),
    };
    let mut seen = Vec::new();
    let mut progress = |_: &session::Planned, done: Vec<buildlab_core::trace::TraceAction>| {
        seen.extend(done.iter().map(|a| a.id));
    };
    let b = session::build(s, &req, now, &mut progress)
        .await
        .ok()
        .expect("the build ran");
    (b, seen)
}

fn all_hits(b: &session::Built) -> bool {
    b.result
        .report
        .actions
        .iter()
        .all(|a| matches!(a.outcome, CacheOutcome::Hit | CacheOutcome::TargetUpToDate))
}

#[wasm_bindgen_test]
async fn multi_builds_then_rebuilds_from_indexeddb_after_reopening() {
    let name = "buildlab-test-multi";
    let s = fresh_session(name).await;
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

    // Cold: everything compiles and links; progress reports every action once.
    let t = js_sys::Date::now();
    let (cold, seen) = go_build(&s, "-x", T0).await;
    console_log!("cold build of multi: {} ms", js_sys::Date::now() - t);
    let cold_report = &cold.result.report;
    assert!(cold_report
        .compiled()
        .contains(&"example.com/multi/util".to_string()));
    assert_eq!(cold_report.link_runs(), 1);
    assert_eq!(cold.result.exit_status, 0);
    assert!(cold
        .result
        .transcript
        .text()
        .starts_with("WORK=/tmp/go-build"));
    assert_eq!(cold.write.transactions, 1);
    assert!(cold.write.puts > 100);
    assert_eq!(cold.read.transactions, 1);
    let mut seen = seen;
    seen.sort();
    assert_eq!(
        seen,
        cold.result
            .trace
            .actions
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>()
    );
    let dto = crate::dto::BuildRun::of(&cold);
    assert_eq!((dto.hits, dto.misses), (0, dto.compiled.len() + 1));
    assert!(dto
        .assembled
        .contains(&"example.com/multi/asmadd".to_string()));
    assert!(dto.assembled.contains(&"runtime".to_string()));
    assert!(dto.timing.as_ref().unwrap().real_ms > 100.0);
    assert!(crate::dto::to_js(&dto).is_ok());

    // The prediction against IndexedDB agrees: nothing to do.
    let p = session::predict(&s, false).await.ok().unwrap();
    assert_eq!(ran(&p), Vec::<String>::new());
    let pdto = crate::dto::Build::of(&p);
    assert!(crate::dto::to_js(&pdto).is_ok());

    // Warm, same session: all hits, -x prints only WORK=.
    let (warm, _) = go_build(&s, "-x", T0 + HOUR / 120).await;
    assert!(all_hits(&warm), "{:?}", ran_keys(&warm.result.report));
    assert_eq!(warm.result.transcript.text().lines().count(), 1);

    // Reopen the database in a new session, as a reloaded page would.
    s.borrow().backend().unwrap().database().close();
    drop(s);
    let s = session_over(name).await;
    assert!(
        s.borrow().record().actions.len() > 50,
        "the record survived"
    );
    s.borrow_mut().load(multi());
    let t = js_sys::Date::now();
    let (warm, _) = go_build(&s, "", T0 + HOUR / 60).await;
    console_log!(
        "warm no-op build of multi after reopening: {} ms ({:?})",
        js_sys::Date::now() - t,
        warm.read
    );
    assert!(all_hits(&warm), "{:?}", ran_keys(&warm.result.report));
    assert_eq!(warm.read.transactions, 1);
    assert!(warm.corrupt.is_empty());

    // A code byte in util (the oracle's 3-code-byte-util): util, internal/a and main recompile
    // and the binary relinks; the miss explains itself with the diff, from the persisted record.
    let mut ws = multi();
    let util = String::from_utf8(ws.get("util/util.go").unwrap().to_vec()).unwrap();
    ws.insert(
        "util/util.go",
        util.replace("fmt.Sprint(ys)", "fmt.Sprint(xs)"),
    )
    .unwrap();
    s.borrow_mut().load(ws);
    let predicted = session::predict(&s, false).await.ok().unwrap();
    let (edit, _) = go_build(&s, "", T0 + HOUR / 30).await;
    let r = &edit.result.report;
    console_log!("after a code byte in util: {:?}", ran_keys(r));
    assert_eq!(
        r.compiled(),
        [
            "example.com/multi",
            "example.com/multi/internal/a",
            "example.com/multi/util"
        ]
    );
    assert_eq!((r.link_runs(), r.asm_runs()), (1, 0));
    assert_eq!(
        ran(&predicted),
        ran_keys(r),
        "predict agrees with the build"
    );
    let why = r.explain("build example.com/multi/util");
    assert!(why.contains("file util/util.go "), "{why}");

    // -a rebuilds everything; -n afterwards prints and changes nothing.
    let (forced, _) = go_build(&s, "-a", T0 + HOUR / 20).await;
    assert_eq!(
        forced.result.report.compiled().len(),
        cold_report.compiled().len()
    );
    let (dry, _) = go_build(&s, "-n", T0 + HOUR / 15).await;
    assert_eq!(dry.write.transactions, 0);
    assert!(all_hits(&dry));
    s.borrow().backend().unwrap().database().close();
}

/// A warm build reads action entries only (a hit takes its output's listing, not its bytes, as
/// go's `GetFile` stats the file), refreshes the outputs' used times inside IndexedDB without
/// reading them, and a build that skips its dry run (same inputs as the last, settled one)
/// still sees a record another tab removed meanwhile.
#[wasm_bindgen_test]
async fn warm_builds_read_entries_only_and_see_records_removed_meanwhile() {
    let name = "buildlab-test-entries-only";
    let s = fresh_session(name).await;
    s.borrow_mut().load(multi());
    let (cold, _) = go_build(&s, "", T0).await;
    assert_eq!(cold.result.exit_status, 0);
    s.borrow().backend().unwrap().database().close();
    drop(s);

    // A reloaded page: nothing known, the record persisted. Two hours later, so that every
    // used time is due for a refresh.
    let s = session_over(name).await;
    s.borrow_mut().load(multi());
    let later = T0 + 2 * HOUR;
    let (warm, _) = go_build(&s, "", later).await;
    assert!(all_hits(&warm), "{:?}", ran_keys(&warm.result.report));
    let hits = warm
        .result
        .report
        .actions
        .iter()
        .filter(|a| a.outcome == CacheOutcome::Hit)
        .count();
    assert!(hits > 50, "{hits} hits");
    assert_eq!(
        (warm.read.gets, warm.read.found),
        (hits as u32, hits as u32),
        "one entry per hit, no output read"
    );
    let snap = s.borrow().backend().unwrap().snapshot().await.unwrap();
    let outputs: Vec<_> = snap.files().filter(|(p, _, _)| p.ends_with("-d")).collect();
    let refreshed = outputs.iter().filter(|(_, _, m)| *m == later).count();
    assert_eq!(refreshed, hits, "each hit's output used at {later}");
    assert!(
        outputs
            .iter()
            .filter(|(_, _, m)| *m == later)
            .all(|(p, d, _)| Digest::of(d).to_hex() == p[3..67]),
        "a refresh keeps the bytes"
    );

    // The same build again settles (its dry run found everything known); the next one skips
    // the dry run. Another tab removes one entry in between: that build must miss it.
    let (again, _) = go_build(&s, "", later + 1).await;
    assert!(all_hits(&again));
    assert!(again.read.dry_us > 0, "a dry run planned the read");
    let (skipped, _) = go_build(&s, "", later + 1).await;
    assert!(all_hits(&skipped));
    assert_eq!(
        skipped.read.dry_us, 0,
        "no dry run: same inputs, every record still there"
    );
    let util = again
        .result
        .report
        .get("build example.com/multi/util")
        .unwrap()
        .inputs
        .id;
    {
        let b = s.borrow().backend().unwrap().clone();
        let tx = b
            .database()
            .transaction(&[store::ACTIONS], TransactionMode::ReadWrite)
            .unwrap();
        tx.object_store(store::ACTIONS)
            .unwrap()
            .delete(JsValue::from_str(&util.to_hex()))
            .unwrap()
            .await
            .unwrap();
        tx.commit().unwrap().await.unwrap();
    }
    let (after, mut seen) = go_build(&s, "", later + 2).await;
    // The run over the known records was discarded before it reported anything: each action
    // is reported once, by the build that counted.
    seen.sort();
    let ids: Vec<usize> = after.result.trace.actions.iter().map(|a| a.id).collect();
    assert_eq!(seen, ids);
    let r = &after.result.report;
    assert_eq!(
        r.compiled(),
        ["example.com/multi/util"],
        "{:?}",
        ran_keys(r)
    );
    s.borrow().backend().unwrap().database().close();
}

/// Removes `build <pkg>`'s action entry behind the session's back, as another tab would.
async fn remove_entry(s: &RefCell<Session<IdbBackend>>, id: &Digest) {
    let b = s.borrow().backend().unwrap().clone();
    let tx = b
        .database()
        .transaction(&[store::ACTIONS], TransactionMode::ReadWrite)
        .unwrap();
    tx.object_store(store::ACTIONS)
        .unwrap()
        .delete(JsValue::from_str(&id.to_hex()))
        .unwrap()
        .await
        .unwrap();
    tx.commit().unwrap().await.unwrap();
}

/// Waits `ms` on the browser's clock.
async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// The Build button pressed: the key listing asked for then is the build's snapshot of the
/// store when the build starts within `session::AHEAD_MS` (a record removed after the press is
/// removed after the build looked), not when the build starts later (asked again: the removal
/// seen, the record rebuilt); and the build after the press-time one still finds the removal.
#[wasm_bindgen_test]
async fn a_listing_asked_for_on_press_is_the_builds_only_within_its_window() {
    let name = "buildlab-test-ahead";
    let s = fresh_session(name).await;
    s.borrow_mut().load(multi());
    let (cold, _) = go_build(&s, "", T0).await;
    assert_eq!(cold.result.exit_status, 0);
    let (settling, _) = go_build(&s, "", T0 + 1).await;
    assert!(all_hits(&settling));
    let id = |b: &session::Built, key: &str| b.result.report.get(key).unwrap().inputs.id;
    let util = id(&settling, "build example.com/multi/util");
    let a = id(&settling, "build example.com/multi/internal/a");

    // Pressed (twice: the first listing, still owed, is let finish unread), util's entry
    // removed, released at once: the build confirms its records with the listing of the press.
    s.borrow_mut().list_ahead();
    s.borrow_mut().list_ahead();
    remove_entry(&s, &util).await;
    let (pressed, _) = go_build(&s, "", T0 + 2).await;
    assert!(all_hits(&pressed), "{:?}", ran_keys(&pressed.result.report));
    assert_eq!(pressed.read.dry_us, 0, "settled: no dry run");
    // The next build lists again and rebuilds it.
    let (next, _) = go_build(&s, "", T0 + 3).await;
    assert_eq!(
        next.result.report.compiled(),
        ["example.com/multi/util"],
        "{:?}",
        ran_keys(&next.result.report)
    );

    // Settle again, then a press held past the window: the listing is asked for again.
    let (_, _) = go_build(&s, "", T0 + 4).await;
    s.borrow_mut().list_ahead();
    sleep(session::AHEAD_MS as i32 + 100).await;
    remove_entry(&s, &a).await;
    let (late, _) = go_build(&s, "", T0 + 5).await;
    assert_eq!(
        late.result.report.compiled(),
        ["example.com/multi/internal/a"],
        "{:?}",
        ran_keys(&late.result.report)
    );
    s.borrow().backend().unwrap().database().close();
}

/// The page's build is core's simulation (`build::simulate`, as the CLI runs it) driven a step
/// at a time with pauses: over the same cache, the same transcript, trace and exit status, cold
/// and warm.
#[wasm_bindgen_test]
async fn the_page_builds_as_core_simulates() {
    use buildlab_core::build;
    use buildlab_core::cost::{CostModel, Machine};
    use buildlab_core::rebuild::{Flags, Record};
    let name = "buildlab-test-as-core";
    let s = fresh_session(name).await;
    s.borrow_mut().load(multi());
    let mut mem = DirCache::open(buildlab_core::cache::MemFs::default());
    let mut record = Record::default();
    let mut target: Option<String> = None;
    for (k, now) in [T0, T0 + 1].into_iter().enumerate() {
        let (page, _) = go_build(&s, "-x", now).await;
        let p = page.planned.clone();
        let f = &page.flags;
        let cfg = build::Config {
            flags: Flags {
                force: f.a,
                ..Default::default()
            },
            print: f.print(),
            verbose: f.v,
            workers: buildlab_core::schedule::workers(f.p, 2, f.n),
            now,
            work_dir: session::work_dir(now),
            gocache: crate::gocache(),
            do_start_us: 0.0,
            after_us: 0.0,
            // Cold, then warm: the second build's go has its module index (the page: a build
            // ran; here: the cache holds entries).
            index_cached: mem.has_entries(),
        };
        let machine = Machine {
            cores: 2,
            scaling: CostModel::calibrated().scaling,
        };
        let core = build::simulate(
            &p.plan,
            &p.files(),
            &mut mem,
            &record,
            target.as_deref(),
            cfg,
            machine,
        );
        assert_eq!(page.result.exit_status, core.exit_status, "build {k}");
        assert_eq!(
            page.result.transcript.text(),
            core.transcript.text(),
            "build {k}"
        );
        assert!(
            page.result.trace == core.trace,
            "build {k}: the traces differ"
        );
        record = core.report.record.clone();
        target = core.report.target.clone();
    }
    assert!(record.actions.len() > 50);
    s.borrow().backend().unwrap().database().close();
}

/// go's own time (before `Builder.Do`) is the cost model's cold one only while GOCACHE has no
/// module index: the first build in a new profile, and the first after `go clean -cache`. A
/// page opened over a cache with records, and any build after another, take the warm one.
#[wasm_bindgen_test]
async fn go_is_slow_to_start_only_while_gocache_has_no_module_index() {
    use buildlab_core::cost::CostModel;
    use buildlab_core::plan::Mode;
    let name = "buildlab-test-index";
    let s = fresh_session(name).await;
    s.borrow_mut().load(multi());
    let packages = |b: &session::Built| {
        b.planned
            .plan
            .actions()
            .filter(|(_, x)| matches!(x.mode, Mode::Build | Mode::BuiltIn))
            .count()
    };
    let start_ms = |b: &session::Built| b.result.trace.do_start_us / 1000.0;
    let model = CostModel::calibrated();
    let (cold, _) = go_build(&s, "", T0).await;
    let n = packages(&cold);
    assert_eq!(
        start_ms(&cold),
        model.command_with(n, false).0,
        "a new profile: cold"
    );
    let (warm, _) = go_build(&s, "", T0 + 1).await;
    assert_eq!(
        start_ms(&warm),
        model.command_with(n, true).0,
        "after a build: warm"
    );
    assert!(start_ms(&warm) < start_ms(&cold) / 2.0);

    // A reload: a new session over the same IndexedDB, which lists records: warm, with -a too.
    s.borrow().backend().unwrap().database().close();
    let s = session_over(name).await;
    s.borrow_mut().load(multi());
    let (forced, _) = go_build(&s, "-a", T0 + 2).await;
    assert_eq!(
        start_ms(&forced),
        model.command_with(n, true).0,
        "reloaded over records"
    );

    // go clean -cache removes the index with the rest: the next build is cold again.
    assert!(session::clean_cache(&s).await.unwrap() > 0);
    let (again, _) = go_build(&s, "", T0 + 3).await;
    assert_eq!(
        start_ms(&again),
        model.command_with(n, false).0,
        "after a clean: cold"
    );
    s.borrow().backend().unwrap().database().close();
}

#[wasm_bindgen_test]
async fn work_keeps_b001_with_its_importcfg_and_clean_cache_makes_the_next_build_cold() {
    let name = "buildlab-test-work";
    let s = fresh_session(name).await;
    let mut ws = files(&[
        ("go.mod", "module example.com/hello\n\ngo 1.23\n"),
        (
            "main.go",
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n",
        ),
    ]);
    s.borrow_mut().load(ws.clone());
    let (b, _) = go_build(&s, "-work", T0).await;
    let w = b.work.as_ref().expect("-work keeps $WORK");
    assert!(w.root.starts_with("/tmp/go-build"));
    let dto = crate::dto::BuildRun::of(&b);
    let work = dto.work.unwrap();
    let cfg = work
        .files
        .iter()
        .find(|f| f.path == "b001/importcfg.link")
        .expect("b001/importcfg.link");
    assert!(cfg.text.as_deref().unwrap().contains("packagefile fmt="));
    assert!(work.files.iter().any(|f| f.path == "b001/importcfg"));
    assert!(b.result.transcript.text().starts_with("WORK=/tmp/go-build"));

    let removed = s.borrow().backend().unwrap().clear().await.unwrap();
    assert!(removed > 0);
    let (cold, _) = go_build(&s, "", T0 + HOUR / 60).await;
    assert!(cold.result.report.compiled().contains(&"fmt".to_string()));

    // A syntax error fails as go does, in go's words, with status 1.
    ws.insert(
        "main.go",
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"x\" }\n",
    )
    .unwrap();
    s.borrow_mut().load(ws);
    let (bad, _) = go_build(&s, "", T0 + HOUR / 30).await;
    assert_eq!(bad.result.exit_status, 1);
    assert_eq!(
        bad.result.transcript.text(),
        "# example.com/hello\n./main.go:5:31: syntax error: unexpected } in argument list; possibly missing comma or )\n"
    );
    s.borrow().backend().unwrap().database().close();
}

/// A backend whose writes fail as a full disk makes IndexedDB fail.
#[derive(Clone)]
struct QuotaOnWrite(IdbBackend);

impl Backend for QuotaOnWrite {
    async fn read(
        &self,
        fs: &mut OverlayFs,
        known: Option<&OverlayFs>,
        wanted: &mut dyn FnMut(&OverlayFs) -> Vec<String>,
    ) -> Result<ReadStats, StoreError> {
        self.0.read(fs, known, wanted).await
    }
    fn list(&self) -> Result<store::Listing, StoreError> {
        self.0.list()
    }
    async fn write(&self, _: &Batch) -> Result<WriteStats, StoreError> {
        let e = DomException::new_with_message_and_name(
            "The quota has been exceeded.",
            "QuotaExceededError",
        )
        .unwrap();
        Err(classify(idb::Error::DomException(e)))
    }
    async fn snapshot(&self) -> Result<OverlayFs, StoreError> {
        self.0.snapshot().await
    }
    async fn clear(&self) -> Result<u32, StoreError> {
        self.0.clear().await
    }
    async fn workdir(&self) -> Result<store::Workdir, StoreError> {
        self.0.workdir().await
    }
}

#[wasm_bindgen_test]
async fn quota_exceeded_falls_back_to_memory_and_keeps_the_build() {
    let b = QuotaOnWrite(IdbBackend::new(fresh("buildlab-test-quota").await));
    let s = RefCell::new(Session::new(Some(b), None, Default::default()));
    s.borrow_mut().load(multi());
    let (cold, _) = go_build(&s, "", T0).await;
    assert!(
        matches!(cold.fallback, Some(StoreError::Quota(_))),
        "{:?}",
        cold.fallback
    );
    assert!(
        matches!(s.borrow().storage(), Storage::Memory { reason } if reason.contains("QuotaExceededError"))
    );
    let dto = crate::dto::BuildRun::of(&cold);
    assert_eq!(dto.storage.mode, "memory");
    assert!(dto.events.iter().any(|e| matches!(
        e,
        crate::dto::Event::StorageFallback {
            quota_exceeded: true,
            ..
        }
    )));
    // Nothing built is lost: the next build is all hits from the memory cache.
    let (warm, _) = go_build(&s, "", T0 + HOUR / 60).await;
    assert!(all_hits(&warm));
    assert!(warm.fallback.is_none(), "no second write attempted");
    s.borrow().backend().unwrap().0.database().close();
}

// ---------------------------------------------------------------------------------------------
// Lessons, share links and traces through the `Lab` exports the page calls
// ---------------------------------------------------------------------------------------------

fn get(v: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(v.clone(), |v, k| {
        js_sys::Reflect::get(&v, &JsValue::from_str(k)).unwrap()
    })
}

fn message(e: wasm_bindgen::JsError) -> String {
    get(&JsValue::from(e), &["message"]).as_string().unwrap()
}

async fn fresh_lab(name: &str) -> crate::Lab {
    fresh(name).await.close();
    crate::Lab::opened(Some(name.to_string())).await
}

async fn resolve(p: js_sys::Promise) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(p).await
}

#[wasm_bindgen_test]
fn lessons_parse_for_the_page_without_their_answers() {
    let text = include_str!("../../lessons/04-cache.json");
    let l = crate::parse_lesson("04-cache", text).ok().unwrap();
    assert_eq!(
        get(&l, &["title"]).as_string().unwrap(),
        "The build cache: cold and warm builds"
    );
    let q = get(&l, &["steps", "0", "questions", "1"]);
    assert_eq!(get(&q, &["kind"]).as_string().unwrap(), "number");
    assert!(
        get(&q, &["expect"]).is_undefined(),
        "the page never sees the expected answer"
    );
    let run = get(&l, &["steps", "0", "run", "0"]);
    assert_eq!(run.as_string().unwrap(), "open shop");

    let bad = crate::parse_lesson("04-cache", &text.replace("\"format\": 1", "\"format\": 7"));
    let m = message(bad.err().unwrap());
    assert!(m.contains("newer Buildlab (format 7)"), "{m}");
}

#[wasm_bindgen_test]
async fn a_lesson_step_runs_on_the_session_and_answers_are_checked_against_it() {
    let lab = fresh_lab("buildlab-test-lesson").await;
    // Before any step: a clear refusal.
    let m = message(lab.check_answer(0, JsValue::from(3)).err().unwrap());
    assert_eq!(m, "run the step's experiment first");

    let text = include_str!("../../lessons/04-cache.json");
    let events = js_sys::Array::new();
    let sink = events.clone();
    let on_event = wasm_bindgen::closure::Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        sink.push(&get(&e, &["kind"]));
    });
    let r = resolve(lab.run_lesson_step(
        "04-cache".into(),
        text.into(),
        0,
        Some(wasm_bindgen::JsCast::unchecked_ref::<js_sys::Function>(on_event.as_ref()).clone()),
    ))
    .await
    .unwrap();
    let builds = get(&r, &["builds"]);
    assert_eq!(get(&builds, &["length"]).as_f64(), Some(2.0));
    assert_eq!(get(&builds, &["0", "label"]).as_string().unwrap(), "cold");
    assert_eq!(
        get(&builds, &["1", "run", "misses"]).as_f64(),
        Some(1.0),
        "warm: only the link"
    );
    let kinds: Vec<String> = events.iter().filter_map(|k| k.as_string()).collect();
    assert!(kinds.iter().any(|k| k == "command") && kinds.iter().any(|k| k == "actions"));

    // Q1 yes/no, Q2 a number (as typed text too), Q3 a number.
    let v = lab.check_answer(0, JsValue::TRUE).ok().unwrap();
    assert_eq!(get(&v, &["correct"]).as_bool(), Some(true));
    let v = lab.check_answer(1, JsValue::from(5)).ok().unwrap();
    assert_eq!(get(&v, &["correct"]).as_bool(), Some(false));
    assert_eq!(get(&v, &["observed"]).as_string().unwrap(), "0");
    let v = lab.check_answer(1, JsValue::from_str(" 0 ")).ok().unwrap();
    assert_eq!(get(&v, &["correct"]).as_bool(), Some(true));
    let m = message(
        lab.check_answer(2, JsValue::from_str("lots"))
            .err()
            .unwrap(),
    );
    assert_eq!(m, "type a whole number");
    let m = message(lab.check_answer(9, JsValue::from(1)).err().unwrap());
    assert_eq!(m, "this step has no question 10");

    // Step 2's set question: the module's packages are offered.
    let r = resolve(lab.run_lesson_step("04-cache".into(), text.into(), 1, None))
        .await
        .unwrap();
    let choices = get(&r, &["questions", "0", "choices"]);
    assert_eq!(get(&choices, &["length"]).as_f64(), Some(3.0));
    let answer = js_sys::Array::of2(
        &"example.com/shop/price".into(),
        &"example.com/shop/cart".into(),
    );
    let v = lab.check_answer(0, answer.into()).ok().unwrap();
    assert_eq!(get(&v, &["correct"]).as_bool(), Some(true));
    drop(on_event);
}

/// A load error under `-x` or `-work`: go 1.23.5 prints `WORK=` first (its builder made the
/// work directory before loading), under `-n` the error alone.
#[wasm_bindgen_test]
async fn load_errors_follow_work_as_in_go() {
    let lab = fresh_lab("buildlab-test-load-error-work").await;
    let files = js_sys::JSON::parse(
        r#"[{"path":"go.mod","text":"module m\n\ngo 1.23\n"},
            {"path":"main.go","text":"package main\n\nimport \"m/nope\"\n\nfunc main() {}\n"}]"#,
    )
    .unwrap();
    lab.load_files(files).ok().unwrap();
    let error = "main.go:3:8: package m/nope is not in std (/usr/lib/go-1.23/src/m/nope)\n";
    for (argv, work) in [("-x", true), ("-work", true), ("-n", false), ("-v", false)] {
        let opts = format!(r#"{{"argv":["go","build","{argv}","."],"cpus":2}}"#);
        let opts = js_sys::JSON::parse(&opts).unwrap();
        let run = resolve(lab.build(opts, None, None)).await.unwrap();
        assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(1.0));
        let output = get(&run, &["output"]).as_string().unwrap();
        match output.split_once('\n') {
            Some((line, rest)) if work => {
                assert!(line.starts_with("WORK=/tmp/go-build"), "{output}");
                assert_eq!(rest, error);
            }
            _ => assert_eq!(output, error, "{argv}"),
        }
    }
}

/// `go build main.go extra.go` in the page: go's `command-line-arguments` package of the named
/// files (a `//go:build ignore` one included), its binary named after the first file; the next
/// build of the same files is all hits.
#[wasm_bindgen_test]
async fn named_files_build_as_in_go() {
    let lab = fresh_lab("buildlab-test-named-files").await;
    let files = js_sys::JSON::parse(
        r#"[{"path":"go.mod","text":"module m\n\ngo 1.21\n"},
            {"path":"main.go","text":"package main\n\nfunc main() { println(x) }\n"},
            {"path":"extra.go","text":"//go:build ignore\n\npackage main\n\nvar x = 1\n"}]"#,
    )
    .unwrap();
    lab.load_files(files).ok().unwrap();
    let argv = r#"{"argv":["go","build","-x","main.go","extra.go"],"cpus":2}"#;
    let run = resolve(lab.build(js_sys::JSON::parse(argv).unwrap(), None, None))
        .await
        .unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(0.0));
    let output = get(&run, &["output"]).as_string().unwrap();
    assert!(
        output.contains(" -p main -lang=go1.23 ") && output.contains(" ./main.go ./extra.go\n"),
        "{output}"
    );
    assert!(
        output.contains(
            "/b001/importcfg.link << 'EOF' # internal\npackagefile command-line-arguments="
        ),
        "{output}"
    );
    assert!(
        output.contains("mv $WORK/b001/exe/a.out main\n"),
        "{output}"
    );
    let warm = resolve(lab.build(js_sys::JSON::parse(argv).unwrap(), None, None))
        .await
        .unwrap();
    assert_eq!(get(&warm, &["misses"]).as_f64(), Some(0.0));
    let bad = r#"{"argv":["go","build","main.go","go.mod"],"cpus":2}"#;
    let run = resolve(lab.build(js_sys::JSON::parse(bad).unwrap(), None, None))
        .await
        .unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(1.0));
    assert_eq!(
        get(&run, &["output"]).as_string().unwrap(),
        "named files must be .go files: go.mod\n"
    );
}

#[wasm_bindgen_test]
async fn share_links_round_trip_and_hostile_ones_change_nothing() {
    let lab = fresh_lab("buildlab-test-share").await;
    let files = js_sys::JSON::parse(
        r#"[{"path":"go.mod","text":"module example.com/hello\n\ngo 1.23\n"},
            {"path":"main.go","text":"package main\n\nfunc main() {}\n"}]"#,
    )
    .unwrap();
    lab.load_files(files.clone()).ok().unwrap();
    let opts =
        js_sys::JSON::parse(r#"{"argv":["go","build","-x","."],"cpus":2,"label":"cold"}"#).unwrap();
    let run = resolve(lab.build(opts, None, None)).await.unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(0.0));
    let share =
        js_sys::JSON::parse(r#"{"argv":["go","build","-x","."],"cpus":3,"toolchain":"simulated"}"#)
            .unwrap();
    let token = lab.share_link(share).ok().unwrap();
    assert!(token.starts_with("1."), "{token}");

    let other = fresh_lab("buildlab-test-share-2").await;
    let opened = other.open_shared(&format!("#share={token}")).ok().unwrap();
    assert_eq!(get(&opened, &["cpus"]).as_f64(), Some(3.0));
    assert_eq!(
        get(&opened, &["files", "1", "path"]).as_string().unwrap(),
        "main.go"
    );
    assert_eq!(
        get(&opened, &["builds", "0", "label"]).as_string().unwrap(),
        "cold"
    );
    let actions = get(&opened, &["builds", "0", "trace", "actions", "length"]);
    assert!(actions.as_f64().unwrap() > 10.0);
    assert_eq!(other.workspace_txtar(), lab.workspace_txtar());
    // The recorded trace is the current one: it exports as a Chrome trace.
    assert!(other
        .export_trace("chrome")
        .ok()
        .unwrap()
        .contains("Executing action"));

    // Hostile: the codec's sentence, and the session keeps its workspace.
    let before = other.workspace_txtar();
    for (token, want) in [
        (
            "9.xxx",
            "this link was made by a newer Buildlab (format 9); this page reads format 1",
        ),
        ("garbage", "this is not a Buildlab share link"),
        ("1.AAAA$", "this share link is damaged"),
    ] {
        let m = message(other.open_shared(token).err().unwrap());
        assert!(m.starts_with(want), "{token}: {m}");
        assert_eq!(other.workspace_txtar(), before);
    }
    let long = format!("1.{}", "A".repeat((1 << 20) + 1));
    let m = message(other.open_shared(&long).err().unwrap());
    assert!(m.contains("too long"), "{m}");
}

#[wasm_bindgen_test]
async fn a_real_go_trace_imports_and_exports() {
    let lab = fresh_lab("buildlab-test-import").await;
    let json = include_str!("../../../shared/oracle/multi/trace-cold.json");
    let r = lab.import_trace(json).ok().unwrap();
    assert_eq!(get(&r, &["origin"]).as_string().unwrap(), "go-trace");
    assert_eq!(get(&r, &["packages"]).as_f64(), Some(58.0));
    assert!(get(&r, &["trace", "actions", "length"]).as_f64().unwrap() > 58.0);
    let chrome = lab.export_trace("chrome").ok().unwrap();
    assert!(chrome.contains("Executing action (build runtime)"));
    let m = message(lab.export_trace("actiongraph").err().unwrap());
    assert!(m.contains("imported trace"), "{m}");
    let m = message(lab.import_trace("{\"not\": \"a trace\"}").err().unwrap());
    assert!(!m.is_empty());
}

/// A pattern that matches no package builds nothing and succeeds (go 1.23.5 warns and exits
/// 0): the page's session runs an empty plan without an action, an entry or a binary, and the
/// terminal gets go's warning first.
#[wasm_bindgen_test]
async fn a_pattern_matching_nothing_builds_nothing() {
    let name = "buildlab-test-empty";
    let s = fresh_session(name).await;
    s.borrow_mut().load(multi());
    let (b, seen) = go_build(&s, "-x example.com/multi/nosuch/...", 1_000_000_000).await;
    assert!(seen.len() <= 1, "{seen:?}");
    assert!(b.result.report.actions.is_empty());
    assert!(b.result.binary.is_none());
    assert_eq!(b.result.transcript.text(), "WORK=/tmp/go-build1000000\n");
    let warning = "go: warning: \"example.com/multi/nosuch/...\" matched no packages\n";
    let run = crate::dto::BuildRun::of(&b);
    assert_eq!(run.output, format!("WORK=/tmp/go-build1000000\n{warning}"));
    assert_eq!(run.chunks[1].text, warning);
}

/// The page's `go build -v -o NAME`: go's import path lines and the binary moved to, and kept
/// under, `NAME`; the next build without `-o` plans for the default name again.
#[wasm_bindgen_test]
async fn v_and_o_print_and_name_as_go_does() {
    let name = "buildlab-test-v-o";
    let s = fresh_session(name).await;
    s.borrow_mut().load(multi());
    let (b, _) = go_build(&s, "-v -x -o hi .", 1_000_000_000).await;
    let text = b.result.transcript.text();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "example.com/multi/util")
        .expect("-v names util");
    assert!(lines[at + 1].starts_with("mkdir -p $WORK/b"), "{text}");
    assert!(text.contains("mv $WORK/b001/exe/a.out hi\n"), "{text}");
    assert_eq!(
        b.result.binary.as_ref().map(|x| x.path.as_str()),
        Some("hi")
    );
    let (b, _) = go_build(&s, "-x .", 2_000_000_000).await;
    let text = b.result.transcript.text();
    assert!(text.contains("mv $WORK/b001/exe/a.out multi\n"), "{text}");
    assert!(!text.lines().any(|l| l == "fmt"), "no -v: {text}");
}

/// A JS executor whose `exec` runs `body` (a function of the request) and whose `upload` fails.
fn executor(body: &str) -> JsValue {
    let o = js_sys::Object::new();
    let exec = js_sys::Function::new_with_args("req", body);
    let upload = js_sys::Function::new_with_args(
        "hex, bytes",
        "return Promise.reject(new Error('no uploads here'))",
    );
    js_sys::Reflect::set(&o, &"exec".into(), &exec).unwrap();
    js_sys::Reflect::set(&o, &"upload".into(), &upload).unwrap();
    o.into()
}

const REAL_GO: &str = r#"{"version":"go1.23.5","goroot":"/usr/lib/go-1.23","goos":"linux","goarch":"amd64","cpus":2,"plannedRoot":"/home/gopher/work"}"#;

/// The page's real plan hashes the helper's gcc (`/api/v1/info`'s `ccId`) as the helper does
/// (`CC ID=`), so a gcc upgrade on the helper's machine invalidates the page's cgo entries; an
/// info without it (cgo off, no gcc, an older helper) keeps core's stand-in, as that helper does.
#[wasm_bindgen_test]
fn the_real_plan_hashes_the_helper_s_gcc_identity() {
    let base = buildlab_core::load::LoadRequest::default();
    let with: serde_json::Value = serde_json::from_str(REAL_GO).unwrap();
    let mut with = with.as_object().unwrap().clone();
    with.insert("cgoEnabled".into(), true.into());
    with.insert(
        "ccId".into(),
        "gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) ".into(),
    );
    let go: crate::dto::RealGoIn = serde_json::from_value(with.into()).unwrap();
    let (req, tc) = crate::real::RealGo::from(go).request(&base, None);
    assert!(req.ctx.cgo_enabled && tc.cgo_enabled);
    assert_eq!(
        buildlab_core::cgo::cc_id(&tc),
        "gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) "
    );
    let go: crate::dto::RealGoIn = serde_json::from_str(REAL_GO).unwrap();
    let (_, tc) = crate::real::RealGo::from(go).request(&base, None);
    assert_eq!(buildlab_core::cgo::cc_id(&tc), "gcc (buildlab stand-in)");
}

#[wasm_bindgen_test]
async fn a_real_build_never_takes_the_simulations_objects_and_says_when_the_helper_is_down() {
    fresh("buildlab-test-real-real").await.close();
    let lab = fresh_lab("buildlab-test-real").await;
    let files = js_sys::JSON::parse(
        r#"[{"path":"go.mod","text":"module example.com/hello\n\ngo 1.23\n"},
            {"path":"main.go","text":"package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"}]"#,
    )
    .unwrap();
    lab.load_files(files).ok().unwrap();
    // The simulation fills its cache: many of these action IDs are the real go's too.
    let sim = js_sys::JSON::parse(r#"{"argv":["go","build","."],"cpus":2}"#).unwrap();
    let run = resolve(lab.build(sim.clone(), None, None)).await.unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(0.0));

    // Real, with the helper down: nothing comes from the simulation's cache, every action the
    // helper was asked for fails with its words, and the run says what happened.
    let opts = js_sys::JSON::parse(&format!(
        r#"{{"argv":["go","build","."],"real":{REAL_GO}}}"#
    ))
    .unwrap();
    let down = executor(
        "return Promise.reject(new Error('the helper at http://127.0.0.1:1 is not reachable'))",
    );
    let run = resolve(lab.build(opts.clone(), None, Some(down)))
        .await
        .unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(1.0));
    assert_eq!(
        get(&run, &["hits"]).as_f64(),
        Some(0.0),
        "no simulated object is a real hit"
    );
    assert_eq!(
        get(&run, &["real", "helperError"]).as_string().unwrap(),
        "the helper at http://127.0.0.1:1 is not reachable"
    );
    assert_eq!(get(&run, &["real", "execs"]).as_f64(), Some(0.0));
    assert_eq!(get(&run, &["timing", "simulated"]).as_bool(), Some(false));
    let out = get(&run, &["output"]).as_string().unwrap();
    assert!(
        out.contains("buildlab: helper: the helper at http://127.0.0.1:1 is not reachable\n"),
        "{out}"
    );

    // A helper that answers with something that is not a Go archive: the action fails, clearly.
    let junk = executor(
        "return Promise.resolve({ok: true, output: '', runs: [{tool: 'compile', startMs: 0, ms: 1}], wallMs: 1, bytes: new Uint8Array([1, 2, 3])})",
    );
    let run = resolve(lab.build(opts, None, Some(junk))).await.unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(1.0));
    let out = get(&run, &["output"]).as_string().unwrap();
    assert!(
        out.contains("the archive that came back is not a Go archive with a build ID"),
        "{out}"
    );
    assert!(get(&run, &["real", "execs"]).as_f64().unwrap() >= 1.0);

    // Back to the simulation: its cache is where it was, all hits.
    let run = resolve(lab.build(sim, None, None)).await.unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(0.0));
    assert_eq!(get(&run, &["misses"]).as_f64(), Some(0.0));
    assert_eq!(get(&run, &["timing", "simulated"]).as_bool(), Some(true));
}

/// A stand-in helper that answers every action: a minimal Go archive carrying the build ID it
/// was asked to write (what `buildid -w` leaves is not needed here), a binary for the install.
/// When `globalThis.__lacks` names an output the request uses, it first answers that it lacks
/// it, as the real helper does when its store does not hold an output the page has.
const FAKE_HELPER: &str = r#"
    if (globalThis.__lacks && req.inputs.some((i) => i.hex === globalThis.__lacks)) {
        const hex = globalThis.__lacks;
        globalThis.__lacks = null;
        return Promise.resolve({missing: [hex]});
    }
    const runs = [{tool: req.key.startsWith('build') ? 'compile' : 'link', startMs: 0, ms: 1}];
    if (!req.key.startsWith('build')) return Promise.resolve({ok: true, output: '', runs, wallMs: 1, binary: {hex: 'b'.repeat(64)}});
    const text = '!<arch>\n__.PKGDEF       0           0     0     644     64        `\ngo object linux amd64 go1.23.5\nbuild id "' + req.buildId + '"\n' + req.key + '\n';
    return Promise.resolve({ok: true, output: '', runs, wallMs: 1, bytes: new TextEncoder().encode(text)});
"#;

/// The real toolchain's hits read no archive; an archive the helper then needs is read from
/// IndexedDB and verified first: a corrupt one fails the request with its reason, is removed,
/// and the next build rebuilds it.
#[wasm_bindgen_test]
async fn a_real_build_verifies_an_archive_when_it_sends_it() {
    let name = "buildlab-test-real-verify";
    fresh(&format!("{name}-real")).await.close();
    let lab = fresh_lab(name).await;
    let hello = |text: &str| {
        js_sys::JSON::parse(&format!(
            r#"[{{"path":"go.mod","text":"module example.com/hello\n\ngo 1.23\n"}},
                {{"path":"main.go","text":"package main\n\nimport \"fmt\"\n\nfunc main() {{ fmt.Println(\"{text}\") }}\n"}}]"#
        ))
        .unwrap()
    };
    lab.load_files(hello("hi")).ok().unwrap();
    let opts = js_sys::JSON::parse(&format!(
        r#"{{"argv":["go","build","."],"real":{REAL_GO}}}"#
    ))
    .unwrap();
    let run = resolve(lab.build(opts.clone(), None, Some(executor(FAKE_HELPER))))
        .await
        .unwrap();
    assert_eq!(
        get(&run, &["exitCode"]).as_f64(),
        Some(0.0),
        "{:?}",
        get(&run, &["output"])
    );
    assert_eq!(get(&run, &["hits"]).as_f64(), Some(0.0));

    // fmt's archive, corrupted in IndexedDB: same size, one byte changed.
    let packages = js_sys::Array::from(&get(&run, &["packages"]));
    let fmt_id = packages
        .iter()
        .find(|p| get(p, &["importPath"]).as_string().as_deref() == Some("fmt"))
        .map(|p| get(&p, &["actionId"]).as_string().unwrap())
        .expect("fmt was built");
    let db = store::open(&format!("{name}-real")).await.unwrap();
    let tx = db
        .transaction(
            &[store::ACTIONS, store::OUTPUTS],
            TransactionMode::ReadWrite,
        )
        .unwrap();
    let entry = tx
        .object_store(store::ACTIONS)
        .unwrap()
        .get(JsValue::from_str(&fmt_id))
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    let out_hex = store::decode(&entry).0[68..132].to_vec();
    let out_hex = String::from_utf8(out_hex).unwrap();
    let outputs = tx.object_store(store::OUTPUTS).unwrap();
    let v = outputs
        .get(JsValue::from_str(&out_hex))
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    let (mut bytes, _) = store::decode(&v);
    let last = bytes.len() - 2;
    bytes[last] ^= 0x20;
    outputs
        .put(&encode(&bytes, T0), Some(&JsValue::from_str(&out_hex)))
        .unwrap()
        .await
        .unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();

    // A warm build reads no archive: all hits, the corruption unseen.
    let run = resolve(lab.build(opts.clone(), None, Some(executor(FAKE_HELPER))))
        .await
        .unwrap();
    assert_eq!(get(&run, &["misses"]).as_f64(), Some(0.0));

    // main changes; the helper lacks fmt's archive, so the page sends it: read, found corrupt.
    lab.load_files(hello("hello")).ok().unwrap();
    js_sys::Reflect::set(
        &js_sys::global(),
        &"__lacks".into(),
        &JsValue::from_str(&out_hex),
    )
    .unwrap();
    let run = resolve(lab.build(opts.clone(), None, Some(executor(FAKE_HELPER))))
        .await
        .unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(1.0));
    let out = get(&run, &["output"]).as_string().unwrap();
    assert!(
        out.contains(&format!(
            "cached output {out_hex} does not hash to its output ID"
        )),
        "{out}"
    );
    let events = js_sys::JSON::stringify(&get(&run, &["events"])).unwrap();
    assert!(String::from(events).contains("does not hash to its output ID"));

    // The next build finds fmt's entry without its archive: a miss with that reason, rebuilt.
    let run = resolve(lab.build(opts, None, Some(executor(FAKE_HELPER))))
        .await
        .unwrap();
    assert_eq!(
        get(&run, &["exitCode"]).as_f64(),
        Some(0.0),
        "{:?}",
        get(&run, &["output"])
    );
    let compiled: Vec<String> = js_sys::Array::from(&get(&run, &["compiled"]))
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert!(compiled.contains(&"fmt".to_string()), "{compiled:?}");
}

/// A real build keeps twice `-p` actions in flight (the helper queues them on its `-p` slots),
/// draws them on `-p` lanes, and streams the transcript while it runs: what the executor's
/// `live` gets is go's transcript as far as it is settled, a prefix of the build's output.
#[wasm_bindgen_test]
async fn a_real_build_streams_its_settled_transcript_on_p_lanes() {
    let name = "buildlab-test-real-live";
    fresh(&format!("{name}-real")).await.close();
    let lab = fresh_lab(name).await;
    let files = js_sys::JSON::parse(
        r#"[{"path":"go.mod","text":"module example.com/hello\n\ngo 1.23\n"},
            {"path":"main.go","text":"package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"}]"#,
    )
    .unwrap();
    lab.load_files(files).ok().unwrap();
    let opts = js_sys::JSON::parse(&format!(
        r#"{{"argv":["go","build","-x","."],"cpus":2,"real":{REAL_GO}}}"#
    ))
    .unwrap();
    // The stand-in helper, slowed down so that the build lasts a few live updates; it counts
    // the actions in flight.
    let slow = format!(
        "const f = new Function('req', {}); const g = globalThis;
         g.__inflight = (g.__inflight || 0) + 1; g.__most = Math.max(g.__most || 0, g.__inflight);
         return new Promise((r) => setTimeout(r, 40)).then(() => {{ g.__inflight--; return f(req); }});",
        serde_json::to_string(FAKE_HELPER).unwrap()
    );
    let exec = executor(&slow);
    let live = js_sys::Function::new_with_args(
        "text",
        "globalThis.__live = (globalThis.__live || '') + text",
    );
    js_sys::Reflect::set(&exec, &"live".into(), &live).unwrap();
    let run = resolve(lab.build(opts, None, Some(exec))).await.unwrap();
    assert_eq!(
        get(&run, &["exitCode"]).as_f64(),
        Some(0.0),
        "{:?}",
        get(&run, &["output"])
    );
    let out = get(&run, &["output"]).as_string().unwrap();
    let streamed = get(&js_sys::global(), &["__live"])
        .as_string()
        .unwrap_or_default();
    assert!(
        streamed.contains("/compile -o $WORK/b"),
        "compiles streamed while the build ran: {streamed}"
    );
    assert!(
        out.starts_with(&streamed),
        "the live text is the transcript's beginning:\n{streamed}\n---\n{out}"
    );
    let most = get(&js_sys::global(), &["__most"]).as_f64().unwrap();
    assert_eq!(most, 4.0, "twice -p 2 in flight");
    assert_eq!(get(&run, &["trace", "lanes"]).as_f64(), Some(2.0));
    for a in js_sys::Array::from(&get(&run, &["trace", "actions"])).iter() {
        let lane = get(&a, &["lane"]).as_f64();
        assert!(
            lane.is_none_or(|l| (1.0..=2.0).contains(&l)),
            "lane {lane:?}"
        );
    }
}

/// `go build ARGS` as the page asks it, for [`session::needs_cgo_commands`].
fn request(args: &str) -> session::Request {
    let argv: Vec<String> = format!("go build {args}")
        .split_whitespace()
        .map(String::from)
        .collect();
    session::Request {
        flags: crate::goflags::BuildFlags::parse_argv(&argv).unwrap(),
        cpus: 2,
        cwd: String::new(),
    }
}

/// The first-load module refuses exactly the builds that need what only the full module has:
/// `-work` (its tree), and `-n` / `-x` over a plan with a cgo step (cgo's commands). The full
/// module renders them: go's cgo tool and gcc lines are in the `-n` transcript, and `-work`
/// keeps the tree.
/// The build settings through the page's command line (the full module's: the first hands
/// them over): the files `-tags` selects, `-trimpath`'s rewrite and cleared GOROOT, the
/// per-package flags, the build info; the same flags again build nothing, other tags rebuild.
#[wasm_bindgen_test]
async fn build_settings_from_the_command_line_build_as_in_go() {
    let lab = fresh_lab("buildlab-test-build-settings").await;
    let files = js_sys::JSON::parse(
        r#"[{"path":"go.mod","text":"module m\n\ngo 1.23\n"},
            {"path":"main.go","text":"package main\n\nfunc main() { println(edition) }\n"},
            {"path":"pro.go","text":"//go:build pro\n\npackage main\n\nconst edition = 2\n"},
            {"path":"free.go","text":"//go:build !pro\n\npackage main\n\nconst edition = 1\n"}]"#,
    )
    .unwrap();
    lab.load_files(files).ok().unwrap();
    let build = |args: &str| {
        let mut argv = vec!["go".to_string(), "build".to_string()];
        argv.extend(args.split(' ').map(String::from));
        let o = js_sys::Object::new();
        let a: js_sys::Array = argv.iter().map(|s| JsValue::from_str(s)).collect();
        js_sys::Reflect::set(&o, &"argv".into(), &a).unwrap();
        js_sys::Reflect::set(&o, &"cpus".into(), &2.into()).unwrap();
        lab.build(o.into(), None, None)
    };
    let run = resolve(build("-x -trimpath -tags=pro -gcflags=-N -ldflags=-s ."))
        .await
        .unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(0.0));
    let output = get(&run, &["output"]).as_string().unwrap();
    for want in [
        "=>m;$WORK/b001=>\" -p main ",
        " -c=2 -N -nolocalimports ",
        " ./main.go ./pro.go\n",
        "build\\t-tags=pro\\nbuild\\t-trimpath=true\\n",
        "GOROOT='' /usr/lib/go-1.23/pkg/tool/linux_amd64/link ",
        " -buildid=",
    ] {
        assert!(output.contains(want), "{want}\n{output}");
    }
    assert!(output.contains(" -s -extld=gcc "), "{output}");
    let warm = resolve(build("-trimpath -tags=pro -gcflags=-N -ldflags=-s ."))
        .await
        .unwrap();
    assert_eq!(get(&warm, &["misses"]).as_f64(), Some(0.0));
    let other = resolve(build("-x -trimpath -gcflags=-N -ldflags=-s ."))
        .await
        .unwrap();
    let output = get(&other, &["output"]).as_string().unwrap();
    assert!(output.contains(" ./free.go ./main.go\n"), "{output}");
    let refused = resolve(build("-tags=osusergo .")).await.unwrap();
    assert_eq!(get(&refused, &["exitCode"]).as_f64(), Some(1.0));
    assert!(get(&refused, &["output"])
        .as_string()
        .unwrap()
        .starts_with("buildlab: -tags osusergo: "));
}

#[wasm_bindgen_test]
async fn only_work_settings_and_cgo_commands_go_to_the_full_module() {
    let name = "buildlab-test-full-module";
    let s = fresh_session(name).await;
    let needs = |args: &str| session::needs_full_module(&s, &request(args));
    s.borrow_mut().load(multi());
    for args in [".", "-n .", "-x .", "-a -v -p 1 ."] {
        assert!(!needs(args), "multi {args}");
    }
    assert!(needs("-work ."), "multi -work");
    for args in [
        "-trimpath .",
        "-tags=pro .",
        "-gcflags=-N .",
        "-ldflags=-s -x .",
    ] {
        assert!(needs(args), "multi {args}");
    }
    let ws = files(&[
        ("go.mod", "module example.com/c\n\ngo 1.23\n"),
        (
            "main.go",
            "package main\n\n// int one(void) { return 1; }\nimport \"C\"\n\nfunc main() { println(C.one()) }\n",
        ),
    ]);
    s.borrow_mut().load(ws);
    for args in [".", "-a -v ."] {
        assert!(!needs(args), "cgo {args}");
    }
    for args in ["-n .", "-x .", "-work ."] {
        assert!(needs(args), "cgo {args}");
    }
    let (b, _) = go_build(&s, "-n .", 1_000_000_000).await;
    let text = b.result.transcript.text();
    assert!(
        text.lines()
            .any(|l| l.contains("/pkg/tool/linux_amd64/cgo -objdir $WORK/b")
                && l.contains(" -importpath example.com/c ")),
        "{text}"
    );
    assert!(
        text.contains("gcc -fno-caret-diagnostics -O2 -g -c -x c - -o /dev/null || true"),
        "{text}"
    );
    let (b, _) = go_build(&s, "-work .", 2_000_000_000).await;
    let work = b.work.as_ref().expect("-work keeps the tree");
    assert!(
        work.entries
            .iter()
            .any(|(p, _)| p.ends_with("/_cgo_main.c")),
        "{work:?}"
    );
    // A package that fails to plan is left to the build to report.
    s.borrow_mut().load(Workspace::new());
    assert!(!needs("-x ."));
}

/// The page's options, read by hand (`crate::jsread`): what the page passes, the defaults of
/// what it leaves out (absent, `undefined` or `null`), and an error naming a field of the wrong
/// type instead of a silent default.
#[wasm_bindgen_test]
fn options_are_read_field_by_field_with_their_defaults() {
    use crate::dto::{BuildOptions, FileIn, PlanOptions, RunOptions};
    let js = |s: &str| js_sys::JSON::parse(s).unwrap();
    let o = RunOptions::from_js(&js(
        r#"{"argv":["go","build","-x","."],"cpus":3,"label":"cold","cwd":"cmd",
            "patterns":["./..."],"flags":{"x":true,"work":false,"p":4},"real":{"goos":"linux"}}"#,
    ))
    .unwrap();
    assert_eq!(
        o.argv.as_deref(),
        Some(&["go", "build", "-x", "."].map(String::from)[..])
    );
    assert_eq!(
        (o.cpus, o.label.as_deref(), o.cwd.as_str()),
        (Some(3), Some("cold"), "cmd")
    );
    assert_eq!(o.patterns, ["./..."]);
    let f = o.flags.unwrap();
    assert_eq!(
        (f.x, f.n, f.a, f.work, f.p),
        (true, false, false, false, Some(4))
    );
    assert_eq!(
        get(&o.real.unwrap(), &["goos"]).as_string().as_deref(),
        Some("linux")
    );

    for absent in [
        JsValue::UNDEFINED,
        JsValue::NULL,
        js("{}"),
        js(r#"{"cpus":null,"argv":null}"#),
    ] {
        let o = RunOptions::from_js(&absent).unwrap();
        assert!(o.argv.is_none() && o.flags.is_none() && o.cpus.is_none() && o.real.is_none());
        assert!(o.patterns.is_empty() && o.cwd.is_empty() && o.label.is_none());
    }
    let err = |v: JsValue| message(RunOptions::from_js(&v).err().unwrap());
    assert_eq!(
        err(js(r#"{"cpus":"2"}"#)),
        "invalid type: `cpus` must be a whole number"
    );
    assert_eq!(
        err(js(r#"{"cpus":1.5}"#)),
        "invalid type: `cpus` must be a whole number"
    );
    assert_eq!(
        err(js(r#"{"cpus":-1}"#)),
        "invalid type: `cpus` must be a whole number"
    );
    assert_eq!(
        err(js(r#"{"argv":["go",1]}"#)),
        "invalid type: `argv` must be an array of strings"
    );
    assert_eq!(
        err(js(r#"{"argv":"go build"}"#)),
        "invalid type: `argv` must be an array of strings"
    );
    assert_eq!(
        err(js(r#"{"flags":{"x":1}}"#)),
        "invalid type: `x` must be a boolean"
    );
    assert_eq!(
        err(js(r#"{"label":3}"#)),
        "invalid type: `label` must be a string"
    );
    assert_eq!(
        err(js(r#""-x""#)),
        "invalid type: `options` must be an object"
    );

    let p = PlanOptions::from_js(&js(r#"{"patterns":["./a","b"],"cwd":"x"}"#)).unwrap();
    assert_eq!(
        (p.patterns, p.cwd.as_str()),
        (vec!["./a".to_string(), "b".into()], "x")
    );
    assert!(PlanOptions::from_js(&JsValue::UNDEFINED)
        .unwrap()
        .patterns
        .is_empty());
    assert!(
        BuildOptions::from_js(&js(r#"{"force":true}"#))
            .unwrap()
            .force
    );
    assert!(!BuildOptions::from_js(&JsValue::NULL).unwrap().force);
    assert!(BuildOptions::from_js(&js(r#"{"force":"yes"}"#)).is_err());

    let files = FileIn::list_from_js(&js(r#"[{"path":"go.mod","text":"module m\n"}]"#)).unwrap();
    assert_eq!(
        (files[0].path.as_str(), files[0].text.as_str()),
        ("go.mod", "module m\n")
    );
    let files_err = |s: &str| message(FileIn::list_from_js(&js(s)).err().unwrap());
    assert_eq!(files_err(r#"[{"path":"go.mod"}]"#), "missing field `text`");
    assert_eq!(
        files_err(r#"[{"path":"a","text":1}]"#),
        "invalid type: `text` must be a string"
    );
    assert_eq!(
        files_err(r#"{"path":"a"}"#),
        "invalid type: the files must be an array"
    );

    let visit = |s: &str| VisitRecord::from_js(&js(s));
    assert_eq!(
        visit(r#"{"digest":"ab","visits":2}"#),
        Some(VisitRecord {
            digest: "ab".into(),
            visits: 2
        })
    );
    assert_eq!(visit(r#"{"digest":"ab"}"#), None);
    assert_eq!(visit(r#"{"digest":"ab","visits":-1}"#), None);
    assert_eq!(visit(r#"{"visits":1}"#), None);
}
