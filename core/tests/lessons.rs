//! Every lesson in `lessons/` parses and validates, and every question's expected answer is what
//! the model shows: each step's experiment runs through `build::simulate` ([`Lab`]) and each
//! check is measured on the real result. A lesson cannot claim what the model does not do.
//!
//! `LESSON_DEBUG=1 cargo test -p buildlab-core --test lessons -- --nocapture` prints every
//! measurement and transcript, for authors.

use std::path::PathBuf;

use buildlab_core::lesson::{self, check, measure, Answer, Lab, Lesson};

fn lesson_files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn parse_all() -> Vec<Lesson> {
    lesson_files()
        .iter()
        .map(|(stem, text)| {
            lesson::parse(stem, text).unwrap_or_else(|errs| {
                let list: Vec<String> = errs.iter().map(|e| format!("  {e}")).collect();
                panic!("lessons/{stem}.json:\n{}", list.join("\n"))
            })
        })
        .collect()
}

#[test]
fn every_lesson_parses_and_validates() {
    let lessons = parse_all();
    assert!(lessons.len() >= 14, "{} lessons", lessons.len());
    // Numbered, without gaps or repeats: the order of the lesson list.
    for (i, l) in lessons.iter().enumerate() {
        assert!(
            l.id.starts_with(&format!("{:02}-", i + 1)),
            "{} out of order",
            l.id
        );
    }
}

#[test]
fn every_experiment_runs_and_every_check_holds() {
    let debug = std::env::var_os("LESSON_DEBUG").is_some();
    let mut failures = Vec::new();
    for l in parse_all() {
        // One lab per lesson, as one page: state carries over between steps, and each step
        // must still hold (every experiment starts by opening its workspace).
        let mut lab = Lab::default();
        for (i, step) in l.steps.iter().enumerate() {
            let builds = match lab.run(&l, step) {
                Ok(b) => b,
                Err(e) => {
                    failures.push(format!("{} step {i}: {e}", l.id));
                    continue;
                }
            };
            if debug {
                for (label, r) in &builds {
                    println!(
                        "== {} step {i} build {label:?}: wall {:.1} ms, compiled {:?}\n{}",
                        l.id,
                        r.wall_ms,
                        r.report.compiled(),
                        r.transcript.text()
                    );
                }
            }
            let obs = lab.observed(&builds);
            for (k, q) in step.questions.iter().enumerate() {
                match measure(&q.check, &obs) {
                    Ok(got) => {
                        if debug {
                            println!("-- {} step {i} q{k}: {:?} -> {got}", l.id, q.check);
                        }
                        if got != q.expect {
                            failures.push(format!(
                                "{} step {i} question {k} ({:?}): expected {}, the model shows {}",
                                l.id, q.ask, q.expect, got
                            ));
                        }
                        // The learner who answers what the build shows is told so.
                        let v = check(q, &obs, got.clone()).unwrap();
                        assert!(v.correct);
                    }
                    Err(e) => failures.push(format!("{} step {i} question {k}: {e}", l.id)),
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_wrong_answer_is_told_what_the_build_showed() {
    let lessons = parse_all();
    let l = &lessons[0];
    let step = l.steps.iter().find(|s| !s.questions.is_empty()).unwrap();
    let mut lab = Lab::default();
    let builds = lab.run(l, step).unwrap();
    let obs = lab.observed(&builds);
    let q = &step.questions[0];
    let wrong = match &q.expect {
        Answer::Number(n) => Answer::Number(n + 1),
        Answer::YesNo(b) => Answer::YesNo(!b),
        Answer::Text(_) => Answer::Text("something else".into()),
        Answer::Set(v) => Answer::Set(v.iter().skip(1).cloned().collect()),
    };
    let v = check(q, &obs, wrong).unwrap();
    assert!(!v.correct);
    assert_eq!(v.observed, q.expect);
}

#[test]
fn broken_lessons_are_refused_with_located_errors() {
    let newer = r#"{"format": 7, "id": "x"}"#;
    let e = lesson::parse("x", newer).unwrap_err();
    assert_eq!(
        e[0].to_string(),
        "format: this lesson was written for a newer Buildlab (format 7); this page reads format 1"
    );
    let bad = r#"{
      "format": 1, "id": "09-bad", "title": "t", "summary": "s",
      "workspaces": {"w": {"sample": "hello"}},
      "steps": [{
        "title": "s", "text": ["p"], "button": "b",
        "run": [{"do": "build", "flags": ["-v"]}],
        "questions": [{"ask": "?", "check": {"kind": "faster", "build": "cold", "than": "warm"},
                       "expect": 3, "explain": "e"}]
      }]
    }"#;
    let errs: Vec<String> = lesson::parse("09-bad", bad)
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        errs,
        [
            "steps[0].questions[0].check: no build labelled \"cold\" in this step",
            "steps[0].questions[0].check: no build labelled \"warm\" in this step",
            "steps[0].questions[0].expect: must be a yes/no (true or false) answer",
            "steps[0].run[0]: an experiment starts with `open`, so one click reproduces it",
            "steps[0].run[0]: unknown flag \"-v\": use -x, -n, -a, -work, and `p` for -p",
        ]
    );
}
