//! settle group: what the settling layer adds to the plain notifier. The
//! kernel queue is pre-filled with N events (create, write, close, chmod,
//! delete of many files: each file's window nets to nothing, the worst
//! case of a map entry made and dropped per file), then drained by a
//! `Notifier` with a no-op handler (the baseline of the same run) and by
//! a `SettleNotifier` (the same notifier feeding a settler), whose window
//! is closed after the drain; CPU time of the drain. `settler-feed` is the state machine
//! alone on the same events, pre-built, without a kernel.
//!
//! A paired pass follows criterion's: rounds in which both notifier
//! contenders fill and drain once, in rotating order; the median ratio to
//! the plain notifier is printed (`settle paired ...`) — the target is at
//! most 1.10.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use benches::{
    DRAIN_MASK, EVENTS_PER_FILE, QueueFiller, SENTINEL_EVENTS, TempDir, cpu_time, paired_lines,
    paired_rounds,
};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use inotify_notify::{
    Event, EventMask, Notifier, SettleNotifier, SettleOptions, Settler, WatchDescriptor,
    WatchManager, WatchOptions,
};

/// Events per drain (fits the default `max_queued_events`).
const EVENTS: usize = 10_000;

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// The plain notifier, or the settling one.
enum Loop {
    Plain(Box<Notifier>),
    Settle(Box<SettleNotifier>),
}

/// A notifier on its own directory.
struct Contender {
    _tmp: TempDir,
    filler: QueueFiller,
    notifier: Loop,
}

impl Contender {
    fn new(name: &str, settle: bool) -> Self {
        let tmp = TempDir::in_memory(name).expect("temp dir");
        let path: PathBuf = tmp.path().to_path_buf();
        let wm = WatchManager::new().expect("watch manager");
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        wm.add_watch(&path, DRAIN_MASK, &options).expect("watch");
        let notifier = if settle {
            let options = SettleOptions {
                list_tree: false,
                ..SettleOptions::default()
            };
            Loop::Settle(Box::new(
                SettleNotifier::new(&wm, options).expect("settle notifier"),
            ))
        } else {
            Loop::Plain(Box::new(
                Notifier::new(&wm, |event: &Event| {
                    black_box(event);
                })
                .expect("notifier")
                .into_dyn(),
            ))
        };
        Contender {
            filler: QueueFiller::new(&path),
            _tmp: tmp,
            notifier,
        }
    }

    /// Fills, then returns the CPU time of the drain (and of closing the
    /// settle window).
    fn round(&mut self, files: usize) -> Duration {
        self.filler.fill(files).expect("fill the queue");
        let start = cpu_time();
        match &mut self.notifier {
            Loop::Plain(notifier) => {
                while notifier.check_events(Some(Duration::ZERO)).expect("poll") {
                    notifier.read_events().expect("read");
                    notifier.process_events().expect("dispatch");
                }
            }
            Loop::Settle(settle) => {
                // Reads and settles all that is queued, then closes the
                // window (its changes net to nothing).
                black_box(settle.next_batch(Some(Duration::ZERO)).expect("settle"));
                black_box(settle.flush());
            }
        }
        cpu_time().saturating_sub(start)
    }
}

/// The filler's pattern as events for the settler alone.
fn synthetic(files: usize) -> Vec<Event> {
    let wd = WatchDescriptor::from_raw(1);
    let masks = [
        EventMask::CREATE,
        EventMask::OPEN,
        EventMask::MODIFY,
        EventMask::CLOSE_WRITE,
        EventMask::ATTRIB,
        EventMask::DELETE,
    ];
    (0..files)
        .flat_map(|i| {
            let name = format!("f{i}");
            masks
                .iter()
                .map(move |&mask| Event::new(wd, mask, 0, "/d".as_ref(), Some(name.as_ref())))
        })
        .collect()
}

fn settle(c: &mut Criterion) {
    let files = QueueFiller::files_for(EVENTS.saturating_sub(SENTINEL_EVENTS));
    let events = files * EVENTS_PER_FILE + SENTINEL_EVENTS;
    let mut all = [
        ("notifier", Contender::new("settle-plain", false)),
        ("notifier+settle", Contender::new("settle-settled", true)),
    ];
    let mut group = c.benchmark_group("settle");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    if quick() {
        group.warm_up_time(Duration::from_millis(100));
        group.measurement_time(Duration::from_millis(300));
    } else {
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(1));
    }
    group.throughput(Throughput::Elements(events as u64));
    for (name, contender) in &mut all {
        group.bench_function(BenchmarkId::new(*name, EVENTS), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| contender.round(files)).sum());
        });
    }
    let feed = synthetic(files);
    group.bench_function(BenchmarkId::new("settler-feed", EVENTS), |b| {
        b.iter(|| {
            let mut settler = Settler::new(SettleOptions::default());
            let now = Instant::now();
            for event in &feed {
                settler.feed(event, now);
            }
            black_box(settler.flush())
        });
    });
    group.finish();
    let rounds = if quick() { 15 } else { 40 };
    let times = paired_rounds(rounds, all.len(), |i| all[i].1.round(files).as_secs_f64());
    let names: Vec<&str> = all.iter().map(|(name, _)| *name).collect();
    let units = f64::from(u32::try_from(events).unwrap_or(u32::MAX));
    eprint!(
        "settle paired (size name ratio q1 q3 rounds ns/event):\n{}",
        paired_lines(EVENTS, &names, &times, units)
    );
}

criterion_group!(benches, settle);
criterion_main!(benches);
