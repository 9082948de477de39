//! The fanotify event parser: a pure, safe function over `&[u8]`.
//!
//! A read buffer is a sequence of events, each a 24-byte
//! `fanotify_event_metadata` (`event_len`, `vers`, `metadata_len`, `mask`,
//! `fd`, `pid`, native endian) followed, in FID mode, by info records of a
//! 4-byte header (`info_type`, `pad`, `len`) and a body: a filesystem id
//! and a file handle, a name, a pidfd or an error. The lengths nest — each
//! record inside its event, each handle and name inside its record — and
//! every one is checked, so no input (truncated, corrupt or hostile) can make
//! the parser panic or read past a boundary. An event is yielded only when
//! all its records are well formed; unknown record types are kept as
//! [`InfoRecord::Unknown`]. Like the inotify parser it decodes with
//! `from_ne_bytes` on copied bytes (no alignment needed), allocates nothing,
//! and needs no kernel, so it is property-tested and fuzzed on its own.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;

use inotify_sys as ffi;

use super::event::{FanEvent, FileHandle, FileId, InfoRecord, check_records};
use super::mask::FanEventMask;

/// Size of the fixed event metadata.
const METADATA_LEN: usize = ffi::FAN_EVENT_METADATA_LEN;
/// Size of an info record header.
const RECORD_HEADER_LEN: usize = 4;
/// Filesystem id plus `file_handle` header: the fixed part of an FID body.
const FID_FIXED_LEN: usize = 8 + ffi::FILE_HANDLE_SIZE;

/// Why a buffer could not be parsed further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FanParseError {
    /// Fewer than 24 bytes remain: the metadata was cut off.
    TruncatedMetadata {
        /// Bytes left in the buffer.
        available: usize,
    },
    /// `vers` is not `FANOTIFY_METADATA_VERSION`: the layout is unknown.
    UnsupportedVersion {
        /// The `vers` field.
        version: u8,
    },
    /// `metadata_len` is below 24 or above `event_len`.
    BadLength {
        /// The `event_len` field.
        event_len: u32,
        /// The `metadata_len` field.
        metadata_len: u16,
    },
    /// `event_len` runs past the end of the buffer.
    EventOutOfBounds {
        /// The `event_len` field.
        event_len: u32,
        /// Bytes left in the buffer.
        available: usize,
    },
    /// Fewer than 4 bytes are left in the event for a record header.
    TruncatedRecordHeader {
        /// Offset of the record from the first info record of the event.
        offset: usize,
        /// Bytes left in the event.
        available: usize,
    },
    /// A record's `len` is below its header or runs past its event.
    RecordOutOfBounds {
        /// Offset of the record from the first info record of the event.
        offset: usize,
        /// The record's `info_type`.
        info_type: u8,
        /// The record's `len`.
        len: u16,
        /// Bytes left in the event.
        available: usize,
    },
    /// A record is too short for its type's fields or for its handle.
    RecordTooShort {
        /// Offset of the record from the first info record of the event.
        offset: usize,
        /// The record's `info_type`.
        info_type: u8,
        /// The record's `len`.
        len: u16,
    },
    /// A `*_DFID_NAME` record holds no NUL after its handle.
    NameNotTerminated {
        /// Offset of the record from the first info record of the event.
        offset: usize,
        /// The record's `info_type`.
        info_type: u8,
    },
}

impl fmt::Display for FanParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FanParseError::TruncatedMetadata { available } => write!(
                f,
                "truncated fanotify event: {available} bytes left, metadata needs {METADATA_LEN}"
            ),
            FanParseError::UnsupportedVersion { version } => write!(
                f,
                "fanotify metadata version {version}, expected {}",
                ffi::FANOTIFY_METADATA_VERSION
            ),
            FanParseError::BadLength {
                event_len,
                metadata_len,
            } => write!(
                f,
                "fanotify event of {event_len} bytes with metadata of {metadata_len} bytes"
            ),
            FanParseError::EventOutOfBounds {
                event_len,
                available,
            } => write!(
                f,
                "fanotify event of {event_len} bytes runs past the buffer ({available} bytes left)"
            ),
            FanParseError::TruncatedRecordHeader { offset, available } => write!(
                f,
                "fanotify info record at offset {offset} cut off: {available} bytes left, header needs {RECORD_HEADER_LEN}"
            ),
            FanParseError::RecordOutOfBounds {
                offset,
                info_type,
                len,
                available,
            } => write!(
                f,
                "fanotify info record of type {info_type} at offset {offset}: length {len} outside 4..={available}"
            ),
            FanParseError::RecordTooShort {
                offset,
                info_type,
                len,
            } => write!(
                f,
                "fanotify info record of type {info_type} at offset {offset}: {len} bytes is too short for its fields"
            ),
            FanParseError::NameNotTerminated { offset, info_type } => write!(
                f,
                "fanotify info record of type {info_type} at offset {offset}: name not NUL-terminated"
            ),
        }
    }
}

