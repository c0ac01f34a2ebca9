// Journey: cgo's commands and -work's tree live in the full wasm module. The first-load module
// builds a module without cgo under -n as before; a -n build whose plan has cgo steps (webjson:
// net and runtime/cgo) makes the page fetch the full module and run the build there, which
// prints the cgo tool's and gcc's commands as go does; so does a -work build, which keeps $WORK,
// and a build with settings (-trimpath, -tags, -gcflags…), whose command lines change.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startHelper, launch, screenshotPath, openPage, FULL_MODULE, buildLine, lastOutput, pageData } from "./lib.mjs";

// Each test has a browser of its own: the page keeps its command line and sample in the
// profile, and the first build on load would otherwise run the last test's command.
let helper;
const browsers = [];
before(async () => {
  helper = await startHelper();
});
after(async () => {
  for (const b of browsers) await b.close();
  helper?.stop();
});

/** A page in a fresh browser profile, its first build done (see `openPage`). */
async function freshPage() {
  const browser = await launch();
  browsers.push(browser);
  const opened = await openPage(browser, helper.url);
  await opened.page.waitForSelector("body[data-first-build-ms]", { state: "attached", timeout: 30000 });
  await opened.page.waitForFunction(() => document.body.dataset.building === "false", null, { timeout: 30000 });
  return opened;
}

/** Runs the command line as typed and waits for its build to be rendered. */
const build = (page, line) => buildLine(page, line);

