//! From the rule options ([`crate::args::WatchRules`]) to the library's
//! [`IgnoreRules`], and how a watch-limit failure is recognised.

use std::path::PathBuf;

use inotify_notify::{Error, ExcludeFilter, IgnoreRules, count_dirs, watch_holders, watch_limit};

use crate::args::WatchRules;

/// The rules for watching `paths`: with `--gitignore` each path is a root
/// below which rule files are read.
///
/// # Errors
/// A glob that does not compile: the one-line message to print.
pub fn build(paths: &[PathBuf], rules: &WatchRules) -> Result<IgnoreRules, String> {
    let mut builder = IgnoreRules::builder();
    if rules.gitignore {
        for path in paths {
            builder.gitignore(path);
        }
    }
    let bad = |err: Error| err.to_string();
    for glob in &rules.exclude_dirs {
        builder.exclude_dir(glob).map_err(bad)?;
    }
    for glob in &rules.include_globs {
        builder.include_glob(glob).map_err(bad)?;
    }
    for glob in &rules.exclude_globs {
        builder.exclude_glob(glob).map_err(bad)?;
    }
    builder.build().map_err(bad)
}

/// Whether `err` is the watch limit (`ENOSPC` from `inotify_add_watch`).
pub fn is_limit(err: &Error) -> bool {
    *err.kind() == inotify_notify::ErrorKind::WatchLimit
}

/// `--count-first`: counts the directories a recursive watch of `paths`
/// takes (honouring `filter`) and, when they do not fit in what is left of
/// the watch budget, the warning to print (`None`: they fit, or the limit
/// cannot be read).
pub fn count_first(paths: &[PathBuf], filter: &ExcludeFilter) -> Option<String> {
    let needed: usize = paths.iter().map(|p| count_dirs(p, Some(filter))).sum();
    let (sysctl, limit) = watch_limit();
    let limit = limit?;
    let used: u64 = watch_holders().ok()?.iter().map(|h| h.watches).sum();
    let needed = needed as u64;
    (used + needed > limit).then(|| {
        format!(
            "Counted {needed} directories to watch, but {used} of the {limit} watches of {sysctl} are in use: raise it to at least {} (sysctl -w {sysctl}={}).",
            used + needed,
            used + needed
        )
    })
}
