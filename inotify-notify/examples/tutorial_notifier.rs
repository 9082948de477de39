//! pyinotify's `tutorial_notifier.py`: a handler class with
//! `process_IN_CREATE`/`process_IN_DELETE`, a `Notifier`, and its loop.
//!
//! `cargo run -p inotify-notify --example tutorial_notifier [-- DIR]`:
//! with DIR, watches it until interrupted; without, runs a short demo in
//! a temporary directory.

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::time::{Duration, Instant};

use inotify_notify::{
    Event, Notifier, NotifierBuilder, ProcessEvent, WatchManager, WatchMask, WatchOptions,
};

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
    let dir = demo_dir::DemoDir::from_args("tutorial")?;
    let wm = WatchManager::new()?;
    let options = WatchOptions {
        rec: true,
        ..WatchOptions::default()
    };
    wm.add_watch(dir.path(), WatchMask::CREATE | WatchMask::DELETE, &options)?;
    if !dir.is_demo() {
        return Notifier::new(&wm, EventHandler)?.run(|_| false);
    }
    // The timeout lets the loop's callback see the deadline once the
    // demo's events are handled.
    let mut notifier = NotifierBuilder::new()
        .timeout(Some(Duration::from_millis(50)))
        .build(&wm, EventHandler)?;
    std::fs::write(dir.join("hello.txt"), b"hi")?;
    std::fs::remove_file(dir.join("hello.txt"))?;
    let deadline = Instant::now() + Duration::from_millis(200);
    notifier.run(|_| Instant::now() > deadline)?;
    dir.remove()?;
    Ok(())
}
