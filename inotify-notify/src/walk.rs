//! The state of walks (recursive adds, auto-add scans, rescans) and the
//! drain that keeps a walk from flooding or overflowing the queue: events
//! read during a walk are filtered (self-inflicted listing events, entries
//! a scan already reported) and kept in order for the processor.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::{OsStr, OsString};

use inotify_core::{EventBuffer, EventMask, Inotify, WatchDescriptor};

use crate::watch_manager::Shared;

/// An event copied out of the read buffer (drained during a walk, to be
/// processed after the events read before it).
#[derive(Debug, Clone)]
pub(crate) struct RawEvent {
    pub wd: WatchDescriptor,
    pub mask: EventMask,
    pub cookie: u32,
    pub name: Option<OsString>,
}

/// Names a walk listed, per watch: the self-inflicted `OPEN`/`ACCESS`/
/// `CLOSE_NOWRITE` (with `ISDIR`) on these are dropped while draining.
#[derive(Debug, Default)]
pub(crate) struct Listed {
    pub itself: bool,
    pub names: HashSet<OsString>,
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
    pub listed: HashMap<WatchDescriptor, Listed>,
    /// Directories walked since the last drain.
    pub since_drain: usize,
    /// Whether a walk ran since the last final drain.
    pub active: bool,
}

/// Reads the queue until it is empty (or a bound of reads), filtering
/// walk-induced events, into `pending`. Returns how many were kept.
pub(crate) fn drain(st: &mut Shared) -> usize {
    let Shared {
        reader,
        scratch,
        walk,
        pending,
        ..
    } = st;
    drain_parts(reader, scratch, walk, pending)
}

/// [`drain`] on the fields, for callers holding other borrows of `Shared`.
pub(crate) fn drain_parts(
    reader: &Inotify,
    scratch: &mut EventBuffer,
    walk: &mut WalkState,
    pending: &mut VecDeque<RawEvent>,
) -> usize {
    // The queue holds at most max_queued_events; 64 reads of 64 KiB is
    // far more than that, so the bound only stops a writer outpacing us.
    let mut kept = 0;
    walk.since_drain = 0;
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
            kept += 1;
            pending.push_back(RawEvent {
                wd: event.wd,
                mask: event.mask,
                cookie: event.cookie,
                name: event.to_owned_name(),
            });
        }
        if !any {
            break;
        }
    }
    kept
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
        && let Some(listed) = walk.listed.get(&wd)
    {
        let hit = match name {
            None => listed.itself,
            Some(name) => listed.names.contains(name),
        };
        if hit {
            return true;
        }
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
    fn walk_filter_drops_listing_events_and_scanned_creates_once() {
        let mut walk = WalkState::default();
        let wd = WatchDescriptor::from_raw(3);
        walk.listed.entry(wd).or_default().itself = true;
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
