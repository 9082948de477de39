//! Where output goes: events to stdout or `-o FILE` (flushed per batch, a
//! closed pipe ends the program with an error instead of spinning), and
//! messages to stderr or, with `-s`/`-d`, to syslog through the `/dev/log`
//! datagram socket (no libc needed).

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

use crate::timefmt;

/// The text of an OS error as C's `strerror` prints it (no path, no
/// ` (os error N)` suffix); other errors as they display.
pub fn strerror(err: &io::Error) -> String {
    let Some(code) = inotify_notify::raw_os_error(err) else {
        return err.to_string();
    };
    let text = io::Error::from_raw_os_error(code).to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// The destination of events: records are appended to one buffer (the
/// printers render straight into it, [`EventSink::record`]) and written
/// with one `write(2)` per flush, or when it passes 64 KiB.
pub struct EventSink {
    /// Records not yet written.
    buf: Vec<u8>,
    out: Box<dyn Write + Send>,
}

impl EventSink {
    /// Bytes buffered before they are written without waiting for a flush.
    const CAPACITY: usize = 64 * 1024;

    fn new(out: Box<dyn Write + Send>) -> Self {
        EventSink {
            buf: Vec::with_capacity(Self::CAPACITY),
            out,
        }
    }

    /// Events to standard output.
    pub fn stdout() -> Self {
        EventSink::new(Box::new(io::stdout()))
    }

    /// Events appended to `path` (created with mode 0600, as inotifywait).
    pub fn file(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)?;
        Ok(EventSink::new(Box::new(file)))
    }

    /// Queues one record. A write error (EPIPE when the reader went away:
    /// Rust ignores SIGPIPE, so it arrives as an error) is returned, and
    /// the caller stops.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.record(|buf| buf.extend_from_slice(bytes))
    }

    /// Queues the record `render` appends to the buffer it is given (the
    /// buffer holds earlier records: `render` only appends). Errors as
    /// [`EventSink::write`].
    #[inline]
    pub fn record(&mut self, render: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        render(&mut self.buf);
        if self.buf.len() >= Self::CAPACITY {
            self.write_buffered()?;
        }
        Ok(())
    }

    /// Writes the buffered records out; they are dropped even when the
    /// write fails (the caller then stops).
    fn write_buffered(&mut self) -> io::Result<()> {
        let written = self.out.write_all(&self.buf);
        self.buf.clear();
        written
    }

    /// Pushes queued records out (called when no more events are waiting,
    /// so a reader sees each event at once but bursts cost one write).
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_buffered()?;
        self.out.flush()
    }
}

impl Drop for EventSink {
    /// Writes what is still buffered, as `BufWriter` does; an error here
    /// has no caller left to stop, so it is logged.
    fn drop(&mut self) {
        if !self.buf.is_empty()
            && let Err(err) = self.flush()
        {
            log::warn!("events not written at exit: {}", strerror(&err));
        }
    }
}

/// A syslog client on `/dev/log` (facility daemon, priority info, as
/// inotifywait's `openlog(..., LOG_DAEMON)` + `LOG_INFO`).
#[derive(Debug)]
pub struct Syslog {
    socket: Option<UnixDatagram>,
    ident: String,
}

/// `LOG_DAEMON | LOG_INFO`.
const PRIORITY: u32 = (3 << 3) | 6;

impl Syslog {
    /// Connects to `/dev/log`; without a syslog daemon messages fall back
    /// to stderr (as `LOG_CONS` falls back to the console).
    pub fn open(ident: &str) -> Self {
        let socket = UnixDatagram::unbound()
            .and_then(|s| s.connect("/dev/log").map(|()| s))
            .map_err(|err| log::debug!("syslog unavailable: {err}"))
            .ok();
        Syslog {
            socket,
            ident: ident.to_owned(),
        }
    }

    /// Sends one message; `false` when it could not be delivered.
    pub fn send(&self, msg: &str) -> bool {
        let Some(socket) = &self.socket else {
            return false;
        };
        let stamp = timefmt::strftime("%b %e %H:%M:%S", &timefmt::now());
        let line = format!(
            "<{PRIORITY}>{stamp} {}[{}]: {msg}",
            self.ident,
            std::process::id()
        );
        match socket.send(line.as_bytes()) {
            Ok(_) => true,
            Err(err) => {
                log::debug!("syslog send failed: {err}");
                false
            }
        }
    }
}

/// Messages for the user ("Setting up watches.", errors): stderr, or
/// syslog with `-s`.
#[derive(Debug, Default)]
pub struct Diag {
    syslog: Option<Syslog>,
}

impl Diag {
    /// Messages to stderr.
    pub fn stderr() -> Self {
        Diag { syslog: None }
    }

    /// Messages to syslog under `ident`.
    pub fn syslog(ident: &str) -> Self {
        Diag {
            syslog: Some(Syslog::open(ident)),
        }
    }

    /// Prints one message line.
    pub fn say(&self, msg: &str) {
        if let Some(syslog) = &self.syslog
            && syslog.send(msg)
        {
            return;
        }
        to_stderr(msg);
    }
}

/// Writes `text` to stdout and flushes it (help texts, tables); a failure
/// is reported on stderr and returns `false`, so a caller whose exit code
/// says "printed" (`--version`) can say otherwise.
pub fn print_stdout(text: &str) -> bool {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(err) => {
            to_stderr(&format!("write error: {}", strerror(&err)));
            false
        }
    }
}

/// Writes a line to stderr. If stderr itself is gone there is nowhere left
/// to report that, so the error is dropped deliberately.
pub fn to_stderr(msg: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{msg}");
}

/// Writes raw text (no newline added) to stderr, for the progress line.
pub fn to_stderr_raw(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_drops_rust_suffix() {
        let err = io::Error::from_raw_os_error(2);
        assert_eq!(strerror(&err), "No such file or directory");
        assert_eq!(strerror(&io::Error::other("plain")), "plain");
    }

    #[test]
    fn sink_writes_records_on_flush_when_full_and_on_drop() {
        let dir = std::env::temp_dir().join(format!("cli-sink-full-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("log");
        let size = || std::fs::metadata(&path).expect("stat").len();
        let mut sink = EventSink::file(&path).expect("open");
        sink.record(|buf| buf.extend_from_slice(b"one\n"))
            .expect("record");
        assert_eq!(size(), 0, "buffered until the batch ends");
        sink.flush().expect("flush");
        assert_eq!(size(), 4);
        let line = [b'x'; 1023];
        for _ in 0..70 {
            sink.record(|buf| {
                buf.extend_from_slice(&line);
                buf.push(b'\n');
            })
            .expect("record");
        }
        assert!(size() >= 4 + 64 * 1024, "a full buffer is written at once");
        drop(sink);
        assert_eq!(size(), 4 + 70 * 1024, "the rest on drop");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn sink_file_appends() {
        let dir = std::env::temp_dir().join(format!("cli-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("log");
        for line in [&b"a\n"[..], b"b\n"] {
            let mut sink = EventSink::file(&path).expect("open");
            sink.write(line).expect("write");
            sink.flush().expect("flush");
        }
        assert_eq!(std::fs::read(&path).expect("read"), b"a\nb\n");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
