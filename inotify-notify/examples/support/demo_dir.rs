//! Shared by the examples (included with `#[path]`): the directory to
//! watch — the first argument, or a fresh temporary one for a
//! self-running demo — and a helper to run a few file operations.

use std::path::PathBuf;

/// The directory to watch and whether it is a temporary demo directory.
pub fn dir_from_args(name: &str) -> std::io::Result<(PathBuf, bool)> {
    if let Some(dir) = std::env::args_os().nth(1) {
        return Ok((PathBuf::from(dir), false));
    }
    let dir = std::env::temp_dir().join(format!("inotify-notify-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok((dir, true))
}
