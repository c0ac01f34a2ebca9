//! `go.mod` parsing, with the go command's own error texts and positions.
//!
//! [`parse`] reads a main module's `go.mod` the way the go command does (`modfile.Parse` with the
//! go command's version fixer, then the missing-module check); [`parse_lax`] reads a dependency's
//! `go.mod` the way the go command does for module graph loading (`modfile.ParseLax`, no fixer).
//! Both run in two passes like the real parser: a lexer and a statement parser that stop at the
//! first syntax error, then a directive pass that collects every error in statement order
//! (retraction errors found by the version fixer come last, as in go). Errors render exactly as
//! go 1.23 prints them, given the path go would print (its "short path" of the file).
//!
//! [`parse`] also refuses a `go` line newer than the go command (go 1.23.5 under
//! `GOTOOLCHAIN=local`: `go.mod requires go >= 1.99 (running go 1.23.5; GOTOOLCHAIN=local)`), as
//! modload's `ReadModFile` does; [`godebug_error`] is cmd/go's `CheckGodebug`, which the loader
//! applies to the main module's `godebug` lines.
//!
//! It deliberately does not: read files or the network (a version that is not canonical semver
//! would need a module query; we answer as the go command does with `GOPROXY=off`), validate the
//! main module path (go does that later, outside the parser), keep
//! comments beyond what the directives need (`// indirect`, retraction rationale, deprecation), or
//! format files back out. Two known gaps in the error texts: invalid UTF-8 inside a token becomes
//! U+FFFD (go prints the raw byte, or `\xff` inside quotes), and unassigned code points count as
//! printable (go's Unicode 15 tables do not).

use std::fmt;

/// A position in a `go.mod` file: 1-based line, 1-based rune within the line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// A parsed `go.mod` file. Statements keep where they start, for later error messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoMod {
    pub module: Option<Module>,
    pub go: Option<GoDirective>,
    pub toolchain: Option<Toolchain>,
    pub godebug: Vec<Godebug>,
    pub require: Vec<Require>,
    pub exclude: Vec<Exclude>,
    pub replace: Vec<Replace>,
    pub retract: Vec<Retract>,
}

/// `module example.com/m`, with the text of a `// Deprecated:` paragraph if there is one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    pub deprecated: Option<String>,
    pub pos: Pos,
}

/// `go 1.23`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoDirective {
    pub version: String,
    pub pos: Pos,
}

/// `toolchain go1.23.5`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    pub name: String,
    pub pos: Pos,
}

/// `godebug key=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Godebug {
    pub key: String,
    pub value: String,
    pub pos: Pos,
}

/// `require path v1.2.3 // indirect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Require {
    pub path: String,
    pub version: String,
    pub indirect: bool,
    pub pos: Pos,
}

/// `exclude path v1.2.3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exclude {
    pub path: String,
    pub version: String,
    pub pos: Pos,
}

/// `replace old [version] => new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replace {
    pub old_path: String,
    /// `None` replaces every version of `old_path`.
    pub old_version: Option<String>,
    pub new: ReplaceTarget,
    pub pos: Pos,
}

/// What a `replace` points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaceTarget {
    /// Another module at a version: `=> example.com/fork v1.4.0`.
    Module { path: String, version: String },
    /// A directory, as written (relative to the module root, or rooted): `=> ./third_party/x`.
    Dir(String),
}

/// `retract v1.0.0` (`low == high`) or `retract [v1.0.0, v1.2.0]`, with its comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retract {
    pub low: String,
    pub high: String,
    pub rationale: String,
    pub pos: Pos,
}

impl GoMod {
    pub fn module_path(&self) -> Option<&str> {
        self.module.as_ref().map(|m| m.path.as_str())
    }

    /// The `go` directive's version, e.g. `1.23`.
    pub fn go_version(&self) -> Option<&str> {
        self.go.as_ref().map(|g| g.version.as_str())
    }

    // The directives below are all beyond [`parse_common`]: without [`FULL_GRAMMAR`] no
    // `GoMod` has them, and saying so here lets the compiler drop what reads them (the module
    // graph of `require` and `replace`, in the loader) from the page's first-load module.

    pub fn toolchain(&self) -> Option<&str> {
        self.toolchain
            .as_ref()
            .filter(|_| FULL_GRAMMAR)
            .map(|t| t.name.as_str())
    }

    pub fn requires(&self) -> &[Require] {
        if FULL_GRAMMAR {
            &self.require
        } else {
            &[]
        }
    }

    pub fn replacements(&self) -> &[Replace] {
        if FULL_GRAMMAR {
            &self.replace
        } else {
            &[]
        }
    }

    pub fn excludes(&self) -> &[Exclude] {
        if FULL_GRAMMAR {
            &self.exclude
        } else {
            &[]
        }
    }

    pub fn retractions(&self) -> &[Retract] {
        if FULL_GRAMMAR {
            &self.retract
        } else {
            &[]
        }
    }

    pub fn godebugs(&self) -> &[Godebug] {
        if FULL_GRAMMAR {
            &self.godebug
        } else {
            &[]
        }
    }
}

/// One located error, as go prints it: `go.mod:5: unknown directive: foo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub file: String,
    pub pos: Pos,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // go leaves the column out when it is 1, which is all but lexer errors and indented lines.
        if self.pos.column > 1 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.pos.line, self.pos.column, self.msg
            )
        } else if self.pos.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.pos.line, self.msg)
        } else {
            write!(f, "{}: {}", self.file, self.msg)
        }
    }
}

/// Why a `go.mod` was refused. `Display` is the go command's text, without the trailing newline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModError {
    /// The main module's `go.mod` has errors: `go: errors parsing go.mod:` and one line each.
    Parse {
        file: String,
        errors: Vec<ParseError>,
    },
    /// A dependency's `go.mod` has errors. Renders only the error lines: the go command frames them
    /// itself (`module ./x: parsing x/go.mod: /abs/x/go.mod:3: ...`).
    Dependency {
        file: String,
        errors: Vec<ParseError>,
    },
    /// The main module's `go.mod` parsed but has no `module` line.
    MissingModule { file: String },
    /// The main module's `go` line is newer than the go command (go 1.23.5, run with
    /// `GOTOOLCHAIN=local`: it does not switch toolchains).
    TooNew { file: String, version: String },
    /// Without [`FULL_GRAMMAR`]: the file is more than [`parse_common`] reads (renders as
    /// [`UNSUPPORTED`]).
    Unsupported,
}

impl ModError {
    /// The located errors, in go's order (statement order, then retractions).
    pub fn errors(&self) -> &[ParseError] {
        match self {
            ModError::Parse { errors, .. } | ModError::Dependency { errors, .. } => errors,
            ModError::MissingModule { .. } | ModError::TooNew { .. } | ModError::Unsupported => {
                &[]
            }
        }
    }
}

impl fmt::Display for ModError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, errors: &[ParseError]| {
            for (i, e) in errors.iter().enumerate() {
                if i > 0 {
                    f.write_str("\n")?;
                }
                write!(f, "{e}")?;
            }
            Ok(())
        };
        match self {
            ModError::Parse { file, errors } => {
                writeln!(f, "go: errors parsing {file}:")?;
                list(f, errors)
            }
            ModError::Dependency { errors, .. } => list(f, errors),
            ModError::MissingModule { file } => write!(
                f,
                "go: error reading {file}: missing module declaration. To specify the module path:\n\tgo mod edit -module=example.com/mod"
            ),
            ModError::TooNew { file, version } => write!(f, "go: {}", too_new(file, version)),
            ModError::Unsupported => f.write_str(UNSUPPORTED),
        }
    }
}

impl std::error::Error for ModError {}

/// Parses `data` as the main module's `go.mod`. `file` is the path go would print for it: its
/// path relative to the working directory when that is shorter (`go.mod`, `../go.mod`), else
/// absolute. Fails if there is no `module` line, as the go command does.
pub fn parse(file: &str, data: &[u8]) -> Result<GoMod, ModError> {
    let m = parse_to_file(file, data, Mode::Strict).map_err(|errors| match errors.is_empty() {
        true => ModError::Unsupported,
        false => ModError::Parse {
            file: file.to_string(),
            errors,
        },
    })?;
    // modload's ReadModFile: a `go` line newer than the go command, before the module line.
    if let Some(go) = m.go.as_ref().filter(|g| newer_than_local(&g.version)) {
        return Err(ModError::TooNew {
            file: file.to_string(),
            version: go.version.clone(),
        });
    }
    if m.module.is_none() {
        return Err(ModError::MissingModule {
            file: file.to_string(),
        });
    }
    Ok(m)
}

/// The go command's own version (`gover.Local()`), the one the std graph was made with.
pub fn local_version() -> &'static str {
    crate::stdlib::GO_VERSION.trim_start_matches("go")
}

/// `gover.TooNewError` as go prints it, under `GOTOOLCHAIN=local`: `what` is `go.mod` (its
/// short path) or `module ./dep`.
pub fn too_new(what: &str, version: &str) -> String {
    format!(
        "{what} requires go >= {version} (running go {}; GOTOOLCHAIN=local)",
        local_version()
    )
}

/// `gover.Compare(v, gover.Local()) > 0`.
pub fn newer_than_local(v: &str) -> bool {
    gover_key(v) > gover_key(local_version())
}

/// `gover.Compare(v, min) >= 0`.
pub fn go_at_least(v: &str, min: &str) -> bool {
    gover_key(v) >= gover_key(min)
}

/// `gover.Compare(v, gover.GoStrictVersion) >= 0`: from go1.21 a module's `go` line is a
/// requirement on the go command.
pub fn strict_go_version(v: &str) -> bool {
    go_at_least(v, "1.21")
}

/// A go version as `gover.Compare` orders them: major, minor, patch (none before `.0`; none is
/// `.0` before go1.21), pre-release kind (none < alpha < beta < rc), its number. Versions the
/// parser rejects order first.
fn gover_key(v: &str) -> (u64, u64, i64, u8, u64) {
    fn int(s: &str) -> (Option<u64>, &str) {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (s[..n].parse().ok(), &s[n..])
    }
    let (Some(major), rest) = int(v) else {
        return (0, 0, -1, 0, 0);
    };
    let Some(rest) = rest.strip_prefix('.') else {
        return (major, 0, 0, 0, 0);
    };
    let (minor, rest) = int(rest);
    let minor = minor.unwrap_or(0);
    if let Some(p) = rest.strip_prefix('.') {
        return (major, minor, int(p).0.map_or(-1, |p| p as i64), 0, 0);
    }
    let patch = if rest.is_empty() && major == 1 && minor < 21 { 0 } else { -1 };
    let kinds = [("alpha", 1), ("beta", 2), ("rc", 3)];
    let (kind, pre) = kinds
        .iter()
        .find_map(|(k, r)| rest.strip_prefix(k).map(|p| (*r, int(p).0.unwrap_or(0))))
        .unwrap_or((0, 0));
    (major, minor, patch, kind, pre)
}

