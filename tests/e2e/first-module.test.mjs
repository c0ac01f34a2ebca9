// Journey: the first module is the first build. The page builds hello on load with the
// first-load wasm module (no full module requested before that build is on screen); then, while
// the browser is idle, it fetches and compiles the full module without switching to it (the
// skeleton's facts, free functions of the full module, are shown from it); the first edit
// switches the session to it (the prediction is the full module's) with nothing lost: the build
// history, the action ID inputs the first module's build hashed, and the cache in IndexedDB,
// which the next build hits.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ROOT, withHelperAndBrowser, screenshotPath, openPage, FULL_MODULE, buildLine, pageData } from "./lib.mjs";

/** A txtar archive's files as the page loads them ({ path, text }), its comment left out. */
function readTxtar(file) {
  const files = [];
  for (const line of fs.readFileSync(file, "utf8").split(/(?<=\n)/)) {
    const m = /^-- (.+) --\n$/.exec(line);
    if (m) files.push({ path: m[1].trim(), text: "" });
    else if (files.length) files[files.length - 1].text += line;
  }
  return files;
}

let helper, browser;
withHelperAndBrowser((h, b) => ([helper, browser] = [h, b]));

/** How many times the full module's wasm and script were requested. */
const fullRequests = (fetched) => fetched.filter((p) => FULL_MODULE.test(p)).length;

