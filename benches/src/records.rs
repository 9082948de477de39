//! Synthetic kernel-format record buffers for the parse group, and the
//! minimal record walk (what a C loop over `struct inotify_event` does) that
//! is the baseline of the parse and drain groups.

use inotify_core::{EventMask, encode_record};

/// The event bits the synthetic buffers draw from: only kernel-defined bits,
/// because the `inotify` crate panics on unknown ones.
const MASKS: [EventMask; 8] = [
    EventMask::CREATE,
    EventMask::OPEN,
    EventMask::MODIFY,
    EventMask::CLOSE_WRITE,
    EventMask::ATTRIB,
    EventMask::DELETE,
    EventMask::MOVED_FROM,
    EventMask::MOVED_TO,
];

/// A tiny deterministic generator (xorshift64*), so every run parses the
/// same bytes without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..bound` (`bound > 0`).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// `count` records in the kernel's layout, with a realistic mix: one in ten
/// is about the watch itself (no name), the rest carry names of 1 to 255
/// bytes, mostly short (file names cluster around 8–24 bytes), a few long.
/// One in eight has `ISDIR`; moves carry a cookie.
pub fn synthetic_records(count: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift(seed | 1);
    let mut out = Vec::with_capacity(count * 48);
    let mut name = Vec::with_capacity(255);
    for _ in 0..count {
        let wd = i32::try_from(1 + rng.below(64)).unwrap_or(1);
        let mut mask = MASKS[usize::try_from(rng.below(8)).unwrap_or(0)];
        if rng.below(8) == 0 {
            mask |= EventMask::ISDIR;
        }
        let cookie = if mask.intersects(EventMask::MOVED_FROM | EventMask::MOVED_TO) {
            u32::try_from(rng.below(1 << 20)).unwrap_or(0) + 1
        } else {
            0
        };
        let with_name = rng.below(10) != 0;
        let name_len = match rng.below(20) {
            0 => 1 + rng.below(255),
            1..=3 => 24 + rng.below(40),
            _ => 4 + rng.below(20),
        };
        name.clear();
        for _ in 0..name_len {
            name.push(b'a' + u8::try_from(rng.below(26)).unwrap_or(0));
        }
        let name = with_name.then_some(name.as_slice());
        encode_record(&mut out, wd, mask.bits(), cookie, name, 0);
    }
    out
}

/// What [`raw_walk`] saw: enough to keep the optimiser from skipping work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawWalk {
    /// Records walked.
    pub events: usize,
    /// A fold of every record's wd, mask, cookie and name offset.
    pub checksum: u64,
}

/// Walks the records of `buf` the way a C loop does: read the header, use
/// `wd`, `mask` and the name's position, step over `16 + len` bytes. It
/// neither validates nor looks for the name's NUL — the floor any parser is
/// measured against.
#[inline]
pub fn raw_walk(buf: &[u8]) -> RawWalk {
    let mut walk = RawWalk::default();
    let mut pos = 0;
    while let Some(header) = buf.get(pos..pos + 16) {
        let field = |at: usize| {
            u32::from_ne_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let (wd, mask, cookie, len) = (field(0), field(4), field(8), field(12));
        let name_at = if len == 0 { 0 } else { pos + 16 };
        walk.checksum = walk
            .checksum
            .wrapping_mul(31)
            .wrapping_add(u64::from(wd ^ mask ^ cookie))
            .wrapping_add(name_at as u64);
        walk.events += 1;
        pos += 16 + len as usize;
    }
    walk
}

#[cfg(test)]
mod tests {
    use super::*;
    use inotify_core::Events;

    #[test]
    fn synthetic_records_parse_back_completely() {
        let buf = synthetic_records(1000, 7);
        let mut events = Events::new(&buf);
        let parsed = events.by_ref().count();
        assert_eq!(parsed, 1000);
        assert!(events.error().is_none());
        assert!(events.remainder().is_empty());
        assert_eq!(raw_walk(&buf).events, 1000);
    }

    #[test]
    fn synthetic_records_include_nameless_and_long_names() {
        let buf = synthetic_records(4096, 1);
        let names: Vec<usize> = Events::new(&buf)
            .map(|e| e.name.map_or(0, std::ffi::OsStr::len))
            .collect();
        assert!(names.contains(&0));
        assert!(names.iter().any(|&n| n > 200));
    }
}
