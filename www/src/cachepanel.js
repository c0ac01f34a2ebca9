// The cache panel: the simulated GOCACHE as go lays it out (`xx/<hex>-a` action entries, `-d`
// outputs) with sizes and the total, the last build's hits and misses, and what the browser says
// about IndexedDB usage and quota.
import { h, bytes, unavailable } from "./dom.js";

export function createCachePanel(root) {
  return {
    /** listing: engine's cacheListing() result or an Error; last: { hits, misses } | null; storage: { usage, quota } | null */
    render({ listing, last, storage }) {
      const facts = h("dl", { class: "facts" },
        h("dt", { text: "GOCACHE" }), h("dd", {}, h("code", { text: listing && !(listing instanceof Error) ? listing.root : "—" })),
        h("dt", { text: "last build" }), h("dd", { id: "cache-last", text: last ? `${last.hits} hit${last.hits === 1 ? "" : "s"}, ${last.misses} miss${last.misses === 1 ? "" : "es"}` : "no build yet" }),
        h("dt", { text: "IndexedDB" }), h("dd", { id: "storage", text: storage ? `${bytes(storage.usage)} used of ${bytes(storage.quota)} quota (the browser's estimate for this origin)` : "the browser gives no estimate" }));
      let body;
      if (listing instanceof Error) body = unavailable(listing.message);
      else if (!listing) body = h("p", { class: "empty", text: "Loading…" });
      else if (!listing.entries.length) body = h("p", { class: "empty", text: "The cache is empty." });
      else {
        body = h("table", { class: "listing", "aria-label": "GOCACHE entries" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "entry" }), h("th", { scope: "col", class: "num", text: "size" }))),
          h("tbody", {}, listing.entries.map((e) => h("tr", {}, h("td", { text: e.path }), h("td", { class: "num", text: bytes(e.size) })))),
          h("tfoot", {}, h("tr", {}, h("th", { scope: "row", text: `total (${listing.entries.length} entries)` }), h("td", { class: "num", text: bytes(listing.totalBytes) }))));
      }
      root.replaceChildren(h("h3", { text: "Build cache" }), facts, body);
    },
  };
}
