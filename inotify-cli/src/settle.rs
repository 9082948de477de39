//! `inotifywait --settle MS`: the library's settling layer between the
//! watches and the printers. Raw events (after `--exclude`/`--include`)
//! feed a [`Settler`]; each closed window prints one record per changed
//! path in the chosen output style, with the event names `CREATE`, `DELETE`,
//! `MODIFY` and `MOVED_TO` (with its `src`), and `--exec` runs once per batch
//! with the batch on its stdin as JSON lines.

use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use inotify_notify::{Batch, Change, ChangeKind, EventMask, Processed, SettleOptions, Settler};

use crate::args::WaitArgs;
use crate::exec::Exec;
use crate::filter::PathFilter;
use crate::format::{EventRecord, Style};
use crate::output::{Diag, EventSink, strerror, to_stderr};
use crate::source::{DirectSource, DisplayCache};
use crate::wait::{EXIT_FAILURE, EXIT_SUCCESS, EXIT_TIMEOUT};

/// The settler's options for `--settle quiet [--settle-max max]`.
pub fn options(quiet: Duration, max: Option<Duration>) -> SettleOptions {
    SettleOptions {
        quiet,
        max_wait: max.unwrap_or(Duration::from_secs(1)).max(quiet),
        ..SettleOptions::default()
    }
}

/// What printing needs.
pub struct Printer<'a> {
    /// The parsed command line.
    pub a: &'a WaitArgs,
    /// `--exclude`/`--include`.
    pub filter: &'a PathFilter,
    /// The output style.
    pub style: &'a Style,
    /// `--exec`.
    pub exec: Option<&'a Exec>,
    /// Diagnostics.
    pub diag: &'a Diag,
}

