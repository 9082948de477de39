//! pyinotify's `transient_file.py`, grown into a log follower (`tail -F`):
//! `WatchManager::watch_transient_file` on a log, read to its end on every
//! change, across the three ways logs are rotated, losing no line.
//!
//! `cargo run -p inotify-notify --example transient_file [-- FILE]`: with
//! FILE, follows it until interrupted, printing each line appended from now
//! on. Without, a demo in a temporary directory: a writer appends numbered
//! lines while rotating the log by rename + create (logrotate's `create`),
//! by copytruncate, and by delete + re-create — writing to its old
//! descriptor after each rotation, as a daemon does until it reopens its
//! log — and the follower must read every line once, in order.
//!
//! The recipe (see `watch_transient_file`'s docs): keep the live file open;
//! on `MOVED_FROM`/`DELETE` of the name keep that descriptor as "rotated";
//! on `CREATE`/`MOVED_TO` open the new file from its start; on every change
//! read the rotated descriptors to their end before the live one, and close
//! them once the live file has data (the writer has moved over); a live
//! file shorter than what was read was truncated (copytruncate).

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify_notify::{
    Event, Notifier, ProcessEvent, SharedHandler, ThreadedNotifier, WatchManager, WatchMask,
};

/// How long the demo waits for the follower at each step.
const DEADLINE: Duration = Duration::from_secs(10);

/// An open file read up to `pos`, with the incomplete last line kept.
struct Tail {
    file: File,
    /// Device and inode: which file this is, whatever its name now.
    id: (u64, u64),
    pos: u64,
    partial: Vec<u8>,
}

impl Tail {
    /// Opens `path` at its start (`None` if it does not exist).
    fn open(path: &Path) -> io::Result<Option<Tail>> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        let meta = file.metadata()?;
        Ok(Some(Tail {
            file,
            id: (meta.dev(), meta.ino()),
            pos: 0,
            partial: Vec::new(),
        }))
    }

    /// Whether the file holds bytes not read yet.
    fn has_unread(&self) -> io::Result<bool> {
        Ok(self.file.metadata()?.len() > self.pos)
    }

    /// Starts over at 0 if the file is now shorter than what was read;
    /// returns whether it was.
    fn check_truncated(&mut self) -> io::Result<bool> {
        if self.file.metadata()?.len() >= self.pos {
            return Ok(false);
        }
        self.file.seek(SeekFrom::Start(0))?;
        self.pos = 0;
        self.partial.clear();
        Ok(true)
    }

    /// Reads to the end, passing each complete line (without its `\n`).
    fn read_lines(&mut self, out: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        let mut chunk = [0; 8192];
        loop {
            let n = self.file.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            self.pos += n as u64;
            self.partial.extend_from_slice(&chunk[..n]);
            let mut start = 0;
            while let Some(end) = self.partial[start..].iter().position(|&b| b == b'\n') {
                out(&self.partial[start..start + end]);
                start += end + 1;
            }
            self.partial.drain(..start);
        }
    }
}

/// The follower: the transient file's handler.
struct Follower {
    path: PathBuf,
    live: Option<Tail>,
    /// Files rotated away, oldest first: the writer may append to them
    /// until it reopens the log.
    rotated: Vec<Tail>,
    /// `None`: print each line; `Some`: keep them (the demo checks them).
    lines: Option<Vec<String>>,
    truncations: usize,
    /// The first read failure (a handler cannot return it).
    error: Option<io::Error>,
}

impl Follower {
    fn new(path: PathBuf, keep: bool) -> Self {
        Follower {
            path,
            live: None,
            rotated: Vec::new(),
            lines: keep.then(Vec::new),
            truncations: 0,
            error: None,
        }
    }

    /// Runs `step`, keeping its first failure.
    fn attempt(&mut self, step: impl FnOnce(&mut Self) -> io::Result<()>) {
        if let Err(err) = step(self)
            && self.error.is_none()
        {
            eprintln!("following {}: {err}", self.path.display());
            self.error = Some(err);
        }
    }

