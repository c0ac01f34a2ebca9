//! Action IDs: the hash of everything that goes into one action, modelled on cmd/go's
//! `buildActionID` and `linkActionID` (`src/cmd/go/internal/work/exec.go`) and rendered as
//! `buildid.go` renders them. An action ID names a cache entry; the *content ID* (the hash of the
//! action's output, see [`crate::object`]) is what dependents hash, which is what gives the
//! early cutoff.
//!
//! We hash with blake3 where cmd/go uses SHA-256 (the UI says so). Renderings follow go: full
//! lowercase hex in cache file names, and go's `HashToString` (the first 15 bytes in URL-safe
//! base64, 20 characters) for each half of a build ID `actionID/contentID`.
//!
//! Every action keeps the list of lines it hashed ([`HashedInputs`]), in order, exactly as
//! `GODEBUG=gocachehash=1` prints them: the why-rebuilt view diffs two such lists.
//!
//! # What a compile action ID hashes (`HASH[build P]`), in this order
//!
//! | line                                                   | when                                |
//! |--------------------------------------------------------|-------------------------------------|
//! | `go1.23.5` (the salt, no newline)                      | always: `runtime.Version()`         |
//! | `compile`                                              | always                              |
//! | `dir /abs/pkg/dir`                                     | not std, no `-trimpath`             |
//! | `module path@version`                                  | `-trimpath`, package in a module    |
//! | `go 1.23`                                              | package in a module (its `go` line) |
//! | `goos linux goarch amd64`                              | always                              |
//! | `import "P"`                                           | always                              |
//! | `omitdebug false standard B local false prefix ""`     | always                              |
//! | `trimpath`                                             | `-trimpath`                         |
//! | `cgo "cgo version …"`                                  | package has cgo files               |
//! | `CC=["gcc"] CPPFLAGS CFLAGS LDFLAGS` (each `%q`)       | package has cgo files: go's defaults (`-O2 -g` for CFLAGS/LDFLAGS) then the package's `#cgo` flags |
//! | `CC ID="gcc version …"`                                | package has cgo files               |
//! | `modinfo "…"`                                          | main packages: the build info       |
//! | `compile compile version go1.23.5 [] []`               | tool ID, forced and package gcflags |
//! | `asm "asm version go1.23.5" [] []`                     | package has `.s` files              |
//! | `GOAMD64=v1`                                           | the arch env (`=` when none)        |
//! | `GOEXPERIMENT="…"`                                     | when set                            |
//! | `file NAME HASH`                                       | Go, cgo, C, H, S, syso, embed files |
//! | `import DEP CONTENTID`                                 | each dependency action with a package, in `Deps` order (`unsafe` has an empty content ID) |
//!
//! # What a link action ID hashes (`HASH[link P]`)
//!
//! | line                                                   | when                                |
//! |--------------------------------------------------------|-------------------------------------|
//! | `go1.23.5`, `link`                                     | always                              |
//! | `buildmode default goos linux goarch amd64`            | always                              |
//! | `import "P"`, `omitdebug … prefix ""`, `trimpath`      | as for compile                      |
//! | `link link version go1.23.5 [] exe`                    | tool ID, forced ldflags, link mode  |
//! | `linkflags []`                                         | the package's `-ldflags`            |
//! | `GOAMD64=v1`, `GOEXPERIMENT="…"`                       | as for compile                      |
//! | `GOROOT=/usr/lib/go-1.23`                              | always (empty under `-trimpath`)    |
//! | `GO_EXTLINK_ENABLED=`                                  | always                              |
//! | `packagefile P=CONTENTID`                              | every dependency with an output (`unsafe` has none) |
//! | `packagemain ACTIONID/CONTENTID`                       | after the main package's packagefile |
//!
//! go1.24 adds a `defaultgodebug` line to the link; go1.23.5 (the oracle) has none, so neither
//! do we: the main package's `modinfo` (which carries `DefaultGODEBUG`) covers it.
//!
//! # Deliberately not hashed
//!
//! - File modification times: `touch` rebuilds nothing. Only contents are hashed.
//! - Absolute paths other than the package's `dir` line (and `GOROOT` for the link): no `$WORK`
//!   path, no cache path, no cwd. Std packages hash no directory at all (cmd/go hides GOROOT).
//! - Map or directory-listing order: every list is hashed in go's order (file lists as the loader
//!   orders them, dependencies in the action's `Deps` order), never in a hash map's order.
//! - Files outside the package's file lists: `_test.go`, ignored and other-OS files.
//! - The `-lang` flag itself: it is a function of the `go` line, which is hashed.
//! - cgo: the C compiler's identity (`CC ID=`) is gcc's version line only when the caller asked
//!   gcc (`Toolchain::cc_id`: the helper's real builds, `build --real` and the page's, which takes
//!   it from `/api/v1/info`), else a stand-in ([`crate::cgo::cc_id`]). `CGO_CPPFLAGS`-style
//!   environment variables are not modelled: go's defaults stand in for them on the `CC=` line.
//!
//! # Standard-library stand-ins
//!
//! The browser has no std sources, only names and sizes ([`crate::stdlib`]). A std file's hash is
//! a stand-in: blake3 of `"buildlab std stand-in\0" + goversion + "\0" + importpath + "\0" + name +
//! "\0" + size` (decimal). It is stable across builds and changes with the Go version, which is
//! all a std file's hash can do here (std sources never change under one toolchain).

use crate::goflags::SETTINGS;
use crate::hash::Digest;
use crate::plan::{go_quote, go_quote_is_plain, Action, ActionIx, PkgNode, Plan, Toolchain};
use crate::stdlib::StdLib;
use crate::workspace::Workspace;

