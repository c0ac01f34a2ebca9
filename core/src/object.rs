//! The simulated compiler output ("object"): what a package's archive would hold, reduced to the
//! parts that decide its identity. Its hash is the package's *content ID*; dependents hash that
//! (see [`crate::actionid`]), so an edit whose object is unchanged stops the rebuild there.
//!
//! The object is a function of what really reaches the archive, not of the raw bytes:
//!
//! - **Code**: every Go token except comments and semicolons, with its kind, spelling and *line*
//!   (line tables live in the object code). A comment edit that moves no line, or a newline
//!   appended at the end of a file, leaves it identical; one inserted comment line shifts the
//!   lines after it and changes it. Each file's name is in it (positions name their file).
//! - **Assembly**: each `.s` line with its comments stripped, with its line number. A comment
//!   byte in a `.s` file re-runs asm and compile (the file hash is in the action ID) but yields
//!   an identical object.
//! - **Embedded files**: names and bytes.
//! - **Build settings** that change what the tools write ([`output_flags`]): `-trimpath` and the
//!   package's `-gcflags`/`-asmflags` but the print-only ones (`-m`, `-S`, `-live`, `-json`).
//! - **Language semantics**: `-lang` only matters where it changes code: crossing go1.22 changes
//!   loop-variable semantics, so the object records "per-iteration loop variables" when the
//!   package has a `for`. A new `go` line that crosses nothing recompiles to an identical object.
//! - **Export data**: the exported declarations (signatures, type and constant declarations,
//!   variable names and written types; no initializers, no bodies) with their positions, the
//!   *inlinable bodies* reachable from exported functions with theirs, and the *escape tags* of
//!   every exported function's and method's parameters (see [`escape`]). Its hash is the
//!   export data's *fingerprint* ([`ExportData::api`]), as cmd/compile's `Ctxt.Fingerprint` is
//!   the hash of the export data it writes.
//! - **What it took from its dependencies**: each direct dependency's export fingerprint (the
//!   real object lists every import with its fingerprint, which the linker checks), and the
//!   bodies of the dependency's inlinable functions it references (by `pkg.Name`, or by a
//!   method selector `.Name` matching an inlinable method; plus what those bodies call inside the
//!   dependency), which are in its code. So any change of a dependency's export data (a
//!   declaration, a shifted position, an inlinable body, a parameter's escape) changes every
//!   direct importer, whether it uses the changed function or not; a changed body of a
//!   non-inlinable function that leaves its parameters' escape alone leaves importers identical
//!   (they recompile, their action IDs hash the dependency's content ID, but produce the same
//!   object). Checked against go 1.23's content IDs (`go tool buildid` on each archive): `Join`'s
//!   `fmt.Sprint(ys)` → `fmt.Sprint(xs)` ("leaking param content: xs" → "leaking param: xs")
//!   changes every importer of util, although `Join` is not inlinable.
//!
//! # Inlinability (an honest approximation of cmd/compile's `hairyVisitor`)
//!
//! Budget 80 nodes, as go. A body's cost counts identifiers, literals, operators and keywords
//! (punctuation and selectors' dots cost nothing); a call costs 57 extra (go's
//! `inlineExtraCallCost`) unless the callee is a builtin or a conversion to a predeclared type
//! (0), `panic` (1), or a function known inlinable in this package or in a dependency's export
//! data (its own cost instead). Not inlinable: bodies with `go`, `defer`, `select` or
//! `recover()`, functions marked `//go:noinline`, `//go:norace`, `//go:uintptrescapes`,
//! `//go:cgo_unsafe_args` or `//go:uintptrkeepalive`, and functions without a body. Known
//! gaps: no type information (a call through a variable of function type counts as a call; a
//! method is matched by name only), constants' folding is modelled only through the API digest,
//! and a dependency's inlinable body that itself calls into a third package does not re-export
//! that package's body.
//!
//! Not modelled in the fingerprint: objects of other packages that an inlinable body or an
//! exported type refers to (go copies them, with their positions and tags, into the export
//! data), unexported declarations reachable from exported types, and escape tags of functions
//! reachable only from inlinable bodies.
//!
//! The std library has no sources here: a std package's object is a stand-in derived from the
//! Go version, its import path and its files' names and sizes, with no inlinable bodies.
//!
//! # Serialized form (version 1)
//!
//! The cache stores an object as text: `buildlab-object 1`, `buildid A/C`, then the *body* lines
//! (`path`, `code`, `asm`, `embed`, `loopvar`, `deps`, `api`, `exportpos`, `inline KEY COST
//! BODY CALLS`). The content ID is the blake3 of the body, i.e. of the output with the build ID
//! left out, as cmd/go's content ID is the hash of the archive with its build ID zeroed.

use crate::hash::Digest;
use crate::scan::{self, Lexer, Tok, Token};

#[cfg(feature = "escape-analysis")]
pub mod escape;

/// The version line of a serialized object.
pub const OBJECT_HEADER: &str = "buildlab-object 1";

/// go's inlining budget.
pub const INLINE_BUDGET: u32 = 80;
/// go's `inlineExtraCallCost`.
pub const EXTRA_CALL_COST: u32 = 57;

/// An inlinable function in a package's export data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inlinable {
    pub cost: u32,
    /// The body's tokens with their file, line and column.
    pub body: Digest,
    /// Same-package functions the body calls (keys as in [`ExportData::inline`]).
    pub calls: Vec<String>,
}

/// What importers can see of a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportData {
    /// The export data's fingerprint, which every direct importer's object records: the
    /// exported declarations, their positions, the inlinable bodies they reach and the escape
    /// tags of the exported functions' parameters (see the module doc).
    pub api: Digest,
    /// Inlinable functions by key: `F` for a function, `T.M` for a method.
    pub inline: Keyed<Inlinable>,
}

/// A map from names to values, kept as a vector sorted by name: what the object model's
/// tables (inlinable bodies, inline costs, escape tags, dependencies by local name), the
/// why-rebuilt record ([`crate::rebuild::Record`]) and `why`'s chains need — lookups by name,
/// iteration in name order, replacing on insert — as a `BTreeMap<String, V>` gives them, but
/// without a B-tree's insert, search, rebalance and drop code for each value type in the
/// page's wasm (about 3 KB raw each; docs/benchmarks.md, Page weight). The object model's
/// tables hold tens to hundreds of names per package; a build's records, one per action, come
/// in through [`Keyed::extend`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyed<V>(Vec<(String, V)>);

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed(Vec::new())
    }
}

impl<V> Keyed<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `key` is, or where it would go.
    fn find(&self, key: &str) -> Result<usize, usize> {
        search(self.0.len(), &|i| self.0[i].0.as_str(), key)
    }

    /// Sets `key` to `value`, replacing what it had (as `BTreeMap::insert`).
    pub fn insert(&mut self, key: String, value: V) {
        match self.find(&key) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// Sets each `(key, value)` of `entries` as [`Keyed::insert`] would one after the other
    /// (the last of equal keys wins), in key order: into an empty table (a cold build's
    /// records) or over the same keys (a warm build's) each insert appends or replaces, where
    /// the given order would shift the vector at each one.
    pub fn extend(&mut self, mut entries: Vec<(String, V)>) {
        // Stable: equal keys keep their order, so the last given is inserted last.
        crate::sort::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
        for (k, v) in entries {
            self.insert(k, v);
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// The value of `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    /// Takes `key` out, with its value (as `BTreeMap::remove`).
    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// The entries from the first key not below `key` on, in name order (as
    /// `BTreeMap::range(key..)`).
    pub fn iter_from(&self, key: &str) -> impl Iterator<Item = (&String, &V)> {
        let at = self.find(key).unwrap_or_else(|i| i);
        self.0[at..].iter().map(|(k, v)| (k, v))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The entries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The names in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values in their names' order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
}

/// A binary search over `len` names in order, `name_at(i)` the `i`th: `binary_search_by`'s
/// answer, written once for every [`Keyed`] value type rather than once per type.
#[inline(never)]
fn search<'a>(len: usize, name_at: &dyn Fn(usize) -> &'a str, key: &str) -> Result<usize, usize> {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match name_at(mid).cmp(key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Ok(mid),
        }
    }
    Err(lo)
}

impl<V> std::ops::Index<&str> for Keyed<V> {
    type Output = V;

    /// The value of `key`; panics if there is none, as a map's index does.
    fn index(&self, key: &str) -> &V {
        self.get(key).expect("no entry for the key")
    }
}

/// A set of names, kept as a vector in name order: a `BTreeSet<String>`'s inserts, lookups,
/// removals and order (the object model's type, scalar and import names; the page's cache
/// directories and the keys IndexedDB listed) through [`search`], the one binary search of
/// [`Keyed`], without the B-tree's own insert, search, removal, clone and drop code for
/// `String` keys in the page's wasm (docs/benchmarks.md, Page weight). The sets hold tens to
/// a few thousand names, filled once and then looked up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names(Vec<String>);

impl Names {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `name` is, or where it would go.
    fn find(&self, name: &str) -> Result<usize, usize> {
        search(self.0.len(), &|i| self.0[i].as_str(), name)
    }

    /// The set of `names` (duplicates once): one sort, where inserting them one by one into
    /// the middle of the vector would shift it at each.
    pub fn from_vec(mut names: Vec<String>) -> Self {
        crate::sort::sort(&mut names);
        names.dedup();
        Names(names)
    }

    /// Adds `name`; whether it was new (as `BTreeSet::insert`).
    pub fn insert(&mut self, name: String) -> bool {
        match self.find(&name) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, name);
                true
            }
        }
    }

    /// Removes `name`; whether it was there (as `BTreeSet::remove`).
    pub fn remove(&mut self, name: &str) -> bool {
        match self.find(name) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The names in order.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
}

