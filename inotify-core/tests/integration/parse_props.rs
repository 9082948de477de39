//! Property tests of the record parser over arbitrary bytes: it never
//! panics, and what it consumes plus what it leaves is exactly the input.
//!
//! The number of cases per property comes from `PROPTEST_CASES` (default
//! 5,000, a few seconds in a debug build); `.ci/run` runs them and the
//! fanotify parser's (`fan_parse_props`) in release, over a million cases
//! in total.

use inotify_core::{Events, ParseError, encode_record, parse_event};
use proptest::prelude::*;

/// Cases per property: `PROPTEST_CASES` or 5,000.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Shrunk failures are printed; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Walks `buf` with `Events` and checks the accounting: records consumed
/// plus the remainder is the input, the remainder is empty unless an error
/// stopped the walk, and the error is what `parse_event` says about it.
fn check_accounting(buf: &[u8]) -> Result<usize, TestCaseError> {
    let mut events = Events::new(buf);
    let mut consumed = 0;
    let mut count = 0;
    loop {
        let before = events.remainder();
        let Some(event) = events.next() else { break };
        let (again, used) = parse_event(before).unwrap().unwrap();
        prop_assert_eq!(event, again);
        prop_assert!(used >= 16);
        prop_assert_eq!(events.remainder().len(), before.len() - used);
        if let Some(name) = event.name {
            prop_assert!(!name.is_empty());
            prop_assert!(!std::os::unix::ffi::OsStrExt::as_bytes(name).contains(&0));
        }
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
            prop_assert_eq!(parse_event(rest), Err(err));
            prop_assert!(!err.to_string().is_empty());
            if let ParseError::TruncatedHeader { available } = err {
                prop_assert!(available < 16);
                prop_assert_eq!(available, rest.len());
            }
        }
    }
    prop_assert!(events.next().is_none(), "fused after the end");
    Ok(count)
}

/// A record from arbitrary fields and name, or raw garbage.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => (any::<i32>(), any::<u32>(), any::<u32>(),
              proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
              0usize..40)
            .prop_map(|(wd, mask, cookie, name, padding)| {
                let mut out = Vec::new();
                encode_record(&mut out, wd, mask, cookie, name.as_deref(), padding);
                out
            }),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parser_accounts_for_arbitrary_bytes(buf in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_accounting(&buf)?;
    }

    #[test]
    fn parser_accounts_for_records_mixed_with_garbage(
        pieces in proptest::collection::vec(piece(), 0..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let buf: Vec<u8> = pieces.concat();
        // Also parse every buffer cut short at an arbitrary point.
        let at = if buf.is_empty() { 0 } else { cut.index(buf.len() + 1) };
        check_accounting(&buf)?;
        check_accounting(&buf[..at])?;
    }

    #[test]
    fn parser_reads_back_well_formed_records(
        records in proptest::collection::vec(
            (any::<i32>(), any::<u32>(), any::<u32>(),
             proptest::option::of(proptest::collection::vec(1u8..=255, 1..=255)), 0usize..32),
            0..16),
    ) {
        let mut buf = Vec::new();
        for (wd, mask, cookie, name, padding) in &records {
            encode_record(&mut buf, *wd, *mask, *cookie, name.as_deref(), *padding);
        }
        let parsed: Vec<_> = Events::new(&buf)
            .map(|e| (e.wd.as_raw(), e.mask.bits(), e.cookie,
                      e.name.map(|n| std::os::unix::ffi::OsStrExt::as_bytes(n).to_vec())))
            .collect();
        let expected: Vec<_> = records
            .iter()
            .map(|(wd, mask, cookie, name, _)| (*wd, *mask, *cookie, name.clone()))
            .collect();
        prop_assert_eq!(parsed, expected);
        prop_assert_eq!(check_accounting(&buf)?, records.len());
    }
}
