//! Property tests of the fanotify parser over arbitrary bytes: it never
//! panics, what it consumes plus what it leaves is exactly the input, every
//! event it yields has records that iterate without loss, and events from
//! the record writer read back as written.
//!
//! Cases per property come from `PROPTEST_CASES` (default 5,000); `.ci/run`
//! runs these with the inotify parser's properties in release, over a
//! million cases in total.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use inotify_core::{
    FanEvents, FanParseError, FileHandle, FileId, InfoRecord, encode_fan_event, parse_fan_event,
};
use proptest::prelude::*;

use crate::parse_props::config;

/// Walks `buf` with `FanEvents` and checks the accounting.
fn check_accounting(buf: &[u8]) -> Result<usize, TestCaseError> {
    let mut events = FanEvents::new(buf);
    let mut consumed = 0;
    let mut count = 0;
    loop {
        let before = events.remainder();
        let Some(event) = events.next() else { break };
        let (again, used) = parse_fan_event(before).unwrap().unwrap();
        prop_assert_eq!(event, again);
        prop_assert!(used >= 24);
        prop_assert_eq!(events.remainder().len(), before.len() - used);
        // The records the parser checked cover the event's record bytes.
        let mut record_bytes = 0;
        for record in event.records() {
            record_bytes += 4;
            if let InfoRecord::DfidName(_, name)
            | InfoRecord::OldDfidName(_, name)
            | InfoRecord::NewDfidName(_, name) = record
            {
                prop_assert!(!name.as_bytes().contains(&0));
            }
        }
        prop_assert!(record_bytes <= event.record_bytes().len());
        let _ = event.to_string();
        consumed += used;
        count += 1;
    }
    let rest = events.remainder();
    prop_assert_eq!(consumed + rest.len(), buf.len());
    prop_assert_eq!(&buf[consumed..], rest);
    match events.error() {
        None => prop_assert!(rest.is_empty()),
        Some(err) => {
            prop_assert!(!rest.is_empty());
            prop_assert_eq!(parse_fan_event(rest), Err(err));
            prop_assert!(!err.to_string().is_empty());
            if let FanParseError::TruncatedMetadata { available } = err {
                prop_assert!(available < 24);
                prop_assert_eq!(available, rest.len());
            }
        }
    }
    prop_assert!(events.next().is_none(), "fused after the end");
    Ok(count)
}

/// An owned info record, for strategies (records borrow their bytes).
#[derive(Debug, Clone)]
enum Spec {
    Fid(u8, [i32; 2], i32, Vec<u8>, Option<Vec<u8>>),
    Pidfd(i32),
    Error(i32, u32),
    Unknown(u8, Vec<u8>),
}

impl Spec {
    fn record(&self) -> InfoRecord<'_> {
        match self {
            Spec::Fid(kind, fsid, handle_type, bytes, name) => {
                let id = FileId {
                    fsid: *fsid,
                    handle: FileHandle {
                        handle_type: *handle_type,
                        bytes,
                    },
                };
                match (kind % 5, name) {
                    (0, _) | (_, None) => InfoRecord::Fid(id),
                    (1, _) => InfoRecord::Dfid(id),
                    (2, Some(n)) => InfoRecord::DfidName(id, OsStr::from_bytes(n)),
                    (3, Some(n)) => InfoRecord::OldDfidName(id, OsStr::from_bytes(n)),
                    (_, Some(n)) => InfoRecord::NewDfidName(id, OsStr::from_bytes(n)),
                }
            }
            Spec::Pidfd(fd) => InfoRecord::Pidfd(*fd),
            Spec::Error(error, count) => InfoRecord::Error {
                error: *error,
                count: *count,
            },
            Spec::Unknown(info_type, body) => InfoRecord::Unknown {
                info_type: *info_type,
                body,
            },
        }
    }
}

/// A well-formed record: any handle up to 128 bytes, names without NUL,
/// unknown types (not 1..=5, 10, 12) with 4-byte-aligned bodies.
fn spec() -> impl Strategy<Value = Spec> {
    let bytes = |n| proptest::collection::vec(any::<u8>(), 0..=n);
    prop_oneof![
        4 => (any::<u8>(), any::<[i32; 2]>(), any::<i32>(), bytes(128),
              proptest::option::of(proptest::collection::vec(1u8..=255, 0..=255)))
            .prop_map(|(k, fsid, t, b, n)| Spec::Fid(k, fsid, t, b, n)),
        1 => any::<i32>().prop_map(Spec::Pidfd),
        1 => (any::<i32>(), any::<u32>()).prop_map(|(e, c)| Spec::Error(e, c)),
        1 => (13u8.., proptest::collection::vec(any::<[u8; 4]>(), 0..8))
            .prop_map(|(t, words)| Spec::Unknown(t, words.concat())),
    ]
}

/// A piece of a buffer: a well-formed event, or garbage.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => (any::<u64>(), any::<i32>(), proptest::collection::vec(spec(), 0..4))
            .prop_map(|(mask, pid, specs)| {
                let records: Vec<_> = specs.iter().map(Spec::record).collect();
                let mut out = Vec::new();
                encode_fan_event(&mut out, mask, pid, &records);
                out
            }),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fan_parser_accounts_for_arbitrary_bytes(buf in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_accounting(&buf)?;
    }

    #[test]
    fn fan_parser_accounts_for_events_mixed_with_garbage(
        pieces in proptest::collection::vec(piece(), 0..8),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        let mut buf: Vec<u8> = pieces.concat();
        let at = if buf.is_empty() { 0 } else { cut.index(buf.len() + 1) };
        check_accounting(&buf)?;
        check_accounting(&buf[..at])?;
        // One corrupted byte anywhere: lengths, types, handle sizes, names.
        if !buf.is_empty() {
            let i = flip.0.index(buf.len());
            buf[i] ^= flip.1 | 1;
            check_accounting(&buf)?;
        }
    }

    #[test]
    fn fan_parser_reads_back_well_formed_events(
        events in proptest::collection::vec(
            (any::<u64>(), any::<i32>(), proptest::collection::vec(spec(), 0..5)), 0..8),
    ) {
        let mut buf = Vec::new();
        for (mask, pid, specs) in &events {
            let records: Vec<_> = specs.iter().map(Spec::record).collect();
            encode_fan_event(&mut buf, *mask, *pid, &records);
        }
        let mut parsed = FanEvents::new(&buf);
        for (mask, pid, specs) in &events {
            let event = parsed.next();
            prop_assert!(event.is_some(), "stopped early: {:?}", parsed.error());
            let event = event.unwrap();
            prop_assert_eq!(event.mask.bits(), *mask);
            prop_assert_eq!(event.pid, *pid);
            prop_assert_eq!(event.fd, -1);
            let expected: Vec<_> = specs.iter().map(Spec::record).collect();
            prop_assert_eq!(event.records().collect::<Vec<_>>(), expected);
        }
        prop_assert!(parsed.next().is_none());
        prop_assert_eq!(parsed.error(), None);
        prop_assert_eq!(check_accounting(&buf)?, events.len());
    }
}
