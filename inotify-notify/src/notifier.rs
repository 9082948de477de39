//! [`Notifier`] (pyinotify's blocking notifier), its ripgrep-shaped
//! [`NotifierBuilder`], and the [`StopHandle`] that wakes it from any
//! thread.
//!
//! The loop is: wait (poll on the inotify fd, the manager's pending fd and
//! the stop waker) → one read, processed by the [`EventProcessor`] under
//! one lock → dispatch to handlers outside the lock (so handlers may add
//! and remove watches).
//!
//! With the `signals` feature, `NotifierBuilder::stop_on_signals` adds a
//! fourth descriptor to that wait: the self-pipe of `signals.rs`.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use inotify_core::{Threshold, Waker, wait_readable};

use crate::bookkeeping::{EventProcessor, ProcessorOptions};
use crate::emit::Processed;
use crate::error::Result;
use crate::handler::{ProcessEvent, dispatch, dispatch_shared};
use crate::threaded::ThreadedNotifier;
use crate::watch_manager::WatchManager;

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
                #[cfg(feature = "signals")]
                signal: Arc::default(),
            }),
        })
    }

    /// Asks the loop to stop and wakes it.
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        if let Err(err) = self.inner.waker.wake() {
            log::warn!("cannot wake the notifier: {err}");
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
    /// did (see [`NotifierBuilder::stop_on_signals`]); the last one if
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

/// Builds a [`Notifier`] (or a [`ThreadedNotifier`]) with pyinotify's
/// options.
#[derive(Debug, Clone, Default)]
pub struct NotifierBuilder {
    read_freq: Duration,
    threshold: usize,
    timeout: Option<Duration>,
    processor: ProcessorOptions,
    stop_when_empty: bool,
    buffer_size: Option<usize>,
    #[cfg(feature = "signals")]
    stop_on_signals: bool,
}

impl NotifierBuilder {
    /// Default options: no read delay, no threshold, wait without timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// pyinotify's `read_freq`: after each round, wait this long (stoppable)
    /// before reading again, so events accumulate into larger batches.
    pub fn read_freq(&mut self, d: Duration) -> &mut Self {
        self.read_freq = d;
        self
    }

    /// pyinotify's `threshold`: read only when at least this many bytes are
    /// queued (FIONREAD, checked only when non-zero). Use with `read_freq`.
    pub fn threshold(&mut self, bytes: usize) -> &mut Self {
        self.threshold = bytes;
        self
    }

    /// pyinotify's `timeout`: the longest [`Notifier::run`] waits before
    /// calling its callback again (`None`: no limit).
    pub fn timeout(&mut self, d: Option<Duration>) -> &mut Self {
        self.timeout = d;
        self
    }

    /// pyinotify's `coalesce_events`: drop duplicates of (wd, mask,
    /// cookie, name) within a batch.
    pub fn coalesce_events(&mut self, on: bool) -> &mut Self {
        self.processor.coalesce_events = on;
        self
    }

    /// After `IN_Q_OVERFLOW`, re-walk the watched trees and emit the
    /// synthetic events that bring a consumer back in line. Keeps a
    /// snapshot (name, type, size, mtime) of every watched directory, so it
    /// costs memory and a `stat` per entry at setup.
    pub fn rescan_on_overflow(&mut self, on: bool) -> &mut Self {
        self.processor.rescan_on_overflow = on;
        self
    }

    /// Stop [`Notifier::run`] when the manager has no watch left (for
    /// example after the watched root was deleted).
    pub fn stop_when_empty(&mut self, on: bool) -> &mut Self {
        self.stop_when_empty = on;
        self
    }

    /// Read buffer size in bytes (default 64 KiB).
    pub fn buffer_size(&mut self, bytes: usize) -> &mut Self {
        self.buffer_size = Some(bytes);
        self
    }

    /// Stop on `SIGINT` or `SIGTERM` (cargo feature `signals`): from
    /// `build` until the notifier is dropped, these signals no longer end
    /// the process but stop the notifier's loop — [`Notifier::run`] (or a
    /// [`ThreadedNotifier`]'s thread) wakes at once and returns `Ok`, and
    /// [`StopHandle::signal`] tells which signal came. See the crate docs'
    /// "Signals" section for what dropping the notifier restores.
    #[cfg(feature = "signals")]
    pub fn stop_on_signals(&mut self, on: bool) -> &mut Self {
        self.stop_on_signals = on;
        self
    }

    /// A notifier on `wm` sending events without a per-watch handler to
    /// `default_handler`.
    ///
    /// # Errors
    /// Failure to create the stop waker (eventfd), or, with
    /// `stop_on_signals`, the signal socket or handlers.
    pub fn build<H: ProcessEvent + Send + 'static>(
        &self,
        wm: &WatchManager,
        default_handler: H,
    ) -> Result<Notifier> {
        self.build_with_stop(wm, default_handler, StopHandle::new()?)
    }

    /// [`NotifierBuilder::build`] with a given stop handle.
    #[cfg_attr(
        not(feature = "signals"),
        expect(
            clippy::unnecessary_wraps,
            reason = "fallible with the `signals` feature (handler registration)"
        )
    )]
    pub(crate) fn build_with_stop<H: ProcessEvent + Send + 'static>(
        &self,
        wm: &WatchManager,
        default_handler: H,
        stop: StopHandle,
    ) -> Result<Notifier> {
        #[cfg(feature = "signals")]
        let signals = if self.stop_on_signals {
            Some(crate::signals::SignalStop::register(&stop)?)
        } else {
            None
        };
        let mut processor = EventProcessor::new(wm, self.processor);
        if let Some(bytes) = self.buffer_size {
            processor.set_buffer_size(bytes);
        }
        Ok(Notifier {
            processor,
            wm: wm.clone(),
            handler: Box::new(default_handler),
            queue: Vec::new(),
            stop,
            options: self.clone(),
            #[cfg(feature = "signals")]
            signals,
        })
    }

    /// A [`ThreadedNotifier`] with these options.
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn build_threaded<H: ProcessEvent + Send + 'static>(
        &self,
        wm: &WatchManager,
        handler: H,
    ) -> Result<ThreadedNotifier> {
        Ok(ThreadedNotifier::from_notifier(self.build(wm, handler)?))
    }
}

