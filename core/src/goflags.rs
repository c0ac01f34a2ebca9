//! The go command's flag syntax for `go build`, shared by the CLI (`buildlab build …`) and the
//! page's command line (`go build -x -a -p 2 .`), so that a line copied from a terminal works the
//! same in both: `-x` and `--x`, `-p 2` and `-p=2`, boolean `-a=false`, `-o out`, flags stop at
//! the first package pattern (as go's `flag` package stops), `--` ends them. Errors are go's own
//! words with go's exit statuses: usage errors 2, values go rejects after parsing 1.
//!
//! One Buildlab flag rides along: `--real` (run the real Go tools). Hosts that cannot honour it
//! (the page) reject it as go rejects any unknown flag ([`BuildFlags::reject_real`]).
//!
//! The flags that change what is built are gathered in [`BuildSettings`]: `-trimpath`, `-tags`,
//! `-mod` and the per-package `-gcflags`, `-asmflags` and `-ldflags` (go's `load.PerPackageFlag`: a
//! value `-N -l` is for the packages named on the command line, `PATTERN=-N -l` for the packages
//! the pattern matches, the last matching value wins). The loader carries them into the plan.
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
    /// `-trimpath`, `-tags`, `-gcflags`, `-asmflags`, `-ldflags`.
    pub settings: BuildSettings,
    /// The package patterns; `.` when none are given.
    pub patterns: Vec<String>,
}

/// Whether this build of core does what the build settings ask (its `build-settings` feature).
/// Without it, a value of `-tags` or a per-package flag only marks the settings
/// [`BuildSettings::unparsed`], and nothing reads them: the code that would is left out.
pub const SETTINGS: bool = cfg!(feature = "build-settings");

/// The flags that change what is built, as go's `cfg` and `load` packages keep them. `Default`
/// is a plain `go build`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildSettings {
    /// `-trimpath`: file paths in the outputs are import paths, not directories.
    pub trimpath: bool,
    /// `-tags`: the build tags, in order (go's `BuildContext.BuildTags`).
    pub tags: Vec<String>,
    pub gcflags: PerPackageFlag,
    pub asmflags: PerPackageFlag,
    pub ldflags: PerPackageFlag,
    /// Without [`SETTINGS`]: `-tags`, `-mod` or a per-package flag was given (and not parsed).
    pub unparsed: bool,
    /// `-mod`: how go may use `go.mod` and the vendor directory.
    pub mod_flag: ModFlag,
    /// With [`SETTINGS`]: every one of these flags as given, in order, each one word
    /// (`-trimpath=true`, `-gcflags=all=-N -l`): parsed again, they give these settings (what
    /// the page sends the helper, [`BuildSettings::args`]).
    pub given: Vec<String>,
}

impl BuildSettings {
    /// Whether none was given: a plain `go build`.
    pub fn is_default(&self) -> bool {
        !self.trimpath
            && self.tags.is_empty()
            && !self.has_package_flags()
            && !self.unparsed
            && self.mod_flag == ModFlag::Unset
    }

    /// Whether any per-package flag was given (a plain build skips matching them).
    pub fn has_package_flags(&self) -> bool {
        self.gcflags.present || self.asmflags.present || self.ldflags.present
    }

    /// The flags as words that [`BuildFlags::parse`] turns back into these settings.
    pub fn args(&self) -> &[String] {
        &self.given
    }
}

/// `-mod` (go's `cfg.BuildMod` as the flag sets it): unset (or `-mod=`) lets go choose,
/// `readonly` unless a vendor directory is there to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ModFlag {
    #[default]
    Unset,
    Mod,
    Readonly,
    Vendor,
}

/// A per-package flag (go's `load.PerPackageFlag`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerPackageFlag {
    /// The last value as given (what the build info records).
    pub raw: String,
    /// Whether the flag was given at all.
    pub present: bool,
    /// Each value in order: its pattern (`None`: the packages named on the command line) and
    /// its flags.
    pub values: Vec<(Option<String>, Vec<String>)>,
}

impl PerPackageFlag {
    /// go's `PerPackageFlag.set`.
    fn set(&mut self, v: &str) -> Result<(), String> {
        self.raw = v.to_string();
        self.present = true;
        let v = v.trim_matches(|c: char| c.is_ascii_whitespace());
        if v.is_empty() {
            self.values.push((None, Vec::new()));
            return Ok(());
        }
        let (pattern, v) = if v.starts_with('-') {
            (None, v)
        } else {
            let Some(i) = v.find('=') else {
                return Err("missing =<value> in <pattern>=<value>".into());
            };
            if i == 0 {
                return Err("missing <pattern> in <pattern>=<value>".into());
            }
            if v.starts_with(['\'', '"']) {
                return Err(format!(
                    "parameter may not start with quote character {}",
                    &v[..1]
                ));
            }
            (Some(v[..i].trim().to_string()), &v[i + 1..])
        };
        self.values.push((pattern, split_quoted(v)?));
        Ok(())
    }

