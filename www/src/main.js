// The page's entry point and the one owner of its state. Components (editor, file tree, build
// bar, terminal, timeline, comparison, graph, cache and $WORK panels) render what they are given
// and report intents back here as calls; only this module changes the state, and only engine.js
// talks to the wasm module. Trunk fires `TrunkApplicationStarted` with the bindings on
// `window.wasmBindings`; everything starts from there.
import { $, h, ms, unavailable } from "./dom.js";
import * as txtar from "./txtar.js";
import { classify, formatBuild } from "./cmdline.js";
import { Engine, Unavailable } from "./engine.js";
import { createEditor } from "./editor.js";
import { createFileTree, checkPath } from "./filetree.js";
import { createTerminal } from "./terminal.js";
import { createTimeline, liveDomain } from "./timeline.js";
import { createCompare } from "./compare.js";
import { createGraph } from "./graph.js";
import { createCachePanel } from "./cachepanel.js";
import { createWorkPanel } from "./workdir.js";
import { createLessonPanel } from "./lessons.js";
import * as settingsStore from "./settings.js";
import * as drafts from "./drafts.js";
import { openInPerfetto } from "./perfetto.js";

const MAX_RUNS = 12;

const state = {
  settings: settingsStore.load(),
  sample: null,
  comment: "",
  files: new Map(), // path -> text, the workspace being edited
  edited: new Map(), // sample name -> { comment, files } kept while switching samples
  shipped: null, // the open sample's files as shipped (a Map), null for a workspace of a lesson or link
  shippedComment: "",
  shippedOnly: new Set(), // samples opened as shipped by a link: their edits are not kept as drafts
  undo: null, // { name, comment, files } of the last revert, until undone or the sample changes
  draftProblem: null, // the last sentence saying why a draft was not kept (each said once)
  sampleNotice: false, // the notice shown is about the open sample (its draft back, its revert)
  selected: null,
  runs: [], // [{ n, command, trace, hits, misses, totalMs, result }]
  runCounter: 0,
  busy: false,
  cacheStale: true, // the cache panel awaits a redraw (done when its tab is shown)
  lessons: null, // [{ id, title, summary } | { id, error }] once fetched
  lessonTexts: new Map(), // id -> the lesson file's text (the wasm parses and runs it)
  lesson: null, // { lesson, text, step, ran, questions }
  embed: null, // "lesson" | "preset" when embedded
};

/** Workspaces that are not files under samples/ (not remembered as the sample to open). */
const VIRTUAL = new Set(["shared", "lesson"]);

let engine = null;
let ui = null;

function status(text, isError = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

function workspaceFiles() {
  return [...state.files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, text]) => ({ path, text }));
}

function saveSettings(patch) {
  Object.assign(state.settings, patch);
  settingsStore.save(state.settings);
}

// ------------------------------------------------------------------------------------------------
// theme

const THEMES = ["system", "light", "dark"];
function applyTheme(theme) {
  const root = document.documentElement;
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
  const label = { system: "System", light: "Light", dark: "Dark" }[theme];
  $("theme-label").textContent = label;
  $("theme-icon").textContent = { system: "◐", light: "☀", dark: "☾" }[theme];
  $("theme").setAttribute("aria-label", `Colour theme: ${theme === "system" ? "follows the system" : label.toLowerCase()}. Switch theme`);
}

// ------------------------------------------------------------------------------------------------
// workspace: samples, files, editor

// The samples as shipped, once fetched: they do not change while the page is open, and opening
// a sample (each switch back included) compares the workspace with its shipped files.
const shippedSamples = new Map();

async function fetchSample(name) {
  if (shippedSamples.has(name)) return shippedSamples.get(name);
  const res = await fetch(`samples/${encodeURIComponent(name)}.txtar`);
  if (!res.ok) throw new Error(`sample ${name}: HTTP ${res.status}`);
  const ws = txtar.parse(await res.text());
  shippedSamples.set(name, ws);
  return ws;
}

/**
 * Opens sample `name`: as the learner left it in this tab, else with the draft of their edits
 * from an earlier visit (drafts.js), else as shipped. `asShipped` (a link naming the sample):
 * as shipped, and this page load keeps no draft of it (an earlier draft stays stored). `quiet`:
 * a draft brought back is not announced (a link is about to open something else).
 */
async function openSample(name, { asShipped = false, quiet = false } = {}) {
  flushDraft();
  if (state.sample) state.edited.set(state.sample, { comment: state.comment, files: new Map(state.files) });
  const shipped = await fetchSample(name);
  state.shipped = new Map(shipped.files.map((f) => [f.path, f.text]));
  state.shippedComment = shipped.comment;
  if (asShipped) state.shippedOnly.add(name);
  let ws = asShipped ? null : state.edited.get(name);
  let restored = null;
  if (!ws && !asShipped) {
    const { draft, problem } = drafts.load(name);
    if (problem) notice(problem, { error: true });
    if (draft && !drafts.sameFiles(draft.files, state.shipped)) ws = restored = draft;
  }
  state.sample = name;
  if (state.sampleNotice) notice(""); // a draft's return or a revert's Undo: the sample left's
  state.undo = null;
  state.comment = ws ? ws.comment : shipped.comment;
  state.files = new Map(ws ? ws.files : state.shipped);
  showFiles();
  $("sample").value = name;
  if (!VIRTUAL.has(name)) saveSettings({ sample: name });
  status(state.comment.trim() || `Sample ${name}.`);
  if (restored && !quiet) {
    const when = new Date(restored.savedAt).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    notice(`Your edits to ${name} from ${when} are back. Revert opens the sample as shipped.`);
    state.sampleNotice = true;
  }
  workspaceChanged({ edit: false });
}

/** A fresh editor on the workspace, with main.go (else the first Go file, else any) open. */
function showFiles() {
  ui.editor.reset();
  const paths = [...state.files.keys()];
  selectFile(paths.find((p) => p === "main.go") || paths.find((p) => p.endsWith(".go")) || paths[0] || null);
}

// ------------------------------------------------------------------------------------------------
// drafts: the learner's edits to a sample, kept across reloads (drafts.js)

let draftTimer = null;
// Whether this tab changed the open sample since its draft was last written: a tab that only
// looked never writes (nor forgets) a draft another tab may have written since.
let draftDirty = false;

/** Whether the open workspace's edits are kept as a draft: a sample's, not opened by a link. */
function draftable() {
  return state.shipped !== null && !state.embed && !VIRTUAL.has(state.sample) && !state.shippedOnly.has(state.sample);
}

