//! The raw fanotify baseline: a group in `FAN_CLASS_NOTIF |
//! FAN_REPORT_DFID_NAME` mode with one mark, drained with plain `read(2)`
//! calls, each buffer walked the way a C program walks it — from one
//! `struct fanotify_event_metadata` to the next by `event_len`, and through
//! its info records by their headers' `len`, reading the directory handle's
//! size to find the entry name. No parsing into typed events, no paths, no
//! bookkeeping: the floor the fanotify drains are compared with. A second
//! walk ([`fan_raw_print`], [`FanRawDrain::drain_printing`]) also prints
//! each record's events as `DIR/NAME EVENT` lines, the floor under a
//! program that prints what it reads.
//!
//! The group and the mark are made with `inotify-core`'s safe [`Fanotify`]
//! owner (`fanotify_init`/`fanotify_mark` have no other safe wrapper here);
//! the reads go straight to `read(2)` through rustix.

use std::io;
use std::os::fd::AsFd;
use std::path::Path;

use inotify_core::{FanEventMask, FanInitFlags, FanMarkFlags, FanWatchMask, Fanotify, MarkTarget};
use rustix::io::Errno;

/// `sizeof(struct fanotify_event_metadata)` (`<linux/fanotify.h>`).
const METADATA_LEN: usize = 24;
/// `FAN_EVENT_INFO_TYPE_DFID_NAME` (`<linux/fanotify.h>`).
const INFO_TYPE_DFID_NAME: u8 = 2;
/// Bytes of a `struct fanotify_event_info_fid` before its `file_handle`'s
/// `f_handle`: the 4-byte header, the 8-byte fsid, `handle_bytes` and
/// `handle_type`.
const FID_HANDLE_AT: usize = 4 + 8 + 8;

/// The mask the fanotify contenders ask for: what `fsnotifywait` asks for
/// when no `-e` is given (inotify's `IN_ALL_EVENTS` in fanotify's bits),
/// with directories reported too.
pub const FAN_DRAIN_MASK: FanWatchMask = FanWatchMask::ACCESS
    .union(FanWatchMask::MODIFY)
    .union(FanWatchMask::ATTRIB)
    .union(FanWatchMask::CLOSE_WRITE)
    .union(FanWatchMask::CLOSE_NOWRITE)
    .union(FanWatchMask::OPEN)
    .union(FanWatchMask::MOVED_FROM)
    .union(FanWatchMask::MOVED_TO)
    .union(FanWatchMask::CREATE)
    .union(FanWatchMask::DELETE)
    .union(FanWatchMask::DELETE_SELF)
    .union(FanWatchMask::MOVE_SELF)
    .union(FanWatchMask::ONDIR);

/// The report flags of `inotify-notify`'s fanotify groups
/// (`FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID`, Linux
/// 5.17): each record also carries the object's own handle, which is how
/// the library tells records of one object apart. A raw loop with these
/// flags reads what the library reads; [`FanRawDrain::new`]'s
/// `FAN_REPORT_DFID_NAME` alone is the cheapest record a named event has.
pub const FAN_DRAIN_FID_FLAGS: FanInitFlags = FanInitFlags::REPORT_DFID_NAME
    .union(FanInitFlags::REPORT_FID)
    .union(FanInitFlags::REPORT_TARGET_FID);

/// What a walk over fanotify records found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FanWalk {
    /// Event records (`fanotify_event_metadata`s).
    pub records: usize,
    /// Records with `FAN_Q_OVERFLOW`: events the kernel dropped.
    pub overflows: usize,
    /// Records carrying a `DFID_NAME` info record.
    pub named: usize,
    /// Folds masks and name bytes, so the walk cannot be optimised away.
    pub checksum: u64,
}

