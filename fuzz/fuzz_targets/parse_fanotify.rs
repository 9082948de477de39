//! Fuzz target: the fanotify event parser over arbitrary bytes never
//! panics, the bytes it consumes plus the remainder it exposes are the whole
//! input, and every event it yields iterates its records to the end.
#![no_main]

use inotify_core::{FanEvents, parse_fan_event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut events = FanEvents::new(data);
    let mut consumed = 0;
    loop {
        let before = events.remainder();
        let Some(event) = events.next() else { break };
        let used = before.len() - events.remainder().len();
        assert_eq!(parse_fan_event(before), Ok(Some((event, used))));
        assert!(used >= 24);
        let _ = event.records().count();
        let _ = (event.dfid_name(), event.old_dfid_name(), event.new_dfid_name());
        consumed += used;
    }
    assert_eq!(consumed + events.remainder().len(), data.len());
    assert_eq!(events.error().is_some(), !events.remainder().is_empty());
});
