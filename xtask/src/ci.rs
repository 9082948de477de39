//! `cargo xtask ci`: every check CI runs, in order, stopping at the first
//! failure: fmt, clippy, the ABI check, tidy, the tests, the examples' demos,
//! the man pages and completions (`dist`), the docs and `cargo package`.
//!
//! `.ci/run` is the CI entry point (it also installs system packages and
//! runs the serial and release-only suites); this task is the same gate for
//! a developer's machine.

use std::path::Path;
use std::process::Command;

/// Runs `cargo <args>` in `root` with extra environment; fails on non-zero.
fn cargo(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let program = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("xtask ci: cargo {}", args.join(" "));
    let status = Command::new(&program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

/// Runs every step.
pub fn run(root: &Path) -> Result<(), String> {
    cargo(root, &["fmt", "--all", "--check"], &[])?;
    cargo(
        root,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    eprintln!("xtask ci: check-abi");
    crate::abi::run()?;
    eprintln!("xtask ci: tidy");
    crate::tidy::run(root)?;
    cargo(root, &["test", "--workspace"], &[])?;
    eprintln!("xtask ci: examples");
    crate::examples::run(root)?;
    eprintln!("xtask ci: dist");
    crate::dist::run(root)?;
    cargo(
        root,
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    // As in .ci/run: stale unpackings of our packages from earlier runs'
    // local registries are dropped first (cargo reuses them at the same
    // version even when the package changed; see the comment there).
    drop_stale_package_sources();
    // As in .ci/run: the four library crates packaged together and
    // verified (see the comment there). Unlike .ci/run (a clean checkout)
    // this runs on a developer's uncommitted work, hence --allow-dirty.
    cargo(
        root,
        &[
            "package",
            "-p",
            "inotify-toolkit-sys",
            "-p",
            "inotify-core",
            "-p",
            "inotify-notify",
            "-p",
            "inotify-cli",
            "--allow-dirty",
        ],
        &[],
    )?;
    eprintln!("xtask ci: all steps passed");
    Ok(())
}

/// Removes `$CARGO_HOME/registry/src/-*/inotify-*`: what `cargo package`
/// unpacked from the local registries of earlier runs (directories named
/// `-<hash>`, one per registry path), which it would reuse.
fn drop_stale_package_sources() {
    let home = std::env::var_os("CARGO_HOME").map_or_else(
        || std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        std::path::PathBuf::from,
    );
    let Ok(registries) = std::fs::read_dir(home.join("registry/src")) else {
        return;
    };
    for registry in registries.flatten() {
        if !registry.file_name().as_encoded_bytes().starts_with(b"-") {
            continue;
        }
        let Ok(crates) = std::fs::read_dir(registry.path()) else {
            continue;
        };
        for krate in crates.flatten() {
            if krate
                .file_name()
                .as_encoded_bytes()
                .starts_with(b"inotify-")
                && let Err(err) = std::fs::remove_dir_all(krate.path())
            {
                eprintln!("xtask ci: cannot remove {}: {err}", krate.path().display());
            }
        }
    }
}
