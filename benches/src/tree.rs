//! Temporary directories and generated directory trees for the setup group
//! and the memory probe.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A unique directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/inotify-bench-<pid>-<counter>-<name>` in the system
    /// temp dir.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn new(name: &str) -> io::Result<Self> {
        Self::new_in(&std::env::temp_dir(), name)
    }

    /// Like [`TempDir::new`] but on `/dev/shm` (tmpfs) when it is there,
    /// so that generating events costs no disk journaling: the drain and
    /// latency groups create and delete many files. Events are the same on
    /// every file system.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn in_memory(name: &str) -> io::Result<Self> {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            Self::new_in(shm, name)
        } else {
            Self::new(name)
        }
    }

    fn new_in(base: &Path, name: &str) -> io::Result<Self> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("inotify-bench-{}-{n}-{name}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path)?;
        }
        fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Nothing sensible can be done with a failure while unwinding; the
        // directory name carries the pid so a leftover is easy to find.
        if let Err(err) = fs::remove_dir_all(&self.path) {
            eprintln!("warning: cannot remove {}: {err}", self.path.display());
        }
    }
}

/// Fills `root` with a tree of exactly `dirs` directories below it (the
/// root not counted), ten subdirectories per directory, breadth first, and
/// one small file per directory so walks also skip non-directories.
///
/// # Errors
/// When a directory or file cannot be created.
pub fn make_tree(root: &Path, dirs: usize) -> io::Result<()> {
    let mut queue = std::collections::VecDeque::from([root.to_path_buf()]);
    let mut made = 0;
    while made < dirs {
        let Some(parent) = queue.pop_front() else {
            break;
        };
        fs::write(parent.join("file"), b"x")?;
        for i in 0..10 {
            if made == dirs {
                break;
            }
            let dir = parent.join(format!("d{i}"));
            fs::create_dir(&dir)?;
            queue.push_back(dir);
            made += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_tree_creates_exactly_the_requested_directories() -> io::Result<()> {
        let tmp = TempDir::new("make-tree")?;
        make_tree(tmp.path(), 123)?;
        let mut count = 0;
        let mut stack = vec![tmp.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir)? {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    count += 1;
                    stack.push(entry.path());
                }
            }
        }
        assert_eq!(count, 123);
        Ok(())
    }
}
