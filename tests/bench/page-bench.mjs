// Browser benchmarks of the page, with Playwright (playwright-core + Debian's Chromium) against
// the helper-served release build, timed in the page with performance.now():
//
// - warm no-op `go build -p 2 .` of the multi sample, end to end in the page (load + plan +
//   hashes + one IndexedDB read transaction + the simulation + DOM updates): the page's own
//   `data-last-build-page-ms`, median of N runs;
// - 1,000 IndexedDB gets in one read-only transaction (raw IndexedDB, records shaped as the
//   cache's action entries);
// - blake3 in wasm (`benchBlake3`, core's `Digest::of` over 64 MiB, best of 5), MB/s;
// - the first build visible after navigation (`data-first-build-ms`), fresh profile, cold cache.
//
// Run: cd /work/main && export PATH=$PWD/node_modules/.bin:$PATH && trunk build --release &&
//      cargo build --release -p buildlab-helper && node tests/bench/page-bench.mjs
// Prints one JSON object; docs/benchmarks.md records the figures.
import { startHelper, launch } from "../e2e/lib.mjs";

const RUNS = Number(process.env.RUNS || 9);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const helper = await startHelper();
const browser = await launch();
const out = {};
try {
  // First build visible, fresh profile (hello, cold cache, the page's own build on load).
  const first = [];
  for (let i = 0; i < 3; i++) {
    const ctx = await launch();
    const page = await ctx.context.newPage();
    await page.goto(helper.url);
    await page.waitForFunction(() => document.body.dataset.firstBuildMs, null, { timeout: 30000 });
    first.push(Number(await page.evaluate(() => document.body.dataset.firstBuildMs)));
    await ctx.close();
  }
  out.firstBuildVisibleMs = { median: median(first), runs: first };

  // Warm no-op build of multi.
  const page = await browser.context.newPage();
  await page.addInitScript(() => {
    if (!localStorage.getItem("buildlab.settings")) {
      localStorage.setItem("buildlab.settings", JSON.stringify({ version: 1, sample: "multi", cmdline: "go build -p 2 .", cpus: 2, theme: "light", toolchain: "simulated" }));
    }
  });
  await page.goto(helper.url);
  await page.waitForFunction(() => document.body.dataset.runs === "1", null, { timeout: 30000 });
  out.coldMultiPageMs = Number(await page.evaluate(() => document.body.dataset.lastBuildPageMs));
  const warm = [];
  for (let i = 0; i < RUNS; i++) {
    const n = Number(await page.evaluate(() => document.body.dataset.runs));
    await page.click("#run");
    await page.waitForFunction((n) => Number(document.body.dataset.runs) > n && document.body.dataset.building === "false", n);
    const d = await page.evaluate(() => ({ ...document.body.dataset }));
    if (d.lastMisses !== "0") throw new Error(`warm build ${i} missed ${d.lastMisses}`);
    warm.push(Number(d.lastBuildPageMs));
    await page.waitForTimeout(100); // let the cache panel's refresh settle
  }
  out.warmNoopMultiPageMs = { median: median(warm), runs: warm };

  // 1,000 IndexedDB gets in one read-only transaction.
  out.idb1000GetsMs = await page.evaluate(async () => {
    const open = () => new Promise((res, rej) => {
      const r = indexedDB.open("buildlab-bench", 1);
      r.onupgradeneeded = () => r.result.createObjectStore("actions");
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const db = await open();
    const key = (i) => i.toString(16).padStart(64, "0");
    await new Promise((res, rej) => {
      const tx = db.transaction("actions", "readwrite");
      for (let i = 0; i < 1000; i++) tx.objectStore("actions").put({ data: `v1 ${key(i)} ${key(i + 1)} 1234 1795544806000000000\n`, used: Date.now() }, key(i));
      tx.oncomplete = res;
      tx.onerror = () => rej(tx.error);
    });
    const runs = [];
    for (let k = 0; k < 7; k++) {
      const t = performance.now();
      await new Promise((res, rej) => {
        const tx = db.transaction("actions", "readonly");
        const s = tx.objectStore("actions");
        let left = 1000;
        for (let i = 0; i < 1000; i++) {
          const r = s.get(key(i));
          r.onsuccess = () => { if (r.result === undefined) rej(new Error("missing")); if (--left === 0) res(); };
        }
        tx.onerror = () => rej(tx.error);
      });
      runs.push(performance.now() - t);
    }
    db.close();
    indexedDB.deleteDatabase("buildlab-bench");
    runs.sort((a, b) => a - b);
    return { median: runs[3], runs };
  });

  // blake3 in wasm.
  out.blake3WasmMBps = await page.evaluate(() => window.wasmBindings.benchBlake3(64, 5));
  await page.close();
} finally {
  await browser.close();
  helper.stop();
}
console.log(JSON.stringify(out, null, 1));
