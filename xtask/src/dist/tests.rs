//! Tests of the generated documentation against `--help`: each man page,
//! rendered by the system's `man -l` (or `groff`), shows every long option
//! that `--help` lists, every event name and the extra sections; each
//! completion script offers every long option; bash really completes.
//! The option lists come from the `--help` texts, never from this file.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use super::*;

/// The `--help` text `program` prints.
fn help(program: &Program) -> String {
    match program.name {
        "inotifywait" => inotify_cli::manual::wait_help(),
        "inotifywatch" => inotify_cli::manual::watch_help(),
        "fsnotifywait" => inotify_cli::manual::fs_wait_help(),
        "fsnotifywatch" => inotify_cli::manual::fs_watch_help(),
        other => panic!("no --help text known for {other}: add it here"),
    }
}

/// Every `--long` option named in a `--help` text, in order, once.
fn long_options(help: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = help;
    while let Some(at) = rest.find("--") {
        let tail = &rest[at + 2..];
        let len = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
            .unwrap_or(tail.len());
        let name = tail[..len].trim_end_matches('-');
        if !name.is_empty() && !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
        rest = &tail[len..];
    }
    found
}

/// The event names of a `--help` text's `Events:` list.
fn event_names(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Events:")
        .skip(1)
        .filter_map(|l| l.strip_prefix('\t'))
        .filter_map(|l| l.split('\t').next())
        .filter(|name| !name.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `text` has `word` not glued to more of a name (`--exec` is not
/// found in `--exec-shell`).
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let next = text[at + word.len()..].chars().next();
        !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("xtask-dist-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn runs(program: &str, arg: &str) -> bool {
    Process::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `page` as a reader sees it: `man -l` where man-db is installed, else
/// `groff -man`, as plain text (no overstrike, typographic hyphens turned
/// back into `-`). `None` when neither is installed.
fn render(page: &Path) -> Option<String> {
    let output = if runs("man", "--version") {
        Process::new("man")
            .arg("-l")
            .arg(page)
            .env("MANWIDTH", "100")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env_remove("MAN_KEEP_FORMATTING")
            .output()
    } else if runs("groff", "--version") {
        Process::new("groff")
            .args(["-man", "-Tutf8", "-P-cbou", "-rLL=100n"])
            .arg(page)
            .output()
    } else {
        return None;
    }
    .expect("run the man page renderer");
    assert!(
        output.status.success(),
        "rendering {} failed: {}",
        page.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("rendered page is UTF-8");
    let mut plain = String::new();
    for c in text.chars() {
        match c {
            '\u{8}' => {
                plain.pop();
            }
            '\u{2010}' | '\u{2011}' | '\u{2212}' => plain.push('-'),
            _ => plain.push(c),
        }
    }
    Some(plain)
}

#[test]
fn man_pages_show_every_long_option_of_help() {
    let dir = TempDir::new("man");
    for program in &PROGRAMS {
        let page = dir.0.join(format!("{}.1", program.name));
        fs::write(&page, man_page(program).expect("render")).expect("write page");
        let Some(text) = render(&page) else {
            eprintln!(
                "skipped: neither man (man-db) nor groff is installed (apt-get install man-db groff-base)"
            );
            return;
        };
        let help = help(program);
        let options = long_options(&help);
        assert!(options.len() >= 10, "{}: {options:?}", program.name);
        // The OPTIONS section: from its heading to the next one (headings
        // are the lines that start without indentation).
        let listed: String = text
            .lines()
            .skip_while(|l| *l != "OPTIONS")
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .collect::<Vec<_>>()
            .join("\n");
        for option in &options {
            assert!(
                has_word(&listed, &format!("--{option}")),
                "OPTIONS of {}(1) does not show --{option}:\n{text}",
                program.name
            );
        }
        for event in event_names(&help) {
            assert!(
                has_word(&text, &event),
                "{}(1) lacks event {event}",
                program.name
            );
        }
        for heading in [
            "SYNOPSIS",
            "OPTIONS",
            "OUTPUT",
            "EVENTS",
            "EXIT STATUS",
            "VERSION",
        ] {
            assert!(
                text.contains(heading),
                "{}(1) lacks {heading}",
                program.name
            );
        }
        assert!(
            text.contains("DIFFERENCES FROM INOTIFY-TOOLS"),
            "{}",
            program.name
        );
        assert!(text.contains("inotify-tools 3.22"), "{}", program.name);
    }
}

#[test]
fn inotifywait_man_page_documents_formats_and_exit_status() {
    let dir = TempDir::new("wait-man");
    let page = dir.0.join("inotifywait.1");
    fs::write(&page, man_page(&PROGRAMS[0]).expect("render")).expect("write page");
    let Some(text) = render(&page) else {
        eprintln!(
            "skipped: neither man (man-db) nor groff is installed (apt-get install man-db groff-base)"
        );
        return;
    };
    for directive in ["%w", "%f", "%e", "%c", "%T", "%0", "%n", "%%"] {
        assert!(text.contains(directive), "inotifywait(1) lacks {directive}");
    }
    for key in ["\"watched\"", "synthetic", "src", "INOTIFY_SRC"] {
        assert!(text.contains(key), "inotifywait(1) lacks {key}");
    }
    let exit = text
        .split("EXIT STATUS")
        .nth(1)
        .expect("EXIT STATUS section");
    for status in ["0", "1", "2"] {
        assert!(
            exit.lines()
                .take(12)
                .any(|l| l.split_whitespace().next() == Some(status)),
            "exit status {status}:\n{exit}"
        );
    }
    // Justified text may stretch the space between words.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("--rescan") && words.contains("Paired renames"),
        "{text}"
    );
}

#[test]
fn completions_offer_every_long_option_of_help() {
    for program in &PROGRAMS {
        let options = long_options(&help(program));
        let hidden: Vec<String> = (program.command)()
            .get_arguments()
            .filter(|a| a.is_hide_set())
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        assert!(!hidden.is_empty() || program.name.ends_with("watch"));
        for shell in SHELLS {
            let script = String::from_utf8(completion(program, shell)).expect("UTF-8");
            for option in &hidden {
                let spelled = match shell {
                    Shell::Fish => option.replacen("--", "-l ", 1),
                    _ => option.clone(),
                };
                assert!(
                    !has_word(&script, &spelled),
                    "{shell} offers hidden {option}"
                );
            }
            for option in &options {
                let spelled = match shell {
                    Shell::Fish => format!("-l {option}"),
                    _ => format!("--{option}"),
                };
                assert!(
                    has_word(&script, &spelled),
                    "{shell} completion of {} lacks --{option}",
                    program.name
                );
            }
        }
    }
}

#[test]
fn bash_completes_options_and_event_names() {
    if !runs("bash", "--version") {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let dir = TempDir::new("bash");
    let script = dir.0.join("inotifywait");
    fs::write(&script, completion(&PROGRAMS[0], Shell::Bash)).expect("write");
    let complete = |words: &str| {
        let program = format!(
            "source '{}' && complete -p inotifywait && \
             COMP_WORDS=({words}) && COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) && \
             COMP_LINE=\"${{COMP_WORDS[*]}}\" && COMP_POINT=${{#COMP_LINE}} && \
             _inotifywait inotifywait \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\" && \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = Process::new("bash")
            .args(["--norc", "--noprofile", "-c", &program])
            .output()
            .expect("run bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let options = complete("inotifywait --exc");
    assert!(options.starts_with("complete "), "{options}");
    assert!(
        has_word(&options, "--exclude") && has_word(&options, "--excludei"),
        "{options}"
    );
    let events = complete("inotifywait -e close_");
    assert!(
        has_word(&events, "close_write") && has_word(&events, "close_nowrite"),
        "{events}"
    );
}

#[test]
fn install_prefix_is_parsed_like_a_configure_script() {
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(prefix(&[]), Ok(PathBuf::from("/usr/local")));
    assert_eq!(
        prefix(&args(&["--prefix", "/opt/x"])),
        Ok(PathBuf::from("/opt/x"))
    );
    assert_eq!(
        prefix(&args(&["--prefix=/tmp/p"])),
        Ok(PathBuf::from("/tmp/p"))
    );
    assert!(prefix(&args(&["--prefix"])).is_err());
    assert!(prefix(&args(&["--bogus"])).is_err());
}
