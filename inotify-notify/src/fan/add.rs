//! Adding to the fanotify side: the roots of `add_watch` (a walk of inode
//! marks, or one filesystem or mount mark), the per-root choice of
//! [`Backend::Auto`], and the scan of a directory that appeared (marked
//! first, then listed, so nothing made in it is missed).

use std::fs;
use std::path::{Path, PathBuf};

use inotify_core::{
    EventMask, FanMarkFlags, FileIdBuf, HandleResolver, MarkTarget, WatchDescriptor, WatchMask,
    is_race, long_path, normalize,
};

use super::mask::{MOUNT_EVENTS, fan_mask};
use super::raced::Raced;
use super::tree::Node;
use super::{Backend, FanSide, FsRoot, Scope};
use crate::emit::{Processed, Target, emit};
use crate::error::{Error, ErrorKind, Result};
use crate::watch::{Hooks, WatchData, WatchOptions};
use crate::watch_manager::{Shared, is_dir};

/// Where the output of a scan goes.
pub(crate) type Out<'a> = &'a mut dyn FnMut(Processed);

/// `add_watch` of one root on the fanotify side; `None` when the root goes
/// to inotify (the manager's backend is inotify, or [`Backend::Auto`]
/// found fanotify unusable there). Pushes results as
/// `crate::tree`'s recursive walk does and returns the marks added.
pub(crate) fn add_tree(
    st: &mut Shared,
    path: &Path,
    mask: WatchMask,
    options: &WatchOptions,
    keep: bool,
    out: &mut Vec<(PathBuf, Result<WatchDescriptor>)>,
) -> Option<usize> {
    let start = out.len();
    let added = add_root(st, path, mask, options, keep, out)?;
    // With overflow rescans on, what the new root holds is part of the
    // consumer's picture from now on.
    if let Some(side) = st.fan.as_deref_mut()
        && side.picture.is_some()
    {
        let root = normalize(path);
        for (at, res) in &out[start..] {
            if *at == root
                && let Ok(wd) = res
            {
                super::rescan::picture_root(side, *wd);
            }
        }
    }
    Some(added)
}

/// [`add_tree`] without the picture's upkeep.
fn add_root(
    st: &mut Shared,
    path: &Path,
    mask: WatchMask,
    options: &WatchOptions,
    keep: bool,
    out: &mut Vec<(PathBuf, Result<WatchDescriptor>)>,
) -> Option<usize> {
    let side = st.fan.as_deref_mut()?;
    let path = normalize(path);
    if options
        .exclude_filter
        .as_ref()
        .is_some_and(|f| f.is_excluded(&path))
    {
        return Some(0);
    }
    let follow = !options.dont_follow;
    let data = WatchData {
        user_mask: mask & WatchMask::ALL_EVENTS,
        rec: options.rec,
        auto_add: options.auto_add,
        is_dir: is_dir(&path, follow),
        root: true,
        hooks: Hooks::new(options.proc_fun.clone(), options.exclude_filter.clone()),
    };
    match side.backend {
        Backend::Inotify => None,
        Backend::Fanotify => Some(mark_tree(side, &path, &data, keep, out, follow)),
        Backend::Filesystem | Backend::Mount => {
            let target = if side.backend == Backend::Mount {
                MarkTarget::Mount
            } else {
                MarkTarget::Filesystem
            };
            let res = add_fs_root(side, &path, data, target);
            let added = usize::from(res.is_ok());
            out.push((path, res));
            Some(added)
        }
        Backend::Auto => {
            side.group.as_ref()?;
            if data.rec && data.is_dir && side.features.admin {
                match add_fs_root(side, &path, data.clone(), MarkTarget::Filesystem) {
                    Ok(wd) => {
                        out.push((path, Ok(wd)));
                        return Some(1);
                    }
                    Err(err) => log::debug!("auto backend: no filesystem mark: {err}"),
                }
            }
            // Inode marks when the root itself takes one; inotify otherwise.
            let mut first = Vec::new();
            let added = mark_tree(side, &path, &data, keep, &mut first, follow);
            if first
                .first()
                .is_some_and(|(p, res)| *p == path && res.is_err())
            {
                log::debug!("auto backend: inotify for {}", path.display());
                return None;
            }
            out.append(&mut first);
            Some(added)
        }
    }
}

