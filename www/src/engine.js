// The adapter between the page and the wasm engine: the ONLY module that touches
// `window.wasmBindings` (Trunk sets it before firing `TrunkApplicationStarted`). Every other
// module asks this one, and an export that has not landed yet surfaces as an `Unavailable`
// error that the panels show as "not available yet" — the page never makes up build results.
//
// The exports this adapter expects (camelCase DTOs from web/src/dto.rs). Each operation lists the
// export names it accepts, first found wins, so a rename on the Rust side is a one-word change here.
//
//   sampleSummary() -> { module, files: [{ path, blake3 }], digest }                   [full module]
//   recordVisit(digest) -> Promise<{ previous?: VisitRecord, current: { digest, visits } }>   [full module]
//       Free functions of the full module: `summary`/`recordVisit` ask the prefetched one
//       (`prefetch`) without moving the session to it.
//   load(files) -> { module, packages: [Package], errors: [UserError] }
//       files: [{ path, text }] (the page's workspace, sorted by path)
//       Package: { importPath, dir, name, files: [string], imports: [string], std: bool }
//       UserError: { file, line, col, message }     (go's words, sorted)
//   predict(files) -> { rebuild: [importPath], reasons: { [importPath]: string } }   (may be a Promise)
//   build(files, request, onEvent) -> Promise<BuildResult>
//       request: { argv: ["go", "build", "-x", …], cpus: number, toolchain: "simulated" | "real" }
//       onEvent(event), streamed while it runs:
//           { kind: "output", text }               a chunk of the transcript (stdout+stderr as go prints)
//           { kind: "action", action: Action }     an action finished (the timeline fills live; the
//                                                   wasm sends them in batches, forEachEvent splits them)
//       BuildResult: { exitCode, output, timing?: { realMs, userMs, sysMs }, trace: Trace,
//                      hits, misses, packages?: [PackageOutcome], work?: { dir, files: [{ path, text }] } }
//       Trace: { lanes, endUs, actions: [Action] }
//       Action: { id, mode, package, deps: [index into actions], lane (1-based | null), startUs, endUs,
//                 kind: "compile"|"asm"|"pack"|"cgo"|"link"|"install"|"go"|"cache-hit"|"other",
//                 status: "ran"|"failed"|"skipped"|"no-actor", workDir?: "b001", actionId?: hex,
//                 cache?: { outcome: "hit"|"miss"|"unknown", reason?: string },
//                 spans?: [{ kind, startUs, endUs }] }
//       PackageOutcome: { importPath, outcome: "hit"|"miss", reason?, actionId?, inputs?: [string] }  (the engine leaves inputs out: actionInputs(importPath) asks)
//   run(argv) -> Promise<{ exitCode, output }>      `go clean -cache`, `go env GOCACHE`, `du -sh $GOCACHE`
//   cacheListing() -> Promise<{ root, entries: [{ path, size }], totalBytes }>
//   load, predict, run and cacheListing are the full module's (FULL_OPS): on the first module
//   the engine switches first (`full`). The first module is the first build: `build`, `listAhead`
//   and `handoff`, nothing else.
//   toolchains() -> { real: { available: bool, version?: string, cpus?: number, cgo?: bool, reason?: string } }
//       answered from the helper (www/src/helper.js) once connectHelper() ran; request.toolchain
//       "real" then builds through Lab.build's executor (web/src/real.rs).

import { Helper } from "./helper.js";

/**
 * The full wasm module (web/ with its `extras`: lessons, share links, trace import/export, the
 * real toolchain), which Trunk writes next to the page (index.html's data-type="worker" asset)
 * and the page fetches on their first use; the first load carries only the build path.
 */
const FULL_MODULE = "buildlab-web-full.js";

/** The first module's refusal of a build that needs what only the full module has (web/src/lib.rs NEEDS_FULL_MODULE). */
const NEEDS_FULL_MODULE = "this module builds only what a sample's first build needs (the samples' Go files as they ship, without exported functions; no -work tree, build settings, cgo commands, //go:embed directives, go.mod beyond module and go lines, package patterns beyond directories, or errors before the build): the page loads the full module for the rest";

/**
 * What only the full module serves: the first module is the first build and nothing else. The
 * graph's loader view, the prediction on edit, the commands (`go clean -cache`, `go env`, `du`)
 * and the cache panel's listing switch to the full module first (`Engine.full`), as lessons do.
 */
const FULL_OPS = new Set(["load", "predict", "run", "cacheListing"]);

