//! The tree model of the inotify backend: the one owner of the picture of
//! watched directories, and the only code that changes it.
//!
//! [`Tree`] holds core's [`Watcher`] (the instance and its arena of
//! (parent, name) nodes), the watches removed before their `IGNORED`
//! (detached), the per-directory snapshots of overflow recovery, the walk
//! state and the directories that could not be watched. Its fields are
//! private to this module, so the compiler keeps every write here; other
//! modules read through accessors and change the tree only through the
//! vocabulary below:
//!
//! | operation | where |
//! |---|---|
//! | add a subtree (`add_watch(rec)`) | [`add_tree`] (`recursive.rs`) |
//! | auto-add a new directory and scan it | [`scan_new_dir`] (`recursive.rs`) |
//! | list a scanned directory whose listing raced a rename, watch a reported subdirectory whose watch did | [`list_unlisted`] (`unlisted.rs`) |
//! | rename a subtree (a paired move; a moved root found again) | [`Tree::rename_subtree`], [`Tree::follow_moved_root`] (`moved_root.rs`) |
//! | detach a moved-out or moved-away subtree | [`Tree::detach_subtree`], [`Tree::detach`] |
//! | forget a watch on `IGNORED` | [`Tree::forget_ignored`] |
//! | snapshot, update a snapshot, rescan after an overflow | [`snapshot_all`], [`update_snapshot`], [`rescan()`] (`rescan.rs`) |
//! | re-shape after a rule file changed | [`maybe_reshape`] (`reshape.rs`) |
//! | change watches' masks or data | [`Tree::update`], [`Tree::add_bits`], [`Tree::watch_dir`] |
//!
//! Events go one way: the processor (`bookkeeping.rs`) reads a record,
//! asks the tree what it means (a path, an entry's data), tells the tree
//! what changed, and emits. Walks drain the kernel queue into the tree's
//! pending queue (`walk.rs`), which the processor takes before newer
//! reads ([`Tree::take_pending`]); nothing here reaches a handler. The
//! tree knows nothing of the manager's other state: every operation takes
//! `&mut Tree`.
//!
//! The fanotify backend keeps its own picture (directories known by file
//! handle, `fan/tree.rs`), with the same single-owner rule there.

mod moved_root;
mod recursive;
mod rescan;
mod reshape;
mod unlisted;
mod walk;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use inotify_core::{
    EventBuffer, EventMask, Inotify, WatchDescriptor, WatchMask, WatchTable, Watcher,
};

use crate::error::{Error, Result, not_watched_wd};
use crate::watch::{Snapshot, WatchData, WatchUpdate, kernel_mask};

pub(crate) use moved_root::{by_handle, in_old_directory, lost_root};
pub(crate) use recursive::{add_tree, finish_walk, scan_new_dir, snapshot_all};
pub(crate) use rescan::{rescan, update_snapshot};
pub(crate) use reshape::{RELOAD_EVENTS, maybe_reshape};
pub(crate) use unlisted::list_unlisted;
pub(crate) use walk::RawEvent;

/// A watch removed from the table before its `IGNORED` was read.
pub(crate) struct Detached {
    pub path: PathBuf,
    pub data: WatchData,
    /// The watch's path no longer names it (moved out of the tree): its
    /// remaining events are dropped, only `IGNORED` is delivered.
    pub stale: bool,
}

/// The picture of the watched directories (see the module docs).
pub(crate) struct Tree {
    watcher: Watcher<WatchData>,
    detached: HashMap<WatchDescriptor, Detached>,
    /// Whether per-directory snapshots are kept (overflow rescans).
    snapshots: bool,
    /// Per-directory snapshots, kept only while overflow rescans are on
    /// (beside the table, so a watch costs nothing for them otherwise).
    snapshot_map: HashMap<WatchDescriptor, Snapshot>,
    walk: walk::WalkState,
    /// Directories whose watch could not be added (not a race: ENOSPC,
    /// ENOMEM, EACCES...) by a recursive add, auto-add or rescan; their
    /// subtrees are unwatched. Pruned of paths watched since.
    unwatched: BTreeSet<PathBuf>,
    /// Which object each root is, to find it again when it moves and no
    /// watch reports where to ([`Tree::follow_moved_root`]).
    root_ids: HashMap<WatchDescriptor, moved_root::RootId>,
    /// Events drained during walks, oldest first, not yet processed: the
    /// processor takes them ([`Tree::take_pending`]) before newer reads.
    pending: VecDeque<RawEvent>,
    /// The walks' read buffer (the processor reads into its own).
    scratch: EventBuffer,
    /// Directories a scan watched but could not list (renamed or replaced
    /// in between): listed again where they are at the end of the round
    /// ([`list_unlisted`]).
    unlisted: HashMap<WatchDescriptor, Unlisted>,
    /// Subdirectories a scan listed (and reported) but could not watch
    /// because they were gone from their path (renamed with a directory
    /// above them in between): watched and scanned where their parent is
    /// at the end of the round ([`list_unlisted`]).
    missed: Vec<Missed>,
}

