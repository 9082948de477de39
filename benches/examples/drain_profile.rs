//! A drain loop to run under a profiler (`perf record`, `valgrind
//! --tool=callgrind --toggle-collect='*drain_*'`): fills the kernel queue,
//! then drains it with one contender, many rounds, and prints the CPU time
//! per event of the drains. Each contender's drain is its own non-inlined
//! function so a profile can be cut down to it.
//!
//! Usage: `drain_profile <raw|core|watcher|notifier> [events] [rounds]`.

use std::hint::black_box;
use std::io;
use std::time::Duration;

use benches::{DRAIN_MASK, QueueFiller, RawDrain, TempDir, cpu_time};
use inotify_core::{EventBuffer, InitOptions, Inotify, Watcher};
use inotify_notify::{Notifier, WatchManager, WatchOptions};

#[inline(never)]
fn drain_raw(raw: &mut RawDrain) -> io::Result<usize> {
    Ok(raw.drain()?.events)
}

#[inline(never)]
fn drain_core(inotify: &Inotify, buffer: &mut EventBuffer) -> io::Result<usize> {
    let mut seen = 0;
    loop {
        let mut batch = 0;
        for event in inotify.try_read_events(buffer)? {
            black_box((event.wd, event.mask, event.cookie, event.name));
            batch += 1;
        }
        if batch == 0 {
            return Ok(seen);
        }
        seen += batch;
    }
}

#[inline(never)]
fn drain_watcher(watcher: &mut Watcher) -> io::Result<usize> {
    let mut seen = 0;
    loop {
        let mut batch = 0;
        for event in watcher.try_read()? {
            black_box((event.path(), event.event.mask, event.event.name));
            batch += 1;
        }
        if batch == 0 {
            return Ok(seen);
        }
        seen += batch;
    }
}

#[inline(never)]
fn drain_notifier(notifier: &mut Notifier) -> inotify_notify::Result<usize> {
    let mut rounds = 0;
    while notifier.check_events(Some(Duration::ZERO))? {
        notifier.read_events()?;
        notifier.process_events()?;
        rounds += 1;
    }
    Ok(rounds)
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().map_or("core", String::as_str);
    let events: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20);
    let tmp = TempDir::in_memory("drain-profile")?;
    let mut filler = QueueFiller::new(tmp.path());
    let files = QueueFiller::files_for(events);
    let nonblocking = InitOptions { nonblocking: true };

    let mut raw = None;
    let mut core = None;
    let mut watcher = None;
    let mut notifier = None;
    let wm = WatchManager::new().map_err(io::Error::from)?;
    match kind {
        "raw" => raw = Some(RawDrain::new(tmp.path(), DRAIN_MASK)?),
        "core" => {
            let inotify = Inotify::init_with(nonblocking)?;
            inotify.add_watch(tmp.path(), DRAIN_MASK)?;
            core = Some((inotify, EventBuffer::new()));
        }
        "watcher" => {
            let mut w: Watcher = Watcher::with_inotify(Inotify::init_with(nonblocking)?);
            w.add(tmp.path(), DRAIN_MASK)?;
            watcher = Some(w);
        }
        "notifier" => {
            let options = WatchOptions {
                rec: true,
                auto_add: true,
                ..WatchOptions::default()
            };
            wm.add_watch(tmp.path(), DRAIN_MASK, &options)
                .map_err(io::Error::from)?;
            notifier = Some(
                Notifier::new(&wm, |e: &inotify_notify::Event| {
                    black_box(e);
                })
                .map_err(io::Error::from)?
                .into_dyn(),
            );
        }
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown contender {other}"),
            ));
        }
    }
    let mut total = Duration::ZERO;
    let mut queued_total = 0;
    for _ in 0..rounds {
        queued_total += filler.fill(files)?;
        let start = cpu_time();
        let seen = if let Some(raw) = raw.as_mut() {
            drain_raw(raw)?
        } else if let Some((inotify, buffer)) = core.as_mut() {
            drain_core(inotify, buffer)?
        } else if let Some(w) = watcher.as_mut() {
            drain_watcher(w)?
        } else if let Some(n) = notifier.as_mut() {
            drain_notifier(n).map_err(io::Error::from)?
        } else {
            0
        };
        total += cpu_time().saturating_sub(start);
        black_box(seen);
    }
    let per_event = total.as_nanos() / u128::try_from(queued_total.max(1)).unwrap_or(1);
    println!("{kind}: {queued_total} events, {per_event} ns CPU per event");
    Ok(())
}