/// The hash function's name, for the UI ("blake3 instead of cmd/go's SHA-256").
pub const HASH_NAME: &str = "blake3";

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// go's `buildid.HashToString`: the first 15 bytes of a hash as 20 URL-safe base64 characters.
pub fn short(d: &Digest) -> String {
    Short(d).to_string()
}

/// [`short`] as a `Display`, to write into a line without an intermediate string.
struct Short<'a>(&'a Digest);

impl Short<'_> {
    /// The 20 characters.
    fn chars(&self) -> [u8; 20] {
        let h = &self.0 .0;
        let mut out = [0u8; 20];
        for i in 0..5 {
            let v =
                u32::from(h[3 * i]) << 16 | u32::from(h[3 * i + 1]) << 8 | u32::from(h[3 * i + 2]);
            for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                out[4 * i + k] = B64[((v >> shift) & 0x3f) as usize];
            }
        }
        out
    }
}

impl std::fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::str::from_utf8(&self.chars()).expect("base64 is ASCII"))
    }
}

/// A package build ID: `actionID/contentID`, each rendered with [`short`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BuildId {
    pub action: Digest,
    pub content: Digest,
}

impl BuildId {
    pub fn render(&self) -> String {
        format!("{}/{}", short(&self.action), short(&self.content))
    }
    /// cmd/go's `contentID(buildID)`: the part after the last slash.
    pub fn content_str(&self) -> String {
        short(&self.content)
    }
}

/// An executable's build ID: `linkActionID/mainActionID/mainContentID/contentID`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkBuildId {
    pub action: Digest,
    pub main: BuildId,
    pub content: Digest,
}

impl LinkBuildId {
    pub fn render(&self) -> String {
        format!(
            "{}/{}/{}",
            short(&self.action),
            self.main.render(),
            short(&self.content)
        )
    }
}

/// The lines one action hashed, in order (each as written into the hash, with its newline), and
/// the resulting action ID.
///
/// The lines are kept back to back in one buffer, with where each ends, rather than as a
/// `String` each: an action hashes about twenty lines, a 10,000-package build 10,000 actions,
/// and the buffer is also exactly the bytes the ID hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashedInputs {
    /// `build P` or `link P`: the name in `HASH[...]`.
    pub key: String,
    /// Every line, each with its newline, back to back.
    text: String,
    /// The end of each line in `text` (`u32`: half the bytes of `usize` in a record kept for
    /// every action of the last build).
    ends: Vec<u32>,
    pub id: Digest,
}

/// A position in a [`HashedInputs`]' text.
fn text_end(n: usize) -> u32 {
    u32::try_from(n).expect("hashed inputs under 4 GiB")
}

impl HashedInputs {
    fn start(key: String, salt: &str) -> Builder {
        let mut text = Vec::with_capacity(1024);
        text.extend_from_slice(salt.as_bytes());
        let mut ends = Vec::with_capacity(32);
        ends.push(text_end(text.len()));
        Builder { key, text, ends }
    }

    /// Inputs recorded elsewhere (a build record): `lines` each with its newline, and the ID
    /// they hashed to.
    pub fn from_lines<S: AsRef<str>>(
        key: String,
        lines: impl IntoIterator<Item = S>,
        id: Digest,
    ) -> HashedInputs {
        let mut text = String::new();
        let mut ends = Vec::new();
        for l in lines {
            text.push_str(l.as_ref());
            ends.push(text_end(text.len()));
        }
        HashedInputs {
            key,
            text,
            ends,
            id,
        }
    }

    /// No lines, and the ID of nothing: a stand-in for an action whose inputs are not hashed
    /// (yet).
    pub fn empty(key: String) -> HashedInputs {
        HashedInputs::from_lines(key, [""; 0], Digest::of(b""))
    }

    /// The lines, each with its newline, in the order they were hashed.
    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator + Clone + '_ {
        (0..self.ends.len()).map(move |i| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            &self.text[start..self.ends[i] as usize]
        })
    }

    /// Whether `other` hashed the same lines (its key and ID aside).
    pub fn same_lines(&self, other: &HashedInputs) -> bool {
        self.ends == other.ends && self.text == other.text
    }

    /// The `GODEBUG=gocachehash=1` rendering: a `HASH[key]` header, one `HASH[key]: "line"` per
    /// line, then the hex sum.
    pub fn render_gocachehash(&self) -> String {
        let mut s = format!("HASH[{}]\n", self.key);
        for l in self.lines() {
            s.push_str(&format!("HASH[{}]: {}\n", self.key, go_quote(l.as_bytes())));
        }
        s.push_str(&format!("HASH[{}]: {}\n", self.key, self.id.to_hex()));
        s
    }

    /// The lines without their trailing newline (for display and diffs).
    pub fn display_lines(&self) -> impl Iterator<Item = &str> {
        self.lines().map(|l| l.strip_suffix('\n').unwrap_or(l))
    }
}

/// [`HashedInputs`] being written: lines are appended straight into one byte buffer, which is
/// checked to be UTF-8 once, when it is finished, rather than piece by piece (a compile ID
/// writes a 20-character short ID into most of its lines).
struct Builder {
    key: String,
    text: Vec<u8>,
    ends: Vec<u32>,
}

impl Builder {
    /// Ends the line being written.
    fn end_line(&mut self) {
        self.ends.push(text_end(self.text.len()));
    }

    /// A whole line, its newline included.
    fn line(&mut self, l: &str) {
        self.text.extend_from_slice(l.as_bytes());
        self.end_line();
    }

