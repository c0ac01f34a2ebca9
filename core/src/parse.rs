//! cmd/compile's parse of one Go file, for its errors only: the syntax errors
//! (`syntax error: unexpected newline, expected { after if clause`) and the scanner's
//! (`newline in string`, `invalid character U+003F '?'`) that `go build` prints when a file does
//! not parse, in the compiler's words, at its positions, and with its recovery, so that a file
//! with two mistakes gets the two reports go gives.
//!
//! The grammar decisions follow cmd/compile's own recursive-descent parser
//! (`cmd/compile/internal/syntax`): which production is tried at each token, what it says when
//! the token does not fit (`unexpected X, expected Y`, `X at end of statement`, `in argument
//! list; possibly missing comma or )`), and which tokens it skips to before going on. No syntax
//! tree is kept: each expression is reduced to what a later decision looks at (its kind, its
//! position, the names it splits into).
//!
//! Anything the scanner here does not model exactly (a malformed number, an escape it does not
//! know, a non-ASCII character outside a literal or comment, invalid UTF-8) makes the whole
//! answer `None`: unsure, so the caller reports nothing rather than something go would not say.

/// A position: 1-based line and byte column.
pub type Pos = (u32, u32);

/// One error, in order of discovery, as the compiler words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub pos: Pos,
    pub msg: String,
    /// An error types2 reports, not the parser: `expression in defer must be function call`.
    /// The parser sees it; the caller places it among the type checker's errors, and drops
    /// it when a syntax error stops the compile first.
    pub typecheck: bool,
}

/// The errors cmd/compile reports for `src` (empty if it parses), in the order it finds them,
/// or `None` when the file holds something this parser does not model. As the compiler's
/// error list keeps them: one syntax error per line (the first), and a repeated other error
/// on the line of the one before it once.
pub fn errors(src: &[u8], file: &str) -> Option<Vec<ParseError>> {
    parse(src, file).map(|p| p.errors)
}

/// What the parser learned of a file: its [`errors`], and where each name a `:=` declares anew
/// in its scope stands (a name already declared in the same scope is assigned, not declared;
/// one declared in an enclosing scope only is shadowed by a new variable). `None` as for
/// [`errors`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub errors: Vec<ParseError>,
    /// Sorted.
    pub defined: Vec<Pos>,
    /// The package-level functions the file declares that are neither methods nor generic,
    /// with how many results each returns.
    pub funcs: Vec<(String, usize)>,
    /// Inside function bodies, the assignments (`=`, `:=`, and `var` without a type) whose
    /// right side is one call of a function `f` or `pkg.F` (a name no enclosing scope
    /// declares): types2's assignment mismatch, if that function is known.
    pub calls: Vec<CallAssign>,
    /// Inside function bodies, every call without `...` of such a function.
    pub args: Vec<CallArgs>,
    /// Inside function bodies, each value whose type this parser knows given to a variable
    /// or result whose type it knows too: `var x T = v`, `x = v`, `return v`.
    pub values: Vec<ValueUse>,
    /// The `return` statements with more or fewer values than their function's results (of
    /// types this parser knows), but a bare `return` of named results.
    pub returns: Vec<ReturnCount>,
}

/// A `return` statement of the wrong count ([`Parsed::returns`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnCount {
    /// The `return` keyword's position.
    pub pos: Pos,
    /// Each value's position and, where known, what it is.
    pub values: Vec<(Pos, Option<Operand>)>,
    /// The function's result types.
    pub results: Vec<String>,
}

/// A value given to a variable of a known type ([`Parsed::values`]), for types2's `cannot use
/// "a" (untyped string constant) as int value in assignment`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueUse {
    /// The value's position.
    pub pos: Pos,
    pub value: Operand,
    /// The variable's type as its declaration spells it.
    pub want: String,
    /// Where: `variable declaration`, `assignment` or `return statement`, in types2's words.
    pub context: &'static str,
}

/// A call `f(x, 1)` or `pkg.F(x, 1)` in a function body, of a name no enclosing scope
/// declares ([`Parsed::args`]), for types2's `not enough arguments in call to f`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallArgs {
    /// The call's position (its leftmost token's).
    pub pos: Pos,
    /// The local name of the package whose function is called (`util` of `util.F(x)`), or
    /// `None` for the package's own.
    pub package: Option<String>,
    /// The function's name.
    pub callee: String,
    /// Each argument's position and, where this parser knows it, what it is ([`Operand`]).
    pub args: Vec<(Pos, Option<Operand>)>,
}

/// An argument whose type this parser knows: a constant literal, `nil`, or a variable whose
/// declaration says its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// An untyped constant: its kind and its source text (`-1`, `` `raw` ``, `'a'`, `true`).
    Constant(Untyped, String),
    /// `nil`.
    Nil,
    /// A variable: its name and its type as its declaration spells it (`int` for `x := 5`,
    /// `rune` for `var r rune`, `[]string` for `parts ...string`).
    Variable(String, String),
}

/// The kind of an untyped constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Untyped {
    Bool,
    Int,
    Rune,
    Float,
    Complex,
    String,
}

impl Operand {
    /// How types2 names the operand's type in a `have (…)` list: `number` for a numeric
    /// constant, `string` and `bool` for the others, a variable's type (`nil`'s is not known).
    pub fn have(&self) -> Option<&str> {
        match self {
            Operand::Constant(Untyped::Bool, _) => Some("bool"),
            Operand::Constant(Untyped::String, _) => Some("string"),
            Operand::Constant(..) => Some("number"),
            Operand::Nil => None,
            Operand::Variable(_, t) => Some(t),
        }
    }
}

/// `a, b := f(x)`: one call assigned to `vars` variables ([`Parsed::calls`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallAssign {
    /// The call's position (its leftmost token's).
    pub pos: Pos,
    pub vars: usize,
    /// As [`CallArgs::package`].
    pub package: Option<String>,
    /// The function's name.
    pub callee: String,
    /// The call as types2 prints it, when its arguments are names, literals, selectors and
    /// such calls (`none(1, "a")`).
    pub text: Option<String>,
    /// Where the call ends (the next token's position): types2 checks the call, and reports
    /// what is wrong inside it, before the assignment.
    pub end: Pos,
}

