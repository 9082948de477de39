//! Following a root that moved (`IN_MOVE_SELF` of a watch whose parent is
//! not watched, so no `MOVED_TO` says where it went).
//!
//! The watches stay valid wherever the directory goes on its filesystem;
//! only their paths are lost. Two ways find it again, in this order:
//!
//! - **Its old directory**, listed for the root's device and inode: the
//!   common `mv dir dir.old`, needing nothing but search permission.
//! - **Its file handle** (`name_to_handle_at` when the root was added),
//!   opened with `open_by_handle_at` against any directory of its
//!   filesystem and read back from `/proc/self/fd`: a move anywhere on the
//!   filesystem, as inotify-tools' `fsnotifywait` follows one. The kernel
//!   allows that only with `CAP_DAC_READ_SEARCH` (root).
//!
//! The fanotify backend's inode marks follow a moved root the same way
//! (`fan/moved_root.rs`, with [`lost_root`] and [`by_handle`]); its
//! directories are known by handle already.
//!
//! No descriptor is held to follow it: an open one would keep a deleted
//! root's `IGNORED` from coming and its filesystem from being unmounted. A
//! root found neither way is given up by the caller, with an error that
//! says why (and what would have followed it).

use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};

use inotify_core::{
    FileHandle, FileId, FileIdBuf, HandleCache, HandleResolver, WatchDescriptor, WatchMask,
    long_path,
};

use super::Tree;
use crate::error::{Error, ErrorKind};

/// Which object a root is: what finds it again after it moved.
pub(crate) struct RootId {
    dev: u64,
    ino: u64,
    /// `None` on filesystems without file handles.
    handle: Option<RootHandle>,
}

/// A root's file handle, compact (a `FileIdBuf` is 150 bytes, and with
/// `--fromfile` every watched file is a root): its bytes are usually 8 to
/// 20.
struct RootHandle {
    fsid: [i32; 2],
    handle_type: i32,
    bytes: Box<[u8]>,
}

impl RootHandle {
    fn of(id: &FileIdBuf) -> Self {
        let id = id.as_file_id();
        RootHandle {
            fsid: id.fsid,
            handle_type: id.handle.handle_type,
            bytes: id.handle.bytes.into(),
        }
    }

    fn as_file_id(&self) -> FileId<'_> {
        FileId {
            fsid: self.fsid,
            handle: FileHandle {
                handle_type: self.handle_type,
                bytes: &self.bytes,
            },
        }
    }
}

impl Tree {
    /// Notes which object the root `wd` at `path` is (`follow`: a
    /// symbolic link there is followed, as its watch does). Not knowing
    /// is no error: the root is then given up if it moves.
    pub(super) fn note_root(&mut self, wd: WatchDescriptor, path: &Path, follow: bool) {
        match long_path::metadata(path, follow) {
            Ok(meta) => {
                let handle = if follow {
                    FileIdBuf::of(path)
                } else {
                    FileIdBuf::of_link(path)
                };
                let handle = handle
                    .inspect_err(|err| log::debug!("{}: {err}", path.display()))
                    .ok()
                    .as_ref()
                    .map(RootHandle::of);
                let id = RootId {
                    dev: meta.dev(),
                    ino: meta.ino(),
                    handle,
                };
                self.root_ids.insert(wd, id);
            }
            Err(err) => log::debug!("{}: {err}", path.display()),
        }
    }

