//! The settling layer: what people did, not what the kernel said. A
//! [`Settler`] folds the paired, race-free [`Event`](crate::Event) stream
//! into per-path *net* changes over a window that closes after a quiet
//! period (or a maximum wait), and hands them out as numbered [`Batch`]es.
//!
//! The state machine (`window.rs`) is pure: it is fed events with a
//! timestamp and polled with the current time, so its tests run on a fake
//! clock without a kernel. The loops around it (`adapters.rs`, and
//! `stream.rs` with the `tokio` feature) only decide when to poll.
//!
//! # What a batch says
//! For each path touched in the window, at most one [`Change`], judged by
//! comparing the path's state before the window with its state after:
//!
//! | before | after | change |
//! |---|---|---|
//! | absent | present | [`ChangeKind::Created`] |
//! | present | absent | [`ChangeKind::Removed`] |
//! | present | present, written or attributes changed | [`ChangeKind::Modified`] `{ replaced: false }` |
//! | present | present, another object (rename-over, delete + recreate) | [`ChangeKind::Modified`] `{ replaced: true }` |
//! | absent | the object that was at `from` (now absent) | [`ChangeKind::Renamed`] `{ from, .. }` |
//! | absent | absent (a temporary file) | nothing |
//!
//! Whether a path was present before is read from the stream itself: a
//! path whose first event in the window is `CREATE` or `MOVED_TO` was
//! absent, any other first event means it was present. Chains of renames
//! collapse (`a → b → c` is `a → c`; `a → b → a` is nothing, or
//! `Modified` if written in between), any number of renames may be in
//! flight at once (pairs are matched by cookie, not by a single slot).
//!
//! Directories: each path is judged on its own, so `rm -rf tree` gives one
//! `Removed` per path that existed before (children first in the batch's
//! order, then their directory), and `cp -a tree here` one `Created` per
//! path. A renamed directory is one `Renamed` for the directory; changes
//! below it are reported at their new paths. A directory moved out of the
//! watched tree is one `Removed`; nothing is reported below it.
//!
//! # Order
//! Applying a batch's changes in order to a picture of the tree taken
//! before the window gives the tree after it: renames come first, in the
//! order they must be applied, then the other changes sorted by path
//! (removals deepest first). A rename into a directory created in the same
//! window is reported as a `Created` of its destination and a `Removed` of
//! its source, so no change depends on a later one.
//!
//! # Timing
//! A window opens at its first event and closes when no event came for
//! [`SettleOptions::quiet`] (default 50 ms, watchexec's) or
//! [`SettleOptions::max_wait`] after it opened (default 1 s: a continuous
//! writer still gets a batch per second). `Q_OVERFLOW` closes the window at
//! once, in a batch flagged [`Batch::overflowed`]; the rescan's synthetic
//! events (with `rescan_on_overflow`) follow in later batches. With
//! [`SettleOptions::defer_while_locked`], a window that would close while
//! `.git/index.lock` or `.hg/wlock` exists under a root (or in the stream)
//! stays open until the lock goes, at most [`SettleOptions::max_deferral`].

mod adapters;
mod net;
#[cfg(feature = "tokio")]
mod stream;
mod window;

#[cfg(test)]
mod tests;

pub use adapters::{SettleHandler, SettleNotifier, SettleThread};
#[cfg(feature = "tokio")]
pub use stream::SettledStream;
pub use window::{Batch, Change, ChangeKind, SettleOptions, Settler};
