//! Typed masks: [`WatchMask`] (what a watch asks for) and [`EventMask`] (what
//! an event reports), with kernel-name `Display` and parsing of both kernel
//! names (`IN_CREATE|IN_ISDIR`) and inotifywait names (`create,close_write`).
//!
//! Two types, because the bits overlap but mean different things: `ONLYDIR`
//! or `MASK_ADD` make sense only in a request, `ISDIR` or `Q_OVERFLOW` only
//! in an event.

use std::fmt;
use std::str::FromStr;

use bitflags::bitflags;
use inotify_sys as ffi;

bitflags! {
    /// The events and flags a watch asks for (`inotify_add_watch`'s `mask`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct WatchMask: u32 {
        /// File was accessed.
        #[doc(alias = "IN_ACCESS")]
        const ACCESS = ffi::IN_ACCESS;
        /// File was modified.
        #[doc(alias = "IN_MODIFY")]
        const MODIFY = ffi::IN_MODIFY;
        /// Metadata changed.
        #[doc(alias = "IN_ATTRIB")]
        const ATTRIB = ffi::IN_ATTRIB;
        /// File opened for writing was closed.
        #[doc(alias = "IN_CLOSE_WRITE")]
        const CLOSE_WRITE = ffi::IN_CLOSE_WRITE;
        /// File not opened for writing was closed.
        #[doc(alias = "IN_CLOSE_NOWRITE")]
        const CLOSE_NOWRITE = ffi::IN_CLOSE_NOWRITE;
        /// File or directory was opened.
        #[doc(alias = "IN_OPEN")]
        const OPEN = ffi::IN_OPEN;
        /// Entry renamed away from the watched directory.
        #[doc(alias = "IN_MOVED_FROM")]
        const MOVED_FROM = ffi::IN_MOVED_FROM;
        /// Entry renamed into the watched directory.
        #[doc(alias = "IN_MOVED_TO")]
        const MOVED_TO = ffi::IN_MOVED_TO;
        /// Entry created in the watched directory.
        #[doc(alias = "IN_CREATE")]
        const CREATE = ffi::IN_CREATE;
        /// Entry deleted from the watched directory.
        #[doc(alias = "IN_DELETE")]
        const DELETE = ffi::IN_DELETE;
        /// The watched object itself was deleted.
        #[doc(alias = "IN_DELETE_SELF")]
        const DELETE_SELF = ffi::IN_DELETE_SELF;
        /// The watched object itself was moved.
        #[doc(alias = "IN_MOVE_SELF")]
        const MOVE_SELF = ffi::IN_MOVE_SELF;
        /// Both close events.
        #[doc(alias = "IN_CLOSE")]
        const CLOSE = ffi::IN_CLOSE;
        /// Both halves of a rename.
        #[doc(alias = "IN_MOVE")]
        const MOVE = ffi::IN_MOVE;
        /// Every event a watch can ask for.
        #[doc(alias = "IN_ALL_EVENTS")]
        const ALL_EVENTS = ffi::IN_ALL_EVENTS;
        /// Watch the path only if it is a directory.
        #[doc(alias = "IN_ONLYDIR")]
        const ONLYDIR = ffi::IN_ONLYDIR;
        /// Do not follow the path if it is a symbolic link.
        #[doc(alias = "IN_DONT_FOLLOW")]
        const DONT_FOLLOW = ffi::IN_DONT_FOLLOW;
        /// No events for children after they are unlinked.
        #[doc(alias = "IN_EXCL_UNLINK")]
        const EXCL_UNLINK = ffi::IN_EXCL_UNLINK;
        /// Fail with EEXIST if the path is already watched.
        #[doc(alias = "IN_MASK_CREATE")]
        const MASK_CREATE = ffi::IN_MASK_CREATE;
        /// Add to an existing watch's mask instead of replacing it.
        #[doc(alias = "IN_MASK_ADD")]
        const MASK_ADD = ffi::IN_MASK_ADD;
        /// Report one event, then remove the watch.
        #[doc(alias = "IN_ONESHOT")]
        const ONESHOT = ffi::IN_ONESHOT;
    }
}

