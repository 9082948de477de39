//! What a watch is: the public [`Watch`] view and [`WatchOptions`], the
//! [`ExcludeFilter`], and the per-watch data kept in core's `WatchTable`.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use inotify_core::{WatchDescriptor, WatchMask};
use regex::bytes::RegexSet;

use crate::error::{Error, ErrorKind, Result};
use crate::handler::SharedHandler;

/// A predicate on a full path: `true` means "do not watch" (pyinotify's
/// `exclude_filter`). Cheap to clone.
///
/// A filter made with [`ExcludeFilter::new`] or from regular expressions
/// is asked about directories only (before one is watched or listed). One
/// made with [`ExcludeFilter::for_entries`] (such as an `IgnoreRules`
/// filter, feature `ignore`) is also asked about the name of every event
/// of the watches it was added with, so events of excluded files never
/// reach a handler; a filter without that costs the event path nothing.
#[derive(Clone)]
pub struct ExcludeFilter {
    pred: Predicate,
    /// Also consulted for the names of events.
    entries: bool,
    /// Told when an entry of a watched directory changes; `true` when the
    /// rules below that directory changed (see [`ExcludeFilter::with_reload`]).
    reload: Option<ReloadHook>,
    /// Hands over what went wrong while the filter was asked (see
    /// [`ExcludeFilter::with_errors`]).
    errors: Option<ErrorHook>,
}

/// The hook of [`ExcludeFilter::with_errors`].
type ErrorHook = Arc<dyn Fn() -> Vec<Error> + Send + Sync>;

/// The predicate of an [`ExcludeFilter`]: path, is a directory.
type Predicate = Arc<dyn Fn(&Path, bool) -> bool + Send + Sync>;

/// The hook of [`ExcludeFilter::with_reload`].
type ReloadHook = Arc<dyn Fn(&Path, &OsStr) -> bool + Send + Sync>;

impl fmt::Debug for ExcludeFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExcludeFilter")
            .field("entries", &self.entries)
            .field("reload", &self.reload.is_some())
            .field("errors", &self.errors.is_some())
            .finish_non_exhaustive()
    }
}

impl ExcludeFilter {
    /// A filter from any predicate on the full path of a directory.
    pub fn new(pred: impl Fn(&Path) -> bool + Send + Sync + 'static) -> Self {
        ExcludeFilter {
            pred: Arc::new(move |path, _is_dir| pred(path)),
            entries: false,
            reload: None,
            errors: None,
        }
    }

    /// A filter from a predicate on a full path and whether it names a
    /// directory, asked about directories before they are watched and
    /// about the name of every event (so it can drop files' events).
    pub fn for_entries(pred: impl Fn(&Path, bool) -> bool + Send + Sync + 'static) -> Self {
        ExcludeFilter {
            pred: Arc::new(pred),
            entries: true,
            reload: None,
            errors: None,
        }
    }

    /// Adds a hook told of every `CREATE`, `DELETE`, `CLOSE_WRITE` and
    /// `MOVED_*` of an entry `name` in a watched directory `dir`; it returns
    /// `true` when that changed the rules below `dir` (a rule file such as
    /// `.gitignore`). The manager then re-shapes `dir`'s subtree: it
    /// removes the watches of the directories now excluded, and watches
    /// and scans (with synthetic `CREATE`s, as auto-add does) the ones not
    /// excluded any more. Only watches added with `auto_add` are
    /// re-shaped.
    #[must_use]
    pub fn with_reload(
        mut self,
        hook: impl Fn(&Path, &OsStr) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.reload = Some(Arc::new(hook));
        self
    }

