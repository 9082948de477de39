//! [`Inotify`]: the owned inotify descriptor and the kernel calls on it.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use crate::buffer::EventBuffer;
use crate::error;
use crate::long_path::LongPath;
use crate::mask::WatchMask;
use crate::parse::Events;
use crate::poll::wait_readable;
use crate::sys;
use crate::watch::WatchDescriptor;

/// Options for [`Inotify::init_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InitOptions {
    /// Open the descriptor with `IN_NONBLOCK`. Reads still work either way:
    /// [`Inotify::read_events`] waits with `poll` on a non-blocking fd.
    pub nonblocking: bool,
}

/// An inotify instance: an owned, always close-on-exec descriptor.
///
/// Dropping it closes the descriptor, which removes every watch at once.
///
/// ```
/// use inotify_core::{EventBuffer, EventMask, Inotify, WatchMask};
/// let dir = std::env::temp_dir().join(format!("inotify-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let inotify = Inotify::init()?;
/// let wd = inotify.add_watch(&dir, WatchMask::CREATE)?;
/// std::fs::write(dir.join("hello"), b"")?;
/// let mut buffer = EventBuffer::new();
/// let event = inotify.read_events(&mut buffer)?.next().expect("an event");
/// assert_eq!((event.wd, event.mask), (wd, EventMask::CREATE));
/// assert_eq!(event.name, Some("hello".as_ref()));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Inotify {
    fd: OwnedFd,
    /// Whether `O_NONBLOCK` is set; decides how reads wait.
    nonblocking: bool,
}

impl Inotify {
    /// `inotify_init1(IN_CLOEXEC)`: a blocking instance.
    ///
    /// # Errors
    /// EMFILE (instance limit, `max_user_instances`, or the fd limit), ENFILE,
    /// ENOMEM; the message names the limit to raise.
    #[doc(alias = "inotify_init1")]
    #[doc(alias = "inotify_init")]
    pub fn init() -> io::Result<Self> {
        Self::init_with(InitOptions::default())
    }

    /// `inotify_init1(IN_CLOEXEC [| IN_NONBLOCK])`.
    ///
    /// # Errors
    /// As [`Inotify::init`]. EINTR is retried.
    pub fn init_with(options: InitOptions) -> io::Result<Self> {
        let fd = retry(|| sys::inotify_init1(options.nonblocking)).map_err(error::init_error)?;
        Ok(Inotify {
            fd,
            nonblocking: options.nonblocking,
        })
    }

