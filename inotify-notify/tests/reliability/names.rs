//! Hostile file names — spaces, newlines, invalid UTF-8, the full `NAME_MAX`
//! length — flow byte-exactly through core's `Watcher` and the notify
//! layer's `Event` (name, path, pathname), also inside an auto-added
//! directory with such a name.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use inotify_core::{WatchMask as CoreMask, Watcher};
use inotify_notify::{Notifier, WatchManager, WatchMask, WatchOptions};

use crate::support::{Recorder, TIMEOUT, TempDir, leak_checked, lock, pump};

/// The names every layer must carry unchanged.
pub fn hostile_names() -> Vec<OsString> {
    vec![
        OsString::from("with space"),
        OsString::from("new\nline"),
        OsString::from(" lead and trail "),
        OsString::from_vec(b"bad-\xff\xfe-utf8".to_vec()),
        OsString::from_vec(b"tab\tand\x01control".to_vec()),
        OsString::from("comma,quote\"back\\slash"),
        OsString::from("x".repeat(255)),
    ]
}

#[test]
fn hostile_names_round_trip_through_core_watcher() {
    leak_checked(|| {
        let dir = TempDir::new("names-core");
        let mut watcher: Watcher = Watcher::new().unwrap();
        watcher.add(dir.path(), CoreMask::CREATE).unwrap();
        let want = hostile_names();
        for name in &want {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        let mut got = Vec::new();
        while got.len() < want.len() {
            assert!(watcher.inotify().wait(Some(TIMEOUT)).unwrap(), "{got:?}");
            for event in watcher.try_read().unwrap() {
                let name = event.event.name.expect("a name").to_os_string();
                assert_eq!(event.fullpath(), Some(dir.path().join(&name)));
                got.push(name);
            }
        }
        assert_eq!(got, want);
    });
}

#[test]
fn hostile_names_round_trip_through_notify_events_and_auto_add() {
    leak_checked(|| {
        let dir = TempDir::new("names-notify");
        let wm = WatchManager::new().unwrap();
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        wm.add_watch(dir.path(), WatchMask::CREATE, &options)
            .unwrap();
        let (record, handler) = Recorder::new();
        let mut notifier = Notifier::new(&wm, handler).unwrap();
        let want = hostile_names();
        // Each name as a file at the root, and as a directory holding a
        // file with the same name (auto-added and scanned).
        for name in &want {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        let sub = dir.join(OsStr::from_bytes(b"dir \n\xff"));
        fs::create_dir(&sub).unwrap();
        for name in &want {
            fs::write(sub.join(name), b"").unwrap();
        }
        let total = 2 * want.len() + 1;
        assert!(pump(&mut notifier, &record, |s| s.events.len() >= total).unwrap());
        let seen = lock(&record);
        for name in &want {
            for parent in [dir.path(), sub.as_path()] {
                let hits: Vec<_> = seen
                    .events
                    .iter()
                    .filter(|e| e.name() == Some(name.as_os_str()) && e.path() == parent)
                    .collect();
                assert_eq!(hits.len(), 1, "{name:?} in {parent:?}: {:?}", seen.events);
                assert_eq!(hits[0].pathname(), parent.join(name));
                assert_eq!(
                    hits[0].pathname().as_os_str().as_bytes(),
                    [parent.as_os_str().as_bytes(), b"/", name.as_bytes()].concat()
                );
            }
        }
        assert_eq!(wm.path(wm.wd(&sub).expect("auto-added")), Some(sub.clone()));
    });
}
