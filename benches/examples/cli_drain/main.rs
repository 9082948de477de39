//! Whole-process CLI drain, for issue 6's `inotifywait` target and `cargo
//! xtask bench-report`: the CPU time an `inotifywait -m -r --format '%w%f
//! %e' -o FILE DIR` process spends writing N queued events to a file,
//! beside the raw `read(2)` loop (the drain group's baseline) on the same
//! N events in the same run.
//!
//! Each round, for every binary: start it on a directory of its own, wait
//! for "Watches established." on its stderr, stop it (`kill -STOP`), queue
//! N events with the drain group's [`QueueFiller`] (create, write, close,
//! chmod, delete of many files), read its CPU time, continue it (`kill
//! -CONT`), wait until the file ends with the sentinel's `DELETE` line, and
//! read its CPU time again. CPU time is the sum over the process's threads
//! of the first field of `/proc/PID/task/*/schedstat` (nanoseconds on the
//! CPU); `utime + stime` of `/proc/PID/stat` (clock ticks, too coarse for
//! small N) is printed beside it as a cross-check. The raw loop is timed
//! with this process's CPU clock. Rounds rotate the order of the
//! contenders (`paired_rounds`), so each ratio is to the raw drain of the
//! same round.
//!
//! Usage: `cli_drain [--events N] [--rounds R] [--bin [NAME=]PATH]...`.
//! Without `--bin`, it builds this workspace's `inotifywait` (`cargo build
//! --release -p inotify-cli`) and measures it as `inotify-cli`, then
//! `/usr/bin/inotifywait` (inotify-tools) when it is installed. As root it
//! raises `max_queued_events` for N (restored on exit or unwind, not when
//! killed by a signal); otherwise N is cut to what the limit holds.
//!
//! Writes `cli-paired.txt` (ratios to raw, the drain group's paired format)
//! and `cli-peer-paired.txt` (every binary's ratio to the first one) to the
//! results directory. Every child is killed and reaped by a guard on every
//! path out of a round, by its own pid.

mod child;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use benches::{
    EVENTS_PER_FILE, LimitGuard, ProcStat, QueueFiller, RawDrain, SENTINEL_EVENTS, TempDir,
    build_release_bin, clock_ticks_per_second, cpu_time, is_root, paired_lines, paired_rounds,
    schedstat_ns, workspace_root, write_result,
};
use inotify_core::{Limit, WatchMask};

use child::{Running, Tail};

/// Events per round unless `--events` says otherwise.
const DEFAULT_EVENTS: usize = 200_000;
/// Measured rounds unless `--rounds` says otherwise (one more is run first,
/// unmeasured, as a warm-up).
const DEFAULT_ROUNDS: usize = 5;
/// Debian's inotifywait (inotify-tools).
const INOTIFY_TOOLS: &str = "/usr/bin/inotifywait";
/// Longest wait for a drain to reach the sentinel.
const DRAIN_DEADLINE: Duration = Duration::from_mins(3);
/// How often the output file is looked at while a drain runs: this
/// process's polling runs on another CPU and is not charged to the child.
const POLL: Duration = Duration::from_millis(2);

/// Command-line options.
struct Options {
    events: usize,
    rounds: usize,
    /// `(name, path)` of each binary, in report order.
    bins: Vec<(String, PathBuf)>,
}

const USAGE: &str = "usage: cli_drain [--events N] [--rounds R] [--bin [NAME=]PATH]...";

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

fn parse_args() -> io::Result<Options> {
    let mut options = Options {
        events: DEFAULT_EVENTS,
        rounds: DEFAULT_ROUNDS,
        bins: Vec::new(),
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .ok_or_else(|| bad(format!("{what} needs a value\n{USAGE}")))
        };
        let number = |v: std::ffi::OsString| {
            v.to_str()
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| bad(format!("not a positive number: {}", v.display())))
        };
        match arg.to_str() {
            Some("--events") => options.events = number(value("--events")?)?,
            Some("--rounds") => options.rounds = number(value("--rounds")?)?,
            Some("--bin") => {
                let spec = value("--bin")?;
                let bin = match spec.to_str().and_then(|s| s.split_once('=')) {
                    Some((name, path))
                        if !name.is_empty() && !name.contains(char::is_whitespace) =>
                    {
                        (name.to_owned(), PathBuf::from(path))
                    }
                    _ => {
                        let path = PathBuf::from(&spec);
                        (default_name(&path, options.bins.len()), path)
                    }
                };
                options.bins.push(bin);
            }
            Some("-h" | "--help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(bad(format!("unknown argument {}\n{USAGE}", arg.display()))),
        }
    }
    Ok(options)
}

