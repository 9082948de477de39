//! Whole-process fanotify drain, for issue 13's "W1 drain on fanotify
//! within 1.5× of a raw C fanotify read loop" and `cargo xtask
//! bench-report`: the CPU time a `fsnotifywait -m -r --format '%w%f %e'
//! -o FILE DIR` process spends writing N queued events to a file, beside
//! the raw fanotify `read(2)` loop ([`FanRawDrain`]) on the same N events in
//! the same rounds, and beside the same loop printing each record's events
//! as lines (`raw-print`, [`FanRawDrain::drain_printing`]): the floor under
//! a program that prints what it reads. `raw-fid` and `raw-fid-print` are
//! the same two loops reading the records our library asks for
//! ([`FAN_DRAIN_FID_FLAGS`]: each record also carries the object's own
//! handle, which costs the kernel a second copy per record and, with a
//! filesystem mark, a second record per file), so the kernel's share of
//! our figure is in their figures too. Ratios are to `raw`.
//!
//! Two groups, each with its own raw loop:
//! - **inode** marks: ours (`fsnotifywait -m -r`, or `inotifywait -F -m -r`
//!   while the CLI has no `fsnotifywait`) and inotify-tools'
//!   `/usr/bin/fsnotifywait -m -r`, on a directory of `/dev/shm`; the raw
//!   loop has one inode mark (`EVENT_ON_CHILD`) on its directory.
//! - **filesystem** marks (root only): the same with `-S`, each contender on
//!   a fresh tmpfs of its own mounted for the run ([`ScratchFs`], unmounted
//!   on every path out), so no other program's events reach its mark; the
//!   raw loop has one filesystem mark on its own tmpfs.
//!
//! Each round is `cli_drain`'s: start the program, wait for "Watches
//! established.", stop it (SIGSTOP), queue N events with [`QueueFiller`],
//! continue it (SIGCONT) and wait until its file ends with the sentinel's
//! line; CPU is the sum of `/proc/PID/task/*/schedstat` over that span.
//! fanotify merges the queued events of one name into one record (a file's
//! create, open, modify, close, chmod and delete arrive as one record with
//! six bits), so the figures are per record: the records the raw loop read
//! in the group's warm-up round, the same queue every contender finds
//! (here one per file; two where the directory's create+delete and the
//! file's own open, modify, attrib and close are kept apart). The end is the first line naming the
//! sentinel, not a line count (a program may print a record as one line
//! or several), and then the moment the program stops using the CPU.
//!
//! A program that does not take the flags (our CLI before its fanotify
//! backend), or takes them but reports nothing within 10 s of a test file
//! being made (inotify-tools 3.22's `-S` on any filesystem but `/`: "Failed
//! to decode directory fid."), is skipped with the reason printed and
//! written to `fan-skipped.txt` — never a figure made up for it.
//!
//! Usage: `fan_drain [--events N] [--rounds R] [--only inode|filesystem]`.
//! As root it raises `/proc/sys/fs/fanotify/max_queued_events` for N
//! (restored on exit or unwind, not when killed by a signal: the old value
//! is printed at start); otherwise N is cut to what the limit holds. Writes
//! `fan-paired.txt`, `fan-fs-paired.txt` (ratios to the raw loop, the
//! drain group's paired format), `fan-records.txt` and `fan-skipped.txt`
//! to the results directory.

#[path = "../cli_drain/child.rs"]
mod child;

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use benches::{
    EVENTS_PER_FILE, FAN_DRAIN_FID_FLAGS, FANOTIFY_MAX_QUEUED_EVENTS, FanRawDrain, FanotifyCli,
    LimitGuard, QueueFiller, SENTINEL_EVENTS, ScratchFs, TempDir, cpu_time, is_root, paired_lines,
    paired_rounds, read_sysctl, schedstat_ns, write_result,
};
use inotify_core::{FanInitFlags, MarkTarget};

use child::{Running, Tail};

