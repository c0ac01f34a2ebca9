// The native helper (`buildlab serve`) as the page uses it: its Go (/api/v1/info), the real
// tools for the misses of a build the page's core drives (web/src/real.rs), and running the
// binary a real build linked. The helper prints a URL with a per-start token in its fragment
// (`#token=…`); the page keeps it for this tab (sessionStorage), takes it out of the address bar,
// and sends it as `X-Buildlab-Token` on every API request.
//
// Every failure becomes a HelperError whose message says what happened in plain words (the
// helper is not running, refused, or a tool failed); nothing here retries silently except the
// upload of dependency outputs the helper's store lacks.

const TOKEN_KEY = "buildlab.helperToken";
const API = "/api/v1";

/** An exec reply that carries its archive: one line of JSON, then the archive's bytes. */
const EXEC_INLINE = "application/x-buildlab-exec";
/** A run stream that carries the archives: NDJSON lines, each `action` line that names an
 *  archive followed by exactly its `size` bytes (helper/src/pagerun.rs). */
const RUN_INLINE = "application/x-buildlab-run";

/** An outputs stream (POST /api/v1/outputs): NDJSON lines, each `output` line followed by
 *  exactly its `size` bytes (helper/src/pagerun.rs). */
const OUTPUTS_TYPE = "application/x-buildlab-outputs";

/** How many bytes follow a run stream's line: an action line's archive when `inline`. */
const runBytes = (inline) => (j) => (inline && j.type === "action" && j.archive ? j.archive.size : null);

/**
 * Reads a stream of NDJSON lines some of which are followed by bytes (`ReadableStreamDefaultReader`
 * of bytes) and calls `onLine(json)` per line. `sizeOf(json)` says how many bytes follow a line
 * (null: none); they come in `json.bytes`, copied once from the network's chunks into their own
 * buffer, or with `asBlob` in `json.blob`, a Blob made of the chunks (the bytes never pass
 * through wasm). Lines are decoded as UTF-8 on their own.
 */
async function readFramed(reader, sizeOf, onLine, asBlob = false) {
  const dec = new TextDecoder();
  let chunks = []; // unconsumed chunks, the first from `off`
  let off = 0;
  let line = null; // an action line waiting for its archive's bytes
  let fill = 0;
  const takeLine = () => {
    // The bytes up to the next newline, or null when it has not come yet.
    let n = 0;
    for (let c = 0; c < chunks.length; c++) {
      const from = c === 0 ? off : 0;
      const nl = chunks[c].indexOf(10, from);
      if (nl < 0) { n += chunks[c].length - from; continue; }
      const out = new Uint8Array(n + nl - from);
      let at = 0;
      for (let k = 0; k < c; k++) { const part = k === 0 ? chunks[k].subarray(off) : chunks[k]; out.set(part, at); at += part.length; }
      out.set(chunks[c].subarray(from, nl), at);
      chunks = chunks.slice(c);
      off = nl + 1;
      return out;
    }
    return null;
  };
  let want = 0;
  let parts = null; // with asBlob: the pieces of the waiting line's bytes
  const takeBytes = () => {
    // Takes what has come for the waiting line; true once it is whole.
    while (chunks.length && fill < want) {
      const part = chunks[0].subarray(off, off + (want - fill));
      if (parts) parts.push(part);
      else line.bytes.set(part, fill);
      fill += part.length;
      off += part.length;
      if (off >= chunks[0].length) { chunks.shift(); off = 0; }
    }
    if (fill === want && parts) {
      line.blob = new Blob(parts);
      parts = null;
    }
    return fill === want;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    for (;;) {
      if (line) {
        if (!takeBytes()) break;
        onLine(line);
        line = null;
        continue;
      }
      const raw = takeLine();
      if (raw === null) break;
      const text = dec.decode(raw);
      if (!text.trim()) continue;
      const j = JSON.parse(text);
      const size = sizeOf(j);
      if (size != null) {
        want = size;
        fill = 0;
        if (asBlob) parts = [];
        else j.bytes = new Uint8Array(size);
        line = j;
        continue;
      }
      onLine(j);
    }
  }
  if (line) throw new Error(`${line.key || line.hex}: the stream ended with ${fill} of its ${want} bytes`);
}

/** A reader over pushed promises: `push(p)` in order, `next()` resolves to each in turn. */
function queue() {
  const items = [];
  const waiters = [];
  return {
    push(p) {
      p.catch(() => {}); // awaited by next(); not an unhandled rejection meanwhile
      const w = waiters.shift();
      if (w) w(p);
      else items.push(p);
    },
    next: () => (items.length ? items.shift() : new Promise((res) => waiters.push(res))),
  };
}

