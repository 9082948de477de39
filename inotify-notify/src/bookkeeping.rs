//! [`EventProcessor`]: the "system processing" between raw kernel records
//! and the owned [`Event`]s handlers see — `IGNORED` bookkeeping, auto-add
//! with scan, rename pairing and subtree renames, moved-out trees, overflow
//! rescans, mask filtering and coalescing.
//!
//! It is the seam for event loops: the blocking [`crate::Notifier`] calls
//! [`EventProcessor::process_ready`] when the descriptor is readable, and
//! an async notifier (mio, tokio) does the same from its readiness
//! callback. It takes the manager's lock once per batch and allocates per
//! event only the owned event's paths, and not those once the events it
//! handed out come back ([`EventProcessor::recycle`]). A flood's records
//! take the small hot path of `bookkeeping/hot.rs`.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::Duration;

use inotify_core::{EventBuffer, EventKind, EventMask, WatchDescriptor, wait_readable};

use crate::emit::{CoalesceSet, Coalescer, Processed, SparePaths, Target, emit};
use crate::event::Event;
use crate::tree::{
    RELOAD_EVENTS, RawEvent, finish_walk, maybe_reshape, scan_new_dir, update_snapshot,
};
use crate::waiting::Waiting;
use crate::watch::{ExcludeFilter, WatchData};
use crate::watch_manager::{Shared, WatchManager};

mod hot;
mod round;

use round::finish_round;

/// How long a `MOVED_FROM` of a watched directory waits, at the end of a
/// batch, for its `MOVED_TO` to be queued (the kernel queues the two halves
/// back to back, but a read can fall between them).
pub const MOVE_GRACE: Duration = Duration::from_millis(5);

/// Options of the processing (set from [`crate::NotifierBuilder`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessorOptions {
    /// Drop duplicates of (wd, mask, cookie, name) within a batch.
    pub coalesce_events: bool,
    /// Rescan the trees after `Q_OVERFLOW`.
    pub rescan_on_overflow: bool,
}

/// State kept between batches.
#[derive(Debug, Default)]
struct State {
    options: ProcessorOptions,
    /// Renames and auto-adds waiting for a later record.
    waiting: Waiting,
    /// A `Q_OVERFLOW` was read and the rescan it calls for is due once
    /// the records queued behind it are processed.
    rescan_due: bool,
    /// Dispatched events' buffers, for the hot path's next events.
    spare: SparePaths,
}

/// The system processing of one manager's events (see the module docs).
///
/// ```
/// use inotify_notify::{EventProcessor, Processed, WatchManager, WatchMask, WatchOptions};
/// let dir = std::env::temp_dir().join(format!("proc-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let wm = WatchManager::new()?;
/// wm.add_watch(&dir, WatchMask::CREATE, &WatchOptions::default())?;
/// std::fs::write(dir.join("f"), b"")?;
/// let mut processor = EventProcessor::new(&wm, Default::default());
/// let mut names = Vec::new();
/// processor.process_ready(&mut |p| {
///     if let Processed::Event { event, .. } = p {
///         names.push(event.into_pathname());
///     }
/// })?;
/// assert_eq!(names, [dir.join("f")]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
pub struct EventProcessor {
    wm: WatchManager,
    buffer: EventBuffer,
    state: State,
    coalesce: CoalesceSet,
}

