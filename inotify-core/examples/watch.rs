//! The workspace's main job until `inotify-cli` exists: watch a directory
//! tree recursively with `AutoWatcher` and print one line per event.
//!
//! ```text
//! cargo run --release -p inotify-core --example watch -- [DIR]
//! ```
//!
//! Each line is `MASK FULLPATH` (`IN_CREATE|IN_ISDIR /tmp/x/new`), flushed
//! as it is written, so the output can be piped. `DIR` defaults to `.`.
//! Directories created or moved in later are watched too; `Q_OVERFLOW`
//! prints `IN_Q_OVERFLOW -`. Stops with an error message on a read failure.

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::ExitCode;

use inotify_core::{AutoWatcher, WatchMask};

/// What the example watches for: every event a watch can ask for.
const MASK: WatchMask = WatchMask::ALL_EVENTS;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| OsString::from(".")));
    if let Some(extra) = args.next() {
        eprintln!("watch: unexpected argument {}", extra.to_string_lossy());
        eprintln!("usage: watch [DIR]");
        return ExitCode::from(2);
    }
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("watch: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &std::path::Path) -> io::Result<()> {
    let mut auto: AutoWatcher = AutoWatcher::new(None)?;
    let wds = auto.watcher().add_all(dir, MASK, (), |err| {
        // A subdirectory we cannot watch is reported, not fatal.
        eprintln!("watch: {err}");
        Ok(())
    })?;
    eprintln!(
        "watch: watching {} directories under {}",
        wds.len(),
        dir.display()
    );
    let stdout = io::stdout();
    let mut line = Vec::with_capacity(256);
    loop {
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