/** The open sample differs from the sample as shipped. */
function isEdited() {
  return state.shipped !== null && !drafts.sameFiles(state.files, state.shipped);
}

function scheduleDraft() {
  draftDirty = true;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(flushDraft, 300);
}

/** Writes the open sample's draft now (or forgets it when the sample is as shipped). */
function flushDraft() {
  clearTimeout(draftTimer);
  draftTimer = null;
  if (!draftDirty) return;
  draftDirty = false;
  if (!draftable()) return;
  if (!isEdited()) {
    drafts.remove(state.sample);
    return;
  }
  const problem = drafts.save(state.sample, { comment: state.comment, files: state.files });
  if (problem && problem !== state.draftProblem) notice(problem, { error: true });
  state.draftProblem = problem;
}

function updateRevert() {
  $("revert").hidden = !(state.shipped !== null && !VIRTUAL.has(state.sample) && isEdited());
}

/** Puts the open sample back as shipped; its draft is forgotten, and Undo brings the edits back. */
function revert() {
  if (!state.shipped) return;
  clearTimeout(draftTimer);
  draftDirty = false;
  state.undo = { name: state.sample, comment: state.comment, files: new Map(state.files) };
  state.edited.delete(state.sample);
  drafts.remove(state.sample);
  state.files = new Map(state.shipped);
  state.comment = state.shippedComment;
  showFiles();
  status(state.comment.trim() || `Sample ${state.sample}.`);
  notice(`${state.sample} is as shipped again.`, { undo: true });
  state.sampleNotice = true;
  $("undo-revert").focus();
  workspaceChanged({ edit: false });
}

function undoRevert() {
  const u = state.undo;
  state.undo = null;
  notice("");
  if (!u || u.name !== state.sample) return;
  state.comment = u.comment;
  state.files = u.files;
  showFiles();
  workspaceChanged({ edit: true });
}

/** Puts files that came from a lesson or a share link in the editor, as the workspace `name`. */
function setWorkspace(name, label, files, comment) {
  flushDraft();
  if (state.sample && state.sample !== name) state.edited.set(state.sample, { comment: state.comment, files: new Map(state.files) });
  let opt = $("sample").querySelector(`option[value="${name}"]`);
  if (!opt) {
    opt = h("option", { value: name });
    $("sample").append(opt);
  }
  opt.textContent = label;
  state.sample = name;
  state.comment = comment;
  state.files = new Map(files.map((f) => [f.path, f.text]));
  state.edited.delete(name);
  state.shipped = null;
  state.undo = null;
  showFiles();
  $("sample").value = name;
  workspaceChanged({ edit: false });
}

function selectFile(path) {
  state.selected = path;
  $("editor-file").textContent = path ?? "no file";
  if (path !== null) ui.editor.open(path, state.files.get(path));
  ui.tree.update([...state.files.keys()], path);
}

function onEdit(path, text) {
  state.files.set(path, text);
  workspaceChanged({ edit: true });
}

let changeTimer = null;
/** After any change of the workspace: reload the graph and, after an edit, predict what rebuilds. */
function workspaceChanged({ edit }) {
  if (edit) scheduleDraft();
  updateRevert();
  clearTimeout(changeTimer);
  changeTimer = setTimeout(() => refreshAnalysis(edit), edit ? 250 : 0);
}

async function refreshAnalysis(edit) {
  const files = workspaceFiles();
  if (!engine.has("load")) {
    ui.graphRoot.replaceChildren(unavailable(new Unavailable("load").message, "The graph draws the packages the loader finds, coloured by the last build's outcomes."));
    return;
  }
  // The loader's view is the full module's (engine.js, FULL_OPS): on the first module, a sample
  // opened (the page's own on load, or the learner's) leaves the hidden graph to be drawn when its
  // tab is shown, and the page builds on the first module until something needs the full one.
  // An edit does (its prediction), and so does showing the graph.
  if (!edit && !engine.isFull() && $("view-graph").hidden) {
    state.graphStale = true;
    return;
  }
  state.graphStale = false;
  try {
    const loaded = await engine.load(files);
    ui.graph.setPackages(loaded.packages);
    if (loaded.errors?.length) status(loaded.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join("\n"), true);
    if (edit && state.runs.length && engine.has("predict")) ui.graph.setPredicted(await engine.predict(files));
    else if (!edit) ui.graph.setPredicted(null);
  } catch (e) {
    status(`Loading the workspace failed: ${e.message || e}`, true);
  }
}

const fileHandlers = {
  onSelect: (path) => {
    selectFile(path);
    ui.editor.focus();
  },
  onAdd: (path) => {
    const err = checkPath(path, [...state.files.keys()]);
    if (err) return err;
    const pkg = path.includes("/") ? path.split("/").slice(-2, -1)[0] : "main";
    state.files.set(path, path.endsWith(".go") ? `package ${pkg.replace(/[^A-Za-z0-9_]/g, "_")}\n` : "");
    selectFile(path);
    workspaceChanged({ edit: true });
    return null;
  },
  onRename: (from, to) => {
    const err = checkPath(to, [...state.files.keys()].filter((p) => p !== from));
    if (err) return err;
    const text = state.files.get(from);
    state.files.delete(from);
    state.files.set(to, text);
    ui.editor.rename(from, to);
    selectFile(state.selected === from ? to : state.selected);
    workspaceChanged({ edit: true });
    return null;
  },
  onDelete: (path) => {
    state.files.delete(path);
    ui.editor.drop(path);
    if (state.selected === path) selectFile([...state.files.keys()].sort()[0] ?? null);
    else ui.tree.update([...state.files.keys()], state.selected);
    if (state.selected === null) ui.editor.open("", "", true);
    workspaceChanged({ edit: true });
  },
};

// ------------------------------------------------------------------------------------------------
// build bar

function flagInputs() {
  return { x: $("flag-x"), n: $("flag-n"), work: $("flag-work"), a: $("flag-a") };
}

/** The command line changed (typed): reflect its flags in the toggles. */
function syncTogglesFromLine() {
  const line = $("cmdline").value;
  const c = classify(line);
  saveSettings({ cmdline: line });
  if (c.kind !== "build") return;
  for (const [k, el] of Object.entries(flagInputs())) el.checked = c.flags[k];
  // Without -p, go runs as many actions at once as there are CPUs: show that, not a stale -p.
  $("flag-p").value = typeof c.flags.p === "number" ? c.flags.p : $("cpus").value;
}

