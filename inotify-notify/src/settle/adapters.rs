//! The settling layer on the blocking loops: [`SettleHandler`] (the
//! default handler that feeds a [`Settler`]), [`SettleNotifier`] (a
//! [`Notifier`] whose waits end at the settler's deadlines) and
//! [`SettleThread`] (the same on its own thread, batches on a channel).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, SendTimeoutError};

use crate::emit::Processed;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::handler::{ProcessEvent, dispatch_shared};
use crate::notifier::{Notifier, NotifierBuilder};
use crate::settle::window::{Batch, SettleOptions, Settler};
use crate::stop::StopHandle;
use crate::sync::{SyncState, sync_from_thread};
use crate::watch_manager::WatchManager;

/// What the handler and the loop share: the settler and the errors the
/// loop has not returned yet.
#[derive(Debug)]
struct Shared {
    settler: Settler,
    errors: VecDeque<Error>,
}

impl Settler {
    /// Sets the roots and lists the tree of `wm`'s watches as the options
    /// ask ([`SettleOptions::defer_while_locked`]: [`Settler::set_roots`];
    /// [`SettleOptions::list_tree`]: [`Settler::know`]). Call it after the
    /// watches are added and before their first event is fed.
    ///
    /// # Errors
    /// A watched directory that cannot be listed (other than one removed
    /// meanwhile).
    pub fn prepare(&mut self, wm: &WatchManager) -> Result<()> {
        let dirs: Vec<PathBuf> = wm
            .watches()
            .into_iter()
            .filter(|watch| watch.dir)
            .map(|watch| watch.path)
            .collect();
        if self.options().defer_while_locked {
            self.set_roots(dirs.clone());
        }
        if self.options().list_tree {
            let mut known = Vec::new();
            for dir in dirs {
                let entries = match crate::long_path::read_dir(&dir) {
                    Ok(entries) => entries,
                    Err(err) if inotify_core::is_race(&err) => continue,
                    Err(err) => return Err(Error::io(err, Some(&dir))),
                };
                for entry in entries {
                    let entry = entry.map_err(|err| Error::io(err, Some(&dir)))?;
                    known.push(dir.join(entry.file_name()));
                }
                known.push(dir);
            }
            self.know(known);
        }
        Ok(())
    }
}

/// A [`ProcessEvent`] that feeds every event it receives to a shared
/// [`Settler`] (the time of arrival is the time of feeding). Use it as a
/// notifier's default handler, or as a watch's `proc_fun`, and poll the
/// settler from the loop's callback; [`SettleNotifier`] does both.
#[derive(Debug, Clone)]
pub struct SettleHandler {
    shared: Arc<Mutex<Shared>>,
}

