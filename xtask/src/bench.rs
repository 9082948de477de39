//! `cargo xtask bench-report [--quick] [--report-only]`: runs the `benches`
//! crate's criterion groups (parse, drain, setup, latency), its memory
//! probe, its whole-process `inotifywait` drain (`cli_drain`), its
//! whole-process fanotify drain (`fan_drain`: inode marks, and filesystem
//! marks as root) and its whole-process setup probe (`setup_probe`: trees
//! of 10k and 100k directories, and 1M without `--quick`; the `-r -S`
//! fanotify programs beside the inotify ones as root), reads criterion's
//! `estimates.json` files back, and writes `target/bench-report.md`: one
//! table per group with the median, its spread and the ratio to the
//! raw-syscall baseline of the same run, the memory per watch, the targets
//! of issues 6, 12 and 13, the machine, and the profile notes of
//! `benches/PROFILE.md`.
//!
//! `--quick` gives each benchmark about a second (criterion's
//! `--warm-up-time 1 --measurement-time 2`, and `BENCH_QUICK=1`, which the
//! groups whose rounds cost far more than what they time shorten further).
//! The drain group also runs its paired rounds (`BENCH_PAIRED=1`), whose
//! per-round ratios the targets table uses. `--report-only` skips running and rebuilds the report from the results
//! already on disk.

mod json;
mod report;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use json::Json;
use report::render;

/// The criterion bench targets, in report order.
const GROUPS: [&str; 4] = ["parse", "drain", "setup", "latency"];

/// Criterion arguments of `--quick`.
const QUICK_ARGS: [&str; 4] = ["--warm-up-time", "1", "--measurement-time", "2"];

/// `cli_drain` events and rounds: issue 6's 200k events (as root; the
/// example cuts N to the queue limit otherwise), fewer with `--quick`.
const CLI_FULL: [&str; 4] = ["--events", "200000", "--rounds", "7"];
const CLI_QUICK: [&str; 4] = ["--events", "20000", "--rounds", "5"];

/// `fan_drain` events and rounds: the same sizes as `cli_drain`.
const FAN_FULL: [&str; 4] = ["--events", "200000", "--rounds", "7"];
const FAN_QUICK: [&str; 4] = ["--events", "20000", "--rounds", "5"];

/// `setup_probe` sizes and runs: issue 12's trees, the million-directory
/// one (minutes, and a raised `max_user_watches`) only in the full run.
const PROBE_FULL: [&str; 4] = ["--sizes", "10000,100000,1000000", "--runs", "5"];
const PROBE_QUICK: [&str; 4] = ["--sizes", "10000,100000", "--runs", "5"];

/// One benchmark's figures, in nanoseconds.
#[derive(Debug, Clone)]
pub(crate) struct Estimate {
    pub(crate) group: String,
    pub(crate) function: String,
    /// The parameter (events, records, directories), if any.
    pub(crate) param: Option<u64>,
    pub(crate) median: f64,
    pub(crate) ci_low: f64,
    pub(crate) ci_high: f64,
    pub(crate) mad: f64,
    pub(crate) mean: f64,
    /// Elements per iteration (events, records, watches).
    pub(crate) elements: Option<f64>,
}