/// cmd/go's `CheckGodebug` of a `godebug` line (go 1.23.5's settings): `None` when accepted.
pub fn godebug_error(key: &str, value: &str) -> Option<String> {
    const KNOWN: &[&str] = &[
        "asynctimerchan", "execerrdot", "gocachehash", "gocachetest", "gocacheverify",
        "gotypesalias", "http2client", "http2debug", "http2server", "httplaxcontentlength",
        "httpmuxgo121", "httpservecontentkeepheaders", "installgoroot", "jstmpllitinterp",
        "multipartfiles", "multipartmaxheaders", "multipartmaxparts", "multipathtcp", "netdns",
        "netedns0", "panicnil", "randautoseed", "tarinsecurepath", "tls10server", "tls3des",
        "tlskyber", "tlsmaxrsasize", "tlsrsakex", "tlsunsafeekm", "winreadlinkvolume",
        "winsymlink", "x509keypairleaf", "x509negativeserial", "x509sha1",
        "x509usefallbackroots", "x509usepolicies", "zipinsecurepath",
    ];
    let blank = |s: &str| s.contains([' ', '\t']);
    if blank(key) {
        return Some("key contains space".into());
    }
    if blank(value) {
        return Some("value contains space".into());
    }
    if key.contains(',') {
        return Some("key contains comma".into());
    }
    if value.contains(',') {
        return Some("value contains comma".into());
    }
    if key == "default" {
        let v = value.strip_prefix("go").filter(|v| is_gover(v));
        return match v {
            None => Some("value for default= must be goVERSION".into()),
            Some(v) if newer_than_local(v) => Some(format!(
                "default={value} too new (toolchain is go{})",
                local_version()
            )),
            Some(_) => None,
        };
    }
    (!KNOWN.contains(&key)).then(|| format!("unknown godebug {}", quote(key)))
}

