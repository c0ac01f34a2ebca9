// The $WORK panel: the work directory a `-work` build kept (b001/, b002/, …), with its files
// (importcfg, importcfg.link, embedcfg, …) viewable as text.
import { h, unavailable } from "./dom.js";

export function createWorkPanel(root) {
  let work = null;
  let open = null;

  function render() {
    if (work instanceof Error) return root.replaceChildren(unavailable(work.message));
    if (!work) {
      return root.replaceChildren(h("p", { class: "empty" }, "Build with ", h("code", { text: "-work" }), " to keep the work directory and look inside it."));
    }
    const files = [...work.files].sort((a, b) => (a.path < b.path ? -1 : 1));
    if (!files.some((f) => f.path === open)) open = (files.find((f) => /importcfg$/.test(f.path)) || files[0])?.path ?? null;
    let lastDir = null;
    const items = [];
    for (const f of files) {
      const dir = f.path.includes("/") ? f.path.slice(0, f.path.lastIndexOf("/")) : "";
      if (dir !== lastDir) items.push(h("li", { class: "hint", text: `${dir || "."}/` }));
      lastDir = dir;
      items.push(h("li", {}, h("button", {
        type: "button", "aria-pressed": f.path === open ? "true" : "false", style: { paddingLeft: "1rem" },
        on: { click: () => { open = f.path; render(); } },
      }, f.path.slice(dir ? dir.length + 1 : 0))));
    }
    const cur = files.find((f) => f.path === open);
    root.replaceChildren(
      h("h3", {}, "WORK=", h("code", { text: work.dir })),
      h("div", { class: "work-layout" },
        h("ul", { class: "work-tree", "aria-label": "Work directory" }, items),
        h("pre", { tabindex: "0", "aria-label": cur ? `Contents of $WORK/${cur.path}` : "No file", text: cur ? cur.text : "" })));
  }

  return {
    set(w) {
      if (w === work && w === null) return; // nothing kept before, nothing now
      work = w;
      render();
    },
  };
}