bitflags! {
    /// The bits of one received event (`inotify_event.mask`).
    ///
    /// Exactly one event bit is set per record, plus possibly `ISDIR`.
    /// Unknown bits from a newer kernel are kept, not dropped.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct EventMask: u32 {
        /// File was accessed.
        #[doc(alias = "IN_ACCESS")]
        const ACCESS = ffi::IN_ACCESS;
        /// File was modified.
        #[doc(alias = "IN_MODIFY")]
        const MODIFY = ffi::IN_MODIFY;
        /// Metadata changed.
        #[doc(alias = "IN_ATTRIB")]
        const ATTRIB = ffi::IN_ATTRIB;
        /// File opened for writing was closed.
        #[doc(alias = "IN_CLOSE_WRITE")]
        const CLOSE_WRITE = ffi::IN_CLOSE_WRITE;
        /// File not opened for writing was closed.
        #[doc(alias = "IN_CLOSE_NOWRITE")]
        const CLOSE_NOWRITE = ffi::IN_CLOSE_NOWRITE;
        /// File or directory was opened.
        #[doc(alias = "IN_OPEN")]
        const OPEN = ffi::IN_OPEN;
        /// Entry renamed away from the watched directory.
        #[doc(alias = "IN_MOVED_FROM")]
        const MOVED_FROM = ffi::IN_MOVED_FROM;
        /// Entry renamed into the watched directory.
        #[doc(alias = "IN_MOVED_TO")]
        const MOVED_TO = ffi::IN_MOVED_TO;
        /// Entry created in the watched directory.
        #[doc(alias = "IN_CREATE")]
        const CREATE = ffi::IN_CREATE;
        /// Entry deleted from the watched directory.
        #[doc(alias = "IN_DELETE")]
        const DELETE = ffi::IN_DELETE;
        /// The watched object itself was deleted.
        #[doc(alias = "IN_DELETE_SELF")]
        const DELETE_SELF = ffi::IN_DELETE_SELF;
        /// The watched object itself was moved.
        #[doc(alias = "IN_MOVE_SELF")]
        const MOVE_SELF = ffi::IN_MOVE_SELF;
        /// The filesystem of the watched object was unmounted.
        #[doc(alias = "IN_UNMOUNT")]
        const UNMOUNT = ffi::IN_UNMOUNT;
        /// The queue overflowed and events were lost (wd is -1).
        #[doc(alias = "IN_Q_OVERFLOW")]
        const Q_OVERFLOW = ffi::IN_Q_OVERFLOW;
        /// The watch is gone; its descriptor is no longer valid.
        #[doc(alias = "IN_IGNORED")]
        const IGNORED = ffi::IN_IGNORED;
        /// The subject of the event is a directory.
        #[doc(alias = "IN_ISDIR")]
        const ISDIR = ffi::IN_ISDIR;
        /// Either close event.
        #[doc(alias = "IN_CLOSE")]
        const CLOSE = ffi::IN_CLOSE;
        /// Either half of a rename.
        #[doc(alias = "IN_MOVE")]
        const MOVE = ffi::IN_MOVE;
    }
}

/// The kind of an event: which single event bit it carries.
///
/// Useful for `match`ing and for dispatching to per-kind handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventKind {
    /// `IN_ACCESS`.
    Access,
    /// `IN_MODIFY`.
    Modify,
    /// `IN_ATTRIB`.
    Attrib,
    /// `IN_CLOSE_WRITE`.
    CloseWrite,
    /// `IN_CLOSE_NOWRITE`.
    CloseNowrite,
    /// `IN_OPEN`.
    Open,
    /// `IN_MOVED_FROM`.
    MovedFrom,
    /// `IN_MOVED_TO`.
    MovedTo,
    /// `IN_CREATE`.
    Create,
    /// `IN_DELETE`.
    Delete,
    /// `IN_DELETE_SELF`.
    DeleteSelf,
    /// `IN_MOVE_SELF`.
    MoveSelf,
    /// `IN_UNMOUNT`.
    Unmount,
    /// `IN_Q_OVERFLOW`.
    QOverflow,
    /// `IN_IGNORED`.
    Ignored,
    /// No known event bit (a newer kernel, or a synthetic mask).
    Unknown,
}

