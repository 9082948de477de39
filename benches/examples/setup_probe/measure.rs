//! One run of one contender: spawn it, wait for "Watches established." on
//! its stderr, read its figures from `/proc` (and the mark slab caches'
//! growth since the spawn from `/sys/kernel/slab`) at that moment, then
//! kill and reap it — by its pid, through a guard, on every path out of
//! the run.

use std::io::{self, BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use benches::{
    ProcStat, fanotify_marks, inotify_watches, mark_slab_bytes, schedstat_ns, status_bytes,
};

/// Longest wait for a contender to be ready (a million directories take
/// tens of seconds on a loaded machine).
const READY_DEADLINE: Duration = Duration::from_mins(10);

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// From just before the spawn to the ready line read.
    pub(crate) wall: Duration,
    /// `utime` and `stime` of `/proc/PID/stat` at ready (tick precision).
    pub(crate) user: Duration,
    pub(crate) sys: Duration,
    /// All threads' CPU at ready, from `schedstat` (nanosecond precision).
    pub(crate) cpu: Duration,
    /// `VmRSS` and `VmHWM` at ready, in bytes.
    pub(crate) rss: u64,
    pub(crate) hwm: u64,
    /// Watches held at ready, when counted (`fdinfo`).
    pub(crate) watches: Option<usize>,
    /// fanotify marks held at ready, when counted (`fdinfo`).
    pub(crate) marks: Option<usize>,
    /// Growth of the machine's watch and mark slab caches from just before
    /// the spawn to ready, in bytes; `None` where they are not readable.
    pub(crate) kernel: Option<f64>,
}

/// A spawned contender, killed and reaped when dropped.
struct Guard {
    child: Child,
    reader: Option<JoinHandle<()>>,
    name: &'static str,
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Nothing better can be done with a failure here than saying so.
        if matches!(self.child.try_wait(), Ok(None))
            && let Err(err) = self.child.kill()
        {
            eprintln!(
                "warning: cannot kill {} ({}): {err}",
                self.name,
                self.child.id()
            );
        }
        if let Err(err) = self.child.wait() {
            eprintln!(
                "warning: cannot reap {} ({}): {err}",
                self.name,
                self.child.id()
            );
        }
        if let Some(reader) = self.reader.take()
            && reader.join().is_err()
        {
            eprintln!("warning: the stderr reader of {} panicked", self.name);
        }
    }
}

fn ticks(n: u64, clk_tck: u64) -> Duration {
    Duration::from_nanos(n.saturating_mul(1_000_000_000) / clk_tck.max(1))
}

/// Runs `cmd` once as contender `name`; counts its watches when `count`.
pub(crate) fn run_once(
    name: &'static str,
    mut cmd: Command,
    count: bool,
    clk_tck: u64,
) -> io::Result<Sample> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let slab_before = mark_slab_bytes();
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("{name}: cannot start: {e}")))?;
    let mut guard = Guard {
        child,
        reader: None,
        name,
    };
    let pipe = guard
        .child
        .stderr
        .take()
        .ok_or_else(|| io::Error::other("child has no stderr pipe"))?;
    // A thread reads stderr so the wait for the ready line has a deadline
    // and the pipe never fills while the probe reads /proc.
    let (tx, lines) = mpsc::channel();
    guard.reader = Some(thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    }));
    let mut said = Vec::new();
    let deadline = start + READY_DEADLINE;
    let ready = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok((at, line)) => {
                let done = line.contains("Watches established.");
                said.push(line);
                if done {
                    break at;
                }
            }
            Err(err) => {
                let why = match err {
                    RecvTimeoutError::Timeout => "not ready in time",
                    RecvTimeoutError::Disconnected => "stderr closed before it was ready",
                };
                let status = guard.child.try_wait()?;
                return Err(io::Error::other(format!(
                    "{name}: {why} (exit status {status:?}, stderr: {:?})",
                    said.join(" / ")
                )));
            }
        }
    };
    let pid = guard.child.id();
    let slab_after = mark_slab_bytes();
    let times = ProcStat::read(pid)?;
    let cpu = Duration::from_nanos(schedstat_ns(pid)?);
    let rss = status_bytes(pid, "VmRSS")?;
    let hwm = status_bytes(pid, "VmHWM")?;
    let (watches, marks) = if count {
        (inotify_watches(pid)?, fanotify_marks(pid)?)
    } else {
        (None, None)
    };
    drop(guard);
    #[allow(clippy::cast_precision_loss, reason = "slab bytes are far below 2^53")]
    let kernel = slab_before
        .zip(slab_after)
        .map(|(before, after)| after as f64 - before as f64);
    Ok(Sample {
        wall: ready.duration_since(start),
        user: ticks(times.utime, clk_tck),
        sys: ticks(times.stime, clk_tck),
        cpu,
        rss,
        hwm,
        watches,
        marks,
        kernel,
    })
}
