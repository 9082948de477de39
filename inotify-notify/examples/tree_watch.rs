//! Watches DIR recursively with `auto_add` and prints the consumer's event
//! stream, one line per event, flushed at once:
//! `MASKNAME PATHNAME`, plus ` <- SRC_PATHNAME` for a paired rename.
//! This line format is stable: other tools (and tests) read it.
//!
//! `cargo run -p inotify-notify --example tree_watch -- [DIR [--rescan]]`
//!
//! It runs until the tree is gone (every watch ended) or stdout is closed.
//! Without DIR, a demo in a temporary directory: a thread makes a small
//! tree, renames it, and removes it all, which ends the run.

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use inotify_notify::{Event, NotifierBuilder, WatchManager, WatchMask, WatchOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = demo_dir::DemoDir::from_args("tree-watch")?;
    let rescan = std::env::args_os().skip(2).any(|a| a == "--rescan");
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
    wm.add_watch(dir.path(), mask, &options)?;
    let stdout = std::io::stdout();
    // A closed pipe ends the output and the run.
    let closed = Arc::new(AtomicBool::new(false));
    let closing = Arc::clone(&closed);
    let mut notifier = NotifierBuilder::new()
        .rescan_on_overflow(rescan)
        .stop_when_empty(true)
        .timeout(Some(Duration::from_millis(100)))
        .build(&wm, move |event: &Event| {
            if closing.load(Ordering::Relaxed) {
                return;
            }
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
            if line.and_then(|()| out.flush()).is_err() {
                closing.store(true, Ordering::Relaxed);
            }
        })?;
    let demo = dir.is_demo().then(|| {
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || -> std::io::Result<()> {
            std::fs::create_dir_all(root.join("a/b"))?;
            std::fs::write(root.join("a/b/f"), b"x")?;
            std::fs::rename(root.join("a"), root.join("c"))?;
            // Removing the root ends every watch: the run stops.
            std::fs::remove_dir_all(&root)
        })
    });
    let give_up = Instant::now() + Duration::from_secs(10);
    notifier
        .run(|_| closed.load(Ordering::Relaxed) || (demo.is_some() && Instant::now() > give_up))?;
    if let Some(demo) = demo {
        demo.join().map_err(|_| "the demo thread panicked")??;
        if wm.num_watches() != 0 {
            return Err("the demo's tree was removed but its watches did not end".into());
        }
    }
    dir.remove()?;
    Ok(())
}
