//! The per-user inotify limits under `/proc/sys/fs/inotify`.
//!
//! Exhausting them is the most common way inotify fails in production
//! (ENOSPC from `add_watch`, EMFILE from init, `Q_OVERFLOW` in the queue), so
//! error messages name the value to raise and tests can lower them.

use std::fs;
use std::io;
use std::path::Path;

/// One of the three tunable inotify limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// `max_user_watches`: watches per real user id, over all instances.
    MaxUserWatches,
    /// `max_user_instances`: inotify instances per real user id.
    MaxUserInstances,
    /// `max_queued_events`: events queued per instance before `Q_OVERFLOW`.
    MaxQueuedEvents,
}

impl Limit {
    /// The file name under `/proc/sys/fs/inotify`.
    pub fn name(self) -> &'static str {
        match self {
            Limit::MaxUserWatches => "max_user_watches",
            Limit::MaxUserInstances => "max_user_instances",
            Limit::MaxQueuedEvents => "max_queued_events",
        }
    }

    /// The full `/proc` path.
    pub fn path(self) -> &'static Path {
        Path::new(match self {
            Limit::MaxUserWatches => inotify_sys::PROC_MAX_USER_WATCHES,
            Limit::MaxUserInstances => inotify_sys::PROC_MAX_USER_INSTANCES,
            Limit::MaxQueuedEvents => inotify_sys::PROC_MAX_QUEUED_EVENTS,
        })
    }

    /// The same limit as set for the current user namespace
    /// (`/proc/sys/user/max_inotify_*`); `None` for `max_queued_events`,
    /// which is global. Inside a container it can be lower than the value
    /// under `/proc/sys/fs/inotify`, and it is then the one that bites.
    pub fn namespace_path(self) -> Option<&'static Path> {
        match self {
            Limit::MaxUserWatches => Some(Path::new(inotify_sys::PROC_USER_MAX_INOTIFY_WATCHES)),
            Limit::MaxUserInstances => {
                Some(Path::new(inotify_sys::PROC_USER_MAX_INOTIFY_INSTANCES))
            }
            Limit::MaxQueuedEvents => None,
        }
    }

    /// Reads the current user namespace's value, if the kernel has one.
    pub fn read_namespace(self) -> Option<u64> {
        let text = fs::read_to_string(self.namespace_path()?).ok()?;
        text.trim().parse().ok()
    }

    /// Reads the current value.
    pub fn read(self) -> io::Result<u64> {
        let text = fs::read_to_string(self.path())?;
        text.trim().parse().map_err(|err| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a number: {err}", self.path().display()),
            )
        })
    }

    /// Writes a new value (needs root, or a user namespace's own copy).
    pub fn write(self, value: u64) -> io::Result<()> {
        fs::write(self.path(), value.to_string()).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot set {} to {value}: {err}", self.path().display()),
            )
        })
    }
}

/// A snapshot of all three limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Watches per user.
    pub max_user_watches: u64,
    /// Instances per user.
    pub max_user_instances: u64,
    /// Queued events per instance.
    pub max_queued_events: u64,
}

impl Limits {
    /// Reads all three from `/proc/sys/fs/inotify`.
    ///
    /// ```
    /// let limits = inotify_core::Limits::read()?;
    /// assert!(limits.max_queued_events > 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read() -> io::Result<Self> {
        Ok(Limits {
            max_user_watches: Limit::MaxUserWatches.read()?,
            max_user_instances: Limit::MaxUserInstances.read()?,
            max_queued_events: Limit::MaxQueuedEvents.read()?,
        })
    }
}
