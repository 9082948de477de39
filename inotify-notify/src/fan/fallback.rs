//! The fanotify fallback of an inotify manager
//! ([`WatchManager::enable_fanotify_fallback`]): the subtrees a recursive
//! add, an auto-add or a rescan left unwatched (`max_user_watches` reached)
//! are watched with fanotify inode marks instead, on fanotify's own budget
//! (`max_user_marks`), so events of the whole tree keep arriving.
//!
//! The hooks here are the only way in: [`add_all`] wraps the add of
//! `add_watches`, [`round`] runs at the end of each processing round, and
//! [`report`] feeds the limit report. The fanotify side itself is the one
//! of [`Backend::Fanotify`] managers; its backend stays
//! [`Backend::Inotify`], so roots still go to inotify first.

use std::collections::BTreeSet;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use inotify_core::{FanFeatures, Fanotify, WatchDescriptor, WatchMask};

use super::add::{Out, mark_tree, scan_new_dir};
use super::{Backend, FanSide};
use crate::emit::Processed;
use crate::error::{Error, ErrorKind, Result};
use crate::tree::finish_walk;
use crate::watch::{Hooks, WatchData, WatchOptions};
use crate::watch_manager::{Shared, WatchManager, is_dir};

/// What the fallback did (behind the manager's lock, `Shared::fallback`).
#[derive(Debug, Default)]
pub(crate) struct Fallback {
    /// The tops of the subtrees watched through fanotify instead.
    subtrees: BTreeSet<PathBuf>,
    /// Why fanotify could not take (some of) the unwatched subtrees.
    refused: Option<String>,
    /// Unwatched tops tried already: not tried again while they stay
    /// unwatched (a refusal does not change from one round to the next).
    tried: BTreeSet<PathBuf>,
}

impl WatchManager {
    /// Watches the subtrees that inotify cannot take (its watch limit,
    /// `max_user_watches`, reached during a recursive add, an auto-add or
    /// a rescan) with fanotify inode marks instead: their own budget,
    /// `/proc/sys/fs/fanotify/max_user_marks`, unprivileged on Linux 5.13
    /// and later. Events of the whole tree then keep arriving, as
    /// [`Backend::Fanotify`] delivers them (see [`Backend`] for how they
    /// differ); [`WatchManager::unwatched`] lists only what neither
    /// backend watches, [`WatchManager::fanotify_fallbacks`] and
    /// [`WatchManager::limit_report`] what went to fanotify, and
    /// [`WatchManager::root_backend`] says [`Backend::Fanotify`] for those
    /// directories. Subtrees already unwatched are taken at once.
    ///
    /// A directory that inotify could not watch is still reported once to
    /// `process_error` (an auto-add) or in `add_watch`'s map (a quiet
    /// add); a non-quiet `add_watch` whose failures fanotify all took
    /// succeeds. The fanotify group is opened here, not when the limit is
    /// hit, so its descriptor ([`WatchManager::fanotify_fd`]) is there
    /// for an event loop from the start: a mio registration takes the
    /// manager's descriptors when it is made, so call this before
    /// registering ([`crate::Notifier`], [`crate::ThreadedNotifier`] and
    /// `AsyncNotifier` (feature `tokio`) pick the group up on their next wait).
    ///
    /// ```
    /// use inotify_notify::{WatchManager, WatchMask, WatchOptions};
    /// let dir = std::env::temp_dir().join(format!("fallback-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(dir.join("sub"))?;
    /// let wm = WatchManager::new()?;
    /// if let Err(err) = wm.enable_fanotify_fallback() {
    ///     eprintln!("no fallback: {err}"); // inotify alone, as before
    /// }
    /// let options = WatchOptions { rec: true, auto_add: true, ..WatchOptions::default() };
    /// wm.add_watch(&dir, WatchMask::CREATE, &options)?;
    /// // Within the watch limit: everything is inotify's.
    /// assert!(wm.fanotify_fallbacks().is_empty());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    ///
    /// # Errors
    /// `PermissionDenied` when fanotify cannot be used (a kernel before
    /// 5.13 without `CAP_SYS_ADMIN`, before 5.9, or `fanotify_init`
    /// refused), naming why. The manager goes on with inotify alone, and
    /// its [`WatchManager::limit_report`] says why fanotify did not take
    /// the unwatched subtrees.
    pub fn enable_fanotify_fallback(&self) -> Result<()> {
        let mut st = self.lock();
        let mut unusable = None;
        if st.fallback.is_none() {
            let mut fallback = Fallback::default();
            match st.fan.as_deref() {
                Some(side) if side.group.is_none() => {
                    unusable = Some(
                        side.unusable
                            .clone()
                            .unwrap_or_else(|| "no group".to_owned()),
                    );
                }
                Some(_) => {}
                None => match open_side() {
                    Ok(side) => {
                        if let Some(group) = &side.group {
                            let fd = group.as_fd().try_clone_to_owned()?;
                            // Only set here, and the side was absent.
                            let _ = self.inner.fan_fd.set(fd);
                            // Running notifiers wake and take it up.
                            if let Err(err) = self.inner.pending_waker.wake() {
                                log::warn!(
                                    "cannot wake the notifier for the fanotify group: {err}"
                                );
                            }
                        }
                        st.fan = Some(Box::new(side));
                    }
                    Err(why) => unusable = Some(why),
                },
            }
            fallback.refused.clone_from(&unusable);
            st.fallback = Some(fallback);
            let mut results = Vec::new();
            take(&mut st, None, false, &mut results);
        } else if st.fan.as_deref().is_none_or(|side| side.group.is_none()) {
            unusable = st.fallback.as_ref().and_then(|f| f.refused.clone());
        }
        drop(st);
        self.wake_if_pending();
        match unusable {
            Some(why) => Err(Error::new(
                ErrorKind::PermissionDenied,
                None,
                format!("cannot use fanotify as the fallback: {why}"),
            )),
            _ => Ok(()),
        }
    }

