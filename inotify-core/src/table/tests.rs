//! The tree table against the path semantics of python-inotify's table.

use super::*;

fn wd(n: i32) -> WatchDescriptor {
    WatchDescriptor::from_raw(n)
}

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

#[test]
fn fast_path_agrees_with_the_component_normalisation() {
    let parts = ["", ".", "..", "a", "bc"];
    let mut paths = vec![String::new()];
    for _ in 0..4 {
        let mut longer = Vec::new();
        for p in &paths {
            for part in parts {
                longer.push(format!("{p}/{part}"));
                longer.push(if p.is_empty() {
                    part.to_owned()
                } else {
                    format!("{p}/{part}")
                });
            }
        }
        paths.extend(longer);
    }
    for p in &paths {
        let path = Path::new(p);
        let slow = normalize_components(path);
        assert!(
            is_normal(slow.as_os_str().as_encoded_bytes()),
            "{p:?} -> {slow:?} not seen as normal"
        );
        if is_normal(p.as_bytes()) {
            assert_eq!(slow, path, "{p:?} taken as normal");
        }
        assert_eq!(normalize(path), slow, "{p:?}");
    }
}

#[test]
fn insert_indexes_both_ways_normalised() {
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/a/b/"), WatchMask::CREATE, ());
    assert_eq!(table.wd(Path::new("/a/./b")), Some(wd(1)));
    assert_eq!(table.path(wd(1)), Some(p("/a/b")));
    assert_eq!(table.len(), 1);
}

#[test]
fn children_hang_from_parents_and_paths_are_built() {
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/r"), WatchMask::CREATE, ());
    table.insert(wd(2), Path::new("/r/a"), WatchMask::CREATE, ());
    table.insert_child(wd(2), OsStr::new("b"), wd(3), WatchMask::CREATE, ());
    assert_eq!(table.parent(wd(3)), Some(wd(2)));
    assert_eq!(table.parent(wd(2)), Some(wd(1)));
    assert_eq!(table.parent(wd(1)), None);
    assert_eq!(table.path(wd(3)), Some(p("/r/a/b")));
    assert_eq!(
        table.path_with(wd(3), Some(OsStr::new("f"))),
        Some(p("/r/a/b/f"))
    );
    assert_eq!(table.child(wd(2), OsStr::new("b")), Some(wd(3)));
    assert_eq!(table.wd(Path::new("/r/a/b")), Some(wd(3)));
    let mut buf = PathBuf::from("junk");
    assert!(table.path_into(wd(2), &mut buf));
    assert_eq!(buf, p("/r/a"));
    assert!(!table.path_into(wd(9), &mut buf));
    assert!(table.is_within(wd(3), wd(1)));
    assert!(!table.is_within(wd(1), wd(3)));
}

#[test]
fn the_filesystem_root_and_relative_roots() {
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/"), WatchMask::CREATE, ());
    table.insert(wd(2), Path::new("/etc"), WatchMask::CREATE, ());
    assert_eq!(table.parent(wd(2)), Some(wd(1)));
    assert_eq!(table.path(wd(2)), Some(p("/etc")));
    assert_eq!(table.path_with(wd(1), Some(OsStr::new("x"))), Some(p("/x")));
    table.insert(wd(3), Path::new("rel"), WatchMask::CREATE, ());
    table.insert(wd(4), Path::new("rel/sub"), WatchMask::CREATE, ());
    assert_eq!(table.parent(wd(4)), Some(wd(3)));
    assert_eq!(table.wd(Path::new("./rel/sub")), Some(wd(4)));
    table.insert(wd(5), Path::new("../up"), WatchMask::CREATE, ());
    assert_eq!(table.path(wd(5)), Some(p("../up")));
    assert_eq!(table.wd(Path::new("../up")), Some(wd(5)));
}

