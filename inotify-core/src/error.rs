//! Context for system-call errors: the path and, for resource limits, the
//! `/proc/sys/fs/inotify` value to raise.
//!
//! Errors stay `std::io::Error` with the original kind; the context is a
//! wrapped [`ContextError`] whose `source()` is the original OS error, so
//! callers can still get the errno with [`raw_os_error`].

use std::fmt;
use std::io;
use std::path::Path;

use crate::limits::Limit;

/// An OS error plus what we were doing and what to do about it.
#[derive(Debug)]
pub struct ContextError {
    message: String,
    source: io::Error,
}

impl ContextError {
    /// The errno of the underlying system call, if any.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.raw_os_error()
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ContextError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The errno behind `err`, looking through the context this crate adds
/// and through any chain of `source()`s down to an OS error (so an upper
/// layer's error converted into `io::Error` keeps its errno reachable).
///
/// ```
/// use inotify_core::{raw_os_error, Inotify, WatchMask};
/// let inotify = Inotify::init()?;
/// let err = inotify.add_watch("/no/such/path", WatchMask::CREATE).unwrap_err();
/// assert_eq!(raw_os_error(&err), Some(libc_enoent()));
/// assert!(err.to_string().contains("/no/such/path"));
/// # fn libc_enoent() -> i32 { 2 }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn raw_os_error(err: &io::Error) -> Option<i32> {
    if let Some(code) = err.raw_os_error() {
        return Some(code);
    }
    let mut next = err
        .get_ref()
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    while let Some(inner) = next {
        if let Some(context) = inner.downcast_ref::<ContextError>() {
            return context.raw_os_error();
        }
        if let Some(code) = inner
            .downcast_ref::<io::Error>()
            .and_then(io::Error::raw_os_error)
        {
            return Some(code);
        }
        next = inner.source();
    }
    None
}

/// Wraps `source` with `message`, keeping its kind.
pub(crate) fn with_context(message: String, source: io::Error) -> io::Error {
    io::Error::new(source.kind(), ContextError { message, source })
}

/// The hint for a limit: `(max_user_watches = 8192); raise /proc/...`.
///
/// In a user namespace whose own limit is lower than the global one, the
/// namespace's value is the one that was hit, so the hint names that file.
fn limit_hint(limit: Limit) -> String {
    let global = limit.read().ok();
    let show = |v: Option<u64>| v.map_or_else(|| "unknown".to_owned(), |v| v.to_string());
    match (limit.read_namespace(), limit.namespace_path()) {
        (Some(ns), Some(ns_path)) if global.is_none_or(|g| ns < g) => format!(
            "(this user namespace's {} = {ns}, below {} = {}); raise {}",
            ns_path.file_name().unwrap_or_default().display(),
            limit.path().display(),
            show(global),
            ns_path.display()
        ),
        _ => format!(
            "({} = {}); raise {}",
            limit.name(),
            show(global),
            limit.path().display()
        ),
    }
}

/// `path` for a message: its display, or `""` when it is empty (so the
/// message still says which path failed).
pub(crate) fn shown(path: &Path) -> impl fmt::Display + '_ {
    struct Shown<'a>(&'a Path);
    impl fmt::Display for Shown<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if self.0.as_os_str().is_empty() {
                f.write_str("\"\"")
            } else {
                self.0.display().fmt(f)
            }
        }
    }
    Shown(path)
}

/// Context for a failed `inotify_add_watch` on `path`.
pub(crate) fn add_watch_error(path: &Path, source: io::Error) -> io::Error {
    let path = shown(path);
    let message = match source.raw_os_error() {
        Some(libc::ENOSPC) => format!(
            "cannot watch {path}: inotify watch limit reached {}",
            limit_hint(Limit::MaxUserWatches)
        ),
        Some(libc::EEXIST) => {
            format!("cannot watch {path}: already watched and IN_MASK_CREATE was given")
        }
        _ => format!("cannot watch {path}: {source}"),
    };
    with_context(message, source)
}

/// EINVAL for a mask that asks for no event (see
/// [`WatchMask::has_event_bit`](crate::WatchMask::has_event_bit)), naming
/// the path.
pub(crate) fn no_event_bit_error(path: &Path, mask: crate::WatchMask) -> io::Error {
    with_context(
        format!(
            "cannot watch {}: the mask {mask} has no event bit (flags alone watch nothing)",
            shown(path)
        ),
        io::Error::from_raw_os_error(libc::EINVAL),
    )
}

/// Context for a failed `inotify_init1`.
pub(crate) fn init_error(source: io::Error) -> io::Error {
    let message = match source.raw_os_error() {
        Some(libc::EMFILE) => format!(
            "cannot create an inotify instance: instance limit reached {} \
             (or the process ran out of file descriptors: see ulimit -n)",
            limit_hint(Limit::MaxUserInstances)
        ),
        _ => format!("cannot create an inotify instance: {source}"),
    };
    with_context(message, source)
}

/// Context for a failed `inotify_rm_watch`.
pub(crate) fn rm_watch_error(wd: i32, source: io::Error) -> io::Error {
    let message = match source.raw_os_error() {
        Some(libc::EINVAL) => {
            format!("cannot remove watch {wd}: no such watch on this inotify instance")
        }
        _ => format!("cannot remove watch {wd}: {source}"),
    };
    with_context(message, source)
}
