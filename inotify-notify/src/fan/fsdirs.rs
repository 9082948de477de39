//! Paths of directories under a filesystem mark: a directory handle of a
//! record is looked up in `FanSide::fs_dirs` (kept in event order from
//! the records themselves: created, renamed, deleted) and only when
//! unknown resolved by core's `HandleResolver` (`open_by_handle_at`), then
//! remembered; a deleted one, which no longer opens, is placed by what its
//! `DELETE` said (`unplaced.rs`). The kernel's answer is the directory's
//! path *now*: for a
//! directory that existed before we watched and was renamed after a record
//! was queued, that record is placed at the new path.
//!
//! Under a mount mark no record tells of creations, renames or deletions,
//! so a remembered path can go stale: the first time a round meets a
//! directory, its path must still give its handle (`name_to_handle_at`),
//! else it is resolved again.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use inotify_core::{FileId, FileIdBuf, WatchDescriptor};

use super::rec::{IdKey, Rec};
use super::tree::Node;
use super::{FanSide, FsRoot};
use crate::watch::WatchData;

/// The most directories remembered per manager (about 200 bytes each).
const FS_DIRS_MAX: usize = 1 << 20;

impl FanSide {
    /// Remembers that the directory `id` is at `canon`.
    pub(crate) fn fs_dirs_insert(&mut self, id: FileIdBuf, canon: PathBuf) {
        self.next_dir = self.next_dir.wrapping_add(1);
        let key = WatchDescriptor::from_raw(self.next_dir);
        let data = WatchData {
            user_mask: inotify_core::WatchMask::empty(),
            rec: false,
            auto_add: false,
            is_dir: true,
            root: false,
            hooks: None,
        };
        self.fs_dirs.insert(
            key,
            Node {
                id,
                path: canon,
                data,
            },
        );
    }

    /// The canonical path of the directory `id` (filesystem and mount
    /// marks).
    pub(crate) fn resolve(&mut self, id: FileId<'_>) -> Option<PathBuf> {
        if self.backend == super::Backend::Mount {
            return self.resolve_checked(&FileIdBuf::from_file_id(id)?);
        }
        if let Some(key) = self.fs_dirs.by_id(id) {
            return self.fs_dirs.get(key).map(|n| n.path.clone());
        }
        if let Some(path) = self.gone_paths.get(&IdKey(id)) {
            return Some(path.clone());
        }
        let resolver = self.resolvers.iter_mut().find(|r| r.fsid() == id.fsid)?;
        match resolver.resolve(id) {
            Ok(path) => {
                let path = path.to_path_buf();
                self.fs_dirs_insert(FileIdBuf::from_file_id(id)?, path.clone());
                Some(path)
            }
            Err(err) => {
                let found = self.gone_dir(id, 0);
                if found.is_none() {
                    log::debug!("directory of a fanotify record not found: {err}");
                    self.unresolved = true;
                }
                found
            }
        }
    }

    /// Where a directory that no longer resolves (deleted) was: a root
    /// (its handle is known), or what its `DELETE` record said, with the
    /// directories above it found the same way (`gone_dirs`); remembered.
    fn gone_dir(&mut self, id: FileId<'_>, depth: usize) -> Option<PathBuf> {
        if let Some(root) = self.fs_roots.iter().find(|r| r.id.as_file_id() == id) {
            return Some(root.canon.clone());
        }
        // Deeper than any path can be: a loop of stale names.
        if depth > 2048 {
            return None;
        }
        let (parent, name) = self.gone_dirs.get(&IdKey(id)).cloned()?;
        let at = match self.fs_dirs.by_id(parent.as_file_id()) {
            Some(key) => self.fs_dirs.get(key).map(|n| n.path.clone()),
            None => match self.gone_paths.get(&parent) {
                Some(path) => Some(path.clone()),
                None => self.resolve_parent(&parent, depth),
            },
        }?;
        let path = at.join(name);
        self.gone_paths
            .insert(FileIdBuf::from_file_id(id)?, path.clone());
        Some(path)
    }

    /// [`FanSide::gone_dir`]'s parent: by handle if it resolves, else as
    /// a deleted directory too.
    fn resolve_parent(&mut self, parent: &FileIdBuf, depth: usize) -> Option<PathBuf> {
        let resolver = self
            .resolvers
            .iter_mut()
            .find(|r| r.fsid() == parent.as_file_id().fsid)?;
        match resolver.resolve(parent.as_file_id()) {
            Ok(path) => Some(path.to_path_buf()),
            Err(_) => self.gone_dir(parent.as_file_id(), depth + 1),
        }
    }

