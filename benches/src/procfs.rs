//! Whole-process figures of another process, read from `/proc` (proc(5)),
//! for the probes that measure a program from outside (`cli_drain`,
//! `setup_probe`, `fan_drain`): its CPU time, its memory, the watches its
//! inotify descriptors and the marks its fanotify descriptors hold, and
//! the kernel memory every inotify watch and fanotify mark of the machine
//! takes (`/sys/kernel/slab`). Nothing here depends on what the program is.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::process::Command;

/// Reads a `/proc` file, naming it in the error.
fn read_proc(path: &str) -> io::Result<String> {
    fs::read_to_string(path).map_err(|err| io::Error::new(err.kind(), format!("{path}: {err}")))
}

/// The fields of `/proc/PID/stat` this crate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// The state letter (`R`, `S`, `T`, ...).
    pub state: char,
    /// User CPU time of the whole process (all threads), in clock ticks.
    pub utime: u64,
    /// System CPU time of the whole process, in clock ticks.
    pub stime: u64,
}

impl ProcStat {
    /// Reads `/proc/PID/stat`.
    ///
    /// # Errors
    /// When the file cannot be read (the process is gone) or does not
    /// have the fields of proc(5).
    pub fn read(pid: u32) -> io::Result<Self> {
        let path = format!("/proc/{pid}/stat");
        let text = read_proc(&path)?;
        // The command name (field 2) may hold spaces and parentheses: the
        // fields that follow start after its last `)`. Field `n` of proc(5)
        // is then at index `n - 3`.
        let rest = text
            .rfind(')')
            .map(|i| &text[i + 1..])
            .ok_or_else(|| io::Error::other(format!("{path}: no command name")))?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| {
            fields
                .get(n - 3)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| io::Error::other(format!("{path}: bad field {n}")))
        };
        let state = fields
            .first()
            .and_then(|s| s.chars().next())
            .ok_or_else(|| io::Error::other(format!("{path}: no state")))?;
        Ok(ProcStat {
            state,
            utime: field(14)?,
            stime: field(15)?,
        })
    }
}

/// Nanoseconds on the CPU of every thread of `pid`: the first field of
/// each `/proc/PID/task/TID/schedstat` (finer than `stat`'s ticks).
///
/// # Errors
/// When the task list or a thread's file cannot be read.
pub fn schedstat_ns(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for task in fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = task?.path().join("schedstat");
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            // A thread that ended between the listing and the read.
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => {
                return Err(io::Error::new(
                    err.kind(),
                    format!("{}: {err}", path.display()),
                ));
            }
        };
        total += text
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| io::Error::other(format!("{}: unexpected {text:?}", path.display())))?;
    }
    Ok(total)
}

/// `getconf CLK_TCK`: the unit of [`ProcStat`]'s times.
///
/// # Errors
/// When `getconf` cannot be run or prints no number.
pub fn clock_ticks_per_second() -> io::Result<u64> {
    let out = Command::new("getconf").arg("CLK_TCK").output()?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| io::Error::other("getconf CLK_TCK: not a number"))
}

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`), in bytes.
///
/// # Errors
/// When the file cannot be read or has no such field.
pub fn status_bytes(pid: u32, field: &str) -> io::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = read_proc(&path)?;
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| io::Error::other(format!("{path}: no {field} in kB")))
}

/// The lines of one fdinfo file starting with one of `prefixes` (`inotify
/// wd:`: one per watch; a million watches make a file of about 100 MB,
/// read line by line).
fn fdinfo_lines(info: &str, prefixes: &[&[u8]]) -> io::Result<usize> {
    let file =
        File::open(info).map_err(|err| io::Error::new(err.kind(), format!("{info}: {err}")))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut count = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(count);
        }
        if prefixes.iter().any(|p| line.starts_with(p)) {
            count += 1;
        }
    }
}

/// The most `prefixes` lines of the fdinfo of `pid`'s descriptors that link
/// to `target` (duplicated descriptors of one instance list the same
/// watches, so the largest count, not the sum); `None` without such a
/// descriptor.
fn descriptor_lines(pid: u32, target: &str, prefixes: &[&[u8]]) -> io::Result<Option<usize>> {
    let mut most = None;
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        let entry = entry?;
        // A descriptor closed since the listing is simply not counted.
        let Ok(link) = fs::read_link(entry.path()) else {
            continue;
        };
        if link.as_os_str() != target {
            continue;
        }
        let info = format!("/proc/{pid}/fdinfo/{}", entry.file_name().display());
        let count = fdinfo_lines(&info, prefixes)?;
        most = Some(most.map_or(count, |m: usize| m.max(count)));
    }
    Ok(most)
}

/// The number of watches held by `pid`'s inotify instances: the `inotify
/// wd:` lines of `/proc/PID/fdinfo/FD` for each descriptor that is an
/// inotify instance, the largest count over them (duplicated descriptors
/// of one instance list the same watches). `None` when `pid` has no
/// inotify descriptor.
///
/// # Errors
/// When the descriptor table or an fdinfo file cannot be read.
pub fn inotify_watches(pid: u32) -> io::Result<Option<usize>> {
    descriptor_lines(pid, "anon_inode:inotify", &[b"inotify wd:"])
}

