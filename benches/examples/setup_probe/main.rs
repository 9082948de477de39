//! Whole-process setup probe, for issue 12's targets and `cargo xtask
//! bench-report`: how long a fresh process takes from `exec` to having a
//! recursive watch on a tree of 10k, 100k or 1M directories (fan-out 10),
//! what CPU it spent getting there and what memory it holds once ready,
//! beside a raw walk-and-add loop measured in the same runs.
//!
//! Each contender is a program started fresh for every run: ready is the
//! line "Watches established." on its stderr (printed by `inotifywait`
//! without `-q`, and by this probe's own child modes once the add returns).
//! At that moment the probe reads the child's user and system CPU
//! (`/proc/PID/stat`, clock ticks), its CPU in nanoseconds over all threads
//! (`/proc/PID/task/*/schedstat`) and its `VmRSS` and `VmHWM`
//! (`/proc/PID/status`); on the first run of each size it also counts the
//! watches its inotify descriptors hold (`/proc/PID/fdinfo`). Then it kills
//! the child (by its pid) and reaps it. Nothing here looks inside the
//! programs, so the probe measures whatever they do.
//!
//! Contenders: `raw` (child mode: a recursive `opendir`/`readdir` walk, by
//! `d_type`, with one `inotify_add_watch` per directory, through rustix's
//! libc backend, and nothing else), `inotify-cli` (this workspace's
//! `inotifywait -m -r DIR`, built in release first), `watch-manager` (child
//! mode: `WatchManager::add_watches_summary` with `rec` and `auto_add`), `watcher`
//! (child mode: core's `Watcher::add_all`), `notify-crate` (child mode: the
//! `notify` crate's recommended watcher, recursive) and `inotify-tools`
//! (`/usr/bin/inotifywait -m -r DIR`, when installed). For issue 13, as
//! root: `inotify-cli-S` (our fanotify CLI with one filesystem mark:
//! `fsnotifywait -S -m -r DIR`, or `inotifywait -S` while the CLI has no
//! `fsnotifywait`) and `inotify-tools-S` (`/usr/bin/fsnotifywait -S -m -r
//! DIR`); each is tried once on the empty tree first and, when it fails
//! (a CLI that does not take `-S`), skipped with the reason printed and
//! written to `setup-probe-skipped.txt`. Runs rotate the order of the
//! contenders; each ratio is to the raw loop of the same run.
//!
//! RSS per watch is `(VmRSS at ready − VmRSS at ready on an empty tree) /
//! (watches − 1)`: the same program, started the same way on a directory
//! with nothing below it, is the base, so start-up memory cancels. Kernel
//! memory is the growth of the inotify/fanotify mark slab caches
//! (`/sys/kernel/slab`, readable as root) from just before the spawn to
//! ready: machine-wide, so what other programs add or free meanwhile is in
//! it too; the inodes a watch pins (cached already, the tree was walked)
//! are not.
//!
//! Usage: `setup_probe [--sizes N,N,..] [--runs R] [--tree-dir DIR]
//! [--only NAME,..] [--cli PATH]`. Trees are generated once and kept in
//! `<target>/setup-probe-trees` (or `--tree-dir`); each is walked once
//! before it is measured, so the dentry cache is warm. As root,
//! `max_user_watches` is raised for the run and restored on exit or unwind
//! (not when killed by a signal: the old value is printed at start);
//! otherwise sizes that do not fit are skipped with the reason. Prints a
//! table and writes `setup-probe.txt` to the results directory.

mod child;
mod measure;
mod summary;
mod trees;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use benches::{
    FanotifyCli, LimitGuard, build_release_bin, clock_ticks_per_second, is_root, write_result,
};
use inotify_core::Limit;

use measure::Sample;

/// Directory counts unless `--sizes` says otherwise.
const DEFAULT_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// Runs per contender and size unless `--runs` says otherwise.
const DEFAULT_RUNS: usize = 5;
/// Debian's inotifywait (inotify-tools).
const INOTIFY_TOOLS: &str = "/usr/bin/inotifywait";
/// Watches left for other programs of this user above the largest tree
/// when raising `max_user_watches` as root: tests elsewhere on the machine
/// hold trees of 100k directories and more at times (a first run of the
/// 1M tree with 100,000 spare failed with ENOSPC for that). A higher
/// limit costs nothing until watches are added.
const HEADROOM: u64 = 1_000_000;
/// The same when not root: the limit cannot be raised, so a size is kept
/// when it fits with this much to spare.
const HEADROOM_UNPRIVILEGED: u64 = 1_000;

/// inotify-tools' fanotify program.
const FSNOTIFYWAIT: &str = "/usr/bin/fsnotifywait";