    /// The subtrees watched through fanotify by the fallback
    /// ([`WatchManager::enable_fanotify_fallback`]), by their top
    /// directory, sorted.
    pub fn fanotify_fallbacks(&self) -> Vec<PathBuf> {
        let st = self.lock();
        fallback_tops(&st)
    }
}

/// The tops still marked (a subtree deleted since is not listed).
fn fallback_tops(st: &Shared) -> Vec<PathBuf> {
    let (Some(fallback), Some(side)) = (&st.fallback, st.fan.as_deref()) else {
        return Vec::new();
    };
    fallback
        .subtrees
        .iter()
        .filter(|p| side.tree.by_path(p).is_some())
        .cloned()
        .collect()
}

/// The fallback's part of the limit report: each subtree with its marked
/// directories, and why fanotify refused.
pub(crate) fn report(st: &Shared) -> (Vec<(PathBuf, usize)>, Option<String>) {
    let Some(side) = st.fan.as_deref() else {
        let refused = st.fallback.as_ref().and_then(|f| f.refused.clone());
        return (Vec::new(), refused);
    };
    let tops = fallback_tops(st)
        .into_iter()
        .map(|p| {
            let n = side.tree.subtree(&p).len();
            (p, n)
        })
        .collect();
    (tops, st.fallback.as_ref().and_then(|f| f.refused.clone()))
}

/// The group of the fallback, on a side whose backend stays inotify;
/// `Err` says why fanotify is unusable.
fn open_side() -> std::result::Result<FanSide, String> {
    let features = FanFeatures::probe();
    if !features.available {
        return Err("the kernel has no usable fanotify (fanotify_init failed)".to_owned());
    }
    if !features.report_dfid_name {
        return Err("kernel lacks FAN_REPORT_DFID_NAME (5.9+)".to_owned());
    }
    if !features.admin && !features.unprivileged {
        return Err("kernel lacks unprivileged fanotify (5.13+); needs CAP_SYS_ADMIN".to_owned());
    }
    let group = Fanotify::init(FanSide::init_flags(features)).map_err(|err| err.to_string())?;
    Ok(FanSide::new(Backend::Inotify, Some(group), None, features))
}

