//! `--exec CMD`: runs a command per event (pyinotify's `-c`) with the
//! event in its environment. The command line is split into words
//! (whitespace, with '…' and "…" quoting and \ escapes) and run without a
//! shell, unless `--exec-shell` asks for `/bin/sh -c`.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::process::{Command, ExitStatus, Stdio};

use crate::events::event_names;
use crate::format::EventRecord;

/// A command to run per event.
#[derive(Debug, Clone)]
pub struct Exec {
    argv: Vec<String>,
}

/// Splits a command line into words like a shell would, without any
/// expansion. `None` when a quote is left open.
pub fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

impl Exec {
    /// Prepares `cmd`; with `shell` it is handed to `/bin/sh -c`.
    pub fn new(cmd: &str, shell: bool) -> Result<Self, String> {
        let argv = if shell {
            vec!["/bin/sh".into(), "-c".into(), cmd.into()]
        } else {
            split_words(cmd).ok_or_else(|| format!("--exec: unbalanced quotes in '{cmd}'"))?
        };
        if argv.is_empty() {
            return Err("--exec: empty command".into());
        }
        Ok(Exec { argv })
    }

    /// Runs the command for one event and waits for it, so commands run
    /// one at a time in event order.
    pub fn run(&self, rec: &EventRecord<'_>) -> io::Result<ExitStatus> {
        let bytes = |b: &[u8]| OsString::from_vec(b.to_vec());
        let mut cmd = Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..])
            .stdin(Stdio::null())
            .env("INOTIFY_WATCHED", bytes(rec.watched))
            .env("INOTIFY_FILENAME", bytes(rec.name.unwrap_or_default()))
            .env("INOTIFY_PATH", bytes(&rec.full_path()))
            .env("INOTIFY_EVENTS", event_names(rec.mask, ','))
            .env("INOTIFY_COOKIE", rec.cookie.to_string())
            .env("INOTIFY_DIR", if rec.dir { "1" } else { "0" });
        match rec.src {
            Some(src) => cmd.env("INOTIFY_SRC", bytes(src)),
            None => cmd.env_remove("INOTIFY_SRC"),
        };
        cmd.status()
    }

    /// Runs the command once for a settled batch (`--settle`): `input`
    /// (the batch as JSON lines) on its stdin, `INOTIFY_BATCH` (the batch
    /// number) and `INOTIFY_CHANGES` (how many lines) in its environment.
    pub fn run_batch(&self, seq: u64, changes: usize, input: &[u8]) -> io::Result<ExitStatus> {
        use std::io::Write as _;
        let mut child = Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .stdin(Stdio::piped())
            .env("INOTIFY_BATCH", seq.to_string())
            .env("INOTIFY_CHANGES", changes.to_string())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            // A command that does not read its input closes the pipe:
            // not an error of ours.
            match stdin.write_all(input) {
                Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
                    if let Err(wait) = child.wait() {
                        log::warn!("--exec {}: {wait}", self.program());
                    }
                    return Err(err);
                }
                _ => {}
            }
        }
        child.wait()
    }

    /// The program name, for messages.
    pub fn program(&self) -> &str {
        &self.argv[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words_handles_quotes_and_escapes() {
        assert_eq!(
            split_words(r#"cp -v 'a b' "c \"d\"" e\ f"#).expect("balanced"),
            ["cp", "-v", "a b", "c \"d\"", "e f"]
        );
        assert_eq!(split_words("  ").expect("ok"), Vec::<String>::new());
        assert_eq!(split_words("''").expect("ok"), [""]);
        assert!(split_words("'open").is_none());
    }

    #[test]
    fn exec_rejects_empty_commands() {
        assert!(Exec::new(" ", false).is_err());
        assert_eq!(Exec::new("true", false).expect("ok").program(), "true");
    }
}
