//! One test per event kind the kernel emits, each checking mask, name and
//! cookie (see `support::Expect` for the cookie rule).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;

use inotify_core::{EventBuffer, EventMask, Inotify, WatchMask};

use crate::support::{Expect, TIMEOUT, TempDir, expect_events};

/// A temp dir with one file `f` in it, an instance and a buffer.
fn setup(name: &str) -> (TempDir, Inotify, EventBuffer) {
    let dir = TempDir::new(name);
    fs::write(dir.join("f"), b"hello").unwrap();
    (dir, Inotify::init().unwrap(), EventBuffer::new())
}

#[test]
fn read_of_file_emits_access_in_dir_and_on_file() {
    let (dir, on_dir, mut buffer) = setup("access");
    // Separate instances, so the order in which the kernel queues the
    // directory's and the file's copies of one access does not matter.
    let on_file = Inotify::init().unwrap();
    let wd_dir = on_dir.add_watch(dir.path(), WatchMask::ACCESS).unwrap();
    let wd_file = on_file.add_watch(dir.join("f"), WatchMask::ACCESS).unwrap();
    let mut text = String::new();
    File::open(dir.join("f"))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    expect_events(
        &on_dir,
        &mut buffer,
        &[Expect::new(EventMask::ACCESS).name("f").wd(wd_dir)],
        TIMEOUT,
    );
    expect_events(
        &on_file,
        &mut buffer,
        &[Expect::new(EventMask::ACCESS).wd(wd_file)],
        TIMEOUT,
    );
}

#[test]
fn write_emits_modify_with_name() {
    let (dir, inotify, mut buffer) = setup("modify");
    let wd = inotify.add_watch(dir.path(), WatchMask::MODIFY).unwrap();
    let mut file = OpenOptions::new().append(true).open(dir.join("f")).unwrap();
    file.write_all(b" world").unwrap();
    expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::MODIFY).name("f").wd(wd)],
        TIMEOUT,
    );
}

#[test]
fn chmod_emits_attrib_with_name() {
    let (dir, inotify, mut buffer) = setup("attrib");
    let wd = inotify.add_watch(dir.path(), WatchMask::ATTRIB).unwrap();
    fs::set_permissions(dir.join("f"), fs::Permissions::from_mode(0o600)).unwrap();
    expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::ATTRIB).name("f").wd(wd)],
        TIMEOUT,
    );
}

#[test]
fn close_after_write_emits_close_write() {
    let (dir, inotify, mut buffer) = setup("close-write");
    let wd = inotify.add_watch(dir.path(), WatchMask::CLOSE).unwrap();
    drop(OpenOptions::new().write(true).open(dir.join("f")).unwrap());
    expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::CLOSE_WRITE).name("f").wd(wd)],
        TIMEOUT,
    );
}

#[test]
fn close_after_read_emits_close_nowrite() {
    let (dir, inotify, mut buffer) = setup("close-nowrite");
    let wd = inotify.add_watch(dir.path(), WatchMask::CLOSE).unwrap();
    drop(File::open(dir.join("f")).unwrap());
    expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::CLOSE_NOWRITE).name("f").wd(wd)],
        TIMEOUT,
    );
}

#[test]
fn open_emits_open_and_listing_dir_sets_isdir() {
    let (dir, inotify, mut buffer) = setup("open");
    let wd = inotify.add_watch(dir.path(), WatchMask::OPEN).unwrap();
    drop(File::open(dir.join("f")).unwrap());
    fs::create_dir(dir.join("sub")).unwrap();
    assert_eq!(fs::read_dir(dir.join("sub")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::OPEN).name("f").wd(wd),
            Expect::new(EventMask::OPEN | EventMask::ISDIR)
                .name("sub")
                .wd(wd),
            Expect::new(EventMask::OPEN | EventMask::ISDIR).wd(wd),
        ],
        TIMEOUT,
    );
}

#[test]
fn rename_emits_moved_from_and_moved_to_with_same_cookie() {
    let (dir, inotify, mut buffer) = setup("move");
    let wd = inotify.add_watch(dir.path(), WatchMask::MOVE).unwrap();
    fs::rename(dir.join("f"), dir.join("g")).unwrap();
    fs::create_dir(dir.join("d")).unwrap();
    fs::rename(dir.join("d"), dir.join("e")).unwrap();
    let hits = expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::MOVED_FROM).name("f").wd(wd),
            Expect::new(EventMask::MOVED_TO).name("g").wd(wd),
            Expect::new(EventMask::MOVED_FROM | EventMask::ISDIR).name("d"),
            Expect::new(EventMask::MOVED_TO | EventMask::ISDIR).name("e"),
        ],
        TIMEOUT,
    );
    assert_eq!(hits[0].cookie, hits[1].cookie);
    assert_eq!(hits[2].cookie, hits[3].cookie);
    assert_ne!(
        hits[0].cookie, hits[2].cookie,
        "each rename has its own cookie"
    );
}

