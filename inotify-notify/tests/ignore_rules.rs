//! `IgnoreRules` (feature `ignore`) against the real kernel: ignored
//! directories are never watched, events of ignored files never reach the
//! handler, git's pattern kinds, and a `.gitignore` edited while watching
//! re-shapes the watch set.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify_notify::{
    Event, IgnoreRules, Notifier, NotifierBuilder, WatchManager, WatchMask, WatchOptions,
};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("ignore-rules-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

type Collected = Arc<Mutex<Vec<Event>>>;

fn notifier(wm: &WatchManager) -> (Notifier, Collected) {
    let events: Collected = Arc::default();
    let sink = events.clone();
    let n = NotifierBuilder::new()
        .build(wm, move |e: &Event| sink.lock().unwrap().push(e.clone()))
        .unwrap()
        .into_dyn();
    (n, events)
}

/// Pumps until an event names `marker` (bounded); returns whether it came.
fn pump_until_marker(n: &mut Notifier, events: &Collected, marker: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.pathname() == marker)
        {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        if n.check_events(Some(left.min(Duration::from_millis(50))))
            .unwrap()
        {
            n.read_events().unwrap();
        }
        n.process_events().unwrap();
    }
}

fn options(rules: &IgnoreRules) -> WatchOptions {
    WatchOptions {
        rec: true,
        auto_add: true,
        exclude_filter: Some(rules.filter()),
        ..WatchOptions::default()
    }
}

fn watched(wm: &WatchManager) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = wm.watches().into_iter().map(|w| w.path).collect();
    v.sort();
    v
}

/// A checkout: 2,000 ignored directories under `target/` and
/// `node_modules/`, 100 kept ones under `src/`.
#[test]
fn checkout_watches_only_the_kept_directories() {
    let t = TempDir::new("checkout");
    let root = &t.0;
    fs::write(root.join(".gitignore"), "target/\nnode_modules/\n").unwrap();
    for i in 0..1000 {
        fs::create_dir_all(root.join(format!("target/debug/d{i}"))).unwrap();
        fs::create_dir_all(root.join(format!("node_modules/p{i}"))).unwrap();
    }
    fs::create_dir_all(root.join(".git/objects")).unwrap();
    for i in 0..99 {
        fs::create_dir_all(root.join(format!("src/m{i}"))).unwrap();
    }
    fs::write(root.join("src/.gitignore"), "*.tmp\n").unwrap();
    // src + 99 below it = 100 kept directories.
    let rules = IgnoreRules::builder().gitignore(root).build().unwrap();
    let wm = WatchManager::new().unwrap();
    let start = Instant::now();
    wm.add_watch(root, WatchMask::ALL_EVENTS, &options(&rules))
        .unwrap();
    let took = start.elapsed();
    assert_eq!(
        wm.num_watches(),
        101,
        "kept directories + root (took {took:?})"
    );
    let (mut n, events) = notifier(&wm);
    fs::write(root.join("target/debug/d1/x"), b"").unwrap();
    fs::write(root.join("node_modules/p2/y"), b"").unwrap();
    fs::create_dir(root.join("target/new")).unwrap();
    fs::write(root.join("src/m3/kept.rs"), b"").unwrap();
    let marker = root.join("src/marker");
    fs::write(&marker, b"").unwrap();
    assert!(pump_until_marker(&mut n, &events, &marker));
    let events = events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.pathname() == root.join("src/m3/kept.rs"))
    );
    // Rule files are read before their directory's watch lands: reading
    // them is not reported.
    assert!(
        !events.iter().any(|e| e.pathname().ends_with(".gitignore")),
        "{events:?}"
    );
    for e in events.iter() {
        let p = e.pathname();
        assert!(
            !p.starts_with(root.join("target")) && !p.starts_with(root.join("node_modules")),
            "event under an ignored path: {e:?}"
        );
    }
    assert_eq!(wm.num_watches(), 101);
}

