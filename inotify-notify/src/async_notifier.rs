//! [`AsyncNotifier`] (feature `tokio`): pyinotify's `AsyncNotifier` for
//! tokio — the [`EventProcessor`] of [`crate::Notifier`] driven by the
//! reactor, with events as a [`Stream`] or dispatched to a handler.
//!
//! No thread of its own and no timer: the notifier owns duplicates of the
//! manager's inotify descriptor and pending-events eventfd, registered with
//! tokio through core's [`AsyncReadiness`]. When either is readable it
//! hands the processor to tokio's blocking pool for one round of
//! [`EventProcessor::process_ready`] (the same system processing as the
//! blocking notifier: auto-add with scan, rename pairing, overflow) — a
//! round can walk a whole tree moved in, which must not stall the runtime's
//! threads — and gets it back with the outputs. It routes each output as
//! the blocking notifier does — an event of a watch with a `proc_fun` goes
//! to that handler, every other event and every error to the consumer —
//! and goes on until a zero-timeout `poll` finds the queue empty, which is
//! what tokio's edge-triggered readiness needs. Outputs are handed out
//! within tokio's cooperative budget, so a consumer of a long run of ready
//! events yields to the other tasks now and then.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_core::Stream;
use futures_core::stream::FusedStream;
use inotify_core::{AsyncReadiness, wait_readable};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::bookkeeping::{EventProcessor, ProcessorOptions};
use crate::emit::Processed;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::handler::{ProcessEvent, dispatch, dispatch_shared};
use crate::watch_manager::WatchManager;

/// pyinotify's `AsyncNotifier` on tokio: a [`Stream`] of the events that
/// have no per-watch handler, after the full system processing.
///
/// Events of a watch with a `proc_fun` are dispatched to it while the stream
/// is polled (as [`crate::Notifier`] does); the others, and the errors of
/// the bookkeeping (a failed automatic add), are yielded. A failed read or
/// wait is yielded as an error and ends the stream.
/// [`AsyncNotifier::run`] instead sends everything to a default handler.
///
/// Cancel-safe: outputs already processed wait in the notifier for the next
/// poll (or [`AsyncNotifier::run`]), and a round of processing in flight
/// goes on by itself. Dropping the notifier discards those outputs (a round
/// in flight finishes and discards its own) and closes only its own
/// duplicate descriptors: the
/// [`WatchManager`], its watches and the events still in the kernel queue
/// stay, and another notifier can take over.
///
/// The processing runs on tokio's blocking pool (`spawn_blocking`), one
/// round per readiness, so neither the walk of a tree moved in nor the
/// [`crate::MOVE_GRACE`] wait for a rename's second half stalls the
/// runtime, a current-thread one included; events of watches with a
/// `proc_fun` are dispatched at most 256 per poll. The
/// round holds the [`WatchManager`]'s lock, as the blocking notifier's
/// processing does: a task calling the manager meanwhile (`add_watch`,
/// `watches`) waits for the round, so while large trees may be moved in,
/// call it from `spawn_blocking` too.
///
/// ```
/// use futures_util::StreamExt;
/// use inotify_notify::{AsyncNotifier, WatchManager, WatchMask, WatchOptions};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), inotify_notify::Error> {
/// # let dir = std::env::temp_dir().join(format!("async-notifier-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let wm = WatchManager::new()?;
/// let options = WatchOptions { rec: true, auto_add: true, ..WatchOptions::default() };
/// wm.add_watch(&dir, WatchMask::CREATE, &options)?;
/// let mut notifier = AsyncNotifier::new(&wm)?;
/// std::fs::create_dir(dir.join("sub"))?;
/// let event = notifier.next().await.expect("runs until dropped")?;
/// assert_eq!(event.pathname(), dir.join("sub"));
/// assert!(event.dir);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
pub struct AsyncNotifier {
    /// `None` while a round runs on the blocking pool (`round`).
    processor: Option<EventProcessor>,
    /// The round of processing on the blocking pool, if one runs.
    round: Option<JoinHandle<Round>>,
    /// The runtime the notifier was made in (its blocking pool).
    runtime: Handle,
    wm: WatchManager,
    /// A buffer size set while the processor was away.
    buffer_size: Option<usize>,
    /// A duplicate of the manager's inotify descriptor, on the reactor.
    inotify: AsyncReadiness,
    /// A duplicate of [`WatchManager::pending_fd`], on the reactor.
    pending: AsyncReadiness,
    /// A duplicate of [`WatchManager::fanotify_fd`], on the reactor.
    fan: Option<AsyncReadiness>,
    /// Outputs processed and not yet routed, oldest first.
    queue: VecDeque<Processed>,
    /// A read failure met while processing; yielded after `queue`.
    failed: Option<Error>,
    /// Set once a fatal error was yielded: the stream has ended.
    done: bool,
}

