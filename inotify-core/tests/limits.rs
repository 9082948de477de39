//! Tests that change a machine-wide inotify limit, in their own test binary
//! with a single `#[test]` so nothing else in this process runs meanwhile.
//!
//! `max_queued_events` has no per-namespace copy: lowering it affects every
//! instance created on the machine while it is lowered. The kernel reads it
//! once, when an instance is created, so the test lowers it, creates its
//! instance and restores it at once (a guard restores it on panic too).
//! `.ci/run` runs this binary after the others with `--test-threads=1`.
//! Needs root; prints why it skips otherwise.

use std::fs;
use std::time::{Duration, Instant};

use inotify_core::{
    EventBuffer, EventMask, Inotify, Limit, Limits, WatchDescriptor, WatchMask, Watcher,
};

/// Restores a limit to its value at creation when dropped.
struct Restore {
    limit: Limit,
    value: u64,
}

impl Restore {
    fn lower(limit: Limit, to: u64) -> Restore {
        let value = limit.read().expect("read limit");
        limit.write(to).expect("lower limit");
        Restore { limit, value }
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(err) = self.limit.write(self.value) {
            // Cannot be ignored: the machine would keep the lowered value.
            panic!("cannot restore {}: {err}", self.limit.name());
        }
    }
}

/// Effective uid 0 (second field of `Uid:` in `/proc/self/status`).
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// A unique temp dir, removed at the end.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("inotify-core-limits-{}-{name}", std::process::id()));
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(err) = fs::remove_dir_all(&self.0) {
            eprintln!("warning: cannot remove {}: {err}", self.0.display());
        }
    }
}

/// Reads from `inotify` until an event satisfies `last`, with a deadline.
fn read_until(
    inotify: &Inotify,
    last: impl Fn(EventMask) -> bool,
) -> Vec<(WatchDescriptor, EventMask, u32, Option<std::ffi::OsString>)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buffer = EventBuffer::new();
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            inotify.wait(Some(left)).unwrap(),
            "timed out; seen {seen:?}"
        );
        for e in inotify.try_read_events(&mut buffer).unwrap() {
            seen.push((e.wd, e.mask, e.cookie, e.to_owned_name()));
        }
        if seen.last().is_some_and(|e| last(e.1)) {
            return seen;
        }
    }
}

fn lowered_max_queued_events_overflows_with_one_q_overflow() {
    const QUEUE: u64 = 8;
    let dir = TempDir::new("overflow");
    let before = Limits::read().unwrap();
    let inotify = {
        let _restore = Restore::lower(Limit::MaxQueuedEvents, QUEUE);
        Inotify::init().unwrap()
    };
    assert_eq!(Limits::read().unwrap(), before, "limit restored");
    let wd = inotify.add_watch(&dir.0, WatchMask::CREATE).unwrap();
    for n in 0..3 * QUEUE {
        fs::write(dir.0.join(format!("f{n}")), b"").unwrap();
    }
    let seen = read_until(&inotify, |m| m == EventMask::Q_OVERFLOW);
    // Distinct names never coalesce: exactly QUEUE creates, then the
    // overflow record (wd -1, no name, no cookie); later events are lost.
    let creates: Vec<_> = seen.iter().filter(|e| e.1 == EventMask::CREATE).collect();
    assert_eq!(creates.len(), usize::try_from(QUEUE).unwrap(), "{seen:?}");
    assert!(creates.iter().all(|e| e.0 == wd && e.2 == 0));
    assert_eq!(creates[0].3.as_deref(), Some("f0".as_ref()));
    let overflow = seen.last().unwrap();
    assert_eq!(
        *overflow,
        (WatchDescriptor::OVERFLOW, EventMask::Q_OVERFLOW, 0, None)
    );
    assert_eq!(
        inotify.bytes_available().unwrap(),
        0,
        "nothing after the overflow"
    );

    // An instance created after the restore has the normal queue.
    let mut watcher: Watcher = Watcher::new().unwrap();
    watcher.add(&dir.0, WatchMask::DELETE).unwrap();
    for n in 0..3 * QUEUE {
        fs::remove_file(dir.0.join(format!("f{n}"))).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut deletes = 0;
    while deletes < 3 * QUEUE {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            watcher.inotify().wait(Some(left)).unwrap(),
            "timed out after {deletes}"
        );
        for event in watcher.try_read().unwrap() {
            assert_ne!(event.event.mask, EventMask::Q_OVERFLOW);
            assert!(event.watch.is_some());
            deletes += 1;
        }
    }
}

#[test]
fn global_limits_serially() {
    if !is_root() {
        eprintln!("skipped: lowering /proc/sys/fs/inotify/max_queued_events needs root");
        return;
    }
    lowered_max_queued_events_overflows_with_one_q_overflow();
}