/// A native-endian integer of `N` bytes at `at`, if it is inside `buf`.
fn field<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Walks the fanotify records of one read, stopping at the first record
/// that does not fit (a read never ends mid-record, so that is the end).
pub fn fan_raw_walk(buf: &[u8]) -> FanWalk {
    let mut walk = FanWalk::default();
    let mut pos = 0;
    while let (Some(len), Some(meta_len), Some(mask)) = (
        field::<4>(buf, pos),
        field::<2>(buf, pos + 6),
        field::<8>(buf, pos + 8),
    ) {
        let len = u32::from_ne_bytes(len) as usize;
        let end = pos.saturating_add(len);
        if len < METADATA_LEN || end > buf.len() {
            break;
        }
        let mask = u64::from_ne_bytes(mask);
        walk.records += 1;
        if mask & FanEventMask::Q_OVERFLOW.bits() != 0 {
            walk.overflows += 1;
        }
        walk.checksum ^= mask;
        let mut info = pos + usize::from(u16::from_ne_bytes(meta_len));
        while let (Some(&kind), Some(info_len)) = (buf.get(info), field::<2>(buf, info + 2)) {
            let info_len = usize::from(u16::from_ne_bytes(info_len));
            if info_len < 4 || info + info_len > end {
                break;
            }
            if kind == INFO_TYPE_DFID_NAME
                && let Some(handle_bytes) = field::<4>(buf, info + 12)
            {
                let name_at = info + FID_HANDLE_AT + u32::from_ne_bytes(handle_bytes) as usize;
                if let Some(&first) = buf.get(name_at) {
                    walk.named += 1;
                    walk.checksum = walk.checksum.rotate_left(5) ^ u64::from(first);
                }
            }
            info += info_len;
        }
        pos = end;
    }
    walk
}

/// The event bits a printing walk names, in the order inotify queues
/// them, with their inotifywait names.
const PRINTED: [(FanEventMask, &[u8]); 12] = [
    (FanEventMask::CREATE, b"CREATE"),
    (FanEventMask::OPEN, b"OPEN"),
    (FanEventMask::ACCESS, b"ACCESS"),
    (FanEventMask::MODIFY, b"MODIFY"),
    (FanEventMask::ATTRIB, b"ATTRIB"),
    (FanEventMask::CLOSE_WRITE, b"CLOSE_WRITE,CLOSE"),
    (FanEventMask::CLOSE_NOWRITE, b"CLOSE_NOWRITE,CLOSE"),
    (FanEventMask::MOVED_FROM, b"MOVED_FROM"),
    (FanEventMask::MOVED_TO, b"MOVED_TO"),
    (FanEventMask::DELETE, b"DELETE"),
    (FanEventMask::DELETE_SELF, b"DELETE_SELF"),
    (FanEventMask::MOVE_SELF, b"MOVE_SELF"),
];

/// [`fan_raw_walk`] that also appends one `DIR/NAME EVENT` line per event
/// bit of each named record to `out`, as `--format '%w%f %e'` prints them:
/// `dir` is taken as every record's directory (the drain's one watched
/// directory), so nothing is resolved, ordered or kept.
pub fn fan_raw_print(buf: &[u8], dir: &[u8], out: &mut Vec<u8>) -> FanWalk {
    let mut walk = FanWalk::default();
    let mut pos = 0;
    while let (Some(len), Some(meta_len), Some(mask)) = (
        field::<4>(buf, pos),
        field::<2>(buf, pos + 6),
        field::<8>(buf, pos + 8),
    ) {
        let len = u32::from_ne_bytes(len) as usize;
        let end = pos.saturating_add(len);
        if len < METADATA_LEN || end > buf.len() {
            break;
        }
        let mask = u64::from_ne_bytes(mask);
        walk.records += 1;
        if mask & FanEventMask::Q_OVERFLOW.bits() != 0 {
            walk.overflows += 1;
        }
        let mut info = pos + usize::from(u16::from_ne_bytes(meta_len));
        while let (Some(&kind), Some(info_len)) = (buf.get(info), field::<2>(buf, info + 2)) {
            let info_len = usize::from(u16::from_ne_bytes(info_len));
            if info_len < 4 || info + info_len > end {
                break;
            }
            if kind == INFO_TYPE_DFID_NAME
                && let Some(handle_bytes) = field::<4>(buf, info + 12)
            {
                let name_at = info + FID_HANDLE_AT + u32::from_ne_bytes(handle_bytes) as usize;
                let name = buf.get(name_at..info + info_len).unwrap_or_default();
                let name = name.split(|&b| b == 0).next().unwrap_or_default();
                walk.named += 1;
                for (bit, text) in PRINTED {
                    if mask & bit.bits() != 0 {
                        out.extend_from_slice(dir);
                        out.push(b'/');
                        out.extend_from_slice(name);
                        out.push(b' ');
                        out.extend_from_slice(text);
                        if mask & FanEventMask::ONDIR.bits() != 0 {
                            out.extend_from_slice(b",ISDIR");
                        }
                        out.push(b'\n');
                    }
                }
            }
            info += info_len;
        }
        pos = end;
    }
    walk
}

