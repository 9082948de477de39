//! Trees deeper than `PATH_MAX` (4,096 bytes of path): a recursive add
//! watches every directory, an auto-added deep directory is scanned, and
//! events carry the full, long pathname.
//!
//! The trees are built without handing the kernel a long path: each level
//! is created through `/proc/self/fd/N` of the level above.

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use inotify_notify::{
    EventMask, EventProcessor, NotifierBuilder, Processed, ProcessorOptions, WatchDescriptor,
    WatchManager, WatchMask, WatchOptions,
};

use crate::support::{TempDir, collecting_notifier, has, pump_until};

/// Levels of [`NAME_LEN`]-byte names: 40 × 121 bytes, far past 4,096.
const LEVELS: usize = 40;

/// The length of each level's name.
const NAME_LEN: usize = 120;

/// How long a test waits for its events.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A chain of nested directories and an open descriptor of the deepest.
struct DeepTree {
    /// Full paths, shallowest first.
    dirs: Vec<PathBuf>,
    /// The deepest directory, open so entries can be made in it.
    last: File,
}

impl DeepTree {
    /// Creates [`LEVELS`] nested directories below `root`.
    fn create(root: &Path) -> DeepTree {
        let mut dirs = Vec::new();
        let mut path = root.to_path_buf();
        let mut last = File::open(root).expect("open root");
        for level in 0..LEVELS {
            let name = format!("{level:0>NAME_LEN$}");
            let via = format!("/proc/self/fd/{}/{name}", last.as_raw_fd());
            fs::create_dir(&via).unwrap_or_else(|err| panic!("mkdir level {level}: {err}"));
            last = File::open(&via).expect("open level");
            path.push(name);
            dirs.push(path.clone());
        }
        assert!(path.as_os_str().len() > 4096, "tree too shallow");
        DeepTree { dirs, last }
    }

    /// The deepest directory.
    fn deepest(&self) -> &Path {
        self.dirs.last().expect("levels")
    }

    /// The `/proc` spelling of `rel` below the deepest directory.
    fn in_deepest(&self, rel: &str) -> String {
        format!("/proc/self/fd/{}/{rel}", self.last.as_raw_fd())
    }
}

fn tree_options() -> WatchOptions {
    WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    }
}

#[test]
fn recursive_add_watches_every_directory_past_path_max() {
    let dir = TempDir::new("long-rec");
    let tree = DeepTree::create(dir.path());
    let wm = WatchManager::new().unwrap();
    let added = wm
        .add_watch(dir.path(), WatchMask::CREATE, &tree_options())
        .expect("recursive add of a deep tree");
    assert_eq!(added.len(), LEVELS + 1);
    assert!(added.values().all(Result::is_ok), "{added:?}");
    for path in &tree.dirs {
        assert!(wm.wd(path).is_some(), "not watched: {}", path.display());
    }
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    fs::write(tree.in_deepest("f"), b"").unwrap();
    let want = tree.deepest().join("f");
    assert!(
        pump_until(&mut notifier, &events, TIMEOUT, |e| has(
            e,
            "IN_CREATE",
            &want
        )),
        "no CREATE of the deepest file; got {:?}",
        events.lock().unwrap()
    );
}

#[test]
fn auto_add_past_path_max_watches_and_scans_the_new_directory() {
    let dir = TempDir::new("long-auto");
    let tree = DeepTree::create(dir.path());
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &tree_options())
        .expect("recursive add of a deep tree");
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    // Made before the notifier reads the CREATE of `new`: only the scan of
    // `new` (a listing of a long path) can report `inner`.
    fs::create_dir(tree.in_deepest("new")).unwrap();
    fs::write(tree.in_deepest("new/inner"), b"").unwrap();
    let new = tree.deepest().join("new");
    let inner = new.join("inner");
    assert!(
        pump_until(&mut notifier, &events, TIMEOUT, |e| {
            has(e, "IN_CREATE|IN_ISDIR", &new) && has(e, "IN_CREATE", &inner)
        }),
        "the new deep directory was not scanned; got {:?}",
        events.lock().unwrap()
    );
    assert!(wm.wd(&new).is_some(), "{} not watched", new.display());
    assert!(wm.unwatched().is_empty(), "{:?}", wm.unwatched());
    // And it is watched: a later file in it is reported too.
    fs::write(tree.in_deepest("new/later"), b"").unwrap();
    let later = new.join("later");
    assert!(
        pump_until(&mut notifier, &events, TIMEOUT, |e| has(
            e,
            "IN_CREATE",
            &later
        )),
        "no CREATE in the auto-added directory; got {:?}",
        events.lock().unwrap()
    );
}

#[test]
fn overflow_rescan_past_path_max_keeps_every_watch_and_invents_nothing() {
    let dir = TempDir::new("long-rescan");
    let tree = DeepTree::create(dir.path());
    fs::write(tree.in_deepest("keep"), b"").unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(
        dir.path(),
        WatchMask::CREATE | WatchMask::DELETE,
        &tree_options(),
    )
    .expect("recursive add of a deep tree");
    // Snapshots of every directory, the deep ones included, are taken now.
    let options = ProcessorOptions {
        rescan_on_overflow: true,
        ..ProcessorOptions::default()
    };
    let mut processor = EventProcessor::new(&wm, options);
    let mut overflow = Vec::new();
    inotify_core::encode_record(&mut overflow, -1, EventMask::Q_OVERFLOW.bits(), 0, None, 0);
    let mut got = Vec::new();
    processor.process_batch(inotify_core::Events::new(&overflow), &mut |p| got.push(p));
    // Nothing changed on disk: the rescan reports nothing but the overflow
    // (no phantom CREATE of `keep`), and drops no deep watch as stale.
    assert!(
        matches!(&got[..], [Processed::Event { event, .. }] if event.wd == WatchDescriptor::OVERFLOW),
        "{got:?}"
    );
    for path in &tree.dirs {
        assert!(
            wm.wd(path).is_some(),
            "no longer watched: {}",
            path.display()
        );
    }
}
