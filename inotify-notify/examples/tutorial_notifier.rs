//! pyinotify's `tutorial_notifier.py`: a handler class with
//! `process_IN_CREATE`/`process_IN_DELETE`, a `Notifier`, and its loop.
//!
//! `cargo run -p inotify-notify --example tutorial_notifier [-- DIR]`:
//! with DIR, watches it until interrupted; without, runs a short demo in
//! a temporary directory.

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::time::{Duration, Instant};

use inotify_notify::{Event, Notifier, ProcessEvent, WatchManager, WatchMask, WatchOptions};

struct EventHandler;

impl ProcessEvent for EventHandler {
    fn process_in_create(&mut self, event: &Event) {
        println!("Creating: {}", event.pathname().display());
    }

    fn process_in_delete(&mut self, event: &Event) {
        println!("Removing: {}", event.pathname().display());
    }
}

fn main() -> Result<(), inotify_notify::Error> {
    let (dir, demo) = demo_dir::dir_from_args("tutorial")?;
    let wm = WatchManager::new()?;
    let options = WatchOptions {
        rec: true,
        ..WatchOptions::default()
    };
    wm.add_watch(&dir, WatchMask::CREATE | WatchMask::DELETE, &options)?;
    let mut notifier = Notifier::new(&wm, EventHandler)?;
    if !demo {
        return notifier.run(|_| false);
    }
    std::fs::write(dir.join("hello.txt"), b"hi")?;
    std::fs::remove_file(dir.join("hello.txt"))?;
    let deadline = Instant::now() + Duration::from_millis(200);
    notifier.run(|_| Instant::now() > deadline)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
