//! The state of walks (recursive adds, auto-add scans, rescans) and the
//! drain that keeps a walk from flooding or overflowing the queue: events
//! read during a walk are filtered (self-inflicted listing events, entries
//! a scan already reported) and kept in order for the processor.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::{OsStr, OsString};

use hashbrown::HashSet as FastSet;
use inotify_core::{EventBuffer, EventMask, Inotify, WatchDescriptor};

use super::Tree;

/// An event copied out of the read buffer (drained during a walk, to be
/// processed after the events read before it).
#[derive(Debug, Clone)]
pub(crate) struct RawEvent {
    pub wd: WatchDescriptor,
    pub mask: EventMask,
    pub cookie: u32,
    pub name: Option<OsString>,
}

/// What a walk listed: the self-inflicted `OPEN`/`ACCESS`/`CLOSE_NOWRITE`
/// (with `ISDIR`) on a listed directory itself, or on its parent under its
/// name, are dropped while draining.
///
/// Flat sets, names inline: a 10k-directory walk notes 10k names, and a
/// set per directory plus an `OsString` per name was a sixth of the add's
/// peak memory.
///
/// Hashed with hashbrown's randomly seeded foldhash rather than `SipHash`:
/// every directory of a walk is noted and most drained events looked up
/// (names may be chosen by another user, hence a seeded hash).
#[derive(Debug, Default)]
pub(crate) struct Listed {
    dirs: FastSet<WatchDescriptor>,
    names: FastSet<(WatchDescriptor, NameKey)>,
}

impl Listed {
    /// Notes that the directory of `wd` is being listed.
    pub fn note_dir(&mut self, wd: WatchDescriptor) {
        self.dirs.insert(wd);
    }

    /// Notes that the entry `name` of the directory of `parent` is being
    /// listed.
    pub fn note_name(&mut self, parent: WatchDescriptor, name: &OsStr) {
        self.names.insert((parent, NameKey::new(name)));
    }

    /// Whether an event on `wd` (about `name`) may be a listing's.
    fn contains(&self, wd: WatchDescriptor, name: Option<&OsStr>) -> bool {
        match name {
            None => self.dirs.contains(&wd),
            Some(name) => !self.names.is_empty() && self.names.contains(&(wd, NameKey::new(name))),
        }
    }
}

/// A file name as a set key: inline up to 22 bytes (most names), so
/// noting one does not allocate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NameKey {
    Inline(u8, [u8; 22]),
    Heap(Box<[u8]>),
}

impl NameKey {
    fn new(name: &OsStr) -> Self {
        let bytes = name.as_encoded_bytes();
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= 22 => {
                let mut buf = [0; 22];
                buf[..bytes.len()].copy_from_slice(bytes);
                NameKey::Inline(len, buf)
            }
            _ => NameKey::Heap(bytes.into()),
        }
    }
}

/// State of the walks (recursive adds, auto-add scans) in progress.
///
/// `listed` lives from the walk to its final drain (the read, until the
/// queue is empty, right after the walk): every event a listing causes was
/// queued before that drain started. `seen` lives until the end of the
/// processing round (the batch read before the walk may still hold
/// duplicates of what the scan reported, for watches the scan re-used).
#[derive(Debug, Default)]
pub(crate) struct WalkState {
    /// Names a scan reported by a synthetic `CREATE`, per new watch: a
    /// kernel `CREATE`/`MOVED_TO` of the same name drained later is the
    /// same entry and is dropped; a `DELETE`/`MOVED_FROM` of the name
    /// removes it (a later create is then a new entry).
    pub seen: HashMap<WatchDescriptor, HashSet<OsString>>,
    pub listed: Listed,
    /// Directories walked since the last drain.
    pub since_drain: usize,
    /// Whether a walk ran since the last final drain.
    pub active: bool,
}

/// Reads the queue until it is empty (or a bound of reads), filtering
/// walk-induced events, into `pending`.
pub(crate) fn drain(st: &mut Tree) -> Drained {
    let Tree {
        watcher,
        scratch,
        walk,
        pending,
        ..
    } = st;
    drain_parts(watcher.inotify(), scratch, walk, pending)
}

/// What a drain did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Drained {
    /// Whether the queue was read until empty (not cut short by the bound
    /// of reads or an error): every event queued before the drain began
    /// has been read.
    pub emptied: bool,
}

