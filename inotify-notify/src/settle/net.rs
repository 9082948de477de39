//! The net of a window: from the per-path entries [`Settler`] built, the
//! changes in the order a consumer applies them (see `settle`'s docs), and
//! the picture of the tree kept up to date with them.
//!
//! [`Settler`]: super::window::Settler

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::window::{Change, ChangeKind, Entry, InFlight, Obj};

/// The net changes of a window's `entries`, in application order
/// (`flights`: the `MOVED_FROM`s never paired).
pub(super) fn changes(mut entries: HashMap<OsString, Entry>, flights: &[InFlight]) -> Vec<Change> {
    // Paths absent before and after (temporary files: most entries of a
    // busy window) take part in nothing below; the rest are keyed by path.
    entries.retain(|_, entry| entry.before || entry.now.is_some());
    let mut entries: HashMap<PathBuf, Entry> = entries
        .into_iter()
        .map(|(key, entry)| (PathBuf::from(key), entry))
        .collect();
    // A directory moved out of the tree: nothing below it is reported.
    let gone: Vec<&Path> = flights
        .iter()
        .filter(|flight| flight.dir)
        .map(|flight| flight.src.as_path())
        .collect();
    entries.retain(|path, _| !gone.iter().any(|dir| below(path, dir)));
    let absent = |path: &Path| entries.get(path).is_some_and(|e| e.now.is_none());
    let created_dirs: HashSet<&Path> = entries
        .iter()
        .filter(|(_, e)| !e.before && e.dir && e.now.is_some())
        .map(|(path, _)| path.as_path())
        .collect();
    let in_created = |path: &Path| path.ancestors().skip(1).any(|a| created_dirs.contains(a));
    let mut renames = Vec::new();
    let mut others = Vec::new();
    let mut claimed: HashSet<&Path> = HashSet::new();
    for (path, entry) in &entries {
        let kind = match &entry.now {
            None => continue,
            Some(Obj::New) if entry.before => ChangeKind::Modified { replaced: true },
            Some(Obj::New) => ChangeKind::Created,
            Some(Obj::Orig { home, modified, .. }) if home == path => {
                if !*modified {
                    continue;
                }
                ChangeKind::Modified { replaced: false }
            }
            Some(Obj::Orig {
                home,
                modified,
                order,
            }) => {
                if absent(home) && !in_created(path) {
                    claimed.insert(home.as_path());
                    let change = Change {
                        path: path.clone(),
                        kind: ChangeKind::Renamed {
                            from: home.clone(),
                            modified: *modified,
                        },
                        dir: entry.dir,
                    };
                    renames.push((*order, change));
                    continue;
                }
                if entry.before {
                    ChangeKind::Modified { replaced: true }
                } else {
                    ChangeKind::Created
                }
            }
        };
        others.push(Change {
            path: path.clone(),
            kind,
            dir: entry.dir,
        });
    }
    for (path, entry) in &entries {
        if entry.before && entry.now.is_none() && !claimed.contains(path.as_path()) {
            others.push(Change {
                path: path.clone(),
                kind: ChangeKind::Removed,
                dir: entry.dir,
            });
        }
    }
    renames.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(&b.1.path)));
    // Parents are created before their children and removed after them.
    others.sort_by(|a, b| {
        let removed = |c: &Change| c.kind == ChangeKind::Removed;
        removed(a).cmp(&removed(b)).then_with(|| {
            if removed(a) {
                b.path.cmp(&a.path)
            } else {
                a.path.cmp(&b.path)
            }
        })
    });
    let mut changes: Vec<Change> = renames.into_iter().map(|(_, change)| change).collect();
    changes.append(&mut others);
    changes
}

/// Whether `path` is strictly below `dir`.
pub(super) fn below(path: &Path, dir: &Path) -> bool {
    path != dir && path.starts_with(dir)
}

/// `path` (below `src`) moved below `dst`.
pub(super) fn reroot(path: &Path, src: &Path, dst: &Path) -> PathBuf {
    match path.strip_prefix(src) {
        Ok(rest) => dst.join(rest),
        Err(_) => path.to_path_buf(),
    }
}

/// Applies a batch's changes to the picture of the tree.
pub(super) fn update_known(known: &mut HashSet<PathBuf>, changes: &[Change]) {
    for change in changes {
        match &change.kind {
            ChangeKind::Created | ChangeKind::Modified { .. } => {
                known.insert(change.path.clone());
            }
            ChangeKind::Removed => {
                known.remove(&change.path);
                if change.dir {
                    known.retain(|path| !below(path, &change.path));
                }
            }
            ChangeKind::Renamed { from, .. } => {
                known.remove(from);
                if change.dir {
                    let moved: Vec<PathBuf> = known
                        .iter()
                        .filter(|path| below(path, from))
                        .cloned()
                        .collect();
                    for path in moved {
                        known.remove(&path);
                        known.insert(reroot(&path, from, &change.path));
                    }
                }
                known.insert(change.path.clone());
            }
        }
    }
}
