//! The crate's one error type, in walkdir's shape: a kind, the path
//! involved (if any) and the underlying `io::Error` as `source()`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use inotify_core::raw_os_error;

/// Linux errno values the kinds are derived from (the crate does not name
/// `libc`; these numbers are the same on every Linux architecture).
const ENOSPC: i32 = 28;
/// Too many open files / inotify instances.
const EMFILE: i32 = 24;

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
    message: Option<String>,
    source: Option<io::Error>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("path", &self.0.path)
            .field("message", &self.0.message)
            .field("source", &self.0.source)
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

    /// The underlying OS error, if any.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.0.source.as_ref()
    }

    /// Wraps an OS error, classifying the resource limits.
    pub(crate) fn io(err: io::Error, path: Option<&Path>) -> Self {
        let kind = match raw_os_error(&err) {
            Some(ENOSPC) => ErrorKind::WatchLimit,
            Some(EMFILE) => ErrorKind::InstanceLimit,
            _ => ErrorKind::Io,
        };
        Error(Box::new(Inner {
            kind,
            path: path.map(Path::to_path_buf),
            message: None,
            source: Some(err),
        }))
    }

    /// An error without an OS cause.
    pub(crate) fn new(kind: ErrorKind, path: Option<&Path>, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            path: path.map(Path::to_path_buf),
            message: Some(message.into()),
            source: None,
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
                let text = err.to_string();
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

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match err.0.kind {
            ErrorKind::NotWatched => io::ErrorKind::NotFound,
            ErrorKind::InvalidPattern => io::ErrorKind::InvalidInput,
            _ => err
                .0
                .source
                .as_ref()
                .map_or(io::ErrorKind::Other, io::Error::kind),
        };
        io::Error::new(kind, err)
    }
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
        assert_eq!(raw_os_error(&io_err), None);
        assert_eq!(io_err.kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn not_watched_message_names_path() {
        let err = Error::new(ErrorKind::NotWatched, Some(Path::new("/y")), "not watched");
        assert_eq!(err.to_string(), "not watched: /y");
        assert!(err.io_error().is_none());
    }
}
