//! Unit tests of the settler on synthetic events and a fake clock.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use inotify_core::{EventMask, WatchDescriptor};

use super::window::{Batch, Change, ChangeKind, SettleOptions, Settler};
use crate::event::Event;

/// A feed of events at a fake time, all in one watched directory `/d`.
struct Feed {
    settler: Settler,
    t0: Instant,
    now: Instant,
}

impl Feed {
    fn new() -> Self {
        Self::with(SettleOptions::default())
    }

    fn with(options: SettleOptions) -> Self {
        let t0 = Instant::now();
        Feed {
            settler: Settler::new(options),
            t0,
            now: t0,
        }
    }

    fn ev(&mut self, mask: EventMask, name: &str) -> &mut Self {
        self.ev_full(mask, name, 0, None)
    }

    fn ev_full(
        &mut self,
        mask: EventMask,
        name: &str,
        cookie: u32,
        src: Option<&str>,
    ) -> &mut Self {
        let mut event = Event::new(
            WatchDescriptor::from_raw(1),
            mask,
            cookie,
            Path::new("/d"),
            Some(name.as_ref()),
        );
        event.src_pathname = src.map(|s| Path::new("/d").join(s));
        self.settler.feed(&event, self.now);
        self
    }

    fn mv(&mut self, from: &str, to: &str, cookie: u32) -> &mut Self {
        self.mv_dir(from, to, cookie, false)
    }

    fn mv_dir(&mut self, from: &str, to: &str, cookie: u32, dir: bool) -> &mut Self {
        let isdir = if dir {
            EventMask::ISDIR
        } else {
            EventMask::empty()
        };
        self.ev_full(EventMask::MOVED_FROM | isdir, from, cookie, None);
        self.ev_full(EventMask::MOVED_TO | isdir, to, cookie, Some(from))
    }

    fn write(&mut self, name: &str) -> &mut Self {
        self.ev(EventMask::MODIFY, name)
            .ev(EventMask::CLOSE_WRITE, name)
    }

    fn advance(&mut self, ms: u64) -> &mut Self {
        self.now += Duration::from_millis(ms);
        self
    }

    /// Lets the window close and returns its batch.
    fn settle(&mut self) -> Option<Batch> {
        self.advance(1_000);
        self.settler.poll(self.now)
    }

    fn changes(&mut self) -> Vec<Change> {
        self.settle().map(|b| b.changes).unwrap_or_default()
    }
}

fn p(name: &str) -> PathBuf {
    Path::new("/d").join(name)
}

fn change(name: &str, kind: ChangeKind) -> Change {
    Change {
        path: p(name),
        kind,
        dir: false,
    }
}

fn modified(name: &str, replaced: bool) -> Change {
    change(name, ChangeKind::Modified { replaced })
}

#[test]
fn atomic_save_is_one_replacing_modification() {
    let mut f = Feed::new();
    f.settler.know([p("x")]);
    f.ev(EventMask::CREATE, "x.tmp")
        .write("x.tmp")
        .mv("x.tmp", "x", 7);
    assert_eq!(f.changes(), [modified("x", true)]);
}

#[test]
fn rename_over_an_unknown_path_reads_as_created_without_a_listing() {
    let mut f = Feed::new();
    f.ev(EventMask::CREATE, "x.tmp").mv("x.tmp", "x", 7);
    assert_eq!(f.changes(), [change("x", ChangeKind::Created)]);
    // The listing is kept up to date: x is known now.
    let mut f = Feed::new();
    f.settler.know([]);
    f.ev(EventMask::CREATE, "x");
    f.settle();
    f.ev(EventMask::CREATE, "x.tmp").mv("x.tmp", "x", 8);
    assert_eq!(f.changes(), [modified("x", true)]);
}

#[test]
fn temp_file_created_and_removed_gives_nothing() {
    let mut f = Feed::new();
    f.ev(EventMask::CREATE, "4913")
        .ev(EventMask::DELETE, "4913");
    assert_eq!(f.settle(), None);
    f.ev(EventMask::CREATE, "t")
        .mv("t", "u", 1)
        .ev(EventMask::DELETE, "u");
    assert_eq!(f.settle(), None);
}

