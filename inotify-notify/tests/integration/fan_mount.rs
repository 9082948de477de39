//! `Backend::Mount` against the real kernel, as root on a fresh tmpfs in a
//! private mount namespace: the file-access events of a mount mark with
//! their paths, nothing from outside the roots, one mark shared by two
//! roots on one mount, paths kept right across a directory renamed while
//! watched (no record tells of it), and the masks a mount mark refuses.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use inotify_notify::{
    Backend, ErrorKind, EventKind, NotifierBuilder, RmOptions, WatchManager, WatchMask,
    WatchOptions,
};

use crate::fanotify::{Tmpfs, in_mount_namespace, is_root};
use crate::support::{TempDir, collecting_notifier, has, pump_quiet, pump_until};

/// Everything a mount mark can report.
const ACCESS: WatchMask = WatchMask::ACCESS
    .union(WatchMask::MODIFY)
    .union(WatchMask::OPEN)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::CLOSE_NOWRITE);

/// A recursive watch (what `-M` does: the mark sees the whole mount).
fn recursive() -> WatchOptions {
    WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    }
}

/// The mount marks a fanotify group holds (`/proc/self/fdinfo`).
fn mount_marks(wm: &WatchManager) -> usize {
    use std::os::fd::AsRawFd;
    let fd = wm.fanotify_fd().expect("a fanotify manager").as_raw_fd();
    std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("fanotify mnt_id:"))
        .count()
}

/// Lists `dir` in another process: this process's own directory listings
/// are dropped as the manager's walks.
fn list_elsewhere(dir: &Path) {
    let status = Command::new("ls").arg(dir).output().expect("run ls").status;
    assert!(status.success(), "ls {}", dir.display());
}

#[test]
fn mount_mark_reports_file_access_below_its_roots_only() {
    let test = "fan_mount::mount_mark_reports_file_access_below_its_roots_only";
    if !in_mount_namespace(test) {
        return;
    }
    let dir = TempDir::new("fan-mount");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    let root = mnt.join("root");
    let outside = mnt.join("outside");
    std::fs::create_dir_all(root.join("A/B/C/D")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("g"), b"x").unwrap();
    let wm = WatchManager::with_backend(Backend::Mount).unwrap();
    let added = wm.add_watch(&root, ACCESS, &recursive()).unwrap();
    assert!(added[&root].is_ok(), "{added:?}");
    assert_eq!(wm.root_backend(&root), Some(Backend::Mount));
    assert_eq!(wm.root_backend(root.join("A/B")), Some(Backend::Mount));
    assert_eq!(wm.num_watches(), 1);
    assert_eq!(mount_marks(&wm), 1);
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());

    // inotify-tools' t/ test: touch root/A/B/C/D/test && cat it.
    let test_file = root.join("A/B/C/D/test");
    std::fs::write(&test_file, b"").unwrap();
    std::fs::read(&test_file).unwrap();
    std::fs::read(outside.join("g")).unwrap();
    std::fs::write(outside.join("g"), b"y").unwrap();
    list_elsewhere(&root.join("A"));
    let marker = root.join("marker");
    std::fs::write(&marker, b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter()
                .any(|e| e.pathname() == marker && e.kind() == EventKind::CloseWrite)
        }),
        "{:?}",
        events.lock().unwrap()
    );
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(2),
    );
    let events = events.lock().unwrap();
    for mask in ["IN_OPEN", "IN_CLOSE_WRITE", "IN_CLOSE_NOWRITE"] {
        assert!(has(&events, mask, &test_file), "{mask}: {events:?}");
    }
    // A directory's own events come with ISDIR (at the directory: a mount
    // mark's records of a directory name it, not its parent).
    let a = root.join("A");
    let of_a = |kind| {
        events
            .iter()
            .any(|e| e.kind() == kind && e.dir && e.pathname() == a)
    };
    assert!(of_a(EventKind::Open), "{events:?}");
    assert!(of_a(EventKind::CloseNowrite), "{events:?}");
    assert!(
        events.iter().all(|e| e.pathname().starts_with(&root)),
        "outside the root: {events:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| e.wd == added[&root].as_ref().copied().unwrap())
    );
}

