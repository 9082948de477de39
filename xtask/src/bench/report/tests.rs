//! Tests of the report: ratios, verdicts, the rendered tables, dates.

use super::*;

fn est(group: &str, function: &str, param: u64, median: f64) -> Estimate {
    Estimate {
        group: group.into(),
        function: function.into(),
        param: Some(param),
        median,
        ci_low: median * 0.9,
        ci_high: median * 1.1,
        mad: median * 0.05,
        mean: median,
        elements: Some(1000.0),
    }
}

#[test]
fn ratios_divide_by_the_raw_row_of_the_same_parameter() {
    let all = [
        est("drain", "raw", 10, 100.0),
        est("drain", "core", 10, 110.0),
        est("drain", "raw", 20, 300.0),
        est("drain", "core", 20, 330.0),
    ];
    assert_eq!(
        ratio_range(&all, "drain", "core", Some(10)).map(|r| r.mid),
        Some(1.1)
    );
    assert_eq!(
        ratio_range(&all, "drain", "core", Some(20)).map(|r| r.mid),
        Some(1.1)
    );
    assert_eq!(
        ratio_range(&all, "drain", "notifier", Some(10)).map(|r| r.mid),
        None
    );
    let rows = group_rows(&all, "drain");
    assert_eq!(rows[0].function, "raw");
    assert_eq!(rows[1].function, "core");
}

#[test]
fn report_has_a_table_per_group_and_the_targets() {
    let all = [
        est("drain", "raw", 10, 100.0),
        est("drain", "core", 10, 105.0),
    ];
    let report = render(
        Path::new("/nonexistent"),
        &all,
        Path::new("/nonexistent"),
        true,
    );
    assert!(report.contains("## drain"));
    assert!(report.contains("| 10 | core | 105 ns | ±10.0% | 5.0% | 0 ns | **1.05×** |"));
    assert!(report.contains(
        "| drain 10 events: core read + iterate | ≤ 1.10× raw | 1.05× (0.86×–1.28×) | within noise"
    ));
}

#[test]
fn verdicts_need_the_whole_interval_on_one_side() {
    let r = |low, high| Range {
        mid: f64::midpoint(low, high),
        low,
        high,
    };
    assert_eq!(verdict(r(0.9, 1.05), Goal::AtMost(1.1)), "met");
    assert_eq!(verdict(r(1.2, 1.3), Goal::AtMost(1.1)), "**missed**");
    assert!(verdict(r(1.0, 1.2), Goal::AtMost(1.1)).starts_with("within noise"));
    assert_eq!(verdict(r(2.1, 2.5), Goal::AtLeast(2.0)), "met");
    assert_eq!(verdict(r(1.1, 1.5), Goal::AtLeast(2.0)), "**missed**");
}

#[test]
fn durations_pick_a_readable_unit() {
    assert_eq!(fmt_ns(812.0), "812 ns");
    assert_eq!(fmt_ns(3_410.0), "3.41 µs");
    assert_eq!(fmt_ns(4_120_000.0), "4.12 ms");
}

#[test]
fn utc_dates_are_well_formed() {
    let now = utc_now();
    assert_eq!(now.len(), "2026-01-01 00:00 UTC".len(), "{now}");
    assert!(now.starts_with("20"));
}

#[test]
fn cli_drain_results_make_a_section_and_two_target_rows() {
    let dir = std::env::temp_dir().join(format!("xtask-cli-report-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("results dir");
    fs::write(
        dir.join("cli-paired.txt"),
        "200000 raw 1.0000 1.0000 1.0000 3 400.0\n200000 inotify-cli 2.5000 2.0000 2.8000 3 1000.0\n200000 inotify-tools 60.0000 55.0000 65.0000 3 24000.0\n",
    )
    .expect("cli results");
    fs::write(
        dir.join("cli-peer-paired.txt"),
        "200000 inotify-cli 1.0000 1.0000 1.0000 3 1000.0\n200000 inotify-tools 24.0000 21.0000 26.0000 3 24000.0\n",
    )
    .expect("peer results");
    let all = [est("drain", "raw", 10, 100.0)];
    let report = render(Path::new("/nonexistent"), &all, &dir, false);
    fs::remove_dir_all(&dir).expect("remove results dir");
    assert!(report.contains("## cli"));
    assert!(report.contains("| 200000 | inotify-cli | 1.00 µs | **2.50×** | 2.00×–2.80× | 3 |"));
    assert!(report.contains(
        "| inotifywait -m -r --format writing to a file, 200000 events | ≤ 3.00× raw | 2.50× (2.00×–2.80×) | met |"
    ));
    assert!(report.contains(
        "| inotifywait 200000 events: inotify-tools ÷ ours | ≥ 20.00× | 24.00× (21.00×–26.00×) | met |"
    ));
    assert!(report.contains("inotify-tools ÷ inotify-cli at 200000 events, per round: **24.00×**"));
    assert!(report.contains(
        "| (issue 12) CLI queue drain, 200000 events: inotifywait CPU per event | ≤ 1.50× raw | 2.50× (2.00×–2.80×) | **missed** |"
    ));
}

#[test]
fn issue_12_notifier_target_is_rendered_per_size() {
    let all = [
        est("drain", "raw", 10, 100.0),
        est("drain", "notifier", 10, 120.0),
    ];
    let report = render(
        Path::new("/nonexistent"),
        &all,
        Path::new("/nonexistent"),
        true,
    );
    assert!(report.contains(
        "| (issue 12) drain 10 events: Notifier, no-op handler | ≤ 1.25× raw | 1.20× (0.98×–1.47×) | within noise"
    ), "{report}");
    assert!(report.contains(
        "| (issue 12) CLI queue drain: inotifywait CPU per event | ≤ 1.50× raw | not measured | — |"
    ));
}
