//! `Watcher` and `AutoWatcher`: path ↔ descriptor bookkeeping, IGNORED-driven
//! forgetting, the recursive add and automatic watching of new directories.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use inotify_core::{AddFilter, AutoWatcher, EventMask, WatchMask, Watcher};

use crate::support::{Expect, TIMEOUT, TempDir, expect_auto, expect_watcher};

/// Sorted `(path, mask)` of every watch.
fn watch_list<T>(watcher: &Watcher<T>) -> Vec<(PathBuf, WatchMask)> {
    let mut list: Vec<_> = watcher
        .watches()
        .map(|(path, _, mask)| (path, mask))
        .collect();
    list.sort();
    list
}

#[test]
fn watcher_maps_paths_and_descriptors_both_ways() {
    let dir = TempDir::new("watcher-maps");
    fs::create_dir(dir.join("a")).unwrap();
    let mut watcher: Watcher = Watcher::new().unwrap();
    let root = watcher.add(dir.path(), WatchMask::CREATE).unwrap();
    // A path that normalises to the same one maps to the same watch.
    let messy = PathBuf::from(format!("{}/./a/../", dir.path().display()));
    assert_eq!(watcher.add(&messy, WatchMask::CREATE).unwrap(), root);
    let sub = watcher.add(dir.join("a"), WatchMask::DELETE).unwrap();
    assert_ne!(root, sub);
    assert_eq!(watcher.num_watches(), 2);
    assert_eq!(watcher.path(root).as_deref(), Some(dir.path()));
    assert_eq!(watcher.path(sub), Some(dir.join("a")));
    assert_eq!(watcher.wd(dir.join("a/")), Some(sub));
    assert_eq!(watcher.wd(dir.join("b")), None);
    assert_eq!(
        watch_list(&watcher),
        [
            (dir.path().to_path_buf(), WatchMask::CREATE),
            (dir.join("a"), WatchMask::DELETE),
        ]
    );
    // MASK_ADD is recorded as the union, without the flag itself.
    watcher
        .add(dir.join("a"), WatchMask::CREATE | WatchMask::MASK_ADD)
        .unwrap();
    assert_eq!(
        watcher.table().get(sub).unwrap().mask(),
        WatchMask::CREATE | WatchMask::DELETE
    );
}

#[test]
fn watcher_forgets_a_watch_only_when_ignored_is_read() {
    let dir = TempDir::new("watcher-remove");
    fs::create_dir(dir.join("a")).unwrap();
    let mut watcher: Watcher = Watcher::new().unwrap();
    let root = watcher.add(dir.path(), WatchMask::CREATE).unwrap();
    let sub = watcher.add(dir.join("a"), WatchMask::CREATE).unwrap();
    fs::write(dir.join("a/queued"), b"").unwrap();
    watcher.remove(sub).unwrap();
    // rm_watch done, IGNORED not read yet: still known.
    assert_eq!(watcher.num_watches(), 2);
    assert_eq!(watcher.path(sub), Some(dir.join("a")));
    // The event queued before the removal still maps to its path, and so
    // does the IGNORED itself.
    expect_watcher(
        &mut watcher,
        &[
            Expect::new(EventMask::CREATE)
                .name("queued")
                .wd(sub)
                .path(dir.join("a/queued")),
            Expect::new(EventMask::IGNORED).wd(sub).path(dir.join("a")),
        ],
        TIMEOUT,
    );
    assert_eq!(watcher.num_watches(), 1);
    assert_eq!(watcher.path(sub), None);
    assert_eq!(watcher.wd(dir.join("a")), None);

    watcher.remove_path(dir.path()).unwrap();
    expect_watcher(
        &mut watcher,
        &[Expect::new(EventMask::IGNORED).wd(root)],
        TIMEOUT,
    );
    assert_eq!(watcher.num_watches(), 0);
    let err = watcher.remove_path(dir.path()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains(&*dir.path().to_string_lossy()));
}

#[test]
fn watcher_forgets_deleted_directory_on_ignored() {
    let dir = TempDir::new("watcher-deleted");
    fs::create_dir(dir.join("gone")).unwrap();
    let mut watcher: Watcher = Watcher::new().unwrap();
    let wd = watcher
        .add(dir.join("gone"), WatchMask::DELETE_SELF)
        .unwrap();
    fs::remove_dir(dir.join("gone")).unwrap();
    expect_watcher(
        &mut watcher,
        &[
            Expect::new(EventMask::DELETE_SELF)
                .wd(wd)
                .path(dir.join("gone")),
            Expect::new(EventMask::IGNORED)
                .wd(wd)
                .path(dir.join("gone")),
        ],
        TIMEOUT,
    );
    assert_eq!(watcher.num_watches(), 0);
}

