//! inotifywait: every option, driven through the real binary.

use std::fs;
use std::io::Write;

use crate::support::{Finished, Running, TempDir, ours, poll_until, run, spawn, write};

pub(crate) fn wait_bin() -> std::path::PathBuf {
    ours("inotifywait")
}

/// Starts `inotifywait args` in `dir` and waits for "Watches established.".
pub(crate) fn start(dir: &TempDir, args: &[&str]) -> Running {
    let r = spawn(&wait_bin(), args, dir.path());
    r.wait_stderr("Watches established.");
    r
}

/// Monitors with `args`, runs `ops`, then creates `w/zz-end` and stops
/// once that line arrived.
pub(crate) fn monitor(dir: &TempDir, args: &[&str], ops: impl FnOnce()) -> Finished {
    let r = start(dir, args);
    ops();
    write(&dir.join("w/zz-end"), b"");
    r.wait_stdout(b"zz-end");
    r.signal("TERM")
}

pub(crate) fn tree(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::create_dir_all(dir.join("w")).expect("mkdir");
    dir
}

#[test]
fn default_output_matches_inotifywait_lines() {
    let _serial = crate::support::serial();
    let dir = tree("default");
    let out = monitor(
        &dir,
        &[
            "-m",
            "-e",
            "create,modify,close_write,move,delete,attrib",
            "w",
        ],
        || {
            write(&dir.join("w/a"), b"x");
            fs::rename(dir.join("w/a"), dir.join("w/b")).expect("mv");
            fs::create_dir(dir.join("w/d")).expect("mkdir");
            fs::remove_file(dir.join("w/b")).expect("rm");
        },
    );
    let lines = out.lines();
    let want = [
        "w/ CREATE a",
        "w/ MODIFY a",
        "w/ CLOSE_WRITE,CLOSE a",
        "w/ MOVED_FROM a",
        "w/ MOVED_TO b",
        "w/ CREATE,ISDIR d",
        "w/ DELETE b",
        "w/ CREATE zz-end",
    ];
    assert_eq!(&lines[..want.len()], want, "{out:?}");
    assert_eq!(out.stderr, "Setting up watches.\nWatches established.\n");
}

#[test]
fn single_event_exits_zero_and_prints_it() {
    let _serial = crate::support::serial();
    let dir = tree("single");
    let r = start(&dir, &["-e", "create", "w"]);
    write(&dir.join("w/f"), b"");
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(0));
    assert_eq!(out.lines(), ["w/ CREATE f"]);
}

