//! Serving follows the registry (real Kafka, ClickHouse, MLflow):
//! scenarios/rollout.toml registers its versions and tries a buggy one on
//! half the traffic; stage 2 names it in a version regression against the
//! champion; `mlobs model rollback` while it plays stops it within seconds,
//! and the alert resolves once the version has no traffic.

mod support;

use mlobs_schemas::PredictionEvent;
use mlobs_testkit::wait_until;
use serde_json::Value;
use support::topic_reader::TopicReader;
use support::{stop_gracefully, Pipeline, DEADLINE};

/// rollout.toml's speedup: event-time seconds per wall second.
const SPEEDUP: i64 = 180;

/// The newest state of `model`'s version_regression alert, once `ready`.
fn regression(pipeline: &Pipeline, ready: impl Fn(&Value) -> bool) -> Value {
    wait_until(DEADLINE, "the version regression alert", || {
        pipeline
            .alerts()
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == "version_regression" && ready(a))
            .cloned()
    })
}

#[test]
fn a_buggy_canary_regresses_and_a_rollback_stops_it_within_seconds() {
    let (pipeline, model, scenario) = Pipeline::on_registry("rollout", "rollout.toml");
    let run = pipeline.start("run", &[]);
    let mut predictions =
        TopicReader::<PredictionEvent>::new(&pipeline.brokers(), &pipeline.topic("predictions"));
    let simulator = pipeline.simulate_registered(&scenario);

    let fired = regression(&pipeline, |a| a["status"] == "firing");
    assert_eq!(fired["model"], model.as_str());
    assert_eq!(
        fired["version"], "2",
        "the buggy version, numbered by MLflow"
    );
    assert_eq!(fired["details"]["champion"], "1");
    let summary = fired["summary"].as_str().unwrap();
    assert!(summary.starts_with("v2 accuracy ("), "{summary}");
    assert!(summary.contains("< v1 baseline ("), "{summary}");

    // Everything read now was sent before the rollback: the last version 2
    // prediction's distance from the newest of them bounds how long version
    // 2 served on (plus the reader's lag).
    let before_rollback = wait_until(DEADLINE, "predictions to be read", || {
        predictions.read().iter().map(|(_, p)| p.event_time).max()
    });
    pipeline.succeed(&[
        "model",
        "rollback",
        &model,
        "--to",
        "1",
        "--by",
        "test",
        "--reason",
        "canary regressed",
    ]);

    let truth = pipeline.background_truth(simulator);
    let all = predictions.read_for(std::time::Duration::from_secs(3));
    let last_v2 = all
        .iter()
        .filter(|(_, p)| p.version == "2")
        .map(|(_, p)| p.event_time)
        .max()
        .unwrap();
    let seconds_after = (last_v2 - before_rollback) as f64 / 1000.0 / SPEEDUP as f64;
    println!("the last prediction of version 2 was {seconds_after:.1} s (wall) after the rollback");
    assert!(
        seconds_after < 10.0,
        "version 2 served {seconds_after:.1} s after the rollback"
    );
    assert!(
        all.iter()
            .any(|(_, p)| p.version == "1" && p.event_time > last_v2 + 60_000),
        "version 1 serves on"
    );

    // The truth says which version served each prediction; the pipeline agrees.
    pipeline.wait_for(&truth, DEADLINE);
    let resolved = regression(&pipeline, |a| {
        a["alert_id"] == fired["alert_id"] && a["status"] == "resolved"
    });
    assert_eq!(resolved["reason"], "no_traffic");
    stop_gracefully(run);
}
