//! SIGINT/SIGTERM handling for notifiers (cargo feature `signals`): the
//! signal-hook actions a [`NotifierBuilder::stop_on_signals`] notifier
//! registers, the self-pipe that wakes its `poll`, and the process-wide
//! count that gives the signals their default effect back once no notifier
//! listens.
//!
//! Per notifier and signal, three actions run in this order (signal-hook
//! runs a signal's actions in registration order): record the signal in
//! the [`StopHandle`], set its stopped flag, write a byte to a socket the
//! notifier polls beside the inotify descriptor. So a woken `poll` always
//! finds the handle stopped, and a handler that only checks
//! [`StopHandle::is_stopped`] (channel mode's blocked send) sees the signal
//! without any wake-up.
//!
//! [`NotifierBuilder::stop_on_signals`]: crate::NotifierBuilder::stop_on_signals

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use signal_hook::SigId;

use crate::error::{Error, Result};
use crate::stop::StopHandle;

/// The signal numbers [`StopHandle::signal`] returns.
pub use signal_hook::consts::{SIGINT, SIGTERM};

/// The signals [`crate::NotifierBuilder::stop_on_signals`] handles.
const HANDLED: [i32; 2] = [SIGINT, SIGTERM];

/// A notifier's registration: unregistered on drop.
#[derive(Debug)]
pub(crate) struct SignalStop {
    /// Read end of the self-pipe; readable once a handled signal arrived.
    /// Never drained: a signal stops the notifier for good.
    read: UnixStream,
    /// Our signal-hook actions.
    ids: Vec<SigId>,
    /// The signals counted in [`LISTENERS`] by this registration.
    acquired: Vec<i32>,
}

impl SignalStop {
    /// Registers SIGINT and SIGTERM to stop `stop`.
    ///
    /// # Errors
    /// Failure to create the socket pair or to install a signal handler;
    /// whatever was registered before the failure is removed again.
    pub(crate) fn register(stop: &StopHandle) -> Result<Self> {
        let (read, write) = UnixStream::pair().map_err(|err| Error::io(err, None))?;
        let mut this = SignalStop {
            read,
            ids: Vec::new(),
            acquired: Vec::new(),
        };
        for signal in HANDLED {
            this.register_one(signal, stop, &write)
                .map_err(|err| Error::io(err, None))?;
        }
        Ok(this)
    }

    fn register_one(
        &mut self,
        signal: i32,
        stop: &StopHandle,
        write: &UnixStream,
    ) -> io::Result<()> {
        acquire(signal)?;
        self.acquired.push(signal);
        let value = usize::try_from(signal).map_err(io::Error::other)?;
        self.ids.push(signal_hook::flag::register_usize(
            signal,
            stop.signal_flag(),
            value,
        )?);
        self.ids
            .push(signal_hook::flag::register(signal, stop.stopped_flag())?);
        self.ids.push(signal_hook::low_level::pipe::register(
            signal,
            write.try_clone()?,
        )?);
        Ok(())
    }
}

impl AsFd for SignalStop {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }
}

impl Drop for SignalStop {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        for signal in self.acquired.drain(..) {
            release(signal);
        }
    }
}

/// A handled signal's process-wide state.
struct Listeners {
    signal: i32,
    /// Registrations alive.
    count: usize,
    /// The flag of a `register_conditional_default` action, set while no
    /// notifier listens; `None` if the signal was not at its default
    /// disposition before our first registration (someone else handles or
    /// ignores it, and signal-hook calls their handler on its own).
    restore_default: Option<Arc<AtomicBool>>,
}

impl Listeners {
    /// The state of `signal` before its first registration: at its default
    /// disposition, the default-restoring action is installed (inert while
    /// `count` is non-zero).
    fn first(signal: i32) -> io::Result<Self> {
        // Unknown (no /proc): never terminate on our own; the signal then
        // stays without effect after the last drop.
        let at_default = at_default_disposition(signal).unwrap_or_else(|err| {
            log::warn!("cannot read the disposition of signal {signal}: {err}");
            false
        });
        let restore_default = if at_default {
            let flag = Arc::new(AtomicBool::new(false));
            signal_hook::flag::register_conditional_default(signal, Arc::clone(&flag))?;
            Some(flag)
        } else {
            None
        };
        Ok(Listeners {
            signal,
            count: 0,
            restore_default,
        })
    }
}

