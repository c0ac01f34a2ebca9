//! Hashing primitives: blake3 (where cmd/go uses SHA-256) and the renderings the go command uses
//! for hashes — full lowercase hex for cache file names.

/// A 32-byte blake3 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    pub fn of(data: &[u8]) -> Self {
        Digest(*blake3::hash(data).as_bytes())
    }

    /// Full lowercase hex, as in GOCACHE file names.
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({})", &self.to_hex()[..16])
    }
}

/// Hashes a list of named files the way the skeleton summary shows it: for each file in path
/// order, `file NAME HASH` (cmd/go's own line shape) into one outer hash.
pub fn files_digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Digest {
    let mut outer = blake3::Hasher::new();
    for (name, data) in files {
        outer.update(format!("file {} {}\n", name, Digest::of(data).to_hex()).as_bytes());
    }
    Digest(*outer.finalize().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_blake3() {
        // blake3("") from the reference implementation's test vectors.
        assert_eq!(Digest::of(b"").to_hex(), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    }

    #[test]
    fn files_digest_depends_on_names_and_contents() {
        let a = files_digest([("a.go", &b"x"[..])]);
        assert_ne!(a, files_digest([("b.go", &b"x"[..])]));
        assert_ne!(a, files_digest([("a.go", &b"y"[..])]));
        assert_eq!(a, files_digest([("a.go", &b"x"[..])]));
    }
}