    /// A line made of `parts` (the newline included in the last), built without `format!`.
    fn line_of(&mut self, parts: &[&str]) {
        for p in parts {
            self.text.extend_from_slice(p.as_bytes());
        }
        self.end_line();
    }

    /// Lines rendered beforehand, copied in one piece.
    fn lines(&mut self, lines: FileLines<'_>) {
        let base = text_end(self.text.len());
        self.text.extend_from_slice(lines.text);
        // Every end fits: the text, which holds them all, does.
        text_end(self.text.len());
        self.ends.extend(lines.ends.iter().map(|&e| base + e));
    }

    /// `PREFIX NAME ID\n` (`file`, `import` lines), the ID rendered with [`short`], or
    /// `PREFIX NAME \n` without one.
    fn line_with_id(&mut self, prefix: &str, name: &str, sep: u8, id: Option<&Digest>) {
        let l = &mut self.text;
        l.extend_from_slice(prefix.as_bytes());
        l.extend_from_slice(name.as_bytes());
        l.push(sep);
        if let Some(d) = id {
            l.extend_from_slice(&Short(d).chars());
        }
        l.push(b'\n');
        self.end_line();
    }

    /// `import "P"\n`: the path quoted as go's `%q` does, written in place when it needs no
    /// escape (every import path of a module: no string per action).
    fn import_line(&mut self, path: &str) {
        if go_quote_is_plain(path.as_bytes()) {
            self.line_of(&["import \"", path, "\"\n"]);
        } else {
            self.line_of(&["import ", &go_quote(path.as_bytes()), "\n"]);
        }
    }

    /// The inputs and their ID: the buffer hashed in one go, which gives the same digest as
    /// hashing line by line (blake3 is a stream) at a fraction of the per-call cost.
    fn finish(self) -> HashedInputs {
        let id = Digest::of(&self.text);
        let text = String::from_utf8(self.text).expect("every piece written is a str");
        HashedInputs {
            key: self.key,
            text,
            ends: self.ends,
            id,
        }
    }
}

/// cmd/go's `cache.Subkey(parent, desc)`: the action ID of a secondary output (`stdout`,
/// `srcfiles`, `link-stdout`) stored beside an action's main output.
pub fn subkey(parent: &Digest, desc: &str) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(b"subkey");
    h.update(&parent.0);
    h.update(desc.as_bytes());
    Digest(*h.finalize().as_bytes())
}

/// The settings that reach action IDs and are not the plan's (`-trimpath` and the per-package
/// flags are: [`PlanInput::settings`](crate::plan::PlanInput), [`crate::plan::PkgMore`]).
/// `Default` is a plain `go build`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdConfig {
    /// `go run` omits debug info (`-s -w`).
    pub omit_debug: bool,
    /// `GOEXPERIMENT`, cleaned; empty when unset.
    pub goexperiment: String,
    /// `GO_EXTLINK_ENABLED`; empty when unset.
    pub go_extlink_enabled: String,
    /// `-buildmode` as given (`default`).
    pub buildmode: String,
}

impl Default for IdConfig {
    fn default() -> Self {
        IdConfig {
            omit_debug: false,
            goexperiment: String::new(),
            go_extlink_enabled: String::new(),
            buildmode: "default".into(),
        }
    }
}

/// go's `%q` of a `[]string`: `["-N" "-l"]`, `[]` when empty.
/// The `CC=` line of a package using cgo, as go's `buildActionID` writes it (`CC=%q %q %q %q`):
/// the C compiler, then CPPFLAGS, CFLAGS and LDFLAGS as `Builder.CFlags` makes them — go's
/// defaults (none for CPPFLAGS, `-O2 -g` for the others) followed by the package's `#cgo` flags —
/// so editing a `#cgo` line changes the package's action ID even when no file hash would.
fn cc_line(tc: &Toolchain, flags: &crate::cgo::CgoFlags) -> String {
    let with_defaults = |own: &[String]| -> Vec<String> {
        crate::cgo::DEFAULT_FLAGS
            .iter()
            .map(|f| f.to_string())
            .chain(own.iter().cloned())
            .collect()
    };
    format!(
        "CC={} {} {} {}\n",
        quote_list(std::slice::from_ref(&tc.cc)),
        quote_list(&flags.cppflags),
        quote_list(&with_defaults(&flags.cflags)),
        quote_list(&with_defaults(&flags.ldflags))
    )
}

fn quote_list(v: &[String]) -> String {
    if v.is_empty() {
        return "[]".into();
    }
    let parts: Vec<String> = v.iter().map(|s| go_quote(s.as_bytes())).collect();
    format!("[{}]", parts.join(" "))
}

/// Where a package's source bytes come from.
pub trait SourceFiles {
    /// The bytes of file `name` of package `pkg` (a name in one of its file lists).
    fn read(&self, pkg: &PkgNode, name: &str) -> Option<&[u8]>;

    /// The `file NAME ID` lines of package `pkg`, package `index` of the plan's
    /// [`PlanInput::packages`](crate::plan::PlanInput), as [`compile_id`] writes them, when they
    /// were rendered beforehand ([`DigestedFiles`]); `None` makes the caller write them.
    fn file_lines(&self, index: usize, pkg: &PkgNode) -> Option<FileLines<'_>> {
        let _ = (index, pkg);
        None
    }
}

/// A package's `file` lines rendered beforehand ([`SourceFiles::file_lines`]).
pub struct FileLines<'a> {
    /// The lines back to back, each with its newline.
    pub text: &'a [u8],
    /// Where each line ends in `text`.
    pub ends: &'a [u32],
}