/// signal-hook cannot give back the disposition it replaced: once an
/// action was registered, unregistering the last one leaves its handler
/// installed with nothing to do, and the signal would no longer stop the
/// process. So the first registration of a signal at its default
/// disposition also installs (for the life of the process) an action that
/// runs the default — terminate — while no notifier listens.
static LISTENERS: Mutex<Vec<Listeners>> = Mutex::new(Vec::new());

/// Counts a registration of `signal`, installing the default-restoring
/// action on the first.
fn acquire(signal: i32) -> io::Result<()> {
    let mut all = LISTENERS.lock().unwrap_or_else(PoisonError::into_inner);
    let index = if let Some(index) = all.iter().position(|l| l.signal == signal) {
        index
    } else {
        all.push(Listeners::first(signal)?);
        all.len() - 1
    };
    let listeners = &mut all[index];
    listeners.count += 1;
    if let Some(flag) = &listeners.restore_default {
        flag.store(false, Ordering::SeqCst);
    }
    Ok(())
}

/// Ends a registration of `signal`; the last one gives the signal its
/// default effect back (when it had it).
fn release(signal: i32) {
    let mut all = LISTENERS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(listeners) = all.iter_mut().find(|l| l.signal == signal) {
        listeners.count = listeners.count.saturating_sub(1);
        if listeners.count == 0
            && let Some(flag) = &listeners.restore_default
        {
            flag.store(true, Ordering::SeqCst);
        }
    }
}

/// Whether `signal` is neither caught nor ignored by this process.
fn at_default_disposition(signal: i32) -> io::Result<bool> {
    at_default_in_status(&std::fs::read_to_string("/proc/self/status")?, signal)
}

/// Whether `signal` is neither caught nor ignored according to the
/// `SigCgt` and `SigIgn` masks of a `/proc/<pid>/status` text (proc(5):
/// hexadecimal, bit `signal - 1`).
fn at_default_in_status(status: &str, signal: i32) -> io::Result<bool> {
    let bit = u32::try_from(signal - 1)
        .ok()
        .and_then(|shift| 1u64.checked_shl(shift))
        .ok_or_else(|| io::Error::other(format!("signal {signal} out of range")))?;
    let mut found = 0;
    for line in status.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key == "SigCgt" || key == "SigIgn" {
            let mask = u64::from_str_radix(value.trim(), 16)
                .map_err(|err| io::Error::other(format!("/proc/self/status {key}: {err}")))?;
            if mask & bit != 0 {
                return Ok(false);
            }
            found += 1;
        }
    }
    if found == 2 {
        Ok(true)
    } else {
        Err(io::Error::other("/proc/self/status lacks SigCgt or SigIgn"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SIGINT (2) is bit 1, SIGTERM (15) bit 14 = 0x4000.
    fn status(ignored: &str, caught: &str) -> String {
        format!("Name:\tx\nSigBlk:\t0000000000004002\nSigIgn:\t{ignored}\nSigCgt:\t{caught}\n")
    }

    #[test]
    fn masks_decide_the_disposition() {
        let none = "0000000000000000";
        let sigterm = "0000000000004000";
        let sigint = "0000000000000002";
        // A blocked signal still has its default disposition.
        assert!(at_default_in_status(&status(none, none), SIGTERM).unwrap());
        assert!(!at_default_in_status(&status(none, sigterm), SIGTERM).unwrap());
        assert!(!at_default_in_status(&status(sigterm, none), SIGTERM).unwrap());
        assert!(at_default_in_status(&status(sigint, sigint), SIGTERM).unwrap());
        assert!(!at_default_in_status(&status(none, sigint), SIGINT).unwrap());
    }

    #[test]
    fn missing_or_bad_masks_and_signals_are_errors() {
        assert!(at_default_in_status("Name:\tx\nSigIgn:\t0\n", SIGTERM).is_err());
        assert!(at_default_in_status(&status("zz", "0"), SIGTERM).is_err());
        let fine = status("0", "0");
        assert!(at_default_in_status(&fine, 0).is_err());
        assert!(at_default_in_status(&fine, 65).is_err());
        assert!(at_default_in_status(&fine, 64).unwrap());
    }

    #[test]
    fn this_process_status_is_readable() {
        at_default_disposition(SIGTERM).unwrap();
    }
}
