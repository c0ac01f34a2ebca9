//! The go command's flag syntax for `go build`, shared by the CLI (`buildlab build …`) and the
//! page's command line (`go build -x -a -p 2 .`), so that a line copied from a terminal works the
//! same in both: `-x` and `--x`, `-p 2` and `-p=2`, boolean `-a=false`, `-o out`, flags stop at
//! the first package pattern (as go's `flag` package stops), `--` ends them. Errors are go's own
//! words with go's exit statuses: usage errors 2, values go rejects after parsing 1.
//!
//! One Buildlab flag rides along: `--real` (run the real Go tools). Hosts that cannot honour it
//! (the page) reject it as go rejects any unknown flag ([`BuildFlags::reject_real`]).
//!
//! Not here: splitting a line into words (the page does it shell-style, the terminal before us)
//! and what the flags do.

use crate::plan::{go_quote, BuildMode};

/// What `go build` was asked to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildFlags {
    /// `-x`: print the commands.
    pub x: bool,
    /// `-n`: print the commands, run nothing.
    pub n: bool,
    /// `-a`: rebuild everything.
    pub a: bool,
    /// `-work`: print `WORK=` and keep the work directory.
    pub work: bool,
    /// `-v`: print the import path of each package as it is compiled.
    pub v: bool,
    /// `-p N`: the number of programs run in parallel.
    pub p: Option<usize>,
    /// `-o NAME`: where the binary goes (a directory when it ends in `/` or is one).
    pub o: Option<String>,
    /// Buildlab's own `--real`: run the real Go tools instead of the simulation.
    pub real: bool,
    /// The package patterns; `.` when none are given.
    pub patterns: Vec<String>,
}

/// A flag error as go prints it, and its exit status (2 for usage errors, 1 for values go
/// rejects later).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagError(pub String, pub u8);

/// What go prints after a usage error.
pub const USAGE: &str =
    "usage: go build [-o output] [build flags] [packages]\nRun 'go help build' for details.";

fn usage(msg: String) -> FlagError {
    FlagError(format!("{msg}\n{USAGE}"), 2)
}

/// go's `strconv.ParseBool`, which the `flag` package uses for `-x=VALUE`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

