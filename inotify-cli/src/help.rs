//! The `--help` and `--version` texts: inotify-tools' option list, plus
//! our additions marked as such. The man pages ([`crate::manual`]) take
//! their option descriptions from these texts.

/// The inotify-tools release whose behaviour both programs follow: the
/// differential tests run against Debian's inotify-tools 3.22.6.
pub const FOLLOWS: &str = "3.22";

/// `--version` of `program`: our version, the inotify-tools release we
/// follow and where the differences are written down.
pub fn version(program: &str) -> String {
    format!(
        "{program} {version} (inotify toolkit)
follows inotify-tools {FOLLOWS}; differences: DIFFERENCES FROM INOTIFY-TOOLS in {program}(1)
",
        version = env!("CARGO_PKG_VERSION")
    )
}

/// The event list both programs print.
pub(crate) const EVENTS: &str = "Events:
\taccess\t\tfile or directory contents were read
\tmodify\t\tfile or directory contents were written
\tattrib\t\tfile or directory attributes changed
\tclose_write\tfile or directory closed, after being opened in
\t           \twritable mode
\tclose_nowrite\tfile or directory closed, after being opened in
\t           \tread-only mode
\tclose\t\tfile or directory closed, regardless of read/write mode
\topen\t\tfile or directory opened
\tmoved_to\tfile or directory moved to watched directory
\tmoved_from\tfile or directory moved from watched directory
\tmove\t\tfile or directory moved to or from watched directory
\tmove_self\t\tA watched file or directory was moved.
\tcreate\t\tfile or directory created within watched directory
\tdelete\t\tfile or directory deleted within watched directory
\tdelete_self\tfile or directory was deleted
\tunmount\t\tfile system containing file or directory unmounted
";

/// `-I`, `-F`, `-S` and `-M` as inotify-tools' `fsnotifywait` lists them
/// (`-M` from its master branch).
const BACKEND_OPTIONS: &str = "\t-I|--inotify\tWatch with inotify.
\t-F|--fanotify\tWatch with fanotify.
\t-S|--filesystem\tWatch entire filesystem with fanotify.
\t-M|--mount\tWatch entire mount with fanotify.
";

/// Where the backend options go: among inotify-tools' options for the
/// `fsnotify*` programs (which have them), among our additions for the
/// `inotify*` ones (whose 3.22 `--help` does not list them).
fn backend_lines(fsnotify: bool) -> (&'static str, &'static str) {
    if fsnotify {
        (BACKEND_OPTIONS, "")
    } else {
        ("", BACKEND_OPTIONS)
    }
}

/// `inotifywait --help`, or `fsnotifywait`'s in an `fsnotify*` process
/// (see [`crate::program`]).
pub fn wait_help() -> String {
    wait_help_for(crate::program::is_fsnotify())
}

