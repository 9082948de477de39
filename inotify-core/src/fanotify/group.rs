//! [`Fanotify`]: the owned fanotify group descriptor, its marks and its
//! reads, and [`FanBuffer`], the memory one read fills.
//!
//! The group is always opened in FID mode (events name objects by file
//! handle): without it the kernel opens a descriptor per event and a
//! borrowed, `Copy` event could not own it, so a dropped event would leak
//! it. For the same reason `FAN_REPORT_PIDFD` is refused. Reads are one
//! `read(2)` into a reusable buffer and a zero-copy parse of it.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use super::error::{self, MarkTarget};
use super::mask::{FanInitFlags, FanMarkFlags, FanWatchMask};
use super::parse::FanEvents;
use crate::long_path::LongPath;
use crate::poll::wait_readable;
use crate::sys;

/// A reusable read buffer for fanotify events.
///
/// The kernel fails a read with EINVAL when the buffer cannot hold the next
/// event; the largest FID-mode event (a `FAN_RENAME` with two directory
/// handles and names, the target's handle and a pidfd) is about 1 KiB, so
/// the buffer never gets smaller than 4 KiB.
#[derive(Debug, Clone)]
pub struct FanBuffer {
    /// Invariant: `len() >= FanBuffer::MIN_SIZE`.
    bytes: Box<[u8]>,
}

impl FanBuffer {
    /// The smallest buffer: 4 KiB, above any single event.
    pub const MIN_SIZE: usize = 4096;

    /// The default size: 64 KiB.
    pub const DEFAULT_SIZE: usize = 64 * 1024;

    /// A buffer of [`FanBuffer::DEFAULT_SIZE`] bytes.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_SIZE)
    }

    /// A buffer of `size` bytes, raised to [`FanBuffer::MIN_SIZE`].
    pub fn with_capacity(size: usize) -> Self {
        FanBuffer {
            bytes: vec![0; size.max(Self::MIN_SIZE)].into_boxed_slice(),
        }
    }

    /// Size in bytes.
    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl Default for FanBuffer {
    fn default() -> Self {
        Self::new()
    }
}

/// A fanotify group: an owned, always close-on-exec descriptor in FID mode.
///
/// Dropping it closes the descriptor, which removes every mark at once.
///
/// ```
/// use inotify_core::{FanBuffer, FanEventMask, FanInitFlags, FanMarkFlags, FanWatchMask, Fanotify, MarkTarget};
/// # let dir = std::env::temp_dir().join(format!("fanotify-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME)?;
/// group.add_mark(&dir, MarkTarget::Inode, FanWatchMask::CREATE, FanMarkFlags::empty())?;
/// std::fs::write(dir.join("hello"), b"")?;
/// let mut buffer = FanBuffer::new();
/// let event = group.read_events(&mut buffer)?.next().expect("an event");
/// assert_eq!(event.mask, FanEventMask::CREATE);
/// assert_eq!(event.dfid_name().map(|(_, name)| name), Some("hello".as_ref()));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Fanotify {
    fd: OwnedFd,
    /// Whether `O_NONBLOCK` is set; decides how reads wait.
    nonblocking: bool,
}

