//! The `inotifywatch` program: watches, counts events per watch until the
//! timeout or SIGINT/SIGTERM/SIGHUP (SIGUSR1 prints the table so far),
//! then prints inotify-tools' table.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, after, never, select};
use inotify_notify::{Backend, EventMask, WatchManager};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use signal_hook::iterator::Signals;

use crate::args::{self, Parsed, WatchArgs};
use crate::filter::normalize;
use crate::output::{strerror, to_stderr};
use crate::source::{self, DisplayCache, SetupOptions};
use crate::stats_table::Stats;
use crate::wait::{EXIT_FAILURE, EXIT_SUCCESS, prepare};

/// Runs inotifywatch with `args` (without the program name); returns the
/// exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let parsed = match args::parse_watch(args) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Help) => {
            crate::output::print_stdout(&crate::help::watch_help());
            return EXIT_FAILURE;
        }
        Ok(Parsed::Version) => {
            return if crate::output::print_stdout(&crate::help::version(
                crate::program::watch_name(),
            )) {
                EXIT_SUCCESS
            } else {
                EXIT_FAILURE
            };
        }
        Err(err) => {
            to_stderr(&err.0);
            return EXIT_FAILURE;
        }
    };
    crate::init_logging(parsed.common.verbose.saturating_sub(1));
    match run(&parsed) {
        Ok(code) => code,
        Err(msg) => {
            to_stderr(&msg);
            EXIT_FAILURE
        }
    }
}

/// Forwards the signals we stop on (and SIGUSR1) to a channel.
fn signal_channel() -> Result<Receiver<i32>, String> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP, SIGUSR1])
        .map_err(|err| format!("Couldn't install signal handlers: {}", strerror(&err)))?;
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("inotifywatch-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if tx.send(sig).is_err() {
                    break;
                }
            }
        })
        .map_err(|err| format!("Couldn't start the signal thread: {}", strerror(&err)))?;
    Ok(rx)
}

