//! The fanotify side on [`WatchManager`]: creating a manager with a
//! [`Backend`], asking which backend a root got, the group's descriptor
//! for event loops; the small hooks the manager's queries call (`wd`,
//! `path`, `watches`, `rm_watch`, `close`), and the record handling that
//! changes the tree wholesale (renames).

use std::collections::BTreeMap;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use inotify_core::{
    EventMask, FanFeatures, FanMarkFlags, Fanotify, FileIdBuf, HandleResolver, MarkTarget,
    WatchDescriptor,
};

use super::add::{Out, scan_new_dir};
use super::mask::fan_mask;
use super::rec::Rec;
use super::{Backend, FanSide};
use crate::emit::{Target, emit};
use crate::error::{Error, ErrorKind, Result};
use crate::watch::{Watch, WatchData, WatchUpdate, watch_view};
use crate::watch_manager::{Shared, WatchManager};

impl WatchManager {
    /// A manager watching with `backend` ([`WatchManager::new`] is
    /// `with_backend(Backend::Inotify)`).
    ///
    /// The fanotify backends open one group in FID mode
    /// (`FAN_REPORT_DFID_NAME | FAN_REPORT_FID`, non-blocking) beside the
    /// manager's inotify instance; its descriptor is
    /// [`WatchManager::fanotify_fd`].
    ///
    /// # Errors
    /// For [`Backend::Fanotify`], [`Backend::Filesystem`] and
    /// [`Backend::Mount`]: a kernel without `FAN_REPORT_DFID_NAME` (before
    /// 5.9) or without unprivileged fanotify (before 5.13), and for
    /// `Filesystem` and `Mount` a process without `CAP_SYS_ADMIN`
    /// ([`crate::ErrorKind::PermissionDenied`]) — each message says what
    /// is missing. `Auto` never
    /// fails for want of fanotify: its roots go to inotify.
    pub fn with_backend(backend: Backend) -> Result<Self> {
        let wm = WatchManager::new()?;
        if backend == Backend::Inotify {
            return Ok(wm);
        }
        let features = FanFeatures::probe();
        let refused = if !features.available {
            Some("the kernel has no usable fanotify (fanotify_init failed)".to_owned())
        } else if !features.report_dfid_name {
            Some("kernel lacks FAN_REPORT_DFID_NAME (5.9+)".to_owned())
        } else if !features.admin && !features.unprivileged {
            Some("kernel lacks unprivileged fanotify (5.13+); needs CAP_SYS_ADMIN".to_owned())
        } else if backend == Backend::Filesystem && !features.admin {
            Some("needs CAP_SYS_ADMIN for a filesystem mark".to_owned())
        } else if backend == Backend::Mount && !features.admin {
            Some("needs CAP_SYS_ADMIN for a mount mark".to_owned())
        } else {
            None
        };
        let flags = FanSide::init_flags(features);
        let group = match refused {
            None => Fanotify::init(flags).map_err(|err| err.to_string()),
            Some(why) => Err(why),
        };
        let (group, unusable) = match group {
            Ok(group) => (Some(group), None),
            Err(why) if backend == Backend::Auto => (None, Some(why)),
            Err(why) => {
                return Err(Error::new(
                    ErrorKind::PermissionDenied,
                    None,
                    format!("cannot use the {backend} backend: {why}"),
                ));
            }
        };
        if let Some(group) = &group {
            let fd = group.as_fd().try_clone_to_owned()?;
            // A fresh manager: nobody else can have set it.
            let _ = wm.inner.fan_fd.set(fd);
        }
        wm.lock().fan = Some(Box::new(FanSide::new(backend, group, unusable, features)));
        Ok(wm)
    }

    /// The backend the manager was made with.
    pub fn backend(&self) -> Backend {
        self.lock()
            .fan
            .as_ref()
            .map_or(Backend::Inotify, |f| f.backend)
    }

