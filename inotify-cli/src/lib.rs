//! `inotifywait` and `inotifywatch`, drop-in replacements for
//! inotify-tools' programs, built on `inotify-notify`.
//!
//! This crate is the two programs; its library exists for their binaries
//! and for `cargo xtask dist`, so it makes public only what those need:
//! [`inotifywait`] and [`inotifywatch`] (each binary in `src/bin/` is one
//! call), and the [`manual`] (the documented clap `Command`s, man page
//! sections and `--help` texts the man pages and shell completions are
//! generated from). Everything else is private, unit tested in place:
//!
//! - `args`: command lines with inotifywait's syntax and messages.
//! - `events`: the `-e` selection, its watch mask, inotify-tools' names
//!   (`close_write` in, `CLOSE_WRITE,CLOSE` out).
//! - `format`: the default line, `--csv`, `--format`, `--json`.
//! - `timefmt`: `--timefmt` (strftime) and JSON time stamps.
//! - `filter`: `--exclude/--include` regexes and `@path`.
//! - `rules`: the ignore rules and the watch-limit report.
//! - `source`: watches and notifiers (the library), the roots' display.
//! - `output`: stdout/outfile with EPIPE handling, stderr/syslog.
//! - `program`: `inotify*` or `fsnotify*` (names, default backend).
//! - `exec`: `--exec`.
//! - `settle`: `--settle` (settled changes instead of events).
//! - `wait`, `watch`: the two programs' main loops.
//! - `stats_table`: inotifywatch's table.
//! - `help`: the `--help` and `--version` texts.
//!
//! Beyond inotify-tools: `--json`, `--exec`, `--rescan`, the contents of
//! new directories reported under `-r` (synthetic events of the library),
//! paired renames (`src` in JSON, `INOTIFY_SRC`), queue overflows always
//! reported on stderr, and a progress line while big trees are set up.
//!
//! # `--json`
//! One object per line:
//! `{"time":"2026-11-22T22:16:23.123456+00:00","watched":"w/","name":"b",
//! "path":"w/b","events":["MOVED_TO"],"cookie":7,"dir":false,"src":"w/a"}`
//! (`name` is `null` for events on the watch itself; `src` only on a
//! paired rename; `"synthetic":true` on events the library generated).
//! Names are bytes: each byte of an invalid UTF-8 sequence is written as
//! `\udcXX`, Python's `surrogateescape`, so `os.fsencode(json.loads(line)
//! ["name"])` gives the exact bytes back; no valid name produces it.
//!
//! # `--exec CMD`
//! Runs `CMD` (split into words, no shell; `--exec-shell` uses
//! `/bin/sh -c`) once per reported event, in order, with `INOTIFY_WATCHED`,
//! `INOTIFY_FILENAME`, `INOTIFY_PATH`, `INOTIFY_EVENTS` (`CREATE,ISDIR`),
//! `INOTIFY_COOKIE`, `INOTIFY_DIR` (`1`/`0`) and, for a paired rename,
//! `INOTIFY_SRC` in its environment.
//!
//! # `--settle MS`
//! Settled changes instead of events ([`inotify_notify::Settler`]): after
//! `MS` milliseconds without an event (at least every `--settle-max`
//! milliseconds), one record per changed path in the chosen style, named
//! `CREATE`, `DELETE`, `MODIFY` or `MOVED_TO` (`src` in JSON); JSON adds
//! `"replaced"` (an editor's save by rename-over, or delete and
//! re-create) and `"batch"`. `--exec` runs once per batch with the batch
//! as JSON lines on its stdin and `INOTIFY_BATCH`, `INOTIFY_CHANGES` set.
//!
//! # `fsnotifywait`, `fsnotifywatch`, `-I`, `-F`, `-S`, `-M`
//! As inotify-tools 4.x (3.22.6's `fsnotify*` programs): the `fsnotify*`
//! binaries watch with fanotify unless `-I/--inotify` is given; both
//! programs of each name take `-I`, `-F/--fanotify` (inode marks) and
//! `-S/--filesystem` (one mark per filesystem, `CAP_SYS_ADMIN`), the last
//! one given winning ([`inotify_notify::Backend`]), and `-M/--mount` (one
//! mark per mount, `CAP_SYS_ADMIN`; inotify-tools master) whose mark
//! reports only `access`, `modify`, `close_write`, `close_nowrite` and `open` (its
//! default events; `-e create` and the others are refused by name). Under fanotify paths
//! are printed absolute and without symbolic links (what the directories'
//! handles resolve to, as inotify-tools prints them), `fsnotifywatch`
//! counts per file, and `-e unmount` is refused with inotify-tools'
//! message and exit code 1 (fanotify has no such event). Differences from
//! 3.22.6's `fsnotify*` programs: with `-S` only events below the given
//! paths are reported, with or without `-r` (3.22.6 reports the whole
//! filesystem); one line per
//! event, in the order they happened, where 3.22.6 prints a record the
//! kernel merged as one line (`MOVED_FROM,CREATE a`); no ` (deleted)`
//! after names and no `[fid=...]` debug lines; with `-r` the contents of
//! new directories are reported as under inotify.
//!
//! # Deliberate differences from inotify-tools 3.22
//! - `--include` under `-r` still watches and descends into directories
//!   whose names do not match (current inotify-tools behaviour).
//! - With `-r -P` a symlinked root is not followed.
//! - Errors are one line (`'abc' is not a valid timeout value. Please
//!   specify a long int value.`); an unreadable `--fromfile` is fatal.
//! - `-d` keeps the working directory (inotifywait changes to `/`, which
//!   breaks relative paths) and accepts an outfile that does not exist yet.
//! - A closed stdout ends the program with `write error: Broken pipe` and
//!   exit code 1 (inotifywait dies of SIGPIPE).
//! - An `-e` list of flags alone (`oneshot`) is refused: the watch would
//!   report nothing (inotifywait waits for ever).
//! - inotifywatch refuses `-d move` and `-d close` as it refuses `-a move`
//!   and `-a close` (3.22 accepts them, then crashes once two watches have
//!   events), and does not count its own listings of new directories.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::ffi::OsString;

