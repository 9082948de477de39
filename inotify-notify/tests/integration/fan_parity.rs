//! The fanotify backends against inotify on the same operations: where a
//! fanotify record stands for two inotify events, the backend gives both.

use std::time::Duration;

use inotify_notify::{Backend, NotifierBuilder, WatchManager, WatchMask, WatchOptions};

use crate::support::{TempDir, collecting_notifier, has, pump_until};

/// `chmod` of a watched directory whose parent is watched too: inotify
/// queues an entry event in the parent's watch, then the directory's own;
/// fanotify queues one record, and the backend makes both, in that order.
/// Before, fanotify gave only the directory's own event.
#[test]
fn a_directorys_own_attrib_is_reported_in_its_parent_too_as_inotify_does() {
    let mut seen = Vec::new();
    for backend in [Backend::Inotify, Backend::Fanotify] {
        let dir = TempDir::new("fan-twin");
        std::fs::create_dir_all(dir.join("d/e")).unwrap();
        let wm = WatchManager::with_backend(backend).unwrap();
        let options = WatchOptions {
            rec: true,
            ..WatchOptions::default()
        };
        wm.add_watch(dir.path(), WatchMask::ATTRIB, &options)
            .unwrap();
        let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
        std::fs::set_permissions(
            dir.join("d"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        std::fs::write(dir.join("d/marker"), b"").unwrap();
        std::fs::set_permissions(
            dir.join("d/marker"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        assert!(pump_until(
            &mut notifier,
            &events,
            Duration::from_secs(5),
            |e| has(e, "IN_ATTRIB", &dir.join("d/marker"))
        ));
        let events = events.lock().unwrap();
        let got: Vec<(String, std::path::PathBuf, Option<std::ffi::OsString>)> = events
            .iter()
            .filter(|e| e.pathname() == dir.join("d"))
            .map(|e| {
                let path = e.path().strip_prefix(dir.path()).unwrap().to_path_buf();
                (
                    e.maskname(),
                    path,
                    e.name().map(std::ffi::OsStr::to_os_string),
                )
            })
            .collect();
        seen.push((backend, got));
    }
    let expected = vec![
        ("IN_ATTRIB|IN_ISDIR".to_owned(), "".into(), Some("d".into())),
        ("IN_ATTRIB|IN_ISDIR".to_owned(), "d".into(), None),
    ];
    for (backend, got) in seen {
        assert_eq!(got, expected, "{backend:?}");
    }
}
