//! `WatchManager` options and methods against real directories.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use inotify_notify::{
    ErrorKind, Event, ExcludeFilter, NotifierBuilder, WatchManager, WatchMask, WatchOptions,
    WatchUpdate, shared,
};

use crate::support::{TempDir, collecting_notifier, has, pump_quiet, pump_until};

/// Linux errno values (the same on every architecture).
const ENOENT: i32 = 2;
const EINVAL: i32 = 22;

fn rec() -> WatchOptions {
    WatchOptions {
        rec: true,
        ..WatchOptions::default()
    }
}

#[test]
fn add_watch_rec_watches_every_directory_and_maps_both_ways() {
    let dir = TempDir::new("rec");
    std::fs::create_dir_all(dir.join("a/b/c")).unwrap();
    std::fs::create_dir_all(dir.join("d")).unwrap();
    std::os::unix::fs::symlink(dir.join("a"), dir.join("link")).unwrap();
    let wm = WatchManager::new().unwrap();
    let added = wm.add_watch(dir.path(), WatchMask::CREATE, &rec()).unwrap();
    assert_eq!(added.len(), 5, "{:?}", added.keys().collect::<Vec<_>>());
    assert!(added.values().all(Result::is_ok));
    let wd = wm.wd(dir.join("a/b")).unwrap();
    assert_eq!(wm.path(wd), Some(dir.join("a/b")));
    let watch = wm.watch(wd).unwrap();
    assert_eq!(watch.mask, WatchMask::CREATE);
    assert!(watch.dir && watch.rec);
    assert_eq!(wm.watches().len(), 5);
    assert_eq!(wm.num_watches(), 5);
    assert!(
        wm.wd(dir.join("link")).is_none(),
        "symlinks are not followed"
    );
}

#[test]
fn add_watch_quiet_false_returns_first_error_quiet_true_reports_each() {
    let dir = TempDir::new("quiet");
    let wm = WatchManager::new().unwrap();
    let missing = dir.join("missing");
    let err = wm
        .add_watches(
            [missing.clone()],
            WatchMask::CREATE,
            &WatchOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.path(), Some(missing.as_path()));
    assert!(err.io_error().is_some());
    let quiet = WatchOptions {
        quiet: true,
        ..WatchOptions::default()
    };
    let result = wm
        .add_watches(
            [missing.clone(), dir.path().to_path_buf()],
            WatchMask::CREATE,
            &quiet,
        )
        .unwrap();
    assert!(result[&missing].is_err());
    assert!(result[dir.path()].is_ok());
}

#[test]
fn do_glob_expands_patterns() {
    let dir = TempDir::new("glob");
    for name in ["x1", "x2", "y1"] {
        std::fs::create_dir(dir.join(name)).unwrap();
    }
    let wm = WatchManager::new().unwrap();
    let options = WatchOptions {
        do_glob: true,
        ..WatchOptions::default()
    };
    let added = wm
        .add_watch(dir.join("x?"), WatchMask::CREATE, &options)
        .unwrap();
    let paths: Vec<_> = added.keys().cloned().collect();
    assert_eq!(paths, [dir.join("x1"), dir.join("x2")]);
}

#[test]
fn exclude_filter_skips_directories_and_loads_from_file() {
    let dir = TempDir::new("exclude");
    std::fs::create_dir_all(dir.join("keep/sub")).unwrap();
    std::fs::create_dir_all(dir.join("build/sub")).unwrap();
    let patterns = dir.join("patterns.txt");
    std::fs::write(&patterns, "# comment\n/build$\n").unwrap();
    let options = WatchOptions {
        rec: true,
        exclude_filter: Some(ExcludeFilter::from_file(&patterns).unwrap()),
        ..WatchOptions::default()
    };
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &options)
        .unwrap();
    assert!(wm.wd(dir.join("keep/sub")).is_some());
    assert!(wm.wd(dir.join("build")).is_none());
    assert!(wm.wd(dir.join("build/sub")).is_none());
    let bad = ExcludeFilter::from_patterns(["(unclosed"]).unwrap_err();
    assert_eq!(*bad.kind(), ErrorKind::InvalidPattern);
}

#[test]
fn rm_watch_rec_removes_subtree_and_delivers_ignored() {
    let dir = TempDir::new("rmrec");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &rec()).unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    let wd_a = wm.wd(dir.join("a")).unwrap();
    let removed = wm
        .rm_watch(
            wd_a,
            inotify_notify::RmOptions {
                rec: true,
                ..inotify_notify::RmOptions::default()
            },
        )
        .unwrap();
    assert_eq!(removed.len(), 2);
    assert_eq!(wm.num_watches(), 1);
    assert!(wm.wd(dir.join("a/b")).is_none());
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { has(e, "IN_IGNORED", &dir.join("a")) && has(e, "IN_IGNORED", &dir.join("a/b")) }
    ));
    let err = wm
        .rm_watch(wd_a, inotify_notify::RmOptions::default())
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::NotWatched);
}