/// Files' events are filtered too, by the pattern kinds git knows.
#[test]
fn negation_anchored_and_dir_only_patterns() {
    let t = TempDir::new("patterns");
    let root = &t.0;
    // `*.log` ignored but `keep.log` re-included; `/build` only at the
    // root; `out/` only directories.
    fs::write(root.join(".gitignore"), "*.log\n!keep.log\n/build\nout/\n").unwrap();
    for d in ["build", "sub/build", "out", "sub/nested"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    // A nested rule file re-includes what its parent ignores.
    fs::write(root.join("sub/nested/.gitignore"), "!*.log\n").unwrap();
    let rules = IgnoreRules::builder().gitignore(root).build().unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(root, WatchMask::CLOSE_WRITE, &options(&rules))
        .unwrap();
    let got = watched(&wm);
    assert!(
        !got.contains(&root.join("build")),
        "anchored /build: {got:?}"
    );
    assert!(
        got.contains(&root.join("sub/build")),
        "unanchored below: {got:?}"
    );
    assert!(!got.contains(&root.join("out")), "dir-only out/: {got:?}");
    let (mut n, events) = notifier(&wm);
    for f in [
        "a.log",
        "keep.log",
        "out",
        "sub/b.log",
        "sub/nested/c.log",
        "sub/build/d",
    ] {
        let _ = fs::remove_dir_all(root.join(f));
        fs::write(root.join(f), b"").unwrap();
    }
    let marker = root.join("marker");
    fs::write(&marker, b"").unwrap();
    assert!(pump_until_marker(&mut n, &events, &marker));
    let names: Vec<PathBuf> = events
        .lock()
        .unwrap()
        .iter()
        .map(Event::pathname)
        .map(Path::to_path_buf)
        .collect();
    for kept in ["keep.log", "out", "sub/nested/c.log", "sub/build/d"] {
        assert!(
            names.contains(&root.join(kept)),
            "{kept} missing: {names:?}"
        );
    }
    for ignored in ["a.log", "sub/b.log"] {
        assert!(
            !names.contains(&root.join(ignored)),
            "{ignored} reported: {names:?}"
        );
    }
}

/// Editing `.gitignore` while watching unwatches what it now ignores and
/// watches (and scans) what it no longer ignores.
#[test]
fn editing_gitignore_reshapes_the_watch_set() {
    let t = TempDir::new("reshape");
    let root = &t.0;
    fs::write(root.join(".gitignore"), "target/\n").unwrap();
    fs::create_dir_all(root.join("target/debug")).unwrap();
    fs::create_dir_all(root.join("dist/js")).unwrap();
    fs::write(root.join("target/debug/old"), b"").unwrap();
    let rules = IgnoreRules::builder().gitignore(root).build().unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(
        root,
        WatchMask::CREATE | WatchMask::CLOSE_WRITE,
        &options(&rules),
    )
    .unwrap();
    assert_eq!(
        watched(&wm),
        [root.clone(), root.join("dist"), root.join("dist/js")]
    );
    let (mut n, events) = notifier(&wm);
    fs::write(root.join(".gitignore"), "dist/\n").unwrap();
    let marker = root.join("marker");
    let deadline = Instant::now() + Duration::from_secs(10);
    while watched(&wm) != [root.clone(), root.join("target"), root.join("target/debug")] {
        assert!(
            Instant::now() < deadline,
            "not re-shaped: {:?}",
            watched(&wm)
        );
        n.check_events(Some(Duration::from_millis(50))).unwrap();
        n.read_events().unwrap();
        n.process_events().unwrap();
    }
    fs::write(root.join("dist/js/ignored-now"), b"").unwrap();
    fs::write(&marker, b"").unwrap();
    assert!(pump_until_marker(&mut n, &events, &marker));
    let names: Vec<PathBuf> = events
        .lock()
        .unwrap()
        .iter()
        .map(Event::pathname)
        .map(Path::to_path_buf)
        .collect();
    // The scan of the directory no longer ignored reports what was in it.
    assert!(names.contains(&root.join("target/debug/old")), "{names:?}");
    assert!(
        !names.contains(&root.join("dist/js/ignored-now")),
        "{names:?}"
    );
}

#[test]
fn globs_include_exclude_and_exclude_dir() {
    let t = TempDir::new("globs");
    let root = &t.0;
    for d in ["a/node_modules/x", "a/src", "tmp"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    let rules = IgnoreRules::builder()
        .exclude_dir("node_modules")
        .unwrap()
        .exclude_glob("tmp")
        .unwrap()
        .include_glob("*.rs")
        .unwrap()
        .build()
        .unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(root, WatchMask::CLOSE_WRITE, &options(&rules))
        .unwrap();
    assert_eq!(
        watched(&wm),
        [root.clone(), root.join("a"), root.join("a/src")]
    );
    let (mut n, events) = notifier(&wm);
    fs::write(root.join("a/src/skip.txt"), b"").unwrap();
    let marker = root.join("a/src/marker.rs");
    fs::write(&marker, b"").unwrap();
    assert!(pump_until_marker(&mut n, &events, &marker));
    let names: Vec<PathBuf> = events
        .lock()
        .unwrap()
        .iter()
        .map(Event::pathname)
        .map(Path::to_path_buf)
        .collect();
    assert!(!names.contains(&root.join("a/src/skip.txt")), "{names:?}");
}

/// A handler keeping events and errors.
#[derive(Clone, Default)]
struct Both {
    events: Collected,
    errors: Arc<Mutex<Vec<inotify_notify::Error>>>,
}

impl inotify_notify::ProcessEvent for Both {
    fn process_default(&mut self, event: &Event) {
        self.events.lock().unwrap().push(event.clone());
    }

    fn process_error(&mut self, error: &inotify_notify::Error) {
        self.errors.lock().unwrap().push(error.clone());
    }
}

/// Pumps until `errors` holds `n` errors (bounded); returns whether it did.
fn pump_until_errors(n: &mut Notifier, seen: &Both, count: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.errors.lock().unwrap().len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        if n.check_events(Some(left.min(Duration::from_millis(50))))
            .unwrap()
        {
            n.read_events().unwrap();
        }
        n.process_events().unwrap();
    }
    true
}

/// A rule file with a line that does not parse reaches `process_error`
/// as an `InvalidPattern` error naming the file (its other lines are in
/// force), whether it is met by the add or edited in while watching.
#[test]
fn bad_rule_file_reaches_process_error_naming_the_file() {
    let t = TempDir::new("bad-rules");
    let root = &t.0;
    fs::create_dir_all(root.join("src/gen")).unwrap();
    fs::create_dir_all(root.join("src/kept")).unwrap();
    let bad = root.join("src/.gitignore");
    fs::write(&bad, "gen/\na{b\n").unwrap();
    let rules = IgnoreRules::builder().gitignore(root).build().unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(root, WatchMask::CREATE, &options(&rules))
        .unwrap();
    assert_eq!(
        watched(&wm),
        [root.clone(), root.join("src"), root.join("src/kept")]
    );
    let seen = Both::default();
    let mut n = NotifierBuilder::new()
        .build(&wm, seen.clone())
        .unwrap()
        .into_dyn();
    assert!(pump_until_errors(&mut n, &seen, 1), "no error delivered");
    {
        let errors = seen.errors.lock().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(*errors[0].kind(), inotify_notify::ErrorKind::InvalidPattern);
        assert_eq!(errors[0].path(), Some(bad.as_path()));
        let text = errors[0].to_string();
        assert!(text.contains("line 2") && text.contains("a{b"), "{text}");
        assert_eq!(text.matches(&*bad.to_string_lossy()).count(), 1, "{text}");
    }
    // Edited in while watching: the re-read rule file is reported too.
    let top = root.join(".gitignore");
    fs::write(&top, "x{\n").unwrap();
    assert!(pump_until_errors(&mut n, &seen, 2), "edit not reported");
    let errors = seen.errors.lock().unwrap();
    assert_eq!(errors[1].path(), Some(top.as_path()), "{errors:?}");
}

/// With a read threshold, the errors of a rule file met by the add are
/// still delivered although no event is queued: the pending waker they
/// set makes a round run. Before, `read_events` returned at the unmet
/// threshold, the waker stayed readable, and the loop spun without ever
/// delivering them (the same for a rescan left due by an overflow).
#[test]
fn rule_file_errors_reach_a_notifier_with_a_read_threshold() {
    let t = TempDir::new("bad-rules-threshold");
    let root = &t.0;
    fs::create_dir_all(root.join("src")).unwrap();
    let bad = root.join("src/.gitignore");
    fs::write(&bad, "a{b\n").unwrap();
    let rules = IgnoreRules::builder().gitignore(root).build().unwrap();
    let wm = WatchManager::new().unwrap();
    wm.add_watch(root, WatchMask::CREATE, &options(&rules))
        .unwrap();
    let seen = Both::default();
    let mut n = NotifierBuilder::new()
        .threshold(1 << 20)
        .build(&wm, seen.clone())
        .unwrap()
        .into_dyn();
    assert!(pump_until_errors(&mut n, &seen, 1), "no error delivered");
    assert_eq!(seen.errors.lock().unwrap()[0].path(), Some(bad.as_path()));
}
