//! Regressions found by running inotify-tools' own sharness suite (the
//! `t/*.t` scripts of its master branch) against our programs: each test
//! here is one of its cases, reduced to what it checks.

use std::fs;

use crate::support::{TempDir, ours, run, spawn, write};

/// `t/fanotify-common.sh` asks whether fanotify works on a path with
/// `fsnotifywait --fanotify -t -1 PATH`: the watches are set up, then
/// "Negative timeout specified - abort!" and exit code 1; every fanotify
/// case of the suite (and `inotifywait --fanotify --timeout -1` in
/// `t/fsnotifywait-filesystems.t`) depends on it. Failed before: a
/// negative `-t` meant no timeout, so the probe blocked until an event.
#[test]
fn negative_timeout_under_fanotify_probes_support_and_stops() {
    let dir = TempDir::new("suite-negative-timeout");
    fs::create_dir(dir.join("w")).expect("mkdir");
    let probes: [(&str, &[&str]); 2] = [
        ("fsnotifywait", &["--fanotify", "-t", "-1", "w"]),
        ("inotifywait", &["--fanotify", "--timeout", "-1", "w"]),
    ];
    for (program, args) in probes {
        let out = run(&ours(program), args, dir.path());
        assert_eq!(out.code(), Some(1), "{program}: {}", out.stderr);
        assert_eq!(
            out.stderr,
            "Setting up watches.\nWatches established.\nNegative timeout specified - abort!\n",
            "{program}"
        );
        assert!(out.stdout.is_empty(), "{program}: {:?}", out.lines());
    }
    // Under inotify it still means no timeout, as in inotify-tools 3.22.
    let r = spawn(
        &ours("inotifywait"),
        &["-t", "-1", "-e", "create", "w"],
        dir.path(),
    );
    r.wait_stderr("Watches established.");
    write(&dir.join("w/new"), b"");
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    assert_eq!(out.lines(), ["w/ CREATE new"]);
}

/// `t/inotifywait-no-dereference-*.t` under fanotify: with `-P` a symlink
/// given to watch is watched itself, not its target: `touch -h` on it (an
/// `ATTRIB` of the link) is its event, a change of the target is not.
/// Failed before: the root was resolved to its target and marked through
/// the link, so the target's events came and the link's never did.
#[test]
fn no_dereference_under_fanotify_watches_the_symlink_itself() {
    let dir = TempDir::new("suite-fan-no-deref");
    write(&dir.join("test"), b"");
    std::os::unix::fs::symlink("test", dir.join("link")).expect("symlink");
    let base = fs::canonicalize(dir.path()).expect("canonicalize");
    // The target changes: nothing for the link, so -t runs out (exit 2).
    let r = spawn(
        &ours("fsnotifywait"),
        &["-P", "-t", "1", "link"],
        dir.path(),
    );
    r.wait_stderr("Watches established.");
    write(&dir.join("test"), b"x");
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(2), "{:?} {}", out.lines(), out.stderr);
    // The link's own attributes change: that is its event.
    let r = spawn(
        &ours("fsnotifywait"),
        &["-P", "-t", "5", "link"],
        dir.path(),
    );
    r.wait_stderr("Watches established.");
    let touch = std::process::Command::new("touch")
        .args(["-h", "link"])
        .current_dir(dir.path())
        .status()
        .expect("run touch");
    assert!(touch.success());
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    assert_eq!(out.lines(), [format!("{}/link ATTRIB ", base.display())]);
}
