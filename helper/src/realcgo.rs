//! The cgo steps of one build action, run for real as cmd/go's `exec.go` runs them (`build`'s
//! cgo branch, `cgo`, `dynimport`, `ccompile`, `gccld`, `compilerCmd`, `gccSupportsFlag`).
//!
//! core's plan has one [`buildlab_core::plan::Step::Cgo`] where go runs, per package using cgo:
//! the `cgo` tool over the cgo files (writing `_cgo_gotypes.go`, `X.cgo1.go`, `X.cgo2.c`,
//! `_cgo_export.c`, `_cgo_main.c` into the work dir), gcc on `_cgo_export.c`, each `X.cgo2.c`
//! and the package's C (and, outside runtime/cgo, assembly) files into `_x001.o`, `_x002.o`…,
//! gcc on `_cgo_main.c`, gcc linking it with those objects into `_cgo_.o`, and
//! `cgo -dynimport` writing `_cgo_import.go` from it (what the Go linker needs to link the
//! package internally; when that gcc link fails go packs an empty `dynimportfail` object instead,
//! which makes the linker link externally). [`run`] does all of that and returns what the rest
//! of the action needs: the generated Go files the compile adds after the package's own, and the
//! objects `pack r` appends after the assembly objects.
//!
//! Everything gcc sees comes from the helper: the program is `CC` (a bare name from the plan's
//! toolchain, `gcc`) found in the system's binary directories, the flags are go's own plus the
//! package's `#cgo` lines, which are read here from the files on disk and checked against an
//! allow-list narrower than go's (`security.go`), paths included: `-I` / `-L` may only name the
//! sources, GOROOT or `$WORK`. No shell, a minimal environment, the same timeout as every tool.
//!
//! Not here: `pkg-config`, C++ / Objective-C / Fortran / SWIG files (core does not list them),
//! `CC`, `CGO_CFLAGS` and friends from the environment (go's defaults, `gcc` and `-O2 -g`, are
//! what core's action IDs hash), go's `-trimpath` flag, and the `-x` lines of these steps (core's
//! transcript prints none for its one `Step::Cgo`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use buildlab_core::constraint::{parse_expr, parse_plus_build_expr, BuildContext};
use buildlab_core::plan::{go_quote, ActionIx, PkgNode, Plan};
use buildlab_core::scan::{Lexer, Tok};

use crate::realtools::{clean_path, ExecContext, ExecError, ExecResult, ToolRun};

/// go's `DefaultCFlags`: CGO_CFLAGS and CGO_LDFLAGS when unset.
const DEFAULT_FLAGS: &[&str] = &["-O2", "-g"];

/// Where gcc may be found (the plan names it by its bare name, as `$CC` does).
const CC_DIRS: &[&str] = &["/usr/local/bin", "/usr/bin", "/bin"];

/// What the cgo steps leave for the rest of the action (real paths).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Compiled after the package's own Go files: `_cgo_gotypes.go`, each `X.cgo1.go`, and
    /// `_cgo_import.go` when the dynimport link worked.
    pub go_files: Vec<String>,
    /// Packed after the assembly objects: `_x001.o`… (or the `dynimportfail` marker).
    pub objects: Vec<String>,
}

/// The package's flags from its `#cgo` lines, in go/build's order (file by file).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CgoFlags {
    pub cppflags: Vec<String>,
    pub cflags: Vec<String>,
    pub ldflags: Vec<String>,
}

/// One package's cgo run: its files, directories and flags, resolved and checked.
struct Pkg<'p> {
    p: &'p PkgNode,
    /// The package directory on disk.
    dir: PathBuf,
    /// `$WORK/bNNN/` on disk, with its trailing slash (go's `objdir`).
    objdir: String,
    /// gcc's absolute path.
    cc: PathBuf,
    flags: CgoFlags,
    /// The files gcc compiles besides cgo's output (`gccfiles`), absolute.
    gccfiles: Vec<String>,
    /// go's `-frandom-seed`: the action ID part of the build ID.
    seed: String,
    /// `-ffile-prefix-map=GOROOT=/_/GOROOT` for standard packages (go's `p.Goroot` rule).
    goroot_map: Option<String>,
    /// `(real root, planned root)` when the plan names the sources where they are not (the
    /// API's planned root): cgo's `-trimpath` and gcc's prefix map write the planned one, as the
    /// compile's `-trimpath` does for Go files.
    src_map: Option<(String, String)>,
    /// go's working directory (the gcc link and `cgo -dynimport` run there).
    cwd: PathBuf,
    /// GOARCH: gcc's `-m64` / `-m32`.
    goarch: String,
    /// `.syso` files of the package and everything it depends on (sorted, unique).
    syso: Vec<String>,
}

/// Runs the cgo steps of build action `action` (its step `step_ix`). On a failing step the
/// result says so (`success` false, the tool's output in go's words) and `Ok(None)` comes back.
pub fn run(
    plan: &Plan,
    action: ActionIx,
    step_ix: usize,
    cx: &ExecContext,
    res: &mut ExecResult,
    action_start: Instant,
) -> Result<Option<Generated>, ExecError> {
    let pkg = match prepare(plan, action, cx) {
        Ok(p) => p,
        Err(Prep::Refused(e)) => return Err(e),
        Err(Prep::GoError(msg)) => {
            fail(res, step_ix, &msg);
            return Ok(None);
        }
    };
    let mut runner = Runner {
        cx,
        res,
        step_ix,
        action_start,
    };
    pkg.execute(&mut runner)
}

enum Prep {
    /// Something the helper will not run (a path outside the allowed roots, no gcc).
    Refused(ExecError),
    /// An error go itself reports for the package (bad `#cgo` line or flag, Go assembly).
    GoError(String),
}

fn fail(res: &mut ExecResult, step_ix: usize, msg: &str) {
    res.output.push_str(msg);
    if !msg.ends_with('\n') {
        res.output.push('\n');
    }
    res.success = false;
    res.failed_step = Some(step_ix);
}

