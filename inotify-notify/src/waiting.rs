//! Work the event processor cannot finish on the record that starts it:
//! a `MOVED_FROM` waiting for its `MOVED_TO`, and an auto-add whose
//! directory was not at its path because an ancestor's rename is queued
//! behind the `CREATE` that named it.
//!
//! The kernel does not queue a rename's two halves atomically: under load
//! another process's event lands between them. So pending moves are kept
//! by cookie for the whole processing round (the batch read and the
//! grace wait), not in one slot that the next event would resolve; only at
//! the end of the round is a still unpaired `MOVED_FROM` taken for a move
//! out of the tree.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use inotify_core::WatchDescriptor;

use crate::tree::RawEvent;
use crate::watch::WatchData;
use crate::watch_manager::Shared;

/// Rounds an unresolved auto-add is retried for before it is taken for a
/// directory that is really gone (its `DELETE` or `MOVED_FROM` normally
/// ends it sooner).
const RETRY_ROUNDS: u8 = 4;

/// A `MOVED_FROM` waiting for its `MOVED_TO`.
#[derive(Debug)]
struct PendingMove {
    src: PathBuf,
    /// Whether watches sit at or below `src` (then an unpaired move means
    /// they left the tree).
    watched: bool,
    /// Events of watches at or below `src` that came while the move was
    /// pending: their path depends on how it resolves, so they are handled
    /// again once it has (under the new path, or dropped as stale).
    held: Vec<RawEvent>,
}

/// A directory named by a `CREATE` (or `MOVED_TO`) under an auto-add
/// watch that could not be watched at the path the table gave when the
/// record was handled.
pub(crate) struct Unresolved {
    /// The watch of the directory the entry was created in: its path is
    /// looked up again when retrying, after renames have moved it.
    pub parent: WatchDescriptor,
    pub name: OsString,
    pub template: WatchData,
    rounds: u8,
}

/// What waits for later records (see the module docs).
#[derive(Default)]
pub(crate) struct Waiting {
    moves: HashMap<u32, PendingMove>,
    unresolved: Vec<Unresolved>,
}

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiting")
            .field("moves", &self.moves)
            .field("unresolved", &self.unresolved.len())
            .finish()
    }
}

impl Waiting {
    /// Whether a pending move of watched directories is worth waiting a
    /// moment for.
    #[inline]
    pub fn needs_grace(&self) -> bool {
        // Checked for every record: an empty map is the common case.
        !self.moves.is_empty() && self.moves.values().any(|m| m.watched)
    }

    /// Whether any move is pending.
    #[inline]
    pub fn has_moves(&self) -> bool {
        !self.moves.is_empty()
    }

    /// Whether any auto-add is unresolved.
    #[inline]
    pub fn has_unresolved(&self) -> bool {
        !self.unresolved.is_empty()
    }

    /// Notes a `MOVED_FROM` of `src` (cookie 0 cannot be paired).
    pub fn moved_from(&mut self, cookie: u32, src: PathBuf, watched: bool) {
        if cookie != 0 {
            let held = Vec::new();
            self.moves
                .insert(cookie, PendingMove { src, watched, held });
        }
    }

    /// The source of the `MOVED_TO` with `cookie`, if its `MOVED_FROM` is
    /// pending, with the events held for it (to handle after the rename).
    pub fn moved_to(&mut self, cookie: u32) -> Option<(PathBuf, Vec<RawEvent>)> {
        if cookie == 0 {
            return None;
        }
        self.moves.remove(&cookie).map(|m| (m.src, m.held))
    }

    /// Holds the event `make` builds, of the watch at `path`, if a pending
    /// move of watched directories covers that path; returns whether it
    /// did.
    pub fn hold(&mut self, path: &Path, make: impl FnOnce() -> RawEvent) -> bool {
        let Some(moved) = self
            .moves
            .values_mut()
            .find(|m| m.watched && path.starts_with(&m.src))
        else {
            return false;
        };
        moved.held.push(make());
        true
    }

    /// Resolves, as moves out of the tree, the pending moves of watched
    /// directories from `dst`: an entry is being created at their old
    /// path, so their watches must leave that path first. `except`: the
    /// cookie of the `MOVED_TO` being handled. Returns the events held
    /// for them, to handle now.
    pub fn resolve_clashing(&mut self, st: &mut Shared, dst: &Path, except: u32) -> Vec<RawEvent> {
        let clashing: Vec<u32> = self
            .moves
            .iter()
            .filter(|(cookie, m)| m.watched && **cookie != except && m.src == dst)
            .map(|(cookie, _)| *cookie)
            .collect();
        let mut held = Vec::new();
        for cookie in clashing {
            if let Some(moved) = self.moves.remove(&cookie) {
                held.extend(move_out(st, moved));
            }
        }
        held
    }

    /// Resolves every pending move as unpaired: where watches sit at or
    /// below its path, that tree left the watched set, so they are removed
    /// (their `IGNORED` events follow) and their other events dropped.
    /// Returns the events held for them, to handle now (they are dropped
    /// then, as events of stale watches).
    pub fn resolve_moves(&mut self, st: &mut Shared) -> Vec<RawEvent> {
        let moves: Vec<PendingMove> = self.moves.drain().map(|(_, m)| m).collect();
        moves.into_iter().flat_map(|m| move_out(st, m)).collect()
    }

    /// Notes an auto-add of `name` in the directory of `parent` that found
    /// nothing at its path.
    pub fn auto_add_raced(&mut self, parent: WatchDescriptor, name: &OsStr, template: WatchData) {
        self.unresolved.push(Unresolved {
            parent,
            name: name.to_os_string(),
            template,
            rounds: 0,
        });
    }

    /// Forgets unresolved auto-adds of `name` in `parent`: a `DELETE` or
    /// `MOVED_FROM` says where the directory went (a move's `MOVED_TO` is
    /// handled as a new directory of its own).
    pub fn forget_entry(&mut self, parent: WatchDescriptor, name: &OsStr) {
        self.unresolved
            .retain(|u| !(u.parent == parent && u.name == name));
    }

    /// Takes the unresolved auto-adds to retry them.
    pub fn take_unresolved(&mut self) -> Vec<Unresolved> {
        std::mem::take(&mut self.unresolved)
    }

    /// Keeps `u` for the next round, unless it has waited long enough.
    pub fn retry_later(&mut self, mut u: Unresolved) {
        if u.rounds < RETRY_ROUNDS {
            u.rounds += 1;
            self.unresolved.push(u);
        } else {
            log::debug!(
                "auto-add of {} in watch {} given up: the directory is gone",
                u.name.display(),
                u.parent
            );
        }
    }
}

/// Removes the watches at or below a moved-out directory; returns the
/// events held for it.
fn move_out(st: &mut Shared, moved: PendingMove) -> Vec<RawEvent> {
    crate::fan::fallback_moved_out(st, &moved.src);
    if moved.watched {
        st.tree.detach_subtree(&moved.src);
    }
    moved.held
}