    /// `inotify_add_watch`: watches `path`, or changes the mask of its
    /// existing watch (then the same descriptor comes back).
    ///
    /// This is the kernel call as it is: it mirrors what the kernel
    /// accepts. The kernel (measured on Linux 6.18) rejects with EINVAL an
    /// empty mask, a bit it does not know, and `MASK_ADD` with
    /// `MASK_CREATE` — before it looks the path up — but accepts a mask of
    /// flags alone (`ONLYDIR`, `DONT_FOLLOW`, `ONESHOT`, ...), giving a
    /// watch that reports nothing but `IN_IGNORED` and `IN_UNMOUNT`.
    /// [`crate::Watcher`] and the upper layers refuse such masks
    /// ([`WatchMask::has_event_bit`]).
    ///
    /// # Errors
    /// ENOENT (also for an empty path), EACCES, ENOTDIR (with `ONLYDIR`),
    /// EEXIST (with `MASK_CREATE`), EINVAL (see above), ENOSPC (watch
    /// limit: the message names `max_user_watches`); every message names the
    /// path. A path with a NUL byte is `InvalidInput`.
    ///
    /// # Long paths
    /// A path of `PATH_MAX` bytes or more, which the kernel call alone
    /// rejects with ENAMETOOLONG, is watched through a directory descriptor
    /// of its leading components ([`LongPath`](crate::long_path::LongPath)),
    /// so any depth the filesystem allows can be watched; that costs an
    /// `open` per 4,000 bytes, and nothing for shorter paths. This layer
    /// does it, rather than each layer above, because the limit is one of
    /// the kernel's interface, not of the watch: the descriptor and the
    /// events are the same as for a short path to the same directory.
    #[doc(alias = "inotify_add_watch")]
    pub fn add_watch<P: AsRef<Path>>(
        &self,
        path: P,
        mask: WatchMask,
    ) -> io::Result<WatchDescriptor> {
        let path = path.as_ref();
        let spelled = LongPath::new(path).map_err(|err| error::add_watch_error(path, err))?;
        let c_path = CString::new(spelled.as_path().as_os_str().as_bytes()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot watch {}: path contains a NUL byte", path.display()),
            )
        })?;
        retry(|| sys::inotify_add_watch(self.fd.as_fd(), &c_path, mask.bits()))
            .map(WatchDescriptor::from_raw)
            .map_err(|err| error::add_watch_error(path, err))
    }

    /// [`Inotify::add_watch`] spelling a short path in `buf` (reused by a
    /// walk, so no allocation per directory).
    pub(crate) fn add_watch_reusing(
        &self,
        path: &Path,
        mask: WatchMask,
        buf: &mut Vec<u8>,
    ) -> io::Result<WatchDescriptor> {
        let bytes = path.as_os_str().as_bytes();
        if bytes.len() >= crate::long_path::PATH_MAX || bytes.contains(&0) {
            return self.add_watch(path, mask);
        }
        buf.clear();
        buf.extend_from_slice(bytes);
        buf.push(0);
        let c_path = std::ffi::CStr::from_bytes_with_nul(buf)
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        retry(|| sys::inotify_add_watch(self.fd.as_fd(), c_path, mask.bits()))
            .map(WatchDescriptor::from_raw)
            .map_err(|err| error::add_watch_error(path, err))
    }

    /// `inotify_rm_watch`: removes a watch. The kernel then queues
    /// `IN_IGNORED` for it; until that is read, events of the watch may
    /// still be in the queue.
    ///
    /// # Errors
    /// EINVAL when the descriptor is not a watch of this instance (for
    /// example, already removed).
    #[doc(alias = "inotify_rm_watch")]
    pub fn rm_watch(&self, wd: WatchDescriptor) -> io::Result<()> {
        retry(|| sys::inotify_rm_watch(self.fd.as_fd(), wd.as_raw()))
            .map_err(|err| error::rm_watch_error(wd.as_raw(), err))
    }

    /// Reads at least one event, waiting as long as it takes, and returns an
    /// iterator over the records read, borrowing `buffer`.
    ///
    /// One `read(2)` per call: with the default 64 KiB buffer a busy queue
    /// drains in about one system call per thousand events. EINTR is retried.
    ///
    /// # Errors
    /// Read errors other than EINTR (EBADF, EFAULT; EINVAL cannot happen as
    /// the buffer always fits a maximal record).
    #[doc(alias = "read")]
    pub fn read_events<'b>(&self, buffer: &'b mut EventBuffer) -> io::Result<Events<'b>> {
        loop {
            if self.nonblocking {
                wait_readable([self.fd.as_fd()], None)?;
            }
            match self.read_into(buffer) {
                Ok(len) => return Ok(Events::new(buffer.filled(len))),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Reads whatever events are queued without waiting; the iterator is
    /// empty when there are none.
    ///
    /// # Errors
    /// As [`Inotify::read_events`].
    pub fn try_read_events<'b>(&self, buffer: &'b mut EventBuffer) -> io::Result<Events<'b>> {
        if !self.nonblocking {
            let [ready] = wait_readable([self.fd.as_fd()], Some(Duration::ZERO))?;
            if !ready {
                return Ok(Events::new(&[]));
            }
        }
        match self.read_into(buffer) {
            Ok(len) => Ok(Events::new(buffer.filled(len))),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(Events::new(&[])),
            Err(err) => Err(err),
        }
    }

    /// Waits until events are queued or `timeout` passes (`None`: forever).
    /// Returns whether events are ready. EINTR-safe.
    ///
    /// # Errors
    /// `poll` failures (ENOMEM, EINVAL).
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<bool> {
        wait_readable([self.fd.as_fd()], timeout).map(|[ready]| ready)
    }

    /// `ioctl(FIONREAD)`: bytes queued and ready to read.
    ///
    /// Costs a walk of the whole kernel queue; see [`crate::Threshold`].
    ///
    /// # Errors
    /// `ioctl` failures.
    #[doc(alias = "FIONREAD")]
    pub fn bytes_available(&self) -> io::Result<usize> {
        sys::fionread(self.fd.as_fd())
    }

    /// Whether the descriptor is non-blocking.
    pub fn is_nonblocking(&self) -> bool {
        self.nonblocking
    }

    /// One `read(2)` into the buffer, EINTR retried.
    fn read_into(&self, buffer: &mut EventBuffer) -> io::Result<usize> {
        retry(|| sys::read(self.fd.as_fd(), buffer.as_mut_slice()))
    }
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

impl AsFd for Inotify {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Inotify {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<OwnedFd> for Inotify {
    /// Adopts a descriptor that must be an inotify instance (for example,
    /// one inherited from a parent). Its blocking mode is read from the fd.
    fn from(fd: OwnedFd) -> Self {
        let nonblocking = sys::is_nonblocking(fd.as_fd()).unwrap_or(false);
        Inotify { fd, nonblocking }
    }
}

impl From<Inotify> for OwnedFd {
    fn from(inotify: Inotify) -> OwnedFd {
        inotify.fd
    }
}
