//! pyinotify's `chain.py`: a handler wrapping an inner one (`pevent`) that
//! runs first and decides whether the chain goes on (`ChainIfTrue`).
//!
//! `cargo run -p inotify-notify --example chain [-- DIR]`

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::time::{Duration, Instant};

use inotify_notify::{
    ChainIfTrue, Event, NotifierBuilder, PrintAllEvents, WatchManager, WatchMask, WatchOptions,
};

fn main() -> Result<(), inotify_notify::Error> {
    let dir = demo_dir::DemoDir::from_args("chain")?;
    let demo = dir.is_demo();
    let wm = WatchManager::new()?;
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())?;
    // The inner link logs every event and lets only non-hidden names through
    // to the printer.
    let inner = |event: &Event| {
        println!("inner saw {}", event.pathname().display());
        event
            .name()
            .is_some_and(|n| !n.as_encoded_bytes().starts_with(b"."))
    };
    // The timeout lets the loop's callback see the deadline when no event
    // comes.
    let mut notifier = NotifierBuilder::new()
        .timeout(Some(Duration::from_millis(50)))
        .build(&wm, ChainIfTrue::new(inner, PrintAllEvents::stdout()))?;
    if demo {
        std::fs::write(dir.join("visible"), b"")?;
        std::fs::write(dir.join(".hidden"), b"")?;
    }
    let deadline = Instant::now() + Duration::from_millis(if demo { 200 } else { 10_000 });
    notifier.run(|_| Instant::now() > deadline)?;
    dir.remove()?;
    Ok(())
}