impl BuildFlags {
    /// The flags that change what the transcript prints (`-x`, `-n`, `-work`).
    pub fn print(&self) -> crate::transcript::Flags {
        crate::transcript::Flags {
            x: self.x,
            n: self.n,
            work: self.work,
        }
    }

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
                    None => true,
                    Some(v) => parse_bool(v).ok_or_else(|| {
                        usage(format!(
                            "invalid boolean value {} for -{name}: parse error",
                            go_quote(v.as_bytes())
                        ))
                    })?,
                };
                Ok(())
            };
            match name {
                "x" => boolean(&mut f.x)?,
                "n" => boolean(&mut f.n)?,
                "a" => boolean(&mut f.a)?,
                "v" => boolean(&mut f.v)?,
                "work" => boolean(&mut f.work)?,
                "real" => boolean(&mut f.real)?,
                "p" | "o" => {
                    let value = match inline {
                        Some(v) => v.to_string(),
                        None => it
                            .next()
                            .cloned()
                            .ok_or_else(|| usage(format!("flag needs an argument: -{name}")))?,
                    };
                    if name == "o" {
                        f.o = Some(value);
                    } else {
                        f.p = Some(parse_p(&value)?);
                    }
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

    /// What `-o` asks for: a directory when the name ends in `/` or `is_dir` says it names one
    /// (go then writes the binary inside it under its default name), else the binary's path.
    pub fn mode(&self, is_dir: impl Fn(&str) -> bool) -> BuildMode {
        match &self.o {
            None => BuildMode::Build,
            Some(o) if o.ends_with('/') || is_dir(o) => BuildMode::BuildToDir(o.clone()),
            Some(o) => BuildMode::BuildTo(o.clone()),
        }
    }

    /// For a host without real tools: `--real` is then, as in go itself, a flag that is not
    /// defined.
    pub fn reject_real(self) -> Result<BuildFlags, FlagError> {
        if self.real {
            return Err(usage("flag provided but not defined: -real".into()));
        }
        Ok(self)
    }
}

/// `-p`'s value: an integer (the flag package's error otherwise), then positive (cmd/go's check,
/// exit status 1).
fn parse_p(value: &str) -> Result<usize, FlagError> {
    let n: i64 = value.parse().map_err(|e: std::num::ParseIntError| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "parse error",
        };
        usage(format!(
            "invalid value {} for flag -p: {why}",
            go_quote(value.as_bytes())
        ))
    })?;
    if n <= 0 {
        return Err(FlagError(
            format!("go: -p must be a positive integer: {n}"),
            1,
        ));
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<BuildFlags, FlagError> {
        BuildFlags::parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn go_style_flags() {
        let f = parse("-x --work -p 2 -a=true -v -o out ./... fmt").unwrap();
        assert!(f.x && f.work && f.a && f.v && !f.n && !f.real);
        assert_eq!(f.p, Some(2));
        assert_eq!(f.o.as_deref(), Some("out"));
        assert_eq!(f.patterns, ["./...", "fmt"]);
        assert_eq!(parse("-p=4").unwrap().p, Some(4));
        assert_eq!(parse("-o=a/b").unwrap().o.as_deref(), Some("a/b"));
        assert_eq!(parse("").unwrap().patterns, ["."]);
        assert!(!parse("-a=false").unwrap().a);
        assert!(parse("--real").unwrap().real);
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
        assert!(parse("-o")
            .unwrap_err()
            .0
            .starts_with("flag needs an argument: -o\n"));
        assert!(parse("-p two")
            .unwrap_err()
            .0
            .starts_with("invalid value \"two\" for flag -p: parse error\n"));
        assert_eq!(
            parse("-x=maybe").unwrap_err(),
            FlagError(
                format!("invalid boolean value \"maybe\" for -x: parse error\n{USAGE}"),
                2
            )
        );
        // Quoted as go's %q quotes (real go 1.23: `go build -p $'\x01ü' .`), not as Rust's
        // `{:?}` (`"\u{1}ü"`).
        assert!(parse("-p \u{1}ü")
            .unwrap_err()
            .0
            .starts_with("invalid value \"\\x01ü\" for flag -p: parse error\n"));
        assert!(parse("-x=\u{1}")
            .unwrap_err()
            .0
            .starts_with("invalid boolean value \"\\x01\" for -x: parse error\n"));
        assert_eq!(
            parse("-p 0").unwrap_err(),
            FlagError("go: -p must be a positive integer: 0".into(), 1)
        );
        assert!(parse("-p 99999999999999999999").unwrap_err().0.starts_with(
            "invalid value \"99999999999999999999\" for flag -p: value out of range\n"
        ));
        assert_eq!(
            parse("-p -3").unwrap_err(),
            FlagError("go: -p must be a positive integer: -3".into(), 1)
        );
        assert_eq!(
            parse("--real").unwrap().reject_real().unwrap_err(),
            FlagError(format!("flag provided but not defined: -real\n{USAGE}"), 2)
        );
    }

    #[test]
    fn o_names_a_file_or_a_directory() {
        let no = |_: &str| false;
        assert_eq!(parse("").unwrap().mode(no), BuildMode::Build);
        assert_eq!(
            parse("-o hi").unwrap().mode(no),
            BuildMode::BuildTo("hi".into())
        );
        assert_eq!(
            parse("-o bin/").unwrap().mode(no),
            BuildMode::BuildToDir("bin/".into())
        );
        assert_eq!(
            parse("-o bin").unwrap().mode(|d| d == "bin"),
            BuildMode::BuildToDir("bin".into())
        );
    }

    #[test]
    fn whole_commands() {
        let argv = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert!(BuildFlags::parse_argv(&argv("go build -x .")).unwrap().x);
        assert_eq!(
            BuildFlags::parse_argv(&argv("go run .")).unwrap_err(),
            FlagError("buildlab: only `go build` builds (got `go run`)".into(), 2)
        );
        assert_eq!(BuildFlags::parse_argv(&argv("make")).unwrap_err().1, 2);
    }
}
