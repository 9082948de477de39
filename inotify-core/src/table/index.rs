//! The tree's links (parent, first child, siblings) and its two indexes
//! (descriptor → slot, (parent, name) → slot): the only code that touches
//! them, so the invariants hold in one place — every live node is in the
//! descriptor index and in its parent's child list (or the roots), and
//! the (parent, name) index points at the nodes whose name's flag is set.

use std::hash::{BuildHasher, Hasher};
use std::path::Path;

use hashbrown::DefaultHashBuilder;

use super::names::Names;
use super::{NONE, Node, WatchTable, below, wd_hash};
use crate::watch::WatchDescriptor;

impl<T> WatchTable<T> {
    /// Links `slot` as the first child of `parent` (or as a root).
    pub(super) fn link(&mut self, slot: u32, parent: u32) {
        let head = if parent == NONE {
            self.roots.push(slot);
            NONE
        } else {
            self.node(parent).map_or(NONE, |p| p.first_child)
        };
        if let Some(node) = self.node_mut(slot) {
            node.parent = parent;
            node.prev = NONE;
            node.next = head;
        }
        if let Some(h) = self.node_mut(head) {
            h.prev = slot;
        }
        if let Some(p) = self.node_mut(parent) {
            p.first_child = slot;
        }
    }

    /// Unlinks `slot` from its parent's children (or from the roots).
    pub(super) fn unlink(&mut self, slot: u32) {
        let Some((parent, prev, next)) = self.node(slot).map(|n| (n.parent, n.prev, n.next)) else {
            return;
        };
        if parent == NONE {
            self.roots.retain(|&r| r != slot);
        } else if prev == NONE
            && let Some(p) = self.node_mut(parent)
        {
            p.first_child = next;
        }
        if let Some(p) = self.node_mut(prev) {
            p.next = next;
        }
        if let Some(n) = self.node_mut(next) {
            n.prev = prev;
        }
        if let Some(node) = self.node_mut(slot) {
            node.parent = NONE;
            node.prev = NONE;
            node.next = NONE;
        }
    }

    /// Points the (parent, name) index at `slot`, taking the key over from
    /// any other node.
    pub(super) fn index(&mut self, slot: u32) {
        let Some(node) = self.node(slot) else {
            return;
        };
        let (parent, name) = (node.parent, self.names.get(slot, node.name));
        let hash = name_hash(self.hasher, parent, name);
        if let Some(other) = self.find_name(parent, name)
            && other != slot
        {
            self.unindex(other);
        }
        let (slots, names, hasher) = (&self.slots, &self.names, self.hasher);
        self.by_name
            .insert_unique(hash, slot, |&s| slot_name_hash(hasher, slots, names, s));
        if let Some(node) = self.node_mut(slot) {
            node.name.set_flag(true);
        }
    }

    /// Takes `slot` out of the (parent, name) index.
    pub(super) fn unindex(&mut self, slot: u32) {
        let Some(node) = self.node(slot).filter(|n| n.name.flag()) else {
            return;
        };
        let hash = name_hash(self.hasher, node.parent, self.names.get(slot, node.name));
        if let Ok(found) = self.by_name.find_entry(hash, |&s| s == slot) {
            found.remove();
        }
        if let Some(node) = self.node_mut(slot) {
            node.name.set_flag(false);
        }
    }

    /// The indexed node named `name` under `parent` ([`NONE`]: the root
    /// with that path).
    pub(super) fn find_name(&self, parent: u32, name: &[u8]) -> Option<u32> {
        let hash = name_hash(self.hasher, parent, name);
        self.by_name
            .find(hash, |&s| {
                self.node(s)
                    .is_some_and(|n| n.parent == parent && self.names.get(s, n.name) == name)
            })
            .copied()
    }

    /// The slot of a normalised `path`: the deepest root it starts with,
    /// then one step per remaining component.
    pub(super) fn slot_of_path(&self, path: &Path) -> Option<u32> {
        let bytes = path.as_os_str().as_encoded_bytes();
        if let Some(slot) = self.find_name(NONE, bytes) {
            return Some(slot);
        }
        let mut best: Option<(usize, u32)> = None;
        let mut consider = |root: u32, own: &[u8]| {
            if best.is_some_and(|(len, _)| len >= own.len()) {
                return;
            }
            let rest = if own.ends_with(b"/") {
                &bytes[own.len()..]
            } else {
                &bytes[own.len() + 1..]
            };
            if let Some(found) = self.descend(root, rest) {
                best = Some((own.len(), found));
            }
        };
        if self.roots.len() <= 8 {
            // Few roots (the usual case): try each.
            for &root in &self.roots {
                let Some(node) = self.node(root).filter(|n| n.name.flag()) else {
                    continue;
                };
                let own = self.names.get(root, node.name);
                if below(bytes, own) {
                    consider(root, own);
                }
            }
        } else {
            // Many roots: look each prefix of `path` up.
            let ends = bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'/' && i > 0)
                .map(|(i, _)| i)
                .chain(bytes.starts_with(b"/").then_some(1));
            for end in ends {
                if let Some(root) = self.find_name(NONE, &bytes[..end]) {
                    consider(root, &bytes[..end]);
                }
            }
        }
        best.map(|(_, slot)| slot)
    }

    /// Follows `rest` (components separated by `/`) down from `slot`.
    pub(super) fn descend(&self, mut slot: u32, rest: &[u8]) -> Option<u32> {
        for part in rest.split(|&b| b == b'/') {
            slot = self.find_name(slot, part)?;
        }
        Some(slot)
    }

    /// The slot of `wd`.
    #[inline]
    pub(super) fn slot(&self, wd: WatchDescriptor) -> Option<u32> {
        let slots = &self.slots;
        self.by_wd
            .find(wd_hash(wd.as_raw()), |&s| {
                slots
                    .get(s as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|n| n.wd == wd)
            })
            .copied()
    }

    #[inline]
    pub(super) fn node(&self, slot: u32) -> Option<&Node<T>> {
        self.slots.get(slot as usize)?.as_ref()
    }

    pub(super) fn node_mut(&mut self, slot: u32) -> Option<&mut Node<T>> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }
}

/// The (parent, name) index's hash.
pub(super) fn name_hash(hasher: DefaultHashBuilder, parent: u32, name: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write_u32(parent);
    h.write(name);
    h.finish()
}

/// Rehash callback of the descriptor index.
pub(super) fn slot_wd_hash<T>(slots: &[Option<Node<T>>], slot: u32) -> u64 {
    slots
        .get(slot as usize)
        .and_then(Option::as_ref)
        .map_or(0, |n| wd_hash(n.wd.as_raw()))
}

/// Rehash callback of the (parent, name) index.
pub(super) fn slot_name_hash<T>(
    hasher: DefaultHashBuilder,
    slots: &[Option<Node<T>>],
    names: &Names,
    slot: u32,
) -> u64 {
    slots
        .get(slot as usize)
        .and_then(Option::as_ref)
        .map_or(0, |n| name_hash(hasher, n.parent, names.get(slot, n.name)))
}
