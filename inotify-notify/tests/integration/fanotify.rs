//! The fanotify backends of `WatchManager` against the real kernel: inode
//! marks as root and as an unprivileged user (a child of this binary under
//! `setpriv`), a filesystem mark on a fresh tmpfs in a private mount
//! namespace (root only), merged records, renames and moves out.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use inotify_notify::{
    Backend, EventKind, EventMask, NotifierBuilder, WatchManager, WatchMask, WatchOptions,
};

use crate::support::{TempDir, collecting_notifier, has, pump_quiet, pump_until};

/// Set in a child run of this binary.
const CHILD_ENV: &str = "INOTIFY_NOTIFY_FAN_CHILD";

pub fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Re-runs `test` alone in a child of this binary under `wrapper`;
/// `Err(why)` when the wrapper cannot run here. Panics if the child fails.
pub fn rerun_in_child(test: &str, wrapper: &[&str]) -> Result<(), String> {
    let (program, args) = wrapper.split_first().expect("a wrapper");
    match Command::new(program).args(args).arg("true").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(err) => return Err(format!("cannot run {program}: {err}")),
    }
    let exe = std::env::current_exe().expect("path of the test binary");
    let out = Command::new(program)
        .args(args)
        .arg(&exe)
        // `--include-ignored`: the parent may be an ignored test run on
        // purpose (`--ignored`).
        .args([
            test,
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .expect("spawn the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child run of {test} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    Ok(())
}

/// Whether to run the test `test` here: in its child run as `nobody`
/// (`setpriv`, which only root can use), which this starts and checks;
/// `false` in the parent (or when it cannot, saying why).
pub fn as_nobody(test: &str) -> bool {
    if in_child() {
        assert!(!is_root(), "{test}: the child still runs as root");
        return true;
    }
    if !is_root() {
        eprintln!("skipped {test}: needs root to drop to an unprivileged user");
        return false;
    }
    let wrapper = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    if let Err(why) = rerun_in_child(test, &wrapper) {
        eprintln!("skipped {test}: setpriv unavailable: {why}");
    }
    false
}

/// Mounts a tmpfs on `at` (in the caller's mount namespace) and unmounts it
/// on drop.
pub struct Tmpfs<'a>(&'a Path);

impl<'a> Tmpfs<'a> {
    pub fn mount(at: &'a Path) -> Tmpfs<'a> {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "fanotify-test"])
            .arg(at)
            .status()
            .unwrap();
        assert!(status.success(), "mount tmpfs on {}", at.display());
        Tmpfs(at)
    }
}

impl Drop for Tmpfs<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0).status();
    }
}

/// Runs a root-only test in a private mount namespace; `false` in the
/// parent (the child did the work, or it was skipped with a reason).
pub fn in_mount_namespace(test: &str) -> bool {
    if in_child() {
        return true;
    }
    if !is_root() {
        eprintln!("skipped {test}: a filesystem mark needs root (CAP_SYS_ADMIN)");
        return false;
    }
    if let Err(why) = rerun_in_child(test, &["unshare", "-m"]) {
        eprintln!("skipped {test}: unshare -m unavailable: {why}");
    }
    false
}

pub const TREE: WatchMask = WatchMask::CREATE
    .union(WatchMask::DELETE)
    .union(WatchMask::MOVE)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::DELETE_SELF);

