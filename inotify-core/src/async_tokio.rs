//! [`AsyncInotify`] (feature `tokio`): an inotify instance on tokio's
//! reactor, read with an async fn or as a [`Stream`] of [`OwnedEvent`]s.
//!
//! The descriptor is non-blocking and registered through tokio's `AsyncFd`
//! (the registration, the one unsafe step, lives in `sys.rs`). A task that
//! reads parks until the kernel queue becomes readable: no thread, no timer.
//! tokio's readiness is edge-triggered and is cleared only when a read
//! returns EAGAIN, so a queue that filled up between two polls is drained
//! completely, one `read(2)` per [`EventBuffer`] full.

use std::borrow::BorrowMut;
use std::ffi::OsString;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use tokio::io::unix::AsyncFd;

use crate::buffer::EventBuffer;
use crate::event::Event;
use crate::inotify::{InitOptions, Inotify};
use crate::mask::{EventKind, EventMask, WatchMask};
use crate::parse::{Events, parse_event};
use crate::sys;
use crate::watch::WatchDescriptor;

/// An inotify instance registered with the current tokio runtime.
///
/// Reads take `&mut self`: one reader at a time, so no wake-up is ever lost
/// to a second task polling the same descriptor. Watches are added through
/// `&self` ([`AsyncInotify::add_watch`], or [`AsyncInotify::inotify`]).
/// Dropping it deregisters and closes the descriptor;
/// [`AsyncInotify::into_inner`] deregisters and hands the open instance back.
///
/// ```
/// use inotify_core::{AsyncInotify, EventBuffer, EventMask, WatchMask};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let dir = std::env::temp_dir().join(format!("async-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let mut inotify = AsyncInotify::new()?;
/// inotify.add_watch(&dir, WatchMask::CREATE)?;
/// std::fs::write(dir.join("hello"), b"")?;
/// let mut buffer = EventBuffer::new();
/// let event = inotify.read_events(&mut buffer).await?.next().expect("an event");
/// assert_eq!(event.mask, EventMask::CREATE);
/// assert_eq!(event.name, Some("hello".as_ref()));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncInotify {
    /// Invariant: the `Inotify` inside is non-blocking, and is never replaced
    /// (no `AsyncFd::get_mut` here), as `sys::register_async_fd` requires.
    fd: AsyncFd<Inotify>,
}

impl AsyncInotify {
    /// Opens a non-blocking instance and registers it with the current
    /// runtime's reactor.
    ///
    /// # Errors
    /// As [`Inotify::init`]; also `Other` when called outside a tokio
    /// runtime, and the reactor's error when registration fails.
    ///
    /// # Panics
    /// When the current runtime was built without IO (`enable_io`), as every
    /// tokio IO type does.
    pub fn new() -> io::Result<Self> {
        let inotify = Inotify::init_with(InitOptions { nonblocking: true })?;
        Self::from_inotify(inotify).map_err(io::Error::from)
    }

