// The real toolchain through the helper (issue 7's journey): the page, served by the helper with
// a Go found, offers "real (go1.23.x)"; a cold build of hello runs the real compile/link for the
// page's cache misses on the helper, a warm build finds everything in the page's IndexedDB cache
// and runs no tool (the page's count and the helper's own counter agree), and Run shows what the
// binary prints. Then the helper goes away: a forced build says so in the terminal, in plain
// words, and the page stays usable. Skipped only when no Go is installed (`./dev test` installs it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { startHelper, launch, openPage, screenshotPath, pageData, afterRun, buildLine, lastOutput } from "./lib.mjs";

/** Where the helper looks for Go (helper/src/godetect.rs): PATH, then the usual places. */
function goInstalled() {
  const onPath = (process.env.PATH || "").split(delimiter).some((d) => d && existsSync(join(d, "go")));
  return onPath || ["/usr/lib/go-1.23/bin/go", "/usr/local/go/bin/go"].some((p) => existsSync(p));
}

const NO_GO = goInstalled() ? false : "no Go installation (go on PATH, /usr/lib/go-1.23, /usr/local/go): the real toolchain cannot run; ./dev test installs Go 1.23";

let helper;
before(async () => {
  if (!NO_GO) helper = await startHelper();
});
after(() => helper?.stop());

const data = pageData;

/** Runs the command line as typed and waits for its build to be rendered (real builds take seconds). */
const build = (page, line) => buildLine(page, line, { timeout: 180000 });

/** Back to the hello sample (after a share link replaced the workspace). */
async function openHello(page) {
  await page.evaluate(() => { location.hash = ""; });
  await page.selectOption("#sample", "hello");
  await page.waitForFunction(() => document.querySelector(".cm-content")?.textContent.includes('fmt.Println("hi")'), null, { timeout: 30000 });
}

/** The helper's counters, asked by the page with its token (the same request the page makes). */
const counters = (page) => page.evaluate(async () => {
  const r = await fetch("/api/v1/info", { headers: { "X-Buildlab-Token": sessionStorage.getItem("buildlab.helperToken") } });
  return (await r.json()).counters;
});

