//! Go source file header scanning, as cmd/go's loader does it through go/build: the package
//! clause, the imports (alias, `.`, `_`, `import "C"`), the build constraint lines before the
//! package clause and the `//go:embed` patterns, with go's exact error messages and positions.
//!
//! It works in go/build's three steps. A byte-level *import reader* finds where the header ends
//! (just after the last import declaration); only that prefix is then lexed and parsed by a port
//! of go/scanner and of go/parser's `ImportsOnly` mode, so the errors are go/parser's own
//! (`expected ';', found ','`, `string literal not terminated`), sorted, first one reported. If
//! the import reader itself stumbles, the whole file is handed to the parser, as go does. Last,
//! when the file imports "embed", the whole file is searched for `//go:embed` lines. Nearly every
//! header has a plain shape (ASCII, line comments, simple imports) whose result the three steps
//! would only confirm: `scan_plain` reads those in one pass, and property tests hold the two
//! routes to the same answer.
//!
//! What it deliberately does not do: it does not parse anything after the imports (function
//! bodies, declarations: their errors belong to the compiler, see the `syntax3` oracle case), it
//! does not read `#cgo` lines, import comments, `//go:binary-only-package` or other `//go:`
//! directives, and it does not honour `//line` directives when computing positions. Identifier and
//! tag letters outside ASCII are judged with Rust's Unicode tables, which differ from Go's in a
//! few corners.

use crate::worded;
use std::borrow::Cow;
use std::fmt;

use crate::constraint::{self, ConstraintError, FileConstraints};

/// A position in a file: byte offset, 1-based line and 1-based byte column, as go prints them.
/// Offsets count from after a leading UTF-8 byte order mark, which go/build strips.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    pub offset: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One import spec, borrowing the file's bytes where it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import<'a> {
    /// The unquoted import path: a slice of the file when the literal needs no unquoting
    /// (nearly always), so that reading a workspace's headers copies no path (the loader
    /// keeps the file bytes for as long as it keeps the headers).
    pub path: Cow<'a, str>,
    /// `Some("x")` for `import x "p"`, `Some(".")` and `Some("_")` for dot and blank imports
    /// (`as_deref()` gives the text).
    pub alias: Option<ImportName>,
    /// go's import position (`ImportPos`): the alias if there is one, else the path literal.
    pub pos: Pos,
}

/// The name an import spec gives its package: `.`, `_` or an identifier. The two marks take no
/// heap string: blank imports are common, headers are scanned by the thousand (a 10,000-package
/// workspace has ~80,000 specs), and the loader, which reads every header, never looks at names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportName {
    Dot,
    Blank,
    Ident(String),
}

impl ImportName {
    pub fn as_str(&self) -> &str {
        match self {
            ImportName::Dot => ".",
            ImportName::Blank => "_",
            ImportName::Ident(s) => s,
        }
    }
}

impl From<&str> for ImportName {
    fn from(s: &str) -> Self {
        match s {
            "." => ImportName::Dot,
            "_" => ImportName::Blank,
            _ => ImportName::Ident(s.to_string()),
        }
    }
}

impl From<String> for ImportName {
    fn from(s: String) -> Self {
        match s.as_str() {
            "." => ImportName::Dot,
            "_" => ImportName::Blank,
            _ => ImportName::Ident(s),
        }
    }
}

impl std::ops::Deref for ImportName {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for ImportName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `//go:embed` pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embed {
    /// The pattern, unquoted.
    pub pattern: String,
    pub pos: Pos,
}

/// What go/build learns from the start of a Go file (its import paths may borrow the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHeader<'a> {
    /// The package name; `""` if the package clause could not be read.
    pub package: Cow<'a, str>,
    /// Position of the `package` keyword.
    pub package_pos: Pos,
    /// The imports, in source order. Empty when the header has an error, as in go.
    pub imports: Vec<Import<'a>>,
    /// The `//go:build` and `// +build` lines, or why they are malformed.
    pub constraints: Result<FileConstraints, ConstraintError>,
    /// `//go:embed` patterns (only looked for when the file imports "embed").
    pub embeds: Vec<Embed>,
    /// The file imports "C".
    pub is_cgo: bool,
    /// The first header error. go reports it only if the file is not excluded by constraints.
    pub error: Option<HeaderError>,
    /// How many bytes (after a BOM) go/build considers the header.
    pub header_len: usize,
}

/// A header error, rendered by [`HeaderError::render`] exactly as `go build` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// go/build could not read the file (`unexpected NUL in input`). Shown as `read DIR/FILE: msg`.
    Read { msg: String },
    /// A scanner or parser error (`expected 'package', found 'EOF'`). Shown as `FILE:L:C: msg`.
    Syntax { pos: Pos, msg: String },
    /// An import path go rejects. Shown as `DIR/FILE:L:C: invalid import path: PATH`.
    InvalidImportPath { pos: Pos, path: String },
}

impl HeaderError {
    /// The message as the go command prints it for file `name` in directory `dir`.
    pub fn render(&self, dir: &str, name: &str) -> String {
        worded(|| {
            let full = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            match self {
                HeaderError::Read { msg } => format!("read {full}: {msg}"),
                HeaderError::Syntax { pos, msg } => format!("{name}:{pos}: {msg}"),
                HeaderError::InvalidImportPath { pos, path } => {
                    format!("{full}:{pos}: invalid import path: {path}")
                }
            }
        })
    }

    pub fn pos(&self) -> Option<Pos> {
        match self {
            HeaderError::Read { .. } => None,
            HeaderError::Syntax { pos, .. } | HeaderError::InvalidImportPath { pos, .. } => {
                Some(*pos)
            }
        }
    }
}

/// Scans the header of the Go file `name`. Positions are relative to the file; the name only
/// appears in rendered errors, through [`HeaderError::render`].
pub fn scan<'a>(_name: &str, data: &'a [u8]) -> FileHeader<'a> {
    scan_into(data, Vec::new())
}

/// [`scan`] that puts the imports in `imports` (cleared first) and returns it as the header's:
/// a caller that scans thousands of headers passes the same vector back each time, instead of
/// allocating and growing one per file.
pub fn scan_into<'a>(data: &'a [u8], mut imports: Vec<Import<'a>>) -> FileHeader<'a> {
    let src = data.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(data);
    imports.clear();
    match scan_plain_into(src, &mut imports) {
        Some(header) => header,
        None => {
            imports.clear();
            scan_general_into(src, imports)
        }
    }
}

/// [`scan_general_into`] with a new vector (the tests compare it with [`scan_plain`]).
#[cfg(test)]
fn scan_general(src: &[u8]) -> FileHeader<'_> {
    scan_general_into(src, Vec::new())
}

/// [`scan`] in go/build's three steps: the import reader, the lexer and parser, the embeds;
/// the imports go in `imports` (empty).
fn scan_general_into<'a>(src: &'a [u8], imports: Vec<Import<'a>>) -> FileHeader<'a> {
    let mut r = ImportReader::new(src);
    r.read_go_info();

    let mut header = FileHeader {
        package: Cow::Borrowed(""),
        package_pos: Pos::default(),
        imports,
        constraints: Ok(FileConstraints::default()),
        embeds: Vec::new(),
        is_cgo: false,
        error: None,
        header_len: 0,
    };

    // The header: everything read but the byte that told the reader to stop; on a syntax error,
    // the whole file (so the parser reports what it would on the whole file).
    let mut head_len = r.rd;
    if r.err.is_none() && !r.eof {
        head_len -= 1;
    }
    if r.err == Some(ReadErr::Syntax) {
        r.err = None;
        while r.err.is_none() && !r.eof {
            r.read_byte();
        }
        head_len = r.rd;
    }
    header.header_len = head_len;
    if r.err == Some(ReadErr::Nul) {
        header.error = Some(HeaderError::Read {
            msg: "unexpected NUL in input".into(),
        });
        return header;
    }
    let head = &src[..head_len];
    header.constraints = constraint::file_constraints(head);

    let parsed = parse_header(head);
    header.package = Cow::Owned(parsed.package);
    header.package_pos = parsed.package_pos;
    if let Some(e) = parsed.error {
        header.error = Some(e);
        return header;
    }
    header.imports.reserve_exact(parsed.imports.len());
    for spec in parsed.imports {
        if let Some(path) = plain_import_path(head, spec.lit) {
            let pos = spec.pos();
            header.imports.push(Import {
                path: Cow::Borrowed(path),
                alias: spec.name.map(|(n, _)| ImportName::from(n)),
                pos,
            });
            continue;
        }
        let lit = lit_text(head, spec.lit);
        let raw = unquote(&lit);
        let path = match raw {
            Some(p) if is_valid_import(&p) => p,
            Some(p) => {
                header.error = Some(HeaderError::InvalidImportPath {
                    pos: spec.pos(),
                    path: String::from_utf8_lossy(&p).into_owned(),
                });
                header.imports.clear();
                return header;
            }
            None => {
                header.error = Some(HeaderError::Read {
                    msg: worded(|| format!("parser returned invalid quoted string: <{lit}>")),
                });
                return header;
            }
        };
        let pos = spec.pos();
        header.imports.push(Import {
            path: Cow::Owned(
                String::from_utf8(path)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
            alias: spec.name.map(|(n, _)| ImportName::from(n)),
            pos,
        });
    }
    header.is_cgo = header.imports.iter().any(|i| i.path == "C");
    if header.imports.iter().any(|i| i.path == "embed") {
        header.embeds = r.find_all_embeds();
    }
    header
}

// ---------------------------------------------------------------------------------------------
// The plain header: what the three steps above give, in one pass, for the shape nearly every
// file has.

/// [`scan_plain_into`] with a new vector (the tests compare it with [`scan_general`]).
#[cfg(test)]
fn scan_plain(src: &[u8]) -> Option<FileHeader<'_>> {
    scan_plain_into(src, &mut Vec::new())
}

/// [`scan`] of a file whose header has the plain shape nearly every Go file has, in one pass
/// (no import reader, lexer, positions table or `String` per token); `None` for any other file,
/// which then takes the general route ([`scan_general_into`]; a property test checks that both
/// give the same whenever this one answers).
///
/// The plain shape: printable ASCII, tabs and newlines only; `//` comments; `package NAME`;
/// import declarations, single or grouped, whose specs are an optional name or `.` and a path
/// literal that needs no unquoting ([`IMPORT_OK`] bytes only); each statement ended by a
/// newline, a `;`, a line comment, the end, or (inside a group) the `)`. Such a header has no
/// scanner or parser error, so go/parser's result is just its tokens; and the import reader,
/// whose grammar is laxer, stops where this does: at the first byte after the last declaration
/// and its blanks that is not `i`. Block comments, raw strings, escapes, stray semicolons,
/// carriage returns, non-ASCII, an error or an import of "embed" (whose search keeps the
/// reader's state) all go the general way.
///
/// The imports go in `imports` (empty), which the header takes if this answers.
fn scan_plain_into<'a>(src: &'a [u8], imports: &mut Vec<Import<'a>>) -> Option<FileHeader<'a>> {
    let (package, package_pos, header_len) = parse_plain_header(src, imports)?;
    let head = &src[..header_len];
    if imports.iter().any(|i| i.path == "embed") {
        return None;
    }
    Some(FileHeader {
        package: Cow::Borrowed(package),
        package_pos,
        is_cgo: imports.iter().any(|i| i.path == "C"),
        imports: std::mem::take(imports),
        constraints: constraint::file_constraints(head),
        embeds: Vec::new(),
        error: None,
        header_len,
    })
}

