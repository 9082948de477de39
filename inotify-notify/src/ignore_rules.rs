//! [`IgnoreRules`] (feature `ignore`): `.gitignore`/`.ignore` files and glob
//! include/exclude sets, turned into an [`ExcludeFilter`] that the walks
//! ask before a directory is watched or listed and the processor asks
//! about the name of every event.
//!
//! Design: the rules are not a walker of their own. They are a predicate on
//! a path (plus whether it is a directory) that the existing walks
//! (recursive add, auto-add) already consult, so an ignored directory is
//! never watched nor scanned. Nested rule files are loaded lazily: the
//! first time a path below directory `d` is asked about, `d/.gitignore`
//! and `d/.ignore` are parsed (with `ignore::gitignore`, ripgrep's matcher)
//! and cached per directory. A path is matched against the matchers of its
//! ancestors from the nearest up to its root; the nearest one with an
//! opinion (ignore or `!`whitelist) decides, as git does. A rule file that
//! changes drops its directory's cached matcher (the filter's reload hook)
//! and the manager re-shapes that directory's subtree.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use inotify_core::normalize;

use crate::error::{Error, ErrorKind, Result};
use crate::watch::ExcludeFilter;

/// The names of the rule files read in every directory below a
/// `gitignore` root, lowest precedence first.
pub const RULE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// Ignore rules applied before watching: see the module docs.
///
/// ```
/// use inotify_notify::{IgnoreRules, WatchOptions};
/// # let root = std::env::temp_dir().join(format!("ignore-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&root)?;
/// std::fs::write(root.join(".gitignore"), "target/\n*.o\n")?;
/// let rules = IgnoreRules::builder().gitignore(&root).exclude_dir("node_modules")?.build()?;
/// assert!(rules.is_ignored(&root.join("target"), true));
/// assert!(!rules.is_ignored(&root.join("target"), false)); // dir-only pattern
/// assert!(rules.is_ignored(&root.join("a.o"), false));
/// assert!(rules.is_ignored(&root.join("x/node_modules"), true));
/// let options = WatchOptions { rec: true, auto_add: true, exclude_filter: Some(rules.filter()), ..WatchOptions::default() };
/// # drop(options);
/// # std::fs::remove_dir_all(&root)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct IgnoreRules {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Roots below which rule files are read (normalized, no trailing `/`).
    roots: Vec<PathBuf>,
    exclude_dirs: Option<GlobSet>,
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    /// Per directory: its rule files' matcher (`None`: no rule file).
    cache: Mutex<HashMap<PathBuf, Option<Arc<Gitignore>>>>,
    /// Rule files that could not be read or hold bad lines, not yet
    /// handed over ([`IgnoreRules::take_errors`]).
    errors: Mutex<Vec<Error>>,
}

/// Builds [`IgnoreRules`] (ripgrep's builder shape).
#[derive(Debug, Default)]
pub struct IgnoreRulesBuilder {
    roots: Vec<PathBuf>,
    exclude_dirs: Vec<Glob>,
    include: Vec<Glob>,
    exclude: Vec<Glob>,
}

fn glob(pattern: &str) -> Result<Glob> {
    Glob::new(pattern).map_err(|err| {
        Error::new(
            ErrorKind::InvalidPattern,
            None,
            format!("invalid glob {pattern:?}: {err}"),
        )
    })
}

fn set(globs: &[Glob]) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(g.clone());
    }
    builder.build().map(Some).map_err(|err| {
        Error::new(
            ErrorKind::InvalidPattern,
            None,
            format!("invalid glob set: {err}"),
        )
    })
}

impl IgnoreRulesBuilder {
    /// Honours `.gitignore` and `.ignore` files in `root` and every
    /// directory below it (`.ignore` wins over `.gitignore` in the same
    /// directory, nearer files over farther ones), and ignores `.git`.
    pub fn gitignore(&mut self, root: impl AsRef<Path>) -> &mut Self {
        self.roots.push(normalize(root.as_ref()));
        self
    }

    /// Excludes directories matching the glob (matched against the
    /// directory's name, and against its full path when the glob holds a
    /// `/`). Excluded directories are neither watched nor scanned.
    pub fn exclude_dir(&mut self, pattern: &str) -> Result<&mut Self> {
        self.exclude_dirs.push(glob(pattern)?);
        Ok(self)
    }

    /// Reports only files matching one of the include globs (name, or full
    /// path when the glob holds a `/`); directories are still walked.
    pub fn include_glob(&mut self, pattern: &str) -> Result<&mut Self> {
        self.include.push(glob(pattern)?);
        Ok(self)
    }

    /// Excludes files and directories matching the glob (name, or full
    /// path when the glob holds a `/`).
    pub fn exclude_glob(&mut self, pattern: &str) -> Result<&mut Self> {
        self.exclude.push(glob(pattern)?);
        Ok(self)
    }

    /// The rules.
    ///
    /// # Errors
    /// `InvalidPattern` when the globs cannot be compiled together.
    pub fn build(&self) -> Result<IgnoreRules> {
        Ok(IgnoreRules {
            inner: Arc::new(Inner {
                roots: self.roots.clone(),
                exclude_dirs: set(&self.exclude_dirs)?,
                include: set(&self.include)?,
                exclude: set(&self.exclude)?,
                cache: Mutex::new(HashMap::new()),
                errors: Mutex::new(Vec::new()),
            }),
        })
    }
}

/// Whether the normalized `path` is `root` or below it (every relative
/// path is below `.`).
fn under(path: &Path, root: &Path) -> bool {
    if root == Path::new(".") {
        path.is_relative() && !path.starts_with("..")
    } else {
        path.starts_with(root)
    }
}

