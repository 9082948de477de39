//! Context for fanotify errors: what the kernel is missing, which privilege
//! a mark needs, which filesystem cannot report file handles, and the
//! `/proc/sys/fs/fanotify` limit to raise — phrased as `crate::error` does
//! for inotify, and wrapped the same way (the errno stays reachable with
//! [`raw_os_error`](crate::raw_os_error)).

use std::fs;
use std::io;
use std::path::Path;

use inotify_sys as ffi;

use super::mask::{FanInitFlags, FanWatchMask};
use crate::error::with_context;

/// The kind of object a mark is attached to (`fanotify_mark`'s mark type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkTarget {
    /// The inode of the path (`FAN_MARK_INODE`): that file or directory and,
    /// with `EVENT_ON_CHILD`, its direct children. Unprivileged since 5.13.
    Inode,
    /// The mount holding the path (`FAN_MARK_MOUNT`); needs `CAP_SYS_ADMIN`,
    /// and cannot report directory-entry events.
    Mount,
    /// The whole filesystem holding the path (`FAN_MARK_FILESYSTEM`, 4.20);
    /// needs `CAP_SYS_ADMIN` (in the filesystem's user namespace).
    Filesystem,
}

impl MarkTarget {
    /// The `FAN_MARK_*` type bits.
    pub(crate) fn bits(self) -> u32 {
        match self {
            MarkTarget::Inode => ffi::FAN_MARK_INODE,
            MarkTarget::Mount => ffi::FAN_MARK_MOUNT,
            MarkTarget::Filesystem => ffi::FAN_MARK_FILESYSTEM,
        }
    }

    /// `an inode mark`, for messages.
    fn noun(self) -> &'static str {
        match self {
            MarkTarget::Inode => "an inode mark",
            MarkTarget::Mount => "a mount mark",
            MarkTarget::Filesystem => "a filesystem mark",
        }
    }
}

/// `(max_user_marks = 8192); raise /proc/sys/fs/fanotify/max_user_marks`,
/// naming the user namespace's own copy when that is the lower one.
fn limit_hint(name: &str, global: &str, namespace: &str) -> String {
    let read = |path: &str| -> Option<u64> { fs::read_to_string(path).ok()?.trim().parse().ok() };
    let show = |v: Option<u64>| v.map_or_else(|| "unknown".to_owned(), |v| v.to_string());
    let global_value = read(global);
    match read(namespace) {
        Some(ns) if global_value.is_none_or(|g| ns < g) => format!(
            "(this user namespace's {} = {ns}, below {global} = {}); raise {namespace}",
            Path::new(namespace)
                .file_name()
                .unwrap_or_default()
                .display(),
            show(global_value)
        ),
        _ => format!("({name} = {}); raise {global}", show(global_value)),
    }
}

/// Init flags in order of the kernel release that added them, with it.
const INIT_FLAG_RELEASES: &[(u32, &str, &str)] = &[
    (ffi::FAN_REPORT_TARGET_FID, "FAN_REPORT_TARGET_FID", "5.17"),
    (ffi::FAN_REPORT_PIDFD, "FAN_REPORT_PIDFD", "5.15"),
    (ffi::FAN_REPORT_NAME, "FAN_REPORT_DFID_NAME", "5.9"),
    (ffi::FAN_REPORT_DIR_FID, "FAN_REPORT_DIR_FID", "5.9"),
    (ffi::FAN_REPORT_FID, "FAN_REPORT_FID", "5.1"),
    (ffi::FAN_REPORT_TID, "FAN_REPORT_TID", "4.20"),
    (ffi::FAN_ENABLE_AUDIT, "FAN_ENABLE_AUDIT", "4.15"),
];

/// Why the kernel rejected `flags` with EINVAL: a combination it never
/// accepts, or else the newest flag asked for, which it presumably lacks.
pub(crate) fn invalid_init_flags(flags: FanInitFlags) -> String {
    let bits = flags.bits();
    if bits & ffi::FAN_REPORT_NAME != 0 && bits & ffi::FAN_REPORT_DIR_FID == 0 {
        return "FAN_REPORT_NAME needs FAN_REPORT_DIR_FID".to_owned();
    }
    if bits & ffi::FAN_REPORT_TARGET_FID != 0
        && bits & ffi::FAN_REPORT_DFID_NAME_TARGET != ffi::FAN_REPORT_DFID_NAME_TARGET
    {
        return "FAN_REPORT_TARGET_FID needs FAN_REPORT_FID and FAN_REPORT_DFID_NAME".to_owned();
    }
    INIT_FLAG_RELEASES
        .iter()
        .find(|(bit, _, _)| bits & bit != 0)
        .map_or_else(
            || format!("the kernel rejects the init flags {bits:#x}"),
            |(_, name, release)| format!("kernel lacks {name} ({release}+)"),
        )
}

/// Context for a failed `fanotify_init` with `flags`.
pub(crate) fn init_error(flags: FanInitFlags, source: io::Error) -> io::Error {
    let message = match source.raw_os_error() {
        Some(libc::EPERM) => format!(
            "cannot create a fanotify group: needs CAP_SYS_ADMIN for init flags {flags:?} \
             (unprivileged groups, Linux 5.13+, must report file handles with \
             FAN_REPORT_FID or FAN_REPORT_DIR_FID and cannot ask for permission events, \
             unlimited queues or marks)"
        ),
        Some(libc::EINVAL) => format!(
            "cannot create a fanotify group: {}",
            invalid_init_flags(flags)
        ),
        Some(libc::EMFILE) => format!(
            "cannot create a fanotify group: group limit reached {} \
             (or the process ran out of file descriptors: see ulimit -n)",
            limit_hint(
                "max_user_groups",
                ffi::PROC_FANOTIFY_MAX_USER_GROUPS,
                ffi::PROC_USER_MAX_FANOTIFY_GROUPS
            )
        ),
        Some(libc::ENOSYS) => {
            "cannot create a fanotify group: kernel built without CONFIG_FANOTIFY".to_owned()
        }
        _ => format!("cannot create a fanotify group: {source}"),
    };
    with_context(message, source)
}