impl EventKind {
    /// Every kind with its bit, in kernel bit order; `Unknown` excluded.
    pub const ALL: [(EventKind, u32); 15] = [
        (EventKind::Access, ffi::IN_ACCESS),
        (EventKind::Modify, ffi::IN_MODIFY),
        (EventKind::Attrib, ffi::IN_ATTRIB),
        (EventKind::CloseWrite, ffi::IN_CLOSE_WRITE),
        (EventKind::CloseNowrite, ffi::IN_CLOSE_NOWRITE),
        (EventKind::Open, ffi::IN_OPEN),
        (EventKind::MovedFrom, ffi::IN_MOVED_FROM),
        (EventKind::MovedTo, ffi::IN_MOVED_TO),
        (EventKind::Create, ffi::IN_CREATE),
        (EventKind::Delete, ffi::IN_DELETE),
        (EventKind::DeleteSelf, ffi::IN_DELETE_SELF),
        (EventKind::MoveSelf, ffi::IN_MOVE_SELF),
        (EventKind::Unmount, ffi::IN_UNMOUNT),
        (EventKind::QOverflow, ffi::IN_Q_OVERFLOW),
        (EventKind::Ignored, ffi::IN_IGNORED),
    ];

    /// The kernel name (`IN_CLOSE_WRITE`), or `IN_UNKNOWN`.
    pub fn kernel_name(self) -> &'static str {
        NAMES
            .iter()
            .find(|n| Some(n.bits) == self.bit())
            .map_or("IN_UNKNOWN", |n| n.kernel)
    }

    /// The event bit of this kind, `None` for `Unknown`.
    pub fn bit(self) -> Option<u32> {
        Self::ALL.iter().find(|(k, _)| *k == self).map(|(_, b)| *b)
    }
}

/// Every bit that names an event kind (as opposed to a flag like ISDIR).
const EVENT_BITS: u32 = ffi::IN_ALL_EVENTS | ffi::IN_UNMOUNT | ffi::IN_Q_OVERFLOW | ffi::IN_IGNORED;

/// One entry of the name table shared by `Display` and parsing.
struct Name {
    bits: u32,
    kernel: &'static str,
    short: &'static str,
}

/// Single bits first, in kernel order (the order `Display` prints), then the
/// composite names that parsing accepts.
const NAMES: &[Name] = &[
    Name {
        bits: ffi::IN_ACCESS,
        kernel: "IN_ACCESS",
        short: "access",
    },
    Name {
        bits: ffi::IN_MODIFY,
        kernel: "IN_MODIFY",
        short: "modify",
    },
    Name {
        bits: ffi::IN_ATTRIB,
        kernel: "IN_ATTRIB",
        short: "attrib",
    },
    Name {
        bits: ffi::IN_CLOSE_WRITE,
        kernel: "IN_CLOSE_WRITE",
        short: "close_write",
    },
    Name {
        bits: ffi::IN_CLOSE_NOWRITE,
        kernel: "IN_CLOSE_NOWRITE",
        short: "close_nowrite",
    },
    Name {
        bits: ffi::IN_OPEN,
        kernel: "IN_OPEN",
        short: "open",
    },
    Name {
        bits: ffi::IN_MOVED_FROM,
        kernel: "IN_MOVED_FROM",
        short: "moved_from",
    },
    Name {
        bits: ffi::IN_MOVED_TO,
        kernel: "IN_MOVED_TO",
        short: "moved_to",
    },
    Name {
        bits: ffi::IN_CREATE,
        kernel: "IN_CREATE",
        short: "create",
    },
    Name {
        bits: ffi::IN_DELETE,
        kernel: "IN_DELETE",
        short: "delete",
    },
    Name {
        bits: ffi::IN_DELETE_SELF,
        kernel: "IN_DELETE_SELF",
        short: "delete_self",
    },
    Name {
        bits: ffi::IN_MOVE_SELF,
        kernel: "IN_MOVE_SELF",
        short: "move_self",
    },
    Name {
        bits: ffi::IN_UNMOUNT,
        kernel: "IN_UNMOUNT",
        short: "unmount",
    },
    Name {
        bits: ffi::IN_Q_OVERFLOW,
        kernel: "IN_Q_OVERFLOW",
        short: "q_overflow",
    },
    Name {
        bits: ffi::IN_IGNORED,
        kernel: "IN_IGNORED",
        short: "ignored",
    },
    Name {
        bits: ffi::IN_ONLYDIR,
        kernel: "IN_ONLYDIR",
        short: "onlydir",
    },
    Name {
        bits: ffi::IN_DONT_FOLLOW,
        kernel: "IN_DONT_FOLLOW",
        short: "dont_follow",
    },
    Name {
        bits: ffi::IN_EXCL_UNLINK,
        kernel: "IN_EXCL_UNLINK",
        short: "excl_unlink",
    },
    Name {
        bits: ffi::IN_MASK_CREATE,
        kernel: "IN_MASK_CREATE",
        short: "mask_create",
    },
    Name {
        bits: ffi::IN_MASK_ADD,
        kernel: "IN_MASK_ADD",
        short: "mask_add",
    },
    Name {
        bits: ffi::IN_ISDIR,
        kernel: "IN_ISDIR",
        short: "isdir",
    },
    Name {
        bits: ffi::IN_ONESHOT,
        kernel: "IN_ONESHOT",
        short: "oneshot",
    },
    // Composites: accepted when parsing, never printed.
    Name {
        bits: ffi::IN_CLOSE,
        kernel: "IN_CLOSE",
        short: "close",
    },
    Name {
        bits: ffi::IN_MOVE,
        kernel: "IN_MOVE",
        short: "move",
    },
    Name {
        bits: ffi::IN_ALL_EVENTS,
        kernel: "IN_ALL_EVENTS",
        short: "all_events",
    },
];

