//! Integration tests of `AsyncInotify` and `EventStream` (feature `tokio`)
//! against the real kernel: bursts between polls, wake-ups, cancellation,
//! and what dropping a stream closes (checked on `/proc/self/fd`).
//!
//! Every test holds one process-wide lock while it runs, so the descriptor
//! counts of one test are not disturbed by another running in parallel.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::future::{Future, poll_fn};
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use inotify_core::{
    AsyncInotify, EventBuffer, EventMask, EventStream, InitOptions, Inotify, OwnedEvent, WatchMask,
};
use tokio::time::timeout;

/// Every wait in these tests ends by this deadline.
const DEADLINE: Duration = Duration::from_secs(10);

static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the lock that keeps descriptor counts stable.
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `test` on a fresh current-thread runtime, serialised with the other
/// tests of this binary.
fn run<F: Future<Output = ()>>(test: F) {
    let _serial = serial();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(test);
}

/// A unique directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("core-async-{}-{n}-{test}", std::process::id()));
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

/// Open descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

fn is_open(fd: i32) -> bool {
    Path::new(&format!("/proc/self/fd/{fd}")).exists()
}

/// Creates `count` empty files named `f0000`, `f0001`, ... and returns the names.
fn create_files(dir: &Path, count: usize) -> BTreeSet<OsString> {
    (0..count)
        .map(|i| {
            let name = OsString::from(format!("f{i:04}"));
            std::fs::write(dir.join(&name), b"").expect("create file");
            name
        })
        .collect()
}

/// Pulls events from `stream` until every name in `want` has been seen in a
/// `CREATE` event; other events are tolerated.
async fn expect_created<S>(stream: &mut S, want: &BTreeSet<OsString>)
where
    S: futures_util::Stream<Item = std::io::Result<OwnedEvent>> + Unpin,
{
    let mut seen = BTreeSet::new();
    while !want.is_subset(&seen) {
        let event = timeout(DEADLINE, stream.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "timed out with {} of {} events received",
                    seen.len(),
                    want.len()
                )
            })
            .expect("an inotify stream never ends")
            .expect("read events");
        if event.mask.contains(EventMask::CREATE)
            && let Some(name) = event.name
        {
            seen.insert(name);
        }
    }
}

#[test]
fn async_inotify_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<AsyncInotify>();
    assert_send_sync::<OwnedEvent>();
    assert_send::<EventStream<AsyncInotify>>();
    assert_send::<EventStream<&mut AsyncInotify>>();
}

#[test]
fn stream_burst_between_polls_all_received() {
    run(async {
        let dir = TempDir::new("stream-burst");
        let inotify = AsyncInotify::new().expect("init");
        inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        // Everything is queued before the first poll; a small buffer makes
        // the stream drain the queue in many reads off one readiness edge.
        let want = create_files(dir.path(), 2_000);
        let mut stream = inotify.into_stream(EventBuffer::with_capacity(4096));
        expect_created(&mut stream, &want).await;
    });
}

#[test]
fn read_events_burst_between_polls_all_received() {
    run(async {
        let dir = TempDir::new("read-burst");
        let mut inotify = AsyncInotify::new().expect("init");
        inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        let want = create_files(dir.path(), 2_000);
        let mut buffer = EventBuffer::with_capacity(4096);
        let mut seen = BTreeSet::new();
        let mut reads = 0;
        while !want.is_subset(&seen) {
            let events = timeout(DEADLINE, inotify.read_events(&mut buffer))
                .await
                .expect("events before the deadline")
                .expect("read events");
            reads += 1;
            seen.extend(events.filter_map(|e| e.to_owned_name()));
        }
        assert!(reads > 1, "a 4 KiB buffer cannot hold 2,000 records");
    });
}

#[test]
fn pending_stream_wakes_when_event_arrives() {
    run(async {
        let dir = TempDir::new("wake");
        let inotify = AsyncInotify::new().expect("init");
        inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        let mut stream = inotify.into_stream(EventBuffer::new());
        let mut next = stream.next();
        // First poll: nothing is queued, so the task parks on the reactor.
        let first = poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut next).poll(cx))).await;
        assert!(first.is_pending(), "no event was queued yet");
        let path = dir.path().join("late");
        let writer = std::thread::spawn(move || std::fs::write(path, b""));
        let event = timeout(DEADLINE, next)
            .await
            .expect("woken by the event")
            .expect("never ends")
            .expect("read");
        writer.join().expect("writer thread").expect("write file");
        assert_eq!(event.mask, EventMask::CREATE);
        assert_eq!(event.name.as_deref(), Some("late".as_ref()));
    });
}

#[test]
fn borrowed_stream_dropped_mid_batch_keeps_instance_usable() {
    run(async {
        let dir = TempDir::new("drop-borrowed");
        let fds_before = open_fds();
        let mut inotify = AsyncInotify::new().expect("init");
        let raw = inotify.inotify().as_raw_fd();
        inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        create_files(dir.path(), 50);
        let mut stream = inotify.stream(EventBuffer::new());
        let first = timeout(DEADLINE, stream.next())
            .await
            .expect("first event")
            .expect("never ends")
            .expect("read");
        assert_eq!(first.name.as_deref(), Some("f0000".as_ref()));
        assert!(stream.has_buffered(), "one read fetched the whole batch");
        drop(stream);
        assert!(is_open(raw), "dropping a borrowing stream closes nothing");
        assert_eq!(open_fds(), fds_before + 1);
        // The instance still watches and reads.
        std::fs::write(dir.path().join("after"), b"").expect("write");
        let mut buffer = EventBuffer::new();
        let mut names = Vec::new();
        while !names.iter().any(|n| n == "after") {
            let events = timeout(DEADLINE, inotify.read_events(&mut buffer))
                .await
                .expect("event after the drop")
                .expect("read");
            names.extend(events.filter_map(|e| e.to_owned_name()));
        }
        drop(inotify);
        assert!(!is_open(raw));
        assert_eq!(open_fds(), fds_before);
    });
}

