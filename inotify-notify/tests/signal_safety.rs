//! `StopHandle::stop` called from a raw signal handler (issue 11): a
//! handler that does nothing but stop the notifier ends a blocked
//! `Notifier::run`, although the loop retries EINTR.
//!
//! Its own binary: it installs a process-wide SIGUSR1 handler. The one
//! `unsafe` call (registering a raw handler) is allowed here by tidy, as
//! the test's point is exactly what such a handler may call.

use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use inotify_notify::{Event, Notifier, WatchManager, WatchMask, WatchOptions};

#[test]
fn stop_from_a_raw_signal_handler_ends_a_blocked_run() {
    let dir = std::env::temp_dir().join(format!("notify-sigsafe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(&dir, WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let mut notifier = Notifier::new(&wm, |_: &Event| {}).unwrap();
    let stop = notifier.stop_handle();
    // SAFETY:
    // - known: the handler only calls `StopHandle::stop`, documented as
    //   async-signal-safe (one atomic store and one eventfd write; no
    //   allocation, lock or logging); signal-hook saves and restores errno
    //   around it.
    // - trusted: signal-hook's registry runs the closure in signal context
    //   and nothing else.
    let id = unsafe {
        signal_hook::low_level::register(signal_hook::consts::SIGUSR1, move || stop.stop())
    }
    .unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let pid = std::process::id();
    let killer = std::thread::spawn(move || {
        // The signal goes to the process: any thread may run the handler,
        // the blocked one included (its poll then sees EINTR and retries).
        std::thread::sleep(Duration::from_millis(100));
        let status = Command::new("kill")
            .args(["-USR1", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        // If the run never ends, fail the test instead of hanging it.
        if done_rx.recv_timeout(Duration::from_secs(10)).is_err() {
            eprintln!("run did not return within 10 s of the signal");
            std::process::exit(1);
        }
    });
    let started = Instant::now();
    notifier.run(|_| false).unwrap();
    done_tx.send(()).unwrap();
    killer.join().unwrap();
    assert!(notifier.stop_handle().is_stopped());
    assert!(started.elapsed() < Duration::from_secs(10));
    signal_hook::low_level::unregister(id);
    std::fs::remove_dir_all(&dir).unwrap();
}