/// Number of single-bit entries at the front of [`NAMES`].
const SINGLE_BITS: usize = 22;

/// Writes `bits` as `IN_A|IN_B`, unknown bits as one hex number, 0 as `0`.
fn write_bits(f: &mut fmt::Formatter<'_>, bits: u32) -> fmt::Result {
    if bits == 0 {
        return f.write_str("0");
    }
    let mut rest = bits;
    let mut first = true;
    for name in &NAMES[..SINGLE_BITS] {
        if bits & name.bits != 0 {
            if !first {
                f.write_str("|")?;
            }
            f.write_str(name.kernel)?;
            first = false;
            rest &= !name.bits;
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

/// Parses `,`- or `|`-separated names, kernel or inotifywait spelling, any
/// case, and hex or decimal numbers.
fn parse_bits(s: &str) -> Result<u32, ParseMaskError> {
    let mut bits = 0;
    for part in s.split([',', '|']) {
        let word = part.trim();
        if word.is_empty() {
            return Err(ParseMaskError {
                name: part.to_owned(),
            });
        }
        bits |= name_bits(word).ok_or_else(|| ParseMaskError {
            name: word.to_owned(),
        })?;
    }
    Ok(bits)
}

/// The bits of one name or number.
fn name_bits(word: &str) -> Option<u32> {
    if let Some(hex) = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return word.parse().ok();
    }
    let bare = word
        .strip_prefix("IN_")
        .or_else(|| word.strip_prefix("in_"))
        .unwrap_or(word);
    if bare.eq_ignore_ascii_case("all") {
        return Some(ffi::IN_ALL_EVENTS);
    }
    NAMES
        .iter()
        .find(|n| n.short.eq_ignore_ascii_case(bare))
        .map(|n| n.bits)
}

/// Error of parsing a mask: the name that is not an event or flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMaskError {
    name: String,
}

impl ParseMaskError {
    /// The offending name, as written.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ParseMaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown inotify event or flag `{}`", self.name)
    }
}

impl std::error::Error for ParseMaskError {}

macro_rules! mask_text {
    ($ty:ident) => {
        impl fmt::Display for $ty {
            /// Kernel names joined by `|`, e.g. `IN_CREATE|IN_ISDIR`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_bits(f, self.bits())
            }
        }

        impl FromStr for $ty {
            type Err = ParseMaskError;

            /// Accepts `IN_CREATE|IN_ISDIR`, `create,close_write`, `move`,
            /// `all` and numbers; bits are kept even if unnamed in this type.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_bits(s).map(Self::from_bits_retain)
            }
        }
    };
}

mask_text!(WatchMask);
mask_text!(EventMask);

impl WatchMask {
    /// Whether the mask asks for an event: a bit of `ALL_EVENTS`, or
    /// `IN_UNMOUNT`/`IN_IGNORED`/`IN_Q_OVERFLOW` (reported unasked, but
    /// asking for them alone still means "tell me when that happens").
    /// The kernel accepts flags alone (`ONLYDIR`, ...) as a watch reporting
    /// nothing; [`crate::Watcher`] and the upper layers refuse such masks.
    pub fn has_event_bit(self) -> bool {
        let always = ffi::IN_UNMOUNT | ffi::IN_IGNORED | ffi::IN_Q_OVERFLOW;
        self.intersects(WatchMask::ALL_EVENTS) || self.bits() & always != 0
    }
}

