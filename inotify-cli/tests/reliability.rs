//! Reliability of the real `inotifywait` binary (issue 7): a closed stdout
//! (EPIPE, with SIGPIPE default or ignored) ends it promptly with an error
//! instead of spinning; 5,000 paths on the command line and in
//! `--fromfile` are all watched; hostile file names (spaces, newlines,
//! invalid UTF-8, `NAME_MAX` bytes) come out of the default, `--format`,
//! `--csv` and `--json` outputs byte-exactly or losslessly escaped; a
//! `--fromfile` that cannot be read is a one-line error with exit code 1.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "inotify-cli-reliability-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(err) = fs::remove_dir_all(&self.0) {
            eprintln!("warning: cannot remove {}: {err}", self.0.display());
        }
    }
}

fn inotifywait() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_inotifywait"))
}

/// Collects a child's stderr on a thread.
fn collect_stderr(stderr: ChildStderr) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    text
}

/// Polls `cond` until it holds or [`DEADLINE`] passes.
fn poll_until(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Waits for the child to exit within `limit`, touching `poke` (a file in
/// the watched tree) meanwhile so that it has events to write.
fn exits_within(child: &mut Child, limit: Duration, poke: &Path) -> Option<i32> {
    let end = Instant::now() + limit;
    let mut n = 0;
    while Instant::now() < end {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        fs::write(poke.join(format!("poke{n}")), b"").unwrap();
        n += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// Checks the prompt, error exit of a child whose stdout is gone.
fn assert_epipe_exit(mut child: Child, stderr: &Arc<Mutex<String>>, dir: &Path, how: &str) {
    let code = exits_within(&mut child, Duration::from_secs(3), dir);
    if code.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert_eq!(
        code,
        Some(1),
        "{how}: no prompt exit; stderr: {}",
        stderr.lock().unwrap()
    );
    let text = stderr.lock().unwrap().clone();
    let after = text.split("Watches established.\n").nth(1).unwrap_or("");
    assert!(
        after.to_lowercase().contains("pipe"),
        "{how}: the error is not reported: {text:?}"
    );
}

/// `inotifywait -m -r DIR | head -1`: after the reader leaves, the next
/// event's write fails and the program exits 1 with a message.
#[test]
fn closed_stdout_after_one_line_exits_promptly_with_an_error() {
    for (how, shell) in [
        ("SIGPIPE default", "exec \"$0\" \"$@\""),
        ("SIGPIPE ignored", "trap '' PIPE; exec \"$0\" \"$@\""),
    ] {
        let dir = TempDir::new("epipe");
        let mut child = Command::new("sh")
            .args(["-c", shell])
            .arg(inotifywait())
            .args(["-m", "-r"])
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = collect_stderr(child.stderr.take().unwrap());
        assert!(poll_until(|| stderr
            .lock()
            .unwrap()
            .contains("Watches established.")));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        fs::write(dir.0.join("first"), b"").unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(line.contains("first"), "{line:?}");
        drop(stdout); // `head -1` exits
        assert_epipe_exit(child, &stderr, &dir.0, how);
    }
}

#[test]
fn stdout_closed_before_the_first_event_exits_promptly_with_an_error() {
    let dir = TempDir::new("epipe-early");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(inotifywait())
        .arg("-m")
        .arg(&dir.0)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = collect_stderr(child.stderr.take().unwrap());
    assert!(poll_until(|| stderr
        .lock()
        .unwrap()
        .contains("Watches established.")));
    assert_epipe_exit(child, &stderr, &dir.0, "closed from the start");
}

/// Inotify watches of a process: the largest count of `inotify wd:` lines
/// of one of its descriptors (dup'd descriptors repeat their instance's).
fn watches_of(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fdinfo")).map_or(0, |fds| {
        fds.flatten()
            .filter_map(|fd| fs::read_to_string(fd.path()).ok())
            .map(|t| t.lines().filter(|l| l.starts_with("inotify wd:")).count())
            .max()
            .unwrap_or(0)
    })
}

/// Runs `inotifywait -e modify` over `args`, waits until all `count`
/// watches exist, modifies `target` and expects it reported.
fn many_paths(args: &[OsString], count: usize, target: &Path, stdin: Option<&[u8]>) {
    let mut child = Command::new(inotifywait())
        .args(["-e", "modify"])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(bytes).unwrap();
    }
    let stderr = collect_stderr(child.stderr.take().unwrap());
    let established = poll_until(|| stderr.lock().unwrap().contains("Watches established."));
    if !established {
        let _ = child.kill();
    }
    assert!(established, "{}", stderr.lock().unwrap());
    assert_eq!(watches_of(child.id()), count);
    fs::write(target, b"changed").unwrap();
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", stderr.lock().unwrap());
    let want = [target.as_os_str().as_bytes(), b" MODIFY \n"].concat();
    assert_eq!(out, want);
}

#[test]
fn five_thousand_paths_on_the_command_line_and_in_fromfile() {
    const N: usize = 5000;
    let dir = TempDir::new("many");
    let paths: Vec<PathBuf> = (0..N).map(|n| dir.0.join(format!("f{n:04}"))).collect();
    for path in &paths {
        fs::write(path, b"").unwrap();
    }
    let operands: Vec<OsString> = paths.iter().map(|p| p.as_os_str().to_owned()).collect();
    many_paths(&operands, N, &paths[N - 1], None);

    let mut list = Vec::new();
    for path in &paths {
        list.extend_from_slice(path.as_os_str().as_bytes());
        list.push(b'\n');
    }
    let listfile = dir.0.join("list");
    fs::write(&listfile, &list).unwrap();
    let args = [OsString::from("--fromfile"), listfile.into_os_string()];
    many_paths(&args, N, &paths[N / 2], None);
    let args = [OsString::from("--fromfile"), OsString::from("-")];
    many_paths(&args, N, &paths[1], Some(&list));
}

#[test]
fn unreadable_fromfile_is_a_one_line_error_exit_one() {
    let dir = TempDir::new("fromfile-dir");
    // A directory cannot be read as a list (root reads any plain file).
    let out = Command::new(inotifywait())
        .arg("--fromfile")
        .arg(&dir.0)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(text.lines().count(), 1, "{text:?}");
    assert!(text.contains(&*dir.0.to_string_lossy()), "{text:?}");
    assert!(out.stdout.is_empty());
}

/// The names every output must carry.
fn hostile_names() -> Vec<OsString> {
    vec![
        OsString::from("with space"),
        OsString::from("new\nline"),
        OsString::from(" lead and trail "),
        OsString::from_vec(b"bad-\xff\xfe-utf8".to_vec()),
        OsString::from_vec(b"tab\tand\x01control".to_vec()),
        OsString::from("comma,quote\"back\\slash"),
        OsString::from("x".repeat(255)),
    ]
}

/// Runs `inotifywait -m -e create <extra> DIR/`, creates every hostile
/// name, and returns stdout once `complete` says it holds them all.
fn monitor_names(extra: &[&str], complete: impl Fn(&[u8]) -> bool) -> (PathBuf, Vec<u8>) {
    let dir = TempDir::new("names");
    let watched = PathBuf::from(format!("{}/", dir.0.display()));
    let mut child = Command::new(inotifywait())
        .args(["-m", "-e", "create"])
        .args(extra)
        .arg(&watched)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = collect_stderr(child.stderr.take().unwrap());
    assert!(poll_until(|| stderr
        .lock()
        .unwrap()
        .contains("Watches established.")));
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    let mut stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    for name in hostile_names() {
        fs::write(dir.0.join(name), b"").unwrap();
    }
    let done = poll_until(|| complete(&out.lock().unwrap()));
    let _ = child.kill();
    let _ = child.wait();
    let bytes = out.lock().unwrap().clone();
    assert!(done, "{extra:?}: {}", String::from_utf8_lossy(&bytes));
    (watched, bytes)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn hostile_names_in_default_and_format_output_are_byte_exact() {
    let line = |watched: &Path, name: &OsStr| {
        [
            watched.as_os_str().as_bytes(),
            b" CREATE ",
            name.as_bytes(),
            b"\n",
        ]
        .concat()
    };
    let names = hostile_names();
    let check = |out: &[u8]| {
        // The watched path is only known inside; match on the suffix.
        names
            .iter()
            .all(|n| contains(out, &[b" CREATE ", n.as_bytes(), b"\n"].concat()))
    };
    let (watched, out) = monitor_names(&[], check);
    for name in &names {
        assert!(contains(&out, &line(&watched, name)), "{name:?}");
    }

    // %0 separates records with NUL (--no-newline drops the line end):
    // split and compare exactly.
    let names = hostile_names();
    let (watched, out) = monitor_names(&["--no-newline", "--format", "%w%f%0"], |out| {
        out.split(|&b| b == 0).count() > names.len()
    });
    let records: Vec<&[u8]> = out.split(|&b| b == 0).filter(|r| !r.is_empty()).collect();
    let want: Vec<Vec<u8>> = names
        .iter()
        .map(|n| [watched.as_os_str().as_bytes(), n.as_bytes()].concat())
        .collect();
    assert_eq!(records, want.iter().map(Vec::as_slice).collect::<Vec<_>>());
}

/// Splits inotifywait CSV into records of fields, honouring quotes
/// (doubled quotes inside, newlines allowed inside quotes).
fn parse_csv(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match (quoted, b) {
            (true, b'"') if bytes.get(i + 1) == Some(&b'"') => {
                field.push(b'"');
                i += 1;
            }
            (true, b'"') => quoted = false,
            (false, b'"') => quoted = true,
            (false, b',') => fields.push(std::mem::take(&mut field)),
            (false, b'\n') => {
                fields.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut fields));
            }
            (_, _) => field.push(b),
        }
        i += 1;
    }
    records
}

