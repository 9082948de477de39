//! Typed fanotify flags: [`FanInitFlags`] (`fanotify_init`), [`FanMarkFlags`]
//! (`fanotify_mark`'s flags), [`FanWatchMask`] (the events a mark asks for)
//! and [`FanEventMask`] (the bits of a received event), each printed with the
//! kernel's names (`FAN_CREATE|FAN_ONDIR`).
//!
//! As for inotify, asking and getting are two types: `EVENT_ON_CHILD` means
//! something only in a mark, `Q_OVERFLOW` only in an event. The spellings are
//! the kernel's without `FAN_`, each with its `FAN_` name as a doc alias.

use std::fmt;

use bitflags::bitflags;
use inotify_sys as ffi;

bitflags! {
    /// The flags of `fanotify_init`. [`Fanotify::init`](crate::Fanotify::init)
    /// always adds `CLOEXEC`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct FanInitFlags: u32 {
        /// Close-on-exec (always set by `Fanotify::init`).
        #[doc(alias = "FAN_CLOEXEC")]
        const CLOEXEC = ffi::FAN_CLOEXEC;
        /// Non-blocking descriptor.
        #[doc(alias = "FAN_NONBLOCK")]
        const NONBLOCK = ffi::FAN_NONBLOCK;
        /// Permission events after the content is final.
        #[doc(alias = "FAN_CLASS_CONTENT")]
        const CLASS_CONTENT = ffi::FAN_CLASS_CONTENT;
        /// Permission events before the content is final.
        #[doc(alias = "FAN_CLASS_PRE_CONTENT")]
        const CLASS_PRE_CONTENT = ffi::FAN_CLASS_PRE_CONTENT;
        /// No limit on queued events (`CAP_SYS_ADMIN`).
        #[doc(alias = "FAN_UNLIMITED_QUEUE")]
        const UNLIMITED_QUEUE = ffi::FAN_UNLIMITED_QUEUE;
        /// No limit on marks (`CAP_SYS_ADMIN`).
        #[doc(alias = "FAN_UNLIMITED_MARKS")]
        const UNLIMITED_MARKS = ffi::FAN_UNLIMITED_MARKS;
        /// Audit permission decisions.
        #[doc(alias = "FAN_ENABLE_AUDIT")]
        const ENABLE_AUDIT = ffi::FAN_ENABLE_AUDIT;
        /// A pidfd of the event's process in each event.
        #[doc(alias = "FAN_REPORT_PIDFD")]
        const REPORT_PIDFD = ffi::FAN_REPORT_PIDFD;
        /// Thread ids instead of process ids.
        #[doc(alias = "FAN_REPORT_TID")]
        const REPORT_TID = ffi::FAN_REPORT_TID;
        /// The object's file handle (FID mode, Linux 5.1).
        #[doc(alias = "FAN_REPORT_FID")]
        const REPORT_FID = ffi::FAN_REPORT_FID;
        /// The parent directory's file handle (Linux 5.9).
        #[doc(alias = "FAN_REPORT_DIR_FID")]
        const REPORT_DIR_FID = ffi::FAN_REPORT_DIR_FID;
        /// The entry name with the directory handle (Linux 5.9).
        #[doc(alias = "FAN_REPORT_NAME")]
        const REPORT_NAME = ffi::FAN_REPORT_NAME;
        /// The target's handle on directory-entry events (Linux 5.17).
        #[doc(alias = "FAN_REPORT_TARGET_FID")]
        const REPORT_TARGET_FID = ffi::FAN_REPORT_TARGET_FID;
        /// Directory handle and name (`REPORT_DIR_FID | REPORT_NAME`).
        #[doc(alias = "FAN_REPORT_DFID_NAME")]
        const REPORT_DFID_NAME = ffi::FAN_REPORT_DFID_NAME;
        /// Every FID flag (`REPORT_DFID_NAME | REPORT_FID | REPORT_TARGET_FID`).
        #[doc(alias = "FAN_REPORT_DFID_NAME_TARGET")]
        const REPORT_DFID_NAME_TARGET = ffi::FAN_REPORT_DFID_NAME_TARGET;
    }
}

