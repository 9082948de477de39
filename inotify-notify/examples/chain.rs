//! pyinotify's `chain.py`: a handler wrapping an inner one (`pevent`) that
//! runs first and decides whether the chain goes on (`ChainIfTrue`).
//!
//! `cargo run -p inotify-notify --example chain [-- DIR]`

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::time::{Duration, Instant};

use inotify_notify::{
    ChainIfTrue, Event, Notifier, PrintAllEvents, WatchManager, WatchMask, WatchOptions,
};

fn main() -> Result<(), inotify_notify::Error> {
    let (dir, demo) = demo_dir::dir_from_args("chain")?;
    let wm = WatchManager::new()?;
    wm.add_watch(&dir, WatchMask::CREATE, &WatchOptions::default())?;
    // The inner link logs every event and lets only non-hidden names through
    // to the printer.
    let inner = |event: &Event| {
        println!("inner saw {}", event.pathname().display());
        event
            .name()
            .is_some_and(|n| !n.as_encoded_bytes().starts_with(b"."))
    };
    let mut notifier = Notifier::new(&wm, ChainIfTrue::new(inner, PrintAllEvents::stdout()))?;
    if demo {
        std::fs::write(dir.join("visible"), b"")?;
        std::fs::write(dir.join(".hidden"), b"")?;
    }
    let deadline = Instant::now() + Duration::from_millis(if demo { 200 } else { 10_000 });
    notifier.run(|_| Instant::now() > deadline)?;
    if demo {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