/// `add_watches` with the fallback on: each path is added quietly, what
/// inotify left unwatched goes to fanotify, and only then does a
/// non-quiet add stop at its first remaining failure. The results of the
/// marked directories replace the inotify errors of their tops.
pub(crate) fn add_all<I, P>(
    st: &mut Shared,
    paths: I,
    mask: WatchMask,
    options: &WatchOptions,
    keep: bool,
    all: &mut Vec<(PathBuf, Result<WatchDescriptor>)>,
) -> Result<usize>
where
    I: IntoIterator<Item = P>,
    P: AsRef<Path>,
{
    let quiet = WatchOptions {
        quiet: true,
        ..options.clone()
    };
    let mut added = 0;
    for path in paths {
        let start = all.len();
        added += crate::add_result::add_all(st, [path.as_ref()], mask, &quiet, keep, all)?;
        let root = root_data(path.as_ref(), mask, options);
        let mut marked = Vec::new();
        added += take(st, Some(&root), keep, &mut marked);
        let taken: BTreeSet<PathBuf> = st
            .fan
            .as_deref()
            .map(|side| {
                all[start..]
                    .iter()
                    .filter(|(p, res)| res.is_err() && side.tree.by_path(p).is_some())
                    .map(|(p, _)| p.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut index = 0;
        all.retain(|(p, res)| {
            index += 1;
            index <= start || !(res.is_err() && taken.contains(p))
        });
        all.append(&mut marked);
        crate::add_result::stop_at_failure(all, start, options.quiet)?;
    }
    Ok(added)
}

/// The data of a root that inotify could not watch at all.
fn root_data(path: &Path, mask: WatchMask, options: &WatchOptions) -> WatchData {
    WatchData {
        user_mask: mask & WatchMask::ALL_EVENTS,
        rec: options.rec,
        auto_add: options.auto_add,
        is_dir: is_dir(path, !options.dont_follow),
        root: true,
        hooks: Hooks::new(options.proc_fun.clone(), options.exclude_filter.clone()),
    }
}

/// The end of a processing round: the subtrees an auto-add or a rescan
/// left unwatched are marked and listed (a synthetic `CREATE` for each
/// entry, as a scan of a new directory reports them), and the records the
/// scans drained are processed. Returns the records read.
///
/// # Errors
/// A failed read of the group.
pub(crate) fn round(st: &mut Shared, rescan_on_overflow: bool, out: Out<'_>) -> Result<usize> {
    // The `IGNORED` of subtrees moved out in this round.
    let ignored = st.fan.as_deref().is_some_and(|s| !s.ignored.is_empty());
    if !pending(st) && !ignored {
        return Ok(0);
    }
    let tops = candidates(st, None);
    let mut any = false;
    for (top, via) in tops {
        let Some((wd, data)) = via else { continue };
        note_listing(st, &top);
        let Some(side) = st.fan.as_deref_mut() else {
            break;
        };
        let mut refused = None;
        let mut failed = Vec::new();
        scan_new_dir(side, (wd, &data), top.clone(), None, true, &mut |p| {
            if let Processed::Error(err) = &p {
                refused.get_or_insert_with(|| err.to_string());
                failed.extend(err.path().map(Path::to_path_buf));
            }
            out(p);
        });
        let marked = side.tree.by_path(&top).is_some();
        any |= marked;
        settle(st, &top, marked, refused, failed);
    }
    if st.tree.walking() {
        finish_walk(&mut st.tree);
    }
    if !any && !ignored {
        return Ok(0);
    }
    super::process::process_ready(st, rescan_on_overflow, out)
}

/// Whether unwatched tops wait for the fallback.
fn pending(st: &Shared) -> bool {
    let Some(fallback) = &st.fallback else {
        return false;
    };
    st.fan.as_deref().is_some_and(|s| s.group.is_some())
        && st
            .tree
            .unwatched()
            .iter()
            .any(|p| !fallback.tried.contains(p))
}

/// The unwatched tops not tried yet, each with the watch its marks copy
/// (the nearest watched ancestor, or `root` for a root inotify refused).
fn candidates(
    st: &mut Shared,
    root: Option<&WatchData>,
) -> Vec<(PathBuf, Option<(WatchDescriptor, WatchData)>)> {
    st.tree.prune_unwatched();
    let Shared { tree, fallback, .. } = &mut *st;
    let Some(fallback) = fallback.as_mut() else {
        return Vec::new();
    };
    let unwatched = tree.unwatched();
    fallback.tried.retain(|p| unwatched.contains(p));
    let mut out = Vec::new();
    for top in unwatched {
        if !fallback.tried.insert(top.clone()) {
            continue;
        }
        let via = top.ancestors().skip(1).find_map(|a| {
            let wd = tree.wd(a)?;
            Some((wd, tree.table().get(wd)?.data.child()))
        });
        let via = via.or_else(|| root.map(|r| (WatchDescriptor::from_raw(-1), r.clone())));
        out.push((top.clone(), via));
    }
    out
}

/// Notes the listing of `top` in its inotify-watched parent, so the walk's
/// final drain drops the `OPEN`/`CLOSE_NOWRITE` it causes there.
fn note_listing(st: &mut Shared, top: &Path) {
    st.tree.note_foreign_listing(top);
}

/// Marks the unwatched tops (the recursive add's way: no listing events);
/// pushes the marks as `add_tree` does. Returns the marks added.
fn take(
    st: &mut Shared,
    root: Option<&WatchData>,
    keep: bool,
    results: &mut Vec<(PathBuf, Result<WatchDescriptor>)>,
) -> usize {
    if !pending(st) {
        return 0;
    }
    let mut added = 0;
    for (top, via) in candidates(st, root) {
        let Some((_, data)) = via else { continue };
        note_listing(st, &top);
        let Some(side) = st.fan.as_deref_mut() else {
            break;
        };
        let mut out = Vec::new();
        added += mark_tree(side, &top, &data, keep, &mut out, true);
        let marked = side.tree.by_path(&top).is_some();
        let mut refused = None;
        let mut failed = Vec::new();
        for (path, res) in out {
            match res {
                Ok(wd) => results.push((path, Ok(wd))),
                // The top's own error stays inotify's (already reported).
                Err(err) if path == top => {
                    refused.get_or_insert_with(|| err.to_string());
                }
                Err(err) => {
                    refused.get_or_insert_with(|| err.to_string());
                    failed.push(path.clone());
                    results.push((path, Err(err)));
                }
            }
        }
        settle(st, &top, marked, refused, failed);
    }
    if st.tree.walking() {
        finish_walk(&mut st.tree);
    }
    added
}

/// Books a top's outcome: marked, it leaves the unwatched set for the
/// fallback's list; directories below it fanotify refused are unwatched.
fn settle(
    st: &mut Shared,
    top: &Path,
    marked: bool,
    refused: Option<String>,
    failed: Vec<PathBuf>,
) {
    let Shared {
        fallback,
        tree,
        fan,
        ..
    } = st;
    let Some(fallback) = fallback.as_mut() else {
        return;
    };
    if marked {
        tree.set_unwatched(top, false);
        fallback.tried.remove(top);
        fallback.subtrees.insert(top.to_path_buf());
    }
    if let Some(why) = refused {
        log::debug!("fanotify fallback for {}: {why}", top.display());
        fallback.refused = Some(why);
    }
    // A directory marked whose listing failed is watched all the same.
    let is_marked = |p: &Path| fan.as_deref().is_some_and(|s| s.tree.by_path(p).is_some());
    for path in failed {
        if path.as_path() != top && !is_marked(&path) {
            fallback.tried.insert(path.clone());
            tree.set_unwatched(&path, true);
        }
    }
}

/// The hook of a directory renamed in an inotify-watched directory: the
/// fanotify subtrees at or below `src` follow (their marks see no record
/// of a rename in an unmarked directory). Returns whether `src` itself
/// was marked (then it is no new directory to watch).
pub(crate) fn renamed(st: &mut Shared, src: &Path, dst: &Path) -> bool {
    let (Some(fallback), Some(side)) = (st.fallback.as_mut(), st.fan.as_deref_mut()) else {
        return false;
    };
    let top = side.tree.by_path(src).is_some();
    // What was at `dst` was an empty directory, replaced: its marks
    // went with it.
    side.tree.rename(src, dst);
    fallback.subtrees = std::mem::take(&mut fallback.subtrees)
        .into_iter()
        .map(|p| match p.strip_prefix(src) {
            Ok(rest) if rest.as_os_str().is_empty() => dst.to_path_buf(),
            Ok(rest) => dst.join(rest),
            Err(_) => p,
        })
        .collect();
    top
}

/// The hook of a directory moved out of the inotify-watched tree: the
/// fanotify subtrees at or below `src` end (their `IGNORED` follows).
/// Their kernel marks stay until the directories are deleted (a mark is
/// removed by path, and the new path is unknown); their records are
/// dropped, as for [`Backend::Fanotify`]'s moved-out directories.
pub(crate) fn moved_out(st: &mut Shared, src: &Path) {
    if st.fallback.is_none() {
        return;
    }
    let Some(side) = st.fan.as_deref() else {
        return;
    };
    for wd in side.tree.subtree(src) {
        super::rm(st, wd, false);
    }
    if let Some(fallback) = st.fallback.as_mut() {
        fallback.subtrees.retain(|p| !p.starts_with(src));
    }
}
