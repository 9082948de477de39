//! The fanotify half of `cargo xtask check-abi`: every `FAN_*` constant,
//! record size and field offset of `inotify-sys`, and the file-handle
//! declarations, as C expressions over `<sys/fanotify.h>` and `<fcntl.h>`.

use std::mem::{offset_of, size_of, size_of_val};

use inotify_sys as sys;

use super::{Item, item, wide};

/// `item` for a constant whose C name is its Rust name.
macro_rules! same {
    ($($name:ident),* $(,)?) => {
        [$(item(stringify!($name), stringify!($name), sys::$name)),*]
    };
}

/// `sizeof` and one `offsetof` per field of a C struct.
macro_rules! layout {
    ($out:ident, $rust:ident, $c:literal, [$($field:ident),*]) => {
        $out.push(item(
            concat!("sizeof(", $c, ")"),
            concat!("sizeof(", $c, ")"),
            wide(size_of::<sys::$rust>()),
        ));
        $out.push(item(
            concat!("alignof(", $c, ")"),
            concat!("_Alignof(", $c, ")"),
            wide(std::mem::align_of::<sys::$rust>()),
        ));
        $(
            $out.push(item(
                concat!("offsetof(", $c, ", ", stringify!($field), ")"),
                concat!("offsetof(", $c, ", ", stringify!($field), ")"),
                wide(offset_of!(sys::$rust, $field)),
            ));
        )*
    };
}

/// The headers the fanotify items need.
pub const INCLUDES: &str = "#define _GNU_SOURCE\n#include <fcntl.h>\n#include <sys/fanotify.h>\n";

/// Every fanotify value the ABI check compares.
pub fn items() -> Vec<Item> {
    let mut out = constants();
    out.extend(layouts());
    out.extend(field_sizes());
    out
}

/// The `FAN_*` constants, `MAX_HANDLE_SZ` and the fixed sizes.
fn constants() -> Vec<Item> {
    let mut out = Vec::new();
    out.extend(same![
        FAN_ACCESS,
        FAN_MODIFY,
        FAN_ATTRIB,
        FAN_CLOSE_WRITE,
        FAN_CLOSE_NOWRITE,
        FAN_OPEN,
        FAN_MOVED_FROM,
        FAN_MOVED_TO,
        FAN_CREATE,
        FAN_DELETE,
        FAN_DELETE_SELF,
        FAN_MOVE_SELF,
        FAN_OPEN_EXEC,
        FAN_Q_OVERFLOW,
        FAN_FS_ERROR,
        FAN_OPEN_PERM,
        FAN_ACCESS_PERM,
        FAN_OPEN_EXEC_PERM,
        FAN_EVENT_ON_CHILD,
        FAN_RENAME,
        FAN_ONDIR,
        FAN_CLOSE,
        FAN_MOVE,
        FAN_ALL_EVENTS,
        FAN_ALL_PERM_EVENTS,
        FAN_ALL_OUTGOING_EVENTS,
    ]);
    out.extend(same![
        FAN_CLOEXEC,
        FAN_NONBLOCK,
        FAN_CLASS_NOTIF,
        FAN_CLASS_CONTENT,
        FAN_CLASS_PRE_CONTENT,
        FAN_ALL_CLASS_BITS,
        FAN_UNLIMITED_QUEUE,
        FAN_UNLIMITED_MARKS,
        FAN_ENABLE_AUDIT,
        FAN_REPORT_PIDFD,
        FAN_REPORT_TID,
        FAN_REPORT_FID,
        FAN_REPORT_DIR_FID,
        FAN_REPORT_NAME,
        FAN_REPORT_TARGET_FID,
        FAN_REPORT_DFID_NAME,
        FAN_REPORT_DFID_NAME_TARGET,
        FAN_ALL_INIT_FLAGS,
    ]);
    out.extend(same![
        FAN_MARK_ADD,
        FAN_MARK_REMOVE,
        FAN_MARK_DONT_FOLLOW,
        FAN_MARK_ONLYDIR,
        FAN_MARK_IGNORED_MASK,
        FAN_MARK_IGNORED_SURV_MODIFY,
        FAN_MARK_FLUSH,
        FAN_MARK_EVICTABLE,
        FAN_MARK_IGNORE,
        FAN_MARK_INODE,
        FAN_MARK_MOUNT,
        FAN_MARK_FILESYSTEM,
        FAN_MARK_IGNORE_SURV,
        FAN_ALL_MARK_FLAGS,
    ]);
    out.extend(same![
        FANOTIFY_METADATA_VERSION,
        FAN_EVENT_INFO_TYPE_FID,
        FAN_EVENT_INFO_TYPE_DFID_NAME,
        FAN_EVENT_INFO_TYPE_DFID,
        FAN_EVENT_INFO_TYPE_PIDFD,
        FAN_EVENT_INFO_TYPE_ERROR,
        FAN_EVENT_INFO_TYPE_OLD_DFID_NAME,
        FAN_EVENT_INFO_TYPE_NEW_DFID_NAME,
        FAN_ALLOW,
        FAN_DENY,
        FAN_AUDIT,
        FAN_NOFD,
        FAN_NOPIDFD,
        FAN_EPIDFD,
    ]);
    out.push(item(
        "FAN_EVENT_METADATA_LEN",
        "FAN_EVENT_METADATA_LEN",
        wide(sys::FAN_EVENT_METADATA_LEN),
    ));
    out.push(item(
        "MAX_HANDLE_SZ",
        "MAX_HANDLE_SZ",
        wide(sys::MAX_HANDLE_SZ),
    ));
    out.push(item(
        "FILE_HANDLE_SIZE",
        "sizeof(struct file_handle)",
        wide(sys::FILE_HANDLE_SIZE),
    ));
    out
}