/// Runs the task.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut quick = false;
    let mut report_only = false;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            "--report-only" => report_only = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}` (use --quick, --report-only)"
                ));
            }
        }
    }
    let target = target_dir(root);
    let results = target.join("bench-results");
    let started = SystemTime::now();
    if !report_only {
        if results.exists() {
            fs::remove_dir_all(&results)
                .map_err(|e| format!("cannot clear {}: {e}", results.display()))?;
        }
        fs::create_dir_all(&results)
            .map_err(|e| format!("cannot create {}: {e}", results.display()))?;
        let mode = if quick { "quick" } else { "full" };
        fs::write(results.join("mode.txt"), mode)
            .map_err(|e| format!("cannot write {}: {e}", results.display()))?;
        run_benches(root, &results, quick)?;
    }
    // Criterion keeps results of benchmarks that no longer exist: only the
    // ones this run wrote count (a little slack for coarse mtimes).
    let since = (!report_only).then(|| started - Duration::from_secs(2));
    let estimates = collect(&target.join("criterion"), since)?;
    if estimates.is_empty() {
        return Err("no criterion results found: run without --report-only".into());
    }
    // With --report-only, the mode is the one the results were made in.
    let quick = fs::read_to_string(results.join("mode.txt")).map_or(quick, |m| m.trim() == "quick");
    let report = render(root, &estimates, &results, quick);
    let out = target.join("bench-report.md");
    fs::write(&out, report).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("bench-report: wrote {}", out.display());
    Ok(())
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                std::env::current_dir().map_or(dir.clone(), |cwd| cwd.join(dir))
            }
        }
        None => root.join("target"),
    }
}

/// Runs `cargo <args>` in `root` with the results directory in the
/// environment.
fn cargo(root: &Path, args: &[&str], results: &Path, quick: bool) -> Result<(), String> {
    let program = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("xtask bench-report: cargo {}", args.join(" "));
    let status = Command::new(&program)
        .args(args)
        .env("BENCH_RESULTS_DIR", results)
        .env("BENCH_QUICK", if quick { "1" } else { "0" })
        .env("BENCH_PAIRED", "1")
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

/// Builds first (so compile time is not mixed into a loaded machine's
/// measurements), then runs every group, the memory probe, the CLI drain,
/// the fanotify drain and the setup probe (each builds the release CLI it
/// measures first).
fn run_benches(root: &Path, results: &Path, quick: bool) -> Result<(), String> {
    let mut bench: Vec<&str> = vec!["bench", "-p", "benches"];
    for group in GROUPS {
        bench.extend(["--bench", group]);
    }
    let mut build = bench.clone();
    build.push("--no-run");
    cargo(root, &build, results, quick)?;
    if quick {
        bench.push("--");
        bench.extend(QUICK_ARGS);
    }
    cargo(root, &bench, results, quick)?;
    cargo(
        root,
        &[
            "run",
            "--release",
            "-q",
            "-p",
            "benches",
            "--example",
            "memory",
        ],
        results,
        quick,
    )?;
    let mut cli = vec![
        "run",
        "--release",
        "-q",
        "-p",
        "benches",
        "--example",
        "cli_drain",
        "--",
    ];
    cli.extend(if quick { CLI_QUICK } else { CLI_FULL });
    cargo(root, &cli, results, quick)?;
    let mut fan = vec![
        "run",
        "--release",
        "-q",
        "-p",
        "benches",
        "--example",
        "fan_drain",
        "--",
    ];
    fan.extend(if quick { FAN_QUICK } else { FAN_FULL });
    // The fanotify probe is the newest and leans on kernel features and
    // privileges the others do not: its failure is reported, in the
    // report too, without losing the other groups' figures.
    if let Err(err) = cargo(root, &fan, results, quick) {
        eprintln!("xtask bench-report: {err}; the fanotify drain section says so");
        let line = format!("inode all fan_drain failed: {err}\n");
        fs::write(results.join("fan-skipped.txt"), line)
            .map_err(|e| format!("cannot write {}: {e}", results.display()))?;
    }
    let mut probe = vec![
        "run",
        "--release",
        "-q",
        "-p",
        "benches",
        "--example",
        "setup_probe",
        "--",
    ];
    probe.extend(if quick { PROBE_QUICK } else { PROBE_FULL });
    cargo(root, &probe, results, quick)
}

/// Every `new/estimates.json` under `dir` (written after `since`, if given).
fn collect(dir: &Path, since: Option<SystemTime>) -> Result<Vec<Estimate>, String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "new") {
                let estimates = path.join("estimates.json");
                let fresh = fs::metadata(&estimates)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| since.is_none_or(|s| t >= s));
                if fresh {
                    found.push(read_estimate(&path)?);
                }
            } else if !matches!(
                path.file_name().and_then(|n| n.to_str()),
                Some("base" | "change" | "report")
            ) {
                stack.push(path);
            }
        }
    }
    Ok(found)
}

/// Reads `benchmark.json` and `estimates.json` of one benchmark.
fn read_estimate(dir: &Path) -> Result<Estimate, String> {
    let load = |name: &str| -> Result<Json, String> {
        let path = dir.join(name);
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let meta = load("benchmark.json")?;
    let est = load("estimates.json")?;
    let missing = |what: &str| format!("{}: no {what}", dir.display());
    Ok(Estimate {
        group: meta
            .str(&["group_id"])
            .ok_or_else(|| missing("group_id"))?
            .to_owned(),
        function: meta
            .str(&["function_id"])
            .ok_or_else(|| missing("function_id"))?
            .to_owned(),
        param: meta.str(&["value_str"]).and_then(|v| v.parse().ok()),
        median: est
            .num(&["median", "point_estimate"])
            .ok_or_else(|| missing("median"))?,
        ci_low: est
            .num(&["median", "confidence_interval", "lower_bound"])
            .ok_or_else(|| missing("median interval"))?,
        ci_high: est
            .num(&["median", "confidence_interval", "upper_bound"])
            .ok_or_else(|| missing("median interval"))?,
        mad: est
            .num(&["median_abs_dev", "point_estimate"])
            .unwrap_or(0.0),
        mean: est.num(&["mean", "point_estimate"]).unwrap_or(0.0),
        elements: meta.num(&["throughput", "Elements"]),
    })
}
