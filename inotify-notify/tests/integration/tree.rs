//! Issue 4's rules, one test each: race-free auto-add, renames, moved-out
//! trees, roots, unmount, setup without self-flooding, unknown wds.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use inotify_notify::{
    Event, EventMask, EventProcessor, NotifierBuilder, Processed, WatchDescriptor, WatchManager,
    WatchMask, WatchOptions,
};

use crate::support::{TempDir, collecting_notifier, has, pump_quiet, pump_until};

fn tree_options() -> WatchOptions {
    WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    }
}

const TREE_MASK: WatchMask = WatchMask::CREATE
    .union(WatchMask::DELETE)
    .union(WatchMask::MOVE)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::DELETE_SELF);

#[test]
fn mkdir_p_burst_is_reported_in_full_500_times() {
    let dir = TempDir::new("burst");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &tree_options())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    for round in 0..500 {
        let base = dir.join(format!("r{round}"));
        let leaf = base.join("a/b/c/d");
        std::fs::create_dir_all(&leaf).unwrap();
        for i in 1..=100 {
            std::fs::File::create(leaf.join(format!("f{i}"))).unwrap();
        }
        let last = leaf.join("f100");
        assert!(
            pump_until(&mut notifier, &events, Duration::from_secs(10), |e| {
                e.iter().any(|e| e.pathname() == last)
            }),
            "round {round}: f100 never reported"
        );
        pump_quiet(
            &mut notifier,
            Duration::from_millis(1),
            Duration::from_secs(1),
        );
        let mut counts: BTreeMap<PathBuf, usize> = BTreeMap::new();
        for e in events.lock().unwrap().drain(..) {
            // Late IGNOREDs of the previous round's removed tree may land here.
            if e.kind() == inotify_notify::EventKind::Ignored {
                continue;
            }
            assert_eq!(e.kind(), inotify_notify::EventKind::Create, "{e}");
            *counts.entry(e.into_pathname()).or_default() += 1;
        }
        assert_eq!(counts.len(), 105, "round {round}: {counts:?}");
        assert!(
            counts.values().all(|&n| n == 1),
            "round {round}: duplicates {counts:?}"
        );
    }
}

#[test]
fn renamed_watched_directory_events_carry_the_new_path() {
    let dir = TempDir::new("rename");
    std::fs::create_dir_all(dir.join("old/sub")).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), TREE_MASK, &tree_options())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::rename(dir.join("old"), dir.join("new")).unwrap();
    std::fs::write(dir.join("new/sub/f"), b"x").unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { has(e, "IN_CLOSE_WRITE", &dir.join("new/sub/f")) }
    ));
    let events = events.lock().unwrap();
    let moved_to = events
        .iter()
        .find(|e| e.maskname() == "IN_MOVED_TO|IN_ISDIR")
        .unwrap();
    assert_eq!(
        moved_to.src_pathname.as_deref(),
        Some(dir.join("old").as_path())
    );
    assert!(has(&events, "IN_CREATE", &dir.join("new/sub/f")));
    assert!(
        events
            .iter()
            .all(|e| !e.pathname().starts_with(dir.join("old/sub")))
    );
    assert!(wm.wd(dir.join("new/sub")).is_some());
    assert!(wm.wd(dir.join("old/sub")).is_none());
}

#[test]
fn directory_moved_out_loses_its_watches_without_stale_events() {
    let dir = TempDir::new("moveout");
    let outside = TempDir::new("moveout-outside");
    std::fs::create_dir_all(dir.join("root/gone/deep")).unwrap();
    let root = dir.join("root");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(&root, TREE_MASK, &tree_options()).unwrap();
    assert_eq!(wm.num_watches(), 3);
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::rename(root.join("gone"), outside.join("gone")).unwrap();
    std::fs::write(outside.join("gone/deep/f"), b"x").unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| {
            has(e, "IN_IGNORED", &root.join("gone"))
                && has(e, "IN_IGNORED", &root.join("gone/deep"))
        }
    ));
    pump_quiet(
        &mut notifier,
        Duration::from_millis(20),
        Duration::from_secs(2),
    );
    let events = events.lock().unwrap();
    assert_eq!(events[0].maskname(), "IN_MOVED_FROM|IN_ISDIR");
    assert!(
        events
            .iter()
            .all(|e| e.kind() == inotify_notify::EventKind::Ignored
                || e.kind() == inotify_notify::EventKind::MovedFrom),
        "stale events delivered: {events:?}"
    );
    assert_eq!(wm.num_watches(), 1);
}