/// Every contender, in report order: the baseline, ours, the peers, then
/// the fanotify filesystem-mark programs (issue 13; root only).
const NAMES: [&str; 8] = [
    "raw",
    "inotify-cli",
    "watch-manager",
    "watcher",
    "notify-crate",
    "inotify-tools",
    "inotify-cli-S",
    "inotify-tools-S",
];

const USAGE: &str = "usage: setup_probe [--sizes N,N,..] [--runs R] [--tree-dir DIR] \
                     [--only NAME,..] [--cli PATH]\n       setup_probe child MODE DIR";

/// Command-line options.
struct Options {
    sizes: Vec<usize>,
    runs: usize,
    tree_dir: Option<PathBuf>,
    only: Option<Vec<String>>,
    cli: Option<PathBuf>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

fn positive(v: &str) -> io::Result<usize> {
    v.parse::<usize>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| bad(format!("not a positive number: {v}")))
}

fn parse_args(args: Vec<OsString>) -> io::Result<Options> {
    let mut options = Options {
        sizes: DEFAULT_SIZES.to_vec(),
        runs: DEFAULT_RUNS,
        tree_dir: None,
        only: None,
        cli: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .ok_or_else(|| bad(format!("{what} needs a value\n{USAGE}")))
        };
        let text = |v: OsString| {
            v.into_string()
                .map_err(|v| bad(format!("not UTF-8: {}", v.display())))
        };
        match arg.to_str() {
            Some("--sizes") => {
                let list = text(value("--sizes")?)?;
                options.sizes = list.split(',').map(positive).collect::<io::Result<_>>()?;
                options.sizes.sort_unstable();
                options.sizes.dedup();
            }
            Some("--runs") => options.runs = positive(&text(value("--runs")?)?)?,
            Some("--tree-dir") => options.tree_dir = Some(value("--tree-dir")?.into()),
            Some("--cli") => options.cli = Some(value("--cli")?.into()),
            Some("--only") => {
                let list = text(value("--only")?)?;
                let names: Vec<String> = list.split(',').map(str::to_owned).collect();
                if let Some(unknown) = names.iter().find(|n| !NAMES.contains(&n.as_str())) {
                    return Err(bad(format!(
                        "unknown contender {unknown} (one of {})",
                        NAMES.join(", ")
                    )));
                }
                options.only = Some(names);
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

/// How a contender is started on a directory.
enum Launch {
    /// This probe's own binary in a child mode.
    Child(&'static str),
    /// An `inotifywait`/`fsnotifywait` binary, `FLAGS.. -m -r DIR` (not
    /// quiet: it says when its watches are established).
    Program(PathBuf, Vec<&'static str>),
}

/// One contender.
struct Contender {
    name: &'static str,
    launch: Launch,
}

impl Contender {
    fn command(&self, exe: &Path, dir: &Path) -> Command {
        match &self.launch {
            Launch::Child(mode) => {
                let mut cmd = Command::new(exe);
                cmd.arg("child").arg(mode).arg(dir);
                cmd
            }
            Launch::Program(bin, flags) => {
                let mut cmd = Command::new(bin);
                cmd.args(flags).args(["-m", "-r"]).arg(dir);
                cmd
            }
        }
    }
}

/// The contenders asked for, building ours first.
fn contenders(options: &Options) -> io::Result<Vec<Contender>> {
    let wanted = |name: &str| {
        options
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|n| n == name))
    };
    let mut all = Vec::new();
    for name in NAMES {
        if !wanted(name) {
            continue;
        }
        if name.ends_with("-S") && !is_root() {
            eprintln!(
                "setup_probe: {name} skipped: a filesystem mark needs CAP_SYS_ADMIN (run as root)"
            );
            continue;
        }
        let launch = match name {
            "inotify-cli" => match &options.cli {
                Some(path) => Launch::Program(path.clone(), Vec::new()),
                None => {
                    Launch::Program(build_release_bin("inotify-cli", "inotifywait")?, Vec::new())
                }
            },
            "inotify-tools" | "inotify-tools-S" => {
                let (bin, flags) = if name == "inotify-tools" {
                    (INOTIFY_TOOLS, vec![])
                } else {
                    (FSNOTIFYWAIT, vec!["-S"])
                };
                if !Path::new(bin).is_file() {
                    eprintln!(
                        "setup_probe: {name}: {bin} not installed (apt-get install inotify-tools): not measured"
                    );
                    continue;
                }
                Launch::Program(PathBuf::from(bin), flags)
            }
            "inotify-cli-S" => {
                let ours = FanotifyCli::build(true)?;
                Launch::Program(ours.bin, ours.flags)
            }
            mode => Launch::Child(mode),
        };
        if let Launch::Program(bin, _) = &launch
            && !bin.is_file()
        {
            return Err(bad(format!("{name}: no such binary {}", bin.display())));
        }
        all.push(Contender { name, launch });
    }
    if all.is_empty() {
        return Err(bad("no contender to measure"));
    }
    Ok(all)
}

/// Raises `max_user_watches` for the largest size as root; otherwise drops
/// the sizes that do not fit, saying why.
fn watch_limit(sizes: &mut Vec<usize>) -> io::Result<Option<LimitGuard>> {
    let limit = Limit::MaxUserWatches.read()?;
    eprintln!(
        "setup_probe: max_user_watches is {limit} (write it back to {} by hand if this run is killed)",
        Limit::MaxUserWatches.path().display()
    );
    let largest = sizes.iter().max().copied().unwrap_or(0) as u64 + 1;
    if is_root() {
        if largest + HEADROOM <= limit {
            return Ok(None);
        }
        let wanted = largest + HEADROOM;
        eprintln!("setup_probe: max_user_watches raised to {wanted} for the run");
        return LimitGuard::at_least(Limit::MaxUserWatches, wanted).map(Some);
    }
    sizes.retain(|&n| {
        let fits = n as u64 + 1 + HEADROOM_UNPRIVILEGED <= limit;
        if !fits {
            eprintln!(
                "setup_probe: {n} directories skipped: max_user_watches is {limit}, and raising \
                 it needs root ({} watches plus {HEADROOM_UNPRIVILEGED} spare wanted; other \
                 programs of this user count against the limit too)",
                n + 1
            );
        }
        fits
    });
    Ok(None)
}

/// Measures every contender `runs` times on `dir`, rotating their order
/// from run to run; counts watches on the first run. Returns the samples
/// per contender.
fn measure_all(
    all: &[Contender],
    exe: &Path,
    dir: &Path,
    runs: usize,
    clk_tck: u64,
) -> io::Result<Vec<Vec<Sample>>> {
    let mut samples: Vec<Vec<Sample>> = all.iter().map(|_| Vec::with_capacity(runs)).collect();
    for run in 0..runs {
        for k in 0..all.len() {
            let i = (run + k) % all.len();
            let contender = &all[i];
            let sample = measure::run_once(
                contender.name,
                contender.command(exe, dir),
                run == 0,
                clk_tck,
            )?;
            samples[i].push(sample);
        }
    }
    Ok(samples)
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let result = if args.first().is_some_and(|a| a == "child") {
        child::main(&args[1..])
    } else {
        parse_args(args).and_then(run)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("setup_probe: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut options: Options) -> io::Result<()> {
    let guard = watch_limit(&mut options.sizes)?;
    let mut all = contenders(&options)?;
    let exe = std::env::current_exe()?;
    let clk_tck = clock_ticks_per_second()?;
    let base = match &options.tree_dir {
        Some(dir) => dir.clone(),
        None => benches::target_dir()?.join("setup-probe-trees"),
    };
    let empty = trees::empty(&base)?;
    // The fanotify programs may not take their flags (our CLI before its
    // fanotify backend): one try on the empty tree decides, and a program
    // that fails it is left out with the reason, not measured.
    let mut skipped = String::new();
    all.retain(|c| {
        if !c.name.ends_with("-S") {
            return true;
        }
        match measure::run_once(c.name, c.command(&exe, &empty), false, clk_tck) {
            Ok(_) => true,
            Err(err) => {
                let why = err.to_string().replace('\n', " ");
                eprintln!("setup_probe: {} skipped: {why}", c.name);
                let _ = writeln!(skipped, "{} {why}", c.name);
                false
            }
        }
    });
    write_result("setup-probe-skipped.txt", &skipped)?;
    if all.is_empty() {
        return Err(bad("no contender left to measure"));
    }
    let names: Vec<&str> = all.iter().map(|c| c.name).collect();
    eprintln!(
        "setup_probe: sizes {:?}, {} runs each, trees in {}; contenders: {}",
        options.sizes,
        options.runs,
        base.display(),
        names.join(", ")
    );
    // The empty tree first: the memory base of every contender, and a
    // warm-up of their binaries' pages.
    let samples = measure_all(&all, &exe, &empty, options.runs, clk_tck)?;
    let base_rows = summary::summarize(0, &names, &samples, None);
    let mut rows = base_rows.clone();
    for &size in &options.sizes {
        let tree = trees::ensure(&base, size)?;
        let samples = measure_all(&all, &exe, &tree, options.runs, clk_tck)?;
        let summed = summary::summarize(size, &names, &samples, Some(&base_rows));
        eprint!(
            "{}{}",
            summary::runs_line(size, &names, &samples),
            summary::table(&summed)
        );
        rows.extend(summed);
    }
    drop(guard);
    print!(
        "setup (whole process), exec to ready, medians of {} runs:\n{}",
        options.runs,
        summary::table(&rows)
    );
    let path = write_result("setup-probe.txt", &summary::result_lines(&rows))?;
    println!("written to {}", path.display());
    Ok(())
}
