//! `go build`'s flag syntax for the page's command line (`go build -x -a -p 2 .`), with go's
//! error texts and exit statuses: `-x` and `--x`, `-p 2` and `-p=2`, boolean `-a=false`, flags
//! stop at the first package pattern, `--` ends them. The rules are those of the helper's
//! `goflags.rs` (this crate cannot depend on the helper); `-o` and `-v` are refused here because
//! the page has nowhere to put an output file and nothing to print for `-v`.
//!
//! Not here: splitting a line into words (the page does it, shell-style) and what the flags do.

/// What `go build` was asked to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildFlags {
    pub x: bool,
    pub n: bool,
    pub a: bool,
    pub work: bool,
    pub p: Option<usize>,
    pub patterns: Vec<String>,
}

/// A flag error as go prints it, and its exit status (2 for usage errors, 1 for values go
/// rejects later).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagError(pub String, pub u8);

const USAGE: &str =
    "usage: go build [-o output] [build flags] [packages]\nRun 'go help build' for details.";

fn usage(msg: String) -> FlagError {
    FlagError(format!("{msg}\n{USAGE}"), 2)
}

impl BuildFlags {
    /// Parses the words after `go build`.
    pub fn parse(args: &[String]) -> Result<BuildFlags, FlagError> {
        let mut f = BuildFlags::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--" {
                f.patterns.extend(it.by_ref().cloned());
                break;
            }
            let Some(body) = arg
                .strip_prefix("--")
                .or_else(|| arg.strip_prefix('-'))
                .filter(|b| !b.is_empty())
            else {
                f.patterns.push(arg.clone());
                f.patterns.extend(it.by_ref().cloned());
                break;
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let boolean = |slot: &mut bool| -> Result<(), FlagError> {
                *slot = match inline {
                    None | Some("true" | "1" | "t" | "T" | "TRUE" | "True") => true,
                    Some("false" | "0" | "f" | "F" | "FALSE" | "False") => false,
                    Some(v) => {
                        return Err(usage(format!(
                            "invalid boolean value {v:?} for -{name}: parse error"
                        )))
                    }
                };
                Ok(())
            };
            match name {
                "x" => boolean(&mut f.x)?,
                "n" => boolean(&mut f.n)?,
                "a" => boolean(&mut f.a)?,
                "work" => boolean(&mut f.work)?,
                "p" => {
                    let value = match inline {
                        Some(v) => v.to_string(),
                        None => it
                            .next()
                            .cloned()
                            .ok_or_else(|| usage(format!("flag needs an argument: -{name}")))?,
                    };
                    let n: usize = value.parse().map_err(|_| {
                        usage(format!("invalid value {value:?} for flag -p: parse error"))
                    })?;
                    if n == 0 {
                        return Err(FlagError(
                            format!("go: -p must be a positive integer: {n}"),
                            1,
                        ));
                    }
                    f.p = Some(n);
                }
                "o" | "v" => {
                    return Err(FlagError(
                        format!("buildlab: -{name} is not modelled in the page"),
                        2,
                    ))
                }
                _ => return Err(usage(format!("flag provided but not defined: -{name}"))),
            }
        }
        if f.patterns.is_empty() {
            f.patterns.push(".".into());
        }
        Ok(f)
    }

    /// Parses a whole command (`["go", "build", …]`).
    pub fn parse_argv(argv: &[String]) -> Result<BuildFlags, FlagError> {
        match argv {
            [go, build, rest @ ..] if go == "go" && build == "build" => BuildFlags::parse(rest),
            [go, cmd, ..] if go == "go" => Err(FlagError(
                format!("buildlab: only `go build` builds (got `go {cmd}`)"),
                2,
            )),
            _ => Err(FlagError(
                format!("buildlab: not a go build command: {}", argv.join(" ")),
                2,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<BuildFlags, FlagError> {
        BuildFlags::parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn go_style_flags() {
        let f = parse("-x --work -p 2 -a=true ./... fmt").unwrap();
        assert!(f.x && f.work && f.a && !f.n);
        assert_eq!(f.p, Some(2));
        assert_eq!(f.patterns, ["./...", "fmt"]);
        assert_eq!(parse("-p=4").unwrap().p, Some(4));
        assert_eq!(parse("").unwrap().patterns, ["."]);
        assert!(!parse("-a=false").unwrap().a);
        // Flags stop at the first pattern, as go's flag package does.
        assert_eq!(parse(". -x").unwrap().patterns, [".", "-x"]);
        assert_eq!(parse("-- -x").unwrap().patterns, ["-x"]);
    }

    #[test]
    fn errors_in_go_words() {
        assert_eq!(
            parse("-foo").unwrap_err(),
            FlagError(format!("flag provided but not defined: -foo\n{USAGE}"), 2)
        );
        assert!(parse("-p")
            .unwrap_err()
            .0
            .starts_with("flag needs an argument: -p\n"));
        assert!(parse("-p two")
            .unwrap_err()
            .0
            .starts_with("invalid value \"two\" for flag -p: parse error\n"));
        assert_eq!(
            parse("-p 0").unwrap_err(),
            FlagError("go: -p must be a positive integer: 0".into(), 1)
        );
    }
}
