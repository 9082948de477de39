//! The sync barrier: events before the call are all delivered when it
//! returns, and the cookie never shows.

use std::sync::mpsc;
use std::time::Duration;

use inotify_notify::{Event, Notifier, ThreadedNotifier, WatchManager, WatchMask, WatchOptions};

use crate::support::TempDir;

#[test]
fn notifier_sync_delivers_everything_before_it_and_hides_the_cookie() {
    let dir = TempDir::new("sync");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &WatchOptions::default())
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let mut notifier = Notifier::new(&wm, move |e: &Event| tx.send(e.clone()).unwrap()).unwrap();
    for round in 0..20 {
        let name = format!("f{round}");
        std::fs::write(dir.join(&name), b"x").unwrap();
        notifier.sync(Duration::from_secs(5)).unwrap();
        let events: Vec<Event> = rx.try_iter().collect();
        assert!(
            events.iter().any(|e| e.name() == Some(name.as_ref())
                && e.mask.contains(inotify_notify::EventMask::CLOSE_WRITE)),
            "round {round}: {events:?}"
        );
        assert!(
            events.iter().all(|e| e.path() == dir.path()),
            "a cookie leaked: {events:?}"
        );
    }
    assert_eq!(wm.num_watches(), 1, "the cookie watches are gone");
}

#[test]
fn threaded_sync_blocks_until_the_thread_passed_the_cookie() {
    let dir = TempDir::new("sync-threaded");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let (mut notifier, rx) = ThreadedNotifier::channel(&wm, 1024).unwrap();
    notifier.start().unwrap();
    for round in 0..20 {
        let name = format!("g{round}");
        std::fs::write(dir.join(&name), b"").unwrap();
        notifier.sync(Duration::from_secs(5)).unwrap();
        let events: Vec<Event> = rx.try_iter().collect();
        assert_eq!(events.len(), 1, "round {round}: {events:?}");
        assert_eq!(events[0].name(), Some(name.as_ref()));
    }
    notifier.stop().unwrap();
}

#[test]
fn sync_without_a_running_thread_is_an_error() {
    let wm = WatchManager::new().unwrap();
    let notifier = ThreadedNotifier::new(&wm, |_: &Event| {}).unwrap();
    assert!(notifier.sync(Duration::from_millis(10)).is_err());
}

#[test]
fn settle_handler_on_a_plain_notifier_settles_what_sync_delivered() {
    use inotify_notify::{ChangeKind, SettleHandler, SettleOptions};
    let dir = TempDir::new("settle-handler");
    std::fs::write(dir.join("cfg"), b"1").unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &WatchOptions::default())
        .unwrap();
    let handler = SettleHandler::new(SettleOptions::default());
    handler.prepare(&wm).unwrap();
    let mut notifier = Notifier::new(&wm, handler.clone()).unwrap();
    std::fs::write(dir.join("cfg.new"), b"2").unwrap();
    std::fs::rename(dir.join("cfg.new"), dir.join("cfg")).unwrap();
    notifier.sync(Duration::from_secs(5)).unwrap();
    let batch = handler.flush().expect("a batch");
    assert_eq!(batch.changes.len(), 1, "{batch:?}");
    assert_eq!(
        batch.changes[0].kind,
        ChangeKind::Modified { replaced: true }
    );
    assert!(handler.take_error().is_none());
}
