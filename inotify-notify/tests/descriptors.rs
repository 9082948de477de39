//! A manager holds one inotify descriptor and its waker, nothing more
//! (issue 12: it used to hold three `dup`s of the instance, then one for
//! polling without the lock). Its own binary: descriptors are counted
//! for the whole process.

use std::fs;

use inotify_notify::{Notifier, WatchManager, WatchMask, WatchOptions};

/// Open descriptors of this process.
fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

#[test]
fn a_manager_and_its_notifier_hold_two_descriptors() {
    let before = open_fds();
    let wm = WatchManager::new().expect("manager");
    assert_eq!(
        open_fds(),
        before + 2,
        "the instance and the pending waker only"
    );
    let dir = std::env::temp_dir().join(format!("fds-{}", std::process::id()));
    fs::create_dir_all(dir.join("sub")).expect("tree");
    let options = WatchOptions {
        rec: true,
        ..WatchOptions::default()
    };
    wm.add_watch(&dir, WatchMask::CREATE, &options)
        .expect("watch");
    assert_eq!(open_fds(), before + 2, "a walk leaves nothing open");
    let notifier = Notifier::new(&wm, |_: &inotify_notify::Event| {}).expect("notifier");
    let with_notifier = open_fds();
    drop(notifier);
    drop(wm);
    fs::remove_dir_all(&dir).expect("cleanup");
    assert_eq!(open_fds(), before, "all closed again");
    // The notifier's stop waker is its only descriptor.
    assert_eq!(with_notifier, before + 3);
}