    /// Registers an existing instance, which must be non-blocking
    /// ([`InitOptions::nonblocking`]), with the current runtime.
    ///
    /// # Errors
    /// [`RegisterError`], which hands the instance back: `InvalidInput` for a
    /// blocking instance (a blocking read would stall the whole runtime),
    /// `Other` outside a tokio runtime, or the reactor's error.
    ///
    /// # Panics
    /// As [`AsyncInotify::new`].
    pub fn from_inotify(inotify: Inotify) -> Result<Self, RegisterError> {
        if !inotify.is_nonblocking() {
            return Err(RegisterError {
                inotify,
                error: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "AsyncInotify needs a non-blocking inotify instance (InitOptions { nonblocking: true })",
                ),
            });
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(RegisterError {
                inotify,
                error: io::Error::other("AsyncInotify must be created inside a tokio runtime"),
            });
        }
        match sys::register_async_fd(inotify) {
            Ok(fd) => Ok(AsyncInotify { fd }),
            Err((inotify, error)) => Err(RegisterError { inotify, error }),
        }
    }

    /// The instance, for everything that does not read
    /// ([`Inotify::add_watch`], [`Inotify::bytes_available`], `as_fd`).
    pub fn inotify(&self) -> &Inotify {
        self.fd.get_ref()
    }

    /// [`Inotify::add_watch`] on the registered instance.
    ///
    /// # Errors
    /// As [`Inotify::add_watch`].
    #[doc(alias = "inotify_add_watch")]
    pub fn add_watch<P: AsRef<Path>>(
        &self,
        path: P,
        mask: WatchMask,
    ) -> io::Result<WatchDescriptor> {
        self.inotify().add_watch(path, mask)
    }

    /// [`Inotify::rm_watch`] on the registered instance.
    ///
    /// # Errors
    /// As [`Inotify::rm_watch`].
    #[doc(alias = "inotify_rm_watch")]
    pub fn rm_watch(&self, wd: WatchDescriptor) -> io::Result<()> {
        self.inotify().rm_watch(wd)
    }

    /// Deregisters from the reactor and returns the still-open instance,
    /// watches and queued events intact.
    pub fn into_inner(self) -> Inotify {
        self.fd.into_inner()
    }

    /// Waits until events are queued, then reads them with one `read(2)`
    /// and returns an iterator over them, borrowing `buffer`.
    ///
    /// Cancel-safe: the read happens within a single poll, so dropping the
    /// future never loses events; they stay in the kernel queue.
    ///
    /// # Errors
    /// Read errors other than EAGAIN and EINTR, and reactor errors.
    #[doc(alias = "read")]
    pub async fn read_events<'b>(&mut self, buffer: &'b mut EventBuffer) -> io::Result<Events<'b>> {
        let len = poll_fn(|cx| self.poll_fill(cx, buffer)).await?;
        Ok(Events::new(buffer.filled(len)))
    }

    /// The poll form of [`AsyncInotify::read_events`], for hand-written
    /// futures: `Pending` registers `cx`'s waker for the next readiness.
    ///
    /// # Errors
    /// As [`AsyncInotify::read_events`].
    pub fn poll_read_events<'b>(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &'b mut EventBuffer,
    ) -> Poll<io::Result<Events<'b>>> {
        let len = ready!(self.poll_fill(cx, buffer))?;
        Poll::Ready(Ok(Events::new(buffer.filled(len))))
    }

    /// A stream of owned events that borrows this instance: dropping it
    /// leaves the instance, its watches and the kernel queue as they are.
    pub fn stream(&mut self, buffer: EventBuffer) -> EventStream<&mut AsyncInotify> {
        EventStream::new(self, buffer)
    }

    /// A stream of owned events that owns this instance; get it back with
    /// [`EventStream::into_parts`], or drop the stream to close it.
    pub fn into_stream(self, buffer: EventBuffer) -> EventStream<AsyncInotify> {
        EventStream::new(self, buffer)
    }

    /// Reads once into `buffer` when readable; returns the bytes read
    /// (never zero: an inotify read returns at least one record or EAGAIN).
    fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut EventBuffer,
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let read = guard.try_io(|fd| {
                // `try_read_events` maps EAGAIN to an empty batch; turn it
                // back into WouldBlock so that `try_io` clears readiness.
                let len = fd.get_ref().try_read_events(buffer)?.remainder().len();
                if len == 0 {
                    Err(io::ErrorKind::WouldBlock.into())
                } else {
                    Ok(len)
                }
            });
            if let Ok(result) = read {
                return Poll::Ready(result);
            }
            // Readiness was stale and is now cleared: poll again, which
            // registers the waker for the next edge.
        }
    }
}

/// Readiness of any owned descriptor on tokio's reactor: the safe form of
/// `AsyncFd::register` for an [`OwnedFd`], for layers that read through
/// their own code (a notifier draining a duplicate of its inotify fd, an
/// eventfd [`crate::Waker`]) yet must wait without a thread.
///
/// The protocol is tokio's: [`AsyncReadiness::poll_read_with`] runs the
/// caller's read once the descriptor is readable, and a read that fails with
/// `WouldBlock` clears the readiness and parks the task until the next edge.
///
/// ```
/// use std::os::fd::AsFd;
/// use inotify_core::{AsyncReadiness, Waker};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let waker = Waker::new()?;
/// let readiness = AsyncReadiness::new(waker.as_fd().try_clone_to_owned()?)?;
/// waker.wake()?;
/// // Runs `reset` when readable; `false` (nothing pending) would park.
/// readiness
///     .read_with(|_fd| {
///         if waker.reset()? {
///             Ok(())
///         } else {
///             Err(std::io::ErrorKind::WouldBlock.into())
///         }
///     })
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncReadiness {
    /// Invariant: the `OwnedFd` is never replaced (no `get_mut` here), as
    /// `sys::register_owned_fd` requires.
    fd: AsyncFd<OwnedFd>,
}

