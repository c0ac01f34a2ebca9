// The code editor as the page uses it. CodeMirror (www/src/codemirror.js, ~115 KB gzip: most of
// the page's JS) is not needed for the first build, so it is a chunk fetched after that build is
// on screen (body[data-first-build-ms]), or as soon as the user reaches for the editor, or
// shortly after the page is ready when no build runs on load (a share link, a lesson). Until
// then the open file is shown as read-only text and everything asked of the editor is kept, so
// the API is the same before and after: { open(path, text, fresh), rename(from, to), drop(path),
// reset(), current(), focus() }.

/** After the page is ready, how long to wait for a first build before loading the editor anyway. */
const NO_BUILD_MS = 3000;

/** Creates the editor in `parent`; `handlers`: `onChange(path, text)`, `onBuild()` (Ctrl/Cmd+Enter). */
export function createEditor(parent, handlers) {
  let cm = null;
  let current = null;
  let text = "";
  let focusWanted = false;

  const plain = document.createElement("pre");
  plain.className = "editor-plain";
  plain.tabIndex = 0;
  plain.setAttribute("aria-label", "File contents (the editor is loading)");
  plain.style.cssText = "margin:0;height:100%;overflow:auto;padding:4px 8px;font:13px/1.5 var(--mono);background:var(--editor-bg);color:var(--fg)";
  parent.append(plain);

  let loading = null;
  function load() {
    loading ??= import("./codemirror.js").then(({ createCodeMirror }) => {
      observer.disconnect();
      plain.remove();
      cm = createCodeMirror(parent, handlers);
      if (current !== null) cm.open(current, text);
      if (focusWanted) cm.focus();
    });
    return loading;
  }
  for (const ev of ["pointerdown", "keydown", "focus"]) plain.addEventListener(ev, () => load(), { once: true });
  const observer = new MutationObserver(() => {
    const b = document.body.dataset;
    if (b.firstBuildMs) load();
    else if (b.ready === "true") setTimeout(load, NO_BUILD_MS);
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ["data-first-build-ms", "data-ready"] });

  function show(path, t) {
    current = path;
    text = t ?? "";
    plain.textContent = text;
  }

  return {
    open(path, t, fresh = false) {
      if (cm) cm.open(path, t, fresh);
      else show(path, t);
    },
    rename(from, to) {
      if (cm) cm.rename(from, to);
      else if (current === from) current = to;
    },
    drop(path) {
      if (cm) cm.drop(path);
      else if (current === path) current = null;
    },
    reset() {
      if (cm) cm.reset();
      else current = null;
    },
    current: () => (cm ? cm.current() : current),
    focus() {
      if (cm) return cm.focus();
      focusWanted = true;
      plain.focus();
      load();
    },
  };
}
