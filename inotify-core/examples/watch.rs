//! The workspace's main job until `inotify-cli` exists: watch a directory
//! tree recursively with `AutoWatcher` and print one line per event.
//!
//! ```text
//! cargo run --release -p inotify-core --example watch -- [DIR]
//! ```
//!
//! Each line is `MASK FULLPATH` (`IN_CREATE|IN_ISDIR /tmp/x/new`), flushed
//! as it is written, so the output can be piped. Directories created or
//! moved in later are watched too; `Q_OVERFLOW` prints `IN_Q_OVERFLOW -`.
//! Stops with an error message on a read failure. With DIR, runs until
//! interrupted; without, a demo in a temporary directory that makes a few
//! entries, prints their events and stops once the queue stays empty.

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::time::Duration;

use inotify_core::{AutoWatcher, WatchMask, wait_readable};

/// What the example watches for: every event a watch can ask for.
const MASK: WatchMask = WatchMask::ALL_EVENTS;

fn main() -> ExitCode {
    if let Some(extra) = std::env::args_os().nth(2) {
        eprintln!("watch: unexpected argument {}", extra.to_string_lossy());
        eprintln!("usage: watch [DIR]");
        return ExitCode::from(2);
    }
    let result = demo_dir::DemoDir::from_args("watch").and_then(|dir| {
        run(&dir)?;
        dir.remove()
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("watch: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &demo_dir::DemoDir) -> io::Result<()> {
    let mut auto: AutoWatcher = AutoWatcher::new(None)?;
    let wds = auto.watcher().add_all(dir.path(), MASK, (), |err| {
        // A subdirectory we cannot watch is reported, not fatal.
        eprintln!("watch: {err}");
        Ok(())
    })?;
    eprintln!(
        "watch: watching {} directories under {}",
        wds.len(),
        dir.path().display()
    );
    if dir.is_demo() {
        std::fs::create_dir(dir.join("new"))?;
        std::fs::write(dir.join("new/file"), b"x")?;
        std::fs::rename(dir.join("new"), dir.join("renamed"))?;
    }
    let stdout = io::stdout();
    let mut line = Vec::with_capacity(256);
    loop {
        // The demo ends once nothing more comes for a while.
        if dir.is_demo() {
            let fd = auto.watcher().inotify().as_fd();
            let [ready] = wait_readable([fd], Some(Duration::from_millis(200)))?;
            if !ready {
                return Ok(());
            }
        }
        let mut out = stdout.lock();
        for event in auto.read()? {
            line.clear();
            write!(line, "{} ", event.event.mask)?;
            match event.fullpath() {
                // Paths are bytes: print them as they are, not lossily.
                Some(path) => line.extend_from_slice(path.as_os_str().as_bytes()),
                None => line.push(b'-'),
            }
            line.push(b'\n');
            out.write_all(&line)?;
        }
        out.flush()?;
        drop(out);
        for err in auto.take_errors() {
            eprintln!("watch: {err}");
        }
    }
}
