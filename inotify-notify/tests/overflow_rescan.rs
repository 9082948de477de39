//! Overflow and rescan with a lowered `max_queued_events` (issue 4): the
//! stress run against an instance whose queue holds only a few events, so
//! `IN_Q_OVERFLOW` happens again and again and `rescan_on_overflow` must
//! bring the consumer back in line with the disk every time.
//!
//! It changes a global limit (only while creating its instance: the kernel
//! reads the limit once, at `inotify_init1`), so it lives in its own binary
//! and must run serially, after the other test binaries. Needs root;
//! otherwise it prints why it is skipped.

#[path = "integration/stress_model.rs"]
mod stress_model;
#[path = "integration/support.rs"]
#[expect(
    dead_code,
    reason = "shared with the integration binary, which uses all of it"
)]
mod support;

use inotify_core::Limit;
use inotify_notify::WatchManager;

use stress_model::{Run, ops_from_env, run, walk};
use support::TempDir;

/// Restores `max_queued_events` even if the test panics.
struct Restore(u64);

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(err) = Limit::MaxQueuedEvents.write(self.0) {
            eprintln!("cannot restore max_queued_events to {}: {err}", self.0);
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            == Some("0")
    })
}

/// A manager whose instance queues at most `limit` events.
fn small_queue_manager(limit: u64) -> Option<WatchManager> {
    let old = Limit::MaxQueuedEvents.read().ok()?;
    let restore = Restore(old);
    if Limit::MaxQueuedEvents.write(limit).is_err() {
        return None;
    }
    let wm = WatchManager::new().ok();
    drop(restore);
    wm
}

#[test]
fn overflow_with_rescan_keeps_the_consumer_in_line_with_the_disk() {
    if !is_root() {
        eprintln!("skipped: lowering max_queued_events needs root");
        return;
    }
    let Some(wm) = small_queue_manager(16) else {
        eprintln!("skipped: cannot change /proc/sys/fs/inotify/max_queued_events here");
        return;
    };
    let seed = std::env::var("STRESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x000F_100D);
    let ops = ops_from_env(10_000);
    let dir = TempDir::new("overflow");
    let outside = TempDir::new("overflow-outside");
    let root = dir.join("root");
    std::fs::create_dir(&root).unwrap();
    let model = run(
        &wm,
        &root,
        outside.path(),
        &Run {
            ops,
            seed,
            rescan: true,
            batch: 100,
        },
    );
    let model = model.lock().unwrap();
    let real = walk(&root);
    eprintln!(
        "overflow: seed {seed:#x}, {ops} ops, {} overflows, {} synthetic events, {} entries",
        model.overflows,
        model.synthetic,
        real.len()
    );
    assert!(model.overflows > 0, "the small queue never overflowed");
    if model.entries != real {
        let missing: Vec<_> = real
            .iter()
            .filter(|(k, v)| model.entries.get(*k) != Some(v))
            .collect();
        let extra: Vec<_> = model
            .entries
            .iter()
            .filter(|(k, v)| real.get(*k) != Some(v))
            .collect();
        panic!("seed {seed:#x}: model differs from disk\nmissing: {missing:?}\nextra: {extra:?}");
    }
}
