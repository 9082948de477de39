//! From fanotify records to [`crate::Event`]s (the read into owned
//! records is `read.rs`): where each record happened (a marked directory, or a directory below a
//! filesystem-mark root), the bits of a merged record in order, renames
//! paired by `FAN_RENAME`, and the tree's upkeep.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use inotify_core::{EventMask, FanEventMask, FileIdBuf, WatchDescriptor, long_path};

use super::FanSide;
use super::add::{Out, scan_new_dir};
use super::rec::Rec;
use super::rescan::{Picture, mirror};
use crate::emit::{Processed, Target, emit};
use crate::event::Event;
use crate::watch::WatchData;
use crate::watch_manager::Shared;

/// Reads and processes the fanotify side's records (the hook of
/// [`crate::EventProcessor::process_ready`]); returns the records read.
///
/// # Errors
/// A failed read.
pub(crate) fn process_ready(
    st: &mut Shared,
    rescan_on_overflow: bool,
    out: Out<'_>,
) -> crate::Result<usize> {
    let Some(side) = st.fan.as_deref_mut() else {
        return Ok(0);
    };
    for (wd, path, data) in std::mem::take(&mut side.ignored) {
        emit(
            out,
            &Target::new(wd, &path, &data),
            EventMask::IGNORED,
            0,
            None,
            None,
            false,
        );
    }
    let read = super::read::drain(side)?;
    // The picture of what the consumer was told follows every event of
    // the round (it is outside `side` meanwhile, beside `out`).
    let mut picture = side.picture.take();
    round(side, &mut picture, rescan_on_overflow, out);
    side.picture = picture;
    Ok(read)
}

/// Handles the records read, and the rescan an overflow among them asks
/// for.
fn round(side: &mut FanSide, picture: &mut Option<Picture>, rescan: bool, out: Out<'_>) {
    // Bounded: a directory that keeps moving is looked for again in the
    // next round's retries... or given up (its later records tell). The
    // queue is empty when the round ends: a retry's scan drains the group,
    // and a record left queued here would wait for the next record to
    // make the group readable (for ever, if none came).
    // Records that waited from earlier rounds first: they happened before
    // anything read since (handled apart from the queue, whose sequence
    // numbers stay consecutive from its front).
    for rec in side.take_unplaced() {
        step(side, picture, rec, rescan, out);
    }
    for retry in 0..=4 {
        while let Some(rec) = side.queue.pop_front() {
            step(side, picture, rec, rescan, out);
        }
        if side.raced.is_empty() || retry == 4 {
            break;
        }
        super::raced::retry_raced(side, &mut mirror(picture, &mut *out));
    }
    // Still not found: the record of the rename that moved it (or a
    // directory above it) may not be queued yet (the kernel queues it once
    // the rename is done, and the renaming thread can be preempted in
    // between), so it is looked for again in the next rounds, which bring
    // that record; its deletion or move out ends the search
    // (`FanSide::raced_moved`), and so do MAX_RACED_ROUNDS rounds without
    // finding it.
    if side.raced.is_empty() {
        side.raced_rounds = 0;
    } else {
        side.raced_rounds += 1;
        if side.raced_rounds > MAX_RACED_ROUNDS {
            log::debug!(
                "{} new directories not found after {MAX_RACED_ROUNDS} rounds: given up",
                side.raced.len()
            );
            side.raced.clear();
            side.raced_rounds = 0;
        }
    }
    side.end_round();
    if side.queue.is_empty() {
        let mut both = mirror(picture, &mut *out);
        side.last_of.clear();
        // Deferred behind a record that never came (cannot happen: the
        // record was read before the DELETE was deferred): deliver them.
        let mut left: Vec<Rec> = side.after.drain().flat_map(|(_, recs)| recs).collect();
        left.sort_by_key(|r| r.seq);
        for rec in left {
            handle(side, rec, rescan, &mut both);
        }
    }
}

