//! [`Settler`], the pure state machine of the settling layer: events in
//! with a timestamp, net changes out as [`Batch`]es when the clock says
//! the window has closed. No system call except the optional lock-file
//! probe of [`Settler::set_roots`].

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use inotify_core::EventKind;

use super::net::{self, below, reroot};
use crate::event::Event;

/// When a settling window closes; see the module docs of `settle`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettleOptions {
    /// Close the window after this long without an event (default 50 ms).
    pub quiet: Duration,
    /// Close the window this long after its first event even if events keep
    /// coming (default 1 s).
    pub max_wait: Duration,
    /// Keep the window open while a version-control lock file
    /// ([`SettleOptions::lock_files`]) exists (default off).
    pub defer_while_locked: bool,
    /// The longest a window stays open for a lock, from its first event
    /// (default 10 s).
    pub max_deferral: Duration,
    /// Lock files, relative to a watched root or to any directory in the
    /// stream (default `.git/index.lock` and `.hg/wlock`).
    pub lock_files: Vec<PathBuf>,
    /// The loops ([`crate::SettleNotifier`] and the others) list the
    /// watched directories at start and feed the listing to
    /// [`Settler::know`], so a rename over an existing file is a
    /// modification (default on; costs a listing and a path per entry).
    pub list_tree: bool,
}

impl Default for SettleOptions {
    fn default() -> Self {
        SettleOptions {
            quiet: Duration::from_millis(50),
            max_wait: Duration::from_secs(1),
            defer_while_locked: false,
            max_deferral: Duration::from_secs(10),
            lock_files: vec![PathBuf::from(".git/index.lock"), PathBuf::from(".hg/wlock")],
            list_tree: true,
        }
    }
}

/// The net change of one path over a window.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Change {
    /// The path (after the window).
    pub path: PathBuf,
    /// What happened to it.
    pub kind: ChangeKind,
    /// Whether the path is (or, for `Removed`, was) a directory.
    pub dir: bool,
}

/// What a [`Change`] says about its path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// Absent before the window, present after.
    Created,
    /// Present before the window, absent after.
    Removed,
    /// Present before and after, with its content or metadata changed.
    Modified {
        /// Another object now sits at the path: a rename over it or a
        /// delete and re-create (an editor's atomic save).
        replaced: bool,
    },
    /// The object that was at `from` before the window is at the path now,
    /// and nothing is at `from`.
    Renamed {
        /// Where it was before the window.
        from: PathBuf,
        /// Written or its attributes changed as well.
        modified: bool,
    },
}

/// The changes of one closed window.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Batch {
    /// 1 for the first batch of a settler, one more for each next one.
    pub seq: u64,
    /// The net changes, in the order to apply them (see the module docs).
    pub changes: Vec<Change>,
    /// The kernel queue overflowed (`Q_OVERFLOW`): events were lost, the
    /// changes are incomplete; rescan, or rely on `rescan_on_overflow`.
    pub overflowed: bool,
}

/// The object at a path, as far as the window knows.
#[derive(Clone, Debug)]
pub(super) enum Obj {
    /// The object that was at `home` before the window (in the frame of
    /// the directory renames applied so far).
    Orig {
        home: PathBuf,
        modified: bool,
        /// Where its rename sorts among the batch's renames.
        order: (u64, u8),
    },
    /// Created in the window.
    New,
}

/// One path touched in the window.
#[derive(Debug)]
pub(super) struct Entry {
    /// Present before the window.
    pub(super) before: bool,
    /// What is there now (`None`: nothing).
    pub(super) now: Option<Obj>,
    pub(super) dir: bool,
}

/// A `MOVED_FROM` waiting for its `MOVED_TO`.
#[derive(Debug)]
pub(super) struct InFlight {
    pub(super) src: PathBuf,
    pub(super) obj: Obj,
    pub(super) dir: bool,
}

