//! Integration tests of `impl mio::event::Source for Inotify` (feature
//! `mio`) against the real kernel: bursts between polls drained off one
//! edge, wake-ups next to another source, and what deregistering and
//! dropping the `Poll` leave open (checked on `/proc/self/fd`).
//!
//! Every test holds one process-wide lock so descriptor counts are stable.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use inotify_core::{EventBuffer, InitOptions, Inotify, WatchMask};
use mio::{Events, Interest, Poll, Token};

const DEADLINE: Duration = Duration::from_secs(10);
const INOTIFY: Token = Token(0);
const PIPE: Token = Token(1);

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A unique directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("core-mio-{}-{n}-{test}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // A failure to clean up must not hide the test's own result.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

fn is_open(fd: i32) -> bool {
    Path::new(&format!("/proc/self/fd/{fd}")).exists()
}

fn create_files(dir: &Path, count: usize) -> BTreeSet<OsString> {
    (0..count)
        .map(|i| {
            let name = OsString::from(format!("f{i:04}"));
            std::fs::write(dir.join(&name), b"").expect("create file");
            name
        })
        .collect()
}

/// Reads until the queue is empty (as an edge-triggered poll requires);
/// returns the names read and the number of non-empty reads.
fn drain(inotify: &Inotify, buffer: &mut EventBuffer, names: &mut BTreeSet<OsString>) -> usize {
    let mut reads = 0;
    loop {
        let mut batch = inotify.try_read_events(buffer).expect("read").peekable();
        if batch.peek().is_none() {
            return reads;
        }
        reads += 1;
        names.extend(batch.filter_map(|e| e.to_owned_name()));
    }
}

/// Polls until `done` says so, draining inotify on each readiness edge.
fn poll_until(
    poll: &mut Poll,
    inotify: &Inotify,
    buffer: &mut EventBuffer,
    names: &mut BTreeSet<OsString>,
    done: impl Fn(&BTreeSet<OsString>) -> bool,
) -> usize {
    let deadline = Instant::now() + DEADLINE;
    let mut events = Events::with_capacity(16);
    let mut reads = 0;
    while !done(names) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out with {} names", names.len());
        poll.poll(&mut events, Some(left)).expect("poll");
        for event in &events {
            if event.token() == INOTIFY {
                assert!(event.is_readable());
                reads += drain(inotify, buffer, names);
            }
        }
    }
    reads
}

#[test]
fn burst_between_polls_all_received() {
    let _serial = serial();
    for nonblocking in [true, false] {
        let dir = TempDir::new("burst");
        let mut inotify = Inotify::init_with(InitOptions { nonblocking }).expect("init");
        inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        let mut poll = Poll::new().expect("poll");
        poll.registry()
            .register(&mut inotify, INOTIFY, Interest::READABLE)
            .expect("register");
        let want = create_files(dir.path(), 2_000);
        let mut buffer = EventBuffer::with_capacity(4096);
        let mut names = BTreeSet::new();
        let reads = poll_until(&mut poll, &inotify, &mut buffer, &mut names, |n| {
            want.is_subset(n)
        });
        assert!(reads > 1, "a 4 KiB buffer cannot hold 2,000 records");
    }
}

#[test]
fn poll_wakes_for_inotify_next_to_another_source() {
    let _serial = serial();
    let dir = TempDir::new("wake");
    let mut inotify = Inotify::init_with(InitOptions { nonblocking: true }).expect("init");
    inotify
        .add_watch(dir.path(), WatchMask::CREATE)
        .expect("watch");
    let (mut sender, mut receiver) = mio::unix::pipe::new().expect("pipe");
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut inotify, INOTIFY, Interest::READABLE)
        .expect("register inotify");
    poll.registry()
        .register(&mut receiver, PIPE, Interest::READABLE)
        .expect("register pipe");
    // The pipe becomes readable first; inotify must not be reported.
    sender.write_all(b"x").expect("write pipe");
    let mut events = Events::with_capacity(16);
    poll.poll(&mut events, Some(DEADLINE)).expect("poll");
    let tokens: Vec<Token> = events.iter().map(mio::event::Event::token).collect();
    assert_eq!(tokens, [PIPE]);
    // Then an event arrives from another thread while the poll waits.
    let path = dir.path().join("late");
    let writer = std::thread::spawn(move || std::fs::write(path, b""));
    let mut buffer = EventBuffer::new();
    let mut names = BTreeSet::new();
    poll_until(&mut poll, &inotify, &mut buffer, &mut names, |n| {
        n.contains(&OsString::from("late"))
    });
    writer.join().expect("writer thread").expect("write file");
}

#[test]
fn deregister_and_dropping_poll_leave_instance_open() {
    let _serial = serial();
    let dir = TempDir::new("deregister");
    let fds_before = open_fds();
    let mut inotify = Inotify::init_with(InitOptions { nonblocking: true }).expect("init");
    let raw = inotify.as_raw_fd();
    inotify
        .add_watch(dir.path(), WatchMask::CREATE)
        .expect("watch");
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut inotify, INOTIFY, Interest::READABLE)
        .expect("register");
    poll.registry()
        .reregister(&mut inotify, INOTIFY, Interest::READABLE)
        .expect("reregister");
    poll.registry()
        .deregister(&mut inotify)
        .expect("deregister");
    // Deregistered: an event no longer wakes the poll...
    std::fs::write(dir.path().join("quiet"), b"").expect("write");
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::ZERO)).expect("poll");
    assert!(events.is_empty());
    drop(poll);
    // ...but the instance is open and the event is queued.
    assert!(is_open(raw));
    let mut buffer = EventBuffer::new();
    let mut names = BTreeSet::new();
    drain(&inotify, &mut buffer, &mut names);
    assert!(names.contains(&OsString::from("quiet")));
    drop(inotify);
    assert!(!is_open(raw));
    assert_eq!(open_fds(), fds_before);
}
