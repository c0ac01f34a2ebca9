//! Build constraints, as go/build applies them: `//go:build` expressions and legacy `// +build`
//! lines, the file-name rules (`_GOOS`, `_GOARCH`, `_test.go`, leading `_` or `.`), the
//! [`BuildContext`] that answers "does this tag hold?", and [`classify_dir`], which sorts one
//! directory's files into go/build's lists and says, for every file left out, why.
//!
//! What it deliberately does not do: it reads no file (bytes come in as `(name, bytes)` pairs), it
//! does not look at `#cgo` lines, `//go:binary-only-package` or import comments, it does not
//! resolve imports, and it has no notion of modules or GOROOT. The header syntax itself (package
//! clause, imports, embeds) is the job of [`crate::scan`]. Tag characters outside ASCII are judged
//! with Rust's `char::is_alphabetic` / `is_numeric`, close to but not exactly Go's
//! `unicode.IsLetter` / `IsDigit`.

use std::borrow::Cow;
use std::fmt;

use crate::scan::{self, FileHeader, HeaderError, Pos};

// ---------------------------------------------------------------------------------------------
// Expressions

/// A build constraint expression. `Display` renders it the way go/build/constraint does
/// (`linux && (amd64 || arm64)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Tag(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Evaluates the expression; like go, both sides of `&&` and `||` are always visited, so `ok`
    /// sees every tag the expression mentions.
    pub fn eval(&self, ok: &mut dyn FnMut(&str) -> bool) -> bool {
        match self {
            Expr::Tag(t) => ok(t),
            Expr::Not(x) => !x.eval(ok),
            Expr::And(x, y) => {
                let a = x.eval(ok);
                let b = y.eval(ok);
                a && b
            }
            Expr::Or(x, y) => {
                let a = x.eval(ok);
                let b = y.eval(ok);
                a || b
            }
        }
    }

    /// Every tag the expression mentions, in order of appearance (with repeats).
    pub fn tags(&self) -> Vec<&str> {
        fn walk<'a>(x: &'a Expr, out: &mut Vec<&'a str>) {
            match x {
                Expr::Tag(t) => out.push(t),
                Expr::Not(x) => walk(x, out),
                Expr::And(x, y) | Expr::Or(x, y) => {
                    walk(x, out);
                    walk(y, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Tag(t) => f.write_str(t),
            Expr::Not(x) => match **x {
                Expr::And(..) | Expr::Or(..) => write!(f, "!({x})"),
                _ => write!(f, "!{x}"),
            },
            Expr::And(x, y) => {
                let arg = |e: &Expr| match e {
                    Expr::Or(..) => format!("({e})"),
                    _ => e.to_string(),
                };
                write!(f, "{} && {}", arg(x), arg(y))
            }
            Expr::Or(x, y) => {
                let arg = |e: &Expr| match e {
                    Expr::And(..) => format!("({e})"),
                    _ => e.to_string(),
                };
                write!(f, "{} || {}", arg(x), arg(y))
            }
        }
    }
}

/// A malformed constraint line, in go/build/constraint's words (`unexpected end of expression`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset in the expression text (after `//go:build`) where the error was detected.
    pub offset: usize,
    pub msg: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || c == '_' || c == '.'
}

/// The text after `//go:build` if `line` is a `//go:build` line (go's `splitGoBuild`).
pub fn split_go_build(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if line.contains('\n') || !line.starts_with("//go:build") {
        return None;
    }
    let rest = &line.trim()["//go:build".len()..];
    let trim = rest.trim();
    if rest.len() == trim.len() && !rest.is_empty() {
        return None; // `//go:buildfoo`
    }
    Some(trim)
}

/// The text after `+build` if `line` is a `// +build` line (go's `splitPlusBuild`).
pub fn split_plus_build(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if line.contains('\n') {
        return None;
    }
    let rest = line.strip_prefix("//")?.trim().strip_prefix("+build")?;
    let trim = rest.trim();
    if rest.len() == trim.len() && !rest.is_empty() {
        return None; // `// +buildfoo`
    }
    Some(trim)
}

/// Parses a whole `//go:build` or `// +build` line, like go/build/constraint's `Parse`.
pub fn parse_line(line: &str) -> Result<Expr, SyntaxError> {
    if let Some(text) = split_go_build(line) {
        return parse_expr(text);
    }
    if let Some(text) = split_plus_build(line) {
        return parse_plus_build_expr(text);
    }
    Err(SyntaxError {
        offset: 0,
        msg: "not a build constraint".into(),
    })
}

/// Parses a `//go:build` expression (the text after `//go:build`).
pub fn parse_expr(text: &str) -> Result<Expr, SyntaxError> {
    let mut p = ExprParser {
        s: text,
        i: 0,
        tok: "",
        is_tag: false,
        pos: 0,
        size: 0,
    };
    let x = p.or()?;
    if !p.tok.is_empty() {
        return Err(p.err(p.pos, format!("unexpected token {}", p.tok)));
    }
    Ok(x)
}

struct ExprParser<'a> {
    s: &'a str,
    i: usize,
    tok: &'a str,
    is_tag: bool,
    pos: usize,
    size: usize,
}

const MAX_SIZE: usize = 1000;

impl<'a> ExprParser<'a> {
    fn err(&self, offset: usize, msg: impl Into<String>) -> SyntaxError {
        SyntaxError {
            offset,
            msg: msg.into(),
        }
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut x = self.and()?;
        while self.tok == "||" {
            x = Expr::Or(Box::new(x), Box::new(self.and()?));
        }
        Ok(x)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut x = self.not()?;
        while self.tok == "&&" {
            x = Expr::And(Box::new(x), Box::new(self.not()?));
        }
        Ok(x)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        self.size += 1;
        if self.size > MAX_SIZE {
            return Err(self.err(self.pos, "build expression too large"));
        }
        self.lex()?;
        if self.tok == "!" {
            self.lex()?;
            if self.tok == "!" {
                return Err(self.err(self.pos, "double negation not allowed"));
            }
            return Ok(Expr::Not(Box::new(self.atom()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, SyntaxError> {
        if self.tok == "(" {
            let pos = self.pos;
            let x = self.or().map_err(|mut e| {
                if e.msg == "unexpected end of expression" {
                    e.msg = "missing close paren".into();
                }
                e
            })?;
            if self.tok != ")" {
                return Err(self.err(pos, "missing close paren"));
            }
            self.lex()?;
            return Ok(x);
        }
        if !self.is_tag {
            if self.tok.is_empty() {
                return Err(self.err(self.pos, "unexpected end of expression"));
            }
            return Err(self.err(self.pos, format!("unexpected token {}", self.tok)));
        }
        let tok = self.tok;
        self.lex()?;
        Ok(Expr::Tag(tok.to_string()))
    }

    fn lex(&mut self) -> Result<(), SyntaxError> {
        self.is_tag = false;
        let b = self.s.as_bytes();
        while self.i < b.len() && (b[self.i] == b' ' || b[self.i] == b'\t') {
            self.i += 1;
        }
        if self.i >= b.len() {
            self.tok = "";
            self.pos = self.i;
            return Ok(());
        }
        match b[self.i] {
            b'(' | b')' | b'!' => {
                self.pos = self.i;
                self.i += 1;
                self.tok = &self.s[self.pos..self.i];
                return Ok(());
            }
            c @ (b'&' | b'|') => {
                if self.i + 1 >= b.len() || b[self.i + 1] != c {
                    return Err(self.err(self.i, format!("invalid syntax at {}", c as char)));
                }
                self.pos = self.i;
                self.i += 2;
                self.tok = &self.s[self.pos..self.i];
                return Ok(());
            }
            _ => {}
        }
        let rest = &self.s[self.i..];
        let len = rest.find(|c: char| !is_tag_char(c)).unwrap_or(rest.len());
        if len == 0 {
            let c = rest.chars().next().unwrap_or('\u{FFFD}');
            return Err(self.err(self.i, format!("invalid syntax at {c}")));
        }
        self.pos = self.i;
        self.i += len;
        self.tok = &self.s[self.pos..self.i];
        self.is_tag = true;
        Ok(())
    }
}

/// Parses the text of a `// +build` line: space-separated clauses are ORed, comma-separated
/// terms ANDed; malformed terms (`!!x`, `!`, bad characters) become the tag `ignore`, as in go.
pub fn parse_plus_build_expr(text: &str) -> Result<Expr, SyntaxError> {
    const MAX_OLD_SIZE: usize = 100;
    let mut size = 0;
    let too_complex = || SyntaxError {
        offset: 0,
        msg: "expression too complex for // +build lines".into(),
    };
    let mut x: Option<Expr> = None;
    for clause in text
        .split(|c: char| c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let mut y: Option<Expr> = None;
        for lit in clause.split(',') {
            let z = if lit.starts_with("!!") || lit == "!" {
                Expr::Tag("ignore".into())
            } else {
                let (neg, name) = match lit.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, lit),
                };
                let valid = !name.is_empty() && name.chars().all(is_tag_char);
                let t = Expr::Tag(if valid { name } else { "ignore" }.to_string());
                if neg {
                    Expr::Not(Box::new(t))
                } else {
                    t
                }
            };
            y = Some(match y {
                None => z,
                Some(y) => {
                    size += 1;
                    if size > MAX_OLD_SIZE {
                        return Err(too_complex());
                    }
                    Expr::And(Box::new(y), Box::new(z))
                }
            });
        }
        let y = y.unwrap_or_else(|| Expr::Tag("ignore".into()));
        x = Some(match x {
            None => y,
            Some(x) => {
                size += 1;
                if size > MAX_OLD_SIZE {
                    return Err(too_complex());
                }
                Expr::Or(Box::new(x), Box::new(y))
            }
        });
    }
    Ok(x.unwrap_or_else(|| Expr::Tag("ignore".into())))
}

// ---------------------------------------------------------------------------------------------
// Constraint lines in a file header

/// One constraint line found in a file header, with its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstraintLine {
    pub line: usize,
    /// The line, trimmed (`//go:build linux`).
    pub text: String,
    pub expr: Expr,
}

/// The constraints of one file, as go/build's `shouldBuild` sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileConstraints {
    /// The `//go:build` line. When present it alone decides.
    pub go_build: Option<ConstraintLine>,
    /// Well-formed `// +build` lines in the leading comment block that ends with a blank line
    /// (malformed ones are skipped, as go does). Consulted only without `//go:build`.
    pub plus_build: Vec<ConstraintLine>,
}

impl FileConstraints {
    /// Whether the file is built in `ctx`: the `//go:build` line, or else every `+build` line.
    pub fn matches(&self, ctx: &BuildContext) -> bool {
        let mut ok = |t: &str| ctx.matches(t);
        match &self.go_build {
            Some(g) => g.expr.eval(&mut ok),
            None => self.plus_build.iter().all(|l| l.expr.eval(&mut ok)),
        }
    }
}

/// A constraint problem that makes go/build reject the file (the file then counts as invalid).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConstraintError {
    /// `multiple //go:build comments`
    MultipleGoBuild { line: usize },
    /// `parsing //go:build line: <msg>`
    BadGoBuild { line: usize, err: SyntaxError },
    /// A `//go:build` or `// +build` line where this build of core reads none
    /// ([`EXPRESSIONS`]): [`UNSUPPORTED`].
    Unsupported { line: usize },
}

