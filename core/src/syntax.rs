//! The compile errors the simulated toolchain can report honestly: a narrow bracket check over
//! [`crate::scan::Lexer`]'s tokens that recognises one shape of body syntax error and words it as
//! cmd/compile's parser (`cmd/compile/internal/syntax`) does:
//!
//! ```text
//! ./main.go:5:31: syntax error: unexpected } in argument list; possibly missing comma or )
//! ```
//!
//! That is: inside the parentheses of a call (`f(`, `pkg.F(`, `x.M(` after an operator, `{`, `;`,
//! `return`, …), a closing `}` or `]` that does not match, or a line break right after an
//! argument (go inserts a semicolon there: `unexpected newline`).
//!
//! Deliberately not here: anything the check is not sure of. It reports nothing when the lexer
//! itself complains (go/scanner's words differ from cmd/compile's), when a mismatch is not inside
//! a call's parentheses (go's message depends on the construct), and it stops at the first error
//! of a file, where cmd/compile may go on to report more. No type checking: a file that passes
//! here may still fail to compile with the real go (the UI says so).

use crate::scan::{Lexer, Tok};

/// A compile error at a position (1-based line and byte column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub col: usize,
    pub msg: String,
}

impl SyntaxError {
    /// As the compiler prints it for the file named `name` on its command line (`./main.go`).
    pub fn render(&self, name: &str) -> String {
        format!("{name}:{}:{}: {}", self.line, self.col, self.msg)
    }
}

fn position(src: &[u8], offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, col)
}

struct Open {
    tok: &'static str,
    /// A call's argument list.
    call: bool,
    /// The braces of an interface type (method signatures, not calls, inside).
    interface: bool,
}

/// Whether `(` after `prev2 prev` opens a call's arguments: `prev` a name, and `prev2` something
/// an expression can follow (not `func`, a receiver's `)`, a type name).
fn opens_call(prev2: Option<Tok>, prev: Option<Tok>) -> bool {
    if prev != Some(Tok::Ident) {
        return false;
    }
    match prev2 {
        Some(Tok::Op(op)) => !matches!(op, ")" | "]" | "}"),
        Some(Tok::Keyword(k)) => matches!(
            k,
            "return" | "go" | "defer" | "if" | "for" | "switch" | "case" | "range"
        ),
        _ => false,
    }
}

