// The page's UI code. Trunk loads the wasm module and fires `TrunkApplicationStarted` with the
// bindings on `window.wasmBindings`; everything here starts from that event.

const $ = (id) => document.getElementById(id);

function text(el, s) {
  el.textContent = s; // never innerHTML: file names and contents are untrusted text
}

async function main(wasm) {
  const summary = wasm.sampleSummary();
  text($("module"), summary.module);
  text($("digest"), summary.digest);
  const body = $("files");
  body.replaceChildren();
  for (const f of summary.files) {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    const hash = document.createElement("td");
    text(name, f.path);
    const code = document.createElement("code");
    text(code, f.blake3);
    hash.append(code);
    tr.append(name, hash);
    body.append(tr);
  }
  text($("source"), wasm.sampleTxtar());
  let visitText;
  try {
    const v = await wasm.recordVisit(summary.digest);
    $("visit").dataset.visits = String(v.current.visits);
    visitText = v.previous
      ? `Visit ${v.current.visits}. The record from your previous visit was read back: digest ${v.previous.digest.slice(0, 16)}…`
      : "First visit: a record was written to IndexedDB. Reload the page to read it back.";
  } catch (e) {
    visitText = `IndexedDB is unavailable: ${e.message || e}`;
  }
  text($("visit"), visitText);
  $("summary").hidden = false;
  text($("status"), "Ready.");
  document.body.dataset.ready = "true";
}

function fail(e) {
  const s = $("status");
  s.classList.add("error");
  text(s, `Buildlab failed to start: ${e && e.message ? e.message : e}`);
}

if (window.wasmBindings) {
  main(window.wasmBindings).catch(fail);
} else {
  addEventListener("TrunkApplicationStarted", () => main(window.wasmBindings).catch(fail), { once: true });
}
