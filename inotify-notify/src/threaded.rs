//! [`ThreadedNotifier`]: a [`Notifier`] on its own thread, with a prompt
//! `stop`, and channel mode on a bounded crossbeam channel.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, SendTimeoutError, Sender};

use crate::error::{Error, ErrorKind, Result};
use crate::event::Event;
use crate::handler::ProcessEvent;
use crate::notifier::{Notifier, NotifierBuilder};
use crate::stop::StopHandle;
use crate::sync::SyncState;
use crate::watch_manager::WatchManager;

/// pyinotify's `ThreadedNotifier`: the loop runs on a thread started by
/// [`ThreadedNotifier::start`]; handlers run on that thread.
///
/// [`ThreadedNotifier::stop`] wakes the thread's wait at once (eventfd) and
/// joins it; dropping the notifier does the same.
///
/// A handler that panics (the default one or a watch's `proc_fun`) stops
/// the thread: the panic is caught, `process_error` of the default
/// handler receives an [`ErrorKind::HandlerPanicked`] error with the
/// panic's message, [`ThreadedNotifier::is_alive`] turns `false`, and
/// [`ThreadedNotifier::stop`] returns that error. To read a handler back
/// after the thread ends, give it as a [`crate::SharedHandler`] (a
/// handler too) and keep a clone.
pub struct ThreadedNotifier {
    notifier: Option<Notifier>,
    /// Returns the panic of a handler, if one panicked.
    thread: Option<JoinHandle<Result<()>>>,
    stop: StopHandle,
    /// For [`ThreadedNotifier::sync`] while the notifier is on its thread.
    sync: Arc<SyncState>,
    wm: WatchManager,
}

impl std::fmt::Debug for ThreadedNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadedNotifier")
            .field("running", &self.thread.is_some())
            .finish_non_exhaustive()
    }
}

impl ThreadedNotifier {
    /// A threaded notifier with default options (not started).
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn new<H: ProcessEvent + Send + 'static>(wm: &WatchManager, handler: H) -> Result<Self> {
        NotifierBuilder::new().build_threaded(wm, handler)
    }

    /// Wraps a built notifier.
    pub(crate) fn from_notifier(notifier: Notifier) -> Self {
        ThreadedNotifier {
            stop: notifier.stop_handle(),
            sync: Arc::clone(notifier.sync_state()),
            wm: notifier.watch_manager().clone(),
            notifier: Some(notifier),
            thread: None,
        }
    }

    /// Starts the thread.
    ///
    /// # Errors
    /// Already started or stopped; the thread cannot be spawned.
    pub fn start(&mut self) -> Result<()> {
        let mut notifier = self.notifier.take().ok_or_else(|| {
            Error::new(
                ErrorKind::Io,
                None,
                "the threaded notifier was already started",
            )
        })?;
        let handle = thread::Builder::new()
            .name("inotify-notifier".into())
            .spawn(move || {
                // Errors end the loop but reach the handler first; the
                // thread itself never panics on them. A handler's panic
                // is caught: reported, then returned to `stop`.
                match panic::catch_unwind(AssertUnwindSafe(|| notifier.run(|_| false))) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(err)) => {
                        notifier.report(&err);
                        Ok(())
                    }
                    Err(payload) => {
                        let err = Error::new(
                            ErrorKind::HandlerPanicked,
                            None,
                            format!("a handler panicked: {}", panic_message(&*payload)),
                        );
                        let told = panic::catch_unwind(AssertUnwindSafe(|| notifier.report(&err)));
                        if told.is_err() {
                            log::error!("process_error panicked too, reporting: {err}");
                        }
                        Err(err)
                    }
                }
            })
            .map_err(|err| Error::io(err, None))?;
        self.thread = Some(handle);
        Ok(())
    }

    /// Stops the loop and joins the thread; returns promptly even when
    /// idle. Idempotent. From inside a handler (on the notifier thread) it
    /// only asks the loop to stop.
    ///
    /// # Errors
    /// `HandlerPanicked` when a handler panicked and so ended the thread
    /// (returned by the first `stop` after it; later calls return `Ok`).
    pub fn stop(&mut self) -> Result<()> {
        self.stop.stop();
        if let Some(handle) = self.thread.take() {
            if handle.thread().id() == thread::current().id() {
                // Keep the handle: the owner's `stop` joins it.
                self.thread = Some(handle);
                return Ok(());
            }
            return handle.join().unwrap_or_else(|payload| {
                Err(Error::new(
                    ErrorKind::HandlerPanicked,
                    None,
                    format!("the notifier thread panicked: {}", panic_message(&*payload)),
                ))
            });
        }
        Ok(())
    }

    /// A handle that stops the loop from anywhere (handlers included).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// The sync barrier's state.
    pub(crate) fn sync_state(&self) -> &SyncState {
        &self.sync
    }

    /// The manager.
    pub fn watch_manager(&self) -> &WatchManager {
        &self.wm
    }

    /// Whether the thread is running.
    pub fn is_alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Channel mode: a threaded notifier (not started) whose events go to
    /// a bounded channel of `capacity`.
    ///
    /// Backpressure: when the consumer is slow the channel fills, the
    /// notifier thread blocks in `send`, stops reading, and the kernel
    /// queue fills up to `max_queued_events`; then the kernel drops events
    /// and queues `IN_Q_OVERFLOW`, which the consumer receives — events are
    /// never lost silently. Stopping wakes a blocked send within 50 ms.
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn channel(
        wm: &WatchManager,
        capacity: usize,
    ) -> Result<(ThreadedNotifier, Receiver<Event>)> {
        NotifierBuilder::new().build_channel(wm, capacity)
    }
}

