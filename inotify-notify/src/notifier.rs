//! [`Notifier`] (pyinotify's blocking notifier) and its
//! [`NotifierBuilder`]; the [`StopHandle`] that wakes it from any thread
//! is in `stop.rs`.
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

use std::time::Duration;

use inotify_core::{Threshold, wait_readable};

use crate::bookkeeping::{EventProcessor, ProcessorOptions};
use crate::emit::Processed;
use crate::error::Result;
use crate::handler::{ProcessEvent, dispatch, dispatch_shared};
use crate::stop::StopHandle;
use crate::watch_manager::WatchManager;

/// Builds a [`Notifier`] (or a [`crate::ThreadedNotifier`]) with pyinotify's
/// options.
///
/// Setters take and return the builder by value (as `std::thread::Builder`),
/// so a partly configured builder can be stored, passed along and cloned;
/// `build` borrows it, so one builder builds several notifiers.
///
/// ```
/// use std::time::Duration;
/// use inotify_notify::{Event, NotifierBuilder, WatchManager};
/// let base = NotifierBuilder::new().read_freq(Duration::from_millis(10));
/// let coalescing = base.clone().coalesce_events(true);
/// let wm = WatchManager::new()?;
/// let _plain = base.build(&wm, |_: &Event| {})?;
/// let _merged = coalescing.build(&wm, |_: &Event| {})?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
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
    #[must_use]
    pub fn read_freq(mut self, d: Duration) -> Self {
        self.read_freq = d;
        self
    }

    /// pyinotify's `threshold`: read only when at least this many bytes are
    /// queued (FIONREAD, checked only when non-zero). Use with `read_freq`.
    #[must_use]
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// pyinotify's `timeout`: the longest [`Notifier::run`] waits before
    /// calling its callback again (`None`: no limit).
    #[must_use]
    pub fn timeout(mut self, d: Option<Duration>) -> Self {
        self.timeout = d;
        self
    }

    /// pyinotify's `coalesce_events`: drop duplicates of (wd, mask,
    /// cookie, name) within a batch.
    #[must_use]
    pub fn coalesce_events(mut self, on: bool) -> Self {
        self.processor.coalesce_events = on;
        self
    }

    /// After `IN_Q_OVERFLOW`, re-walk the watched trees and emit the
    /// synthetic events that bring a consumer back in line. Keeps a
    /// snapshot (name, type, size, mtime) of every watched directory, so it
    /// costs memory and a `stat` per entry at setup.
    #[must_use]
    pub fn rescan_on_overflow(mut self, on: bool) -> Self {
        self.processor.rescan_on_overflow = on;
        self
    }

    /// Stop [`Notifier::run`] when the manager has no watch left (for
    /// example after the watched root was deleted).
    #[must_use]
    pub fn stop_when_empty(mut self, on: bool) -> Self {
        self.stop_when_empty = on;
        self
    }

    /// Read buffer size in bytes (default 64 KiB).
    #[must_use]
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = Some(bytes);
        self
    }

    /// Stop on `SIGINT` or `SIGTERM` (cargo feature `signals`): from
    /// `build` until the notifier is dropped, these signals no longer end
    /// the process but stop the notifier's loop — [`Notifier::run`] (or a
    /// [`crate::ThreadedNotifier`]'s thread) wakes at once and returns `Ok`, and
    /// [`StopHandle::signal`] tells which signal came. See the crate docs'
    /// "Signals" section for what dropping the notifier restores.
    #[cfg(feature = "signals")]
    #[must_use]
    pub fn stop_on_signals(mut self, on: bool) -> Self {
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
    ) -> Result<Notifier<H>> {
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
    ) -> Result<Notifier<H>> {
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
            handler: default_handler,
            queue: Vec::new(),
            stop,
            options: self.clone(),
            sync: std::sync::Arc::default(),
            #[cfg(feature = "signals")]
            signals,
        })
    }
}

/// pyinotify's `Notifier`: reads, processes and dispatches events in the
/// calling thread.
///
/// Generic over its default handler `H`, so the program gets its handler
/// back ([`Notifier::handler`], [`Notifier::into_handler`]) — a [`Stats`]
/// after a run needs no `Arc<Mutex<..>>`. Plain `Notifier` is the
/// type-erased `Notifier<Box<dyn ProcessEvent + Send>>`
/// ([`Notifier::into_dyn`]), for fields and functions that take any.
///
/// [`Stats`]: crate::Stats
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
pub struct Notifier<H = Box<dyn ProcessEvent + Send>> {
    processor: EventProcessor,
    wm: WatchManager,
    handler: H,
    /// Events read and processed by the bookkeeping, not yet dispatched.
    queue: Vec<Processed>,
    stop: StopHandle,
    options: NotifierBuilder,
    /// The sync barrier's cookies in flight (`sync.rs`).
    sync: Arc<crate::sync::SyncState>,
    /// With `stop_on_signals`: the registration, removed on drop.
    #[cfg(feature = "signals")]
    signals: Option<crate::signals::SignalStop>,
}