impl SettleHandler {
    /// A handler with a new settler.
    pub fn new(options: SettleOptions) -> Self {
        SettleHandler {
            shared: Arc::new(Mutex::new(Shared {
                settler: Settler::new(options),
                errors: VecDeque::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The batch of a window closed at `now`, if any.
    pub fn poll(&self, now: Instant) -> Option<Batch> {
        self.lock().settler.poll(now)
    }

    /// When [`SettleHandler::poll`] may next return a batch.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.lock().settler.next_deadline()
    }

    /// Closes the window now.
    pub fn flush(&self) -> Option<Batch> {
        self.lock().settler.flush()
    }

    /// The oldest error the notifier reported and nobody took yet.
    pub fn take_error(&self) -> Option<Error> {
        self.lock().errors.pop_front()
    }

    /// Sets the roots and lists the tree of `wm`'s watches as the options
    /// ask ([`SettleOptions::defer_while_locked`],
    /// [`SettleOptions::list_tree`]). Call it before the first event is
    /// read.
    ///
    /// # Errors
    /// A watched directory that cannot be listed (other than one removed
    /// meanwhile).
    pub fn prepare(&self, wm: &WatchManager) -> Result<()> {
        self.lock().settler.prepare(wm)
    }

    /// See [`Settler::set_roots`].
    pub fn set_roots(&self, roots: Vec<PathBuf>) {
        self.lock().settler.set_roots(roots);
    }
}

impl ProcessEvent for SettleHandler {
    fn process_default(&mut self, event: &Event) {
        self.lock().settler.feed(event, Instant::now());
    }

    fn process_error(&mut self, error: &Error) {
        self.lock().errors.push_back(duplicate(error));
    }
}

/// A [`Notifier`] that hands out settled [`Batch`]es instead of events.
///
/// Every event without a per-watch `proc_fun` is settled. The waits end
/// at the settler's deadlines, so a batch comes out when its window
/// closes, not at the next event.
///
/// ```
/// use inotify_notify::{ChangeKind, SettleNotifier, SettleOptions, WatchManager, WatchMask, WatchOptions};
/// use std::time::Duration;
/// # let dir = std::env::temp_dir().join(format!("settle-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("config"), b"old")?;
/// let wm = WatchManager::new()?;
/// wm.add_watch(&dir, WatchMask::ALL_EVENTS, &WatchOptions::default())?;
/// let mut settle = SettleNotifier::new(&wm, SettleOptions::default())?;
/// // An atomic save: write a temporary file, rename it over the old one.
/// std::fs::write(dir.join("config.tmp"), b"new")?;
/// std::fs::rename(dir.join("config.tmp"), dir.join("config"))?;
/// let batch = settle.next_batch(Some(Duration::from_secs(5)))?.expect("settled");
/// assert_eq!(batch.changes.len(), 1);
/// assert_eq!(batch.changes[0].path, dir.join("config"));
/// assert_eq!(batch.changes[0].kind, ChangeKind::Modified { replaced: true });
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
#[derive(Debug)]
pub struct SettleNotifier {
    notifier: Notifier,
    /// Owned, not behind the handler's lock: the loop drives the processor
    /// itself and feeds the events without a dispatch.
    settler: Settler,
    /// Bookkeeping errors not yet returned.
    errors: VecDeque<Error>,
    sync: Arc<SyncState>,
}

impl SettleNotifier {
    /// A settling notifier on `wm` with the default notifier options.
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn new(wm: &WatchManager, options: SettleOptions) -> Result<Self> {
        Self::with_builder(&NotifierBuilder::new(), wm, options)
    }

    /// A settling notifier built by `builder` (its `timeout`, `read_freq`
    /// and `threshold` are not used: the settler's deadlines set the waits
    /// and reads).
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn with_builder(
        builder: &NotifierBuilder,
        wm: &WatchManager,
        options: SettleOptions,
    ) -> Result<Self> {
        let mut settler = Settler::new(options);
        settler.prepare(wm)?;
        // Events reach the settler through the loop below, never through
        // the notifier's dispatch.
        let notifier = builder.build(wm, |_: &Event| {})?.into_dyn();
        let sync = Arc::clone(notifier.sync_state());
        Ok(SettleNotifier {
            notifier,
            settler,
            errors: VecDeque::new(),
            sync,
        })
    }

    /// Waits for the next batch: returns it when its window closes,
    /// `Ok(None)` when `timeout` passes first (`None`: no limit) or the
    /// loop is stopped. A zero timeout reads and settles what is ready
    /// without waiting.
    ///
    /// # Errors
    /// A failed wait or read; an error of the bookkeeping (a failed
    /// automatic add) is returned once, and the next call carries on.
    pub fn next_batch(&mut self, timeout: Option<Duration>) -> Result<Option<Batch>> {
        self.next_inner(timeout).map_err(|(err, _)| err)
    }

    /// [`SettleNotifier::next_batch`], saying whether an error ends the
    /// loop (a failed wait or read) or not (the bookkeeping's).
    fn next_inner(
        &mut self,
        timeout: Option<Duration>,
    ) -> std::result::Result<Option<Batch>, (Error, bool)> {
        let limit = timeout.map(|t| Instant::now() + t);
        loop {
            let now = Instant::now();
            if let Some(batch) = self.settler.poll(now) {
                return Ok(Some(batch));
            }
            if let Some(err) = self.errors.pop_front() {
                return Err((err, false));
            }
            if self.notifier.stop_handle().is_stopped() {
                return Ok(None);
            }
            let until = match (self.settler.next_deadline(), limit) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let wait = until.map(|until| until.saturating_duration_since(now));
            if !self.round(wait).map_err(|err| (err, true))?
                && limit.is_some_and(|l| Instant::now() >= l)
            {
                return Ok(self.settler.poll(Instant::now()));
            }
        }
    }

    /// Waits up to `wait` for events, reads and processes them, and feeds
    /// them to the settler (per-watch handlers get theirs, the sync
    /// barrier's cookies are dropped). Returns whether events were ready.
    fn round(&mut self, wait: Option<Duration>) -> Result<bool> {
        if !self.notifier.check_events(wait)? {
            return Ok(false);
        }
        // One clock read per read: the quiet period is far longer than a
        // read's processing, and a clock read per event would cost more
        // than the settling.
        let now = Instant::now();
        let (settler, errors, sync) = (&mut self.settler, &mut self.errors, &self.sync);
        self.notifier
            .processor()
            .process_ready(&mut |processed| match processed {
                Processed::Event {
                    event,
                    handler: Some(handler),
                } => dispatch_shared(&handler, &event),
                Processed::Event {
                    event,
                    handler: None,
                } => {
                    if !sync.swallow(&event) {
                        settler.feed(&event, now);
                    }
                }
                Processed::Error(err) => errors.push_back(err),
            })?;
        Ok(true)
    }

    /// Calls `on_batch` with each batch until it returns `true` or the
    /// loop is stopped.
    ///
    /// # Errors
    /// As [`SettleNotifier::next_batch`] (the loop ends at the first).
    pub fn run(&mut self, mut on_batch: impl FnMut(Batch) -> bool) -> Result<()> {
        while let Some(batch) = self.next_batch(None)? {
            if on_batch(batch) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The sync barrier, then the window closed at once: the batch with
    /// every change made before the call (`None`: nothing changed).
    ///
    /// # Errors
    /// As [`Notifier::sync`].
    pub fn settle_now(&mut self, timeout: Duration) -> Result<Option<Batch>> {
        let deadline = Instant::now() + timeout;
        let sync = Arc::clone(&self.sync);
        let wd = sync.plant(self.notifier.watch_manager())?;
        while !sync.take_reached(wd) {
            let now = Instant::now();
            if now >= deadline || self.notifier.stop_handle().is_stopped() {
                sync.forget(wd);
                return Err(crate::sync::timed_out(timeout));
            }
            self.round(Some(deadline - now))?;
        }
        if let Some(err) = self.errors.pop_front() {
            return Err(err);
        }
        Ok(self.settler.flush())
    }

    /// Closes the window now: its batch, whatever the clock says.
    pub fn flush(&mut self) -> Option<Batch> {
        self.settler.flush()
    }

    /// A handle that stops [`SettleNotifier::run`] from anywhere.
    pub fn stop_handle(&self) -> StopHandle {
        self.notifier.stop_handle()
    }

    /// The manager.
    pub fn watch_manager(&self) -> &WatchManager {
        self.notifier.watch_manager()
    }

    /// The notifier underneath.
    pub fn notifier(&mut self) -> &mut Notifier {
        &mut self.notifier
    }

    /// Runs the loop on its own thread, sending each batch to a bounded
    /// channel of `capacity` (a full channel blocks the loop: backpressure
    /// as in [`crate::ThreadedNotifier::channel`]). Errors go to the
    /// channel too and the loop carries on, except a failed wait or read,
    /// which ends it.
    ///
    /// # Errors
    /// The thread cannot be spawned.
    pub fn spawn(mut self, capacity: usize) -> Result<(SettleThread, Receiver<Result<Batch>>)> {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        let stop = self.stop_handle();
        let sync = Arc::clone(&self.sync);
        let wm = self.watch_manager().clone();
        let thread_stop = stop.clone();
        let thread = thread::Builder::new()
            .name("inotify-settle".into())
            .spawn(move || {
                loop {
                    let (mut item, fatal) = match self.next_inner(None) {
                        Ok(Some(batch)) => (Ok(batch), false),
                        Ok(None) => return,
                        Err((err, fatal)) => (Err(err), fatal),
                    };
                    loop {
                        match tx.send_timeout(item, Duration::from_millis(50)) {
                            Ok(()) => break,
                            Err(SendTimeoutError::Timeout(back)) if !thread_stop.is_stopped() => {
                                item = back;
                            }
                            Err(_) => return,
                        }
                    }
                    if fatal {
                        return;
                    }
                }
            })
            .map_err(|err| Error::io(err, None))?;
        Ok((
            SettleThread {
                thread: Some(thread),
                stop,
                sync,
                wm,
            },
            rx,
        ))
    }
}

/// A [`SettleNotifier`] running on its own thread
/// ([`SettleNotifier::spawn`]); stopped and joined on drop.
#[derive(Debug)]
pub struct SettleThread {
    thread: Option<JoinHandle<()>>,
    stop: StopHandle,
    sync: Arc<SyncState>,
    wm: WatchManager,
}

impl SettleThread {
    /// The sync barrier: blocks until the thread has fed the settler every
    /// event that happened before the call (their batch follows when its
    /// window closes). See [`Notifier::sync`].
    ///
    /// # Errors
    /// As [`Notifier::sync`].
    pub fn sync(&self, timeout: Duration) -> Result<()> {
        sync_from_thread(&self.sync, &self.wm, timeout)
    }

    /// A handle that stops the thread's loop.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops the loop and joins the thread. Idempotent.
    pub fn stop(&mut self) {
        self.stop.stop();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("the settle thread panicked");
        }
    }
}

impl Drop for SettleThread {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A copy of `error` (the handler only borrows it): the same kind and
/// path, and the same errno when it has one.
fn duplicate(error: &Error) -> Error {
    match error.io_error().and_then(std::io::Error::raw_os_error) {
        Some(errno) => Error::io(std::io::Error::from_raw_os_error(errno), error.path()),
        None => Error::new(*error.kind(), None, error.to_string()),
    }
}
