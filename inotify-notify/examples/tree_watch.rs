//! Watches DIR recursively with `auto_add` and prints the consumer's event
//! stream, one line per event, flushed at once:
//! `MASKNAME PATHNAME`, plus ` <- SRC_PATHNAME` for a paired rename.
//! This line format is stable: other tools (and tests) read it.
//!
//! `cargo run -p inotify-notify --example tree_watch -- DIR [--rescan]`

use std::io::Write;

use inotify_notify::{Event, NotifierBuilder, WatchManager, WatchMask, WatchOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let dir = args.next().ok_or("usage: tree_watch DIR [--rescan]")?;
    let rescan = args.any(|a| a == "--rescan");
    let wm = WatchManager::new()?;
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    let mask = WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::MOVE
        | WatchMask::CLOSE_WRITE
        | WatchMask::MODIFY
        | WatchMask::DELETE_SELF
        | WatchMask::MOVE_SELF;
    wm.add_watch(&dir, mask, &options)?;
    let stdout = std::io::stdout();
    let mut notifier = NotifierBuilder::new()
        .rescan_on_overflow(rescan)
        .stop_when_empty(true)
        .build(&wm, move |event: &Event| {
            let mut out = stdout.lock();
            let line = match &event.src_pathname {
                Some(src) => writeln!(
                    out,
                    "{} {} <- {}",
                    event.maskname(),
                    event.pathname().display(),
                    src.display()
                ),
                None => writeln!(out, "{} {}", event.maskname(), event.pathname().display()),
            };
            // A closed pipe ends the output; nothing else to do with it.
            if line.and_then(|()| out.flush()).is_err() {
                std::process::exit(0);
            }
        })?;
    notifier.run(|_| false)?;
    Ok(())
}
