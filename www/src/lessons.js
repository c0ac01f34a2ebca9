// The lesson panel: the list of lessons, and the current lesson's step — its text, the commands
// of its experiment, the button that runs them, and its questions with an answer input each. It
// renders what main.js gives it and reports intents back (open a lesson, go to a step, run the
// experiment, check an answer); it checks nothing itself — main.js asks the engine, which checks
// the answer against the build that just ran. Lesson text is shown as text (`backticks` as code).
import { h } from "./dom.js";

/** Paragraph text with `backticks` shown as code, as text nodes only. */
function prose(text) {
  return text.split("`").map((part, i) => (i % 2 ? h("code", { text: part }) : part));
}

export function createLessonPanel(root, handlers) {
  let index = [];
  let cur = null; // { lesson, step, ran, questions, busy }
  const feedback = new Map(); // question index -> element

  function list() {
    return h("nav", { class: "lesson-list", "aria-labelledby": "lessons-h" },
      h("h2", { id: "lessons-h", text: "Lessons" }),
      h("ol", null, index.map((l) => h("li", { class: cur && cur.lesson.id === l.id ? "current" : null },
        l.error
          ? h("div", { class: "lesson-broken" }, h("strong", { text: l.id }), h("div", { class: "hint", text: l.error }))
          : h("button", { type: "button", class: "lesson-link", "aria-current": cur && cur.lesson.id === l.id ? "true" : null, dataset: { lesson: l.id }, on: { click: () => handlers.onOpen(l.id) } },
            h("span", { class: "lesson-title", text: l.title }), h("span", { class: "hint", text: l.summary }))))));
  }

  function answerInput(q, i) {
    const name = `answer-${i}`;
    switch (q.kind) {
      case "number":
        return h("input", { type: "number", class: "answer", name, inputmode: "numeric", "aria-label": "Your answer (a number)" });
      case "yes-no":
        return h("span", { class: "choices", role: "radiogroup", "aria-label": "Your answer" },
          ["yes", "no"].map((v) => h("label", null, h("input", { type: "radio", name, value: v }), ` ${v}`)));
      case "text":
        return h("span", { class: "choices", role: "radiogroup", "aria-label": "Your answer" },
          q.choices.map((v) => h("label", null, h("input", { type: "radio", name, value: v }), " ", h("code", { text: v }))));
      default:
        return q.choices.length
          ? h("span", { class: "choices", role: "group", "aria-label": "Your answer: tick every one that applies" },
            q.choices.map((v) => h("label", null, h("input", { type: "checkbox", name, value: v }), " ", h("code", { text: v }))))
          : h("input", { type: "text", class: "answer wide", name, spellcheck: "false", placeholder: "comma-separated, e.g. file a/a.go, import example.com/m/b", "aria-label": "Your answer (a comma-separated list)" });
    }
  }

  /** The value of question `i`'s input, as the engine reads it. */
  function answerOf(q, form) {
    const name = `answer-${q}`;
    const els = [...form.querySelectorAll(`[name="${name}"]`)];
    if (els.length === 1 && els[0].type !== "checkbox" && els[0].type !== "radio") {
      // The feedback prints an empty set as "none"; typed back, it means the empty set.
      const v = els[0].value;
      return els[0].classList.contains("wide") && v.trim().toLowerCase() === "none" ? "" : v;
    }
    if (els.some((e) => e.type === "checkbox")) return els.filter((e) => e.checked).map((e) => e.value);
    const on = els.find((e) => e.checked);
    return on ? on.value : "";
  }

  function question(q, i) {
    const fb = h("p", { class: "feedback", role: "status", "aria-live": "polite" });
    feedback.set(i, fb);
    const form = h("form", { class: "question", dataset: { q: String(i) }, on: {
      submit: (e) => {
        e.preventDefault();
        handlers.onCheck(i, answerOf(i, e.currentTarget));
      },
    } },
    h("p", { class: "ask" }, h("strong", { text: `Q${i + 1}. ` }), prose(q.ask)),
    h("div", { class: "answer-row" }, answerInput(q, i),
      h("button", { type: "submit", class: "check", disabled: !cur.ran || cur.busy, title: cur.ran ? "Check your answer against the build that just ran" : "Run the experiment first" }, "Check")),
    fb);
    return form;
  }

  function stepView() {
    if (!cur) return h("article", { class: "lesson" }, h("p", { class: "empty", text: "Pick a lesson. Each step runs an experiment with one click and asks what you saw." }));
    const { lesson, step } = cur;
    const s = lesson.steps[step];
    feedback.clear();
    const nav = (label, to, disabled) => h("button", { type: "button", class: "ghost small", disabled, on: { click: () => handlers.onStep(to) } }, label);
    return h("article", { class: "lesson", "aria-labelledby": "lesson-h" },
      h("div", { class: "lesson-head" },
        h("h2", { id: "lesson-h", text: lesson.title }),
        h("div", { class: "stepnav" },
          nav("← Previous", step - 1, step === 0),
          h("span", { class: "hint", id: "step-of", text: `Step ${step + 1} of ${lesson.steps.length}` }),
          nav("Next →", step + 1, step + 1 >= lesson.steps.length))),
      h("h3", { class: "step-title", text: s.title }),
      s.text.map((p) => h("p", { class: "step-text" }, prose(p))),
      h("div", { class: "experiment" },
        h("button", { type: "button", id: "lesson-run", class: "primary", disabled: cur.busy, on: { click: () => handlers.onRun() } }, cur.busy ? "Running…" : s.button),
        h("ol", { class: "exp-cmds", "aria-label": "What the button runs" }, s.run.map((c) => h("li", null, h("code", { text: c }))))),
      h("div", { class: "questions" }, (cur.questions || s.questions).map(question)));
  }

  function render() {
    root.replaceChildren(list(), stepView());
  }

  return {
    setIndex(lessons) {
      index = lessons;
      render();
    },
    show(view) {
      cur = view;
      render();
    },
    feedback(i, v) {
      const el = feedback.get(i);
      if (!el) return;
      el.className = `feedback ${v.error ? "bad" : v.correct ? "good" : "bad"}`;
      el.dataset.correct = v.error ? "error" : String(v.correct);
      if (v.error) el.replaceChildren(v.error);
      else el.replaceChildren(h("strong", { text: v.correct ? "Right. " : "Not quite. " }), `The build shows: `, h("code", { text: v.observed }), ". ", prose(v.explain));
    },
  };
}
