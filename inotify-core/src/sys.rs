//! The only module of `inotify-core` with `unsafe` code: one thin
//! `io::Result` wrapper per system call the crate makes (inotify's, and
//! fanotify's with the file-handle calls its FID mode needs).
//!
//! Each wrapper checks the return value and turns -1 into
//! `io::Error::last_os_error()`; none retries EINTR, so that callers (and the
//! fault-injection seam in [`crate::fault`]) see every interruption and decide.
#![allow(
    unsafe_code,
    reason = "this module is the audited home of every syscall"
)]

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use crate::fault::{self, Op};

/// Converts a C return value of -1 into the thread's errno.
fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Takes ownership of a descriptor just returned by the kernel.
fn own(fd: RawFd) -> OwnedFd {
    // SAFETY:
    // - known: `fd` was returned by a successful init call just now, so it is
    //   an open descriptor that nothing else in this process owns yet.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// `inotify_init1(IN_CLOEXEC [| IN_NONBLOCK])`.
pub(crate) fn inotify_init1(nonblocking: bool) -> io::Result<OwnedFd> {
    fault::check(Op::Init)?;
    let mut flags = inotify_sys::IN_CLOEXEC;
    if nonblocking {
        flags |= inotify_sys::IN_NONBLOCK;
    }
    // SAFETY:
    // - known: the call takes only an integer and touches no memory of ours.
    let fd = check(unsafe { inotify_sys::inotify_init1(flags) })?;
    Ok(own(fd))
}

/// `inotify_add_watch(fd, path, mask)`; returns the raw watch descriptor.
pub(crate) fn inotify_add_watch(fd: BorrowedFd<'_>, path: &CStr, mask: u32) -> io::Result<i32> {
    fault::check(Op::AddWatch)?;
    // SAFETY:
    // - known: `path` is a valid NUL-terminated string that outlives the call;
    //   `fd` is borrowed, so it stays open for the duration of the call.
    // - trusted: the kernel only reads `path` and does not keep the pointer.
    check(unsafe { inotify_sys::inotify_add_watch(fd.as_raw_fd(), path.as_ptr(), mask) })
}

/// `getdents64(fd, buf)`: fills `buf` with `linux_dirent64` records of
/// the directory `fd`; returns the bytes written (0 at the end).
pub(crate) fn getdents64(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    fault::check(Op::ReadDir)?;
    // SAFETY:
    // - known: `buf` is a live, exclusively borrowed buffer of `buf.len()`
    //   bytes for the whole call; `fd` is borrowed, so it stays open.
    // - trusted: the kernel writes at most `buf.len()` bytes into it (it
    //   stores through `copy_to_user`-style accessors, which need no
    //   alignment of the user buffer) and keeps no pointer.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            fd.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    usize::try_from(ret).map_err(|_| io::Error::from_raw_os_error(libc::EOVERFLOW))
}

/// `inotify_rm_watch(fd, wd)`.
pub(crate) fn inotify_rm_watch(fd: BorrowedFd<'_>, wd: i32) -> io::Result<()> {
    fault::check(Op::RmWatch)?;
    // SAFETY:
    // - known: integers only; `fd` is borrowed and open for the call.
    check(unsafe { inotify_sys::inotify_rm_watch(fd.as_raw_fd(), wd) }).map(drop)
}

/// `read(fd, buf)`; returns the number of bytes the kernel wrote.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    let limit = fault::check_read(buf.len())?;
    let len = buf.len().min(limit);
    // SAFETY:
    // - known: `buf` is a live, exclusively borrowed slice of at least `len`
    //   bytes, so the kernel may write anywhere in `[ptr, ptr + len)`.
    // - trusted: the kernel writes at most `len` bytes and reports how many.
    let ret = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), len) };
    usize::try_from(ret).map_err(|_| io::Error::last_os_error())
}

/// `ioctl(fd, FIONREAD, &n)`: bytes queued and ready to read.
///
/// The kernel walks its whole event queue under a lock to answer, so this is
/// never called on the default read path.
pub(crate) fn fionread(fd: BorrowedFd<'_>) -> io::Result<usize> {
    fault::check(Op::Fionread)?;
    let mut n: libc::c_int = 0;
    // SAFETY:
    // - known: `n` is a live `c_int`, the type FIONREAD stores into.
    // - trusted: the kernel writes exactly one `int` through the pointer.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), inotify_sys::FIONREAD, &raw mut n) })?;
    usize::try_from(n).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
}

/// `poll(fds, timeout_ms)` for readability; returns how many are ready.
pub(crate) fn poll(fds: &mut [libc::pollfd], timeout_ms: libc::c_int) -> io::Result<usize> {
    fault::check(Op::Poll)?;
    let nfds = libc::nfds_t::try_from(fds.len())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY:
    // - known: `fds` is an exclusively borrowed slice of `nfds` pollfd
    //   structures; the kernel reads `fd`/`events` and writes `revents` only.
    let ready = check(unsafe { libc::poll(fds.as_mut_ptr(), nfds, timeout_ms) })?;
    usize::try_from(ready).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
}

/// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`.
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY:
    // - known: integers only; the returned descriptor is new.
    let fd = check(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
    Ok(own(fd))
}

/// Writes one 8-byte counter increment to an eventfd.
pub(crate) fn eventfd_write(fd: BorrowedFd<'_>, value: u64) -> io::Result<()> {
    let bytes = value.to_ne_bytes();
    // SAFETY:
    // - known: `bytes` is a live 8-byte array; the kernel only reads it.
    let ret = unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Reads (and so resets) an eventfd counter.
pub(crate) fn eventfd_read(fd: BorrowedFd<'_>) -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    // SAFETY:
    // - known: `bytes` is a live, exclusively borrowed 8-byte array.
    // - trusted: an eventfd read writes exactly 8 bytes or fails.
    let ret = unsafe { libc::read(fd.as_raw_fd(), bytes.as_mut_ptr().cast(), bytes.len()) };
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(u64::from_ne_bytes(bytes))
    }
}

/// Whether `O_NONBLOCK` is set on the open file description.
pub(crate) fn is_nonblocking(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY:
    // - known: F_GETFL takes no pointer argument; `fd` is open.
    let flags = check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    Ok(flags & libc::O_NONBLOCK != 0)
}

/// `fanotify_init(flags | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC | O_LARGEFILE)`.
///
/// The event flags matter only for groups that open a descriptor per event,
/// which `Fanotify` refuses; they are still validated by the kernel.
pub(crate) fn fanotify_init(flags: u32) -> io::Result<OwnedFd> {
    fault::check(Op::FanInit)?;
    let event_flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_LARGEFILE;
    let event_flags =
        u32::try_from(event_flags).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY:
    // - known: the call takes only integers and touches no memory of ours.
    let fd = check(unsafe {
        inotify_sys::fanotify_init(flags | inotify_sys::FAN_CLOEXEC, event_flags)
    })?;
    Ok(own(fd))
}

/// `fanotify_mark(fd, flags, mask, dirfd, path)`: `path` relative to `dirfd`
/// (the working directory when `None`), or the object of `dirfd` itself when
/// `path` is `None`.
pub(crate) fn fanotify_mark(
    fd: BorrowedFd<'_>,
    flags: u32,
    mask: u64,
    dirfd: Option<BorrowedFd<'_>>,
    path: Option<&CStr>,
) -> io::Result<()> {
    fault::check(Op::FanMark)?;
    let dirfd = dirfd.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    let path = path.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY:
    // - known: `path` is null or a valid NUL-terminated string that outlives
    //   the call; `fd` and `dirfd` are borrowed (or AT_FDCWD) and stay open.
    // - trusted: the kernel only reads `path` and does not keep the pointer.
    check(unsafe { inotify_sys::fanotify_mark(fd.as_raw_fd(), flags, mask, dirfd, path) }).map(drop)
}

/// A `struct file_handle` with room for the largest handle, aligned as
/// the C structure is.
#[repr(C)]
struct HandleBuf {
    header: inotify_sys::file_handle,
    bytes: [u8; inotify_sys::MAX_HANDLE_SZ],
}

/// A handle returned by [`name_to_handle_at`].
pub(crate) struct RawHandle {
    pub(crate) handle_type: i32,
    pub(crate) bytes: [u8; inotify_sys::MAX_HANDLE_SZ],
    /// Invariant: at most `MAX_HANDLE_SZ`.
    pub(crate) len: usize,
    /// The id of the mount the object was reached through (the first
    /// field of `/proc/self/mountinfo`).
    pub(crate) mount_id: i32,
}

/// `name_to_handle_at(fd, "", .., AT_EMPTY_PATH)`: the handle of the
/// object `fd` refers to (an `O_PATH` descriptor will do).
pub(crate) fn name_to_handle_at(fd: BorrowedFd<'_>) -> io::Result<RawHandle> {
    let mut buf = HandleBuf {
        header: inotify_sys::file_handle {
            handle_bytes: u32::try_from(inotify_sys::MAX_HANDLE_SZ).unwrap_or(0),
            handle_type: 0,
            f_handle: [],
        },
        bytes: [0; inotify_sys::MAX_HANDLE_SZ],
    };
    let mut mount_id: libc::c_int = 0;
    // SAFETY:
    // - known: the path is the empty C string literal; `buf` is a live,
    //   exclusively borrowed `file_handle` header followed (repr(C), no
    //   padding: the header is 8 bytes of 4-byte fields) by `handle_bytes`
    //   bytes of room; `mount_id` is a live `c_int`; `fd` is borrowed.
    // - trusted: the kernel writes at most `handle_bytes` bytes after the
    //   header (or fails with EOVERFLOW) and does not keep the pointers.
    check(unsafe {
        inotify_sys::name_to_handle_at(
            fd.as_raw_fd(),
            c"".as_ptr(),
            (&raw mut buf).cast(),
            &raw mut mount_id,
            libc::AT_EMPTY_PATH,
        )
    })?;
    let len = usize::try_from(buf.header.handle_bytes)
        .ok()
        .filter(|&len| len <= inotify_sys::MAX_HANDLE_SZ)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidData))?;
    Ok(RawHandle {
        handle_type: buf.header.handle_type,
        bytes: buf.bytes,
        len,
        mount_id,
    })
}