test("real toolchain: cold build of hello on the helper, warm build runs no tool, Run prints hi", { skip: NO_GO, timeout: 600000 }, async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, helper.url);
    // The token left the address bar once the page kept it.
    assert.ok(!page.url().includes("token="), `token removed from the URL: ${page.url()}`);
    await afterRun(page, 0);
    assert.equal((await data(page)).realToolchain, "available");
    const label = await page.textContent('#toolchain option[value="real"]');
    assert.match(label, /^real \(go1\.23\.\d+\)$/);
    await page.selectOption("#toolchain", "real");
    assert.match(await page.textContent("#toolchain-note"), /real go1\.23\.\d+ tools run the cache misses on the helper/);
    assert.equal(await page.isHidden("#run-binary"), true, "no Run before a real build");

    // Cold: a fresh profile has an empty IndexedDB cache, so every action is a miss the helper runs.
    // The terminal streams go's -x transcript while the build runs (the settled part, shown live),
    // then shows the build's own output in its place.
    await page.evaluate(() => {
      window.__liveSeen = "";
      new MutationObserver(() => {
        const live = document.querySelector("#terminal .live");
        if (live && document.body.dataset.building === "true" && live.textContent.length > window.__liveSeen.length) window.__liveSeen = live.textContent;
      }).observe(document.querySelector("#terminal"), { childList: true, subtree: true, characterData: true });
    });
    const before = await counters(page);
    const cold = await build(page, "go build -x .");
    const liveSeen = await page.evaluate(() => window.__liveSeen);
    assert.match(liveSeen, /^WORK=\/tmp\/go-build\d+\n/, "the transcript streamed while the build ran");
    assert.match(liveSeen, /\/compile -o \$WORK\/b\d+\/_pkg_\.a/);
    assert.ok((await lastOutput(page)).includes(liveSeen), "what streamed is the beginning of go's transcript");
    assert.equal(await page.locator("#terminal .live").count(), 0, "the live text gave way to the build's output");
    assert.equal(cold.lastExit, "0", await lastOutput(page));
    assert.ok(Number(cold.lastMisses) > 10, `cold build rebuilt the standard library too: ${cold.lastMisses}`);
    assert.equal(cold.lastHits, "0");
    assert.ok(Number(cold.lastToolRuns) > Number(cold.lastMisses), `tools ran: ${cold.lastToolRuns}`);
    const afterCold = await counters(page);
    assert.equal(afterCold.toolRuns - before.toolRuns, Number(cold.lastToolRuns), "the helper ran what the page counted");
    const coldOut = await lastOutput(page);
    // go's -x transcript with the real tools' paths, and the real link.
    assert.match(coldOut, /^WORK=\/tmp\/go-build\d+$/m);
    assert.match(coldOut, /\/usr\/lib\/go-1\.23\/pkg\/tool\/linux_amd64\/compile -o \$WORK\/b001\/_pkg_\.a/);
    assert.match(coldOut, /pkg\/tool\/linux_amd64\/link -o \$WORK\/b001\/exe\/a\.out/);
    assert.match(await page.textContent("#status"), /real tools\): \d+ rebuilt, 0 from the cache; the helper ran \d+ tools for \d+ actions/);
    assert.match(await page.textContent("#terminal"), /^real\t\dm[\d.]+s$/m);
    // The timeline drew the real actions on the workers' lanes.
    const bars = await page.locator("#timeline [data-kind=compile]").count();
    assert.ok(bars > 10, `compile bars on the timeline: ${bars}`);
    await page.screenshot({ path: screenshotPath("real-toolchain-cold"), fullPage: true });

    // Warm: every action is a hit in the page's cache; nothing is sent, no tool runs anywhere.
    // Clicked at once: the archives the cold build left on the helper may still be being saved
    // to IndexedDB, and the build waits for that (tests/e2e/real-save.test.mjs holds the save
    // open to check the wait itself).
    const warm = await build(page, "go build -x .");
    assert.equal(warm.lastExit, "0", await lastOutput(page));
    assert.equal(warm.lastMisses, "0");
    assert.equal(warm.lastToolRuns, "0");
    assert.equal(warm.lastExecs, "0");
    assert.deepEqual(await counters(page), afterCold, "the helper ran nothing for the warm build");
    assert.match(await page.textContent("#status"), /real tools\): 0 rebuilt, \d+ from the cache; no tool ran/);

    // Run the binary the cold build linked.
    assert.equal(await page.textContent("#run-binary"), "Run ./hello");
    await page.click("#run-binary");
    await page.waitForFunction(() => document.body.dataset.lastRunOutput !== undefined && document.body.dataset.building !== "true", null, { timeout: 30000 });
    assert.equal((await data(page)).lastRunOutput, "hi\n");
    assert.match(await lastOutput(page), /^\$ \.\/hello\nhi\n$/);
    await page.screenshot({ path: screenshotPath("real-toolchain-run"), fullPage: true });

    // -o: the page plans the link-install's target; the helper plans the same one (it used to
    // refuse with 409, "plans this workspace differently"), and only the link runs again.
    const named = await build(page, "go build -o hi .");
    assert.equal(named.lastExit, "0", await lastOutput(page));
    assert.doesNotMatch(await lastOutput(page), /409|differently/);
    assert.match(await page.textContent("#status"), /real tools\): \d+ rebuilt, \d+ from the cache; the helper ran \d+ tools? for \d+ actions?/);
    assert.ok(Number(named.lastHits) > 10, `the archives came from the cache: ${named.lastHits}`);

    // Build settings reach the helper's tools: -gcflags for the named package recompiles only
    // it, -ldflags reach the link, and the binary still runs. A flag that would write outside
    // $WORK is refused by the helper's allow-list, in words the terminal shows.
    const set = await build(page, 'go build -x -gcflags="-N -l" -ldflags="-s -w" .');
    const setOut = await lastOutput(page);
    assert.equal(set.lastExit, "0", setOut);
    assert.match(setOut, /\/compile -o \$WORK\/b001\/_pkg_\.a .* -N -l /);
    assert.match(setOut, /\/link -o \$WORK\/b001\/exe\/a\.out .* -s -w /);
    assert.deepEqual(set.lastCompiled.split(" "), ["example.com/hello"], "only the named package recompiled");
    await page.click("#run-binary");
    await page.waitForFunction(() => /ran on the helper/.test(document.querySelector("#status").textContent), null, { timeout: 30000 });
    assert.equal((await data(page)).lastRunOutput, "hi\n");
    await page.screenshot({ path: screenshotPath("real-toolchain-settings"), fullPage: true });
    const refused = await build(page, "go build -gcflags=-o=/tmp/x .");
    assert.equal(refused.lastExit, "1");
    assert.match(await lastOutput(page), /-gcflags: "-o=\/tmp\/x": the helper passes compile only -B -C -N /);

    // cgo: the helper's go has cgo on (gcc is installed here, and go's default then is
    // CGO_ENABLED=1), so the page plans with it and the helper runs cgo and gcc as go does: the
    // program builds and prints what its C function returns.
    const share = await page.evaluate(async () => {
      const full = await import(new URL("buildlab-web-full.js", document.baseURI).href); // the full module makes share links
      await full.default();
      const lab = await full.Lab.open("e2e-cgo-share");
      lab.loadFiles([
        { path: "go.mod", text: "module example.com/cgo\n\ngo 1.23\n" },
        { path: "main.go", text: 'package main\n\n// int two(void) { return 2; }\nimport "C"\n\nimport "fmt"\n\nfunc main() { fmt.Println(C.two()) }\n' },
      ]);
      return lab.shareLink({ title: "cgo", argv: ["go", "build", "."], cpus: 2, toolchain: "real", cwd: "" });
    });
    await page.evaluate((t) => { location.hash = `share=${t}`; }, share);
    await page.waitForFunction(() => document.querySelector(".cm-content")?.textContent.includes('import "C"') && document.body.dataset.building !== "true", null, { timeout: 30000 });
    assert.equal(await page.inputValue("#toolchain"), "real");
    const cgo = await build(page, "go build .");
    assert.equal(cgo.lastExit, "0", await lastOutput(page));
    assert.ok(cgo.lastCompiled.split(" ").includes("runtime/cgo"), `runtime/cgo was built: ${cgo.lastCompiled}`);
    assert.ok(Number(cgo.lastToolRuns) > 0, "the helper ran the tools");
    assert.doesNotMatch(await lastOutput(page), /CGO_ENABLED=0/);
    await page.click("#run-binary");
    await page.waitForFunction(() => /^\.\/cgo ran on the helper/.test(document.querySelector("#status").textContent), null, { timeout: 30000 });
    assert.equal((await data(page)).lastRunOutput, "2\n");
    const again = await build(page, "go build .");
    assert.equal(again.lastToolRuns, "0", "a warm cgo build runs no tool");
    await page.screenshot({ path: screenshotPath("real-toolchain-cgo"), fullPage: true });

    // The helper stops: a forced rebuild fails with the reason, in the terminal, and nothing hangs.
    helper.stop();
    await new Promise((r) => setTimeout(r, 300));
    await openHello(page);
    const gone = await build(page, "go build -a .");
    assert.equal(gone.lastExit, "1");
    assert.match(await lastOutput(page), /buildlab: helper: the helper at http:\/\/127\.0\.0\.1:\d+ is not reachable \(is `buildlab serve` still running\?\)/);
    assert.match(await page.textContent("#status"), /^Build #\d+ \(real tools\) failed: the helper at http:\/\/127\.0\.0\.1:\d+ is not reachable/);
    await page.screenshot({ path: screenshotPath("real-toolchain-helper-gone"), fullPage: true });
    assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  } finally {
    await browser.close();
  }
});

