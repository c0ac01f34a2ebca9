//! Gzip copies of the page's files, made once after `trunk build` (`buildlab precompress
//! dist`) and served in place of the originals to a browser that accepts gzip
//! ([`crate::serve::router`], tower-http's `precompressed_gzip`). The encoder is zopfli: its
//! output is ordinary gzip that any browser inflates, about 5% smaller than `gzip -9`'s, at
//! ~100 times the CPU — paid once per build, not per request (docs/benchmarks.md, Page weight).
//!
//! A copy is `NAME.gz` beside `NAME`, written only when it is smaller. A copy older than its
//! original (the page rebuilt without precompressing again) would serve stale bytes, so the
//! server removes such copies before it starts ([`drop_stale`]).

use std::io;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Files the page fetches as text or wasm; images and the like are compressed already.
const EXTENSIONS: &[&str] = &[
    "wasm", "js", "mjs", "css", "html", "json", "txt", "txtar", "svg", "map",
];

/// Below this a gzip header and trailer (18 bytes) outweigh what compression saves.
pub const MIN_BYTES: u64 = 256;

/// zopfli's default; more iterations gain well under 0.1% on the page's wasm.
pub const DEFAULT_ITERATIONS: u64 = 15;

/// One file compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compressed {
    pub path: PathBuf,
    pub raw: u64,
    /// The `.gz` copy's size; `None` when it would not be smaller (no copy is kept).
    pub gzip: Option<u64>,
}

/// Every regular file under `dir`, recursively (symlinks not followed), with its metadata.
fn files_under(dir: &Path) -> io::Result<Vec<(PathBuf, std::fs::Metadata)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push((entry.path(), entry.metadata()?));
            }
        }
    }
    Ok(out)
}

/// The files under `dir` a copy is made for, largest first (so the long ones start first on
/// a parallel run).
pub fn candidates(dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
    let mut out: Vec<(PathBuf, u64)> = files_under(dir)?
        .into_iter()
        .filter(|(path, meta)| compressible(path) && meta.len() >= MIN_BYTES)
        .map(|(path, meta)| (path, meta.len()))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

fn compressible(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e))
}

/// The gzip member zopfli makes of `data`.
pub fn gzip(data: &[u8], iterations: u64) -> Vec<u8> {
    let options = zopfli::Options {
        iteration_count: NonZeroU64::new(iterations.max(1)).expect("at least one"),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 2);
    zopfli::compress(options, zopfli::Format::Gzip, data, &mut out)
        .expect("compressing into memory does not fail");
    out
}

/// Writes `NAME.gz` beside every candidate under `dir`, with `threads` workers; removes a
/// copy that would not be smaller. Each copy is written to a temporary name and renamed, so
/// a server reading the directory meanwhile never sees half a file.
pub fn precompress(dir: &Path, iterations: u64, threads: usize) -> io::Result<Vec<Compressed>> {
    let files = candidates(dir)?;
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(files.len()));
    let first_error: Mutex<Option<io::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, files.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, _)) = files.get(i) else { break };
                match compress_one(path, iterations) {
                    Ok(c) => results.lock().unwrap().push(c),
                    Err(e) => {
                        let e = io::Error::new(e.kind(), format!("{}: {e}", path.display()));
                        first_error.lock().unwrap().get_or_insert(e);
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().unwrap() {
        return Err(e);
    }
    let mut out = results.into_inner().unwrap();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn gz_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".gz");
    PathBuf::from(name)
}

fn compress_one(path: &Path, iterations: u64) -> io::Result<Compressed> {
    let data = std::fs::read(path)?;
    let gz = gzip(&data, iterations);
    let target = gz_path(path);
    if gz.len() >= data.len() {
        match std::fs::remove_file(&target) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        return Ok(Compressed {
            path: path.to_path_buf(),
            raw: data.len() as u64,
            gzip: None,
        });
    }
    let mut tmp = target.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, &gz)?;
    std::fs::rename(&tmp, &target)?;
    Ok(Compressed {
        path: path.to_path_buf(),
        raw: data.len() as u64,
        gzip: Some(gz.len() as u64),
    })
}

