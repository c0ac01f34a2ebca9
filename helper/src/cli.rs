//! The terminal commands that stand in for the go command over a real directory:
//! `buildlab build [go build flags] [packages]`, `buildlab clean -cache`, `buildlab env VAR…`.
//!
//! They run the same core the page runs: discovery of the module ([`crate::dirsource`]), load,
//! plan, and [`buildlab_core::build::simulate`] with the simulated toolchain, against a
//! GOCACHE-layout directory on disk ([`crate::diskcache`]). Output and exit status are go's: the
//! `-x` / `-n` transcript and compile errors on stderr, usage errors with status 2, build
//! failures with 1. The binary is written where go writes it (the package's default name in the
//! current directory, or `-o`), carrying its simulated build ID so that the next build finds it
//! current; the why-rebuilt record is kept beside the cache.
//!
//! `build --real` runs the same session with the real Go tools ([`crate::realbuild`]): the plan
//! is made for the detected Go ([`crate::godetect`]) with `CGO_ENABLED=0` (the executor does not
//! run cgo), `$WORK` is a real private directory (kept with `-work`), the real archives are
//! stored under `$GOCACHE/buildlab/real` (a GOCACHE layout of its own: simulated and real
//! outputs share action IDs, so they must not share entries), and the real binary is installed
//! where go puts it.
//!
//! Not here: `-v`, `-work`'s kept files in the simulation (it writes nothing into `$WORK`), and
//! go's other commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::build::{simulate, Config};
use buildlab_core::cache::Cache;
use buildlab_core::cost::{CostModel, Machine};
use buildlab_core::load::{load, LoadRequest};
use buildlab_core::plan::{plan, BuildMode, Mode, Toolchain};
use buildlab_core::schedule;
use buildlab_core::transcript;

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

