//! The adds of [`crate::WatchManager::add_watches`] and
//! [`crate::WatchManager::add_watches_summary`]: the walk over the given
//! paths, and [`AddResult`], the path → descriptor map built in bulk from
//! the walks' results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use inotify_core::{WatchDescriptor, WatchMask, normalize};

use crate::error::{Error, ErrorKind, Result};
use crate::tree;
use crate::watch::{WatchOptions, expand_glob};
use crate::watch_manager::{Shared, closed};

/// The result map of [`crate::WatchManager::add_watch`]: each path with
/// its descriptor or error (an excluded root: [`crate::ErrorKind::Excluded`]).
pub type AddResult = BTreeMap<PathBuf, Result<WatchDescriptor>>;

/// What [`crate::WatchManager::add_watches_summary`] did.
#[derive(Debug)]
#[non_exhaustive]
pub struct AddSummary {
    /// The watches added (with `rec`, every directory of the trees).
    pub added: usize,
    /// Each root's descriptor or error, and every error of the walks (with
    /// [`crate::WatchManager::add_watches`]: every watched path too).
    pub results: AddResult,
}

/// The map of [`crate::WatchManager::add_watches`] from the results in walk
/// order: a path listed twice keeps its first result (a walk error keyed
/// by its root keeps the root's own result).
///
/// Inserting path by path costs a `Path` comparison per B-tree level, each
/// parsing components: a third of a 10k-directory add. The paths here are
/// normalised (`add_tree` normalises the root and joins plain names), for
/// which comparing bytes with `/` ranked lowest is the component order and
/// equal paths are equal bytes; so they are sorted that way and built in
/// bulk (`collect` sorts again by `Path`, one comparison per neighbour on
/// sorted input, so the map's order never depends on that assumption).
pub(crate) fn into_result(mut all: Vec<(PathBuf, Result<WatchDescriptor>)>) -> AddResult {
    all.sort_by(|a, b| normalized_cmp(&a.0, &b.0));
    // Stable sort: equal paths keep walk order; keep the first.
    all.dedup_by(|later, earlier| later.0.as_os_str() == earlier.0.as_os_str());
    all.into_iter().collect()
}

/// [`Path`]'s order for normalised paths, on bytes: `/` sorts before
/// every other byte, as a component boundary does.
fn normalized_cmp(a: &Path, b: &Path) -> std::cmp::Ordering {
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    let rank = |byte: u8| if byte == b'/' { 0 } else { u16::from(byte) + 1 };
    // Skip the common prefix eight bytes at a time (paths of one tree
    // share long prefixes), then byte by byte.
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n && a[i..i + 8] == b[i..i + 8] {
        i += 8;
    }
    match a[i..n].iter().zip(&b[i..n]).position(|(x, y)| x != y) {
        Some(at) => rank(a[i + at]).cmp(&rank(b[i + at])),
        None => a.len().cmp(&b.len()),
    }
}

/// The body of [`crate::WatchManager::add_watches`]: each path's results go to
/// `all` in walk order; stops at the first error unless `quiet` (the
/// caller attaches `all` to it as the partial result).
pub(crate) fn add_all<I, P>(
    st: &mut Shared,
    paths: I,
    mask: WatchMask,
    options: &WatchOptions,
    keep: bool,
    all: &mut Vec<(PathBuf, Result<WatchDescriptor>)>,
) -> Result<usize>
where
    I: IntoIterator<Item = P>,
    P: AsRef<Path>,
{
    if st.closed {
        return Err(closed());
    }
    let mut added = 0;
    for pattern in paths {
        if !mask.has_event_bit() {
            return Err(Error::no_event_bit(pattern.as_ref(), mask));
        }
        let expanded = if options.do_glob {
            expand_glob(pattern.as_ref())?
        } else {
            vec![pattern.as_ref().to_path_buf()]
        };
        for path in expanded {
            let start = all.len();
            if path.as_os_str().is_empty() {
                all.push((path, Err(Error::empty_path())));
            } else if let Some(root) = excluded_root(&path, options) {
                all.push((root.clone(), Err(Error::excluded(&root))));
            } else {
                added += crate::fan::add_tree(st, &path, mask, options, keep, all).unwrap_or_else(
                    || tree::add_tree(&mut st.tree, &path, mask, options, keep, all),
                );
            }
            stop_at_failure(all, start, options.quiet)?;
        }
    }
    Ok(added)
}

/// Unless `quiet`, takes the first failure among the results from `start`
/// on out of `all` and returns it (an excluded root is a result, not a
/// failure).
pub(crate) fn stop_at_failure(
    all: &mut Vec<(PathBuf, Result<WatchDescriptor>)>,
    start: usize,
    quiet: bool,
) -> Result<()> {
    let failed = all[start..].iter().position(|(_, res)| {
        res.as_ref()
            .is_err_and(|err| *err.kind() != ErrorKind::Excluded)
    });
    if !quiet
        && let Some(at) = failed
        && let (_, Err(err)) = all.remove(start + at)
    {
        return Err(err);
    }
    Ok(())
}

/// The normalised `path` if the options' exclude filter excludes it.
fn excluded_root(path: &Path, options: &WatchOptions) -> Option<PathBuf> {
    let filter = options.exclude_filter.as_ref()?;
    let path = normalize(path);
    filter.is_excluded(&path).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_cmp_is_path_order() {
        let paths = [
            "/", "/a", "/a/b", "/a-c", "/a.b", "/a/b/c", "/ab", "/a\u{e9}", "/b", "a", "a/b", "a-b",
        ];
        for x in paths {
            for y in paths {
                let (x, y) = (Path::new(x), Path::new(y));
                assert_eq!(normalized_cmp(x, y), x.cmp(y), "{x:?} vs {y:?}");
            }
        }
    }

    #[test]
    fn into_result_keeps_the_first_result_per_path() {
        let wd = WatchDescriptor::from_raw;
        let all = vec![
            (PathBuf::from("/t/b"), Ok(wd(2))),
            (PathBuf::from("/t"), Ok(wd(1))),
            (PathBuf::from("/t/a-b"), Ok(wd(3))),
            (PathBuf::from("/t/a/x"), Ok(wd(4))),
            (PathBuf::from("/t"), Err(crate::watch_manager::closed())),
        ];
        let map = into_result(all);
        let keys: Vec<_> = map.keys().map(PathBuf::as_path).collect();
        let want: [&Path; 4] = [
            "/t".as_ref(),
            "/t/a/x".as_ref(),
            "/t/a-b".as_ref(),
            "/t/b".as_ref(),
        ];
        assert_eq!(keys, want);
        assert_eq!(map[Path::new("/t")].as_ref().ok(), Some(&wd(1)));
    }
}