/// [`SourceFiles`] whose module files were all looked up, then all hashed, before the first
/// action ID asks for one, and whose `file NAME ID` lines are rendered then: the lines every
/// compile action of a module package of a plan hashes for its files, by package. Each lookup
/// is a few cache misses (the path's hash slot, its key, the package's names) that overlap when
/// lookups follow one another, but not when a hash of a few kilobytes runs between two of them
/// (docs/benchmarks.md, issue 3); each file is hashed once either way, as every compile action
/// hashes its own package's files. The names are copied into the lines while the lookup has
/// them in cache, so a compile ID copies its package's lines in one piece instead of reading
/// each name where the loader left it ([`SourceFiles::file_lines`]).
pub struct DigestedFiles<'a> {
    files: &'a dyn SourceFiles,
    packages: &'a [PkgNode],
    /// Every module package's `file` lines, back to back, package after package.
    text: Vec<u8>,
    /// Where each package's lines start in `text` (one more entry than packages).
    starts: Vec<u32>,
    /// Where each package's files start in `ends` (one more entry than packages).
    first_file: Vec<u32>,
    /// The end of each file's line, from the start of its package's lines.
    ends: Vec<u32>,
}

impl<'a> DigestedFiles<'a> {
    /// Looks up every input file of every module package of `plan` (std packages have
    /// stand-ins, not read) and writes its line with room for the ID, then hashes the files
    /// and writes their IDs into the lines.
    pub fn new(plan: &'a Plan, files: &'a dyn SourceFiles) -> Self {
        let packages = &plan.input().packages[..];
        let offset = |n: usize| u32::try_from(n).expect("file lines under 4 GiB");
        let mut starts = Vec::with_capacity(packages.len() + 1);
        let mut first_file = Vec::with_capacity(packages.len() + 1);
        // About two files a package, ~40 bytes a line.
        let mut text = Vec::with_capacity(packages.len() * 80);
        let mut ends = Vec::with_capacity(packages.len() * 2);
        // Each file's bytes and where its ID goes in `text`.
        let mut found: Vec<(&[u8], u32)> = Vec::with_capacity(packages.len() * 2);
        for (i, p) in packages.iter().enumerate() {
            let start = text.len();
            starts.push(offset(start));
            first_file.push(offset(ends.len()));
            if plan.facts(i).standard() {
                continue;
            }
            for f in input_file_lists(p).flatten() {
                text.extend_from_slice(b"file ");
                text.extend_from_slice(f.as_bytes());
                text.push(b' ');
                if let Some(b) = files.read(p, f) {
                    found.push((b, offset(text.len())));
                    text.extend_from_slice(&[b'?'; 20]);
                }
                text.push(b'\n');
                ends.push(offset(text.len() - start));
            }
        }
        starts.push(offset(text.len()));
        first_file.push(offset(ends.len()));
        // Hashed in the order the bytes lie in the heap (mostly the order the workspace was
        // filled in): the next file is then often in the lines the hardware already fetched.
        // Where each ID goes does not depend on the order.
        for i in address_order(&found) {
            let (b, at) = found[i as usize];
            let at = at as usize;
            text[at..at + 20].copy_from_slice(&Short(&Digest::of(b)).chars());
        }
        DigestedFiles {
            files,
            packages,
            text,
            starts,
            first_file,
            ends,
        }
    }
}

/// The positions of `found` in the order of its bytes' addresses, to within a bucket about as
/// wide as the average distance between two of them (a counting sort: no comparisons, no sort
/// code of its own). The order only helps the hardware prefetcher; any order gives the same
/// digests.
fn address_order(found: &[(&[u8], u32)]) -> Vec<u32> {
    let addr = |f: &(&[u8], u32)| f.0.as_ptr() as usize;
    let lo = found.iter().map(addr).min().unwrap_or(0);
    let span = found.iter().map(addr).max().unwrap_or(0) - lo;
    // At most twice as many buckets as files: `span >> shift` has no more bits than their count.
    let bits = |n: usize| usize::BITS - n.leading_zeros();
    let shift = bits(span).saturating_sub(bits(found.len()));
    let bucket = |f: &(&[u8], u32)| (addr(f) - lo) >> shift;
    let mut next = vec![0u32; (span >> shift) + 2];
    for f in found {
        next[bucket(f) + 1] += 1;
    }
    for b in 1..next.len() {
        next[b] += next[b - 1];
    }
    let mut order = vec![0u32; found.len()];
    for (i, f) in found.iter().enumerate() {
        let slot = &mut next[bucket(f)];
        order[*slot as usize] = i as u32;
        *slot += 1;
    }
    order
}

impl SourceFiles for DigestedFiles<'_> {
    fn read(&self, pkg: &PkgNode, name: &str) -> Option<&[u8]> {
        self.files.read(pkg, name)
    }

    /// The lines rendered beforehand when `pkg` is package `index` of the plan they were made
    /// for (the same node, not an equal one), else none (the caller reads and hashes).
    fn file_lines(&self, index: usize, pkg: &PkgNode) -> Option<FileLines<'_>> {
        let ours = self
            .packages
            .get(index)
            .is_some_and(|p| std::ptr::eq(p, pkg));
        if !ours {
            return None;
        }
        let text = &self.text[self.starts[index] as usize..self.starts[index + 1] as usize];
        let ends = &self.ends[self.first_file[index] as usize..self.first_file[index + 1] as usize];
        Some(FileLines { text, ends })
    }
}

/// [`SourceFiles`] over a [`Workspace`] whose paths are relative to `root` (package directories
/// are `root/rel/dir`, or `root` itself for the module root).
pub struct WorkspaceFiles<'a> {
    pub ws: &'a Workspace,
    pub root: String,
}

