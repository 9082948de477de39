//! The figures of `setup_probe` per tree size and contender: medians of
//! the runs, the median and quartiles of the per-run ratio to the raw loop
//! of the same run, memory per watch over the empty-tree base, as a table
//! for people and as `setup-probe.txt` for `cargo xtask bench-report`.

use std::fmt::Write as _;

use crate::measure::Sample;

/// One contender at one size.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Directories below the root (0: the empty tree).
    pub(crate) size: usize,
    pub(crate) name: String,
    /// Watches held at ready: inotify watches counted from `fdinfo` on the
    /// first run, else fanotify marks (a filesystem mark is one), else
    /// (neither kind of descriptor found) the tree's directories plus the
    /// root.
    pub(crate) watches: usize,
    pub(crate) runs: usize,
    /// Medians, in nanoseconds: exec to ready, user, system, all CPU.
    pub(crate) wall: f64,
    pub(crate) user: f64,
    pub(crate) sys: f64,
    pub(crate) cpu: f64,
    /// Median, first and third quartile of the per-run wall-time ratio to
    /// the raw loop; `None` without a raw contender.
    pub(crate) ratio: Option<[f64; 3]>,
    /// Median per-run ratio of all-thread CPU to the raw loop's.
    pub(crate) cpu_ratio: Option<f64>,
    /// Medians of `VmRSS` and `VmHWM` at ready, in bytes.
    pub(crate) rss: f64,
    pub(crate) hwm: f64,
    /// `(rss − rss on the empty tree) / (watches − watches there)`, and the
    /// same of `VmHWM`; `None` for the empty tree itself.
    pub(crate) rss_per_watch: Option<f64>,
    pub(crate) hwm_per_watch: Option<f64>,
    /// Median growth of the watch and mark slab caches from spawn to ready,
    /// in bytes (machine-wide, so other programs' changes are in it too);
    /// `None` where `/sys/kernel/slab` is not readable.
    pub(crate) kernel: Option<f64>,
}

/// Nearest-rank quartile `q` (0–4) of `v` (non-empty), sorting a copy.
fn quartile(v: &[f64], q: usize) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) * q / 4]
}

fn median_of(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    quartile(&samples.iter().map(f).collect::<Vec<_>>(), 2)
}

fn ns(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// A count or a byte size as a float.
#[allow(
    clippy::cast_precision_loss,
    reason = "exact below 2^53: watches and bytes of RSS are far below"
)]
fn float(n: impl Into<u64>) -> f64 {
    n.into() as f64
}

/// The rows of one size; `samples[i][run]` is contender `names[i]`'s run,
/// all contenders' run `k` in the same round. `base` holds the empty-tree
/// rows memory per watch is counted from.
pub(crate) fn summarize(
    size: usize,
    names: &[&str],
    samples: &[Vec<Sample>],
    base: Option<&[Row]>,
) -> Vec<Row> {
    let raw = names.iter().position(|n| *n == "raw").map(|i| &samples[i]);
    let per_run = |own: &[Sample], f: &dyn Fn(&Sample) -> f64| {
        raw.map(|raw| {
            own.iter()
                .zip(raw)
                .map(|(s, r)| f(s) / f(r))
                .collect::<Vec<f64>>()
        })
    };
    let mut rows = Vec::new();
    for (name, own) in names.iter().zip(samples) {
        if own.is_empty() {
            continue;
        }
        let counted = own
            .iter()
            .find_map(|s| s.watches)
            .or_else(|| own.iter().find_map(|s| s.marks));
        let watches = counted.unwrap_or(size + 1);
        if counted.is_some_and(|w| w != size + 1) {
            eprintln!(
                "setup_probe: note: {name} holds {watches} watches or marks on a tree of {} directories",
                size + 1
            );
        }
        let kernel: Vec<f64> = own.iter().filter_map(|s| s.kernel).collect();
        let ratios = per_run(own, &|s| ns(s.wall));
        let cpu_ratios = per_run(own, &|s| ns(s.cpu));
        let rss = median_of(own, |s| float(s.rss));
        let hwm = median_of(own, |s| float(s.hwm));
        let from_base = base.and_then(|b| b.iter().find(|r| r.name == *name));
        let per_watch = |value: f64, base_value: fn(&Row) -> f64| {
            from_base.and_then(|b| {
                let extra = watches.checked_sub(b.watches).filter(|&n| n > 0)?;
                Some((value - base_value(b)) / float(u64::try_from(extra).ok()?))
            })
        };
        rows.push(Row {
            size,
            name: (*name).to_owned(),
            watches,
            runs: own.len(),
            wall: median_of(own, |s| ns(s.wall)),
            user: median_of(own, |s| ns(s.user)),
            sys: median_of(own, |s| ns(s.sys)),
            cpu: median_of(own, |s| ns(s.cpu)),
            ratio: ratios.map(|r| [quartile(&r, 2), quartile(&r, 1), quartile(&r, 3)]),
            cpu_ratio: cpu_ratios.map(|r| quartile(&r, 2)),
            rss,
            hwm,
            rss_per_watch: per_watch(rss, |b| b.rss),
            hwm_per_watch: per_watch(hwm, |b| b.hwm),
            kernel: (!kernel.is_empty()).then(|| quartile(&kernel, 2)),
        });
    }
    rows
}