bitflags! {
    /// The flags of `fanotify_mark`: the operation, the mark type and
    /// modifiers. [`Fanotify::add_mark`](crate::Fanotify::add_mark) and its
    /// siblings set the operation and type themselves.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct FanMarkFlags: u32 {
        /// Add the mask to the mark.
        #[doc(alias = "FAN_MARK_ADD")]
        const ADD = ffi::FAN_MARK_ADD;
        /// Remove the mask from the mark.
        #[doc(alias = "FAN_MARK_REMOVE")]
        const REMOVE = ffi::FAN_MARK_REMOVE;
        /// Do not follow a final symbolic link.
        #[doc(alias = "FAN_MARK_DONT_FOLLOW")]
        const DONT_FOLLOW = ffi::FAN_MARK_DONT_FOLLOW;
        /// Fail with ENOTDIR unless the path is a directory.
        #[doc(alias = "FAN_MARK_ONLYDIR")]
        const ONLYDIR = ffi::FAN_MARK_ONLYDIR;
        /// Mark type: the mount of the path.
        #[doc(alias = "FAN_MARK_MOUNT")]
        const MOUNT = ffi::FAN_MARK_MOUNT;
        /// The mask is an ignore mask (old style).
        #[doc(alias = "FAN_MARK_IGNORED_MASK")]
        const IGNORED_MASK = ffi::FAN_MARK_IGNORED_MASK;
        /// The ignore mask survives modification.
        #[doc(alias = "FAN_MARK_IGNORED_SURV_MODIFY")]
        const IGNORED_SURV_MODIFY = ffi::FAN_MARK_IGNORED_SURV_MODIFY;
        /// Remove every mark of the type.
        #[doc(alias = "FAN_MARK_FLUSH")]
        const FLUSH = ffi::FAN_MARK_FLUSH;
        /// Mark type: the filesystem of the path.
        #[doc(alias = "FAN_MARK_FILESYSTEM")]
        const FILESYSTEM = ffi::FAN_MARK_FILESYSTEM;
        /// The inode mark may be evicted with the inode.
        #[doc(alias = "FAN_MARK_EVICTABLE")]
        const EVICTABLE = ffi::FAN_MARK_EVICTABLE;
        /// The mask is an ignore mask (new style, Linux 6.0).
        #[doc(alias = "FAN_MARK_IGNORE")]
        const IGNORE = ffi::FAN_MARK_IGNORE;
        /// `IGNORE | IGNORED_SURV_MODIFY`.
        #[doc(alias = "FAN_MARK_IGNORE_SURV")]
        const IGNORE_SURV = ffi::FAN_MARK_IGNORE_SURV;
    }
}

