//! The sync barrier: [`Notifier::sync`] and [`ThreadedNotifier::sync`]
//! return once every event that happened before the call has been
//! dispatched — watchman's cookie, without a file anyone can see.
//!
//! The cookie is a private watch: an anonymous pipe is watched through
//! `/proc/self/fd/N` (a new inode nobody else watches, with no name in any
//! directory, so no `CREATE`/`DELETE` can leak into a watched tree) and
//! the watch is removed at once. The kernel queues the watch's
//! `IN_IGNORED` behind every event already queued — an instance has one
//! FIFO queue, and an event is queued inside the system call that caused
//! it — and `IGNORED` passes every user mask. When the notifier meets
//! that `IGNORED` everything before it has been dispatched; the event
//! itself is never shown to a handler.
//!
//! The only cost on the hot path is one relaxed atomic load per event
//! ([`SyncState::swallow`]), and only a counter when no sync is in
//! flight.

use std::os::fd::AsRawFd as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use inotify_core::{EventMask, WatchDescriptor, WatchMask};

use crate::error::{Error, ErrorKind, Result};
use crate::event::Event;
use crate::notifier::Notifier;
use crate::threaded::ThreadedNotifier;
use crate::watch::WatchOptions;
use crate::watch_manager::WatchManager;

/// The cookies in flight of one notifier, shared with the threads that
/// wait for them.
#[derive(Debug, Default)]
pub(crate) struct SyncState {
    /// How many cookies are in flight; zero keeps the hot path to a load.
    active: AtomicUsize,
    /// The cookies' descriptors, and whether each was reached.
    cookies: Mutex<Vec<(WatchDescriptor, bool)>>,
    reached: Condvar,
}

impl SyncState {
    /// Whether `event` is a cookie's (then it is not dispatched); marks
    /// the cookie reached.
    #[inline]
    pub(crate) fn swallow(&self, event: &Event) -> bool {
        self.active.load(Ordering::Relaxed) != 0 && self.swallow_slow(event)
    }

    #[cold]
    fn swallow_slow(&self, event: &Event) -> bool {
        let mut cookies = self.cookies.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(cookie) = cookies.iter_mut().find(|(wd, _)| *wd == event.wd) else {
            return false;
        };
        if event.mask.contains(EventMask::IGNORED) {
            cookie.1 = true;
            self.reached.notify_all();
        }
        true
    }

    /// Plants a cookie in `wm`'s queue: returns its descriptor, already
    /// registered, with the `IGNORED` on its way.
    pub(crate) fn plant(&self, wm: &WatchManager) -> Result<WatchDescriptor> {
        let (reader, writer) = std::io::pipe().map_err(|err| Error::io(err, None))?;
        let path = format!("/proc/self/fd/{}", reader.as_raw_fd());
        // No event of the pipe's inode ever comes but IGNORED: nobody
        // changes its attributes or deletes it.
        let mask = WatchMask::ATTRIB | WatchMask::DELETE_SELF;
        let added = wm.add_watch(&path, mask, &WatchOptions::default())?;
        let wd =
            added.into_values().next().transpose()?.ok_or_else(|| {
                Error::new(ErrorKind::Io, None, "the sync cookie was not watched")
            })?;
        self.cookies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((wd, false));
        self.active.fetch_add(1, Ordering::SeqCst);
        let removed = wm.rm_watch(wd, crate::RmOptions::default());
        drop((reader, writer));
        if let Err(err) = removed {
            self.forget(wd);
            return Err(err);
        }
        Ok(wd)
    }

    /// Whether the cookie `wd` was reached (forgotten if it was).
    pub(crate) fn take_reached(&self, wd: WatchDescriptor) -> bool {
        let mut cookies = self.cookies.lock().unwrap_or_else(PoisonError::into_inner);
        let reached = cookies.iter().any(|&(w, reached)| w == wd && reached);
        if reached {
            cookies.retain(|&(w, _)| w != wd);
            self.active.fetch_sub(1, Ordering::SeqCst);
        }
        reached
    }