/// Whether this build of core parses and evaluates `//go:build` and `// +build` lines in the
/// workspace's files (its `build-constraints` feature; std's files come judged in the std
/// graph). Without it (the page's first-load module: no sample file has one) such a line makes
/// its file invalid with [`UNSUPPORTED`], and the page builds the workspace on the full module.
pub const EXPRESSIONS: bool = cfg!(feature = "build-constraints");

/// [`ConstraintError::Unsupported`]'s text, in the load error it ends up in (worded even
/// without `error-texts`: what a build leaves out is named).
pub const UNSUPPORTED: &str =
    "buildlab: this build of Buildlab does not evaluate //go:build and // +build lines";

impl ConstraintError {
    pub fn line(&self) -> usize {
        match self {
            ConstraintError::MultipleGoBuild { line }
            | ConstraintError::BadGoBuild { line, .. }
            | ConstraintError::Unsupported { line } => *line,
        }
    }
}

impl fmt::Display for ConstraintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstraintError::MultipleGoBuild { .. } => f.write_str("multiple //go:build comments"),
            ConstraintError::BadGoBuild { err, .. } => write!(f, "parsing //go:build line: {err}"),
            ConstraintError::Unsupported { .. } => f.write_str(UNSUPPORTED),
        }
    }
}

fn trim_ascii_and_unicode(b: &[u8]) -> &[u8] {
    // bytes.TrimSpace: Unicode white space, on possibly invalid UTF-8. An ASCII byte is judged
    // as it is (the white space below 0x80 is `\t`..`\r` and ` `); only other bytes are decoded.
    let ascii_space = |c: u8| matches!(c, b'\t'..=b'\r' | b' ');
    let is_space_at_start = |b: &[u8]| -> Option<usize> {
        if b[0] < 0x80 {
            return ascii_space(b[0]).then_some(1);
        }
        let s = match std::str::from_utf8(&b[..b.len().min(4)]) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or(""),
        };
        s.chars()
            .next()
            .filter(|c| c.is_whitespace())
            .map(char::len_utf8)
    };
    let mut start = 0;
    while start < b.len() {
        match is_space_at_start(&b[start..]) {
            Some(n) => start += n,
            None => break,
        }
    }
    let mut end = b.len();
    while end > start {
        if b[end - 1] < 0x80 {
            if !ascii_space(b[end - 1]) {
                break;
            }
            end -= 1;
            continue;
        }
        // Look back for a whitespace char ending at `end`.
        let mut found = None;
        for w in 1..=4.min(end - start) {
            if let Ok(s) = std::str::from_utf8(&b[end - w..end]) {
                if let Some(c) = s.chars().next() {
                    if c.len_utf8() == w && c.is_whitespace() {
                        found = Some(w);
                    }
                }
                break;
            }
        }
        match found {
            Some(w) => end -= w,
            None => break,
        }
    }
    &b[start..end]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn is_go_build_comment(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"//go:build") else {
        return false;
    };
    rest.is_empty() || trim_ascii_and_unicode(rest).len() < rest.len()
}

/// Reads the constraint lines from a file header (go/build's `parseFileHeader` plus the
/// `+build` scan of `shouldBuild`). `header` is what [`scan`] read: for Go files the text up to
/// the end of the imports, for other files the leading comments.
pub fn file_constraints(header: &[u8]) -> Result<FileConstraints, ConstraintError> {
    let mut end = 0;
    let mut ended = false;
    let mut in_slash_star = false;
    let mut go_build: Option<(usize, String)> = None;
    let mut p = header;
    let mut lineno = 0;
    'lines: while !p.is_empty() {
        lineno += 1;
        let raw = match p.iter().position(|&c| c == b'\n') {
            Some(i) => {
                let l = &p[..i];
                p = &p[i + 1..];
                l
            }
            None => std::mem::take(&mut p),
        };
        let mut line = trim_ascii_and_unicode(raw);
        if line.is_empty() && !ended {
            end = header.len() - p.len();
            continue;
        }
        if !line.starts_with(b"//") {
            ended = true;
        }
        if !in_slash_star && is_go_build_comment(line) {
            if go_build.is_some() {
                return Err(ConstraintError::MultipleGoBuild { line: lineno });
            }
            go_build = Some((lineno, String::from_utf8_lossy(line).into_owned()));
        }
        while !line.is_empty() {
            if in_slash_star {
                match find(line, b"*/") {
                    Some(i) => {
                        in_slash_star = false;
                        line = trim_ascii_and_unicode(&line[i + 2..]);
                        continue;
                    }
                    None => continue 'lines,
                }
            }
            if line.starts_with(b"//") {
                continue 'lines;
            }
            if let Some(rest) = line.strip_prefix(b"/*") {
                in_slash_star = true;
                line = trim_ascii_and_unicode(rest);
                continue;
            }
            break 'lines;
        }
    }

    let mut out = FileConstraints::default();
    if let Some((line, text)) = go_build {
        if !EXPRESSIONS {
            return Err(ConstraintError::Unsupported { line });
        }
        let expr_text = split_go_build(&text).unwrap_or("");
        match parse_expr(expr_text) {
            Ok(expr) => out.go_build = Some(ConstraintLine { line, text, expr }),
            Err(err) => return Err(ConstraintError::BadGoBuild { line, err }),
        }
    }
    // Only a line holding `+build` can be one; most headers have no `+` at all (one byte
    // search, instead of trimming and searching every leading comment line).
    let plus_lines = if header[..end].contains(&b'+') {
        end
    } else {
        0
    };
    for (i, raw) in header[..plus_lines].split(|&c| c == b'\n').enumerate() {
        let line = trim_ascii_and_unicode(raw);
        if !line.starts_with(b"//") || find(line, b"+build").is_none() {
            continue;
        }
        let text = String::from_utf8_lossy(line).into_owned();
        if let Some(t) = split_plus_build(&text) {
            if !EXPRESSIONS {
                return Err(ConstraintError::Unsupported { line: i + 1 });
            }
            if let Ok(expr) = parse_plus_build_expr(t) {
                out.plus_build.push(ConstraintLine {
                    line: i + 1,
                    text,
                    expr,
                });
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The build context

/// go/build's `knownOS` (go1.23).
pub const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];

/// go/build's `unixOS`: the GOOS values for which the `unix` tag holds.
pub const UNIX_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "linux",
    "netbsd",
    "openbsd",
    "solaris",
];

/// go/build's `knownArch` (go1.23).
pub const KNOWN_ARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// The target a build is for, and the tags that hold in it (go/build's `Context`, minus paths).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildContext {
    pub goos: String,
    pub goarch: String,
    pub cgo_enabled: bool,
    /// The Go 1.x minor version: release tags `go1.1` ..= `go1.{go_version}` hold.
    pub go_version: u32,
    /// `gc` (the tag of the compiler).
    pub compiler: String,
    /// Toolchain tags (`goexperiment.*`, `amd64.v1`, ...); [`BuildContext::new`] fills go1.23's
    /// defaults for the architecture.
    pub tool_tags: Vec<String>,
    /// `-tags` given by the user.
    pub build_tags: Vec<String>,
    /// go/build's `UseAllFiles`: files are used whatever their `//go:build` lines and
    /// `_GOOS`/`_GOARCH` name suffixes say. cmd/go sets it for the files named on the command
    /// line (`go build gen.go` builds a `//go:build ignore` file).
    pub use_all_files: bool,
}