/** A toggle changed: rewrite the line from the toggles, keeping its package patterns. */
function syncLineFromToggles() {
  const c = classify($("cmdline").value);
  const flags = {};
  for (const [k, el] of Object.entries(flagInputs())) flags[k] = el.checked;
  const p = $("flag-p").value.trim();
  flags.p = p === "" ? null : p;
  $("cmdline").value = formatBuild(flags, c.kind === "build" ? c.rest : ["."]);
  saveSettings({ cmdline: $("cmdline").value });
}

function setBusy(busy) {
  state.busy = busy;
  $("run").disabled = busy;
  for (const b of document.querySelectorAll(".cmdbuttons button")) b.disabled = busy;
  document.body.dataset.building = busy ? "true" : "false";
  $("run").textContent = busy ? "Building…" : "Build";
  $("share").disabled = busy;
}

async function runLine(line) {
  if (state.busy) return;
  const c = classify(line);
  // A warm build is done within a frame or two. The command's echo and the busy state are drawn
  // only if it is still running a moment later (or just before its first output): drawn at
  // once, they would make the browser lay out and paint the page while the build waits on
  // IndexedDB, for a "Building…" nobody sees.
  state.busy = true;
  document.body.dataset.building = "true";
  let echoed = false;
  // `running`: the command is still running, so the page shows it busy; echoed after the
  // fact (a build that finished within the 60 ms), the busy state would only be undone at once.
  const echo = (running = true) => {
    if (echoed) return;
    echoed = true;
    clearTimeout(timer);
    ui.term.command(line);
    if (running) setBusy(true);
  };
  const timer = setTimeout(echo, 60);
  if (c.kind !== "build") echo();
  try {
    await waitForSave(echo);
    if (c.kind === "build") await runBuild(c, echo);
    else if (c.argv.length === 1 && c.argv[0].startsWith("./") && $("toolchain").value === "real") await runBinary();
    else await runOther(c);
  } catch (e) {
    echo();
    if (e instanceof Unavailable) ui.term.note(e.message);
    else ui.term.error(`buildlab: ${e.message || e}`);
  } finally {
    echo();
    setBusy(false);
    updateRunButton();
    refreshCache();
  }
}

/** Megabytes as people read them in a progress line (10⁶ bytes). */
function mb(n) {
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
}

/**
 * A real build's outputs stay on the helper while it runs; once its result is on screen they are
 * fetched and written to this page's cache (IndexedDB) in the background, each entry with its
 * output (web/src/real.rs `save_outputs`). Shows the progress beside the status line; the next
 * command waits for it (`waitForSave`), so a warm build right after a cold one finds every entry.
 * `body[data-cache-save]`: `saving`, then `done`, `idle` (nothing to save) or `failed`.
 */
function startSave() {
  const el = $("cache-save");
  const text = $("cache-save-text");
  const bar = $("cache-save-bar");
  const t0 = performance.now();
  document.body.dataset.cacheSave = "saving";
  const p = engine.saveOutputs((done, total) => {
    if (!total) return;
    el.hidden = false;
    el.classList.remove("done", "error");
    bar.max = total;
    bar.value = done;
    text.textContent = `saving ${mb(total)} of outputs to the cache…`;
    el.title = `${text.textContent} (${mb(done)} saved)`;
  }).then((r) => {
    document.body.dataset.lastSaveMs = (performance.now() - t0).toFixed(1);
    // From the Build click to the outputs saved (the build's `lastBuildPageMs` is to its result).
    document.body.dataset.lastSavedPageMs = (performance.now() - state.buildT0).toFixed(1);
    document.body.dataset.lastSaved = JSON.stringify(r || {});
    if (!r || !r.totalBytes) {
      el.hidden = true;
      document.body.dataset.cacheSave = "idle";
      return;
    }
    el.classList.add("done");
    const n = r.missing.length;
    // Short on the status line; the title says it whole.
    const lost = n ? `; ${n} lost output${n === 1 ? "" : "s"} rebuild${n === 1 ? "s" : ""} next time` : "";
    text.textContent = `saved ${mb(r.bytes)} to the cache${lost}`;
    el.title = n
      ? `saved ${mb(r.bytes)} of outputs to the cache; ${n} output${n === 1 ? "" : "s"} the helper lost ${n === 1 ? "is" : "are"} left out (rebuilt next time)`
      : `saved ${mb(r.bytes)} of outputs to the cache`;
    document.body.dataset.cacheSave = "done";
  }, (e) => {
    el.hidden = false;
    el.classList.add("done", "error");
    text.textContent = `saving to the cache failed: ${e.message || e} (the next build runs those actions again)`;
    el.title = text.textContent;
    document.body.dataset.cacheSave = "failed";
  }).finally(() => {
    if (state.saving === p) state.saving = null;
    state.cacheStale = true;
    refreshCache();
  });
  state.saving = p;
}

/** Before a command: waits for the last real build's save to the cache, saying so. */
async function waitForSave(echo) {
  if (!state.saving) {
    $("cache-save").hidden = true;
    return;
  }
  echo();
  status("Waiting for the last build's outputs to be saved to the cache…");
  await state.saving;
  // Said once the save ends; what is shown from here is this command's.
  if ($("cache-save").classList.contains("error")) return;
  $("cache-save").hidden = true;
}

async function runOther(c) {
  const out = await engine.run(c.argv);
  ui.term.output(out.output || "");
}

/** The shortest time between two live redraws of a real build's timeline, ms. */
const LIVE_REDRAW_MS = 250;

