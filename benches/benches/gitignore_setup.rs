//! gitignore-setup group (issue 15: "setup time scales with the kept
//! part"): a recursive `WatchManager::add_watch` with `--gitignore`'s
//! rules on a checkout whose `.gitignore` ignores `target/` and
//! `node_modules/` (50k ignored directories, 1k kept under `src/`),
//! against the same add of a plain tree of the kept size with no rules.
//! Ignored directories are neither watched nor listed, so the two should
//! be close; the ratio is the cost of the rules. Wall time of the add;
//! the manager's creation and close are not measured.
//!
//! `BENCH_GITIGNORE_TREE=IGNORED:KEPT` changes the sizes (for a quick
//! check of the group itself, for example `200:20`).

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use benches::{DRAIN_MASK, TempDir, make_tree};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use inotify_notify::{ExcludeFilter, IgnoreRules, WatchManager, WatchOptions};

/// Ignored and kept directories of the checkout (issue 15's figures).
const SIZES: (usize, usize) = (50_000, 1_000);

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// The sizes, from `BENCH_GITIGNORE_TREE` (`IGNORED:KEPT`) or [`SIZES`].
fn sizes() -> (usize, usize) {
    let Some(spec) = std::env::var_os("BENCH_GITIGNORE_TREE") else {
        return SIZES;
    };
    let spec = spec.to_string_lossy().into_owned();
    let parsed = spec
        .split_once(':')
        .and_then(|(i, k)| Some((i.parse().ok()?, k.parse().ok()?)));
    parsed.unwrap_or_else(|| panic!("BENCH_GITIGNORE_TREE={spec}: want IGNORED:KEPT"))
}

/// A checkout in `root`: `.gitignore` ignoring `target/` and
/// `node_modules/` (half of `ignored` directories each) and `kept`
/// directories not ignored (`src` and the tree below it).
fn make_checkout(root: &Path, ignored: usize, kept: usize) -> std::io::Result<()> {
    fs::write(root.join(".gitignore"), "target/\nnode_modules/\n")?;
    for (name, n) in [
        ("target", ignored / 2),
        ("node_modules", ignored - ignored / 2),
    ] {
        fs::create_dir(root.join(name))?;
        make_tree(&root.join(name), n.saturating_sub(1))?;
    }
    fs::create_dir(root.join("src"))?;
    make_tree(&root.join("src"), kept.saturating_sub(1))
}

/// One recursive add of `root` with `filter`; returns its time, after
/// checking that `watches` watches landed.
fn add(root: &Path, filter: Option<ExcludeFilter>, watches: usize) -> Duration {
    let options = WatchOptions {
        rec: true,
        exclude_filter: filter,
        ..WatchOptions::default()
    };
    let wm = WatchManager::new().expect("watch manager");
    let start = Instant::now();
    let added = wm
        .add_watches_summary([root], DRAIN_MASK, &options)
        .expect("add_watch rec");
    let spent = start.elapsed();
    assert_eq!(added.added, watches);
    black_box(added);
    wm.close();
    spent
}

fn gitignore_setup(c: &mut Criterion) {
    let (ignored, kept) = sizes();
    let mut group = c.benchmark_group("gitignore-setup");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    if quick() {
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(1));
    }
    let checkout = TempDir::new("gitignore-checkout").expect("temp dir");
    make_checkout(checkout.path(), ignored, kept).expect("make checkout");
    let plain = TempDir::new("gitignore-plain").expect("temp dir");
    make_tree(plain.path(), kept).expect("make tree");
    // The root and the kept directories, in both trees.
    group.throughput(Throughput::Elements(kept as u64 + 1));
    group.bench_function(BenchmarkId::new("plain", kept), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| add(plain.path(), None, kept + 1)).sum());
    });
    let id = format!("{kept}-kept-{ignored}-ignored");
    group.bench_function(BenchmarkId::new("gitignore", id), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    // Fresh rules each time: their per-directory cache of
                    // parsed rule files is part of the setup.
                    let rules = IgnoreRules::builder()
                        .gitignore(checkout.path())
                        .build()
                        .expect("rules");
                    add(checkout.path(), Some(rules.filter()), kept + 1)
                })
                .sum()
        });
    });
    group.finish();
}

criterion_group!(benches, gitignore_setup);
criterion_main!(benches);
