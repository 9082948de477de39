//! The watch flags: `ONESHOT`, `MASK_ADD`, `MASK_CREATE`, `DONT_FOLLOW`,
//! `EXCL_UNLINK` and `ONLYDIR`, each against the kernel's documented effect.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, symlink};

use inotify_core::{EventBuffer, EventMask, Inotify, WatchMask, raw_os_error};

use crate::support::{Expect, TIMEOUT, TempDir, expect_events, expect_events_all};

#[test]
fn oneshot_reports_one_event_then_ignored() {
    let dir = TempDir::new("oneshot");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wd = inotify
        .add_watch(dir.path(), WatchMask::CREATE | WatchMask::ONESHOT)
        .unwrap();
    fs::write(dir.join("a"), b"").unwrap();
    fs::write(dir.join("b"), b"").unwrap();
    let (seen, _) = expect_events_all(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::CREATE).name("a").wd(wd),
            Expect::new(EventMask::IGNORED).wd(wd),
        ],
        TIMEOUT,
    );
    let creates = seen.iter().filter(|e| e.mask == EventMask::CREATE).count();
    assert_eq!(
        creates, 1,
        "ONESHOT delivered more than one event: {seen:?}"
    );
    // The kernel has removed the watch itself.
    let err = inotify.rm_watch(wd).unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EINVAL));
}

#[test]
fn mask_add_extends_and_plain_add_replaces() {
    let dir = TempDir::new("mask-add");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    let again = inotify
        .add_watch(dir.path(), WatchMask::DELETE | WatchMask::MASK_ADD)
        .unwrap();
    assert_eq!(wd, again, "modifying a watch keeps its descriptor");
    fs::write(dir.join("a"), b"").unwrap();
    fs::remove_file(dir.join("a")).unwrap();
    expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::CREATE).name("a").wd(wd),
            Expect::new(EventMask::DELETE).name("a").wd(wd),
        ],
        TIMEOUT,
    );

    // Without MASK_ADD the new mask replaces the old: CREATE is no longer
    // reported, DELETE still is.
    assert_eq!(
        inotify.add_watch(dir.path(), WatchMask::DELETE).unwrap(),
        wd
    );
    fs::write(dir.join("b"), b"").unwrap();
    fs::remove_file(dir.join("b")).unwrap();
    let (seen, _) = expect_events_all(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::DELETE).name("b").wd(wd)],
        TIMEOUT,
    );
    assert!(
        !seen.iter().any(|e| e.mask == EventMask::CREATE),
        "CREATE reported after the mask was replaced: {seen:?}"
    );
}

#[test]
fn mask_create_on_watched_path_is_eexist() {
    let dir = TempDir::new("mask-create");
    let inotify = Inotify::init().unwrap();
    let wd = inotify
        .add_watch(dir.path(), WatchMask::CREATE | WatchMask::MASK_CREATE)
        .unwrap();
    let err = inotify
        .add_watch(dir.path(), WatchMask::DELETE | WatchMask::MASK_CREATE)
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EEXIST));
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    let text = err.to_string();
    assert!(text.contains(&*dir.path().to_string_lossy()), "{text}");
    assert!(text.contains("IN_MASK_CREATE"), "{text}");
    // MASK_ADD together with MASK_CREATE is EINVAL.
    let err = inotify
        .add_watch(
            dir.path(),
            WatchMask::DELETE | WatchMask::MASK_CREATE | WatchMask::MASK_ADD,
        )
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EINVAL));
    inotify.rm_watch(wd).unwrap();
}

#[test]
fn dont_follow_watches_the_symlink_itself() {
    let dir = TempDir::new("dont-follow");
    fs::write(dir.join("target"), b"").unwrap();
    symlink("target", dir.join("link")).unwrap();
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let on_target = inotify
        .add_watch(dir.join("target"), WatchMask::ATTRIB)
        .unwrap();
    let followed = inotify
        .add_watch(dir.join("link"), WatchMask::ATTRIB)
        .unwrap();
    assert_eq!(
        followed, on_target,
        "without DONT_FOLLOW the link is followed"
    );
    let on_link = inotify
        .add_watch(dir.join("link"), WatchMask::ATTRIB | WatchMask::DONT_FOLLOW)
        .unwrap();
    assert_ne!(on_link, on_target);

    // Changing the link's owner (to its current owner) touches only the
    // link's inode; changing the target's mode touches only the target.
    let meta = fs::symlink_metadata(dir.join("link")).unwrap();
    std::os::unix::fs::lchown(dir.join("link"), Some(meta.uid()), None).unwrap();
    let (seen, _) = expect_events_all(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::ATTRIB).wd(on_link)],
        TIMEOUT,
    );
    assert!(!seen.iter().any(|e| e.wd == on_target), "{seen:?}");
    let mode = <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o640);
    fs::set_permissions(dir.join("target"), mode).unwrap();
    let (seen, _) = expect_events_all(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::ATTRIB).wd(on_target)],
        TIMEOUT,
    );
    assert!(!seen.iter().any(|e| e.wd == on_link), "{seen:?}");
}

/// Writes to a file after unlinking it while it is open; returns what the
/// watch on its directory reported up to the sentinel `end` being created.
fn write_after_unlink(mask: WatchMask, name: &str) -> Vec<crate::support::Seen> {
    let dir = TempDir::new(name);
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wd = inotify
        .add_watch(dir.path(), mask | WatchMask::MODIFY | WatchMask::CREATE)
        .unwrap();
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(dir.join("f"))
        .unwrap();
    fs::remove_file(dir.join("f")).unwrap();
    file.write_all(b"after unlink").unwrap();
    fs::write(dir.join("end"), b"").unwrap();
    expect_events_all(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::CREATE).name("end").wd(wd)],
        TIMEOUT,
    )
    .0
}

#[test]
fn excl_unlink_silences_unlinked_children() {
    let modified = |seen: &[crate::support::Seen]| {
        seen.iter()
            .any(|e| e.mask == EventMask::MODIFY && e.name.as_deref() == Some("f".as_ref()))
    };
    let plain = write_after_unlink(WatchMask::empty(), "excl-unlink-off");
    assert!(modified(&plain), "without EXCL_UNLINK: {plain:?}");
    let excl = write_after_unlink(WatchMask::EXCL_UNLINK, "excl-unlink-on");
    assert!(!modified(&excl), "with EXCL_UNLINK: {excl:?}");
}

#[test]
fn onlydir_on_a_file_is_enotdir_naming_the_path() {
    let dir = TempDir::new("onlydir");
    fs::write(dir.join("file"), b"").unwrap();
    let inotify = Inotify::init().unwrap();
    let err = inotify
        .add_watch(dir.join("file"), WatchMask::CREATE | WatchMask::ONLYDIR)
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::ENOTDIR));
    assert!(
        err.to_string()
            .contains(&*dir.join("file").to_string_lossy())
    );
    inotify
        .add_watch(dir.path(), WatchMask::CREATE | WatchMask::ONLYDIR)
        .unwrap();
}
