//! The event source of both programs: watches set up through
//! `inotify-notify`'s `WatchManager` (recursive, auto-add, exclusions),
//! read either by a `ThreadedNotifier` in channel mode, whose events and
//! errors the main loop receives with a timeout (inotifywatch, which also
//! waits for signals), or on the caller's thread in batches (inotifywait,
//! whose per-event cost matters). How the roots are displayed (the
//! spelling the user gave) is `roots.rs`.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use inotify_notify::channel::Receiver;
use inotify_notify::{
    Backend, Error, ErrorKind, Event, ExcludeFilter, Notifier, NotifierBuilder, Processed,
    ThreadedNotifier, WatchManager, WatchMask, WatchOptions, long_path,
};

use crate::args::WatchRules;
use crate::events::EventSelection;
use crate::filter::PathFilter;
use crate::output::{strerror, to_stderr, to_stderr_raw};
pub use crate::roots::{DisplayCache, Roots};

/// How to set the watches up.
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches"
)]
pub struct SetupOptions {
    /// The events asked for (`-e`, or all events).
    pub events: EventSelection,
    /// `-r`: recursive, new directories watched.
    pub recursive: bool,
    /// `-P`.
    pub no_dereference: bool,
    /// `--rescan`.
    pub rescan: bool,
    /// The event/directory filter.
    pub filter: Arc<PathFilter>,
    /// Show the directory count on stderr while a big tree is set up.
    pub progress: bool,
    /// The start of a watch failure message: inotifywait says "Couldn't
    /// watch", inotifywatch "Failed to watch".
    pub failed: &'static str,
    /// `--gitignore`, `--exclude-dir`, ..., `--continue-on-limit` and
    /// `--fanotify-fallback`.
    pub rules: WatchRules,
    /// `-I`, `-F`, `-S`, `-M` or the program's default.
    pub backend: Backend,
}

/// Running watches and their event channel.
pub struct Source {
    /// The manager (kept for counts and paths).
    pub wm: WatchManager,
    notifier: ThreadedNotifier,
    /// Events and errors (of auto-add, or the one that ended the loop)
    /// from the notifier thread, in order. The channel is bounded: when
    /// it is full the thread waits and stops reading, so the kernel queue
    /// absorbs a burst and an overflow is reported, never silent.
    pub rx: Receiver<Result<Event, Error>>,
    /// The roots' display forms.
    pub roots: Roots,
}

impl Source {
    /// Stops the notifier thread. The receiver is dropped first, so a
    /// send blocked on a full channel fails at once and the thread stops
    /// without waiting for its next stop check.
    pub fn stop(&mut self) {
        drop(std::mem::replace(&mut self.rx, crossbeam_channel::never()));
        if let Err(err) = self.notifier.stop() {
            log::warn!("stopping the notifier: {err}");
        }
    }
}

/// Counts directories met during setup and prints the progress line.
struct Progress {
    count: AtomicUsize,
    active: AtomicBool,
    start: Instant,
    last: Mutex<Option<Instant>>,
    shown: AtomicBool,
    tty: bool,
}

impl Progress {
    /// First shown after this long, then refreshed at most this often.
    const DELAY: Duration = Duration::from_secs(1);
    const EVERY: Duration = Duration::from_millis(250);

