//! fanotify against the real kernel: inode marks with directory handles and
//! names, `FAN_RENAME`, merged records, a filesystem mark on a fresh tmpfs,
//! handle → path resolution, the feature probe, and the errors of an
//! unprivileged process (a child of this binary under `setpriv`).

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use inotify_core::{
    FanBuffer, FanEventMask, FanFeatures, FanInitFlags, FanMarkFlags, FanWatchMask, Fanotify,
    FileIdBuf, FsSupport, HandleResolver, MarkTarget, raw_os_error,
};

use crate::support::{Child, TIMEOUT, TempDir, in_child, is_root, rerun_in_child};

/// One event copied out of the read buffer.
#[derive(Debug, Clone)]
pub struct FanSeen {
    pub mask: FanEventMask,
    pub dfid: Option<FileIdBuf>,
    pub name: Option<OsString>,
    pub old: Option<(FileIdBuf, OsString)>,
    pub new: Option<(FileIdBuf, OsString)>,
}

impl fmt::Display for FanSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} name={:?}", self.mask, self.name)?;
        if let (Some((_, old)), Some((_, new))) = (&self.old, &self.new) {
            write!(f, " old={} new={}", old.display(), new.display())?;
        }
        Ok(())
    }
}

/// Reads events until `done` says the list is complete, or panics after
/// `TIMEOUT` listing what was seen.
pub fn collect_until(group: &Fanotify, done: impl Fn(&[FanSeen]) -> bool) -> Vec<FanSeen> {
    let deadline = Instant::now() + TIMEOUT;
    let mut buffer = FanBuffer::new();
    let mut seen = Vec::new();
    let copy = |pair: Option<(inotify_core::FileId<'_>, &std::ffi::OsStr)>| {
        pair.map(|(id, name)| (FileIdBuf::from_file_id(id).unwrap(), name.to_owned()))
    };
    while !done(&seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left == Duration::ZERO {
            let list: Vec<String> = seen.iter().map(ToString::to_string).collect();
            panic!("timed out; fanotify events seen:\n  {}", list.join("\n  "));
        }
        if !group.wait(Some(left)).unwrap() {
            continue;
        }
        let mut events = group.try_read_events(&mut buffer).unwrap();
        for event in events.by_ref() {
            seen.push(FanSeen {
                mask: event.mask,
                dfid: event.dfid().and_then(FileIdBuf::from_file_id),
                name: event.dfid_name().map(|(_, name)| name.to_owned()),
                old: copy(event.old_dfid_name()),
                new: copy(event.new_dfid_name()),
            });
        }
        assert_eq!(events.error(), None, "the kernel's buffer parses");
    }
    seen
}

/// Whether some event has every bit of `mask` and the name `name`.
pub fn has(seen: &[FanSeen], mask: FanEventMask, name: &str) -> bool {
    seen.iter()
        .any(|s| s.mask.contains(mask) && s.name.as_deref() == Some(name.as_ref()))
}

const ENTRY_EVENTS: FanWatchMask = FanWatchMask::CREATE
    .union(FanWatchMask::DELETE)
    .union(FanWatchMask::MOVED_FROM)
    .union(FanWatchMask::MOVED_TO)
    .union(FanWatchMask::ONDIR);

#[test]
fn inode_mark_reports_entry_events_with_parent_handle_and_name() {
    let dir = TempDir::new("fan-inode");
    let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME).unwrap();
    group
        .add_mark(
            dir.path(),
            MarkTarget::Inode,
            ENTRY_EVENTS,
            FanMarkFlags::ONLYDIR,
        )
        .unwrap();
    fs::write(dir.join("a"), b"").unwrap();
    fs::create_dir(dir.join("d")).unwrap();
    fs::rename(dir.join("a"), dir.join("b")).unwrap();
    fs::remove_file(dir.join("b")).unwrap();
    let seen = collect_until(&group, |seen| {
        has(seen, FanEventMask::CREATE, "a")
            && has(seen, FanEventMask::CREATE | FanEventMask::ONDIR, "d")
            && has(seen, FanEventMask::MOVED_FROM, "a")
            && has(seen, FanEventMask::MOVED_TO, "b")
            && has(seen, FanEventMask::DELETE, "b")
    });
    let id = FileIdBuf::of(dir.path()).unwrap();
    assert!(
        seen.iter().all(|s| s.dfid == Some(id)),
        "every event names the marked directory by its handle"
    );
    if is_root() {
        let mut resolver = HandleResolver::new(dir.path()).unwrap();
        let path = resolver.resolve(id.as_file_id()).unwrap().to_path_buf();
        assert_eq!(path, fs::canonicalize(dir.path()).unwrap());
        assert_eq!(resolver.cache().len(), 1);
        // A second lookup is a cache hit.
        assert_eq!(resolver.resolve(id.as_file_id()).unwrap(), path);
    }
}