/// `buildlab build`.
pub fn build(args: &[String], cwd: &Path) -> Output {
    let flags = match BuildFlags::parse(args) {
        Ok(f) => f,
        Err(e) => return Output::err(e.0, e.1),
    };
    if flags.real {
        return build_real(&flags, cwd);
    }
    let found = match discover(cwd) {
        Ok(d) => d,
        Err(e) => return Output::err(format!("go: {e}"), 1),
    };
    let root_display = found.root.to_string_lossy().into_owned();
    let mode = match &flags.o {
        None => BuildMode::Build,
        Some(o) if o.ends_with('/') || cwd.join(o).is_dir() => BuildMode::BuildToDir(o.clone()),
        Some(o) => BuildMode::BuildTo(o.clone()),
    };
    let req = LoadRequest {
        cwd: found.cwd.clone(),
        patterns: flags.patterns.clone(),
        mode,
        module_root_display: root_display,
        ..LoadRequest::default()
    };
    let loaded = match load(&found.ws, &req) {
        Ok(l) => l,
        Err(e) => return Output::err(e.to_string(), 1),
    };
    let tc = Toolchain {
        cpus: cpus(),
        parallel: flags.p,
        ..Toolchain::default()
    };
    let plan = match plan(loaded.input, &tc) {
        Ok(p) => p,
        Err(errs) => {
            let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            return Output::err(text.join("\n"), 1);
        }
    };
    let gocache = match cache_dir() {
        Ok(d) => d,
        Err(o) => return o,
    };
    let mut cache = DiskCache::open(DiskFs::new(&gocache));
    let record_path = diskcache::record_path(&gocache, &found.root);
    let record = diskcache::load_record(&record_path);

    // The binary in place, if the build installs one.
    let root = plan.action(plan.root());
    let target_path = (root.mode == Mode::LinkInstall)
        .then(|| root.target.as_ref().map(|t| cwd.join(t)))
        .flatten();
    let target_id = target_path.as_deref().and_then(read_build_id);

    let now = diskcache::now();
    let work_dir = std::env::temp_dir().join(format!("go-build{}", now.rem_euclid(1_000_000_000)));
    let mut cfg = Config {
        print: transcript::Flags {
            x: flags.x,
            n: flags.n,
            work: flags.work,
        },
        workers: schedule::workers(flags.p, tc.cpus, flags.n),
        now,
        work_dir: work_dir.to_string_lossy().into_owned(),
        gocache: gocache.to_string_lossy().into_owned(),
        ..Config::default()
    };
    cfg.flags.force = flags.a;
    let machine = Machine {
        cores: tc.cpus,
        scaling: CostModel::calibrated().scaling,
    };
    let files = WorkspaceFiles {
        ws: &found.ws,
        root: plan.input().cwd.clone(),
    };
    let result = simulate(
        &plan,
        &files,
        &mut cache,
        &record,
        target_id.as_deref(),
        cfg,
        machine,
    );
    let mut out = Output {
        stdout: String::new(),
        stderr: result.transcript.text(),
        status: result.exit_status,
    };
    if let (Some(bin), Some(path)) = (&result.binary, &target_path) {
        if let Err(e) = write_binary(path, &bin.bytes) {
            out.stderr
                .push_str(&format!("go: {}: {e}\n", path.display()));
            out.status = 1;
        }
    }
    if !flags.n {
        // A record that cannot be saved only makes the next build explain less.
        let _ = diskcache::save_record(&record_path, &result.report.record);
        let _ = cache.trim(now);
    }
    out
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

/// `buildlab build --real`.
fn build_real(flags: &BuildFlags, cwd: &Path) -> Output {
    let explicit = std::env::var_os("BUILDLAB_GO").map(PathBuf::from);
    let go = match crate::godetect::detect(explicit.as_deref()) {
        Ok(g) => g,
        Err(e) => return Output::err(format!("buildlab: --real: {e}"), 2),
    };
    let found = match discover(cwd) {
        Ok(d) => d,
        Err(e) => return Output::err(format!("go: {e}"), 1),
    };
    let mode = match &flags.o {
        None => BuildMode::Build,
        Some(o) if o.ends_with('/') || cwd.join(o).is_dir() => BuildMode::BuildToDir(o.clone()),
        Some(o) => BuildMode::BuildTo(o.clone()),
    };
    let mut ctx = buildlab_core::constraint::BuildContext::new(&go.goos, &go.goarch);
    ctx.cgo_enabled = false;
    let req = LoadRequest {
        cwd: found.cwd.clone(),
        patterns: flags.patterns.clone(),
        mode,
        ctx,
        goroot: go.goroot.clone(),
        module_root_display: found.root.to_string_lossy().into_owned(),
    };
    let loaded = match load(&found.ws, &req) {
        Ok(l) => l,
        Err(e) => return Output::err(e.to_string(), 1),
    };
    let tc = real_toolchain(&go, flags.p);
    let plan = match plan(loaded.input, &tc) {
        Ok(p) => p,
        Err(errs) => {
            let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            return Output::err(text.join("\n"), 1);
        }
    };
    let gocache = match cache_dir() {
        Ok(d) => d,
        Err(o) => return o,
    };
    let real_root = real_cache_dir(&gocache);
    let mut cache = DiskCache::open(DiskFs::new(&real_root));
    let record_path = diskcache::record_path(&real_root, &found.root);
    let record = diskcache::load_record(&record_path);
    let root = plan.action(plan.root());
    let target_path = (root.mode == Mode::LinkInstall)
        .then(|| root.target.as_ref().map(|t| cwd.join(t)))
        .flatten();
    let target_id = target_path.as_deref().and_then(read_build_id);
    let now = diskcache::now();
    let work = if flags.n {
        std::env::temp_dir().join(format!("go-build{}", now.rem_euclid(1_000_000_000)))
    } else {
        match make_work_dir(&std::env::temp_dir()) {
            Ok(d) => d,
            Err(e) => return Output::err(format!("go: creating work dir: {e}"), 1),
        }
    };
    let workers = schedule::workers(flags.p, tc.cpus, flags.n);
    let mut cfg = Config {
        print: transcript::Flags {
            x: flags.x,
            n: flags.n,
            work: flags.work,
        },
        workers,
        now,
        work_dir: work.to_string_lossy().into_owned(),
        gocache: real_root.to_string_lossy().into_owned(),
        ..Config::default()
    };
    cfg.flags.force = flags.a;
    let files = WorkspaceFiles {
        ws: &found.ws,
        root: plan.input().cwd.clone(),
    };
    let setup = crate::realbuild::Setup {
        tooldir: Path::new(&go.tooldir),
        work: &work,
        cache_root: &real_root,
        readable: vec![found.root.clone(), PathBuf::from(&go.goroot)],
        src_map: None,
        timeout: tool_timeout(),
        workers,
    };
    let outcome = crate::realbuild::run(
        &plan,
        &files,
        &mut cache,
        &record,
        target_id.as_deref(),
        cfg,
        &setup,
        &mut |_| {},
    );
    let result = outcome.result;
    let mut out = Output {
        stdout: String::new(),
        stderr: result.transcript.text(),
        status: result.exit_status,
    };
    if let (Some(exe), Some(path)) = (&outcome.exe, &target_path) {
        if let Err(e) = std::fs::read(exe).and_then(|b| write_binary(path, &b)) {
            out.stderr
                .push_str(&format!("go: {}: {e}\n", path.display()));
            out.status = 1;
        }
    }
    if !flags.work && !flags.n {
        let _ = std::fs::remove_dir_all(&work);
    }
    if !flags.n {
        let _ = diskcache::save_record(&record_path, &result.report.record);
        let _ = cache.trim(now);
    }
    out
}

/// The plan's toolchain for a detected Go, with `CGO_ENABLED=0`.
pub fn real_toolchain(go: &crate::godetect::GoInstall, parallel: Option<usize>) -> Toolchain {
    Toolchain {
        goroot: go.goroot.clone(),
        goos: go.goos.clone(),
        goarch: go.goarch.clone(),
        arch_env: (go.goarch == "amd64").then(|| ("GOAMD64".to_string(), "v1".to_string())),
        version: go.version.clone(),
        cgo_enabled: false,
        cpus: cpus(),
        parallel,
        ..Toolchain::default()
    }
}
