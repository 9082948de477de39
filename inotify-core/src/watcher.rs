//! python-inotify's `Watcher` and `AutoWatcher`: an [`Inotify`] plus the
//! [`WatchTable`] that turns descriptors back into paths.
//!
//! The table forgets a watch only when its `IN_IGNORED` is read, never when
//! `rm_watch` is called: events of the watch may still be queued, and they
//! must still map to the right path.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::buffer::EventBuffer;
use crate::event::Event;
use crate::inotify::Inotify;
use crate::mask::{EventMask, WatchMask};
use crate::parse::Events;
use crate::table::{WatchEntry, WatchTable, normalize};
use crate::walk::AddIter;
use crate::watch::WatchDescriptor;

/// An event together with the watch it belongs to.
#[derive(Debug)]
pub struct WatcherEvent<'a, T> {
    /// The raw event.
    pub event: Event<'a>,
    /// The watch, if the descriptor is known (not for `Q_OVERFLOW`).
    pub watch: Option<&'a WatchEntry<T>>,
    table: &'a WatchTable<T>,
    /// The path of a watch retired by this batch (no longer in `table`).
    retired: Option<&'a Path>,
}

impl<T> Clone for WatcherEvent<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for WatcherEvent<'_, T> {}

impl<'a, T> WatcherEvent<'a, T> {
    /// Path of the watch the event came through, built from the table's
    /// tree (allocates; call it only when the path is needed).
    pub fn path(&self) -> Option<PathBuf> {
        self.watch?;
        match self.retired {
            Some(path) => Some(path.to_path_buf()),
            None => self.table.path(self.event.wd),
        }
    }

    /// The full path the event is about: the watch's path joined with the
    /// entry name, or the watch's path alone. One allocation; call it only
    /// when the path is needed.
    pub fn fullpath(&self) -> Option<PathBuf> {
        self.watch?;
        match self.retired {
            Some(path) => Some(match self.event.name {
                Some(name) => path.join(name),
                None => path.to_path_buf(),
            }),
            None => self.table.path_with(self.event.wd, self.event.name),
        }
    }

    /// The per-watch data.
    pub fn data(&self) -> Option<&'a T> {
        self.watch.map(|w| &w.data)
    }
}

/// The events of one read, each with its watch.
#[derive(Debug)]
pub struct WatcherEvents<'a, T> {
    events: Events<'a>,
    table: &'a WatchTable<T>,
    /// Entries whose `IGNORED` is in this batch: already out of the table,
    /// still needed to name the batch's events.
    retired: &'a [Retired<T>],
}

/// A watch whose `IGNORED` is in the current batch, with its last path.
#[derive(Debug)]
struct Retired<T> {
    wd: WatchDescriptor,
    entry: WatchEntry<T>,
    path: PathBuf,
}

impl<'a, T> Iterator for WatcherEvents<'a, T> {
    type Item = WatcherEvent<'a, T>;

    fn next(&mut self) -> Option<Self::Item> {
        let event = self.events.next()?;
        let (watch, retired) = lookup(self.table, self.retired, event.wd);
        Some(WatcherEvent {
            event,
            watch,
            table: self.table,
            retired,
        })
    }
}

/// The watch of `wd` in `table`, or among the entries retired this batch
/// (then with its last path).
fn lookup<'a, T>(
    table: &'a WatchTable<T>,
    retired: &'a [Retired<T>],
    wd: WatchDescriptor,
) -> (Option<&'a WatchEntry<T>>, Option<&'a Path>) {
    match table.get(wd) {
        Some(entry) => (Some(entry), None),
        None => retired
            .iter()
            .find(|r| r.wd == wd)
            .map_or((None, None), |r| (Some(&r.entry), Some(r.path.as_path()))),
    }
}