/// The first body syntax error of one Go file that [the module doc](self) can vouch for.
pub fn check(src: &[u8]) -> Option<SyntaxError> {
    let mut errs = Vec::new();
    let mut lx = Lexer::new(src, &mut errs);
    let mut stack: Vec<Open> = Vec::new();
    let (mut prev2, mut prev): (Option<Tok>, Option<Tok>) = (None, None);
    let error = |offset: usize, what: &str| {
        let (line, col) = position(src, offset);
        Some(SyntaxError {
            line,
            col,
            msg: format!(
                "syntax error: unexpected {what} in argument list; possibly missing comma or )"
            ),
        })
    };
    loop {
        let t = lx.scan(&mut errs);
        if !errs.is_empty() {
            return None;
        }
        match t.tok {
            Tok::Eof => return None,
            Tok::Comment => continue,
            Tok::Op(open @ ("(" | "[" | "{")) => stack.push(Open {
                tok: open,
                call: open == "("
                    && opens_call(prev2, prev)
                    && !stack.last().is_some_and(|o| o.interface),
                interface: open == "{" && prev == Some(Tok::Keyword("interface")),
            }),
            Tok::Op(close @ (")" | "]" | "}")) => {
                let want = match close {
                    ")" => "(",
                    "]" => "[",
                    _ => "{",
                };
                match stack.pop() {
                    Some(o) if o.tok == want => {}
                    Some(o) if o.call => return error(t.offset, close),
                    _ => return None,
                }
            }
            Tok::Op(";") if stack.last().is_some_and(|o| o.call) => {
                // Only a semicolon go inserted at a line break (not one standing for a block
                // comment that spans lines, which the two scanners place differently).
                return if t.lit == "\n" && src.get(t.offset) == Some(&b'\n') {
                    error(t.offset, "newline")
                } else {
                    None
                };
            }
            _ => {}
        }
        prev2 = prev;
        prev = Some(t.tok);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_reports_what_go_reports() {
        // errors.txt, syntax3.
        let src = b"package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"x\" }\n";
        assert_eq!(
            check(src).unwrap().render("./main.go"),
            "./main.go:5:31: syntax error: unexpected } in argument list; possibly missing comma or )"
        );
        let src = b"package main\n\nfunc main() {\n\tprintln(1\n}\n";
        assert_eq!(
            check(src).unwrap().render("./main.go"),
            "./main.go:4:11: syntax error: unexpected newline in argument list; possibly missing comma or )"
        );
        // After a line comment, both scanners put the semicolon at the line break.
        let src = b"package main\n\nfunc main() { f(a // c\n) }\n";
        assert_eq!(check(src).map(|e| (e.line, e.col)), Some((3, 23)));
    }

    #[test]
    fn syntax_stays_quiet_when_unsure() {
        for src in [
            "package main\n\nfunc main() { fmt.Println(\"x\") }\n",
            "package main\n\nfunc f(a int }\n",
            "package main\n\nfunc main() { x := (1 + 2 }\n",
            "package main\n\ntype I interface { M(a int }\n",
            "package main\n\nfunc main() { f(func() { a; b }, []int{1,\n2}) }\n",
            "package main\n\nfunc main() { f(\"unterminated) }\n",
            "package main\n\nfunc main() {\n",
        ] {
            assert_eq!(check(src.as_bytes()), None, "{src}");
        }
    }
}

/// The one type-check error the simulation can be sure of: an import whose package is never
/// referred to. A package can only be used qualified (`fmt.Println`), so a file with no
/// `name .` token pair for an import's local name certainly does not use it, and cmd/compile
/// (types2) reports `"os" imported and not used` at the import spec — or `"fmt" imported as f
/// and not used` when the spec renames it. A `name .` that is really a shadowing variable makes
/// this check stay silent, never wrong. Blank, dot and `"C"` imports are not checked.
///
/// `package_name` gives the package clause name of an imported path (it is not always the last
/// path element). Returns nothing when the lexer reports an error.
pub fn unused_imports(
    src: &[u8],
    package_name: &dyn Fn(&str) -> Option<String>,
) -> Vec<SyntaxError> {
    let header = crate::scan::scan("", src);
    if header.error.is_some() {
        return Vec::new();
    }
    let mut errs = Vec::new();
    let mut lx = Lexer::new(src, &mut errs);
    // A sorted vector, not a `BTreeSet<String>`: that type's B-tree code was in the page's wasm
    // for this set alone (docs/benchmarks.md, Page weight).
    let mut qualified = crate::object::Names::new();
    let mut prev_ident: Option<String> = None;
    loop {
        let t = lx.scan(&mut errs);
        if !errs.is_empty() {
            return Vec::new();
        }
        match t.tok {
            Tok::Eof => break,
            Tok::Comment => continue,
            Tok::Op(".") => {
                if let Some(id) = prev_ident.take() {
                    qualified.insert(id);
                }
            }
            Tok::Ident => prev_ident = Some(t.lit),
            _ => prev_ident = None,
        }
    }
    let mut out = Vec::new();
    for imp in &header.imports {
        if imp.path == "C" || matches!(imp.alias.as_deref(), Some("_") | Some(".")) {
            continue;
        }
        let Some(pkg) = package_name(&imp.path) else {
            continue;
        };
        let local = imp
            .alias
            .as_deref()
            .map_or_else(|| pkg.clone(), str::to_string);
        if qualified.contains(&local) {
            continue;
        }
        let msg = match imp.alias.as_deref() {
            Some(a) if a != pkg => format!("\"{}\" imported as {a} and not used", imp.path),
            _ => format!("\"{}\" imported and not used", imp.path),
        };
        out.push(SyntaxError {
            line: imp.pos.line,
            col: imp.pos.col,
            msg,
        });
    }
    out
}

#[cfg(test)]
mod unused_import_tests {
    use super::*;

    fn names(p: &str) -> Option<String> {
        Some(match p {
            "math/rand/v2" => "rand".into(),
            other => other.rsplit('/').next().unwrap().into(),
        })
    }

    #[test]
    fn the_oracle_typeerr_case() {
        // errors.txt, typeerr: go reports `./main.go:5:2: "os" imported and not used` first.
        let src = b"package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { var x int = \"s\"; fmt.Println(x) }\n";
        let e = unused_imports(src, &names);
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].render("./main.go"),
            "./main.go:5:2: \"os\" imported and not used"
        );
    }

    #[test]
    fn renamed_blank_dot_and_used_imports() {
        let src = b"package p\n\nimport (\n\tf \"fmt\"\n\t_ \"embed\"\n\t. \"strings\"\n\tr \"math/rand/v2\"\n\t\"C\"\n)\n\nvar _ = r /* c */ . IntN(3)\n";
        let e = unused_imports(src, &names);
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].render("x.go"),
            "x.go:4:2: \"fmt\" imported as f and not used"
        );
        // A package renamed to its own name is worded as if not renamed.
        let e = unused_imports(b"package p\nimport fmt \"fmt\"\n", &names);
        assert_eq!(e[0].msg, "\"fmt\" imported and not used");
    }

    #[test]
    fn silent_when_unsure_or_broken() {
        // A shadowing variable looks like a use: no error claimed.
        assert!(unused_imports(
            b"package p\nimport \"os\"\nfunc f(os struct{ X int }) int { return os.X }\n",
            &names
        )
        .is_empty());
        // A lexer error: nothing claimed.
        assert!(unused_imports(
            b"package p\nimport \"os\"\nvar s = \"unterminated\n",
            &names
        )
        .is_empty());
    }
}
