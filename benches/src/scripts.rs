//! Editors' and tools' save patterns as scripts, for comparing settling
//! layers (ours and notify-debouncer-full) on the same file operations:
//! each script has a set-up run before the watch, the operations, and the
//! net changes a user would name (`A` created, `D` removed, `M` modified,
//! `R from -> to` renamed; paths relative to the watched directory).

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

/// One scripted pattern.
#[derive(Debug, Clone, Copy)]
pub struct Script {
    /// A short name for tables.
    pub name: &'static str,
    /// Run before the watch is set up.
    pub setup: fn(&Path) -> io::Result<()>,
    /// The operations being settled.
    pub run: fn(&Path) -> io::Result<()>,
    /// The expected net changes, sorted (computed after `run`: `git
    /// checkout`'s come from `git diff`).
    pub expected: fn(&Path) -> io::Result<Vec<String>>,
    /// A program the script needs (skipped without it).
    pub needs: Option<&'static str>,
}

/// Every script.
pub fn all() -> Vec<Script> {
    vec![
        Script {
            name: "vim :w (writebackup, syscalls)",
            setup: old_file,
            run: vim_calls,
            expected: |_| Ok(lines(&["M f.txt"])),
            needs: None,
        },
        Script {
            name: "vim :w (backup, real vim)",
            setup: old_file,
            run: vim_real,
            expected: |_| Ok(lines(&["A f.txt~", "M f.txt"])),
            needs: Some("vim"),
        },
        Script {
            name: "sed -i",
            setup: old_file,
            run: |d| program(d, "sed", &["-i", "s/old/new/", "f.txt"]),
            expected: |_| Ok(lines(&["M f.txt"])),
            needs: Some("sed"),
        },
        Script {
            name: "atomic write-temp-then-rename",
            setup: old_file,
            run: atomic,
            expected: |_| Ok(lines(&["M f.txt"])),
            needs: None,
        },
        Script {
            name: "emacs (lock, file~ backup)",
            setup: old_file,
            run: emacs,
            expected: |_| Ok(lines(&["A f.txt~", "M f.txt"])),
            needs: None,
        },
        Script {
            name: "interleaved renames",
            setup: |d| {
                fs::write(d.join("a"), b"a")?;
                fs::write(d.join("b"), b"b")
            },
            run: |d| {
                fs::rename(d.join("a"), d.join("a2"))?;
                fs::rename(d.join("b"), d.join("b2"))?;
                fs::rename(d.join("a2"), d.join("a3"))
            },
            expected: |_| Ok(lines(&["R a -> a3", "R b -> b2"])),
            needs: None,
        },
        Script {
            name: "git checkout",
            setup: git_setup,
            run: |d| program(d, "git", &["checkout", "-q", "main"]),
            expected: git_expected,
            needs: Some("git"),
        },
        Script {
            name: "cp -a tree",
            setup: |d| tree(&d.join("../src-tree")),
            run: |d| program(d, "cp", &["-a", "../src-tree", "tree"]),
            expected: |_| Ok(tree_paths("A")),
            needs: Some("cp"),
        },
        Script {
            name: "rm -rf tree",
            setup: |d| tree(&d.join("tree")),
            run: |d| program(d, "rm", &["-rf", "tree"]),
            expected: |_| Ok(tree_paths("D")),
            needs: Some("rm"),
        },
    ]
}

/// Whether `program` runs here.
pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

fn lines(items: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    out.sort();
    out
}

fn old_file(d: &Path) -> io::Result<()> {
    fs::write(d.join("f.txt"), b"old\n")
}

/// Runs `program args` in `dir`; a failure is an error.
fn program(dir: &Path, program: &str, args: &[&str]) -> io::Result<()> {
    let mut cmd = Command::new(program);
    if program == "git" {
        cmd.args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ]);
    }
    let out = cmd.args(args).current_dir(dir).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// vim 9's `:w` with 'writebackup', as strace shows it.
fn vim_calls(d: &Path) -> io::Result<()> {
    fs::write(d.join(".f.txt.swp"), b"b0VIM 9.0")?;
    fs::File::create(d.join("4913"))?;
    fs::remove_file(d.join("4913"))?;
    fs::rename(d.join("f.txt"), d.join("f.txt~"))?;
    let mut f = fs::File::create(d.join("f.txt"))?;
    f.write_all(b"new\n")?;
    f.sync_all()?;
    drop(f);
    fs::set_permissions(d.join("f.txt"), fs::Permissions::from_mode(0o644))?;
    fs::remove_file(d.join("f.txt~"))?;
    fs::remove_file(d.join(".f.txt.swp"))
}

fn vim_real(d: &Path) -> io::Result<()> {
    program(
        d,
        "vim",
        &[
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-N",
            "-es",
            "-c",
            "set backup writebackup backupskip=",
            "-c",
            "normal! Anew",
            "-c",
            "wq",
            "f.txt",
        ],
    )
}

fn atomic(d: &Path) -> io::Result<()> {
    let tmp = d.join(".f.txt.tmp.42");
    fs::write(&tmp, b"new\n")?;
    fs::rename(&tmp, d.join("f.txt"))
}

fn emacs(d: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink("user@host.1234:1", d.join(".#f.txt"))?;
    fs::rename(d.join("f.txt"), d.join("f.txt~"))?;
    fs::write(d.join("f.txt"), b"new\n")?;
    fs::remove_file(d.join(".#f.txt"))
}

/// Two commits (files changed, added, removed), checked out at the first.
fn git_setup(d: &Path) -> io::Result<()> {
    program(d, "git", &["init", "-q", "-b", "main"])?;
    tree(d)?;
    fs::write(d.join("gone"), b"soon removed")?;
    program(d, "git", &["add", "-A"])?;
    program(d, "git", &["commit", "-q", "-m", "one"])?;
    fs::write(d.join("a"), b"changed")?;
    fs::write(d.join("sub/deeper/c"), b"changed too")?;
    fs::remove_file(d.join("gone"))?;
    fs::create_dir(d.join("fresh"))?;
    fs::write(d.join("fresh/new"), b"new")?;
    program(d, "git", &["add", "-A"])?;
    program(d, "git", &["commit", "-q", "-m", "two"])?;
    program(d, "git", &["checkout", "-q", "HEAD~1"])
}

/// `git diff --name-status` between the commits, plus the new directory.
fn git_expected(d: &Path) -> io::Result<Vec<String>> {
    let out = Command::new("git")
        .args(["diff", "--no-renames", "--name-status", "HEAD~1", "HEAD"])
        .current_dir(d)
        .output()?;
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| line.replacen('\t', " ", 1))
        .collect();
    lines.push("A fresh".into());
    lines.sort();
    Ok(lines)
}

/// Two directories, four files.
fn tree(root: &Path) -> io::Result<()> {
    fs::create_dir_all(root.join("sub/deeper"))?;
    fs::write(root.join("a"), b"a")?;
    fs::write(root.join("sub/b"), b"b")?;
    fs::write(root.join("sub/deeper/c"), b"c")?;
    fs::write(root.join("sub/deeper/d"), b"d")
}

fn tree_paths(letter: &str) -> Vec<String> {
    let paths = [
        "tree",
        "tree/a",
        "tree/sub",
        "tree/sub/b",
        "tree/sub/deeper",
        "tree/sub/deeper/c",
        "tree/sub/deeper/d",
    ];
    let mut out: Vec<String> = paths.iter().map(|p| format!("{letter} {p}")).collect();
    out.sort();
    out
}
