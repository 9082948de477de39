//! [`WatchTable`]: the path ↔ watch-descriptor bookkeeping of python-inotify,
//! generic over per-watch user data so upper layers reuse it.
//!
//! Each watch's path is stored once: the wd → entry map owns it, and the
//! path → wd index is a hash table of bare descriptors whose equality looks
//! the path up in the entry. That keeps memory per watch small (the
//! benchmarks measure it) and makes a rename a single re-index.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::path::{Component, Path, PathBuf};

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::mask::WatchMask;
use crate::watch::WatchDescriptor;

/// One watch: its path, the mask it was added with, and user data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEntry<T> {
    path: Box<Path>,
    mask: WatchMask,
    /// Data the owner of the table keeps per watch.
    pub data: T,
}

impl<T> WatchEntry<T> {
    /// The normalised path the watch was added under (updated by renames).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mask the watch was added with.
    pub fn mask(&self) -> WatchMask {
        self.mask
    }
}

/// A fast hasher for watch descriptors: small integers the kernel hands out,
/// never chosen by an attacker, so a multiplicative hash is enough.
#[derive(Default, Clone, Copy)]
pub struct WdHasher(u64);

impl Hasher for WdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i32(&mut self, n: i32) {
        self.0 = u64::from(n.cast_unsigned()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Watches by descriptor and by path.
#[derive(Debug, Clone)]
pub struct WatchTable<T> {
    by_wd: HashMap<WatchDescriptor, WatchEntry<T>, BuildHasherDefault<WdHasher>>,
    /// Index path → wd. Invariant: holds exactly the keys of `by_wd`, and
    /// is hashed by the entry's current path.
    by_path: HashTable<WatchDescriptor>,
    /// Hashes the path index by the path's bytes (paths here are
    /// normalised, so equal bytes are equal paths). foldhash, randomly
    /// seeded per process: names in a watched directory can be chosen by
    /// another user, so the seed keeps collisions unpredictable, at a
    /// fraction of `SipHash`'s cost (a sixth of a big add's user time went
    /// to hashing `Path`s component by component).
    hasher: DefaultHashBuilder,
}

impl<T> Default for WatchTable<T> {
    fn default() -> Self {
        WatchTable {
            by_wd: HashMap::default(),
            by_path: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }
}

impl<T> WatchTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of watches.
    pub fn len(&self) -> usize {
        self.by_wd.len()
    }

    /// Whether there are no watches.
    pub fn is_empty(&self) -> bool {
        self.by_wd.is_empty()
    }

    /// Records watch `wd` on `path` (normalised here). If `wd` was known,
    /// its entry is replaced and the old one returned: the kernel hands out
    /// the same descriptor when one object is watched through two paths, and
    /// the latest path wins. If `path` belonged to another descriptor, the
    /// path now points at `wd` (the other watch keeps its entry until its
    /// `IGNORED` arrives).
    pub fn insert(
        &mut self,
        wd: WatchDescriptor,
        path: &Path,
        mask: WatchMask,
        data: T,
    ) -> Option<WatchEntry<T>> {
        let path: Box<Path> = normalized(path).into_owned().into_boxed_path();
        let old = self.remove(wd);
        let hash = path_hash(self.hasher, &path);
        if let Some(other) = self.find(hash, &path) {
            self.unindex(other);
        }
        self.by_wd.insert(wd, WatchEntry { path, mask, data });
        let by_wd = &self.by_wd;
        let hasher = self.hasher;
        self.by_path
            .insert_unique(hash, wd, |w| hash_entry_path(hasher, by_wd, *w));
        old
    }

    /// The entry of `wd`.
    pub fn get(&self, wd: WatchDescriptor) -> Option<&WatchEntry<T>> {
        self.by_wd.get(&wd)
    }

    /// The entry of `wd`, mutably (data and mask; the path changes only
    /// through [`WatchTable::rename`]).
    pub fn get_mut(&mut self, wd: WatchDescriptor) -> Option<&mut WatchEntry<T>> {
        self.by_wd.get_mut(&wd)
    }

    /// Sets the recorded mask of `wd`.
    pub fn set_mask(&mut self, wd: WatchDescriptor, mask: WatchMask) {
        if let Some(entry) = self.by_wd.get_mut(&wd) {
            entry.mask = mask;
        }
    }

    /// The descriptor watching `path` (normalised first).
    pub fn wd(&self, path: &Path) -> Option<WatchDescriptor> {
        let path = normalized(path);
        self.find(path_hash(self.hasher, &path), &path)
    }

    /// The descriptor indexed under the normalised `path` with `hash`.
    fn find(&self, hash: u64, path: &Path) -> Option<WatchDescriptor> {
        let bytes = path.as_os_str().as_encoded_bytes();
        self.by_path
            .find(hash, |w| {
                self.by_wd
                    .get(w)
                    .is_some_and(|e| e.path.as_os_str().as_encoded_bytes() == bytes)
            })
            .copied()
    }

    /// Forgets `wd` and returns its entry.
    pub fn remove(&mut self, wd: WatchDescriptor) -> Option<WatchEntry<T>> {
        if !self.by_wd.contains_key(&wd) {
            return None;
        }
        self.unindex(wd);
        self.by_wd.remove(&wd)
    }

    /// Every watch, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (WatchDescriptor, &WatchEntry<T>)> {
        self.by_wd.iter().map(|(wd, e)| (*wd, e))
    }

    /// Descriptors of `path` and of every watch below it.
    pub fn subtree(&self, path: &Path) -> Vec<WatchDescriptor> {
        let path = normalized(path);
        self.by_wd
            .iter()
            .filter(|(_, e)| e.path.starts_with(&path))
            .map(|(wd, _)| *wd)
            .collect()
    }

    /// Renames `from` and everything below it to `to` (a directory moved
    /// within the watched tree). Returns how many watches changed path.
    pub fn rename(&mut self, from: &Path, to: &Path) -> usize {
        let from = normalize(from);
        let to = normalize(to);
        let moved = self.subtree(&from);
        for wd in &moved {
            self.unindex(*wd);
        }
        for wd in &moved {
            let Some(entry) = self.by_wd.get_mut(wd) else {
                continue;
            };
            let rest = entry.path.strip_prefix(&from).unwrap_or(Path::new(""));
            let new_path = if rest.as_os_str().is_empty() {
                to.clone()
            } else {
                to.join(rest)
            };
            // A watch already at the destination is replaced by the moved one.
            entry.path = new_path.into_boxed_path();
        }
        for wd in &moved {
            if let Some(other) = self.wd(&self.by_wd[wd].path.clone()) {
                self.unindex(other);
            }
            let hash = path_hash(self.hasher, &self.by_wd[wd].path);
            let by_wd = &self.by_wd;
            let hasher = self.hasher;
            self.by_path
                .insert_unique(hash, *wd, |w| hash_entry_path(hasher, by_wd, *w));
        }
        moved.len()
    }

    /// Removes `wd` from the path index only.
    fn unindex(&mut self, wd: WatchDescriptor) {
        let Some(entry) = self.by_wd.get(&wd) else {
            return;
        };
        let hash = path_hash(self.hasher, &entry.path);
        if let Ok(found) = self.by_path.find_entry(hash, |w| *w == wd) {
            found.remove();
        }
    }
}

/// Rehash callback: the hash of a descriptor's current path.
fn hash_entry_path<T>(
    hasher: DefaultHashBuilder,
    by_wd: &HashMap<WatchDescriptor, WatchEntry<T>, BuildHasherDefault<WdHasher>>,
    wd: WatchDescriptor,
) -> u64 {
    by_wd.get(&wd).map_or(0, |e| path_hash(hasher, &e.path))
}

/// The index hash of a normalised path: of its bytes.
fn path_hash(hasher: DefaultHashBuilder, path: &Path) -> u64 {
    hasher.hash_one(path.as_os_str().as_encoded_bytes())
}

/// Whether `normalize` would return `bytes` unchanged: no empty or `.`
/// component (except `.` alone), no trailing `/` (except `/` alone), and
/// `..` only in a leading run of a relative path.
fn is_normal(bytes: &[u8]) -> bool {
    match bytes {
        [] => return false,
        b"/" | b"." => return true,
        _ => {}
    }
    let rooted = bytes[0] == b'/';
    let body = if rooted { &bytes[1..] } else { bytes };
    let mut leading = !rooted;
    for component in body.split(|&b| b == b'/') {
        match component {
            b".." if leading => {}
            b"" | b"." | b".." => return false,
            _ => leading = false,
        }
    }
    true
}

/// [`normalize`] without an allocation when `path` is already normal (the
/// table's own paths, and every path built from them and a name).
pub(crate) fn normalized(path: &Path) -> Cow<'_, Path> {
    if is_normal(path.as_os_str().as_encoded_bytes()) {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(normalize_components(path))
    }
}