#[test]
fn same_wd_through_second_path_latest_wins() {
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/a"), WatchMask::CREATE, 'x');
    table.insert(wd(2), Path::new("/a/sub"), WatchMask::CREATE, 's');
    let old = table.insert(wd(1), Path::new("/link"), WatchMask::CREATE, 'y');
    assert_eq!(old.unwrap().data, 'x');
    assert_eq!(table.wd(Path::new("/a")), None);
    assert_eq!(table.wd(Path::new("/link")), Some(wd(1)));
    // The watches below are the same objects: they follow.
    assert_eq!(table.path(wd(2)), Some(p("/link/sub")));
    assert_eq!(table.len(), 2);
}

#[test]
fn path_taken_over_by_new_wd_keeps_old_entry_until_removed() {
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/a"), WatchMask::CREATE, ());
    table.insert(wd(2), Path::new("/a"), WatchMask::CREATE, ());
    assert_eq!(table.wd(Path::new("/a")), Some(wd(2)));
    assert_eq!(table.path(wd(1)), Some(p("/a")));
    assert!(table.remove(wd(1)).is_some());
    assert_eq!(table.wd(Path::new("/a")), Some(wd(2)));
}

#[test]
fn rename_moves_whole_subtree() {
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/r"), WatchMask::CREATE, ());
    table.insert(wd(2), Path::new("/r/a"), WatchMask::CREATE, ());
    table.insert(wd(3), Path::new("/r/a/b"), WatchMask::CREATE, ());
    table.insert(wd(4), Path::new("/r/ab"), WatchMask::CREATE, ());
    assert_eq!(table.rename(Path::new("/r/a"), Path::new("/r/z")), 2);
    assert_eq!(table.wd(Path::new("/r/z/b")), Some(wd(3)));
    assert_eq!(table.wd(Path::new("/r/z")), Some(wd(2)));
    assert_eq!(table.wd(Path::new("/r/a")), None);
    assert_eq!(table.wd(Path::new("/r/ab")), Some(wd(4)));
    let mut sub = table.subtree(Path::new("/r/z"));
    sub.sort();
    assert_eq!(sub, [wd(2), wd(3)]);
    // Into another watched directory, and out to an unwatched one.
    table.insert(wd(5), Path::new("/r/ab/c"), WatchMask::CREATE, ());
    table.rename(Path::new("/r/z"), Path::new("/r/ab/c/z"));
    assert_eq!(table.parent(wd(2)), Some(wd(5)));
    assert_eq!(table.path(wd(3)), Some(p("/r/ab/c/z/b")));
    table.rename(Path::new("/r/ab/c/z"), Path::new("/elsewhere/z"));
    assert_eq!(table.parent(wd(2)), None);
    assert_eq!(table.path(wd(3)), Some(p("/elsewhere/z/b")));
    assert_eq!(table.wd(Path::new("/elsewhere/z/b")), Some(wd(3)));
}

#[test]
fn roots_below_a_renamed_directory_follow_it() {
    let mut table = WatchTable::new();
    // Watched first, then its parent (not recursively): still a root.
    table.insert(wd(1), Path::new("/t/a/b"), WatchMask::CREATE, ());
    table.insert(wd(2), Path::new("/t/a"), WatchMask::CREATE, ());
    table.insert(wd(3), Path::new("/t"), WatchMask::CREATE, ());
    assert_eq!(table.rename(Path::new("/t/a"), Path::new("/t/z")), 2);
    assert_eq!(table.path(wd(1)), Some(p("/t/z/b")));
    assert_eq!(table.wd(Path::new("/t/z/b")), Some(wd(1)));
    let mut sub = table.subtree(Path::new("/t"));
    sub.sort();
    assert_eq!(sub, [wd(1), wd(2), wd(3)]);
}

