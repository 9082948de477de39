//! Command lines of `inotifywait` and `inotifywatch`, parsed with clap but
//! with inotifywait's spelling, checks, messages and exit codes: `-e`
//! repeatable and comma-separated, `-qq`, `-t` taking negative numbers,
//! long options abbreviated as getopt allows, `@path` operands, one-line
//! errors and exit code 1.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};

use crate::events::EventSelection;
use crate::filter::Mode;
use inotify_notify::Backend;

mod rules;
mod watch;
pub(crate) use rules::HELP as RULES_HELP;
pub use rules::WatchRules;
pub(crate) use watch::watch_command;
pub use watch::{Sort, SortKey, WatchArgs, parse_watch};

/// A fatal command-line problem: print the message (one line) and exit 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

/// What the user asked for: run, or just the help text.
#[derive(Debug)]
pub enum Parsed<T> {
    /// Run with these options.
    Run(T),
    /// `-h/--help` was given: print the help (stdout) and exit 1, as
    /// inotify-tools does.
    Help,
    /// `--version` was given: print [`crate::help::version`] and exit 0.
    Version,
}

/// Options both programs share.
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// The `-e` lists; empty when none was given.
    pub events: EventSelection,
    /// `-r`.
    pub recursive: bool,
    /// `-P`.
    pub no_dereference: bool,
    /// `--fromfile`.
    pub fromfile: Option<OsString>,
    /// The last `--exclude*`/`--include*`: pattern, mode, case-insensitive.
    pub pattern: Option<(String, Mode, bool)>,
    /// Operands (`@path` ones included, as given).
    pub operands: Vec<OsString>,
    /// `-t` in seconds; `None` when absent, zero or negative (no timeout).
    pub timeout: Option<u64>,
    /// `-t` was negative: under fanotify, inotify-tools 4.x's support
    /// probe (set up the watches, then stop with exit code 1).
    pub negative_timeout: bool,
    /// `-v` count.
    pub verbose: u8,
    /// Warnings inotifywait prints but does not stop on.
    pub warnings: Vec<String>,
    /// Ignore rules and the watch-limit policy (our additions).
    pub rules: WatchRules,
    /// `-I`, `-F`, `-S`, `-M` (see [`crate::program`]), else the
    /// program's default.
    pub backend: Backend,
}

impl Common {
    /// The events to report: the `-e` lists, or all events — with `-M`
    /// all a mount mark can report ([`EventSelection::MOUNT`]), as
    /// inotify-tools' default there.
    pub fn watch_events(&self) -> EventSelection {
        if self.backend == Backend::Mount && self.events.is_empty() {
            return EventSelection::MOUNT;
        }
        self.events.or_all()
    }
}

/// How `inotifywait` prints events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// `WATCHED EVENTS NAME`.
    Default,
    /// `-c/--csv`.
    Csv,
    /// `--format FMT` (the `--timefmt` and `--no-newline` options).
    Format {
        /// The format string.
        format: String,
        /// `--timefmt`.
        timefmt: Option<String>,
        /// `--no-newline` was given.
        no_newline: bool,
    },
    /// `--json`.
    Json,
}

/// `inotifywait`'s options.
#[derive(Debug, Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one field per inotifywait switch, each independent"
)]
pub struct WaitArgs {
    /// The shared options.
    pub common: Common,
    /// `-m` (or `-d`).
    pub monitor: bool,
    /// `-d`.
    pub daemon: bool,
    /// `-s` (or `-d`).
    pub syslog: bool,
    /// `-q` count.
    pub quiet: u8,
    /// The output style.
    pub output: Output,
    /// `-o`.
    pub outfile: Option<OsString>,
    /// `--exec CMD`.
    pub exec: Option<String>,
    /// `--exec-shell`: run `--exec` through `/bin/sh -c`.
    pub exec_shell: bool,
    /// `--rescan`: recover from queue overflows by rescanning.
    pub rescan: bool,
    /// `--settle MS` and `--settle-max MS`: print settled changes, one
    /// batch per quiet period (at most the maximum apart).
    pub settle: Option<(Duration, Option<Duration>)>,
    /// Hidden `--daemon-child`: this process is the background copy `-d`
    /// started (stdout already is the outfile).
    pub daemon_child: bool,
    /// `--ready`: write a line `READY` to the output once the watches are
    /// established (a script reading `-o FILE` knows it may start).
    pub ready: bool,
}

