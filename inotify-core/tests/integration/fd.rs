//! The descriptor: always close-on-exec, optionally non-blocking, convertible
//! to and from `OwnedFd`, and never leaked.

use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};

use inotify_core::{EventBuffer, EventMask, InitOptions, Inotify, WatchMask};

use crate::support::{
    Child, Expect, TIMEOUT, TempDir, expect_events, fd_flags, in_child, open_fds, rerun_in_child,
};

/// `O_CLOEXEC` and `O_NONBLOCK` as printed (octal) in `/proc/self/fdinfo`.
const O_CLOEXEC: u32 = 0o2_000_000;
const O_NONBLOCK: u32 = 0o4000;

#[test]
fn init_fd_is_close_on_exec_and_blocking() {
    let inotify = Inotify::init().unwrap();
    let flags = fd_flags(inotify.as_raw_fd());
    assert_ne!(flags & O_CLOEXEC, 0, "flags {flags:o} lack O_CLOEXEC");
    assert_eq!(flags & O_NONBLOCK, 0, "flags {flags:o} have O_NONBLOCK");
    assert!(!inotify.is_nonblocking());
}

#[test]
fn nonblocking_fd_is_close_on_exec_and_nonblocking() {
    let inotify = Inotify::init_with(InitOptions { nonblocking: true }).unwrap();
    let flags = fd_flags(inotify.as_raw_fd());
    assert_ne!(flags & O_CLOEXEC, 0, "flags {flags:o} lack O_CLOEXEC");
    assert_ne!(flags & O_NONBLOCK, 0, "flags {flags:o} lack O_NONBLOCK");
    assert!(inotify.is_nonblocking());
    // An empty non-blocking queue reads as no events, not as an error.
    let mut buffer = EventBuffer::new();
    assert_eq!(inotify.try_read_events(&mut buffer).unwrap().count(), 0);
}

#[test]
fn nonblocking_read_events_waits_for_an_event() {
    let dir = TempDir::new("nonblocking-read");
    let inotify = Inotify::init_with(InitOptions { nonblocking: true }).unwrap();
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fs::write(dir.join("x"), b"").unwrap();
    let mut buffer = EventBuffer::new();
    let event = inotify.read_events(&mut buffer).unwrap().next().unwrap();
    assert_eq!((event.wd, event.mask), (wd, EventMask::CREATE));
}

#[test]
fn owned_fd_round_trip_keeps_watches_and_mode() {
    let dir = TempDir::new("owned-fd");
    let inotify = Inotify::init_with(InitOptions { nonblocking: true }).unwrap();
    let raw = inotify.as_raw_fd();
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    let fd: OwnedFd = inotify.into();
    assert_eq!(fd.as_raw_fd(), raw);
    let inotify = Inotify::from(fd);
    assert!(inotify.is_nonblocking(), "mode read back from the fd");
    fs::write(dir.join("y"), b"").unwrap();
    let mut buffer = EventBuffer::new();
    expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::CREATE).name("y").wd(wd)],
        TIMEOUT,
    );
}

#[test]
fn wait_times_out_on_an_empty_queue() {
    let inotify = Inotify::init().unwrap();
    let start = std::time::Instant::now();
    let timeout = std::time::Duration::from_millis(20);
    assert!(!inotify.wait(Some(timeout)).unwrap());
    assert!(start.elapsed() >= timeout);
}

#[test]
fn init_drop_cycles_leak_no_fd() {
    // Other tests open descriptors concurrently, so the exact count is
    // checked in a child process that runs only this test.
    if !in_child() {
        match rerun_in_child("fd::init_drop_cycles_leak_no_fd", &[]) {
            Child::Passed => return,
            Child::Unavailable(why) => panic!("cannot re-run the test alone: {why}"),
        }
    }
    let before = open_fds();
    for _ in 0..1000 {
        let inotify = Inotify::init().unwrap();
        drop(inotify);
    }
    for _ in 0..10 {
        let inotify = Inotify::init().unwrap();
        let fd: OwnedFd = inotify.into();
        drop(Inotify::from(fd));
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn thread_crossing_types_are_send_and_sync() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Inotify>();
    sync::<Inotify>();
    send::<EventBuffer>();
    send::<inotify_core::Watcher<()>>();
    send::<inotify_core::AutoWatcher<()>>();
    send::<inotify_core::Waker>();
    sync::<inotify_core::Waker>();
    send::<inotify_core::WatchDescriptor>();
    sync::<inotify_core::WatchDescriptor>();
    send::<std::io::Error>();
}
