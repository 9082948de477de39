//! `--gitignore`, `--exclude-dir`, `--include-glob`/`--exclude-glob` and
//! the watch limit (`--continue-on-limit`) end to end. The limit runs
//! inside `unshare -Ur` with the namespace's `max_inotify_watches`
//! lowered, so the host's limits are untouched.

use std::fs;
use std::process::Command;

use crate::support::{TempDir, ours, spawn, write};

/// Ignored directories are not watched and their events never printed;
/// files the rules ignore in kept directories neither.
#[test]
fn gitignore_skips_ignored_dirs_and_files() {
    let t = TempDir::new("gitignore");
    let root = t.path();
    write(
        &root.join(".gitignore"),
        b"target/\nnode_modules/\n*.log\n!keep.log\n",
    );
    for d in [
        "target/debug/x",
        "node_modules/p",
        ".git/objects",
        "src/m",
        "vendor/skip",
    ] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    let r = spawn(
        &ours("inotifywait"),
        &[
            "-m",
            "-r",
            "-e",
            "close_write",
            "--gitignore",
            "--exclude-dir",
            "vendor",
            ".",
        ],
        root,
    );
    r.wait_stderr("Watches established.");
    for f in [
        "target/debug/x/a",
        "node_modules/p/b",
        ".git/objects/c",
        "vendor/skip/d",
        "src/m/e.log",
        "src/m/keep.log",
        "src/m/kept.rs",
    ] {
        write(&root.join(f), b"");
    }
    write(&root.join("marker"), b"");
    r.wait_stdout(b"marker");
    let out = r.signal("TERM");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("./src/m/ CLOSE_WRITE,CLOSE keep.log"),
        "{text}"
    );
    assert!(
        text.contains("./src/m/ CLOSE_WRITE,CLOSE kept.rs"),
        "{text}"
    );
    for gone in ["target", "node_modules", ".git", "vendor", "e.log"] {
        assert!(!text.contains(gone), "{gone} reported: {text}");
    }
}

#[test]
fn include_and_exclude_globs_filter_names() {
    let t = TempDir::new("globs");
    let root = t.path();
    fs::create_dir_all(root.join("a")).unwrap();
    let r = spawn(
        &ours("inotifywait"),
        &[
            "-m",
            "-r",
            "-e",
            "close_write",
            "--include-glob",
            "*.rs",
            "--exclude-glob",
            "skip*",
            ".",
        ],
        root,
    );
    r.wait_stderr("Watches established.");
    for f in ["a/x.txt", "a/skip.rs", "a/y.rs"] {
        write(&root.join(f), b"");
    }
    write(&root.join("z.rs"), b"");
    r.wait_stdout(b"z.rs");
    let out = r.signal("TERM");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("./a/ CLOSE_WRITE,CLOSE y.rs"), "{text}");
    assert!(
        !text.contains("x.txt") && !text.contains("skip.rs"),
        "{text}"
    );
}

/// Runs `script` in a user namespace (`sh -c`); `None` when unshare is
/// not available (the test is skipped with a printed reason).
fn in_namespace(script: &str, test: &str) -> Option<std::process::Output> {
    match Command::new("unshare").args(["-Ur", "true"]).status() {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("skipped {test}: `unshare -Ur` unavailable: {other:?}");
            return None;
        }
    }
    Some(
        Command::new("timeout")
            .args(["20", "unshare", "-Ur", "sh", "-c", script])
            .output()
            .expect("run unshare"),
    )
}

/// A tree that does not fit: the unwatched subtrees, the holders and the
/// sysctl on stderr, exit 1; with `--continue-on-limit` it goes on.
#[test]
fn watch_limit_lists_unwatched_and_holders_then_exits_or_continues() {
    let t = TempDir::new("limit");
    for n in 0..4 {
        fs::create_dir_all(t.join(format!("d{n}/c"))).unwrap();
    }
    let bin = ours("inotifywait");
    let script = format!(
        "echo 3 > /proc/sys/user/max_inotify_watches || exit 99; \
         '{bin}' -r -t 1 '{dir}'; echo \"rc=$?\"; \
         '{bin}' -r -t 1 --continue-on-limit --count-first '{dir}'; echo \"rc=$?\"",
        bin = bin.display(),
        dir = t.path().display()
    );
    let Some(out) = in_namespace(&script, "watch_limit_lists_unwatched_and_holders") else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.contains("rc=99"),
        "cannot lower the limit: {stderr}"
    );
    let rcs: Vec<&str> = stdout.lines().filter(|l| l.starts_with("rc=")).collect();
    // Exit 1 as inotify-tools; with --continue-on-limit the -t 1 timeout (2).
    assert_eq!(rcs, ["rc=1", "rc=2"], "{stdout}\n{stderr}");
    assert_eq!(
        stderr
            .matches("upper limit on inotify watches reached")
            .count(),
        2,
        "{stderr}"
    );
    assert!(
        stderr.contains("left unwatched (6 directories)"),
        "{stderr}"
    );
    assert!(stderr.contains("3 watches  pid"), "holder line: {stderr}");
    assert!(stderr.contains("inotifywait"), "{stderr}");
    assert!(
        stderr.contains("sysctl -w user.max_inotify_watches=9"),
        "{stderr}"
    );
    assert!(stderr.contains("Watches established."), "{stderr}");
    // --count-first warned before adding: 9 directories, 3 allowed.
    assert!(
        stderr.contains("Counted 9 directories to watch, but 0 of the 3 watches"),
        "{stderr}"
    );
}