    /// Reads what is new: the rotated files first (older lines), then the
    /// live file.
    fn catch_up(&mut self) -> io::Result<()> {
        if self.live.is_none() {
            self.adopt()?;
        }
        let mut moved_over = false;
        if let Some(live) = &mut self.live {
            if live.check_truncated()? {
                self.truncations += 1;
            }
            // Checked before the rotated files are drained: the writer
            // writes its last line to the old file before its first to the
            // new one, so this drain is then the old file's last.
            moved_over = live.pos > 0 || live.has_unread()?;
        }
        let lines = &mut self.lines;
        let mut out = |line: &[u8]| match lines {
            Some(lines) => lines.push(String::from_utf8_lossy(line).into_owned()),
            None => println!("{}", String::from_utf8_lossy(line)),
        };
        for tail in &mut self.rotated {
            tail.read_lines(&mut out)?;
        }
        if moved_over {
            self.rotated.clear();
        }
        if let Some(live) = &mut self.live {
            live.read_lines(&mut out)?;
        }
        Ok(())
    }

    /// The name went away (renamed or deleted): what is open becomes a
    /// rotated file.
    fn rotate(&mut self) -> io::Result<()> {
        self.catch_up()?;
        if let Some(live) = self.live.take() {
            self.rotated.push(live);
        }
        Ok(())
    }

    /// A new file has the name.
    fn reopen(&mut self) -> io::Result<()> {
        self.adopt()?;
        self.catch_up()
    }

    /// Makes the file that has the name now the live one. Events are
    /// handled after the fact, so it may be one already open (a name
    /// opened at an earlier event, after the rotation had happened): then
    /// that descriptor goes on, never a second one on the same file.
    fn adopt(&mut self) -> io::Result<()> {
        let Some(new) = Tail::open(&self.path)? else {
            return Ok(());
        };
        if self.live.as_ref().is_some_and(|live| live.id == new.id) {
            return Ok(());
        }
        if let Some(old) = self.live.take() {
            self.rotated.push(old);
        }
        self.live = match self.rotated.iter().position(|t| t.id == new.id) {
            Some(at) => Some(self.rotated.remove(at)),
            None => Some(new),
        };
        Ok(())
    }
}

