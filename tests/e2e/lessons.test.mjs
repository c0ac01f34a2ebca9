// Issue 9's journeys: a lesson step's one-click experiment and its questions checked (in wasm)
// against the build that just ran; a share link opened in a fresh browser (same files, flags and
// recorded trace, then a rebuild); hostile links refused with the codec's sentence, the default
// sample intact and no script run; the embedded layouts; a real go trace imported through the
// file input; the trace exports.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startHelper, launch, openPage, screenshotPath, axeSerious, pageData, afterRun } from "./lib.mjs";

let helper;
let base;
before(async () => {
  helper = await startHelper();
  base = helper.url.replace(/#.*$/, "");
});
after(() => helper?.stop());

const data = pageData;

/** Waits for build number `n` of this page load to be rendered. */
const builds = (page, n) => afterRun(page, n - 1, 60000);

/** The file tree's paths as shown (text), sorted. */
const treeFiles = (page) => page.$$eval("#filetree .file", (els) => els.map((e) => e.textContent.trim()).sort());

/** Answers question `q` of the current step and returns the feedback's verdict and text. */
async function answer(page, q, value) {
  const form = `form.question[data-q="${q}"]`;
  const kind = await page.$eval(form, (f) => (f.querySelector('input[type="radio"]') ? "radio" : f.querySelector('input[type="checkbox"]') ? "checkbox" : "text"));
  if (kind === "radio") await page.check(`${form} input[value="${value}"]`);
  else if (kind === "checkbox") {
    for (const box of await page.$$(`${form} input[type="checkbox"]`)) {
      const v = await box.getAttribute("value");
      if (value.includes(v)) await box.check();
      else await box.uncheck();
    }
  } else await page.fill(`${form} input`, String(value));
  await page.click(`${form} button.check`);
  await page.waitForFunction((f) => document.querySelector(`${f} .feedback`)?.dataset.correct, form);
  return page.$eval(`${form} .feedback`, (el) => ({ correct: el.dataset.correct, text: el.textContent }));
}

test("a lesson step runs its experiment in one click and checks answers against that build", async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, `${base}#lesson=04-cache&step=1`);
    assert.equal(await page.textContent("#step-of"), "Step 1 of 2");
    // The questions wait for the experiment.
    assert.equal(await page.isDisabled('form.question[data-q="0"] button.check'), true);
    await page.click("#lesson-run");
    await page.waitForFunction(() => document.body.dataset.lessonRan === "04-cache/1", null, { timeout: 60000 });
    const d = await data(page);
    assert.equal(d.runs, "2", "the step ran a cold and a warm build through the page's session");
    const term = await page.textContent("#terminal");
    assert.match(term, /\$ go clean -cache/);
    assert.match(term, /\$ go build \./);

    // Right, then wrong, then right again: the verdicts come from the build just run.
    assert.equal((await answer(page, 0, "yes")).correct, "true");
    const wrong = await answer(page, 1, "5");
    assert.equal(wrong.correct, "false");
    assert.match(wrong.text, /The build shows: 0/);
    assert.equal((await answer(page, 1, "0")).correct, "true");
    assert.equal((await answer(page, 2, "55")).correct, "true");
    const bad = await answer(page, 2, "");
    assert.equal(bad.correct, "error");
    assert.match(bad.text, /whole number/);
    await page.screenshot({ path: screenshotPath("lesson-04-step1"), fullPage: true });
    assert.deepEqual(await axeSerious(page), [], "the lesson panel passes axe");

    // Step 2: a set question over the module's packages.
    await page.click("text=Next →");
    assert.equal(await page.textContent("#step-of"), "Step 2 of 2");
    assert.match(await page.evaluate(() => location.hash), /lesson=04-cache&step=2/);
    await page.click("#lesson-run");
    await page.waitForFunction(() => document.body.dataset.lessonRan === "04-cache/2", null, { timeout: 60000 });
    assert.equal((await answer(page, 0, ["example.com/shop/cart"])).correct, "false");
    assert.equal((await answer(page, 0, ["example.com/shop/cart", "example.com/shop/price"])).correct, "true");
    await page.screenshot({ path: screenshotPath("lesson-04-step2"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test("share: the link reproduces the workspace, flags and recorded trace in a fresh browser, then rebuilds", async () => {
  const a = await launch();
  let url;
  let files;
  try {
    const { page, errors } = await openPage(a, base);
    await builds(page, 1);
    // An edit and a different command line, so that the link has something to carry.
    await page.click(".cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\n// shared edit\n");
    await page.fill("#cmdline", "go build -x -p 3 .");
    await page.click("#run");
    await builds(page, 2);
    await page.click("#share");
    await page.waitForFunction(() => document.body.dataset.shareUrl);
    url = (await data(page)).shareUrl;
    assert.match(url, /#share=1\.[A-Za-z0-9_-]+$/);
    assert.equal(await page.inputValue("#share-url"), url);
    files = await treeFiles(page);
    await page.screenshot({ path: screenshotPath("share-made"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await a.close();
  }

  const b = await launch(); // a fresh profile: empty IndexedDB
  try {
    const { page, errors } = await openPage(b, url);
    const d = await data(page);
    assert.equal(d.shared, "2", "two recorded builds");
    assert.equal(d.runs, undefined, "nothing was built on open");
    assert.deepEqual(await treeFiles(page), files);
    assert.equal(await page.inputValue("#cmdline"), "go build -x -p 3 .");
    assert.equal(await page.isChecked("#flag-x"), true);
    assert.match(await page.textContent(".cm-content"), /\/\/ shared edit/);
    assert.ok((await page.$$("#timeline .bar")).length > 0, "the recorded trace is drawn");
    assert.match(await page.textContent("#shared-note"), /2 recorded builds/);
    await page.click("#tab-compare");
    assert.ok((await page.$$("#compare .bar")).length > 0, "cold vs warm from the recorded traces");
    await page.screenshot({ path: screenshotPath("share-opened"), fullPage: true });
    await page.click("#rebuild");
    const r = await builds(page, 1);
    assert.equal(r.lastExit, "0");
    assert.ok(Number(r.lastMisses) > 0, "a fresh browser's cache is cold");
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

test("hostile share links: the codec's sentence, the default sample intact, no script run", async () => {
  const browser = await launch();
  try {
    // A well-formed link whose file names and contents are markup: shown as text, never run.
    const { page: maker } = await openPage(browser, `${base}#preset=hello`);
    const evil = await maker.evaluate(async () => {
      // Share links are made by the full wasm module (the first load's has no codec).
      const full = await import(new URL("buildlab-web-full.js", document.baseURI).href);
      await full.default();
      const lab = await full.Lab.open("buildlab-e2e-evil");
      lab.loadFiles([
        { path: "go.mod", text: "module example.com/evil\n\ngo 1.23\n" },
        { path: "main.go", text: "package main\n\n// </script><script>window.__pwned = 1</script>\nfunc main() {}\n" },
        { path: "<img src=x onerror=\"window.__pwned=1;alert(1)\">.go", text: "<script>window.__pwned = 1</script>" },
        { path: "<script>window.__pwned=1<", text: "x" },
      ]);
      return lab.shareLink({ argv: ["go", "build", "<script>alert(1)</script>"], cpus: 2 });
    });
    await maker.close();

    const cases = [
      ["oversized", `1.${"A".repeat((1 << 20) + 10)}`, /too long/],
      ["garbage", "garbage!!", /not a Buildlab share link|unknown format/],
      ["newer", "9.xxx", /newer Buildlab \(format 9\); this page reads format 1/],
      ["damaged", "1.AAAA$$", /damaged/],
      ["corrupt", "1.q83vEjRWeJA", /damaged|invalid/],
    ];
    for (const [name, token, message] of cases) {
      const page = await browser.context.newPage();
      let dialogs = 0;
      page.on("dialog", (d) => { dialogs++; d.dismiss(); });
      await page.goto(`${base}#share=${token}`);
      await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 30000 });
      const note = await page.textContent("#shared-note");
      assert.match(note, message, `${name}: ${note}`);
      assert.match(note, /cannot be opened/);
      assert.equal(await page.isVisible("#shared-note"), true);
      assert.deepEqual(await treeFiles(page), ["go.mod", "main.go"], `${name}: the default sample is open`);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.equal(dialogs, 0);
      if (name === "newer") await page.screenshot({ path: screenshotPath("share-hostile-newer"), fullPage: true });
      await page.close();
    }

    const page = await browser.context.newPage();
    let dialogs = 0;
    page.on("dialog", (d) => { dialogs++; d.dismiss(); });
    await page.goto(`${base}#share=${evil}`);
    await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 30000 });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(dialogs, 0);
    const tree = await page.textContent("#filetree");
    assert.ok(tree.includes("<img src=x onerror=\"window.__pwned=1;alert(1)\">.go"), `the name is shown as text: ${tree}`);
    assert.equal(await page.$$eval("#filetree img, #filetree script", (els) => els.length), 0);
    assert.equal(await page.inputValue("#cmdline"), "go build <script>alert(1)</script>");
    await page.screenshot({ path: screenshotPath("share-hostile-markup"), fullPage: true });
  } finally {
    await browser.close();
  }
});

test("embedded layouts: a lesson step, a preset that builds once, an unknown name reported", async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, `${base}#lesson=05-myth-delete-binary&step=1&embed=1`);
    await page.setViewportSize({ width: 900, height: 700 });
    assert.equal(await page.isVisible("header.top"), false);
    assert.equal(await page.isVisible(".files-pane"), false);
    assert.equal(await page.isVisible(".lesson-list"), false);
    assert.equal(await page.isVisible("#lesson-run"), true);
    assert.equal(await page.isVisible("#timeline"), true);
    assert.equal(await page.isVisible("#terminal"), true);
    await page.click("#lesson-run");
    await page.waitForFunction(() => document.body.dataset.lessonRan, null, { timeout: 60000 });
    assert.equal((await answer(page, 1, "yes")).correct, "true");
    await page.screenshot({ path: screenshotPath("embed-lesson"), fullPage: true });
    assert.deepEqual(errors, []);

    const preset = await browser.context.newPage();
    await preset.setViewportSize({ width: 900, height: 700 });
    await preset.goto(`${base}#preset=multi&run=1&embed=1`);
    await builds(preset, 1);
    assert.equal(await preset.isVisible("header.top"), false);
    assert.equal(await preset.isVisible(".files-pane"), false);
    assert.equal(await preset.isVisible(".editor-pane"), true);
    assert.equal(await preset.inputValue("#sample"), "multi");
    await preset.screenshot({ path: screenshotPath("embed-preset"), fullPage: true });

    const unknown = await browser.context.newPage();
    await unknown.goto(`${base}#lesson=<b>nope</b>&embed=1`);
    await unknown.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 30000 });
    assert.match(await unknown.textContent("#shared-note"), /no lesson named “<b>nope<\/b>”/);
    assert.equal(await unknown.$$eval("#shared-note b", (e) => e.length), 0);
  } finally {
    await browser.close();
  }
});

test("a real go trace imported through the file input shows in the timeline; exports download", async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, base);
    await builds(page, 1);
    await page.setInputFiles("#trace-file", "/work/shared/oracle/multi/trace-cold.json");
    await page.waitForFunction(() => document.body.dataset.imported);
    // The trace names 59 packages (go list -deps's 59: its load events); `unsafe` is built into
    // the compiler and runs no action, so 58 of them have a build span. The page says both.
    const d = await data(page);
    assert.equal(d.imported, "59");
    assert.equal(d.importedActions, "58");
    assert.match(await page.textContent("#status"), /trace-cold\.json \(go build -debug-trace\): 58 build actions, 59 packages/);
    assert.equal(await page.isVisible("#timeline-caption"), true);
    const caption = await page.textContent("#timeline-caption");
    assert.match(caption, /^trace-cold\.json — go build -debug-trace, real timings, read-only: 58 build actions, 59 packages \(no action for unsafe: it is built into the compiler\)/);
    const deps = readFileSync("/work/shared/oracle/multi/go-list-deps.json", "utf8").match(/^\t"ImportPath": /gm);
    assert.equal(deps.length, 59, "go list -deps of the module names as many");
    const labels = await page.$$eval("#timeline .bar", (els) => els.length);
    assert.ok(labels >= 58, `${labels} bars`);
    assert.match(await page.textContent("#timeline"), /runtime/);
    await page.screenshot({ path: screenshotPath("import-trace"), fullPage: true });

    // Export what is shown (the imported trace) as a Chrome trace, then build and export the
    // build's trace and action graph.
    const [chrome] = await Promise.all([page.waitForEvent("download"), page.click("#export-chrome")]);
    assert.equal(chrome.suggestedFilename(), "buildlab-trace.json");
    const events = JSON.parse(readFileSync(await chrome.path(), "utf8"));
    assert.ok(Array.isArray(events) && events.some((e) => e.ph === "B" && /Executing action/.test(e.name)));
    await page.click("#run");
    await builds(page, 2);
    assert.equal(await page.isVisible("#timeline-caption"), false, "a build replaces the imported trace");
    const [graph] = await Promise.all([page.waitForEvent("download"), page.click("#export-graph")]);
    const actions = JSON.parse(readFileSync(await graph.path(), "utf8"));
    assert.ok(Array.isArray(actions) && actions.some((a) => a.Mode === "link" && a.Package === "example.com/hello"), "the action graph of the build");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
