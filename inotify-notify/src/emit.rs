//! What the event processor hands out: [`Processed`] outputs, the owned
//! events built from kernel records (one allocation each, or none on the
//! hot path once dispatched events' buffers come back: [`SparePaths`]),
//! the user-mask filter, and the per-batch coalescing of duplicates.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use inotify_core::{EventMask, WatchDescriptor, WatchMask};

use crate::bookkeeping::ProcessorOptions;
use crate::error::Error;
use crate::event::Event;
use crate::handler::SharedHandler;
use crate::watch::{ExcludeFilter, WatchData};

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

/// The watch an event is delivered through, copied out of the table.
pub(crate) struct Target {
    wd: WatchDescriptor,
    pub path: PathBuf,
    user_mask: WatchMask,
    is_dir: bool,
    handler: Option<SharedHandler>,
    /// A filter asked about events' names (`None` for most watches).
    entries: Option<ExcludeFilter>,
}

impl Target {
    /// The target for watch `wd` at `path` with `data`.
    pub(crate) fn new(wd: WatchDescriptor, path: &Path, data: &WatchData) -> Self {
        Self::owned(wd, path.to_path_buf(), data)
    }

    /// [`Target::new`] taking the path it keeps.
    pub(crate) fn owned(wd: WatchDescriptor, path: PathBuf, data: &WatchData) -> Self {
        Target {
            wd,
            path,
            user_mask: data.user_mask,
            is_dir: data.is_dir,
            handler: data.proc_fun().cloned(),
            entries: data.entry_filter().cloned(),
        }
    }
}

/// Whether a watch with `user_mask` delivers events of `mask`'s kind: a
/// record carries one event bit, so a bit test is enough (this runs for
/// every event).
#[inline]
pub(crate) fn wanted(user_mask: WatchMask, mask: EventMask) -> bool {
    const ALWAYS: EventMask = EventMask::IGNORED
        .union(EventMask::Q_OVERFLOW)
        .union(EventMask::UNMOUNT);
    mask.bits() & user_mask.bits() & WatchMask::ALL_EVENTS.bits() != 0 || mask.intersects(ALWAYS)
}

/// Builds and sends the event, if the watch's user mask asks for it.
#[inline]
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
    if let (Some(filter), Some(name)) = (&target.entries, name)
        && excluded_entry(filter, &target.path, name, mask)
    {
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

/// Whether `filter` excludes the entry `name` of `dir` an event with
/// `mask` names (the event is then not emitted).
pub(crate) fn excluded_entry(
    filter: &ExcludeFilter,
    dir: &Path,
    name: &OsStr,
    mask: EventMask,
) -> bool {
    filter.is_excluded_entry(&dir.join(name), mask.contains(EventMask::ISDIR))
}

/// The watch an event goes through, borrowed (the hot path's [`Target`]).
pub(crate) struct Via<'a> {
    pub wd: WatchDescriptor,
    pub path: &'a Path,
    pub is_dir: bool,
    pub handler: Option<&'a SharedHandler>,
}

/// The owned event: its one allocation is the `pathname`.
#[inline]
pub(crate) fn build(
    via: &Via<'_>,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
    src_pathname: Option<PathBuf>,
    synthetic: bool,
) -> Event {
    let mut event = build_in(Vec::new(), via, mask, cookie, name);
    event.src_pathname = src_pathname;
    event.synthetic = synthetic;
    event
}

/// [`build`] of a kernel record (no `src_pathname`, not synthetic) into a
/// recycled buffer ([`SparePaths::take`]).
#[inline]
pub(crate) fn build_in(
    bytes: Vec<u8>,
    via: &Via<'_>,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
) -> Event {
    let mut event = Event::new_in(bytes, via.wd, mask, cookie, via.path, name);
    event.dir = mask.contains(EventMask::ISDIR) || (name.is_none() && via.is_dir);
    event
}

