//! Whether an entry is there now, for the order of a merged
//! `CREATE | DELETE` record, at one directory listing per round instead of
//! one lookup per record.
//!
//! fanotify merges the queued events of one object, so a file made and
//! removed while the queue waited comes as one record with both bits; the
//! order is recovered by looking at the name now (see
//! [`super::Backend`]). A lookup of a missing name costs a `statx` (2.4 µs
//! on tmpfs even relative to a directory descriptor, four times what
//! reading the record cost), and a flood of short-lived files is all such
//! records. So when a round holds many of them in one small directory, the
//! directory is listed once and a name missing from the listing is
//! answered without a syscall; a name the listing holds still gets the
//! exact check (same object?), so the answer is the one the lookup would
//! give, only taken a little earlier — after the record was read either
//! way, which is all the order needs.
//!
//! A listing answers only for records read before it was taken: a scan may
//! drain newer records in the middle of a round, and those may be about
//! entries made after the listing.

use std::ffi::{OsStr, OsString};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use hashbrown::{HashMap, HashSet};
use inotify_core::{FileId, FileIdBuf, long_path};

use super::rec::IdKey;

/// Merged records a directory needs in a round before it is listed.
const MIN_MERGED: u32 = 4;
/// The entries a listing may read per merged record it saves a lookup
/// for (a listed entry costs a few dozen nanoseconds, a lookup 2.4 µs).
const ENTRIES_PER_LOOKUP: u64 = 16;
/// The fewest bytes a directory entry adds to a directory's `st_size`
/// (tmpfs counts 20 per entry, ext4 and xfs their records, btrfs twice the
/// name): the size over this bounds the entries from above.
const MIN_ENTRY_BYTES: u64 = 16;

/// What a directory's listing says, and for which records.
struct Listing {
    /// The names it held; `None`: not listed (too big, or unreadable).
    names: Option<HashSet<OsString>>,
    /// It answers for records read before this sequence number.
    before: u64,
}

/// The merged records of the round per directory, and the listings taken.
#[derive(Default)]
pub(crate) struct Presence {
    /// Merged `CREATE | DELETE` records read this round, per directory.
    merged: HashMap<FileIdBuf, u32>,
    listings: HashMap<FileIdBuf, Listing>,
}

impl Presence {
    /// A merged `CREATE | DELETE` record in the directory `dir` was read.
    pub(crate) fn note_merged(&mut self, dir: FileId<'_>) {
        // Counted in place: the entry API would copy the 152-byte handle
        // for every record.
        if let Some(count) = self.merged.get_mut(&IdKey(dir)) {
            *count += 1;
        } else if let Some(dir) = FileIdBuf::from_file_id(dir) {
            self.merged.insert(dir, 1);
        }
    }

    /// Whether `name` is known to be missing from the directory `id` (at
    /// `path`) for a record read as number `seq`; `next_seq` is the number
    /// the next record read gets. `false`: look it up.
    pub(crate) fn missing(
        &mut self,
        id: FileId<'_>,
        path: &Path,
        name: &OsStr,
        seq: u64,
        next_seq: u64,
    ) -> bool {
        if let Some(listing) = self.listings.get(&IdKey(id))
            && seq < listing.before
        {
            return listing.names.as_ref().is_some_and(|n| !n.contains(name));
        }
        let merged = self.merged.get(&IdKey(id)).copied().unwrap_or(0);
        if merged < MIN_MERGED {
            return false;
        }
        let Some(owned) = FileIdBuf::from_file_id(id) else {
            return false;
        };
        let names = list_small(&owned, path, merged);
        let missing = names.as_ref().is_some_and(|n| !n.contains(name));
        self.listings.insert(
            owned,
            Listing {
                names,
                before: next_seq,
            },
        );
        missing
    }

    /// Ends the round.
    pub(crate) fn clear(&mut self) {
        self.merged.clear();
        self.listings.clear();
    }
}

/// The names in the directory `id` if it is at `path` and small enough to
/// list for `merged` records; `None` otherwise or when it cannot be read
/// (then every record is looked up, as without listings).
///
/// The path is where the records handled so far put the directory; the
/// disk may be ahead of them (a rename of it, or of a directory above it,
/// still queued), and then another directory can be at that path. So the
/// directory is opened once, its handle compared with `id`, and that same
/// open directory is listed (through its `/proc/self/fd` link): a listing
/// is always of the directory the records name, kept for the round by its
/// handle, whatever its path does meanwhile.
fn list_small(id: &FileIdBuf, path: &Path, merged: u32) -> Option<HashSet<OsString>> {
    let dir = std::fs::File::open(long_path::LongPath::new(path).ok()?.as_path()).ok()?;
    let meta = dir.metadata().ok()?;
    if !meta.is_dir() || meta.len() / MIN_ENTRY_BYTES > u64::from(merged) * ENTRIES_PER_LOOKUP {
        return None;
    }
    let opened = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    if FileIdBuf::of(&opened).ok()? != *id {
        return None;
    }
    let mut names = HashSet::new();
    for entry in std::fs::read_dir(&opened).ok()? {
        names.insert(entry.ok()?.file_name());
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(path: &Path) -> FileIdBuf {
        FileIdBuf::of(path).expect("name_to_handle_at")
    }

    #[test]
    fn a_listing_answers_for_records_read_before_it_only() {
        let dir = std::env::temp_dir().join(format!("presence-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("here"), b"").unwrap();
        let id = id_of(&dir);
        let mut p = Presence::default();
        // Too few merged records: no listing, every name looked up.
        p.note_merged(id.as_file_id());
        assert!(!p.missing(id.as_file_id(), &dir, OsStr::new("gone"), 0, 10));
        // Enough for a directory of one 4 KiB block (ext4's smallest).
        for _ in 0..64 {
            p.note_merged(id.as_file_id());
        }
        assert!(p.missing(id.as_file_id(), &dir, OsStr::new("gone"), 1, 10));
        assert!(!p.missing(id.as_file_id(), &dir, OsStr::new("here"), 2, 10));
        // A record read after the listing: listed again, now with `late`.
        std::fs::write(dir.join("late"), b"").unwrap();
        assert!(p.missing(id.as_file_id(), &dir, OsStr::new("late"), 9, 12));
        assert!(!p.missing(id.as_file_id(), &dir, OsStr::new("late"), 10, 12));
        p.clear();
        assert!(!p.missing(id.as_file_id(), &dir, OsStr::new("gone"), 0, 1));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_big_directory_is_not_listed_for_a_few_records() {
        let dir = std::env::temp_dir().join(format!("presence-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..200 {
            std::fs::write(dir.join(format!("entry-{i:04}")), b"").unwrap();
        }
        let id = id_of(&dir);
        let mut p = Presence::default();
        for _ in 0..MIN_MERGED {
            p.note_merged(id.as_file_id());
        }
        // 200 entries for 4 records: each record is looked up instead.
        assert!(!p.missing(id.as_file_id(), &dir, OsStr::new("gone"), 0, 10));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
