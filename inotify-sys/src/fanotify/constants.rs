//! Every `FAN_*` constant of `<linux/fanotify.h>` as installed here: event
//! bits, `fanotify_init` flags, `fanotify_mark` flags, info record types,
//! permission responses, the metadata version, and the `/proc` paths of the
//! fanotify limits.
//!
//! Event bits are `u64` (the type of `fanotify_mark`'s mask and of
//! `fanotify_event_metadata.mask`); init and mark flags are `c_uint`. The
//! constants the header marks "deprecated — do not use" are here too, so
//! the set is complete, with that warning on each.

use core::ffi::c_uint;

/// File was accessed.
pub const FAN_ACCESS: u64 = 0x0000_0001;
/// File was modified.
pub const FAN_MODIFY: u64 = 0x0000_0002;
/// Metadata changed (Linux 5.1, FID mode).
pub const FAN_ATTRIB: u64 = 0x0000_0004;
/// File opened for writing was closed.
pub const FAN_CLOSE_WRITE: u64 = 0x0000_0008;
/// File not opened for writing was closed.
pub const FAN_CLOSE_NOWRITE: u64 = 0x0000_0010;
/// File or directory was opened.
pub const FAN_OPEN: u64 = 0x0000_0020;
/// Entry moved away from a directory (Linux 5.1, FID mode).
pub const FAN_MOVED_FROM: u64 = 0x0000_0040;
/// Entry moved into a directory (Linux 5.1, FID mode).
pub const FAN_MOVED_TO: u64 = 0x0000_0080;
/// Entry created in a directory (Linux 5.1, FID mode).
pub const FAN_CREATE: u64 = 0x0000_0100;
/// Entry deleted from a directory (Linux 5.1, FID mode).
pub const FAN_DELETE: u64 = 0x0000_0200;
/// The marked object itself was deleted (Linux 5.1, FID mode).
pub const FAN_DELETE_SELF: u64 = 0x0000_0400;
/// The marked object itself was moved (Linux 5.1, FID mode).
pub const FAN_MOVE_SELF: u64 = 0x0000_0800;
/// File was opened for execution (Linux 5.0).
pub const FAN_OPEN_EXEC: u64 = 0x0000_1000;
/// The event queue overflowed; events were lost.
pub const FAN_Q_OVERFLOW: u64 = 0x0000_4000;
/// A filesystem error was reported (Linux 5.16, filesystem marks).
pub const FAN_FS_ERROR: u64 = 0x0000_8000;
/// Permission to open a file is asked.
pub const FAN_OPEN_PERM: u64 = 0x0001_0000;
/// Permission to read a file is asked.
pub const FAN_ACCESS_PERM: u64 = 0x0002_0000;
/// Permission to open a file for execution is asked (Linux 5.0).
pub const FAN_OPEN_EXEC_PERM: u64 = 0x0004_0000;
/// Mark a directory to get the events of its children too.
pub const FAN_EVENT_ON_CHILD: u64 = 0x0800_0000;
/// Entry renamed, reported once with both directories (Linux 5.17).
pub const FAN_RENAME: u64 = 0x1000_0000;
/// The event is about a directory (and, in a mask, ask for those too).
pub const FAN_ONDIR: u64 = 0x4000_0000;

/// Both close events.
pub const FAN_CLOSE: u64 = FAN_CLOSE_WRITE | FAN_CLOSE_NOWRITE;
/// Both halves of a move.
pub const FAN_MOVE: u64 = FAN_MOVED_FROM | FAN_MOVED_TO;