/// The tree guarantees on one backend, with `root` inside `base`.
fn tree_events_like_inotify(backend: Backend, base: &Path) {
    let root = base.join("root");
    let outside = base.join("outside");
    std::fs::create_dir_all(root.join("old/deep")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let wm = WatchManager::with_backend(backend).unwrap();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    let added = wm.add_watch(&root, TREE, &options).unwrap();
    let root_wd = *added[&root].as_ref().unwrap();
    assert_eq!(wm.path(root_wd), Some(root.clone()));
    assert_eq!(wm.root_backend(&root), Some(backend));
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());

    // A new tree, made faster than the watcher looks: each entry once.
    std::fs::create_dir_all(root.join("a/b/c")).unwrap();
    std::fs::write(root.join("a/b/c/f"), b"x").unwrap();
    std::fs::write(outside.join("noise"), b"x").unwrap();
    let f = root.join("a/b/c/f");
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter()
                .any(|e| e.pathname() == f && e.kind() == EventKind::Create)
        }),
        "{backend}: {:?}",
        events.lock().unwrap()
    );
    // A rename inside the tree: one pair, a shared non-zero cookie.
    std::fs::rename(root.join("old"), root.join("new")).unwrap();
    std::fs::write(root.join("new/deep/g"), b"").unwrap();
    let g = root.join("new/deep/g");
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { e.iter().any(|e| e.pathname() == g) }
    ));
    // A directory moved out stops reporting.
    std::fs::rename(root.join("a"), outside.join("a")).unwrap();
    std::fs::write(outside.join("a/late"), b"").unwrap();
    std::fs::write(root.join("marker"), b"").unwrap();
    let marker = root.join("marker");
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { e.iter().any(|e| e.pathname() == marker) }
    ));
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(2),
    );

    let events = events.lock().unwrap();
    for path in ["a", "a/b", "a/b/c", "a/b/c/f"] {
        let n = events
            .iter()
            .filter(|e| e.kind() == EventKind::Create && e.pathname() == root.join(path))
            .count();
        assert_eq!(n, 1, "{backend}: {path} created {n} times: {events:?}");
    }
    assert!(has(&events, "IN_CREATE|IN_ISDIR", &root.join("a")));
    let from = events
        .iter()
        .find(|e| e.kind() == EventKind::MovedFrom && e.pathname() == root.join("old"))
        .expect("MOVED_FROM old");
    let to = events
        .iter()
        .find(|e| e.kind() == EventKind::MovedTo && e.pathname() == root.join("new"))
        .expect("MOVED_TO new");
    assert!(
        from.cookie != 0 && from.cookie == to.cookie,
        "{from:?} {to:?}"
    );
    assert!(from.mask.contains(EventMask::ISDIR) && to.dir);
    assert_eq!(to.src_pathname.as_deref(), Some(root.join("old").as_path()));
    assert!(events.iter().all(|e| !e.pathname().starts_with(&outside)));
    assert!(
        !events.iter().any(|e| e.name() == Some("late".as_ref())),
        "{backend}: moved-out directory still reported: {events:?}"
    );
    assert!(wm.wd(root.join("a")).is_none() || backend == Backend::Filesystem);
    if backend == Backend::Fanotify {
        assert!(wm.wd(root.join("new/deep")).is_some());
        assert!(wm.wd(root.join("old/deep")).is_none());
    }
}

#[test]
fn inode_marks_report_a_tree_as_inotify_does() {
    let dir = TempDir::new("fan-inode");
    tree_events_like_inotify(Backend::Fanotify, dir.path());
}

#[test]
fn inode_marks_work_for_an_unprivileged_user() {
    if !as_nobody("fanotify::inode_marks_work_for_an_unprivileged_user") {
        return;
    }
    let dir = TempDir::new("fan-unpriv");
    tree_events_like_inotify(Backend::Fanotify, dir.path());
    let err = WatchManager::with_backend(Backend::Filesystem).unwrap_err();
    assert!(err.to_string().contains("CAP_SYS_ADMIN"), "{err}");
    let err = WatchManager::with_backend(Backend::Mount).unwrap_err();
    assert!(
        err.to_string().contains("CAP_SYS_ADMIN for a mount mark"),
        "{err}"
    );
    assert_eq!(*err.kind(), inotify_notify::ErrorKind::PermissionDenied);
    // Auto falls back to inode marks without the privilege.
    let wm = WatchManager::with_backend(Backend::Auto).unwrap();
    let options = WatchOptions {
        rec: true,
        ..WatchOptions::default()
    };
    wm.add_watch(dir.path(), WatchMask::CREATE, &options)
        .unwrap();
    assert_eq!(wm.root_backend(dir.path()), Some(Backend::Fanotify));
}

#[test]
fn filesystem_mark_reports_a_tree_and_filters_what_is_outside() {
    let test = "fanotify::filesystem_mark_reports_a_tree_and_filters_what_is_outside";
    if !in_mount_namespace(test) {
        return;
    }
    let dir = TempDir::new("fan-fs");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _tmpfs = Tmpfs::mount(&mnt);
    tree_events_like_inotify(Backend::Filesystem, &mnt);
    let wm = WatchManager::with_backend(Backend::Filesystem).unwrap();
    let options = WatchOptions {
        rec: true,
        ..WatchOptions::default()
    };
    wm.add_watch(mnt.join("root"), WatchMask::CREATE, &options)
        .unwrap();
    // One watch for the whole tree: no per-directory marks.
    assert_eq!(wm.num_watches(), 1);
}

