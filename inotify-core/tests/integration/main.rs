//! The integration tests of `inotify-core`: one binary, a module per topic,
//! all against the real kernel on real files in unique temporary directories.
//!
//! Tests that lower a limit do it inside a fresh user namespace (a child run
//! of this binary under `unshare -Ur`), so they never disturb tests running in
//! parallel; the one limit that is global to the machine
//! (`max_queued_events`) is tested by the separate, serial `limits` binary.

mod support;

mod errors;
mod events;
mod fan_namespaces;
mod fan_parse_props;
mod fanotify;
#[cfg(feature = "fault-injection")]
mod fault;
mod fd;
mod flags;
mod long_paths;
mod names;
mod namespaces;
mod parse_props;
mod threshold;
mod watcher;
