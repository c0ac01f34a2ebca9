// The package graph, laid out top to bottom in layers by dagre (@dagrejs/dagre): main at the top,
// what it imports below. Nodes are coloured by the last build's outcome (hit / miss), the
// predicted rebuild set after an edit is outlined, and selecting a node shows its files, imports,
// action-ID inputs and why it rebuilt — all as the engine reported them.
import { h, s } from "./dom.js";

/**
 * dagre, fetched the first time the graph is drawn (a chunk of its own, see
 * scripts/bundle-ui.mjs): the first build does not need it, so the first load does not carry it.
 */
let dagre = null;
let dagreLoading = null;
function loadDagre() {
  dagreLoading ??= import("@dagrejs/dagre").then((m) => {
    dagre = m.default ?? m;
    return dagre;
  });
  return dagreLoading;
}

const CHAR_W = 6.8;

/**
 * Creates the graph in `root`. `opts.inputsOf(importPath)`, when given, returns the lines the last
 * build hashed into that package's action ID (asked for when a package is selected, since the
 * engine does not send them with every build); an outcome may carry them as `inputs` instead.
 */
export function createGraph(root, opts = {}) {
  let pkgs = [];
  let outcomes = new Map();
  let predicted = null; // { rebuild: Set, reasons: {} } | null
  let selected = null;
  let showStd = false;
  // dagre's layout depends only on the packages shown: kept until they change. And a render
  // waits while the panel is hidden.
  let laid = null; // { pkgs, showStd, g }
  let stale = false;

  const stdToggle = h("input", { type: "checkbox", id: "graph-std", on: { change: (e) => { showStd = e.target.checked; render(); } } });
  const toolbar = h("div", { class: "tl-toolbar" },
    h("label", { class: "field" }, stdToggle, h("span", { text: "show the standard library" })),
    h("span", { class: "tl-legend" },
      h("span", { class: "k-cache-hit", text: "cache hit" }), h("span", { class: "k-link", text: "rebuilt (miss)" }),
      h("span", { class: "k-pack", text: "predicted to rebuild" })));
  const canvas = h("div", { class: "graph-canvas" });
  const detail = h("aside", { class: "node-detail", "aria-live": "polite", "aria-label": "Selected package" });

  function layout(visible) {
    if (laid && laid.pkgs === pkgs && laid.showStd === showStd) return laid.g;
    const names = new Set(visible.map((p) => p.importPath));
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 42, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const p of visible) g.setNode(p.importPath, { width: Math.max(60, p.importPath.length * CHAR_W + 20), height: 28 });
    for (const p of visible) for (const imp of p.imports || []) if (names.has(imp)) g.setEdge(p.importPath, imp);
    dagre.layout(g);
    laid = { pkgs, showStd, g };
    return g;
  }

  /** Renders now when the panel is visible, else when it is next shown. */
  function refresh() {
    stale = true;
    if (!root.closest("[hidden]")) show();
  }

  function show() {
    if (!stale) return;
    stale = false;
    render();
  }

  function render() {
    if (!pkgs.length) return;
    if (!dagre) {
      canvas.replaceChildren(h("p", { class: "empty", text: "Laying out the graph…" }));
      loadDagre().then(render, (e) => canvas.replaceChildren(h("p", { class: "empty", text: `The graph layout could not be loaded: ${e.message || e}` })));
      return;
    }
    const visible = pkgs.filter((p) => showStd || !p.std);
    const g = layout(visible);
    const { width, height } = g.graph();
    const svg = s("svg", { width: Math.ceil(width), height: Math.ceil(height), role: "group", "aria-label": `Package graph: ${visible.length} packages` });
    const hlEdges = selected ? new Set((pkgs.find((p) => p.importPath === selected)?.imports) || []) : new Set();
    for (const e of g.edges()) {
      const pts = g.edge(e).points;
      const d = pts.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
      const hl = e.v === selected && hlEdges.has(e.w);
      svg.append(s("path", { class: hl ? "gedge hl" : "gedge", d, "marker-end": "url(#arrow)" }));
    }
    svg.prepend(s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto" },
      s("path", { d: "M0,0 L8,4 L0,8 z", fill: "var(--muted)" }))));
    for (const p of visible) {
      const n = g.node(p.importPath);
      const o = outcomes.get(p.importPath);
      const cls = ["gnode", p.std ? "std" : null, o ? `o-${o.outcome}` : null,
        predicted?.rebuild.has(p.importPath) ? "predicted" : null, p.importPath === selected ? "selected" : null];
      const status = [o ? (o.outcome === "hit" ? "cache hit" : "rebuilt") : "not built yet", predicted?.rebuild.has(p.importPath) ? "predicted to rebuild" : null].filter(Boolean).join(", ");
      const node = s("g", {
        class: cls, tabindex: "0", role: "button", "aria-pressed": p.importPath === selected ? "true" : "false",
        "aria-label": `${p.importPath}: ${status}`, dataset: { pkg: p.importPath },
        transform: `translate(${(n.x - n.width / 2).toFixed(1)},${(n.y - n.height / 2).toFixed(1)})`,
      },
      s("rect", { width: n.width, height: n.height, rx: 5 }),
      s("text", { x: 10, y: 18, text: p.importPath }));
      const choose = () => { selected = selected === p.importPath ? null : p.importPath; render(); };
      node.addEventListener("click", choose);
      node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); canvas.querySelector(`[data-pkg="${CSS.escape(p.importPath)}"]`)?.focus(); } });
      svg.append(node);
    }
    canvas.replaceChildren(svg);
    renderDetail();
  }

  function list(items) {
    return items && items.length ? h("ul", {}, items.map((t) => h("li", { text: t }))) : h("p", { class: "empty", text: "none" });
  }

  function inputsOf(o, importPath) {
    if (!o) return null;
    return o.inputs ?? opts.inputsOf?.(importPath) ?? null;
  }

  function renderDetail() {
    const p = pkgs.find((x) => x.importPath === selected);
    if (!p) {
      detail.replaceChildren(h("p", { class: "empty", text: "Select a package to see its files, imports, the inputs of its action ID and why it rebuilt." }));
      return;
    }
    const o = outcomes.get(p.importPath);
    detail.replaceChildren(...[
      h("h4", { text: p.importPath }),
      h("div", { class: "hint", text: p.std ? "standard library" : `directory ${p.dir || "."}` }),
      h("h5", { text: "Files" }), list(p.files),
      h("h5", { text: "Imports" }), list(p.imports),
      h("h5", { text: "Last build" }),
      h("p", { text: o ? (o.outcome === "hit" ? "cache hit" : `rebuilt: ${o.reason || "no reason reported"}`) : "not built yet" }),
      o?.why ? h("pre", { class: "why", tabindex: "0", "aria-label": "Why it rebuilt", text: o.why }) : null,
      o?.actionId ? h("p", {}, "action ID ", h("code", { text: o.actionId })) : null,
      inputsOf(o, p.importPath) ? [h("h5", { text: "Action ID inputs" }), list(inputsOf(o, p.importPath))] : null,
      predicted?.rebuild.has(p.importPath) ? [h("h5", { text: "Predicted" }), h("p", { text: predicted.reasons?.[p.importPath] || "will rebuild" })] : null,
    ].flat().filter(Boolean));
  }

  return {
    /** Shows a load result's packages; keeps the selection if the package still exists. */
    setPackages(list) {
      pkgs = list || [];
      if (!pkgs.some((p) => p.importPath === selected)) selected = null;
      root.replaceChildren(toolbar, h("div", { class: "graph-layout" }, canvas, detail));
      refresh();
    },
    setOutcomes(list) {
      outcomes = new Map((list || []).map((o) => [o.importPath, o]));
      refresh();
    },
    setPredicted(p) {
      predicted = p ? { rebuild: new Set(p.rebuild || []), reasons: p.reasons || {} } : null;
      refresh();
    },
    show,
  };
}