/// python-inotify's `Watcher`: an instance with path bookkeeping.
///
/// `T` is per-watch user data (`()` by default); upper layers keep their own
/// per-watch state here instead of in a second table.
///
/// ```
/// use inotify_core::{Watcher, WatchMask};
/// let dir = std::env::temp_dir().join(format!("watcher-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("sub"))?;
/// let mut watcher: Watcher = Watcher::new()?;
/// let wds = watcher.add_all(&dir, WatchMask::CREATE, (), |err| Err(err))?;
/// assert_eq!(wds.len(), 2);
/// std::fs::write(dir.join("sub/f"), b"")?;
/// let event = watcher.read()?.next().expect("an event");
/// assert_eq!(event.fullpath(), Some(dir.join("sub/f")));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Watcher<T = ()> {
    /// Shared, so an owner can poll the one descriptor without holding
    /// the watcher ([`Watcher::shared_inotify`]) instead of a `dup`.
    inotify: Arc<Inotify>,
    table: WatchTable<T>,
    buffer: EventBuffer,
    retired: Vec<Retired<T>>,
}

impl<T> Watcher<T> {
    /// A watcher on a new blocking instance.
    pub fn new() -> io::Result<Self> {
        Ok(Self::with_inotify(Inotify::init()?))
    }

    /// A watcher on an existing instance.
    pub fn with_inotify(inotify: Inotify) -> Self {
        Watcher {
            inotify: Arc::new(inotify),
            table: WatchTable::new(),
            buffer: EventBuffer::new(),
            retired: Vec::new(),
        }
    }

    /// The instance, for `wait`, `poll` or FIONREAD.
    pub fn inotify(&self) -> &Inotify {
        &self.inotify
    }

    /// The instance, shared: for polling from another thread while the
    /// watcher is behind a lock, on the same descriptor (no `dup`).
    pub fn shared_inotify(&self) -> Arc<Inotify> {
        Arc::clone(&self.inotify)
    }

    /// The bookkeeping table.
    pub fn table(&self) -> &WatchTable<T> {
        &self.table
    }

    /// The bookkeeping table, mutably (renames, data updates).
    pub fn table_mut(&mut self) -> &mut WatchTable<T> {
        &mut self.table
    }

    /// Sets the read buffer size (never below one maximal record).
    pub fn set_buffer_size(&mut self, bytes: usize) {
        self.buffer.resize(bytes);
    }

    /// Adds or modifies the watch of `path` with `data`.
    ///
    /// The path is normalised for the table, but an empty path is not the
    /// current directory: it fails with ENOENT, as the kernel's does.
    ///
    /// # Errors
    /// As [`Inotify::add_watch`]; also EINVAL (`InvalidInput`) for a mask
    /// without an event bit ([`WatchMask::has_event_bit`]), which the
    /// kernel would accept as a watch that reports nothing.
    pub fn add_with(
        &mut self,
        path: impl AsRef<Path>,
        mask: WatchMask,
        data: T,
    ) -> io::Result<WatchDescriptor> {
        let path = path.as_ref();
        if !mask.has_event_bit() {
            return Err(crate::error::no_event_bit_error(path, mask));
        }
        if path.as_os_str().is_empty() {
            return Err(crate::error::add_watch_error(
                path,
                io::Error::from_raw_os_error(libc::ENOENT),
            ));
        }
        let path = normalize(path);
        let wd = self.inotify.add_watch(&path, mask)?;
        let recorded = if mask.contains(WatchMask::MASK_ADD) {
            self.table.get(wd).map_or(mask, |e| e.mask() | mask) - WatchMask::MASK_ADD
        } else {
            mask
        };
        self.table.insert(wd, &path, recorded, data);
        Ok(wd)
    }

    /// Adds or modifies the watch of `path`, with default data.
    ///
    /// # Errors
    /// As [`Inotify::add_watch`].
    pub fn add(&mut self, path: impl AsRef<Path>, mask: WatchMask) -> io::Result<WatchDescriptor>
    where
        T: Default,
    {
        self.add_with(path, mask, T::default())
    }

    /// Asks the kernel to remove `wd`. The watch stays in the table until
    /// its `IN_IGNORED` is read.
    ///
    /// # Errors
    /// EINVAL when `wd` is not a watch of this instance.
    pub fn remove(&mut self, wd: WatchDescriptor) -> io::Result<()> {
        self.inotify.rm_watch(wd)
    }

