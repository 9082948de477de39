//! The records of a fanotify read buffer: the fixed event metadata, the
//! headers of the variable-length info records after it, the permission
//! response, and the file handle the FID records carry.

/// Header of every fanotify event in a read buffer.
///
/// `event_len` covers the metadata and every info record after it;
/// `metadata_len` is the size of this structure as the kernel knows it, so
/// the info records start at that offset. `mask` is 8-byte aligned in the
/// kernel's layout (`__aligned_u64`).
#[repr(C, align(8))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fanotify_event_metadata {
    /// Length of the whole event, info records included.
    pub event_len: u32,
    /// Layout version: [`FANOTIFY_METADATA_VERSION`](crate::FANOTIFY_METADATA_VERSION).
    pub vers: u8,
    /// Unused.
    pub reserved: u8,
    /// Length of this metadata: where the info records begin.
    pub metadata_len: u16,
    /// Event bits (`FAN_*`).
    pub mask: u64,
    /// Descriptor of the object, or `FAN_NOFD` (always in FID mode and for
    /// `FAN_Q_OVERFLOW`).
    pub fd: i32,
    /// Process (or thread, with `FAN_REPORT_TID`) that caused the event.
    pub pid: i32,
}

/// Size of [`fanotify_event_metadata`] (24 bytes), `FAN_EVENT_METADATA_LEN`.
pub const FAN_EVENT_METADATA_LEN: usize = core::mem::size_of::<fanotify_event_metadata>();

/// Header of one info record after the event metadata.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fanotify_event_info_header {
    /// `FAN_EVENT_INFO_TYPE_*`.
    pub info_type: u8,
    /// Unused.
    pub pad: u8,
    /// Length of the record, this header included.
    pub len: u16,
}

/// `__kernel_fsid_t`: the filesystem id of `statfs(2)`'s `f_fsid`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct __kernel_fsid_t {
    /// The two words of the id.
    pub val: [i32; 2],
}

/// An `FID`, `DFID` or `DFID_NAME` info record: the filesystem id, then an opaque
/// [`file_handle`] (and, for the `*_NAME` types, a NUL-terminated name right
/// after the handle).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fanotify_event_info_fid {
    /// The record header.
    pub hdr: fanotify_event_info_header,
    /// Filesystem of the object.
    pub fsid: __kernel_fsid_t,
    /// Start of the `struct file_handle` (a flexible array in C).
    pub handle: [u8; 0],
}

/// A PIDFD info record (`FAN_REPORT_PIDFD`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fanotify_event_info_pidfd {
    /// The record header.
    pub hdr: fanotify_event_info_header,
    /// A new pidfd of the event's process, `FAN_NOPIDFD` or `FAN_EPIDFD`.
    pub pidfd: i32,
}

/// An ERROR info record of a `FAN_FS_ERROR` event.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fanotify_event_info_error {
    /// The record header.
    pub hdr: fanotify_event_info_header,
    /// The first error's errno.
    pub error: i32,
    /// Errors seen since the last report.
    pub error_count: u32,
}

/// The answer written to the group for a permission event.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fanotify_response {
    /// The event's descriptor.
    pub fd: i32,
    /// `FAN_ALLOW` or `FAN_DENY`, optionally `| FAN_AUDIT`.
    pub response: u32,
}

/// `struct file_handle` of `<fcntl.h>`: a header followed by
/// `handle_bytes` opaque bytes (a flexible array in C).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct file_handle {
    /// Bytes of `f_handle`; on input to `name_to_handle_at`, the room there.
    pub handle_bytes: u32,
    /// Filesystem-specific handle type.
    pub handle_type: i32,
    /// Start of the handle bytes.
    pub f_handle: [u8; 0],
}

/// Size of the [`file_handle`] header (8 bytes).
pub const FILE_HANDLE_SIZE: usize = core::mem::size_of::<file_handle>();

/// The largest `handle_bytes` the kernel produces (`MAX_HANDLE_SZ`).
pub const MAX_HANDLE_SZ: usize = 128;
