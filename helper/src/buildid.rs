//! `buildid -w`, done in the helper's own process as the go command does it.
//!
//! After compile (and pack) writes `_pkg_.a`, and after link writes the binary, cmd/go replaces
//! the last part of the build ID it passed (`actionID/actionID` → `actionID/contentID`) by a hash
//! of the file's content, and prints `…/buildid -w FILE # internal`: "internal" because it does
//! not run the `buildid` tool, it calls `updateBuildID` (cmd/go/internal/work/buildid.go), which
//! uses `FindAndHash` and `Rewrite` of cmd/internal/buildid. This module is that step in Rust, so
//! the helper does not spawn one process per action for it (the spawn cost more than the work).
//!
//! What it does, as go does:
//! - searches the file for every occurrence of the build ID it was built with (the archive's
//!   `build id "…"` header line and the compiler's copy in the object, the ELF note and the
//!   `.go.buildid` data of a binary), reading in 31 KiB chunks with a carried-over fringe so an
//!   occurrence split across two reads is still found, leftmost first, never overlapping;
//! - hashes the content with SHA-256 with each occurrence replaced by zeros, and renders the
//!   first 120 bits as 20 base64url characters (`HashToString`);
//! - writes the new ID over each occurrence in place; no match means the ID was overridden and
//!   nothing is written.
//!
//! Not here: Mach-O binaries with a code signature. go excludes the signature from the hash and
//! re-signs the file after the rewrite; [`update_build_id`] answers [`Error::Unsupported`] for
//! them and the executor runs the real `buildid` tool instead (a helper on macOS linking).
//! Reading an ID out of an unknown file (the tool's `ReadFile`) is not needed: the executor knows
//! the ID it passed, as cmd/go does.

use memchr::memmem::Finder;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// go's read size: with the fringe it fits in 32 kB.
pub const BUF_SIZE: usize = 31 * 1024;

/// Why the build ID could not be updated in process.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// A file this module does not rewrite (a signed Mach-O binary): run the real tool.
    Unsupported(String),
    /// What go reports, in its words.
    Failed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Unsupported(m) | Error::Failed(m) => f.write_str(m),
        }
    }
}

/// Reads all of `r` and returns the offsets of the occurrences of `id` and the SHA-256 of the
/// content with every occurrence replaced by zeros, reading `buf_size` bytes at a time
/// (`FindAndHash`). The search runs over the previous read's last bytes (at least `id.len()` of
/// them, rounded up to 128) followed by the new read, so chunking never changes the answer.
pub fn find_and_hash(
    mut r: impl Read,
    id: &[u8],
    buf_size: usize,
) -> Result<(Vec<u64>, [u8; 32]), String> {
    if id.is_empty() {
        return Err("buildid.FindAndHash: no id specified".into());
    }
    if id.len() > buf_size {
        return Err("buildid.FindAndHash: buffer too small".into());
    }
    let zeros = vec![0u8; id.len()];
    let finder = Finder::new(id);
    let tiny = (id.len() + 127) & !127;
    let mut buf = vec![0u8; tiny + buf_size];
    let mut h = Sha256::new();
    let mut matches = Vec::new();
    // buf[tiny] is at file offset `offset`; buf[start..tiny] is the previous read's unhashed tail.
    let mut start = tiny;
    let mut offset: u64 = 0;
    loop {
        let n = read_full(&mut r, &mut buf[tiny..]).map_err(|e| go_io_error(&e))?;
        while let Some(i) = finder.find(&buf[start..tiny + n]) {
            // Added before subtracting: a match in the fringe (start + i < tiny) comes after at
            // least one full read, so the file offset is never negative.
            matches.push(offset + (start + i) as u64 - tiny as u64);
            h.update(&buf[start..start + i]);
            h.update(&zeros);
            start += i + id.len();
        }
        if n < buf_size {
            // A short read: the end of the file.
            h.update(&buf[start..tiny + n]);
            break;
        }
        // Hash all but the fringe, which the next search needs again (a match may already have
        // consumed part of it: then start lies inside the fringe).
        if start < buf_size {
            h.update(&buf[start..buf_size]);
            start = buf_size;
        }
        buf.copy_within(buf_size.., 0);
        start -= buf_size;
        offset += buf_size as u64;
    }
    Ok((matches, h.finalize().into()))
}