/** A helper on `port` (the page's origin again), retried while the old one lets go of it. */
async function restartOn(port, args) {
  for (let i = 0; ; i++) {
    try {
      return await startHelper(args, { port });
    } catch (e) {
      if (i >= 25) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test("a helper restarted with an empty store: the page sends it the archives its cache holds (409, upload, run), then a warm build runs no tool", { skip: NO_GO, timeout: 600000 }, async () => {
  const stores = mkdtempSync(join(tmpdir(), "buildlab-e2e-stores-"));
  let first = await startHelper(["--cache", join(stores, "a")]);
  let second = null;
  const browser = await launch();
  try {
    const port = Number(new URL(first.url).port);
    const { page, errors } = await openPage(browser, first.url);
    await afterRun(page, 0);
    await page.selectOption("#toolchain", "real");
    const cold = await build(page, "go build .");
    assert.equal(cold.lastExit, "0", await lastOutput(page));
    assert.equal(cold.lastHits, "0");
    // The archives stay on the helper during the build; the page saves them after it.
    await page.waitForFunction(() => document.body.dataset.cacheSave !== "saving", null, { timeout: 60000 });
    assert.equal((await data(page)).cacheSave, "done");
    // Real archives (fmt's, runtime's) are stored in IndexedDB as Blobs, not as bytes.
    const kinds = await page.evaluate(() => new Promise((resolve, reject) => {
      const open = indexedDB.open("buildlab-real");
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const all = open.result.transaction("outputs").objectStore("outputs").getAll();
        all.onsuccess = () => resolve(all.result.map((v) => (v.data instanceof Blob ? "blob" : "bytes")));
        all.onerror = () => reject(all.error);
      };
    }));
    assert.ok(kinds.filter((k) => k === "blob").length >= 5, `archives stored as Blobs: ${kinds.join(" ")}`);

    // The same origin, a new helper whose store is empty; the page's IndexedDB still holds the
    // archives. -o changes only the link: its inputs are the page's hits, which the helper lacks.
    first.stop();
    first = null;
    second = await restartOn(port, ["--cache", join(stores, "b")]);
    await page.goto("about:blank"); // the new URL differs only in its #token: a real load, not a hash change
    await page.goto(second.url);
    await page.waitForFunction(() => document.body.dataset.realToolchain === "available" && document.body.dataset.building !== "true", null, { timeout: 60000 });
    await page.selectOption("#toolchain", "real");
    const linked = await build(page, "go build -o again .");
    assert.equal(linked.lastExit, "0", await lastOutput(page));
    assert.ok(Number(linked.lastHits) > 10, `the archives were hits: ${linked.lastHits}`);
    assert.ok(Number(linked.lastUploaded) > 10, `the page uploaded what the helper lacked: ${linked.lastUploaded}`);
    assert.ok(Number(linked.lastExecs) >= 1 && Number(linked.lastExecs) <= 2, `only the link ran: ${linked.lastExecs}`);

    // Warm, right after: all hits in IndexedDB, nothing sent, no tool.
    const c0 = await counters(page);
    const warm = await build(page, "go build -o again .");
    assert.equal(warm.lastExit, "0", await lastOutput(page));
    assert.equal(warm.lastMisses, "0");
    assert.equal(warm.lastToolRuns, "0");
    assert.deepEqual(await counters(page), c0, "the helper ran nothing for the warm build");
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  } finally {
    await browser.close();
    first?.stop();
    second?.stop();
    rmSync(stores, { recursive: true, force: true });
  }
});

test("without the helper's token, or with a helper that has no Go, the page says so and uses the simulation", async () => {
  const noGo = await startHelper(["--go", "/nonexistent/go"]);
  const browser = await launch();
  try {
    // The page opened without the URL the helper printed: no token, so no real toolchain.
    // (The first journey stopped its helper; this one's serves the page as well.)
    const bare = noGo.url.replace(/#.*$/, "");
    const a = await openPage(browser, bare);
    assert.equal((await data(a.page)).realToolchain, "absent");
    assert.equal(await a.page.$eval('#toolchain option[value="real"]', (o) => o.disabled), true);
    assert.equal(await a.page.inputValue("#toolchain"), "simulated");
    assert.match(await a.page.textContent("#toolchain-note"), /^No helper: this page was not opened from the URL `buildlab serve` prints \(it carries the token\), so builds use the simulation of go1\.23's tools\.$/);
    await a.page.close();
    // A helper whose Go is missing: its reason, plainly, and the simulation builds.
    const b = await openPage(browser, noGo.url);
    assert.equal((await data(b.page)).realToolchain, "absent");
    assert.match(await b.page.textContent("#toolchain-note"), /^The helper found no Go \(no Go installation found \(\/nonexistent\/go: not found\); the playground uses the simulated toolchain\), so builds use the simulation\.$/);
    await afterRun(b.page, 0);
    assert.equal((await data(b.page)).lastExit, "0", "the simulated build ran");
    await b.page.screenshot({ path: screenshotPath("real-toolchain-absent"), fullPage: true });
    assert.deepEqual(a.errors.concat(b.errors), []);
  } finally {
    await browser.close();
    noGo.stop();
  }
});
