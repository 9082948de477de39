//! Integration tests of the `inotifywait` and `inotifywatch` binaries:
//! real processes, real file operations, stdout/stderr/exit codes checked;
//! plus a differential run against Debian's inotify-tools.

mod differential;
mod fanotify;
mod fanotify_mount;
mod long_paths;
mod rules;
mod settle;
mod suite;
mod support;
mod tracking;
mod version;
mod wait;
mod wait_process;
mod watch;
