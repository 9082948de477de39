//! The report's section on the whole-process fanotify drain (`fan_drain`:
//! `fan-paired.txt` for inode marks, `fan-fs-paired.txt` for one
//! filesystem mark, `fan-records.txt`, `fan-skipped.txt`) and issue 13's
//! drain target on it: ours within 1.5× of the raw fanotify read loop.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::{Goal, Paired, paired, paired_table, target_row};

/// The two groups: results file stem, what the marks are, the flags.
const GROUPS: [(&str, &str, &str); 2] = [
    ("fan", "inode marks", "-m -r"),
    ("fan-fs", "a filesystem mark", "-S -m -r"),
];

/// `group name reason` lines of `fan-skipped.txt` for `group`
/// (`inode`/`filesystem`).
fn skipped(results: &Path, group: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(results.join("fan-skipped.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let (g, name, why) = (parts.next()?, parts.next()?, parts.next()?);
            (g == group).then(|| (name.to_owned(), why.to_owned()))
        })
        .collect()
}

/// `(events, records)` of a group from `fan-records.txt`.
fn records(results: &Path, group: &str) -> Option<(u64, u64)> {
    let text = fs::read_to_string(results.join("fan-records.txt")).ok()?;
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            [g, events, records] if *g == group => {
                Some((events.parse().ok()?, records.parse().ok()?))
            }
            _ => None,
        }
    })
}

fn group_name(stem: &str) -> &'static str {
    if stem == "fan" { "inode" } else { "filesystem" }
}

/// Issue 13's drain rows: ours ÷ the raw fanotify loop, per group; "not
/// measured" (with the reason in the section) when ours was skipped.
pub(super) fn fan_targets(out: &mut String, results: &Path) {
    for (stem, marks, flags) in GROUPS {
        let rows = paired(results, stem);
        let ours = rows.iter().find(|p| p.contender == "inotify-cli");
        let size = ours.map_or_else(
            || {
                rows.first()
                    .map_or(String::new(), |p| format!(", {} events", p.size))
            },
            |p| format!(", {} events", p.size),
        );
        target_row(
            out,
            &format!(
                "(issue 13) fanotify drain, {marks}{size}: ours `{flags}` ÷ raw fanotify loop"
            ),
            "≤ 1.50× raw",
            ours.map(|p| p.ratio),
            &|v| format!("{v:.2}×"),
            Goal::AtMost(1.5),
        );
    }
}

/// The section: one paired table per group, what was skipped and why.
pub(super) fn fan_section(out: &mut String, results: &Path) {
    let groups: Vec<(&str, &str, &str, Vec<Paired>)> = GROUPS
        .iter()
        .map(|&(stem, marks, flags)| (stem, marks, flags, paired(results, stem)))
        .collect();
    let any_skipped = GROUPS
        .iter()
        .any(|(stem, ..)| !skipped(results, group_name(stem)).is_empty());
    if groups.iter().all(|(.., rows)| rows.is_empty()) && !any_skipped {
        return;
    }
    let _ = writeln!(out, "\n## fanotify drain (whole process)\n");
    let _ = writeln!(
        out,
        "`fsnotifywait -m -r --format '%w%f %e' -o FILE DIR` (ours: `fsnotifywait`, or `inotifywait -F` while the CLI has no `fsnotifywait`; `inotify-tools`: `/usr/bin/fsnotifywait` 3.22), a fresh process per round, stopped (SIGSTOP) while N events are queued, then continued until FILE names the sentinel and the process stops using the CPU; CPU from `/proc/PID/task/*/schedstat` (`cargo run --release -p benches --example fan_drain`). `raw` is a C-style loop: one `FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME` group, one mark, `read(2)` walking `fanotify_event_metadata` and info records, in the same rounds; `raw-print` is the same loop printing one `DIR/NAME EVENT` line per event of each record into a tmpfs file (nothing resolved or ordered), the floor under a program that prints what it reads. fanotify merges the queued events of one name, so the unit is the record the raw loop read. With `-S` each contender has a fresh tmpfs of its own, so no other program's events reach its filesystem mark.\n"
    );
    for (stem, marks, flags, rows) in &groups {
        let group = group_name(stem);
        let _ = writeln!(out, "\n### {marks} (`{flags}`)\n");
        if let Some((events, records)) = records(results, group) {
            let _ = writeln!(
                out,
                "{events} events queued per round, {records} records.\n"
            );
        }
        if rows.is_empty() {
            let _ = writeln!(out, "Not measured in this run.");
        } else {
            paired_table(out, rows, "events", "CPU per record");
        }
        for (name, why) in skipped(results, group) {
            let _ = writeln!(out, "\n- {name}: not measured — {why}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fan_results_give_a_verdict_and_say_what_was_skipped() {
        let dir = std::env::temp_dir().join(format!("xtask-fan-report-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("results dir");
        fs::write(
            dir.join("fan-paired.txt"),
            "20004 raw 1.0000 1.0000 1.0000 5 500.0\n20004 inotify-cli 1.3000 1.2000 1.4000 5 650.0\n20004 inotify-tools 30.0000 28.0000 33.0000 5 15000.0\n",
        )
        .expect("inode results");
        fs::write(
            dir.join("fan-fs-paired.txt"),
            "20004 raw 1.0000 1.0000 1.0000 5 480.0\n",
        )
        .expect("fs results");
        fs::write(
            dir.join("fan-records.txt"),
            "inode 20004 3335\nfilesystem 20004 3335\n",
        )
        .expect("records");
        fs::write(
            dir.join("fan-skipped.txt"),
            "filesystem inotify-cli `inotifywait -S -m -r` does not work here: invalid option -- 'S'\n",
        )
        .expect("skipped");
        let mut targets = String::new();
        fan_targets(&mut targets, &dir);
        let mut section = String::new();
        fan_section(&mut section, &dir);
        fs::remove_dir_all(&dir).expect("remove results dir");
        assert!(targets.contains(
            "| (issue 13) fanotify drain, inode marks, 20004 events: ours `-m -r` ÷ raw fanotify loop | ≤ 1.50× raw | 1.30× (1.20×–1.40×) | met |"
        ), "{targets}");
        assert!(targets.contains(
            "| (issue 13) fanotify drain, a filesystem mark, 20004 events: ours `-S -m -r` ÷ raw fanotify loop | ≤ 1.50× raw | not measured | — |"
        ), "{targets}");
        assert!(
            section.contains("| 20004 | inotify-cli | 650 ns | **1.30×** | 1.20×–1.40× | 5 |"),
            "{section}"
        );
        assert!(section.contains("20004 events queued per round, 3335 records."));
        assert!(
            section.contains(
                "- inotify-cli: not measured — `inotifywait -S -m -r` does not work here"
            )
        );
    }
}
