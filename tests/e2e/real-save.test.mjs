// A real build's outputs saved after it (issue 7): while the build runs, the helper's stream
// carries each finished action's line (its archive's content ID, output ID and size) and no
// archive; the result is on screen once the last tool ends. Then the page fetches the archives
// in one request and writes each to IndexedDB together with the entries that name it, showing
// "saving N MB of outputs to the cache…". These journeys hold that request at the page's network
// layer (Playwright's routing) to look at the page mid-save:
//   - no entry of the build is in IndexedDB before its output is, and none of them is during
//     the save; once saved, every entry's output is there, as a Blob;
//   - a build started during the save waits for it (saying so) and then runs no tool;
//   - an output the helper lost before the save (deleted from its store) is left out with its
//     entry, and the next build runs exactly that action again.
// Skipped only when no Go is installed (`./dev test` installs it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { startHelper, launch, openPage, screenshotPath, pageData, afterRun, lastOutput } from "./lib.mjs";

function goInstalled() {
  const onPath = (process.env.PATH || "").split(delimiter).some((d) => d && existsSync(join(d, "go")));
  return onPath || ["/usr/lib/go-1.23/bin/go", "/usr/local/go/bin/go"].some((p) => existsSync(p));
}

const NO_GO = goInstalled() ? false : "no Go installation: the real toolchain cannot run; ./dev test installs Go 1.23";

let stores;
before(() => { stores = mkdtempSync(join(tmpdir(), "buildlab-e2e-save-")); });
after(() => rmSync(stores, { recursive: true, force: true }));

const data = pageData;

/** Clicks Build with `line` and resolves once the page took the click (not when it is done). */
async function click(page, line) {
  await page.fill("#cmdline", line);
  const n = Number((await data(page)).runs || 0);
  await page.click("#run");
  return n;
}

/** Waits for the build after run `n` to be rendered. */
const rendered = (page, n) => afterRun(page, n, 180000);


const counters = (page) => page.evaluate(async () => {
  const r = await fetch("/api/v1/info", { headers: { "X-Buildlab-Token": sessionStorage.getItem("buildlab.helperToken") } });
  return (await r.json()).counters;
});

/**
 * The real cache in IndexedDB: every entry (`actions`: key → the output ID its line names) and
 * every output (`outputs`: key → "blob" or "bytes").
 */
const idb = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open("buildlab-real");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction(["actions", "outputs"]);
    const out = { entries: {}, outputs: {} };
    const a = tx.objectStore("actions").openCursor();
    a.onsuccess = () => {
      const c = a.result;
      if (!c) return;
      out.entries[c.key] = String(c.value.data).split(" ")[2];
      c.continue();
    };
    const o = tx.objectStore("outputs").openCursor();
    o.onsuccess = () => {
      const c = o.result;
      if (!c) return;
      out.outputs[c.key] = c.value.data instanceof Blob ? "blob" : "bytes";
      c.continue();
    };
    tx.oncomplete = () => { open.result.close(); resolve(out); };
    tx.onerror = () => reject(tx.error);
  };
}));

/** Every entry in IndexedDB names an output IndexedDB holds: the invariant of the save. */
function assertNoEntryWithoutOutput(db, when) {
  const orphans = Object.entries(db.entries).filter(([, out]) => !(out in db.outputs));
  assert.deepEqual(orphans, [], `${when}: entries without their output`);
}

/** Holds the page's `POST /api/v1/outputs` until `release()`; `seen` resolves with its hashes. */
async function holdOutputs(page, beforeRelease = async () => {}) {
  let release;
  const gate = new Promise((r) => { release = r; });
  let seen;
  const asked = new Promise((r) => { seen = r; });
  await page.route("**/api/v1/outputs", async (route) => {
    const hexes = route.request().postDataJSON().hexes;
    seen(hexes);
    await gate;
    await beforeRelease(hexes);
    await route.continue();
  });
  return { release, asked };
}

async function openReal(browser, url) {
  const { page, errors } = await openPage(browser, url);
  await afterRun(page, 0);
  await page.selectOption("#toolchain", "real");
  return { page, errors };
}

