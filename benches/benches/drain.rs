//! drain group: the kernel queue pre-filled with N events (create, write,
//! close, chmod, delete of many files, while nobody reads), then drained by
//! each contender. Filling is outside the measurement; what is reported is
//! the process CPU time of the drain (all threads), so a contender that
//! reads on its own thread pays for it. The raw `read(2)` loop is the
//! baseline of the same run.

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
    cpu_time, is_root,
};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main,
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

/// Runs `iters` fill-then-drain rounds and returns the CPU time of the
/// drains alone.
fn timed_drains(
    iters: u64,
    filler: &mut QueueFiller,
    files: usize,
    mut drain: impl FnMut(&QueueFiller, usize) -> usize,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let queued = filler.fill(files).expect("fill the queue");
        let start = cpu_time();
        let seen = drain(filler, queued);
        total += cpu_time().saturating_sub(start);
        black_box(seen);
    }
    total
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

/// `iters` rounds for a contender whose reader runs on its own thread: park
/// the reader at the gate with a primer event, fill the queue, then time
/// (CPU, all threads) from opening the gate until the sentinel arrives.
fn gated_drains(
    iters: u64,
    dir: &Path,
    filler: &mut QueueFiller,
    files: usize,
    gate: &Gate,
) -> Duration {
    let mut total = Duration::ZERO;
    for round in 0..iters {
        let primer = dir.join(format!("primer-{round}"));
        gate.close_and_park(|| {
            std::fs::write(&primer, b"").expect("create primer");
        });
        std::fs::remove_file(&primer).expect("remove primer");
        filler.fill(files).expect("fill the queue");
        let sentinel = dir.join(filler.sentinel_name());
        let start = cpu_time();
        black_box(gate.release_until(sentinel));
        total += cpu_time().saturating_sub(start);
    }
    total
}

/// One drain size: the watched directory, its filler and the sizes.
struct Round {
    dir: PathBuf,
    filler: QueueFiller,
    files: usize,
    /// The nominal size, used as the benchmark parameter.
    events: usize,
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

fn bench_raw(group: &mut Group<'_>, round: &mut Round) {
    let Round {
        dir,
        filler,
        files,
        events,
    } = round;
    group.bench_function(BenchmarkId::new("raw", *events), |b| {
        let mut raw = RawDrain::new(dir, DRAIN_MASK).expect("raw instance");
        b.iter_custom(|iters| {
            timed_drains(iters, filler, *files, |_, queued| {
                let walk = raw.drain().expect("raw drain");
                assert_eq!(walk.events, queued, "raw: events lost (queue overflow?)");
                walk.events
            })
        });
    });
}

fn bench_core(group: &mut Group<'_>, round: &mut Round) {
    let Round {
        dir,
        filler,
        files,
        events,
    } = round;
    group.bench_function(BenchmarkId::new("core", *events), |b| {
        let inotify = Inotify::init_with(InitOptions { nonblocking: true }).expect("init");
        inotify.add_watch(&*dir, DRAIN_MASK).expect("watch");
        let mut buffer = EventBuffer::new();
        b.iter_custom(|iters| {
            timed_drains(iters, filler, *files, |_, queued| {
                let mut seen = 0;
                loop {
                    let mut batch = 0;
                    for event in inotify.try_read_events(&mut buffer).expect("read") {
                        black_box((event.wd, event.mask, event.cookie, event.name));
                        batch += 1;
                    }
                    if batch == 0 {
                        break;
                    }
                    seen += batch;
                }
                assert_eq!(seen, queued, "core: events lost");
                seen
            })
        });
    });
}

fn bench_watcher(group: &mut Group<'_>, round: &mut Round) {
    let Round {
        dir,
        filler,
        files,
        events,
    } = round;
    group.bench_function(BenchmarkId::new("watcher", *events), |b| {
        let inotify = Inotify::init_with(InitOptions { nonblocking: true }).expect("init");
        let mut watcher: Watcher = Watcher::with_inotify(inotify);
        watcher.add(&*dir, DRAIN_MASK).expect("watch");
        b.iter_custom(|iters| {
            timed_drains(iters, filler, *files, |_, queued| {
                let mut seen = 0;
                loop {
                    let mut batch = 0;
                    for event in watcher.try_read().expect("read") {
                        black_box((event.path(), event.event.mask, event.event.name));
                        batch += 1;
                    }
                    if batch == 0 {
                        break;
                    }
                    seen += batch;
                }
                assert_eq!(seen, queued, "watcher: events lost");
                seen
            })
        });
    });
}

fn bench_inotify_crate(group: &mut Group<'_>, round: &mut Round) {
    let Round {
        dir,
        filler,
        files,
        events,
    } = round;
    group.bench_function(BenchmarkId::new("inotify-crate", *events), |b| {
        let mut inotify = inotify::Inotify::init().expect("init");
        let mask = inotify::WatchMask::from_bits_retain(DRAIN_MASK.bits());
        inotify.watches().add(&*dir, mask).expect("watch");
        let mut buffer = vec![0u8; 64 * 1024];
        b.iter_custom(|iters| {
            timed_drains(iters, filler, *files, |_, queued| {
                let mut seen = 0;
                loop {
                    match inotify.read_events(&mut buffer) {
                        Ok(events) => {
                            for event in events {
                                black_box((&event.wd, event.mask, event.cookie, event.name));
                                seen += 1;
                            }
                        }
                        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(err) => panic!("inotify crate read: {err}"),
                    }
                }
                assert_eq!(seen, queued, "inotify crate: events lost");
                seen
            })
        });
    });
}

fn bench_notify_crate(group: &mut Group<'_>, round: &mut Round) {
    use notify::Watcher as _;
    let Round {
        dir,
        filler,
        files,
        events,
    } = round;
    group.bench_function(BenchmarkId::new("notify-crate", *events), |b| {
        let gate = Arc::new(Gate::default());
        let handler_gate = Arc::clone(&gate);
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let event = event.expect("notify event");
                let removed = matches!(event.kind, notify::EventKind::Remove(_))
                    .then(|| event.paths.first().map(PathBuf::as_path))
                    .flatten();
                handler_gate.on_event(removed);
            })
            .expect("notify watcher");
        watcher
            .watch(dir, notify::RecursiveMode::NonRecursive)
            .expect("notify watch");
        b.iter_custom(|iters| gated_drains(iters, dir, filler, *files, &gate));
        drop(watcher);
    });
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

