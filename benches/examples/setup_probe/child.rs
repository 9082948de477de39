//! The child modes of `setup_probe` (`setup_probe child MODE DIR`): each
//! watches DIR recursively one way, says "Watches established." on stderr
//! once the add has returned, and then holds its watches until stdin is
//! closed or the probe kills it.

use std::ffi::{CStr, OsString};
use std::hint::black_box;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use inotify_core::{WatchMask, Watcher};
use inotify_notify::{WatchManager, WatchOptions};
use rustix::fs::inotify::{self, CreateFlags, WatchFlags};
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};

/// The mask every contender asks for: `inotifywait`'s when no `-e` is
/// given.
const MASK: WatchMask = WatchMask::ALL_EVENTS;

/// Runs child mode `args[0]` on directory `args[1]`.
pub(crate) fn main(args: &[OsString]) -> io::Result<()> {
    let [mode, dir] = args else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "usage: setup_probe child MODE DIR",
        ));
    };
    let dir = Path::new(dir);
    match mode.to_str() {
        Some("raw") => {
            let (fd, wds) = raw_loop(dir)?;
            hold(&(fd, wds))
        }
        Some("watch-manager") => {
            let wm = WatchManager::new().map_err(io::Error::from)?;
            let options = WatchOptions {
                rec: true,
                auto_add: true,
                ..WatchOptions::default()
            };
            // The lean add: no pyinotify map of every watched path (what
            // `add_watch` returns, and what a caller holding a big tree
            // does not need).
            let added = wm
                .add_watches_summary([dir], MASK, &options)
                .map_err(io::Error::from)?;
            drop(added);
            hold(&wm)
        }
        Some("watcher") => {
            let mut watcher: Watcher = Watcher::new()?;
            let wds = watcher.add_all(dir, MASK, (), Err)?;
            drop(wds);
            hold(&watcher)
        }
        Some("notify-crate") => {
            use notify::Watcher as _;
            let mut watcher = notify::recommended_watcher(|_: notify::Result<notify::Event>| {})
                .map_err(io::Error::other)?;
            watcher
                .watch(dir, notify::RecursiveMode::Recursive)
                .map_err(io::Error::other)?;
            hold(&watcher)
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unknown child mode {}", mode.display()),
        )),
    }
}

/// Says the watches are established and keeps `watches` alive until stdin
/// reaches its end (the probe closes it, or kills this process first).
fn hold<T>(watches: &T) -> io::Result<()> {
    eprintln!("Watches established.");
    io::stdin().read_to_end(&mut Vec::new())?;
    black_box(watches);
    Ok(())
}

/// The baseline, as a careful C program would write it: `inotify_init1`,
/// then a depth-first walk with `opendir`/`readdir` (rustix's libc backend
/// calls `fdopendir` and `readdir64`), one `inotify_add_watch` per
/// directory before it is listed (subdirectories with
/// `ONLYDIR|DONT_FOLLOW`), the entry type from `d_type` (`fstatat` only
/// where the file system does not give it), one path buffer reused for the
/// whole walk, and the descriptors as the only state kept.
fn raw_loop(root: &Path) -> io::Result<(rustix::fd::OwnedFd, Vec<i32>)> {
    let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)?;
    let flags = WatchFlags::from_bits_retain(MASK.bits());
    let sub_flags =
        WatchFlags::from_bits_retain((MASK | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW).bits());
    let mut path = root.as_os_str().as_bytes().to_vec();
    path.push(0);
    let root_wd = inotify::add_watch(&fd, c_path(&path)?, flags);
    let mut wds = vec![root_wd.map_err(|e| failed("inotify_add_watch", &path, e))?];
    path.pop();
    walk(fd.as_fd(), &mut path, sub_flags, &mut wds)?;
    Ok((fd, wds))
}

/// `err` naming the call and the path (`path` may end in its NUL).
fn failed(call: &str, path: &[u8], err: rustix::io::Errno) -> io::Error {
    let err = io::Error::from(err);
    let path = Path::new(std::ffi::OsStr::from_bytes(
        path.strip_suffix(&[0]).unwrap_or(path),
    ));
    io::Error::new(err.kind(), format!("{call} {}: {err}", path.display()))
}

/// `buf` (ending in its NUL) as a C string.
fn c_path(buf: &[u8]) -> io::Result<&CStr> {
    CStr::from_bytes_with_nul(buf)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path with a NUL byte inside"))
}

/// Lists the directory `path` (no NUL at its end), watching and entering
/// every subdirectory; `path` is back as it was on return.
fn walk(
    inotify: BorrowedFd<'_>,
    path: &mut Vec<u8>,
    flags: WatchFlags,
    wds: &mut Vec<i32>,
) -> io::Result<()> {
    let len = path.len();
    path.push(0);
    let opened = rustix::fs::open(
        c_path(path)?,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    );
    let opened = opened.map_err(|e| failed("open", path, e));
    path.truncate(len);
    let mut dir = Dir::new(opened?)?;
    while let Some(entry) = dir.read() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let is_dir = match entry.file_type() {
            FileType::Directory => true,
            FileType::Unknown => {
                let stat =
                    rustix::fs::statat(dir.fd()?, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)?;
                FileType::from_raw_mode(stat.st_mode) == FileType::Directory
            }
            _ => false,
        };
        if !is_dir {
            continue;
        }
        path.push(b'/');
        path.extend_from_slice(name);
        path.push(0);
        let wd = inotify::add_watch(inotify, c_path(path)?, flags);
        wds.push(wd.map_err(|e| failed("inotify_add_watch", path, e))?);
        path.pop();
        walk(inotify, path, flags, wds)?;
        path.truncate(len);
    }
    Ok(())
}