impl NotifierBuilder {
    /// A [`ThreadedNotifier`] with these options.
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn build_threaded<H: ProcessEvent + Send + 'static>(
        &self,
        wm: &WatchManager,
        handler: H,
    ) -> Result<ThreadedNotifier> {
        let handler: Box<dyn ProcessEvent + Send> = Box::new(handler);
        Ok(ThreadedNotifier::from_notifier(self.build(wm, handler)?))
    }

    /// [`ThreadedNotifier::channel`] with these options.
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn build_channel(
        &self,
        wm: &WatchManager,
        capacity: usize,
    ) -> Result<(ThreadedNotifier, Receiver<Event>)> {
        self.build_channel_of(wm, capacity)
    }

    /// [`NotifierBuilder::build_channel`], with the errors too: an error
    /// of the loop (an automatic add that failed, or the read error that
    /// ends the thread) arrives as `Err`, in order with the events, where
    /// plain channel mode only logs it. For a consumer that must report
    /// every error itself, as a command-line program does.
    ///
    /// ```
    /// use inotify_notify::{NotifierBuilder, WatchManager};
    /// let wm = WatchManager::new()?;
    /// let (mut notifier, items) = NotifierBuilder::new().build_channel_with_errors(&wm, 16)?;
    /// notifier.start()?;
    /// notifier.stop()?;
    /// for item in items.try_iter() {
    ///     match item {
    ///         Ok(event) => println!("{event}"),
    ///         Err(err) => eprintln!("{err}"),
    ///     }
    /// }
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`NotifierBuilder::build`].
    pub fn build_channel_with_errors(
        &self,
        wm: &WatchManager,
        capacity: usize,
    ) -> Result<(ThreadedNotifier, Receiver<Result<Event>>)> {
        self.build_channel_of(wm, capacity)
    }

    /// Channel mode sending `T`s.
    fn build_channel_of<T: ChannelItem>(
        &self,
        wm: &WatchManager,
        capacity: usize,
    ) -> Result<(ThreadedNotifier, Receiver<T>)> {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        let stop = StopHandle::new()?;
        let sender = ChannelSender {
            tx,
            stop: stop.clone(),
        };
        let sender: Box<dyn ProcessEvent + Send> = Box::new(sender);
        let notifier = self.build_with_stop(wm, sender, stop)?;
        Ok((ThreadedNotifier::from_notifier(notifier), rx))
    }
}

impl Drop for ThreadedNotifier {
    fn drop(&mut self) {
        if let Err(err) = self.stop() {
            log::warn!("stopping the notifier on drop: {err}");
        }
    }
}

/// What a channel carries: events alone, or events and errors.
trait ChannelItem: Send + 'static {
    /// The item for an event.
    fn event(event: &Event) -> Self;
    /// The item for an error; `None` when the channel carries none.
    fn error(error: &Error) -> Option<Self>
    where
        Self: Sized;
}

impl ChannelItem for Event {
    fn event(event: &Event) -> Self {
        event.clone()
    }

    fn error(_: &Error) -> Option<Self> {
        None
    }
}

impl ChannelItem for Result<Event> {
    fn event(event: &Event) -> Self {
        Ok(event.clone())
    }

    fn error(error: &Error) -> Option<Self> {
        Some(Err(error.clone()))
    }
}

/// The default handler of channel mode.
struct ChannelSender<T> {
    tx: Sender<T>,
    stop: StopHandle,
}

impl<T: ChannelItem> ChannelSender<T> {
    /// Sends `item`, waiting while the channel is full unless the loop is
    /// stopped meanwhile.
    fn send(&mut self, mut item: T) {
        loop {
            match self.tx.send_timeout(item, Duration::from_millis(50)) {
                Ok(()) => return,
                Err(SendTimeoutError::Timeout(back)) => {
                    if self.stop.is_stopped() {
                        return;
                    }
                    item = back;
                }
                Err(SendTimeoutError::Disconnected(_)) => {
                    // Nobody listens any more: stop the loop.
                    self.stop.stop();
                    return;
                }
            }
        }
    }
}

impl<T: ChannelItem> ProcessEvent for ChannelSender<T> {
    fn process_default(&mut self, event: &Event) {
        self.send(T::event(event));
    }

    fn process_error(&mut self, error: &Error) {
        match T::error(error) {
            Some(item) => self.send(item),
            None => log::warn!("notifier error in channel mode: {error}"),
        }
    }
}

/// The text of a panic's payload (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn sender<T>(capacity: usize) -> (ChannelSender<T>, Receiver<T>) {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        let stop = StopHandle::new().expect("eventfd");
        (ChannelSender { tx, stop }, rx)
    }

    #[test]
    fn channel_with_errors_delivers_errors_plain_channel_logs_them() {
        let err = Error::new(ErrorKind::Io, Some(Path::new("/w/sub")), "cannot watch");
        let (mut with_errors, rx) = sender::<Result<Event>>(4);
        with_errors.process_error(&err);
        let got = rx.try_recv().expect("an item").expect_err("an error");
        assert_eq!(got.to_string(), "cannot watch: /w/sub");
        assert_eq!(got.path(), Some(Path::new("/w/sub")));
        let (mut plain, rx) = sender::<Event>(4);
        plain.process_error(&err);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn channel_send_gives_up_once_stopped_or_disconnected() {
        let err = Error::new(ErrorKind::Io, None, "e");
        let (mut full, rx) = sender::<Result<Event>>(1);
        full.process_error(&err);
        full.stop.stop();
        // The channel is full and the loop stopped: the send returns.
        full.process_error(&err);
        assert_eq!(rx.len(), 1);
        let (mut gone, rx) = sender::<Result<Event>>(1);
        drop(rx);
        gone.process_error(&err);
        assert!(gone.stop.is_stopped());
    }
}
