// The real toolchain through the helper, timed against the real go on the same machine in the
// same run (issue 7's benchmark):
//
// - cold: `../shared/oracle/src/webjson` built by the page with the real tools (fresh browser
//   profile, so the page's cache is empty and every action runs on the helper), measured in the
//   page from the Build click to the rendered result (`data-last-build-page-ms`: plan, hashes,
//   IndexedDB, the helper's tools, the archives coming back and being stored), against
//   `go build -a` of the same module (CGO_ENABLED=0, as the helper builds; the default cgo build
//   is printed beside it), wall time of the process;
//   The browser's own CPU time during the cold build is printed beside it (`browserCpuMs`):
//   on a 2-CPU machine it is taken from the tools;
// - warm no-op: the page's second build (all hits in IndexedDB, no tool) against `go build` of
//   the unchanged module with a warm GOCACHE and the binary in place.
//
// Runs alternate (go, page, go, page, …) so that both see the same machine load.
// Run: cd /work/main && export PATH=$PWD/node_modules/.bin:$PATH && trunk build --release &&
//      cargo build --release -p buildlab-helper && node tests/bench/real-bench.mjs
// (BUILDLAB_DIST / BUILDLAB_EXE point elsewhere; RUNS=3 by default; PROFILE=1 adds the page's
// CPU profile of the first cold build, its largest self times). Prints one JSON object;
// docs/benchmarks.md records the figures.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
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
 * CPU ms used so far by the browser's processes (every process whose name says Chromium), by
 * process type (`--type=renderer`, `gpu-process`, `utility` — the network and storage services
 * — or `browser`): what the page's side of a build takes from the two CPUs the tools run on.
 * Linux only (`/proc`).
 */
function browserCpuMs() {
  const by = {};
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!/chrom/i.test(comm)) continue;
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/); // Chromium rewrites its argv as one string
      const type = (cmd.find((a) => a.startsWith("--type=")) || "--type=browser").slice(7);
      const sub = (cmd.find((a) => a.startsWith("--utility-sub-type=")) || "").replace(/^--utility-sub-type=/, "");
      const key = sub ? `${type}:${sub}` : type;
      by[key] = (by[key] || 0) + (Number(f[11]) + Number(f[12])) * 10; // utime + stime, USER_HZ 100
    } catch {
      // The process ended meanwhile.
    }
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
 *  renderer's own work outside JS: style, layout, paint; `(idle)` is its main thread waiting). */
async function stopProfile(cdp) {
  const { profile } = await cdp.send("Profiler.stop");
  const frame = new Map(profile.nodes.map((x) => [x.id, x.callFrame]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const f = frame.get(id);
    const k = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}`.trim();
    self.set(k, (self.get(k) || 0) + (profile.timeDeltas[i] || 0) / 1000);
  });
  return Object.fromEntries([...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, ms]) => [k, Math.round(ms)]));
}

function cpuDelta(before, after) {
  const d = { total: 0 };
  for (const [k, v] of Object.entries(after)) {
    d[k] = v - (before[k] || 0);
    d.total += d[k];
  }
  return d;
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

const helper = await startHelper();
const out = { module: "webjson", runs: RUNS, goVersion: execFileSync(GO, ["version"]).toString().trim(), loadAverage: { start: loadavg() } };
const goCold = [];
const goColdCgo = [];
const pageCold = [];
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
        const cpu0 = browserCpuMs();
        await page.click("#run");
        await page.waitForFunction((n) => Number(document.body.dataset.runs || 0) > n && document.body.dataset.building === "false", n, { timeout: 600000 });
        const browserMs = cpuDelta(cpu0, browserCpuMs());
        if (profiler) out.coldProfileTopSelfMs = await stopProfile(profiler);
        const d = await page.evaluate(() => ({ ...document.body.dataset, status: document.getElementById("status").textContent }));
        if (d.lastExit !== "0") throw new Error(`page ${phase} build failed: ${d.status}`);
        if (phase === "cold") {
          if (d.lastHits !== "0") throw new Error(`not cold: ${d.status}`);
          pageCold.push(Number(d.lastBuildPageMs));
          pageDetail.push({ misses: Number(d.lastMisses), toolRuns: Number(d.lastToolRuns), phasesMs: JSON.parse(d.lastRealPhases), browserCpuMs: browserMs, status: d.status });
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
out.pageRealColdMs = { median: median(pageCold), runs: pageCold, detail: pageDetail };
out.pageRealWarmNoopMs = { median: median(pageWarm), runs: pageWarm, phasesMs: pageWarmDetail };
out.coldRatio = Number((out.pageRealColdMs.median / out.goBuildAColdMs.median).toFixed(3));
// Each page run against the go run just before it (the same minute's load).
out.coldPairRatios = pageCold.map((p, i) => Number((p / goCold[i]).toFixed(3)));
out.loadAverage.end = loadavg();
out.warmRatio = Number((out.pageRealWarmNoopMs.median / out.goWarmNoopMs.median).toFixed(3));
console.log(JSON.stringify(out, null, 1));
