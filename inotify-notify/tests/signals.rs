//! `NotifierBuilder::stop_on_signals` (feature `signals`) against real
//! signals: SIGTERM sent to this very process stops a `Notifier::run` and a
//! channel-mode `ThreadedNotifier` at once, and once they are dropped the
//! signal terminates a process again (checked in a child process).
//!
//! A signal reaches the whole process, so this binary holds one test and
//! nothing else runs beside it.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use inotify_notify::{Event, NotifierBuilder, SIGTERM, WatchManager, WatchMask, WatchOptions};

/// Set in the child process: run the child's part instead of the test.
const CHILD_ENV: &str = "INOTIFY_NOTIFY_SIGNALS_CHILD";
const TEST_NAME: &str = "sigterm_stops_notifiers_then_terminates_after_drop";
/// A signal must stop a loop well within this.
const PROMPT: Duration = Duration::from_secs(1);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "inotify-notify-signals-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("create the temp dir");
    dir
}

/// `kill -TERM <our pid>`: the signal goes to the whole process.
fn sigterm_self() {
    let status = Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill failed: {status}");
}

#[test]
fn sigterm_stops_notifiers_then_terminates_after_drop() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child_default_returns_after_drop();
    }
    two_notifiers_stop_on_one_sigterm();
    sigterm_terminates_a_child_after_its_notifier_dropped();
}

/// Two notifiers with signal handling coexist; one SIGTERM stops both:
/// a `Notifier::run` on a thread, and a channel-mode `ThreadedNotifier`.
fn two_notifiers_stop_on_one_sigterm() {
    let dir = temp_dir("two");
    let options = WatchOptions::default();
    let builder = NotifierBuilder::new().stop_on_signals(true);

    let wm_run = WatchManager::new().expect("watch manager");
    wm_run
        .add_watch(&dir, WatchMask::ALL_EVENTS, &options)
        .expect("add watch");
    let mut notifier = builder
        .build(&wm_run, |_: &Event| {})
        .expect("build a notifier with signals");
    let run_stop = notifier.stop_handle();
    let (done_tx, done_rx) = mpsc::channel();
    let runner = thread::spawn(move || {
        let result = notifier.run(|_| false);
        // Sent after `run` returned; the notifier drops with the thread.
        done_tx.send(result.map_err(|e| e.to_string())).ok();
    });

    let wm_threaded = WatchManager::new().expect("watch manager");
    wm_threaded
        .add_watch(&dir, WatchMask::ALL_EVENTS, &options)
        .expect("add watch");
    let (mut threaded, events) = builder
        .build_channel(&wm_threaded, 16)
        .expect("build a channel notifier with signals");
    threaded.start().expect("start the threaded notifier");

    // Both registrations are in place (they happen in `build`): now the
    // signal cannot end the process.
    assert_eq!(run_stop.signal(), None);
    sigterm_self();
    let sent = Instant::now();

    let result = done_rx
        .recv_timeout(PROMPT)
        .expect("Notifier::run did not return within 1 s of SIGTERM");
    assert_eq!(result, Ok(()));
    assert_eq!(run_stop.signal(), Some(SIGTERM));
    runner.join().expect("the run thread panicked");

    // The notifier thread ends and drops the channel's sender.
    let left = PROMPT.saturating_sub(sent.elapsed());
    loop {
        match events.recv_timeout(left) {
            Ok(event) => assert!(sent.elapsed() < PROMPT, "still delivering: {event}"),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the ThreadedNotifier did not stop within 1 s of SIGTERM")
            }
        }
    }
    let threaded_stop = threaded.stop_handle();
    assert!(threaded_stop.is_stopped());
    assert_eq!(threaded_stop.signal(), Some(SIGTERM));
    threaded.stop().expect("join the threaded notifier");
    assert!(!threaded.is_alive());
    std::fs::remove_dir_all(&dir).expect("remove the temp dir");
}

/// A child process registers and drops a notifier, then sends itself
/// SIGTERM: it must die of it, as without any notifier.
fn sigterm_terminates_a_child_after_its_notifier_dropped() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args(["--exact", TEST_NAME, "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, "1")
        .spawn()
        .expect("spawn the child");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("the child did not end within 30 s");
        }
        thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(
        status.signal(),
        Some(SIGTERM),
        "the child should die of SIGTERM after dropping its notifier: {status}"
    );
}

/// The child's part: never returns. Exits 3 if SIGTERM spared it.
fn child_default_returns_after_drop() -> ! {
    let wm = WatchManager::new().expect("watch manager");
    let notifier = NotifierBuilder::new()
        .stop_on_signals(true)
        .build(&wm, |_: &Event| {})
        .expect("build a notifier with signals");
    drop(notifier);
    sigterm_self();
    // The signal is already pending or delivered; give the kernel a
    // bounded moment to act on it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    eprintln!("still alive 5 s after SIGTERM: the default action was not restored");
    std::process::exit(3);
}
