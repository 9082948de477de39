//! Trees deeper than `PATH_MAX` (4,096 bytes of path): every directory is
//! watched and events carry the full, long path.
//!
//! The trees are built without ever handing the kernel a long path: each
//! level is created through `/proc/self/fd/N` of the level above, so the
//! helper works whether or not the crate handles long paths.

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Instant;

use inotify_core::{AutoWatcher, EventMask, Inotify, WatchMask, Watcher, raw_os_error};

use crate::support::{Expect, TIMEOUT, TempDir, expect_auto, expect_watcher};

/// Levels of [`NAME_LEN`]-byte names: 40 × 121 bytes, far past 4,096.
const LEVELS: usize = 40;

/// The length of each level's name.
const NAME_LEN: usize = 120;

/// A chain of nested directories and an open descriptor of the deepest.
struct DeepTree {
    /// Full paths, shallowest first.
    dirs: Vec<PathBuf>,
    /// The deepest directory, open so files can be made in it.
    last: File,
}

impl DeepTree {
    /// Creates [`LEVELS`] nested directories below `root`.
    fn create(root: &Path) -> DeepTree {
        let mut dirs = Vec::new();
        let mut path = root.to_path_buf();
        let mut last = File::open(root).expect("open root");
        for level in 0..LEVELS {
            let name = format!("{level:0>NAME_LEN$}");
            let via = format!("/proc/self/fd/{}/{name}", last.as_raw_fd());
            fs::create_dir(&via).unwrap_or_else(|err| panic!("mkdir level {level}: {err}"));
            last = File::open(&via).expect("open level");
            path.push(name);
            dirs.push(path.clone());
        }
        assert!(path.as_os_str().len() > 4096, "tree too shallow");
        DeepTree { dirs, last }
    }

    /// The deepest directory.
    fn deepest(&self) -> &Path {
        self.dirs.last().expect("levels")
    }

    /// The `/proc` spelling of `name` in the deepest directory.
    fn in_deepest(&self, name: &str) -> String {
        format!("/proc/self/fd/{}/{name}", self.last.as_raw_fd())
    }
}

#[test]
fn watcher_add_all_watches_every_directory_past_path_max() {
    let dir = TempDir::new("long-add-all");
    let tree = DeepTree::create(dir.path());
    let mut watcher: Watcher = Watcher::new().unwrap();
    let wds = watcher
        .add_all(dir.path(), WatchMask::CREATE, (), Err)
        .expect("add_all of a deep tree");
    assert_eq!(wds.len(), LEVELS + 1);
    for path in &tree.dirs {
        assert!(
            watcher.wd(path).is_some(),
            "not watched: {}",
            path.display()
        );
    }
    fs::write(tree.in_deepest("f"), b"").unwrap();
    let want = Expect::new(EventMask::CREATE)
        .name("f")
        .path(tree.deepest().join("f"));
    let (seen, hits) = expect_watcher(&mut watcher, &[want], TIMEOUT);
    assert_eq!(hits.len(), 1, "seen: {seen:?}");
}

#[test]
fn add_watch_of_a_long_path_keeps_dont_follow_on_the_last_component() {
    let dir = TempDir::new("long-dont-follow");
    let tree = DeepTree::create(dir.path());
    let link = tree.deepest().join("link");
    symlink(dir.path(), tree.in_deepest("link")).unwrap();
    let inotify = Inotify::init().unwrap();
    // Followed: the link's target, a directory.
    let target = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    assert_eq!(inotify.add_watch(&link, WatchMask::CREATE).unwrap(), target);
    // Not followed: the link itself, which is no directory.
    let err = inotify
        .add_watch(
            &link,
            WatchMask::CREATE | WatchMask::DONT_FOLLOW | WatchMask::ONLYDIR,
        )
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::ENOTDIR), "{err}");
    assert!(err.to_string().contains(&*link.to_string_lossy()), "{err}");
    // A missing deep entry is ENOENT, naming the full path.
    let missing = tree.deepest().join("missing/below");
    let err = inotify.add_watch(&missing, WatchMask::CREATE).unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::ENOENT), "{err}");
    assert!(
        err.to_string().contains(&*missing.to_string_lossy()),
        "{err}"
    );
}

#[test]
fn auto_watcher_watches_a_deep_tree_created_while_watching() {
    let dir = TempDir::new("long-auto");
    let mut auto: AutoWatcher = AutoWatcher::new(None).unwrap();
    auto.watcher()
        .add(dir.path(), WatchMask::CREATE | WatchMask::ONLYDIR)
        .unwrap();
    let tree = DeepTree::create(dir.path());
    let end = Instant::now() + TIMEOUT;
    while auto.watcher().wd(tree.deepest()).is_none() {
        assert!(Instant::now() < end, "deepest level never watched");
        let left = end.saturating_duration_since(Instant::now());
        if auto.watcher().inotify().wait(Some(left)).unwrap() {
            auto.try_read().unwrap();
        }
        let errors = auto.take_errors();
        assert!(errors.is_empty(), "automatic adds failed: {errors:?}");
    }
    for path in &tree.dirs {
        assert!(
            auto.watcher().wd(path).is_some(),
            "not watched: {}",
            path.display()
        );
    }
    fs::write(tree.in_deepest("f"), b"").unwrap();
    let want = Expect::new(EventMask::CREATE)
        .name("f")
        .path(tree.deepest().join("f"));
    let (seen, hits) = expect_auto(&mut auto, &[want], TIMEOUT);
    assert_eq!(hits.len(), 1, "seen: {seen:?}");
}
