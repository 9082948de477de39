//! inotifywatch: the table, its options, timeout and signals.

use std::fs;

use crate::support::{Finished, Running, TempDir, ours, poll_until, run, spawn, write};

fn start(dir: &TempDir, args: &[&str]) -> Running {
    let r = spawn(&ours("inotifywatch"), args, dir.path());
    r.wait_stderr("Finished establishing watches, now collecting statistics.");
    r
}

/// Asks for the table so far (SIGUSR1) until it holds `row`, so every
/// event was counted before the test stops the program.
fn settle(r: &Running, row: &str) {
    let mut polls = 0u32;
    let seen = poll_until(|| {
        if polls.is_multiple_of(10) {
            let sent = std::process::Command::new("kill")
                .args(["-USR1", &r.pid().to_string()])
                .status();
            assert!(sent.expect("kill").success());
        }
        polls += 1;
        String::from_utf8_lossy(&r.stdout()).contains(row)
    });
    assert!(
        seen,
        "no {row:?} in {:?}",
        String::from_utf8_lossy(&r.stdout())
    );
}

/// The last table printed (SIGUSR1 tables end with a blank line).
fn final_table(out: &Finished) -> Vec<String> {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = text.rsplit("\n\n").next().unwrap_or_default();
    last.lines().map(str::to_owned).collect()
}

fn tree(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::create_dir_all(dir.join("w/s")).expect("mkdir");
    dir
}

#[test]
fn table_after_sigint_counts_per_watch() {
    let _serial = crate::support::serial();
    let dir = tree("table");
    let r = start(&dir, &["-r", "-e", "create,modify,delete", "w"]);
    write(&dir.join("w/a"), b"1");
    write(&dir.join("w/s/b"), b"");
    fs::remove_file(dir.join("w/a")).expect("rm");
    settle(&r, "1      0       1       0       w/s/");
    let out = r.signal("INT");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        final_table(&out),
        [
            "total  modify  create  delete  filename",
            "3      1       1       1       w/",
            "1      0       1       0       w/s/",
        ]
    );
    assert_eq!(
        out.stderr,
        "Establishing watches...\nFinished establishing watches, now collecting statistics.\n"
    );
}

#[test]
fn zero_and_ascending_sort() {
    let _serial = crate::support::serial();
    let dir = tree("zero");
    let r = start(
        &dir,
        &["-z", "-a", "create", "-e", "create,delete", "w", "w/s"],
    );
    write(&dir.join("w/a"), b"");
    write(&dir.join("w/b"), b"");
    settle(&r, "2      2       0       w/");
    let out = r.signal("TERM");
    assert_eq!(
        final_table(&out),
        [
            "total  create  delete  filename",
            "0      0       0       w/s/",
            "2      2       0       w/",
        ]
    );
}

#[test]
fn timeout_without_events_says_so() {
    let _serial = crate::support::serial();
    let dir = tree("noevents");
    let out = run(&ours("inotifywatch"), &["-t", "1", "w"], dir.path());
    assert_eq!(out.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(out.stderr.ends_with("No events occurred.\n"), "{out:?}");
}

#[test]
fn recursive_setup_counts_none_of_our_own_reads() {
    // Ordering the table must not list the watched directories again: that
    // would queue OPEN/ACCESS/CLOSE_NOWRITE that the table then counts.
    let _serial = crate::support::serial();
    let dir = tree("ownreads");
    fs::create_dir_all(dir.join("w/s/deeper")).expect("mkdir");
    let out = run(&ours("inotifywatch"), &["-r", "-t", "1", "w"], dir.path());
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(out.stderr.ends_with("No events occurred.\n"), "{out:?}");
}

#[test]
fn verbose_reports_watch_count_and_bad_sort_is_an_error() {
    let _serial = crate::support::serial();
    let dir = tree("verbose");
    let out = run(
        &ours("inotifywatch"),
        &["-v", "-r", "-t", "1", "w"],
        dir.path(),
    );
    assert!(out.stderr.contains("Total of 2 watches."), "{out:?}");
    assert!(out.stderr.contains("Will listen for events for 1 seconds."));
    let out = run(&ours("inotifywatch"), &["-a", "close", "w"], dir.path());
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        "Cannot sort by `close' event; please use `close_write' or `close_nowrite'.\n"
    );
    let out = run(&ours("inotifywatch"), &["missing"], dir.path());
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        "Establishing watches...\nFailed to watch missing: No such file or directory\n"
    );
}

#[test]
fn filters_fromfile_and_descending_sort() {
    let _serial = crate::support::serial();
    let dir = tree("filters");
    fs::create_dir_all(dir.join("w/skip")).expect("mkdir");
    write(&dir.join("list"), b"w\n@w/skip\n");
    let args = [
        "-r",
        "-d",
        "modify",
        "-e",
        "create,modify",
        "--exclude",
        r"\.tmp$",
        "--fromfile",
        "list",
    ];
    let r = start(&dir, &args);
    // w/ gets more events in total, w/s/ more modifications: -d modify
    // puts w/s/ first, where the default order (total) would not.
    write(&dir.join("w/s/a"), b"1");
    for n in ["b", "c", "e"] {
        write(&dir.join("w").join(n), b"");
    }
    write(&dir.join("w/c.tmp"), b"1");
    write(&dir.join("w/skip/d"), b"1");
    // A last create: once counted, the excluded events before it were seen.
    write(&dir.join("w/zz"), b"");
    settle(&r, "4      0       4       w/");
    let out = r.signal("INT");
    assert_eq!(
        final_table(&out),
        [
            "total  modify  create  filename",
            "2      1       1       w/s/",
            "4      0       4       w/",
        ]
    );
}
