//! Reliability tests of the notify layer against the real kernel (issue 7):
//! injected faults, resource limits in a user namespace, queue overflow, `IN_IGNORED` and
//! two paths to one directory, symlink loops, shutdown, descriptors above
//! 1024, hostile file names, and a load soak (`cargo xtask soak`). Every test runs under the leak guard
//! ([`support::leak_checked`]): descriptors, threads and live watches are
//! the same after it as before.

mod fallback;
mod fault;
mod fds;
mod ignored;
mod limits;
mod names;
mod overflow;
mod shutdown;
mod soak;
mod support;
mod symlinks;
