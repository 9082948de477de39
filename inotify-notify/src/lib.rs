//! pyinotify's model (WatchManager, Notifier, ProcessEvent) on top of
//! `inotify-core`. Placeholder until the inotify-notify issue lands: for now
//! it only re-exports the core types a user of this crate needs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use inotify_core::{EventMask, WatchDescriptor, WatchMask};
