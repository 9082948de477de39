//! Tools that change many paths at once: `git checkout`, `cp -a`, `rm -rf`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use inotify_notify::SettleOptions;

use crate::support::{TempDir, have, one_window, run, settle_script, summary};

/// A small tree: two directories, four files.
fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("sub/deeper")).unwrap();
    fs::write(root.join("a"), b"a").unwrap();
    fs::write(root.join("sub/b"), b"b").unwrap();
    fs::write(root.join("sub/deeper/c"), b"c").unwrap();
    fs::write(root.join("sub/deeper/d"), b"d").unwrap();
}

#[test]
fn cp_a_of_a_tree_settles_to_one_creation_per_path() {
    let dir = TempDir::new("cp");
    let src = TempDir::new("cp-src");
    make_tree(&src.join("tree"));
    let changes = settle_script(dir.path(), one_window(), |d| {
        run(d, "cp", &["-a", src.join("tree").to_str().unwrap(), "."]);
    });
    assert_eq!(
        summary(dir.path(), &changes),
        [
            "A tree",
            "A tree/a",
            "A tree/sub",
            "A tree/sub/b",
            "A tree/sub/deeper",
            "A tree/sub/deeper/c",
            "A tree/sub/deeper/d"
        ]
    );
}

#[test]
fn rm_rf_of_a_tree_settles_to_one_removal_per_path() {
    let dir = TempDir::new("rm");
    make_tree(&dir.join("tree"));
    let changes = settle_script(dir.path(), one_window(), |d| {
        run(d, "rm", &["-rf", "tree"]);
    });
    let mut got = summary(dir.path(), &changes);
    // Children come before their directories; the set is what matters.
    assert_eq!(got.last().map(String::as_str), Some("D tree"));
    got.sort();
    assert_eq!(
        got,
        [
            "D tree",
            "D tree/a",
            "D tree/sub",
            "D tree/sub/b",
            "D tree/sub/deeper",
            "D tree/sub/deeper/c",
            "D tree/sub/deeper/d"
        ]
    );
}

/// `git -C dir args...`, quietly, with a fixed identity.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn git_checkout_settles_to_the_diff_between_the_commits() {
    if !have("git") {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = TempDir::new("git");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    make_tree(d);
    fs::write(d.join("gone"), b"soon removed").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "one"]);
    fs::write(d.join("a"), b"changed").unwrap();
    fs::write(d.join("sub/deeper/c"), b"changed too").unwrap();
    fs::remove_file(d.join("gone")).unwrap();
    fs::create_dir(d.join("fresh")).unwrap();
    fs::write(d.join("fresh/new"), b"new").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "two"]);
    git(d, &["checkout", "-q", "HEAD~1"]);
    let options = SettleOptions {
        defer_while_locked: true,
        ..one_window()
    };
    let changes = settle_script(d, options, |d| {
        git(d, &["checkout", "-q", "main"]);
    });
    let settled: BTreeSet<String> = summary(d, &changes)
        .into_iter()
        .filter(|line| !line.contains(".git"))
        .map(|line| line.replace("M! ", "M "))
        // The new directory is a path of its own; git lists files only.
        .filter(|line| line != "A fresh")
        .collect();
    let diff: BTreeSet<String> = git(
        d,
        &["diff", "--no-renames", "--name-status", "HEAD~1", "HEAD"],
    )
    .lines()
    .map(|line| line.replacen('\t', " ", 1))
    .collect();
    assert_eq!(settled, diff);
}

#[test]
fn five_saves_give_five_batches_in_order_on_the_channel() {
    use inotify_notify::{SettleNotifier, WatchManager, WatchMask, WatchOptions};
    use std::time::Duration;
    let dir = TempDir::new("five-saves");
    for name in ["a.rs", "b.rs", "c.rs"] {
        fs::write(dir.join(name), b"0").unwrap();
    }
    let wm = WatchManager::new().unwrap();
    wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &WatchOptions::default())
        .unwrap();
    // The window must outlast any pause between the three renames of one
    // save: with 30 ms, a loaded CI machine once split a save into two
    // batches (`[A .b.rs.swp, M! a.rs]`), a stall of the writer, not of
    // the settling.
    let options = SettleOptions {
        quiet: Duration::from_millis(400),
        max_wait: Duration::from_secs(10),
        ..SettleOptions::default()
    };
    let settle = SettleNotifier::new(&wm, options).unwrap();
    let (mut thread, rx) = settle.spawn(16).unwrap();
    for save in 1..=5u64 {
        // "Save all": three files, each by write-temp-then-rename-over.
        for name in ["a.rs", "b.rs", "c.rs"] {
            let tmp = dir.join(format!(".{name}.swp"));
            fs::write(&tmp, save.to_string()).unwrap();
            fs::rename(&tmp, dir.join(name)).unwrap();
        }
        let batch = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("a batch per save")
            .expect("no error");
        assert_eq!(batch.seq, save);
        assert_eq!(
            summary(dir.path(), &batch.changes),
            ["M! a.rs", "M! b.rs", "M! c.rs"]
        );
    }
    thread.sync(Duration::from_secs(5)).unwrap();
    assert!(rx.try_recv().is_err(), "no stray batch");
    thread.stop();
}
