//! Events as the user names them and as inotifywait prints them: the
//! [`EventSelection`] a `-e` list parses into (and the [`WatchMask`] the
//! inotify backend derives from it), and inotify-tools' one name table
//! (`close_write` in, `CLOSE_WRITE,CLOSE` out, in libinotifytools' order so
//! our lines match inotifywait's byte for byte).
//!
//! The table is the CLI's only list of names: the library's own
//! ([`EventMask`]'s `Display`/`FromStr`) spells events the kernel's way
//! (`IN_CLOSE_WRITE`, in bit order) and accepts more than inotifywait does
//! (`IN_` prefixes, numbers), so it cannot give inotifywait's output or
//! its error for an unknown name.

use inotify_notify::{EventMask, WatchMask};
use std::sync::OnceLock;

/// What the user asked to see: the events of the `-e` lists (event kinds,
/// plus `isdir`, `q_overflow` and `ignored`, bits an event carries) and the
/// watch flags named there (`oneshot`).
///
/// It says nothing about how the events are obtained: a backend turns it
/// into its own request ([`EventSelection::watch_mask`] for inotify), and
/// one that cannot produce some events learns which from this type alone
/// ([`EventSelection::wants`] of each kind it lacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSelection {
    /// The events to report; an event is wanted when its mask shares a
    /// bit with these.
    events: EventMask,
    /// Watch flags given in the `-e` list.
    flags: WatchMask,
}

/// `IN_ALL_EVENTS` as an event mask: the bits every event kind a watch can
/// ask for carries (the same bits as [`WatchMask::ALL_EVENTS`]).
const ALL_EVENTS: EventMask = EventMask::from_bits_truncate(WatchMask::ALL_EVENTS.bits());

/// `IN_UNMOUNT` as a watch request — the one place the CLI knows about it.
///
/// The kernel reports an unmount on every watch whatever its mask
/// (inotify(7)), which is why [`WatchMask`] has no such constant. Still,
/// inotifywait passes the bit for `-e unmount` and the kernel accepts it;
/// we do the same, so that a watch for `-e unmount` alone is not empty:
/// the library counts the bit as asking for an event
/// ([`WatchMask::has_event_bit`]) and dispatches `IN_UNMOUNT` always.
const UNMOUNT_REQUEST: WatchMask = WatchMask::from_bits_retain(EventMask::UNMOUNT.bits());

impl Default for EventSelection {
    /// Nothing named yet (see [`EventSelection::or_all`]).
    fn default() -> Self {
        EventSelection::of(EventMask::empty())
    }
}

impl EventSelection {
    /// Every event (`IN_ALL_EVENTS`), what inotifywait reports when no
    /// `-e` is given (it leaves out `unmount`, which the kernel reports
    /// anyway).
    pub const ALL: EventSelection = EventSelection::of(ALL_EVENTS);

    /// The events a fanotify mount mark can report (`-M` without `-e`):
    /// `access`, `modify`, `close_write`, `close_nowrite` and `open`.
    pub const MOUNT: EventSelection = EventSelection::of(
        EventMask::ACCESS
            .union(EventMask::MODIFY)
            .union(EventMask::CLOSE_WRITE)
            .union(EventMask::CLOSE_NOWRITE)
            .union(EventMask::OPEN),
    );

    /// The selection of `events` (no flags).
    pub const fn of(events: EventMask) -> Self {
        EventSelection {
            events,
            flags: WatchMask::empty(),
        }
    }

    /// The selection of the watch flag `flag`.
    const fn flag(flag: WatchMask) -> Self {
        EventSelection {
            events: EventMask::empty(),
            flags: flag,
        }
    }

    /// Parses one `-e` argument: names separated by commas,
    /// case-insensitive; empty items are skipped (inotifywait accepts
    /// `create,`). `None` when any item is unknown.
    pub fn parse(list: &str) -> Option<Self> {
        let mut selection = EventSelection::default();
        for item in list.split(',').filter(|item| !item.is_empty()) {
            let name = NAMES
                .iter()
                .find(|name| name.text.eq_ignore_ascii_case(item))?;
            selection.add(name.selection);
        }
        Some(selection)
    }

    /// Adds `other`'s events and flags (`-e` repeated).
    pub fn add(&mut self, other: EventSelection) {
        self.events |= other.events;
        self.flags |= other.flags;
    }

    /// Whether nothing was named (no `-e`, or only empty lists).
    pub fn is_empty(self) -> bool {
        self.events.is_empty() && self.flags.is_empty()
    }

    /// This selection, or [`EventSelection::ALL`] when it is empty
    /// (inotifywait's default).
    pub fn or_all(self) -> Self {
        if self.is_empty() {
            EventSelection::ALL
        } else {
            self
        }
    }

    /// Whether an event of `mask` is one the user asked for (printed, and
    /// exit code 0 without `-m`).
    pub fn wants(self, mask: EventMask) -> bool {
        mask.intersects(self.events)
    }