#[test]
fn hostile_names_in_csv_round_trip() {
    let names = hostile_names();
    let (watched, out) = monitor_names(&["--csv"], |out| parse_csv(out).len() >= names.len());
    let records = parse_csv(&out);
    let got: Vec<Vec<u8>> = records.iter().map(|r| r[2].clone()).collect();
    let want: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
    assert_eq!(got, want, "{}", String::from_utf8_lossy(&out));
    for record in &records {
        assert_eq!(record.len(), 3);
        assert_eq!(record[0], watched.as_os_str().as_bytes());
        assert_eq!(record[1], b"CREATE");
    }
}

/// Decodes the JSON string starting at `s[0] == '"'`: standard escapes,
/// and `\udcXX` as the raw byte XX (the documented lossless convention).
fn json_bytes(s: &[u8]) -> Vec<u8> {
    assert_eq!(s[0], b'"');
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        match s[i] {
            b'"' => return out,
            b'\\' => {
                i += 1;
                match s[i] {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let hex = std::str::from_utf8(&s[i + 1..i + 5]).unwrap();
                        let unit = u32::from_str_radix(hex, 16).unwrap();
                        if (0xdc80..=0xdcff).contains(&unit) {
                            out.push(u8::try_from(unit - 0xdc00).unwrap());
                        } else {
                            let c = char::from_u32(unit).unwrap();
                            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        i += 4;
                    }
                    other => out.push(other),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
}

/// The decoded value of `"key":"..."` in one JSON line.
fn json_field(line: &[u8], key: &str) -> Vec<u8> {
    let tag = format!("\"{key}\":");
    let at = line
        .windows(tag.len())
        .position(|w| w == tag.as_bytes())
        .unwrap_or_else(|| panic!("no {key} in {}", String::from_utf8_lossy(line)));
    json_bytes(&line[at + tag.len()..])
}

#[test]
fn hostile_names_in_json_round_trip_losslessly() {
    let names = hostile_names();
    let (watched, out) = monitor_names(&["--json"], |out| {
        out.split(|&b| b == b'\n').count() > names.len()
    });
    let lines: Vec<&[u8]> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines.len(),
        names.len(),
        "one line per event: {}",
        String::from_utf8_lossy(&out)
    );
    for (line, name) in lines.iter().zip(&names) {
        assert!(
            line.is_ascii() || std::str::from_utf8(line).is_ok(),
            "valid UTF-8 JSON"
        );
        assert_eq!(json_field(line, "name"), name.as_bytes());
        let path = [watched.as_os_str().as_bytes(), name.as_bytes()].concat();
        assert_eq!(json_field(line, "path"), path);
    }
}
