//! Every constant of the inotify ABI: event bits, helper masks, watch flags,
//! init flags, the FIONREAD request and the `/proc` paths of the limits.
//!
//! Values are those of `<sys/inotify.h>` (see `inotify(7)`); the init flags
//! and `FIONREAD` differ between architectures, so they come from `libc`.

use core::ffi::c_int;

/// File was accessed (read, execve).
pub const IN_ACCESS: u32 = 0x0000_0001;
/// File was modified (write, truncate).
pub const IN_MODIFY: u32 = 0x0000_0002;
/// Metadata changed (permissions, timestamps, xattrs, link count, owner).
pub const IN_ATTRIB: u32 = 0x0000_0004;
/// File opened for writing was closed.
pub const IN_CLOSE_WRITE: u32 = 0x0000_0008;
/// File or directory not opened for writing was closed.
pub const IN_CLOSE_NOWRITE: u32 = 0x0000_0010;
/// File or directory was opened.
pub const IN_OPEN: u32 = 0x0000_0020;
/// Entry was renamed away from the watched directory (first half of a move).
pub const IN_MOVED_FROM: u32 = 0x0000_0040;
/// Entry was renamed into the watched directory (second half of a move).
pub const IN_MOVED_TO: u32 = 0x0000_0080;
/// Entry was created in the watched directory.
pub const IN_CREATE: u32 = 0x0000_0100;
/// Entry was deleted from the watched directory.
pub const IN_DELETE: u32 = 0x0000_0200;
/// The watched file or directory itself was deleted.
pub const IN_DELETE_SELF: u32 = 0x0000_0400;
/// The watched file or directory itself was moved.
pub const IN_MOVE_SELF: u32 = 0x0000_0800;
/// The filesystem holding the watched object was unmounted.
pub const IN_UNMOUNT: u32 = 0x0000_2000;
/// The event queue overflowed; events were lost (wd is -1).
pub const IN_Q_OVERFLOW: u32 = 0x0000_4000;
/// The watch was removed (explicitly, or because its object went away).
pub const IN_IGNORED: u32 = 0x0000_8000;

/// Both close events.
pub const IN_CLOSE: u32 = IN_CLOSE_WRITE | IN_CLOSE_NOWRITE;
/// Both halves of a rename.
pub const IN_MOVE: u32 = IN_MOVED_FROM | IN_MOVED_TO;
/// Every event a watch can ask for.
pub const IN_ALL_EVENTS: u32 = IN_ACCESS
    | IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_CLOSE_NOWRITE
    | IN_OPEN
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_DELETE
    | IN_CREATE
    | IN_DELETE_SELF
    | IN_MOVE_SELF;

/// Watch the path only if it is a directory (ENOTDIR otherwise).
pub const IN_ONLYDIR: u32 = 0x0100_0000;
/// Do not dereference the path if it is a symbolic link.
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
/// Stop reporting events for children once they are unlinked.
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
/// Fail with EEXIST instead of modifying an existing watch (Linux 4.18).
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
/// Add to the mask of an existing watch instead of replacing it.
pub const IN_MASK_ADD: u32 = 0x2000_0000;
/// The subject of the event is a directory.
pub const IN_ISDIR: u32 = 0x4000_0000;
/// Report one event, then remove the watch.
pub const IN_ONESHOT: u32 = 0x8000_0000;

/// `inotify_init1` flag: set close-on-exec on the new descriptor.
pub const IN_CLOEXEC: c_int = libc::O_CLOEXEC;
/// `inotify_init1` flag: make the new descriptor non-blocking.
pub const IN_NONBLOCK: c_int = libc::O_NONBLOCK;

/// `ioctl` request that stores the number of readable bytes in an `int`.
pub const FIONREAD: libc::Ioctl = libc::FIONREAD;

/// Longest file name a directory entry can have, without the NUL.
pub const NAME_MAX: usize = 255;

/// Directory that holds the per-user inotify limits.
pub const PROC_INOTIFY_DIR: &str = "/proc/sys/fs/inotify";
/// Limit on watches per real user id.
pub const PROC_MAX_USER_WATCHES: &str = "/proc/sys/fs/inotify/max_user_watches";
/// Limit on inotify instances per real user id.
pub const PROC_MAX_USER_INSTANCES: &str = "/proc/sys/fs/inotify/max_user_instances";
/// Limit on events queued per instance before `IN_Q_OVERFLOW`.
pub const PROC_MAX_QUEUED_EVENTS: &str = "/proc/sys/fs/inotify/max_queued_events";
/// The watch limit of the current user namespace (Linux 5.11); equal to
/// `max_user_watches` outside a child namespace.
pub const PROC_USER_MAX_INOTIFY_WATCHES: &str = "/proc/sys/user/max_inotify_watches";
/// The instance limit of the current user namespace.
pub const PROC_USER_MAX_INOTIFY_INSTANCES: &str = "/proc/sys/user/max_inotify_instances";
