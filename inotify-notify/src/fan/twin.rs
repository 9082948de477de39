//! A watched directory's own events that inotify delivers twice: to its
//! own watch and, as an entry event, to its parent's (`OPEN`, `ACCESS`,
//! `MODIFY`, `ATTRIB`, `CLOSE_*` of `ls dir` or `chmod dir`). fanotify
//! queues one record for the directory, reported through its own mark
//! (inode marks) or as the directory itself (a filesystem mark), so the
//! parent's event is made here, before the directory's own, as inotify
//! queues them.

use std::ffi::OsString;
use std::path::Path;

use inotify_core::{EventMask, FanEventMask, WatchDescriptor};

use super::FanSide;
use super::add::Out;
use super::rec::Rec;
use crate::emit::{Target, emit};
use crate::watch::WatchData;

/// The fanotify bits inotify also reports to the parent's watch.
const TWINNED: FanEventMask = FanEventMask::OPEN
    .union(FanEventMask::ACCESS)
    .union(FanEventMask::MODIFY)
    .union(FanEventMask::ATTRIB)
    .union(FanEventMask::CLOSE_WRITE)
    .union(FanEventMask::CLOSE_NOWRITE);

/// The same bits as inotify's.
const TWINNED_INOTIFY: EventMask = EventMask::OPEN
    .union(EventMask::ACCESS)
    .union(EventMask::MODIFY)
    .union(EventMask::ATTRIB)
    .union(EventMask::CLOSE_WRITE)
    .union(EventMask::CLOSE_NOWRITE);

/// The parent's side of a directory's own events.
pub(super) struct Twin {
    target: Target,
    name: OsString,
}

impl Twin {
    /// Emits the parent's event for the bit `mask` (with `ISDIR`), if
    /// inotify would.
    pub(super) fn emit(&self, mask: EventMask, out: Out<'_>) {
        if (mask - EventMask::ISDIR).intersects(TWINNED_INOTIFY) {
            emit(out, &self.target, mask, 0, Some(&self.name), None, false);
        }
    }
}

/// The parent's side of the record `rec` about the directory `dir` itself
/// (delivered through watch `wd` with `data`), when its parent is watched
/// too and the record has bits inotify reports there.
pub(super) fn parent_of(
    side: &FanSide,
    wd: WatchDescriptor,
    dir: &Path,
    data: &WatchData,
    rec: &Rec,
) -> Option<Twin> {
    if !rec.mask.intersects(TWINNED) {
        return None;
    }
    let (parent, name) = (dir.parent()?, dir.file_name()?);
    let target = if let Some(root) = side.fs_roots.iter().find(|r| r.wd == wd) {
        // A filesystem or mount mark: the parent is watched unless the
        // directory is the root.
        if dir == root.path {
            return None;
        }
        Target::owned(wd, parent.to_path_buf(), data)
    } else {
        let pwd = side.tree.by_path(parent)?;
        let node = side.tree.get(pwd)?;
        Target::new(pwd, &node.path, &node.data)
    };
    Some(Twin {
        target,
        name: name.to_os_string(),
    })
}