    /// Whether the two selections share an event or a flag (inotifywatch's
    /// "sort by an event that is watched").
    pub fn intersects(self, other: EventSelection) -> bool {
        self.events.intersects(other.events) || self.flags.intersects(other.flags)
    }

    /// The inotify watch mask for this selection: its event kinds (the
    /// bits an event only carries, `isdir`, `q_overflow`, `ignored`, are
    /// not requests), `unmount` as [`UNMOUNT_REQUEST`], and its flags.
    pub fn watch_mask(self) -> WatchMask {
        let kinds = WatchMask::from_bits_truncate(self.events.bits()) & WatchMask::ALL_EVENTS;
        let unmount = if self.events.contains(EventMask::UNMOUNT) {
            UNMOUNT_REQUEST
        } else {
            WatchMask::empty()
        };
        kinds | unmount | self.flags
    }
}

/// One of inotify-tools' names.
struct Name {
    /// Upper case, as printed; `-e` accepts any case.
    text: &'static str,
    /// What the name stands for.
    selection: EventSelection,
    /// Whether `%e` prints it (`MOVE` and `ALL_EVENTS` only parse).
    printed: bool,
}

const fn printed(text: &'static str, events: EventMask) -> Name {
    Name {
        text,
        selection: EventSelection::of(events),
        printed: true,
    }
}

/// The names in the order libinotifytools prints them
/// (`inotifytools_event_to_str`): single bits first, then the `CLOSE`
/// family, `MOVE_SELF`, `ISDIR`, `ONESHOT` (a request flag, so never in
/// an event's mask); then the names `-e` accepts but nothing prints.
const NAMES: [Name; 20] = [
    printed("ACCESS", EventMask::ACCESS),
    printed("MODIFY", EventMask::MODIFY),
    printed("ATTRIB", EventMask::ATTRIB),
    printed("CLOSE_WRITE", EventMask::CLOSE_WRITE),
    printed("CLOSE_NOWRITE", EventMask::CLOSE_NOWRITE),
    printed("OPEN", EventMask::OPEN),
    printed("MOVED_FROM", EventMask::MOVED_FROM),
    printed("MOVED_TO", EventMask::MOVED_TO),
    printed("CREATE", EventMask::CREATE),
    printed("DELETE", EventMask::DELETE),
    printed("DELETE_SELF", EventMask::DELETE_SELF),
    printed("UNMOUNT", EventMask::UNMOUNT),
    printed("Q_OVERFLOW", EventMask::Q_OVERFLOW),
    printed("IGNORED", EventMask::IGNORED),
    printed("CLOSE", EventMask::CLOSE),
    printed("MOVE_SELF", EventMask::MOVE_SELF),
    printed("ISDIR", EventMask::ISDIR),
    Name {
        text: "ONESHOT",
        selection: EventSelection::flag(WatchMask::ONESHOT),
        printed: true,
    },
    Name {
        text: "MOVE",
        selection: EventSelection::of(EventMask::MOVE),
        printed: false,
    },
    Name {
        text: "ALL_EVENTS",
        selection: EventSelection::ALL,
        printed: false,
    },
];

/// The printed names of `mask`'s bits, in print order.
fn names_of(mask: EventMask) -> impl Iterator<Item = &'static str> {
    NAMES
        .iter()
        .filter(move |name| name.printed && mask.intersects(name.selection.events))
        .map(|name| name.text)
}