    /// Removes the watch of `path`.
    ///
    /// # Errors
    /// `NotFound` when `path` is not watched; otherwise as [`Watcher::remove`].
    pub fn remove_path(&mut self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let wd = self.table.wd(path).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not watched", path.display()),
            )
        })?;
        self.remove(wd)
    }

    /// Path of `wd`, built from the table's tree.
    pub fn path(&self, wd: WatchDescriptor) -> Option<PathBuf> {
        self.table.path(wd)
    }

    /// Descriptor of `path`.
    pub fn wd(&self, path: impl AsRef<Path>) -> Option<WatchDescriptor> {
        self.table.wd(path.as_ref())
    }

    /// Number of live watches.
    pub fn num_watches(&self) -> usize {
        self.table.len()
    }

    /// Every watch as `(path, wd, mask)` (each path built on the way).
    pub fn watches(&self) -> impl Iterator<Item = (PathBuf, WatchDescriptor, WatchMask)> {
        self.table.iter().map(|(wd, e)| {
            let path = self.table.path(wd).unwrap_or_default();
            (path, wd, e.mask())
        })
    }

    /// Reads at least one event (waiting as long as it takes).
    ///
    /// # Errors
    /// As [`Inotify::read_events`].
    pub fn read(&mut self) -> io::Result<WatcherEvents<'_, T>> {
        let len = self.fill(true)?;
        Ok(self.view(len))
    }

    /// Reads whatever is queued without waiting (possibly nothing).
    ///
    /// # Errors
    /// As [`Inotify::try_read_events`].
    pub fn try_read(&mut self) -> io::Result<WatcherEvents<'_, T>> {
        let len = self.fill(false)?;
        Ok(self.view(len))
    }

    /// One read into the buffer; retires the watches whose `IGNORED` it
    /// holds. Returns the number of bytes read.
    fn fill(&mut self, wait: bool) -> io::Result<usize> {
        let events = if wait {
            self.inotify.read_events(&mut self.buffer)?
        } else {
            self.inotify.try_read_events(&mut self.buffer)?
        };
        let len = events.remainder().len();
        self.retired.clear();
        for event in events {
            if event.mask.contains(EventMask::IGNORED)
                && let Some(path) = self.table.path(event.wd)
                && let Some(entry) = self.table.remove(event.wd)
            {
                self.retired.push(Retired {
                    wd: event.wd,
                    entry,
                    path,
                });
            }
        }
        Ok(len)
    }

    /// The events of the last `fill`, with their watches.
    fn view(&self, len: usize) -> WatcherEvents<'_, T> {
        WatcherEvents {
            events: Events::new(self.buffer.filled(len)),
            table: &self.table,
            retired: &self.retired,
        }
    }

    /// The watch of `wd` and the path of `name` in it, including a watch
    /// retired by the current batch.
    fn lookup_child(
        &self,
        wd: WatchDescriptor,
        name: &std::ffi::OsStr,
    ) -> Option<(&WatchEntry<T>, PathBuf)> {
        match lookup(&self.table, &self.retired, wd) {
            (Some(entry), None) => Some((entry, self.table.path_with(wd, Some(name))?)),
            (Some(entry), Some(path)) => Some((entry, path.join(name))),
            _ => None,
        }
    }

    /// Walks `path` and watches it and every directory below it, lazily:
    /// see [`AddIter`].
    pub fn add_iter(&mut self, path: impl AsRef<Path>, mask: WatchMask, data: T) -> AddIter<'_, T>
    where
        T: Clone,
    {
        AddIter::new(self, path.as_ref(), mask, data)
    }

    /// Watches `path` and every directory below it; returns the descriptors.
    ///
    /// Symlinks are not followed; subdirectories get `ONLYDIR|DONT_FOLLOW`.
    /// Races where an entry vanishes or changes type mid-walk (ENOENT,
    /// EPERM, ENOTDIR) are skipped. Other errors go to `onerror`: return
    /// `Ok(())` to go on, `Err` to stop with that error.
    ///
    /// # Errors
    /// A failure to watch `path` itself, or what `onerror` returns.
    pub fn add_all<F>(
        &mut self,
        path: impl AsRef<Path>,
        mask: WatchMask,
        data: T,
        mut onerror: F,
    ) -> io::Result<Vec<WatchDescriptor>>
    where
        T: Clone,
        F: FnMut(io::Error) -> io::Result<()>,
    {
        let mut wds = Vec::new();
        let mut walk = self.add_iter(path, mask, data);
        while let Some(step) = walk.next() {
            match step {
                Ok(wd) => wds.push(wd),
                Err(err) if walk.is_root_error() => return Err(err),
                Err(err) => onerror(err)?,
            }
        }
        Ok(wds)
    }

    /// Closes the instance (dropping does the same), reporting nothing.
    pub fn close(self) {}
}

