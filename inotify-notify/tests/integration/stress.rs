//! The model-checking stress test (issue 4): at least 10,000 seeded random
//! operations against a recursively watched root with `auto_add`; the
//! consumer's picture must equal a fresh walk and no entry may be created
//! twice. `STRESS_OPS` and `STRESS_SEED` override the defaults. It runs on
//! every backend: inotify, fanotify inode marks, and (as root, on a fresh
//! tmpfs in a private mount namespace) a fanotify filesystem mark.

use std::path::Path;
use std::time::Instant;

use inotify_notify::{Backend, WatchManager};

use crate::fanotify::{Tmpfs, in_mount_namespace};
use crate::stress_model::{Run, ops_from_env, run, walk};
use crate::support::TempDir;

#[test]
fn random_tree_operations_leave_the_consumer_in_line_with_the_disk() {
    let dir = TempDir::new("stress");
    stress(&WatchManager::new().unwrap(), dir.path(), "inotify");
}

/// Seed 16 once reported `f/a/g` twice under parallel load (a new
/// directory's scan found a marked directory renamed to its name and
/// scanned it; that scan now leaves it to its rename record).
#[test]
fn random_tree_operations_on_fanotify_inode_marks_leave_the_consumer_in_line() {
    let dir = TempDir::new("stress-fan");
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    stress(&wm, dir.path(), "fanotify");
}

#[test]
fn random_tree_operations_on_a_filesystem_mark_leave_the_consumer_in_line() {
    let test = "stress::random_tree_operations_on_a_filesystem_mark_leave_the_consumer_in_line";
    if !in_mount_namespace(test) {
        return;
    }
    let dir = TempDir::new("stress-fs");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    let wm = WatchManager::with_backend(Backend::Filesystem).unwrap();
    stress(&wm, &mnt, "filesystem");
}

/// The model check on `wm` (fresh), with the root and the place for moves
/// out and in below `base` (one filesystem, so renames between them work).
fn stress(wm: &WatchManager, base: &Path, backend: &str) {
    let seed = std::env::var("STRESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_1234);
    let ops = ops_from_env(10_000);
    let root = base.join("root");
    let outside = base.join("outside");
    std::fs::create_dir(&root).unwrap();
    std::fs::create_dir(&outside).unwrap();
    let start = Instant::now();
    let model = run(
        wm,
        &root,
        &outside,
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
        "stress ({backend}): seed {seed:#x}, {ops} ops, {} entries, {} synthetic events, {:?}",
        real.len(),
        model.synthetic,
        start.elapsed()
    );
    if !model.duplicates.is_empty() || model.entries != real {
        let trace = std::env::temp_dir().join(format!("stress-trace-{backend}-{seed:#x}.txt"));
        let _ = std::fs::write(&trace, model.log.join("\n"));
        eprintln!("event trace written to {}", trace.display());
    }
    assert_eq!(model.overflows, 0, "seed {seed:#x}: unexpected overflow");
    assert!(
        model.duplicates.is_empty(),
        "{backend}, seed {seed:#x}: created twice: {:?}",
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
        panic!(
            "{backend}, seed {seed:#x}: model differs from disk\nmissing: {missing:?}\nextra: {extra:?}"
        );
    }
}