/// Removes every `NAME.gz` under `dir` whose `NAME` is gone or was modified after it, and
/// returns them: the server would otherwise send the old bytes for the new file.
pub fn drop_stale(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut dropped = Vec::new();
    for (path, meta) in files_under(dir)? {
        if path.extension().and_then(|e| e.to_str()) != Some("gz") {
            continue;
        }
        let fresh = match std::fs::metadata(path.with_extension("")) {
            Ok(original) => original.modified()? <= meta.modified()?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        if !fresh {
            std::fs::remove_file(&path)?;
            dropped.push(path);
        }
    }
    dropped.sort();
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "buildlab-precompress-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("chunks")).unwrap();
        d
    }

    #[test]
    fn gzip_round_trips_and_beats_nothing_on_text() {
        let text =
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n".repeat(40);
        let gz = gzip(text.as_bytes(), 5);
        assert_eq!(&gz[..2], &[0x1f, 0x8b], "a gzip member");
        assert!(gz.len() < text.len() / 5, "{} of {}", gz.len(), text.len());
        assert_eq!(gunzip(&gz), text.as_bytes());
        // Empty input is still a valid member.
        assert_eq!(gunzip(&gzip(b"", 1)), b"");
    }

    #[test]
    fn precompress_writes_copies_only_where_they_help() {
        let d = scratch("write");
        let js = "export const x = 1;\n".repeat(100);
        std::fs::write(d.join("ui.js"), &js).unwrap();
        std::fs::write(d.join("chunks/dagre.js"), "let a = [1, 2, 3];\n".repeat(50)).unwrap();
        std::fs::write(d.join("tiny.css"), "a{}").unwrap(); // under MIN_BYTES
        std::fs::write(d.join("logo.png"), vec![7u8; 4096]).unwrap(); // not a text type
                                                                      // Incompressible bytes: the copy would be larger, so none is kept (and an old one goes).
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..2048)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        std::fs::write(d.join("noise.wasm"), &noise).unwrap();
        std::fs::write(d.join("noise.wasm.gz"), b"old").unwrap();

        let got = precompress(&d, 3, 2).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|c| {
                (
                    c.path
                        .strip_prefix(&d)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    c.gzip.is_some(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("chunks/dagre.js".to_string(), true),
                ("noise.wasm".to_string(), false),
                ("ui.js".to_string(), true)
            ]
        );
        assert_eq!(
            gunzip(&std::fs::read(d.join("ui.js.gz")).unwrap()),
            js.as_bytes()
        );
        assert!(!d.join("noise.wasm.gz").exists());
        assert!(!d.join("tiny.css.gz").exists());
        assert!(!d.join("logo.png.gz").exists());
        // No temporary file is left behind.
        let leftovers: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn stale_and_orphaned_copies_are_dropped() {
        let d = scratch("stale");
        let body = "body { color: black; }\n".repeat(30);
        std::fs::write(d.join("style.css"), &body).unwrap();
        std::fs::write(d.join("ui.js"), "export {};\n".repeat(40)).unwrap();
        precompress(&d, 1, 1).unwrap();
        assert!(drop_stale(&d).unwrap().is_empty(), "fresh copies stay");

        // The page rebuilt: style.css is newer than its copy; ui.js is gone.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(d.join("style.css"))
            .unwrap();
        f.set_modified(later).unwrap();
        std::fs::remove_file(d.join("ui.js")).unwrap();
        assert_eq!(
            drop_stale(&d).unwrap(),
            [d.join("style.css.gz"), d.join("ui.js.gz")]
        );
        assert!(!d.join("style.css.gz").exists() && !d.join("ui.js.gz").exists());
        let _ = std::fs::remove_dir_all(&d);
    }
}
