//! `cargo xtask dist` and `cargo xtask install`: man pages (`clap_mangen`)
//! and shell completions (`clap_complete`) rendered from the documented clap
//! `Command`s of `inotify_cli::manual`, the same options the programs parse
//! and describe in `--help`; `install` adds the release binaries.
//!
//! Layout of `target/dist/`: `man/man1/NAME.1`, `completions/bash/NAME`,
//! `completions/zsh/_NAME`, `completions/fish/NAME.fish`. Under a prefix:
//! `bin/`, `share/man/man1/`, `share/bash-completion/completions/`,
//! `share/zsh/site-functions/`, `share/fish/vendor_completions.d/`, the
//! places man-db, bash-completion, zsh and fish look in.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::Command;
use clap_complete::Shell;
use inotify_cli::manual::{self, Section};

/// One program that gets a man page and completions.
pub struct Program {
    /// The binary's name.
    pub name: &'static str,
    /// Its documented command line.
    pub command: fn() -> Command,
    /// Its man page's sections after OPTIONS.
    pub sections: fn() -> Vec<Section>,
}

/// The programs of `inotify-cli`, in the order they are installed.
pub const PROGRAMS: [Program; 4] = [
    Program {
        name: "inotifywait",
        command: manual::wait_command,
        sections: manual::wait_sections,
    },
    Program {
        name: "inotifywatch",
        command: manual::watch_command,
        sections: manual::watch_sections,
    },
    Program {
        name: "fsnotifywait",
        command: manual::fs_wait_command,
        sections: manual::fs_wait_sections,
    },
    Program {
        name: "fsnotifywatch",
        command: manual::fs_watch_command,
        sections: manual::fs_watch_sections,
    },
];

/// The shells completions are generated for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// `program`'s man page, in roff: `clap_mangen`'s title, NAME, SYNOPSIS,
/// DESCRIPTION and OPTIONS, then the program's own sections.
pub fn man_page(program: &Program) -> io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new((program.command)())
        .title(program.name.to_uppercase())
        .manual("inotify toolkit");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    // No hyphenation: option names and event names must stay whole to be
    // found by a search in the pager.
    out.extend_from_slice(b".nh\n");
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    for section in (program.sections)() {
        out.extend_from_slice(section.render().as_bytes());
    }
    Ok(out)
}

/// `program`'s completion script for `shell`: its visible options only
/// (`clap_complete` offers hidden ones too, such as the internal
/// `--daemon-child`, so they are left out of the `Command` it sees).
pub fn completion(program: &Program, shell: Shell) -> Vec<u8> {
    let full = (program.command)();
    let visible = full.get_arguments().filter(|a| !a.is_hide_set()).cloned();
    let mut cmd = Command::new(full.get_name().to_owned())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(visible.collect::<Vec<_>>());
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, program.name, &mut out);
    out
}

/// Where `shell` looks for `name`'s completion, relative to its directory
/// (the file name each shell expects).
fn completion_file(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{name}"),
        Shell::Fish => format!("{name}.fish"),
        _ => name.to_owned(),
    }
}

/// The directory names of `target/dist/completions/` per shell.
fn shell_dir(shell: Shell) -> &'static str {
    match shell {
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        _ => "bash",
    }
}

/// Where a prefix keeps `shell`'s completions.
fn installed_completion_dir(shell: Shell) -> &'static str {
    match shell {
        Shell::Zsh => "share/zsh/site-functions",
        Shell::Fish => "share/fish/vendor_completions.d",
        _ => "share/bash-completion/completions",
    }
}

/// The cargo target directory: `CARGO_TARGET_DIR`, else `root/target`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Writes `bytes` to `path` (creating its directory) through a temporary
/// file and a rename, so a binary that is running is replaced, not
/// rewritten in place (which fails with ETXTBSY).
fn put(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no directory", path.display()))?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.xtask-tmp"));
    fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot chmod {}: {e}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| format!("cannot rename onto {}: {e}", path.display()))?;
    eprintln!("  {}", path.display());
    Ok(())
}

/// Writes every man page to `man1/` and every completion script to
/// `completion_dir(shell)/`.
fn write_docs(man1: &Path, completion_dir: impl Fn(Shell) -> PathBuf) -> Result<(), String> {
    for program in &PROGRAMS {
        let page = man_page(program).map_err(|e| format!("{}: man page: {e}", program.name))?;
        put(&man1.join(format!("{}.1", program.name)), &page, 0o644)?;
        for shell in SHELLS {
            let script = completion(program, shell);
            let file = completion_file(shell, program.name);
            put(&completion_dir(shell).join(file), &script, 0o644)?;
        }
    }
    Ok(())
}

/// `cargo xtask dist`: man pages and completions into `target/dist/`.
pub fn run(root: &Path) -> Result<(), String> {
    let dist = target_dir(root).join("dist");
    eprintln!("xtask dist: writing {}", dist.display());
    let completions = dist.join("completions");
    write_docs(&dist.join("man/man1"), |shell| {
        completions.join(shell_dir(shell))
    })
}

/// The `--prefix DIR` (or `--prefix=DIR`) of `args`; `/usr/local` without.
fn prefix(args: &[String]) -> Result<PathBuf, String> {
    let mut prefix = PathBuf::from("/usr/local");
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if let Some(value) = arg.strip_prefix("--prefix=") {
            prefix = PathBuf::from(value);
        } else if arg == "--prefix" {
            let value = args.next().ok_or("--prefix needs a directory")?;
            prefix = PathBuf::from(value);
        } else {
            return Err(format!(
                "unknown argument `{arg}` (usage: install [--prefix DIR])"
            ));
        }
    }
    if prefix.as_os_str().is_empty() {
        return Err("--prefix needs a directory".into());
    }
    Ok(prefix)
}

/// `cargo xtask install [--prefix DIR]`: builds the release binaries and
/// installs them with their man pages and completions under the prefix.
pub fn install(root: &Path, args: &[String]) -> Result<(), String> {
    let prefix = prefix(args)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("xtask install: cargo build --release -p inotify-cli --bins");
    let status = Process::new(&cargo)
        .args(["build", "--release", "-p", "inotify-cli", "--bins"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release failed ({status})"));
    }
    eprintln!("xtask install: into {}", prefix.display());
    let release = target_dir(root).join("release");
    for program in &PROGRAMS {
        let built = release.join(program.name);
        let bytes =
            fs::read(&built).map_err(|e| format!("cannot read {}: {e}", built.display()))?;
        put(&prefix.join("bin").join(program.name), &bytes, 0o755)?;
    }
    write_docs(&prefix.join("share/man/man1"), |shell| {
        prefix.join(installed_completion_dir(shell))
    })
}

#[cfg(test)]
mod tests;
