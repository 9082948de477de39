//! fanotify, the second notification interface of Linux, in FID mode: the
//! group owner ([`Fanotify`]), typed flags and masks, marks on inodes,
//! mounts and whole filesystems, a zero-copy parser of events and their info
//! records, a record writer for tests, file handle → path resolution, and a
//! probe of what the running kernel supports.
//!
//! Why a second interface: inotify needs one watch per directory, so a tree
//! costs a walk and kernel memory per directory and `max_user_watches` caps
//! it. fanotify reports the same directory-entry events by the parent
//! directory's file handle and the entry name, and one filesystem mark
//! (`CAP_SYS_ADMIN`) covers a whole filesystem. Unprivileged programs (5.13)
//! get inode marks from their own budget (`max_user_marks`).

mod error;
mod event;
mod group;
mod handle;
mod mask;
mod parse;
mod probe;
mod record;

pub use error::MarkTarget;
pub use event::{FanEvent, FileHandle, FileId, InfoRecord};
pub use group::{FanBuffer, Fanotify};
pub use handle::{FileIdBuf, HandleCache, HandleResolver};
pub use mask::{FanEventMask, FanInitFlags, FanMarkFlags, FanWatchMask};
pub use parse::{FanEvents, FanParseError, InfoRecords, parse_fan_event};
pub use probe::{FanFeatures, FsSupport};
pub use record::encode_fan_event;
