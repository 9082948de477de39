//! Event names as inotifywait spells them: parsing `-e` lists
//! (`create,close_write`) and printing masks (`CLOSE_WRITE,CLOSE`), in
//! libinotifytools' order so our lines match inotifywait's byte for byte.

use inotify_notify::{EventMask, WatchMask};

/// `IN_ALL_EVENTS`: what inotifywait watches when no `-e` is given (it
/// excludes `UNMOUNT`, which the kernel reports anyway).
pub const ALL_EVENTS: u32 = WatchMask::ALL_EVENTS.bits();

/// The names `-e` accepts, lower-case, with their bits. `close` and `move`
/// are the two-bit families; `isdir`, `oneshot`, `q_overflow`, `ignored`
/// and `all_events` are accepted as libinotifytools accepts them.
const NAMES: [(&str, u32); 20] = [
    ("access", EventMask::ACCESS.bits()),
    ("modify", EventMask::MODIFY.bits()),
    ("attrib", EventMask::ATTRIB.bits()),
    ("close_write", EventMask::CLOSE_WRITE.bits()),
    ("close_nowrite", EventMask::CLOSE_NOWRITE.bits()),
    ("open", EventMask::OPEN.bits()),
    ("moved_from", EventMask::MOVED_FROM.bits()),
    ("moved_to", EventMask::MOVED_TO.bits()),
    ("create", EventMask::CREATE.bits()),
    ("delete", EventMask::DELETE.bits()),
    ("delete_self", EventMask::DELETE_SELF.bits()),
    ("unmount", EventMask::UNMOUNT.bits()),
    ("q_overflow", EventMask::Q_OVERFLOW.bits()),
    ("ignored", EventMask::IGNORED.bits()),
    ("close", EventMask::CLOSE.bits()),
    ("move_self", EventMask::MOVE_SELF.bits()),
    ("move", EventMask::MOVE.bits()),
    ("isdir", EventMask::ISDIR.bits()),
    ("oneshot", WatchMask::ONESHOT.bits()),
    ("all_events", ALL_EVENTS),
];

/// The order libinotifytools prints names in (`inotifytools_event_to_str`):
/// single bits first, then the `CLOSE` family, `MOVE_SELF`, `ISDIR`,
/// `ONESHOT`. `MOVE` is never printed as a family.
const PRINT_ORDER: [(&str, u32); 18] = [
    ("ACCESS", EventMask::ACCESS.bits()),
    ("MODIFY", EventMask::MODIFY.bits()),
    ("ATTRIB", EventMask::ATTRIB.bits()),
    ("CLOSE_WRITE", EventMask::CLOSE_WRITE.bits()),
    ("CLOSE_NOWRITE", EventMask::CLOSE_NOWRITE.bits()),
    ("OPEN", EventMask::OPEN.bits()),
    ("MOVED_FROM", EventMask::MOVED_FROM.bits()),
    ("MOVED_TO", EventMask::MOVED_TO.bits()),
    ("CREATE", EventMask::CREATE.bits()),
    ("DELETE", EventMask::DELETE.bits()),
    ("DELETE_SELF", EventMask::DELETE_SELF.bits()),
    ("UNMOUNT", EventMask::UNMOUNT.bits()),
    ("Q_OVERFLOW", EventMask::Q_OVERFLOW.bits()),
    ("IGNORED", EventMask::IGNORED.bits()),
    ("CLOSE", EventMask::CLOSE.bits()),
    ("MOVE_SELF", EventMask::MOVE_SELF.bits()),
    ("ISDIR", EventMask::ISDIR.bits()),
    ("ONESHOT", WatchMask::ONESHOT.bits()),
];

