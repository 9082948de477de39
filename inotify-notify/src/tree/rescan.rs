//! The rescan after a queue overflow: every tree is walked again from its
//! roots and compared with the per-directory snapshots (what the consumer
//! was last told), missing watches are re-added, stale ones dropped, and
//! synthetic creates, deletes and modifications bring the consumer's
//! picture in line with the disk; and the upkeep of those snapshots as
//! events arrive.

use std::ffi::{OsStr, OsString};

use inotify_core::{EventKind, EventMask, WatchDescriptor, WatchMask, is_race};

use super::Detached;
use super::Tree;
use super::recursive::{Out, finish_walk, note_listing, scan_new_dir, take_snapshot, tick};
use crate::emit::{Processed, Target, emit};
use crate::error::Error;
use crate::watch::{EntryMeta, kernel_mask};

/// Emits a synthetic event about `name` in the watch `wd`.
fn synth(out: Out<'_>, st: &Tree, wd: WatchDescriptor, mask: EventMask, name: &OsStr) {
    if let (Some(entry), Some(path)) = (st.watcher.table().get(wd), st.watcher.path(wd)) {
        let target = Target::new(wd, &path, &entry.data);
        emit(out, &target, mask, 0, Some(name), None, true);
    }
}

/// After `Q_OVERFLOW`: re-walks every tree from its roots, re-adds missing
/// watches, drops stale ones, and emits the synthetic creates, deletes and
/// modifications that bring a consumer's picture in line with the disk.
/// Needs snapshots (the manager keeps them when rescans are on).
pub(crate) fn rescan(st: &mut Tree, out: Out<'_>) {
    st.walk.seen.clear();
    let roots: Vec<WatchDescriptor> = st
        .watcher
        .table()
        .iter()
        .filter(|(_, e)| e.data.root && e.data.is_dir)
        .map(|(wd, _)| wd)
        .collect();
    let mut visited = std::collections::HashSet::new();
    for root in roots {
        let (Some(entry), Some(path)) = (st.watcher.table().get(root), st.watcher.path(root))
        else {
            continue;
        };
        match st
            .watcher
            .inotify()
            .add_watch(&path, entry.mask() | WatchMask::MASK_ADD)
        {
            Ok(wd) if wd == root => {}
            Ok(other) => {
                // Another directory now has the root's name: the watch just
                // made for it is not ours to keep; the old root is left
                // unvisited and dropped below.
                if st.watcher.table().get(other).is_none()
                    && let Err(err) = st.watcher.inotify().rm_watch(other)
                {
                    log::debug!("rescan: {err}");
                }
                continue;
            }
            Err(_) => continue, // gone: left unvisited, dropped below
        }
        let mut stack = vec![root];
        while let Some(wd) = stack.pop() {
            visited.insert(wd);
            rescan_dir(st, wd, &mut stack, &mut visited, out);
        }
    }
    let stale: Vec<WatchDescriptor> = st
        .watcher
        .table()
        .iter()
        .filter(|(wd, e)| e.data.is_dir && !visited.contains(wd))
        .map(|(wd, _)| wd)
        .collect();
    for wd in stale {
        drop_stale(st, wd, out);
    }
    finish_walk(st);
}

/// Drops a watch the rescan found stale; its `IGNORED` may have been lost
/// in the overflow, so when the kernel no longer knows it, a synthetic one
/// is delivered.
fn drop_stale(st: &mut Tree, wd: WatchDescriptor, out: Out<'_>) {
    let Some(path) = st.watcher.path(wd) else {
        return;
    };
    let Some(entry) = st.watcher.table_mut().remove(wd) else {
        return;
    };
    st.snapshot_map.remove(&wd);
    st.root_ids.remove(&wd);
    st.unlisted.remove(&wd);
    if st.watcher.remove(wd).is_ok() {
        st.detached.insert(
            wd,
            Detached {
                path,
                data: entry.data,
                stale: true,
            },
        );
    } else {
        let target = Target::new(wd, &path, &entry.data);
        emit(out, &target, EventMask::IGNORED, 0, None, None, true);
    }
}