/// Declares a `u64` event mask with the event bits both masks share.
macro_rules! fan_mask {
    ($(#[$($meta:tt)*])* $name:ident { $($(#[$($extra_meta:tt)*])* const $extra:ident = $value:expr;)* }) => {
        bitflags! {
            $(#[$($meta)*])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub struct $name: u64 {
                /// File was accessed.
                #[doc(alias = "FAN_ACCESS")]
                const ACCESS = ffi::FAN_ACCESS;
                /// File was modified.
                #[doc(alias = "FAN_MODIFY")]
                const MODIFY = ffi::FAN_MODIFY;
                /// Metadata changed.
                #[doc(alias = "FAN_ATTRIB")]
                const ATTRIB = ffi::FAN_ATTRIB;
                /// File opened for writing was closed.
                #[doc(alias = "FAN_CLOSE_WRITE")]
                const CLOSE_WRITE = ffi::FAN_CLOSE_WRITE;
                /// File not opened for writing was closed.
                #[doc(alias = "FAN_CLOSE_NOWRITE")]
                const CLOSE_NOWRITE = ffi::FAN_CLOSE_NOWRITE;
                /// File or directory was opened.
                #[doc(alias = "FAN_OPEN")]
                const OPEN = ffi::FAN_OPEN;
                /// Entry moved away from a directory.
                #[doc(alias = "FAN_MOVED_FROM")]
                const MOVED_FROM = ffi::FAN_MOVED_FROM;
                /// Entry moved into a directory.
                #[doc(alias = "FAN_MOVED_TO")]
                const MOVED_TO = ffi::FAN_MOVED_TO;
                /// Entry created in a directory.
                #[doc(alias = "FAN_CREATE")]
                const CREATE = ffi::FAN_CREATE;
                /// Entry deleted from a directory.
                #[doc(alias = "FAN_DELETE")]
                const DELETE = ffi::FAN_DELETE;
                /// The marked object itself was deleted.
                #[doc(alias = "FAN_DELETE_SELF")]
                const DELETE_SELF = ffi::FAN_DELETE_SELF;
                /// The marked object itself was moved.
                #[doc(alias = "FAN_MOVE_SELF")]
                const MOVE_SELF = ffi::FAN_MOVE_SELF;
                /// File was opened for execution.
                #[doc(alias = "FAN_OPEN_EXEC")]
                const OPEN_EXEC = ffi::FAN_OPEN_EXEC;
                /// A filesystem error (filesystem marks).
                #[doc(alias = "FAN_FS_ERROR")]
                const FS_ERROR = ffi::FAN_FS_ERROR;
                /// Permission to open is asked.
                #[doc(alias = "FAN_OPEN_PERM")]
                const OPEN_PERM = ffi::FAN_OPEN_PERM;
                /// Permission to read is asked.
                #[doc(alias = "FAN_ACCESS_PERM")]
                const ACCESS_PERM = ffi::FAN_ACCESS_PERM;
                /// Permission to open for execution is asked.
                #[doc(alias = "FAN_OPEN_EXEC_PERM")]
                const OPEN_EXEC_PERM = ffi::FAN_OPEN_EXEC_PERM;
                /// Entry renamed: one event with both directories (Linux 5.17).
                #[doc(alias = "FAN_RENAME")]
                const RENAME = ffi::FAN_RENAME;
                /// About a directory (in a mark: report directories too).
                #[doc(alias = "FAN_ONDIR")]
                const ONDIR = ffi::FAN_ONDIR;
                /// Both close events.
                #[doc(alias = "FAN_CLOSE")]
                const CLOSE = ffi::FAN_CLOSE;
                /// Both halves of a move.
                #[doc(alias = "FAN_MOVE")]
                const MOVE = ffi::FAN_MOVE;
                $($(#[$($extra_meta)*])* const $extra = $value;)*
            }
        }

        impl fmt::Display for $name {
            /// Kernel names joined by `|`, unknown bits as one hex number.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_bits(f, self.bits())
            }
        }
    };
}

fan_mask! {
    /// The events a mark asks for (`fanotify_mark`'s `mask`).
    FanWatchMask {
        /// Report events of the marked directory's children too.
        #[doc(alias = "FAN_EVENT_ON_CHILD")]
        const EVENT_ON_CHILD = ffi::FAN_EVENT_ON_CHILD;
    }
}

fan_mask! {
    /// The bits of one received event (`fanotify_event_metadata.mask`).
    ///
    /// Unlike inotify, one record may carry several event bits: the kernel
    /// merges events of the same object while they are queued (a `CREATE`
    /// and a `DELETE` of one name can arrive as one record), so the bits say
    /// what happened, not in which order. Unknown bits are kept.
    FanEventMask {
        /// The queue overflowed and events were lost.
        #[doc(alias = "FAN_Q_OVERFLOW")]
        const Q_OVERFLOW = ffi::FAN_Q_OVERFLOW;
    }
}

impl FanEventMask {
    /// Whether the subject of the event is a directory (`FAN_ONDIR`).
    pub fn is_dir(self) -> bool {
        self.contains(FanEventMask::ONDIR)
    }
}

/// Single bits in kernel order, for `Display`.
const NAMES: &[(u64, &str)] = &[
    (ffi::FAN_ACCESS, "FAN_ACCESS"),
    (ffi::FAN_MODIFY, "FAN_MODIFY"),
    (ffi::FAN_ATTRIB, "FAN_ATTRIB"),
    (ffi::FAN_CLOSE_WRITE, "FAN_CLOSE_WRITE"),
    (ffi::FAN_CLOSE_NOWRITE, "FAN_CLOSE_NOWRITE"),
    (ffi::FAN_OPEN, "FAN_OPEN"),
    (ffi::FAN_MOVED_FROM, "FAN_MOVED_FROM"),
    (ffi::FAN_MOVED_TO, "FAN_MOVED_TO"),
    (ffi::FAN_CREATE, "FAN_CREATE"),
    (ffi::FAN_DELETE, "FAN_DELETE"),
    (ffi::FAN_DELETE_SELF, "FAN_DELETE_SELF"),
    (ffi::FAN_MOVE_SELF, "FAN_MOVE_SELF"),
    (ffi::FAN_OPEN_EXEC, "FAN_OPEN_EXEC"),
    (ffi::FAN_Q_OVERFLOW, "FAN_Q_OVERFLOW"),
    (ffi::FAN_FS_ERROR, "FAN_FS_ERROR"),
    (ffi::FAN_OPEN_PERM, "FAN_OPEN_PERM"),
    (ffi::FAN_ACCESS_PERM, "FAN_ACCESS_PERM"),
    (ffi::FAN_OPEN_EXEC_PERM, "FAN_OPEN_EXEC_PERM"),
    (ffi::FAN_EVENT_ON_CHILD, "FAN_EVENT_ON_CHILD"),
    (ffi::FAN_RENAME, "FAN_RENAME"),
    (ffi::FAN_ONDIR, "FAN_ONDIR"),
];

/// Writes `bits` as `FAN_A|FAN_B`, unknown bits as one hex number, 0 as `0`.
fn write_bits(f: &mut fmt::Formatter<'_>, bits: u64) -> fmt::Result {
    if bits == 0 {
        return f.write_str("0");
    }
    let mut rest = bits;
    let mut first = true;
    for &(bit, name) in NAMES {
        if bits & bit != 0 {
            if !first {
                f.write_str("|")?;
            }
            f.write_str(name)?;
            first = false;
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !first {
            f.write_str("|")?;
        }
        write!(f, "{rest:#x}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_kernel_names_in_bit_order() {
        let mask = FanEventMask::ONDIR | FanEventMask::CREATE | FanEventMask::DELETE;
        assert_eq!(mask.to_string(), "FAN_CREATE|FAN_DELETE|FAN_ONDIR");
        assert_eq!(FanEventMask::empty().to_string(), "0");
        assert_eq!(
            FanEventMask::from_bits_retain(1 << 40 | ffi::FAN_RENAME).to_string(),
            "FAN_RENAME|0x10000000000"
        );
        assert_eq!(
            (FanWatchMask::CREATE | FanWatchMask::EVENT_ON_CHILD).to_string(),
            "FAN_CREATE|FAN_EVENT_ON_CHILD"
        );
    }

    #[test]
    fn every_named_bit_is_a_single_bit_of_one_mask() {
        for &(bit, name) in NAMES {
            assert_eq!(bit.count_ones(), 1, "{name}");
            assert!(
                FanWatchMask::from_bits(bit).is_some() || FanEventMask::from_bits(bit).is_some(),
                "{name}"
            );
        }
        assert!(FanEventMask::ONDIR.is_dir());
    }
}
