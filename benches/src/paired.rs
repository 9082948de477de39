//! Paired rounds: every contender measured once per round, in rotating
//! order, so that load from elsewhere on the machine hits all of them
//! alike; each contender's ratio is taken against the baseline (contender
//! 0) of the same round. The median and quartiles of those per-round
//! ratios resist noise far better than a ratio of two separate runs.

use std::fmt::Write as _;

/// Runs `rounds` rounds over `count` contenders; `measure(i)` measures
/// contender `i` once and returns seconds. Returns the samples per
/// contender.
pub fn paired_rounds(
    rounds: usize,
    count: usize,
    mut measure: impl FnMut(usize) -> f64,
) -> Vec<Vec<f64>> {
    let mut times = vec![Vec::with_capacity(rounds); count];
    for round in 0..rounds {
        for k in 0..count {
            let i = (round + k) % count;
            times[i].push(measure(i));
        }
    }
    times
}

/// Nearest-rank quartile `q` (0–4) of sorted `v` (non-empty).
fn quartile(v: &[f64], q: usize) -> f64 {
    v[(v.len() - 1) * q / 4]
}

/// One line per contender: `size name median q1 q3 rounds ns_per_unit`,
/// the ratio columns against contender 0 of the same round and the last
/// column the contender's median time divided by `units` (events,
/// watches). The format `cargo xtask bench-report` reads.
pub fn paired_lines(size: usize, names: &[&str], times: &[Vec<f64>], units: f64) -> String {
    let mut out = String::new();
    let Some(base) = times.first() else {
        return out;
    };
    for (name, samples) in names.iter().zip(times) {
        if samples.is_empty() {
            continue;
        }
        let mut ratios: Vec<f64> = samples.iter().zip(base).map(|(t, b)| t / b).collect();
        let mut own = samples.clone();
        ratios.sort_by(f64::total_cmp);
        own.sort_by(f64::total_cmp);
        let _ = writeln!(
            out,
            "{size} {name} {:.4} {:.4} {:.4} {} {:.1}",
            quartile(&ratios, 2),
            quartile(&ratios, 1),
            quartile(&ratios, 3),
            samples.len(),
            quartile(&own, 2) / units * 1e9
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_rotate_and_ratios_pair_by_round() {
        let mut order = Vec::new();
        let times = paired_rounds(3, 2, |i| {
            order.push(i);
            // Round-dependent load: contender 1 always takes twice as long
            // as contender 0 of the same round.
            let round = order.len().div_ceil(2);
            f64::from(u32::try_from(round).unwrap_or(0)) * if i == 0 { 1.0 } else { 2.0 }
        });
        assert_eq!(order, [0, 1, 1, 0, 0, 1]);
        let text = paired_lines(10, &["raw", "core"], &times, 1.0);
        let core = text.lines().nth(1).expect("core line");
        assert!(
            core.starts_with("10 core 2.0000 2.0000 2.0000 3 "),
            "{core}"
        );
    }
}
