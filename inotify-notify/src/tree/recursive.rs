//! Walks: the recursive add of `add_watch(rec)` on core's `AddIter`, the
//! race-free scan of a directory that appears under an `auto_add` watch,
//! and snapshots (the rescan after a queue overflow is in `rescan.rs`).
//!
//! Every walk follows one protocol (see `WalkState`): a directory is
//! watched *before* it is listed; every watch listed is noted so the
//! `OPEN`/`ACCESS`/`CLOSE_NOWRITE` the listing itself queues are dropped;
//! the queue is drained into `pending` every [`DRAIN_EVERY`] directories so
//! a large walk cannot overflow it; and after the walk one final drain
//! reads everything queued so far, after which the walk state is cleared.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use inotify_core::{EventMask, WatchDescriptor, WatchMask, is_race, long_path, normalize};

use super::Tree;
use super::unlisted::list_unlisted;
use super::walk::{Listed, drain, drain_parts};
use crate::emit::{Processed, Target, emit};
use crate::error::{Error, Result};
use crate::watch::{EntryMeta, Hooks, Snapshot, WatchData, WatchOptions, is_dir, kernel_mask};

/// Directories walked between two drains of the queue.
pub(crate) const DRAIN_EVERY: usize = 64;

/// The sink of synthetic events.
pub(crate) type Out<'a> = &'a mut dyn FnMut(Processed);

