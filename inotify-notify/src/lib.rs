//! pyinotify's model in Rust — [`WatchManager`], [`Notifier`],
//! [`ThreadedNotifier`], [`ProcessEvent`] handlers — on top of
//! `inotify-core`, with recursive trees that never lose track.
//!
//! This crate sits on `inotify-core` (the safe syscall layer and its
//! `Watcher`/`WatchTable` bookkeeping, reused here with per-watch data) and
//! under `inotify-cli`. It re-exports the core types it exposes, so a user
//! depends on this crate alone.
//!
//! # Quick start
//!
//! ```
//! use inotify_notify::{Event, Notifier, WatchManager, WatchMask, WatchOptions};
//! use std::time::Duration;
//! # let dir = std::env::temp_dir().join(format!("notify-quick-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let wm = WatchManager::new()?;
//! let options = WatchOptions { rec: true, auto_add: true, ..WatchOptions::default() };
//! wm.add_watch(&dir, WatchMask::CREATE | WatchMask::DELETE, &options)?;
//! let mut notifier = Notifier::new(&wm, |e: &Event| {
//!     println!("{} {}", e.maskname(), e.pathname().display());
//! })?;
//! // `a/b` may exist before `a`'s watch lands: the scan of `a` reports it.
//! std::fs::create_dir_all(dir.join("a/b"))?;
//! let deadline = std::time::Instant::now() + Duration::from_secs(5);
//! notifier.run(|n| {
//!     std::time::Instant::now() > deadline || n.watch_manager().wd(dir.join("a/b")).is_some()
//! })?;
//! assert!(wm.wd(dir.join("a/b")).is_some()); // auto-added, scanned, reported
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), inotify_notify::Error>(())
//! ```
//!
//! # Concepts
//! - [`WatchManager`] holds the watches (a cloneable, thread-safe handle).
//!   [`WatchManager::add_watch`] takes a mask and [`WatchOptions`]
//!   (`rec`, `auto_add`, `do_glob`, `quiet`, `exclude_filter`, `proc_fun`).
//! - A [`Notifier`] reads, runs the bookkeeping ([`EventProcessor`]) and
//!   dispatches [`Event`]s to a [`ProcessEvent`] handler: the watch's
//!   `proc_fun` if it has one, else the notifier's default handler, which
//!   it gives back typed ([`Notifier::handler`], [`Notifier::into_handler`]).
//!   Handlers: any `ProcessEvent`, a closure `|e: &Event| ..` (or
//!   [`from_fn`]`(|e| ..)`, which needs no annotation), or an
//!   `Arc<Mutex<H>>` ([`shared`]) the program keeps a clone of.
//!   [`ThreadedNotifier`] does it on its own thread;
//!   [`ThreadedNotifier::channel`] sends events to a bounded channel
//!   (its types re-exported in [`channel`]);
//!   [`NotifierBuilder::build_channel_with_errors`] sends the errors too.
//! - [`NotifierBuilder`] setters take and return the builder by value, so
//!   a partly configured builder can be stored, cloned and passed along.
//! - [`WatchManager::with_backend`] watches with fanotify instead
//!   ([`Backend::Fanotify`]: inode marks on their own budget;
//!   [`Backend::Filesystem`]: one mark for a whole filesystem, no walk;
//!   [`Backend::Mount`]: one mark for a whole mount, file access events
//!   only; [`Backend::Auto`]): the same events through the same API, see
//!   [`Backend`] for what differs.
//! - [`EventProcessor`] is the seam for other loops (mio, tokio): call
//!   [`EventProcessor::process_ready`] when the manager's fd ([`AsFd`](std::os::fd::AsFd))
//!   or [`WatchManager::pending_fd`] is readable.
//!
//! # Settled changes, sync barrier, path watches
//! - [`Settler`] folds the event stream into per-path net changes over a
//!   window that closes after a quiet period ([`SettleOptions`]): one
//!   [`Change`] per path ([`ChangeKind::Created`], `Removed`,
//!   `Modified { replaced }`, `Renamed { from }`), nothing for temporary
//!   files, numbered [`Batch`]es. It is a pure state machine; the loops
//!   are [`SettleNotifier`] (blocking; [`SettleNotifier::spawn`] for a
//!   thread and a channel), [`SettleHandler`] (any notifier's handler) and,
//!   with `tokio`, `SettledStream`. See the `settle` module's table for
//!   the rules and the order of a batch.
//! - [`Notifier::sync`] / [`ThreadedNotifier::sync`]: returns once every
//!   event that happened before the call has been dispatched (the cookie is
//!   a private watch's `IGNORED`; nothing appears in a watched tree).
//! - [`PathWatch`]: one path that may not exist yet or gets replaced,
//!   reported as [`PathChange::Appeared`], `Changed`, `Disappeared`.
//!
//! # Threads, locks and backpressure
//! - The manager's lock is taken once per read batch, never per event;
//!   handlers run after it is released, so a handler may add or remove
//!   watches. Per-watch handlers (`proc_fun`) sit behind their own mutex.
//! - [`ThreadedNotifier::stop`] wakes the notifier's `poll` through an
//!   eventfd ([`StopHandle`]), so it returns at once even when idle, and is
//!   idempotent; dropping a running notifier stops and joins it (a handler
//!   that never returns would still block the join).
//! - In channel mode a slow consumer fills the bounded channel, the
//!   notifier blocks in `send` and stops reading, the kernel queue fills,
//!   and the kernel then reports `IN_Q_OVERFLOW`: events are never lost
//!   silently.
//!
//! # Signals
//! With the cargo feature `signals` (off by default: signal dispositions
//! are process-wide, so a library touches them only when the program
//! asks), `NotifierBuilder::stop_on_signals` makes `SIGINT` and `SIGTERM`
//! stop the notifier instead of the process — pyinotify's loop ending on
//! `KeyboardInterrupt`, for `SIGTERM` too:
//! - Handlers are registered in `build` (through `signal-hook`, without
//!   unsafe code here) and removed when the notifier drops. A signal sets
//!   the notifier's [`StopHandle`] and writes to a socket polled beside
//!   the inotify descriptor, so a blocked [`Notifier::run`] wakes at once
//!   and returns `Ok(())`; `stop_handle().signal()` says which signal came.
//!   A signal that arrives before `run` makes `run` return at once. The
//!   same holds for a [`ThreadedNotifier`] (its thread ends; a channel-mode
//!   consumer sees the channel disconnect) — watch its `stop_handle()` or
//!   `is_alive()` to learn of it.
//! - One signal stops every notifier that handles signals.
//! - A signal stops the loop for good (a [`StopHandle`] does not reset);
//!   to carry on, build a new notifier.
//! - After the last such notifier drops, the signal terminates the process
//!   again — provided it was at its default disposition when the first one
//!   registered. signal-hook cannot reinstall the previous disposition, so
//!   the crate installs, once per signal, an action that runs the default
//!   while no notifier listens. Caveat: that action runs before any
//!   signal-hook (or tokio) handler the program registers for the same
//!   signal *later*; a program with its own handling should register it
//!   before building the notifier (it is then left alone) or not use
//!   `stop_on_signals`.
//! - Without the feature, [`StopHandle::stop`] is async-signal-safe (an
//!   atomic store and an eventfd write): a program's own raw signal
//!   handler may call it to end a blocked [`Notifier::run`] at once, which
//!   a handler that only sets a flag cannot (EINTR is retried inside).
//! - Only the blocking loops wait on the signal socket ([`Notifier::run`],
//!   [`Notifier::check_events`], [`ThreadedNotifier`]); a mio or tokio loop
//!   should watch the signals itself.
//!
//! # What the bookkeeping guarantees
//! A consumer that applies the events it receives to its own picture of
//! the tree ends with the tree as it is:
//! - **Auto-add without races**: a directory that appears in an `auto_add`
//!   watch is watched (parent's mask, handler and filters), then listed;
//!   every entry found is reported by a synthetic `IN_CREATE` (`IN_ISDIR`
//!   for directories, [`Event::synthetic`] set), recursively. The names a
//!   scan reported are remembered until the queue has been drained past the
//!   scan; a kernel `CREATE`/`MOVED_TO` of such a name in that window is the
//!   same entry and is dropped, a `DELETE`/`MOVED_FROM` forgets the name.
//!   So each entry is reported exactly once.
//! - **Setup does not flood itself**: the directories a walk lists are
//!   noted, and the `IN_OPEN`/`IN_ACCESS`/`IN_CLOSE_NOWRITE` (with
//!   `IN_ISDIR`) queued on them before the walk's final drain are dropped —
//!   including one a user's own `ls` of the same directory caused in that
//!   window (the known limit). Walks drain the queue every 64 directories.
//! - **Masks**: the manager adds bits for its own needs (`MOVED_*`,
//!   `MOVE_SELF` for recursive watches, `CREATE`/`DELETE` for `auto_add`,
//!   more with snapshots) but dispatches only the kinds the user asked
//!   for, plus `IN_IGNORED`, `IN_Q_OVERFLOW` and `IN_UNMOUNT` always. A
//!   mask without an event bit (flags alone, or empty) is refused with
//!   [`ErrorKind::InvalidInput`]: the kernel only rejects an empty mask,
//!   and would accept the rest as a watch reporting nothing.
//! - **Renames**: `MOVED_FROM`/`MOVED_TO` pair by cookie ([`Event::src_pathname`])
//!   across the whole batch read, even when another process's event lands
//!   between the two halves (the kernel does not queue them atomically);
//!   a watched directory moved within the tree renames its watch and every
//!   watch below. Events of watches under a pending move wait until it is
//!   resolved. A `MOVED_FROM` of a watched directory whose `MOVED_TO` has
//!   not come by the end of the batch (after a [`MOVE_GRACE`] wait) moved
//!   out of the tree: its watches are removed, their events dropped, and
//!   their `IN_IGNORED` delivered. A `MOVED_TO` that could not be paired
//!   carries cookie 0, so consumers pairing by cookie agree with
//!   `src_pathname`.
//! - **New directories in renamed parents**: a directory created just
//!   before its parent (or an ancestor) is renamed is not at the path its
//!   `CREATE` named when the auto-add runs; the add is retried under the
//!   parent's new path once the rename is read, then scanned as usual.
//! - **Roots**: a deleted root delivers `DELETE_SELF` then `IGNORED`. A
//!   moved root (its parent is not watched, so no `MOVED_TO` says where it
//!   went) delivers `MOVE_SELF`. Renamed in its own directory (`mv dir
//!   dir.old`), it is found there by its inode and followed: its events
//!   then carry the new path, as does [`WatchManager::path`]. Moved to
//!   another directory, it is found by the file handle taken when it was
//!   added (`open_by_handle_at`, which needs `CAP_DAC_READ_SEARCH`) and
//!   followed the same way. Not found (no privilege, or deleted
//!   meanwhile) it is given up: an error says why, its watches are
//!   removed and `IGNORED` follows. (No descriptor is held to follow it:
//!   an open one would delay a deleted root's `IGNORED` and keep its
//!   filesystem from unmounting.) [`NotifierBuilder::stop_when_empty`]
//!   ends the loop when no watch is left.
//! - **Overflow**: `IN_Q_OVERFLOW` (wd −1, empty path) always reaches the
//!   default handler. With [`NotifierBuilder::rescan_on_overflow`] the
//!   trees are re-walked against per-directory snapshots and synthetic
//!   creates, deletes and modifications (size/mtime, or any file an event
//!   said changed since the last rescan) are emitted. The rescan runs once
//!   the records queued behind the overflow record are processed (while
//!   that record is queued the kernel can drop more events silently), so
//!   nothing those records created and lost records removed stays in the
//!   picture.
//! - **Any depth**: paths of 4,096 bytes (`PATH_MAX`) or more are watched,
//!   listed and scanned through a directory descriptor ([`long_path`]), so
//!   a tree deeper than that is watched in full and its events carry the
//!   full pathname.
//! - **Unknown descriptors**: events of a watch removed before its
//!   `IGNORED` carry its last path; events of unknown descriptors are
//!   dropped, never pinned to a path the number may once have meant.
//!
//! # inotify gotchas
//! - **Coalescing**: the kernel merges an event identical to the last one
//!   queued; never count events to count writes.
//! - **`IN_Q_OVERFLOW`**: past `max_queued_events` events are lost; see
//!   `rescan_on_overflow`.
//! - **`IN_IGNORED`** ends every watch (rm, deletion, unmount, oneshot).
//! - **Cookies** pair a rename; a move out of the watched set has no
//!   `MOVED_TO`.
//! - **Descriptors are per instance**; one object watched through two
//!   paths has one descriptor.
//! - **Buffer size**: at least `16 + NAME_MAX + 1` bytes per read.
//! - **`max_user_watches`** (ENOSPC → [`ErrorKind::WatchLimit`]) and
//!   **`max_user_instances`** (EMFILE → [`ErrorKind::InstanceLimit`]); the
//!   messages name the `/proc/sys/fs/inotify` file to raise;
//!   [`WatchManager::limit_report`] lists what was left unwatched and who
//!   holds the watches, and [`WatchManager::enable_fanotify_fallback`]
//!   watches those subtrees with fanotify instead.
//! - **Errors** keep the errno: [`Error::raw_os_error`] (and
//!   `io_error().raw_os_error()`); [`ErrorKind`] classifies ENOENT
//!   (`NotFound`), EACCES/EPERM (`PermissionDenied`) and EINVAL
//!   (`InvalidInput`); `io::Error::from(err)` keeps kind and errno
//!   ([`raw_os_error`] finds it).
//!
//! # pyinotify → Rust
//!
//! | pyinotify | here |
//! |---|---|
//! | `WatchManager()` | [`WatchManager::new`] |
//! | `wm.add_watch(path, mask, proc_fun, rec, auto_add, do_glob, quiet, exclude_filter)` | [`WatchManager::add_watch`] with [`WatchOptions`] |
//! | `wm.update_watch(wd, mask, proc_fun, rec, auto_add)` | [`WatchManager::update_watch`] with [`WatchUpdate`] (unset fields kept) |
//! | `wm.rm_watch(wd, rec, quiet)` | [`WatchManager::rm_watch`] with [`RmOptions`] |
//! | `wm.get_wd(path)` / `wm.get_path(wd)` / `wm.get_watch(wd)` | [`WatchManager::wd`] / [`WatchManager::path`] / [`WatchManager::watch`] |
//! | `wm.watches` | [`WatchManager::watches`] |
//! | `wm.watch_transient_file(f, mask, cls)` | [`WatchManager::watch_transient_file`] |
//! | `ExcludeFilter([...])` / `ExcludeFilter(file)` | [`ExcludeFilter::from_patterns`] / [`ExcludeFilter::from_file`] |
//! | `Notifier(wm, default_proc_fun, read_freq, threshold, timeout)` | [`NotifierBuilder`] … [`NotifierBuilder::build`] |
//! | `notifier.check_events()` / `read_events()` / `process_events()` | [`Notifier::check_events`] / [`Notifier::read_events`] / [`Notifier::process_events`] |
//! | `notifier.loop(callback)` | [`Notifier::run`] |
//! | `notifier.stop()` | [`Notifier::stop`] (the descriptor stays open) / [`StopHandle::stop`] |
//! | `WatchManagerError.wmd` | [`Error::partial`] |
//! | `except KeyboardInterrupt` around `loop` | `NotifierBuilder::stop_on_signals` (feature `signals`) |
//! | `notifier.coalesce_events()` | [`NotifierBuilder::coalesce_events`] |
//! | `ThreadedNotifier(wm, ...)`, `.start()`, `.stop()` | [`ThreadedNotifier`] (a handler panic stops it; `stop` returns it) |
//! | `ProcessEvent`, `process_IN_CREATE`, `process_default` | [`ProcessEvent`], `process_in_create`, `process_default` |
//! | `ProcessEvent(pevent=...)`, `ChainIfTrue` | [`ChainIfTrue`] |
//! | `PrintAllEvents`, `Stats` | [`PrintAllEvents`], [`Stats`] |
//! | `event.pathname`, `event.name`, `event.path`, `event.src_pathname`, `event.maskname`, `event.dir` | [`Event::pathname`], [`Event::name`], [`Event::path`] (slices of one allocation), the `src_pathname` and `dir` fields, [`Event::maskname`] |
//! | `IN_CREATE`, `IN_ISDIR`, … | [`WatchMask::CREATE`], [`EventMask::ISDIR`], … |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod add_result;
#[cfg(feature = "tokio")]
mod async_notifier;
mod bookkeeping;
mod budget;
mod emit;
mod error;
mod event;
mod fan;
mod handler;
#[cfg(feature = "ignore")]
mod ignore_rules;
#[cfg(feature = "mio")]
mod mio_notifier;
mod notifier;
mod path_watch;
mod processors;
mod rule_errors;
mod settle;
#[cfg(feature = "signals")]
mod signals;
mod state;
mod stop;
mod sync;
mod threaded;
mod transient;
mod tree;
mod waiting;
mod watch;
mod watch_manager;

