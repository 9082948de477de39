//! Unit tests of the command-line parsing: inotifywait's syntax and its
//! exact error messages.

use super::*;
use inotify_notify::EventMask;

fn wait(args: &[&str]) -> Result<WaitArgs, UsageError> {
    match parse_wait(args.iter().map(OsString::from))? {
        Parsed::Run(a) => Ok(a),
        Parsed::Help => Err(UsageError("help".into())),
        Parsed::Version => Err(UsageError("version".into())),
    }
}

fn watch(args: &[&str]) -> Result<WatchArgs, UsageError> {
    match parse_watch(args.iter().map(OsString::from))? {
        Parsed::Run(a) => Ok(a),
        Parsed::Help => Err(UsageError("help".into())),
        Parsed::Version => Err(UsageError("version".into())),
    }
}

fn err(r: Result<WaitArgs, UsageError>) -> String {
    r.expect_err("should fail").0
}

#[test]
fn events_repeat_and_split_on_commas() {
    let a = wait(&[
        "-e",
        "create,delete",
        "--event",
        "MODIFY",
        "-e",
        "close",
        "w",
    ])
    .expect("ok");
    let want = EventMask::CREATE | EventMask::DELETE | EventMask::MODIFY | EventMask::CLOSE;
    assert_eq!(a.common.events, EventSelection::of(want));
    assert_eq!(a.common.operands, [OsString::from("w")]);
}

#[test]
fn quiet_counts_and_short_options_combine() {
    let a = wait(&["-qq", "-mr", "w"]).expect("ok");
    assert_eq!(a.quiet, 2);
    assert!(a.monitor && a.common.recursive);
}

#[test]
fn options_after_operands_and_abbreviated_long_options() {
    let a = wait(&["w", "--mon", "-t", "5", "--timeo=7"]).expect("ok");
    assert!(a.monitor);
    assert_eq!(a.common.timeout, Some(7));
}

#[test]
fn timeout_zero_or_negative_never_times_out() {
    assert_eq!(wait(&["-t", "-5", "w"]).expect("ok").common.timeout, None);
    assert_eq!(wait(&["-t", "0", "w"]).expect("ok").common.timeout, None);
    assert!(
        wait(&["-t", "-5", "w"])
            .expect("ok")
            .common
            .negative_timeout
    );
    assert!(
        !wait(&["-t", "-0", "w"])
            .expect("ok")
            .common
            .negative_timeout
    );
    assert!(!wait(&["-t", "3", "w"]).expect("ok").common.negative_timeout);
    assert_eq!(
        err(wait(&["-t", "abc", "w"])),
        "'abc' is not a valid timeout value. Please specify a long int value."
    );
}

#[test]
fn bad_arguments_give_inotifywait_messages() {
    assert_eq!(
        err(wait(&["-e", "bogus", "w"])),
        "'bogus' is not a valid event!  Run with the '--help' option to see a list of events."
    );
    assert_eq!(err(wait(&["-d", "w"])), "-o must be specified with -d.");
    assert_eq!(
        err(wait(&["--bogus", "w"])),
        "inotifywait: unrecognized option '--bogus'"
    );
    assert_eq!(
        err(wait(&["-x", "w"])),
        "inotifywait: invalid option -- 'x'"
    );
    assert_eq!(
        err(wait(&["w", "-t"])),
        "inotifywait: option requires an argument -- 't'"
    );
    assert_eq!(
        err(wait(&["w", "-mt"])),
        "inotifywait: option requires an argument -- 't'"
    );
    assert_eq!(
        err(wait(&["w", "--timeout"])),
        "inotifywait: option '--timeout' requires an argument"
    );
    assert_eq!(
        err(wait(&["--include", "a", "--exclude", "b", "w"])),
        "include and exclude regexp cannot both be specified."
    );
    assert_eq!(
        err(wait(&["-c", "--format", "%w", "w"])),
        "-c and --format cannot both be specified."
    );
    assert_eq!(
        err(wait(&["--format", "%T", "w"])),
        "%T is in --format string, but --timefmt was not specified."
    );
    assert_eq!(
        err(wait(&["--timefmt", "%H", "w"])),
        "--timefmt cannot be specified without --format."
    );
    assert_eq!(
        err(wait(&["-o", "a", "-o", "b", "w"])),
        "Multiple --outfile options given."
    );
}

#[test]
fn last_exclude_wins_with_a_warning() {
    let a = wait(&["--exclude", "a", "--exclude", "b", "w"]).expect("ok");
    assert_eq!(a.common.pattern, Some(("b".into(), Mode::Exclude, false)));
    assert_eq!(
        a.common.warnings,
        ["--exclude: only the last option will be taken into consideration."]
    );
    let a = wait(&["--includei", "X", "w"]).expect("ok");
    assert_eq!(a.common.pattern, Some(("X".into(), Mode::Include, true)));
}

#[test]
fn daemon_implies_monitor_and_syslog() {
    let a = wait(&["-d", "-o", "log", "w"]).expect("ok");
    assert!(a.monitor && a.syslog && a.daemon);
}

