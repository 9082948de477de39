//! pyinotify's `tutorial_threadednotifier.py`: the notifier runs on its own
//! thread while the main thread adds a watch, works, and stops it.
//!
//! `cargo run -p inotify-notify --example tutorial_threadednotifier [-- DIR]`

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::time::Duration;

use inotify_notify::{Event, ThreadedNotifier, WatchManager, WatchMask, WatchOptions};

fn main() -> Result<(), inotify_notify::Error> {
    let dir = demo_dir::DemoDir::from_args("threaded")?;
    let demo = dir.is_demo();
    let wm = WatchManager::new()?;
    let mut notifier = ThreadedNotifier::new(&wm, |event: &Event| {
        println!("{} {}", event.maskname(), event.pathname().display());
    })?;
    notifier.start()?;
    // Watches can be added while the notifier thread runs.
    wm.add_watch(
        dir.path(),
        WatchMask::CREATE | WatchMask::DELETE,
        &WatchOptions::default(),
    )?;
    if demo {
        std::fs::write(dir.join("a"), b"")?;
        std::fs::remove_file(dir.join("a"))?;
        std::thread::sleep(Duration::from_millis(100));
    } else {
        std::thread::sleep(Duration::from_secs(10));
    }
    // Returns at once even though the thread is blocked waiting.
    notifier.stop()?;
    dir.remove()?;
    Ok(())
}