/// `add_watch` of one (glob-expanded) path: the watch, and with `rec` the
/// whole tree below it. Pushes onto `out` the root's result, every error,
/// and with `keep` every directory's result (pyinotify's map: a path per
/// watch, which costs memory at the peak of a big add). Returns how many
/// watches were added.
#[expect(
    clippy::too_many_lines,
    reason = "the walk loop shares many borrows of the state"
)]
pub(crate) fn add_tree(
    st: &mut Tree,
    path: &Path,
    mask: WatchMask,
    options: &WatchOptions,
    keep: bool,
    out: &mut Vec<(PathBuf, Result<WatchDescriptor>)>,
) -> usize {
    let path = normalize(path);
    if options
        .exclude_filter
        .as_ref()
        .is_some_and(|f| f.is_excluded(&path))
    {
        return 0;
    }
    let mut flags = mask - WatchMask::ALL_EVENTS;
    if options.dont_follow {
        flags |= WatchMask::DONT_FOLLOW;
    }
    let mut data = WatchData {
        user_mask: mask & WatchMask::ALL_EVENTS,
        rec: options.rec,
        auto_add: options.auto_add,
        is_dir: is_dir(&path, !flags.contains(WatchMask::DONT_FOLLOW)),
        root: true,
        hooks: Hooks::new(options.proc_fun.clone(), options.exclude_filter.clone()),
    };
    if flags.contains(WatchMask::MASK_ADD)
        && let Some(old) = st.watcher.wd(&path).and_then(|w| st.watcher.table().get(w))
    {
        data.user_mask |= old.data.user_mask;
    }
    if !flags.intersects(WatchMask::MASK_ADD | WatchMask::MASK_CREATE)
        && st.watcher.wd(&path).is_none()
        && let Err(err) = merge_second_path(st, &path, flags, &mut data)
    {
        if !is_race(&err) {
            st.unwatched.insert(path.clone());
        }
        out.push((path.clone(), Err(Error::io(err, Some(&path)))));
        return 0;
    }
    let kmask = kernel_mask(&data, st.snapshots) | flags;
    if !options.rec || !data.is_dir {
        let res = st
            .watcher
            .add_with(&path, kmask, data)
            .map_err(|err| Error::io(err, Some(&path)));
        if let Ok(wd) = res {
            st.note_root(wd, &path, !flags.contains(WatchMask::DONT_FOLLOW));
            if st.snapshots {
                snapshot_into(st, wd);
                finish_walk(st);
            }
        }
        let added = usize::from(res.is_ok());
        out.push((path, res));
        return added;
    }
    let parent_wd = path.parent().and_then(|p| st.watcher.wd(p));
    let mut added = Vec::new();
    let unlisted;
    {
        let Tree {
            watcher,
            walk,
            unwatched,
            scratch,
            pending,
            ..
        } = &mut *st;
        if let (Some(pwd), Some(name)) = (parent_wd, path.file_name()) {
            walk.listed.note_name(pwd, name);
        }
        let mut first = true;
        let mut iter = watcher.add_iter(&path, kmask, data);
        if let Some(filter) = options.exclude_filter.clone() {
            iter = iter.filter_dirs(move |p| !filter.is_excluded(p));
        }
        // The listing started last (the one still open, if any), so a
        // complete drain can forget every other: the notes then hold the
        // listings since the last complete drain, not the whole tree.
        let mut last: Option<(
            WatchDescriptor,
            Option<(WatchDescriptor, std::ffi::OsString)>,
        )> = None;
        while let Some(step) = iter.next() {
            iter.take_listings(|wd, parent| {
                walk.listed.note_dir(wd);
                if let Some((pwd, name)) = parent {
                    walk.listed.note_name(pwd, name);
                }
                last = Some((wd, parent.map(|(p, n)| (p, n.to_os_string()))));
            });
            match step {
                Ok(wd) => {
                    // The root's result goes out first, as it is yielded
                    // first (a later error keyed by the root's path must
                    // not replace it); with `keep`, every directory's.
                    if keep || first {
                        out.push((iter.path().to_path_buf(), Ok(wd)));
                    }
                    first = false;
                    added.push(wd);
                    walk.since_drain += 1;
                    if walk.since_drain >= DRAIN_EVERY
                        && drain_parts(iter.inotify(), scratch, walk, pending).emptied
                    {
                        // Every closed listing's events were read.
                        walk.listed = Listed::default();
                        if let Some((wd, parent)) = &last
                            && iter.listing() == Some(*wd)
                        {
                            walk.listed.note_dir(*wd);
                            if let Some((pwd, name)) = parent {
                                walk.listed.note_name(*pwd, name);
                            }
                        }
                    }
                }
                Err(err) if iter.is_root_error() => {
                    if !is_race(&err) {
                        unwatched.insert(path.clone());
                    }
                    out.push((path.clone(), Err(Error::io(err, Some(&path)))));
                    break;
                }
                Err(err) if is_race(&err) => {}
                Err(err) => {
                    // Keyed by the directory left unwatched (with its
                    // subtree), so a quiet add reports each one.
                    let failed = iter
                        .failed_path()
                        .map_or_else(|| path.clone(), Path::to_path_buf);
                    unwatched.insert(failed.clone());
                    out.push((failed.clone(), Err(Error::io(err, Some(&failed)))));
                }
            }
        }
        // The listings of the walk's last step (after its last yield).
        iter.take_listings(|wd, parent| {
            walk.listed.note_dir(wd);
            if let Some((pwd, name)) = parent {
                walk.listed.note_name(pwd, name);
            }
        });
        unlisted = iter.take_unlisted();
    }
    if let Some(&root) = added.first() {
        st.note_root(root, &path, !flags.contains(WatchMask::DONT_FOLLOW));
    }
    for wd in added.iter().skip(1) {
        if let Some(entry) = st.watcher.table_mut().get_mut(*wd) {
            entry.data.root = false;
            entry.data.is_dir = true;
        }
    }
    if st.snapshots {
        for wd in &added {
            snapshot_into(st, *wd);
        }
    }
    finish_walk(st);
    if !st.unlisted.is_empty() {
        for wd in &added {
            if !unlisted.contains(wd) {
                st.unlisted.remove(wd);
            }
        }
    }
    let mut count = added.len();
    // Directories gone from their path by their turn (renamed mid-walk):
    // listed where they are now, quietly (what they hold is not news),
    // or at the end of the processing round that reads their renames.
    let root = added.first().and_then(|&w| st.watcher.table().get(w));
    if let Some(template) = root.map(|e| e.data.clone())
        && !unlisted.is_empty()
    {
        for wd in unlisted {
            st.unlisted
                .insert(wd, super::Unlisted::new(template.clone(), true));
        }
        let mut errors = Vec::new();
        count += list_unlisted(st, true, &mut |p| {
            if let Processed::Error(err) = p {
                errors.push(err);
            }
        });
        finish_walk(st);
        for err in errors {
            let at = err.path().map_or_else(|| path.clone(), Path::to_path_buf);
            out.push((at, Err(err)));
        }
    }
    count
}

/// One object watched through a second path (a symlink, a bind mount)
/// has the first path's descriptor, and a plain add would replace the mask
/// that path asked for. So a path the table does not know is first added
/// with `MASK_ADD` (which keeps the kernel's mask); if the descriptor is
/// already known, the user masks are merged into `data`.
fn merge_second_path(
    st: &Tree,
    path: &Path,
    flags: WatchMask,
    data: &mut WatchData,
) -> std::io::Result<()> {
    let probe = kernel_mask(data, st.snapshots) | flags | WatchMask::MASK_ADD;
    let wd = st.watcher.inotify().add_watch(path, probe)?;
    if let Some(old) = st.watcher.table().get(wd) {
        data.user_mask |= old.data.user_mask;
    }
    Ok(())
}

