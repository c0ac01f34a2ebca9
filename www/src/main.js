// The page's entry point and the one owner of its state. Components (editor, file tree, build
// bar, terminal, timeline, comparison, graph, cache and $WORK panels) render what they are given
// and report intents back here as calls; only this module changes the state, and only engine.js
// talks to the wasm module. Trunk fires `TrunkApplicationStarted` with the bindings on
// `window.wasmBindings`; everything starts from there.
import { $, h, unavailable } from "./dom.js";
import * as txtar from "./txtar.js";
import { classify, formatBuild } from "./cmdline.js";
import { Engine, Unavailable } from "./engine.js";
import { createEditor } from "./editor.js";
import { createFileTree, checkPath } from "./filetree.js";
import { createTerminal } from "./terminal.js";
import { createTimeline } from "./timeline.js";
import { createCompare } from "./compare.js";
import { createGraph } from "./graph.js";
import { createCachePanel } from "./cachepanel.js";
import { createWorkPanel } from "./workdir.js";
import * as settingsStore from "./settings.js";

const MAX_RUNS = 12;

const state = {
  settings: settingsStore.load(),
  sample: null,
  comment: "",
  files: new Map(), // path -> text, the workspace being edited
  edited: new Map(), // sample name -> { comment, files } kept while switching samples
  selected: null,
  runs: [], // [{ n, command, trace, hits, misses, totalMs, result }]
  runCounter: 0,
  busy: false,
};

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

async function fetchSample(name) {
  const res = await fetch(`samples/${encodeURIComponent(name)}.txtar`);
  if (!res.ok) throw new Error(`sample ${name}: HTTP ${res.status}`);
  return txtar.parse(await res.text());
}

async function openSample(name) {
  if (state.sample) state.edited.set(state.sample, { comment: state.comment, files: new Map(state.files) });
  const kept = state.edited.get(name);
  const ws = kept || (await fetchSample(name));
  state.sample = name;
  state.comment = ws.comment;
  state.files = kept ? new Map(kept.files) : new Map(ws.files.map((f) => [f.path, f.text]));
  ui.editor.reset();
  const first = [...state.files.keys()].find((p) => p === "main.go") || [...state.files.keys()].find((p) => p.endsWith(".go")) || [...state.files.keys()][0];
  selectFile(first ?? null);
  $("sample").value = name;
  saveSettings({ sample: name });
  status(ws.comment.trim() || `Sample ${name}.`);
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
  clearTimeout(changeTimer);
  changeTimer = setTimeout(() => refreshAnalysis(edit), edit ? 250 : 0);
}

async function refreshAnalysis(edit) {
  const files = workspaceFiles();
  if (!engine.has("load")) {
    ui.graphRoot.replaceChildren(unavailable(new Unavailable("load").message, "The graph draws the packages the loader finds, coloured by the last build's outcomes."));
    return;
  }
  try {
    const loaded = engine.load(files);
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
  if (typeof c.flags.p === "number") $("flag-p").value = c.flags.p;
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
}

async function runLine(line) {
  if (state.busy) return;
  const c = classify(line);
  ui.term.command(line);
  setBusy(true);
  try {
    if (c.kind === "build") await runBuild(c);
    else await runOther(c);
  } catch (e) {
    if (e instanceof Unavailable) ui.term.note(e.message);
    else ui.term.error(`buildlab: ${e.message || e}`);
  } finally {
    setBusy(false);
    refreshCache();
  }
}

async function runOther(c) {
  const out = await engine.run(c.argv);
  ui.term.output(out.output || "");
}

async function runBuild(c) {
  if (!engine.has("build")) {
    throw new Unavailable("build");
  }
  const request = { argv: c.argv, cpus: Number($("cpus").value) || 1, toolchain: $("toolchain").value };
  const live = { lanes: Number(c.flags.p) || request.cpus, endUs: 0, actions: [] };
  let pending = false;
  const t0 = performance.now();
  const result = await engine.build(workspaceFiles(), request, (ev) => {
    if (ev.kind === "output") ui.term.output(ev.text);
    else if (ev.kind === "action") {
      live.actions.push(ev.action);
      live.endUs = Math.max(live.endUs, ev.action.endUs || 0);
      if (!pending) {
        pending = true;
        requestAnimationFrame(() => { pending = false; ui.timeline.update({ ...live }); });
      }
    }
  });
  if (result.exitCode && !result.output) ui.term.error(`exit status ${result.exitCode}`);
  const timing = result.timing || (result.trace ? { realMs: result.trace.endUs / 1000 } : {});
  ui.term.time(timing);
  const run = {
    n: ++state.runCounter,
    command: c.argv.join(" "),
    trace: result.trace,
    hits: result.hits ?? 0,
    misses: result.misses ?? 0,
    totalMs: timing.realMs ?? (result.trace ? result.trace.endUs / 1000 : null),
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
  if (!document.body.dataset.firstBuildMs) document.body.dataset.firstBuildMs = String(Math.round(performance.now()));
  status(`Build #${run.n}: ${run.misses} rebuilt, ${run.hits} from the cache, in ${Math.round(performance.now() - t0)} ms of page time.`);
}

async function refreshCache() {
  let listing;
  try {
    listing = await engine.cacheListing();
  } catch (e) {
    listing = e instanceof Error ? e : new Error(String(e));
  }
  ui.cache.render({ listing, last: state.lastBuild || null, storage: await engine.storage().catch(() => null) });
}

function setupToolchain() {
  const note = $("toolchain-note");
  const real = $("toolchain").querySelector('option[value="real"]');
  let info = null;
  try {
    info = engine.toolchains();
  } catch (e) {
    if (!(e instanceof Unavailable)) throw e;
  }
  if (info?.real?.available) {
    real.disabled = false;
    real.textContent = `real Go (${info.real.version || "helper"})`;
    note.textContent = "";
  } else {
    real.disabled = true;
    $("toolchain").value = "simulated";
    note.textContent = info?.real?.reason
      || "Real Go runs through the native helper; it stays disabled until the helper reports a Go installation (issue 7). The simulation models go1.23's tools.";
  }
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
  const summary = engine.summary();
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
    graph: createGraph($("graph")),
    cache: createCachePanel($("cache")),
    work: createWorkPanel($("workdir")),
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
  for (const b of document.querySelectorAll(".cmdbuttons button")) b.addEventListener("click", () => runLine(b.dataset.cmd));
  addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
      e.preventDefault();
      runLine($("cmdline").value);
    }
  });
  setupToolchain();

  $("theme").addEventListener("click", () => {
    const next = THEMES[(THEMES.indexOf(state.settings.theme) + 1) % THEMES.length];
    saveSettings({ theme: next });
    applyTheme(next);
  });
  $("sample").addEventListener("change", (e) => openSample(e.target.value).catch((err) => status(err.message, true)));

  ui.term.note(engine.has("build")
    ? "Press Build (or Ctrl/⌘+Enter) to run the command line above."
    : "The build engine has not landed in this wasm build yet; commands are echoed and the engine's absence is reported.");
  await showAbout();
  await openSample(state.settings.sample);
  refreshCache();
  document.body.dataset.ready = "true";
  if (engine.has("build")) runLine($("cmdline").value);
}

function fail(e) {
  status(`Buildlab failed to start: ${e && e.message ? e.message : e}`, true);
}

if (window.wasmBindings) {
  main(window.wasmBindings).catch(fail);
} else {
  addEventListener("TrunkApplicationStarted", () => main(window.wasmBindings).catch(fail), { once: true });
}
