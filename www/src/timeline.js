// The timeline: one lane per worker, one bar per action coloured by kind (compile, asm, pack,
// link, cache hit, …), drawn in SVG from a trace (see engine.js for its shape). Hover shows the
// action's details, click selects it and highlights what it depends on, Ctrl+wheel / the buttons /
// + and - zoom, drag / arrow keys pan, and the critical path is outlined. The same component
// draws the small, read-only timelines of the cold-vs-warm comparison on a shared scale.
import { h, s, ms } from "./dom.js";

const KINDS = ["compile", "asm", "pack", "link", "install", "cache-hit", "go", "other"];
const LANE_H = 22;
const LANE_GAP = 5;
const AXIS_H = 22;
const LEFT = 74;
const RIGHT = 12;

/** The critical path: from the action that ends last, repeatedly the dependency that ended last. */
export function criticalPath(actions) {
  const out = new Set();
  const drawn = (a) => a.lane !== null && a.endUs > a.startUs;
  let cur = null;
  for (let i = 0; i < actions.length; i++) if (drawn(actions[i]) && (cur === null || actions[i].endUs > actions[cur].endUs)) cur = i;
  const seen = new Set();
  while (cur !== null && !seen.has(cur)) {
    seen.add(cur);
    if (drawn(actions[cur])) out.add(cur);
    let next = null;
    const stack = [...actions[cur].deps];
    // Walk through actions that ran nothing (nop, built-in) to the ones that did.
    const visited = new Set();
    while (stack.length) {
      const d = stack.pop();
      if (visited.has(d) || !actions[d]) continue;
      visited.add(d);
      if (drawn(actions[d])) {
        if (next === null || actions[d].endUs > actions[next].endUs) next = d;
      } else stack.push(...actions[d].deps);
    }
    cur = next;
  }
  return out;
}

/** Every action `i` depends on, directly or not. */
export function dependencies(actions, i) {
  const out = new Set();
  const stack = [...(actions[i]?.deps || [])];
  while (stack.length) {
    const d = stack.pop();
    if (out.has(d)) continue;
    out.add(d);
    stack.push(...(actions[d]?.deps || []));
  }
  return out;
}

/**
 * The axis of a build still running: its end so far rounded up to 1, 1.5, 2, 3, 5 or 7 × 10^k
 * µs, so that the axis (and every bar drawn) stays put until the build outgrows it.
 */
export function liveDomain(endUs) {
  const p = 10 ** Math.floor(Math.log10(Math.max(endUs, 1)));
  for (const m of [1, 1.5, 2, 3, 5, 7, 10]) if (m * p >= endUs) return m * p;
  return 10 * p;
}

function niceStep(spanUs, target) {
  const raw = spanUs / target;
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-3)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function label(a) {
  return a.package ? `${a.mode} ${a.package}` : a.mode;
}

export function outcomeText(a) {
  const c = a.cache || {};
  if (c.outcome === "hit") return "cache hit";
  if (c.outcome === "miss") return c.reason ? `cache miss: ${c.reason}` : "cache miss";
  return "cache outcome not recorded";
}

let tooltip = null;
function showTooltip(a, x, y) {
  if (!tooltip) {
    tooltip = h("div", { class: "tooltip", role: "tooltip", id: "tl-tooltip" });
    document.body.append(tooltip);
  }
  const rows = [
    ["action", label(a)],
    ["work dir", a.workDir ? `$WORK/${a.workDir}` : "—"],
    ["duration", ms((a.endUs - a.startUs) / 1000)],
    ["start", ms(a.startUs / 1000)],
    ["worker", a.lane ?? "—"],
    ["action ID", a.actionId || "—"],
    ["cache", outcomeText(a)],
    ["status", a.status || "—"],
  ];
  tooltip.replaceChildren(h("dl", {}, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: String(v) })])));
  tooltip.hidden = false;
  const pad = 14;
  const r = tooltip.getBoundingClientRect();
  tooltip.style.left = `${Math.min(x + pad, innerWidth - r.width - 4)}px`;
  tooltip.style.top = `${y + pad + r.height > innerHeight ? y - r.height - pad : y + pad}px`;
}
function hideTooltip() {
  if (tooltip) tooltip.hidden = true;
}

/**
 * Everything a drawing of `trace` shows (bars, labels, tooltips, aria labels) at this width,
 * window, selection and critical path: two drawings with the same signature are the same SVG.
 */
