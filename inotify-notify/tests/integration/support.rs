//! Shared helpers of the integration tests: unique temp dirs, a collecting
//! handler, bounded waits, and leak accounting.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify_notify::{Event, Notifier, NotifierBuilder, WatchManager};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("inotify-notify-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Events collected by a handler, shared with the test.
pub type Collected = Arc<Mutex<Vec<Event>>>;

/// A handler pushing every event into the returned vector.
pub fn collector() -> (Collected, impl FnMut(&Event) + Send + 'static) {
    let events: Collected = Arc::default();
    let sink = events.clone();
    (events, move |e: &Event| {
        sink.lock().unwrap().push(e.clone());
    })
}

/// A notifier on `wm` collecting into a vector.
pub fn collecting_notifier(wm: &WatchManager, builder: &NotifierBuilder) -> (Notifier, Collected) {
    let (events, handler) = collector();
    let notifier = builder.build(wm, handler).expect("notifier").into_dyn();
    (notifier, events)
}

/// Runs `notifier` until `done` holds for the collected events or
/// `timeout` passes; returns whether `done` held.
pub fn pump_until(
    notifier: &mut Notifier<impl inotify_notify::ProcessEvent>,
    events: &Collected,
    timeout: Duration,
    mut done: impl FnMut(&[Event]) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done(&events.lock().unwrap()) {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        if notifier
            .check_events(Some(left.min(Duration::from_millis(50))))
            .expect("check_events")
        {
            notifier.read_events().expect("read_events");
        }
        notifier.process_events().expect("process_events");
    }
}

/// Reads until the queue stays empty for `quiet`, bounded by `timeout`.
pub fn pump_quiet(
    notifier: &mut Notifier<impl inotify_notify::ProcessEvent>,
    quiet: Duration,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if notifier.check_events(Some(quiet)).expect("check_events") {
            notifier.read_events().expect("read_events");
            notifier.process_events().expect("process_events");
        } else {
            return;
        }
    }
}

/// Whether some event has `mask` (exact) and `pathname`.
pub fn has(events: &[Event], maskname: &str, pathname: &Path) -> bool {
    events
        .iter()
        .any(|e| e.maskname() == maskname && e.pathname() == pathname)
}
