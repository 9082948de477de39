//! `cargo xtask check-abi`: compiles a C program against `<sys/inotify.h>`
//! and `<sys/fanotify.h>` with the system compiler, runs it, and compares
//! every value it prints with the same constant of `inotify-sys` (read at
//! compile time through the path dependency). Any difference fails with the
//! name and both values. The inotify items are here, the fanotify ones in
//! `fanotify.rs`.

use std::fmt::Write as _;
use std::fs;
use std::mem::{offset_of, size_of, size_of_val};
use std::path::PathBuf;
use std::process::Command;

use inotify_sys as sys;

mod fanotify;

/// One compared value: its C expression and what `inotify-sys` says.
struct Item {
    name: &'static str,
    c_expr: String,
    rust: i128,
}

fn item(name: &'static str, c_expr: impl Into<String>, rust: impl Into<i128>) -> Item {
    Item {
        name,
        c_expr: c_expr.into(),
        rust: rust.into(),
    }
}

/// A `usize` (sizes, offsets) as `i128`; they always fit.
fn wide(n: usize) -> i128 {
    i128::try_from(n).unwrap_or(i128::MAX)
}

/// Every value the ABI check compares: inotify's, then fanotify's.
fn items() -> Vec<Item> {
    let mut all = inotify_items();
    all.extend(fanotify::items());
    all
}

/// Every inotify value the ABI check compares.
fn inotify_items() -> Vec<Item> {
    let header = sys::inotify_event {
        wd: 0,
        mask: 0,
        cookie: 0,
        len: 0,
    };
    vec![
        item("IN_ACCESS", "IN_ACCESS", sys::IN_ACCESS),
        item("IN_MODIFY", "IN_MODIFY", sys::IN_MODIFY),
        item("IN_ATTRIB", "IN_ATTRIB", sys::IN_ATTRIB),
        item("IN_CLOSE_WRITE", "IN_CLOSE_WRITE", sys::IN_CLOSE_WRITE),
        item(
            "IN_CLOSE_NOWRITE",
            "IN_CLOSE_NOWRITE",
            sys::IN_CLOSE_NOWRITE,
        ),
        item("IN_OPEN", "IN_OPEN", sys::IN_OPEN),
        item("IN_MOVED_FROM", "IN_MOVED_FROM", sys::IN_MOVED_FROM),
        item("IN_MOVED_TO", "IN_MOVED_TO", sys::IN_MOVED_TO),
        item("IN_CREATE", "IN_CREATE", sys::IN_CREATE),
        item("IN_DELETE", "IN_DELETE", sys::IN_DELETE),
        item("IN_DELETE_SELF", "IN_DELETE_SELF", sys::IN_DELETE_SELF),
        item("IN_MOVE_SELF", "IN_MOVE_SELF", sys::IN_MOVE_SELF),
        item("IN_UNMOUNT", "IN_UNMOUNT", sys::IN_UNMOUNT),
        item("IN_Q_OVERFLOW", "IN_Q_OVERFLOW", sys::IN_Q_OVERFLOW),
        item("IN_IGNORED", "IN_IGNORED", sys::IN_IGNORED),
        item("IN_CLOSE", "IN_CLOSE", sys::IN_CLOSE),
        item("IN_MOVE", "IN_MOVE", sys::IN_MOVE),
        item("IN_ALL_EVENTS", "IN_ALL_EVENTS", sys::IN_ALL_EVENTS),
        item("IN_ONLYDIR", "IN_ONLYDIR", sys::IN_ONLYDIR),
        item("IN_DONT_FOLLOW", "IN_DONT_FOLLOW", sys::IN_DONT_FOLLOW),
        item("IN_EXCL_UNLINK", "IN_EXCL_UNLINK", sys::IN_EXCL_UNLINK),
        item("IN_MASK_CREATE", "IN_MASK_CREATE", sys::IN_MASK_CREATE),
        item("IN_MASK_ADD", "IN_MASK_ADD", sys::IN_MASK_ADD),
        item("IN_ISDIR", "IN_ISDIR", sys::IN_ISDIR),
        item("IN_ONESHOT", "IN_ONESHOT", sys::IN_ONESHOT),
        item("IN_CLOEXEC", "IN_CLOEXEC", sys::IN_CLOEXEC),
        item("IN_NONBLOCK", "IN_NONBLOCK", sys::IN_NONBLOCK),
        item("FIONREAD", "FIONREAD", sys::FIONREAD),
        item("NAME_MAX", "NAME_MAX", wide(sys::NAME_MAX)),
        item(
            "sizeof(struct inotify_event)",
            "sizeof(struct inotify_event)",
            wide(size_of::<sys::inotify_event>()),
        ),
        item(
            "INOTIFY_EVENT_SIZE",
            "sizeof(struct inotify_event)",
            wide(sys::INOTIFY_EVENT_SIZE),
        ),
        item(
            "offsetof(wd)",
            "offsetof(struct inotify_event, wd)",
            wide(offset_of!(sys::inotify_event, wd)),
        ),
        item(
            "offsetof(mask)",
            "offsetof(struct inotify_event, mask)",
            wide(offset_of!(sys::inotify_event, mask)),
        ),
        item(
            "offsetof(cookie)",
            "offsetof(struct inotify_event, cookie)",
            wide(offset_of!(sys::inotify_event, cookie)),
        ),
        item(
            "offsetof(len)",
            "offsetof(struct inotify_event, len)",
            wide(offset_of!(sys::inotify_event, len)),
        ),
        // The Rust header has no `name` field: the name starts right after
        // the header, which is what the parser assumes.
        item(
            "offsetof(name)",
            "offsetof(struct inotify_event, name)",
            wide(sys::INOTIFY_EVENT_SIZE),
        ),
        item(
            "sizeof(wd)",
            "sizeof(((struct inotify_event *)0)->wd)",
            wide(size_of_val(&header.wd)),
        ),
        item(
            "sizeof(mask)",
            "sizeof(((struct inotify_event *)0)->mask)",
            wide(size_of_val(&header.mask)),
        ),
        item(
            "sizeof(cookie)",
            "sizeof(((struct inotify_event *)0)->cookie)",
            wide(size_of_val(&header.cookie)),
        ),
        item(
            "sizeof(len)",
            "sizeof(((struct inotify_event *)0)->len)",
            wide(size_of_val(&header.len)),
        ),
    ]
}