/// The settling state machine: feed it events, poll it with the time.
///
/// ```
/// use inotify_notify::{ChangeKind, Event, EventMask, SettleOptions, Settler, WatchDescriptor};
/// use std::time::{Duration, Instant};
/// let mut settler = Settler::new(SettleOptions::default());
/// settler.know(["/d/x".into()]); // the tree before: x exists
/// let t0 = Instant::now();
/// let ev = |mask, name: &str| Event::new(WatchDescriptor::from_raw(1), mask, 0, "/d".as_ref(), Some(name.as_ref()));
/// settler.feed(&ev(EventMask::CREATE, "x.tmp"), t0);
/// settler.feed(&ev(EventMask::MODIFY, "x.tmp"), t0);
/// let mut to = ev(EventMask::MOVED_TO, "x");
/// to.src_pathname = Some("/d/x.tmp".into());
/// settler.feed(&to, t0);
/// assert!(settler.poll(t0).is_none()); // not quiet yet
/// let batch = settler.poll(t0 + Duration::from_millis(60)).expect("settled");
/// assert_eq!(batch.changes.len(), 1);
/// assert_eq!(batch.changes[0].path, std::path::Path::new("/d/x"));
/// assert_eq!(batch.changes[0].kind, ChangeKind::Modified { replaced: true });
/// ```
#[derive(Debug)]
pub struct Settler {
    options: SettleOptions,
    /// The window's entries, in order of first event.
    slots: Vec<Entry>,
    /// Where each path's entry is in `slots`, keyed by the path's bytes:
    /// hashing and comparing bytes is several times cheaper than `Path`'s
    /// component-wise `Hash` and `Eq`, and this runs per event. (`SipHash` is
    /// kept: the names are chosen by whoever writes in the tree.)
    index: HashMap<OsString, usize>,
    /// The slot of the last path looked up, and that path's bytes: events
    /// come in runs on one path (create, write, close, chmod), and a
    /// comparison is cheaper than a hash.
    last_slot: Option<usize>,
    last_key: Vec<u8>,
    in_flight: HashMap<u32, InFlight>,
    /// Lock files seen created in the stream and not yet removed.
    locks: HashSet<PathBuf>,
    /// Roots probed for lock files when deferral is on.
    roots: Vec<PathBuf>,
    /// The paths known to exist between windows, when the caller listed
    /// the tree ([`Settler::know`]): tells a rename over an existing path
    /// from a rename to a new one.
    known: Option<HashSet<PathBuf>>,
    first: Option<Instant>,
    last: Option<Instant>,
    /// While deferred: when to look at the locks again.
    recheck: Option<Instant>,
    overflowed: bool,
    /// Orders renames (one tick per rename).
    tick: u64,
    seq: u64,
}

impl Settler {
    /// An empty settler.
    pub fn new(options: SettleOptions) -> Self {
        Settler {
            options,
            slots: Vec::new(),
            index: HashMap::new(),
            last_slot: None,
            last_key: Vec::new(),
            in_flight: HashMap::new(),
            locks: HashSet::new(),
            roots: Vec::new(),
            known: None,
            first: None,
            last: None,
            recheck: None,
            overflowed: false,
            tick: 0,
            seq: 0,
        }
    }

    /// The options.
    pub fn options(&self) -> &SettleOptions {
        &self.options
    }

    /// The watched roots under which [`SettleOptions::lock_files`] are
    /// looked for (with `defer_while_locked`; a `stat` each when a window
    /// would close). Lock files that appear in the event stream are
    /// tracked without it.
    pub fn set_roots(&mut self, roots: Vec<PathBuf>) {
        self.roots = roots;
    }

    /// Adds paths that exist now (a listing of the watched tree, taken
    /// before the events that follow it) and keeps that picture up to date
    /// from the changes of each batch.
    ///
    /// `MOVED_TO` does not say whether it replaced an existing entry; with
    /// the listing, a rename over a path the window has not seen yet (an
    /// editor's atomic save) is [`ChangeKind::Modified`] `{ replaced: true }`.
    /// Without it, such a rename reads as [`ChangeKind::Created`] (one path
    /// per entry of the tree is the memory it costs).
    pub fn know(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        let known = self.known.get_or_insert_with(HashSet::new);
        known.extend(paths.into_iter().map(|path| clean(&path).to_path_buf()));
    }

    /// Whether a window is open (events fed and not yet flushed).
    pub fn is_pending(&self) -> bool {
        self.first.is_some()
    }

    /// Adds `event`, received at `now`, to the window.
    pub fn feed(&mut self, event: &Event, now: Instant) {
        let kind = event.kind();
        if matches!(
            kind,
            EventKind::Access
                | EventKind::Open
                | EventKind::CloseNowrite
                | EventKind::Ignored
                | EventKind::MoveSelf
                | EventKind::Unmount
        ) {
            return;
        }
        let path = clean(event.pathname());
        let dir = event.dir;
        match kind {
            EventKind::Create => self.created(path, dir),
            EventKind::Delete | EventKind::DeleteSelf => self.removed(path, dir),
            EventKind::Modify | EventKind::Attrib | EventKind::CloseWrite => {
                self.modified(path, dir);
            }
            EventKind::MovedFrom => self.moved_from(path, event.cookie, dir),
            EventKind::MovedTo => {
                let src = event.src_pathname.as_deref().map(clean);
                self.moved_to(path, event.cookie, src, dir);
            }
            EventKind::QOverflow => self.overflowed = true,
            // Reads, opens, watch ends: nothing changed. A watched directory's
            // MOVE_SELF is covered by its parent's MOVED_FROM/MOVED_TO.
            _ => return,
        }
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// When [`Settler::poll`] may next return a batch (`None`: no window
    /// is open). An overflow makes it due at once.
    pub fn next_deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        if self.overflowed {
            return Some(last);
        }
        if let Some(recheck) = self.recheck {
            return Some(recheck);
        }
        Some((last + self.options.quiet).min(first + self.options.max_wait))
    }

