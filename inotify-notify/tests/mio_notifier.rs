//! Integration tests of `impl mio::event::Source for Notifier` (feature
//! `mio`) against the real kernel: a burst drained off one edge, the
//! threshold not spinning, events drained by a concurrent recursive add,
//! and what deregistering leaves open.
//!
//! Every test holds one process-wide lock so descriptor counts are stable.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use inotify_notify::{Event, Notifier, NotifierBuilder, WatchManager, WatchMask, WatchOptions};
use mio::{Events, Interest, Poll, Token};

const DEADLINE: Duration = Duration::from_secs(10);
const NOTIFIER: Token = Token(3);

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
        let path =
            std::env::temp_dir().join(format!("notify-mio-{}-{n}-{test}", std::process::id()));
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

type Seen = Arc<Mutex<Vec<PathBuf>>>;

/// A handler recording every pathname.
fn recorder() -> (Seen, impl FnMut(&Event) + Send + 'static) {
    let seen = Seen::default();
    let sink = Arc::clone(&seen);
    (seen, move |e: &Event| {
        sink.lock().expect("lock").push(e.pathname().to_path_buf());
    })
}

/// Polls and processes until `done` holds for the recorded paths.
fn poll_until(
    poll: &mut Poll,
    notifier: &mut Notifier<impl inotify_notify::ProcessEvent>,
    seen: &Seen,
    done: impl Fn(&[PathBuf]) -> bool,
) {
    let deadline = Instant::now() + DEADLINE;
    let mut events = Events::with_capacity(16);
    while !done(&seen.lock().expect("lock")) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "timed out with {} events",
            seen.lock().expect("lock").len()
        );
        poll.poll(&mut events, Some(left)).expect("poll");
        if events.iter().any(|e| e.token() == NOTIFIER) {
            notifier.process_until_idle().expect("process");
        }
    }
}

#[test]
fn burst_between_polls_all_received() {
    let _serial = serial();
    let dir = TempDir::new("burst");
    let wm = WatchManager::new().expect("manager");
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .expect("watch");
    let (seen, handler) = recorder();
    let mut notifier = NotifierBuilder::new()
        .buffer_size(4096)
        .build(&wm, handler)
        .expect("notifier");
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut notifier, NOTIFIER, Interest::READABLE)
        .expect("register");
    for i in 0..2_000 {
        std::fs::write(dir.path().join(format!("f{i:04}")), b"").expect("write");
    }
    poll_until(&mut poll, &mut notifier, &seen, |s| s.len() >= 2_000);
    let seen = seen.lock().expect("lock");
    let unique: std::collections::BTreeSet<&PathBuf> = seen.iter().collect();
    assert_eq!(unique.len(), 2_000);
}

#[test]
fn threshold_not_reached_returns_without_reading() {
    let _serial = serial();
    let dir = TempDir::new("threshold");
    let wm = WatchManager::new().expect("manager");
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .expect("watch");
    let (seen, handler) = recorder();
    let mut notifier = NotifierBuilder::new()
        .threshold(1 << 20)
        .build(&wm, handler)
        .expect("notifier");
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut notifier, NOTIFIER, Interest::READABLE)
        .expect("register");
    std::fs::write(dir.path().join("small"), b"").expect("write");
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(DEADLINE)).expect("poll");
    assert!(events.iter().any(|e| e.token() == NOTIFIER));
    // Below the threshold: returns (no spin) and leaves the event queued.
    notifier.process_until_idle().expect("process");
    assert!(seen.lock().expect("lock").is_empty());
    assert!(notifier.check_events(Some(Duration::ZERO)).expect("check"));
}

#[test]
fn events_drained_by_a_concurrent_recursive_add_are_delivered() {
    let _serial = serial();
    let dir = TempDir::new("pending");
    let (watched, added) = (dir.path().join("watched"), dir.path().join("added"));
    std::fs::create_dir_all(&watched).expect("mkdir");
    std::fs::create_dir_all(added.join("deep")).expect("mkdir");
    let wm = WatchManager::new().expect("manager");
    wm.add_watch(&watched, WatchMask::CREATE, &WatchOptions::default())
        .expect("watch");
    let (seen, handler) = recorder();
    let mut notifier = Notifier::new(&wm, handler).expect("notifier");
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut notifier, NOTIFIER, Interest::READABLE)
        .expect("register");
    // The walk of the recursive add drains the queued event into the
    // manager's pending queue; the pending fd must wake the poll for it.
    std::fs::write(watched.join("x"), b"").expect("write");
    let options = WatchOptions {
        rec: true,
        ..WatchOptions::default()
    };
    let wm2 = wm.clone();
    std::thread::spawn(move || wm2.add_watch(&added, WatchMask::CREATE, &options))
        .join()
        .expect("adder thread")
        .expect("recursive add");
    let want = watched.join("x");
    poll_until(&mut poll, &mut notifier, &seen, |s| s.contains(&want));
}

#[test]
fn deregister_and_dropping_poll_leave_notifier_working() {
    let _serial = serial();
    let dir = TempDir::new("deregister");
    let wm = WatchManager::new().expect("manager");
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .expect("watch");
    let (seen, handler) = recorder();
    let mut notifier = Notifier::new(&wm, handler).expect("notifier");
    let fds_before = open_fds();
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut notifier, NOTIFIER, Interest::READABLE)
        .expect("register");
    poll.registry()
        .reregister(&mut notifier, NOTIFIER, Interest::READABLE)
        .expect("reregister");
    poll.registry()
        .deregister(&mut notifier)
        .expect("deregister");
    std::fs::write(dir.path().join("quiet"), b"").expect("write");
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::ZERO)).expect("poll");
    assert!(events.is_empty(), "deregistered");
    drop(poll);
    assert_eq!(open_fds(), fds_before, "only the Poll's own fd was closed");
    assert!(notifier.check_events(Some(DEADLINE)).expect("check"));
    notifier.process_until_idle().expect("process");
    assert_eq!(*seen.lock().expect("lock"), [dir.path().join("quiet")]);
}
