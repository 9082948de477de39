//! `Notifier` and `ThreadedNotifier`: threshold, coalescing, run/stop, stop
//! latency, watches added while running, channel mode.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify_notify::{
    Event, Notifier, NotifierBuilder, ThreadedNotifier, WatchManager, WatchMask, WatchOptions,
};

use crate::support::{TempDir, collecting_notifier, collector, has};

#[test]
fn threshold_delays_reads_until_enough_bytes_are_queued() {
    let dir = TempDir::new("threshold");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    // One CREATE record with a short name is 16 + 16 bytes.
    let (mut notifier, events) =
        collecting_notifier(&wm, &NotifierBuilder::new().threshold(32 * 4));
    std::fs::write(dir.join("a"), b"").unwrap();
    assert!(notifier.check_events(Some(Duration::from_secs(5))).unwrap());
    notifier.read_events().unwrap();
    notifier.process_events().unwrap();
    assert!(
        events.lock().unwrap().is_empty(),
        "below the threshold nothing is read"
    );
    for name in ["b", "c", "d"] {
        std::fs::write(dir.join(name), b"").unwrap();
    }
    notifier.read_events().unwrap();
    notifier.process_events().unwrap();
    assert_eq!(events.lock().unwrap().len(), 4);
}

#[test]
fn coalesce_events_drops_duplicates_within_a_batch() {
    let dir = TempDir::new("coalesce");
    let file = dir.join("f");
    std::fs::write(&file, b"").unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::OPEN, &WatchOptions::default())
        .unwrap();
    // OPEN/CLOSE pairs interleave, so the kernel's own merging of
    // consecutive duplicates does not apply; ours does, per batch.
    let builder = NotifierBuilder::new().coalesce_events(true).clone();
    let (mut notifier, events) = collecting_notifier(&wm, &builder);
    let watch = WatchMask::OPEN | WatchMask::CLOSE_NOWRITE;
    let update = inotify_notify::WatchUpdate {
        mask: Some(watch),
        ..inotify_notify::WatchUpdate::default()
    };
    wm.update_watch(wm.wd(dir.path()).unwrap(), &update);
    for _ in 0..5 {
        std::fs::read(&file).unwrap();
    }
    assert!(notifier.check_events(Some(Duration::from_secs(5))).unwrap());
    notifier.read_events().unwrap();
    notifier.process_events().unwrap();
    let events = events.lock().unwrap();
    assert_eq!(
        events.iter().filter(|e| e.maskname() == "IN_OPEN").count(),
        1
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.maskname() == "IN_CLOSE_NOWRITE")
            .count(),
        1
    );
}

#[test]
fn run_returns_when_callback_or_stop_handle_says_so() {
    let dir = TempDir::new("run");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let (events, handler) = collector();
    let mut notifier = NotifierBuilder::new()
        .timeout(Some(Duration::from_millis(20)))
        .build(&wm, handler)
        .unwrap();
    std::fs::write(dir.join("a"), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    notifier
        .run(|_| !events.lock().unwrap().is_empty() || Instant::now() > deadline)
        .unwrap();
    assert!(has(&events.lock().unwrap(), "IN_CREATE", &dir.join("a")));
    let stop = notifier.stop_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        stop.stop();
    });
    let start = Instant::now();
    let mut blocking = Notifier::new(&wm, |_: &Event| {}).unwrap();
    let stop2 = blocking.stop_handle();
    stop2.stop();
    blocking.run(|_| false).unwrap();
    notifier.run(|_| false).unwrap();
    stopper.join().unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn threaded_notifier_stops_promptly_when_idle() {
    let dir = TempDir::new("stoplatency");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let mut notifier = ThreadedNotifier::new(&wm, |_: &Event| {}).unwrap();
    notifier.start().unwrap();
    std::thread::sleep(Duration::from_millis(50)); // let it block in poll
    let start = Instant::now();
    notifier.stop().unwrap();
    let took = start.elapsed();
    eprintln!("idle ThreadedNotifier stop took {took:?}");
    assert!(took < Duration::from_secs(1), "stop took {took:?}");
    assert!(!notifier.is_alive());
    notifier.stop().unwrap(); // idempotent
}