/// Marks `path` (and with `data.rec` every directory below it) with inode
/// marks, a symlinked root followed when `follow`. The root's result
/// always goes to `out`, the others' with `keep` (errors always; races are
/// skipped).
pub(super) fn mark_tree(
    side: &mut FanSide,
    root: &Path,
    data: &WatchData,
    keep: bool,
    out: &mut Vec<(PathBuf, Result<WatchDescriptor>)>,
    follow: bool,
) -> usize {
    let mut added = 0;
    let mut stack = vec![(root.to_path_buf(), data.clone())];
    while let Some((dir, data)) = stack.pop() {
        let is_root = dir == root;
        match mark(side, &dir, data.clone(), follow || !is_root) {
            Ok(wd) => {
                added += 1;
                if keep || is_root {
                    out.push((dir.clone(), Ok(wd)));
                }
            }
            Err(err) if !is_root && err.io_error().is_some_and(is_race) => continue,
            Err(err) => {
                out.push((dir, Err(err)));
                continue;
            }
        }
        if !data.rec || !data.is_dir {
            continue;
        }
        let entries = match long_path::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if is_race(&err) => continue,
            Err(err) => {
                out.push((dir.clone(), Err(Error::io(err, Some(&dir)))));
                continue;
            }
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                let sub = dir.join(entry.file_name());
                if !data.exclude().is_some_and(|f| f.is_excluded(&sub)) {
                    stack.push((sub, data.child()));
                }
            }
        }
    }
    added
}

/// One inode mark on `path` (on a final symlink itself unless `follow`),
/// entered in the tree (a directory marked again keeps its descriptor and
/// takes the new data).
pub(super) fn mark(
    side: &mut FanSide,
    path: &Path,
    data: WatchData,
    follow: bool,
) -> Result<WatchDescriptor> {
    let group = side
        .group
        .as_ref()
        .ok_or_else(|| unusable(side.unusable.as_deref(), path))?;
    let (id, flags) = if follow {
        (FileIdBuf::of(path), FanMarkFlags::empty())
    } else {
        (FileIdBuf::of_link(path), FanMarkFlags::DONT_FOLLOW)
    };
    let id = id.map_err(|err| Error::io(err, Some(path)))?;
    let mask = fan_mask(&data, side.features.rename, MarkTarget::Inode);
    group
        .add_mark(path, MarkTarget::Inode, mask, flags)
        .map_err(|err| Error::io(err, Some(path)))?;
    let wd = match side.tree.by_id(id.as_file_id()) {
        Some(wd) => wd,
        None => side.new_wd(),
    };
    if follow {
        side.links.remove(&wd);
    } else {
        side.links.insert(wd);
    }
    side.tree.insert(
        wd,
        Node {
            id,
            path: path.to_path_buf(),
            data,
        },
    );
    Ok(wd)
}

