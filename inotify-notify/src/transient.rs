//! Transient files ([`crate::WatchManager::watch_transient_file`]), as
//! pyinotify has them: a file is watched through one watch on its parent
//! directory, and the directory's events whose name is the file's are
//! routed to the file's handler.
//!
//! The file's own inode is never watched, so a file that appears (created,
//! or renamed into place) is announced, and a file renamed away (a rotated
//! log) stops being reported under the live name. The kernel has one
//! descriptor per inode and instance, so the parent's watch is shared with
//! a watch the user put on the directory: its kernel mask is the union of
//! what the user asked and what every transient file in it needs, and the
//! processor sends each event both where the user's mask asks and, here,
//! to the handler of the file it names.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};

use inotify_core::{EventMask, WatchDescriptor, WatchMask, normalize};

use crate::emit::Processed;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::handler::{ProcessEvent, SharedHandler, shared};
use crate::watch::{Hooks, WatchData};
use crate::watch_manager::Shared;

/// What every transient file is watched for, whatever its mask: it
/// appearing and disappearing under its name (pyinotify adds `CREATE` and
/// `DELETE`; a rename into or out of place is the same news).
const APPEAR_VANISH: WatchMask = WatchMask::CREATE
    .union(WatchMask::DELETE)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::MOVED_TO);

/// Events a directory watch reports about the directory itself: they
/// cannot describe the file, so they are not asked for on its behalf.
const SELF_EVENTS: WatchMask = WatchMask::DELETE_SELF.union(WatchMask::MOVE_SELF);

/// One transient file, registered on its parent's watch.
struct File {
    /// The file's name in the parent directory.
    name: OsString,
    /// The events its handler gets (always including [`APPEAR_VANISH`]).
    mask: WatchMask,
    handler: SharedHandler,
}

/// The transient files of a manager, by the descriptor of their parent
/// directory's watch.
#[derive(Default)]
pub(crate) struct Transients {
    by_parent: HashMap<WatchDescriptor, Vec<File>>,
}

impl Transients {
    /// Whether no transient file is watched (the processor skips routing).
    pub(crate) fn is_empty(&self) -> bool {
        self.by_parent.is_empty()
    }

    /// The event bits the files registered on `wd` need.
    fn bits(&self, wd: WatchDescriptor) -> WatchMask {
        self.by_parent.get(&wd).map_or(WatchMask::empty(), |files| {
            files.iter().fold(WatchMask::empty(), |m, f| m | f.mask)
        })
    }
}

/// The mask a transient file's handler gets for `mask`.
fn file_mask(mask: WatchMask) -> WatchMask {
    ((mask & WatchMask::ALL_EVENTS) - SELF_EVENTS) | APPEAR_VANISH
}

/// The per-watch handler of a directory watched only for transient files:
/// the directory's own events are nobody's business (pyinotify's name
/// filter drops them too), so they go here rather than to the default
/// handler.
struct Discard;

impl ProcessEvent for Discard {}

/// Watches the file `path` through its parent directory (see
/// [`crate::WatchManager::watch_transient_file`]); returns the parent's
/// descriptor.
pub(crate) fn watch(
    st: &mut Shared,
    path: &Path,
    mask: WatchMask,
    handler: SharedHandler,
) -> Result<WatchDescriptor> {
    let path = normalize(path);
    let Some(name) = path.file_name().map(OsStr::to_os_string) else {
        let err = io::Error::new(
            io::ErrorKind::InvalidInput,
            "a transient file needs a file name",
        );
        return Err(Error::io(err, Some(&path)));
    };
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let bits = file_mask(mask);
    // MASK_ADD keeps what the directory's watch already asks for (the
    // user's own mask, other transient files).
    let wd = (st.tree)
        .add_bits(&parent, bits | WatchMask::ONLYDIR)
        .map_err(|err| Error::io(err, Some(&parent)))?;
    if st.tree.table().get(wd).is_none() {
        // A directory the user does not watch: its own events are
        // discarded, only the files' are routed.
        let data = WatchData {
            user_mask: WatchMask::empty(),
            rec: false,
            auto_add: false,
            is_dir: true,
            root: true,
            hooks: Hooks::new(Some(shared(Discard)), None),
        };
        let kmask = st.transients.bits(wd) | bits | WatchMask::ONLYDIR;
        (st.tree)
            .watch_dir(&parent, kmask, data)
            .map_err(|err| Error::io(err, Some(&parent)))?;
    }
    let files = st.transients.by_parent.entry(wd).or_default();
    let file = File {
        name,
        mask: bits,
        handler,
    };
    match files.iter_mut().find(|f| f.name == file.name) {
        Some(old) => *old = file,
        None => files.push(file),
    }
    Ok(wd)
}

