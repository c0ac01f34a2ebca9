//! Share links ([`buildlab_core::share`]): round trips (workspace bytes exact, traces up to the
//! microsecond rounding), hostile input (proptest over arbitrary bytes and strings: never a
//! panic, never more memory than the caps allow), the corpus under `tests/share-corpus/`, and a
//! link made by format 1 that must keep opening.
//!
//! `UPDATE_SHARE_CORPUS=1` rewrites `ok-v1-shop-cold-warm.txt` (only when the format is meant to
//! change — old links must keep working, so normally never).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;

use buildlab_core::lesson::{self, Lab};
use buildlab_core::share::{
    self, decode, encode, quantize, Runner, ShareError, Shared, SharedBuild, ToolchainChoice,
    MAX_PAYLOAD_BYTES,
};
use buildlab_core::workspace::Workspace;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Peak allocation per thread, to hold the decoder to its caps
// ---------------------------------------------------------------------------------------------

struct Counting;
thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|c| {
            c.set(c.get() + l.size());
            let _ = PEAK.try_with(|p| p.set(p.get().max(c.get())));
        });
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        let _ = LIVE.try_with(|c| c.set(c.get().saturating_sub(l.size())));
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

/// Decodes and returns the result with the peak of memory allocated above the start.
fn decode_measured(token: &str) -> (Result<Shared, ShareError>, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = decode(token);
    (r, PEAK.with(Cell::get) - base)
}

/// What one decode may allocate: the compressed bytes, the payload, and its parse.
const MEMORY_BUDGET: usize = 16 * MAX_PAYLOAD_BYTES;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const SHOP: &str = include_str!("../../lessons/04-cache.json");

fn shop_lesson() -> lesson::Lesson {
    lesson::parse("04-cache", SHOP).unwrap()
}

