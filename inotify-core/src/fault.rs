//! A deterministic fault-injection seam under every system call of the crate.
//!
//! Robust code must handle EINTR, ENOMEM, EAGAIN and short reads, but the
//! kernel produces them only by chance. With the `fault-injection` feature,
//! tests queue faults for the current thread (`inject`); the next matching
//! call in the private `sys` module fails with that error (or reads fewer
//! bytes) instead of entering the kernel. Faults are per thread, so tests
//! running in parallel never see each other's. Without the feature every
//! check is an inlined no-op.

use std::io;

/// The system call a fault is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `inotify_init1`.
    Init,
    /// `inotify_add_watch`.
    AddWatch,
    /// `inotify_rm_watch`.
    RmWatch,
    /// `read` of the inotify descriptor.
    Read,
    /// `poll`.
    Poll,
    /// `ioctl(FIONREAD)`.
    Fionread,
    /// `fanotify_init`.
    FanInit,
    /// `fanotify_mark`.
    FanMark,
    /// Listing a directory: `getdents64` of one a recursive add lists, and
    /// [`crate::long_path::read_dir`] (the scans and snapshots above).
    ReadDir,
}

/// What the targeted call does instead of its normal work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Fail with this errno (EINTR, ENOMEM, EINVAL, EAGAIN, ...).
    Errno(i32),
    /// For [`Op::Read`] only: read at most this many bytes.
    ShortRead(usize),
    /// The call runs as usual: queued before a fault of the same op, it
    /// makes that fault hit a later call (the second `inotify_add_watch`
    /// of a scan, say).
    Pass,
}

#[cfg(feature = "fault-injection")]
mod imp {
    use super::{Fault, Op};
    use std::cell::RefCell;
    use std::collections::VecDeque;

    thread_local! {
        pub(super) static PLAN: RefCell<VecDeque<(Op, Fault)>> = const { RefCell::new(VecDeque::new()) };
    }

    /// Removes and returns the first planned fault aimed at `op`.
    pub(super) fn take(op: Op) -> Option<Fault> {
        PLAN.with(|plan| {
            let mut plan = plan.borrow_mut();
            let at = plan.iter().position(|(o, _)| *o == op)?;
            plan.remove(at).map(|(_, fault)| fault)
        })
    }
}

/// Queues `fault` for the next call of `op` on this thread (feature
/// `fault-injection`). Faults for the same op fire in the order queued.
#[cfg(feature = "fault-injection")]
pub fn inject(op: Op, fault: Fault) {
    imp::PLAN.with(|plan| plan.borrow_mut().push_back((op, fault)));
}

/// Drops every fault still queued on this thread (feature `fault-injection`).
#[cfg(feature = "fault-injection")]
pub fn clear() {
    imp::PLAN.with(|plan| plan.borrow_mut().clear());
}

/// Number of faults still queued on this thread (feature `fault-injection`).
#[cfg(feature = "fault-injection")]
pub fn pending() -> usize {
    imp::PLAN.with(|plan| plan.borrow().len())
}

/// Fails with the planned errno for `op`, if any.
#[inline]
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::unnecessary_wraps,
        reason = "fails only with the fault-injection feature"
    )
)]
pub(crate) fn check(op: Op) -> io::Result<()> {
    #[cfg(feature = "fault-injection")]
    if let Some(Fault::Errno(errno)) = imp::take(op) {
        return Err(io::Error::from_raw_os_error(errno));
    }
    let _ = op;
    Ok(())
}

/// For reads: fails with a planned errno, or returns the most bytes to read.
#[inline]
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::unnecessary_wraps,
        reason = "fails only with the fault-injection feature"
    )
)]
pub(crate) fn check_read(len: usize) -> io::Result<usize> {
    #[cfg(feature = "fault-injection")]
    match imp::take(Op::Read) {
        Some(Fault::Errno(errno)) => return Err(io::Error::from_raw_os_error(errno)),
        Some(Fault::ShortRead(n)) => return Ok(n.min(len)),
        Some(Fault::Pass) | None => {}
    }
    Ok(len)
}