/// Events per round unless `--events` says otherwise.
const DEFAULT_EVENTS: usize = 200_000;
/// Measured rounds unless `--rounds` says otherwise (one more is run first,
/// unmeasured, as a warm-up).
const DEFAULT_ROUNDS: usize = 5;
/// inotify-tools' fanotify program.
const PEER: &str = "/usr/bin/fsnotifywait";
/// Longest wait for a drain to reach the sentinel.
const DRAIN_DEADLINE: Duration = Duration::from_mins(3);
/// Longest wait for a test file's line when checking that a program works.
const CHECK_DEADLINE: Duration = Duration::from_secs(10);
/// How often the output file is looked at while a drain runs.
const POLL: Duration = Duration::from_millis(2);

const USAGE: &str = "usage: fan_drain [--events N] [--rounds R] [--only inode|filesystem]";

struct Options {
    events: usize,
    rounds: usize,
    groups: Vec<bool>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

fn parse_args() -> io::Result<Options> {
    let mut options = Options {
        events: DEFAULT_EVENTS,
        rounds: DEFAULT_ROUNDS,
        groups: vec![false, true],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .ok_or_else(|| bad(format!("{what} needs a value\n{USAGE}")))
        };
        let number = |v: String| {
            v.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| bad(format!("not a positive number: {v}")))
        };
        match arg.as_str() {
            "--events" => options.events = number(value("--events")?)?,
            "--rounds" => options.rounds = number(value("--rounds")?)?,
            "--only" => {
                options.groups = match value("--only")?.as_str() {
                    "inode" => vec![false],
                    "filesystem" => vec![true],
                    other => return Err(bad(format!("unknown group {other}\n{USAGE}"))),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(bad(format!("unknown argument {arg}\n{USAGE}"))),
        }
    }
    Ok(options)
}

/// Where a contender's events happen: a directory of `/dev/shm` (inode
/// marks), or a directory on a fresh tmpfs of its own (filesystem marks).
struct Place {
    watched: PathBuf,
    /// Dropped after `watched`'s users (fields drop in order): unmounts.
    _fs: Option<ScratchFs>,
    _tmp: Option<TempDir>,
}

impl Place {
    fn new(name: &str, filesystem: bool) -> io::Result<Self> {
        if filesystem {
            let fs = ScratchFs::mount(&format!("fan-{name}"))?;
            let watched = fs.path().join("watched");
            fs::create_dir(&watched)?;
            Ok(Place {
                watched,
                _fs: Some(fs),
                _tmp: None,
            })
        } else {
            let tmp = TempDir::in_memory(&format!("fan-{name}"))?;
            Ok(Place {
                watched: tmp.path().to_path_buf(),
                _fs: None,
                _tmp: Some(tmp),
            })
        }
    }
}

/// Which raw loop.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RawKind {
    /// `FAN_REPORT_DFID_NAME` records, read and walked.
    Plain,
    /// The same, printing each record's events as lines.
    Print,
    /// The library's records ([`FAN_DRAIN_FID_FLAGS`]: the object's handle
    /// too), read and walked.
    Fid,
    /// Those, printing.
    FidPrint,
}

impl RawKind {
    const ALL: [RawKind; 4] = [
        RawKind::Plain,
        RawKind::Print,
        RawKind::Fid,
        RawKind::FidPrint,
    ];

    fn name(self) -> &'static str {
        match self {
            RawKind::Plain => "raw",
            RawKind::Print => "raw-print",
            RawKind::Fid => "raw-fid",
            RawKind::FidPrint => "raw-fid-print",
        }
    }

    fn prints(self) -> bool {
        matches!(self, RawKind::Print | RawKind::FidPrint)
    }

    fn flags(self) -> FanInitFlags {
        match self {
            RawKind::Plain | RawKind::Print => FanInitFlags::REPORT_DFID_NAME,
            RawKind::Fid | RawKind::FidPrint => FAN_DRAIN_FID_FLAGS,
        }
    }
}

/// The raw loop: one group, one mark, kept for the whole run.
struct Raw {
    kind: RawKind,
    /// Closed before `place` is unmounted.
    drain: FanRawDrain,
    filler: QueueFiller,
    /// Records read by the last round.
    records: usize,
    /// `raw-print`: where its lines go (a file per round, in memory as the
    /// programs' files are); `None` for `raw`, which prints nothing.
    print: Option<TempDir>,
    place: Place,
}