test("a -work build runs on the full module and keeps $WORK", async () => {
  const { page, errors, fetched } = await freshPage();
  // The first test of a fresh profile: the page opens hello.
  assert.match(await page.textContent("#editor-file"), /main\.go/);
  assert.equal((await pageData(page)).wasmModule, "first");

  const d = await build(page, "go build -a -work .");
  const out = await lastOutput(page);
  assert.equal(d.lastExit, "0", out);
  assert.match(fetched.join(" "), FULL_MODULE);
  assert.equal(d.wasmModule, "full", "the build ran on the full module for -work");
  // go prints WORK= first and keeps the directory: the main package's importcfg is in it.
  assert.match(out, /^WORK=\/tmp\/go-build\d+$/m, out);
  await page.click("#tab-work");
  await page.waitForSelector("#workdir .work-tree", { timeout: 30000 });
  const tree = await page.textContent("#workdir .work-tree");
  assert.match(tree, /b001\//, tree);
  assert.match(tree, /importcfg/, tree);
  await page.screenshot({ path: screenshotPath("full-module-work"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a -n build with cgo steps runs on the full module and prints cgo's commands", async () => {
  const { page, errors, fetched } = await freshPage();

  // hello has no cgo step: -n stays on the first-load module (-a: hello was built on load).
  let d = await build(page, "go build -a -n .");
  assert.equal(d.lastExit, "0", await lastOutput(page));
  let out = await lastOutput(page);
  assert.match(out, /\/compile -o \$WORK\/b001\/_pkg_\.a /, out);
  assert.doesNotMatch(out, /\/cgo -objdir/, out);
  assert.equal(d.wasmModule, "first", "no cgo step: the first module built");
  // go ran nothing: the status line says what it would have rebuilt, not that it did.
  assert.match(await page.textContent("#status"), /^Build #\d+ \(-n\): would rebuild [1-9]\d*, nothing ran, 0 from the cache; /);

  // webjson pulls in net and runtime/cgo: the same command needs cgo's commands.
  await page.selectOption("#sample", "webjson");
  await page.waitForFunction(() => document.body.dataset.building === "false" && /net\/http/.test(document.querySelector("#status")?.textContent), null, { timeout: 30000 });
  d = await build(page, "go build -a -n .");
  out = await lastOutput(page);
  assert.equal(d.lastExit, "0", out);
  assert.equal(d.wasmModule, "full", "the build ran on the full module for cgo's commands");
  // go's lines for runtime/cgo (compare tests/fixtures/cgo/expect/build-n.txt): the cgo tool,
  // then gcc's probes, which -n prints and answers no.
  assert.match(out, /^TERM='dumb' CGO_LDFLAGS='' \S+\/pkg\/tool\/linux_amd64\/cgo -objdir \$WORK\/b\d+\/ -importpath runtime\/cgo -import_runtime_cgo=false -import_syscall=false /m, out);
  assert.match(out, /^gcc -fno-caret-diagnostics -O2 -g -c -x c - -o \/dev\/null \|\| true$/m, out);
  assert.match(out, /\/cgo -objdir \$WORK\/b\d+\/ -importpath net /, out);
  await page.screenshot({ path: screenshotPath("full-module-cgo-commands"), fullPage: true });

  // The session goes on in the full module: a build of the same workspace, then one of all hits.
  d = await build(page, "go build .");
  assert.equal(d.lastExit, "0", await lastOutput(page));
  d = await build(page, "go build .");
  assert.equal(d.lastMisses, "0", JSON.stringify(d));
  assert.deepEqual(errors, []);
  await page.close();
});

test("a build with -trimpath and -gcflags runs on the full module as go would", async () => {
  const { page, errors, fetched } = await freshPage();
  assert.equal((await pageData(page)).wasmModule, "first");
  let d = await build(page, "go build -x -trimpath -gcflags=all=-N -ldflags=-s .");
  let out = await lastOutput(page);
  assert.equal(d.lastExit, "0", out);
  assert.match(fetched.join(" "), FULL_MODULE);
  assert.equal(d.wasmModule, "full", "the build ran on the full module for its settings");
  // hello's main: the directory rewritten to the import path, -N after -c, the link's GOROOT
  // cleared and -s before -extld (go 1.23.5's lines for this command).
  assert.match(out, /compile -o \$WORK\/b001\/_pkg_\.a -trimpath "[^"]+=>example\.com\/hello;\$WORK\/b001=>" -p main .* -c=\d+ -N -nolocalimports /, out);
  assert.match(out, /^GOROOT='' \S+\/link .* -s -extld=gcc /m, out);
  await page.screenshot({ path: screenshotPath("full-module-settings"), fullPage: true });
  // The same settings again: nothing to rebuild. A tag std tests is refused in so many words.
  d = await build(page, "go build -trimpath -gcflags=all=-N -ldflags=-s .");
  assert.equal(d.lastMisses, "0", JSON.stringify(d));
  // (A load error is not a run: wait for its words.)
  await page.fill("#cmdline", "go build -tags=netgo .");
  await page.click("#run");
  await page.waitForFunction(() => document.querySelector("#terminal").textContent.includes("buildlab: -tags netgo"), null, { timeout: 30000 });
  await page.waitForFunction(() => document.body.dataset.building === "false");
  assert.match(await lastOutput(page), /^buildlab: -tags netgo: the standard library builds other files under this tag, and Buildlab's std graph \(go1\.23\.5\) has them for the default tags only\n# exit status 1\n/m);
  // -mod as go takes it: a known value changes nothing for hello; an unknown one, go's words.
  d = await build(page, "go build -mod=readonly .");
  assert.equal(d.lastExit, "0", await lastOutput(page));
  await page.fill("#cmdline", "go build -mod=bogus .");
  await page.click("#run");
  await page.waitForFunction(() => document.querySelector("#terminal").textContent.includes("-mod=bogus not supported"), null, { timeout: 30000 });
  await page.waitForFunction(() => document.body.dataset.building === "false");
  assert.match(await lastOutput(page), /^-mod=bogus not supported \(can be '', 'mod', 'readonly', or 'vendor'\)$/m);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the embed sample builds on the full module, which checks //go:embed directives", async () => {
  const { page, errors, fetched } = await freshPage();
  assert.equal((await pageData(page)).wasmModule, "first");
  await page.selectOption("#sample", "embed");
  await page.waitForFunction(() => [...document.querySelectorAll("#filetree li[data-path]")].some((li) => li.dataset.path === "greeting.txt"), null, { timeout: 30000 });
  const d = await build(page, "go build .");
  const out = await lastOutput(page);
  assert.equal(d.lastExit, "0", out);
  assert.match(fetched.join(" "), FULL_MODULE);
  assert.equal(d.wasmModule, "full", "a workspace with //go:embed builds on the full module");
  await page.screenshot({ path: screenshotPath("full-module-embed"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