/// The shop module, built cold then warm, as a page would share it.
fn shop_shared() -> Shared {
    let l = shop_lesson();
    let mut lab = Lab::default();
    let builds = lab.run(&l, &l.steps[0]).unwrap();
    Shared {
        title: "cold vs warm".into(),
        workspace: lab.ws.clone(),
        cwd: String::new(),
        argv: vec!["go".into(), "build".into(), ".".into()],
        toolchain: ToolchainChoice::default(),
        cpus: 2,
        builds: builds
            .into_iter()
            .map(|(label, r)| SharedBuild {
                label,
                trace: r.trace,
            })
            .collect(),
    }
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/share-corpus")
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

#[test]
fn a_build_round_trips_and_the_link_is_short() {
    let s = shop_shared();
    let token = encode(&s);
    assert!(token.starts_with("1."));
    assert!(token[2..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let back = decode(&token).unwrap();
    let mut want = s.clone();
    for b in &mut want.builds {
        quantize(&mut b.trace);
    }
    assert_eq!(back, want);
    // Two builds of a 55-package module in a URL that chat apps still accept.
    assert!(token.len() < 12_000, "token is {} chars", token.len());
    // Accepted with the fragment's key in front too.
    assert_eq!(decode(&format!("#share={token}")).unwrap(), want);
}

#[test]
fn a_link_made_by_format_1_still_opens() {
    let path = corpus_dir().join("ok-v1-shop-cold-warm.txt");
    if std::env::var_os("UPDATE_SHARE_CORPUS").is_some() {
        std::fs::write(&path, encode(&shop_shared()) + "\n").unwrap();
    }
    let s = decode(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(s.title, "cold vs warm");
    assert_eq!(s.argv, ["go", "build", "."]);
    assert_eq!(s.toolchain.runner, Runner::Simulated);
    assert_eq!(s.cpus, 2);
    assert!(s.workspace.get("price/price.go").is_some());
    let labels: Vec<&str> = s.builds.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["cold", "warm"]);
    assert_eq!(s.builds[0].trace.build_packages().len(), 55);
}

/// Every file in the corpus decodes without a panic: `ok-*` files open, the others are
/// refused, each with the error its name announces (`err-KIND-…`).
#[test]
fn the_corpus_decodes_as_its_names_say() {
    let mut n = 0;
    for e in std::fs::read_dir(corpus_dir()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
        let (r, peak) = decode_measured(&text);
        assert!(peak <= MEMORY_BUDGET, "{name}: {peak} bytes");
        n += 1;
        match (name.strip_prefix("ok-"), name.strip_prefix("err-"), r) {
            (Some(_), _, Ok(_)) => {}
            (_, Some(rest), Err(e)) => {
                let kind = rest.split('-').next().unwrap();
                let got = format!("{e:?}").to_lowercase();
                assert!(got.starts_with(kind), "{name}: {e:?} ({e})");
                assert!(!e.to_string().is_empty());
            }
            (_, _, r) => panic!("{name}: {r:?}"),
        }
    }
    assert!(n >= 8, "{n} corpus files");
}

#[test]
fn hostile_links_are_refused_with_their_reason() {
    let raw = |json: &str| {
        let mut t = String::from("1.");
        share::base64url_encode(&miniz_oxide_compress(json.as_bytes()), &mut t);
        t
    };
    // A decompression bomb: a few kilobytes that inflate past the cap.
    let bomb = vec![b' '; MAX_PAYLOAD_BYTES + 1];
    let (r, peak) = decode_measured(&raw(std::str::from_utf8(&bomb).unwrap()));
    assert_eq!(
        r.unwrap_err(),
        ShareError::TooBig {
            max: MAX_PAYLOAD_BYTES
        }
    );
    assert!(peak <= MEMORY_BUDGET);
    let too_long = "1.".to_string() + &"A".repeat(share::MAX_TOKEN_CHARS + 1);
    assert!(matches!(decode(&too_long), Err(ShareError::TooLong { .. })));
    let base = r#"{"txtar":"-- go.mod --\nmodule m\n","argv":[],"toolchain":{"runner":"simulated","goos":"linux","goarch":"amd64","cgo":true},"cpus":2"#;
    for (extra, want) in [
        ("", None),
        (
            r#","raw":[["../etc/passwd","x"]]"#,
            Some("not a clean relative path"),
        ),
        (
            r#","raw":[["/abs","x"]]"#,
            Some("not a clean relative path"),
        ),
        (r#","raw":[["go.mod","x"]]"#, Some("appears twice")),
        (r#","noeol":["nope"]"#, Some("noeol names a file")),
        (r#","cwd":"a/../..""#, Some("not a clean relative path")),
        (
            r#","builds":[{"label":"x","trace":{"v":2,"origin":"simulated","root":"","lanes":1,"end":0,"do":[0,0],"strings":[],"actions":[]}}]"#,
            Some("trace encoding 2"),
        ),
        (
            r#","builds":[{"label":"x","trace":{"v":1,"origin":"simulated","root":"","lanes":1,"end":0,"do":[0,0],"strings":[""],"actions":[[0,0,0,[7],0,-1,0,0,0,0,0,[]]]}}]"#,
            Some("dependency out of range"),
        ),
        (
            r#","builds":[{"label":"x","trace":{"v":1,"origin":"simulated","root":"","lanes":1,"end":0,"do":[0,0],"strings":[""],"actions":[[0,0,0,[],0,-1,0,0,0,0,9,[]]]}}]"#,
            Some("string index"),
        ),
        (
            r#","builds":[{"label":"x","trace":{"v":1,"origin":"simulated","root":"","lanes":1,"end":0,"do":[0,0],"strings":[""],"actions":[[0,0,0,[],0,-1,0,0,42,0,0,[]]]}}]"#,
            Some("unknown kind"),
        ),
    ] {
        let r = decode(&raw(&format!("{base}{extra}}}")));
        match want {
            None => assert!(r.is_ok(), "{r:?}"),
            Some(w) => {
                let e = r.unwrap_err().to_string();
                assert!(e.contains(w), "{extra}: {e}");
            }
        }
    }
    let cpus = decode(&raw(&(base.replace("\"cpus\":2", "\"cpus\":0") + "}")));
    assert!(cpus.unwrap_err().to_string().contains("CPU count"));
    assert!(matches!(
        decode("1.!!!!"),
        Err(ShareError::BadCharacter { at: 0 })
    ));
    assert!(matches!(decode("1.AAAA"), Err(ShareError::Corrupt)));
}

fn miniz_oxide_compress(data: &[u8]) -> Vec<u8> {
    // The same compressor as `encode`, reached through a round trip of the public API would
    // validate; hostile payloads need the raw one.
    miniz_oxide::deflate::compress_to_vec(data, 9)
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn path_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zA-Z0-9_.-]{1,6}( ?[a-z-]{0,3})?", 1..4).prop_filter_map(
        "clean",
        |parts| {
            let p = parts.join("/");
            (buildlab_core::workspace::normalize(&p).as_deref() == Some(p.as_str())).then_some(p)
        },
    )
}

fn content_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Text with the lines txtar cares about.
        prop::collection::vec(
            prop_oneof![
                "[ -~]{0,12}",
                Just("-- x --".to_string()),
                Just("\r".to_string()),
                Just("".to_string())
            ],
            0..6
        )
        .prop_map(|ls| ls.join("\n").into_bytes()),
        prop::collection::vec(any::<u8>(), 0..40),
        "\\PC{0,30}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_workspace_round_trips_exactly(
        files in prop::collection::btree_map(path_strategy(), content_strategy(), 0..8),
        argv in prop::collection::vec("\\PC{0,10}", 0..5),
        title in "\\PC{0,20}",
        cpus in 1usize..=256,
        real in any::<bool>(),
    ) {
        let mut ws = Workspace::new();
        for (p, d) in &files {
            ws.insert(p, d.clone()).unwrap();
        }
        let s = Shared {
            title,
            workspace: ws,
            cwd: String::new(),
            argv,
            toolchain: ToolchainChoice { runner: if real { Runner::Real } else { Runner::Simulated }, ..ToolchainChoice::default() },
            cpus,
            builds: Vec::new(),
        };
        prop_assert_eq!(decode(&encode(&s)).unwrap(), s);
    }

    #[test]
    fn arbitrary_bytes_never_panic_nor_blow_up(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        // As a token, and as a compressed payload behind a valid header.
        let (_, peak) = decode_measured(&String::from_utf8_lossy(&data));
        prop_assert!(peak <= MEMORY_BUDGET);
        let mut t = String::from("1.");
        share::base64url_encode(&data, &mut t);
        let (_, peak) = decode_measured(&t);
        prop_assert!(peak <= MEMORY_BUDGET);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,300}", prefix in prop_oneof![Just(""), Just("1."), Just("2."), Just("#share=1.")]) {
        let _ = decode(&format!("{prefix}{s}"));
    }

    #[test]
    fn arbitrary_json_payloads_are_validated_not_trusted(json in "\\{(\"[a-z]{1,6}\":(\\[[0-9,\\[\\]\"a-z./]{0,40}\\]|[0-9]{1,4}|\"[a-z./-]{0,10}\"|true),?){0,8}\\}") {
        let mut t = String::from("1.");
        share::base64url_encode(&miniz_oxide_compress(json.as_bytes()), &mut t);
        let _ = decode(&t);
    }

    #[test]
    fn a_damaged_link_is_refused_or_valid(cut in 3usize..400, flip in 0usize..400) {
        let token = encode(&shop_shared_small());
        let cut = cut.min(token.len());
        let _ = decode(&token[..cut]);
        let mut b = token.into_bytes();
        let i = 2 + flip % (b.len() - 2);
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(b).unwrap();
        if let Ok(s) = decode(&t) {
            // Whatever opens passed validation: re-encoding it opens again.
            prop_assert!(decode(&encode(&s)).is_ok());
        }
    }
}

fn shop_shared_small() -> Shared {
    thread_local!(static S: Shared = {
        let mut s = shop_shared();
        s.builds.truncate(1);
        s.builds[0].trace.actions.truncate(6);
        for a in &mut s.builds[0].trace.actions { a.deps.retain(|&d| d < 6); }
        s
    });
    S.with(Clone::clone)
}