impl WorkspaceFiles<'_> {
    /// The workspace path of a package file, if the package lies under the root.
    pub fn path(&self, pkg: &PkgNode, name: &str) -> Option<String> {
        let rel = self.rel_dir(pkg)?;
        Some(if rel.is_empty() {
            name.to_string()
        } else {
            [rel, "/", name].concat()
        })
    }

    /// The package's directory relative to the root (`""` for the root itself).
    fn rel_dir<'p>(&self, pkg: &'p PkgNode) -> Option<&'p str> {
        let root = self.root.trim_end_matches('/');
        if pkg.dir == root {
            return Some("");
        }
        pkg.dir.strip_prefix(root)?.strip_prefix('/')
    }
}

impl SourceFiles for WorkspaceFiles<'_> {
    /// Reads `dir/name`, joining a short path on the stack: this runs for every file every
    /// compile action hashes, and a `String` each shows in the allocator's time.
    fn read(&self, pkg: &PkgNode, name: &str) -> Option<&[u8]> {
        let rel = self.rel_dir(pkg)?;
        if rel.is_empty() {
            return self.ws.get(name);
        }
        let mut buf = [0u8; 256];
        let n = rel.len() + 1 + name.len();
        if n > buf.len() {
            return self.ws.get(&[rel, "/", name].concat());
        }
        buf[..rel.len()].copy_from_slice(rel.as_bytes());
        buf[rel.len()] = b'/';
        buf[rel.len() + 1..n].copy_from_slice(name.as_bytes());
        self.ws.get(std::str::from_utf8(&buf[..n]).ok()?)
    }
}

/// The stand-in hash of a std file (see the module doc).
pub fn std_file_digest(
    go_version: &str,
    import_path: &str,
    name: &str,
    size: Option<u64>,
) -> Digest {
    let size = size.map_or_else(|| "?".to_string(), |s| s.to_string());
    Digest::of(
        format!("buildlab std stand-in\0{go_version}\0{import_path}\0{name}\0{size}").as_bytes(),
    )
}

fn std_file_size(tc: &Toolchain, import_path: &str, name: &str) -> Option<u64> {
    let std = StdLib::for_target(&tc.goos, &tc.goarch, tc.cgo_enabled)?;
    let p = std.get(import_path)?;
    [
        &p.go_files,
        &p.cgo_files,
        &p.s_files,
        &p.c_files,
        &p.h_files,
        &p.syso_files,
        &p.embed_files,
    ]
    .into_iter()
    .flat_map(|l| l.iter())
    .find(|f| f.name == name)
    .map(|f| f.size)
}

/// The digest cmd/go's `fileHash` would take of a package file: the real bytes for module
/// files, the stand-in for std files. `None` when a module file is missing (go hashes it as "").
pub fn file_digest(
    tc: &Toolchain,
    pkg: &PkgNode,
    name: &str,
    files: &dyn SourceFiles,
) -> Option<Digest> {
    if pkg.standard {
        return Some(std_file_digest(
            &tc.version,
            &pkg.import_path,
            name,
            std_file_size(tc, &pkg.import_path, name),
        ));
    }
    files.read(pkg, name).map(Digest::of)
}

/// The input files cmd/go hashes, in its order (`GoFiles, CgoFiles, CFiles, …, HFiles, SFiles,
/// SysoFiles, …, EmbedFiles`).
pub fn input_files(pkg: &PkgNode) -> Vec<&str> {
    input_file_lists(pkg)
        .flat_map(|l| l.iter().map(String::as_str))
        .collect()
}

/// The lists [`input_files`] concatenates, in its order: walked in place by [`compile_id`]
/// (no vector per action).
fn input_file_lists(pkg: &PkgNode) -> impl Iterator<Item = &[String]> {
    [
        pkg.go_files.as_slice(),
        pkg.cgo_files(),
        pkg.c_files(),
        pkg.h_files(),
        pkg.s_files(),
        pkg.syso_files(),
        pkg.embed_files(),
    ]
    .into_iter()
}

/// The build info of a main package, as the plan put it in the link's `importcfg.link` (the
/// `modinfo` payload without go's 16-byte start and end markers).
pub fn build_info(plan: &Plan, main_pkg: usize) -> Option<String> {
    plan.is_linked(main_pkg).then(|| plan.build_info(main_pkg))
}

/// `omitdebug B standard B local false prefix ""`: one of four whole lines.
fn omitdebug_line(h: &mut Builder, cfg: &IdConfig, standard: bool) {
    h.line(match (cfg.omit_debug, standard) {
        (false, false) => "omitdebug false standard false local false prefix \"\"\n",
        (false, true) => "omitdebug false standard true local false prefix \"\"\n",
        (true, false) => "omitdebug true standard false local false prefix \"\"\n",
        (true, true) => "omitdebug true standard true local false prefix \"\"\n",
    });
}

/// `GOAMD64=v1` and the like, or `=` without an arch variable.
fn arch_env_line(h: &mut Builder, tc: &Toolchain) {
    match &tc.arch_env {
        Some((k, v)) => h.line_of(&[k, "=", v, "\n"]),
        None => h.line("=\n"),
    }
}

fn tool_id(tc: &Toolchain, tool: &str) -> String {
    format!("{tool} version {}", tc.version)
}

