//! Who holds this user's inotify watches: [`watch_holders`] scans
//! `/proc/*/fdinfo/*` as the `inotify-consumers` scripts do, for the
//! message of a watch limit reached (`max_user_watches` is shared by every
//! process of the user, so the one that fails is rarely the one to blame).

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A process holding inotify watches (see [`watch_holders`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchHolder {
    /// Its process id.
    pub pid: u32,
    /// Its command name (`/proc/PID/comm`, without the newline).
    pub comm: String,
    /// Its watches, over all its inotify instances (`inotify wd:` lines).
    pub watches: u64,
}

/// The processes of the caller's user (owner of `/proc/self`) that hold
/// inotify watches, most watches first (then by pid). Processes that
/// vanish or whose descriptors cannot be read (another user's, a
/// hardened `/proc`) are skipped.
///
/// ```
/// let me = inotify_core::Inotify::init()?;
/// let dir = std::env::temp_dir();
/// me.add_watch(&dir, inotify_core::WatchMask::CREATE)?;
/// let holders = inotify_core::watch_holders()?;
/// assert!(holders.iter().any(|h| h.pid == std::process::id() && h.watches >= 1));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// `/proc` or `/proc/self` cannot be read.
pub fn watch_holders() -> io::Result<Vec<WatchHolder>> {
    watch_holders_in(Path::new("/proc"))
}

/// [`watch_holders`] over a `/proc`-like tree at `proc` (for tests).
fn watch_holders_in(proc: &Path) -> io::Result<Vec<WatchHolder>> {
    let uid = fs::metadata(proc.join("self"))?.uid();
    let mut holders = Vec::new();
    for entry in fs::read_dir(proc)? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        if !fs::metadata(&dir).is_ok_and(|m| m.uid() == uid) {
            continue;
        }
        let watches = process_watches(&dir);
        if watches == 0 {
            continue;
        }
        let comm = fs::read_to_string(dir.join("comm"))
            .map(|c| c.trim_end().to_owned())
            .unwrap_or_default();
        holders.push(WatchHolder { pid, comm, watches });
    }
    holders.sort_by(|a, b| b.watches.cmp(&a.watches).then(a.pid.cmp(&b.pid)));
    Ok(holders)
}

/// The `inotify wd:` lines of the inotify descriptors of the process at
/// `dir` (`/proc/PID`); 0 when they cannot be read.
fn process_watches(dir: &Path) -> u64 {
    let Ok(fds) = fs::read_dir(dir.join("fd")) else {
        return 0;
    };
    // A dup'ed descriptor lists the same instance again (and every
    // instance shares one anonymous inode): count each distinct list of
    // watches once.
    let mut seen: Vec<String> = Vec::new();
    let mut watches = 0;
    for fd in fds.flatten() {
        // Only inotify descriptors: their link reads `anon_inode:inotify`.
        let is_inotify =
            fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == "anon_inode:inotify");
        if !is_inotify {
            continue;
        }
        if let Ok(info) = fs::read_to_string(dir.join("fdinfo").join(fd.file_name())) {
            let lines = watch_lines(&info);
            if lines.is_empty() || seen.contains(&lines) {
                continue;
            }
            watches += count_watch_lines(&lines);
            seen.push(lines);
        }
    }
    watches
}

/// The `inotify wd:` lines of an fdinfo text, joined.
fn watch_lines(info: &str) -> String {
    info.lines()
        .filter(|l| l.starts_with("inotify wd:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The watches an fdinfo text lists.
fn count_watch_lines(info: &str) -> u64 {
    info.lines()
        .filter(|l| l.starts_with("inotify wd:"))
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_inotify_lines_only() {
        let info = "pos:\t0\nflags:\t02004000\nmnt_id:\t15\nino:\t1057\n\
            inotify wd:2 ino:1 sdev:800001 mask:100 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:01\n\
            inotify wd:1 ino:2 sdev:800001 mask:100 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:02\n";
        assert_eq!(count_watch_lines(info), 2);
        assert_eq!(count_watch_lines("pos:\t0\n"), 0);
    }

    #[test]
    fn the_test_process_is_a_holder() {
        let ino = crate::Inotify::init().unwrap();
        let dir = std::env::temp_dir();
        ino.add_watch(&dir, crate::WatchMask::CREATE).unwrap();
        let holders = watch_holders().unwrap();
        let me = holders
            .iter()
            .find(|h| h.pid == std::process::id())
            .expect("this process listed");
        assert!(me.watches >= 1);
        assert!(!me.comm.is_empty());
    }
}