/// Fills `buf` unless the reader ends first (`io.ReadFull`): a short count means end of file.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The first 120 bits of `h` as 20 base64url characters: the content part of a build ID
/// (`HashToString`; 20 characters keep an archive's ID at 41 bytes and a binary's at 83).
pub fn hash_to_string(h: &[u8; 32]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::with_capacity(20);
    for c in h[..15].chunks_exact(3) {
        let v = (c[0] as u32) << 16 | (c[1] as u32) << 8 | c[2] as u32;
        for shift in [18, 12, 6, 0] {
            s.push(B64[((v >> shift) & 0x3f) as usize] as char);
        }
    }
    s
}

/// Writes `id` at each of `positions` (`Rewrite`, without Mach-O re-signing).
pub fn rewrite(f: &mut File, positions: &[u64], id: &[u8]) -> io::Result<()> {
    for &p in positions {
        f.seek(SeekFrom::Start(p))?;
        f.write_all(id)?;
    }
    Ok(())
}

/// The build ID `old` with its last part replaced by the content hash, as `updateBuildID`
/// computes it; go's error when the lengths differ (an ID whose last part is not 20 characters).
pub fn new_id(old: &str, hash: &[u8; 32]) -> Result<String, Error> {
    let Some(cut) = old.rfind('/') else {
        return Err(Error::Failed(format!(
            "build ID {old:?} has no '/': a legacy format this tool does not rewrite"
        )));
    };
    let new = format!("{}/{}", &old[..cut], hash_to_string(hash));
    if new.len() != old.len() {
        return Err(Error::Failed(format!(
            "internal error: build ID length mismatch {old:?} vs {new:?}"
        )));
    }
    Ok(new)
}

/// `updateBuildID` on `target`, built with build ID `old`: finds `old`, hashes, writes the new
/// ID in place. Returns the new ID (also when there was no occurrence to rewrite, as go keeps
/// it for the action).
pub fn update_build_id(target: &Path, old: &str) -> Result<String, Error> {
    let open_err =
        |e: io::Error| Error::Failed(format!("open {}: {}", target.display(), go_io_error(&e)));
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(target)
        .map_err(open_err)?;
    if let Some(why) = signed_macho(&mut f).map_err(|e| Error::Failed(go_io_error(&e)))? {
        return Err(Error::Unsupported(format!("{}: {why}", target.display())));
    }
    f.seek(SeekFrom::Start(0))
        .map_err(|e| Error::Failed(go_io_error(&e)))?;
    let (matches, hash) = find_and_hash(&mut f, old.as_bytes(), BUF_SIZE).map_err(Error::Failed)?;
    let new = new_id(old, &hash)?;
    if !matches.is_empty() {
        rewrite(&mut f, &matches, new.as_bytes()).map_err(|e| {
            Error::Failed(format!("write {}: {}", target.display(), go_io_error(&e)))
        })?;
    }
    Ok(new)
}

