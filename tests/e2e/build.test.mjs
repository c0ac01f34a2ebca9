// Building in the page, end to end, with the simulated toolchain over the IndexedDB cache:
// issue 8's journey (edit hello, -x, warm, cold vs warm, -a, go clean -cache, -work, the diamond's
// predicted rebuild set) and issue 6's (multi cold, warm, reload, still warm, a code byte in util
// rebuilds exactly what the real go rebuilds; two pages building at once keep the cache sound).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startHelper, launch, openPage, screenshotPath, pageData, afterRun, buildLine, lastOutput } from "./lib.mjs";

let helper;
before(async () => {
  helper = await startHelper();
});
after(() => helper?.stop());

const data = pageData;

/** Waits for build number `n` of this page load to be rendered. */
const builds = (page, n) => afterRun(page, n - 1, 30000);

/**
 * Runs the command line as typed, with the Build button pressed as a hand presses it (down, 60 ms,
 * up: the page asks IndexedDB for its key listing on the way down), and waits for it to be
 * rendered.
 */
const build = (page, line) => buildLine(page, line, { delay: 60, timeout: 30000 });

async function tab(page, id) {
  await page.click(`#tab-${id}`);
}

/** Double-clicks `word` where it first occurs inside `context` in the editor and types `text` over it. */
async function replaceWord(page, context, word, text) {
  const box = await page.evaluate(([context, word]) => {
    for (const line of document.querySelectorAll(".cm-content .cm-line")) {
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const c = n.textContent.indexOf(context);
        if (c < 0) continue;
        const at = c + context.indexOf(word);
        const r = document.createRange();
        r.setStart(n, at);
        r.setEnd(n, at + word.length);
        const b = r.getBoundingClientRect();
        return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
      }
    }
    return null;
  }, [context, word]);
  assert.ok(box, `${word} is in the editor`);
  await page.mouse.dblclick(box.x, box.y);
  await page.keyboard.type(text);
}