test("a cold real build's outputs are saved after it: entries only with their bytes; a build during the save waits, then runs no tool", { skip: NO_GO, timeout: 600000 }, async () => {
  const helper = await startHelper(["--cache", join(stores, "a")]);
  const browser = await launch();
  try {
    const { page, errors } = await openReal(browser, helper.url);
    const held = await holdOutputs(page);
    const c0 = await counters(page);
    const cold = await rendered(page, await click(page, "go build ."));
    assert.equal(cold.lastExit, "0", await lastOutput(page));
    assert.equal(cold.lastHits, "0");
    assert.ok(Number(cold.lastMisses) > 10, `every action ran: ${cold.lastMisses}`);
    const phases = JSON.parse(cold.lastRealPhases);
    assert.equal(phases.receivedBytes, 0, "no archive crossed during the build");
    // The result is on screen; the save is under way, held before its response.
    const hexes = await held.asked;
    assert.ok(hexes.length > 10, `the build's outputs asked for: ${hexes.length}`);
    assert.equal((await data(page)).cacheSave, "saving");
    assert.equal(await page.isVisible("#cache-save"), true);
    assert.match(await page.textContent("#cache-save"), /^saving [\d.]+ MB of outputs to the cache…$/);
    const mid = await idb(page);
    assertNoEntryWithoutOutput(mid, "mid-save");
    for (const h of hexes) assert.ok(!(h in mid.outputs), `${h} not saved yet`);
    assert.equal(Object.values(mid.entries).filter((o) => hexes.includes(o)).length, 0, "no entry of a held output yet");
    await page.screenshot({ path: screenshotPath("real-save-saving"), fullPage: true });
    const afterCold = await counters(page);
    assert.equal(afterCold.execs - c0.execs, Number(cold.lastExecs));

    // A build started now waits for the save, visibly, and then finds every entry.
    const n = await click(page, "go build .");
    await page.waitForFunction(() => /^Waiting for the last build's outputs to be saved to the cache…$/.test(document.querySelector("#status").textContent), null, { timeout: 10000 });
    assert.equal((await data(page)).building, "true");
    held.release();
    const warm = await rendered(page, n);
    assert.equal(warm.lastExit, "0", await lastOutput(page));
    assert.equal(warm.lastMisses, "0", "every action hit the saved cache");
    assert.equal(warm.lastToolRuns, "0");
    assert.deepEqual(await counters(page), afterCold, "the helper ran nothing for the warm build");
    assert.equal(warm.cacheSave, "done");
    const saved = JSON.parse(warm.lastSaved);
    assert.deepEqual(saved.missing, []);
    assert.equal(saved.outputs, hexes.length);
    assert.equal(saved.bytes, saved.totalBytes);
    const db = await idb(page);
    assertNoEntryWithoutOutput(db, "after the save");
    for (const h of hexes) assert.equal(db.outputs[h], "blob", `${h} saved as a Blob`);
    await page.screenshot({ path: screenshotPath("real-save-done"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    helper.stop();
  }
});

test("an output the helper lost before the save is left out with its entry; the next build runs that action again", { skip: NO_GO, timeout: 600000 }, async () => {
  const root = join(stores, "b");
  const helper = await startHelper(["--cache", root]);
  const browser = await launch();
  try {
    const { page, errors } = await openReal(browser, helper.url);
    let lost = null;
    // Before the held request goes on, the helper's store loses the first output it names
    // (trimmed, or a helper restarted with another store).
    const held = await holdOutputs(page, async (hexes) => {
      lost = hexes[0];
      rmSync(join(root, lost.slice(0, 2), `${lost}-d`));
    });
    const cold = await rendered(page, await click(page, "go build ."));
    assert.equal(cold.lastExit, "0", await lastOutput(page));
    await held.asked;
    held.release();
    await page.waitForFunction(() => document.body.dataset.cacheSave !== "saving", null, { timeout: 60000 });
    const d = await data(page);
    assert.equal(d.cacheSave, "done");
    assert.deepEqual(JSON.parse(d.lastSaved).missing, [lost]);
    assert.match(await page.textContent("#cache-save"), /^saved [\d.]+ MB to the cache; 1 lost output rebuilds next time$/);
    assert.match(await page.getAttribute("#cache-save", "title"), /^saved [\d.]+ MB of outputs to the cache; 1 output the helper lost is left out \(rebuilt next time\)$/);
    await page.screenshot({ path: screenshotPath("real-save-lost"), fullPage: true });
    const db = await idb(page);
    assertNoEntryWithoutOutput(db, "after a save with a lost output");
    assert.ok(!(lost in db.outputs), "the lost output is not in IndexedDB");
    assert.ok(!Object.values(db.entries).includes(lost), "nor an entry naming it");

    // The next build: exactly that action misses and runs (its output's bytes come out the same,
    // so its dependents and the binary in place are up to date).
    await page.unroute("**/api/v1/outputs");
    const c0 = await counters(page);
    const again = await rendered(page, await click(page, "go build ."));
    assert.equal(again.lastExit, "0", await lastOutput(page));
    assert.equal(again.lastMisses, "1", `only the lost output's action: ${again.lastCompiled}`);
    assert.equal(again.lastExecs, "1");
    const c1 = await counters(page);
    // At least that one. (The helper's session, which has no why-rebuilt record, may go on to
    // compile the main package that the page's, knowing the binary in place is up to date,
    // skips; the page does not wait for it.)
    assert.ok(c1.execs - c0.execs >= 1, "the helper ran that action");
    await page.waitForFunction(() => document.body.dataset.cacheSave !== "saving", null, { timeout: 60000 });
    assert.deepEqual(JSON.parse((await data(page)).lastSaved).missing, []);
    assert.equal((await idb(page)).outputs[lost], "blob", "saved this time");

    // Warm: nothing is sent, nothing runs.
    let sent = 0;
    page.on("request", (r) => { if (/\/api\/v1\/workspace/.test(r.url())) sent++; });
    const warm = await rendered(page, await click(page, "go build ."));
    assert.equal(warm.lastMisses, "0");
    assert.equal(warm.lastToolRuns, "0");
    assert.equal(warm.lastExecs, "0");
    assert.equal(sent, 0, "no request to the helper's workspace routes");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    helper.stop();
  }
});
