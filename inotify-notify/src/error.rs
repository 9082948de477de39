//! The crate's one error type, in walkdir's shape: a kind, the path
//! involved (if any) and the underlying `io::Error` as `source()`.
//!
//! The errno stays reachable: core wraps OS errors with context (the path,
//! the limit to raise); [`Error::io`] keeps that text as the message and
//! the bare OS error as the source, so `io_error().raw_os_error()` works.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use inotify_core::{WatchMask, raw_os_error};

/// Linux errno values the kinds are derived from (the crate does not name
/// `libc`; these numbers are the same on every Linux architecture).
const ENOSPC: i32 = 28;
/// Too many open files / inotify instances.
const EMFILE: i32 = 24;
/// No such file or directory.
const ENOENT: i32 = 2;
/// Operation not permitted.
const EPERM: i32 = 1;
/// Permission denied.
const EACCES: i32 = 13;
/// Invalid argument.
const EINVAL: i32 = 22;

/// What went wrong, for callers that branch on errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Any other system-call failure.
    Io,
    /// ENOSPC from `inotify_add_watch`: `max_user_watches` reached.
    WatchLimit,
    /// EMFILE from `inotify_init1`: `max_user_instances` (or the fd limit).
    InstanceLimit,
    /// The watch descriptor or path is not watched by this manager.
    NotWatched,
    /// An exclude or glob pattern does not compile.
    InvalidPattern,
    /// The kernel queue overflowed (`IN_Q_OVERFLOW`) and events were lost.
    QueueOverflow,
    /// The watch manager was closed.
    Closed,
    /// A handler panicked on a [`crate::ThreadedNotifier`]'s thread; the
    /// message holds the panic's. The thread has stopped.
    HandlerPanicked,
    /// Not an error of the add: the path was excluded by the
    /// [`crate::WatchOptions::exclude_filter`] (pyinotify's `-2`). Only an
    /// excluded root is listed in the result map.
    Excluded,
    /// ENOENT: the path does not exist (also an empty path, which the
    /// kernel rejects the same way).
    NotFound,
    /// EACCES or EPERM: the path may not be watched (search or read
    /// permission missing, or a filesystem that refuses inotify).
    PermissionDenied,
    /// EINVAL or an argument rejected before the system call: for example
    /// a mask without any event bit.
    InvalidInput,
    /// The mask asks for events the backend cannot report there, refused
    /// before anything was marked: a [`crate::Backend::Mount`] mark gets
    /// no directory-entry or inode-change events (`CREATE`, `DELETE`,
    /// `MOVED_*`, `ATTRIB`, `DELETE_SELF`, `MOVE_SELF`). The message names
    /// the bits.
    UnsupportedEvents,
}

/// An error of the watch manager or a notifier.
///
/// One pointer wide (the details are boxed), so a result per path
/// ([`crate::AddResult`]) costs little when nothing failed.
pub struct Error(Box<Inner>);

/// What an [`Error`] holds.
#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    path: Option<PathBuf>,
    /// What failed, for errors without an OS cause; the path is appended.
    message: Option<String>,
    /// The context core added to an OS error (it usually names the path).
    context: Option<String>,
    /// The OS error itself (bare, so its `raw_os_error()` is the errno).
    source: Option<io::Error>,
    /// For an error of `add_watch`: what it had added before failing.
    partial: Option<crate::AddResult>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("path", &self.0.path)
            .field("message", &self.0.message)
            .field("context", &self.0.context)
            .field("source", &self.0.source)
            .field("partial", &self.0.partial)
            .finish()
    }
}

