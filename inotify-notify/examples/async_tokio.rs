//! pyinotify's `AsyncNotifier` on tokio: watch a tree (recursively, new
//! directories included), print every event, stop on Ctrl-C (feature
//! `tokio`). No thread besides the runtime's own.
//!
//! ```text
//! cargo run -p inotify-notify --features tokio --example async_tokio -- [DIR]
//! ```
//!
//! With DIR, runs until Ctrl-C; without, a demo in a temporary directory
//! that stops once it has seen the events of the files it made.

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::error::Error;
use std::time::Duration;

use futures_util::StreamExt;
use inotify_notify::{AsyncNotifier, WatchManager, WatchMask, WatchOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = demo_dir::DemoDir::from_args("async")?;
    let wm = WatchManager::new()?;
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    let added = wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &options)?;
    println!(
        "watching {} ({} directories); Ctrl-C to stop",
        dir.path().display(),
        added.len()
    );

    let mut notifier = AsyncNotifier::new(&wm)?;
    let last = dir.join("sub/last");
    if dir.is_demo() {
        std::fs::create_dir(dir.join("sub"))?;
        std::fs::write(dir.join("sub/first"), b"1")?;
        std::fs::write(&last, b"2")?;
    }
    // The demo's bound, should its events not come.
    let give_up = tokio::time::sleep(if dir.is_demo() {
        Duration::from_secs(10)
    } else {
        Duration::MAX / 2
    });
    tokio::pin!(give_up);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            event = notifier.next() => match event {
                Some(Ok(event)) => {
                    println!("{event}");
                    // Its CREATE (synthetic if it beat the new
                    // directory's watch) or any later event.
                    if dir.is_demo() && event.pathname() == last {
                        break;
                    }
                }
                // A failed automatic add: report it and go on.
                Some(Err(err)) => eprintln!("error: {err}"),
                // Only after a failed read: the error was printed above.
                None => return Err("the notifier stopped".into()),
            },
            signal = &mut ctrl_c => {
                signal?;
                println!("interrupted; {} watches were active", wm.num_watches());
                break;
            }
            () = &mut give_up => return Err("the demo's events did not come".into()),
        }
    }
    drop(notifier);
    dir.remove()?;
    Ok(())
}