    /// Drops a cookie that timed out. Its `IGNORED`, if it comes later,
    /// then reaches the default handler, which is told what it is by the
    /// path `/proc/self/fd/N` — rare, and better than a cookie that keeps
    /// the slow path on for good.
    pub(crate) fn forget(&self, wd: WatchDescriptor) {
        let mut cookies = self.cookies.lock().unwrap_or_else(PoisonError::into_inner);
        let before = cookies.len();
        cookies.retain(|&(w, _)| w != wd);
        if cookies.len() != before {
            self.active.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Blocks until the cookie `wd` was reached by another thread, or
    /// `deadline`.
    fn wait(&self, wd: WatchDescriptor, deadline: Instant) -> bool {
        let mut cookies = self.cookies.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if cookies.iter().any(|&(w, reached)| w == wd && reached) {
                drop(cookies);
                return self.take_reached(wd);
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            cookies = self
                .reached
                .wait_timeout(cookies, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// The error of a sync that did not see its cookie in time.
pub(crate) fn timed_out(timeout: Duration) -> Error {
    Error::new(
        ErrorKind::Io,
        None,
        format!("sync barrier not reached within {timeout:?}"),
    )
}

impl<H: crate::ProcessEvent> Notifier<H> {
    /// The sync barrier: returns once every event that happened before the
    /// call has been read and dispatched to the handlers (running the loop
    /// until then), so a test or build tool can wait for "everything so
    /// far" instead of sleeping.
    ///
    /// ```
    /// use inotify_notify::{Event, Notifier, WatchManager, WatchMask, WatchOptions};
    /// use std::time::Duration;
    /// # let dir = std::env::temp_dir().join(format!("notifier-sync-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let wm = WatchManager::new()?;
    /// wm.add_watch(&dir, WatchMask::CREATE, &WatchOptions::default())?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let mut notifier = Notifier::new(&wm, move |e: &Event| tx.send(e.pathname().to_path_buf()).unwrap())?;
    /// std::fs::write(dir.join("f"), b"")?;
    /// notifier.sync(Duration::from_secs(5))?;
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [dir.join("f")]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    ///
    /// # Errors
    /// The barrier was not reached within `timeout` (or the loop was
    /// stopped first); the pipe or the private watch could not be made;
    /// a failed wait or read.
    pub fn sync(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let state = Arc::clone(self.sync_state());
        let wd = state.plant(self.watch_manager())?;
        loop {
            self.process_events()?;
            if state.take_reached(wd) {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline || self.stop_handle().is_stopped() {
                state.forget(wd);
                return Err(timed_out(timeout));
            }
            if self.check_events(Some(deadline - now))? {
                self.read_events()?;
            }
        }
    }
}

impl ThreadedNotifier {
    /// The sync barrier for a running threaded notifier: blocks the caller
    /// until the notifier thread has dispatched every event that happened
    /// before the call (in channel mode: sent it to the channel). See
    /// [`Notifier::sync`].
    ///
    /// # Errors
    /// As [`Notifier::sync`]; also when the notifier is not running.
    pub fn sync(&self, timeout: Duration) -> Result<()> {
        if !self.is_alive() {
            return Err(Error::new(
                ErrorKind::Io,
                None,
                "sync needs a running threaded notifier",
            ));
        }
        sync_from_thread(self.sync_state(), self.watch_manager(), timeout)
    }
}

/// A sync from a thread that is not the notifier's: plant, then wait for
/// the notifier thread to reach the cookie.
pub(crate) fn sync_from_thread(
    state: &SyncState,
    wm: &WatchManager,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let wd = state.plant(wm)?;
    if state.wait(wd, deadline) {
        Ok(())
    } else {
        state.forget(wd);
        Err(timed_out(timeout))
    }
}
