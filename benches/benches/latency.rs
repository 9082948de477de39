//! latency group: one file created while the reader sleeps in the kernel →
//! the reader (or handler) sees its `CREATE`. Each sample is the wall time
//! from just before `open(O_CREAT)` to the reader's timestamp, taken on the
//! reader's thread. Criterion gets the sum (its figures are means); the p50
//! and p99 over every sample are written to `latency-<id>.json` in the
//! results directory for the report.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::ffi::OsStr;
use std::fs::{self, File};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use benches::{Percentiles, RawDrain, TempDir, write_result};
use criterion::measurement::WallTime;
use criterion::{Bencher, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use inotify_core::{EventBuffer, Events, Inotify, WatchMask};
use inotify_notify::{Notifier, ThreadedNotifier, WatchManager, WatchOptions};

/// Longest wait for one event.
const DEADLINE: Duration = Duration::from_secs(10);

/// Pause between samples, so that each file is created while the reader
/// is idle, blocked in the kernel.
const IDLE: Duration = Duration::from_micros(50);

/// The name that tells a reader thread to stop.
const STOP: &str = "stop";

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// What a reader thread reports: the time it saw a `CREATE` of a sample
/// file, or that it stopped.
enum Seen {
    Created(Instant),
    Stopped,
}

/// Turns one read's records into reports; returns `false` on the stop name.
fn report(events: Events<'_>, now: Instant, tx: &Sender<Seen>) -> bool {
    for event in events {
        if event.name == Some(OsStr::new(STOP)) {
            let _ = tx.send(Seen::Stopped);
            return false;
        }
        let _ = tx.send(Seen::Created(now));
    }
    true
}

/// Runs the timed samples against a reader that reports on `rx`.
fn sample(b: &mut Bencher<'_>, dir: &Path, rx: &Receiver<Seen>, all: &mut Vec<Duration>) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for i in 0..iters {
            let path = dir.join(format!("f{i}"));
            thread::sleep(IDLE);
            let start = Instant::now();
            drop(File::create(&path).expect("create"));
            let Seen::Created(seen) = rx
                .recv_timeout(DEADLINE)
                .expect("event within the deadline")
            else {
                panic!("reader stopped early");
            };
            let latency = seen.saturating_duration_since(start);
            total += latency;
            all.push(latency);
            fs::remove_file(&path).expect("remove");
        }
        total
    });
}

/// Stops the reader by creating the stop file, then writes percentiles.
fn finish(
    id: &str,
    dir: &Path,
    rx: &Receiver<Seen>,
    reader: Option<thread::JoinHandle<()>>,
    all: &mut [Duration],
) {
    drop(File::create(dir.join(STOP)).expect("create stop file"));
    loop {
        if let Seen::Stopped = rx.recv_timeout(DEADLINE).expect("reader stops") {
            break;
        }
    }
    if let Some(reader) = reader {
        reader.join().expect("reader thread");
    }
    fs::remove_file(dir.join(STOP)).expect("remove stop file");
    if let Some(p) = Percentiles::of(all) {
        write_result(&format!("latency-{id}.json"), &p.to_json()).expect("write percentiles");
        eprintln!(
            "latency/{id}: p50 {:?} p99 {:?} over {} samples",
            p.p50, p.p99, p.count
        );
    }
}

fn bench_raw(group: &mut BenchmarkGroup<'_, WallTime>, dir: &Path) {
    let (tx, rx) = mpsc::channel();
    let mut raw = RawDrain::new(dir, WatchMask::CREATE).expect("raw instance");
    let reader = thread::spawn(move || {
        loop {
            let bytes = raw.read_blocking().expect("raw read");
            let now = Instant::now();
            if !report(Events::new(bytes), now, &tx) {
                return;
            }
        }
    });
    let mut all = Vec::new();
    group.bench_function("raw", |b| sample(b, dir, &rx, &mut all));
    finish("raw", dir, &rx, Some(reader), &mut all);
}

