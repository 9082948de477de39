//! [`WatchDescriptor`]: the kernel's handle for one watch of one instance.

use std::fmt;

/// A watch descriptor, as returned by `inotify_add_watch`.
///
/// A plain `Copy` value with no link back to its instance: it compares and
/// hashes as the kernel's integer, and stays meaningful after the instance is
/// gone (unlike the `inotify` crate's, whose equality breaks on drop).
/// Descriptors are per instance; two instances may hand out the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchDescriptor(i32);

impl WatchDescriptor {
    /// The descriptor of `IN_Q_OVERFLOW` events, which belong to no watch.
    pub const OVERFLOW: WatchDescriptor = WatchDescriptor(-1);

    /// Wraps a raw descriptor (for example one read from a record by hand).
    pub const fn from_raw(wd: i32) -> Self {
        WatchDescriptor(wd)
    }

    /// The kernel's integer.
    pub const fn as_raw(self) -> i32 {
        self.0
    }
}

impl fmt::Display for WatchDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