    /// The root `wd`, at `old`, moved and no watched directory reported
    /// where to: found again (see the module docs), confirmed by the watch
    /// itself (an `IN_MASK_ADD` of its own mask at the new path returns its
    /// descriptor and changes nothing), and its subtree renamed there.
    ///
    /// # Errors
    /// Not found, or found where its watch is not (another object): the
    /// error names the old path and, when only the handle could have
    /// found it, what that needs. The caller gives the tree up.
    pub(crate) fn follow_moved_root(
        &mut self,
        wd: WatchDescriptor,
        old: &Path,
    ) -> Result<PathBuf, Error> {
        let lost = |why: &str| lost_root(old, why);
        let Some(id) = self.root_ids.get(&wd) else {
            return Err(lost("was not known by its inode"));
        };
        let new = match by_inode(id, old) {
            Some(new) => new,
            None => match &id.handle {
                None => return Err(lost("is not in its directory (no file handle to follow)")),
                Some(handle) => by_handle(handle.as_file_id(), old).map_err(|why| lost(&why))?,
            },
        };
        if new == old {
            return Ok(new);
        }
        let Some(recorded) = self
            .watcher
            .table()
            .get(wd)
            .map(inotify_core::WatchEntry::mask)
        else {
            return Err(lost("its watch is gone"));
        };
        let probe = (recorded - WatchMask::MASK_CREATE) | WatchMask::MASK_ADD;
        match self.watcher.inotify().add_watch(&new, probe) {
            Ok(same) if same == wd => {}
            Ok(other) => {
                // Another object (a symbolic link followed, say): leave
                // it as it was.
                if self.watcher.table().get(other).is_none()
                    && let Err(err) = self.watcher.inotify().rm_watch(other)
                {
                    log::debug!("stray watch on {}: {err}", new.display());
                }
                return Err(lost(&format!("{} is another object", new.display())));
            }
            Err(err) => {
                return Err(lost(&format!(
                    "cannot be watched at {}: {err}",
                    new.display()
                )));
            }
        }
        self.rename_subtree(old, &new);
        Ok(new)
    }
}

/// The error of a root that moved and was not found (`why`), at `old`.
pub(crate) fn lost_root(old: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        Some(old),
        format!("a watched directory moved and {why}; its watches are removed"),
    )
}

/// The root renamed in its own directory: the entry of `old`'s directory
/// that `is_root` says is it (given the entry and its path), if any.
pub(crate) fn in_old_directory(
    old: &Path,
    is_root: impl Fn(&std::fs::DirEntry, &Path) -> bool,
) -> Option<PathBuf> {
    let dir = match old.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let entries = long_path::read_dir(dir)
        .inspect_err(|err| log::debug!("moved root {}: {err}", old.display()))
        .ok()?;
    entries.flatten().find_map(|e| {
        let path = dir.join(e.file_name());
        is_root(&e, &path).then_some(path)
    })
}

/// [`in_old_directory`] by device and inode (the entry's inode first, then
/// a `lstat` to confirm the device).
fn by_inode(id: &RootId, old: &Path) -> Option<PathBuf> {
    in_old_directory(old, |e, path| {
        e.ino() == id.ino
            && long_path::metadata(path, false)
                .is_ok_and(|m| m.dev() == id.dev && m.ino() == id.ino)
    })
}

/// The root's path now, by its file handle; the reason when not found.
/// Any directory of the filesystem serves for `open_by_handle_at`: the
/// nearest ancestor of the old path still there (a rename never leaves
/// its filesystem).
pub(crate) fn by_handle(id: FileId<'_>, old: &Path) -> Result<PathBuf, String> {
    for dir in old.ancestors().skip(1) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let Ok(mut resolver) = HandleResolver::with_cache(dir, HandleCache::new(1)) else {
            continue;
        };
        if resolver.fsid() != id.fsid {
            break; // above the filesystem's mount point
        }
        return match resolver.resolve(id) {
            Ok(path) => Ok(relative_as(old, path)),
            Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => Err(
                "is not in its directory; following it elsewhere by its file handle \
                 needs CAP_DAC_READ_SEARCH (run as root)"
                    .to_owned(),
            ),
            Err(err) => Err(format!("cannot be found by its file handle: {err}")),
        };
    }
    Err(
        "is not in its directory, and no directory of its filesystem is left \
         to look it up by its file handle"
            .to_owned(),
    )
}

/// `path` (absolute, from `/proc/self/fd`) relative to the working
/// directory when `old` was relative and `path` is below it, so that a
/// root given as `dir` keeps printing as the user spelled such paths.
fn relative_as(old: &Path, path: &Path) -> PathBuf {
    if old.is_relative()
        && let Ok(cwd) = std::env::current_dir()
        && let Ok(rel) = path.strip_prefix(&cwd)
        && !rel.as_os_str().is_empty()
    {
        return rel.to_path_buf();
    }
    path.to_path_buf()
}
