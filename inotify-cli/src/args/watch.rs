//! `inotifywatch`'s command line: its options beyond the shared ones
//! (`-z`, `-a`/`-d` and the sort key, with inotifywatch's messages).

use std::ffi::OsString;

use clap::Command;

use super::{
    Common, Parsed, UsageError, clap_error, common_args, flag, parse_common, strings, value,
};
use crate::events::EventSelection;

/// The column `inotifywatch`'s table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `total`: all events of a watch.
    Total,
    /// An event's column (any `-e` name is accepted; one that is not a
    /// column sorts by the total, as in inotifywatch).
    Event(EventSelection),
}

/// The sort order of `inotifywatch`'s table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub key: SortKey,
    /// Ascending (`-a`) rather than descending.
    pub ascending: bool,
}

/// `inotifywatch`'s options.
#[derive(Debug, Clone)]
pub struct WatchArgs {
    /// The shared options.
    pub common: Common,
    /// `-z`.
    pub zero: bool,
    /// `-a`/`-d`; descending by total by default.
    pub sort: Sort,
}

/// The `inotifywatch` command (for parsing; [`crate::manual`] documents it).
pub(crate) fn watch_command() -> Command {
    common_args(Command::new("inotifywatch"))
        .arg(flag("zero", Some('z'), "zero"))
        .arg(value("ascending", Some('a'), "ascending"))
        .arg(value("descending", Some('d'), "descending"))
}

fn parse_sort(key: &str, ascending: bool) -> Result<Sort, UsageError> {
    if key.eq_ignore_ascii_case("total") {
        return Ok(Sort {
            key: SortKey::Total,
            ascending,
        });
    }
    if key.eq_ignore_ascii_case("move") {
        return Err(UsageError(
            "Cannot sort by `move' event; please use `moved_from' or `moved_to'.".into(),
        ));
    }
    if key.eq_ignore_ascii_case("close") {
        return Err(UsageError(
            "Cannot sort by `close' event; please use `close_write' or `close_nowrite'.".into(),
        ));
    }
    match EventSelection::parse(key) {
        Some(selection) if !selection.is_empty() => Ok(Sort {
            key: SortKey::Event(selection),
            ascending,
        }),
        _ => Err(UsageError(format!(
            "'{key}' is not a valid key for sorting!"
        ))),
    }
}

/// Parses `inotifywatch`'s command line (`args` without the program name).
pub fn parse_watch<I: IntoIterator<Item = OsString>>(
    args: I,
) -> Result<Parsed<WatchArgs>, UsageError> {
    let command_line: Vec<OsString> = std::iter::once(OsString::from(crate::program::watch_name()))
        .chain(args)
        .collect();
    let cmd = watch_command();
    let m = cmd
        .clone()
        .try_get_matches_from(&command_line)
        .map_err(|e| clap_error(crate::program::watch_name(), &e, &cmd, command_line.last()))?;
    if m.get_flag("help") {
        return Ok(Parsed::Help);
    }
    if m.get_flag("version") {
        return Ok(Parsed::Version);
    }
    let asc = strings(&m, "ascending");
    let desc = strings(&m, "descending");
    if asc.len() + desc.len() > 1 {
        return Err(UsageError("Please specify -a or -d once only!".into()));
    }
    let sort = match (asc.first(), desc.first()) {
        (Some(key), _) => parse_sort(key, true)?,
        (_, Some(key)) => parse_sort(key, false)?,
        _ => Sort {
            key: SortKey::Total,
            ascending: false,
        },
    };
    let common = parse_common(&m)?;
    if let SortKey::Event(key) = sort.key
        && !key.intersects(common.watch_events())
    {
        return Err(UsageError(
            "Can't sort by an event which isn't being watched for!".into(),
        ));
    }
    Ok(Parsed::Run(WatchArgs {
        common,
        zero: m.get_flag("zero"),
        sort,
    }))
}