/// The `pathname` buffers of events already dispatched, for the next
/// events to reuse ([`crate::EventProcessor::recycle`]): in a flood the
/// processor then allocates nothing per event. A batch of records builds
/// its events before any is dispatched, so the pool holds about one
/// batch's worth; it is bounded in bytes, and a buffer grown large by a
/// long path is not kept.
#[derive(Debug, Default)]
pub(crate) struct SparePaths {
    bufs: Vec<Vec<u8>>,
    /// The capacities of `bufs`, added up.
    bytes: usize,
}

impl SparePaths {
    /// Bytes of capacity kept at most: ~6,000 events of ~40-byte paths,
    /// more than one 64 KiB read holds records for.
    const MAX_BYTES: usize = 256 * 1024;
    /// A buffer with more capacity than this is freed, not kept.
    const MAX_BUF: usize = 1024;

    /// A buffer to build an event's path in (empty when none is kept).
    #[inline]
    pub(crate) fn take(&mut self) -> Vec<u8> {
        match self.bufs.pop() {
            Some(buf) => {
                self.bytes = self.bytes.saturating_sub(buf.capacity());
                buf
            }
            None => Vec::new(),
        }
    }

    /// Keeps `event`'s buffer for a later [`SparePaths::take`], within the
    /// bounds.
    #[inline]
    pub(crate) fn put(&mut self, event: Event) {
        let buf = event.into_buffer();
        let cap = buf.capacity();
        if cap != 0 && cap <= Self::MAX_BUF && self.bytes + cap <= Self::MAX_BYTES {
            self.bytes += cap;
            self.bufs.push(buf);
        }
    }
}

/// Keys of the events of one batch, when coalescing: the event and the
/// address of its handler (one record can go to a watch's handler and to a
/// transient file's, and neither copy is the other's duplicate).
pub(crate) type CoalesceSet = HashSet<(WatchDescriptor, EventMask, u32, Option<OsString>, usize)>;

/// Wraps the output to drop duplicates within a batch when coalescing.
pub(crate) struct Coalescer<'a> {
    seen: &'a mut CoalesceSet,
    on: bool,
    out: &'a mut dyn FnMut(Processed),
}

impl<'a> Coalescer<'a> {
    #[inline]
    pub(crate) fn new(
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

    #[inline]
    pub(crate) fn send(&mut self, processed: Processed) {
        if self.on && self.is_duplicate(&processed) {
            return;
        }
        (self.out)(processed);
    }

    /// Whether `processed` repeats an event of this batch (remembered if
    /// not). Out of line: the hot path only tests `on`.
    #[inline(never)]
    fn is_duplicate(&mut self, processed: &Processed) -> bool {
        let Processed::Event { event, handler } = processed else {
            return false;
        };
        !self.seen.insert((
            event.wd,
            event.mask,
            event.cookie,
            event.name().map(OsStr::to_os_string),
            handler
                .as_ref()
                .map_or(0, |h| Arc::as_ptr(h).cast::<()>().addr()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_with_capacity(cap: usize) -> Event {
        let wd = WatchDescriptor::from_raw(1);
        Event::new_in(
            Vec::with_capacity(cap),
            wd,
            EventMask::CREATE,
            0,
            "/".as_ref(),
            None,
        )
    }

    #[test]
    fn spare_paths_keep_buffers_within_bounds() {
        let mut spare = SparePaths::default();
        assert_eq!(spare.take().capacity(), 0);
        spare.put(event_with_capacity(SparePaths::MAX_BUF + 1));
        assert_eq!(spare.take().capacity(), 0, "a large buffer is freed");
        spare.put(event_with_capacity(64));
        assert!(spare.take().capacity() >= 64, "a small one is kept");
        for _ in 0..2 * SparePaths::MAX_BYTES / SparePaths::MAX_BUF {
            spare.put(event_with_capacity(SparePaths::MAX_BUF));
        }
        assert!(spare.bytes <= SparePaths::MAX_BYTES);
        let kept: usize = spare.bufs.iter().map(Vec::capacity).sum();
        assert_eq!(kept, spare.bytes);
    }
}