/// Handles one record of a round, then the rescan an overflow among its
/// bits asks for.
fn step(side: &mut FanSide, picture: &mut Option<Picture>, rec: Rec, rescan: bool, out: Out<'_>) {
    // Without rescans no picture is kept: one closure fewer per event.
    if picture.is_some() {
        handle_in_order(side, rec, rescan, &mut mirror(picture, &mut *out));
    } else {
        handle_in_order(side, rec, rescan, &mut *out);
    }
    if std::mem::take(&mut side.rescan_due) {
        // At once: the records behind the overflow happened after what it
        // lost, and the consumer must be in line with the disk before they
        // are applied.
        super::rescan::rescan(side, picture, &mut *out);
    }
}

/// Rounds a directory a scan did not find at its path is looked for in.
const MAX_RACED_ROUNDS: u32 = 64;

/// Handles `rec`, then the `DELETE`s deferred behind it.
fn handle_in_order(side: &mut FanSide, rec: Rec, rescan: bool, out: Out<'_>) {
    let seq = rec.seq;
    handle(side, rec, rescan, out);
    if let Some(deferred) = side.after.remove(&seq) {
        for rec in deferred {
            handle(side, rec, rescan, out);
        }
    }
}

/// Where a record happened: the watch it is delivered through, the
/// directory's path, and the entry (`None`: the watched object itself).
///
/// Built once per record, with the emit target every event of the record
/// goes through (one path copy per record, not one per event bit); the
/// name borrows the record.
struct Place<'r> {
    wd: WatchDescriptor,
    /// The watch's emit target; its `path` is the directory's path.
    target: Target,
    data: WatchData,
    name: Option<&'r OsStr>,
    /// The record is about a marked directory itself (inode marks).
    own: bool,
    /// The entry is a file whose `DELETE` follows its `CREATE` in this
    /// record (made and removed while queued): the `CREATE` is not noted
    /// in `told`, as the `DELETE` would take it out again before anything
    /// reads it (no scan runs between them, only for directories).
    gone_in_record: bool,
}

impl<'r> Place<'r> {
    /// The place of an event in the directory `dir` of watch `wd`.
    fn new(
        wd: WatchDescriptor,
        dir: PathBuf,
        data: &WatchData,
        name: Option<&'r OsStr>,
        own: bool,
    ) -> Self {
        Place {
            wd,
            target: Target::owned(wd, dir, data),
            data: data.clone(),
            name,
            own,
            gone_in_record: false,
        }
    }

    /// The directory's path.
    fn dir(&self) -> &Path {
        &self.target.path
    }
}

/// The kernel bits of a record in the order inotify queues them.
const ORDER: [(FanEventMask, EventMask); 11] = [
    (FanEventMask::CREATE, EventMask::CREATE),
    (FanEventMask::OPEN, EventMask::OPEN),
    (FanEventMask::ACCESS, EventMask::ACCESS),
    (FanEventMask::MODIFY, EventMask::MODIFY),
    (FanEventMask::ATTRIB, EventMask::ATTRIB),
    (FanEventMask::CLOSE_WRITE, EventMask::CLOSE_WRITE),
    (FanEventMask::CLOSE_NOWRITE, EventMask::CLOSE_NOWRITE),
    (FanEventMask::MOVED_FROM, EventMask::MOVED_FROM),
    (FanEventMask::MOVED_TO, EventMask::MOVED_TO),
    (FanEventMask::DELETE, EventMask::DELETE),
    (FanEventMask::MOVE_SELF, EventMask::MOVE_SELF),
];

