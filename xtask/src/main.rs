//! `cargo xtask`: the workspace's automation, in Rust with std only, plus
//! `inotify-sys` (whose constants `check-abi` compares with the C headers)
//! and, for `dist`/`install`, `inotify-cli` with `clap_mangen` and
//! `clap_complete` (man pages and completions from the CLI's clap Commands).
//!
//! Aliased in `.cargo/config.toml`, so `cargo xtask <task>` works from
//! anywhere in the checkout. Tasks: `ci`, `check-abi`, `tidy`,
//! `examples`, `bench-report`, `soak`, `fuzz`, `dist`, `install`.

mod abi;
mod bench;
mod ci;
mod dist;
mod examples;
mod fuzz;
mod soak;
mod tidy;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task> [args]

tasks:
  ci            fmt --check, clippy -D warnings, check-abi, tidy, tests, docs
  check-abi     compare inotify-sys with <sys/inotify.h> via the C compiler
  tidy          source conventions: //! headers, unsafe confinement, SAFETY
                comments, no dbg!/println! in libraries, file length, no todo!
  examples      run every example's demo mode (no arguments, all features)
                with a timeout: each must exit 0 and leave no temp files
  bench-report  run the benches ([--quick], [--report-only]) and write
                target/bench-report.md
  soak          load test: generator vs recursive notifier for --minutes N
                (default 1), reports events/s, overflows, RSS over time
  fuzz          parser fuzzing for --minutes N: cargo +nightly fuzz when
                available, else the property tests ([--property] forces it)
  dist          man pages and bash/zsh/fish completions into target/dist/
  install       release binaries, man pages and completions under
                [--prefix DIR] (default /usr/local)";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(task) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "ci" => ci::run(&workspace_root()),
        "check-abi" => abi::run(),
        "tidy" => tidy::run(&workspace_root()),
        "examples" => examples::run(&workspace_root()),
        "bench-report" => bench::run(&workspace_root(), &rest),
        "soak" => soak::run(&workspace_root(), &rest),
        "fuzz" => fuzz::run(&workspace_root(), &rest),
        "dist" => dist::run(&workspace_root()),
        "install" => dist::install(&workspace_root(), &rest),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("xtask: unknown task `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.clone(), std::path::Path::to_path_buf)
}
