//! inotifywait: every option, driven through the real binary.

use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use crate::support::{Finished, Running, TempDir, ours, poll_until, run, spawn, write};
use std::path::Path;

fn wait_bin() -> std::path::PathBuf {
    ours("inotifywait")
}

/// Starts `inotifywait args` in `dir` and waits for "Watches established.".
fn start(dir: &TempDir, args: &[&str]) -> Running {
    let r = spawn(&wait_bin(), args, dir.path());
    r.wait_stderr("Watches established.");
    r
}

/// Monitors with `args`, runs `ops`, then creates `w/zz-end` and stops
/// once that line arrived.
fn monitor(dir: &TempDir, args: &[&str], ops: impl FnOnce()) -> Finished {
    let r = start(dir, args);
    ops();
    write(&dir.join("w/zz-end"), b"");
    r.wait_stdout(b"zz-end");
    r.signal("TERM")
}

fn tree(name: &str) -> TempDir {
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

#[test]
fn outfile_appends_events() {
    let _serial = crate::support::serial();
    let dir = tree("outfile");
    write(&dir.join("log"), b"old\n");
    let r = start(&dir, &["-e", "create", "-o", "log", "w"]);
    write(&dir.join("w/f"), b"");
    let out = r.wait_exit();
    assert_eq!(out.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        fs::read(dir.join("log")).expect("log"),
        b"old\nw/ CREATE f\n"
    );
}

#[test]
fn daemon_runs_in_background_writing_outfile() {
    let _serial = crate::support::serial();
    let dir = tree("daemon");
    let out = run(
        &wait_bin(),
        &["-d", "-o", "log", "-e", "create", "w"],
        dir.path(),
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    // Find the background copy by its command line (it holds our unique dir).
    let marker = dir.path().as_os_str().as_bytes().to_vec();
    let find = || -> Option<u32> {
        fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmd = fs::read(e.path().join("cmdline")).ok()?;
            let cwd = fs::read_link(e.path().join("cwd")).ok()?;
            (cmd.windows(15).any(|w| w == b"--daemon-child\0")
                && cwd.as_os_str().as_bytes() == marker.as_slice())
            .then_some(pid)
        })
    };
    let mut pid = None;
    assert!(poll_until(|| {
        pid = find();
        pid.is_some_and(|p| crate::support::inotify_watches(p) >= 1)
    }));
    let pid = pid.expect("daemon pid");
    write(&dir.join("w/f"), b"");
    let ok = poll_until(|| fs::read(dir.join("log")).is_ok_and(|l| l == b"w/ CREATE f\n"));
    let killed = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status();
    assert!(ok, "log: {:?}", fs::read(dir.join("log")));
    assert!(killed.expect("kill").success());
}

#[test]
fn syslog_option_still_prints_events() {
    let _serial = crate::support::serial();
    let dir = tree("syslog");
    let r = spawn(&wait_bin(), &["-s", "-e", "create", "w"], dir.path());
    r.wait_watches(1);
    write(&dir.join("w/f"), b"");
    let out = r.wait_exit();
    assert_eq!(
        (out.code(), out.lines()),
        (Some(0), vec!["w/ CREATE f".to_owned()])
    );
    // Messages went to syslog, or to stderr where no syslog daemon listens.
    let on_stderr = out.stderr.is_empty() || out.stderr.contains("Watches established.");
    assert!(on_stderr, "{out:?}");
}

#[test]
fn odd_names_pass_byte_exact_and_json_escapes_them() {
    let _serial = crate::support::serial();
    let dir = tree("names");
    let raw: &[u8] = b"bad\xff\nname with space";
    let name = std::ffi::OsStr::from_bytes(raw);
    let long = "n".repeat(255);
    let out = monitor(&dir, &["-m", "-e", "create", "w"], || {
        write(&dir.join("w").join(name), b"");
        write(&dir.join("w").join(&long), b"");
    });
    let mut want = b"w/ CREATE ".to_vec();
    want.extend_from_slice(raw);
    want.push(b'\n');
    assert!(out.stdout.starts_with(&want), "{:?}", out.stdout);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("w/ CREATE {long}\n")));

    fs::remove_file(dir.join("w/zz-end")).expect("rm");
    fs::remove_file(dir.join("w").join(name)).expect("rm");
    let out = monitor(&dir, &["-m", "-e", "create", "--json", "w"], || {
        write(&dir.join("w").join(name), b"");
    });
    let first = String::from_utf8(
        out.stdout
            .split(|&b| b == b'\n')
            .next()
            .expect("line")
            .to_vec(),
    )
    .expect("json is utf-8");
    assert!(
        first.contains(r#""watched":"w/","name":"bad\udcff\nname with space","path":"w/bad\udcff\nname with space","events":["CREATE"],"cookie":0,"dir":false"#),
        "{first}"
    );
}