async function runBuild(c, echo = () => {}) {
  if (!engine.has("build")) {
    throw new Unavailable("build");
  }
  const request = { argv: c.argv, cpus: Number($("cpus").value) || 1, toolchain: $("toolchain").value, label: `build ${state.runCounter + 1}` };
  const live = { lanes: Number(c.flags.p) || request.cpus, endUs: 0, actions: [] };
  // The live redraw due, if any: `{t}` a timer before its frame, `{f}` the frame. A real build's
  // actions arrive over seconds while the tools share the CPUs with this page: it is redrawn at
  // most every LIVE_REDRAW_MS, each time adding the new bars. A simulated build's arrive in
  // bursts and redraw once a frame.
  let pending = null;
  let lastDraw = -Infinity;
  const real = request.toolchain === "real";
  const minGap = real ? LIVE_REDRAW_MS : 0;
  // A real build's live timeline: an axis that moves in steps, so that a redraw only appends
  // the bars of the actions that finished since the last one (timeline.js, `live`).
  const draw = () => {
    pending = null;
    lastDraw = performance.now();
    ui.timeline.update({ ...live }, real ? { domainUs: liveDomain(live.endUs), live: true } : {});
  };
  let eventsMs = 0;
  const t0 = performance.now();
  state.buildT0 = t0;
  const result = await engine.build(workspaceFiles(), request, (ev) => {
    const te = performance.now();
    try { onBuildEvent(ev); } finally { eventsMs += performance.now() - te; }
  });
  const tEngine = performance.now();
  echo(false);
  function onBuildEvent(ev) {
    if (ev.kind === "output") {
      echo();
      ui.term.output(ev.text, ev.live);
    }
    else if (ev.kind === "action") {
      live.actions.push(ev.action);
      live.endUs = Math.max(live.endUs, ev.action.endUs || 0);
      if (!pending) {
        const wait = lastDraw + minGap - performance.now();
        pending = wait > 0
          ? { t: setTimeout(() => { pending = { f: requestAnimationFrame(draw) }; }, wait) }
          : { f: requestAnimationFrame(draw) };
      }
    }
  }
  // The whole trace replaces the live one: a live redraw still due would draw over it.
  if (pending) { clearTimeout(pending.t); cancelAnimationFrame(pending.f); }
  if (result.exitCode && !result.output) ui.term.error(`exit status ${result.exitCode}`);
  if (result.exitCode && request.toolchain === "real") explainCgo();
  const run = recordBuild(result, c.argv.join(" "));
  if (!run) {
    // Stopped before building (a flag or load error): go's words are in the terminal already.
    status(`go build stopped: exit status ${result.exitCode}.`, true);
    return;
  }
  // Page time of the build: engine (plan, hashes, IndexedDB, simulation) and the DOM updates.
  const pageMs = performance.now() - t0;
  document.body.dataset.lastBuildPageMs = pageMs.toFixed(1);
  await new Promise((r) => requestAnimationFrame(() => r()));
  if (!document.body.dataset.firstBuildMs) document.body.dataset.firstBuildMs = String(Math.round(performance.now()));
  const failed = result.exitCode ? ` — exit status ${result.exitCode}` : "";
  if (result.real) {
    const r = result.real;
    if (r.unsavedBytes) startSave();
    document.body.dataset.lastToolRuns = String(r.toolRuns);
    document.body.dataset.lastExecs = String(r.execs);
    // Outputs of the page's hits it sent the helper (a helper whose store lost them).
    document.body.dataset.lastUploaded = String(r.uploaded ?? 0);
    // Where the page's time went (ms), for the benchmark and anyone curious.
    document.body.dataset.lastRealPhases = JSON.stringify({ before: r.beforeMs, drive: r.driveMs, replies: r.repliesMs, flush: r.flushMs, helper: r.helperMs, receivedBytes: r.receivedBytes });
    const sent = r.execs ? `the helper ran ${r.toolRuns} tool${r.toolRuns === 1 ? "" : "s"} for ${r.execs} action${r.execs === 1 ? "" : "s"}` : "no tool ran";
    if (r.helperError) {
      status(`Build #${run.n} (real tools) failed: ${r.helperError}. ${run.hits} actions came from the cache; what finished is kept.`, true);
      return;
    }
    status(`Build #${run.n} (real tools${c.flags.n ? ", -n" : ""}): ${outcomes(run, c.flags.n)}; ${sent}; ${ms(run.totalMs)} wall${failed}.`, Boolean(result.exitCode));
    return;
  }
  delete document.body.dataset.lastToolRuns;
  delete document.body.dataset.lastExecs;
  delete document.body.dataset.lastUploaded;
  delete document.body.dataset.lastRealPhases;
  // Where the page's time went (ms): the engine's phases, and the rest (events, DTOs, panels).
  if (result.phases) {
    const p = result.phases;
    const m = result.marks || {};
    document.body.dataset.lastSimPhases = JSON.stringify({ plan: p.planMs, dry: p.dryMs, before: p.beforeMs, drive: p.driveMs, confirm: p.confirmMs, flush: p.flushMs, events: eventsMs, load: m.loadMs, lab: m.labMs, engine: tEngine - t0, page: pageMs });
  }
  status(`Build #${run.n}${c.flags.n ? " (-n)" : ""}: ${outcomes(run, c.flags.n)}; ${ms(run.totalMs)} simulated, ${Math.round(pageMs)} ms of page time${failed}.`, Boolean(result.exitCode));
}

/**
 * A build's misses and hits in words. Under -n go runs nothing: it prints the commands of the
 * actions it would run, so those are "would rebuild", and the time is go's own (loading,
 * planning, hashing), with no tool in it.
 */
function outcomes(run, printOnly) {
  const hits = `${run.hits} from the cache`;
  return printOnly ? `would rebuild ${run.misses}, nothing ran, ${hits}` : `${run.misses} rebuilt, ${hits}`;
}

/**
 * After a failed real build on a helper whose go has CGO_ENABLED=0 (go's default when no gcc is
 * found there): a file importing "C" is left out as go leaves it out, and go's error speaks of
 * what remains. Says which files that was. With cgo on, the helper runs cgo and gcc as go does.
 */
function explainCgo() {
  if (engine.toolchains()?.real?.cgo) return;
  const cgo = workspaceFiles().filter((f) => f.path.endsWith(".go") && /^import\s*(?:\(\s*(?:[^)]*\s)?)?"C"/m.test(f.text)).map((f) => f.path);
  if (cgo.length) {
    ui.term.note(`the helper's go has CGO_ENABLED=0 (no gcc found there), so ${cgo.join(", ")} ${cgo.length > 1 ? "are" : "is"} left out as go leaves out files that import "C"`);
  }
}

/** Shows a finished build (timeline, comparison, graph, $WORK) and keeps it; null when it stopped early. */
function recordBuild(result, command) {
  if (!result.trace) {
    ui.term.note(`exit status ${result.exitCode}`);
    return null;
  }
  $("timeline-caption").hidden = true; // the timeline shows this build, not an imported trace
  const timing = result.timing || { realMs: result.trace.endUs / 1000 };
  ui.term.time(timing);
  const run = {
    n: ++state.runCounter,
    command,
    trace: result.trace,
    hits: result.hits ?? 0,
    misses: result.misses ?? 0,
    totalMs: timing.realMs ?? result.trace.endUs / 1000,
  };
  state.runs.push(run);
  if (state.runs.length > MAX_RUNS) state.runs.shift();
  ui.timeline.update(result.trace);
  ui.compare.update(state.runs);
  ui.graph.setOutcomes(result.packages);
  ui.graph.setPredicted(null);
  ui.work.set(result.work || null);
  state.lastBuild = { hits: run.hits, misses: run.misses };
  document.body.dataset.runs = String(state.runs.length);
  document.body.dataset.lastHits = String(run.hits);
  document.body.dataset.lastMisses = String(run.misses);
  document.body.dataset.lastExit = String(result.exitCode);
  // What the last build did, for the journeys and anyone inspecting the page.
  document.body.dataset.lastCompiled = (result.compiled || []).join(" ");
  document.body.dataset.lastLinked = (result.linked || []).join(" ");
  return run;
}

