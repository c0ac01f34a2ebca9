// Journey: open the playground, see the sample module hashed by the wasm core, reload and find
// the IndexedDB record from the first visit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { blake3 } from "@noble/hashes/blake3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { ROOT, withHelperAndBrowser, ready, screenshotPath, openPage, FULL_MODULE } from "./lib.mjs";

/** Parses a txtar archive independently of the Rust code. */
function txtar(text) {
  const files = new Map();
  let name = null;
  for (const line of text.split(/(?<=\n)/)) {
    const m = line.match(/^-- (.+) --\r?\n?$/);
    if (m) {
      name = m[1].trim();
      files.set(name, "");
    } else if (name !== null) {
      files.set(name, files.get(name) + line);
    }
  }
  return files;
}

/** blake3 over `file NAME HASH` lines in path order, computed here, not by the page. */
function digest(files) {
  const lines = [...files.keys()].sort().map((n) => `file ${n} ${bytesToHex(blake3(utf8ToBytes(files.get(n))))}\n`);
  return bytesToHex(blake3(utf8ToBytes(lines.join(""))));
}

let helper, browser;
withHelperAndBrowser((h, b) => ([helper, browser] = [h, b]));

/** Waits until the page shows the skeleton's facts (`showAbout` in www/src/main.js). */
async function about(page) {
  await page.waitForSelector("body[data-about=true]", { state: "attached", timeout: 30000 });
}

