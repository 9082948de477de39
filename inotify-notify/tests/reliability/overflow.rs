//! Queue overflow provoked deterministically without touching the global
//! `max_queued_events`: the notifier stops reading while more distinct
//! events than the limit are generated. Exactly one `IN_Q_OVERFLOW`
//! reaches the handler, and with `rescan_on_overflow` a consumer applying
//! the events ends with the tree as it is.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;

use inotify_core::Limit;
use inotify_notify::{EventKind, NotifierBuilder, WatchManager, WatchMask, WatchOptions};

use crate::support::{Recorder, TempDir, leak_checked, lock, pump};

#[test]
fn overflow_reaches_the_handler_once_and_rescan_restores_the_picture() {
    leak_checked(|| {
        let dir = TempDir::new("overflow");
        let wm = WatchManager::new().unwrap();
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        wm.add_watch(dir.path(), WatchMask::CREATE | WatchMask::DELETE, &options)
            .unwrap();
        let (record, handler) = Recorder::new();
        let mut notifier = NotifierBuilder::new()
            .rescan_on_overflow(true)
            .build(&wm, handler)
            .unwrap();
        // The queue limit of this instance was read when it was created;
        // one more distinct event than that overflows it.
        let limit = usize::try_from(Limit::MaxQueuedEvents.read().unwrap()).unwrap();
        if limit > 200_000 {
            eprintln!("skipped: max_queued_events is {limit}; overflowing it takes too long");
            return;
        }
        let files = limit + limit / 4 + 1;
        for n in 0..files {
            fs::write(dir.join(format!("f{n:06}")), b"").unwrap();
        }
        let mut picture: BTreeSet<OsString> = BTreeSet::new();
        let mut twice = Vec::new();
        let done = pump(&mut notifier, &record, |s| {
            s.events.iter().any(|e| e.kind() == EventKind::QOverflow)
                && s.events.iter().filter(|e| e.name().is_some()).count() >= files
        })
        .unwrap();
        let seen = lock(&record);
        let overflows = seen
            .events
            .iter()
            .filter(|e| e.kind() == EventKind::QOverflow)
            .count();
        for event in &seen.events {
            let Some(name) = event.name().map(std::ffi::OsStr::to_os_string) else {
                continue;
            };
            match event.kind() {
                EventKind::Create if !picture.insert(name.clone()) => twice.push(name),
                EventKind::Delete => {
                    picture.remove(&name);
                }
                _ => {}
            }
        }
        assert!(done, "{} events, {overflows} overflows", seen.events.len());
        assert_eq!(overflows, 1, "exactly one overflow reaches the handler");
        assert!(
            twice.is_empty(),
            "reported twice: {:?}",
            &twice[..twice.len().min(5)]
        );
        let tree: BTreeSet<OsString> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(picture.len(), tree.len());
        assert!(picture == tree, "the picture differs from the tree");
        assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    });
}
