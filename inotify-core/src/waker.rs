//! [`Waker`]: an eventfd that interrupts a blocked wait from any thread.
//!
//! A notifier blocked in `poll` on the inotify fd would otherwise only see a
//! stop request when the next event arrives; polling the waker's fd as well
//! makes stopping immediate.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::sys;

/// An eventfd-backed wake-up signal (close-on-exec, non-blocking).
#[derive(Debug)]
pub struct Waker {
    fd: OwnedFd,
}

impl Waker {
    /// Creates the eventfd.
    pub fn new() -> io::Result<Self> {
        Ok(Waker {
            fd: sys::eventfd()?,
        })
    }

    /// Makes the waker readable, waking any `poll` that includes it.
    /// Safe to call from any thread, any number of times.
    pub fn wake(&self) -> io::Result<()> {
        match sys::eventfd_write(self.fd.as_fd(), 1) {
            // The counter is saturated: it is readable already.
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(()),
            other => other,
        }
    }

    /// Clears pending wake-ups; returns whether there were any.
    pub fn reset(&self) -> io::Result<bool> {
        match sys::eventfd_read(self.fd.as_fd()) {
            Ok(_) => Ok(true),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(err) => Err(err),
        }
    }
}

impl AsFd for Waker {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Waker {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
