//! Helpers: unique temp dirs and a settled run of a script.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use inotify_notify::{
    Change, ChangeKind, SettleNotifier, SettleOptions, WatchManager, WatchMask, WatchOptions,
};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("inotify-settle-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options that keep a whole script in one window: the net result is
/// what is tested here (the timing is unit-tested on a fake clock).
pub fn one_window() -> SettleOptions {
    SettleOptions {
        quiet: Duration::from_secs(30),
        max_wait: Duration::from_secs(60),
        ..SettleOptions::default()
    }
}

/// Watches `dir` recursively, runs `script`, and returns the changes
/// settled once the sync barrier has seen everything the script did.
pub fn settle_script(
    dir: &Path,
    options: SettleOptions,
    script: impl FnOnce(&Path),
) -> Vec<Change> {
    let wm = WatchManager::new().expect("manager");
    let watch = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    wm.add_watch(dir, WatchMask::ALL_EVENTS, &watch)
        .expect("watch");
    let mut settle = SettleNotifier::new(&wm, options).expect("settle notifier");
    script(dir);
    let batch = settle
        .settle_now(Duration::from_secs(10))
        .expect("sync barrier");
    batch.map(|b| b.changes).unwrap_or_default()
}

/// The changes as `(letter, path relative to dir)`: A created, D removed,
/// M modified, R renamed (`from -> to`).
pub fn summary(dir: &Path, changes: &[Change]) -> Vec<String> {
    let rel = |p: &Path| p.strip_prefix(dir).unwrap_or(p).display().to_string();
    changes
        .iter()
        .map(|c| match &c.kind {
            ChangeKind::Created => format!("A {}", rel(&c.path)),
            ChangeKind::Removed => format!("D {}", rel(&c.path)),
            ChangeKind::Modified { replaced: false } => format!("M {}", rel(&c.path)),
            ChangeKind::Modified { replaced: true } => format!("M! {}", rel(&c.path)),
            ChangeKind::Renamed { from, .. } => format!("R {} -> {}", rel(from), rel(&c.path)),
        })
        .collect()
}

/// Runs a command in `dir`, failing the test if it fails.
pub fn run(dir: &Path, program: &str, args: &[&str]) {
    let status = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|err| panic!("{program}: {err}"));
    assert!(status.success(), "{program} {args:?}: {status}");
}

/// Whether `program` can be run.
pub fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}
