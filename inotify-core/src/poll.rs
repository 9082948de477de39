//! Waiting for readability with `poll(2)`: EINTR-safe, deadline-based, and
//! with no `select()` anywhere, so descriptors above 1024 work.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::{Duration, Instant};

use crate::sys;

/// Waits until one of `fds` is readable or `timeout` passes (`None`: no
/// limit). Returns which are readable; all `false` means the time ran out.
///
/// An interrupted wait (EINTR) is resumed with the time that is left, so a
/// signal never shortens or lengthens the wait.
///
/// ```
/// use std::time::Duration;
/// use std::os::fd::AsFd;
/// let inotify = inotify_core::Inotify::init()?;
/// let waker = inotify_core::Waker::new()?;
/// waker.wake()?;
/// let [events, woken] = inotify_core::wait_readable(
///     [inotify.as_fd(), waker.as_fd()],
///     Some(Duration::from_secs(1)),
/// )?;
/// assert!(!events && woken);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn wait_readable<const N: usize>(
    fds: [BorrowedFd<'_>; N],
    timeout: Option<Duration>,
) -> io::Result<[bool; N]> {
    let deadline = timeout.map(|t| Instant::now().checked_add(t));
    let mut pollfds = fds.map(|fd| libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    });
    loop {
        let timeout_ms = match deadline {
            None | Some(None) => -1,
            Some(Some(deadline)) => millis_until(deadline),
        };
        match sys::poll(&mut pollfds, timeout_ms) {
            Ok(_) => break,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    // POLLERR/POLLHUP/POLLNVAL count as ready: the following read reports
    // the real error instead of the caller waiting forever.
    Ok(pollfds.map(|p| p.revents != 0))
}

/// Milliseconds until `deadline`, rounded up so we never wake early.
fn millis_until(deadline: Instant) -> libc::c_int {
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = left.as_nanos().div_ceil(1_000_000);
    libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
}