/// `gover.IsValid`: `1`, `1.21`, `1.21.3`, `1.21rc1`…
fn is_gover(v: &str) -> bool {
    is_go_version(v) || (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0'))
}

/// Parses `data` as a dependency's `go.mod`: only `module`, `go`, `require` and `retract` are
/// read, anything else is skipped, and versions must already be canonical.
pub fn parse_lax(file: &str, data: &[u8]) -> Result<GoMod, ModError> {
    parse_to_file(file, data, Mode::Lax).map_err(|errors| match errors.is_empty() {
        true => ModError::Unsupported,
        false => ModError::Dependency {
            file: file.to_string(),
            errors,
        },
    })
}

/// Whether this build of core reads the whole `go.mod` grammar (its `gomod-grammar` feature):
/// blocks, `require`, `replace`, `exclude`, `retract`, `godebug`, `toolchain`, and every error
/// go reports in them. Without it, [`parse`] and [`parse_lax`] read only what [`parse_common`]
/// does and answer anything else with [`ModError::Unsupported`]: the page's first-load module
/// (which builds the page's first module, and every sample is one `module` line and one `go`
/// line) hands such a workspace to the full module.
pub const FULL_GRAMMAR: bool = cfg!(feature = "gomod-grammar");

/// [`ModError::Unsupported`]'s text (the loader's error for it, worded even without
/// `error-texts`: what a build leaves out is named).
pub const UNSUPPORTED: &str =
    "buildlab: this go.mod needs more of go.mod's grammar than this build of Buildlab reads";

/// The common `go.mod`: a `module` line, a `go` line and `//` comments, in printable ASCII; the
/// same [`GoMod`] the whole grammar makes of it, or `None` for anything else (another
/// directive, a block, a quoted or unusual path, a `go` version go would refuse, a repeated
/// line, no `module` line, a `Deprecated` comment, a character outside printable ASCII), which
/// the whole grammar may accept or report: the caller cannot tell, and hands it on.
pub fn parse_common(data: &[u8]) -> Option<GoMod> {
    if !data
        .iter()
        .all(|&b| b == b'\n' || b == b'\t' || (b' '..=b'~').contains(&b))
    {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    let mut out = GoMod::default();
    for (i, line) in text.split('\n').enumerate() {
        let (code, comment) = match line.find("//") {
            Some(c) => line.split_at(c),
            None => (line, ""),
        };
        if comment.contains("eprecated") {
            return None;
        }
        let column = 1 + code.len() - code.trim_start_matches([' ', '\t']).len();
        let mut words = code.split([' ', '\t']).filter(|w| !w.is_empty());
        let Some(verb) = words.next() else {
            continue;
        };
        let (Some(arg), None) = (words.next(), words.next()) else {
            return None;
        };
        let pos = Pos {
            line: i + 1,
            column,
        };
        match verb {
            "module" if out.module.is_none() => {
                let plain = |b: u8| b.is_ascii_alphanumeric() || b"._~/+-".contains(&b);
                if !arg.bytes().all(plain) || arg.contains("/*") {
                    return None;
                }
                out.module = Some(Module {
                    path: arg.to_string(),
                    deprecated: None,
                    pos,
                });
            }
            "go" if out.go.is_none() && is_go_version(arg) => {
                out.go = Some(GoDirective {
                    version: arg.to_string(),
                    pos,
                });
            }
            _ => return None,
        }
    }
    out.module.as_ref()?;
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Syntax: lexer and statement parser.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cursor {
    line: usize,
    column: usize,
    byte: usize,
}

impl Cursor {
    fn pos(self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Eof,
    /// A comment after other text on its line (it includes the line's newline).
    EolComment,
    /// A comment alone on its line (it includes the line's newline).
    Comment,
    Ident,
    Str,
    Newline,
    LParen,
    RParen,
    /// One of `[ ] { } ,`.
    Punct,
}

impl Kind {
    fn is_eol(self) -> bool {
        matches!(self, Kind::Eof | Kind::EolComment | Kind::Newline)
    }
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    start: Cursor,
    text: String,
}

/// A statement line: `require a v1` at top level, or `a v1` inside `require ( ... )`.
#[derive(Clone, Debug, Default)]
struct Line {
    start: Cursor,
    tokens: Vec<String>,
    /// Whole-line comments just above it; `""` stands for a blank line inside a block.
    before: Vec<String>,
    /// The comment that ends its line.
    suffix: Option<String>,
}

#[derive(Clone, Debug)]
struct Block {
    start: Cursor,
    tokens: Vec<String>,
    before: Vec<String>,
    lines: Vec<Line>,
}

#[derive(Clone, Debug)]
enum Stmt {
    Line(Line),
    Block(Block),
}

/// Decodes one rune as Go's `utf8.DecodeRune` does: invalid input is U+FFFD, one byte wide.
fn decode_rune(b: &[u8]) -> (char, usize) {
    let n = b.len().min(4);
    match std::str::from_utf8(&b[..n]) {
        Ok(s) => s
            .chars()
            .next()
            .map_or(('\u{fffd}', 1), |c| (c, c.len_utf8())),
        Err(e) if e.valid_up_to() > 0 => {
            let c = std::str::from_utf8(&b[..e.valid_up_to()])
                .ok()
                .and_then(|s| s.chars().next())
                .unwrap_or('\u{fffd}');
            (c, c.len_utf8())
        }
        Err(_) => ('\u{fffd}', 1),
    }
}

struct Parser<'a> {
    file: &'a str,
    data: &'a [u8],
    cur: Cursor,
    tok: Token,
}

type SyntaxResult<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    fn new(file: &'a str, data: &'a [u8]) -> Self {
        let start = Cursor {
            line: 1,
            column: 1,
            byte: 0,
        };
        Parser {
            file,
            data,
            cur: start,
            tok: Token {
                kind: Kind::Eof,
                start,
                text: String::new(),
            },
        }
    }

    fn error<T>(&self, at: Cursor, msg: impl Into<String>) -> SyntaxResult<T> {
        Err(ParseError {
            file: self.file.to_string(),
            pos: at.pos(),
            msg: msg.into(),
        })
    }

    fn rest(&self) -> &'a [u8] {
        &self.data[self.cur.byte..]
    }

    fn eof(&self) -> bool {
        self.cur.byte >= self.data.len()
    }

    /// The next rune, or NUL at the end (as go's lexer does).
    fn peek_rune(&self) -> char {
        if self.eof() {
            '\0'
        } else {
            decode_rune(self.rest()).0
        }
    }

    fn read_rune(&mut self) -> char {
        if self.eof() {
            return '\0';
        }
        let (c, n) = decode_rune(self.rest());
        self.cur.byte += n;
        if c == '\n' {
            self.cur.line += 1;
            self.cur.column = 1;
        } else {
            self.cur.column += 1;
        }
        c
    }

    fn text_from(&self, start: Cursor) -> String {
        String::from_utf8_lossy(&self.data[start.byte..self.cur.byte]).into_owned()
    }

    /// Scans the next token into `self.tok`.
    fn read_token(&mut self) -> SyntaxResult<()> {
        while !self.eof() {
            let c = self.peek_rune();
            if c == ' ' || c == '\t' || c == '\r' {
                self.read_rune();
                continue;
            }
            if self.rest().starts_with(b"//") {
                let start = self.cur;
                let line_start = self.data[..start.byte]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let suffix = !String::from_utf8_lossy(&self.data[line_start..start.byte])
                    .trim()
                    .is_empty();
                while !self.eof() && self.read_rune() != '\n' {}
                let mut text = self.text_from(start);
                if text.ends_with("\r\n") {
                    text.truncate(text.len() - 2);
                } else if text.ends_with('\n') {
                    text.truncate(text.len() - 1);
                }
                let kind = if suffix {
                    Kind::EolComment
                } else {
                    Kind::Comment
                };
                self.tok = Token { kind, start, text };
                return Ok(());
            }
            if self.rest().starts_with(b"/*") {
                return self.error(
                    self.cur,
                    "mod files must use // comments (not /* */ comments)",
                );
            }
            break;
        }

        let start = self.cur;
        if self.eof() {
            self.tok = Token {
                kind: Kind::Eof,
                start,
                text: String::new(),
            };
            return Ok(());
        }
        let c = self.peek_rune();
        let kind = match c {
            '\n' => Some(Kind::Newline),
            '(' => Some(Kind::LParen),
            ')' => Some(Kind::RParen),
            '[' | ']' | '{' | '}' | ',' => Some(Kind::Punct),
            _ => None,
        };
        if let Some(kind) = kind {
            self.read_rune();
            self.tok = Token {
                kind,
                start,
                text: self.text_from(start),
            };
            return Ok(());
        }

        if c == '"' || c == '`' {
            self.read_rune();
            loop {
                if self.eof() {
                    return self.error(start, "unexpected EOF in string");
                }
                if self.peek_rune() == '\n' {
                    return self.error(self.cur, "unexpected newline in string");
                }
                let r = self.read_rune();
                if r == c {
                    break;
                }
                if r == '\\' && c != '`' {
                    if self.eof() {
                        return self.error(start, "unexpected EOF in string");
                    }
                    self.read_rune();
                }
            }
            self.tok = Token {
                kind: Kind::Str,
                start,
                text: self.text_from(start),
            };
            return Ok(());
        }

        if !is_ident(c) {
            return self.error(
                self.cur,
                format!("unexpected input character {}", quote_rune(c)),
            );
        }
        while !self.eof() && is_ident(self.peek_rune()) {
            if self.rest().starts_with(b"//") {
                break;
            }
            if self.rest().starts_with(b"/*") {
                return self.error(
                    self.cur,
                    "mod files must use // comments (not /* */ comments)",
                );
            }
            self.read_rune();
        }
        self.tok = Token {
            kind: Kind::Ident,
            start,
            text: self.text_from(start),
        };
        Ok(())
    }

    fn peek(&self) -> Kind {
        self.tok.kind
    }

    /// Returns the lookahead token and scans the next one.
    fn lex(&mut self) -> SyntaxResult<Token> {
        let tok = self.tok.clone();
        self.read_token()?;
        Ok(tok)
    }

    fn parse_file(mut self) -> SyntaxResult<Vec<Stmt>> {
        self.read_token()?;
        let mut stmts = Vec::new();
        // Whole-line comments waiting to be attached to the statement right below them.
        let mut pending: Option<Vec<String>> = None;
        loop {
            match self.peek() {
                Kind::Newline => {
                    self.lex()?;
                    pending = None;
                }
                Kind::Comment => {
                    let tok = self.lex()?;
                    pending.get_or_insert_with(Vec::new).push(tok.text);
                }
                Kind::Eof => return Ok(stmts),
                _ => {
                    let mut stmt = self.parse_stmt()?;
                    if let Some(before) = pending.take() {
                        match &mut stmt {
                            Stmt::Line(l) => l.before = before,
                            Stmt::Block(b) => b.before = before,
                        }
                    }
                    stmts.push(stmt);
                }
            }
        }
    }

    fn parse_stmt(&mut self) -> SyntaxResult<Stmt> {
        let first = self.lex()?;
        let start = first.start;
        let mut tokens = vec![first.text];
        loop {
            let tok = self.lex()?;
            if tok.kind.is_eol() {
                let suffix = (tok.kind == Kind::EolComment).then_some(tok.text);
                return Ok(Stmt::Line(Line {
                    start,
                    tokens,
                    before: Vec::new(),
                    suffix,
                }));
            }
            if tok.kind == Kind::LParen {
                let next = self.peek();
                if next.is_eol() {
                    return Ok(Stmt::Block(self.parse_block(start, tokens)?));
                } else if next == Kind::RParen {
                    let rparen = self.lex()?;
                    if self.peek().is_eol() {
                        self.lex()?;
                        return Ok(Stmt::Block(Block {
                            start,
                            tokens,
                            before: Vec::new(),
                            lines: Vec::new(),
                        }));
                    }
                    tokens.push(tok.text);
                    tokens.push(rparen.text);
                } else {
                    tokens.push(tok.text);
                }
            } else {
                tokens.push(tok.text);
            }
        }
    }

    fn parse_block(&mut self, start: Cursor, tokens: Vec<String>) -> SyntaxResult<Block> {
        let mut block = Block {
            start,
            tokens,
            before: Vec::new(),
            lines: Vec::new(),
        };
        let mut comments: Vec<String> = Vec::new();
        loop {
            match self.peek() {
                Kind::EolComment => {
                    self.lex()?;
                }
                Kind::Newline => {
                    self.lex()?;
                    let blank_after_line = comments.is_empty() && !block.lines.is_empty();
                    let blank_after_comment = comments.last().is_some_and(|c| !c.is_empty());
                    if blank_after_line || blank_after_comment {
                        comments.push(String::new());
                    }
                }
                Kind::Comment => {
                    let tok = self.lex()?;
                    comments.push(tok.text);
                }
                Kind::Eof => {
                    let msg = format!(
                        "syntax error (unterminated block started at {}:{}:{})",
                        self.file, block.start.line, block.start.column
                    );
                    return self.error(self.cur, msg);
                }
                Kind::RParen => {
                    self.lex()?;
                    if !self.peek().is_eol() {
                        return self.error(
                            self.cur,
                            "syntax error (expected newline after closing paren)",
                        );
                    }
                    self.lex()?;
                    return Ok(block);
                }
                _ => {
                    let mut line = self.parse_line()?;
                    line.before = std::mem::take(&mut comments);
                    block.lines.push(line);
                }
            }
        }
    }

    fn parse_line(&mut self) -> SyntaxResult<Line> {
        let first = self.lex()?;
        let start = first.start;
        let mut tokens = vec![first.text];
        loop {
            let tok = self.lex()?;
            if tok.kind.is_eol() {
                let suffix = (tok.kind == Kind::EolComment).then_some(tok.text);
                return Ok(Line {
                    start,
                    tokens,
                    before: Vec::new(),
                    suffix,
                });
            }
            tokens.push(tok.text);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Directives.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Strict,
    Lax,
}

/// How versions are checked, after go's `VersionFixer` variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fix {
    /// No fixer: the version must be canonical semver, or `must be of the form v1.2.3`.
    Canonical,
    /// Accept anything (retractions on the first pass; they are checked once the module is known).
    Keep,
    /// The go command's fixer, offline: canonical versions are checked against the path's major
    /// version, anything else would need a module query and fails as with `GOPROXY=off`.
    GoCommand,
}

struct Builder<'a> {
    file: &'a str,
    mode: Mode,
    errs: Vec<ParseError>,
    out: GoMod,
    /// The syntax of each retraction, for the second pass over them.
    retract_syntax: Vec<(Cursor, Vec<String>)>,
}

fn parse_to_file(file: &str, data: &[u8], mode: Mode) -> Result<GoMod, Vec<ParseError>> {
    if !FULL_GRAMMAR {
        // No error list: the callers' `ModError::Unsupported`.
        return parse_common(data).ok_or_else(Vec::new);
    }
    let stmts = Parser::new(file, data).parse_file().map_err(|e| vec![e])?;
    let mut b = Builder {
        file,
        mode,
        errs: Vec::new(),
        out: GoMod::default(),
        retract_syntax: Vec::new(),
    };
    for stmt in stmts {
        match stmt {
            Stmt::Line(mut line) => {
                let verb = line.tokens[0].clone();
                b.add(None, &mut line, &verb, 1);
            }
            Stmt::Block(mut block) => {
                let known = [
                    "module", "godebug", "require", "exclude", "replace", "retract",
                ];
                if block.tokens.len() > 1 || !known.contains(&block.tokens[0].as_str()) {
                    if mode == Mode::Strict {
                        let msg = format!("unknown block type: {}", block.tokens.join(" "));
                        b.errs.push(ParseError {
                            file: file.to_string(),
                            pos: block.start.pos(),
                            msg,
                        });
                    }
                    continue;
                }
                let verb = block.tokens[0].clone();
                let mut lines = std::mem::take(&mut block.lines);
                for line in &mut lines {
                    b.add(Some(&block), line, &verb, 0);
                }
            }
        }
    }
    if mode == Mode::Strict {
        b.fix_retract();
    }
    if b.errs.is_empty() {
        Ok(b.out)
    } else {
        Err(b.errs)
    }
}

/// `verb path: ` or `verb: `, the prefix go puts on errors that name a directive.
fn directive(verb: &str, path: &str) -> String {
    if !path.is_empty() {
        format!("{verb} {path}: ")
    } else if !verb.is_empty() {
        format!("{verb}: ")
    } else {
        String::new()
    }
}

impl Builder<'_> {
    fn errorf(&mut self, at: Cursor, msg: impl Into<String>) {
        self.errs.push(ParseError {
            file: self.file.to_string(),
            pos: at.pos(),
            msg: msg.into(),
        });
    }

    /// Applies one directive line; `skip` is how many leading tokens are not arguments (the verb).
    fn add(&mut self, block: Option<&Block>, line: &mut Line, verb: &str, skip: usize) {
        if self.mode == Mode::Lax && !matches!(verb, "go" | "module" | "retract" | "require") {
            return;
        }
        let at = line.start;
        let pos = at.pos();
        let fix = if self.mode == Mode::Strict {
            Fix::GoCommand
        } else {
            Fix::Canonical
        };
        let args = &mut line.tokens[skip..];
        match verb {
            "go" => {
                if self.out.go.is_some() {
                    return self.errorf(at, "repeated go statement");
                }
                if args.len() != 1 {
                    return self.errorf(at, "go directive expects exactly one argument");
                }
                let mut version = args[0].clone();
                if !is_go_version(&version) {
                    match lax_go_version(&version).filter(|_| self.mode == Mode::Lax) {
                        Some(fixed) => version = fixed.to_string(),
                        None => {
                            return self.errorf(
                                at,
                                format!("invalid go version '{version}': must match format 1.23.0"),
                            )
                        }
                    }
                }
                self.out.go = Some(GoDirective { version, pos });
            }
            "toolchain" => {
                if self.out.toolchain.is_some() {
                    return self.errorf(at, "repeated toolchain statement");
                }
                if args.len() != 1 {
                    return self.errorf(at, "toolchain directive expects exactly one argument");
                }
                let name = &args[0];
                if !(name == "default" || name == "go1" || name.starts_with("go1.")) {
                    let msg = format!(
                        "invalid toolchain version '{name}': must match format go1.23.0 or default"
                    );
                    return self.errorf(at, msg);
                }
                self.out.toolchain = Some(Toolchain {
                    name: name.clone(),
                    pos,
                });
            }
            "module" => {
                if self.out.module.is_some() {
                    return self.errorf(at, "repeated module statement");
                }
                let deprecated = deprecation(&directive_comment(block, line));
                // Recorded before the checks, as go does: a second `module` line is "repeated"
                // even when the first was malformed.
                self.out.module = Some(Module {
                    path: String::new(),
                    deprecated,
                    pos,
                });
                let args = &line.tokens[skip..];
                if args.len() != 1 {
                    return self.errorf(at, "usage: module module/path");
                }
                match parse_string(&args[0]) {
                    Ok(path) => self.out.module.as_mut().expect("just set").path = path,
                    Err(e) => self.errorf(at, format!("invalid quoted string: {e}")),
                }
            }
            "godebug" => {
                if args.len() != 1 || args[0].contains(['"', '`', '\'', ',']) {
                    return self.errorf(at, "usage: godebug key=value");
                }
                let Some((key, value)) = args[0].split_once('=') else {
                    return self.errorf(at, "usage: godebug key=value");
                };
                self.out.godebug.push(Godebug {
                    key: key.to_string(),
                    value: value.to_string(),
                    pos,
                });
            }
            "require" | "exclude" => {
                if args.len() != 2 {
                    return self.errorf(at, format!("usage: {verb} module/path v1.2.3"));
                }
                let path = match parse_string(&args[0]) {
                    Ok(p) => p,
                    Err(e) => return self.errorf(at, format!("invalid quoted string: {e}")),
                };
                let version = match parse_version(verb, &path, &mut args[1], fix) {
                    Ok(v) => v,
                    Err(e) => return self.errorf(at, e),
                };
                let Some((_, major)) = split_path_version(&path) else {
                    return self.errorf(at, "invalid module path");
                };
                if let Err(e) = check_path_major(&version, major) {
                    return self.errorf(at, format!("{}{e}", directive(verb, &path)));
                }
                if verb == "require" {
                    let indirect = line.suffix.as_deref().is_some_and(is_indirect);
                    self.out.require.push(Require {
                        path,
                        version,
                        indirect,
                        pos,
                    });
                } else {
                    self.out.exclude.push(Exclude { path, version, pos });
                }
            }
            "replace" => match parse_replace(verb, args, fix) {
                Ok((old_path, old_version, new)) => self.out.replace.push(Replace {
                    old_path,
                    old_version,
                    new,
                    pos,
                }),
                Err(e) => self.errorf(at, e),
            },
            "retract" => {
                let rationale = directive_comment(block, line);
                let args = &mut line.tokens[skip..];
                let (low, high, used) = match parse_version_interval(verb, "", args, Fix::Keep) {
                    Ok(v) => v,
                    Err(e) if self.mode == Mode::Strict => return self.errorf(at, e),
                    Err(_) => return,
                };
                if used < args.len() && self.mode == Mode::Strict {
                    let msg = format!("unexpected token after version: {}", quote(&args[used]));
                    return self.errorf(at, msg);
                }
                self.retract_syntax.push((at, line.tokens.clone()));
                self.out.retract.push(Retract {
                    low,
                    high,
                    rationale,
                    pos,
                });
            }
            _ => self.errorf(at, format!("unknown directive: {verb}")),
        }
    }

    /// Checks retracted versions once the module path is known (go's `fixRetract`).
    fn fix_retract(&mut self) {
        let path = self
            .out
            .module
            .as_ref()
            .map(|m| m.path.clone())
            .unwrap_or_default();
        let syntax = std::mem::take(&mut self.retract_syntax);
        for (i, (at, mut tokens)) in syntax.into_iter().enumerate() {
            if path.is_empty() {
                self.errorf(at, "no module directive found, so retract cannot be used");
                return;
            }
            let skip = usize::from(tokens.first().is_some_and(|t| t == "retract"));
            match parse_version_interval("retract", &path, &mut tokens[skip..], Fix::GoCommand) {
                Ok((low, high, _)) => {
                    let r = &mut self.out.retract[i];
                    r.low = low;
                    r.high = high;
                }
                Err(e) => self.errorf(at, e),
            }
        }
    }
}

