//! [`EventBuffer`]: the memory one `read(2)` fills with records.
//!
//! The kernel fails a read with EINVAL when the buffer cannot hold the next
//! record, and a record can be as large as the header plus `NAME_MAX + 1`
//! bytes of name. The buffer therefore never gets smaller than that, and by
//! default is large enough (64 KiB, over a thousand typical records) to
//! drain a busy queue in few system calls.

use inotify_sys::{INOTIFY_EVENT_SIZE, NAME_MAX};

/// A reusable read buffer for inotify records.
#[derive(Debug, Clone)]
pub struct EventBuffer {
    /// Invariant: `len() >= EventBuffer::MIN_SIZE`.
    bytes: Box<[u8]>,
}

impl EventBuffer {
    /// The smallest buffer that can hold any single record:
    /// `16 + NAME_MAX + 1` bytes.
    pub const MIN_SIZE: usize = INOTIFY_EVENT_SIZE + NAME_MAX + 1;

    /// The default size: 64 KiB.
    pub const DEFAULT_SIZE: usize = 64 * 1024;

    /// A buffer of [`EventBuffer::DEFAULT_SIZE`] bytes.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_SIZE)
    }

    /// A buffer of `size` bytes, raised to [`EventBuffer::MIN_SIZE`] if
    /// smaller, so that a read can never fail with EINVAL.
    pub fn with_capacity(size: usize) -> Self {
        EventBuffer {
            bytes: vec![0; size.max(Self::MIN_SIZE)].into_boxed_slice(),
        }
    }

    /// Size in bytes.
    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    /// Resizes the buffer (never below [`EventBuffer::MIN_SIZE`]).
    pub fn resize(&mut self, size: usize) {
        *self = Self::with_capacity(size);
    }

    /// The whole buffer, for the read call.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The first `len` bytes, for parsing after a read of `len` bytes.
    pub(crate) fn filled(&self, len: usize) -> &[u8] {
        self.bytes.get(..len).unwrap_or(&self.bytes)
    }
}

impl Default for EventBuffer {
    fn default() -> Self {
        Self::new()
    }
}