impl Fanotify {
    /// `fanotify_init(flags | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC)`.
    ///
    /// `flags` must report file handles (`REPORT_FID` or `REPORT_DIR_FID`,
    /// usually `REPORT_DFID_NAME`) and must not ask for `REPORT_PIDFD`: this
    /// group never owns descriptors that events carry. `NONBLOCK` is
    /// honoured; reads wait with `poll` either way.
    ///
    /// # Errors
    /// `InvalidInput` for flags without FID reporting or with
    /// `REPORT_PIDFD`. EPERM (unprivileged, with flags that need
    /// `CAP_SYS_ADMIN`), EINVAL (the message names the flag the kernel
    /// lacks, e.g. "kernel lacks `FAN_REPORT_DFID_NAME` (5.9+)"), EMFILE
    /// (`max_user_groups`, named), ENOMEM, ENOSYS. EINTR is retried.
    #[doc(alias = "fanotify_init")]
    pub fn init(flags: FanInitFlags) -> io::Result<Self> {
        let fid = FanInitFlags::REPORT_FID | FanInitFlags::REPORT_DIR_FID;
        if !flags.intersects(fid) || flags.contains(FanInitFlags::REPORT_PIDFD) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot create a fanotify group with {flags:?}: inotify-core's groups \
                     report file handles (FAN_REPORT_FID or FAN_REPORT_DIR_FID) and no \
                     pidfds, so that no event carries a descriptor to close"
                ),
            ));
        }
        let flags = flags | FanInitFlags::CLOEXEC;
        let fd = retry(|| sys::fanotify_init(flags.bits()))
            .map_err(|err| error::init_error(flags, err))?;
        Ok(Fanotify {
            fd,
            nonblocking: flags.contains(FanInitFlags::NONBLOCK),
        })
    }

    /// `fanotify_mark(FAN_MARK_ADD | target | flags, mask, path)`: adds
    /// `mask` to the mark of `target` holding `path` (creating it).
    ///
    /// An inode mark on a directory reports its children's events only with
    /// `EVENT_ON_CHILD`, and directories themselves only with `ONDIR`. A
    /// filesystem mark sees the whole filesystem, with no walk and no
    /// per-directory cost. Long paths are reached as
    /// [`Inotify::add_watch`](crate::Inotify::add_watch) reaches them.
    ///
    /// # Errors
    /// ENOENT, EACCES, ENOTDIR (with `ONLYDIR`); EPERM for mount and
    /// filesystem marks without `CAP_SYS_ADMIN` ("needs `CAP_SYS_ADMIN` for a
    /// filesystem mark"); ENOSPC (`max_user_marks`, named); EOPNOTSUPP,
    /// ENODEV, EXDEV for filesystems that cannot report file handles;
    /// EINVAL for masks the kernel or the group cannot take (`RENAME` before
    /// 5.17). Every message names the path.
    #[doc(alias = "fanotify_mark")]
    #[doc(alias = "FAN_MARK_ADD")]
    pub fn add_mark<P: AsRef<Path>>(
        &self,
        path: P,
        target: MarkTarget,
        mask: FanWatchMask,
        flags: FanMarkFlags,
    ) -> io::Result<()> {
        let path = path.as_ref();
        let flags = flags | FanMarkFlags::ADD | FanMarkFlags::from_bits_retain(target.bits());
        self.mark_path(path, flags, mask.bits())
            .map_err(|err| error::mark_error(path, target, mask, err))
    }

    /// `fanotify_mark(FAN_MARK_REMOVE | target | flags, mask, path)`:
    /// removes `mask` from the mark; the mark goes when its mask is empty.
    ///
    /// # Errors
    /// ENOENT when there is no such mark (or no such path).
    #[doc(alias = "FAN_MARK_REMOVE")]
    pub fn remove_mark<P: AsRef<Path>>(
        &self,
        path: P,
        target: MarkTarget,
        mask: FanWatchMask,
        flags: FanMarkFlags,
    ) -> io::Result<()> {
        let path = path.as_ref();
        let flags = flags | FanMarkFlags::REMOVE | FanMarkFlags::from_bits_retain(target.bits());
        self.mark_path(path, flags, mask.bits()).map_err(|err| {
            error::unmark_error(
                &format!("cannot remove the mark on {}", path.display()),
                err,
            )
        })
    }

    /// `fanotify_mark(FAN_MARK_FLUSH | target)`: removes every mark of
    /// that type from the group.
    ///
    /// # Errors
    /// EINVAL from kernels that reject the type.
    #[doc(alias = "FAN_MARK_FLUSH")]
    pub fn flush_marks(&self, target: MarkTarget) -> io::Result<()> {
        let flags = FanMarkFlags::FLUSH.bits() | target.bits();
        retry(|| sys::fanotify_mark(self.fd.as_fd(), flags, 0, None, None))
            .map_err(|err| error::unmark_error("cannot flush the marks", err))
    }

    /// One `fanotify_mark` call on `path`, spelled within `PATH_MAX`.
    fn mark_path(&self, path: &Path, flags: FanMarkFlags, mask: u64) -> io::Result<()> {
        let spelled = LongPath::new(path)?;
        let c_path = CString::new(spelled.as_path().as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
        retry(|| sys::fanotify_mark(self.fd.as_fd(), flags.bits(), mask, None, Some(&c_path)))
    }

    /// Reads at least one event, waiting as long as it takes, and returns an
    /// iterator over the events read, borrowing `buffer`. EINTR is retried.
    ///
    /// # Errors
    /// Read errors other than EINTR.
    #[doc(alias = "read")]
    pub fn read_events<'b>(&self, buffer: &'b mut FanBuffer) -> io::Result<FanEvents<'b>> {
        loop {
            if self.nonblocking {
                wait_readable([self.fd.as_fd()], None)?;
            }
            match retry(|| sys::read(self.fd.as_fd(), &mut buffer.bytes)) {
                Ok(len) => return Ok(FanEvents::new(filled(buffer, len))),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Reads whatever events are queued without waiting; the iterator is
    /// empty when there are none.
    ///
    /// # Errors
    /// As [`Fanotify::read_events`].
    pub fn try_read_events<'b>(&self, buffer: &'b mut FanBuffer) -> io::Result<FanEvents<'b>> {
        if !self.nonblocking {
            let [ready] = wait_readable([self.fd.as_fd()], Some(Duration::ZERO))?;
            if !ready {
                return Ok(FanEvents::new(&[]));
            }
        }
        match retry(|| sys::read(self.fd.as_fd(), &mut buffer.bytes)) {
            Ok(len) => Ok(FanEvents::new(filled(buffer, len))),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(FanEvents::new(&[])),
            Err(err) => Err(err),
        }
    }

    /// Waits until events are queued or `timeout` passes (`None`: forever).
    /// Returns whether events are ready. EINTR-safe.
    ///
    /// # Errors
    /// `poll` failures.
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<bool> {
        wait_readable([self.fd.as_fd()], timeout).map(|[ready]| ready)
    }

    /// Whether the descriptor is non-blocking.
    pub fn is_nonblocking(&self) -> bool {
        self.nonblocking
    }
}

/// The first `len` bytes of the buffer, after a read of `len` bytes.
fn filled(buffer: &FanBuffer, len: usize) -> &[u8] {
    buffer.bytes.get(..len).unwrap_or(&buffer.bytes)
}

/// Runs `call` until it fails with something other than EINTR.
fn retry<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

impl AsFd for Fanotify {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Fanotify {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<OwnedFd> for Fanotify {
    /// Adopts a descriptor that must be a fanotify group in FID mode without
    /// pidfds (for example, one inherited from a parent). Its blocking mode
    /// is read from the fd.
    fn from(fd: OwnedFd) -> Self {
        let nonblocking = sys::is_nonblocking(fd.as_fd()).unwrap_or(false);
        Fanotify { fd, nonblocking }
    }
}

impl From<Fanotify> for OwnedFd {
    fn from(group: Fanotify) -> OwnedFd {
        group.fd
    }
}
