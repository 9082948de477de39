//! [`Rec`], one fanotify record owned: compact, because a round holds a
//! whole queue of them at once (scans drain the group in the middle of a
//! round, and a merged `DELETE` must wait for the object's later records),
//! and [`IdKey`], which looks a parsed handle up in maps keyed by
//! [`FileIdBuf`] without copying it into one.
//!
//! A `Rec` keeps its handles' bytes and the entry name together, inline
//! when they fit in 60 bytes (boxed when not), and their places as
//! [`Span`]s: about 190 bytes a record and no allocation for most, where
//! two inline [`FileIdBuf`]s and an `OsString` took 376 bytes and an
//! allocation. A full queue of records then fits in half the memory, and
//! the drain's page faults, copies and allocator calls shrink with it.

use std::ffi::{OsStr, OsString};
use std::hash::{Hash, Hasher};
use std::os::unix::ffi::OsStrExt;

use hashbrown::Equivalent;
use inotify_core::{FanEvent, FanEventMask, FileHandle, FileId, FileIdBuf, InfoRecord};

/// A parsed handle as a key of maps keyed by [`FileIdBuf`]: it hashes as
/// the buffer does (`FileIdBuf` hashes as its [`FileId`]) and compares
/// with it byte for byte, so a lookup copies nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdKey<'a>(pub FileId<'a>);

impl Hash for IdKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Equivalent<FileIdBuf> for IdKey<'_> {
    fn equivalent(&self, key: &FileIdBuf) -> bool {
        self.0 == key.as_file_id()
    }
}

/// Where a handle's bytes are in a record's `bytes`, with the rest of it.
#[derive(Clone, Copy)]
struct Span {
    fsid: [i32; 2],
    handle_type: i32,
    at: u16,
    len: u16,
}

/// The bytes of a record's handles and name: inline when they fit (a
/// name of up to about 30 bytes beside two handles of 12), so most records
/// cost no allocation; boxed otherwise.
#[derive(Clone)]
enum Bytes {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

/// Bytes a record holds without an allocation.
const INLINE: usize = 60;

impl Bytes {
    fn of(bytes: &[u8]) -> Self {
        match (u8::try_from(bytes.len()), bytes.len() <= INLINE) {
            (Ok(len), true) => {
                let mut buf = [0; INLINE];
                if let Some(head) = buf.get_mut(..bytes.len()) {
                    head.copy_from_slice(bytes);
                }
                Bytes::Inline { len, buf }
            }
            _ => Bytes::Heap(bytes.into()),
        }
    }

    fn get(&self, from: u16, len: u16) -> &[u8] {
        let all: &[u8] = match self {
            Bytes::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Bytes::Heap(bytes) => bytes,
        };
        let from = usize::from(from);
        all.get(from..from + usize::from(len)).unwrap_or_default()
    }
}

/// A name's place in a record's `bytes`.
#[derive(Clone, Copy)]
struct NameSpan {
    at: u16,
    len: u16,
}

/// One record, owned.
#[derive(Clone)]
pub(crate) struct Rec {
    pub(crate) mask: FanEventMask,
    /// The bytes of `dir`'s and `fid`'s handles and of the entry name.
    bytes: Bytes,
    /// The directory's handle and the entry name (`"."`: the directory
    /// itself).
    dir: Option<(Span, NameSpan)>,
    /// The object's own handle.
    fid: Option<Span>,
    /// Where a `FAN_RENAME` entry was (boxed, as `new`: only renames have
    /// them).
    pub(crate) old: Option<Box<(FileIdBuf, OsString)>>,
    /// Where it is now.
    pub(crate) new: Option<Box<(FileIdBuf, OsString)>>,
    /// The process that caused it.
    pub(crate) pid: i32,
    /// Its place in the order records were read.
    pub(crate) seq: u64,
    /// The next record read of the same object, while both are queued
    /// (set when that one is read): a merged `DELETE` goes behind the
    /// last of the chain.
    pub(crate) later: Option<u64>,
}

impl Rec {
    /// Whether the record is about a directory.
    pub(crate) fn is_dir(&self) -> bool {
        self.mask.is_dir()
    }