impl std::fmt::Debug for EventProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventProcessor")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl EventProcessor {
    /// A processor for `wm`'s events.
    pub fn new(wm: &WatchManager, options: ProcessorOptions) -> Self {
        if options.rescan_on_overflow {
            wm.enable_snapshots();
        }
        EventProcessor {
            wm: wm.clone(),
            buffer: EventBuffer::new(),
            coalesce: CoalesceSet::new(),
            state: State {
                options,
                ..State::default()
            },
        }
    }

    /// The manager.
    pub fn watch_manager(&self) -> &WatchManager {
        &self.wm
    }

    /// Hands back an event this processor made once it has been handled,
    /// so its allocation serves a later event (a loop that drops events
    /// instead allocates one path per event; [`crate::Notifier`] does this).
    #[inline]
    pub fn recycle(&mut self, event: Event) {
        self.state.spare.put(event);
    }

    /// Sets the read buffer size (bytes; never below one maximal record).
    pub fn set_buffer_size(&mut self, bytes: usize) {
        self.buffer.resize(bytes);
    }

    /// Reads what is queued (one non-blocking read) and processes it,
    /// together with events drained earlier by walks, sending each output
    /// to `out` in order. Returns the number of kernel records read.
    ///
    /// Call it when the inotify descriptor ([`WatchManager`]'s `AsFd`) or
    /// [`WatchManager::pending_fd`] is readable. The read happens under the
    /// manager's lock so that it is ordered with the drains of walks.
    ///
    /// # Errors
    /// A failed `read(2)`.
    pub fn process_ready(&mut self, out: &mut dyn FnMut(Processed)) -> crate::Result<usize> {
        let mut st = self.wm.lock();
        if let Err(err) = self.wm.inner.pending_waker.reset() {
            log::warn!("cannot reset the pending waker: {err}");
        }
        let mut sink = Coalescer::new(&mut self.coalesce, self.state.options, out);
        let state = &mut self.state;
        run_pending(state, &mut st, &mut sink);
        let mut read = 0;
        let mut graced = false;
        loop {
            let events = st.tree.inotify().try_read_events(&mut self.buffer)?;
            read += handle_events(state, &mut st, events, &mut sink);
            if !state.waiting.needs_grace() || graced {
                break;
            }
            graced = true;
            let [ready] = wait_readable([st.tree.inotify().as_fd()], Some(MOVE_GRACE))?;
            if !ready {
                break;
            }
        }
        // The fanotify side (a hook: nothing for an inotify manager).
        let rescan_on_overflow = state.options.rescan_on_overflow;
        read += crate::fan::process_ready(&mut st, rescan_on_overflow, &mut |p| sink.send(p))?;
        read += finish_round(state, &mut st, &mut self.buffer, &mut sink)?;
        read += after_round(state, &mut st, &mut sink)?;
        self.coalesce.clear();
        self.wake_if_due();
        Ok(read)
    }

    /// Processes events the caller read itself (for loops that own the
    /// read), then the events drained by walks.
    ///
    /// Prefer [`EventProcessor::process_ready`]: a walk running in another
    /// thread between the caller's read and this call drains newer events
    /// that this method then processes after older ones. And here a
    /// `MOVED_FROM` left unpaired at the end of `events` is resolved at once
    /// (no [`MOVE_GRACE`] wait for a pair split across reads): the consumer
    /// then sees a move out followed by a move in, still consistent. After
    /// a `Q_OVERFLOW` with rescans on, it reads what is queued behind the
    /// overflow record itself (on the manager's descriptor) before the
    /// rescan; a read error then comes out as [`Processed::Error`].
    pub fn process_batch<'e>(
        &mut self,
        events: impl IntoIterator<Item = inotify_core::Event<'e>>,
        out: &mut dyn FnMut(Processed),
    ) {
        let mut st = self.wm.lock();
        if let Err(err) = self.wm.inner.pending_waker.reset() {
            log::warn!("cannot reset the pending waker: {err}");
        }
        let mut sink = Coalescer::new(&mut self.coalesce, self.state.options, out);
        let state = &mut self.state;
        run_pending(state, &mut st, &mut sink);
        handle_events(state, &mut st, events, &mut sink);
        if let Err(err) = finish_round(state, &mut st, &mut self.buffer, &mut sink) {
            sink.send(Processed::Error(err));
        }
        if let Err(err) = after_round(state, &mut st, &mut sink) {
            sink.send(Processed::Error(err));
        }
        self.coalesce.clear();
        self.wake_if_due();
    }

    /// A round runs a bounded number of rescans (a queue that overflows
    /// for ever must not hold the loop in one round); one still due when
    /// it ends needs another round, and no kernel record may come to start
    /// it (the overflow record that asked for it was drained by a scan, and
    /// the disk may be quiet now). The pending waker makes the loop come
    /// back.
    fn wake_if_due(&self) {
        if self.state.rescan_due
            && let Err(err) = self.wm.inner.pending_waker.wake()
        {
            log::warn!("cannot wake the loop for a rescan still due: {err}");
        }
    }
}

/// Processes the events drained by walks, oldest first, until none is left
/// (processing them may walk and drain again).
fn run_pending(state: &mut State, st: &mut Shared, sink: &mut Coalescer<'_>) {
    loop {
        let batch = st.tree.take_pending();
        if batch.is_empty() {
            return;
        }
        handle_raw(state, st, batch, sink);
        if st.tree.walking() {
            finish_walk(&mut st.tree);
        }
    }
}

/// After a round: the fanotify fallback's part (nothing unless it is on
/// and the round left directories unwatched) and the events its listings
/// drained, then the errors of the exclude filters (rule files).
fn after_round(
    state: &mut State,
    st: &mut Shared,
    sink: &mut Coalescer<'_>,
) -> crate::Result<usize> {
    let mut read = 0;
    if st.fallback.is_some() {
        let rescan_on_overflow = state.options.rescan_on_overflow;
        read = crate::fan::fallback_round(st, rescan_on_overflow, &mut |p| sink.send(p))?;
        run_pending(state, st, sink);
    }
    for err in st.rule_errors.take() {
        sink.send(Processed::Error(err));
    }
    Ok(read)
}

