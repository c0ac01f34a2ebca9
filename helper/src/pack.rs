//! `pack r`, done in the helper's own process as the go command does it.
//!
//! For a package with assembly (or `.syso` files) cmd/go appends the objects to the archive the
//! compiler wrote and prints `…/pack r ARCHIVE OBJECTS # internal`: it does not run the `pack`
//! tool, it calls `packInternal` (cmd/go/internal/work/gc.go). That function writes each entry
//! with a fixed header — name cut or space-padded to 16 bytes, mtime, uid and gid 0, mode 0644,
//! the size — then the bytes, then a zero byte when the size is odd. The `pack` tool itself would
//! write the object file's own mode instead of 0644 (0664 under a umask of 002), so doing it here
//! is also what makes the archive go's byte for byte.

use crate::buildid::go_io_error;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Appends `objects` to the existing archive `archive` (`packInternal`). Errors read as go's.
pub fn append(archive: &Path, objects: &[&Path]) -> Result<(), String> {
    let path_err =
        |op: &str, p: &Path, e: io::Error| format!("{op} {}: {}", p.display(), go_io_error(&e));
    let dst = OpenOptions::new()
        .append(true)
        .open(archive)
        .map_err(|e| path_err("open", archive, e))?;
    let mut w = BufWriter::with_capacity(64 << 10, dst);
    for &obj in objects {
        let mut src = File::open(obj).map_err(|e| path_err("open", obj, e))?;
        let size = src.metadata().map_err(|e| path_err("stat", obj, e))?.len();
        w.write_all(&entry_header(obj, size))
            .map_err(|e| path_err("write", archive, e))?;
        let copied = io::copy(&mut src, &mut w).map_err(|e| {
            format!(
                "copying {} to {}: {}",
                obj.display(),
                archive.display(),
                go_io_error(&e)
            )
        })?;
        if copied < size {
            return Err(format!(
                "copying {} to {}: unexpected EOF",
                obj.display(),
                archive.display()
            ));
        }
        if copied > size {
            return Err(format!(
                "copying {} to {}: file larger than size reported by stat",
                obj.display(),
                archive.display()
            ));
        }
        if size & 1 != 0 {
            w.write_all(&[0])
                .map_err(|e| path_err("write", archive, e))?;
        }
    }
    // Flushed and closed, not synced: go does not sync its work files either.
    w.into_inner()
        .map_err(|e| path_err("write", archive, e.into_error()))?;
    Ok(())
}

/// The 60-byte ar header go writes for an object: `%s%-12d%-6d%-6d%-8o%-10d` + "`\n", the name
/// cut to 16 bytes (bytes, not characters) or padded with spaces.
fn entry_header(obj: &Path, size: u64) -> Vec<u8> {
    let name = obj
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut h = name.as_bytes()[..name.len().min(16)].to_vec();
    h.resize(16, b' ');
    h.extend_from_slice(
        format!("{:<12}{:<6}{:<6}{:<8o}{:<10}`\n", 0, 0, 0, 0o644, size).as_bytes(),
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_go_s_fixed_layout() {
        let h = entry_header(Path::new("/w/b001/asm_amd64.o"), 1234);
        assert_eq!(h.len(), 60);
        assert_eq!(
            String::from_utf8(h).unwrap(),
            "asm_amd64.o     0           0     0     644     1234      `\n"
        );
        let long = entry_header(Path::new("/w/a_very_long_object_name.o"), 1);
        assert_eq!(&long[..16], b"a_very_long_obje");
    }

    #[test]
    fn append_pads_odd_sizes_and_reports_go_errors() {
        let dir = std::env::temp_dir().join(format!("buildlab-pack-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("_pkg_.a");
        std::fs::write(&a, b"!<arch>\n").unwrap();
        let (o1, o2) = (dir.join("x.o"), dir.join("y.o"));
        std::fs::write(&o1, b"abc").unwrap();
        std::fs::write(&o2, b"defg").unwrap();
        append(&a, &[&o1, &o2]).unwrap();
        let got = std::fs::read(&a).unwrap();
        let mut want = b"!<arch>\n".to_vec();
        want.extend(entry_header(&o1, 3));
        want.extend(b"abc\0");
        want.extend(entry_header(&o2, 4));
        want.extend(b"defg");
        assert_eq!(got, want);
        let missing = dir.join("nope.o");
        assert_eq!(
            append(&a, &[&missing]).unwrap_err(),
            format!("open {}: no such file or directory", missing.display())
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