/// pyinotify's `Notifier`: reads, processes and dispatches events in the
/// calling thread.
///
/// ```
/// use inotify_notify::{Event, Notifier, WatchManager, WatchMask, WatchOptions};
/// use std::time::Duration;
/// let dir = std::env::temp_dir().join(format!("notifier-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let wm = WatchManager::new()?;
/// wm.add_watch(&dir, WatchMask::CREATE, &WatchOptions::default())?;
/// let (tx, rx) = std::sync::mpsc::channel();
/// let mut notifier = Notifier::new(&wm, move |e: &Event| tx.send(e.pathname().to_path_buf()).unwrap())?;
/// std::fs::write(dir.join("f"), b"")?;
/// if notifier.check_events(Some(Duration::from_secs(5)))? {
///     notifier.read_events()?;
///     notifier.process_events()?;
/// }
/// assert_eq!(rx.try_recv().unwrap(), dir.join("f"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
pub struct Notifier {
    processor: EventProcessor,
    wm: WatchManager,
    handler: Box<dyn ProcessEvent + Send>,
    /// Events read and processed by the bookkeeping, not yet dispatched.
    queue: Vec<Processed>,
    stop: StopHandle,
    options: NotifierBuilder,
    /// With `stop_on_signals`: the registration, removed on drop.
    #[cfg(feature = "signals")]
    signals: Option<crate::signals::SignalStop>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("queued", &self.queue.len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier with default options.
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn new<H: ProcessEvent + Send + 'static>(
        wm: &WatchManager,
        default_handler: H,
    ) -> Result<Self> {
        NotifierBuilder::new().build(wm, default_handler)
    }

    /// Waits until events can be read or `timeout` passes (`None`: until
    /// then or a stop). Returns whether events are ready.
    ///
    /// # Errors
    /// `poll` failures.
    pub fn check_events(&mut self, timeout: Option<Duration>) -> Result<bool> {
        if self.stop.is_stopped() {
            return Ok(false);
        }
        let [events, pending, stopped, signalled] = wait_readable(
            [
                self.wm.as_fd(),
                self.wm.pending_fd(),
                self.stop.waker().as_fd(),
                self.signal_fd(),
            ],
            timeout,
        )?;
        if signalled {
            self.on_signal();
        }
        Ok((events || pending) && !stopped && !signalled)
    }

