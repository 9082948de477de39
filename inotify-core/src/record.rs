//! [`encode_record`]: builds kernel-format records by hand, for tests,
//! benchmarks and fuzz seeds that need realistic buffers without a kernel.

use inotify_sys::INOTIFY_EVENT_SIZE;

/// Appends one record in the kernel's layout to `out`.
///
/// The name gets a NUL and is padded with NULs to a multiple of 16 bytes, as
/// the kernel does (`padding` adds that many more NULs, to mimic other
/// paddings). Returns the record's length.
///
/// ```
/// use inotify_core::{encode_record, Events, EventMask};
/// let mut buf = Vec::new();
/// encode_record(&mut buf, 3, EventMask::CREATE.bits(), 0, Some(b"f"), 0);
/// encode_record(&mut buf, 3, EventMask::DELETE_SELF.bits(), 0, None, 0);
/// let kinds: Vec<_> = Events::new(&buf).map(|e| e.mask).collect();
/// assert_eq!(kinds, [EventMask::CREATE, EventMask::DELETE_SELF]);
/// ```
pub fn encode_record(
    out: &mut Vec<u8>,
    wd: i32,
    mask: u32,
    cookie: u32,
    name: Option<&[u8]>,
    padding: usize,
) -> usize {
    let name_len = name.map_or(0, |n| (n.len() + 1).next_multiple_of(16) + padding);
    let start = out.len();
    out.extend_from_slice(&wd.to_ne_bytes());
    out.extend_from_slice(&mask.to_ne_bytes());
    out.extend_from_slice(&cookie.to_ne_bytes());
    out.extend_from_slice(&u32::try_from(name_len).unwrap_or(u32::MAX).to_ne_bytes());
    if let Some(name) = name {
        out.extend_from_slice(name);
        out.resize(start + INOTIFY_EVENT_SIZE + name_len, 0);
    }
    out.len() - start
}
