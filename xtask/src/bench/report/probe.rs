//! The "setup (whole process)" part of the report: the `setup_probe`
//! example's `setup-probe.txt` (each contender started fresh on trees of
//! 10k–1M directories, exec to "Watches established.", ratios to the raw
//! loop of the same runs, memory per watch at ready, kernel memory of the
//! marks) with issue 12's targets on it, and issue 13's on the `-r -S`
//! fanotify contenders beside them (ready in 10 ms, memory that does not
//! grow with the tree).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::{Goal, Range, fmt_ns, target_row};

/// Sizes issue 12's targets are set at.
const TARGET_SIZES: [u64; 2] = [100_000, 1_000_000];
/// The contenders the targets are for: our `inotifywait` and
/// `WatchManager`.
const TARGETED: [&str; 2] = ["inotify-cli", "watch-manager"];
/// Issue 13's contender: our CLI with one filesystem mark (`-r -S`).
const FILESYSTEM_MARK: &str = "inotify-cli-S";
/// Issue 13's ready target for `-r -S`, in nanoseconds.
const READY_NS: f64 = 10e6;
/// What "memory independent of tree size" is held to here: the user and
/// kernel memory at ready may exceed the same program's on an empty
/// directory by at most this much (1 MiB: under 11 B per directory at
/// 100k, 1 B at 1M — a per-directory structure would not fit).
const GROWTH_BYTES: f64 = 1_048_576.0;

/// One line of `setup-probe.txt`.
#[derive(Debug, Clone, PartialEq)]
struct ProbeRow {
    size: u64,
    contender: String,
    watches: u64,
    runs: u64,
    /// Medians over the runs, in nanoseconds.
    wall: f64,
    user: f64,
    sys: f64,
    cpu: f64,
    /// Median and quartiles of the per-run ratio to raw.
    ratio: Option<Range>,
    cpu_ratio: Option<f64>,
    /// Medians at ready, in bytes.
    rss: f64,
    hwm: f64,
    rss_per_watch: Option<f64>,
    hwm_per_watch: Option<f64>,
    /// Growth of the mark slab caches from spawn to ready, in bytes
    /// (absent from files written before the column existed).
    kernel: Option<f64>,
}

/// Parses the rows of `setup-probe.txt` (`#` lines and malformed lines
/// skipped; `-` is a figure that does not apply).
fn parse(text: &str) -> Vec<ProbeRow> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [
                size,
                contender,
                watches,
                runs,
                wall,
                r,
                q1,
                q3,
                user,
                sys,
                cpu,
                cpu_ratio,
                rss,
                hwm,
                per,
                hwm_per,
                rest @ ..,
            ] = f.as_slice()
            else {
                return None;
            };
            let opt = |v: &str| v.parse::<f64>().ok();
            let ratio = match (opt(r), opt(q1), opt(q3)) {
                (Some(mid), Some(low), Some(high)) => Some(Range { mid, low, high }),
                _ => None,
            };
            Some(ProbeRow {
                size: size.parse().ok()?,
                contender: (*contender).to_owned(),
                watches: watches.parse().ok()?,
                runs: runs.parse().ok()?,
                wall: wall.parse().ok()?,
                user: user.parse().ok()?,
                sys: sys.parse().ok()?,
                cpu: cpu.parse().ok()?,
                ratio,
                cpu_ratio: opt(cpu_ratio),
                rss: rss.parse().ok()?,
                hwm: hwm.parse().ok()?,
                rss_per_watch: opt(per),
                hwm_per_watch: opt(hwm_per),
                kernel: rest.first().and_then(|v| opt(v)),
            })
        })
        .collect()
}

fn rows(results: &Path) -> Vec<ProbeRow> {
    parse(&fs::read_to_string(results.join("setup-probe.txt")).unwrap_or_default())
}

/// Issue 12's rows of a targets table (`not measured` for a size or a
/// contender the run did not have, such as 1M directories in `--quick`).
pub(super) fn targets(out: &mut String, results: &Path) {
    targets_of(out, &rows(results));
}