#[test]
fn rename_reports_old_and_new_directory_and_name() {
    if !FanFeatures::probe().rename {
        eprintln!("skipped: the kernel rejects FAN_RENAME marks (Linux < 5.17)");
        return;
    }
    let dir = TempDir::new("fan-rename");
    let (src, dst) = (dir.join("src"), dir.join("dst"));
    fs::create_dir(&src).unwrap();
    fs::create_dir(&dst).unwrap();
    fs::write(src.join("x"), b"").unwrap();
    let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME).unwrap();
    let mask = FanWatchMask::RENAME | FanWatchMask::ONDIR;
    for path in [&src, &dst] {
        group
            .add_mark(path, MarkTarget::Inode, mask, FanMarkFlags::empty())
            .unwrap();
    }
    fs::rename(src.join("x"), dst.join("y")).unwrap();
    let seen = collect_until(&group, |seen| {
        seen.iter().any(|s| s.mask.contains(FanEventMask::RENAME))
    });
    let rename = seen
        .iter()
        .find(|s| s.mask.contains(FanEventMask::RENAME))
        .unwrap();
    let src_id = FileIdBuf::of(&src).unwrap();
    let dst_id = FileIdBuf::of(&dst).unwrap();
    assert_eq!(rename.old, Some((src_id, "x".into())), "{rename}");
    assert_eq!(rename.new, Some((dst_id, "y".into())), "{rename}");
    assert_eq!(
        rename.name, None,
        "a rename carries OLD/NEW records, not DFID_NAME"
    );
}

#[test]
fn create_and_delete_queued_together_come_as_one_record_with_both_bits() {
    let dir = TempDir::new("fan-merge");
    let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME).unwrap();
    group
        .add_mark(
            dir.path(),
            MarkTarget::Inode,
            ENTRY_EVENTS,
            FanMarkFlags::empty(),
        )
        .unwrap();
    // Nothing reads between the two, so both are queued when the second
    // arrives and the kernel merges them (same directory, same name).
    fs::write(dir.join("m"), b"").unwrap();
    fs::remove_file(dir.join("m")).unwrap();
    let seen = collect_until(&group, |seen| has(seen, FanEventMask::DELETE, "m"));
    assert!(
        has(&seen, FanEventMask::CREATE | FanEventMask::DELETE, "m"),
        "one record with both bits: {:?}",
        seen.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
}

/// Mounts a tmpfs on `at` and unmounts it on drop, whatever happens.
struct Tmpfs<'a>(&'a Path);

impl<'a> Tmpfs<'a> {
    fn mount(at: &'a Path) -> Tmpfs<'a> {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "fanotify-test"])
            .arg(at)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mount tmpfs on {}: {status}",
            at.display()
        );
        Tmpfs(at)
    }
}

impl Drop for Tmpfs<'_> {
    fn drop(&mut self) {
        match Command::new("umount").arg("-l").arg(self.0).status() {
            Ok(status) if status.success() => {}
            other => eprintln!("warning: umount {}: {other:?}", self.0.display()),
        }
    }
}

#[test]
fn filesystem_mark_on_fresh_tmpfs_sees_deep_events_without_per_directory_marks() {
    let test =
        "fanotify::filesystem_mark_on_fresh_tmpfs_sees_deep_events_without_per_directory_marks";
    if !in_child() {
        if !is_root() {
            eprintln!("skipped {test}: a filesystem mark needs root (CAP_SYS_ADMIN)");
            return;
        }
        // A private mount namespace: the tmpfs is invisible to every other
        // process and goes away with the child at the latest.
        match rerun_in_child(test, &["unshare", "-m"]) {
            Child::Passed => {}
            Child::Unavailable(why) => eprintln!("skipped {test}: {why}"),
        }
        return;
    }
    let dir = TempDir::new("fan-fs");
    let mnt = dir.join("mnt");
    fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    let deep = mnt.join("a/b/c");
    fs::create_dir_all(&deep).unwrap();
    let support = FsSupport::probe(&mnt);
    assert!(support.filesystem_mark.is_ok(), "{support:?}");
    let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME).unwrap();
    group
        .add_mark(
            &mnt,
            MarkTarget::Filesystem,
            ENTRY_EVENTS,
            FanMarkFlags::empty(),
        )
        .unwrap();
    fs::write(deep.join("f"), b"").unwrap();
    let seen = collect_until(&group, |seen| has(seen, FanEventMask::CREATE, "f"));
    let event = seen
        .iter()
        .find(|s| s.name.as_deref() == Some("f".as_ref()))
        .unwrap();
    let deep_id = FileIdBuf::of(&deep).unwrap();
    assert_eq!(event.dfid, Some(deep_id));
    let mut resolver = HandleResolver::new(&mnt).unwrap();
    assert_eq!(resolver.resolve(deep_id.as_file_id()).unwrap(), deep);
    drop(group);
}