#[test]
fn merged_create_and_delete_come_out_in_the_order_they_happened() {
    let dir = TempDir::new("fan-merged");
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    wm.add_watch(dir.path(), TREE, &WatchOptions::default())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    // Nothing is read between these: the kernel merges each file's records.
    std::fs::write(dir.join("gone"), b"x").unwrap();
    std::fs::remove_file(dir.join("gone")).unwrap();
    std::fs::write(dir.join("back"), b"x").unwrap();
    std::fs::remove_file(dir.join("back")).unwrap();
    std::fs::write(dir.join("back"), b"y").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter()
                .filter(|e| e.name() == Some("back".as_ref()))
                .count()
                >= 5
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
    let kinds = |name: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e.name() == Some(name.as_ref()))
            .map(inotify_notify::Event::maskname)
            .collect()
    };
    assert_eq!(kinds("gone"), ["IN_CREATE", "IN_CLOSE_WRITE", "IN_DELETE"]);
    assert_eq!(
        kinds("back"),
        [
            "IN_CREATE",
            "IN_CLOSE_WRITE",
            "IN_DELETE",
            "IN_CREATE",
            "IN_CLOSE_WRITE"
        ]
    );
}

#[test]
fn a_flood_of_merged_records_in_one_directory_keeps_each_names_order() {
    // Enough merged CREATE|DELETE records in one directory for the round
    // to list it once instead of looking each name up: a name missing
    // from the listing was created, then deleted; a name there (the same
    // object, linked back) was deleted, then created.
    let dir = TempDir::new("fan-merged-flood");
    for j in 0..4 {
        std::fs::write(dir.join(format!("keep-{j}")), b"x").unwrap();
        std::fs::hard_link(dir.join(format!("keep-{j}")), dir.join(format!("link-{j}"))).unwrap();
    }
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    wm.add_watch(dir.path(), TREE, &WatchOptions::default())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    for i in 0..40 {
        let path = dir.join(format!("gone-{i}"));
        std::fs::write(&path, b"x").unwrap();
        std::fs::remove_file(&path).unwrap();
    }
    for j in 0..4 {
        std::fs::remove_file(dir.join(format!("keep-{j}"))).unwrap();
        std::fs::hard_link(dir.join(format!("link-{j}")), dir.join(format!("keep-{j}"))).unwrap();
    }
    std::fs::write(dir.join("end"), b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter().any(|e| e.name() == Some("end".as_ref()))
        }),
        "{:?}",
        events.lock().unwrap()
    );
    let events = events.lock().unwrap();
    let entry_kinds = |name: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e.name() == Some(name.as_ref()))
            .filter(|e| e.mask.intersects(EventMask::CREATE | EventMask::DELETE))
            .map(inotify_notify::Event::maskname)
            .collect()
    };
    for i in 0..40 {
        assert_eq!(
            entry_kinds(&format!("gone-{i}")),
            ["IN_CREATE", "IN_DELETE"],
            "gone-{i}"
        );
    }
    for j in 0..4 {
        assert_eq!(
            entry_kinds(&format!("keep-{j}")),
            ["IN_DELETE", "IN_CREATE"],
            "keep-{j}"
        );
    }
}

#[test]
fn a_delete_merged_into_an_earlier_record_comes_after_the_objects_later_records() {
    // f is written (one record), renamed away and back (two records that
    // never merge), then deleted: the kernel merges the DELETE into the
    // first record, which is still queued. It must come out last.
    let dir = TempDir::new("fan-merged-later");
    std::fs::write(dir.join("f"), b"").unwrap();
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    wm.add_watch(dir.path(), TREE, &WatchOptions::default())
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::write(dir.join("f"), b"x").unwrap();
    std::fs::rename(dir.join("f"), dir.join("g")).unwrap();
    std::fs::rename(dir.join("g"), dir.join("f")).unwrap();
    std::fs::remove_file(dir.join("f")).unwrap();
    std::fs::write(dir.join("end"), b"").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter().any(|e| e.name() == Some("end".as_ref()))
        }),
        "{:?}",
        events.lock().unwrap()
    );
    let events = events.lock().unwrap();
    let seen: Vec<(String, String)> = events
        .iter()
        .filter(|e| e.name() != Some("end".as_ref()))
        .map(|e| {
            let name = e.name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), e.maskname())
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("f", "IN_CLOSE_WRITE"),
        ("f", "IN_MOVED_FROM"),
        ("g", "IN_MOVED_TO"),
        ("g", "IN_MOVED_FROM"),
        ("f", "IN_MOVED_TO"),
        ("f", "IN_DELETE"),
    ]
    .iter()
    .map(|(n, k)| ((*n).to_owned(), (*k).to_owned()))
    .collect();
    assert_eq!(seen, expected);
}