/// `Some(reason)` when the file is a Mach-O image carrying `LC_CODE_SIGNATURE`: its signature
/// covers the build ID, so go hashes without it and signs again after the rewrite.
fn signed_macho(f: &mut File) -> io::Result<Option<&'static str>> {
    let mut head = [0u8; 32];
    let n = read_full(f, &mut head)?;
    let magic = |m: [u8; 4]| n >= 28 && head[..4] == m;
    let (le, hdr) = if magic([0xce, 0xfa, 0xed, 0xfe]) {
        (true, 28)
    } else if magic([0xcf, 0xfa, 0xed, 0xfe]) {
        (true, 32)
    } else if magic([0xfe, 0xed, 0xfa, 0xce]) {
        (false, 28)
    } else if magic([0xfe, 0xed, 0xfa, 0xcf]) {
        (false, 32)
    } else {
        return Ok(None);
    };
    let u32_at = |b: &[u8], at: usize| {
        let w: [u8; 4] = b[at..at + 4].try_into().expect("4 bytes");
        if le {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        }
    };
    let (ncmds, sizeofcmds) = (u32_at(&head, 16) as usize, u32_at(&head, 20) as usize);
    let mut cmds = vec![0u8; sizeofcmds.min(1 << 24)];
    f.seek(SeekFrom::Start(hdr as u64))?;
    let got = read_full(f, &mut cmds)?;
    let mut at = 0;
    for _ in 0..ncmds {
        if at + 8 > got {
            break;
        }
        const LC_CODE_SIGNATURE: u32 = 0x1d;
        if u32_at(&cmds, at) == LC_CODE_SIGNATURE {
            return Ok(Some(
                "a signed Mach-O binary: its code signature must be redone after the rewrite",
            ));
        }
        let size = u32_at(&cmds, at + 4) as usize;
        if size < 8 {
            break;
        }
        at += size;
    }
    Ok(None)
}

