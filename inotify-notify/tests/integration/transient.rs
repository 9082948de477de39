//! `WatchManager::watch_transient_file`: pyinotify's semantics (one watch
//! on the parent directory, events filtered by the file's name), across
//! creation, replacement by rename, rotation, deletion, and next to the
//! user's own watch of the directory.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use inotify_notify::{
    Event, Notifier, NotifierBuilder, WatchManager, WatchMask, WatchOptions, shared,
};

use crate::support::{Collected, TempDir, collecting_notifier, has, pump_quiet, pump_until};

const DEADLINE: Duration = Duration::from_secs(5);

/// A transient watch of `file` whose handler collects into the result.
fn watch_file(wm: &WatchManager, file: &Path, mask: WatchMask) -> Collected {
    let own: Collected = Arc::default();
    let sink = Arc::clone(&own);
    wm.watch_transient_file(
        file,
        mask,
        shared(move |e: &Event| sink.lock().unwrap().push(e.clone())),
    )
    .unwrap();
    own
}

fn names(events: &Collected) -> Vec<(String, std::path::PathBuf)> {
    events
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.maskname(), e.pathname().to_path_buf()))
        .collect()
}

fn pump(notifier: &mut Notifier, events: &Collected, maskname: &str, path: &Path) {
    assert!(
        pump_until(notifier, events, DEADLINE, |e| has(e, maskname, path)),
        "no {maskname} {}; got {:?}",
        path.display(),
        names(events)
    );
}

#[test]
fn transient_file_handler_gets_create_and_moved_to_of_the_file() {
    let dir = TempDir::new("transient-appear");
    let pid = dir.join("app.pid");
    let wm = WatchManager::new().unwrap();
    let own = watch_file(&wm, &pid, WatchMask::ALL_EVENTS);
    let (mut notifier, default) = collecting_notifier(&wm, &NotifierBuilder::new());
    // Written once: announced by its CREATE.
    std::fs::write(&pid, b"1").unwrap();
    pump(&mut notifier, &own, "IN_CREATE", &pid);
    pump(&mut notifier, &own, "IN_CLOSE_WRITE", &pid);
    // Replaced by rename: the new file is announced by MOVED_TO, and the
    // temporary name's events are not the file's.
    let tmp = dir.join("app.pid.tmp");
    std::fs::write(&tmp, b"2").unwrap();
    std::fs::rename(&tmp, &pid).unwrap();
    pump(&mut notifier, &own, "IN_MOVED_TO", &pid);
    std::fs::remove_file(&pid).unwrap();
    pump(&mut notifier, &own, "IN_DELETE", &pid);
    let own = own.lock().unwrap();
    assert!(
        own.iter().all(|e| e.pathname() == pid),
        "only the file's events: {own:?}"
    );
    assert!(
        default.lock().unwrap().is_empty(),
        "the directory's own events go nowhere: {:?}",
        default.lock().unwrap()
    );
    assert_eq!(wm.wd(&pid), None, "the file itself is not watched");
}

#[test]
fn transient_file_rotated_by_rename_is_not_reported_under_the_live_name() {
    let dir = TempDir::new("transient-rotate");
    let (log, rotated) = (dir.join("app.log"), dir.join("app.log.1"));
    std::fs::write(&log, b"first\n").unwrap();
    let wm = WatchManager::new().unwrap();
    let own = watch_file(&wm, &log, WatchMask::MODIFY);
    let (mut notifier, _default) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::rename(&log, &rotated).unwrap();
    pump(&mut notifier, &own, "IN_MOVED_FROM", &log);
    let mut old = std::fs::OpenOptions::new()
        .append(true)
        .open(&rotated)
        .unwrap();
    std::io::Write::write_all(&mut old, b"to the rotated file\n").unwrap();
    // The new live file's CREATE is queued after the rotated file's
    // writes: once it is seen, any MODIFY they caused has been seen.
    std::fs::write(&log, b"").unwrap();
    pump(&mut notifier, &own, "IN_CREATE", &log);
    let events = names(&own);
    let moved = events
        .iter()
        .position(|(m, _)| m == "IN_MOVED_FROM")
        .unwrap();
    let created = events.iter().position(|(m, _)| m == "IN_CREATE").unwrap();
    assert!(
        events[moved..created].iter().all(|(m, _)| m != "IN_MODIFY"),
        "writes to app.log.1 reported as app.log: {events:?}"
    );
    let watched: Vec<_> = wm.watches().into_iter().map(|w| w.path).collect();
    assert_eq!(
        watched,
        [dir.path().to_path_buf()],
        "one watch, the directory's"
    );
    std::io::Write::write_all(&mut old, b"more\n").unwrap();
    std::fs::write(&log, b"new\n").unwrap();
    pump(&mut notifier, &own, "IN_MODIFY", &log);
    pump_quiet(&mut notifier, Duration::from_millis(30), DEADLINE);
    assert!(
        names(&own).iter().all(|(_, p)| *p == log),
        "only the live name: {:?}",
        names(&own)
    );
}

