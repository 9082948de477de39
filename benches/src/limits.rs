//! [`LimitGuard`]: raises a kernel limit under `/proc/sys` for a benchmark
//! — an inotify one of `/proc/sys/fs/inotify`, or fanotify's queue length
//! ([`FANOTIFY_MAX_QUEUED_EVENTS`]) — and restores the old value when
//! dropped, also while unwinding from a panic — unless someone else changed
//! the value meanwhile: other programs on the machine may need what they
//! set, so it is left alone.

use std::fs;
use std::io;
use std::path::Path;

use inotify_core::Limit;

/// fanotify's per-group queue length: read by `fanotify_init`, so it must
/// be raised before the group is made (fanotify(7)).
pub const FANOTIFY_MAX_QUEUED_EVENTS: &str = "/proc/sys/fs/fanotify/max_queued_events";

/// Reads a number from a `/proc/sys` file, naming it in the error.
///
/// # Errors
/// When the file cannot be read or does not hold a number.
pub fn read_sysctl(path: &Path) -> io::Result<u64> {
    let text = fs::read_to_string(path)
        .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
    text.trim().parse().map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not a number: {err}", path.display()),
        )
    })
}

fn write_sysctl(path: &Path, value: u64) -> io::Result<()> {
    fs::write(path, value.to_string()).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("cannot set {} to {value}: {err}", path.display()),
        )
    })
}

/// Holds a raised limit; dropping it writes the old value back.
#[derive(Debug)]
pub struct LimitGuard {
    path: &'static Path,
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
        Self::at_least_path(limit.path(), wanted)
    }

    /// The same for the `/proc/sys` file at `path` (such as
    /// [`FANOTIFY_MAX_QUEUED_EVENTS`]).
    ///
    /// # Errors
    /// When the current value cannot be read, or cannot be raised.
    pub fn at_least_at(path: &'static str, wanted: u64) -> io::Result<Self> {
        Self::at_least_path(Path::new(path), wanted)
    }

    fn at_least_path(path: &'static Path, wanted: u64) -> io::Result<Self> {
        let old = read_sysctl(path)?;
        let written = (old < wanted).then_some(wanted);
        if written.is_some() {
            write_sysctl(path, wanted)?;
        }
        Ok(LimitGuard { path, old, written })
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
        let path = self.path.display();
        match read_sysctl(self.path) {
            Ok(now) if now != written => {
                eprintln!(
                    "warning: {path} is {now}, not the {written} set for the benchmark: \
                     changed by another program meanwhile, left as it is (was {})",
                    self.old
                );
            }
            Ok(_) => {
                if let Err(err) = write_sysctl(self.path, self.old) {
                    eprintln!("warning: cannot restore {path} to {}: {err}", self.old);
                }
            }
            Err(err) => eprintln!("warning: cannot read {path} to restore it: {err}"),
        }
    }
}
