// Shared harness for the browser journeys: starts the real helper on 127.0.0.1:0 over dist/,
// launches Debian's Chromium through playwright-core with a fresh profile, and saves screenshots
// under tests/output/.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const OUTPUT = join(ROOT, "tests", "output");

/**
 * Starts `buildlab serve --port 0` over dist/ (or $BUILDLAB_DIST), with `args` after it, and
 * resolves with its URL (bounded wait). `port`: a given one instead (the same origin again, so
 * a page keeps its IndexedDB across a helper restart).
 */
export async function startHelper(args = [], { port = 0, env = process.env } = {}) {
  const exe = process.env.BUILDLAB_EXE || join(ROOT, "target", "release", "buildlab");
  const dist = process.env.BUILDLAB_DIST || join(ROOT, "dist");
  const child = spawn(exe, ["serve", "--port", String(port), "--dist", dist, ...args], { stdio: ["ignore", "pipe", "inherit"], env });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("helper did not print its URL within 20 s")), 20000);
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/http:\/\/127\.0\.0\.1:\d+\/\S*/);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.on("exit", (code) => reject(new Error(`helper exited early with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

/**
 * Registers a journey file's usual hooks: before its tests, the helper over dist/ and one
 * browser, handed to `use(helper, browser)`; after them, both stopped.
 */
export function withHelperAndBrowser(use) {
  let helper, browser;
  before(async () => {
    helper = await startHelper();
    browser = await launch();
    use(helper, browser);
  });
  after(async () => {
    await browser?.close();
    helper?.stop();
  });
}

/** Launches headless Chromium with the flags this machine needs and a fresh profile. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "buildlab-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  return {
    context,
    profile, // its --user-data-dir: tells this browser's processes from other Chromiums'
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name) {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, `${name}.png`);
}

/** Waits until the page says it is ready (the wasm ran and rendered). */
export async function ready(page) {
  await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 20000 });
}

/** The full wasm module's two files, as requested paths: the page fetches them on first use. */
export const FULL_MODULE = /\/buildlab-web-full(\.js|_bg\.wasm)\b/;

/**
 * Opens a page and collects console errors and uncaught exceptions into `errors` and every
 * requested path, in order, into `fetched` (from before navigation: what the first load took).
 */
export async function openPage(browser, url) {
  const page = await browser.context.newPage();
  const errors = [];
  const fetched = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(url);
  await ready(page);
  return { page, errors, fetched };
}

/** Runs axe-core (from node_modules) in the page; returns the serious and critical violations. */
export async function axeSerious(page) {
  await page.addScriptTag({ path: join(ROOT, "node_modules", "axe-core", "axe.min.js") });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Bundles `contents` (ES imports from www/src, resolved from the repository root) into one
 *  script for `page.addScriptTag`: the components under test, outside the page's own bundle. */
export async function bundleForPage(contents) {
  const { build } = await import("esbuild");
  const out = await build({
    stdin: { contents, resolveDir: ROOT },
    bundle: true, format: "iife", write: false, absWorkingDir: ROOT, logLevel: "warning",
  });
  return out.outputFiles[0].text;
}


/** The page's state as its `data-*` attributes show it (`document.body.dataset`). */
export const pageData = (page) => page.evaluate(() => ({ ...document.body.dataset }));

/** Waits until a build after run `n` of this page load is rendered; returns the page's state. */
export async function afterRun(page, n, timeout = 60000) {
  await page.waitForFunction((n) => Number(document.body.dataset.runs || 0) > n && document.body.dataset.building !== "true", n, { timeout });
  return pageData(page);
}

/**
 * Runs the command line (`line` typed first, when given) and waits for its build to be
 * rendered. `delay`: ms the Build button is held down (a hand's press is 60–150 ms).
 */
export async function buildLine(page, line, { timeout = 60000, delay = 0 } = {}) {
  if (line !== undefined) await page.fill("#cmdline", line);
  const n = Number((await pageData(page)).runs || 0);
  await page.click("#run", { delay });
  return afterRun(page, n, timeout);
}

/** The terminal's text since the last `$ ` command echo. */
export async function lastOutput(page) {
  const t = await page.textContent("#terminal");
  return t.slice(t.lastIndexOf("\n$ ") + 1);
}