impl EventMask {
    /// The kind of the event: its single event bit.
    ///
    /// `IGNORED` and `Q_OVERFLOW` win over other bits, as they say the most
    /// about the watch and the queue.
    pub fn kind(self) -> EventKind {
        let bits = self.bits();
        if bits & ffi::IN_Q_OVERFLOW != 0 {
            return EventKind::QOverflow;
        }
        if bits & ffi::IN_IGNORED != 0 {
            return EventKind::Ignored;
        }
        // The lowest event bit decides; this runs once per event on the
        // dispatch path, so it is a bit scan, not a table search.
        match (bits & EVENT_BITS).trailing_zeros() {
            0 => EventKind::Access,
            1 => EventKind::Modify,
            2 => EventKind::Attrib,
            3 => EventKind::CloseWrite,
            4 => EventKind::CloseNowrite,
            5 => EventKind::Open,
            6 => EventKind::MovedFrom,
            7 => EventKind::MovedTo,
            8 => EventKind::Create,
            9 => EventKind::Delete,
            10 => EventKind::DeleteSelf,
            11 => EventKind::MoveSelf,
            13 => EventKind::Unmount,
            _ => EventKind::Unknown,
        }
    }

    /// Whether the subject of the event is a directory.
    pub fn is_dir(self) -> bool {
        self.contains(EventMask::ISDIR)
    }
}

impl From<EventKind> for EventMask {
    fn from(kind: EventKind) -> Self {
        EventMask::from_bits_retain(kind.bit().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_kernel_names_in_bit_order() {
        let mask = EventMask::ISDIR | EventMask::CREATE;
        assert_eq!(mask.to_string(), "IN_CREATE|IN_ISDIR");
        assert_eq!(EventMask::empty().to_string(), "0");
        assert_eq!(
            EventMask::from_bits_retain(0x0000_1000).to_string(),
            "0x1000"
        );
    }

    #[test]
    fn parse_accepts_kernel_and_inotifywait_names() {
        let a: WatchMask = "create,close_write,move".parse().unwrap();
        assert_eq!(
            a,
            WatchMask::CREATE | WatchMask::CLOSE_WRITE | WatchMask::MOVE
        );
        let b: EventMask = "IN_CREATE|IN_ISDIR".parse().unwrap();
        assert_eq!(b, EventMask::CREATE | EventMask::ISDIR);
        let c: WatchMask = "All".parse().unwrap();
        assert_eq!(c, WatchMask::ALL_EVENTS);
        let d: WatchMask = "0x100".parse().unwrap();
        assert_eq!(d, WatchMask::CREATE);
    }

    #[test]
    fn parse_rejects_unknown_and_empty_names() {
        let err = "create,bogus".parse::<WatchMask>().unwrap_err();
        assert_eq!(err.name(), "bogus");
        assert!("create,".parse::<WatchMask>().is_err());
        assert!("".parse::<WatchMask>().is_err());
    }

    #[test]
    fn display_round_trips_through_parse() {
        for (_, bit) in EventKind::ALL {
            let mask = EventMask::from_bits_retain(bit) | EventMask::ISDIR;
            assert_eq!(mask.to_string().parse::<EventMask>().unwrap(), mask);
        }
    }

    #[test]
    fn kind_picks_the_event_bit() {
        assert_eq!(
            (EventMask::CREATE | EventMask::ISDIR).kind(),
            EventKind::Create
        );
        assert_eq!(EventMask::IGNORED.kind(), EventKind::Ignored);
        assert_eq!(EventMask::empty().kind(), EventKind::Unknown);
        assert_eq!(EventKind::CloseWrite.kernel_name(), "IN_CLOSE_WRITE");
        assert_eq!(EventMask::from(EventKind::MovedTo), EventMask::MOVED_TO);
        for (kind, bit) in EventKind::ALL {
            assert_eq!(
                EventMask::from_bits_retain(bit | ffi::IN_ISDIR).kind(),
                kind
            );
        }
    }
}
