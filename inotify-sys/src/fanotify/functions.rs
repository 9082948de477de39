//! The fanotify system calls and the two file-handle calls, as exported by
//! the C library (glibc splits `fanotify_mark`'s 64-bit mask itself on
//! 32-bit targets, so the prototype is the same everywhere).
//!
//! All of them are `unsafe` to call only because they are foreign
//! functions; `inotify-core`'s `sys` module wraps each in a safe
//! `io::Result` function.

use core::ffi::{c_char, c_int, c_uint};

use super::types::file_handle;

unsafe extern "C" {
    /// Creates a fanotify group; returns its descriptor or -1 with errno
    /// set. `flags` are the `FAN_*` init flags, `event_f_flags` the
    /// `open(2)` flags of the descriptors the kernel opens for events (not
    /// used in FID mode, but still validated).
    pub fn fanotify_init(flags: c_uint, event_f_flags: c_uint) -> c_int;
    /// Adds, removes or flushes a mark: `flags` holds one `FAN_MARK_ADD`/
    /// `REMOVE`/`FLUSH`, the mark type and modifiers, `mask` the events.
    /// The object is `pathname` relative to `dirfd` (or `dirfd` itself when
    /// `pathname` is null).
    pub fn fanotify_mark(
        fanotify_fd: c_int,
        flags: c_uint,
        mask: u64,
        dirfd: c_int,
        pathname: *const c_char,
    ) -> c_int;
    /// Stores the handle of `pathname` (relative to `dirfd`) in `handle`,
    /// whose `handle_bytes` says how much room follows the header, and the
    /// mount id in `mount_id`.
    pub fn name_to_handle_at(
        dirfd: c_int,
        pathname: *const c_char,
        handle: *mut file_handle,
        mount_id: *mut c_int,
        flags: c_int,
    ) -> c_int;
    /// Opens the object `handle` names on the filesystem of `mount_fd`
    /// (needs `CAP_DAC_READ_SEARCH`); returns a descriptor or -1.
    pub fn open_by_handle_at(mount_fd: c_int, handle: *mut file_handle, flags: c_int) -> c_int;
}