    /// A filter excluding paths that match any of the regular expressions
    /// (searched anywhere in the path, as pyinotify's `ExcludeFilter`; anchor
    /// with `^`/`$`). Paths are matched as bytes, so non-UTF-8 names work.
    ///
    /// ```
    /// use inotify_notify::ExcludeFilter;
    /// let filter = ExcludeFilter::from_patterns(["^/tmp/build", r"\.git$"])?;
    /// assert!(filter.is_excluded("/tmp/build/x".as_ref()));
    /// assert!(filter.is_excluded("/src/.git".as_ref()));
    /// assert!(!filter.is_excluded("/src/main.rs".as_ref()));
    /// # Ok::<(), inotify_notify::Error>(())
    /// ```
    pub fn from_patterns<I, S>(patterns: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns: Vec<String> = patterns
            .into_iter()
            .map(|p| p.as_ref().to_owned())
            .collect();
        let set = RegexSet::new(&patterns).map_err(|err| {
            Error::new(
                ErrorKind::InvalidPattern,
                None,
                format!("invalid exclude pattern: {err}"),
            )
        })?;
        Ok(Self::new(move |path| {
            set.is_match(path.as_os_str().as_encoded_bytes())
        }))
    }

    /// A filter from a file with one regular expression a line (blank
    /// lines and lines starting with `#` are skipped).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|err| Error::io(err, Some(path)))?;
        Self::from_patterns(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#')),
        )
    }

    /// Whether the directory `path` is excluded.
    pub fn is_excluded(&self, path: &Path) -> bool {
        (self.pred)(path, true)
    }

    /// Whether `path` (a directory when `is_dir`) is excluded.
    pub fn is_excluded_entry(&self, path: &Path, is_dir: bool) -> bool {
        (self.pred)(path, is_dir)
    }

    /// Whether the filter is asked about the names of events (made with
    /// [`ExcludeFilter::for_entries`]).
    pub fn filters_entries(&self) -> bool {
        self.entries
    }

    /// Tells the reload hook that entry `name` of `dir` changed; `true`
    /// when the rules below `dir` changed.
    pub fn reload(&self, dir: &Path, name: &OsStr) -> bool {
        self.reload.as_ref().is_some_and(|hook| hook(dir, name))
    }

    /// Whether the filter has a reload hook.
    pub(crate) fn has_reload(&self) -> bool {
        self.reload.is_some()
    }

    /// Adds a hook that hands over (and forgets) the errors met while the
    /// filter was asked, such as a rule file that does not parse. The
    /// manager asks it after each add and each processing round and gives
    /// what it returns to the handler's `process_error`.
    #[must_use]
    pub fn with_errors(mut self, hook: impl Fn() -> Vec<Error> + Send + Sync + 'static) -> Self {
        self.errors = Some(Arc::new(hook));
        self
    }

    /// The errors met since the last call ([`ExcludeFilter::with_errors`];
    /// none without the hook).
    pub fn take_errors(&self) -> Vec<Error> {
        self.errors.as_ref().map_or_else(Vec::new, |hook| hook())
    }

    /// The error hook, to tell filters apart by it.
    pub(crate) fn error_hook(&self) -> Option<&ErrorHook> {
        self.errors.as_ref()
    }
}

/// Options of [`crate::WatchManager::add_watch`] (pyinotify's keyword
/// arguments).
#[derive(Clone, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "pyinotify's keyword arguments, each an independent switch"
)]
pub struct WatchOptions {
    /// Watch every directory below the path too (symlinks not followed).
    pub rec: bool,
    /// Watch directories that appear later (created or moved in), scanning
    /// them so nothing created before their watch landed is missed.
    pub auto_add: bool,
    /// Treat the paths as glob patterns (`*`, `?`, `[...]`).
    pub do_glob: bool,
    /// `true`: report each path's result in the map; `false`: stop at the
    /// first error and return it.
    pub quiet: bool,
    /// Paths not to watch (nor descend into).
    pub exclude_filter: Option<ExcludeFilter>,
    /// A handler for this watch's events instead of the notifier's default.
    pub proc_fun: Option<SharedHandler>,
    /// Do not follow a symlinked root (`IN_DONT_FOLLOW`).
    pub dont_follow: bool,
}

