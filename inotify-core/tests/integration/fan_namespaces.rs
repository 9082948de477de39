//! fanotify limits inside a fresh user namespace (a child of this binary
//! under `unshare -Ur`): `/proc/sys/user/max_fanotify_marks` and
//! `max_fanotify_groups` are per-namespace copies of the ucount limits that
//! `/proc/sys/fs/fanotify/max_user_marks` and `max_user_groups` set for the
//! initial namespace, so lowering them in the child disturbs nothing else.

use std::fs;

use inotify_core::{FanInitFlags, FanMarkFlags, FanWatchMask, Fanotify, MarkTarget, raw_os_error};

use crate::support::{Child, TempDir, in_child, rerun_in_child};

/// Re-runs `test` under `unshare -Ur`; `true` in that child.
fn in_user_namespace(test: &str) -> bool {
    if in_child() {
        return true;
    }
    match rerun_in_child(test, &["unshare", "-Ur"]) {
        Child::Passed => {}
        Child::Unavailable(why) => eprintln!("skipped {test}: user namespaces unavailable: {why}"),
    }
    false
}

#[test]
fn mark_limit_in_user_namespace_is_enospc_naming_max_user_marks() {
    if !in_user_namespace(
        "fan_namespaces::mark_limit_in_user_namespace_is_enospc_naming_max_user_marks",
    ) {
        return;
    }
    fs::write("/proc/sys/user/max_fanotify_marks", "3").unwrap();
    let dir = TempDir::new("fan-enospc");
    let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME).unwrap();
    for name in ["a", "b", "c"] {
        fs::create_dir(dir.join(name)).unwrap();
        group
            .add_mark(
                dir.join(name),
                MarkTarget::Inode,
                FanWatchMask::CREATE,
                FanMarkFlags::empty(),
            )
            .unwrap();
    }
    fs::create_dir(dir.join("d")).unwrap();
    let err = group
        .add_mark(
            dir.join("d"),
            MarkTarget::Inode,
            FanWatchMask::CREATE,
            FanMarkFlags::empty(),
        )
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::ENOSPC));
    let text = err.to_string();
    assert!(text.contains("fanotify mark limit reached"), "{text}");
    assert!(
        text.contains("max_fanotify_marks = 3")
            && text.contains("/proc/sys/user/max_fanotify_marks")
            && text.contains("/proc/sys/fs/fanotify/max_user_marks"),
        "{text}"
    );
    assert!(text.contains(&*dir.join("d").to_string_lossy()), "{text}");
    // Adding to an existing mark needs no new one.
    group
        .add_mark(
            dir.join("a"),
            MarkTarget::Inode,
            FanWatchMask::DELETE,
            FanMarkFlags::empty(),
        )
        .unwrap();
}

#[test]
fn group_limit_in_user_namespace_is_emfile_naming_max_user_groups() {
    if !in_user_namespace(
        "fan_namespaces::group_limit_in_user_namespace_is_emfile_naming_max_user_groups",
    ) {
        return;
    }
    fs::write("/proc/sys/user/max_fanotify_groups", "1").unwrap();
    let first = Fanotify::init(FanInitFlags::REPORT_DFID_NAME).unwrap();
    let err = Fanotify::init(FanInitFlags::REPORT_DFID_NAME).unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EMFILE));
    let text = err.to_string();
    assert!(
        text.contains("group limit reached") && text.contains("max_fanotify_groups = 1"),
        "{text}"
    );
    drop(first);
    Fanotify::init(FanInitFlags::REPORT_DFID_NAME).expect("a freed group can be created again");
}