impl Default for BuildContext {
    /// linux/amd64, cgo on, go1.23: what the oracle machine ran.
    fn default() -> Self {
        BuildContext::new("linux", "amd64")
    }
}

impl BuildContext {
    /// A go1.23 context for `goos`/`goarch` with gc, its default tool tags, and cgo enabled only
    /// for the native linux/amd64 (go disables cgo when cross-compiling).
    pub fn new(goos: &str, goarch: &str) -> Self {
        let mut tool_tags = Vec::new();
        if matches!(
            goarch,
            "amd64" | "arm64" | "ppc64" | "ppc64le" | "riscv64" | "loong64"
        ) {
            tool_tags.push("goexperiment.regabiwrappers".to_string());
            tool_tags.push("goexperiment.regabiargs".to_string());
        }
        tool_tags.push("goexperiment.coverageredesign".to_string());
        let arch_levels: &[&str] = match goarch {
            "amd64" => &["amd64.v1"],
            "arm64" => &["arm64.v8.0"],
            "arm" => &["arm.5", "arm.6", "arm.7"],
            "386" => &["386.softfloat"],
            "ppc64" | "ppc64le" => &[".power8"],
            "mips" | "mipsle" => &[".hardfloat"],
            "mips64" | "mips64le" => &[".hardfloat"],
            "riscv64" => &["riscv64.rva20u64"],
            _ => &[],
        };
        for l in arch_levels {
            if l.starts_with('.') {
                tool_tags.push(format!("{goarch}{l}"));
            } else {
                tool_tags.push(l.to_string());
            }
        }
        BuildContext {
            goos: goos.into(),
            goarch: goarch.into(),
            cgo_enabled: goos == "linux" && goarch == "amd64",
            go_version: 23,
            compiler: "gc".into(),
            tool_tags,
            build_tags: Vec::new(),
            use_all_files: false,
        }
    }

    /// The release tags `go1.1` ..= `go1.N`.
    pub fn release_tags(&self) -> Vec<String> {
        (1..=self.go_version).map(|i| format!("go1.{i}")).collect()
    }

    /// Whether `tag` holds in this context (go/build's `matchTag`).
    pub fn matches(&self, tag: &str) -> bool {
        if self.cgo_enabled && tag == "cgo" {
            return true;
        }
        if tag == self.goos || tag == self.goarch || tag == self.compiler {
            return true;
        }
        match (self.goos.as_str(), tag) {
            ("android", "linux") | ("illumos", "solaris") | ("ios", "darwin") => return true,
            _ => {}
        }
        if tag == "unix" && UNIX_OS.contains(&self.goos.as_str()) {
            return true;
        }
        let tag = if tag == "boringcrypto" {
            "goexperiment.boringcrypto"
        } else {
            tag
        };
        if self
            .build_tags
            .iter()
            .chain(&self.tool_tags)
            .any(|t| t == tag)
        {
            return true;
        }
        if let Some(minor) = tag.strip_prefix("go1.") {
            // Release tags are exactly "go1.N" for 1 <= N <= go_version.
            if !minor.is_empty()
                && minor.bytes().all(|b| b.is_ascii_digit())
                && !minor.starts_with('0')
            {
                if let Ok(n) = minor.parse::<u32>() {
                    return (1..=self.go_version).contains(&n);
                }
            }
        }
        false
    }
}

// ---------------------------------------------------------------------------------------------
// File names

/// Whether a `_GOOS` / `_GOARCH` / `_GOOS_GOARCH` suffix of `name` (before an optional `_test`)
/// allows the file in `ctx`. Only the part after the first `_` counts, so `linux.go` is no
/// constraint while `foo_linux.go` is (go/build's `goodOSArchFile`).
pub fn good_os_arch_file(name: &str, ctx: &BuildContext) -> bool {
    os_arch_suffix(name).is_none_or(|tags| tags.iter().all(|t| ctx.matches(t)))
}

/// The tags a file-name suffix requires (`["linux", "amd64"]` for `x_linux_amd64_test.go`), or
/// `None` when the name carries no such suffix.
pub fn os_arch_suffix(name: &str) -> Option<Vec<&str>> {
    // Byte searches (`.` and `_` are ASCII): every file of every directory comes here, and
    // most names have no `_` before their first dot.
    let b = name.as_bytes();
    let stem = &name[..b.iter().position(|&c| c == b'.').unwrap_or(b.len())];
    let i = stem.bytes().position(|c| c == b'_')?;
    let mut l: Vec<&str> = stem[i..].split('_').collect();
    if l.last() == Some(&"test") {
        l.pop();
    }
    let n = l.len();
    if n >= 2 && KNOWN_OS.contains(&l[n - 2]) && KNOWN_ARCH.contains(&l[n - 1]) {
        return Some(vec![l[n - 2], l[n - 1]]);
    }
    if n >= 1 && (KNOWN_OS.contains(&l[n - 1]) || KNOWN_ARCH.contains(&l[n - 1])) {
        return Some(vec![l[n - 1]]);
    }
    None
}

/// Whether go/build builds this file in `ctx`, judging by its header: the constraint lines
/// (a malformed `//go:build` line counts as "no": the file is invalid, see [`classify_dir`]).
pub fn should_build(header: &FileHeader, ctx: &BuildContext) -> bool {
    match &header.constraints {
        Ok(c) => c.matches(ctx),
        Err(_) => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Classifying a directory

/// Where go/build (and cmd/go after it) puts one file of a package directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileRole {
    /// A Go file of the package (`GoFiles`).
    Go,
    /// A Go file that imports "C" (`CgoFiles`), with cgo enabled.
    Cgo,
    /// `_test.go` in the package itself (`TestGoFiles`): not part of `go build`.
    Test,
    /// `_test.go` in package `<name>_test` (`XTestGoFiles`).
    XTest,
    /// A non-Go source file kept in one of go/build's lists (`.s` → `SFiles`, `.c` → `CFiles`...).
    Other(OtherKind),
    /// A Go file go/build rejects (`InvalidGoFiles`); the error says why.
    Invalid(FileError),
    /// Left out of the package, and why.
    Excluded(Exclusion),
}

/// The go/build list a non-Go source file lands in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OtherKind {
    /// `.s`, and `.S`/`.sx` when the package uses cgo.
    S,
    C,
    Cxx,
    M,
    H,
    F,
    Swig,
    SwigCxx,
    Syso,
}

/// Why a file is not part of the package build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exclusion {
    /// The name starts with `_` or `.` (not even listed by go).
    Hidden,
    /// An extension go/build does not know (`README.md`, `go.mod`).
    NotSource,
    /// A `_GOOS`/`_GOARCH` name suffix that does not match (`IgnoredGoFiles`/`IgnoredOtherFiles`).
    OtherOsArch { tags: Vec<String> },
    /// A `//go:build` or `// +build` line that does not match.
    BuildConstraint { line: String },
    /// A cgo file (imports "C") while cgo is disabled.
    CgoDisabled,
    /// `package documentation`.
    Documentation,
    /// `.S`/`.sx` in a package without cgo files (`IgnoredOtherFiles`).
    NeedsCgo,
    /// C, C++, Objective-C, Fortran or SWIG sources dropped by cmd/go when cgo is disabled.
    CgoDisabledSource,
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exclusion::Hidden => f.write_str("name starts with _ or ."),
            Exclusion::NotSource => f.write_str("not a source file"),
            Exclusion::OtherOsArch { tags } => {
                write!(f, "for another OS or architecture ({})", tags.join(", "))
            }
            Exclusion::BuildConstraint { line } => {
                write!(f, "excluded by build constraint ({line})")
            }
            Exclusion::CgoDisabled => f.write_str("uses cgo, and cgo is disabled"),
            Exclusion::Documentation => f.write_str("package documentation"),
            Exclusion::NeedsCgo => f.write_str(".S file in a package without cgo"),
            Exclusion::CgoDisabledSource => f.write_str("needs cgo, and cgo is disabled"),
        }
    }
}

/// An error that makes a Go file invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    /// A header error from [`scan`].
    Header(HeaderError),
    /// A malformed `//go:build` line.
    Constraint(ConstraintError),
    /// `use of cgo in test DIR/x_test.go not supported`
    CgoInTest,
    /// The file's package clause names another package than the first file's.
    OtherPackage { name: String },
}

/// One file and where it went. The name is borrowed from the directory listing given to
/// [`classify_dir`]: a verdict lives only as long as the classification (the loader reads a
/// directory's verdicts for its first syntax error), so an owned copy per file would be one
/// allocation and one free per file for nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileVerdict<'a> {
    pub name: &'a str,
    pub role: FileRole,
}

/// The outcome for a whole directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirError {
    /// The first invalid file's error (go reports only that one), already rendered.
    BadFile { file: String, msg: String },
    /// `found packages a (a.go) and b (b.go) in DIR`
    MultiplePackages {
        dir: String,
        packages: [String; 2],
        files: [String; 2],
    },
    /// `build constraints exclude all Go files in DIR` (some Go files were ignored).
    ExcludedByConstraints { dir: String },
    /// `no non-test Go files in DIR`
    NoNonTestGoFiles { dir: String },
    /// `no Go files in DIR`
    NoGoFiles { dir: String },
    /// cmd/go: `C source files not allowed when not using cgo or SWIG: a.c b.c` (and C++, Obj-C).
    ForeignSources {
        lang: &'static str,
        files: Vec<String>,
    },
}

