//! `impl mio::event::Source for Inotify` (feature `mio`): an inotify
//! instance waits in a program's own `mio::Poll` next to its sockets.
//!
//! Registration goes through `mio::unix::SourceFd` on the descriptor the
//! `Inotify` owns, so no unsafe code is needed. mio reports readiness
//! edge-triggered: after an event for this token, read with
//! [`Inotify::try_read_events`] until it yields an empty batch, or the
//! records still queued will not wake the poll again.

use std::io;
use std::os::fd::AsRawFd;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::inotify::Inotify;

/// Registers the inotify descriptor with a [`mio::Poll`].
///
/// Only readability means anything for inotify; writable interest is
/// accepted and never reported. Blocking and non-blocking instances both
/// work, as [`Inotify::try_read_events`] never waits. Deregistering (or dropping the `Poll`)
/// leaves the instance open and its watches in place; dropping the
/// `Inotify` closes it, which also removes it from every `Poll`.
///
/// ```
/// use std::time::Duration;
/// use inotify_core::{EventBuffer, InitOptions, Inotify, WatchMask};
/// use mio::{Events, Interest, Poll, Token};
/// # let dir = std::env::temp_dir().join(format!("mio-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let mut inotify = Inotify::init_with(InitOptions { nonblocking: true })?;
/// inotify.add_watch(&dir, WatchMask::CREATE)?;
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut inotify, Token(0), Interest::READABLE)?;
/// std::fs::write(dir.join("a"), b"")?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// assert!(events.iter().any(|e| e.token() == Token(0) && e.is_readable()));
/// let mut buffer = EventBuffer::new();
/// let mut names = Vec::new();
/// loop {
///     // Edge-triggered: drain until the queue is empty.
///     let mut batch = inotify.try_read_events(&mut buffer)?.peekable();
///     if batch.peek().is_none() {
///         break;
///     }
///     names.extend(batch.filter_map(|e| e.to_owned_name()));
/// }
/// assert_eq!(names, ["a"]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
impl Source for Inotify {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.as_raw_fd()).deregister(registry)
    }
}