#[test]
fn help_is_reported() {
    assert!(matches!(
        parse_wait(["-h"].map(OsString::from)),
        Ok(Parsed::Help)
    ));
}

#[test]
fn version_is_reported_by_both_programs() {
    assert!(matches!(
        parse_wait(["-e", "create", "--version", "w"].map(OsString::from)),
        Ok(Parsed::Version)
    ));
    assert!(matches!(
        parse_watch(["--version"].map(OsString::from)),
        Ok(Parsed::Version)
    ));
    // Abbreviations still read as getopt reads them in inotify-tools.
    assert_eq!(watch(&["--ver", "w"]).expect("ok").common.verbose, 1);
    assert_eq!(watch(&["--v", "--ve", "w"]).expect("ok").common.verbose, 2);
    assert!(matches!(
        parse_watch(["--vers"].map(OsString::from)),
        Ok(Parsed::Version)
    ));
    // A value that happens to read `--version` is still a value.
    let a = wait(&["--format", "--version", "w"]).expect("ok");
    assert!(matches!(a.output, Output::Format { ref format, .. } if format == "--version"));
}

#[test]
fn inotifywatch_sort_options() {
    let a = watch(&["-a", "modify", "w"]).expect("ok");
    assert_eq!(
        a.sort,
        Sort {
            key: SortKey::Event(EventSelection::parse("modify").expect("valid")),
            ascending: true
        }
    );
    let a = watch(&["-d", "total", "-z", "w"]).expect("ok");
    assert!(a.zero && !a.sort.ascending && a.sort.key == SortKey::Total);
    let e = |r: Result<WatchArgs, UsageError>| r.expect_err("fails").0;
    assert_eq!(
        e(watch(&["-a", "x", "w"])),
        "'x' is not a valid key for sorting!"
    );
    assert_eq!(
        e(watch(&["-a", "total", "-d", "total", "w"])),
        "Please specify -a or -d once only!"
    );
    assert_eq!(
        e(watch(&["-e", "create", "-a", "modify", "w"])),
        "Can't sort by an event which isn't being watched for!"
    );
}

#[test]
fn path_list_reads_fromfile_then_operands() {
    let (w, x) = path_list(
        Some(b"a\n@b\n\n@\nc d\n"),
        &[OsString::from("e"), OsString::from("@f")],
    );
    assert_eq!(w, ["a", "c d", "e"].map(PathBuf::from));
    assert_eq!(x, ["b", "f"].map(PathBuf::from));
}

#[test]
fn backend_switches_follow_inotify_tools_scope_rules() {
    use inotify_notify::Backend;
    let backend = |args: &[&str]| wait(args).map(|a| a.common.backend);
    assert_eq!(backend(&["d"]).unwrap(), Backend::Inotify);
    assert_eq!(backend(&["-F", "d"]).unwrap(), Backend::Fanotify);
    assert_eq!(backend(&["-F", "-I", "d"]).unwrap(), Backend::Inotify);
    assert_eq!(backend(&["-I", "-F", "d"]).unwrap(), Backend::Fanotify);
    assert_eq!(backend(&["-S", "-F", "d"]).unwrap(), Backend::Filesystem);
    assert_eq!(backend(&["-F", "-S", "d"]).unwrap(), Backend::Filesystem);
    // inotify-tools' t/fsnotifywait-errors.t: -I and -S are exclusive.
    for args in [["-I", "-S", "d"], ["-S", "-I", "d"]] {
        assert_eq!(err(wait(&args)), "Please specify -I or -S once only!");
    }
    // -M (inotify-tools master): a scope of its own, implying fanotify.
    assert_eq!(backend(&["-M", "d"]).unwrap(), Backend::Mount);
    assert_eq!(backend(&["--mount", "-F", "d"]).unwrap(), Backend::Mount);
    assert_eq!(backend(&["-F", "-M", "d"]).unwrap(), Backend::Mount);
    for args in [["-S", "-M", "d"], ["-M", "-S", "d"]] {
        assert_eq!(err(wait(&args)), "Please specify -S or -M once only!");
    }
    for args in [["-I", "-M", "d"], ["-M", "-I", "d"]] {
        assert_eq!(err(wait(&args)), "Please specify -I or -M once only!");
    }
}

#[test]
fn mount_switch_defaults_to_the_events_a_mount_mark_reports() {
    use crate::events::EventSelection;
    use inotify_notify::EventMask;
    let events = |args: &[&str]| wait(args).unwrap().common.watch_events();
    assert_eq!(events(&["-M", "d"]), EventSelection::MOUNT);
    for kind in [EventMask::OPEN, EventMask::CLOSE_NOWRITE, EventMask::MODIFY] {
        assert!(EventSelection::MOUNT.wants(kind));
    }
    assert!(!EventSelection::MOUNT.wants(EventMask::CREATE));
    assert!(!EventSelection::MOUNT.wants(EventMask::ATTRIB));
    assert_eq!(
        events(&["-M", "-e", "close_nowrite", "d"]),
        EventSelection::of(EventMask::CLOSE_NOWRITE)
    );
    assert_eq!(events(&["-S", "d"]), EventSelection::ALL);
}
