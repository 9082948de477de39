//! A root of inode marks that moved where no marked directory reports it
//! (its own `MOVE_SELF`, its parent unmarked): its marks stay on the
//! directories wherever they go, only the paths the tree gives their
//! handles are lost. Found again as the inotify backend finds its roots
//! (`tree/moved_root.rs`): in its old directory (an entry with its handle:
//! `mv dir dir.old`, no privilege needed), else by `open_by_handle_at`
//! (anywhere on its filesystem, with `CAP_DAC_READ_SEARCH`); then the
//! tree's paths at and below it are moved there.

use std::path::Path;

use inotify_core::{FileIdBuf, WatchDescriptor};

use super::FanSide;
use super::tree::Node;
use crate::error::Error;
use crate::tree::{by_handle, in_old_directory, lost_root};

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
    let found = in_old_directory(old, |_, path| {
        FileIdBuf::of_link(path).is_ok_and(|now| now == id)
    });
    let new = match found {
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
