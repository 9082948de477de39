//! [`WatchManager`]: pyinotify's watch manager, a cloneable handle (`Arc`
//! plus `Mutex`) around core's `Watcher<WatchData>` so watches can be added
//! and removed from any thread while a notifier runs.
//!
//! The lock is taken once per call here and once per read batch by the
//! notifier, never per event.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use inotify_core::{InitOptions, Inotify, WatchDescriptor, WatchMask, Watcher};

use crate::add_result::{AddResult, AddSummary, add_all, into_result};
use crate::error::Result;
use crate::handler::SharedHandler;
use crate::transient::{self, Transients};
use crate::tree::{self, Tree};
use crate::watch::{RmOptions, Watch, WatchOptions, WatchUpdate, watch_view};

pub(crate) use crate::error::closed;
pub(crate) use crate::state::{Inner, PathCache, Shared};
pub(crate) use crate::watch::is_dir;

/// pyinotify's `WatchManager`: adds, updates and removes watches and keeps
/// the descriptor ↔ path bookkeeping.
///
/// Cheap to clone (an `Arc`); `Send + Sync`, usable from any thread while a
/// [`crate::ThreadedNotifier`] runs.
///
/// ```
/// use inotify_notify::{WatchManager, WatchMask, WatchOptions};
/// let dir = std::env::temp_dir().join(format!("wm-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("sub"))?;
/// let wm = WatchManager::new()?;
/// let options = WatchOptions { rec: true, ..WatchOptions::default() };
/// let added = wm.add_watch(&dir, WatchMask::CREATE, &options)?;
/// assert_eq!(added.len(), 2);
/// assert_eq!(wm.path(wm.wd(dir.join("sub")).unwrap()), Some(dir.join("sub")));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
#[derive(Clone)]
pub struct WatchManager {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for WatchManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchManager")
            .field("num_watches", &self.num_watches())
            .finish_non_exhaustive()
    }
}

