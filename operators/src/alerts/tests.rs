use mlobs_schemas::{AlertEvent, AlertStatus, FeatureDriftResult, WindowMetrics};

use super::{AlertThresholds, ModelAlerts};

const MINUTE: i64 = 60_000;

/// Window `i` (minute i) of version `version` with `labeled` labels of
/// which `accuracy` are correct and `predictions` predictions.
fn window(version: &str, i: i64, predictions: i64, labeled: i64, accuracy: f64) -> WindowMetrics {
    let correct = (labeled as f64 * accuracy).round() as i64;
    WindowMetrics {
        model: "churn".into(),
        version: version.into(),
        environment: "production".into(),
        window_start: i * MINUTE,
        window_end: (i + 1) * MINUTE,
        complete: true,
        predictions,
        labeled,
        correct,
        accuracy: (labeled > 0).then(|| correct as f64 / labeled as f64),
        latency_p95_ms: Some(30.0),
        latency_p99_ms: Some(45.0),
        ..WindowMetrics::default()
    }
}

fn healthy(i: i64) -> WindowMetrics {
    window("1", i, 1000, 500, 0.97)
}

fn run(
    alerts: &mut ModelAlerts,
    windows: &[WindowMetrics],
    champion: Option<&str>,
) -> Vec<AlertEvent> {
    let t = AlertThresholds::default();
    windows
        .iter()
        .flat_map(|w| alerts.on_window(w, &t, champion, 0.5))
        .collect()
}

fn rules(events: &[AlertEvent]) -> Vec<(&str, AlertStatus, i64)> {
    events
        .iter()
        .map(|e| (e.rule.as_str(), e.status, e.evidence.window_start / MINUTE))
        .collect()
}

#[test]
fn accuracy_slo_fires_on_the_second_bad_window_and_resolves_after_two_good_ones() {
    let mut alerts = ModelAlerts::new("churn");
    let windows = [
        healthy(0),
        window("1", 1, 1000, 500, 0.90),
        window("1", 2, 1000, 500, 0.90),
        window("1", 3, 1000, 500, 0.90),
        healthy(4),
        window("1", 5, 1000, 500, 0.90),
        healthy(6),
        healthy(7),
    ];
    let events = run(&mut alerts, &windows, None);
    assert_eq!(
        rules(&events),
        [
            ("accuracy_slo", AlertStatus::Firing, 2),
            ("accuracy_slo", AlertStatus::Resolved, 7)
        ]
    );
    let (fired, resolved) = (&events[0], &events[1]);
    assert_eq!(fired.alert_id, resolved.alert_id);
    assert_eq!(
        fired.started_at,
        3 * MINUTE,
        "the end of the window that made it fire"
    );
    assert_eq!(resolved.reason, "recovered");
    assert_eq!(fired.evidence.value, 0.9);
    assert_eq!(fired.evidence.threshold, 0.95);
    assert!(
        fired.summary.contains("90.0%") && fired.summary.contains("95.0% SLO"),
        "{}",
        fired.summary
    );
    assert_eq!(fired.severity, mlobs_schemas::Severity::Critical);
    assert_eq!(fired.source, "stream");
}

/// Window `i` of version 1 whose predictions' accuracy is estimated at
/// `estimate`, with a band of 0.02 either side, before any label.
fn estimated(i: i64, estimate: f64) -> WindowMetrics {
    WindowMetrics {
        accuracy_estimated: Some(estimate),
        accuracy_estimated_lower: Some(estimate - 0.02),
        accuracy_estimated_upper: Some(estimate + 0.02),
        ..window("1", i, 1000, 0, 0.0)
    }
}

#[test]
fn accuracy_estimated_fires_when_the_whole_band_is_below_the_slo() {
    let mut alerts = ModelAlerts::new("churn");
    // 0.94 +- 0.02 may still meet the 95% SLO: no breach.
    let windows = [
        estimated(0, 0.94),
        estimated(1, 0.94),
        estimated(2, 0.90),
        estimated(3, 0.90),
        estimated(4, 0.96),
        estimated(5, 0.96),
    ];
    let events = run(&mut alerts, &windows, Some("1"));
    assert_eq!(
        rules(&events),
        [
            ("accuracy_estimated", AlertStatus::Firing, 3),
            ("accuracy_estimated", AlertStatus::Resolved, 5),
        ]
    );
    assert!(
        events[0]
            .summary
            .contains("estimated accuracy 90.0% (band up to 92.0%)"),
        "{}",
        events[0].summary
    );
}