/// A subdirectory a scan reported but could not watch (see `Tree::missed`).
pub(crate) struct Missed {
    /// The watched directory it was listed in.
    parent: WatchDescriptor,
    name: OsString,
    /// The template the scan had.
    template: WatchData,
    /// From a recursive add's quiet scan (nothing reported).
    quiet: bool,
    /// Ends of rounds it was looked for at.
    tries: u8,
}

impl Missed {
    pub(super) fn new(
        parent: WatchDescriptor,
        name: OsString,
        template: WatchData,
        quiet: bool,
    ) -> Self {
        Missed {
            parent,
            name,
            template,
            quiet,
            tries: 0,
        }
    }
}

/// A directory watched by a scan whose listing raced (see `Tree::unlisted`).
pub(crate) struct Unlisted {
    /// The template the scan had, for the directories found inside.
    template: WatchData,
    /// Names the kernel reported created in it since its watch was added
    /// (and not deleted since): already reported, so not again when it is
    /// listed.
    reported: HashSet<OsString>,
    /// Listings tried at ends of rounds.
    tries: u8,
    /// Missed by a recursive add (not by a scan of a new directory): what
    /// it holds is watched, not reported.
    quiet: bool,
}

impl Unlisted {
    pub(super) fn new(template: WatchData, quiet: bool) -> Self {
        Unlisted {
            template,
            reported: HashSet::new(),
            tries: 0,
            quiet,
        }
    }
}

impl Tree {
    /// An empty tree on `watcher`'s instance.
    pub(crate) fn new(watcher: Watcher<WatchData>) -> Self {
        Tree {
            watcher,
            detached: HashMap::new(),
            snapshots: false,
            snapshot_map: HashMap::new(),
            walk: walk::WalkState::default(),
            unwatched: BTreeSet::new(),
            root_ids: HashMap::new(),
            pending: VecDeque::new(),
            scratch: EventBuffer::new(),
            unlisted: HashMap::new(),
            missed: Vec::new(),
        }
    }

    /// The watch table (read only).
    #[inline]
    pub(crate) fn table(&self) -> &WatchTable<WatchData> {
        self.watcher.table()
    }

    /// The inotify instance, to read records from.
    #[inline]
    pub(crate) fn inotify(&self) -> &Inotify {
        self.watcher.inotify()
    }

    /// The path of `wd`.
    pub(crate) fn path(&self, wd: WatchDescriptor) -> Option<PathBuf> {
        self.watcher.path(wd)
    }

    /// The descriptor watching `path`.
    pub(crate) fn wd(&self, path: &Path) -> Option<WatchDescriptor> {
        self.watcher.wd(path)
    }

    /// Number of watches in the table.
    pub(crate) fn num_watches(&self) -> usize {
        self.watcher.num_watches()
    }

    /// Whether events drained by walks wait for the processor.
    #[inline]
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The events drained by walks, oldest first (the queue is emptied).
    pub(crate) fn take_pending(&mut self) -> Vec<RawEvent> {
        self.pending.drain(..).collect()
    }

    /// Whether a directory a scan could not list waits to be listed.
    #[inline]
    pub(crate) fn has_unlisted(&self) -> bool {
        !self.unlisted.is_empty() || !self.missed.is_empty()
    }

    /// Notes a record of `wd` for its pending listing (if it has one): a
    /// name the kernel reports created is not reported again by the
    /// listing, one it reports gone may be.
    pub(crate) fn note_for_unlisted(
        &mut self,
        wd: WatchDescriptor,
        mask: EventMask,
        name: Option<&OsStr>,
    ) {
        if let Some(name) = name
            && !self.missed.is_empty()
        {
            // The kernel tells of that name itself now: gone, moved (its
            // move in is scanned), or another directory there (scanned by
            // its own record).
            self.missed.retain(|m| m.parent != wd || m.name != name);
        }
        let (Some(u), Some(name)) = (self.unlisted.get_mut(&wd), name) else {
            return;
        };
        if mask.intersects(EventMask::CREATE | EventMask::MOVED_TO) {
            u.reported.insert(name.to_os_string());
        } else if mask.intersects(EventMask::DELETE | EventMask::MOVED_FROM) {
            u.reported.remove(name);
        }
    }

