//! Lexical path normalisation, as Python's `os.path.normpath`, with a
//! fast path that allocates nothing for paths already normal (the table's
//! own paths, and every path built from them and a name).

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

/// Whether `normalize` would return `bytes` unchanged: no empty or `.`
/// component (except `.` alone), no trailing `/` (except `/` alone), and
/// `..` only in a leading run of a relative path.
pub(super) fn is_normal(bytes: &[u8]) -> bool {
    match bytes {
        [] => return false,
        b"/" | b"." => return true,
        _ => {}
    }
    let rooted = bytes[0] == b'/';
    let body = if rooted { &bytes[1..] } else { bytes };
    let mut leading = !rooted;
    for component in body.split(|&b| b == b'/') {
        match component {
            b".." if leading => {}
            b"" | b"." | b".." => return false,
            _ => leading = false,
        }
    }
    true
}

/// [`normalize`] without an allocation when `path` is already normal (the
/// table's own paths, and every path built from them and a name).
pub(crate) fn normalized(path: &Path) -> Cow<'_, Path> {
    if is_normal(path.as_os_str().as_encoded_bytes()) {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(normalize_components(path))
    }
}

/// Lexical normalisation, as Python's `os.path.normpath`: drops `.` and
/// repeated or trailing slashes and folds `dir/..`, without touching the
/// filesystem (so symlinks are not resolved).
///
/// ```
/// use inotify_core::normalize;
/// use std::path::Path;
/// assert_eq!(normalize(Path::new("a//b/./c/../d/")), Path::new("a/b/d"));
/// assert_eq!(normalize(Path::new("/../x")), Path::new("/x"));
/// assert_eq!(normalize(Path::new("")), Path::new("."));
/// ```
pub fn normalize(path: &Path) -> PathBuf {
    normalized(path).into_owned()
}

/// [`normalize`], component by component.
pub(super) fn normalize_components(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth > 0 {
                    out.pop();
                    depth -= 1;
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            Component::Normal(name) => {
                out.push(name);
                depth += 1;
            }
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}
