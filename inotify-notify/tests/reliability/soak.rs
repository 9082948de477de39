//! Load: a generator runs flat out against a recursively watched tree
//! (creates, writes, deletes, renames, mkdir, rm -rf) while a
//! `ThreadedNotifier` with `rescan_on_overflow` feeds a consumer that
//! applies every event to its picture of the tree. At the end the picture
//! must equal a fresh walk; events/s, overflows and RSS over time are
//! reported, and RSS must not keep growing.
//!
//! Under `cargo test` it runs for 3 seconds; `cargo xtask soak --minutes
//! N` runs it in release for N minutes (`INOTIFY_SOAK_SECONDS`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify_notify::{Event, EventKind, NotifierBuilder, WatchManager, WatchMask, WatchOptions};

use crate::support::{TIMEOUT, TempDir, leak_checked};

/// Most files and directories the generator keeps, so the tree (and the
/// legitimate memory it needs) stays bounded.
const MAX_FILES: usize = 2000;
const MAX_DIRS: usize = 150;

/// The consumer's picture: relative path → is a directory.
#[derive(Default)]
struct Picture {
    entries: BTreeMap<PathBuf, bool>,
    events: u64,
    overflows: u64,
    /// Set when the end marker's creation arrives.
    marker_seen: bool,
}

impl Picture {
    fn remove_tree(&mut self, rel: &Path) {
        let below: Vec<PathBuf> = self
            .entries
            .range(rel.to_path_buf()..)
            .take_while(|(p, _)| p.starts_with(rel))
            .map(|(p, _)| p.clone())
            .collect();
        for path in below {
            self.entries.remove(&path);
        }
    }

    fn apply(&mut self, root: &Path, event: &Event) {
        self.events += 1;
        if event.kind() == EventKind::QOverflow {
            self.overflows += 1;
            return;
        }
        if event.name().is_none() {
            return;
        }
        let Ok(rel) = event.pathname().strip_prefix(root) else {
            return;
        };
        let rel = rel.to_path_buf();
        match event.kind() {
            EventKind::Create | EventKind::MovedTo => {
                if rel == Path::new("end-marker") {
                    self.marker_seen = true;
                }
                self.entries.insert(rel, event.mask.is_dir());
            }
            EventKind::Delete | EventKind::MovedFrom => self.remove_tree(&rel),
            _ => {}
        }
    }
}

/// A small xorshift generator (no dependency; seeded from the clock).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % u64::try_from(n.max(1)).unwrap()).unwrap()
    }
}

/// The tree as it is: relative path → is a directory.
fn walk(root: &Path) -> BTreeMap<PathBuf, bool> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let path = entry.path();
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), is_dir);
            if is_dir {
                stack.push(path);
            }
        }
    }
    out
}

/// Resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The generator's own view, to pick targets.
struct Generator {
    root: PathBuf,
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    next: u64,
    rng: Rng,
}

impl Generator {
    fn fresh(&mut self, prefix: &str) -> PathBuf {
        self.next += 1;
        let dir = &self.dirs[self.rng.below(self.dirs.len())];
        dir.join(format!("{prefix}{}", self.next))
    }

    /// One operation; errors are impossible as only this thread writes.
    fn step(&mut self) {
        match self.rng.below(100) {
            0..30 if self.files.len() < MAX_FILES => {
                let path = self.fresh("f");
                fs::write(&path, b"new").unwrap();
                self.files.push(path);
            }
            30..50 if !self.files.is_empty() => {
                let path = &self.files[self.rng.below(self.files.len())];
                fs::write(path, b"rewritten").unwrap();
            }
            50..68 if !self.files.is_empty() => {
                let i = self.rng.below(self.files.len());
                fs::remove_file(self.files.swap_remove(i)).unwrap();
            }
            68..80 if !self.files.is_empty() => {
                let i = self.rng.below(self.files.len());
                let to = self.fresh("r");
                fs::rename(&self.files[i], &to).unwrap();
                self.files[i] = to;
            }
            80..92 if self.dirs.len() < MAX_DIRS => {
                let path = self.fresh("d");
                fs::create_dir(&path).unwrap();
                self.dirs.push(path);
            }
            92..95 if self.dirs.len() > 1 => {
                let i = 1 + self.rng.below(self.dirs.len() - 1);
                let gone = self.dirs[i].clone();
                fs::remove_dir_all(&gone).unwrap();
                self.files.retain(|f| !f.starts_with(&gone));
                self.dirs.retain(|d| !d.starts_with(&gone));
            }
            _ => {
                let path = self.fresh("f");
                fs::write(&path, b"").unwrap();
                fs::remove_file(&path).unwrap();
            }
        }
    }
}