const NAMES = {
  summary: ["sampleSummary"],
  recordVisit: ["recordVisit"],
  load: ["load", "loadWorkspace"],
  predict: ["predict", "predictRebuild"],
  build: ["build"],
  run: ["run", "runCommand"],
  cacheListing: ["cacheListing", "listCache", "cacheList"],
  toolchains: ["toolchains", "helperInfo"],
};

/** Which issue brings each operation, for the "not available yet" notices. */
const WHERE = {
  load: "the loader export (issue 6)",
  predict: "the rebuild prediction export (issue 6)",
  build: "the build export with its streamed transcript and trace (issues 5 and 6)",
  run: "the cache commands export (issue 6)",
  cacheListing: "the cache listing export (issue 6)",
  toolchains: "the helper's real-Go support (issue 7)",
};

export class Unavailable extends Error {
  constructor(op) {
    super(`The wasm module has no \`${NAMES[op].join("` or `")}\` export yet: ${WHERE[op] || op} has not landed.`);
    this.name = "Unavailable";
    this.op = op;
  }
}

// The session class web/src/lib.rs exports (`Lab`): `await Lab.open(dbName?)`, then
// `loadFiles([{path, text}])`, `plan({patterns?, cwd?})` -> { ok, packages: [{ importPath, dir,
// standard, root }], actions: [{ id, mode, package, workdir, deps }], errors, errorText },
// `build({argv, cpus}, onEvent)` -> BuildRun (web/src/dto.rs, version 1: { exitCode, output,
// chunks, trace: { lanes, endUs, actions }, timing: { realMs, simulated }, hits, misses,
// compiled, assembled, linked, packages, work: { dir, files: [{ path, dir, text, size }] } }),
// `predict({force})` -> { events: [{ type: "action", mode, package, outcome, reason, why }] },
// `cleanCache()` -> { removed }, `goEnv(name)`, `cacheSize()` -> { bytes, du, files },
// `cacheList()` -> [{ name, size, usedMs }], `storage()` -> { usage, quota, … }. The operations
// above that the Lab serves are answered from it; the rest stay "not available yet".
const LAB_OPS = {
  build: (lab, engine) => async (files, request, onEvent) => {
    const t0 = performance.now();
    lab.loadFiles(files);
    const options = { argv: request.argv, cpus: request.cpus, label: request.label };
    if (request.toolchain !== "real") {
      const t1 = performance.now();
      const run = await lab.build(options, onEvent);
      // Where the page's time went on this side of the wasm boundary (ms): handing the files
      // over, and the whole build call (the engine's phases and its DTO).
      return { ...fromBuildRun(run), marks: { loadMs: t1 - t0, labMs: performance.now() - t1 } };
    }
    // The real tools through the helper: the Lab plans, hashes and looks up; the executor runs the misses.
    const { helper, info } = engine.helperState || {};
    if (!helper) throw new Error(engine.helperState?.reason || "the real toolchain needs the helper");
    const exec = helper.executor(files, onEvent);
    try {
      const real = { ...info.go, plannedRoot: info.plannedRoot };
      return fromBuildRun(await lab.build({ ...options, real }, onEvent, exec));
    } finally {
      exec.close();
    }
  },
  predict: (lab) => async (files) => {
    lab.loadFiles(files);
    const p = await lab.predict({});
    if (!p.ok) return null;
    const rebuild = [];
    const reasons = {};
    let links = 0;
    for (const e of p.events) {
      if (e.type !== "action" || e.outcome !== "miss") continue;
      if (e.mode === "build") {
        rebuild.push(e.package);
        reasons[e.package] = e.why || e.reason || "will rebuild";
      } else if (e.mode === "link") links++;
    }
    return { rebuild, reasons, links };
  },
  load: (lab) => (files) => {
    lab.loadFiles(files);
    const plan = lab.plan({});
    return planToLoad(plan);
  },
  run: (lab) => async (argv) => runWithLab(lab, argv),
  cacheListing: (lab) => async () => {
    const files = await lab.cacheList();
    return { root: lab.goEnv("GOCACHE"), entries: files.map((f) => ({ path: f.name, size: f.size })), totalBytes: files.reduce((n, f) => n + f.size, 0) };
  },
};

/** The engine's BuildRun as the page's BuildResult (see the top of this file). */
function fromBuildRun(r) {
  const work = r.work && {
    dir: r.work.dir,
    files: r.work.files.filter((f) => !f.dir).map((f) => ({
      path: f.path,
      text: f.text ?? `(${f.size == null ? "unknown size" : `${f.size} bytes`}: written by the tool; the simulation does not model its contents)\n`,
    })),
  };
  return { ...r, work };
}

