//! inotifywait as a process: output files, daemon mode, syslog, odd
//! names, JSON, --exec, a closed stdout, -P, --rescan and the watch limits
//! in a user namespace (split from `wait.rs`, which keeps the options).

use std::fs;
use std::os::unix::ffi::OsStrExt;

use crate::support::{Finished, TempDir, poll_until, run, spawn, write};
use std::path::Path;

use crate::wait::{monitor, start, tree, wait_bin};

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
    let pid = daemon_pid(&dir, 1);
    write(&dir.join("w/f"), b"");
    let ok = poll_until(|| fs::read(dir.join("log")).is_ok_and(|l| l == b"w/ CREATE f\n"));
    let killed = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status();
    assert!(ok, "log: {:?}", fs::read(dir.join("log")));
    assert!(killed.expect("kill").success());
}

/// The background copy `-d` started in `dir`, once it holds `watches`
/// watches (found by its command line and working directory).
fn daemon_pid(dir: &TempDir, watches: usize) -> u32 {
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
        pid.is_some_and(|p| crate::support::inotify_watches(p) >= watches)
    }));
    pid.expect("daemon pid")
}

/// inotify-tools' `t/inotifywait-fromfile-stdin.t`: `-d --fromfile -`
/// with a long list piped in. The background copy had a /dev/null stdin
/// (the list was read by the process that left): "No files specified to
/// watch!", nothing logged.
#[test]
fn daemon_watches_the_list_read_from_stdin() {
    use std::io::Write as _;
    let _serial = crate::support::serial();
    let dir = tree("daemon-stdin");
    let mut list = Vec::new();
    for i in 0..600 {
        let file = dir.join(format!("w/f{i}"));
        write(&file, b"");
        list.extend_from_slice(file.as_os_str().as_bytes());
        list.push(b'\n');
    }
    let mut child = std::process::Command::new(wait_bin())
        .args(["-q", "-d", "-o", "log", "-e", "attrib", "--fromfile", "-"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&list)
        .expect("list");
    assert!(child.wait().expect("wait").success());
    let pid = daemon_pid(&dir, 600);
    let target = dir.join("w/f599");
    fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let want = format!("{} ATTRIB \n", target.display());
    let ok = poll_until(|| fs::read(dir.join("log")).is_ok_and(|l| l == want.as_bytes()));
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

/// A tree that contains itself through a bind mount: the recursive add
/// watches the directory once and does not walk it again (before: it
/// failed, "Couldn't watch", as if the loop were an error).
#[test]
fn recursive_add_over_a_bind_mount_loop_ends_and_watches() {
    if !crate::fanotify::is_root() {
        eprintln!("skipped: a bind mount needs root");
        return;
    }
    let dir = tree("bindloop");
    fs::create_dir_all(dir.join("w/sub/m")).expect("mkdir");
    let w = dir.join("w");
    let script = format!(
        "mount --bind '{w}' '{w}/sub/m' && exec '{bin}' -r -t 1 '{w}'",
        w = w.display(),
        bin = wait_bin().display()
    );
    let out = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .output();
    let Ok(out) = out else {
        eprintln!("skipped: unshare unavailable");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("mount:") || stderr.contains("unshare:") {
        eprintln!("skipped: cannot bind-mount here: {stderr}");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Watches established."), "{stderr}");
}
