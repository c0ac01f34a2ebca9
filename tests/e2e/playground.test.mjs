// Journeys through the playground's page that hold whatever the engine's exports are: the page
// loads cleanly, samples switch, CodeMirror edits and undoes, Ctrl+Enter runs the command line,
// the flag toggles and the command line stay in step, the theme toggles, files are added, renamed
// and deleted, and axe-core finds no serious or critical accessibility violation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withHelperAndBrowser, openPage, axeSerious, screenshotPath } from "./lib.mjs";

let helper, browser;
withHelperAndBrowser((h, b) => ([helper, browser] = [h, b]));

const treeFiles = (page) => page.$$eval("#filetree li[data-path]", (lis) => lis.map((li) => li.dataset.path));

test("the page loads the hello sample into the tree and a Go-highlighting editor, without console errors", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  assert.deepEqual(await treeFiles(page), ["go.mod", "main.go"]);
  assert.equal(await page.textContent("#editor-file"), "main.go");
  assert.match(await page.textContent(".cm-content"), /func main\(\) \{ fmt\.Println\("hi"\) \}/);
  // lang-go's highlighter gave the keyword its own styled span
  const kw = await page.$$eval(".cm-content .cm-line span", (spans) => spans.filter((s) => s.textContent === "func").map((s) => getComputedStyle(s).color));
  assert.equal(kw.length, 1);
  assert.notEqual(kw[0], await page.$eval(".cm-content", (el) => getComputedStyle(el).color));
  assert.ok(await page.isVisible(".cm-lineNumbers"), "line numbers are shown");
  await page.screenshot({ path: screenshotPath("playground-hello"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("switching samples replaces the workspace and keeps edits of the one left", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  await page.click(".cm-content");
  await page.keyboard.press("Control+End");
  await page.keyboard.type("\n// edited");
  await page.selectOption("#sample", "diamond");
  await page.waitForFunction(() => document.querySelector("#editor-file").textContent === "main.go" && document.querySelectorAll("#filetree li[data-path]").length === 5);
  assert.deepEqual(await treeFiles(page), ["go.mod", "main.go", "a/a.go", "b/b.go", "c/c.go"]);
  assert.match(await page.textContent(".cm-content"), /example\.com\/diamond\/a/);
  await page.selectOption("#sample", "multi");
  await page.waitForFunction(() => [...document.querySelectorAll("#filetree li[data-path]")].some((li) => li.dataset.path === "asmadd/add_amd64.s"));
  await page.selectOption("#sample", "hello");
  await page.waitForFunction(() => document.querySelectorAll("#filetree li[data-path]").length === 2);
  assert.match(await page.textContent(".cm-content"), /\/\/ edited/);
  await page.reload();
  await page.waitForSelector("body[data-ready=true]", { state: "attached" });
  assert.equal(await page.inputValue("#sample"), "hello", "the chosen sample is a saved setting");
  assert.deepEqual(errors, []);
  await page.close();
});

test("CodeMirror edits, undoes with Ctrl+Z, and Ctrl+Enter runs the command line", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  const before = await page.textContent(".cm-content");
  await page.click(".cm-content");
  await page.keyboard.press("Control+End");
  await page.keyboard.type("\nvar x = 1");
  assert.match(await page.textContent(".cm-content"), /var x = 1/);
  await page.keyboard.press("Control+z");
  assert.equal(await page.textContent(".cm-content"), before);
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(() => document.querySelector("#terminal").textContent.includes("$ go build -x -p 2 ."));
  // Whatever the engine has: either it ran (a transcript) or the page said what is missing.
  await page.waitForFunction(() => document.body.dataset.building === "false");
  const term = await page.textContent("#terminal");
  assert.ok(/WORK=|Not available|no `build` export/.test(term), term);
  await page.screenshot({ path: screenshotPath("playground-after-ctrl-enter"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("the flag toggles and the editable command line stay in step", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  assert.equal(await page.inputValue("#cmdline"), "go build -x -p 2 .");
  await page.check("#flag-a");
  assert.equal(await page.inputValue("#cmdline"), "go build -x -a -p 2 .");
  await page.check("#flag-work");
  await page.uncheck("#flag-x");
  await page.fill("#flag-p", "4");
  await page.dispatchEvent("#flag-p", "change");
  assert.equal(await page.inputValue("#cmdline"), "go build -work -a -p 4 .");
  await page.fill("#cmdline", "go build -n -p=3 ./...");
  assert.equal(await page.isChecked("#flag-n"), true);
  assert.equal(await page.isChecked("#flag-a"), false);
  assert.equal(await page.isChecked("#flag-work"), false);
  assert.equal(await page.inputValue("#flag-p"), "3");
  await page.check("#flag-x");
  assert.equal(await page.inputValue("#cmdline"), "go build -x -n -p 3 ./...");
  // The cache commands echo into the terminal.
  await page.click('button[data-cmd="go env GOCACHE"]');
  await page.waitForFunction(() => document.querySelector("#terminal").textContent.includes("$ go env GOCACHE"));
  // Real Go is offered exactly when the helper reports one (real-toolchain.test.mjs builds with
  // it); otherwise the page says why builds use the simulation.
  const available = (await page.evaluate(() => document.body.dataset.realToolchain)) === "available";
  assert.equal(await page.$eval('#toolchain option[value="real"]', (o) => o.disabled), !available);
  if (!available) assert.match(await page.textContent("#toolchain-note"), /simulation/);
  await page.fill("#cmdline", "go build -x -p 2 ."); // the line is a saved setting: leave the default
  assert.deepEqual(errors, []);
  await page.close();
});

test("the theme toggle cycles system, light and dark, and is remembered", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const system = await bg();
  await page.click("#theme");
  assert.equal(await page.getAttribute("html", "data-theme"), "light");
  const light = await bg();
  await page.click("#theme");
  assert.equal(await page.getAttribute("html", "data-theme"), "dark");
  const dark = await bg();
  assert.notEqual(light, dark);
  assert.equal(system, light, "headless Chromium prefers light");
  await page.screenshot({ path: screenshotPath("playground-dark"), fullPage: true });
  await page.reload();
  await page.waitForSelector("body[data-ready=true]", { state: "attached" });
  assert.equal(await page.getAttribute("html", "data-theme"), "dark");
  assert.equal(await bg(), dark);
  await page.click("#theme");
  assert.equal(await page.getAttribute("html", "data-theme"), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test("files are added, renamed and deleted in the tree, with bad names refused", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  await page.click("#file-add");
  await page.fill('input[aria-label="New file path"]', "util/util.go");
  await page.keyboard.press("Enter");
  assert.deepEqual(await treeFiles(page), ["go.mod", "main.go", "util/util.go"]);
  assert.equal(await page.textContent("#editor-file"), "util/util.go");
  assert.match(await page.textContent(".cm-content"), /^package util/);

  // a duplicate is refused with the reason
  await page.click("#file-add");
  await page.fill('input[aria-label="New file path"]', "main.go");
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("#filetree [role=alert]"), /already exists/);
  await page.keyboard.press("Escape");

  await page.click('button[aria-label="Rename util/util.go"]');
  await page.fill('input[aria-label="New path for util/util.go"]', "util/strings.go");
  await page.keyboard.press("Enter");
  assert.deepEqual(await treeFiles(page), ["go.mod", "main.go", "util/strings.go"]);
  assert.equal(await page.textContent("#editor-file"), "util/strings.go");

  await page.click('button[aria-label="Rename go.mod"]');
  await page.fill('input[aria-label="New path for go.mod"]', "../go.mod");
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("#filetree [role=alert]"), /not allowed/);
  await page.keyboard.press("Escape");

  await page.click('button[aria-label="Delete util/strings.go"]');
  await page.screenshot({ path: screenshotPath("playground-delete-confirm") });
  await page.click('#filetree .confirm button:has-text("Delete")');
  assert.deepEqual(await treeFiles(page), ["go.mod", "main.go"]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("axe-core finds no serious or critical violations, in both themes and on every view", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  const found = [];
  for (const theme of ["light", "dark"]) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    for (const tab of ["#tab-timeline", "#tab-compare", "#tab-graph", "#tab-cache", "#tab-work"]) {
      await page.click(tab);
      for (const v of await axeSerious(page)) found.push({ theme, tab, ...v });
    }
  }
  // keyboard: the tabs move with the arrow keys
  await page.focus("#tab-timeline");
  await page.click("#tab-timeline");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tab-compare");
  assert.equal(await page.isVisible("#view-compare"), true);
  assert.deepEqual(found, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the engine answers the cache commands and the graph shows the diamond's packages from its plan", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  await page.click('button[data-cmd="go env GOCACHE"]');
  await page.waitForFunction(() => /\$ go env GOCACHE\n\/\S+go-build\n/.test(document.querySelector("#terminal").textContent));
  await page.click('button[data-cmd="du -sh $GOCACHE"]');
  await page.waitForFunction(() => /\$ du -sh \$GOCACHE\n\S+\t\/\S+go-build\n/.test(document.querySelector("#terminal").textContent));
  await page.selectOption("#sample", "diamond");
  await page.click("#tab-graph");
  await page.waitForSelector('#graph .gnode[data-pkg="example.com/diamond/c"]');
  const pkgs = await page.$$eval("#graph .gnode", (ns) => ns.map((n) => n.dataset.pkg).sort());
  assert.deepEqual(pkgs, ["example.com/diamond", "example.com/diamond/a", "example.com/diamond/b", "example.com/diamond/c"]);
  await page.click('#graph .gnode[data-pkg="example.com/diamond/a"]');
  assert.match(await page.textContent("#graph .node-detail"), /example\.com\/diamond\/c/);
  await page.click("#tab-cache");
  await page.waitForFunction(() => !document.querySelector("#cache").textContent.includes("Loading"));
  await page.screenshot({ path: screenshotPath("playground-diamond-graph-cache"), fullPage: true });
  await page.selectOption("#sample", "hello");
  assert.deepEqual(errors, []);
  await page.close();
});
