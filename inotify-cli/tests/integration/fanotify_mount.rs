//! `-M/--mount` (inotify-tools master: "Watch entire mount with
//! fanotify") in the four programs: as root on a fresh tmpfs, the events
//! a mount mark reports with their paths and nothing from outside the
//! path, a directory renamed while watched, inotifywatch's counts; the
//! refusals (events a mount mark cannot report, `-S` or `-I` with `-M`,
//! no `CAP_SYS_ADMIN`, a missing path), and no word of inotify on stderr.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fanotify::is_root;
use crate::support::{Running, TempDir, ours, poll_until, run, spawn, write};

/// A tmpfs mounted on a directory (root only), unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a fresh tmpfs on `at`; `None`, with the reason printed, when
    /// this is not possible here.
    fn mount(test: &str, at: &Path) -> Option<Tmpfs> {
        if !is_root() {
            eprintln!("skipped {test}: a mount mark needs root (CAP_SYS_ADMIN)");
            return None;
        }
        std::fs::create_dir_all(at).expect("mkdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "mount-mark-test"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped {test}: cannot mount a tmpfs on {}", at.display());
            return None;
        }
        Some(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Stops `r` once `needle` was printed; the lines with `base` spelled `D`.
fn stop_after(r: Running, needle: &[u8], base: &Path) -> (Vec<String>, String) {
    r.wait_stdout(needle);
    let out = r.signal("TERM");
    let base = base.display().to_string();
    let lines = out.lines().iter().map(|l| l.replace(&base, "D")).collect();
    (lines, out.stderr)
}

#[test]
fn mount_switch_reports_file_access_below_the_path_with_its_default_events() {
    let test = "mount_switch_reports_file_access_below_the_path_with_its_default_events";
    let dir = TempDir::new("mnt-events");
    let Some(_tmpfs) = Tmpfs::mount(test, &dir.join("m")) else {
        return;
    };
    let root = dir.join("m/root");
    std::fs::create_dir_all(root.join("A/B/C/D")).expect("mkdir");
    std::fs::create_dir_all(dir.join("m/outside")).expect("mkdir");
    for program in ["inotifywait", "fsnotifywait"] {
        let r = spawn(&ours(program), &["-M", "-m", "m/root"], dir.path());
        r.wait_stderr("Watches established.");
        assert_eq!(
            r.stderr(),
            "Setting up mount watches.\nWatches established.\n",
            "{program}"
        );
        // On the same mount, outside the path: not reported.
        write(&dir.join("m/outside/x"), b"x");
        // inotify-tools' t/ test: touch root/A/B/C/D/test && cat it.
        write(&root.join("A/B/C/D/test"), b"x");
        std::fs::read(root.join("A/B/C/D/test")).expect("read");
        std::fs::read_dir(root.join("A"))
            .expect("list")
            .for_each(drop);
        write(&root.join("zz-end"), b"");
        let (lines, _) = stop_after(r, b"zz-end", dir.path());
        for want in [
            "D/m/root/A/B/C/D/ OPEN test",
            "D/m/root/A/B/C/D/ MODIFY test",
            "D/m/root/A/B/C/D/ CLOSE_WRITE,CLOSE test",
            "D/m/root/A/B/C/D/ ACCESS test",
            "D/m/root/A/B/C/D/ CLOSE_NOWRITE,CLOSE test",
            "D/m/root/A/ OPEN,ISDIR ",
            "D/m/root/A/ CLOSE_NOWRITE,CLOSE,ISDIR ",
        ] {
            assert!(
                lines.iter().any(|l| l == want),
                "{program}: no {want:?} in {lines:?}"
            );
        }
        assert!(
            lines.iter().all(|l| l.starts_with("D/m/root/")),
            "{program}: {lines:?}"
        );
        std::fs::remove_file(root.join("zz-end")).expect("rm");
    }
}

/// inotify-tools' t/ tests of `--mount`: the first event ends the wait
/// (OPEN by default, CLOSE with `--event CLOSE_NOWRITE`), written to
/// `--outfile`.
#[test]
fn mount_switch_waits_for_one_event_as_inotify_tools_tests_it() {
    let test = "mount_switch_waits_for_one_event_as_inotify_tools_tests_it";
    let dir = TempDir::new("mnt-once");
    let Some(_tmpfs) = Tmpfs::mount(test, &dir.join("root")) else {
        return;
    };
    std::fs::create_dir_all(dir.join("root/A/B/C/D")).expect("mkdir");
    let file = dir.join("root/A/B/C/D/test");
    write(&file, b"");
    for (extra, want) in [
        (&[][..], "OPEN"),
        (&["--event", "CLOSE_NOWRITE"][..], "CLOSE"),
    ] {
        let mut args = vec!["--mount", "--outfile", "log", "--timeout", "10"];
        args.extend_from_slice(extra);
        args.push("root");
        let r = spawn(&ours("inotifywait"), &args, dir.path());
        r.wait_stderr("Watches established.");
        std::fs::read(&file).expect("cat");
        let out = r.wait_exit();
        assert_eq!(out.code(), Some(0), "{}", out.stderr);
        let log = std::fs::read_to_string(dir.join("log")).expect("log");
        assert!(log.contains(want), "{extra:?}: {log:?}");
        assert!(
            log.contains("root/A/B/C/D/ ") && log.contains(" test"),
            "{log:?}"
        );
    }
}

/// A mount mark gets no rename record, so the path remembered for a
/// directory must be checked: a write below a directory renamed while
/// watched is reported at the new path.
#[test]
fn mount_switch_reports_a_renamed_directory_at_its_new_path() {
    let test = "mount_switch_reports_a_renamed_directory_at_its_new_path";
    let dir = TempDir::new("mnt-rename");
    let Some(_tmpfs) = Tmpfs::mount(test, &dir.join("m")) else {
        return;
    };
    std::fs::create_dir_all(dir.join("m/old/sub")).expect("mkdir");
    let r = spawn(
        &ours("fsnotifywait"),
        &["-M", "-m", "-e", "close_write", "m"],
        dir.path(),
    );
    r.wait_stderr("Watches established.");
    write(&dir.join("m/old/sub/f"), b"");
    r.wait_stdout(b" f\n");
    std::fs::rename(dir.join("m/old"), dir.join("m/new")).expect("mv");
    write(&dir.join("m/new/sub/g"), b"");
    let (lines, _) = stop_after(r, b" g\n", dir.path());
    assert_eq!(
        lines,
        [
            "D/m/old/sub/ CLOSE_WRITE,CLOSE f",
            "D/m/new/sub/ CLOSE_WRITE,CLOSE g"
        ]
    );
}

#[test]
fn inotifywatch_mount_switch_counts_the_events_per_file() {
    let test = "inotifywatch_mount_switch_counts_the_events_per_file";
    let dir = TempDir::new("mnt-watch");
    let Some(_tmpfs) = Tmpfs::mount(test, &dir.join("m")) else {
        return;
    };
    std::fs::create_dir_all(dir.join("m/w")).expect("mkdir");
    let r = spawn(&ours("inotifywatch"), &["-M", "m/w"], dir.path());
    r.wait_stderr("Finished establishing watches");
    assert!(
        r.stderr().contains("Setting up mount watch on m/w"),
        "{}",
        r.stderr()
    );
    write(&dir.join("m/w/a"), b"x");
    write(&dir.join("m/w/a"), b"y");
    std::fs::read(dir.join("m/w/a")).expect("read");
    // SIGUSR1 prints the table so far: asked until the last event (the
    // read's close) is counted, every 100 ms within the deadline. Counts
    // are not exact: the kernel merges a file's queued records.
    let pid = r.pid().to_string();
    let mut polls = 0u32;
    let counted = poll_until(|| {
        polls += 1;
        if polls % 10 == 1 {
            let _ = Command::new("kill").args(["-USR1", &pid]).status();
        }
        count(
            &String::from_utf8_lossy(&r.stdout()),
            "close_nowrite",
            "/m/w/a",
        ) > 0
    });
    let out = r.signal("INT");
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(counted, "{table}");
    for column in ["open", "modify", "close_write", "close_nowrite"] {
        assert!(count(&table, column, "/m/w/a") > 0, "{column}: {table}");
    }
    assert!(count(&table, "total", "/m/w/a") >= 4, "{table}");
    assert!(
        table
            .lines()
            .all(|l| l.is_empty() || l.starts_with("total") || l.ends_with("/m/w/a")),
        "{table}"
    );
}

/// The count in `column` of the row of the file ending with `file`, in
/// the last table of inotifywatch's `text` (0 when absent).
fn count(text: &str, column: &str, file: &str) -> u64 {
    let lines: Vec<&str> = text.lines().collect();
    let Some(head) = lines.iter().rposition(|l| l.starts_with("total")) else {
        return 0;
    };
    let Some(at) = lines[head].split_whitespace().position(|c| c == column) else {
        return 0;
    };
    lines[head + 1..]
        .iter()
        .find(|l| l.ends_with(file))
        .and_then(|l| l.split_whitespace().nth(at)?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn mount_switch_refuses_events_a_mount_mark_cannot_report() {
    let test = "mount_switch_refuses_events_a_mount_mark_cannot_report";
    let dir = TempDir::new("mnt-refuse");
    let Some(_tmpfs) = Tmpfs::mount(test, &dir.join("m")) else {
        return;
    };
    let out = run(
        &ours("inotifywait"),
        &["-M", "-e", "create", "m"],
        dir.path(),
    );
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr
            .contains("create is not supported with a mount mark (-M)")
            && out.stderr.contains("use -S or -F"),
        "{}",
        out.stderr
    );
    let out = run(
        &ours("fsnotifywatch"),
        &["--mount", "-e", "open,attrib,delete", "m"],
        dir.path(),
    );
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr
            .contains("attrib, delete are not supported with a mount mark (-M)"),
        "{}",
        out.stderr
    );
    // A path that does not exist.
    let out = run(&ours("inotifywait"), &["-M", "m/nosuch"], dir.path());
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr
            .contains("Couldn't add mount watch m/nosuch: No such file or directory"),
        "{}",
        out.stderr
    );
}