fn flag(id: &'static str, short: Option<char>, long: &'static str) -> Arg {
    let arg = Arg::new(id).long(long).action(ArgAction::SetTrue);
    match short {
        Some(c) => arg.short(c),
        None => arg,
    }
}

fn value(id: &'static str, short: Option<char>, long: &'static str) -> Arg {
    let arg = Arg::new(id)
        .long(long)
        .action(ArgAction::Append)
        .num_args(1)
        .allow_hyphen_values(true);
    match short {
        Some(c) => arg.short(c),
        None => arg,
    }
}

/// The arguments both programs accept.
fn common_args(cmd: Command) -> Command {
    rules::rule_args(cmd)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .infer_long_args(true)
        .arg(flag("help", Some('h'), "help"))
        .arg(flag("version", None, "version"))
        .arg(value("event", Some('e'), "event"))
        .arg(value("timeout", Some('t'), "timeout"))
        .arg(
            Arg::new("recursive")
                .short('r')
                .long("recursive")
                .action(ArgAction::Count),
        )
        .arg(flag("no-dereference", Some('P'), "no-dereference"))
        .arg(flag("inotify", Some('I'), "inotify"))
        .arg(flag("fanotify", Some('F'), "fanotify"))
        .arg(flag("filesystem", Some('S'), "filesystem"))
        .arg(flag("mount", Some('M'), "mount"))
        .arg(value("fromfile", None, "fromfile").value_parser(value_parser!(OsString)))
        .arg(value("exclude", None, "exclude"))
        .arg(value("excludei", None, "excludei"))
        .arg(value("include", None, "include"))
        .arg(value("includei", None, "includei"))
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                // getopt reads these as --verbose (inotifywatch has no
                // --version); without the aliases --version makes clap
                // call them ambiguous.
                .aliases(["v", "ve", "ver"])
                .action(ArgAction::Count),
        )
        .arg(
            Arg::new("paths")
                .action(ArgAction::Append)
                .num_args(0..)
                .value_parser(value_parser!(OsString)),
        )
}

/// The `inotifywait` command (for parsing; [`crate::manual`] documents it).
pub(crate) fn wait_command() -> Command {
    common_args(Command::new("inotifywait"))
        .arg(flag("monitor", Some('m'), "monitor"))
        .arg(
            Arg::new("quiet")
                .short('q')
                .long("quiet")
                .action(ArgAction::Count),
        )
        .arg(flag("csv", Some('c'), "csv"))
        .arg(flag("daemon", Some('d'), "daemon"))
        .arg(flag("syslog", Some('s'), "syslog"))
        .arg(flag("filename", Some('f'), "filename"))
        .arg(value("format", None, "format"))
        .arg(value("timefmt", None, "timefmt"))
        .arg(flag("no-newline", None, "no-newline"))
        .arg(value("outfile", Some('o'), "outfile").value_parser(value_parser!(OsString)))
        .arg(flag("json", None, "json"))
        .arg(value("exec", None, "exec"))
        .arg(flag("exec-shell", None, "exec-shell"))
        .arg(flag("rescan", None, "rescan"))
        .arg(value("settle", None, "settle"))
        .arg(value("settle-max", None, "settle-max"))
        .arg(flag("daemon-child", None, "daemon-child").hide(true))
        .arg(flag("ready", None, "ready"))
}

/// Turns a clap error into getopt's one-line message. `last` is the last
/// command-line word, to tell `-t` from `--timeout` when a value is missing.
fn clap_error(prog: &str, err: &clap::Error, cmd: &Command, last: Option<&OsString>) -> UsageError {
    let invalid = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let option_name = |s: &str| s.split([' ', '=']).next().unwrap_or(s).to_owned();
    let msg = match (err.kind(), invalid) {
        (ErrorKind::UnknownArgument, Some(arg)) => {
            let arg = option_name(&arg);
            match arg.strip_prefix("--") {
                Some(_) => format!("{prog}: unrecognized option '{arg}'"),
                None => format!(
                    "{prog}: invalid option -- '{}'",
                    arg.trim_start_matches('-')
                ),
            }
        }
        (ErrorKind::InvalidValue | ErrorKind::NoEquals | ErrorKind::TooFewValues, Some(arg)) => {
            let arg = option_name(&arg);
            let long = arg.trim_start_matches('-');
            let short = cmd
                .get_arguments()
                .find(|a| a.get_long() == Some(long))
                .and_then(Arg::get_short);
            let typed_short = last
                .and_then(|w| w.to_str())
                .is_some_and(|w| w.starts_with('-') && !w.starts_with("--"));
            match short {
                Some(c) if typed_short => {
                    format!("{prog}: option requires an argument -- '{c}'")
                }
                _ => format!("{prog}: option '{arg}' requires an argument"),
            }
        }
        _ => {
            let text = err.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            format!("{prog}: {}", first.trim_start_matches("error: "))
        }
    };
    UsageError(msg)
}