impl std::fmt::Debug for AsyncNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncNotifier")
            .field("queued", &self.queue.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// How many events of watches with a `proc_fun` one poll dispatches before
/// it yields to the runtime (the handlers' work is unknown: bound it).
const DISPATCH_SLICE: usize = 256;

/// A round of processing on the blocking pool: the processor back, its
/// outputs, and the read's result.
type Round = (EventProcessor, VecDeque<Processed>, Result<usize>);

/// What one step of the notifier produced.
enum Step {
    /// An event for the default handler (or the stream).
    Event(Event),
    /// A bookkeeping error: reported, processing goes on.
    Error(Error),
    /// A read or wait failure: reported, processing stops.
    Fatal(Error),
}

impl AsyncNotifier {
    /// A notifier on `wm` with default processing options.
    ///
    /// # Errors
    /// Duplicating the descriptors (EMFILE), or registering them with the
    /// reactor; `Io` outside a tokio runtime.
    ///
    /// # Panics
    /// When the runtime was built without IO, as tokio's own types do.
    pub fn new(wm: &WatchManager) -> Result<Self> {
        Self::with_options(wm, ProcessorOptions::default())
    }

    /// A notifier on `wm` with `options` (coalescing, overflow rescans).
    ///
    /// # Errors
    /// As [`AsyncNotifier::new`].
    ///
    /// # Panics
    /// As [`AsyncNotifier::new`].
    pub fn with_options(wm: &WatchManager, options: ProcessorOptions) -> Result<Self> {
        let inotify = AsyncReadiness::new(wm.as_fd().try_clone_to_owned()?)?;
        let pending = AsyncReadiness::new(wm.pending_fd().try_clone_to_owned()?)?;
        let fan = match wm.fanotify_fd() {
            Some(fd) => Some(AsyncReadiness::new(fd.try_clone_to_owned()?)?),
            None => None,
        };
        // AsyncReadiness::new checked that there is a runtime.
        let runtime =
            Handle::try_current().map_err(|err| Error::io(io::Error::other(err), None))?;
        Ok(AsyncNotifier {
            processor: Some(EventProcessor::new(wm, options)),
            round: None,
            runtime,
            wm: wm.clone(),
            buffer_size: None,
            inotify,
            pending,
            fan,
            queue: VecDeque::new(),
            failed: None,
            done: false,
        })
    }

    /// The manager.
    pub fn watch_manager(&self) -> &WatchManager {
        &self.wm
    }

    /// Sets the read buffer size (bytes; never below one maximal record),
    /// from the next round on.
    pub fn set_buffer_size(&mut self, bytes: usize) {
        match &mut self.processor {
            Some(processor) => processor.set_buffer_size(bytes),
            None => self.buffer_size = Some(bytes),
        }
    }

    /// pyinotify's `loop` for an async runtime: dispatches every event
    /// without a per-watch handler to `handler` (specific method, family,
    /// then `process_default`) and every error to its `process_error`,
    /// until a read fails. Stop it by dropping the future (for example in
    /// `tokio::select!` with a shutdown signal); no event is lost by that.
    ///
    /// # Errors
    /// The read or wait failure that ended the loop (also sent to
    /// `process_error` first).
    pub async fn run<H: ProcessEvent>(&mut self, mut handler: H) -> Result<()> {
        loop {
            match std::future::poll_fn(|cx| self.poll_step(cx)).await {
                Step::Event(event) => dispatch(&mut handler, &event),
                Step::Error(err) => handler.process_error(&err),
                Step::Fatal(err) => {
                    handler.process_error(&err);
                    return Err(err);
                }
            }
        }
    }

    /// Registers a fanotify group opened after the notifier was made (the
    /// fanotify fallback turned on since) on first sight.
    fn pick_up_fan(&mut self) -> Result<()> {
        if self.fan.is_none()
            && let Some(fd) = self.wm.fanotify_fd()
        {
            self.fan = Some(AsyncReadiness::new(fd.try_clone_to_owned()?)?);
        }
        Ok(())
    }

    /// Routes queued outputs, then waits on both descriptors and runs
    /// rounds of processing for what they have, until there is something
    /// for the consumer.
    fn poll_step(&mut self, cx: &mut Context<'_>) -> Poll<Step> {
        // One unit of tokio's budget per output handed out: a consumer
        // that keeps finding outputs ready yields now and then.
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        let mut dispatched = 0;
        loop {
            while let Some(processed) = self.queue.pop_front() {
                let step = match processed {
                    Processed::Event {
                        event,
                        handler: Some(handler),
                    } => {
                        dispatch_shared(&handler, &event);
                        dispatched += 1;
                        if dispatched >= DISPATCH_SLICE {
                            cx.waker().wake_by_ref();
                            return Poll::Pending;
                        }
                        continue;
                    }
                    Processed::Event {
                        event,
                        handler: None,
                    } => Step::Event(event),
                    Processed::Error(err) => Step::Error(err),
                };
                coop.made_progress();
                return Poll::Ready(step);
            }
            if let Some(err) = self.failed.take() {
                coop.made_progress();
                return Poll::Ready(Step::Fatal(err));
            }
            if let Some(round) = &mut self.round {
                let finished = ready!(Pin::new(round).poll(cx));
                self.round = None;
                match finished {
                    Ok((mut processor, outputs, result)) => {
                        if let Some(bytes) = self.buffer_size.take() {
                            processor.set_buffer_size(bytes);
                        }
                        self.processor = Some(processor);
                        self.queue.extend(outputs);
                        if let Err(err) = result {
                            self.failed = Some(err);
                        }
                        continue;
                    }
                    // The processor went down with the round: no more
                    // events.
                    Err(err) => {
                        let err = io::Error::other(format!("the event processing failed: {err}"));
                        return Poll::Ready(Step::Fatal(Error::io(err, None)));
                    }
                }
            }
            // Events a walk in another thread drained into the manager
            // (an add_watch with `rec`) are signalled on the pending fd.
            let waker = &self.wm.inner.pending_waker;
            let pending = self.pending.poll_read_with(cx, |_| {
                if waker.reset()? {
                    Ok(())
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                }
            });
            match pending {
                Poll::Ready(Ok(())) => {
                    self.start_round();
                    continue;
                }
                Poll::Ready(Err(err)) => return Poll::Ready(Step::Fatal(Error::io(err, None))),
                Poll::Pending => {}
            }
            if let Err(err) = self.pick_up_fan() {
                return Poll::Ready(Step::Fatal(err));
            }
            // The fanotify group, as the inotify descriptor below.
            if let Some(fan) = &self.fan {
                let ready =
                    fan.poll_read_with(cx, |fd| match wait_readable([fd], Some(Duration::ZERO))? {
                        [true] => Ok(()),
                        [false] => Err(io::ErrorKind::WouldBlock.into()),
                    });
                match ready {
                    Poll::Ready(Ok(())) => {
                        self.start_round();
                        continue;
                    }
                    Poll::Ready(Err(err)) => {
                        return Poll::Ready(Step::Fatal(Error::io(err, None)));
                    }
                    Poll::Pending => {}
                }
            }
            // Queued events: a zero-timeout poll, so that tokio clears the
            // readiness only when the queue is empty (the round reads it).
            let inotify = self.inotify.poll_read_with(cx, |fd| {
                match wait_readable([fd], Some(Duration::ZERO))? {
                    [true] => Ok(()),
                    [false] => Err(io::ErrorKind::WouldBlock.into()),
                }
            });
            match inotify {
                Poll::Ready(Ok(())) => self.start_round(),
                Poll::Ready(Err(err)) => return Poll::Ready(Step::Fatal(Error::io(err, None))),
                // Both wakers are registered and nothing is left to route.
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Hands the processor to the blocking pool for one round.
    fn start_round(&mut self) {
        let Some(mut processor) = self.processor.take() else {
            return;
        };
        self.round = Some(self.runtime.spawn_blocking(move || {
            let mut outputs = VecDeque::new();
            let result = processor.process_ready(&mut |p| outputs.push_back(p));
            (processor, outputs, result)
        }));
    }
}

impl Stream for AsyncNotifier {
    type Item = Result<Event>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        Poll::Ready(Some(match std::task::ready!(this.poll_step(cx)) {
            Step::Event(event) => Ok(event),
            Step::Error(err) => Err(err),
            Step::Fatal(err) => {
                this.done = true;
                Err(err)
            }
        }))
    }
}

impl FusedStream for AsyncNotifier {
    fn is_terminated(&self) -> bool {
        self.done
    }
}
