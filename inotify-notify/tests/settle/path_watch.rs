//! Path watches: a path that does not exist yet, is replaced, deleted,
//! re-created, or loses its parent directory.

use std::fs;
use std::time::Duration;

use inotify_notify::{PathChange, PathWatch};

use crate::support::TempDir;

const WAIT: Option<Duration> = Some(Duration::from_secs(5));

/// The next change, or a failure naming what was expected.
fn next(watch: &mut PathWatch, want: PathChange) {
    assert_eq!(watch.next(WAIT).expect("path watch"), Some(want));
}

/// Nothing more happens to the path (bounded wait).
fn quiet(watch: &mut PathWatch) {
    assert_eq!(
        watch
            .next(Some(Duration::from_millis(100)))
            .expect("path watch"),
        None
    );
}

#[test]
fn path_watch_follows_a_file_through_its_life() {
    let dir = TempDir::new("path-watch");
    fs::create_dir(dir.join("a")).unwrap();
    let target = dir.join("a/b/c/config");
    let mut watch = PathWatch::new(&target).unwrap();
    assert!(!watch.exists());
    // The ancestors appear one by one, then the file.
    fs::create_dir(dir.join("a/b")).unwrap();
    fs::create_dir(dir.join("a/b/c")).unwrap();
    quiet(&mut watch);
    fs::write(&target, b"one").unwrap();
    next(&mut watch, PathChange::Appeared);
    assert!(watch.exists());
    quiet(&mut watch);
    // Written in place.
    fs::write(&target, b"two").unwrap();
    next(&mut watch, PathChange::Changed);
    // Replaced by a rename over it.
    fs::write(dir.join("a/b/c/.config.tmp"), b"three").unwrap();
    fs::rename(dir.join("a/b/c/.config.tmp"), &target).unwrap();
    next(&mut watch, PathChange::Changed);
    quiet(&mut watch);
    // Deleted, then re-created.
    fs::remove_file(&target).unwrap();
    next(&mut watch, PathChange::Disappeared);
    fs::write(&target, b"four").unwrap();
    next(&mut watch, PathChange::Appeared);
    quiet(&mut watch);
}

#[test]
fn path_watch_rearms_when_the_parent_is_removed_and_recreated() {
    let dir = TempDir::new("path-watch-parent");
    fs::create_dir_all(dir.join("a/b")).unwrap();
    let target = dir.join("a/b/pid");
    fs::write(&target, b"1").unwrap();
    let mut watch = PathWatch::new(&target).unwrap();
    assert!(watch.exists());
    fs::remove_dir_all(dir.join("a")).unwrap();
    next(&mut watch, PathChange::Disappeared);
    quiet(&mut watch);
    // All at once: the re-arm sees what was created before its watches.
    fs::create_dir_all(dir.join("a/b")).unwrap();
    fs::write(&target, b"2").unwrap();
    next(&mut watch, PathChange::Appeared);
    fs::write(&target, b"3").unwrap();
    next(&mut watch, PathChange::Changed);
    // A parent renamed away and another put in its place.
    fs::rename(dir.join("a/b"), dir.join("a/old")).unwrap();
    next(&mut watch, PathChange::Disappeared);
    fs::create_dir(dir.join("a/b")).unwrap();
    fs::write(&target, b"4").unwrap();
    next(&mut watch, PathChange::Appeared);
    // The old parent's watch is gone: writing there says nothing.
    fs::write(dir.join("a/old/pid"), b"5").unwrap();
    quiet(&mut watch);
}

#[test]
fn path_watch_of_a_directory_to_be_created() {
    let dir = TempDir::new("path-watch-dir");
    let target = dir.join("out/done");
    let mut watch = PathWatch::new(&target).unwrap();
    fs::create_dir_all(&target).unwrap();
    next(&mut watch, PathChange::Appeared);
    fs::remove_dir(&target).unwrap();
    next(&mut watch, PathChange::Disappeared);
}
