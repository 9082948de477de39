//! The child side of `cli_drain` (and of `fan_drain`, which includes this
//! file): a running `inotifywait`/`fsnotifywait` under a guard that kills
//! and reaps it, and a follower of the file it writes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use benches::ProcStat;

/// Longest wait for "Watches established." (one directory: instant).
const READY_DEADLINE: Duration = Duration::from_secs(30);
/// Longest wait for the kernel to show a stopped child stopped.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// A running `inotifywait`, killed (by its pid, through `Child::kill`) and
/// reaped when dropped, on every path out of a round.
pub(crate) struct Running {
    child: Child,
    /// Lines of its stderr, read by `reader` so the pipe never fills.
    stderr: Receiver<String>,
    reader: Option<JoinHandle<()>>,
    /// Stderr lines received so far, for error messages.
    said: Vec<String>,
    name: String,
}

impl Running {
    /// Starts `bin FLAGS.. -m -r --format '%w%f %e' -o OUTFILE DIR`.
    pub(crate) fn spawn(
        name: &str,
        bin: &Path,
        flags: &[&str],
        outfile: &Path,
        dir: &Path,
    ) -> io::Result<Self> {
        let child = Command::new(bin)
            .args(flags)
            .args(["-m", "-r", "--format", "%w%f %e", "-o"])
            .arg(outfile)
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("{name}: {}: {e}", bin.display())))?;
        let (tx, stderr) = mpsc::channel();
        let mut running = Running {
            child,
            stderr,
            reader: None,
            said: Vec::new(),
            name: name.to_owned(),
        };
        // From here on the guard owns the child: an early return kills it.
        let pipe = running
            .child
            .stderr
            .take()
            .ok_or_else(|| io::Error::other("child has no stderr pipe"))?;
        running.reader = Some(thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        }));
        Ok(running)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the child said on stderr so far.
    fn said(&mut self) -> String {
        self.said.extend(self.stderr.try_iter());
        self.said.join(" / ")
    }

    /// An error naming the child, with its stderr.
    pub(crate) fn error(&mut self, what: &str) -> io::Error {
        let said = self.said();
        io::Error::other(format!("{}: {what} (stderr: {said:?})", self.name))
    }

    /// Waits for "Watches established." on stderr.
    pub(crate) fn wait_established(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    let done = line.contains("Watches established.");
                    self.said.push(line);
                    if done {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(self.error("no \"Watches established.\" in time"));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.error("stderr closed before \"Watches established.\""));
                }
            }
        }
    }

    /// An error when the child has exited.
    pub(crate) fn check_alive(&mut self) -> io::Result<()> {
        match self.child.try_wait()? {
            Some(status) => Err(self.error(&format!("exited ({status})"))),
            None => Ok(()),
        }
    }

    /// Sends `signal` (`STOP`, `CONT`) with `kill(1)`, to this pid only.
    pub(crate) fn signal(&mut self, signal: &str) -> io::Result<()> {
        self.check_alive()?;
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(self.error(&format!("kill -{signal} failed ({status})")))
        }
    }

    /// Stops the child and waits until the kernel shows it stopped.
    pub(crate) fn stop(&mut self) -> io::Result<()> {
        self.signal("STOP")?;
        let deadline = Instant::now() + STOP_DEADLINE;
        while ProcStat::read(self.pid())?.state != 'T' {
            if Instant::now() > deadline {
                return Err(self.error("not stopped in time"));
            }
            thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // SIGKILL ends a stopped process too. Nothing better can be done
        // with a failure here than saying so.
        if matches!(self.child.try_wait(), Ok(None))
            && let Err(err) = self.child.kill()
        {
            eprintln!("warning: cannot kill {} ({}): {err}", self.name, self.pid());
        }
        if let Err(err) = self.child.wait() {
            eprintln!("warning: cannot reap {} ({}): {err}", self.name, self.pid());
        }
        if let Some(reader) = self.reader.take()
            && reader.join().is_err()
        {
            eprintln!("warning: the stderr reader of {} panicked", self.name);
        }
    }
}

/// Follows a file another process appends lines to.
#[derive(Default)]
pub(crate) struct Tail {
    file: Option<File>,
    pub(crate) lines: usize,
    /// The bytes after the last newline read.
    partial: Vec<u8>,
    /// The last complete line (without its newline).
    pub(crate) last: Vec<u8>,
}

impl Tail {
    /// Reads what was appended since the last call.
    pub(crate) fn update(&mut self, path: &Path, buf: &mut [u8]) -> io::Result<()> {
        if self.file.is_none() {
            match File::open(path) {
                Ok(file) => self.file = Some(file),
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(err) => return Err(err),
            }
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        loop {
            let len = match file.read(buf) {
                Ok(0) => return Ok(()),
                Ok(len) => len,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            let chunk = &buf[..len];
            let Some(end) = chunk.iter().rposition(|&b| b == b'\n') else {
                self.partial.extend_from_slice(chunk);
                continue;
            };
            self.lines += chunk.split(|&b| b == b'\n').count() - 1;
            if let Some(start) = chunk[..end].iter().rposition(|&b| b == b'\n') {
                self.last = chunk[start + 1..end].to_vec();
            } else {
                self.last = std::mem::take(&mut self.partial);
                self.last.extend_from_slice(&chunk[..end]);
            }
            self.partial.clear();
            self.partial.extend_from_slice(&chunk[end + 1..]);
        }
    }
}
