//! The four inotify system calls, as exported by the C library.
//!
//! All of them are `unsafe` to call only because they are foreign functions;
//! `inotify-core::sys` wraps each in a safe `io::Result` function.

use core::ffi::{c_char, c_int};

unsafe extern "C" {
    /// Creates an instance; returns a descriptor or -1 with errno set.
    pub fn inotify_init() -> c_int;
    /// Creates an instance with `IN_CLOEXEC`/`IN_NONBLOCK` flags.
    pub fn inotify_init1(flags: c_int) -> c_int;
    /// Adds or modifies the watch of `pathname` (a NUL-terminated string);
    /// returns its watch descriptor or -1 with errno set.
    pub fn inotify_add_watch(fd: c_int, pathname: *const c_char, mask: u32) -> c_int;
    /// Removes watch `wd`; the kernel then queues `IN_IGNORED` for it.
    pub fn inotify_rm_watch(fd: c_int, wd: c_int) -> c_int;
}
