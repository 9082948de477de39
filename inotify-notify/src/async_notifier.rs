//! [`AsyncNotifier`] (feature `tokio`): pyinotify's `AsyncNotifier` for
//! tokio — the [`EventProcessor`] of [`crate::Notifier`] driven by the
//! reactor, with events as a [`Stream`] or dispatched to a handler.
//!
//! No thread and no timer: the notifier owns duplicates of the manager's
//! inotify descriptor and pending-events eventfd, registered with tokio
//! through core's [`AsyncReadiness`]. When either is readable it calls
//! [`EventProcessor::process_ready`] (the same system processing as the
//! blocking notifier: auto-add with scan, rename pairing, overflow), routes
//! each output as the blocking notifier does — an event of a watch with a
//! `proc_fun` goes to that handler, every other event and every error to the
//! consumer — and keeps reading until a read finds the queue empty, which is
//! what tokio's edge-triggered readiness needs.

use std::collections::VecDeque;
use std::io;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::stream::FusedStream;
use inotify_core::AsyncReadiness;

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
/// poll (or [`AsyncNotifier::run`]). Dropping the notifier discards those
/// outputs and closes only its own duplicate descriptors: the
/// [`WatchManager`], its watches and the events still in the kernel queue
/// stay, and another notifier can take over.
///
/// One caveat shared with the blocking notifier: when a batch ends with
/// the `MOVED_FROM` of a watched directory, the processor waits up to
/// [`crate::MOVE_GRACE`] (5 ms) for its `MOVED_TO`, blocking the task that
/// long.
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
    processor: EventProcessor,
    /// A duplicate of the manager's inotify descriptor, on the reactor.
    inotify: AsyncReadiness,
    /// A duplicate of [`WatchManager::pending_fd`], on the reactor.
    pending: AsyncReadiness,
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
        Ok(AsyncNotifier {
            processor: EventProcessor::new(wm, options),
            inotify,
            pending,
            queue: VecDeque::new(),
            failed: None,
            done: false,
        })
    }

    /// The manager.
    pub fn watch_manager(&self) -> &WatchManager {
        self.processor.watch_manager()
    }

    /// Sets the read buffer size (bytes; never below one maximal record).
    pub fn set_buffer_size(&mut self, bytes: usize) {
        self.processor.set_buffer_size(bytes);
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

    /// Routes queued outputs, then waits on both descriptors and processes
    /// what they have, until there is something for the consumer.
    fn poll_step(&mut self, cx: &mut Context<'_>) -> Poll<Step> {
        loop {
            while let Some(processed) = self.queue.pop_front() {
                match processed {
                    Processed::Event {
                        event,
                        handler: Some(handler),
                    } => dispatch_shared(&handler, &event),
                    Processed::Event {
                        event,
                        handler: None,
                    } => return Poll::Ready(Step::Event(event)),
                    Processed::Error(err) => return Poll::Ready(Step::Error(err)),
                }
            }
            if let Some(err) = self.failed.take() {
                return Poll::Ready(Step::Fatal(err));
            }
            // Events a walk in another thread drained into the manager
            // (an add_watch with `rec`) are signalled on the pending fd.
            let waker = &self.processor.watch_manager().inner.pending_waker;
            let pending = self.pending.poll_read_with(cx, |_| {
                if waker.reset()? {
                    Ok(())
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                }
            });
            match pending {
                Poll::Ready(Ok(())) => {
                    self.process();
                    continue;
                }
                Poll::Ready(Err(err)) => return Poll::Ready(Step::Fatal(Error::io(err, None))),
                Poll::Pending => {}
            }
            let (processor, queue, failed) =
                (&mut self.processor, &mut self.queue, &mut self.failed);
            let inotify = self.inotify.poll_read_with(cx, |_| {
                match processor.process_ready(&mut |p| queue.push_back(p)) {
                    // The read found the queue empty: tokio may clear the
                    // readiness (outputs of pending events are kept).
                    Ok(0) => Err(io::ErrorKind::WouldBlock.into()),
                    Ok(_) => Ok(()),
                    Err(err) => {
                        *failed = Some(err);
                        Ok(())
                    }
                }
            });
            match inotify {
                Poll::Ready(Err(err)) => return Poll::Ready(Step::Fatal(Error::io(err, None))),
                // Both wakers are registered and nothing is left to route.
                Poll::Pending if self.queue.is_empty() && self.failed.is_none() => {
                    return Poll::Pending;
                }
                // A read made progress, or the last (empty) read still
                // produced outputs of pending events: route them.
                Poll::Ready(Ok(())) | Poll::Pending => {}
            }
        }
    }

    /// One round of processing into the queue.
    fn process(&mut self) {
        let queue = &mut self.queue;
        if let Err(err) = self.processor.process_ready(&mut |p| queue.push_back(p)) {
            self.failed = Some(err);
        }
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