/// Handles one record.
fn handle(side: &mut FanSide, mut rec: Rec, rescan: bool, out: Out<'_>) {
    // Our own listings of directories (walks and scans) are not events of
    // the tree, as the inotify backend's listing filter drops them.
    if rec.mask.is_dir() && u32::try_from(rec.pid).ok() == Some(std::process::id()) {
        rec.mask -= FanEventMask::OPEN | FanEventMask::ACCESS | FanEventMask::CLOSE_NOWRITE;
        if (rec.mask - FanEventMask::ONDIR).is_empty() {
            return;
        }
    }
    defer_merged_delete(side, &mut rec);
    let rec = &rec;
    if rec.mask.contains(FanEventMask::Q_OVERFLOW) {
        out(Processed::Event {
            event: Event::overflow(),
            handler: None,
        });
        side.rescan_due |= rescan;
        return;
    }
    if rec.mask.contains(FanEventMask::RENAME) {
        super::manager::rename(side, rec.old.as_deref(), rec.new.as_deref(), rec, out);
    }
    if rec.mask.is_dir() && !side.fs_roots.is_empty() {
        // Every directory made or removed on a marked filesystem, inside
        // the roots or not: one moved in later must have its path.
        if rec.mask.contains(FanEventMask::CREATE) {
            side.learn(rec);
        }
        if rec.mask.contains(FanEventMask::DELETE) {
            // At the end of the round: records of the directory's entries
            // (a merged CREATE|DELETE comes before them) still need it.
            side.forget_later(rec);
        }
    }
    side.unresolved = false;
    let Some(mut place) = locate(side, rec) else {
        if side.unresolved {
            side.defer_unplaced(rec);
        }
        return;
    };
    let isdir = if rec.mask.is_dir() {
        EventMask::ISDIR
    } else {
        EventMask::empty()
    };
    // The entry's path, spelled once per record in a reused buffer.
    let mut entry = std::mem::take(&mut side.entry);
    let pathname = place.name.map(|name| {
        entry.as_mut_os_string().clear();
        entry.push(place.dir());
        entry.push(name);
        entry.as_path()
    });
    // Merged CREATE|DELETE of one name: if it is there now, the create
    // came last. With the entry's handle in the record (5.17), records
    // of one object merge, so another object there now means this one
    // was created, then deleted. A name missing from a listing of this
    // round (taken after the record was read) needs no lookup.
    let both = FanEventMask::CREATE | FanEventMask::DELETE;
    let delete_first = rec.mask.contains(both)
        && pathname.is_some_and(|p| {
            let listed_missing = match (rec.dir(), place.name) {
                (Some((dir_id, _)), Some(name)) => {
                    side.presence
                        .missing(dir_id, place.dir(), name, rec.seq, side.next_seq)
                }
                _ => false,
            };
            !listed_missing
                && long_path::metadata(p, false).is_ok()
                && rec
                    .fid_ref()
                    .is_none_or(|id| FileIdBuf::of(p).is_ok_and(|now| now.as_file_id() == id))
        });
    // A scan of this round reported the entry: the record's CREATE is
    // that entry's (whatever else the record says happened after).
    let scan_saw = pathname.is_some_and(|p| side.seen.contains(p));
    place.gone_in_record = !rec.mask.is_dir() && rec.mask.contains(both) && !delete_first;
    if delete_first {
        one(side, &place, pathname, EventMask::DELETE | isdir, rec, out);
    }
    // A watched directory's own events that inotify also delivers to its
    // parent's watch, as an entry event there (first).
    let twin = (place.name.is_none() && rec.mask.is_dir())
        .then(|| super::twin::parent_of(side, place.wd, place.dir(), &place.data, rec))
        .flatten();
    for (fan, bit) in ORDER {
        let skip =
            (delete_first && bit == EventMask::DELETE) || (scan_saw && bit == EventMask::CREATE);
        if rec.mask.contains(fan) && !skip {
            if let Some(twin) = &twin {
                twin.emit(bit | isdir, out);
            }
            one(side, &place, pathname, bit | isdir, rec, out);
        }
    }
    if rec.mask.contains(FanEventMask::DELETE_SELF) {
        one(
            side,
            &place,
            pathname,
            EventMask::DELETE_SELF | isdir,
            rec,
            out,
        );
    }
    side.entry = entry;
}

