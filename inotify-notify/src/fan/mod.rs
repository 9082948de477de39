//! The fanotify backend of [`crate::WatchManager`]: the [`Backend`] choice,
//! and the state a manager keeps for roots watched by fanotify
//! ([`FanSide`]) beside its inotify watcher.
//!
//! Two ways to watch with fanotify, both in FID mode
//! (`FAN_REPORT_DFID_NAME | FAN_REPORT_FID`: each record names the parent
//! directory by file handle plus the entry name, and the object by its own
//! handle):
//! - **inode marks** ([`Backend::Fanotify`]): one mark per watched
//!   directory, as inotify has one watch per directory, but on fanotify's
//!   budget (`/proc/sys/fs/fanotify/max_user_marks`) and unprivileged since
//!   Linux 5.13. The handle of every marked directory is taken when it is
//!   marked (`name_to_handle_at`), so paths come from our own table
//!   ([`tree`]) and no privilege is needed to resolve them.
//! - **a filesystem mark** ([`Backend::Filesystem`], `CAP_SYS_ADMIN`): one
//!   `FAN_MARK_FILESYSTEM` mark per filesystem holding a root; no walk, no
//!   per-directory mark. Directory handles are turned into paths by core's
//!   `HandleResolver` (`open_by_handle_at`), its cache seeded with the
//!   directories created while we watch; events whose directory is outside
//!   every root are dropped.
//! - **a mount mark** ([`Backend::Mount`], `CAP_SYS_ADMIN`): the same, with
//!   one `FAN_MARK_MOUNT` mark per mount holding a root. The kernel gives
//!   a mount mark no directory-entry events, so the paths the filesystem
//!   mark keeps right from `CREATE`/`RENAME` records are checked instead:
//!   the first time a round meets a directory, its remembered path must
//!   still give its handle, or it is resolved again (`fsdirs`).
//!
//! Records flow one way: `process` reads the group into owned records,
//! turns each into the same [`crate::Event`]s the inotify backend emits
//! (through `emit`), and keeps the tree in line (`add` marks and scans new
//! directories). See [`Backend`] for the rules that differ from inotify.

mod add;
mod fallback;
mod fsdirs;
mod manager;
mod mask;
mod moved_root;
mod presence;
mod process;
mod raced;
mod read;
mod rec;
mod rescan;
mod tree;
mod twin;
mod unplaced;

use std::collections::VecDeque;
use std::path::PathBuf;

// hashbrown's maps, with its randomly seeded foldhash: records are looked
// up by handle and path several times each, and SipHash was a quarter of
// a queue's drain. Seeded, because paths hold names other users choose
// and which inode numbers (in handles) exist follows what they create.
use hashbrown::{HashMap, HashSet};

use inotify_core::{FanBuffer, FanFeatures, Fanotify, HandleResolver, WatchDescriptor};

use crate::watch::WatchData;

pub(crate) use add::add_tree;
pub(crate) use fallback::{
    Fallback, add_all as fallback_add_all, moved_out as fallback_moved_out,
    renamed as fallback_renamed, report as fallback_report, round as fallback_round,
};
pub(crate) use manager::{close, count, rm, update, watch, watches, wd};
pub(crate) use process::process_ready;
pub(crate) use rescan::enable as enable_rescans;