/// Reads `replace old [v] => new [v]`; on error, the message go prints after the position.
fn parse_replace(
    verb: &str,
    args: &mut [String],
    fix: Fix,
) -> Result<(String, Option<String>, ReplaceTarget), String> {
    let arrow = if args.len() >= 2 && args[1] == "=>" {
        1
    } else {
        2
    };
    if args.len() < arrow + 2 || args.len() > arrow + 3 || args[arrow] != "=>" {
        return Err(format!(
            "usage: {verb} module/path [v1.2.3] => other/module v1.4\n\t or {verb} module/path [v1.2.3] => ../local/directory"
        ));
    }
    let old = parse_string(&args[0]).map_err(|e| format!("invalid quoted string: {e}"))?;
    let Some((_, major)) = split_path_version(&old) else {
        return Err(format!("{}invalid module path", directive(verb, &old)));
    };
    let mut old_version = None;
    if arrow == 2 {
        let v = parse_version(verb, &old, &mut args[1], fix)?;
        check_path_major(&v, major).map_err(|e| format!("{}{e}", directive(verb, &old)))?;
        old_version = Some(v);
    }
    let new = parse_string(&args[arrow + 1]).map_err(|e| format!("invalid quoted string: {e}"))?;
    if args.len() == arrow + 2 {
        if !is_directory_path(&new) {
            if new.contains('@') {
                return Err(
                    "replacement module must match format 'path version', not 'path@version'"
                        .into(),
                );
            }
            return Err("replacement module without version must be directory path (rooted or starting with . or ..)".into());
        }
        if new.contains('\\') {
            return Err(
                "replacement directory appears to be Windows path (on a non-windows system)".into(),
            );
        }
        return Ok((old, old_version, ReplaceTarget::Dir(new)));
    }
    let version = parse_version(verb, &new, &mut args[arrow + 2], fix)?;
    if is_directory_path(&new) {
        return Err(format!(
            "replacement module directory path {} cannot have version",
            quote(&new)
        ));
    }
    Ok((
        old,
        old_version,
        ReplaceTarget::Module { path: new, version },
    ))
}

/// `v1.2.3` or `[v1.0.0, v1.2.0]`: the low and high versions and how many tokens were used.
/// Versions that parse are written back unquoted, as go does to its syntax tree.
fn parse_version_interval(
    verb: &str,
    path: &str,
    toks: &mut [String],
    fix: Fix,
) -> Result<(String, String, usize), String> {
    if toks.is_empty() || toks[0] == "(" {
        return Err("expected '[' or version".into());
    }
    if toks[0] != "[" {
        let v = parse_version(verb, path, &mut toks[0], fix)?;
        return Ok((v.clone(), v, 1));
    }
    if toks.len() < 2 {
        return Err("expected version after '['".into());
    }
    let low = parse_version(verb, path, &mut toks[1], fix)?;
    if toks.len() < 3 || toks[2] != "," {
        return Err("expected ',' after version".into());
    }
    if toks.len() < 4 {
        return Err("expected version after ','".into());
    }
    let high = parse_version(verb, path, &mut toks[3], fix)?;
    if toks.len() < 5 || toks[4] != "]" {
        return Err("expected ']' after version".into());
    }
    Ok((low, high, 5))
}

/// Unquotes a token that starts with `"`; refuses quotes in bare tokens.
fn parse_string(s: &str) -> Result<String, &'static str> {
    if s.starts_with('"') {
        go_unquote(s).ok_or("invalid syntax")
    } else if s.contains(['"', '\'', '`']) {
        Err("unquoted string cannot contain quote")
    } else {
        Ok(s.to_string())
    }
}

fn parse_version(verb: &str, path: &str, s: &mut String, fix: Fix) -> Result<String, String> {
    let mut t = parse_string(s)
        .map_err(|e| format!("{}version {} invalid: {e}", directive(verb, path), quote(s)))?;
    match fix {
        Fix::Keep => {}
        Fix::Canonical => {
            let cv = canonical_version(&t);
            if cv.is_empty() {
                return Err(format!(
                    "{}version {} invalid: must be of the form v1.2.3",
                    directive(verb, path),
                    quote(&t)
                ));
            }
            t = cv;
        }
        Fix::GoCommand => {
            t = go_command_fix(path, &t).map_err(|e| match e {
                FixError::Version(msg) => format!("{}{msg}", directive(verb, path)),
                FixError::Query(msg) => msg,
            })?;
        }
    }
    s.clone_from(&t);
    Ok(t)
}

enum FixError {
    /// An invalid version for this path (go prefixes it with the directive).
    Version(String),
    /// What the module query would have said (printed bare).
    Query(String),
}

/// The go command's version fixer, with module queries answered as under `GOPROXY=off`.
fn go_command_fix(path: &str, vers: &str) -> Result<String, FixError> {
    let mut vers = vers;
    if path.starts_with("gopkg.in/") {
        if let Some(i) = vers.find("-gopkgin-") {
            vers = &vers[i + "-gopkgin-".len()..];
        }
    }
    let Some((_, major)) = split_path_version(path) else {
        return Err(FixError::Version(format!(
            "version {} invalid: malformed module path {}",
            quote(vers),
            quote(path)
        )));
    };
    if !vers.is_empty() && canonical_version(vers) == vers {
        check_path_major(vers, major).map_err(FixError::Version)?;
        return Ok(vers.to_string());
    }
    Err(FixError::Query(query_error(path, vers)))
}

/// What `modload.Query` answers offline for a version that is not canonical.
fn query_error(path: &str, vers: &str) -> String {
    if path == "std" || path == "cmd" {
        return format!(
            "can't query specific version ({}) of standard-library module {}",
            quote(vers),
            quote(path)
        );
    }
    if path != "go" && path != "toolchain" {
        if let Err(e) = check_module_path(path) {
            return format!("malformed module path {}: {e}", quote(path));
        }
    }
    "module lookup disabled by GOPROXY=off".into()
}

/// `// indirect` or `// indirect; other notes`.
fn is_indirect(comment: &str) -> bool {
    let f: Vec<&str> = comment
        .strip_prefix("//")
        .unwrap_or(comment)
        .split_whitespace()
        .collect();
    (f.len() == 1 && f[0] == "indirect") || (f.len() > 1 && f[0] == "indirect;")
}

