//! Where the workspace and its build output are, and building one of its
//! binaries in release mode, for the probes that run a workspace program
//! as a child process (`cli_drain`, `setup_probe`).

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
}

/// Cargo, as `cargo run` names it to the program it runs.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

/// Cargo's target directory: `$CARGO_TARGET_DIR`, else `cargo metadata`'s.
///
/// # Errors
/// When `cargo metadata` fails or names no target directory.
pub fn target_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return Ok(if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        });
    }
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "cargo metadata failed ({})",
            out.status
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    json_string_field(&text, "target_directory")
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("cargo metadata: no target_directory"))
}

/// The string value of `"key":"..."` in compact JSON (escapes `\\`, `\"`
/// and `\/` decoded; anything fancier is refused).
fn json_string_field(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let mut value = String::new();
    let mut chars = json[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                c @ ('\\' | '"' | '/') => value.push(c),
                _ => return None,
            },
            c => value.push(c),
        }
    }
    None
}

/// Builds binary `bin` of workspace package `package` in release mode
/// (`cargo build --release -p PACKAGE --bin BIN`); returns its path.
///
/// # Errors
/// When cargo cannot be run or the build fails.
pub fn build_release_bin(package: &str, bin: &str) -> io::Result<PathBuf> {
    eprintln!("cargo build --release -p {package} --bin {bin}");
    let status = cargo()
        .args(["build", "--release", "-q", "-p", package, "--bin", bin])
        .status()?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "building {package} failed ({status})"
        )));
    }
    Ok(target_dir()?.join("release").join(bin))
}

/// How to run this workspace's fanotify CLI: a release build of
/// `fsnotifywait` (fanotify by default; `-S` for a filesystem mark) when
/// the CLI has that binary, else `inotifywait` with `-F` (`-S`). Whether
/// the program takes the flags is for the caller to find out by running
/// it: an older CLI rejects them.
#[derive(Debug, Clone)]
pub struct FanotifyCli {
    /// The binary.
    pub bin: PathBuf,
    /// The flags that select fanotify, before `-m -r`.
    pub flags: Vec<&'static str>,
}

impl FanotifyCli {
    /// Builds the binary (see the type's docs); `filesystem` asks for one
    /// filesystem mark (`-S`) instead of inode marks.
    ///
    /// # Errors
    /// When the build fails.
    pub fn build(filesystem: bool) -> io::Result<Self> {
        let has_fsnotifywait = workspace_root()
            .join("inotify-cli/src/bin/fsnotifywait.rs")
            .is_file();
        let (bin, mode) = if has_fsnotifywait {
            ("fsnotifywait", None)
        } else {
            ("inotifywait", Some("-F"))
        };
        let flags = if filesystem {
            vec!["-S"]
        } else {
            mode.into_iter().collect()
        };
        Ok(FanotifyCli {
            bin: build_release_bin("inotify-cli", bin)?,
            flags,
        })
    }

    /// `bin -F` (or what it is) for messages.
    pub fn display(&self) -> String {
        let name = self.bin.file_name().map_or_else(
            || self.bin.display().to_string(),
            |n| n.display().to_string(),
        );
        std::iter::once(name.as_str())
            .chain(self.flags.iter().copied())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_field_decodes_simple_escapes_only() {
        let json = r#"{"a":1,"target_directory":"/w\/t \"x\"\\y","b":"c"}"#;
        assert_eq!(
            json_string_field(json, "target_directory").as_deref(),
            Some(r#"/w/t "x"\y"#)
        );
        assert_eq!(json_string_field(r#"{"k":"a\nb"}"#, "k"), None);
        assert_eq!(json_string_field(r#"{"k":"open"#, "k"), None);
        assert_eq!(json_string_field("{}", "k"), None);
    }
}
