//! The Markdown of `cargo xtask bench-report`: tables per group with
//! ratios to the raw baseline, the whole-process `inotifywait` drain
//! (`cli.rs`), fanotify drain (`fan.rs`) and setup (`probe.rs`), memory
//! per watch, the targets of issues 6, 12 and 13, the machine, and
//! `benches/PROFILE.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use cli::{cli_section, cli_targets, issue12_drain_targets};
#[cfg(test)]
use context::utc_now;
use context::{machine, profile_notes};
use fan::{fan_section, fan_targets};

use super::Estimate;
use super::json::Json;

/// Row order inside a table: the baseline first, then our layers, then peers.
const CONTENDERS: [&str; 8] = [
    "raw",
    "core",
    "watcher",
    "watch-manager",
    "notifier",
    "threaded-channel",
    "inotify-crate",
    "notify-crate",
];

/// `1.23 µs`-style duration from nanoseconds.
fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Position of a contender in [`CONTENDERS`] (unknown ones last).
fn rank(function: &str) -> usize {
    CONTENDERS
        .iter()
        .position(|c| *c == function)
        .unwrap_or(CONTENDERS.len())
}

/// The estimates of `group`, by parameter then contender.
fn group_rows<'a>(estimates: &'a [Estimate], group: &str) -> Vec<&'a Estimate> {
    let mut rows: Vec<&Estimate> = estimates.iter().filter(|e| e.group == group).collect();
    rows.sort_by(|a, b| {
        (a.param, rank(&a.function), &a.function).cmp(&(b.param, rank(&b.function), &b.function))
    });
    rows
}

/// The raw baseline's median for the same group and parameter.
fn baseline(estimates: &[Estimate], e: &Estimate) -> Option<f64> {
    estimates
        .iter()
        .find(|b| b.group == e.group && b.param == e.param && b.function == "raw")
        .map(|b| b.median)
}

/// Spread columns: the 95% interval of the median as ± percent of it, and
/// the median absolute deviation as a percent.
fn spread(e: &Estimate) -> String {
    let half = (e.ci_high - e.ci_low) / 2.0 / e.median * 100.0;
    let mad = e.mad / e.median * 100.0;
    format!("±{half:.1}% | {mad:.1}%")
}

/// A table of one timed group; `unit` names what an element is.
fn timed_table(out: &mut String, estimates: &[Estimate], group: &str, param: &str, unit: &str) {
    let _ = writeln!(
        out,
        "| {param} | contender | median | CI of median | MAD | per {unit} | ratio to raw |"
    );
    let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---:|");
    for e in group_rows(estimates, group) {
        let per = e.elements.map_or("—".into(), |n| fmt_ns(e.median / n));
        let ratio =
            baseline(estimates, e).map_or("—".into(), |b| format!("{:.2}×", e.median / b));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {per} | **{ratio}** |",
            e.param.map_or(String::new(), |p| p.to_string()),
            e.function,
            fmt_ns(e.median),
            spread(e),
        );
    }
}

/// Key-value pairs of a small results file: `latency-<id>.json`.
fn latency_of(results: &Path, id: &str) -> Option<Json> {
    let text = fs::read_to_string(results.join(format!("latency-{id}.json"))).ok()?;
    Json::parse(&text).ok()
}

fn latency_table(out: &mut String, estimates: &[Estimate], results: &Path) {
    let _ = writeln!(
        out,
        "| contender | p50 | p99 | max | samples | criterion mean | p50 ratio to raw |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let raw_p50 = latency_of(results, "raw").and_then(|j| j.num(&["p50_ns"]));
    for e in group_rows(estimates, "latency") {
        let Some(lat) = latency_of(results, &e.function) else {
            continue;
        };
        let get = |k: &str| lat.num(&[k]).unwrap_or(f64::NAN);
        let ratio = raw_p50.map_or("—".into(), |r| format!("{:.2}×", get("p50_ns") / r));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.0} | {} | **{ratio}** |",
            e.function,
            fmt_ns(get("p50_ns")),
            fmt_ns(get("p99_ns")),
            fmt_ns(get("max_ns")),
            get("count"),
            fmt_ns(e.mean),
        );
    }
}

/// `(kind, dirs) -> bytes per watch` from the memory probe's `memory.txt`.
fn memory(results: &Path) -> BTreeMap<(String, u64), (f64, f64)> {
    let text = fs::read_to_string(results.join("memory.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [kind, dirs, watches, bytes] = f.as_slice() else {
                return None;
            };
            let (dirs, watches, bytes) = (
                dirs.parse::<u64>().ok()?,
                watches.parse::<f64>().ok()?,
                bytes.parse::<f64>().ok()?,
            );
            Some((
                ((*kind).to_owned(), dirs),
                (bytes, bytes / watches.max(1.0)),
            ))
        })
        .collect()
}