/// A fanotify group with one mark, drained with plain `read(2)` calls.
#[derive(Debug)]
pub struct FanRawDrain {
    group: Fanotify,
    buffer: Vec<u8>,
}

impl FanRawDrain {
    /// A non-blocking `FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME` group with
    /// one mark of `target` on `dir` asking for [`FAN_DRAIN_MASK`] (an
    /// inode mark also for the directory's children, `EVENT_ON_CHILD`),
    /// read into a 64 KiB buffer.
    ///
    /// # Errors
    /// When the group or the mark cannot be made (a filesystem mark needs
    /// `CAP_SYS_ADMIN`).
    pub fn new(dir: &Path, target: MarkTarget) -> io::Result<Self> {
        Self::with_flags(dir, target, FanInitFlags::REPORT_DFID_NAME)
    }

    /// [`FanRawDrain::new`] with the group's report flags `report`
    /// (`NONBLOCK` is added): [`FAN_DRAIN_FID_FLAGS`] reads the records
    /// our library asks the kernel for, the same bytes to copy per record.
    ///
    /// # Errors
    /// As [`FanRawDrain::new`]; also when the kernel lacks a flag.
    pub fn with_flags(dir: &Path, target: MarkTarget, report: FanInitFlags) -> io::Result<Self> {
        let group = Fanotify::init(FanInitFlags::NONBLOCK | report)?;
        let mask = match target {
            MarkTarget::Inode => FAN_DRAIN_MASK | FanWatchMask::EVENT_ON_CHILD,
            _ => FAN_DRAIN_MASK,
        };
        group.add_mark(dir, target, mask, FanMarkFlags::empty())?;
        Ok(FanRawDrain {
            group,
            buffer: vec![0; 64 * 1024],
        })
    }

