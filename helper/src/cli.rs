//! The terminal commands that stand in for the go command over a real directory:
//! `buildlab build [go build flags] [packages]`, `buildlab clean -cache`, `buildlab env VAR…`.
//!
//! They run the same core the page runs: discovery of the module ([`crate::dirsource`]), load,
//! plan, and [`buildlab_core::build::simulate`] with the simulated toolchain, against a
//! GOCACHE-layout directory on disk ([`crate::diskcache`]). Output and exit status are go's: the
//! `-x` / `-n` transcript and compile errors on stderr, usage errors with status 2, build
//! failures with 1. The binary is written where go writes it (the package's default name in the
//! current directory, or `-o`), carrying its simulated build ID so that the next build finds it
//! current; the why-rebuilt record is kept beside the cache. The simulated machine has gcc, so
//! cgo is on unless `CGO_ENABLED=0` (go's rule: `0` or `1` decides, other values are ignored).
//!
//! `build --real` runs the same session with the real Go tools ([`crate::realbuild`]): the plan
//! is made for the detected Go ([`crate::godetect`]) with its own `CGO_ENABLED` (go's rule: the
//! environment's `0` or `1`, else on when gcc is found; packages using cgo then run cgo and gcc,
//! [`crate::realcgo`]), `$WORK` is a real private directory (kept with `-work`), the real
//! archives are stored under `$GOCACHE/buildlab/real` (a GOCACHE layout of its own: simulated
//! and real outputs share action IDs, so they must not share entries), and the real binary is
//! installed where go puts it.
//!
//! `-v` prints each compiled package's import path (in the transcript, as go does). `-work`
//! keeps `$WORK`: a real directory under the system's temporary directory holding what go leaves
//! there ([`keep_work_tree`]); without it the simulation creates no directory at all.
//!
//! Not here: go's other commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use buildlab_core::actionid::{DigestedFiles, WorkspaceFiles};
use buildlab_core::build::{simulate, BuildResult, Config};
use buildlab_core::cache::Cache;
use buildlab_core::cost::{CostModel, Machine};
use buildlab_core::load::{load, LoadRequest};
use buildlab_core::plan::{plan, BuildMode, Mode, Plan, Toolchain};
use buildlab_core::schedule;
use buildlab_core::transcript::{self, RenderInput, RunOutcome, WorkEntry};
use buildlab_core::workspace::Workspace;

use crate::dirsource::discover;
use crate::diskcache::{self, DiskCache, DiskFs};
use crate::goflags::BuildFlags;

/// What a command printed and its exit status (kept apart from the process for tests).
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub status: u8,
}

impl Output {
    fn err(msg: impl Into<String>, status: u8) -> Output {
        let mut stderr = msg.into();
        if !stderr.ends_with('\n') {
            stderr.push('\n');
        }
        Output {
            stdout: String::new(),
            stderr,
            status,
        }
    }

