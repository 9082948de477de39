//! `Threshold` and `read_events_at_threshold`: nothing is consumed below the
//! threshold, everything queued is read at or above it.

use std::fs;

use inotify_core::{EventBuffer, EventMask, Inotify, Threshold, WatchMask};

use crate::support::{TIMEOUT, TempDir};

#[test]
fn threshold_reads_only_when_met() {
    let dir = TempDir::new("threshold");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();

    // Empty queue: nothing, whatever the threshold (even zero).
    assert_eq!(inotify.bytes_available().unwrap(), 0);
    assert!(
        inotify
            .read_events_at_threshold(&mut buffer, Threshold::new(0))
            .unwrap()
            .is_none()
    );
    assert!(
        inotify
            .read_events_at_threshold(&mut buffer, Threshold::new(1))
            .unwrap()
            .is_none()
    );

    fs::write(dir.join("a"), b"").unwrap();
    assert!(
        inotify.wait(Some(TIMEOUT)).unwrap(),
        "no event within {TIMEOUT:?}"
    );
    let queued = inotify.bytes_available().unwrap();
    // One record: a 16-byte header and "a" NUL-padded to 16 bytes.
    assert_eq!(queued, 32);

    let above = Threshold::new(queued + 1);
    assert!(!above.is_met(&inotify).unwrap());
    assert_eq!(above.readable(&inotify).unwrap(), queued);
    assert!(
        inotify
            .read_events_at_threshold(&mut buffer, above)
            .unwrap()
            .is_none()
    );
    assert_eq!(
        inotify.bytes_available().unwrap(),
        queued,
        "below threshold consumed events"
    );

    let exact = Threshold::new(queued);
    assert!(exact.is_met(&inotify).unwrap());
    let events: Vec<_> = inotify
        .read_events_at_threshold(&mut buffer, exact)
        .unwrap()
        .expect("threshold met")
        .map(|e| (e.wd, e.mask, e.cookie, e.to_owned_name()))
        .collect();
    assert_eq!(events, [(wd, EventMask::CREATE, 0, Some("a".into()))]);
    assert_eq!(inotify.bytes_available().unwrap(), 0);
}

#[test]
fn threshold_below_queue_reads_everything_queued() {
    let dir = TempDir::new("threshold-below");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    for name in ["a", "b", "c"] {
        fs::write(dir.join(name), b"").unwrap();
    }
    // Bounded wait for all three records (32 bytes each) to be queued.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while inotify.bytes_available().unwrap() < 96 {
        assert!(std::time::Instant::now() < deadline, "events not queued");
        inotify.wait(Some(TIMEOUT)).unwrap();
    }
    let names: Vec<_> = inotify
        .read_events_at_threshold(&mut buffer, Threshold::new(1))
        .unwrap()
        .expect("threshold met")
        .filter_map(|e| e.to_owned_name())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(Threshold::default().bytes(), 1024);
}