/// Which kernel interface a [`crate::WatchManager`] watches with
/// ([`crate::WatchManager::with_backend`]).
///
/// Every backend delivers the same [`crate::Event`]s through the same API
/// (`add_watch` with `rec`/`auto_add`, the notifiers, handlers): the same
/// `EventMask` bits (`ISDIR` included), paths, `MOVED_FROM`/`MOVED_TO`
/// pairs with a shared non-zero cookie and `src_pathname`, new directories
/// reported with what was made in them before they were looked at, trees
/// moved out dropped, `Q_OVERFLOW` and the rescan after it. Where fanotify
/// differs:
/// - **Descriptors** of fanotify watches are synthetic, counted from
///   2^30 up so they never meet inotify's: one per marked directory with
///   inode marks, one per root with a filesystem mark (then an event's
///   `wd` is its root's and its `path` the directory it happened in).
///   [`crate::WatchManager::path`] and `wd` answer for them.
/// - **Merged records**: fanotify merges queued events of one object, so
///   a record may carry `CREATE | DELETE` of one name. The order is
///   recovered by looking at the name now (`fstatat`): if it exists, the
///   create came last (`DELETE` is emitted first), otherwise the delete
///   did. Other bits of a record are emitted in the order inotify would
///   have queued them (create, modify, attrib, close, delete).
/// - **Renames** are paired by `FAN_RENAME` (Linux 5.17), one record with
///   the old and the new directory and name. Without it, `MOVED_FROM` and
///   `MOVED_TO` come unpaired (cookie 0) and a renamed directory's subtree
///   is dropped and re-added as a move in.
/// - **Events on a watched directory itself** (`OPEN`, `ATTRIB`...) come
///   in fanotify as one record, the directory's own; as inotify does, the
///   manager delivers them twice when the parent is watched too: an entry
///   event in the parent's watch, then the directory's own (`twin.rs`).
///   `DELETE_SELF` and `MOVE_SELF` come through its own mark only.
/// - A directory **moved out** of every root with inode marks loses its
///   kernel marks (and its subtree's): the record names the new place by
///   handle only, so each directory is found by `open_by_handle_at`,
///   which needs `CAP_DAC_READ_SEARCH`. Without it the marks stay until
///   the directories are deleted, and their events are dropped.
/// - **`Q_OVERFLOW`**: with `rescan_on_overflow` the manager keeps a
///   picture of the entries it delivered below its fanotify roots; after
///   an overflow (delivered first) it walks the roots at once, marks what
///   inode marks miss, and delivers `CREATE`s and `DELETE`s for what the
///   picture and the disk disagree on (a filesystem mark's roots are
///   walked too: the rescan costs a walk even where setup did not). The
///   picture follows what was delivered, so events the watch's mask does
///   not ask for are not compared.
/// - `UNMOUNT` is never reported.
/// - `OPEN`, `ACCESS` and `CLOSE_NOWRITE` of directories caused by this
///   process are dropped: they are the manager's own listings (walks and
///   scans), as the inotify backend drops its listings' events; a
///   handler listing a watched directory in this process is not reported
///   either.
/// - With a filesystem mark, the paths of directories that existed before
///   the watch began come from their handles when first met, so they are
///   the directories' paths at that time: a record queued before such a
///   directory was renamed is placed at its new path. With a mount mark
///   that holds for every directory (no record tells of a rename; each
///   directory's path is checked once per round).
/// - A **mount mark** reports only `ACCESS`, `MODIFY`, `OPEN`,
///   `CLOSE_WRITE` and `CLOSE_NOWRITE` (the kernel refuses the others on
///   a mount mark of a group reporting file handles): a mask asking for
///   more is refused before anything is marked, with
///   [`crate::ErrorKind::UnsupportedEvents`] naming the bits, and
///   `auto_add` has nothing to do (the mark covers the whole mount).
///
/// ```
/// use inotify_notify::{Backend, WatchManager, WatchMask, WatchOptions};
/// let dir = std::env::temp_dir().join(format!("backend-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("sub"))?;
/// let wm = WatchManager::with_backend(Backend::Auto)?;
/// let options = WatchOptions { rec: true, ..WatchOptions::default() };
/// wm.add_watch(&dir, WatchMask::CREATE, &options)?;
/// // A filesystem mark as root, inode marks (one per directory) for
/// // others, inotify where fanotify cannot watch this filesystem.
/// match wm.root_backend(&dir) {
///     Some(Backend::Filesystem) => assert_eq!(wm.num_watches(), 1),
///     Some(_) => assert!(wm.wd(dir.join("sub")).is_some()),
///     None => unreachable!("the root is watched"),
/// }
/// assert_eq!(wm.path(wm.wd(&dir).unwrap()), Some(dir.clone()));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Backend {
    /// inotify: one watch per directory, `max_user_watches` (the default).
    #[default]
    Inotify,
    /// fanotify inode marks: one mark per watched directory, on
    /// `max_user_marks`; unprivileged on Linux 5.13 and later, needs
    /// `FAN_REPORT_DFID_NAME` (5.9).
    Fanotify,
    /// One fanotify filesystem mark per filesystem holding a root: no walk
    /// and no per-directory mark; needs `CAP_SYS_ADMIN`.
    Filesystem,
    /// One fanotify mount mark per mount holding a root (roots on one
    /// mount share it): no walk and no per-directory mark, only the
    /// events of opened files (`ACCESS`, `MODIFY`, `OPEN`, `CLOSE_*`);
    /// needs `CAP_SYS_ADMIN`.
    Mount,
    /// Per root: a filesystem mark for a recursive root where permitted,
    /// else inode marks where fanotify works on that filesystem, else
    /// inotify.
    Auto,
}

