//! Overflow and rescan with a lowered `max_queued_events` (issue 4): the
//! stress run against an instance whose queue holds only a few events, so
//! `IN_Q_OVERFLOW` happens again and again and `rescan_on_overflow` must
//! bring the consumer back in line with the disk every time.
//!
//! And a round that meets overflow after overflow: the rescan it leaves
//! due must still run when nothing more happens.
//!
//! Its tests change a global limit (only while creating their instance:
//! the kernel reads the limit once, at `inotify_init1`, and a lock keeps
//! this binary's tests from interleaving there), so it lives in its own
//! binary and must run serially, after the other test binaries. Needs
//! root; otherwise each test prints why it is skipped.

#[path = "integration/stress_model.rs"]
mod stress_model;
#[path = "integration/support.rs"]
#[expect(
    dead_code,
    reason = "shared with the integration binary, which uses all of it"
)]
mod support;

use std::os::fd::AsFd;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use inotify_core::{Limit, wait_readable};
use inotify_notify::{
    EventKind, EventProcessor, Processed, ProcessorOptions, WatchManager, WatchMask, WatchOptions,
};

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

/// Held while the limit is lowered: the tests of this binary run in
/// parallel threads, and one restoring the limit while another has
/// lowered it would leave it lowered.
static LIMIT: Mutex<()> = Mutex::new(());

/// A manager whose instance queues at most `limit` events.
fn small_queue_manager(limit: u64) -> Option<WatchManager> {
    let _guard = LIMIT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
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

/// A round whose rescans keep meeting new overflows stops after a few
/// (so a queue that overflows for ever cannot hold the loop in one round),
/// but the rescan still due must run without waiting for another kernel
/// record. Here the consumer, told by a rescan of a directory whose record
/// the queue dropped, overflows the queue again and makes another such
/// directory (the scan of the first one drains the new overflow record,
/// so that the next rescan is due while nothing is left in the kernel
/// queue); the last time it makes a file whose record the full queue
/// drops. Nothing more happens on the disk, so only the rescan left due
/// can report that file. Before the fix the round ended with the rescan
/// due, nothing readable, and the file never reported (the CI failure of
/// `overflow_with_rescan_keeps_the_consumer_in_line_with_the_disk`:
/// "marker 7 never seen").
#[test]
fn a_rescan_left_due_by_a_round_runs_without_a_new_record() {
    /// Floods in the chain (a round runs at most 4 rescans).
    const LAST: usize = 12;
    if !is_root() {
        eprintln!("skipped: lowering max_queued_events needs root");
        return;
    }
    let Some(wm) = small_queue_manager(16) else {
        eprintln!("skipped: cannot change /proc/sys/fs/inotify/max_queued_events here");
        return;
    };
    let dir = TempDir::new("overflow-due");
    let root = dir.join("root");
    std::fs::create_dir(&root).unwrap();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    wm.add_watch(&root, WatchMask::CREATE | WatchMask::DELETE, &options)
        .unwrap();
    let mut processor = EventProcessor::new(
        &wm,
        ProcessorOptions {
            rescan_on_overflow: true,
            ..ProcessorOptions::default()
        },
    );
    // Overflows the queue (40 files), then makes `d{n}`, whose record is
    // dropped; the last time, the marker too.
    let marker = root.join("marker");
    let flood = |n: usize| {
        for i in 0..40 {
            std::fs::write(root.join(format!("f{n}-{i}")), b"").unwrap();
        }
        std::fs::create_dir_all(root.join(format!("d{n}/s"))).unwrap();
        if n == LAST {
            std::fs::write(&marker, b"").unwrap();
        }
    };
    let mut floods = 1;
    flood(floods);
    let mut seen = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "the marker was never reported ({floods} floods): a rescan was left due with \
             nothing readable"
        );
        let [events, pending] = wait_readable([wm.as_fd(), wm.pending_fd()], Some(left)).unwrap();
        if !events && !pending {
            continue;
        }
        processor
            .process_ready(&mut |p| match p {
                Processed::Event { event, .. } => {
                    let name = event.name().and_then(|n| n.to_str()).unwrap_or_default();
                    if event.synthetic
                        && event.kind() == EventKind::Create
                        && name == format!("d{floods}")
                        && floods < LAST
                    {
                        floods += 1;
                        flood(floods);
                    }
                    seen |= event.kind() == EventKind::Create && event.pathname() == marker;
                }
                Processed::Error(err) => panic!("{err}"),
            })
            .unwrap();
    }
    assert_eq!(floods, LAST, "the chain of overflows broke early");
}