/// inotify-tools' "mount option automatically enables fanotify": nothing
/// on stderr speaks of inotify (no `inotifywait:` prefix, no inotify
/// wording) on `inotifywait --mount --timeout 1 .`.
#[test]
fn mount_switch_enables_fanotify_without_a_word_of_inotify() {
    let test = "mount_switch_enables_fanotify_without_a_word_of_inotify";
    let dir = TempDir::new("mnt-quiet");
    let Some(_tmpfs) = Tmpfs::mount(test, &dir.join("m")) else {
        return;
    };
    for program in ["inotifywait", "inotifywatch"] {
        let out = run(
            &ours(program),
            &["--mount", "--timeout", "1", "."],
            &dir.join("m"),
        );
        assert!(
            !out.stderr.to_lowercase().contains("inotify"),
            "{program}: {}",
            out.stderr
        );
        let want = if program == "inotifywait" { 2 } else { 0 };
        assert_eq!(out.code(), Some(want), "{program}: {}", out.stderr);
    }
}

#[test]
fn mount_switch_with_another_scope_is_refused() {
    let dir = TempDir::new("mnt-scope");
    std::fs::create_dir(dir.join("w")).expect("mkdir");
    for (args, message) in [
        (["-S", "-M", "w"], "Please specify -S or -M once only!"),
        (
            ["-M", "--filesystem", "w"],
            "Please specify -S or -M once only!",
        ),
        (["-I", "-M", "w"], "Please specify -I or -M once only!"),
    ] {
        for program in ["inotifywait", "fsnotifywatch"] {
            let out = run(&ours(program), &args, dir.path());
            assert_eq!(out.code(), Some(1), "{program} {args:?}");
            assert!(
                out.stderr.contains(message),
                "{program} {args:?}: {}",
                out.stderr
            );
        }
    }
}

