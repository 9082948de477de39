//! A filesystem mark (on a fresh tmpfs in a private mount namespace, as
//! root) against what its records cannot say by themselves: a root that
//! is renamed or moved, and a tree that existed before the mark and is
//! removed whole (its directories known only by handles that no longer
//! open).

use std::time::Duration;

use inotify_notify::{Backend, NotifierBuilder, WatchManager, WatchMask, WatchOptions};

use crate::fanotify::{TREE, Tmpfs, in_mount_namespace};
use crate::support::{TempDir, collecting_notifier, has, pump_quiet, pump_until};

/// A filesystem mark's root renamed in place, then moved elsewhere: its
/// events follow it (they carry the new path), as inode marks and inotify
/// follow their roots. Fails before: the rename ended the root (its
/// `IGNORED`, then nothing more was reported).
#[test]
fn filesystem_mark_follows_a_renamed_and_moved_root() {
    let test = "fan_fs::filesystem_mark_follows_a_renamed_and_moved_root";
    if !in_mount_namespace(test) {
        return;
    }
    let dir = TempDir::new("fan-fs-rootmove");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    std::fs::create_dir_all(mnt.join("root/sub")).unwrap();
    std::fs::create_dir(mnt.join("far")).unwrap();
    let wm = WatchManager::with_backend(Backend::Filesystem).unwrap();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    wm.add_watch(mnt.join("root"), TREE, &options).unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::rename(mnt.join("root"), mnt.join("renamed")).unwrap();
    std::fs::write(mnt.join("renamed/f1"), b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| has(
            e,
            "IN_CLOSE_WRITE",
            &mnt.join("renamed/f1")
        )),
        "{:?}",
        events.lock().unwrap()
    );
    std::fs::rename(mnt.join("renamed"), mnt.join("far/moved")).unwrap();
    std::fs::write(mnt.join("far/moved/sub/f2"), b"").unwrap();
    std::fs::write(mnt.join("far/outside"), b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| has(
            e,
            "IN_CLOSE_WRITE",
            &mnt.join("far/moved/sub/f2")
        )),
        "{:?}",
        events.lock().unwrap()
    );
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(2),
    );
    let events = events.lock().unwrap();
    assert!(
        !events.iter().any(|e| e.maskname() == "IN_IGNORED"),
        "the root ended: {events:?}"
    );
    assert!(
        !has(&events, "IN_CREATE", &mnt.join("far/outside")),
        "outside the root: {events:?}"
    );
}

/// `rm -rf` of a tree that existed before a filesystem mark was added:
/// nothing knows its directories but their handles, which no longer open
/// once they are deleted, so each entry's record is placed by the
/// `DELETE` of its directory (queued after it, possibly read a round
/// later), and the root's `DELETE_SELF` comes (its resolver holds no
/// descriptor on it). Before, whole directories' deletions were missing
/// (5 to 13 lines of 181 for 30 directories) and the root's never came.
#[test]
fn filesystem_mark_reports_every_deletion_of_a_tree_removed_whole() {
    let test = "fan_fs::filesystem_mark_reports_every_deletion_of_a_tree_removed_whole";
    if !in_mount_namespace(test) {
        return;
    }
    let dir = TempDir::new("fan-fs-rmrf");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    let root = mnt.join("w");
    let mut expected = Vec::new();
    for i in 0..300 {
        let d = root.join(format!("d{i}"));
        std::fs::create_dir_all(d.join("e")).unwrap();
        std::fs::write(d.join("f"), b"").unwrap();
        std::fs::write(d.join("e/g"), b"").unwrap();
        for (mask, path) in [
            ("IN_DELETE", d.join("f")),
            ("IN_DELETE", d.join("e/g")),
            ("IN_DELETE|IN_ISDIR", d.join("e")),
            ("IN_DELETE_SELF|IN_ISDIR", d.join("e")),
            ("IN_DELETE|IN_ISDIR", d.clone()),
            ("IN_DELETE_SELF|IN_ISDIR", d.clone()),
        ] {
            expected.push(format!("{mask} {}", path.display()));
        }
    }
    expected.push(format!("IN_DELETE_SELF|IN_ISDIR {}", root.display()));
    expected.sort();
    let wm = WatchManager::with_backend(Backend::Filesystem).unwrap();
    let options = WatchOptions {
        rec: true,
        ..WatchOptions::default()
    };
    wm.add_watch(&root, WatchMask::DELETE | WatchMask::DELETE_SELF, &options)
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    // Removed while the notifier reads: rounds end between an entry's
    // record and its directory's DELETE.
    let remover = {
        let root = root.clone();
        std::thread::spawn(move || std::fs::remove_dir_all(root))
    };
    let done = pump_until(&mut notifier, &events, Duration::from_secs(10), |e| {
        has(e, "IN_DELETE_SELF|IN_ISDIR", &root)
    });
    remover.join().unwrap().unwrap();
    assert!(
        done,
        "no DELETE_SELF of the root: {} events",
        events.lock().unwrap().len()
    );
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(2),
    );
    let mut got: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.maskname() != "IN_IGNORED")
        .map(|e| format!("{} {}", e.maskname(), e.pathname().display()))
        .collect();
    got.sort();
    let missing: Vec<_> = expected.iter().filter(|l| !got.contains(l)).collect();
    let extra: Vec<_> = got.iter().filter(|l| !expected.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
}

/// A directory that existed before the mark, known only because a record
/// in its subdirectory was resolved, then renamed: the subdirectory's
/// later records carry the new path. Before, the subdirectory kept its
/// old path in the tree's memory (`mv d1 d1r; touch d1r/e/after` printed
/// `d1/e/after`), as only a renamed directory known itself moved its
/// known subtree.
#[test]
fn filesystem_mark_moves_known_subdirectories_of_an_unknown_renamed_directory() {
    let test = "fan_fs::filesystem_mark_moves_known_subdirectories_of_an_unknown_renamed_directory";
    if !in_mount_namespace(test) {
        return;
    }
    let dir = TempDir::new("fan-fs-subrename");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    let root = mnt.join("w");
    std::fs::create_dir_all(root.join("d1/e")).unwrap();
    let wm = WatchManager::with_backend(Backend::Filesystem).unwrap();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    wm.add_watch(&root, TREE, &options).unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::write(root.join("d1/e/before"), b"").unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| has(e, "IN_CLOSE_WRITE", &root.join("d1/e/before"))
    ));
    std::fs::rename(root.join("d1"), root.join("d1r")).unwrap();
    std::fs::write(root.join("d1r/e/after"), b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| has(
            e,
            "IN_CLOSE_WRITE",
            &root.join("d1r/e/after")
        )),
        "{:?}",
        events.lock().unwrap()
    );
    let events = events.lock().unwrap();
    assert!(
        has(&events, "IN_CREATE", &root.join("d1r/e/after")),
        "{events:?}"
    );
}