/// Context for a failed `fanotify_mark` adding `mask` to a mark of
/// `target` on `path`.
pub(crate) fn mark_error(
    path: &Path,
    target: MarkTarget,
    mask: FanWatchMask,
    source: io::Error,
) -> io::Error {
    let what = format!("cannot add {} on {}", target.noun(), path.display());
    let message = match source.raw_os_error() {
        Some(libc::EPERM) if target != MarkTarget::Inode => {
            format!("{what}: needs CAP_SYS_ADMIN for {}", target.noun())
        }
        Some(libc::EPERM | libc::EACCES) => {
            format!("{what}: permission denied (an inode mark needs read access to it)")
        }
        Some(libc::ENOSPC) => format!(
            "{what}: fanotify mark limit reached {}",
            limit_hint(
                "max_user_marks",
                ffi::PROC_FANOTIFY_MAX_USER_MARKS,
                ffi::PROC_USER_MAX_FANOTIFY_MARKS
            )
        ),
        Some(libc::EOPNOTSUPP) => format!(
            "{what}: its filesystem does not support the file handles FID reporting \
             needs (EOPNOTSUPP); watch it with inotify"
        ),
        Some(libc::ENODEV) => format!(
            "{what}: its filesystem has no filesystem id to report handles with \
             (ENODEV); watch it with inotify"
        ),
        Some(libc::EXDEV) => format!(
            "{what}: it is on a subvolume whose filesystem id differs from its \
             filesystem's (EXDEV); mark it with an inode mark, or watch it with inotify"
        ),
        Some(libc::EINVAL) if mask.contains(FanWatchMask::RENAME) => format!(
            "{what}: the kernel rejects FAN_RENAME (it needs Linux 5.17+ and a group \
             with FAN_REPORT_DFID_NAME)"
        ),
        Some(libc::EINVAL) if target == MarkTarget::Mount => format!(
            "{what}: a mount mark cannot report directory-entry events \
             (CREATE, DELETE, MOVED_*, RENAME, DELETE_SELF, MOVE_SELF, ATTRIB)"
        ),
        Some(libc::EINVAL) => format!(
            "{what}: the kernel rejects the mask {mask} for this group (directory-entry \
             events need a group reporting file handles)"
        ),
        Some(libc::ENOTDIR) => format!("{what}: not a directory"),
        _ => format!("{what}: {source}"),
    };
    with_context(message, source)
}

/// Context for a failed `fanotify_mark` that removes or flushes marks.
pub(crate) fn unmark_error(what: &str, source: io::Error) -> io::Error {
    let message = match source.raw_os_error() {
        Some(libc::ENOENT) => format!("{what}: no such mark on this fanotify group"),
        _ => format!("{what}: {source}"),
    };
    with_context(message, source)
}

/// Context for a failed `open_by_handle_at`.
pub(crate) fn open_handle_error(source: io::Error) -> io::Error {
    let message = match source.raw_os_error() {
        Some(libc::EPERM) => "cannot open a file handle: needs CAP_DAC_READ_SEARCH \
             (unprivileged programs map the handles of directories they marked, \
             from name_to_handle_at, instead)"
            .to_owned(),
        Some(libc::ESTALE) => {
            "cannot open a file handle: stale (the object was deleted)".to_owned()
        }
        _ => format!("cannot open a file handle: {source}"),
    };
    with_context(message, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_init_flags_names_the_newest_flag_or_the_bad_combination() {
        let dfid_name = FanInitFlags::REPORT_DFID_NAME;
        assert_eq!(
            invalid_init_flags(dfid_name),
            "kernel lacks FAN_REPORT_DFID_NAME (5.9+)"
        );
        assert_eq!(
            invalid_init_flags(FanInitFlags::REPORT_DFID_NAME_TARGET),
            "kernel lacks FAN_REPORT_TARGET_FID (5.17+)"
        );
        assert_eq!(
            invalid_init_flags(FanInitFlags::REPORT_FID | FanInitFlags::REPORT_NAME),
            "FAN_REPORT_NAME needs FAN_REPORT_DIR_FID"
        );
        assert!(invalid_init_flags(dfid_name | FanInitFlags::REPORT_TARGET_FID).contains("needs"));
    }

    #[test]
    fn mark_errors_say_what_is_missing() {
        let path = Path::new("/srv/x");
        let eperm = || io::Error::from_raw_os_error(libc::EPERM);
        let fs = mark_error(path, MarkTarget::Filesystem, FanWatchMask::CREATE, eperm());
        assert_eq!(
            fs.to_string(),
            "cannot add a filesystem mark on /srv/x: needs CAP_SYS_ADMIN for a filesystem mark"
        );
        assert_eq!(crate::raw_os_error(&fs), Some(libc::EPERM));
        let enospc = io::Error::from_raw_os_error(libc::ENOSPC);
        let text = mark_error(path, MarkTarget::Inode, FanWatchMask::CREATE, enospc).to_string();
        assert!(text.contains("max_user_marks"), "{text}");
        for errno in [libc::EOPNOTSUPP, libc::ENODEV, libc::EXDEV] {
            let err = io::Error::from_raw_os_error(errno);
            let text = mark_error(path, MarkTarget::Filesystem, FanWatchMask::CREATE, err);
            assert!(text.to_string().contains("watch it with inotify"), "{text}");
        }
    }
}
