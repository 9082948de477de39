//! [`FanEvent`]: one fanotify event borrowed from the read buffer, and its
//! info records ([`InfoRecord`], [`FileId`], [`FileHandle`]).
//!
//! In FID mode the kernel names objects by `(fsid, file handle)` instead of
//! opening a descriptor per event, and directory-entry events carry the
//! parent directory's handle and the entry name. Everything here borrows the
//! buffer: no allocation per event. A [`FanEvent`] is only ever built by the
//! parser after every record was checked, so its accessors cannot fail.

use std::ffi::OsStr;
use std::fmt;

use super::mask::FanEventMask;
use super::parse::{InfoRecords, decode_record};

/// A file handle as the kernel encodes it: an opaque, filesystem-specific
/// type and bytes. Together with the filesystem id it names one object for
/// as long as the object exists, whatever its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileHandle<'a> {
    /// `file_handle.handle_type`.
    pub handle_type: i32,
    /// `file_handle.f_handle` (`handle_bytes` long).
    pub bytes: &'a [u8],
}

/// An object named by file handle: the `fsid` of its filesystem
/// (`statfs(2)`'s `f_fsid`) and the handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId<'a> {
    /// The filesystem id, as the two words of `__kernel_fsid_t`.
    pub fsid: [i32; 2],
    /// The handle within that filesystem.
    pub handle: FileHandle<'a>,
}

/// One info record after the event metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InfoRecord<'a> {
    /// `FAN_EVENT_INFO_TYPE_FID`: the object itself.
    Fid(FileId<'a>),
    /// `FAN_EVENT_INFO_TYPE_DFID`: the parent directory (or the directory
    /// itself, for events on a directory).
    Dfid(FileId<'a>),
    /// `FAN_EVENT_INFO_TYPE_DFID_NAME`: the parent directory and the entry
    /// name (cut at its NUL).
    DfidName(FileId<'a>, &'a OsStr),
    /// `FAN_EVENT_INFO_TYPE_OLD_DFID_NAME` of `FAN_RENAME`: where the entry was.
    OldDfidName(FileId<'a>, &'a OsStr),
    /// `FAN_EVENT_INFO_TYPE_NEW_DFID_NAME` of `FAN_RENAME`: where it is now.
    NewDfidName(FileId<'a>, &'a OsStr),
    /// `FAN_EVENT_INFO_TYPE_PIDFD`: a pidfd number (or `FAN_NOPIDFD`,
    /// `FAN_EPIDFD`). The number is only reported, never owned here.
    Pidfd(i32),
    /// `FAN_EVENT_INFO_TYPE_ERROR` of `FAN_FS_ERROR`.
    Error {
        /// The first error's errno.
        error: i32,
        /// Errors since the last report.
        count: u32,
    },
    /// A type this crate does not know (a newer kernel): skipped by the
    /// accessors, kept here with the bytes after its 4-byte header.
    Unknown {
        /// `info_type` of the header.
        info_type: u8,
        /// The record after its header, padding included.
        body: &'a [u8],
    },
}

/// One fanotify event, borrowing its info records from the read buffer.
///
/// `Copy` and allocation-free. Built only by the parser, which has checked
/// every record, so iterating [`FanEvent::records`] yields each of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanEvent<'a> {
    /// What happened; several bits may be set at once (merged events), and
    /// unknown bits are kept.
    pub mask: FanEventMask,
    /// The object's descriptor number, or `FAN_NOFD` (-1): always -1 in FID
    /// mode and for `Q_OVERFLOW`. Only reported, never owned here.
    pub fd: i32,
    /// The process (or thread) that caused the event.
    pub pid: i32,
    /// The info records, every one already checked by the parser.
    pub(crate) records: &'a [u8],
}

impl<'a> FanEvent<'a> {
    /// The info records, in buffer order (unknown types included).
    pub fn records(&self) -> InfoRecords<'a> {
        InfoRecords::new(self.records)
    }

    /// The bytes of every info record, as read.
    pub fn record_bytes(&self) -> &'a [u8] {
        self.records
    }

    /// The object's handle (`FAN_REPORT_FID`).
    pub fn fid(&self) -> Option<FileId<'a>> {
        self.records().find_map(|r| match r {
            InfoRecord::Fid(id) => Some(id),
            _ => None,
        })
    }

    /// The directory's handle: of a `DFID` record, or of a `DFID_NAME`
    /// record without its name.
    pub fn dfid(&self) -> Option<FileId<'a>> {
        self.records().find_map(|r| match r {
            InfoRecord::Dfid(id) | InfoRecord::DfidName(id, _) => Some(id),
            _ => None,
        })
    }

    /// The directory's handle and the entry name (`FAN_REPORT_DFID_NAME`).
    pub fn dfid_name(&self) -> Option<(FileId<'a>, &'a OsStr)> {
        self.records().find_map(|r| match r {
            InfoRecord::DfidName(id, name) => Some((id, name)),
            _ => None,
        })
    }

    /// Where a `FAN_RENAME` entry was: old directory and old name.
    pub fn old_dfid_name(&self) -> Option<(FileId<'a>, &'a OsStr)> {
        self.records().find_map(|r| match r {
            InfoRecord::OldDfidName(id, name) => Some((id, name)),
            _ => None,
        })
    }

    /// Where a `FAN_RENAME` entry is now: new directory and new name.
    pub fn new_dfid_name(&self) -> Option<(FileId<'a>, &'a OsStr)> {
        self.records().find_map(|r| match r {
            InfoRecord::NewDfidName(id, name) => Some((id, name)),
            _ => None,
        })
    }

    /// The pidfd number of a `PIDFD` record.
    pub fn pidfd(&self) -> Option<i32> {
        self.records().find_map(|r| match r {
            InfoRecord::Pidfd(fd) => Some(fd),
            _ => None,
        })
    }

    /// Whether this is the overflow event (events were lost: rescan).
    pub fn is_overflow(&self) -> bool {
        self.mask.contains(FanEventMask::Q_OVERFLOW)
    }
}

impl fmt::Display for FanEvent<'_> {
    /// `mask=FAN_CREATE|FAN_ONDIR pid=42 name="dir"` (the first name).
    #[expect(
        clippy::unnecessary_debug_formatting,
        reason = "quotes and escapes keep odd names (newlines, invalid UTF-8) visible"
    )]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mask={} pid={}", self.mask, self.pid)?;
        if let Some((_, name)) = self.dfid_name().or_else(|| self.old_dfid_name()) {
            write!(f, " name={name:?}")?;
        }
        if let Some((_, name)) = self.new_dfid_name() {
            write!(f, " new_name={name:?}")?;
        }
        Ok(())
    }
}

/// Checks that `records` is a sequence of well-formed info records.
pub(crate) fn check_records(records: &[u8]) -> Result<(), super::parse::FanParseError> {
    let mut offset = 0;
    while let Some(rest) = records.get(offset..).filter(|r| !r.is_empty()) {
        let (_, used) = decode_record(rest, offset)?;
        offset += used;
    }
    Ok(())
}
