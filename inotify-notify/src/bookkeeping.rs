//! [`EventProcessor`]: the "system processing" between raw kernel records
//! and the owned [`Event`]s handlers see — `IGNORED` bookkeeping, auto-add
//! with scan, rename pairing and subtree renames, moved-out trees, overflow
//! rescans, mask filtering and coalescing.
//!
//! It is the seam for event loops: the blocking [`crate::Notifier`] calls
//! [`EventProcessor::process_ready`] when the descriptor is readable, and
//! an async notifier (mio, tokio) does the same from its readiness
//! callback. It takes the manager's lock once per batch and allocates per
//! event only the owned event's paths.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use inotify_core::{EventBuffer, EventKind, EventMask, WatchDescriptor, WatchMask, wait_readable};

use crate::error::Error;
use crate::event::Event;
use crate::handler::SharedHandler;
use crate::recursive::{self, add_transient, detach, finish_walk, scan_new_dir};
use crate::walk::{RawEvent, already_scanned};
use crate::watch::WatchData;
use crate::watch_manager::{Shared, WatchManager};

/// How long a `MOVED_FROM` of a watched directory waits, at the end of a
/// batch, for its `MOVED_TO` to be queued (the kernel queues the two halves
/// back to back, but a read can fall between them).
pub const MOVE_GRACE: Duration = Duration::from_millis(5);

/// One output of the processor: an event with the per-watch handler it is
/// routed to (`None`: the default handler), or an error of the
/// bookkeeping (an automatic add that failed).
pub enum Processed {
    /// An event to dispatch.
    Event {
        /// The event.
        event: Event,
        /// The watch's `proc_fun`, if it has one.
        handler: Option<SharedHandler>,
    },
    /// An error for `process_error`.
    Error(Error),
}

impl std::fmt::Debug for Processed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Processed::Event { event, handler } => f
                .debug_struct("Event")
                .field("event", event)
                .field("handler", &handler.as_ref().map(|_| ".."))
                .finish(),
            Processed::Error(err) => f.debug_tuple("Error").field(err).finish(),
        }
    }
}

/// Options of the processing (set from [`crate::NotifierBuilder`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessorOptions {
    /// Drop duplicates of (wd, mask, cookie, name) within a batch.
    pub coalesce_events: bool,
    /// Rescan the trees after `Q_OVERFLOW`.
    pub rescan_on_overflow: bool,
}

/// The watch an event is delivered through, copied out of the table.
pub(crate) struct Target {
    wd: WatchDescriptor,
    path: PathBuf,
    user_mask: WatchMask,
    is_dir: bool,
    handler: Option<SharedHandler>,
}

impl Target {
    /// The target for watch `wd` at `path` with `data`.
    pub(crate) fn new(wd: WatchDescriptor, path: &Path, data: &WatchData) -> Self {
        Target {
            wd,
            path: path.to_path_buf(),
            user_mask: data.user_mask,
            is_dir: data.is_dir,
            handler: data.proc_fun().cloned(),
        }
    }
}

/// Whether a watch with `user_mask` delivers events of `mask`'s kind: a
/// record carries one event bit, so a bit test is enough (this runs for
/// every event).
fn wanted(user_mask: WatchMask, mask: EventMask) -> bool {
    const ALWAYS: EventMask = EventMask::IGNORED
        .union(EventMask::Q_OVERFLOW)
        .union(EventMask::UNMOUNT);
    mask.bits() & user_mask.bits() & WatchMask::ALL_EVENTS.bits() != 0 || mask.intersects(ALWAYS)
}

/// Builds and sends the event, if the watch's user mask asks for it.
pub(crate) fn emit(
    out: &mut dyn FnMut(Processed),
    target: &Target,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
    src_pathname: Option<PathBuf>,
    synthetic: bool,
) {
    if !wanted(target.user_mask, mask) {
        return;
    }
    let via = Via {
        wd: target.wd,
        path: &target.path,
        is_dir: target.is_dir,
        handler: target.handler.as_ref(),
    };
    out(Processed::Event {
        event: build(&via, mask, cookie, name, src_pathname, synthetic),
        handler: target.handler.clone(),
    });
}

/// The watch an event goes through, borrowed (the hot path's [`Target`]).
struct Via<'a> {
    wd: WatchDescriptor,
    path: &'a Path,
    is_dir: bool,
    handler: Option<&'a SharedHandler>,
}

/// The owned event: its one allocation is the `pathname`.
fn build(
    via: &Via<'_>,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
    src_pathname: Option<PathBuf>,
    synthetic: bool,
) -> Event {
    let mut event = Event::new(via.wd, mask, cookie, via.path, name);
    event.dir = mask.contains(EventMask::ISDIR) || (name.is_none() && via.is_dir);
    event.src_pathname = src_pathname;
    event.synthetic = synthetic;
    event
}

