//! Where and how a report was made: the machine (CPU, kernel, rustc,
//! date) and the profile notes of `benches/PROFILE.md`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// First line of a file matching `prefix`, after the colon.
fn proc_field(path: &str, prefix: &str) -> String {
    fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(prefix))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// `YYYY-MM-DD HH:MM UTC` for now (civil-from-days, proleptic Gregorian).
pub(super) fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (hh, mm) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02} UTC")
}

pub(super) fn machine(out: &mut String) {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let limit = |name: &str| {
        fs::read_to_string(format!("/proc/sys/fs/inotify/{name}"))
            .map_or_else(|_| "?".into(), |v| v.trim().to_owned())
    };
    let _ = writeln!(out, "- date: {}", utc_now());
    let _ = writeln!(
        out,
        "- machine: {cpus} CPUs, {}, Linux {}, {rustc}",
        proc_field("/proc/cpuinfo", "model name"),
        kernel.trim()
    );
    let _ = writeln!(
        out,
        "- inotify limits at report time: max_queued_events {}, max_user_watches {}, max_user_instances {}",
        limit("max_queued_events"),
        limit("max_user_watches"),
        limit("max_user_instances")
    );
}

/// `benches/PROFILE.md`, its headings demoted under this section.
pub(super) fn profile_notes(out: &mut String, root: &Path) {
    let notes = root.join("benches/PROFILE.md");
    if let Ok(text) = fs::read_to_string(&notes) {
        let _ = writeln!(out, "\n## Profile notes (benches/PROFILE.md)\n");
        // Demote the notes' own headings one level under this section
        // (outside code blocks, where `#` starts a shell comment).
        let mut in_code = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if line.starts_with('#') && !in_code {
                let _ = writeln!(out, "##{line}");
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}