fn strings(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

fn last(m: &ArgMatches, id: &str) -> Option<String> {
    strings(m, id).pop()
}

fn single_os(m: &ArgMatches, id: &str, what: &str) -> Result<Option<OsString>, UsageError> {
    let mut values: Vec<OsString> = m
        .get_many::<OsString>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    if values.len() > 1 {
        return Err(UsageError(format!("Multiple {what} options given.")));
    }
    Ok(values.pop())
}

/// Parses `-t` as C's `strtol` would accept it: optional spaces and sign,
/// digits, nothing after. Zero or negative means no timeout.
pub fn parse_timeout(text: &str) -> Result<Option<u64>, UsageError> {
    timeout_value(text).map(|value| u64::try_from(value).ok().filter(|&v| v > 0))
}

/// The signed value of `-t`, as [`parse_timeout`] accepts it.
fn timeout_value(text: &str) -> Result<i64, UsageError> {
    if text.is_empty() {
        return Err(UsageError(
            "The provided value is not a valid timeout value. Please specify a long int value."
                .into(),
        ));
    }
    text.trim_start().parse().map_err(|_| {
        UsageError(format!(
            "'{text}' is not a valid timeout value. Please specify a long int value."
        ))
    })
}

fn parse_common(m: &ArgMatches) -> Result<Common, UsageError> {
    let mut common = Common::default();
    for list in strings(m, "event") {
        let selection = EventSelection::parse(&list).ok_or_else(|| {
            UsageError(format!(
                "'{list}' is not a valid event!  Run with the '--help' option to see a list of events."
            ))
        })?;
        common.events.add(selection);
    }
    if let Some(t) = last(m, "timeout") {
        common.timeout = parse_timeout(&t)?;
        common.negative_timeout = timeout_value(&t)? < 0;
    }
    common.recursive = m.get_count("recursive") > 0;
    common.no_dereference = m.get_flag("no-dereference");
    common.backend = crate::program::chosen(m)?;
    common.verbose = m.get_count("verbose");
    common.fromfile = single_os(m, "fromfile", "--fromfile")?;
    common.rules = rules::parse_rules(m);
    let exclude = last(m, "exclude");
    let excludei = last(m, "excludei");
    let include = last(m, "include");
    let includei = last(m, "includei");
    if exclude.is_some() && excludei.is_some() {
        return Err(UsageError(
            "--exclude and --excludei cannot both be specified.".into(),
        ));
    }
    if include.is_some() && includei.is_some() {
        return Err(UsageError(
            "--include and --includei cannot both be specified.".into(),
        ));
    }
    if (include.is_some() || includei.is_some()) && (exclude.is_some() || excludei.is_some()) {
        return Err(UsageError(
            "include and exclude regexp cannot both be specified.".into(),
        ));
    }
    for id in ["exclude", "excludei"] {
        if strings(m, id).len() > 1 {
            common.warnings.push(format!(
                "--{id}: only the last option will be taken into consideration."
            ));
        }
    }
    common.pattern = exclude
        .map(|p| (p, Mode::Exclude, false))
        .or(excludei.map(|p| (p, Mode::Exclude, true)))
        .or(include.map(|p| (p, Mode::Include, false)))
        .or(includei.map(|p| (p, Mode::Include, true)));
    common.operands = m
        .get_many::<OsString>("paths")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    Ok(common)
}

/// Parses `inotifywait`'s command line (`args` without the program name).
pub fn parse_wait<I: IntoIterator<Item = OsString>>(
    args: I,
) -> Result<Parsed<WaitArgs>, UsageError> {
    let command_line: Vec<OsString> = std::iter::once(OsString::from(crate::program::wait_name()))
        .chain(args)
        .collect();
    let cmd = wait_command();
    let m = cmd
        .clone()
        .try_get_matches_from(&command_line)
        .map_err(|e| clap_error(crate::program::wait_name(), &e, &cmd, command_line.last()))?;
    if m.get_flag("help") {
        return Ok(Parsed::Help);
    }
    if m.get_flag("version") {
        return Ok(Parsed::Version);
    }
    if m.get_flag("filename") {
        return Err(UsageError(
            "The '--filename' option no longer exists.  The option it enabled in earlier versions of inotifywait is now turned on by default.".into(),
        ));
    }
    let common = parse_common(&m)?;
    let daemon = m.get_flag("daemon");
    let outfile = single_os(&m, "outfile", "--outfile")?;
    let format = last(&m, "format");
    let timefmt = last(&m, "timefmt");
    let csv = m.get_flag("csv");
    let json = m.get_flag("json");
    if format.is_some() && csv {
        return Err(UsageError(
            "-c and --format cannot both be specified.".into(),
        ));
    }
    if json && (csv || format.is_some()) {
        return Err(UsageError(
            "--json cannot be combined with -c or --format.".into(),
        ));
    }
    if format.is_none() && timefmt.is_some() {
        return Err(UsageError(
            "--timefmt cannot be specified without --format.".into(),
        ));
    }
    if format.as_deref().is_some_and(|f| f.contains("%T")) && timefmt.is_none() {
        return Err(UsageError(
            "%T is in --format string, but --timefmt was not specified.".into(),
        ));
    }
    if daemon && outfile.is_none() {
        return Err(UsageError("-o must be specified with -d.".into()));
    }
    let exec_shell = m.get_flag("exec-shell");
    let exec = last(&m, "exec");
    if exec_shell && exec.is_none() {
        return Err(UsageError("--exec-shell needs --exec.".into()));
    }
    let settle = parse_settle(&m)?;
    let output = if csv {
        Output::Csv
    } else if json {
        Output::Json
    } else if let Some(format) = format {
        Output::Format {
            format,
            timefmt,
            no_newline: m.get_flag("no-newline"),
        }
    } else {
        Output::Default
    };
    Ok(Parsed::Run(WaitArgs {
        common,
        monitor: m.get_flag("monitor") || daemon,
        daemon,
        syslog: m.get_flag("syslog") || daemon,
        quiet: m.get_count("quiet"),
        output,
        outfile,
        exec,
        exec_shell,
        rescan: m.get_flag("rescan"),
        settle,
        daemon_child: m.get_flag("daemon-child"),
        ready: m.get_flag("ready"),
    }))
}

/// `--settle MS [--settle-max MS]`: milliseconds, the quiet period above
/// zero.
fn parse_settle(m: &ArgMatches) -> Result<Option<(Duration, Option<Duration>)>, UsageError> {
    let ms = |name: &str| -> Result<Option<Duration>, UsageError> {
        last(m, name)
            .map(|text| {
                text.parse::<u64>().map(Duration::from_millis).map_err(|_| {
                    UsageError(format!(
                        "'{text}' is not a valid --{name} value. Please specify milliseconds."
                    ))
                })
            })
            .transpose()
    };
    let quiet = ms("settle")?;
    let max = ms("settle-max")?;
    match (quiet, max) {
        (None, Some(_)) => Err(UsageError("--settle-max needs --settle.".into())),
        (Some(quiet), _) if quiet.is_zero() => Err(UsageError(
            "--settle needs a quiet period above 0 ms.".into(),
        )),
        (Some(quiet), max) => Ok(Some((quiet, max))),
        (None, None) => Ok(None),
    }
}

/// The watch list: `--fromfile` lines first, then operands; `@`-prefixed
/// entries are exclusions, empty entries and a lone `@` are skipped (as
/// inotifywait's `construct_path_list`). Returns `(watch, exclude)`.
pub fn path_list(fromfile: Option<&[u8]>, operands: &[OsString]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let mut watch = Vec::new();
    let mut exclude = Vec::new();
    let mut take = |entry: &[u8]| {
        if entry.is_empty() || entry == b"@" {
            return;
        }
        match entry.strip_prefix(b"@") {
            Some(rest) => exclude.push(PathBuf::from(OsString::from_vec(rest.to_vec()))),
            None => watch.push(PathBuf::from(OsString::from_vec(entry.to_vec()))),
        }
    };
    if let Some(text) = fromfile {
        for line in text.split(|&b| b == b'\n') {
            take(line);
        }
    }
    for op in operands {
        take(op.as_bytes());
    }
    (watch, exclude)
}

#[cfg(test)]
mod tests;
