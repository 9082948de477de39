//! The model-checking stress run shared by the `integration` binary (no
//! overflow allowed) and `overflow_rescan` (tiny queue, rescans on): a
//! seeded random sequence of tree operations against a recursively watched
//! root; a consumer applies the received events to an in-memory tree that
//! must equal a fresh walk at the end.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify_notify::{
    Event, EventKind, NotifierBuilder, ThreadedNotifier, WatchManager, WatchMask, WatchOptions,
};

/// The consumer's picture of the tree, built from events only.
#[derive(Default)]
pub struct Model {
    root: PathBuf,
    pub entries: BTreeMap<PathBuf, bool>,
    stash: HashMap<u32, Vec<(PathBuf, bool)>>,
    pub duplicates: Vec<String>,
    pub overflows: usize,
    pub synthetic: usize,
    /// Every event received, in order, for the failure report.
    pub log: Vec<String>,
}

impl Model {
    /// An empty picture of the tree at `root`.
    pub fn new(root: &Path) -> Model {
        Model {
            root: root.to_path_buf(),
            ..Model::default()
        }
    }

    fn remove_subtree(&mut self, rel: &Path) -> Vec<(PathBuf, bool)> {
        let keys: Vec<PathBuf> = self
            .entries
            .range(rel.to_path_buf()..)
            .take_while(|(k, _)| k.starts_with(rel))
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter()
            .map(|k| {
                let dir = self.entries.remove(&k).unwrap_or(false);
                (k.strip_prefix(rel).unwrap().to_path_buf(), dir)
            })
            .collect()
    }

    pub fn apply(&mut self, e: &Event) {
        self.log.push(e.to_string());
        if e.synthetic {
            self.synthetic += 1;
        }
        if e.kind() == EventKind::QOverflow {
            self.overflows += 1;
            return;
        }
        let Ok(rel) = e.pathname().strip_prefix(&self.root) else {
            return;
        };
        if rel.as_os_str().is_empty() || e.name().is_none() {
            return;
        }
        let rel = rel.to_path_buf();
        match e.kind() {
            EventKind::Create if self.entries.insert(rel.clone(), e.dir).is_some() => {
                self.duplicates.push(format!("{e}"));
            }
            EventKind::Delete => {
                self.remove_subtree(&rel);
            }
            EventKind::MovedFrom => {
                let removed = self.remove_subtree(&rel);
                self.stash.insert(e.cookie, removed);
            }
            EventKind::MovedTo => {
                self.remove_subtree(&rel);
                match (e.src_pathname.is_some(), self.stash.remove(&e.cookie)) {
                    (true, Some(moved)) if !moved.is_empty() => {
                        for (suffix, dir) in moved {
                            let path = if suffix.as_os_str().is_empty() {
                                rel.clone()
                            } else {
                                rel.join(suffix)
                            };
                            self.entries.insert(path, dir);
                        }
                    }
                    _ => {
                        self.entries.insert(rel, e.dir);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A small seeded PRNG (xorshift64*), so failures replay from the seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap()).unwrap()
    }
    fn name(&mut self) -> String {
        const NAMES: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
        NAMES[self.below(NAMES.len())].to_owned()
    }
}

/// The real tree, as a fresh walk sees it.
pub fn walk(root: &Path) -> BTreeMap<PathBuf, bool> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let is_dir = entry.file_type().unwrap().is_dir();
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), is_dir);
            if is_dir {
                stack.push(path);
            }
        }
    }
    out
}

/// What the driver believes the tree is (to pick operands); kept in line
/// with each successful operation.
struct Truth {
    entries: BTreeMap<PathBuf, bool>,
}

