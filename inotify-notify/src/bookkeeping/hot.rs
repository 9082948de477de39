//! The hot path of the [`super::EventProcessor`]: a record through a watch
//! in the table that asks for no bookkeeping (no rename, `IGNORED`, new
//! directory, snapshot or rule file) while nothing waits for a later
//! record or a listing becomes one owned event in a recycled buffer. It is
//! a small function of its own, so the records of a flood do not pay for
//! entering `handle` (the full match over every kind); records it declines
//! go there, untouched.

use std::ffi::OsStr;
use std::path::Path;

use inotify_core::{EventMask, WatchDescriptor};

use super::State;
use crate::emit::{Coalescer, Processed, SparePaths, Via, build_in, excluded_entry, wanted};
use crate::tree::RELOAD_EVENTS;
use crate::watch::{ExcludeFilter, WatchData};
use crate::watch_manager::Shared;

/// Kinds `handle` must see whatever the watch: they change the tree or
/// what waits for a later record.
const TRACKED: EventMask = EventMask::Q_OVERFLOW
    .union(EventMask::IGNORED)
    .union(EventMask::MOVED_FROM)
    .union(EventMask::MOVED_TO)
    .union(EventMask::MOVE_SELF);

/// Delivers the record if it takes the hot path; `false` (nothing done)
/// leaves it to `handle`. The checks are the conditions under which
/// `handle` itself would reach [`deliver`] with nothing else to do, or
/// stricter (any pending move or unresolved auto-add, any snapshot,
/// any new directory declines).
#[inline]
pub(super) fn try_deliver(
    state: &mut State,
    st: &mut Shared,
    wd: WatchDescriptor,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
    sink: &mut Coalescer<'_>,
) -> bool {
    if mask.intersects(TRACKED)
        || mask.contains(EventMask::CREATE | EventMask::ISDIR)
        || state.waiting.has_moves()
        || state.waiting.has_unresolved()
        || st.tree.has_scan_notes()
        || st.tree.has_unlisted()
        || !st.transients.is_empty()
        || st.tree.snapshots()
    {
        return false;
    }
    let Some(entry) = st.tree.table().get(wd) else {
        return false;
    };
    let data = &entry.data;
    if name.is_some()
        && mask.intersects(RELOAD_EVENTS)
        && data.exclude().is_some_and(ExcludeFilter::has_reload)
    {
        return false;
    }
    let Some(path) = st.path_cache.get(st.tree.table(), wd) else {
        return false;
    };
    let spare = &mut state.spare;
    deliver(spare, wd, path, data, mask, cookie, name, |p| sink.send(p));
    true
}

/// Sends the event of a record that needs no bookkeeping, through watch
/// `wd` at `path`, if the watch's user mask and entry filter let it
/// through; its path is built in a buffer from `spare`.
#[inline]
#[expect(
    clippy::too_many_arguments,
    reason = "the record's four fields beside the watch it came through"
)]
pub(super) fn deliver(
    spare: &mut SparePaths,
    wd: WatchDescriptor,
    path: &Path,
    data: &WatchData,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
    mut out: impl FnMut(Processed),
) {
    if !wanted(data.user_mask, mask)
        || data
            .entry_filter()
            .is_some_and(|f| name.is_some_and(|n| excluded_entry(f, path, n, mask)))
    {
        return;
    }
    let via = Via {
        wd,
        path,
        is_dir: data.is_dir,
        handler: data.proc_fun(),
    };
    let event = build_in(spare.take(), &via, mask, cookie, name);
    out(Processed::Event {
        event,
        handler: via.handler.cloned(),
    });
}
