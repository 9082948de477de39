//! pyinotify's `stats.py`: count events per kind with `Stats` and print
//! the table from the loop's callback, then dump it to a file.
//!
//! `cargo run -p inotify-notify --example stats [-- DIR]`

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify_notify::{
    Event, NotifierBuilder, Stats, WatchManager, WatchMask, WatchOptions, dispatch,
};

fn main() -> Result<(), inotify_notify::Error> {
    let dir = demo_dir::DemoDir::from_args("stats")?;
    let demo = dir.is_demo();
    let wm = WatchManager::new()?;
    wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &WatchOptions::default())?;
    let stats = Arc::new(Mutex::new(Stats::new()));
    let feed = stats.clone();
    let mut notifier = NotifierBuilder::new()
        .timeout(Some(Duration::from_millis(100)))
        .build(&wm, move |e: &Event| {
            if let Ok(mut stats) = feed.lock() {
                dispatch(&mut *stats, e);
            }
        })?;
    if demo {
        for i in 0..5 {
            std::fs::write(dir.join(format!("f{i}")), b"data")?;
        }
    }
    let deadline = Instant::now() + Duration::from_millis(if demo { 300 } else { 10_000 });
    notifier.run(|_| Instant::now() > deadline)?;
    let stats = stats
        .lock()
        .map_err(|_| std::io::Error::other("stats lock poisoned"))?;
    print!("{stats}");
    let dump = std::env::temp_dir().join(format!("inotify-stats-{}.txt", std::process::id()));
    stats.dump(&dump)?;
    println!("dumped to {}", dump.display());
    std::fs::remove_file(&dump)?;
    dir.remove()?;
    Ok(())
}
