//! The event masks of fanotify marks: the user's events in fanotify's
//! spelling, plus what the bookkeeping needs, per kind of mark.

use inotify_core::{FanWatchMask, MarkTarget, WatchMask};

use crate::watch::WatchData;

/// The events a mount mark can carry (in a FID group the kernel refuses
/// the others, EINVAL: they cannot be told apart by mount).
pub(crate) const MOUNT_EVENTS: WatchMask = WatchMask::ACCESS
    .union(WatchMask::MODIFY)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::CLOSE_NOWRITE)
    .union(WatchMask::OPEN);

/// The group's mask for a mark serving `data`: the user's events in
/// fanotify's spelling, plus what the bookkeeping needs (a mount mark can
/// carry nothing more, and covering the whole mount, needs nothing more).
pub(crate) fn fan_mask(data: &WatchData, rename: bool, target: MarkTarget) -> FanWatchMask {
    const PAIRS: [(WatchMask, FanWatchMask); 10] = [
        (WatchMask::ACCESS, FanWatchMask::ACCESS),
        (WatchMask::MODIFY, FanWatchMask::MODIFY),
        (WatchMask::ATTRIB, FanWatchMask::ATTRIB),
        (WatchMask::CLOSE_WRITE, FanWatchMask::CLOSE_WRITE),
        (WatchMask::CLOSE_NOWRITE, FanWatchMask::CLOSE_NOWRITE),
        (WatchMask::OPEN, FanWatchMask::OPEN),
        (WatchMask::CREATE, FanWatchMask::CREATE),
        (WatchMask::DELETE, FanWatchMask::DELETE),
        (WatchMask::DELETE_SELF, FanWatchMask::DELETE_SELF),
        (WatchMask::MOVE_SELF, FanWatchMask::MOVE_SELF),
    ];
    let user = data.user_mask;
    let mut mask = FanWatchMask::ONDIR | FanWatchMask::DELETE_SELF;
    for (bit, fan) in PAIRS {
        if user.intersects(bit) {
            mask |= fan;
        }
    }
    if target == MarkTarget::Mount {
        let mut mount = FanWatchMask::ONDIR;
        for (bit, fan) in PAIRS {
            if user.intersects(bit & MOUNT_EVENTS) {
                mount |= fan;
            }
        }
        return mount;
    }
    let moves = if rename {
        FanWatchMask::RENAME
    } else {
        FanWatchMask::MOVED_FROM | FanWatchMask::MOVED_TO
    };
    if user.intersects(WatchMask::MOVE) {
        mask |= moves;
    }
    if data.rec || data.auto_add {
        mask |= moves | FanWatchMask::CREATE | FanWatchMask::DELETE | FanWatchMask::MOVE_SELF;
    }
    if target == MarkTarget::Inode && data.is_dir {
        mask |= FanWatchMask::EVENT_ON_CHILD;
    }
    if target == MarkTarget::Inode && !data.is_dir {
        // A file's own mark: the kernel refuses ONDIR and the
        // directory-entry events there (ENOTDIR).
        mask -= FanWatchMask::ONDIR
            | FanWatchMask::CREATE
            | FanWatchMask::DELETE
            | FanWatchMask::MOVED_FROM
            | FanWatchMask::MOVED_TO
            | FanWatchMask::RENAME;
    }
    mask
}