mod args;
mod events;
mod exec;
mod filter;
mod format;
mod help;
pub mod manual;
mod output;
mod program;
mod roots;
mod rules;
mod settle;
mod source;
mod stats_table;
mod timefmt;
mod wait;
mod watch;

/// Runs `inotifywait` with `args` (the command line without the program
/// name) and returns its exit code: 0 an event asked for arrived, 1 an
/// error or another event (the watch went away), 2 the `-t` timeout.
///
/// Public for the `inotifywait` binary, which is this one call.
pub fn inotifywait(args: impl IntoIterator<Item = OsString>) -> i32 {
    wait::main(args)
}

/// Runs `inotifywatch` with `args` (the command line without the program
/// name) and returns its exit code (0 once the table is printed, 1 on an
/// error).
///
/// Public for the `inotifywatch` binary, which is this one call.
pub fn inotifywatch(args: impl IntoIterator<Item = OsString>) -> i32 {
    watch::main(args)
}

/// Runs `fsnotifywait`: `inotifywait` watching with fanotify unless `-I`
/// is given, under its own name in messages and `--help` (inotify-tools
/// 4.x's program). Returns the exit code as [`inotifywait`] does.
///
/// Public for the `fsnotifywait` binary, which is this one call.
pub fn fsnotifywait(args: impl IntoIterator<Item = OsString>) -> i32 {
    program::set_fsnotify();
    wait::main(args)
}

/// Runs `fsnotifywatch`: `inotifywatch` on fanotify unless `-I` is given.
///
/// Public for the `fsnotifywatch` binary, which is this one call.
pub fn fsnotifywatch(args: impl IntoIterator<Item = OsString>) -> i32 {
    program::set_fsnotify();
    watch::main(args)
}

/// Sets up `log` output on stderr: `RUST_LOG` if set, else warnings, or
/// info/debug with `-v`/`-vv`.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let env = env_logger::Env::default().default_filter_or(level);
    // A second initialisation (tests calling main twice) is harmless.
    let _ = env_logger::Builder::from_env(env).try_init();
}
