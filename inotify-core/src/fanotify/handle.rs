//! File handles to paths: [`FileIdBuf`] (the handle of a path, from
//! `name_to_handle_at`), [`HandleCache`] (a bounded map from handles to
//! paths) and [`HandleResolver`] (`open_by_handle_at` against a mount
//! descriptor, then the path the kernel gives that descriptor).
//!
//! fanotify in FID mode names a directory by `(fsid, handle)`, not by path,
//! so a consumer needs a way back to paths. Two exist, and both are here:
//! - **map what you marked**: take the handle of each directory you mark
//!   ([`FileIdBuf::of`]) and keep `handle → path` yourself. It needs no
//!   privilege and stays correct across renames if you track them.
//! - **open the handle**: [`HandleResolver::resolve`] opens it on the
//!   filesystem (`open_by_handle_at`, which needs `CAP_DAC_READ_SEARCH`,
//!   against a read-only descriptor of any directory there) and
//!   reads `/proc/self/fd/N`, which is what a filesystem mark needs, as it
//!   reports directories nobody marked. The answer is cached by handle.
//!
//! Paths from `/proc/self/fd` are the kernel's current name of the object,
//! as seen through the mount the resolver was opened on and this process's
//! root; a cached path goes stale when the directory is renamed, so callers
//! remove entries on `MOVED_*`/`RENAME` of directories (or clear the cache).

use std::collections::VecDeque;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use hashbrown::HashMap;
use inotify_sys::MAX_HANDLE_SZ;

use super::error::open_handle_error;
use super::event::{FileHandle, FileId};
use crate::error::with_context;
use crate::sys;

/// An owned [`FileId`]: fixed size, no allocation, `Copy`.
///
/// Hashes as its [`FileId`] does (filesystem id, handle type, the handle's
/// `len` bytes), not its whole 128-byte array: a handle is usually 8 to 20
/// bytes, and records are hashed by handle once or twice each.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FileIdBuf {
    fsid: [i32; 2],
    handle_type: i32,
    bytes: [u8; MAX_HANDLE_SZ],
    /// Invariant: at most `MAX_HANDLE_SZ`; bytes past it are zero.
    len: usize,
}

impl FileIdBuf {
    /// The longest handle a buffer holds, in bytes (`MAX_HANDLE_SZ`):
    /// [`FileIdBuf::from_file_id`] refuses a longer one.
    pub const MAX_LEN: usize = MAX_HANDLE_SZ;

    /// The handle and filesystem id of `path` (following symbolic links, as
    /// marks do): what fanotify reports for that object. For directories
    /// this is the `DFID` of the events of their entries, so a program can
    /// map the directories it marked without opening handles.
    ///
    /// ```
    /// use inotify_core::FileIdBuf;
    /// let tmp = FileIdBuf::of(std::env::temp_dir())?;
    /// assert_eq!(tmp, FileIdBuf::of(std::env::temp_dir())?);
    /// assert!(!tmp.as_file_id().handle.bytes.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// As `open(2)` (ENOENT, EACCES), and EOPNOTSUPP for filesystems without
    /// file handles; the message names the path.
    #[doc(alias = "name_to_handle_at")]
    pub fn of<P: AsRef<Path>>(path: P) -> io::Result<FileIdBuf> {
        Self::with_mount_id(path).map(|(id, _)| id)
    }

    /// [`FileIdBuf::of`], plus the id of the mount `path` is on (the
    /// first field of `/proc/self/mountinfo`, which `name_to_handle_at`
    /// reports beside the handle): two paths share a `FAN_MARK_MOUNT`
    /// mark when their mount ids are equal, as bind mounts of one
    /// filesystem share its fsid but not their mount ids.
    ///
    /// ```
    /// use inotify_core::FileIdBuf;
    /// let (id, mount) = FileIdBuf::with_mount_id(std::env::temp_dir())?;
    /// assert_eq!(id, FileIdBuf::of(std::env::temp_dir())?);
    /// assert_eq!(mount, FileIdBuf::with_mount_id(std::env::temp_dir())?.1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`FileIdBuf::of`].
    #[doc(alias = "name_to_handle_at")]
    pub fn with_mount_id<P: AsRef<Path>>(path: P) -> io::Result<(FileIdBuf, i32)> {
        Self::lookup(path.as_ref(), true)
    }