/**
 * Redraws the cache panel from IndexedDB (every record's size, the browser's estimate): now if
 * it is on screen, else when its tab is next shown. A snapshot of the whole store after every
 * build, for a hidden panel, would keep IndexedDB and the page busy for nobody.
 */
async function refreshCache() {
  if ($("view-cache").hidden) {
    state.cacheStale = true;
    return;
  }
  state.cacheStale = false;
  let listing;
  try {
    listing = await engine.cacheListing();
  } catch (e) {
    listing = e instanceof Error ? e : new Error(String(e));
  }
  ui.cache.render({ listing, last: state.lastBuild || null, storage: await engine.storage().catch(() => null) });
}

/**
 * Offers the real toolchain when the helper serving the page has a Go; otherwise says plainly
 * why builds use the simulation. The page starts on the simulation either way.
 */
async function setupToolchain() {
  const note = $("toolchain-note");
  const real = $("toolchain").querySelector('option[value="real"]');
  let info = null;
  try {
    await engine.connectHelper();
    info = engine.toolchains();
  } catch (e) {
    if (!(e instanceof Unavailable)) throw e;
  }
  document.body.dataset.realToolchain = info?.real?.available ? "available" : "absent";
  if (info?.real?.available) {
    real.disabled = false;
    real.textContent = `real (${info.real.version})`;
  } else {
    real.disabled = true;
    $("toolchain").value = "simulated";
  }
  const explain = () => {
    const isReal = $("toolchain").value === "real";
    note.textContent = !info?.real?.available
      ? info?.real?.reason || "No helper: builds use the simulation of go1.23's tools."
      : isReal
        ? `The real ${info.real.version} tools run the cache misses on the helper (${info.real.cpus} CPUs); hits come from this page's cache.`
        : "";
    $("cpus").disabled = isReal; // the helper's machine decides
    updateRunButton();
  };
  $("toolchain").addEventListener("change", explain);
  explain();
}

/** The Run button: shown in real mode once a real build left a binary in place. */
function updateRunButton() {
  const b = $("toolchain").value === "real" ? engine.realBinary() : null;
  const btn = $("run-binary");
  btn.hidden = !b;
  if (b) btn.textContent = `Run ./${b.path.split("/").pop()}`;
}

/** Runs the real binary in place through the helper and shows its output in the terminal. */
async function runBinary() {
  const b = engine.realBinary();
  if (!b) {
    ui.term.error("buildlab: no real binary is in place: build with the real toolchain first");
    return;
  }
  const r = await engine.runBinary();
  if (r.stdout) ui.term.output(r.stdout);
  if (r.stderr) ui.term.error(r.stderr);
  if (r.timedOut) ui.term.error("buildlab: the program was stopped: it ran past the helper's time limit");
  else if (r.exitStatus !== 0) ui.term.note(`exit status ${r.exitStatus ?? "(killed by a signal)"}`);
  if (r.truncated) ui.term.note("(output truncated by the helper's limit)");
  document.body.dataset.lastRunOutput = r.stdout || "";
  status(`./${b.path.split("/").pop()} ran on the helper: exit status ${r.exitStatus ?? "none"}, ${ms(r.wallMs)}.`, r.exitStatus !== 0);
}

// ------------------------------------------------------------------------------------------------
// tabs

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
    if (tab.id === "tab-timeline") ui.timeline.redraw();
    if (tab.id === "tab-compare") ui.compare.show();
    if (tab.id === "tab-graph") {
      if (state.graphStale) refreshAnalysis(false);
      ui.graph.show();
    }
    if (tab.id === "tab-cache" && state.cacheStale !== false) {
      ui.cache.render({ listing: null, last: state.lastBuild || null, storage: null });
      refreshCache();
    }
  };
  for (const t of tabs) {
    t.addEventListener("click", () => select(t, false));
    t.addEventListener("keydown", (e) => {
      const i = tabs.indexOf(t);
      const next = { ArrowRight: tabs[(i + 1) % tabs.length], ArrowLeft: tabs[(i - 1 + tabs.length) % tabs.length], Home: tabs[0], End: tabs[tabs.length - 1] }[e.key];
      if (next) { e.preventDefault(); select(next, true); }
    });
  }
}

// ------------------------------------------------------------------------------------------------
// the skeleton's facts: the built-in module's digest and this page's IndexedDB record

async function showAbout() {
  let summary;
  try {
    summary = await engine.summary();
  } catch (e) {
    $("visit").textContent = `The sample's digest is unavailable: ${e.message || e}`;
    return;
  }
  $("module").textContent = summary.module;
  $("digest").textContent = summary.digest;
  let visitText;
  try {
    const v = await engine.recordVisit(summary.digest);
    $("visit").dataset.visits = String(v.current.visits);
    visitText = v.previous
      ? `Visit ${v.current.visits}. The record from your previous visit was read back: digest ${v.previous.digest.slice(0, 16)}…`
      : "First visit: a record was written to IndexedDB. Reload the page to read it back.";
  } catch (e) {
    visitText = `IndexedDB is unavailable: ${e.message || e}`;
  }
  $("visit").textContent = visitText;
}


// ------------------------------------------------------------------------------------------------
// the URL fragment: #lesson=ID&step=N&embed=1, #preset=NAME&run=1, #share=TOKEN (docs/lessons.md)