impl fmt::Debug for WatchOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchOptions")
            .field("rec", &self.rec)
            .field("auto_add", &self.auto_add)
            .field("do_glob", &self.do_glob)
            .field("quiet", &self.quiet)
            .field("exclude_filter", &self.exclude_filter)
            .field("proc_fun", &self.proc_fun.as_ref().map(|_| ".."))
            .field("dont_follow", &self.dont_follow)
            .finish()
    }
}

/// What [`crate::WatchManager::update_watch`] changes (pyinotify's
/// `update_watch` keyword arguments): every `None` keeps the watch's
/// current setting.
///
/// ```
/// use inotify_notify::{WatchManager, WatchMask, WatchOptions, WatchUpdate};
/// # let dir = std::env::temp_dir().join(format!("update-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let wm = WatchManager::new()?;
/// let options = WatchOptions { rec: true, auto_add: true, ..WatchOptions::default() };
/// let wd = *wm.add_watch(&dir, WatchMask::CREATE, &options)?[&dir].as_ref().unwrap();
/// let update = WatchUpdate { mask: Some(WatchMask::CREATE | WatchMask::DELETE), ..WatchUpdate::default() };
/// assert!(wm.update_watch(wd, &update)[&wd].is_ok());
/// assert!(wm.watch(wd).unwrap().auto_add, "not given, so kept");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct WatchUpdate {
    /// The new event mask (`None`: keep it). Flags in it are ignored; the
    /// watch keeps the flags it was added with.
    pub mask: Option<WatchMask>,
    /// The new per-watch handler (`None`: keep it).
    pub proc_fun: Option<SharedHandler>,
    /// Turn watching of new directories on or off (`None`: keep it).
    pub auto_add: Option<bool>,
    /// Apply the update to every watch below the descriptor too (a scope,
    /// not a setting of the watch).
    pub rec: bool,
}

impl fmt::Debug for WatchUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchUpdate")
            .field("mask", &self.mask)
            .field("proc_fun", &self.proc_fun.as_ref().map(|_| ".."))
            .field("auto_add", &self.auto_add)
            .field("rec", &self.rec)
            .finish()
    }
}

/// Options of [`crate::WatchManager::rm_watch`] (pyinotify's `rec` and
/// `quiet`).
///
/// ```
/// use inotify_notify::{RmOptions, WatchDescriptor, WatchManager};
/// let wm = WatchManager::new()?;
/// let quiet = RmOptions { quiet: true, ..RmOptions::default() };
/// let removed = wm.rm_watch(WatchDescriptor::from_raw(42), quiet)?;
/// assert!(removed[&WatchDescriptor::from_raw(42)].is_err()); // not watched
/// # Ok::<(), inotify_notify::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RmOptions {
    /// Remove every watch below the descriptor too.
    pub rec: bool,
    /// `true`: report each descriptor's result in the map; `false`: stop
    /// at the first error and return it.
    pub quiet: bool,
}

/// A snapshot of one watched directory for overflow recovery:
/// entry name → what the consumer was last told about it.
pub(crate) type Snapshot = HashMap<OsString, EntryMeta>;

/// One snapshot entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryMeta {
    pub is_dir: bool,
    /// `(size, mtime seconds, mtime nanoseconds)` when known; `None` after
    /// an event said it changed (the next rescan re-reads it).
    pub stamp: Option<(u64, i64, i64)>,
}

/// Per-watch data kept in core's `WatchTable` (its `T`).
#[derive(Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent per-watch switches, copied from the options"
)]
pub(crate) struct WatchData {
    /// The events the user asked for; the kernel mask may hold more bits
    /// for bookkeeping, and those are never dispatched.
    pub user_mask: WatchMask,
    pub rec: bool,
    pub auto_add: bool,
    pub is_dir: bool,
    /// Added by the user (a root), not by a recursive walk or auto-add.
    pub root: bool,
    /// The handler and exclude filter, shared by every watch of one add
    /// (one pointer per watch; `None` when it has neither).
    pub hooks: Option<Arc<Hooks>>,
}

/// What the watches of one [`crate::WatchManager::add_watch`] share.
pub(crate) struct Hooks {
    pub proc_fun: Option<SharedHandler>,
    pub exclude: Option<ExcludeFilter>,
}