#[test]
fn directory_moved_in_is_watched_and_scanned() {
    let dir = TempDir::new("movein");
    let outside = TempDir::new("movein-outside");
    std::fs::create_dir_all(outside.join("tree/a/b")).unwrap();
    std::fs::write(outside.join("tree/a/b/f"), b"").unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), TREE_MASK, &tree_options())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::rename(outside.join("tree"), dir.join("tree")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { has(e, "IN_CREATE", &dir.join("tree/a/b/f")) }
    ));
    let events = events.lock().unwrap();
    assert!(has(&events, "IN_MOVED_TO|IN_ISDIR", &dir.join("tree")));
    assert!(has(&events, "IN_CREATE|IN_ISDIR", &dir.join("tree/a")));
    assert!(has(&events, "IN_CREATE|IN_ISDIR", &dir.join("tree/a/b")));
    assert!(events.iter().filter(|e| e.synthetic).count() >= 3);
    assert!(wm.wd(dir.join("tree/a/b")).is_some());
}

#[test]
fn deleted_root_delivers_delete_self_then_ignored_and_others_go_on() {
    let dir = TempDir::new("rootdel");
    std::fs::create_dir_all(dir.join("r1/sub")).unwrap();
    std::fs::create_dir_all(dir.join("r2")).unwrap();
    let wm = WatchManager::new().unwrap();
    let mask = TREE_MASK | WatchMask::DELETE_SELF;
    wm.add_watch(dir.join("r1"), mask, &tree_options()).unwrap();
    wm.add_watch(dir.join("r2"), mask, &tree_options()).unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::remove_dir_all(dir.join("r1")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { has(e, "IN_IGNORED", &dir.join("r1")) }
    ));
    {
        let events = events.lock().unwrap();
        let self_pos = events
            .iter()
            .position(|e| e.maskname() == "IN_DELETE_SELF" && e.pathname() == dir.join("r1"))
            .unwrap();
        let ign_pos = events
            .iter()
            .position(|e| e.maskname() == "IN_IGNORED" && e.pathname() == dir.join("r1"))
            .unwrap();
        assert!(self_pos < ign_pos);
        assert!(events[self_pos].dir);
    }
    assert_eq!(wm.num_watches(), 1);
    std::fs::write(dir.join("r2/f"), b"").unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { has(e, "IN_CREATE", &dir.join("r2/f")) }
    ));
}

#[test]
fn recursive_add_does_not_report_its_own_listing() {
    let dir = TempDir::new("noflood");
    // Listing 3000 watched directories queues about seven events each
    // (OPEN, ACCESS, CLOSE_NOWRITE on the directory and on its parent):
    // more than the default 16384-event queue unless the walk drains it.
    for i in 0..1500 {
        std::fs::create_dir_all(dir.join(format!("d{i}/e"))).unwrap();
    }
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &tree_options())
        .unwrap();
    assert_eq!(wm.num_watches(), 3001);
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(5),
    );
    let events = events.lock().unwrap();
    assert!(events.is_empty(), "self-inflicted events: {}", events.len());
}

#[test]
fn symlinks_are_reported_as_entries_and_not_followed() {
    let dir = TempDir::new("symlink");
    let target = TempDir::new("symlink-target");
    std::fs::create_dir_all(target.join("inside")).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), TREE_MASK, &tree_options())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::create_dir(dir.join("d")).unwrap();
    std::os::unix::fs::symlink(target.path(), dir.join("d/link")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { has(e, "IN_CREATE", &dir.join("d/link")) }
    ));
    assert!(wm.wd(dir.join("d/link")).is_none());
    assert!(wm.wd(target.path()).is_none());
}

#[test]
fn unknown_descriptor_events_are_dropped_without_panic() {
    let dir = TempDir::new("unknownwd");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let mut processor = EventProcessor::new(&wm, inotify_notify::ProcessorOptions::default());
    let mut bytes = Vec::new();
    inotify_core::encode_record(&mut bytes, 9999, EventMask::CREATE.bits(), 0, Some(b"x"), 0);
    inotify_core::encode_record(&mut bytes, 9999, EventMask::IGNORED.bits(), 0, None, 0);
    let mut got = Vec::new();
    processor.process_batch(inotify_core::Events::new(&bytes), &mut |p| got.push(p));
    assert!(got.is_empty(), "{got:?}");
    let _ = WatchDescriptor::from_raw(9999);
}

#[test]
fn unmount_delivers_unmount_then_ignored_for_every_watch() {
    if !is_root() {
        eprintln!("skipped: unmount needs root");
        return;
    }
    let dir = TempDir::new("unmount");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    std::fs::create_dir_all(mnt.join("a")).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(&mnt, WatchMask::CREATE, &tree_options())
        .unwrap();
    assert_eq!(wm.num_watches(), 2);
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    let status = std::process::Command::new("umount")
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { has(e, "IN_IGNORED", &mnt) && has(e, "IN_IGNORED", &mnt.join("a")) }
    ));
    let events = events.lock().unwrap();
    for path in [mnt.clone(), mnt.join("a")] {
        let unmount = events
            .iter()
            .position(|e| e.kind() == inotify_notify::EventKind::Unmount && e.pathname() == path);
        let ignored = events
            .iter()
            .position(|e| e.kind() == inotify_notify::EventKind::Ignored && e.pathname() == path);
        assert!(unmount.is_some() && unmount < ignored, "{events:?}");
    }
    assert_eq!(wm.num_watches(), 0);
}