/// A root watched by its filesystem's or mount's mark (`target`; the
/// kernel merges a second mark there into the first). Events a mount mark
/// cannot carry are a typed error naming them, not the kernel's EINVAL.
fn add_fs_root(
    side: &mut FanSide,
    path: &Path,
    data: WatchData,
    target: MarkTarget,
) -> Result<WatchDescriptor> {
    let group = side
        .group
        .as_ref()
        .ok_or_else(|| unusable(side.unusable.as_deref(), path))?;
    let unsupported = data.user_mask - MOUNT_EVENTS;
    if target == MarkTarget::Mount && !unsupported.is_empty() {
        return Err(Error::unsupported_events(path, unsupported, "a mount mark"));
    }
    let canon = fs::canonicalize(path).map_err(|err| Error::io(err, Some(path)))?;
    let (id, mount_id) =
        FileIdBuf::with_mount_id(&canon).map_err(|err| Error::io(err, Some(path)))?;
    let fsid = id.as_file_id().fsid;
    let scope = if target == MarkTarget::Mount {
        Scope::Mount(mount_id)
    } else {
        Scope::Filesystem
    };
    let mask = fan_mask(&data, side.features.rename, target);
    group
        .add_mark(&canon, target, mask, FanMarkFlags::empty())
        .map_err(|err| Error::io(err, Some(path)))?;
    if !side.resolvers.iter().any(|r| r.fsid() == fsid) {
        // The resolver holds its directory open: on the root itself, a
        // deleted root's inode would live on, and with it its
        // `DELETE_SELF` would never come. The mount's top directory is
        // not deleted while the filesystem is watched through it.
        let at = mount_top(&canon, mount_id);
        let resolver = HandleResolver::new(at).map_err(|err| Error::io(err, Some(path)))?;
        side.resolvers.push(resolver);
    }
    let wd = side.new_wd();
    let canon_root = canon.clone();
    side.fs_roots.push(FsRoot {
        wd,
        path: path.to_path_buf(),
        canon,
        id,
        data,
        scope,
    });
    // Longest first, so the innermost root claims an event.
    side.fs_roots
        .sort_by_key(|r| std::cmp::Reverse(r.canon.as_os_str().len()));
    side.fs_dirs_insert(id, canon_root);
    Ok(wd)
}

/// The topmost directory of `canon`'s ancestors on the mount `mount_id`
/// (`canon` itself when it is the mount's top, or its parent is not
/// reachable).
fn mount_top(canon: &Path, mount_id: i32) -> &Path {
    canon
        .ancestors()
        .skip(1)
        .take_while(|a| FileIdBuf::with_mount_id(a).is_ok_and(|(_, m)| m == mount_id))
        .last()
        .unwrap_or(canon)
}

/// The error for a root that needs the fanotify group the manager could
/// not create.
fn unusable(why: Option<&str>, path: &Path) -> Error {
    Error::new(
        ErrorKind::Io,
        Some(path),
        format!("fanotify is unusable: {}", why.unwrap_or("no group")),
    )
}