impl Hooks {
    /// The shared hooks, or `None` when there are none.
    pub(crate) fn new(
        proc_fun: Option<SharedHandler>,
        exclude: Option<ExcludeFilter>,
    ) -> Option<Arc<Self>> {
        (proc_fun.is_some() || exclude.is_some()).then(|| Arc::new(Hooks { proc_fun, exclude }))
    }
}

impl WatchData {
    /// The per-watch handler, if any.
    pub(crate) fn proc_fun(&self) -> Option<&SharedHandler> {
        self.hooks.as_ref()?.proc_fun.as_ref()
    }

    /// The exclude filter, if any.
    pub(crate) fn exclude(&self) -> Option<&ExcludeFilter> {
        self.hooks.as_ref()?.exclude.as_ref()
    }

    /// The exclude filter, if it is also asked about events' names.
    pub(crate) fn entry_filter(&self) -> Option<&ExcludeFilter> {
        self.exclude().filter(|f| f.entries)
    }

    /// Replaces the handler, keeping the exclude filter.
    pub(crate) fn set_proc_fun(&mut self, handler: SharedHandler) {
        let exclude = self.exclude().cloned();
        self.hooks = Hooks::new(Some(handler), exclude);
    }

    /// The data of a watch created by a walk or auto-add below `self`.
    pub(crate) fn child(&self) -> Self {
        WatchData {
            is_dir: true,
            root: false,
            ..self.clone()
        }
    }
}

/// The event bits the manager adds for its own bookkeeping: renames of
/// watched directories (`MOVED_*`), new directories (`CREATE`), root moves
/// (`MOVE_SELF`), and with snapshots every change that alters one.
pub(crate) fn kernel_mask(data: &WatchData, snapshots: bool) -> WatchMask {
    let mut mask = data.user_mask;
    if data.rec || data.auto_add {
        mask |= WatchMask::MOVED_FROM | WatchMask::MOVED_TO | WatchMask::MOVE_SELF;
    }
    if data.auto_add {
        mask |= WatchMask::CREATE;
        // Rule files that change re-shape the tree (see `reshape`).
        if data.exclude().is_some_and(ExcludeFilter::has_reload) {
            mask |= WatchMask::DELETE | WatchMask::CLOSE_WRITE | WatchMask::MOVE;
        }
    }
    if snapshots && data.is_dir {
        mask |= WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MOVE
            | WatchMask::MODIFY
            | WatchMask::ATTRIB
            | WatchMask::CLOSE_WRITE;
    }
    mask
}

/// A watch as the manager reports it (pyinotify's `Watch`).
#[derive(Clone)]
pub struct Watch {
    /// The descriptor.
    pub wd: WatchDescriptor,
    /// The watched path (kept current across renames).
    pub path: PathBuf,
    /// The events the user asked for.
    pub mask: WatchMask,
    /// The mask given to the kernel (user mask plus bookkeeping bits).
    pub kernel_mask: WatchMask,
    /// Whether new subdirectories are watched automatically.
    pub auto_add: bool,
    /// Whether it was added as part of a recursive watch.
    pub rec: bool,
    /// Whether the watched object is a directory.
    pub dir: bool,
    /// The per-watch handler, if any.
    pub proc_fun: Option<SharedHandler>,
    /// The exclude filter it was added with.
    pub exclude_filter: Option<ExcludeFilter>,
}

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("wd", &self.wd)
            .field("path", &self.path)
            .field("mask", &self.mask)
            .field("auto_add", &self.auto_add)
            .field("rec", &self.rec)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Expands a glob pattern (`*`, `?`, `[...]` per path component; no `**`)
