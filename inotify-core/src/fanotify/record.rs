//! [`encode_fan_event`]: builds fanotify events in the kernel's layout by
//! hand, for tests, benchmarks and fuzz seeds that need realistic buffers
//! without a kernel (or without privileges).

use std::os::unix::ffi::OsStrExt;

use inotify_sys as ffi;

use super::event::{FileId, InfoRecord};

/// The kernel pads every info record to a multiple of 4 bytes
/// (`FANOTIFY_EVENT_ALIGN`).
const ALIGN: usize = 4;

/// Appends one event with `records` in the kernel's layout to `out`:
/// metadata of version 3 with `fd` = `FAN_NOFD`, then each record with its
/// header, padded with NULs to 4 bytes as the kernel does (names get their
/// NUL first). Returns the event's length.
///
/// Lengths that do not fit the format's fields (a record over 64 KiB) are
/// written saturated, so the parser then rejects the event; the writer
/// itself never panics.
///
/// ```
/// use inotify_core::{FanEventMask, FanEvents, InfoRecord, encode_fan_event};
/// let mut buf = Vec::new();
/// encode_fan_event(&mut buf, FanEventMask::Q_OVERFLOW.bits(), 0, &[]);
/// encode_fan_event(&mut buf, FanEventMask::FS_ERROR.bits(), 0, &[InfoRecord::Error { error: 5, count: 1 }]);
/// let masks: Vec<_> = FanEvents::new(&buf).map(|e| e.mask).collect();
/// assert_eq!(masks, [FanEventMask::Q_OVERFLOW, FanEventMask::FS_ERROR]);
/// ```
pub fn encode_fan_event(
    out: &mut Vec<u8>,
    mask: u64,
    pid: i32,
    records: &[InfoRecord<'_>],
) -> usize {
    let start = out.len();
    out.extend_from_slice(&0u32.to_ne_bytes()); // event_len, patched below
    out.push(ffi::FANOTIFY_METADATA_VERSION);
    out.push(0);
    let meta = u16::try_from(ffi::FAN_EVENT_METADATA_LEN).unwrap_or(u16::MAX);
    out.extend_from_slice(&meta.to_ne_bytes());
    out.extend_from_slice(&mask.to_ne_bytes());
    out.extend_from_slice(&ffi::FAN_NOFD.to_ne_bytes());
    out.extend_from_slice(&pid.to_ne_bytes());
    for record in records {
        encode_record(out, record);
    }
    let len = out.len() - start;
    let event_len = u32::try_from(len).unwrap_or(u32::MAX).to_ne_bytes();
    if let Some(field) = out.get_mut(start..start + 4) {
        field.copy_from_slice(&event_len);
    }
    len
}

/// Appends one info record.
fn encode_record(out: &mut Vec<u8>, record: &InfoRecord<'_>) {
    let start = out.len();
    let (info_type, body_start) = match *record {
        InfoRecord::Fid(id) => (ffi::FAN_EVENT_INFO_TYPE_FID, Some((id, None))),
        InfoRecord::Dfid(id) => (ffi::FAN_EVENT_INFO_TYPE_DFID, Some((id, None))),
        InfoRecord::DfidName(id, name) => {
            (ffi::FAN_EVENT_INFO_TYPE_DFID_NAME, Some((id, Some(name))))
        }
        InfoRecord::OldDfidName(id, name) => (
            ffi::FAN_EVENT_INFO_TYPE_OLD_DFID_NAME,
            Some((id, Some(name))),
        ),
        InfoRecord::NewDfidName(id, name) => (
            ffi::FAN_EVENT_INFO_TYPE_NEW_DFID_NAME,
            Some((id, Some(name))),
        ),
        InfoRecord::Pidfd(_) => (ffi::FAN_EVENT_INFO_TYPE_PIDFD, None),
        InfoRecord::Error { .. } => (ffi::FAN_EVENT_INFO_TYPE_ERROR, None),
        InfoRecord::Unknown { info_type, .. } => (info_type, None),
    };
    out.extend_from_slice(&[info_type, 0, 0, 0]); // len patched below
    match (*record, body_start) {
        (_, Some((id, name))) => {
            encode_fid(out, id);
            if let Some(name) = name {
                out.extend_from_slice(name.as_bytes());
                out.push(0);
            }
        }
        (InfoRecord::Pidfd(fd), _) => out.extend_from_slice(&fd.to_ne_bytes()),
        (InfoRecord::Error { error, count }, _) => {
            out.extend_from_slice(&error.to_ne_bytes());
            out.extend_from_slice(&count.to_ne_bytes());
        }
        (InfoRecord::Unknown { body, .. }, _) => out.extend_from_slice(body),
        _ => {}
    }
    out.resize(start + (out.len() - start).next_multiple_of(ALIGN), 0);
    let len = u16::try_from(out.len() - start)
        .unwrap_or(u16::MAX)
        .to_ne_bytes();
    if let Some(field) = out.get_mut(start + 2..start + 4) {
        field.copy_from_slice(&len);
    }
}

/// Appends the fsid and the `file_handle` of an FID body.
fn encode_fid(out: &mut Vec<u8>, id: FileId<'_>) {
    out.extend_from_slice(&id.fsid[0].to_ne_bytes());
    out.extend_from_slice(&id.fsid[1].to_ne_bytes());
    let handle_bytes = u32::try_from(id.handle.bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&handle_bytes.to_ne_bytes());
    out.extend_from_slice(&id.handle.handle_type.to_ne_bytes());
    out.extend_from_slice(id.handle.bytes);
}