impl Backend {
    /// The name used in messages and by the CLI: `inotify`, `fanotify`,
    /// `filesystem`, `mount`, `auto`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Inotify => "inotify",
            Backend::Fanotify => "fanotify",
            Backend::Filesystem => "filesystem",
            Backend::Mount => "mount",
            Backend::Auto => "auto",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The first synthetic descriptor of fanotify watches.
const FIRST_WD: i32 = 1 << 30;

/// The mark a root of `FanSide::fs_roots` is watched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Its filesystem's mark, shared by the roots with its fsid.
    Filesystem,
    /// The mark of the mount it is on, shared by the roots on that mount
    /// (by mount id: bind mounts of one filesystem are marked apart).
    Mount(i32),
}

impl Scope {
    /// The mark type.
    pub(crate) fn target(self) -> inotify_core::MarkTarget {
        match self {
            Scope::Filesystem => inotify_core::MarkTarget::Filesystem,
            Scope::Mount(_) => inotify_core::MarkTarget::Mount,
        }
    }
}

/// A root watched by a filesystem or a mount mark.
pub(crate) struct FsRoot {
    pub wd: WatchDescriptor,
    /// The root as the user spelled it (normalised): event paths start
    /// with it.
    pub path: PathBuf,
    /// The root's canonical path: what the resolver's paths start with.
    pub canon: PathBuf,
    /// The root's handle, to know its own events and to seed resolvers.
    pub id: inotify_core::FileIdBuf,
    pub data: WatchData,
    /// The mark covering it.
    pub scope: Scope,
}

impl FsRoot {
    /// Whether `other` is covered by the same kernel mark.
    pub(crate) fn shares_mark(&self, other: &FsRoot) -> bool {
        match (self.scope, other.scope) {
            (Scope::Filesystem, Scope::Filesystem) => {
                self.id.as_file_id().fsid == other.id.as_file_id().fsid
            }
            (Scope::Mount(a), Scope::Mount(b)) => a == b,
            _ => false,
        }
    }
}