/// A `MOVED_FROM` waiting for its `MOVED_TO`.
#[derive(Debug)]
struct PendingMove {
    cookie: u32,
    src: PathBuf,
    /// Whether watches sit at or below `src` (then an unpaired move means
    /// they left the tree).
    watched: bool,
}

/// State kept between batches.
#[derive(Debug, Default)]
struct State {
    options: ProcessorOptions,
    pending_move: Option<PendingMove>,
}

/// Keys of the events of one batch, when coalescing.
type CoalesceSet = HashSet<(WatchDescriptor, EventMask, u32, Option<OsString>)>;

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
            let events = st.reader.try_read_events(&mut self.buffer)?;
            read += handle_events(state, &mut st, events, &mut sink);
            let waiting = state.pending_move.as_ref().is_some_and(|m| m.watched);
            if !waiting || graced {
                break;
            }
            graced = true;
            let [ready] = wait_readable([st.reader.as_fd()], Some(MOVE_GRACE))?;
            if !ready {
                break;
            }
        }
        resolve_unpaired(state, &mut st);
        st.walk.seen.clear();
        self.coalesce.clear();
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
    /// then sees a move out followed by a move in, still consistent.
    pub fn process_batch<'e>(
        &mut self,
        events: impl IntoIterator<Item = inotify_core::Event<'e>>,
        out: &mut dyn FnMut(Processed),
    ) {
        let mut st = self.wm.lock();
        let mut sink = Coalescer::new(&mut self.coalesce, self.state.options, out);
        let state = &mut self.state;
        run_pending(state, &mut st, &mut sink);
        handle_events(state, &mut st, events, &mut sink);
        resolve_unpaired(state, &mut st);
        st.walk.seen.clear();
        self.coalesce.clear();
    }
}

/// Wraps the output to drop duplicates within a batch when coalescing.
struct Coalescer<'a> {
    seen: &'a mut CoalesceSet,
    on: bool,
    out: &'a mut dyn FnMut(Processed),
}

impl<'a> Coalescer<'a> {
    fn new(
        seen: &'a mut CoalesceSet,
        options: ProcessorOptions,
        out: &'a mut dyn FnMut(Processed),
    ) -> Self {
        Coalescer {
            seen,
            on: options.coalesce_events,
            out,
        }
    }

    fn send(&mut self, processed: Processed) {
        if self.on
            && let Processed::Event { event, .. } = &processed
            && !self.seen.insert((
                event.wd,
                event.mask,
                event.cookie,
                event.name().map(OsStr::to_os_string),
            ))
        {
            return;
        }
        (self.out)(processed);
    }
}