/** The loader's view for the graph, from a plan: packages, and imports from the build actions' deps. */
function planToLoad(plan) {
  const byId = new Map(plan.actions.map((a) => [a.id, a]));
  const imports = new Map();
  for (const a of plan.actions) {
    if (a.mode !== "build" || !a.package) continue;
    const set = imports.get(a.package) || new Set();
    for (const d of a.deps) {
      const b = byId.get(d);
      if (b && b.mode === "build" && b.package && b.package !== a.package) set.add(b.package);
    }
    imports.set(a.package, set);
  }
  return {
    packages: plan.packages.map((p) => ({ importPath: p.importPath, dir: p.dir, std: p.standard, files: p.files, imports: [...(imports.get(p.importPath) || [])].sort() })),
    errors: (plan.errors || []).map((e) => ({ file: e.path || "", line: e.line || 0, col: e.col || 0, message: e.text })),
  };
}

/** `go clean -cache`, `go env NAME…`, `du -sh $GOCACHE`, answered by the Lab as go would print them. */
async function runWithLab(lab, argv) {
  if (argv[0] === "go" && argv[1] === "clean" && argv.includes("-cache")) {
    await lab.cleanCache();
    return { exitCode: 0, output: "" }; // go clean prints nothing
  }
  if (argv[0] === "go" && argv[1] === "env") {
    const names = argv.slice(2);
    return { exitCode: 0, output: names.map((n) => `${lab.goEnv(n) ?? ""}\n`).join("") };
  }
  if (argv[0] === "du" && argv.includes("-sh")) {
    const size = await lab.cacheSize();
    return { exitCode: 0, output: `${size.du}\t${lab.goEnv("GOCACHE")}\n` };
  }
  throw new Unavailable("run");
}

export class Engine {
  constructor(bindings) {
    this.b = bindings;
    this.lab = null;
  }

  /** Opens the engine's session (the Lab and its IndexedDB cache) when the module has one. */
  async open() {
    if (typeof this.b?.Lab?.open === "function") this.lab = await this.b.Lab.open();
    document.body.dataset.wasmModule = this.isFull() ? "full" : "first";
    return this;
  }

  fn(op) {
    for (const n of NAMES[op]) if (typeof this.b?.[n] === "function") return this.b[n].bind(this.b);
    if (this.lab && LAB_OPS[op]) return LAB_OPS[op](this.lab, this);
    return null;
  }

  /** Whether an operation's export exists. */
  has(op) {
    return this.fn(op) !== null;
  }

  call(op, ...args) {
    const f = this.fn(op);
    if (!f) throw new Unavailable(op);
    return f(...args);
  }

  /** Whether the full module is the one in use (lessons, share links, the graph, …). */
  isFull() {
    return typeof this.b?.parseLesson === "function";
  }

  /** `call`, on the full module for what only it serves (FULL_OPS): switches to it first. */
  async callFull(op, ...args) {
    if (FULL_OPS.has(op) && this.lab && !this.isFull()) await this.full();
    return await this.call(op, ...args);
  }

  /**
   * The sample module's digest (the page's skeleton facts): a free function of the full module,
   * so the first module asks the prefetched one (`prefetch`) without switching the session.
   */
  async summary() {
    return (await this.about()).sampleSummary();
  }

  /** This visit's IndexedDB record, from the full module like `summary`. */
  async recordVisit(digest) {
    return await (await this.about()).recordVisit(digest);
  }

  /** The module whose free functions answer the skeleton's facts: the one in use, or the full one fetched. */
  async about() {
    if (this.isFull() || !this.lab) {
      for (const op of ["summary", "recordVisit"]) if (!this.fn(op)) throw new Unavailable(op);
      return this.b;
    }
    return await this.prefetch();
  }

  async load(files) {
    return await this.callFull("load", files);
  }

  async predict(files) {
    return await this.callFull("predict", files);
  }

  /**
   * Fetches, compiles and initializes the full module (once; later calls get the same promise)
   * without moving the session to it: the first module keeps building until a use of the full
   * one switches (`full`), which then finds it ready.
   */
  prefetch() {
    this.fetched ??= (async () => {
      const m = await import(new URL(FULL_MODULE, document.baseURI).href);
      await m.default();
      return m;
    })().catch((e) => {
      this.fetched = null; // a failed fetch is tried again on the next use
      throw e;
    });
    return this.fetched;
  }

