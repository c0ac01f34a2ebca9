// The real toolchain through the helper, timed against the real go on the same machine in the
// same run (issue 7's benchmark):
//
// - cold: `../shared/oracle/src/webjson` built by the page with the real tools (fresh browser
//   profile, so the page's cache is empty and every action runs on the helper), measured in the
//   page from the Build click to the rendered result (`data-last-build-page-ms`: plan, hashes,
//   IndexedDB, the helper's tools, the archives coming back and being stored), against
//   `go build -a` of the same module (CGO_ENABLED=0, and the helper is started with
//   CGO_ENABLED=0 so that its go plans the same packages: webjson imports net; the default cgo
//   build is printed beside it), wall time of the process;
//   The browser's own CPU time during the cold build is printed beside it (`browserCpuMs`):
//   on a 2-CPU machine it is taken from the tools;
//   The clock stops when the build's result is on screen. The archives stay on the helper
//   during the build and are saved to IndexedDB after it (web/src/real.rs `save_outputs`):
//   the time from the click until they are saved is the second column (`pageRealColdSavedMs`,
//   `data-last-saved-page-ms`), with the browser's CPU time for the save (`saveCpuMs`), so
//   nobody takes the first for the whole cost;
// - warm no-op: the page's second build (all hits in IndexedDB, no tool) against `go build` of
//   the unchanged module with a warm GOCACHE and the binary in place.
//
// Runs alternate (go, page, go, page, …) so that both see the same machine load.
// Run: cd /work/main && export PATH=$PWD/node_modules/.bin:$PATH && trunk build --release &&
//      cargo build --release -p buildlab-helper && node tests/bench/real-bench.mjs
// (BUILDLAB_DIST / BUILDLAB_EXE point elsewhere; RUNS=3 by default; PROFILE=1 adds the page's
// CPU profile of the first cold build, its largest self times; TRACE=1 a Chrome trace of it, the
// renderer's self time by trace event: style, layout, paint, raster, script; PROFILE_OUT / TRACE_OUT
// name files to keep the whole profile / trace in). Prints one JSON object;
// docs/benchmarks.md records the figures.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { startHelper, launch, ROOT } from "../e2e/lib.mjs";

const RUNS = Number(process.env.RUNS || 3);
const GO = process.env.GO || "/usr/lib/go-1.23/bin/go";
const SRC = join(ROOT, "..", "shared", "oracle", "src", "webjson");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ path: relative(dir, p), text: readFileSync(p, "utf8") });
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * CPU ms used so far by one browser's processes — the one started with `--user-data-dir=profile`
 * and every process descended from it (zygote, renderers, GPU, utility) — by process type
 * (`--type=renderer`, `gpu-process`, `utility` — the network and storage services — or
 * `browser`): what the page's side of a build takes from the two CPUs the tools run on. Other
 * Chromiums on the machine (other people's tests) are not counted. Linux only (`/proc`).
 */
function browserCpuMs(profile) {
  const procs = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/); // Chromium rewrites its argv as one string
      procs.set(pid, { ppid: f[1], cmd, ms: (Number(f[11]) + Number(f[12])) * 10 }); // utime + stime, USER_HZ 100
    } catch {
      // The process ended meanwhile.
    }
  }
  const mine = new Set([...procs].filter(([, p]) => p.cmd.includes(`--user-data-dir=${profile}`)).map(([pid]) => pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of procs) if (!mine.has(pid) && mine.has(p.ppid)) { mine.add(pid); grew = true; }
  }
  const by = {};
  for (const pid of mine) {
    const { cmd, ms } = procs.get(pid);
    const type = (cmd.find((a) => a.startsWith("--type=")) || "--type=browser").slice(7);
    const sub = (cmd.find((a) => a.startsWith("--utility-sub-type=")) || "").replace(/^--utility-sub-type=/, "");
    const key = sub ? `${type}:${sub}` : type;
    by[key] = (by[key] || 0) + ms;
  }
  return by;
}

/** `after - before`, per key, and the total. */
/** Starts the page's JS/wasm sampling profiler (Chrome DevTools protocol, 1 ms samples). */
async function startProfile(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 1000 });
  await cdp.send("Profiler.start");
  return cdp;
}

