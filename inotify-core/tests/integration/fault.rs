//! Fault injection (feature `fault-injection`, enabled for these tests by the
//! crate's dev-dependency on itself): EINTR is retried, other errors reach
//! the caller unchanged, short reads are handled.

use std::fs;
use std::time::Duration;

use inotify_core::fault::{self, Fault, Op};
use inotify_core::{
    AutoWatcher, EventBuffer, EventMask, Inotify, Threshold, WatchMask, Watcher, raw_os_error,
};

use crate::support::{Expect, TIMEOUT, TempDir, expect_auto, expect_events};

/// A clean fault plan (libtest may reuse a thread between tests).
fn fresh() {
    fault::clear();
}

/// Queued names read in one `read_events` call.
fn read_names(inotify: &Inotify, buffer: &mut EventBuffer) -> std::io::Result<Vec<String>> {
    Ok(inotify
        .read_events(buffer)?
        .filter_map(|e| e.name.map(|n| n.to_string_lossy().into_owned()))
        .collect())
}

#[test]
fn init_retries_eintr_and_surfaces_enomem() {
    fresh();
    fault::inject(Op::Init, Fault::Errno(libc::EINTR));
    fault::inject(Op::Init, Fault::Errno(libc::EINTR));
    Inotify::init().unwrap();
    assert_eq!(fault::pending(), 0);
    fault::inject(Op::Init, Fault::Errno(libc::ENOMEM));
    let err = Inotify::init().unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::ENOMEM));
    assert!(
        err.to_string()
            .contains("cannot create an inotify instance"),
        "{err}"
    );
}

#[test]
fn add_watch_retries_eintr_and_surfaces_enomem_with_path() {
    fresh();
    let dir = TempDir::new("fault-add");
    let inotify = Inotify::init().unwrap();
    fault::inject(Op::AddWatch, Fault::Errno(libc::EINTR));
    fault::inject(Op::AddWatch, Fault::Errno(libc::EINTR));
    fault::inject(Op::AddWatch, Fault::Errno(libc::EINTR));
    inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    assert_eq!(fault::pending(), 0);
    fault::inject(Op::AddWatch, Fault::Errno(libc::ENOMEM));
    let err = inotify
        .add_watch(dir.path(), WatchMask::CREATE)
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::ENOMEM));
    assert!(
        err.to_string().contains(&*dir.path().to_string_lossy()),
        "{err}"
    );
}

#[test]
fn rm_watch_retries_eintr() {
    fresh();
    let dir = TempDir::new("fault-rm");
    let inotify = Inotify::init().unwrap();
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fault::inject(Op::RmWatch, Fault::Errno(libc::EINTR));
    inotify.rm_watch(wd).unwrap();
    assert_eq!(fault::pending(), 0);
}

#[test]
fn read_retries_eintr_and_surfaces_enomem() {
    fresh();
    let dir = TempDir::new("fault-read");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fs::write(dir.join("a"), b"").unwrap();
    fault::inject(Op::Read, Fault::Errno(libc::EINTR));
    fault::inject(Op::Read, Fault::Errno(libc::EINTR));
    assert_eq!(read_names(&inotify, &mut buffer).unwrap(), ["a"]);
    assert_eq!(fault::pending(), 0);

    fs::write(dir.join("b"), b"").unwrap();
    fault::inject(Op::Read, Fault::Errno(libc::ENOMEM));
    let err = read_names(&inotify, &mut buffer).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOMEM));
    // The failed read consumed nothing.
    assert_eq!(read_names(&inotify, &mut buffer).unwrap(), ["b"]);
}

#[test]
fn short_read_returns_whole_records_and_keeps_the_rest_queued() {
    fresh();
    let dir = TempDir::new("fault-short");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    for name in ["a", "b", "c"] {
        fs::write(dir.join(name), b"").unwrap();
    }
    // Room for one 32-byte record and half of the next: the kernel returns
    // only whole records.
    fault::inject(Op::Read, Fault::ShortRead(48));
    let events = inotify.read_events(&mut buffer).unwrap();
    let names: Vec<_> = events.clone().filter_map(|e| e.to_owned_name()).collect();
    assert_eq!(names, ["a"]);
    let mut rest = events;
    rest.by_ref().for_each(drop);
    assert!(rest.remainder().is_empty() && rest.error().is_none());
    assert_eq!(read_names(&inotify, &mut buffer).unwrap(), ["b", "c"]);
}

