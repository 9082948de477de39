//! Paths longer than `PATH_MAX`: [`LongPath`] spells any path within the
//! kernel's limit, so watches, listings and `lstat`s work at any depth the
//! filesystem allows.
//!
//! Every path-taking system call (`inotify_add_watch`, `open`, `lstat`)
//! copies its path with a limit of `PATH_MAX` (4,096 bytes with the NUL) and
//! fails with ENAMETOOLONG beyond, although a tree can be much deeper.
//! `inotify_add_watch` has no `*at` variant, so a long path is reached in
//! steps instead: its leading components, at most about 4,000 bytes at a
//! time and cut at a `/`, are opened as an `O_PATH` directory descriptor,
//! and the next step continues from `/proc/self/fd/N/`, which the kernel
//! resolves to that directory. The last descriptor stays open while the
//! short spelling `/proc/self/fd/N/<rest>` is in use; the others are closed
//! along the way, so a long path costs one descriptor however deep it is.
//!
//! The last component always stays in the spelling, so `IN_DONT_FOLLOW` and
//! `lstat` still apply to the entry itself, never to the `/proc` link. A
//! short path (the common case) is used as it is: nothing is opened and
//! nothing allocated.
//!
//! Needs `/proc` mounted (only for long paths); without it the error is
//! ENAMETOOLONG, saying so.

use std::borrow::Cow;
use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::with_context;

/// Paths of at least this many bytes do not fit a system call (the kernel
/// counts the terminating NUL in `PATH_MAX`).
pub(crate) const PATH_MAX: usize = 4096;

/// The directory links through which a long path continues.
const PROC_FD: &str = "/proc/self/fd/";

/// A path spelled short enough for system calls.
///
/// For a path shorter than `PATH_MAX` this borrows the path and holds
/// nothing else. A longer one holds an open directory descriptor and the
/// spelling `/proc/self/fd/N/<rest>` through it, valid while the `LongPath`
/// lives.
///
/// Relative paths stay relative to the current directory, symlinks in the
/// leading components are followed as a full lookup would follow them, and
/// the last component is looked up by the final call itself.
///
/// ```
/// use inotify_core::long_path::LongPath;
/// use std::path::{Path, PathBuf};
/// let root = std::env::temp_dir().join(format!("long-path-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&root)?;
/// // 20 levels of 250-byte names: about 5,000 bytes, past PATH_MAX.
/// let mut deep = root.clone();
/// for level in 0..20 {
///     deep.push(format!("{level:0>250}"));
///     std::fs::create_dir(LongPath::new(&deep)?.as_path())?;
/// }
/// let spelled = LongPath::new(&deep)?;
/// assert!(spelled.as_path().starts_with("/proc/self/fd"));
/// assert!(spelled.as_path().as_os_str().len() < 4096);
/// assert!(inotify_core::long_path::metadata(&deep, false)?.is_dir());
/// // A short path is used as it is.
/// assert_eq!(LongPath::new(Path::new("/tmp"))?.as_path(), Path::new("/tmp"));
/// std::fs::remove_dir_all(&root)?; // std removes a tree through descriptors
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LongPath<'a> {
    /// What system calls get: the path itself, or `/proc/self/fd/N/<rest>`.
    spelling: Cow<'a, Path>,
    /// Invariant: `Some(N)` exactly when `spelling` starts with
    /// `/proc/self/fd/N/`; kept open so that spelling stays valid.
    dir: Option<OwnedFd>,
}

impl<'a> LongPath<'a> {
    /// Spells `path` within `PATH_MAX`, opening the directories of its
    /// leading components when it is longer.
    ///
    /// # Errors
    /// Only for a long path: as `open(2)` of its leading components
    /// (ENOENT, ENOTDIR, EACCES, ELOOP); ENAMETOOLONG when a component is
    /// itself too long or `/proc` is not mounted.
    pub fn new(path: &'a Path) -> io::Result<Self> {
        Self::with_limit(path, PATH_MAX)
    }

