//! Directory listing for the recursive add, as the raw loop does it: one
//! `getdents64` at a time into a buffer the walk reuses for every
//! directory, the entry type from `d_type`, no allocation per entry
//! (`std::fs::read_dir` allocates a `DirEntry` name per entry and a shared
//! path per directory, and glibc's `opendir` a 32 KiB buffer per
//! directory).
//!
//! The records are parsed by safe code, like the event parser: fields
//! decoded with `from_ne_bytes`, every length checked against the bytes
//! the kernel returned, a malformed record ends the listing.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::long_path::LongPath;
use crate::sys;

/// Bytes per `getdents64`: a few hundred entries.
pub(crate) const LIST_BUFFER: usize = 32 * 1024;

/// `d_type` of a directory.
const DT_DIR: u8 = 4;
/// `d_type` when the filesystem does not say.
const DT_UNKNOWN: u8 = 0;
/// Offset of `d_reclen` in `linux_dirent64` (after `d_ino`, `d_off`).
const RECLEN_AT: usize = 16;
/// Offset of `d_type`.
const TYPE_AT: usize = 18;
/// Offset of `d_name`.
const NAME_AT: usize = 19;

/// What a listed entry is, as far as `d_type` tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// A directory.
    Dir,
    /// The filesystem did not say (`DT_UNKNOWN`): ask `lstat`.
    Unknown,
    /// Anything else (files, symlinks, devices...).
    Other,
}

/// An open directory being listed: the descriptor and where the walk is
/// in the buffer's last fill.
#[derive(Debug)]
pub(crate) struct Listing {
    dir: File,
    pos: usize,
    end: usize,
}

impl Listing {
    /// Opens the directory `path` (of any length) for listing, without
    /// following a final symlink unless `follow`.
    pub(crate) fn open(path: &Path, follow: bool) -> io::Result<Self> {
        let spelled = LongPath::new(path)?;
        let mut flags = libc::O_DIRECTORY;
        if !follow {
            flags |= libc::O_NOFOLLOW;
        }
        let dir = OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(spelled.as_path())?;
        Ok(Listing {
            dir,
            pos: 0,
            end: 0,
        })
    }

    /// The next entry other than `.` and `..`: where its name is in `buf`
    /// and what it is; `None` at the end. `buf` must be the same buffer
    /// on every call for one listing.
    pub(crate) fn next_entry(
        &mut self,
        buf: &mut [u8],
    ) -> io::Result<Option<(std::ops::Range<usize>, Kind)>> {
        loop {
            if self.pos >= self.end {
                self.end = sys::getdents64(self.dir.as_fd(), buf)?;
                self.pos = 0;
                if self.end == 0 {
                    return Ok(None);
                }
            }
            let Some((name, kind, len)) = record(buf.get(self.pos..self.end).unwrap_or(&[])) else {
                // A record the kernel never writes: stop this listing.
                self.end = 0;
                self.pos = 0;
                return Ok(None);
            };
            let start = self.pos;
            self.pos += len;
            let name = start + name.start..start + name.end;
            let bytes = &buf[name.clone()];
            if bytes != b"." && bytes != b".." {
                return Ok(Some((name, kind)));
            }
        }
    }
}

/// Decodes the record at the start of `bytes`: its name's range, its kind
/// and its length; `None` when it is malformed.
fn record(bytes: &[u8]) -> Option<(std::ops::Range<usize>, Kind, usize)> {
    let reclen = usize::from(u16::from_ne_bytes(
        bytes.get(RECLEN_AT..RECLEN_AT + 2)?.try_into().ok()?,
    ));
    if reclen <= NAME_AT || reclen > bytes.len() {
        return None;
    }
    let kind = match *bytes.get(TYPE_AT)? {
        DT_DIR => Kind::Dir,
        DT_UNKNOWN => Kind::Unknown,
        _ => Kind::Other,
    };
    let name = &bytes[NAME_AT..reclen];
    let len = name.iter().position(|&b| b == 0)?;
    if len == 0 {
        return None;
    }
    Some((NAME_AT..NAME_AT + len, kind, reclen))
}

/// The bytes of a name in the buffer as an `OsStr`.
pub(crate) fn name(buf: &[u8], range: std::ops::Range<usize>) -> &OsStr {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(buf.get(range).unwrap_or(&[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One `linux_dirent64` record of `name` with `d_type`.
    fn rec(name: &[u8], d_type: u8) -> Vec<u8> {
        let len = (NAME_AT + name.len() + 1).next_multiple_of(8);
        let mut out = vec![0u8; len];
        out[RECLEN_AT..RECLEN_AT + 2].copy_from_slice(&u16::try_from(len).unwrap().to_ne_bytes());
        out[TYPE_AT] = d_type;
        out[NAME_AT..NAME_AT + name.len()].copy_from_slice(name);
        out
    }

    #[test]
    fn records_decode_and_malformed_ones_stop() {
        let mut buf = rec(b"sub", DT_DIR);
        buf.extend(rec(b"f", 8));
        let (name, kind, len) = record(&buf).unwrap();
        assert_eq!((&buf[name], kind), (&b"sub"[..], Kind::Dir));
        let (name, kind, _) = record(&buf[len..]).unwrap();
        assert_eq!((&buf[len..][name], kind), (&b"f"[..], Kind::Other));
        assert!(record(&buf[..10]).is_none(), "truncated header");
        let mut short = rec(b"x", DT_DIR);
        short[RECLEN_AT] = 4;
        assert!(record(&short).is_none(), "reclen inside the header");
        let mut unterminated = rec(b"abcde", DT_DIR);
        let n = unterminated.len();
        unterminated[NAME_AT..n].fill(b'a');
        assert!(record(&unterminated).is_none(), "name without NUL");
        for cut in 0..buf.len() {
            let _ = record(&buf[..cut]);
        }
    }

    #[test]
    fn lists_a_real_directory_with_types() {
        let dir = std::env::temp_dir().join(format!("dir-list-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("file"), b"").unwrap();
        std::os::unix::fs::symlink("sub", dir.join("link")).unwrap();
        let mut buf = vec![0u8; 64]; // tiny: several getdents calls
        let mut listing = Listing::open(&dir, false).unwrap();
        let mut seen = Vec::new();
        while let Some((range, kind)) = listing.next_entry(&mut buf).unwrap() {
            seen.push((name(&buf, range).to_owned(), kind));
        }
        seen.sort();
        std::fs::remove_dir_all(&dir).unwrap();
        let kinds: Vec<_> = seen
            .iter()
            .map(|(n, k)| (n.to_str().unwrap(), *k))
            .collect();
        // tmpfs and ext4 fill d_type; a filesystem that does not says Unknown.
        assert_eq!(kinds.len(), 3);
        assert!(kinds.contains(&("sub", Kind::Dir)) || kinds.contains(&("sub", Kind::Unknown)));
        assert!(!kinds.iter().any(|(n, k)| *n != "sub" && *k == Kind::Dir));
    }
}