    /// [`FileIdBuf::of`] without following a final symbolic link: a link's
    /// own handle, what the events of a mark added with
    /// [`FanMarkFlags::DONT_FOLLOW`](crate::FanMarkFlags::DONT_FOLLOW) on it
    /// carry. The same as [`FileIdBuf::of`] for anything else.
    ///
    /// ```
    /// use inotify_core::FileIdBuf;
    /// let tmp = std::env::temp_dir();
    /// assert_eq!(FileIdBuf::of_link(&tmp)?, FileIdBuf::of(&tmp)?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`FileIdBuf::of`].
    #[doc(alias = "name_to_handle_at")]
    pub fn of_link<P: AsRef<Path>>(path: P) -> io::Result<FileIdBuf> {
        Self::lookup(path.as_ref(), false).map(|(id, _)| id)
    }

    /// The handle and mount id of `path`, following a final symbolic link
    /// when `follow`.
    fn lookup(path: &Path, follow: bool) -> io::Result<(FileIdBuf, i32)> {
        let context = |err: io::Error| {
            let message = format!("cannot get the file handle of {}: {err}", path.display());
            with_context(message, err)
        };
        let fd = open_path(path, follow).map_err(context)?;
        let raw = sys::name_to_handle_at(fd.as_fd()).map_err(context)?;
        let fsid = sys::fsid(fd.as_fd()).map_err(context)?;
        let id = FileIdBuf {
            fsid,
            handle_type: raw.handle_type,
            bytes: raw.bytes,
            len: raw.len,
        };
        Ok((id, raw.mount_id))
    }

    /// A copy of `id`; `None` when its handle is longer than
    /// `MAX_HANDLE_SZ` (the kernel never makes one).
    pub fn from_file_id(id: FileId<'_>) -> Option<FileIdBuf> {
        let mut bytes = [0; MAX_HANDLE_SZ];
        bytes
            .get_mut(..id.handle.bytes.len())?
            .copy_from_slice(id.handle.bytes);
        Some(FileIdBuf {
            fsid: id.fsid,
            handle_type: id.handle.handle_type,
            bytes,
            len: id.handle.bytes.len(),
        })
    }

    /// The borrowed view, comparable with the ids of parsed events.
    pub fn as_file_id(&self) -> FileId<'_> {
        FileId {
            fsid: self.fsid,
            handle: FileHandle {
                handle_type: self.handle_type,
                bytes: self.bytes.get(..self.len).unwrap_or_default(),
            },
        }
    }
}

impl std::hash::Hash for FileIdBuf {
    /// Consistent with the derived `Eq`: the bytes past `len` are zero
    /// (the field's invariant), so equal ids hash the same.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_file_id().hash(state);
    }
}

impl std::fmt::Debug for FileIdBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_file_id().fmt(f)
    }
}

/// Opens `path` with `O_PATH`: no read permission needed, works for
/// directories and files alike (and, without `follow`, for a symbolic
/// link itself).
fn open_path(path: &Path, follow: bool) -> io::Result<OwnedFd> {
    let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC | nofollow)
        .open(path)
        .map(OwnedFd::from)
}

/// Longest cache key: fsid (8), handle type (4), handle bytes.
const KEY_MAX: usize = 12 + MAX_HANDLE_SZ;

/// `id` as cache key bytes in `room`; `None` for an oversized handle.
fn key<'k>(id: FileId<'_>, room: &'k mut [u8; KEY_MAX]) -> Option<&'k [u8]> {
    let len = 12 + id.handle.bytes.len();
    let out = room.get_mut(..len)?;
    let (head, bytes) = out.split_at_mut(12);
    head[..4].copy_from_slice(&id.fsid[0].to_ne_bytes());
    head[4..8].copy_from_slice(&id.fsid[1].to_ne_bytes());
    head[8..].copy_from_slice(&id.handle.handle_type.to_ne_bytes());
    bytes.copy_from_slice(id.handle.bytes);
    Some(out)
}

