//! Error values: the errno survives the added context, and every message
//! names what failed.

use std::io::ErrorKind;

use inotify_core::{ContextError, Inotify, WatchDescriptor, WatchMask, raw_os_error};

use crate::support::TempDir;

#[test]
fn add_watch_missing_path_is_enoent_naming_the_path() {
    let dir = TempDir::new("enoent");
    let missing = dir.join("no/such/entry");
    let inotify = Inotify::init().unwrap();
    let err = inotify.add_watch(&missing, WatchMask::CREATE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(raw_os_error(&err), Some(libc::ENOENT));
    let text = err.to_string();
    assert!(text.contains(&*missing.to_string_lossy()), "{text}");
    let source = std::error::Error::source(
        err.get_ref()
            .and_then(|e| e.downcast_ref::<ContextError>())
            .expect("context error inside"),
    )
    .expect("source");
    assert!(source.to_string().contains("No such file"), "{source}");
}

#[test]
fn add_watch_path_with_nul_is_invalid_input() {
    let inotify = Inotify::init().unwrap();
    let err = inotify.add_watch("a\0b", WatchMask::CREATE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("NUL"), "{err}");
}

#[test]
fn add_watch_without_event_bits_is_einval() {
    let dir = TempDir::new("einval");
    let inotify = Inotify::init().unwrap();
    let err = inotify
        .add_watch(dir.path(), WatchMask::empty())
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EINVAL));
    assert!(err.to_string().contains(&*dir.path().to_string_lossy()));
}

#[test]
fn rm_watch_unknown_wd_is_einval_naming_the_wd() {
    let inotify = Inotify::init().unwrap();
    let err = inotify
        .rm_watch(WatchDescriptor::from_raw(4242))
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EINVAL));
    assert!(err.to_string().contains("4242"), "{err}");
}

#[test]
fn add_watch_unreadable_dir_is_eacces_unless_root() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("eacces");
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::create_dir(locked.join("inner")).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let inotify = Inotify::init().unwrap();
    let result = inotify.add_watch(locked.join("inner"), WatchMask::CREATE);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    if crate::support::is_root() {
        // Root bypasses permission checks (CAP_DAC_OVERRIDE).
        eprintln!("note: running as root, EACCES cannot be provoked; checked success instead");
        result.unwrap();
    } else {
        let err = result.unwrap_err();
        assert_eq!(raw_os_error(&err), Some(libc::EACCES));
        assert!(err.to_string().contains("inner"), "{err}");
    }
}
