//! The report's section on the whole-process `inotifywait` drain probe
//! (`cli_drain`) and its target rows: issue 6's, and issue 12's drain
//! targets for the CLI and the `Notifier`.

use std::fmt::Write as _;
use std::path::Path;

use super::*;

/// Issue 12's drain targets: the CLI's queue drain within 1.5× of the raw
/// loop's CPU per event (`cli_drain`, the largest size measured), the
/// `Notifier` within 1.25× (the drain group's paired rounds, or
/// criterion's medians, at each size).
pub(super) fn issue12_drain_targets(
    out: &mut String,
    estimates: &[Estimate],
    pairs: &[Paired],
    results: &Path,
) {
    let times = |v: f64| format!("{v:.2}×");
    let cli = paired(results, "cli");
    let ours = cli
        .iter()
        .filter(|p| p.contender == "inotify-cli")
        .max_by_key(|p| p.size);
    target_row(
        out,
        &format!(
            "(issue 12) CLI queue drain{}: inotifywait CPU per event",
            ours.map_or(String::new(), |p| format!(", {} events", p.size))
        ),
        "≤ 1.50× raw",
        ours.map(|p| p.ratio),
        &times,
        Goal::AtMost(1.5),
    );
    let mut sizes: Vec<u64> = estimates
        .iter()
        .filter(|e| e.group == "drain" && e.function == "notifier")
        .filter_map(|e| e.param)
        .chain(
            pairs
                .iter()
                .filter(|p| p.contender == "notifier")
                .map(|p| p.size),
        )
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.is_empty() {
        target_row(
            out,
            "(issue 12) drain: Notifier, no-op handler",
            "≤ 1.25× raw",
            None,
            &times,
            Goal::AtMost(1.25),
        );
    }
    for size in sizes {
        target_row(
            out,
            &format!("(issue 12) drain {size} events: Notifier, no-op handler"),
            "≤ 1.25× raw",
            group_ratio(estimates, pairs, "drain", "notifier", Some(size)),
            &times,
            Goal::AtMost(1.25),
        );
    }
}

/// The targets rows of the whole-process `inotifywait` drain.
pub(super) fn cli_targets(out: &mut String, results: &Path) {
    let times = |v: f64| format!("{v:.2}×");
    let cli = paired(results, "cli");
    let cli_peers = paired(results, "cli-peer");
    let mut cli_sizes: Vec<u64> = cli.iter().map(|p| p.size).collect();
    cli_sizes.dedup();
    for size in cli_sizes {
        let find = |rows: &[Paired], name: &str| {
            rows.iter()
                .find(|p| p.size == size && p.contender == name)
                .map(|p| p.ratio)
        };
        target_row(
            out,
            &format!("inotifywait -m -r --format writing to a file, {size} events"),
            "≤ 3.00× raw",
            find(&cli, "inotify-cli"),
            &times,
            Goal::AtMost(3.0),
        );
        target_row(
            out,
            &format!("inotifywait {size} events: inotify-tools ÷ ours"),
            "≥ 20.00×",
            find(&cli_peers, "inotify-tools"),
            &times,
            Goal::AtLeast(20.0),
        );
    }
}

/// The whole-process `inotifywait` drain of `cli-paired.txt` and
/// `cli-peer-paired.txt` (the `cli_drain` example).
pub(super) fn cli_section(out: &mut String, results: &Path) {
    let cli = paired(results, "cli");
    if cli.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## cli\n");
    let _ = writeln!(
        out,
        "`inotifywait -m -r --format '%w%f %e' -o FILE DIR`, a fresh process per round: stopped (SIGSTOP) while N events are queued, then continued until FILE ends with the last event. CPU per event is the process's CPU time (all threads, `/proc/PID/task/*/schedstat`) from SIGCONT to the last line, writing included; `raw` is the drain group's `read(2)` loop on the same N events in the same rounds (`cargo run --release -p benches --example cli_drain`). `inotify-cli` is ours, `inotify-tools` Debian's `/usr/bin/inotifywait`.\n"
    );
    paired_table(out, &cli, "events", "CPU per event");
    for p in paired(results, "cli-peer")
        .iter()
        .filter(|p| p.contender != "inotify-cli")
    {
        let _ = writeln!(
            out,
            "\n{} ÷ inotify-cli at {} events, per round: **{:.2}×** (quartiles {:.2}×–{:.2}×, {} rounds).",
            p.contender, p.size, p.ratio.mid, p.ratio.low, p.ratio.high, p.rounds
        );
    }
}
