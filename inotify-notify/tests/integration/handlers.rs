//! Handlers against real events: precedence, per-watch processors,
//! chaining, the ready-made handlers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use inotify_notify::{
    ChainIfTrue, Event, EventKind, NotifierBuilder, PrintAllEvents, ProcessEvent, Stats,
    WatchManager, WatchMask, WatchOptions, shared,
};

use crate::support::{TempDir, collecting_notifier, pump_until};

#[derive(Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl ProcessEvent for Calls {
    fn process_in_close_write(&mut self, e: &Event) {
        self.0
            .lock()
            .unwrap()
            .push(format!("close_write {}", e.maskname()));
    }
    fn process_in_close(&mut self, e: &Event) {
        self.0
            .lock()
            .unwrap()
            .push(format!("close {}", e.maskname()));
    }
    fn process_default(&mut self, e: &Event) {
        self.0
            .lock()
            .unwrap()
            .push(format!("default {}", e.maskname()));
    }
}

#[test]
fn dispatch_prefers_specific_then_family_then_default() {
    let dir = TempDir::new("precedence");
    std::fs::write(dir.join("r"), b"x").unwrap();
    let wm = WatchManager::new().unwrap();
    let mask = WatchMask::CREATE | WatchMask::CLOSE;
    wm.add_watch(dir.path(), mask, &WatchOptions::default())
        .unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut notifier = NotifierBuilder::new()
        .build(&wm, Calls(calls.clone()))
        .unwrap();
    std::fs::write(dir.join("w"), b"x").unwrap(); // CREATE, CLOSE_WRITE
    std::fs::read(dir.join("r")).unwrap(); // CLOSE_NOWRITE
    let events = calls.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while events.lock().unwrap().len() < 3 && std::time::Instant::now() < deadline {
        if notifier
            .check_events(Some(Duration::from_millis(50)))
            .unwrap()
        {
            notifier.read_events().unwrap();
        }
        notifier.process_events().unwrap();
    }
    let got = calls.lock().unwrap().clone();
    assert_eq!(
        got,
        [
            "default IN_CREATE",
            "close_write IN_CLOSE_WRITE",
            "close IN_CLOSE_NOWRITE"
        ]
    );
}