/// The report name of a binary given without one.
fn default_name(path: &Path, index: usize) -> String {
    if path == Path::new(INOTIFY_TOOLS) {
        "inotify-tools".to_owned()
    } else if path.starts_with(workspace_root()) || index == 0 {
        "inotify-cli".to_owned()
    } else {
        format!("bin{index}")
    }
}

/// Builds this workspace's `inotifywait` in release mode; returns its path.
fn build_ours() -> io::Result<PathBuf> {
    build_release_bin("inotify-cli", "inotifywait")
}

/// The raw `read(2)` loop of the drain group, on a directory of its own.
struct Raw {
    _tmp: TempDir,
    filler: QueueFiller,
    drain: RawDrain,
}

impl Raw {
    fn new() -> io::Result<Self> {
        let tmp = TempDir::in_memory("cli-raw")?;
        // inotifywait's mask when no -e is given; the filler's events are
        // the same six per file under it as under the drain group's mask.
        let drain = RawDrain::new(tmp.path(), WatchMask::ALL_EVENTS)?;
        Ok(Raw {
            filler: QueueFiller::new(tmp.path()),
            drain,
            _tmp: tmp,
        })
    }

    fn round(&mut self, files: usize) -> io::Result<Duration> {
        let queued = self.filler.fill(files)?;
        let start = cpu_time();
        let walk = self.drain.drain()?;
        let spent = cpu_time().saturating_sub(start);
        if walk.events != queued {
            return Err(io::Error::other(format!(
                "raw: read {} of {queued} events (queue overflow?)",
                walk.events
            )));
        }
        Ok(spent)
    }
}

/// One `inotifywait` binary: a fresh process per round on its own
/// directory, writing to a fresh file.
struct Cli {
    name: String,
    bin: PathBuf,
    watched: TempDir,
    outdir: TempDir,
    filler: QueueFiller,
    rounds: u64,
    /// `/proc/PID/stat` CPU of each round (tick precision).
    stat_cpu: Vec<Duration>,
    clk_tck: u64,
}

impl Cli {
    fn new(name: &str, bin: &Path, clk_tck: u64) -> io::Result<Self> {
        let watched = TempDir::in_memory(&format!("cli-{name}"))?;
        // Outside the watched directory, or writing it would queue events.
        let outdir = TempDir::in_memory(&format!("cli-{name}-out"))?;
        Ok(Cli {
            name: name.to_owned(),
            bin: bin.to_path_buf(),
            filler: QueueFiller::new(watched.path()),
            watched,
            outdir,
            rounds: 0,
            stat_cpu: Vec::new(),
            clk_tck,
        })
    }

    fn round(&mut self, files: usize) -> io::Result<Duration> {
        self.rounds += 1;
        let outfile = self
            .outdir
            .path()
            .join(format!("round-{}.txt", self.rounds));
        // The child's queue gets the limit in force when it starts: checked
        // on both sides of its start, since a test elsewhere on the machine
        // may lower the global value for a while (the queue would overflow).
        let needed = files * EVENTS_PER_FILE + SENTINEL_EVENTS;
        check_queue_limit(&self.name, needed)?;
        let mut child = Running::spawn(&self.name, &self.bin, &[], &outfile, self.watched.path())?;
        child.wait_established()?;
        check_queue_limit(&self.name, needed)?;
        child.stop()?;
        let queued = self.filler.fill(files)?;
        let last_line = format!(
            "{}/{} DELETE",
            self.watched.path().display(),
            self.filler.sentinel_name()
        );
        let pid = child.pid();
        let (ns_before, ticks_before) = (schedstat_ns(pid)?, stat_ticks(pid)?);
        child.signal("CONT")?;
        let mut tail = Tail::default();
        let mut buf = vec![0u8; 1 << 20];
        let deadline = Instant::now() + DRAIN_DEADLINE;
        loop {
            tail.update(&outfile, &mut buf)?;
            if tail.last == last_line.as_bytes() {
                break;
            }
            child.check_alive()?;
            if Instant::now() > deadline {
                let msg = format!("{} of {queued} lines written in time", tail.lines);
                return Err(child.error(&msg));
            }
            thread::sleep(POLL);
        }
        let (ns_after, ticks_after) = (schedstat_ns(pid)?, stat_ticks(pid)?);
        drop(child);
        if tail.lines < queued {
            return Err(io::Error::other(format!(
                "{}: {} lines for {queued} events (queue overflow?)",
                self.name, tail.lines
            )));
        }
        fs::remove_file(&outfile)?;
        let ticks = ticks_after.saturating_sub(ticks_before);
        self.stat_cpu.push(Duration::from_nanos(
            ticks * 1_000_000_000 / self.clk_tck.max(1),
        ));
        Ok(Duration::from_nanos(ns_after.saturating_sub(ns_before)))
    }
}