impl std::error::Error for FanParseError {}

/// The first `N` bytes of `buf` at `at`, if there are that many.
fn array<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..)?.first_chunk::<N>().copied()
}

fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    array(buf, at).map(u16::from_ne_bytes)
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    array(buf, at).map(u32::from_ne_bytes)
}

fn i32_at(buf: &[u8], at: usize) -> Option<i32> {
    array(buf, at).map(i32::from_ne_bytes)
}

fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    array(buf, at).map(u64::from_ne_bytes)
}

/// Decodes an FID body (fsid, handle) and what follows the handle.
fn decode_fid(body: &[u8]) -> Option<(FileId<'_>, &[u8])> {
    let fsid = [i32_at(body, 0)?, i32_at(body, 4)?];
    let handle_bytes = usize::try_from(u32_at(body, 8)?).ok()?;
    let handle_type = i32_at(body, 12)?;
    let end = FID_FIXED_LEN.checked_add(handle_bytes)?;
    let bytes = body.get(FID_FIXED_LEN..end)?;
    let rest = body.get(end..)?;
    let id = FileId {
        fsid,
        handle: FileHandle { handle_type, bytes },
    };
    Some((id, rest))
}

/// Decodes the info record at the start of `buf` (the rest of the event's
/// records, `offset` bytes after the first); returns it and its length.
pub(crate) fn decode_record<'a>(
    buf: &'a [u8],
    offset: usize,
) -> Result<(InfoRecord<'a>, usize), FanParseError> {
    let (Some(&[info_type, _pad]), Some(len)) = (buf.first_chunk::<2>(), u16_at(buf, 2)) else {
        return Err(FanParseError::TruncatedRecordHeader {
            offset,
            available: buf.len(),
        });
    };
    let record_len = usize::from(len);
    let Some(body) = buf
        .get(..record_len)
        .and_then(|record| record.get(RECORD_HEADER_LEN..))
    else {
        return Err(FanParseError::RecordOutOfBounds {
            offset,
            info_type,
            len,
            available: buf.len(),
        });
    };
    let too_short = FanParseError::RecordTooShort {
        offset,
        info_type,
        len,
    };
    let named = |make: fn(FileId<'a>, &'a OsStr) -> InfoRecord<'a>| {
        let (id, rest) = decode_fid(body).ok_or(too_short)?;
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(FanParseError::NameNotTerminated { offset, info_type })?;
        let name = rest.get(..nul).unwrap_or_default();
        Ok(make(id, OsStr::from_bytes(name)))
    };
    let record = match info_type {
        ffi::FAN_EVENT_INFO_TYPE_FID => InfoRecord::Fid(decode_fid(body).ok_or(too_short)?.0),
        ffi::FAN_EVENT_INFO_TYPE_DFID => InfoRecord::Dfid(decode_fid(body).ok_or(too_short)?.0),
        ffi::FAN_EVENT_INFO_TYPE_DFID_NAME => named(InfoRecord::DfidName)?,
        ffi::FAN_EVENT_INFO_TYPE_OLD_DFID_NAME => named(InfoRecord::OldDfidName)?,
        ffi::FAN_EVENT_INFO_TYPE_NEW_DFID_NAME => named(InfoRecord::NewDfidName)?,
        ffi::FAN_EVENT_INFO_TYPE_PIDFD => InfoRecord::Pidfd(i32_at(body, 0).ok_or(too_short)?),
        ffi::FAN_EVENT_INFO_TYPE_ERROR => InfoRecord::Error {
            error: i32_at(body, 0).ok_or(too_short)?,
            count: u32_at(body, 4).ok_or(too_short)?,
        },
        _ => InfoRecord::Unknown { info_type, body },
    };
    Ok((record, record_len))
}