/** Stops it and returns the 30 largest self times in ms by function (`(program)` is the
 *  renderer's own work outside JS: style, layout, paint; `(idle)` is its main thread waiting),
 *  and the callers of the largest ones. */
async function stopProfile(cdp) {
  const { profile } = await cdp.send("Profiler.stop");
  // PROFILE_OUT=file.cpuprofile keeps the whole profile (DevTools opens it) for a closer look.
  if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
  const frame = new Map(profile.nodes.map((x) => [x.id, x.callFrame]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const f = frame.get(id);
    const k = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}`.trim();
    self.set(k, (self.get(k) || 0) + (profile.timeDeltas[i] || 0) / 1000);
  });
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 30);
  // Who calls the largest ones (native functions are named by what they are, not by who asked).
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const name = (f) => `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`.trim();
  const callers = {};
  profile.samples.forEach((id, i) => {
    const f = frame.get(id);
    const k = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}`.trim();
    if (!top.slice(0, 8).some(([t]) => t === k) || k.startsWith("(")) return;
    const p = parent.get(id);
    const c = p === undefined ? "(root)" : name(frame.get(p));
    callers[k] ||= {};
    callers[k][c] = (callers[k][c] || 0) + (profile.timeDeltas[i] || 0) / 1000;
  });
  for (const k of Object.keys(callers)) {
    callers[k] = Object.fromEntries(Object.entries(callers[k]).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([c, ms]) => [c, Math.round(ms)]));
  }
  return { self: Object.fromEntries(top.map(([k, ms]) => [k, Math.round(ms)])), callers };
}

/** Starts a Chrome trace of the renderer's work (Tracing domain: style, layout, paint, raster,
 *  script, IndexedDB, loading), events streamed back at the end. */
async function startTrace(page) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on("Tracing.dataCollected", (e) => events.push(...e.value));
  const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
  await cdp.send("Tracing.start", {
    traceConfig: { includedCategories: ["devtools.timeline", "v8.execute", "blink", "cc", "IndexedDB", "loading", "disabled-by-default-devtools.timeline"], recordMode: "recordAsMuchAsPossible" },
    transferMode: "ReportEvents",
  });
  return { cdp, events, done };
}

/**
 * Ends the trace and sums each thread's self time by event name (complete events nested by
 * time; a parent's self time excludes its children), for the renderer's threads: where its
 * `(program)` time goes. The 25 largest per thread name, ms.
 */
async function stopTrace(t) {
  await t.cdp.send("Tracing.end");
  await t.done;
  // TRACE_OUT=file.json keeps the whole trace (chrome://tracing or Perfetto open it).
  if (process.env.TRACE_OUT) writeFileSync(process.env.TRACE_OUT, JSON.stringify({ traceEvents: t.events }));
  const names = new Map();
  for (const e of t.events) if (e.ph === "M" && e.name === "thread_name") names.set(`${e.pid}:${e.tid}`, e.args.name);
  const byThread = new Map();
  for (const e of t.events) {
    if (e.ph !== "X" || typeof e.dur !== "number") continue;
    const k = `${e.pid}:${e.tid}`;
    if (!byThread.has(k)) byThread.set(k, []);
    byThread.get(k).push(e);
  }
  const out = {};
  for (const [k, evs] of byThread) {
    const thread = names.get(k) || k;
    if (!/Renderer|Compositor|Raster|Worker|IO/i.test(thread)) continue;
    evs.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const self = (out[thread] ||= {});
    const stack = [];
    for (const e of evs) {
      while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
      const parent = stack[stack.length - 1];
      self[e.name] = (self[e.name] || 0) + e.dur;
      if (parent) self[parent.name] -= Math.min(e.dur, parent.ts + parent.dur - e.ts);
      stack.push(e);
    }
  }
  for (const [thread, self] of Object.entries(out)) {
    out[thread] = Object.fromEntries(Object.entries(self).sort((a, b) => b[1] - a[1]).slice(0, 25).map(([n, us]) => [n, Math.round(us / 1000)]));
  }
  return out;
}

function cpuDelta(before, after) {
  const d = { total: 0 };
  for (const [k, v] of Object.entries(after)) {
    d[k] = v - (before[k] || 0);
    d.total += d[k];
  }
  return d;
}

