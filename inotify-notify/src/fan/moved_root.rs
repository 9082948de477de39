//! A root of inode marks that moved where no marked directory reports it
//! (its own `MOVE_SELF`, its parent unmarked): its marks stay on the
//! directories wherever they go, only the paths the tree gives their
//! handles are lost. Found again as the inotify backend finds its roots
//! (`tree/moved_root.rs`): in its old directory (an entry with its handle:
//! `mv dir dir.old`, no privilege needed), else by `open_by_handle_at`
//! (anywhere on its filesystem, with `CAP_DAC_READ_SEARCH`); then the
//! tree's paths at and below it are moved there.

use std::path::{Path, PathBuf};

use inotify_core::{FileIdBuf, WatchDescriptor, long_path};

use super::FanSide;
use super::tree::Node;
use crate::error::Error;
use crate::tree::{by_handle, lost_root};

/// Follows the root `wd` from `old` to where it is now; returns what the
/// move replaced in the tree (marked directories at the new path).
///
/// # Errors
/// Not found (no privilege to look it up by handle, or deleted): the
/// error says why, for the caller to give the tree up.
pub(super) fn follow(
    side: &mut FanSide,
    wd: WatchDescriptor,
    old: &Path,
) -> Result<Vec<(WatchDescriptor, Node)>, Error> {
    let Some(id) = side.tree.get(wd).map(|node| node.id) else {
        return Err(lost_root(old, "its mark is gone"));
    };
    let new = match in_old_directory(&id, old) {
        Some(new) => new,
        None => by_handle(id.as_file_id(), old).map_err(|why| lost_root(old, &why))?,
    };
    if FileIdBuf::of_link(&new).ok() != Some(id) {
        return Err(lost_root(
            old,
            &format!("{} is another object now", new.display()),
        ));
    }
    if new == old {
        return Ok(Vec::new());
    }
    Ok(side.tree.rename(old, &new))
}

/// The root renamed in its own directory: the entry with its handle.
fn in_old_directory(id: &FileIdBuf, old: &Path) -> Option<PathBuf> {
    let dir = match old.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let entries = long_path::read_dir(dir)
        .inspect_err(|err| log::debug!("moved root {}: {err}", old.display()))
        .ok()?;
    entries
        .flatten()
        .map(|e| dir.join(e.file_name()))
        .find(|p| FileIdBuf::of_link(p).is_ok_and(|now| now == *id))
}
