//! [`WatchTable`]: the path ↔ watch-descriptor bookkeeping of python-inotify,
//! generic over per-watch user data so upper layers reuse it.
//!
//! The table is a tree, not a list of paths: each watched directory is a
//! node in an arena holding its parent and its own name, and full paths
//! are built on demand by walking up. So a watch costs its name's bytes
//! rather than its whole path (the benchmarks measure the memory per
//! watch), and renaming a directory is one node update, however big the
//! tree beneath it. A node whose parent is not watched is a *root*: its
//! name is its whole normalised path.
//!
//! Two indexes find nodes: by descriptor (every record names one; a
//! multiplicative hash, since descriptors are small integers the kernel
//! hands out) and by (parent, name) (seeded foldhash: names can be chosen
//! by another user, so the seed keeps collisions unpredictable, at a
//! fraction of `SipHash`'s cost). A path is looked up by finding the root
//! it starts with, then one (parent, name) step per component.

mod index;
mod names;
mod normal;
#[cfg(test)]
mod tests;

pub use normal::normalize;
pub(crate) use normal::normalized;
#[cfg(test)]
use normal::{is_normal, normalize_components};

use std::ffi::OsStr;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::mask::WatchMask;
use crate::watch::WatchDescriptor;
use index::slot_wd_hash;
use names::{NameRef, Names};

/// No node (a root's parent, the end of a sibling list).
const NONE: u32 = u32::MAX;

/// One watch's mask and user data (its path is the table's:
/// [`WatchTable::path`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEntry<T> {
    mask: WatchMask,
    /// Data the owner of the table keeps per watch.
    pub data: T,
}

impl<T> WatchEntry<T> {
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
        self.0 = wd_hash(n);
    }
}