#[test]
fn removing_a_parent_keeps_its_children_at_their_paths() {
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/r"), WatchMask::CREATE, ());
    table.insert(wd(2), Path::new("/r/a"), WatchMask::CREATE, ());
    table.insert(wd(3), Path::new("/r/a/b"), WatchMask::CREATE, ());
    table.insert(wd(4), Path::new("/r/a/c"), WatchMask::CREATE, ());
    assert!(table.remove(wd(2)).is_some());
    assert_eq!(table.path(wd(3)), Some(p("/r/a/b")));
    assert_eq!(table.wd(Path::new("/r/a/c")), Some(wd(4)));
    assert_eq!(table.parent(wd(3)), None);
    assert_eq!(table.wd(Path::new("/r/a")), None);
    assert_eq!(table.subtree_of(wd(1)), [wd(1)]);
}

#[test]
fn no_node_becomes_its_own_ancestor() {
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/a"), WatchMask::CREATE, ());
    table.insert(wd(2), Path::new("/a/b"), WatchMask::CREATE, ());
    // A stale picture: the kernel says /a/b/x is wd 1 (a bind mount).
    table.insert(wd(1), Path::new("/a/b/x"), WatchMask::CREATE, ());
    assert_eq!(table.path(wd(1)), Some(p("/a/b/x")));
    assert_eq!(table.wd(Path::new("/a/b/x")), Some(wd(1)));
    assert!(table.path(wd(2)).is_some());
    table.rename(Path::new("/a/b/x"), Path::new("/a/b/x/y"));
    assert!(table.path(wd(1)).is_some());
    assert!(table.path(wd(2)).is_some());
}

#[test]
fn names_are_bytes_and_the_arena_compacts() {
    use std::os::unix::ffi::OsStrExt;
    let mut table = WatchTable::new();
    table.insert(wd(1), Path::new("/r"), WatchMask::CREATE, ());
    let odd = OsStr::from_bytes(b"\xff\xfe name");
    table.insert_child(wd(1), odd, wd(2), WatchMask::CREATE, ());
    assert_eq!(table.path(wd(2)), Some(Path::new("/r").join(odd)));
    for round in 0..50 {
        for n in 0..200 {
            let name = format!("{round}-{n}-{}", "x".repeat(40));
            table.insert_child(wd(1), OsStr::new(&name), wd(10 + n), WatchMask::CREATE, ());
        }
        for n in 0..200 {
            table.remove(wd(10 + n));
        }
    }
    assert!(table.names.bytes.len() < 200 * 60 * 3, "garbage reclaimed");
    assert_eq!(table.path(wd(2)), Some(Path::new("/r").join(odd)));
    assert_eq!(table.len(), 2);
}

#[test]
fn many_inserts_and_removes_stay_consistent() {
    let mut table = WatchTable::new();
    table.insert(wd(5000), Path::new("/t"), WatchMask::CREATE, -1);
    for n in 0..2000 {
        table.insert(
            wd(n),
            &PathBuf::from(format!("/t/{n}")),
            WatchMask::CREATE,
            n,
        );
    }
    for n in (0..2000).step_by(2) {
        assert_eq!(table.remove(wd(n)).unwrap().data, n);
    }
    for n in 0..2000 {
        let found = table.wd(&PathBuf::from(format!("/t/{n}")));
        assert_eq!(found, (n % 2 == 1).then_some(wd(n)));
    }
    assert_eq!(table.len(), 1001);
    assert_eq!(table.subtree(Path::new("/t")).len(), 1001);
}

#[test]
fn many_roots_are_found_by_prefix() {
    let mut table = WatchTable::new();
    for n in 0..50 {
        table.insert(
            wd(n),
            &PathBuf::from(format!("/roots/{n}")),
            WatchMask::CREATE,
            (),
        );
    }
    table.insert(wd(100), Path::new("/roots/7/deep"), WatchMask::CREATE, ());
    assert_eq!(table.parent(wd(100)), Some(wd(7)));
    assert_eq!(table.wd(Path::new("/roots/7/deep")), Some(wd(100)));
    assert_eq!(table.wd(Path::new("/roots/7/none")), None);
    assert_eq!(table.wd(Path::new("/roots")), None);
}
