//! The end of a processing round of the [`super::EventProcessor`]: the
//! records queued behind an overflow, then its rescan; the moves still
//! unpaired; the auto-adds that found nothing; the directories a scan
//! watched but could not list. Split from `bookkeeping.rs`, which handles
//! each record.

use inotify_core::EventBuffer;

use super::{State, handle_events, handle_raw, run_pending};
use crate::emit::Coalescer;
use crate::tree::{finish_walk, list_unlisted, rescan, scan_new_dir};
use crate::watch_manager::Shared;

/// Ends a processing round: once a `Q_OVERFLOW` was read, processes the
/// records queued behind it, then rescans; resolves the moves still
/// unpaired; retries the auto-adds that found nothing; then forgets what
/// the round's scans reported. Returns the records read here.
pub(super) fn finish_round(
    state: &mut State,
    st: &mut Shared,
    buffer: &mut EventBuffer,
    sink: &mut Coalescer<'_>,
) -> crate::Result<usize> {
    let mut read = 0;
    // Bounded: a queue overflowing again and again is rescanned in the
    // next round.
    for _ in 0..4 {
        if !state.rescan_due {
            break;
        }
        read += read_behind_overflow(state, st, buffer, sink)?;
        let held = state.waiting.resolve_moves(st);
        handle_raw(state, st, held, sink);
        state.rescan_due = false;
        rescan(&mut st.tree, &mut |p| sink.send(p));
        run_pending(state, st, sink);
    }
    let held = state.waiting.resolve_moves(st);
    handle_raw(state, st, held, sink);
    retry_unresolved(state, st, sink);
    if st.tree.has_unlisted() {
        list_unlisted(&mut st.tree, false, &mut |p| sink.send(p));
        finish_walk(&mut st.tree);
        run_pending(state, st, sink);
    }
    st.tree.end_round();
    Ok(read)
}

/// Processes every record that was queued when the round read a
/// `Q_OVERFLOW`, before the rescan it calls for.
///
/// While the overflow record sits in the queue the kernel queues nothing
/// new when the queue fills again, and queues no second overflow record
/// either: records behind the first one can be followed by silent losses.
/// A rescan that ran when the record was read would compare the disk with
/// a picture those records have not reached yet, and applying them after
/// it would bring back what the lost records undid (a file created, then
/// deleted: a phantom). Reading what FIONREAD counts now covers every
/// record queued before any loss; losses after the record was read come
/// with an overflow record of their own.
fn read_behind_overflow(
    state: &mut State,
    st: &mut Shared,
    buffer: &mut EventBuffer,
    sink: &mut Coalescer<'_>,
) -> crate::Result<usize> {
    let mut left = st.tree.inotify().bytes_available()?;
    let mut read = 0;
    while left > 0 {
        let events = st.tree.inotify().try_read_events(buffer)?;
        let bytes = events.remainder().len();
        if bytes == 0 {
            break;
        }
        left = left.saturating_sub(bytes);
        read += handle_events(state, st, events, sink);
    }
    Ok(read)
}

/// Retries the auto-adds whose directory was not at its path, now that
/// the round's renames have moved the watch table: the directory is looked
/// up again under its parent's current path. One still missing waits for
/// the next round (its ancestor's rename may not be read yet).
fn retry_unresolved(state: &mut State, st: &mut Shared, sink: &mut Coalescer<'_>) {
    let mut list = state.waiting.take_unresolved();
    let mut later = Vec::new();
    // Retrying can auto-add and drain again, which can leave new ones.
    for _ in 0..4 {
        if list.is_empty() {
            break;
        }
        for u in list {
            let Some(dir) = st.tree.table().path_with(u.parent, Some(&u.name)) else {
                continue; // the parent's watch is gone: nothing to add to
            };
            if st.tree.wd(&dir).is_some() {
                continue; // watched and scanned since, by a later record
            }
            if scan_new_dir(&mut st.tree, &u.template, dir, &mut |p| sink.send(p)).raced {
                later.push(u);
            }
        }
        if st.tree.walking() {
            finish_walk(&mut st.tree);
        }
        run_pending(state, st, sink);
        list = state.waiting.take_unresolved();
    }
    later.append(&mut list);
    for u in later {
        state.waiting.retry_later(u);
    }
}
