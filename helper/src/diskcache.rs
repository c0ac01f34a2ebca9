//! The GOCACHE directory on disk: core's [`CacheFs`] over a real directory, so that core's
//! [`DirCache`] (layout, entry format, integrity checks, trim) runs unchanged natively.
//!
//! Writes are atomic (a temporary file in the same directory, then a rename), so a crash or a
//! concurrent reader never sees half an entry. Nothing here panics on what it finds on disk:
//! unreadable, missing or odd files read as absent, and core turns that into a cache miss. Failed
//! writes are dropped (a cache that cannot store only costs a rebuild), as cmd/go does.
//!
//! Also here: where the cache is (`go env GOCACHE`), and the why-rebuilt record kept beside it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use buildlab_core::cache::{gocache_dir, CacheFs, DirCache, UnixNanos};
use buildlab_core::hash::Digest;
use buildlab_core::rebuild::Record;

/// A [`CacheFs`] rooted at a real directory.
#[derive(Clone, Debug)]
pub struct DiskFs {
    root: PathBuf,
}

/// The cache directory as a core [`DirCache`].
pub type DiskCache = DirCache<DiskFs>;

impl DiskFs {
    pub fn new(root: &Path) -> Self {
        DiskFs {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, rel: &str) -> Option<PathBuf> {
        // Core only asks for `xx/<hex>-a` style relative paths; refuse anything that could escape.
        if rel.split('/').any(|c| c == ".." || c.is_empty()) && !rel.is_empty() {
            return None;
        }
        Some(if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        })
    }
}

fn to_system_time(t: UnixNanos) -> SystemTime {
    if t >= 0 {
        UNIX_EPOCH + Duration::from_nanos(t as u64)
    } else {
        UNIX_EPOCH
    }
}

fn to_nanos(t: SystemTime) -> UnixNanos {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// Now, as Unix nanoseconds (the clock core is given).
pub fn now() -> UnixNanos {
    to_nanos(SystemTime::now())
}

/// Writes `data` to `path` atomically: a temporary sibling, then a rename. Not synced to disk, as
/// go syncs neither its cache files nor the binaries it installs: an output a crash truncates no
/// longer has its entry's size and is rebuilt, as in go (a sync per cache file cost the `--real`
/// driver thread up to a few ms per action, between dispatching jobs).
pub fn write_atomic(path: &Path, data: &[u8], mtime: Option<SystemTime>) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(data)?;
        if let Some(t) = mtime {
            f.set_modified(t)?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

impl CacheFs for DiskFs {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        fs::read(self.path(path)?).ok()
    }
    /// A `stat`, as go's `GetFile` does: a cache hit reads no output.
    fn size(&self, path: &str) -> Option<u64> {
        let m = fs::metadata(self.path(path)?).ok()?;
        m.is_file().then(|| m.len())
    }
    fn write(&mut self, path: &str, data: &[u8], mtime: UnixNanos) {
        if let Some(p) = self.path(path) {
            let _ = write_atomic(&p, data, Some(to_system_time(mtime)));
        }
    }
    fn remove(&mut self, path: &str) {
        if let Some(p) = self.path(path) {
            let _ = fs::remove_file(p);
        }
    }
    fn mtime(&self, path: &str) -> Option<UnixNanos> {
        let m = fs::metadata(self.path(path)?).ok()?;
        m.is_file()
            .then(|| m.modified().ok().map(to_nanos))
            .flatten()
    }
    fn set_mtime(&mut self, path: &str, t: UnixNanos) {
        if let Some(p) = self.path(path) {
            if let Ok(f) = fs::OpenOptions::new().write(true).open(p) {
                let _ = f.set_modified(to_system_time(t));
            }
        }
    }
    fn list(&self, dir: &str) -> Vec<String> {
        let Some(p) = self.path(dir) else {
            return Vec::new();
        };
        let mut v: Vec<String> = fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
    fn mkdir(&mut self, dir: &str) {
        if let Some(p) = self.path(dir) {
            let _ = fs::create_dir_all(p);
        }
    }
    fn remove_dir(&mut self, dir: &str) {
        if let Some(p) = self.path(dir).filter(|p| p != &self.root) {
            let _ = fs::remove_dir_all(p);
        }
    }
    fn dirs(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.root)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

/// `go env GOCACHE`: `$GOCACHE`, else the user cache directory's `go-build`.
pub fn gocache() -> Option<PathBuf> {
    let env = |k: &str| std::env::var(k).ok();
    gocache_dir(std::env::consts::OS, &env).map(PathBuf::from)
}

/// Where the why-rebuilt record of the module at `root` is kept:
/// `$GOCACHE/buildlab/record-<blake3 of the root path, 16 hex>.json`.
pub fn record_path(gocache: &Path, root: &Path) -> PathBuf {
    let h = Digest::of(root.to_string_lossy().as_bytes()).to_hex();
    gocache
        .join("buildlab")
        .join(format!("record-{}.json", &h[..16]))
}

/// The record of the last build, or an empty one (absent, unreadable, another version).
pub fn load_record(path: &Path) -> Record {
    fs::read_to_string(path)
        .ok()
        .and_then(|t| Record::from_json(&t).ok())
        .unwrap_or_default()
}

pub fn save_record(path: &Path, r: &Record) -> std::io::Result<()> {
    write_atomic(path, r.to_json().as_bytes(), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use buildlab_core::cache::{Cache, Miss};

    fn temp(tag: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("buildlab-diskcache-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn disk_cache_round_trips_and_survives_corruption() {
        let dir = temp("rt");
        let mut c = DiskCache::open(DiskFs::new(&dir));
        let id = Digest::of(b"action");
        let t = 1_795_544_806 * 1_000_000_000;
        let e = c.put(&id, b"output", t);
        assert_eq!(c.get_data(&id, t).unwrap().1, b"output");
        assert!(dir.join("README").is_file());
        // A truncated entry and corrupted data are misses, not panics.
        let a = dir.join(DiskCache::action_file(&id));
        let d = dir.join(DiskCache::output_file(&e.output));
        fs::write(&d, b"outpuX").unwrap();
        assert_eq!(c.get_data(&id, t).unwrap_err(), Miss::DataHash);
        fs::write(&a, b"v1 12").unwrap();
        assert!(matches!(c.get_data(&id, t), Err(Miss::BadEntry(_))));
        // clean -cache: the xx directories go, README stays.
        c.put(&id, b"output", t);
        c.clear();
        assert_eq!(c.get_data(&id, t).unwrap_err(), Miss::NoEntry);
        assert!(dir.join("README").is_file());
        assert!(!dir.join("00").exists());
        // Writing after a clean recreates the directory.
        c.put(&id, b"output", t);
        assert!(c.get_data(&id, t).is_ok());
        fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn record_file_is_versioned_and_forgiving() {
        let dir = temp("rec");
        let p = record_path(&dir, Path::new("/home/gopher/multi"));
        assert!(p.to_string_lossy().contains("/buildlab/record-"));
        assert!(load_record(&p).actions.is_empty());
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, "{\"version\": 99}").unwrap();
        assert!(load_record(&p).actions.is_empty());
        save_record(&p, &Record::default()).unwrap();
        assert!(fs::read_to_string(&p).unwrap().contains("\"version\":1"));
        fs::remove_dir_all(dir).ok();
    }
}
