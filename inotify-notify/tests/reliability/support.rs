//! Shared helpers of the reliability tests: unique temp dirs, a recording
//! handler, bounded pumping, the leak guard every test runs under, and
//! re-running a test inside a user namespace.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use inotify_notify::{Error, ErrorKind, Event, Notifier, ProcessEvent};

/// Every wait in these tests ends by this deadline.
pub const TIMEOUT: Duration = Duration::from_secs(10);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "inotify-reliability-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(err) = fs::remove_dir_all(&self.0) {
            eprintln!("warning: cannot remove {}: {err}", self.0.display());
        }
    }
}

/// What a [`Recorder`] saw, shared with the test.
#[derive(Default)]
pub struct Seen {
    pub events: Vec<Event>,
    /// `(kind, message)` of every `process_error` call.
    pub errors: Vec<(ErrorKind, String)>,
}

/// A handle on what a [`Recorder`] saw.
pub type Record = Arc<Mutex<Seen>>;

/// A handler recording every event and every error.
pub struct Recorder(pub Record);

impl Recorder {
    pub fn new() -> (Record, Recorder) {
        let record = Record::default();
        (record.clone(), Recorder(record))
    }
}

impl ProcessEvent for Recorder {
    fn process_default(&mut self, event: &Event) {
        lock(&self.0).events.push(event.clone());
    }

    fn process_error(&mut self, error: &Error) {
        lock(&self.0)
            .errors
            .push((*error.kind(), error.to_string()));
    }
}

/// Locks a record even after a handler panicked.
pub fn lock(record: &Record) -> std::sync::MutexGuard<'_, Seen> {
    record.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `notifier` until `done` holds for the record or [`TIMEOUT`]
/// passes; returns whether `done` held. Loop errors are returned.
pub fn pump(
    notifier: &mut Notifier<impl ProcessEvent>,
    record: &Record,
    done: impl Fn(&Seen) -> bool,
) -> inotify_notify::Result<bool> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if done(&lock(record)) {
            return Ok(true);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        if notifier.check_events(Some(left.min(Duration::from_millis(200))))? {
            notifier.read_events()?;
        }
        notifier.process_events()?;
    }
}

/// Polls `cond` until it holds or [`TIMEOUT`] passes.
pub fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Whether some event has this `maskname` and `pathname`.
pub fn has(events: &[Event], maskname: &str, pathname: &Path) -> bool {
    events
        .iter()
        .any(|e| e.maskname() == maskname && e.pathname() == pathname)
}

/// Names (`Event::name`) of the events whose mask name is `maskname`.
pub fn names(events: &[Event], maskname: &str) -> Vec<OsString> {
    events
        .iter()
        .filter(|e| e.maskname() == maskname)
        .filter_map(|e| e.name().map(std::ffi::OsStr::to_os_string))
        .collect()
}

/// The process-wide resources a notifier may leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// Entries of `/proc/self/fd`.
    pub fds: usize,
    /// Threads, not counting the main thread and libtest's test threads.
    pub threads: usize,
    /// `inotify wd:` lines over every `/proc/self/fdinfo/*`: live watches.
    pub watches: usize,
}

impl Resources {
    pub fn now() -> Resources {
        Resources {
            fds: fs::read_dir("/proc/self/fd").map_or(0, Iterator::count),
            threads: own_threads(),
            watches: live_watches(),
        }
    }
}

/// Threads of this process other than the main one and libtest's workers
/// (named after their test, `module::name`, which `comm` keeps within its
/// 15 bytes as every module name here is short). A helper thread of a test
/// must be named, or it would inherit its test's name. Threads the libraries
/// start are named (`inotify-notifier`) or inherit such a name.
fn own_threads() -> usize {
    let pid = std::process::id().to_string();
    // A thread libtest just spawned carries the main thread's name until
    // it names itself.
    let main = fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| task.file_name() != *pid)
        .filter(|task| {
            fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| !comm.contains("::") && comm != main)
        })
        .count()
}

/// The `comm` of every thread, for failure messages.
fn thread_names() -> Vec<String> {
    fs::read_dir("/proc/self/task").map_or_else(
        |_| Vec::new(),
        |tasks| {
            tasks
                .flatten()
                .filter_map(|t| fs::read_to_string(t.path().join("comm")).ok())
                .map(|c| c.trim().to_owned())
                .collect()
        },
    )
}