/// `fanotify_init`: set close-on-exec on the group's descriptor.
pub const FAN_CLOEXEC: c_uint = 0x0000_0001;
/// `fanotify_init`: make the group's descriptor non-blocking.
pub const FAN_NONBLOCK: c_uint = 0x0000_0002;
/// Notification class: no permission events (the default, zero).
pub const FAN_CLASS_NOTIF: c_uint = 0x0000_0000;
/// Class for permission decisions after the content is final.
pub const FAN_CLASS_CONTENT: c_uint = 0x0000_0004;
/// Class for permission decisions before the content is final.
pub const FAN_CLASS_PRE_CONTENT: c_uint = 0x0000_0008;
/// Deprecated by the kernel header (do not use): all class bits.
pub const FAN_ALL_CLASS_BITS: c_uint = FAN_CLASS_NOTIF | FAN_CLASS_CONTENT | FAN_CLASS_PRE_CONTENT;
/// No limit on queued events (needs `CAP_SYS_ADMIN`).
pub const FAN_UNLIMITED_QUEUE: c_uint = 0x0000_0010;
/// No limit on marks (needs `CAP_SYS_ADMIN`).
pub const FAN_UNLIMITED_MARKS: c_uint = 0x0000_0020;
/// Audit permission decisions (Linux 4.15).
pub const FAN_ENABLE_AUDIT: c_uint = 0x0000_0040;
/// Report a pidfd of the event's process in an info record (Linux 5.15).
pub const FAN_REPORT_PIDFD: c_uint = 0x0000_0080;
/// Report the thread id instead of the process id (Linux 4.20).
pub const FAN_REPORT_TID: c_uint = 0x0000_0100;
/// Report the object by file handle (FID mode, Linux 5.1).
pub const FAN_REPORT_FID: c_uint = 0x0000_0200;
/// Report the parent directory's file handle (Linux 5.9).
pub const FAN_REPORT_DIR_FID: c_uint = 0x0000_0400;
/// Report the entry name with the directory's handle (Linux 5.9; needs
/// `FAN_REPORT_DIR_FID`).
pub const FAN_REPORT_NAME: c_uint = 0x0000_0800;
/// Report the target's handle on directory-entry events (Linux 5.17).
pub const FAN_REPORT_TARGET_FID: c_uint = 0x0000_1000;
/// Directory handle and name: `FAN_REPORT_DIR_FID | FAN_REPORT_NAME`.
pub const FAN_REPORT_DFID_NAME: c_uint = FAN_REPORT_DIR_FID | FAN_REPORT_NAME;
/// Every FID flag: `FAN_REPORT_DFID_NAME | FAN_REPORT_FID |
/// FAN_REPORT_TARGET_FID`.
pub const FAN_REPORT_DFID_NAME_TARGET: c_uint =
    FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID;
/// Deprecated by the kernel header (do not use): the original init flags.
pub const FAN_ALL_INIT_FLAGS: c_uint =
    FAN_CLOEXEC | FAN_NONBLOCK | FAN_ALL_CLASS_BITS | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS;

/// `fanotify_mark`: add the mask to the mark (creating it).
pub const FAN_MARK_ADD: c_uint = 0x0000_0001;
/// `fanotify_mark`: remove the mask from the mark.
pub const FAN_MARK_REMOVE: c_uint = 0x0000_0002;
/// Do not follow a final symbolic link.
pub const FAN_MARK_DONT_FOLLOW: c_uint = 0x0000_0004;
/// Fail with ENOTDIR unless the path is a directory.
pub const FAN_MARK_ONLYDIR: c_uint = 0x0000_0008;
/// The mask is an ignore mask (old style).
pub const FAN_MARK_IGNORED_MASK: c_uint = 0x0000_0020;
/// The ignore mask survives modification of the file.
pub const FAN_MARK_IGNORED_SURV_MODIFY: c_uint = 0x0000_0040;
/// Remove every mark of the given type.
pub const FAN_MARK_FLUSH: c_uint = 0x0000_0080;
/// The inode mark may be evicted with the inode (Linux 5.19).
pub const FAN_MARK_EVICTABLE: c_uint = 0x0000_0200;
/// The mask is an ignore mask (new style, Linux 6.0).
pub const FAN_MARK_IGNORE: c_uint = 0x0000_0400;
/// Mark type: the inode of the path (zero, the default).
pub const FAN_MARK_INODE: c_uint = 0x0000_0000;
/// Mark type: the mount holding the path.
pub const FAN_MARK_MOUNT: c_uint = 0x0000_0010;
/// Mark type: the filesystem holding the path (Linux 4.20).
pub const FAN_MARK_FILESYSTEM: c_uint = 0x0000_0100;
/// `FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY`, required by
/// non-inode ignore marks.
pub const FAN_MARK_IGNORE_SURV: c_uint = FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY;
/// Deprecated by the kernel header (do not use): the original mark flags.
pub const FAN_ALL_MARK_FLAGS: c_uint = FAN_MARK_ADD
    | FAN_MARK_REMOVE
    | FAN_MARK_DONT_FOLLOW
    | FAN_MARK_ONLYDIR
    | FAN_MARK_MOUNT
    | FAN_MARK_IGNORED_MASK
    | FAN_MARK_IGNORED_SURV_MODIFY
    | FAN_MARK_FLUSH;

