//! [`LimitGuard`]: raises an inotify limit in `/proc/sys/fs/inotify` for a
//! benchmark and restores the old value when dropped, also while unwinding
//! from a panic.

use std::io;

use inotify_core::Limit;

/// Holds a raised limit; dropping it writes the old value back.
#[derive(Debug)]
pub struct LimitGuard {
    limit: Limit,
    old: u64,
    /// Whether this guard changed the value (and so must restore it).
    changed: bool,
}

impl LimitGuard {
    /// Makes sure `limit` is at least `wanted`. Needs root when the current
    /// value is lower; the old value comes back on drop.
    ///
    /// # Errors
    /// When the current value cannot be read, or cannot be raised.
    pub fn at_least(limit: Limit, wanted: u64) -> io::Result<Self> {
        let old = limit.read()?;
        let changed = old < wanted;
        if changed {
            limit.write(wanted)?;
        }
        Ok(LimitGuard {
            limit,
            old,
            changed,
        })
    }

    /// The value before the guard was taken.
    pub fn old(&self) -> u64 {
        self.old
    }
}

impl Drop for LimitGuard {
    fn drop(&mut self) {
        if self.changed
            && let Err(err) = self.limit.write(self.old)
        {
            eprintln!(
                "warning: cannot restore {} to {}: {err}",
                self.limit.path().display(),
                self.old
            );
        }
    }
}