/// Resolves everything the steps need before any of them runs.
fn prepare<'p>(plan: &'p Plan, action: ActionIx, cx: &ExecContext) -> Result<Pkg<'p>, Prep> {
    let refused = |m: String| Prep::Refused(ExecError::Refused(m));
    let p = plan
        .package(action)
        .ok_or_else(|| refused("cgo step without a package".into()))?;
    let x = plan.action(action);
    let objdir = x
        .objdir
        .ok_or_else(|| refused("cgo step without a work dir".into()))?;
    let objdir = cx.subst(&objdir.path());
    if !clean_path(Path::new(&objdir)).starts_with(cx.work) {
        return Err(refused(format!("cgo work dir {objdir:?} is outside $WORK")));
    }
    let dir = clean_path(Path::new(&cx.subst(&p.dir)));
    if !cx.readable.iter().any(|r| dir.starts_with(r)) {
        return Err(refused(format!(
            "cgo package directory {:?} is outside the sources",
            p.dir
        )));
    }
    for f in p
        .cgo_files
        .iter()
        .chain(&p.c_files)
        .chain(&p.s_files)
        .chain(&p.syso_files)
    {
        if !plain_file_name(f) {
            return Err(refused(format!("cgo input {f:?} is not a plain file name")));
        }
    }
    let tc = plan.toolchain();
    let cc = find_cc(&tc.cc).ok_or_else(|| {
        refused(format!(
            "C compiler {:?} not found in {}",
            tc.cc,
            CC_DIRS.join(":")
        ))
    })?;
    let mut ctx = BuildContext::new(&tc.goos, &tc.goarch);
    ctx.cgo_enabled = true;
    let mut flags = CgoFlags::default();
    for f in &p.cgo_files {
        let path = dir.join(f);
        let src = std::fs::read(&path)
            .map_err(|e| Prep::Refused(ExecError::Io(format!("read {}: {e}", path.display()))))?;
        read_cgo_lines(&src, &format!("{}/{f}", p.dir), &dir, &ctx, &mut flags)
            .map_err(Prep::GoError)?;
    }
    let roots: Vec<&Path> = cx
        .readable
        .iter()
        .map(PathBuf::as_path)
        .chain([cx.work])
        .collect();
    check_flags("CPPFLAGS", &flags.cppflags, &roots, false).map_err(Prep::GoError)?;
    check_flags("CFLAGS", &flags.cflags, &roots, false).map_err(Prep::GoError)?;
    check_flags("LDFLAGS", &flags.ldflags, &roots, true).map_err(Prep::GoError)?;
    let gccfiles = gcc_files(p, &dir).map_err(Prep::GoError)?;
    let seed = cx
        .build_id
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let goroot_map = p
        .standard
        .then(|| format!("-ffile-prefix-map={}=/_/GOROOT", tc.goroot));
    let cwd = clean_path(Path::new(&cx.subst(&plan.input().cwd)));
    if !(cwd.starts_with(cx.work) || cx.readable.iter().any(|r| cwd.starts_with(r))) {
        return Err(refused(format!(
            "cgo would run in {cwd:?}, outside $WORK and the sources"
        )));
    }
    Ok(Pkg {
        p,
        dir,
        objdir,
        cc,
        flags,
        gccfiles,
        seed,
        goroot_map,
        cwd,
        src_map: cx.src_map.map(|(planned, real)| {
            (
                real.to_string_lossy().trim_end_matches('/').to_string(),
                planned.trim_end_matches('/').to_string(),
            )
        }),
        goarch: tc.goarch.clone(),
        syso: syso_files(plan, action, cx),
    })
}

/// A file name from a package's lists: no directory part, no option look-alike.
fn plain_file_name(f: &str) -> bool {
    !f.is_empty() && !f.contains('/') && !f.starts_with('-') && f != "." && f != ".."
}

