//! `IN_IGNORED` is authoritative: after it the descriptor's state is gone
//! and removing it again is a clean error. One directory watched through
//! two paths (a symlink; a bind mount in a user + mount namespace) shares
//! one descriptor, and neither path's mask is clobbered by the other.

use std::fs;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::symlink;
use std::process::Command;

use inotify_core::{Inotify, WatchMask as CoreMask, raw_os_error};
use inotify_notify::{ErrorKind, Notifier, WatchManager, WatchMask, WatchOptions};

use crate::support::{
    EINVAL, Recorder, TempDir, fdinfo_masks, has, in_user_namespace, leak_checked, lock, pump,
};

#[test]
fn rm_watch_after_ignored_is_a_clean_error() {
    leak_checked(|| {
        let dir = TempDir::new("ignored-rm");
        let gone = dir.join("gone");
        fs::create_dir(&gone).unwrap();
        let wm = WatchManager::new().unwrap();
        let added = wm
            .add_watch(&gone, WatchMask::CREATE, &WatchOptions::default())
            .unwrap();
        let wd = *added[&gone].as_ref().unwrap();
        let (record, handler) = Recorder::new();
        let mut notifier = Notifier::new(&wm, handler).unwrap();
        fs::remove_dir(&gone).unwrap();
        assert!(
            pump(&mut notifier, &record, |s| s
                .events
                .iter()
                .any(|e| e.maskname() == "IN_IGNORED"))
            .unwrap()
        );
        assert_eq!(wm.path(wd), None, "state gone with IGNORED");
        assert_eq!(wm.num_watches(), 0);
        let err = wm
            .rm_watch(wd, inotify_notify::RmOptions::default())
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::NotWatched, "{err}");
        let quiet = wm
            .rm_watch(
                wd,
                inotify_notify::RmOptions {
                    rec: true,
                    quiet: true,
                },
            )
            .unwrap();
        assert!(quiet[&wd].is_err());
        assert!(
            wm.update_watch(
                wd,
                &inotify_notify::WatchUpdate {
                    mask: Some(WatchMask::DELETE),
                    ..inotify_notify::WatchUpdate::default()
                }
            )[&wd]
                .is_err()
        );

        // Core: the kernel's EINVAL, named, never a panic.
        let inotify = Inotify::init().unwrap();
        let core_wd = inotify.add_watch(dir.path(), CoreMask::CREATE).unwrap();
        inotify.rm_watch(core_wd).unwrap();
        let err = inotify.rm_watch(core_wd).unwrap_err();
        assert_eq!(raw_os_error(&err), Some(EINVAL));
        assert!(err.to_string().contains("no such watch"), "{err}");
        // Removing a watch twice through the manager: first Ok, then error.
        let wd = *wm
            .add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_ref()
            .unwrap();
        wm.rm_watch(wd, inotify_notify::RmOptions::default())
            .unwrap();
        assert!(
            wm.rm_watch(wd, inotify_notify::RmOptions::default())
                .is_err()
        );
    });
}

/// Checks that `a` and `b` (two paths of one directory) share a
/// descriptor whose kernel mask holds both masks, and both deliver.
fn two_paths_keep_both_masks(a: &std::path::Path, b: &std::path::Path) {
    let wm = WatchManager::new().unwrap();
    let wa = *wm
        .add_watch(a, WatchMask::CREATE, &WatchOptions::default())
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_ref()
        .unwrap();
    let wb = *wm
        .add_watch(b, WatchMask::DELETE, &WatchOptions::default())
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_ref()
        .unwrap();
    assert_eq!(wa, wb, "one object, one descriptor");
    let masks = fdinfo_masks(wm.as_fd().as_raw_fd());
    assert_eq!(masks.len(), 1, "{masks:?}");
    let kernel = masks[0].1;
    let want = (WatchMask::CREATE | WatchMask::DELETE).bits();
    assert_eq!(
        kernel & want,
        want,
        "kernel mask {kernel:#x} lost one path's bits"
    );
    let watch = wm.watch(wa).unwrap();
    assert!(
        watch.mask.contains(WatchMask::CREATE | WatchMask::DELETE),
        "{:?}",
        watch.mask
    );
    // The table keeps one path per descriptor (the latest, as core's
    // WatchTable documents); the other path's events arrive through it.
    assert_eq!(wm.wd(b), Some(wa));

    let (record, handler) = Recorder::new();
    let mut notifier = Notifier::new(&wm, handler).unwrap();
    fs::write(a.join("f"), b"").unwrap();
    fs::remove_file(a.join("f")).unwrap();
    assert!(
        pump(&mut notifier, &record, |s| {
            s.events.iter().any(|e| e.maskname() == "IN_CREATE")
                && s.events.iter().any(|e| e.maskname() == "IN_DELETE")
        })
        .unwrap(),
        "{:?}",
        lock(&record).events
    );
    // Updating through one path with pyinotify's replace semantics is the
    // user's explicit choice; re-adding the first path keeps the second's.
    wm.add_watch(a, WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let kernel = fdinfo_masks(wm.as_fd().as_raw_fd())[0].1;
    assert_eq!(kernel & want, want, "re-add clobbered: {kernel:#x}");
    assert!(
        has(&lock(&record).events, "IN_CREATE", &a.join("f"))
            || has(&lock(&record).events, "IN_CREATE", &b.join("f"))
    );
}

#[test]
fn same_directory_through_a_symlink_shares_one_wd_and_keeps_both_masks() {
    leak_checked(|| {
        let dir = TempDir::new("two-paths-link");
        let real = dir.join("real");
        fs::create_dir(&real).unwrap();
        let link = dir.join("link");
        symlink(&real, &link).unwrap();
        two_paths_keep_both_masks(&real, &link);
    });
}

#[test]
fn same_directory_through_a_bind_mount_shares_one_wd_and_keeps_both_masks() {
    leak_checked(|| {
        if !in_user_namespace(
            "ignored::same_directory_through_a_bind_mount_shares_one_wd_and_keeps_both_masks",
            &["-Urm"],
        ) {
            return;
        }
        let dir = TempDir::new("two-paths-bind");
        let real = dir.join("real");
        let bound = dir.join("bound");
        fs::create_dir(&real).unwrap();
        fs::create_dir(&bound).unwrap();
        let out = Command::new("mount")
            .arg("--bind")
            .arg(&real)
            .arg(&bound)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        two_paths_keep_both_masks(&real, &bound);
        let out = Command::new("umount").arg(&bound).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}