/// Marks the directory `dir` that appeared in a directory watched with
/// `template` (and every directory below it), then lists it, emitting a
/// synthetic `CREATE` for each entry. With inode marks each directory is
/// marked before it is listed; with `mark == false` (a filesystem mark
/// already covers it) the tree is only listed. `expect` is the handle the
/// record reported for `dir`: another object at the path is left to the
/// records that describe it. Listed paths go to `side.seen`, and the
/// records queued meanwhile are drained into `side.queue`, so an entry
/// listed and reported by the kernel too is emitted once.
///
/// Under a filesystem mark a directory that moved on before the scan is
/// listed where its handle says it is now, and its entries are reported
/// at `dir`, the path the records of this round give it: the later
/// records (its renames, or its parents') move it on, as for any
/// directory the consumer knows. The directories listed are remembered
/// at those paths too (`fs_dirs`), so later records in them are placed
/// in line with the record stream, not where they are on disk by then.
pub(crate) fn scan_new_dir(
    side: &mut FanSide,
    via: (WatchDescriptor, &WatchData),
    dir: PathBuf,
    expect: Option<FileIdBuf>,
    mark_dirs: bool,
    out: Out<'_>,
) {
    let (root_wd, template) = via;
    let data = template.child();
    // With inode marks, where a directory is looked for again if it is
    // not at its path when marked or listed: the marked directory it is
    // in, the template of the retry's scan, and its handle.
    let from_parent = expect.map(|id| (root_wd, template.clone(), id));
    let mut stack: Vec<Pending> = vec![Pending {
        dir,
        listed: None,
        from_parent,
        id: None,
    }];
    let mut first = true;
    while let Some(Pending {
        dir,
        mut listed,
        from_parent,
        id,
    }) = stack.pop()
    {
        let top = std::mem::take(&mut first);
        if template.exclude().is_some_and(|f| f.is_excluded(&dir)) {
            continue;
        }
        // Looked up again at the end of the round, from where the tree
        // says its parent is by then (a directory renamed with its
        // parent, whose record comes later in the round).
        let retry_later = |side: &mut FanSide, dir: &Path| {
            if let (Some((parent, template, id)), Some(name)) = (&from_parent, dir.file_name()) {
                side.raced.push(Raced {
                    parent: *parent,
                    name: name.to_os_string(),
                    data: template.clone(),
                    id: *id,
                });
            }
        };
        let check = from_parent.as_ref().map(|(_, _, id)| *id);
        // Not at its path any more.
        if let Some(id) = check
            && FileIdBuf::of(&dir).ok() != Some(id)
        {
            if mark_dirs {
                retry_later(side, &dir);
                continue;
            }
            // A filesystem mark needs no mark: the directory is listed
            // where it is now. Gone (deleted): its next rename, if any,
            // is treated as a move in.
            listed = side.now_at(&id);
            if listed.is_none() {
                side.unscanned.insert(id);
                continue;
            }
        }
        let wd = if mark_dirs {
            if side.tree.by_path(&dir).is_some() || (top && marked_elsewhere(side, &dir)) {
                continue;
            }
            match mark(side, &dir, data.clone(), true) {
                Ok(wd) => wd,
                Err(err) if err.io_error().is_some_and(is_race) => {
                    retry_later(side, &dir);
                    continue;
                }
                Err(err) => {
                    out(Processed::Error(err));
                    continue;
                }
            }
        } else {
            root_wd
        };
        let on_disk = listed.clone().unwrap_or_else(|| dir.clone());
        // Kept open while its entries are reported (their handles are
        // taken through it).
        let (entries, opened) = match open_listing(&on_disk) {
            Ok((file, through, entries)) => (entries, Some((file, through))),
            Err(err) if is_race(&err) => {
                if mark_dirs && !top {
                    // Marked, then gone from its path before the listing:
                    // listed again where it went.
                    side.tree.remove(wd);
                    retry_later(side, &dir);
                    continue;
                }
                // A filesystem mark: moved on (with a parent renamed
                // while the scan ran), it is listed where its handle says
                // it is now, its entries still reported at `dir`.
                let moved = id
                    .filter(|_| !mark_dirs)
                    .and_then(|id| list_moved_on(side, id));
                let Some((entries, at)) = moved else {
                    continue;
                };
                listed = Some(at);
                (entries, None)
            }
            Err(err) => {
                out(Processed::Error(Error::io(err, Some(&dir))));
                continue;
            }
        };
        let at = Listing {
            wd,
            dir: &dir,
            listed: listed.as_deref(),
            through: opened.as_ref().map(|(_, through)| through.as_path()),
            data: &data,
            mark_dirs,
        };
        report_entries(side, &at, entries, &mut stack, out);
    }
    if let Err(err) = super::read::drain(side) {
        out(Processed::Error(Error::io(err, None)));
    }
}

/// Whether the directory at `dir` is one marked under another path: the
/// new directory a record named is not there any more, a marked one was
/// renamed to its name by a record still to come, which re-paths it, and
/// scanning it here would report its entries twice (seed 16 of the model
/// check; the inotify backend's `add_new_top` has the same rule).
fn marked_elsewhere(side: &FanSide, dir: &Path) -> bool {
    FileIdBuf::of(dir).is_ok_and(|id| {
        (side.tree.by_id(id.as_file_id()))
            .and_then(|known| side.tree.get(known))
            .is_some_and(|node| node.path != dir)
    })
}

