//! Test support: unique temp dirs, and a running program whose stdout and
//! stderr are collected by threads and polled with deadlines.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long any wait in these tests may take.
pub const DEADLINE: Duration = Duration::from_secs(10);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs tests of this binary one at a time. Tests spawn processes, and a
/// fork in one thread briefly holds every open file of the others: a file
/// written by another test is then closed late, in the child, and its
/// `CLOSE_WRITE` arrives after later events under a newer name. Ordered
/// output comparisons need no such interference.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory named after the test.
    pub fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("cli-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside it.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Our binaries.
pub fn ours(prog: &str) -> PathBuf {
    match prog {
        "inotifywait" => PathBuf::from(env!("CARGO_BIN_EXE_inotifywait")),
        "fsnotifywait" => PathBuf::from(env!("CARGO_BIN_EXE_fsnotifywait")),
        "fsnotifywatch" => PathBuf::from(env!("CARGO_BIN_EXE_fsnotifywatch")),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_inotifywatch")),
    }
}

/// The finished program's output.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Finished {
    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Stdout as lines (lossy, for comparisons of ASCII output).
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// A running program.
pub struct Running {
    child: Child,
    pub stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

fn collect(mut r: impl Read + Send + 'static, buf: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.lock().expect("lock").extend_from_slice(&chunk[..n]);
        }
    })
}

/// Starts `program` in `cwd` with `args`.
pub fn spawn<S: AsRef<OsStr>>(program: &Path, args: &[S], cwd: &Path) -> Running {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let readers = vec![
        collect(child.stdout.take().expect("stdout"), Arc::clone(&stdout)),
        collect(child.stderr.take().expect("stderr"), Arc::clone(&stderr)),
    ];
    Running {
        stdin: child.stdin.take(),
        child,
        stdout,
        stderr,
        readers,
    }
}

/// Polls `cond` until it holds or the deadline passes.
pub fn poll_until(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

impl Running {
    /// The pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("lock")).into_owned()
    }

    /// Stdout so far.
    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.lock().expect("lock").clone()
    }

    /// Waits for `needle` on stderr; panics with what was seen otherwise.
    pub fn wait_stderr(&self, needle: &str) {
        assert!(
            poll_until(|| self.stderr().contains(needle)),
            "no {needle:?} on stderr; got {:?}",
            self.stderr()
        );
    }

    /// Waits for `needle` on stdout.
    pub fn wait_stdout(&self, needle: &[u8]) {
        assert!(
            poll_until(|| self.stdout().windows(needle.len()).any(|w| w == needle)),
            "no {:?} on stdout; got {:?}",
            String::from_utf8_lossy(needle),
            String::from_utf8_lossy(&self.stdout())
        );
    }

    /// Waits until the process has at least `n` inotify watches (for runs
    /// with `-q`, which print no "Watches established.").
    pub fn wait_watches(&self, n: usize) {
        let pid = self.pid();
        assert!(
            poll_until(|| inotify_watches(pid) >= n),
            "process never had {n} watches"
        );
    }

    /// Waits for the exit (bounded) and collects the output.
    pub fn wait_exit(mut self) -> Finished {
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return self.finish(status);
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                let status = self.child.wait().expect("wait");
                let f = self.finish(status);
                panic!("did not exit in time; output {f:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `signal` (`TERM`, `INT`) with kill(1), then waits.
    pub fn signal(self, signal: &str) -> Finished {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
        self.wait_exit()
    }

    fn finish(mut self, status: ExitStatus) -> Finished {
        drop(self.stdin.take());
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        Finished {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

/// The number of inotify watches the process `pid` holds (fdinfo lines).
pub fn inotify_watches(pid: u32) -> usize {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|s| s.lines().filter(|l| l.starts_with("inotify wd:")).count())
        .sum()
}

/// Runs a program to completion with a deadline.
pub fn run<S: AsRef<OsStr>>(program: &Path, args: &[S], cwd: &Path) -> Finished {
    spawn(program, args, cwd).wait_exit()
}

/// Shell-free file operations used by the scenarios.
pub fn write(path: &Path, data: &[u8]) {
    std::fs::write(path, data).expect("write");
}
