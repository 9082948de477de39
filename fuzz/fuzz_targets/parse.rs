//! Fuzz target: the record parser over arbitrary bytes never panics, and
//! the bytes it consumes plus the remainder it exposes are the whole input.
#![no_main]

use inotify_core::{Events, parse_event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut events = Events::new(data);
    let mut consumed = 0;
    loop {
        let before = events.remainder();
        let Some(event) = events.next() else { break };
        let used = before.len() - events.remainder().len();
        assert_eq!(parse_event(before), Ok(Some((event, used))));
        consumed += used;
    }
    assert_eq!(consumed + events.remainder().len(), data.len());
    assert_eq!(events.error().is_some(), !events.remainder().is_empty());
});
