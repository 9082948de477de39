//! pyinotify's `loop.py`: `Notifier::run` (pyinotify's `loop`, a keyword
//! in Rust) with a callback called after each round, and a `StopHandle`
//! that stops it from another thread. With the `signals` feature, Ctrl-C
//! (SIGINT) or SIGTERM stops it too.
//!
//! `cargo run -p inotify-notify --example loop [--features signals] [-- DIR]`

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use inotify_notify::{NotifierBuilder, PrintAllEvents, WatchManager, WatchMask, WatchOptions};

fn main() -> Result<(), inotify_notify::Error> {
    let dir = demo_dir::DemoDir::from_args("loop")?;
    let demo = dir.is_demo();
    let wm = WatchManager::new()?;
    wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &WatchOptions::default())?;
    let builder = NotifierBuilder::new().timeout(Some(Duration::from_secs(1)));
    #[cfg(feature = "signals")]
    let builder = builder.stop_on_signals(true);
    let mut notifier = builder.build(&wm, PrintAllEvents::stdout())?;
    let stop = notifier.stop_handle();
    let run_for = if demo {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(10)
    };
    // The stopper waits `run_for`, or less if `run` ended first (by a
    // signal) and dropped `done`.
    let (done, finished) = mpsc::channel::<()>();
    let stopper = std::thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(run_for) {
            stop.stop(); // wakes the blocked wait at once
        }
    });
    if demo {
        std::fs::write(dir.join("x"), b"")?;
    }
    let mut rounds = 0u32;
    notifier.run(|_| {
        rounds += 1;
        false
    })?;
    drop(done);
    println!("stopped after {rounds} rounds");
    #[cfg(feature = "signals")]
    if let Some(signal) = notifier.stop_handle().signal() {
        println!("stopped by signal {signal}");
    }
    if stopper.join().is_err() {
        eprintln!("the stopper thread panicked");
    }
    dir.remove()?;
    Ok(())
}