    /// Whether snapshots are kept.
    #[inline]
    pub(crate) fn snapshots(&self) -> bool {
        self.snapshots
    }

    /// Whether `wd` has a snapshot to keep up to date.
    #[inline]
    pub(crate) fn has_snapshot(&self, wd: WatchDescriptor) -> bool {
        self.snapshots && self.snapshot_map.contains_key(&wd)
    }

    /// Whether a walk ran since its final drain.
    #[inline]
    pub(crate) fn walking(&self) -> bool {
        self.walk.active
    }

    /// The directories that could not be watched.
    pub(crate) fn unwatched(&self) -> &BTreeSet<PathBuf> {
        &self.unwatched
    }

    /// Drops from the unwatched directories those watched since.
    pub(crate) fn prune_unwatched(&mut self) {
        let Tree {
            watcher, unwatched, ..
        } = self;
        unwatched.retain(|path| watcher.wd(path).is_none());
    }

    /// Marks the directory at `path` as unwatched (`true`: its watch could
    /// not be added) or as taken care of (`false`: the fanotify fallback
    /// marked it).
    pub(crate) fn set_unwatched(&mut self, path: &Path, unwatched: bool) {
        if unwatched {
            self.unwatched.insert(path.to_path_buf());
        } else {
            self.unwatched.remove(path);
        }
    }

    /// The detached watch `wd`.
    pub(crate) fn detached(&self, wd: WatchDescriptor) -> Option<&Detached> {
        self.detached.get(&wd)
    }

    /// Whether a `CREATE`/`MOVED_TO` of `name` in `wd` is an entry a scan
    /// already reported (it is then used up); see `walk.rs`.
    #[inline]
    pub(crate) fn already_scanned(
        &mut self,
        wd: WatchDescriptor,
        mask: EventMask,
        name: Option<&OsStr>,
    ) -> bool {
        !self.walk.seen.is_empty() && walk::already_scanned(&mut self.walk, wd, mask, name)
    }

    /// Whether a scan's names are kept (then a record may be a duplicate
    /// of a synthetic `CREATE`: see [`Tree::already_scanned`]).
    #[inline]
    pub(crate) fn has_scan_notes(&self) -> bool {
        !self.walk.seen.is_empty()
    }

    /// Ends a processing round: forgets the names its scans reported.
    pub(crate) fn end_round(&mut self) {
        self.walk.seen.clear();
    }

    /// Notes that a directory about to be listed outside a walk of ours
    /// (the fanotify fallback's add of `top`) is named `name` in `parent`,
    /// so the listing's own events on it are dropped; the next
    /// [`finish_walk`] clears it.
    pub(crate) fn note_foreign_listing(&mut self, top: &Path) {
        if let (Some(pwd), Some(name)) = (top.parent().and_then(|p| self.wd(p)), top.file_name()) {
            self.walk.listed.note_name(pwd, name);
            self.walk.active = true;
        }
    }

    /// Forgets the watch `wd` when its `IGNORED` is read: from the table
    /// (with its snapshot and scan notes) or from the detached watches.
    pub(crate) fn forget_ignored(&mut self, wd: WatchDescriptor) {
        if self.watcher.table_mut().remove(wd).is_none() {
            self.detached.remove(&wd);
        }
        self.root_ids.remove(&wd);
        self.unlisted.remove(&wd);
        self.snapshot_map.remove(&wd);
        self.walk.seen.remove(&wd);
    }

    /// A paired move of a watched directory from `src` to `dst`: its node
    /// is re-parented and renamed, the subtree below follows (one update).
    pub(crate) fn rename_subtree(&mut self, src: &Path, dst: &Path) {
        self.watcher.table_mut().rename(src, dst);
    }

    /// Removes `wd` from the table and from the kernel; it stays known as
    /// detached until its `IGNORED` is read. `stale`: its path is no
    /// longer right (moved out of the tree), so its other events are
    /// dropped.
    pub(crate) fn detach(&mut self, wd: WatchDescriptor, stale: bool) -> Result<()> {
        let path = self.watcher.path(wd).ok_or_else(|| not_watched_wd(wd))?;
        let entry = (self.watcher.table_mut())
            .remove(wd)
            .ok_or_else(|| not_watched_wd(wd))?;
        let res = (self.watcher.remove(wd)).map_err(|err| Error::io(err, Some(&path)));
        self.walk.seen.remove(&wd);
        self.snapshot_map.remove(&wd);
        self.root_ids.remove(&wd);
        self.unlisted.remove(&wd);
        let detached = Detached {
            path,
            data: entry.data,
            stale,
        };
        self.detached.insert(wd, detached);
        res
    }

