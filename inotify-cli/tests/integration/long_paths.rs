//! inotifywait on trees deeper than `PATH_MAX` (4,096 bytes of path): every
//! directory is watched, nothing is reported as unwatchable, and events
//! print the full, long path.
//!
//! The tree is built without handing the kernel a long path: each level is
//! created through `/proc/self/fd/N` of the level above.

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::support::{Running, TempDir, ours, spawn};

/// Levels of [`NAME_LEN`]-byte names: 40 × 121 bytes, far past 4,096.
const LEVELS: usize = 40;

/// The length of each level's name.
const NAME_LEN: usize = 120;

/// A chain of nested directories and an open descriptor of the deepest.
struct DeepTree {
    /// The deepest directory's full path.
    deepest: PathBuf,
    /// The deepest directory, open so files can be made in it.
    last: File,
}

impl DeepTree {
    /// Creates [`LEVELS`] nested directories below `root`.
    fn create(root: &Path) -> DeepTree {
        let mut deepest = root.to_path_buf();
        let mut last = File::open(root).expect("open root");
        for level in 0..LEVELS {
            let name = format!("{level:0>NAME_LEN$}");
            let via = format!("/proc/self/fd/{}/{name}", last.as_raw_fd());
            fs::create_dir(&via).unwrap_or_else(|err| panic!("mkdir level {level}: {err}"));
            last = File::open(&via).expect("open level");
            deepest.push(name);
        }
        assert!(deepest.as_os_str().len() > 4096, "tree too shallow");
        DeepTree { deepest, last }
    }

    /// Creates the file `name` in the deepest directory.
    fn touch(&self, name: &str) {
        fs::write(
            format!("/proc/self/fd/{}/{name}", self.last.as_raw_fd()),
            b"",
        )
        .expect("create deep file");
    }
}

/// `<dir>/ CREATE <name>` as inotifywait prints it.
fn create_line(dir: &Path, name: &str) -> Vec<u8> {
    let mut line = dir.as_os_str().as_bytes().to_vec();
    line.extend_from_slice(b"/ CREATE ");
    line.extend_from_slice(name.as_bytes());
    line.push(b'\n');
    line
}

/// Creates two files in the deepest directory, waits for both lines (the
/// directory shown as `shown`), stops `r`, and checks that stderr holds
/// only the setup lines `stderr` (no "Couldn't watch").
fn expect_deep_creates(r: Running, tree: &DeepTree, shown: &Path, stderr: &str) {
    tree.touch("f1");
    tree.touch("f2");
    r.wait_stdout(&create_line(shown, "f1"));
    r.wait_stdout(&create_line(shown, "f2"));
    let out = r.signal("TERM");
    assert_eq!(out.stderr, stderr);
}

#[test]
fn recursive_watch_reports_files_past_path_max_with_their_full_paths() {
    let _serial = crate::support::serial();
    let dir = TempDir::new("long-rec");
    let tree = DeepTree::create(dir.path());
    let r = spawn(
        &ours("inotifywait"),
        &["-m", "-r", "-e", "create", "."],
        dir.path(),
    );
    r.wait_stderr("Watches established.");
    // From the root given, `.`: the printed path is relative, as typed.
    let below = tree.deepest.strip_prefix(dir.path()).expect("below");
    let shown = Path::new(".").join(below);
    let stderr = "Setting up watches.  Beware: since -r was given, this may take a while!\n\
                  Watches established.\n";
    expect_deep_creates(r, &tree, &shown, stderr);
}

#[test]
fn root_longer_than_path_max_is_watched_and_shown_as_a_directory() {
    let _serial = crate::support::serial();
    let dir = TempDir::new("long-root");
    let tree = DeepTree::create(dir.path());
    let deepest = tree.deepest.as_os_str();
    let r = spawn(&ours("inotifywait"), &[deepest, "-m".as_ref()], dir.path());
    r.wait_stderr("Watches established.");
    let stderr = "Setting up watches.\nWatches established.\n";
    expect_deep_creates(r, &tree, &tree.deepest, stderr);
}
