//! `cargo xtask fuzz --minutes N [--property]`: long runs against the
//! record parsers (inotify and fanotify), beyond the million property-test
//! cases of CI.
//!
//! Coverage-guided when it can be: `cargo fuzz` (libFuzzer) needs a
//! nightly toolchain, so with `cargo +nightly fuzz` available it runs the
//! `parse` and `parse_fanotify` targets of `fuzz/` for N minutes between
//! them. Otherwise (or with
//! `--property`) it says so and repeats the parser property tests of
//! `inotify-core` in release, each round with fresh random seeds, until
//! the time is up.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::soak::minutes_arg;

/// Cases per property per round of the fallback (6 properties: 3 of the
/// inotify parser, 3 of the fanotify parser, both matched by `parse_props`).
const ROUND_CASES: u32 = 200_000;

/// Whether `cargo +nightly fuzz` runs here.
fn cargo_fuzz_available(root: &Path) -> bool {
    root.join("fuzz/Cargo.toml").is_file()
        && Command::new("cargo")
            .args(["+nightly", "fuzz", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// Runs the fuzzing.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let property = args.iter().any(|a| a == "--property");
    let rest: Vec<String> = args
        .iter()
        .filter(|a| *a != "--property")
        .cloned()
        .collect();
    let seconds = minutes_arg(&rest, 1.0)?;
    if !property && cargo_fuzz_available(root) {
        // The time is shared between the two parsers' targets.
        let share = (seconds / 2).max(1);
        for target in ["parse", "parse_fanotify"] {
            eprintln!(
                "xtask fuzz: cargo +nightly fuzz run {target} for {share} s (coverage-guided)"
            );
            let status = Command::new("cargo")
                .current_dir(root.join("fuzz"))
                .args(["+nightly", "fuzz", "run", target, "--"])
                .arg(format!("-max_total_time={share}"))
                .status()
                .map_err(|err| format!("cannot run cargo fuzz: {err}"))?;
            if !status.success() {
                return Err(format!(
                    "the fuzzer found a failure ({status}); see fuzz/artifacts/{target}"
                ));
            }
        }
        return Ok(());
    }
    if !property {
        eprintln!(
            "xtask fuzz: `cargo +nightly fuzz` is not available here (it needs a nightly \
             toolchain and cargo-fuzz); running the parser property tests instead"
        );
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut rounds = 0u64;
    while Instant::now() < deadline {
        let status = Command::new(&cargo)
            .current_dir(root)
            .args([
                "test",
                "--release",
                "-q",
                "-p",
                "inotify-core",
                "--test",
                "integration",
            ])
            .args(["parse_props", "--", "--test-threads=2"])
            .env("PROPTEST_CASES", ROUND_CASES.to_string())
            .status()
            .map_err(|err| format!("cannot run cargo: {err}"))?;
        if !status.success() {
            return Err(format!(
                "round {rounds}: the parser property tests failed ({status})"
            ));
        }
        rounds += 1;
    }
    eprintln!(
        "xtask fuzz: {rounds} rounds, {} random cases, no failure",
        rounds * 6 * u64::from(ROUND_CASES)
    );
    Ok(())
}