impl<H> std::fmt::Debug for Notifier<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("queued", &self.queue.len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<H: ProcessEvent + Send + 'static> Notifier<H> {
    /// A notifier with default options.
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn new(wm: &WatchManager, default_handler: H) -> Result<Self> {
        NotifierBuilder::new().build(wm, default_handler)
    }

    /// The same notifier with its handler boxed: a plain [`Notifier`], for
    /// code that stores or takes notifiers of any handler.
    pub fn into_dyn(self) -> Notifier {
        let Notifier {
            processor,
            wm,
            handler,
            queue,
            stop,
            options,
            sync,
            #[cfg(feature = "signals")]
            signals,
        } = self;
        Notifier {
            processor,
            wm,
            handler: Box::new(handler),
            queue,
            stop,
            options,
            sync,
            #[cfg(feature = "signals")]
            signals,
        }
    }
}

impl<H> Notifier<H> {
    /// The default handler (read a [`crate::Stats`] after a run).
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The default handler, mutably.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// Ends the notifier and gives its default handler back.
    ///
    /// ```
    /// use inotify_notify::{Notifier, Stats, WatchManager};
    /// let wm = WatchManager::new()?;
    /// let mut notifier = Notifier::new(&wm, Stats::new())?;
    /// notifier.stop();
    /// notifier.run(|_| false)?;
    /// let stats: Stats = notifier.into_handler();
    /// assert!(stats.counts().is_empty());
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    pub fn into_handler(self) -> H {
        self.handler
    }
}

impl<H> Notifier<H> {
    /// Waits until events can be read or `timeout` passes (`None`: until
    /// then or a stop). Returns whether events are ready.
    ///
    /// # Errors
    /// `poll` failures.
    pub fn check_events(&mut self, timeout: Option<Duration>) -> Result<bool> {
        if self.stop.is_stopped() {
            self.stop.log_wake_error();
            return Ok(false);
        }
        let [events, pending, stopped, signalled, fan] = wait_readable(
            [
                self.wm.as_fd(),
                self.wm.pending_fd(),
                self.stop.waker().as_fd(),
                self.signal_fd(),
                // The fanotify group, or the pending waker again.
                self.wm.fanotify_fd().unwrap_or(self.wm.pending_fd()),
            ],
            timeout,
        )?;
        if signalled {
            self.on_signal();
        }
        Ok((events || pending || fan) && !stopped && !signalled)
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
            let met = threshold.is_met(st.tree.inotify())?;
            let pending = st.tree.has_pending() || st.fan.is_some();
            drop(st);
            // The pending waker set (a rescan still due, rule errors):
            // a round must run, or the readable waker would spin the loop.
            let [woken] = wait_readable([self.wm.pending_fd()], Some(Duration::ZERO))?;
            if !met && !pending && !woken {
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
    pub fn process_events(&mut self) -> Result<()>
    where
        H: ProcessEvent,
    {
        for processed in self.queue.drain(..) {
            if let Processed::Event { event, .. } = &processed
                && self.sync.swallow(event)
            {
                continue;
            }
            match processed {
                Processed::Event {
                    event,
                    handler: Some(handler),
                } => {
                    dispatch_shared(&handler, &event);
                    self.processor.recycle(event);
                }
                Processed::Event {
                    event,
                    handler: None,
                } => {
                    dispatch(&mut self.handler, &event);
                    self.processor.recycle(event);
                }
                Processed::Error(err) => self.handler.process_error(&err),
            }
        }
        Ok(())
    }

    /// Sends an error to the default handler.
    pub(crate) fn report(&mut self, err: &crate::Error)
    where
        H: ProcessEvent,
    {
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
    pub fn run(&mut self, mut callback: impl FnMut(&mut Self) -> bool) -> Result<()>
    where
        H: ProcessEvent,
    {
        loop {
            self.process_events()?;
            if self.stop.is_stopped() || callback(self) {
                self.stop.log_wake_error();
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

    /// A handle that stops [`Notifier::run`] from anywhere (another
    /// thread, a handler, a signal handler: see [`StopHandle::stop`]).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// pyinotify's `Notifier.stop`: ends [`Notifier::run`] (from its
    /// callback, or before it starts) and makes [`Notifier::check_events`]
    /// return `false`, for good. Unlike pyinotify's it does not close the
    /// descriptor: the watches live as long as the manager. From another
    /// thread or a signal handler, use [`Notifier::stop_handle`].
    ///
    /// ```
    /// use inotify_notify::{Event, Notifier, WatchManager};
    /// let wm = WatchManager::new()?;
    /// let mut notifier = Notifier::new(&wm, |_: &Event| {})?;
    /// let mut rounds = 0;
    /// notifier.run(|n| {
    ///     rounds += 1;
    ///     n.stop();
    ///     false
    /// })?;
    /// assert_eq!(rounds, 1);
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    pub fn stop(&self) {
        self.stop.stop();
    }

    /// The manager.
    pub fn watch_manager(&self) -> &WatchManager {
        &self.wm
    }

    /// The sync barrier's state, shared with a threaded notifier.
    pub(crate) fn sync_state(&self) -> &Arc<crate::sync::SyncState> {
        &self.sync
    }

    /// The bookkeeping processor (for custom loops).
    pub fn processor(&mut self) -> &mut EventProcessor {
        &mut self.processor
    }
}

/// The inotify descriptor, for a mio/poll loop driving the notifier.
impl<H> AsFd for Notifier<H> {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.wm.as_fd()
    }
}
