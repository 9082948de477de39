//! Unit tests of the record parser on hand-built records.

use super::*;
use crate::record::encode_record;

#[test]
fn parse_empty_buffer_yields_nothing() {
    assert_eq!(parse_event(&[]), Ok(None));
    let mut events = Events::new(&[]);
    assert!(events.next().is_none());
    assert!(events.error().is_none());
}

#[test]
fn parse_zero_length_name_is_none() {
    let mut buf = Vec::new();
    encode_record(&mut buf, 1, EventMask::DELETE_SELF.bits(), 0, None, 0);
    let (event, used) = parse_event(&buf).unwrap().unwrap();
    assert_eq!(used, 16);
    assert_eq!(event.name, None);
    assert_eq!(event.mask, EventMask::DELETE_SELF);
}

#[test]
fn parse_name_cut_at_first_nul_with_extra_padding() {
    let mut buf = Vec::new();
    encode_record(&mut buf, 7, EventMask::CREATE.bits(), 0, Some(b"abc"), 32);
    encode_record(&mut buf, 8, EventMask::MODIFY.bits(), 0, Some(b"x"), 0);
    let events: Vec<_> = Events::new(&buf).collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].name, Some(OsStr::new("abc")));
    assert_eq!(events[1].wd, WatchDescriptor::from_raw(8));
}

#[test]
fn parse_all_nul_name_is_none() {
    let mut buf = Vec::new();
    encode_record(&mut buf, 1, EventMask::CREATE.bits(), 0, Some(b""), 0);
    let (event, _) = parse_event(&buf).unwrap().unwrap();
    assert_eq!(event.name, None);
}

#[test]
fn parse_keeps_unknown_bits_and_overflow_wd() {
    let mut buf = Vec::new();
    encode_record(
        &mut buf,
        -1,
        EventMask::Q_OVERFLOW.bits() | 0x1000,
        0,
        None,
        0,
    );
    let (event, _) = parse_event(&buf).unwrap().unwrap();
    assert_eq!(event.wd, WatchDescriptor::OVERFLOW);
    assert_eq!(event.mask.bits(), EventMask::Q_OVERFLOW.bits() | 0x1000);
}

#[test]
fn parse_record_split_at_buffer_end_stops_and_exposes_rest() {
    let mut buf = Vec::new();
    encode_record(&mut buf, 1, EventMask::CREATE.bits(), 0, Some(b"first"), 0);
    let whole = buf.len();
    encode_record(&mut buf, 1, EventMask::CREATE.bits(), 0, Some(b"second"), 0);
    let cut = &buf[..whole + 20];
    let mut events = Events::new(cut);
    assert_eq!(events.next().unwrap().name, Some(OsStr::new("first")));
    assert!(events.next().is_none());
    assert_eq!(
        events.error(),
        Some(ParseError::NameOutOfBounds {
            len: 16,
            available: 4
        })
    );
    assert_eq!(events.remainder().len(), 20);
    let header_cut = &buf[..whole + 5];
    let mut events = Events::new(header_cut);
    events.next();
    assert!(events.next().is_none());
    assert_eq!(
        events.error(),
        Some(ParseError::TruncatedHeader { available: 5 })
    );
}

#[test]
fn parse_unterminated_name_is_an_error() {
    let mut buf = Vec::new();
    for field in [1u32, EventMask::CREATE.bits(), 0, 4] {
        buf.extend_from_slice(&field.to_ne_bytes());
    }
    buf.extend_from_slice(b"abcd");
    assert_eq!(
        parse_event(&buf),
        Err(ParseError::NameNotTerminated { len: 4 })
    );
}

#[test]
fn parse_huge_len_is_an_error_not_a_panic() {
    let mut buf = Vec::new();
    for field in [1u32, 0, 0, u32::MAX] {
        buf.extend_from_slice(&field.to_ne_bytes());
    }
    assert!(matches!(
        parse_event(&buf),
        Err(ParseError::NameOutOfBounds { len: u32::MAX, .. })
    ));
}

#[test]
fn parse_non_utf8_name_round_trips_bytes() {
    let name = b"caf\xe9\xff\nx y";
    let mut buf = Vec::new();
    encode_record(&mut buf, 1, EventMask::CREATE.bits(), 0, Some(name), 0);
    let (event, _) = parse_event(&buf).unwrap().unwrap();
    assert_eq!(event.name.unwrap().as_bytes(), name);
}

#[test]
fn first_nul_matches_a_byte_search_at_every_offset() {
    // Every length up to three words and a tail, the NUL at every place
    // (and none), with 0x80/0x01 bytes around it, which a word-at-a-time
    // zero test must not mistake for zeros.
    for len in 0..=27 {
        for fill in [b'a', 0x80, 0x01, 0xff] {
            for nul in 0..=len {
                let mut field = vec![fill; len];
                if let Some(b) = field.get_mut(nul) {
                    *b = 0;
                }
                if let Some(b) = field.get_mut(nul + 1) {
                    *b = 0x01;
                }
                let expected = field.iter().position(|&b| b == 0);
                assert_eq!(
                    first_nul(&field),
                    expected,
                    "len {len} fill {fill} nul {nul}"
                );
            }
        }
    }
}