fn bench_notifier(group: &mut Group<'_>, round: &mut Round) {
    let Round {
        dir,
        filler,
        files,
        events,
    } = round;
    group.bench_function(BenchmarkId::new("notifier", *events), |b| {
        let wm = WatchManager::new().expect("watch manager");
        wm.add_watch(&*dir, DRAIN_MASK, &notify_options())
            .expect("watch");
        let mut notifier = Notifier::new(&wm, |event: &inotify_notify::Event| {
            black_box(event);
        })
        .expect("notifier");
        b.iter_custom(|iters| {
            timed_drains(iters, filler, *files, |_, _| {
                let mut rounds = 0;
                while notifier.check_events(Some(Duration::ZERO)).expect("poll") {
                    notifier.read_events().expect("read");
                    notifier.process_events().expect("dispatch");
                    rounds += 1;
                }
                rounds
            })
        });
    });
}

fn bench_threaded_channel(group: &mut Group<'_>, round: &mut Round) {
    let Round {
        dir,
        filler,
        files,
        events,
    } = round;
    group.bench_function(BenchmarkId::new("threaded-channel", *events), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // A fresh notifier per round: it reads from the moment it
                // starts, so the queue is filled before `start`.
                let wm = WatchManager::new().expect("watch manager");
                wm.add_watch(&*dir, DRAIN_MASK, &notify_options())
                    .expect("watch");
                let (mut notifier, rx) =
                    ThreadedNotifier::channel(&wm, 4096).expect("channel notifier");
                filler.fill(*files).expect("fill the queue");
                let sentinel = std::ffi::OsString::from(filler.sentinel_name());
                let start = cpu_time();
                notifier.start().expect("start");
                let mut seen = 0usize;
                loop {
                    let event = rx
                        .recv_timeout(DEADLINE)
                        .expect("event before the deadline");
                    seen += 1;
                    if event.mask.contains(EventMask::DELETE)
                        && event.name.as_deref() == Some(sentinel.as_os_str())
                    {
                        break;
                    }
                }
                total += cpu_time().saturating_sub(start);
                black_box(seen);
                notifier.stop().expect("stop");
            }
            total
        });
    });
}

fn bench_size(group: &mut Group<'_>, events: usize) {
    let tmp = TempDir::in_memory("drain").expect("temp dir");
    let dir = tmp.path().to_path_buf();
    let files = QueueFiller::files_for(events.saturating_sub(SENTINEL_EVENTS));
    let filler = QueueFiller::new(&dir);
    group.throughput(Throughput::Elements(
        (files * EVENTS_PER_FILE + SENTINEL_EVENTS) as u64,
    ));
    let mut round = Round {
        dir,
        filler,
        files,
        events,
    };
    bench_raw(group, &mut round);
    bench_core(group, &mut round);
    bench_watcher(group, &mut round);
    bench_inotify_crate(group, &mut round);
    bench_notify_crate(group, &mut round);
    bench_notifier(group, &mut round);
    bench_threaded_channel(group, &mut round);
}

fn drain(c: &mut Criterion) {
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
    let queue_limit = Limit::MaxQueuedEvents
        .read()
        .expect("read max_queued_events");
    eprintln!("drain: max_queued_events is {queue_limit}");
    bench_size(
        &mut group,
        SMALL.min(usize::try_from(queue_limit).unwrap_or(SMALL) - 16),
    );
    let guard = if is_root() {
        Some(
            LimitGuard::at_least(Limit::MaxQueuedEvents, 262_144).expect("raise max_queued_events"),
        )
    } else if queue_limit >= LARGE as u64 + 64 {
        None
    } else {
        eprintln!(
            "drain: skipping {LARGE} events: not root and max_queued_events is {queue_limit}"
        );
        group.finish();
        return;
    };
    bench_size(&mut group, LARGE);
    drop(guard);
    group.finish();
}

criterion_group!(benches, drain);
criterion_main!(benches);