/// `std::result::Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The path involved, if any.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }

    /// The underlying OS error, if any: for a failed system call, the bare
    /// `io::Error` of the errno, so `raw_os_error()` on it works (the
    /// context — path, limit to raise — is in this error's `Display`).
    pub fn io_error(&self) -> Option<&io::Error> {
        self.0.source.as_ref()
    }

    /// The errno of the failed system call, if there was one.
    ///
    /// ```
    /// use inotify_notify::{ErrorKind, WatchManager, WatchMask, WatchOptions};
    /// let wm = WatchManager::new()?;
    /// let err = wm
    ///     .add_watch("/no/such/path", WatchMask::CREATE, &WatchOptions::default())
    ///     .unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(2)); // ENOENT
    /// assert_eq!(*err.kind(), ErrorKind::NotFound);
    /// assert!(err.to_string().contains("/no/such/path"));
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    pub fn raw_os_error(&self) -> Option<i32> {
        self.0.source.as_ref().and_then(raw_os_error)
    }

    /// For an error returned by [`crate::WatchManager::add_watch`] (or
    /// `add_watches`): every path it had handled before failing, with its
    /// result — those watches stay in place (pyinotify's
    /// `WatchManagerError.wmd`). `None` for other errors.
    ///
    /// ```
    /// use inotify_notify::{WatchManager, WatchMask, WatchOptions};
    /// # let dir = std::env::temp_dir().join(format!("partial-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let wm = WatchManager::new()?;
    /// let paths = [dir.clone(), dir.join("missing")];
    /// let err = wm.add_watches(&paths, WatchMask::CREATE, &WatchOptions::default()).unwrap_err();
    /// let added = err.partial().expect("what was added");
    /// assert!(added[&dir].is_ok() && wm.wd(&dir).is_some());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    pub fn partial(&self) -> Option<&crate::AddResult> {
        self.0.partial.as_ref()
    }

    /// Takes the partial result out of the error (see [`Error::partial`]).
    pub fn take_partial(&mut self) -> Option<crate::AddResult> {
        self.0.partial.take()
    }

    /// Attaches the partial result of an add.
    pub(crate) fn with_partial(mut self, partial: crate::AddResult) -> Self {
        self.0.partial = Some(partial);
        self
    }

    /// The result of an excluded root (see [`ErrorKind::Excluded`]).
    pub(crate) fn excluded(path: &Path) -> Self {
        Error::new(
            ErrorKind::Excluded,
            Some(path),
            "excluded by the exclude filter",
        )
    }

    /// Wraps an OS error, classifying its errno (or, without one, its
    /// `io::ErrorKind`).
    pub(crate) fn io(err: io::Error, path: Option<&Path>) -> Self {
        let errno = raw_os_error(&err);
        let kind = match errno {
            Some(ENOSPC) => ErrorKind::WatchLimit,
            Some(EMFILE) => ErrorKind::InstanceLimit,
            Some(ENOENT) => ErrorKind::NotFound,
            Some(EACCES | EPERM) => ErrorKind::PermissionDenied,
            Some(EINVAL) => ErrorKind::InvalidInput,
            Some(_) => ErrorKind::Io,
            None => match err.kind() {
                io::ErrorKind::NotFound => ErrorKind::NotFound,
                io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
                io::ErrorKind::InvalidInput => ErrorKind::InvalidInput,
                _ => ErrorKind::Io,
            },
        };
        // Core's context wrapper hides the errno from `raw_os_error()`:
        // keep its text, and the OS error itself as the source.
        let (context, source) = match errno {
            Some(code) if err.raw_os_error().is_none() => {
                (Some(err.to_string()), io::Error::from_raw_os_error(code))
            }
            _ => (None, err),
        };
        Error(Box::new(Inner {
            kind,
            path: path.map(Path::to_path_buf),
            message: None,
            context,
            source: Some(source),
            partial: None,
        }))
    }

    /// ENOENT for an empty path, as the kernel's `inotify_add_watch("")`
    /// (normalising would make it `.`, the current directory).
    pub(crate) fn empty_path() -> Self {
        Self::refused(ErrorKind::NotFound, Path::new(""), ENOENT, None)
    }

    /// EINVAL for a mask that asks for no event
    /// ([`WatchMask::has_event_bit`]): the kernel would accept flags alone
    /// (and an empty user mask once the manager adds its own bits) as a
    /// watch that reports nothing.
    pub(crate) fn no_event_bit(path: &Path, mask: WatchMask) -> Self {
        let why = format!("the mask {mask} has no event bit (flags alone watch nothing)");
        Self::refused(ErrorKind::InvalidInput, path, EINVAL, Some(why))
    }

    /// A mask asking for `bits`, which `what` (`a mount mark`) cannot
    /// report: refused before any system call, without an errno (the
    /// kernel's EINVAL would not say which bits).
    pub(crate) fn unsupported_events(path: &Path, bits: WatchMask, what: &str) -> Self {
        Error::new(
            ErrorKind::UnsupportedEvents,
            Some(path),
            format!(
                "{what} cannot report {bits} (no directory-entry or inode-change event \
                 reaches it; watch with a filesystem mark or inode marks)"
            ),
        )
    }

    /// An add refused before the system call, with the errno the kernel
    /// gives (or would give) for it.
    fn refused(kind: ErrorKind, path: &Path, errno: i32, why: Option<String>) -> Self {
        let source = io::Error::from_raw_os_error(errno);
        let shown = if path.as_os_str().is_empty() {
            "\"\"".to_owned()
        } else {
            path.display().to_string()
        };
        let context = match why {
            Some(why) => format!("cannot watch {shown}: {why}"),
            None => format!("cannot watch {shown}: {source}"),
        };
        Error(Box::new(Inner {
            kind,
            path: Some(path.to_path_buf()),
            message: None,
            context: Some(context),
            source: Some(source),
            partial: None,
        }))
    }

    /// An error without an OS cause.
    pub(crate) fn new(kind: ErrorKind, path: Option<&Path>, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            path: path.map(Path::to_path_buf),
            message: Some(message.into()),
            context: None,
            source: None,
            partial: None,
        }))
    }
}