#[test]
fn json_pairs_renames_with_src() {
    let _serial = crate::support::serial();
    let dir = tree("json-move");
    let out = monitor(&dir, &["-m", "-e", "move,create", "--json", "w"], || {
        write(&dir.join("w/a"), b"");
        fs::rename(dir.join("w/a"), dir.join("w/b")).expect("mv");
    });
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let moved = text
        .lines()
        .find(|l| l.contains("MOVED_TO"))
        .expect("moved_to line");
    assert!(moved.contains(r#""name":"b","path":"w/b""#), "{moved}");
    assert!(moved.contains(r#""src":"w/a""#), "{moved}");
}

#[test]
fn exec_runs_command_with_event_environment() {
    let _serial = crate::support::serial();
    let dir = tree("exec");
    let script = r#"sh -c 'printf "%s|%s|%s|%s\n" "$INOTIFY_EVENTS" "$INOTIFY_WATCHED" "$INOTIFY_FILENAME" "$INOTIFY_PATH" >> exec.log'"#;
    let out = monitor(&dir, &["-m", "-e", "create", "--exec", script, "w"], || {
        write(&dir.join("w/f g"), b"");
    });
    assert_eq!(out.lines()[0], "w/ CREATE f g");
    let log = fs::read_to_string(dir.join("exec.log")).expect("exec ran");
    assert!(log.starts_with("CREATE|w/|f g|w/f g\n"), "{log}");
    let out = monitor(
        &dir,
        &[
            "-m",
            "-e",
            "delete",
            "--exec",
            "echo \"$INOTIFY_FILENAME\" >> shell.log",
            "--exec-shell",
            "w",
        ],
        || {
            fs::remove_file(dir.join("w/f g")).expect("rm");
            fs::remove_file(dir.join("w/zz-end")).expect("rm");
        },
    );
    assert_eq!(out.code(), None, "terminated by the test");
    assert!(poll_until(
        || fs::read_to_string(dir.join("shell.log")).is_ok_and(|l| l.starts_with("f g\n"))
    ));
}

#[test]
fn closed_stdout_ends_promptly_with_error() {
    let _serial = crate::support::serial();
    let dir = tree("epipe");
    let mut child = std::process::Command::new(wait_bin())
        .args(["-m", "-e", "create", "w"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    assert!(poll_until(|| crate::support::inotify_watches(pid) >= 1));
    drop(child.stdout.take());
    let mut i = 0;
    let exited = poll_until(|| {
        i += 1;
        write(&dir.join(format!("w/f{i}")), b"");
        child.try_wait().expect("try_wait").is_some()
    });
    if !exited {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("wait");
    assert!(exited, "inotifywait kept running with a closed stdout");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("inotifywait: write error: Broken pipe"),
        "{err}"
    );
}

#[test]
fn no_dereference_watches_the_link_itself() {
    let _serial = crate::support::serial();
    let dir = tree("nodereference");
    std::os::unix::fs::symlink("w", dir.join("link")).expect("symlink");
    // Following the link, the directory's events arrive through it...
    let r = start(&dir, &["-e", "create", "link"]);
    write(&dir.join("w/a"), b"");
    assert_eq!(r.wait_exit().lines(), ["link CREATE a"]);
    // ...with -P the link itself is watched, so a create inside is not seen
    // and the run times out.
    let out = {
        let r = start(&dir, &["-P", "-t", "1", "-e", "create", "link"]);
        write(&dir.join("w/b"), b"");
        r.wait_exit()
    };
    assert_eq!(out.code(), Some(2), "{out:?}");
}

#[test]
fn rescan_option_is_accepted_and_monitors() {
    let _serial = crate::support::serial();
    let dir = tree("rescan");
    let out = monitor(&dir, &["-m", "--rescan", "-e", "create", "w"], || {
        write(&dir.join("w/a"), b"");
    });
    assert_eq!(out.lines()[0], "w/ CREATE a");
}

/// Runs `script` as root of a new user namespace (`unshare -Ur`), where
/// the inotify limits can be lowered without touching the host's. `None`
/// with a printed reason when user namespaces are unavailable.
fn in_user_namespace(dir: &TempDir, script: &str) -> Option<Finished> {
    let probe = std::process::Command::new("unshare")
        .args(["-Ur", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: unshare -Ur is not available here");
        return None;
    }
    let bin = wait_bin();
    let r = spawn(
        Path::new("unshare"),
        &[
            "-Ur",
            "sh",
            "-c",
            script,
            "sh",
            bin.to_str().expect("utf-8 path"),
        ],
        dir.path(),
    );
    Some(r.wait_exit())
}

#[test]
fn limits_name_the_proc_value_to_raise() {
    let _serial = crate::support::serial();
    let dir = tree("limits");
    fs::create_dir_all(dir.join("w/a/b/c")).expect("mkdir");
    let script = "echo 2 > /proc/sys/user/max_inotify_watches && exec \"$1\" -r w";
    let Some(out) = in_user_namespace(&dir, script) else {
        return;
    };
    assert_eq!(out.code(), Some(1));
    // inotify-tools' two lines, then the report (tests of rules.rs).
    let (head, report) = out
        .stderr
        .split_at(out.stderr.find("1 subtree").unwrap_or(0));
    assert_eq!(
        head,
        "Setting up watches.  Beware: since -r was given, this may take a while!\n\
         Failed to watch w; upper limit on inotify watches reached! Please increase the amount of inotify watches allowed per user via `/proc/sys/fs/inotify/max_user_watches'.\n"
    );
    assert!(report.contains("  w/a/b (2 directories)\n"), "{report}");
    let script = "echo 0 > /proc/sys/user/max_inotify_instances && exec \"$1\" w";
    let Some(out) = in_user_namespace(&dir, script) else {
        return;
    };
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        "Couldn't initialize inotify: Too many open files Try increasing the value of /proc/sys/fs/inotify/max_user_instances\n"
    );
}
