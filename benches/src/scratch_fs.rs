//! [`ScratchFs`]: a fresh tmpfs mounted for one probe (as root) and
//! unmounted when dropped, also while unwinding — so a filesystem-wide
//! fanotify mark on it sees the probe's own events and nobody else's.
//! Mounting goes through mount(8)/umount(8): the crate has no `unsafe`.

use std::io;
use std::path::Path;
use std::process::Command;

use crate::tree::TempDir;

/// A tmpfs mounted on a temporary directory of its own.
#[derive(Debug)]
pub struct ScratchFs {
    /// Unmounted (in `drop`) before the mount point is removed.
    mounted: bool,
    /// The mount point; dropped after the unmount.
    dir: TempDir,
}

impl ScratchFs {
    /// Mounts a 64 MiB tmpfs (`mode=0700`) on a fresh temporary directory
    /// named after `name`. Needs root.
    ///
    /// # Errors
    /// When the directory cannot be made or mount(8) fails.
    pub fn mount(name: &str) -> io::Result<Self> {
        let dir = TempDir::new(name)?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64m,mode=0700", "inotify-bench"])
            .arg(dir.path())
            .output()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run mount: {e}")))?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "mount -t tmpfs on {} failed ({}): {}",
                dir.path().display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(ScratchFs { mounted: true, dir })
    }

    /// The mount point: the root of the fresh filesystem.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for ScratchFs {
    fn drop(&mut self) {
        if !self.mounted {
            return;
        }
        let path = self.dir.path();
        let umount = |lazy: bool| {
            let mut cmd = Command::new("umount");
            if lazy {
                cmd.arg("--lazy");
            }
            cmd.arg(path).status().is_ok_and(|s| s.success())
        };
        // A process still using it (a child not yet reaped) makes a plain
        // unmount fail with EBUSY; the lazy one detaches it anyway.
        if !umount(false) && !umount(true) {
            eprintln!(
                "warning: cannot unmount the scratch tmpfs on {}: run `umount {}` by hand",
                path.display(),
                path.display()
            );
        }
        self.mounted = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::is_root;

    #[test]
    fn a_scratch_fs_is_its_own_mount_and_goes_away() -> io::Result<()> {
        if !is_root() {
            println!("skipped: mounting a tmpfs needs root");
            return Ok(());
        }
        let path;
        {
            let fs = ScratchFs::mount("scratch-test")?;
            path = fs.path().to_path_buf();
            let mounts = std::fs::read_to_string("/proc/self/mounts")?;
            assert!(mounts.contains(&format!(" {} tmpfs ", path.display())));
        }
        let mounts = std::fs::read_to_string("/proc/self/mounts")?;
        assert!(!mounts.contains(&format!(" {} ", path.display())));
        assert!(!path.exists());
        Ok(())
    }
}
