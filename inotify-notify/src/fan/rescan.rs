//! The fanotify side's recovery from `Q_OVERFLOW`: a picture of what the
//! consumer was told ([`Picture`], kept from the events delivered while
//! overflow rescans are on), and the rescan that walks the roots after an
//! overflow, re-marks what inode marks miss, re-learns directory paths
//! under a filesystem mark, and delivers the synthetic `CREATE`s and
//! `DELETE`s that bring the consumer back in line with the disk, as the
//! inotify backend's rescan (`crate::rescan`) does from its snapshots.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use inotify_core::{EventKind, EventMask, FileIdBuf, WatchDescriptor, is_race, long_path};

use super::FanSide;
use super::add::{Out, mark};
use crate::emit::{Processed, Target, emit};
use crate::error::Error;
use crate::event::Event;
use crate::watch::WatchData;
use crate::watch_manager::Shared;

/// The entries below the fanotify roots as the consumer knows them: built
/// from the disk when rescans are turned on, then kept in line with every
/// event delivered (the stress test's model, inside the manager).
#[derive(Default)]
pub(crate) struct Picture {
    /// Path → is a directory.
    entries: BTreeMap<PathBuf, bool>,
    /// What a `MOVED_FROM` took away, until its `MOVED_TO`.
    moving: HashMap<u32, Vec<(PathBuf, bool)>>,
}

impl Picture {
    /// Removes `path` and everything below it; returns them, relative.
    fn remove_subtree(&mut self, path: &Path) -> Vec<(PathBuf, bool)> {
        let below: Vec<PathBuf> = self
            .entries
            .range::<Path, _>((std::ops::Bound::Included(path), std::ops::Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(path))
            .map(|(p, _)| p.clone())
            .collect();
        below
            .into_iter()
            .filter_map(|p| {
                let dir = self.entries.remove(&p)?;
                Some((p.strip_prefix(path).ok()?.to_path_buf(), dir))
            })
            .collect()
    }

    /// Follows one delivered event.
    pub(crate) fn apply(&mut self, event: &Event) {
        if event.name().is_none() {
            return;
        }
        let path = event.pathname();
        match event.kind() {
            EventKind::Create => {
                self.entries.insert(path.to_path_buf(), event.dir);
            }
            EventKind::Delete => {
                self.remove_subtree(path);
            }
            EventKind::MovedFrom => {
                let moved = self.remove_subtree(path);
                if event.cookie != 0 {
                    self.moving.insert(event.cookie, moved);
                }
            }
            EventKind::MovedTo => {
                self.remove_subtree(path);
                let moved = self.moving.remove(&event.cookie).unwrap_or_default();
                if event.src_pathname.is_some() && !moved.is_empty() {
                    for (rest, dir) in moved {
                        let at = if rest.as_os_str().is_empty() {
                            path.to_path_buf()
                        } else {
                            path.join(rest)
                        };
                        self.entries.insert(at, dir);
                    }
                } else {
                    self.entries.insert(path.to_path_buf(), event.dir);
                }
            }
            _ => {}
        }
    }

    /// The entries strictly below `root` (all of them with `rec`, else
    /// those directly in it).
    fn below(&self, root: &Path, rec: bool) -> BTreeMap<PathBuf, bool> {
        self.entries
            .range::<Path, _>((std::ops::Bound::Excluded(root), std::ops::Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(root))
            .filter(|(p, _)| rec || p.parent() == Some(root))
            .map(|(p, d)| (p.clone(), *d))
            .collect()
    }
}

/// `out`, with every event delivered also applied to `picture` (when
/// rescans are on).
pub(crate) fn mirror<'a>(
    picture: &'a mut Option<Picture>,
    out: Out<'a>,
) -> impl FnMut(Processed) + 'a {
    move |processed| {
        if let (Some(picture), Processed::Event { event, .. }) = (picture.as_mut(), &processed) {
            picture.apply(event);
        }
        out(processed);
    }
}

/// A root of the fanotify side, as the rescan walks it.
struct Root {
    wd: WatchDescriptor,
    path: PathBuf,
    /// The canonical path (filesystem marks), to re-learn directory paths.
    canon: Option<PathBuf>,
    data: WatchData,
}