    /// The descriptor a handled signal makes readable; without signal
    /// handling, the stop waker again (poll(2) accepts a descriptor twice),
    /// so every wait polls one array shape.
    fn signal_fd(&self) -> BorrowedFd<'_> {
        #[cfg(feature = "signals")]
        if let Some(signals) = &self.signals {
            return signals.as_fd();
        }
        self.stop.waker().as_fd()
    }

    /// A handled signal (or the stop waker standing in for one) woke the
    /// wait. The signal's actions already stopped the handle before
    /// writing the byte that woke us; stopping again is idempotent and
    /// keeps a readable descriptor from ever spinning the loop.
    fn on_signal(&self) {
        if !self.stop.is_stopped() {
            self.stop.stop();
        }
    }

    /// Reads the queued events (one read) and runs the bookkeeping on them;
    /// they wait for [`Notifier::process_events`]. With a threshold, reads
    /// only when enough bytes are queued.
    ///
    /// # Errors
    /// A failed read (or FIONREAD).
    pub fn read_events(&mut self) -> Result<()> {
        if self.options.threshold > 0 {
            let threshold = Threshold::new(self.options.threshold);
            let st = self.wm.lock();
            let met = threshold.is_met(&st.reader)?;
            let pending = !st.pending.is_empty();
            drop(st);
            if !met && !pending {
                return Ok(());
            }
        }
        let queue = &mut self.queue;
        self.processor.process_ready(&mut |p| queue.push(p))?;
        Ok(())
    }

    /// Dispatches the events read: to the watch's `proc_fun` if it has one,
    /// else to the default handler.
    ///
    /// # Errors
    /// None today; kept fallible as pyinotify's may raise.
    pub fn process_events(&mut self) -> Result<()> {
        for processed in self.queue.drain(..) {
            match processed {
                Processed::Event {
                    event,
                    handler: Some(handler),
                } => dispatch_shared(&handler, &event),
                Processed::Event {
                    event,
                    handler: None,
                } => dispatch(&mut *self.handler, &event),
                Processed::Error(err) => self.handler.process_error(&err),
            }
        }
        Ok(())
    }

    /// Sends an error to the default handler.
    pub(crate) fn report(&mut self, err: &crate::Error) {
        self.handler.process_error(err);
    }

    /// pyinotify's `loop`: process, call `callback` (returning `true`
    /// stops), wait `read_freq`, wait for events (at most `timeout`), read;
    /// until the callback or a [`StopHandle`] stops it, or, with
    /// `stop_when_empty`, no watch is left (or, with `stop_on_signals`,
    /// `SIGINT`/`SIGTERM` arrives).
    ///
    /// # Errors
    /// A failed wait or read.
    pub fn run(&mut self, mut callback: impl FnMut(&mut Notifier) -> bool) -> Result<()> {
        loop {
            self.process_events()?;
            if self.stop.is_stopped() || callback(self) {
                return Ok(());
            }
            if self.options.stop_when_empty && self.wm.num_watches() == 0 {
                return Ok(());
            }
            if !self.options.read_freq.is_zero() {
                let [_, signalled] = wait_readable(
                    [self.stop.waker().as_fd(), self.signal_fd()],
                    Some(self.options.read_freq),
                )?;
                if signalled {
                    self.on_signal();
                }
                if self.stop.is_stopped() {
                    return Ok(());
                }
            }
            if self.check_events(self.options.timeout)? {
                self.read_events()?;
            }
        }
    }

    /// A handle that stops [`Notifier::run`] from anywhere.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// The manager.
    pub fn watch_manager(&self) -> &WatchManager {
        &self.wm
    }

    /// The bookkeeping processor (for custom loops).
    pub fn processor(&mut self) -> &mut EventProcessor {
        &mut self.processor
    }
}

/// The inotify descriptor, for a mio/poll loop driving the notifier.
impl AsFd for Notifier {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.wm.as_fd()
    }
}