/// A `DELETE` merged into an earlier record of the same object happened
/// after every later record of that object (an object is renamed, written
/// and closed before it is deleted, never after): when the queue holds
/// such records, the `DELETE` moves behind the last of them. Only with the
/// entry's handle in records (`FAN_REPORT_TARGET_FID`), which is what
/// makes records of one object recognisable.
fn defer_merged_delete(side: &mut FanSide, rec: &mut Rec) {
    let others = rec.mask - FanEventMask::DELETE - FanEventMask::ONDIR;
    if !rec.mask.contains(FanEventMask::DELETE) || others.is_empty() {
        return;
    }
    let Some(last) = last_record_of(side, rec) else {
        return;
    };
    let mut delete = rec.clone();
    delete.mask = rec.mask & (FanEventMask::DELETE | FanEventMask::ONDIR);
    side.after.entry(last).or_default().push(delete);
    rec.mask -= FanEventMask::DELETE;
}

/// The sequence number of the last queued record of `rec`'s object after
/// `rec`, following the `later` links (each found by index in the queue).
fn last_record_of(side: &FanSide, rec: &Rec) -> Option<u64> {
    let mut last = rec.later?;
    let front = side.queue.front()?.seq;
    while let Some(next) = last
        .checked_sub(front)
        .and_then(|at| usize::try_from(at).ok())
        .and_then(|at| side.queue.get(at))
        .filter(|r| r.seq == last)
        .and_then(|r| r.later)
    {
        last = next;
    }
    Some(last)
}

/// Where `rec` happened, or `None` (not ours: another directory of a
/// filesystem mark, a directory moved out, a handle no longer resolvable).
fn locate<'r>(side: &mut FanSide, rec: &'r Rec) -> Option<Place<'r>> {
    let Some((dir_id, name)) = rec.dir() else {
        // No directory record: an event of a marked file itself.
        let wd = side.tree.by_id(rec.fid_ref()?)?;
        let node = side.tree.get(wd)?;
        return Some(Place::new(wd, node.path.clone(), &node.data, None, true));
    };
    let name = (name != ".").then_some(name);
    let self_bits = FanEventMask::DELETE_SELF | FanEventMask::MOVE_SELF;
    let marked = side.tree.by_id(dir_id);
    if side.fs_roots.is_empty() || marked.is_some() {
        // Inode marks: the directory's own mark, or the object's (a
        // marked file, or a directory's own DELETE_SELF/MOVE_SELF).
        let own_id = if rec.mask.intersects(self_bits) || name.is_none() {
            rec.fid_ref().or(Some(dir_id))
        } else {
            None
        };
        if let Some(wd) = own_id.and_then(|id| side.tree.by_id(id))
            && let Some(node) = side.tree.get(wd)
        {
            return Some(Place::new(wd, node.path.clone(), &node.data, None, true));
        }
        let Some(wd) = marked else {
            // A watched file in an unwatched directory: the record names
            // the file by its directory and name, and the file by its
            // own handle, which is the watch.
            let wd = side.tree.by_id(rec.fid_ref()?)?;
            let node = side.tree.get(wd)?;
            return Some(Place::new(wd, node.path.clone(), &node.data, None, true));
        };
        let node = side.tree.get(wd)?;
        if side.shadowed(&node.path, None) {
            return None;
        }
        return Some(Place::new(wd, node.path.clone(), &node.data, name, false));
    }
    let canon = side.resolve(dir_id)?;
    let (root, dir) = side.place_fs(&canon)?;
    if side.hidden(&dir) || side.in_unscanned(&canon) || side.shadowed(&dir, Some(&canon)) {
        return None;
    }
    Some(Place::new(root.wd, dir, &root.data, name, false))
}

