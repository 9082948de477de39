//! The read of a round: the group's records into owned, numbered records
//! in `FanSide::queue` (so scans can drain the group in the middle of a
//! round), each linked to the next record of its object, with what the
//! round must know before any is handled (merged directories, deleted
//! directories' places). Split from `process.rs`, which handles them.

use std::collections::VecDeque;
use std::hash::BuildHasher as _;
use std::io;

use inotify_core::{FanEventMask, FileId};

use super::FanSide;
use super::rec::{IdKey, Rec};

/// Reads everything queued now into `side.queue` (bounded: a busy
/// filesystem is read again in the next round). Returns the records read.
pub(crate) fn drain(side: &mut FanSide) -> io::Result<usize> {
    let target = side.features.report_target_fid;
    // Filesystem marks place records in directories by handle alone.
    let named_dirs = !side.fs_roots.is_empty();
    let FanSide {
        group,
        buffer,
        queue,
        scratch,
        next_seq,
        last_of,
        presence,
        gone_dirs,
        gone_paths,
        ..
    } = side;
    let Some(group) = group else {
        return Ok(0);
    };
    let mut count = 0;
    for _ in 0..64 {
        let events = group.try_read_events(buffer)?;
        let before = count;
        for event in events {
            let mut rec = Rec::of(&event, target, scratch);
            rec.seq = *next_seq;
            *next_seq += 1;
            if let Some(fid) = rec.fid_ref()
                && let Some(prev) = last_of.insert(last_of.hasher().hash_one(IdKey(fid)), rec.seq)
            {
                link_later(queue, prev, fid, rec.seq);
            }
            if rec
                .mask
                .contains(FanEventMask::CREATE | FanEventMask::DELETE)
                && let Some((dir, _)) = rec.dir()
            {
                presence.note_merged(dir);
            }
            if named_dirs
                && rec
                    .mask
                    .contains(FanEventMask::DELETE | FanEventMask::ONDIR)
            {
                super::unplaced::note_deleted_dir(gone_dirs, gone_paths, &rec);
            }
            queue.push_back(rec);
            count += 1;
        }
        if count == before {
            break;
        }
    }
    Ok(count)
}

/// Links the queued record `prev` (the last one read of `fid`'s handle
/// hash) to the record `seq` of `fid` just read.
///
/// One probe of `last_of` per record read, and none when records are
/// handled: a lookup per handled record missed the cache on every record
/// of a full queue. The queue holds consecutive sequence numbers from its
/// front, so `prev` is found by index; a record already handled needs no
/// link. Only when `prev` is another object's (their handles hash alike)
/// is the queue searched from the back for this object's last record.
fn link_later(queue: &mut VecDeque<Rec>, prev: u64, fid: FileId<'_>, seq: u64) {
    let Some(front) = queue.front().map(|r| r.seq) else {
        return;
    };
    let Some(at) = prev
        .checked_sub(front)
        .and_then(|at| usize::try_from(at).ok())
    else {
        return;
    };
    match queue.get_mut(at) {
        Some(r) if r.seq == prev && r.fid_ref() == Some(fid) => r.later = Some(seq),
        Some(_) => {
            let last = queue.iter_mut().rev().find(|r| r.fid_ref() == Some(fid));
            if let Some(r) = last {
                r.later = Some(seq);
            }
        }
        None => {}
    }
}