/// A compiled package, as far as its identity goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// The body lines (see the module doc); the content ID is their hash.
    body: Vec<String>,
    pub export: ExportData,
    /// A real compiler's archive, when the object is one (see [`Object::from_archive`]).
    archive: Option<Archive>,
}

/// A real `_pkg_.a` and its content ID.
#[derive(Clone, PartialEq, Eq)]
struct Archive {
    /// Empty when the archive is held elsewhere (`held`).
    bytes: Vec<u8>,
    content: Digest,
    /// The output ID and size of an archive whose bytes another store holds (see
    /// [`Object::held_archive`]).
    held: Option<(Digest, u64)>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Archive({} bytes, content {})",
            self.bytes.len(),
            self.content.to_hex()
        )
    }
}

/// The `!<arch>` magic of a Go package archive.
pub const ARCHIVE_MAGIC: &[u8] = b"!<arch>\n";

/// The build ID a real archive carries in its export data header (`build id "A/C"`), found in
/// its first 64 KiB.
pub fn archive_build_id(data: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\nbuild id \"";
    let head = &data[..data.len().min(64 << 10)];
    let at = head.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let len = head[at..].iter().position(|&b| b == b'"' || b == b'\n')?;
    let id = std::str::from_utf8(&head[at..at + len]).ok()?;
    (!id.is_empty() && head.get(at + len) == Some(&b'"')).then(|| id.to_string())
}

/// cmd/go's content ID of an output (`buildid.FindAndHash`): the hash of the bytes with every
/// occurrence of the build ID zeroed, so that the ID written into the file does not change it.
pub fn content_hash(data: &[u8], build_id: &str) -> Digest {
    let id = build_id.as_bytes();
    let mut h = blake3::Hasher::new();
    if id.is_empty() {
        h.update(data);
        return Digest(*h.finalize().as_bytes());
    }
    let zeros = vec![0u8; id.len()];
    let mut i = 0;
    let mut from = 0;
    // Candidates are found by the ID's first byte alone (a tight loop the compiler vectorizes),
    // so an archive of many megabytes is not compared byte by byte against the whole ID.
    while i + id.len() <= data.len() {
        let Some(at) = data[i..=data.len() - id.len()]
            .iter()
            .position(|&b| b == id[0])
        else {
            break;
        };
        i += at;
        if &data[i..i + id.len()] == id {
            h.update(&data[from..i]);
            h.update(&zeros);
            i += id.len();
            from = i;
        } else {
            i += 1;
        }
    }
    h.update(&data[from..]);
    Digest(*h.finalize().as_bytes())
}

impl Object {
    /// A real compiler's output (the helper's real toolchain): the archive is stored as it is,
    /// its content ID is [`content_hash`] with the build ID from its header. `None` if the bytes
    /// are not a Go archive with a build ID. Export data is not modelled for real archives (the
    /// real compiler reads the real one): `export.api` is the content ID, with no inlinable
    /// bodies.
    pub fn from_archive(bytes: Vec<u8>) -> Option<Object> {
        if !bytes.starts_with(ARCHIVE_MAGIC) {
            return None;
        }
        let id = archive_build_id(&bytes)?;
        let content = content_hash(&bytes, &id);
        Some(Object {
            body: Vec::new(),
            export: ExportData {
                api: content,
                inline: Keyed::new(),
            },
            archive: Some(Archive {
                bytes,
                content,
                held: None,
            }),
        })
    }

    /// A real archive whose bytes stay in another store (the page's helper keeps them while
    /// the build runs; the page fetches them after it): known by its content ID, its output ID
    /// and its size, which is all a build needs of an output its own tools do not read. The
    /// session records it with [`crate::cache::Cache::put_held`]; [`Object::to_bytes`] has
    /// nothing to give for it.
    pub fn held_archive(content: Digest, output: Digest, size: u64) -> Object {
        Object {
            body: Vec::new(),
            export: ExportData {
                api: content,
                inline: Keyed::new(),
            },
            archive: Some(Archive {
                bytes: Vec::new(),
                content,
                held: Some((output, size)),
            }),
        }
    }

    /// The output ID and size of a [`Object::held_archive`].
    pub fn held(&self) -> Option<(Digest, u64)> {
        self.archive.as_ref().and_then(|a| a.held)
    }

    /// Whether this is a real archive ([`Object::from_archive`]).
    pub fn is_archive(&self) -> bool {
        self.archive.is_some()
    }

    /// The content ID: the hash of the output without its build ID.
    pub fn content(&self) -> Digest {
        if let Some(a) = &self.archive {
            return a.content;
        }
        Digest::of(self.body.join("\n").as_bytes())
    }

    /// The archive bytes as stored in the cache, with the build ID written in. A real archive
    /// is stored as the tools left it (its own build ID, which `buildid -w` already rewrote),
    /// and lent rather than copied: runtime's is about 13 MB.
    pub fn to_bytes(&self, build_id: &str) -> std::borrow::Cow<'_, [u8]> {
        if let Some(a) = &self.archive {
            return std::borrow::Cow::Borrowed(&a.bytes);
        }
        let mut s = format!("{OBJECT_HEADER}\nbuildid {build_id}\n");
        for l in &self.body {
            s.push_str(l);
            s.push('\n');
        }
        std::borrow::Cow::Owned(s.into_bytes())
    }

    /// Reads bytes written by [`Object::to_bytes`]; `None` if they are not an object of this
    /// version. Returns the build ID too.
    pub fn parse(data: &[u8]) -> Option<(String, Object)> {
        if data.starts_with(ARCHIVE_MAGIC) {
            let id = archive_build_id(data)?;
            return Some((id, Object::from_archive(data.to_vec())?));
        }
        let text = std::str::from_utf8(data).ok()?;
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != OBJECT_HEADER {
            return None;
        }
        let build_id = lines.next()?.strip_prefix("buildid ")?.to_string();
        let body: Vec<String> = lines.map(str::to_string).collect();
        let mut api = None;
        let mut inline = Keyed::new();
        for l in &body {
            if let Some(h) = l.strip_prefix("api ") {
                api = Some(parse_hex(h)?);
            } else if let Some(rest) = l.strip_prefix("inline ") {
                let f: Vec<&str> = rest.split(' ').collect();
                if f.len() != 4 {
                    return None;
                }
                let calls = if f[3] == "-" {
                    Vec::new()
                } else {
                    f[3].split(',').map(str::to_string).collect()
                };
                inline.insert(
                    f[0].to_string(),
                    Inlinable {
                        cost: f[1].parse().ok()?,
                        body: parse_hex(f[2])?,
                        calls,
                    },
                );
            }
        }
        Some((
            build_id,
            Object {
                body,
                export: ExportData { api: api?, inline },
                archive: None,
            },
        ))
    }
}

