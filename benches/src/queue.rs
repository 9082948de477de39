//! [`QueueFiller`]: puts a known number of events into an inotify queue by
//! doing file operations in a watched directory while nobody reads.
//!
//! Each file goes through create, write, close, chmod and delete, which
//! queues `CREATE`, `OPEN`, `MODIFY`, `CLOSE_WRITE`, `ATTRIB` and `DELETE`:
//! six events, no two consecutive ones identical, so the kernel's merging of
//! an event equal to the queue's tail never drops any.

use std::fs::{self, File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use inotify_core::WatchMask;

/// The mask every drain contender watches with: the one the `notify` crate
/// uses, so all of them find the same events in the kernel queue.
pub const DRAIN_MASK: WatchMask = WatchMask::ATTRIB
    .union(WatchMask::CREATE)
    .union(WatchMask::OPEN)
    .union(WatchMask::DELETE)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::MODIFY)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::DELETE_SELF)
    .union(WatchMask::MOVE_SELF);

/// Events queued per file by [`QueueFiller::fill`].
pub const EVENTS_PER_FILE: usize = 6;

/// Events queued by the sentinel that ends each fill.
pub const SENTINEL_EVENTS: usize = 4;

/// Generates events in one directory.
#[derive(Debug)]
pub struct QueueFiller {
    dir: PathBuf,
    fills: u64,
}

impl QueueFiller {
    /// A filler working in `dir`, which the contender must watch with
    /// [`DRAIN_MASK`].
    pub fn new(dir: &Path) -> Self {
        QueueFiller {
            dir: dir.to_path_buf(),
            fills: 0,
        }
    }

    /// Files needed for at least `events` events.
    pub fn files_for(events: usize) -> usize {
        events.div_ceil(EVENTS_PER_FILE)
    }

    /// Queues `files * 6` events, then the sentinel's 4 (`CREATE`, `OPEN`,
    /// `CLOSE_WRITE`, `DELETE` of [`QueueFiller::sentinel_name`]), which a
    /// threaded reader waits for. Returns the number of events queued.
    ///
    /// # Errors
    /// When a file operation fails.
    pub fn fill(&mut self, files: usize) -> io::Result<usize> {
        self.fills += 1;
        let mode = Permissions::from_mode(0o600);
        for i in 0..files {
            let path = self.dir.join(format!("file-{i:06}"));
            let mut file = File::create(&path)?;
            file.write_all(b"x")?;
            drop(file);
            fs::set_permissions(&path, mode.clone())?;
            fs::remove_file(&path)?;
        }
        let sentinel = self.dir.join(self.sentinel_name());
        drop(File::create(&sentinel)?);
        fs::remove_file(&sentinel)?;
        Ok(files * EVENTS_PER_FILE + SENTINEL_EVENTS)
    }

    /// The name of the last file of the current fill; its `DELETE` is the
    /// queue's last event.
    pub fn sentinel_name(&self) -> String {
        format!("sentinel-{}", self.fills)
    }
}
