//! How the watched roots are displayed: the library's normalised paths
//! mapped back to the spelling the user gave, with a directory's trailing
//! slash, as inotifywait displays them, and a cache of those spellings for
//! the event loop (split from `source.rs`, which sets the watches up and
//! reads them).

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::filter::normalize;

/// The watched roots as the user spelled them.
#[derive(Debug, Default)]
pub struct Roots {
    /// Normalised path → (display form, is a directory, order given).
    map: HashMap<PathBuf, (Vec<u8>, bool, usize)>,
    /// With `-r` a root inside an earlier root's tree is displayed through
    /// the earlier one, since inotifywait names a watch when first added.
    recursive: bool,
}

impl Roots {
    /// Roots of a recursive (`-r`) or flat run.
    pub fn new(recursive: bool) -> Self {
        Roots {
            map: HashMap::new(),
            recursive,
        }
    }

    /// Records `given` (as typed) for the normalised path the library uses.
    pub fn add(&mut self, given: &Path, is_dir: bool) {
        let mut display = given.as_os_str().as_bytes().to_vec();
        if is_dir && !display.ends_with(b"/") {
            display.push(b'/');
        }
        let order = self.map.len();
        self.map
            .entry(normalize(given))
            .or_insert((display, is_dir, order));
    }

    /// How inotifywait displays the watch at `path` (`%w`): the root as
    /// given, subdirectories below it with a trailing slash.
    pub fn display(&self, path: &Path) -> Vec<u8> {
        if path.as_os_str().is_empty() {
            return Vec::new();
        }
        // The covering root: the path itself, or the directory root above
        // it; with -r the one given first wins.
        let mut best: Option<(&Path, &Vec<u8>, usize)> = None;
        for (depth, ancestor) in path.ancestors().enumerate() {
            // A relative path's last ancestor is "", which the root "."
            // stands for.
            let ancestor = if ancestor.as_os_str().is_empty() {
                Path::new(".")
            } else {
                ancestor
            };
            if let Some((display, is_dir, order)) = self.map.get(ancestor)
                && (depth == 0 || *is_dir)
                && best.is_none_or(|(_, _, o)| *order < o)
            {
                // A watched file is never part of a recursive walk.
                if depth == 0 && !*is_dir {
                    return display.clone();
                }
                best = Some((ancestor, display, *order));
                if !self.recursive {
                    break;
                }
            }
        }
        let Some((root, display, _)) = best else {
            let mut out = path.as_os_str().as_bytes().to_vec();
            out.push(b'/');
            return out;
        };
        let mut out = display.clone();
        if root != path {
            let rest = path.strip_prefix(root).unwrap_or(path);
            out.extend_from_slice(rest.as_os_str().as_bytes());
            out.push(b'/');
        }
        out
    }

    /// The displayed form of a full path (a rename's source): its parent's
    /// display plus the name.
    pub fn display_full(&self, path: &Path) -> Vec<u8> {
        match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => {
                let mut out = self.display(parent);
                out.extend_from_slice(name.as_bytes());
                out
            }
            _ => path.as_os_str().as_bytes().to_vec(),
        }
    }
}

/// [`Roots::display`] memoised by the path's bytes: events come in runs
/// through the same few watches, and the ancestor walk (hashing each
/// ancestor `Path`) would otherwise run for every one. The roots do not
/// change after setup, so an entry never goes stale; the map is bounded
/// (cleared when full) so a huge tree does not grow it without end.
#[derive(Debug, Default)]
pub struct DisplayCache {
    /// The last path looked up and its display (buffers reused).
    last_path: Vec<u8>,
    last_display: Vec<u8>,
    /// Whether `last_*` hold an entry.
    primed: bool,
    /// Earlier paths and their displays.
    map: HashMap<Box<[u8]>, Box<[u8]>>,
}

impl DisplayCache {
    /// Entries kept before the map is cleared.
    const LIMIT: usize = 4096;

    /// `roots.display(path)`, computed once per distinct path.
    pub fn display(&mut self, roots: &Roots, path: &Path) -> &[u8] {
        let key = path.as_os_str().as_bytes();
        if self.primed && self.last_path == key {
            return &self.last_display;
        }
        self.last_path.clear();
        self.last_path.extend_from_slice(key);
        self.last_display.clear();
        if let Some(display) = self.map.get(key) {
            self.last_display.extend_from_slice(display);
        } else {
            let display = roots.display(path);
            if self.map.len() >= Self::LIMIT {
                self.map.clear();
            }
            self.map.insert(key.into(), display.as_slice().into());
            self.last_display = display;
        }
        self.primed = true;
        &self.last_display
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_display_like_inotifywait() {
        let mut roots = Roots::new(false);
        roots.add(Path::new("./w"), true);
        roots.add(Path::new("f.txt"), false);
        roots.add(Path::new("/abs/"), true);
        assert_eq!(roots.display(Path::new("w")), b"./w/");
        assert_eq!(roots.display(Path::new("w/s/t")), b"./w/s/t/");
        assert_eq!(roots.display(Path::new("f.txt")), b"f.txt");
        assert_eq!(roots.display(Path::new("/abs/x")), b"/abs/x/");
        assert_eq!(roots.display(Path::new("")), b"");
        assert_eq!(roots.display_full(Path::new("w/s/a")), b"./w/s/a");
    }

    #[test]
    fn recursive_roots_keep_the_first_name() {
        let mut roots = Roots::new(true);
        roots.add(Path::new("."), true);
        roots.add(Path::new("w/f0"), false);
        roots.add(Path::new("w/"), true);
        assert_eq!(roots.display(Path::new("w")), b"./w/");
        assert_eq!(roots.display(Path::new("w/f0")), b"w/f0");
        let mut cache = DisplayCache::default();
        for path in ["w", "w/f0", "w", "w/f0", "w/sub", "w"] {
            let expected = roots.display(Path::new(path));
            assert_eq!(cache.display(&roots, Path::new(path)), expected, "{path}");
        }
        let mut flat = Roots::new(false);
        flat.add(Path::new("."), true);
        flat.add(Path::new("w/"), true);
        assert_eq!(flat.display(Path::new("w")), b"w/");
    }
}