    /// [`FanSide::resolve`] under mount marks: a remembered path is used
    /// as it is once checked in this round (`checked`); unchecked, it must
    /// still give the directory's handle — renamed or deleted since (no
    /// record said so), it is forgotten and the handle resolved again.
    fn resolve_checked(&mut self, id: &FileIdBuf) -> Option<PathBuf> {
        let known = self.fs_dirs.by_id(id.as_file_id());
        if let Some(key) = known {
            let path = self.fs_dirs.get(key).map(|n| n.path.clone())?;
            if self.checked.contains(id) || FileIdBuf::of(&path).ok() == Some(*id) {
                self.checked.insert(*id);
                return Some(path);
            }
            log::debug!("{} was renamed or deleted: resolved again", path.display());
            self.fs_dirs.remove(key);
        }
        // Not the resolver's cache: its paths are no fresher than ours.
        let path = self.now_at(id)?;
        self.checked.insert(*id);
        if self.fs_dirs.len() < FS_DIRS_MAX {
            self.fs_dirs_insert(*id, path.clone());
        }
        Some(path)
    }

    /// Where the directory `id` is on disk now (filesystem marks), asked
    /// of the kernel, not of what the records said so far; `None` when it
    /// is gone.
    pub(crate) fn now_at(&mut self, id: &FileIdBuf) -> Option<PathBuf> {
        let fsid = id.as_file_id().fsid;
        let resolver = self.resolvers.iter_mut().find(|r| r.fsid() == fsid)?;
        resolver.cache_mut().remove(id.as_file_id());
        match resolver.resolve(id.as_file_id()) {
            Ok(path) => Some(path.to_path_buf()),
            Err(err) => {
                log::debug!("directory to scan not found: {err}");
                None
            }
        }
    }

    /// A directory `id` a scan listed and reported at `path` (as the user
    /// spells it): remembered at `path`, the place the records of this
    /// round give it — unless its path is known already. A known
    /// directory's path comes from the records read so far; the scan
    /// sees the disk as it is now, which may be ahead of them (the
    /// directory renamed into the scanned tree by a record still
    /// queued), and records queued before that rename must be placed
    /// where the directory was then.
    pub(crate) fn fs_dirs_learn(&mut self, path: &Path, id: FileIdBuf) {
        if self.fs_dirs.len() >= FS_DIRS_MAX || self.fs_dirs.by_id(id.as_file_id()).is_some() {
            return;
        }
        if let Some(canon) = self.canon_of(path) {
            self.fs_dirs_insert(id, canon);
        }
    }

    /// The canonical spelling of `path`, a path below a filesystem-mark
    /// root as the user spells it.
    fn canon_of(&self, path: &Path) -> Option<PathBuf> {
        self.fs_roots
            .iter()
            .filter_map(|r| Some((r, path.strip_prefix(&r.path).ok()?)))
            .max_by_key(|(r, _)| r.path.as_os_str().len())
            .map(|(r, rest)| r.canon.join(rest))
    }

    /// A directory the consumer knows moved from `src` to `dst` (paired:
    /// the consumer moved what it knew below it) or was replaced (not
    /// paired): the paths this round's scans and records reported below
    /// `src` move along or are forgotten, so a later record of the round
    /// about one of them is still known as reported.
    pub(crate) fn moved_in_round(&mut self, src: &Path, dst: &Path, paired: bool) {
        for set in [&mut self.seen, &mut self.told, &mut self.scanned] {
            let below: Vec<PathBuf> = set
                .iter()
                .filter(|p| p.starts_with(src) && p.as_path() != src)
                .cloned()
                .collect();
            for path in below {
                set.remove(&path);
                if paired && let Ok(rest) = path.strip_prefix(src) {
                    set.insert(dst.join(rest));
                }
            }
        }
        if paired && self.scanned.remove(src) {
            self.scanned.insert(dst.to_path_buf());
        }
        let below: Vec<PathBuf> = self
            .seen_dirs
            .keys()
            .filter(|p| p.starts_with(src) && p.as_path() != src)
            .cloned()
            .collect();
        for path in below {
            if let Some(id) = self.seen_dirs.remove(&path)
                && paired
                && let Ok(rest) = path.strip_prefix(src)
            {
                self.seen_dirs.insert(dst.join(rest), id);
            }
        }
    }

    /// The consumer dropped `path` and what it held (a `DELETE` of it was
    /// emitted): what this round's scans and records reported there is
    /// forgotten too, so later records of the round about a new object
    /// at that name, or below it, are reported again rather than taken
    /// for entries the consumer still has.
    ///
    /// Only a directory (`is_dir`) has paths below it: a file's `DELETE`
    /// costs no walk of the sets, which a round that deletes many files it
    /// saw created would otherwise pay once per file (quadratic). Empty
    /// sets are not hashed into at all (most rounds run no scan).
    pub(crate) fn forget_reported(&mut self, path: &Path, is_dir: bool) {
        if is_dir {
            self.moved_in_round(path, path, false);
        }
        for set in [&mut self.seen, &mut self.told, &mut self.scanned] {
            if !set.is_empty() {
                set.remove(path);
            }
        }
        if !self.seen_dirs.is_empty() {
            self.seen_dirs.remove(path);
        }
    }