#[test]
fn a_window_with_too_few_labels_breaks_the_streak() {
    let mut alerts = ModelAlerts::new("churn");
    let windows = [
        window("1", 0, 1000, 500, 0.90),
        window("1", 1, 1000, 40, 0.90),
        window("1", 2, 1000, 500, 0.90),
    ];
    assert!(run(&mut alerts, &windows, None).is_empty());
    let more = run(&mut alerts, &[window("1", 3, 1000, 500, 0.90)], None);
    assert_eq!(rules(&more), [("accuracy_slo", AlertStatus::Firing, 3)]);
}

#[test]
fn a_replayed_window_changes_nothing_and_persisted_state_continues_the_same_way() {
    let bad = |i| window("1", i, 1000, 500, 0.90);
    let mut straight = ModelAlerts::new("churn");
    let expected = run(
        &mut straight,
        &[bad(0), bad(1), healthy(2), healthy(3)],
        None,
    );
    assert_eq!(expected.len(), 2);

    let mut first = ModelAlerts::new("churn");
    let mut events = run(&mut first, &[bad(0), bad(1)], None);
    let saved = serde_json::to_string(&first).unwrap();
    let mut restarted: ModelAlerts = serde_json::from_str(&saved).unwrap();
    // The restart re-reads the last window before the new ones.
    events.extend(run(&mut restarted, &[bad(1), healthy(2), healthy(3)], None));
    assert_eq!(events, expected);
}

#[test]
fn an_alert_of_a_version_without_traffic_resolves_after_for_windows_empty_windows() {
    let t = AlertThresholds::default();
    let mut alerts = ModelAlerts::new("churn");
    let fired = run(
        &mut alerts,
        &[
            window("4", 0, 1000, 500, 0.5),
            window("4", 1, 1000, 500, 0.5),
        ],
        None,
    );
    assert_eq!(fired.len(), 1);
    assert!(
        alerts.on_clock(3 * MINUTE, &t).is_empty(),
        "one empty window is not enough"
    );
    let resolved = alerts.on_clock(5 * MINUTE, &t);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].alert_id, fired[0].alert_id);
    assert_eq!(resolved[0].reason, "no_traffic");
    assert_eq!(
        resolved[0].updated_at,
        4 * MINUTE,
        "dated by the windows, not by when it was noticed"
    );
    assert!(alerts.on_clock(9 * MINUTE, &t).is_empty(), "resolved once");
}

#[test]
fn a_gap_of_empty_windows_resolves_before_the_next_window_counts() {
    let mut alerts = ModelAlerts::new("churn");
    let bad = |i| window("1", i, 1000, 500, 0.90);
    let events = run(&mut alerts, &[bad(0), bad(1), bad(5), bad(6)], None);
    let statuses: Vec<_> = events
        .iter()
        .map(|e| (e.status, e.reason.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            (AlertStatus::Firing, ""),
            (AlertStatus::Resolved, "no_traffic"),
            (AlertStatus::Firing, "")
        ]
    );
    assert_ne!(
        events[0].alert_id, events[2].alert_id,
        "a new alert after the gap"
    );
}

#[test]
fn a_version_worse_than_the_champion_regresses_with_the_seeds_summary() {
    let mut alerts = ModelAlerts::new("churn");
    let mut events = Vec::new();
    for i in 0..3 {
        // The candidate's window may complete before the champion's.
        events.extend(run(
            &mut alerts,
            &[window("4", i, 2000, 1000, 0.93)],
            Some("3"),
        ));
        events.extend(run(
            &mut alerts,
            &[window("3", i, 2000, 1000, 0.96)],
            Some("3"),
        ));
    }
    let regressions: Vec<_> = events
        .iter()
        .filter(|e| e.rule == "version_regression")
        .collect();
    assert_eq!(regressions.len(), 1, "{events:#?}");
    let alert = regressions[0];
    assert_eq!(alert.version, "4");
    assert_eq!(alert.details["champion"], "3");
    assert_eq!(
        alert.evidence.window_start, MINUTE,
        "fires once two shared windows are pooled"
    );
    assert!(
        alert
            .summary
            .starts_with("v4 accuracy (93.0%) < v3 baseline (96.0%), degradation -3.0 pts"),
        "{}",
        alert.summary
    );
}

