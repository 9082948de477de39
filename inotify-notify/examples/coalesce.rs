//! pyinotify's `coalesce.py`: `coalesce_events` drops duplicate events
//! (same wd, mask, cookie and name) within one read.
//!
//! `cargo run -p inotify-notify --example coalesce [-- DIR]`

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::time::{Duration, Instant};

use inotify_notify::{Event, NotifierBuilder, WatchManager, WatchMask, WatchOptions};

fn main() -> Result<(), inotify_notify::Error> {
    let dir = demo_dir::DemoDir::from_args("coalesce")?;
    let demo = dir.is_demo();
    let wm = WatchManager::new()?;
    wm.add_watch(
        dir.path(),
        WatchMask::OPEN | WatchMask::CLOSE_NOWRITE,
        &WatchOptions::default(),
    )?;
    let mut notifier = NotifierBuilder::new()
        .coalesce_events(true)
        // Let events pile up so one read holds many duplicates.
        .read_freq(Duration::from_millis(50))
        // And lets the loop's callback see the deadline when none comes.
        .timeout(Some(Duration::from_millis(50)))
        .build(&wm, |event: &Event| {
            println!("{} {}", event.maskname(), event.pathname().display());
        })?;
    if demo {
        std::fs::write(dir.join("f"), b"")?;
        for _ in 0..10 {
            std::fs::read(dir.join("f"))?;
        }
    }
    let deadline = Instant::now() + Duration::from_millis(if demo { 200 } else { 10_000 });
    notifier.run(|_| Instant::now() > deadline)?;
    dir.remove()?;
    Ok(())
}
