//! Leak accounting around notifiers: descriptors (`/proc/self/fd`) and
//! threads (`/proc/self/task`) come back to their baseline after many
//! start/stop/drop cycles. Its own binary, so no other test's threads or
//! descriptors move the counts.

use std::time::{Duration, Instant};

use inotify_notify::{
    Event, NotifierBuilder, ThreadedNotifier, WatchManager, WatchMask, WatchOptions,
};

/// Open descriptors and threads of this process.
fn resources() -> (usize, usize) {
    let count = |dir: &str| std::fs::read_dir(dir).map_or(0, Iterator::count);
    (count("/proc/self/fd"), count("/proc/self/task"))
}

/// Waits (bounded) until the counts are back at `baseline`.
fn settles(baseline: (usize, usize)) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let now = resources();
        if now.0 <= baseline.0 && now.1 <= baseline.1 {
            return true;
        }
        if Instant::now() > deadline {
            eprintln!("baseline {baseline:?}, now {now:?}");
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn notifiers_release_descriptors_and_threads() {
    let dir = std::env::temp_dir().join(format!("inotify-notify-leaks-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let baseline = resources();
    for round in 0..20 {
        let wm = WatchManager::new().unwrap();
        let options = WatchOptions {
            rec: true,
            auto_add: true,
            ..WatchOptions::default()
        };
        wm.add_watch(&dir, WatchMask::ALL_EVENTS, &options).unwrap();
        let mut threaded = ThreadedNotifier::new(&wm, |_: &Event| {}).unwrap();
        threaded.start().unwrap();
        std::fs::write(dir.join(format!("f{round}")), b"").unwrap();
        if round % 2 == 0 {
            threaded.stop().unwrap();
        }
        drop(threaded); // dropping a running notifier stops and joins it
        let (channel, rx) = NotifierBuilder::new().build_channel(&wm, 1).unwrap();
        drop(channel);
        drop(rx);
        drop(wm);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(settles(baseline), "descriptors or threads leaked");
}