/// The compile action ID of `a` (a `build` action). `dep_id` gives each dependency's build ID
/// (`None` for `unsafe` and for actions without output).
pub fn compile_id(
    plan: &Plan,
    a: ActionIx,
    files: &dyn SourceFiles,
    dep_id: &dyn Fn(ActionIx) -> Option<BuildId>,
    cfg: &IdConfig,
) -> HashedInputs {
    let tc = plan.toolchain();
    let x: &Action = plan.action(a);
    let pi = x.package.expect("build action has a package");
    // What is tested of the package, its path and its directory come from the plan's dense
    // tables; its `PkgNode` (several cache lines, each a miss here) is read only for what few
    // packages have (cgo flags) and for its files, when they were not digested beforehand.
    let p = &plan.input().packages[pi];
    let facts = plan.facts(pi);
    let import_path = plan.import_path(pi);
    let module = facts.module().map(|m| &plan.input().modules[m]);
    let mut key = String::with_capacity("build ".len() + import_path.len());
    key.push_str("build ");
    key.push_str(import_path);
    let mut h = HashedInputs::start(key, &tc.version);
    let trimpath = SETTINGS && plan.input().settings.trimpath;
    h.line("compile\n");
    if trimpath {
        if let Some(m) = module {
            h.line_of(&["module ", &m.path, "@", &m.version, "\n"]);
        }
    } else if !facts.standard() {
        h.line_of(&["dir ", plan.dir(pi), "\n"]);
    }
    if let Some(m) = module {
        // cmd/go's p.Module.GoVersion: the main module defaults to 1.16 without a `go` line.
        let v = if m.go_version.is_empty() && m.main {
            "1.16"
        } else {
            m.go_version.as_str()
        };
        h.line_of(&["go ", v, "\n"]);
    }
    h.line_of(&["goos ", &tc.goos, " goarch ", &tc.goarch, "\n"]);
    h.import_line(import_path);
    omitdebug_line(&mut h, cfg, facts.standard());
    if trimpath {
        h.line("trimpath\n");
    }
    if facts.cgo() {
        h.line(&format!(
            "cgo {}\n",
            go_quote(tool_id(tc, "cgo").as_bytes())
        ));
        h.line(&cc_line(tc, p.cgo_flags()));
        h.line(&format!(
            "CC ID={}\n",
            go_quote(crate::cgo::cc_id(tc).as_bytes())
        ));
    }
    if facts.main() {
        if let Some(info) = build_info(plan, pi) {
            h.line(&format!("modinfo {}\n", go_quote(info.as_bytes())));
        }
    }
    // `[]` without a string in a plain build (no -gcflags).
    // (The node is read only when some package has flags: see above.)
    let own: &[String] = match SETTINGS && plan.input().settings.has_package_flags() {
        true => &p.flags().gcflags,
        false => &[],
    };
    let gcflags = if own.is_empty() {
        std::borrow::Cow::Borrowed("[]")
    } else {
        std::borrow::Cow::Owned(quote_list(own))
    };
    h.line_of(&[
        "compile compile version ",
        &tc.version,
        " [] ",
        &gcflags,
        "\n",
    ]);
    if facts.asm() {
        h.line(&format!(
            "asm {} [] {}\n",
            go_quote(tool_id(tc, "asm").as_bytes()),
            quote_list(if SETTINGS { &p.flags().asmflags } else { &[] })
        ));
    }
    arch_env_line(&mut h, tc);
    if !cfg.goexperiment.is_empty() {
        h.line(&format!(
            "GOEXPERIMENT={}\n",
            go_quote(cfg.goexperiment.as_bytes())
        ));
    }
    // A std package's files are stand-ins, never rendered beforehand.
    let rendered = if facts.standard() {
        None
    } else {
        files.file_lines(pi, p)
    };
    match rendered {
        Some(lines) => h.lines(lines),
        None => {
            for f in input_file_lists(p).flatten() {
                h.line_with_id("file ", f, b' ', file_digest(tc, p, f, files).as_ref());
            }
        }
    }
    for &d in &x.deps {
        if let Some(q) = plan.package_index(d) {
            let path = plan.import_path(q);
            let b = dep_id(d);
            h.line_with_id("import ", path, b' ', b.as_ref().map(|b| &b.content));
        }
    }
    h.finish()
}

