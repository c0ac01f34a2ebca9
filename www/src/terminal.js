// The terminal panel: a <pre> that only ever gets text appended. Output streams in chunks, each
// classified for colour only (the command echo, go's output, the page's own notes, errors); the
// text itself is exactly what the engine produced.
import { h } from "./dom.js";

export function createTerminal(pre, copyButton, clearButton) {
  // Scrolls to the end once per frame: reading scrollHeight forces a layout, and a build appends
  // a chunk per action (the first cold build spent ~0.5 s of its 0.8 s in this layout).
  let scrollQueued = false;
  function scroll() {
    if (scrollQueued) return;
    scrollQueued = true;
    requestAnimationFrame(() => {
      scrollQueued = false;
      pre.scrollTop = pre.scrollHeight;
    });
  }

  function append(text, cls) {
    if (!text) return;
    pre.append(cls ? h("span", { class: cls, text }) : document.createTextNode(text));
    scroll();
  }

  copyButton.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(pre.textContent);
      copyButton.textContent = "Copied";
    } catch {
      // No clipboard permission (e.g. an insecure origin): select the text for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(pre);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      copyButton.textContent = "Selected";
    }
    setTimeout(() => (copyButton.textContent = "Copy"), 1200);
  });
  clearButton.addEventListener("click", () => pre.replaceChildren());


  let toldLimits = false;
  // The live transcript of the build running now, until its final output replaces it.
  let liveSpan = null;
  function settleLive() {
    liveSpan?.remove();
    liveSpan = null;
  }
  return {
    /** Empties the terminal (a lesson step starts its experiment on a clean screen). */
    clear() {
      pre.replaceChildren();
    },
    /** Echoes the command as a shell would show it. */
    command(line) {
      if (pre.childNodes.length) append("\n");
      append(`$ ${line}\n`, "cmd");
    },
    /**
     * Appends a chunk of the tool's output, as is. `live` text comes while a real build runs
     * (the part of go's transcript already settled); the build's own output, when it comes,
     * replaces it — the same text, of which the live part was a prefix.
     */
    output(text, live = false) {
      if (live) {
        if (!text) return;
        if (!liveSpan) {
          liveSpan = h("span", { class: "live" });
          pre.append(liveSpan);
        }
        liveSpan.append(document.createTextNode(text));
        scroll();
        return;
      }
      settleLive();
      append(text);
    },
    error(text) {
      settleLive();
      append(text.endsWith("\n") ? text : text + "\n", "err");
    },
    /** A note from the page itself (never confused with go's output: italic, muted). */
    note(text) {
      append(`# ${text}\n`, "note");
    },
    /** The `time`-style summary line: real / user / sys, each only when known. */
    time({ realMs, userMs, sysMs, simulated }) {
      settleLive();
      const fmt = (v) => {
        const s = v / 1000;
        const m = Math.floor(s / 60);
        return `${m}m${(s - m * 60).toFixed(3)}s`;
      };
      const parts = [];
      if (realMs !== undefined && realMs !== null) parts.push(`real\t${fmt(realMs)}`);
      if (userMs !== undefined && userMs !== null) parts.push(`user\t${fmt(userMs)}`);
      if (sysMs !== undefined && sysMs !== null) parts.push(`sys\t${fmt(sysMs)}`);
      if (parts.length) append(`\n${parts.join("\n")}\n`, "time");
      if (simulated) {
        append("# real is simulated: the calibrated cost model's wall time for go1.23.5 on the virtual CPUs, not a clock\n", "note");
        if (!toldLimits) {
          // Said once a session: what the simulated compiler can and cannot catch.
          toldLimits = true;
          append("# the simulated compile reports only the errors it is sure of (syntax errors and misplaced labels or branches as go's parser words them, unused imports and variables, a name or method declared twice, undefined names, a missing return, init or main declared wrongly, defer or go without a call, := with no new variables, a call of a function of the module's with the wrong number of arguments, or of any function assigned to the wrong number of variables, misplaced //go:embed, a missing func main); other type and compile errors are beyond the simulation — the real toolchain reports them\n", "note");
        }
      }
    },
    clear: () => pre.replaceChildren(),
    text: () => pre.textContent,
  };
}
