//! Raw declarations of the Linux inotify ABI: constants, the `inotify_event`
//! header and the four system calls, with no logic at all; and those of
//! fanotify (`fanotify_init`, `fanotify_mark`, the event metadata and info
//! records, `FAN_*`) with the file-handle calls it needs.
//!
//! This is the bottom layer of the workspace. Everything here mirrors
//! `<sys/inotify.h>` and `inotify(7)` (and `<sys/fanotify.h>`,
//! `fanotify(7)`) one to one; `cargo xtask check-abi`
//! compiles a C program against the system header and fails if any value
//! here drifts from it. Safe wrappers live in `inotify-core`.
//!
//! ```
//! use inotify_sys::{IN_CLOSE, IN_CLOSE_NOWRITE, IN_CLOSE_WRITE};
//! assert_eq!(IN_CLOSE, IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
//! ```
#![no_std]
#![deny(missing_docs)]

mod constants;
mod fanotify;
mod functions;
mod types;

pub use constants::*;
pub use fanotify::*;
pub use functions::*;
pub use types::*;

/// This crate's README (its crates.io page) as doctests, so the example
/// there always builds and runs.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
