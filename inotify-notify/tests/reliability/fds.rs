//! No `select()` anywhere: with 1,100 descriptors open first, the inotify
//! descriptor lands above `FD_SETSIZE` (1024), and waiting, reading,
//! `Notifier` and `ThreadedNotifier` still work.

use std::fs::{self, File};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::mpsc;
use std::time::Duration;

use inotify_core::{EventBuffer, Inotify, WatchMask as CoreMask, wait_readable};
use inotify_notify::{Event, ThreadedNotifier, WatchManager, WatchMask, WatchOptions};

use crate::support::{Recorder, TIMEOUT, TempDir, has, leak_checked, pump};

/// Opens `/dev/null` until the next descriptor is above 1024.
fn crowd() -> Vec<File> {
    let files: Vec<File> = (0..1100)
        .map(|_| File::open("/dev/null").expect("open /dev/null (ulimit -n >= 1200?)"))
        .collect();
    assert!(files.last().unwrap().as_raw_fd() > 1024);
    files
}

#[test]
fn descriptors_above_1024_work_in_every_layer() {
    leak_checked(|| {
        let crowd = crowd();
        let dir = TempDir::new("fd-1024");

        // Core: wait, wait_readable, read.
        let inotify = Inotify::init().unwrap();
        assert!(inotify.as_raw_fd() > 1024, "fd {}", inotify.as_raw_fd());
        inotify.add_watch(dir.path(), CoreMask::CREATE).unwrap();
        assert!(!inotify.wait(Some(Duration::from_millis(10))).unwrap());
        fs::write(dir.join("core"), b"").unwrap();
        assert!(inotify.wait(Some(TIMEOUT)).unwrap());
        let [ready] = wait_readable([inotify.as_fd()], Some(TIMEOUT)).unwrap();
        assert!(ready);
        let mut buffer = EventBuffer::new();
        let names: Vec<_> = inotify
            .read_events(&mut buffer)
            .unwrap()
            .filter_map(|e| e.to_owned_name())
            .collect();
        assert_eq!(names, ["core"]);
        drop(inotify);

        // Notifier.
        let wm = WatchManager::new().unwrap();
        assert!(wm.as_fd().as_raw_fd() > 1024);
        wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
            .unwrap();
        let (record, handler) = Recorder::new();
        let mut notifier = inotify_notify::Notifier::new(&wm, handler).unwrap();
        fs::write(dir.join("notifier"), b"").unwrap();
        assert!(
            pump(&mut notifier, &record, |s| has(
                &s.events,
                "IN_CREATE",
                &dir.join("notifier")
            ))
            .unwrap()
        );
        drop(notifier);

        // ThreadedNotifier, stopped while blocked above 1024.
        let (tx, rx) = mpsc::channel();
        let mut threaded = ThreadedNotifier::new(&wm, move |e: &Event| {
            let _ = tx.send(e.pathname().to_path_buf());
        })
        .unwrap();
        threaded.start().unwrap();
        fs::write(dir.join("threaded"), b"").unwrap();
        assert_eq!(rx.recv_timeout(TIMEOUT).unwrap(), dir.join("threaded"));
        threaded.stop().unwrap();
        drop((threaded, wm, crowd));
    });
}
