// Journey: open the playground, see the sample module hashed by the wasm core, reload and find
// the IndexedDB record from the first visit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { blake3 } from "@noble/hashes/blake3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { ROOT, startHelper, launch, ready, screenshotPath } from "./lib.mjs";

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
before(async () => {
  helper = await startHelper();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  helper?.stop();
});

test("the page hashes the sample module and keeps an IndexedDB record across reloads", async () => {
  const files = txtar(readFileSync(join(ROOT, "core", "samples", "hello.txtar"), "utf8"));
  assert.deepEqual([...files.keys()], ["go.mod", "main.go"]);
  const want = digest(files);

  const page = await browser.context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(helper.url);
  await ready(page);
  assert.equal(await page.textContent("#module"), "example.com/hello");
  assert.equal(await page.textContent("#digest"), want);
  assert.equal(await page.getAttribute("#visit", "data-visits"), "1");

  await page.reload();
  await ready(page);
  assert.equal(await page.getAttribute("#visit", "data-visits"), "2");
  assert.match(await page.textContent("#visit"), new RegExp(`previous visit.*${want.slice(0, 16)}`));
  await page.screenshot({ path: screenshotPath("skeleton-reloaded"), fullPage: true });
  assert.deepEqual(errors, []);
});
