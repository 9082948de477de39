//! setup group: watching a generated tree of 1k and 10k directories
//! recursively — the raw walk plus one `inotify_add_watch` per directory,
//! `Watcher::add_all`, `WatchManager::add_watch` with `rec`, and the `notify` crate's recursive watcher. Wall
//! time of the add; creating and closing the instance is not measured.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::{DRAIN_MASK, TempDir, make_tree, raw_add_tree};
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

fn setup(c: &mut Criterion) {
    let mut group = c.benchmark_group("setup");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    if quick() {
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(1));
    }
    for dirs in TREES {
        let tmp = TempDir::new("setup").expect("temp dir");
        make_tree(tmp.path(), dirs).expect("make tree");
        let root = tmp.path();
        let expected_wds = dirs + 1;
        group.throughput(Throughput::Elements(expected_wds as u64));

        group.bench_function(BenchmarkId::new("raw", dirs), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let inotify = Inotify::init().expect("init");
                    let start = Instant::now();
                    let wds = raw_add_tree(&inotify, root, DRAIN_MASK).expect("raw add");
                    total += start.elapsed();
                    assert_eq!(wds.len(), expected_wds);
                    black_box(wds);
                }
                total
            });
        });

        group.bench_function(BenchmarkId::new("watcher", dirs), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut watcher: Watcher = Watcher::new().expect("init");
                    let start = Instant::now();
                    let wds = watcher.add_all(root, DRAIN_MASK, (), Err).expect("add_all");
                    total += start.elapsed();
                    assert_eq!(wds.len(), expected_wds);
                    black_box(wds);
                }
                total
            });
        });

        group.bench_function(BenchmarkId::new("watch-manager", dirs), |b| {
            let options = WatchOptions {
                rec: true,
                ..WatchOptions::default()
            };
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let wm = WatchManager::new().expect("watch manager");
                    let start = Instant::now();
                    let added = wm
                        .add_watch(root, DRAIN_MASK, &options)
                        .expect("add_watch rec");
                    total += start.elapsed();
                    assert_eq!(added.len(), expected_wds);
                    black_box(added);
                    wm.close();
                }
                total
            });
        });

        group.bench_function(BenchmarkId::new("notify-crate", dirs), |b| {
            use notify::Watcher as _;
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut watcher =
                        notify::recommended_watcher(|_: notify::Result<notify::Event>| {})
                            .expect("notify watcher");
                    let start = Instant::now();
                    watcher
                        .watch(root, notify::RecursiveMode::Recursive)
                        .expect("notify watch");
                    total += start.elapsed();
                    drop(watcher);
                }
                total
            });
        });
    }
    group.finish();
}

criterion_group!(benches, setup);
criterion_main!(benches);