/// `utime + stime` of the whole process, in clock ticks.
fn stat_ticks(pid: u32) -> io::Result<u64> {
    let stat = ProcStat::read(pid)?;
    Ok(stat.utime + stat.stime)
}

/// An error when `max_queued_events` is too low for `events` now.
fn check_queue_limit(name: &str, events: usize) -> io::Result<()> {
    let limit = Limit::MaxQueuedEvents.read()?;
    if limit < events as u64 + 64 {
        return Err(io::Error::other(format!(
            "{name}: max_queued_events is {limit}, too low for {events} events \
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
    fn name(&self) -> &str {
        match self {
            Contender::Raw(_) => "raw",
            Contender::Cli(cli) => &cli.name,
        }
    }

    fn round(&mut self, files: usize) -> io::Result<Duration> {
        match self {
            Contender::Raw(raw) => raw.round(files),
            Contender::Cli(cli) => cli.round(files),
        }
    }
}

/// Median of `v` (non-empty), sorting a copy.
fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cli_drain: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> io::Result<()> {
    let mut options = parse_args()?;
    if options.bins.is_empty() {
        options.bins.push(("inotify-cli".to_owned(), build_ours()?));
        if Path::new(INOTIFY_TOOLS).exists() {
            options
                .bins
                .push(("inotify-tools".to_owned(), PathBuf::from(INOTIFY_TOOLS)));
        } else {
            eprintln!(
                "cli_drain: {INOTIFY_TOOLS} not installed (apt-get install inotify-tools): not measured"
            );
        }
    }
    for (name, bin) in &options.bins {
        if !bin.is_file() {
            return Err(bad(format!("{name}: no such binary {}", bin.display())));
        }
    }
    let files_for = |events: usize| QueueFiller::files_for(events.saturating_sub(SENTINEL_EVENTS));
    let queued_for = |events: usize| files_for(events) * EVENTS_PER_FILE + SENTINEL_EVENTS;

    // The limit is read when an instance is created: raise it before any
    // contender starts; the guard restores it when main returns or unwinds.
    let limit = Limit::MaxQueuedEvents.read()?;
    let needed = (queued_for(options.events) as u64 + 1024).next_power_of_two();
    let guard = if is_root() && limit < needed {
        eprintln!("cli_drain: max_queued_events {limit} raised to {needed} for the run");
        Some(LimitGuard::at_least(Limit::MaxQueuedEvents, needed)?)
    } else {
        None
    };
    let mut events = options.events;
    if guard.is_none() && (queued_for(events) as u64) + 64 > limit {
        events = usize::try_from(limit.saturating_sub(128)).unwrap_or(usize::MAX);
        eprintln!(
            "cli_drain: not root and max_queued_events is {limit}: {} events cut to {events}",
            options.events
        );
    }
    let files = files_for(events);
    let queued = queued_for(events);

    let clk_tck = clock_ticks_per_second()?;
    let mut all = vec![Contender::Raw(Raw::new()?)];
    for (name, bin) in &options.bins {
        all.push(Contender::Cli(Cli::new(name, bin, clk_tck)?));
    }
    let names: Vec<String> = all.iter().map(|c| c.name().to_owned()).collect();
    eprintln!(
        "cli_drain: {queued} events per round ({files} files), {} rounds + 1 warm-up; contenders: {}",
        options.rounds,
        names.join(", ")
    );
    for contender in &mut all {
        contender.round(files)?;
    }
    for contender in &mut all {
        if let Contender::Cli(cli) = contender {
            cli.stat_cpu.clear();
        }
    }
    // paired_rounds takes an infallible closure: the first error stops the
    // measuring and is returned after it.
    let mut failure: Option<io::Error> = None;
    let times = paired_rounds(options.rounds, all.len(), |i| {
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
    drop(guard);

    let units = f64::from(u32::try_from(queued).unwrap_or(u32::MAX));
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let lines = paired_lines(events, &name_refs, &times, units);
    // Every binary against the first one, round by round.
    let peer = paired_lines(events, &name_refs[1..], &times[1..], units);
    print!("cli drain, {queued} events (size name ratio-to-raw q1 q3 rounds ns/event):\n{lines}");
    if name_refs.len() > 2 {
        print!("ratio to {} (same rounds):\n{peer}", name_refs[1]);
    }
    for contender in &all {
        if let Contender::Cli(cli) = contender
            && !cli.stat_cpu.is_empty()
        {
            println!(
                "{}: /proc/PID/stat utime+stime {:.0} ns/event (median, {clk_tck} ticks/s)",
                cli.name,
                median(&cli.stat_cpu).as_secs_f64() * 1e9 / units
            );
        }
    }
    let path = write_result("cli-paired.txt", &lines)?;
    if name_refs.len() > 2 {
        write_result("cli-peer-paired.txt", &peer)?;
    }
    println!("written to {}", path.display());
    Ok(())
}