/// The number of marks held by `pid`'s fanotify groups: the mark lines
/// of their fdinfo (`fanotify ino:` per inode mark, `fanotify sdev:` per
/// filesystem mark, `fanotify mnt_id:` per mount mark; not the `fanotify
/// flags:` line of the group), the largest count over its groups. `None` when `pid` has no fanotify group.
///
/// # Errors
/// When the descriptor table or an fdinfo file cannot be read.
pub fn fanotify_marks(pid: u32) -> io::Result<Option<usize>> {
    descriptor_lines(pid, "anon_inode:[fanotify]", FANOTIFY_MARK_LINES)
}

/// How fdinfo(5) starts the line of each kind of fanotify mark.
const FANOTIFY_MARK_LINES: &[&[u8]] = &[b"fanotify ino:", b"fanotify sdev:", b"fanotify mnt_id:"];

/// The slab caches of inotify watches and fanotify marks, and of the
/// connector that ties an inode's marks together.
const MARK_CACHES: [&str; 3] = [
    "inotify_inode_mark",
    "fanotify_mark",
    "fsnotify_mark_connector",
];

/// Bytes in use in the slab caches of every inotify watch and fanotify
/// mark on the machine (`/sys/kernel/slab/CACHE/objects × object_size`,
/// each cache counted once where the kernel merged two into one). It is
/// machine-wide, so a difference taken around one process also holds
/// what other programs added or freed meanwhile. `None` when the files
/// are not readable (no SLUB sysfs, or not root).
pub fn mark_slab_bytes() -> Option<u64> {
    let mut seen = Vec::new();
    let mut total = 0;
    for cache in MARK_CACHES {
        let dir = Path::new("/sys/kernel/slab").join(cache);
        let real = fs::canonicalize(&dir).ok()?;
        if seen.contains(&real) {
            continue;
        }
        let number = |file: &str| -> Option<u64> {
            let text = fs::read_to_string(real.join(file)).ok()?;
            text.split_whitespace().next()?.parse().ok()
        };
        total += number("objects")? * number("object_size")?;
        seen.push(real);
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd as _, AsRawFd as _};

    use inotify_core::{Inotify, WatchMask};

    use crate::tree::{TempDir, make_tree};

    #[test]
    fn own_process_figures_are_readable() -> io::Result<()> {
        let pid = std::process::id();
        let stat = ProcStat::read(pid)?;
        // The state is the main thread's: the test harness waits in it.
        assert!("RSD".contains(stat.state), "{stat:?}");
        assert!(schedstat_ns(pid)? > 0);
        let rss = status_bytes(pid, "VmRSS")?;
        assert!(rss > 0 && rss <= status_bytes(pid, "VmHWM")?);
        assert!(status_bytes(pid, "NoSuchField").is_err());
        Ok(())
    }

    #[test]
    fn fdinfo_lists_one_line_per_watch() -> io::Result<()> {
        let tmp = TempDir::new("procfs-watches")?;
        make_tree(tmp.path(), 4)?;
        let inotify = Inotify::init()?;
        for name in ["d0", "d1", "d2"] {
            inotify.add_watch(tmp.path().join(name), WatchMask::CREATE)?;
        }
        let fd = inotify.as_fd().as_raw_fd();
        let pid = std::process::id();
        assert_eq!(
            fdinfo_lines(&format!("/proc/{pid}/fdinfo/{fd}"), &[b"inotify wd:"])?,
            3
        );
        // Other tests of this binary may hold instances of their own.
        assert!(inotify_watches(pid)?.is_some_and(|n| n >= 3));
        Ok(())
    }

    #[test]
    fn fdinfo_lists_one_line_per_fanotify_mark() -> io::Result<()> {
        use inotify_core::{FanInitFlags, FanMarkFlags, FanWatchMask, Fanotify, MarkTarget};
        let tmp = TempDir::new("procfs-marks")?;
        make_tree(tmp.path(), 4)?;
        let group = match Fanotify::init(FanInitFlags::REPORT_DFID_NAME) {
            Ok(group) => group,
            Err(err) => {
                println!("skipped: no fanotify group here ({err})");
                return Ok(());
            }
        };
        for name in ["d0", "d1", "d2"] {
            let dir = tmp.path().join(name);
            group.add_mark(
                dir,
                MarkTarget::Inode,
                FanWatchMask::CREATE,
                FanMarkFlags::empty(),
            )?;
        }
        let fd = group.as_fd().as_raw_fd();
        let pid = std::process::id();
        assert_eq!(
            fdinfo_lines(&format!("/proc/{pid}/fdinfo/{fd}"), FANOTIFY_MARK_LINES)?,
            3
        );
        assert!(fanotify_marks(pid)?.is_some_and(|n| n >= 3));
        if let Some(bytes) = mark_slab_bytes() {
            assert!(bytes > 0);
        }
        Ok(())
    }
}