impl WatchManager {
    /// A manager on a new inotify instance.
    ///
    /// # Errors
    /// `InstanceLimit` (EMFILE) and other `inotify_init1` failures.
    pub fn new() -> Result<Self> {
        let inotify = Inotify::init_with(InitOptions { nonblocking: true })?;
        let mut watcher = Watcher::with_inotify(inotify);
        let poll = watcher.shared_inotify();
        // Reads go through the watcher's instance into the processor's
        // buffer (and the walks' scratch buffer); the watcher's own buffer
        // is never used.
        watcher.set_buffer_size(0);
        Ok(WatchManager {
            inner: Arc::new(Inner {
                state: Mutex::new(Shared {
                    tree: Tree::new(watcher),
                    closed: false,
                    transients: Transients::default(),
                    path_cache: PathCache::default(),
                    fan: None,
                    fallback: None,
                    rule_errors: crate::rule_errors::RuleErrors::default(),
                }),
                pending_waker: inotify_core::Waker::new()?,
                poll,
                fan_fd: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Locks the state; a poisoned lock is recovered (the state is kept
    /// consistent at every await of the lock, never mid-update).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Shared> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Watches `path` for `mask` with pyinotify's options; returns each
    /// watched path with its descriptor (several with `rec`).
    ///
    /// `mask` may carry flags (`ONLYDIR`, `DONT_FOLLOW`, `EXCL_UNLINK`,
    /// `MASK_ADD`, `ONESHOT`). With `quiet == false` the first error is
    /// returned as `Err`; with `quiet == true` every path's result is in
    /// the map. Races of a recursive add (a directory deleted mid-walk) are
    /// not errors. An empty path fails with `NotFound` (ENOENT, as the
    /// kernel's), it is not the current directory. A mask without an event
    /// bit (flags alone, or empty: [`WatchMask::has_event_bit`]) fails with
    /// `InvalidInput` before anything is added, whatever `quiet` says.
    ///
    /// An error carries what was added before it ([`crate::Error::partial`]);
    /// those watches stay. A root excluded by `exclude_filter` is not an
    /// error: the map holds it with an [`crate::ErrorKind::Excluded`] error
    /// (pyinotify's `-2`).
    ///
    /// # Errors
    /// The first failure when `quiet` is false; `Closed` after
    /// [`WatchManager::close`].
    #[doc(alias = "inotify_add_watch")]
    pub fn add_watch(
        &self,
        path: impl AsRef<Path>,
        mask: WatchMask,
        options: &WatchOptions,
    ) -> Result<AddResult> {
        self.add_watches([path], mask, options)
    }

    /// [`WatchManager::add_watch`] for several paths (pyinotify accepts a
    /// list).
    ///
    /// # Errors
    /// As [`WatchManager::add_watch`].
    pub fn add_watches<I, P>(
        &self,
        paths: I,
        mask: WatchMask,
        options: &WatchOptions,
    ) -> Result<AddResult>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        self.add_with(paths, mask, options, true)
            .map(|summary| summary.results)
    }

    /// [`WatchManager::add_watches`] without pyinotify's map of every
    /// watched path: the summary counts the watches added and keeps only
    /// each root's result and the errors. A recursive add of a big tree
    /// then holds no path per watch at its peak (the CLI's way to add).
    ///
    /// ```
    /// use inotify_notify::{WatchManager, WatchMask, WatchOptions};
    /// let dir = std::env::temp_dir().join(format!("wm-summary-{}", std::process::id()));
    /// std::fs::create_dir_all(dir.join("a/b"))?;
    /// let wm = WatchManager::new()?;
    /// let options = WatchOptions { rec: true, ..WatchOptions::default() };
    /// let summary = wm.add_watches_summary([&dir], WatchMask::CREATE, &options)?;
    /// assert_eq!(summary.added, 3);
    /// assert_eq!(summary.results.len(), 1); // the root alone
    /// assert_eq!(summary.results[&dir].as_ref().ok(), wm.wd(&dir).as_ref());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`WatchManager::add_watch`]; the partial result ([`crate::Error::partial`])
    /// holds the roots and errors so far.
    pub fn add_watches_summary<I, P>(
        &self,
        paths: I,
        mask: WatchMask,
        options: &WatchOptions,
    ) -> Result<AddSummary>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        self.add_with(paths, mask, options, false)
    }

    /// The adds of both forms: `keep` every directory's result or not.
    fn add_with<I, P>(
        &self,
        paths: I,
        mask: WatchMask,
        options: &WatchOptions,
        keep: bool,
    ) -> Result<AddSummary>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        let mut all = Vec::new();
        let mut st = self.lock();
        let outcome = if st.fallback.is_some() {
            crate::fan::fallback_add_all(&mut st, paths, mask, options, keep, &mut all)
        } else {
            add_all(&mut st, paths, mask, options, keep, &mut all)
        };
        transient::restore_masks(&mut st);
        // A notifier's next round hands them to `process_error`.
        let rule_errors = st.rule_errors.after_add(options.exclude_filter.as_ref());
        drop(st);
        if rule_errors && let Err(err) = self.inner.pending_waker.wake() {
            log::warn!("cannot wake the notifier for rule-file errors: {err}");
        }
        self.wake_if_pending();
        match outcome {
            Ok(added) => Ok(AddSummary {
                added,
                results: into_result(all),
            }),
            Err(err) => Err(err.with_partial(into_result(all))),
        }
    }

    /// Wakes a notifier if a walk drained events it must process.
    pub(crate) fn wake_if_pending(&self) {
        let has_pending = self.lock().tree.has_pending();
        if has_pending && let Err(err) = self.inner.pending_waker.wake() {
            log::warn!("cannot wake the notifier for drained events: {err}");
        }
    }

    /// Changes the mask, handler or `auto_add` of `wd` (and with
    /// `update.rec` of every watch below it); what `update` leaves `None`
    /// is kept. Returns each descriptor's result; a mask without an event
    /// bit is refused (`InvalidInput`) and leaves the watch unchanged.
    pub fn update_watch(
        &self,
        wd: WatchDescriptor,
        update: &WatchUpdate,
    ) -> BTreeMap<WatchDescriptor, Result<()>> {
        let mut st = self.lock();
        if let Some(fan) = crate::fan::update(&mut st, wd, update) {
            return fan;
        }
        let out = st.tree.update(wd, update);
        transient::restore_masks(&mut st);
        out
    }

    /// Removes `wd` (and with `options.rec` every watch below it). The
    /// watches leave [`WatchManager::watches`] at once; their `IN_IGNORED`
    /// events are still delivered by the notifier.
    ///
    /// # Errors
    /// With `options.quiet == false`, the first failure (`NotWatched` for
    /// an unknown descriptor).
    #[doc(alias = "inotify_rm_watch")]
    pub fn rm_watch(
        &self,
        wd: WatchDescriptor,
        options: RmOptions,
    ) -> Result<BTreeMap<WatchDescriptor, Result<()>>> {
        let RmOptions { rec, quiet } = options;
        let mut st = self.lock();
        if let Some(wds) = crate::fan::rm(&mut st, wd, rec) {
            drop(st);
            self.wake_for_fan();
            return Ok(wds.into_iter().map(|w| (w, Ok(()))).collect());
        }
        st.tree.remove(wd, rec, quiet)
    }

    /// The descriptor watching `path`.
    #[doc(alias = "get_wd")]
    pub fn wd(&self, path: impl AsRef<Path>) -> Option<WatchDescriptor> {
        let st = self.lock();
        st.tree
            .wd(path.as_ref())
            .or_else(|| crate::fan::wd(&st, path.as_ref()))
    }

    /// The path of `wd`.
    #[doc(alias = "get_path")]
    pub fn path(&self, wd: WatchDescriptor) -> Option<PathBuf> {
        let st = self.lock();
        st.tree
            .path(wd)
            .or_else(|| crate::fan::watch(&st, wd).map(|w| w.path))
    }

    /// The watch of `wd`.
    #[doc(alias = "get_watch")]
    pub fn watch(&self, wd: WatchDescriptor) -> Option<Watch> {
        let st = self.lock();
        let table = st.tree.table();
        let Some(entry) = table.get(wd) else {
            return crate::fan::watch(&st, wd);
        };
        Some(watch_view(wd, &table.path(wd)?, entry.mask(), &entry.data))
    }

    /// Every watch, sorted by descriptor.
    pub fn watches(&self) -> Vec<Watch> {
        let st = self.lock();
        let table = st.tree.table();
        let mut all: Vec<Watch> = table
            .iter()
            .map(|(wd, e)| {
                let path = table.path(wd).unwrap_or_default();
                watch_view(wd, &path, e.mask(), &e.data)
            })
            .collect();
        all.extend(crate::fan::watches(&st));
        all.sort_by_key(|w| w.wd);
        all
    }

    /// The directories left unwatched, with everything below them: their
    /// watch could not be added during a recursive add, an auto-add or a
    /// rescan (the watch limit, ENOMEM, EACCES — not a directory that
    /// vanished). `process_error` (or `add_watch`'s result) was told about
    /// each; a path watched since is no longer listed, nor one the
    /// fanotify fallback took ([`WatchManager::enable_fanotify_fallback`]).
    /// Sorted.
    pub fn unwatched(&self) -> Vec<PathBuf> {
        let mut st = self.lock();
        st.tree.prune_unwatched();
        st.tree.unwatched().iter().cloned().collect()
    }

    /// Number of live watches.
    pub fn num_watches(&self) -> usize {
        let st = self.lock();
        st.tree.num_watches() + crate::fan::count(&st)
    }

    /// pyinotify's `watch_transient_file`: follows the file `path` — a
    /// log or pid file that is created, replaced, rotated and deleted —
    /// through one watch on its parent directory. Returns the directory's
    /// descriptor.
    ///
    /// Every event of the directory whose name is the file's goes to
    /// `handler` with the file's pathname, when `mask` asks for its kind:
    /// `MODIFY`, `CLOSE_WRITE`, `ATTRIB`, `OPEN`… of whatever file has that
    /// name at the time. `CREATE`, `DELETE`, `MOVED_FROM` and `MOVED_TO` of
    /// the name are always delivered (pyinotify adds `CREATE` and
    /// `DELETE`), so the handler learns when the file appears — written
    /// once, or renamed into place — and when it goes away. `DELETE_SELF`
    /// and `MOVE_SELF` would describe the directory and are not asked for.
    /// Nothing else of the directory is reported, to this handler or to any
    /// other; when the directory's watch ends (the directory deleted,
    /// unmounted, [`WatchManager::rm_watch`] of the returned descriptor),
    /// the handler gets one `IGNORED` for the file and the registration is
    /// forgotten. Watching a path again replaces its mask and handler;
    /// several files of one directory share its watch.
    ///
    /// The kernel has one descriptor per directory: if you watch the
    /// directory yourself, that watch and this share it. Each gets its
    /// own — your watch what its mask asks (as before), the file's handler
    /// what concerns the file — and removing the descriptor ends both.
    /// (Watch the directory first: a later `add_watch` of it replaces the
    /// kernel mask, and the file's bits are added back right after it, so
    /// the file's events between the two calls are not generated.)
    ///
    /// # Following a log across rotation
    ///
    /// The file's inode is not watched, so what the handler sees is what
    /// happens to the *name*; a follower keeps the file open and reads
    /// to the end on every `MODIFY`:
    /// - **rename + create** (logrotate's default `create`): `MOVED_FROM`
    ///   says the live file was renamed away; keep the descriptor you have
    ///   open and read it to its end — the writer goes on writing to it
    ///   until it reopens the log — and then `CREATE` (or `MOVED_TO`) is the
    ///   new file: open it from the start, and drain the old descriptor
    ///   once more when the new file first changes (the writer has moved
    ///   over by then) before closing it. Writes to the rotated file are
    ///   not reported (they are not the live name's).
    /// - **copytruncate**: the same inode is truncated; a `MODIFY` after
    ///   which the file is shorter than your position means "start over at
    ///   0". Lines written between logrotate's copy and its truncation are
    ///   lost to every reader (logrotate says so), and a truncation is only
    ///   visible while the file is shorter than what you had read.
    /// - **delete + re-create**: `DELETE`, then `CREATE`; the open
    ///   descriptor still reads what was written to the unlinked file.
    ///
    /// The kernel trap, and why this watch is on the directory: an unlinked
    /// file's inode lives while anyone holds it open, and
    /// `IN_DELETE_SELF` (on a watch of the file itself) comes only when the
    /// last descriptor is closed — a follower that keeps the log open, as
    /// it must to read the tail, never sees it. The directory's `DELETE` of
    /// the name comes at the `unlink`.
    ///
    /// `examples/transient_file.rs` is such a follower and checks that no
    /// line is lost across the three rotations.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use inotify_notify::{Event, Notifier, WatchManager, WatchMask, shared};
    /// let dir = std::env::temp_dir().join(format!("transient-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let pid = dir.join("app.pid");
    /// let wm = WatchManager::new()?;
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&seen);
    /// let handler = shared(move |e: &Event| sink.lock().unwrap().push(e.maskname()));
    /// wm.watch_transient_file(&pid, WatchMask::CLOSE_WRITE, handler)?;
    /// std::fs::write(dir.join("other"), b"")?; // not reported
    /// std::fs::write(&pid, b"42")?;
    /// let mut notifier = Notifier::new(&wm, |_: &Event| {})?;
    /// while seen.lock().unwrap().len() < 2 {
    ///     if notifier.check_events(Some(std::time::Duration::from_secs(5)))? {
    ///         notifier.read_events()?;
    ///     }
    ///     notifier.process_events()?;
    /// }
    /// assert_eq!(*seen.lock().unwrap(), ["IN_CREATE", "IN_CLOSE_WRITE"]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    ///
    /// # Errors
    /// Failure to watch the parent directory (`ENOTDIR` if it is not a
    /// directory), a `path` with no file name, `Closed`.
    pub fn watch_transient_file(
        &self,
        path: impl AsRef<Path>,
        mask: WatchMask,
        handler: SharedHandler,
    ) -> Result<WatchDescriptor> {
        let mut st = self.lock();
        if st.closed {
            return Err(closed());
        }
        transient::watch(&mut st, path.as_ref(), mask, handler)
    }

    /// Removes every watch (their `IGNORED` events are still delivered)
    /// and refuses new ones.
    pub fn close(&self) {
        let mut st = self.lock();
        st.closed = true;
        st.tree.detach_all();
        crate::fan::close(&mut st);
        drop(st);
        self.wake_for_fan();
    }

    /// Whether [`WatchManager::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// The eventfd that is readable while events drained by a walk wait
    /// for processing; a custom loop (mio, tokio) polls it next to the
    /// inotify descriptor ([`AsFd`]).
    pub fn pending_fd(&self) -> BorrowedFd<'_> {
        self.inner.pending_waker.as_fd()
    }

    /// Takes a snapshot of every watched directory and adds the event bits
    /// snapshots need; called when a notifier turns overflow rescans on.
    pub(crate) fn enable_snapshots(&self) {
        let mut st = self.lock();
        if st.tree.snapshots() {
            return;
        }
        tree::snapshot_all(&mut st.tree);
        crate::fan::enable_rescans(&mut st);
        transient::restore_masks(&mut st);
        drop(st);
        self.wake_if_pending();
    }
}

/// The inotify descriptor, for a custom event loop (mio's `SourceFd`,
/// tokio's `AsyncFd`): readable when events are queued.
impl AsFd for WatchManager {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.poll.as_fd()
    }
}
