//! `cargo xtask tidy`: the source conventions of STYLE.md that a compiler
//! does not check, enforced over every `.rs` file of the workspace (and by
//! `cargo test`, through the test at the bottom).
//!
//! Rules: every file opens with a `//!` comment; `unsafe` appears only in
//! `inotify-sys` and `inotify-core/src/sys.rs`, and each unsafe block there
//! has a `// SAFETY:` comment above it; no `dbg!` anywhere and no `println!`
//! or `print!` in library sources; no file over 700 lines; no `todo!` or
//! `unimplemented!`. Comments and string literals are blanked before the
//! code rules run, so prose and doc examples never trip them.

use std::fs;
use std::path::{Path, PathBuf};

/// Longest file allowed, in lines.
const MAX_LINES: usize = 700;

/// Files (relative, `/`-separated) where `unsafe` may appear: the FFI
/// crate, core's audited syscall module, and the one test that registers a
/// raw signal handler (its subject is what such a handler may call).
fn unsafe_allowed(rel: &str) -> bool {
    rel.starts_with("inotify-sys/")
        || rel == "inotify-core/src/sys.rs"
        || rel == "inotify-notify/tests/signal_safety.rs"
}

/// Library source: printing to stdout is the caller's business there.
fn is_library_source(rel: &str) -> bool {
    let library_crates = [
        "inotify-sys/",
        "inotify-core/",
        "inotify-notify/",
        "inotify-cli/",
    ];
    let Some(krate) = library_crates.iter().find(|c| rel.starts_with(**c)) else {
        return false;
    };
    let inside = &rel[krate.len()..];
    inside.starts_with("src/") && !inside.starts_with("src/bin/") && inside != "src/main.rs"
}

/// Every `.rs` file under `root`, skipping build output and hidden dirs.
fn rust_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot stat {}: {e}", entry.path().display()))?;
            if kind.is_dir() {
                if !(name.starts_with('.') || name == "target" || name.starts_with("target-")) {
                    stack.push(entry.path());
                }
            } else if kind.is_file() && name.ends_with(".rs") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `text` with comments, strings and character literals replaced by