    /// [`LongPath::new`] with the limit as a parameter, so tests can
    /// exercise the steps on shallow trees.
    fn with_limit(path: &'a Path, limit: usize) -> io::Result<Self> {
        let bytes = path.as_os_str().as_bytes();
        if bytes.len() < limit {
            return Ok(LongPath {
                spelling: Cow::Borrowed(path),
                dir: None,
            });
        }
        let mut dir: Option<OwnedFd> = None;
        let mut rest = bytes;
        loop {
            let prefix = dir.as_ref().map_or_else(Vec::new, proc_prefix);
            if prefix.len() + rest.len() < limit {
                let mut spelling = prefix;
                spelling.extend_from_slice(rest);
                return Ok(LongPath {
                    spelling: Cow::Owned(OsString::from_vec(spelling).into()),
                    dir,
                });
            }
            // The longest chunk whose spelling fits, cut at a `/` so that at
            // least the last component remains (the loop condition makes
            // `rest` longer than `budget`). Index 0 is no cut: an absolute
            // path's first chunk keeps its leading `/`.
            let budget = limit.saturating_sub(prefix.len() + 1);
            let cut = rest
                .get(1..=budget)
                .and_then(|head| head.iter().rposition(|&b| b == b'/'))
                .map(|i| i + 1)
                .ok_or_else(|| component_too_long(path))?;
            let mut step = prefix;
            step.extend_from_slice(&rest[..cut]);
            let opened = open_dir(Path::new(&OsString::from_vec(step)));
            let opened = match opened {
                Ok(fd) => fd,
                Err(err) => return Err(explain(err, dir.as_ref(), path)),
            };
            // The previous descriptor closes here: the new one is reached
            // through it once and needs it no more.
            dir = Some(opened);
            rest = &rest[cut..];
            while let [b'/', tail @ ..] = rest {
                rest = tail;
            }
        }
    }

    /// The spelling to hand to a system call, valid while `self` lives.
    pub fn as_path(&self) -> &Path {
        &self.spelling
    }

    /// Whether the path was too long and is spelled through `/proc`.
    pub fn is_long(&self) -> bool {
        self.dir.is_some()
    }
}

/// `/proc/self/fd/N/` for the directory `dir`.
fn proc_prefix(dir: &OwnedFd) -> Vec<u8> {
    format!("{PROC_FD}{}/", dir.as_raw_fd()).into_bytes()
}

/// `open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)`: a handle that only
/// names the directory, so (as in a full lookup) search permission on the
/// way is all it takes, not read permission on the directory itself.
fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
        .open(path)
        .map(OwnedFd::from)
}

/// The error for a component longer than any spelling can hold.
fn component_too_long(path: &Path) -> io::Error {
    with_context(
        format!(
            "{}: a path component is longer than PATH_MAX",
            path.display()
        ),
        io::Error::from_raw_os_error(libc::ENAMETOOLONG),
    )
}

/// A step through `/proc/self/fd/N` failed: when `/proc` is not there, an
/// ENOENT would read as "the path vanished", so the error says why the
/// path cannot be reached instead. Other errors are the path's own.
fn explain(err: io::Error, dir: Option<&OwnedFd>, path: &Path) -> io::Error {
    let proc_missing = dir.is_some_and(|dir| {
        let link = OsString::from_vec(proc_prefix(dir));
        fs::metadata(Path::new(&link)).is_err()
    });
    if proc_missing {
        with_context(
            format!(
                "{}: longer than PATH_MAX, and /proc/self/fd (needed to reach it) is not available",
                path.display()
            ),
            io::Error::from_raw_os_error(libc::ENAMETOOLONG),
        )
    } else {
        err
    }
}