/// Lexical normalisation, as Python's `os.path.normpath`: drops `.` and
/// repeated or trailing slashes and folds `dir/..`, without touching the
/// filesystem (so symlinks are not resolved).
///
/// ```
/// use inotify_core::normalize;
/// use std::path::Path;
/// assert_eq!(normalize(Path::new("a//b/./c/../d/")), Path::new("a/b/d"));
/// assert_eq!(normalize(Path::new("/../x")), Path::new("/x"));
/// assert_eq!(normalize(Path::new("")), Path::new("."));
/// ```
pub fn normalize(path: &Path) -> PathBuf {
    normalized(path).into_owned()
}

/// [`normalize`], component by component.
fn normalize_components(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth > 0 {
                    out.pop();
                    depth -= 1;
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            Component::Normal(name) => {
                out.push(name);
                depth += 1;
            }
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wd(n: i32) -> WatchDescriptor {
        WatchDescriptor::from_raw(n)
    }

    #[test]
    fn fast_path_agrees_with_the_component_normalisation() {
        let parts = ["", ".", "..", "a", "bc"];
        let mut paths = vec![String::new()];
        for _ in 0..4 {
            let mut longer = Vec::new();
            for p in &paths {
                for part in parts {
                    longer.push(format!("{p}/{part}"));
                    longer.push(if p.is_empty() {
                        part.to_owned()
                    } else {
                        format!("{p}/{part}")
                    });
                }
            }
            paths.extend(longer);
        }
        for p in &paths {
            let path = Path::new(p);
            let slow = normalize_components(path);
            assert!(
                is_normal(slow.as_os_str().as_encoded_bytes()),
                "{p:?} -> {slow:?} not seen as normal"
            );
            if is_normal(p.as_bytes()) {
                assert_eq!(slow, path, "{p:?} taken as normal");
            }
            assert_eq!(normalize(path), slow, "{p:?}");
        }
    }

    #[test]
    fn insert_indexes_both_ways_normalised() {
        let mut table = WatchTable::new();
        table.insert(wd(1), Path::new("/a/b/"), WatchMask::CREATE, ());
        assert_eq!(table.wd(Path::new("/a/./b")), Some(wd(1)));
        assert_eq!(table.get(wd(1)).unwrap().path(), Path::new("/a/b"));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn same_wd_through_second_path_latest_wins() {
        let mut table = WatchTable::new();
        table.insert(wd(1), Path::new("/a"), WatchMask::CREATE, 'x');
        let old = table.insert(wd(1), Path::new("/link"), WatchMask::CREATE, 'y');
        assert_eq!(old.unwrap().data, 'x');
        assert_eq!(table.wd(Path::new("/a")), None);
        assert_eq!(table.wd(Path::new("/link")), Some(wd(1)));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn path_taken_over_by_new_wd_keeps_old_entry_until_removed() {
        let mut table = WatchTable::new();
        table.insert(wd(1), Path::new("/a"), WatchMask::CREATE, ());
        table.insert(wd(2), Path::new("/a"), WatchMask::CREATE, ());
        assert_eq!(table.wd(Path::new("/a")), Some(wd(2)));
        assert!(table.remove(wd(1)).is_some());
        assert_eq!(table.wd(Path::new("/a")), Some(wd(2)));
    }

    #[test]
    fn rename_moves_whole_subtree() {
        let mut table = WatchTable::new();
        table.insert(wd(1), Path::new("/r"), WatchMask::CREATE, ());
        table.insert(wd(2), Path::new("/r/a"), WatchMask::CREATE, ());
        table.insert(wd(3), Path::new("/r/a/b"), WatchMask::CREATE, ());
        table.insert(wd(4), Path::new("/r/ab"), WatchMask::CREATE, ());
        assert_eq!(table.rename(Path::new("/r/a"), Path::new("/r/z")), 2);
        assert_eq!(table.wd(Path::new("/r/z/b")), Some(wd(3)));
        assert_eq!(table.wd(Path::new("/r/z")), Some(wd(2)));
        assert_eq!(table.wd(Path::new("/r/a")), None);
        assert_eq!(table.wd(Path::new("/r/ab")), Some(wd(4)));
        let mut sub = table.subtree(Path::new("/r/z"));
        sub.sort();
        assert_eq!(sub, [wd(2), wd(3)]);
    }

    #[test]
    fn many_inserts_and_removes_stay_consistent() {
        let mut table = WatchTable::new();
        for n in 0..2000 {
            table.insert(
                wd(n),
                &PathBuf::from(format!("/t/{n}")),
                WatchMask::CREATE,
                n,
            );
        }
        for n in (0..2000).step_by(2) {
            assert_eq!(table.remove(wd(n)).unwrap().data, n);
        }
        for n in 0..2000 {
            let found = table.wd(&PathBuf::from(format!("/t/{n}")));
            assert_eq!(found, (n % 2 == 1).then_some(wd(n)));
        }
        assert_eq!(table.len(), 1000);
    }
}