#[test]
fn transient_file_follows_deletion_and_recreation() {
    let dir = TempDir::new("transient-recreate");
    let file = dir.join("app.pid");
    std::fs::write(&file, b"1").unwrap();
    let wm = WatchManager::new().unwrap();
    let own = watch_file(&wm, &file, WatchMask::MODIFY | WatchMask::DELETE_SELF);
    let (mut notifier, default) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::remove_file(&file).unwrap();
    pump(&mut notifier, &own, "IN_DELETE", &file);
    std::fs::write(&file, b"2").unwrap();
    pump(&mut notifier, &own, "IN_CREATE", &file);
    pump(&mut notifier, &own, "IN_MODIFY", &file);
    assert!(default.lock().unwrap().is_empty());
}

#[test]
fn transient_files_share_a_user_watch_of_their_directory() {
    let dir = TempDir::new("transient-merge");
    let (a, b, other) = (dir.join("a.log"), dir.join("b.log"), dir.join("other"));
    let wm = WatchManager::new().unwrap();
    let own_a = watch_file(&wm, &a, WatchMask::MODIFY);
    let own_b = watch_file(&wm, &b, WatchMask::CLOSE_WRITE);
    // The user's own watch of the directory, added after the files: its
    // mask is the user's, and the files' bits stay in the kernel's.
    let added = wm
        .add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    assert_eq!(added.len(), 1);
    let watches = wm.watches();
    assert_eq!(watches.len(), 1, "one descriptor for the directory");
    assert_eq!(watches[0].mask, WatchMask::CREATE);
    assert!(
        watches[0]
            .kernel_mask
            .contains(WatchMask::MODIFY | WatchMask::CLOSE_WRITE)
    );
    let (mut notifier, default) = collecting_notifier(&wm, &NotifierBuilder::new());
    for path in [&other, &a, &b] {
        std::fs::write(path, b"x").unwrap();
    }
    pump(&mut notifier, &own_a, "IN_MODIFY", &a);
    pump(&mut notifier, &own_b, "IN_CLOSE_WRITE", &b);
    pump(&mut notifier, &default, "IN_CREATE", &b);
    pump_quiet(&mut notifier, Duration::from_millis(30), DEADLINE);
    let user = names(&default);
    assert_eq!(
        user.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        ["IN_CREATE"; 3],
        "the user's watch gets what its mask asks: {user:?}"
    );
    for (events, path) in [(&own_a, &a), (&own_b, &b)] {
        let got = names(events);
        assert!(got.iter().all(|(_, p)| p == path), "{got:?}");
        assert!(has(&events.lock().unwrap(), "IN_CREATE", path));
    }
    assert!(!names(&own_a).iter().any(|(m, _)| m == "IN_CLOSE_WRITE"));
    assert!(!names(&own_b).iter().any(|(m, _)| m == "IN_MODIFY"));
}

#[test]
fn transient_file_handler_gets_ignored_when_its_directory_goes() {
    let dir = TempDir::new("transient-gone");
    let sub = dir.join("run");
    std::fs::create_dir(&sub).unwrap();
    let pid = sub.join("app.pid");
    let wm = WatchManager::new().unwrap();
    let own = watch_file(&wm, &pid, WatchMask::MODIFY);
    let (mut notifier, default) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::remove_dir(&sub).unwrap();
    pump(&mut notifier, &own, "IN_IGNORED", &pid);
    assert_eq!(wm.num_watches(), 0);
    assert!(
        default.lock().unwrap().is_empty(),
        "{:?}",
        default.lock().unwrap()
    );
}
