//! pyinotify's `transient_file.py`: keep watching a file (a log or pid
//! file) that is deleted and created again.
//!
//! `cargo run -p inotify-notify --example transient_file [-- DIR]`
//! (watches `DIR/app.pid`).

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::time::{Duration, Instant};

use inotify_notify::{Event, Notifier, WatchManager, WatchMask, shared};

fn main() -> Result<(), inotify_notify::Error> {
    let (dir, demo) = demo_dir::dir_from_args("transient")?;
    let file = dir.join("app.pid");
    let wm = WatchManager::new()?;
    let handler = shared(|event: &Event| {
        println!("{} {}", event.maskname(), event.pathname().display());
    });
    wm.watch_transient_file(&file, WatchMask::MODIFY | WatchMask::DELETE_SELF, handler)?;
    let mut notifier = Notifier::new(&wm, |_: &Event| {})?;
    if demo {
        std::fs::write(&file, b"1")?;
        std::fs::remove_file(&file)?;
        std::fs::write(&file, b"2")?;
    }
    let deadline = Instant::now() + Duration::from_millis(if demo { 300 } else { 30_000 });
    let mut wrote = false;
    notifier.run(|n| {
        // Once the re-created file is watched again, modify it once more.
        if demo && !wrote && n.watch_manager().wd(&file).is_some() {
            wrote = std::fs::write(&file, b"3").is_ok();
        }
        Instant::now() > deadline
    })?;
    if demo {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