#[test]
fn add_all_watches_dirs_only_without_following_symlinks() {
    let dir = TempDir::new("add-all");
    let outside = TempDir::new("add-all-outside");
    fs::create_dir_all(dir.join("a/b/c")).unwrap();
    fs::create_dir(dir.join("d")).unwrap();
    fs::write(dir.join("a/file"), b"").unwrap();
    symlink(outside.path(), dir.join("a/link-out")).unwrap();
    symlink(dir.join("d"), dir.join("link-in")).unwrap();
    let mut watcher: Watcher<u32> = Watcher::new().unwrap();
    let wds = watcher
        .add_all(dir.path(), WatchMask::CREATE, 7, Err)
        .unwrap();
    assert_eq!(wds.len(), 5, "root, a, a/b, a/b/c, d");
    let sub = WatchMask::CREATE | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW;
    assert_eq!(
        watch_list(&watcher),
        [
            (dir.path().to_path_buf(), WatchMask::CREATE),
            (dir.join("a"), sub),
            (dir.join("a/b"), sub),
            (dir.join("a/b/c"), sub),
            (dir.join("d"), sub),
        ]
    );
    assert!(watcher.wd(outside.path()).is_none());
    assert!(watcher.wd(dir.join("link-in")).is_none());
    assert!(
        wds.iter()
            .all(|wd| watcher.table().get(*wd).unwrap().data == 7)
    );
    fs::write(dir.join("a/b/c/leaf"), b"").unwrap();
    expect_watcher(
        &mut watcher,
        &[Expect::new(EventMask::CREATE)
            .name("leaf")
            .path(dir.join("a/b/c/leaf"))],
        TIMEOUT,
    );
}

#[test]
fn add_all_missing_root_fails_and_filter_prunes() {
    let dir = TempDir::new("add-all-root");
    let mut watcher: Watcher = Watcher::new().unwrap();
    let err = watcher
        .add_all(dir.join("missing"), WatchMask::CREATE, (), |_| Ok(()))
        .unwrap_err();
    assert_eq!(inotify_core::raw_os_error(&err), Some(libc::ENOENT));
    assert_eq!(watcher.num_watches(), 0);

    fs::create_dir_all(dir.join("keep/deep")).unwrap();
    fs::create_dir_all(dir.join("skip/deep")).unwrap();
    let mut walk = watcher
        .add_iter(dir.path(), WatchMask::CREATE, ())
        .filter_dirs(|p: &Path| p.file_name() != Some("skip".as_ref()));
    let mut added: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    while let Some(step) = walk.next() {
        step.unwrap();
        let name = walk.name().map(PathBuf::from);
        added.push((walk.path().to_path_buf(), name));
    }
    drop(walk);
    assert_eq!(added.len(), 3, "{added:?}");
    assert_eq!(added[0], (dir.path().to_path_buf(), None), "the root first");
    assert!(added.contains(&(dir.join("keep/deep"), Some(PathBuf::from("deep")))));
    assert!(watcher.wd(dir.join("keep/deep")).is_some());
    assert!(watcher.wd(dir.join("skip")).is_none());
    assert!(watcher.wd(dir.join("skip/deep")).is_none());
}

#[test]
fn auto_watcher_watches_new_subdirs_with_full_paths() {
    let dir = TempDir::new("auto");
    let mut auto: AutoWatcher = AutoWatcher::new(None).unwrap();
    auto.watcher()
        .add_all(dir.path(), WatchMask::CREATE, (), Err)
        .unwrap();
    fs::create_dir(dir.join("new")).unwrap();
    expect_auto(
        &mut auto,
        &[Expect::new(EventMask::CREATE | EventMask::ISDIR)
            .name("new")
            .path(dir.join("new"))],
        TIMEOUT,
    );
    let wd = auto.watcher().wd(dir.join("new")).expect("new dir watched");
    assert!(
        auto.watcher()
            .table()
            .get(wd)
            .unwrap()
            .mask()
            .contains(WatchMask::ONLYDIR)
    );
    fs::write(dir.join("new/file"), b"").unwrap();
    // A nested tree created at once: whatever the race, every level ends up
    // watched (the walk lists what the watch missed).
    fs::create_dir_all(dir.join("new/x/y/z")).unwrap();
    expect_auto(
        &mut auto,
        &[
            Expect::new(EventMask::CREATE)
                .name("file")
                .wd(wd)
                .path(dir.join("new/file")),
            Expect::new(EventMask::CREATE | EventMask::ISDIR)
                .name("x")
                .path(dir.join("new/x")),
        ],
        TIMEOUT,
    );
    assert!(auto.watcher().wd(dir.join("new/x/y/z")).is_some());
    fs::write(dir.join("new/x/y/z/leaf"), b"").unwrap();
    expect_auto(
        &mut auto,
        &[Expect::new(EventMask::CREATE)
            .name("leaf")
            .path(dir.join("new/x/y/z/leaf"))],
        TIMEOUT,
    );
    assert!(auto.take_errors().is_empty());
}

