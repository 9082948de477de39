//! [`Event`]: one record of the kernel's queue, borrowed from the read buffer.

use std::ffi::OsStr;
use std::fmt;

use crate::mask::{EventKind, EventMask};
use crate::watch::WatchDescriptor;

/// One inotify event, borrowing its name from the buffer it was read into.
///
/// `Copy` and allocation-free: parsing a buffer of events costs no heap
/// traffic. Call [`Event::to_owned_name`] (or copy the name) to keep a name
/// past the next read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The watch the event belongs to ([`WatchDescriptor::OVERFLOW`] for
    /// `Q_OVERFLOW`).
    pub wd: WatchDescriptor,
    /// What happened; unknown bits are kept.
    pub mask: EventMask,
    /// Pairs `MOVED_FROM` with `MOVED_TO` of the same rename; zero otherwise.
    pub cookie: u32,
    /// The entry inside a watched directory, cut at its first NUL; `None`
    /// when the event is about the watched object itself.
    pub name: Option<&'a OsStr>,
}

impl Event<'_> {
    /// The kind of event (its single event bit).
    pub fn kind(&self) -> EventKind {
        self.mask.kind()
    }

    /// Whether the subject is a directory (`IN_ISDIR`).
    pub fn is_dir(&self) -> bool {
        self.mask.is_dir()
    }

    /// The name as an owned value, for keeping past the next read.
    pub fn to_owned_name(&self) -> Option<std::ffi::OsString> {
        self.name.map(OsStr::to_os_string)
    }
}

impl fmt::Display for Event<'_> {
    /// `wd=1 mask=IN_CREATE|IN_ISDIR cookie=0 name="dir"`.
    #[expect(
        clippy::unnecessary_debug_formatting,
        reason = "quotes and escapes keep odd names (newlines, invalid UTF-8) visible"
    )]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wd={} mask={} cookie={}",
            self.wd, self.mask, self.cookie
        )?;
        if let Some(name) = self.name {
            write!(f, " name={name:?}")?;
        }
        Ok(())
    }
}