impl fmt::Display for DirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirError::BadFile { msg, .. } => f.write_str(msg),
            DirError::MultiplePackages {
                dir,
                packages,
                files,
            } => write!(
                f,
                "found packages {} ({}) and {} ({}) in {dir}",
                packages[0], files[0], packages[1], files[1]
            ),
            DirError::ExcludedByConstraints { dir } => {
                write!(f, "build constraints exclude all Go files in {dir}")
            }
            DirError::NoNonTestGoFiles { dir } => write!(f, "no non-test Go files in {dir}"),
            DirError::NoGoFiles { dir } => write!(f, "no Go files in {dir}"),
            DirError::ForeignSources { lang, files } => {
                write!(
                    f,
                    "{lang} source files not allowed when not using cgo or SWIG: {}",
                    files.join(" ")
                )
            }
        }
    }
}

/// One directory's files sorted into go/build's lists (names in directory order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirFiles<'a> {
    /// The package name (from the first non-test or test file read), `""` if none: this place
    /// of [`DirImports`]' names, read through [`DirImports::name`] (kept there for the reason
    /// `go_files` are).
    pub name: u32,
    /// The package name is `main` (what the loader's import walk asks of it).
    pub main: bool,
    /// The package's own Go files (`GoFiles`): this range of [`DirImports`]' file names,
    /// read through [`DirImports::go_files`]. Written there back to back while the directory is
    /// classified, not each a block of its own: the loader copies them into its result in the
    /// result's order, so that the plan's strings are made, and later freed, one after another
    /// in memory (made here, in directory order, and freed in the plan's order, they were
    /// tens of thousands of frees at scattered addresses in a large module).
    pub go_files: std::ops::Range<u32>,
    pub cgo_files: Vec<String>,
    /// The lists most directories have empty, boxed (`None` when all are: see
    /// [`DirFiles::more`]): the loader keeps a [`DirFiles`] per directory and reads it on
    /// several visits, each a cache miss per line of it, and seven empty vectors were more than
    /// half of it.
    pub more: Option<Box<MoreFiles>>,
    /// Every file given, in order, with its role; left empty when every file is one of the
    /// package's Go files (each `FileRole::Go`: then `go_files` lists them all, in order), as
    /// for nearly every directory of a module. Only error messages read verdicts, and a vector
    /// per directory, made, walked and freed for every package of a large module, was a tenth
    /// of the loader's time.
    pub verdicts: Vec<FileVerdict<'a>>,
    /// What the loader needs of the scanned headers of the package's own Go files
    /// (`go_files` and `cgo_files`, not tests) besides their imports: of those with
    /// `//go:embed` lines, or of every one in a `main` package (its `//go:debug` lines).
    pub headers: Vec<KeptHeader<'a>>,
    /// The imports of the package's own files as go list's `Imports` has them: sorted by path,
    /// each path once at its first position (the earliest file's), without `C`: this range of
    /// [`DirImports::list`] (the [`DirImports`] given to [`classify_dir`]). Merged there, right
    /// after the scans, while the files are in cache: the loader meets them again much later,
    /// when they are not, and then reads them from dense memory rather than from the files.
    pub imports: std::ops::Range<u32>,
    /// What `go build` would say about the directory, if anything. Boxed: most directories
    /// have none, and the loader keeps a [`DirFiles`] per directory (the largest error was a
    /// quarter of it).
    pub error: Option<Box<DirError>>,
}

/// A directory's lists besides its package's own Go files ([`DirFiles::more`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoreFiles {
    pub test_go_files: Vec<String>,
    pub xtest_go_files: Vec<String>,
    pub ignored_go_files: Vec<String>,
    pub invalid_go_files: Vec<String>,
    pub ignored_other_files: Vec<String>,
    pub s_files: Vec<String>,
    pub other_files: Vec<(OtherKind, String)>,
}

/// Every list of [`MoreFiles`] empty: what [`DirFiles::more`] shows when there is no box.
static NO_MORE_FILES: MoreFiles = MoreFiles {
    test_go_files: Vec::new(),
    xtest_go_files: Vec::new(),
    ignored_go_files: Vec::new(),
    invalid_go_files: Vec::new(),
    ignored_other_files: Vec::new(),
    s_files: Vec::new(),
    other_files: Vec::new(),
};

impl MoreFiles {
    fn is_empty(&self) -> bool {
        self.test_go_files.is_empty()
            && self.xtest_go_files.is_empty()
            && self.ignored_go_files.is_empty()
            && self.invalid_go_files.is_empty()
            && self.ignored_other_files.is_empty()
            && self.s_files.is_empty()
            && self.other_files.is_empty()
    }
}

impl DirFiles<'_> {
    /// The lists besides the package's own Go files (all empty when there is no box).
    pub fn more(&self) -> &MoreFiles {
        self.more.as_deref().unwrap_or(&NO_MORE_FILES)
    }
}

/// [`DirFiles`] while [`classify_dir`] fills it: every list in place.
#[derive(Default)]
struct Lists<'a> {
    name: String,
    go_files: std::ops::Range<u32>,
    cgo_files: Vec<String>,
    test_go_files: Vec<String>,
    xtest_go_files: Vec<String>,
    ignored_go_files: Vec<String>,
    invalid_go_files: Vec<String>,
    ignored_other_files: Vec<String>,
    s_files: Vec<String>,
    other_files: Vec<(OtherKind, String)>,
    verdicts: Vec<FileVerdict<'a>>,
    headers: Vec<KeptHeader<'a>>,
    imports: std::ops::Range<u32>,
    error: Option<Box<DirError>>,
}

impl<'a> Lists<'a> {
    /// The lists as [`DirFiles`] keeps them: the rarely used ones boxed, if any is not empty.
    fn finish(self, imports: &mut DirImports) -> DirFiles<'a> {
        let more = MoreFiles {
            test_go_files: self.test_go_files,
            xtest_go_files: self.xtest_go_files,
            ignored_go_files: self.ignored_go_files,
            invalid_go_files: self.invalid_go_files,
            ignored_other_files: self.ignored_other_files,
            s_files: self.s_files,
            other_files: self.other_files,
        };
        DirFiles {
            name: imports.names.push(&self.name),
            main: self.name == "main",
            go_files: self.go_files,
            cgo_files: self.cgo_files,
            more: (!more.is_empty()).then(|| Box::new(more)),
            verdicts: self.verdicts,
            headers: self.headers,
            imports: self.imports,
            error: self.error,
        }
    }
}

/// What the loader needs of one of the package's own files' headers (see
/// [`DirFiles::headers`]; the imports are in [`DirFiles::imports`]): the file's name and bytes
/// as given (borrowed: the loader reads positions and `//go:debug` lines from them without
/// looking the file up again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptHeader<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
    /// The header's `//go:embed` patterns.
    pub embeds: Vec<crate::scan::Embed>,
    /// [`FileHeader::header_len`] (the loader reads `//go:debug` lines in it).
    pub header_len: usize,
}

/// One import of a package ([`DirFiles::imports`]): the path (a range of
/// [`DirImports::text`]), and the file (an index into [`DirImports::files`]: read through
/// [`DirImports::file`]) and go's line and column where it is written (`ImportPos`). 20 bytes
/// (32 with the file name's `&str`): a workspace has ~8 per package, and the loader reads them
/// long after they are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirImport {
    pub start: u32,
    pub end: u32,
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

/// The imports of every directory classified with it ([`DirFiles::imports`]), in one list and
/// their paths in one string: what the loader keeps of the headers, dense, and made while the
/// headers are in cache (a vector and a path per import, borrowed from the scattered files,
/// were most of the cache misses of the loader's import walk).
#[derive(Clone, Debug, Default)]
pub struct DirImports<'a> {
    /// Every path, back to back, each directory's in sorted order.
    pub text: String,
    pub list: Vec<DirImport>,
    /// The files the imports are written in, in the order they were classified (each file
    /// with imports once).
    pub files: Vec<&'a str>,
    /// Every classified directory's Go files' names ([`DirFiles::go_files`]) and package name
    /// ([`DirFiles::name`]).
    names: crate::strings::Strings,
    /// One directory's verdicts while it is classified (kept: reused by every directory),
    /// copied into [`DirFiles::verdicts`] only if they are not all `FileRole::Go`.
    verdicts: Vec<FileVerdict<'a>>,
    /// One directory's imports while they are merged (kept: reused by every directory).
    pending: Vec<(Cow<'a, str>, u32, Pos)>,
    /// The vector the next header's imports are scanned into ([`scan::scan_into`]).
    spare: Vec<scan::Import<'a>>,
}