test("the page hashes the sample module and keeps an IndexedDB record across reloads", async () => {
  const files = txtar(readFileSync(join(ROOT, "core", "samples", "hello.txtar"), "utf8"));
  assert.deepEqual([...files.keys()], ["go.mod", "main.go"]);
  const want = digest(files);

  const page = await browser.context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(helper.url);
  await ready(page);
  // The skeleton's facts are the full module's: shown once the first build is on screen and the
  // page has prefetched that module.
  await about(page);
  assert.equal(await page.textContent("#module"), "example.com/hello");
  assert.equal(await page.textContent("#digest"), want);
  assert.equal(await page.getAttribute("#visit", "data-visits"), "1");

  await page.reload();
  await ready(page);
  await about(page);
  assert.equal(await page.getAttribute("#visit", "data-visits"), "2");
  assert.match(await page.textContent("#visit"), new RegExp(`previous visit.*${want.slice(0, 16)}`));
  await page.screenshot({ path: screenshotPath("skeleton-reloaded"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("the first load fetches only the build path; the editor, the graph layout and the full module come after it", async () => {
  const { page, errors, fetched } = await openPage(browser, helper.url);
  const since = (n) => fetched.slice(n).join(" ");
  await page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 30000 });

  // What started before the first build was on screen (Resource Timing, on the page's clock):
  // the first-load module (hashed names), ui.js, no chunk, not the full module.
  const first = await page.evaluate(() => {
    const shown = Number(document.body.dataset.firstBuildMs);
    return performance.getEntriesByType("resource").filter((e) => e.startTime < shown).map((e) => new URL(e.name).pathname).join(" ");
  });
  assert.match(first, /\/buildlab-web-lean-[0-9a-f]+_bg\.wasm/, first);
  assert.match(first, /\/ui-[0-9a-f]+\.js/, first);
  // The first-load module came gzip-encoded (the helper serves the copy `buildlab precompress`
  // made: helper/src/precompress.rs), within PERFORMANCE.md's 200 KB.
  const [wasm] = await page.evaluate(() =>
    performance.getEntriesByType("resource")
      .filter((e) => /\/buildlab-web-lean-[0-9a-f]+_bg\.wasm$/.test(new URL(e.name).pathname))
      .map((e) => ({ encoded: e.encodedBodySize, decoded: e.decodedBodySize })));
  assert.ok(wasm.encoded > 0 && wasm.encoded < wasm.decoded / 2, `gzip-encoded: ${JSON.stringify(wasm)}`);
  assert.ok(wasm.encoded <= 200000, `the first-load wasm is ${wasm.encoded} bytes on the wire`);
  assert.doesNotMatch(first, FULL_MODULE, "the full wasm module is not part of the first load");
  assert.doesNotMatch(first, /\/chunks\//, "no lazily loaded chunk is part of the first load");
  // linux/amd64's std graph is data, not wasm: preloaded by index.html, taken over by Lab.open
  // (one request: the preload's response is the one the module reads).
  const STD = "/std/std-go1.23.5-linux-amd64-cgo1.txt";
  assert.ok(first.split(" ").includes(STD), first);
  assert.equal(fetched.filter((p) => p === STD).length, 1, fetched.join(" "));

  // Then the editor (CodeMirror's chunk) replaces the plain text.
  await page.waitForSelector(".cm-content", { timeout: 30000 });
  assert.match(fetched.join(" "), /\/chunks\/codemirror-[^ ]+\.js/);
  assert.match(await page.textContent(".cm-content"), /package main/);

  // The full module is fetched once the first build is on screen, when the browser is idle, and
  // not switched to.
  await page.waitForSelector("body[data-full-prefetched=true]", { state: "attached", timeout: 30000 });
  assert.match(fetched.join(" "), FULL_MODULE);
  assert.equal(await page.evaluate(() => document.body.dataset.wasmModule), "first");

  // The graph tab fetches dagre; the loader's view is the full module's: the session switches to
  // the prefetched one, fetching nothing more of it.
  let n = fetched.length;
  await page.click("#tab-graph");
  await page.waitForSelector("#graph .gnode", { timeout: 30000 });
  assert.match(since(n), /\/chunks\/dagre[^ ]*\.js/);
  assert.doesNotMatch(since(n), FULL_MODULE);
  assert.equal(await page.evaluate(() => document.body.dataset.wasmModule), "full");

  // The switch kept the build history: a share link made after it holds the first build.
  n = fetched.length;
  await page.click("#lessons-toggle");
  await page.waitForSelector("#lessons:not([hidden]) button, #lessons:not([hidden]) a", { timeout: 30000 });
  assert.doesNotMatch(since(n), FULL_MODULE);
  await page.click("#share");
  await page.waitForFunction(() => document.body.dataset.shareUrl, null, { timeout: 30000 });
  const shared = await page.evaluate(() => document.body.dataset.shareUrl);
  const other = await browser.context.newPage();
  other.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  await other.goto(shared);
  await other.waitForSelector("body[data-shared]", { state: "attached", timeout: 30000 });
  assert.equal(await other.evaluate(() => document.body.dataset.shared), "1", "the first build, made by the first-load module, is in the link");
  await other.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test("the switch to the full module waits for a build still running on the first one", async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(helper.url);
  await page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 30000 });
  await page.waitForFunction(() => document.body.dataset.building === "false", null, { timeout: 30000 });
  // hello built with -a (fmt and the std packages under it), every compile simulated, takes a
  // while on the first module (the only sample it builds: the others have exported functions,
  // the full module's); the full module's script is fetched ahead so that the switch can finish
  // inside that.
  await page.evaluate(async () => {
    const m = await import(new URL("buildlab-web-full.js", document.baseURI).href);
    await (await fetch(new URL("buildlab-web-full_bg.wasm", document.baseURI))).arrayBuffer();
    return typeof m.default;
  });
  const runs = Number(await page.evaluate(() => document.body.dataset.runs));
  // A build that runs every compile (-a), and Lessons pressed in the same task: the full
  // module loads while the first module's Lab is building.
  await page.fill("#cmdline", "go build -a .");
  await page.evaluate(() => {
    document.getElementById("run").click();
    document.getElementById("lessons-toggle").click();
  });
  await page.waitForFunction((n) => Number(document.body.dataset.runs) > n && document.body.dataset.building === "false", runs, { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.body.dataset.lastExit), "0");
  await page.waitForSelector("#lessons:not([hidden]) button, #lessons:not([hidden]) a", { timeout: 30000 });
  // The session and its cache came across: the next build, in the full module, is all hits.
  await page.fill("#cmdline", "go build .");
  await page.click("#run");
  await page.waitForFunction((n) => Number(document.body.dataset.runs) > n + 1 && document.body.dataset.building === "false", runs, { timeout: 30000 });
  const d = await page.evaluate(() => ({ ...document.body.dataset }));
  assert.equal(d.lastExit, "0");
  assert.equal(d.lastMisses, "0", JSON.stringify(d));
  assert.deepEqual(errors, []);
  await page.close();
});