    /// Which backend watches `path` (a root or a directory below one):
    /// [`Backend::Inotify`], [`Backend::Fanotify`] (inode marks),
    /// [`Backend::Filesystem`] or [`Backend::Mount`]; `None` when nothing
    /// watches it. With [`Backend::Auto`] this says what each root got.
    pub fn root_backend(&self, path: impl AsRef<Path>) -> Option<Backend> {
        let path = inotify_core::normalize(path.as_ref());
        let st = self.lock();
        if let Some(side) = &st.fan {
            if side.tree.by_path(&path).is_some() {
                return Some(Backend::Fanotify);
            }
            if let Some(root) = side.fs_roots.iter().find(|r| path.starts_with(&r.path)) {
                return Some(match root.scope {
                    super::Scope::Filesystem => Backend::Filesystem,
                    super::Scope::Mount(_) => Backend::Mount,
                });
            }
        }
        st.tree.wd(&path).map(|_| Backend::Inotify)
    }

    /// The fanotify group's descriptor (`None` for an inotify manager): a
    /// custom event loop polls it beside the inotify descriptor
    /// ([`AsFd`]) and [`WatchManager::pending_fd`].
    pub fn fanotify_fd(&self) -> Option<BorrowedFd<'_>> {
        self.inner.fan_fd.get().map(AsFd::as_fd)
    }

    /// Wakes a notifier for the `IGNORED` events of removed fanotify
    /// watches.
    pub(crate) fn wake_for_fan(&self) {
        if let Err(err) = self.inner.pending_waker.wake() {
            log::warn!("cannot wake the notifier for removed watches: {err}");
        }
    }
}

/// The hook of [`WatchManager::wd`].
pub(crate) fn wd(st: &Shared, path: &Path) -> Option<WatchDescriptor> {
    let side = st.fan.as_ref()?;
    let path = inotify_core::normalize(path);
    side.tree
        .by_path(&path)
        .or_else(|| side.fs_roots.iter().find(|r| r.path == path).map(|r| r.wd))
}

/// The hook of [`WatchManager::path`] and [`WatchManager::watch`].
pub(crate) fn watch(st: &Shared, wd: WatchDescriptor) -> Option<Watch> {
    let side = st.fan.as_ref()?;
    if let Some(node) = side.tree.get(wd) {
        return Some(watch_view(wd, &node.path, node.data.user_mask, &node.data));
    }
    let root = side.fs_roots.iter().find(|r| r.wd == wd)?;
    Some(watch_view(wd, &root.path, root.data.user_mask, &root.data))
}

/// The hook of [`WatchManager::watches`] and `num_watches`: every
/// fanotify watch.
pub(crate) fn watches(st: &Shared) -> Vec<Watch> {
    let Some(side) = st.fan.as_ref() else {
        return Vec::new();
    };
    let nodes = side
        .tree
        .iter()
        .map(|(wd, n)| watch_view(wd, &n.path, n.data.user_mask, &n.data));
    let roots = side
        .fs_roots
        .iter()
        .map(|r| watch_view(r.wd, &r.path, r.data.user_mask, &r.data));
    nodes.chain(roots).collect()
}

/// The number of fanotify watches.
pub(crate) fn count(st: &Shared) -> usize {
    st.fan
        .as_ref()
        .map_or(0, |side| side.tree.len() + side.fs_roots.len())
}

/// The hook of [`WatchManager::update_watch`] for inode-marked
/// directories: the new data, and the mark's mask extended to it (a mark
/// only gains bits; what it no longer needs is filtered out as for
/// inotify's bookkeeping bits). `None` when `wd` is not one of them.
pub(crate) fn update(
    st: &mut Shared,
    wd: WatchDescriptor,
    update: &WatchUpdate,
) -> Option<BTreeMap<WatchDescriptor, Result<()>>> {
    let side = st.fan.as_deref_mut()?;
    let path = side.tree.get(wd)?.path.clone();
    let wds = if update.rec {
        side.tree.subtree(&path)
    } else {
        vec![wd]
    };
    let mut out = BTreeMap::new();
    for w in wds {
        let rename = side.features.rename;
        let flags = side.mark_flags(w);
        let Some(node) = side.tree.get_mut(w) else {
            continue;
        };
        if let Some(mask) = update.mask
            && !mask.has_event_bit()
        {
            out.insert(w, Err(Error::no_event_bit(&node.path, mask)));
            continue;
        }
        if let Some(mask) = update.mask {
            node.data.user_mask = mask & inotify_core::WatchMask::ALL_EVENTS;
        }
        if let Some(handler) = &update.proc_fun {
            node.data.set_proc_fun(handler.clone());
        }
        if let Some(auto_add) = update.auto_add {
            node.data.auto_add = auto_add;
        }
        let res = side.group.as_ref().map_or(Ok(()), |group| {
            let mask = fan_mask(&node.data, rename, MarkTarget::Inode);
            group
                .add_mark(&node.path, MarkTarget::Inode, mask, flags)
                .map_err(|err| Error::io(err, Some(&node.path)))
        });
        out.insert(w, res);
    }
    Some(out)
}

