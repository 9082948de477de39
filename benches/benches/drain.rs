//! drain group: the kernel queue pre-filled with N events (create, write,
//! close, chmod, delete of many files, while nobody reads), then drained by
//! each contender. Filling is outside the measurement; what is reported is
//! the process CPU time of the drain (all threads), so a contender that
//! reads on its own thread pays for it. The raw `read(2)` loop is the
//! baseline of the same run.
//!
//! Each contender watches a directory of its own, so one contender's fills
//! never queue events for another. With `BENCH_PAIRED=1` (set by `cargo
//! xtask bench-report`), a paired pass follows criterion's: rounds in which
//! every contender fills and drains once, in rotating order, so that load
//! from elsewhere on the machine hits all of them alike; the median over
//! rounds of each contender's ratio to the raw loop of the same round is
//! written to `drain-paired.txt` in the results directory.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use benches::{
    DRAIN_MASK, EVENTS_PER_FILE, LimitGuard, QueueFiller, RawDrain, SENTINEL_EVENTS, TempDir,
    cpu_time, is_root, paired_lines, paired_rounds, write_result,
};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use inotify_core::{EventBuffer, InitOptions, Inotify, Limit, Watcher};
use inotify_notify::{EventMask, Notifier, ThreadedNotifier, WatchManager, WatchOptions};

/// Events per drain: one size that fits the default `max_queued_events`
/// (16384), one that needs it raised (root only).
const SMALL: usize = 10_000;
const LARGE: usize = 200_000;

/// Longest wait for a threaded contender to deliver the sentinel.
const DEADLINE: Duration = Duration::from_mins(1);

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// A gate that holds a reader thread inside its event handler while the
/// queue is filled, then lets it go and waits for the sentinel.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    cond: Condvar,
}

#[derive(Default)]
struct GateState {
    /// The handler may proceed.
    open: bool,
    /// The handler is parked at the closed gate.
    parked: bool,
    /// The path whose removal ends the drain.
    sentinel: Option<PathBuf>,
    /// The sentinel's removal was seen.
    done: bool,
    /// Events seen since the gate opened.
    seen: usize,
}

impl Gate {
    /// Called by the reader thread for every event.
    fn on_event(&self, removed: Option<&Path>) {
        let mut state = self.state.lock().expect("gate lock");
        while !state.open {
            state.parked = true;
            self.cond.notify_all();
            state = self.cond.wait(state).expect("gate wait");
        }
        state.seen += 1;
        if removed.is_some() && removed == state.sentinel.as_deref() {
            state.done = true;
            self.cond.notify_all();
        }
    }

    /// Closes the gate; `trigger` makes an event that parks the reader.
    fn close_and_park(&self, trigger: impl FnOnce()) {
        let mut state = self.state.lock().expect("gate lock");
        state.open = false;
        state.parked = false;
        state.done = false;
        drop(state);
        trigger();
        let state = self.state.lock().expect("gate lock");
        let (state, timeout) = self
            .cond
            .wait_timeout_while(state, DEADLINE, |s| !s.parked)
            .expect("gate wait");
        assert!(!timeout.timed_out(), "reader never parked at the gate");
        drop(state);
    }

    /// Opens the gate and waits until the reader has seen `sentinel` go.
    fn release_until(&self, sentinel: PathBuf) -> usize {
        let mut state = self.state.lock().expect("gate lock");
        state.sentinel = Some(sentinel);
        state.seen = 0;
        state.open = true;
        self.cond.notify_all();
        let (state, timeout) = self
            .cond
            .wait_timeout_while(state, DEADLINE, |s| !s.done)
            .expect("gate wait");
        assert!(!timeout.timed_out(), "sentinel not delivered in time");
        state.seen
    }
}

/// One way of draining the queue.
trait Contender {
    /// One round: fills the queue of this contender's directory with
    /// `files` files' events, then drains it. Returns the CPU time of the
    /// drain alone.
    fn round(&mut self, files: usize) -> Duration;
}

/// A contender's own watched directory and its filler.
struct Dir {
    _tmp: TempDir,
    path: PathBuf,
    filler: QueueFiller,
}

