// Journey: the learner's edits outlive a reload. Edit hello, reload: the edits are back (and are
// what the page builds on load), with a note saying so; Revert opens the sample as shipped and
// Undo brings the edits back; reverted, a reload opens the sample as shipped. A stored record the
// page cannot read is set aside with a clear note, never thrown at. Then drafts.js on its own:
// a draft too large, and storage that refuses writes, are reported and lose nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withHelperAndBrowser, screenshotPath, openPage, pageData, ready } from "./lib.mjs";
import * as drafts from "../../www/src/drafts.js";

let helper, browser;
withHelperAndBrowser((h, b) => ([helper, browser] = [h, b]));

const MARK = "// kept across reloads";
const editorText = (page) => page.evaluate(() => document.querySelector(".cm-content").innerText);
const stored = (page) => page.evaluate(() => localStorage.getItem("buildlab.drafts"));

/** Reloads and waits for the build the page runs on load. */
async function reload(page) {
  await page.reload();
  await ready(page);
  await page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 60000 });
  await page.waitForFunction(() => document.body.dataset.building !== "true", null, { timeout: 60000 });
}

test("edits survive a reload; Revert opens the sample as shipped and Undo brings the edits back", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  await page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 60000 });
  assert.equal(await page.isHidden("#revert"), true, "nothing to revert before an edit");

  await page.click(".cm-content");
  await page.keyboard.press("Control+End");
  await page.keyboard.type(`\n${MARK}\n`);
  await page.waitForFunction((m) => (localStorage.getItem("buildlab.drafts") || "").includes(m), MARK, { timeout: 10000 });
  assert.equal(await page.isVisible("#revert"), true);

  await reload(page);
  assert.match(await editorText(page), new RegExp(MARK));
  assert.match(await page.textContent("#shared-text"), /^Your edits to hello from .+ are back\. Revert opens the sample as shipped\.$/);
  let d = await pageData(page);
  assert.equal(d.lastExit, "0", "the edited hello built on load");
  assert.equal(d.wasmModule, "full", "an edited sample is the full module's to build");
  await page.screenshot({ path: screenshotPath("drafts-restored"), fullPage: false });

  await page.click("#revert");
  assert.doesNotMatch(await editorText(page), new RegExp(MARK));
  assert.equal(await page.textContent("#shared-text"), "hello is as shipped again.");
  assert.equal(await page.isVisible("#undo-revert"), true);
  assert.equal(await page.isHidden("#revert"), true);
  assert.equal(await stored(page), null, "a reverted sample has no draft");
  await page.screenshot({ path: screenshotPath("drafts-reverted"), fullPage: false });

  // Another sample and back: the notice was about hello, and goes; hello's revert stays.
  // (The select shows diamond at once; the page opens it once its files are fetched.)
  await page.selectOption("#sample", "diamond");
  await page.waitForFunction(() => document.querySelector("#sample").value === "diamond");
  await page.waitForFunction(() => document.querySelector("#shared-note").hidden, null, { timeout: 10000 });
  await page.selectOption("#sample", "hello");
  await page.waitForFunction(() => document.querySelector("#sample").value === "hello");
  assert.doesNotMatch(await editorText(page), new RegExp(MARK));
  // Undo, from a revert just made.
  await page.click(".cm-content");
  await page.keyboard.press("Control+End");
  await page.keyboard.type(`\n${MARK}\n`);
  await page.click("#revert");
  await page.click("#undo-revert");
  assert.match(await editorText(page), new RegExp(MARK));
  assert.equal(await page.isHidden("#shared-note"), true);
  await page.waitForFunction((m) => (localStorage.getItem("buildlab.drafts") || "").includes(m), MARK, { timeout: 10000 });

  // Keyboard: Revert is a button in the tab order.
  await page.focus("#revert");
  await page.keyboard.press("Enter");
  assert.doesNotMatch(await editorText(page), new RegExp(MARK));
  await reload(page);
  assert.doesNotMatch(await editorText(page), new RegExp(MARK));
  assert.equal(await page.isHidden("#shared-note"), true, "nothing to announce");
  d = await pageData(page);
  assert.equal(d.wasmModule, "first", "hello as shipped builds on the first-load module again");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a second tab that only looked neither writes nor forgets the draft another tab wrote", async () => {
  const b = await openPage(browser, helper.url);
  await b.page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 60000 });
  const { page, errors } = await openPage(browser, helper.url);
  await page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 60000 });
  await page.click(".cm-content");
  await page.keyboard.press("Control+End");
  await page.keyboard.type(`\n${MARK}\n`);
  await page.waitForFunction((m) => (localStorage.getItem("buildlab.drafts") || "").includes(m), MARK, { timeout: 10000 });
  // The other tab, still showing hello as shipped, is hidden and closed.
  await b.page.evaluate(() => dispatchEvent(new PageTransitionEvent("pagehide")));
  await b.page.close({ runBeforeUnload: true });
  await page.waitForTimeout(300);
  assert.match(await stored(page) || "", new RegExp(MARK), "the edits' draft is still there");
  // Reverted here, so that the next test starts from hello as shipped.
  await page.click("#revert");
  assert.equal(await stored(page), null);
  assert.deepEqual([...errors, ...b.errors], []);
  await page.close();
});