#[test]
fn proc_fun_receives_its_watch_events_instead_of_default() {
    let dir = TempDir::new("procfun");
    std::fs::create_dir(dir.join("a")).unwrap();
    std::fs::create_dir(dir.join("b")).unwrap();
    let wm = WatchManager::new().unwrap();
    let own: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = own.clone();
    let options = WatchOptions {
        proc_fun: Some(shared(move |e: &Event| {
            sink.lock().unwrap().push(e.clone());
        })),
        ..WatchOptions::default()
    };
    wm.add_watch(dir.join("a"), WatchMask::CREATE, &options)
        .unwrap();
    wm.add_watch(dir.join("b"), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let (mut notifier, default) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::write(dir.join("a/x"), b"").unwrap();
    std::fs::write(dir.join("b/y"), b"").unwrap();
    assert!(pump_until(
        &mut notifier,
        &default,
        Duration::from_secs(5),
        |e| !e.is_empty()
    ));
    assert!(pump_until(
        &mut notifier,
        &own,
        Duration::from_secs(5),
        |e| !e.is_empty()
    ));
    assert_eq!(own.lock().unwrap()[0].pathname(), dir.join("a/x"));
    assert!(
        default
            .lock()
            .unwrap()
            .iter()
            .all(|e| e.pathname() == dir.join("b/y"))
    );
}

#[test]
fn chain_if_true_inner_runs_first_and_can_stop_the_chain() {
    let dir = TempDir::new("chain");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let order: Arc<Mutex<Vec<String>>> = Arc::default();
    let (o1, o2) = (order.clone(), order.clone());
    let chain = ChainIfTrue::new(
        move |e: &Event| {
            let name = e.name().unwrap().to_os_string().into_string().unwrap();
            o1.lock().unwrap().push(format!("inner {name}"));
            !name.starts_with("skip")
        },
        move |e: &Event| {
            let name = e.name().unwrap().to_os_string().into_string().unwrap();
            o2.lock().unwrap().push(format!("outer {name}"));
        },
    );
    let mut notifier = NotifierBuilder::new().build(&wm, chain).unwrap();
    std::fs::write(dir.join("keep"), b"").unwrap();
    std::fs::write(dir.join("skip"), b"").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while order.lock().unwrap().len() < 3 && std::time::Instant::now() < deadline {
        if notifier
            .check_events(Some(Duration::from_millis(50)))
            .unwrap()
        {
            notifier.read_events().unwrap();
        }
        notifier.process_events().unwrap();
    }
    assert_eq!(
        *order.lock().unwrap(),
        ["inner keep", "outer keep", "inner skip"]
    );
}

#[test]
fn stats_counts_and_dumps_a_table() {
    let dir = TempDir::new("stats");
    let wm = WatchManager::new().unwrap();
    let mask = WatchMask::CREATE | WatchMask::DELETE;
    wm.add_watch(dir.path(), mask, &WatchOptions::default())
        .unwrap();
    let stats = Arc::new(Mutex::new(Stats::new()));
    let feed = stats.clone();
    let mut notifier = NotifierBuilder::new()
        .build(&wm, move |e: &Event| {
            inotify_notify::dispatch(&mut *feed.lock().unwrap(), e);
        })
        .unwrap();
    std::fs::write(dir.join("a"), b"").unwrap();
    std::fs::remove_file(dir.join("a")).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while stats.lock().unwrap().count(EventKind::Delete) == 0
        && std::time::Instant::now() < deadline
    {
        if notifier
            .check_events(Some(Duration::from_millis(50)))
            .unwrap()
        {
            notifier.read_events().unwrap();
        }
        notifier.process_events().unwrap();
    }
    let stats = stats.lock().unwrap();
    assert_eq!(stats.count(EventKind::Create), 1);
    assert_eq!(stats.count(EventKind::Delete), 1);
    let dump = dir.join("stats.txt");
    stats.dump(&dump).unwrap();
    let text = std::fs::read_to_string(&dump).unwrap();
    assert!(text.starts_with("Stats after"), "{text}");
    assert!(
        text.contains("IN_CREATE") && text.contains("IN_DELETE"),
        "{text}"
    );
}

/// A writer into a shared buffer.
struct Shared(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn print_all_events_writes_one_line_per_event() {
    let dir = TempDir::new("printall");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let buffer: Arc<Mutex<Vec<u8>>> = Arc::default();
    let mut notifier = NotifierBuilder::new()
        .build(&wm, PrintAllEvents::new(Shared(buffer.clone())))
        .unwrap();
    std::fs::write(dir.join("f"), b"").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while buffer.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        if notifier
            .check_events(Some(Duration::from_millis(50)))
            .unwrap()
        {
            notifier.read_events().unwrap();
        }
        notifier.process_events().unwrap();
    }
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    assert!(text.contains("mask=IN_CREATE"), "{text}");
    assert_eq!(text.lines().count(), 1);
}

/// Friction (issue 11): the notifier gives its handler back, typed.
#[test]
fn notifier_hands_its_handler_back() {
    let dir = TempDir::new("handler-back");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let mut notifier = inotify_notify::Notifier::new(&wm, Stats::new()).unwrap();
    std::fs::write(dir.join("f"), b"").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    notifier
        .run(|n| n.handler().count(EventKind::Create) > 0 || std::time::Instant::now() > deadline)
        .unwrap();
    assert_eq!(notifier.handler_mut().count(EventKind::Create), 1);
    let stats: Stats = notifier.into_handler();
    assert_eq!(stats.count(EventKind::Create), 1);
}

/// Friction (issue 11): a shared handler (`Arc<Mutex<H>>`, as `shared()`
/// makes) can be the default handler, and the program reads it through
/// its own clone; closures infer their argument through `from_fn`.
#[test]
fn shared_handler_is_a_default_handler_and_from_fn_infers() {
    let dir = TempDir::new("shared-default");
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let stats = Arc::new(Mutex::new(Stats::new()));
    let mut threaded = inotify_notify::ThreadedNotifier::new(&wm, Arc::clone(&stats)).unwrap();
    threaded.start().unwrap();
    let names: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&names);
    // `|e| ...` with no type: `from_fn` carries the `FnMut(&Event)` bound.
    let mut direct = inotify_notify::Notifier::new(
        &wm,
        inotify_notify::from_fn(move |e| sink.lock().unwrap().push(e.maskname())),
    )
    .unwrap();
    std::fs::write(dir.join("f"), b"").unwrap();
    // The manager is shared by both notifiers: whichever reads first gets
    // the event.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let seen = || {
        let counted = stats.lock().unwrap().count(EventKind::Create);
        counted + u64::try_from(names.lock().unwrap().len()).unwrap()
    };
    while seen() == 0 && std::time::Instant::now() < deadline {
        if direct
            .check_events(Some(Duration::from_millis(10)))
            .unwrap()
        {
            direct.read_events().unwrap();
            direct.process_events().unwrap();
        }
    }
    assert_eq!(seen(), 1, "one CREATE, counted by one of the two");
    threaded.stop().unwrap();
}

/// Friction (issue 11): a partly configured builder can be stored and
/// cloned; `Notifier::stop` ends `run` like pyinotify's.
#[test]
fn builder_is_storable_and_notifier_stop_ends_run() {
    struct Config {
        builder: NotifierBuilder,
    }
    let config = Config {
        builder: NotifierBuilder::new().read_freq(Duration::from_millis(1)),
    };
    let builder = config.builder.clone().coalesce_events(true);
    let wm = WatchManager::new().unwrap();
    let mut notifier = builder.build(&wm, inotify_notify::from_fn(|_| {})).unwrap();
    let mut rounds = 0;
    notifier
        .run(|n| {
            rounds += 1;
            n.stop();
            rounds > 100
        })
        .unwrap();
    assert_eq!(rounds, 1);
    assert!(!notifier.check_events(Some(Duration::ZERO)).unwrap());
}