/// Lists the directory `id` where it is now (a filesystem mark, its path
/// gone while a scan ran); when it is gone too, it was reported without
/// what it held, as a moved-in directory its scan did not find
/// (`unscanned`).
fn list_moved_on(side: &mut FanSide, id: FileIdBuf) -> Option<(std::fs::ReadDir, PathBuf)> {
    let listed = side
        .now_at(&id)
        .and_then(|at| Some((long_path::read_dir(&at).ok()?, at)));
    if listed.is_none() {
        side.unscanned.insert(id);
    }
    listed
}

/// Opens the directory at `path` and lists it through that descriptor
/// (its `/proc/self/fd` link, also returned): the handles of its
/// subdirectories are taken through it too, so a rename of it, or of a
/// directory above it, while it is listed cannot lose them. By path, a
/// subdirectory whose parent was renamed between the listing and the
/// handle got none, so it was neither checked nor looked for again: its
/// entries were never reported (seed 17 of the inode-mark model check,
/// under load).
fn open_listing(path: &Path) -> std::io::Result<(fs::File, PathBuf, fs::ReadDir)> {
    use std::os::fd::AsRawFd;
    let file = fs::File::open(long_path::LongPath::new(path)?.as_path())?;
    let through = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    let entries = long_path::read_dir(&through)?;
    Ok((file, through, entries))
}

/// A directory [`scan_new_dir`] lists.
struct Listing<'a> {
    /// Its watch: its own mark, or the filesystem-mark root's.
    wd: WatchDescriptor,
    /// The path reported.
    dir: &'a Path,
    /// Where it is listed, when elsewhere on disk.
    listed: Option<&'a Path>,
    /// Its open descriptor's `/proc/self/fd` link, where its entries'
    /// handles are taken (`None`: by path).
    through: Option<&'a Path>,
    data: &'a WatchData,
    mark_dirs: bool,
}

/// Reports the entries of `at` not reported yet (synthetic `CREATE`s)
/// and queues its directories on `stack`.
fn report_entries(
    side: &mut FanSide,
    at: &Listing<'_>,
    entries: std::fs::ReadDir,
    stack: &mut Vec<Pending>,
    out: Out<'_>,
) {
    let target = Target::new(at.wd, at.dir, at.data);
    side.scanned.insert(at.dir.to_path_buf());
    for entry in entries.flatten() {
        let name = entry.file_name();
        let sub = at.dir.join(&name);
        // Reported by a record of this round already, or by a scan.
        if side.told.contains(&sub) || side.seen.contains(&sub) {
            continue;
        }
        let sub_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let sub_listed = at.listed.map(|l| l.join(&name));
        let sub_id = if sub_dir {
            let by = at.through.map(|t| t.join(&name));
            FileIdBuf::of(by.as_deref().or(sub_listed.as_deref()).unwrap_or(&sub)).ok()
        } else {
            None
        };
        side.seen.insert(sub.clone());
        if let Some(id) = sub_id {
            side.seen_dirs.insert(sub.clone(), id);
        }
        let mask = if sub_dir {
            EventMask::CREATE | EventMask::ISDIR
        } else {
            EventMask::CREATE
        };
        emit(out, &target, mask, 0, Some(&name), None, true);
        if sub_dir {
            if !at.mark_dirs
                && let Some(id) = sub_id
            {
                side.fs_dirs_learn(&sub, id);
            }
            let from_parent = sub_id
                .filter(|_| at.mark_dirs)
                .map(|id| (at.wd, at.data.clone(), id));
            stack.push(Pending {
                dir: sub,
                listed: sub_listed,
                from_parent,
                id: sub_id,
            });
        }
    }
}

/// A directory [`scan_new_dir`] is still to mark and list.
struct Pending {
    /// The path reported.
    dir: PathBuf,
    /// Where it is listed when it is elsewhere on disk (filesystem marks).
    listed: Option<PathBuf>,
    /// With inode marks: the marked directory it was found in (or
    /// appeared in), the template for scanning it again, and its handle.
    from_parent: Option<(WatchDescriptor, WatchData, FileIdBuf)>,
    /// Its handle when it was listed (a subdirectory).
    id: Option<FileIdBuf>,
}