#[test]
fn auto_watcher_respects_add_filter() {
    let dir = TempDir::new("auto-filter");
    let filter: AddFilter = Box::new(|path: &Path| path.file_name() != Some("skip".as_ref()));
    let mut auto: AutoWatcher = AutoWatcher::new(Some(filter)).unwrap();
    auto.watcher().add(dir.path(), WatchMask::CREATE).unwrap();
    fs::create_dir(dir.join("skip")).unwrap();
    fs::create_dir(dir.join("keep")).unwrap();
    expect_auto(
        &mut auto,
        &[
            Expect::new(EventMask::CREATE | EventMask::ISDIR).name("skip"),
            Expect::new(EventMask::CREATE | EventMask::ISDIR).name("keep"),
        ],
        TIMEOUT,
    );
    assert!(auto.watcher().wd(dir.join("skip")).is_none());
    assert!(auto.watcher().wd(dir.join("keep")).is_some());
    fs::write(dir.join("skip/hidden"), b"").unwrap();
    fs::write(dir.join("keep/seen"), b"").unwrap();
    let (seen, _) = expect_auto(
        &mut auto,
        &[Expect::new(EventMask::CREATE)
            .name("seen")
            .path(dir.join("keep/seen"))],
        TIMEOUT,
    );
    assert!(
        !seen
            .iter()
            .any(|e| e.name.as_deref() == Some("hidden".as_ref()))
    );
}

#[test]
fn auto_watcher_watches_dirs_moved_in() {
    let dir = TempDir::new("auto-move-in");
    let elsewhere = TempDir::new("auto-move-in-src");
    fs::create_dir_all(elsewhere.join("tree/inner")).unwrap();
    let mut auto: AutoWatcher = AutoWatcher::new(None).unwrap();
    auto.watcher()
        .add(dir.path(), WatchMask::CREATE | WatchMask::MOVED_TO)
        .unwrap();
    fs::rename(elsewhere.join("tree"), dir.join("tree")).unwrap();
    expect_auto(
        &mut auto,
        &[Expect::new(EventMask::MOVED_TO | EventMask::ISDIR).name("tree")],
        TIMEOUT,
    );
    assert!(auto.watcher().wd(dir.join("tree/inner")).is_some());
    fs::write(dir.join("tree/inner/f"), b"").unwrap();
    expect_auto(
        &mut auto,
        &[Expect::new(EventMask::CREATE)
            .name("f")
            .path(dir.join("tree/inner/f"))],
        TIMEOUT,
    );
}

#[test]
fn auto_watcher_try_read_returns_at_once_and_still_auto_adds() {
    let dir = TempDir::new("auto-try");
    let mut auto: AutoWatcher = AutoWatcher::new(None).unwrap();
    auto.watcher()
        .add_all(dir.path(), WatchMask::CREATE, (), Err)
        .unwrap();
    assert_eq!(auto.try_read().unwrap().count(), 0, "nothing queued yet");
    fs::create_dir(dir.join("sub")).unwrap();
    assert!(
        auto.watcher().inotify().wait(Some(TIMEOUT)).unwrap(),
        "the create arrives"
    );
    let names: Vec<_> = auto
        .try_read()
        .unwrap()
        .filter_map(|e| e.event.to_owned_name())
        .collect();
    assert_eq!(names, ["sub"]);
    assert!(auto.watcher().wd(dir.join("sub")).is_some(), "auto-added");
}

/// Issue 11 item 7: `normalize("")` is `.`, so an empty path used to watch
/// the current directory; it must fail as `Inotify::add_watch("")` does.
#[test]
fn watcher_empty_path_is_enoent_like_the_kernel() {
    let inotify = inotify_core::Inotify::init().unwrap();
    let kernel = inotify.add_watch("", WatchMask::CREATE).unwrap_err();
    assert_eq!(inotify_core::raw_os_error(&kernel), Some(libc::ENOENT));
    assert!(kernel.to_string().contains("\"\""), "{kernel}");

    let mut watcher: Watcher = Watcher::new().unwrap();
    let err = watcher.add("", WatchMask::CREATE).unwrap_err();
    assert_eq!(
        inotify_core::raw_os_error(&err),
        Some(libc::ENOENT),
        "{err}"
    );
    assert!(err.to_string().contains("\"\""), "{err}");
    let err = watcher
        .add_all("", WatchMask::CREATE, (), |_| Ok(()))
        .unwrap_err();
    assert_eq!(
        inotify_core::raw_os_error(&err),
        Some(libc::ENOENT),
        "{err}"
    );
    assert_eq!(watcher.num_watches(), 0, "{:?}", watch_list(&watcher));

    let mut auto: AutoWatcher = AutoWatcher::new(None).unwrap();
    let err = auto
        .watcher()
        .add_all("", WatchMask::CREATE, (), |_| Ok(()))
        .unwrap_err();
    assert_eq!(
        inotify_core::raw_os_error(&err),
        Some(libc::ENOENT),
        "{err}"
    );
    assert_eq!(auto.watcher().num_watches(), 0);
}