/// Processes the events drained by walks, oldest first, until none is left
/// (processing them may walk and drain again).
fn run_pending(state: &mut State, st: &mut Shared, sink: &mut Coalescer<'_>) {
    loop {
        let batch: Vec<RawEvent> = st.pending.drain(..).collect();
        if batch.is_empty() {
            return;
        }
        for raw in &batch {
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
        if st.walk.active {
            finish_walk(st);
        }
    }
}

/// Resolves a `MOVED_FROM` whose `MOVED_TO` did not come: when watches sit
/// at or below its path, that tree left the watched set, so they are
/// removed (their `IGNORED` events follow) and their other events dropped.
fn resolve_unpaired(state: &mut State, st: &mut Shared) {
    let Some(moved) = state.pending_move.take() else {
        return;
    };
    if !moved.watched {
        return;
    }
    for wd in st.watcher.table().subtree(&moved.src) {
        if let Err(err) = detach(st, wd, true) {
            log::debug!("moved-out watch already gone: {err}");
        }
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
        handle(
            state,
            st,
            event.wd,
            event.mask,
            event.cookie,
            event.name,
            sink,
        );
    }
    if st.walk.active {
        finish_walk(st);
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
    let out = &mut |p| sink.send(p);
    if mask.contains(EventMask::Q_OVERFLOW) {
        resolve_unpaired(state, st);
        out(Processed::Event {
            event: Event::overflow(),
            handler: None,
        });
        if state.options.rescan_on_overflow {
            recursive::rescan(st, out);
        }
        return;
    }
    if state
        .pending_move
        .as_ref()
        .is_some_and(|m| !(mask.contains(EventMask::MOVED_TO) && m.cookie == cookie))
    {
        resolve_unpaired(state, st);
    }
    if !st.walk.seen.is_empty() && already_scanned(&mut st.walk, wd, mask, name) {
        return;
    }
    let Some(entry) = st.watcher.table().get(wd) else {
        handle_detached(st, wd, mask, cookie, name, out);
        return;
    };
    let data = &entry.data;
    let snapshots = st.snapshots && data.snapshot.is_some();
    let tracked = EventMask::IGNORED
        .union(EventMask::MOVED_FROM)
        .union(EventMask::MOVED_TO)
        .union(EventMask::MOVE_SELF);
    let bookkeeping = mask.intersects(tracked)
        || (mask.contains(EventMask::CREATE | EventMask::ISDIR) && data.auto_add)
        || snapshots
        || !st.transients.is_empty();
    if !bookkeeping {
        // The hot path: no bookkeeping, one check of the user's mask.
        if wanted(data.user_mask, mask) {
            let via = Via {
                wd,
                path: entry.path(),
                is_dir: data.is_dir,
                handler: data.proc_fun(),
            };
            out(Processed::Event {
                event: build(&via, mask, cookie, name, None, false),
                handler: via.handler.cloned(),
            });
        }
        return;
    }
    let kind = mask.kind();
    let target = Target::new(wd, entry.path(), data);
    let auto_add = data.auto_add;
    let template = (auto_add && mask.is_dir()).then(|| data.clone());
    if snapshots && let Some(name) = name {
        update_snapshot(st, wd, kind, mask.is_dir(), name);
    }
    let pathname = name.map(|n| target.path.join(n));
    match kind {
        EventKind::Ignored => {
            st.watcher.table_mut().remove(wd);
            st.walk.seen.remove(&wd);
            emit(out, &target, mask, cookie, name, None, false);
        }
        EventKind::MovedFrom => {
            emit(out, &target, mask, cookie, name, None, false);
            if let Some(src) = pathname {
                let watched = mask.is_dir() && st.watcher.wd(&src).is_some();
                state.pending_move = Some(PendingMove {
                    cookie,
                    src,
                    watched,
                });
            }
        }
        EventKind::MovedTo => {
            let src = state
                .pending_move
                .take()
                .filter(|m| m.cookie == cookie && cookie != 0)
                .map(|m| m.src);
            let Some(dst) = pathname else {
                emit(out, &target, mask, cookie, name, src, false);
                return;
            };
            let renamed = mask.is_dir() && src.as_ref().is_some_and(|s| st.watcher.wd(s).is_some());
            if renamed && let Some(src) = &src {
                st.watcher.table_mut().rename(src, &dst);
            }
            emit(out, &target, mask, cookie, name, src, false);
            if !renamed && let Some(template) = template {
                scan_new_dir(st, &template, dst.clone(), out);
            }
            check_transient(st, &dst, out);
        }
        EventKind::Create => {
            emit(out, &target, mask, cookie, name, None, false);
            if let (Some(template), Some(dst)) = (template, &pathname) {
                scan_new_dir(st, &template, dst.clone(), out);
            }
            if let Some(dst) = &pathname {
                check_transient(st, dst, out);
            }
        }
        EventKind::MoveSelf => {
            emit(out, &target, mask, cookie, name, None, false);
            // A watch whose parent is not watched (a root) cannot follow
            // its move: nobody reports where it went. Drop its tree.
            let parent_watched = target
                .path
                .parent()
                .is_some_and(|p| st.watcher.wd(p).is_some());
            if !parent_watched {
                for sub in st.watcher.table().subtree(&target.path) {
                    if let Err(err) = detach(st, sub, true) {
                        log::debug!("moved root watch already gone: {err}");
                    }
                }
                if st.watcher.table().get(wd).is_some()
                    && let Err(err) = detach(st, wd, true)
                {
                    log::debug!("moved root watch already gone: {err}");
                }
            }
        }
        _ => emit(out, &target, mask, cookie, name, None, false),
    }
}

/// Keeps the snapshot of `wd` in line with an event about `name`.
fn update_snapshot(
    st: &mut Shared,
    wd: WatchDescriptor,
    kind: EventKind,
    is_dir: bool,
    name: &OsStr,
) {
    let Some(snapshot) = st
        .watcher
        .table_mut()
        .get_mut(wd)
        .and_then(|e| e.data.snapshot.as_mut())
    else {
        return;
    };
    match kind {
        EventKind::Create | EventKind::MovedTo => {
            snapshot.insert(
                name.to_os_string(),
                crate::watch::EntryMeta {
                    is_dir,
                    stamp: None,
                },
            );
        }
        EventKind::Delete | EventKind::MovedFrom => {
            snapshot.remove(name);
        }
        EventKind::Modify | EventKind::Attrib | EventKind::CloseWrite => {
            if let Some(meta) = snapshot.get_mut(name) {
                meta.stamp = None;
            }
        }
        _ => {}
    }
}

/// Re-watches a transient file that appeared again.
fn check_transient(st: &mut Shared, path: &Path, out: &mut dyn FnMut(Processed)) {
    let Some(transient) = st.transients.get(path).cloned() else {
        return;
    };
    match add_transient(st, path, &transient) {
        Err(err) if !err.is_race() => out(Processed::Error(err)),
        _ => {}
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
    let Some(detached) = st.detached.get(&wd) else {
        log::debug!("event {mask} for unknown watch {wd} dropped");
        return;
    };
    let ignored = mask.contains(EventMask::IGNORED);
    if ignored || !detached.stale {
        let target = Target::new(wd, &detached.path, &detached.data);
        emit(out, &target, mask, cookie, name, None, false);
    }
    if ignored {
        st.detached.remove(&wd);
    }
}