impl<'a> DirImports<'a> {
    /// Room for `imports` imports whose paths take `bytes` bytes in all, and `files` file
    /// names: a list grown by doubling copies itself several times while it is made.
    pub fn with_capacity(imports: usize, bytes: usize, files: usize) -> Self {
        DirImports {
            text: String::with_capacity(bytes),
            list: Vec::with_capacity(imports),
            files: Vec::new(),
            // File names are a dozen bytes or so.
            names: crate::strings::Strings::with_capacity(files, 16 * files),
            verdicts: Vec::new(),
            pending: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// The imports of one directory ([`DirFiles::imports`]).
    pub fn of(&self, range: &std::ops::Range<u32>) -> &[DirImport] {
        &self.list[range.start as usize..range.end as usize]
    }

    /// The path of an import.
    pub fn path(&self, imp: &DirImport) -> &str {
        &self.text[imp.start as usize..imp.end as usize]
    }

    /// The name of the file an import is written in.
    pub fn file(&self, imp: &DirImport) -> &'a str {
        self.files[imp.file as usize]
    }

    /// The names of a directory's Go files (the range [`DirFiles::go_files`]), in order.
    pub fn go_files(
        &self,
        range: std::ops::Range<u32>,
    ) -> impl ExactSizeIterator<Item = &str> + '_ {
        range.map(move |i| self.name(i))
    }

    /// A name the names hold: a package's ([`DirFiles::name`]).
    pub fn name(&self, i: u32) -> &str {
        self.names.get(i as usize)
    }

    /// Sorts the pending imports by path and keeps each path once, at its first position (a
    /// stable sort, then the later duplicates dropped): go list's `Imports` order; then moves
    /// them to the list. `crate::sort::sort_small_by` (in place by insertion up to a couple of
    /// dozen imports): this runs for every directory, on a handful of imports; `crate::sort`'s
    /// `sort_by` allocates its scratch, and the standard sort was ≈ 3 KB of the page's wasm for
    /// this one call.
    fn seal(&mut self) -> std::ops::Range<u32> {
        let pending = &mut self.pending;
        if pending.len() > 1 {
            crate::sort::sort_small_by(pending, |a, b| a.0.cmp(&b.0));
            pending.dedup_by(|later, first| later.0 == first.0);
        }
        let first = offset(self.list.len());
        self.list.reserve(pending.len());
        for (path, file, pos) in pending.drain(..) {
            let start = offset(self.text.len());
            self.text.push_str(&path);
            self.list.push(DirImport {
                start,
                end: offset(self.text.len()),
                file,
                line: offset(pos.line),
                col: offset(pos.col),
            });
        }
        first..offset(self.list.len())
    }
}

/// An index, offset, line or column as the dense import records keep it.
fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("a workspace's imports fit in 4 GiB")
}

fn other_kind(ext: &str) -> Option<OtherKind> {
    Some(match ext {
        ".c" => OtherKind::C,
        ".cc" | ".cpp" | ".cxx" => OtherKind::Cxx,
        ".m" => OtherKind::M,
        ".h" | ".hh" | ".hpp" | ".hxx" => OtherKind::H,
        ".f" | ".F" | ".for" | ".f90" => OtherKind::F,
        ".s" | ".S" | ".sx" => OtherKind::S,
        ".swig" => OtherKind::Swig,
        ".swigcxx" => OtherKind::SwigCxx,
        ".syso" => OtherKind::Syso,
        _ => return None,
    })
}

/// A directory as go's messages show it: `root` and `rel` joined by a slash (either alone when
/// the other is empty). Kept apart until a message needs the text: classifying a directory is
/// usually silent, and joining a path for every directory showed in the loader's time.
#[derive(Clone, Copy, Debug)]
pub struct DirName<'s> {
    pub root: &'s str,
    pub rel: &'s str,
}

impl<'s> DirName<'s> {
    /// A directory written out whole.
    pub fn whole(dir: &'s str) -> Self {
        DirName { root: dir, rel: "" }
    }

    /// The joined text; an empty root is `/` (the loader's display root `/`).
    pub(crate) fn text(&self) -> String {
        match (self.root.is_empty(), self.rel.is_empty()) {
            (true, _) => ["/", self.rel].concat(),
            (_, true) => self.root.to_string(),
            _ => [self.root, "/", self.rel].concat(),
        }
    }
}

