//! Tree tracking through the real `inotifywait -m -r` (issue 11): the
//! process is stopped with SIGSTOP while the tree changes, so the events it
//! then reads arrive in one batch exactly as the kernel queued them.

use std::fs;
use std::process::Command;

use crate::support::{TempDir, ours, spawn, write};

fn kill(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

#[test]
fn directory_created_before_its_parents_rename_is_watched_and_its_files_reported() {
    let _serial = crate::support::serial();
    let dir = TempDir::new("create-rename");
    fs::create_dir(dir.join("w")).unwrap();
    let r = spawn(&ours("inotifywait"), &["-m", "-r", "w"], dir.path());
    r.wait_stderr("Watches established.");
    fs::create_dir(dir.join("w/a")).unwrap();
    r.wait_stdout(b"w/ CREATE,ISDIR a\n");
    r.wait_watches(2);
    kill("STOP", r.pid());
    fs::create_dir(dir.join("w/a/d")).unwrap();
    fs::rename(dir.join("w/a"), dir.join("w/b")).unwrap();
    kill("CONT", r.pid());
    // The auto-add of w/a/d only resolves after the rename is read: wait
    // for the watch before writing into the directory.
    r.wait_watches(3);
    write(&dir.join("w/b/d/f"), b"");
    r.wait_stdout(b"w/b/d/ CREATE f\n");
    let out = r.signal("TERM");
    let lines = out.lines();
    assert!(
        lines.contains(&"w/a/ CREATE,ISDIR d".to_owned()),
        "{lines:?}"
    );
}

#[test]
fn unpaired_moved_to_prints_cookie_zero() {
    let _serial = crate::support::serial();
    let dir = TempDir::new("cookie-zero");
    fs::create_dir_all(dir.join("w")).unwrap();
    fs::create_dir_all(dir.join("out")).unwrap();
    write(&dir.join("out/f"), b"");
    let r = spawn(
        &ours("inotifywait"),
        &["-m", "-e", "moved_to", "--format", "%e %f %c", "w"],
        dir.path(),
    );
    r.wait_stderr("Watches established.");
    fs::rename(dir.join("out/f"), dir.join("w/f")).unwrap();
    r.wait_stdout(b"MOVED_TO f ");
    let out = r.signal("TERM");
    assert_eq!(out.lines(), ["MOVED_TO f 0"]);
}

#[test]
fn moved_root_is_followed_under_its_new_name() {
    // inotify-tools goes on printing the old path after `mv w moved`;
    // ours prints where the root is now (and keeps auto-adding there).
    // Fails before the tree followed renamed roots (nothing after
    // MOVE_SELF was printed).
    let _serial = crate::support::serial();
    let dir = TempDir::new("root-moved");
    fs::create_dir(dir.join("w")).unwrap();
    let r = spawn(&ours("inotifywait"), &["-m", "-r", "w"], dir.path());
    r.wait_stderr("Watches established.");
    fs::rename(dir.join("w"), dir.join("moved")).unwrap();
    r.wait_stdout(b"w/ MOVE_SELF \n");
    fs::create_dir(dir.join("moved/d")).unwrap();
    r.wait_stdout(b"moved/ CREATE,ISDIR d\n");
    r.wait_watches(2);
    write(&dir.join("moved/d/f"), b"");
    r.wait_stdout(b"moved/d/ CLOSE_WRITE,CLOSE f\n");
    let out = r.signal("TERM");
    assert!(
        !out.lines()
            .iter()
            .any(|l| l.starts_with("w/") && !l.contains("MOVE_SELF")),
        "{:?}",
        out.lines()
    );
}

#[test]
fn root_moved_to_another_directory_is_followed_as_root() {
    // inotify-tools' inotifywait goes on printing the old path; its
    // fsnotifywait, like ours as root, finds the root by its file handle.
    // Fails before moved roots were looked up by handle (nothing after
    // MOVE_SELF was printed, and no word of why).
    if !crate::fanotify::is_root() {
        eprintln!("skipped: open_by_handle_at needs CAP_DAC_READ_SEARCH (root)");
        return;
    }
    let _serial = crate::support::serial();
    let dir = TempDir::new("root-moved-away");
    fs::create_dir_all(dir.join("w/sub")).unwrap();
    fs::create_dir(dir.join("far")).unwrap();
    let r = spawn(&ours("inotifywait"), &["-m", "-r", "w"], dir.path());
    r.wait_stderr("Watches established.");
    fs::rename(dir.join("w"), dir.join("far/moved")).unwrap();
    r.wait_stdout(b"w/ MOVE_SELF \n");
    write(&dir.join("far/moved/sub/f"), b"");
    r.wait_stdout(b"far/moved/sub/ CLOSE_WRITE,CLOSE f\n");
    fs::create_dir(dir.join("far/moved/d")).unwrap();
    r.wait_stdout(b"far/moved/ CREATE,ISDIR d\n");
    r.wait_watches(3);
    write(&dir.join("far/moved/d/g"), b"");
    r.wait_stdout(b"far/moved/d/ CLOSE_WRITE,CLOSE g\n");
    let out = r.signal("TERM");
    assert!(
        !out.lines()
            .iter()
            .any(|l| l.starts_with("w/") && !l.contains("MOVE_SELF")),
        "{:?}",
        out.lines()
    );
}
