// "Open in Perfetto": the postMessage handshake (www/src/perfetto.js) against a stub window, in
// the real page but without any network — window.open is replaced, so nothing leaves 127.0.0.1.
// The stub answers PONG only after a few PINGs (as the Perfetto UI does once loaded); the trace
// must be posted once, after PONG, to Perfetto's origin; replies from another window or origin
// are ignored; a blocked pop-up and a silent window are reported.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ROOT, startHelper, launch, openPage, bundleForPage, afterRun } from "./lib.mjs";

let helper, browser, bundle;
before(async () => {
  bundle = await bundleForPage(`import * as p from "./www/src/perfetto.js"; window.__perfetto = p;`);
  helper = await startHelper();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  helper?.stop();
});

test("the handshake: PING until PONG, then the trace buffer once, to Perfetto's origin only", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.addScriptTag({ content: bundle });
  const r = await page.evaluate(async () => {
    const { openInPerfetto, PERFETTO_ORIGIN } = window.__perfetto;
    const host = new EventTarget();
    const reply = (data, source, origin = PERFETTO_ORIGIN) => {
      const e = new Event("message");
      Object.assign(e, { data, source, origin });
      host.dispatchEvent(e);
    };
    const log = [];
    const opened = [];
    const impostor = { closed: false, postMessage() {} };
    const stub = {
      closed: false,
      postMessage(msg, origin) {
        log.push({ msg: msg === "PING" ? "PING" : { title: msg.perfetto?.title, bytes: msg.perfetto?.buffer?.byteLength, text: new TextDecoder().decode(msg.perfetto?.buffer) }, origin });
        const pings = log.filter((l) => l.msg === "PING").length;
        if (msg === "PING" && pings === 2) {
          // Lookalikes first: another window, another origin, another word. All ignored.
          setTimeout(() => reply("PONG", impostor), 0);
          setTimeout(() => reply("PONG", stub, "https://evil.example"), 0);
          setTimeout(() => reply("HELLO", stub), 0);
        }
        if (msg === "PING" && pings === 3) setTimeout(() => reply("PONG", stub), 0);
      },
    };
    const trace = new TextEncoder().encode('[{"name":"x","ph":"B","ts":0}]').buffer;
    const win = await openInPerfetto(trace, { title: "t", open: (u) => { opened.push(u); return stub; }, host, pingMs: 10, timeoutMs: 3000 });
    // Late PONGs (Perfetto may answer every PING) do not post the trace again.
    reply("PONG", stub);
    await new Promise((r) => setTimeout(r, 50));
    return { same: win === stub, opened, log };
  });
  assert.equal(r.same, true);
  assert.deepEqual(r.opened, ["https://ui.perfetto.dev"]);
  const pings = r.log.filter((l) => l.msg === "PING");
  const posts = r.log.filter((l) => l.msg !== "PING");
  assert.ok(pings.length >= 3, `${pings.length} pings`);
  assert.ok(r.log.every((l) => l.origin === "https://ui.perfetto.dev"), "every message is addressed to Perfetto's origin");
  assert.equal(posts.length, 1, "the trace is posted exactly once");
  const sent = '[{"name":"x","ph":"B","ts":0}]';
  assert.deepEqual(posts[0].msg, { title: "t", bytes: Buffer.byteLength(sent), text: sent });
  assert.equal(r.log.at(-1).msg.title, "t", "nothing is sent after the trace (the pinging stopped)");
  assert.ok(requests.every((u) => u.startsWith(helper.url.replace(/\/[^/]*$/, ""))), `no request left the helper: ${requests.filter((u) => !u.startsWith("http://127.0.0.1"))}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a blocked pop-up, a window that never answers and a closed window are reported", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  await page.addScriptTag({ content: bundle });
  const r = await page.evaluate(async () => {
    const { openInPerfetto } = window.__perfetto;
    const buf = new ArrayBuffer(4);
    const err = (p) => p.then(() => "resolved", (e) => e.message);
    return {
      blocked: await err(openInPerfetto(buf, { open: () => null, host: new EventTarget() })),
      silent: await err(openInPerfetto(buf, { open: () => ({ closed: false, postMessage() {} }), host: new EventTarget(), pingMs: 10, timeoutMs: 100 })),
      closed: await err(openInPerfetto(buf, { open: () => ({ closed: true, postMessage() {} }), host: new EventTarget(), pingMs: 10, timeoutMs: 1000 })),
    };
  });
  assert.match(r.blocked, /blocked the new window/);
  assert.match(r.silent, /did not answer within/);
  assert.match(r.closed, /closed before it took the trace/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the page's Open in Perfetto button uses the handshake (window.open stubbed: blocked)", async () => {
  const { page, errors } = await openPage(browser, helper.url);
  await afterRun(page, 0);
  const opened = await page.evaluate(() => {
    window.__opened = [];
    window.open = (u) => { window.__opened.push(u); return null; };
  });
  await page.click("#open-perfetto");
  await page.waitForFunction(() => /Perfetto:/.test(document.querySelector("#status").textContent));
  assert.match(await page.textContent("#status"), /Perfetto: the browser blocked the new window/);
  assert.deepEqual(await page.evaluate(() => window.__opened), ["https://ui.perfetto.dev"]);
  assert.equal(opened, undefined);
  assert.deepEqual(errors, []);
  await page.close();
});
