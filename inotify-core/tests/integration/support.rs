//! Shared helpers of the integration tests: unique temporary directories,
//! bounded waits for expected events, and re-running one test in a child
//! process (alone, or inside a fresh user namespace).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use inotify_core::{AutoWatcher, Event, EventBuffer, EventMask, Inotify, WatchDescriptor, Watcher};

/// How long any test waits for an event before failing.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A directory under `std::env::temp_dir()`, unique per process, test and
/// call, removed with everything in it on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/inotify-core-it-<pid>-<counter>-<name>`.
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("inotify-core-it-{}-{n}-{name}", std::process::id()));
        fs::create_dir_all(&path)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", path.display()));
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // A leftover directory is worth a line on stderr, not a second panic.
        if let Err(err) = fs::remove_dir_all(&self.path)
            && err.kind() != io::ErrorKind::NotFound
        {
            eprintln!("warning: cannot remove {}: {err}", self.path.display());
        }
    }
}

/// An event copied out of the read buffer, with the full path when it was
/// read through a `Watcher`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub wd: WatchDescriptor,
    pub mask: EventMask,
    pub cookie: u32,
    pub name: Option<OsString>,
    pub fullpath: Option<PathBuf>,
}

impl Seen {
    fn from_event(event: &Event<'_>, fullpath: Option<PathBuf>) -> Seen {
        Seen {
            wd: event.wd,
            mask: event.mask,
            cookie: event.cookie,
            name: event.to_owned_name(),
            fullpath,
        }
    }
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wd={} mask={} cookie={} name={:?}",
            self.wd, self.mask, self.cookie, self.name
        )?;
        if let Some(path) = &self.fullpath {
            write!(f, " path={}", path.display())?;
        }
        Ok(())
    }
}

/// What one expected event must look like.
///
/// The mask must be equal (not merely contained). The name must be the given
/// one, or absent unless [`Expect::name`] is called. The cookie must be zero,
/// except for `MOVED_FROM`/`MOVED_TO`, whose cookie must not be.
#[derive(Debug, Clone)]
pub struct Expect {
    mask: EventMask,
    name: Option<OsString>,
    wd: Option<WatchDescriptor>,
    fullpath: Option<PathBuf>,
}

impl Expect {
    /// An event with exactly `mask` and no name.
    pub fn new(mask: EventMask) -> Expect {
        Expect {
            mask,
            name: None,
            wd: None,
            fullpath: None,
        }
    }

    /// The event must carry this name (compared byte for byte).
    pub fn name(mut self, name: impl AsRef<OsStr>) -> Expect {
        self.name = Some(name.as_ref().to_os_string());
        self
    }

    /// The event must belong to this watch.
    pub fn wd(mut self, wd: WatchDescriptor) -> Expect {
        self.wd = Some(wd);
        self
    }

    /// The event's full path (through a `Watcher`) must be this.
    pub fn path(mut self, path: impl AsRef<Path>) -> Expect {
        self.fullpath = Some(path.as_ref().to_path_buf());
        self
    }

    fn matches(&self, seen: &Seen) -> bool {
        let is_move = self
            .mask
            .intersects(EventMask::MOVED_FROM | EventMask::MOVED_TO);
        let cookie_ok = if is_move {
            seen.cookie != 0
        } else {
            seen.cookie == 0
        };
        seen.mask == self.mask
            && cookie_ok
            && seen.name.as_ref().map(|n| n.as_bytes()) == self.name.as_ref().map(|n| n.as_bytes())
            && self.wd.is_none_or(|wd| wd == seen.wd)
            && self
                .fullpath
                .as_ref()
                .is_none_or(|p| seen.fullpath.as_ref() == Some(p))
    }
}

