//! Which program runs: `inotifywait`/`inotifywatch` (inotify unless
//! `-F`/`-S`/`-M` is given) or `fsnotifywait`/`fsnotifywatch` (fanotify unless
//! `-I` is given), as inotify-tools 4.x ships them. The binary says which
//! once, before parsing; names in messages and `--help` follow it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ArgMatches;
use inotify_notify::{Backend, ErrorKind, EventMask};

use crate::events::EventSelection;

/// Set by the `fsnotify*` binaries.
static FSNOTIFY: AtomicBool = AtomicBool::new(false);

/// Makes this process `fsnotifywait`/`fsnotifywatch` (call first in
/// `main`).
pub fn set_fsnotify() {
    FSNOTIFY.store(true, Ordering::Relaxed);
}

/// Whether this process is `fsnotifywait` or `fsnotifywatch`.
pub fn is_fsnotify() -> bool {
    FSNOTIFY.load(Ordering::Relaxed)
}

/// `inotifywait` or `fsnotifywait`.
pub fn wait_name() -> &'static str {
    if is_fsnotify() {
        "fsnotifywait"
    } else {
        "inotifywait"
    }
}

/// `inotifywatch` or `fsnotifywatch`.
pub fn watch_name() -> &'static str {
    if is_fsnotify() {
        "fsnotifywatch"
    } else {
        "inotifywatch"
    }
}

/// The backend without `-I`/`-F`/`-S`/`-M`.
pub fn default_backend() -> Backend {
    if is_fsnotify() {
        Backend::Fanotify
    } else {
        Backend::Inotify
    }
}

/// The backend of `-I`/`-F`/`-S`/`-M`, as inotify-tools decides it: `-I`,
/// `-S` and `-M` set the watch scope, once only (two of them is an error,
/// as in its `t/fsnotifywait-errors.t`); `-S` and `-M` imply fanotify;
/// `-F` asks for fanotify and `-I` for inotify, the later of the two
/// winning; without any, the program's default.
pub(crate) fn chosen(m: &ArgMatches) -> Result<Backend, crate::args::UsageError> {
    let given = |id: &str| m.get_flag(id).then(|| m.index_of(id)).flatten();
    let (inotify, fanotify, filesystem, mount) = (
        given("inotify"),
        given("fanotify"),
        given("filesystem"),
        given("mount"),
    );
    let twice = match (inotify, filesystem, mount) {
        (_, Some(_), Some(_)) => Some("Please specify -S or -M once only!"),
        (Some(_), Some(_), None) => Some("Please specify -I or -S once only!"),
        (Some(_), None, Some(_)) => Some("Please specify -I or -M once only!"),
        _ => None,
    };
    if let Some(message) = twice {
        return Err(crate::args::UsageError(message.into()));
    }
    Ok(match (inotify, fanotify, filesystem) {
        _ if mount.is_some() => Backend::Mount,
        (_, _, Some(_)) => Backend::Filesystem,
        (Some(i), Some(f), None) if f > i => Backend::Fanotify,
        (Some(_), _, None) => Backend::Inotify,
        (None, Some(_), None) => Backend::Fanotify,
        (None, None, None) => default_backend(),
    })
}

/// The events a mount mark cannot report (in `-e` order of names).
const NOT_ON_A_MOUNT: [EventMask; 7] = [
    EventMask::ATTRIB,
    EventMask::MOVED_FROM,
    EventMask::MOVED_TO,
    EventMask::CREATE,
    EventMask::DELETE,
    EventMask::DELETE_SELF,
    EventMask::MOVE_SELF,
];

/// fanotify has no unmount event: `-e unmount` is refused as inotify-tools
/// refuses it (its mark fails with EINVAL: `failed PATH: Invalid
/// argument`, exit 1), not silently never reported. With `-M`, the
/// directory-entry and inode-change events a mount mark cannot report
/// are refused by name (inotify-tools' mark fails with a bare EINVAL).
pub(crate) fn unsupported(
    backend: Backend,
    events: EventSelection,
    failed: &str,
    paths: &[PathBuf],
) -> Option<String> {
    let first = paths.first()?;
    if backend != Backend::Inotify && events.wants(EventMask::UNMOUNT) {
        return Some(format!("{failed} {}: Invalid argument", first.display()));
    }
    if backend != Backend::Mount {
        return None;
    }
    let names: Vec<String> = NOT_ON_A_MOUNT
        .into_iter()
        .filter(|&event| events.wants(event))
        .map(crate::events::column_name)
        .collect();
    let (list, verb) = match names.as_slice() {
        [] => return None,
        [one] => (one.clone(), "is"),
        many => (many.join(", "), "are"),
    };
    Some(format!(
        "{list} {verb} not supported with a mount mark (-M): it reports only access, \
         modify, close_write, close_nowrite and open; use -S or -F"
    ))
}

/// The message when a fanotify manager cannot be made; `None` for inotify.
pub(crate) fn init_error(
    backend: Backend,
    err: &inotify_notify::Error,
    paths: &[PathBuf],
) -> Option<String> {
    match (backend, err.kind(), paths.first()) {
        (Backend::Inotify, _, _) => None,
        // inotify-tools' message when the filesystem mark is refused (its
        // tests grep for "Operation not permitted"), and what it needs.
        (Backend::Filesystem, ErrorKind::PermissionDenied, Some(first)) => Some(format!(
            "Couldn't add filesystem watch {}: Operation not permitted (a filesystem mark \
             needs CAP_SYS_ADMIN; -F watches with inode marks without it)",
            first.display()
        )),
        (Backend::Mount, ErrorKind::PermissionDenied, Some(first)) => Some(format!(
            "Couldn't add mount watch {}: Operation not permitted (a mount mark needs \
             CAP_SYS_ADMIN)",
            first.display()
        )),
        _ => Some(format!("Couldn't initialize fanotify: {err}")),
    }
}

/// The roots as events will name them: as given for inotify; for fanotify
/// absolute and without symbolic links, what the directories' handles
/// resolve to and inotify-tools 4.x prints — but for a root that is a
/// symlink itself under `-P` (`no_dereference`), which is watched, not its
/// target: only its directory is resolved.
pub(crate) fn displayed_paths(
    backend: Backend,
    paths: &[PathBuf],
    no_dereference: bool,
) -> Vec<PathBuf> {
    if backend == Backend::Inotify {
        return paths.to_vec();
    }
    let resolve = |p: &PathBuf| {
        let link = no_dereference && p.symlink_metadata().is_ok_and(|m| m.is_symlink());
        let (dir, name) = match (p.parent(), p.file_name()) {
            (Some(dir), Some(name)) if link => (dir, name),
            _ => return std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()),
        };
        let dir = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        };
        std::fs::canonicalize(dir).map_or_else(|_| p.clone(), |d| d.join(name))
    };
    paths.iter().map(resolve).collect()
}