    /// The batch of the window if it has closed at `now`. A window whose
    /// changes all cancel out closes without a batch.
    pub fn poll(&mut self, now: Instant) -> Option<Batch> {
        let first = self.first?;
        if !self.overflowed {
            let deadline = self.next_deadline()?;
            if now < deadline {
                return None;
            }
            if self.options.defer_while_locked
                && now < first + self.options.max_deferral
                && self.locked()
            {
                self.recheck = Some(now + self.options.quiet);
                return None;
            }
        }
        self.flush()
    }

    /// Closes the window now, whatever the clock says (at the end of a
    /// stream, or after a sync barrier).
    pub fn flush(&mut self) -> Option<Batch> {
        let overflowed = std::mem::take(&mut self.overflowed);
        self.first = None;
        self.last = None;
        self.recheck = None;
        let changes = self.take_changes();
        if changes.is_empty() && !overflowed {
            return None;
        }
        self.seq += 1;
        Some(Batch {
            seq: self.seq,
            changes,
            overflowed,
        })
    }

    /// Whether a lock file exists, by the stream or by a `stat`.
    fn locked(&self) -> bool {
        !self.locks.is_empty()
            || self.roots.iter().any(|root| {
                self.options
                    .lock_files
                    .iter()
                    .any(|lock| crate::long_path::metadata(&root.join(lock), false).is_ok())
            })
    }

    /// Runs `f` on the entry of `path`, made by `default` if the window
    /// has none (one allocation, only then).
    fn upsert<R>(
        &mut self,
        path: &Path,
        default: impl FnOnce() -> Entry,
        f: impl FnOnce(&mut Entry) -> R,
    ) -> R {
        let key = path.as_os_str();
        let slot = match self.last_slot {
            Some(slot) if self.last_key == key.as_bytes() => slot,
            _ => {
                let slot = if let Some(&slot) = self.index.get(key) {
                    slot
                } else {
                    self.slots.push(default());
                    self.index.insert(key.to_os_string(), self.slots.len() - 1);
                    self.slots.len() - 1
                };
                self.last_slot = Some(slot);
                self.last_key.clear();
                self.last_key.extend_from_slice(key.as_bytes());
                slot
            }
        };
        f(&mut self.slots[slot])
    }

    /// [`Settler::upsert`] with a present-before entry (its first event
    /// was not a creation).
    fn touch<R>(&mut self, path: &Path, dir: bool, f: impl FnOnce(&mut Entry) -> R) -> R {
        let default = || Entry {
            before: true,
            now: Some(Obj::Orig {
                home: path.to_path_buf(),
                modified: false,
                order: (0, 0),
            }),
            dir,
        };
        self.upsert(path, default, f)
    }

    fn created(&mut self, path: &Path, dir: bool) {
        self.note_lock(path, true);
        let absent = || Entry {
            before: false,
            now: None,
            dir,
        };
        self.upsert(path, absent, |entry| {
            entry.now = Some(Obj::New);
            entry.dir = dir;
        });
    }

    fn removed(&mut self, path: &Path, dir: bool) {
        self.note_lock(path, false);
        self.touch(path, dir, |entry| entry.now = None);
    }

    fn modified(&mut self, path: &Path, dir: bool) {
        self.touch(path, dir, |entry| {
            if let Some(Obj::Orig { modified, .. }) = &mut entry.now {
                *modified = true;
            }
        });
    }

    fn moved_from(&mut self, path: &Path, cookie: u32, dir: bool) {
        self.note_lock(path, false);
        if let Some(obj) = self.touch(path, dir, |entry| entry.now.take()) {
            self.in_flight.insert(
                cookie,
                InFlight {
                    src: path.to_path_buf(),
                    obj,
                    dir,
                },
            );
        }
    }