impl Clone for Error {
    /// A second owner of the same error (one sent down a channel while the
    /// original is logged, say): same kind, path, text and errno. The OS
    /// error is rebuilt from its errno (`io::Error` is not `Clone`), or,
    /// without one, from its `io::ErrorKind` and text.
    fn clone(&self) -> Self {
        let source = self.0.source.as_ref().map(|err| match err.raw_os_error() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(err.kind(), err.to_string()),
        });
        Error(Box::new(Inner {
            kind: self.0.kind,
            path: self.0.path.clone(),
            message: self.0.message.clone(),
            context: self.0.context.clone(),
            source,
            partial: self.0.partial.clone(),
        }))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(message) = &self.0.message {
            f.write_str(message)?;
            if let Some(path) = &self.0.path {
                write!(f, ": {}", path.display())?;
            }
            return Ok(());
        }
        match &self.0.source {
            // Core's messages already name the path and, for ENOSPC/EMFILE,
            // the /proc/sys/fs/inotify value to raise.
            Some(err) => {
                let text = match &self.0.context {
                    Some(context) => context.clone(),
                    None => err.to_string(),
                };
                match &self.0.path {
                    Some(path) if !text.contains(&*path.to_string_lossy()) => {
                        write!(f, "{}: {text}", path.display())
                    }
                    _ => f.write_str(&text),
                }
            }
            None => f.write_str("inotify error"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::io(err, None)
    }
}

/// Keeps the kind and the errno: `inotify_notify::raw_os_error` (core's
/// `raw_os_error`) on the result finds it through `source()`.
impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match err.0.kind {
            ErrorKind::NotWatched | ErrorKind::NotFound => io::ErrorKind::NotFound,
            ErrorKind::InvalidPattern | ErrorKind::InvalidInput => io::ErrorKind::InvalidInput,
            ErrorKind::PermissionDenied => io::ErrorKind::PermissionDenied,
            ErrorKind::UnsupportedEvents => io::ErrorKind::Unsupported,
            _ => err
                .0
                .source
                .as_ref()
                .map_or(io::ErrorKind::Other, io::Error::kind),
        };
        io::Error::new(kind, err)
    }
}

