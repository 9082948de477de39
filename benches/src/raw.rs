//! The raw-syscall baselines: a `read(2)` loop over an inotify descriptor
//! that only walks the records, and a directory walk with one
//! `inotify_add_watch(2)` per directory. They keep no bookkeeping at all,
//! which is the floor every layer is compared with.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use inotify_core::{InitOptions, Inotify, WatchMask};
use rustix::fs::inotify::{self, WatchFlags};

use crate::records::{RawWalk, raw_walk};

/// An inotify instance drained with plain `read(2)` calls.
#[derive(Debug)]
pub struct RawDrain {
    file: File,
    buffer: Vec<u8>,
}

impl RawDrain {
    /// A non-blocking instance watching `dir` with `mask`, read into a
    /// 64 KiB buffer (the size `inotify-core` uses by default).
    ///
    /// # Errors
    /// When the instance or the watch cannot be created.
    pub fn new(dir: &Path, mask: WatchMask) -> io::Result<Self> {
        let inotify = Inotify::init_with(InitOptions { nonblocking: true })?;
        inotify.add_watch(dir, mask)?;
        let fd = OwnedFd::from(inotify);
        Ok(RawDrain {
            file: File::from(fd),
            buffer: vec![0; 64 * 1024],
        })
    }

    /// Reads until the queue is empty (EAGAIN), walking every record.
    ///
    /// # Errors
    /// A read error other than EAGAIN/EINTR.
    pub fn drain(&mut self) -> io::Result<RawWalk> {
        let mut total = RawWalk::default();
        loop {
            match self.file.read(&mut self.buffer) {
                Ok(len) => {
                    let walk = raw_walk(&self.buffer[..len]);
                    total.events += walk.events;
                    total.checksum ^= walk.checksum;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(total),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Waits until the descriptor is readable (sleeping in `poll`), reads
    /// once and returns the bytes read, for the latency group.
    ///
    /// # Errors
    /// A read or poll error.
    pub fn read_blocking(&mut self) -> io::Result<&[u8]> {
        loop {
            inotify_core::wait_readable([self.file.as_fd()], None)?;
            match self.file.read(&mut self.buffer) {
                Ok(len) => return Ok(&self.buffer[..len]),
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(err) => return Err(err),
            }
        }
    }
}

/// Watches `root` and every directory below it with bare
/// `inotify_add_watch` calls (subdirectories with `ONLYDIR|DONT_FOLLOW`),
/// each directory watched before it is listed, as a careful C program
/// would. Returns the descriptors, the only state such a program keeps.
///
/// # Errors
/// When the root cannot be watched, or a directory cannot be listed.
pub fn raw_add_tree(inotify: impl AsFd, root: &Path, mask: WatchMask) -> io::Result<Vec<i32>> {
    let fd = inotify.as_fd();
    let flags = WatchFlags::from_bits_retain(mask.bits());
    let sub_flags =
        WatchFlags::from_bits_retain((mask | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW).bits());
    let mut wds = vec![inotify::add_watch(fd, root, flags)?];
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                let path = entry.path();
                wds.push(inotify::add_watch(fd, &path, sub_flags)?);
                stack.push(path);
            }
        }
    }
    Ok(wds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{DRAIN_MASK, QueueFiller};
    use crate::tree::{TempDir, make_tree};

    #[test]
    fn raw_drain_reads_every_queued_event() -> io::Result<()> {
        let tmp = TempDir::new("raw-drain")?;
        let mut raw = RawDrain::new(tmp.path(), DRAIN_MASK)?;
        let mut filler = QueueFiller::new(tmp.path());
        let queued = filler.fill(100)?;
        assert_eq!(raw.drain()?.events, queued);
        assert_eq!(raw.drain()?.events, 0);
        Ok(())
    }

    #[test]
    fn raw_add_tree_watches_every_directory() -> io::Result<()> {
        let tmp = TempDir::new("raw-add")?;
        make_tree(tmp.path(), 57)?;
        let inotify = Inotify::init()?;
        let wds = raw_add_tree(&inotify, tmp.path(), WatchMask::CREATE)?;
        assert_eq!(wds.len(), 58);
        Ok(())
    }
}
