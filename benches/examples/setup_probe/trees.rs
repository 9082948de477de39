//! The trees `setup_probe` measures, generated once and kept on disk
//! between runs (a million directories take minutes to make), and walked
//! once before each use so the dentry and inode caches are warm.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use benches::make_tree;

/// What a finished tree's marker file says; a tree without it (an
/// interrupted generation) is made again.
fn marker_text(dirs: usize) -> String {
    format!("{dirs} directories below the root, fan-out 10, breadth first (benches::make_tree)\n")
}

/// A directory with nothing below it: the base of the memory figures.
pub(crate) fn empty(base: &Path) -> io::Result<PathBuf> {
    let dir = base.join("empty");
    fs::create_dir_all(&dir).map_err(|e| named(&dir, &e))?;
    if fs::read_dir(&dir)
        .map_err(|e| named(&dir, &e))?
        .next()
        .is_some()
    {
        return Err(io::Error::other(format!(
            "{} is not empty: remove what is in it",
            dir.display()
        )));
    }
    Ok(dir)
}

fn named(path: &Path, err: &io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// The tree of `dirs` directories under `base`, made if it is not there
/// (or was left unfinished), then walked once to warm the caches.
pub(crate) fn ensure(base: &Path, dirs: usize) -> io::Result<PathBuf> {
    let root = base.join(format!("fanout10-{dirs}"));
    let marker = base.join(format!("fanout10-{dirs}.done"));
    let finished = fs::read_to_string(&marker).is_ok_and(|text| text == marker_text(dirs));
    if !finished {
        generate(&root, &marker, dirs)?;
    }
    let start = Instant::now();
    let found = count_dirs(&root)?;
    if found != dirs {
        return Err(io::Error::other(format!(
            "{} holds {found} directories, not {dirs}: remove it (and {}) to make it again",
            root.display(),
            marker.display()
        )));
    }
    eprintln!(
        "setup_probe: {} walked in {:.2} s (warming the caches)",
        root.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(root)
}

/// Makes the tree in a side directory and renames it into place, so a
/// killed generation never passes for a finished one.
fn generate(root: &Path, marker: &Path, dirs: usize) -> io::Result<()> {
    let partial = root.with_extension("partial");
    for stale in [root, partial.as_path()] {
        if stale.exists() {
            eprintln!("setup_probe: removing unfinished {}", stale.display());
            fs::remove_dir_all(stale).map_err(|e| named(stale, &e))?;
        }
    }
    fs::create_dir_all(&partial).map_err(|e| named(&partial, &e))?;
    eprintln!(
        "setup_probe: generating {dirs} directories in {} (once; kept for later runs)",
        root.display()
    );
    let start = Instant::now();
    make_tree(&partial, dirs).map_err(|e| named(&partial, &e))?;
    fs::rename(&partial, root).map_err(|e| named(root, &e))?;
    fs::write(marker, marker_text(dirs)).map_err(|e| named(marker, &e))?;
    eprintln!(
        "setup_probe: generated in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Directories below `root`, by `d_type` (no `stat` where the file system
/// gives it).
fn count_dirs(root: &Path) -> io::Result<usize> {
    let mut count = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| named(&dir, &e))? {
            let entry = entry.map_err(|e| named(&dir, &e))?;
            if entry.file_type()?.is_dir() {
                count += 1;
                stack.push(entry.path());
            }
        }
    }
    Ok(count)
}