/// [`drain`] on the fields, for callers holding other borrows of the tree.
pub(crate) fn drain_parts(
    reader: &Inotify,
    scratch: &mut EventBuffer,
    walk: &mut WalkState,
    pending: &mut VecDeque<RawEvent>,
) -> Drained {
    // The queue holds at most max_queued_events; 64 reads of 64 KiB is
    // far more than that, so the bound only stops a writer outpacing us.
    walk.since_drain = 0;
    let mut emptied = false;
    for _ in 0..64 {
        let events = match reader.try_read_events(scratch) {
            Ok(events) => events,
            Err(err) => {
                log::warn!("draining the inotify queue failed: {err}");
                break;
            }
        };
        let mut any = false;
        for event in events {
            any = true;
            if walk_induced(walk, event.wd, event.mask, event.name) {
                continue;
            }
            pending.push_back(RawEvent {
                wd: event.wd,
                mask: event.mask,
                cookie: event.cookie,
                name: event.to_owned_name(),
            });
        }
        if !any {
            emptied = true;
            break;
        }
    }
    Drained { emptied }
}

/// Whether an event was caused or already reported by a walk (see
/// [`WalkState`]); updates the seen sets.
fn walk_induced(
    walk: &mut WalkState,
    wd: WatchDescriptor,
    mask: EventMask,
    name: Option<&OsStr>,
) -> bool {
    let self_kinds = EventMask::OPEN | EventMask::ACCESS | EventMask::CLOSE_NOWRITE;
    if mask.intersects(self_kinds)
        && mask.contains(EventMask::ISDIR)
        && walk.listed.contains(wd, name)
    {
        return true;
    }
    already_scanned(walk, wd, mask, name)
}

/// Whether a `CREATE`/`MOVED_TO` reports an entry a scan already reported
/// (then the name is used up); a `DELETE`/`MOVED_FROM` forgets the name.
///
/// Checked both when draining and when processing: an event read before a
/// scan but processed after it (the rest of the batch, or the pending
/// events) is as much a duplicate as one drained after it.
pub(crate) fn already_scanned(
    walk: &mut WalkState,
    wd: WatchDescriptor,
    mask: EventMask,
    name: Option<&OsStr>,
) -> bool {
    let (Some(name), Some(seen)) = (name, walk.seen.get_mut(&wd)) else {
        return false;
    };
    if mask.intersects(EventMask::CREATE | EventMask::MOVED_TO) {
        return seen.remove(name);
    }
    if mask.intersects(EventMask::DELETE | EventMask::MOVED_FROM) {
        seen.remove(name);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_names_match_short_and_long_names_exactly() {
        let mut listed = Listed::default();
        let (p, q) = (WatchDescriptor::from_raw(1), WatchDescriptor::from_raw(2));
        let long = "a-directory-name-longer-than-22-bytes";
        listed.note_name(p, "d".as_ref());
        listed.note_name(p, long.as_ref());
        listed.note_name(p, "x\0".as_ref());
        assert!(listed.contains(p, Some("d".as_ref())));
        assert!(listed.contains(p, Some(long.as_ref())));
        assert!(!listed.contains(p, Some("a-directory-name-longer-than-22-byte".as_ref())));
        assert!(!listed.contains(p, Some("x".as_ref())));
        assert!(!listed.contains(q, Some("d".as_ref())));
        assert!(!listed.contains(p, None));
        listed.note_dir(q);
        assert!(listed.contains(q, None));
    }

    #[test]
    fn walk_filter_drops_listing_events_and_scanned_creates_once() {
        let mut walk = WalkState::default();
        let wd = WatchDescriptor::from_raw(3);
        walk.listed.note_dir(wd);
        walk.seen.entry(wd).or_default().insert("f".into());
        let open_dir = EventMask::OPEN | EventMask::ISDIR;
        assert!(walk_induced(&mut walk, wd, open_dir, None));
        assert!(!walk_induced(&mut walk, wd, EventMask::OPEN, None));
        assert!(walk_induced(
            &mut walk,
            wd,
            EventMask::CREATE,
            Some("f".as_ref())
        ));
        assert!(!walk_induced(
            &mut walk,
            wd,
            EventMask::CREATE,
            Some("f".as_ref())
        ));
        walk.seen.entry(wd).or_default().insert("g".into());
        assert!(!walk_induced(
            &mut walk,
            wd,
            EventMask::DELETE,
            Some("g".as_ref())
        ));
        assert!(!walk_induced(
            &mut walk,
            wd,
            EventMask::CREATE,
            Some("g".as_ref())
        ));
    }
}
