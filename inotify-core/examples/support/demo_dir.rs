//! Shared by the examples (included with `#[path]`; the same file in
//! `inotify-core/examples/support` and `inotify-notify/examples/support`,
//! each crate's examples building on their crate alone): the directory to
//! watch — the first argument, or a fresh temporary one for a
//! self-running demo, removed when the guard drops (on every return path,
//! errors included).
#![allow(dead_code, reason = "each example uses part of this module")]

use std::path::{Path, PathBuf};

/// The directory an example watches; a temporary demo directory is
/// removed on drop.
pub struct DemoDir {
    path: PathBuf,
    demo: bool,
}

impl DemoDir {
    /// The first argument, or a new temporary directory named after the
    /// example and the process (the demo mode).
    pub fn from_args(name: &str) -> std::io::Result<Self> {
        if let Some(dir) = std::env::args_os().nth(1) {
            return Ok(DemoDir {
                path: PathBuf::from(dir),
                demo: false,
            });
        }
        Self::temp(name)
    }

    /// A new temporary directory, removed on drop.
    pub fn temp(name: &str) -> std::io::Result<Self> {
        let crate_name = env!("CARGO_PKG_NAME");
        let path = std::env::temp_dir().join(format!("{crate_name}-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(DemoDir { path, demo: true })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `path/rel`.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }

    /// Whether this is the self-running demo in a temporary directory.
    pub fn is_demo(&self) -> bool {
        self.demo
    }

    /// Removes a demo directory now (if the demo did not remove it
    /// itself), reporting a failure.
    pub fn remove(mut self) -> std::io::Result<()> {
        // Never the user's directory: only the demo's own.
        if !std::mem::replace(&mut self.demo, false) {
            return Ok(());
        }
        match std::fs::remove_dir_all(&self.path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        if self.demo
            && let Err(err) = std::fs::remove_dir_all(&self.path)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("cannot remove {}: {err}", self.path.display());
        }
    }
}
