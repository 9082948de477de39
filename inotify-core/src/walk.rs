//! [`AddIter`]: the recursive add of python-inotify's `add_iter`, as a lazy
//! iterator that watches a tree without following symlinks.
//!
//! Order matters for correctness: each directory is watched *before* it is
//! listed, so a subdirectory created during the walk is either seen by the
//! listing or reported by the parent's watch — never missed. Listing a
//! watched directory does queue `IN_OPEN`/`IN_ACCESS`/`IN_CLOSE_NOWRITE` for
//! it when those are in the mask; upper layers filter those out. Paths of
//! any length are watched, listed and stat'ed (see [`crate::long_path`]).
//!
//! The walk costs what the raw loop costs: directories still to list are
//! kept as bare descriptors (their paths are rebuilt from the table's tree
//! into one reused buffer when their turn comes), listings go through one
//! reused `getdents64` buffer (`dir.rs`), `d_type` says what is a
//! directory, and nothing is sorted or allocated per directory.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use crate::dir::{Kind, LIST_BUFFER, Listing, name};
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

/// Iterator returned by [`Watcher::add_iter`]: yields the descriptor of
/// each directory watched (its path, parent and name are then
/// [`AddIter::path`], [`AddIter::parent`] and [`AddIter::name`]), and the
/// errors that are not races.
///
/// Run it to the end: the walk only progresses as it is iterated.
pub struct AddIter<'w, T> {
    watcher: &'w mut Watcher<T>,
    mask: WatchMask,
    data: T,
    /// The root, until it has been added.
    root: Option<PathBuf>,
    /// Watched directories still to be listed.
    stack: Vec<WatchDescriptor>,
    /// The directory being listed, and its listing.
    listing: Option<(WatchDescriptor, Listing)>,
    /// The path of the directory being listed; while a subdirectory is
    /// yielded, that subdirectory's (its name pushed on).
    path: PathBuf,
    /// Whether `path` ends in the name of the yielded subdirectory.
    pushed: bool,
    /// The `getdents64` buffer, reused by every listing.
    buf: Vec<u8>,
    /// The NUL-terminated spelling of paths for `inotify_add_watch`.
    c_path: Vec<u8>,
    filter: Option<DirFilter<'w>>,
    root_failed: bool,
    /// The directory the last error was about (left unwatched).
    failed: Option<PathBuf>,
    /// The parent of the directory yielded last (`None`: the root).
    parent: Option<WatchDescriptor>,
    /// Directories whose listing started since [`AddIter::take_listings`].
    listed: Vec<WatchDescriptor>,
    /// Directories watched but not listed: gone from their path (renamed,
    /// deleted) by their turn, or their listing cut short that way.
    unlisted: Vec<WatchDescriptor>,
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
            path: PathBuf::new(),
            pushed: false,
            buf: Vec::new(),
            c_path: Vec::new(),
            filter: None,
            root_failed: false,
            failed: None,
            parent: None,
            listed: Vec::new(),
            unlisted: Vec::new(),
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

    /// The path of the directory yielded last (valid until the next call).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The watched directory the one yielded last was found in (`None`
    /// for the root).
    pub fn parent(&self) -> Option<WatchDescriptor> {
        self.parent
    }

    /// The name of the directory yielded last in its parent (`None` for
    /// the root).
    pub fn name(&self) -> Option<&OsStr> {
        self.parent?;
        self.path.file_name()
    }

    /// The directory being listed now (its `CLOSE_NOWRITE` is still to
    /// come), if any.
    pub fn listing(&self) -> Option<WatchDescriptor> {
        self.listing.as_ref().map(|(wd, _)| *wd)
    }

    /// The directories watched but not (fully) listed because they were
    /// no longer at their path by their turn (renamed or deleted
    /// meanwhile: a race, not an error), since the last call. Nothing below
    /// such a directory is watched; a caller that learns where it went (its
    /// rename's records) can list it there.
    pub fn take_unlisted(&mut self) -> Vec<WatchDescriptor> {
        std::mem::take(&mut self.unlisted)
    }

    /// Hands `note` each directory whose listing started since the last
    /// call, with its parent and name when it has a watched parent: the
    /// directories whose own `OPEN`/`ACCESS`/`CLOSE_NOWRITE` (and their
    /// parents' `OPEN`/`CLOSE_NOWRITE` under their names) the walk queued.
    /// A caller that drains the queue as it walks can filter those out
    /// knowing only the listings since its last complete drain.
    pub fn take_listings(
        &mut self,
        mut note: impl FnMut(WatchDescriptor, Option<(WatchDescriptor, &OsStr)>),
    ) {
        let table = self.watcher.table();
        for wd in self.listed.drain(..) {
            let parent = table.parent(wd).zip(table.name(wd));
            note(wd, parent);
        }
    }

    /// Watches the root; queues it for listing if it is a directory.
    fn add_root(&mut self, root: PathBuf) -> io::Result<WatchDescriptor> {
        self.parent = None;
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
            self.stack.push(wd);
        }
        self.path = root;
        Ok(wd)
    }

    /// Watches the subdirectory `self.path` (just pushed) of `parent`.
    fn add_subdir(&mut self, parent: WatchDescriptor) -> io::Result<WatchDescriptor> {
        let mask = self.mask | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW;
        let wd = self
            .watcher
            .inotify()
            .add_watch_reusing(&self.path, mask, &mut self.c_path)
            .inspect_err(|_| self.failed = Some(self.path.clone()))?;
        let table = self.watcher.table_mut();
        let known = table.get(wd);
        // One directory reached again below itself (a bind mount): watched
        // already, found under its own path, and listing it again would
        // never end. A directory the table places above this one only
        // because renames are not read yet (found elsewhere, not below its
        // own path) is a stale picture, not a loop: it is walked.
        if known.is_some()
            && table.is_within(parent, wd)
            && table.path(wd).is_some_and(|own| self.path.starts_with(own))
        {
            // Watched already (the same descriptor): not an error, only
            // not listed again; the table keeps it at its first path.
            self.parent = Some(parent);
            return Ok(wd);
        }
        let recorded = if mask.contains(WatchMask::MASK_ADD) {
            known.map_or(mask, |e| e.mask() | mask) - WatchMask::MASK_ADD
        } else {
            mask
        };
        if let Some(name) = self.path.file_name() {
            table.insert_child(parent, name, wd, recorded, self.data.clone());
        }
        self.stack.push(wd);
        self.parent = Some(parent);
        Ok(wd)
    }

    /// Starts listing the next directory off the stack; `false` when the
    /// walk is over.
    fn next_listing(&mut self) -> Option<io::Result<()>> {
        loop {
            let wd = self.stack.pop()?;
            if !self.watcher.table().path_into(wd, &mut self.path) {
                continue; // its watch is gone (cannot happen mid-walk)
            }
            if self.buf.is_empty() {
                self.buf = vec![0; LIST_BUFFER];
            }
            match Listing::open(&self.path, false) {
                Ok(listing) => {
                    self.listed.push(wd);
                    self.listing = Some((wd, listing));
                    return Some(Ok(()));
                }
                Err(err) if is_race(&err) => self.unlisted.push(wd),
                Err(err) if raw_os_error(&err) == Some(libc::ELOOP) => {}
                Err(err) => return Some(Err(self.cannot_list(&err))),
            }
        }
    }

    /// The error for a directory that cannot be listed (`self.path`).
    fn cannot_list(&mut self, err: &io::Error) -> io::Error {
        let msg = format!("cannot list {}: {err}", self.path.display());
        self.failed = Some(self.path.clone());
        io::Error::new(err.kind(), msg)
    }
}

