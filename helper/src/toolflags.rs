//! The build settings the API takes from the page (`-trimpath`, `-tags`, `-gcflags`,
//! `-asmflags`, `-ldflags`, `-mod`), and what it refuses among them.
//!
//! The page sends them as the words it parsed (`BuildSettings::args`: one word a flag,
//! `-gcflags=all=-N -l`); the helper parses them again with core's parser, so that it plans what
//! the page planned, and then looks at every flag they would hand to a tool. go passes a user's
//! `-gcflags` to compile as they are, which on a command line is the user's own business; here
//! they come over HTTP, and `-gcflags=-o=/x` would write outside `$WORK`, `-ldflags=-extld=sh`
//! run another program, `-gcflags=-cpuprofile=…` write a file, `-gcflags=x.go` compile a file
//! the workspace does not hold. So each tool gets an allow-list: flags that change the code
//! or what the tool prints, none that names a file, a directory or a program.

use buildlab_core::goflags::{BuildFlags, BuildSettings, PerPackageFlag};

/// How many settings words a request may carry, and how long each may be.
pub const MAX_WORDS: usize = 32;
pub const MAX_WORD: usize = 1024;

/// How a tool flag takes its value.
#[derive(Clone, Copy)]
enum Takes {
    /// Nothing, or `=value` (go's boolean and count flags: `-m`, `-m=2`, `-wb=false`).
    Nothing,
    /// A value, `=value` or the next word (`-X main.v=1`, `-D GOOS_linux`).
    Value,
}

const COMPILE: &[(&str, Takes)] = &[
    ("B", Takes::Nothing),
    ("C", Takes::Nothing),
    ("N", Takes::Nothing),
    ("S", Takes::Nothing),
    ("dwarf", Takes::Nothing),
    ("dwarflocationlists", Takes::Nothing),
    ("e", Takes::Nothing),
    ("l", Takes::Nothing),
    ("live", Takes::Nothing),
    ("m", Takes::Nothing),
    ("smallframes", Takes::Nothing),
    ("w", Takes::Nothing),
    ("wb", Takes::Nothing),
];

const ASM: &[(&str, Takes)] = &[("D", Takes::Value), ("S", Takes::Nothing)];

const LINK: &[(&str, Takes)] = &[
    ("X", Takes::Value),
    ("compressdwarf", Takes::Nothing),
    ("s", Takes::Nothing),
    ("strictdups", Takes::Nothing),
    ("v", Takes::Nothing),
    ("w", Takes::Nothing),
];

/// The settings the words ask for, or why they are refused (go's own text for a flag go
/// rejects).
pub fn parse(words: &[String]) -> Result<BuildSettings, String> {
    if words.len() > MAX_WORDS {
        return Err(format!("flags.settings: more than {MAX_WORDS} words"));
    }
    for w in words {
        if w.len() > MAX_WORD {
            return Err(format!(
                "flags.settings: a word longer than {MAX_WORD} bytes"
            ));
        }
        if w.chars().any(char::is_control) {
            return Err(format!(
                "flags.settings: {w:?}: control characters are not allowed"
            ));
        }
        let name = w.split_once('=').map_or(w.as_str(), |(n, _)| n);
        let whole = matches!(
            name,
            "-tags" | "-gcflags" | "-asmflags" | "-ldflags" | "-mod"
        ) && w.len() > name.len();
        if !(whole || name == "-trimpath") {
            return Err(format!(
                "flags.settings: {w:?}: only -trimpath, -tags=…, -gcflags=…, -asmflags=…, \
                 -ldflags=… and -mod=… are taken, each one word"
            ));
        }
    }
    let flags = BuildFlags::parse(words).map_err(|e| e.0)?;
    let s = flags.settings;
    check_tool("-gcflags", "compile", &s.gcflags, COMPILE)?;
    check_tool("-asmflags", "asm", &s.asmflags, ASM)?;
    check_tool("-ldflags", "link", &s.ldflags, LINK)?;
    Ok(s)
}