function signature(trace, width, v0, v1, selected, crit) {
  let sig = `${width} ${v0} ${v1} ${selected} ${trace.lanes} ${trace.endUs} ${[...crit].join(",")}`;
  for (const a of trace.actions) {
    const c = a.cache || {};
    sig += `|${a.mode} ${a.package} ${a.lane} ${a.startUs} ${a.endUs} ${a.kind} ${a.status} ${a.workDir} ${a.actionId} ${c.outcome} ${c.reason} ${a.deps.join(",")}`;
    for (const sp of a.spans) sig += ` ${sp.kind}:${sp.startUs}:${sp.endUs}`;
  }
  return sig;
}

/**
 * Creates a timeline in `root`. Options: { compact: bool (no toolbar, no selection),
 * onSelect(action|null) }. Returns { update(trace, { domainUs }) }.
 */
export function createTimeline(root, opts = {}) {
  let trace = null;
  let view = null; // [v0, v1] in µs, null = whole build
  let domain = 1;
  let selected = null;
  let crit = new Set();
  // What the SVG on screen shows (see `signature`).
  let drawn = "";
  // The frame's width as the ResizeObserver last reported it: reading clientWidth while a build
  // is being shown would force a layout of the whole page (the terminal just grew).
  let frameWidth = 0;
  // A build still running (`update(t, {live: true})`): its actions only ever grow and a drawn
  // bar never changes, so while the frame (width, window, lanes) stays the same a redraw only
  // appends the new actions' bars. `{key, n, svg, bars}`: the live SVG on screen and how many of
  // the trace's actions it holds. Redrawing every bar each time cost the page's renderer style,
  // layout and paint of the whole SVG beside the real tools on the same CPUs.
  let live = false;
  let liveDrawn = null;

  const frame = h("div", { class: "tl-frame", tabindex: opts.compact ? null : "0", "aria-label": opts.compact ? null : "Timeline: Ctrl+wheel or + and - zoom, arrows or drag pan, 0 resets" });
  const detail = h("div", { class: "tl-detail", "aria-live": "polite" });
  if (!opts.compact) {
    const btn = (text, aria, fn) => h("button", { type: "button", class: "small", "aria-label": aria, on: { click: fn } }, text);
    const legend = h("div", { class: "tl-legend", "aria-label": "Legend" },
      KINDS.filter((k) => k !== "other").map((k) => h("span", { class: `k-${k}`, text: k })),
      h("span", { class: "crit", text: "critical path" }));
    root.replaceChildren(
      h("div", { class: "tl-toolbar" },
        btn("+", "Zoom in", () => zoom(0.5)), btn("−", "Zoom out", () => zoom(2)), h("button", { type: "button", class: "small", title: "Show the whole build", on: { click: () => { view = null; draw(); } } }, "Fit"),
        legend),
      frame, detail);
  } else {
    root.replaceChildren(frame);
  }

  function win() {
    return view || [0, domain];
  }

  function zoom(f, centerUs) {
    const [v0, v1] = win();
    const c = centerUs ?? (v0 + v1) / 2;
    const span = Math.max((v1 - v0) * f, domain / 2000, 1);
    let n0 = c - (c - v0) * (span / (v1 - v0));
    n0 = Math.max(0, Math.min(n0, domain - Math.min(span, domain)));
    view = span >= domain ? null : [n0, n0 + span];
    draw();
  }

  function pan(dUs) {
    const [v0, v1] = win();
    const span = v1 - v0;
    const n0 = Math.max(0, Math.min(v0 + dUs, domain - span));
    view = span >= domain ? null : [n0, n0 + span];
    draw();
  }

  function select(i) {
    selected = i;
    opts.onSelect?.(i === null ? null : trace.actions[i]);
    draw();
    if (i === null) detail.replaceChildren();
    else {
      const a = trace.actions[i];
      const deps = dependencies(trace.actions, i);
      detail.replaceChildren(h("strong", { text: label(a) }), ` — ${ms((a.endUs - a.startUs) / 1000)}, ${outcomeText(a)}; depends on ${deps.size} action${deps.size === 1 ? "" : "s"} (highlighted).`);
    }
  }

  const ariaLabel = (lanes) => `Timeline of ${trace.actions.length} actions on ${lanes} workers over ${ms(trace.endUs / 1000)}`;

  function draw() {
    if (!trace) return;
    const width = Math.max(frameWidth || frame.clientWidth || root.clientWidth || 800, 320);
    const lanes = Math.max(1, trace.lanes);
    const height = AXIS_H + lanes * (LANE_H + LANE_GAP) + 4;
    const [v0, v1] = win();
    const plotW = width - LEFT - RIGHT;
    const x = (t) => LEFT + ((t - v0) / (v1 - v0)) * plotW;
    const liveKey = live && selected === null ? `${width} ${v0} ${v1} ${lanes}` : null;
    if (liveKey && liveDrawn?.key === liveKey && frame.firstChild === liveDrawn.svg && trace.actions.length >= liveDrawn.n) {
      for (let i = liveDrawn.n; i < trace.actions.length; i++) addBar(liveDrawn.bars, i, x, v0, v1, null);
      liveDrawn.n = trace.actions.length;
      liveDrawn.svg.setAttribute("aria-label", ariaLabel(lanes));
      drawn = "";
      return;
    }
    // The same picture as on screen (a warm no-op repeated draws the same trace): keep it.
    const sig = liveKey ? "" : signature(trace, width, v0, v1, selected, crit);
    if (sig && sig === drawn && frame.firstChild) return;
    drawn = sig;
    const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: opts.compact ? "img" : "group", "aria-label": ariaLabel(lanes) });

    // lanes and axis
    for (let l = 0; l < lanes; l++) {
      const y = AXIS_H + l * (LANE_H + LANE_GAP);
      svg.append(s("rect", { class: "lane-bg", x: LEFT, y, width: plotW, height: LANE_H, rx: 3 }));
      svg.append(s("text", { class: "lane-label", x: 6, y: y + LANE_H / 2 + 4, text: `worker ${l + 1}` }));
    }
    const axis = s("g", { class: "axis" });
    const step = niceStep(v1 - v0, Math.max(2, Math.floor(plotW / 90)));
    for (let t = Math.ceil(v0 / step) * step; t <= v1; t += step) {
      const xx = x(t);
      axis.append(s("line", { x1: xx, x2: xx, y1: AXIS_H - 4, y2: height }));
      const near = xx > width - 60;
      axis.append(s("text", { x: near ? xx - 3 : xx + 3, y: 13, "text-anchor": near ? "end" : "start", text: t === 0 ? "0" : ms(t / 1000) }));
    }
    svg.append(axis);

    // bars
    const deps = selected === null ? null : dependencies(trace.actions, selected);
    const clipId = `tlclip-${Math.random().toString(36).slice(2, 8)}`;
    svg.append(s("clipPath", { id: clipId }, s("rect", { x: LEFT, y: 0, width: plotW, height })));
    const bars = s("g", { "clip-path": `url(#${clipId})` });
    for (let i = 0; i < trace.actions.length; i++) addBar(bars, i, x, v0, v1, deps);
    svg.append(bars);
    frame.replaceChildren(svg);
    liveDrawn = liveKey ? { key: liveKey, n: trace.actions.length, svg, bars } : null;
  }

  /** Appends action `i`'s bar (with its tool runs and its label) to `bars`, if it is drawn. */
  function addBar(bars, i, x, v0, v1, deps) {
    const a = trace.actions[i];
    {
      if (a.lane === null || a.lane === undefined || !(a.endUs >= a.startUs)) return;
      if (a.endUs < v0 || a.startUs > v1) return;
      const y = AXIS_H + (a.lane - 1) * (LANE_H + LANE_GAP);
      const x0 = x(a.startUs);
      const w = Math.max(1.5, x(a.endUs) - x0);
      const cls = ["bar", `k-${KINDS.includes(a.kind) ? a.kind : "other"}`];
      // The critical path of a build still running is not known: it is outlined at the end.
      if (!live && crit.has(i) && !opts.compact) cls.push("critical");
      if (i === selected) cls.push("selected");
      else if (deps) cls.push(deps.has(i) ? "dep-of-selected" : "dimmed");
      const g = s("g", {});
      const rect = s("rect", {
        class: cls, x: x0, y: y + 1, width: w, height: LANE_H - 2, rx: 2,
        tabindex: opts.compact ? null : "0",
        role: opts.compact ? null : "button",
        "aria-label": `${label(a)}, ${ms((a.endUs - a.startUs) / 1000)}, ${outcomeText(a)}`,
        dataset: { action: i, kind: a.kind },
      });
      g.append(rect);
      // Tool runs inside the action (e.g. compile then pack), drawn over the action's bar.
      for (const sp of a.spans.length > 1 ? a.spans : []) {
        const sx = x(sp.startUs);
        g.append(s("rect", { class: `k-${sp.kind}`, x: sx, y: y + LANE_H - 7, width: Math.max(1, x(sp.endUs) - sx), height: 5, "pointer-events": "none" }));
      }
      if (w > 48) {
        const short = a.package ? a.package.split("/").pop() : "";
        const name = a.mode === "build" && short ? short : `${a.mode} ${short}`.trim();
        g.append(s("text", { class: "bar-label", x: x0 + 4, y: y + LANE_H / 2 + 4, "pointer-events": "none" }, name.length * 6.6 > w - 8 ? name.slice(0, Math.max(1, Math.floor((w - 8) / 6.6) - 1)) + "…" : name));
      }
      bars.append(g);
    }
  }

  // The bars' events, delegated to the frame: a redraw then adds no listeners, and the action
  // is looked up in the trace drawn now.
  const barOf = (e) => {
    const i = e.target?.dataset?.action;
    return i === undefined || !trace?.actions[i] ? null : Number(i);
  };
  frame.addEventListener("pointerover", (e) => { const i = barOf(e); if (i !== null) showTooltip(trace.actions[i], e.clientX, e.clientY); });
  frame.addEventListener("pointermove", (e) => { const i = barOf(e); if (i !== null) showTooltip(trace.actions[i], e.clientX, e.clientY); });
  frame.addEventListener("pointerout", (e) => { if (barOf(e) !== null) hideTooltip(); });
  if (!opts.compact) {
    frame.addEventListener("focusin", (e) => {
      const i = barOf(e);
      if (i === null) return;
      const r = e.target.getBoundingClientRect();
      showTooltip(trace.actions[i], r.left, r.bottom);
    });
    frame.addEventListener("focusout", (e) => { if (barOf(e) !== null) hideTooltip(); });
  }

  if (!opts.compact) {
    frame.addEventListener("wheel", (e) => {
      if (!trace) return;
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        const r = frame.getBoundingClientRect();
        const [v0, v1] = win();
        const c = v0 + ((e.clientX - r.left - LEFT) / (r.width - LEFT - RIGHT)) * (v1 - v0);
        zoom(e.deltaY > 0 ? 1.25 : 0.8, c);
      } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault();
        const [v0, v1] = win();
        pan(((e.deltaX || e.deltaY) / frame.clientWidth) * (v1 - v0));
      }
    }, { passive: false });
    let drag = null;
    frame.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, view: win(), moved: false };
    });
    addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      if (Math.abs(dx) > 3) { drag.moved = true; frame.classList.add("dragging"); }
      if (!drag.moved || !view) return;
      const [v0, v1] = drag.view;
      const dUs = (-dx / (frame.clientWidth - LEFT - RIGHT)) * (v1 - v0);
      const span = v1 - v0;
      const n0 = Math.max(0, Math.min(v0 + dUs, domain - span));
      view = [n0, n0 + span];
      draw();
    });
    addEventListener("pointerup", () => {
      if (drag && !drag.moved) { /* a click on the background clears the selection */ }
      drag = null;
      frame.classList.remove("dragging");
    });
    frame.addEventListener("click", (e) => {
      const i = barOf(e);
      if (i !== null) select(i === selected ? null : i);
      else if (e.target === frame || e.target.tagName === "svg" || e.target.classList?.contains("lane-bg")) select(null);
    });
    frame.addEventListener("keydown", (e) => {
      if (!trace) return;
      const i = barOf(e);
      if (i !== null && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        select(i === selected ? null : i);
        return;
      }
      const [v0, v1] = win();
      if (e.key === "+" || e.key === "=") zoom(0.5);
      else if (e.key === "-") zoom(2);
      else if (e.key === "0") { view = null; draw(); }
      else if (e.key === "ArrowRight") pan((v1 - v0) / 5);
      else if (e.key === "ArrowLeft") pan(-(v1 - v0) / 5);
      else if (e.key === "Escape") select(null);
      else return;
      e.preventDefault();
    });
    new ResizeObserver((entries) => {
      const w = Math.round(entries[entries.length - 1].contentRect.width);
      if (w === frameWidth) return;
      frameWidth = w;
      draw();
    }).observe(frame);
  }

  return {
    /**
     * Draws `t`. `domainUs`: the time the axis spans (default: the trace's end). `live`: a build
     * still running, whose actions only grow (see `liveDrawn`); its axis should move in steps
     * (`liveDomain`) so that most redraws only add bars.
     */
    update(t, { domainUs, live: running = false } = {}) {
      const fresh = !trace || t !== trace;
      trace = t;
      live = running;
      if (!t) { frame.replaceChildren(); liveDrawn = null; return; }
      domain = Math.max(domainUs ?? t.endUs, 1);
      if (fresh && selected !== null && selected >= t.actions.length) selected = null;
      crit = live ? new Set() : criticalPath(t.actions);
      if (view && view[1] > domain) view = null;
      draw();
    },
    redraw: draw,
    clearSelection: () => select(null),
  };
}