    /// go's `For`: the flags of the last value whose pattern `matches` (`None` asks whether the
    /// package was named on the command line); none when no value does.
    pub fn for_package(&self, matches: impl Fn(Option<&str>) -> bool) -> &[String] {
        self.values
            .iter()
            .rev()
            .find(|(pat, _)| matches(pat.as_deref()))
            .map_or(&[], |(_, f)| f.as_slice())
    }
}

/// `cmd/internal/quoted.Split`: words separated by spaces, a word may be quoted whole in `'…'`
/// or `"…"` (no escapes inside).
pub fn split_quoted(mut s: &str) -> Result<Vec<String>, String> {
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let mut out = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_ascii() && space(c as u8));
        let Some(&first) = s.as_bytes().first() else {
            return Ok(out);
        };
        if first == b'"' || first == b'\'' {
            let Some(end) = s[1..].find(first as char) else {
                return Err(format!("unterminated {} string", first as char));
            };
            out.push(s[1..1 + end].to_string());
            s = &s[2 + end..];
        } else {
            let end = s.bytes().position(space).unwrap_or(s.len());
            out.push(s[..end].to_string());
            s = &s[end..];
        }
    }
}

/// go's `tagsFlag.Set`: comma-separated, or (Go 1.12's form) space-separated and quoted.
fn parse_tags(v: &str) -> Result<Vec<String>, String> {
    if v.contains([' ', '\'']) {
        return split_quoted(v);
    }
    Ok(v.split(',')
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect())
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
        // Checked once every flag is parsed, as go's `BuildInit` does (`-mod` before `-p`): a
        // usage error later on the line comes first.
        let mut mod_value: Option<String> = None;
        let mut p_value: Option<i64> = None;
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
                "trimpath" => {
                    boolean(&mut f.settings.trimpath)?;
                    if SETTINGS {
                        let word = format!("-trimpath={}", f.settings.trimpath);
                        f.settings.given.push(word);
                    }
                }
                // VCS stamping: Buildlab stamps no VCS information (the page's workspaces are
                // in no repository; the CLI reads none), as go with `-buildvcs=false` or
                // outside a repository: only the value is checked.
                "buildvcs" => match inline {
                    None | Some("" | "auto") => {}
                    Some(v) if parse_bool(v).is_some() => {}
                    Some(v) => {
                        return Err(usage(format!(
                            "invalid boolean value {} for -buildvcs: value is neither 'auto' nor a valid bool",
                            go_quote(v.as_bytes())
                        )))
                    }
                },
                "tags" | "gcflags" | "asmflags" | "ldflags" | "mod" => {
                    let value = match inline {
                        Some(v) => v,
                        None => it
                            .next()
                            .ok_or_else(|| usage(format!("flag needs an argument: -{name}")))?,
                    };
                    let s = &mut f.settings;
                    if !SETTINGS {
                        s.unparsed = true;
                        continue;
                    }
                    if name == "mod" {
                        mod_value = Some(value.to_string());
                        s.given.push(format!("-mod={value}"));
                        continue;
                    }
                    let set = match name {
                        "tags" => parse_tags(value).map(|t| s.tags = t),
                        "gcflags" => s.gcflags.set(value),
                        "asmflags" => s.asmflags.set(value),
                        _ => s.ldflags.set(value),
                    };
                    set.map_err(|e| {
                        usage(format!(
                            "invalid value {} for flag -{name}: {e}",
                            go_quote(value.as_bytes())
                        ))
                    })?;
                    s.given.push(format!("-{name}={value}"));
                }
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
                        p_value = Some(parse_p(&value)?);
                    }
                }
                _ => return Err(usage(format!("flag provided but not defined: -{name}"))),
            }
        }
        if f.patterns.is_empty() {
            f.patterns.push(".".into());
        }
        if let Some(v) = mod_value {
            f.settings.mod_flag =
                match v.as_str() {
                    "" => ModFlag::Unset,
                    "mod" => ModFlag::Mod,
                    "readonly" => ModFlag::Readonly,
                    "vendor" => ModFlag::Vendor,
                    _ => return Err(FlagError(
                        format!(
                            "-mod={v} not supported (can be '', 'mod', 'readonly', or 'vendor')"
                        ),
                        1,
                    )),
                };
        }
        if let Some(n) = p_value {
            if n <= 0 {
                return Err(FlagError(
                    format!("go: -p must be a positive integer: {n}"),
                    1,
                ));
            }
            f.p = Some(n as usize);
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

/// `-p`'s value: an integer (the flag package's error otherwise; whether it is positive is
/// cmd/go's later check, in [`BuildFlags::parse`]).
fn parse_p(value: &str) -> Result<i64, FlagError> {
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
    Ok(n)
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
    #[cfg(feature = "build-settings")]
    fn build_settings_as_go_parses_them() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let f = BuildFlags::parse(&args(&[
            "-trimpath",
            "-tags=pro,,beta",
            "-gcflags=-N -l",
            "-gcflags",
            " ./... = '-m' \"-l\" ",
            "-ldflags=-s -w",
            ".",
        ]))
        .unwrap();
        let s = &f.settings;
        assert!(s.trimpath);
        assert_eq!(s.tags, ["pro", "beta"]);
        assert_eq!(s.gcflags.raw, " ./... = '-m' \"-l\" ");
        assert_eq!(
            s.gcflags.values,
            [
                (None, args(&["-N", "-l"])),
                (Some("./...".to_string()), args(&["-m", "-l"]))
            ]
        );
        assert!(s.ldflags.present && !s.asmflags.present && s.has_package_flags());
        assert_eq!(f.patterns, ["."]);
        // The words given back parse to the same settings, each value whole (its quotes and
        // spaces kept), a flag and its value in one word.
        assert_eq!(
            s.args(),
            [
                "-trimpath=true",
                "-tags=pro,,beta",
                "-gcflags=-N -l",
                "-gcflags= ./... = '-m' \"-l\" ",
                "-ldflags=-s -w",
            ]
        );
        assert_eq!(&BuildFlags::parse(s.args()).unwrap().settings, s);
        for v in [
            "-buildvcs",
            "-buildvcs=false",
            "-buildvcs=auto",
            "-buildvcs=",
        ] {
            assert_eq!(
                BuildFlags::parse(&args(&[v, "."])).unwrap(),
                BuildFlags::parse(&args(&["."])).unwrap()
            );
        }
        // Go 1.12's form: space-separated, quotes allowed; an empty value clears.
        let t = |v: &str| {
            BuildFlags::parse(&args(&["-tags", v]))
                .unwrap()
                .settings
                .tags
        };
        assert_eq!(t("'a' b"), ["a", "b"]);
        assert_eq!(t(""), Vec::<String>::new());
        // The last value whose pattern matches wins; `None` asks for the named packages.
        let g = &s.gcflags;
        assert_eq!(g.for_package(|p| p.is_none()), ["-N", "-l"]);
        assert_eq!(g.for_package(|_| true), ["-m", "-l"]);
        assert!(g.for_package(|_| false).is_empty());
        // -gcflags= means no flags for the named packages (it overrides an earlier value).
        let cleared = BuildFlags::parse(&args(&["-gcflags=-N", "-gcflags="])).unwrap();
        assert!(cleared.settings.gcflags.for_package(|_| true).is_empty());
        assert!(cleared.settings.gcflags.present);
    }

    /// Without `build-settings` the flags are still flags (their values taken), only marked.
    #[test]
    #[cfg(not(feature = "build-settings"))]
    fn build_settings_are_marked_unparsed() {
        let f = parse("-tags pro -gcflags=-N -trimpath ./x").unwrap();
        assert!(f.settings.unparsed && f.settings.trimpath && !f.settings.is_default());
        assert_eq!(f.patterns, ["./x"]);
        assert!(parse("-x .").unwrap().settings.is_default());
    }

    #[test]
    #[cfg(feature = "build-settings")]
    fn build_settings_errors_are_go_s() {
        // Each text is go 1.23.5's (`go build -n FLAG .`), exit status 2.
        for (flag, why) in [
            ("-gcflags=foo", "invalid value \"foo\" for flag -gcflags: missing =<value> in <pattern>=<value>"),
            ("-gcflags==x", "invalid value \"=x\" for flag -gcflags: missing <pattern> in <pattern>=<value>"),
            ("-ldflags='a=b", "invalid value \"'a=b\" for flag -ldflags: parameter may not start with quote character '"),
            ("-gcflags=-N 'x", "invalid value \"-N 'x\" for flag -gcflags: unterminated ' string"),
            ("-trimpath=maybe", "invalid boolean value \"maybe\" for -trimpath: parse error"),
            ("-buildvcs=maybe", "invalid boolean value \"maybe\" for -buildvcs: value is neither 'auto' nor a valid bool"),
        ] {
            assert_eq!(
                BuildFlags::parse(&[flag.to_string()]).unwrap_err(),
                FlagError(format!("{why}\n{USAGE}"), 2),
                "{flag}"
            );
        }
        assert!(BuildFlags::parse(&["-asmflags".to_string()])
            .unwrap_err()
            .0
            .starts_with("flag needs an argument: -asmflags\n"));
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