/// [`errors`], with what else the parser saw ([`Parsed`]).
pub fn parse(src: &[u8], file: &str) -> Option<Parsed> {
    let text = std::str::from_utf8(src).ok()?;
    if text.contains('\0') {
        return None;
    }
    let mut p = Parser::new(text, file);
    p.next();
    p.file();
    if p.unsure {
        return None;
    }
    let mut kept: Vec<ParseError> = Vec::with_capacity(p.errs.len());
    let (mut last_syntax, mut last_other): (Option<u32>, Option<(u32, usize)>) = (None, None);
    for e in p.errs {
        if e.msg.starts_with("syntax error") {
            if last_syntax == Some(e.pos.0) {
                continue;
            }
            last_syntax = Some(e.pos.0);
        } else {
            if last_other.is_some_and(|(line, i)| line == e.pos.0 && kept[i].msg == e.msg) {
                continue;
            }
            last_other = Some((e.pos.0, kept.len()));
        }
        kept.push(e);
    }
    kept.append(&mut p.type_errs);
    p.defined.sort_unstable();
    Some(Parsed {
        errors: kept,
        defined: p.defined,
        funcs: p.funcs,
        calls: p.calls,
        args: p.args,
        values: p.values,
        returns: p.returns,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum T {
    Eof,
    Name,
    Literal,
    Operator,
    AssignOp,
    IncOp,
    Assign,
    Define,
    Arrow,
    Star,
    Lparen,
    Lbrack,
    Lbrace,
    Rparen,
    Rbrack,
    Rbrace,
    Comma,
    Semi,
    Colon,
    Dot,
    DotDotDot,
    Break,
    Case,
    Chan,
    Const,
    Continue,
    Default,
    Defer,
    Else,
    Fallthrough,
    For,
    Func,
    Go,
    Goto,
    If,
    Import,
    Interface,
    Map,
    Package,
    Range,
    Return,
    Select,
    Struct,
    Switch,
    Type,
    Var,
}

const KEYWORDS: [(&str, T); 25] = [
    ("break", T::Break),
    ("case", T::Case),
    ("chan", T::Chan),
    ("const", T::Const),
    ("continue", T::Continue),
    ("default", T::Default),
    ("defer", T::Defer),
    ("else", T::Else),
    ("fallthrough", T::Fallthrough),
    ("for", T::For),
    ("func", T::Func),
    ("go", T::Go),
    ("goto", T::Goto),
    ("if", T::If),
    ("import", T::Import),
    ("interface", T::Interface),
    ("map", T::Map),
    ("package", T::Package),
    ("range", T::Range),
    ("return", T::Return),
    ("select", T::Select),
    ("struct", T::Struct),
    ("switch", T::Switch),
    ("type", T::Type),
    ("var", T::Var),
];

impl T {
    /// The token's name in messages (cmd/compile's `tokstring`).
    fn text(self) -> &'static str {
        match self {
            T::Eof => "EOF",
            T::Name => "name",
            T::Literal => "literal",
            T::Operator => "op",
            T::AssignOp => "op=",
            T::IncOp => "opop",
            T::Assign => "=",
            T::Define => ":=",
            T::Arrow => "<-",
            T::Star => "*",
            T::Lparen => "(",
            T::Lbrack => "[",
            T::Lbrace => "{",
            T::Rparen => ")",
            T::Rbrack => "]",
            T::Rbrace => "}",
            T::Comma => "comma",
            T::Semi => "semicolon or newline",
            T::Colon => ":",
            T::Dot => ".",
            T::DotDotDot => "...",
            k => KEYWORDS
                .iter()
                .find(|(_, t)| *t == k)
                .map_or("?", |(s, _)| s),
        }
    }

    fn bit(self) -> u64 {
        1 << self as u8
    }
}

/// Keywords that start a statement: inside a function, recovery stops at them.
const STOPSET: u64 = 1 << T::Break as u8
    | 1 << T::Const as u8
    | 1 << T::Continue as u8
    | 1 << T::Defer as u8
    | 1 << T::Fallthrough as u8
    | 1 << T::For as u8
    | 1 << T::Go as u8
    | 1 << T::Goto as u8
    | 1 << T::If as u8
    | 1 << T::Return as u8
    | 1 << T::Select as u8
    | 1 << T::Switch as u8
    | 1 << T::Type as u8
    | 1 << T::Var as u8;

/// How deeply expressions, types and blocks may nest before the parse gives up (unsure).
const MAX_DEPTH: u32 = 150;

/// An expression, reduced to what the parser's later decisions and messages need.
#[derive(Debug)]
struct E<'a> {
    k: K<'a>,
    /// The node's position as cmd/compile gives it (an operator's, a call's `(`…).
    pos: Pos,
    /// Its leftmost token's position (`StartPos`).
    start: Pos,
}

#[derive(Debug)]
enum K<'a> {
    Bad,
    Name(&'a str),
    Lit(&'a str),
    Composite,
    FuncLit,
    Paren(Box<E<'a>>),
    Selector(Box<E<'a>>, &'a str),
    Index(Box<E<'a>>, Box<E<'a>>),
    Slice,
    Assert,
    Guard,
    Call(Box<E<'a>>, Vec<E<'a>>, bool),
    Op(&'static str, Box<E<'a>>, Option<Box<E<'a>>>),
    List(Vec<E<'a>>),
    ArrayType,
    SliceType,
    StructType,
    FuncType,
    InterfaceType,
    MapType,
    ChanType,
}

impl<'a> E<'a> {
    fn new(k: K<'a>, pos: Pos) -> Self {
        E { k, pos, start: pos }
    }

    fn bad(pos: Pos) -> Self {
        E::new(K::Bad, pos)
    }

    fn unparen(&self) -> &E<'a> {
        match &self.k {
            K::Paren(x) => x.unparen(),
            _ => self,
        }
    }

    fn is_name(&self) -> bool {
        matches!(self.k, K::Name(_))
    }

    fn is_list(&self) -> bool {
        matches!(self.k, K::List(_))
    }

    /// A list's expressions, or this one alone.
    fn items(&self) -> &[E<'a>] {
        match &self.k {
            K::List(xs) => xs,
            _ => std::slice::from_ref(self),
        }
    }

    /// A (possibly parenthesized) type element: not also an ordinary expression.
    fn is_type_elem(&self) -> bool {
        match &self.k {
            K::ArrayType
            | K::StructType
            | K::FuncType
            | K::InterfaceType
            | K::SliceType
            | K::MapType
            | K::ChanType => true,
            K::Op(op, x, y) => {
                x.is_type_elem() || y.as_ref().is_some_and(|y| y.is_type_elem()) || *op == "~"
            }
            K::Paren(x) => x.is_type_elem(),
            _ => false,
        }
    }

    /// Certainly a value, not a type (a composite literal may not follow it).
    fn is_value(&self) -> bool {
        match &self.k {
            K::Lit(_)
            | K::Composite
            | K::FuncLit
            | K::Slice
            | K::Assert
            | K::Guard
            | K::Call(..) => true,
            K::Op(op, _, y) => *op != "*" || y.is_some(),
            K::Paren(x) => x.is_value(),
            K::Index(x, i) => x.is_value() || i.is_value(),
            _ => false,
        }
    }

    /// Names, literals, selectors and calls of them only: printed as the source has them (no
    /// operator whose parentheses the parser may have dropped).
    fn is_plain(&self) -> bool {
        match &self.k {
            K::Name(_) | K::Lit(_) => true,
            K::Selector(x, _) => x.is_plain(),
            K::Call(f, args, false) => f.is_plain() && args.iter().all(E::is_plain),
            _ => false,
        }
    }

    /// The expression as cmd/compile's printer writes it (short form), if this module knows how.
    fn print(&self, out: &mut String) -> Option<()> {
        match &self.k {
            K::Name(s) | K::Lit(s) => out.push_str(s),
            K::Paren(x) => {
                out.push('(');
                x.print(out)?;
                out.push(')');
            }
            K::Selector(x, s) => {
                x.print(out)?;
                out.push('.');
                out.push_str(s);
            }
            K::Index(x, i) => {
                x.print(out)?;
                out.push('[');
                i.print(out)?;
                out.push(']');
            }
            K::Call(f, args, dots) => {
                f.print(out)?;
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    a.print(out)?;
                }
                if *dots {
                    out.push_str("...");
                }
                out.push(')');
            }
            K::Op(op, x, None) => {
                out.push_str(op);
                x.print(out)?;
            }
            K::Op(op, x, Some(y)) => {
                x.print(out)?;
                out.push(' ');
                out.push_str(op);
                out.push(' ');
                y.print(out)?;
            }
            K::List(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    x.print(out)?;
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// Splits `name expr` (a type parameter and its constraint) as cmd/compile's
    /// `extractName` does: `Some(true)` for a name and a type, `Some(false)` for a lone name,
    /// `None` when it is not split.
    fn extract_name(&self, force: bool) -> Option<bool> {
        match &self.k {
            K::Name(_) => Some(false),
            K::Op("*", x, Some(y)) if x.is_name() && (force || y.is_type_elem()) => Some(true),
            K::Op("|", x, Some(y)) => match x.extract_name(force || y.is_type_elem()) {
                Some(true) => Some(true),
                _ => None,
            },
            K::Call(f, args, dots)
                if f.is_name() && args.len() == 1 && !dots && (force || args[0].is_type_elem()) =>
            {
                Some(true)
            }
            _ => None,
        }
    }
}

/// A parameter or field: whether it has a name, and its type's leftmost position.
struct Field {
    name: Option<Pos>,
    typ: Option<Pos>,
}

/// The type of a variable declared by a constant literal (go's default types).
fn default_type(lit: &str) -> &'static str {
    let hex = lit.starts_with("0x") || lit.starts_with("0X");
    if lit.starts_with(['"', '`']) {
        "string"
    } else if lit.starts_with('\'') {
        "rune"
    } else if lit.ends_with('i') {
        "complex128"
    } else if (hex && lit.contains(['p', 'P'])) || (!hex && lit.contains(['.', 'e', 'E'])) {
        "float64"
    } else {
        "int"
    }
}

/// A parameter of the signature being read ([`Parser::sig_fields`]): its name and its type's
/// source text (`...T` for a variadic one), either absent.
type SigField<'a> = (Option<&'a str>, Option<&'a str>);

/// A simple statement, reduced to what `header` looks at.
enum Simple<'a> {
    /// An expression; `true` for a type switch's guard (`x := y.(type)`).
    Expr(bool),
    /// An assignment: its operator's position, its operator (`""` for `=`, `":"` for `:=`,
    /// `"+"` for `+=` and, with no right side, for `++`), its sides.
    Assign(Pos, &'static str, E<'a>, Option<E<'a>>),
    Send,
    Range,
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    /// The scanner's read position, line and the offset its line starts at.
    at: usize,
    cur_line: u32,
    line_start: usize,
    nlsemi: bool,
    // The current token.
    tok: T,
    lit: &'a str,
    op: &'static str,
    prec: u8,
    line: u32,
    col: u32,
    lit_string: bool,
    // The parser's state.
    xnest: i32,
    fnest: i32,
    depth: u32,
    /// The parser's and the scanner's errors so far (the branch checks' are not counted).
    errcnt: usize,
    /// The file's name as the compiler was given it, for positions inside messages.
    file: &'a str,
    errs: Vec<ParseError>,
    /// What types2 will say of what the parser saw ([`ParseError::typecheck`]).
    type_errs: Vec<ParseError>,
    /// Inside functions, the names each open scope declares (the function's own scope holds
    /// its receiver, type parameters, parameters and results): for `no new variables on left
    /// side of :=`.
    scopes: Vec<Vec<&'a str>>,
    /// Where each name a `:=` declares new in its scope stands ([`Parsed::defined`]).
    defined: Vec<Pos>,
    funcs: Vec<(String, usize)>,
    calls: Vec<CallAssign>,
    args: Vec<CallArgs>,
    values: Vec<ValueUse>,
    returns: Vec<ReturnCount>,
    /// Beside `scopes`, the variables each scope declares whose type types2 prints as a
    /// source text says (`x := 5`: `int`; `s string`; `var m map[string]int`).
    scope_types: Vec<Vec<(&'a str, String)>>,
    /// The parameters of the signature being read (`sig_depth` 1) as they are read, and the
    /// typed ones of its lists so far ([`Parser::sig`] beside it).
    sig_fields: Vec<SigField<'a>>,
    sig_types: Vec<(&'a str, String)>,
    /// The result types of the signature being read (`sig_depth` 1) and whether they are
    /// named (`Some` of none for no results, `None` where a type's printing is not known); and
    /// each enclosing function body's, for its `return` statements.
    sig_results: Option<(Vec<String>, bool)>,
    results: Vec<Option<(Vec<String>, bool)>>,
    /// The source offsets where the current token starts and the one before it ended.
    tok_start: usize,
    prev_end: usize,
    /// The parameter names of the signature being read (`sig_depth` 1: not a function type
    /// inside it), for the body that follows.
    sig: Vec<&'a str>,
    sig_depth: u32,
    /// The next block is a function's body: its scope is the signature's.
    function_block: bool,
    /// A type switch's `x` of `x := y.(type)`, declared in each clause.
    guard: Option<&'a str>,
    unsure: bool,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, file: &'a str) -> Self {
        let at = if src.starts_with('\u{feff}') { 3 } else { 0 };
        Parser {
            src,
            b: src.as_bytes(),
            at,
            cur_line: 1,
            line_start: 0,
            nlsemi: false,
            tok: T::Eof,
            lit: "",
            op: "",
            prec: 0,
            line: 1,
            col: 1,
            lit_string: false,
            xnest: 0,
            fnest: 0,
            depth: 0,
            errcnt: 0,
            file,
            errs: Vec::new(),
            type_errs: Vec::new(),
            scopes: Vec::new(),
            defined: Vec::new(),
            funcs: Vec::new(),
            calls: Vec::new(),
            args: Vec::new(),
            values: Vec::new(),
            returns: Vec::new(),
            scope_types: Vec::new(),
            sig_fields: Vec::new(),
            sig_results: None,
            results: Vec::new(),
            sig_types: Vec::new(),
            tok_start: 0,
            prev_end: 0,
            sig: Vec::new(),
            sig_depth: 0,
            function_block: false,
            guard: None,
            unsure: false,
        }
    }

    // ---- Scanner -------------------------------------------------------------------------

    fn ch(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.at + k).copied()
    }

    fn bump(&mut self) {
        if self.ch() == Some(b'\n') {
            self.cur_line += 1;
            self.line_start = self.at + 1;
        }
        self.at += 1;
    }

    fn here(&self) -> Pos {
        (self.cur_line, (self.at - self.line_start + 1) as u32)
    }

    fn next(&mut self) {
        if self.unsure {
            // Nothing more to say: end the parse.
            self.tok = T::Eof;
            return;
        }
        let nlsemi = self.nlsemi;
        self.nlsemi = false;
        self.prev_end = self.at;
        loop {
            while let Some(c) = self.ch() {
                if c == b' ' || c == b'\t' || c == b'\r' || (c == b'\n' && !nlsemi) {
                    self.bump();
                } else {
                    break;
                }
            }
            (self.line, self.col) = self.here();
            let start = self.at;
            self.tok_start = start;
            let Some(c) = self.ch() else {
                if nlsemi {
                    self.set(T::Semi, "EOF");
                } else {
                    self.tok = T::Eof;
                }
                return;
            };
            if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
                self.ident(start);
                return;
            }
            self.bump();
            let tok = match c {
                b'\n' => {
                    self.set(T::Semi, "newline");
                    return;
                }
                b'0'..=b'9' => return self.number(start, false),
                b'"' => return self.string(start, false),
                b'`' => return self.string(start, true),
                b'\'' => return self.rune(start),
                b'(' => T::Lparen,
                b'[' => T::Lbrack,
                b'{' => T::Lbrace,
                b',' => T::Comma,
                b';' => {
                    self.set(T::Semi, "semicolon");
                    return;
                }
                b')' | b']' | b'}' => {
                    self.nlsemi = true;
                    match c {
                        b')' => T::Rparen,
                        b']' => T::Rbrack,
                        _ => T::Rbrace,
                    }
                }
                b':' => {
                    if self.ch() == Some(b'=') {
                        self.bump();
                        T::Define
                    } else {
                        T::Colon
                    }
                }
                b'.' => {
                    if self.ch().is_some_and(|c| c.is_ascii_digit()) {
                        return self.number(start, true);
                    }
                    if self.ch() == Some(b'.') && self.peek(1) == Some(b'.') {
                        self.bump();
                        self.bump();
                        T::DotDotDot
                    } else {
                        T::Dot
                    }
                }
                b'+' | b'-' => {
                    self.op = if c == b'+' { "+" } else { "-" };
                    self.prec = 4;
                    if self.ch() == Some(c) {
                        self.bump();
                        self.nlsemi = true;
                        T::IncOp
                    } else {
                        self.assign_op()
                    }
                }
                b'*' => {
                    (self.op, self.prec) = ("*", 5);
                    if self.ch() == Some(b'=') {
                        self.bump();
                        T::AssignOp
                    } else {
                        T::Star
                    }
                }
                b'/' => match self.ch() {
                    // A `//line` directive (a line's first column) or a `/*line` one moves the
                    // positions go reports: not modelled.
                    Some(b'/' | b'*')
                        if self.src[start + 2..].starts_with("line ")
                            && (self.ch() == Some(b'*') || self.col == 1) =>
                    {
                        self.unsure = true;
                        self.tok = T::Eof;
                        return;
                    }
                    Some(b'/') => {
                        while self.ch().is_some_and(|c| c != b'\n') {
                            self.bump();
                        }
                        continue;
                    }
                    Some(b'*') => {
                        self.bump();
                        let line = self.line;
                        let pos = (self.line, self.col);
                        loop {
                            match self.ch() {
                                None => {
                                    self.error_at(pos, "comment not terminated".into());
                                    break;
                                }
                                Some(b'*') if self.peek(1) == Some(b'/') => {
                                    self.bump();
                                    self.bump();
                                    break;
                                }
                                _ => self.bump(),
                            }
                        }
                        if self.cur_line > line && nlsemi {
                            self.set(T::Semi, "newline");
                            return;
                        }
                        continue;
                    }
                    _ => {
                        (self.op, self.prec) = ("/", 5);
                        self.assign_op()
                    }
                },
                b'%' => {
                    (self.op, self.prec) = ("%", 5);
                    self.assign_op()
                }
                b'&' => {
                    if self.ch() == Some(b'&') {
                        self.bump();
                        (self.op, self.prec) = ("&&", 2);
                        T::Operator
                    } else {
                        (self.op, self.prec) = ("&", 5);
                        if self.ch() == Some(b'^') {
                            self.bump();
                            self.op = "&^";
                        }
                        self.assign_op()
                    }
                }
                b'|' => {
                    if self.ch() == Some(b'|') {
                        self.bump();
                        (self.op, self.prec) = ("||", 1);
                        T::Operator
                    } else {
                        (self.op, self.prec) = ("|", 4);
                        self.assign_op()
                    }
                }
                b'^' => {
                    (self.op, self.prec) = ("^", 4);
                    self.assign_op()
                }
                b'<' => match self.ch() {
                    Some(b'=') => {
                        self.bump();
                        (self.op, self.prec) = ("<=", 3);
                        T::Operator
                    }
                    Some(b'<') => {
                        self.bump();
                        (self.op, self.prec) = ("<<", 5);
                        self.assign_op()
                    }
                    Some(b'-') => {
                        self.bump();
                        T::Arrow
                    }
                    _ => {
                        (self.op, self.prec) = ("<", 3);
                        T::Operator
                    }
                },
                b'>' => match self.ch() {
                    Some(b'=') => {
                        self.bump();
                        (self.op, self.prec) = (">=", 3);
                        T::Operator
                    }
                    Some(b'>') => {
                        self.bump();
                        (self.op, self.prec) = (">>", 5);
                        self.assign_op()
                    }
                    _ => {
                        (self.op, self.prec) = (">", 3);
                        T::Operator
                    }
                },
                b'=' => {
                    if self.ch() == Some(b'=') {
                        self.bump();
                        (self.op, self.prec) = ("==", 3);
                        T::Operator
                    } else {
                        T::Assign
                    }
                }
                b'!' => {
                    if self.ch() == Some(b'=') {
                        self.bump();
                        (self.op, self.prec) = ("!=", 3);
                    } else {
                        (self.op, self.prec) = ("!", 0);
                    }
                    T::Operator
                }
                b'~' => {
                    (self.op, self.prec) = ("~", 0);
                    T::Operator
                }
                c if c.is_ascii_graphic() => {
                    let pos = (self.line, self.col);
                    self.error_at(
                        pos,
                        format!("invalid character U+{:04X} '{}'", c, c as char),
                    );
                    continue;
                }
                _ => {
                    // Control characters: go prints them without the quoted character.
                    self.unsure = true;
                    continue;
                }
            };
            self.tok = tok;
            return;
        }
    }

    fn set(&mut self, tok: T, lit: &'a str) {
        self.tok = tok;
        self.lit = lit;
    }

    fn assign_op(&mut self) -> T {
        if self.ch() == Some(b'=') {
            self.bump();
            T::AssignOp
        } else {
            T::Operator
        }
    }

    fn ident(&mut self, start: usize) {
        loop {
            match self.ch() {
                Some(c) if c.is_ascii_alphanumeric() || c == b'_' => self.bump(),
                Some(c) if c >= 0x80 => {
                    let ch = self.src[self.at..].chars().next().unwrap_or('\0');
                    if !ch.is_alphabetic() || ch == '\u{feff}' {
                        // A digit outside ASCII, or a character go calls invalid: its message
                        // depends on Unicode tables this module does not carry.
                        self.unsure = true;
                    }
                    for _ in 0..ch.len_utf8() {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
        let lit = &self.src[start..self.at];
        if lit.len() >= 2 {
            if let Some((_, t)) = KEYWORDS.iter().find(|(k, _)| *k == lit) {
                self.nlsemi = matches!(t, T::Break | T::Continue | T::Fallthrough | T::Return);
                self.tok = *t;
                return;
            }
        }
        self.nlsemi = true;
        self.set(T::Name, lit);
    }

    fn literal(&mut self, start: usize, string: bool) {
        self.nlsemi = true;
        self.tok = T::Literal;
        self.lit = &self.src[start..self.at];
        self.lit_string = string;
    }

    /// A number literal; anything but a well-formed one leaves the answer unsure.
    fn number(&mut self, start: usize, point: bool) {
        let digits = |p: &mut Self, ok: fn(u8) -> bool| {
            let from = p.at;
            while p.ch().is_some_and(|c| ok(c) || c == b'_') {
                p.bump();
            }
            p.at > from
        };
        let dec = |c: u8| c.is_ascii_digit();
        let mut float = point;
        if point {
            digits(self, dec);
        } else {
            let prefix = if self.b[start] == b'0' {
                self.ch().map(|c| c.to_ascii_lowercase())
            } else {
                None
            };
            match prefix {
                Some(b'x') => {
                    self.bump();
                    let mut any = digits(self, |c| c.is_ascii_hexdigit());
                    if self.ch() == Some(b'.') {
                        self.bump();
                        any |= digits(self, |c| c.is_ascii_hexdigit());
                        float = true;
                    }
                    if !any {
                        self.unsure = true;
                    }
                    if matches!(self.ch(), Some(b'p' | b'P')) {
                        self.exponent();
                    } else if float {
                        self.unsure = true;
                    }
                    return self.finish_number(start);
                }
                Some(b'o' | b'b') => {
                    let base = self.ch();
                    self.bump();
                    let ok = if base.is_some_and(|c| c.eq_ignore_ascii_case(&b'o')) {
                        |c: u8| (b'0'..=b'7').contains(&c)
                    } else {
                        |c: u8| c == b'0' || c == b'1'
                    };
                    // No digits, a digit of another base, a radix point or an exponent: go's
                    // messages for these are not modelled.
                    if !digits(self, ok)
                        || self.ch().is_some_and(|c| {
                            c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'p' | b'P')
                        })
                    {
                        self.unsure = true;
                    }
                    return self.finish_number(start);
                }
                _ => {
                    digits(self, dec);
                    if self.ch() == Some(b'.') {
                        self.bump();
                        digits(self, dec);
                        float = true;
                    }
                }
            }
        }
        match self.ch() {
            Some(b'e' | b'E') => {
                self.exponent();
                float = true;
            }
            // go: "'p' exponent requires hexadecimal mantissa".
            Some(b'p' | b'P') => self.unsure = true,
            _ => {}
        }
        let text = &self.b[start..self.at];
        if !float && text.len() > 1 && text[0] == b'0' && self.ch() != Some(b'i') {
            // A legacy octal literal: go reports an 8 or 9 in it.
            if text.iter().any(|&c| c == b'8' || c == b'9') {
                self.unsure = true;
            }
        }
        self.finish_number(start)
    }

    fn exponent(&mut self) {
        self.bump();
        if matches!(self.ch(), Some(b'+' | b'-')) {
            self.bump();
        }
        let from = self.at;
        while self.ch().is_some_and(|c| c.is_ascii_digit() || c == b'_') {
            self.bump();
        }
        if self.at == from {
            self.unsure = true;
        }
    }

    fn finish_number(&mut self, start: usize) {
        if self.ch() == Some(b'i') {
            self.bump();
        }
        // '_' only between digits (or right after a base prefix).
        let text = &self.b[start..self.at];
        for (i, &c) in text.iter().enumerate() {
            if c == b'_' {
                let before = if i > 0 { text[i - 1] } else { b'.' };
                let after = text.get(i + 1).copied().unwrap_or(b'.');
                let digitish = |c: u8| c.is_ascii_hexdigit();
                let prefix = i == 2 && matches!(before | 0x20, b'x' | b'o' | b'b');
                if !(digitish(before) || prefix) || !digitish(after) {
                    self.unsure = true;
                }
            }
        }
        self.literal(start, false);
    }

    /// One escape after `\`; `quote` is the literal's delimiter.
    fn escape(&mut self, quote: u8) {
        let Some(c) = self.ch() else { return };
        let hex = |n: usize, p: &mut Self| {
            for _ in 0..n {
                if !p.ch().is_some_and(|c| c.is_ascii_hexdigit()) {
                    p.unsure = true;
                    return;
                }
                p.bump();
            }
        };
        match c {
            b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\' => self.bump(),
            c if c == quote => self.bump(),
            b'0'..=b'7' => {
                let mut v = 0u32;
                for _ in 0..3 {
                    match self.ch() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + (d - b'0') as u32;
                            self.bump();
                        }
                        _ => {
                            self.unsure = true;
                            return;
                        }
                    }
                }
                if v > 255 {
                    self.unsure = true;
                }
            }
            b'x' => {
                self.bump();
                hex(2, self);
            }
            b'u' | b'U' => {
                self.bump();
                let n = if c == b'u' { 4 } else { 8 };
                let from = self.at;
                hex(n, self);
                if !self.unsure {
                    let v = u32::from_str_radix(&self.src[from..self.at], 16).unwrap_or(u32::MAX);
                    if char::from_u32(v).is_none() {
                        self.unsure = true;
                    }
                }
            }
            _ => self.unsure = true,
        }
    }

    /// A string literal, interpreted (`"`) or `raw` (a backquote).
    fn string(&mut self, start: usize, raw: bool) {
        let pos = (self.line, self.col);
        let quote = if raw { b'`' } else { b'"' };
        loop {
            match self.ch() {
                Some(c) if c == quote => {
                    self.bump();
                    break;
                }
                Some(b'\\') if !raw => {
                    self.bump();
                    self.escape(b'"');
                }
                Some(b'\n') if !raw => {
                    let here = self.here();
                    self.error_at(here, "newline in string".into());
                    break;
                }
                None => {
                    self.error_at(pos, "string not terminated".into());
                    break;
                }
                _ => self.bump(),
            }
        }
        self.literal(start, true);
    }

    fn rune(&mut self, start: usize) {
        let pos = (self.line, self.col);
        // Characters and escapes read; every error ends the literal, so none comes before.
        let mut n = 0;
        loop {
            match self.ch() {
                Some(b'\'') => {
                    if n == 0 {
                        let here = self.here();
                        self.error_at(here, "empty rune literal or unescaped '".into());
                    } else if n != 1 {
                        self.error_at(pos, "more than one character in rune literal".into());
                    }
                    self.bump();
                    break;
                }
                Some(b'\\') => {
                    self.bump();
                    self.escape(b'\'');
                }
                Some(b'\n') => {
                    let here = self.here();
                    self.error_at(here, "newline in rune literal".into());
                    break;
                }
                None => {
                    self.error_at(pos, "rune literal not terminated".into());
                    break;
                }
                Some(c) => {
                    self.bump();
                    // One character: skip the rest of its UTF-8 bytes.
                    if c >= 0xc0 {
                        while self.ch().is_some_and(|c| (0x80..0xc0).contains(&c)) {
                            self.bump();
                        }
                    }
                }
            }
            n += 1;
        }
        self.literal(start, false);
    }

    /// Runs `f` one level deeper. Past [`MAX_DEPTH`] (a hostile or generated file: hundreds
    /// of nested parentheses or blocks) the parse ends unsure rather than exhaust the stack.
    fn nested<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.unsure = true;
            self.tok = T::Eof;
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    // ---- Errors --------------------------------------------------------------------------

    fn pos(&self) -> Pos {
        (self.line, self.col)
    }

    fn error_at(&mut self, pos: Pos, msg: String) {
        self.errcnt += 1;
        let typecheck = false;
        self.errs.push(ParseError {
            pos,
            msg,
            typecheck,
        });
    }

    fn error(&mut self, msg: &str) {
        self.error_at(self.pos(), msg.to_string());
    }

    fn syntax_error(&mut self, msg: &str) {
        self.syntax_error_at(self.pos(), msg);
    }

    fn syntax_error_at(&mut self, pos: Pos, msg: &str) {
        if self.tok == T::Eof && self.errcnt > 0 {
            return; // go: no follow-up errors at the end of the file
        }
        let msg = if msg.is_empty() {
            String::new()
        } else if msg.starts_with("in ") || msg.starts_with("at ") || msg.starts_with("after ") {
            format!(" {msg}")
        } else if msg.starts_with("expected ") {
            format!(", {msg}")
        } else {
            return self.error_at(pos, format!("syntax error: {msg}"));
        };
        let tok = match self.tok {
            T::Name => format!("name {}", self.lit),
            T::Semi => self.lit.to_string(),
            T::Literal => format!("literal {}", self.lit),
            T::Operator => self.op.to_string(),
            T::AssignOp => format!("{}=", self.op),
            T::IncOp => format!("{0}{0}", self.op),
            t => t.text().to_string(),
        };
        self.error_at(pos, format!("syntax error: unexpected {tok}{msg}"));
    }

    fn got(&mut self, t: T) -> bool {
        if self.tok == t {
            self.next();
            true
        } else {
            false
        }
    }

    fn want(&mut self, t: T) {
        if !self.got(t) {
            self.syntax_error(&format!("expected {}", t.text()));
            self.advance(&[]);
        }
    }

    fn got_assign(&mut self) -> bool {
        match self.tok {
            T::Define => {
                self.syntax_error("expected =");
                self.next();
                true
            }
            T::Assign => {
                self.next();
                true
            }
            _ => false,
        }
    }

    /// Skips to a token of `follow` (or, inside a function, a statement keyword); with no
    /// follow list, one token.
    fn advance(&mut self, follow: &[T]) {
        let mut set = T::Eof.bit();
        if !follow.is_empty() {
            if self.fnest > 0 {
                set |= STOPSET;
            }
            for t in follow {
                set |= t.bit();
            }
        }
        while set & self.tok.bit() == 0 {
            self.next();
            if follow.is_empty() {
                break;
            }
            if self.unsure {
                return;
            }
        }
    }

    // ---- Declarations --------------------------------------------------------------------

    fn file(&mut self) {
        if !self.got(T::Package) {
            self.syntax_error("package statement must be first");
            return;
        }
        self.name();
        self.want(T::Semi);
        if self.errcnt > 0 {
            return;
        }
        let mut prev = T::Import;
        // Whether the last declaration is a function without a body.
        let mut bodiless = false;
        while self.tok != T::Eof && !self.unsure {
            if self.tok == T::Import && prev != T::Import {
                self.syntax_error("imports must appear before other declarations");
            }
            prev = self.tok;
            match self.tok {
                T::Import | T::Const | T::Type | T::Var => {
                    let t = self.tok;
                    self.next();
                    self.group(|p| match t {
                        T::Import => p.import_decl(),
                        T::Const => p.const_decl(),
                        T::Type => p.type_decl(),
                        _ => {
                            p.var_decl();
                        }
                    });
                    bodiless = false;
                }
                T::Func => {
                    self.next();
                    bodiless = !self.func_decl();
                }
                _ => {
                    if self.tok == T::Lbrace && bodiless {
                        self.syntax_error("unexpected semicolon or newline before {");
                    } else {
                        self.syntax_error("non-declaration statement outside function body");
                    }
                    self.advance(&[T::Import, T::Const, T::Type, T::Var, T::Func]);
                    continue;
                }
            }
            if self.tok != T::Eof && !self.got(T::Semi) {
                self.syntax_error("after top level declaration");
                self.advance(&[T::Import, T::Const, T::Type, T::Var, T::Func]);
            }
        }
    }

    /// `list = [ f { sep f } [sep] ] close .`
    /// Returns the closing token's position.
    fn list(
        &mut self,
        context: &str,
        sep: T,
        close: T,
        mut f: impl FnMut(&mut Self) -> bool,
    ) -> Pos {
        let mut done = false;
        while self.tok != T::Eof && self.tok != close && !done && !self.unsure {
            done = f(self);
            if !self.got(sep) && self.tok != close {
                self.syntax_error(&format!(
                    "in {context}; possibly missing {} or {}",
                    sep.text(),
                    close.text()
                ));
                self.advance(&[T::Rparen, T::Rbrack, T::Rbrace]);
                if self.tok != close {
                    return self.pos();
                }
            }
        }
        let pos = self.pos();
        self.want(close);
        pos
    }

    fn group(&mut self, mut f: impl FnMut(&mut Self)) {
        if self.tok == T::Lparen {
            self.next();
            let _ = self.list("grouped declaration", T::Semi, T::Rparen, |p| {
                f(p);
                false
            });
        } else {
            f(self);
        }
    }

    fn import_decl(&mut self) {
        match self.tok {
            T::Name | T::Dot => self.next(),
            _ => {}
        }
        if self.tok != T::Literal {
            self.syntax_error("missing import path");
            self.advance(&[T::Semi, T::Rparen]);
            return;
        }
        if !self.lit_string {
            self.syntax_error("import path must be a string");
        }
        self.next();
    }

    fn const_decl(&mut self) {
        self.name_list();
        if !matches!(self.tok, T::Eof | T::Semi | T::Rparen) {
            self.type_or_nil();
            if self.got_assign() {
                self.expr_list();
            }
        }
    }

    fn type_decl(&mut self) {
        if self.tok == T::Name {
            let name = self.lit;
            self.declare(&[name]);
        }
        self.name();
        let mut typed = true;
        if self.tok == T::Lbrack {
            let pos = self.pos();
            self.next();
            match self.tok {
                T::Name => {
                    let mut x = self.name_expr();
                    if self.tok != T::Lbrack {
                        self.xnest += 1;
                        let px = self.pexpr(Some(x), false);
                        x = self.binary_expr(Some(px), 0);
                        self.xnest -= 1;
                    }
                    let split = x.extract_name(self.tok == T::Comma);
                    if let Some(has_type) = split.filter(|&t| t || self.tok != T::Rbrack) {
                        let first = Field {
                            name: Some(x.start),
                            typ: has_type.then_some(x.start),
                        };
                        self.param_list(Some(first), has_type, T::Rbrack, true);
                        self.got_assign();
                        typed = self.type_or_nil().is_some();
                    } else {
                        self.array_type(pos, Some(x));
                    }
                }
                T::Rbrack => {
                    self.next();
                    self.type_();
                }
                _ => {
                    self.array_type(pos, None);
                }
            }
        } else {
            self.got_assign();
            typed = self.type_or_nil().is_some();
        }
        if !typed {
            self.syntax_error("in type declaration");
            self.advance(&[T::Semi, T::Rparen]);
        }
    }

    /// A variable declaration: its first name and that name's position.
    fn var_decl(&mut self) -> (Pos, &'a str) {
        let first = (self.pos(), if self.tok == T::Name { self.lit } else { "_" });
        let names_from = self.tok_start;
        let vars = self.name_list();
        // The names as written (`_` where a comment or an error leaves them unclear).
        let names: Vec<&'a str> = self
            .src
            .get(names_from..self.prev_end)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .map(|n| {
                let plain = !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_');
                if plain {
                    n
                } else {
                    "_"
                }
            })
            .collect();
        if self.got_assign() {
            let at = self.pos();
            let rhs = self.expr_list();
            self.note_call(vars, &rhs, at);
            self.note_literal_types(&names, &rhs);
        } else {
            let from = self.tok_start;
            self.type_();
            let text = self.src.get(from..self.prev_end).unwrap_or("");
            let t = crate::syntax::printed_type(text).filter(|t| !t.starts_with("..."));
            if let Some(t) = &t {
                self.note_types(names.iter().map(|n| (*n, t.clone())));
            }
            if self.got_assign() {
                let rhs = self.expr_list();
                if let Some(t) = t {
                    let wants = vec![Some(t); names.len()];
                    self.note_values(&wants, &rhs, &names, "variable declaration");
                }
            }
        }
        first
    }

    /// A function declaration after `func`; returns whether it has a body.
    fn func_decl(&mut self) -> bool {
        let mut context = "";
        self.sig.clear();
        self.sig_types.clear();
        if self.got(T::Lparen) {
            context = "method";
            self.sig_depth += 1;
            let n = self.param_list(None, false, T::Rparen, false);
            self.sig_depth -= 1;
            match n {
                0 => self.error("method has no receiver"),
                1 => {}
                _ => self.error("method has multiple receivers"),
            }
        }
        if self.tok == T::Name {
            let name = self.lit;
            self.next();
            let (generic, results) = self.func_type(context);
            if context.is_empty() && !generic && name != "init" && name != "_" {
                self.funcs.push((name.to_string(), results));
            }
        } else {
            self.syntax_error(if context.is_empty() {
                "expected name or ("
            } else {
                "expected name"
            });
            self.advance(&[T::Lbrace, T::Semi]);
        }
        if self.tok == T::Lbrace {
            self.func_body();
            true
        } else {
            false
        }
    }

    fn func_body(&mut self) {
        self.fnest += 1;
        let errors = self.errcnt;
        let params = std::mem::take(&mut self.sig);
        self.scopes.push(params);
        self.scope_types.push(std::mem::take(&mut self.sig_types));
        let results = self.sig_results.take();
        self.results.push(results);
        self.function_block = true;
        let (pos, body) = self.block_stmt("");
        self.scopes.pop();
        self.scope_types.pop();
        self.results.pop();
        self.fnest -= 1;
        // As cmd/compile: only a function that parsed without error.
        if errors == self.errcnt && !self.unsure {
            let mut b = Branches {
                file: self.file,
                labels: Vec::new(),
                blocks: Vec::new(),
                errs: Vec::new(),
                unsure: false,
                gotos: 0,
            };
            b.check(pos, &body);
            self.unsure |= b.unsure;
            self.errs.extend(b.errs);
        }
    }

    // ---- Expressions ---------------------------------------------------------------------

    fn expr(&mut self) -> E<'a> {
        self.binary_expr(None, 0)
    }

    fn binary_expr(&mut self, x: Option<E<'a>>, prec: u8) -> E<'a> {
        self.nested(|p| p.binary_expr_in(x, prec))
    }

    fn binary_expr_in(&mut self, x: Option<E<'a>>, prec: u8) -> E<'a> {
        let mut x = match x {
            Some(x) => x,
            None => self.unary_expr(),
        };
        while matches!(self.tok, T::Operator | T::Star) && self.prec > prec && !self.unsure {
            let pos = self.pos();
            let (op, tprec) = (self.op, self.prec);
            self.next();
            let y = self.binary_expr(None, tprec);
            let start = x.start;
            x = E {
                k: K::Op(op, Box::new(x), Some(Box::new(y))),
                pos,
                start,
            };
        }
        x
    }

    fn unary_expr(&mut self) -> E<'a> {
        self.nested(Self::unary_expr_in)
    }

    fn unary_expr_in(&mut self) -> E<'a> {
        match self.tok {
            T::Operator | T::Star if matches!(self.op, "*" | "+" | "-" | "!" | "^" | "~" | "&") => {
                let pos = self.pos();
                let op = self.op;
                self.next();
                let x = self.unary_expr();
                let mut x = x;
                while op == "&" && matches!(x.k, K::Paren(_)) {
                    let K::Paren(inner) = x.k else { unreachable!() };
                    x = *inner;
                }
                E::new(K::Op(op, Box::new(x), None), pos)
            }
            T::Arrow => {
                let pos = self.pos();
                self.next();
                let x = self.unary_expr();
                if matches!(x.k, K::ChanType) {
                    // `<-chan T`, or a misplaced arrow: go's messages for the latter depend
                    // on the channel types' directions, which are not kept here.
                    return x;
                }
                E::new(K::Op("<-", Box::new(x), None), pos)
            }
            _ => self.pexpr(None, true),
        }
    }

    fn call_stmt(&mut self) {
        let keyword = if self.tok == T::Go { "go" } else { "defer" };
        self.next();
        let keep = self.tok == T::Lparen;
        let x = self.pexpr(None, keep);
        if matches!(x.k, K::Paren(_)) {
            self.error_at(
                x.pos,
                format!("expression in {keyword} must not be parenthesized"),
            );
        }
        let x = x.unparen();
        if !matches!(x.k, K::Call(..) | K::Bad) {
            self.type_errs.push(ParseError {
                pos: x.start,
                msg: format!("expression in {keyword} must be function call"),
                typecheck: true,
            });
        }
    }

    fn name_expr(&mut self) -> E<'a> {
        let pos = self.pos();
        let lit = self.lit;
        self.next();
        E::new(K::Name(lit), pos)
    }

    fn operand(&mut self, keep_parens: bool) -> E<'a> {
        let pos = self.pos();
        match self.tok {
            T::Name => self.name_expr(),
            T::Literal => {
                let lit = self.lit;
                self.next();
                E::new(K::Lit(lit), pos)
            }
            T::Lparen => {
                self.next();
                self.xnest += 1;
                let x = self.expr();
                self.xnest -= 1;
                self.want(T::Rparen);
                if keep_parens || self.tok == T::Lbrace {
                    E::new(K::Paren(Box::new(x)), pos)
                } else {
                    x
                }
            }
            T::Func => {
                self.next();
                self.sig.clear();
                self.sig_types.clear();
                // A function type's position is its parameters' `(` (cmd/compile's funcType).
                let params = self.pos();
                self.func_type("function type");
                if self.tok == T::Lbrace {
                    self.xnest += 1;
                    self.func_body();
                    self.xnest -= 1;
                    E::new(K::FuncLit, pos)
                } else {
                    E::new(K::FuncType, params)
                }
            }
            T::Lbrack | T::Chan | T::Map | T::Struct | T::Interface => self.type_(),
            _ => {
                self.syntax_error("expected expression");
                self.advance(&[T::Rparen, T::Rbrack, T::Rbrace]);
                E::bad(pos)
            }
        }
    }

    fn pexpr(&mut self, x: Option<E<'a>>, keep_parens: bool) -> E<'a> {
        let mut x = match x {
            Some(x) => x,
            None => self.operand(keep_parens),
        };
        loop {
            if self.unsure {
                return x;
            }
            let pos = self.pos();
            let start = x.start;
            match self.tok {
                T::Dot => {
                    self.next();
                    match self.tok {
                        T::Name => {
                            let sel = self.lit;
                            self.next();
                            x = E {
                                k: K::Selector(Box::new(x), sel),
                                pos,
                                start,
                            };
                        }
                        T::Lparen => {
                            self.next();
                            let k = if self.got(T::Type) {
                                K::Guard
                            } else {
                                self.type_();
                                K::Assert
                            };
                            self.want(T::Rparen);
                            x = E { k, pos, start };
                        }
                        _ => {
                            self.syntax_error("expected name or (");
                            self.advance(&[T::Semi, T::Rparen]);
                        }
                    }
                }
                T::Lbrack => {
                    self.next();
                    if self.tok != T::Colon {
                        let (i, comma) = if self.tok == T::Rbrack {
                            self.syntax_error("expected operand");
                            (E::bad(self.pos()), false)
                        } else {
                            self.type_list(false)
                        };
                        if comma || self.tok == T::Rbrack {
                            self.want(T::Rbrack);
                            x = E {
                                k: K::Index(Box::new(x), Box::new(i)),
                                pos,
                                start,
                            };
                            continue;
                        }
                    }
                    if !self.got(T::Colon) {
                        self.syntax_error("expected comma, : or ]");
                        self.advance(&[T::Comma, T::Colon, T::Rbrack]);
                    }
                    self.xnest += 1;
                    let mut middle = false;
                    if self.tok != T::Colon && self.tok != T::Rbrack {
                        self.expr();
                        middle = true;
                    }
                    if self.tok == T::Colon {
                        if !middle {
                            self.error("middle index required in 3-index slice");
                        }
                        self.next();
                        if self.tok != T::Rbrack {
                            self.expr();
                        } else {
                            self.error("final index required in 3-index slice");
                        }
                    }
                    self.xnest -= 1;
                    self.want(T::Rbrack);
                    x = E {
                        k: K::Slice,
                        pos,
                        start,
                    };
                }
                T::Lparen => {
                    self.next();
                    let (args, dots) = self.arg_list();
                    x = E {
                        k: K::Call(Box::new(x), args, dots),
                        pos,
                        start,
                    };
                    self.note_args(&x);
                }
                T::Lbrace => {
                    let t = x.unparen();
                    let ok = match &t.k {
                        K::Name(_) | K::Selector(..) => self.xnest >= 0,
                        K::Index(..) => self.xnest >= 0 && !t.is_value(),
                        K::ArrayType | K::SliceType | K::StructType | K::MapType => true,
                        _ => false,
                    };
                    if !ok {
                        return x;
                    }
                    if matches!(x.k, K::Paren(_)) {
                        self.syntax_error("cannot parenthesize type in composite literal");
                    }
                    self.complit();
                    x = E {
                        k: K::Composite,
                        pos,
                        start,
                    };
                }
                _ => return x,
            }
        }
    }

    fn bare_complit(&mut self) -> E<'a> {
        if self.tok == T::Lbrace {
            let pos = self.pos();
            self.complit();
            E::new(K::Composite, pos)
        } else {
            self.expr()
        }
    }

    fn complit(&mut self) {
        self.xnest += 1;
        self.want(T::Lbrace);
        self.list("composite literal", T::Comma, T::Rbrace, |p| {
            p.bare_complit();
            if p.tok == T::Colon {
                p.next();
                p.bare_complit();
            }
            false
        });
        self.xnest -= 1;
    }

    // ---- Types ---------------------------------------------------------------------------

    fn type_(&mut self) -> E<'a> {
        match self.type_or_nil() {
            Some(t) => t,
            None => {
                let pos = self.pos();
                self.syntax_error("expected type");
                self.advance(&[T::Comma, T::Colon, T::Semi, T::Rparen, T::Rbrack, T::Rbrace]);
                E::bad(pos)
            }
        }
    }

    fn type_or_nil(&mut self) -> Option<E<'a>> {
        self.nested(Self::type_or_nil_in)
    }

    fn type_or_nil_in(&mut self) -> Option<E<'a>> {
        let pos = self.pos();
        let k = match self.tok {
            T::Star => {
                self.next();
                let t = self.type_();
                K::Op("*", Box::new(t), None)
            }
            T::Arrow => {
                self.next();
                self.want(T::Chan);
                self.chan_elem();
                K::ChanType
            }
            T::Func => {
                self.next();
                let params = self.pos();
                self.func_type("function type");
                return Some(E::new(K::FuncType, params));
            }
            T::Lbrack => {
                self.next();
                if self.got(T::Rbrack) {
                    self.type_();
                    K::SliceType
                } else {
                    return Some(self.array_type(pos, None));
                }
            }
            T::Chan => {
                self.next();
                self.got(T::Arrow);
                self.chan_elem();
                K::ChanType
            }
            T::Map => {
                self.next();
                self.want(T::Lbrack);
                self.type_();
                self.want(T::Rbrack);
                self.type_();
                K::MapType
            }
            T::Struct => {
                self.struct_type();
                K::StructType
            }
            T::Interface => {
                self.interface_type();
                K::InterfaceType
            }
            T::Name => return Some(self.qualified_name(None)),
            T::Lparen => {
                self.next();
                let t = self.type_();
                self.want(T::Rparen);
                return Some(t);
            }
            _ => return None,
        };
        Some(E::new(k, pos))
    }

    fn type_instance(&mut self, x: E<'a>) -> E<'a> {
        let pos = self.pos();
        let start = x.start;
        self.want(T::Lbrack);
        let i = if self.tok == T::Rbrack {
            self.syntax_error("expected type argument list");
            E::bad(self.pos())
        } else {
            self.type_list(true).0
        };
        self.want(T::Rbrack);
        E {
            k: K::Index(Box::new(x), Box::new(i)),
            pos,
            start,
        }
    }

    /// A signature: whether it has type parameters, and how many results.
    fn func_type(&mut self, context: &str) -> (bool, usize) {
        self.sig_depth += 1;
        let r = self.func_type_in(context);
        self.sig_depth -= 1;
        r
    }

    fn func_type_in(&mut self, context: &str) -> (bool, usize) {
        if self.sig_depth == 1 {
            self.sig_results = Some((Vec::new(), false));
        }
        let pos = self.pos();
        let generic = self.tok == T::Lbrack;
        if self.got(T::Lbrack) {
            if !context.is_empty() {
                self.syntax_error_at(pos, &format!("{context} must have no type parameters"));
            }
            if self.tok == T::Rbrack {
                self.syntax_error("empty type parameter list");
                self.next();
            } else {
                self.param_list(None, false, T::Rbrack, true);
            }
        }
        self.want(T::Lparen);
        self.param_list(None, false, T::Rparen, false);
        (generic, self.func_result())
    }

    fn array_type(&mut self, pos: Pos, len: Option<E<'a>>) -> E<'a> {
        if len.is_none() && !self.got(T::DotDotDot) {
            self.xnest += 1;
            self.expr();
            self.xnest -= 1;
        }
        if self.tok == T::Comma {
            self.syntax_error("unexpected comma; expected ]");
            self.next();
        }
        self.want(T::Rbrack);
        self.type_();
        E::new(K::ArrayType, pos)
    }

    fn chan_elem(&mut self) {
        if self.type_or_nil().is_none() {
            self.syntax_error("missing channel element type");
        }
    }

    fn struct_type(&mut self) {
        self.want(T::Struct);
        self.want(T::Lbrace);
        self.list("struct type", T::Semi, T::Rbrace, |p| {
            p.field_decl();
            false
        });
    }

    fn interface_type(&mut self) {
        self.want(T::Interface);
        self.want(T::Lbrace);
        self.list("interface type", T::Semi, T::Rbrace, |p| {
            let named = if p.tok == T::Name {
                p.method_decl()
            } else {
                None
            };
            match named {
                Some(true) => {}
                Some(false) => p.embedded_elem(true),
                None => p.embedded_elem(false),
            }
            false
        });
    }

    /// How many results.
    fn func_result(&mut self) -> usize {
        let from = self.tok_start;
        let n = if self.got(T::Lparen) {
            self.param_list(None, false, T::Rparen, false)
        } else {
            usize::from(self.type_or_nil().is_some())
        };
        if self.sig_depth == 1 && n > 0 {
            let text = self.src.get(from..self.prev_end).unwrap_or("");
            self.sig_results = crate::syntax::result_types(text).filter(|r| r.0.len() == n);
        }
        n
    }

    fn field_decl(&mut self) {
        match self.tok {
            T::Name => {
                let name = self.name_expr();
                if matches!(self.tok, T::Dot | T::Literal | T::Semi | T::Rbrace) {
                    self.qualified_name(Some(name));
                    self.oliteral();
                    return;
                }
                let n = 1 + self.more_names();
                if n == 1 && self.tok == T::Lbrack {
                    self.array_or_targs();
                } else {
                    self.type_();
                }
                self.oliteral();
            }
            T::Star => {
                self.next();
                if self.tok == T::Lparen {
                    self.syntax_error("cannot parenthesize embedded type");
                    self.next();
                    self.qualified_name(None);
                    self.got(T::Rparen);
                } else {
                    self.qualified_name(None);
                }
                self.oliteral();
            }
            T::Lparen => {
                self.syntax_error("cannot parenthesize embedded type");
                self.next();
                if self.tok == T::Star {
                    self.next();
                }
                self.qualified_name(None);
                self.got(T::Rparen);
                self.oliteral();
            }
            _ => {
                self.syntax_error("expected field name or embedded type");
                self.advance(&[T::Semi, T::Rbrace]);
            }
        }
    }

    /// `[` after a name: an array or slice type (`true`), or type arguments (`false`).
    fn array_or_targs(&mut self) -> bool {
        self.want(T::Lbrack);
        if self.got(T::Rbrack) {
            self.type_();
            return true;
        }
        let (_, comma) = self.type_list(false);
        self.want(T::Rbrack);
        !comma && self.type_or_nil().is_some()
    }

    fn oliteral(&mut self) {
        if self.tok == T::Literal {
            self.next();
        }
    }

    /// An interface element starting with a name: `Some(true)` for a method, `Some(false)`
    /// for a type the caller goes on with (`A | B`).
    fn method_decl(&mut self) -> Option<bool> {
        self.next();
        const CONTEXT: &str = "interface method";
        match self.tok {
            T::Lparen => {
                self.func_type(CONTEXT);
                Some(true)
            }
            T::Lbrack => {
                let pos = self.pos();
                self.next();
                if self.tok == T::Rbrack {
                    let at = self.pos();
                    self.next();
                    if self.tok == T::Lparen {
                        self.error_at(at, "empty type parameter list".into());
                        self.func_type(CONTEXT);
                        return Some(true);
                    }
                    self.error_at(at, "empty type argument list".into());
                    return Some(false);
                }
                let (n, first_named) = self.param_list_full(None, false, T::Rbrack, false);
                if n == 0 {
                    if self.tok == T::Lparen {
                        self.func_type(CONTEXT);
                        return Some(true);
                    }
                    return Some(false);
                }
                if first_named {
                    self.func_type(CONTEXT);
                    self.error_at(pos, "interface method must have no type parameters".into());
                    return Some(true);
                }
                Some(false)
            }
            _ => {
                // `Name` or `pkg.Name`, maybe instantiated.
                let pos = self.pos();
                if self.tok == T::Dot {
                    self.next();
                    self.name();
                }
                if self.tok == T::Lbrack {
                    self.type_instance(E::bad(pos));
                }
                Some(false)
            }
        }
    }

    /// `Term { "|" Term }`; `have_first` when the first term is already read.
    fn embedded_elem(&mut self, have_first: bool) {
        if !have_first {
            self.embedded_term();
        }
        while self.tok == T::Operator && self.op == "|" && !self.unsure {
            self.next();
            self.embedded_term();
        }
    }

    fn embedded_term(&mut self) {
        if self.tok == T::Operator && self.op == "~" {
            self.next();
            self.type_();
            return;
        }
        if self.type_or_nil().is_none() {
            self.syntax_error("expected ~ term or type");
            self.advance(&[T::Operator, T::Semi, T::Rparen, T::Rbrack, T::Rbrace]);
        }
    }

    /// [`Self::param_decl_or_nil_in`], noting a parameter of the signature being read with
    /// its source text ([`Parser::sig_fields`]).
    fn param_decl_or_nil(&mut self, name: Option<E<'a>>, follow: T) -> Option<Field> {
        let noted = self.sig_depth == 1 && follow == T::Rparen && name.is_none();
        let from = self.tok_start;
        let f = self.param_decl_or_nil_in(name, follow)?;
        if noted {
            let text = self.src.get(from..self.prev_end).unwrap_or("").trim();
            let field = if f.name.is_some() {
                let end = text
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(text.len());
                let typ = text[end..].trim();
                (Some(&text[..end]), (!typ.is_empty()).then_some(typ))
            } else {
                (None, Some(text))
            };
            self.sig_fields.push(field);
        }
        Some(f)
    }

    fn param_decl_or_nil_in(&mut self, name: Option<E<'a>>, follow: T) -> Option<Field> {
        let type_sets = follow == T::Rbrack;
        let mut pos = self.pos();
        if let Some(n) = &name {
            pos = n.pos;
        } else if type_sets && self.tok == T::Operator && self.op == "~" {
            self.embedded_elem(false);
            return Some(Field {
                name: None,
                typ: Some(pos),
            });
        }
        let mut f = Field {
            name: None,
            typ: None,
        };
        if self.tok == T::Name || name.is_some() {
            let name = match name {
                Some(n) => n,
                None => self.name_expr(),
            };
            let or_follows = |p: &Self| type_sets && p.tok == T::Operator && p.op == "|";
            if self.tok == T::Lbrack {
                if self.array_or_targs() {
                    f.name = Some(name.pos);
                    self.sig_name(&name);
                    f.typ = Some(name.pos); // an array type: not read by callers
                } else {
                    f.typ = Some(name.start);
                }
                if or_follows(self) {
                    self.embedded_elem(true);
                }
                return Some(f);
            }
            if self.tok == T::Dot {
                self.qualified_name(Some(name));
                f.typ = Some(pos);
                if or_follows(self) {
                    self.embedded_elem(true);
                }
                return Some(f);
            }
            if or_follows(self) {
                self.embedded_elem(true);
                f.typ = Some(pos);
                return Some(f);
            }
            f.name = Some(name.pos);
            self.sig_name(&name);
        }
        if self.tok == T::DotDotDot {
            let at = self.pos();
            self.next();
            if self.type_or_nil().is_none() {
                self.syntax_error("... is missing type");
            }
            f.typ = Some(at);
            return Some(f);
        }
        if type_sets && self.tok == T::Operator && self.op == "~" {
            let at = self.pos();
            self.embedded_elem(false);
            f.typ = Some(at);
            return Some(f);
        }
        if let Some(t) = self.type_or_nil() {
            f.typ = Some(t.start);
            if type_sets && self.tok == T::Operator && self.op == "|" {
                self.embedded_elem(true);
            }
        }
        if f.name.is_some() || f.typ.is_some() {
            return Some(f);
        }
        self.syntax_error(&format!("expected {}", follow.text()));
        self.advance(&[T::Comma, follow]);
        None
    }

    /// The parameter list up to `close`; `first` is a parameter already read (a type
    /// parameter's name, with its type when `first_typed`). Returns how many there are.
    fn param_list(
        &mut self,
        first: Option<Field>,
        first_typed: bool,
        close: T,
        require_names: bool,
    ) -> usize {
        self.param_list_full(first, first_typed, close, require_names)
            .0
    }

    fn param_list_full(
        &mut self,
        first: Option<Field>,
        first_typed: bool,
        close: T,
        require_names: bool,
    ) -> (usize, bool) {
        if first_typed && self.tok == close {
            self.next();
            return (1, true);
        }
        let mut pending_name: Option<E<'a>> = None;
        let mut pending_field: Option<Field> = None;
        if let Some(f) = first {
            if first_typed {
                pending_field = Some(f);
            } else if let Some(pos) = f.name {
                pending_name = Some(E::new(K::Name("_"), pos));
            }
        }
        // The names this list records for the body: dropped below if they are types.
        let mark = self.sig.len();
        let mark_fields = self.sig_fields.len();
        let mut list: Vec<Field> = Vec::new();
        let (mut named, mut typed) = (0, 0);
        let end = self.list("parameter list", T::Comma, close, |p| {
            let par = match pending_field.take() {
                Some(f) => Some(f),
                None => p.param_decl_or_nil(pending_name.take(), close),
            };
            pending_name = None;
            if let Some(par) = par {
                if par.name.is_some() && par.typ.is_some() {
                    named += 1;
                }
                if par.typ.is_some() {
                    typed += 1;
                }
                list.push(par);
            }
            false
        });
        if list.is_empty() {
            return (0, false);
        }
        if named == 0 && !require_names {
            self.sig.truncate(mark);
        }
        // The named parameters' types, for the body: a name alone takes the type after it.
        let fields = self.sig_fields.split_off(mark_fields);
        if named > 0 && close == T::Rparen && fields.len() == list.len() {
            let mut typ: Option<&str> = None;
            for (name, t) in fields.into_iter().rev() {
                typ = t.or(typ);
                // A variadic parameter `xs ...T` is a `[]T`.
                let printed = typ.and_then(crate::syntax::printed_type).map(|t| {
                    t.strip_prefix("...")
                        .map_or_else(|| t.clone(), |elem| format!("[]{elem}"))
                });
                if let (Some(name), Some(t)) = (name, printed) {
                    self.sig_types.push((name, t));
                }
            }
        }
        // With no parameter both named and typed (and names not required), the names are
        // types: the first has no name then.
        let first_named = list[0].name.is_some() && (named > 0 || require_names);
        if named == 0 && !require_names {
            // All types: names are type names.
        } else if named != list.len() {
            let mut err: Option<Pos> = None;
            let mut typ = false;
            for par in list.iter().rev() {
                if let Some(t) = par.typ {
                    typ = true;
                    if par.name.is_none() {
                        err = Some(t);
                    }
                } else if !typ {
                    err = par.name;
                }
            }
            if let Some(mut at) = err {
                let msg = if require_names {
                    if named == typed {
                        at = end;
                        "missing type constraint".to_string()
                    } else if list.len() == 1 {
                        "missing type parameter name or invalid array length".to_string()
                    } else {
                        "missing type parameter name".to_string()
                    }
                } else {
                    "mixed named and unnamed parameters".to_string()
                };
                self.syntax_error_at(at, &msg);
            }
        }
        (list.len(), first_named)
    }

    // ---- Statements ----------------------------------------------------------------------

    fn simple_stmt(&mut self, lhs: Option<E<'a>>, keyword: T) -> Simple<'a> {
        if keyword == T::For && self.tok == T::Range {
            self.next();
            self.expr();
            return Simple::Range;
        }
        let lhs = match lhs {
            Some(l) => l,
            None => self.expr_list(),
        };
        if !lhs.is_list() && self.tok != T::Assign && self.tok != T::Define {
            let pos = self.pos();
            match self.tok {
                T::AssignOp => {
                    let op = self.op;
                    self.next();
                    let rhs = self.expr();
                    return Simple::Assign(pos, op, lhs, Some(rhs));
                }
                T::IncOp => {
                    let op = self.op;
                    self.next();
                    return Simple::Assign(pos, op, lhs, None);
                }
                T::Arrow => {
                    self.next();
                    self.expr();
                    return Simple::Send;
                }
                _ => return Simple::Expr(matches!(lhs.k, K::Guard)),
            }
        }
        match self.tok {
            T::Assign | T::Define => {
                let pos = self.pos();
                let op = if self.tok == T::Define { ":" } else { "" };
                self.next();
                if keyword == T::For && self.tok == T::Range {
                    self.next();
                    self.expr();
                    if op == ":" {
                        self.define(&lhs, pos, false);
                    }
                    return Simple::Range;
                }
                let at = self.pos();
                let rhs = self.expr_list();
                let vars = match &lhs.k {
                    K::List(xs) => xs.len(),
                    _ => 1,
                };
                self.note_call(vars, &rhs, at);
                if op.is_empty() {
                    let wants: Vec<Option<String>> = lhs
                        .items()
                        .iter()
                        .map(|x| match self.arg_operand(x) {
                            Some(Operand::Variable(_, t)) => Some(t),
                            _ => None,
                        })
                        .collect();
                    self.note_values(&wants, &rhs, &[], "assignment");
                }
                if matches!(rhs.k, K::Guard) && keyword == T::Switch && op == ":" && lhs.is_name() {
                    if let K::Name(x) = lhs.k {
                        self.guard = Some(x);
                    }
                    return Simple::Expr(true);
                }
                if op == ":" {
                    // The names new in this scope, typed by a constant literal each.
                    let innermost = self.scopes.last();
                    let fresh: Vec<&'a str> = match &lhs.k {
                        K::Name(n) => vec![*n],
                        K::List(xs) => xs
                            .iter()
                            .map(|x| match x.k {
                                K::Name(n) => n,
                                _ => "_",
                            })
                            .collect(),
                        _ => Vec::new(),
                    }
                    .into_iter()
                    .map(|n| {
                        if innermost.is_some_and(|s| s.contains(&n)) {
                            "_"
                        } else {
                            n
                        }
                    })
                    .collect();
                    self.define(&lhs, pos, true);
                    self.note_literal_types(&fresh, &rhs);
                }
                Simple::Assign(pos, op, lhs, Some(rhs))
            }
            _ => {
                self.syntax_error("expected := or = or comma");
                self.advance(&[T::Semi, T::Rbrace]);
                Simple::Expr(false)
            }
        }
    }

    fn labeled_stmt(&mut self, label: &'a str, pos: Pos) -> Option<St<'a>> {
        // The labeled statement's position is its colon's.
        let colon = self.pos();
        self.want(T::Colon);
        let stmt = if self.tok == T::Rbrace {
            St::Empty
        } else if let Some(s) = self.stmt_or_nil() {
            s
        } else {
            self.syntax_error_at(colon, "missing statement after label");
            return None;
        };
        Some(St::Labeled(label, pos, Box::new(stmt)))
    }

    /// A block: its `{`'s position and its statements.
    fn block_stmt(&mut self, context: &str) -> (Pos, Vec<St<'a>>) {
        if std::mem::take(&mut self.function_block) {
            return self.nested(|p| p.block_stmt_in(context));
        }
        self.scoped(|p| p.nested(|p| p.block_stmt_in(context)))
    }

    fn block_stmt_in(&mut self, context: &str) -> (Pos, Vec<St<'a>>) {
        let pos = self.pos();
        if !self.got(T::Lbrace) {
            self.syntax_error(&format!("expected {{ after {context}"));
            self.advance(&[T::Name, T::Rbrace]);
            if self.got(T::Rbrace) {
                return (pos, Vec::new());
            }
        }
        let list = self.stmt_list();
        self.want(T::Rbrace);
        (pos, list)
    }

    fn decl_stmt(&mut self) -> St<'a> {
        let t = self.tok;
        self.next();
        let mut first: Option<(Pos, &'a str)> = None;
        self.group(|p| match t {
            T::Var => {
                let v = p.var_decl();
                first.get_or_insert(v);
            }
            T::Const => p.const_decl(),
            _ => p.type_decl(),
        });
        first.map_or(St::Other, |(pos, name)| St::Var(pos, name))
    }

    /// An `if`, `for` or `switch` header; whether it is a type switch's.
    fn header(&mut self, keyword: T) -> bool {
        self.want(keyword);
        if self.tok == T::Lbrace {
            if keyword == T::If {
                self.syntax_error("missing condition in if statement");
            }
            return false;
        }
        let outer = self.xnest;
        self.xnest = -1;
        let mut init = None;
        if self.tok != T::Semi {
            if self.got(T::Var) {
                let kw = keyword.text();
                self.syntax_error(&format!("var declaration not allowed in {kw} initializer"));
            }
            let s = self.simple_stmt(None, keyword);
            if matches!(s, Simple::Range) {
                self.xnest = outer;
                return false;
            }
            init = Some(s);
        }
        let mut cond: Option<Simple<'a>> = None;
        let mut semi: Option<(Pos, &'a str)> = None;
        if self.tok != T::Lbrace {
            if self.tok == T::Semi {
                semi = Some((self.pos(), self.lit));
                self.next();
            } else {
                self.want(T::Lbrace);
                if self.tok != T::Lbrace {
                    self.advance(&[T::Lbrace, T::Rbrace]);
                }
            }
            if keyword == T::For {
                let mut done = false;
                if self.tok != T::Semi {
                    if self.tok == T::Lbrace {
                        self.syntax_error("expected for loop condition");
                        done = true;
                    } else {
                        cond = Some(self.simple_stmt(None, T::Eof));
                    }
                }
                if !done {
                    self.want(T::Semi);
                    if self.tok != T::Lbrace {
                        if let Simple::Assign(pos, ":", ..) = self.simple_stmt(None, T::Eof) {
                            self.syntax_error_at(
                                pos,
                                "cannot declare in post statement of for loop",
                            );
                        }
                    }
                }
            } else if self.tok != T::Lbrace {
                cond = Some(self.simple_stmt(None, keyword));
            }
        } else {
            cond = init.take();
        }
        let mut guard = false;
        match cond {
            None => {
                if let (T::If, Some((pos, lit))) = (keyword, semi) {
                    if lit != "semicolon" {
                        self.syntax_error_at(
                            pos,
                            &format!("unexpected {lit}, expected {{ after if clause"),
                        );
                    } else {
                        self.syntax_error_at(pos, "missing condition in if statement");
                    }
                }
            }
            Some(Simple::Expr(g)) => guard = g,
            Some(Simple::Assign(pos, op, lhs, rhs)) => {
                let mut s = String::new();
                let printed = if op.is_empty() {
                    s.push_str("assignment ");
                    emphasize(&lhs, &mut s).and_then(|_| {
                        s.push_str(" = ");
                        rhs.as_ref().map_or(Some(()), |r| emphasize(r, &mut s))
                    })
                } else {
                    lhs.print(&mut s).and_then(|_| match &rhs {
                        None => {
                            s.push_str(op);
                            s.push_str(op);
                            Some(())
                        }
                        Some(r) => {
                            s.push(' ');
                            s.push_str(op);
                            s.push_str("= ");
                            r.print(&mut s)
                        }
                    })
                };
                if printed.is_some() {
                    self.syntax_error_at(pos, &format!("cannot use {s} as value"));
                } else {
                    self.unsure = true;
                }
            }
            Some(Simple::Send) | Some(Simple::Range) => self.unsure = true,
        }
        self.xnest = outer;
        guard
    }

    fn if_stmt(&mut self) -> St<'a> {
        self.scoped(Self::if_stmt_in)
    }

    fn if_stmt_in(&mut self) -> St<'a> {
        let pos = self.pos();
        self.header(T::If);
        let (then_pos, then) = self.block_stmt("if clause");
        let mut els = None;
        if self.got(T::Else) {
            match self.tok {
                T::If => els = Some(Box::new(self.if_stmt())),
                T::Lbrace => {
                    let (pos, list) = self.block_stmt("");
                    els = Some(Box::new(St::Block(pos, list)));
                }
                _ => {
                    self.syntax_error("else must be followed by if or statement block");
                    self.advance(&[T::Name, T::Rbrace]);
                }
            }
        }
        St::If(pos, then_pos, then, els)
    }

    /// A switch's or select's clauses: each one's position and statements.
    /// `guard`: a type switch's `x := y.(type)`, declared in each clause's scope.
    fn clauses(
        &mut self,
        what: &str,
        switch: bool,
        guard: Option<&'a str>,
    ) -> Vec<(Pos, Vec<St<'a>>)> {
        let mut clauses = Vec::new();
        if !self.got(T::Lbrace) {
            self.syntax_error(&format!("missing {{ after {what} clause"));
            self.advance(&[T::Case, T::Default, T::Rbrace]);
        }
        while self.tok != T::Eof && self.tok != T::Rbrace && !self.unsure {
            let pos = self.pos();
            // Each clause is a scope: a select case's `v := <-ch`, a type switch's `x`.
            self.scopes.push(guard.into_iter().collect());
            self.scope_types.push(Vec::new());
            match self.tok {
                T::Case => {
                    self.next();
                    if switch {
                        self.expr_list();
                    } else {
                        self.simple_stmt(None, T::Eof);
                    }
                }
                T::Default => self.next(),
                _ => {
                    self.syntax_error("expected case or default or }");
                    self.advance(&[T::Colon, T::Case, T::Default, T::Rbrace]);
                }
            }
            self.want(T::Colon);
            clauses.push((pos, self.stmt_list()));
            self.scopes.pop();
            self.scope_types.pop();
        }
        self.want(T::Rbrace);
        clauses
    }

    /// One statement, reduced to what the branch checks read; `None` where none starts.
    fn stmt_or_nil(&mut self) -> Option<St<'a>> {
        if self.tok == T::Name {
            let lhs = self.expr_list();
            if let (true, K::Name(label)) = (self.tok == T::Colon, &lhs.k) {
                let label: &'a str = label;
                return self.labeled_stmt(label, lhs.pos);
            }
            return Some(self.simple_stmt(Some(lhs), T::Eof).into());
        }
        let pos = self.pos();
        Some(match self.tok {
            T::Var | T::Const | T::Type => self.decl_stmt(),
            T::Lbrace => {
                let (pos, list) = self.block_stmt("");
                St::Block(pos, list)
            }
            T::Operator | T::Star => {
                if !matches!(self.op, "+" | "-" | "*" | "&" | "^" | "!") {
                    return None;
                }
                self.simple_stmt(None, T::Eof).into()
            }
            T::Literal
            | T::Func
            | T::Lparen
            | T::Lbrack
            | T::Struct
            | T::Map
            | T::Chan
            | T::Interface
            | T::Arrow => self.simple_stmt(None, T::Eof).into(),
            T::For => self.scoped(|p| {
                p.header(T::For);
                let (pos, list) = p.block_stmt("for clause");
                St::For(pos, list)
            }),
            T::Switch => self.scoped(|p| {
                p.guard = None;
                let type_switch = p.header(T::Switch);
                let guard = p.guard.take();
                St::Switch(type_switch, p.clauses("switch", true, guard))
            }),
            T::Select => self.scoped(|p| {
                p.want(T::Select);
                St::Select(p.clauses("select", false, None))
            }),
            T::If => self.if_stmt(),
            T::Fallthrough | T::Break | T::Continue | T::Goto => {
                let t = self.tok;
                self.next();
                let label = match t {
                    T::Goto => {
                        let at = self.pos();
                        let name = if self.tok == T::Name { self.lit } else { "_" };
                        self.name();
                        Some((name, at))
                    }
                    T::Break | T::Continue if self.tok == T::Name => {
                        let label = (self.lit, self.pos());
                        self.next();
                        Some(label)
                    }
                    _ => None,
                };
                St::Branch(t, pos, label)
            }
            T::Go | T::Defer => {
                self.call_stmt();
                St::Other
            }
            T::Return => {
                let pos = self.pos();
                self.next();
                let rhs = (self.tok != T::Semi && self.tok != T::Rbrace).then(|| self.expr_list());
                if let Some(Some((results, named))) = self.results.last().cloned() {
                    let values = rhs.as_ref().map_or(&[][..], |r| r.items());
                    if values.len() == results.len() {
                        let wants: Vec<Option<String>> = results.into_iter().map(Some).collect();
                        if let Some(rhs) = &rhs {
                            self.note_values(&wants, rhs, &[], "return statement");
                        }
                    } else if !(values.is_empty() && named) && self.fnest > 0 {
                        let values = values
                            .iter()
                            .map(|v| (v.start, self.arg_operand(v)))
                            .collect();
                        self.returns.push(ReturnCount {
                            pos,
                            values,
                            results,
                        });
                    }
                }
                St::Other
            }
            T::Semi => St::Empty,
            _ => return None,
        })
    }

    fn stmt_list(&mut self) -> Vec<St<'a>> {
        let mut list = Vec::new();
        while !matches!(self.tok, T::Eof | T::Rbrace | T::Case | T::Default) && !self.unsure {
            let Some(s) = self.stmt_or_nil() else {
                break;
            };
            list.push(s);
            if !self.got(T::Semi) && self.tok != T::Rbrace {
                self.syntax_error("at end of statement");
                self.advance(&[T::Semi, T::Rbrace, T::Case, T::Default]);
                self.got(T::Semi);
            }
        }
        list
    }

    fn arg_list(&mut self) -> (Vec<E<'a>>, bool) {
        let mut args = Vec::new();
        let mut dots = false;
        self.xnest += 1;
        self.list("argument list", T::Comma, T::Rparen, |p| {
            args.push(p.expr());
            dots = p.got(T::DotDotDot);
            dots
        });
        self.xnest -= 1;
        (args, dots)
    }

    fn name(&mut self) {
        if self.tok == T::Name {
            self.next();
        } else {
            self.syntax_error("expected name");
            self.advance(&[]);
        }
    }

    /// A parameter's name, for the body's scope, if it belongs to the signature being read.
    fn sig_name(&mut self, name: &E<'a>) {
        if let (1, K::Name(n)) = (self.sig_depth, &name.k) {
            if *n != "_" {
                self.sig.push(n);
            }
        }
    }

    /// `name { "," name }`: the names, declared in the current scope inside a function.
    fn name_list(&mut self) -> usize {
        let mut names = Vec::new();
        let mut n = 0;
        loop {
            if self.tok == T::Name {
                names.push(self.lit);
            }
            self.name();
            n += 1;
            if !self.got(T::Comma) {
                break;
            }
        }
        self.declare(&names);
        n
    }

    /// Declares `names` in the innermost scope of the function being read (none outside one).
    fn declare(&mut self, names: &[&'a str]) {
        if self.fnest > 0 {
            if let Some(scope) = self.scopes.last_mut() {
                scope.extend(names.iter().filter(|n| **n != "_"));
            }
        }
    }

    /// A `:=`'s left side: types2's `no new variables on left side of :=` (at the `:=`) when
    /// each name is blank or already declared in this scope; then the names are declared.
    fn define(&mut self, lhs: &E<'a>, pos: Pos, check: bool) {
        let named: Option<Vec<(&'a str, Pos)>> = match &lhs.k {
            K::Name(n) => Some(vec![(*n, lhs.pos)]),
            K::List(xs) => xs
                .iter()
                .map(|x| match x.k {
                    K::Name(n) => Some((n, x.pos)),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let (Some(named), true) = (named, self.fnest > 0) else {
            return;
        };
        let Some(scope) = self.scopes.last() else {
            return;
        };
        let before = self.defined.len();
        let fresh = named
            .iter()
            .filter(|(n, _)| *n != "_" && !scope.contains(n));
        self.defined.extend(fresh.map(|(_, at)| *at));
        let new = self.defined.len() > before;
        if check && !new {
            self.type_errs.push(ParseError {
                pos,
                msg: "no new variables on left side of :=".into(),
                typecheck: true,
            });
        }
        let names: Vec<&'a str> = named.iter().map(|(n, _)| *n).collect();
        self.declare(&names);
    }

    /// The function a call in a body names, if it is `f` or `pkg.F` written without spaces
    /// or parentheses (the parser drops parentheses: `(f)(x)` is told by its `(` not right
    /// after the name) and no enclosing scope declares `f` or `pkg`: the package's local name
    /// (`None` for the package's own function) and the function's name.
    fn callee(&self, call: &E<'a>) -> Option<(Option<&'a str>, &'a str)> {
        let K::Call(fun, _, false) = &call.k else {
            return None;
        };
        let (package, name, width) = match &fun.k {
            K::Name(f) => (None, *f, f.len()),
            K::Selector(x, f) => match x.k {
                K::Name(p) => (Some(p), *f, p.len() + 1 + f.len()),
                _ => return None,
            },
            _ => return None,
        };
        let declared = package.unwrap_or(name);
        let ok = self.fnest > 0
            && call.pos == (fun.start.0, fun.start.1 + width as u32)
            && !self.scopes.iter().any(|s| s.contains(&declared));
        ok.then_some((package, name))
    }

    /// Notes an assignment of one call to `vars` variables ([`Parsed::calls`]): `rhs` begins
    /// at `at`, which is where types2 reports it (a parenthesized call's parenthesis).
    fn note_call(&mut self, vars: usize, rhs: &E<'a>, at: Pos) {
        let rhs = rhs.unparen();
        let Some((package, callee)) = self.callee(rhs) else {
            return;
        };
        let text = (rhs.start == at && rhs.is_plain()).then(|| {
            let mut out = String::new();
            rhs.print(&mut out);
            out
        });
        self.calls.push(CallAssign {
            pos: at,
            vars,
            package: package.map(str::to_string),
            callee: callee.to_string(),
            text,
            end: self.pos(),
        });
    }

    /// Notes the types of variables just declared in the innermost scope of a function.
    fn note_types(&mut self, typed: impl IntoIterator<Item = (&'a str, String)>) {
        if self.fnest > 0 {
            if let Some(types) = self.scope_types.last_mut() {
                types.extend(typed.into_iter().filter(|(n, _)| *n != "_"));
            }
        }
    }

    /// Notes the default types of `names` declared by as many constant literals (`x := 5`:
    /// `int`); `_` for a name not declared anew.
    fn note_literal_types(&mut self, names: &[&'a str], rhs: &E<'a>) {
        let values: Vec<&E<'a>> = match &rhs.k {
            K::List(xs) => xs.iter().collect(),
            _ => vec![rhs],
        };
        if values.len() == names.len() {
            let typed: Vec<(&'a str, String)> = names
                .iter()
                .zip(values)
                .filter_map(|(n, v)| match v.k {
                    K::Lit(l) => Some((*n, default_type(l).to_string())),
                    _ => None,
                })
                .collect();
            self.note_types(typed);
        }
    }

    /// What an argument is, where this parser knows it ([`Operand`]): a constant literal
    /// (negated or not), `true` and `false`, `nil`, or a variable whose declaration says its
    /// type (the innermost scope declaring the name).
    fn arg_operand(&self, x: &E<'a>) -> Option<Operand> {
        let constant = |l: &str| match default_type(l) {
            "string" => Untyped::String,
            "rune" => Untyped::Rune,
            "complex128" => Untyped::Complex,
            "float64" => Untyped::Float,
            _ => Untyped::Int,
        };
        match &x.k {
            K::Lit(l) => Some(Operand::Constant(constant(l), l.to_string())),
            K::Op(op @ ("-" | "+"), y, None) => match &y.k {
                K::Lit(l) if constant(l) != Untyped::String => {
                    Some(Operand::Constant(constant(l), format!("{op}{l}")))
                }
                _ => None,
            },
            K::Name(n) => {
                let Some(i) = self.scopes.iter().rposition(|s| s.contains(n)) else {
                    return match *n {
                        "true" | "false" => Some(Operand::Constant(Untyped::Bool, n.to_string())),
                        "nil" => Some(Operand::Nil),
                        _ => None,
                    };
                };
                let types = self.scope_types.get(i)?;
                types
                    .iter()
                    .rev()
                    .find(|(m, _)| m == n)
                    .map(|(_, t)| Operand::Variable(n.to_string(), t.clone()))
            }
            _ => None,
        }
    }

    /// Notes a call ([`Parsed::args`]) of a function [`Self::callee`] names.
    fn note_args(&mut self, call: &E<'a>) {
        let (Some((package, callee)), K::Call(fun, args, _)) = (self.callee(call), &call.k) else {
            return;
        };
        let args = args
            .iter()
            .map(|a| (a.start, self.arg_operand(a)))
            .collect();
        self.args.push(CallArgs {
            pos: fun.start,
            package: package.map(str::to_string),
            callee: callee.to_string(),
            args,
        });
    }

    /// Notes the values of `rhs` given to variables of the types `wants` (one each, `None`
    /// where not known; as many as the values, else nothing: a mismatch is another error) in
    /// a function body ([`Parsed::values`]). A value naming one of `declared`, the variables a
    /// declaration is making, is left alone: the name is not theirs yet.
    fn note_values(
        &mut self,
        wants: &[Option<String>],
        rhs: &E<'a>,
        declared: &[&str],
        context: &'static str,
    ) {
        let values = rhs.items();
        if self.fnest == 0 || values.len() != wants.len() {
            return;
        }
        for (want, x) in wants.iter().zip(values) {
            let (Some(want), Some(value)) = (want, self.arg_operand(x)) else {
                continue;
            };
            if matches!(&value, Operand::Variable(n, _) if declared.contains(&n.as_str())) {
                continue;
            }
            self.values.push(ValueUse {
                pos: x.start,
                value,
                want: want.clone(),
                context,
            });
        }
    }

    /// Runs `f` in a scope of its own (an `if`, `for`, `switch` or `select` statement's, a
    /// clause's, a block's).
    fn scoped<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.scopes.push(Vec::new());
        self.scope_types.push(Vec::new());
        let r = f(self);
        self.scopes.pop();
        self.scope_types.pop();
        r
    }

    /// `{ "," name }`: how many.
    fn more_names(&mut self) -> usize {
        let mut n = 0;
        while self.got(T::Comma) {
            self.name();
            n += 1;
        }
        n
    }

    fn qualified_name(&mut self, name: Option<E<'a>>) -> E<'a> {
        let mut x = match name {
            Some(n) => n,
            None if self.tok == T::Name => self.name_expr(),
            None => {
                let pos = self.pos();
                self.syntax_error("expected name");
                self.advance(&[T::Dot, T::Semi, T::Rbrace]);
                E::new(K::Name("_"), pos)
            }
        };
        if self.tok == T::Dot {
            let pos = self.pos();
            self.next();
            let sel = if self.tok == T::Name { self.lit } else { "_" };
            self.name();
            let start = x.start;
            x = E {
                k: K::Selector(Box::new(x), sel),
                pos,
                start,
            };
        }
        if self.tok == T::Lbrack {
            x = self.type_instance(x);
        }
        x
    }

    fn expr_list(&mut self) -> E<'a> {
        let x = self.expr();
        if self.got(T::Comma) {
            let (pos, start) = (x.pos, x.start);
            let mut xs = vec![x, self.expr()];
            while self.got(T::Comma) && !self.unsure {
                xs.push(self.expr());
            }
            return E {
                k: K::List(xs),
                pos,
                start,
            };
        }
        x
    }

    fn type_list(&mut self, strict: bool) -> (E<'a>, bool) {
        self.xnest += 1;
        let mut x = if strict { self.type_() } else { self.expr() };
        let mut comma = false;
        if self.got(T::Comma) {
            comma = true;
            if let Some(t) = self.type_or_nil() {
                let (pos, start) = (x.pos, x.start);
                let mut xs = vec![x, t];
                while self.got(T::Comma) && !self.unsure {
                    match self.type_or_nil() {
                        Some(t) => xs.push(t),
                        None => break,
                    }
                }
                x = E {
                    k: K::List(xs),
                    pos,
                    start,
                };
            }
        }
        self.xnest -= 1;
        (x, comma)
    }
}

/// The printer's form of an assignment's side, in parentheses if it is a binary operation.
fn emphasize(x: &E, out: &mut String) -> Option<()> {
    let binary = matches!(x.k, K::Op(_, _, Some(_)));
    if binary {
        out.push('(');
    }
    x.print(out)?;
    if binary {
        out.push(')');
    }
    Some(())
}

/// A statement, reduced to what cmd/compile's branch checks (`checkBranches`) read.
enum St<'a> {
    Other,
    Empty,
    /// A `var` declaration: its first name's position and the name.
    Var(Pos, &'a str),
    /// A `:=`: its position and its left side as the printer writes it (`None` if unknown).
    Define(Pos, Option<String>),
    /// A label (its name and position) and the statement it labels.
    Labeled(&'a str, Pos, Box<St<'a>>),
    /// `break`, `continue`, `goto` or `fallthrough`: its position and label.
    Branch(T, Pos, Option<(&'a str, Pos)>),
    Block(Pos, Vec<St<'a>>),
    /// `if`: its position, its block's `{` and statements, its `else` (an `if` or a block).
    If(Pos, Pos, Vec<St<'a>>, Option<Box<St<'a>>>),
    /// `for`: its body's `{` and statements.
    For(Pos, Vec<St<'a>>),
    /// `switch` (a type switch or not): each clause's position and statements.
    Switch(bool, Vec<(Pos, Vec<St<'a>>)>),
    Select(Vec<(Pos, Vec<St<'a>>)>),
}

impl<'a> St<'a> {
    fn pos(&self) -> Option<Pos> {
        match self {
            St::If(pos, ..) | St::Block(pos, _) => Some(*pos),
            _ => None,
        }
    }
}

impl<'a> From<Simple<'a>> for St<'a> {
    fn from(s: Simple<'a>) -> Self {
        match s {
            Simple::Assign(pos, ":", lhs, _) => {
                let mut name = String::new();
                St::Define(pos, lhs.print(&mut name).map(|_| name))
            }
            _ => St::Other,
        }
    }
}

/// What a `break` may leave: the statement kinds a label or a block can stand for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    For,
    /// A switch: whether a type switch, and how many clauses it has.
    Switch(bool, usize),
    Select,
    Other,
}

/// The innermost statements a plain `break` and `continue` leave, and the clause a
/// `fallthrough` is in (cmd/compile's `targets`).
#[derive(Clone, Copy)]
struct Targets {
    breaks: Option<Target>,
    continues: bool,
    case: Option<usize>,
}

struct Label<'a> {
    name: &'a str,
    pos: Pos,
    /// The block it is declared in.
    block: usize,
    /// Its labeled statement (a number per label declaration) and that statement's kind.
    stmt: usize,
    kind: Target,
    used: bool,
}

struct Block {
    parent: Option<usize>,
    start: Pos,
    /// The labeled statement whose body this block is.
    stmt: Option<usize>,
}

/// A `goto` not resolved yet (its label comes later, or nowhere).
struct Goto<'a> {
    id: usize,
    name: &'a str,
    pos: Pos,
}

/// cmd/compile's checks of one function body's `break`, `continue`, `goto` and `fallthrough`
/// statements and its labels, after a parse without error (`syntax.CheckBranches`).
struct Branches<'a> {
    file: &'a str,
    labels: Vec<Label<'a>>,
    blocks: Vec<Block>,
    errs: Vec<ParseError>,
    unsure: bool,
    gotos: usize,
}

impl<'a> Branches<'a> {
    fn err(&mut self, pos: Pos, msg: String) {
        let typecheck = false;
        self.errs.push(ParseError {
            pos,
            msg,
            typecheck,
        });
    }

    fn at(&self, pos: Pos) -> String {
        format!("{}:{}:{}", self.file, pos.0, pos.1)
    }

    fn label(&self, name: &str) -> Option<usize> {
        self.labels.iter().position(|l| l.name == name)
    }

    fn check(&mut self, start: Pos, body: &[St<'a>]) {
        let none = Targets {
            breaks: None,
            continues: false,
            case: None,
        };
        let fwd = self.block(None, none, None, start, body);
        for g in fwd {
            match self.label(g.name) {
                Some(l) => {
                    self.labels[l].used = true;
                    let at = self.at(self.blocks[self.labels[l].block].start);
                    self.err(
                        g.pos,
                        format!("goto {} jumps into block starting at {at}", g.name),
                    );
                }
                None => self.err(g.pos, format!("label {} not defined", g.name)),
            }
        }
        let unused: Vec<(Pos, &str)> = self
            .labels
            .iter()
            .filter(|l| !l.used)
            .map(|l| (l.pos, l.name))
            .collect();
        for (pos, name) in unused {
            self.err(pos, format!("label {name} defined and not used"));
        }
    }

    fn block(
        &mut self,
        parent: Option<usize>,
        ctxt: Targets,
        stmt: Option<usize>,
        start: Pos,
        body: &[St<'a>],
    ) -> Vec<Goto<'a>> {
        let b = self.blocks.len();
        self.blocks.push(Block {
            parent,
            start,
            stmt,
        });
        // The last variable declared in this block and the gotos before it.
        let mut var: Option<(Pos, Option<String>)> = None;
        let mut bad: Vec<usize> = Vec::new();
        let mut fwd: Vec<Goto<'a>> = Vec::new();
        let len = body.len()
            - body
                .iter()
                .rev()
                .take_while(|s| matches!(s, St::Empty))
                .count();
        let list = &body[..len];
        for (index, s) in list.iter().enumerate() {
            let mut lstmt = None;
            let mut s = s;
            while let St::Labeled(name, pos, inner) = s {
                if *name != "_" {
                    let l = self.declare(b, name, *pos, kind_of(inner));
                    let mut kept = Vec::new();
                    for g in fwd.drain(..) {
                        if g.name != *name {
                            kept.push(g);
                            continue;
                        }
                        self.labels[l].used = true;
                        if let (Some((vpos, vname)), true) = (&var, bad.contains(&g.id)) {
                            let Some(vname) = vname.clone() else {
                                self.unsure = true;
                                continue;
                            };
                            let at = self.at(*vpos);
                            self.err(
                                g.pos,
                                format!("goto {name} jumps over declaration of {vname} at {at}"),
                            );
                        }
                    }
                    fwd = kept;
                    lstmt = Some(self.labels[l].stmt);
                    if self.labels[l].pos != *pos {
                        // Declared twice: this statement is no label's.
                        lstmt = Some(usize::MAX - self.gotos);
                        self.gotos += 1;
                    }
                }
                s = inner;
            }
            let inner = |breaks: Option<Target>, continues: bool, case: Option<usize>| Targets {
                breaks,
                continues,
                case,
            };
            match s {
                St::Var(pos, name) => {
                    var = Some((*pos, Some(name.to_string())));
                    bad = fwd.iter().map(|g| g.id).collect();
                }
                St::Define(pos, name) => {
                    var = Some((*pos, name.clone()));
                    bad = fwd.iter().map(|g| g.id).collect();
                }
                St::Branch(t, pos, label) => {
                    if let Some(g) = self.branch(b, ctxt, *t, *pos, *label, index, list.len()) {
                        fwd.push(g);
                    }
                }
                St::Block(pos, list) => {
                    let t = inner(ctxt.breaks, ctxt.continues, None);
                    fwd.extend(self.block(Some(b), t, lstmt, *pos, list));
                }
                St::If(_, then_pos, then, els) => {
                    let t = inner(ctxt.breaks, ctxt.continues, None);
                    fwd.extend(self.block(Some(b), t, lstmt, *then_pos, then));
                    if let Some(e) = els {
                        let Some(at) = e.pos() else { continue };
                        let one = std::slice::from_ref(e.as_ref());
                        fwd.extend(self.block(Some(b), t, lstmt, at, one));
                    }
                }
                St::For(pos, list) => {
                    let t = inner(Some(Target::For), true, None);
                    fwd.extend(self.block(Some(b), t, lstmt, *pos, list));
                }
                St::Switch(type_switch, clauses) => {
                    let kind = Target::Switch(*type_switch, clauses.len());
                    for (i, (pos, list)) in clauses.iter().enumerate() {
                        let t = inner(Some(kind), ctxt.continues, Some(i));
                        fwd.extend(self.block(Some(b), t, lstmt, *pos, list));
                    }
                }
                St::Select(clauses) => {
                    for (pos, list) in clauses {
                        let t = inner(Some(Target::Select), ctxt.continues, None);
                        fwd.extend(self.block(Some(b), t, lstmt, *pos, list));
                    }
                }
                St::Other | St::Empty | St::Labeled(..) => {}
            }
        }
        fwd
    }

    fn declare(&mut self, b: usize, name: &'a str, pos: Pos, kind: Target) -> usize {
        if let Some(l) = self.label(name) {
            let at = self.at(self.labels[l].pos);
            self.err(pos, format!("label {name} already defined at {at}"));
            return l;
        }
        let stmt = self.labels.len();
        self.labels.push(Label {
            name,
            pos,
            block: b,
            stmt,
            kind,
            used: false,
        });
        stmt
    }

    /// One branch statement; a `goto` whose label is not known yet is returned.
    #[allow(clippy::too_many_arguments)]
    fn branch(
        &mut self,
        b: usize,
        ctxt: Targets,
        t: T,
        pos: Pos,
        label: Option<(&'a str, Pos)>,
        index: usize,
        len: usize,
    ) -> Option<Goto<'a>> {
        let Some((name, at)) = label else {
            match t {
                T::Break if ctxt.breaks.is_none() => {
                    self.err(pos, "break is not in a loop, switch, or select".into())
                }
                T::Continue if !ctxt.continues => self.err(pos, "continue is not in a loop".into()),
                T::Fallthrough => {
                    let msg = match (ctxt.breaks, ctxt.case) {
                        (Some(Target::Switch(true, _)), _) => "cannot fallthrough in type switch",
                        (Some(Target::Switch(false, _)), Some(_)) if index + 1 < len => {
                            "fallthrough statement out of place"
                        }
                        (Some(Target::Switch(false, n)), Some(case)) if case + 1 == n => {
                            "cannot fallthrough final case in switch"
                        }
                        (Some(Target::Switch(false, _)), Some(_)) => return None,
                        _ => "fallthrough statement out of place",
                    };
                    self.err(pos, msg.into());
                }
                _ => {}
            }
            return None;
        };
        match t {
            T::Break | T::Continue => {
                let word = if t == T::Break { "break" } else { "continue" };
                match self.enclosing(b, name) {
                    None => self.err(at, format!("{word} label not defined: {name}")),
                    Some(Target::For) => {}
                    Some(Target::Switch(..) | Target::Select) if t == T::Break => {}
                    Some(_) => self.err(at, format!("invalid {word} label {name}")),
                }
                None
            }
            T::Goto => {
                if let Some(l) = self.label(name) {
                    self.labels[l].used = true;
                    let mut up = Some(b);
                    while let Some(x) = up {
                        if self.labels[l].block == x {
                            return None;
                        }
                        up = self.blocks[x].parent;
                    }
                }
                self.gotos += 1;
                Some(Goto {
                    id: self.gotos,
                    name,
                    pos: at,
                })
            }
            _ => None,
        }
    }

    /// The statement a labeled `break` or `continue` in block `b` leaves: the label's
    /// statement if `b` is inside it, `Other` (invalid) if not; `None` for no such label.
    fn enclosing(&mut self, b: usize, name: &str) -> Option<Target> {
        let l = self.label(name)?;
        self.labels[l].used = true;
        let mut up = Some(b);
        while let Some(x) = up {
            if self.blocks[x].stmt == Some(self.labels[l].stmt) {
                return Some(self.labels[l].kind);
            }
            up = self.blocks[x].parent;
        }
        Some(Target::Other)
    }
}

/// What a labeled statement is, for its label's `break` and `continue`.
fn kind_of(s: &St) -> Target {
    match s {
        St::For(..) => Target::For,
        St::Switch(type_switch, clauses) => Target::Switch(*type_switch, clauses.len()),
        St::Select(_) => Target::Select,
        _ => Target::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(src: &str) -> Vec<String> {
        errors(src.as_bytes(), "x.go")
            .expect("sure")
            .into_iter()
            .map(|e| format!("{}:{}: {}", e.pos.0, e.pos.1, e.msg))
            .collect()
    }

    #[test]
    fn valid_files_have_no_errors() {
        assert!(
            errs("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n")
                .is_empty()
        );
        assert!(errs(
            "package p\n\ntype L[T any] struct{ next *L[T]; v T }\n\nfunc (l *L[T]) Len() int {\n\tn := 0\n\tfor x := l; x != nil; x = x.next {\n\t\tn++\n\t}\n\treturn n\n}\n\nfunc M[K comparable, V any](m map[K]V) []K {\n\tvar ks []K\n\tfor k := range m {\n\t\tks = append(ks, k)\n\t}\n\tswitch x := any(ks).(type) {\n\tcase nil:\n\t\t_ = x\n\t}\n\treturn ks\n}\n"
        )
        .is_empty());
    }

    #[test]
    fn deep_nesting_ends_unsure_without_exhausting_the_stack() {
        for (open, close) in [("(", ")"), ("{", "}"), ("[]", ""), ("*", "")] {
            let deep = format!(
                "package p\n\nvar x = {}1{}\n\nfunc f() {{ {}{} }}\n",
                open.repeat(100_000),
                close.repeat(100_000),
                open.repeat(100_000),
                close.repeat(100_000)
            );
            assert_eq!(errors(deep.as_bytes(), "x.go"), None, "{open}");
        }
        // Within the limit: parsed as go parses it.
        let nested = format!(
            "package p\n\nvar x = {}1{}\n",
            "(".repeat(40),
            ")".repeat(40)
        );
        assert_eq!(errors(nested.as_bytes(), "x.go"), Some(vec![]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any bytes at all: an answer, never a panic or an endless loop.
        #[test]
        fn any_bytes_end(src in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = errors(&src, "x.go");
        }
        #[test]
        fn any_go_tokens_end(src in "package p\n[a-z(){}\\[\\];,:=.<\n\"'`*&|!+\\- 0-9]{0,300}") {
            let _ = errors(src.as_bytes(), "x.go");
        }
    }

    #[test]
    fn learner_mistakes_in_go_words() {
        // Each checked against go 1.23.5's `go build`.
        assert_eq!(
            errs("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n"),
            ["7:1: syntax error: unexpected EOF, expected }"]
        );
        assert_eq!(
            errs("package main\n\nx := 1\n\nfunc main() {}\n"),
            ["3:1: syntax error: non-declaration statement outside function body"]
        );
        assert_eq!(
            errs("package main\n\nfunc main() {\n\tx := 1\n\tif x > 0 {\n\t}\n\telse {\n\t}\n}\n"),
            ["7:2: syntax error: unexpected else, expected }"]
        );
        assert_eq!(
            errs("package main\n\nfunc main() {\n\ty := x > 0 ? 1 : 2\n}\n"),
            [
                "4:13: invalid character U+003F '?'",
                "4:15: syntax error: unexpected literal 1 at end of statement"
            ]
        );
        assert_eq!(
            errs("package main\n\nfunc main() {\n\tfor (i := 0; i < 3; i++) {\n\t}\n}\n"),
            ["4:9: syntax error: unexpected :=, expected )"]
        );
    }
}