impl Dir {
    fn new(name: &str) -> Self {
        let tmp = TempDir::in_memory(name).expect("temp dir");
        let path = tmp.path().to_path_buf();
        Dir {
            filler: QueueFiller::new(&path),
            path,
            _tmp: tmp,
        }
    }

    /// Fills, then returns the CPU time `drain` takes, checking that it saw
    /// `queued` events when it counts them (`None`: it does not).
    fn timed(&mut self, files: usize, drain: impl FnOnce() -> Option<usize>) -> Duration {
        let queued = self.filler.fill(files).expect("fill the queue");
        let start = cpu_time();
        let seen = drain();
        let spent = cpu_time().saturating_sub(start);
        if let Some(seen) = seen {
            assert_eq!(seen, queued, "events lost (queue overflow?)");
        }
        spent
    }
}

struct Raw {
    dir: Dir,
    raw: RawDrain,
}

impl Contender for Raw {
    fn round(&mut self, files: usize) -> Duration {
        let raw = &mut self.raw;
        self.dir
            .timed(files, || Some(raw.drain().expect("raw drain").events))
    }
}

struct Core {
    dir: Dir,
    inotify: Inotify,
    buffer: EventBuffer,
}

impl Contender for Core {
    fn round(&mut self, files: usize) -> Duration {
        let (inotify, buffer) = (&self.inotify, &mut self.buffer);
        self.dir.timed(files, || {
            let mut seen = 0;
            loop {
                let mut batch = 0;
                for event in inotify.try_read_events(buffer).expect("read") {
                    black_box((event.wd, event.mask, event.cookie, event.name));
                    batch += 1;
                }
                if batch == 0 {
                    return Some(seen);
                }
                seen += batch;
            }
        })
    }
}

struct CoreWatcher {
    dir: Dir,
    watcher: Watcher,
}

impl Contender for CoreWatcher {
    fn round(&mut self, files: usize) -> Duration {
        let watcher = &mut self.watcher;
        self.dir.timed(files, || {
            let mut seen = 0;
            loop {
                let mut batch = 0;
                for event in watcher.try_read().expect("read") {
                    black_box((event.path(), event.event.mask, event.event.name));
                    batch += 1;
                }
                if batch == 0 {
                    return Some(seen);
                }
                seen += batch;
            }
        })
    }
}

struct InotifyCrate {
    dir: Dir,
    inotify: inotify::Inotify,
    buffer: Vec<u8>,
}

impl Contender for InotifyCrate {
    fn round(&mut self, files: usize) -> Duration {
        let (inotify, buffer) = (&mut self.inotify, &mut self.buffer);
        self.dir.timed(files, || {
            let mut seen = 0;
            loop {
                match inotify.read_events(buffer) {
                    Ok(events) => {
                        for event in events {
                            black_box((&event.wd, event.mask, event.cookie, event.name));
                            seen += 1;
                        }
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => return Some(seen),
                    Err(err) => panic!("inotify crate read: {err}"),
                }
            }
        })
    }
}

/// The `notify` crate: its own thread reads; the handler parks at a gate
/// while the queue fills.
struct NotifyCrate {
    dir: Dir,
    gate: Arc<Gate>,
    _watcher: notify::RecommendedWatcher,
    rounds: u64,
}

impl Contender for NotifyCrate {
    fn round(&mut self, files: usize) -> Duration {
        self.rounds += 1;
        let primer = self.dir.path.join(format!("primer-{}", self.rounds));
        self.gate.close_and_park(|| {
            std::fs::write(&primer, b"").expect("create primer");
        });
        std::fs::remove_file(&primer).expect("remove primer");
        self.dir.filler.fill(files).expect("fill the queue");
        let sentinel = self.dir.path.join(self.dir.filler.sentinel_name());
        let start = cpu_time();
        black_box(self.gate.release_until(sentinel));
        cpu_time().saturating_sub(start)
    }
}

/// The options of the notifier contenders: a recursive watch with
/// auto-add, the full bookkeeping `inotifywait -m -r` relies on.
fn notify_options() -> WatchOptions {
    WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    }
}