/**
 * Waits until the page has rendered build number `n + 1` (`data-runs`, `data-building`), told by
 * a MutationObserver on the body's attributes: Playwright's `waitForFunction` polls on every
 * animation frame, which makes the renderer, the compositor and the GPU process produce ≈ 60
 * frames a second for the whole build — CPU taken from the tools that a user's page never
 * spends (it cost the page ≈ 0.3 s of `requestAnimationFrame` alone, plus those frames).
 */
function builtAfter(page, n) {
  return bodyUntil(page, { runsAbove: n }, "no build rendered");
}

/** Waits until the page's save of a real build's outputs is over (`data-cache-save` not
 *  `saving`), told by a MutationObserver as for [`builtAfter`]. */
function savedAfter(page) {
  return bodyUntil(page, { saved: true }, "the save did not end");
}

/** Resolves once the body's attributes say `until` (`{runsAbove: n}`: build n + 1 rendered;
 *  `{saved: true}`: no save running), re-checked on each change of them; rejects with `what`
 *  after 600 s. */
function bodyUntil(page, until, what) {
  return page.evaluate(({ until, what }) => new Promise((resolve, reject) => {
    const d = document.body.dataset;
    const done = () => until.saved
      ? d.cacheSave !== "saving"
      : Number(d.runs || 0) > until.runsAbove && d.building === "false";
    if (done()) return resolve();
    const timer = setTimeout(() => { mo.disconnect(); reject(new Error(`${what} within 600 s`)); }, 600000);
    const mo = new MutationObserver(() => {
      if (!done()) return;
      mo.disconnect();
      clearTimeout(timer);
      resolve();
    });
    mo.observe(document.body, { attributes: true });
  }), { until, what });
}