/// Without `CAP_SYS_ADMIN` a mount or filesystem mark is not permitted
/// (as root, the program runs as nobody under `setpriv`): inotify-tools'
/// "Operation not permitted", and what the mark needs.
#[test]
fn mark_switches_without_cap_sys_admin_are_not_permitted() {
    let dir = TempDir::new("mnt-unpriv");
    std::fs::create_dir(dir.join("w")).expect("mkdir");
    for (program, switch) in [
        ("inotifywait", "-M"),
        ("fsnotifywatch", "-M"),
        ("fsnotifywait", "-S"),
        ("inotifywatch", "-S"),
    ] {
        let ours = ours(program);
        let out = if is_root() {
            let wrapper = ["--reuid=65534", "--regid=65534", "--clear-groups"];
            if !Command::new("setpriv")
                .args(wrapper)
                .arg("true")
                .status()
                .is_ok_and(|s| s.success())
            {
                eprintln!("skipped mark_switches_without_cap_sys_admin: setpriv unavailable");
                return;
            }
            let mut args: Vec<&std::ffi::OsStr> = wrapper.iter().map(AsRef::as_ref).collect();
            args.extend([ours.as_os_str(), switch.as_ref(), "w".as_ref()]);
            run(Path::new("setpriv"), &args, dir.path())
        } else {
            run(&ours, &[switch, "w"], dir.path())
        };
        assert_eq!(out.code(), Some(1), "{program} {switch}: {}", out.stderr);
        assert!(
            out.stderr.contains("Operation not permitted") && out.stderr.contains("CAP_SYS_ADMIN"),
            "{program} {switch}: {}",
            out.stderr
        );
    }
}
