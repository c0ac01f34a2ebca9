// Issue 9's acceptance journey over every lesson: open each lesson in lessons/*.json from the
// page's own list, run every step's one-click experiment, and answer every question with what
// the build shows. Nothing is hard-coded: the journey first gives a probe answer, reads the
// measured value the page reveals in its feedback ("The build shows: …"), answers that, and
// asserts the check passes. One page is shared by all lessons; each run has a bounded wait.
// A screenshot per lesson: tests/output/lesson-NN-name.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startHelper, launch, openPage, screenshotPath } from "./lib.mjs";

const LESSONS = readdirSync(join(ROOT, "lessons")).filter((f) => /^\d\d-[a-z0-9-]+\.json$/.test(f)).sort().map((f) => f.replace(/\.json$/, ""));
const RUN_TIMEOUT = 45000; // one step's experiment (a few simulated builds)

let helper;
let base;
before(async () => {
  helper = await startHelper();
  base = helper.url.replace(/#.*$/, "");
});
after(() => helper?.stop());

/** What kind of input question `q` offers: radio (yes/no, a choice), checkbox (a set), number or text. */
const inputKind = (page, form) => page.$eval(form, (f) => (f.querySelector('input[type="radio"]') ? "radio"
  : f.querySelector('input[type="checkbox"]') ? "checkbox"
    : f.querySelector('input[type="number"]') ? "number" : "text"));

/** Puts `value` (a string; for checkboxes an array) in the question's input and checks it. */
async function submit(page, form, kind, value) {
  // A fresh verdict: the feedback is cleared so that waiting for it waits for this answer.
  await page.$eval(`${form} .feedback`, (el) => { delete el.dataset.correct; el.textContent = ""; });
  if (kind === "radio") await page.check(`${form} input[value="${value}"]`);
  else if (kind === "checkbox") {
    for (const box of await page.$$(`${form} input[type="checkbox"]`)) {
      if (value.includes(await box.getAttribute("value"))) await box.check();
      else await box.uncheck();
    }
  } else await page.fill(`${form} input`, String(value));
  await page.click(`${form} button.check`);
  await page.waitForFunction((f) => document.querySelector(`${f} .feedback`)?.dataset.correct, form, { timeout: 5000 });
  return page.$eval(`${form} .feedback`, (el) => ({ correct: el.dataset.correct, text: el.textContent, observed: el.querySelector("code")?.textContent }));
}

test("every lesson: each step's one-click experiment runs and each answer the build shows is checked right", async () => {
  assert.ok(LESSONS.length >= 14, `${LESSONS.length} lessons`);
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, `${base}#lesson=${LESSONS[0]}&step=1`);
    await page.setViewportSize({ width: 1280, height: 900 });
    const listed = await page.$$eval(".lesson-list .lesson-link", (els) => els.map((e) => e.dataset.lesson));
    assert.deepEqual(listed, LESSONS, "the page lists every lesson file, in order");
    assert.equal(await page.$$eval(".lesson-broken", (els) => els.length), 0, "no lesson fails to parse");

    for (const id of LESSONS) {
      await page.click(`.lesson-link[data-lesson="${id}"]`);
      await page.waitForFunction((id) => document.body.dataset.lesson === id && document.body.dataset.step === "1", id, { timeout: 5000 });
      const steps = Number((await page.textContent("#step-of")).match(/of (\d+)/)[1]);
      assert.ok(steps >= 1, `${id}: ${steps} steps`);
      for (let s = 1; s <= steps; s++) {
        if (s > 1) {
          await page.click("text=Next →");
          await page.waitForFunction((s) => document.body.dataset.step === String(s), s, { timeout: 5000 });
        }
        assert.equal(await page.textContent("#step-of"), `Step ${s} of ${steps}`);
        const where = `${id} step ${s}`;
        const t0 = Date.now();
        await page.click("#lesson-run");
        await page.waitForFunction((tag) => document.body.dataset.lessonRan === tag && document.body.dataset.building !== "true", `${id}/${s}`, { timeout: RUN_TIMEOUT });
        if (process.env.LESSON_TIMING) console.log(`${where}: ${Date.now() - t0} ms`);
        assert.doesNotMatch(await page.textContent("#status"), /could not run/, where);
        const questions = await page.$$eval("form.question", (els) => els.map((e) => e.dataset.q));
        assert.ok(questions.length > 0, `${where}: has questions`);
        for (const q of questions) {
          const form = `form.question[data-q="${q}"]`;
          const kind = await inputKind(page, form);
          // A probe answer the page can read (so it reveals what the build measured).
          const probe = kind === "radio" ? await page.$eval(`${form} input[type="radio"]`, (e) => e.value)
            : kind === "checkbox" ? [] : kind === "number" ? "-1" : "probe";
          const first = await submit(page, form, kind, probe);
          assert.notEqual(first.correct, "error", `${where} Q${Number(q) + 1}: ${first.text}`);
          const observed = first.observed;
          assert.ok(observed !== undefined, `${where} Q${Number(q) + 1}: the feedback shows the measured value: ${first.text}`);
          assert.match(first.text, /The build shows: /);
          const value = kind === "checkbox" ? (observed === "none" ? [] : observed.split(", "))
            : observed; // typed back as shown ("none" is the empty set)
          const verdict = await submit(page, form, kind, value);
          assert.equal(verdict.correct, "true", `${where} Q${Number(q) + 1}: answering ${JSON.stringify(value)} → ${verdict.text}`);
          assert.match(verdict.text, /^Right\. The build shows: /);
        }
        if (s === steps) await page.screenshot({ path: screenshotPath(`lesson-${id}`), fullPage: true });
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