/// Everything a manager keeps for its fanotify roots (behind its lock).
pub(crate) struct FanSide {
    /// Asked for at creation.
    pub backend: Backend,
    /// The group, non-blocking; `None` when fanotify is unusable and the
    /// backend is [`Backend::Auto`] (every root then goes to inotify).
    pub group: Option<Fanotify>,
    /// Why `group` is `None`, for the error of a root that needs it.
    pub unusable: Option<String>,
    pub features: FanFeatures,
    /// The directories watched by inode marks.
    pub tree: tree::FanTree,
    /// Those of `tree` marked on a symlink itself (a root added with
    /// `dont_follow`): their marks are changed with `DONT_FOLLOW` too.
    pub links: HashSet<WatchDescriptor>,
    /// The roots watched by filesystem or mount marks.
    pub fs_roots: Vec<FsRoot>,
    /// The directories of filesystem-mark filesystems whose path we know
    /// (canonical), kept in event order: roots, directories created or
    /// renamed while we watch, and directories resolved once by handle.
    pub fs_dirs: tree::FanTree,
    /// One resolver per filesystem of `fs_roots`.
    pub resolvers: Vec<HandleResolver>,
    pub buffer: FanBuffer,
    /// Records read or drained, not yet processed, oldest first.
    pub queue: VecDeque<rec::Rec>,
    /// Where a record's bytes are gathered before they are boxed.
    pub scratch: Vec<u8>,
    /// The sequence number the next record read gets.
    pub next_seq: u64,
    /// The sequence number of the last record read of each object, while
    /// records are queued, keyed by the object's handle hashed with the
    /// map's own seeded hasher: 16 bytes an entry instead of a 152-byte
    /// handle, as a full queue puts every record's object in here. Each
    /// record read links the previous one of its object to itself
    /// (`read::link_later`, which confirms the handle on the queued
    /// record), so a merged `DELETE` finds the last of them without a
    /// lookup.
    pub last_of: HashMap<u64, u64>,
    /// `DELETE`s deferred behind a later record of their object, by that
    /// record's sequence number.
    pub after: HashMap<u64, Vec<rec::Rec>>,
    /// Directory listings that order merged `CREATE | DELETE` records
    /// without a lookup each (cleared at the end of every round).
    pub presence: presence::Presence,
    /// Paths a scan reported in this round: a kernel `CREATE` of one of
    /// them (drained after the scan) is dropped, so each entry is
    /// reported once. Cleared when the queue is empty.
    pub seen: HashSet<PathBuf>,
    /// The handles of the directories among `seen` (cleared with it): a
    /// rename record of another directory from one of those paths is not
    /// about what the consumer has there.
    pub seen_dirs: HashMap<PathBuf, inotify_core::FileIdBuf>,
    /// Directories a scan listed in this round (cleared with `seen`): an
    /// entry renamed out of one that the scan did not report was gone
    /// before it looked, so the consumer never heard of it.
    pub scanned: HashSet<PathBuf>,
    /// Paths a kernel `CREATE` or `MOVED_TO` reported in this round
    /// (cleared with `seen`): known to the consumer although no scan
    /// listed them.
    pub told: HashSet<PathBuf>,
    /// New directories a scan did not find at their paths this round.
    pub raced: Vec<raced::Raced>,
    /// Rounds in a row that ended with `raced` not empty.
    pub raced_rounds: u32,
    /// Directories moved in under a filesystem mark whose scan did not
    /// find them (they moved on): their next rename is a move in.
    pub unscanned: HashSet<inotify_core::FileIdBuf>,
    /// Keys of `fs_dirs` deleted in this round, removed at its end.
    pub forget: Vec<WatchDescriptor>,
    /// Mount marks: the directories whose path in `fs_dirs` was checked
    /// in this round (no record tells of their renames). Cleared with
    /// `seen`.
    pub checked: HashSet<inotify_core::FileIdBuf>,
    /// Filesystem marks: where the deleted directories were, by handle:
    /// (parent's handle, name), from their `DELETE` records. A directory
    /// deleted before its entries' records are handled no longer resolves
    /// by handle (nor, when its inode goes later, for its `DELETE_SELF`);
    /// its `DELETE`, queued after its entries', still says where it was.
    /// A deleted directory moves no more, so an entry stays true; the map
    /// is bounded ([`GONE_DIRS_MAX`], then cleared).
    pub gone_dirs: HashMap<inotify_core::FileIdBuf, (inotify_core::FileIdBuf, std::ffi::OsString)>,
    /// Paths found through `gone_dirs` (cleared with it).
    pub gone_paths: HashMap<inotify_core::FileIdBuf, PathBuf>,
    /// Set when [`FanSide::resolve`] found no path for a directory handle.
    pub unresolved: bool,
    /// Filesystem marks: records whose directory was deleted before they
    /// were handled and whose `DELETE` was not read yet (the deletion ran
    /// while the round read the queue), with the rounds they waited;
    /// handled first in the next rounds, when that `DELETE` says where the
    /// directory was (see `unplaced.rs`).
    pub unplaced: Vec<(rec::Rec, u8)>,
    /// The rounds each re-queued unplaced record (by sequence number) has
    /// waited.
    pub unplaced_tries: HashMap<u64, u8>,
    /// Watches removed by the API whose `IGNORED` is still to deliver.
    pub ignored: Vec<(WatchDescriptor, PathBuf, WatchData)>,
    /// A `Q_OVERFLOW` was read; the rescan is due at the end of the round.
    pub rescan_due: bool,
    /// The reused buffer a record's entry path is spelled in.
    pub entry: PathBuf,
    /// What the consumer was told, while overflow rescans are on (`None`
    /// otherwise): what the rescan compares the disk with.
    pub picture: Option<rescan::Picture>,
    next_wd: i32,
    next_cookie: u32,
    /// Keys of `fs_dirs` (not watch descriptors).
    next_dir: i32,
}

