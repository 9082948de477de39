//! `cargo xtask examples`: runs every example of `inotify-core` and
//! `inotify-notify` in its demo mode (no arguments), each with a timeout,
//! and fails unless each one exits 0 by itself and leaves nothing in its
//! temporary directory.
//!
//! The examples are built once with every feature (so the feature-gated
//! ones are included), then run from `target/debug/examples` with `TMPDIR`
//! pointing at a fresh directory per example: whatever a demo leaves behind
//! is found there.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The crates whose examples are run.
const CRATES: [&str; 2] = ["inotify-core", "inotify-notify"];

/// How long one demo may run.
#[expect(
    clippy::duration_suboptimal_units,
    reason = "Duration::from_mins needs Rust 1.91; the workspace supports 1.88"
)]
const TIMEOUT: Duration = Duration::from_secs(60);

/// The example names of `crate_dir`: the `.rs` files directly in its
/// `examples/` (subdirectories hold shared support modules), sorted.
fn example_names(crate_dir: &Path) -> Result<Vec<String>, String> {
    let dir = crate_dir.join("examples");
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.extension().is_some_and(|x| x == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            names.push(stem.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// What one run did.
struct Outcome {
    success: bool,
    timed_out: bool,
    elapsed: Duration,
    left: Vec<PathBuf>,
}

/// Runs `exe` with no arguments and `TMPDIR=tmp`, output to `log`, killed
/// after [`TIMEOUT`].
fn run_one(exe: &Path, tmp: &Path, log: &Path) -> Result<Outcome, String> {
    let out = fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("cannot duplicate {}: {e}", log.display()))?;
    let start = Instant::now();
    let mut child = Command::new(exe)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("waiting for {}: {e}", exe.display()))?
        {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            timed_out = true;
            // Already exited if this fails; wait() below reaps it either way.
            let _ = child.kill();
            break child
                .wait()
                .map_err(|e| format!("waiting for {}: {e}", exe.display()))?;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let left = fs::read_dir(tmp)
        .map_err(|e| format!("cannot list {}: {e}", tmp.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    Ok(Outcome {
        success: status.success() && !timed_out,
        timed_out,
        elapsed: start.elapsed(),
        left,
    })
}

/// Builds and runs every example's demo.
pub fn run(root: &Path) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(&cargo);
    build
        .current_dir(root)
        .args(["build", "--examples", "--all-features"]);
    for name in CRATES {
        build.args(["-p", name]);
    }
    eprintln!("xtask examples: cargo build --examples --all-features");
    let status = build
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the examples failed ({status})"));
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let work = target.join("xtask-examples");
    // A previous run's leftovers are not this run's.
    match fs::remove_dir_all(&work) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("cannot clear {}: {e}", work.display()));
        }
        _ => {}
    }
    let mut failed = Vec::new();
    for krate in CRATES {
        for name in example_names(&root.join(krate))? {
            let exe = target.join("debug/examples").join(&name);
            let tmp = work.join(krate).join(&name);
            fs::create_dir_all(&tmp)
                .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
            let log = work.join(format!("{krate}-{name}.log"));
            let outcome = run_one(&exe, &tmp, &log)?;
            let verdict = match (outcome.success, outcome.left.is_empty()) {
                (true, true) => "ok",
                _ if outcome.timed_out => "TIMED OUT",
                (false, _) => "FAILED",
                (true, false) => "LEFT FILES",
            };
            eprintln!(
                "xtask examples: {krate} {name}: {verdict} ({} ms)",
                outcome.elapsed.as_millis()
            );
            if verdict != "ok" {
                for path in &outcome.left {
                    eprintln!("  left behind: {}", path.display());
                }
                let output = fs::read_to_string(&log).unwrap_or_default();
                eprintln!("  output:\n{output}");
                failed.push(format!("{krate}/{name}"));
            }
        }
    }
    if failed.is_empty() {
        eprintln!("xtask examples: every demo ended by itself and cleaned up");
        Ok(())
    } else {
        Err(format!("examples failed: {}", failed.join(", ")))
    }
}
