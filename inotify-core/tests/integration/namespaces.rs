//! Limits and unmounts, tested inside a fresh user (and mount) namespace: a
//! child run of this binary under `unshare`, so lowering a limit or mounting
//! a tmpfs touches nothing outside that child.
//!
//! The per-namespace knobs `/proc/sys/user/max_inotify_watches` and
//! `max_inotify_instances` are the same ucount limits that
//! `/proc/sys/fs/inotify/max_user_watches` and `max_user_instances` set for
//! the initial namespace; the kernel checks every level, so lowering the
//! child's copy makes the child hit ENOSPC/EMFILE exactly as a lowered global
//! limit would, without affecting tests running in parallel.

use std::fs;
use std::process::Command;

use inotify_core::{EventBuffer, EventMask, Inotify, WatchMask, raw_os_error};

use crate::support::{Child, Expect, TIMEOUT, TempDir, expect_events, in_child, rerun_in_child};

/// Re-runs `test` under `unshare <flags>`; `true` if the caller is that
/// child and should run the body. Prints the skip reason otherwise.
fn in_namespace(test: &str, flags: &str) -> bool {
    if in_child() {
        return true;
    }
    match rerun_in_child(test, &["unshare", flags]) {
        Child::Passed => {}
        Child::Unavailable(why) => eprintln!("skipped {test}: user namespaces unavailable: {why}"),
    }
    false
}

#[test]
fn watch_limit_in_user_namespace_is_enospc_naming_max_user_watches() {
    if !in_namespace(
        "namespaces::watch_limit_in_user_namespace_is_enospc_naming_max_user_watches",
        "-Ur",
    ) {
        return;
    }
    fs::write("/proc/sys/user/max_inotify_watches", "3").unwrap();
    let dir = TempDir::new("enospc");
    let inotify = Inotify::init().unwrap();
    for name in ["a", "b", "c"] {
        fs::create_dir(dir.join(name)).unwrap();
        inotify
            .add_watch(dir.join(name), WatchMask::CREATE)
            .unwrap();
    }
    fs::create_dir(dir.join("d")).unwrap();
    let err = inotify
        .add_watch(dir.join("d"), WatchMask::CREATE)
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::ENOSPC));
    let text = err.to_string();
    assert!(text.contains("max_user_watches"), "{text}");
    assert!(text.contains("watch limit reached"), "{text}");
    // The namespace's own limit (3) is the one hit, so the hint names it.
    assert!(
        text.contains("max_inotify_watches = 3")
            && text.contains("/proc/sys/user/max_inotify_watches"),
        "{text}"
    );
    assert!(text.contains(&*dir.join("d").to_string_lossy()), "{text}");
    // Modifying an existing watch needs no new one.
    inotify.add_watch(dir.join("a"), WatchMask::DELETE).unwrap();
}

#[test]
fn instance_limit_in_user_namespace_is_emfile_naming_max_user_instances() {
    if !in_namespace(
        "namespaces::instance_limit_in_user_namespace_is_emfile_naming_max_user_instances",
        "-Ur",
    ) {
        return;
    }
    fs::write("/proc/sys/user/max_inotify_instances", "2").unwrap();
    let first = Inotify::init().unwrap();
    let second = Inotify::init().unwrap();
    let err = Inotify::init().unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EMFILE));
    assert!(err.to_string().contains("max_user_instances"), "{err}");
    drop((first, second));
    Inotify::init().expect("a freed instance can be created again");
}

#[test]
fn unmount_emits_unmount_then_ignored() {
    let test = "namespaces::unmount_emits_unmount_then_ignored";
    if !in_child() {
        match rerun_in_child(test, &["unshare", "-Urm"]) {
            Child::Passed => return,
            // Without user namespaces, root can still mount a tmpfs of its
            // own (lazily unmounted below, so nothing is left behind).
            Child::Unavailable(why) if crate::support::is_root() => {
                eprintln!("note: {test} runs on the host mount table: {why}");
            }
            Child::Unavailable(why) => {
                eprintln!("skipped {test}: needs root or user namespaces: {why}");
                return;
            }
        }
    }
    let dir = TempDir::new("unmount");
    let mnt = dir.join("mnt");
    fs::create_dir(&mnt).unwrap();
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "inotify-test", mnt.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "mount tmpfs: {status}");
    fs::write(mnt.join("file"), b"").unwrap();
    // One instance per watch, so each sees its own ordered UNMOUNT, IGNORED
    // whatever order the kernel walks the filesystem's watches in.
    let on_root = Inotify::init().unwrap();
    let on_file = Inotify::init().unwrap();
    let mut buffer = EventBuffer::new();
    let wd_root = on_root.add_watch(&mnt, WatchMask::CREATE).unwrap();
    let wd_file = on_file
        .add_watch(mnt.join("file"), WatchMask::ATTRIB)
        .unwrap();
    let status = Command::new("umount")
        .args(["-l", mnt.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "umount: {status}");
    // The kernel sets ISDIR on the directory's UNMOUNT (not on IGNORED).
    let cases = [
        (&on_root, wd_root, EventMask::UNMOUNT | EventMask::ISDIR),
        (&on_file, wd_file, EventMask::UNMOUNT),
    ];
    for (inotify, wd, unmount) in cases {
        expect_events(
            inotify,
            &mut buffer,
            &[
                Expect::new(unmount).wd(wd),
                Expect::new(EventMask::IGNORED).wd(wd),
            ],
            TIMEOUT,
        );
    }
}