fn memory_table(out: &mut String, mem: &BTreeMap<(String, u64), (f64, f64)>) {
    let _ = writeln!(
        out,
        "| directories | contender | RSS growth | bytes per watch |"
    );
    let _ = writeln!(out, "|---:|---|---:|---:|");
    let mut rows: Vec<_> = mem.iter().collect();
    rows.sort_by_key(|((kind, dirs), _)| (*dirs, rank(kind)));
    for ((kind, dirs), (bytes, per)) in rows {
        let _ = writeln!(
            out,
            "| {dirs} | {kind} | {:.1} MiB | **{per:.0}** |",
            *bytes / 1_048_576.0
        );
    }
}

/// The parse group's bytes per buffer, from `parse-sizes.txt`.
fn parse_bytes(results: &Path) -> BTreeMap<u64, f64> {
    let text = fs::read_to_string(results.join("parse-sizes.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (count, bytes) = l.split_once(' ')?;
            Some((count.parse().ok()?, bytes.trim().parse().ok()?))
        })
        .collect()
}

/// One contender's figures from a group's paired rounds.
#[derive(Debug, Clone, PartialEq)]
struct Paired {
    /// Events (drain) or directories (setup).
    size: u64,
    contender: String,
    /// Median, first and third quartile of the per-round ratio to raw.
    ratio: Range,
    rounds: u64,
    /// Median nanoseconds per event (drain: CPU) or per watch (setup: wall).
    ns_per_unit: f64,
}

/// The paired rounds of `<group>-paired.txt`.
fn paired(results: &Path, group: &str) -> Vec<Paired> {
    let text = fs::read_to_string(results.join(format!("{group}-paired.txt"))).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [size, contender, mid, low, high, rounds, ns] = f.as_slice() else {
                return None;
            };
            Some(Paired {
                size: size.parse().ok()?,
                contender: (*contender).to_owned(),
                ratio: Range {
                    mid: mid.parse().ok()?,
                    low: low.parse().ok()?,
                    high: high.parse().ok()?,
                },
                rounds: rounds.parse().ok()?,
                ns_per_unit: ns.parse().ok()?,
            })
        })
        .collect()
}

/// `size` and `per` name the columns: ("events", "CPU per event").
fn paired_table(out: &mut String, rows: &[Paired], size: &str, per: &str) {
    let _ = writeln!(
        out,
        "| {size} | contender | {per} (median) | ratio to raw (median of rounds) | quartiles | rounds |"
    );
    let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|");
    let mut rows: Vec<&Paired> = rows.iter().collect();
    rows.sort_by_key(|p| (p.size, rank(&p.contender)));
    for p in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | **{:.2}×** | {:.2}×–{:.2}× | {} |",
            p.size,
            p.contender,
            fmt_ns(p.ns_per_unit),
            p.ratio.mid,
            p.ratio.low,
            p.ratio.high,
            p.rounds
        );
    }
}

/// A ratio to raw in `group`: from the paired rounds (median, quartiles)
/// when there are any, else from criterion's medians and intervals.
fn group_ratio(
    estimates: &[Estimate],
    pairs: &[Paired],
    group: &str,
    function: &str,
    size: Option<u64>,
) -> Option<Range> {
    pairs
        .iter()
        .find(|p| Some(p.size) == size && p.contender == function)
        .map(|p| p.ratio)
        .or_else(|| ratio_range(estimates, group, function, size))
}

/// A measured value and the range the 95% intervals of its inputs allow.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    mid: f64,
    low: f64,
    high: f64,
}

impl Range {
    /// A value measured without an interval (memory, percentiles).
    fn exact(v: f64) -> Self {
        Range {
            mid: v,
            low: v,
            high: v,
        }
    }

    /// `self / other`, the range taking the extremes of both.
    fn over(self, other: Range) -> Self {
        Range {
            mid: self.mid / other.mid,
            low: self.low / other.high,
            high: self.high / other.low,
        }
    }
}

/// The median of `function` at `param` in `group`, with its interval.
fn range_of(
    estimates: &[Estimate],
    group: &str,
    function: &str,
    param: Option<u64>,
) -> Option<Range> {
    estimates
        .iter()
        .find(|e| e.group == group && e.function == function && e.param == param)
        .map(|e| Range {
            mid: e.median,
            low: e.ci_low,
            high: e.ci_high,
        })
}

/// `function / raw` at `param` in `group`, with the interval's extremes.
fn ratio_range(
    estimates: &[Estimate],
    group: &str,
    function: &str,
    param: Option<u64>,
) -> Option<Range> {
    Some(
        range_of(estimates, group, function, param)?
            .over(range_of(estimates, group, "raw", param)?),
    )
}