/// `1.23 ms`-style duration from nanoseconds.
fn time(ns: f64) -> String {
    if ns < 1e6 {
        format!("{:.0} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A table of `rows` for people.
pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:>8} {:<15} {:>8} {:>10} {:>20} {:>9} {:>9} {:>9} {:>6} {:>9} {:>9} {:>7} {:>7} {:>9}\n",
        "dirs",
        "contender",
        "watches",
        "to ready",
        "×raw (q1–q3)",
        "user",
        "sys",
        "CPU",
        "×raw",
        "VmRSS",
        "VmHWM",
        "B/w RSS",
        "B/w HWM",
        "kernel"
    );
    let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("—".to_owned(), f);
    for r in rows {
        let ratio = r.ratio.map_or("—".to_owned(), |[m, q1, q3]| {
            format!("{m:.2}× ({q1:.2}–{q3:.2})")
        });
        let _ = writeln!(
            out,
            "{:>8} {:<15} {:>8} {:>10} {:>20} {:>9} {:>9} {:>9} {:>6} {:>8.1}M {:>8.1}M {:>7} {:>7} {:>9}",
            r.size,
            r.name,
            r.watches,
            time(r.wall),
            ratio,
            time(r.user),
            time(r.sys),
            time(r.cpu),
            opt(r.cpu_ratio, &|v| format!("{v:.2}×")),
            r.rss / 1_048_576.0,
            r.hwm / 1_048_576.0,
            opt(r.rss_per_watch, &|v| format!("{v:.0}")),
            opt(r.hwm_per_watch, &|v| format!("{v:.0}")),
            opt(r.kernel, &|v| format!("{:.1}M", v / 1_048_576.0)),
        );
    }
    out
}

/// Every run's time to ready, per contender, for judging the noise.
pub(crate) fn runs_line(size: usize, names: &[&str], samples: &[Vec<Sample>]) -> String {
    let mut out = String::new();
    for (name, own) in names.iter().zip(samples) {
        let walls: Vec<String> = own.iter().map(|s| time(ns(s.wall))).collect();
        let _ = writeln!(out, "{size:>8} {name:<15} runs: {}", walls.join(", "));
    }
    out
}

/// `setup-probe.txt`: a `#` header naming the columns, then one line per
/// row, `-` where a figure does not apply.
pub(crate) fn result_lines(rows: &[Row]) -> String {
    let mut out = String::from(
        "# size contender watches runs wall_ns ratio ratio_q1 ratio_q3 user_ns sys_ns cpu_ns \
         cpu_ratio rss_bytes hwm_bytes rss_per_watch hwm_per_watch kernel_bytes\n",
    );
    let opt = |v: Option<f64>, digits: usize| v.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
    for r in rows {
        let [m, q1, q3] = r
            .ratio
            .map_or([None; 3], |[m, q1, q3]| [Some(m), Some(q1), Some(q3)]);
        let _ = writeln!(
            out,
            "{} {} {} {} {:.0} {} {} {} {:.0} {:.0} {:.0} {} {:.0} {:.0} {} {} {}",
            r.size,
            r.name,
            r.watches,
            r.runs,
            r.wall,
            opt(m, 4),
            opt(q1, 4),
            opt(q3, 4),
            r.user,
            r.sys,
            r.cpu,
            opt(r.cpu_ratio, 4),
            r.rss,
            r.hwm,
            opt(r.rss_per_watch, 1),
            opt(r.hwm_per_watch, 1),
            opt(r.kernel, 0),
        );
    }
    out
}