/// Handles events copied out of the read buffer: drained by walks, or
/// held for a pending move that is now resolved.
fn handle_raw(state: &mut State, st: &mut Shared, held: Vec<RawEvent>, sink: &mut Coalescer<'_>) {
    for raw in held {
        handle(
            state,
            st,
            raw.wd,
            raw.mask,
            raw.cookie,
            raw.name.as_deref(),
            sink,
        );
    }
}

/// Handles one run of kernel events, then ends any walk they started and
/// runs the work they queued (the same steps for every loop). Returns how
/// many events there were.
fn handle_events<'e>(
    state: &mut State,
    st: &mut Shared,
    events: impl IntoIterator<Item = inotify_core::Event<'e>>,
    sink: &mut Coalescer<'_>,
) -> usize {
    let mut count = 0;
    for event in events {
        count += 1;
        let (wd, mask, cookie, name) = (event.wd, event.mask, event.cookie, event.name);
        if !hot::try_deliver(state, st, wd, mask, cookie, name, sink) {
            handle(state, st, wd, mask, cookie, name, sink);
        }
    }
    if st.tree.walking() {
        finish_walk(&mut st.tree);
    }
    run_pending(state, st, sink);
    count
}

/// Handles one kernel record.
#[expect(
    clippy::too_many_lines,
    reason = "one match over the event kinds reads best in one place"
)]
fn handle(
    state: &mut State,
    st: &mut Shared,
    wd: WatchDescriptor,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
    sink: &mut Coalescer<'_>,
) {
    if mask.contains(EventMask::Q_OVERFLOW) {
        // The pair of a pending move may be among the lost records.
        let held = state.waiting.resolve_moves(st);
        handle_raw(state, st, held, sink);
        sink.send(Processed::Event {
            event: Event::overflow(),
            handler: None,
        });
        state.rescan_due |= state.options.rescan_on_overflow;
        return;
    }
    if state.waiting.needs_grace()
        && !mask.intersects(EventMask::IGNORED | EventMask::MOVE_SELF)
        && let Some(path) = st.tree.path(wd)
        && state.waiting.hold(&path, || RawEvent {
            wd,
            mask,
            cookie,
            name: name.map(OsStr::to_os_string),
        })
    {
        return;
    }
    if let Some(name) = name {
        if state.waiting.has_moves()
            && mask.intersects(EventMask::CREATE | EventMask::MOVED_TO)
            && let Some(dst) = st.tree.table().path_with(wd, Some(name))
        {
            let held = state.waiting.resolve_clashing(st, &dst, cookie);
            handle_raw(state, st, held, sink);
        }
        if state.waiting.has_unresolved()
            && mask.intersects(EventMask::DELETE | EventMask::MOVED_FROM)
        {
            state.waiting.forget_entry(wd, name);
        }
    }
    let out = &mut |p| sink.send(p);
    if st.tree.already_scanned(wd, mask, name) {
        return;
    }
    if st.tree.has_unlisted() {
        st.tree.note_for_unlisted(wd, mask, name);
    }
    if !st.transients.is_empty() {
        crate::transient::route(st, wd, mask, cookie, name, out);
    }
    let Some(mut entry) = st.tree.table().get(wd) else {
        handle_detached(st, wd, mask, cookie, name, out);
        return;
    };
    // A rule file changed: re-shape first (rare; the one lookup above
    // serves every other record).
    if let Some(name) = name
        && mask.intersects(RELOAD_EVENTS)
        && entry.data.exclude().is_some_and(ExcludeFilter::has_reload)
    {
        let (dir, data) = (st.tree.path(wd).unwrap_or_default(), entry.data.clone());
        maybe_reshape(&mut st.tree, wd, &dir, &data, name, out);
        let Some(again) = st.tree.table().get(wd) else {
            handle_detached(st, wd, mask, cookie, Some(name), out);
            return;
        };
        entry = again;
    }
    let data = &entry.data;
    let snapshots = st.tree.has_snapshot(wd);
    let tracked = EventMask::IGNORED
        .union(EventMask::MOVED_FROM)
        .union(EventMask::MOVED_TO)
        .union(EventMask::MOVE_SELF);
    let bookkeeping = mask.intersects(tracked)
        || (mask.contains(EventMask::CREATE | EventMask::ISDIR) && data.auto_add)
        || snapshots;
    // The watch's path, built from the tree once per run of records
    // through one watch (the cache is checked against the table's
    // generation, so a rename or removal rebuilds it).
    let Some(path) = st.path_cache.get(st.tree.table(), wd) else {
        return;
    };
    if !bookkeeping {
        // The hot path's delivery (the flood's records come straight to
        // it from `handle_events`): one check of the user's mask.
        hot::deliver(&mut state.spare, wd, path, data, mask, cookie, name, out);
        return;
    }
    let kind = mask.kind();
    let target = Target::new(wd, path, data);
    let auto_add = data.auto_add;
    let template = (auto_add && mask.is_dir()).then(|| data.clone());
    if snapshots && let Some(name) = name {
        update_snapshot(&mut st.tree, wd, kind, mask.is_dir(), name);
    }
    let pathname = name.map(|n| target.path.join(n));
    match kind {
        EventKind::Ignored => {
            emit(out, &target, mask, cookie, name, None, false);
            st.tree.forget_ignored(wd);
        }
        EventKind::MovedFrom => {
            emit(out, &target, mask, cookie, name, None, false);
            if let Some(src) = pathname {
                let watched = mask.is_dir() && st.tree.wd(&src).is_some();
                state.waiting.moved_from(cookie, src, watched);
            }
        }
        EventKind::MovedTo => {
            let (src, held) = state.waiting.moved_to(cookie).unzip();
            // Unpaired, it is a move into the tree: cookie 0, so consumers
            // pairing by cookie agree with `src_pathname`.
            let cookie = if src.is_some() { cookie } else { 0 };
            let (Some(dst), Some(name)) = (pathname, name) else {
                emit(out, &target, mask, cookie, name, src, false);
                return;
            };
            let renamed = mask.is_dir() && src.as_ref().is_some_and(|s| st.tree.wd(s).is_some());
            if renamed && let Some(src) = &src {
                st.tree.rename_subtree(src, &dst);
            }
            // Fanotify fallback subtrees at or below `src` follow it.
            let fan_moved = mask.is_dir()
                && (src.as_ref()).is_some_and(|s| crate::fan::fallback_renamed(st, s, &dst));
            emit(out, &target, mask, cookie, Some(name), src, false);
            if !renamed
                && !fan_moved
                && let Some(template) = template
            {
                watch_new_dir(state, st, wd, name, template, dst.clone(), out);
            }
            if let Some(held) = held {
                handle_raw(state, st, held, sink);
            }
        }
        EventKind::Create => {
            emit(out, &target, mask, cookie, name, None, false);
            if let (Some(template), Some(dst), Some(name)) = (template, pathname, name) {
                watch_new_dir(state, st, wd, name, template, dst, out);
            }
        }
        EventKind::MoveSelf => {
            emit(out, &target, mask, cookie, name, None, false);
            // A watch whose parent is not watched (a root): no
            // `MOVED_TO` says where it went, so the tree looks for it.
            let parent_watched = target
                .path
                .parent()
                .is_some_and(|p| st.tree.wd(p).is_some());
            if !parent_watched {
                let path = target.path.clone();
                // Without an answer its paths are unknown: the tree is
                // given up (`MOVE_SELF`, the error saying why, then
                // `IGNORED` for each watch).
                match st.tree.follow_moved_root(wd, &path) {
                    Ok(new) => {
                        crate::fan::fallback_renamed(st, &path, &new);
                        return;
                    }
                    Err(err) => out(Processed::Error(err)),
                }
                st.tree.detach_subtree(&path);
                if st.tree.table().get(wd).is_some()
                    && let Err(err) = st.tree.detach(wd, true)
                {
                    log::debug!("moved root watch already gone: {err}");
                }
            }
        }
        _ => emit(out, &target, mask, cookie, name, None, false),
    }
}

