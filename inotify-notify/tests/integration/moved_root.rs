//! A root moved where no watched directory reports it (`IN_MOVE_SELF`
//! alone): followed when it was renamed in its own directory (found there
//! by its inode) or, with `CAP_DAC_READ_SEARCH`, anywhere on its
//! filesystem (found by its file handle); given up otherwise, with an
//! error saying why and `IGNORED` for every watch.

use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

use inotify_core::wait_readable;
use inotify_notify::{
    Backend, Event, EventProcessor, Notifier, NotifierBuilder, Processed, ProcessorOptions,
    WatchManager, WatchMask, WatchOptions,
};

use crate::fanotify::{as_nobody, is_root};
use crate::support::{TempDir, collecting_notifier, has, pump_quiet, pump_until};

const MASK: WatchMask = WatchMask::CREATE
    .union(WatchMask::DELETE)
    .union(WatchMask::MOVE)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::MOVE_SELF)
    .union(WatchMask::DELETE_SELF);

fn tree() -> WatchOptions {
    WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    }
}

fn settle(notifier: &mut Notifier) {
    pump_quiet(notifier, Duration::from_millis(50), Duration::from_secs(2));
}

fn under(events: &[Event], dir: &Path) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.pathname().starts_with(dir))
        .map(|e| format!("{} {}", e.maskname(), e.pathname().display()))
        .collect()
}

/// A root of `backend` moved from `root` to `to` (below the test's
/// directory) where no watched directory reports it: found again (in its
/// directory, or by its file handle), its events then carry the new path,
/// new directories in it are watched, and nothing is given up.
fn root_followed(backend: Backend, name: &str, to: &str) {
    let dir = TempDir::new(name);
    std::fs::create_dir_all(dir.join("root/sub")).unwrap();
    std::fs::create_dir(dir.join("far")).unwrap();
    let wm = match WatchManager::with_backend(backend) {
        Ok(wm) => wm,
        Err(err) => {
            eprintln!("skipped: no {backend:?} backend here: {err}");
            return;
        }
    };
    let added = wm.add_watch(dir.join("root"), MASK, &tree()).unwrap();
    let wd = *added[&dir.join("root")].as_ref().unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    // Its parent is not watched: only the root's MOVE_SELF says so.
    let moved = dir.join(to);
    std::fs::rename(dir.join("root"), &moved).unwrap();
    std::fs::write(moved.join("sub/f"), b"").unwrap();
    std::fs::create_dir(moved.join("new")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| has(e, "IN_CREATE|IN_ISDIR", &moved.join("new"))
    ));
    std::fs::write(moved.join("new/g"), b"").unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| has(e, "IN_CLOSE_WRITE", &moved.join("new/g"))
    ));
    settle(&mut notifier);
    let events = events.lock().unwrap();
    assert!(
        events[0].maskname().starts_with("IN_MOVE_SELF"),
        "{events:?}"
    );
    assert_eq!(events[0].pathname(), dir.join("root"));
    assert!(
        has(&events, "IN_CREATE", &moved.join("sub/f")),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| e.maskname() == "IN_IGNORED"),
        "the tree was given up: {events:?}"
    );
    assert!(
        under(&events[1..], &dir.join("root")).is_empty(),
        "stale paths: {events:?}"
    );
    assert_eq!(wm.path(wd), Some(moved.clone()));
    assert!(wm.wd(moved.join("sub")).is_some());
    assert_eq!(wm.num_watches(), 3);
}

#[test]
fn root_renamed_in_its_directory_is_followed_with_its_subtree() {
    root_followed(Backend::Inotify, "rootfollow", "renamed");
}

/// Fails before moved roots were looked up by handle (given up).
#[test]
fn root_moved_to_another_directory_is_followed_by_its_file_handle() {
    if !is_root() {
        eprintln!("skipped: open_by_handle_at needs CAP_DAC_READ_SEARCH (root)");
        return;
    }
    root_followed(Backend::Inotify, "rootaway", "far/root2");
}

/// Fanotify inode marks; fails before (the tree was given up at the
/// `MOVE_SELF`).
#[test]
fn fanotify_root_renamed_in_its_directory_is_followed() {
    root_followed(Backend::Fanotify, "fan-rootfollow", "renamed");
}

