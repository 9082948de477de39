//! Ready-made handlers, as pyinotify ships them: [`PrintAllEvents`],
//! [`Stats`] and the chaining wrapper [`ChainIfTrue`] (pyinotify's
//! `pevent` argument).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use inotify_core::EventKind;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::handler::{ProcessEvent, dispatch};

/// Prints every event (its `Display`) on its own line to any writer,
/// flushing each line.
#[derive(Debug)]
pub struct PrintAllEvents<W: Write> {
    out: W,
}

impl PrintAllEvents<io::Stdout> {
    /// Prints to standard output.
    pub fn stdout() -> Self {
        PrintAllEvents { out: io::stdout() }
    }
}

impl<W: Write> PrintAllEvents<W> {
    /// Prints to `out`.
    pub fn new(out: W) -> Self {
        PrintAllEvents { out }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> ProcessEvent for PrintAllEvents<W> {
    fn process_default(&mut self, event: &Event) {
        if let Err(err) = writeln!(self.out, "{event}").and_then(|()| self.out.flush()) {
            log::warn!("PrintAllEvents cannot write: {err}");
        }
    }
}

/// Counts events per kind (pyinotify's `Stats`), with a readable table
/// and a dump to a file.
#[derive(Debug, Clone)]
pub struct Stats {
    started: Instant,
    counts: BTreeMap<&'static str, u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            counts: BTreeMap::new(),
        }
    }
}

impl Stats {
    /// Empty counters, started now.
    pub fn new() -> Self {
        Self::default()
    }

    /// The count of `kind`.
    pub fn count(&self, kind: EventKind) -> u64 {
        self.counts.get(kind.kernel_name()).copied().unwrap_or(0)
    }

    /// Every non-zero count by kernel name, sorted by name.
    pub fn counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.counts
    }

    /// Time since the counters started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Writes the table to `path` (replacing it).
    pub fn dump(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_string()).map_err(|err| Error::io(err, Some(path)))
    }
}

impl ProcessEvent for Stats {
    fn process_default(&mut self, event: &Event) {
        *self.counts.entry(event.kind().kernel_name()).or_insert(0) += 1;
    }
}

impl fmt::Display for Stats {
    /// A table like pyinotify's: the elapsed time, then one row per kind
    /// with its count and a bar scaled to the largest count.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Stats after {:.3}s", self.elapsed().as_secs_f64())?;
        let width = self.counts.keys().map(|k| k.len()).max().unwrap_or(0);
        let max = self.counts.values().copied().max().unwrap_or(0).max(1);
        for (name, count) in &self.counts {
            let bar = usize::try_from(count.saturating_mul(40) / max).unwrap_or(40);
            writeln!(
                f,
                "{name:<width$} | {count:>8} | {}",
                "*".repeat(bar.max(1))
            )?;
        }
        Ok(())
    }
}

/// Runs `inner` first, then `outer` only if `inner` says so (pyinotify's
/// `pevent` with `ChainIfTrue`): the inner handler returns `true` from
/// its predicate to let the event continue down the chain.
pub struct ChainIfTrue<I, O> {
    inner: I,
    outer: O,
}

impl<I, O> fmt::Debug for ChainIfTrue<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainIfTrue(..)")
    }
}

/// The inner half of a [`ChainIfTrue`]: sees the event first and decides
/// whether the chain goes on.
pub trait ChainLink {
    /// Handles `event`; `true` passes it on to the next handler.
    fn process(&mut self, event: &Event) -> bool;
}

impl<F: FnMut(&Event) -> bool> ChainLink for F {
    fn process(&mut self, event: &Event) -> bool {
        self(event)
    }
}

impl<I: ChainLink, O: ProcessEvent> ChainIfTrue<I, O> {
    /// `inner` runs first on each event; `outer` gets it when `inner`
    /// returns `true`.
    pub fn new(inner: I, outer: O) -> Self {
        ChainIfTrue { inner, outer }
    }

    /// The two handlers back.
    pub fn into_parts(self) -> (I, O) {
        (self.inner, self.outer)
    }
}

impl<I: ChainLink, O: ProcessEvent> ProcessEvent for ChainIfTrue<I, O> {
    fn process_default(&mut self, event: &Event) {
        if self.inner.process(event) {
            dispatch(&mut self.outer, event);
        }
    }

    fn process_error(&mut self, error: &Error) {
        self.outer.process_error(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inotify_core::{EventMask, WatchDescriptor};

    fn event(mask: EventMask) -> Event {
        let mut event = Event::new(
            WatchDescriptor::from_raw(1),
            mask,
            0,
            "/t".as_ref(),
            Some("f".as_ref()),
        );
        event.dir = false;
        event
    }

    #[test]
    fn stats_count_and_table() {
        let mut stats = Stats::new();
        dispatch(&mut stats, &event(EventMask::CREATE));
        dispatch(&mut stats, &event(EventMask::CREATE));
        dispatch(&mut stats, &event(EventMask::DELETE));
        assert_eq!(stats.count(EventKind::Create), 2);
        let table = stats.to_string();
        assert!(table.contains("IN_CREATE"), "{table}");
        assert!(table.contains("IN_DELETE"), "{table}");
    }

    #[test]
    fn chain_inner_can_stop_outer() {
        let mut got = Vec::new();
        {
            let mut chain = ChainIfTrue::new(
                |e: &Event| e.mask == EventMask::CREATE,
                |e: &Event| got.push(e.mask),
            );
            dispatch(&mut chain, &event(EventMask::CREATE));
            dispatch(&mut chain, &event(EventMask::DELETE));
        }
        assert_eq!(got, [EventMask::CREATE]);
    }

    #[test]
    fn print_all_events_writes_lines() {
        let mut printer = PrintAllEvents::new(Vec::new());
        dispatch(&mut printer, &event(EventMask::CREATE));
        let text = String::from_utf8(printer.into_inner()).unwrap();
        assert!(text.contains("pathname=\"/t/f\""), "{text}");
        assert!(text.ends_with('\n'));
    }
}