#[test]
fn update_watch_changes_mask_and_handler() {
    let dir = TempDir::new("update");
    let wm = WatchManager::new().unwrap();
    let added = wm
        .add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let wd = *added[dir.path()].as_ref().unwrap();
    let own: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = own.clone();
    let update = WatchUpdate {
        mask: Some(WatchMask::DELETE),
        proc_fun: Some(shared(move |e: &Event| {
            sink.lock().unwrap().push(e.clone());
        })),
        ..WatchUpdate::default()
    };
    let result = wm.update_watch(wd, &update);
    assert!(result[&wd].is_ok());
    assert_eq!(wm.watch(wd).unwrap().mask, WatchMask::DELETE);
    let (mut notifier, default) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::write(dir.join("f"), b"").unwrap();
    std::fs::remove_file(dir.join("f")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &own,
        Duration::from_secs(5),
        |e| !e.is_empty()
    ));
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(2),
    );
    let own = own.lock().unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].maskname(), "IN_DELETE");
    assert!(default.lock().unwrap().is_empty());
}

#[test]
fn close_removes_every_watch_and_refuses_new_ones() {
    let dir = TempDir::new("close");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &rec()).unwrap();
    wm.close();
    assert!(wm.is_closed());
    assert_eq!(wm.num_watches(), 0);
    let err = wm
        .add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Closed);
}

#[test]
fn internal_bits_are_not_dispatched() {
    let dir = TempDir::new("usermask");
    let wm = WatchManager::new().unwrap();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    wm.add_watch(dir.path(), WatchMask::CLOSE_WRITE, &options)
        .unwrap();
    assert!(wm.watches()[0].kernel_mask.contains(WatchMask::CREATE));
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::rename(dir.join("sub"), dir.join("sub2")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |_| { wm.wd(dir.join("sub2")).is_some() }
    ));
    std::fs::write(dir.join("sub2/f"), b"x").unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { has(e, "IN_CLOSE_WRITE", &dir.join("sub2/f")) }
    ));
    pump_quiet(
        &mut notifier,
        Duration::from_millis(30),
        Duration::from_secs(2),
    );
    let events = events.lock().unwrap();
    assert!(
        events.iter().all(|e| e.maskname() == "IN_CLOSE_WRITE"),
        "{events:?}"
    );
}

#[test]
fn manager_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    check::<WatchManager>();
    check::<inotify_notify::StopHandle>();
    send::<inotify_notify::Notifier>();
    send::<inotify_notify::ThreadedNotifier>();
}

/// Issue 11 item 10: the errno was hidden behind core's context wrapper.
#[test]
fn add_watch_error_exposes_errno_and_classifies_it() {
    let dir = TempDir::new("errno");
    let wm = WatchManager::new().unwrap();
    let missing = dir.join("missing");
    let err = wm
        .add_watch(&missing, WatchMask::CREATE, &WatchOptions::default())
        .unwrap_err();
    assert_eq!(
        err.io_error().and_then(std::io::Error::raw_os_error),
        Some(ENOENT),
        "{err:?}"
    );
    assert_eq!(err.raw_os_error(), Some(ENOENT));
    assert_eq!(*err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string().contains(&*missing.to_string_lossy()),
        "{err}"
    );
    let io_err: std::io::Error = err.into();
    assert_eq!(io_err.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(inotify_notify::raw_os_error(&io_err), Some(ENOENT));
}

/// Issue 11 item 7: an empty path watched the current directory.
#[test]
fn add_watch_empty_path_is_not_found_like_the_kernel() {
    let wm = WatchManager::new().unwrap();
    for options in [WatchOptions::default(), rec()] {
        let err = wm.add_watch("", WatchMask::CREATE, &options).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(err.raw_os_error(), Some(ENOENT));
        assert!(err.to_string().contains("\"\""), "{err}");
        let quiet = WatchOptions {
            quiet: true,
            ..options
        };
        let result = wm.add_watch("", WatchMask::CREATE, &quiet).unwrap();
        assert_eq!(result.len(), 1, "{result:?}");
        assert!(result.values().all(Result::is_err), "{result:?}");
    }
    assert_eq!(wm.num_watches(), 0, "{:?}", wm.watches());
}

/// Issue 11 item 8: `ONLYDIR` alone, or an empty mask with `rec` (the
/// manager's own bits made the kernel accept it), watched nothing.
#[test]
fn add_and_update_reject_a_mask_without_event_bits() {
    let dir = TempDir::new("no-event-bit");
    std::fs::create_dir(dir.join("sub")).unwrap();
    let wm = WatchManager::new().unwrap();
    let auto = WatchOptions {
        auto_add: true,
        ..rec()
    };
    for (mask, options) in [
        (WatchMask::ONLYDIR, WatchOptions::default()),
        (WatchMask::empty(), rec()),
        (WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW, auto.clone()),
    ] {
        let err = wm.add_watch(dir.path(), mask, &options).unwrap_err();
        assert_eq!(
            *err.kind(),
            ErrorKind::InvalidInput,
            "{mask} {options:?}: {err}"
        );
        assert_eq!(err.raw_os_error(), Some(EINVAL));
        assert!(err.to_string().contains("no event bit"), "{err}");
        assert!(
            err.to_string().contains(&*dir.path().to_string_lossy()),
            "{err}"
        );
    }
    assert_eq!(wm.num_watches(), 0, "{:?}", wm.watches());
    let added = wm.add_watch(dir.path(), WatchMask::CREATE, &auto).unwrap();
    let wd = added[dir.path()].as_ref().copied().unwrap();
    let update = WatchUpdate {
        mask: Some(WatchMask::ONLYDIR),
        ..WatchUpdate::default()
    };
    let result = wm.update_watch(wd, &update);
    let err = result[&wd].as_ref().unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(wm.watch(wd).unwrap().mask, WatchMask::CREATE, "unchanged");
}

/// Issue 11 item 6: changing only the mask turned `auto_add` off.
#[test]
fn update_watch_keeps_the_options_it_is_not_given() {
    let dir = TempDir::new("update-keeps");
    let wm = WatchManager::new().unwrap();
    let auto = WatchOptions {
        auto_add: true,
        ..rec()
    };
    let added = wm.add_watch(dir.path(), WatchMask::CREATE, &auto).unwrap();
    let wd = *added[dir.path()].as_ref().unwrap();
    let update = WatchUpdate {
        mask: Some(WatchMask::CREATE | WatchMask::DELETE),
        ..WatchUpdate::default()
    };
    let result = wm.update_watch(wd, &update);
    assert!(result[&wd].is_ok(), "{result:?}");
    let watch = wm.watch(wd).unwrap();
    assert_eq!(watch.mask, WatchMask::CREATE | WatchMask::DELETE);
    assert!(watch.auto_add, "auto_add kept");
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::create_dir(dir.join("new")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |_| wm.wd(dir.join("new")).is_some()
    ));
}