/// An I/O error as Go's syscall errors read: "no such file or directory", not Rust's
/// "No such file or directory (os error 2)".
pub fn go_io_error(e: &io::Error) -> String {
    let s = e.to_string();
    let s = match s.rfind(" (os error ") {
        Some(i) => &s[..i],
        None => &s,
    };
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole-buffer reference: leftmost non-overlapping matches, zeroed, hashed.
    fn reference(data: &[u8], id: &[u8]) -> (Vec<u64>, [u8; 32]) {
        let mut z = data.to_vec();
        let mut m = Vec::new();
        let mut i = 0;
        while let Some(k) = Finder::new(id).find(&data[i..]) {
            m.push((i + k) as u64);
            z[i + k..i + k + id.len()].fill(0);
            i += k + id.len();
        }
        (m, Sha256::digest(&z).into())
    }

    #[test]
    fn chunking_never_changes_the_matches_or_the_hash() {
        let id = b"abcabcabcabcabcabcab/abcabcabcabcabcabca";
        // Occurrences at chunk edges, back to back, overlapping prefixes, and at the very end.
        for buf in [id.len(), id.len() + 1, 64, 128, 129, 1000, BUF_SIZE] {
            for shape in 0..6usize {
                let mut data = Vec::new();
                for k in 0..40 {
                    data.extend(std::iter::repeat_n(b'x', (k * 37 + shape * 11) % 300));
                    if k % 3 != 2 {
                        data.extend_from_slice(id);
                    } else {
                        data.extend_from_slice(&id[..id.len() - 1 - shape % 3]);
                    }
                }
                if shape % 2 == 0 {
                    data.extend_from_slice(id);
                    data.extend_from_slice(id);
                }
                let got = find_and_hash(&data[..], id, buf).unwrap();
                assert_eq!(got, reference(&data, id), "buf {buf} shape {shape}");
            }
        }
    }

    #[test]
    fn empty_and_oversized_ids_are_go_errors() {
        assert_eq!(
            find_and_hash(&b""[..], b"", BUF_SIZE).unwrap_err(),
            "buildid.FindAndHash: no id specified"
        );
        assert_eq!(
            find_and_hash(&b""[..], b"abcdef", 3).unwrap_err(),
            "buildid.FindAndHash: buffer too small"
        );
        // An empty file hashes as go's sha256 of nothing.
        let (m, h) = find_and_hash(&b""[..], b"id", BUF_SIZE).unwrap();
        assert!(m.is_empty());
        assert_eq!(h, <[u8; 32]>::from(Sha256::digest(b"")));
    }

    #[test]
    fn hash_to_string_is_go_base64url_of_15_bytes() {
        let mut h = [0u8; 32];
        assert_eq!(hash_to_string(&h), "AAAAAAAAAAAAAAAAAAAA");
        h[..15].copy_from_slice(&[
            0xff, 0xef, 0xbe, 0, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
        ]);
        h[15] = 0xff; // beyond 120 bits: ignored
        assert_eq!(hash_to_string(&h), "_---ABCDEFGHIJKLMNOP");
    }

    #[test]
    fn new_id_keeps_all_but_the_last_part_and_the_length() {
        let h = [0u8; 32];
        assert_eq!(
            new_id("aaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbb", &h).unwrap(),
            "aaaaaaaaaaaaaaaaaaaa/AAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(
            new_id("a/short", &h).unwrap_err(),
            Error::Failed("internal error: build ID length mismatch \"a/short\" vs \"a/AAAAAAAAAAAAAAAAAAAA\"".into())
        );
        assert!(matches!(new_id("noslash", &h), Err(Error::Failed(_))));
    }

    #[test]
    fn update_rewrites_every_occurrence_in_place_and_only_those() {
        let dir =
            std::env::temp_dir().join(format!("buildlab-buildid-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let old = "AAAAAAAAAAAAAAAAAAAA/AAAAAAAAAAAAAAAAAAAA";
        let mut data = b"!<arch>\n__.PKGDEF head\nbuild id \"".to_vec();
        data.extend_from_slice(old.as_bytes());
        data.extend_from_slice(b"\"\n");
        data.extend(std::iter::repeat_n(7u8, 100_000));
        data.extend_from_slice(old.as_bytes());
        let p = dir.join("x.a");
        std::fs::write(&p, &data).unwrap();
        let new = update_build_id(&p, old).unwrap();
        let (_, h) = reference(&data, old.as_bytes());
        assert_eq!(new, format!("AAAAAAAAAAAAAAAAAAAA/{}", hash_to_string(&h)));
        let after = std::fs::read(&p).unwrap();
        assert_eq!(after.len(), data.len());
        let want = String::from_utf8_lossy(&data).replace(old, &new);
        assert_eq!(String::from_utf8_lossy(&after), want);
        // Nothing to find: the file is left alone and the ID still computed.
        let untouched = std::fs::read(&p).unwrap();
        assert!(update_build_id(&p, old).is_ok());
        assert_eq!(std::fs::read(&p).unwrap(), untouched);
        assert_eq!(
            update_build_id(&dir.join("missing.a"), old).unwrap_err(),
            Error::Failed(format!(
                "open {}: no such file or directory",
                dir.join("missing.a").display()
            ))
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn signed_macho_is_left_to_the_tool() {
        let dir =
            std::env::temp_dir().join(format!("buildlab-buildid-macho-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut m = vec![0xcf, 0xfa, 0xed, 0xfe];
        m.extend_from_slice(&[0; 12]); // cputype, cpusubtype, filetype
        m.extend_from_slice(&2u32.to_le_bytes()); // ncmds
        m.extend_from_slice(&32u32.to_le_bytes()); // sizeofcmds
        m.extend_from_slice(&[0; 8]); // flags, reserved
        m.extend_from_slice(&0x19u32.to_le_bytes()); // LC_SEGMENT_64 (truncated: size 16)
        m.extend_from_slice(&16u32.to_le_bytes());
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(&0x1du32.to_le_bytes()); // LC_CODE_SIGNATURE
        m.extend_from_slice(&16u32.to_le_bytes());
        m.extend_from_slice(&[0; 8]);
        let p = dir.join("a.out");
        std::fs::write(&p, &m).unwrap();
        assert!(matches!(
            update_build_id(&p, "a/b"),
            Err(Error::Unsupported(_))
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
