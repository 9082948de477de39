//! [`LimitGuard`]: raises an inotify limit in `/proc/sys/fs/inotify` for a
//! benchmark and restores the old value when dropped, also while unwinding
//! from a panic — unless someone else changed the value meanwhile: other
//! programs on the machine may need what they set, so it is left alone.

use std::io;

use inotify_core::Limit;

/// Holds a raised limit; dropping it writes the old value back.
#[derive(Debug)]
pub struct LimitGuard {
    limit: Limit,
    old: u64,
    /// The value this guard wrote, if it changed the limit (and so must
    /// restore it).
    written: Option<u64>,
}

impl LimitGuard {
    /// Makes sure `limit` is at least `wanted`. Needs root when the current
    /// value is lower; the old value comes back on drop.
    ///
    /// # Errors
    /// When the current value cannot be read, or cannot be raised.
    pub fn at_least(limit: Limit, wanted: u64) -> io::Result<Self> {
        let old = limit.read()?;
        let written = (old < wanted).then_some(wanted);
        if written.is_some() {
            limit.write(wanted)?;
        }
        Ok(LimitGuard {
            limit,
            old,
            written,
        })
    }

    /// The value before the guard was taken.
    pub fn old(&self) -> u64 {
        self.old
    }
}

impl Drop for LimitGuard {
    fn drop(&mut self) {
        let Some(written) = self.written else {
            return;
        };
        let path = self.limit.path().display();
        match self.limit.read() {
            Ok(now) if now != written => {
                eprintln!(
                    "warning: {path} is {now}, not the {written} set for the benchmark: \
                     changed by another program meanwhile, left as it is (was {})",
                    self.old
                );
            }
            Ok(_) => {
                if let Err(err) = self.limit.write(self.old) {
                    eprintln!("warning: cannot restore {path} to {}: {err}", self.old);
                }
            }
            Err(err) => eprintln!("warning: cannot read {path} to restore it: {err}"),
        }
    }
}