#[test]
fn a_small_difference_on_few_labels_is_not_a_regression() {
    let mut alerts = ModelAlerts::new("churn");
    let mut windows = Vec::new();
    for i in 0..4 {
        windows.push(window("3", i, 300, 150, 0.96));
        windows.push(window("4", i, 300, 150, 0.93));
    }
    let events = run(&mut alerts, &windows, Some("3"));
    assert!(
        events.iter().all(|e| e.rule != "version_regression"),
        "{events:#?}"
    );
}

fn drift(feature: &str, drifted: bool) -> FeatureDriftResult {
    FeatureDriftResult {
        feature: feature.into(),
        method: "psi".into(),
        score: Some(if drifted { 0.4 } else { 0.01 }),
        threshold: 0.1,
        drift_detected: drifted,
        status: if drifted { "drifted" } else { "ok" }.into(),
        ..FeatureDriftResult::default()
    }
}

#[test]
fn feature_drift_alerts_only_on_critical_features_and_names_the_feature() {
    let t = AlertThresholds {
        critical_features: vec!["monthly_charges".into()],
        ..AlertThresholds::default()
    };
    let mut alerts = ModelAlerts::new("churn");
    let mut events = Vec::new();
    for i in 0..2 {
        let mut w = healthy(i);
        w.drift = vec![
            drift("monthly_charges", true),
            drift("tenure", true),
            drift("age", false),
        ];
        w.share_drifted = 2.0 / 3.0;
        w.dataset_drift = true;
        events.extend(alerts.on_window(&w, &t, None, 0.5));
    }
    let fired: Vec<_> = events
        .iter()
        .map(|e| (e.rule.as_str(), e.evidence.metric.as_str()))
        .collect();
    assert_eq!(
        fired,
        [
            ("feature_drift", "drift_score:monthly_charges"),
            ("dataset_drift", "share_drifted")
        ]
    );
    assert_eq!(events[0].details["feature"], "monthly_charges");
}

#[test]
fn an_error_type_that_stops_occurring_resolves() {
    let mut alerts = ModelAlerts::new("churn");
    let failing = |i| {
        let mut w = healthy(i);
        w.errors = [("timeout".to_string(), 80)].into();
        w
    };
    let events = run(
        &mut alerts,
        &[failing(0), failing(1), healthy(2), healthy(3)],
        None,
    );
    assert_eq!(
        rules(&events),
        [
            ("error_rate", AlertStatus::Firing, 1),
            ("error_rate", AlertStatus::Resolved, 3)
        ]
    );
    assert_eq!(events[0].evidence.metric, "error_rate:timeout");
    assert_eq!(events[0].evidence.value, 0.08);
}

#[test]
fn volume_falling_by_more_than_half_of_its_recent_mean_fires_and_stays_firing() {
    let mut alerts = ModelAlerts::new("churn");
    let mut windows: Vec<_> = (0..6).map(healthy).collect();
    windows.extend((6..12).map(|i| window("1", i, 300, 150, 0.97)));
    let events = run(&mut alerts, &windows, None);
    assert_eq!(
        rules(&events),
        [("prediction_volume", AlertStatus::Firing, 7)]
    );
    assert_eq!(events[0].evidence.threshold, 500.0);
}

#[test]
fn thresholds_name_what_is_wrong() {
    let t = AlertThresholds {
        for_windows: 0,
        min_accuracy: 95.0,
        latency_p95_ms: -1.0,
        ..AlertThresholds::default()
    };
    let problems = t.problems().join("; ");
    assert!(problems.contains("for_windows = 0"), "{problems}");
    assert!(problems.contains("min_accuracy = 95"), "{problems}");
    assert!(problems.contains("latency_p95_ms = -1"), "{problems}");
    assert!(AlertThresholds::default().problems().is_empty());
}