impl Truth {
    fn pick(&self, rng: &mut Rng, dir: Option<bool>) -> Option<PathBuf> {
        let n = self.entries.len();
        if n == 0 {
            return None;
        }
        let start = rng.below(n);
        self.entries
            .iter()
            .skip(start)
            .chain(self.entries.iter().take(start))
            .find(|(_, d)| dir.is_none_or(|want| **d == want))
            .map(|(p, _)| p.clone())
    }
    fn pick_dir_or_root(&self, rng: &mut Rng) -> PathBuf {
        if rng.below(4) == 0 {
            return PathBuf::new();
        }
        self.pick(rng, Some(true)).unwrap_or_default()
    }
    fn remove_subtree(&mut self, rel: &Path) -> Vec<(PathBuf, bool)> {
        let keys: Vec<PathBuf> = self
            .entries
            .range(rel.to_path_buf()..)
            .take_while(|(k, _)| k.starts_with(rel))
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter()
            .map(|k| {
                let d = self.entries.remove(&k).unwrap_or(false);
                (k.strip_prefix(rel).unwrap().to_path_buf(), d)
            })
            .collect()
    }
}

/// Options of one stress run.
pub struct Run {
    pub ops: usize,
    pub seed: u64,
    pub rescan: bool,
    pub batch: usize,
}

