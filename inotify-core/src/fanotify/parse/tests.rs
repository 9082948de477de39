//! Unit tests of the fanotify parser on events from the record writer:
//! every record type, merged bits, unknown types, and each length check.

use std::ffi::OsStr;

use super::*;
use crate::fanotify::record::encode_fan_event;

const DIR: FileId<'static> = FileId {
    fsid: [7, -8],
    handle: FileHandle {
        handle_type: 1,
        bytes: &[1, 2, 3, 4, 5, 6, 7, 8],
    },
};

fn one(records: &[InfoRecord<'_>]) -> Vec<u8> {
    let mut buf = Vec::new();
    encode_fan_event(&mut buf, ffi::FAN_CREATE | ffi::FAN_DELETE, 99, records);
    buf
}

#[test]
fn every_record_type_round_trips() {
    let records = [
        InfoRecord::Fid(DIR),
        InfoRecord::Dfid(DIR),
        InfoRecord::DfidName(DIR, OsStr::new("name")),
        InfoRecord::OldDfidName(DIR, OsStr::new("old")),
        InfoRecord::NewDfidName(DIR, OsStr::new("new")),
        InfoRecord::Pidfd(-2),
        InfoRecord::Error { error: 5, count: 3 },
        InfoRecord::Unknown {
            info_type: 200,
            body: &[9, 9, 9, 9],
        },
    ];
    let buf = one(&records);
    let (event, used) = parse_fan_event(&buf).unwrap().unwrap();
    assert_eq!(used, buf.len());
    assert_eq!(event.records().collect::<Vec<_>>(), records);
    assert_eq!(event.mask, FanEventMask::CREATE | FanEventMask::DELETE);
    assert_eq!((event.fd, event.pid), (ffi::FAN_NOFD, 99));
    assert_eq!(event.fid(), Some(DIR));
    assert_eq!(event.dfid_name(), Some((DIR, OsStr::new("name"))));
    assert_eq!(event.old_dfid_name(), Some((DIR, OsStr::new("old"))));
    assert_eq!(event.new_dfid_name(), Some((DIR, OsStr::new("new"))));
    assert_eq!(event.pidfd(), Some(-2));
    assert!(!event.is_overflow());
    assert_eq!(
        event.to_string(),
        "mask=FAN_CREATE|FAN_DELETE pid=99 name=\"name\" new_name=\"new\""
    );
}

#[test]
fn overflow_has_no_records_and_several_events_follow_each_other() {
    let mut buf = Vec::new();
    encode_fan_event(&mut buf, ffi::FAN_Q_OVERFLOW, 0, &[]);
    encode_fan_event(
        &mut buf,
        ffi::FAN_CREATE,
        1,
        &[InfoRecord::DfidName(DIR, OsStr::new("a"))],
    );
    let events: Vec<_> = FanEvents::new(&buf).collect();
    assert_eq!(events.len(), 2);
    assert!(events[0].is_overflow() && events[0].records().next().is_none());
    assert_eq!(events[1].dfid(), Some(DIR));
}

#[test]
fn name_is_cut_at_its_nul_and_padding_is_skipped() {
    let buf = one(&[InfoRecord::DfidName(DIR, OsStr::new("ab"))]);
    // 24 metadata + 4 header + 8 fsid + 8 handle header + 8 handle + 3 name,
    // padded to 4.
    assert_eq!(buf.len(), 24 + (4 + 8 + 8 + 8 + 3usize).next_multiple_of(4));
    let (event, _) = parse_fan_event(&buf).unwrap().unwrap();
    assert_eq!(event.dfid_name().unwrap().1, OsStr::new("ab"));
}

#[test]
fn metadata_checks() {
    assert_eq!(parse_fan_event(&[]), Ok(None));
    assert_eq!(
        parse_fan_event(&[0; 23]),
        Err(FanParseError::TruncatedMetadata { available: 23 })
    );
    let good = one(&[]);
    let mut bad = good.clone();
    bad[4] = 2;
    assert_eq!(
        parse_fan_event(&bad),
        Err(FanParseError::UnsupportedVersion { version: 2 })
    );
    let mut bad = good.clone();
    bad[6..8].copy_from_slice(&20u16.to_ne_bytes());
    assert!(matches!(
        parse_fan_event(&bad),
        Err(FanParseError::BadLength {
            metadata_len: 20,
            ..
        })
    ));
    let mut bad = good.clone();
    bad[..4].copy_from_slice(&10u32.to_ne_bytes());
    assert!(matches!(
        parse_fan_event(&bad),
        Err(FanParseError::BadLength { .. })
    ));
    let mut bad = good;
    bad[..4].copy_from_slice(&40u32.to_ne_bytes());
    assert_eq!(
        parse_fan_event(&bad),
        Err(FanParseError::EventOutOfBounds {
            event_len: 40,
            available: 24
        })
    );
}

#[test]
fn record_checks() {
    let good = one(&[InfoRecord::DfidName(DIR, OsStr::new("x"))]);
    // The record length: zero, past the event.
    for len in [0u16, 3, 1000] {
        let mut bad = good.clone();
        bad[26..28].copy_from_slice(&len.to_ne_bytes());
        assert!(
            matches!(parse_fan_event(&bad), Err(FanParseError::RecordOutOfBounds { len: l, .. }) if l == len),
            "{len}"
        );
    }
    // A handle longer than its record.
    let mut bad = good.clone();
    bad[36..40].copy_from_slice(&200u32.to_ne_bytes());
    assert!(matches!(
        parse_fan_event(&bad),
        Err(FanParseError::RecordTooShort { info_type: 2, .. })
    ));
    // A name without NUL.
    let mut bad = good.clone();
    let name_at = 24 + 4 + 16 + 8;
    bad[name_at..].fill(b'x');
    assert_eq!(
        parse_fan_event(&bad),
        Err(FanParseError::NameNotTerminated {
            offset: 0,
            info_type: 2
        })
    );
    // Event cut inside its records: three bytes of a record header.
    let mut bad = one(&[]);
    bad.extend_from_slice(&[1, 0, 4]);
    bad[..4].copy_from_slice(&27u32.to_ne_bytes());
    assert_eq!(
        parse_fan_event(&bad),
        Err(FanParseError::TruncatedRecordHeader {
            offset: 0,
            available: 3
        })
    );
    // PIDFD and ERROR too short for their fields.
    for (info_type, len) in [(4u8, 6u16), (5, 8)] {
        let mut bad = one(&[]);
        bad.extend_from_slice(&[info_type, 0]);
        bad.extend_from_slice(&len.to_ne_bytes());
        bad.resize(24 + usize::from(len), 0);
        let event_len = u32::try_from(bad.len()).unwrap();
        bad[..4].copy_from_slice(&event_len.to_ne_bytes());
        assert!(matches!(
            parse_fan_event(&bad),
            Err(FanParseError::RecordTooShort { info_type: t, .. }) if t == info_type
        ));
    }
}

#[test]
fn iterator_stops_at_the_bad_event_and_keeps_it() {
    let mut buf = one(&[InfoRecord::Dfid(DIR)]);
    let first = buf.len();
    buf.extend_from_slice(&[1, 2, 3]);
    let mut events = FanEvents::new(&buf);
    assert!(events.next().is_some());
    assert!(events.next().is_none());
    assert_eq!(events.remainder(), &[1, 2, 3]);
    assert_eq!(
        events.error(),
        Some(FanParseError::TruncatedMetadata { available: 3 })
    );
    assert!(events.next().is_none());
    assert_eq!(first + 3, buf.len());
    assert!(!events.error().unwrap().to_string().is_empty());
}