/// Which side of the goal passes.
#[derive(Debug, Clone, Copy)]
enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

/// Met when the whole range passes, missed when none of it does, and
/// "within noise" when the intervals straddle the goal.
fn verdict(r: Range, goal: Goal) -> &'static str {
    let (pass_all, pass_none) = match goal {
        Goal::AtMost(g) => (r.high <= g, r.low > g),
        Goal::AtLeast(g) => (r.low >= g, r.high < g),
    };
    if pass_all {
        "met"
    } else if pass_none {
        "**missed**"
    } else {
        "within noise: the intervals straddle the goal"
    }
}

/// One row of the targets table.
fn target_row(
    out: &mut String,
    what: &str,
    goal_text: &str,
    measured: Option<Range>,
    fmt: &dyn Fn(f64) -> String,
    goal: Goal,
) {
    let (value, verdict) = match measured {
        Some(r) if r.mid.is_finite() && r.low.is_finite() && r.high.is_finite() => {
            let value = if (r.high - r.low).abs() < f64::EPSILON {
                fmt(r.mid)
            } else {
                format!("{} ({}–{})", fmt(r.mid), fmt(r.low), fmt(r.high))
            };
            (value, verdict(r, goal))
        }
        _ => ("not measured".to_owned(), "—"),
    };
    let _ = writeln!(out, "| {what} | {goal_text} | {value} | {verdict} |");
}

fn targets(
    out: &mut String,
    estimates: &[Estimate],
    results: &Path,
    mem: &BTreeMap<(String, u64), (f64, f64)>,
) {
    let pairs = paired(results, "drain");
    let setup_pairs = paired(results, "setup");
    let mut drain_sizes: Vec<u64> = estimates
        .iter()
        .filter(|e| e.group == "drain")
        .filter_map(|e| e.param)
        .chain(pairs.iter().map(|p| p.size))
        .collect();
    drain_sizes.sort_unstable();
    drain_sizes.dedup();
    let times = |v: f64| format!("{v:.2}×");
    let _ = writeln!(out, "| target | goal | measured (range) | verdict |");
    let _ = writeln!(out, "|---|---|---:|---|");
    for size in drain_sizes {
        let n = Some(size);
        target_row(
            out,
            &format!("drain {size} events: core read + iterate"),
            "≤ 1.10× raw",
            group_ratio(estimates, &pairs, "drain", "core", n),
            &times,
            Goal::AtMost(1.1),
        );
        target_row(
            out,
            &format!("drain {size} events: Notifier, no-op handler"),
            "≤ 1.50× raw",
            group_ratio(estimates, &pairs, "drain", "notifier", n),
            &times,
            Goal::AtMost(1.5),
        );
        let vs_notify = group_ratio(estimates, &pairs, "drain", "notify-crate", n)
            .zip(group_ratio(estimates, &pairs, "drain", "notifier", n))
            .map(|(theirs, ours)| theirs.over(ours));
        target_row(
            out,
            &format!("drain {size} events: notify crate ÷ Notifier"),
            "≥ 2.00×",
            vs_notify,
            &times,
            Goal::AtLeast(2.0),
        );
    }
    issue12_drain_targets(out, estimates, &pairs, results);
    cli_targets(out, results);
    fan_targets(out, results);
    probe::targets(out, results);
    for contender in ["watcher", "watch-manager"] {
        target_row(
            out,
            &format!("setup 10k dirs: {contender}"),
            "≤ 1.20× raw",
            group_ratio(estimates, &setup_pairs, "setup", contender, Some(10_000)),
            &times,
            Goal::AtMost(1.2),
        );
    }
    for contender in ["watcher", "watch-manager"] {
        let per = mem
            .get(&(contender.to_owned(), 100_000))
            .map(|(_, per)| Range::exact(*per));
        target_row(
            out,
            &format!("memory, 100k watches: {contender}"),
            "≤ 100 B/watch",
            per,
            &|v| format!("{v:.0} B"),
            Goal::AtMost(100.0),
        );
    }
    for contender in ["core", "notifier"] {
        let lat = latency_of(results, contender);
        let p = |k: &str| lat.as_ref().and_then(|j| j.num(&[k])).map(Range::exact);
        target_row(
            out,
            &format!("latency p50: {contender}"),
            "≤ 10 µs",
            p("p50_ns"),
            &fmt_ns,
            Goal::AtMost(10_000.0),
        );
        target_row(
            out,
            &format!("latency p99: {contender}"),
            "≤ 100 µs",
            p("p99_ns"),
            &fmt_ns,
            Goal::AtMost(100_000.0),
        );
    }
}