/// The hook of [`WatchManager::rm_watch`]: removes `wd` (with `rec` its
/// subtree) and queues their `IGNORED`; `None` when `wd` is not fanotify's.
pub(crate) fn rm(st: &mut Shared, wd: WatchDescriptor, rec: bool) -> Option<Vec<WatchDescriptor>> {
    let side = st.fan.as_deref_mut()?;
    if let Some(node) = side.tree.get(wd) {
        let wds = if rec {
            side.tree.subtree(&node.path.clone())
        } else {
            vec![wd]
        };
        for w in &wds {
            let flags = side.mark_flags(*w);
            let Some(node) = side.tree.remove(*w) else {
                continue;
            };
            side.links.remove(w);
            if let Some(group) = &side.group {
                let mask = fan_mask(&node.data, side.features.rename, MarkTarget::Inode);
                if let Err(err) = group.remove_mark(&node.path, MarkTarget::Inode, mask, flags) {
                    log::debug!("{err}");
                }
            }
            side.ignored.push((*w, node.path, node.data));
        }
        return Some(wds);
    }
    let at = side.fs_roots.iter().position(|r| r.wd == wd)?;
    let root = side.fs_roots.remove(at);
    // The mark stays while another root shares it (same filesystem, or
    // same mount).
    if !side.fs_roots.iter().any(|r| r.shares_mark(&root))
        && let Some(group) = &side.group
    {
        let target = root.scope.target();
        let mask = fan_mask(&root.data, side.features.rename, target);
        let flags = inotify_core::FanMarkFlags::empty();
        if let Err(err) = group.remove_mark(&root.canon, target, mask, flags) {
            log::debug!("{err}");
        }
    }
    side.ignored.push((root.wd, root.path, root.data));
    Some(vec![wd])
}

/// The hook of [`WatchManager::close`]: removes every fanotify watch.
pub(crate) fn close(st: &mut Shared) {
    let wds: Vec<WatchDescriptor> = watches(st).iter().map(|w| w.wd).collect();
    for wd in wds {
        rm(st, wd, false);
    }
}

/// A watch an event is delivered through: descriptor, directory, data,
/// and whether it is an inode-marked directory.
struct At {
    wd: WatchDescriptor,
    dir: PathBuf,
    data: WatchData,
    inode: bool,
}

/// Where the directory `id` is watched.
fn place_of(side: &mut FanSide, id: &FileIdBuf) -> Option<At> {
    if let Some(wd) = side.tree.by_id(id.as_file_id()) {
        let node = side.tree.get(wd)?;
        if side.shadowed(&node.path, None) {
            return None;
        }
        return Some(At {
            wd,
            dir: node.path.clone(),
            data: node.data.clone(),
            inode: true,
        });
    }
    let canon = side.resolve(id.as_file_id())?;
    if side.in_unscanned(&canon) {
        return None;
    }
    let (root, dir) = side.place_fs(&canon)?;
    if side.shadowed(&dir, Some(&canon)) {
        return None;
    }
    Some(At {
        wd: root.wd,
        dir,
        data: root.data.clone(),
        inode: false,
    })
}

/// Emits `IGNORED` for watches the tree dropped.
pub(super) fn ignored(out: Out<'_>, dropped: Vec<(WatchDescriptor, super::tree::Node)>) {
    for (wd, node) in dropped {
        let target = Target::new(wd, &node.path, &node.data);
        emit(out, &target, EventMask::IGNORED, 0, None, None, false);
    }
}