#[test]
fn soak_generator_against_a_recursive_notifier() {
    let seconds: u64 = std::env::var("INOTIFY_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    leak_checked(|| soak(Duration::from_secs(seconds)));
}

/// Prints events/s, overflows and the RSS samples.
#[expect(
    clippy::cast_precision_loss,
    reason = "a rate for a human-readable report"
)]
fn report(picture: &Picture, settled: Duration, samples: &[(Duration, u64, u64)]) {
    let secs = settled.as_secs_f64();
    eprintln!(
        "soak: {} events in {secs:.1} s = {:.0} events/s, {} overflows, {} entries at the end",
        picture.events,
        picture.events as f64 / secs,
        picture.overflows,
        picture.entries.len(),
    );
    for (at, events, rss) in samples {
        eprintln!(
            "soak:   t={:6.1}s events={events:>10} rss={rss:>7} KiB",
            at.as_secs_f64()
        );
    }
}

fn soak(duration: Duration) {
    let dir = TempDir::new("soak");
    let root = dir.path().to_path_buf();
    let wm = WatchManager::new().unwrap();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    let mask = WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::MOVED_FROM
        | WatchMask::MOVED_TO
        | WatchMask::MODIFY
        | WatchMask::CLOSE_WRITE;
    wm.add_watch(&root, mask, &options).unwrap();
    let picture = Arc::new(Mutex::new(Picture::default()));
    let sink = picture.clone();
    let event_root = root.clone();
    let mut threaded = NotifierBuilder::new()
        .rescan_on_overflow(true)
        .build_threaded(&wm, move |e: &Event| {
            sink.lock().unwrap().apply(&event_root, e);
        })
        .unwrap();
    threaded.start().unwrap();

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| {
            d.as_secs() ^ u64::from(d.subsec_nanos()) << 20
        })
        | 1;
    let mut generator = Generator {
        root: root.clone(),
        files: Vec::new(),
        dirs: vec![root.clone()],
        next: 0,
        rng: Rng(seed),
    };
    let start = Instant::now();
    let sample_every = (duration / 12).max(Duration::from_millis(250));
    let mut next_sample = start;
    let mut samples: Vec<(Duration, u64, u64)> = Vec::new();
    let mut ops: u64 = 0;
    while start.elapsed() < duration {
        for _ in 0..64 {
            generator.step();
        }
        ops += 64;
        if Instant::now() >= next_sample {
            let events = picture.lock().unwrap().events;
            samples.push((start.elapsed(), events, rss_kib()));
            next_sample += sample_every;
        }
    }
    let generated = start.elapsed();
    fs::write(generator.root.join("end-marker"), b"").unwrap();
    let deadline = Instant::now() + TIMEOUT.max(duration / 4);
    while !picture.lock().unwrap().marker_seen && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let settled = start.elapsed();
    threaded.stop().unwrap();
    let picture = picture.lock().unwrap();
    assert!(picture.marker_seen, "the notifier never caught up");

    eprintln!(
        "soak: seed {seed:#x}, {ops} ops in {:.1} s",
        generated.as_secs_f64()
    );
    report(&picture, settled, &samples);
    let tree = walk(&root);
    let missing: Vec<_> = tree
        .keys()
        .filter(|p| !picture.entries.contains_key(*p))
        .take(5)
        .collect();
    let invented: Vec<_> = picture
        .entries
        .keys()
        .filter(|p| !tree.contains_key(*p))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && invented.is_empty(),
        "picture differs from the tree ({} overflows reported): missing {missing:?}, invented {invented:?}",
        picture.overflows
    );
    // Memory: after the first quarter (tree at its working size), RSS may
    // not keep growing: at most +50 % and 16 MiB over that level.
    if duration >= Duration::from_secs(30) {
        let quarter = samples.len() / 4;
        let base = samples[..=quarter].iter().map(|s| s.2).max().unwrap_or(0);
        let last = samples.last().map_or(0, |s| s.2);
        assert!(
            last <= base + base / 2 + 16 * 1024,
            "RSS grew from {base} KiB to {last} KiB"
        );
    }
}
