//! setup group: watching a generated tree of 1k and 10k directories
//! recursively — the raw walk plus one `inotify_add_watch` per directory,
//! `Watcher::add_all`, `WatchManager::add_watch` with `rec`, and the
//! `notify` crate's recursive watcher. Wall time of the add; creating and
//! closing the instance is not measured.
//!
//! With `BENCH_PAIRED=1` a paired pass follows on the 10k tree (rounds in
//! rotating order, ratios to the raw add of the same round), written to
//! `setup-paired.txt` in the results directory.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use benches::{
    DRAIN_MASK, TempDir, make_tree, paired_lines, paired_rounds, raw_add_tree, write_result,
};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use inotify_core::{Inotify, Watcher};
use inotify_notify::{WatchManager, WatchOptions};

/// Directories below the root of each tree.
const TREES: [usize; 2] = [1_000, 10_000];

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// One recursive add of `root` (`dirs` directories below it) on a fresh
/// instance; returns the time of the add alone.
type Adder = fn(&Path, usize) -> Duration;

fn add_raw(root: &Path, dirs: usize) -> Duration {
    let inotify = Inotify::init().expect("init");
    let start = Instant::now();
    let wds = raw_add_tree(&inotify, root, DRAIN_MASK).expect("raw add");
    let spent = start.elapsed();
    assert_eq!(wds.len(), dirs + 1);
    black_box(wds);
    spent
}

fn add_watcher(root: &Path, dirs: usize) -> Duration {
    let mut watcher: Watcher = Watcher::new().expect("init");
    let start = Instant::now();
    let wds = watcher.add_all(root, DRAIN_MASK, (), Err).expect("add_all");
    let spent = start.elapsed();
    assert_eq!(wds.len(), dirs + 1);
    black_box(wds);
    spent
}

fn add_watch_manager(root: &Path, dirs: usize) -> Duration {
    let options = WatchOptions {
        rec: true,
        ..WatchOptions::default()
    };
    let wm = WatchManager::new().expect("watch manager");
    let start = Instant::now();
    let added = wm
        .add_watch(root, DRAIN_MASK, &options)
        .expect("add_watch rec");
    let spent = start.elapsed();
    assert_eq!(added.len(), dirs + 1);
    black_box(added);
    wm.close();
    spent
}

fn add_notify_crate(root: &Path, _dirs: usize) -> Duration {
    use notify::Watcher as _;
    let mut watcher =
        notify::recommended_watcher(|_: notify::Result<notify::Event>| {}).expect("notify watcher");
    let start = Instant::now();
    watcher
        .watch(root, notify::RecursiveMode::Recursive)
        .expect("notify watch");
    start.elapsed()
}

const CONTENDERS: [(&str, Adder); 4] = [
    ("raw", add_raw),
    ("watcher", add_watcher),
    ("watch-manager", add_watch_manager),
    ("notify-crate", add_notify_crate),
];

fn setup(c: &mut Criterion) {
    let mut group = c.benchmark_group("setup");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    if quick() {
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(1));
    }
    let mut trees = Vec::new();
    for dirs in TREES {
        let tmp = TempDir::new("setup").expect("temp dir");
        make_tree(tmp.path(), dirs).expect("make tree");
        group.throughput(Throughput::Elements(dirs as u64 + 1));
        for (name, add) in CONTENDERS {
            group.bench_function(BenchmarkId::new(name, dirs), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| add(tmp.path(), dirs)).sum());
            });
        }
        trees.push((dirs, tmp));
    }
    group.finish();

    if std::env::var_os("BENCH_PAIRED").is_some_and(|v| v != "0")
        && let Some((dirs, tmp)) = trees.last()
    {
        let rounds = if quick() { 10 } else { 25 };
        let times = paired_rounds(rounds, CONTENDERS.len(), |i| {
            (CONTENDERS[i].1)(tmp.path(), *dirs).as_secs_f64()
        });
        let names: Vec<&str> = CONTENDERS.iter().map(|(name, _)| *name).collect();
        let watches = f64::from(u32::try_from(*dirs + 1).unwrap_or(u32::MAX));
        let lines = paired_lines(*dirs, &names, &times, watches);
        eprint!("setup paired (size name ratio q1 q3 rounds ns/watch):\n{lines}");
        write_result("setup-paired.txt", &lines).expect("write paired results");
    }
}

criterion_group!(benches, setup);
criterion_main!(benches);
