// The code editor proper: CodeMirror 6 with Go highlighting (@codemirror/lang-go), line numbers,
// undo history and Ctrl/Cmd+Enter to build. One EditorState per file, so each file keeps its own
// undo history while the user switches between them. Colours come from the page's CSS custom
// properties, so the editor follows the theme without being reconfigured. A chunk of its own
// (the bulk of the page's JS): www/src/editor.js loads it once the first build is on screen.
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection, highlightSpecialChars } from "@codemirror/view";
import { EditorState, Prec } from "@codemirror/state";
import { history, defaultKeymap, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, HighlightStyle, indentOnInput, bracketMatching, indentUnit } from "@codemirror/language";
import { go } from "@codemirror/lang-go";
import { tags as t } from "@lezer/highlight";

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword], color: "var(--tok-kw)" },
  { tag: [t.string, t.special(t.string), t.character], color: "var(--tok-str)" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "var(--tok-comment)", fontStyle: "italic" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "var(--tok-num)" },
  { tag: [t.typeName, t.standard(t.typeName)], color: "var(--tok-type)" },
  { tag: [t.function(t.variableName), t.function(t.propertyName), t.function(t.definition(t.variableName))], color: "var(--tok-fn)" },
  { tag: [t.definition(t.variableName), t.definition(t.propertyName)], color: "var(--tok-def)" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", backgroundColor: "var(--editor-bg)", color: "var(--fg)", fontSize: "13px" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--fg)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--fg)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": { backgroundColor: "var(--sel)" },
  ".cm-gutters": { backgroundColor: "var(--panel-2)", color: "var(--muted)", borderRight: "1px solid var(--line)" },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--sel) 35%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "color-mix(in srgb, var(--sel) 60%, transparent)", color: "var(--fg)" },
  "&.cm-focused": { outline: "2px solid var(--focus)", outlineOffset: "-2px" },
  ".cm-matchingBracket": { backgroundColor: "color-mix(in srgb, var(--accent) 25%, transparent)" },
});

function languageFor(path) {
  return path.endsWith(".go") ? [go()] : [];
}

/**
 * Creates the editor in `parent`. `onChange(path, text)` after each edit; `onBuild()` on
 * Ctrl/Cmd+Enter. Returns { open(path, text, fresh), rename(from, to), drop(path), reset(),
 * current(), focus() }.
 */
export function createCodeMirror(parent, { onChange, onBuild }) {
  const states = new Map();
  let current = null;

  const extensions = (path) => [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    highlightActiveLine(),
    indentUnit.of("\t"),
    EditorState.tabSize.of(4),
    syntaxHighlighting(highlight),
    Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (onBuild(), true), preventDefault: true }])),
    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
    theme,
    languageFor(path),
    EditorView.contentAttributes.of({ "aria-label": `Contents of ${path}` }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged && current) onChange(current, u.state.doc.toString());
    }),
  ];

  const view = new EditorView({ parent, state: EditorState.create({ doc: "", extensions: extensions("") }) });

  return {
    view,
    /** Shows `path`; creates its state from `text` the first time (or when `fresh`). */
    open(path, text, fresh = false) {
      if (current) states.set(current, view.state);
      let st = fresh ? null : states.get(path);
      if (!st) st = EditorState.create({ doc: text, extensions: extensions(path) });
      states.set(path, st);
      current = path;
      view.setState(st);
    },
    rename(from, to) {
      const st = from === current ? view.state : states.get(from);
      if (!st) return;
      states.delete(from);
      // Recreate so the language and the aria label follow the new name; history starts over.
      const fresh = EditorState.create({ doc: st.doc.toString(), extensions: extensions(to) });
      states.set(to, fresh);
      if (from === current) {
        current = to;
        view.setState(fresh);
      }
    },
    drop(path) {
      states.delete(path);
      if (path === current) current = null;
    },
    reset() {
      states.clear();
      current = null;
    },
    current: () => current,
    focus: () => view.focus(),
  };
}