/// Size, alignment and field offsets of every record.
fn layouts() -> Vec<Item> {
    let mut out = Vec::new();
    layout!(
        out,
        fanotify_event_metadata,
        "struct fanotify_event_metadata",
        [event_len, vers, reserved, metadata_len, mask, fd, pid]
    );
    layout!(
        out,
        fanotify_event_info_header,
        "struct fanotify_event_info_header",
        [info_type, pad, len]
    );
    layout!(
        out,
        fanotify_event_info_fid,
        "struct fanotify_event_info_fid",
        [hdr, fsid, handle]
    );
    layout!(
        out,
        fanotify_event_info_pidfd,
        "struct fanotify_event_info_pidfd",
        [hdr, pidfd]
    );
    layout!(
        out,
        fanotify_event_info_error,
        "struct fanotify_event_info_error",
        [hdr, error, error_count]
    );
    layout!(
        out,
        fanotify_response,
        "struct fanotify_response",
        [fd, response]
    );
    layout!(out, __kernel_fsid_t, "__kernel_fsid_t", [val]);
    layout!(
        out,
        file_handle,
        "struct file_handle",
        [handle_bytes, handle_type, f_handle]
    );
    out
}

/// The size of every fixed field, so a field of the right offset but the
/// wrong width (a `u32` for a `__u16`) is caught too.
fn field_sizes() -> Vec<Item> {
    let meta = sys::fanotify_event_metadata {
        event_len: 0,
        vers: 0,
        reserved: 0,
        metadata_len: 0,
        mask: 0,
        fd: 0,
        pid: 0,
    };
    let hdr = sys::fanotify_event_info_header {
        info_type: 0,
        pad: 0,
        len: 0,
    };
    let error = sys::fanotify_event_info_error {
        hdr,
        error: 0,
        error_count: 0,
    };
    let handle = sys::file_handle {
        handle_bytes: 0,
        handle_type: 0,
        f_handle: [],
    };
    let meta_p = "((struct fanotify_event_metadata *)0)";
    let hdr_p = "((struct fanotify_event_info_header *)0)";
    let error_p = "((struct fanotify_event_info_error *)0)";
    let handle_p = "((struct file_handle *)0)";
    let c = |ptr: &str, field: &str| format!("sizeof({ptr}->{field})");
    vec![
        item(
            "sizeof(event_len)",
            c(meta_p, "event_len"),
            wide(size_of_val(&meta.event_len)),
        ),
        item(
            "sizeof(vers)",
            c(meta_p, "vers"),
            wide(size_of_val(&meta.vers)),
        ),
        item(
            "sizeof(reserved)",
            c(meta_p, "reserved"),
            wide(size_of_val(&meta.reserved)),
        ),
        item(
            "sizeof(metadata_len)",
            c(meta_p, "metadata_len"),
            wide(size_of_val(&meta.metadata_len)),
        ),
        item(
            "sizeof(mask)",
            c(meta_p, "mask"),
            wide(size_of_val(&meta.mask)),
        ),
        item("sizeof(fd)", c(meta_p, "fd"), wide(size_of_val(&meta.fd))),
        item(
            "sizeof(pid)",
            c(meta_p, "pid"),
            wide(size_of_val(&meta.pid)),
        ),
        item(
            "sizeof(info_type)",
            c(hdr_p, "info_type"),
            wide(size_of_val(&hdr.info_type)),
        ),
        item("sizeof(pad)", c(hdr_p, "pad"), wide(size_of_val(&hdr.pad))),
        item("sizeof(len)", c(hdr_p, "len"), wide(size_of_val(&hdr.len))),
        item(
            "sizeof(error)",
            c(error_p, "error"),
            wide(size_of_val(&error.error)),
        ),
        item(
            "sizeof(error_count)",
            c(error_p, "error_count"),
            wide(size_of_val(&error.error_count)),
        ),
        item(
            "sizeof(handle_bytes)",
            c(handle_p, "handle_bytes"),
            wide(size_of_val(&handle.handle_bytes)),
        ),
        item(
            "sizeof(handle_type)",
            c(handle_p, "handle_type"),
            wide(size_of_val(&handle.handle_type)),
        ),
    ]
}
