//! The fixed header of each record the kernel returns from `read(2)`.

/// Header of one inotify record, as laid out by the kernel.
///
/// A record is this header followed by `len` bytes of name: the name of the
/// entry inside a watched directory, NUL-terminated and padded with further
/// NULs to an aligned length, or nothing (`len == 0`) when the event is about
/// the watched object itself.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct inotify_event {
    /// Watch descriptor the event belongs to (-1 for `IN_Q_OVERFLOW`).
    pub wd: i32,
    /// Event bits that fired, plus `IN_ISDIR`/`IN_IGNORED`/... flags.
    pub mask: u32,
    /// Connects the two halves of a rename; zero otherwise.
    pub cookie: u32,
    /// Length of the name that follows the header, padding included.
    pub len: u32,
}

/// Size of [`inotify_event`] in bytes (16 on every Linux architecture).
pub const INOTIFY_EVENT_SIZE: usize = core::mem::size_of::<inotify_event>();