impl Raw {
    fn new(filesystem: bool, kind: RawKind) -> io::Result<Self> {
        let place = Place::new(kind.name(), filesystem)?;
        let target = if filesystem {
            MarkTarget::Filesystem
        } else {
            MarkTarget::Inode
        };
        Ok(Raw {
            kind,
            drain: FanRawDrain::with_flags(&place.watched, target, kind.flags())?,
            filler: QueueFiller::new(&place.watched),
            records: 0,
            print: if kind.prints() {
                Some(TempDir::in_memory("fan-raw-print-out")?)
            } else {
                None
            },
            place,
        })
    }

    fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn round(&mut self, files: usize) -> io::Result<Duration> {
        self.filler.fill(files)?;
        let mut out = match &self.print {
            Some(dir) => Some(fs::File::create(dir.path().join("round.txt"))?),
            None => None,
        };
        let start = cpu_time();
        let walk = match &mut out {
            Some(file) => self.drain.drain_printing(&self.place.watched, file)?,
            None => self.drain.drain()?,
        };
        let spent = cpu_time().saturating_sub(start);
        if walk.overflows > 0 || walk.records <= files {
            return Err(io::Error::other(format!(
                "raw: {} records for {files} files, {} overflows (queue limit?)",
                walk.records, walk.overflows
            )));
        }
        self.records = walk.records;
        Ok(spent)
    }
}

/// One program: a fresh process per round on its own directory, writing
/// to a fresh file outside it.
struct Cli {
    name: &'static str,
    bin: PathBuf,
    flags: Vec<&'static str>,
    outdir: TempDir,
    filler: QueueFiller,
    rounds: u64,
    place: Place,
}

impl Cli {
    fn new(
        name: &'static str,
        bin: PathBuf,
        flags: Vec<&'static str>,
        filesystem: bool,
    ) -> io::Result<Self> {
        let place = Place::new(name, filesystem)?;
        Ok(Cli {
            name,
            bin,
            flags,
            outdir: TempDir::in_memory(&format!("fan-{name}-out"))?,
            filler: QueueFiller::new(&place.watched),
            rounds: 0,
            place,
        })
    }

    fn outfile(&mut self) -> PathBuf {
        self.rounds += 1;
        self.outdir
            .path()
            .join(format!("round-{}.txt", self.rounds))
    }

    fn spawn(&self, outfile: &Path) -> io::Result<Running> {
        Running::spawn(
            self.name,
            &self.bin,
            &self.flags,
            outfile,
            &self.place.watched,
        )
    }

    /// Whether the program takes its flags and reports a file made in its
    /// directory; the error says why not.
    fn check(&mut self) -> io::Result<()> {
        let outfile = self.outfile();
        let mut child = self.spawn(&outfile)?;
        child.wait_established()?;
        let probe = self.place.watched.join("check-probe");
        fs::write(&probe, b"x")?;
        let (mut tail, mut buf) = (Tail::default(), vec![0u8; 1 << 16]);
        let deadline = Instant::now() + CHECK_DEADLINE;
        while !tail.last.windows(11).any(|w| w == b"check-probe") {
            child.check_alive()?;
            if Instant::now() > deadline {
                return Err(child.error("no line for a file made in its directory"));
            }
            thread::sleep(Duration::from_millis(10));
            tail.update(&outfile, &mut buf)?;
        }
        drop(child);
        fs::remove_file(&probe)?;
        fs::remove_file(&outfile)
    }

    fn round(&mut self, files: usize) -> io::Result<Duration> {
        let outfile = self.outfile();
        check_queue_limit(self.name, files + 1)?;
        let mut child = self.spawn(&outfile)?;
        child.wait_established()?;
        child.stop()?;
        self.filler.fill(files)?;
        let sentinel = format!(
            "{}/{} ",
            self.place.watched.display(),
            self.filler.sentinel_name()
        );
        let pid = child.pid();
        let before = schedstat_ns(pid)?;
        child.signal("CONT")?;
        let (mut tail, mut buf) = (Tail::default(), vec![0u8; 1 << 20]);
        let deadline = Instant::now() + DRAIN_DEADLINE;
        loop {
            tail.update(&outfile, &mut buf)?;
            if tail.last.starts_with(sentinel.as_bytes()) {
                break;
            }
            child.check_alive()?;
            if Instant::now() > deadline {
                let msg = format!(
                    "{} lines for {files} files in time, the last {:?}",
                    tail.lines,
                    String::from_utf8_lossy(&tail.last)
                );
                return Err(child.error(&msg));
            }
            thread::sleep(POLL);
        }
        let after = settled_cpu(pid)?;
        tail.update(&outfile, &mut buf)?;
        drop(child);
        if tail.lines <= files {
            return Err(io::Error::other(format!(
                "{}: {} lines for {files} files (queue overflow?)",
                self.name, tail.lines
            )));
        }
        fs::remove_file(&outfile)?;
        Ok(Duration::from_nanos(after.saturating_sub(before)))
    }
}