fn find_cc(name: &str) -> Option<PathBuf> {
    if !plain_file_name(name) || name.contains(char::is_whitespace) {
        return None;
    }
    CC_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// exec.go's `gccfiles`: the C files, plus the assembly files — all of them in a package using
/// cgo (which may not have Go assembly: go's error), only the `gcc_` ones in runtime/cgo.
fn gcc_files(p: &PkgNode, dir: &Path) -> Result<Vec<String>, String> {
    let abs = |f: &String| dir.join(f).to_string_lossy().into_owned();
    let mut v: Vec<String> = p.c_files.iter().map(abs).collect();
    if p.standard && p.import_path == "runtime/cgo" {
        v.extend(p.s_files.iter().filter(|f| f.starts_with("gcc_")).map(abs));
        return Ok(v);
    }
    for s in &p.s_files {
        if let Ok(data) = std::fs::read(dir.join(s)) {
            if is_go_assembly(&data) {
                return Err(format!("package using cgo has Go assembly file {s}"));
            }
        }
    }
    v.extend(p.s_files.iter().map(abs));
    Ok(v)
}

/// A line starting with TEXT, DATA or GLOBL: Go assembly, which gcc cannot assemble.
fn is_go_assembly(data: &[u8]) -> bool {
    ["TEXT", "DATA", "GLOBL"].iter().any(|w| {
        data.starts_with(w.as_bytes())
            || data
                .windows(w.len() + 1)
                .any(|x| x[0] == b'\n' && &x[1..] == w.as_bytes())
    })
}

/// dynimport's `gatherSyso`: the `.syso` files of the action's package and of every package it
/// depends on, sorted and unique.
fn syso_files(plan: &Plan, action: ActionIx, cx: &ExecContext) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![action];
    let mut out = BTreeSet::new();
    while let Some(a) = stack.pop() {
        if !seen.insert(a) {
            continue;
        }
        if let Some(p) = plan.package(a) {
            for f in p.syso_files.iter().filter(|f| plain_file_name(f)) {
                let path = clean_path(Path::new(&cx.subst(&format!("{}/{f}", p.dir))));
                if cx.readable.iter().any(|r| path.starts_with(r)) {
                    out.insert(path.to_string_lossy().into_owned());
                }
            }
        }
        stack.extend(plan.action(a).deps.iter().copied());
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// `#cgo` lines (go/build's saveCgo)
// ---------------------------------------------------------------------------------------------

/// Adds the flags of the `#cgo` lines in `src`'s `import "C"` preambles to `flags`, as go/build
/// does: conditions matched against `ctx`, arguments split as go splits them, `${SRCDIR}`
/// expanded, relative `-I` / `-L` made absolute. `name` is the file as go names it in errors.
pub fn read_cgo_lines(
    src: &[u8],
    name: &str,
    dir: &Path,
    ctx: &BuildContext,
    flags: &mut CgoFlags,
) -> Result<(), String> {
    for doc in preambles(src) {
        for orig in doc.lines() {
            let line = orig.trim();
            if line.len() < 5
                || !line.starts_with("#cgo")
                || !matches!(line.as_bytes()[4], b' ' | b'\t')
            {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() == 3 && matches!(fields[1], "nocallback" | "noescape") {
                continue;
            }
            let invalid = || format!("{name}: invalid #cgo line: {orig}");
            let (head, argstr) = line[4..].trim().split_once(':').ok_or_else(invalid)?;
            let f: Vec<&str> = head.split_whitespace().collect();
            let (verb, cond) = f.split_last().ok_or_else(invalid)?;
            if !cond.is_empty() && !cond.iter().any(|c| match_auto(c, ctx)) {
                continue;
            }
            let mut args = split_quoted(argstr).ok_or_else(invalid)?;
            for a in args.iter_mut() {
                *a = expand_src_dir(a, dir)
                    .ok_or_else(|| format!("{name}: malformed #cgo argument: {a}"))?;
            }
            if matches!(
                *verb,
                "CFLAGS" | "CPPFLAGS" | "CXXFLAGS" | "FFLAGS" | "LDFLAGS"
            ) {
                make_paths_absolute(&mut args, dir);
            }
            match *verb {
                "CFLAGS" => flags.cflags.extend(args),
                "CPPFLAGS" => flags.cppflags.extend(args),
                "LDFLAGS" => flags.ldflags.extend(args),
                // Only for files core does not list (C++, Fortran): nothing uses them.
                "CXXFLAGS" | "FFLAGS" => {}
                "pkg-config" => {
                    return Err(format!(
                        "{name}: #cgo pkg-config: not supported by Buildlab's real toolchain"
                    ))
                }
                _ => return Err(format!("{name}: invalid #cgo verb: {orig}")),
            }
        }
    }
    Ok(())
}

/// go/build's `matchAuto`: `//go:build` syntax when the text has an operator, else `// +build`.
fn match_auto(text: &str, ctx: &BuildContext) -> bool {
    let expr = if text.contains(['&', '|', '(', ')']) {
        parse_expr(text).ok()
    } else {
        parse_plus_build_expr(text).ok()
    };
    expr.is_some_and(|e| e.eval(&mut |tag| ctx.matches(tag)))
}

/// The text of each comment that is the doc comment of an `import "C"` (go/parser's lead
/// comment of the spec, or of a one-spec import declaration), comment markers removed.
fn preambles(src: &[u8]) -> Vec<String> {
    let mut errs = Vec::new();
    let mut lx = Lexer::new(src, &mut errs);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            src.iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line_of = |off: usize| starts.partition_point(|&s| s <= off);
    // The current comment group: its comments' texts and the line it ends on.
    let mut group: Vec<String> = Vec::new();
    let mut group_end = 0usize;
    // The lead comment of the token after the group, once that token is seen.
    let mut docs = Vec::new();
    let mut decl_doc: Option<String> = None;
    let mut in_import = false;
    let mut in_group = false;
    let mut specs_in_group = 0usize;
    let mut group_has_c: Option<Option<String>> = None;
    let mut steps = 0usize;
    loop {
        steps += 1;
        if steps > 1_000_000 {
            break;
        }
        let t = lx.scan(&mut errs);
        if t.tok == Tok::Comment {
            let start = line_of(t.offset);
            if group.is_empty() || start > group_end + 1 {
                group.clear();
            }
            group_end = start + t.lit.matches('\n').count();
            group.push(t.lit);
            continue;
        }
        let line = line_of(t.offset);
        let lead = (!group.is_empty() && group_end + 1 == line).then(|| comment_text(&group));
        group.clear();
        match t.tok {
            Tok::Eof => break,
            Tok::Keyword("import") => {
                in_import = true;
                decl_doc = lead;
            }
            Tok::Op("(") if in_import => {
                in_group = true;
                specs_in_group = 0;
                group_has_c = None;
            }
            Tok::Op(")") if in_group => {
                if let Some(doc) = group_has_c.take() {
                    match doc {
                        Some(d) => docs.push(d),
                        None if specs_in_group == 1 => docs.extend(decl_doc.take()),
                        None => {}
                    }
                }
                in_group = false;
                in_import = false;
            }
            Tok::String if in_group => {
                specs_in_group += 1;
                if t.lit == "\"C\"" || t.lit == "`C`" {
                    group_has_c = Some(lead);
                }
            }
            Tok::Ident if in_group => {
                // An import name (`x "path"`): the spec's doc is this token's lead comment.
                specs_in_group += 1;
                let next = lx.scan(&mut errs);
                if next.tok == Tok::String && (next.lit == "\"C\"" || next.lit == "`C`") {
                    group_has_c = Some(lead);
                }
            }
            Tok::String if in_import => {
                if t.lit == "\"C\"" || t.lit == "`C`" {
                    docs.extend(decl_doc.take());
                }
                in_import = false;
            }
            Tok::Op(";") if in_group => {}
            Tok::Op(";") => {}
            Tok::Keyword(k) if k != "import" => {
                if !in_group {
                    in_import = false;
                }
                // Imports end at the first other declaration.
                if matches!(k, "func" | "var" | "const" | "type") {
                    break;
                }
            }
            _ if !in_group => in_import = false,
            _ => {}
        }
    }
    docs
}

/// go/ast's `CommentGroup.Text` for the `#cgo` lines' purpose: markers removed, trailing blanks
/// cut, one line per line.
fn comment_text(group: &[String]) -> String {
    let mut out = String::new();
    for c in group {
        // `//x` loses its marker and one space after it; `/*…*/` only its markers.
        let body = if let Some(b) = c.strip_prefix("//") {
            b.strip_prefix(' ').unwrap_or(b)
        } else {
            c.strip_prefix("/*")
                .and_then(|b| b.strip_suffix("*/"))
                .unwrap_or(c)
        };
        for line in body.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// go/build's `splitQuoted`: fields split at spaces, `'…'` and `"…"` quoting, `\` escapes.
/// `None` for an unterminated quote or a trailing backslash.
fn split_quoted(s: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut arg = String::new();
    let (mut escaped, mut quoted, mut quote) = (false, false, '\0');
    for r in s.chars() {
        if escaped {
            escaped = false;
        } else if r == '\\' {
            escaped = true;
            continue;
        } else if quote != '\0' {
            if r == quote {
                quote = '\0';
                continue;
            }
        } else if r == '"' || r == '\'' {
            quoted = true;
            quote = r;
            continue;
        } else if r.is_whitespace() {
            if quoted || !arg.is_empty() {
                args.push(std::mem::take(&mut arg));
                quoted = false;
            }
            continue;
        }
        arg.push(r);
    }
    if quoted || !arg.is_empty() {
        args.push(arg);
    }
    (quote == '\0' && !escaped).then_some(args)
}

/// go/build's `safeCgoName`: the characters a `#cgo` argument may have.
fn safe_cgo_name(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    const SAFE: &str =
        "+-.,/0123456789=ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz:$@%! ~^";
    if s.starts_with('-') && s.len() == 1 {
        return false;
    }
    s.chars().all(|c| !c.is_ascii() || SAFE.contains(c))
}

/// go/build's `expandSrcDir`: `${SRCDIR}` replaced by the package directory, the result checked.
fn expand_src_dir(s: &str, dir: &Path) -> Option<String> {
    let d = dir.to_string_lossy();
    let chunks: Vec<&str> = s.split("${SRCDIR}").collect();
    if chunks.len() < 2 {
        return safe_cgo_name(s).then(|| s.to_string());
    }
    let ok = chunks.iter().all(|c| c.is_empty() || safe_cgo_name(c)) && safe_cgo_name(&d);
    ok.then(|| chunks.join(&d))
}

/// go/build's `makePathsAbsolute`: `-I x`, `-Ix`, `-L x`, `-Lx` relative to the package.
fn make_paths_absolute(args: &mut [String], dir: &Path) {
    let mut next_is_dir = false;
    for a in args.iter_mut() {
        if next_is_dir {
            if !a.starts_with('/') {
                *a = dir.join(&*a).to_string_lossy().into_owned();
            }
            next_is_dir = false;
        } else if a == "-I" || a == "-L" {
            next_is_dir = true;
        } else if let Some(rest) = a.strip_prefix("-I").or_else(|| a.strip_prefix("-L")) {
            if !rest.starts_with('/') {
                let flag = &a[..2];
                *a = format!("{flag}{}", dir.join(rest).to_string_lossy());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The allow-list (a subset of go's security.go)
// ---------------------------------------------------------------------------------------------

/// Checks a package's `#cgo` flags of kind `name` (`CFLAGS`, `LDFLAGS`…): only flags that change
/// how code is compiled or which system library is linked, never one that loads a plugin, runs
/// a program, writes elsewhere or reads outside `roots`. Errors in go's words.
pub fn check_flags(
    name: &str,
    list: &[String],
    roots: &[&Path],
    linker: bool,
) -> Result<(), String> {
    let bad = |a: &str| Err(format!("invalid flag in #cgo {name}: {a}"));
    let in_roots = |p: &str| {
        let c = clean_path(Path::new(p));
        p.starts_with('/') && roots.iter().any(|r| c.starts_with(r))
    };
    let mut i = 0;
    while i < list.len() {
        let a = list[i].as_str();
        if a.starts_with('@') || a.contains("..") {
            return bad(a);
        }
        if a == "-I" || (linker && a == "-L") || (!linker && matches!(a, "-D" | "-U")) {
            match list.get(i + 1) {
                Some(v) if !v.starts_with('-') && !v.starts_with('@') => {
                    if matches!(a, "-I" | "-L") && !in_roots(v) {
                        let why = "outside the sources, GOROOT and $WORK";
                        return Err(format!("invalid flag in #cgo {name}: {a} {v} ({why})"));
                    }
                    if matches!(a, "-D" | "-U") && !macro_arg(v) {
                        return bad(&format!("{a} {v}"));
                    }
                    i += 2;
                    continue;
                }
                _ => return Err(format!("invalid flag in #cgo {name}: {a} without argument")),
            }
        }
        let ok = if linker {
            linker_flag_ok(a, &in_roots)
        } else {
            compiler_flag_ok(a, &in_roots)
        };
        if !ok {
            return bad(a);
        }
        i += 1;
    }
    Ok(())
}

/// `NAME` or `NAME=value` for `-D` (no option look-alike value).
fn macro_arg(v: &str) -> bool {
    let (name, value) = v.split_once('=').unwrap_or((v, ""));
    ident(name) && !value.starts_with('-') && !value.contains('@')
}

fn ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn compiler_flag_ok(a: &str, in_roots: &dyn Fn(&str) -> bool) -> bool {
    if let Some(v) = a.strip_prefix("-D") {
        return macro_arg(v);
    }
    if let Some(v) = a.strip_prefix("-U") {
        return ident(v);
    }
    if let Some(p) = a.strip_prefix("-I") {
        return in_roots(p);
    }
    if let Some(w) = a.strip_prefix("-W") {
        // Warnings (-Wall, -Wno-x, -Werror); never -Wa, / -Wp, / -Wl, (options for other tools).
        return !w.contains([',', '@']);
    }
    if let Some(o) = a.strip_prefix("-O") {
        return !o.starts_with(['-', '@']);
    }
    if let Some(g) = a.strip_prefix("-g") {
        return !g.starts_with(['-', '@']) && !g.contains('=');
    }
    if let Some(s) = a.strip_prefix("-std=") {
        return !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+');
    }
    if let Some(m) = a.strip_prefix("-m") {
        return matches!(
            m,
            "32" | "64"
                | "sse2"
                | "sse3"
                | "ssse3"
                | "sse4"
                | "sse4.1"
                | "sse4.2"
                | "avx"
                | "avx2"
                | "aes"
                | "no-avx"
                | "no-sse"
        ) || ["arch=", "tune=", "cpu=", "fpu="].iter().any(|k| {
            m.strip_prefix(k).is_some_and(|v| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            })
        });
    }
    if let Some(f) = a.strip_prefix("-f") {
        let f = f.strip_prefix("no-").unwrap_or(f);
        return matches!(
            f,
            "asynchronous-unwind-tables"
                | "common"
                | "exceptions"
                | "fast-math"
                | "inline-functions"
                | "omit-frame-pointer"
                | "pic"
                | "PIC"
                | "pie"
                | "PIE"
                | "plt"
                | "strict-aliasing"
                | "signed-char"
                | "unsigned-char"
                | "stack-protector"
                | "stack-protector-strong"
                | "stack-protector-all"
                | "stack-check"
                | "builtin"
                | "eliminate-unused-debug-types"
        ) || f
            .strip_prefix("visibility=")
            .is_some_and(|v| matches!(v, "default" | "hidden" | "internal" | "protected"))
            || f.strip_prefix("message-length=")
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()));
    }
    matches!(
        a,
        "-W" | "-O" | "-ansi" | "-pedantic" | "-pedantic-errors" | "-pipe" | "-pthread" | "-w"
    )
}

fn linker_flag_ok(a: &str, in_roots: &dyn Fn(&str) -> bool) -> bool {
    if let Some(lib) = a.strip_prefix("-l") {
        return !lib.is_empty()
            && !lib.starts_with(['-', '@'])
            && lib
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'))
            && !a.starts_with("-lto_library");
    }
    if let Some(p) = a.strip_prefix("-L") {
        return in_roots(p);
    }
    if let Some(o) = a.strip_prefix("-O") {
        return !o.starts_with(['-', '@']);
    }
    if let Some(g) = a.strip_prefix("-g") {
        return !g.starts_with(['-', '@']) && !g.contains('=');
    }
    matches!(
        a,
        "-O" | "-pthread"
            | "-rdynamic"
            | "-fPIC"
            | "-fpic"
            | "-fPIE"
            | "-fpie"
            | "-pie"
            | "-no-pie"
            | "-static-libgcc"
            | "-m32"
            | "-m64"
    ) || matches!(
        a,
        "-Wl,--as-needed"
            | "-Wl,--no-as-needed"
            | "-Wl,-Bstatic"
            | "-Wl,-Bdynamic"
            | "-Wl,--start-group"
            | "-Wl,--end-group"
    )
}

// ---------------------------------------------------------------------------------------------
// Running the steps
// ---------------------------------------------------------------------------------------------

/// Runs processes for one action and records them in its result.
struct Runner<'a, 'c> {
    cx: &'a ExecContext<'c>,
    res: &'a mut ExecResult,
    step_ix: usize,
    action_start: Instant,
}

impl Runner<'_, '_> {
    /// Runs `prog args` in `dir`; its output goes to the action's output unless `quiet` (go
    /// shows a failed dynimport link only under -x). `Ok(false)` when it failed.
    fn run(
        &mut self,
        tool: &str,
        prog: &Path,
        args: &[String],
        dir: &Path,
        env: &[(&str, &str)],
        quiet: bool,
    ) -> Result<bool, ExecError> {
        let mut cmd = std::process::Command::new(prog);
        cmd.args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.cx.work)
            .env("TMPDIR", self.cx.work)
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = crate::realtools::run_with_timeout(cmd, self.cx.timeout)
            .map_err(|e| ExecError::Io(format!("{tool}: {e}")))?;
        let took = started.elapsed();
        self.res.tool_time += took;
        self.res.runs.push(ToolRun {
            tool: tool.to_string(),
            start: started - self.action_start,
            took,
            internal: false,
        });
        self.res.processes += 1;
        if !quiet {
            self.res
                .output
                .push_str(&String::from_utf8_lossy(&out.stdout));
            self.res
                .output
                .push_str(&String::from_utf8_lossy(&out.stderr));
        }
        if !out.status.success() && !quiet {
            self.res.success = false;
            self.res.failed_step = Some(self.step_ix);
        }
        Ok(out.status.success())
    }
}

impl Pkg<'_> {
    fn execute(&self, r: &mut Runner) -> Result<Option<Generated>, ExecError> {
        let p = self.p;
        let objdir = &self.objdir;
        let cgo_exe = r.cx.tooldir.join("cgo");
        // cgo: CPPFLAGS (+ -I objdir) and CFLAGS after `--`, LDFLAGS quoted in -ldflags.
        let mut cppflags = self.flags.cppflags.clone();
        cppflags.extend(["-I".to_string(), objdir.clone()]);
        let mut cflags: Vec<String> = DEFAULT_FLAGS.iter().map(|s| s.to_string()).collect();
        cflags.extend(self.flags.cflags.iter().cloned());
        let mut ldflags: Vec<String> = DEFAULT_FLAGS.iter().map(|s| s.to_string()).collect();
        ldflags.extend(self.flags.ldflags.iter().cloned());
        let mut args = vec![
            "-objdir".to_string(),
            objdir.clone(),
            "-importpath".into(),
            p.import_path.clone(),
        ];
        if p.standard && p.import_path == "runtime/cgo" {
            args.push("-import_runtime_cgo=false".into());
        }
        if p.standard
            && matches!(
                p.import_path.as_str(),
                "runtime/race" | "runtime/msan" | "runtime/cgo" | "runtime/asan"
            )
        {
            args.push("-import_syscall=false".into());
        }
        if let Some((real, planned)) = &self.src_map {
            args.extend(["-trimpath".to_string(), format!("{real}=>{planned}")]);
        }
        let quoted: Vec<String> = ldflags.iter().map(|f| go_quote(f.as_bytes())).collect();
        args.push(format!("-ldflags={}", quoted.join(" ")));
        args.push("--".into());
        args.extend(cppflags.iter().cloned());
        args.extend(cflags.iter().cloned());
        args.extend(
            p.cgo_files
                .iter()
                .map(|f| self.dir.join(f).to_string_lossy().into_owned()),
        );
        let cc = self.cc.to_string_lossy().into_owned();
        let cgo_env = [("TERM", "dumb"), ("CGO_LDFLAGS", ""), ("CC", cc.as_str())];
        if !r.run("cgo", &cgo_exe, &args, &self.dir, &cgo_env, false)? {
            return Ok(None);
        }
        let mut out = Generated::default();
        out.go_files.push(format!("{objdir}_cgo_gotypes.go"));
        let mut cfiles = vec![format!("{objdir}_cgo_export.c")];
        for f in &p.cgo_files {
            let base = f.strip_suffix(".go").unwrap_or(f);
            out.go_files.push(format!("{objdir}{base}.cgo1.go"));
            cfiles.push(format!("{objdir}{base}.cgo2.c"));
        }
        // gcc: cgo's C files, then the package's own, each into the next _xNNN.o.
        let mut cflags_all = cppflags.clone();
        cflags_all.extend(cflags.iter().cloned());
        for (i, file) in cfiles.iter().chain(&self.gccfiles).enumerate() {
            let ofile = format!("{objdir}_x{:03}.o", i + 1);
            if !self.ccompile(r, &ofile, &cflags_all, file)? {
                return Ok(None);
            }
            out.objects.push(ofile);
        }
        // dynimport: _cgo_main.o linked with the objects; cgo -dynimport reads its imports.
        let main_o = format!("{objdir}_cgo_main.o");
        if !self.ccompile(r, &main_o, &cflags_all, &format!("{objdir}_cgo_main.c"))? {
            return Ok(None);
        }
        let dynobj = format!("{objdir}_cgo_.o");
        let mut link = self.compiler_cmd(r);
        link.extend(["-o".to_string(), dynobj.clone(), main_o]);
        link.extend(out.objects.iter().cloned());
        link.extend(self.syso.iter().cloned());
        link.extend(ldflags.iter().cloned());
        let term = [("TERM", "dumb")];
        if !r.run("gcc", &self.cc, &link, &self.cwd, &term, true)? {
            // Only internal linking needs the imports; the marker makes the linker go external.
            let fail = format!("{objdir}dynimportfail");
            std::fs::write(&fail, b"").map_err(|e| ExecError::Io(format!("write {fail}: {e}")))?;
            out.objects.push(fail);
        } else {
            let import_go = format!("{objdir}_cgo_import.go");
            let mut dynargs = vec![
                "-dynpackage".to_string(),
                p.name.clone(),
                "-dynimport".into(),
                dynobj,
                "-dynout".into(),
                import_go.clone(),
            ];
            if p.standard && p.import_path == "runtime/cgo" {
                dynargs.push("-dynlinker".into());
            }
            if !r.run("cgo", &cgo_exe, &dynargs, &self.cwd, &term, false)? {
                return Ok(None);
            }
            out.go_files.push(import_go);
        }
        if let Err(msg) = check_generated_ldflags(&out.go_files, &ldflags) {
            fail(r.res, r.step_ix, &msg);
            return Ok(None);
        }
        Ok(Some(out))
    }

    /// go's `compilerCmd(CC, p.Dir, objdir)`: the flags every gcc run of the package starts with.
    fn compiler_cmd(&self, r: &Runner) -> Vec<String> {
        let cc = self.cc.to_string_lossy().into_owned();
        let mut a = vec![
            "-I".to_string(),
            self.dir.to_string_lossy().into_owned(),
            "-fPIC".into(),
        ];
        match self.goarch.as_str() {
            "amd64" => a.push("-m64".into()),
            "386" => a.push("-m32".into()),
            _ => {}
        }
        a.push("-pthread".into());
        for flag in [
            "-fno-caret-diagnostics",
            "-Qunused-arguments",
            "-Wl,--no-gc-sections",
        ] {
            if supports(&cc, flag, r.cx.work) {
                a.push(flag.into());
            }
        }
        a.push("-fmessage-length=0".into());
        if supports(&cc, "-fdebug-prefix-map=a=b", r.cx.work) {
            let wd = self.objdir.trim_end_matches('/');
            let kind = if supports(&cc, "-ffile-prefix-map=a=b", r.cx.work) {
                "file"
            } else {
                "debug"
            };
            a.push(format!("-f{kind}-prefix-map={wd}=/tmp/go-build"));
        }
        if supports(&cc, "-gno-record-gcc-switches", r.cx.work) {
            a.push("-gno-record-gcc-switches".into());
        }
        a
    }

    /// go's `ccompile`: gcc on one file, run in the file's directory.
    fn ccompile(
        &self,
        r: &mut Runner,
        ofile: &str,
        flags: &[String],
        file: &str,
    ) -> Result<bool, ExecError> {
        let cc = self.cc.to_string_lossy().into_owned();
        let mut args = self.compiler_cmd(r);
        args.extend(flags.iter().cloned());
        // Source paths as go would record them: GOROOT as /_/GOROOT (go's `p.Goroot` rule), and
        // the sources' real copy as the planned root.
        let maps = self.goroot_map.iter().cloned().chain(
            self.src_map
                .iter()
                .map(|(real, planned)| format!("-ffile-prefix-map={real}={planned}")),
        );
        if supports(&cc, "-fdebug-prefix-map=a=b", r.cx.work) {
            let file_map = supports(&cc, "-ffile-prefix-map=a=b", r.cx.work);
            for m in maps {
                args.push(if file_map {
                    m
                } else {
                    m.replace("-ffile-", "-fdebug-")
                });
            }
        }
        if supports(&cc, "-frandom-seed=1", r.cx.work) && !self.seed.is_empty() {
            args.push(format!("-frandom-seed={}", self.seed));
        }
        let path = Path::new(file);
        let (dir, base) = match (path.parent(), path.file_name()) {
            (Some(d), Some(b)) => (d.to_path_buf(), b.to_string_lossy().into_owned()),
            _ => {
                return Err(ExecError::Refused(format!(
                    "gcc input {file:?} has no directory"
                )))
            }
        };
        args.extend(["-o".to_string(), ofile.to_string(), "-c".into(), base]);
        r.run("gcc", &self.cc, &args, &dir, &[("TERM", "dumb")], false)
    }
}

/// The backstop go keeps after cgo: `//go:cgo_ldflag` lines in the generated `_cgo_*` files may
/// carry only the package's own LDFLAGS (already checked) and otherwise allowed flags.
fn check_generated_ldflags(go_files: &[String], ldflags: &[String]) -> Result<(), String> {
    const DIRECTIVE: &str = "//go:cgo_ldflag";
    let mut flags = Vec::new();
    for f in go_files {
        let base = Path::new(f)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if !base.starts_with("_cgo_") {
            continue;
        }
        let Ok(src) = std::fs::read_to_string(f) else {
            continue;
        };
        for line in src.lines() {
            if let Some(rest) = line.trim_start().strip_prefix(DIRECTIVE) {
                flags.push(rest.trim().trim_matches('"').to_string());
            }
        }
    }
    if !ldflags.is_empty() {
        if let Some(i) = (0..flags.len()).find(|&i| flags[i..].starts_with(ldflags)) {
            flags.drain(i..i + ldflags.len());
        }
    }
    check_flags("LDFLAGS", &flags, &[], true)
        .map_err(|e| e.replace("#cgo LDFLAGS", "go:cgo_ldflag"))
}

/// go's `gccSupportsFlag`: `CC FLAG -O2 -g [-c] -x c - -o /dev/null` on empty input, supported
/// unless gcc complains about the flag. Asked once per compiler and flag for the helper's life
/// (go keeps the answer in its cache).
fn supports(cc: &str, flag: &str, work: &Path) -> bool {
    static ANSWERS: OnceLock<Mutex<HashMap<(String, String), bool>>> = OnceLock::new();
    let answers = ANSWERS.get_or_init(Default::default);
    let key = (cc.to_string(), flag.to_string());
    if let Some(&b) = answers
        .lock()
        .ok()
        .and_then(|m| m.get(&key).copied())
        .as_ref()
    {
        return b;
    }
    let mut cmd = std::process::Command::new(cc);
    cmd.arg(flag).args(DEFAULT_FLAGS);
    if !flag.starts_with("-Wl,") {
        cmd.arg("-c");
    }
    cmd.args(["-x", "c", "-", "-o", "/dev/null"])
        .current_dir(work)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C")
        .env("TMPDIR", work)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = crate::realtools::run_with_timeout(cmd, Duration::from_secs(60));
    let ok = match out {
        Ok(o) => {
            let text = [o.stdout, o.stderr].concat();
            let text = String::from_utf8_lossy(&text);
            ![
                "unrecognized",
                "unknown",
                "unrecognised",
                "is not supported",
                "not recognized",
                "unsupported",
            ]
            .iter()
            .any(|w| text.contains(w))
        }
        Err(_) => false,
    };
    if let Ok(mut m) = answers.lock() {
        m.insert(key, ok);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> BuildContext {
        let mut c = BuildContext::new("linux", "amd64");
        c.cgo_enabled = true;
        c
    }

    #[test]
    fn preamble_flags_of_a_single_import() {
        let src = b"package p\n\n/*\n#cgo CFLAGS: -DX=1 -Wall\n#cgo linux LDFLAGS: -lm\n#cgo windows LDFLAGS: -lws2_32\n#include <math.h>\n*/\nimport \"C\"\n\nfunc F() {}\n";
        let mut f = CgoFlags::default();
        read_cgo_lines(src, "p/a.go", Path::new("/src/p"), &ctx(), &mut f).unwrap();
        assert_eq!(f.cflags, ["-DX=1", "-Wall"]);
        assert_eq!(f.ldflags, ["-lm"]);
    }

    #[test]
    fn only_the_comment_right_above_import_c_counts() {
        // A blank line between the comment and the import: no preamble (go/parser's lead rule).
        let src = b"package p\n\n// #cgo LDFLAGS: -lm\n\nimport \"C\"\n";
        let mut f = CgoFlags::default();
        read_cgo_lines(src, "a.go", Path::new("/s"), &ctx(), &mut f).unwrap();
        assert!(f.ldflags.is_empty());
        // In a group, the spec's own doc comment.
        let src = b"package p\n\nimport (\n\t\"fmt\"\n\t// #cgo LDFLAGS: -lz\n\t\"C\"\n)\n";
        read_cgo_lines(src, "a.go", Path::new("/s"), &ctx(), &mut f).unwrap();
        assert_eq!(f.ldflags, ["-lz"]);
    }

    #[test]
    fn conditions_quotes_srcdir_and_relative_paths() {
        let src = b"package p\n// #cgo linux,amd64 CPPFLAGS: -I inc -I${SRCDIR}/x \"-DNAME=a b\"\n// #cgo !linux CFLAGS: -DNO\n// #cgo linux && !arm64 LDFLAGS: -Llib\nimport \"C\"\n";
        let mut f = CgoFlags::default();
        read_cgo_lines(src, "a.go", Path::new("/s/p"), &ctx(), &mut f).unwrap();
        assert_eq!(f.cppflags, ["-I", "/s/p/inc", "-I/s/p/x", "-DNAME=a b"]);
        assert!(f.cflags.is_empty());
        assert_eq!(f.ldflags, ["-L/s/p/lib"]);
    }

    #[test]
    fn bad_lines_are_go_s_errors() {
        let mut f = CgoFlags::default();
        let e = read_cgo_lines(
            b"package p\n// #cgo CFLAGS -O2\nimport \"C\"\n",
            "d/a.go",
            Path::new("/d"),
            &ctx(),
            &mut f,
        )
        .unwrap_err();
        assert_eq!(e, "d/a.go: invalid #cgo line: #cgo CFLAGS -O2");
        let e = read_cgo_lines(
            b"package p\n// #cgo BOGUS: x\nimport \"C\"\n",
            "d/a.go",
            Path::new("/d"),
            &ctx(),
            &mut f,
        )
        .unwrap_err();
        assert_eq!(e, "d/a.go: invalid #cgo verb: #cgo BOGUS: x");
        let e = read_cgo_lines(
            b"package p\n// #cgo CFLAGS: -D`x`\nimport \"C\"\n",
            "d/a.go",
            Path::new("/d"),
            &ctx(),
            &mut f,
        )
        .unwrap_err();
        assert_eq!(e, "d/a.go: malformed #cgo argument: -D`x`");
    }

    #[test]
    fn the_allow_list_refuses_what_could_load_run_or_reach_out() {
        let roots = [Path::new("/src"), Path::new("/work")];
        let ok = |name: &str, f: &[&str], l: bool| {
            check_flags(
                name,
                &f.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &roots,
                l,
            )
        };
        assert!(ok(
            "CFLAGS",
            &[
                "-O2",
                "-g",
                "-Wall",
                "-Werror",
                "-fno-stack-protector",
                "-DX=1",
                "-I",
                "/src/inc",
                "-std=c99",
                "-m64"
            ],
            false
        )
        .is_ok());
        assert!(ok(
            "LDFLAGS",
            &["-lpthread", "-lresolv", "-L/src/lib", "-pthread"],
            true
        )
        .is_ok());
        for bad in [
            "-fplugin=/tmp/x.so",
            "-Wl,-rpath,/x",
            "-Wa,-o,/tmp/x",
            "@/etc/passwd",
            "-o",
            "-B/tmp",
            "-I/etc",
            "-specs=/x",
            "-include",
            "-I/src/../etc",
        ] {
            let e = ok("CFLAGS", &[bad], false).unwrap_err();
            assert!(e.starts_with("invalid flag in #cgo CFLAGS: "), "{bad}: {e}");
        }
        for bad in [
            "-Wl,--wrap=x",
            "-L/usr/lib",
            "-fuse-ld=/tmp/ld",
            "-lto_library",
            "-T",
            "/tmp/x.o",
            "-Wl,-plugin,x.so",
        ] {
            assert!(ok("LDFLAGS", &[bad], true).is_err(), "{bad}");
        }
        assert!(ok("CFLAGS", &["-I"], false).is_err());
    }

    #[test]
    fn go_assembly_is_recognised() {
        assert!(is_go_assembly(
            b"#include \"textflag.h\"\nTEXT \xc2\xb7f(SB),0,$0\n"
        ));
        assert!(!is_go_assembly(b".globl f\nf:\n\tret\n"));
    }

    #[test]
    fn split_quoted_as_go() {
        assert_eq!(
            split_quoted(r#"a "b c" 'd e' f\ g"#).unwrap(),
            ["a", "b c", "d e", "f g"]
        );
        assert_eq!(split_quoted("\"\"").unwrap(), [""]);
        assert!(split_quoted("\"open").is_none());
    }

    /// The standard library's `#cgo` lines, read from GOROOT, give the flags `go list` reports
    /// (core's std graph keeps them: `cgocflags` / `cgoldflags`).
    #[test]
    fn std_cgo_flags_match_go_list() {
        let goroot = Path::new("/usr/lib/go-1.23/src");
        if !goroot.is_dir() {
            eprintln!("note: GOROOT sources absent; skipping");
            return;
        }
        for (pkg, files, cflags, ldflags) in [
            (
                "runtime/cgo",
                &["cgo.go"][..],
                &["-Wall", "-Werror", "-fno-stack-protector"][..],
                &["-lpthread"][..],
            ),
            (
                "net",
                &[
                    "cgo_linux.go",
                    "cgo_resnew.go",
                    "cgo_socknew.go",
                    "cgo_unix_cgo.go",
                    "cgo_unix_cgo_res.go",
                ][..],
                &["-fno-stack-protector"][..],
                &["-lresolv"][..],
            ),
        ] {
            let dir = goroot.join(pkg);
            let mut f = CgoFlags::default();
            for file in files {
                let src = std::fs::read(dir.join(file)).unwrap();
                read_cgo_lines(&src, file, &dir, &ctx(), &mut f).unwrap();
            }
            assert_eq!(f.cflags, cflags, "{pkg}");
            assert_eq!(f.ldflags, ldflags, "{pkg}");
        }
    }
}