/// spaces (newlines kept, so line numbers stay right).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"..", r#".."#, br#".."#: skip to the quote and matching hashes.
            let open = chars[i..].iter().position(|&c| c == '"').unwrap_or(0);
            for _ in 0..=open {
                out.push(' ');
            }
            i += open + 1;
            while i < chars.len() {
                if chars[i] == '"'
                    && chars[i + 1..].iter().take(hashes).all(|&h| h == '#')
                    && chars.len() > i + hashes
                {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// If a raw string starts at `i` (`r"`, `r#"`, `br"`, ...), its `#` count.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let prev_ident = i > 0 && is_ident(chars[i - 1]);
    if prev_ident {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') || chars.get(j) == Some(&'c') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some(hashes)
}

/// Whether the `'` at `i` opens a character literal (not a lifetime).
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Byte offsets where `word` occurs as a whole identifier in `code`.
fn word_positions(code: &str, word: &str) -> Vec<usize> {
    code.match_indices(word)
        .filter(|(at, _)| {
            let before = code[..*at].chars().next_back();
            let after = code[at + word.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
        .map(|(at, _)| at)
        .collect()
}

/// Whether the code at `at` is a macro call (`name!`).
fn is_macro_call(code: &str, at: usize, word: &str) -> bool {
    code[at + word.len()..].trim_start().starts_with('!')
}

/// 1-based line of byte offset `at`.
fn line_of(code: &str, at: usize) -> usize {
    code[..at].matches('\n').count() + 1
}

/// Whether line `line` (1-based) of `text` has a `// SAFETY:` comment in
/// the comment block above its statement.
fn has_safety_comment(lines: &[&str], line: usize) -> bool {
    let mut comments = Vec::new();
    // The line itself may start the statement or continue one; walk up over
    // continuation lines and attributes to the comment block.
    let mut index = line.saturating_sub(1);
    while index > 0 {
        index -= 1;
        let text = lines[index].trim();
        if text.starts_with("//") {
            comments.push(text);
            continue;
        }
        if !comments.is_empty() {
            break;
        }
        let statement_end = text.ends_with(';') || text.ends_with('{') || text.ends_with('}');
        if text.is_empty() || statement_end {
            break;
        }
    }
    comments.iter().any(|c| c.contains("SAFETY:"))
}

/// The problems of one file, as `path:line: message`.
fn check_file(rel: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut report =
        |line: usize, message: String| problems.push(format!("{rel}:{line}: {message}"));
    if !text.starts_with("//!") {
        report(
            1,
            "file does not start with a `//!` comment saying its place".into(),
        );
    }
    let line_count = text.lines().count();
    if line_count > MAX_LINES {
        report(
            line_count,
            format!("{line_count} lines, over the budget of {MAX_LINES}: split it"),
        );
    }
    let code = code_only(text);
    let lines: Vec<&str> = text.lines().collect();
    for at in word_positions(&code, "unsafe") {
        let line = line_of(&code, at);
        if !unsafe_allowed(rel) {
            report(
                line,
                "`unsafe` outside inotify-sys and inotify-core/src/sys.rs".into(),
            );
        } else if code[at + "unsafe".len()..].trim_start().starts_with('{')
            && !has_safety_comment(&lines, line)
        {
            report(
                line,
                "unsafe block without a `// SAFETY:` comment above it".into(),
            );
        }
    }
    let mut forbidden = vec!["dbg", "todo", "unimplemented"];
    if is_library_source(rel) {
        forbidden.extend(["println", "print"]);
    }
    for name in forbidden {
        for at in word_positions(&code, name) {
            if is_macro_call(&code, at, name) {
                report(line_of(&code, at), format!("`{name}!` is not allowed here"));
            }
        }
    }
    problems
}

/// Every problem in the workspace at `root`.
pub fn check(root: &Path) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    for path in rust_files(root)? {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        problems.extend(check_file(&rel, &text));
    }
    Ok(problems)
}

/// Runs the check; prints a summary or returns every problem.
pub fn run(root: &Path) -> Result<(), String> {
    let files = rust_files(root)?.len();
    let problems = check(root)?;
    if problems.is_empty() {
        println!("tidy: {files} files clean");
        Ok(())
    } else {
        Err(format!(
            "{} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_is_tidy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let problems = check(root).expect("walk the workspace");
        assert!(
            problems.is_empty(),
            "cargo xtask tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }

    #[test]
    fn comments_strings_and_chars_are_blanked() {
        let code = code_only(
            "let a = \"unsafe\"; // unsafe\n/* dbg!(x) /* nested */ */ let c = '\"'; let l: &'a str = r#\"todo\u{21}()\"#;",
        );
        assert!(!code.contains("unsafe") && !code.contains("dbg") && !code.contains("todo"));
        assert!(code.contains("let l: &'a str"));
        assert_eq!(code.lines().count(), 2);
    }

    #[test]
    fn missing_header_and_stray_unsafe_are_reported() {
        let problems = check_file("inotify-notify/src/x.rs", "fn f() { unsafe { g() } }\n");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("`//!`"));
        assert!(problems[1].contains("outside"));
    }

    #[test]
    fn unsafe_lint_names_are_not_unsafe_code() {
        let text = "//! x\n#![forbid(unsafe_code)]\n#![deny(unsafe_op_in_unsafe_fn)]\n";
        assert!(check_file("inotify-cli/src/lib.rs", text).is_empty());
    }

    #[test]
    fn unsafe_block_needs_safety_comment_in_allowed_file() {
        let bad = "//! x\nfn f() {\n    let x = g(unsafe { h() });\n}\n";
        let problems = check_file("inotify-core/src/sys.rs", bad);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("inotify-core/src/sys.rs:3:"));
        let good = "//! x\nfn f() {\n    // SAFETY:\n    // - known: fine.\n    let x = g(unsafe { h() });\n}\n";
        assert!(check_file("inotify-core/src/sys.rs", good).is_empty());
        let decl = "//! x\nunsafe extern \"C\" {\n    pub fn f();\n}\n";
        assert!(check_file("inotify-sys/src/functions.rs", decl).is_empty());
    }

    #[test]
    fn printing_is_banned_in_libraries_only() {
        let text = "//! x\nfn f() { println!(\"hi\"); }\n";
        assert_eq!(check_file("inotify-core/src/lib.rs", text).len(), 1);
        assert!(check_file("inotify-core/examples/watch.rs", text).is_empty());
        assert!(check_file("inotify-cli/src/bin/inotifywait.rs", text).is_empty());
        assert!(check_file("xtask/src/main.rs", text).is_empty());
    }

    #[test]
    fn dbg_todo_and_long_files_are_reported() {
        let text = "//! x\nfn f() { dbg!(1); todo\u{21}() }\n";
        assert_eq!(check_file("xtask/src/a.rs", text).len(), 2);
        let long = format!("//! x\n{}", "\n".repeat(MAX_LINES));
        assert_eq!(check_file("xtask/src/b.rs", &long).len(), 1);
    }
}
