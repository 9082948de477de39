//! The `inotifywait` program: option checks, watch setup messages, the
//! event loop (print, `--exec`, exit after one event unless `-m`), the
//! inactivity timeout (exit 2), `-d` (re-executes itself in the background
//! with stdout on the outfile) and `-o`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use inotify_notify::{Backend, Event, EventMask, Processed};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;

use crate::args::{self, Output, Parsed, WaitArgs};
use crate::events::EventSelection;
use crate::exec::Exec;
use crate::filter::PathFilter;
use crate::format::{EventRecord, Format, Style};
use crate::output::{Diag, EventSink, strerror, to_stderr};
use crate::source::{self, DisplayCache, SetupOptions};

/// Exit code: an event asked for arrived.
pub const EXIT_SUCCESS: i32 = 0;
/// Exit code: an error, or an event not asked for (the watch went away).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: `-t` passed without an event.
pub const EXIT_TIMEOUT: i32 = 2;

/// Runs inotifywait with `args` (without the program name); returns the
/// exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let parsed = match args::parse_wait(args) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Help) => {
            crate::output::print_stdout(&crate::help::wait_help());
            return EXIT_FAILURE;
        }
        Ok(Parsed::Version) => {
            return if crate::output::print_stdout(
                &crate::help::version(crate::program::wait_name()),
            ) {
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
    crate::init_logging(parsed.common.verbose);
    match run(&parsed) {
        Ok(code) => code,
        Err(msg) => {
            to_stderr(&msg);
            EXIT_FAILURE
        }
    }
}

/// Builds the filter, reads the path list; shared with inotifywatch.
pub(crate) fn prepare(common: &args::Common) -> Result<(Arc<PathFilter>, Vec<PathBuf>), String> {
    for warning in &common.warnings {
        to_stderr(warning);
    }
    let fromfile = match &common.fromfile {
        Some(name) => Some(source::read_fromfile(name)?),
        None => None,
    };
    let (watch, exclude) = args::path_list(fromfile.as_deref(), &common.operands);
    let pattern = common
        .pattern
        .as_ref()
        .map(|(p, mode, ci)| (p.as_str(), *mode, *ci));
    let filter = PathFilter::new(pattern, &exclude).map_err(|bad| {
        log::info!("{} regex: {}", bad.which, bad.detail);
        format!("Error in `{}' regular expression.", bad.which)
    })?;
    if watch.is_empty() {
        return Err("No files specified to watch!".into());
    }
    Ok((Arc::new(filter), watch))
}

/// Starts the background copy of ourselves for `-d` and returns at once;
/// `list` (the `--fromfile -` list, read already) goes to its stdin.
fn daemonize(outfile: &Path, list: Option<Vec<u8>>) -> Result<i32, String> {
    // inotifywait resolves the outfile before leaving; we resolve its
    // directory, so a log file that does not exist yet is fine.
    let absolute = match (outfile.parent(), outfile.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            std::fs::canonicalize(dir)
                .map(|d| d.join(name))
                .map_err(|err| format!("{}: {}", strerror(&err), outfile.display()))?
        }
        _ => outfile.to_path_buf(),
    };
    let log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode_0600()
        .open(&absolute)
        .map_err(|_| format!("Failed to open output file {}", absolute.display()))?;
    let exe = std::env::current_exe().map_err(|err| format!("Failed to daemonize! {err}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(std::env::args_os().skip(1))
        .arg("--daemon-child")
        .stdin(if list.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(log)
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|err| format!("Failed to daemonize! {}", strerror(&err)))?;
    if let (Some(list), Some(mut pipe)) = (list, child.stdin.take()) {
        std::io::Write::write_all(&mut pipe, &list)
            .map_err(|err| format!("Failed to daemonize! {}", strerror(&err)))?;
    }
    Ok(EXIT_SUCCESS)
}

/// `OpenOptions::mode(0o600)` through the Unix extension trait.
trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for std::fs::OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self, 0o600)
    }
}

fn style(output: &Output) -> Style {
    match output {
        Output::Default => Style::Default,
        Output::Csv => Style::Csv,
        Output::Json => Style::Json,
        Output::Format {
            format,
            timefmt,
            no_newline,
        } => Style::Format(Format::parse(format, !no_newline), timefmt.clone()),
    }
}

