//! Whole-process figures of another process, read from `/proc` (proc(5)),
//! for the probes that measure a program from outside (`cli_drain`,
//! `setup_probe`): its CPU time, its memory and the watches its inotify
//! descriptors hold. Nothing here depends on what the program is.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
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

/// The `inotify wd:` lines of one fdinfo file (one per watch; a million
/// watches make a file of about 100 MB, read line by line).
fn fdinfo_watches(info: &str) -> io::Result<usize> {
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
        if line.starts_with(b"inotify wd:") {
            count += 1;
        }
    }
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
    let mut most = None;
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        let entry = entry?;
        // A descriptor closed since the listing is simply not counted.
        let Ok(target) = fs::read_link(entry.path()) else {
            continue;
        };
        if target.as_os_str() != "anon_inode:inotify" {
            continue;
        }
        let info = format!("/proc/{pid}/fdinfo/{}", entry.file_name().display());
        let count = fdinfo_watches(&info)?;
        most = Some(most.map_or(count, |m: usize| m.max(count)));
    }
    Ok(most)
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
        assert_eq!(fdinfo_watches(&format!("/proc/{pid}/fdinfo/{fd}"))?, 3);
        // Other tests of this binary may hold instances of their own.
        assert!(inotify_watches(pid)?.is_some_and(|n| n >= 3));
        Ok(())
    }
}
