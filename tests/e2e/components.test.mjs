// The build views drawn from hand-written test data (tests/e2e/fixtures/diamond-trace.json, in
// the shape engine.js documents), inside the real page with its real styles: the timeline's lanes,
// colours, tooltip, selection, critical path and zoom; cold vs warm on one scale; the package
// graph's layered layout, details and predicted set. The components are bundled here by esbuild
// from www/src and injected; the shipped page never renders data it did not get from the engine.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startHelper, launch, openPage, axeSerious, screenshotPath, bundleForPage } from "./lib.mjs";

const fixture = JSON.parse(readFileSync(join(ROOT, "tests", "e2e", "fixtures", "diamond-trace.json"), "utf8"));

let helper, browser, bundle;
before(async () => {
  bundle = await bundleForPage(`
        import { createTimeline } from "./www/src/timeline.js";
        import { createCompare } from "./www/src/compare.js";
        import { createGraph } from "./www/src/graph.js";
        import { normalizeTrace } from "./www/src/engine.js";
        window.__views = { createTimeline, createCompare, createGraph, normalizeTrace };`);
  helper = await startHelper();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  helper?.stop();
});

async function withViews() {
  const { page, errors } = await openPage(browser, helper.url);
  await page.addScriptTag({ content: bundle });
  return { page, errors };
}