    /// The handle at `span`.
    fn id(&self, span: Span) -> FileId<'_> {
        let bytes = self.bytes.get(span.at, span.len);
        FileId {
            fsid: span.fsid,
            handle: FileHandle {
                handle_type: span.handle_type,
                bytes,
            },
        }
    }

    /// The object's own handle, borrowed.
    pub(crate) fn fid_ref(&self) -> Option<FileId<'_>> {
        self.fid.map(|span| self.id(span))
    }

    /// The object's own handle.
    pub(crate) fn fid(&self) -> Option<FileIdBuf> {
        self.fid_ref().and_then(FileIdBuf::from_file_id)
    }

    /// The directory's handle and the entry name.
    pub(crate) fn dir(&self) -> Option<(FileId<'_>, &OsStr)> {
        let (span, name) = self.dir?;
        let name = self.bytes.get(name.at, name.len);
        Some((self.id(span), OsStr::from_bytes(name)))
    }

    /// The owned copy of `event`; `target` says whether directory-entry
    /// records carry the entry's handle (`FAN_REPORT_TARGET_FID`): without
    /// it their object handle is the directory's, and is not kept.
    /// `scratch` is a reused buffer the bytes are gathered in.
    pub(crate) fn of(event: &FanEvent<'_>, target: bool, scratch: &mut Vec<u8>) -> Rec {
        let entry =
            FanEventMask::CREATE | FanEventMask::DELETE | FanEventMask::MOVE | FanEventMask::RENAME;
        let keep_fid = target || !event.mask.intersects(entry);
        let own = |id: FileId<'_>, name: &OsStr| {
            FileIdBuf::from_file_id(id).map(|id| Box::new((id, name.to_os_string())))
        };
        scratch.clear();
        let mut dir = None;
        let mut fid = None;
        let mut old = None;
        let mut new = None;
        // One pass over the info records; the first of each type counts,
        // as with `FanEvent`'s accessors.
        for record in event.records() {
            match record {
                InfoRecord::Fid(id) if keep_fid && fid.is_none() => fid = push_id(scratch, id),
                InfoRecord::DfidName(id, name) if dir.is_none() => {
                    dir = push_id(scratch, id).zip(push_name(scratch, name));
                }
                InfoRecord::OldDfidName(id, name) if old.is_none() => old = own(id, name),
                InfoRecord::NewDfidName(id, name) if new.is_none() => new = own(id, name),
                _ => {}
            }
        }
        Rec {
            mask: event.mask,
            bytes: Bytes::of(scratch),
            dir,
            fid,
            old,
            new,
            pid: event.pid,
            seq: 0,
            later: None,
        }
    }
}

/// Appends `id`'s bytes to `bytes`; `None` for a handle longer than
/// [`FileIdBuf::MAX_LEN`] (the kernel never makes one), as
/// [`FileIdBuf::from_file_id`] refuses it.
fn push_id(bytes: &mut Vec<u8>, id: FileId<'_>) -> Option<Span> {
    let len = id.handle.bytes.len();
    if len > FileIdBuf::MAX_LEN {
        return None;
    }
    let at = u16::try_from(bytes.len()).ok()?;
    bytes.extend_from_slice(id.handle.bytes);
    Some(Span {
        fsid: id.fsid,
        handle_type: id.handle.handle_type,
        at,
        len: u16::try_from(len).ok()?,
    })
}