/// Whether `set` matches `path`'s name or the whole path.
fn matches(set: &GlobSet, path: &Path) -> bool {
    path.file_name().is_some_and(|n| set.is_match(n)) || set.is_match(path)
}

impl IgnoreRules {
    /// A builder.
    pub fn builder() -> IgnoreRulesBuilder {
        IgnoreRulesBuilder::default()
    }

    /// Whether `path` (a directory when `is_dir`) is ignored.
    /// Paths are compared as the watch table keeps them
    /// ([`crate::normalize`]: `.` components dropped).
    pub fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let normalized;
        let path = if path.components().any(|c| matches!(c, Component::CurDir)) {
            normalized = normalize(path);
            normalized.as_path()
        } else {
            path
        };
        let inner = &*self.inner;
        if inner.exclude.as_ref().is_some_and(|s| matches(s, path)) {
            return true;
        }
        if is_dir {
            if inner
                .exclude_dirs
                .as_ref()
                .is_some_and(|s| matches(s, path))
            {
                return true;
            }
        } else if inner.include.as_ref().is_some_and(|s| !matches(s, path)) {
            return true;
        }
        let ignored = self.git_ignored(path, is_dir);
        if is_dir && !ignored && self.inner.roots.iter().any(|r| under(path, r)) {
            // A walk asks about a directory before watching it: reading
            // its rule files now causes no events in its own watch.
            self.matcher(path);
        }
        ignored
    }

    /// The verdict of the rule files for `path`.
    fn git_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Some(root) = self
            .inner
            .roots
            .iter()
            .filter(|r| under(path, r))
            .max_by_key(|r| r.as_os_str().len())
        else {
            return false;
        };
        if path == root.as_path() {
            return false;
        }
        if is_dir && path.file_name() == Some(OsStr::new(".git")) {
            return true;
        }
        let mut dir = path.parent();
        while let Some(mut d) = dir {
            if d.as_os_str().is_empty() {
                d = Path::new(".");
            }
            if let Some(matcher) = self.matcher(d) {
                match matcher.matched(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            if d == root.as_path() {
                break;
            }
            dir = d.parent();
        }
        false
    }

    /// `dir`'s matcher, parsed on first use.
    fn matcher(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        let mut cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(m) = cache.get(dir) {
            return m.clone();
        }
        let mut errors = Vec::new();
        let m = load(dir, &mut errors).map(Arc::new);
        cache.insert(dir.to_path_buf(), m.clone());
        drop(cache);
        if !errors.is_empty() {
            self.inner
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(errors);
        }
        m
    }

    /// The rule files met since the last call that could not be read or
    /// hold lines that do not parse (`InvalidPattern`, or the read's
    /// error, naming the file). Their other lines are in force. A manager
    /// asks this through the filter ([`ExcludeFilter::take_errors`]) and
    /// hands the errors to `process_error`.
    pub fn take_errors(&self) -> Vec<Error> {
        std::mem::take(
            &mut *self
                .inner
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Forgets `dir`'s matcher when `name` is one of its rule files, so
    /// the next question reads them again; `true` when it was one.
    pub fn reload(&self, dir: &Path, name: &OsStr) -> bool {
        if !RULE_FILES.iter().any(|f| OsStr::new(f) == name) {
            return false;
        }
        let dir = normalize(dir);
        if !self.inner.roots.iter().any(|r| under(&dir, r)) {
            return false;
        }
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&dir);
        true
    }

    /// The filter for [`crate::WatchOptions::exclude_filter`]: asked about
    /// directories and events' names, with a reload hook for rule files.
    pub fn filter(&self) -> ExcludeFilter {
        let rules = self.clone();
        let reload = self.clone();
        let errors = self.clone();
        ExcludeFilter::for_entries(move |path, is_dir| rules.is_ignored(path, is_dir))
            .with_reload(move |dir, name| reload.reload(dir, name))
            .with_errors(move || errors.take_errors())
    }
}

impl From<IgnoreRules> for ExcludeFilter {
    fn from(rules: IgnoreRules) -> Self {
        rules.filter()
    }
}

/// Parses `dir`'s rule files; `None` when it has none. A rule file that
/// cannot be read or holds a bad line goes to `errors` (naming the file),
/// and the lines that parsed are kept (as git does).
fn load(dir: &Path, errors: &mut Vec<Error>) -> Option<Gitignore> {
    let mut builder = GitignoreBuilder::new(dir);
    let mut any = false;
    for name in RULE_FILES {
        let file = dir.join(name);
        if !file.is_file() {
            continue;
        }
        any = true;
        if let Some(err) = builder.add(&file) {
            errors.push(rule_error(&file, &err));
        }
    }
    if !any {
        return None;
    }
    match builder.build() {
        Ok(m) => Some(m),
        Err(err) => {
            errors.push(rule_error(dir, &err));
            None
        }
    }
}

/// The error of a rule file (or of a directory's rule files together).
fn rule_error(path: &Path, err: &ignore::Error) -> Error {
    if let Some(io) = err.io_error() {
        // The errno kept (the io error is borrowed).
        let io = io.raw_os_error().map_or_else(
            || std::io::Error::new(io.kind(), io.to_string()),
            std::io::Error::from_raw_os_error,
        );
        return Error::io(io, Some(path));
    }
    Error::new(
        ErrorKind::InvalidPattern,
        Some(path),
        format!("bad rule file ({})", detail(err)),
    )
}

/// What `err` says without the path (the error names it).
fn detail(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. } => detail(err),
        ignore::Error::Partial(errs) => errs.iter().map(detail).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}
