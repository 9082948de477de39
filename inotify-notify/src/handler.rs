//! [`ProcessEvent`]: pyinotify's handler class as a trait, and
//! [`dispatch`], the one place that maps an event kind to a method.
//!
//! Lookup order is pyinotify's: the specific method
//! (`process_in_close_write`), then the family (`process_in_close`), then
//! `process_default`. Every method has a default, so a handler overrides
//! only what it cares about.

use std::sync::{Arc, Mutex};

use inotify_core::EventKind;

use crate::error::Error;
use crate::event::Event;

/// A handler of events, one method per kind (pyinotify's `ProcessEvent`).
///
/// ```
/// use inotify_notify::{dispatch, Event, ProcessEvent};
/// struct OnCreate(usize);
/// impl ProcessEvent for OnCreate {
///     fn process_in_create(&mut self, _event: &Event) {
///         self.0 += 1;
///     }
/// }
/// # let _ = OnCreate(0);
/// ```
#[expect(unused_variables, reason = "default methods ignore their event")]
pub trait ProcessEvent {
    /// `IN_ACCESS`.
    fn process_in_access(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_MODIFY`.
    fn process_in_modify(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_ATTRIB`.
    fn process_in_attrib(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_CLOSE_WRITE`; defaults to [`ProcessEvent::process_in_close`].
    fn process_in_close_write(&mut self, event: &Event) {
        self.process_in_close(event);
    }
    /// `IN_CLOSE_NOWRITE`; defaults to [`ProcessEvent::process_in_close`].
    fn process_in_close_nowrite(&mut self, event: &Event) {
        self.process_in_close(event);
    }
    /// `IN_OPEN`.
    fn process_in_open(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_MOVED_FROM`; defaults to [`ProcessEvent::process_in_move`].
    fn process_in_moved_from(&mut self, event: &Event) {
        self.process_in_move(event);
    }
    /// `IN_MOVED_TO`; defaults to [`ProcessEvent::process_in_move`].
    fn process_in_moved_to(&mut self, event: &Event) {
        self.process_in_move(event);
    }
    /// `IN_CREATE`.
    fn process_in_create(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_DELETE`.
    fn process_in_delete(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_DELETE_SELF`.
    fn process_in_delete_self(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_MOVE_SELF`.
    fn process_in_move_self(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_UNMOUNT`.
    fn process_in_unmount(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_Q_OVERFLOW`.
    fn process_in_q_overflow(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// `IN_IGNORED`.
    fn process_in_ignored(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// The family of `IN_CLOSE_WRITE` and `IN_CLOSE_NOWRITE`.
    fn process_in_close(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// The family of `IN_MOVED_FROM` and `IN_MOVED_TO`.
    fn process_in_move(&mut self, event: &Event) {
        self.process_default(event);
    }
    /// Every event no more specific method took.
    fn process_default(&mut self, event: &Event) {}
    /// Errors of the notifier loop and of automatic adds.
    fn process_error(&mut self, error: &Error) {}
}

/// A per-watch handler (pyinotify's `proc_fun`), shared between the
/// manager and the notifier thread.
pub type SharedHandler = Arc<Mutex<dyn ProcessEvent + Send>>;

/// Wraps a handler for [`crate::WatchOptions::proc_fun`].
pub fn shared<H: ProcessEvent + Send + 'static>(handler: H) -> SharedHandler {
    Arc::new(Mutex::new(handler))
}

/// A shared handler is a handler too — a [`SharedHandler`] or any
/// `Arc<Mutex<H>>` — so one handler can be a watch's `proc_fun` and a
/// notifier's default handler at once, and the program reads it back
/// through its own clone of the `Arc` (a [`crate::Stats`] of a
/// [`crate::ThreadedNotifier`], say). Each event locks it once and goes to
/// the inner handler's method for its kind; a poisoned lock (an earlier
/// panic) is recovered.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use inotify_notify::{EventKind, Stats, ThreadedNotifier, WatchManager};
/// let wm = WatchManager::new()?;
/// let stats = Arc::new(Mutex::new(Stats::new()));
/// let mut threaded = ThreadedNotifier::new(&wm, Arc::clone(&stats))?;
/// threaded.start()?;
/// threaded.stop()?;
/// assert_eq!(stats.lock().unwrap().count(EventKind::Create), 0);
/// # Ok::<(), inotify_notify::Error>(())
/// ```
impl<P: ProcessEvent + ?Sized> ProcessEvent for Arc<Mutex<P>> {
    fn process_default(&mut self, event: &Event) {
        let mut guard = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        dispatch(&mut *guard, event);
    }

    fn process_error(&mut self, error: &Error) {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .process_error(error);
    }
}

/// Every event method forwarded to the boxed handler's own (one virtual
/// call, as with the box alone).
macro_rules! forward_to_inner {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method(&mut self, event: &Event) {
                (**self).$method(event);
            }
        )*
    };
}

/// A boxed handler is a handler: the default handler of a plain
/// [`crate::Notifier`]. Each event goes to the inner handler's method for
/// its kind.
impl ProcessEvent for Box<dyn ProcessEvent + Send> {
    forward_to_inner!(
        process_in_access,
        process_in_modify,
        process_in_attrib,
        process_in_close_write,
        process_in_close_nowrite,
        process_in_open,
        process_in_moved_from,
        process_in_moved_to,
        process_in_create,
        process_in_delete,
        process_in_delete_self,
        process_in_move_self,
        process_in_unmount,
        process_in_q_overflow,
        process_in_ignored,
        process_in_close,
        process_in_move,
        process_default,
    );

    fn process_error(&mut self, error: &Error) {
        (**self).process_error(error);
    }
}

/// A handler from a closure, with the closure's argument type inferred:
/// `from_fn(|e| ...)` compiles where a bare closure needs `|e: &Event|`
/// (inference needs the `FnMut(&Event)` bound written on the parameter).
///
/// ```
/// use inotify_notify::{Notifier, WatchManager, from_fn};
/// let wm = WatchManager::new()?;
/// let _notifier = Notifier::new(&wm, from_fn(|e| println!("{}", e.pathname().display())))?;
/// # Ok::<(), inotify_notify::Error>(())
/// ```
pub fn from_fn<F: FnMut(&Event)>(f: F) -> FnHandler<F> {
    FnHandler(f)
}

/// The handler of [`from_fn`]: every event goes to the closure.
#[derive(Debug, Clone, Copy)]
pub struct FnHandler<F>(pub F);

impl<F: FnMut(&Event)> ProcessEvent for FnHandler<F> {
    fn process_default(&mut self, event: &Event) {
        (self.0)(event);
    }
}

/// Calls the method of `handler` for `event`'s kind (specific, then family,
/// then default).
#[inline]
pub fn dispatch<P: ProcessEvent + ?Sized>(handler: &mut P, event: &Event) {
    match event.kind() {
        EventKind::Access => handler.process_in_access(event),
        EventKind::Modify => handler.process_in_modify(event),
        EventKind::Attrib => handler.process_in_attrib(event),
        EventKind::CloseWrite => handler.process_in_close_write(event),
        EventKind::CloseNowrite => handler.process_in_close_nowrite(event),
        EventKind::Open => handler.process_in_open(event),
        EventKind::MovedFrom => handler.process_in_moved_from(event),
        EventKind::MovedTo => handler.process_in_moved_to(event),
        EventKind::Create => handler.process_in_create(event),
        EventKind::Delete => handler.process_in_delete(event),
        EventKind::DeleteSelf => handler.process_in_delete_self(event),
        EventKind::MoveSelf => handler.process_in_move_self(event),
        EventKind::Unmount => handler.process_in_unmount(event),
        EventKind::QOverflow => handler.process_in_q_overflow(event),
        EventKind::Ignored => handler.process_in_ignored(event),
        _ => handler.process_default(event),
    }
}

/// Dispatches to a shared handler; a poisoned lock (a handler panicked
/// earlier) is recovered rather than propagated.
pub(crate) fn dispatch_shared(handler: &SharedHandler, event: &Event) {
    let mut guard = handler
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    dispatch(&mut *guard, event);
}

/// Closures are handlers: every event goes to the closure.
impl<F: FnMut(&Event)> ProcessEvent for F {
    fn process_default(&mut self, event: &Event) {
        self(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inotify_core::{EventMask, WatchDescriptor};

    fn event(mask: EventMask) -> Event {
        let mut event = Event::new(WatchDescriptor::from_raw(1), mask, 0, "/t".as_ref(), None);
        event.dir = false;
        event
    }

    #[derive(Default)]
    struct Log(Vec<&'static str>);
    impl ProcessEvent for Log {
        fn process_in_close_write(&mut self, _: &Event) {
            self.0.push("close_write");
        }
        fn process_in_close(&mut self, _: &Event) {
            self.0.push("close");
        }
        fn process_default(&mut self, _: &Event) {
            self.0.push("default");
        }
    }

    #[test]
    fn dispatch_prefers_specific_then_family_then_default() {
        let mut log = Log::default();
        dispatch(&mut log, &event(EventMask::CLOSE_WRITE));
        dispatch(&mut log, &event(EventMask::CLOSE_NOWRITE));
        dispatch(&mut log, &event(EventMask::MOVED_TO));
        dispatch(&mut log, &event(EventMask::from_bits_retain(0x0100_0000)));
        assert_eq!(log.0, ["close_write", "close", "default", "default"]);
    }

    #[test]
    fn closures_and_boxed_handlers_dispatch() {
        let mut count = 0;
        let mut closure = |_: &Event| count += 1;
        dispatch(&mut closure, &event(EventMask::CREATE));
        let mut boxed: Box<dyn ProcessEvent> = Box::new(Log::default());
        dispatch(&mut *boxed, &event(EventMask::CREATE));
        assert_eq!(count, 1);
    }
}
