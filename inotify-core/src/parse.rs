//! The record parser: a pure, safe function over `&[u8]`.
//!
//! The kernel's buffer is a sequence of 16-byte headers (`wd`, `mask`,
//! `cookie`, `len`, native endian) each followed by `len` bytes of
//! NUL-padded name. Decoding goes through `from_ne_bytes` on copied bytes, so
//! the buffer needs no alignment, and every length is checked, so no input —
//! truncated, corrupt or hostile — can make it panic. It needs no kernel and
//! is fuzzed and benchmarked on its own.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;

use inotify_sys::INOTIFY_EVENT_SIZE;

use crate::event::Event;
use crate::mask::EventMask;
use crate::watch::WatchDescriptor;

/// Why a buffer could not be parsed further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer than 16 bytes remain: a header was cut off.
    TruncatedHeader {
        /// Bytes left in the buffer.
        available: usize,
    },
    /// The header's `len` runs past the end of the buffer.
    NameOutOfBounds {
        /// The `len` field.
        len: u32,
        /// Bytes after the header.
        available: usize,
    },
    /// The name field holds no NUL terminator.
    NameNotTerminated {
        /// The `len` field.
        len: u32,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::TruncatedHeader { available } => write!(
                f,
                "truncated inotify record: {available} bytes left, header needs {INOTIFY_EVENT_SIZE}"
            ),
            ParseError::NameOutOfBounds { len, available } => write!(
                f,
                "inotify record name of {len} bytes runs past the buffer ({available} bytes left)"
            ),
            ParseError::NameNotTerminated { len } => {
                write!(
                    f,
                    "inotify record name of {len} bytes is not NUL-terminated"
                )
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Decodes the first record of `buf`.
///
/// Returns `Ok(None)` for an empty buffer, or the event and the number of
/// bytes it occupied. Never panics.
///
/// ```
/// use inotify_core::{parse_event, EventMask};
/// let mut rec = Vec::new();
/// for field in [1u32, EventMask::CREATE.bits(), 0, 16] {
///     rec.extend_from_slice(&field.to_ne_bytes());
/// }
/// rec.extend_from_slice(b"hello\0\0\0\0\0\0\0\0\0\0\0");
/// let (event, used) = parse_event(&rec)?.expect("one record");
/// assert_eq!(used, 32);
/// assert_eq!(event.name, Some(std::ffi::OsStr::new("hello")));
/// # Ok::<(), inotify_core::ParseError>(())
/// ```
pub fn parse_event(buf: &[u8]) -> Result<Option<(Event<'_>, usize)>, ParseError> {
    if buf.is_empty() {
        return Ok(None);
    }
    let Some((header, rest)) = buf.split_first_chunk::<INOTIFY_EVENT_SIZE>() else {
        return Err(ParseError::TruncatedHeader {
            available: buf.len(),
        });
    };
    let [
        w0,
        w1,
        w2,
        w3,
        m0,
        m1,
        m2,
        m3,
        c0,
        c1,
        c2,
        c3,
        l0,
        l1,
        l2,
        l3,
    ] = *header;
    let wd = i32::from_ne_bytes([w0, w1, w2, w3]);
    let mask = u32::from_ne_bytes([m0, m1, m2, m3]);
    let cookie = u32::from_ne_bytes([c0, c1, c2, c3]);
    let len = u32::from_ne_bytes([l0, l1, l2, l3]);
    let name_len = usize::try_from(len).unwrap_or(usize::MAX);
    let Some(name_field) = rest.get(..name_len) else {
        return Err(ParseError::NameOutOfBounds {
            len,
            available: rest.len(),
        });
    };
    let name = if name_len == 0 {
        None
    } else {
        let Some(nul) = first_nul(name_field) else {
            return Err(ParseError::NameNotTerminated { len });
        };
        let bytes = &name_field[..nul];
        (!bytes.is_empty()).then(|| OsStr::from_bytes(bytes))
    };
    let event = Event {
        wd: WatchDescriptor::from_raw(wd),
        mask: EventMask::from_bits_retain(mask),
        cookie,
        name,
    };
    Ok(Some((event, INOTIFY_EVENT_SIZE + name_len)))
}

/// The index of the first NUL byte of `field`, eight bytes at a time.
///
/// The kernel pads a name with NULs to a multiple of 16 bytes, so the NUL
/// is almost always in the first or second word; a byte loop was most of
/// the parser's instructions per record (`benches/PROFILE.md`). A word
/// `w` holds a zero byte when `(w - 0x01..01) & !w & 0x80..80` is
/// non-zero, and its lowest set bit marks the first one exactly (the
/// bytes are read little-endian, whatever the platform, so "lowest" is
/// "first"); the bytes after the last whole word are searched one by one.
#[inline]
fn first_nul(field: &[u8]) -> Option<usize> {
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut rest = field;
    let mut offset = 0;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        let word = u64::from_le_bytes(*word);
        let zeros = word.wrapping_sub(LOW) & !word & HIGH;
        if zeros != 0 {
            // A bit index of a u64 over 8: at most 7, never truncated.
            return Some(offset + usize::try_from(zeros.trailing_zeros() / 8).unwrap_or(7));
        }
        rest = tail;
        offset += 8;
    }
    rest.iter().position(|&b| b == 0).map(|i| offset + i)
}

/// Iterator over the events of a filled buffer.
///
/// Stops at the end of the buffer or at the first malformed record; then
/// [`Events::error`] says why and [`Events::remainder`] holds the bytes not
/// consumed (the kernel never produces either, but a fuzzer or a file can).
#[derive(Debug, Clone)]
pub struct Events<'a> {
    rest: &'a [u8],
    error: Option<ParseError>,
}

impl<'a> Events<'a> {
    /// Parses `buf`, lazily, as a sequence of records.
    pub fn new(buf: &'a [u8]) -> Self {
        Events {
            rest: buf,
            error: None,
        }
    }

    /// Bytes not yet consumed: everything after the last event yielded.
    pub fn remainder(&self) -> &'a [u8] {
        self.rest
    }

    /// The parse error that stopped iteration, if any.
    pub fn error(&self) -> Option<ParseError> {
        self.error
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    #[inline]
    fn next(&mut self) -> Option<Event<'a>> {
        if self.error.is_some() {
            return None;
        }
        match parse_event(self.rest) {
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
        (0, Some(self.rest.len() / INOTIFY_EVENT_SIZE))
    }
}

impl std::iter::FusedIterator for Events<'_> {}

#[cfg(test)]
mod tests;
