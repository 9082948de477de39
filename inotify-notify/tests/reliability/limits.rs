//! The watch limit (ENOSPC) and the instance limit (EMFILE), provoked in a
//! user namespace (`unshare -Ur`, then `/proc/sys/user/max_inotify_*`),
//! so the host's settings are never touched: the error names the
//! `/proc/sys/fs/inotify` value to raise; during a recursive add or an
//! auto-add the watches that landed keep working, `process_error` is told,
//! and [`WatchManager::unwatched`] lists the subtrees left unwatched.

use std::fs;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

use inotify_notify::{ErrorKind, Notifier, WatchManager, WatchMask, WatchOptions};

use crate::support::{
    Recorder, TempDir, all_dirs, fdinfo_masks, has, in_user_namespace, leak_checked, lock, pump,
    set_user_limit,
};

/// Every directory is watched, or lies in (or is) a listed unwatched one.
fn covered(wm: &WatchManager, root: &Path) {
    let unwatched = wm.unwatched();
    for dir in all_dirs(root) {
        let watched = wm.wd(&dir).is_some();
        let listed = unwatched.iter().any(|u| dir.starts_with(u));
        assert!(
            watched ^ listed,
            "{}: watched {watched}, listed {listed}: {unwatched:?}",
            dir.display()
        );
    }
}

#[test]
fn watch_limit_during_recursive_add_keeps_landed_watches_and_lists_the_rest() {
    leak_checked(|| {
        if !in_user_namespace(
            "limits::watch_limit_during_recursive_add_keeps_landed_watches_and_lists_the_rest",
            &["-Ur"],
        ) {
            return;
        }
        let dir = TempDir::new("limit-rec");
        for n in 0..6 {
            fs::create_dir_all(dir.join(format!("d{n}/c"))).unwrap();
        }
        let wm = WatchManager::new().unwrap();
        set_user_limit("max_inotify_watches", 4);
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        let err = wm
            .add_watch(dir.path(), WatchMask::CREATE, &options)
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::WatchLimit, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("/proc/sys/fs/inotify/max_user_watches"),
            "{text}"
        );
        assert_eq!(wm.num_watches(), 4);
        assert_eq!(fdinfo_masks(wm.as_fd().as_raw_fd()).len(), 4);
        covered(&wm, dir.path());
        assert!(!wm.unwatched().is_empty());

        // quiet: each failed directory has its own error in the map.
        let wm2 = WatchManager::new().unwrap();
        set_user_limit("max_inotify_watches", 4 + 2);
        let quiet = WatchOptions {
            quiet: true,
            ..options.clone()
        };
        let map = wm2
            .add_watch(dir.path(), WatchMask::CREATE, &quiet)
            .unwrap();
        let failed: Vec<&PathBuf> = map
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(p, _)| p)
            .collect();
        assert!(!failed.is_empty(), "{map:?}");
        for path in &failed {
            assert!(wm2.unwatched().contains(path), "{path:?} not listed");
        }
        covered(&wm2, dir.path());
        drop(wm2);

        // The watches that landed keep working.
        let (record, handler) = Recorder::new();
        let mut notifier = Notifier::new(&wm, handler).unwrap();
        let watched = wm
            .watches()
            .into_iter()
            .map(|w| w.path)
            .find(|p| p != dir.path())
            .unwrap();
        fs::write(watched.join("f"), b"").unwrap();
        fs::write(dir.join("g"), b"").unwrap();
        assert!(
            pump(&mut notifier, &record, |s| {
                has(&s.events, "IN_CREATE", &watched.join("f"))
                    && has(&s.events, "IN_CREATE", &dir.join("g"))
            })
            .unwrap()
        );
    });
}

