//! New directories an inode-mark scan did not find at their paths (a
//! rename above them raced the scan; split from `add.rs`): followed through
//! the renames read since, and marked and scanned where they are now, at
//! the end of rounds.

use inotify_core::{FileIdBuf, WatchDescriptor};

use super::FanSide;
use super::add::{Out, scan_new_dir};
use crate::watch::WatchData;

/// A new directory an inode-mark scan did not find at its path (see
/// [`scan_new_dir`]).
pub(crate) struct Raced {
    /// The marked directory it appeared in.
    pub parent: WatchDescriptor,
    /// Its name there.
    pub name: std::ffi::OsString,
    /// The template to mark and scan it with.
    pub data: WatchData,
    /// Its handle, to know it when found.
    pub id: FileIdBuf,
}

impl FanSide {
    /// The entry `from` (a marked directory and a name) was deleted or
    /// renamed to `to` (`None`: out of the tree): a directory found
    /// missing there by a scan ([`Raced`]) is looked for at `to` from now
    /// on, or no longer.
    pub(crate) fn raced_moved(
        &mut self,
        from: (WatchDescriptor, &std::ffi::OsStr),
        to: Option<(WatchDescriptor, &std::ffi::OsStr)>,
    ) {
        if self.raced.is_empty() {
            return;
        }
        let at = |r: &Raced| r.parent == from.0 && r.name == from.1;
        match to {
            Some((parent, name)) => {
                for raced in self.raced.iter_mut().filter(|r| at(r)) {
                    raced.parent = parent;
                    raced.name = name.to_os_string();
                }
            }
            None => self.raced.retain(|r| !at(r)),
        }
    }
}

/// Marks and scans the directories that were not at their paths, below
/// their parent's current path (the round's renames have moved the tree
/// by now). One still elsewhere goes on to the next retry (the caller
/// bounds them); one whose parent's watch is gone is dropped.
pub(crate) fn retry_raced(side: &mut FanSide, out: Out<'_>) {
    for raced in std::mem::take(&mut side.raced) {
        let dir = side
            .tree
            .get(raced.parent)
            .map(|node| node.path.join(&raced.name));
        if let Some(dir) = dir {
            let via = (raced.parent, &raced.data);
            scan_new_dir(side, via, dir, Some(raced.id), true, out);
        }
    }
}