struct NotifierNoop {
    dir: Dir,
    notifier: Notifier,
}

impl Contender for NotifierNoop {
    fn round(&mut self, files: usize) -> Duration {
        let notifier = &mut self.notifier;
        self.dir.timed(files, || {
            while notifier.check_events(Some(Duration::ZERO)).expect("poll") {
                notifier.read_events().expect("read");
                notifier.process_events().expect("dispatch");
            }
            None
        })
    }
}

/// `ThreadedNotifier` in channel mode: a fresh one per round (it reads from
/// the moment it starts, so the queue is filled before `start`); the
/// timing runs from `start` to the sentinel's arrival on the channel.
struct ThreadedChannel {
    dir: Dir,
}

impl Contender for ThreadedChannel {
    fn round(&mut self, files: usize) -> Duration {
        let wm = WatchManager::new().expect("watch manager");
        wm.add_watch(&self.dir.path, DRAIN_MASK, &notify_options())
            .expect("watch");
        let (mut notifier, rx) = ThreadedNotifier::channel(&wm, 4096).expect("channel notifier");
        let queued = self.dir.filler.fill(files).expect("fill the queue");
        let sentinel = std::ffi::OsString::from(self.dir.filler.sentinel_name());
        let start = cpu_time();
        notifier.start().expect("start");
        let mut seen = 0usize;
        loop {
            let event = rx
                .recv_timeout(DEADLINE)
                .expect("event before the deadline");
            seen += 1;
            if event.mask.contains(EventMask::DELETE) && event.name() == Some(sentinel.as_os_str())
            {
                break;
            }
        }
        let spent = cpu_time().saturating_sub(start);
        black_box((seen, queued));
        notifier.stop().expect("stop");
        spent
    }
}

/// Every contender, in report order, each on a directory of its own.
fn contenders() -> Vec<(&'static str, Box<dyn Contender>)> {
    let nonblocking = InitOptions { nonblocking: true };
    let raw = {
        let dir = Dir::new("drain-raw");
        let raw = RawDrain::new(&dir.path, DRAIN_MASK).expect("raw instance");
        Raw { dir, raw }
    };
    let core = {
        let dir = Dir::new("drain-core");
        let inotify = Inotify::init_with(nonblocking).expect("init");
        inotify.add_watch(&dir.path, DRAIN_MASK).expect("watch");
        Core {
            dir,
            inotify,
            buffer: EventBuffer::new(),
        }
    };
    let watcher = {
        let dir = Dir::new("drain-watcher");
        let mut watcher: Watcher =
            Watcher::with_inotify(Inotify::init_with(nonblocking).expect("init"));
        watcher.add(&dir.path, DRAIN_MASK).expect("watch");
        CoreWatcher { dir, watcher }
    };
    let notifier = {
        let dir = Dir::new("drain-notifier");
        let wm = WatchManager::new().expect("watch manager");
        wm.add_watch(&dir.path, DRAIN_MASK, &notify_options())
            .expect("watch");
        let notifier = Notifier::new(&wm, |event: &inotify_notify::Event| {
            black_box(event);
        })
        .expect("notifier")
        .into_dyn();
        NotifierNoop { dir, notifier }
    };
    let threaded = ThreadedChannel {
        dir: Dir::new("drain-threaded"),
    };
    let inotify_crate = {
        let dir = Dir::new("drain-inotify-crate");
        let inotify = inotify::Inotify::init().expect("init");
        let mask = inotify::WatchMask::from_bits_retain(DRAIN_MASK.bits());
        inotify.watches().add(&dir.path, mask).expect("watch");
        InotifyCrate {
            dir,
            inotify,
            buffer: vec![0u8; 64 * 1024],
        }
    };
    vec![
        ("raw", Box::new(raw)),
        ("core", Box::new(core)),
        ("watcher", Box::new(watcher)),
        ("notifier", Box::new(notifier)),
        ("threaded-channel", Box::new(threaded)),
        ("inotify-crate", Box::new(inotify_crate)),
        ("notify-crate", Box::new(notify_crate())),
    ]
}

