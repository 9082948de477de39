//! Our settling layer and notify-debouncer-full on the same editors' and
//! tools' scripts (`benches::scripts`), with the same 300 ms quiet period:
//! ours must give exactly the changes a user would name; the debouncer's
//! result is printed beside it (run with `--nocapture`) and recorded in
//! benches/README.md, not asserted, since it is another crate's behaviour.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use benches::TempDir;
use benches::scripts::{self, Script};
use inotify_notify::{
    Change, ChangeKind, SettleNotifier, SettleOptions, WatchManager, WatchMask, WatchOptions,
};
use notify_debouncer_full::notify::event::{ModifyKind, RenameMode};
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

const QUIET: Duration = Duration::from_millis(300);
/// After the script, collect until nothing came for this long.
const DRAIN: Duration = Duration::from_millis(1500);

fn rel(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).display().to_string()
}

fn skip_git(line: &str) -> bool {
    line.contains(".git")
}

/// Ours: every batch until the tree is quiet, as `A/D/M/R` lines.
fn ours(dir: &Path, script: &Script) -> (Vec<String>, usize) {
    let wm = WatchManager::new().expect("manager");
    let watch = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    wm.add_watch(dir, WatchMask::ALL_EVENTS, &watch)
        .expect("watch");
    let options = SettleOptions {
        quiet: QUIET,
        max_wait: Duration::from_secs(10),
        ..SettleOptions::default()
    };
    let mut settle = SettleNotifier::new(&wm, options).expect("settle");
    (script.run)(dir).expect("script");
    let mut changes: Vec<Change> = Vec::new();
    let mut batches = 0;
    while let Some(batch) = settle.next_batch(Some(DRAIN)).expect("settle") {
        batches += 1;
        changes.extend(batch.changes);
    }
    let mut out: Vec<String> = changes
        .iter()
        .map(|c| match &c.kind {
            ChangeKind::Created => format!("A {}", rel(dir, &c.path)),
            ChangeKind::Removed => format!("D {}", rel(dir, &c.path)),
            ChangeKind::Modified { .. } => format!("M {}", rel(dir, &c.path)),
            ChangeKind::Renamed { from, .. } => {
                format!("R {} -> {}", rel(dir, from), rel(dir, &c.path))
            }
        })
        .filter(|line| !skip_git(line))
        .collect();
    out.sort();
    (out, batches)
}

/// notify-debouncer-full: its events until the tree is quiet, as lines.
fn debouncer(dir: &Path, script: &Script) -> (Vec<String>, usize) {
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(QUIET, None, tx).expect("debouncer");
    debouncer
        .watch(dir, RecursiveMode::Recursive)
        .expect("watch");
    (script.run)(dir).expect("script");
    let mut lines = Vec::new();
    let mut batches = 0;
    while let Ok(result) = rx.recv_timeout(DRAIN) {
        batches += 1;
        for event in result.expect("debouncer events") {
            let paths: Vec<String> = event.paths.iter().map(|p| rel(dir, p)).collect();
            let line = match event.kind {
                EventKind::Create(_) => format!("A {}", paths.join(" ")),
                EventKind::Remove(_) => format!("D {}", paths.join(" ")),
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                    format!("R {}", paths.join(" -> "))
                }
                EventKind::Modify(ModifyKind::Name(mode)) => {
                    format!("R({mode:?}) {}", paths.join(" "))
                }
                EventKind::Modify(_) => format!("M {}", paths.join(" ")),
                EventKind::Access(_) => continue,
                other => format!("{other:?} {}", paths.join(" ")),
            };
            if !skip_git(&line) {
                lines.push(line);
            }
        }
    }
    drop(debouncer);
    lines.sort();
    // One change per path: repeated lines are the debouncer's own
    // duplicates (kept, they are what a consumer would see).
    (lines, batches)
}

/// A fresh base with the watched directory `w` inside, set up.
fn prepared(script: &Script, side: &str) -> (TempDir, PathBuf) {
    let base = TempDir::new(&format!("compare-{side}")).expect("temp dir");
    let dir = base.path().join("w");
    std::fs::create_dir(&dir).expect("mkdir");
    (script.setup)(&dir).expect("setup");
    (base, dir)
}

#[test]
fn settling_layers_compared_on_editor_and_tool_scripts() {
    let mut table: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for script in scripts::all() {
        if let Some(program) = script.needs
            && !scripts::have(program)
        {
            eprintln!("skipped {}: {program} is not installed", script.name);
            continue;
        }
        let (_base, dir) = prepared(&script, "ours");
        let (got, batches) = ours(&dir, &script);
        let want: Vec<String> = (script.expected)(&dir)
            .expect("expected")
            .into_iter()
            .filter(|l| !skip_git(l))
            .collect();
        let (_base2, dir2) = prepared(&script, "notify");
        let (theirs, their_batches) = debouncer(&dir2, &script);
        let theirs_ok = theirs == want;
        eprintln!(
            "{}\n  expected: {want:?}\n  ours ({batches} batch): {got:?}\n  notify-debouncer-full ({their_batches} batch, {}): {theirs:?}",
            script.name,
            if theirs_ok { "right" } else { "WRONG" }
        );
        table.insert(script.name, (got == want, theirs_ok));
        assert_eq!(got, want, "ours on {}", script.name);
    }
    eprintln!("\n| script | ours | notify-debouncer-full 0.6 |\n|---|---|---|");
    for (name, (ours_ok, theirs_ok)) in &table {
        let word = |ok: &bool| if *ok { "right" } else { "wrong" };
        eprintln!("| {name} | {} | {} |", word(ours_ok), word(theirs_ok));
    }
}
