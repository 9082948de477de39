//! File names are bytes: non-UTF-8 names come back byte for byte, and the
//! longest name (`NAME_MAX`) fits even the smallest buffer.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;

use inotify_core::{EventBuffer, EventMask, Inotify, WatchMask, Watcher};

use crate::support::{Expect, TIMEOUT, TempDir, expect_events, expect_watcher};

#[test]
fn non_utf8_name_round_trips_byte_for_byte() {
    let dir = TempDir::new("non-utf8");
    let name = OsStr::from_bytes(b"caf\xe9 \xff\xfe\n\x01end");
    let inotify = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fs::write(dir.join(name), b"").unwrap();
    let hits = expect_events(
        &inotify,
        &mut buffer,
        &[Expect::new(EventMask::CREATE).name(name).wd(wd)],
        TIMEOUT,
    );
    assert_eq!(hits[0].name.as_deref().unwrap().as_bytes(), name.as_bytes());
}

#[test]
fn non_utf8_dir_name_survives_watcher_paths() {
    let dir = TempDir::new("non-utf8-watcher");
    let sub = OsStr::from_bytes(b"d\x80\x81");
    fs::create_dir(dir.join(sub)).unwrap();
    let mut watcher: Watcher = Watcher::new().unwrap();
    let wds = watcher
        .add_all(dir.path(), WatchMask::CREATE, (), Err)
        .unwrap();
    assert_eq!(wds.len(), 2);
    let sub_path = dir.join(sub);
    assert!(watcher.wd(&sub_path).is_some());
    let leaf = OsStr::from_bytes(b"\xff");
    fs::write(sub_path.join(leaf), b"").unwrap();
    let (_, hits) = expect_watcher(
        &mut watcher,
        &[Expect::new(EventMask::CREATE)
            .name(leaf)
            .path(sub_path.join(leaf))],
        TIMEOUT,
    );
    let full = hits[0].fullpath.as_ref().unwrap();
    assert!(full.as_os_str().as_bytes().ends_with(b"/d\x80\x81/\xff"));
}

#[test]
fn smallest_buffer_reads_a_name_max_name() {
    let dir = TempDir::new("name-max");
    let mut buffer = EventBuffer::with_capacity(1);
    assert_eq!(buffer.capacity(), EventBuffer::MIN_SIZE);
    assert_eq!(EventBuffer::MIN_SIZE, 16 + 255 + 1);
    let long: Vec<u8> = (0..255u8).map(|i| b'a' + i % 26).collect();
    let long = OsStr::from_bytes(&long);
    let inotify = Inotify::init().unwrap();
    let wd = inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap();
    fs::write(dir.join(long), b"").unwrap();
    // A second long name: the small buffer needs one read per record.
    let other: Vec<u8> = vec![0xee; 255];
    let other = OsStr::from_bytes(&other);
    fs::write(dir.join(other), b"").unwrap();
    let hits = expect_events(
        &inotify,
        &mut buffer,
        &[
            Expect::new(EventMask::CREATE).name(long).wd(wd),
            Expect::new(EventMask::CREATE).name(other).wd(wd),
        ],
        TIMEOUT,
    );
    assert_eq!(hits[0].name.as_deref().unwrap().len(), 255);
    assert_eq!(hits[1].name.as_deref().unwrap().len(), 255);
}

#[test]
fn resized_buffer_never_drops_below_minimum() {
    let mut buffer = EventBuffer::new();
    assert_eq!(buffer.capacity(), EventBuffer::DEFAULT_SIZE);
    buffer.resize(0);
    assert_eq!(buffer.capacity(), EventBuffer::MIN_SIZE);
    buffer.resize(1 << 20);
    assert_eq!(buffer.capacity(), 1 << 20);
}
