//! Safe inotify for Rust: an owned descriptor, typed masks and watch
//! descriptors, zero-copy event parsing, a FIONREAD threshold, and the path
//! bookkeeping of python-inotify (`Watcher`, `AutoWatcher`).
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
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "tokio")]
mod async_tokio;
mod buffer;
mod error;
mod event;
mod fanotify;
pub mod fault;
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