/// Puts the transient files' bits back into their parents' kernel masks
/// after an operation that set a directory's mask from its user data
/// alone (`add_watch` on the directory without `MASK_ADD`,
/// `update_watch`, turning snapshots on).
///
/// The kernel mask is replaced by that operation and extended again here,
/// so the file's events that happen between the two calls are not
/// generated; watching the directory before its transient files avoids
/// even that.
pub(crate) fn restore_masks(st: &mut Shared) {
    if st.transients.is_empty() {
        return;
    }
    let missing: Vec<(WatchDescriptor, PathBuf)> = st
        .transients
        .by_parent
        .keys()
        .filter_map(|&wd| {
            let entry = st.tree.table().get(wd)?;
            let bits = st.transients.bits(wd);
            (!entry.mask().contains(bits))
                .then(|| Some((wd, st.tree.path(wd)?)))
                .flatten()
        })
        .collect();
    for (wd, path) in missing {
        let bits = st.transients.bits(wd);
        match st.tree.add_bits(&path, bits) {
            Ok(now) if now == wd => {}
            // The path names another directory now, or none: the old
            // watch's IGNORED (or the next rescan) ends its files.
            Ok(_) => log::debug!("transient parent {} was replaced", path.display()),
            Err(err) => log::debug!("transient parent {}: {err}", path.display()),
        }
    }
}

/// Routes one kernel record of watch `wd` to the transient files
/// registered on it: an event naming a file goes to that file's handler
/// (when its mask asks for the kind), with the file's pathname; the end of
/// the directory's watch (`UNMOUNT`, `IGNORED`) goes to every file's
/// handler, and `IGNORED` forgets them.
///
/// Called for every record while any transient file is watched, before
/// the processor's own bookkeeping of the record.
pub(crate) fn route(
    st: &mut Shared,
    wd: WatchDescriptor,
    mask: EventMask,
    cookie: u32,
    name: Option<&OsStr>,
    out: &mut dyn FnMut(Processed),
) {
    let Some(files) = st.transients.by_parent.get(&wd) else {
        return;
    };
    let dir = match st.tree.path(wd) {
        Some(path) => path,
        // Removed from the table (rm_watch, moved out of the tree): its
        // remaining events still carry its last path, unless it is stale.
        None => match st.tree.detached(wd) {
            Some(d) if !d.stale || mask.contains(EventMask::IGNORED) => d.path.clone(),
            _ => return,
        },
    };
    let dir = dir.as_path();
    let send = |out: &mut dyn FnMut(Processed), file: &File| {
        let mut event = Event::new(wd, mask, cookie, dir, Some(&file.name));
        event.dir = mask.contains(EventMask::ISDIR);
        out(Processed::Event {
            event,
            handler: Some(file.handler.clone()),
        });
    };
    match name {
        Some(name) => {
            if let Some(file) = files.iter().find(|f| f.name == name)
                && mask.bits() & file.mask.bits() != 0
            {
                send(out, file);
            }
        }
        None if mask.intersects(EventMask::IGNORED | EventMask::UNMOUNT) => {
            for file in files {
                send(out, file);
            }
            if mask.contains(EventMask::IGNORED) {
                st.transients.by_parent.remove(&wd);
            }
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_mask_adds_appearance_and_drops_self_events() {
        let mask = file_mask(WatchMask::MODIFY | WatchMask::DELETE_SELF | WatchMask::ONESHOT);
        assert_eq!(mask, WatchMask::MODIFY | APPEAR_VANISH);
        assert_eq!(
            file_mask(WatchMask::ALL_EVENTS),
            WatchMask::ALL_EVENTS - SELF_EVENTS
        );
    }
}
