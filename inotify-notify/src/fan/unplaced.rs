//! Records of a filesystem mark in directories deleted before they are
//! handled (`rm -rf` of a tree that existed before the watch: nothing
//! knows those directories but their handles, which no longer open). The
//! directory's `DELETE`, queued after its entries' records, says where it
//! was (`FanSide::gone_dirs`, noted here as records are read). When that
//! `DELETE` is not read yet (the deletion ran while the round read the
//! queue), such a record waits for the next rounds, handled first in each
//! (it happened before anything they read), until the `DELETE` is read,
//! for a few rounds at most.

use std::ffi::OsString;
use std::path::PathBuf;

use hashbrown::HashMap;
use inotify_core::FileIdBuf;

use super::FanSide;
use super::rec::Rec;

/// Notes where the directory of a `DELETE | ONDIR` record was (its handle
/// → its parent's handle and its name), for `FanSide::gone_dirs`.
pub(super) fn note_deleted_dir(
    gone_dirs: &mut HashMap<FileIdBuf, (FileIdBuf, OsString)>,
    gone_paths: &mut HashMap<FileIdBuf, PathBuf>,
    rec: &Rec,
) {
    let (Some(fid), Some((dir, name))) = (rec.fid(), rec.dir()) else {
        return;
    };
    let Some(dir) = FileIdBuf::from_file_id(dir) else {
        return;
    };
    if gone_dirs.len() >= super::GONE_DIRS_MAX {
        gone_dirs.clear();
        gone_paths.clear();
    }
    gone_paths.remove(&fid);
    gone_dirs.insert(fid, (dir, name.to_os_string()));
}

/// Rounds an unplaced record waits before it is dropped.
const MAX_ROUNDS: u8 = 8;

/// The most records waiting at once.
const MAX_WAITING: usize = 1 << 16;

impl FanSide {
    /// `rec` could not be placed: it waits for the next round.
    pub(super) fn defer_unplaced(&mut self, rec: &Rec) {
        let tries = self.unplaced_tries.remove(&rec.seq).unwrap_or(0);
        if tries >= MAX_ROUNDS || self.unplaced.len() >= MAX_WAITING {
            log::debug!("fanotify record dropped: its directory was not found");
            return;
        }
        self.unplaced.push((rec.clone(), tries + 1));
    }

    /// The records waiting from earlier rounds, in their order, for the
    /// round to handle first.
    pub(super) fn take_unplaced(&mut self) -> Vec<Rec> {
        self.unplaced_tries.clear();
        let waiting = std::mem::take(&mut self.unplaced);
        waiting
            .into_iter()
            .map(|(rec, tries)| {
                self.unplaced_tries.insert(rec.seq, tries);
                rec
            })
            .collect()
    }
}
