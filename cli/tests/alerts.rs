//! Stage 2's alert rules on the real broker: scenarios/drift.toml makes the
//! accuracy SLO and the drift of monthly_charges alert within two windows
//! of the change and not before; when the drift ends they resolve; and a
//! crash of the only instance while alerting changes no alert.

mod support;

use std::collections::BTreeSet;

use mlobs_testkit::wait_until;
use serde_json::Value;
use support::{crash, stop_gracefully, Pipeline, DEADLINE};

/// (rule, subject, status, evidence window start as RFC 3339 minute) of
/// every alert; the subject is the drifted feature, if any.
fn summary(alerts: &Value) -> BTreeSet<(String, String, String, i64)> {
    alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["details"]["feature"].as_str().unwrap_or("").to_string(),
                a["status"].as_str().unwrap().to_string(),
                a["started_at"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Milliseconds since the epoch of a time on 2026-01-05 (the scenario's day).
fn at(hh_mm: &str) -> i64 {
    mlobs_schemas::time::parse_rfc3339(&format!("2026-01-05T{hh_mm}:00Z")).unwrap()
}

fn ten_minute_windows(name: &str, partitions: i32) -> Pipeline {
    let mut pipeline = Pipeline::new(name, partitions);
    pipeline.set("MLOBS_WINDOWS_SIZE_MS", "600000");
    pipeline
}

/// Waits until `mlobs alerts` lists `count` alerts, `resolved` of them
/// resolved, then returns them.
fn alerts_once(pipeline: &Pipeline, count: usize, resolved: usize) -> Value {
    wait_until(DEADLINE, "the alerts of the scenario", || {
        let alerts = pipeline.alerts();
        let list = alerts.as_array().unwrap();
        let done = list.iter().filter(|a| a["status"] == "resolved").count();
        (list.len() >= count && done >= resolved).then_some(alerts)
    })
}

#[test]
fn drift_fires_the_accuracy_and_feature_alerts_within_two_windows_and_not_before() {
    let pipeline = ten_minute_windows("alerts-drift", 2);
    // The baselines are written by the simulator; the pipeline reads them at start.
    let truth = pipeline.simulate("drift.toml");
    let run = pipeline.start("run", &[]);
    pipeline.wait_for(&truth, DEADLINE);
    let alerts = alerts_once(&pipeline, 2, 0);
    // The drift starts at 10:00; the second drifted window ends at 10:20.
    let expected = BTreeSet::from([
        (
            "accuracy_slo".into(),
            "".into(),
            "firing".into(),
            at("10:20"),
        ),
        (
            "feature_drift".into(),
            "monthly_charges".into(),
            "firing".into(),
            at("10:20"),
        ),
    ]);
    assert_eq!(summary(&alerts), expected, "{alerts:#}");
    for alert in alerts.as_array().unwrap() {
        assert_eq!(alert["model"], "churn");
        assert_eq!(alert["source"], "stream");
        assert_eq!(
            alert["evidence"]["window_start"].as_i64(),
            Some(at("10:10"))
        );
    }
    stop_gracefully(run);
}

/// scenarios/drift.toml with the drift ending at `until` (from the start).
fn drift_until(pipeline: &Pipeline, until: &str) -> String {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/drift.toml");
    let text = std::fs::read_to_string(shipped).unwrap();
    let path = pipeline.path("drift-until.toml");
    std::fs::write(&path, format!("{text}until = \"{until}\"\n")).unwrap();
    path.display().to_string()
}

#[test]
fn alerts_resolve_when_the_drift_ends_and_a_crash_while_alerting_changes_no_alert() {
    // Without a crash.
    let calm = ten_minute_windows("alerts-until", 2);
    let truth = calm.simulate(&drift_until(&calm, "1h40m"));
    let run = calm.start("run", &[]);
    calm.wait_for(&truth, DEADLINE);
    let expected = alerts_once(&calm, 2, 2);
    stop_gracefully(run);
    let resolved: Vec<&Value> = expected
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "resolved")
        .collect();
    assert_eq!(resolved.len(), 2, "both alerts resolve: {expected:#}");
    // The drift ends at 10:40: its second window without drift ends at
    // 11:00. Accuracy counts labels when they arrive (minutes later), so the
    // 10:40 window still holds wrong answers of the drift (94.3%): the
    // accuracy alert resolves one window later.
    for (rule, resolved_at) in [("feature_drift", "11:00"), ("accuracy_slo", "11:10")] {
        let alert = resolved.iter().find(|a| a["rule"] == rule).unwrap();
        assert_eq!(alert["reason"], "recovered");
        assert_eq!(
            alert["updated_at"].as_i64(),
            Some(at(resolved_at)),
            "{alert:#}"
        );
    }

    // The same scenario, killing the only instance once the first alert is out.
    let crashed = ten_minute_windows("alerts-crash", 2);
    let simulator = crashed.simulate_in_background(&drift_until(&crashed, "1h40m"));
    let baseline = crashed.path("baselines/churn/1.json");
    wait_until(DEADLINE, "the simulator's baseline", || {
        baseline.exists().then_some(())
    });
    let first = crashed.start("only", &[]);
    wait_until(DEADLINE, "the first alert", || {
        (!crashed.alerts().as_array().unwrap().is_empty()).then_some(())
    });
    crash(first);
    let second = crashed.start("only", &[]);
    let truth = crashed.background_truth(simulator);
    crashed.wait_for(&truth, DEADLINE);
    let after_crash = alerts_once(&crashed, 2, 2);
    stop_gracefully(second);

    let ids = |alerts: &Value| -> BTreeSet<(String, String)> {
        alerts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["alert_id"].as_str().unwrap().into(),
                    a["status"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    // Ids hash the prefix-free identity (rule, model, version, subject, time):
    // the same in both runs.
    assert_eq!(ids(&after_crash), ids(&expected));
    assert_eq!(summary(&after_crash), summary(&expected));
}
