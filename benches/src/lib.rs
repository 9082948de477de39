//! Fixtures shared by the criterion benchmarks (`benches/*.rs`) and the
//! memory probe (`examples/memory.rs`): synthetic record buffers, generated
//! directory trees, a kernel-queue filler, the raw-syscall baselines every
//! group is compared with (inotify's and fanotify's), a CPU clock, guards
//! for `/proc` limits, a scratch tmpfs for filesystem marks, the
//! editors' save patterns the settling layers are compared on
//! ([`scripts`]), and for the whole-process probes (`examples/cli_drain`,
//! `examples/setup_probe`, `examples/fan_drain`) another process's figures
//! from `/proc` and a release build of a workspace binary.
//!
//! The crate is a leaf of the workspace: nothing depends on it. Its raw
//! baselines issue system calls through `std` and `rustix` (safe wrappers
//! over the bare syscalls), so the crate needs no `unsafe` code.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clock;
mod fan_raw;
mod limits;
mod paired;
mod procfs;
mod queue;
mod raw;
mod records;
mod scratch_fs;
pub mod scripts;
mod tree;
mod workspace;

pub use clock::{Percentiles, cpu_time, is_root, write_result};
pub use fan_raw::{
    FAN_DRAIN_FID_FLAGS, FAN_DRAIN_MASK, FanRawDrain, FanWalk, fan_raw_print, fan_raw_walk,
};
pub use limits::{FANOTIFY_MAX_QUEUED_EVENTS, LimitGuard, read_sysctl};
pub use paired::{paired_lines, paired_rounds};
pub use procfs::{
    ProcStat, clock_ticks_per_second, fanotify_marks, inotify_watches, mark_slab_bytes,
    schedstat_ns, status_bytes,
};
pub use queue::{DRAIN_MASK, EVENTS_PER_FILE, QueueFiller, SENTINEL_EVENTS};
pub use raw::{RawDrain, raw_add_tree};
pub use records::{RawWalk, raw_walk, synthetic_records};
pub use scratch_fs::ScratchFs;
pub use tree::{TempDir, make_tree};
pub use workspace::{FanotifyCli, build_release_bin, target_dir, workspace_root};