fn targets_of(out: &mut String, rows: &[ProbeRow]) {
    let find = |size: u64, name: &str| rows.iter().find(|r| r.size == size && r.contender == name);
    for size in TARGET_SIZES {
        for name in TARGETED {
            target_row(
                out,
                &format!("setup (whole process) {size} dirs, exec to ready: {name}"),
                "≤ 1.15× raw",
                find(size, name).and_then(|r| r.ratio),
                &|v| format!("{v:.2}×"),
                Goal::AtMost(1.15),
            );
        }
        for name in TARGETED {
            target_row(
                out,
                &format!("memory (whole process) {size} dirs, RSS at ready: {name}"),
                "≤ 80 B/watch",
                find(size, name)
                    .and_then(|r| r.rss_per_watch)
                    .map(Range::exact),
                &|v| format!("{v:.0} B"),
                Goal::AtMost(80.0),
            );
        }
    }
    let base = find(0, FILESYSTEM_MARK);
    for size in TARGET_SIZES {
        let row = find(size, FILESYSTEM_MARK);
        target_row(
            out,
            &format!("(issue 13) setup `-r -S` {size} dirs, exec to ready: {FILESYSTEM_MARK}"),
            "≤ 10 ms",
            row.map(|r| Range::exact(r.wall)),
            &fmt_ns,
            Goal::AtMost(READY_NS),
        );
        target_row(
            out,
            &format!(
                "(issue 13) memory `-r -S` {size} dirs, RSS + kernel over the empty directory: {FILESYSTEM_MARK}"
            ),
            "≤ 1 MiB",
            row.zip(base)
                .and_then(|(r, b)| growth(r, b))
                .map(Range::exact),
            &mib,
            Goal::AtMost(GROWTH_BYTES),
        );
    }
}

/// User plus kernel memory of `row` over the same contender's on the empty
/// directory; `None` without the kernel figures.
fn growth(row: &ProbeRow, empty: &ProbeRow) -> Option<f64> {
    Some(row.rss - empty.rss + row.kernel? - empty.kernel?)
}

/// Contenders `setup_probe` left out, with the reason
/// (`setup-probe-skipped.txt`).
fn skipped(results: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(results.join("setup-probe-skipped.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (name, why) = line.split_once(' ')?;
            Some((name.to_owned(), why.to_owned()))
        })
        .collect()
}

/// `12.3 MiB` from bytes.
fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1_048_576.0)
}

