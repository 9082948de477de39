//! `impl mio::event::Source for Notifier` (feature `mio`): a program with
//! its own `mio::Poll` waits on a [`Notifier`] next to its sockets, with no
//! extra thread.
//!
//! The notifier registers two descriptors under one token: the manager's
//! inotify descriptor and its pending-events eventfd (events that a
//! recursive add in another thread drained). mio is edge-triggered, so on
//! each readiness call [`Notifier::process_until_idle`], which reads,
//! processes and dispatches until both are empty.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::error::Result;
use crate::notifier::Notifier;

/// Registers the manager's inotify descriptor and pending-events eventfd
/// with a [`mio::Poll`], both under the one token.
///
/// Deregistering (or dropping the `Poll`) leaves the notifier, its manager
/// and their watches untouched.
///
/// ```
/// use std::time::Duration;
/// use inotify_notify::{Event, Notifier, WatchManager, WatchMask, WatchOptions};
/// use mio::{Events, Interest, Poll, Token};
/// # let dir = std::env::temp_dir().join(format!("mio-notifier-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let wm = WatchManager::new()?;
/// wm.add_watch(&dir, WatchMask::CREATE, &WatchOptions::default())?;
/// let (tx, rx) = std::sync::mpsc::channel();
/// let mut notifier = Notifier::new(&wm, move |e: &Event| tx.send(e.pathname().to_path_buf()).unwrap())?;
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut notifier, Token(7), Interest::READABLE)?;
/// std::fs::write(dir.join("f"), b"")?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// for event in &events {
///     if event.token() == Token(7) {
///         notifier.process_until_idle()?;
///     }
/// }
/// assert_eq!(rx.try_recv().unwrap(), dir.join("f"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl<H> Source for Notifier<H> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let wm = self.watch_manager();
        SourceFd(&wm.as_fd().as_raw_fd()).register(registry, token, interests)?;
        if let Err(err) =
            SourceFd(&wm.pending_fd().as_raw_fd()).register(registry, token, interests)
        {
            // Leave nothing half registered.
            let _ = SourceFd(&wm.as_fd().as_raw_fd()).deregister(registry);
            return Err(err);
        }
        // The fanotify group of a fanotify manager.
        if let Some(fan) = wm.fanotify_fd()
            && let Err(err) = SourceFd(&fan.as_raw_fd()).register(registry, token, interests)
        {
            let _ = SourceFd(&wm.as_fd().as_raw_fd()).deregister(registry);
            let _ = SourceFd(&wm.pending_fd().as_raw_fd()).deregister(registry);
            return Err(err);
        }
        Ok(())
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let wm = self.watch_manager();
        SourceFd(&wm.as_fd().as_raw_fd()).reregister(registry, token, interests)?;
        if let Some(fan) = wm.fanotify_fd() {
            SourceFd(&fan.as_raw_fd()).reregister(registry, token, interests)?;
        }
        SourceFd(&wm.pending_fd().as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        let wm = self.watch_manager();
        let inotify = SourceFd(&wm.as_fd().as_raw_fd()).deregister(registry);
        let pending = SourceFd(&wm.pending_fd().as_raw_fd()).deregister(registry);
        let fan = wm.fanotify_fd().map_or(Ok(()), |fan| {
            SourceFd(&fan.as_raw_fd()).deregister(registry)
        });
        inotify.and(pending).and(fan)
    }
}

impl<H: crate::ProcessEvent> Notifier<H> {
    /// Reads, processes and dispatches ([`Notifier::read_events`], then
    /// [`Notifier::process_events`]) until the kernel queue and the
    /// manager's pending events are empty: what an edge-triggered loop
    /// (mio) must do on each readiness of the notifier's token.
    ///
    /// With a threshold set, stops as soon as a round reads nothing (fewer
    /// bytes queued than the threshold); the next event wakes the poll again.
    /// Returns at once after a [`crate::StopHandle::stop`].
    ///
    /// # Errors
    /// A failed read, FIONREAD or `poll`.
    pub fn process_until_idle(&mut self) -> Result<()> {
        loop {
            let before = self.queued_bytes()?;
            self.read_events()?;
            self.process_events()?;
            if !self.check_events(Some(Duration::ZERO))? {
                return Ok(());
            }
            // A fanotify group is read to empty by each round: go on
            // while it is readable.
            let pending = self.watch_manager().lock().tree.has_pending()
                || self.watch_manager().fanotify_fd().is_some();
            if !pending && self.queued_bytes()? >= before {
                // Nothing was read (a threshold not reached): wait for the
                // next edge rather than spin.
                return Ok(());
            }
        }
    }

    /// FIONREAD on the manager's instance.
    fn queued_bytes(&self) -> Result<usize> {
        Ok(self
            .watch_manager()
            .lock()
            .tree
            .inotify()
            .bytes_available()?)
    }
}