/// Parses 64 hex digits.
pub fn parse_hex(h: &str) -> Option<Digest> {
    if h.len() != 64 {
        return None;
    }
    let mut d = [0u8; 32];
    for (i, b) in d.iter_mut().enumerate() {
        *b = u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(Digest(d))
}

/// A direct dependency as an importer sees it.
#[derive(Clone, Copy, Debug)]
pub struct Dep<'a> {
    pub import_path: &'a str,
    /// Its package clause name (the default local name in the importer).
    pub name: &'a str,
    pub export: &'a ExportData,
}

/// The inputs of one simulated compile.
#[derive(Clone, Debug, Default)]
pub struct Source<'a> {
    pub import_path: &'a str,
    /// The package directory (positions name their files by absolute path without -trimpath).
    pub dir: &'a str,
    /// The `-lang` version, e.g. `1.23`.
    pub lang: &'a str,
    /// Go files (and cgo files' Go code), in the loader's order.
    pub go_files: Vec<(&'a str, &'a [u8])>,
    pub s_files: Vec<(&'a str, &'a [u8])>,
    pub embed_files: Vec<(&'a str, &'a [u8])>,
    /// Path as written → resolved path (`go list`'s ImportMap).
    pub import_map: Vec<(String, String)>,
    pub deps: Vec<Dep<'a>>,
    /// The build settings that change what the tools write ([`output_flags`]); empty in a
    /// plain build.
    pub flags: String,
}

/// What of a package's settings reaches its object: `-trimpath` (the positions' file names),
/// its `-gcflags` and `-asmflags` but those that only print (`-S`, `-m`, `-live`, `-json`): go
/// 1.23.5 recompiles a package's importers after `-gcflags=P=-N`, `-l` or `-B`, not after `-m`
/// or `-S` (its content ID unchanged).
pub fn output_flags(trimpath: bool, gcflags: &[String], asmflags: &[String]) -> String {
    let prints = |f: &&String| {
        let f = f.as_str();
        matches!(f, "-S" | "-live" | "-m") || f.starts_with("-m=") || f.starts_with("-json=")
    };
    let mut out = Vec::new();
    if trimpath {
        out.push("trimpath".to_string());
    }
    out.extend(
        gcflags
            .iter()
            .filter(|f| !prints(f))
            .map(|f| format!("gc:{f}")),
    );
    out.extend(
        asmflags
            .iter()
            .filter(|f| *f != "-S")
            .map(|f| format!("asm:{f}")),
    );
    out.join(" ")
}

