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
//! - [`stats_table`]: inotifywatch's table.
//!
//! Beyond inotify-tools: `--json`, `--exec`, `--rescan`, the contents of
//! new directories reported under `-r` (synthetic events of the library),
//! paired renames (`src` in JSON, `INOTIFY_SRC`), queue overflows always
//! reported on stderr, and a progress line while big trees are set up.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod args;
pub mod events;
pub mod exec;
pub mod filter;
pub mod format;
pub mod help;
pub mod output;
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