/// The watches in the order inotify-tools creates them, which is its tie
/// order in the table: roots as given, and under `-r` each tree in
/// post-order (children first, in directory order, then the directory).
///
/// The order comes from the watch table alone. Listing the directories
/// again here would queue `OPEN`, `ACCESS` and `CLOSE_NOWRITE` on watches that are
/// already counting, and inflate the table with our own reads. The
/// library's walk adds a directory's subdirectories in directory order, so
/// among siblings the smaller descriptor is the earlier entry.
fn setup_order(roots: &[PathBuf], wm: &WatchManager, recursive: bool) -> Vec<PathBuf> {
    fn post_order(
        dir: &Path,
        children: &HashMap<&Path, Vec<&Path>>,
        seen: &mut HashSet<PathBuf>,
        out: &mut Vec<PathBuf>,
    ) {
        if !seen.insert(dir.to_path_buf()) {
            return;
        }
        for child in children.get(dir).into_iter().flatten() {
            post_order(child, children, seen, out);
        }
        out.push(dir.to_path_buf());
    }
    let mut by_wd = wm.watches();
    by_wd.sort_by_key(|w| w.wd);
    let watched: HashSet<&Path> = by_wd.iter().map(|w| w.path.as_path()).collect();
    let mut children: HashMap<&Path, Vec<&Path>> = HashMap::new();
    for w in &by_wd {
        if let Some(parent) = w.path.parent().filter(|p| watched.contains(p)) {
            children.entry(parent).or_default().push(&w.path);
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for root in roots {
        let root = normalize(root);
        if recursive {
            if watched.contains(root.as_path()) {
                post_order(&root, &children, &mut seen, &mut out);
            }
        } else if watched.contains(root.as_path()) && seen.insert(root.clone()) {
            out.push(root);
        }
    }
    // Anything not below a root (a directory renamed meanwhile) comes last,
    // in descriptor order.
    for w in &by_wd {
        if seen.insert(w.path.clone()) {
            out.push(w.path.clone());
        }
    }
    out
}

fn print_table(stats: &Stats, a: &WatchArgs) -> Result<(), String> {
    let Some(table) = stats.table(a.common.watch_events(), a.zero, a.sort) else {
        to_stderr("No events occurred.");
        return Ok(());
    };
    let mut out = std::io::stdout().lock();
    out.write_all(table.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|err| {
            format!(
                "{}: write error: {}",
                crate::program::watch_name(),
                strerror(&err)
            )
        })
}

fn run(a: &WatchArgs) -> Result<i32, String> {
    let (filter, paths) = prepare(&a.common)?;
    let verbose = a.common.verbose > 0;
    let opts = SetupOptions {
        events: a.common.watch_events(),
        recursive: a.common.recursive,
        no_dereference: a.common.no_dereference,
        rescan: false,
        filter: Arc::clone(&filter),
        progress: a.common.recursive,
        failed: "Failed to watch",
        rules: a.common.rules.clone(),
        backend: a.common.backend,
    };
    let announce = || {
        to_stderr("Establishing watches...");
        let scope = match a.common.backend {
            Backend::Filesystem => Some("filesystem"),
            Backend::Mount => Some("mount"),
            _ => None,
        };
        if let Some(scope) = scope {
            for path in &paths {
                to_stderr(&format!("Setting up {scope} watch on {}", path.display()));
            }
        }
        if a.common.recursive && verbose {
            for path in &paths {
                to_stderr(&format!("Setting up watch(es) on {}", path.display()));
            }
        }
    };
    let mut src = source::setup(&paths, &opts, announce)?;
    if a.common.recursive && verbose {
        for path in &paths {
            to_stderr(&format!("OK, {} is now being watched.", path.display()));
        }
    }
    let mut stats = Stats::default();
    let per_file = a.common.backend != Backend::Inotify;
    if !per_file {
        for path in setup_order(&paths, &src.wm, a.common.recursive) {
            stats.register(&src.roots.display(&path));
        }
    }
    if verbose {
        to_stderr(&format!("Total of {} watches.", src.wm.num_watches()));
    }
    to_stderr("Finished establishing watches, now collecting statistics.");
    if let Some(t) = a.common.timeout
        && verbose
    {
        to_stderr(&format!("Will listen for events for {t} seconds."));
    }
    let signals = signal_channel()?;
    let mut display = DisplayCache::default();
    let deadline = a
        .common
        .timeout
        .map(|t| Instant::now() + Duration::from_secs(t));
    loop {
        let timer = match deadline {
            Some(d) => after(d.saturating_duration_since(Instant::now())),
            None => never(),
        };
        select! {
            recv(src.rx) -> msg => match msg {
                Ok(Ok(event)) => {
                    if event.mask.contains(EventMask::Q_OVERFLOW) {
                        to_stderr(&format!("{}: event queue overflowed, events were lost; the counts are low", crate::program::watch_name()));
                        continue;
                    }
                    let watch_path = display.display(&src.roots, event.path());
                    let full = || with_name(watch_path, event.name());
                    if !filter.filters_events() || filter.allows_event(&full()) {
                        // fsnotifywatch's rows are files: fanotify has no
                        // watch per directory to count under.
                        if per_file {
                            stats.record(&full(), event.mask);
                        } else {
                            stats.record(watch_path, event.mask);
                        }
                    }
                }
                Ok(Err(err)) => to_stderr(&err.to_string()),
                Err(_) => break,
            },
            recv(signals) -> sig => match sig {
                Ok(SIGUSR1) => {
                    print_table(&stats, a)?;
                    crate::output::print_stdout("\n");
                }
                _ => break,
            },
            recv(timer) -> _ => break,
        }
    }
    src.stop();
    print_table(&stats, a)?;
    Ok(EXIT_SUCCESS)
}

/// A watch's displayed path followed by an event's entry name.
fn with_name(watch_path: &[u8], name: Option<&std::ffi::OsStr>) -> Vec<u8> {
    let mut full = watch_path.to_vec();
    if let Some(name) = name {
        full.extend_from_slice(name.as_bytes());
    }
    full
}