impl AsyncReadiness {
    /// Registers `fd` (which should be non-blocking) for readability with
    /// the current runtime. Dropping the result deregisters and closes it.
    ///
    /// # Errors
    /// `Other` outside a tokio runtime; the reactor's error (the descriptor
    /// is then closed).
    ///
    /// # Panics
    /// As [`AsyncInotify::new`].
    pub fn new(fd: OwnedFd) -> io::Result<Self> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(io::Error::other(
                "AsyncReadiness must be created inside a tokio runtime",
            ));
        }
        match sys::register_owned_fd(fd) {
            Ok(fd) => Ok(AsyncReadiness { fd }),
            Err((_fd, error)) => Err(error),
        }
    }

    /// Waits for readability, then runs `read`; on `WouldBlock` clears the
    /// readiness and waits for the next edge. `Pending` registers `cx`'s
    /// waker (only the latest waker is kept: poll from one task).
    ///
    /// # Errors
    /// `read`'s errors other than `WouldBlock`, and reactor errors.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut read: impl FnMut(BorrowedFd<'_>) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            if let Ok(result) = guard.try_io(|fd| read(fd.get_ref().as_fd())) {
                return Poll::Ready(result);
            }
        }
    }

    /// The async form of [`AsyncReadiness::poll_read_with`]; cancel-safe
    /// as long as `read` is (it runs within a single poll).
    ///
    /// # Errors
    /// As [`AsyncReadiness::poll_read_with`].
    pub async fn read_with<R>(
        &self,
        mut read: impl FnMut(BorrowedFd<'_>) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_read_with(cx, &mut read)).await
    }

    /// Deregisters and returns the descriptor, still open.
    pub fn into_inner(self) -> OwnedFd {
        self.fd.into_inner()
    }
}

impl AsFd for AsyncReadiness {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.get_ref().as_fd()
    }
}

/// [`AsyncInotify::from_inotify`] failed; the instance is handed back open.
#[derive(Debug)]
pub struct RegisterError {
    inotify: Inotify,
    error: io::Error,
}

impl RegisterError {
    /// The instance that was not registered, and why.
    pub fn into_parts(self) -> (Inotify, io::Error) {
        (self.inotify, self.error)
    }
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot register inotify with tokio: {}", self.error)
    }
}

impl std::error::Error for RegisterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<RegisterError> for io::Error {
    /// Keeps the error kind; the instance is closed.
    fn from(err: RegisterError) -> io::Error {
        err.error
    }
}

/// An event with its name copied out of the read buffer, as yielded by
/// [`EventStream`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedEvent {
    /// The watch the event belongs to ([`WatchDescriptor::OVERFLOW`] for
    /// `Q_OVERFLOW`).
    pub wd: WatchDescriptor,
    /// What happened; unknown bits are kept.
    pub mask: EventMask,
    /// Pairs `MOVED_FROM` with `MOVED_TO` of the same rename; zero otherwise.
    pub cookie: u32,
    /// The entry inside a watched directory; `None` for the object itself.
    pub name: Option<OsString>,
}

impl OwnedEvent {
    /// A borrowed view, for code written against [`Event`].
    pub fn as_event(&self) -> Event<'_> {
        Event {
            wd: self.wd,
            mask: self.mask,
            cookie: self.cookie,
            name: self.name.as_deref(),
        }
    }

    /// The kind of event (its single event bit).
    pub fn kind(&self) -> EventKind {
        self.mask.kind()
    }

    /// Whether the subject is a directory (`IN_ISDIR`).
    pub fn is_dir(&self) -> bool {
        self.mask.is_dir()
    }
}

impl From<Event<'_>> for OwnedEvent {
    fn from(event: Event<'_>) -> Self {
        OwnedEvent {
            wd: event.wd,
            mask: event.mask,
            cookie: event.cookie,
            name: event.to_owned_name(),
        }
    }
}

