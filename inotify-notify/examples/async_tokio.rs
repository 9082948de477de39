//! pyinotify's `AsyncNotifier` on tokio: watch a tree (recursively, new
//! directories included), print every event, stop on Ctrl-C (feature
//! `tokio`). No thread besides the runtime's own.
//!
//! ```text
//! cargo run -p inotify-notify --features tokio --example async_tokio -- [DIR]
//! ```

use std::error::Error;
use std::path::PathBuf;

use futures_util::StreamExt;
use inotify_notify::{AsyncNotifier, WatchManager, WatchMask, WatchOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let wm = WatchManager::new()?;
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    let added = wm.add_watch(&dir, WatchMask::ALL_EVENTS, &options)?;
    println!(
        "watching {} ({} directories); Ctrl-C to stop",
        dir.display(),
        added.len()
    );

    let mut notifier = AsyncNotifier::new(&wm)?;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            event = notifier.next() => match event {
                Some(Ok(event)) => println!("{event}"),
                // A failed automatic add: report it and go on.
                Some(Err(err)) => eprintln!("error: {err}"),
                // Only after a failed read: the error was printed above.
                None => return Err("the notifier stopped".into()),
            },
            signal = &mut ctrl_c => {
                signal?;
                println!("interrupted; {} watches were active", wm.num_watches());
                return Ok(());
            }
        }
    }
}