pub use add_result::{AddResult, AddSummary};
#[cfg(feature = "tokio")]
pub use async_notifier::AsyncNotifier;
pub use bookkeeping::{EventProcessor, MOVE_GRACE, ProcessorOptions};
pub use budget::{LimitReport, count_dirs, watch_limit};
pub use emit::Processed;
pub use error::{Error, ErrorKind, Result};
pub use event::Event;
pub use fan::Backend;
pub use handler::{FnHandler, ProcessEvent, SharedHandler, dispatch, from_fn, shared};
#[cfg(feature = "ignore")]
pub use ignore_rules::{IgnoreRules, IgnoreRulesBuilder, RULE_FILES};
pub use inotify_core::{
    EventKind, EventMask, WatchDescriptor, WatchHolder, WatchMask, long_path, normalize,
    raw_os_error, watch_holders,
};
pub use notifier::{Notifier, NotifierBuilder};
pub use path_watch::{PathChange, PathWatch};
pub use processors::{ChainIfTrue, ChainLink, PrintAllEvents, Stats};
#[cfg(feature = "tokio")]
pub use settle::SettledStream;
pub use settle::{
    Batch, Change, ChangeKind, SettleHandler, SettleNotifier, SettleOptions, SettleThread, Settler,
};
#[cfg(feature = "signals")]
pub use signals::{SIGINT, SIGTERM};
pub use stop::StopHandle;
pub use threaded::ThreadedNotifier;
pub use watch::{ExcludeFilter, RmOptions, Watch, WatchOptions, WatchUpdate};
pub use watch_manager::WatchManager;

/// The channel of [`ThreadedNotifier::channel`] (crossbeam's bounded
/// channel), re-exported so a program needs no `crossbeam-channel`
/// dependency to name the receiver or match its errors.
///
/// ```
/// use inotify_notify::channel::{Receiver, RecvTimeoutError};
/// use inotify_notify::{Event, ThreadedNotifier, WatchManager};
/// use std::time::Duration;
/// let wm = WatchManager::new()?;
/// let (_notifier, events): (ThreadedNotifier, Receiver<Event>) = ThreadedNotifier::channel(&wm, 16)?;
/// let idle = events.recv_timeout(Duration::from_millis(1));
/// assert!(matches!(idle, Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected)));
/// # Ok::<(), inotify_notify::Error>(())
/// ```
pub mod channel {
    pub use crossbeam_channel::{
        IntoIter, Iter, Receiver, RecvError, RecvTimeoutError, TryIter, TryRecvError,
    };
}

/// The workspace README's examples, compiled (and the non-looping ones run)
/// as doctests so the front page never shows code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// This crate's README (its crates.io page) as doctests, so the example
/// there always builds and runs.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