  /**
   * Prefetches the full module when the browser is next idle (the page calls it once its first
   * build is on screen), so that the first action that needs it does not wait for the network
   * and the compile. Resolves to the module, or null when the fetch failed (the next use tries again).
   */
  prefetchWhenIdle() {
    if (this.isFull() || !this.lab) return Promise.resolve(null);
    return new Promise((resolve) => {
      const go = () => this.prefetch().then(resolve, () => resolve(null));
      if (typeof requestIdleCallback === "function") requestIdleCallback(go, { timeout: 2000 });
      else setTimeout(go, 0);
    });
  }

  /**
   * Switches to the full wasm module (once; later calls get the same promise). The session
   * moves over as plain JS values: the first module's `handoff` (the workspace's files and the
   * last builds' traces) into the new Lab's `adopt`; the cache, the why-rebuilt record and the
   * binaries are in IndexedDB, which the new Lab opens. A hand-off `adopt` refuses (one that is
   * not what `handoff` makes) leaves the new session without that history, as `handoffError` says.
   */
  full() {
    if (this.isFull()) return Promise.resolve(this);
    this.upgrade ??= (async () => {
      const m = await this.prefetch();
      // A build still running on the first module's Lab ends there first: freeing a Lab
      // while its build awaits IndexedDB would pull the session from under it, and the new
      // Lab reads the store (the why-rebuilt record, the binaries) as that build's flush left
      // it, so it opens only then.
      for (let seen; seen !== this.inFlight; ) {
        seen = this.inFlight;
        await seen;
      }
      const lab = await m.Lab.open();
      if (this.lab) {
        try {
          lab.adopt(this.lab.handoff());
        } catch (e) {
          this.handoffError = e.message || String(e);
        }
        this.lab.free();
      }
      this.b = m;
      this.lab = lab;
      // Which module serves the page, for the journeys and anyone inspecting it.
      document.body.dataset.wasmModule = "full";
      return this;
    })().catch((e) => {
      this.upgrade = null; // a failed fetch is tried again on the next use
      throw new Error(`the page's full module could not be loaded: ${e.message || e}`);
    });
    return this.upgrade;
  }

  /**
   * Runs a build; `onEvent` gets normalized events as they stream. The real toolchain is the
   * full module's; so are `-work`'s tree and cgo's commands: the first module refuses a build
   * that needs them (NEEDS_FULL_MODULE, before it reads or writes anything) and the build runs
   * again on the full module.
   */
  async build(files, request, onEvent) {
    if (request?.toolchain === "real") await this.full();
    try {
      return await this.buildHere(files, request, onEvent);
    } catch (e) {
      if (e?.message !== NEEDS_FULL_MODULE) throw e;
      await this.full();
      return await this.buildHere(files, request, onEvent);
    }
  }

  /** One build on the module loaded now. */
  async buildHere(files, request, onEvent) {
    const run = Promise.resolve(this.call("build", files, request, (ev) => forEachEvent(ev, onEvent)));
    this.inFlight = run.catch(() => {});
    const result = await run;
    return { ...result, trace: normalizeTrace(result?.trace) };
  }

  /** The Build button is pressed: the Lab asks IndexedDB now for what a warm build asks first. */
  listAhead() {
    if (typeof this.lab?.listAhead === "function") this.lab.listAhead();
  }

  /** The lines the last build hashed into `build <importPath>`'s action ID, or null. */
  actionInputs(importPath) {
    return typeof this.lab?.actionInputs === "function" ? this.lab.actionInputs(importPath) : null;
  }

  async run(argv) {
    return await this.callFull("run", argv);
  }

  async cacheListing() {
    return await this.callFull("cacheListing");
  }

  /** Asks the helper serving the page (if any) for its Go; what `toolchains()` then reports. */
  async connectHelper() {
    this.helperState = await Helper.connect();
    return this.helperState;
  }

  toolchains() {
    if (this.helperState) {
      const { helper, info, reason } = this.helperState;
      return helper
        ? { real: { available: true, version: info.go.version, cpus: info.go.cpus, cgo: Boolean(info.go.cgoEnabled) } }
        : { real: { available: false, reason } };
    }
    return this.call("toolchains");
  }

  /** The real binary the last real build left in place (`{path, buildId, hex}`), or null. */
  realBinary() {
    return this.lab?.realBinary?.() ?? null;
  }

  /** Runs the real binary in place through the helper: `{exitStatus, stdout, stderr, timedOut, …}`. */
  async runBinary() {
    const helper = this.helperState?.helper;
    if (!helper) throw new Error(this.helperState?.reason || "running a binary needs the helper");
    const b = this.realBinary();
    if (!b) throw new Error("no real binary is in place: build the program with the real toolchain first");
    return { ...(await helper.run(b.hex)), path: b.path };
  }