/// Deprecated by the kernel header (do not use): the original events.
pub const FAN_ALL_EVENTS: u64 = FAN_ACCESS | FAN_MODIFY | FAN_CLOSE | FAN_OPEN;
/// Deprecated by the kernel header (do not use): the permission events.
pub const FAN_ALL_PERM_EVENTS: u64 = FAN_OPEN_PERM | FAN_ACCESS_PERM;
/// Deprecated by the kernel header (do not use): every reportable event.
pub const FAN_ALL_OUTGOING_EVENTS: u64 = FAN_ALL_EVENTS | FAN_ALL_PERM_EVENTS | FAN_Q_OVERFLOW;

/// Layout version of [`fanotify_event_metadata`](crate::fanotify_event_metadata).
pub const FANOTIFY_METADATA_VERSION: u8 = 3;

/// Info record: the object's file handle.
pub const FAN_EVENT_INFO_TYPE_FID: u8 = 1;
/// Info record: the parent directory's handle and the entry name.
pub const FAN_EVENT_INFO_TYPE_DFID_NAME: u8 = 2;
/// Info record: the parent directory's handle.
pub const FAN_EVENT_INFO_TYPE_DFID: u8 = 3;
/// Info record: a pidfd of the event's process.
pub const FAN_EVENT_INFO_TYPE_PIDFD: u8 = 4;
/// Info record: the error of a `FAN_FS_ERROR` event.
pub const FAN_EVENT_INFO_TYPE_ERROR: u8 = 5;
/// Info record of `FAN_RENAME`: the old directory's handle and old name.
pub const FAN_EVENT_INFO_TYPE_OLD_DFID_NAME: u8 = 10;
/// Info record of `FAN_RENAME`: the new directory's handle and new name.
pub const FAN_EVENT_INFO_TYPE_NEW_DFID_NAME: u8 = 12;

/// Permission response: allow.
pub const FAN_ALLOW: u32 = 0x01;
/// Permission response: deny.
pub const FAN_DENY: u32 = 0x02;
/// Permission response bit: write an audit record.
pub const FAN_AUDIT: u32 = 0x10;

/// No descriptor in the event (`fd` field).
pub const FAN_NOFD: i32 = -1;
/// No pidfd in the PIDFD record (the process is gone).
pub const FAN_NOPIDFD: i32 = FAN_NOFD;
/// The pidfd could not be created.
pub const FAN_EPIDFD: i32 = -2;

/// Directory of the fanotify limits (Linux 5.13).
pub const PROC_FANOTIFY_DIR: &str = "/proc/sys/fs/fanotify";
/// Limit on marks per real user id (groups without `FAN_UNLIMITED_MARKS`).
pub const PROC_FANOTIFY_MAX_USER_MARKS: &str = "/proc/sys/fs/fanotify/max_user_marks";
/// Limit on fanotify groups per real user id.
pub const PROC_FANOTIFY_MAX_USER_GROUPS: &str = "/proc/sys/fs/fanotify/max_user_groups";
/// Limit on events queued per group before `FAN_Q_OVERFLOW`.
pub const PROC_FANOTIFY_MAX_QUEUED_EVENTS: &str = "/proc/sys/fs/fanotify/max_queued_events";
/// The mark limit of the current user namespace.
pub const PROC_USER_MAX_FANOTIFY_MARKS: &str = "/proc/sys/user/max_fanotify_marks";
/// The group limit of the current user namespace.
pub const PROC_USER_MAX_FANOTIFY_GROUPS: &str = "/proc/sys/user/max_fanotify_groups";
