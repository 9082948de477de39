//! [`PathWatch`]: watch one path that may not exist yet, or that gets
//! replaced (a config file, a pid file, a directory still to be created),
//! through a chain of watches on its existing ancestors that re-arms as
//! components appear and disappear. Built on its own [`WatchManager`] and
//! [`Notifier`], with the public API only.
//!
//! Every existing ancestor directory is watched for its entries coming and
//! going (`CREATE`, `DELETE`, `MOVED_*`, and its own `DELETE_SELF` and
//! `MOVE_SELF`), the parent also for the closes after writing and the
//! attribute changes of the path. The cost: one watch per ancestor, and
//! the events of every entry of those directories (filtered by name), so
//! a path under a busy directory such as `/tmp` sees its traffic. Any event about the next component of the chain re-arms:
//! watches are added downwards, each before the next component is looked
//! at (so a component created meanwhile is either seen by the `stat` or
//! reported by the new watch), and the path's identity (device, inode) is
//! compared with the last one to tell a replacement from a write.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use inotify_core::{EventMask, WatchDescriptor, WatchMask};

use crate::error::{Error, ErrorKind, Result};
use crate::event::Event;
use crate::notifier::Notifier;
use crate::watch::WatchOptions;
use crate::watch_manager::WatchManager;

/// What happened to a [`PathWatch`]'s path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathChange {
    /// The path exists now and did not before (created, moved there, or a
    /// missing ancestor appeared with it).
    Appeared,
    /// The path was written (reported when the writer closes it), its
    /// attributes changed, or another object replaced it (a rename over
    /// it); it exists before and after.
    Changed,
    /// The path does not exist any more (deleted, moved away, or an
    /// ancestor went).
    Disappeared,
}

/// The identity of an existing path.
type Id = (u64, u64);

/// One ancestor directory and the watch on it, if armed.
#[derive(Debug)]
struct Level {
    path: PathBuf,
    armed: Option<(WatchDescriptor, Id)>,
}

/// Watches one path through its ancestors.
///
/// ```
/// use inotify_notify::{PathChange, PathWatch};
/// use std::time::Duration;
/// # let dir = std::env::temp_dir().join(format!("path-watch-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let mut watch = PathWatch::new(dir.join("conf/app.toml"))?;
/// assert!(!watch.exists());
/// std::fs::create_dir(dir.join("conf"))?;
/// std::fs::write(dir.join("conf/app.toml"), b"a = 1")?;
/// assert_eq!(watch.next(Some(Duration::from_secs(5)))?, Some(PathChange::Appeared));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
#[derive(Debug)]
pub struct PathWatch {
    target: PathBuf,
    /// The target's name in its parent.
    name: OsString,
    /// The ancestors, from `/` down to the parent.
    levels: Vec<Level>,
    /// The target's identity when it was last seen (`None`: absent).
    current: Option<Id>,
    wm: WatchManager,
    notifier: Notifier,
    /// Events the notifier dispatched, not yet looked at.
    inbox: Arc<Mutex<Vec<Event>>>,
    /// Changes found, not yet returned.
    out: VecDeque<PathChange>,
}