/// inotifywatch's notifier thread meets the limit when it adds a new
/// directory: the error reaches stderr as one line of its own (not a log
/// record), the counting goes on, and the table is printed.
#[test]
fn inotifywatch_prints_a_failed_auto_add_and_still_its_table() {
    let t = TempDir::new("watch-limit");
    let bin = ours("inotifywatch");
    let err = t.join("stderr");
    // The loop polls for the "collecting" line with a 5 s deadline.
    let script = format!(
        "echo 2 > /proc/sys/user/max_inotify_watches || exit 99; \
         '{bin}' -r -t 2 -e create '{dir}' 2> '{err}' & \
         i=0; while ! grep -q collecting '{err}' && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done; \
         mkdir '{dir}/a' '{dir}/b'; wait $!; echo \"rc=$?\"",
        bin = bin.display(),
        dir = t.path().display(),
        err = err.display(),
    );
    let Some(out) = in_namespace(&script, "inotifywatch_prints_a_failed_auto_add") else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = fs::read_to_string(&err).unwrap_or_default();
    assert!(
        !stdout.contains("rc=99"),
        "cannot lower the limit: {stderr}"
    );
    assert!(stdout.contains("rc=0"), "{stdout}\n{stderr}");
    let line = format!(
        "cannot watch {}: inotify watch limit reached",
        t.join("b").display()
    );
    assert!(
        stderr.lines().any(|l| l.starts_with(&line)),
        "no line of its own for the failed add: {stderr}"
    );
    assert!(stdout.contains("total  create  filename"), "{stdout}");
}

/// `--fanotify-fallback`: a chain deeper than the limit is watched to its
/// end (inotify for the top, fanotify inode marks below), the message
/// names the subtree that went to fanotify, and a file made in the
/// deepest directory is reported. Skipped when fanotify inode marks are
/// refused in the namespace.
#[test]
fn fanotify_fallback_watches_past_the_limit_and_says_where() {
    let t = TempDir::new("fallback");
    let deepest = t.join("d/c/b/a/e");
    fs::create_dir_all(&deepest).unwrap();
    let bin = ours("inotifywait");
    let err = t.join("stderr");
    // The loop polls for the "established" line with a 5 s deadline.
    let script = format!(
        "echo 3 > /proc/sys/user/max_inotify_watches || exit 99; \
         '{bin}' -r -e create -t 10 --fanotify-fallback '{dir}' 2> '{err}' & \
         i=0; while ! grep -q established '{err}' && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done; \
         touch '{deepest}/f'; wait $!; echo \"rc=$?\"; cat '{err}' >&2",
        bin = bin.display(),
        dir = t.path().display(),
        deepest = deepest.display(),
        err = err.display(),
    );
    let Some(out) = in_namespace(&script, "fanotify_fallback_watches_past_the_limit") else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.contains("rc=99"),
        "cannot lower the limit: {stderr}"
    );
    if stderr.contains("fanotify fallback could not take") {
        eprintln!("skipped fanotify_fallback_watches_past_the_limit: {stderr}");
        return;
    }
    assert!(stdout.contains("rc=0"), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("{}/ CREATE f", deepest.display())),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("watching the rest through fanotify"),
        "{stderr}"
    );
    let top = t.join("d/c/b");
    assert!(
        stderr.contains(&format!("  {} (3 directories)", top.display())),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing left unwatched."), "{stderr}");
}

/// A `.gitignore` with a line that does not parse is said on stderr,
/// naming the file, by both programs (it was only logged before).
#[test]
fn bad_gitignore_is_reported_naming_the_file() {
    let t = TempDir::new("bad-gitignore");
    fs::create_dir_all(t.join("src")).unwrap();
    let bad = t.join("src/.gitignore");
    write(&bad, b"a{b\n");
    for program in ["inotifywait", "inotifywatch"] {
        let out = Command::new("timeout")
            .arg("10")
            .arg(ours(program))
            .args(["-r", "-t", "1", "--gitignore"])
            .arg(t.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("bad rule file (line 1: error parsing glob 'a{b'"),
            "{program}: {stderr}"
        );
        assert!(
            stderr.contains(&*bad.to_string_lossy()),
            "{program}: {stderr}"
        );
    }
}