/// One inotify event of a record, and what it changes; `pathname` is the
/// entry's path (`place`'s directory and name).
fn one(
    side: &mut FanSide,
    place: &Place<'_>,
    pathname: Option<&Path>,
    mask: EventMask,
    rec: &Rec,
    out: Out<'_>,
) {
    let name = place.name;
    if let Some(path) = pathname {
        // The deletion of a directory a scan of this round did not report
        // there: the consumer has the other one (see `FanSide::shadowed`).
        if mask.intersects(EventMask::DELETE | EventMask::MOVED_FROM)
            && let Some(fid) = rec.fid_ref()
            && side
                .seen_dirs
                .get(path)
                .is_some_and(|id| id.as_file_id() != fid)
        {
            return;
        }
        if mask.intersects(EventMask::CREATE | EventMask::MOVED_TO) {
            if side.seen.contains(path) {
                return; // a scan reported it
            }
            if !(place.gone_in_record && mask.contains(EventMask::CREATE)) {
                side.told.insert(path.to_path_buf());
            }
        }
        if mask.intersects(EventMask::DELETE | EventMask::MOVED_FROM) {
            side.forget_reported(path, mask.contains(EventMask::ISDIR));
            if let Some(name) = name {
                side.raced_moved((place.wd, name), None);
            }
        }
    }
    let target = &place.target;
    if mask.contains(EventMask::DELETE_SELF) || (mask.contains(EventMask::MOVE_SELF) && place.own) {
        emit(out, target, mask, 0, name, None, false);
        self_gone(side, place, mask, out);
        return;
    }
    emit(out, target, mask, 0, name, None, false);
    let (Some(path), true) = (pathname, mask.contains(EventMask::ISDIR)) else {
        return;
    };
    if mask.contains(EventMask::CREATE) {
        if (side.fs_roots.is_empty() || side.tree.get(place.wd).is_some()) && place.data.auto_add {
            let path = path.to_path_buf();
            scan_new_dir(side, (place.wd, &place.data), path, rec.fid(), true, out);
        }
    } else if mask.contains(EventMask::DELETE) {
        for (wd, node) in side.tree.remove_subtree(path) {
            let gone = Target::new(wd, &node.path, &node.data);
            emit(
                out,
                &gone,
                EventMask::DELETE_SELF | EventMask::ISDIR,
                0,
                None,
                None,
                false,
            );
            emit(out, &gone, EventMask::IGNORED, 0, None, None, false);
        }
    }
}

/// A watched object deleted or moved away by itself: its watch ends.
fn self_gone(side: &mut FanSide, place: &Place<'_>, mask: EventMask, out: Out<'_>) {
    let moved = mask.contains(EventMask::MOVE_SELF);
    if moved {
        // A move inside the tree was followed by its rename record; only
        // a root whose parent is not watched cannot be followed.
        let parent_watched = place
            .dir()
            .parent()
            .is_some_and(|p| side.tree.by_path(p).is_some());
        if !place.data.root || parent_watched {
            return;
        }
        // Inode marks: found again where it went (or, when not, given up
        // with an error that says why).
        if side.tree.get(place.wd).is_some() {
            match super::moved_root::follow(side, place.wd, place.dir()) {
                Ok(replaced) => {
                    super::manager::ignored(out, replaced);
                    return;
                }
                Err(err) => out(Processed::Error(err)),
            }
        }
    }
    for (wd, node) in side.tree.remove_subtree(place.dir()) {
        emit(
            out,
            &Target::new(wd, &node.path, &node.data),
            EventMask::IGNORED,
            0,
            None,
            None,
            false,
        );
    }
    if let Some(at) = side.fs_roots.iter().position(|r| r.wd == place.wd) {
        let root = side.fs_roots.remove(at);
        if place.dir() == root.path {
            emit(
                out,
                &Target::new(root.wd, &root.path, &root.data),
                EventMask::IGNORED,
                0,
                None,
                None,
                false,
            );
        } else {
            side.fs_roots.insert(at, root);
        }
    }
}