#[test]
fn vim_backup_save_is_one_modification() {
    // :w with writebackup: file -> file~, write file, delete file~.
    let mut f = Feed::new();
    f.ev(EventMask::CREATE, "4913")
        .ev(EventMask::DELETE, "4913")
        .mv("f", "f~", 3)
        .ev(EventMask::CREATE, "f")
        .write("f")
        .ev(EventMask::ATTRIB, "f")
        .ev(EventMask::DELETE, "f~");
    assert_eq!(f.changes(), [modified("f", true)]);
}

#[test]
fn delete_and_recreate_is_replacement_and_plain_write_is_not() {
    let mut f = Feed::new();
    f.ev(EventMask::DELETE, "a")
        .ev(EventMask::CREATE, "a")
        .write("b");
    assert_eq!(f.changes(), [modified("a", true), modified("b", false)]);
}

#[test]
fn rename_chains_collapse_and_round_trips_cancel() {
    let mut f = Feed::new();
    f.mv("a", "b", 1).mv("b", "c", 2);
    f.mv("p", "q", 3).mv("q", "p", 4);
    f.mv("m", "n", 5).write("n").mv("n", "m", 6);
    let from = |name: &str| ChangeKind::Renamed {
        from: p(name),
        modified: false,
    };
    assert_eq!(f.changes(), [change("c", from("a")), modified("m", false)]);
}

#[test]
fn interleaved_renames_pair_by_cookie() {
    let mut f = Feed::new();
    f.ev_full(EventMask::MOVED_FROM, "a", 1, None)
        .ev_full(EventMask::MOVED_FROM, "b", 2, None)
        .ev_full(EventMask::MOVED_TO, "b2", 2, Some("b"))
        .ev_full(EventMask::MOVED_TO, "a2", 1, Some("a"));
    let changes = f.changes();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.contains(&change(
        "a2",
        ChangeKind::Renamed {
            from: p("a"),
            modified: false
        }
    )));
    assert!(changes.contains(&change(
        "b2",
        ChangeKind::Renamed {
            from: p("b"),
            modified: false
        }
    )));
}

#[test]
fn swap_through_a_temp_name_is_two_replacements() {
    let mut f = Feed::new();
    f.mv("a", "t", 1).mv("b", "a", 2).mv("t", "b", 3);
    assert_eq!(f.changes(), [modified("a", true), modified("b", true)]);
}

#[test]
fn moved_out_is_removed_and_moved_in_is_created() {
    let mut f = Feed::new();
    f.ev_full(EventMask::MOVED_FROM, "out", 1, None)
        .ev_full(EventMask::MOVED_TO, "in", 2, None);
    assert_eq!(
        f.changes(),
        [
            change("in", ChangeKind::Created),
            change("out", ChangeKind::Removed)
        ]
    );
}

#[test]
fn directory_rename_carries_the_changes_below_it() {
    let mut f = Feed::new();
    f.write("a/x")
        .ev(EventMask::CREATE, "a/new")
        .mv_dir("a", "b", 1, true);
    let changes = f.changes();
    let dir = Change {
        path: p("b"),
        kind: ChangeKind::Renamed {
            from: p("a"),
            modified: false,
        },
        dir: true,
    };
    assert_eq!(
        changes,
        [
            dir,
            change("b/new", ChangeKind::Created),
            modified("b/x", false)
        ]
    );
}

#[test]
fn rename_out_of_a_renamed_directory_is_ordered_after_it() {
    let mut f = Feed::new();
    f.mv("a/x", "q", 1).mv_dir("a", "b", 2, true);
    let changes = f.changes();
    assert_eq!(changes[0].path, p("b"));
    assert_eq!(
        changes[1],
        change(
            "q",
            ChangeKind::Renamed {
                from: p("b/x"),
                modified: false
            }
        )
    );
}

