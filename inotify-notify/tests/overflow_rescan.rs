//! Overflow and rescan with a lowered `max_queued_events`.
