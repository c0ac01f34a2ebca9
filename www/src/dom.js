// Small DOM helpers. Every string becomes a text node or an attribute value: nothing here (or
// anywhere in the page) assigns innerHTML, because file names, file contents and tool output are
// untrusted text.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.setAttribute("class", Array.isArray(v) ? v.filter(Boolean).join(" ") : v);
    else if (k === "text") el.textContent = String(v);
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** An HTML element: h("li", { class: "x", on: { click } }, "text", child…). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

/** An SVG element, same calling convention as h(). */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, props);
  append(el, children);
  return el;
}

export const $ = (id) => document.getElementById(id);

/** Formats a duration in ms the way the page shows it everywhere. */
export function ms(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return "—";
  if (v < 1) return `${v.toFixed(2)} ms`;
  if (v < 100) return `${v.toFixed(1)} ms`;
  if (v < 10000) return `${Math.round(v)} ms`;
  return `${(v / 1000).toFixed(1)} s`;
}

/** Formats a byte count like `du -h` would (K, M, G with one decimal below 10). */
export function bytes(n) {
  if (n === undefined || n === null) return "—";
  const units = ["B", "K", "M", "G", "T"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v}B` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
}

/** Renders the "not available yet" notice for a panel whose engine export has not landed. */
export function unavailable(what, detail) {
  return h("div", { class: "unavailable", role: "note" },
    h("strong", { text: "Not available yet. " }), what, detail ? h("div", { class: "hint", text: detail }) : null);
}