/// The stand-in object of a std package (see the module doc), compiled with `flags`
/// ([`Source::flags`]).
pub fn std_object(
    go_version: &str,
    import_path: &str,
    files: &[(&str, u64)],
    flags: &str,
) -> Object {
    let mut s = format!("std {go_version} {import_path}");
    for (n, size) in files {
        s.push_str(&format!(" {n}:{size}"));
    }
    if !flags.is_empty() {
        s.push_str(&format!(" flags {flags}"));
    }
    let d = Digest::of(s.as_bytes());
    let api = Digest::of(format!("api {s}").as_bytes());
    Object {
        body: vec![
            format!("path {import_path}"),
            format!("std {}", d.to_hex()),
            format!("api {}", api.to_hex()),
        ],
        export: ExportData {
            api,
            inline: Keyed::new(),
        },
        archive: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens with positions

#[derive(Clone, Debug)]
struct Tk {
    tok: Tok,
    lit: String,
    line: usize,
    col: usize,
    file: usize,
}

impl Tk {
    fn is(&self, op: &str) -> bool {
        matches!(self.tok, Tok::Op(s) | Tok::Keyword(s) if s == op)
    }
    fn ident(&self) -> Option<&str> {
        (self.tok == Tok::Ident).then_some(self.lit.as_str())
    }
    fn spelling(&self) -> &str {
        match self.tok {
            Tok::Op(s) | Tok::Keyword(s) => s,
            _ => &self.lit,
        }
    }
}

/// Lexes a file: code tokens (semicolons kept, comments dropped) and the comments' lines.
fn lex(file: usize, src: &[u8]) -> (Vec<Tk>, Vec<(usize, String)>) {
    let mut line_starts = vec![0usize];
    for (i, &b) in src.iter().enumerate() {
        if b == b'\n' {
            line_starts.push(i + 1);
        }
    }
    let pos = |off: usize| {
        let l = line_starts.partition_point(|&s| s <= off);
        (l, off - line_starts[l - 1] + 1)
    };
    let mut errs = Vec::new();
    let mut lx = Lexer::new(src, &mut errs);
    let mut toks = Vec::new();
    let mut comments = Vec::new();
    loop {
        let Token { offset, tok, lit } = lx.scan(&mut errs);
        if tok == Tok::Eof {
            break;
        }
        let (line, col) = pos(offset);
        if tok == Tok::Comment {
            comments.push((line, lit));
            continue;
        }
        toks.push(Tk {
            tok,
            lit,
            line,
            col,
            file,
        });
        if toks.len() > 4_000_000 {
            break; // a runaway lexer must not hang the page
        }
    }
    (toks, comments)
}

/// A file's code tokens and its comments with their lines.
type Lexed = (Vec<Tk>, Vec<(usize, String)>);

fn is_code(t: &Tk) -> bool {
    !t.is(";")
}

// ---------------------------------------------------------------------------------------------
// Declarations

#[derive(Debug)]
struct FuncDecl {
    key: String,
    exported: bool,
    /// Signature token range (from `func` to before the body).
    sig: (usize, usize),
    /// Body token range including braces.
    body: Option<(usize, usize)>,
    name_tok: usize,
    no_inline: bool,
}

#[derive(Debug)]
struct SpecDecl {
    exported: bool,
    /// Tokens of the spec that reach the API digest.
    api: (usize, usize),
    name_tok: usize,
}

/// Index of the token closing the bracket opened at `i`.
fn matching(t: &[Tk], i: usize) -> usize {
    let (open, close) = match t[i].spelling() {
        "(" => ("(", ")"),
        "[" => ("[", "]"),
        _ => ("{", "}"),
    };
    let mut depth = 0;
    for (j, x) in t.iter().enumerate().skip(i) {
        if x.is(open) {
            depth += 1;
        } else if x.is(close) {
            depth -= 1;
            if depth == 0 {
                return j;
            }
        }
    }
    t.len() - 1
}

fn exported(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

const NO_INLINE_DIRECTIVES: &[&str] = &[
    "//go:noinline",
    "//go:norace",
    "//go:uintptrescapes",
    "//go:cgo_unsafe_args",
    "//go:uintptrkeepalive",
];

/// Splits the top-level declarations of one file's tokens.
fn declarations(
    t: &[Tk],
    comments: &[(usize, String)],
    funcs: &mut Vec<FuncDecl>,
    specs: &mut Vec<SpecDecl>,
) {
    let mut i = 0;
    while i < t.len() {
        let x = &t[i];
        if x.is("func") {
            let start = i;
            let mut j = i + 1;
            let mut recv = None;
            if j < t.len() && t[j].is("(") {
                let end = matching(t, j);
                let inner: Vec<&Tk> = t[j + 1..end].iter().collect();
                // `(r *T[P])`, `(T)`, `(*T)`: the type is the first identifier after an optional
                // receiver name and `*`.
                let mut k = 0;
                if inner.len() >= 2
                    && inner[0].ident().is_some()
                    && (inner[1].ident().is_some() || inner[1].is("*"))
                {
                    k = 1;
                }
                while k < inner.len() && inner[k].is("*") {
                    k += 1;
                }
                recv = inner.get(k).and_then(|x| x.ident()).map(str::to_string);
                j = end + 1;
            }
            let name_tok = j;
            let name = t.get(j).and_then(Tk::ident).unwrap_or("_").to_string();
            // Find the body: the first `{` at paren/bracket depth 0 before the end of the decl.
            let mut k = j + 1;
            let mut body = None;
            while k < t.len() {
                let y = &t[k];
                if y.is("(") || y.is("[") {
                    k = matching(t, k) + 1;
                    continue;
                }
                if y.is("{") {
                    // `func() struct{...}`-like result types are rare at top level; treat the
                    // first depth-0 brace as the body.
                    let end = matching(t, k);
                    body = Some((k, end + 1));
                    k = end + 1;
                    break;
                }
                if y.is(";") {
                    break;
                }
                k += 1;
            }
            let sig_end = body.map_or(k, |b| b.0);
            let line = x.line;
            let no_inline = comments.iter().any(|(l, c)| {
                *l + 3 >= line && *l < line && NO_INLINE_DIRECTIVES.iter().any(|d| c.starts_with(d))
            });
            let key = match &recv {
                Some(r) => format!("{r}.{name}"),
                None => name.clone(),
            };
            funcs.push(FuncDecl {
                exported: exported(&name),
                key,
                sig: (start, sig_end),
                body,
                name_tok,
                no_inline,
            });
            i = k.max(i + 1);
            continue;
        }
        if x.is("type") || x.is("var") || x.is("const") {
            let is_var = x.is("var");
            let kw = i;
            let one = |s: usize, e: usize, specs: &mut Vec<SpecDecl>| {
                // A spec runs from s to e (exclusive); names are the identifiers before the
                // type/`=`. For vars, only names and the written type reach the API.
                let Some(name_tok) = (s..e).find(|&k| t[k].ident().is_some()) else {
                    return;
                };
                let mut names_exported = false;
                let mut k = s;
                while k < e {
                    if let Some(n) = t[k].ident() {
                        names_exported |= exported(n);
                    }
                    if k + 1 < e && t[k + 1].is(",") {
                        k += 2;
                    } else {
                        break;
                    }
                }
                let api_end = if is_var {
                    (s..e).find(|&k| t[k].is("=")).unwrap_or(e)
                } else {
                    e
                };
                specs.push(SpecDecl {
                    exported: names_exported,
                    api: (s, api_end),
                    name_tok,
                });
            };
            if i + 1 < t.len() && t[i + 1].is("(") {
                let end = matching(t, i + 1);
                let mut s = i + 2;
                let mut k = s;
                while k < end {
                    if t[k].is("(") || t[k].is("[") || t[k].is("{") {
                        k = matching(t, k) + 1;
                        continue;
                    }
                    if t[k].is(";") {
                        if k > s {
                            one(s, k, specs);
                        }
                        s = k + 1;
                    }
                    k += 1;
                }
                if end > s {
                    one(s, end, specs);
                }
                i = end + 1;
            } else {
                let mut k = kw + 1;
                while k < t.len() && !t[k].is(";") {
                    if t[k].is("(") || t[k].is("[") || t[k].is("{") {
                        k = matching(t, k) + 1;
                        continue;
                    }
                    k += 1;
                }
                one(kw + 1, k, specs);
                i = k + 1;
            }
            continue;
        }
        i += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Inline cost

const BUILTINS: &[&str] = &[
    "len", "cap", "append", "make", "new", "copy", "delete", "print", "println", "min", "max",
    "clear", "complex", "real", "imag", "close",
];
/// The universe's type names (`comparable` is only a constraint).
pub(crate) const PREDECLARED_TYPES: &[&str] = &[
    "bool",
    "byte",
    "rune",
    "string",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "error",
    "any",
];

/// What a body calls, and its cost given what is known to be inlinable.
struct CallSite {
    /// `F` (same package), `pkg.F` (qualified), `.M` (method), or a builtin/conversion.
    kind: Callee,
}

enum Callee {
    Free,
    Panic,
    Local(String),
    Qualified(String, String),
    Method(String),
    Unknown,
}

fn call_sites(body: &[Tk]) -> Vec<CallSite> {
    let mut v = Vec::new();
    for k in 1..body.len() {
        if !body[k].is("(") {
            continue;
        }
        let prev = &body[k - 1];
        let kind = match prev.ident() {
            Some(name) => {
                let dotted = k >= 2 && body[k - 2].is(".");
                if dotted {
                    match body.get(k.wrapping_sub(3)).and_then(Tk::ident) {
                        Some(q) if k >= 3 && !(k >= 4 && body[k - 4].is(".")) => {
                            Callee::Qualified(q.to_string(), name.to_string())
                        }
                        _ => Callee::Method(name.to_string()),
                    }
                } else if name == "panic" {
                    Callee::Panic
                } else if BUILTINS.contains(&name) || PREDECLARED_TYPES.contains(&name) {
                    Callee::Free
                } else if name == "recover" {
                    Callee::Unknown
                } else {
                    Callee::Local(name.to_string())
                }
            }
            None if prev.is(")") || prev.is("]") => Callee::Unknown,
            None => continue, // a parenthesized expression, not a call
        };
        v.push(CallSite { kind });
    }
    v
}

fn body_disqualified(body: &[Tk]) -> bool {
    body.iter().enumerate().any(|(k, x)| {
        x.is("go")
            || x.is("defer")
            || x.is("select")
            || (x.ident() == Some("recover") && body.get(k + 1).is_some_and(|y| y.is("(")))
    })
}

fn base_cost(body: &[Tk]) -> u32 {
    body.iter()
        .filter(|x| {
            !matches!(
                x.spelling(),
                "(" | ")" | "{" | "}" | "[" | "]" | "," | ";" | ":" | "."
            )
        })
        .count() as u32
}

// ---------------------------------------------------------------------------------------------
// Compile

fn hex_of(h: blake3::Hasher) -> String {
    Digest(*h.finalize().as_bytes()).to_hex()
}

fn tok_bytes(h: &mut blake3::Hasher, x: &Tk, with_col: bool) {
    h.update(x.tok.name().as_bytes());
    h.update(b" ");
    h.update(x.spelling().as_bytes());
    if with_col {
        h.update(format!(" @{}:{}:{}\n", x.file, x.line, x.col).as_bytes());
    } else {
        h.update(format!(" @{}:{}\n", x.file, x.line).as_bytes());
    }
}

/// Whether a version `1.N` is at least `1.22`.
fn lang_at_least_122(lang: &str) -> bool {
    let mut it = lang.split('.');
    let major: u32 = it.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let minor: u32 = it
        .next()
        .and_then(|s| {
            s.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
        .unwrap_or(0);
    major > 1 || minor >= 22
}

/// Strips `//` and `/* */` comments from assembly and returns `(line, text)` of the
/// instruction lines, whitespace normalized.
fn asm_lines(src: &[u8]) -> Vec<(usize, String)> {
    let text = String::from_utf8_lossy(src);
    let mut out = Vec::new();
    let mut in_block = false;
    for (n, line) in text.split('\n').enumerate() {
        let mut s = String::new();
        let b = line.as_bytes();
        let mut i = 0;
        let mut in_str = false;
        while i < b.len() {
            if in_block {
                if b[i..].starts_with(b"*/") {
                    in_block = false;
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            if !in_str && b[i..].starts_with(b"//") {
                break;
            }
            if !in_str && b[i..].starts_with(b"/*") {
                in_block = true;
                i += 2;
                s.push(' ');
                continue;
            }
            if b[i] == b'"' {
                in_str = !in_str;
            }
            let ch_len = line[i..].chars().next().map_or(1, char::len_utf8);
            s.push_str(&line[i..i + ch_len]);
            i += ch_len;
        }
        let norm = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !norm.is_empty() {
            out.push((n + 1, norm));
        }
    }
    out
}

/// The type names a file declares, and those whose type is a predeclared scalar
/// (`type Kind int`), for the escape analysis.
#[cfg(feature = "escape-analysis")]
fn type_declarations(t: &[Tk], names: &mut Names, scalars: &mut Names) {
    let mut one = |spec: &[Tk]| {
        let code: Vec<&Tk> = spec.iter().filter(|x| is_code(x)).collect();
        let Some(name) = code.first().and_then(|x| x.ident()) else {
            return;
        };
        names.insert(name.to_string());
        let ty: Vec<&Tk> = code[1..].iter().copied().filter(|x| !x.is("=")).collect();
        if let [x] = ty.as_slice() {
            if x.ident().is_some_and(|n| {
                PREDECLARED_TYPES.contains(&n) && !matches!(n, "string" | "error" | "any")
            }) {
                scalars.insert(name.to_string());
            }
        }
    };
    let mut i = 0;
    while i < t.len() {
        if !t[i].is("type") {
            i += 1;
            continue;
        }
        if t.get(i + 1).is_some_and(|x| x.is("(")) {
            let end = matching(t, i + 1);
            let mut s = i + 2;
            for k in i + 2..=end {
                if t[k].is(";") || k == end {
                    if k > s {
                        one(&t[s..k]);
                    }
                    s = k + 1;
                }
            }
            i = end + 1;
        } else {
            let end = (i + 1..t.len()).find(|&k| t[k].is(";")).unwrap_or(t.len());
            one(&t[i + 1..end]);
            i = end;
        }
    }
}

/// Whether a package's export data carries escape tags: it has an exported function or method
/// with a body. The escape analysis runs only then (its tags reach the object through
/// [`exported_tags`] alone).
fn has_tagged_exports(per_file: &[(Vec<FuncDecl>, Vec<SpecDecl>)]) -> bool {
    per_file
        .iter()
        .flat_map(|(funcs, _)| funcs)
        .any(|f| f.exported && f.body.is_some())
}

/// Whether compiling a package with this Go file runs the escape analysis
/// ([`has_tagged_exports`]): the page's first-load module, built without it (core's
/// `escape-analysis`), hands a workspace with such a file to the full module.
pub fn needs_escape_analysis(data: &[u8]) -> bool {
    let (toks, comments) = lex(0, data);
    let (mut funcs, mut specs) = (Vec::new(), Vec::new());
    declarations(&toks, &comments, &mut funcs, &mut specs);
    has_tagged_exports(&[(funcs, specs)])
}

/// The encoded escape tags of the exported functions and methods (what the export data
/// carries), by key: none, and no analysis, in a package without such a function.
fn exported_tags(
    files: &[Lexed],
    per_file: &[(Vec<FuncDecl>, Vec<SpecDecl>)],
    import_names: &Names,
) -> Keyed<String> {
    if !has_tagged_exports(per_file) {
        return Keyed::new();
    }
    #[cfg(not(feature = "escape-analysis"))]
    {
        let _ = (files, import_names);
        // Never reached in the page's first-load module: `session::needs_full_module` hands
        // every workspace with such a file to the full module before it builds.
        panic!("the escape analysis is not in this build (core's escape-analysis feature)");
    }
    #[cfg(feature = "escape-analysis")]
    {
        // The parameter tags of every function: an exported one's depend on what it calls.
        let mut type_names = Names::new();
        let mut scalar_types = Names::new();
        for (toks, _) in files {
            type_declarations(toks, &mut type_names, &mut scalar_types);
        }
        let mut escape_funcs = Vec::new();
        for (fi, (funcs, _)) in per_file.iter().enumerate() {
            let t = &files[fi].0;
            for f in funcs {
                if let Some((s, e)) = f.body {
                    escape_funcs.push(escape::Func {
                        key: f.key.clone(),
                        sig: &t[f.sig.0..f.sig.1],
                        body: &t[s..e],
                    });
                }
            }
        }
        let tags = escape::analyze(&escape_funcs, &type_names, &scalar_types, import_names);
        let mut out = Keyed::new();
        for f in per_file.iter().flat_map(|(funcs, _)| funcs) {
            if f.exported && f.body.is_some() {
                if let Some(t) = tags.get(&f.key) {
                    out.insert(f.key.clone(), t.encode());
                }
            }
        }
        out
    }
}

/// Adds `s` to the sorted set `v`; whether it was new (as `BTreeSet::insert`).
fn insert_sorted<'a>(v: &mut Vec<&'a str>, s: &'a str) -> bool {
    match v.binary_search(&s) {
        Ok(_) => false,
        Err(i) => {
            v.insert(i, s);
            true
        }
    }
}

/// The export data's fingerprint (cmd/compile's `Ctxt.Fingerprint`, the hash of the export data
/// written): declarations, their positions, the inlinable bodies reachable from exported
/// functions, and the exported functions' escape tags.
fn fingerprint(
    decls: blake3::Hasher,
    positions: &blake3::Hasher,
    inline: &Keyed<Inlinable>,
    tags: &Keyed<String>,
) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(
        format!(
            "decls {}
",
            hex_of(decls)
        )
        .as_bytes(),
    );
    h.update(
        format!(
            "positions {}
",
            hex_of(positions.clone())
        )
        .as_bytes(),
    );
    // Bodies of exported functions, and of what they call (closed over the calls). The keys
    // come in order, so `reach` starts sorted.
    let mut reach: Vec<&str> = inline
        .keys()
        .map(String::as_str)
        .filter(|k| exported(k.rsplit('.').next().unwrap_or("")))
        .collect();
    let mut stack = reach.clone();
    while let Some(k) = stack.pop() {
        for c in inline.get(k).map_or(&[][..], |i| &i.calls[..]) {
            if insert_sorted(&mut reach, c) {
                stack.push(c);
            }
        }
    }
    for k in reach {
        if let Some(i) = inline.get(k) {
            h.update(
                format!(
                    "inline {k} {} {}
",
                    i.cost,
                    i.body.to_hex()
                )
                .as_bytes(),
            );
        }
    }
    for (k, t) in tags.iter() {
        h.update(
            format!(
                "escape {k} {t}
"
            )
            .as_bytes(),
        );
    }
    Digest(*h.finalize().as_bytes())
}

/// Compiles (in simulation) one package: the object whose hash is its content ID.
pub fn compile(src: &Source<'_>) -> Object {
    // Lex every Go file.
    let mut files: Vec<Lexed> = Vec::new();
    for (i, (_, data)) in src.go_files.iter().enumerate() {
        files.push(lex(i, data));
    }

    // Code: all non-semicolon tokens with their lines, per file.
    let mut code = blake3::Hasher::new();
    code.update(format!("dir {}\n", src.dir).as_bytes());
    if !src.flags.is_empty() {
        code.update(format!("flags {}\n", src.flags).as_bytes());
    }
    let mut has_for = false;
    for (i, (toks, _)) in files.iter().enumerate() {
        code.update(format!("file {}\n", src.go_files[i].0).as_bytes());
        for x in toks.iter().filter(|x| is_code(x)) {
            has_for |= x.is("for");
            tok_bytes(&mut code, x, false);
        }
    }

    let mut asm = blake3::Hasher::new();
    for (name, data) in &src.s_files {
        asm.update(format!("file {name}\n").as_bytes());
        for (line, text) in asm_lines(data) {
            asm.update(format!("{line} {text}\n").as_bytes());
        }
    }
    let mut embed = blake3::Hasher::new();
    for (name, data) in &src.embed_files {
        embed.update(format!("file {name} {}\n", Digest::of(data).to_hex()).as_bytes());
    }

    // Declarations.
    let mut per_file = Vec::new();
    for (toks, comments) in &files {
        let (mut f, mut s) = (Vec::new(), Vec::new());
        declarations(toks, comments, &mut f, &mut s);
        per_file.push((f, s));
    }

    // Every import's local name (for the escape analysis: `x.F` with another `x` is a
    // variable's), and the local names of the dependencies; one scan of each file for both.
    let mut import_names = Names::new();
    let mut local: Keyed<&Dep<'_>> = Keyed::new();
    for (_, data) in &src.go_files {
        for imp in scan::scan("", data).imports {
            let resolved = src
                .import_map
                .iter()
                .find(|(raw, _)| *raw == imp.path)
                .map_or(&*imp.path, |(_, r)| r.as_str());
            let dep = src.deps.iter().find(|d| d.import_path == resolved);
            let name = match (imp.alias.as_deref(), dep) {
                (Some(alias), _) => alias.to_string(),
                (None, Some(d)) => d.name.to_string(),
                (None, None) => imp.path.rsplit('/').next().unwrap_or("").to_string(),
            };
            if let Some(d) = dep {
                local.insert(name.clone(), d);
            }
            import_names.insert(name);
        }
    }
    let tags = exported_tags(&files, &per_file, &import_names);

    // Inline costs, to a fixpoint over same-package calls.
    struct F<'t> {
        key: String,
        body: &'t [Tk],
        sites: Vec<CallSite>,
        fixed: Option<u32>,
    }
    let mut fs: Vec<F<'_>> = Vec::new();
    for (fi, (funcs, _)) in per_file.iter().enumerate() {
        for f in funcs {
            let Some((s, e)) = f.body else { continue };
            let body = &files[fi].0[s..e];
            let fixed = (f.no_inline || body_disqualified(body)).then_some(u32::MAX);
            fs.push(F {
                key: f.key.clone(),
                body,
                sites: call_sites(body),
                fixed,
            });
        }
    }
    let method_of = |name: &str, costs: &Keyed<u32>| -> Option<u32> {
        costs
            .iter()
            .filter(|(k, _)| k.rsplit_once('.').is_some_and(|(_, m)| m == name))
            .map(|(_, &c)| c)
            .max()
    };
    let mut costs: Keyed<u32> = Keyed::new();
    for _round in 0..8 {
        let mut next = Keyed::new();
        for f in &fs {
            if f.fixed.is_some() {
                continue;
            }
            let mut c = base_cost(f.body);
            for s in &f.sites {
                c = c.saturating_add(match &s.kind {
                    Callee::Free => 0,
                    Callee::Panic => 1,
                    Callee::Local(n) => costs.get(n).copied().unwrap_or(EXTRA_CALL_COST),
                    Callee::Qualified(q, n) => match local.get(q) {
                        Some(d) => d.export.inline.get(n).map_or(EXTRA_CALL_COST, |i| i.cost),
                        None => method_of(n, &costs).unwrap_or(EXTRA_CALL_COST),
                    },
                    Callee::Method(n) => method_of(n, &costs).unwrap_or(EXTRA_CALL_COST),
                    Callee::Unknown => EXTRA_CALL_COST,
                });
            }
            if c <= INLINE_BUDGET && !f.key.ends_with(".init") && f.key != "init" {
                next.insert(f.key.clone(), c);
            }
        }
        if next == costs {
            break;
        }
        costs = next;
    }

    // Export data.
    let mut api = blake3::Hasher::new();
    let mut exportpos = blake3::Hasher::new();
    for (fi, (funcs, specs)) in per_file.iter().enumerate() {
        let t = &files[fi].0;
        for f in funcs
            .iter()
            .filter(|f| f.exported && exported(f.key.rsplit('.').next().unwrap_or("")))
        {
            api.update(b"func ");
            for x in t[f.sig.0..f.sig.1].iter().filter(|x| is_code(x)) {
                api.update(x.spelling().as_bytes());
                api.update(b" ");
            }
            api.update(b"\n");
            if let Some(n) = t.get(f.name_tok) {
                exportpos.update(format!("{} {}:{}:{}\n", f.key, n.file, n.line, n.col).as_bytes());
            }
        }
        for s in specs.iter().filter(|s| s.exported) {
            for x in t[s.api.0..s.api.1].iter().filter(|x| is_code(x)) {
                api.update(x.spelling().as_bytes());
                api.update(b" ");
            }
            api.update(b"\n");
            let n = &t[s.name_tok];
            exportpos.update(format!("{} {}:{}:{}\n", n.lit, n.file, n.line, n.col).as_bytes());
        }
    }
    let mut inline = Keyed::new();
    for f in &fs {
        let Some(&cost) = costs.get(&f.key) else {
            continue;
        };
        let mut h = blake3::Hasher::new();
        h.update(src.go_files[f.body[0].file].0.as_bytes());
        for x in f.body.iter().filter(|x| is_code(x)) {
            tok_bytes(&mut h, x, true);
        }
        let mut calls: Vec<String> = f
            .sites
            .iter()
            .filter_map(|s| match &s.kind {
                Callee::Local(n) if costs.contains_key(n) => Some(n.clone()),
                Callee::Method(n) => costs
                    .keys()
                    .find(|k| k.rsplit_once('.').is_some_and(|(_, m)| m == n))
                    .cloned(),
                _ => None,
            })
            .collect();
        crate::sort::sort(&mut calls);
        calls.dedup();
        inline.insert(
            f.key.clone(),
            Inlinable {
                cost,
                body: Digest(*h.finalize().as_bytes()),
                calls,
            },
        );
    }

    let api = fingerprint(api, &exportpos, &inline, &tags);

    // What this package took from its dependencies: each one's export data fingerprint (the
    // object records it for the linker), and the bodies it inlined (they are in its code).
    let mut selectors: Vec<(Option<&str>, &str)> = Vec::new();
    for (toks, _) in &files {
        for k in 1..toks.len() {
            if toks[k - 1].is(".") {
                if let Some(n) = toks[k].ident() {
                    selectors.push(((k >= 2).then(|| toks[k - 2].ident()).flatten(), n));
                }
            }
        }
    }
    crate::sort::sort(&mut selectors);
    selectors.dedup();
    let mut deps = blake3::Hasher::new();
    for d in &src.deps {
        deps.update(format!("dep {} {}\n", d.import_path, d.export.api.to_hex()).as_bytes());
        let locals: Vec<&str> = local
            .iter()
            .filter(|(_, x)| x.import_path == d.import_path)
            .map(|(n, _)| n.as_str())
            .collect();
        // The names of the dependency's bodies this package inlined, sorted.
        let mut want: Vec<&str> = Vec::new();
        for &(q, n) in &selectors {
            if q.is_some_and(|q| locals.contains(&q)) && d.export.inline.contains_key(n) {
                insert_sorted(&mut want, n);
            }
            for k in d.export.inline.keys() {
                if k.rsplit_once('.').is_some_and(|(_, m)| m == n) {
                    insert_sorted(&mut want, k);
                }
            }
        }
        // Close over the calls inside the dependency.
        let mut stack = want.clone();
        while let Some(k) = stack.pop() {
            if let Some(i) = d.export.inline.get(k) {
                for c in &i.calls {
                    if insert_sorted(&mut want, c) {
                        stack.push(c);
                    }
                }
            }
        }
        for k in want {
            if let Some(i) = d.export.inline.get(k) {
                deps.update(format!("inlined {k} {}\n", i.body.to_hex()).as_bytes());
            }
        }
    }

    let mut body = vec![
        format!("path {}", src.import_path),
        format!("code {}", hex_of(code)),
        format!("asm {}", hex_of(asm)),
        format!("embed {}", hex_of(embed)),
        format!("loopvar {}", has_for && lang_at_least_122(src.lang)),
        format!("deps {}", hex_of(deps)),
        format!("api {}", api.to_hex()),
        format!(
            "exportpos {}",
            Digest(*exportpos.finalize().as_bytes()).to_hex()
        ),
    ];
    for (k, i) in inline.iter() {
        let calls = if i.calls.is_empty() {
            "-".to_string()
        } else {
            i.calls.join(",")
        };
        body.push(format!("inline {k} {} {} {calls}", i.cost, i.body.to_hex()));
    }
    Object {
        body,
        export: ExportData { api, inline },
        archive: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first-load module's precondition: a Go file needs the escape analysis exactly when
    /// it has an exported function or method with a body, whose tags are in the export data.
    #[test]
    fn the_escape_analysis_is_needed_only_for_exported_functions_with_bodies() {
        let needs = |src: &str| needs_escape_analysis(src.as_bytes());
        assert!(!needs(
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"
        ));
        assert!(!needs("package p\n\nfunc helper(s []int) int { return len(s) }\n\ntype T struct{}\n\nfunc (t *T) get() int { return 0 }\n"));
        // Declared in Go, defined in assembly: no body, no tags.
        assert!(!needs("package p\n\nfunc Add(a, b int) int\n"));
        assert!(needs(
            "package p\n\nfunc Join(xs []string) string { return xs[0] }\n"
        ));
        assert!(needs(
            "package p\n\ntype t struct{}\n\nfunc (x *t) Read(b []byte) int { return len(b) }\n"
        ));
        // Which the export data shows: tags only where the precondition holds.
        let exported = |src: &str| {
            let files = vec![lex(0, src.as_bytes())];
            let mut per_file = Vec::new();
            for (toks, comments) in &files {
                let (mut f, mut s) = (Vec::new(), Vec::new());
                declarations(toks, comments, &mut f, &mut s);
                per_file.push((f, s));
            }
            exported_tags(&files, &per_file, &Names::new()).len()
        };
        assert_eq!(
            exported("package p\n\nfunc helper(s []int) *int { return &s[0] }\n"),
            0
        );
        assert_eq!(
            exported("package p\n\nfunc Helper(s []int) *int { return &s[0] }\n"),
            1
        );
    }

    #[test]
    fn real_archives_are_identified_by_their_bytes_without_the_build_id() {
        let arch = |id: &str, code: &str| {
            format!("!<arch>\n__.PKGDEF       0           0     0     644     99        `\ngo object linux amd64 go1.23.5\nbuild id \"{id}\"\n\n$$B\n{code}\n_go_.o {id}\n").into_bytes()
        };
        let a = Object::from_archive(arch("AAAA/CCCC", "x")).unwrap();
        let b = Object::from_archive(arch("BBBB/DDDD", "x")).unwrap();
        let c = Object::from_archive(arch("AAAA/CCCC", "y")).unwrap();
        assert!(a.is_archive());
        assert_eq!(a.content(), b.content(), "the build ID is not content");
        assert_ne!(a.content(), c.content());
        // Stored as is, read back with the same content ID.
        let bytes = a.to_bytes("ignored/ignored");
        assert_eq!(bytes, arch("AAAA/CCCC", "x"));
        let (id, back) = Object::parse(&bytes).unwrap();
        assert_eq!(id, "AAAA/CCCC");
        assert_eq!(back.content(), a.content());
        assert!(Object::from_archive(b"!<arch>\nno id here".to_vec()).is_none());
        assert!(Object::from_archive(b"buildlab-object 1\n".to_vec()).is_none());
        assert_eq!(
            content_hash(b"xIDyIDz", "ID"),
            content_hash(b"x\0\0y\0\0z", "")
        );
    }

    /// The first-byte search zeroes exactly the occurrences a byte-by-byte scan zeroes:
    /// overlapping starts, a match at either end, a near miss before a match, runs of the
    /// first byte, and pseudo-random bytes over a small alphabet (many candidates).
    #[test]
    fn content_hash_zeroes_what_a_plain_scan_zeroes() {
        fn plain(data: &[u8], id: &[u8]) -> Vec<u8> {
            let (mut out, mut i) = (Vec::new(), 0);
            while i < data.len() {
                if data[i..].starts_with(id) {
                    out.extend(std::iter::repeat(0).take(id.len()));
                    i += id.len();
                } else {
                    out.push(data[i]);
                    i += 1;
                }
            }
            out
        }
        let mut cases: Vec<(Vec<u8>, &str)> = vec![
            (b"aaab".to_vec(), "aab"),
            (b"abab".to_vec(), "ab"),
            (b"ab".to_vec(), "ab"),
            (b"xab".to_vec(), "ab"),
            (b"a".to_vec(), "ab"),
            (b"aaaaaaa".to_vec(), "aa"),
            (b"".to_vec(), "ab"),
        ];
        let mut seed = 0x2545_f491_u32;
        for len in [0usize, 1, 5, 64, 1000] {
            let bytes = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    b"abc"[(seed % 3) as usize]
                })
                .collect();
            cases.push((bytes, "abca"));
        }
        for (data, id) in cases {
            let want = blake3::hash(&plain(&data, id.as_bytes()));
            assert_eq!(content_hash(&data, id).0, *want.as_bytes(), "{data:?} {id}");
        }
    }

    fn one(path: &str, files: &[(&str, &str)], deps: Vec<Dep<'_>>) -> Object {
        compile(&Source {
            import_path: path,
            dir: "/m/x",
            lang: "1.23",
            go_files: files.iter().map(|(n, s)| (*n, s.as_bytes())).collect(),
            deps,
            ..Default::default()
        })
    }

    const UTIL: &str = "package util\n\nimport (\n\t\"fmt\"\n\t\"sort\"\n)\n\nfunc Join(xs []string) string {\n\tys := append([]string(nil), xs...)\n\tsort.Strings(ys)\n\treturn fmt.Sprint(ys)\n}\n";

    #[test]
    fn comments_and_trailing_newlines_do_not_reach_the_object() {
        let a = one("u", &[("u.go", UTIL)], vec![]);
        let nl = format!("{UTIL}\n");
        assert_eq!(a.content(), one("u", &[("u.go", &nl)], vec![]).content());
        let word = UTIL.replace("package util\n", "package util // a comment\n");
        assert_eq!(a.content(), one("u", &[("u.go", &word)], vec![]).content());
        let shifted = UTIL.replace("func Join", "// one more line\nfunc Join");
        assert_ne!(
            a.content(),
            one("u", &[("u.go", &shifted)], vec![]).content()
        );
        let code = UTIL.replace("Sprint(ys)", "Sprint(xs)");
        assert_ne!(a.content(), one("u", &[("u.go", &code)], vec![]).content());
    }

    #[test]
    fn inlinability_follows_the_budget() {
        let src = "package p\n\nfunc Small() string { return \"s\" }\n\nfunc Big(xs []string) string {\n\tys := append([]string(nil), xs...)\n\tsort.Strings(ys)\n\treturn fmt.Sprint(ys)\n}\n\n//go:noinline\nfunc Marked() int { return 1 }\n\nfunc Deferred() { defer println() }\n\nfunc (s *v) Type() string { return \"string\" }\n";
        let o = one("p", &[("p.go", src)], vec![]);
        let keys: Vec<&str> = o.export.inline.keys().map(String::as_str).collect();
        assert_eq!(keys, ["Small", "v.Type"]);
    }

    /// What go 1.23 does (content IDs read with `go tool buildid` after each edit of a
    /// dependency `c` imported by `u`, which calls none of the edited functions): a body edit
    /// that leaves the export data alone leaves `u` identical; an edit of an inlinable body, or
    /// one that changes how a parameter escapes, changes `u` too, because `u`'s object records
    /// the fingerprint of `c`'s export data.
    #[test]
    fn importers_change_with_the_export_data() {
        let dep_src = "package d\n\nvar Sink []string\n\nfunc Small() string { return \"s\" }\n\nfunc Big() string {\n\ta()\n\tb()\n\treturn \"x\"\n}\n\nfunc Keep(xs []string) int {\n\tdefer func() {}()\n\tSink = append(Sink[:0], xs...)\n\treturn len(Sink)\n}\n";
        let user = "package u\n\nimport \"d\"\n\nfunc U() int { return len(d.Sink) }\n";
        let build = |dep_text: &str| {
            let d = one("d", &[("d.go", dep_text)], vec![]);
            let dep = Dep {
                import_path: "d",
                name: "d",
                export: &d.export,
            };
            (
                d.content(),
                one("u", &[("u.go", user)], vec![dep]).content(),
            )
        };
        let base = build(dep_src);
        // A non-inlinable body changes, its tags do not: the importer is identical.
        let big = build(&dep_src.replace("\"x\"", "\"y\""));
        assert_ne!(base.0, big.0);
        assert_eq!(base.1, big.1);
        let keep = build(&dep_src.replace("return len(Sink)", "return len(Sink) + 1"));
        assert_ne!(base.0, keep.0);
        assert_eq!(base.1, keep.1);
        // An inlinable body changes: every importer changes.
        let small = build(&dep_src.replace("\"s\"", "\"t\""));
        assert_ne!(base.1, small.1);
        // A parameter's escape changes ("leaking param content: xs" → "leaking param: xs").
        let esc = build(&dep_src.replace("Sink = append(Sink[:0], xs...)", "Sink = xs"));
        assert_ne!(base.1, esc.1);
    }

    #[test]
    fn asm_comments_do_not_reach_the_object() {
        let s = "#include \"textflag.h\"\n\n// func Add(a, b int64) int64\nTEXT ·Add(SB), NOSPLIT, $0-24\n\tRET\n";
        let build = |s: &str| {
            compile(&Source {
                import_path: "a",
                s_files: vec![("a.s", s.as_bytes())],
                ..Default::default()
            })
            .content()
        };
        assert_eq!(build(s), build(&s.replace("func Add", "func add")));
        assert_ne!(build(s), build(&s.replace("RET", "NOP\n\tRET")));
    }

    #[test]
    fn serialized_objects_round_trip() {
        let o = one(
            "u",
            &[("u.go", "package u\n\nfunc F() int { return 1 }\n")],
            vec![],
        );
        let bytes = o.to_bytes("aaaa/bbbb");
        let (id, back) = Object::parse(&bytes).unwrap();
        assert_eq!(id, "aaaa/bbbb");
        assert_eq!(back, o);
        assert_eq!(back.content(), o.content());
    }

    /// A dependency (two files, assembly, an embedded file, methods, inlinable bodies calling
    /// each other, escaping parameters, a closure) and its importer (an alias, an import map,
    /// selectors and method calls into the dependency, a loop under two `-lang`s), compiled:
    /// objects and fingerprints as the object model wrote them before its tables became sorted
    /// vectors (2026-11-27, printed by aa17d73's `compile`), byte for byte.
    fn pinned_objects() -> Vec<(&'static str, String)> {
        use crate::object::{compile, Dep, Source};
        let d1 = "package dep\n\nimport \"strings\"\n\ntype T struct{ n int }\n\ntype Kind int\n\nconst Max = 3\n\nvar Names, other []string\n\nfunc (t *T) Get() int { return t.n }\n\nfunc (t T) Name() string { return helper(t.n) }\n\nfunc helper(n int) string { return strings.Repeat(\"x\", n) }\n\nfunc Small() string { return \"s\" }\n\nfunc Calls() string { return Small() + helper(2) }\n\nfunc Keep(xs []string, p *T) *T {\n\tNames = append(Names[:0], xs...)\n\tf := func() int { return p.n }\n\t_ = f\n\treturn p\n}\n\n//go:noinline\nfunc Marked(k Kind) Kind { return k }\n\nfunc Loop(xs []int) (s int) {\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn\n}\n";
        let d2 = "package dep\n\nfunc (t *T) Set(n int) { t.n = n }\n\nfunc Deferred() { defer println() }\n\nfunc Leak(s *string) { Sink = s }\n\nvar Sink *string\n";
        let dep = compile(&Source {
            import_path: "example.com/m/dep",
            dir: "/m/dep",
            lang: "1.23",
            go_files: vec![("a.go", d1.as_bytes()), ("b.go", d2.as_bytes())],
            s_files: vec![("x.s", b"TEXT \xc2\xb7Add(SB), $0 // c\n\tRET\n".as_slice())],
            embed_files: vec![("e.txt", b"hello".as_slice())],
            ..Default::default()
        });
        let u1 = "package main\n\nimport (\n\td \"example.com/m/dep\"\n\t\"example.com/m/vend\"\n)\n\nfunc main() {\n\tvar t d.T\n\tt.Set(d.Max)\n\tprintln(d.Small(), d.Calls(), t.Get(), t.Name(), vend.V)\n}\n";
        let u2 = "package main\n\nimport dep \"example.com/m/dep\"\n\nfunc other() string {\n\tfor i := 0; i < 1; i++ {\n\t}\n\treturn dep.Small()\n}\n\nfunc Exported(x *int) *int { return x }\n";
        let deps = vec![Dep {
            import_path: "example.com/m/dep",
            name: "dep",
            export: &dep.export,
        }];
        let user = |lang: &'static str| {
            compile(&Source {
                import_path: "example.com/m",
                dir: "/m",
                lang,
                go_files: vec![("main.go", u1.as_bytes()), ("o.go", u2.as_bytes())],
                import_map: vec![(
                    "example.com/m/vend".into(),
                    "vendor/example.com/m/vend".into(),
                )],
                deps: deps.clone(),
                ..Default::default()
            })
        };
        let hex = |o: &crate::object::Object| crate::hash::Digest::of(&o.to_bytes("A/C")).to_hex();
        vec![
            ("dep", hex(&dep)),
            ("dep content", dep.content().to_hex()),
            ("dep api", dep.export.api.to_hex()),
            (
                "dep inline",
                dep.export
                    .inline
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("user", hex(&user("1.23"))),
            ("user 1.21", hex(&user("1.21"))),
        ]
    }

    proptest::proptest! {
        /// A table takes inserts, and `extend` (a sort and a merge), as a `BTreeMap` does:
        /// the same entries in the same order, the last value of a repeated key kept.
        #[test]
        fn keyed_is_a_map(
            first in proptest::collection::vec((0u8..20, 0u16..100), 0..40),
            then in proptest::collection::vec((0u8..20, 0u16..100), 0..40),
        ) {
            let mut map = std::collections::BTreeMap::new();
            let mut keyed = Keyed::new();
            for &(k, v) in &first {
                map.insert(format!("k{k}"), v);
                keyed.insert(format!("k{k}"), v);
            }
            let mut extended = keyed.clone();
            for &(k, v) in &then {
                map.insert(format!("k{k}"), v);
                keyed.insert(format!("k{k}"), v);
            }
            extended.extend(then.iter().map(|&(k, v)| (format!("k{k}"), v)).collect());
            let want: Vec<(&String, &u16)> = map.iter().collect();
            proptest::prop_assert_eq!(keyed.iter().collect::<Vec<_>>(), want.clone());
            proptest::prop_assert_eq!(extended.iter().collect::<Vec<_>>(), want);
            for k in 0..20u8 {
                let k = format!("k{k}");
                proptest::prop_assert_eq!(keyed.get(&k), map.get(&k));
            }
        }

        /// A `Names` takes inserts, removals and a whole vector (`from_vec`: a sort and a
        /// dedup) as a `BTreeSet<String>` does: the same answers, the same names in order.
        #[test]
        fn names_are_a_set(
            ops in proptest::collection::vec((proptest::bool::ANY, 0u8..20), 0..60),
            whole in proptest::collection::vec(0u8..20, 0..40),
        ) {
            let mut set = std::collections::BTreeSet::new();
            let mut names = Names::new();
            for &(add, k) in &ops {
                let k = format!("k{k}");
                match add {
                    true => proptest::prop_assert_eq!(names.insert(k.clone()), set.insert(k)),
                    false => proptest::prop_assert_eq!(names.remove(&k), set.remove(&k)),
                }
            }
            proptest::prop_assert_eq!(names.iter().collect::<Vec<_>>(), set.iter().collect::<Vec<_>>());
            proptest::prop_assert_eq!(names.len(), set.len());
            for k in 0..20u8 {
                let k = format!("k{k}");
                proptest::prop_assert_eq!(names.contains(&k), set.contains(&k));
            }
            let whole: Vec<String> = whole.iter().map(|k| format!("k{k}")).collect();
            let set: std::collections::BTreeSet<String> = whole.iter().cloned().collect();
            let names = Names::from_vec(whole);
            proptest::prop_assert_eq!(names.iter().collect::<Vec<_>>(), set.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn objects_are_pinned_byte_for_byte() {
        let want = [
            (
                "dep",
                "08d14ff1c31dcf8ec125ec85079fd7d81cf25456b485689d196b87ef2b4a1350",
            ),
            (
                "dep content",
                "3f6befbb37f11f1651a6e3ad65ae421620a463221b4cc4ae38c615c652295444",
            ),
            (
                "dep api",
                "8e88fd9ff633c02ed4ea860327166641459e13a2366dab040e56a6a61c327c54",
            ),
            (
                "dep inline",
                "Calls,Keep,Leak,Small,T.Get,T.Name,T.Set,helper",
            ),
            (
                "user",
                "efc4b1cef5874f76609d67a19e7e658ceb65876f243084c329bb0a9db7abf11a",
            ),
            (
                "user 1.21",
                "b5a79724df8db5476716ed9a0fb9c425e628065a09ae05587ffc355c6a85d200",
            ),
        ];
        let got = pinned_objects();
        let got: Vec<(&str, &str)> = got.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(got, want);
    }
}