/// Once the watches are set up: "Watches established.", inotify-tools
/// 4.x's negative `-t` probe under fanotify, the `--ready` line. `Some`
/// exit code when the run ends there.
fn established(a: &WaitArgs, sink: &mut EventSink, diag: &Diag) -> Option<i32> {
    if a.quiet == 0 {
        diag.say("Watches established.");
    }
    if a.common.negative_timeout && a.common.backend != Backend::Inotify {
        // inotify-tools 4.x's probe of fanotify support (its t/ suite runs
        // `fsnotifywait -t -1 PATH`): the watches could be set up, stop
        // there. Under inotify a negative -t means no timeout, as in 3.22.
        to_stderr("Negative timeout specified - abort!");
        return Some(EXIT_FAILURE);
    }
    if a.ready {
        // On the event output, so a script tailing `-o FILE` sees it first.
        if let Err(err) = sink.write(b"READY\n").and_then(|()| sink.flush()) {
            diag.say(&format!("Cannot write to the output: {err}"));
            return Some(EXIT_FAILURE);
        }
    }
    None
}

fn run(a: &WaitArgs) -> Result<i32, String> {
    let outfile = a.outfile.as_deref().map_or(Path::new(""), Path::new);
    if a.daemon
        && !a.daemon_child
        && a.common.fromfile.as_deref() == Some(std::ffi::OsStr::new("-"))
    {
        // `--fromfile -`: inotifywait reads the list before it leaves; the
        // background copy gets it on its stdin, read here first.
        let mut list = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut list)
            .map_err(|err| format!("Couldn't read the file list from stdin: {}", strerror(&err)))?;
        return daemonize(outfile, Some(list));
    }
    let (filter, paths) = prepare(&a.common)?;
    let exec = match &a.exec {
        Some(cmd) => Some(Exec::new(cmd, a.exec_shell)?),
        None => None,
    };
    if a.daemon && !a.daemon_child {
        return daemonize(outfile, None);
    }
    let mut sink = match (&a.outfile, a.daemon_child) {
        (Some(path), false) => EventSink::file(Path::new(path))
            .map_err(|_| format!("Failed to open output file {}", Path::new(path).display()))?,
        _ => EventSink::stdout(),
    };
    let diag = if a.syslog {
        Diag::syslog(crate::program::wait_name())
    } else {
        Diag::stderr()
    };
    let events = a.common.watch_events();
    let opts = SetupOptions {
        events,
        recursive: a.common.recursive,
        no_dereference: a.common.no_dereference,
        rescan: a.rescan,
        filter: Arc::clone(&filter),
        progress: a.quiet == 0 && a.common.recursive,
        failed: match a.common.backend {
            Backend::Filesystem => "Couldn't add filesystem watch",
            Backend::Mount => "Couldn't add mount watch",
            _ => "Couldn't watch",
        },
        rules: a.common.rules.clone(),
        backend: a.common.backend,
    };
    let announce = || {
        if a.quiet == 0 {
            diag.say(if a.common.backend == Backend::Filesystem {
                "Setting up filesystem watches."
            } else if a.common.backend == Backend::Mount {
                "Setting up mount watches."
            } else if a.common.recursive {
                "Setting up watches.  Beware: since -r was given, this may take a while!"
            } else {
                "Setting up watches."
            });
        }
    };
    let mut src = match source::setup_direct(&paths, &opts, announce) {
        Ok(src) => src,
        Err(msg) => {
            diag.say(&msg);
            return Ok(EXIT_FAILURE);
        }
    };
    log::info!("{} watches established", src.wm.num_watches());
    if let Some(code) = established(a, &mut sink, &diag) {
        return Ok(code);
    }
    if let Some((quiet, max)) = a.settle {
        let printer = crate::settle::Printer {
            a,
            filter: &filter,
            style: &style(&a.output),
            exec: exec.as_ref(),
            diag: &diag,
        };
        let options = crate::settle::options(quiet, max);
        return Ok(crate::settle::event_loop(
            &printer, &mut src, &mut sink, options,
        ));
    }
    let code = event_loop(
        a,
        &mut src,
        &filter,
        &style(&a.output),
        exec.as_ref(),
        &mut sink,
        &diag,
    );
    Ok(code)
}

