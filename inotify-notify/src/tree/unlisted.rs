//! The second chance of a scan's directories (split from `recursive.rs`):
//! those a scan watched but could not list (`Tree::unlisted`) and the
//! subdirectories it listed but could not watch (`Tree::missed`), both
//! because a rename raced the scan. At the end of a round the round's
//! renames are in the table, so each is looked for where it is now, a few
//! rounds at most.

use inotify_core::{EventMask, WatchDescriptor, is_race, long_path};

use super::Tree;
use super::recursive::{Out, note_listing, scan, snapshot_into, tick};
use crate::emit::{Processed, Target, emit};
use crate::error::Error;

/// How many ends of rounds a directory whose listing raced is looked for
/// before it is given up (each try follows the renames read meanwhile).
const UNLISTED_TRIES: u8 = 8;

/// Lists the directories a scan watched but could not list (see
/// `Tree::unlisted`) at their paths now (the round's renames are in the
/// table): a synthetic `CREATE` for each entry the kernel has not
/// reported, and a scan of each directory found. One that still cannot be
/// listed is tried again at the end of the next round, a few times; one
/// whose watch is gone is dropped. The caller ends the walk
/// ([`finish_walk`](super::finish_walk)) so what the listings queued is
/// filtered.
pub(crate) fn list_unlisted(st: &mut Tree, quiet_only: bool, out: Out<'_>) -> usize {
    let mut count = 0;
    let wds: Vec<WatchDescriptor> = (st.unlisted.iter())
        .filter(|(_, u)| u.quiet || !quiet_only)
        .map(|(wd, _)| *wd)
        .collect();
    for wd in wds {
        let (Some(dir), Some(data)) = (
            st.watcher.path(wd),
            st.watcher.table().get(wd).map(|e| e.data.clone()),
        ) else {
            st.unlisted.remove(&wd);
            continue;
        };
        note_listing(st, wd, &dir);
        let entries = match long_path::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if is_race(&err) => {
                if let Some(u) = st.unlisted.get_mut(&wd) {
                    u.tries += 1;
                    if u.tries >= UNLISTED_TRIES {
                        log::debug!("{} could not be listed: {err}", dir.display());
                        st.unlisted.remove(&wd);
                    }
                }
                continue;
            }
            Err(err) => {
                st.unlisted.remove(&wd);
                out(Processed::Error(Error::io(err, Some(&dir))));
                continue;
            }
        };
        let Some(unlisted) = st.unlisted.remove(&wd) else {
            continue;
        };
        let target = Target::new(wd, &dir, &data);
        let (mut seen, mut subdirs) = (Vec::new(), Vec::new());
        for entry in entries.flatten() {
            let name = entry.file_name();
            let scanned = st.walk.seen.get(&wd).is_some_and(|s| s.contains(&name));
            if scanned || unlisted.reported.contains(&name) {
                continue;
            }
            let is_subdir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_subdir {
                subdirs.push(dir.join(&name));
            }
            if unlisted.quiet {
                continue;
            }
            let mask = if is_subdir {
                EventMask::CREATE | EventMask::ISDIR
            } else {
                EventMask::CREATE
            };
            emit(out, &target, mask, 0, Some(&name), None, true);
            seen.push(name);
        }
        if !seen.is_empty() {
            st.walk.seen.entry(wd).or_default().extend(seen);
        }
        if st.snapshots {
            snapshot_into(st, wd);
        }
        tick(st);
        for sub in subdirs {
            count += scan(st, &unlisted.template, sub, unlisted.quiet, out)
                .added
                .len();
        }
    }
    count + watch_missed(st, quiet_only, out)
}

/// Watches and scans the subdirectories scans reported but could not
/// watch (`Tree::missed`), below where their parents are now (the round's
/// renames are in the table). One still not there is looked for at the
/// end of the next round, a few times; one whose parent's watch is gone,
/// or that is watched already, is dropped.
fn watch_missed(st: &mut Tree, quiet_only: bool, out: Out<'_>) -> usize {
    let mut count = 0;
    let (now, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut st.missed)
        .into_iter()
        .partition(|m| m.quiet || !quiet_only);
    st.missed = keep;
    for mut missed in now {
        let Some(dir) = st.watcher.path(missed.parent).map(|p| p.join(&missed.name)) else {
            continue;
        };
        if st.watcher.wd(&dir).is_some() {
            continue;
        }
        let found = scan(st, &missed.template, dir, missed.quiet, out);
        count += found.added.len();
        if found.raced {
            missed.tries += 1;
            if missed.tries < UNLISTED_TRIES {
                st.missed.push(missed);
            }
        }
    }
    count
}
