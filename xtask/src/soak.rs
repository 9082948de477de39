//! `cargo xtask soak --minutes N`: the load test of issue 7, outside CI.
//!
//! Runs the reliability binary's soak test in release for N minutes
//! (`INOTIFY_SOAK_SECONDS`): a generator runs flat out against a
//! recursively watched tree while a `ThreadedNotifier` with
//! `rescan_on_overflow` feeds a consumer; it prints events/s, overflows and
//! RSS over time, and fails if RSS keeps growing or the consumer's picture
//! differs from a fresh walk of the tree at the end.

use std::path::Path;
use std::process::Command;

/// The test that does the work, in `inotify-notify/tests/reliability`.
const TEST: &str = "soak::soak_generator_against_a_recursive_notifier";

/// Parses `--minutes N` (a positive number, fractions allowed; `default`
/// when absent) into seconds.
pub fn minutes_arg(args: &[String], default: f64) -> Result<u64, String> {
    let mut minutes = default;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let value = match arg.strip_prefix("--minutes=") {
            Some(v) => v.to_owned(),
            None if arg == "--minutes" => iter.next().ok_or("--minutes needs a value")?.clone(),
            None => return Err(format!("unknown argument `{arg}` (expected --minutes N)")),
        };
        minutes = value
            .parse::<f64>()
            .ok()
            .filter(|m| m.is_finite() && *m > 0.0)
            .ok_or_else(|| format!("`{value}` is not a positive number of minutes"))?;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a positive, finite number of seconds, rounded"
    )]
    let seconds = (minutes * 60.0).round().max(1.0) as u64;
    Ok(seconds)
}

/// Runs the soak.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let seconds = minutes_arg(args, 1.0)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask soak: {seconds} s against a recursively watched tree (release build)");
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["test", "--release", "-p", "inotify-notify"])
        .args(["--test", "reliability", "--", TEST])
        .args(["--exact", "--nocapture", "--test-threads=1"])
        .env("INOTIFY_SOAK_SECONDS", seconds.to_string())
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the soak failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::minutes_arg;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn minutes_parse_to_seconds() {
        assert_eq!(minutes_arg(&args(&[]), 1.0), Ok(60));
        assert_eq!(minutes_arg(&args(&["--minutes", "2"]), 1.0), Ok(120));
        assert_eq!(minutes_arg(&args(&["--minutes=0.5"]), 1.0), Ok(30));
        assert!(minutes_arg(&args(&["--minutes", "-1"]), 1.0).is_err());
        assert!(minutes_arg(&args(&["--minutes"]), 1.0).is_err());
        assert!(minutes_arg(&args(&["--hours", "1"]), 1.0).is_err());
    }
}