/// The package clause, the imports (into `imports`, empty) and the header's length (where
/// go/build's import reader stops) of a file with a plain header (see [`scan_plain_into`]);
/// `None` for any other. Every byte of the header is checked on the way: blanks, words, path
/// literals and punctuation by what they may be, comments by [`PlainCursor::skip_comment`].
fn parse_plain_header<'a>(
    src: &'a [u8],
    imports: &mut Vec<Import<'a>>,
) -> Option<(&'a str, Pos, usize)> {
    let mut c = PlainCursor {
        src,
        i: 0,
        line: 1,
        line_start: 0,
        spans: [(0, 0); PATH_SPANS],
        n_spans: 0,
    };
    c.skip_blank()?;
    let package_pos = c.pos(c.i);
    if c.word()? != "package" {
        return None;
    }
    c.skip_blank()?;
    let package = c.name()?;
    if !c.semi() {
        return None;
    }
    loop {
        c.skip_blank()?;
        match c.peek() {
            None => {
                c.fill_paths(imports)?;
                return Some((package, package_pos, src.len()));
            }
            Some(b'i') => {}
            // The reader would skip these (or fail on NUL) and read on.
            Some(0 | 0x0c | b'\r' | b';') => return None,
            // Where the reader stops: the header is everything before.
            Some(_) => {
                c.fill_paths(imports)?;
                return Some((package, package_pos, c.i));
            }
        }
        if c.word()? != "import" {
            return None;
        }
        c.skip_blank()?;
        if c.peek() == Some(b'(') {
            c.i += 1;
            // A group usually lists several: one allocation for a typical one.
            imports.reserve(8);
            loop {
                c.skip_blank()?;
                if c.peek() == Some(b')') {
                    break;
                }
                imports.push(c.spec()?);
                c.skip_spaces();
                if c.peek() == Some(b')') {
                    break;
                }
                if !c.semi() {
                    return None;
                }
            }
            c.i += 1;
        } else {
            imports.push(c.spec()?);
        }
        if !c.semi() {
            return None;
        }
    }
}

/// How many import paths [`PlainCursor`] keeps as spans, to be turned into text at once.
const PATH_SPANS: usize = 16;

/// A cursor over a plain header (see [`parse_plain_header`]), counting lines as it goes.
struct PlainCursor<'a> {
    src: &'a [u8],
    i: usize,
    line: usize,
    line_start: usize,
    /// Where the first [`PATH_SPANS`] import paths are: their text is taken in
    /// [`PlainCursor::fill_paths`], after one UTF-8 check of the header that holds them all,
    /// rather than one check per path (a header's specs are many and short).
    spans: [(usize, usize); PATH_SPANS],
    n_spans: usize,
}

impl<'a> PlainCursor<'a> {
    /// Sets the paths of the first imports, which [`PlainCursor::spec`] left as spans. Every
    /// byte read is printable ASCII, so the check passes; `None` (the general route) if not.
    fn fill_paths(&self, imports: &mut [Import<'a>]) -> Option<()> {
        let Some(&(_, end)) = self.spans[..self.n_spans].last() else {
            return Some(());
        };
        let text = std::str::from_utf8(&self.src[..end]).ok()?;
        for (imp, &(s, e)) in imports.iter_mut().zip(&self.spans[..self.n_spans]) {
            imp.path = Cow::Borrowed(&text[s..e]);
        }
        Some(())
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.i).copied()
    }

    /// The position of `offset`, on the current line.
    fn pos(&self, offset: usize) -> Pos {
        Pos {
            line: self.line,
            col: offset - self.line_start + 1,
            offset,
        }
    }

    fn newline(&mut self) {
        self.i += 1;
        self.line += 1;
        self.line_start = self.i;
    }

    /// Past spaces and tabs.
    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// Past the rest of a `//` comment, its newline included; `None` if it holds anything but
    /// printable ASCII and tabs.
    fn skip_comment(&mut self) -> Option<()> {
        let rest = &self.src[self.i..];
        let n = printable_run(rest);
        self.i += n;
        match rest.get(n) {
            None => Some(()),
            Some(b'\n') => {
                self.newline();
                Some(())
            }
            Some(_) => None,
        }
    }

    /// Past blanks, newlines and `//` comments where no semicolon can be inserted (the last
    /// token was not one that ends a statement). `None` at a `/` that starts no line comment.
    fn skip_blank(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.i += 1,
                Some(b'\n') => self.newline(),
                Some(b'/') if self.src.get(self.i + 1) == Some(&b'/') => self.skip_comment()?,
                Some(b'/') => return None,
                _ => return Some(()),
            }
        }
    }

    /// Past the end of a statement, where go reads or inserts a semicolon: after blanks, a `;`,
    /// a newline, a line comment or the end of the header.
    fn semi(&mut self) -> bool {
        self.skip_spaces();
        match self.peek() {
            None => true,
            Some(b';') => {
                self.i += 1;
                true
            }
            Some(b'\n') => {
                self.newline();
                true
            }
            Some(b'/') if self.src.get(self.i + 1) == Some(&b'/') => self.skip_comment().is_some(),
            _ => false,
        }
    }

    /// An ASCII identifier or keyword.
    fn word(&mut self) -> Option<&'a str> {
        let start = self.i;
        let rest = &self.src[start..];
        if !rest.first()?.is_ascii_alphabetic() && rest[0] != b'_' {
            return None;
        }
        let len = rest
            .iter()
            .position(|&b| !b.is_ascii_alphanumeric() && b != b'_')
            .unwrap_or(rest.len());
        self.i += len;
        // Printable ASCII only: the bytes are UTF-8.
        std::str::from_utf8(&rest[..len]).ok()
    }

    /// An identifier that is not a keyword.
    fn name(&mut self) -> Option<&'a str> {
        self.word().filter(|w| keyword(w.as_bytes()).is_none())
    }

    /// An import spec: an optional name or `.`, then a plain path literal.
    fn spec(&mut self) -> Option<Import<'a>> {
        let start = self.i;
        let alias = match self.peek()? {
            b'"' => None,
            b'.' => {
                self.i += 1;
                Some(ImportName::Dot)
            }
            // A blank import (`_` alone is an identifier, never a keyword).
            b'_' if !self
                .src
                .get(self.i + 1)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                self.i += 1;
                Some(ImportName::Blank)
            }
            _ => Some(ImportName::from(self.name()?)),
        };
        if alias.is_some() {
            self.skip_spaces();
        }
        let lit_start = self.i;
        if self.peek()? != b'"' {
            return None;
        }
        let body = &self.src[lit_start + 1..];
        let len = body.iter().position(|&b| !IMPORT_PATH_BYTE[b as usize])?;
        if len == 0 || body[len] != b'"' {
            return None;
        }
        self.i = lit_start + len + 2;
        let pos = self.pos(if alias.is_some() { start } else { lit_start });
        let path = if self.n_spans < PATH_SPANS {
            self.spans[self.n_spans] = (lit_start + 1, lit_start + 1 + len);
            self.n_spans += 1;
            ""
        } else {
            std::str::from_utf8(&body[..len]).ok()?
        };
        Some(Import {
            path: Cow::Borrowed(path),
            alias,
            pos,
        })
    }
}

/// How many bytes `b` starts with that are printable ASCII or tabs (what a plain comment may
/// hold). Eight bytes at a time while none is below 0x20 or above 0x7e (comments are the
/// longest runs of a header: license blocks, doc comments), byte by byte around the others.
fn printable_run(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let plain = |c: u8| c == b'\t' || (0x20..=0x7e).contains(&c);
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // Some byte is below 0x20 (the borrow of `x - 0x20` reaches the high bit of a byte
        // whose own high bit is clear), or above 0x7e (adding 1 reaches it, or it is set).
        let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let above = (x.wrapping_add(ONES) | x) & HIGH;
        if below | above == 0 {
            i += 8;
            continue;
        }
        match chunk.iter().position(|&c| !plain(c)) {
            Some(k) => return i + k,
            None => i += 8,
        }
    }
    i + b[i..]
        .iter()
        .position(|&c| !plain(c))
        .unwrap_or(b.len() - i)
}

/// Reads the leading comments of a non-Go source file (`.s`, `.c`, ...) and their constraint
/// lines, as go/build's `readComments`. A reader error makes go skip the constraint check, so
/// it leaves the constraints empty.
pub fn scan_comments(data: &[u8]) -> FileHeader<'static> {
    let src = data.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(data);
    let mut r = ImportReader::new(src);
    r.peek_byte(true);
    let mut len = r.rd;
    if r.err.is_none() && !r.eof {
        len -= 1;
    }
    let (constraints, error) = match r.err {
        None => (constraint::file_constraints(&src[..len]), None),
        Some(e) => (
            Ok(FileConstraints::default()),
            Some(HeaderError::Read {
                msg: match e {
                    ReadErr::Nul => "unexpected NUL in input".into(),
                    ReadErr::Syntax => "syntax error".into(),
                },
            }),
        ),
    };
    FileHeader {
        package: Cow::Borrowed(""),
        package_pos: Pos::default(),
        imports: Vec::new(),
        constraints,
        embeds: Vec::new(),
        is_cgo: false,
        error,
        header_len: len,
    }
}

// ---------------------------------------------------------------------------------------------
// The import reader (go/build's read.go): finds the end of the header at byte level.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReadErr {
    Syntax,
    Nul,
}