/// Removes the kernel marks of directories moved out of every root (inode
/// marks): a mark is removed by path, and the record names the new place
/// by handle only, so each directory is found by its handle
/// (`open_by_handle_at`, through a resolver opened on `on_fs`, a
/// directory of the same filesystem). That needs `CAP_DAC_READ_SEARCH`;
/// without it (or when the directory is gone) the mark stays until the
/// directory is deleted, and its records are dropped as before.
fn unmark_moved_out(
    side: &FanSide,
    on_fs: &Path,
    dropped: &[(WatchDescriptor, super::tree::Node)],
) {
    let Some(group) = &side.group else {
        return;
    };
    if dropped.is_empty() {
        return;
    }
    let mut resolver = match HandleResolver::new(on_fs) {
        Ok(resolver) => resolver,
        Err(err) => {
            log::debug!("moved-out directories keep their marks: {err}");
            return;
        }
    };
    for (_, node) in dropped {
        let path = match resolver.resolve(node.id.as_file_id()) {
            Ok(path) => path.to_path_buf(),
            Err(err) => {
                log::debug!("{} keeps its mark: {err}", node.path.display());
                continue;
            }
        };
        // The path must still name the marked directory: one renamed
        // again since the look-up keeps its mark (its records are
        // dropped), rather than another directory losing one.
        if FileIdBuf::of(&path).ok() != Some(node.id) {
            continue;
        }
        let mask = fan_mask(&node.data, side.features.rename, MarkTarget::Inode);
        if let Err(err) = group.remove_mark(&path, MarkTarget::Inode, mask, FanMarkFlags::empty()) {
            log::debug!("{err}");
        }
    }
}

/// A new directory a scan did not find at a rename's old place is looked
/// for at its new one (or no longer, moved out).
fn raced_follows(
    side: &mut FanSide,
    old: Option<&(At, std::ffi::OsString)>,
    new: Option<&(At, std::ffi::OsString)>,
) {
    if let Some((from, from_name)) = old {
        let to = new.map(|(at, name)| (at.wd, name.as_os_str()));
        side.raced_moved((from.wd, from_name), to);
    }
}

