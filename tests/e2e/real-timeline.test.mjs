// The live timeline of a real build (www/src/timeline.js, `update(t, {live: true})`): while the
// build runs, each redraw only appends the bars of the actions that finished since the last one
// (the SVG, and every bar already drawn, stay the same nodes) as long as the axis (`liveDomain`,
// which moves in steps) stays put; the build's own trace then replaces it, critical path and all.
// The component is bundled here by esbuild from www/src and injected into the real page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startHelper, launch, openPage, bundleForPage } from "./lib.mjs";

const fixture = JSON.parse(readFileSync(join(ROOT, "tests", "e2e", "fixtures", "diamond-trace.json"), "utf8"));

let helper, browser, bundle;
before(async () => {
  bundle = await bundleForPage(`
        import { createTimeline, liveDomain } from "./www/src/timeline.js";
        import { normalizeTrace } from "./www/src/engine.js";
        window.__views = { createTimeline, liveDomain, normalizeTrace };`);
  helper = await startHelper();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  helper?.stop();
});

test("liveDomain rounds a build's end up to 1, 1.5, 2, 3, 5 or 7 × 10^k µs", async () => {
  const { page } = await openPage(browser, helper.url);
  await page.addScriptTag({ content: bundle });
  const got = await page.evaluate(() => [0, 1, 999, 1000, 1001, 1234, 2500, 6999, 7001, 15e6].map(window.__views.liveDomain));
  assert.deepEqual(got, [1, 1, 1000, 1000, 1500, 1500, 3000, 7000, 10000, 15e6]);
  await page.close();
});

test("a running build's timeline appends bars and keeps the ones drawn; its trace then redraws it whole", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  await page.addScriptTag({ content: bundle });
  const steps = await page.evaluate((f) => {
    const { createTimeline, liveDomain, normalizeTrace } = window.__views;
    const root = document.getElementById("timeline");
    root.replaceChildren();
    const tl = createTimeline(root);
    const full = normalizeTrace(f.cold);
    // The actions as a build reports them, in order; the axis as main.js sets it for a real build.
    const live = { lanes: full.lanes, endUs: 0, actions: [] };
    const out = [];
    let firstBar = null;
    for (const a of full.actions) {
      live.actions.push(a);
      live.endUs = Math.max(live.endUs, a.endUs || 0);
      tl.update({ ...live }, { domainUs: liveDomain(live.endUs), live: true });
      const svg = root.querySelector("svg");
      svg.__seen ??= out.length; // the step that first drew this SVG
      firstBar ??= root.querySelector("rect.bar");
      out.push({
        domain: liveDomain(live.endUs),
        svgFrom: svg.__seen,
        bars: root.querySelectorAll("rect.bar").length,
        critical: root.querySelectorAll("rect.bar.critical").length,
        firstBarKept: firstBar === null || firstBar.isConnected,
      });
      if (firstBar && !firstBar.isConnected) firstBar = root.querySelector("rect.bar");
    }
    tl.update(full);
    out.push({ final: true, bars: root.querySelectorAll("rect.bar").length, critical: root.querySelectorAll("rect.bar.critical").length });
    return out;
  }, fixture);
  const live = steps.filter((s) => !s.final);
  const drawnSoFar = (i) => live[i].bars;
  for (let i = 1; i < live.length; i++) {
    assert.ok(drawnSoFar(i) >= drawnSoFar(i - 1), `bars only grow while the build runs: ${JSON.stringify(live)}`);
    if (live[i].domain === live[i - 1].domain) {
      assert.equal(live[i].svgFrom, live[i - 1].svgFrom, `same axis, same SVG (appended to): ${JSON.stringify(live[i])}`);
      assert.ok(live[i].firstBarKept, `the bars drawn stay the same nodes: ${JSON.stringify(live[i])}`);
    }
  }
  assert.ok(live.some((s, i) => i > 0 && s.svgFrom === live[i - 1].svgFrom), `some redraws appended: ${JSON.stringify(live)}`);
  assert.ok(live.every((s) => s.critical === 0), "no critical path while the build runs");
  const final = steps[steps.length - 1];
  assert.equal(final.bars, 6, "every action that ran has a bar");
  assert.equal(final.critical, 4, "the critical path once the build is done");
  assert.equal(live[live.length - 1].bars, 6, "the live timeline had every bar before the trace came");
  assert.deepEqual(errors, []);
  await page.close();
});
