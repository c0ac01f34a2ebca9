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
//! Not here: the real toolchain (`--real` says so and exits 2), `-v`, `-work`'s kept files (the
//! simulation writes nothing into `$WORK`), and go's other commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use buildlab_core::actionid::WorkspaceFiles;
use buildlab_core::build::{binary_build_id, simulate, Config};
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
        return Output::err(
            "buildlab: --real: not available yet: the real toolchain arrives with the helper work",
            2,
        );
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
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_end(&mut head)
        .ok()?;
    binary_build_id(&head)
}

fn write_binary(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