/// `auto_add: Some(false)` turns it off; the mask stays.
#[test]
fn update_watch_turns_auto_add_off_only_when_asked() {
    let dir = TempDir::new("update-auto-off");
    let wm = WatchManager::new().unwrap();
    let auto = WatchOptions {
        auto_add: true,
        ..rec()
    };
    let added = wm.add_watch(dir.path(), WatchMask::CREATE, &auto).unwrap();
    let wd = *added[dir.path()].as_ref().unwrap();
    let off = WatchUpdate {
        auto_add: Some(false),
        ..WatchUpdate::default()
    };
    assert!(wm.update_watch(wd, &off)[&wd].is_ok());
    let watch = wm.watch(wd).unwrap();
    assert!(!watch.auto_add);
    assert_eq!(watch.mask, WatchMask::CREATE);
}

/// Friction (issue 11): an add failing part-way lost the descriptors it
/// had added; pyinotify's `WatchManagerError` carries them.
#[test]
fn add_error_carries_what_was_added_before_it() {
    let dir = TempDir::new("partial");
    std::fs::create_dir_all(dir.join("t/a")).unwrap();
    std::fs::create_dir_all(dir.join("t/b")).unwrap();
    let wm = WatchManager::new().unwrap();
    let missing = dir.join("missing");
    let err = wm
        .add_watches([dir.join("t"), missing.clone()], WatchMask::CREATE, &rec())
        .unwrap_err();
    assert_eq!(err.path(), Some(missing.as_path()));
    let partial = err.partial().expect("the partial result");
    let keys: Vec<_> = partial.keys().cloned().collect();
    assert_eq!(keys, [dir.join("t"), dir.join("t/a"), dir.join("t/b")]);
    for (path, wd) in partial {
        assert_eq!(wm.wd(path), Some(*wd.as_ref().unwrap()), "still watched");
    }
    assert_eq!(wm.num_watches(), 3);
}

/// pyinotify reports an excluded root as -2; here it is an explicit
/// `Excluded` entry, and not an error of the add.
#[test]
fn excluded_root_has_an_explicit_result() {
    let dir = TempDir::new("excluded-root");
    let wm = WatchManager::new().unwrap();
    let root = dir.path().to_path_buf();
    let excluded = root.clone();
    let options = WatchOptions {
        exclude_filter: Some(ExcludeFilter::new(move |p| p == excluded)),
        ..rec()
    };
    let result = wm
        .add_watch(dir.path(), WatchMask::CREATE, &options)
        .unwrap();
    let err = result[&root].as_ref().unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Excluded, "{err}");
    assert!(err.to_string().contains("excluded"), "{err}");
    assert_eq!(wm.num_watches(), 0);
}