/** Wall ms of one `go build` in a copy of the module with its own GOCACHE. */
function goBuild(dir, cache, args, env = {}) {
  const t = performance.now();
  execFileSync(GO, ["build", ...args], {
    cwd: dir,
    env: { ...process.env, GOTOOLCHAIN: "local", GOPROXY: "off", GOFLAGS: "", GOCACHE: cache, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return performance.now() - t;
}

const work = mkdtempSync(join(tmpdir(), "buildlab-real-bench-"));
const mod = join(work, "webjson");
cpSync(SRC, mod, { recursive: true });
const cache = join(work, "gocache");
const ws = files(SRC);

const helper = await startHelper([], { env: { ...process.env, CGO_ENABLED: "0" } });
const out = { module: "webjson", runs: RUNS, goVersion: execFileSync(GO, ["version"]).toString().trim(), loadAverage: { start: loadavg() } };
const goCold = [];
const goColdCgo = [];
const pageCold = [];
const pageColdSaved = [];
const pageWarm = [];
const pageDetail = [];
const pageWarmDetail = [];
try {
  // The real go's warm no-op: warm GOCACHE, binary in place.
  goBuild(mod, cache, ["-o", "webjson", "."], { CGO_ENABLED: "0" });
  const goWarm = [];
  for (let i = 0; i < 5; i++) goWarm.push(goBuild(mod, cache, ["-o", "webjson", "."], { CGO_ENABLED: "0" }));
  out.goWarmNoopMs = { median: median(goWarm), runs: goWarm };

  for (let i = 0; i < RUNS; i++) {
    goCold.push(goBuild(mod, cache, ["-a", "-o", "webjson", "."], { CGO_ENABLED: "0" }));
    goColdCgo.push(goBuild(mod, cache, ["-a", "-o", "webjson", "."]));

    // The page, fresh profile: an empty IndexedDB cache.
    const b = await launch();
    try {
      const page = await b.context.newPage();
      await page.goto(helper.url);
      await page.waitForFunction(() => document.body.dataset.ready === "true" && Number(document.body.dataset.runs || 0) >= 1 && document.body.dataset.building === "false", null, { timeout: 60000 });
      if ((await page.evaluate(() => document.body.dataset.realToolchain)) !== "available") throw new Error("the page offers no real toolchain");
      // Open webjson through a share link (the page's own way to receive a workspace).
      const token = await page.evaluate(async (ws) => {
        const full = await import(new URL("buildlab-web-full.js", document.baseURI).href); // the full module makes share links
        await full.default();
        const lab = await full.Lab.open("bench-share");
        lab.loadFiles(ws);
        return lab.shareLink({ title: "webjson", argv: ["go", "build", "."], cpus: 2, toolchain: "real", cwd: "" });
      }, ws);
      await page.evaluate((t) => { location.hash = `share=${t}`; }, token);
      await page.waitForFunction(() => document.querySelector("#editor-file")?.textContent === "main.go" && document.body.dataset.building === "false", null, { timeout: 30000 });
      await page.selectOption("#toolchain", "real");
      for (const phase of ["cold", "warm"]) {
        const n = Number(await page.evaluate(() => document.body.dataset.runs || 0));
        await page.fill("#cmdline", "go build .");
        const profiler = process.env.PROFILE && phase === "cold" && i === 0 ? await startProfile(page) : null;
        const tracer = process.env.TRACE && phase === "cold" && i === 0 ? await startTrace(page) : null;
        const cpu0 = browserCpuMs(b.profile);
        await page.click("#run");
        await builtAfter(page, n);
        const cpu1 = browserCpuMs(b.profile);
        const browserMs = cpuDelta(cpu0, cpu1);
        if (profiler) out.coldProfileTopSelfMs = await stopProfile(profiler);
        if (tracer) out.coldTraceSelfMs = await stopTrace(tracer);
        // The save to the cache after the build (the warm build needs it, and it is the cost
        // the first clock leaves out).
        await savedAfter(page);
        const saveMs = cpuDelta(cpu1, browserCpuMs(b.profile));
        const d = await page.evaluate(() => ({ ...document.body.dataset, status: document.getElementById("status").textContent }));
        if (d.lastExit !== "0") throw new Error(`page ${phase} build failed: ${d.status}`);
        if (phase === "cold") {
          if (d.lastHits !== "0") throw new Error(`not cold: ${d.status}`);
          pageCold.push(Number(d.lastBuildPageMs));
          const s = await page.evaluate(() => ({ ...document.body.dataset }));
          if (s.cacheSave !== "done") throw new Error(`the cold build's save ended ${s.cacheSave}: ${s.lastSaved}`);
          pageColdSaved.push(Number(s.lastSavedPageMs));
          pageDetail.push({ misses: Number(d.lastMisses), toolRuns: Number(d.lastToolRuns), phasesMs: JSON.parse(d.lastRealPhases), browserCpuMs: browserMs, saveCpuMs: saveMs, saved: JSON.parse(s.lastSaved), saveMs: Number(s.lastSaveMs), status: d.status });
        } else {
          if (d.lastToolRuns !== "0") throw new Error(`warm build ran tools: ${d.status}`);
          pageWarm.push(Number(d.lastBuildPageMs));
          pageWarmDetail.push(JSON.parse(d.lastRealPhases));
        }
      }
    } finally {
      await b.close();
    }
  }
} finally {
  helper.stop();
  rmSync(work, { recursive: true, force: true });
}
out.goBuildAColdMs = { median: median(goCold), runs: goCold, env: "CGO_ENABLED=0" };
out.goBuildAColdCgoDefaultMs = { median: median(goColdCgo), runs: goColdCgo };
out.pageRealColdMs = { median: median(pageCold), runs: pageCold, stops: "build done: the result on screen", detail: pageDetail };
out.pageRealColdSavedMs = { median: median(pageColdSaved), runs: pageColdSaved, stops: "the outputs saved to IndexedDB (from the same click)" };
out.pageRealWarmNoopMs = { median: median(pageWarm), runs: pageWarm, phasesMs: pageWarmDetail };
out.coldRatio = Number((out.pageRealColdMs.median / out.goBuildAColdMs.median).toFixed(3));
// Each page run against the go run just before it (the same minute's load).
out.coldPairRatios = pageCold.map((p, i) => Number((p / goCold[i]).toFixed(3)));
out.coldSavedRatio = Number((out.pageRealColdSavedMs.median / out.goBuildAColdMs.median).toFixed(3));
out.coldSavedPairRatios = pageColdSaved.map((p, i) => Number((p / goCold[i]).toFixed(3)));
out.loadAverage.end = loadavg();
out.warmRatio = Number((out.pageRealWarmNoopMs.median / out.goWarmNoopMs.median).toFixed(3));
console.log(JSON.stringify(out, null, 1));