struct ImportReader<'a> {
    src: &'a [u8],
    /// Bytes read so far (go's `buf` is always `src[..rd]`).
    rd: usize,
    peek: u8,
    err: Option<ReadErr>,
    eof: bool,
    /// The unbuffered cursor of the embed search, which starts over from the file's beginning.
    nb: usize,
    line: usize,
    col: usize,
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl<'a> ImportReader<'a> {
    fn new(src: &'a [u8]) -> Self {
        ImportReader {
            src,
            rd: 0,
            peek: 0,
            err: None,
            eof: false,
            nb: 0,
            line: 1,
            col: 1,
        }
    }

    fn syntax_error(&mut self) {
        if self.err.is_none() {
            self.err = Some(ReadErr::Syntax);
        }
    }

    fn read_byte(&mut self) -> u8 {
        if self.rd < self.src.len() {
            let c = self.src[self.rd];
            self.rd += 1;
            if c != 0 {
                return c;
            }
            if self.err.is_none() {
                self.err = Some(ReadErr::Nul);
            }
        } else {
            self.eof = true;
        }
        0
    }

    /// The rest of a `//` comment, as calling [`ImportReader::read_byte`] until it returns a
    /// newline, a NUL or the end would, in one search (header comments are long and many).
    fn skip_line_comment(&mut self) {
        let rest = &self.src[self.rd..];
        match rest.iter().position(|&b| b == b'\n' || b == 0) {
            Some(i) => {
                self.rd += i + 1;
                if rest[i] == 0 && self.err.is_none() {
                    self.err = Some(ReadErr::Nul);
                }
            }
            None => {
                self.rd = self.src.len();
                self.eof = true;
            }
        }
    }

    fn read_byte_no_buf(&mut self) -> u8 {
        let c;
        if self.nb < self.rd {
            c = self.src[self.nb];
            self.nb += 1;
        } else if self.rd < self.src.len() {
            c = self.src[self.rd];
            self.rd += 1;
            self.nb = self.rd;
            if c == 0 {
                if self.err.is_none() {
                    self.err = Some(ReadErr::Nul);
                }
                return 0;
            }
        } else {
            self.eof = true;
            return 0;
        }
        if c == b'\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        c
    }

    fn peek_byte(&mut self, skip_space: bool) -> u8 {
        if self.err.is_some() {
            return 0;
        }
        let mut c = self.peek;
        if c == 0 {
            c = self.read_byte();
        }
        while self.err.is_none() && !self.eof {
            if skip_space {
                match c {
                    b' ' | 0x0c | b'\t' | b'\r' | b'\n' | b';' => {
                        c = self.read_byte();
                        continue;
                    }
                    b'/' => {
                        c = self.read_byte();
                        if c == b'/' {
                            self.skip_line_comment();
                        } else if c == b'*' {
                            let mut c1 = 0u8;
                            while (c != b'*' || c1 != b'/') && self.err.is_none() {
                                if self.eof {
                                    self.syntax_error();
                                }
                                c = c1;
                                c1 = self.read_byte();
                            }
                        } else {
                            self.syntax_error();
                        }
                        c = self.read_byte();
                        continue;
                    }
                    _ => {}
                }
            }
            break;
        }
        self.peek = c;
        c
    }

    fn next_byte(&mut self, skip_space: bool) -> u8 {
        let c = self.peek_byte(skip_space);
        self.peek = 0;
        c
    }

    fn read_keyword(&mut self, kw: &[u8]) {
        self.peek_byte(true);
        for &k in kw {
            if self.next_byte(false) != k {
                self.syntax_error();
                return;
            }
        }
        if is_ident_byte(self.peek_byte(false)) {
            self.syntax_error();
        }
    }

    fn read_ident(&mut self) {
        let c = self.peek_byte(true);
        if !is_ident_byte(c) {
            self.syntax_error();
            return;
        }
        while is_ident_byte(self.peek_byte(false)) {
            self.peek = 0;
        }
    }

    fn read_string(&mut self) {
        match self.next_byte(true) {
            b'`' => {
                while self.err.is_none() {
                    if self.next_byte(false) == b'`' {
                        break;
                    }
                    if self.eof {
                        self.syntax_error();
                    }
                }
            }
            b'"' => {
                if self.err.is_none() {
                    // Bytes the loop below would only step over, in one search.
                    let rest = &self.src[self.rd..];
                    self.rd += rest
                        .iter()
                        .position(|&b| matches!(b, b'"' | b'\\' | b'\n' | 0))
                        .unwrap_or(rest.len());
                }
                while self.err.is_none() {
                    let c = self.next_byte(false);
                    if c == b'"' {
                        break;
                    }
                    if self.eof || c == b'\n' {
                        self.syntax_error();
                    }
                    if c == b'\\' {
                        self.next_byte(false);
                    }
                }
            }
            _ => self.syntax_error(),
        }
    }

    fn read_import(&mut self) {
        let c = self.peek_byte(true);
        if c == b'.' {
            self.peek = 0;
        } else if is_ident_byte(c) {
            self.read_ident();
        }
        self.read_string();
    }

    fn read_go_info(&mut self) {
        self.read_keyword(b"package");
        self.read_ident();
        while self.peek_byte(true) == b'i' {
            self.read_keyword(b"import");
            if self.peek_byte(true) == b'(' {
                self.next_byte(false);
                while self.peek_byte(true) != b')' && self.err.is_none() {
                    self.read_import();
                }
                self.next_byte(false);
            } else {
                self.read_import();
            }
        }
    }

    /// Advances to just after the next `//go:embed` plus one space or tab at the start of a
    /// line (go/build's `findEmbed`).
    fn find_embed(&mut self, first: bool) -> bool {
        let mut start_line = !first;
        while self.err.is_none() && !self.eof {
            let mut c = self.read_byte_no_buf();
            // `continue 'reswitch` is go's `goto Reswitch`: dispatch on `c` again.
            'reswitch: loop {
                match c {
                    b'\n' => start_line = true,
                    b' ' | b'\t' => {}
                    b'"' | b'\'' => {
                        let quote = c;
                        start_line = false;
                        while self.err.is_none() {
                            if self.eof {
                                self.syntax_error();
                            }
                            c = self.read_byte_no_buf();
                            if c == b'\\' {
                                self.read_byte_no_buf();
                                if self.err.is_some() {
                                    self.syntax_error();
                                    return false;
                                }
                                continue;
                            }
                            if c == quote {
                                c = self.read_byte_no_buf();
                                continue 'reswitch;
                            }
                        }
                        if quote == b'"' {
                            continue 'reswitch;
                        }
                    }
                    b'`' => {
                        start_line = false;
                        while self.err.is_none() {
                            if self.eof {
                                self.syntax_error();
                            }
                            c = self.read_byte_no_buf();
                            if c == b'`' {
                                c = self.read_byte_no_buf();
                                continue 'reswitch;
                            }
                        }
                    }
                    b'/' => {
                        c = self.read_byte_no_buf();
                        match c {
                            b'*' => {
                                let mut c1 = 0u8;
                                while (c != b'*' || c1 != b'/') && self.err.is_none() {
                                    if self.eof {
                                        self.syntax_error();
                                    }
                                    c = c1;
                                    c1 = self.read_byte_no_buf();
                                }
                                start_line = false;
                            }
                            b'/' => {
                                let mut skip = !start_line;
                                if start_line {
                                    for &want in b"go:embed" {
                                        c = self.read_byte_no_buf();
                                        if c != want {
                                            skip = true;
                                            break;
                                        }
                                    }
                                    if !skip {
                                        c = self.read_byte_no_buf();
                                        if c == b' ' || c == b'\t' {
                                            return true;
                                        }
                                    }
                                }
                                while c != b'\n' && self.err.is_none() && !self.eof {
                                    c = self.read_byte_no_buf();
                                }
                                start_line = true;
                            }
                            _ => {
                                start_line = false;
                                continue 'reswitch;
                            }
                        }
                    }
                    _ => start_line = false,
                }
                break;
            }
        }
        false
    }

    fn find_all_embeds(&mut self) -> Vec<Embed> {
        let mut out = Vec::new();
        let mut first = true;
        while self.find_embed(first) {
            first = false;
            let pos = Pos {
                line: self.line,
                col: self.col,
                offset: self.nb,
            };
            let mut line = Vec::new();
            loop {
                let c = self.read_byte_no_buf();
                if c == b'\n' || self.err.is_some() || self.eof {
                    break;
                }
                line.push(c);
            }
            // Badly formed lines are ignored: the compiler reports them.
            if let Some(list) = parse_go_embed(&String::from_utf8_lossy(&line), pos) {
                out.extend(list);
            }
        }
        out
    }
}

/// Parses the text after `//go:embed `: space-separated patterns, or Go string literals.
fn parse_go_embed(args: &str, mut pos: Pos) -> Option<Vec<Embed>> {
    let mut args = args;
    let trim = |args: &mut &str, pos: &mut Pos, n: usize| {
        pos.offset += n;
        pos.col += args[..n].chars().count();
        *args = &args[n..];
    };
    let mut list = Vec::new();
    loop {
        let n = args.len() - args.trim_start().len();
        trim(&mut args, &mut pos, n);
        if args.is_empty() {
            break;
        }
        let path_pos = pos;
        let path: String;
        match args.as_bytes()[0] {
            b'`' => {
                let end = args[1..].find('`')?;
                path = args[1..1 + end].to_string();
                trim(&mut args, &mut pos, end + 2);
            }
            b'"' => {
                let b = args.as_bytes();
                let mut i = 1;
                let mut found = None;
                while i < b.len() {
                    if b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == b'"' {
                        found = Some(i);
                        break;
                    }
                    i += 1;
                }
                let i = found?;
                let q = unquote(&args[..i + 1])?;
                path = String::from_utf8(q).ok()?;
                trim(&mut args, &mut pos, i + 1);
            }
            _ => {
                let i = args.find(char::is_whitespace).unwrap_or(args.len());
                path = args[..i].to_string();
                trim(&mut args, &mut pos, i);
            }
        }
        if let Some(c) = args.chars().next() {
            if !c.is_whitespace() {
                return None;
            }
        }
        list.push(Embed {
            pattern: path,
            pos: path_pos,
        });
    }
    Some(list)
}

// ---------------------------------------------------------------------------------------------
// Import path checks (go/build's isValidImport) and string unquoting (strconv.Unquote).

fn is_graphic(c: char) -> bool {
    // Go's unicode.IsGraphic: letters, marks, numbers, punctuation, symbols and spaces (Zs).
    // Approximated: everything but controls, format characters and private use.
    !(c.is_control()
        || matches!(c as u32,
            0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E
            | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xF0000..)
        || c == '\u{FFFD}')
}

/// The ASCII bytes allowed in an import path: printable, not a space, not in go/build's
/// illegal characters (which include the quote and the backslash).
const IMPORT_OK: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0x21;
    while b < 0x7f {
        t[b] = true;
        b += 1;
    }
    let ill = IMPORT_ILLEGAL.as_bytes();
    let mut i = 0;
    while i < ill.len() {
        if ill[i] < 0x80 {
            t[ill[i] as usize] = false;
        }
        i += 1;
    }
    t
};

/// [`IMPORT_OK`] over all 256 byte values (none from 0x80): one load per byte of a path.
static IMPORT_PATH_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = IMPORT_OK[b];
        b += 1;
    }
    t
};

const IMPORT_ILLEGAL: &str = "!\"#$%&'()*,:;<=>?[\\]^{|}`\u{FFFD}";

/// The import path of the literal `lit`, when it is an interpreted string whose every byte is
/// allowed in a path: then it has no escape (no backslash), is ASCII and is valid, so the
/// generic route (text, [`unquote`], [`is_valid_import`], UTF-8 check) would give its bytes as
/// they are. Nearly every import is such a literal; `None` sends the others down that route.
fn plain_import_path(src: &[u8], lit: Lit) -> Option<&str> {
    let Lit::Src { start, end } = lit else {
        return None;
    };
    let body = src
        .get(start..end)?
        .strip_prefix(b"\"")?
        .strip_suffix(b"\"")?;
    if body.is_empty() || !body.iter().all(|&b| b < 0x80 && IMPORT_OK[b as usize]) {
        return None;
    }
    std::str::from_utf8(body).ok()
}

fn is_valid_import(path: &[u8]) -> bool {
    if path.is_ascii() {
        // The common case, without decoding.
        return !path.is_empty() && path.iter().all(|&b| IMPORT_OK[b as usize]);
    }
    !path.is_empty()
        && String::from_utf8_lossy(path)
            .chars()
            .all(|c| is_graphic(c) && !c.is_whitespace() && !IMPORT_ILLEGAL.contains(c))
}