#[test]
fn threaded_notifier_sees_watches_added_from_another_thread() {
    let dir = TempDir::new("addwhilerun");
    std::fs::create_dir(dir.join("late")).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let (events, handler) = collector();
    let mut notifier = ThreadedNotifier::new(&wm, handler).unwrap();
    notifier.start().unwrap();
    let wm2 = wm.clone();
    let late = dir.join("late");
    std::thread::spawn(move || {
        wm2.add_watch(&late, WatchMask::CREATE, &WatchOptions::default())
            .unwrap();
    })
    .join()
    .unwrap();
    std::fs::write(dir.join("late/f"), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !has(&events.lock().unwrap(), "IN_CREATE", &dir.join("late/f")) {
        assert!(
            Instant::now() < deadline,
            "event of the late watch not seen"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    notifier.stop().unwrap();
}

#[test]
fn stop_from_inside_a_handler_ends_the_thread() {
    let dir = TempDir::new("stopinside");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let slot: Arc<Mutex<Option<inotify_notify::StopHandle>>> = Arc::default();
    let inside = slot.clone();
    let mut notifier = ThreadedNotifier::new(&wm, move |_: &Event| {
        if let Some(stop) = inside.lock().unwrap().as_ref() {
            stop.stop();
        }
    })
    .unwrap();
    *slot.lock().unwrap() = Some(notifier.stop_handle());
    notifier.start().unwrap();
    std::fs::write(dir.join("f"), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while notifier.is_alive() {
        assert!(
            Instant::now() < deadline,
            "handler stop did not end the loop"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    notifier.stop().unwrap();
}

#[test]
fn channel_mode_delivers_events_and_stops_with_a_full_channel() {
    let dir = TempDir::new("channel");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let (mut notifier, rx) = ThreadedNotifier::channel(&wm, 1).unwrap();
    notifier.start().unwrap();
    for name in ["a", "b", "c"] {
        std::fs::write(dir.join(name), b"").unwrap();
    }
    let first = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(first.pathname(), dir.join("a"));
    // Wait (bounded) until the channel is full again, so the notifier is
    // blocked in its send: stop must not hang on it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !rx.is_full() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(rx.is_full(), "the notifier refilled the channel");
    let start = Instant::now();
    notifier.stop().unwrap();
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn stop_when_empty_ends_run_after_root_deletion() {
    let dir = TempDir::new("stopempty");
    let root = dir.join("root");
    std::fs::create_dir(&root).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(&root, WatchMask::DELETE_SELF, &WatchOptions::default())
        .unwrap();
    let (events, handler) = collector();
    let mut notifier = NotifierBuilder::new()
        .stop_when_empty(true)
        .timeout(Some(Duration::from_millis(50)))
        .build(&wm, handler)
        .unwrap();
    std::fs::remove_dir(&root).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    notifier.run(|_| Instant::now() > deadline).unwrap();
    let events = events.lock().unwrap();
    let names: Vec<String> = events.iter().map(Event::maskname).collect();
    assert_eq!(names, ["IN_DELETE_SELF", "IN_IGNORED"]);
    assert_eq!(wm.num_watches(), 0);
}

#[test]
fn event_processor_is_driven_by_the_manager_fd() {
    use std::os::fd::AsFd;
    let dir = TempDir::new("seam");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let mut processor =
        inotify_notify::EventProcessor::new(&wm, inotify_notify::ProcessorOptions::default());
    let [ready] = inotify_core::wait_readable([wm.as_fd()], Some(Duration::ZERO)).unwrap();
    assert!(!ready);
    std::fs::write(dir.join("f"), b"").unwrap();
    let [ready] = inotify_core::wait_readable([wm.as_fd()], Some(Duration::from_secs(5))).unwrap();
    assert!(ready);
    let mut got = Vec::new();
    let read = processor
        .process_ready(&mut |p| {
            if let inotify_notify::Processed::Event { event, .. } = p {
                got.push(event.into_pathname());
            }
        })
        .unwrap();
    assert_eq!(read, 1);
    assert_eq!(got, [dir.join("f")]);
}

/// Friction (issue 11): a handler panic ended a `ThreadedNotifier`
/// silently. The thread stops, `process_error` hears of it, and `stop`
/// returns the panic as `HandlerPanicked`.
#[test]
fn threaded_handler_panic_is_reported_by_stop() {
    struct Panicky(std::sync::Arc<std::sync::Mutex<Vec<String>>>);
    impl inotify_notify::ProcessEvent for Panicky {
        fn process_default(&mut self, _: &Event) {
            panic!("handler exploded");
        }
        fn process_error(&mut self, error: &inotify_notify::Error) {
            self.0.lock().unwrap().push(error.to_string());
        }
    }
    let dir = crate::support::TempDir::new("threaded-panic");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let errors = std::sync::Arc::default();
    let mut threaded = ThreadedNotifier::new(&wm, Panicky(std::sync::Arc::clone(&errors))).unwrap();
    threaded.start().unwrap();
    std::fs::write(dir.join("f"), b"").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while threaded.is_alive() && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert!(!threaded.is_alive(), "the thread stops after a panic");
    let err = threaded.stop().unwrap_err();
    assert_eq!(*err.kind(), inotify_notify::ErrorKind::HandlerPanicked);
    assert!(err.to_string().contains("handler exploded"), "{err}");
    let errors = errors.lock().unwrap();
    assert!(
        errors.iter().any(|e| e.contains("handler exploded")),
        "{errors:?}"
    );
    assert!(
        threaded.stop().is_ok(),
        "reported once; stop stays idempotent"
    );
}