fn notify_crate() -> NotifyCrate {
    use notify::Watcher as _;
    let dir = Dir::new("drain-notify-crate");
    let gate = Arc::new(Gate::default());
    let handler_gate = Arc::clone(&gate);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let event = event.expect("notify event");
        let removed = matches!(event.kind, notify::EventKind::Remove(_))
            .then(|| event.paths.first().map(PathBuf::as_path))
            .flatten();
        handler_gate.on_event(removed);
    })
    .expect("notify watcher");
    watcher
        .watch(&dir.path, notify::RecursiveMode::NonRecursive)
        .expect("notify watch");
    NotifyCrate {
        dir,
        gate,
        _watcher: watcher,
        rounds: 0,
    }
}

/// Criterion's measurement of every contender at `events`.
fn bench_size(c: &mut Criterion, events: usize, all: &mut [(&'static str, Box<dyn Contender>)]) {
    let mut group = c.benchmark_group("drain");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    // Criterion budgets by the time it is shown (the drains), but every
    // drain costs a fill about ten times longer, so budgets stay small.
    if quick() {
        group.warm_up_time(Duration::from_millis(100));
        group.measurement_time(Duration::from_millis(300));
    } else {
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(1));
    }
    let files = files_for(events);
    group.throughput(Throughput::Elements(
        (files * EVENTS_PER_FILE + SENTINEL_EVENTS) as u64,
    ));
    for (name, contender) in all.iter_mut() {
        group.bench_function(BenchmarkId::new(*name, events), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| contender.round(files)).sum());
        });
    }
    group.finish();
}

fn files_for(events: usize) -> usize {
    QueueFiller::files_for(events.saturating_sub(SENTINEL_EVENTS))
}

/// The paired pass: `rounds` rounds, each contender once per round in
/// rotating order; per contender the median, first and third quartile of
/// its ratio to the same round's raw drain, and its median CPU per event.
fn paired(
    events: usize,
    rounds: usize,
    all: &mut [(&'static str, Box<dyn Contender>)],
    out: &mut String,
) {
    let files = files_for(events);
    let queued =
        f64::from(u32::try_from(files * EVENTS_PER_FILE + SENTINEL_EVENTS).unwrap_or(u32::MAX));
    let times = paired_rounds(rounds, all.len(), |i| all[i].1.round(files).as_secs_f64());
    let names: Vec<&str> = all.iter().map(|(name, _)| *name).collect();
    let lines = paired_lines(events, &names, &times, queued);
    eprint!("drain paired (size name ratio q1 q3 rounds ns/event):\n{lines}");
    out.push_str(&lines);
}

fn drain(c: &mut Criterion) {
    let queue_limit = Limit::MaxQueuedEvents
        .read()
        .expect("read max_queued_events");
    eprintln!("drain: max_queued_events is {queue_limit}");
    // The limit is read when an instance is created: raise it before
    // creating the contenders; the guard restores it when this returns or
    // unwinds.
    let guard = is_root().then(|| {
        LimitGuard::at_least(Limit::MaxQueuedEvents, 262_144).expect("raise max_queued_events")
    });
    let large = guard.is_some() || queue_limit >= LARGE as u64 + 64;
    if !large {
        eprintln!(
            "drain: skipping {LARGE} events: not root and max_queued_events is {queue_limit}"
        );
    }
    let pairing = std::env::var_os("BENCH_PAIRED").is_some_and(|v| v != "0");
    let mut paired_out = String::new();
    let mut all = contenders();
    let small = SMALL.min(usize::try_from(queue_limit).unwrap_or(SMALL) - 16);
    bench_size(c, small, &mut all);
    if pairing {
        paired(
            small,
            if quick() { 15 } else { 40 },
            &mut all,
            &mut paired_out,
        );
    }
    if large {
        bench_size(c, LARGE, &mut all);
        if pairing {
            paired(
                LARGE,
                if quick() { 8 } else { 12 },
                &mut all,
                &mut paired_out,
            );
        }
    }
    drop(all);
    drop(guard);
    if pairing {
        write_result("drain-paired.txt", &paired_out).expect("write paired results");
    }
}

criterion_group!(benches, drain);
criterion_main!(benches);