#[test]
fn rename_across_watched_dirs_pairs_by_cookie() {
    let dir = TempDir::new("move-across");
    fs::create_dir(dir.join("a")).unwrap();
    fs::create_dir(dir.join("b")).unwrap();
    fs::write(dir.join("a/x"), b"").unwrap();
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wa = inotify.add_watch(dir.join("a"), WatchMask::MOVE).unwrap();
    let wb = inotify.add_watch(dir.join("b"), WatchMask::MOVE).unwrap();
    fs::rename(dir.join("a/x"), dir.join("b/y")).unwrap();
    let hits = expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::MOVED_FROM).name("x").wd(wa),
            Expect::new(EventMask::MOVED_TO).name("y").wd(wb),
        ],
        TIMEOUT,
    );
    assert_eq!(hits[0].cookie, hits[1].cookie);
}

#[test]
fn create_emits_create_and_isdir_for_directories() {
    let (dir, inotify, mut buffer) = setup("create");
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fs::write(dir.join("new"), b"").unwrap();
    fs::create_dir(dir.join("newdir")).unwrap();
    expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::CREATE).name("new").wd(wd),
            Expect::new(EventMask::CREATE | EventMask::ISDIR)
                .name("newdir")
                .wd(wd),
        ],
        TIMEOUT,
    );
}

#[test]
fn unlink_emits_delete_and_isdir_for_directories() {
    let (dir, inotify, mut buffer) = setup("delete");
    fs::create_dir(dir.join("sub")).unwrap();
    let wd = inotify.add_watch(dir.path(), WatchMask::DELETE).unwrap();
    fs::remove_file(dir.join("f")).unwrap();
    fs::remove_dir(dir.join("sub")).unwrap();
    expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::DELETE).name("f").wd(wd),
            Expect::new(EventMask::DELETE | EventMask::ISDIR)
                .name("sub")
                .wd(wd),
        ],
        TIMEOUT,
    );
}

#[test]
fn deleting_watched_file_emits_delete_self_then_ignored() {
    let (dir, inotify, mut buffer) = setup("delete-self");
    let wd = inotify
        .add_watch(dir.join("f"), WatchMask::DELETE_SELF)
        .unwrap();
    fs::remove_file(dir.join("f")).unwrap();
    expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::DELETE_SELF).wd(wd),
            Expect::new(EventMask::IGNORED).wd(wd),
        ],
        TIMEOUT,
    );
    // The watch is gone: removing it again is EINVAL.
    assert!(inotify.rm_watch(wd).is_err());
}

#[test]
fn deleting_watched_dir_emits_delete_self_without_isdir() {
    let dir = TempDir::new("delete-self-dir");
    fs::create_dir(dir.join("sub")).unwrap();
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wd = inotify
        .add_watch(dir.join("sub"), WatchMask::DELETE_SELF)
        .unwrap();
    fs::remove_dir(dir.join("sub")).unwrap();
    // inotify(7): IN_ISDIR is set only for events about entries of a
    // watched directory; DELETE_SELF of a directory carries no ISDIR.
    expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::DELETE_SELF).wd(wd),
            Expect::new(EventMask::IGNORED).wd(wd),
        ],
        TIMEOUT,
    );
}

#[test]
fn renaming_watched_file_emits_move_self() {
    let (dir, inotify, mut buffer) = setup("move-self");
    let wd = inotify
        .add_watch(dir.join("f"), WatchMask::MOVE_SELF)
        .unwrap();
    fs::rename(dir.join("f"), dir.join("g")).unwrap();
    expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::MOVE_SELF).wd(wd)],
        TIMEOUT,
    );
}

#[test]
fn rm_watch_emits_ignored() {
    let (dir, inotify, mut buffer) = setup("ignored");
    let wd = inotify
        .add_watch(dir.path(), WatchMask::ALL_EVENTS)
        .unwrap();
    inotify.rm_watch(wd).unwrap();
    expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::IGNORED).wd(wd)],
        TIMEOUT,
    );
}

#[test]
fn event_display_uses_kernel_names() {
    let (dir, inotify, mut buffer) = setup("display");
    inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fs::create_dir(dir.join("d")).unwrap();
    inotify.wait(Some(TIMEOUT)).unwrap();
    let event = inotify.read_events(&mut buffer).unwrap().next().unwrap();
    assert_eq!(
        event.to_string(),
        format!(
            "wd={} mask=IN_CREATE|IN_ISDIR cookie=0 name=\"d\"",
            event.wd
        )
    );
    assert!(event.is_dir());
}
