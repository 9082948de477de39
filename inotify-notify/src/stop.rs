//! [`StopHandle`]: stops a notifier's loop from any thread, a handler or
//! a raw signal handler, by setting a flag and writing to an eventfd the
//! loop polls beside the inotify descriptor. Shared by [`crate::Notifier`],
//! [`crate::ThreadedNotifier`] and the `signals` feature.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use inotify_core::Waker;

use crate::error::Result;

/// Stops a notifier's loop from any thread (or from inside a handler),
/// waking a blocked wait at once. Cheap to clone; `stop` is idempotent.
#[derive(Clone, Debug)]
pub struct StopHandle {
    inner: Arc<StopInner>,
}

#[derive(Debug)]
struct StopInner {
    /// Shared (`Arc`) so a signal-hook action can set it directly.
    stopped: Arc<AtomicBool>,
    waker: Waker,
    /// The errno of a failed wake-up (0: none), kept for the loop to log:
    /// `stop` itself must not log (async-signal-safety).
    wake_error: AtomicI32,
    /// The signal that stopped the loop (0: none), set by a signal-hook
    /// action before `stopped`.
    #[cfg(feature = "signals")]
    signal: Arc<std::sync::atomic::AtomicUsize>,
}

impl StopHandle {
    /// A handle not yet stopped.
    pub(crate) fn new() -> Result<Self> {
        Ok(StopHandle {
            inner: Arc::new(StopInner {
                stopped: Arc::new(AtomicBool::new(false)),
                waker: Waker::new()?,
                wake_error: AtomicI32::new(0),
                #[cfg(feature = "signals")]
                signal: Arc::default(),
            }),
        })
    }

    /// Asks the loop to stop and wakes it.
    ///
    /// **Async-signal-safe**: it does one atomic store and one 8-byte
    /// `write(2)` to an eventfd — no allocation, no lock, no logging (a
    /// failed write, which an open eventfd does not do, only stores the
    /// errno for the loop to log). So a raw signal handler may call it,
    /// for example one registered with `signal_hook::low_level::register`
    /// (whose handlers save and restore `errno`): a blocked
    /// [`crate::Notifier::run`] or [`crate::Notifier::check_events`] then returns at
    /// once, although the loop retries EINTR. Without unsafe code, the
    /// `signals` feature's `NotifierBuilder::stop_on_signals` does the
    /// same for SIGINT and SIGTERM.
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        if let Err(err) = self.inner.waker.wake() {
            let errno = err.raw_os_error().unwrap_or(-1);
            self.inner.wake_error.store(errno, Ordering::SeqCst);
        }
    }

    /// Logs a wake-up that [`StopHandle::stop`] could not do (once).
    pub(crate) fn log_wake_error(&self) {
        match self.inner.wake_error.swap(0, Ordering::SeqCst) {
            0 => {}
            -1 => log::warn!("cannot wake the notifier"),
            errno => log::warn!(
                "cannot wake the notifier: {}",
                std::io::Error::from_raw_os_error(errno)
            ),
        }
    }

    /// Whether [`StopHandle::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    /// The waker's descriptor, readable once stopped.
    pub(crate) fn waker(&self) -> &Waker {
        &self.inner.waker
    }

    /// The signal (`SIGINT` or `SIGTERM`) that stopped the loop, if one
    /// did (see [`crate::NotifierBuilder::stop_on_signals`]); the last one if
    /// several arrived.
    #[cfg(feature = "signals")]
    pub fn signal(&self) -> Option<i32> {
        match self.inner.signal.load(Ordering::SeqCst) {
            0 => None,
            signal => i32::try_from(signal).ok(),
        }
    }

    /// The stopped flag, for a signal-hook action.
    #[cfg(feature = "signals")]
    pub(crate) fn stopped_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.inner.stopped)
    }

    /// The signal number's cell, for a signal-hook action.
    #[cfg(feature = "signals")]
    pub(crate) fn signal_flag(&self) -> Arc<std::sync::atomic::AtomicUsize> {
        Arc::clone(&self.inner.signal)
    }
}