#[test]
fn probe_reports_this_kernel_and_filesystems() {
    let features = FanFeatures::probe();
    eprintln!("fanotify features: {features:?}");
    assert!(
        features.available && features.report_dfid_name,
        "{features:?}"
    );
    assert_eq!(features.admin, is_root());
    let tmp = FsSupport::probe(std::env::temp_dir());
    assert!(tmp.inode_mark.is_ok(), "{tmp:?}");
    assert_eq!(tmp.filesystem_mark.is_ok(), is_root(), "{tmp:?}");
    let proc = FsSupport::probe("/proc");
    eprintln!("fanotify on /proc: {proc:?}");
    assert!(proc.filesystem_mark.is_err(), "{proc:?}");
}

#[test]
fn unprivileged_inode_marks_work_and_filesystem_marks_need_cap_sys_admin() {
    let test = "fanotify::unprivileged_inode_marks_work_and_filesystem_marks_need_cap_sys_admin";
    if !in_child() {
        if !is_root() {
            eprintln!("skipped {test}: needs root to drop to an unprivileged user");
            return;
        }
        let wrapper = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ];
        match rerun_in_child(test, &wrapper) {
            Child::Passed => {}
            Child::Unavailable(why) => eprintln!("skipped {test}: setpriv unavailable: {why}"),
        }
        return;
    }
    assert!(!is_root(), "the child runs as nobody");
    let dir = TempDir::new("fan-unpriv");
    let features = FanFeatures::probe();
    assert!(features.unprivileged && !features.admin, "{features:?}");
    let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME).unwrap();
    group
        .add_mark(
            dir.path(),
            MarkTarget::Inode,
            ENTRY_EVENTS,
            FanMarkFlags::empty(),
        )
        .unwrap();
    fs::write(dir.join("u"), b"").unwrap();
    let seen = collect_until(&group, |seen| has(seen, FanEventMask::CREATE, "u"));
    let id = FileIdBuf::of(dir.path()).unwrap();
    assert!(seen.iter().all(|s| s.dfid == Some(id)));

    let err = group
        .add_mark(
            dir.path(),
            MarkTarget::Filesystem,
            ENTRY_EVENTS,
            FanMarkFlags::empty(),
        )
        .unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EPERM));
    let message = err.to_string();
    assert!(
        message.contains("needs CAP_SYS_ADMIN for a filesystem mark"),
        "{message}"
    );
    assert!(
        message.contains(&*dir.path().to_string_lossy()),
        "{message}"
    );

    // Without CAP_DAC_READ_SEARCH a handle cannot be opened; the message
    // points at mapping the marked directories instead.
    let mut resolver = HandleResolver::new(dir.path()).unwrap();
    let err = resolver.resolve(id.as_file_id()).unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EPERM));
    assert!(err.to_string().contains("CAP_DAC_READ_SEARCH"), "{err}");

    let err =
        Fanotify::init(FanInitFlags::REPORT_DFID_NAME | FanInitFlags::UNLIMITED_MARKS).unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EPERM));
    assert!(err.to_string().contains("needs CAP_SYS_ADMIN"), "{err}");
}

#[test]
fn groups_without_file_handles_or_with_pidfds_are_refused() {
    for flags in [
        FanInitFlags::empty(),
        FanInitFlags::REPORT_FID | FanInitFlags::REPORT_PIDFD,
    ] {
        let err = Fanotify::init(flags).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    }
    let err = Fanotify::init(FanInitFlags::REPORT_FID | FanInitFlags::REPORT_NAME).unwrap_err();
    assert_eq!(raw_os_error(&err), Some(libc::EINVAL));
    assert!(
        err.to_string()
            .contains("FAN_REPORT_NAME needs FAN_REPORT_DIR_FID"),
        "{err}"
    );
}
