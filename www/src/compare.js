// Cold vs warm: two of the kept builds drawn one above the other on the same time scale, with
// their totals and hit/miss counts. By default the latest build against the most recent earlier
// one that missed the cache (the "cold" one); both are selectable.
import { h, ms } from "./dom.js";
import { createTimeline } from "./timeline.js";

export function createCompare(root) {
  let runs = [];
  let pick = [null, null]; // run numbers chosen by the user, null = default
  // Drawn when shown: a hidden panel is left stale (each draw lays out two timelines).
  let stale = false;

  function defaults() {
    const b = runs[runs.length - 1];
    const earlier = runs.slice(0, -1).reverse();
    const a = earlier.find((r) => r.misses > 0) || earlier[0];
    return [a, b];
  }

  function render() {
    if (runs.length < 2) {
      root.replaceChildren(h("p", { class: "empty" }, runs.length
        ? "One build so far. Build again (the warm build) to compare it with this one on one time scale."
        : "No builds yet. Build twice: the first build is cold, the second warm."));
      return;
    }
    const [da, db] = defaults();
    const a = runs.find((r) => r.n === pick[0]) || da;
    const b = runs.find((r) => r.n === pick[1]) || db;
    const domainUs = Math.max(a.trace.endUs, b.trace.endUs);
    const chooser = (idx, cur, labelText) => h("label", { class: "field" }, h("span", { text: labelText }),
      h("select", { on: { change: (e) => { pick[idx] = Number(e.target.value); render(); } } },
        runs.map((r) => h("option", { value: r.n, selected: r.n === cur.n ? "selected" : null, text: `#${r.n}: ${r.command}` }))));
    const block = (r, title) => {
      const holder = h("div", {});
      const el = h("section", { class: "compare-run", "aria-label": `${title}: build #${r.n}`, dataset: { run: r.n } },
        h("h4", {}, `${title} — build #${r.n}`,
          h("span", { class: "figures", text: `total ${ms(r.totalMs)} · ${r.misses} miss${r.misses === 1 ? "" : "es"} · ${r.hits} hit${r.hits === 1 ? "" : "s"}` })),
        holder);
      return { el, holder };
    };
    const titleA = a.misses > 0 ? "cold" : "earlier";
    const titleB = b.misses === 0 && b.hits > 0 ? "warm" : "later";
    const A = block(a, titleA);
    const B = block(b, titleB);
    const ratio = b.totalMs > 0 && a.totalMs > 0 ? `The ${titleB} build took ${((b.totalMs / a.totalMs) * 100).toFixed(1)}% of the ${titleA} one's time.` : "";
    root.replaceChildren(h("div", { class: "tl-toolbar" }, chooser(0, a, "Top"), chooser(1, b, "Bottom"), h("span", { class: "hint", text: ratio })), A.el, B.el);
    createTimeline(A.holder, { compact: true }).update(a.trace, { domainUs });
    createTimeline(B.holder, { compact: true }).update(b.trace, { domainUs });
  }

  /** Draws what changed while the panel was hidden (when its tab is selected). */
  function show() {
    if (!stale) return;
    stale = false;
    render();
  }

  return {
    /** Replaces the kept runs: [{ n, command, trace, hits, misses, totalMs }]. */
    update(list) {
      runs = list.filter((r) => r.trace);
      stale = true;
      if (!root.closest("[hidden]")) show();
    },
    show,
  };
}