/// Appends `name` to `bytes`.
fn push_name(bytes: &mut Vec<u8>, name: &OsStr) -> Option<NameSpan> {
    let at = u16::try_from(bytes.len()).ok()?;
    let len = u16::try_from(name.len()).ok()?;
    bytes.extend_from_slice(name.as_bytes());
    Some(NameSpan { at, len })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashbrown::HashMap;
    use inotify_core::{encode_fan_event, parse_fan_event};

    fn id(bytes: &[u8]) -> FileId<'_> {
        FileId {
            fsid: [3, 4],
            handle: FileHandle {
                handle_type: 1,
                bytes,
            },
        }
    }

    fn rec_of(mask: FanEventMask, records: &[InfoRecord<'_>], target: bool) -> Rec {
        let mut buf = Vec::new();
        encode_fan_event(&mut buf, mask.bits(), 7, records);
        let (event, _) = parse_fan_event(&buf).unwrap().unwrap();
        Rec::of(&event, target, &mut Vec::new())
    }

    #[test]
    fn a_record_keeps_its_directory_name_and_object() {
        let dir = id(&[1; 8]);
        let obj = id(&[2; 12]);
        let rec = rec_of(
            FanEventMask::CREATE | FanEventMask::DELETE,
            &[
                InfoRecord::DfidName(dir, OsStr::from_bytes(b"a\xffb")),
                InfoRecord::Fid(obj),
            ],
            true,
        );
        assert_eq!(rec.dir(), Some((dir, OsStr::from_bytes(b"a\xffb"))));
        assert_eq!(rec.fid_ref(), Some(obj));
        assert_eq!(rec.fid(), FileIdBuf::from_file_id(obj));
        assert_eq!(rec.pid, 7);
        assert!(rec.old.is_none() && rec.new.is_none());
    }

    #[test]
    fn without_target_fid_an_entry_records_object_is_not_kept() {
        let dir = id(&[1; 8]);
        let rec = rec_of(
            FanEventMask::CREATE,
            &[
                InfoRecord::DfidName(dir, OsStr::new("f")),
                InfoRecord::Fid(dir),
            ],
            false,
        );
        assert!(rec.fid_ref().is_none());
        let modify = rec_of(FanEventMask::MODIFY, &[InfoRecord::Fid(dir)], false);
        assert_eq!(modify.fid_ref(), Some(dir));
        assert!(modify.dir().is_none());
    }

    #[test]
    fn a_rename_keeps_both_places() {
        let (a, b) = (id(&[1; 8]), id(&[5; 8]));
        let rec = rec_of(
            FanEventMask::RENAME,
            &[
                InfoRecord::OldDfidName(a, OsStr::new("x")),
                InfoRecord::NewDfidName(b, OsStr::new("y")),
            ],
            true,
        );
        let old = rec.old.as_deref().unwrap();
        let new = rec.new.as_deref().unwrap();
        assert_eq!(
            (old.0.as_file_id(), old.1.as_os_str()),
            (a, OsStr::new("x"))
        );
        assert_eq!(
            (new.0.as_file_id(), new.1.as_os_str()),
            (b, OsStr::new("y"))
        );
    }

    #[test]
    fn a_long_name_is_kept_whole() {
        let dir = id(&[1; 8]);
        let obj = id(&[2; 40]);
        let long = vec![b'n'; 255];
        let rec = rec_of(
            FanEventMask::CREATE,
            &[
                InfoRecord::DfidName(dir, OsStr::from_bytes(&long)),
                InfoRecord::Fid(obj),
            ],
            true,
        );
        assert_eq!(rec.dir(), Some((dir, OsStr::from_bytes(&long))));
        assert_eq!(rec.fid_ref(), Some(obj));
        assert!(matches!(rec.bytes, Bytes::Heap(_)));
        let short = rec_of(
            FanEventMask::CREATE,
            &[InfoRecord::DfidName(dir, OsStr::new("f"))],
            true,
        );
        assert!(matches!(short.bytes, Bytes::Inline { .. }));
        assert!(size_of::<Rec>() <= 200, "{}", size_of::<Rec>());
    }

    #[test]
    fn a_parsed_handle_finds_its_buffer_in_a_map() {
        let bytes = [9; 12];
        let mut map = HashMap::new();
        map.insert(FileIdBuf::from_file_id(id(&bytes)).unwrap(), 1);
        assert_eq!(map.get(&IdKey(id(&bytes))), Some(&1));
        assert_eq!(map.get(&IdKey(id(&[9; 11]))), None);
    }
}
