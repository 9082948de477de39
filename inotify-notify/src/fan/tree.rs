//! [`FanTree`]: the directories watched by fanotify inode marks, each
//! known by its synthetic descriptor, its file handle (what records name it
//! by) and its path (built from renames we were told about).
//!
//! One owner for the three indexes, so they never disagree: a directory is
//! inserted, renamed (with its subtree) and removed (with its subtree) by
//! the operations here only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// hashbrown's seeded foldhash: one or two lookups by handle per record.
use hashbrown::HashMap;

use inotify_core::{FileId, FileIdBuf, WatchDescriptor};

use super::rec::IdKey;

use crate::watch::WatchData;

/// One marked directory.
pub(crate) struct Node {
    pub id: FileIdBuf,
    pub path: PathBuf,
    pub data: WatchData,
}

/// The marked directories (see the module docs).
#[derive(Default)]
pub(crate) struct FanTree {
    nodes: HashMap<WatchDescriptor, Node>,
    by_id: HashMap<FileIdBuf, WatchDescriptor>,
    /// Ordered so that a subtree is one range (`Path` orders by
    /// component, so `a/b/...` sorts right after `a/b`).
    by_path: BTreeMap<PathBuf, WatchDescriptor>,
}

impl FanTree {
    /// Number of marked directories.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The node of `wd`.
    pub(crate) fn get(&self, wd: WatchDescriptor) -> Option<&Node> {
        self.nodes.get(&wd)
    }

    /// The node of `wd`, to change its data.
    pub(crate) fn get_mut(&mut self, wd: WatchDescriptor) -> Option<&mut Node> {
        self.nodes.get_mut(&wd)
    }

    /// The descriptor of the directory a record names by handle.
    pub(crate) fn by_id(&self, id: FileId<'_>) -> Option<WatchDescriptor> {
        self.by_id.get(&IdKey(id)).copied()
    }

    /// The descriptor of the directory at `path`.
    pub(crate) fn by_path(&self, path: &Path) -> Option<WatchDescriptor> {
        self.by_path.get(path).copied()
    }

    /// Every node, in no order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (WatchDescriptor, &Node)> {
        self.nodes.iter().map(|(wd, node)| (*wd, node))
    }

    /// Adds a directory; a node already at `path` or with `id` is replaced.
    pub(crate) fn insert(&mut self, wd: WatchDescriptor, node: Node) {
        if let Some(old) = self.by_path.get(&node.path).copied() {
            self.remove(old);
        }
        if let Some(old) = self.by_id.get(&node.id).copied() {
            self.remove(old);
        }
        self.by_id.insert(node.id, wd);
        self.by_path.insert(node.path.clone(), wd);
        self.nodes.insert(wd, node);
    }

    /// Removes one node.
    pub(crate) fn remove(&mut self, wd: WatchDescriptor) -> Option<Node> {
        let node = self.nodes.remove(&wd)?;
        self.by_id.remove(&node.id);
        self.by_path.remove(&node.path);
        Some(node)
    }

    /// The descriptors at `path` and below it, `path`'s first.
    pub(crate) fn subtree(&self, path: &Path) -> Vec<WatchDescriptor> {
        self.by_path
            .range::<Path, _>((std::ops::Bound::Included(path), std::ops::Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(path))
            .map(|(_, wd)| *wd)
            .collect()
    }

    /// Removes the nodes at `path` and below, returning them.
    pub(crate) fn remove_subtree(&mut self, path: &Path) -> Vec<(WatchDescriptor, Node)> {
        self.subtree(path)
            .into_iter()
            .filter_map(|wd| self.remove(wd).map(|node| (wd, node)))
            .collect()
    }

    /// Moves the nodes at and below `src` below `dst`, keeping what is at
    /// `dst` already except where a moved node takes its path (or is the
    /// same directory).
    pub(crate) fn merge_into(&mut self, src: &Path, dst: &Path) {
        for (wd, mut node) in self.remove_subtree(src) {
            let rest = node.path.strip_prefix(src).map(Path::to_path_buf);
            node.path = match rest {
                Ok(rest) if rest.as_os_str().is_empty() => dst.to_path_buf(),
                Ok(rest) => dst.join(rest),
                Err(_) => node.path,
            };
            self.insert(wd, node);
        }
    }

    /// Moves the subtree at `src` to `dst` (what was at `dst` is dropped
    /// and returned, as a rename over an empty directory replaces it).
    pub(crate) fn rename(&mut self, src: &Path, dst: &Path) -> Vec<(WatchDescriptor, Node)> {
        let moved = self.remove_subtree(src);
        let replaced = self.remove_subtree(dst);
        for (wd, mut node) in moved {
            let rest = node.path.strip_prefix(src).map(Path::to_path_buf);
            node.path = match rest {
                Ok(rest) if rest.as_os_str().is_empty() => dst.to_path_buf(),
                Ok(rest) => dst.join(rest),
                Err(_) => node.path,
            };
            self.insert(wd, node);
        }
        replaced
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inotify_core::WatchMask;

    fn node(path: &str) -> Node {
        let dir = std::env::temp_dir();
        let real = FileIdBuf::of(&dir).unwrap();
        let mut id = real.as_file_id();
        // Distinct fake handles: a one-byte handle per path.
        let byte = [u8::try_from(path.len() % 251).unwrap()];
        id.handle.bytes = &byte;
        Node {
            id: FileIdBuf::from_file_id(id).unwrap(),
            path: PathBuf::from(path),
            data: WatchData {
                user_mask: WatchMask::CREATE,
                rec: true,
                auto_add: true,
                is_dir: true,
                root: false,
                hooks: None,
            },
        }
    }

    #[test]
    fn rename_moves_the_subtree_only() {
        let mut tree = FanTree::default();
        let wd = WatchDescriptor::from_raw;
        tree.insert(wd(1), node("/r"));
        tree.insert(wd(2), node("/r/a"));
        tree.insert(wd(3), node("/r/a/bb"));
        tree.insert(wd(4), node("/r/a-c"));
        tree.rename(Path::new("/r/a"), Path::new("/r/zzzzz"));
        assert_eq!(tree.by_path(Path::new("/r/zzzzz")), Some(wd(2)));
        assert_eq!(tree.by_path(Path::new("/r/zzzzz/bb")), Some(wd(3)));
        assert_eq!(tree.by_path(Path::new("/r/a-c")), Some(wd(4)));
        assert_eq!(tree.subtree(Path::new("/r/zzzzz")), [wd(2), wd(3)]);
        assert_eq!(tree.remove_subtree(Path::new("/r")).len(), 4);
        assert_eq!(tree.len(), 0);
    }
}