/// Compares one directory with its snapshot; queues subdirectories whose
/// watch is still theirs for comparison, scans new ones.
fn rescan_dir(
    st: &mut Tree,
    wd: WatchDescriptor,
    stack: &mut Vec<WatchDescriptor>,
    visited: &mut std::collections::HashSet<WatchDescriptor>,
    out: Out<'_>,
) {
    let Some(path) = st.watcher.path(wd) else {
        return;
    };
    let Some(data) = st.watcher.table().get(wd).map(|e| e.data.clone()) else {
        return;
    };
    let old = st.snapshot_map.remove(&wd).unwrap_or_default();
    note_listing(st, wd, &path);
    let now = match take_snapshot(&path) {
        Ok(now) => now,
        Err(err) => {
            // Keep the old picture: it is what the consumer has seen.
            st.snapshot_map.insert(wd, old);
            if !is_race(&err) {
                out(Processed::Error(Error::io(err, Some(&path))));
            }
            return;
        }
    };
    tick(st);
    let descend = data.rec || data.auto_add;
    let mut names: Vec<&OsString> = now.keys().collect();
    names.sort();
    for name in names {
        let meta = now[name];
        let sub = path.join(name);
        match old.get(name) {
            None => {
                synth(out, st, wd, create_mask(meta.is_dir), name);
                st.walk.seen.entry(wd).or_default().insert(name.clone());
                if meta.is_dir && descend {
                    visited.extend(scan_new_dir(st, &data, sub, out).added);
                }
            }
            Some(was) if was.is_dir != meta.is_dir => {
                synth(out, st, wd, delete_mask(was.is_dir), name);
                synth(out, st, wd, create_mask(meta.is_dir), name);
                if meta.is_dir && descend {
                    visited.extend(scan_new_dir(st, &data, sub, out).added);
                }
            }
            Some(was) if !meta.is_dir => {
                if was.stamp != meta.stamp {
                    synth(out, st, wd, EventMask::MODIFY, name);
                }
            }
            Some(_) if descend => {
                let known = st.watcher.wd(&sub);
                let kmask =
                    kernel_mask(&data.child(), true) | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW;
                match st.watcher.inotify().add_watch(&sub, kmask) {
                    Ok(now_wd) if Some(now_wd) == known => stack.push(now_wd),
                    Ok(_) => {
                        // Another directory under the same name (or one
                        // the table lost): replace it wholesale.
                        synth(out, st, wd, delete_mask(true), name);
                        synth(out, st, wd, create_mask(true), name);
                        visited.extend(scan_new_dir(st, &data, sub, out).added);
                    }
                    Err(err) if is_race(&err) => {}
                    Err(err) => {
                        st.unwatched.insert(sub.clone());
                        out(Processed::Error(Error::io(err, Some(&sub))));
                    }
                }
            }
            Some(_) => {}
        }
    }
    let mut gone: Vec<(&OsString, &EntryMeta)> =
        old.iter().filter(|(n, _)| !now.contains_key(*n)).collect();
    gone.sort_by_key(|(n, _)| *n);
    for (name, was) in gone {
        synth(out, st, wd, delete_mask(was.is_dir), name);
    }
    if st.watcher.table().get(wd).is_some() {
        st.snapshot_map.insert(wd, now);
    }
}

/// `CREATE`, with `ISDIR` for a directory.
fn create_mask(dir: bool) -> EventMask {
    if dir {
        EventMask::CREATE | EventMask::ISDIR
    } else {
        EventMask::CREATE
    }
}

/// `DELETE`, with `ISDIR` for a directory.
fn delete_mask(dir: bool) -> EventMask {
    if dir {
        EventMask::DELETE | EventMask::ISDIR
    } else {
        EventMask::DELETE
    }
}

/// Keeps the snapshot of `wd` in line with an event about `name`.
pub(crate) fn update_snapshot(
    st: &mut Tree,
    wd: WatchDescriptor,
    kind: EventKind,
    is_dir: bool,
    name: &OsStr,
) {
    let Some(snapshot) = st.snapshot_map.get_mut(&wd) else {
        return;
    };
    match kind {
        EventKind::Create | EventKind::MovedTo => {
            snapshot.insert(
                name.to_os_string(),
                crate::watch::EntryMeta {
                    is_dir,
                    stamp: None,
                },
            );
        }
        EventKind::Delete | EventKind::MovedFrom => {
            snapshot.remove(name);
        }
        EventKind::Modify | EventKind::Attrib | EventKind::CloseWrite => {
            if let Some(meta) = snapshot.get_mut(name) {
                meta.stamp = None;
            }
        }
        _ => {}
    }
}