/// Watches and scans the directory `dir`, named `name` in the watch
/// `parent`; when it is not at that path, notes it for a retry at the end
/// of the round.
fn watch_new_dir(
    state: &mut State,
    st: &mut Shared,
    parent: WatchDescriptor,
    name: &OsStr,
    template: WatchData,
    dir: PathBuf,
    out: &mut dyn FnMut(Processed),
) {
    if scan_new_dir(&mut st.tree, &template, dir, out).raced {
        state.waiting.auto_add_raced(parent, name, template);
    }
}

/// An event for a descriptor not in the table: a watch removed before its
/// `IGNORED` (delivered with its last path), or unknown (dropped, never
/// pinned to a path the number may have meant once).
fn handle_detached(
    st: &mut Shared,
    wd: WatchDescriptor,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
    out: &mut dyn FnMut(Processed),
) {
    let Some(detached) = st.tree.detached(wd) else {
        log::debug!("event {mask} for unknown watch {wd} dropped");
        return;
    };
    let ignored = mask.contains(EventMask::IGNORED);
    if ignored || !detached.stale {
        let target = Target::new(wd, &detached.path, &detached.data);
        emit(out, &target, mask, cookie, name, None, false);
    }
    if ignored {
        st.tree.forget_ignored(wd);
    }
}