/// The C program: one `name<TAB>value` line per item. Values go through
/// `long long` so that signed and unsigned constants print exactly.
fn c_source(items: &[Item]) -> String {
    let mut src = String::from(fanotify::INCLUDES);
    src.push_str(
        "#include <limits.h>\n#include <stddef.h>\n#include <stdio.h>\n\
         #include <sys/inotify.h>\n#include <sys/ioctl.h>\n\nint main(void) {\n",
    );
    for item in items {
        let _ = writeln!(
            src,
            "    printf(\"%s\\t%lld\\n\", \"{}\", (long long)({}));",
            item.name, item.c_expr
        );
    }
    src.push_str("    return 0;\n}\n");
    src
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(err) = fs::remove_dir_all(&self.0) {
            eprintln!("warning: cannot remove {}: {err}", self.0.display());
        }
    }
}

/// Compiles and runs the C program; returns its `(name, value)` lines.
fn c_values(items: &[Item]) -> Result<Vec<(String, i128)>, String> {
    let dir = std::env::temp_dir().join(format!("xtask-check-abi-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let scratch = Scratch(dir);
    let source = scratch.0.join("abi.c");
    let binary = scratch.0.join("abi");
    fs::write(&source, c_source(items))
        .map_err(|e| format!("cannot write {}: {e}", source.display()))?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let out = Command::new(&cc)
        .arg("-Wall")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .output()
        .map_err(|e| format!("cannot run the C compiler `{cc}`: {e} (install gcc/libc6-dev)"))?;
    if !out.status.success() {
        return Err(format!(
            "`{cc}` failed on {}:\n{}",
            source.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let out = Command::new(&binary)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if !out.status.success() {
        return Err(format!("{} exited with {}", binary.display(), out.status));
    }
    let text = String::from_utf8(out.stdout).map_err(|e| format!("output not UTF-8: {e}"))?;
    text.lines()
        .map(|line| {
            let (name, value) = line
                .split_once('\t')
                .ok_or_else(|| format!("malformed line {line:?}"))?;
            let value = value
                .parse::<i128>()
                .map_err(|e| format!("bad value in {line:?}: {e}"))?;
            Ok((name.to_owned(), value))
        })
        .collect()
}

/// The differences between the C values and `inotify-sys`, one per line.
fn compare(items: &[Item], c: &[(String, i128)]) -> Vec<String> {
    let mut problems = Vec::new();
    if c.len() != items.len() {
        problems.push(format!(
            "the C program printed {} values for {} items",
            c.len(),
            items.len()
        ));
    }
    for (item, (name, value)) in items.iter().zip(c) {
        if item.name != name {
            problems.push(format!("out of order: expected {}, got {name}", item.name));
        } else if item.rust != *value {
            problems.push(format!(
                "{}: inotify-sys has {} (0x{:x}), the C headers have {} (0x{:x})",
                item.name, item.rust, item.rust, value, value
            ));
        }
    }
    problems
}

/// Checks that the limit files `inotify-sys` names exist on this system.
fn proc_paths() -> Vec<String> {
    [
        sys::PROC_INOTIFY_DIR,
        sys::PROC_MAX_USER_WATCHES,
        sys::PROC_MAX_USER_INSTANCES,
        sys::PROC_MAX_QUEUED_EVENTS,
        sys::PROC_FANOTIFY_DIR,
        sys::PROC_FANOTIFY_MAX_USER_MARKS,
        sys::PROC_FANOTIFY_MAX_USER_GROUPS,
        sys::PROC_FANOTIFY_MAX_QUEUED_EVENTS,
    ]
    .iter()
    .filter(|path| fs::metadata(path).is_err())
    .map(|path| format!("{path}: named by inotify-sys but missing on this system"))
    .collect()
}

/// Runs the check; prints a summary or returns every difference.
pub fn run() -> Result<(), String> {
    let items = items();
    let c = c_values(&items)?;
    let mut problems = compare(&items, &c);
    problems.extend(proc_paths());
    if problems.is_empty() {
        println!(
            "check-abi: {} values of inotify-sys match <sys/inotify.h> and <sys/fanotify.h>",
            items.len()
        );
        Ok(())
    } else {
        Err(format!(
            "{} difference(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_reports_name_and_both_values() {
        let items = [item("IN_X", "IN_X", 1u32), item("IN_Y", "IN_Y", 2u32)];
        let c = [("IN_X".to_owned(), 1), ("IN_Y".to_owned(), 3)];
        let problems = compare(&items, &c);
        assert_eq!(
            problems,
            ["IN_Y: inotify-sys has 2 (0x2), the C headers have 3 (0x3)"]
        );
    }

    #[test]
    fn compare_reports_missing_values() {
        let items = [item("IN_X", "IN_X", 1u32)];
        assert_eq!(compare(&items, &[]).len(), 1);
    }

    #[test]
    fn c_source_prints_every_item() {
        let items = items();
        let src = c_source(&items);
        assert_eq!(src.matches("printf").count(), items.len());
        assert!(src.contains("#include <sys/inotify.h>"));
        assert!(src.contains("#include <sys/fanotify.h>"));
        assert!(src.starts_with("#define _GNU_SOURCE"));
    }
}