impl PathWatch {
    /// Watches `path` (made absolute against the working directory).
    ///
    /// # Errors
    /// No inotify instance or watch could be made (limits), or `path` has
    /// no file name (`/`, `..`).
    pub fn new(path: impl AsRef<Path>) -> Result<Self> {
        let target = std::path::absolute(path.as_ref())
            .map_err(|err| Error::io(err, Some(path.as_ref())))?;
        let target = inotify_core::normalize(&target);
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Err(Error::new(
                ErrorKind::Io,
                Some(&target),
                "a path watch needs a path with a file name",
            ));
        };
        let mut levels: Vec<Level> = parent
            .ancestors()
            .map(|path| Level {
                path: path.to_path_buf(),
                armed: None,
            })
            .collect();
        levels.reverse();
        let wm = WatchManager::new()?;
        let inbox: Arc<Mutex<Vec<Event>>> = Arc::default();
        let sink = Arc::clone(&inbox);
        let notifier = Notifier::new(&wm, move |event: &Event| {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(event.clone());
        })?
        .into_dyn();
        let mut watch = PathWatch {
            name: name.to_os_string(),
            target,
            levels,
            current: None,
            wm,
            notifier,
            inbox,
            out: VecDeque::new(),
        };
        watch.rearm()?;
        watch.current = identity(&watch.target);
        Ok(watch)
    }

    /// The watched path.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Whether the path existed when last looked at.
    pub fn exists(&self) -> bool {
        self.current.is_some()
    }

    /// The next change of the path: waits up to `timeout` (`None`: without
    /// end) and returns `Ok(None)` if nothing happened to the path by then.
    ///
    /// # Errors
    /// A failed wait or read; a watch that could not be added for a reason
    /// other than the directory going away meanwhile.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Option<PathChange>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(change) = self.out.pop_front() {
                return Ok(Some(change));
            }
            let wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if self.notifier.check_events(wait)? {
                self.notifier.read_events()?;
                self.notifier.process_events()?;
                self.absorb()?;
            } else if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
        }
    }

    /// Looks at the events dispatched so far.
    fn absorb(&mut self) -> Result<()> {
        let events =
            std::mem::take(&mut *self.inbox.lock().unwrap_or_else(PoisonError::into_inner));
        let mut rearm = false;
        let mut written = false;
        for event in &events {
            if event.mask.contains(EventMask::Q_OVERFLOW) {
                rearm = true;
                continue;
            }
            let Some(level) = self.levels.iter().position(|l| l.path == event.path()) else {
                continue;
            };
            let next = self
                .levels
                .get(level + 1)
                .map_or(self.name.as_os_str(), |l| {
                    l.path.file_name().unwrap_or_default()
                });
            match event.name() {
                // The level itself went (or its watch ended).
                None => rearm = true,
                Some(name) if name == next => {
                    // A write counts when the writer closes the file: one
                    // change per save, not one per write(2).
                    let content = EventMask::CLOSE_WRITE | EventMask::ATTRIB;
                    if level + 1 == self.levels.len() && event.mask.intersects(content) {
                        written = true;
                    } else {
                        rearm = true;
                    }
                }
                Some(_) => {}
            }
        }
        if rearm {
            self.rearm()?;
        }
        let now = identity(&self.target);
        let change = match (self.current, now) {
            (None, Some(_)) => Some(PathChange::Appeared),
            (Some(_), None) => Some(PathChange::Disappeared),
            (Some(old), Some(new)) if old != new || written => Some(PathChange::Changed),
            _ => None,
        };
        self.current = now;
        self.out.extend(change);
        Ok(())
    }

    /// Watches every existing ancestor, top down, and forgets the watches
    /// of those that went or were replaced.
    fn rearm(&mut self) -> Result<()> {
        let last = self.levels.len() - 1;
        let mut exists = true;
        for (i, level) in self.levels.iter_mut().enumerate() {
            let id = if exists { identity(&level.path) } else { None };
            exists = id.is_some();
            if level.armed.is_some_and(|(_, armed)| Some(armed) != id) {
                let (wd, _) = level
                    .armed
                    .take()
                    .unwrap_or((WatchDescriptor::OVERFLOW, (0, 0)));
                // Already gone with its directory (IGNORED) or a moved
                // root the manager dropped: an error here says just that.
                if let Ok(results) = self.wm.rm_watch(
                    wd,
                    crate::RmOptions {
                        rec: false,
                        quiet: true,
                    },
                ) {
                    for (wd, res) in results {
                        if let Err(err) = res {
                            log::debug!("path watch: watch {wd} already gone: {err}");
                        }
                    }
                }
            }
            let Some(id) = id else { continue };
            if level.armed.is_none() {
                let mut mask = WatchMask::CREATE
                    | WatchMask::DELETE
                    | WatchMask::MOVED_FROM
                    | WatchMask::MOVED_TO
                    | WatchMask::DELETE_SELF
                    | WatchMask::MOVE_SELF
                    | WatchMask::ONLYDIR;
                if i == last {
                    mask |= WatchMask::CLOSE_WRITE | WatchMask::ATTRIB;
                }
                match self
                    .wm
                    .add_watch(&level.path, mask, &WatchOptions::default())
                {
                    Ok(added) => {
                        if let Some(Ok(wd)) = added.into_values().next() {
                            level.armed = Some((wd, id));
                        }
                    }
                    // Gone (or replaced by a file) between the stat and the
                    // watch: the event that did it re-arms again.
                    Err(err) if err.io_error().is_some_and(inotify_core::is_race) => exists = false,
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(())
    }
}

/// The identity of `path` (symbolic links followed), `None` if it does
/// not exist.
fn identity(path: &Path) -> Option<Id> {
    crate::long_path::metadata(path, true)
        .ok()
        .map(|meta| (meta.dev(), meta.ino()))
}