#[test]
fn short_read_below_one_record_surfaces_einval() {
    fresh();
    let dir = TempDir::new("fault-short-einval");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fs::write(dir.join("a"), b"").unwrap();
    // inotify(7): a buffer too small for the next record fails with EINVAL;
    // this is the error EventBuffer's minimum size rules out.
    fault::inject(Op::Read, Fault::ShortRead(8));
    let err = read_names(&inotify, &mut buffer).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    assert_eq!(read_names(&inotify, &mut buffer).unwrap(), ["a"]);
}

#[test]
fn wait_retries_poll_eintr() {
    fresh();
    let dir = TempDir::new("fault-poll");
    let inotify = Inotify::init().unwrap();
    inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fault::inject(Op::Poll, Fault::Errno(libc::EINTR));
    assert!(!inotify.wait(Some(Duration::from_millis(10))).unwrap());
    assert_eq!(fault::pending(), 0);
    fs::write(dir.join("a"), b"").unwrap();
    fault::inject(Op::Poll, Fault::Errno(libc::EINTR));
    assert!(inotify.wait(Some(TIMEOUT)).unwrap());
    fault::inject(Op::Poll, Fault::Errno(libc::ENOMEM));
    let err = inotify.wait(Some(TIMEOUT)).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOMEM));
}

#[test]
fn fionread_failure_surfaces_from_threshold_read_and_consumes_nothing() {
    fresh();
    let dir = TempDir::new("fault-fionread");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fs::write(dir.join("a"), b"").unwrap();
    fault::inject(Op::Fionread, Fault::Errno(libc::EIO));
    let err = inotify
        .read_events_at_threshold(&mut buffer, Threshold::new(1))
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EIO));
    expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::CREATE).name("a").wd(wd)],
        TIMEOUT,
    );
}

#[test]
fn failed_watcher_add_leaves_the_table_unchanged() {
    fresh();
    let dir = TempDir::new("fault-watcher");
    let mut watcher: Watcher = Watcher::new().unwrap();
    fault::inject(Op::AddWatch, Fault::Errno(libc::ENOMEM));
    assert!(watcher.add(dir.path(), WatchMask::CREATE).is_err());
    assert_eq!(watcher.num_watches(), 0);
    assert!(watcher.wd(dir.path()).is_none());
}

#[test]
fn auto_watcher_keeps_failed_automatic_adds_for_take_errors() {
    fresh();
    let dir = TempDir::new("fault-auto");
    let mut auto: AutoWatcher = AutoWatcher::new(None).unwrap();
    auto.watcher().add(dir.path(), WatchMask::CREATE).unwrap();
    fs::create_dir(dir.join("sub")).unwrap();
    // The automatic add of `sub` happens inside the next read.
    fault::inject(Op::AddWatch, Fault::Errno(libc::ENOMEM));
    expect_auto(
        &mut auto,
        &[Expect::new(EventMask::CREATE | EventMask::ISDIR).name("sub")],
        TIMEOUT,
    );
    let errors = auto.take_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(raw_os_error(&errors[0]), Some(libc::ENOMEM));
    assert!(errors[0].to_string().contains("sub"), "{}", errors[0]);
    assert!(auto.watcher().wd(dir.join("sub")).is_none());
    assert!(auto.take_errors().is_empty());
}

#[test]
fn a_directory_gone_by_its_listing_is_handed_back_as_unlisted() {
    // Not an error (a rename raced the walk), but not silent either: the
    // caller learns which watched directory was not listed.
    fresh();
    let dir = TempDir::new("fault-unlisted");
    fs::create_dir_all(dir.join("a/b")).unwrap();
    let mut watcher: Watcher = Watcher::new().unwrap();
    fault::inject(Op::ReadDir, Fault::Errno(libc::ENOENT));
    let mut iter = watcher.add_iter(dir.path(), WatchMask::CREATE, ());
    let mut wds = Vec::new();
    for step in iter.by_ref() {
        wds.push(step.unwrap());
    }
    assert_eq!(wds.len(), 1, "only the root was watched");
    assert_eq!(iter.take_unlisted(), wds);
    assert!(iter.take_unlisted().is_empty());
}