/// Unquotes a Go string literal (interpreted or raw) into bytes; `None` if malformed.
pub fn unquote(lit: &str) -> Option<Vec<u8>> {
    let b = lit.as_bytes();
    if b.len() < 2 {
        return None;
    }
    let (q, body) = (b[0], &lit[1..lit.len() - 1]);
    if b[b.len() - 1] != q {
        return None;
    }
    match q {
        b'`' => (!body.contains('`')).then(|| body.replace('\r', "").into_bytes()),
        b'"' => {
            let bs = body.as_bytes();
            if !bs.iter().any(|&c| matches!(c, b'\\' | b'"' | b'\n')) {
                // No escapes (every import path in practice): the body as it is.
                return Some(bs.to_vec());
            }
            let mut out = Vec::with_capacity(bs.len());
            let mut i = 0;
            while i < bs.len() {
                let c = bs[i];
                if c == b'"' || c == b'\n' {
                    return None;
                }
                if c != b'\\' {
                    out.push(c);
                    i += 1;
                    continue;
                }
                let e = *bs.get(i + 1)?;
                i += 2;
                let simple = match e {
                    b'a' => Some(7),
                    b'b' => Some(8),
                    b'f' => Some(12),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    b'v' => Some(11),
                    b'\\' => Some(b'\\'),
                    b'"' => Some(b'"'),
                    _ => None,
                };
                if let Some(s) = simple {
                    out.push(s);
                    continue;
                }
                let (n, base) = match e {
                    b'0'..=b'7' => {
                        i -= 1;
                        (3, 8)
                    }
                    b'x' => (2, 16),
                    b'u' => (4, 16),
                    b'U' => (8, 16),
                    _ => return None,
                };
                let digits = bs.get(i..i + n)?;
                let s = std::str::from_utf8(digits).ok()?;
                let v = u32::from_str_radix(s, base).ok()?;
                i += n;
                match e {
                    b'x' => out.push(v as u8),
                    b'0'..=b'7' => out.push(u8::try_from(v).ok()?),
                    _ => {
                        let c = char::from_u32(v)?;
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                }
            }
            Some(out)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The lexer: a port of go/scanner.

/// A token kind. Operators and keywords carry their spelling, which is also what go prints
/// in `found '...'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Eof,
    Illegal,
    Comment,
    Ident,
    Int,
    Float,
    Imag,
    Char,
    String,
    Op(&'static str),
    Keyword(&'static str),
}

impl Tok {
    fn is_literal(self) -> bool {
        matches!(
            self,
            Tok::Ident | Tok::Int | Tok::Float | Tok::Imag | Tok::Char | Tok::String
        )
    }

    /// go's `token.Token.String()`.
    pub fn name(self) -> &'static str {
        match self {
            Tok::Eof => "EOF",
            Tok::Illegal => "ILLEGAL",
            Tok::Comment => "COMMENT",
            Tok::Ident => "IDENT",
            Tok::Int => "INT",
            Tok::Float => "FLOAT",
            Tok::Imag => "IMAG",
            Tok::Char => "CHAR",
            Tok::String => "STRING",
            Tok::Op(s) | Tok::Keyword(s) => s,
        }
    }
}

/// go/token's keywords: what [`keyword`] must recognise, and nothing else.
#[cfg(test)]
const KEYWORDS: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

/// The keyword spelled `word`, if it is one: the candidates sharing its first letter, so that
/// an identifier is compared with at most four keywords instead of all 25 (every identifier
/// of every header goes through here).
fn keyword(word: &[u8]) -> Option<&'static str> {
    let candidates: &[&'static str] = match word.first()? {
        b'b' => &["break"],
        b'c' => &["case", "chan", "const", "continue"],
        b'd' => &["default", "defer"],
        b'e' => &["else"],
        b'f' => &["fallthrough", "for", "func"],
        b'g' => &["go", "goto"],
        b'i' => &["if", "import", "interface"],
        b'm' => &["map"],
        b'p' => &["package"],
        b'r' => &["range", "return"],
        b's' => &["select", "struct", "switch"],
        b't' => &["type"],
        b'v' => &["var"],
        _ => return None,
    };
    candidates.iter().copied().find(|k| k.as_bytes() == word)
}

/// The bytes [`Lexer::skip_plain`] may step over in one kind of run: plain ASCII (not NUL, not a
/// newline: they raise errors or start lines) that does not end the run.
struct PlainBytes([bool; 256]);

impl PlainBytes {
    /// Plain ASCII but the bytes in `stops`; with `ident`, only identifier bytes.
    const fn new(stops: &[u8], ident: bool) -> PlainBytes {
        let mut t = [false; 256];
        let mut b = 1;
        while b < 0x80 {
            let c = b as u8;
            t[b] = c != b'\n' && (!ident || c.is_ascii_alphanumeric() || c == b'_');
            b += 1;
        }
        let mut i = 0;
        while i < stops.len() {
            t[stops[i] as usize] = false;
            i += 1;
        }
        PlainBytes(t)
    }
}

/// Inside a `//` comment: everything plain.
static PLAIN_COMMENT: PlainBytes = PlainBytes::new(&[], false);
/// Inside an interpreted string: up to the closing quote or an escape.
static PLAIN_STRING: PlainBytes = PlainBytes::new(b"\"\\", false);
/// Inside an identifier: ASCII letters, digits and `_`.
static PLAIN_IDENT: PlainBytes = PlainBytes::new(&[], true);

const EOF: i32 = -1;
const BOM: i32 = 0xFEFF;

/// A token with its byte offset and literal text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub offset: usize,
    pub tok: Tok,
    pub lit: String,
}

/// A token's literal text as the lexer found it, without a copy: a span of the source (turned
/// into text only when someone asks), a fixed spelling, or one illegal character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lit {
    /// No literal (operators, EOF).
    None,
    /// A fixed spelling: `"\n"` for an automatic semicolon, `";"`.
    Static(&'static str),
    /// `src[start..end]`, decoded lossily as UTF-8.
    Src { start: usize, end: usize },
    /// A raw string literal `src[start..end]`: as `Src`, with carriage returns removed.
    Raw { start: usize, end: usize },
    /// An illegal character.
    Char(char),
}

/// A token with its byte offset and its literal still in the source ([`Lexer::next_token`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawToken {
    pub offset: usize,
    pub tok: Tok,
    pub lit: Lit,
}

/// go/scanner in `ScanComments` mode with automatic semicolons. Errors are appended to the
/// caller's list as `(offset, message)`.
pub struct Lexer<'a> {
    src: &'a [u8],
    ch: i32,
    offset: usize,
    rd_offset: usize,
    line_offset: usize,
    insert_semi: bool,
    nl_pos: Option<usize>,
    /// Take [`Lexer::skip_plain`]'s shortcut (off only in tests, to check it changes nothing).
    fast: bool,
}

fn decode(b: &[u8]) -> (i32, usize) {
    let window = &b[..b.len().min(4)];
    let valid = match std::str::from_utf8(window) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&window[..e.valid_up_to()]).unwrap_or(""),
    };
    match valid.chars().next() {
        Some(c) => (c as i32, c.len_utf8()),
        None => (0xFFFD, 1),
    }
}

fn is_letter(ch: i32) -> bool {
    match u8::try_from(ch) {
        Ok(b) if b < 0x80 => b.is_ascii_alphabetic() || b == b'_',
        _ => ch >= 0x80 && char::from_u32(ch as u32).is_some_and(char::is_alphabetic),
    }
}

fn is_digit(ch: i32) -> bool {
    is_decimal(ch) || ch >= 0x80 && char::from_u32(ch as u32).is_some_and(char::is_numeric)
}

fn is_decimal(ch: i32) -> bool {
    (b'0' as i32..=b'9' as i32).contains(&ch)
}

fn lower(ch: i32) -> i32 {
    (b'a' as i32 - b'A' as i32) | ch
}

fn is_hex(ch: i32) -> bool {
    is_decimal(ch) || (b'a' as i32..=b'f' as i32).contains(&lower(ch))
}

fn digit_val(ch: i32) -> u32 {
    if is_decimal(ch) {
        (ch - b'0' as i32) as u32
    } else if (b'a' as i32..=b'f' as i32).contains(&lower(ch)) {
        (lower(ch) - b'a' as i32 + 10) as u32
    } else {
        16
    }
}

fn quote_rune(ch: i32) -> String {
    // Go's %q of a rune.
    match char::from_u32(ch as u32) {
        Some('\'') => "'\\''".into(),
        Some('\\') => "'\\\\'".into(),
        Some(c) if !c.is_control() && is_graphic(c) => format!("'{c}'"),
        Some('\n') => "'\\n'".into(),
        Some('\t') => "'\\t'".into(),
        Some('\r') => "'\\r'".into(),
        Some(c) if (c as u32) < 0x80 => format!("'\\x{:02x}'", c as u32),
        Some(c) if (c as u32) < 0x10000 => format!("'\\u{:04x}'", c as u32),
        Some(c) => format!("'\\U{:08x}'", c as u32),
        None => "'\u{FFFD}'".into(),
    }
}

fn sharp_u(ch: i32) -> String {
    // Go's %#U: U+0040 '@'
    let c = char::from_u32(ch as u32).unwrap_or('\u{FFFD}');
    if is_graphic(c) && !c.is_control() {
        format!("U+{:04X} '{c}'", ch)
    } else {
        format!("U+{:04X}", ch)
    }
}

fn litname(prefix: u8) -> &'static str {
    match prefix {
        b'x' => "hexadecimal literal",
        b'o' | b'0' => "octal literal",
        b'b' => "binary literal",
        _ => "decimal literal",
    }
}

fn invalid_sep(x: &[u8]) -> Option<usize> {
    let mut x1 = b' ';
    let mut d = b'.';
    let mut i = 0;
    if x.len() >= 2 && x[0] == b'0' {
        x1 = x[1] | 0x20;
        if x1 == b'x' || x1 == b'o' || x1 == b'b' {
            d = b'0';
            i = 2;
        }
    }
    while i < x.len() {
        let p = d;
        d = x[i];
        if d == b'_' {
            if p != b'0' {
                return Some(i);
            }
        } else if d.is_ascii_digit() || x1 == b'x' && d.is_ascii_hexdigit() {
            d = b'0';
        } else {
            if p == b'_' {
                return Some(i - 1);
            }
            d = b'.';
        }
        i += 1;
    }
    if d == b'_' {
        return Some(x.len() - 1);
    }
    None
}