/// The CPU time of `pid` once it has stopped using the CPU (two readings
/// 5 ms apart agree, or a second has passed): a program may print the
/// sentinel's record as more than one line, or finish a write after it,
/// and that work belongs to the drain. Waiting costs the child nothing.
fn settled_cpu(pid: u32) -> io::Result<u64> {
    let mut last = schedstat_ns(pid)?;
    let until = Instant::now() + Duration::from_secs(1);
    loop {
        thread::sleep(Duration::from_millis(5));
        let now = schedstat_ns(pid)?;
        if now == last || Instant::now() > until {
            return Ok(now);
        }
        last = now;
    }
}

/// An error when fanotify's queue limit is too low for `records` now (a
/// group gets the limit in force when it is made).
fn check_queue_limit(name: &str, records: usize) -> io::Result<()> {
    let limit = read_sysctl(Path::new(FANOTIFY_MAX_QUEUED_EVENTS))?;
    if limit < records as u64 + 64 {
        return Err(io::Error::other(format!(
            "{name}: {FANOTIFY_MAX_QUEUED_EVENTS} is {limit}, too low for {records} records \
             (lowered by another process meanwhile?)"
        )));
    }
    Ok(())
}

enum Contender {
    Raw(Raw),
    Cli(Cli),
}

impl Contender {
    fn name(&self) -> &'static str {
        match self {
            Contender::Raw(raw) => raw.name(),
            Contender::Cli(cli) => cli.name,
        }
    }

    fn round(&mut self, files: usize) -> io::Result<Duration> {
        match self {
            Contender::Raw(raw) => raw.round(files),
            Contender::Cli(cli) => cli.round(files),
        }
    }
}

/// The programs of a group that work here; the others are listed in
/// `skipped` (`group name reason` lines) and said on stderr.
fn programs(filesystem: bool, group: &str, skipped: &mut String) -> io::Result<Vec<Cli>> {
    let ours = FanotifyCli::build(filesystem)?;
    let peer_flags = if filesystem { vec!["-S"] } else { vec![] };
    let mut found = vec![("inotify-cli", ours.bin.clone(), ours.flags.clone())];
    if Path::new(PEER).is_file() {
        found.push(("inotify-tools", PathBuf::from(PEER), peer_flags));
    } else {
        let why = format!("{PEER} not installed (apt-get install inotify-tools)");
        eprintln!("fan_drain: {group}: inotify-tools skipped: {why}");
        let _ = writeln!(skipped, "{group} inotify-tools {why}");
    }
    let mut usable = Vec::new();
    for (name, bin, flags) in found {
        let shown = format!("{} {}", bin.display(), flags.join(" "));
        let mut cli = Cli::new(name, bin, flags, filesystem)?;
        match cli.check() {
            Ok(()) => usable.push(cli),
            Err(err) => {
                let why = format!("`{} -m -r` does not work here: {err}", shown.trim());
                let why = why.replace('\n', " ");
                eprintln!("fan_drain: {group}: {name} skipped: {why}");
                let _ = writeln!(skipped, "{group} {name} {why}");
            }
        }
    }
    Ok(usable)
}