impl ProcessEvent for Follower {
    fn process_in_create(&mut self, _: &Event) {
        self.attempt(Follower::reopen);
    }
    fn process_in_moved_to(&mut self, _: &Event) {
        self.attempt(Follower::reopen);
    }
    fn process_in_modify(&mut self, _: &Event) {
        self.attempt(Follower::catch_up);
    }
    fn process_in_delete(&mut self, _: &Event) {
        self.attempt(Follower::rotate);
    }
    fn process_in_moved_from(&mut self, _: &Event) {
        self.attempt(Follower::rotate);
    }
    fn process_in_ignored(&mut self, event: &Event) {
        eprintln!(
            "{}: its directory is no longer watched",
            event.pathname().display()
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wm = WatchManager::new()?;
    if let Some(file) = std::env::args_os().nth(1) {
        return follow(&wm, Path::new(&file));
    }
    let dir = demo_dir::DemoDir::temp("transient")?;
    demo(&wm, &dir)?;
    dir.remove()?;
    Ok(())
}

/// Follows `file` until interrupted, from its current end.
fn follow(wm: &WatchManager, file: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut follower = Follower::new(file.to_path_buf(), false);
    if let Some(mut tail) = Tail::open(file)? {
        tail.pos = tail.file.seek(SeekFrom::End(0))?;
        follower.live = Some(tail);
    }
    let handler: SharedHandler = Arc::new(Mutex::new(follower));
    wm.watch_transient_file(file, WatchMask::MODIFY, handler)?;
    eprintln!("following {}; Ctrl-C to stop", file.display());
    Notifier::new(wm, |_: &Event| {})?.run(|_| false)?;
    Ok(())
}

/// The writer of the demo: a log opened for appending, numbered lines.
struct Writer {
    path: PathBuf,
    file: File,
    next: usize,
}

impl Writer {
    fn open(path: &Path) -> io::Result<File> {
        OpenOptions::new().create(true).append(true).open(path)
    }

    fn write(&mut self, count: usize) -> io::Result<()> {
        for _ in 0..count {
            writeln!(self.file, "line {}", self.next)?;
            self.next += 1;
        }
        Ok(())
    }

    /// The daemon reopens its log (after logrotate's signal).
    fn reopen(&mut self) -> io::Result<()> {
        self.file = Self::open(&self.path)?;
        Ok(())
    }
}

/// Waits until `done` holds for the follower, or fails after [`DEADLINE`].
fn wait_for(
    follower: &Mutex<Follower>,
    what: &str,
    done: impl Fn(&Follower) -> bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        {
            let follower = follower.lock().map_err(|_| "follower lock poisoned")?;
            if let Some(err) = &follower.error {
                return Err(format!("the follower failed: {err}").into());
            }
            if done(&follower) {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for the follower to {what}").into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The number of lines the follower has read.
fn read_count(f: &Follower) -> usize {
    f.lines.as_ref().map_or(0, Vec::len)
}

/// Writes and rotates `dir/app.log` three ways while a follower reads it;
/// checks that it read every line once, in order.
fn demo(wm: &WatchManager, dir: &demo_dir::DemoDir) -> Result<(), Box<dyn std::error::Error>> {
    let log = dir.join("app.log");
    let follower = Arc::new(Mutex::new(Follower::new(log.clone(), true)));
    let handler: SharedHandler = follower.clone();
    wm.watch_transient_file(&log, WatchMask::MODIFY, handler)?;
    let mut notifier = ThreadedNotifier::new(wm, |_: &Event| {})?;
    notifier.start()?;

    // The log appears (the follower learns it from CREATE).
    let mut writer = Writer {
        path: log.clone(),
        file: Writer::open(&log)?,
        next: 0,
    };
    writer.write(100)?;
    // Rotations come long after the log appeared (and apart from each
    // other): the follower has the file open by then. Rotating a file
    // before any reader opened it loses it to every reader that goes by
    // the name.
    wait_for(&follower, "catch up", |f| read_count(f) == writer.next)?;

    // 1. logrotate `create`: rename, create the new log, signal the daemon;
    //    until it reopens, the daemon still writes to the rotated file.
    std::fs::rename(&log, dir.join("app.log.1"))?;
    writer.write(10)?;
    File::create(&log)?;
    writer.write(10)?;
    writer.reopen()?;
    writer.write(100)?;
    println!("rotated by rename + create at line 120");

    // 2. copytruncate: copy, then truncate in place. Lines written between
    //    the two are lost to any reader, and a truncation is visible only
    //    while the file is shorter than what was read: wait for the
    //    follower before and after (a real rotation is that far apart).
    wait_for(&follower, "catch up", |f| read_count(f) == writer.next)?;
    std::fs::copy(&log, dir.join("app.log.2"))?;
    OpenOptions::new().write(true).open(&log)?.set_len(0)?;
    wait_for(&follower, "see the truncation", |f| f.truncations == 1)?;
    writer.write(100)?;
    println!("rotated by copytruncate at line 220");

    // 3. delete + re-create: the unlinked file is still written to until
    //    the daemon reopens the log.
    wait_for(&follower, "catch up", |f| read_count(f) == writer.next)?;
    std::fs::remove_file(&log)?;
    writer.write(10)?;
    writer.reopen()?;
    writer.write(100)?;
    println!("rotated by delete + re-create at line 330");

    wait_for(&follower, "read every line", |f| {
        read_count(f) >= writer.next
    })?;
    notifier.stop()?;
    let follower = follower.lock().map_err(|_| "follower lock poisoned")?;
    let lines = follower.lines.as_deref().unwrap_or_default();
    let want: Vec<String> = (0..writer.next).map(|i| format!("line {i}")).collect();
    if lines != want.as_slice() {
        let first_bad = lines.iter().zip(&want).position(|(a, b)| a != b);
        return Err(format!(
            "the follower read {} lines, {} written; first difference at {first_bad:?}",
            lines.len(),
            want.len()
        )
        .into());
    }
    println!(
        "followed {} lines across 3 rotations, none lost or repeated",
        lines.len()
    );
    Ok(())
}