/// The comment text of a directive: its own comments, else its block's.
fn directive_comment(block: Option<&Block>, line: &Line) -> String {
    let (before, suffix) = match block {
        Some(b) if line.before.is_empty() && line.suffix.is_none() => (&b.before, None),
        _ => (&line.before, line.suffix.as_ref()),
    };
    let lines: Vec<&str> = before
        .iter()
        .chain(suffix)
        .filter_map(|c| c.strip_prefix("//"))
        .map(str::trim)
        .collect();
    lines.join("\n")
}

/// The first paragraph starting `Deprecated:`, without that word (go's `deprecatedRE`).
fn deprecation(text: &str) -> Option<String> {
    let mut at = 0;
    loop {
        let para_start = at == 0 || text[..at].ends_with("\n\n");
        if para_start {
            if let Some(rest) = text[at..].strip_prefix("Deprecated:") {
                let rest = rest.trim_start_matches(' ');
                let end = rest.find("\n\n").unwrap_or(rest.len());
                return Some(rest[..end].to_string());
            }
        }
        match text[at..].find('\n') {
            Some(i) => at += i + 1,
            None => return None,
        }
    }
}

fn is_directory_path(ns: &str) -> bool {
    let b = ns.as_bytes();
    ns == "."
        || ns.starts_with("./")
        || ns.starts_with(".\\")
        || ns == ".."
        || ns.starts_with("../")
        || ns.starts_with("..\\")
        || ns.starts_with('/')
        || ns.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

// ---------------------------------------------------------------------------------------------
// Versions and module paths (after golang.org/x/mod's semver and module packages).

fn is_go_version(v: &str) -> bool {
    // ^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$
    fn num(s: &str) -> Option<&str> {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || (n > 1 && s.starts_with('0')) {
            None
        } else {
            Some(&s[n..])
        }
    }
    let Some(rest) = num(v).filter(|_| !v.starts_with('0')) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('.').and_then(num) else {
        return false;
    };
    let rest = match rest.strip_prefix('.') {
        Some(r) => match num(r) {
            Some(r) => r,
            None => return false,
        },
        None => rest,
    };
    if rest.is_empty() {
        return true;
    }
    let letters = rest.bytes().take_while(u8::is_ascii_lowercase).count();
    let digits = &rest[letters..];
    letters > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)$`: the `1.23` in `1.23rc1-foo`, for lax files.
fn lax_go_version(v: &str) -> Option<&str> {
    let s = v.strip_prefix('v').unwrap_or(v);
    let major = s.bytes().take_while(u8::is_ascii_digit).count();
    if major == 0 || s.starts_with('0') || s.as_bytes().get(major) != Some(&b'.') {
        return None;
    }
    let after = &s[major + 1..];
    let minor = after.bytes().take_while(u8::is_ascii_digit).count();
    if minor == 0 {
        return None;
    }
    // With a leading 0 the minor is just "0", and the next character must not be a digit.
    let minor = if after.starts_with('0') { 1 } else { minor };
    let end = major + 1 + minor;
    let tail = &s[end..];
    // `[^0-9]` takes any one character, newline included; `.*` then stops at newlines.
    let mut rest = tail.chars();
    match rest.next() {
        Some(c) if !c.is_ascii_digit() && !rest.as_str().contains('\n') => Some(&s[..end]),
        _ => None,
    }
}

/// A parsed semantic version `vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]]`.
struct Semver<'a> {
    major: &'a str,
    /// What shorthand `v1` or `v1.2` lacks: `.0.0` or `.0`.
    short: &'static str,
    build: &'a str,
}

fn semver(v: &str) -> Option<Semver<'_>> {
    fn int(s: &str) -> Option<(&str, &str)> {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || (n > 1 && s.starts_with('0')) {
            return None;
        }
        Some((&s[..n], &s[n..]))
    }
    fn idents(s: &str, numeric_check: bool) -> bool {
        !s.is_empty()
            && s.split('.').all(|p| {
                let bad_num = numeric_check
                    && p.len() > 1
                    && p.starts_with('0')
                    && p.bytes().all(|b| b.is_ascii_digit());
                !p.is_empty()
                    && !bad_num
                    && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    }
    let (major, rest) = int(v.strip_prefix('v')?)?;
    if rest.is_empty() {
        return Some(Semver {
            major,
            short: ".0.0",
            build: "",
        });
    }
    let (_, rest) = int(rest.strip_prefix('.')?)?;
    if rest.is_empty() {
        return Some(Semver {
            major,
            short: ".0",
            build: "",
        });
    }
    let (_, mut rest) = int(rest.strip_prefix('.')?)?;
    if let Some(pre) = rest.strip_prefix('-') {
        let end = pre.find('+').unwrap_or(pre.len());
        if !idents(&pre[..end], true) {
            return None;
        }
        rest = &pre[end..];
    }
    let mut build = "";
    if let Some(b) = rest.strip_prefix('+') {
        if !idents(b, false) {
            return None;
        }
        build = rest;
        rest = "";
    }
    rest.is_empty().then_some(Semver {
        major,
        short: "",
        build,
    })
}

/// go's `module.CanonicalVersion`: `v1.2` is `v1.2.0`, build metadata goes except
/// `+incompatible`; `""` if `v` is not semver.
fn canonical_version(v: &str) -> String {
    let Some(p) = semver(v) else {
        return String::new();
    };
    if !p.build.is_empty() {
        let base = &v[..v.len() - p.build.len()];
        if p.build == "+incompatible" {
            return format!("{base}+incompatible");
        }
        return base.to_string();
    }
    format!("{v}{}", p.short)
}

/// go's `module.SplitPathVersion`: the path without its major version suffix, and that suffix
/// (`/v2`, `.v1` for gopkg.in). `None` for a malformed suffix such as `/v1` or `/v0`.
fn split_path_version(path: &str) -> Option<(&str, &str)> {
    if path.starts_with("gopkg.in/") {
        let b = path.as_bytes();
        let mut i = path.len();
        if path.ends_with("-unstable") {
            i -= "-unstable".len();
        }
        while i > 0 && b[i - 1].is_ascii_digit() {
            i -= 1;
        }
        if i <= 1 || b[i - 1] != b'v' || b[i - 2] != b'.' {
            return None;
        }
        let (prefix, major) = path.split_at(i - 2);
        if major.len() <= 2 || (major.as_bytes()[2] == b'0' && major != ".v0") {
            return None;
        }
        return Some((prefix, major));
    }
    let b = path.as_bytes();
    let mut i = path.len();
    let mut dot = false;
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
        dot |= b[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == path.len() || b[i - 1] != b'v' || b[i - 2] != b'/' {
        return Some((path, ""));
    }
    let (prefix, major) = path.split_at(i - 2);
    if dot || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1" {
        return None;
    }
    Some((prefix, major))
}

/// go's `module.CheckPathMajor`; the error is an invalid-version message.
fn check_path_major(v: &str, path_major: &str) -> Result<(), String> {
    let mut pm = path_major;
    if pm.starts_with(".v") {
        pm = pm.strip_suffix("-unstable").unwrap_or(pm);
    }
    if v.starts_with("v0.0.0-") && pm == ".v1" {
        return Ok(());
    }
    let p = semver(v);
    let m = p
        .as_ref()
        .map_or(String::new(), |p| format!("v{}", p.major));
    let want = if pm.is_empty() {
        if m == "v0" || m == "v1" || p.as_ref().is_some_and(|p| p.build == "+incompatible") {
            return Ok(());
        }
        "v0 or v1"
    } else if pm.starts_with('/') || pm.starts_with('.') {
        if m == pm[1..] {
            return Ok(());
        }
        &pm[1..]
    } else {
        pm
    };
    Err(format!(
        "version {} invalid: should be {want}, not {m}",
        quote(v)
    ))
}

/// go's `module.CheckImportPath`: `Err` holds its whole message (`malformed import path
/// "fmt/": trailing slash`). Import paths are module paths that may also have elements with a
/// leading dot and a `+`.
pub fn check_import_path(path: &str) -> Result<(), String> {
    check_path(path, PathKind::Import)
        .map_err(|e| format!("malformed import path {}: {e}", quote(path)))
}

/// golang.org/x/mod/module's `pathKind` (file paths are not checked here).
#[derive(Clone, Copy, Debug, PartialEq)]
enum PathKind {
    Module,
    Import,
}

/// x/mod's `checkPath`: the error is what follows `malformed ... path "p": `.
fn check_path(path: &str, kind: PathKind) -> Result<(), String> {
    // The loader checks every import path it resolves: nearly all are plain, and pass in one
    // pass over their bytes; the others are judged in x/mod's order, for its first error.
    if plain_path(path.as_bytes()) {
        return Ok(());
    }
    check_path_exact(path, kind)
}

/// x/mod's `checkPath` step by step (see [`check_path`]).
fn check_path_exact(path: &str, kind: PathKind) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty string".into());
    }
    if path.starts_with('-') {
        return Err("leading dash".into());
    }
    if path.contains("//") {
        return Err("double slash".into());
    }
    if path.ends_with('/') {
        return Err("trailing slash".into());
    }
    // Split by hand: `split` builds a searcher per call, and this runs for every import path
    // the loader resolves.
    let mut start = 0;
    for (i, &b) in path.as_bytes().iter().enumerate() {
        if b == b'/' {
            check_elem(&path[start..i], kind)?;
            start = i + 1;
        }
    }
    check_elem(&path[start..], kind)
}

/// go's `module.CheckPath`; the error is what follows `malformed module path "p": `.
fn check_module_path(path: &str) -> Result<(), String> {
    check_path(path, PathKind::Module)?;
    let first = path.split('/').next().unwrap_or("");
    if first.is_empty() {
        return Err("leading slash".into());
    }
    if !first.contains('.') {
        return Err("missing dot in first path element".into());
    }
    if path.starts_with('-') {
        return Err("leading dash in first path element".into());
    }
    if let Some(c) = first
        .chars()
        .find(|&c| !(c == '-' || c == '.' || c.is_ascii_digit() || c.is_ascii_lowercase()))
    {
        return Err(format!(
            "invalid char {} in first path element",
            quote_rune(c)
        ));
    }
    if split_path_version(path).is_none() {
        return Err("invalid version".into());
    }
    Ok(())
}

