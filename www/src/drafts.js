// The learner's edits to the samples, kept across reloads: one draft per sample, in localStorage
// under one versioned key (`buildlab.drafts`), written a moment after each edit and when the tab
// is hidden. A draft is the whole workspace (every file, as text), with when it was saved.
//
// Nothing here throws and nothing is lost: a record this version cannot read (hand-edited,
// truncated, another version's) is moved aside to `buildlab.drafts.unread` (its text kept, for a
// later version or a curious learner) and reported once; a draft too large to keep, or storage
// that is full or disabled, is reported and the edits stay in the tab as before.

const KEY = "buildlab.drafts";
const ASIDE = "buildlab.drafts.unread";
export const DRAFTS_VERSION = 1;
/** The most text (UTF-16 code units, as localStorage counts) one draft may hold. */
export const MAX_DRAFT_CHARS = 1 << 20;

/**
 * Reads every draft: `{ drafts: { [sample]: { savedAt, comment, files: [[path, text]] } }, problem }`.
 * `problem` is a sentence when the stored record could not be read (it was moved aside).
 */
export function readAll(storage = globalThis.localStorage) {
  const s = stored(storage);
  if (!s) return { drafts: Object.create(null), problem: null };
  if (s.drafts) return { drafts: s.drafts, problem: null };
  try {
    storage.setItem(ASIDE, s.raw);
    storage.removeItem(KEY);
  } catch {
    // Cannot move it aside: leave it where it is; it is reported again next time.
  }
  return { drafts: Object.create(null), problem: `Your saved edits could not be read (the stored record is not one this page writes); it was kept aside as “${ASIDE}” in this site's storage and the samples open as shipped.` };
}

/**
 * The stored record as `{ raw, drafts }` (`drafts` null when it is not one this version writes),
 * or null when there is none or storage is disabled.
 */
function stored(storage) {
  let raw;
  try {
    raw = storage.getItem(KEY);
  } catch {
    return null;
  }
  return raw === null ? null : { raw, drafts: parse(raw) };
}

/** The record's drafts, or null when it is not a record this version writes. */
function parse(raw) {
  let v;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!v || typeof v !== "object" || v.version !== DRAFTS_VERSION || !v.drafts || typeof v.drafts !== "object" || Array.isArray(v.drafts)) return null;
  const out = Object.create(null); // a sample named "__proto__" is a key like any other
  for (const [name, d] of Object.entries(v.drafts)) {
    if (!validDraft(d)) return null;
    out[name] = d;
  }
  return out;
}

function validDraft(d) {
  return Boolean(d) && typeof d === "object" && typeof d.savedAt === "number" && typeof d.comment === "string"
    && Array.isArray(d.files) && d.files.every((f) => Array.isArray(f) && f.length === 2 && typeof f[0] === "string" && f[0] !== "" && typeof f[1] === "string");
}

/** The draft of `sample` as `{ savedAt, comment, files: Map }`, or null. */
export function load(sample, storage = globalThis.localStorage) {
  const { drafts, problem } = readAll(storage);
  const d = Object.hasOwn(drafts, sample) ? drafts[sample] : null;
  return { draft: d && { savedAt: d.savedAt, comment: d.comment, files: new Map(d.files) }, problem };
}

/**
 * Keeps `files` (a Map path -> text) and `comment` as the draft of `sample`. Returns null when
 * kept, else the sentence saying why not (the edits then live only as long as the tab), or
 * that the record it replaced could not be read (and was moved aside first).
 */
export function save(sample, { comment, files }, { now = Date.now(), storage = globalThis.localStorage } = {}) {
  const draft = { savedAt: now, comment, files: [...files.entries()] };
  const chars = comment.length + draft.files.reduce((n, [p, t]) => n + p.length + t.length, 0);
  if (chars > MAX_DRAFT_CHARS) {
    return `Your edits to ${sample} are ${Math.ceil(chars / 1024)} KiB of text, more than the ${MAX_DRAFT_CHARS / 1024} KiB a draft may keep: they stay in this tab but are not kept across a reload.`;
  }
  const { drafts, problem } = readAll(storage);
  drafts[sample] = draft;
  if (!write(drafts, storage)) return `Your edits to ${sample} could not be kept across a reload (this browser's storage is full or disabled); they stay in this tab.`;
  return problem;
}

/** Forgets the draft of `sample` (its edits were reverted, or match the sample as shipped). */
export function remove(sample, storage = globalThis.localStorage) {
  // A record that cannot be read holds no draft to forget: it is left for `load` to report.
  const drafts = stored(storage)?.drafts;
  if (!drafts || !Object.hasOwn(drafts, sample)) return;
  delete drafts[sample];
  write(drafts, storage);
}

function write(drafts, storage) {
  try {
    if (Object.keys(drafts).length === 0) storage.removeItem(KEY);
    else storage.setItem(KEY, JSON.stringify({ version: DRAFTS_VERSION, drafts }));
    return true;
  } catch {
    return false;
  }
}

/** Whether two workspaces (Maps path -> text) hold the same files with the same text. */
export function sameFiles(a, b) {
  if (a.size !== b.size) return false;
  for (const [p, t] of a) if (b.get(p) !== t) return false;
  return true;
}