/// `fsnotifywait --help` when `fsnotify`, else `inotifywait --help`.
pub fn wait_help_for(fsnotify: bool) -> String {
    let (backends, beyond_backends) = backend_lines(fsnotify);
    let name = if fsnotify {
        "fsnotifywait"
    } else {
        "inotifywait"
    };
    format!(
        "{name} {version}
Wait for a particular event on a file or set of files.
Usage: {name} [ options ] file1 [ file2 ] [ file3 ] [ ... ]
Options:
\t-h|--help     \tShow this help text.
\t@<file>       \tExclude the specified file from being watched.
\t--exclude <pattern>
\t              \tExclude all events on files matching the
\t              \textended regular expression <pattern>.
\t              \tOnly the last --exclude option will be
\t              \ttaken into consideration.
\t--excludei <pattern>
\t              \tLike --exclude but case insensitive.
\t--include <pattern>
\t              \tExclude all events on files except the ones
\t              \tmatching the extended regular expression
\t              \t<pattern>.
\t--includei <pattern>
\t              \tLike --include but case insensitive.
\t-m|--monitor  \tKeep listening for events forever or until --timeout expires.
\t              \tWithout this option, {name} will exit after one event is received.
\t-d|--daemon   \tSame as --monitor, except run in the background
\t              \tlogging events to a file specified by --outfile.
\t              \tImplies --syslog.
\t-P|--no-dereference
\t              \tDo not follow symlinks.
\t-r|--recursive\tWatch directories recursively.
{backends}\t--fromfile <file>
\t              \tRead files to watch from <file> or `-' for stdin.
\t-o|--outfile <file>
\t              \tPrint events to <file> rather than stdout.
\t-s|--syslog   \tSend errors to syslog rather than stderr.
\t-q|--quiet    \tPrint less (only print events).
\t-qq           \tPrint nothing (not even events).
\t--format <fmt>\tPrint using a specified printf-like format
\t              \tstring: %w watched path, %f file name, %e events
\t              \t(%Xe: separated by X), %c cookie, %T time,
\t              \t%0 NUL, %n newline, %% a percent sign.
\t--no-newline  \tDon't print newline symbol after
\t              \t--format string.
\t--timefmt <fmt>\tstrftime-compatible format string for use with
\t              \t%T in --format string.
\t-c|--csv      \tPrint events in CSV format.
\t-t|--timeout <seconds>
\t              \tWhen listening for a single event, time out after
\t              \twaiting for an event for <seconds> seconds.
\t              \tIf <seconds> is zero, {name} will never time out.
\t-e|--event <event1> [ -e|--event <event2> ... ]
\t\tListen for specific event(s).  If omitted, all events are 
\t\tlistened for.

Beyond inotify-tools {FOLLOWS} (see DIFFERENCES FROM INOTIFY-TOOLS in {name}(1)):
\t--version     \tPrint the version and the inotify-tools release followed.
{beyond_backends}\t--json        \tPrint one JSON object per event: time, watched, name,
\t              \tpath, events, cookie, dir, src (paired rename),
\t              \tsynthetic. Bytes of names that are not UTF-8 are
\t              \twritten as \\udcXX (Python's surrogateescape).
\t--exec <cmd>  \tRun <cmd> for each event, without a shell; the event
\t              \tis in INOTIFY_WATCHED, INOTIFY_FILENAME, INOTIFY_PATH,
\t              \tINOTIFY_EVENTS, INOTIFY_COOKIE, INOTIFY_DIR, INOTIFY_SRC.
\t--exec-shell  \tRun the --exec command with /bin/sh -c.
\t--ready       \tWrite a line READY to the output (stdout or --outfile)
\t              \tonce the watches are established.
\t--rescan      \tAfter a queue overflow, rescan the watched trees and
\t              \treport what changed (overflows are always reported).
\t--settle <ms> \tPrint what changed once it has settled: after <ms>
\t              \tmilliseconds without an event, one line per path
\t              \t(CREATE, DELETE, MODIFY, or MOVED_TO with its src),
\t              \ttemporary files left out; --json adds replaced and
\t              \tbatch; --exec runs once per batch, the batch on its
\t              \tstdin as JSON lines.
\t--settle-max <ms>
\t              \tWith --settle, print a batch at least every <ms>
\t              \tmilliseconds while events keep coming (default 1000).
{rules}\t-v|--verbose  \tDiagnostics on stderr (also RUST_LOG).
\tWith -r, the contents of new directories are reported and
\trenames are paired (see %c and src).

Exit status:
\t0  -  An event you asked to watch for was received.
\t1  -  An event you did not ask to watch for was received
\t      (usually delete_self or unmount), or some error occurred.
\t2  -  The --timeout option was given and no events occurred
\t      in the specified interval of time.

{EVENTS}",
        version = env!("CARGO_PKG_VERSION"),
        rules = crate::args::RULES_HELP,
    )
}

/// `inotifywatch --help`, or `fsnotifywatch`'s in an `fsnotify*` process.
pub fn watch_help() -> String {
    watch_help_for(crate::program::is_fsnotify())
}

/// `fsnotifywatch --help` when `fsnotify`, else `inotifywatch --help`.
pub fn watch_help_for(fsnotify: bool) -> String {
    let (backends, beyond_backends) = backend_lines(fsnotify);
    let name = if fsnotify {
        "fsnotifywatch"
    } else {
        "inotifywatch"
    };
    format!(
        "{name} {version}
Gather filesystem usage statistics using {using}.
Usage: {name} [ options ] file1 [ file2 ] [ ... ]
Options:
\t-h|--help    \tShow this help text.
\t-v|--verbose \tBe verbose.
\t@<file>       \tExclude the specified file from being watched.
\t--fromfile <file>
\t\tRead files to watch from <file> or `-' for stdin.
\t--exclude <pattern>
\t\tExclude all events on files matching the extended regular
\t\texpression <pattern>.
\t--excludei <pattern>
\t\tLike --exclude but case insensitive.
\t--include <pattern>
\t\tExclude all events on files except the ones
\t\tmatching the extended regular expression
\t\t<pattern>.
\t--includei <pattern>
\t\tLike --include but case insensitive.
\t-z|--zero
\t\tIn the final table of results, output rows and columns even
\t\tif they consist only of zeros (the default is to not output
\t\tthese rows and columns).
\t-r|--recursive\tWatch directories recursively.
{backends}\t-P|--no-dereference
\t\tDo not follow symlinks.
\t-t|--timeout <seconds>
\t\tListen only for specified amount of time in seconds; if
\t\tomitted or zero, {name} will execute until receiving an
\t\tinterrupt signal.
\t-e|--event <event1> [ -e|--event <event2> ... ]
\t\tListen for specific event(s).  If omitted, all events are 
\t\tlistened for.
\t-a|--ascending <event>
\t\tSort ascending by a particular event, or `total'.
\t-d|--descending <event>
\t\tSort descending by a particular event, or `total'.

Beyond inotify-tools {FOLLOWS} (see DIFFERENCES FROM INOTIFY-TOOLS in {name}(1)):
\t--version    \tPrint the version and the inotify-tools release followed.
{beyond_backends}{rules}\tWith -r, what appears in a new directory before its watch is
\tcounted too; a queue overflow is reported.

Exit status:
\t0  -  Exited normally.
\t1  -  Some error occurred.

{EVENTS}",
        version = env!("CARGO_PKG_VERSION"),
        rules = crate::args::RULES_HELP,
        using = if fsnotify { "fsnotifywatch" } else { "inotify" },
    )
}
