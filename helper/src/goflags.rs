//! The go command's flag syntax for `buildlab build`, so that a line copied from a terminal works:
//! `-x`, `--x`, `-p 2`, `-p=2`, `-o out`, flags before the package patterns, `--` ending them.
//! Errors are go's words and exit status 2. (clap parses Buildlab's own subcommands; it cannot
//! spell go's single-dash long flags like `-work`.)

/// What `go build` was asked to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildFlags {
    pub x: bool,
    pub n: bool,
    pub a: bool,
    pub work: bool,
    pub v: bool,
    pub p: Option<usize>,
    pub o: Option<String>,
    /// Buildlab's own: run the real Go tools instead of the simulation.
    pub real: bool,
    pub patterns: Vec<String>,
}

/// A flag error, printed as go prints it: usage errors exit 2, bad values go checks later exit 1.
#[derive(Debug, PartialEq, Eq)]
pub struct FlagError(pub String, pub u8);

fn usage_error(msg: String) -> FlagError {
    FlagError(msg, 2)
}

const USAGE: &str = "usage: go build [-o output] [build flags] [packages]\nRun 'go help build' for details.";

impl BuildFlags {
    pub fn parse(args: &[String]) -> Result<BuildFlags, FlagError> {
        let mut f = BuildFlags::default();
        let mut it = args.iter().peekable();
        while let Some(arg) = it.next() {
            if arg == "--" {
                f.patterns.extend(it.by_ref().cloned());
                break;
            }
            let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')).filter(|b| !b.is_empty()) else {
                f.patterns.push(arg.clone());
                f.patterns.extend(it.by_ref().cloned());
                break;
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let bool_flag = |slot: &mut bool| -> Result<(), FlagError> {
                *slot = match inline.as_deref() {
                    None | Some("true") | Some("1") | Some("t") | Some("T") | Some("TRUE") | Some("True") => true,
                    Some("false") | Some("0") | Some("f") | Some("F") | Some("FALSE") | Some("False") => false,
                    Some(v) => {
                        return Err(usage_error(format!("invalid boolean value {v:?} for -{name}: parse error\n{USAGE}")))
                    }
                };
                Ok(())
            };
            match name {
                "x" => bool_flag(&mut f.x)?,
                "n" => bool_flag(&mut f.n)?,
                "a" => bool_flag(&mut f.a)?,
                "v" => bool_flag(&mut f.v)?,
                "work" => bool_flag(&mut f.work)?,
                "real" => bool_flag(&mut f.real)?,
                "p" | "o" => {
                    let value = match inline {
                        Some(v) => v,
                        None => it.next().cloned().ok_or_else(|| usage_error(format!("flag needs an argument: -{name}\n{USAGE}")))?,
                    };
                    if name == "o" {
                        f.o = Some(value);
                    } else {
                        let n: usize = value
                            .parse()
                            .map_err(|_| usage_error(format!("invalid value {value:?} for flag -p: parse error\n{USAGE}")))?;
                        if n == 0 {
                            return Err(FlagError(format!("go: -p must be a positive integer: {n}"), 1));
                        }
                        f.p = Some(n);
                    }
                }
                _ => return Err(usage_error(format!("flag provided but not defined: -{name}\n{USAGE}"))),
            }
        }
        if f.patterns.is_empty() {
            f.patterns.push(".".into());
        }
        Ok(f)
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
        let f = parse("-x --work -p 2 -a=true -o out ./... fmt").unwrap();
        assert!(f.x && f.work && f.a && !f.n);
        assert_eq!(f.p, Some(2));
        assert_eq!(f.o.as_deref(), Some("out"));
        assert_eq!(f.patterns, ["./...", "fmt"]);
        assert_eq!(parse("-p=4").unwrap().p, Some(4));
        assert_eq!(parse("").unwrap().patterns, ["."]);
        // Flags stop at the first pattern, as go's flag package does.
        assert_eq!(parse(". -x").unwrap().patterns, [".", "-x"]);
    }

    #[test]
    fn errors_in_go_words() {
        assert_eq!(
            parse("-foo").unwrap_err().0,
            "flag provided but not defined: -foo\nusage: go build [-o output] [build flags] [packages]\nRun 'go help build' for details."
        );
        assert!(parse("-p").unwrap_err().0.starts_with("flag needs an argument: -p\n"));
        assert!(parse("-p two").unwrap_err().0.starts_with("invalid value \"two\" for flag -p: parse error\n"));
        assert_eq!(parse("-p 0").unwrap_err(), FlagError("go: -p must be a positive integer: 0".into(), 1));
        assert_eq!(parse("-foo").unwrap_err().1, 2);
    }
}