#[test]
fn rm_watch_of_a_fanotify_watch_delivers_ignored() {
    let dir = TempDir::new("fan-rm");
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    let added = wm
        .add_watch(dir.path(), WatchMask::CREATE, &WatchOptions::default())
        .unwrap();
    let wd = *added[dir.path()].as_ref().unwrap();
    assert!(wd.as_raw() >= 1 << 30, "synthetic descriptors: {wd}");
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    wm.rm_watch(wd, inotify_notify::RmOptions::default())
        .unwrap();
    assert_eq!(wm.num_watches(), 0);
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| {
            e.iter()
                .any(|e| e.kind() == EventKind::Ignored && e.wd == wd)
        }
    ));
    std::fs::write(dir.join("after"), b"").unwrap();
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(1),
    );
    assert!(!has(
        &events.lock().unwrap(),
        "IN_CREATE",
        &dir.join("after")
    ));
}

#[test]
fn the_managers_own_listings_are_not_reported() {
    let dir = TempDir::new("fan-listing");
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    wm.add_watch(dir.path(), WatchMask::ALL_EVENTS, &options)
        .unwrap();
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    // A new directory is listed by its scan: that listing is ours too.
    std::fs::create_dir(dir.join("new")).unwrap();
    std::fs::write(dir.join("marker"), b"").unwrap();
    let marker = dir.join("marker");
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| { e.iter().any(|e| e.pathname() == marker) }
    ));
    pump_quiet(
        &mut notifier,
        Duration::from_millis(50),
        Duration::from_secs(1),
    );
    let events = events.lock().unwrap();
    let listing = EventMask::OPEN | EventMask::ACCESS | EventMask::CLOSE_NOWRITE;
    let own: Vec<_> = events
        .iter()
        .filter(|e| e.dir && e.mask.intersects(listing))
        .collect();
    assert!(own.is_empty(), "walk and scan listings reported: {own:?}");
}

/// A file watched on its own (its directory not watched), as
/// `fsnotifywait FILE` does (inotify-tools' t/inotifywait-daemon-logs-chown.t
/// runs `fsnotifywait --fanotify -e ATTRIB FILE`). Failed twice before:
/// the mark was refused (ENOTDIR: ONDIR and entry events on a file's
/// mark), then its records, which name the unwatched directory and the
/// file, were dropped as another directory's.
#[test]
fn a_file_watched_alone_reports_its_own_events() {
    let dir = TempDir::new("fan-file");
    let file = dir.join("f");
    std::fs::write(&file, b"").unwrap();
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    let added = wm
        .add_watch(&file, WatchMask::ALL_EVENTS, &WatchOptions::default())
        .unwrap();
    assert!(added[&file].is_ok(), "{added:?}");
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::write(&file, b"x").unwrap();
    assert!(
        pump_until(&mut notifier, &events, Duration::from_secs(5), |e| {
            e.iter()
                .any(|e| e.pathname() == file && e.kind() == EventKind::Attrib)
                && e.iter()
                    .any(|e| e.pathname() == file && e.kind() == EventKind::CloseWrite)
        }),
        "{:?}",
        events.lock().unwrap()
    );
    assert!(events.lock().unwrap().iter().all(|e| e.name().is_none()));
}

/// The inode marks a fanotify group holds (`/proc/self/fdinfo`).
fn inode_marks(wm: &WatchManager) -> usize {
    use std::os::fd::AsRawFd;
    let fd = wm.fanotify_fd().expect("a fanotify manager").as_raw_fd();
    std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("fanotify ino:"))
        .count()
}

#[test]
fn inode_marks_of_a_directory_moved_out_are_removed() {
    if !is_root() {
        eprintln!(
            "skipped inode_marks_of_a_directory_moved_out_are_removed: finding a moved-out \
             directory by its handle needs CAP_DAC_READ_SEARCH"
        );
        return;
    }
    let dir = TempDir::new("fan-unmark");
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("a/b/c")).unwrap();
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    let wm = WatchManager::with_backend(Backend::Fanotify).unwrap();
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        ..WatchOptions::default()
    };
    wm.add_watch(&root, TREE, &options).unwrap();
    assert_eq!(inode_marks(&wm), 4);
    let (mut notifier, events) = collecting_notifier(&wm, &NotifierBuilder::new());
    std::fs::rename(root.join("a"), dir.join("outside/a")).unwrap();
    std::fs::write(root.join("marker"), b"").unwrap();
    let marker = root.join("marker");
    assert!(pump_until(
        &mut notifier,
        &events,
        Duration::from_secs(5),
        |e| e.iter().any(|e| e.pathname() == marker)
    ));
    assert!(wm.wd(root.join("a")).is_none());
    // The root's mark only: the three moved out are gone from the group.
    assert_eq!(inode_marks(&wm), 1, "{:?}", events.lock().unwrap());
}