/// A mount mark gets no rename record: the path remembered for `old/sub`
/// would stay, and the write below the renamed directory be reported
/// under `old/` (or dropped). Failed before paths were checked per round:
/// `root/old/sub/g` was reported.
#[test]
fn mount_mark_reports_a_renamed_directory_at_its_new_path() {
    let test = "fan_mount::mount_mark_reports_a_renamed_directory_at_its_new_path";
    if !in_mount_namespace(test) {
        return;
    }
    let dir = TempDir::new("fan-mount-rename");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    let root = mnt.join("root");
    std::fs::create_dir_all(root.join("old/sub")).unwrap();
    let wm = WatchManager::with_backend(Backend::Mount).unwrap();
    wm.add_watch(&root, WatchMask::CLOSE_WRITE, &recursive())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    // First met (and remembered) at its old path.
    let f = root.join("old/sub/f");
    std::fs::write(&f, b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter().any(|e| e.pathname() == f)
        }),
        "{:?}",
        events.lock().unwrap()
    );
    std::fs::rename(root.join("old"), root.join("new")).unwrap();
    let g = root.join("new/sub/g");
    std::fs::write(&g, b"").unwrap();
    // Renamed once more, and a new directory at the old name.
    std::fs::rename(root.join("new"), root.join("newer")).unwrap();
    std::fs::create_dir_all(root.join("new/sub")).unwrap();
    let h = root.join("newer/sub/h");
    let i = root.join("new/sub/i");
    std::fs::write(&h, b"").unwrap();
    std::fs::write(&i, b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter().any(|e| e.pathname() == i)
        }),
        "{:?}",
        events.lock().unwrap()
    );
    let events = events.lock().unwrap();
    // g was written before the second rename: its record is placed where
    // its directory is when the record is read (as a filesystem mark
    // places records of directories it never saw renamed).
    assert!(
        has(&events, "IN_CLOSE_WRITE", &g)
            || has(&events, "IN_CLOSE_WRITE", &root.join("newer/sub/g")),
        "{events:?}"
    );
    assert!(has(&events, "IN_CLOSE_WRITE", &h), "{events:?}");
    assert!(has(&events, "IN_CLOSE_WRITE", &i), "{events:?}");
    // Only f, written before the renames, is under old/.
    assert!(
        !events
            .iter()
            .any(|e| e.pathname().starts_with(root.join("old")) && e.pathname() != f),
        "stale path: {events:?}"
    );
}

#[test]
fn roots_on_one_mount_share_its_mark() {
    let test = "fan_mount::roots_on_one_mount_share_its_mark";
    if !in_mount_namespace(test) {
        return;
    }
    let dir = TempDir::new("fan-mount-share");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    let (one, two) = (mnt.join("one"), mnt.join("two"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&two).unwrap();
    let wm = WatchManager::with_backend(Backend::Mount).unwrap();
    let wd_one = *wm.add_watch(&one, ACCESS, &recursive()).unwrap()[&one]
        .as_ref()
        .unwrap();
    wm.add_watch(&two, ACCESS, &recursive()).unwrap();
    assert_eq!((wm.num_watches(), mount_marks(&wm)), (2, 1));
    // The first root gone, the mark stays for the second.
    wm.rm_watch(wd_one, RmOptions::default()).unwrap();
    assert_eq!((wm.num_watches(), mount_marks(&wm)), (1, 1));
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::write(one.join("x"), b"").unwrap();
    let y = two.join("y");
    std::fs::write(&y, b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter()
                .any(|e| e.pathname() == y && e.kind() == EventKind::CloseWrite)
        }),
        "{:?}",
        events.lock().unwrap()
    );
    let events = events.lock().unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e.pathname().starts_with(&one) && e.kind() != EventKind::Ignored),
        "{events:?}"
    );
}

/// A mount mark cannot carry directory-entry or inode-change events: the
/// add is refused with a typed error naming them, before any mark (the
/// kernel would say EINVAL and not why).
#[test]
fn a_mask_a_mount_mark_cannot_carry_is_refused_naming_the_bits() {
    if !is_root() {
        eprintln!(
            "skipped a_mask_a_mount_mark_cannot_carry: a mount mark needs root (CAP_SYS_ADMIN)"
        );
        return;
    }
    let dir = TempDir::new("fan-mount-mask");
    let wm = WatchManager::with_backend(Backend::Mount).unwrap();
    let mask = WatchMask::CREATE | WatchMask::ATTRIB | WatchMask::OPEN;
    let err = wm
        .add_watch(dir.path(), mask, &WatchOptions::default())
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::UnsupportedEvents, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("IN_CREATE") && text.contains("IN_ATTRIB") && !text.contains("IN_OPEN"),
        "{text}"
    );
    assert!(text.contains("mount mark") && text.contains(&*dir.path().to_string_lossy()));
    assert_eq!(err.raw_os_error(), None);
    assert_eq!(wm.num_watches(), 0);
    // What it can carry is accepted.
    wm.add_watch(dir.path(), WatchMask::OPEN, &WatchOptions::default())
        .unwrap();
    assert_eq!(wm.root_backend(dir.path()), Some(Backend::Mount));
}