/// Reads until every expectation has matched, in order, skipping unrelated
/// events, or panics after `timeout` listing everything seen. Returns every
/// event seen up to the last match (so callers can check what was *not*
/// reported before it) and the index of each match in that list.
pub fn collect(
    mut wait: impl FnMut(Duration) -> io::Result<bool>,
    mut read: impl FnMut(&mut Vec<Seen>) -> io::Result<()>,
    expected: &[Expect],
    timeout: Duration,
) -> (Vec<Seen>, Vec<usize>) {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    let mut matched = Vec::new();
    let mut scanned = 0;
    loop {
        while matched.len() < expected.len() && scanned < seen.len() {
            if expected[matched.len()].matches(&seen[scanned]) {
                matched.push(scanned);
            }
            scanned += 1;
        }
        if matched.len() == expected.len() {
            let last = matched.last().map_or(0, |&i| i + 1);
            seen.truncate(last);
            return (seen, matched);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let ready = wait(left).expect("wait for events");
        if !ready && Instant::now() >= deadline {
            let list: Vec<String> = seen.iter().map(ToString::to_string).collect();
            panic!(
                "timed out after {timeout:?} waiting for {:?}\nmatched {} of {}; events seen:\n  {}",
                expected[matched.len()],
                matched.len(),
                expected.len(),
                list.join("\n  ")
            );
        }
        if ready {
            read(&mut seen).expect("read events");
        }
    }
}

/// [`collect`] on a bare instance; returns the matching events in order.
pub fn expect_events(
    inotify: &Inotify,
    buffer: &mut EventBuffer,
    expected: &[Expect],
    timeout: Duration,
) -> Vec<Seen> {
    expect_events_all(inotify, buffer, expected, timeout).1
}

/// [`collect`] on a bare instance; returns every event seen up to the last
/// match, and the matching events.
pub fn expect_events_all(
    inotify: &Inotify,
    buffer: &mut EventBuffer,
    expected: &[Expect],
    timeout: Duration,
) -> (Vec<Seen>, Vec<Seen>) {
    let (seen, matched) = collect(
        |left| inotify.wait(Some(left)),
        |out| {
            for event in inotify.try_read_events(buffer)? {
                out.push(Seen::from_event(&event, None));
            }
            Ok(())
        },
        expected,
        timeout,
    );
    let hits = matched.iter().map(|&i| seen[i].clone()).collect();
    (seen, hits)
}

/// [`collect`] through a `Watcher` (events carry full paths).
pub fn expect_watcher<T>(
    watcher: &mut Watcher<T>,
    expected: &[Expect],
    timeout: Duration,
) -> (Vec<Seen>, Vec<Seen>) {
    let fd = watcher.inotify().try_clone_for_wait();
    let (seen, matched) = collect(
        |left| fd.wait(left),
        |out| {
            for event in watcher.try_read()? {
                out.push(Seen::from_event(&event.event, event.fullpath()));
            }
            Ok(())
        },
        expected,
        timeout,
    );
    let hits = matched.iter().map(|&i| seen[i].clone()).collect();
    (seen, hits)
}

/// [`collect`] through an `AutoWatcher`.
pub fn expect_auto<T: Clone>(
    auto: &mut AutoWatcher<T>,
    expected: &[Expect],
    timeout: Duration,
) -> (Vec<Seen>, Vec<Seen>) {
    let fd = auto.watcher().inotify().try_clone_for_wait();
    let (seen, matched) = collect(
        |left| fd.wait(left),
        |out| {
            // `wait` said the queue is readable and nothing else reads it, so
            // this blocking read returns at once.
            for event in auto.read()? {
                out.push(Seen::from_event(&event.event, event.fullpath()));
            }
            Ok(())
        },
        expected,
        timeout,
    );
    let hits = matched.iter().map(|&i| seen[i].clone()).collect();
    (seen, hits)
}

/// A duplicate of an instance's descriptor, used only to wait on while the
/// watcher itself is borrowed mutably for reading.
pub struct WaitFd(std::os::fd::OwnedFd);

impl WaitFd {
    /// Waits until readable or `timeout` passes.
    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        use std::os::fd::AsFd;
        inotify_core::wait_readable([self.0.as_fd()], Some(timeout)).map(|[ready]| ready)
    }
}

/// Extension for [`WaitFd`].
pub trait TryCloneForWait {
    /// Duplicates the descriptor (`F_DUPFD_CLOEXEC`).
    fn try_clone_for_wait(&self) -> WaitFd;
}

impl TryCloneForWait for Inotify {
    fn try_clone_for_wait(&self) -> WaitFd {
        use std::os::fd::AsFd;
        WaitFd(self.as_fd().try_clone_to_owned().expect("dup inotify fd"))
    }
}

/// Whether the tests run as root: effective uid 0, the second field of the
/// `Uid:` line of `/proc/self/status` (what `geteuid()` returns).
pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Environment variable set in a child that re-runs one test by itself.
pub const CHILD_ENV: &str = "INOTIFY_CORE_IT_CHILD";

/// Whether this process is such a child.
pub fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Outcome of [`rerun_in_child`].
pub enum Child {
    /// The child ran the test and it passed.
    Passed,
    /// The wrapper (for example `unshare`) is not usable here; the reason.
    Unavailable(String),
}

/// Runs `test` (its full name, e.g. `fd::init_drop_cycles_leak_no_fd`) alone
/// in a new process of this test binary, with [`CHILD_ENV`] set, optionally
/// under `wrapper` (e.g. `["unshare", "-Ur"]`). Panics with the child's
/// output if the test fails there.
pub fn rerun_in_child(test: &str, wrapper: &[&str]) -> Child {
    if let Some((program, args)) = wrapper.split_first() {
        match Command::new(program).args(args).arg("true").output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                return Child::Unavailable(format!(
                    "`{} true` failed: {}",
                    wrapper.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Err(err) => return Child::Unavailable(format!("cannot run {program}: {err}")),
        }
    }
    let exe = std::env::current_exe().expect("path of the test binary");
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let out = command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("spawn the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child run of {test} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    Child::Passed
}

/// Reads the `flags:` field (octal) of `/proc/self/fdinfo/<fd>`.
pub fn fd_flags(fd: i32) -> u32 {
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).expect("read fdinfo");
    let flags = info
        .lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .expect("flags line in fdinfo");
    u32::from_str_radix(flags.trim(), 8).expect("octal flags")
}

/// Number of open descriptors of this process.
pub fn open_fds() -> usize {
    // The listing itself opens one descriptor, counted every time alike.
    fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count()
}