/// The directory roots of the fanotify side.
fn roots(side: &FanSide) -> Vec<Root> {
    let inode = side
        .tree
        .iter()
        .filter(|(_, n)| n.data.root && n.data.is_dir)
        .map(|(wd, n)| Root {
            wd,
            path: n.path.clone(),
            canon: None,
            data: n.data.clone(),
        });
    let fs = side.fs_roots.iter().map(|r| Root {
        wd: r.wd,
        path: r.path.clone(),
        canon: Some(r.canon.clone()),
        data: r.data.clone(),
    });
    inode.chain(fs).collect()
}

/// What a walk of a root found: every entry below it, and its directories
/// (the root's first) with their handles.
#[derive(Default)]
struct Walked {
    entries: BTreeMap<PathBuf, bool>,
    dirs: Vec<(PathBuf, Option<FileIdBuf>)>,
}

/// Walks `root` on disk (below it only one level without `rec`), skipping
/// what its filter excludes; `visit` sees each directory (and its handle)
/// before it is listed. Directories that vanish meanwhile are skipped;
/// other failures go to `out`.
fn walk(
    root: &Root,
    mut visit: impl FnMut(&Path, Option<FileIdBuf>, Out<'_>),
    out: Out<'_>,
) -> Walked {
    let mut walked = Walked::default();
    let mut stack = vec![root.path.clone()];
    while let Some(dir) = stack.pop() {
        let id = FileIdBuf::of(&dir).ok();
        visit(&dir, id, &mut *out);
        walked.dirs.push((dir.clone(), id));
        let entries = match long_path::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => {
                if !is_race(&err) {
                    out(Processed::Error(Error::io(err, Some(&dir))));
                }
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = dir.join(entry.file_name());
            if root.data.exclude().is_some_and(|f| f.is_excluded(&path)) {
                continue;
            }
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            walked.entries.insert(path.clone(), is_dir);
            if is_dir && root.data.rec {
                stack.push(path);
            }
        }
    }
    walked
}

/// The hook of `WatchManager::enable_snapshots` (a notifier turning
/// overflow rescans on): the picture starts as the disk is now.
pub(crate) fn enable(st: &mut Shared) {
    let Some(side) = st.fan.as_deref_mut() else {
        return;
    };
    if side.picture.is_some() {
        return;
    }
    let mut picture = Picture::default();
    let mut errors = Vec::new();
    for root in roots(side) {
        let walked = walk(&root, |_, _, _| {}, &mut |p| errors.push(p));
        picture.entries.extend(walked.entries);
    }
    for err in errors {
        if let Processed::Error(err) = err {
            log::warn!("overflow rescans: {err}");
        }
    }
    side.picture = Some(picture);
}

/// Adds what a root added while rescans are on holds to the picture.
pub(crate) fn picture_root(side: &mut FanSide, wd: WatchDescriptor) {
    if side.picture.is_none() {
        return;
    }
    let Some(root) = roots(side).into_iter().find(|r| r.wd == wd) else {
        return;
    };
    let walked = walk(&root, |_, _, _| {}, &mut |_| {});
    if let Some(picture) = side.picture.as_mut() {
        picture.entries.extend(walked.entries);
    }
}

/// The rescan after `Q_OVERFLOW`: each root is walked; with inode marks
/// every directory found is marked (a marked one keeps its descriptor)
/// and watches whose directory is gone end with `IGNORED`; under a
/// filesystem mark the directories' paths are learnt again; then what
/// the consumer's picture lacks is delivered as `CREATE`s (parents first)
/// and what it has that is gone as `DELETE`s (children first). Without a
/// picture (rescans were never turned on) only the marks and paths are
/// repaired. What the walk saw counts as reported in this round, so the
/// records read after it are not reported twice.
pub(crate) fn rescan(side: &mut FanSide, picture: &mut Option<Picture>, out: Out<'_>) {
    let mut visited: HashSet<WatchDescriptor> = HashSet::new();
    let mut inode_roots = false;
    for root in roots(side) {
        let walked = if root.canon.is_none() {
            inode_roots = true;
            // Each directory marked before it is listed, as a new one is:
            // what changes in it after the listing is then reported.
            walk(
                &root,
                |dir, id, out| remark(side, &root, dir, id, &mut visited, out),
                out,
            )
        } else {
            let walked = walk(&root, |_, _, _| {}, out);
            relearn(side, &root, &walked);
            walked
        };
        side.scanned
            .extend(walked.dirs.iter().map(|(d, _)| d.clone()));
        side.seen.extend(walked.entries.keys().cloned());
        for (dir, id) in &walked.dirs {
            if let Some(id) = id {
                side.seen_dirs.insert(dir.clone(), *id);
            }
        }
        if let Some(known) = picture.as_ref().map(|p| p.below(&root.path, root.data.rec)) {
            let mut both = mirror(picture, out);
            deliver_diff(side, &root, &known, &walked.entries, &mut both);
        }
    }
    if inode_roots {
        let stale: Vec<WatchDescriptor> = side
            .tree
            .iter()
            .filter(|(wd, n)| n.data.is_dir && !visited.contains(wd))
            .map(|(wd, _)| wd)
            .collect();
        for wd in stale {
            if let Some(node) = side.tree.remove(wd) {
                let target = Target::new(wd, &node.path, &node.data);
                emit(out, &target, EventMask::IGNORED, 0, None, None, true);
            }
        }
    }
    if let Err(err) = super::read::drain(side) {
        out(Processed::Error(Error::io(err, None)));
    }
}

/// Marks the directory `dir` (`id` its handle) of `root` (inode marks),
/// keeping the data of one marked already; its descriptor goes to
/// `visited`.
fn remark(
    side: &mut FanSide,
    root: &Root,
    dir: &Path,
    id: Option<FileIdBuf>,
    visited: &mut HashSet<WatchDescriptor>,
    out: Out<'_>,
) {
    let known = id.and_then(|id| side.tree.by_id(id.as_file_id()));
    let data = match known.and_then(|wd| side.tree.get(wd)) {
        Some(node) => node.data.clone(),
        None if dir == root.path => root.data.clone(),
        None => root.data.child(),
    };
    if !(data.rec || data.auto_add || dir == root.path) {
        return;
    }
    let follow = !known.is_some_and(|wd| side.links.contains(&wd));
    match mark(side, dir, data, follow) {
        Ok(wd) => {
            visited.insert(wd);
        }
        Err(err) if err.io_error().is_some_and(is_race) => {}
        Err(err) => out(Processed::Error(err)),
    }
}

/// Learns the paths of the directories of `walked` again (filesystem
/// marks): records read after the overflow are placed where they are.
fn relearn(side: &mut FanSide, root: &Root, walked: &Walked) {
    let Some(canon) = &root.canon else {
        return;
    };
    for (dir, id) in &walked.dirs {
        if let (Some(id), Ok(rest)) = (id, dir.strip_prefix(&root.path)) {
            side.fs_dirs_insert(*id, canon.join(rest));
        }
    }
}

/// Delivers the `DELETE`s and `CREATE`s that turn `known` (the picture
/// below `root`) into `now` (the disk).
fn deliver_diff(
    side: &FanSide,
    root: &Root,
    known: &BTreeMap<PathBuf, bool>,
    now: &BTreeMap<PathBuf, bool>,
    out: Out<'_>,
) {
    let changed =
        |path: &PathBuf, dir: &bool, other: &BTreeMap<PathBuf, bool>| other.get(path) != Some(dir);
    // Children first, and nothing below a directory deleted already.
    let mut gone: Vec<(&PathBuf, &bool)> =
        known.iter().filter(|(p, d)| changed(p, d, now)).collect();
    gone.reverse();
    for (path, dir) in gone {
        one(side, root, path, EventMask::DELETE, *dir, out);
    }
    for (path, dir) in now.iter().filter(|(p, d)| changed(p, d, known)) {
        one(side, root, path, EventMask::CREATE, *dir, out);
    }
}

/// One synthetic event about `path`, through its directory's watch.
fn one(side: &FanSide, root: &Root, path: &Path, mask: EventMask, dir: bool, out: Out<'_>) {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let marked = root
        .canon
        .is_none()
        .then(|| side.tree.by_path(parent))
        .flatten()
        .and_then(|wd| Some((wd, side.tree.get(wd)?.data.clone())));
    let (wd, data) = marked.unwrap_or_else(|| (root.wd, root.data.clone()));
    let mask = if dir { mask | EventMask::ISDIR } else { mask };
    emit(
        out,
        &Target::new(wd, parent, &data),
        mask,
        0,
        Some(name),
        None,
        true,
    );
}
