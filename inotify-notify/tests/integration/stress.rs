//! The model-checking stress test (issue 4): at least 10,000 seeded random
//! operations against a recursively watched root with `auto_add`; the
//! consumer's picture must equal a fresh walk and no entry may be created
//! twice. `STRESS_OPS` and `STRESS_SEED` override the defaults.

use std::time::Instant;

use inotify_notify::WatchManager;

use crate::stress_model::{Run, ops_from_env, run, walk};
use crate::support::TempDir;

#[test]
fn random_tree_operations_leave_the_consumer_in_line_with_the_disk() {
    let seed = std::env::var("STRESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_1234);
    let ops = ops_from_env(10_000);
    let dir = TempDir::new("stress");
    let outside = TempDir::new("stress-outside");
    let root = dir.join("root");
    std::fs::create_dir(&root).unwrap();
    let wm = WatchManager::new().unwrap();
    let start = Instant::now();
    let model = run(
        &wm,
        &root,
        outside.path(),
        &Run {
            ops,
            seed,
            rescan: false,
            batch: 100,
        },
    );
    let model = model.lock().unwrap();
    let real = walk(&root);
    eprintln!(
        "stress: seed {seed:#x}, {ops} ops, {} entries, {} synthetic events, {:?}",
        real.len(),
        model.synthetic,
        start.elapsed()
    );
    if !model.duplicates.is_empty() || model.entries != real {
        let trace = std::env::temp_dir().join(format!("stress-trace-{seed:#x}.txt"));
        let _ = std::fs::write(&trace, model.log.join("\n"));
        eprintln!("event trace written to {}", trace.display());
    }
    assert_eq!(model.overflows, 0, "seed {seed:#x}: unexpected overflow");
    assert!(
        model.duplicates.is_empty(),
        "seed {seed:#x}: created twice: {:?}",
        model.duplicates
    );
    if model.entries != real {
        let missing: Vec<_> = real
            .iter()
            .filter(|(k, v)| model.entries.get(*k) != Some(v))
            .collect();
        let extra: Vec<_> = model
            .entries
            .iter()
            .filter(|(k, v)| real.get(*k) != Some(v))
            .collect();
        panic!("seed {seed:#x}: model differs from disk\nmissing: {missing:?}\nextra: {extra:?}");
    }
}