/// The final drain of a walk, then the walk state is cleared.
pub(crate) fn finish_walk(st: &mut Tree) {
    drain(st);
    // Dropped, not cleared: a big walk's table would otherwise stay.
    st.walk.listed = Listed::default();
    st.walk.active = false;
    st.walk.since_drain = 0;
}

/// Lists `dir` into a snapshot (lstat per entry).
pub(crate) fn take_snapshot(dir: &Path) -> std::io::Result<Snapshot> {
    let entries = long_path::read_dir(dir)?;
    let mut snapshot = Snapshot::new();
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        snapshot.insert(entry.file_name(), meta_of(&meta));
    }
    Ok(snapshot)
}

/// The snapshot entry of an lstat result.
fn meta_of(meta: &fs::Metadata) -> EntryMeta {
    EntryMeta {
        is_dir: meta.is_dir(),
        stamp: Some((meta.size(), meta.mtime(), meta.mtime_nsec())),
    }
}

/// Snapshots the directory of `wd` into its data, noting the listing.
pub(super) fn snapshot_into(st: &mut Tree, wd: WatchDescriptor) {
    let (Some(entry), Some(path)) = (st.watcher.table().get(wd), st.watcher.path(wd)) else {
        return;
    };
    if !entry.data.is_dir {
        return;
    }
    note_listing(st, wd, &path);
    let snapshot = take_snapshot(&path).unwrap_or_else(|err| {
        if !is_race(&err) {
            log::warn!("cannot list {} for its snapshot: {err}", path.display());
        }
        Snapshot::new()
    });
    st.snapshot_map.insert(wd, snapshot);
    tick(st);
}

/// Notes that the directory of `wd` at `path` is being listed.
pub(crate) fn note_listing(st: &mut Tree, wd: WatchDescriptor, path: &Path) {
    st.walk.active = true;
    st.walk.listed.note_dir(wd);
    if let (Some(parent), Some(name)) = (path.parent(), path.file_name())
        && let Some(pwd) = st.watcher.wd(parent)
    {
        st.walk.listed.note_name(pwd, name);
    }
}

/// Counts a walked directory; drains every [`DRAIN_EVERY`].
pub(crate) fn tick(st: &mut Tree) {
    st.walk.since_drain += 1;
    if st.walk.since_drain >= DRAIN_EVERY {
        drain(st);
    }
}

/// Turns snapshots on for every watched directory: adds the bits they
/// need to the kernel masks and lists each directory once.
pub(crate) fn snapshot_all(st: &mut Tree) {
    st.snapshots = true;
    let dirs: Vec<(WatchDescriptor, PathBuf, WatchMask, WatchData)> = st
        .watcher
        .table()
        .iter()
        .filter(|(_, e)| e.data.is_dir)
        .map(|(wd, e)| {
            let path = st.watcher.table().path(wd).unwrap_or_default();
            (wd, path, e.mask(), e.data.clone())
        })
        .collect();
    for (wd, path, mask, data) in dirs {
        let flags = (mask - WatchMask::ALL_EVENTS) - WatchMask::MASK_ADD;
        let kmask = kernel_mask(&data, true) | flags;
        if let Err(err) = st.watcher.add_with(&path, kmask, data) {
            log::debug!("cannot extend the mask of {}: {err}", path.display());
            continue;
        }
        snapshot_into(st, wd);
    }
    finish_walk(st);
}

/// Watches the directory `dir` that appeared below a watch with `template`
/// data, then lists it (and every directory found, recursively), emitting
/// a synthetic `CREATE` for each entry. Returns the descriptors added,
/// and whether `dir` itself could not be watched because it was not there
/// (then the caller may look for it again: see [`NewDir::raced`]).
///
/// The new watch lands before the listing, so an entry created meanwhile
/// is seen by the listing, by the kernel, or both; the names listed go to
/// the walk's seen set so a kernel `CREATE` drained later for the same
/// name is dropped (each entry reported exactly once).
pub(crate) fn scan_new_dir(
    st: &mut Tree,
    template: &WatchData,
    dir: PathBuf,
    out: Out<'_>,
) -> NewDir {
    scan(st, template, dir, false, out)
}

