// The workspace's file tree: files grouped under their directories, with add, rename and delete.
// Names are edited inline (no prompt()); a bad name is refused with the reason under the field.
// The tree only reports intents; main.js owns the workspace and decides.
import { h } from "./dom.js";

/** Checks a workspace-relative path the way the page accepts it; returns an error text or null. */
export function checkPath(path, existing) {
  if (!path) return "A file needs a name.";
  if (path.startsWith("/")) return "Use a path relative to the module root (no leading /).";
  if (path.includes("\\")) return "Use / to separate directories.";
  if (path.split("/").some((p) => p === "" || p === "." || p === "..")) return "Empty, . and .. path elements are not allowed.";
  if (existing.includes(path)) return `${path} already exists.`;
  if (existing.some((f) => f.startsWith(path + "/"))) return `${path} is a directory.`;
  if (existing.some((f) => path.startsWith(f + "/"))) return `${path.split("/")[0]} is a file.`;
  return null;
}

export function createFileTree(ul, addButton, handlers) {
  let files = [];
  let selected = null;
  let editing = null; // { mode: "add" } | { mode: "rename", path } | { mode: "delete", path }
  let error = null;

  function nameInput(value, commit) {
    const input = h("input", {
      type: "text", value, spellcheck: "false",
      "aria-label": editing.mode === "add" ? "New file path" : `New path for ${editing.path}`,
      placeholder: "dir/name.go",
      on: {
        keydown: (e) => {
          if (e.key === "Enter") { e.preventDefault(); commit(input.value.trim()); }
          else if (e.key === "Escape") { e.preventDefault(); cancel(); }
        },
        blur: () => { if (editing && !input.value.trim()) cancel(); },
      },
    });
    return input;
  }

  function cancel() {
    editing = null;
    error = null;
    render();
  }

  function render() {
    ul.replaceChildren();
    let focusEl = null;
    if (editing?.mode === "add") {
      const input = nameInput("", (p) => {
        error = handlers.onAdd(p);
        if (!error) editing = null;
        render();
      });
      ul.append(h("li", {}, input));
      if (error) ul.append(h("li", { class: "error", role: "alert", text: error }));
      focusEl = input;
    }
    let lastDir = null;
    for (const path of files) {
      const slash = path.lastIndexOf("/");
      const dir = slash >= 0 ? path.slice(0, slash) : "";
      const base = path.slice(slash + 1);
      if (dir !== lastDir && dir !== "") ul.append(h("li", { class: "dir", "aria-hidden": "true" }, `${dir}/`));
      lastDir = dir;
      const indent = dir ? { paddingLeft: "1.1rem" } : { paddingLeft: "0.3rem" };
      if (editing?.mode === "rename" && editing.path === path) {
        const input = nameInput(path, (p) => {
          error = p === path ? null : handlers.onRename(path, p);
          if (!error) editing = null;
          render();
        });
        ul.append(h("li", { class: "selected" }, input));
        if (error) ul.append(h("li", { class: "error", role: "alert", text: error }));
        focusEl = input;
        continue;
      }
      if (editing?.mode === "delete" && editing.path === path) {
        const yes = h("button", { type: "button", class: "small", text: "Delete", on: { click: () => { editing = null; handlers.onDelete(path); } } });
        const no = h("button", { type: "button", class: "small ghost", text: "Cancel", on: { click: cancel } });
        ul.append(h("li", { class: "selected" }, h("div", { class: "confirm", role: "group", "aria-label": `Delete ${path}?` }, `Delete ${base}?`, yes, no)));
        focusEl = no;
        continue;
      }
      const li = h("li", { class: path === selected ? "selected" : null, dataset: { path } },
        h("button", {
          type: "button", class: "file", title: path, style: indent,
          "aria-current": path === selected ? "true" : null,
          "aria-label": `Open ${path}`,
          on: { click: () => handlers.onSelect(path) },
        }, base),
        h("span", { class: "row-actions" },
          h("button", { type: "button", title: "Rename", "aria-label": `Rename ${path}`, on: { click: () => { editing = { mode: "rename", path }; error = null; render(); } } }, "✎"),
          h("button", { type: "button", title: "Delete", "aria-label": `Delete ${path}`, on: { click: () => { editing = { mode: "delete", path }; error = null; render(); } } }, "✕"),
        ));
      ul.append(li);
    }
    if (focusEl) {
      focusEl.focus();
      if (focusEl.select && editing?.mode === "rename") {
        // Select the base name without the extension, as file managers do.
        const v = focusEl.value;
        const start = v.lastIndexOf("/") + 1;
        const dot = v.lastIndexOf(".");
        focusEl.setSelectionRange(start, dot > start ? dot : v.length);
      }
    }
  }

  addButton.addEventListener("click", () => {
    editing = { mode: "add" };
    error = null;
    render();
  });

  return {
    update(paths, sel) {
      files = [...paths].sort((a, b) => (a.includes("/") - b.includes("/")) || (a < b ? -1 : a > b ? 1 : 0)); // root files (go.mod) first
      selected = sel;
      if (editing?.path && !files.includes(editing.path)) editing = null;
      render();
    },
  };
}
