//! Shutdown: `stop()` returns within a second while the notifier is
//! blocked, is idempotent and safe from inside a handler; dropping a
//! notifier never hangs, even with a full channel and no consumer.

use std::fs;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify_notify::{
    Event, Notifier, StopHandle, ThreadedNotifier, WatchManager, WatchMask, WatchOptions,
};

use crate::support::{TIMEOUT, TempDir, eventually, leak_checked, within};

const SECOND: Duration = Duration::from_secs(1);

/// A manager watching `dir` for creations.
fn watching(dir: &TempDir) -> WatchManager {
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    wm
}

/// A started threaded notifier forwarding events to the returned channel,
/// known to be back in its blocking wait (one event went through).
fn running(wm: &WatchManager, dir: &TempDir) -> (ThreadedNotifier, mpsc::Receiver<Event>) {
    let (tx, rx) = mpsc::channel();
    let mut threaded = ThreadedNotifier::new(wm, move |e: &Event| {
        let _ = tx.send(e.clone());
    })
    .unwrap();
    threaded.start().unwrap();
    fs::write(dir.join("warm-up"), b"").unwrap();
    rx.recv_timeout(TIMEOUT).expect("the notifier runs");
    (threaded, rx)
}

#[test]
fn threaded_stop_returns_within_a_second_while_blocked_and_is_idempotent() {
    leak_checked(|| {
        let dir = TempDir::new("stop-blocked");
        let wm = watching(&dir);
        let (mut threaded, _rx) = running(&wm, &dir);
        assert!(threaded.is_alive());
        let start = Instant::now();
        threaded.stop().unwrap();
        let took = start.elapsed();
        assert!(took < SECOND, "stop took {took:?}");
        assert!(!threaded.is_alive());
        threaded.stop().unwrap();
        threaded.stop_handle().stop();
        threaded.stop().unwrap();
        assert!(
            threaded.start().is_err(),
            "a stopped notifier does not restart"
        );
    });
}

#[test]
fn stop_handle_from_another_thread_ends_a_blocked_run_within_a_second() {
    leak_checked(|| {
        let dir = TempDir::new("stop-run");
        let wm = watching(&dir);
        let mut notifier = Notifier::new(&wm, |_: &Event| {}).unwrap();
        let handle = notifier.stop_handle();
        let (tx, rx) = mpsc::channel();
        let stopper = std::thread::Builder::new()
            .name("stopper".into())
            .spawn(move || {
                // Stop only once `run` is waiting (its first callback ran).
                rx.recv().unwrap();
                let start = Instant::now();
                handle.stop();
                handle.stop();
                start
            })
            .unwrap();
        let mut told = false;
        notifier
            .run(|_| {
                if !told {
                    told = true;
                    tx.send(()).unwrap();
                }
                false
            })
            .unwrap();
        let stopped_at = stopper.join().unwrap();
        assert!(stopped_at.elapsed() < SECOND, "{:?}", stopped_at.elapsed());
        // Idempotent: a stopped notifier reports nothing and returns at once.
        assert!(!notifier.check_events(Some(TIMEOUT)).unwrap());
        notifier.run(|_| false).unwrap();
    });
}

#[test]
fn stop_handle_inside_a_handler_ends_the_thread() {
    leak_checked(|| {
        let dir = TempDir::new("stop-handler");
        let wm = watching(&dir);
        let slot: Arc<Mutex<Option<StopHandle>>> = Arc::default();
        let inner = slot.clone();
        let (tx, rx) = mpsc::channel();
        let mut threaded = ThreadedNotifier::new(&wm, move |_: &Event| {
            if let Some(handle) = inner.lock().unwrap().as_ref() {
                handle.stop();
                handle.stop();
            }
            let _ = tx.send(());
        })
        .unwrap();
        *slot.lock().unwrap() = Some(threaded.stop_handle());
        threaded.start().unwrap();
        fs::write(dir.join("f"), b"").unwrap();
        rx.recv_timeout(TIMEOUT).unwrap();
        assert!(eventually(|| !threaded.is_alive()));
        threaded.stop().unwrap();
    });
}

#[test]
fn threaded_stop_and_drop_inside_its_own_handler_do_not_deadlock() {
    leak_checked(|| {
        let dir = TempDir::new("stop-self");
        let wm = watching(&dir);
        let slot: Arc<Mutex<Option<ThreadedNotifier>>> = Arc::default();
        let inner = slot.clone();
        let (tx, rx) = mpsc::channel();
        let mut threaded = ThreadedNotifier::new(&wm, move |_: &Event| {
            // On the notifier thread: stop() must not join itself, and
            // dropping the last owner here must not either.
            let taken = inner.lock().unwrap().take();
            if let Some(mut threaded) = taken {
                let result = threaded.stop();
                drop(threaded);
                let _ = tx.send(result.is_ok());
            }
        })
        .unwrap();
        threaded.start().unwrap();
        *slot.lock().unwrap() = Some(threaded);
        fs::write(dir.join("f"), b"").unwrap();
        assert_eq!(rx.recv_timeout(TIMEOUT), Ok(true));
        // The thread ends on its own (the leak guard waits for it).
    });
}

#[test]
fn dropping_a_blocked_threaded_notifier_never_hangs() {
    leak_checked(|| {
        let dir = TempDir::new("drop-blocked");
        let wm = watching(&dir);
        let (threaded, _rx) = running(&wm, &dir);
        let took = within(SECOND, move || drop(threaded));
        assert!(took.is_some(), "drop hung");
    });
}

#[test]
fn dropping_a_channel_notifier_with_a_full_channel_never_hangs() {
    leak_checked(|| {
        let dir = TempDir::new("drop-channel");
        let wm = watching(&dir);
        let (mut threaded, rx) = ThreadedNotifier::channel(&wm, 1).unwrap();
        threaded.start().unwrap();
        for n in 0..5 {
            fs::write(dir.join(format!("f{n}")), b"").unwrap();
        }
        // The channel holds one event; the thread is stuck sending the next.
        let first = rx.recv_timeout(TIMEOUT).unwrap();
        assert_eq!(first.name(), Some("f0".as_ref()));
        assert!(eventually(|| rx.is_full()));
        let took = within(SECOND, move || drop(threaded));
        assert!(took.is_some(), "drop hung with a full channel");
        drop(rx);
    });
}

#[test]
fn dropping_the_receiver_ends_channel_mode() {
    leak_checked(|| {
        let dir = TempDir::new("drop-receiver");
        let wm = watching(&dir);
        let (mut threaded, rx) = ThreadedNotifier::channel(&wm, 1).unwrap();
        threaded.start().unwrap();
        drop(rx);
        fs::write(dir.join("f"), b"").unwrap();
        assert!(eventually(|| !threaded.is_alive()), "nobody listens: stops");
        let took = within(SECOND, move || drop(threaded));
        assert!(took.is_some());
    });
}

#[test]
fn closing_the_manager_under_a_running_notifier_then_drop_is_prompt() {
    leak_checked(|| {
        let dir = TempDir::new("close-running");
        let wm = watching(&dir);
        let (threaded, rx) = running(&wm, &dir);
        wm.close();
        let ignored = rx.recv_timeout(TIMEOUT).unwrap();
        assert_eq!(ignored.maskname(), "IN_IGNORED");
        assert!(
            wm.add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
                .is_err()
        );
        assert!(within(SECOND, move || drop(threaded)).is_some());
    });
}
