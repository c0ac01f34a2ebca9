// "Open in Perfetto": the handshake Perfetto documents for handing a trace to its UI from another
// page (perfetto.dev/docs/visualization/deep-linking-to-perfetto-ui). Open the UI's window, send
// it "PING" until it answers "PONG" (it is listening only once it has loaded), then post the trace
// buffer once. Only messages from that window and that origin count. The trace goes from this page
// to that window; no server of ours sees it.

export const PERFETTO_ORIGIN = "https://ui.perfetto.dev";

/**
 * Opens `origin` with `open` (window.open) and hands it `buffer` (an ArrayBuffer of the trace, or
 * a promise of one: the window must open inside the click, and the trace may come from the wasm
 * module the page fetches on first use; if the promise rejects, the window is closed again).
 * `host` is the window whose "message" events carry the reply. Resolves with the opened window
 * once the trace is posted; rejects if the window could not be opened (a popup blocker) or did
 * not answer within `timeoutMs`.
 */
export function openInPerfetto(buffer, { title = "Buildlab trace", url, open = (u) => window.open(u), host = window, origin = PERFETTO_ORIGIN, pingMs = 50, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const win = open(origin);
    if (!win) {
      Promise.resolve(buffer).catch(() => {}); // not wanted any more: its failure is not news
      reject(new Error("the browser blocked the new window: allow pop-ups for this page, or use Export trace"));
      return;
    }
    const data = Promise.resolve(buffer);
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(deadline);
      host.removeEventListener("message", onMessage);
      if (err) reject(err);
      else resolve(win);
    };
    function onMessage(e) {
      if (e.source !== win || e.origin !== origin || e.data !== "PONG") return;
      data.then((buf) => {
        win.postMessage({ perfetto: { buffer: buf, title, ...(url ? { url } : {}) } }, origin);
        finish(null);
      }).catch(finish);
    }
    data.catch((err) => {
      if (done) return;
      try {
        win.close();
      } catch {
        // Already gone: nothing to close.
      }
      finish(err);
    });
    host.addEventListener("message", onMessage);
    const ping = () => {
      if (win.closed) {
        finish(new Error("the Perfetto window was closed before it took the trace"));
        return;
      }
      try {
        win.postMessage("PING", origin);
      } catch {
        // Not loaded yet (or closed): the next ping tries again until the deadline.
      }
    };
    const timer = setInterval(ping, pingMs);
    const deadline = setTimeout(() => finish(new Error(`${origin} did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    ping();
  });
}