/// A map from file handles to paths with a bound on its size.
///
/// Holds at most [`HandleCache::capacity`] entries; inserting into a full
/// cache evicts the oldest insertion (FIFO), so memory is bounded by
/// `capacity × (2 × 140 bytes + path)`. Lookups build their key on the
/// stack and allocate nothing. Hashing is hashbrown's foldhash, seeded at
/// random per process: handle bytes come from the kernel (an inode number
/// and, on most filesystems, a generation number), but which inode numbers
/// exist follows what other users create, so the hash must not be
/// predictable — the same choice as the watch table's (parent, name)
/// index, whose names other users choose outright.
#[derive(Debug, Clone)]
pub struct HandleCache {
    map: HashMap<Box<[u8]>, PathBuf>,
    /// Keys in insertion order; invariant: exactly the keys of `map`.
    order: VecDeque<Box<[u8]>>,
    capacity: usize,
}

impl HandleCache {
    /// The default bound: 4,096 entries.
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// An empty cache of at most `capacity` entries (at least 1).
    pub fn new(capacity: usize) -> Self {
        HandleCache {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The bound on entries.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The path cached for `id`.
    pub fn get(&self, id: FileId<'_>) -> Option<&Path> {
        let mut room = [0; KEY_MAX];
        self.map.get(key(id, &mut room)?).map(PathBuf::as_path)
    }

    /// Caches `path` for `id`, evicting the oldest entry when full. An
    /// oversized handle (never made by the kernel) is not cached.
    pub fn insert(&mut self, id: FileId<'_>, path: PathBuf) {
        let mut room = [0; KEY_MAX];
        let Some(key) = key(id, &mut room) else {
            return;
        };
        if let Some(old) = self.map.get_mut(key) {
            *old = path;
            return;
        }
        while self.map.len() >= self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.map.remove(&oldest);
        }
        let key: Box<[u8]> = key.into();
        self.order.push_back(key.clone());
        self.map.insert(key, path);
    }

    /// Forgets `id` (after its directory was renamed or deleted).
    pub fn remove(&mut self, id: FileId<'_>) -> Option<PathBuf> {
        let mut room = [0; KEY_MAX];
        let key = key(id, &mut room)?;
        let path = self.map.remove(key)?;
        self.order.retain(|k| **k != *key);
        Some(path)
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }
}

impl Default for HandleCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

/// Resolves the file handles of one filesystem to paths, with a cache.
#[derive(Debug)]
pub struct HandleResolver {
    /// Read-only descriptor of a path on the filesystem: the `mount_fd` of
    /// `open_by_handle_at`. Not `O_PATH`: the kernel looks the descriptor
    /// up with `fdget`, which ignores `O_PATH` files (EBADF).
    mount: OwnedFd,
    fsid: [i32; 2],
    cache: HandleCache,
}

impl HandleResolver {
    /// A resolver for the filesystem holding `path` (any directory, or a
    /// readable file, on it), with a [`HandleCache`] of the default capacity.
    ///
    /// # Errors
    /// As `open(2)` with `O_RDONLY` and `fstatfs(2)`; the message names the
    /// path.
    pub fn new<P: AsRef<Path>>(path: P) -> io::Result<Self> {
        Self::with_cache(path, HandleCache::default())
    }

    /// [`HandleResolver::new`] with the given cache (its bound, or entries
    /// already known).
    ///
    /// # Errors
    /// As [`HandleResolver::new`].
    pub fn with_cache<P: AsRef<Path>>(path: P, cache: HandleCache) -> io::Result<Self> {
        let path = path.as_ref();
        let context = |err: io::Error| {
            let message = format!("cannot open {} to resolve handles: {err}", path.display());
            with_context(message, err)
        };
        let mount = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
            .map(OwnedFd::from)
            .map_err(context)?;
        let fsid = sys::fsid(mount.as_fd()).map_err(context)?;
        Ok(HandleResolver { mount, fsid, cache })
    }