/// A path every kind accepts, judged in one pass: not starting with `-`, elements of ASCII
/// letters, digits, `-`, `_` and inner dots, none empty, none a Windows device's name.
fn plain_path(b: &[u8]) -> bool {
    // Each byte's class: 0 not plain, 1 plain, 2 a dot, 3 a slash.
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            t[c] = match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => 1,
                b'.' => 2,
                b'/' => 3,
                _ => 0,
            };
            c += 1;
        }
        t
    };
    // An element ending at `end`: not empty, no dot at either end, its name not a device's.
    let elem_ok = |start: usize, end: usize, dot: Option<usize>| {
        end > start
            && b[start] != b'.'
            && b[end - 1] != b'.'
            && !windows_device(&b[start..dot.unwrap_or(end)])
    };
    if b.first().is_none_or(|&c| c == b'-') {
        return false;
    }
    let (mut start, mut dot) = (0, None);
    for (i, &c) in b.iter().enumerate() {
        match CLASS[c as usize] {
            1 => {}
            2 => dot = dot.or(Some(i)),
            3 => {
                if !elem_ok(start, i, dot) {
                    return false;
                }
                (start, dot) = (i + 1, None);
            }
            _ => return false,
        }
    }
    elem_ok(start, b.len(), dot)
}

/// x/mod's `badWindowsNames`, in any case: CON, PRN, AUX, NUL, COM1…COM9, LPT1…LPT9.
#[inline]
fn windows_device(short: &[u8]) -> bool {
    let up = |i: usize| short[i].to_ascii_uppercase();
    match short.len() {
        3 => matches!(&[up(0), up(1), up(2)], b"CON" | b"PRN" | b"AUX" | b"NUL"),
        4 => matches!(&[up(0), up(1), up(2)], b"COM" | b"LPT") && matches!(short[3], b'1'..=b'9'),
        _ => false,
    }
}

fn check_elem(elem: &str, kind: PathKind) -> Result<(), String> {
    let short_len = elem.find('.').unwrap_or(elem.len());
    if elem.is_empty() {
        return Err("empty path element".into());
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err(format!("invalid path element {}", quote(elem)));
    }
    if elem.starts_with('.') && kind == PathKind::Module {
        return Err("leading dot in path element".into());
    }
    if elem.ends_with('.') {
        return Err("trailing dot in path element".into());
    }
    let ok = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '-' | '.' | '_' | '~')
            || (c == '+' && kind == PathKind::Import)
    };
    if let Some(c) = elem.chars().find(|&c| !ok(c)) {
        return Err(format!("invalid char {}", quote_rune(c)));
    }
    let short = &elem[..short_len];
    if windows_device(short.as_bytes()) {
        return Err(format!(
            "{} disallowed as path element component on Windows",
            quote(short)
        ));
    }
    if let Some(tilde) = short.bytes().rposition(|c| c == b'~') {
        let suffix = &short[tilde + 1..];
        if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
            return Err("trailing tilde and digits in path element".into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Go's string literals and character classes.

/// Assigned code points above ASCII that Go's `unicode.IsPrint` rejects: controls, format
/// characters, non-ASCII spaces and private use (generated from go1.23's Unicode 15 tables).
const NOT_PRINTABLE: [(u32, u32); 27] = [
    (0x80, 0xA0),
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x1680, 0x1680),
    (0x180E, 0x180E),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x2064),
    (0x2066, 0x206F),
    (0x3000, 0x3000),
    (0xE000, 0xF8FF),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    (0xF0000, 0xFFFFD),
    (0x100000, 0x10FFFD),
];