    /// Print and return the exit status.
    pub fn emit(self) -> u8 {
        let _ = std::io::stdout().write_all(self.stdout.as_bytes());
        let _ = std::io::stderr().write_all(self.stderr.as_bytes());
        self.status
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn cache_dir() -> Result<PathBuf, Output> {
    diskcache::gocache().ok_or_else(|| {
        Output::err(
            "go: GOCACHE is not defined and neither $XDG_CACHE_HOME nor $HOME are defined",
            1,
        )
    })
}

/// `-o`: a directory when it ends in `/` or names one, else the binary's path.
fn output_mode(flags: &BuildFlags, cwd: &Path) -> BuildMode {
    flags.mode(|o| cwd.join(o).is_dir())
}

/// Load and plan, with go's load and plan errors (exit status 1) after `WORK=` (go's builder
/// makes the work directory, and prints the line under `-x` or `-work`, before it loads), and
/// the load's warnings (`go: warning: "x/..." matched no packages`) for the transcript.
fn load_and_plan(
    ws: &Workspace,
    req: &LoadRequest,
    tc: &Toolchain,
    flags: &BuildFlags,
    work: &Path,
) -> Result<(Plan, Vec<String>), Output> {
    let failed = |text: String| {
        let line = transcript::work_line(flags.print(), &work.to_string_lossy());
        Output::err(line.unwrap_or_default() + &text, 1)
    };
    let loaded = load(ws, req).map_err(|e| failed(e.to_string()))?;
    let warnings = loaded.warnings;
    let p = plan(loaded.input, tc).map_err(|errs| {
        let text: Vec<String> = warnings
            .iter()
            .cloned()
            .chain(errs.iter().map(|e| e.to_string()))
            .collect();
        failed(text.join("\n"))
    })?;
    Ok((p, warnings))
}

/// What a build keeps between runs: the binary in place and the why-rebuilt record.
struct Kept {
    /// Where go installs the binary, if the build installs one.
    target: Option<PathBuf>,
    /// That binary's build ID, when one is there.
    target_id: Option<String>,
    record_path: PathBuf,
    record: buildlab_core::rebuild::Record,
}

impl Kept {
    fn read(plan: &Plan, cwd: &Path, cache_root: &Path, module_root: &Path) -> Kept {
        // The install's target: the root's, or under `-o DIR/` (where the root is the `go build`
        // action above the install) the one install's.
        let mut installs = plan.actions().filter(|(_, x)| x.mode == Mode::LinkInstall);
        let target = match (installs.next(), installs.next()) {
            (Some((_, x)), None) => x.target.as_ref().map(|t| cwd.join(t)),
            _ => None,
        };
        let target_id = target.as_deref().and_then(read_build_id);
        let record_path = diskcache::record_path(cache_root, module_root);
        let record = diskcache::load_record(&record_path);
        Kept {
            target,
            target_id,
            record_path,
            record,
        }
    }
}

/// The session's settings from the flags.
fn config(flags: &BuildFlags, workers: usize, now: i64, work: &Path, gocache: &Path) -> Config {
    let mut cfg = Config {
        print: flags.print(),
        verbose: flags.v,
        workers,
        now,
        work_dir: work.to_string_lossy().into_owned(),
        gocache: gocache.to_string_lossy().into_owned(),
        ..Config::default()
    };
    cfg.flags.force = flags.a;
    cfg
}

/// `$WORK`: a real directory when something will be left in it or run in it (`real`, or
/// `-work`), else only a name (the simulation writes nothing there; `-n` never creates it).
fn work_dir(flags: &BuildFlags, real: bool, now: i64) -> Result<PathBuf, Output> {
    let tmp = std::env::temp_dir();
    if flags.n || !(real || flags.work) {
        return Ok(tmp.join(format!("go-build{}", now.rem_euclid(1_000_000_000))));
    }
    make_work_dir(&tmp).map_err(|e| Output::err(format!("go: creating work dir: {e}"), 1))
}

/// The end of every build: go's stderr and exit status, the binary installed where go puts it
/// (`binary`: its bytes, or why they could not be read), then, unless `-n` (which changes
/// nothing), the why-rebuilt record saved and the cache trimmed as go trims it.
fn finish(
    flags: &BuildFlags,
    result: &BuildResult,
    binary: Option<std::io::Result<Vec<u8>>>,
    kept: &Kept,
    cache: &mut DiskCache,
    now: i64,
) -> Output {
    let mut out = Output {
        stdout: String::new(),
        stderr: result.transcript.text(),
        status: result.exit_status,
    };
    if let (Some(bytes), Some(path)) = (binary, &kept.target) {
        if let Err(e) = bytes.and_then(|b| write_binary(path, &b)) {
            out.stderr
                .push_str(&format!("go: {}: {e}\n", path.display()));
            out.status = 1;
        }
    }
    if !flags.n {
        // A record that cannot be saved only makes the next build explain less.
        let _ = diskcache::save_record(&kept.record_path, &result.report.record);
        let _ = cache.trim(now);
    }
    out
}

/// `buildlab build`.
pub fn build(args: &[String], cwd: &Path) -> Output {
    let flags = match BuildFlags::parse(args) {
        Ok(f) => f,
        Err(e) => return Output::err(e.0, e.1),
    };
    if flags.real {
        return build_real(&flags, cwd);
    }
    match build_simulated(&flags, cwd) {
        Ok(o) | Err(o) => o,
    }
}

/// `buildlab build` with the simulated toolchain.
fn build_simulated(flags: &BuildFlags, cwd: &Path) -> Result<Output, Output> {
    let found = discover(cwd, &flags.patterns).map_err(|e| Output::err(format!("go: {e}"), 1))?;
    let mut req = LoadRequest {
        cwd: found.cwd.clone(),
        patterns: flags.patterns.clone(),
        mode: output_mode(flags, cwd),
        module_root_display: found.root.to_string_lossy().into_owned(),
        settings: flags.settings.clone(),
        ..LoadRequest::default()
    };
    let mut tc = Toolchain {
        cpus: cpus(),
        parallel: flags.p,
        ..Toolchain::default()
    };
    // The simulated machine has gcc (cgo on, go's default there); `CGO_ENABLED` of `0` or `1`
    // decides, as go's cfg does (other values are ignored).
    if let Some(on) = cgo_enabled_env(std::env::var("CGO_ENABLED").ok().as_deref()) {
        req.ctx.cgo_enabled = on;
        tc.cgo_enabled = on;
    }
    let now = diskcache::now();
    let work = work_dir(flags, false, now)?;
    let (plan, warnings) = load_and_plan(&found.ws, &req, &tc, flags, &work)?;
    let gocache = cache_dir()?;
    let mut cache = DiskCache::open(DiskFs::new(&gocache));
    let kept = Kept::read(&plan, cwd, &gocache, &found.root);
    let mut cfg = config(
        flags,
        schedule::workers(flags.p, tc.cpus, flags.n),
        now,
        &work,
        &gocache,
    );
    // A GOCACHE with any entry has go's module index too (the go command that wrote the entry
    // wrote it): the simulated go command then spends its warm time outside Builder.Do.
    cfg.index_cached = cache.has_entries();
    let machine = Machine {
        cores: tc.cpus,
        scaling: CostModel::calibrated().scaling,
    };
    // Workspace paths are relative to the workspace's root, not to the directory go runs in.
    let ws_files = WorkspaceFiles {
        ws: &found.ws,
        root: found.root.to_string_lossy().into_owned(),
    };
    let files = DigestedFiles::new(&plan, &ws_files);
    let mut result = simulate(
        &plan,
        &files,
        &mut cache,
        &kept.record,
        kept.target_id.as_deref(),
        cfg,
        machine,
    );
    result.transcript.insert_warnings(&warnings);
    let binary = result.binary.as_ref().map(|b| Ok(b.bytes.clone()));
    let mut out = finish(flags, &result, binary, &kept, &mut cache, now);
    if flags.work && !flags.n {
        let input = RenderInput {
            plan: &plan,
            flags: transcript::Flags {
                x: flags.x,
                n: false,
                work: true,
            },
            verbose: false,
            work_dir: &work.to_string_lossy(),
            gocache: &gocache.to_string_lossy(),
            runs: &result.runs,
        };
        if let Err(e) = keep_work_tree(&input, &work, &gocache) {
            out.stderr
                .push_str(&format!("go: {}: {e}\n", work.display()));
            out.status = 1;
        }
    }
    Ok(out)
}

/// Writes the tree go leaves in `$WORK` under `-work` ([`transcript::work_tree`]) into the real
/// directory `work`: the directories, the files cmd/go writes itself with their text
/// (importcfg, importcfg.link, embedcfg), each stored archive with the simulated archive's bytes
/// from the cache, the compiler's `go_asm.h` with the line it always starts with (the
/// simulation computes no `#define`s), and the other tool outputs (objects, symabis) empty:
/// the simulated toolchain makes no machine code.
fn keep_work_tree(input: &RenderInput, work: &Path, gocache: &Path) -> std::io::Result<()> {
    let Some(tree) = transcript::work_tree(input) else {
        return Ok(());
    };
    let plan = input.plan;
    // bNNN → (package name, the cache file holding its archive).
    let mut dirs = std::collections::HashMap::new();
    for run in input.runs {
        let x = plan.action(run.action);
        let (Mode::Build, Some(d), Some(p)) = (x.mode, x.objdir, plan.package(run.action)) else {
            continue;
        };
        let stored = match &run.outcome {
            RunOutcome::Ran {
                stored_as: Some(hex),
            } => Some(PathBuf::from(transcript::cache_file(
                &gocache.to_string_lossy(),
                hex,
            ))),
            _ => None,
        };
        dirs.insert(d.name(), (p.name.clone(), stored));
    }
    for (rel, entry) in &tree.entries {
        let path = work.join(rel);
        match entry {
            WorkEntry::Dir => std::fs::create_dir_all(&path)?,
            WorkEntry::File { text: Some(t), .. } => std::fs::write(&path, t)?,
            WorkEntry::File { text: None, .. } => {
                let (dir, file) = rel.split_once('/').unwrap_or(("", rel));
                let known = dirs.get(dir);
                let bytes = match (file, known) {
                    ("_pkg_.a", Some((_, Some(cached)))) => std::fs::read(cached)?,
                    ("go_asm.h", Some((name, _))) => {
                        format!("// generated by compile -asmhdr from package {name}\n\n")
                            .into_bytes()
                    }
                    _ => Vec::new(),
                };
                std::fs::write(&path, bytes)?;
            }
        }
    }
    Ok(())
}

/// The build ID of the binary at `path`: go's marker in its first MiB.
fn read_build_id(path: &Path) -> Option<String> {
    use std::io::Read;
    // Only a regular file can be a binary in place (opening a FIFO would block).
    if !std::fs::symlink_metadata(path).ok()?.file_type().is_file() {
        return None;
    }
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_end(&mut head)
        .ok()?;
    crate::realbuild::exe_build_id(&head)
}

/// Installs the binary where go would. `-o /dev/null` builds and discards, as go does (it never
/// writes there), and an existing target that is not a regular file is never replaced: the
/// atomic write renames over its target, which would turn a device or a FIFO into a plain file.
fn write_binary(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path == Path::new("/dev/null") {
        return Ok(());
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            return Err(std::io::Error::other(
                "build output exists and is not a regular file; not replacing it",
            ));
        }
    }
    // `-o DIR/`: go makes the directory (the install's `mkdir -p`).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    diskcache::write_atomic(path, bytes, None)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// `buildlab clean -cache`.
pub fn clean(args: &[String]) -> Output {
    if args != ["-cache"] && args != ["--cache"] {
        return Output::err(
            format!(
                "buildlab: only `clean -cache` is modelled (got `clean {}`)",
                args.join(" ")
            ),
            2,
        );
    }
    let dir = match cache_dir() {
        Ok(d) => d,
        Err(o) => return o,
    };
    if dir.is_dir() {
        DiskCache::open(DiskFs::new(&dir)).clear();
    }
    Output {
        stdout: String::new(),
        stderr: String::new(),
        status: 0,
    }
}

/// `buildlab env VAR…`: one line per variable, as `go env` prints them.
pub fn env(args: &[String]) -> Output {
    let tc = Toolchain::default();
    let mut stdout = String::new();
    for name in args {
        let value = match name.as_str() {
            "GOCACHE" => match cache_dir() {
                Ok(d) => d.to_string_lossy().into_owned(),
                Err(o) => return o,
            },
            "GOROOT" => tc.goroot.clone(),
            "GOOS" => tc.goos.clone(),
            "GOARCH" => tc.goarch.clone(),
            "GOVERSION" => tc.version.clone(),
            _ if name.starts_with('-') => {
                return Output::err(format!("buildlab: env: flag {name} is not modelled"), 2)
            }
            _ => String::new(),
        };
        stdout.push_str(&value);
        stdout.push('\n');
    }
    Output {
        stdout,
        stderr: String::new(),
        status: 0,
    }
}

/// The real outputs' cache: `$GOCACHE/buildlab/real`, a GOCACHE layout of its own.
pub fn real_cache_dir(gocache: &Path) -> PathBuf {
    gocache.join("buildlab").join("real")
}

/// The per-tool timeout of `build --real` (`BUILDLAB_TOOL_TIMEOUT` seconds, default 600).
fn tool_timeout() -> std::time::Duration {
    let secs = std::env::var("BUILDLAB_TOOL_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    std::time::Duration::from_secs(secs)
}

/// A fresh private `$WORK`: `go-buildNNN` under the temporary directory, created here (never an
/// existing directory).
pub fn make_work_dir(parent: &Path) -> std::io::Result<PathBuf> {
    let mut seed = diskcache::now().unsigned_abs() ^ u64::from(std::process::id());
    for _ in 0..100 {
        let d = parent.join(format!("go-build{}", seed % 10_000_000_000));
        match std::fs::create_dir(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1)
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free $WORK name"))
}

/// `CGO_ENABLED` as go's cfg reads it: `0` or `1`, anything else as if unset.
fn cgo_enabled_env(v: Option<&str>) -> Option<bool> {
    match v {
        Some("0") => Some(false),
        Some("1") => Some(true),
        _ => None,
    }
}

/// `buildlab build --real`.
fn build_real(flags: &BuildFlags, cwd: &Path) -> Output {
    match build_real_result(flags, cwd) {
        Ok(o) | Err(o) => o,
    }
}

fn build_real_result(flags: &BuildFlags, cwd: &Path) -> Result<Output, Output> {
    let explicit = std::env::var_os("BUILDLAB_GO").map(PathBuf::from);
    let go = crate::godetect::detect(explicit.as_deref())
        .map_err(|e| Output::err(format!("buildlab: --real: {e}"), 2))?;
    let found = discover(cwd, &flags.patterns).map_err(|e| Output::err(format!("go: {e}"), 1))?;
    // CGO_ENABLED as go decides it here (the environment's, else on when gcc is found).
    let mut ctx = buildlab_core::constraint::BuildContext::new(&go.goos, &go.goarch);
    ctx.cgo_enabled = go.cgo_enabled;
    let req = LoadRequest {
        cwd: found.cwd.clone(),
        patterns: flags.patterns.clone(),
        mode: output_mode(flags, cwd),
        ctx,
        goroot: go.goroot.clone(),
        module_root_display: found.root.to_string_lossy().into_owned(),
        settings: flags.settings.clone(),
    };
    let tc = real_toolchain(&go, flags.p);
    let now = diskcache::now();
    let work = work_dir(flags, true, now)?;
    let planned = load_and_plan(&found.ws, &req, &tc, flags, &work);
    if planned.is_err() && !flags.work && !flags.n {
        let _ = std::fs::remove_dir_all(&work);
    }
    let (plan, warnings) = planned?;
    let gocache = cache_dir()?;
    let real_root = real_cache_dir(&gocache);
    let mut cache = DiskCache::open(DiskFs::new(&real_root));
    let kept = Kept::read(&plan, cwd, &real_root, &found.root);
    let workers = schedule::workers(flags.p, tc.cpus, flags.n);
    let cfg = config(flags, workers, now, &work, &real_root);
    let files = WorkspaceFiles {
        ws: &found.ws,
        root: found.root.to_string_lossy().into_owned(),
    };
    let setup = crate::realbuild::Setup {
        tooldir: Path::new(&go.tooldir),
        work: &work,
        cache_root: &real_root,
        readable: vec![found.root.clone(), PathBuf::from(&go.goroot)],
        src_map: None,
        timeout: tool_timeout(),
        workers,
        only: None,
    };
    let mut outcome = crate::realbuild::run(
        &plan,
        &files,
        &mut cache,
        &kept.record,
        kept.target_id.as_deref(),
        cfg,
        &setup,
        &mut |_| {},
    );
    outcome.result.transcript.insert_warnings(&warnings);
    let binary = outcome.exe.as_ref().map(std::fs::read);
    let out = finish(flags, &outcome.result, binary, &kept, &mut cache, now);
    if !flags.work && !flags.n {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(out)
}

/// The plan's toolchain for a detected Go, with go's own `CGO_ENABLED` (the environment's, else
/// on when gcc is found) and, with cgo on, gcc's identity ([`cc_id`]): `build --real` and the
/// page's real builds plan and hash alike (the page makes its plan from `/api/v1/info`'s
/// `cgoEnabled` and `ccId`, and the helper checks its digest and names outputs by its own IDs).
pub fn real_toolchain(go: &crate::godetect::GoInstall, parallel: Option<usize>) -> Toolchain {
    let tc = Toolchain::default();
    Toolchain {
        cc_id: cc_id(go, &tc.cc),
        goroot: go.goroot.clone(),
        goos: go.goos.clone(),
        goarch: go.goarch.clone(),
        arch_env: (go.goarch == "amd64").then(|| ("GOAMD64".to_string(), "v1".to_string())),
        version: go.version.clone(),
        cgo_enabled: go.cgo_enabled,
        cpus: cpus(),
        parallel,
        ..tc
    }
}

/// gcc's identity as go hashes it into the action IDs of packages using cgo (`CC ID=`, go's
/// `gccToolID`), so that a gcc upgrade rebuilds them: empty with cgo off (nothing hashes it) or
/// when gcc cannot say (core then hashes its stand-in). One answer for `build --real`, the page's
/// plan (`/api/v1/info`'s `ccId`) and the helper's plan of the page's workspace.
pub fn cc_id(go: &crate::godetect::GoInstall, cc: &str) -> String {
    if !go.cgo_enabled {
        return String::new();
    }
    crate::realcgo::gcc_tool_id(cc).unwrap_or_default()
}
