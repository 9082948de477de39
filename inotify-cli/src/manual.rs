//! The manual: `inotifywait`'s and `inotifywatch`'s clap [`Command`]s with
//! their documentation attached, for man pages and shell completions
//! (`cargo xtask dist` renders them with `clap_mangen` and `clap_complete`).
//! Public, as the namespace of what that generator (the one crate that
//! depends on this one, so the published programs carry no generator)
//! needs: the commands, the [`Section`]s and the `--help` texts.
//!
//! Nothing here is written twice. The options are the parser's own
//! `Command` (of the private `args` module); each option's description
//! and value name are read from the `--help` text ([`wait_help`],
//! [`watch_help`]) and the event names from its event list. An option added to the parser shows up in the man
//! page and the completions by itself; one that `--help` does not describe
//! fails this module's tests. What `--help` is too short for (formats,
//! exit status, the differences from inotify-tools) is in [`Section`]s.

use std::collections::HashMap;

use clap::builder::PossibleValuesParser;
use clap::{Arg, Command, ValueHint};

mod sections;

pub use sections::{Section, fs_wait_sections, fs_watch_sections, wait_sections, watch_sections};

/// `inotifywait --help`'s text, which the man page's option descriptions
/// are read from; public so `cargo xtask dist`'s tests can check the page
/// and the completions against it.
///
/// ```
/// assert!(inotify_cli::manual::wait_help().contains("--monitor"));
/// ```
pub fn wait_help() -> String {
    crate::help::wait_help()
}

/// `inotifywatch --help`'s text, as [`wait_help`] is for `inotifywait`.
///
/// ```
/// assert!(inotify_cli::manual::watch_help().contains("--zero"));
/// ```
pub fn watch_help() -> String {
    crate::help::watch_help()
}

/// `fsnotifywait --help`'s text, as [`wait_help`] is for `inotifywait`.
///
/// ```
/// assert!(inotify_cli::manual::fs_wait_help().contains("fsnotifywait"));
/// ```
pub fn fs_wait_help() -> String {
    crate::help::wait_help_for(true)
}

/// `fsnotifywatch --help`'s text, as [`wait_help`] is for `inotifywait`.
///
/// ```
/// assert!(inotify_cli::manual::fs_watch_help().contains("fsnotifywatch"));
/// ```
pub fn fs_watch_help() -> String {
    crate::help::watch_help_for(true)
}

/// `inotifywait`'s documented command line: the `Command` its parser uses,
/// with `--help`'s descriptions, value names and event names attached.
///
/// Public for generating documentation (`cargo xtask dist`: man page,
/// completions); parsing goes through the private `args` module, which
/// keeps inotifywait's messages.
///
/// ```
/// let cmd = inotify_cli::manual::wait_command();
/// let event = cmd.get_arguments().find(|a| a.get_long() == Some("event")).unwrap();
/// assert!(event.get_help().is_some());
/// ```
pub fn wait_command() -> Command {
    document(
        crate::args::wait_command(),
        &crate::help::wait_help(),
        "wait for changes to files using inotify",
        "inotifywait waits for changes to files and directories using Linux's inotify(7) \
         interface, and prints them. It suits shell scripts: it either exits after the \
         first event, or with --monitor prints events as they occur.

This is the inotify toolkit's inotifywait. It follows inotify-tools' inotifywait, \
         release 3.22: the same options, messages, output formats and exit status, \
         compared line for line in the test suite. What it adds and where it differs on \
         purpose is listed under DIFFERENCES FROM INOTIFY-TOOLS.",
    )
}

/// `inotifywatch`'s documented command line, as [`wait_command`] is for
/// `inotifywait` (public for `cargo xtask dist` too).
///
/// ```
/// let cmd = inotify_cli::manual::watch_command();
/// assert_eq!(cmd.get_name(), "inotifywatch");
/// ```
pub fn watch_command() -> Command {
    document(
        crate::args::watch_command(),
        &crate::help::watch_help(),
        "gather filesystem access statistics using inotify",
        "inotifywatch listens for filesystem events using Linux's inotify(7) interface, \
         counts them per watched file or directory and, at the end (the --timeout, or \
         SIGINT, SIGTERM or SIGHUP), prints a table of the counts. SIGUSR1 prints the \
         table so far and goes on.

This is the inotify toolkit's inotifywatch. It follows inotify-tools' inotifywatch, \
         release 3.22; see DIFFERENCES FROM INOTIFY-TOOLS.",
    )
}

