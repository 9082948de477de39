//! The fanotify fallback past the watch limit
//! ([`WatchManager::enable_fanotify_fallback`]), in a user namespace
//! (`unshare -Ur`) with `max_inotify_watches` lowered: the subtrees
//! inotify cannot take are watched with fanotify inode marks, every
//! directory's events arrive, and `unwatched()` is empty; without the
//! fallback nothing changes. Skipped (with the reason) when the kernel
//! refuses fanotify inode marks in the namespace.

use std::fs;
use std::path::{Path, PathBuf};

use inotify_notify::{Backend, ErrorKind, Notifier, WatchManager, WatchMask, WatchOptions};

use crate::support::{
    Recorder, TempDir, all_dirs, has, in_user_namespace, leak_checked, lock, pump, set_user_limit,
};

fn options() -> WatchOptions {
    WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    }
}

/// A manager with the fallback on, or `None` (the reason printed) when
/// fanotify inode marks do not work here.
fn fallback_manager(test: &str, probe: &Path) -> Option<WatchManager> {
    let wm = WatchManager::new().unwrap();
    if let Err(err) = wm.enable_fanotify_fallback() {
        eprintln!("skipped {test}: {err}");
        return None;
    }
    // An inode mark on a probe directory, through a manager of its own.
    let fan = WatchManager::with_backend(Backend::Fanotify).ok()?;
    if let Err(err) = fan.add_watch(probe, WatchMask::CREATE, &WatchOptions::default()) {
        eprintln!("skipped {test}: fanotify inode marks refused in the namespace: {err}");
        return None;
    }
    Some(wm)
}

#[test]
fn fanotify_fallback_takes_what_a_recursive_add_left_unwatched() {
    let name = "fallback::fanotify_fallback_takes_what_a_recursive_add_left_unwatched";
    leak_checked(|| {
        if !in_user_namespace(name, &["-Ur"]) {
            return;
        }
        let dir = TempDir::new("fallback-rec");
        for n in 0..6 {
            fs::create_dir_all(dir.join(format!("d{n}/c/e"))).unwrap();
        }
        fs::create_dir(dir.join("probe")).unwrap();
        let Some(wm) = fallback_manager(name, &dir.join("probe")) else {
            return;
        };
        fs::remove_dir(dir.join("probe")).unwrap();
        let dirs = all_dirs(dir.path());
        assert_eq!(dirs.len(), 19);
        set_user_limit("max_inotify_watches", 4);

        // Off: the limit is an error and subtrees stay unwatched.
        let plain = WatchManager::new().unwrap();
        let err = plain
            .add_watch(dir.path(), WatchMask::CREATE, &options())
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::WatchLimit, "{err}");
        assert!(!plain.unwatched().is_empty());
        assert!(plain.limit_report(None).fanotify.is_empty());
        drop(plain);

        // On: every directory is watched, by one backend or the other.
        let added = wm
            .add_watch(dir.path(), WatchMask::CREATE | WatchMask::MOVE, &options())
            .unwrap();
        assert!(added.values().all(Result::is_ok), "{added:?}");
        assert_eq!(wm.unwatched(), Vec::<PathBuf>::new());
        for d in &dirs {
            assert!(wm.wd(d).is_some(), "{} not watched", d.display());
            assert!(added.contains_key(d), "{} not in the map", d.display());
        }
        assert_eq!(wm.num_watches(), dirs.len());
        let deepest = dirs.last().unwrap().clone();
        assert_eq!(wm.root_backend(&deepest), Some(Backend::Fanotify));
        assert_eq!(wm.root_backend(dir.path()), Some(Backend::Inotify));
        let tops = wm.fanotify_fallbacks();
        assert!(!tops.is_empty());
        assert!(tops.iter().any(|t| deepest.starts_with(t)), "{tops:?}");
        let report = wm.limit_report(None);
        assert_eq!(report.missing(), 0, "{report}");
        assert_eq!(report.on_fanotify(), dirs.len() - 4, "{report}");
        let text = report.to_string();
        assert!(text.contains("watched through fanotify instead"), "{text}");

        // Events of the deepest unwatched directory arrive, and a
        // directory made in a fanotify subtree is followed too.
        let (record, handler) = Recorder::new();
        let mut notifier = Notifier::new(&wm, handler).unwrap();
        fs::write(deepest.join("f"), b"").unwrap();
        fs::write(dir.join("g"), b"").unwrap();
        fs::create_dir(deepest.join("new")).unwrap();
        assert!(
            pump(&mut notifier, &record, |s| {
                has(&s.events, "IN_CREATE", &deepest.join("f"))
                    && has(&s.events, "IN_CREATE", &dir.join("g"))
                    && has(&s.events, "IN_CREATE|IN_ISDIR", &deepest.join("new"))
            })
            .unwrap(),
            "{:?}",
            lock(&record).events
        );
        fs::write(deepest.join("new/h"), b"").unwrap();
        assert!(
            pump(&mut notifier, &record, |s| has(
                &s.events,
                "IN_CREATE",
                &deepest.join("new/h")
            ))
            .unwrap()
        );

        follow_a_renamed_parent(&wm, dir.path(), &tops, &mut notifier, &record);
        assert!(
            lock(&record).errors.is_empty(),
            "{:?}",
            lock(&record).errors
        );
    });
}