/// Classifies the files of the directory `dir_name` (as shown in messages) the way go/build's
/// `Import` and then cmd/go's loader do. `files` are `(file name, bytes)` in directory (name)
/// order; go reports the first bad file's error, so order matters.
pub fn classify_dir<'a>(
    dir_name: DirName<'_>,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ctx: &BuildContext,
    imports: &mut DirImports<'a>,
) -> DirFiles<'a> {
    // The directory's text, made by the first message that needs it (most directories have
    // none).
    let dir_text = std::cell::OnceCell::new();
    let dir = || dir_text.get_or_init(|| dir_name.text()).as_str();
    let files = files.into_iter();
    let mut out = Lists::default();
    // The reused list, out of `imports` while the directory's files are judged (put back at
    // the end).
    let mut verdicts = std::mem::take(&mut imports.verdicts);
    verdicts.clear();
    let mut first_error: Option<DirError> = None;
    // Borrowed: only an error of two packages in one directory names it.
    let mut first_file: &str = "";
    let mut big_s: Vec<String> = Vec::new();
    let full = |name: &str| {
        let dir = dir();
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };

    for (name, data) in files {
        let verdict = |role| FileVerdict { name, role };
        if name.starts_with('_') || name.starts_with('.') {
            verdicts.push(verdict(FileRole::Excluded(Exclusion::Hidden)));
            continue;
        }
        let ext = name.rfind('.').map_or("", |i| &name[i..]);
        let is_go = ext == ".go";
        let kind = other_kind(ext);
        if !is_go && kind.is_none() {
            verdicts.push(verdict(FileRole::Excluded(Exclusion::NotSource)));
            continue;
        }
        let ignore = |out: &mut Lists<'a>, verdicts: &mut Vec<FileVerdict<'a>>, why: Exclusion| {
            if is_go {
                out.ignored_go_files.push(name.to_string());
            } else {
                out.ignored_other_files.push(name.to_string());
            }
            verdicts.push(FileVerdict {
                name,
                role: FileRole::Excluded(why),
            });
        };
        if !ctx.use_all_files && !good_os_arch_file(name, ctx) {
            let tags = os_arch_suffix(name)
                .unwrap_or_default()
                .into_iter()
                .map(String::from)
                .collect();
            ignore(&mut out, &mut verdicts, Exclusion::OtherOsArch { tags });
            continue;
        }
        if ext == ".syso" {
            out.other_files.push((OtherKind::Syso, name.to_string()));
            verdicts.push(verdict(FileRole::Other(OtherKind::Syso)));
            continue;
        }

        let mut header = if is_go {
            scan::scan_into(data, std::mem::take(&mut imports.spare))
        } else {
            scan::scan_comments(data)
        };
        let mut bad = |out: &mut Lists<'a>,
                       verdicts: &mut Vec<FileVerdict<'a>>,
                       err: FileError,
                       msg: String| {
            if first_error.is_none() {
                first_error = Some(DirError::BadFile {
                    file: name.to_string(),
                    msg,
                });
            }
            if !out.invalid_go_files.iter().any(|n| n == name) {
                out.invalid_go_files.push(name.to_string());
            }
            verdicts.push(FileVerdict {
                name,
                role: FileRole::Invalid(err),
            });
        };
        // A read error (NUL byte) makes a Go file invalid before constraints are looked at.
        if let Some(e @ HeaderError::Read { .. }) = &header.error {
            if is_go {
                let msg = e.render(dir(), name);
                bad(&mut out, &mut verdicts, FileError::Header(e.clone()), msg);
                continue;
            }
        }
        let constraints = match &header.constraints {
            Ok(c) => c,
            Err(e) => {
                // A line this build does not read makes any file invalid: a non-Go file's
                // constraint decides whether it is in the package too.
                if is_go || matches!(e, ConstraintError::Unsupported { .. }) {
                    bad(
                        &mut out,
                        &mut verdicts,
                        FileError::Constraint(e.clone()),
                        match e {
                            // Said even without `error-texts` ([`UNSUPPORTED`]).
                            ConstraintError::Unsupported { .. } => UNSUPPORTED.to_string(),
                            _ => crate::worded(|| format!("{name}: {e}")),
                        },
                    );
                }
                // go drops non-Go files with a bad //go:build line silently.
                if !is_go {
                    verdicts.push(verdict(FileRole::Excluded(Exclusion::BuildConstraint {
                        line: e.to_string(),
                    })));
                }
                continue;
            }
        };
        if !ctx.use_all_files && !constraints.matches(ctx) {
            let line = match &constraints.go_build {
                Some(g) => g.text.clone(),
                None => {
                    let mut okf = |t: &str| ctx.matches(t);
                    constraints
                        .plus_build
                        .iter()
                        .find(|l| !l.expr.eval(&mut okf))
                        .map_or_else(String::new, |l| l.text.clone())
                }
            };
            ignore(&mut out, &mut verdicts, Exclusion::BuildConstraint { line });
            continue;
        }

        if !is_go {
            if matches!(ext, ".S" | ".sx") {
                big_s.push(name.to_string());
                verdicts.push(verdict(FileRole::Other(OtherKind::S)));
            } else {
                let kind = kind.unwrap_or(OtherKind::S);
                if kind == OtherKind::S {
                    out.s_files.push(name.to_string());
                } else {
                    out.other_files.push((kind, name.to_string()));
                }
                verdicts.push(verdict(FileRole::Other(kind)));
            }
            continue;
        }

        let had_syntax_error = header.error.is_some();
        if let Some(e) = &header.error {
            let msg = e.render(dir(), name);
            if first_error.is_none() {
                first_error = Some(DirError::BadFile {
                    file: name.to_string(),
                    msg,
                });
            }
            out.invalid_go_files.push(name.to_string());
            // Fall through, as go does: the file is still listed.
        }
        // Borrowed from the header: copied only where it is kept.
        let mut pkg: &str = &header.package;
        if pkg == "documentation" {
            out.ignored_go_files.push(name.to_string());
            verdicts.push(verdict(FileRole::Excluded(Exclusion::Documentation)));
            continue;
        }
        let is_test = name.ends_with("_test.go");
        let mut is_xtest = false;
        if is_test && pkg.ends_with("_test") && out.name != pkg {
            is_xtest = true;
            pkg = &pkg[..pkg.len() - "_test".len()];
        }
        let mut role_error = None;
        if out.name.is_empty() {
            out.name = pkg.to_string();
            first_file = name;
        } else if pkg != out.name {
            if first_error.is_none() {
                first_error = Some(DirError::MultiplePackages {
                    dir: dir().to_string(),
                    packages: [out.name.clone(), pkg.to_string()],
                    files: [first_file.to_string(), name.to_string()],
                });
            }
            if !out.invalid_go_files.iter().any(|n| n == name) {
                out.invalid_go_files.push(name.to_string());
            }
            role_error = Some(FileError::OtherPackage {
                name: pkg.to_string(),
            });
        }
        let mut is_cgo = false;
        if header.is_cgo {
            if is_test {
                if first_error.is_none() {
                    let msg = crate::worded(|| {
                        format!("use of cgo in test {} not supported", full(name))
                    });
                    first_error = Some(DirError::BadFile {
                        file: name.to_string(),
                        msg,
                    });
                }
                if !out.invalid_go_files.iter().any(|n| n == name) {
                    out.invalid_go_files.push(name.to_string());
                }
                role_error.get_or_insert(FileError::CgoInTest);
            } else {
                is_cgo = true;
            }
        }
        // Pushed to `go_files` or `cgo_files` below (not a test).
        let own = if is_cgo {
            ctx.cgo_enabled
        } else {
            !is_xtest && !is_test
        };
        let role = if is_cgo {
            if ctx.cgo_enabled {
                out.cgo_files.push(name.to_string());
                FileRole::Cgo
            } else {
                out.ignored_go_files.push(name.to_string());
                FileRole::Excluded(Exclusion::CgoDisabled)
            }
        } else if is_xtest {
            out.xtest_go_files.push(name.to_string());
            FileRole::XTest
        } else if is_test {
            out.test_go_files.push(name.to_string());
            FileRole::Test
        } else {
            let i = imports.names.push(name);
            if out.go_files.is_empty() {
                out.go_files = i..i;
            }
            out.go_files.end = i + 1;
            FileRole::Go
        };
        let role = match (&header.error, role_error) {
            (Some(e), _) if had_syntax_error => FileRole::Invalid(FileError::Header(e.clone())),
            (_, Some(e)) => FileRole::Invalid(e),
            _ => role,
        };
        // Only what the loader reads of the package's own files is kept (the rest of the
        // header is dropped here). Excluded files are never the package's own.
        if own && !matches!(role, FileRole::Excluded(_)) {
            let (file, before) = (offset(imports.files.len()), imports.pending.len());
            for imp in header.imports.drain(..) {
                if imp.path != "C" {
                    imports.pending.push((imp.path, file, imp.pos));
                }
            }
            if imports.pending.len() > before {
                imports.files.push(name);
            }
            // Emptied, for the next file's scan (other files' go with their headers).
            imports.spare = header.imports;
            // Only a file with embeds, or any file of a `main` package (the package's name is
            // its first file's, already known): most directories keep none, and allocate none.
            if !header.embeds.is_empty() || out.name == "main" {
                out.headers.push(KeptHeader {
                    name,
                    data,
                    embeds: header.embeds,
                    header_len: header.header_len,
                });
            }
        }
        verdicts.push(verdict(role));
    }

    // One file's imports only need sorting; several files' are merged the same way (a stable
    // sort keeps file order among equal paths, so each path stays at the earliest file's).
    out.imports = imports.seal();

    if out.cgo_files.is_empty() {
        out.ignored_other_files.extend(big_s.iter().cloned());
        crate::sort::sort(&mut out.ignored_other_files);
        for v in &mut verdicts {
            if big_s.iter().any(|s| s == v.name) {
                v.role = FileRole::Excluded(Exclusion::NeedsCgo);
            }
        }
    } else {
        out.s_files.extend(big_s);
        crate::sort::sort(&mut out.s_files);
    }

    if first_error.is_none()
        && out.go_files.len()
            + out.cgo_files.len()
            + out.test_go_files.len()
            + out.xtest_go_files.len()
            == 0
    {
        first_error = Some(no_go_error(dir(), &out));
    }
    // cmd/go: without cgo, C-family sources are dropped; with gc they are then an error.
    if first_error.is_none() {
        if !ctx.cgo_enabled {
            let drop: Vec<String> = out
                .other_files
                .iter()
                .filter(|(k, _)| {
                    matches!(
                        k,
                        OtherKind::C
                            | OtherKind::Cxx
                            | OtherKind::M
                            | OtherKind::Swig
                            | OtherKind::SwigCxx
                    )
                })
                .map(|(_, n)| n.clone())
                .collect();
            out.other_files.retain(|(_, n)| !drop.contains(n));
            for v in &mut verdicts {
                if drop.iter().any(|d| d == v.name) {
                    v.role = FileRole::Excluded(Exclusion::CgoDisabledSource);
                }
            }
        }
        if out.go_files.is_empty() && out.cgo_files.is_empty() {
            first_error = Some(no_go_error(dir(), &out));
        } else if out.cgo_files.is_empty() {
            let uses_swig = out
                .other_files
                .iter()
                .any(|(k, _)| matches!(k, OtherKind::Swig | OtherKind::SwigCxx));
            for (lang, kind) in [
                ("C", OtherKind::C),
                ("C++", OtherKind::Cxx),
                ("Objective-C", OtherKind::M),
            ] {
                let files: Vec<String> = out
                    .other_files
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, n)| n.clone())
                    .collect();
                let gc_only = kind != OtherKind::C || ctx.compiler == "gc";
                if !files.is_empty() && !uses_swig && gc_only {
                    first_error = Some(DirError::ForeignSources { lang, files });
                    break;
                }
            }
        }
    }
    out.error = first_error.map(Box::new);
    if verdicts.iter().any(|v| v.role != FileRole::Go) {
        out.verdicts = verdicts.drain(..).collect();
    }
    imports.verdicts = verdicts;
    out.finish(imports)
}