/// [`scan_new_dir`]; `quiet`: nothing is reported (no synthetic `CREATE`,
/// no names kept to drop the kernel's), only watched: a directory that was
/// there before the add that missed it.
pub(super) fn scan(
    st: &mut Tree,
    template: &WatchData,
    dir: PathBuf,
    quiet: bool,
    out: Out<'_>,
) -> NewDir {
    let mut added = Vec::new();
    let mut raced = false;
    let top = dir.clone();
    // Each directory with the watched directory it was listed in and its
    // name there (`None` for `top`).
    let mut stack: Vec<(PathBuf, Option<(WatchDescriptor, OsString)>)> = vec![(dir, None)];
    let data = template.child();
    while let Some((dir, listed_in)) = stack.pop() {
        if data.exclude().is_some_and(|f| f.is_excluded(&dir)) {
            continue;
        }
        let kmask = kernel_mask(&data, st.snapshots) | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW;
        let res = if dir == top {
            add_new_top(st, &dir, kmask, &data)
        } else {
            st.watcher.add_with(&dir, kmask, data.clone()).map(Some)
        };
        let wd = match res {
            Ok(Some(wd)) => wd,
            Ok(None) => {
                raced = true;
                continue;
            }
            Err(err) if is_race(&err) => {
                raced |= dir == top;
                // Listed and reported, then gone from its path before its
                // watch: renamed with a directory above it (whose record
                // comes later), or deleted (whose record ends this).
                // Looked for where its parent is at the end of the round.
                if let Some((parent, name)) = listed_in {
                    st.missed
                        .push(super::Missed::new(parent, name, template.clone(), quiet));
                }
                continue;
            }
            Err(err) => {
                st.unwatched.insert(dir.clone());
                out(Processed::Error(Error::io(err, Some(&dir))));
                continue;
            }
        };
        added.push(wd);
        note_listing(st, wd, &dir);
        let entries = match long_path::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if is_race(&err) => {
                // Watched, then renamed or replaced before this listing:
                // what it held before its watch would never be reported.
                // Listed where it is at the end of the round.
                st.unlisted
                    .insert(wd, super::Unlisted::new(template.clone(), quiet));
                continue;
            }
            Err(err) => {
                out(Processed::Error(Error::io(err, Some(&dir))));
                continue;
            }
        };
        // Listed now, whatever an earlier scan that raced left to do.
        st.unlisted.remove(&wd);
        let target = Target::new(wd, &dir, &data);
        let mut snapshot = st.snapshots.then(Snapshot::new);
        let mut seen = Vec::new();
        for entry in entries {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            // d_type: a symlink is reported as an entry, never followed.
            let is_subdir = entry.file_type().is_ok_and(|t| t.is_dir());
            let mask = if is_subdir {
                EventMask::CREATE | EventMask::ISDIR
            } else {
                EventMask::CREATE
            };
            if !quiet {
                emit(out, &target, mask, 0, Some(&name), None, true);
            }
            if let Some(snapshot) = snapshot.as_mut()
                && let Ok(meta) = entry.metadata()
            {
                snapshot.insert(name.clone(), meta_of(&meta));
            }
            if is_subdir {
                stack.push((dir.join(&name), Some((wd, name.clone()))));
            }
            if !quiet {
                seen.push(name);
            }
        }
        if !seen.is_empty() {
            st.walk.seen.entry(wd).or_default().extend(seen);
        }
        if let Some(snapshot) = snapshot
            && st.watcher.table().get(wd).is_some()
        {
            st.snapshot_map.insert(wd, snapshot);
        }
        tick(st);
    }
    NewDir { added, raced }
}

/// Watches the directory a record named (`CREATE`, `MOVED_TO`), unless
/// its path now holds a directory already watched under another path:
/// then the named directory went elsewhere and a watched one was moved to
/// its name, by records queued behind this one. That move's `MOVED_TO`,
/// on the same parent's watch, re-paths the watches it carries; watching
/// and scanning it here as new would report its entries twice. `None`
/// then, as for a directory that is gone.
///
/// `MASK_ADD` on the kernel call, so a watch found that way keeps its
/// mask (a new one gets `kmask`).
fn add_new_top(
    st: &mut Tree,
    dir: &Path,
    kmask: WatchMask,
    data: &WatchData,
) -> std::io::Result<Option<WatchDescriptor>> {
    let wd = st
        .watcher
        .inotify()
        .add_watch(dir, kmask | WatchMask::MASK_ADD)?;
    match st.watcher.table().path(wd) {
        Some(known) if known != dir => Ok(None),
        _ => {
            st.watcher.table_mut().insert(wd, dir, kmask, data.clone());
            Ok(Some(wd))
        }
    }
}

/// What [`scan_new_dir`] did.
pub(crate) struct NewDir {
    /// The descriptors added, the new directory's first.
    pub added: Vec<WatchDescriptor>,
    /// The new directory was not at its path (ENOENT, ENOTDIR): deleted,
    /// or renamed together with an ancestor whose rename is queued behind
    /// the event that named it.
    pub raced: bool,
}