/// into the existing paths it matches, sorted. A pattern without glob
/// characters expands to itself, existing or not, so errors name it.
pub(crate) fn expand_glob(pattern: &Path) -> Result<Vec<PathBuf>> {
    let bytes = pattern.as_os_str().as_encoded_bytes();
    if !bytes.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
        return Ok(vec![pattern.to_path_buf()]);
    }
    let mut current = vec![PathBuf::new()];
    for component in pattern.components() {
        let part = component.as_os_str();
        let part_bytes = part.as_encoded_bytes();
        if !part_bytes.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            for path in &mut current {
                path.push(part);
            }
            continue;
        }
        let regex = glob_regex(part_bytes, pattern)?;
        let mut next = Vec::new();
        for dir in &current {
            let listing = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(entries) = inotify_core::long_path::read_dir(listing) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name_bytes = name.as_encoded_bytes();
                // Like shells, `*` does not match hidden names.
                if name_bytes.first() == Some(&b'.') && part_bytes.first() != Some(&b'.') {
                    continue;
                }
                if regex.is_match(name_bytes) {
                    next.push(dir.join(name));
                }
            }
        }
        current = next;
    }
    current.sort();
    Ok(current)
}

/// The anchored regex of one glob component.
fn glob_regex(part: &[u8], pattern: &Path) -> Result<regex::bytes::Regex> {
    let mut re = String::from("(?-u)^");
    let mut i = 0;
    while i < part.len() {
        match part[i] {
            b'*' => re.push_str(".*"),
            b'?' => re.push('.'),
            b'[' => {
                let end = part[i + 1..]
                    .iter()
                    .position(|&b| b == b']')
                    .map(|p| p + i + 1);
                if let Some(end) = end.filter(|&e| e > i + 1) {
                    re.push('[');
                    let mut j = i + 1;
                    if part[j] == b'!' {
                        re.push('^');
                        j += 1;
                    }
                    for &b in &part[j..end] {
                        // Ranges keep their `-`; everything else is literal.
                        if b == b'-' {
                            re.push('-');
                        } else {
                            push_byte(&mut re, b);
                        }
                    }
                    re.push(']');
                    i = end;
                } else {
                    re.push_str(r"\[");
                }
            }
            b => {
                if b.is_ascii_alphanumeric() {
                    re.push(char::from(b));
                } else {
                    push_byte(&mut re, b);
                }
            }
        }
        i += 1;
    }
    re.push('$');
    regex::bytes::Regex::new(&re).map_err(|err| {
        Error::new(
            ErrorKind::InvalidPattern,
            Some(pattern),
            format!("invalid glob pattern: {err}"),
        )
    })
}

/// Pushes a literal byte as a regex escape.
fn push_byte(re: &mut String, b: u8) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(re, "\\x{b:02x}");
}

/// The identity of a watch in a listing, for [`crate::WatchManager`].
pub(crate) fn watch_view(
    wd: WatchDescriptor,
    path: &Path,
    kernel: WatchMask,
    data: &WatchData,
) -> Watch {
    Watch {
        wd,
        path: path.to_path_buf(),
        mask: data.user_mask,
        kernel_mask: kernel,
        auto_add: data.auto_add,
        rec: data.rec,
        dir: data.is_dir,
        proc_fun: data.proc_fun().cloned(),
        exclude_filter: data.exclude().cloned(),
    }
}

/// Whether `path` exists as a directory (symlinks followed when `follow`).
pub(crate) fn is_dir(path: &Path, follow: bool) -> bool {
    inotify_core::long_path::metadata(path, follow).is_ok_and(|m| m.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_component_translation_matches_shell_rules() {
        let p = Path::new("x");
        let re = glob_regex(b"a*.t?t", p).unwrap();
        assert!(re.is_match(b"abc.txt"));
        assert!(!re.is_match(b"abc.tx"));
        let re = glob_regex(b"[!a-c]x", p).unwrap();
        assert!(re.is_match(b"dx"));
        assert!(!re.is_match(b"bx"));
        let re = glob_regex(b"a[", p).unwrap();
        assert!(re.is_match(b"a["));
    }

    #[test]
    fn exclude_filter_rejects_bad_pattern() {
        let err = ExcludeFilter::from_patterns(["("]).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidPattern);
    }
}
