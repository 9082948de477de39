//! [`AddResult`]: the path → descriptor map of
//! [`crate::WatchManager::add_watch`], built in bulk from a walk's results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use inotify_core::WatchDescriptor;

use crate::error::Result;

/// The result map of [`crate::WatchManager::add_watch`]: each path with
/// its descriptor or error (an excluded root: [`crate::ErrorKind::Excluded`]).
pub type AddResult = BTreeMap<PathBuf, Result<WatchDescriptor>>;

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