/// Live inotify watches of this process, as the kernel lists them: one
/// line per watch per descriptor (a dup'd descriptor lists its instance's
/// watches again), so only differences are meaningful.
pub fn live_watches() -> usize {
    let Ok(fds) = fs::read_dir("/proc/self/fdinfo") else {
        return 0;
    };
    fds.flatten()
        .filter_map(|fd| fs::read_to_string(fd.path()).ok())
        .map(|text| {
            text.lines()
                .filter(|l| l.starts_with("inotify wd:"))
                .count()
        })
        .sum()
}

/// The kernel masks (`mask:` of `/proc/self/fdinfo`) of the watches of the
/// inotify descriptor `fd`, by wd.
pub fn fdinfo_masks(fd: i32) -> Vec<(i32, u32)> {
    let text = fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).expect("fdinfo");
    text.lines()
        .filter_map(|l| l.strip_prefix("inotify "))
        .filter_map(|l| {
            let field = |key: &str| {
                l.split_whitespace()
                    .find_map(|kv| kv.strip_prefix(key))
                    .map(str::to_owned)
            };
            let wd = field("wd:")?.parse().ok()?;
            let mask = u32::from_str_radix(&field("mask:")?, 16).ok()?;
            Some((wd, mask))
        })
        .collect()
}

/// Serialises the leak-checked tests: the counts are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `body` alone and asserts that descriptors, threads and live
/// watches return to their count from before it (polling up to 2 s for
/// threads to exit and descriptors to close).
pub fn leak_checked<T>(body: impl FnOnce() -> T) -> T {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    // A thread of the previous test may still be exiting (it sent its
    // result first): none of ours runs between tests.
    let deadline = Instant::now() + Duration::from_secs(2);
    while own_threads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let before = Resources::now();
    let out = body();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut after = Resources::now();
    while after != before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
        after = Resources::now();
    }
    assert_eq!(
        after,
        before,
        "leaked descriptors, threads or watches; threads: {:?}",
        thread_names()
    );
    out
}

/// Set in a child run of this binary (inside a namespace).
const CHILD_ENV: &str = "INOTIFY_RELIABILITY_CHILD";

/// Whether this process is such a child.
pub fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Re-runs `test` (its full name) alone in a new process of this binary
/// under `unshare <flags>` (`-Ur`: a user namespace where we may lower the inotify
/// ucount limits without touching the host's). Returns `true` in the child,
/// which should run the body; `false` in the parent after the child passed
/// or when user namespaces are unavailable (the reason is printed).
/// Panics with the child's output when it fails.
pub fn in_user_namespace(test: &str, flags: &[&str]) -> bool {
    if in_child() {
        return true;
    }
    match Command::new("unshare").args(flags).arg("true").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            eprintln!(
                "skipped {test}: `unshare {}` failed: {}",
                flags.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return false;
        }
        Err(err) => {
            eprintln!("skipped {test}: cannot run unshare: {err}");
            return false;
        }
    }
    let exe = std::env::current_exe().expect("path of the test binary");
    let out = Command::new("unshare")
        .args(flags)
        .arg(&exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("spawn the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} failed in the user namespace:\n{stdout}\n{stderr}"
    );
    false
}

/// Linux errno values (the same on every architecture; these tests do not
/// name `libc`).
pub const EINTR: i32 = 4;
/// Out of memory.
pub const ENOMEM: i32 = 12;
/// Try again.
pub const EAGAIN: i32 = 11;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// Too many open files.
pub const EMFILE: i32 = 24;
/// No space left (the watch limit).
pub const ENOSPC: i32 = 28;

/// Runs `f` on a helper thread and waits at most `limit` for it to end;
/// returns how long it took, or `None` when it did not end in time (the
/// thread is then left behind, and the leak guard reports it too).
pub fn within<F: FnOnce() + Send + 'static>(limit: Duration, f: F) -> Option<Duration> {
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::Builder::new()
        .name("bounded-call".into())
        .spawn(move || {
            f();
            let _ = tx.send(());
        })
        .expect("spawn");
    rx.recv_timeout(limit).ok().map(|()| start.elapsed())
}

/// Sets a per-namespace inotify limit (`max_inotify_watches` or
/// `max_inotify_instances`).
pub fn set_user_limit(name: &str, value: usize) {
    fs::write(format!("/proc/sys/user/{name}"), value.to_string()).unwrap();
}

/// Every directory below `root` (not following links), `root` included.
pub fn all_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let mut subs: Vec<PathBuf> = fs::read_dir(&out[i])
            .unwrap()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        subs.sort();
        out.extend(subs);
        i += 1;
    }
    out
}
