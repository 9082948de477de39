//! `inotifywait --settle`: settled changes in every output format, and
//! `--exec` once per batch.

use std::fs;

use crate::support::{TempDir, ours, poll_until, run, spawn, write};

/// A directory `w` with files `a` and `c` in a fresh temp dir.
fn tree(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::create_dir_all(dir.join("w")).expect("mkdir");
    write(&dir.join("w/a"), b"1");
    write(&dir.join("w/c"), b"1");
    dir
}

/// An editor's save of `a`, a new `b`, `c` removed, `x` renamed to `y`
/// (when `x` exists): one window's worth.
fn edits(dir: &TempDir) {
    write(&dir.join("w/.a.tmp"), b"2");
    fs::rename(dir.join("w/.a.tmp"), dir.join("w/a")).expect("mv");
    write(&dir.join("w/b"), b"new");
    fs::remove_file(dir.join("w/c")).expect("rm");
}

/// Runs `inotifywait -m --settle 300 ARGS w`, makes the edits, and returns
/// stdout once `needle` is in it.
fn settled(name: &str, args: &[&str], needle: &[u8]) -> (TempDir, String) {
    let dir = tree(name);
    let mut all = vec!["-m", "--settle", "300"];
    all.extend_from_slice(args);
    all.push("w");
    let r = spawn(&ours("inotifywait"), &all, dir.path());
    r.wait_stderr("Watches established.");
    edits(&dir);
    r.wait_stdout(needle);
    let out = r.signal("TERM");
    (dir, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn settle_default_lines_are_one_per_changed_path() {
    let (_dir, out) = settled("default", &[], b"DELETE c");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, ["w/ MODIFY a", "w/ CREATE b", "w/ DELETE c"]);
}

#[test]
fn settle_csv_and_format_render_the_changes() {
    let (_dir, out) = settled("csv", &["--csv"], b"DELETE,c");
    assert_eq!(out, "w/,MODIFY,a\nw/,CREATE,b\nw/,DELETE,c\n");
    let (_dir, out) = settled("format", &["--format", "%e %w%f"], b"DELETE w/c");
    assert_eq!(out, "MODIFY w/a\nCREATE w/b\nDELETE w/c\n");
}

#[test]
fn settle_json_says_replaced_and_the_rename_source() {
    let dir = tree("json");
    write(&dir.join("w/x"), b"x");
    let r = spawn(
        &ours("inotifywait"),
        &["-m", "--json", "--settle", "300", "w"],
        dir.path(),
    );
    r.wait_stderr("Watches established.");
    edits(&dir);
    fs::rename(dir.join("w/x"), dir.join("w/y")).expect("mv");
    r.wait_stdout(b"\"name\":\"c\"");
    let out = String::from_utf8_lossy(&r.signal("TERM").stdout).into_owned();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].contains(r#""name":"y","path":"w/y","events":["MOVED_TO"]"#)
            && lines[0].contains(r#""src":"w/x""#),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(r#""name":"a""#) && lines[1].contains(r#""replaced":true,"batch":1}"#),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(r#""events":["CREATE"]"#), "{}", lines[2]);
    assert!(
        lines[3].contains(r#""events":["DELETE"]"#) && lines[3].contains(r#""replaced":false"#),
        "{}",
        lines[3]
    );
}

#[test]
fn settle_exec_runs_once_per_batch_with_the_batch_on_stdin() {
    let dir = tree("exec");
    let r = spawn(
        &ours("inotifywait"),
        &[
            "-m",
            "-q",
            "--settle",
            "300",
            "--exec-shell",
            "--exec",
            "cat >> batches.jsonl; echo \"$INOTIFY_BATCH $INOTIFY_CHANGES\" >> runs",
            "w",
        ],
        dir.path(),
    );
    r.wait_watches(1);
    edits(&dir);
    assert!(poll_until(
        || fs::read_to_string(dir.join("runs")).is_ok_and(|s| s.ends_with('\n'))
    ));
    write(&dir.join("w/later"), b"");
    assert!(poll_until(
        || fs::read_to_string(dir.join("runs")).is_ok_and(|s| s.lines().count() == 2)
    ));
    let out = r.signal("TERM");
    assert_eq!(
        fs::read_to_string(dir.join("runs")).unwrap(),
        "1 3\n2 1\n",
        "{out:?}"
    );
    let batches = fs::read_to_string(dir.join("batches.jsonl")).unwrap();
    assert_eq!(batches.lines().count(), 4, "{batches}");
    assert!(
        batches
            .lines()
            .all(|l| l.starts_with('{') && l.ends_with('}'))
    );
}

#[test]
fn settle_without_monitor_exits_after_the_first_batch() {
    let dir = tree("once");
    let r = spawn(&ours("inotifywait"), &["--settle", "200", "w"], dir.path());
    r.wait_stderr("Watches established.");
    edits(&dir);
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.lines(), ["w/ MODIFY a", "w/ CREATE b", "w/ DELETE c"]);
}

#[test]
fn settle_options_are_checked() {
    let dir = tree("usage");
    let out = run(
        &ours("inotifywait"),
        &["--settle-max", "5", "w"],
        dir.path(),
    );
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr.contains("--settle-max needs --settle."),
        "{}",
        out.stderr
    );
    let out = run(&ours("inotifywait"), &["--settle", "soon", "w"], dir.path());
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr.contains("'soon' is not a valid --settle value"),
        "{}",
        out.stderr
    );
}