test("the first module builds, the full one is prefetched when idle, and the first edit switches to it with nothing lost", async () => {
  const { page, errors, fetched } = await openPage(browser, helper.url);
  await page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 30000 });
  let d = await pageData(page);
  assert.equal(d.wasmModule, "first", "the first build runs on the first-load module");
  assert.equal(d.lastExit, "0");
  assert.equal(d.runs, "1");
  const firstCompiled = d.lastCompiled;
  assert.match(firstCompiled, /\bexample\.com\/hello\b/);

  // Nothing of the full module started before the first build was on screen.
  const early = await page.evaluate(() => {
    const shown = Number(document.body.dataset.firstBuildMs);
    return performance.getEntriesByType("resource").filter((e) => e.startTime < shown).map((e) => new URL(e.name).pathname).join(" ");
  });
  assert.doesNotMatch(early, FULL_MODULE, early);

  // The prefetch: the full module's two files, once each, and no switch.
  await page.waitForSelector("body[data-full-prefetched=true]", { state: "attached", timeout: 30000 });
  assert.equal(fullRequests(fetched), 2, fetched.join(" "));
  assert.equal((await pageData(page)).wasmModule, "first", "the prefetch does not switch the session");
  // The skeleton's facts come from the prefetched module.
  await page.waitForSelector("body[data-about=true]", { state: "attached", timeout: 30000 });
  assert.equal(await page.textContent("#module"), "example.com/hello");
  assert.match(await page.textContent("#digest"), /^[0-9a-f]{64}$/);
  assert.match(await page.textContent("#visit"), /^First visit: a record was written to IndexedDB\./);

  // The first edit: the prediction needs the full module, which the session switches to.
  await page.waitForSelector(".cm-content", { timeout: 30000 });
  await page.click(".cm-content");
  await page.keyboard.press("Control+End");
  await page.keyboard.type("\nvar edited = 1\n");
  await page.waitForFunction(() => document.body.dataset.wasmModule === "full", null, { timeout: 30000 });
  assert.equal(fullRequests(fetched), 2, `the switch used the prefetched module: ${fetched.join(" ")}`);

  // Nothing lost: the graph shows the first build's outcome and the inputs it hashed, then the
  // prediction of the edit; the compare view still has the first build.
  await page.click("#tab-graph");
  await page.waitForSelector('#graph .gnode[data-pkg="example.com/hello"].predicted', { timeout: 30000 });
  await page.click('#graph .gnode[data-pkg="example.com/hello"]');
  const detail = await page.textContent("#graph .node-detail");
  assert.match(detail, /Action ID inputs/, detail);
  assert.match(detail, /main\.go/, detail);
  assert.match(detail, /Predicted/, detail);
  await page.screenshot({ path: screenshotPath("first-module-switched"), fullPage: true });

  // The next build is on the full module, over the cache the first one wrote: only the edited
  // package and the link run; std comes from the cache.
  d = await buildLine(page, "go build -x .");
  assert.equal(d.lastExit, "0");
  assert.equal(d.wasmModule, "full");
  assert.equal(d.runs, "2");
  assert.equal(d.lastCompiled, "example.com/hello");
  assert.ok(Number(d.lastHits) > 0, `hits: ${d.lastHits}`);
  await page.click("#tab-compare");
  assert.match(await page.textContent("#compare"), /#1/);
  assert.match(await page.textContent("#compare"), /#2/);
  await page.screenshot({ path: screenshotPath("first-module-second-build"), fullPage: true });


  // The first module reads a go.mod of a `module` and a `go` line (every sample's) and hands
  // a richer one to the full module (engine.js builds again there, as for -work), before it
  // reads or writes anything; the full module builds it.
  // One build of `files` on a fresh Lab of the first module or the full one: `exit N:` and
  // what `show` picks of the result ("compiled" module packages, or the "output"), or the
  // refusal's message.
  const buildOn = (which, name, files, argv, show) => page.evaluate(async ({ which, name, files, argv, show }) => {
    const m = which === "first" ? window.wasmBindings : await import(new URL("buildlab-web-full.js", document.baseURI).href);
    if (which !== "first") await m.default();
    const lab = await m.Lab.open(`e2e-${name}-${which}`);
    lab.loadFiles(files);
    try {
      const r = await lab.build({ argv, cpus: 2 }, () => {});
      const shown = show === "output" ? r.output : r.compiled.filter((p) => p.startsWith("example.com/")).join(" ");
      return `exit ${r.exitCode}: ${shown}`;
    } catch (e) {
      return e.message || String(e);
    }
  }, { which, name, files, argv, show });
  const gomod = [
    { path: "go.mod", text: "module example.com/app\n\ngo 1.23\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./lib\n" },
    { path: "main.go", text: 'package main\n\nimport "example.com/lib"\n\nfunc main() { lib.F() }\n' },
    { path: "lib/go.mod", text: "module example.com/lib\n\ngo 1.23\n" },
    { path: "lib/lib.go", text: "package lib\n\nfunc F() {}\n" },
  ];
  const build = ["go", "build", "."];
  assert.equal(await buildOn("first", "gomod", gomod, build, "compiled"), "this module builds only what a sample's first build needs (the samples' Go files as they ship, without exported functions; no -work tree, build settings, cgo commands, //go:embed directives, go.mod beyond module and go lines, package patterns beyond directories, or errors before the build): the page loads the full module for the rest");
  assert.equal(await buildOn("full", "gomod", gomod, build, "compiled"), "exit 0: example.com/app example.com/lib");
  // So does a pattern other than a directory's (named files here).
  const hello = [
    { path: "go.mod", text: "module example.com/hello\n\ngo 1.23\n" },
    { path: "main.go", text: "package main\n\nfunc main() {}\n" },
  ];
  assert.match(await buildOn("first", "named", hello, ["go", "build", "main.go"], "compiled"), /^this module builds only what a sample's first build needs/);
  // A Go file other than a sample's as it ships (the first module has no compile checks): the
  // full module builds it, with cmd/compile's parser's errors in go 1.23.5's words.
  const broken = [
    { path: "go.mod", text: "module example.com/hello\n\ngo 1.23\n" },
    { path: "main.go", text: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hi")\n' },
  ];
  assert.match(await buildOn("first", "edited", broken, build, "output"), /^this module builds only what a sample's first build needs \(the samples' Go files as they ship,/);
  assert.equal(await buildOn("full", "edited", broken, build, "output"), "exit 1: # example.com/hello\n./main.go:7:1: syntax error: unexpected EOF, expected }\n");
  // And a `//go:embed` directive (cmd/compile's checks of them are the full module's), which
  // the full module judges as go 1.23.5 does: this file does not import "embed".
  const embed = [
    { path: "go.mod", text: "module example.com/embx\n\ngo 1.23\n" },
    { path: "hello.txt", text: "hi\n" },
    { path: "main.go", text: 'package main\n\nimport "fmt"\n\n//go:embed hello.txt\nvar greeting string\n\nfunc main() { fmt.Print(greeting) }\n' },
  ];
  assert.match(await buildOn("first", "embed", embed, build, "output"), /^this module builds only what a sample's first build needs/);
  assert.equal(await buildOn("full", "embed", embed, build, "output"), 'exit 1: # example.com/embx\n./main.go:5:3: go:embed only allowed in Go files that import "embed"\n');
  // What the first module writes, the full one reads: its build of each sample it builds,
  // into one IndexedDB database, is all hits for the full module (the same action IDs, the
  // same objects), as the session's switch relies on.
  for (const sample of ["hello", "webjson"]) {
    const files = readTxtar(path.join(ROOT, `www/samples/${sample}.txtar`));
    const compiled = await page.evaluate(async ({ files, build, db }) => {
      const full = await import(new URL("buildlab-web-full.js", document.baseURI).href);
      await full.default();
      const out = [];
      for (const m of [window.wasmBindings, full]) {
        const lab = await m.Lab.open(db);
        lab.loadFiles(files);
        const r = await lab.build({ argv: build, cpus: 2 }, () => {});
        out.push(`exit ${r.exitCode}: ${r.compiled.length} compiled`);
        lab.free();
      }
      return out;
    }, { files, build, db: `e2e-shared-${sample}` });
    assert.equal(compiled[1], "exit 0: 0 compiled", `${sample}: ${compiled.join("; ")}`);
    assert.match(compiled[0], /^exit 0: [1-9]\d* compiled$/, `${sample}: ${compiled.join("; ")}`);
  }

  // Two copies of hello's main.go in one directory: each a sample's file as it ships, but
  // together they declare main twice, which only the full module's checks see; it fails as go
  // 1.23.5 does.
  const twice = readTxtar(path.join(ROOT, "www/samples/hello.txtar"));
  twice.push({ path: "main2.go", text: twice.find((f) => f.path === "main.go").text });
  assert.match(await buildOn("first", "twice", twice, build, "output"), /^this module builds only what a sample's first build needs/);
  assert.equal(await buildOn("full", "twice", twice, build, "output"), "exit 1: # example.com/hello\n./main2.go:5:6: main redeclared in this block\n\t./main.go:5:6: other declaration of main\n");
  // And a sample's own files with an exported function (diamond's libraries): the escape
  // analysis that gives their export data's escape tags is the full module's; hello has none.
  const diamond = readTxtar(path.join(ROOT, "www/samples/diamond.txtar"));
  assert.match(await buildOn("first", "diamond", diamond, build, "output"), /^this module builds only what a sample's first build needs/);
  assert.match(await buildOn("full", "diamond", diamond, build, "compiled"), /^exit 0: example\.com\/diamond\b/);
  assert.deepEqual(errors, []);
  await page.close();
});