/// `fsnotifywait`'s documented command line: inotifywait's, on fanotify
/// by default (`-I` for inotify), as inotify-tools 4.x names it.
///
/// ```
/// let cmd = inotify_cli::manual::fs_wait_command();
/// assert_eq!(cmd.get_name(), "fsnotifywait");
/// ```
pub fn fs_wait_command() -> Command {
    document(
        crate::args::wait_command().name("fsnotifywait"),
        &crate::help::wait_help_for(true),
        "wait for changes to files using fanotify",
        "fsnotifywait is inotifywait(1) watching with Linux's fanotify(7) interface by \
         default: inode marks, one per watched directory, on fanotify's own budget \
         (max_user_marks), or with --filesystem one mark for a whole filesystem \
         (CAP_SYS_ADMIN, no walk of the tree), or with --mount one mark for a whole \
         mount (CAP_SYS_ADMIN; only access, modify, close_write, close_nowrite and \
         open, its default events). --inotify switches back to inotify. \
         Everything else is inotifywait's; paths are printed as their directories' \
         handles resolve, absolute and without symbolic links, as inotify-tools 4.x \
         prints them. fanotify cannot report unmount: -e unmount is refused.",
    )
}

/// `fsnotifywatch`'s documented command line, as [`fs_wait_command`] is
/// for `fsnotifywait`.
///
/// ```
/// let cmd = inotify_cli::manual::fs_watch_command();
/// assert_eq!(cmd.get_name(), "fsnotifywatch");
/// ```
pub fn fs_watch_command() -> Command {
    document(
        crate::args::watch_command().name("fsnotifywatch"),
        &crate::help::watch_help_for(true),
        "gather filesystem access statistics using fanotify",
        "fsnotifywatch is inotifywatch(1) listening with Linux's fanotify(7) interface by \
         default (--filesystem: one mark for a whole filesystem; --mount: one mark for \
         a whole mount, file access events only; --inotify: inotify), \
         counting events per file rather than per watched directory, as inotify-tools \
         4.x does.",
    )
}

/// One entry of a `--help` option list: how it is spelled
/// (`-o|--outfile <file>`) and what it does.
#[derive(Debug)]
struct HelpEntry<'a> {
    spec: &'a str,
    text: String,
}

/// The entries between `Options:` and `Exit status:` of a `--help` text.
///
/// An entry starts on a line `\t-...` or `\t@...`: its spelling, then a tab
/// and the first words of its text. Lines `\t<blanks>\t...` continue it;
/// any other line (a heading, a note) ends it.
fn help_entries(help: &str) -> Vec<HelpEntry<'_>> {
    let mut entries: Vec<HelpEntry<'_>> = Vec::new();
    let mut open = false;
    let options = help
        .lines()
        .skip_while(|line| *line != "Options:")
        .skip(1)
        .take_while(|line| !line.starts_with("Exit status:"));
    for line in options {
        let Some(rest) = line.strip_prefix('\t') else {
            open = false;
            continue;
        };
        if rest.starts_with([' ', '\t']) {
            if let Some(entry) = entries.last_mut().filter(|_| open) {
                push_words(&mut entry.text, rest);
            }
        } else if rest.starts_with(['-', '@']) {
            let (spec, first) = rest.split_once('\t').unwrap_or((rest, ""));
            let mut text = String::new();
            push_words(&mut text, first);
            entries.push(HelpEntry {
                spec: spec.trim_end(),
                text,
            });
            open = true;
        } else {
            open = false;
        }
    }
    entries
}

fn push_words(text: &mut String, line: &str) {
    let line = line.trim();
    if !line.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line);
    }
}