test("a stored record the page cannot read is set aside with a note; the sample opens as shipped", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  await page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 60000 });
  const hostile = '{"version":1,"drafts":{"hello":{"savedAt":"soon","files":[["main.go",42]]}}}';
  await page.evaluate((t) => localStorage.setItem("buildlab.drafts", t), hostile);
  await reload(page);
  const note = await page.textContent("#shared-text");
  assert.match(note, /^Your saved edits could not be read .*kept aside as “buildlab\.drafts\.unread”/);
  assert.equal(await page.evaluate(() => document.querySelector("#shared-note").classList.contains("error")), true);
  assert.equal(await page.evaluate(() => localStorage.getItem("buildlab.drafts.unread")), hostile, "the record's text is kept");
  assert.equal(await stored(page), null);
  assert.match(await editorText(page), /fmt\.Println/);
  assert.equal((await pageData(page)).lastExit, "0");
  await page.screenshot({ path: screenshotPath("drafts-unreadable"), fullPage: false });
  assert.deepEqual(errors, []);
  await page.close();
});

/** A localStorage stand-in; `full` makes every write fail as a full quota does. */
function memoryStorage({ full = false } = {}) {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => {
      if (full) throw new DOMException("quota", "QuotaExceededError");
      m.set(k, String(v));
    },
    removeItem: (k) => m.delete(k),
    m,
  };
}

test("drafts.js: a draft too large, or storage that refuses it, is reported and nothing is lost", () => {
  const s = memoryStorage();
  const files = new Map([["main.go", "package main\n"]]);
  assert.equal(drafts.save("hello", { comment: "", files }, { storage: s, now: 7 }), null);
  assert.deepEqual(drafts.load("hello", s).draft, { savedAt: 7, comment: "", files });

  const big = new Map([["main.go", "x".repeat(drafts.MAX_DRAFT_CHARS)], ["go.mod", "module m\n"]]);
  assert.match(drafts.save("multi", { comment: "", files: big }, { storage: s }), /^Your edits to multi are 1025 KiB of text, more than the 1024 KiB a draft may keep: they stay in this tab/);
  assert.equal(drafts.load("multi", s).draft, null);
  assert.deepEqual(drafts.load("hello", s).draft.files, files, "the other draft is untouched");

  const f = memoryStorage({ full: true });
  assert.match(drafts.save("hello", { comment: "", files }, { storage: f }), /could not be kept across a reload \(this browser's storage is full or disabled\)/);

  // Records of another shape or version are not read (and are moved aside, once).
  for (const raw of ["", "null", "[]", '{"version":2,"drafts":{}}', '{"version":1,"drafts":[]}', '{"version":1,"drafts":{"a":{"savedAt":1,"comment":"","files":[["",""]]}}}']) {
    const t = memoryStorage();
    t.setItem("buildlab.drafts", raw);
    const { draft, problem } = drafts.load("a", t);
    assert.equal(draft, null, raw);
    assert.match(problem, /could not be read/, raw);
    assert.equal(t.getItem("buildlab.drafts.unread"), raw);
    assert.equal(drafts.load("a", t).problem, null, "reported once");
  }
  // Forgetting a draft leaves a record it cannot read for `load` to report; saving moves it
  // aside first and says so.
  const u = memoryStorage();
  u.setItem("buildlab.drafts", "{");
  drafts.remove("hello", u);
  assert.equal(u.getItem("buildlab.drafts"), "{");
  assert.match(drafts.save("hello", { comment: "", files }, { storage: u }), /could not be read/);
  assert.equal(u.getItem("buildlab.drafts.unread"), "{");
  assert.deepEqual(drafts.load("hello", u).draft.files, files);
  // A sample named like an object's built-in key is a draft like any other.
  const p = memoryStorage();
  assert.equal(drafts.save("__proto__", { comment: "", files }, { storage: p }), null);
  assert.deepEqual(drafts.load("__proto__", p).draft.files, files);
  assert.equal(drafts.load("toString", p).draft, null);
});