  /**
   * Saves the outputs the last real build left on the helper to this page's cache (IndexedDB),
   * in one streamed request (web/src/real.rs `save_outputs`). `onProgress(doneBytes, totalBytes)`
   * as it goes. Resolves to `{entries, outputs, missing, bytes, totalBytes}`, or null when there
   * is no helper or no real build ran.
   */
  async saveOutputs(onProgress) {
    const helper = this.helperState?.helper;
    if (!helper || typeof this.lab?.saveOutputs !== "function") return null;
    return await this.lab.saveOutputs({ fetch: (hexes) => helper.outputs(hexes) }, onProgress);
  }

  /** The helper's counters (`{toolRuns, execs}`), or null without a helper. */
  async helperCounters() {
    return this.helperState?.helper ? await this.helperState.helper.counters() : null;
  }

  // Lessons, share links and traces in and out: the Lab's, so they run on the same session
  // (workspace, IndexedDB cache, why-rebuilt record) as the Build button. They are in the full
  // module only: each switches to it first (`full`), hence async.

  /** Whether lessons, share links and trace import/export are there. */
  hasLessons() {
    return typeof this.b?.parseLesson === "function" && typeof this.lab?.runLessonStep === "function";
  }

  /** A lesson file's text as the page shows it (`{id, title, summary, steps}`); throws its errors. */
  async parseLesson(id, text) {
    await this.full();
    if (typeof this.b?.parseLesson !== "function") throw new Error("this wasm build has no lessons");
    return this.b.parseLesson(id, text);
  }

  /** Runs a lesson step's experiment on the session; events as `build`'s plus `{kind: "command", text}`. */
  async runLessonStep(id, text, step, onEvent) {
    await this.full();
    const r = await this.lab.runLessonStep(id, text, step, (ev) => forEachEvent(ev, onEvent));
    return { ...r, builds: r.builds.map((b) => ({ ...b, run: { ...fromBuildRun(b.run), trace: normalizeTrace(b.run.trace) } })) };
  }

  /** The learner's answer checked (in wasm) against the step that just ran: `{correct, observed, explain}`. */
  checkAnswer(question, answer) {
    return this.lab.checkAnswer(question, answer);
  }

  /** A share token for these files, the session's last builds and `options` ({argv, cpus, toolchain, title}). */
  async shareLink(files, options) {
    await this.full();
    this.lab.loadFiles(files);
    return this.lab.shareLink(options);
  }

  /** Opens a share token; throws the codec's sentence for a broken or hostile link. */
  async openShared(token) {
    await this.full();
    const r = this.lab.openShared(token);
    return { ...r, builds: r.builds.map((b) => ({ ...b, trace: normalizeTrace(b.trace) })) };
  }

  /** Imports a real `-debug-trace` or `-debug-actiongraph` JSON: `{origin, root, wallMs, packages, trace}`. */
  async importTrace(text) {
    await this.full();
    const r = this.lab.importTrace(text);
    return { ...r, trace: normalizeTrace(r.trace) };
  }

  /** The current trace as `chrome` (Perfetto) or `actiongraph` JSON text. */
  async exportTrace(format) {
    await this.full();
    return this.lab.exportTrace(format);
  }

  /** IndexedDB usage and quota as the browser reports them: the full module's Lab asks (the page switches to it). */
  async storage() {
    if (this.lab && !this.isFull()) await this.full();
    if (this.lab) return await this.lab.storage();
    if (!navigator.storage?.estimate) return null;
    const { usage, quota } = await navigator.storage.estimate();
    return { usage, quota };
  }
}

/** The engine batches finished actions (`{kind: "actions", actions}`); the page gets one event each. */
function forEachEvent(ev, onEvent) {
  if (!onEvent) return;
  if (ev && ev.kind === "actions") for (const a of ev.actions) onEvent({ kind: "action", action: normalizeAction(a) });
  else onEvent(normalizeEvent(ev));
}

function normalizeEvent(ev) {
  if (ev && ev.kind === "action") return { kind: "action", action: normalizeAction(ev.action) };
  return ev;
}

function normalizeAction(a) {
  return {
    ...a,
    deps: a.deps || [],
    lane: a.lane ?? null,
    spans: a.spans || [],
    cache: a.cache || { outcome: "unknown" },
  };
}

/** Fills the optional fields of a trace so the views need no checks. */
export function normalizeTrace(t) {
  if (!t) return null;
  const actions = (t.actions || []).map(normalizeAction);
  const endUs = t.endUs ?? Math.max(0, ...actions.map((a) => a.endUs || 0));
  return { ...t, actions, endUs, lanes: t.lanes || Math.max(1, ...actions.map((a) => a.lane || 0)) };
}
