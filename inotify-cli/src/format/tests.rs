//! Unit tests of the printers against lines captured from inotifywait.

use super::*;
use inotify_notify::EventMask;

fn rec<'a>(watched: &'a [u8], name: Option<&'a [u8]>, mask: EventMask) -> EventRecord<'a> {
    EventRecord {
        watched,
        name,
        mask,
        cookie: 0,
        dir: mask.contains(EventMask::ISDIR),
        src: None,
        synthetic: false,
    }
}

fn render(style: &Style, r: &EventRecord<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    style.render(r, &mut out);
    out
}

#[test]
fn default_line_matches_inotifywait() {
    let r = rec(b"w/", Some(b"a"), EventMask::CLOSE_WRITE);
    assert_eq!(render(&Style::Default, &r), b"w/ CLOSE_WRITE,CLOSE a\n");
    let own = rec(b"w/d2/", None, EventMask::MOVE_SELF);
    assert_eq!(render(&Style::Default, &own), b"w/d2/ MOVE_SELF \n");
}

#[test]
fn csv_quotes_like_inotifywait() {
    let cases: [(&[u8], EventMask, &[u8]); 6] = [
        (b"a,b", EventMask::CREATE, b"w/,CREATE,\"a,b\"\n"),
        (b"q\"q", EventMask::CREATE, b"w/,CREATE,\"q\"\"q\"\n"),
        (b"sp ace", EventMask::CREATE, b"w/,CREATE,sp ace\n"),
        (b" lead", EventMask::CREATE, b"w/,CREATE,\" lead\"\n"),
        (
            b"new\nline",
            EventMask::CREATE,
            b"w/,CREATE,\"new\nline\"\n",
        ),
        (
            b"c,d",
            EventMask::CREATE.union(EventMask::ISDIR),
            b"w/,\"CREATE,ISDIR\",\"c,d\"\n",
        ),
    ];
    for (name, mask, want) in cases {
        assert_eq!(render(&Style::Csv, &rec(b"w/", Some(name), mask)), want);
    }
    let own = rec(b"w/", None, EventMask::DELETE_SELF);
    assert_eq!(render(&Style::Csv, &own), b"w/,DELETE_SELF,\n");
}

#[test]
fn format_specifiers_match_inotifywait() {
    let f = Format::parse("[%w|%f|%e|%:e|%c|%0|%n|%%|%x|%]", true);
    let mut r = rec(b"w/", Some(b"a"), EventMask::MOVED_FROM);
    r.cookie = 0x9f90;
    let mut out = Vec::new();
    f.render(&r, "", &mut out);
    assert_eq!(out, b"[w/|a|MOVED_FROM|MOVED_FROM|9f90|\0|\n|%|%x|%]\n");
    let close = rec(b"w/", Some(b"a"), EventMask::CLOSE_WRITE);
    let mut out = Vec::new();
    Format::parse("%:e%", false).render(&close, "", &mut out);
    assert_eq!(out, b"CLOSE_WRITE:CLOSE%");
}

#[test]
fn format_time_uses_timefmt() {
    let f = Format::parse("%T %f", false);
    assert!(f.uses_time());
    let mut out = Vec::new();
    f.render(
        &rec(b"w/", Some(b"a"), EventMask::CREATE),
        "12:00",
        &mut out,
    );
    assert_eq!(out, b"12:00 a");
}

#[test]
fn names_pass_through_byte_exact() {
    let name: &[u8] = b"bad\xff\nname";
    let r = rec(b"w/", Some(name), EventMask::CREATE);
    assert_eq!(render(&Style::Default, &r), b"w/ CREATE bad\xff\nname\n");
}

#[test]
fn json_escapes_invalid_utf8_losslessly() {
    let mut out = Vec::new();
    json_string(b"a\"\\\n\x01\xffz\xc3\xa9", &mut out);
    assert_eq!(out, b"\"a\\\"\\\\\\n\\u0001\\udcffz\xc3\xa9\"");
}

#[test]
fn json_record_has_all_fields() {
    let mut r = rec(b"w/", Some(b"b"), EventMask::MOVED_TO);
    r.cookie = 7;
    r.src = Some(b"w/a");
    let out = String::from_utf8(render(&Style::Json, &r)).expect("utf8");
    assert!(out.starts_with("{\"time\":\""), "{out}");
    assert!(
        out.ends_with(
            "\"watched\":\"w/\",\"name\":\"b\",\"path\":\"w/b\",\"events\":[\"MOVED_TO\"],\"cookie\":7,\"dir\":false,\"src\":\"w/a\"}\n"
        ),
        "{out}"
    );
    let own = rec(b"w/", None, EventMask::DELETE_SELF);
    let out = String::from_utf8(render(&Style::Json, &own)).expect("utf8");
    assert!(out.contains("\"name\":null,\"path\":\"w\""), "{out}");
}
