//! Safe inotify for Rust: an owned descriptor, typed masks and watch
//! descriptors, zero-copy event parsing, a FIONREAD threshold, and the path
//! bookkeeping of python-inotify (`Watcher`, `AutoWatcher`); and fanotify
//! in FID mode beside it (see [fanotify](#fanotify)).
//!
//! This crate sits on `inotify-sys` (raw declarations) and under
//! `inotify-notify` (pyinotify's event framework). Pick it when you want
//! inotify and nothing else: no threads, no logging, no allocation per event.
//!
//! # Quick start
//!
//! ```
//! use inotify_core::{EventBuffer, EventMask, Inotify, WatchMask};
//! # let dir = std::env::temp_dir().join(format!("core-quick-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let inotify = Inotify::init()?;
//! inotify.add_watch(&dir, WatchMask::CREATE | WatchMask::DELETE)?;
//! std::fs::write(dir.join("a"), b"")?;
//! let mut buffer = EventBuffer::new();
//! for event in inotify.read_events(&mut buffer)? {
//!     println!("{event}"); // wd=1 mask=IN_CREATE cookie=0 name="a"
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Concepts
//! - [`Inotify`] owns the fd; [`Inotify::add_watch`] returns a
//!   [`WatchDescriptor`]; [`Inotify::read_events`] fills an [`EventBuffer`]
//!   and returns [`Events`], an iterator of borrowed [`Event`]s.
//! - [`WatchMask`] is what you ask for, [`EventMask`] what you get.
//! - [`Watcher`] maps descriptors to paths (and per-watch data);
//!   [`AutoWatcher`] also watches new subdirectories.
//! - [`Threshold`] batches reads by queued bytes (FIONREAD).
//!
//! # inotify gotchas
//! - **Coalescing**: the kernel merges an event identical to the last queued
//!   one (same wd, mask, cookie, name); never count events to count writes.
//! - **`Q_OVERFLOW`**: when `max_queued_events` is exceeded, later events are
//!   dropped and one overflow record (wd −1) is queued. Rescan then.
//! - **`IGNORED`**: every watch ends with one — after `rm_watch`, deletion
//!   of the object, unmount, or `ONESHOT`. Forget the wd only then.
//! - **Cookies**: `MOVED_FROM`/`MOVED_TO` of one rename share a cookie; a
//!   move out of the watched set has no `MOVED_TO`.
//! - **Descriptors are per instance** and the same object watched through
//!   two paths gets one descriptor.
//! - **Buffer size**: a read fails with EINVAL unless the buffer holds
//!   `16 + NAME_MAX + 1` bytes; [`EventBuffer`] never goes below that.
//! - **`PATH_MAX`**: a path of 4,096 bytes or more is ENAMETOOLONG to
//!   every path-taking call. [`Inotify::add_watch`] and the recursive walks
//!   reach such paths through a directory descriptor ([`long_path`]), so
//!   trees of any depth are watched and events carry the full path.
//! - **Limits**: `max_user_watches` (ENOSPC), `max_user_instances`
//!   (EMFILE); error messages name the `/proc/sys/fs/inotify` file to raise.
//!
//! # fanotify
//!
//! inotify needs a watch per directory: a tree costs a walk, kernel memory
//! per directory and a share of `max_user_watches`. fanotify in FID mode
//! (`FAN_REPORT_DFID_NAME`, Linux 5.9) reports the same directory-entry
//! events by the parent directory's *file handle* and the entry name, and
//! one [`MarkTarget::Filesystem`] mark (`CAP_SYS_ADMIN`) covers a whole
//! filesystem with no walk at all; unprivileged programs (5.13) get
//! [`MarkTarget::Inode`] marks from a separate budget (`max_user_marks`).
//!
//! - [`Fanotify`] owns the group (always close-on-exec, FID mode only, so
//!   no event carries a descriptor); [`Fanotify::add_mark`] marks an inode,
//!   mount or filesystem; [`Fanotify::read_events`] fills a [`FanBuffer`]
//!   and returns [`FanEvents`] of borrowed [`FanEvent`]s, whose
//!   [`InfoRecord`]s (FID, DFID, `DFID_NAME`, `OLD/NEW_DFID_NAME` of
//!   `FAN_RENAME`, PIDFD, ERROR, unknown types) the parser has checked.
//! - [`FanWatchMask`] is what a mark asks for, [`FanEventMask`] what an
//!   event reports; [`FanInitFlags`], [`FanMarkFlags`] the call flags.
//! - Handles to paths: [`FileIdBuf::of`] (`name_to_handle_at`) gives the
//!   handle of a directory you mark, so you can map it yourself without
//!   privilege; [`HandleResolver`] opens any handle (`open_by_handle_at`,
//!   `CAP_DAC_READ_SEARCH`) and caches the path in a bounded [`HandleCache`].
//! - [`FanFeatures::probe`] and [`FsSupport::probe`] say what this kernel
//!   and a given filesystem accept (e.g. no filesystem mark on `/proc`).
//!
//! ```
//! use inotify_core::{FanBuffer, FanInitFlags, FanMarkFlags, FanWatchMask, Fanotify, FileIdBuf, MarkTarget};
//! # let dir = std::env::temp_dir().join(format!("core-fan-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME)?;
//! group.add_mark(&dir, MarkTarget::Inode, FanWatchMask::CREATE, FanMarkFlags::empty())?;
//! let marked = FileIdBuf::of(&dir)?;
//! std::fs::write(dir.join("a"), b"")?;
//! let mut buffer = FanBuffer::new();
//! for event in group.read_events(&mut buffer)? {
//!     let (parent, name) = event.dfid_name().expect("DFID_NAME record");
//!     assert_eq!(parent, marked.as_file_id());
//!     println!("{} {}", event.mask, dir.join(name).display()); // FAN_CREATE /tmp/.../a
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! fanotify gotchas:
//! - **Merged records**: events of one object still queued are merged, so
//!   one record can carry `CREATE|DELETE`; the bits do not say in which
//!   order things happened (`stat` the name to find out).
//! - **No self events without a mark on the object**, and a mount mark
//!   cannot report directory-entry events at all.
//! - **Handles outlive paths**: a cached path goes stale when its directory
//!   is renamed; drop it from the [`HandleCache`] on `MOVED_*`/`RENAME`.
//! - **Limits**: `max_user_marks` (ENOSPC), `max_user_groups` (EMFILE),
//!   named in the messages with the per-namespace `/proc/sys/user` copy.
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "tokio")]
mod async_tokio;
mod buffer;
mod dir;
mod error;
mod event;
mod fanotify;
pub mod fault;
mod holders;
mod inotify;
mod limits;
pub mod long_path;
mod mask;
#[cfg(feature = "mio")]
mod mio_source;
mod parse;
mod poll;
mod record;
mod sys;
mod table;
mod threshold;
mod waker;
mod walk;
mod watch;
mod watcher;

