//! `--exclude/--excludei/--include/--includei` and `@path` exclusions.
//!
//! inotifywait matches its POSIX extended regex against the event's full
//! path (watched path plus name) and drops the event when an `--exclude`
//! matches or an `--include` does not. We use the `regex` crate on bytes
//! with Unicode off, which behaves like POSIX ERE in the C locale for the
//! patterns people write (`\.swp$`, `(^|/)\.git/`, `[[:digit:]]`); the
//! differences (leftmost-first instead of leftmost-longest) cannot change
//! whether a path matches.
//!
//! Under `-r`, an `--exclude` also keeps matching directories from being
//! watched (checked against the directory's path without trailing slash,
//! as inotifywait does), while `--include` never prunes directories: they
//! are still watched and descended into, so matching files inside new
//! directories are reported (current inotify-tools behaviour; Debian's
//! 3.22 does not descend).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use regex::bytes::{Regex, RegexBuilder};

/// Lexical normalisation, the form the library keeps watch paths in.
pub use inotify_notify::normalize;

/// Whether a regex selects what to drop or what to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--exclude`/`--excludei`: drop matching paths.
    Exclude,
    /// `--include`/`--includei`: drop paths that do not match.
    Include,
}

/// Which regex option was bad, for inotifywait's error message.
#[derive(Debug)]
pub struct BadRegex {
    /// `"exclude"` or `"include"`.
    pub which: &'static str,
    /// The regex crate's explanation (logged with `-v`/`RUST_LOG`).
    pub detail: String,
}

/// The event filter of one program run.
#[derive(Debug, Clone)]
pub struct PathFilter {
    regex: Option<(Regex, Mode)>,
    /// `@path` exclusions, normalised.
    excluded: Vec<PathBuf>,
}

impl PathFilter {
    /// Builds the filter. `pattern` is the last `--exclude*`/`--include*`
    /// given (inotifywait only honours the last one).
    pub fn new(
        pattern: Option<(&str, Mode, bool)>,
        excluded: &[PathBuf],
    ) -> Result<Self, BadRegex> {
        let regex = match pattern {
            None => None,
            Some((pat, mode, case_insensitive)) => {
                let re = RegexBuilder::new(pat)
                    .unicode(false)
                    .case_insensitive(case_insensitive)
                    .build()
                    .map_err(|err| BadRegex {
                        which: match mode {
                            Mode::Exclude => "exclude",
                            Mode::Include => "include",
                        },
                        detail: err.to_string(),
                    })?;
                Some((re, mode))
            }
        };
        Ok(PathFilter {
            regex,
            excluded: excluded.iter().map(|p| normalize(p)).collect(),
        })
    }

    /// Whether [`Self::allows_event`] can refuse anything (a `--include`
    /// or `--exclude` regex was given); without one the caller skips
    /// building the path.
    pub fn filters_events(&self) -> bool {
        self.regex.is_some()
    }

    /// Whether an event whose full path is `path` is reported.
    pub fn allows_event(&self, path: &[u8]) -> bool {
        match &self.regex {
            None => true,
            Some((re, Mode::Exclude)) => !re.is_match(path),
            Some((re, Mode::Include)) => re.is_match(path),
        }
    }

    /// Whether a directory met while watching recursively is skipped (not
    /// watched, not descended into).
    pub fn prunes_dir(&self, dir: &Path) -> bool {
        if !self.excluded.is_empty() && self.excluded.iter().any(|e| *e == normalize(dir)) {
            return true;
        }
        match &self.regex {
            Some((re, Mode::Exclude)) => re.is_match(dir.as_os_str().as_bytes()),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_drops_matching_paths() {
        let f = PathFilter::new(Some((r"\.swp$", Mode::Exclude, false)), &[]).expect("valid");
        assert!(!f.allows_event(b"w/a.swp"));
        assert!(f.allows_event(b"w/a.SWP"));
        assert!(f.allows_event(b"w/a.c"));
    }

    #[test]
    fn excludei_is_case_insensitive() {
        let f = PathFilter::new(Some((r"\.swp$", Mode::Exclude, true)), &[]).expect("valid");
        assert!(!f.allows_event(b"w/a.SWP"));
    }

    #[test]
    fn include_keeps_only_matches_and_never_prunes() {
        let f = PathFilter::new(Some((r"\.c$", Mode::Include, false)), &[]).expect("valid");
        assert!(f.allows_event(b"w/x.c"));
        assert!(!f.allows_event(b"w/x.h"));
        assert!(!f.prunes_dir(Path::new("w/sub")));
    }

    #[test]
    fn posix_classes_and_invalid_utf8_paths() {
        let f = PathFilter::new(Some(("[[:digit:]]+$", Mode::Exclude, false)), &[]).expect("ok");
        assert!(!f.allows_event(b"w/\xff12"));
        assert!(f.allows_event(b"w/\xffab"));
    }

    #[test]
    fn bad_regex_names_the_option() {
        let err = PathFilter::new(Some(("(", Mode::Include, false)), &[]).expect_err("bad");
        assert_eq!(err.which, "include");
    }

    #[test]
    fn at_paths_prune_exact_directories() {
        let f = PathFilter::new(None, &[PathBuf::from("./w/s/")]).expect("valid");
        assert!(f.prunes_dir(Path::new("w/s")));
        assert!(!f.prunes_dir(Path::new("w/s2")));
    }
}