/// The descriptor index's hash.
#[inline]
fn wd_hash(n: i32) -> u64 {
    u64::from(n.cast_unsigned()).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A directory (or file) node of the tree.
#[derive(Debug, Clone)]
struct Node<T> {
    wd: WatchDescriptor,
    /// The parent's slot, or [`NONE`] for a root.
    parent: u32,
    first_child: u32,
    next: u32,
    prev: u32,
    /// The name in the parent; a root's whole path. Its flag: whether
    /// the (parent, name) index points at this node (a node whose path
    /// another watch took over stays reachable by descriptor only).
    name: NameRef,
    entry: WatchEntry<T>,
}

/// Watches by descriptor and by path, as a tree (see the module docs).
#[derive(Debug, Clone)]
pub struct WatchTable<T> {
    slots: Vec<Option<Node<T>>>,
    free: Vec<u32>,
    len: usize,
    names: Names,
    /// wd → slot.
    by_wd: HashTable<u32>,
    /// (parent slot, name) → slot, for the nodes whose name's flag is set.
    by_name: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Slots of the roots, for path lookups and renames above them.
    roots: Vec<u32>,
    /// Bumped by every change that can change a path.
    generation: u64,
}

impl<T> Default for WatchTable<T> {
    fn default() -> Self {
        WatchTable {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            names: Names::default(),
            by_wd: HashTable::new(),
            by_name: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            roots: Vec::new(),
            generation: 0,
        }
    }
}

impl<T> WatchTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// A number that changes whenever a path in the table may have
    /// changed (a rename, a removal, a watch moved to a second path): a
    /// path cached together with it is still right while it is unchanged.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Number of watches.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no watches.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Records watch `wd` on `path` (normalised here). If `wd` was known,
    /// its entry is replaced and the old one returned: the kernel hands out
    /// the same descriptor when one object is watched through two paths, and
    /// the latest path wins (the watches below it follow: they are the same
    /// objects). If `path` belonged to another descriptor, the path now
    /// points at `wd` (the other watch keeps its entry until removed).
    pub fn insert(
        &mut self,
        wd: WatchDescriptor,
        path: &Path,
        mask: WatchMask,
        data: T,
    ) -> Option<WatchEntry<T>> {
        let path = normalized(path);
        let (parent, name) = match split(&path) {
            Some((dir, name)) => match self.slot_of_path(dir) {
                Some(parent) => (parent, name.as_encoded_bytes()),
                None => (NONE, path.as_os_str().as_encoded_bytes()),
            },
            None => (NONE, path.as_os_str().as_encoded_bytes()),
        };
        self.place(wd, parent, name, WatchEntry { mask, data })
    }

    /// Records watch `wd` on the entry `name` of the watched directory
    /// `parent`, as [`WatchTable::insert`] with their joined path but
    /// without a lookup by path (a walk's fast path). `name` must be one
    /// component; an unknown `parent` makes `name` a root path.
    pub fn insert_child(
        &mut self,
        parent: WatchDescriptor,
        name: &OsStr,
        wd: WatchDescriptor,
        mask: WatchMask,
        data: T,
    ) -> Option<WatchEntry<T>> {
        let parent = self.slot(parent).unwrap_or(NONE);
        self.place(
            wd,
            parent,
            name.as_encoded_bytes(),
            WatchEntry { mask, data },
        )
    }

    /// The entry of `wd`.
    pub fn get(&self, wd: WatchDescriptor) -> Option<&WatchEntry<T>> {
        self.node(self.slot(wd)?).map(|n| &n.entry)
    }

    /// The entry of `wd`, mutably (data and mask; the path changes only
    /// through [`WatchTable::rename`] and [`WatchTable::insert`]).
    pub fn get_mut(&mut self, wd: WatchDescriptor) -> Option<&mut WatchEntry<T>> {
        let slot = self.slot(wd)?;
        self.node_mut(slot).map(|n| &mut n.entry)
    }

    /// Sets the recorded mask of `wd`.
    pub fn set_mask(&mut self, wd: WatchDescriptor, mask: WatchMask) {
        if let Some(entry) = self.get_mut(wd) {
            entry.mask = mask;
        }
    }

    /// The descriptor watching `path` (normalised first).
    pub fn wd(&self, path: &Path) -> Option<WatchDescriptor> {
        let path = normalized(path);
        Some(self.node(self.slot_of_path(&path)?)?.wd)
    }

    /// The descriptor of the entry `name` of the watched directory
    /// `parent`.
    pub fn child(&self, parent: WatchDescriptor, name: &OsStr) -> Option<WatchDescriptor> {
        let parent = self.slot(parent)?;
        let slot = self.find_name(parent, name.as_encoded_bytes())?;
        Some(self.node(slot)?.wd)
    }

    /// The watched directory `wd` is an entry of (`None` for a root).
    pub fn parent(&self, wd: WatchDescriptor) -> Option<WatchDescriptor> {
        let node = self.node(self.slot(wd)?)?;
        Some(self.node(node.parent)?.wd)
    }

    /// The name of `wd` in its parent directory (for a root: its whole
    /// path).
    pub fn name(&self, wd: WatchDescriptor) -> Option<&OsStr> {
        let slot = self.slot(wd)?;
        let node = self.node(slot)?;
        Some(std::os::unix::ffi::OsStrExt::from_bytes(
            self.names.get(slot, node.name),
        ))
    }

    /// The path of `wd`, built from its ancestors' names.
    pub fn path(&self, wd: WatchDescriptor) -> Option<PathBuf> {
        self.path_with(wd, None)
    }

    /// The path of `wd` joined with `name` (when given), built in one
    /// allocation of the exact size.
    pub fn path_with(&self, wd: WatchDescriptor, name: Option<&OsStr>) -> Option<PathBuf> {
        let slot = self.slot(wd)?;
        let extra = name.map_or(0, |n| n.len() + 1);
        let mut bytes = Vec::with_capacity(self.path_len(slot) + extra);
        self.write_path(slot, &mut bytes);
        if let Some(name) = name {
            push_component(&mut bytes, name.as_encoded_bytes());
        }
        Some(PathBuf::from(bytes_to_os(bytes)))
    }

    /// Writes the path of `wd` into `out` (its buffer reused); `false`,
    /// with `out` left empty, when `wd` is unknown.
    pub fn path_into(&self, wd: WatchDescriptor, out: &mut PathBuf) -> bool {
        use std::os::unix::ffi::OsStringExt;
        let mut bytes = std::mem::take(out).into_os_string().into_vec();
        bytes.clear();
        let found = self
            .slot(wd)
            .inspect(|&slot| self.write_path(slot, &mut bytes));
        *out = PathBuf::from(std::ffi::OsString::from_vec(bytes));
        found.is_some()
    }

    /// Whether `wd` is `ancestor` or lies below it in the tree.
    pub fn is_within(&self, wd: WatchDescriptor, ancestor: WatchDescriptor) -> bool {
        match (self.slot(wd), self.slot(ancestor)) {
            (Some(slot), Some(ancestor)) => self.slot_within(slot, ancestor),
            _ => false,
        }
    }

    /// Forgets `wd` and returns its entry. Watches below it become roots
    /// under their current paths.
    pub fn remove(&mut self, wd: WatchDescriptor) -> Option<WatchEntry<T>> {
        let slot = self.slot(wd)?;
        let mut child = self.node(slot)?.first_child;
        while child != NONE {
            let next = self.node(child).map_or(NONE, |c| c.next);
            self.make_root(child);
            child = next;
        }
        if let Ok(found) = self.by_wd.find_entry(wd_hash(wd.as_raw()), |&s| s == slot) {
            found.remove();
        }
        self.unindex(slot);
        self.unlink(slot);
        let node = self.slots.get_mut(slot as usize)?.take()?;
        self.generation += 1;
        self.names.release(slot, node.name);
        self.free.push(slot);
        self.len -= 1;
        if self.names.wants_compaction() {
            self.compact_names();
        }
        Some(node.entry)
    }

    /// Every watch, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (WatchDescriptor, &WatchEntry<T>)> {
        self.slots.iter().flatten().map(|n| (n.wd, &n.entry))
    }

    /// Descriptors of `path` and of every watch below it.
    pub fn subtree(&self, path: &Path) -> Vec<WatchDescriptor> {
        let path = normalized(path);
        let mut out = Vec::new();
        if let Some(slot) = self.slot_of_path(&path) {
            self.collect(slot, &mut out);
        }
        // Roots below `path` whose parents are not watched.
        for &root in &self.roots {
            let Some(node) = self.node(root) else {
                continue;
            };
            let own = self.names.get(root, node.name);
            if below(own, path.as_os_str().as_encoded_bytes()) && !out.contains(&node.wd) {
                self.collect(root, &mut out);
            }
        }
        out
    }

    /// `wd` and the descriptors of every watch below it.
    pub fn subtree_of(&self, wd: WatchDescriptor) -> Vec<WatchDescriptor> {
        let mut out = Vec::new();
        if let Some(slot) = self.slot(wd) {
            self.collect(slot, &mut out);
        }
        out
    }

    /// Renames `from` and everything below it to `to` (a directory moved
    /// within the watched tree): one node update. Returns how many watches
    /// changed path.
    pub fn rename(&mut self, from: &Path, to: &Path) -> usize {
        let from = normalize(from);
        let to = normalize(to);
        if from == to {
            return self.subtree(&from).len();
        }
        let mut moved = 0;
        if let Some(slot) = self.slot_of_path(&from) {
            moved += self.subtree_size(slot);
            self.relocate(slot, &to);
        }
        // Roots below `from` (their parents unwatched) move by prefix.
        let from_bytes = from.as_os_str().as_encoded_bytes();
        let under: Vec<u32> = self
            .roots
            .iter()
            .copied()
            .filter(|&r| {
                self.node(r)
                    .is_some_and(|n| below(self.names.get(r, n.name), from_bytes))
            })
            .collect();
        for root in under {
            let Some(node) = self.node(root) else {
                continue;
            };
            let own = self.names.get(root, node.name);
            let rest = &own[from_bytes.len()..];
            let mut new = to.as_os_str().as_encoded_bytes().to_vec();
            new.extend_from_slice(rest);
            moved += self.subtree_size(root);
            self.relocate(root, Path::new(&bytes_to_os(new)));
        }
        moved
    }

    /// Moves the node in `slot` to `to`: under the node of `to`'s parent
    /// when that is watched (and not inside `slot`'s own subtree), else as
    /// a root.
    fn relocate(&mut self, slot: u32, to: &Path) {
        let target = match split(to) {
            Some((dir, name)) => match self.slot_of_path(dir) {
                Some(p) if !self.slot_within(p, slot) => (p, name.as_encoded_bytes()),
                _ => (NONE, to.as_os_str().as_encoded_bytes()),
            },
            None => (NONE, to.as_os_str().as_encoded_bytes()),
        };
        self.attach(slot, target.0, target.1);
    }

    /// Puts `entry` for `wd` at (`parent`, `name`).
    fn place(
        &mut self,
        wd: WatchDescriptor,
        parent: u32,
        name: &[u8],
        entry: WatchEntry<T>,
    ) -> Option<WatchEntry<T>> {
        if let Some(slot) = self.slot(wd) {
            // A stale picture must never make a node its own ancestor.
            if parent != NONE && self.slot_within(parent, slot) {
                let mut path = Vec::new();
                self.write_path(parent, &mut path);
                push_component(&mut path, name);
                self.attach(slot, NONE, &path);
            } else {
                self.attach(slot, parent, name);
            }
            let node = self.node_mut(slot)?;
            return Some(std::mem::replace(&mut node.entry, entry));
        }
        let slot = if let Some(slot) = self.free.pop() {
            slot
        } else {
            // Below NONE: the kernel's watch limit is far under 2^32.
            let slot = u32::try_from(self.slots.len())
                .unwrap_or(NONE - 1)
                .min(NONE - 1);
            self.slots.push(None);
            slot
        };
        let name_ref = self.names.push(slot, name);
        if let Some(cell) = self.slots.get_mut(slot as usize) {
            *cell = Some(Node {
                wd,
                parent: NONE,
                first_child: NONE,
                next: NONE,
                prev: NONE,
                name: name_ref,
                entry,
            });
        }
        self.len += 1;
        self.by_wd.insert_unique(wd_hash(wd.as_raw()), slot, |&s| {
            slot_wd_hash(&self.slots, s)
        });
        self.link(slot, parent);
        self.index(slot);
        None
    }

    /// Moves the node in `slot` to (`parent`, `name`), children included.
    fn attach(&mut self, slot: u32, parent: u32, name: &[u8]) {
        self.generation += 1;
        self.unindex(slot);
        self.unlink(slot);
        if let Some(old) = self.node(slot).map(|n| n.name) {
            self.names.release(slot, old);
        }
        let name = self.names.push(slot, name);
        if let Some(node) = self.node_mut(slot) {
            node.name = name;
        }
        self.link(slot, parent);
        self.index(slot);
    }

    /// Turns the node in `slot` into a root under its current path.
    fn make_root(&mut self, slot: u32) {
        let mut path = Vec::new();
        self.write_path(slot, &mut path);
        self.attach(slot, NONE, &path);
    }

    /// Whether `slot` is `ancestor` or lies below it.
    fn slot_within(&self, mut slot: u32, ancestor: u32) -> bool {
        let mut steps = 0;
        while slot != NONE && steps <= self.len {
            if slot == ancestor {
                return true;
            }
            slot = self.node(slot).map_or(NONE, |n| n.parent);
            steps += 1;
        }
        false
    }

    /// The length of the path of `slot`.
    fn path_len(&self, mut slot: u32) -> usize {
        let mut len = 0;
        while let Some(node) = self.node(slot) {
            len += self.names.get(slot, node.name).len();
            if let Some(parent) = self.node(node.parent)
                && !self.names.get(node.parent, parent.name).ends_with(b"/")
            {
                len += 1;
            }
            slot = node.parent;
        }
        len
    }

    /// Appends the path of `slot` to `out`: its length first, then the
    /// names from the last one back, so nothing is allocated on the way.
    fn write_path(&self, slot: u32, out: &mut Vec<u8>) {
        let start = out.len();
        let len = self.path_len(slot);
        out.resize(start + len, 0);
        let mut end = start + len;
        let mut at = slot;
        while let Some(node) = self.node(at) {
            let name = self.names.get(at, node.name);
            let Some(begin) = end.checked_sub(name.len()).filter(|&b| b >= start) else {
                break;
            };
            out[begin..end].copy_from_slice(name);
            end = begin;
            if let Some(parent) = self.node(node.parent)
                && !self.names.get(node.parent, parent.name).ends_with(b"/")
                && end > start
            {
                end -= 1;
                out[end] = b'/';
            }
            at = node.parent;
        }
    }

    /// Pushes the descriptors of `slot` and everything below it.
    fn collect(&self, slot: u32, out: &mut Vec<WatchDescriptor>) {
        let mut stack = vec![slot];
        while let Some(s) = stack.pop() {
            let Some(node) = self.node(s) else { continue };
            out.push(node.wd);
            let mut child = node.first_child;
            while let Some(c) = self.node(child) {
                stack.push(child);
                child = c.next;
            }
        }
    }

    /// How many nodes `slot`'s subtree holds.
    fn subtree_size(&self, slot: u32) -> usize {
        let mut out = Vec::new();
        self.collect(slot, &mut out);
        out.len()
    }

    /// Rewrites the name arena without its garbage.
    fn compact_names(&mut self) {
        let live = self
            .slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, n)| Some((u32::try_from(i).ok()?, &mut n.as_mut()?.name)));
        self.names.compact(live);
    }
}

/// Appends `/name` to `path` (no second `/` after a root `/`).
fn push_component(path: &mut Vec<u8>, name: &[u8]) {
    if !path.is_empty() && path.last() != Some(&b'/') {
        path.push(b'/');
    }
    path.extend_from_slice(name);
}

/// Bytes that came from `OsStr`s and `/` as an `OsString`.
fn bytes_to_os(bytes: Vec<u8>) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(bytes)
}

/// Splits a normalised path into its parent and last component (`None`
/// for `/`, `.`, `..` runs and single components, which have no watched
/// parent to hang from).
fn split(path: &Path) -> Option<(&Path, &OsStr)> {
    let name = path.file_name()?;
    let parent = path.parent()?;
    if parent.as_os_str().is_empty() {
        return None;
    }
    Some((parent, name))
}

/// Whether the path `own` lies strictly below the path `dir` (by
/// components).
fn below(own: &[u8], dir: &[u8]) -> bool {
    own.len() > dir.len() && own.starts_with(dir) && (dir.ends_with(b"/") || own[dir.len()] == b'/')
}