/// Fanotify inode marks; fails before, as the one above.
#[test]
fn fanotify_root_moved_to_another_directory_is_followed_as_root() {
    if !is_root() {
        eprintln!("skipped: open_by_handle_at needs CAP_DAC_READ_SEARCH (root)");
        return;
    }
    root_followed(Backend::Fanotify, "fan-rootaway", "far/root2");
}

/// Without `CAP_DAC_READ_SEARCH` (a child of this binary as `nobody`) a
/// root moved to another directory cannot be found: its tree is given up,
/// no event carries a stale path, and an error says why (before the fix
/// it was given up silently).
#[test]
fn root_moved_to_another_directory_is_given_up_without_the_privilege() {
    if !as_nobody("moved_root::root_moved_to_another_directory_is_given_up_without_the_privilege") {
        return;
    }
    let dir = TempDir::new("rootaway-unpriv");
    std::fs::create_dir_all(dir.join("root/sub")).unwrap();
    std::fs::create_dir(dir.join("far")).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.join("root"), MASK, &tree()).unwrap();
    let mut processor = EventProcessor::new(&wm, ProcessorOptions::default());
    std::fs::rename(dir.join("root"), dir.join("far/root")).unwrap();
    std::fs::write(dir.join("far/root/sub/f"), b"").unwrap();
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let ignored = |events: &[Event]| {
        has(events, "IN_IGNORED", &dir.join("root"))
            && has(events, "IN_IGNORED", &dir.join("root/sub"))
    };
    while !ignored(&events) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "not given up: {events:?} {errors:?}");
        let [ready, pending] = wait_readable(
            [wm.as_fd(), wm.pending_fd()],
            Some(left.min(Duration::from_millis(50))),
        )
        .unwrap();
        if ready || pending {
            processor
                .process_ready(&mut |p| match p {
                    Processed::Event { event, .. } => events.push(event),
                    Processed::Error(err) => errors.push(err.to_string()),
                })
                .unwrap();
        }
    }
    assert_eq!(events[0].maskname(), "IN_MOVE_SELF");
    assert!(under(&events, &dir.join("far")).is_empty(), "{events:?}");
    assert!(
        !has(&events, "IN_CREATE", &dir.join("root/sub/f")),
        "stale path: {events:?}"
    );
    assert!(
        errors.len() == 1 && errors[0].contains("CAP_DAC_READ_SEARCH"),
        "{errors:?}"
    );
    assert_eq!(wm.num_watches(), 0);
}

#[test]
fn root_renamed_then_deleted_before_it_is_read_is_given_up() {
    let dir = TempDir::new("rootgone");
    std::fs::create_dir(dir.join("root")).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.join("root"), MASK, &tree()).unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::rename(dir.join("root"), dir.join("renamed")).unwrap();
    std::fs::remove_dir(dir.join("renamed")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| has(e, "IN_IGNORED", &dir.join("root"))
    ));
    settle(&mut notifier);
    let events = events.lock().unwrap();
    assert_eq!(events[0].maskname(), "IN_MOVE_SELF");
    assert!(
        under(&events, &dir.join("renamed")).is_empty(),
        "{events:?}"
    );
    assert_eq!(wm.num_watches(), 0);
}

#[test]
fn a_file_root_renamed_in_place_is_followed() {
    let dir = TempDir::new("rootfile");
    std::fs::write(dir.join("log"), b"").unwrap();
    let wm = WatchManager::new().unwrap();
    let mask = WatchMask::MODIFY | WatchMask::MOVE_SELF;
    wm.add_watch(dir.join("log"), mask, &WatchOptions::default())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::rename(dir.join("log"), dir.join("log.1")).unwrap();
    std::fs::write(dir.join("log.1"), b"x").unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| has(e, "IN_MODIFY", &dir.join("log.1"))
    ));
    let events = events.lock().unwrap();
    assert!(has(&events, "IN_MOVE_SELF", &dir.join("log")), "{events:?}");
    assert_eq!(wm.num_watches(), 1);
}