/// The section: its targets, then every contender at every size.
pub(super) fn section(out: &mut String, results: &Path) {
    let mut rows = rows(results);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## setup (whole process)\n");
    let _ = writeln!(
        out,
        "Each contender started fresh on a generated tree (fan-out 10, one file per inner directory, dentry cache warmed by a walk), timed from just before `exec` to the line \"Watches established.\" on its stderr (`cargo run --release -p benches --example setup_probe`). CPU and memory are the child's at that moment (`/proc/PID/stat`, `schedstat` of all threads, `VmRSS`/`VmHWM`). Bytes per watch: (figure at ready − the same program's figure on an empty directory) ÷ (watches − 1); watches are counted from `/proc/PID/fdinfo`. `raw` is a C-style `opendir`/`readdir` (`d_type`) walk with one `inotify_add_watch` per directory; `inotify-cli` our `inotifywait -m -r`, `watch-manager` `WatchManager::add_watches_summary` with `rec` and `auto_add`, `watcher` core's `Watcher::add_all`, `notify-crate` its recursive watch, `inotify-tools` `/usr/bin/inotifywait -m -r`. `inotify-cli-S` and `inotify-tools-S` (issue 13, as root) are our fanotify CLI and `/usr/bin/fsnotifywait` with `-S -m -r`: one filesystem mark, no walk; their \"watches\" are fanotify marks. Kernel is the growth of the inotify/fanotify mark slab caches (`/sys/kernel/slab`, merged caches counted once) from just before the spawn to ready: machine-wide, so other programs' watches added or removed meanwhile are in it (the inodes a watch pins are not). Ratios are per run to the raw loop of the same run (runs rotate the order), median and quartiles.\n"
    );
    let _ = writeln!(out, "| target | goal | measured (quartiles) | verdict |");
    let _ = writeln!(out, "|---|---|---:|---|");
    targets_of(out, &rows);
    for (name, why) in skipped(results) {
        let _ = writeln!(out, "\n- {name}: not measured — {why}");
    }
    let _ = writeln!(
        out,
        "\n| dirs | contender | watches | exec → ready (median) | ratio to raw | quartiles | user | sys | CPU, all threads | CPU ratio | VmRSS | VmHWM | RSS B/watch | HWM B/watch | kernel | kernel B/watch | runs |"
    );
    let _ = writeln!(
        out,
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    // The probe's own order within a size: the baseline, ours, the peers.
    rows.sort_by_key(|r| r.size);
    let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("—".to_owned(), f);
    for r in &rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | **{}** | {} | {} | {} | {} | {} | {} | {} | **{}** | {} | {} | {} | {} |",
            r.size,
            r.contender,
            r.watches,
            fmt_ns(r.wall),
            opt(r.ratio.map(|x| x.mid), &|v| format!("{v:.2}×")),
            r.ratio.map_or("—".to_owned(), |x| format!(
                "{:.2}×–{:.2}×",
                x.low, x.high
            )),
            fmt_ns(r.user),
            fmt_ns(r.sys),
            fmt_ns(r.cpu),
            opt(r.cpu_ratio, &|v| format!("{v:.2}×")),
            mib(r.rss),
            mib(r.hwm),
            opt(r.rss_per_watch, &|v| format!("{v:.0}")),
            opt(r.hwm_per_watch, &|v| format!("{v:.0}")),
            opt(r.kernel, &mib),
            opt(
                r.kernel
                    .filter(|_| r.watches > 1)
                    .map(|k| k / f64::from(u32::try_from(r.watches).unwrap_or(u32::MAX))),
                &|v| format!("{v:.0}")
            ),
            r.runs
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# size contender watches runs wall_ns ratio ratio_q1 ratio_q3 user_ns sys_ns cpu_ns cpu_ratio rss_bytes hwm_bytes rss_per_watch hwm_per_watch
0 raw 1 5 900000 1.0000 1.0000 1.0000 0 0 800000 1.0000 2097152 2097152 - -
100000 raw 100001 5 700000000 1.0000 1.0000 1.0000 100000000 600000000 690000000 1.0000 3097152 3097152 10.0 10.0
100000 inotify-cli 100001 5 770000000 1.1000 1.0500 1.1400 200000000 600000000 790000000 1.1400 9097152 12097152 70.0 100.0
100000 watch-manager 100001 5 840000000 1.2000 1.1000 1.3000 300000000 600000000 890000000 1.2900 40097152 50097152 380.0 480.0
0 inotify-cli-S 1 5 1500000 1.6000 1.5000 1.7000 0 0 1200000 1.5000 1700000 1700000 - - 200
100000 inotify-cli-S 1 5 4600000 0.0100 0.0090 0.0110 0 0 1200000 0.0100 1800000 1800000 - - 300
garbage line
";

    #[test]
    fn probe_rows_parse_with_missing_figures() {
        let rows = parse(FILE);
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[3].kernel, None);
        assert_eq!(rows[5].kernel, Some(300.0));
        assert_eq!(rows[0].size, 0);
        assert_eq!(rows[0].rss_per_watch, None);
        assert_eq!(rows[2].contender, "inotify-cli");
        assert_eq!(
            rows[2].ratio,
            Some(Range {
                mid: 1.1,
                low: 1.05,
                high: 1.14
            })
        );
        assert_eq!(rows[3].rss_per_watch, Some(380.0));
    }

    #[test]
    fn probe_targets_give_verdicts_and_say_what_was_not_measured() {
        let mut out = String::new();
        targets_of(&mut out, &parse(FILE));
        assert!(out.contains(
            "| setup (whole process) 100000 dirs, exec to ready: inotify-cli | ≤ 1.15× raw | 1.10× (1.05×–1.14×) | met |"
        ), "{out}");
        assert!(out.contains(
            "| setup (whole process) 100000 dirs, exec to ready: watch-manager | ≤ 1.15× raw | 1.20× (1.10×–1.30×) | within noise"
        ), "{out}");
        assert!(out.contains(
            "| memory (whole process) 100000 dirs, RSS at ready: watch-manager | ≤ 80 B/watch | 380 B | **missed** |"
        ), "{out}");
        assert!(out.contains(
            "| setup (whole process) 1000000 dirs, exec to ready: inotify-cli | ≤ 1.15× raw | not measured | — |"
        ), "{out}");
        assert!(out.contains(
            "| (issue 13) setup `-r -S` 100000 dirs, exec to ready: inotify-cli-S | ≤ 10 ms | 4.60 ms | met |"
        ), "{out}");
        assert!(out.contains(
            "| (issue 13) memory `-r -S` 100000 dirs, RSS + kernel over the empty directory: inotify-cli-S | ≤ 1 MiB | 0.1 MiB | met |"
        ), "{out}");
        assert!(out.contains(
            "| (issue 13) setup `-r -S` 1000000 dirs, exec to ready: inotify-cli-S | ≤ 10 ms | not measured | — |"
        ), "{out}");
    }

    #[test]
    fn probe_section_lists_every_row_and_skips_an_empty_file() {
        let mut out = String::new();
        section(&mut out, Path::new("/nonexistent"));
        assert!(out.is_empty());
        let dir = std::env::temp_dir().join(format!("xtask-probe-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(dir.join("setup-probe.txt"), FILE).expect("write");
        section(&mut out, &dir);
        fs::remove_dir_all(&dir).expect("remove temp dir");
        assert!(out.contains("## setup (whole process)"));
        assert!(out.contains(
            "| 100000 | inotify-cli | 100001 | 770.00 ms | **1.10×** | 1.05×–1.14× | 200.00 ms | 600.00 ms | 790.00 ms | 1.14× | 8.7 MiB | 11.5 MiB | **70** | 100 | — | — | 5 |"
        ), "{out}");
    }
}
