//! The watch budget: what a recursive add would cost ([`count_dirs`]) and,
//! once `max_user_watches` ran out, a [`LimitReport`] of what is left
//! unwatched, who holds the user's watches and which sysctl to raise by
//! how much.

use std::fmt;
use std::path::{Path, PathBuf};

use inotify_core::{Limit, WatchHolder, long_path, watch_holders};

use crate::tree::finish_walk;
use crate::watch::ExcludeFilter;
use crate::watch_manager::WatchManager;

/// How many watches a recursive add of `path` would take: `path` and every
/// directory below it that `exclude` does not exclude (symlinks not
/// followed; directories that cannot be listed count themselves only).
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("count-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("a/b"))?;
/// assert_eq!(inotify_notify::count_dirs(&dir, None), 3);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn count_dirs(path: &Path, exclude: Option<&ExcludeFilter>) -> usize {
    let mut count = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if exclude.is_some_and(|f| f.is_excluded(&dir)) {
            continue;
        }
        count += 1;
        let Ok(entries) = long_path::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(dir.join(entry.file_name()));
            }
        }
    }
    count
}

/// The watch limit that bites and its value: the user namespace's
/// `user.max_inotify_watches` when it is lower than (or readable without)
/// `fs.inotify.max_user_watches`. The value is `None` when neither can be
/// read.
pub fn watch_limit() -> (&'static str, Option<u64>) {
    let global = Limit::MaxUserWatches.read().ok();
    let ns = Limit::MaxUserWatches.read_namespace();
    match (global, ns) {
        (Some(g), Some(n)) if n < g => ("user.max_inotify_watches", Some(n)),
        (None, Some(n)) => ("user.max_inotify_watches", Some(n)),
        (g, _) => ("fs.inotify.max_user_watches", g),
    }
}

/// What a watch limit reached left behind (see [`WatchManager::limit_report`]).
/// Its `Display` is the multi-line message the CLI prints.
#[derive(Debug, Clone)]
pub struct LimitReport {
    /// The subtrees left unwatched (sorted), each with its directory count.
    pub unwatched: Vec<(PathBuf, usize)>,
    /// The processes of this user holding inotify watches, most first.
    pub holders: Vec<WatchHolder>,
    /// The sysctl that bites (`fs.inotify.max_user_watches`, or the user
    /// namespace's `user.max_inotify_watches` when that one is lower).
    pub sysctl: &'static str,
    /// Its current value, if readable.
    pub current: Option<u64>,
    /// The subtrees the fanotify fallback watches instead (sorted), each
    /// with its directory count
    /// ([`WatchManager::enable_fanotify_fallback`]).
    pub fanotify: Vec<(PathBuf, usize)>,
    /// Why the fanotify fallback, turned on, did not take (some of) the
    /// unwatched subtrees.
    pub fanotify_refused: Option<String>,
}

impl LimitReport {
    /// The directories left unwatched, over all subtrees.
    pub fn missing(&self) -> usize {
        self.unwatched.iter().map(|(_, n)| n).sum()
    }

    /// The directories the fanotify fallback watches, over all subtrees.
    pub fn on_fanotify(&self) -> usize {
        self.fanotify.iter().map(|(_, n)| n).sum()
    }

    /// The value to set the sysctl to so everything fits: current + missing.
    pub fn suggested(&self) -> Option<u64> {
        Some(self.current? + self.missing() as u64)
    }
}

/// How many holders and subtrees the message lists.
const SHOWN: usize = 10;

impl fmt::Display for LimitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unwatched.is_empty() {
            writeln!(f, "Nothing left unwatched.")?;
        } else {
            writeln!(
                f,
                "{} subtree(s) left unwatched ({} directories):",
                self.unwatched.len(),
                self.missing()
            )?;
        }
        list(f, &self.unwatched)?;
        if !self.fanotify.is_empty() {
            writeln!(
                f,
                "{} subtree(s) watched through fanotify instead ({} directories):",
                self.fanotify.len(),
                self.on_fanotify()
            )?;
            list(f, &self.fanotify)?;
        }
        if let Some(why) = &self.fanotify_refused {
            writeln!(f, "The fanotify fallback could not take them all: {why}")?;
        }
        writeln!(f, "Processes of this user holding inotify watches:")?;
        for h in self.holders.iter().take(SHOWN) {
            writeln!(f, "  {:>8} watches  pid {:<8} {}", h.watches, h.pid, h.comm)?;
        }
        // Everything on fanotify: what inotify alone would need.
        let more = if self.unwatched.is_empty() {
            self.on_fanotify()
        } else {
            self.missing()
        };
        match self.current {
            Some(current) => {
                let suggested = current + more as u64;
                write!(
                    f,
                    "Raise {} from {current} to at least {suggested} (sysctl -w {}={suggested})",
                    self.sysctl, self.sysctl
                )?;
                if self.unwatched.is_empty() && !self.fanotify.is_empty() {
                    write!(f, " to watch them all with inotify")?;
                }
                Ok(())
            }
            None => write!(f, "Raise {}", self.sysctl),
        }
    }
}

/// The first [`SHOWN`] subtrees with their counts.
fn list(f: &mut fmt::Formatter<'_>, subtrees: &[(PathBuf, usize)]) -> fmt::Result {
    for (path, n) in subtrees.iter().take(SHOWN) {
        writeln!(f, "  {} ({n} directories)", path.display())?;
    }
    if subtrees.len() > SHOWN {
        writeln!(f, "  ... and {} more", subtrees.len() - SHOWN)?;
    }
    Ok(())
}

impl WatchManager {
    /// The report of a watch limit reached: [`WatchManager::unwatched`]
    /// with each subtree's directory count (a quick walk honouring
    /// `exclude`), the holders of this user's watches
    /// ([`inotify_core::watch_holders`]) and the sysctl to raise; with the
    /// fanotify fallback on, the subtrees it took and why it refused any.
    pub fn limit_report(&self, exclude: Option<&ExcludeFilter>) -> LimitReport {
        let tops = self.unwatched();
        let mut st = self.lock();
        // Listing a subtree's top causes OPEN/CLOSE_NOWRITE in its
        // watched parent: noted as a walk's listing, so the final drain
        // drops them as it drops the recursive add's own.
        for top in &tops {
            st.tree.note_foreign_listing(top);
        }
        let unwatched = tops
            .into_iter()
            .map(|p| {
                let n = count_dirs(&p, exclude).max(1);
                (p, n)
            })
            .collect();
        if st.tree.walking() {
            finish_walk(&mut st.tree);
        }
        let (fanotify, fanotify_refused) = crate::fan::fallback_report(&st);
        drop(st);
        self.wake_if_pending();
        let holders = watch_holders().unwrap_or_else(|err| {
            log::warn!("cannot list the holders of inotify watches: {err}");
            Vec::new()
        });
        let (sysctl, current) = watch_limit();
        LimitReport {
            unwatched,
            holders,
            sysctl,
            current,
            fanotify,
            fanotify_refused,
        }
    }
}
