//! The scenarios shipped in scenarios/ tell the stories they promise.

mod common;

use std::time::Duration;

use common::{play, shipped};
use mlobs_schemas::time::parse_rfc3339;
use mlobs_schemas::FeatureValue;

const MINUTE: i64 = 60_000;

/// Accuracy over the windows that start at or after `from` and end at or
/// before `until`.
fn accuracy(truth: &mlobs_scenarios::Truth, from: i64, until: i64) -> f64 {
    let (labeled, correct) = truth
        .windows
        .iter()
        .filter(|w| w.window_start >= from && w.window_end <= until)
        .fold((0, 0), |(l, c), w| {
            (l + w.counts.labeled, c + w.counts.correct)
        });
    correct as f64 / labeled as f64
}

#[test]
fn drift_toml_falls_from_96_to_88_percent_when_monthly_charges_change_scale() {
    let scenario = shipped("drift.toml");
    assert!(scenario.play_time().unwrap() < Duration::from_secs(15));
    let start = parse_rfc3339("2026-01-05T09:00:00Z").unwrap();
    let change = start + 60 * MINUTE;
    let (memory, truth) = play(scenario, MINUTE);
    let predictions = memory.predictions().count();
    assert!((15_000..21_000).contains(&predictions), "{predictions}");

    // Labels: about 95% coverage, a few minutes late, never more than 20.
    let delays = memory.label_delays();
    let coverage = delays.len() as f64 / predictions as f64;
    assert!((coverage - 0.95).abs() < 0.015, "coverage {coverage}");
    assert!(delays.iter().all(|d| (0..=20 * MINUTE).contains(d)));
    let mean = delays.iter().sum::<i64>() as f64 / delays.len() as f64 / MINUTE as f64;
    assert!((2.7..3.2).contains(&mean), "mean delay {mean} minutes");

    let before = accuracy(&truth, start, change);
    // Labels of predictions made before the change arrive up to 20 minutes later.
    let after = accuracy(&truth, change + 20 * MINUTE, i64::MAX);
    println!("drift.toml: accuracy before {before:.4}, after {after:.4}, {predictions} predictions, {} labels", memory.labels().count());
    assert!((before - 0.96).abs() <= 0.02, "before the change: {before}");
    assert!((after - 0.88).abs() <= 0.03, "after the change: {after}");

    // Only monthly_charges drifts: compare means before and after the change.
    let mean = |name: &str, after: bool| {
        let values: Vec<f64> = memory
            .predictions()
            .filter(|p| (p.event_time >= change) == after)
            .filter_map(|p| match p.features[name] {
                Some(FeatureValue::Numeric(x)) => Some(x),
                _ => None,
            })
            .collect();
        values.iter().sum::<f64>() / values.len() as f64
    };
    let ratio = mean("monthly_charges", true) / mean("monthly_charges", false);
    assert!((ratio - 1.25).abs() < 0.03, "monthly_charges x{ratio}");
    for other in ["tenure_months", "support_calls"] {
        let ratio = mean(other, true) / mean(other, false);
        assert!((ratio - 1.0).abs() < 0.06, "{other} moved x{ratio}");
    }
}

#[test]
fn baseline_toml_rolls_version_2_out_10_50_100_with_delayed_labels() {
    let scenario = shipped("baseline.toml");
    assert!(scenario.play_time().unwrap() < Duration::from_secs(20));
    let start = parse_rfc3339("2026-01-05T09:00:00Z").unwrap();
    let (memory, truth) = play(scenario, MINUTE);
    let predictions: Vec<_> = memory.predictions().collect();
    assert!(
        (2_500..6_000).contains(&predictions.len()),
        "{}",
        predictions.len()
    );
    assert!(predictions.iter().all(|p| p.error.is_none()));

    let share_of_2 = |from: i64, until: i64| {
        let phase: Vec<_> = predictions
            .iter()
            .filter(|p| (start + from * MINUTE..start + until * MINUTE).contains(&p.event_time))
            .collect();
        phase.iter().filter(|p| p.version == "2").count() as f64 / phase.len() as f64
    };
    let shares = [share_of_2(0, 40), share_of_2(40, 80), share_of_2(80, 120)];
    println!("baseline.toml: version 2 shares {shares:?}");
    assert!((shares[0] - 0.1).abs() < 0.03, "{shares:?}");
    assert!((shares[1] - 0.5).abs() < 0.05, "{shares:?}");
    assert_eq!(shares[2], 1.0);

    let labels = memory.labels().count();
    let coverage = labels as f64 / predictions.len() as f64;
    assert!((coverage - 0.95).abs() < 0.015, "coverage {coverage}");
    for (version, counts) in truth.totals() {
        let accuracy = counts.accuracy().unwrap();
        println!("baseline.toml: {version:?} {counts:?} accuracy {accuracy:.4}");
        assert!(accuracy > 0.9, "{version:?}: {accuracy}");
    }
}