/// The sortable columns of inotifywatch, in table order, with their
/// header names.
pub const STAT_COLUMNS: [(&str, u32); 13] = [
    ("access", EventMask::ACCESS.bits()),
    ("modify", EventMask::MODIFY.bits()),
    ("attrib", EventMask::ATTRIB.bits()),
    ("close_write", EventMask::CLOSE_WRITE.bits()),
    ("close_nowrite", EventMask::CLOSE_NOWRITE.bits()),
    ("open", EventMask::OPEN.bits()),
    ("moved_from", EventMask::MOVED_FROM.bits()),
    ("moved_to", EventMask::MOVED_TO.bits()),
    ("move_self", EventMask::MOVE_SELF.bits()),
    ("create", EventMask::CREATE.bits()),
    ("delete", EventMask::DELETE.bits()),
    ("delete_self", EventMask::DELETE_SELF.bits()),
    ("unmount", EventMask::UNMOUNT.bits()),
];

/// Parses one `-e` argument: names separated by commas, case-insensitive;
/// empty items are skipped (inotifywait accepts `create,`). `None` when
/// any item is unknown.
pub fn parse_events(list: &str) -> Option<u32> {
    let mut mask = 0;
    for item in list.split(',') {
        if item.is_empty() {
            continue;
        }
        let (_, bits) = NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(item))?;
        mask |= bits;
    }
    Some(mask)
}

/// The names of `mask`'s bits joined by `sep`, as inotifywait prints them
/// (`CLOSE_WRITE,CLOSE`, `CREATE,ISDIR`).
pub fn event_names(mask: u32, sep: char) -> String {
    let mut out = Vec::new();
    push_event_names(mask, sep, &mut out);
    // Only ASCII names and the `char` separator's UTF-8 were pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`event_names`] to `out` without an intermediate `String` (the
/// per-event printers write straight into their line buffer).
pub fn push_event_names(mask: u32, sep: char, out: &mut Vec<u8>) {
    let mut sep_buf = [0; 4];
    let sep = sep.encode_utf8(&mut sep_buf).as_bytes();
    let mut first = true;
    for (name, bits) in PRINT_ORDER {
        if mask & bits != 0 {
            if !first {
                out.extend_from_slice(sep);
            }
            first = false;
            out.extend_from_slice(name.as_bytes());
        }
    }
}

/// The names of `mask`'s bits as a list (for `--json` and `--exec`).
pub fn event_name_list(mask: u32) -> Vec<&'static str> {
    PRINT_ORDER
        .iter()
        .filter(|(_, bits)| mask & bits != 0)
        .map(|(name, _)| *name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_events_accepts_lists_and_case() {
        assert_eq!(
            parse_events("create,Close_Write"),
            Some(EventMask::CREATE.bits() | EventMask::CLOSE_WRITE.bits())
        );
        assert_eq!(parse_events("create,,"), Some(EventMask::CREATE.bits()));
        assert_eq!(parse_events(""), Some(0));
        assert_eq!(parse_events("move"), Some(EventMask::MOVE.bits()));
        assert_eq!(parse_events("create,bogus"), None);
    }

    #[test]
    fn event_names_match_inotifywait_order() {
        let close_write = EventMask::CLOSE_WRITE.bits();
        assert_eq!(event_names(close_write, ','), "CLOSE_WRITE,CLOSE");
        let nowrite_dir = EventMask::CLOSE_NOWRITE.bits() | EventMask::ISDIR.bits();
        assert_eq!(event_names(nowrite_dir, ':'), "CLOSE_NOWRITE:CLOSE:ISDIR");
        assert_eq!(event_names(EventMask::MOVED_FROM.bits(), ','), "MOVED_FROM");
        assert_eq!(event_names(0, ','), "");
        let mut line = b"x ".to_vec();
        push_event_names(close_write, '\u{e9}', &mut line);
        assert_eq!(line, "x CLOSE_WRITE\u{e9}CLOSE".as_bytes());
        assert_eq!(
            event_name_list(EventMask::CREATE.bits() | EventMask::ISDIR.bits()),
            ["CREATE", "ISDIR"]
        );
    }
}
