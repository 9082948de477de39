//! Re-shaping a watched subtree after its exclude rules changed (a
//! `.gitignore` edited while watching): the watches of directories now
//! excluded are removed, and directories not excluded any more are
//! watched and scanned as auto-add does (synthetic `CREATE`s).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use inotify_core::{EventMask, WatchDescriptor, long_path};

use super::Tree;
use super::recursive::{Out, scan_new_dir};
use crate::emit::{Processed, Target, emit};
use crate::watch::WatchData;

/// The events after which a filter's reload hook is asked.
pub(crate) const RELOAD_EVENTS: EventMask = EventMask::CREATE
    .union(EventMask::DELETE)
    .union(EventMask::CLOSE_WRITE)
    .union(EventMask::MOVED_FROM)
    .union(EventMask::MOVED_TO);

/// Asks the reload hook of watch `wd` (directory `dir`, `data`) about the
/// changed entry `name`; when the rules changed, re-shapes `dir`'s subtree.
pub(crate) fn maybe_reshape(
    st: &mut Tree,
    wd: WatchDescriptor,
    dir: &Path,
    data: &WatchData,
    name: &OsStr,
    out: Out<'_>,
) {
    let Some(filter) = data.exclude() else {
        return;
    };
    if !data.auto_add || !filter.reload(dir, name) {
        return;
    }
    let template = data.clone();
    reshape(st, wd, dir.to_path_buf(), &template, out);
}

/// Removes the watches below `dir` that the rules now exclude, then watches
/// and scans the directories below it that are neither watched nor excluded.
fn reshape(st: &mut Tree, wd: WatchDescriptor, dir: PathBuf, template: &WatchData, out: Out<'_>) {
    let Some(filter) = template.exclude().cloned() else {
        return;
    };
    let mut below: Vec<(PathBuf, WatchDescriptor)> = st
        .watcher
        .table()
        .subtree(&dir)
        .into_iter()
        .filter(|w| *w != wd)
        .filter_map(|w| Some((st.watcher.path(w)?, w)))
        .collect();
    below.sort();
    let mut removed: Vec<PathBuf> = Vec::new();
    for (path, w) in below {
        let gone = removed.iter().any(|r| path.starts_with(r)) || filter.is_excluded(&path);
        if !gone {
            continue;
        }
        if let Err(err) = st.detach(w, false) {
            out(Processed::Error(err));
        }
        if !removed.iter().any(|r| path.starts_with(r)) {
            removed.push(path);
        }
    }
    // Directories not excluded any more: walk the watched part, and
    // auto-add every directory found unwatched.
    let mut stack = vec![(dir, wd)];
    while let Some((at, at_wd)) = stack.pop() {
        let entries = match long_path::read_dir(&at) {
            Ok(entries) => entries,
            Err(err) => {
                log::debug!("re-shape cannot list {}: {err}", at.display());
                continue;
            }
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let path = at.join(entry.file_name());
            if filter.is_excluded(&path) {
                continue;
            }
            if let Some(sub) = st.watcher.wd(&path) {
                stack.push((path, sub));
                continue;
            }
            if let (Some(parent), Some(at)) =
                (st.watcher.table().get(at_wd), st.watcher.path(at_wd))
            {
                let target = Target::new(at_wd, &at, &parent.data);
                let name = entry.file_name();
                emit(
                    out,
                    &target,
                    EventMask::CREATE | EventMask::ISDIR,
                    0,
                    Some(&name),
                    None,
                    true,
                );
            }
            scan_new_dir(st, template, path, out);
        }
    }
}
