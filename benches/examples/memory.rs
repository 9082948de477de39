//! Memory per watch: the user-space RSS each watcher keeps per watched
//! directory, for `cargo xtask bench-report`.
//!
//! Run without arguments, it builds trees of 10k and 100k directories on
//! tmpfs (raising `max_user_watches` as root when needed, restoring it
//! after), then measures every contender in a fresh child process of its
//! own — so no allocator state carries over — as the `VmRSS` growth from
//! just before the recursive add to just after, divided by the number of
//! watches. Prints a table and writes `memory.txt` to the results directory.

use std::fmt::Write as _;
use std::fs;
use std::hint::black_box;
use std::io;
use std::path::Path;
use std::process::Command;

use benches::{DRAIN_MASK, LimitGuard, TempDir, make_tree, raw_add_tree, write_result};
use inotify_core::{Inotify, Limit, Watcher};
use inotify_notify::{WatchManager, WatchOptions};

/// Directory counts measured.
const COUNTS: [usize; 2] = [10_000, 100_000];

/// The contenders, by the name the child process takes.
const KINDS: [&str; 4] = ["raw", "watcher", "watch-manager", "notify-crate"];

/// `VmRSS` of this process, in bytes.
fn rss() -> io::Result<u64> {
    let status = fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kb| kb * 1024)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS in /proc/self/status"))
}

/// Child mode: watch the tree at `root` with `kind`, print the RSS growth
/// and the number of watches.
fn measure(kind: &str, root: &Path) -> io::Result<(u64, usize)> {
    match kind {
        "raw" => {
            let inotify = Inotify::init()?;
            let before = rss()?;
            let wds = raw_add_tree(&inotify, root, DRAIN_MASK)?;
            let after = rss()?;
            Ok((after.saturating_sub(before), black_box(wds).len()))
        }
        "watcher" => {
            let mut watcher: Watcher = Watcher::new()?;
            let before = rss()?;
            let wds = watcher.add_all(root, DRAIN_MASK, (), Err)?;
            let after = rss()?;
            Ok((after.saturating_sub(before), wds.len()))
        }
        "watch-manager" => {
            let wm = WatchManager::new().map_err(io::Error::from)?;
            let options = WatchOptions {
                rec: true,
                auto_add: true,
                ..WatchOptions::default()
            };
            let before = rss()?;
            let added = wm
                .add_watch(root, DRAIN_MASK, &options)
                .map_err(io::Error::from)?;
            let after = rss()?;
            Ok((after.saturating_sub(before), added.len()))
        }
        "notify-crate" => {
            use notify::Watcher as _;
            let mut watcher = notify::recommended_watcher(|_: notify::Result<notify::Event>| {})
                .map_err(io::Error::other)?;
            let before = rss()?;
            watcher
                .watch(root, notify::RecursiveMode::Recursive)
                .map_err(io::Error::other)?;
            let after = rss()?;
            // notify does not expose its watch count; the tree is known.
            let count = count_dirs(root)? + 1;
            Ok((after.saturating_sub(before), count))
        }
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unknown kind {other}"),
        )),
    }
}

/// Directories below `root`.
fn count_dirs(root: &Path) -> io::Result<usize> {
    let mut count = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                count += 1;
                stack.push(entry.path());
            }
        }
    }
    Ok(count)
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, kind, root] = args.as_slice()
        && mode == "measure"
    {
        let (bytes, watches) = measure(kind, Path::new(root))?;
        println!("{bytes} {watches}");
        return Ok(());
    }
    let needed = COUNTS.iter().max().copied().unwrap_or(0) as u64 + 20_000;
    let _guard = LimitGuard::at_least(Limit::MaxUserWatches, needed)?;
    let exe = std::env::current_exe()?;
    let mut table = String::new();
    for count in COUNTS {
        let tmp = TempDir::in_memory("memory")?;
        make_tree(tmp.path(), count)?;
        for kind in KINDS {
            let out = Command::new(&exe)
                .arg("measure")
                .arg(kind)
                .arg(tmp.path())
                .output()?;
            if !out.status.success() {
                return Err(io::Error::other(format!(
                    "{kind} at {count}: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let mut fields = text.split_whitespace().map(str::parse::<u64>);
            let (Some(Ok(bytes)), Some(Ok(watches))) = (fields.next(), fields.next()) else {
                return Err(io::Error::other(format!(
                    "{kind}: unexpected output {text:?}"
                )));
            };
            let per_watch = bytes / watches.max(1);
            println!("{kind:>14} {count:>7} dirs: {bytes:>10} bytes, {per_watch:>5} B/watch");
            let _ = writeln!(table, "{kind} {count} {watches} {bytes}");
        }
    }
    let path = write_result("memory.txt", &table)?;
    println!("written to {}", path.display());
    Ok(())
}
