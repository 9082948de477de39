//! [`Threshold`]: python-inotify's "at least N bytes queued" test, via
//! `FIONREAD`, used to batch reads.
//!
//! Measured here: FIONREAD makes the kernel walk its whole event queue under
//! a lock (about 100–125 ns per queued event, per call). A loop that asks
//! before every read — as inotifywait does — drains a deep queue in quadratic
//! time. So FIONREAD is never on the default read path; only code that asks
//! for a threshold pays for it.

use std::io;

use crate::buffer::EventBuffer;
use crate::inotify::Inotify;
use crate::parse::Events;

/// A byte threshold on the instance's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    bytes: usize,
}

impl Threshold {
    /// A threshold of `bytes` readable bytes (a record is 16 bytes plus its
    /// padded name).
    pub const fn new(bytes: usize) -> Self {
        Threshold { bytes }
    }

    /// The threshold in bytes.
    pub const fn bytes(self) -> usize {
        self.bytes
    }

    /// Bytes queued on `inotify` now (FIONREAD).
    pub fn readable(self, inotify: &Inotify) -> io::Result<usize> {
        inotify.bytes_available()
    }

    /// Whether at least [`Threshold::bytes`] bytes are queued.
    pub fn is_met(self, inotify: &Inotify) -> io::Result<bool> {
        Ok(inotify.bytes_available()? >= self.bytes)
    }
}

impl Default for Threshold {
    /// python-inotify's default: 1024 bytes.
    fn default() -> Self {
        Threshold::new(1024)
    }
}

impl Inotify {
    /// Reads events only if at least `threshold` bytes are queued; otherwise
    /// consumes nothing and returns `Ok(None)`, leaving the events to
    /// accumulate (pyinotify's batching). Does not block.
    ///
    /// ```
    /// use inotify_core::{EventBuffer, Inotify, Threshold};
    /// let inotify = Inotify::init()?;
    /// let mut buffer = EventBuffer::new();
    /// assert!(inotify.read_events_at_threshold(&mut buffer, Threshold::new(1))?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_events_at_threshold<'b>(
        &self,
        buffer: &'b mut EventBuffer,
        threshold: Threshold,
    ) -> io::Result<Option<Events<'b>>> {
        let queued = self.bytes_available()?;
        if queued == 0 || queued < threshold.bytes() {
            return Ok(None);
        }
        self.try_read_events(buffer).map(Some)
    }
}