fn is_print(c: char) -> bool {
    let c = c as u32;
    if c < 0x80 {
        return (0x20..0x7f).contains(&c);
    }
    !NOT_PRINTABLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Characters of a bare `go.mod` token.
fn is_ident(c: char) -> bool {
    !matches!(c, ' ' | '(' | ')' | '[' | ']' | '{' | '}' | ',') && !c.is_whitespace() && is_print(c)
}

fn escape_into(out: &mut String, c: char, quote: char) {
    match c {
        _ if c == quote || c == '\\' => {
            out.push('\\');
            out.push(c);
        }
        _ if is_print(c) => out.push(c),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        _ if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        _ if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        _ => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `%q` of a string (`strconv.Quote`).
fn quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        escape_into(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `%q` of a rune (`strconv.QuoteRune`).
fn quote_rune(c: char) -> String {
    let mut out = String::from('\'');
    escape_into(&mut out, c, '\'');
    out.push('\'');
    out
}

/// Go's `strconv.Unquote` for a double-quoted literal; `None` is "invalid syntax".
fn go_unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = v * 16 + chars.next()?.to_digit(16)?;
        }
        Some(v)
    };
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' => return None,
            '\\' => {
                let e = chars.next()?;
                let simple = match e {
                    'a' => Some(7u8),
                    'b' => Some(8),
                    'f' => Some(12),
                    'n' => Some(b'\n'),
                    'r' => Some(b'\r'),
                    't' => Some(b'\t'),
                    'v' => Some(11),
                    '\\' => Some(b'\\'),
                    '"' => Some(b'"'),
                    _ => None,
                };
                if let Some(b) = simple {
                    out.push(b);
                    continue;
                }
                match e {
                    'x' => out.push(u8::try_from(hex(&mut chars, 2)?).ok()?),
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            v = v * 8 + chars.next()?.to_digit(8)?;
                        }
                        out.push(u8::try_from(v).ok()?);
                    }
                    'u' | 'U' => {
                        let c = char::from_u32(hex(&mut chars, if e == 'u' { 4 } else { 8 })?)?;
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    _ => return None,
                }
            }
            _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a test sees of a parse: go's error text, or one line per directive.
    fn render(result: Result<GoMod, ModError>) -> String {
        let m = match result {
            Ok(m) => m,
            Err(e) => return e.to_string(),
        };
        let at = |p: Pos| format!("{}:{}", p.line, p.column);
        let mut out = Vec::new();
        if let Some(x) = &m.module {
            let dep = x
                .deprecated
                .as_ref()
                .map(|d| format!(" deprecated={d:?}"))
                .unwrap_or_default();
            out.push(format!("{} module {}{dep}", at(x.pos), x.path));
        }
        if let Some(x) = &m.go {
            out.push(format!("{} go {}", at(x.pos), x.version));
        }
        if let Some(x) = &m.toolchain {
            out.push(format!("{} toolchain {}", at(x.pos), x.name));
        }
        for x in &m.godebug {
            out.push(format!("{} godebug {}={}", at(x.pos), x.key, x.value));
        }
        for x in &m.require {
            out.push(format!(
                "{} require {} {}{}",
                at(x.pos),
                x.path,
                x.version,
                if x.indirect { " indirect" } else { "" }
            ));
        }
        for x in &m.exclude {
            out.push(format!("{} exclude {} {}", at(x.pos), x.path, x.version));
        }
        for x in &m.replace {
            let old = x
                .old_version
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            let new = match &x.new {
                ReplaceTarget::Module { path, version } => format!("{path} {version}"),
                ReplaceTarget::Dir(d) => format!("dir {d}"),
            };
            out.push(format!(
                "{} replace {}{old} => {new}",
                at(x.pos),
                x.old_path
            ));
        }
        for x in &m.retract {
            out.push(format!(
                "{} retract [{}, {}] {:?}",
                at(x.pos),
                x.low,
                x.high,
                x.rationale
            ));
        }
        out.join("\n")
    }

    fn check(src: &str, want: &str) {
        assert_eq!(
            render(parse("go.mod", src.as_bytes())),
            want,
            "parsing:\n{src}"
        );
    }

    fn check_lax(src: &str, want: &str) {
        assert_eq!(
            render(parse_lax("/abs/x/go.mod", src.as_bytes())),
            want,
            "parsing:\n{src}"
        );
    }

    // The four go.mod cases of /work/shared/oracle/errors.txt, with go 1.23.5's exact output.

    #[test]
    fn oracle_badmod1_unknown_directive() {
        check(
            "module example.com/badmod1\n\ngo 1.23\n\nfoo bar\n",
            "go: errors parsing go.mod:\ngo.mod:5: unknown directive: foo",
        );
    }

    #[test]
    fn oracle_badmod2_unterminated_block() {
        check(
            "module example.com/badmod2\n\ngo 1.23\n\nrequire (\n\texample.com/x v1.0.0\n",
            "go: errors parsing go.mod:\ngo.mod:7: syntax error (unterminated block started at go.mod:5:1)",
        );
    }

    #[test]
    fn oracle_badmod3_bad_go_version() {
        check(
            "module example.com/badmod3\n\ngo one.two\n",
            "go: errors parsing go.mod:\ngo.mod:3: invalid go version 'one.two': must match format 1.23.0",
        );
    }

    #[test]
    fn oracle_badmod4_missing_module() {
        check(
            "go 1.23\n",
            "go: error reading go.mod: missing module declaration. To specify the module path:\n\tgo mod edit -module=example.com/mod",
        );
    }

    #[test]
    fn the_path_go_prints_is_the_callers() {
        let e = parse("../go.mod", b"module x\nrequire (\n").unwrap_err();
        assert_eq!(e.to_string(), "go: errors parsing ../go.mod:\n../go.mod:3: syntax error (unterminated block started at ../go.mod:2:1)");
        assert_eq!(e.errors().len(), 1);
    }

    /// The oracle's real go.mod files (/work/shared/oracle/src/*/go.mod, cfgtool and its third_party).
    #[test]
    fn oracle_go_mod_files_parse() {
        check(
            "module example.com/hello\n\ngo 1.23.5\n",
            "1:1 module example.com/hello\n3:1 go 1.23.5",
        );
        check(
            "module example.com/webjson\n\ngo 1.23\n",
            "1:1 module example.com/webjson\n3:1 go 1.23",
        );
        check(
            "module example.com/multi\n\ngo 1.23\n",
            "1:1 module example.com/multi\n3:1 go 1.23",
        );
        check(
            "module example.com/cfgtool\n\ngo 1.23\n\nrequire (\n\tgithub.com/BurntSushi/toml v1.5.0\n\tgithub.com/spf13/pflag v1.0.6\n)\n\nreplace (\n\tgithub.com/BurntSushi/toml => ./third_party/toml\n\tgithub.com/spf13/pflag => ./third_party/pflag\n)\n",
            "1:1 module example.com/cfgtool\n3:1 go 1.23\n\
             6:2 require github.com/BurntSushi/toml v1.5.0\n7:2 require github.com/spf13/pflag v1.0.6\n\
             11:2 replace github.com/BurntSushi/toml => dir ./third_party/toml\n\
             12:2 replace github.com/spf13/pflag => dir ./third_party/pflag",
        );
        check(
            "module github.com/BurntSushi/toml\n\ngo 1.21\n",
            "1:1 module github.com/BurntSushi/toml\n3:1 go 1.21",
        );
        check(
            "module github.com/spf13/pflag\n\ngo 1.12\n",
            "1:1 module github.com/spf13/pflag\n3:1 go 1.12",
        );
        check_lax(
            "module github.com/spf13/pflag\n\ngo 1.12\n",
            "1:1 module github.com/spf13/pflag\n3:1 go 1.12",
        );
    }

    /// Every directive, checked against `go mod edit -json` of go 1.23.5.
    #[test]
    fn every_directive() {
        check(
            "// Deprecated: use example.com/new\n// instead.\n//\n// more\nmodule \"example.com/rich\"\n\ngo 1.22.1\n\n\
             toolchain go1.23.5\n\ngodebug (\n\tpanicnil=1\n\tasynctimerchan=0\n)\n\nrequire (\n\
             \tgolang.org/x/text v0.14.0 // indirect\n\texample.com/a v1.0.0 // indirect; needed by b\n\
             \texample.com/b/v2 v2.1.0\n\n\t// comment above\n\t\"example.com/c\" v1.2.3-pre.1 // not indirect\n)\n\n\
             require example.com/d v0.0.0-20240101000000-abcdefabcdef // indirect\n\nexclude example.com/a v0.9.0\n\n\
             replace example.com/a => ./third_party/a\nreplace example.com/b/v2 v2.1.0 => ../other\n\
             replace example.com/c v1.2.3-pre.1 => example.com/fork v1.0.0\nreplace (\n\texample.com/e => /abs/e\n)\n\n\
             // block rationale\nretract (\n\tv1.0.0 // broken\n\t[v1.1.0, v1.2.0]\n\n\t// bad release\n\t// really\n\tv1.3.0\n)\n\
             retract v0.1.0\n",
            "5:1 module example.com/rich deprecated=\"use example.com/new\\ninstead.\"\n7:1 go 1.22.1\n9:1 toolchain go1.23.5\n\
             12:2 godebug panicnil=1\n13:2 godebug asynctimerchan=0\n\
             17:2 require golang.org/x/text v0.14.0 indirect\n18:2 require example.com/a v1.0.0 indirect\n\
             19:2 require example.com/b/v2 v2.1.0\n22:2 require example.com/c v1.2.3-pre.1\n\
             25:1 require example.com/d v0.0.0-20240101000000-abcdefabcdef indirect\n\
             27:1 exclude example.com/a v0.9.0\n\
             29:1 replace example.com/a => dir ./third_party/a\n30:1 replace example.com/b/v2 v2.1.0 => dir ../other\n\
             31:1 replace example.com/c v1.2.3-pre.1 => example.com/fork v1.0.0\n33:2 replace example.com/e => dir /abs/e\n\
             38:2 retract [v1.0.0, v1.0.0] \"broken\"\n39:2 retract [v1.1.0, v1.2.0] \"block rationale\"\n\
             43:2 retract [v1.3.0, v1.3.0] \"bad release\\nreally\"\n45:1 retract [v0.1.0, v0.1.0] \"\"",
        );
    }

    #[test]
    fn comments_quotes_and_crlf() {
        check("module x // c\r\ngo 1.23\r\n", "1:1 module x\n2:1 go 1.23");
        check("module `x`\n", "go: errors parsing go.mod:\ngo.mod:1: invalid quoted string: unquoted string cannot contain quote");
        check("module \"a\\x2fb\"\n", "1:1 module a/b");
        check("module x\nrequire ()\nrequire (\n)\n", "1:1 module x");
    }

    /// Each case was run through go 1.23.5 (`GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod`);
    /// the expected text is what it printed after `go: errors parsing go.mod:`.
    #[test]
    fn errors_match_go() {
        let cases: &[(&str, &str)] = &[
            // Errors are in statement order, retractions (checked once the module is known) last.
            ("module x.com/m\nretract v1.0\nfoo\n", "go.mod:3: unknown directive: foo\ngo.mod:2: module lookup disabled by GOPROXY=off"),
            ("module x\nmodule y\ngo 1.2\ngo 1.3\n", "go.mod:2: repeated module statement\ngo.mod:4: repeated go statement"),
            (
                "module x.com/m\nrequire (\n\ta.com/b v1\n\tc.com/d v2.0.0\n)\n  toolchain 1.2\ngodebug (\n\tfoo\n)\nexclude a.com/b v1.0.0/x\n",
                "go.mod:3:2: module lookup disabled by GOPROXY=off\n\
                 go.mod:4:2: require c.com/d: version \"v2.0.0\" invalid: should be v0 or v1, not v2\n\
                 go.mod:6:3: invalid toolchain version '1.2': must match format go1.23.0 or default\n\
                 go.mod:8:2: usage: godebug key=value\n\
                 go.mod:10: module lookup disabled by GOPROXY=off",
            ),
            (
                "module x.com/m\nreplace a.com/b => c.com/d\nreplace a.com/b v1.0.0 => ./d v1.0.0\nreplace a.com/b => c@v1\n\
                 replace a.com/b => .\\x\nreplace a.com/b\nretract [v1.0.0, v1.2.0\nretract v1.0.0 x\nretract (\n)\nretract [\n",
                "go.mod:2: replacement module without version must be directory path (rooted or starting with . or ..)\n\
                 go.mod:3: replacement module directory path \"./d\" cannot have version\n\
                 go.mod:4: replacement module must match format 'path version', not 'path@version'\n\
                 go.mod:5: replacement directory appears to be Windows path (on a non-windows system)\n\
                 go.mod:6: usage: replace module/path [v1.2.3] => other/module v1.4\n\t or replace module/path [v1.2.3] => ../local/directory\n\
                 go.mod:7: expected ']' after version\n\
                 go.mod:8: unexpected token after version: \"x\"\n\
                 go.mod:11: expected version after '['",
            ),
            ("require (\n\ta.com/b v1.0.0\n\n", "go.mod:4: syntax error (unterminated block started at go.mod:1:1)"),
            ("require (\n\ta.com/b v1.0.0", "go.mod:2:16: syntax error (unterminated block started at go.mod:1:1)"),
            ("module x\nfoo (\n)\nrequire a b (\n)\n", "go.mod:2: unknown block type: foo\ngo.mod:4: unknown block type: require a b"),
            ("module \"x\nfoo\n", "go.mod:1:10: unexpected newline in string"),
            ("module x\n\"a", "go.mod:2: unexpected EOF in string"),
            ("\u{feff}module x\n", "go.mod:1: unexpected input character '\\ufeff'"),
            ("module x\n\x01\n", "go.mod:2: unexpected input character '\\x01'"),
            ("module x\na\u{a0}b\n", "go.mod:2:2: unexpected input character '\\u00a0'"),
            ("module x /* c */\n", "go.mod:1:10: mod files must use // comments (not /* */ comments)"),
            ("module x/* c */\n", "go.mod:1:9: mod files must use // comments (not /* */ comments)"),
            ("module x\nrequire (\n  a.com/b v1.0.0\n) x\n", "go.mod:4:4: syntax error (expected newline after closing paren)"),
            ("module\n", "go.mod:1: usage: module module/path"),
            ("module foo bar\n", "go.mod:1: usage: module module/path"),
            ("module 'x'\n", "go.mod:1: invalid quoted string: unquoted string cannot contain quote"),
            ("module \"x\\'\"\n", "go.mod:1: invalid quoted string: invalid syntax"),
            ("module x\ngo 1.21 1.22\n", "go.mod:2: go directive expects exactly one argument"),
            ("module x\ngo v1.21\n", "go.mod:2: invalid go version 'v1.21': must match format 1.23.0"),
            ("module x\ntoolchain go1.21\ntoolchain go1.22\n", "go.mod:3: repeated toolchain statement"),
            ("module x\ntoolchain go1.21 x\n", "go.mod:2: toolchain directive expects exactly one argument"),
            ("module x\ngodebug \"a=b\"\ngodebug a\n", "go.mod:2: usage: godebug key=value\ngo.mod:3: usage: godebug key=value"),
            ("module x\nrequire x.com/y v1.2.3 extra\n", "go.mod:2: usage: require module/path v1.2.3"),
            ("module x\nrequire x.com/y/v2 v1.2.3\n", "go.mod:2: require x.com/y/v2: version \"v1.2.3\" invalid: should be v2, not v1"),
            ("module x\nrequire x v1.2\n", "go.mod:2: malformed module path \"x\": missing dot in first path element"),
            ("module x\nrequire a.com/b \"\"\n", "go.mod:2: module lookup disabled by GOPROXY=off"),
            ("module x\nrequire a.com/b/v1 v1.2.3\n", "go.mod:2: require a.com/b/v1: version \"v1.2.3\" invalid: malformed module path \"a.com/b/v1\""),
            (
                "module x\nrequire a.com/b/v2 v0.0.0-20200101000000-abcdefabcdef\n",
                "go.mod:2: require a.com/b/v2: version \"v0.0.0-20200101000000-abcdefabcdef\" invalid: should be v2, not v0",
            ),
            ("module x\nrequire std v1.0\n", "go.mod:2: can't query specific version (\"v1.0\") of standard-library module \"std\""),
            ("module x\nrequire a.com/con v1.0\n", "go.mod:2: malformed module path \"a.com/con\": \"con\" disallowed as path element component on Windows"),
            ("module x\nrequire A.com/b v1.0\n", "go.mod:2: malformed module path \"A.com/b\": invalid char 'A' in first path element"),
            ("module x\nrequire a.com/b~1 v1.0\n", "go.mod:2: malformed module path \"a.com/b~1\": trailing tilde and digits in path element"),
            ("module x\nrequire a.com/... v1.0\n", "go.mod:2: malformed module path \"a.com/...\": invalid path element \"...\""),
            ("module x\nrequire a.com/b@c v1.0\n", "go.mod:2: malformed module path \"a.com/b@c\": invalid char '@'"),
            ("module x\nexclude a.com/b/v3 v2.0.0\n", "go.mod:2: exclude a.com/b/v3: version \"v2.0.0\" invalid: should be v3, not v2"),
            ("module x\nreplace a.com/b/v1 => ./x\n", "go.mod:2: replace a.com/b/v1: invalid module path"),
            ("module x\nreplace a.com/b => ./x v1.0.0\n", "go.mod:2: replacement module directory path \"./x\" cannot have version"),
            ("module x\nreplace a.com/b => c.com/d v1.0\n", "go.mod:2: module lookup disabled by GOPROXY=off"),
            ("go 1.2\nretract v1.0.0\nretract v1.1.0\n", "go.mod:2: no module directive found, so retract cannot be used"),
            ("module x.com/m\nretract [v1.0.0 v1.2.0]\nretract [v1.0.0,\nretract [v1.0.0,]\n", "go.mod:2: expected ',' after version\ngo.mod:3: expected version after ','\ngo.mod:4: expected ']' after version"),
            ("module x.com/m\nretract (\n v1\n [v1.0.0,v1.1.0]\n)\n", "go.mod:3:2: module lookup disabled by GOPROXY=off"),
            ("module x.com/m\nretract `v1.0.0`\n", "go.mod:2: retract: version \"`v1.0.0`\" invalid: unquoted string cannot contain quote"),
            ("module x\n)\n", "go.mod:2: unknown directive: )"),
        ];
        for (src, want) in cases {
            check(src, &format!("go: errors parsing go.mod:\n{want}"));
        }
    }

    #[test]
    fn accepted_like_go() {
        check("module x\ngo 1.21rc1\n", "1:1 module x\n2:1 go 1.21rc1");
        check(
            "module x\nrequire a.com/b v1.0.0+incompatible\n",
            "1:1 module x\n2:1 require a.com/b v1.0.0+incompatible",
        );
        check(
            "module x\nrequire gopkg.in/yaml.v2 v2.4.0\n",
            "1:1 module x\n2:1 require gopkg.in/yaml.v2 v2.4.0",
        );
        check(
            "module x\nreplace a.com/b => C:/x\n",
            "1:1 module x\n2:1 replace a.com/b => dir C:/x",
        );
        check(
            "module x\nrequire \"a.com/b\" \"v1.0.0\"\n",
            "1:1 module x\n2:1 require a.com/b v1.0.0",
        );
    }

    /// Dependencies' go.mod files: only module, go, require and retract count.
    #[test]
    fn lax_parse_for_dependencies() {
        check_lax(
            "module b.com/x\nfoo bar\nweird (\n)\ntoolchain nonsense\ngo 1.21rc1-foo\nrequire c.com/y v1\nretract nonsense x\n",
            "1:1 module b.com/x\n6:1 go 1.21\n7:1 require c.com/y v1.0.0\n8:1 retract [nonsense, nonsense] \"\"",
        );
        check_lax(
            "module b.com/x\ngo 1.2 3\n",
            "/abs/x/go.mod:2: go directive expects exactly one argument",
        );
        check_lax("go 1.21\n", "1:1 go 1.21");
        check_lax(
            "module b.com/x\nrequire c.com/y v1.0\nrequire c.com/z master\n",
            "/abs/x/go.mod:3: require c.com/z: version \"master\" invalid: must be of the form v1.2.3",
        );
    }

    #[test]
    fn regressions() {
        // Inputs that end inside the parser's one-token lookahead: lone punctuation, open
        // blocks, unterminated strings and escapes. (The proptests below have found no crash.)
        for src in [
            "(",
            ")",
            "\"\\",
            "a (",
            "a ( )",
            "\"",
            "`",
            "retract [",
            "module x\nretract ( ( )\n",
        ] {
            let _ = parse("go.mod", src.as_bytes());
            let _ = parse_lax("go.mod", src.as_bytes());
        }
    }

    /// Without the grammar, `parse` and `parse_lax` read the common go.mod and nothing more.
    #[test]
    #[cfg(not(feature = "gomod-grammar"))]
    fn without_the_grammar_only_the_common_go_mod_is_read() {
        let m = parse("go.mod", b"module example.com/m\n\ngo 1.23\n").unwrap();
        assert_eq!(m.module_path(), Some("example.com/m"));
        assert_eq!(m.go_version(), Some("1.23"));
        for src in [
            "module m\nrequire x.com/y v1.0.0\n",
            "go 1.23\n",
            "module m\nfoo\n",
        ] {
            assert_eq!(
                parse("go.mod", src.as_bytes()),
                Err(ModError::Unsupported),
                "{src:?}"
            );
            assert_eq!(
                parse_lax("go.mod", src.as_bytes()),
                Err(ModError::Unsupported)
            );
        }
        // A go line newer than the go command is still refused in go's words.
        let e = parse("go.mod", b"module m\ngo 1.99\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("go.mod requires go >= 1.99"), "{e}");
    }

    /// `parse_common` reads what it reads as the whole grammar does (positions included), and
    /// hands on everything it does not read.
    #[test]
    fn common_go_mods_read_as_the_whole_grammar_reads_them() {
        for src in [
            "module example.com/hello\n\ngo 1.23.5\n",
            "module example.com/m\ngo 1.23",
            "// A module.\nmodule example.com/m // its path\n\n\tgo 1.21rc1//x\n",
            "  module  a.b/c-d_e~f+g\n",
            "go 1.22\nmodule m\n",
        ] {
            let common = parse_common(src.as_bytes()).unwrap_or_else(|| panic!("{src:?}"));
            assert_eq!(
                Ok(common),
                parse_to_file("go.mod", src.as_bytes(), Mode::Strict),
                "{src:?}"
            );
        }
        for src in [
            "",
            "go 1.23\n",
            "module m\nmodule m\n",
            "module m\ngo 1.23\ngo 1.23\n",
            "module \"m\"\n",
            "module `m`\n",
            "module m\ngo one.two\n",
            "module m\ngo 01.23\n",
            "module m\ngo 1.23 1.24\n",
            "module\n",
            "module m x\n",
            "module m/*x*/\n",
            "module m\nrequire x.com/y v1.0.0\n",
            "module m\nreplace x.com/y => ./y\n",
            "module m\ntoolchain go1.23.5\n",
            "module m\ngodebug panicnil=1\n",
            "module (\n\tm\n)\n",
            "module m\r\ngo 1.23\r\n",
            "\u{feff}module m\n",
            "module m\u{e9}\n",
            "// Deprecated: use n.\nmodule m\n",
            "module m // Deprecated: use n.\n",
        ] {
            assert_eq!(parse_common(src.as_bytes()), None, "{src:?}");
        }
    }

    fn token() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("module".to_string()),
            Just("go".to_string()),
            Just("toolchain".to_string()),
            Just("godebug".to_string()),
            Just("require".to_string()),
            Just("exclude".to_string()),
            Just("replace".to_string()),
            Just("retract".to_string()),
            Just("=>".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(",".to_string()),
            Just("\n".to_string()),
            Just("// indirect\n".to_string()),
            Just("//".to_string()),
            Just("/*".to_string()),
            Just("\"".to_string()),
            Just("`".to_string()),
            Just("\\".to_string()),
            Just("v1.2.3".to_string()),
            Just("v2.0.0+incompatible".to_string()),
            Just("example.com/a/v2".to_string()),
            Just("gopkg.in/x.v1".to_string()),
            Just("./dir".to_string()),
            Just("1.23".to_string()),
            "[a-z0-9./@=~-]{0,8}",
            "\"[^\"\n]{0,6}\"",
            any::<char>().prop_map(String::from),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse("go.mod", &data).map_err(|e| e.to_string());
            let _ = parse_lax("go.mod", &data).map_err(|e| e.to_string());
        }

        #[test]
        fn token_soup_never_panics(toks in proptest::collection::vec(token(), 0..40), seps in proptest::collection::vec(prop_oneof![Just(" "), Just(""), Just("\t"), Just("\r\n")], 40)) {
            let src: String = toks.iter().zip(&seps).map(|(t, s)| format!("{t}{s}")).collect();
            let r = parse("go.mod", src.as_bytes());
            if let Err(e) = &r {
                // Every located error names the file and a real line.
                for err in e.errors() {
                    prop_assert!(err.pos.line >= 1 && err.pos.line <= src.matches('\n').count() + 1);
                }
            }
            let _ = parse_lax("go.mod", src.as_bytes());
        }

        /// Whatever `parse_common` reads, the whole grammar reads the same: lines made of a
        /// directive, spacing, an argument and a comment, most of them ones it reads.
        #[test]
        fn common_reading_agrees(lines in proptest::collection::vec((
            prop_oneof![Just(""), Just(" "), Just("\t"), Just("  \t")],
            prop_oneof![Just("module"), Just("module"), Just("go"), Just("go"), Just("require"), Just("//"), Just("")],
            prop_oneof![Just(" "), Just("\t"), Just(""), Just(" ( ")],
            prop_oneof![
                Just("example.com/m"), Just("m"), Just("a.b/c-d_e~f+g"), Just("1.23"), Just("1.23.5"),
                Just("1.21rc1"), Just("1.0"), Just("01.2"), Just("\"m\""), Just("x/*y"), Just("é"),
                Just("v1.0.0"), Just(""),
            ].prop_map(String::from).boxed().prop_union("[a-z0-9./~+-]{1,6}".boxed()),
            prop_oneof![Just(""), Just(""), Just(" // note"), Just("//x"), Just(" // Deprecated: y"), Just(" z")],
        ), 0..6)) {
            let src: String = lines
                .iter()
                .map(|(a, b, c, d, e)| format!("{a}{b}{c}{d}{e}\n"))
                .collect();
            if let Some(common) = parse_common(src.as_bytes()) {
                prop_assert_eq!(Ok(common), parse_to_file("go.mod", src.as_bytes(), Mode::Strict), "{:?}", src);
            }
        }

        /// The one-pass check of plain paths accepts only what x/mod's step-by-step check
        /// accepts, for import and module paths alike.
        #[test]
        fn plain_paths_pass_the_exact_check(parts in proptest::collection::vec(prop_oneof![
            Just("a"), Just("Z9"), Just("."), Just("/"), Just("-"), Just("_"), Just("~1"), Just("+"),
            Just("con"), Just("COM1"), Just("lpt0"), Just("aux."), Just("nul"), Just("é"), Just(" "),
        ], 0..10)) {
            let path: String = parts.concat();
            let plain = plain_path(path.as_bytes());
            for kind in [PathKind::Import, PathKind::Module] {
                let exact = check_path_exact(&path, kind);
                prop_assert!(!plain || exact.is_ok(), "{path:?} {kind:?}: {exact:?}");
                prop_assert_eq!(check_path(&path, kind), exact);
            }
        }
    }
}
