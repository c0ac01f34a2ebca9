// The page's saved settings, in localStorage under one versioned key. A record from an unknown
// version is migrated when we know how, else replaced by the defaults (never half-read).

const KEY = "buildlab.settings";
export const SETTINGS_VERSION = 1;

export const DEFAULTS = Object.freeze({
  version: SETTINGS_VERSION,
  theme: "system", // "system" | "light" | "dark"
  sample: "hello",
  cmdline: "go build -x -p 2 .",
  cpus: 2,
  toolchain: "simulated",
});

export function migrate(raw) {
  if (!raw || typeof raw !== "object") return { ...DEFAULTS };
  if (raw.version === SETTINGS_VERSION) return { ...DEFAULTS, ...raw };
  return { ...DEFAULTS };
}

export function load() {
  try {
    return migrate(JSON.parse(localStorage.getItem(KEY)));
  } catch {
    return { ...DEFAULTS };
  }
}

export function save(settings) {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...settings, version: SETTINGS_VERSION }));
  } catch {
    // Storage full or disabled: settings just do not persist.
  }
}
