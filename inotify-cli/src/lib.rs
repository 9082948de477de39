//! `inotifywait` and `inotifywatch`, drop-in replacements for
//! inotify-tools' programs, built on `inotify-notify`.
//!
//! The binaries in `src/bin/` only call [`wait::main`] and
//! [`watch::main`]; everything else lives here so it can be unit tested:
//!
//! - [`args`]: command lines with inotifywait's syntax and messages.
//! - [`events`]: event names (`-e` lists, `CLOSE_WRITE,CLOSE`).
//! - [`format`](mod@format): the default line, `--csv`, `--format`, `--json`.
//! - [`timefmt`]: `--timefmt` (strftime) and JSON time stamps.
//! - [`filter`]: `--exclude/--include` regexes and `@path`.
//! - [`source`]: watches and the notifier thread (the library).
//! - [`output`]: stdout/outfile with EPIPE handling, stderr/syslog.
//! - [`exec`](mod@exec): `--exec`.
//! - [`settle`]: `--settle` (settled changes instead of events).
//! - [`stats_table`]: inotifywatch's table.
//! - [`help`]: the `--help` and `--version` texts.
//! - [`manual`]: the documented clap `Command`s and man page sections that
//!   `cargo xtask dist` turns into man pages and shell completions.
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod args;
pub mod events;
pub mod exec;
pub mod filter;
pub mod format;
pub mod help;
pub mod manual;
pub mod output;
pub mod rules;
pub mod settle;
pub mod source;
pub mod stats_table;
pub mod timefmt;
pub mod wait;
pub mod watch;

/// Sets up `log` output on stderr: `RUST_LOG` if set, else warnings, or
/// info/debug with `-v`/`-vv`.
pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let env = env_logger::Env::default().default_filter_or(level);
    // A second initialisation (tests calling main twice) is harmless.
    let _ = env_logger::Builder::from_env(env).try_init();
}
