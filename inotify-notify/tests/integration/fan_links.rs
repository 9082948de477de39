//! `WatchOptions::dont_follow` on the fanotify backend: a symlink added
//! as a root is marked itself (`FAN_MARK_DONT_FOLLOW`), reports its own
//! events and not its target's, and `rm_watch` removes that mark.

use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::time::Duration;

use inotify_notify::{
    Backend, EventMask, NotifierBuilder, RmOptions, WatchManager, WatchMask, WatchOptions,
};

use crate::support::{TempDir, collecting_notifier, has, pump_quiet, pump_until};

/// Whether a fanotify group of this process has an inode mark on inode
/// `ino` (the `fanotify ino:` lines of `/proc/self/fdinfo`).
fn marked(ino: u64) -> bool {
    let needle = format!("fanotify ino:{ino:x} ");
    std::fs::read_dir("/proc/self/fdinfo")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .any(|s| s.lines().any(|l| l.starts_with(&needle)))
}

/// `touch -h`: the link's own times change, an `ATTRIB` of the link.
fn touch_link(link: &std::path::Path) {
    let status = Command::new("touch").arg("-h").arg(link).status().unwrap();
    assert!(status.success(), "touch -h {}", link.display());
}

/// Failed before: the mark went through the link to its target (marked,
/// its `MODIFY` reported under the link's path) and the link's `ATTRIB`
/// never came.
#[test]
fn dont_follow_marks_a_symlinked_root_itself() {
    let dir = TempDir::new("fan-dont-follow");
    let (target, link) = (dir.join("target"), dir.join("link"));
    std::fs::write(&target, b"").unwrap();
    std::os::unix::fs::symlink("target", &link).unwrap();
    let link_ino = std::fs::symlink_metadata(&link).unwrap().ino();
    let target_ino = std::fs::metadata(&target).unwrap().ino();
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    let options = WatchOptions {
        dont_follow: true,
        ..WatchOptions::default()
    };
    let mask = WatchMask::ATTRIB | WatchMask::MODIFY;
    let added = wm.add_watch(&link, mask, &options).unwrap();
    let wd = *added[&link].as_ref().unwrap();
    assert!(marked(link_ino) && !marked(target_ino));
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());

    std::fs::write(&target, b"x").unwrap();
    touch_link(&link);
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            has(e, "IN_ATTRIB", &link)
        }),
        "{:?}",
        events.lock().unwrap()
    );
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(2),
    );
    let seen = events.lock().unwrap().clone();
    assert!(
        seen.iter().all(|e| !e.mask.contains(EventMask::MODIFY)),
        "{seen:?}"
    );

    wm.rm_watch(wd, RmOptions::default()).unwrap();
    assert!(!marked(link_ino), "the link's mark outlived rm_watch");
}