function splitInline(all, key) {
  const nl = all.indexOf(10);
  if (nl < 0) throw new HelperError(`${key}: the helper's reply has no JSON line`);
  const j = JSON.parse(new TextDecoder().decode(all.subarray(0, nl)));
  j.bytes = all.subarray(nl + 1);
  if (!j.archive || j.bytes.length !== j.archive.size) {
    throw new HelperError(`${key}: the archive came back with ${j.bytes.length} of ${j.archive?.size ?? 0} bytes`);
  }
  return j;
}

export class HelperError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.name = "HelperError";
    this.status = status;
  }
}

/** The token from the fragment (then removed from the address bar) or from this tab's storage. */
export function takeToken() {
  const raw = location.hash.replace(/^#/, "");
  const m = /(?:^|&)token=([0-9a-f]{64})(?=&|$)/.exec(raw);
  if (m) {
    try {
      sessionStorage.setItem(TOKEN_KEY, m[1]);
    } catch {
      // Storage refused (private mode): the token still works for this page load.
    }
    const rest = raw.replace(/(?:^|&)token=[0-9a-f]{64}(?=&|$)/, "").replace(/^&/, "");
    history.replaceState(null, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
    return m[1];
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

async function errorOf(r, what) {
  let msg = "";
  try {
    msg = (await r.json()).error || "";
  } catch {
    // Not the helper's JSON (a proxy, a static server): the status says enough.
  }
  return new HelperError(`${what}: the helper answered ${r.status}${msg ? `: ${msg}` : ""}`, r.status);
}

/** An action's archive from the helper's store (`{hex, size}`), its length checked; `key` names
 *  the action in errors. */
async function fetchArchive(helper, archive, key) {
  const b = await helper.fetch("GET", `/blob/${archive.hex}`);
  if (!b.ok) throw await errorOf(b, `${key}: fetching its archive`);
  const bytes = new Uint8Array(await b.arrayBuffer());
  if (bytes.length !== archive.size) {
    throw new HelperError(`${key}: the archive came back with ${bytes.length} of ${archive.size} bytes`);
  }
  return bytes;
}

export class Helper {
  constructor(token) {
    this.token = token;
  }

  /**
   * The helper serving this page and its Go: `{helper, info}`; `{helper: null, reason}` when the
   * page is not served by a helper, has no token, or the helper has no Go.
   */
  static async connect() {
    const token = takeToken();
    if (!token) {
      return { helper: null, reason: "No helper: this page was not opened from the URL `buildlab serve` prints (it carries the token), so builds use the simulation of go1.23's tools." };
    }
    const helper = new Helper(token);
    let info;
    try {
      info = await helper.json("GET", "/info");
    } catch (e) {
      return { helper: null, reason: `${e.message}. Builds use the simulation.` };
    }
    if (!info.go?.available) {
      return { helper: null, info, reason: `The helper found no Go (${info.go?.why || "no reason given"}), so builds use the simulation.` };
    }
    if (!info.pageBuilds) {
      return { helper: null, info, reason: "This helper is older than the page and cannot run the page's builds; builds use the simulation." };
    }
    return { helper, info };
  }

  async fetch(method, path, body, type = "application/json") {
    const headers = { "X-Buildlab-Token": this.token };
    if (body !== undefined) headers["Content-Type"] = type;
    try {
      return await fetch(`${API}${path}`, { method, headers, body, cache: "no-store" });
    } catch (e) {
      throw new HelperError(`the helper at ${location.origin} is not reachable (is \`buildlab serve\` still running?): ${e.message || e}`);
    }
  }

  async json(method, path, value) {
    const r = await this.fetch(method, path, value === undefined ? undefined : JSON.stringify(value));
    if (!r.ok) throw await errorOf(r, `${method} ${API}${path}`);
    return await r.json();
  }

  /** The helper's counters (tool processes run, actions executed) from /api/v1/info. */
  async counters() {
    return (await this.json("GET", "/info")).counters;
  }

  /**
   * The outputs a deferred run left in the helper's store, in one streamed request: a reader
   * whose `next()` resolves to `{type: "output", hex, size, blob}` (a Blob of its bytes) or
   * `{type: "missing", hex}` (the store lost it) per content hash in `hexes`, then `null`.
   * What web/src/real.rs's `save_outputs` reads.
   */
  async outputs(hexes) {
    const r = await this.fetch("POST", "/outputs", JSON.stringify({ version: 1, hexes }));
    if (!r.ok) throw await errorOf(r, "fetching the build's outputs");
    if (r.headers.get("Content-Type") !== OUTPUTS_TYPE) throw new HelperError("fetching the build's outputs: the helper's answer is not an outputs stream");
    const q = queue();
    (async () => {
      try {
        const sizeOf = (j) => (j.type === "output" ? j.size : null);
        await readFramed(r.body.getReader(), sizeOf, (j) => { if (j.type !== "done") q.push(Promise.resolve(j)); }, true);
      } catch (e) {
        q.push(Promise.reject(new HelperError(`fetching the build's outputs: the stream broke: ${e.message || e}`)));
      }
      q.push(Promise.resolve(null));
    })();
    return { next: q.next };
  }

  /** Runs a binary the helper linked: `{exitStatus, stdout, stderr, timedOut, truncated, wallMs}`. */
  async run(hex) {
    return await this.json("POST", `/run/${hex}`);
  }

  /**
   * The executor web/src/real.rs drives for one build of `files`: `exec(request)` runs one
   * action (opening the helper's workspace on first use), `upload(hex, bytes)` fills the
   * helper's store, `live(text)` passes the transcript so far to `onEvent` as a live `output`
   * event, `close()` lets the helper remove the workspace.
   */
  executor(files, onEvent) {
    const helper = this;
    let opened = null;
    const open = (req) => {
      opened ??= helper.json("POST", "/workspace", {
        version: 1,
        files,
        flags: { ...(req.p ? { p: req.p } : {}), ...(req.o != null ? { o: req.o } : {}), ...(req.settings?.length ? { settings: req.settings } : {}) },
        packages: req.packages,
        cwd: req.cwd,
        planDigest: req.planDigest,
      }).then((r) => r.workspace);
      return opened;
    };
    return {
      async exec(req) {
        const ws = await open(req);
        // inline: the archive comes in this reply, after one line of JSON (one request per action).
        const body = JSON.stringify({ version: 1, action: req.action, buildId: req.buildId, inputs: req.inputs, inline: true });
        const r = await helper.fetch("POST", `/workspace/${ws}/exec`, body);
        if (r.status === 409) {
          const j = await r.json().catch(() => ({}));
          if (Array.isArray(j.missing)) return { missing: j.missing };
          throw new HelperError(`${req.key}: the helper answered 409: ${j.error || ""}`, 409);
        }
        if (!r.ok) throw await errorOf(r, req.key);
        if (r.headers.get("Content-Type") === EXEC_INLINE) return splitInline(new Uint8Array(await r.arrayBuffer()), req.key);
        const j = await r.json();
        if (j.archive) j.bytes = await fetchArchive(helper, j.archive, req.key);
        return j;
      },
      /**
       * The whole build's misses in one request (POST …/run): `{missing: [hex]}` when the helper
       * lacks outputs of the page's hits, else a reader whose `next()` resolves to each finished
       * action's line in the order the helper streamed them, with its archive's bytes
       * (`bytes`), then `null` at the end. The archives come in the same stream, each right
       * after its line: one response for the whole build instead of one fetch per action.
       */
      async run(req) {
        const ws = await open(req);
        // deferred: the lines carry each archive's content ID and the archives stay on the
        // helper until the page saves them after the build (`outputs`); else inline: the
        // archives come in the stream after their lines, not one request each.
        const body = JSON.stringify({
          version: 1,
          actions: req.actions,
          hits: req.hits,
          force: req.force,
          ...(req.target ? { target: req.target } : {}),
          ...(req.deferred ? { deferred: true } : { inline: true }),
        });
        const r = await helper.fetch("POST", `/workspace/${ws}/run`, body);
        if (r.status === 409) {
          const j = await r.json().catch(() => ({}));
          if (Array.isArray(j.missing)) return { missing: j.missing };
          throw new HelperError(`the build's run: the helper answered 409: ${j.error || ""}`, 409);
        }
        if (!r.ok) throw await errorOf(r, "the build's run");
        const q = queue();
        const push = q.push;
        const withArchive = async (j) => {
          j.bytes = await fetchArchive(helper, j.archive, j.key);
          return j;
        };
        // A helper that sends lines only (no `inline`): each archive is fetched by its hex,
        // unless the run is deferred (the page fetches them all after the build).
        const inline = r.headers.get("Content-Type") === RUN_INLINE;
        (async () => {
          try {
            await readFramed(r.body.getReader(), runBytes(inline), (j) => {
              const fetchIt = !inline && !req.deferred && j.type === "action" && j.ok && j.archive;
              push(fetchIt ? withArchive(j) : Promise.resolve(j));
            });
          } catch (e) {
            push(Promise.reject(new HelperError(`the build's run: the stream broke: ${e.message || e}`)));
          }
          push(Promise.resolve(null));
        })();
        return { next: q.next };
      },
      /** The transcript so far while the build runs (web/src/real.rs sends what is settled). */
      live(text) {
        onEvent?.({ kind: "output", text, live: true });
      },
      async upload(hex, bytes) {
        const r = await helper.fetch("PUT", `/blob/${hex}`, bytes, "application/octet-stream");
        if (!r.ok) throw await errorOf(r, `uploading ${hex.slice(0, 12)}…`);
      },
      async close() {
        if (!opened) return;
        const ws = await opened.catch(() => null);
        if (ws !== null) await helper.fetch("DELETE", `/workspace/${ws}`).catch(() => {});
      },
    };
  }
}