/// Every value of one per-package flag against its tool's allow-list.
fn check_tool(
    flag: &str,
    tool: &str,
    f: &PerPackageFlag,
    allowed: &[(&str, Takes)],
) -> Result<(), String> {
    for (_, words) in &f.values {
        let mut it = words.iter();
        while let Some(w) = it.next() {
            let refuse = || {
                let names: Vec<String> = allowed.iter().map(|(n, _)| format!("-{n}")).collect();
                format!(
                    "{flag}: {w:?}: the helper passes {tool} only {} (flags that change the code \
                     or what it prints; none that names a file, a directory or a program)",
                    names.join(" ")
                )
            };
            let body = w
                .strip_prefix("--")
                .or_else(|| w.strip_prefix('-'))
                .filter(|b| !b.is_empty() && !b.starts_with('-'))
                .ok_or_else(refuse)?;
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let takes = allowed
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(_, t)| t)
                .ok_or_else(refuse)?;
            if let (Takes::Value, None) = (takes, inline) {
                // The value is the next word, whatever it is: the tool reads it as the value.
                it.next()
                    .ok_or_else(|| format!("{flag}: {w:?} needs a value"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn what_go_users_pass_is_taken() {
        let s = parse(&words(&[
            "-trimpath",
            "-tags=pro,beta",
            "-gcflags=all=-N -l",
            "-gcflags=./edition=-m=2 -live",
            "-asmflags=-D GOOS_x -S",
            "-ldflags=-s -w -X main.version=1.2 -X=main.who=me",
            "-mod=mod",
        ]))
        .unwrap();
        assert!(s.trimpath);
        assert_eq!(s.mod_flag, buildlab_core::goflags::ModFlag::Mod);
        // go's own refusal of a -mod value, in its words.
        let e = parse(&words(&["-mod=bogus"])).unwrap_err();
        assert_eq!(e, "-mod=bogus not supported (can be '', 'mod', 'readonly', or 'vendor')");
        assert_eq!(s.tags, ["pro", "beta"]);
        assert_eq!(s.gcflags.values.len(), 2);
        assert_eq!(
            s.ldflags.for_package(|_| true),
            ["-s", "-w", "-X", "main.version=1.2", "-X=main.who=me"]
        );
        assert!(parse(&[]).unwrap().is_default());
    }

    #[test]
    fn flags_that_name_files_or_programs_are_refused() {
        for (w, why) in [
            ("-gcflags=-o=/tmp/x", "the helper passes compile only"),
            ("-gcflags=-o /tmp/x", "\"-o\""),
            ("-gcflags=all=-cpuprofile=/tmp/p", "\"-cpuprofile=/tmp/p\""),
            ("-gcflags=/etc/passwd", "\"/etc/passwd\""),
            ("-gcflags=-N x.go", "\"x.go\""),
            (
                "-gcflags=-importcfg=/etc/importcfg",
                "the helper passes compile only",
            ),
            ("-gcflags=-d=ssa/check/on", "\"-d=ssa/check/on\""),
            ("-gcflags=---N", "\"---N\""),
            ("-ldflags=-extld=sh", "the helper passes link only"),
            (
                "-ldflags=-linkmode=external -extldflags=-x",
                "\"-linkmode=external\"",
            ),
            ("-ldflags=-o /tmp/x", "\"-o\""),
            ("-ldflags=-X", "needs a value"),
            ("-ldflags=-tmpdir=/tmp", "the helper passes link only"),
            ("-asmflags=-I /etc", "the helper passes asm only"),
            ("-asmflags=-o=/tmp/x", "the helper passes asm only"),
            ("-toolexec=sh", "only -trimpath"),
            ("-o=/tmp/x", "only -trimpath"),
            ("-gcflags", "each one word"),
            (".", "only -trimpath"),
            ("--", "only -trimpath"),
            ("-gcflags=-N\n-l", "control characters"),
            // go's own parser's refusals come in go's words.
            ("-gcflags=all", "missing =<value> in <pattern>=<value>"),
            ("-ldflags=-s '-w", "unterminated ' string"),
        ] {
            let e = parse(&words(&[w])).unwrap_err();
            assert!(e.contains(why), "{w}: {e}");
        }
        let many: Vec<String> = (0..=MAX_WORDS).map(|_| "-trimpath".into()).collect();
        assert!(parse(&many).unwrap_err().contains("more than"));
        let long = format!("-ldflags=-X main.v={}", "a".repeat(MAX_WORD));
        assert!(parse(&[long]).unwrap_err().contains("longer than"));
    }
}