/// The parse group: its timed table and the bytes-per-second table.
fn parse_section(out: &mut String, estimates: &[Estimate], results: &Path) {
    let _ = writeln!(out, "\n## parse\n");
    let _ = writeln!(
        out,
        "Synthetic buffers of 1–4,096 records (names of 0–255 bytes), each contender's read of the same bytes from a pipe, then the walk/parse alone timed. `raw` only steps over headers (no name scan).\n"
    );
    timed_table(out, estimates, "parse", "records", "record");
    let bytes = parse_bytes(results);
    if !bytes.is_empty() {
        let _ = writeln!(out, "\nThroughput (bytes per second):\n");
        let _ = writeln!(out, "| records | buffer bytes | contender | MB/s |");
        let _ = writeln!(out, "|---:|---:|---|---:|");
        for e in group_rows(estimates, "parse") {
            if let Some(b) = e.param.and_then(|p| bytes.get(&p)) {
                let _ = writeln!(
                    out,
                    "| {} | {b:.0} | {} | {:.0} |",
                    e.param.unwrap_or(0),
                    e.function,
                    b / e.median * 1e3
                );
            }
        }
    }
}

/// The whole Markdown report.
pub(crate) fn render(root: &Path, estimates: &[Estimate], results: &Path, quick: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark report\n");
    machine(&mut out);
    let _ = writeln!(
        out,
        "- mode: {}; reproduce with `cargo xtask bench-report{}` (criterion's HTML report, with plots, is in `target/criterion/report/index.html`)\n",
        if quick {
            "quick (a few seconds per benchmark)"
        } else {
            "full"
        },
        if quick { " --quick" } else { "" }
    );
    let _ = writeln!(
        out,
        "Every ratio divides by the raw-syscall baseline measured in the same run, on the same input: on a shared machine a ratio means more than a figure. CI is the 95% confidence interval of criterion's median (± half-width), MAD its median absolute deviation.\n"
    );
    let mem = memory(results);
    let _ = writeln!(out, "## Targets\n");
    targets(&mut out, estimates, results, &mem);
    let _ = writeln!(
        out,
        "\nRanges: drain rows give the median and quartiles of the per-round ratios of the paired rounds (criterion's medians and the extremes of their 95% intervals when there are none); setup and inotifywait rows likewise from their paired rounds. A verdict is \"met\" or \"missed\" only when the whole range is on one side of the goal."
    );

    parse_section(&mut out, estimates, results);
    let _ = writeln!(out, "\n## drain\n");
    let _ = writeln!(
        out,
        "The kernel queue pre-filled with N events (create, write, close, chmod, delete per file), then drained; figures are the process CPU time of the drain (all threads), filling excluded.\n"
    );
    timed_table(&mut out, estimates, "drain", "events", "event");
    let pairs = paired(results, "drain");
    if !pairs.is_empty() {
        let _ = writeln!(
            out,
            "\nPaired rounds: each round fills and drains once per contender, in rotating order, so that load from elsewhere hits all of them alike; each contender's ratio is taken against the raw drain of the same round. These ratios are the ones the targets use.\n"
        );
        paired_table(&mut out, &pairs, "events", "CPU per event");
    }
    cli_section(&mut out, results);
    fan_section(&mut out, results);
    let _ = writeln!(out, "\n## setup\n");
    let _ = writeln!(
        out,
        "Recursive watch of a generated tree (10 subdirectories per directory, one file each); wall time of the add.\n"
    );
    timed_table(&mut out, estimates, "setup", "directories", "watch");
    let setup_pairs = paired(results, "setup");
    if !setup_pairs.is_empty() {
        let _ = writeln!(
            out,
            "\nPaired rounds on the largest tree, as for drain (wall time of the add; the targets use these ratios):\n"
        );
        paired_table(&mut out, &setup_pairs, "directories", "time per watch");
    }
    probe::section(&mut out, results);
    let _ = writeln!(out, "\n## latency\n");
    let _ = writeln!(
        out,
        "One file created while the reader sleeps in the kernel → the reader/handler timestamps its CREATE (wall time, reader thread).\n"
    );
    latency_table(&mut out, estimates, results);
    let _ = writeln!(out, "\n## memory per watch\n");
    let _ = writeln!(
        out,
        "`VmRSS` growth over a recursive add, each contender in a fresh process (`cargo run --release -p benches --example memory`). Kernel memory for the watches is not included.\n"
    );
    memory_table(&mut out, &mem);
    profile_notes(&mut out, root);
    out
}

mod cli;
mod context;
mod fan;
mod probe;
#[cfg(test)]
mod tests;