    fn moved_to(&mut self, path: &Path, cookie: u32, src: Option<&Path>, dir: bool) {
        self.note_lock(path, true);
        let flight = match self.in_flight.remove(&cookie) {
            Some(flight) if src.is_none_or(|src| src == flight.src) => Some(flight),
            Some(flight) => {
                self.in_flight.insert(cookie, flight);
                None
            }
            // Paired, but its MOVED_FROM was not delivered (the watch's
            // mask has MOVED_TO only): the source is known all the same.
            None => src.and_then(|src| {
                let obj = self.touch(src, dir, |entry| entry.now.take())?;
                Some(InFlight {
                    src: src.to_path_buf(),
                    obj,
                    dir,
                })
            }),
        };
        let obj = match flight {
            Some(flight) => {
                self.tick += 1;
                if flight.dir {
                    self.rekey(&flight.src, path);
                }
                match flight.obj {
                    Obj::Orig { home, modified, .. } if home == path => Obj::Orig {
                        home,
                        modified,
                        order: (0, 0),
                    },
                    Obj::Orig { home, modified, .. } => Obj::Orig {
                        home,
                        modified,
                        order: (self.tick, 0),
                    },
                    Obj::New => Obj::New,
                }
            }
            // Moved in from outside the watched tree (or its MOVED_FROM
            // fell in an earlier window): new to this window.
            None => Obj::New,
        };
        let before = self
            .known
            .as_ref()
            .is_some_and(|known| known.contains(path));
        let absent = || Entry {
            before,
            now: None,
            dir,
        };
        self.upsert(path, absent, |entry| {
            entry.now = Some(obj);
            entry.dir = dir;
        });
    }

    /// A directory moved from `src` to `dst`: the entries below it, and the
    /// homes of objects that were below it, move with it.
    fn rekey(&mut self, src: &Path, dst: &Path) {
        let moved: Vec<OsString> = self
            .index
            .keys()
            .filter(|key| below(Path::new(key), src))
            .cloned()
            .collect();
        for key in moved {
            if let Some(slot) = self.index.remove(&key) {
                let key = reroot(Path::new(&key), src, dst).into_os_string();
                self.index.insert(key, slot);
            }
        }
        self.last_slot = None;
        let tick = self.tick;
        let objs = self
            .slots
            .iter_mut()
            .filter_map(|entry| entry.now.as_mut())
            .chain(self.in_flight.values_mut().map(|flight| &mut flight.obj));
        for obj in objs {
            if let Obj::Orig { home, order, .. } = obj
                && below(home, src)
            {
                *home = reroot(home, src, dst);
                if order.0 != 0 {
                    // Its rename reads `home` in the renamed frame: it
                    // must be applied after this one.
                    *order = (tick, 1);
                }
            }
        }
    }

    /// Tracks lock files seen in the stream.
    fn note_lock(&mut self, path: &Path, exists: bool) {
        if !self.options.defer_while_locked {
            return;
        }
        if self
            .options
            .lock_files
            .iter()
            .any(|lock| path.ends_with(lock))
        {
            if exists {
                self.locks.insert(path.to_path_buf());
            } else {
                self.locks.remove(path);
            }
        }
    }

    /// The window's net changes, in application order; empties the window.
    fn take_changes(&mut self) -> Vec<Change> {
        self.last_slot = None;
        let mut slots: Vec<Option<Entry>> = self.slots.drain(..).map(Some).collect();
        let entries: HashMap<OsString, Entry> = self
            .index
            .drain()
            .filter_map(|(key, slot)| {
                let entry = slots.get_mut(slot)?.take()?;
                // Absent before and after (temporary files): nothing to say.
                (entry.before || entry.now.is_some()).then_some((key, entry))
            })
            .collect();
        let flights: Vec<InFlight> = self.in_flight.drain().map(|(_, flight)| flight).collect();
        let changes = net::changes(entries, &flights);
        if let Some(known) = &mut self.known {
            net::update_known(known, &changes);
        }
        changes
    }
}

/// `path` without a leading `./`: a tree watched as `.` names an entry
/// `./d` in its root's events and `d` in the entry's own watch, and both
/// must be one key.
fn clean(path: &Path) -> &Path {
    // Bytes, not `strip_prefix` (a walk of components): this runs per event.
    let mut bytes = path.as_os_str().as_bytes();
    while let Some(rest) = bytes.strip_prefix(b"./") {
        let slashes = rest.iter().take_while(|&&b| b == b'/').count();
        bytes = &rest[slashes..];
    }
    if bytes.is_empty() {
        return path;
    }
    Path::new(std::ffi::OsStr::from_bytes(bytes))
}