/// `bytes` as text, invalid UTF-8 replaced as go's conversion does. Checked with
/// `str::from_utf8` first: literals are almost always valid, and its ASCII path is several
/// times faster than the lossy decoder's chunk iterator on every token.
fn utf8_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A literal's text in `src` (see [`Lexer::lit_text`]).
fn lit_text(src: &[u8], lit: Lit) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match lit {
        Lit::None => Cow::Borrowed(""),
        Lit::Static(s) => Cow::Borrowed(s),
        Lit::Src { start, end } => utf8_text(&src[start..end]),
        Lit::Raw { start, end } => {
            let t = utf8_text(&src[start..end]);
            if t.contains('\r') {
                Cow::Owned(t.replace('\r', ""))
            } else {
                t
            }
        }
        Lit::Char(c) => Cow::Owned(c.to_string()),
    }
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], errs: &mut Vec<(usize, String)>) -> Self {
        let mut s = Lexer {
            src,
            ch: b' ' as i32,
            offset: 0,
            rd_offset: 0,
            line_offset: 0,
            insert_semi: false,
            nl_pos: None,
            fast: true,
        };
        s.next(errs);
        if s.ch == BOM {
            s.next(errs);
        }
        s
    }

    fn next(&mut self, errs: &mut Vec<(usize, String)>) {
        if self.rd_offset < self.src.len() {
            self.offset = self.rd_offset;
            if self.ch == b'\n' as i32 {
                self.line_offset = self.offset;
            }
            let mut r = self.src[self.rd_offset] as i32;
            let mut w = 1;
            if r == 0 {
                errs.push((self.offset, "illegal character NUL".into()));
            } else if r >= 0x80 {
                (r, w) = decode(&self.src[self.rd_offset..]);
                if r == 0xFFFD && w == 1 {
                    errs.push((self.offset, "illegal UTF-8 encoding".into()));
                } else if r == BOM && self.offset > 0 {
                    errs.push((self.offset, "illegal byte order mark".into()));
                }
            }
            self.rd_offset += w;
            self.ch = r;
        } else {
            self.offset = self.src.len();
            if self.ch == b'\n' as i32 {
                self.line_offset = self.offset;
            }
            self.ch = EOF;
        }
    }

    fn peek(&self) -> u8 {
        self.src.get(self.rd_offset).copied().unwrap_or(0)
    }

    /// The literal's text, as go's scanner would have returned it.
    pub fn lit_text(&self, lit: Lit) -> std::borrow::Cow<'a, str> {
        lit_text(self.src, lit)
    }

    /// The span from `from` to the current offset.
    fn span(&self, from: usize) -> Lit {
        Lit::Src {
            start: from,
            end: self.offset,
        }
    }

    fn scan_comment(&mut self, errs: &mut Vec<(usize, String)>) -> (Lit, usize) {
        let offs = self.offset - 1;
        let mut nl_offset = 0;
        if self.ch == b'/' as i32 {
            self.next(errs);
            while self.ch != b'\n' as i32 && self.ch >= 0 {
                self.skip_plain(&PLAIN_COMMENT, errs);
                if self.ch == b'\n' as i32 || self.ch < 0 {
                    break;
                }
                self.next(errs);
            }
        } else {
            self.next(errs);
            let mut closed = false;
            while self.ch >= 0 {
                let ch = self.ch;
                if ch == b'\n' as i32 && nl_offset == 0 {
                    nl_offset = self.offset;
                }
                self.next(errs);
                if ch == b'*' as i32 && self.ch == b'/' as i32 {
                    self.next(errs);
                    closed = true;
                    break;
                }
            }
            if !closed {
                errs.push((offs, "comment not terminated".into()));
            }
        }
        (self.span(offs), nl_offset)
    }

    fn digits(
        &mut self,
        base: u32,
        invalid: &mut Option<usize>,
        errs: &mut Vec<(usize, String)>,
    ) -> u8 {
        let mut digsep = 0;
        if base <= 10 {
            let max = b'0' as i32 + base as i32;
            while is_decimal(self.ch) || self.ch == b'_' as i32 {
                let mut ds = 1;
                if self.ch == b'_' as i32 {
                    ds = 2;
                } else if self.ch >= max && invalid.is_none() {
                    *invalid = Some(self.offset);
                }
                digsep |= ds;
                self.next(errs);
            }
        } else {
            while is_hex(self.ch) || self.ch == b'_' as i32 {
                digsep |= if self.ch == b'_' as i32 { 2 } else { 1 };
                self.next(errs);
            }
        }
        digsep
    }

    fn scan_number(&mut self, errs: &mut Vec<(usize, String)>) -> (Tok, Lit) {
        let offs = self.offset;
        let mut tok = Tok::Illegal;
        let mut base = 10;
        let mut prefix = 0u8;
        let mut digsep = 0;
        let mut invalid = None;
        if self.ch != b'.' as i32 {
            tok = Tok::Int;
            if self.ch == b'0' as i32 {
                self.next(errs);
                match lower(self.ch) {
                    c if c == b'x' as i32 => {
                        self.next(errs);
                        (base, prefix) = (16, b'x');
                    }
                    c if c == b'o' as i32 => {
                        self.next(errs);
                        (base, prefix) = (8, b'o');
                    }
                    c if c == b'b' as i32 => {
                        self.next(errs);
                        (base, prefix) = (2, b'b');
                    }
                    _ => {
                        (base, prefix) = (8, b'0');
                        digsep = 1;
                    }
                }
            }
            digsep |= self.digits(base, &mut invalid, errs);
        }
        if self.ch == b'.' as i32 {
            tok = Tok::Float;
            if prefix == b'o' || prefix == b'b' {
                errs.push((
                    self.offset,
                    worded(|| format!("invalid radix point in {}", litname(prefix))),
                ));
            }
            self.next(errs);
            digsep |= self.digits(base, &mut invalid, errs);
        }
        if digsep & 1 == 0 {
            errs.push((
                self.offset,
                worded(|| format!("{} has no digits", litname(prefix))),
            ));
        }
        let e = lower(self.ch);
        if e == b'e' as i32 || e == b'p' as i32 {
            if e == b'e' as i32 && prefix != 0 && prefix != b'0' {
                errs.push((
                    self.offset,
                    worded(|| {
                        format!("{} exponent requires decimal mantissa", quote_rune(self.ch))
                    }),
                ));
            } else if e == b'p' as i32 && prefix != b'x' {
                errs.push((
                    self.offset,
                    worded(|| {
                        format!(
                            "{} exponent requires hexadecimal mantissa",
                            quote_rune(self.ch)
                        )
                    }),
                ));
            }
            self.next(errs);
            tok = Tok::Float;
            if self.ch == b'+' as i32 || self.ch == b'-' as i32 {
                self.next(errs);
            }
            let mut none = None;
            let ds = self.digits(10, &mut none, errs);
            digsep |= ds;
            if ds & 1 == 0 {
                errs.push((self.offset, "exponent has no digits".into()));
            }
        } else if prefix == b'x' && tok == Tok::Float {
            errs.push((
                self.offset,
                "hexadecimal mantissa requires a 'p' exponent".into(),
            ));
        }
        if self.ch == b'i' as i32 {
            tok = Tok::Imag;
            self.next(errs);
        }
        let lit = &self.src[offs..self.offset];
        if tok == Tok::Int {
            if let Some(inv) = invalid {
                let d = self.src[inv] as i32;
                errs.push((
                    inv,
                    worded(|| format!("invalid digit {} in {}", quote_rune(d), litname(prefix))),
                ));
            }
        }
        if digsep & 2 != 0 {
            if let Some(i) = invalid_sep(lit) {
                errs.push((offs + i, "'_' must separate successive digits".into()));
            }
        }
        (tok, self.span(offs))
    }

    fn scan_escape(&mut self, quote: u8, errs: &mut Vec<(usize, String)>) -> bool {
        let offs = self.offset;
        let (mut n, base, max): (u32, u32, u32);
        match self.ch {
            c if c >= 0 && (b"abfnrtv\\".contains(&(c as u8)) && c < 0x80 || c == quote as i32) => {
                self.next(errs);
                return true;
            }
            c if (b'0' as i32..=b'7' as i32).contains(&c) => (n, base, max) = (3, 8, 255),
            c if c == b'x' as i32 => {
                self.next(errs);
                (n, base, max) = (2, 16, 255);
            }
            c if c == b'u' as i32 => {
                self.next(errs);
                (n, base, max) = (4, 16, 0x10FFFF);
            }
            c if c == b'U' as i32 => {
                self.next(errs);
                (n, base, max) = (8, 16, 0x10FFFF);
            }
            _ => {
                let msg = if self.ch < 0 {
                    "escape sequence not terminated"
                } else {
                    "unknown escape sequence"
                };
                errs.push((offs, msg.into()));
                return false;
            }
        }
        let mut x: u32 = 0;
        while n > 0 {
            let d = digit_val(self.ch);
            if d >= base {
                let msg = if self.ch < 0 {
                    "escape sequence not terminated".to_string()
                } else {
                    worded(|| format!("illegal character {} in escape sequence", sharp_u(self.ch)))
                };
                errs.push((self.offset, msg));
                return false;
            }
            x = x.wrapping_mul(base).wrapping_add(d);
            self.next(errs);
            n -= 1;
        }
        if x > max || (0xD800..0xE000).contains(&x) {
            errs.push((offs, "escape sequence is invalid Unicode code point".into()));
            return false;
        }
        true
    }

    fn scan_rune(&mut self, errs: &mut Vec<(usize, String)>) -> Lit {
        let offs = self.offset - 1;
        let mut valid = true;
        let mut n = 0;
        loop {
            let ch = self.ch;
            if ch == b'\n' as i32 || ch < 0 {
                if valid {
                    errs.push((offs, "rune literal not terminated".into()));
                    valid = false;
                }
                break;
            }
            self.next(errs);
            if ch == b'\'' as i32 {
                break;
            }
            n += 1;
            if ch == b'\\' as i32 && !self.scan_escape(b'\'', errs) {
                valid = false;
            }
        }
        if valid && n != 1 {
            errs.push((offs, "illegal rune literal".into()));
        }
        self.span(offs)
    }

    fn scan_string(&mut self, errs: &mut Vec<(usize, String)>) -> Lit {
        let offs = self.offset - 1;
        loop {
            self.skip_plain(&PLAIN_STRING, errs);
            let ch = self.ch;
            if ch == b'\n' as i32 || ch < 0 {
                errs.push((offs, "string literal not terminated".into()));
                break;
            }
            self.next(errs);
            if ch == b'"' as i32 {
                break;
            }
            if ch == b'\\' as i32 {
                self.scan_escape(b'"', errs);
            }
        }
        self.span(offs)
    }

    fn scan_raw_string(&mut self, errs: &mut Vec<(usize, String)>) -> Lit {
        let offs = self.offset - 1;
        loop {
            let ch = self.ch;
            if ch < 0 {
                errs.push((offs, "raw string literal not terminated".into()));
                break;
            }
            self.next(errs);
            if ch == b'`' as i32 {
                break;
            }
        }
        Lit::Raw {
            start: offs,
            end: self.offset,
        }
    }

    /// Moves past a run of plain ASCII characters (not NUL, not a newline) that `plain` lets
    /// through, exactly as calling [`Lexer::next`] on each would: such characters raise no error
    /// and start no line, so only the last needs the full step. Comments, strings and
    /// identifiers are mostly such runs.
    ///
    /// `plain` is one of the [`PlainBytes`] tables: a byte-indexed lookup is a single load per
    /// byte where the equivalent chain of comparisons was several.
    fn skip_plain(&mut self, plain: &PlainBytes, errs: &mut Vec<(usize, String)>) {
        let plain = |b: u8| plain.0[b as usize];
        if !self.fast || !(0..0x80).contains(&self.ch) || !plain(self.ch as u8) {
            return;
        }
        // The current character is plain and one byte wide: the next byte is `rd_offset`.
        let rest = &self.src[self.rd_offset..];
        let j = self.rd_offset + rest.iter().position(|&b| !plain(b)).unwrap_or(rest.len());
        self.ch = self.src[j - 1] as i32;
        self.rd_offset = j;
        self.next(errs);
    }

    fn skip_whitespace(&mut self, errs: &mut Vec<(usize, String)>) {
        while self.ch == b' ' as i32
            || self.ch == b'\t' as i32
            || self.ch == b'\n' as i32 && !self.insert_semi
            || self.ch == b'\r' as i32
        {
            self.next(errs);
        }
    }

    fn switch2(
        &mut self,
        t0: &'static str,
        t1: &'static str,
        errs: &mut Vec<(usize, String)>,
    ) -> Tok {
        if self.ch == b'=' as i32 {
            self.next(errs);
            return Tok::Op(t1);
        }
        Tok::Op(t0)
    }

    fn switch3(
        &mut self,
        t0: &'static str,
        t1: &'static str,
        ch2: u8,
        t2: &'static str,
        errs: &mut Vec<(usize, String)>,
    ) -> Tok {
        if self.ch == b'=' as i32 {
            self.next(errs);
            return Tok::Op(t1);
        }
        if self.ch == ch2 as i32 {
            self.next(errs);
            return Tok::Op(t2);
        }
        Tok::Op(t0)
    }

    fn switch4(
        &mut self,
        t0: &'static str,
        t1: &'static str,
        ch2: u8,
        t2: &'static str,
        t3: &'static str,
        errs: &mut Vec<(usize, String)>,
    ) -> Tok {
        if self.ch == b'=' as i32 {
            self.next(errs);
            return Tok::Op(t1);
        }
        if self.ch == ch2 as i32 {
            self.next(errs);
            if self.ch == b'=' as i32 {
                self.next(errs);
                return Tok::Op(t3);
            }
            return Tok::Op(t2);
        }
        Tok::Op(t0)
    }

    /// The next token (go's `Scanner.Scan`), its literal as text.
    pub fn scan(&mut self, errs: &mut Vec<(usize, String)>) -> Token {
        let t = self.next_token(errs);
        Token {
            offset: t.offset,
            tok: t.tok,
            lit: self.lit_text(t.lit).into_owned(),
        }
    }

    /// The next token (go's `Scanner.Scan`), its literal left in the source: what the header
    /// parser uses, so that scanning a header allocates nothing per token.
    pub fn next_token(&mut self, errs: &mut Vec<(usize, String)>) -> RawToken {
        if let Some(p) = self.nl_pos.take() {
            return RawToken {
                offset: p,
                tok: Tok::Op(";"),
                lit: Lit::Static("\n"),
            };
        }
        self.skip_whitespace(errs);
        let pos = self.offset;
        let mut insert_semi = false;
        let ch = self.ch;
        let (tok, lit) = if is_letter(ch) {
            let start = self.offset;
            self.next(errs);
            self.skip_plain(&PLAIN_IDENT, errs);
            while is_letter(self.ch) || is_digit(self.ch) {
                self.next(errs);
            }
            let word = &self.src[start..self.offset];
            let lit = self.span(start);
            let tok = match keyword(word) {
                Some(k) => Tok::Keyword(k),
                None => Tok::Ident,
            };
            if matches!(
                tok,
                Tok::Ident | Tok::Keyword("break" | "continue" | "fallthrough" | "return")
            ) {
                insert_semi = true;
            }
            (tok, lit)
        } else if is_decimal(ch) || ch == b'.' as i32 && self.peek().is_ascii_digit() {
            insert_semi = true;
            self.scan_number(errs)
        } else {
            self.next(errs);
            let c = if (0..0x80).contains(&ch) { ch as u8 } else { 0 };
            match (ch, c) {
                (EOF, _) => {
                    if self.insert_semi {
                        self.insert_semi = false;
                        return RawToken {
                            offset: pos,
                            tok: Tok::Op(";"),
                            lit: Lit::Static("\n"),
                        };
                    }
                    (Tok::Eof, Lit::None)
                }
                (_, b'\n') => {
                    self.insert_semi = false;
                    return RawToken {
                        offset: pos,
                        tok: Tok::Op(";"),
                        lit: Lit::Static("\n"),
                    };
                }
                (_, b'"') => {
                    insert_semi = true;
                    (Tok::String, self.scan_string(errs))
                }
                (_, b'\'') => {
                    insert_semi = true;
                    (Tok::Char, self.scan_rune(errs))
                }
                (_, b'`') => {
                    insert_semi = true;
                    (Tok::String, self.scan_raw_string(errs))
                }
                (_, b':') => (self.switch2(":", ":=", errs), Lit::None),
                (_, b'.') => {
                    if self.ch == b'.' as i32 && self.peek() == b'.' {
                        self.next(errs);
                        self.next(errs);
                        (Tok::Op("..."), Lit::None)
                    } else {
                        (Tok::Op("."), Lit::None)
                    }
                }
                (_, b',') => (Tok::Op(","), Lit::None),
                (_, b';') => (Tok::Op(";"), Lit::Static(";")),
                (_, b'(') => (Tok::Op("("), Lit::None),
                (_, b')') => {
                    insert_semi = true;
                    (Tok::Op(")"), Lit::None)
                }
                (_, b'[') => (Tok::Op("["), Lit::None),
                (_, b']') => {
                    insert_semi = true;
                    (Tok::Op("]"), Lit::None)
                }
                (_, b'{') => (Tok::Op("{"), Lit::None),
                (_, b'}') => {
                    insert_semi = true;
                    (Tok::Op("}"), Lit::None)
                }
                (_, b'+') => {
                    let t = self.switch3("+", "+=", b'+', "++", errs);
                    insert_semi = t == Tok::Op("++");
                    (t, Lit::None)
                }
                (_, b'-') => {
                    let t = self.switch3("-", "-=", b'-', "--", errs);
                    insert_semi = t == Tok::Op("--");
                    (t, Lit::None)
                }
                (_, b'*') => (self.switch2("*", "*=", errs), Lit::None),
                (_, b'/') => {
                    if self.ch == b'/' as i32 || self.ch == b'*' as i32 {
                        let (comment, nl_offset) = self.scan_comment(errs);
                        if self.insert_semi && nl_offset != 0 {
                            self.nl_pos = Some(nl_offset);
                            self.insert_semi = false;
                        } else {
                            insert_semi = self.insert_semi;
                        }
                        (Tok::Comment, comment)
                    } else {
                        (self.switch2("/", "/=", errs), Lit::None)
                    }
                }
                (_, b'%') => (self.switch2("%", "%=", errs), Lit::None),
                (_, b'^') => (self.switch2("^", "^=", errs), Lit::None),
                (_, b'<') => {
                    if self.ch == b'-' as i32 {
                        self.next(errs);
                        (Tok::Op("<-"), Lit::None)
                    } else {
                        (self.switch4("<", "<=", b'<', "<<", "<<=", errs), Lit::None)
                    }
                }
                (_, b'>') => (self.switch4(">", ">=", b'>', ">>", ">>=", errs), Lit::None),
                (_, b'=') => (self.switch2("=", "==", errs), Lit::None),
                (_, b'!') => (self.switch2("!", "!=", errs), Lit::None),
                (_, b'&') => {
                    if self.ch == b'^' as i32 {
                        self.next(errs);
                        (self.switch2("&^", "&^=", errs), Lit::None)
                    } else {
                        (self.switch3("&", "&=", b'&', "&&", errs), Lit::None)
                    }
                }
                (_, b'|') => (self.switch3("|", "|=", b'|', "||", errs), Lit::None),
                (_, b'~') => (Tok::Op("~"), Lit::None),
                _ => {
                    if ch != BOM {
                        if ch == 0x201C || ch == 0x201D {
                            let c = char::from_u32(ch as u32).unwrap_or('"');
                            errs.push((
                                pos,
                                worded(|| format!("curly quotation mark '{c}' (use neutral '\"')")),
                            ));
                        } else {
                            errs.push((
                                pos,
                                worded(|| format!("illegal character {}", sharp_u(ch))),
                            ));
                        }
                    }
                    insert_semi = self.insert_semi;
                    let lit = char::from_u32(ch as u32).map_or(Lit::None, Lit::Char);
                    (Tok::Illegal, lit)
                }
            }
        };
        self.insert_semi = insert_semi;
        RawToken {
            offset: pos,
            tok,
            lit,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The parser: go/parser's package clause and import declarations (`ImportsOnly`).

struct Spec {
    name: Option<(String, usize)>,
    /// The path literal as written (quotes included), in the header; `None` when missing.
    lit: Lit,
    lit_pos: usize,
    lines: std::rc::Rc<Vec<usize>>,
}

impl Spec {
    fn pos(&self) -> Pos {
        let off = self.name.as_ref().map_or(self.lit_pos, |(_, p)| *p);
        position(&self.lines, off)
    }
}

struct Parsed {
    package: String,
    package_pos: Pos,
    imports: Vec<Spec>,
    error: Option<HeaderError>,
}

/// Line starts as go's token.File records them: a newline that is the file's last byte starts
/// no line.
fn line_starts(src: &[u8]) -> Vec<usize> {
    // Sized for typical lines up front: one allocation per header.
    let mut v = Vec::with_capacity(src.len() / 16 + 2);
    v.push(0);
    for (i, &c) in src.iter().enumerate() {
        if c == b'\n' && i + 1 < src.len() {
            v.push(i + 1);
        }
    }
    v
}

fn position(lines: &[usize], offset: usize) -> Pos {
    let i = lines.partition_point(|&s| s <= offset).max(1) - 1;
    Pos {
        line: i + 1,
        col: offset - lines[i] + 1,
        offset,
    }
}

struct Bailout;

struct Parser<'a> {
    lx: Lexer<'a>,
    lines: std::rc::Rc<Vec<usize>>,
    /// Every error so far, as go's `ErrorList`.
    errors: Vec<(Pos, String)>,
    scan_errs: Vec<(usize, String)>,
    pos: usize,
    tok: Tok,
    lit: Lit,
    sync_pos: Option<usize>,
    sync_cnt: u32,
}

impl<'a> Parser<'a> {
    fn next(&mut self) {
        loop {
            let t = self.lx.next_token(&mut self.scan_errs);
            if !self.scan_errs.is_empty() {
                for (off, msg) in self.scan_errs.drain(..) {
                    self.errors.push((position(&self.lines, off), msg));
                }
            }
            if t.tok != Tok::Comment {
                self.pos = t.offset;
                self.tok = t.tok;
                self.lit = t.lit;
                return;
            }
        }
    }

    fn error(&mut self, off: usize, msg: String) -> Result<(), Bailout> {
        let p = position(&self.lines, off);
        if let Some(last) = self.errors.last() {
            if last.0.line == p.line {
                return Ok(()); // discard: likely spurious
            }
        }
        if self.errors.len() > 10 {
            return Err(Bailout);
        }
        self.errors.push((p, msg));
        Ok(())
    }

    /// The current token's literal as text.
    fn lit(&self) -> String {
        self.lx.lit_text(self.lit).into_owned()
    }

    fn error_expected(&mut self, off: usize, what: &str) -> Result<(), Bailout> {
        let msg = worded(|| {
            let mut msg = format!("expected {what}");
            if off == self.pos {
                if self.tok == Tok::Op(";") && self.lx.lit_text(self.lit) == "\n" {
                    msg += ", found newline";
                } else if self.tok.is_literal() {
                    msg += &format!(", found {}", self.lx.lit_text(self.lit));
                } else {
                    msg += &format!(", found '{}'", self.tok.name());
                }
            }
            msg
        });
        self.error(off, msg)
    }

    fn expect(&mut self, tok: Tok) -> Result<usize, Bailout> {
        let pos = self.pos;
        if self.tok != tok {
            self.error_expected(pos, &format!("'{}'", tok.name()))?;
        }
        self.next();
        Ok(pos)
    }

    fn expect_semi(&mut self) -> Result<(), Bailout> {
        if self.tok == Tok::Op(")") || self.tok == Tok::Op("}") {
            return Ok(());
        }
        match self.tok {
            Tok::Op(",") => {
                self.error_expected(self.pos, "';'")?;
                self.next();
            }
            Tok::Op(";") => self.next(),
            _ => {
                self.error_expected(self.pos, "';'")?;
                self.advance(&[
                    Tok::Keyword("break"),
                    Tok::Keyword("const"),
                    Tok::Keyword("continue"),
                    Tok::Keyword("defer"),
                    Tok::Keyword("fallthrough"),
                    Tok::Keyword("for"),
                    Tok::Keyword("go"),
                    Tok::Keyword("goto"),
                    Tok::Keyword("if"),
                    Tok::Keyword("return"),
                    Tok::Keyword("select"),
                    Tok::Keyword("switch"),
                    Tok::Keyword("type"),
                    Tok::Keyword("var"),
                ]);
            }
        }
        Ok(())
    }

    fn advance(&mut self, to: &[Tok]) {
        while self.tok != Tok::Eof {
            if to.contains(&self.tok) {
                if Some(self.pos) == self.sync_pos && self.sync_cnt < 10 {
                    self.sync_cnt += 1;
                    return;
                }
                if self.sync_pos.is_none_or(|s| self.pos > s) {
                    self.sync_pos = Some(self.pos);
                    self.sync_cnt = 0;
                    return;
                }
            }
            self.next();
        }
    }

    fn parse_ident(&mut self) -> Result<(String, usize), Bailout> {
        let pos = self.pos;
        if self.tok == Tok::Ident {
            let name = self.lit();
            self.next();
            Ok((name, pos))
        } else {
            self.expect(Tok::Ident)?;
            Ok(("_".into(), pos))
        }
    }

    fn parse_import_spec(&mut self, out: &mut Vec<Spec>) -> Result<(), Bailout> {
        let name = match self.tok {
            Tok::Ident => Some(self.parse_ident()?),
            Tok::Op(".") => {
                let p = self.pos;
                self.next();
                Some((".".to_string(), p))
            }
            _ => None,
        };
        let lit_pos = self.pos;
        let mut lit = Lit::None;
        if self.tok == Tok::String {
            lit = self.lit;
            self.next();
        } else if self.tok.is_literal() {
            self.error(lit_pos, "import path must be a string".into())?;
            self.next();
        } else {
            self.error(lit_pos, "missing import path".into())?;
            self.advance(&[
                Tok::Op(","),
                Tok::Op(":"),
                Tok::Op(";"),
                Tok::Op(")"),
                Tok::Op("]"),
                Tok::Op("}"),
            ]);
        }
        self.expect_semi()?;
        out.push(Spec {
            name,
            lit,
            lit_pos,
            lines: self.lines.clone(),
        });
        Ok(())
    }

    fn parse_file(&mut self, out: &mut Parsed) -> Result<(), Bailout> {
        if !self.errors.is_empty() {
            return Ok(());
        }
        let pos = self.expect(Tok::Keyword("package"))?;
        out.package_pos = position(&self.lines, pos);
        let (name, _) = self.parse_ident()?;
        out.package = name;
        self.expect_semi()?;
        if !self.errors.is_empty() {
            return Ok(());
        }
        if self.tok == Tok::Keyword("import") {
            // Usually one spec per header line: one allocation for them all.
            out.imports.reserve(self.lines.len());
        }
        while self.tok == Tok::Keyword("import") {
            self.expect(Tok::Keyword("import"))?;
            if self.tok == Tok::Op("(") {
                self.next();
                while self.tok != Tok::Op(")") && self.tok != Tok::Eof {
                    self.parse_import_spec(&mut out.imports)?;
                }
                self.expect(Tok::Op(")"))?;
                self.expect_semi()?;
            } else {
                self.parse_import_spec(&mut out.imports)?;
            }
        }
        Ok(())
    }
}

fn parse_header(head: &[u8]) -> Parsed {
    let lines = std::rc::Rc::new(line_starts(head));
    let mut scan_errs = Vec::new();
    let lx = Lexer::new(head, &mut scan_errs);
    let mut p = Parser {
        lx,
        errors: scan_errs
            .drain(..)
            .map(|(o, m)| (position(&lines, o), m))
            .collect(),
        lines,
        scan_errs,
        pos: 0,
        tok: Tok::Eof,
        lit: Lit::None,
        sync_pos: None,
        sync_cnt: 0,
    };
    p.next();
    let mut out = Parsed {
        package: String::new(),
        package_pos: Pos::default(),
        imports: Vec::new(),
        error: None,
    };
    let _ = p.parse_file(&mut out);
    crate::sort::sort_by(&mut p.errors, |a, b| {
        (a.0.line, a.0.col, &a.1).cmp(&(b.0.line, b.0.col, &b.1))
    });
    if let Some((pos, msg)) = p.errors.into_iter().next() {
        out.error = Some(HeaderError::Syntax { pos, msg });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `go build` prints for a one-file package `main.go` in `DIR`, or the imports.
    fn check(src: &[u8]) -> String {
        let h = scan("main.go", src);
        match &h.error {
            Some(e) => e.render("DIR", "main.go"),
            None => {
                let imports: Vec<&str> = h.imports.iter().map(|i| &*i.path).collect();
                format!("ok {} [{}]", h.package, imports.join(" "))
            }
        }
    }

    /// Cases checked against go1.23.5 (`go list -e` in a one-file module).
    #[test]
    fn header_errors_match_go() {
        let cases: &[(&str, &[u8], &str)] = &[
            // errors.txt: syntax, syntax2, syntax3
            (
                "syntax",
                b"package main\n\nimport (\n\t\"fmt\"\n\t\"os\n)\n\nfunc main() { fmt.Println(os.Args) }\n",
                "main.go:5:2: string literal not terminated",
            ),
            (
                "syntax2",
                b"package main\n\nimport (\n\t\"fmt\",\n\t\"os\"\n)\n\nfunc main() { fmt.Println(os.Args) }\n",
                "main.go:4:7: expected ';', found ','",
            ),
            ("syntax3", b"package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"x\" }\n", "ok main [fmt]"),
            ("unterm_raw", b"package main\n\nimport `fmt\n", "main.go:3:8: raw string literal not terminated"),
            ("comment_unterm", b"package main\n\n/* hello\nimport \"fmt\"\n", "main.go:3:1: comment not terminated"),
            ("badpath", b"package main\n\nimport \"a b\"\n", "DIR/main.go:3:8: invalid import path: a b"),
            (
                "badpath_alias",
                b"package main\n\nimport (\n\t\"os\"\n\tfoo \"a!b\"\n)\n",
                "DIR/main.go:5:2: invalid import path: a!b",
            ),
            ("nopkg", b"import \"fmt\"\n", "main.go:1:1: expected 'package', found 'import'"),
            ("nopkg2", b"func main() {}\n", "main.go:1:1: expected 'package', found 'func'"),
            ("empty", b"", "main.go:1:1: expected 'package', found 'EOF'"),
            ("pkgnum", b"package 1\n", "main.go:1:9: expected 'IDENT', found 1"),
            ("pkgstr", b"package \"x\"\n", "main.go:1:9: expected 'IDENT', found \"x\""),
            ("pkgnoname", b"package\n\nimport \"fmt\"\n", "main.go:3:1: expected 'IDENT', found 'import'"),
            ("pkgeof", b"package\n", "main.go:1:9: expected 'IDENT', found 'EOF'"),
            ("pkgeof2", b"package", "main.go:1:8: expected 'IDENT', found 'EOF'"),
            ("import_num", b"package main\nimport 5\n", "main.go:2:8: import path must be a string"),
            ("import_missing", b"package main\nimport )\n", "main.go:2:8: missing import path"),
            ("import_ident", b"package main\nimport foo\n", "main.go:2:11: missing import path"),
            ("importeof", b"package main\nimport\n", "main.go:2:8: missing import path"),
            ("importparen", b"package main\nimport (\n", "main.go:2:10: expected ')', found 'EOF'"),
            ("importparen2", b"package main\nimport (\"a\"\n", "main.go:2:13: expected ')', found 'EOF'"),
            ("nul", b"package main\nimport \"fmt\x00\"\n", "read DIR/main.go: unexpected NUL in input"),
            ("nul_late", b"package main\nimport \"fmt\"\nfunc main() { _ = \"\x00\" }\n", "ok main [fmt]"),
            ("escape", b"package main\nimport \"fm\\qt\"\n", "main.go:2:12: unknown escape sequence"),
            ("twostr", b"package main\nimport \"a\" \"b\"\n", "ok main [a]"),
            ("commaonly", b"package main\nimport (\"a\", \"b\")\n", "main.go:2:12: expected ';', found ','"),
            ("illegal", b"package main\nimport @\"a\"\n", "main.go:2:8: illegal character U+0040 '@'"),
            (
                "curly",
                "package main\nimport \u{201c}fmt\u{201d}\n".as_bytes(),
                "main.go:2:8: curly quotation mark '\u{201c}' (use neutral '\"')",
            ),
            ("runeimp", b"package main\nimport 'a'\n", "main.go:2:8: import path must be a string"),
            ("bom", b"\xef\xbb\xbfpackage main\nimport \"a b\"\n", "DIR/main.go:2:8: invalid import path: a b"),
            ("midbom", b"package main\n\xef\xbb\xbfimport \"fmt\"\n", "ok main []"),
            ("badutf", b"package main\nimport \"fmt\xff\"\n", "main.go:2:12: illegal UTF-8 encoding"),
            ("unterm_late", b"package main\nimport \"fmt\"\nvar x = \"abc\n", "ok main [fmt]"),
            ("semi", b"package main; import \"a\"; import \"b\"\n", "ok main [a b]"),
            ("alias_dot", b"package main\nimport . \"a b\"\n", "DIR/main.go:2:8: invalid import path: a b"),
            ("comment_after_pkg", b"package main /* x\n", "main.go:1:14: comment not terminated"),
            ("slash_x", b"package main\nimport \"fmt\" /x\n", "main.go:2:14: expected ';', found '/'"),
            ("escape_in_raw", b"package main\nimport `a\\qb`\n", "DIR/main.go:2:8: invalid import path: a\\qb"),
            ("gb_then_error", b"//go:build linux\n\npackage main\nimport \"a\n", "main.go:4:8: string literal not terminated"),
            ("pkg_underscore", b"package _\n", "ok _ []"),
            ("hex", b"package main\nimport 0x \"a\"\n", "main.go:2:10: hexadecimal literal has no digits"),
            ("num_err", b"package main\nimport 0b12 \"a\"\n", "main.go:2:11: invalid digit '2' in binary literal"),
            ("multierr", b"package main\nimport ( 5 ; \"x\n", "main.go:2:10: import path must be a string"),
            ("kwname", b"package main\nimport func \"a\"\n", "main.go:2:8: missing import path"),
            ("rbrace", b"package main\nimport (\"a\" } )\n", "main.go:2:13: missing import path"),
        ];
        let mut bad = Vec::new();
        for (name, src, want) in cases {
            let got = check(src);
            if got != *want {
                bad.push(format!("{name}:\n  got  {got}\n  want {want}"));
            }
        }
        assert!(bad.is_empty(), "mismatches:\n{}", bad.join("\n"));
    }

    fn lex(src: &str) -> String {
        let mut errs = Vec::new();
        let mut lx = Lexer::new(src.as_bytes(), &mut errs);
        let mut out = Vec::new();
        for _ in 0..100 {
            let t = lx.scan(&mut errs);
            let s = match t.tok {
                Tok::Eof => break,
                Tok::Op(";") if t.lit == "\n" => format!("{}:;nl", t.offset),
                t2 if t2.is_literal() || t2 == Tok::Comment => {
                    format!("{}:{}({})", t.offset, t2.name(), t.lit)
                }
                t2 => format!("{}:{}", t.offset, t2.name()),
            };
            out.push(s);
        }
        for (off, msg) in errs {
            out.push(format!("!{off}:{msg}"));
        }
        out.join(" ")
    }

    #[test]
    fn keyword_finds_exactly_go_keywords() {
        for k in KEYWORDS {
            assert_eq!(keyword(k.as_bytes()), Some(*k));
            // A keyword's prefixes and extensions are identifiers.
            assert_eq!(keyword(&k.as_bytes()[..k.len() - 1]), None, "{k}");
            assert_eq!(keyword(format!("{k}x").as_bytes()), None, "{k}");
        }
        for w in ["", "_", "p1234", "main", "Package", "imports", "typ", "é"] {
            assert_eq!(keyword(w.as_bytes()), None, "{w}");
        }
    }

    #[test]
    fn lexer_table() {
        let cases: &[(&str, &str)] = &[
            ("package main\n", "0:package 8:IDENT(main) 12:;nl"),
            (
                "import \"a\" // c\n",
                "0:import 7:STRING(\"a\") 11:COMMENT(// c) 15:;nl",
            ),
            (
                "x /* a\nb */ y",
                "0:IDENT(x) 2:COMMENT(/* a\nb */) 6:;nl 12:IDENT(y) 13:;nl",
            ),
            (
                "x /* a */ y",
                "0:IDENT(x) 2:COMMENT(/* a */) 10:IDENT(y) 11:;nl",
            ),
            ("`a\r\nb`", "0:STRING(`a\nb`) 6:;nl"),
            (
                "'\\n' '\\x41' 'ab'",
                "0:CHAR('\\n') 5:CHAR('\\x41') 12:CHAR('ab') 16:;nl !12:illegal rune literal",
            ),
            (
                "\"\\u00e9\\U0001F600\\101\"",
                "0:STRING(\"\\u00e9\\U0001F600\\101\") 22:;nl",
            ),
            (
                "\"\\uD800\"",
                "0:STRING(\"\\uD800\") 8:;nl !2:escape sequence is invalid Unicode code point",
            ),
            (
                "\"\\xZ\"",
                "0:STRING(\"\\xZ\") 5:;nl !3:illegal character U+005A 'Z' in escape sequence",
            ),
            (
                "0x1p-2 1e3 0o17 1_000 .5i",
                "0:FLOAT(0x1p-2) 7:FLOAT(1e3) 11:INT(0o17) 16:INT(1_000) 22:IMAG(.5i) 25:;nl",
            ),
            (
                "1__0",
                "0:INT(1__0) 4:;nl !2:'_' must separate successive digits",
            ),
            (
                "return\nbreak\n)",
                "0:return 6:;nl 7:break 12:;nl 13:) 14:;nl",
            ),
            (
                "a.b...c",
                "0:IDENT(a) 1:. 2:IDENT(b) 3:... 6:IDENT(c) 7:;nl",
            ),
            ("<-x &^= >>= ++", "0:<- 2:IDENT(x) 4:&^= 8:>>= 12:++ 14:;nl"),
            ("héllo 世界", "0:IDENT(héllo) 7:IDENT(世界) 13:;nl"),
            ("x // c", "0:IDENT(x) 2:COMMENT(// c) 6:;nl"),
        ];
        for (src, want) in cases {
            assert_eq!(lex(src), *want, "lexing {src:?}");
        }
    }

    /// A vector handed back to [`scan_into`] after another file's scan (on either route) gives
    /// the same header as a new one: nothing of the earlier file stays in it.
    #[test]
    fn scan_into_a_used_vector_is_scan() {
        let files: [&[u8]; 4] = [
            b"package a\nimport (\n\t\"x\"\n\ty \"p/y\"\n)\n",
            b"package b\n/* block */ import \"q\"\n",
            b"package c\n",
            b"package d\nimport \"e\\x2f\"\n",
        ];
        let mut spare = Vec::new();
        for (i, f) in files.iter().cycle().take(8).enumerate() {
            let h = scan_into(f, spare);
            assert_eq!(h, scan("f.go", f), "file {i}");
            spare = h.imports;
        }
    }

    #[test]
    fn printable_run_is_the_bytewise_run() {
        let naive = |b: &[u8]| {
            b.iter()
                .position(|&c| !(c == b'\t' || (0x20..=0x7e).contains(&c)))
                .unwrap_or(b.len())
        };
        // Every byte value at every position of runs around the eight-byte steps.
        for len in 0..20 {
            for at in 0..len {
                for c in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    assert_eq!(printable_run(&b), naive(&b), "{c:#x} at {at} of {len}");
                    b[len - 1] = 0xff;
                    assert_eq!(printable_run(&b), naive(&b), "{c:#x} at {at}, 0xff last");
                }
            }
        }
    }

    #[test]
    fn plain_route_paths_beyond_the_kept_spans() {
        // More specs than `PATH_SPANS`: the first are filled in at the end, the rest at once.
        let mut src = String::from("// Doc.\npackage p\n\nimport (\n");
        for i in 0..PATH_SPANS + 5 {
            src.push_str(&format!("\t_ \"example.com/m/p{i}\"\n"));
        }
        src.push_str(")\n\nimport \"os\"\n\nfunc f() {}\n");
        let plain = scan_plain(src.as_bytes()).expect("a plain header");
        assert_eq!(plain, scan_general(src.as_bytes()));
        assert_eq!(plain.imports.len(), PATH_SPANS + 6);
        assert_eq!(plain.imports[0].path, "example.com/m/p0");
        assert_eq!(
            plain.imports[PATH_SPANS].path,
            format!("example.com/m/p{PATH_SPANS}")
        );
        assert_eq!(plain.imports[PATH_SPANS + 5].path, "os");
    }

    #[test]
    fn plain_route_import_names() {
        let src =
            b"package p\n\nimport (\n\t_ \"a\"\n\t_x \"b\"\n\t. \"c\"\n\ty \"d\"\n\t\"e\"\n)\n";
        let plain = scan_plain(src).expect("a plain header");
        assert_eq!(plain, scan_general(src));
        let names: Vec<_> = plain.imports.iter().map(|i| i.alias.clone()).collect();
        assert_eq!(
            names,
            [
                Some(ImportName::Blank),
                Some(ImportName::Ident("_x".into())),
                Some(ImportName::Dot),
                Some(ImportName::Ident("y".into())),
                None
            ]
        );
        assert_eq!(ImportName::from("_"), ImportName::Blank);
        assert_eq!(ImportName::from(".".to_string()), ImportName::Dot);
        assert_eq!(ImportName::Blank.to_string(), "_");
    }

    #[test]
    fn imports_aliases_and_cgo() {
        let src = b"// Doc.\npackage p // c\n\nimport (\n\t_ \"embed\"\n\t. \"fmt\"\n\tx \"os\"\n\t\"C\"\n)\nimport `raw/path`\n\nvar v = 1\n";
        let h = scan("p.go", src);
        assert_eq!(h.error, None);
        assert_eq!(h.package, "p");
        assert_eq!(
            h.package_pos,
            Pos {
                line: 2,
                col: 1,
                offset: 8
            }
        );
        let got: Vec<String> = h
            .imports
            .iter()
            .map(|i| format!("{}={}@{}", i.alias.as_deref().unwrap_or("-"), i.path, i.pos))
            .collect();
        assert_eq!(
            got,
            [
                "_=embed@5:2",
                ".=fmt@6:2",
                "x=os@7:2",
                "-=C@8:2",
                "-=raw/path@10:8"
            ]
        );
        assert!(h.is_cgo);
        // The header stops before `var`.
        assert_eq!(&src[..h.header_len].last(), &Some(&b'\n'));
    }

    /// The patterns and positions go1.23.5 reports (`main.go:5:12: pattern a.txt: ...`).
    #[test]
    fn embeds() {
        let src = "package main\n\nimport _ \"embed\"\n\n//go:embed a.txt \"b c.txt\" `d.txt`\nvar x string\n  //go:embed  e\n/* //go:embed f */\nvar s = \"//go:embed g\"\n//go:embed \"bad\n//go:embed h\n";
        let h = scan("main.go", src.as_bytes());
        let got: Vec<String> = h
            .embeds
            .iter()
            .map(|e| format!("{}@{}", e.pattern, e.pos))
            .collect();
        assert_eq!(
            got,
            [
                "a.txt@5:12",
                "b c.txt@5:18",
                "d.txt@5:28",
                "e@7:15",
                "h@11:12"
            ]
        );
        // Without `import "embed"` nobody looks.
        let h = scan("main.go", b"package main\n\n//go:embed a\nvar x string\n");
        assert!(h.embeds.is_empty());
    }

    /// A Go file header built from `choices` (one byte per decision): blanks, comments, the
    /// package clause, single and grouped imports with names and paths, statement ends; some
    /// choices are pieces go rejects or the one-pass route leaves to the parser.
    fn header_from_choices(choices: &[u8]) -> String {
        const BLANK: &[&str] = &[
            "", " ", "\n", "\t// c\n", "\n\n", "// a b\n", "/* c */", "\n//x\n",
        ];
        const END: &[&str] = &[
            "\n", ";", " // c\n", "", " ;\n", "\n\n", ";;", "\t\n", ",", "\n",
        ];
        const NAME: &[&str] = &["", "", "_ ", ". ", "x ", "f\t", "_", "func ", ".5 ", "\n_ "];
        const PATH: &[&str] = &[
            "\"fmt\"",
            "\"a/b.c\"",
            "\"example.com/m/p1\"",
            "\"\"",
            "\"a b\"",
            "`r`",
            "\"e\\x41\"",
            "\"C\"",
            "\"x",
        ];
        let mut it = choices.iter().copied().chain(std::iter::repeat(0));
        let mut pick =
            |list: &[&'static str]| list[usize::from(it.next().unwrap_or(0)) % list.len()];
        let mut out = String::new();
        out += pick(BLANK);
        out += pick(BLANK);
        out += pick(&["package ", "package\n", "package\t", "packag "]);
        out += pick(&["main", "p1", "_x", "func", "m"]);
        out += pick(END);
        for _ in 0..choices.len() / 8 {
            out += pick(BLANK);
            if pick(&["single", "group"]) == "single" {
                out += pick(&["import ", "import\t", "import\n", "imports "]);
                out += pick(NAME);
                out += pick(PATH);
            } else {
                out += pick(&["import (", "import(", "import (\n", "import\n(\n"]);
                for _ in 0..usize::from(pick(&["0", "1", "2", "3"]).as_bytes()[0] - b'0') {
                    out += pick(BLANK);
                    out += pick(&["\t", "", " "]);
                    out += pick(NAME);
                    out += pick(PATH);
                    out += pick(END);
                }
                out += pick(BLANK);
                out += pick(&[")", ")", " )", ""]);
            }
            out += pick(END);
        }
        out += pick(&[
            "",
            "func f() {}\n",
            "var x = 1\n",
            "\n",
            "int x",
            "imports",
            ";func",
            "\x00",
            "\u{e9}",
            "\r\n",
            "/* c */",
            "// e\u{e9}\n",
            "(",
            "\"s\"",
        ]);
        out
    }

    #[test]
    fn plain_headers_take_the_one_pass_route() {
        let typical: &[&str] = &[
            "// Package p is generated.\npackage p\n\nimport (\n\t_ \"example.com/a\"\n\tf \"fmt\"\n\t. \"os\"\n)\n\n",
            "//go:build linux\n\npackage main\n\nimport \"fmt\" // print\nimport \"os\";\n",
            "package main\n",
            "package main",
            "package x; import (\"a\"; \"b\")",
            "package p\n\nimport \"a\"\n\nfunc F() string { return \"\u{e9}\" }\n",
        ];
        for src in typical {
            let fast = scan_plain(src.as_bytes());
            assert!(fast.is_some(), "{src:?}");
            assert_eq!(fast, Some(scan_general(src.as_bytes())), "{src:?}");
        }
        // Shapes it leaves to the parser (each valid or not): it never guesses.
        for src in [
            "package main\n/* c */\nimport \"a\"\n",
            "package main\nimport `a`\n",
            "package main\nimport \"a\" \"b\"\n",
            "package func\n",
            "package main\nimport \"\\x41\"\n",
            "package main;;\n",
            "package main\r\n",
            "package main\nimport _ \"embed\"\n",
            "// \u{e9}\npackage main\n",
        ] {
            assert_eq!(scan_plain(src.as_bytes()), None, "{src:?}");
        }
    }

    #[test]
    fn unquote_table() {
        assert_eq!(unquote("\"a\\tb\""), Some(b"a\tb".to_vec()));
        assert_eq!(
            unquote("\"\\xff\\101\\u00e9\""),
            Some(b"\xffA\xc3\xa9".to_vec())
        );
        assert_eq!(unquote("`a\\b`"), Some(b"a\\b".to_vec()));
        assert_eq!(unquote("\"\\q\""), None);
        assert_eq!(unquote("\"abc"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn plain_import_paths_are_what_unquoting_gives(body in "[ -~\\t\\n\u{e9}]{0,12}") {
            // The shortcut, when it applies, gives what the generic route would.
            let lit = format!("\"{body}\"");
            let src = lit.as_bytes();
            let span = Lit::Src { start: 0, end: src.len() };
            if let Some(p) = plain_import_path(src, span) {
                let raw = unquote(&lit_text(src, span)).expect("a plain literal unquotes");
                proptest::prop_assert!(is_valid_import(&raw));
                proptest::prop_assert_eq!(p.as_bytes(), &raw[..]);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = scan("f.go", &data);
            let _ = scan_comments(&data);
        }

        #[test]
        fn lexer_shortcut_changes_nothing(parts in proptest::collection::vec(proptest::sample::select(vec![
            "package", "import", "main", "_", "x1", "é", ".", "(", ")", ";", "\"fmt\"", "\"a", "\"\\n\"",
            "`raw`", "`x\r`", "'c'", "'", "// c\n", "//", "/* b */", "/*", "*/", "\n", " ", "\t",
            "\u{feff}", "\u{201c}", "\x00", "\r", "\u{7f}", "0x1", "1_0", "{", "}", "+", "=",
        ]), 0..40), bad in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4)) {
            let mut src = parts.concat().into_bytes();
            src.extend(bad);
            let run = |fast: bool| {
                let mut errs = Vec::new();
                let mut lx = Lexer::new(&src, &mut errs);
                lx.fast = fast;
                let mut toks = Vec::new();
                loop {
                    let t = lx.scan(&mut errs);
                    let end = t.tok == Tok::Eof;
                    toks.push((t, lx.offset, lx.line_offset));
                    if end || toks.len() > 1000 {
                        break;
                    }
                }
                (toks, errs)
            };
            proptest::prop_assert_eq!(run(true), run(false));
        }

        #[test]
        fn plain_headers_parse_as_the_parser_does(
            start in proptest::sample::select(vec![
                "", "package main\n", "// c\npackage p\n\n", "package x;", "package\n\tq // c\n",
            ]),
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "package", "import", "main", "_", ".", "x1", "func", "(", ")", ";", ",", " ", "\t",
                "\n", "// c\n", "//", "/* c */", "/", "\"fmt\"", "\"a/b.c\"", "\"\"", "\"a b\"",
                "\"e\\x41\"", "\"a", "`raw`", "import (\n", "\t\"x/y\"\n", "\t_ \"z\"\n", ")\n",
                "import \"C\"\n", "\r", "\u{e9}", "\x00", "0", ".5",
            ]), 0..24),
        ) {
            // Whenever the one-pass route answers, the lexer and parser give the same.
            let src = [start.to_string(), parts.concat()].concat();
            if let Some(fast) = scan_plain(src.as_bytes()) {
                proptest::prop_assert_eq!(fast, scan_general(src.as_bytes()));
            }
        }

        #[test]
        fn generated_headers_parse_as_the_parser_does(
            choices in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
        ) {
            // Mostly well-formed headers (so the one-pass route answers), with a few wrong
            // pieces chosen among the same choices.
            let src = header_from_choices(&choices);
            if let Some(fast) = scan_plain(src.as_bytes()) {
                proptest::prop_assert_eq!(fast, scan_general(src.as_bytes()));
            }
        }

        #[test]
        fn token_soup_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
            "package", "import", "main", "_", ".", "(", ")", ";", ",", "\"fmt\"", "\"a", "`raw`", "`x",
            "'c'", "'", "//go:build linux\n", "// +build !x\n", "//go:embed a b\n", "/*", "*/", "\n",
            " ", "\t", "\"\\", "\\", "0x", "1e", "C", "\"embed\"", "\"C\"", "\u{feff}", "\u{201c}", "\x00", "\r",
            "func", "{", "}", "//", "#", "0b12", "1_", ".5", "\"\\u12\"",
        ]), 0..40)) {
            let src = parts.concat();
            let h = scan("f.go", src.as_bytes());
            if let Some(e) = &h.error {
                let _ = e.render("d", "f.go");
            }
            proptest::prop_assert!(h.header_len <= src.len());
        }
    }
}
