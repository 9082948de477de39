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