#[test]
fn the_example_in_docs_scenarios_md_is_a_valid_scenario() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenarios.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let example = doc
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/scenarios.md has a toml example");
    let scenario = mlobs_scenarios::Scenario::from_toml(example).unwrap();
    let (memory, truth) = play(scenario, MINUTE);
    assert!(memory.predictions().any(|p| p.error.is_some()));
    assert_eq!(truth.totals().len(), 2);
}

#[test]
fn rollout_toml_tries_a_buggy_version_on_half_the_traffic() {
    let scenario = shipped("rollout.toml");
    assert!(scenario.play_time().unwrap() < Duration::from_secs(70));
    let (memory, truth) = play(scenario, MINUTE);
    let of = |version: &str| {
        let (n, labeled, correct) = truth.windows.iter().filter(|w| w.version == version).fold(
            (0, 0, 0),
            |(n, l, c), w| {
                (
                    n + w.counts.predictions,
                    l + w.counts.labeled,
                    c + w.counts.correct,
                )
            },
        );
        (n, correct as f64 / labeled as f64)
    };
    let ((n1, good), (n2, buggy)) = (of("1"), of("2"));
    println!("rollout.toml: v1 {n1} predictions at {good:.4}, v2 {n2} at {buggy:.4}");
    // Without a registry to follow, the servers keep to the first step.
    let share = n2 as f64 / (n1 + n2) as f64;
    assert!((share - 0.5).abs() < 0.02, "version 2's share {share}");
    assert_eq!(n1 + n2, memory.predictions().count() as u64);
    assert!((good - 0.96).abs() <= 0.02, "version 1: {good}");
    assert!(good - buggy > 0.1, "version 2 is much worse: {buggy}");
}

#[test]
fn incident_toml_a_rollback_to_the_older_version_restores_accuracy_under_the_drift() {
    let start = parse_rfc3339("2026-01-05T09:00:00Z").unwrap();
    let drift = start + 60 * MINUTE;
    // The servers as the registry has them at the start (version 2), and
    // as after `mlobs model rollback churn --to 1`.
    let served_by = |version: &str| {
        let mut world = shipped("incident.toml").without_pacing().prepare().unwrap();
        world
            .routing()
            .set("churn", [(version.to_string(), 1.0)].into());
        let mut memory = common::Memory::default();
        let truth = world.run(&mut memory, MINUTE).unwrap();
        assert!(memory.predictions().all(|p| p.version == version));
        let before = accuracy(&truth, start, drift);
        let after = accuracy(&truth, drift + 20 * MINUTE, i64::MAX);
        (before, after)
    };
    let (newer_before, newer_after) = served_by("2");
    let (older_before, older_after) = served_by("1");
    println!("incident.toml: version 2 {newer_before:.4} -> {newer_after:.4}, version 1 {older_before:.4} -> {older_after:.4}");
    assert!((newer_before - 0.97).abs() <= 0.015, "{newer_before}");
    assert!((newer_after - 0.89).abs() <= 0.02, "{newer_after}");
    assert!(
        (older_after - older_before).abs() <= 0.01,
        "the older version ignores the drift"
    );
    assert!(
        older_after - newer_after >= 0.05,
        "rolling back restores accuracy"
    );
}