/// The error for an operation after `close`.
pub(crate) fn closed() -> Error {
    Error::new(ErrorKind::Closed, None, "the watch manager is closed")
}

/// The error for an unknown descriptor.
pub(crate) fn not_watched_wd(wd: inotify_core::WatchDescriptor) -> Error {
    Error::new(
        ErrorKind::NotWatched,
        None,
        format!("watch descriptor {wd} is not watched by this manager"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_is_watch_limit_and_converts_back() {
        let err = Error::io(io::Error::from_raw_os_error(ENOSPC), Some(Path::new("/x")));
        assert_eq!(*err.kind(), ErrorKind::WatchLimit);
        assert_eq!(err.path(), Some(Path::new("/x")));
        assert!(err.to_string().contains("/x"));
        let io_err: io::Error = err.into();
        assert_eq!(raw_os_error(&io_err), Some(ENOSPC));
        assert_eq!(io_err.kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn errnos_are_classified_and_survive_core_context() {
        for (errno, kind, io_kind) in [
            (ENOENT, ErrorKind::NotFound, io::ErrorKind::NotFound),
            (
                EACCES,
                ErrorKind::PermissionDenied,
                io::ErrorKind::PermissionDenied,
            ),
            (
                EPERM,
                ErrorKind::PermissionDenied,
                io::ErrorKind::PermissionDenied,
            ),
            (EINVAL, ErrorKind::InvalidInput, io::ErrorKind::InvalidInput),
            (EMFILE, ErrorKind::InstanceLimit, io::ErrorKind::Other),
            (12, ErrorKind::Io, io::ErrorKind::OutOfMemory),
        ] {
            // Core's error for a failed add: context wrapped around the errno.
            let inotify = inotify_core::Inotify::init().unwrap();
            inotify_core::fault::inject(
                inotify_core::fault::Op::AddWatch,
                inotify_core::fault::Fault::Errno(errno),
            );
            let core_err = inotify
                .add_watch("/", inotify_core::WatchMask::CREATE)
                .unwrap_err();
            let err = Error::io(core_err, Some(Path::new("/")));
            assert_eq!(*err.kind(), kind, "errno {errno}");
            assert_eq!(err.raw_os_error(), Some(errno));
            assert_eq!(
                err.io_error().and_then(io::Error::raw_os_error),
                Some(errno)
            );
            assert!(err.to_string().starts_with("cannot watch /"), "{err}");
            let io_err: io::Error = err.into();
            if io_kind != io::ErrorKind::Other {
                assert_eq!(io_err.kind(), io_kind, "errno {errno}");
            }
            assert_eq!(raw_os_error(&io_err), Some(errno));
        }
    }

    #[test]
    fn clone_keeps_kind_path_text_and_errno() {
        let err = Error::io(io::Error::from_raw_os_error(ENOSPC), Some(Path::new("/x")));
        let copy = err.clone();
        assert_eq!(copy.kind(), err.kind());
        assert_eq!(copy.path(), err.path());
        assert_eq!(copy.to_string(), err.to_string());
        assert_eq!(copy.raw_os_error(), Some(ENOSPC));
        let plain = Error::io(io::Error::other("plain"), None);
        assert_eq!(plain.clone().to_string(), "plain");
        let new = Error::new(ErrorKind::Closed, None, "closed");
        assert_eq!(new.clone().to_string(), "closed");
    }

    #[test]
    fn not_watched_message_names_path() {
        let err = Error::new(ErrorKind::NotWatched, Some(Path::new("/y")), "not watched");
        assert_eq!(err.to_string(), "not watched: /y");
        assert!(err.io_error().is_none());
    }
}