/// Decides whether a new directory is watched automatically.
pub type AddFilter = Box<dyn FnMut(&Path) -> bool + Send>;

/// python-inotify's `AutoWatcher`: also watches directories that appear
/// (created or moved in) below a watched directory, with the parent's mask
/// and data, if the add filter agrees.
pub struct AutoWatcher<T = ()> {
    watcher: Watcher<T>,
    add_filter: Option<AddFilter>,
    errors: Vec<io::Error>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for AutoWatcher<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoWatcher")
            .field("watcher", &self.watcher)
            .field("add_filter", &self.add_filter.as_ref().map(|_| ".."))
            .field("errors", &self.errors)
            .finish()
    }
}

impl<T: Clone> AutoWatcher<T> {
    /// An auto-watcher on a new instance; `add_filter` (if any) decides per
    /// new directory whether to watch it.
    pub fn new(add_filter: Option<AddFilter>) -> io::Result<Self> {
        Ok(AutoWatcher {
            watcher: Watcher::new()?,
            add_filter,
            errors: Vec::new(),
        })
    }

    /// The plain watcher inside (to add watches, look paths up, ...).
    pub fn watcher(&mut self) -> &mut Watcher<T> {
        &mut self.watcher
    }

    /// Errors of automatic adds since the last call (races are not errors).
    pub fn take_errors(&mut self) -> Vec<io::Error> {
        std::mem::take(&mut self.errors)
    }

    /// Reads at least one event, then watches every new directory the
    /// events announce, recursively, before returning.
    ///
    /// # Errors
    /// As [`Inotify::read_events`]; failed automatic adds are kept for
    /// [`AutoWatcher::take_errors`].
    pub fn read(&mut self) -> io::Result<WatcherEvents<'_, T>> {
        self.read_and_add(true)
    }

    /// As [`AutoWatcher::read`], but returns at once (possibly with no
    /// events) when nothing is queued.
    ///
    /// # Errors
    /// As [`Inotify::try_read_events`].
    pub fn try_read(&mut self) -> io::Result<WatcherEvents<'_, T>> {
        self.read_and_add(false)
    }

    /// One read (waiting or not), then the automatic adds.
    fn read_and_add(&mut self, wait: bool) -> io::Result<WatcherEvents<'_, T>> {
        let len = self.watcher.fill(wait)?;
        let mut new_dirs = Vec::new();
        for event in Events::new(self.watcher.buffer.filled(len)) {
            let appeared = event
                .mask
                .intersects(EventMask::CREATE | EventMask::MOVED_TO);
            if !(appeared && event.mask.contains(EventMask::ISDIR)) {
                continue;
            }
            let Some((parent, path)) = event
                .name
                .and_then(|name| self.watcher.lookup_child(event.wd, name))
            else {
                continue;
            };
            let mask = parent.mask() | WatchMask::ONLYDIR;
            new_dirs.push((path, mask, parent.data.clone()));
        }
        for (path, mask, data) in new_dirs {
            if let Some(filter) = self.add_filter.as_mut()
                && !filter(&path)
            {
                continue;
            }
            let errors = &mut self.errors;
            let result = self.watcher.add_all(&path, mask, data, |err| {
                errors.push(err);
                Ok(())
            });
            if let Err(err) = result
                && !crate::walk::is_race(&err)
            {
                self.errors.push(err);
            }
        }
        Ok(self.watcher.view(len))
    }
}
