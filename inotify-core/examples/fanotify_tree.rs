//! `cargo run -p inotify-core --example fanotify_tree [-- [--filesystem] DIR]`:
//! directory-entry events by fanotify, printed as `MASK PATH` lines.
//!
//! With `DIR`, an inode mark on that directory (no privilege needed), or
//! with `--filesystem` (as root) one mark on its whole filesystem, which
//! sees every directory below without a walk; runs until interrupted.
//! Without arguments it marks a fresh temporary directory, makes a few
//! changes in it, prints their events and removes the directory again.
//!
//! Paths come from file handles: the marked directory's handle is known
//! from `FileIdBuf::of`; any other directory's (a filesystem mark reports
//! them all) is opened with `HandleResolver`, which needs root.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use inotify_core::{
    FanBuffer, FanEvent, FanInitFlags, FanMarkFlags, FanWatchMask, Fanotify, FileIdBuf,
    HandleResolver, MarkTarget,
};

/// The events printed: entries created, deleted and moved, directories too.
const MASK: FanWatchMask = FanWatchMask::CREATE
    .union(FanWatchMask::DELETE)
    .union(FanWatchMask::MOVED_FROM)
    .union(FanWatchMask::MOVED_TO)
    .union(FanWatchMask::ONDIR);

/// Turns the directory handles of events into paths.
struct Paths {
    marked: (FileIdBuf, PathBuf),
    resolver: HandleResolver,
}

impl Paths {
    fn new(dir: &Path) -> io::Result<Paths> {
        Ok(Paths {
            marked: (FileIdBuf::of(dir)?, dir.to_path_buf()),
            resolver: HandleResolver::new(dir)?,
        })
    }

    /// `DIR/NAME` of an event, or why it has none.
    fn of(&mut self, event: &FanEvent<'_>) -> String {
        let Some((dir, name)) = event.dfid_name() else {
            return "(no directory record)".to_owned();
        };
        let dir_path = if dir == self.marked.0.as_file_id() {
            Ok(self.marked.1.as_path())
        } else {
            self.resolver.resolve(dir)
        };
        match dir_path {
            Ok(path) => path.join(name).display().to_string(),
            Err(err) => format!("(unresolved: {err})/{}", name.display()),
        }
    }
}

/// Prints the events of one read; returns how many were printed.
fn print_events(group: &Fanotify, buffer: &mut FanBuffer, paths: &mut Paths) -> io::Result<usize> {
    let mut events = group.try_read_events(buffer)?;
    let mut count = 0;
    for event in events.by_ref() {
        if event.is_overflow() {
            println!("{} (events were lost)", event.mask);
        } else {
            println!("{} {}", event.mask, paths.of(&event));
        }
        count += 1;
    }
    if let Some(err) = events.error() {
        eprintln!("malformed events: {err}");
    }
    Ok(count)
}

fn watch(dir: &Path, target: MarkTarget) -> io::Result<()> {
    let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME)?;
    group.add_mark(dir, target, MASK, FanMarkFlags::empty())?;
    eprintln!("marked {} ({target:?}); interrupt to stop", dir.display());
    let mut paths = Paths::new(dir)?;
    let mut buffer = FanBuffer::new();
    loop {
        group.wait(None)?;
        print_events(&group, &mut buffer, &mut paths)?;
    }
}

/// Removes the demo directory on drop, also after an error.
struct DemoDir(PathBuf);

impl Drop for DemoDir {
    fn drop(&mut self) {
        if let Err(err) = fs::remove_dir_all(&self.0) {
            eprintln!("cannot remove {}: {err}", self.0.display());
        }
    }
}

fn demo() -> io::Result<()> {
    let dir = DemoDir(std::env::temp_dir().join(format!("fanotify-tree-{}", std::process::id())));
    fs::create_dir(&dir.0)?;
    let group = Fanotify::init(FanInitFlags::REPORT_DFID_NAME)?;
    group.add_mark(&dir.0, MarkTarget::Inode, MASK, FanMarkFlags::ONLYDIR)?;
    let mut paths = Paths::new(&dir.0)?;
    let mut buffer = FanBuffer::new();
    // Read after each change: queued events of one name would be merged
    // into one record (CREATE|DELETE), which is correct but less telling.
    let steps: [&dyn Fn() -> io::Result<()>; 4] = [
        &|| fs::write(dir.0.join("file"), b"demo"),
        &|| fs::create_dir(dir.0.join("sub")),
        &|| fs::rename(dir.0.join("file"), dir.0.join("renamed")),
        &|| fs::remove_file(dir.0.join("renamed")),
    ];
    for step in steps {
        step()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if group.wait(Some(left))? && print_events(&group, &mut buffer, &mut paths)? > 0 {
                break;
            }
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let filesystem = args.iter().any(|a| a == "--filesystem");
    args.retain(|a| a != "--filesystem");
    match args.as_slice() {
        [] if !filesystem => demo(),
        [dir] => {
            let target = if filesystem {
                MarkTarget::Filesystem
            } else {
                MarkTarget::Inode
            };
            watch(Path::new(dir), target)
        }
        _ => {
            eprintln!("usage: fanotify_tree [[--filesystem] DIR]");
            std::process::exit(2);
        }
    }
}