#[test]
fn fanotify_fallback_takes_what_an_auto_add_left_unwatched() {
    let name = "fallback::fanotify_fallback_takes_what_an_auto_add_left_unwatched";
    leak_checked(|| {
        if !in_user_namespace(name, &["-Ur"]) {
            return;
        }
        let dir = TempDir::new("fallback-auto");
        fs::create_dir(dir.join("probe")).unwrap();
        let Some(wm) = fallback_manager(name, &dir.join("probe")) else {
            return;
        };
        fs::remove_dir(dir.join("probe")).unwrap();
        wm.add_watch(dir.path(), WatchMask::CREATE, &options())
            .unwrap();
        set_user_limit("max_inotify_watches", 2);
        let (record, handler) = Recorder::new();
        let mut notifier = Notifier::new(&wm, handler).unwrap();
        fs::create_dir_all(dir.join("one/deeper/deepest")).unwrap();
        fs::create_dir(dir.join("two")).unwrap();
        fs::write(dir.join("two/early"), b"").unwrap();
        assert!(
            pump(&mut notifier, &record, |s| {
                has(&s.events, "IN_CREATE|IN_ISDIR", &dir.join("two"))
                    && has(&s.events, "IN_CREATE", &dir.join("two/early"))
                    && has(
                        &s.events,
                        "IN_CREATE|IN_ISDIR",
                        &dir.join("one/deeper/deepest"),
                    )
            })
            .unwrap(),
            "{:?}",
            lock(&record).events
        );
        // inotify's refusals were told once; nothing is left unwatched.
        assert!(
            lock(&record)
                .errors
                .iter()
                .all(|(k, _)| *k == ErrorKind::WatchLimit),
            "{:?}",
            lock(&record).errors
        );
        assert_eq!(wm.unwatched(), Vec::<PathBuf>::new());
        for d in all_dirs(dir.path()) {
            assert!(wm.wd(&d).is_some(), "{} not watched", d.display());
        }
        let deepest = dir.join("one/deeper/deepest");
        fs::write(deepest.join("f"), b"").unwrap();
        assert!(
            pump(&mut notifier, &record, |s| has(
                &s.events,
                "IN_CREATE",
                &deepest.join("f")
            ))
            .unwrap(),
            "{:?}",
            lock(&record).events
        );
    });
}

/// An inotify directory holding a fanotify subtree is renamed: the
/// subtree's paths follow.
fn follow_a_renamed_parent(
    wm: &WatchManager,
    dir: &Path,
    tops: &[PathBuf],
    notifier: &mut Notifier<Recorder>,
    record: &crate::support::Record,
) {
    let inotify_parent = all_dirs(dir)
        .into_iter()
        .filter(|d| d.as_path() != dir)
        .filter(|d| wm.root_backend(d) == Some(Backend::Inotify))
        .find(|d| tops.iter().any(|t| t.starts_with(d) && t != d));
    if let Some(parent) = &inotify_parent {
        let top = tops.iter().find(|t| t.starts_with(parent)).unwrap();
        let renamed = dir.join("renamed");
        fs::rename(parent, &renamed).unwrap();
        let moved_top = renamed.join(top.strip_prefix(parent).unwrap());
        assert!(
            pump(notifier, record, |s| has(
                &s.events,
                "IN_MOVED_TO|IN_ISDIR",
                &renamed
            ))
            .unwrap()
        );
        assert_eq!(wm.root_backend(&moved_top), Some(Backend::Fanotify));
        assert!(wm.fanotify_fallbacks().contains(&moved_top));
        fs::write(moved_top.join("after"), b"").unwrap();
        assert!(
            pump(notifier, record, |s| has(
                &s.events,
                "IN_CREATE",
                &moved_top.join("after")
            ))
            .unwrap(),
            "{:?}",
            lock(record).events
        );
        rename_and_move_out_a_top(wm, dir, &moved_top, notifier, record);
    } else {
        eprintln!("no inotify directory holds a fanotify subtree here");
    }
}

/// A fanotify subtree renamed in its inotify parent keeps its marks at
/// the new path (no new watch, no error); moved out of the tree, it ends.
fn rename_and_move_out_a_top(
    wm: &WatchManager,
    dir: &Path,
    top: &Path,
    notifier: &mut Notifier<Recorder>,
    record: &crate::support::Record,
) {
    let new = top.with_file_name("fan-renamed");
    fs::rename(top, &new).unwrap();
    assert!(
        pump(notifier, record, |s| has(
            &s.events,
            "IN_MOVED_TO|IN_ISDIR",
            &new
        ))
        .unwrap()
    );
    assert_eq!(wm.root_backend(&new), Some(Backend::Fanotify));
    assert_eq!(wm.wd(top), None);
    fs::write(new.join("again"), b"").unwrap();
    assert!(
        pump(notifier, record, |s| has(
            &s.events,
            "IN_CREATE",
            &new.join("again")
        ))
        .unwrap(),
        "{:?}",
        lock(record).events
    );
    let outside = dir.with_file_name(format!(
        "{}-outside",
        dir.file_name().unwrap().to_string_lossy()
    ));
    fs::rename(&new, &outside).unwrap();
    let marker = dir.join("marker");
    fs::write(&marker, b"").unwrap();
    assert!(
        pump(notifier, record, |s| has(&s.events, "IN_CREATE", &marker)
            && has(&s.events, "IN_MOVED_FROM|IN_ISDIR", &new))
        .unwrap()
    );
    assert!(crate::support::eventually(|| wm.wd(&new).is_none()));
    assert!(!wm.fanotify_fallbacks().iter().any(|t| t.starts_with(&new)));
    fs::write(outside.join("gone"), b"").unwrap();
    let marker = dir.join("marker2");
    fs::write(&marker, b"").unwrap();
    assert!(pump(notifier, record, |s| has(&s.events, "IN_CREATE", &marker)).unwrap());
    let stray: Vec<_> = lock(record)
        .events
        .iter()
        .filter(|e| e.name() == Some(std::ffi::OsStr::new("gone")))
        .map(|e| e.pathname().to_path_buf())
        .collect();
    assert!(stray.is_empty(), "moved out, still reported: {stray:?}");
    fs::remove_dir_all(&outside).unwrap();
}
