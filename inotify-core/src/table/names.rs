//! The byte arena that holds every node's name: one allocation for all
//! names instead of one per watch (a short name in its own `Box` costs a
//! 32-byte heap chunk and a 16-byte pointer; here it costs its bytes and
//! an 8-byte [`NameRef`]).

use std::collections::HashMap;

/// Where a name lives in the [`Names`] arena, and one flag of its node
/// (the top bit of `len`, so a node costs no padding for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NameRef {
    start: u32,
    len: u32,
}

/// The flag bit in `NameRef::len`.
const FLAG: u32 = 1 << 31;

impl NameRef {
    /// The node's flag (the table's "indexed by (parent, name)").
    pub(super) fn flag(self) -> bool {
        self.len & FLAG != 0
    }

    /// Sets the node's flag.
    pub(super) fn set_flag(&mut self, on: bool) {
        self.len = if on {
            self.len | FLAG
        } else {
            self.len & !FLAG
        };
    }

    /// The name's length in the arena.
    fn bytes(self) -> usize {
        (self.len & !FLAG) as usize
    }
}

/// `start` of a name kept in [`Names::overflow`]: the arena would pass
/// 4 GiB (never seen: names are at most 255 bytes, roots' paths rarely
/// longer than a few hundred).
const OVERFLOW: u32 = u32::MAX;

/// Names, appended; a removed or renamed node's old bytes become garbage,
/// reclaimed by [`Names::compact`] once it outweighs the live bytes.
#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    pub(super) bytes: Vec<u8>,
    garbage: usize,
    /// Names that did not fit under the 4 GiB offset limit, by slot.
    overflow: HashMap<u32, Box<[u8]>>,
}

impl Names {
    /// Stores `name` for the node in `slot`.
    pub(super) fn push(&mut self, slot: u32, name: &[u8]) -> NameRef {
        let end = self.bytes.len().saturating_add(name.len());
        let (Ok(start), Ok(len), true) = (
            u32::try_from(self.bytes.len()),
            u32::try_from(name.len()),
            end < OVERFLOW as usize && name.len() < FLAG as usize,
        ) else {
            self.overflow.insert(slot, name.into());
            return NameRef {
                start: OVERFLOW,
                len: 0,
            };
        };
        self.bytes.extend_from_slice(name);
        NameRef { start, len }
    }

    /// The bytes of `name`, stored for the node in `slot`.
    pub(super) fn get(&self, slot: u32, name: NameRef) -> &[u8] {
        if name.start == OVERFLOW {
            return self.overflow.get(&slot).map_or(&[], |b| b);
        }
        let start = name.start as usize;
        self.bytes.get(start..start + name.bytes()).unwrap_or(&[])
    }

    /// Marks `name` (of `slot`) as no longer used.
    pub(super) fn release(&mut self, slot: u32, name: NameRef) {
        if name.start == OVERFLOW {
            self.overflow.remove(&slot);
        } else {
            self.garbage += name.bytes();
        }
    }

    /// Whether enough is garbage for a compaction to pay.
    pub(super) fn wants_compaction(&self) -> bool {
        self.garbage > 4096 && self.garbage * 2 > self.bytes.len()
    }

    /// Copies the live names (given as `(slot, ref)` pairs, updated in
    /// place) into a fresh arena of the right size.
    pub(super) fn compact<'n>(&mut self, live: impl Iterator<Item = (u32, &'n mut NameRef)>) {
        let old = std::mem::take(&mut self.bytes);
        self.bytes = Vec::with_capacity(old.len() - self.garbage.min(old.len()));
        self.garbage = 0;
        for (slot, name) in live {
            if name.start == OVERFLOW {
                continue;
            }
            let start = name.start as usize;
            let bytes = old.get(start..start + name.bytes()).unwrap_or(&[]);
            let flag = name.flag();
            *name = self.push(slot, bytes);
            name.set_flag(flag);
        }
    }
}