fn event_loop(
    a: &WaitArgs,
    src: &mut source::DirectSource,
    filter: &PathFilter,
    style: &Style,
    exec: Option<&Exec>,
    sink: &mut EventSink,
    diag: &Diag,
) -> i32 {
    let timeout = a.common.timeout.map(Duration::from_secs);
    let mut ctx = EventCtx {
        a,
        filter,
        style,
        exec,
        diag,
        events: a.common.watch_events(),
        display: DisplayCache::default(),
    };
    // -t is a timeout of inactivity: it restarts after every batch.
    let mut deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        // Each event is printed as the round makes it (no batch: a full
        // fanotify queue is ~100k events).
        let mut code = None;
        let mut any = false;
        let ready = src.next_each(wait, &mut |roots, processed| {
            any = true;
            match processed {
                Processed::Error(err) => {
                    diag.say(&err.to_string());
                    true
                }
                Processed::Event { event, .. } => {
                    code = ctx.handle(roots, sink, event);
                    code.is_none()
                }
            }
        });
        match ready {
            Ok(true) => {}
            Ok(false) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return EXIT_TIMEOUT;
                }
                if src.is_stopped() {
                    return EXIT_FAILURE;
                }
                continue;
            }
            Err(err) => {
                diag.say(&format!("{}: {err}", crate::program::wait_name()));
                return EXIT_FAILURE;
            }
        }
        if let Some(code) = code {
            return code;
        }
        if !any {
            continue;
        }
        deadline = timeout.map(|t| Instant::now() + t);
        // The batch is out before the next wait, so a reader sees each
        // event at once while a burst costs one write.
        if let Err(err) = sink.flush() {
            diag.say(&format!(
                "{}: write error: {}",
                crate::program::wait_name(),
                strerror(&err)
            ));
            return EXIT_FAILURE;
        }
    }
}

/// What the event loop needs for one event.
struct EventCtx<'a> {
    a: &'a WaitArgs,
    filter: &'a PathFilter,
    style: &'a Style,
    exec: Option<&'a Exec>,
    diag: &'a Diag,
    /// The events asked for.
    events: EventSelection,
    display: DisplayCache,
}

impl EventCtx<'_> {
    /// Prints `event` and runs `--exec` for it; `Some(code)` ends the
    /// program (a write error, or the first event without `-m`).
    fn handle(
        &mut self,
        roots: &source::Roots,
        sink: &mut EventSink,
        event: &Event,
    ) -> Option<i32> {
        let a = self.a;
        let diag = self.diag;
        if event.mask.contains(EventMask::Q_OVERFLOW) {
            // Always told, even with -qq: events were lost.
            let what = if a.rescan {
                "rescanning the watched trees"
            } else {
                "(use --rescan to recover)"
            };
            let sep = if a.rescan { "; " } else { " " };
            to_stderr(&format!(
                "{}: event queue overflowed, events were lost{sep}{what}",
                crate::program::wait_name()
            ));
        }
        let watched = self.display.display(roots, event.path());
        let name = event.name().map(OsStrExt::as_bytes);
        let src_display = event.src_pathname.as_ref().map(|p| roots.display_full(p));
        let rec = EventRecord {
            watched,
            name,
            mask: event.mask,
            cookie: event.cookie,
            dir: event.dir,
            src: src_display.as_deref(),
            synthetic: event.synthetic,
        };
        if self.filter.filters_events() && !self.filter.allows_event(&rec.filter_path()) {
            return None;
        }
        let wanted = self.events.wants(event.mask);
        if a.quiet < 2
            && wanted
            && let Err(err) = sink.record(|buf| self.style.render(&rec, buf))
        {
            diag.say(&format!(
                "{}: write error: {}",
                crate::program::wait_name(),
                strerror(&err)
            ));
            return Some(EXIT_FAILURE);
        }
        if let Some(exec) = self.exec.filter(|_| wanted) {
            if let Err(err) = sink.flush() {
                diag.say(&format!(
                    "{}: write error: {}",
                    crate::program::wait_name(),
                    strerror(&err)
                ));
                return Some(EXIT_FAILURE);
            }
            match exec.run(&rec) {
                Ok(status) if !status.success() => {
                    log::info!("--exec {} exited with {status}", exec.program());
                }
                Ok(_) => {}
                Err(err) => diag.say(&format!(
                    "{}: cannot run {}: {}",
                    crate::program::wait_name(),
                    exec.program(),
                    strerror(&err)
                )),
            }
        }
        if !a.monitor {
            if let Err(err) = sink.flush() {
                diag.say(&format!(
                    "{}: write error: {}",
                    crate::program::wait_name(),
                    strerror(&err)
                ));
                return Some(EXIT_FAILURE);
            }
            return Some(if wanted { EXIT_SUCCESS } else { EXIT_FAILURE });
        }
        None
    }
}