#[test]
fn watch_limit_during_auto_add_reaches_process_error_and_lists_the_subtree() {
    leak_checked(|| {
        if !in_user_namespace(
            "limits::watch_limit_during_auto_add_reaches_process_error_and_lists_the_subtree",
            &["-Ur"],
        ) {
            return;
        }
        let dir = TempDir::new("limit-auto");
        let wm = WatchManager::new().unwrap();
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        wm.add_watch(dir.path(), WatchMask::CREATE, &options)
            .unwrap();
        set_user_limit("max_inotify_watches", 2);
        let (record, handler) = Recorder::new();
        let mut notifier = Notifier::new(&wm, handler).unwrap();
        fs::create_dir_all(dir.join("one/deeper")).unwrap();
        fs::create_dir(dir.join("two")).unwrap();
        assert!(
            pump(&mut notifier, &record, |s| !s.errors.is_empty()
                && has(&s.events, "IN_CREATE|IN_ISDIR", &dir.join("two")))
            .unwrap()
        );
        let seen = lock(&record);
        assert!(
            seen.errors.iter().all(|(k, _)| *k == ErrorKind::WatchLimit),
            "{:?}",
            seen.errors
        );
        assert!(
            seen.errors[0].1.contains("max_user_watches"),
            "{:?}",
            seen.errors
        );
        drop(seen);
        assert_eq!(wm.num_watches(), 2);
        covered(&wm, dir.path());
        // The root keeps delivering.
        fs::write(dir.join("still"), b"").unwrap();
        assert!(
            pump(&mut notifier, &record, |s| has(
                &s.events,
                "IN_CREATE",
                &dir.join("still")
            ))
            .unwrap()
        );
    });
}

#[test]
fn instance_limit_is_instance_limit_naming_max_user_instances() {
    leak_checked(|| {
        if !in_user_namespace(
            "limits::instance_limit_is_instance_limit_naming_max_user_instances",
            &["-Ur"],
        ) {
            return;
        }
        set_user_limit("max_inotify_instances", 1);
        let first = WatchManager::new().unwrap();
        let err = WatchManager::new().unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InstanceLimit, "{err}");
        assert!(
            err.to_string()
                .contains("/proc/sys/fs/inotify/max_user_instances"),
            "{err}"
        );
        drop(first);
        WatchManager::new().expect("a freed instance can be created again");
    });
}

/// The limit report after ENOSPC: every unwatched subtree with its
/// directory count, this test process among the holders with the watches
/// it has, and the namespace's sysctl with current + missing to set.
#[test]
fn limit_report_lists_subtrees_holders_and_the_sysctl_to_raise() {
    leak_checked(|| {
        if !in_user_namespace(
            "limits::limit_report_lists_subtrees_holders_and_the_sysctl_to_raise",
            &["-Ur"],
        ) {
            return;
        }
        let dir = TempDir::new("limit-report");
        for n in 0..5 {
            fs::create_dir_all(dir.join(format!("d{n}/c/e"))).unwrap();
        }
        // 1 + 5 * 3 directories.
        assert_eq!(inotify_notify::count_dirs(dir.path(), None), 16);
        let wm = WatchManager::new().unwrap();
        set_user_limit("max_inotify_watches", 6);
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        wm.add_watch(dir.path(), WatchMask::CREATE, &options)
            .unwrap_err();
        assert_eq!(wm.num_watches(), 6);
        let unwatched = wm.unwatched();
        let mut sorted = unwatched.clone();
        sorted.sort();
        assert_eq!(unwatched, sorted, "ordered");
        covered(&wm, dir.path());
        let report = wm.limit_report(None);
        assert_eq!(report.missing(), 10, "{report}");
        assert_eq!(report.sysctl, "user.max_inotify_watches");
        assert_eq!(report.current, Some(6));
        assert_eq!(report.suggested(), Some(16));
        let me = report
            .holders
            .iter()
            .find(|h| h.pid == std::process::id())
            .unwrap_or_else(|| panic!("this process not listed: {report}"));
        assert_eq!(me.watches, 6, "{report}");
        let text = report.to_string();
        assert!(
            text.contains("sysctl -w user.max_inotify_watches=16"),
            "{text}"
        );
    });
}