#[test]
fn timeout_exits_two() {
    let _serial = crate::support::serial();
    let dir = tree("timeout");
    let out = run(&wait_bin(), &["-t", "1", "w"], dir.path());
    assert_eq!(out.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn watched_file_deleted_exits_one() {
    let _serial = crate::support::serial();
    let dir = tree("delself");
    write(&dir.join("w/f"), b"");
    let r = start(&dir, &["-e", "modify", "w/f"]);
    fs::remove_file(dir.join("w/f")).expect("rm");
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn delete_self_asked_for_exits_zero() {
    let _serial = crate::support::serial();
    let dir = tree("delself-asked");
    write(&dir.join("w/f"), b"");
    let r = start(&dir, &["-e", "delete_self", "w/f"]);
    fs::remove_file(dir.join("w/f")).expect("rm");
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(0));
    assert_eq!(out.lines(), ["w/f DELETE_SELF "]);
}

#[test]
fn bad_arguments_one_line_exit_one() {
    let _serial = crate::support::serial();
    let dir = tree("badargs");
    let cases: [(&[&str], &str); 10] = [
        (
            &["-e", "bogus", "w"],
            "'bogus' is not a valid event!  Run with the '--help' option to see a list of events.\n",
        ),
        (&["-d", "w"], "-o must be specified with -d.\n"),
        (
            &["--exclude", "(", "w"],
            "Error in `exclude' regular expression.\n",
        ),
        (
            &["--include", "a[", "w"],
            "Error in `include' regular expression.\n",
        ),
        (
            &["--fromfile", "missing", "w"],
            "Couldn't open missing: No such file or directory\n",
        ),
        (
            &["--bogus", "w"],
            "inotifywait: unrecognized option '--bogus'\n",
        ),
        (
            &["-t", "abc", "w"],
            "'abc' is not a valid timeout value. Please specify a long int value.\n",
        ),
        (&[], "No files specified to watch!\n"),
        (
            &["missing"],
            "Setting up watches.\nCouldn't watch missing: No such file or directory\n",
        ),
        // Issue 11 item 8: a mask of flags alone (the kernel would accept
        // it and report nothing) is refused with a clear message, not a
        // wait for ever.
        (
            &["-e", "oneshot", "w"],
            "Setting up watches.\nCouldn't watch w: Invalid argument \
             (no event to watch: flags such as oneshot alone watch nothing)\n",
        ),
    ];
    for (args, want) in cases {
        let out = run(&wait_bin(), args, dir.path());
        assert_eq!(out.code(), Some(1), "{args:?}: {out:?}");
        assert_eq!(out.stderr, want, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_goes_to_stdout_and_exits_one() {
    let _serial = crate::support::serial();
    let dir = tree("help");
    let out = run(&wait_bin(), &["--help"], dir.path());
    assert_eq!(out.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("inotifywait "), "{text}");
    assert!(text.contains("--json") && text.contains("close_write"));
}

#[test]
fn quiet_once_hides_messages_twice_hides_events() {
    let _serial = crate::support::serial();
    let dir = tree("quiet");
    let r = spawn(&wait_bin(), &["-q", "-e", "create", "w"], dir.path());
    r.wait_watches(1);
    write(&dir.join("w/f"), b"");
    let out = r.wait_exit();
    assert_eq!((out.code(), out.stderr.as_str()), (Some(0), ""));
    assert_eq!(out.lines(), ["w/ CREATE f"]);
    let r = spawn(&wait_bin(), &["-qq", "-e", "create", "w"], dir.path());
    r.wait_watches(1);
    write(&dir.join("w/g"), b"");
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
}

#[test]
fn csv_quotes_names() {
    let _serial = crate::support::serial();
    let dir = tree("csv");
    let out = monitor(&dir, &["-m", "-c", "-e", "create", "w"], || {
        write(&dir.join("w/a,b"), b"");
        write(&dir.join("w/q\"q"), b"");
        write(&dir.join("w/ lead"), b"");
        fs::create_dir(dir.join("w/c,d")).expect("mkdir");
    });
    assert_eq!(
        out.lines()[..4],
        [
            "w/,CREATE,\"a,b\"",
            "w/,CREATE,\"q\"\"q\"",
            "w/,CREATE,\" lead\"",
            "w/,\"CREATE,ISDIR\",\"c,d\""
        ]
    );
}

#[test]
fn format_timefmt_and_no_newline() {
    let _serial = crate::support::serial();
    let dir = tree("format");
    let args = [
        "-m",
        "-e",
        "create,moved_from,moved_to",
        "--format",
        "%w|%f|%e|%:e|%c|%T|%%|%0%n",
        "--timefmt",
        "%Y",
        "--no-newline",
        "w",
    ];
    let out = monitor(&dir, &args, || {
        write(&dir.join("w/a"), b"");
        fs::rename(dir.join("w/a"), dir.join("w/b")).expect("mv");
    });
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let year = text.split('|').nth(5).expect("time field").to_owned();
    assert_eq!(year.len(), 4, "{text}");
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines[0], format!("w/|a|CREATE|CREATE|0|{year}|%|\0"));
    let from: Vec<&str> = lines[1].split('|').collect();
    let to: Vec<&str> = lines[2].split('|').collect();
    assert_eq!(from[..4], ["w/", "a", "MOVED_FROM", "MOVED_FROM"]);
    assert_eq!(to[..4], ["w/", "b", "MOVED_TO", "MOVED_TO"]);
    assert_eq!(from[4], to[4], "cookies pair the rename");
    assert_ne!(from[4], "0");
}

#[test]
fn exclude_include_and_case_insensitive() {
    let _serial = crate::support::serial();
    let dir = tree("filters");
    let ops = || {
        for n in ["a.c", "b.h", "C.SWP", "d.swp"] {
            write(&dir.join("w").join(n), b"");
        }
    };
    let names = |out: &Finished| -> Vec<String> {
        out.lines()
            .into_iter()
            .filter(|l| !l.contains("zz-end"))
            .collect()
    };
    let out = monitor(
        &dir,
        &["-m", "-e", "create", "--exclude", r"\.swp$", "w"],
        ops,
    );
    assert_eq!(
        names(&out),
        ["w/ CREATE a.c", "w/ CREATE b.h", "w/ CREATE C.SWP"]
    );
    for n in ["a.c", "b.h", "C.SWP", "d.swp"] {
        fs::remove_file(dir.join("w").join(n)).expect("rm");
    }
    fs::remove_file(dir.join("w/zz-end")).expect("rm");
    let out = monitor(
        &dir,
        &["-m", "-e", "create", "--excludei", r"\.swp$", "w"],
        ops,
    );
    assert_eq!(names(&out), ["w/ CREATE a.c", "w/ CREATE b.h"]);
    for n in ["a.c", "b.h", "C.SWP", "d.swp"] {
        fs::remove_file(dir.join("w").join(n)).expect("rm");
    }
    fs::remove_file(dir.join("w/zz-end")).expect("rm");
    let out = monitor(
        &dir,
        &["-m", "-e", "create", "--include", r"(\.c|zz-end)$", "w"],
        ops,
    );
    assert_eq!(names(&out), ["w/ CREATE a.c"]);
}

#[test]
fn include_under_recursive_still_descends_into_new_dirs() {
    let _serial = crate::support::serial();
    // Deliberately newer inotify-tools behaviour: directories whose names
    // do not match --include are still watched, so x.c inside is reported.
    let dir = tree("include-rec");
    let out = monitor(
        &dir,
        &[
            "-m",
            "-r",
            "-e",
            "create",
            "--include",
            r"(\.c|zz-end)$",
            "w",
        ],
        || {
            fs::create_dir_all(dir.join("w/sub/deeper")).expect("mkdir");
            write(&dir.join("w/sub/deeper/x.c"), b"");
            write(&dir.join("w/sub/deeper/y.h"), b"");
        },
    );
    assert_eq!(out.lines()[0], "w/sub/deeper/ CREATE x.c", "{out:?}");
    assert_eq!(out.lines().len(), 2, "{out:?}");
}

#[test]
fn at_path_excludes_subtree_under_recursive() {
    let _serial = crate::support::serial();
    let dir = tree("at-path");
    fs::create_dir_all(dir.join("w/skip/inner")).expect("mkdir");
    fs::create_dir_all(dir.join("w/keep")).expect("mkdir");
    let out = monitor(&dir, &["-m", "-r", "-e", "create", "w", "@w/skip"], || {
        write(&dir.join("w/skip/x"), b"");
        write(&dir.join("w/skip/inner/y"), b"");
        write(&dir.join("w/keep/z"), b"");
    });
    assert_eq!(out.lines(), ["w/keep/ CREATE z", "w/ CREATE zz-end"]);
}

#[test]
fn recursive_reports_contents_of_new_directories() {
    let _serial = crate::support::serial();
    // Beyond inotifywait: entries created before the new directory's watch
    // landed are reported (synthetic creates of the library).
    let dir = tree("newdirs");
    let out = monitor(&dir, &["-m", "-r", "-e", "create", "w"], || {
        fs::create_dir_all(dir.join("w/a/b/c")).expect("mkdir");
        write(&dir.join("w/a/b/c/f"), b"");
    });
    let lines = out.lines();
    for want in [
        "w/ CREATE,ISDIR a",
        "w/a/ CREATE,ISDIR b",
        "w/a/b/ CREATE,ISDIR c",
        "w/a/b/c/ CREATE f",
    ] {
        assert!(lines.iter().any(|l| l == want), "missing {want}: {lines:?}");
    }
    assert!(out.stderr.contains("Beware: since -r was given"));
}

#[test]
fn fromfile_and_stdin_with_thousands_of_paths() {
    let _serial = crate::support::serial();
    let dir = tree("fromfile");
    let mut list = Vec::new();
    for i in 0..2000 {
        let p = dir.join(format!("w/f{i}"));
        write(&p, b"");
        list.extend_from_slice(format!("w/f{i}\n").as_bytes());
    }
    list.extend_from_slice(b"@w/ignored\n\n");
    write(&dir.join("list"), &list);
    let r = start(&dir, &["-e", "attrib", "--fromfile", "list"]);
    fs::set_permissions(
        dir.join("w/f1999"),
        fs::Permissions::from_mode_compat(0o600),
    )
    .expect("chmod");
    let out = r.wait_exit();
    assert_eq!(
        (out.code(), out.lines()),
        (Some(0), vec!["w/f1999 ATTRIB ".to_owned()])
    );

    let mut r = spawn(
        &wait_bin(),
        &["-e", "attrib", "--fromfile", "-"],
        dir.path(),
    );
    r.stdin
        .take()
        .expect("stdin")
        .write_all(&list)
        .expect("feed");
    r.wait_stderr("Watches established.");
    fs::set_permissions(dir.join("w/f7"), fs::Permissions::from_mode_compat(0o640)).expect("chmod");
    let out = r.wait_exit();
    assert_eq!(out.lines(), ["w/f7 ATTRIB "]);

    let args: Vec<String> = std::iter::once("-e".to_owned())
        .chain(std::iter::once("attrib".to_owned()))
        .chain((0..2000).map(|i| format!("w/f{i}")))
        .collect();
    let r = start(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    fs::set_permissions(
        dir.join("w/f1234"),
        fs::Permissions::from_mode_compat(0o644),
    )
    .expect("chmod");
    assert_eq!(r.wait_exit().lines(), ["w/f1234 ATTRIB "]);
}

/// `Permissions::from_mode` through the Unix extension trait.
trait FromModeCompat {
    fn from_mode_compat(mode: u32) -> Self;
}

impl FromModeCompat for fs::Permissions {
    fn from_mode_compat(mode: u32) -> Self {
        std::os::unix::fs::PermissionsExt::from_mode(mode)
    }
}

/// inotify-tools' `t/inotifywait-format-option-cookie-ready.t`: with
/// `--ready` the output's first line is `READY`, written once the watches
/// are established, before any event.
#[test]
fn ready_is_the_first_line_of_the_output_file() {
    let dir = TempDir::new("ready");
    std::fs::create_dir(dir.join("w")).expect("mkdir");
    let r = spawn(
        &ours("inotifywait"),
        &[
            "--ready",
            "-q",
            "-o",
            "log",
            "--format",
            "%c %e %w%f",
            "-e",
            "create",
            "w",
        ],
        dir.path(),
    );
    assert!(
        poll_until(|| std::fs::read(dir.join("log")).is_ok_and(|b| b == b"READY\n")),
        "no READY line"
    );
    write(&dir.join("w/f"), b"");
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    let log = std::fs::read_to_string(dir.join("log")).expect("log");
    assert_eq!(log, "READY\n0 CREATE w/f\n");
}