fn no_go_error(dir: &str, out: &Lists) -> DirError {
    if !out.ignored_go_files.is_empty() {
        DirError::ExcludedByConstraints {
            dir: dir.to_string(),
        }
    } else if !out.test_go_files.is_empty() || !out.xtest_go_files.is_empty() {
        DirError::NoNonTestGoFiles {
            dir: dir.to_string(),
        }
    } else {
        DirError::NoGoFiles {
            dir: dir.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_build_expressions() {
        let cases: &[(&str, &str)] = &[
            ("linux", "linux"),
            ("linux && amd64", "linux && amd64"),
            ("linux&&amd64||darwin", "(linux && amd64) || darwin"),
            ("linux && (amd64 || arm64)", "linux && (amd64 || arm64)"),
            ("!(linux || darwin)", "!(linux || darwin)"),
            ("!cgo && go1.21", "!cgo && go1.21"),
            ("((a))", "a"),
            ("", "error: unexpected end of expression"),
            ("linux &&", "error: unexpected end of expression"),
            ("linux & amd64", "error: invalid syntax at &"),
            ("linux | amd64", "error: invalid syntax at |"),
            ("!!linux", "error: double negation not allowed"),
            ("(linux", "error: missing close paren"),
            ("(linux amd64)", "error: missing close paren"),
            ("linux)", "error: unexpected token )"),
            ("linux amd64", "error: unexpected token amd64"),
            ("linux, amd64", "error: invalid syntax at ,"),
            ("a-b", "error: invalid syntax at -"),
            ("&& x", "error: unexpected token &&"),
        ];
        for (text, want) in cases {
            let got = match parse_expr(text) {
                Ok(x) => x.to_string(),
                Err(e) => format!("error: {e}"),
            };
            assert_eq!(got, *want, "parsing {text:?}");
        }
    }

    #[test]
    fn plus_build_lines() {
        let cases: &[(&str, &str)] = &[
            ("// +build linux darwin", "linux || darwin"),
            ("// +build linux,amd64 !cgo", "(linux && amd64) || !cgo"),
            ("// +build !!linux", "ignore"),
            ("// +build !", "ignore"),
            ("// +build a-b", "ignore"),
            ("// +build", "ignore"),
            ("//+build x", "x"),
        ];
        for (line, want) in cases {
            assert_eq!(
                parse_line(line).map(|x| x.to_string()).as_deref(),
                Ok(*want),
                "{line}"
            );
        }
        assert!(split_plus_build("// +buildx").is_none());
        assert!(split_go_build("//go:buildx").is_none());
        assert_eq!(split_go_build("//go:build  a "), Some("a"));
    }

    /// File headers checked against go1.23.5 (`go list -e -f '{{.Error}}|{{.GoFiles}}|{{.IgnoredGoFiles}}'`).
    #[test]
    fn file_headers_match_go() {
        let ctx = BuildContext::default();
        let cases: &[(&str, &str, &str)] = &[
            (
                "gb_bad",
                "//go:build linux &&\n\npackage main\n",
                "main.go: parsing //go:build line: unexpected end of expression",
            ),
            (
                "gb_multi",
                "//go:build linux\n//go:build amd64\n\npackage main\n",
                "main.go: multiple //go:build comments",
            ),
            (
                "gb_excluded_syntax",
                "//go:build ignore\n\npackage main\nimport \"a\n",
                "excluded",
            ),
            ("gb_after_pkg", "package main\n//go:build ignore\n", "built"),
            (
                "gb_noblank",
                "//go:build ignore\npackage main\n",
                "excluded",
            ),
            ("pb_noblank", "// +build ignore\npackage main\n", "built"),
            ("pb_blank", "// +build ignore\n\npackage main\n", "excluded"),
            ("pb_bad", "// +build !!linux\n\npackage main\n", "excluded"),
            (
                "pb_and",
                "// +build linux,amd64 darwin\n// +build cgo\n\npackage main\n",
                "built",
            ),
            (
                "pb_later_block",
                "// +build linux\n\n// +build ignore\n\npackage a\n",
                "excluded",
            ),
            (
                "gb_and_pb",
                "//go:build linux\n// +build ignore\n\npackage main\n",
                "built",
            ),
            (
                "slashstar",
                "/* x */ //go:build ignore\n\npackage main\n",
                "built",
            ),
            (
                "gb_inblock",
                "/*\n//go:build ignore\n*/\n\npackage main\n",
                "built",
            ),
            (
                "gb_space",
                "//go:build  ignore \n\npackage main\n",
                "excluded",
            ),
            ("gbx", "//go:buildignore\n\npackage main\n", "built"),
            (
                "gb_empty",
                "//go:build\n\npackage main\n",
                "main.go: parsing //go:build line: unexpected end of expression",
            ),
            (
                "excluded (errors.txt)",
                "//go:build ignore\n\npackage main\n\nfunc main() {}\n",
                "excluded",
            ),
        ];
        for (name, src, want) in cases {
            let h = scan::scan("main.go", src.as_bytes());
            let got = match &h.constraints {
                Err(e) => format!("main.go: {e}"),
                Ok(_) if should_build(&h, &ctx) => "built".to_string(),
                Ok(_) => "excluded".to_string(),
            };
            assert_eq!(got, *want, "{name}");
        }
    }

    #[test]
    fn tags() {
        let linux = BuildContext::default();
        let mut android = BuildContext::new("android", "arm64");
        android.build_tags.push("purego".into());
        let ios = BuildContext::new("ios", "arm64");
        let illumos = BuildContext::new("illumos", "amd64");
        let windows = BuildContext::new("windows", "amd64");
        let js = BuildContext::new("js", "wasm");
        let cases: &[(&BuildContext, &str, bool)] = &[
            (&linux, "linux", true),
            (&linux, "amd64", true),
            (&linux, "unix", true),
            (&linux, "gc", true),
            (&linux, "gccgo", false),
            (&linux, "cgo", true),
            (&linux, "go1.1", true),
            (&linux, "go1.23", true),
            (&linux, "go1.24", false),
            (&linux, "go1.023", false),
            (&linux, "amd64.v1", true),
            (&linux, "amd64.v2", false),
            (&linux, "goexperiment.regabiargs", true),
            (&linux, "boringcrypto", false),
            (&linux, "ignore", false),
            (&android, "linux", true),
            (&android, "android", true),
            (&android, "cgo", false),
            (&android, "purego", true),
            (&ios, "darwin", true),
            (&illumos, "solaris", true),
            (&windows, "unix", false),
            (&js, "unix", false),
            (&js, "wasm", true),
        ];
        for (ctx, tag, want) in cases {
            assert_eq!(ctx.matches(tag), *want, "{}/{} {tag}", ctx.goos, ctx.goarch);
        }
    }

    #[test]
    fn file_name_suffixes() {
        let linux = BuildContext::default();
        let android = BuildContext::new("android", "arm");
        let cases: &[(&str, &BuildContext, bool)] = &[
            ("foo.go", &linux, true),
            ("linux.go", &linux, true),
            ("windows.go", &linux, true),
            ("foo_linux.go", &linux, true),
            ("foo_windows.go", &linux, false),
            ("foo_amd64.s", &linux, true),
            ("foo_arm64.s", &linux, false),
            ("foo_linux_amd64.go", &linux, true),
            ("foo_linux_arm64.go", &linux, false),
            ("foo_windows_amd64.go", &linux, false),
            ("foo_linux_test.go", &linux, true),
            ("foo_windows_test.go", &linux, false),
            ("foo_test.go", &linux, true),
            ("foo_linux_amd64_test.go", &linux, true),
            ("foo_bar.go", &linux, true),
            ("foo_amd64_linux.go", &linux, true), // GOARCH_GOOS is not a pattern: only `linux` counts
            ("foo_unix.go", &linux, true),        // `unix` is not a known GOOS
            ("foo_linux.go", &android, true),
            ("foo_linux_arm.go", &android, true),
            ("x_linux.pb.go", &linux, true),
            ("x_windows.pb.go", &linux, false),
            ("_windows.go", &linux, false),
        ];
        for (name, ctx, want) in cases {
            assert_eq!(
                good_os_arch_file(name, ctx),
                *want,
                "{name} on {}/{}",
                ctx.goos,
                ctx.goarch
            );
        }
    }

    fn listing(dir: &DirFiles, imports: &DirImports) -> String {
        format!(
            "{}|{}|G{:?}|C{:?}|I{:?}|T{:?}|X{:?}|Inv{:?}|S{:?}|IO{:?}",
            imports.name(dir.name),
            dir.error
                .as_ref()
                .map_or("<nil>".to_string(), |e| e.to_string()),
            imports.go_files(dir.go_files.clone()).collect::<Vec<_>>(),
            dir.cgo_files,
            dir.more().ignored_go_files,
            dir.more().test_go_files,
            dir.more().xtest_go_files,
            dir.more().invalid_go_files,
            dir.more().s_files,
            dir.more().ignored_other_files,
        )
        .replace('"', "")
    }

    /// Directories checked against go1.23.5: `go list -e` for the lists, `go build` for the error.
    #[test]
    fn classify_dirs_match_go() {
        let cgo = BuildContext::default();
        let nocgo = BuildContext {
            cgo_enabled: false,
            ..BuildContext::default()
        };
        type Case<'a> = (&'a str, &'a BuildContext, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            ("nogo", &cgo, &[], "|no Go files in DIR|G[]|C[]|I[]|T[]|X[]|Inv[]|S[]|IO[]"),
            (
                "excluded",
                &cgo,
                &[("main.go", "//go:build ignore\n\npackage main\n\nfunc main() {}\n")],
                "|build constraints exclude all Go files in DIR|G[]|C[]|I[main.go]|T[]|X[]|Inv[]|S[]|IO[]",
            ),
            ("onlytest", &cgo, &[("a_test.go", "package x\n")], "x|no non-test Go files in DIR|G[]|C[]|I[]|T[a_test.go]|X[]|Inv[]|S[]|IO[]"),
            (
                "test_and_win",
                &cgo,
                &[("a_test.go", "package x\n"), ("b_windows.go", "package x\n")],
                "x|build constraints exclude all Go files in DIR|G[]|C[]|I[b_windows.go]|T[a_test.go]|X[]|Inv[]|S[]|IO[]",
            ),
            (
                "multi",
                &cgo,
                &[("a.go", "package a\n"), ("b.go", "package b\n"), ("c.go", "package c\n")],
                "a|found packages a (a.go) and b (b.go) in DIR|G[a.go, b.go, c.go]|C[]|I[]|T[]|X[]|Inv[b.go, c.go]|S[]|IO[]",
            ),
            (
                "doc",
                &cgo,
                &[("a.go", "package documentation\n")],
                "|build constraints exclude all Go files in DIR|G[]|C[]|I[a.go]|T[]|X[]|Inv[]|S[]|IO[]",
            ),
            (
                "hidden",
                &cgo,
                &[(".b.go", "package b\n"), ("_a.go", "package a\n")],
                "|no Go files in DIR|G[]|C[]|I[]|T[]|X[]|Inv[]|S[]|IO[]",
            ),
            (
                "xtest",
                &cgo,
                &[("a.go", "package a\n"), ("a_test.go", "package a_test\n"), ("b_test.go", "package a\n")],
                "a|<nil>|G[a.go]|C[]|I[]|T[b_test.go]|X[a_test.go]|Inv[]|S[]|IO[]",
            ),
            (
                "asm",
                &cgo,
                &[("a.go", "package a\n"), ("a_amd64.s", "// asm\n"), ("b_arm64.s", ""), ("c.S", ""), ("d.c", ""), ("e.h", ""), ("f.txt", "")],
                "a|C source files not allowed when not using cgo or SWIG: d.c|G[a.go]|C[]|I[]|T[]|X[]|Inv[]|S[a_amd64.s]|IO[b_arm64.s, c.S]",
            ),
            (
                "cgo",
                &cgo,
                &[("a.go", "package a\nimport \"C\"\n"), ("b.go", "package a\n"), ("c.S", "")],
                "a|<nil>|G[b.go]|C[a.go]|I[]|T[]|X[]|Inv[]|S[c.S]|IO[]",
            ),
            (
                "cgo0",
                &nocgo,
                &[("a.go", "package a\nimport \"C\"\n"), ("b.go", "package a\n"), ("c.S", ""), ("d.c", "")],
                "a|<nil>|G[b.go]|C[]|I[a.go]|T[]|X[]|Inv[]|S[]|IO[c.S]",
            ),
            (
                "cgotest",
                &cgo,
                &[("a.go", "package a\n"), ("a_test.go", "package a\nimport \"C\"\n")],
                "a|use of cgo in test DIR/a_test.go not supported|G[a.go]|C[]|I[]|T[a_test.go]|X[]|Inv[a_test.go]|S[]|IO[]",
            ),
            (
                "cconstraint",
                &cgo,
                &[("a.go", "package a\n"), ("b.c", "//go:build ignore\n"), ("c.s", "// +build windows\n\n")],
                "a|<nil>|G[a.go]|C[]|I[]|T[]|X[]|Inv[]|S[]|IO[b.c, c.s]",
            ),
            (
                "twoerrs",
                &cgo,
                &[("a.go", "package a\nimport \"x\n"), ("b.go", "package b\n")],
                "a|a.go:2:8: string literal not terminated|G[a.go, b.go]|C[]|I[]|T[]|X[]|Inv[a.go, b.go]|S[]|IO[]",
            ),
            (
                "orderr",
                &cgo,
                &[("a.go", "package a\n"), ("b.go", "package b\n"), ("c.go", "package a\nimport \"x\n")],
                "a|found packages a (a.go) and b (b.go) in DIR|G[a.go, b.go, c.go]|C[]|I[]|T[]|X[]|Inv[b.go, c.go]|S[]|IO[]",
            ),
            (
                "syntax (errors.txt)",
                &cgo,
                &[("main.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"os\n)\n\nfunc main() { fmt.Println(os.Args) }\n")],
                "main|main.go:5:2: string literal not terminated|G[main.go]|C[]|I[]|T[]|X[]|Inv[main.go]|S[]|IO[]",
            ),
            (
                "bad go:build",
                &cgo,
                &[("main.go", "//go:build linux &&\n\npackage main\n")],
                "|main.go: parsing //go:build line: unexpected end of expression|G[]|C[]|I[]|T[]|X[]|Inv[main.go]|S[]|IO[]",
            ),
            (
                "nul",
                &cgo,
                &[("main.go", "package main\nimport \"fmt\x00\"\n")],
                "|read DIR/main.go: unexpected NUL in input|G[]|C[]|I[]|T[]|X[]|Inv[main.go]|S[]|IO[]",
            ),
        ];
        for (name, ctx, files, want) in cases {
            let mut imports = DirImports::default();
            let dir = classify_dir(
                DirName::whole("DIR"),
                files.iter().map(|(n, d)| (*n, d.as_bytes())),
                ctx,
                &mut imports,
            );
            assert_eq!(listing(&dir, &imports), *want, "{name}");
        }
    }

    /// Directories classified one after another into one `DirImports` each keep their own
    /// package name and Go files there (the loader reads the first long after the others).
    #[test]
    fn names_of_several_directories_share_one_string() {
        let ctx = BuildContext::default();
        let mut imports = DirImports::default();
        let dirs: [(&str, &[(&str, &[u8])]); 3] = [
            (
                "a",
                &[("x.go", b"package main\n"), ("y.go", b"package main\n")],
            ),
            ("b", &[("b_test.go", b"package b\n"), ("README", b"")]),
            (
                "c",
                &[("z.go", b"package zed\n"), ("z_test.go", b"package zed\n")],
            ),
        ];
        let classified: Vec<DirFiles> = dirs
            .iter()
            .map(|(d, files)| {
                classify_dir(DirName::whole(d), files.iter().copied(), &ctx, &mut imports)
            })
            .collect();
        let seen: Vec<(&str, bool, Vec<&str>)> = classified
            .iter()
            .map(|f| {
                let go_files = imports.go_files(f.go_files.clone()).collect();
                (imports.name(f.name), f.main, go_files)
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("main", true, vec!["x.go", "y.go"]),
                ("b", false, vec![]),
                ("zed", false, vec!["z.go"]),
            ]
        );
    }

    /// A directory of plain Go files keeps neither verdicts nor the box of other lists; one
    /// other file brings both back, whole.
    #[test]
    fn plain_directories_keep_no_verdicts_and_no_other_lists() {
        let ctx = BuildContext::default();
        let mut imports = DirImports::default();
        let plain: &[(&str, &[u8])] = &[("a.go", b"package a\n"), ("b.go", b"package a\n")];
        let dir = classify_dir(
            DirName::whole("p"),
            plain.iter().copied(),
            &ctx,
            &mut imports,
        );
        let go_files: Vec<&str> = imports.go_files(dir.go_files.clone()).collect();
        assert_eq!(go_files, ["a.go", "b.go"]);
        assert!(dir.verdicts.is_empty());
        assert!(dir.more.is_none());
        assert_eq!(dir.more(), &MoreFiles::default());

        let mixed: &[(&str, &[u8])] = &[
            ("a.go", b"package a\n"),
            ("a_test.go", b"package a\n"),
            ("b.go", b"package a\n"),
        ];
        let dir = classify_dir(
            DirName::whole("p"),
            mixed.iter().copied(),
            &ctx,
            &mut imports,
        );
        let roles: Vec<(&str, &FileRole)> =
            dir.verdicts.iter().map(|v| (v.name, &v.role)).collect();
        assert_eq!(
            roles,
            [
                ("a.go", &FileRole::Go),
                ("a_test.go", &FileRole::Test),
                ("b.go", &FileRole::Go)
            ]
        );
        assert_eq!(dir.more().test_go_files, ["a_test.go"]);
        let go_files: Vec<&str> = imports.go_files(dir.go_files.clone()).collect();
        assert_eq!(go_files, ["a.go", "b.go"]);
    }

    #[test]
    fn exclusion_reasons() {
        let files: &[(&str, &[u8])] = &[
            ("a.go", b"package a\n"),
            ("a_test.go", b"package a\n"),
            ("b_windows.go", b"package a\n"),
            ("c.go", b"//go:build ignore\n\npackage a\n"),
            ("README.md", b"hi"),
            ("_x.go", b""),
        ];
        let dir = classify_dir(
            DirName::whole("p"),
            files.iter().copied(),
            &BuildContext::default(),
            &mut DirImports::default(),
        );
        let got: Vec<String> = dir
            .verdicts
            .iter()
            .map(|v| match &v.role {
                FileRole::Excluded(why) => format!("{}: {why}", v.name),
                role => format!("{}: {role:?}", v.name),
            })
            .collect();
        assert_eq!(
            got,
            [
                "a.go: Go",
                "a_test.go: Test",
                "b_windows.go: for another OS or architecture (windows)",
                "c.go: excluded by build constraint (//go:build ignore)",
                "README.md: not a source file",
                "_x.go: name starts with _ or .",
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn expression_parser_never_panics(s in "[a-z0-9_.!&|() \t,+/:-]{0,60}") {
            if let Ok(x) = parse_expr(&s) {
                // The rendering parses back to the same expression.
                proptest::prop_assert_eq!(parse_expr(&x.to_string()), Ok(x.clone()));
            }
            let _ = parse_plus_build_expr(&s);
            let _ = file_constraints(s.as_bytes());
        }

        #[test]
        fn headers_of_arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
            let _ = file_constraints(&data);
            let _ = classify_dir(DirName::whole("d"), [("a.go", data.as_slice()), ("b.s", data.as_slice())], &BuildContext::default(), &mut DirImports::default());
        }
    }

    /// Each directory's imports are sorted, each path once at its earliest file's position,
    /// without `C` or tests' imports, and two directories share the list and its text.
    #[test]
    fn dir_imports_are_merged_into_one_dense_list() {
        let mut imports = DirImports::default();
        let a: &[(&str, &[u8])] = &[
            (
                "a.go",
                b"package a\nimport (\n\t\"z\"\n\t\"C\"\n\t\"m\"\n)\n",
            ),
            ("a_test.go", b"package a\nimport \"t\"\n"),
            (
                "b.go",
                b"package a\nimport (\n\tq \"m\"\n\t\"b\\x2fc\"\n)\n",
            ),
        ];
        let b: &[(&str, &[u8])] = &[("c.go", b"package c\nimport \"z\"\n")];
        let ctx = BuildContext {
            cgo_enabled: true,
            ..BuildContext::default()
        };
        let da = classify_dir(DirName::whole("a"), a.iter().copied(), &ctx, &mut imports);
        let db = classify_dir(DirName::whole("b"), b.iter().copied(), &ctx, &mut imports);
        let show = |d: &DirFiles| {
            imports
                .of(&d.imports)
                .iter()
                .map(|i| {
                    format!(
                        "{} {}:{}:{}",
                        imports.path(i),
                        imports.file(i),
                        i.line,
                        i.col
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(show(&da), ["b/c b.go:4:2", "m a.go:5:2", "z a.go:3:2"]);
        assert_eq!(show(&db), ["z c.go:2:8"]);
        assert_eq!(imports.text, "b/cmzz");
        // Each file with imports once, in the order classified (a.go's `C` alone would not
        // count; a_test.go's imports are not the package's).
        assert_eq!(imports.files, ["a.go", "b.go", "c.go"]);
    }
}