/// `opendir` of a path of any length (`std::fs::read_dir` through
/// [`LongPath`]).
///
/// The listing holds its own descriptor, so it outlives the spelling. Its
/// entries' [`fs::DirEntry::metadata`] and `file_type` work relative to
/// that descriptor; but [`fs::DirEntry::path`] of a long directory's entry
/// is the `/proc` spelling: join `path` with [`fs::DirEntry::file_name`]
/// instead.
///
/// # Errors
/// As [`LongPath::new`] and [`fs::read_dir`].
pub fn read_dir(path: &Path) -> io::Result<fs::ReadDir> {
    crate::fault::check(crate::fault::Op::ReadDir)?;
    fs::read_dir(LongPath::new(path)?.as_path())
}

/// `stat` (`follow`) or `lstat` of a path of any length.
///
/// # Errors
/// As [`LongPath::new`] and [`fs::metadata`] / [`fs::symlink_metadata`].
pub fn metadata(path: &Path, follow: bool) -> io::Result<fs::Metadata> {
    let spelled = LongPath::new(path)?;
    if follow {
        fs::metadata(spelled.as_path())
    } else {
        fs::symlink_metadata(spelled.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A fresh directory for one test, removed on drop (also when the
    /// test fails).
    struct Temp(PathBuf);

    impl std::ops::Deref for Temp {
        type Target = PathBuf;
        fn deref(&self) -> &PathBuf {
            &self.0
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn temp(name: &str) -> Temp {
        let dir = std::env::temp_dir().join(format!("long-path-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("mkdir");
        Temp(dir)
    }

    #[test]
    fn short_path_is_borrowed_and_opens_nothing() {
        let path = Path::new("/some/short/path");
        let spelled = LongPath::new(path).expect("short");
        assert!(!spelled.is_long());
        assert!(matches!(spelled.spelling, Cow::Borrowed(_)));
        assert_eq!(spelled.as_path(), path);
    }

    #[test]
    fn small_limit_steps_through_proc_and_keeps_the_last_component() {
        let root = temp("steps");
        let deep = root.join("aaaa/bbbb/cccc/dddd/eeee");
        fs::create_dir_all(&deep).expect("mkdir");
        fs::write(deep.join("file"), b"x").expect("write");
        // Just above the root: several steps of one or two components.
        let limit = root.as_os_str().len().max(24) + 2;
        let file = deep.join("file");
        let spelled = LongPath::with_limit(&file, limit).expect("spell");
        assert!(spelled.is_long());
        let short = spelled.as_path();
        assert!(short.starts_with(PROC_FD), "{}", short.display());
        assert!(short.as_os_str().len() < limit, "{}", short.display());
        assert_eq!(short.file_name(), Some("file".as_ref()));
        assert_eq!(fs::read(short).expect("read"), b"x");
    }

    #[test]
    fn relative_path_and_trailing_slash_resolve_like_the_full_lookup() {
        let root = temp("relative");
        let below_root = "a/b/c/d/e/f/g/h/i/j/";
        fs::create_dir_all(root.join(below_root)).expect("mkdir");
        // From the current directory up to `/`, then down, with a slash.
        let cwd = std::env::current_dir().expect("cwd");
        let up = cwd.components().count() - 1;
        let below = root.strip_prefix("/").expect("absolute temp dir");
        let relative = PathBuf::from("../".repeat(up)).join(below).join(below_root);
        let name_len = root.file_name().expect("name").len();
        let spelled = LongPath::with_limit(&relative, 24 + name_len).expect("spell");
        assert!(spelled.is_long(), "{}", relative.display());
        assert!(spelled.as_path().to_string_lossy().ends_with("j/"));
        assert!(fs::metadata(spelled.as_path()).expect("stat").is_dir());
    }

    #[test]
    fn missing_component_is_enoent_and_overlong_component_is_enametoolong() {
        let root = temp("errors");
        let missing = root.join("no/such/dir/below/here");
        let err = LongPath::with_limit(&missing, root.as_os_str().len() + 8).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        let huge = root.join("x".repeat(PATH_MAX + 10));
        let err = LongPath::new(&huge).unwrap_err();
        assert_eq!(crate::raw_os_error(&err), Some(libc::ENAMETOOLONG));
    }
}