/// `open_by_handle_at(mount_fd, handle, flags)`: opens the object a handle
/// names on the filesystem of `mount_fd`.
pub(crate) fn open_by_handle_at(
    mount_fd: BorrowedFd<'_>,
    handle_type: i32,
    bytes: &[u8],
    flags: libc::c_int,
) -> io::Result<OwnedFd> {
    let mut buf = HandleBuf {
        header: inotify_sys::file_handle {
            handle_bytes: 0,
            handle_type,
            f_handle: [],
        },
        bytes: [0; inotify_sys::MAX_HANDLE_SZ],
    };
    let room = buf
        .bytes
        .get_mut(..bytes.len())
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
    room.copy_from_slice(bytes);
    buf.header.handle_bytes =
        u32::try_from(bytes.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY:
    // - known: `buf` is a live `file_handle` header followed by
    //   `handle_bytes` (at most MAX_HANDLE_SZ) initialised bytes;
    //   `mount_fd` is borrowed and open for the call.
    // - trusted: the kernel reads the handle only and returns a new
    //   descriptor, or fails (EPERM without CAP_DAC_READ_SEARCH, ESTALE).
    let fd = check(unsafe {
        inotify_sys::open_by_handle_at(mount_fd.as_raw_fd(), (&raw mut buf).cast(), flags)
    })?;
    Ok(own(fd))
}

/// `fstatfs(fd).f_fsid`: the filesystem id fanotify reports, as two words.
pub(crate) fn fsid(fd: BorrowedFd<'_>) -> io::Result<[i32; 2]> {
    let mut stat = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY:
    // - known: `stat` is live, exclusively borrowed room for one `statfs`.
    // - trusted: on success the kernel filled the whole structure.
    check(unsafe { libc::fstatfs(fd.as_raw_fd(), stat.as_mut_ptr()) })?;
    // SAFETY:
    // - known: fstatfs succeeded, so every field of `stat` is written.
    let stat = unsafe { stat.assume_init() };
    // SAFETY:
    // - known: `fsid_t` is `#[repr(C)] struct { __val: [c_int; 2] }`, 8
    //   bytes with no padding, so every bit pattern is a valid `[i32; 2]`;
    //   libc keeps the field private, hence the transmute.
    Ok(unsafe { std::mem::transmute::<libc::fsid_t, [i32; 2]>(stat.f_fsid) })
}

/// Registers an inotify instance with tokio's reactor (`AsyncFd::register`).
///
/// On failure the instance comes back with the reactor's error, so a caller
/// that passed ownership loses nothing.
#[cfg(feature = "tokio")]
pub(crate) fn register_async_fd(
    inotify: crate::Inotify,
) -> Result<tokio::io::unix::AsyncFd<crate::Inotify>, (crate::Inotify, io::Error)> {
    // SAFETY:
    // - known: `Inotify` owns its `OwnedFd`; `as_raw_fd` returns that field,
    //   which no method replaces, so it is the same open descriptor until the
    //   `AsyncFd` drops the `Inotify` or hands it back with `into_inner`.
    // - known: the async module never exposes `AsyncFd::get_mut`, so nothing
    //   can swap the `Inotify` out from under the registration.
    unsafe { tokio::io::unix::AsyncFd::register(inotify) }
        .map_err(tokio::io::unix::AsyncFdRegisterError::into_parts)
}

/// Registers an owned descriptor with tokio's reactor (`AsyncFd::register`);
/// see [`register_async_fd`].
#[cfg(feature = "tokio")]
pub(crate) fn register_owned_fd(
    fd: OwnedFd,
) -> Result<tokio::io::unix::AsyncFd<OwnedFd>, (OwnedFd, io::Error)> {
    // SAFETY:
    // - known: an `OwnedFd` is open until dropped and its `as_raw_fd` never
    //   changes; `AsyncReadiness` never exposes `AsyncFd::get_mut`, so the
    //   `OwnedFd` is dropped (or handed back) only by the `AsyncFd` itself.
    unsafe { tokio::io::unix::AsyncFd::register(fd) }
        .map_err(tokio::io::unix::AsyncFdRegisterError::into_parts)
}