#[cfg(feature = "tokio")]
pub use async_tokio::{AsyncInotify, AsyncReadiness, EventStream, OwnedEvent, RegisterError};
pub use buffer::EventBuffer;
pub use error::{ContextError, raw_os_error};
pub use event::Event;
pub use fanotify::{
    FanBuffer, FanEvent, FanEventMask, FanEvents, FanFeatures, FanInitFlags, FanMarkFlags,
    FanParseError, FanWatchMask, Fanotify, FileHandle, FileId, FileIdBuf, FsSupport, HandleCache,
    HandleResolver, InfoRecord, InfoRecords, MarkTarget, encode_fan_event, parse_fan_event,
};
pub use holders::{WatchHolder, watch_holders};
pub use inotify::{InitOptions, Inotify};
pub use limits::{Limit, Limits};
pub use mask::{EventKind, EventMask, ParseMaskError, WatchMask};
pub use parse::{Events, ParseError, parse_event};
pub use poll::wait_readable;
pub use record::encode_record;
pub use table::{WatchEntry, WatchTable, WdHasher, normalize};
pub use threshold::Threshold;
pub use waker::Waker;
pub use walk::{AddIter, is_race};
pub use watch::WatchDescriptor;
pub use watcher::{AddFilter, AutoWatcher, Watcher, WatcherEvent, WatcherEvents};

/// This crate's README (its crates.io page) as doctests, so the example
/// there always builds and runs.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
