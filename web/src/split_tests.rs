//! The hand-off between the page's two wasm modules (`Lab::handoff` in the first-load module,
//! `Lab::adopt` in the full one), run in headless Chromium like `tests.rs`. Both sides are this
//! crate's `Lab`: the test build has every feature, and `handoff` is the same code in both.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh_lab(name: &str) -> crate::Lab {
    idb::Factory::new()
        .unwrap()
        .delete(name)
        .unwrap()
        .await
        .unwrap();
    crate::Lab::opened(Some(name.to_string())).await
}

/// A Lab over a new database, with the hello sample loaded.
async fn hello_lab(name: &str) -> crate::Lab {
    let lab = fresh_lab(name).await;
    lab.load_txtar(buildlab_core::sample::HELLO_TXTAR)
        .ok()
        .unwrap();
    lab
}

fn get(v: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(v.clone(), |v, k| {
        js_sys::Reflect::get(&v, &JsValue::from_str(k)).unwrap()
    })
}

async fn build(lab: &crate::Lab, label: &str) -> JsValue {
    let opts = js_sys::JSON::parse(&format!(
        r#"{{"argv":["go","build","-x","."],"cpus":2,"label":"{label}"}}"#
    ))
    .unwrap();
    let run = wasm_bindgen_futures::JsFuture::from(lab.build(opts, None, None))
        .await
        .unwrap();
    assert_eq!(get(&run, &["exitCode"]).as_f64(), Some(0.0));
    run
}

#[wasm_bindgen_test]
async fn a_session_handed_off_keeps_its_workspace_builds_and_last_trace() {
    let first = hello_lab("buildlab-test-handoff").await;
    build(&first, "cold").await;
    build(&first, "warm").await;

    let full = crate::Lab::opened(Some("buildlab-test-handoff".to_string())).await;
    full.adopt(first.handoff().ok().unwrap()).ok().unwrap();
    assert_eq!(full.workspace_txtar(), first.workspace_txtar());
    // Every field of every trace crosses exactly (JS numbers are f64s).
    assert!(
        full.session.borrow().history == first.session.borrow().history,
        "the history differs"
    );
    assert_eq!(full.session.borrow().history.len(), 2);
    // The lines the first module's last build hashed, which the graph's detail shows after the
    // switch: the main package's and a standard one's, as the first module answers them.
    for pkg in ["example.com/hello", "fmt"] {
        let want = first.action_inputs(pkg);
        assert!(js_sys::Array::is_array(&want), "{pkg}: no inputs");
        assert_eq!(
            js_sys::JSON::stringify(&full.action_inputs(pkg)).unwrap(),
            js_sys::JSON::stringify(&want).unwrap(),
            "{pkg}"
        );
    }
    assert!(full.action_inputs("example.com/nothere").is_null());

    // The builds are the history a share link carries.
    let share =
        js_sys::JSON::parse(r#"{"argv":["go","build","."],"toolchain":"simulated"}"#).unwrap();
    let token = full.share_link(share).ok().unwrap();
    let opened = full.open_shared(&token).ok().unwrap();
    let labels: Vec<String> = (0..2)
        .map(|i| {
            get(&opened, &["builds", &i.to_string(), "label"])
                .as_string()
                .unwrap()
        })
        .collect();
    assert_eq!(labels, ["cold", "warm"]);

    // The last build is the last build's trace, with its plan: it exports in both formats.
    let other = crate::Lab::opened(Some("buildlab-test-handoff".to_string())).await;
    other.adopt(first.handoff().ok().unwrap()).ok().unwrap();
    let graph = other.export_trace("actiongraph").ok().unwrap();
    assert!(graph.contains("\"Mode\": \"link\""), "{graph}");
    assert!(other
        .export_trace("chrome")
        .ok()
        .unwrap()
        .contains("Executing action (build example.com/hello)"));

    // And the cache is IndexedDB's: the full module's next build of the same files is all hits.
    let run = build(&full, "again").await;
    assert_eq!(get(&run, &["misses"]).as_f64(), Some(0.0));
    // Its own report answers from then on: the same lines for the same files.
    assert_eq!(
        js_sys::JSON::stringify(&full.action_inputs("example.com/hello")).unwrap(),
        js_sys::JSON::stringify(&first.action_inputs("example.com/hello")).unwrap()
    );
}

#[wasm_bindgen_test]
async fn a_workspace_beyond_a_share_links_caps_moves_over_and_its_link_is_refused() {
    let first = fresh_lab("buildlab-test-handoff-big").await;
    let mut txtar = String::from("-- go.mod --\nmodule example.com/big\n\ngo 1.23\n");
    for i in 0..buildlab_core::share::MAX_FILES {
        txtar.push_str(&format!("-- p{i}.go --\npackage main\n"));
    }
    first.load_txtar(&txtar).ok().unwrap();
    // A file that is not UTF-8 crosses as its bytes.
    let mut ws = first.session.borrow().workspace().clone();
    ws.insert("data.bin", vec![0xff, 0x00, 0xfe]).unwrap();
    first.session.borrow_mut().load(ws);
    let full = crate::Lab::opened(Some("buildlab-test-handoff-big".to_string())).await;
    full.adopt(first.handoff().ok().unwrap()).ok().unwrap();
    assert!(full.session.borrow().workspace() == first.session.borrow().workspace());
    assert_eq!(
        full.session.borrow().workspace().get("data.bin"),
        Some(&[0xff, 0x00, 0xfe][..])
    );
    let share = js_sys::JSON::parse(r#"{"argv":["go","build","."]}"#).unwrap();
    let e = full.share_link(share).expect_err("refused");
    let msg = get(&JsValue::from(e), &["message"]).as_string().unwrap();
    assert!(msg.starts_with("cannot share: "), "{msg}");
    assert!(msg.contains("2000"), "{msg}");
}

#[wasm_bindgen_test]
async fn a_handoff_that_is_not_one_is_refused_and_changes_nothing() {
    let full = hello_lab("buildlab-test-handoff-bad").await;
    let before = full.workspace_txtar();
    for (bad, says) in [
        ("null", "`files` must be an array"),
        (
            r#"{"files":[{"path":"a.go","text":"package a"}]}"#,
            "`bytes` must be a Uint8Array",
        ),
        (
            r#"{"files":[],"builds":[{"label":"x"}]}"#,
            "missing field `origin`",
        ),
        (
            r#"{"files":[],"inputs":[{"lines":[]}]}"#,
            "missing field `key`",
        ),
    ] {
        let e = full
            .adopt(js_sys::JSON::parse(bad).unwrap())
            .expect_err(bad);
        let msg = get(&JsValue::from(e), &["message"]).as_string().unwrap();
        assert!(msg.contains(says), "{bad}: {msg}");
    }
    // A trace word the DTOs never write.
    let first = hello_lab("buildlab-test-handoff-bad-2").await;
    build(&first, "cold").await;
    let h = first.handoff().ok().unwrap();
    let action = get(&h, &["builds", "0", "trace", "actions", "0"]);
    js_sys::Reflect::set(&action, &"kind".into(), &"teleport".into()).unwrap();
    let e = full.adopt(h).expect_err("unknown kind");
    let msg = get(&JsValue::from(e), &["message"]).as_string().unwrap();
    assert_eq!(msg, "invalid hand-off: unknown kind `teleport`");
    assert_eq!(full.workspace_txtar(), before);
    assert!(full.session.borrow().history.is_empty());
}