    /// Detaches every watch at or below `path` as stale (a directory moved
    /// out of the tree, or a root moved where nobody reports).
    pub(crate) fn detach_subtree(&mut self, path: &Path) {
        for wd in self.watcher.table().subtree(path) {
            if let Err(err) = self.detach(wd, true) {
                log::debug!("moved watch {} already gone: {err}", path.display());
            }
        }
    }

    /// Detaches `wd`, and with `rec` every watch below it (`rm_watch`),
    /// in descriptor order; each result, or the first error when not
    /// `quiet`.
    pub(crate) fn remove(
        &mut self,
        wd: WatchDescriptor,
        rec: bool,
        quiet: bool,
    ) -> Result<BTreeMap<WatchDescriptor, Result<()>>> {
        let mut out = BTreeMap::new();
        let Some(path) = self.watcher.table().path(wd) else {
            let err = not_watched_wd(wd);
            if quiet {
                out.insert(wd, Err(err));
                return Ok(out);
            }
            return Err(err);
        };
        let mut wds = if rec {
            self.watcher.table().subtree(&path)
        } else {
            vec![wd]
        };
        wds.sort();
        for w in wds {
            match self.detach(w, false) {
                Err(err) if !quiet => return Err(err),
                res => out.insert(w, res),
            };
        }
        Ok(out)
    }

    /// Detaches every watch (`close`).
    pub(crate) fn detach_all(&mut self) {
        let wds: Vec<WatchDescriptor> = self.watcher.table().iter().map(|(wd, _)| wd).collect();
        for wd in wds {
            if let Err(err) = self.detach(wd, false) {
                log::debug!("close: {err}");
            }
        }
    }

    /// `update_watch`: applies `update` to `wd` (and with `rec` to every
    /// watch below it), re-adding each with its new kernel mask.
    pub(crate) fn update(
        &mut self,
        wd: WatchDescriptor,
        update: &WatchUpdate,
    ) -> BTreeMap<WatchDescriptor, Result<()>> {
        let mut out = BTreeMap::new();
        let Some(path) = self.watcher.table().path(wd) else {
            out.insert(wd, Err(not_watched_wd(wd)));
            return out;
        };
        let wds = if update.rec {
            self.watcher.table().subtree(&path)
        } else {
            vec![wd]
        };
        for wd in wds {
            let (Some(entry), Some(path)) = (self.watcher.table().get(wd), self.watcher.path(wd))
            else {
                continue;
            };
            if let Some(mask) = update.mask
                && !mask.has_event_bit()
            {
                out.insert(wd, Err(Error::no_event_bit(&path, mask)));
                continue;
            }
            let mut data = entry.data.clone();
            let flags = entry.mask() - WatchMask::ALL_EVENTS;
            if let Some(mask) = update.mask {
                data.user_mask = mask & WatchMask::ALL_EVENTS;
            }
            if let Some(handler) = &update.proc_fun {
                data.set_proc_fun(handler.clone());
            }
            if let Some(auto_add) = update.auto_add {
                data.auto_add = auto_add;
            }
            let kmask = kernel_mask(&data, self.snapshots) | (flags - WatchMask::MASK_ADD);
            let res = (self.watcher.add_with(&path, kmask, data))
                .map(|_| ())
                .map_err(|err| Error::io(err, Some(&path)));
            out.insert(wd, res);
        }
        out
    }

    /// Adds `bits` to the kernel mask of the directory at `path`
    /// (`MASK_ADD`: what it asks for already stays) and, when it is in the
    /// table, to its recorded mask. Returns the kernel's descriptor.
    pub(crate) fn add_bits(
        &mut self,
        path: &Path,
        bits: WatchMask,
    ) -> std::io::Result<WatchDescriptor> {
        let wd = (self.watcher.inotify()).add_watch(path, bits | WatchMask::MASK_ADD)?;
        if let Some(entry) = self.watcher.table().get(wd) {
            let recorded = entry.mask() | bits;
            self.watcher.table_mut().set_mask(wd, recorded);
        }
        Ok(wd)
    }

    /// Watches the directory at `path` with `kmask` (plus the bits
    /// snapshots need, when they are on) and `data`.
    pub(crate) fn watch_dir(
        &mut self,
        path: &Path,
        kmask: WatchMask,
        data: WatchData,
    ) -> std::io::Result<WatchDescriptor> {
        let kmask = kernel_mask(&data, self.snapshots) | kmask;
        self.watcher.add_with(path, kmask, data)
    }
}