fn bench_core(group: &mut BenchmarkGroup<'_, WallTime>, dir: &Path) {
    let (tx, rx) = mpsc::channel();
    let inotify = Inotify::init().expect("init");
    inotify.add_watch(dir, WatchMask::CREATE).expect("watch");
    let reader = thread::spawn(move || {
        let mut buffer = EventBuffer::new();
        loop {
            let events = inotify.read_events(&mut buffer).expect("read");
            let now = Instant::now();
            if !report(events, now, &tx) {
                return;
            }
        }
    });
    let mut all = Vec::new();
    group.bench_function("core", |b| sample(b, dir, &rx, &mut all));
    finish("core", dir, &rx, Some(reader), &mut all);
}

fn bench_notify_crate(group: &mut BenchmarkGroup<'_, WallTime>, dir: &Path) {
    use notify::Watcher as _;
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let now = Instant::now();
        let Ok(event) = event else { return };
        if !matches!(event.kind, notify::EventKind::Create(_)) {
            return;
        }
        let stop = event
            .paths
            .first()
            .is_some_and(|p| p.file_name() == Some(OsStr::new(STOP)));
        let _ = tx.send(if stop {
            Seen::Stopped
        } else {
            Seen::Created(now)
        });
    })
    .expect("notify watcher");
    watcher
        .watch(dir, notify::RecursiveMode::NonRecursive)
        .expect("notify watch");
    let mut all = Vec::new();
    group.bench_function("notify-crate", |b| sample(b, dir, &rx, &mut all));
    finish("notify-crate", dir, &rx, None, &mut all);
}

fn bench_notifier(group: &mut BenchmarkGroup<'_, WallTime>, dir: &Path) {
    let (tx, rx) = mpsc::channel();
    let wm = WatchManager::new().expect("watch manager");
    wm.add_watch(dir, WatchMask::CREATE, &WatchOptions::default())
        .expect("watch");
    let mut notifier = Notifier::new(&wm, move |event: &inotify_notify::Event| {
        let now = Instant::now();
        let stop = event.name() == Some(OsStr::new(STOP));
        let _ = tx.send(if stop {
            Seen::Stopped
        } else {
            Seen::Created(now)
        });
    })
    .expect("notifier");
    let stop = notifier.stop_handle();
    let reader = thread::spawn(move || {
        notifier.run(|_| false).expect("notifier loop");
    });
    let mut all = Vec::new();
    group.bench_function("notifier", |b| sample(b, dir, &rx, &mut all));
    finish("notifier", dir, &rx, None, &mut all);
    stop.stop();
    reader.join().expect("notifier thread");
}

fn bench_threaded_channel(group: &mut BenchmarkGroup<'_, WallTime>, dir: &Path) {
    let wm = WatchManager::new().expect("watch manager");
    wm.add_watch(dir, WatchMask::CREATE, &WatchOptions::default())
        .expect("watch");
    let (mut notifier, events) = ThreadedNotifier::channel(&wm, 1024).expect("channel");
    notifier.start().expect("start");
    // The consumer thread stamps when `recv` returns: the latency a
    // user of channel mode sees, thread hand-off included.
    let (tx, rx) = mpsc::channel();
    let relay = thread::spawn(move || {
        while let Ok(event) = events.recv() {
            let now = Instant::now();
            let stop = event.name() == Some(OsStr::new(STOP));
            let _ = tx.send(if stop {
                Seen::Stopped
            } else {
                Seen::Created(now)
            });
            if stop {
                return;
            }
        }
    });
    let mut all = Vec::new();
    group.bench_function("threaded-channel", |b| sample(b, dir, &rx, &mut all));
    finish("threaded-channel", dir, &rx, Some(relay), &mut all);
    notifier.stop().expect("stop");
}

fn latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("latency");
    if quick() {
        group.warm_up_time(Duration::from_millis(200));
        group.measurement_time(Duration::from_millis(300));
    } else {
        group.measurement_time(Duration::from_secs(1));
    }
    let tmp = TempDir::in_memory("latency").expect("temp dir");
    let dir = tmp.path().to_path_buf();
    bench_raw(&mut group, &dir);
    bench_core(&mut group, &dir);
    bench_notify_crate(&mut group, &dir);
    bench_notifier(&mut group, &dir);
    bench_threaded_channel(&mut group, &dir);
    group.finish();
}

criterion_group!(benches, latency);
criterion_main!(benches);