    fn new(active: bool, start: Instant) -> Self {
        Progress {
            count: AtomicUsize::new(0),
            active: AtomicBool::new(active),
            start,
            last: Mutex::new(None),
            shown: AtomicBool::new(false),
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// Whether a line is due at `now`: setup has run for [`Self::DELAY`]
    /// and the last line is [`Self::EVERY`] old. Records `now` if so.
    fn due(&self, now: Instant) -> bool {
        if !self.active.load(Ordering::Relaxed) || now.duration_since(self.start) < Self::DELAY {
            return false;
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|t| now.duration_since(t) < Self::EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Counts one directory and prints the line when due.
    fn tick(&self) {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.due(Instant::now()) {
            return;
        }
        self.shown.store(true, Ordering::Relaxed);
        if self.tty {
            to_stderr_raw(&format!("\rSetting up watches: {n} directories so far..."));
        } else {
            to_stderr(&format!("Setting up watches: {n} directories so far..."));
        }
    }

    fn finish(&self) {
        self.active.store(false, Ordering::Relaxed);
        if self.shown.load(Ordering::Relaxed) {
            let n = self.count.load(Ordering::Relaxed);
            let lead = if self.tty { "\r" } else { "" };
            to_stderr(&format!("{lead}Setting up watches: {n} directories, done."));
        }
    }
}

/// The message inotifywait prints when a path cannot be watched.
fn watch_error(failed: &str, given: &Path, err: &Error) -> String {
    let shown = given.display();
    match err.kind() {
        ErrorKind::WatchLimit => format!(
            "Failed to watch {shown}; upper limit on inotify watches reached! Please increase the amount of inotify watches allowed per user via `/proc/sys/fs/inotify/max_user_watches'."
        ),
        _ => match err.io_error() {
            Some(io) => format!("{failed} {shown}: {}", strerror(io)),
            None => format!("{failed} {shown}: {err}"),
        },
    }
}

/// Creates the manager, calls `announce` (inotifywait's "Setting up
/// watches.", printed once inotify is initialised, as it does), watches
/// `paths` and starts the notifier thread. Errors are the one-line
/// messages to print before exiting with 1.
pub fn setup(
    paths: &[PathBuf],
    opts: &SetupOptions,
    announce: impl FnOnce(),
) -> Result<Source, String> {
    let (wm, roots) = watch_paths(paths, opts, announce)?;
    let (mut notifier, rx) = notifier_builder(opts)
        .build_channel_with_errors(&wm, 4096)
        .map_err(|err| format!("Couldn't start the notifier: {err}"))?;
    notifier
        .start()
        .map_err(|err| format!("Couldn't start the notifier: {err}"))?;
    Ok(Source {
        wm,
        notifier,
        rx,
        roots,
    })
}

/// [`setup`] without the thread: the caller reads events on its own thread
/// through [`DirectSource::next_batch`], so no event is cloned or sent
/// across a channel.
pub fn setup_direct(
    paths: &[PathBuf],
    opts: &SetupOptions,
    announce: impl FnOnce(),
) -> Result<DirectSource, String> {
    let (wm, roots) = watch_paths(paths, opts, announce)?;
    // Every event comes out of `next_batch`; the handler is never called.
    let notifier = notifier_builder(opts)
        .build(&wm, |_: &Event| {})
        .map_err(|err| format!("Couldn't start the notifier: {err}"))?
        .into_dyn();
    Ok(DirectSource {
        wm,
        notifier,
        roots,
        handled: Vec::new(),
    })
}

/// The notifier options both programs use.
fn notifier_builder(opts: &SetupOptions) -> NotifierBuilder {
    NotifierBuilder::new().rescan_on_overflow(opts.rescan)
}

/// Running watches read on the caller's thread (inotifywait's loop).
pub struct DirectSource {
    /// The manager (kept for counts and paths).
    pub wm: WatchManager,
    notifier: Notifier,
    /// The roots' display forms.
    pub roots: Roots,
    /// Events of the round being handled, to recycle after it (kept for
    /// its allocation).
    handled: Vec<Event>,
}

impl DirectSource {
    /// Waits at most `timeout` (`None`: without end) for events, then
    /// reads what is queued and appends the bookkeeping's output (events,
    /// synthetic ones included, and errors) to `batch`, in order. Returns
    /// `false` when nothing became ready in time.
    ///
    /// # Errors
    /// A failed `poll(2)` or `read(2)`.
    pub fn next_batch(
        &mut self,
        timeout: Option<Duration>,
        batch: &mut Vec<Processed>,
    ) -> Result<bool, Error> {
        if !self.notifier.check_events(timeout)? {
            return Ok(false);
        }
        self.notifier
            .processor()
            .process_ready(&mut |p| batch.push(p))?;
        Ok(true)
    }

    /// Waits as [`DirectSource::next_batch`] does, then hands each output
    /// of the round to `each` as soon as it is made, with the roots'
    /// display forms; nothing is collected, so a flood of queued events
    /// (a fanotify round holds up to a whole queue, 16k records of six
    /// events each) streams through in the memory of one event, rather
    /// than through a batch of ~100k owned events whose growth cost a third
    /// of a fanotify drain in page faults and copies.
    /// `each` returns `false` to stop: the rest of the round is then
    /// dropped. Up to [`DirectSource::RECYCLED`] handled events are
    /// recycled after the round (the rest are freed as they go, which the
    /// allocator hands straight back to the next event). Returns `false`
    /// when nothing became ready in time.
    ///
    /// # Errors
    /// A failed `poll(2)` or `read(2)`.
    pub fn next_each(
        &mut self,
        timeout: Option<Duration>,
        each: &mut dyn FnMut(&Roots, &Processed) -> bool,
    ) -> Result<bool, Error> {
        if !self.notifier.check_events(timeout)? {
            return Ok(false);
        }
        let roots = &self.roots;
        let mut handled = std::mem::take(&mut self.handled);
        let mut going = true;
        let read = self.notifier.processor().process_ready(&mut |p| {
            if !going {
                return;
            }
            going = each(roots, &p);
            if let Processed::Event { event, .. } = p
                && handled.len() < Self::RECYCLED
            {
                handled.push(event);
            }
        });
        let processor = self.notifier.processor();
        for event in handled.drain(..) {
            processor.recycle(event);
        }
        self.handled = handled;
        read.map(|_| true)
    }

    /// The most events [`DirectSource::next_each`] recycles per round.
    pub const RECYCLED: usize = 1024;

    /// Whether the notifier was stopped (then no wait blocks any more).
    pub fn is_stopped(&self) -> bool {
        self.notifier.stop_handle().is_stopped()
    }
}

/// Creates the manager, calls `announce`, watches `paths` and records how
/// each root is displayed.
fn watch_paths(
    paths: &[PathBuf],
    opts: &SetupOptions,
    announce: impl FnOnce(),
) -> Result<(WatchManager, Roots), String> {
    let wm = WatchManager::with_backend(opts.backend).map_err(|err| {
        let detail = err.io_error().map_or_else(|| err.to_string(), strerror);
        if let Some(message) = crate::program::init_error(opts.backend, &err, paths) {
            message
        } else if matches!(err.kind(), ErrorKind::InstanceLimit) {
            format!(
                "Couldn't initialize inotify: {detail} Try increasing the value of /proc/sys/fs/inotify/max_user_instances"
            )
        } else {
            format!("Couldn't initialize inotify: {detail}")
        }
    })?;
    if opts.rules.fanotify_fallback
        && let Err(err) = wm.enable_fanotify_fallback()
    {
        // Inotify alone, as without the option; the limit report says why.
        log::debug!("{err}");
    }
    announce();
    if let Some(message) =
        crate::program::unsupported(opts.backend, opts.events, opts.failed, paths)
    {
        return Err(message);
    }
    let mut mask = opts.events.watch_mask();
    if opts.no_dereference {
        mask |= WatchMask::DONT_FOLLOW;
    }
    if opts.recursive && opts.rules.count_first {
        let quiet = Arc::new(Progress::new(false, Instant::now()));
        let filter = exclude_filter(paths, &opts.rules, Arc::clone(&opts.filter), quiet)?;
        if let Some(warning) = crate::rules::count_first(paths, &filter) {
            to_stderr(&warning);
        }
    }
    let progress = Arc::new(Progress::new(opts.progress, Instant::now()));
    let filter = Arc::clone(&opts.filter);
    let counter = Arc::clone(&progress);
    // A filesystem mark sees the whole filesystem, and inotify-tools' -S
    // reports events anywhere below the path without -r
    // (t/fsnotifywait-subtree.t): -S is recursive. So is -M, whose mark
    // sees the whole mount (its t/ test reads root/A/B/C/D/test without
    // -r). Neither adds a bit to the mask for recursion (the library asks
    // a mount mark for the user's events only).
    let recursive = opts.recursive || matches!(opts.backend, Backend::Filesystem | Backend::Mount);
    let options = WatchOptions {
        rec: recursive,
        auto_add: recursive,
        quiet: false,
        dont_follow: opts.no_dereference,
        exclude_filter: Some(exclude_filter(paths, &opts.rules, filter, counter)?),
        ..WatchOptions::default()
    };
    let mut roots = Roots::new(recursive);
    // Subtrees the fanotify fallback took so far (told once each).
    let mut fell_back = 0;
    for path in &crate::program::displayed_paths(opts.backend, paths, opts.no_dereference) {
        // The summary: inotifywait never needs pyinotify's map of every
        // watched path, which would cost a path per watch at the peak.
        let result = wm.add_watches_summary([path], mask, &options);
        if let Err(err) = &result
            && crate::rules::is_limit(err)
        {
            // Every watch that landed is kept; say what is not watched
            // and who holds the user's watches.
            let report = wm.limit_report(options.exclude_filter.as_ref());
            let message = format!("{}\n{report}", watch_error(opts.failed, path, err));
            if !opts.rules.continue_on_limit {
                progress.finish();
                return Err(message);
            }
            to_stderr(&message);
        } else if result.is_ok() && wm.fanotify_fallbacks().len() > fell_back {
            // The fallback took everything inotify could not: say so.
            fell_back = wm.fanotify_fallbacks().len();
            let report = wm.limit_report(options.exclude_filter.as_ref());
            to_stderr(&format!(
                "Upper limit on inotify watches reached while watching {}; watching the rest through fanotify.\n{report}",
                path.display()
            ));
        } else if let Err(err) = result {
            progress.finish();
            let mut message = watch_error(opts.failed, path, &err);
            if !mask.has_event_bit() {
                message.push_str(" (no event to watch: flags such as oneshot alone watch nothing)");
            }
            return Err(message);
        }
        // inotifywait adds the slash to a root that lstat() says is a
        // directory, so a symlink to a directory is shown without it; a
        // recursive walk follows a symlinked root (unless -P) and shows it.
        let follow = opts.recursive && !opts.no_dereference;
        let meta = long_path::metadata(path, follow);
        roots.add(path, meta.is_ok_and(|m| m.is_dir()));
    }
    progress.finish();
    Ok((wm, roots))
}

/// The filter of the walks: `-r`'s directory pruning (`@path`,
/// `--exclude`), the progress count, and the ignore rules when some were
/// given (only then is the filter asked about events' names).
fn exclude_filter(
    paths: &[PathBuf],
    rules: &WatchRules,
    filter: Arc<PathFilter>,
    counter: Arc<Progress>,
) -> Result<ExcludeFilter, String> {
    if !rules.any() {
        return Ok(ExcludeFilter::new(move |p: &Path| {
            counter.tick();
            filter.prunes_dir(p)
        }));
    }
    let rules = crate::rules::build(paths, rules)?;
    let reload = rules.clone();
    let errors = rules.clone();
    Ok(ExcludeFilter::for_entries(move |p: &Path, is_dir| {
        if is_dir {
            counter.tick();
            if filter.prunes_dir(p) {
                return true;
            }
        }
        rules.is_ignored(p, is_dir)
    })
    .with_reload(move |dir, name| reload.reload(dir, name))
    // A rule file that does not parse reaches stderr as an error.
    .with_errors(move || errors.take_errors()))
}

/// Reads `--fromfile` (`-` is stdin). The error is inotifywait's message.
pub fn read_fromfile(name: &OsString) -> Result<Vec<u8>, String> {
    use std::io::Read;
    if name.as_bytes() == b"-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|err| format!("Couldn't open -: {}", strerror(&err)))?;
        return Ok(buf);
    }
    std::fs::read(name).map_err(|err| {
        format!(
            "Couldn't open {}: {}",
            Path::new(name).display(),
            strerror(&err)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_waits_a_second_then_throttles() {
        let now = Instant::now();
        let fresh = Progress::new(true, now);
        assert!(!fresh.due(now + Duration::from_millis(500)));
        assert!(fresh.due(now + Duration::from_millis(1100)));
        assert!(!fresh.due(now + Duration::from_millis(1200)));
        assert!(fresh.due(now + Duration::from_millis(1400)));
        let quiet = Progress::new(false, now);
        assert!(!quiet.due(now + Duration::from_secs(5)));
    }
}