/// The link action ID of `a` (a `link` action), given the build IDs of its dependencies.
pub fn link_id(
    plan: &Plan,
    a: ActionIx,
    dep_id: &dyn Fn(ActionIx) -> Option<BuildId>,
    cfg: &IdConfig,
) -> HashedInputs {
    let tc = plan.toolchain();
    let x = plan.action(a);
    let p = &plan.input().packages[x.package.expect("link action has a package")];
    let mut h = HashedInputs::start(format!("link {}", p.import_path), &tc.version);
    h.line("link\n");
    h.line(&format!(
        "buildmode {} goos {} goarch {}\n",
        cfg.buildmode, tc.goos, tc.goarch
    ));
    h.import_line(&p.import_path);
    let trimpath = SETTINGS && plan.input().settings.trimpath;
    omitdebug_line(&mut h, cfg, p.standard);
    if trimpath {
        h.line("trimpath\n");
    }
    h.line(&format!("link {} [] exe\n", tool_id(tc, "link")));
    let ldflags: &[String] = if SETTINGS { &p.flags().ldflags } else { &[] };
    h.line(&format!("linkflags {}\n", quote_list(ldflags)));
    arch_env_line(&mut h, tc);
    if !cfg.goexperiment.is_empty() {
        h.line(&format!(
            "GOEXPERIMENT={}\n",
            go_quote(cfg.goexperiment.as_bytes())
        ));
    }
    h.line(&format!(
        "GOROOT={}\n",
        if trimpath { "" } else { &tc.goroot }
    ));
    h.line(&format!("GO_EXTLINK_ENABLED={}\n", cfg.go_extlink_enabled));
    for &d in &x.deps {
        let Some(q) = plan.package_index(d) else {
            continue;
        };
        let id = dep_id(d);
        if let Some(b) = id {
            h.line_with_id("packagefile ", plan.import_path(q), b'=', Some(&b.content));
        }
        if plan.is_main(q) {
            h.line(&format!(
                "packagemain {}\n",
                id.map(|b| b.render()).unwrap_or_default()
            ));
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_is_go_hash_to_string() {
        // From the oracle: sha256 ce325bcf… of multi/asmadd/add.go renders as zjJbz6G-JL0hihJ68RCx.
        let mut d = [0u8; 32];
        let hex = "ce325bcfa1be24bd218a127af110b17f1f21c2db4f697ac4a88738945f591a24";
        for i in 0..32 {
            d[i] = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        assert_eq!(short(&Digest(d)), "zjJbz6G-JL0hihJ68RCx");
        let hex = "3f528c1b168c4033a63da52fcbf712847bbf4b0cf50f28271940e57086c2df7c";
        for i in 0..32 {
            d[i] = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        assert_eq!(short(&Digest(d)), "P1KMGxaMQDOmPaUvy_cS");
    }

    #[test]
    fn workspace_files_are_read_by_their_workspace_path() {
        let long = "d".repeat(300);
        let mut ws = Workspace::new();
        for p in ["main.go", "a/b/x.go", &format!("{long}/y.go")] {
            ws.insert(p, p.as_bytes()).unwrap();
        }
        let files = WorkspaceFiles {
            ws: &ws,
            root: "/w/".into(),
        };
        let pkg = |dir: &str| PkgNode {
            dir: dir.into(),
            ..PkgNode::default()
        };
        let read = |dir: &str, name: &str| files.read(&pkg(dir), name);
        assert_eq!(read("/w", "main.go"), Some(&b"main.go"[..]));
        assert_eq!(read("/w/a/b", "x.go"), Some(&b"a/b/x.go"[..]));
        // Longer than the stack buffer: joined on the heap.
        let y = format!("{long}/y.go");
        assert_eq!(read(&format!("/w/{long}"), "y.go"), Some(y.as_bytes()));
        assert_eq!(read("/w/a", "x.go"), None);
        assert_eq!(read("/elsewhere/a/b", "x.go"), None);
        assert_eq!(
            files.path(&pkg("/w/a/b"), "x.go").as_deref(),
            Some("a/b/x.go")
        );
    }

    #[test]
    fn address_order_is_a_permutation_by_address_buckets() {
        let heap = vec![0u8; 1 << 16];
        // Slices in no particular order, two at the same address, a wide gap.
        let at = [40_000usize, 12, 7_000, 12, 65_000, 300, 39_999, 0];
        let found: Vec<(&[u8], u32)> = at
            .iter()
            .enumerate()
            .map(|(i, &a)| (&heap[a..a + 1], i as u32))
            .collect();
        let order = address_order(&found);
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..at.len() as u32).collect::<Vec<_>>());
        // Buckets of 2^12 bytes here (a 65,000-byte span of 16 bits, 8 slices of 4): ordered
        // bucket by bucket, in the slices' own order within one.
        let bucket: Vec<usize> = order.iter().map(|&i| at[i as usize] >> 12).collect();
        assert!(bucket.windows(2).all(|w| w[0] <= w[1]), "{bucket:?}");
        assert_eq!(order.iter().position(|&i| i == 1), Some(0));
        assert!(address_order(&[]).is_empty());
    }

    #[test]
    fn quote_list_is_go_percent_q() {
        assert_eq!(quote_list(&[]), "[]");
        assert_eq!(quote_list(&["-N".into(), "-l".into()]), r#"["-N" "-l"]"#);
    }

    #[test]
    fn std_stand_in_is_stable_and_versioned() {
        let a = std_file_digest("go1.23.5", "fmt", "print.go", Some(31_000));
        assert_eq!(
            a,
            std_file_digest("go1.23.5", "fmt", "print.go", Some(31_000))
        );
        assert_ne!(
            a,
            std_file_digest("go1.23.6", "fmt", "print.go", Some(31_000))
        );
        assert_ne!(
            a,
            std_file_digest("go1.23.5", "fmt", "print.go", Some(31_001))
        );
    }
}

/// The `CC=` line of a package using cgo, checked against what go 1.23.5 hashes for the
/// `tests/fixtures/cgo` module (`GODEBUG=gocachehash=1 go build -a`, gcc 12, CGO_ENABLED=1).
#[cfg(test)]
mod cgo_tests {
    use super::*;
    use crate::load::{load, LoadRequest};
    use crate::plan::Mode;
    use crate::why::{diff, InputKind};

    const CALC_GO: &str = include_str!("../../tests/fixtures/cgo/src/calc/calc.go");

    /// The fixture's module with `calc.go` as given, planned with cgo on.
    fn planned(calc_go: &str, cc_id: &str) -> (Workspace, Plan) {
        let mut ws = Workspace::new();
        for (path, text) in [
            (
                "go.mod",
                include_str!("../../tests/fixtures/cgo/src/go.mod"),
            ),
            (
                "main.go",
                include_str!("../../tests/fixtures/cgo/src/main.go"),
            ),
            (
                "calc/calc.c",
                include_str!("../../tests/fixtures/cgo/src/calc/calc.c"),
            ),
            (
                "calc/calc.h",
                include_str!("../../tests/fixtures/cgo/src/calc/calc.h"),
            ),
            ("calc/calc.go", calc_go),
        ] {
            ws.insert(path, text.as_bytes()).unwrap();
        }
        let p = plan_of(&ws, cc_id);
        (ws, p)
    }

    /// The cgo plan of `ws` (loaded with cgo on, for linux/amd64).
    fn plan_of(ws: &Workspace, cc_id: &str) -> Plan {
        let mut ctx = crate::constraint::BuildContext::new("linux", "amd64");
        ctx.cgo_enabled = true;
        let req = LoadRequest {
            ctx,
            ..LoadRequest::default()
        };
        let loaded = load(ws, &req).unwrap_or_else(|e| panic!("{e}"));
        let tc = Toolchain {
            cgo_enabled: true,
            cc_id: cc_id.into(),
            arch_env: Some(("GOAMD64".into(), "v1".into())),
            ..Toolchain::default()
        };
        crate::plan::plan(loaded.input, &tc).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// The hashed lines of `pkg`'s compile (dependencies' IDs left out: not what is checked).
    fn inputs(ws: &Workspace, plan: &Plan, pkg: &str) -> HashedInputs {
        let files = WorkspaceFiles {
            ws,
            root: "/home/gopher/work/".into(),
        };
        let a = plan.build_action(pkg).unwrap_or_else(|| panic!("{pkg}"));
        compile_id(plan, a, &files, &|_| None, &IdConfig::default())
    }

    /// Every build action's inputs and ID, reading files through `files`.
    fn compile_ids(plan: &Plan, files: &dyn SourceFiles) -> Vec<HashedInputs> {
        plan.actions()
            .filter(|(_, x)| x.mode == Mode::Build)
            .map(|(a, _)| compile_id(plan, a, files, &|_| None, &IdConfig::default()))
            .collect()
    }

    #[test]
    fn digests_taken_beforehand_give_the_same_ids() {
        let (ws, plan) = planned(
            include_str!("../../tests/fixtures/cgo/src/calc/calc.go"),
            "",
        );
        let files = WorkspaceFiles {
            ws: &ws,
            root: "/home/gopher/work/".into(),
        };
        let digested = DigestedFiles::new(&plan, &files);
        let want = compile_ids(&plan, &files);
        assert!(want
            .iter()
            .any(|h| h.lines().any(|l| l.starts_with("file calc.c "))));
        assert_eq!(compile_ids(&plan, &digested), want);
        // Another plan's nodes, whose lists differ (a file added first in `calc`): read and
        // hashed now, not given this plan's digests by position.
        let mut ws2 = ws.clone();
        ws2.insert("calc/aaa.go", "package calc\n").unwrap();
        let plan2 = plan_of(&ws2, "");
        let files2 = WorkspaceFiles {
            ws: &ws2,
            root: "/home/gopher/work/".into(),
        };
        let stale = DigestedFiles::new(&plan, &files2);
        let want2 = compile_ids(&plan2, &files2);
        assert!(want2
            .iter()
            .any(|h| h.lines().any(|l| l.starts_with("file aaa.go "))));
        assert_eq!(compile_ids(&plan2, &stale), want2);
    }

    fn cc_lines(h: &HashedInputs) -> Vec<&str> {
        h.lines().filter(|l| l.starts_with("CC")).collect()
    }

    #[test]
    fn cc_line_carries_the_package_s_cgo_flags_as_go_hashes_them() {
        let id = "gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) ";
        let (ws, plan) = planned(CALC_GO, id);
        // go's lines, from `GODEBUG=gocachehash=1 go build -a` of the fixture.
        assert_eq!(
            cc_lines(&inputs(&ws, &plan, "example.com/cgocalc/calc")),
            [
                "CC=[\"gcc\"] [] [\"-O2\" \"-g\" \"-DFACTOR=3\" \"-Wall\"] [\"-O2\" \"-g\" \"-lm\"]\n",
                "CC ID=\"gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) \"\n",
            ]
        );
        assert_eq!(
            cc_lines(&inputs(&ws, &plan, "runtime/cgo"))[0],
            "CC=[\"gcc\"] [] [\"-O2\" \"-g\" \"-Wall\" \"-Werror\" \"-fno-stack-protector\"] \
             [\"-O2\" \"-g\" \"-lpthread\"]\n"
        );
    }

    #[test]
    fn a_cgo_flag_edit_changes_the_cc_line() {
        let (ws, plan) = planned(CALC_GO, "");
        let edited = CALC_GO.replace("-DFACTOR=3", "-DFACTOR=4");
        assert_ne!(edited, CALC_GO);
        let (ws2, plan2) = planned(&edited, "");
        let old = inputs(&ws, &plan, "example.com/cgocalc/calc");
        let new = inputs(&ws2, &plan2, "example.com/cgocalc/calc");
        assert_ne!(old.id, new.id);
        let changes = diff(&old, &new, "calc/");
        let cc = changes
            .iter()
            .find(|c| c.kind == InputKind::Config && c.subject.starts_with("CC="))
            .unwrap_or_else(|| panic!("no CC= change in {changes:?}"));
        assert!(
            cc.new.as_deref().unwrap().contains("\"-DFACTOR=4\""),
            "{cc:?}"
        );
        assert!(
            cc.old.as_deref().unwrap().contains("\"-DFACTOR=3\""),
            "{cc:?}"
        );
    }

    #[test]
    fn the_cc_id_is_hashed() {
        let (ws, a) = planned(CALC_GO, "gcc version 12.2.0");
        let (_, b) = planned(CALC_GO, "gcc version 13.1.0");
        let pkg = "example.com/cgocalc/calc";
        assert_ne!(inputs(&ws, &a, pkg).id, inputs(&ws, &b, pkg).id);
    }
}