/// The `(name, description)` pairs of the `Events:` list of [`crate::help`].
pub(crate) fn event_list() -> Vec<(&'static str, String)> {
    let mut events: Vec<(&'static str, String)> = Vec::new();
    for line in crate::help::EVENTS.lines().skip(1) {
        let rest = line.trim_start_matches('\t');
        let (name, text) = rest.split_once('\t').unwrap_or((rest, ""));
        match events.last_mut() {
            Some((_, last)) if name.trim().is_empty() => push_words(last, text),
            _ => {
                let mut description = String::new();
                push_words(&mut description, text);
                events.push((name.trim(), description));
            }
        }
    }
    events
}

/// What an entry documents: the option's long name, or for `-qq` its
/// short letter, or for `@<file>` the operands.
fn entry_target(cmd: &Command, spec: &str) -> Option<String> {
    let arg = if let Some(long) = spec
        .split([' ', '|'])
        .find_map(|word| word.strip_prefix("--"))
    {
        cmd.get_arguments().find(|a| a.get_long() == Some(long))
    } else if spec.starts_with('@') {
        cmd.get_positionals().next()
    } else {
        let letter = spec.strip_prefix('-')?.chars().next()?;
        cmd.get_arguments().find(|a| a.get_short() == Some(letter))
    }?;
    Some(arg.get_id().as_str().to_owned())
}

/// `<seconds>` of `-t|--timeout <seconds>`; `event1` loses its digit.
fn value_name(spec: &str) -> Option<String> {
    let start = spec.find('<')? + 1;
    let len = spec[start..].find('>')?;
    Some(
        spec[start..start + len]
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_owned(),
    )
}

/// Attaches `help`'s descriptions to `cmd`'s arguments, plus value hints
/// and event names for the completions.
fn document(cmd: Command, help: &str, about: &'static str, long_about: &'static str) -> Command {
    let mut texts: HashMap<String, (Vec<String>, Option<String>)> = HashMap::new();
    for entry in help_entries(help) {
        let Some(id) = entry_target(&cmd, entry.spec) else {
            continue;
        };
        let slot = texts.entry(id).or_default();
        // `-qq` and `@<file>` are spelled without the option they extend.
        let is_extension = !entry.spec.contains("--");
        if is_extension {
            slot.0.push(format!("{}: {}", entry.spec, entry.text));
        } else {
            slot.0.insert(0, entry.text);
            slot.1 = value_name(entry.spec);
        }
    }
    let events: Vec<&'static str> = event_list().into_iter().map(|(name, _)| name).collect();
    let sort_keys: Vec<&'static str> = std::iter::once("total")
        .chain(
            events
                .iter()
                .copied()
                .filter(|e| !matches!(*e, "close" | "move")),
        )
        .collect();
    let mut cmd = cmd
        .about(about)
        .long_about(long_about)
        .version(env!("CARGO_PKG_VERSION"));
    // The synopsis is --help's `Usage:` line; OPTIONS has every option.
    if let Some(usage) = help.lines().find_map(|l| l.strip_prefix("Usage: ")) {
        cmd = cmd.override_usage(usage.to_owned());
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().as_str().to_owned())
        .collect();
    for id in ids {
        let (lines, value) = texts.remove(&id).unwrap_or_default();
        let events = events.clone();
        let sort_keys = sort_keys.clone();
        cmd = cmd.mut_arg(&id, |mut arg: Arg| {
            if !lines.is_empty() {
                arg = arg.help(lines.join(" "));
            }
            if let Some(value) = value {
                arg = arg.value_name(value);
            }
            match id.as_str() {
                // Accepted only to say it no longer exists; not an option.
                "filename" => arg.hide(true),
                "paths" => arg
                    .value_name("file")
                    .value_hint(ValueHint::AnyPath)
                    .help(format!("A file or directory to watch. {}", lines.join(" "))),
                "fromfile" | "outfile" => arg.value_hint(ValueHint::FilePath),
                "exec" => arg.value_hint(ValueHint::CommandString),
                // For the completions; the man page lists them under EVENTS.
                "event" => arg
                    .value_parser(PossibleValuesParser::new(events))
                    .hide_possible_values(true),
                "ascending" | "descending" => arg
                    .value_parser(PossibleValuesParser::new(sort_keys))
                    .hide_possible_values(true),
                _ => arg,
            }
        });
    }
    cmd
}

#[cfg(test)]
mod tests;