test("the timeline draws lanes, coloured bars, the critical path, a tooltip, selection and zoom", async () => {
  const { page, errors } = await withViews();
  await page.evaluate((f) => {
    const root = document.getElementById("timeline");
    root.replaceChildren();
    window.__tl = window.__views.createTimeline(root);
    window.__tl.update(window.__views.normalizeTrace(f.cold));
  }, fixture);
  const bars = await page.$$eval("#timeline rect.bar", (rs) => rs.map((r) => ({ kind: r.dataset.kind, crit: r.classList.contains("critical"), w: Number(r.getAttribute("width")) })));
  assert.equal(bars.length, 6, "every action that ran has a bar; link-install (no actor) has none");
  assert.deepEqual(bars.filter((b) => b.crit).length, 4, "c → a → main → link");
  assert.deepEqual(await page.$$eval("#timeline .lane-label", (ls) => ls.map((l) => l.textContent)), ["worker 1", "worker 2"]);
  assert.equal(await page.$eval('#timeline rect.bar[data-kind="cache-hit"]', (r) => getComputedStyle(r).fill) !==
    await page.$eval('#timeline rect.bar[data-kind="link"]', (r) => getComputedStyle(r).fill), true);

  await page.hover('#timeline rect.bar[data-action="2"]');
  const tip = await page.textContent("#tl-tooltip");
  assert.match(tip, /build example\.com\/diamond\/b/);
  assert.match(tip, /\$WORK\/b004/);
  assert.match(tip, /c0de5eed00112233/);
  assert.match(tip, /cache miss: no cache entry/);
  await page.screenshot({ path: screenshotPath("timeline-hover") });

  await page.click('#timeline rect.bar[data-action="3"]');
  const cls = await page.$$eval("#timeline rect.bar", (rs) => Object.fromEntries(rs.map((r) => [r.dataset.action, r.getAttribute("class")])));
  for (const d of ["0", "1", "2", "5"]) assert.match(cls[d], /dep-of-selected/, `action ${d} is a dependency of main`);
  assert.match(cls["4"], /dimmed/);
  assert.match(await page.textContent("#timeline .tl-detail"), /depends on 4 actions/);

  const before = await page.$eval('#timeline rect.bar[data-action="4"]', (r) => Number(r.getAttribute("width")));
  await page.click('#timeline button[aria-label="Zoom in"]');
  const after = await page.$eval('#timeline rect.bar[data-action="4"]', (r) => Number(r.getAttribute("width")));
  assert.ok(after > before * 1.5, `zoomed: ${before} → ${after}`);
  await page.click('#timeline button[title="Show the whole build"]');
  await page.screenshot({ path: screenshotPath("timeline-selected"), fullPage: true });
  assert.deepEqual(await axeSerious(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("cold vs warm shows both runs on one time scale with their totals and counts", async () => {
  const { page, errors } = await withViews();
  await page.click("#tab-compare");
  await page.evaluate((f) => {
    const n = window.__views.normalizeTrace;
    const c = window.__views.createCompare(document.getElementById("compare"));
    c.update([
      { n: 1, command: "go build -x -p 2 .", trace: n(f.cold), hits: 1, misses: 5, totalMs: 61 },
      { n: 2, command: "go build -x -p 2 .", trace: n(f.warm), hits: 6, misses: 0, totalMs: 3.1 },
    ]);
  }, fixture);
  const heads = await page.$$eval("#compare .compare-run h4", (hs) => hs.map((h) => h.textContent));
  assert.match(heads[0], /^cold — build #1.*total 61\.0 ms · 5 misses · 1 hit/);
  assert.match(heads[1], /^warm — build #2.*total 3\.1 ms · 0 misses · 6 hits/);
  const widths = await page.$$eval("#compare .compare-run", (rs) => rs.map((r) => Math.max(...[...r.querySelectorAll("rect.bar")].map((b) => Number(b.getAttribute("x")) + Number(b.getAttribute("width"))))));
  assert.ok(widths[1] < widths[0] / 5, `same scale: the warm run is much shorter (${widths})`);
  await page.screenshot({ path: screenshotPath("compare-cold-warm"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("the package graph is layered top to bottom, shows a node's details and the predicted rebuild set", async () => {
  const { page, errors } = await withViews();
  // The page's own graph draws into the same element: once its first build is on screen, the
  // tab loads the sample's packages (on the full module, which the tab switches to) and draws
  // them; the fixture's graph replaces that one, not the other way round.
  await page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 30000 });
  await page.click("#tab-graph");
  await page.waitForSelector('#graph .gnode[data-pkg="example.com/hello"]', { timeout: 30000 });
  await page.evaluate((f) => {
    const g = window.__views.createGraph(document.getElementById("graph"));
    g.setPackages(f.packages);
    g.setOutcomes(f.outcomes);
    g.setPredicted({ rebuild: ["example.com/diamond/c", "example.com/diamond/a", "example.com/diamond/b", "example.com/diamond"], reasons: { "example.com/diamond/c": "c.go edited" } });
    window.__g = g;
  }, fixture);
  const ys = await page.$$eval("#graph .gnode", (ns) => Object.fromEntries(ns.map((n) => [n.dataset.pkg, Number(n.getAttribute("transform").match(/,([\d.]+)\)/)[1])])));
  assert.deepEqual(Object.keys(ys).sort(), ["example.com/diamond", "example.com/diamond/a", "example.com/diamond/b", "example.com/diamond/c"], "std hidden by default");
  assert.ok(ys["example.com/diamond"] < ys["example.com/diamond/a"] && ys["example.com/diamond/a"] === ys["example.com/diamond/b"] && ys["example.com/diamond/b"] < ys["example.com/diamond/c"], JSON.stringify(ys));
  assert.equal(await page.$$eval("#graph .gnode.predicted", (ns) => ns.length), 4);
  await page.focus('#graph .gnode[data-pkg="example.com/diamond"]');
  await page.keyboard.press("Enter");
  const detail = await page.textContent("#graph .node-detail");
  assert.match(detail, /main\.go/);
  assert.match(detail, /rebuilt: dependency example\.com\/diamond\/a changed/);
  assert.match(detail, /compile flags: -p main/);
  await page.check("#graph-std");
  assert.equal(await page.$$eval("#graph .gnode", (ns) => ns.length), 5);
  await page.screenshot({ path: screenshotPath("graph-diamond"), fullPage: true });
  assert.deepEqual(await axeSerious(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});
