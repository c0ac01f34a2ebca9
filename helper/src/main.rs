//! `buildlab`: Buildlab's native side. `buildlab serve` serves the built page on 127.0.0.1;
//! `buildlab build|clean|env` act like the go command over the current directory with the
//! simulated toolchain ([`buildlab_helper::cli`]); `buildlab summary DIR` prints a module digest;
//! `buildlab precompress DIR` writes the page's gzip copies ([`buildlab_helper::precompress`]).

use buildlab_helper::{cli, dirsource::DirSource, serve};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "buildlab", version, about = "Watch how the go command orchestrates a build")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the playground page (Trunk's dist/) on 127.0.0.1.
    Serve {
        /// The directory Trunk built.
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// The port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 8600)]
        port: u16,
        /// The go command whose tools run real builds (default: `go` on PATH, then
        /// /usr/lib/go-1.23/bin/go, /usr/local/go/bin/go).
        #[arg(long = "go", value_name = "PATH")]
        go: Option<PathBuf>,
        /// An origin (scheme://host[:port]) allowed to use the API besides the helper's own;
        /// repeatable. There is no wildcard.
        #[arg(long = "allow-origin", value_name = "ORIGIN")]
        allow_origin: Vec<String>,
        /// The content-addressed store of real outputs (default $GOCACHE/buildlab/real).
        #[arg(long, value_name = "DIR")]
        cache: Option<PathBuf>,
        /// Where per-build temporary directories go (default a private directory in $TMPDIR).
        #[arg(long, value_name = "DIR", hide = true)]
        tmp_root: Option<PathBuf>,
        /// Per tool run, seconds.
        #[arg(long, default_value_t = 300)]
        tool_timeout: u64,
        /// Builds running at once; more get 429.
        #[arg(long, default_value_t = 2)]
        max_builds: usize,
        /// Most files a build request may carry.
        #[arg(long, default_value_t = 1000)]
        max_files: usize,
        /// Largest build request body, bytes.
        #[arg(long, default_value_t = 16 << 20)]
        max_body: usize,
    },
    /// Like `go build [-o output] [build flags] [packages]`, with go's flag syntax
    /// (-x, -n, -a, -work, -p N, -o); --real: run the real Go tools (and gcc for cgo).
    #[command(disable_help_flag = true)]
    Build {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// `go clean -cache`: empty the GOCACHE directory.
    #[command(disable_help_flag = true)]
    Clean {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// `go env VAR...` (GOCACHE, GOROOT, GOOS, GOARCH, GOVERSION).
    #[command(disable_help_flag = true)]
    Env {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Write a gzip copy (NAME.gz, zopfli) beside each of the page's text and wasm files, which
    /// `serve` sends to browsers that accept gzip. Run after `trunk build`.
    Precompress {
        /// The directory Trunk built.
        #[arg(default_value = "dist")]
        dist: PathBuf,
        /// zopfli's iterations per file.
        #[arg(long, default_value_t = buildlab_helper::precompress::DEFAULT_ITERATIONS)]
        iterations: u64,
    },
    /// Print the module path and the blake3 digest of a module directory.
    Summary {
        /// The module's root directory (holding go.mod).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build { args } => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            ExitCode::from(cli::build(&args, &cwd).emit())
        }
        Command::Clean { args } => ExitCode::from(cli::clean(&args).emit()),
        Command::Env { args } => ExitCode::from(cli::env(&args).emit()),
        Command::Serve { dist, port, go, allow_origin, cache, tmp_root, tool_timeout, max_builds, max_files, max_body } => {
            if !dist.join("index.html").is_file() {
                eprintln!("buildlab: {} has no index.html: build the page first (see README.md)", dist.display());
                return ExitCode::from(2);
            }
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_env("BUILDLAB_LOG")
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .init();
            let limits = buildlab_helper::api::Limits {
                tool_timeout: std::time::Duration::from_secs(tool_timeout.max(1)),
                concurrent_builds: max_builds.max(1),
                files: max_files,
                body_bytes: max_body,
                total_bytes: max_body.min(buildlab_helper::api::Limits::default().total_bytes),
                ..buildlab_helper::api::Limits::default()
            };
            let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
            let cfg = serve::Config { dist, port, go, allow_origins: allow_origin, cache, tmp_root, limits };
            match rt.block_on(serve::run(cfg)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("buildlab: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Precompress { dist, iterations } => {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            match buildlab_helper::precompress::precompress(&dist, iterations, threads) {
                Ok(files) => {
                    let (mut raw, mut gz) = (0, 0);
                    for f in &files {
                        raw += f.raw;
                        gz += f.gzip.unwrap_or(f.raw);
                    }
                    let kept = files.iter().filter(|f| f.gzip.is_some()).count();
                    println!("buildlab: {kept} gzip copies in {}: {raw} bytes -> {gz}", dist.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("buildlab: precompress: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Summary { dir } => {
            let ws = match DirSource::new(&dir).load() {
                Ok(ws) => ws,
                Err(e) => {
                    eprintln!("buildlab: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match buildlab_core::sample::summarize(&ws) {
                Ok(s) => {
                    println!("module {}", s.module);
                    for (p, h) in &s.files {
                        println!("file {p} {h}");
                    }
                    println!("digest {}", s.digest);
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