    /// The filesystem id of the resolver's filesystem.
    pub fn fsid(&self) -> [i32; 2] {
        self.fsid
    }

    /// The cache.
    pub fn cache(&self) -> &HandleCache {
        &self.cache
    }

    /// The cache, to seed it with known paths or drop stale ones.
    pub fn cache_mut(&mut self) -> &mut HandleCache {
        &mut self.cache
    }

    /// The path of the object `id` names: from the cache, or by
    /// `open_by_handle_at(O_PATH)` and `readlink("/proc/self/fd/N")` (then
    /// cached). A cache hit allocates nothing.
    ///
    /// # Errors
    /// `InvalidInput` for an id of another filesystem; EPERM without
    /// `CAP_DAC_READ_SEARCH`; ESTALE when the object was deleted (also when
    /// it is open but unlinked); the messages say so.
    #[doc(alias = "open_by_handle_at")]
    pub fn resolve(&mut self, id: FileId<'_>) -> io::Result<&Path> {
        if id.fsid != self.fsid {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot resolve a file handle of filesystem {:?} with a resolver of {:?}",
                    id.fsid, self.fsid
                ),
            ));
        }
        if self.cache.get(id).is_none() {
            let path = self.open(id)?;
            self.cache.insert(id, path);
        }
        self.cache.get(id).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "file handle too long to cache")
        })
    }

    /// Opens `id` and reads its path.
    fn open(&self, id: FileId<'_>) -> io::Result<PathBuf> {
        let fd = sys::open_by_handle_at(
            self.mount.as_fd(),
            id.handle.handle_type,
            id.handle.bytes,
            libc::O_PATH | libc::O_CLOEXEC,
        )
        .map_err(open_handle_error)?;
        let link = PathBuf::from(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&fd)
        ));
        // An unlinked object still opens while it is in use; its link count
        // says so where the "(deleted)" suffix of the name could be a name.
        let stale = fs::metadata(&link).map(|m| m.nlink() == 0)?;
        if stale {
            return Err(open_handle_error(io::Error::from_raw_os_error(
                libc::ESTALE,
            )));
        }
        let path = fs::read_link(&link)?;
        if path.is_absolute() {
            Ok(path)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("file handle resolves to {}, not a path", path.display()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn file_id_buf_hashes_as_its_file_id_and_equal_ids_alike() {
        let hasher = hashbrown::DefaultHashBuilder::default();
        let bytes = [7, 0, 0, 0, 42, 0, 0, 0];
        let id = FileId {
            fsid: [1, 2],
            handle: FileHandle {
                handle_type: 1,
                bytes: &bytes,
            },
        };
        let buf = FileIdBuf::from_file_id(id).unwrap();
        assert_eq!(hasher.hash_one(buf), hasher.hash_one(id));
        assert_eq!(buf, FileIdBuf::from_file_id(buf.as_file_id()).unwrap());
        assert_eq!(
            hasher.hash_one(buf),
            hasher.hash_one(FileIdBuf::from_file_id(buf.as_file_id()).unwrap())
        );
        let shorter = FileIdBuf::from_file_id(FileId {
            handle: FileHandle {
                handle_type: 1,
                bytes: &bytes[..4],
            },
            ..id
        })
        .unwrap();
        assert_ne!(buf, shorter);
    }

    #[test]
    fn of_link_names_a_symlink_itself_and_of_its_target() {
        let dir = std::env::temp_dir().join(format!("core-of-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("target"), b"").unwrap();
        std::os::unix::fs::symlink("target", dir.join("link")).unwrap();
        let target = FileIdBuf::of(dir.join("target")).unwrap();
        assert_eq!(FileIdBuf::of(dir.join("link")).unwrap(), target);
        assert_ne!(FileIdBuf::of_link(dir.join("link")).unwrap(), target);
        assert_eq!(FileIdBuf::of_link(dir.join("target")).unwrap(), target);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
