//! Measuring helpers: the process CPU clock the drain group reports, the
//! root check, and the small result files (latency percentiles, memory)
//! the `cargo xtask bench-report` command reads back.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::time::{ClockId, clock_gettime};

/// CPU time used so far by the whole process, all threads included — so a
/// watcher that reads on its own thread is charged for that thread too.
pub fn cpu_time() -> Duration {
    let ts = clock_gettime(ClockId::ProcessCPUTime);
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(ts.tv_nsec).unwrap_or(0);
    Duration::new(secs, nanos)
}

/// Whether the process runs as root (and may raise `/proc` limits).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// p50/p99 (and extremes) of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
}

impl Percentiles {
    /// Nearest-rank percentiles; `None` for no samples.
    pub fn of(samples: &mut [Duration]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let rank = |p: usize| samples[(samples.len() * p).div_ceil(100).saturating_sub(1)];
        Some(Percentiles {
            count: samples.len(),
            p50: rank(50),
            p99: rank(99),
            max: samples[samples.len() - 1],
        })
    }

    /// As a flat JSON object of nanoseconds.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"count\": {}, \"p50_ns\": {}, \"p99_ns\": {}, \"max_ns\": {}}}\n",
            self.count,
            self.p50.as_nanos(),
            self.p99.as_nanos(),
            self.max.as_nanos()
        )
    }
}

/// Writes `contents` to `$BENCH_RESULTS_DIR/<name>` (the directory `cargo
/// xtask bench-report` passes; `<cargo target dir>/bench-results`
/// otherwise), creating the directory. Returns the path written.
///
/// # Errors
/// When the directory or the file cannot be written.
pub fn write_result(name: &str, contents: &str) -> io::Result<PathBuf> {
    let dir = match (
        std::env::var_os("BENCH_RESULTS_DIR"),
        std::env::var_os("CARGO_TARGET_DIR"),
    ) {
        (Some(dir), _) => PathBuf::from(dir),
        (None, Some(target)) => PathBuf::from(target).join("bench-results"),
        (None, None) => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .join("target/bench-results"),
    };
    fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    fs::write(&path, contents)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let p = Percentiles::of(&mut samples).expect("samples");
        assert_eq!(p.p50, Duration::from_micros(50));
        assert_eq!(p.p99, Duration::from_micros(99));
        assert_eq!(p.max, Duration::from_micros(100));
        assert!(Percentiles::of(&mut []).is_none());
    }

    #[test]
    fn cpu_time_advances_with_work() {
        let start = cpu_time();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        assert!(cpu_time() > start, "{x}");
    }
}