    /// The filesystem-mark root an event in the directory `canon` belongs
    /// to, and the directory spelled below the root as the user spelled
    /// it; `None` outside every root (or below a root without `rec`).
    ///
    /// Once per record: the prefix is compared as bytes, as both paths are
    /// canonical (`Path::strip_prefix` walks components, and was a tenth
    /// of a filesystem mark's drain).
    pub(crate) fn place_fs(&self, canon: &Path) -> Option<(&FsRoot, PathBuf)> {
        self.fs_roots.iter().find_map(|root| {
            let rest = below(canon, &root.canon)?;
            if rest.is_empty() {
                Some((root, root.path.clone()))
            } else if root.data.rec {
                Some((root, root.path.join(OsStr::from_bytes(rest))))
            } else {
                None
            }
        })
    }

    /// Whether `path` is below an entry the consumer never heard of: a
    /// scan of this round listed its parent without it, and no record of
    /// this round reported it (it came and went before the scan looked).
    /// Records in there were made before it came in and are dropped, as
    /// inotify, watching it only after the scan, never reports them.
    pub(crate) fn hidden(&self, path: &Path) -> bool {
        if self.scanned.is_empty() {
            return false;
        }
        let mut at = path;
        while let Some(parent) = at.parent() {
            if self.scanned.contains(parent) && !self.seen.contains(at) && !self.told.contains(at) {
                return true;
            }
            at = parent;
        }
        false
    }

    /// Whether the directory at `canon` is, or is below, a directory moved
    /// in whose scan did not find it (`unscanned`): the consumer knows
    /// that directory but nothing in it, so records in there are dropped
    /// (it was deleted before the scan looked; its `DELETE` ends it), and
    /// an entry renamed out of it is a move in, scanned where it lands.
    pub(crate) fn in_unscanned(&self, canon: &Path) -> bool {
        if self.unscanned.is_empty() {
            return false;
        }
        canon.ancestors().any(|dir| {
            self.fs_dirs
                .by_path(dir)
                .and_then(|key| self.fs_dirs.get(key))
                .is_some_and(|node| self.unscanned.contains(&node.id))
        })
    }

    /// Whether the directory at `dir` (`canon` its canonical spelling
    /// under a filesystem mark, `None` with inode marks), or one above it,
    /// is a directory the records place at a path where a scan of this
    /// round reported another one (`seen_dirs`): the disk the scan listed
    /// was ahead of the records, and the consumer has the other one there,
    /// so records in this one are not about what the consumer has.
    pub(crate) fn shadowed(&self, dir: &Path, canon: Option<&Path>) -> bool {
        if self.seen_dirs.is_empty() {
            return false;
        }
        let mut canon = canon;
        for at in dir.ancestors() {
            if let Some(seen) = self.seen_dirs.get(at) {
                let here = match canon {
                    None => self.tree.by_path(at).and_then(|wd| self.tree.get(wd)),
                    Some(canon) => self
                        .fs_dirs
                        .by_path(canon)
                        .and_then(|key| self.fs_dirs.get(key)),
                };
                if here.is_some_and(|node| node.id != *seen) {
                    return true;
                }
            }
            canon = canon.and_then(Path::parent);
        }
        false
    }

    /// The canonical path of a record's entry (directory + name).
    fn entry(&mut self, at: Option<&(FileIdBuf, OsString)>) -> Option<PathBuf> {
        let (id, name) = at?;
        self.entry_of(id.as_file_id(), name)
    }

    /// [`FanSide::entry`] of a directory handle and a name.
    fn entry_of(&mut self, id: FileId<'_>, name: &OsStr) -> Option<PathBuf> {
        Some(self.resolve(id)?.join(name))
    }

    /// A directory created: its path, from the record (its handle, its
    /// parent's path and its name). Past [`FS_DIRS_MAX`] known directories
    /// new ones are resolved when needed instead.
    pub(crate) fn learn(&mut self, rec: &Rec) {
        let Some(id) = rec.fid() else {
            return;
        };
        if self.fs_dirs.len() >= FS_DIRS_MAX {
            return;
        }
        let Some((dir, name)) = rec.dir() else {
            return;
        };
        if let Some(path) = self.entry_of(dir, name) {
            self.fs_dirs_insert(id, path);
        }
    }

    /// A directory deleted: forgotten at the end of the round (it was
    /// empty, nothing below it) — by its handle when the record has it
    /// (another directory may have the name by now), else by path.
    pub(crate) fn forget_later(&mut self, rec: &Rec) {
        let key = if let Some(id) = rec.fid_ref() {
            self.fs_dirs.by_id(id)
        } else {
            rec.dir()
                .and_then(|(dir, name)| self.entry_of(dir, name))
                .and_then(|path| self.fs_dirs.by_path(&path))
        };
        self.forget.extend(key);
        if let Some(id) = rec.fid() {
            self.unscanned.remove(&id);
        }
    }