/// The most deleted directories [`FanSide::gone_dirs`] remembers.
pub(crate) const GONE_DIRS_MAX: usize = 1 << 16;

impl FanSide {
    /// An empty side on `group` (`None`: fanotify is unusable, for
    /// `unusable`'s reason), running `backend`.
    pub(crate) fn new(
        backend: Backend,
        group: Option<Fanotify>,
        unusable: Option<String>,
        features: FanFeatures,
    ) -> Self {
        FanSide {
            backend,
            group,
            unusable,
            features,
            tree: tree::FanTree::default(),
            links: HashSet::new(),
            fs_roots: Vec::new(),
            fs_dirs: tree::FanTree::default(),
            resolvers: Vec::new(),
            buffer: FanBuffer::new(),
            queue: VecDeque::new(),
            scratch: Vec::new(),
            next_seq: 0,
            last_of: HashMap::new(),
            after: HashMap::new(),
            presence: presence::Presence::default(),
            seen: HashSet::new(),
            seen_dirs: HashMap::new(),
            gone_dirs: HashMap::new(),
            gone_paths: HashMap::new(),
            unresolved: false,
            unplaced: Vec::new(),
            unplaced_tries: HashMap::new(),
            scanned: HashSet::new(),
            told: HashSet::new(),
            forget: Vec::new(),
            checked: HashSet::new(),
            raced: Vec::new(),
            raced_rounds: 0,
            unscanned: HashSet::new(),
            ignored: Vec::new(),
            rescan_due: false,
            entry: PathBuf::new(),
            picture: None,
            next_wd: FIRST_WD,
            next_cookie: 0,
            next_dir: 0,
        }
    }

    /// The group's init flags: with the target's handle (5.17) records of
    /// one object merge and records of two objects at one name do not.
    pub(crate) fn init_flags(features: FanFeatures) -> inotify_core::FanInitFlags {
        let fid = if features.report_target_fid {
            inotify_core::FanInitFlags::REPORT_DFID_NAME_TARGET
        } else {
            inotify_core::FanInitFlags::REPORT_DFID_NAME | inotify_core::FanInitFlags::REPORT_FID
        };
        fid | inotify_core::FanInitFlags::NONBLOCK
    }

    /// The flags that change the inode mark of `wd`: `DONT_FOLLOW` for
    /// one of [`FanSide::links`].
    pub(crate) fn mark_flags(&self, wd: WatchDescriptor) -> inotify_core::FanMarkFlags {
        if self.links.contains(&wd) {
            inotify_core::FanMarkFlags::DONT_FOLLOW
        } else {
            inotify_core::FanMarkFlags::empty()
        }
    }

    /// A fresh descriptor.
    pub(crate) fn new_wd(&mut self) -> WatchDescriptor {
        let wd = WatchDescriptor::from_raw(self.next_wd);
        self.next_wd = self.next_wd.checked_add(1).unwrap_or(FIRST_WD);
        wd
    }

    /// A fresh non-zero cookie for a rename pair.
    pub(crate) fn new_cookie(&mut self) -> u32 {
        self.next_cookie = self.next_cookie.wrapping_add(1).max(1);
        self.next_cookie
    }
}