impl fmt::Display for OwnedEvent {
    /// As [`Event`]'s: `wd=1 mask=IN_CREATE cookie=0 name="a"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_event(), f)
    }
}

/// A [`Stream`] of [`OwnedEvent`]s over an [`AsyncInotify`] that it owns
/// (`R = AsyncInotify`) or borrows (`R = &mut AsyncInotify`).
///
/// It never ends: inotify has no end of file. Each read fills the buffer
/// once and the records are yielded one by one before the next read, so a
/// burst costs one system call per buffer full. Cancel-safe: records read
/// but not yet yielded stay in the stream for the next `poll_next`.
/// Dropping the stream discards only those; the instance (when borrowed),
/// its watches and everything still in the kernel queue are untouched.
///
/// ```
/// use futures_util::StreamExt;
/// use inotify_core::{AsyncInotify, EventBuffer, WatchMask};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let dir = std::env::temp_dir().join(format!("async-stream-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let mut inotify = AsyncInotify::new()?;
/// inotify.add_watch(&dir, WatchMask::CREATE)?;
/// std::fs::write(dir.join("a"), b"")?;
/// std::fs::write(dir.join("b"), b"")?;
/// let mut stream = inotify.stream(EventBuffer::new());
/// let first = stream.next().await.expect("streams never end")?;
/// assert_eq!(first.name.as_deref(), Some("a".as_ref()));
/// drop(stream); // "b" is discarded; `inotify` stays open and watching
/// std::fs::write(dir.join("c"), b"")?;
/// let mut buffer = EventBuffer::new();
/// let next = inotify.read_events(&mut buffer).await?.next().expect("an event");
/// assert_eq!(next.name, Some("c".as_ref()));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct EventStream<R = AsyncInotify> {
    inotify: R,
    buffer: EventBuffer,
    /// Bytes of `buffer` the last read filled.
    filled: usize,
    /// Invariant: `pos <= filled <= buffer.capacity()`; `pos..filled` holds
    /// records read but not yet yielded.
    pos: usize,
}

impl<R: BorrowMut<AsyncInotify>> EventStream<R> {
    /// A stream reading `inotify` into `buffer`.
    pub fn new(inotify: R, buffer: EventBuffer) -> Self {
        EventStream {
            inotify,
            buffer,
            filled: 0,
            pos: 0,
        }
    }

    /// The instance being read, for adding or removing watches while the
    /// stream is live.
    pub fn inotify(&self) -> &Inotify {
        self.inotify.borrow().inotify()
    }

    /// Whether records already read are waiting to be yielded.
    pub fn has_buffered(&self) -> bool {
        self.pos < self.filled
    }

    /// Ends the stream and returns the instance and the buffer; records
    /// read but not yet yielded are discarded.
    pub fn into_parts(self) -> (R, EventBuffer) {
        (self.inotify, self.buffer)
    }

    /// The next buffered record, if any, advancing past it.
    fn next_buffered(&mut self) -> Option<io::Result<OwnedEvent>> {
        let rest = self.buffer.filled(self.filled).get(self.pos..)?;
        match parse_event(rest) {
            Ok(Some((event, used))) => {
                self.pos += used;
                Some(Ok(event.into()))
            }
            Ok(None) => None,
            Err(err) => {
                // The kernel never writes a malformed record; if one shows
                // up, report it once and drop the rest of this batch.
                self.pos = self.filled;
                Some(Err(io::Error::new(io::ErrorKind::InvalidData, err)))
            }
        }
    }
}

impl<R: BorrowMut<AsyncInotify> + Unpin> Stream for EventStream<R> {
    type Item = io::Result<OwnedEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.next_buffered() {
                return Poll::Ready(Some(item));
            }
            let filled = ready!(this.inotify.borrow_mut().poll_fill(cx, &mut this.buffer));
            match filled {
                Ok(len) => {
                    this.filled = len;
                    this.pos = 0;
                }
                Err(err) => return Poll::Ready(Some(Err(err))),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Endless; at least one more record when some are buffered.
        (usize::from(self.has_buffered()), None)
    }
}