    /// Reads until the queue is empty (EAGAIN), walking every record.
    ///
    /// # Errors
    /// A read error other than EAGAIN/EINTR.
    pub fn drain(&mut self) -> io::Result<FanWalk> {
        let mut total = FanWalk::default();
        loop {
            match rustix::io::read(self.group.as_fd(), &mut self.buffer) {
                // EOF does not happen on a group; treated as empty.
                Ok(0) | Err(Errno::AGAIN) => return Ok(total),
                Ok(len) => {
                    let walk = fan_raw_walk(self.buffer.get(..len).unwrap_or_default());
                    total.records += walk.records;
                    total.overflows += walk.overflows;
                    total.named += walk.named;
                    total.checksum ^= walk.checksum;
                }
                Err(Errno::INTR) => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
}

impl FanRawDrain {
    /// [`FanRawDrain::drain`] printing each record's events as lines of
    /// `dir` ([`fan_raw_print`]) to `out` through a 64 KiB buffer (one
    /// `write(2)` per buffer, as a C program's `setvbuf` would): the floor
    /// under a program that prints what it reads.
    ///
    /// # Errors
    /// A read error other than EAGAIN/EINTR, or a failed write.
    pub fn drain_printing(&mut self, dir: &Path, out: &mut impl io::Write) -> io::Result<FanWalk> {
        const FLUSH_AT: usize = 64 * 1024;
        let dir = dir.as_os_str().as_encoded_bytes();
        // A read of 64 KiB prints a few times that.
        let mut lines = Vec::with_capacity(4 * FLUSH_AT);
        let mut total = FanWalk::default();
        loop {
            match rustix::io::read(self.group.as_fd(), &mut self.buffer) {
                Ok(0) | Err(Errno::AGAIN) => break,
                Ok(len) => {
                    let buf = self.buffer.get(..len).unwrap_or_default();
                    let walk = fan_raw_print(buf, dir, &mut lines);
                    total.records += walk.records;
                    total.overflows += walk.overflows;
                    total.named += walk.named;
                    if lines.len() >= FLUSH_AT {
                        out.write_all(&lines)?;
                        lines.clear();
                    }
                }
                Err(Errno::INTR) => {}
                Err(err) => return Err(err.into()),
            }
        }
        out.write_all(&lines)?;
        out.flush()?;
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::QueueFiller;
    use crate::tree::TempDir;

    #[test]
    fn raw_fanotify_drain_reads_one_named_record_per_file() -> io::Result<()> {
        let tmp = TempDir::new("fan-raw-drain")?;
        let mut raw = match FanRawDrain::new(tmp.path(), MarkTarget::Inode) {
            Ok(raw) => raw,
            Err(err) => {
                println!("skipped: no fanotify inode mark here ({err})");
                return Ok(());
            }
        };
        let mut filler = QueueFiller::new(tmp.path());
        filler.fill(50)?;
        let walk = raw.drain()?;
        // Unread events of one name merge: at least one record per file
        // and the sentinel, at most the six events of each.
        assert!(walk.records >= 51 && walk.records <= 50 * 6 + 4, "{walk:?}");
        assert_eq!(walk.named, walk.records, "{walk:?}");
        assert_eq!(walk.overflows, 0);
        assert_eq!(raw.drain()?.records, 0);
        Ok(())
    }

    #[test]
    fn a_drain_with_the_librarys_flags_prints_the_same_lines() -> io::Result<()> {
        let lines = |flags| -> io::Result<Option<Vec<u8>>> {
            let tmp = TempDir::new("fan-raw-fid")?;
            let mut raw = match FanRawDrain::with_flags(tmp.path(), MarkTarget::Inode, flags) {
                Ok(raw) => raw,
                Err(err) => {
                    println!("skipped: no fanotify inode mark with {flags:?} here ({err})");
                    return Ok(None);
                }
            };
            QueueFiller::new(tmp.path()).fill(20)?;
            let mut out = Vec::new();
            let walk = raw.drain_printing(tmp.path(), &mut out)?;
            assert!(walk.records >= 21 && walk.named >= 21, "{walk:?}");
            let dir = tmp.path().as_os_str().as_encoded_bytes().to_vec();
            // The directory differs per drain: compare what follows it.
            Ok(Some(
                out.split(|&b| b == b'\n')
                    .flat_map(|l| l.strip_prefix(dir.as_slice()).unwrap_or(l).to_vec())
                    .collect(),
            ))
        };
        if let (Some(plain), Some(fid)) = (
            lines(FanInitFlags::REPORT_DFID_NAME)?,
            lines(FAN_DRAIN_FID_FLAGS)?,
        ) {
            assert!(!plain.is_empty());
            assert_eq!(
                String::from_utf8_lossy(&plain),
                String::from_utf8_lossy(&fid)
            );
        }
        Ok(())
    }

    #[test]
    fn the_printing_drain_prints_a_line_per_event_of_each_record() -> io::Result<()> {
        let tmp = TempDir::new("fan-raw-print")?;
        let mut raw = match FanRawDrain::new(tmp.path(), MarkTarget::Inode) {
            Ok(raw) => raw,
            Err(err) => {
                println!("skipped: no fanotify inode mark here ({err})");
                return Ok(());
            }
        };
        let mut filler = QueueFiller::new(tmp.path());
        filler.fill(20)?;
        let mut out = Vec::new();
        let walk = raw.drain_printing(tmp.path(), &mut out)?;
        let text = String::from_utf8(out).expect("names are ASCII");
        let dir = tmp.path().display().to_string();
        assert!(walk.records >= 21, "{walk:?}");
        // Every event of the files and the sentinel, whatever merged.
        assert!(text.lines().count() > 20 * 6, "{text}");
        assert!(
            text.lines().all(|l| l.starts_with(&format!("{dir}/"))),
            "{text}"
        );
        assert!(
            text.contains(" CREATE\n") && text.contains(" DELETE\n"),
            "{text}"
        );
        Ok(())
    }

    #[test]
    fn the_walk_stops_at_a_truncated_record() {
        let mut buf = vec![0u8; METADATA_LEN];
        buf[..4].copy_from_slice(&24u32.to_ne_bytes());
        buf[4] = 3;
        buf[6..8].copy_from_slice(&24u16.to_ne_bytes());
        buf[8..16].copy_from_slice(&FanEventMask::Q_OVERFLOW.bits().to_ne_bytes());
        let mut twice = buf.clone();
        twice.extend_from_slice(&buf[..10]);
        let walk = fan_raw_walk(&twice);
        assert_eq!((walk.records, walk.overflows, walk.named), (1, 1, 0));
        assert_eq!(fan_raw_walk(&[]).records, 0);
    }
}