/// Decodes the first event of `buf`, checking every info record in it.
///
/// Returns `Ok(None)` for an empty buffer, or the event and the number of
/// bytes it occupied (its `event_len`). Never panics.
///
/// ```
/// use inotify_core::{FanEventMask, FileHandle, FileId, InfoRecord, encode_fan_event, parse_fan_event};
/// let dir = FileId { fsid: [1, 2], handle: FileHandle { handle_type: 1, bytes: &[7; 8] } };
/// let mut buf = Vec::new();
/// encode_fan_event(&mut buf, FanEventMask::CREATE.bits(), 42, &[InfoRecord::DfidName(dir, "f".as_ref())]);
/// let (event, used) = parse_fan_event(&buf)?.expect("one event");
/// assert_eq!(used, buf.len());
/// assert_eq!(event.dfid_name(), Some((dir, "f".as_ref())));
/// # Ok::<(), inotify_core::FanParseError>(())
/// ```
pub fn parse_fan_event(buf: &[u8]) -> Result<Option<(FanEvent<'_>, usize)>, FanParseError> {
    if buf.is_empty() {
        return Ok(None);
    }
    let (Some(event_len), Some(version), Some(metadata_len), Some(mask), Some(fd), Some(pid)) = (
        u32_at(buf, 0),
        buf.get(4).copied(),
        u16_at(buf, 6),
        u64_at(buf, 8),
        i32_at(buf, 16),
        i32_at(buf, 20),
    ) else {
        return Err(FanParseError::TruncatedMetadata {
            available: buf.len(),
        });
    };
    if version != ffi::FANOTIFY_METADATA_VERSION {
        return Err(FanParseError::UnsupportedVersion { version });
    }
    let len = usize::try_from(event_len).unwrap_or(usize::MAX);
    let meta = usize::from(metadata_len);
    if meta < METADATA_LEN || meta > len {
        return Err(FanParseError::BadLength {
            event_len,
            metadata_len,
        });
    }
    let Some(records) = buf.get(meta..len) else {
        return Err(FanParseError::EventOutOfBounds {
            event_len,
            available: buf.len(),
        });
    };
    check_records(records)?;
    let event = FanEvent {
        mask: FanEventMask::from_bits_retain(mask),
        fd,
        pid,
        records,
    };
    Ok(Some((event, len)))
}

/// Iterator over the events of a filled buffer.
///
/// Stops at the end of the buffer or at the first malformed event; then
/// [`FanEvents::error`] says why and [`FanEvents::remainder`] holds the
/// bytes not consumed, starting with that event.
#[derive(Debug, Clone)]
pub struct FanEvents<'a> {
    rest: &'a [u8],
    error: Option<FanParseError>,
}

impl<'a> FanEvents<'a> {
    /// Parses `buf`, lazily, as a sequence of events.
    pub fn new(buf: &'a [u8]) -> Self {
        FanEvents {
            rest: buf,
            error: None,
        }
    }

    /// Bytes not yet consumed: everything after the last event yielded.
    pub fn remainder(&self) -> &'a [u8] {
        self.rest
    }

    /// The parse error that stopped iteration, if any.
    pub fn error(&self) -> Option<FanParseError> {
        self.error
    }
}

impl<'a> Iterator for FanEvents<'a> {
    type Item = FanEvent<'a>;

    #[inline]
    fn next(&mut self) -> Option<FanEvent<'a>> {
        if self.error.is_some() {
            return None;
        }
        match parse_fan_event(self.rest) {
            Ok(Some((event, used))) => {
                self.rest = self.rest.get(used..).unwrap_or_default();
                Some(event)
            }
            Ok(None) => None,
            Err(err) => {
                self.error = Some(err);
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.rest.len() / METADATA_LEN))
    }
}

impl std::iter::FusedIterator for FanEvents<'_> {}

/// Iterator over the info records of one [`FanEvent`], in buffer order.
#[derive(Debug, Clone)]
pub struct InfoRecords<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> InfoRecords<'a> {
    /// Over records the parser has checked.
    pub(crate) fn new(records: &'a [u8]) -> Self {
        InfoRecords {
            rest: records,
            offset: 0,
        }
    }
}

impl<'a> Iterator for InfoRecords<'a> {
    type Item = InfoRecord<'a>;

    fn next(&mut self) -> Option<InfoRecord<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        // The parser checked these records; a failure cannot happen, and
        // would end the iteration rather than panic.
        let Ok((record, used)) = decode_record(self.rest, self.offset) else {
            self.rest = &[];
            return None;
        };
        self.rest = self.rest.get(used..).unwrap_or_default();
        self.offset += used;
        Some(record)
    }
}

impl std::iter::FusedIterator for InfoRecords<'_> {}

#[cfg(test)]
mod tests;