/// The settled event loop; returns the exit code (0 after the first batch
/// without `-m`, 2 when `-t` passes without one).
pub fn event_loop(
    p: &Printer<'_>,
    src: &mut DirectSource,
    sink: &mut EventSink,
    options: SettleOptions,
) -> i32 {
    let mut settler = Settler::new(options);
    if let Err(err) = settler.prepare(&src.wm) {
        p.diag.say(&format!("inotifywait: {err}"));
        return EXIT_FAILURE;
    }
    let timeout = p.a.common.timeout.map(Duration::from_secs);
    let mut deadline = timeout.map(|t| Instant::now() + t);
    let mut display = DisplayCache::default();
    let mut batch = Vec::new();
    loop {
        if let Some(settled) = settler.poll(Instant::now()) {
            deadline = timeout.map(|t| Instant::now() + t);
            if let Some(code) = print_batch(p, src, sink, &mut display, &settled) {
                return code;
            }
            continue;
        }
        let until = match (settler.next_deadline(), deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let wait = until.map(|u| u.saturating_duration_since(Instant::now()));
        match src.next_batch(wait, &mut batch) {
            Ok(_) => {}
            Err(err) => {
                p.diag.say(&format!("inotifywait: {err}"));
                return EXIT_FAILURE;
            }
        }
        if batch.is_empty() {
            if !settler.is_pending() && deadline.is_some_and(|d| Instant::now() >= d) {
                return EXIT_TIMEOUT;
            }
            if src.is_stopped() {
                return EXIT_FAILURE;
            }
        }
        let now = Instant::now();
        for processed in batch.drain(..) {
            let event = match processed {
                Processed::Error(err) => {
                    p.diag.say(&err.to_string());
                    continue;
                }
                Processed::Event { event, .. } => event,
            };
            if event.mask.contains(EventMask::Q_OVERFLOW) {
                to_stderr(if p.a.rescan {
                    "inotifywait: event queue overflowed, events were lost; rescanning the watched trees"
                } else {
                    "inotifywait: event queue overflowed, events were lost (use --rescan to recover)"
                });
            } else if p.filter.filters_events() {
                let mut path = display.display(&src.roots, event.path()).to_vec();
                if let Some(name) = event.name() {
                    path.extend_from_slice(name.as_bytes());
                }
                if !p.filter.allows_event(&path) {
                    continue;
                }
            }
            settler.feed(&event, now);
        }
    }
}

/// The mask a change is printed with.
fn mask(change: &Change) -> EventMask {
    let kind = match change.kind {
        ChangeKind::Created => EventMask::CREATE,
        ChangeKind::Removed => EventMask::DELETE,
        ChangeKind::Modified { .. } => EventMask::MODIFY,
        ChangeKind::Renamed { .. } => EventMask::MOVED_TO,
    };
    let dir = if change.dir {
        EventMask::ISDIR
    } else {
        EventMask::empty()
    };
    kind | dir
}

/// Renders one change in `style` into `out`; JSON gains `replaced` and
/// `batch`.
fn render(
    src: &DirectSource,
    display: &mut DisplayCache,
    style: &Style,
    seq: u64,
    change: &Change,
    out: &mut Vec<u8>,
) {
    // A watched file is shown as itself; anything else as its directory's
    // watch plus its name.
    let is_watch = src
        .wm
        .wd(&change.path)
        .is_some_and(|_| !change.dir || change.path.parent().is_none());
    let (watched, name) = match (change.path.parent(), change.path.file_name()) {
        // The settler names the entries of a root watched as `.` without
        // their `./`.
        (Some(parent), Some(name)) if !is_watch && parent.as_os_str().is_empty() => (
            display.display(&src.roots, Path::new(".")).to_vec(),
            Some(name.as_bytes()),
        ),
        (Some(parent), Some(name)) if !is_watch => (
            display.display(&src.roots, parent).to_vec(),
            Some(name.as_bytes()),
        ),
        _ => (display.display(&src.roots, &change.path).to_vec(), None),
    };
    let from = match &change.kind {
        ChangeKind::Renamed { from, .. } => Some(src.roots.display_full(from)),
        _ => None,
    };
    let rec = EventRecord {
        watched: &watched,
        name,
        mask: mask(change),
        cookie: 0,
        dir: change.dir,
        src: from.as_deref(),
        synthetic: false,
    };
    style.render(&rec, out);
    if matches!(style, Style::Json) && out.ends_with(b"}\n") {
        let replaced = matches!(change.kind, ChangeKind::Modified { replaced: true });
        let extra = format!(",\"replaced\":{replaced},\"batch\":{seq}}}\n");
        out.truncate(out.len() - 2);
        out.extend_from_slice(extra.as_bytes());
    }
}

/// Prints a batch and runs `--exec` for it; `Some(code)` ends the program.
fn print_batch(
    p: &Printer<'_>,
    src: &DirectSource,
    sink: &mut EventSink,
    display: &mut DisplayCache,
    batch: &Batch,
) -> Option<i32> {
    let write_error = |err: &std::io::Error| {
        p.diag
            .say(&format!("inotifywait: write error: {}", strerror(err)));
        Some(EXIT_FAILURE)
    };
    let mut buf = Vec::new();
    if p.a.quiet < 2 {
        for change in &batch.changes {
            buf.clear();
            render(src, display, p.style, batch.seq, change, &mut buf);
            if let Err(err) = sink.write(&buf) {
                return write_error(&err);
            }
        }
    }
    if let Err(err) = sink.flush() {
        return write_error(&err);
    }
    if let Some(exec) = p.exec
        && !batch.changes.is_empty()
    {
        let mut input = Vec::new();
        for change in &batch.changes {
            render(src, display, &Style::Json, batch.seq, change, &mut input);
        }
        match exec.run_batch(batch.seq, batch.changes.len(), &input) {
            Ok(status) if !status.success() => {
                log::info!("--exec {} exited with {status}", exec.program());
            }
            Ok(_) => {}
            Err(err) => p.diag.say(&format!(
                "inotifywait: cannot run {}: {}",
                exec.program(),
                strerror(&err)
            )),
        }
    }
    if p.a.monitor {
        None
    } else {
        Some(EXIT_SUCCESS)
    }
}