#[test]
fn quiet_period_and_max_wait_close_windows() {
    let mut f = Feed::new();
    f.write("w");
    assert_eq!(
        f.settler.next_deadline(),
        Some(f.t0 + Duration::from_millis(50))
    );
    f.advance(49);
    assert!(f.settler.poll(f.now).is_none());
    // A continuous writer: an event every 20 ms never leaves 50 ms of
    // quiet, yet a batch comes out once a second.
    let mut batches = Vec::new();
    for _ in 0..120 {
        f.advance(20);
        f.write("w");
        if let Some(batch) = f.settler.poll(f.now) {
            batches.push(batch);
        }
    }
    assert_eq!(batches.len(), 2, "{batches:?}");
    assert_eq!(batches[0].seq, 1);
    assert_eq!(batches[1].seq, 2);
    assert_eq!(batches[0].changes, [modified("w", false)]);
}

#[test]
fn overflow_flushes_at_once_flagged() {
    let mut f = Feed::new();
    f.write("a");
    let overflow = Event::overflow();
    f.settler.feed(&overflow, f.now);
    let batch = f.settler.poll(f.now).expect("flushed at once");
    assert!(batch.overflowed);
    assert_eq!(batch.changes, [modified("a", false)]);
    assert!(!f.settler.is_pending());
}

#[test]
fn rm_rf_is_one_removal_per_path_children_first() {
    let mut f = Feed::new();
    f.ev(EventMask::DELETE, "t/s/f")
        .ev(EventMask::DELETE_SELF, "t/s")
        .ev(EventMask::DELETE | EventMask::ISDIR, "t/s")
        .ev(EventMask::DELETE, "t/g")
        .ev(EventMask::DELETE | EventMask::ISDIR, "t");
    let paths: Vec<PathBuf> = f.changes().into_iter().map(|c| c.path).collect();
    assert_eq!(paths, [p("t/s/f"), p("t/s"), p("t/g"), p("t")]);
}

#[test]
fn rename_into_a_new_directory_is_created_and_removed() {
    let mut f = Feed::new();
    f.ev(EventMask::CREATE | EventMask::ISDIR, "n")
        .mv("x", "n/x", 1);
    let changes = f.changes();
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert_eq!(changes[2], change("x", ChangeKind::Removed));
}

#[test]
fn lock_files_defer_up_to_the_bound() {
    let options = SettleOptions {
        defer_while_locked: true,
        max_deferral: Duration::from_secs(3),
        ..SettleOptions::default()
    };
    let mut f = Feed::with(options);
    f.ev(EventMask::CREATE, ".git/index.lock").write("src");
    f.advance(100);
    assert!(f.settler.poll(f.now).is_none(), "deferred while locked");
    f.mv(".git/index.lock", ".git/index", 9);
    f.advance(100);
    let batch = f.settler.poll(f.now).expect("lock gone");
    assert!(batch.changes.contains(&modified("src", false)));
    // A lock never released holds the window only up to max_deferral.
    f.ev(EventMask::CREATE, ".git/index.lock").write("src");
    f.advance(2_000);
    assert!(f.settler.poll(f.now).is_none());
    f.advance(1_100);
    assert!(f.settler.poll(f.now).is_some());
}

#[test]
fn a_leading_dot_slash_names_the_same_path() {
    // A tree watched as `.`: the root's events say `./d`, d's own watch `d`.
    let mut settler = Settler::new(SettleOptions::default());
    let now = Instant::now();
    let wd = WatchDescriptor::from_raw(1);
    let in_root = Event::new(
        wd,
        EventMask::CREATE | EventMask::ISDIR,
        0,
        ".".as_ref(),
        Some("d".as_ref()),
    );
    let own = Event::new(wd, EventMask::DELETE_SELF, 0, "d".as_ref(), None);
    settler.feed(&in_root, now);
    settler.feed(&own, now);
    assert_eq!(settler.flush(), None, "created and removed: nothing");
}
