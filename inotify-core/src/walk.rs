//! [`AddIter`]: the recursive add of python-inotify's `add_iter`, as a lazy
//! iterator that watches a tree without following symlinks.
//!
//! Order matters for correctness: each directory is watched *before* it is
//! listed, so a subdirectory created during the walk is either seen by the
//! listing or reported by the parent's watch — never missed. Listing a
//! watched directory does queue `IN_OPEN`/`IN_ACCESS`/`IN_CLOSE_NOWRITE` for
//! it when those are in the mask; upper layers filter those out. Paths of
//! any length are watched, listed and stat'ed (see [`crate::long_path`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::raw_os_error;
use crate::long_path;
use crate::mask::WatchMask;
use crate::table::normalize;
use crate::watch::WatchDescriptor;
use crate::watcher::Watcher;

/// Whether `err` is a race a recursive add ignores: the entry vanished
/// (ENOENT), is no longer a directory (ENOTDIR) or may not be watched (EPERM).
pub fn is_race(err: &io::Error) -> bool {
    matches!(
        raw_os_error(err),
        Some(libc::ENOENT | libc::ENOTDIR | libc::EPERM)
    )
}

/// A predicate on a subdirectory's path: `false` skips it.
type DirFilter<'w> = Box<dyn FnMut(&Path) -> bool + 'w>;

/// Iterator returned by [`Watcher::add_iter`]: yields `(wd, path)` for each
/// directory watched, and the errors that are not races.
///
/// Run it to the end: the walk only progresses as it is iterated.
pub struct AddIter<'w, T> {
    watcher: &'w mut Watcher<T>,
    mask: WatchMask,
    data: T,
    /// The root, until it has been added.
    root: Option<PathBuf>,
    /// Watched directories still to be listed.
    stack: Vec<PathBuf>,
    /// The directory being listed and its remaining entries.
    listing: Option<(PathBuf, fs::ReadDir)>,
    filter: Option<DirFilter<'w>>,
    root_failed: bool,
    /// The directory the last error was about (left unwatched).
    failed: Option<PathBuf>,
}

impl<'w, T: Clone> AddIter<'w, T> {
    pub(crate) fn new(watcher: &'w mut Watcher<T>, root: &Path, mask: WatchMask, data: T) -> Self {
        AddIter {
            watcher,
            mask,
            data,
            // An empty root stays empty (not `.`): its add fails with
            // ENOENT, as the kernel's does.
            root: Some(if root.as_os_str().is_empty() {
                PathBuf::new()
            } else {
                normalize(root)
            }),
            stack: Vec::new(),
            listing: None,
            filter: None,
            root_failed: false,
            failed: None,
        }
    }

    /// The watcher's instance, for reading events while the walk holds
    /// the watcher (a walk that drains the queue as it goes).
    pub fn inotify(&self) -> &crate::Inotify {
        self.watcher.inotify()
    }

    /// Skips (neither watches nor descends into) subdirectories for which
    /// `filter` returns `false`.
    #[must_use]
    pub fn filter_dirs(mut self, filter: impl FnMut(&Path) -> bool + 'w) -> Self {
        self.filter = Some(Box::new(filter));
        self
    }

    /// Whether the last error was the failure to watch the root itself.
    pub fn is_root_error(&self) -> bool {
        self.root_failed
    }

    /// The directory the last error was about: the one that could not be
    /// watched (so its subtree is unwatched) or listed.
    pub fn failed_path(&self) -> Option<&Path> {
        self.failed.as_deref()
    }

    /// Watches the root; queues it for listing if it is a directory.
    fn add_root(&mut self, root: PathBuf) -> io::Result<(WatchDescriptor, PathBuf)> {
        let wd = self
            .watcher
            .add_with(&root, self.mask, self.data.clone())
            .inspect_err(|_| {
                self.root_failed = true;
                self.failed = Some(root.clone());
            })?;
        // The root may be a symlink to a directory (followed unless the mask
        // says DONT_FOLLOW); below it, nothing is followed.
        let follow = !self.mask.contains(WatchMask::DONT_FOLLOW);
        if long_path::metadata(&root, follow).is_ok_and(|m| m.is_dir()) {
            self.stack.push(root.clone());
        }
        Ok((wd, root))
    }

    /// Watches one subdirectory found by the listing.
    fn add_subdir(&mut self, dir: PathBuf) -> io::Result<(WatchDescriptor, PathBuf)> {
        let mask = self.mask | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW;
        let wd = self
            .watcher
            .add_with(&dir, mask, self.data.clone())
            .inspect_err(|_| self.failed = Some(dir.clone()))?;
        self.stack.push(dir.clone());
        Ok((wd, dir))
    }
}

impl<T: Clone> Iterator for AddIter<'_, T> {
    type Item = io::Result<(WatchDescriptor, PathBuf)>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(root) = self.root.take() {
            return Some(self.add_root(root));
        }
        self.root_failed = false;
        loop {
            if let Some((dir, entries)) = self.listing.as_mut() {
                let Some(entry) = entries.next() else {
                    self.listing = None;
                    continue;
                };
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(err) if is_race(&err) => continue,
                    Err(err) => {
                        let msg = format!("cannot list {}: {err}", dir.display());
                        self.failed = Some(dir.clone());
                        return Some(Err(io::Error::new(err.kind(), msg)));
                    }
                };
                // d_type from the directory entry: a symlink is never a dir
                // here, so links are not followed.
                if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                let path = dir.join(entry.file_name());
                if let Some(filter) = self.filter.as_mut()
                    && !filter(&path)
                {
                    continue;
                }
                match self.add_subdir(path) {
                    Err(err) if is_race(&err) => continue,
                    other => return Some(other),
                }
            }
            let dir = self.stack.pop()?;
            match long_path::read_dir(&dir) {
                Ok(entries) => self.listing = Some((dir, entries)),
                Err(err) if is_race(&err) => {}
                Err(err) => {
                    let msg = format!("cannot list {}: {err}", dir.display());
                    self.failed = Some(dir);
                    return Some(Err(io::Error::new(err.kind(), msg)));
                }
            }
        }
    }
}