/// How many operations a run does: `STRESS_OPS` or the default.
pub fn ops_from_env(default: usize) -> usize {
    std::env::var("STRESS_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs the model check in `root` (empty) with `outside` as the place for
/// moves out and in; `wm` must be fresh. Returns the consumer's model.
pub fn run(wm: &WatchManager, root: &Path, outside: &Path, run: &Run) -> Arc<Mutex<Model>> {
    let model = Arc::new(Mutex::new(Model::new(root)));
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    let mask = WatchMask::CREATE | WatchMask::DELETE | WatchMask::MOVE | WatchMask::CLOSE_WRITE;
    wm.add_watch(root, mask, &options).unwrap();
    let sink = model.clone();
    let mut notifier: ThreadedNotifier = NotifierBuilder::new()
        .rescan_on_overflow(run.rescan)
        .build_threaded(wm, move |e: &Event| sink.lock().unwrap().apply(e))
        .unwrap();
    notifier.start().unwrap();
    let mut rng = Rng::new(run.seed);
    let mut truth = Truth {
        entries: BTreeMap::new(),
    };
    let mut unique = 0usize;
    let batches = run.ops.div_ceil(run.batch);
    for batch in 0..batches {
        for _ in 0..run.batch {
            if let Some(op) = one_op(&mut rng, &mut truth, root, outside, &mut unique) {
                model.lock().unwrap().log.push(op);
            }
        }
        // A marker file the consumer must see bounds the kernel queue (the
        // writer never runs more than a batch ahead of the reader).
        let marker = PathBuf::from(format!("m{batch}"));
        if !truth.entries.contains_key(&marker) {
            std::fs::write(root.join(&marker), b"").unwrap();
            truth.entries.insert(marker.clone(), false);
            let deadline = Instant::now() + Duration::from_secs(20);
            while !model.lock().unwrap().entries.contains_key(&marker) {
                let overflows = model.lock().unwrap().overflows;
                assert!(
                    run.rescan || overflows == 0,
                    "seed {}: the queue overflowed (was max_queued_events lowered by a \
                     concurrent test when the instance was made?)",
                    run.seed
                );
                if Instant::now() >= deadline {
                    stalled(&model, run.seed);
                    panic!("seed {}: marker {batch} never seen", run.seed);
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }
    // Settle: a last marker, then stop.
    let last = PathBuf::from("final-marker");
    std::fs::write(root.join(&last), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !model.lock().unwrap().entries.contains_key(&last) {
        if Instant::now() >= deadline {
            stalled(&model, run.seed);
            panic!("seed {}: final marker never seen", run.seed);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    notifier.stop().unwrap();
    model
}

/// Writes the trace of a run whose marker never came (the events and
/// operations so far) to `$TMPDIR/stress-trace-stalled-PID-SEED.txt`.
fn stalled(model: &Mutex<Model>, seed: u64) {
    let trace = std::env::temp_dir().join(format!(
        "stress-trace-stalled-{}-{seed:#x}.txt",
        std::process::id()
    ));
    let _ = std::fs::write(&trace, model.lock().unwrap().log.join("\n"));
    eprintln!("event trace written to {}", trace.display());
}

/// One random operation; failures (the operand changed type or vanished)
/// skip it, keeping `truth` in line with the disk. Returns what was done,
/// for the trace (`# op`: interleaved with the events as they arrive).
#[expect(
    clippy::too_many_lines,
    reason = "one arm per operation kind, read together"
)]
fn one_op(
    rng: &mut Rng,
    truth: &mut Truth,
    root: &Path,
    outside: &Path,
    unique: &mut usize,
) -> Option<String> {
    match rng.below(100) {
        0..15 => {
            let parent = truth.pick_dir_or_root(rng);
            if parent.components().count() >= 4 {
                return None;
            }
            let a = parent.join(rng.name());
            let b = a.join(rng.name());
            if truth.entries.get(&a) == Some(&false) || truth.entries.get(&b) == Some(&false) {
                return None;
            }
            if std::fs::create_dir_all(root.join(&b)).is_ok() {
                let op = format!("# mkdir -p {}", b.display());
                truth.entries.insert(a, true);
                truth.entries.insert(b, true);
                return Some(op);
            }
            None
        }
        15..40 => {
            let parent = truth.pick_dir_or_root(rng);
            let file = parent.join(rng.name());
            if truth.entries.get(&file) == Some(&true) {
                return None;
            }
            if std::fs::write(root.join(&file), b"x").is_ok() {
                let op = format!("# write {}", file.display());
                truth.entries.insert(file, false);
                return Some(op);
            }
            None
        }
        40..55 => {
            if let Some(file) = truth.pick(rng, Some(false)) {
                use std::io::Write;
                let opened = std::fs::OpenOptions::new()
                    .append(true)
                    .open(root.join(&file));
                if let Ok(mut f) = opened {
                    let _ = f.write_all(b"more");
                }
            }
            None
        }
        55..75 => {
            let src = truth.pick(rng, None)?;
            let parent = truth.pick_dir_or_root(rng);
            if parent.starts_with(&src) {
                return None;
            }
            let dst = parent.join(rng.name());
            if dst == src
                || truth.entries.contains_key(&dst) && (truth.entries[&dst] || truth.entries[&src])
            {
                return None;
            }
            if std::fs::rename(root.join(&src), root.join(&dst)).is_ok() {
                truth.remove_subtree(&dst);
                for (suffix, d) in truth.remove_subtree(&src) {
                    let p = if suffix.as_os_str().is_empty() {
                        dst.clone()
                    } else {
                        dst.join(suffix)
                    };
                    truth.entries.insert(p, d);
                }
                return Some(format!("# mv {} {}", src.display(), dst.display()));
            }
            None
        }
        75..80 => {
            let src = truth.pick(rng, None)?;
            *unique += 1;
            let away = outside.join(format!("out{unique}"));
            if std::fs::rename(root.join(&src), &away).is_ok() {
                truth.remove_subtree(&src);
                let _ = std::fs::remove_dir_all(&away).or_else(|_| std::fs::remove_file(&away));
                return Some(format!(
                    "# mv {} OUT{unique}; rm -r OUT{unique}",
                    src.display()
                ));
            }
            None
        }
        80..85 => {
            *unique += 1;
            let staged = outside.join(format!("in{unique}"));
            std::fs::create_dir_all(staged.join("x/y")).unwrap();
            std::fs::write(staged.join("x/f"), b"").unwrap();
            std::fs::write(staged.join("x/y/g"), b"").unwrap();
            let parent = truth.pick_dir_or_root(rng);
            let dst = parent.join(format!("in{unique}"));
            if std::fs::rename(&staged, root.join(&dst)).is_ok() {
                for (rel, d) in [
                    ("", true),
                    ("x", true),
                    ("x/y", true),
                    ("x/f", false),
                    ("x/y/g", false),
                ] {
                    let p = if rel.is_empty() {
                        dst.clone()
                    } else {
                        dst.join(rel)
                    };
                    truth.entries.insert(p, d);
                }
                return Some(format!("# mv IN{unique} {}", dst.display()));
            }
            let _ = std::fs::remove_dir_all(&staged);
            None
        }
        _ => {
            let victim = truth.pick(rng, None)?;
            let path = root.join(&victim);
            let ok = if truth.entries[&victim] {
                std::fs::remove_dir_all(&path).is_ok()
            } else {
                std::fs::remove_file(&path).is_ok()
            };
            if ok {
                truth.remove_subtree(&victim);
                return Some(format!("# rm -r {}", victim.display()));
            }
            None
        }
    }
}
