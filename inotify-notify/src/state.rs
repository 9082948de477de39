//! What a [`crate::WatchManager`] holds behind its `Arc`: the lock-held
//! [`Shared`] state (the inotify [`Tree`], the transient files, the
//! fanotify side and fallback) and the
//! descriptors polled without the lock. Split from `watch_manager.rs`,
//! which keeps the public API.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use inotify_core::{Inotify, WatchDescriptor};

use crate::transient::Transients;
use crate::tree::Tree;
use crate::watch::WatchData;

/// Everything behind the manager's lock.
pub(crate) struct Shared {
    /// The watched directories: written only by the tree module.
    pub tree: Tree,
    pub closed: bool,
    pub transients: Transients,
    /// The path of the watch the last record came through.
    pub path_cache: PathCache,
    /// The fanotify side (`None` for the inotify backend): its group, its
    /// marked directories and filesystem-mark roots.
    pub fan: Option<Box<crate::fan::FanSide>>,
    /// The fanotify fallback, once turned on
    /// ([`crate::WatchManager::enable_fanotify_fallback`]).
    pub fallback: Option<crate::fan::Fallback>,
    /// The adds' exclude filters and their errors, for `process_error`.
    pub rule_errors: crate::rule_errors::RuleErrors,
}

/// The path of one watch, kept with the table's generation: consecutive
/// records of one watch (the common case in a flood) build its path from
/// the tree once, and any change of the tree's paths rebuilds it.
#[derive(Debug, Default)]
pub(crate) struct PathCache {
    wd: Option<WatchDescriptor>,
    generation: u64,
    path: PathBuf,
}

impl PathCache {
    /// The path of `wd` in `table` (`None`: not in it).
    #[inline]
    pub(crate) fn get(
        &mut self,
        table: &inotify_core::WatchTable<WatchData>,
        wd: WatchDescriptor,
    ) -> Option<&Path> {
        if self.wd != Some(wd) || self.generation != table.generation() {
            self.wd = None;
            if !table.path_into(wd, &mut self.path) {
                return None;
            }
            self.wd = Some(wd);
            self.generation = table.generation();
        }
        Some(&self.path)
    }
}

/// The shared inside of a manager.
pub(crate) struct Inner {
    pub state: Mutex<Shared>,
    /// Signalled when events were drained into `pending`, so a notifier
    /// blocked on the inotify fd wakes up for them.
    pub pending_waker: inotify_core::Waker,
    /// The watcher's own instance, shared, for polling without the lock:
    /// one descriptor per manager, no `dup`.
    pub poll: Arc<Inotify>,
    /// A descriptor on the fanotify group, for polling without the lock
    /// (set once, by `with_backend`).
    pub fan_fd: std::sync::OnceLock<OwnedFd>,
}
