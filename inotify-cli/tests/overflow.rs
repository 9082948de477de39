//! Queue overflow through the real binary: with `max_queued_events`
//! lowered (root only; restored afterwards) and inotifywait stopped with
//! SIGSTOP while files are created, the kernel drops events. inotifywait
//! must warn on stderr every time, and with `--rescan` report the files it
//! missed. Lives in its own test binary because the limit is global.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: &str = "/proc/sys/fs/inotify/max_queued_events";

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Restores the limit even when an assertion fails.
struct Restore(String);

impl Drop for Restore {
    fn drop(&mut self) {
        std::fs::write(LIMIT, &self.0).expect("restore max_queued_events");
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
}

fn poll(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// Runs inotifywait with `extra` args, overflows it, returns (stdout, stderr).
///
/// The kernel reads `max_queued_events` once, when an instance is created:
/// it is lowered to 16 only until the child's instance exists, so the
/// global limit is down for milliseconds, not for the whole test.
fn overflow_run(dir: &Path, extra: &[&str], original: &str) -> (String, String) {
    let out_path = dir.join("out");
    let err_path = dir.join("err");
    std::fs::write(LIMIT, "16").expect("lower limit");
    let mut child = Command::new(env!("CARGO_BIN_EXE_inotifywait"))
        .args(["-m", "-e", "create"])
        .args(extra)
        .arg(dir.join("w"))
        .stdout(std::fs::File::create(&out_path).expect("out"))
        .stderr(std::fs::File::create(&err_path).expect("err"))
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    // -qq prints no "Watches established."; the watch shows in fdinfo.
    let watching = || {
        std::fs::read_dir(format!("/proc/{pid}/fdinfo")).is_ok_and(|d| {
            d.flatten()
                .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|s| s.contains("inotify wd:")))
        })
    };
    let watched = poll(watching);
    std::fs::write(LIMIT, original).expect("restore max_queued_events");
    assert!(watched, "the child never watched");
    signal(pid, "STOP");
    for i in 0..200 {
        std::fs::write(dir.join(format!("w/f{i:03}")), b"").expect("create");
    }
    signal(pid, "CONT");
    let warned = poll(|| read(&err_path).contains("event queue overflowed"));
    let all_seen = !extra.contains(&"--rescan")
        || poll(|| read(&out_path).matches(" CREATE f").count() >= 200);
    if !extra.contains(&"-qq") {
        // Still monitoring after the overflow.
        std::fs::write(dir.join("w/zz-end"), b"").expect("create");
        assert!(poll(|| read(&out_path).contains("zz-end")));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(warned, "no overflow warning: {}", read(&err_path));
    assert!(all_seen, "rescan missed files: {}", read(&out_path));
    (read(&out_path), read(&err_path))
}

#[test]
fn overflow_is_always_warned_and_rescan_recovers() {
    if !is_root() {
        eprintln!("skipped: lowering {LIMIT} needs root");
        return;
    }
    let original = std::fs::read_to_string(LIMIT).expect("read limit");
    let original = original.trim().to_owned();
    let _restore = Restore(original.clone());
    let dir = std::env::temp_dir().join(format!("cli-overflow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("w")).expect("mkdir");

    let (_, err) = overflow_run(&dir, &["-qq"], &original);
    assert!(err.contains("use --rescan to recover"), "{err}");

    for entry in std::fs::read_dir(dir.join("w")).expect("ls").flatten() {
        std::fs::remove_file(entry.path()).expect("rm");
    }
    let (out, err) = overflow_run(&dir, &["--rescan"], &original);
    assert!(err.contains("rescanning the watched trees"), "{err}");
    for i in 0..200 {
        let name = format!(" CREATE f{i:03}\n");
        assert!(out.contains(&name), "missing f{i:03}");
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