/// The name of the single event `event`, lower case, as inotifywatch's
/// table header spells it (`close_write`).
pub fn column_name(event: EventMask) -> String {
    NAMES
        .iter()
        .find(|name| name.selection == EventSelection::of(event))
        .map(|name| name.text.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The names of `mask`'s bits joined by `sep`, as inotifywait prints them
/// (`CLOSE_WRITE,CLOSE`, `CREATE,ISDIR`).
pub fn event_names(mask: EventMask, sep: char) -> String {
    let mut out = Vec::new();
    push_event_names(mask, sep, &mut out);
    // Only ASCII names and the `char` separator's UTF-8 were pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`event_names`] to `out` without an intermediate `String` (the
/// per-event printers write straight into their line buffer).
pub fn push_event_names(mask: EventMask, sep: char, out: &mut Vec<u8>) {
    let mut sep_buf = [0; 4];
    let sep = sep.encode_utf8(&mut sep_buf).as_bytes();
    let mut push = |i: usize, name: &str| {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        out.extend_from_slice(name.as_bytes());
    };
    match single_event_names(mask) {
        Some(names) => names.iter().enumerate().for_each(|(i, name)| push(i, name)),
        None => names_of(mask)
            .enumerate()
            .for_each(|(i, name)| push(i, name)),
    }
}

/// The names of a mask holding one bit of the low 16 (an event, or
/// `UNMOUNT`, `Q_OVERFLOW`, `IGNORED`) and maybe `ISDIR`: what nearly every
/// kernel record carries. They come from a table [`names_of`] fills once,
/// so a flood costs one lookup per event, not a pass over [`NAMES`].
fn single_event_names(mask: EventMask) -> Option<&'static [&'static str]> {
    static TABLE: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
    let bits = mask.bits();
    let low = bits & 0xffff;
    if low.count_ones() != 1 || bits & !0xffff & !EventMask::ISDIR.bits() != 0 {
        return None;
    }
    let index = usize::try_from(low.trailing_zeros() * 2).ok()?
        + usize::from(mask.contains(EventMask::ISDIR));
    let table = TABLE.get_or_init(|| {
        (0..32)
            .map(|i| {
                let mut bits = 1 << (i / 2);
                if i % 2 == 1 {
                    bits |= EventMask::ISDIR.bits();
                }
                names_of(EventMask::from_bits_retain(bits)).collect()
            })
            .collect()
    });
    table.get(index).map(Vec::as_slice)
}

/// The names of `mask`'s bits as a list (for `--json`).
pub fn event_name_list(mask: EventMask) -> Vec<&'static str> {
    names_of(mask).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(list: &str) -> Option<EventMask> {
        EventSelection::parse(list).map(|sel| sel.events)
    }

    #[test]
    fn event_names_from_the_table_match_the_full_search() {
        let isdir = EventMask::ISDIR.bits();
        let masks = (0..32u32)
            .flat_map(|bit| [1u32 << bit, (1u32 << bit) | isdir])
            .chain([0, isdir, 0x3 | isdir, 0x8 | 0x10, 0x8000 | 0x2000]);
        for bits in masks {
            let mask = EventMask::from_bits_retain(bits);
            for sep in [',', ' ', 'é'] {
                let mut out = Vec::new();
                push_event_names(mask, sep, &mut out);
                let expected = names_of(mask).collect::<Vec<_>>().join(&sep.to_string());
                assert_eq!(out, expected.as_bytes(), "{bits:#x} {sep}");
            }
        }
    }

    #[test]
    fn parse_accepts_lists_and_case() {
        assert_eq!(
            events("create,Close_Write"),
            Some(EventMask::CREATE | EventMask::CLOSE_WRITE)
        );
        assert_eq!(events("create,,"), Some(EventMask::CREATE));
        assert!(EventSelection::parse("").is_some_and(EventSelection::is_empty));
        assert_eq!(events("move"), Some(EventMask::MOVE));
        assert_eq!(events("create,bogus"), None);
        // The library's spellings are not inotifywait's.
        assert_eq!(events("IN_CREATE"), None);
        assert_eq!(events("0x100"), None);
    }

    #[test]
    fn all_events_is_every_kind_a_watch_asks_for() {
        let kinds = NAMES[..11]
            .iter()
            .chain(&NAMES[15..16])
            .fold(EventMask::empty(), |all, n| all | n.selection.events);
        assert_eq!(ALL_EVENTS, kinds);
        assert_eq!(events("all_events"), Some(kinds));
        assert_eq!(EventSelection::default().or_all(), EventSelection::ALL);
        assert_eq!(EventSelection::ALL.watch_mask(), WatchMask::ALL_EVENTS);
    }

    #[test]
    fn watch_mask_keeps_requests_and_unmount() {
        let sel = |list| EventSelection::parse(list).expect("valid");
        assert_eq!(
            sel("create,isdir,q_overflow,ignored").watch_mask(),
            WatchMask::CREATE
        );
        assert_eq!(
            sel("modify,oneshot").watch_mask(),
            WatchMask::MODIFY | WatchMask::ONESHOT
        );
        let unmount = sel("unmount").watch_mask();
        assert!(unmount.has_event_bit());
        assert_eq!(unmount.bits(), EventMask::UNMOUNT.bits());
        assert!(sel("unmount").wants(EventMask::UNMOUNT));
        assert!(!sel("oneshot").wants(EventMask::CREATE));
        assert!(sel("oneshot").intersects(sel("oneshot,create")));
    }

    #[test]
    fn event_names_match_inotifywait_order() {
        let close_write = EventMask::CLOSE_WRITE;
        assert_eq!(event_names(close_write, ','), "CLOSE_WRITE,CLOSE");
        let nowrite_dir = EventMask::CLOSE_NOWRITE | EventMask::ISDIR;
        assert_eq!(event_names(nowrite_dir, ':'), "CLOSE_NOWRITE:CLOSE:ISDIR");
        assert_eq!(event_names(EventMask::MOVED_FROM, ','), "MOVED_FROM");
        assert_eq!(
            event_names(EventMask::MOVE_SELF | EventMask::DELETE_SELF, ','),
            "DELETE_SELF,MOVE_SELF"
        );
        assert_eq!(event_names(EventMask::empty(), ','), "");
        let mut line = b"x ".to_vec();
        push_event_names(close_write, '\u{e9}', &mut line);
        assert_eq!(line, "x CLOSE_WRITE\u{e9}CLOSE".as_bytes());
        assert_eq!(
            event_name_list(EventMask::CREATE | EventMask::ISDIR),
            ["CREATE", "ISDIR"]
        );
        assert_eq!(column_name(EventMask::CLOSE_WRITE), "close_write");
    }
}