test("issue 8: edit hello, build with -x, warm, cold vs warm, -a, clean, -work, the diamond's prediction", async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, helper.url);
    // The page builds the sample once on load: cold, with -x.
    let d = await builds(page, 1);
    assert.equal(d.lastExit, "0");
    assert.ok(Number(d.lastMisses) > 10, `first build is cold: ${d.lastMisses} misses`);
    const firstMs = Number(d.firstBuildMs);
    console.log(`first build visible ${firstMs} ms after navigation`);
    assert.ok(firstMs > 0 && firstMs < 3000, `first build visible after ${firstMs} ms`);

    // Edit hello in the editor and build with -x: main compiles and links, in go's words.
    await page.click(".cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type('\nfunc greet() string { return "hello, gopher" }\n');
    await page.keyboard.press("Control+Enter");
    d = await builds(page, 2);
    let out = await lastOutput(page);
    assert.match(out, /^\$ go build -x -p 2 \.\nWORK=\/tmp\/go-build\d+\n/);
    assert.match(out, /\/pkg\/tool\/linux_amd64\/compile -o \$WORK\/b001\/_pkg_\.a .*-p main /);
    assert.match(out, /\/pkg\/tool\/linux_amd64\/link -o \$WORK\/b001\/exe\/a\.out /);
    assert.match(out, /\nreal\t0m\d\.\d{3}s\n# real is simulated/);
    assert.equal(d.lastCompiled, "example.com/hello");
    await page.screenshot({ path: screenshotPath("build-hello-edited-x"), fullPage: true });

    // Build again: only WORK=… and every action a cache hit on the timeline.
    d = await build(page);
    out = await lastOutput(page);
    assert.match(out, /^\$ go build -x -p 2 \.\nWORK=\/tmp\/go-build\d+\n\nreal\t/);
    assert.equal(d.lastMisses, "0");
    await page.waitForTimeout(50); // the timeline redraws on the next frame
    const kinds = await page.$$eval("#timeline rect.bar", (rs) => rs.map((r) => r.dataset.kind));
    assert.ok(kinds.length > 10, `${kinds.length} bars`);
    assert.deepEqual([...new Set(kinds)], ["cache-hit"]);
    await page.screenshot({ path: screenshotPath("build-hello-warm-timeline"), fullPage: true });

    // Cold vs warm: two runs on one scale with their totals.
    await tab(page, "compare");
    const runs = await page.$$eval("#compare .compare-run h4", (hs) => hs.map((h) => h.textContent));
    assert.equal(runs.length, 2);
    assert.match(runs[0], /^(cold|earlier) — build #\d+total \d/);
    assert.match(runs[1], /^warm — build #3total [\d.]+ ms · 0 misses · \d+ hits/);
    await page.screenshot({ path: screenshotPath("build-cold-vs-warm"), fullPage: true });
    await tab(page, "timeline");

    // -a: everything recompiles.
    await page.check("#flag-a");
    assert.equal(await page.inputValue("#cmdline"), "go build -x -a -p 2 .");
    d = await build(page);
    assert.equal(d.lastHits, "0");
    assert.ok(d.lastCompiled.split(" ").length > 10 && d.lastCompiled.includes("fmt"), d.lastCompiled);
    out = await lastOutput(page);
    assert.ok(out.split("\n").filter((l) => l.includes("/compile ")).length > 10);
    await page.uncheck("#flag-a");

    // go clean -cache: the next build is cold again.
    await page.click('button[data-cmd="go clean -cache"]');
    await page.waitForFunction(() => document.body.dataset.building === "false" && document.querySelector("#terminal").textContent.trimEnd().endsWith("$ go clean -cache"));
    d = await build(page);
    assert.equal(d.lastExit, "0");
    assert.ok(d.lastCompiled.includes("fmt") && d.lastCompiled.includes("runtime"), d.lastCompiled);
    await tab(page, "cache");
    await page.waitForSelector("#cache table.listing");
    assert.match(await page.textContent("#cache-last"), /^0 hits, \d+ misses$|^\d+ hits?, \d+ misses$/);
    await page.screenshot({ path: screenshotPath("build-cache-panel"), fullPage: true });

    // -work after an edit of main: $WORK keeps b001 and its importcfg.
    await page.click(".cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("// kept\n");
    await page.check("#flag-work");
    assert.equal(await page.inputValue("#cmdline"), "go build -x -work -p 2 .");
    d = await build(page);
    await tab(page, "work");
    await page.waitForSelector("#workdir .work-tree");
    const tree = await page.textContent("#workdir .work-tree");
    assert.match(tree, /b001\//);
    assert.match(tree, /importcfg/);
    await page.click('#workdir .work-tree button:text-is("importcfg")');
    assert.match(await page.textContent("#workdir pre"), /^# import config\npackagefile fmt=/);
    await page.screenshot({ path: screenshotPath("build-work-b001"), fullPage: true });
    await page.uncheck("#flag-work");

    // The diamond: build it, edit the leaf, and the graph shows the predicted rebuild set.
    await page.selectOption("#sample", "diamond");
    await page.waitForFunction(() => document.querySelectorAll("#filetree li[data-path]").length === 5);
    d = await build(page, "go build -p 2 .");
    assert.equal(d.lastExit, "0");
    await tab(page, "graph");
    await page.waitForSelector('#graph .gnode.o-miss[data-pkg="example.com/diamond/c"]');
    await page.click('#filetree li[data-path="c/c.go"] button.file');
    await page.waitForFunction(() => document.querySelector("#editor-file").textContent === "c/c.go");
    await page.click(".cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nfunc Extra() int { return 1 }\n");
    await page.waitForSelector("#graph .gnode.predicted", { timeout: 10000 });
    const predicted = await page.$$eval("#graph .gnode.predicted", (ns) => ns.map((n) => n.dataset.pkg).sort());
    assert.ok(predicted.includes("example.com/diamond/c"), predicted.join(" "));
    await page.click('#graph .gnode[data-pkg="example.com/diamond/c"]');
    assert.match(await page.textContent("#graph .node-detail"), /file c\/c\.go/);
    await page.screenshot({ path: screenshotPath("build-diamond-predicted"), fullPage: true });
    // The build then rebuilds what was predicted.
    await tab(page, "timeline");
    d = await build(page);
    assert.deepEqual(d.lastCompiled.split(" ").sort(), predicted);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test("issue 6: multi cold, warm, reload still warm, a code byte in util rebuilds util, internal/a and main", async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, helper.url);
    await builds(page, 1); // hello, on load
    await page.selectOption("#sample", "multi");
    await page.waitForFunction(() => [...document.querySelectorAll("#filetree li[data-path]")].some((li) => li.dataset.path === "util/util.go"));
    let d = await build(page, "go build -p 2 .");
    assert.ok(d.lastCompiled.includes("example.com/multi/util") && d.lastCompiled.includes("example.com/multi/asmadd"), d.lastCompiled);
    assert.equal(d.lastLinked, "example.com/multi");
    d = await build(page);
    assert.equal(d.lastMisses, "0");
    assert.equal(d.lastCompiled, "");
    await page.screenshot({ path: screenshotPath("multi-warm"), fullPage: true });

    // Reload: the page builds multi (the saved sample) on load, and it is still all hits.
    await page.reload();
    d = await builds(page, 1);
    assert.equal(d.lastMisses, "0", "the cache and the binary's build ID survived the reload");
    assert.ok(Number(d.lastHits) > 50);

    // A code byte in util (the oracle's 3-code-byte-util): exactly util, internal/a and main
    // recompile, and the binary relinks.
    await page.click('#filetree li[data-path="util/util.go"] button.file');
    await page.waitForFunction(() => document.querySelector("#editor-file").textContent === "util/util.go");
    await replaceWord(page, "Sprint(ys)", "ys", "xs");
    assert.match(await page.textContent(".cm-content"), /fmt\.Sprint\(xs\)/);
    d = await build(page);
    assert.deepEqual(d.lastCompiled.split(" ").sort(), ["example.com/multi", "example.com/multi/internal/a", "example.com/multi/util"]);
    assert.equal(d.lastLinked, "example.com/multi");
    // The miss explains itself with the input diff (from the record kept in IndexedDB).
    await tab(page, "graph");
    await page.click('#graph .gnode[data-pkg="example.com/multi/util"]');
    assert.match(await page.textContent("#graph .node-detail"), /rebuilt: inputs changed: file util\/util\.go/);
    await page.screenshot({ path: screenshotPath("multi-code-byte-util"), fullPage: true });
    assert.deepEqual(errors, []);

    // Two pages of one profile building at once: both finish, and the cache stays sound.
    const a = (await openPage(browser, helper.url)).page;
    const b = (await openPage(browser, helper.url)).page;
    await builds(a, 1);
    await builds(b, 1);
    for (const p of [a, b]) await p.fill("#cmdline", "go build -a -p 2 .");
    const before = [Number((await data(a)).runs), Number((await data(b)).runs)];
    await Promise.all([a.click("#run"), b.click("#run")]);
    await Promise.all([builds(a, before[0] + 1), builds(b, before[1] + 1)]);
    d = await build(a, "go build -p 2 .");
    assert.equal(d.lastMisses, "0", "after two concurrent -a builds the next one is all hits");
    d = await build(b, "go build -p 2 .");
    assert.equal(d.lastMisses, "0");

    // Page a's inputs settled (the same build again confirms its known records with the key
    // listing asked for as the button goes down), then page b cleans the cache: a's next build
    // sees it and rebuilds everything.
    d = await build(a);
    assert.equal(d.lastMisses, "0");
    assert.equal(JSON.parse(d.lastSimPhases).dry, 0, "settled: no dry run");
    await b.click('button[data-cmd="go clean -cache"]');
    await b.waitForFunction(() => document.body.dataset.building === "false" && document.querySelector("#terminal").textContent.trimEnd().endsWith("$ go clean -cache"));
    d = await build(a);
    assert.ok(Number(d.lastMisses) > 50, d.lastMisses);
    assert.ok(d.lastCompiled.includes("example.com/multi/util") && d.lastCompiled.includes("fmt"), d.lastCompiled);
  } finally {
    await browser.close();
  }
});

test("errors reach the terminal in go's words: syntax errors and a bad flag", async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, helper.url);
    await builds(page, 1);
    await page.click(".cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type('\nfunc broken() { fmt.Println("x" }\n');
    const d = await build(page, "go build .");
    assert.equal(d.lastExit, "1");
    const out = await lastOutput(page);
    assert.match(out, /^\$ go build \.\n# example\.com\/hello\n\.\/main\.go:\d+:\d+: syntax error: unexpected } in argument list; possibly missing comma or \)\n/);
    await page.fill("#cmdline", "go build -foo .");
    await page.click("#run");
    await page.waitForFunction(() => document.querySelector("#terminal").textContent.includes("flag provided but not defined: -foo"));
    await page.waitForFunction(() => document.body.dataset.building === "false");
    assert.match(await lastOutput(page), /^\$ go build -foo \.\nflag provided but not defined: -foo\nusage: go build \[-o output\] \[build flags\] \[packages\]\nRun 'go help build' for details\.\n# exit status 2\n/);
    // The compiler's most common complaint, as go 1.23.5 words it for this file.
    await page.click(".cm-content");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("package main\n\nfunc main() { x := 1 }\n");
    const unused = await build(page, "go build .");
    assert.equal(unused.lastExit, "1");
    assert.match(await lastOutput(page), /^\$ go build \.\n# example\.com\/hello\n\.\/main\.go:3:15: declared and not used: x\n/);
    // Misspelt names, a variable's and fmt's: go 1.23.5's three reports for this file, by position.
    await page.click(".cm-content");
    await page.keyboard.press("Control+A");
    await page.keyboard.type('package main\n\nimport "fmt"\n\nfunc main() { msg := "hi"; fmt.Prinln(mesage) }\n');
    const typo = await build(page, "go build .");
    assert.equal(typo.lastExit, "1");
    assert.match(await lastOutput(page), /^\$ go build \.\n# example\.com\/hello\n\.\/main\.go:5:15: declared and not used: msg\n\.\/main\.go:5:32: undefined: fmt\.Prinln\n\.\/main\.go:5:39: undefined: mesage\n/);
    await page.screenshot({ path: screenshotPath("build-errors"), fullPage: true });
    // A std function's results assigned to one variable, a call short of an argument and one
    // with a string for an int: go 1.23.5's three reports for this file (strconv's result
    // count from the std graph).
    await page.click(".cm-content");
    await page.keyboard.press("Control+A");
    await page.keyboard.type('package main\n\nimport ("fmt"; "strconv")\n\nfunc add(a, b int) int { return a + b }\n\nfunc main() { n := strconv.Atoi("12"); fmt.Println(n, add(1), add("2", 3)) }\n');
    const counts = await build(page, "go build .");
    assert.equal(counts.lastExit, "1");
    assert.match(await lastOutput(page), /^\$ go build \.\n# example\.com\/hello\n\.\/main\.go:7:20: assignment mismatch: 1 variable but strconv\.Atoi returns 2 values\n\.\/main\.go:7:59: not enough arguments in call to add\n\thave \(number\)\n\twant \(int, int\)\n\.\/main\.go:7:67: cannot use "2" \(untyped string constant\) as int value in argument to add\n/);
    await page.screenshot({ path: screenshotPath("build-call-errors"), fullPage: true });
    // Syntax errors as cmd/compile's parser finds them: C's ?: and a statement outside any
    // function, each reported where go 1.23.5 reports it, with the scanner's own complaint.
    await page.click(".cm-content");
    await page.keyboard.press("Control+A");
    await page.keyboard.type('package main\n\nimport "fmt"\n\nfunc main() { x := 1; y := x > 0 ? 1 : 2; fmt.Println(y) }\nfor i := 0; i < 3; i++ {}\n');
    const syntax = await build(page, "go build .");
    assert.equal(syntax.lastExit, "1");
    assert.match(await lastOutput(page), /^\$ go build \.\n# example\.com\/hello\n\.\/main\.go:5:34: invalid character U\+003F '\?'\n\.\/main\.go:5:36: syntax error: unexpected literal 1 at end of statement\n\.\/main\.go:6:1: syntax error: non-declaration statement outside function body\n/);
    await page.screenshot({ path: screenshotPath("build-syntax-errors"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
