//! The fanotify ABI of `<sys/fanotify.h>` and `<linux/fanotify.h>`, plus
//! the file-handle calls of `<fcntl.h>` that turn its handles into files.
//!
//! fanotify is the second notification interface of Linux: with one mark it
//! can watch a whole filesystem, and in FID mode (`FAN_REPORT_FID`,
//! `FAN_REPORT_DFID_NAME`) it names objects by file handle instead of by
//! descriptor. Laid out like the inotify declarations: constants, the
//! `#[repr(C)]` records, the `extern "C"` block, and nothing else.

mod constants;
mod functions;
mod types;

pub use constants::*;
pub use functions::*;
pub use types::*;
