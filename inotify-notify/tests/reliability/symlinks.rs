//! Symlinks in a recursive tree: loops terminate, subdirectory watches are
//! added with `IN_ONLYDIR|IN_DONT_FOLLOW`, and nothing outside the tree is
//! ever watched or reported through a link.
//!
//! What is observable of those two flags: they steer the kernel's path
//! lookup and are not stored in the mark, so `/proc/self/fdinfo` shows
//! only the event bits (checked below); the manager's recorded kernel mask
//! (`Watch::kernel_mask`) carries them, and their effect — a link to a
//! directory outside is never watched — shows as no fdinfo `ino:` of it.

use std::fs;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;

use inotify_notify::{Notifier, WatchManager, WatchMask, WatchOptions};

use crate::support::{
    Recorder, TempDir, fdinfo_masks, has, leak_checked, live_watches, lock, pump, within,
};

/// Kernel-side flag bits that fdinfo would show if they were stored.
const ONLYDIR: u32 = 0x0100_0000;
const DONT_FOLLOW: u32 = 0x0200_0000;

/// Inode numbers of the watches of the inotify descriptor `fd`.
fn watched_inodes(fd: i32) -> Vec<u64> {
    let text = fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("inotify "))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|kv| kv.strip_prefix("ino:"))
                .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        })
        .collect()
}

/// A tree with loops and links out: `a/b`, `a/b/up -> ../..`,
/// `self -> .`, `a/abs -> <root>`, `out -> <outside>`, `a/file-link ->
/// <outside>/f`.
fn tree_with_links(root: &Path, outside: &Path) {
    fs::create_dir_all(root.join("a/b")).unwrap();
    symlink("../..", root.join("a/b/up")).unwrap();
    symlink(".", root.join("self")).unwrap();
    symlink(root, root.join("a/abs")).unwrap();
    symlink(outside, root.join("out")).unwrap();
    fs::write(outside.join("f"), b"").unwrap();
    symlink(outside.join("f"), root.join("a/file-link")).unwrap();
}

#[test]
fn recursive_add_over_symlink_loops_terminates_and_stays_inside() {
    leak_checked(|| {
        let dir = TempDir::new("links-loop");
        let outside = TempDir::new("links-outside");
        tree_with_links(dir.path(), outside.path());
        let wm = WatchManager::new().unwrap();
        let before = live_watches();
        let adder = wm.clone();
        let root = dir.path().to_path_buf();
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        let took = within(crate::support::TIMEOUT, move || {
            adder
                .add_watch(&root, WatchMask::ALL_EVENTS, &options)
                .unwrap();
        });
        assert!(took.is_some(), "recursive add over loops did not end");
        let mut paths: Vec<_> = wm.watches().into_iter().map(|w| w.path).collect();
        paths.sort();
        assert_eq!(
            paths,
            [dir.path().to_path_buf(), dir.join("a"), dir.join("a/b")]
        );
        let fd = wm.as_fd().as_raw_fd();
        // The manager holds one descriptor on its instance (polling
        // without the lock shares it; there used to be a dup, listing the
        // watches a second time in fdinfo).
        assert_eq!(live_watches() - before, 3);
        assert_eq!(fdinfo_masks(fd).len(), 3);

        for (wd, mask) in fdinfo_masks(fd) {
            assert_eq!(mask & (ONLYDIR | DONT_FOLLOW), 0, "wd {wd}: {mask:#x}");
            assert_eq!(
                mask & WatchMask::ALL_EVENTS.bits(),
                WatchMask::ALL_EVENTS.bits()
            );
        }
        for watch in wm.watches() {
            if watch.path != dir.path() {
                let flags = WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW;
                assert!(watch.kernel_mask.contains(flags), "{watch:?}");
            }
        }
        let outside_ino = fs::metadata(outside.path()).unwrap().ino();
        assert!(!watched_inodes(fd).contains(&outside_ino));
    });
}

#[test]
fn nothing_outside_the_tree_is_reported_through_a_link() {
    leak_checked(|| {
        let dir = TempDir::new("links-report");
        let outside = TempDir::new("links-report-outside");
        tree_with_links(dir.path(), outside.path());
        let wm = WatchManager::new().unwrap();
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &options)
            .unwrap();
        let (record, handler) = Recorder::new();
        let mut notifier = Notifier::new(&wm, handler).unwrap();
        // Activity outside, through its real path and through the links.
        fs::write(outside.join("outside-new"), b"x").unwrap();
        fs::write(dir.join("out/through-link"), b"x").unwrap();
        fs::write(dir.join("a/file-link"), b"changed").unwrap();
        // A new directory holding a link out: reported as an entry, not
        // descended into.
        fs::create_dir(dir.join("a/new")).unwrap();
        symlink(outside.path(), dir.join("a/new/escape")).unwrap();
        fs::write(dir.join("a/b/marker"), b"").unwrap();
        assert!(
            pump(&mut notifier, &record, |s| {
                has(&s.events, "IN_CLOSE_WRITE", &dir.join("a/b/marker"))
                    && has(&s.events, "IN_CREATE", &dir.join("a/new/escape"))
            })
            .unwrap(),
            "{:?}",
            lock(&record).events
        );
        let seen = lock(&record);
        for event in &seen.events {
            assert!(event.pathname().starts_with(dir.path()), "{event}");
            let name = event.name().map(|n| n.to_string_lossy());
            assert!(
                !matches!(name.as_deref(), Some("outside-new" | "through-link" | "f")),
                "reported through a link: {event}"
            );
            let escape = dir.join("a/new/escape");
            assert!(
                event.pathname() == escape || !event.pathname().starts_with(&escape),
                "{event}"
            );
        }
        let escape = seen
            .events
            .iter()
            .find(|e| e.pathname() == dir.join("a/new/escape"))
            .unwrap();
        assert!(!escape.dir, "a link is an entry, not a directory: {escape}");
        assert!(wm.wd(dir.join("a/new/escape")).is_none());
        assert!(wm.watches().iter().all(|w| w.path.starts_with(dir.path())));
    });
}