#[test]
fn section7_toml_is_incident_toml_at_twice_the_rate_and_a_version_added_during_the_run_serves() {
    let start = parse_rfc3339("2026-01-05T09:00:00Z").unwrap();
    let drift = start + 60 * MINUTE;
    let run = |routes: &[(&str, f64)], add: Option<&str>| {
        let mut world = shipped("section7.toml").without_pacing().prepare().unwrap();
        if let Some(from) = add {
            // Version 3, registered while the run goes on, with version
            // `from`'s weights: the same answers under another number.
            let weights = world.models()[0]
                .versions
                .iter()
                .find(|(v, _)| v == from)
                .map(|(_, w)| w.clone())
                .unwrap();
            world.routing().add_version("churn", "3", &weights).unwrap();
        }
        let shares = routes.iter().map(|(v, s)| (v.to_string(), *s)).collect();
        world.routing().set("churn", shares);
        let mut memory = common::Memory::default();
        let truth = world.run(&mut memory, 10 * MINUTE).unwrap();
        let mut latencies: Vec<f64> = memory.predictions().map(|p| p.latency_ms).collect();
        latencies.sort_by(f64::total_cmp);
        let p95 = latencies[latencies.len() * 95 / 100];
        (truth, memory, p95)
    };
    let (newer, _, p95) = run(&[("2", 1.0)], None);
    let (older, _, _) = run(&[("1", 1.0)], None);
    let before = accuracy(&newer, start, drift);
    let after = accuracy(&newer, drift + 20 * MINUTE, i64::MAX);
    let older_after = accuracy(&older, drift + 20 * MINUTE, i64::MAX);
    println!("section7.toml: version 2 {before:.4} -> {after:.4}, version 1 {older_after:.4}, p95 {p95:.1} ms");
    assert!((before - 0.96).abs() <= 0.01, "{before}");
    assert!((after - 0.88).abs() <= 0.015, "{after}");
    assert!(
        older_after - after >= 0.05,
        "rolling back restores accuracy"
    );
    assert!((p95 - 50.0).abs() <= 3.0, "{p95}");

    let (added, memory, _) = run(&[("3", 1.0)], Some("2"));
    assert!(memory.predictions().all(|p| p.version == "3"));
    assert!(added.windows.iter().all(|w| w.version == "3"));
    let renumbered = |truth: &mlobs_scenarios::Truth| -> Vec<(i64, u64, u64, u64)> {
        truth
            .windows
            .iter()
            .map(|w| {
                (
                    w.window_start,
                    w.counts.predictions,
                    w.counts.labeled,
                    w.counts.correct,
                )
            })
            .collect()
    };
    assert_eq!(
        renumbered(&added),
        renumbered(&newer),
        "version 2's answers under number 3"
    );
}

#[test]
fn late_labels_toml_loses_accuracy_to_a_population_shift_labels_hours_later() {
    let scenario = shipped("late_labels.toml");
    assert!(scenario.play_time().unwrap() < Duration::from_secs(80));
    let start = parse_rfc3339("2026-02-02T08:00:00Z").unwrap();
    let shift = start + 90 * MINUTE;
    let (memory, truth) = play(scenario, 5 * MINUTE);
    let delays = memory.label_delays();
    assert!(delays
        .iter()
        .all(|d| (120 * MINUTE..=150 * MINUTE).contains(d)));
    // The world's accuracy of the predictions made before and after the
    // shift (labeled or not).
    let world = |from: i64, until: i64| {
        let (classified, right) = truth
            .windows
            .iter()
            .filter(|w| w.window_start >= from && w.window_end <= until)
            .fold((0, 0), |(n, r), w| {
                (n + w.counts.classified, r + w.counts.classified_right)
            });
        right as f64 / classified as f64
    };
    let (before, after) = (world(start, shift), world(shift, i64::MAX));
    println!("late_labels.toml: accuracy before {before:.4}, after {after:.4}");
    assert!((before - 0.86).abs() <= 0.02, "before the shift: {before}");
    assert!((after - 0.78).abs() <= 0.02, "after the shift: {after}");
    // No label of a window after the shift arrives within the run's 3 hours.
    assert!(memory
        .labels()
        .all(|l| l.event_time >= start + 120 * MINUTE));
}
