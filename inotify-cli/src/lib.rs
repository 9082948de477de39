//! Shared code of the `inotifywait` and `inotifywatch` programs. Placeholder
//! until the inotify-cli issue lands.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