impl<T: Clone> Iterator for AddIter<'_, T> {
    type Item = io::Result<WatchDescriptor>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(root) = self.root.take() {
            return Some(self.add_root(root));
        }
        self.root_failed = false;
        if std::mem::take(&mut self.pushed) {
            self.path.pop();
        }
        loop {
            let Some((dir, listing)) = self.listing.as_mut() else {
                match self.next_listing()? {
                    Ok(()) => continue,
                    Err(err) => return Some(Err(err)),
                }
            };
            let dir = *dir;
            let (range, kind) = match listing.next_entry(&mut self.buf) {
                Ok(Some(entry)) => entry,
                Ok(None) => {
                    self.listing = None;
                    continue;
                }
                Err(err) if is_race(&err) => {
                    self.listing = None;
                    self.unlisted.push(dir);
                    continue;
                }
                Err(err) => {
                    self.listing = None;
                    return Some(Err(self.cannot_list(&err)));
                }
            };
            let is_dir = match kind {
                Kind::Dir => true,
                Kind::Other => false,
                // No d_type: lstat, so links are not followed either.
                Kind::Unknown => {
                    let path = self.path.join(name(&self.buf, range.clone()));
                    long_path::metadata(&path, false).is_ok_and(|m| m.is_dir())
                }
            };
            if !is_dir {
                continue;
            }
            self.path.push(name(&self.buf, range));
            if let Some(filter) = self.filter.as_mut()
                && !filter(&self.path)
            {
                self.path.pop();
                continue;
            }
            match self.add_subdir(dir) {
                Err(err) if is_race(&err) => {
                    self.path.pop();
                }
                other => {
                    self.pushed = true;
                    return Some(other);
                }
            }
        }
    }
}
