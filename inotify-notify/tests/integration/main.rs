//! Integration tests of inotify-notify against the real kernel: one binary,
//! a module per topic, shared helpers in `support`.

mod fan_fs;
mod fan_links;
mod fan_mount;
mod fan_parity;
mod fan_races;
mod fanotify;
mod handlers;
mod long_paths;
mod moved_root;
mod notifier;
mod stress;
mod stress_model;
mod support;
mod tracking;
mod transient;
mod tree;
mod watch_manager;