    /// Ends a processing round: forgets what scans reported, which
    /// directories were deleted, which paths were checked and the
    /// listings taken.
    pub(crate) fn end_round(&mut self) {
        self.presence.clear();
        self.checked.clear();
        self.seen.clear();
        self.seen_dirs.clear();
        self.scanned.clear();
        self.told.clear();
        for key in std::mem::take(&mut self.forget) {
            self.fs_dirs.remove(key);
        }
    }

    /// A directory renamed from `old` to `new` (directory handle + name):
    /// its known subtree moves, and so do roots below it; a root renamed
    /// itself ends (as an inotify root whose parent is not watched).
    pub(crate) fn fs_renamed(
        &mut self,
        old: Option<&(FileIdBuf, OsString)>,
        new: Option<&(FileIdBuf, OsString)>,
        fid: Option<FileIdBuf>,
    ) {
        let src = self.entry(old);
        let dst = self.entry(new);
        // A root renamed (by itself or with a directory above it) is
        // followed, as inode marks and inotify follow theirs: its events
        // then carry the new path. The user's spelling of it changes with
        // it where it was the canonical path; a spelling through a
        // symbolic link stays. Renamed where no path is known for it, it
        // ends.
        if let Some(at) = fid.and_then(|id| self.fs_roots.iter().position(|r| r.id == id))
            && dst.is_none()
        {
            let root = self.fs_roots.remove(at);
            self.ignored.push((root.wd, root.path, root.data));
        }
        match (src, dst) {
            (Some(src), Some(dst)) => {
                // Known directories below it move with it, also when it
                // is not known itself (it existed before the watch and
                // no record resolved it, but one in a subdirectory did).
                let known = self.fs_dirs.by_path(&src).is_some();
                self.fs_dirs.rename(&src, &dst);
                if !known && let Some(id) = fid {
                    self.fs_dirs_insert(id, dst.clone());
                }
                for root in &mut self.fs_roots {
                    if let Ok(rest) = root.canon.strip_prefix(&src) {
                        let canon = if rest.as_os_str().is_empty() {
                            dst.clone()
                        } else {
                            dst.join(rest)
                        };
                        if root.path == root.canon {
                            root.path.clone_from(&canon);
                        }
                        root.canon = canon;
                    }
                }
            }
            (None, Some(dst)) if fid.is_some_and(|id| self.fs_roots.iter().any(|r| r.id == id)) => {
                // The old place is unknown, the root itself is not.
                if let Some(id) = fid {
                    self.fs_dirs_insert(id, dst.clone());
                }
                for root in self.fs_roots.iter_mut().filter(|r| Some(r.id) == fid) {
                    if root.path == root.canon {
                        root.path.clone_from(&dst);
                    }
                    root.canon.clone_from(&dst);
                }
            }
            (Some(src), None) => {
                self.fs_dirs.remove_subtree(&src);
            }
            (None, Some(dst)) => {
                if let Some(id) = fid {
                    self.fs_dirs_insert(id, dst);
                }
            }
            (None, None) => {}
        }
    }
}

/// What follows `root` in `path`, both canonical (absolute, no `.`, `..`,
/// repeated or trailing slashes): empty for `root` itself, `None` when
/// `path` is not below it.
fn below<'p>(path: &'p Path, root: &Path) -> Option<&'p [u8]> {
    let rest = path
        .as_os_str()
        .as_bytes()
        .strip_prefix(root.as_os_str().as_bytes())?;
    match rest {
        [] => Some(rest),
        [b'/', rest @ ..] => Some(rest),
        // `/` itself ends with its separator.
        _ if root.as_os_str().as_bytes().ends_with(b"/") => Some(rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::below;
    use std::path::Path;

    #[test]
    fn below_agrees_with_strip_prefix_on_canonical_paths() {
        let cases = [
            ("/a/b", "/a", Some("b")),
            ("/a", "/a", Some("")),
            ("/ab", "/a", None),
            ("/a/b/c", "/a/b", Some("c")),
            ("/a/b", "/", Some("a/b")),
            ("/", "/", Some("")),
            ("/a", "/a/b", None),
        ];
        for (path, root, want) in cases {
            let got =
                below(Path::new(path), Path::new(root)).map(|r| std::str::from_utf8(r).unwrap());
            assert_eq!(got, want, "{path} below {root}");
            let std = Path::new(path)
                .strip_prefix(root)
                .ok()
                .map(|r| r.to_str().unwrap());
            assert_eq!(got, std, "{path} below {root}: as Path::strip_prefix");
        }
    }
}