/// A `FAN_RENAME` record: `MOVED_FROM` and `MOVED_TO` with one cookie when
/// both ends are watched, and the tree follows a renamed directory; a move
/// out drops the subtree, a move in is scanned like a new directory.
pub(crate) fn rename(
    side: &mut FanSide,
    old: Option<&(FileIdBuf, std::ffi::OsString)>,
    new: Option<&(FileIdBuf, std::ffi::OsString)>,
    rec: &Rec,
    out: Out<'_>,
) {
    let is_dir = rec.is_dir();
    let dir_bit = if is_dir {
        EventMask::ISDIR
    } else {
        EventMask::empty()
    };
    if is_dir && !side.fs_roots.is_empty() {
        side.fs_renamed(old, new, rec.fid());
    }
    let mut old = old.and_then(|(id, name)| place_of(side, id).map(|at| (at, name.clone())));
    // Renamed out of a directory a scan listed without it: the consumer
    // never heard of it, so this is a move in (as inotify, whose watch
    // of that directory came after the rename, reports it). Renamed into
    // such a place: a move out.
    if old
        .as_ref()
        .is_some_and(|(at, name)| side.hidden(&at.dir.join(name)))
    {
        old = None;
    }
    // Renamed from a path where a scan of this round reported another
    // directory (the disk it listed was ahead of this record: that one
    // took the name later): what the consumer has there is not this
    // directory, so it stays, and this is a move in.
    if let (Some((at, name)), Some(fid)) = (&old, rec.fid())
        && side
            .seen_dirs
            .get(&at.dir.join(name))
            .is_some_and(|id| *id != fid)
    {
        old = None;
    }
    let new = new
        .and_then(|(id, name)| place_of(side, id).map(|at| (at, name.clone())))
        .filter(|(at, _)| !side.hidden(&at.dir));
    raced_follows(side, old.as_ref(), new.as_ref());
    let src = old.as_ref().map(|(at, name)| at.dir.join(name));
    let cookie = if old.is_some() { side.new_cookie() } else { 0 };
    if let (Some((at, name)), Some(src)) = (&old, &src) {
        side.seen.remove(src);
        side.seen_dirs.remove(src);
        side.told.remove(src);
        let target = Target::new(at.wd, &at.dir, &at.data);
        emit(
            out,
            &target,
            EventMask::MOVED_FROM | dir_bit,
            cookie,
            Some(name),
            None,
            false,
        );
    }
    let Some((at, name)) = new else {
        if let Some(src) = src.filter(|_| is_dir) {
            side.moved_in_round(&src, &src, false);
            let dropped = side.tree.remove_subtree(&src);
            if let Some((at, _)) = &old {
                unmark_moved_out(side, &at.dir, &dropped);
            }
            ignored(out, dropped);
        }
        return;
    };
    let dst = at.dir.join(&name);
    if side.seen.contains(&dst) {
        // A scan in this round listed it there already (with its subtree).
        if let Some(src) = src.filter(|_| is_dir) {
            side.moved_in_round(&src, &dst, false);
            if at.inode {
                follow_listed(side, &src, &dst, rec.fid(), out);
            }
        }
        return;
    }
    side.told.insert(dst.clone());
    let renamed = is_dir && src.as_ref().is_some_and(|s| side.tree.by_path(s).is_some());
    if renamed && let Some(src) = &src {
        let replaced = side.tree.rename(src, &dst);
        ignored(out, replaced);
    } else if is_dir {
        ignored(out, side.tree.remove_subtree(&dst));
    }
    // A directory moved in whose scan found it gone (moved on before the
    // scan looked): the consumer knows it but not what it held, so this
    // move is a move out and a move in, and the new place is scanned.
    let unscanned = rec.fid().is_some_and(|id| side.unscanned.remove(&id));
    let (cookie, src) = if old.is_some() && !unscanned {
        (cookie, src)
    } else {
        (0, None)
    };
    let moved_in = src.is_none();
    if is_dir {
        // What this round reported below the old place moves along with
        // the consumer's picture (paired), or is forgotten with it.
        side.moved_in_round(&dst, &dst, false);
        if let Some(from) = old.as_ref().map(|(at, name)| at.dir.join(name)) {
            side.moved_in_round(&from, &dst, !moved_in);
        }
    }
    let target = Target::new(at.wd, &at.dir, &at.data);
    emit(
        out,
        &target,
        EventMask::MOVED_TO | dir_bit,
        cookie,
        Some(&name),
        src,
        false,
    );
    // A directory new to the tree: inode marks need marks and a scan; a
    // filesystem mark sees it already, but what it holds was made before
    // it came in, so a move in is listed.
    if is_dir && at.data.auto_add && !renamed && (at.inode || moved_in) {
        scan_new_dir(side, (at.wd, &at.data), dst, rec.fid(), at.inode, out);
    }
}

/// Inode marks: a directory renamed from `src` to `dst` where a scan of
/// the round listed `dst` already. If the scan listed this directory
/// there, its marked subtree follows it (the scan moved its own node
/// only); if it listed another one, the consumer has that one at `dst`,
/// and this one's watches end (records of it could only be placed where
/// the consumer has something else; a later rename of it is a move in).
fn follow_listed(side: &mut FanSide, src: &Path, dst: &Path, fid: Option<FileIdBuf>, out: Out<'_>) {
    let listed_here = fid.is_some_and(|id| side.seen_dirs.get(dst) == Some(&id));
    if listed_here {
        side.tree.merge_into(src, dst);
        return;
    }
    let at = fid
        .and_then(|id| side.tree.by_id(id.as_file_id()))
        .and_then(|wd| side.tree.get(wd))
        .map_or_else(|| src.to_path_buf(), |node| node.path.clone());
    if at.starts_with(dst) {
        return;
    }
    let dropped = side.tree.remove_subtree(&at);
    ignored(out, dropped);
}