/// Whether the tests run as root (`Uid:` line of /proc/self/status).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            == Some("0")
    })
}

#[test]
fn overflow_reaches_the_default_handler() {
    let dir = TempDir::new("overflowevent");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let mut processor = EventProcessor::new(&wm, inotify_notify::ProcessorOptions::default());
    let mut bytes = Vec::new();
    inotify_core::encode_record(&mut bytes, -1, EventMask::Q_OVERFLOW.bits(), 0, None, 0);
    let mut got: Vec<Event> = Vec::new();
    processor.process_batch(inotify_core::Events::new(&bytes), &mut |p| {
        if let Processed::Event { event, handler } = p {
            assert!(handler.is_none());
            got.push(event);
        }
    });
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].wd, WatchDescriptor::OVERFLOW);
    assert_eq!(got[0].path(), PathBuf::new());
}

#[test]
fn auto_added_directories_inherit_handler_mask_and_filters() {
    use std::sync::{Arc, Mutex};
    let dir = TempDir::new("inherit");
    let wm = WatchManager::new().unwrap();
    let own: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = own.clone();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        proc_fun: Some(inotify_notify::shared(move |e: &Event| {
            sink.lock().unwrap().push(e.clone());
        })),
        exclude_filter: Some(inotify_notify::ExcludeFilter::from_patterns(["/skip$"]).unwrap()),
        ..WatchOptions::default()
    };
    wm.add_watch(dir.path(), WatchMask::CLOSE_WRITE, &options)
        .unwrap();
    let (mut notifier, default) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::create_dir(dir.join("x")).unwrap();
    std::fs::create_dir(dir.join("skip")).unwrap();
    assert!(pump_until(
        &mut notifier,
        &default,
        Duration::from_secs(5),
        |_| { wm.wd(dir.join("x")).is_some() }
    ));
    std::fs::write(dir.join("x/f"), b"1").unwrap();
    std::fs::write(dir.join("skip/g"), b"1").unwrap();
    assert!(pump_until(
        &mut notifier,
        &own,
        Duration::from_secs(5),
        |e| { has(e, "IN_CLOSE_WRITE", &dir.join("x/f")) }
    ));
    pump_quiet(
        &mut notifier,
        Duration::from_millis(30),
        Duration::from_secs(2),
    );
    let watch = wm.watch(wm.wd(dir.join("x")).unwrap()).unwrap();
    assert_eq!(watch.mask, WatchMask::CLOSE_WRITE);
    assert!(watch.proc_fun.is_some() && watch.auto_add);
    assert!(wm.wd(dir.join("skip")).is_none());
    assert!(default.lock().unwrap().is_empty());
    assert_eq!(own.lock().unwrap().len(), 1, "{:?}", own.lock().unwrap());
}

#[test]
fn tree_watch_example_prints_the_stable_line_format() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    // Test binaries live in target/<profile>/deps; examples beside them.
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/tree_watch");
    if !example.exists() {
        eprintln!("skipped: {} not built", example.display());
        return;
    }
    let dir = TempDir::new("treewatch");
    let mut child = std::process::Command::new(&example)
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // The watch is in place once a probe file shows up.
    let probe = dir.join("probe");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut lines = Vec::new();
    loop {
        std::fs::write(&probe, b"").unwrap();
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
            lines.push(line);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "tree_watch printed nothing"
        );
    }
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::rename(dir.join("a"), dir.join("z")).unwrap();
    let want = [
        format!("IN_CREATE|IN_ISDIR {}", dir.join("a").display()),
        format!(
            "IN_MOVED_TO|IN_ISDIR {} <- {}",
            dir.join("z").display(),
            dir.join("a").display()
        ),
    ];
    // `b` is reported under `a` if the watch of `a` landed before the
    // rename, else by the scan of `z`: either way exactly once.
    let b_seen = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| {
                **l == format!("IN_CREATE|IN_ISDIR {}", dir.join("a/b").display())
                    || **l == format!("IN_CREATE|IN_ISDIR {}", dir.join("z/b").display())
            })
            .count()
    };
    while !want.iter().all(|w| lines.contains(w)) || b_seen(&lines) == 0 {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => lines.push(line),
            Err(_) => assert!(
                std::time::Instant::now() < deadline,
                "missing lines: {lines:?}"
            ),
        }
    }
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
        lines.push(line);
    }
    assert_eq!(b_seen(&lines), 1, "{lines:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
}
