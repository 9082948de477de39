//! inotifywatch's statistics: per-watch counters and the final table
//! (`total  access  modify … filename`), with inotify-tools' column
//! widths, its rule for hiding all-zero rows and columns unless `-z`, and
//! its sort (descending by total by default, ties by watch order).

use std::fmt::Write as _;

use inotify_notify::EventMask;

use crate::args::{Sort, SortKey};
use crate::events::{EventSelection, column_name};

/// The event columns in inotifywatch's table order, each with its printf
/// width in inotify-tools (`%-6u  ` etc.); the header is the event's name.
const COLUMNS: [(EventMask, usize); 13] = [
    (EventMask::ACCESS, 6),
    (EventMask::MODIFY, 6),
    (EventMask::ATTRIB, 6),
    (EventMask::CLOSE_WRITE, 11),
    (EventMask::CLOSE_NOWRITE, 13),
    (EventMask::OPEN, 4),
    (EventMask::MOVED_FROM, 10),
    (EventMask::MOVED_TO, 8),
    (EventMask::MOVE_SELF, 9),
    (EventMask::CREATE, 6),
    (EventMask::DELETE, 6),
    (EventMask::DELETE_SELF, 11),
    (EventMask::UNMOUNT, 7),
];

/// Counters of one watch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The watch as displayed (`w/`, `w/sub/`).
    pub filename: Vec<u8>,
    /// All events counted, whatever their kind.
    pub total: u64,
    /// One counter per [`COLUMNS`] entry.
    pub counts: [u64; COLUMNS.len()],
    /// Order of first appearance (inotifywait sorts ties by wd).
    pub order: usize,
}

/// The statistics of a run.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    rows: Vec<Row>,
}

impl Stats {
    /// Registers a watch with zero counts (so `-z` lists it), in watch
    /// order; a watch already known is left alone.
    pub fn register(&mut self, filename: &[u8]) {
        if !self.rows.iter().any(|r| r.filename == filename) {
            let order = self.rows.len();
            self.rows.push(Row {
                filename: filename.to_vec(),
                order,
                ..Row::default()
            });
        }
    }

    /// Counts one event of `mask` on the watch `filename`.
    pub fn record(&mut self, filename: &[u8], mask: EventMask) {
        self.register(filename);
        if let Some(row) = self.rows.iter_mut().find(|r| r.filename == filename) {
            row.total += 1;
            for (i, (event, _)) in COLUMNS.iter().enumerate() {
                if mask.contains(*event) {
                    row.counts[i] += 1;
                }
            }
        }
    }

    /// The grand total.
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|r| r.total).sum()
    }

    /// The table, or `None` when no event occurred (inotifywatch then
    /// prints "No events occurred." on stderr).
    pub fn table(&self, events: EventSelection, zero: bool, sort: Sort) -> Option<String> {
        if self.total() == 0 {
            return None;
        }
        let shown: Vec<usize> = (0..COLUMNS.len())
            .filter(|&i| {
                events.wants(COLUMNS[i].0) && (zero || self.rows.iter().any(|r| r.counts[i] != 0))
            })
            .collect();
        let mut out = String::from("total  ");
        for &i in &shown {
            let _ = write!(out, "{}  ", column_name(COLUMNS[i].0));
        }
        out.push_str("filename\n");
        let column = match sort.key {
            SortKey::Total => None,
            SortKey::Event(key) => COLUMNS
                .iter()
                .position(|(event, _)| EventSelection::of(*event) == key),
        };
        let key = |r: &Row| -> u64 { column.map_or(r.total, |i| r.counts[i]) };
        let mut rows: Vec<&Row> = self.rows.iter().filter(|r| zero || r.total != 0).collect();
        rows.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            let by_key = if sort.ascending {
                ka.cmp(&kb)
            } else {
                kb.cmp(&ka)
            };
            by_key.then(a.order.cmp(&b.order))
        });
        for row in rows {
            let _ = write!(out, "{:<5}  ", row.total);
            for &i in &shown {
                let _ = write!(out, "{:<width$}  ", row.counts[i], width = COLUMNS[i].1);
            }
            out.push_str(&String::from_utf8_lossy(&row.filename));
            out.push('\n');
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESC_TOTAL: Sort = Sort {
        key: SortKey::Total,
        ascending: false,
    };
    const ALL: EventSelection = EventSelection::ALL;

    #[test]
    fn table_matches_inotifywatch_layout() {
        let mut s = Stats::default();
        s.register(b"w/");
        s.register(b"w/s/");
        for m in [EventMask::CREATE, EventMask::OPEN, EventMask::MODIFY] {
            s.record(b"w/", m);
        }
        s.record(b"w/s/", EventMask::CREATE);
        let table = s.table(ALL, false, DESC_TOTAL).expect("events");
        assert_eq!(
            table,
            "total  modify  open  create  filename\n\
             3      1       1     1       w/\n\
             1      0       0     1       w/s/\n"
        );
    }

    #[test]
    fn zero_shows_every_watched_column_and_row() {
        let mut s = Stats::default();
        s.register(b"a/");
        s.register(b"b/");
        s.record(b"b/", EventMask::MODIFY);
        let events = EventSelection::parse("modify,create").expect("valid");
        let asc = Sort {
            key: SortKey::Event(EventSelection::parse("modify").expect("valid")),
            ascending: true,
        };
        let table = s.table(events, true, asc).expect("events");
        assert_eq!(
            table,
            "total  modify  create  filename\n\
             0      0       0       a/\n\
             1      1       0       b/\n"
        );
    }

    #[test]
    fn no_events_gives_no_table() {
        let mut s = Stats::default();
        s.register(b"w/");
        assert!(s.table(ALL, true, DESC_TOTAL).is_none());
    }
}
