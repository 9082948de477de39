//! What the running kernel's fanotify can do: [`FanFeatures::probe`] asks it
//! (which init flags it takes, whether it accepts `FAN_RENAME`, whether this
//! process has `CAP_SYS_ADMIN` for it), and [`FsSupport::probe`] asks, for
//! one path, whether an inode mark and a filesystem mark with file-handle
//! reporting are accepted there.
//!
//! Probing is trying: kernels answer an unknown flag with EINVAL, a
//! privilege they require with EPERM, and a filesystem without usable file
//! handles with EOPNOTSUPP, ENODEV or EXDEV. Each probe creates a group and
//! drops it; nothing stays behind. A backend choice (fanotify where it
//! works, inotify elsewhere) is made from these answers.

use std::io;
use std::path::Path;

use inotify_sys as ffi;

use super::error::MarkTarget;
use super::group::Fanotify;
use super::mask::{FanInitFlags, FanMarkFlags, FanWatchMask};
use crate::error::raw_os_error;
use crate::sys;

/// The fanotify features of the running kernel, for this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent yes/no answers of the kernel, read field by field"
)]
pub struct FanFeatures {
    /// `fanotify_init` exists (not ENOSYS) and some FID group could be made.
    pub available: bool,
    /// This process may create groups without FID reporting, i.e. it has
    /// `CAP_SYS_ADMIN`: it may also add mount and filesystem marks.
    pub admin: bool,
    /// Unprivileged groups work (Linux 5.13). Tried when the process is
    /// unprivileged; for an admin process, inferred from
    /// `/proc/sys/fs/fanotify/max_user_marks`, which came in the same release.
    pub unprivileged: bool,
    /// `FAN_REPORT_FID` (5.1).
    pub report_fid: bool,
    /// `FAN_REPORT_DIR_FID` (5.9).
    pub report_dir_fid: bool,
    /// `FAN_REPORT_DFID_NAME` (5.9): directory handle and entry name.
    pub report_dfid_name: bool,
    /// `FAN_REPORT_TARGET_FID` (5.17).
    pub report_target_fid: bool,
    /// `FAN_RENAME` events (5.17): inferred from `FAN_REPORT_TARGET_FID`,
    /// which came in the same release (a mark to try it would make the
    /// probe wait for the kernel's SRCU grace period when it closes).
    pub rename: bool,
}

/// Whether `fanotify_init(flags)` succeeds; `Err` only for ENOSYS.
fn init_works(flags: u32) -> io::Result<bool> {
    match sys::fanotify_init(flags) {
        Ok(_fd) => Ok(true),
        Err(err) if err.raw_os_error() == Some(libc::ENOSYS) => Err(err),
        Err(_) => Ok(false),
    }
}

impl FanFeatures {
    /// Asks the running kernel. Costs a handful of `fanotify_init` calls
    /// (no mark: see [`FanFeatures::rename`]).
    ///
    /// ```
    /// let features = inotify_core::FanFeatures::probe();
    /// if features.report_dfid_name {
    ///     assert!(features.report_dir_fid && features.available);
    /// }
    /// ```
    pub fn probe() -> FanFeatures {
        let none = FanFeatures {
            available: false,
            admin: false,
            unprivileged: false,
            report_fid: false,
            report_dir_fid: false,
            report_dfid_name: false,
            report_target_fid: false,
            rename: false,
        };
        let Ok(report_fid) = init_works(ffi::FAN_REPORT_FID) else {
            return none;
        };
        let works = |flags| init_works(flags).unwrap_or(false);
        let report_dir_fid = works(ffi::FAN_REPORT_DIR_FID);
        let report_dfid_name = works(ffi::FAN_REPORT_DFID_NAME);
        let report_target_fid = works(ffi::FAN_REPORT_DFID_NAME_TARGET);
        let admin = works(ffi::FAN_CLASS_NOTIF);
        let available = report_fid || report_dir_fid;
        let unprivileged = if admin {
            Path::new(ffi::PROC_FANOTIFY_MAX_USER_MARKS).exists()
        } else {
            available
        };
        // FAN_RENAME came with FAN_REPORT_TARGET_FID (both 5.17). Probing
        // it with a mark would cost more than the rest together: closing
        // a group that holds a mark waits for an SRCU grace period (6-7 ms
        // measured here), which a `-S` setup meant to be ready in a few
        // milliseconds cannot afford.
        let rename = report_dfid_name && report_target_fid;
        FanFeatures {
            available,
            admin,
            unprivileged,
            report_fid,
            report_dir_fid,
            report_dfid_name,
            report_target_fid,
            rename,
        }
    }
}

/// Whether fanotify with file-handle reporting works on one filesystem.
#[derive(Debug)]
#[non_exhaustive]
pub struct FsSupport {
    /// An inode mark with `FAN_REPORT_DFID_NAME` on the path: `Ok`, or the
    /// error saying why not (e.g. EOPNOTSUPP for a filesystem without file
    /// handles).
    pub inode_mark: io::Result<()>,
    /// A filesystem mark on the path's filesystem: `Ok`, or why not (EPERM
    /// "needs `CAP_SYS_ADMIN` for a filesystem mark", EOPNOTSUPP, ENODEV, EXDEV).
    pub filesystem_mark: io::Result<()>,
}

impl FsSupport {
    /// Tries both marks on `path` (a directory or a file), in a group that
    /// is dropped at once.
    ///
    /// ```
    /// let tmp = inotify_core::FsSupport::probe(std::env::temp_dir());
    /// assert!(tmp.inode_mark.is_ok() || tmp.filesystem_mark.is_err());
    /// ```
    pub fn probe<P: AsRef<Path>>(path: P) -> FsSupport {
        let path = path.as_ref();
        let group = match Fanotify::init(FanInitFlags::REPORT_DFID_NAME) {
            Ok(group) => group,
            Err(err) => {
                let again = io::Error::new(err.kind(), err.to_string());
                return FsSupport {
                    inode_mark: Err(err),
                    filesystem_mark: Err(again),
                };
            }
        };
        let mask = FanWatchMask::CREATE | FanWatchMask::DELETE | FanWatchMask::ONDIR;
        let inode_mark = group.add_mark(path, MarkTarget::Inode, mask, FanMarkFlags::empty());
        let filesystem_mark =
            group.add_mark(path, MarkTarget::Filesystem, mask, FanMarkFlags::empty());
        FsSupport {
            inode_mark,
            filesystem_mark,
        }
    }

    /// Whether a filesystem mark failed only for want of privilege.
    pub fn filesystem_mark_needs_privilege(&self) -> bool {
        self.filesystem_mark
            .as_ref()
            .is_err_and(|err| raw_os_error(err) == Some(libc::EPERM))
    }
}