/// Runs one group; returns its paired lines and its records per round.
fn run_group(
    filesystem: bool,
    files: usize,
    rounds: usize,
    skipped: &mut String,
) -> io::Result<(String, usize)> {
    let group = if filesystem { "filesystem" } else { "inode" };
    let mut all = Vec::new();
    for kind in RawKind::ALL {
        match Raw::new(filesystem, kind) {
            Ok(raw) => all.push(Contender::Raw(raw)),
            // The library's flags need Linux 5.17; the plain loop is the
            // baseline and must run.
            Err(err) if kind.flags() == FAN_DRAIN_FID_FLAGS => {
                eprintln!("fan_drain: {group}: {} skipped: {err}", kind.name());
                let _ = writeln!(skipped, "{group} {} {err}", kind.name());
            }
            Err(err) => return Err(err),
        }
    }
    all.extend(
        programs(filesystem, group, skipped)?
            .into_iter()
            .map(Contender::Cli),
    );
    let names: Vec<&str> = all.iter().map(Contender::name).collect();
    eprintln!(
        "fan_drain: {group} marks, {files} files per round, {rounds} rounds + 1 warm-up; contenders: {}",
        names.join(", ")
    );
    for contender in &mut all {
        contender.round(files)?;
    }
    let records = match &all[0] {
        Contender::Raw(raw) => raw.records,
        Contender::Cli(_) => 0,
    };
    let mut failure: Option<io::Error> = None;
    let times = paired_rounds(rounds, all.len(), |i| {
        if failure.is_some() {
            return f64::NAN;
        }
        match all[i].round(files) {
            Ok(spent) => spent.as_secs_f64(),
            Err(err) => {
                failure = Some(err);
                f64::NAN
            }
        }
    });
    if let Some(err) = failure {
        return Err(err);
    }
    let queued = files * EVENTS_PER_FILE + SENTINEL_EVENTS;
    let units = f64::from(u32::try_from(records.max(1)).unwrap_or(u32::MAX));
    let lines = paired_lines(queued, &names, &times, units);
    println!(
        "fan drain, {group} marks, {queued} events in {records} records \
         (size name ratio-to-raw q1 q3 rounds ns/record):\n{lines}"
    );
    Ok((lines, records))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("fan_drain: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> io::Result<()> {
    let options = parse_args()?;
    let files_for = |events: usize| QueueFiller::files_for(events.saturating_sub(SENTINEL_EVENTS));
    let mut files = files_for(options.events);
    // Without merging every event would be a record: room for all of them,
    // as the drain group gives inotify. The limit is read when a group is
    // made, so it is raised before any contender starts.
    let limit = read_sysctl(Path::new(FANOTIFY_MAX_QUEUED_EVENTS))?;
    let needed = (files as u64 * EVENTS_PER_FILE as u64 + 1024).next_power_of_two();
    let guard = if is_root() && limit < needed {
        eprintln!(
            "fan_drain: {FANOTIFY_MAX_QUEUED_EVENTS} {limit} raised to {needed} for the run \
             (write {limit} back by hand if this run is killed)"
        );
        Some(LimitGuard::at_least_at(FANOTIFY_MAX_QUEUED_EVENTS, needed)?)
    } else {
        None
    };
    if guard.is_none() && files as u64 + 128 > limit {
        files = usize::try_from(limit.saturating_sub(128)).unwrap_or(usize::MAX);
        eprintln!(
            "fan_drain: not root and {FANOTIFY_MAX_QUEUED_EVENTS} is {limit}: cut to {files} files"
        );
    }
    let (mut skipped, mut info) = (String::new(), String::new());
    for filesystem in options.groups {
        let (file, group) = if filesystem {
            ("fan-fs-paired.txt", "filesystem")
        } else {
            ("fan-paired.txt", "inode")
        };
        if filesystem && !is_root() {
            let why = "filesystem marks need CAP_SYS_ADMIN, and the scratch tmpfs root";
            eprintln!("fan_drain: filesystem group skipped: {why}");
            let _ = writeln!(skipped, "filesystem all {why}");
            continue;
        }
        let (lines, records) = run_group(filesystem, files, options.rounds, &mut skipped)?;
        let path = write_result(file, &lines)?;
        let queued = files * EVENTS_PER_FILE + SENTINEL_EVENTS;
        let _ = writeln!(info, "{group} {queued} {records}");
        println!("written to {}", path.display());
    }
    drop(guard);
    write_result("fan-records.txt", &info)?;
    write_result("fan-skipped.txt", &skipped)?;
    Ok(())
}