function readFragment() {
  const raw = location.hash.replace(/^#/, "");
  // The share token is taken as it stands (base64url and a dot); the codec judges it.
  const share = /(?:^|&)share=([^&]*)/.exec(raw);
  const p = new URLSearchParams(raw.replace(/(?:^|&)share=[^&]*/, ""));
  return {
    share: share ? share[1] : null,
    lesson: p.get("lesson"),
    step: p.get("step"),
    embed: p.get("embed") === "1",
    preset: p.get("preset"),
    run: p.get("run") === "1",
  };
}

/** Rewrites the fragment's lesson/step without a navigation (other parameters kept). */
function setFragment(patch) {
  const p = new URLSearchParams(location.hash.replace(/^#/, "").replace(/(?:^|&)share=[^&]*/, ""));
  for (const k of ["share", "preset", "run"]) p.delete(k);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) p.delete(k);
    else p.set(k, v);
  }
  history.replaceState(null, "", `${location.pathname}${location.search}#${p.toString()}`);
}

/** A notice above the work area: the outcome of opening a link (text only). */
function notice(text, { error = false, rebuild = false, undo = false } = {}) {
  const el = $("shared-note");
  el.hidden = !text;
  el.classList.toggle("error", error);
  $("shared-text").textContent = text || "";
  $("rebuild").hidden = !rebuild;
  $("undo-revert").hidden = !undo;
  state.sampleNotice = false;
}

function setEmbed(kind) {
  state.embed = kind;
  document.body.classList.toggle("embed", Boolean(kind));
  document.body.dataset.embed = kind || "";
}

/** Acts on the fragment. Returns whether the page should build the default sample as on a plain visit. */
async function route(frag) {
  const chosen = ["share", "lesson", "preset"].filter((k) => frag[k] !== null);
  if (chosen.length > 1) {
    notice(`The link names ${chosen.join(" and ")}; they are exclusive, so the page opened ${chosen[0]}.`, { error: true });
  }
  if (frag.share !== null) {
    setEmbed(frag.embed ? "preset" : null);
    return openShareToken(frag.share);
  }
  if (frag.lesson !== null) {
    setEmbed(frag.embed ? "lesson" : null);
    await showLessons(true);
    const step = Math.max(1, Number.parseInt(frag.step || "1", 10) || 1) - 1;
    await openLesson(frag.lesson, step);
    return false;
  }
  if (frag.preset !== null) {
    setEmbed(frag.embed ? "preset" : null);
    const known = [...$("sample").options].some((o) => o.value === frag.preset && !VIRTUAL.has(o.value));
    if (!known) {
      notice(`There is no preset named “${frag.preset}”; the presets are ${[...$("sample").options].filter((o) => !VIRTUAL.has(o.value)).map((o) => o.value).join(", ")}.`, { error: true });
      return false;
    }
    await openSample(frag.preset, { asShipped: true });
    if (frag.run) runLine($("cmdline").value);
    return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------------
// lessons: files in dist/lessons/ (copied from lessons/), parsed, run and checked by the engine

async function loadLessonIndex() {
  if (state.lessons) return state.lessons;
  const res = await fetch("lessons/index.json");
  if (!res.ok) throw new Error(`lessons/index.json: HTTP ${res.status}`);
  const ids = (await res.json()).lessons || [];
  state.lessons = await Promise.all(ids.map(async (id) => {
    try {
      const r = await fetch(`lessons/${encodeURIComponent(id)}.json`);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const text = await r.text();
      const l = await engine.parseLesson(id, text);
      state.lessonTexts.set(id, text);
      return { id, title: l.title, summary: l.summary, lesson: l };
    } catch (e) {
      return { id, error: e.message || String(e) };
    }
  }));
  return state.lessons;
}

async function showLessons(on) {
  $("lessons").hidden = !on;
  $("lessons-toggle").setAttribute("aria-pressed", String(on));
  document.body.dataset.lessons = on ? "true" : "false";
  if (!on) return;
  try {
    ui.lessons.setIndex(await loadLessonIndex());
  } catch (e) {
    status(`Lessons could not be loaded: ${e.message || e}`, true);
  }
}

function renderLesson() {
  ui.lessons.show(state.lesson && { ...state.lesson, busy: state.busy });
}

async function openLesson(id, step = 0) {
  const all = await loadLessonIndex().catch(() => []);
  const entry = all.find((l) => l.id === id);
  if (!entry) {
    notice(`There is no lesson named “${id}”.`, { error: true });
    return;
  }
  if (entry.error) {
    notice(entry.error, { error: true });
    return;
  }
  const l = entry.lesson;
  const n = Math.min(Math.max(0, step), l.steps.length - 1);
  state.lesson = { lesson: l, text: state.lessonTexts.get(id), step: n, ran: false, questions: null };
  document.body.dataset.lesson = id;
  document.body.dataset.step = String(n + 1);
  setFragment({ lesson: id, step: String(n + 1), embed: state.embed ? "1" : null });
  renderLesson();
}

async function runStep() {
  if (state.busy || !state.lesson) return;
  const { lesson, text, step } = state.lesson;
  setBusy(true);
  if (state.saving) await state.saving.catch(() => {});
  state.lesson.ran = false;
  renderLesson();
  ui.term.clear(); // the terminal shows this experiment's commands, from the top

  let live = null;
  let pending = false;
  try {
    const r = await engine.runLessonStep(lesson.id, text, step, (ev) => {
      if (ev.kind === "command") {
        ui.term.command(ev.text);
        live = { lanes: 2, endUs: 0, actions: [] };
      } else if (ev.kind === "output") ui.term.output(ev.text);
      else if (ev.kind === "action" && live) {
        live.actions.push(ev.action);
        live.lanes = Math.max(live.lanes, ev.action.lane || 0);
        live.endUs = Math.max(live.endUs, ev.action.endUs || 0);
        if (!pending) {
          pending = true;
          requestAnimationFrame(() => { pending = false; if (live) ui.timeline.update({ ...live }); });
        }
      }
    });
    live = null;
    setWorkspace("lesson", `lesson: ${lesson.title}`, r.files, lesson.title);
    let last = null;
    for (const b of r.builds) {
      // The step's builds ran back to back above; their timings follow, each under its name.
      if (r.builds.length > 1) ui.term.note(`${b.label}: ${b.argv.join(" ")}`);
      last = recordBuild(b.run, b.argv.join(" ") || b.label) || last;
    }
    const lastBuild = r.builds[r.builds.length - 1];
    if (lastBuild) {
      $("cmdline").value = lastBuild.argv.join(" ");
      $("cpus").value = String(lastBuild.cpus);
      syncTogglesFromLine();
    }
    state.lesson.ran = true;
    state.lesson.questions = r.questions;
    document.body.dataset.lessonRan = `${lesson.id}/${step + 1}`;
    status(`Step ${step + 1} of “${lesson.title}” ran: ${r.builds.map((b) => `${b.label} ${b.run.misses} rebuilt, ${b.run.hits} cached`).join("; ") || "no build"}. Now answer below.`);
  } catch (e) {
    live = null;
    ui.term.error(`buildlab: ${e.message || e}`);
    status(`The experiment could not run: ${e.message || e}`, true);
  } finally {
    setBusy(false);
    renderLesson();
    refreshCache();
  }
}

function checkAnswer(i, value) {
  try {
    ui.lessons.feedback(i, engine.checkAnswer(i, value));
  } catch (e) {
    ui.lessons.feedback(i, { error: e.message || String(e) });
  }
}

// ------------------------------------------------------------------------------------------------
// share links

async function makeShareLink() {
  if (state.busy) return;
  try {
    const c = classify($("cmdline").value);
    const token = await engine.shareLink(workspaceFiles(), {
      argv: c.argv,
      cpus: Number($("cpus").value) || 1,
      toolchain: $("toolchain").value,
      title: state.sample && !VIRTUAL.has(state.sample) ? state.sample : state.comment.split("\n")[0].slice(0, 80),
    });
    const url = `${location.origin}${location.pathname}#share=${token}`;
    $("share-box").hidden = false;
    $("share-url").value = url;
    $("share-url").select();
    document.body.dataset.shareUrl = url;
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch {
      copied = false;
    }
    $("share-note").textContent = `${copied ? "Copied. " : "Select and copy it. "}${url.length} characters; it holds the files, the command line and the last builds' traces, and nothing is uploaded.`;
  } catch (e) {
    status(e.message || String(e), true);
  }
}

/** Opens a share token. On failure the codec's sentence is shown and the default sample opens. */
async function openShareToken(token) {
  let r;
  try {
    r = await engine.openShared(token);
  } catch (e) {
    await openSample(state.settings.sample);
    notice(`This share link cannot be opened: ${e.message || e}. The ${state.sample} sample is open instead; nothing was changed.`, { error: true });
    document.body.dataset.shareError = e.message || String(e);
    return false;
  }
  setWorkspace("shared", `shared${r.title ? `: ${r.title}` : ""}`, r.files, r.title);
  $("cmdline").value = r.argv.join(" ") || "go build .";
  $("cpus").value = String(r.cpus);
  syncTogglesFromLine();
  const tc = $("toolchain").querySelector(`option[value="${r.toolchain.runner === "real" ? "real" : "simulated"}"]`);
  if (tc && !tc.disabled) $("toolchain").value = tc.value;
  for (const b of r.builds) {
    state.runs.push({ n: ++state.runCounter, command: `${b.label} (recorded)`, trace: b.trace, hits: b.hits, misses: b.misses, totalMs: b.wallMs });
  }
  const last = r.builds[r.builds.length - 1];
  if (last) {
    $("timeline-caption").hidden = true;
    ui.timeline.update(last.trace);
  }
  ui.compare.update(state.runs);
  document.body.dataset.shared = String(r.builds.length);
  const real = r.toolchain.runner === "real" ? " The builds were recorded with the real Go toolchain." : "";
  notice(r.builds.length
    ? `Opened a shared session: ${r.files.length} files, ${r.builds.length} recorded build${r.builds.length > 1 ? "s" : ""} (${r.builds.map((b) => `${b.label}: ${ms(b.wallMs)}`).join(", ")}). The timeline shows them as recorded.${real}`
    : `Opened a shared session: ${r.files.length} files; it recorded no build.`, { rebuild: true });
  status(`Shared session: ${$("cmdline").value}`);
  return false;
}

// ------------------------------------------------------------------------------------------------
// traces in and out

async function importTraceFile(file) {
  if (!file) return;
  if (file.size > 64 << 20) {
    status(`${file.name}: ${file.size} bytes is more than the 64 MiB this page reads.`, true);
    return;
  }
  try {
    const r = await engine.importTrace(await file.text());
    $("tab-timeline").click();
    ui.timeline.update(r.trace);
    // What the file names: every package, and how many of them ran a build action (`unsafe` is
    // built into the compiler, so a whole build names one package more than it has actions for).
    const named = r.namedPackages?.length ?? r.packages;
    const without = r.withoutAction || [];
    document.body.dataset.imported = String(named);
    document.body.dataset.importedActions = String(r.packages);
    const what = r.origin === "go-trace" ? "go build -debug-trace" : "go build -debug-actiongraph";
    const counts = named === r.packages ? `${named} packages` : `${r.packages} build actions, ${named} packages`;
    const why = without.length ? ` (no action for ${without.join(", ")}${without.includes("unsafe") ? ": it is built into the compiler" : ""})` : "";
    const cap = $("timeline-caption");
    cap.replaceChildren(h("strong", { text: file.name }), ` — ${what}, real timings, read-only: ${counts}${why}, ${ms(r.wallMs)}.`);
    cap.hidden = false;
    status(`Imported ${file.name} (${what}): ${counts}, ${ms(r.wallMs)}, real timings, read-only. Build to go back to the simulation.`);
  } catch (e) {
    status(`${file.name} is not a go trace this page reads: ${e.message || e}`, true);
  }
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function exportTrace(format) {
  try {
    const text = await engine.exportTrace(format);
    download(format === "chrome" ? "buildlab-trace.json" : "buildlab-actiongraph.json", text);
    status(format === "chrome"
      ? "Saved buildlab-trace.json: open it at ui.perfetto.dev (Open trace file) or chrome://tracing."
      : "Saved buildlab-actiongraph.json, in go build -debug-actiongraph's format.");
  } catch (e) {
    status(e.message || String(e), true);
  }
}

/** The trace on screen, handed to a new Perfetto UI tab (window.open must run in the click). */
function openPerfetto() {
  status("Opening ui.perfetto.dev in a new tab and handing it the trace…");
  const trace = engine.exportTrace("chrome").then((text) => new TextEncoder().encode(text).buffer);
  openInPerfetto(trace, { title: "Buildlab trace" })
    .then(() => status("The trace is open in the Perfetto tab."))
    .catch((e) => status(`Perfetto: ${e.message || e}`, true));
}

function setupLinks() {
  $("lessons-toggle").addEventListener("click", () => showLessons($("lessons").hidden));
  $("share").addEventListener("click", makeShareLink);
  $("share-copy").addEventListener("click", async () => {
    $("share-url").select();
    try {
      await navigator.clipboard.writeText($("share-url").value);
      $("share-note").textContent = "Copied.";
    } catch {
      $("share-note").textContent = "The browser refused the clipboard: select the link and copy it.";
    }
  });
  $("share-close").addEventListener("click", () => { $("share-box").hidden = true; });
  $("rebuild").addEventListener("click", () => {
    notice(null);
    runLine($("cmdline").value);
  });
  $("trace-file").addEventListener("change", async (e) => {
    await importTraceFile(e.target.files[0]);
    e.target.value = "";
  });
  const views = document.querySelector(".views");
  views.addEventListener("dragover", (e) => {
    if ([...(e.dataTransfer?.types || [])].includes("Files")) e.preventDefault();
  });
  views.addEventListener("drop", (e) => {
    if (!e.dataTransfer?.files?.length) return;
    e.preventDefault();
    importTraceFile(e.dataTransfer.files[0]);
  });
  $("export-chrome").addEventListener("click", () => exportTrace("chrome"));
  $("export-graph").addEventListener("click", () => exportTrace("actiongraph"));
  $("open-perfetto").addEventListener("click", openPerfetto);
  addEventListener("hashchange", () => {
    if (!state.busy) route(readFragment()).catch((e) => status(e.message || String(e), true));
  });
}

// ------------------------------------------------------------------------------------------------

async function main(bindings) {
  engine = await new Engine(bindings).open();
  applyTheme(state.settings.theme);
  ui = {
    editor: createEditor($("editor"), { onChange: onEdit, onBuild: () => runLine($("cmdline").value) }),
    tree: createFileTree($("filetree"), $("file-add"), fileHandlers),
    term: createTerminal($("terminal"), $("term-copy"), $("term-clear")),
    timeline: null,
    compare: createCompare($("compare")),
    graphRoot: $("graph"),
    graph: createGraph($("graph"), { inputsOf: (importPath) => engine.actionInputs(importPath) }),
    cache: createCachePanel($("cache")),
    work: createWorkPanel($("workdir")),
    lessons: createLessonPanel($("lessons"), {
      onOpen: (id) => openLesson(id, 0),
      onStep: (n) => state.lesson && openLesson(state.lesson.lesson.id, n),
      onRun: () => runStep(),
      onCheck: (i, v) => checkAnswer(i, v),
    }),
  };
  if (engine.has("build")) {
    ui.timeline = createTimeline($("timeline"));
  } else {
    $("timeline").replaceChildren(unavailable(new Unavailable("build").message, "The timeline draws one lane per worker from the build's trace as it streams."));
    ui.timeline = { update() {}, redraw() {} };
    ui.work.set(new Unavailable("build"));
  }
  ui.compare.update([]);
  setupTabs();

  // build bar
  $("cmdline").value = state.settings.cmdline;
  $("cpus").value = state.settings.cpus;
  syncTogglesFromLine();
  $("cmdline").addEventListener("input", syncTogglesFromLine);
  for (const el of [...Object.values(flagInputs()), $("flag-p")]) el.addEventListener("change", syncLineFromToggles);
  $("cpus").addEventListener("change", () => saveSettings({ cpus: Number($("cpus").value) || 1 }));
  $("buildbar").addEventListener("submit", (e) => {
    e.preventDefault();
    runLine($("cmdline").value);
  });
  // Pressing Build (not yet released) asks IndexedDB for the key listing a warm build confirms
  // its cache with: after the click, the browser would answer only once it has drawn a frame
  // (see Session::list_ahead in web/src/session.rs).
  const listAhead = () => { if (!state.busy && $("toolchain").value !== "real") engine.listAhead(); };
  $("run").addEventListener("pointerdown", (e) => { if (e.button === 0) listAhead(); });
  $("run").addEventListener("keydown", (e) => { if (e.key === " " && !e.repeat) listAhead(); });
  // Ctrl/⌘ goes down before the Enter of Ctrl/⌘+Enter: the shortcut gets the same head start
  // (a listing nothing uses is left to finish; the next build takes one only within 500 ms).
  addEventListener("keydown", (e) => { if ((e.key === "Control" || e.key === "Meta") && !e.repeat) listAhead(); }, true);
  for (const b of document.querySelectorAll(".cmdbuttons button")) b.addEventListener("click", () => runLine(b.dataset.cmd));
  addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
      e.preventDefault();
      runLine($("cmdline").value);
    }
  });
  await setupToolchain();
  $("run-binary").addEventListener("click", () => runLine(`./${(engine.realBinary()?.path || "").split("/").pop()}`));

  $("theme").addEventListener("click", () => {
    const next = THEMES[(THEMES.indexOf(state.settings.theme) + 1) % THEMES.length];
    saveSettings({ theme: next });
    applyTheme(next);
  });
  $("sample").addEventListener("change", (e) => openSample(e.target.value).catch((err) => status(err.message, true)));
  $("revert").addEventListener("click", revert);
  $("undo-revert").addEventListener("click", undoRevert);
  // The last edits' draft is written when the tab is hidden or closed, not only after a pause.
  addEventListener("pagehide", flushDraft);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flushDraft(); });

  ui.term.note(engine.has("build")
    ? "Press Build (or Ctrl/⌘+Enter) to run the command line above."
    : "The build engine has not landed in this wasm build yet; commands are echoed and the engine's absence is reported.");
  setupLinks();
  const frag = readFragment();
  // A lesson or preset works on top of the default sample; a share link replaces it (or, broken,
  // leaves it as it is).
  // Opened as shipped under a lesson or a preset: the link's reader expects what its author saw.
  if (frag.share === null) {
    await openSample(state.settings.sample, {
      asShipped: frag.lesson !== null || frag.preset === state.settings.sample,
      quiet: frag.preset !== null,
    });
  }
  let plain = true;
  try {
    plain = await route(frag);
  } catch (e) {
    status(e.message || String(e), true);
    plain = false;
  }
  refreshCache();
  document.body.dataset.ready = "true";
  const first = plain && engine.has("build") ? runLine($("cmdline").value) : Promise.resolve();
  // Once the first build is on screen: the full module is fetched and compiled while the browser
  // is idle (not switched to: the next action that needs it does), and the skeleton's facts,
  // which are its, are shown.
  first.catch(() => {}).then(async () => {
    const full = await engine.prefetchWhenIdle();
    document.body.dataset.fullPrefetched = String(Boolean(full) || engine.isFull());
    await showAbout();
    document.body.dataset.about = "true";
  }).catch(fail);
}

function fail(e) {
  status(`Buildlab failed to start: ${e && e.message ? e.message : e}`, true);
}

if (window.wasmBindings) {
  main(window.wasmBindings).catch(fail);
} else {
  addEventListener("TrunkApplicationStarted", () => main(window.wasmBindings).catch(fail), { once: true });
}
