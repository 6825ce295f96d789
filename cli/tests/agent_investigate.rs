//! `mlobs agent investigate` on scenarios played through the real stack
//! (Kafka, ClickHouse, MLflow): each test simulates a scenario into its own
//! topics and database, runs the pipeline, and asserts the diagnosis
//! field by field once the history holds the incident.

mod support;

use serde_json::Value;
use support::investigate::{alerts, detection, report_once};
use support::{stop_gracefully, Pipeline, DEADLINE};

#[test]
fn drift_is_diagnosed_as_data_drift_on_monthly_charges_with_retrain_first() {
    let mut pipeline = Pipeline::new("investigate-drift", 2);
    pipeline.set("MLOBS_WINDOWS_SIZE_MS", "600000");
    let truth = pipeline.simulate("drift.toml");
    let run = pipeline.start("run", &[]);
    pipeline.wait_for(&truth, DEADLINE);
    let report = report_once(&pipeline, "churn", |r| {
        let a = alerts(r);
        a.contains(&"accuracy_slo") && a.contains(&"feature_drift")
    });
    println!("{report:#}");
    assert_eq!(report["model"], "churn");
    assert_eq!(report["window_start"], "2026-01-05T09:00:00Z");
    assert_eq!(report["root_cause"]["category"], "data.drift", "{report:#}");
    assert_eq!(report["root_cause"]["feature"], "monthly_charges");
    assert_eq!(report["root_cause"]["version"], Value::Null);
    assert!(report["confidence"].as_f64().unwrap() >= 0.5);
    let evidence = report["evidence"].as_array().unwrap();
    assert!(
        evidence
            .iter()
            .any(|e| e["source"] == "clickhouse:feature_drift"
                && e["metric"].as_str().unwrap().starts_with("monthly_charges")),
        "{report:#}"
    );
    // The profiles against the baseline: drift.toml multiplies by 1.25.
    let mean = evidence
        .iter()
        .find(|e| e["metric"] == "monthly_charges.mean")
        .unwrap_or_else(|| panic!("no mean line: {report:#}"));
    let ratio = mean["value"].as_f64().unwrap() / mean["baseline"].as_f64().unwrap();
    assert!((ratio - 1.25).abs() < 0.05, "{mean}");
    let actions = report["proposed_actions"].as_array().unwrap();
    assert_eq!(
        actions[0]["action"], "retrain",
        "one version: nothing to roll back to"
    );
    assert_eq!(actions[0]["target_version"], Value::Null);
    let rejected: Vec<&str> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert!(rejected.contains(&"model.version_bug"), "{rejected:?}");
    // drift.toml's change starts at 10:00.
    detection(&pipeline, "2026-01-05T10:00:00Z", 600_000);

    // The text format and the errors a user can make.
    let text = pipeline.succeed(&["agent", "investigate", "--model", "churn"]);
    assert!(
        text.contains("root cause: data.drift (feature monthly_charges)"),
        "{text}"
    );
    let unknown = pipeline
        .mlobs(&["agent", "investigate", "--model", "nope"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("known models: churn"), "{stderr}");
    let bad_since = pipeline
        .mlobs(&[
            "agent",
            "investigate",
            "--model",
            "churn",
            "--since",
            "yesterday",
        ])
        .output()
        .unwrap();
    assert_eq!(bad_since.status.code(), Some(2));
    stop_gracefully(run);
}

#[test]
fn a_buggy_canary_is_diagnosed_as_a_version_bug_with_rollback_to_the_champion() {
    let (pipeline, model, scenario) = Pipeline::on_registry("investigate-rollout", "rollout.toml");
    let run = pipeline.start("run", &[]);
    let simulator = pipeline.simulate_registered(&scenario);
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);
    let report = report_once(&pipeline, &model, |r| {
        alerts(r).contains(&"version_regression")
    });
    println!("{report:#}");
    assert_eq!(report["model"], model.as_str());
    assert_eq!(
        report["root_cause"]["category"], "model.version_bug",
        "{report:#}"
    );
    assert_eq!(report["root_cause"]["version"], "2");
    let actions = report["proposed_actions"].as_array().unwrap();
    assert_eq!(actions[0]["action"], "rollback", "{report:#}");
    assert_eq!(actions[0]["target_version"], "1", "the champion");
    // The bug serves from the start (09:00).
    detection(&pipeline, "2026-01-05T09:00:00Z", 600_000);
    stop_gracefully(run);
}