#[test]
fn owned_stream_dropped_mid_batch_closes_its_descriptor() {
    run(async {
        let dir = TempDir::new("drop-owned");
        let fds_before = open_fds();
        let inotify = AsyncInotify::new().expect("init");
        let raw = inotify.inotify().as_raw_fd();
        inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        create_files(dir.path(), 50);
        let mut stream = inotify.into_stream(EventBuffer::new());
        timeout(DEADLINE, stream.next())
            .await
            .expect("first event")
            .expect("never ends")
            .expect("read");
        assert!(stream.has_buffered());
        assert_eq!(open_fds(), fds_before + 1);
        drop(stream);
        assert!(!is_open(raw), "the owning stream closes the instance");
        assert_eq!(open_fds(), fds_before);
    });
}

#[test]
fn into_parts_hands_back_a_working_instance() {
    run(async {
        let dir = TempDir::new("into-parts");
        let inotify = AsyncInotify::new().expect("init");
        inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        std::fs::write(dir.path().join("one"), b"").expect("write");
        let mut stream = inotify.into_stream(EventBuffer::new());
        let first = timeout(DEADLINE, stream.next())
            .await
            .expect("event")
            .expect("never ends")
            .expect("read");
        assert_eq!(first.name.as_deref(), Some("one".as_ref()));
        let (inotify, buffer) = stream.into_parts();
        std::fs::write(dir.path().join("two"), b"").expect("write");
        let mut stream = inotify.into_stream(buffer);
        let want = BTreeSet::from([OsString::from("two")]);
        expect_created(&mut stream, &want).await;
    });
}

#[test]
fn cancelled_read_loses_no_event() {
    run(async {
        let dir = TempDir::new("cancel");
        let mut inotify = AsyncInotify::new().expect("init");
        inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        let mut buffer = EventBuffer::new();
        // A read is polled once, parks on the reactor, and is dropped.
        {
            let mut read = std::pin::pin!(inotify.read_events(&mut buffer));
            let first = poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx).is_pending())).await;
            assert!(first, "nothing was queued");
        }
        std::fs::write(dir.path().join("kept"), b"").expect("write");
        let event = timeout(DEADLINE, inotify.read_events(&mut buffer))
            .await
            .expect("event")
            .expect("read")
            .next()
            .expect("one event");
        assert_eq!(event.name, Some("kept".as_ref()));
    });
}

#[test]
fn into_inner_keeps_watches_and_queued_events() {
    run(async {
        let dir = TempDir::new("into-inner");
        let inotify = AsyncInotify::new().expect("init");
        let wd = inotify
            .add_watch(dir.path(), WatchMask::CREATE)
            .expect("watch");
        std::fs::write(dir.path().join("queued"), b"").expect("write");
        let inotify: Inotify = inotify.into_inner();
        assert!(inotify.wait(Some(DEADLINE)).expect("wait"), "queued event");
        let mut buffer = EventBuffer::new();
        let event = inotify
            .read_events(&mut buffer)
            .expect("read")
            .next()
            .expect("event");
        assert_eq!((event.wd, event.name), (wd, Some("queued".as_ref())));
    });
}

#[test]
fn blocking_instance_is_refused_and_handed_back() {
    run(async {
        let blocking = Inotify::init().expect("init");
        let raw = blocking.as_raw_fd();
        let err = AsyncInotify::from_inotify(blocking).expect_err("blocking fd refused");
        assert!(err.to_string().contains("non-blocking"), "{err}");
        let (inotify, io_err) = err.into_parts();
        assert_eq!(io_err.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(inotify.as_raw_fd(), raw);
        assert!(is_open(raw), "the refused instance is still open");
        let nonblocking = Inotify::init_with(InitOptions { nonblocking: true }).expect("init");
        AsyncInotify::from_inotify(nonblocking).expect("non-blocking fd accepted");
    });
}

#[test]
fn new_outside_runtime_is_an_error() {
    let _serial = serial();
    let err = AsyncInotify::new().expect_err("no runtime");
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}

#[test]
fn readiness_wakes_for_a_waker_and_closes_only_its_duplicate() {
    run(async {
        let fds_before = open_fds();
        let waker = inotify_core::Waker::new().expect("eventfd");
        let dup = waker.as_fd().try_clone_to_owned().expect("dup");
        let raw = dup.as_raw_fd();
        let readiness = inotify_core::AsyncReadiness::new(dup).expect("register");
        let reset = |_fd: std::os::fd::BorrowedFd<'_>| {
            if waker.reset()? {
                Ok(())
            } else {
                Err(std::io::ErrorKind::WouldBlock.into())
            }
        };
        {
            let mut wait = std::pin::pin!(readiness.read_with(reset));
            let first = poll_fn(|cx| Poll::Ready(wait.as_mut().poll(cx).is_pending())).await;
            assert!(first, "nothing pending yet");
            let wake_from = std::thread::scope(|scope| scope.spawn(|| waker.wake()).join());
            wake_from.expect("waking thread").expect("wake");
            timeout(DEADLINE, wait)
                .await
                .expect("woken")
                .expect("reset");
        }
        assert_eq!(open_fds(), fds_before + 2);
        let back = readiness.into_inner();
        assert_eq!(back.as_raw_fd(), raw, "into_inner hands the same fd back");
        drop(back);
        assert!(!is_open(raw));
        waker.wake().expect("the original waker is untouched");
        assert!(waker.reset().expect("reset"));
    });
}
