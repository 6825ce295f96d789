//! The sinks against the real services: the ClickHouse history holds every
//! event and the truth, survives an outage without loss or duplicates, and
//! a real Prometheus scraping the pipeline sees the windows' accuracy.

mod support;

use std::time::{Duration, Instant};

use mlobs_testkit::services::PrivateService;
use mlobs_testkit::wait_until;
use serde_json::Value;
use support::services::{get, prometheus};
use support::{counts, stop_gracefully, Pipeline, DEADLINE};

/// Sum of one count over the windows of a truth (or of `mlobs windows`).
fn total(windows: &Value, key: &str) -> f64 {
    windows
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w[key].as_u64().unwrap() as f64)
        .sum()
}

/// Waits until the history holds one row per prediction and per joined
/// label, and the truth's window counts.
fn wait_for_history(pipeline: &Pipeline, truth: &Value) {
    let (sent, labeled) = (total(truth, "predictions"), total(truth, "labeled"));
    wait_until(DEADLINE, "the history to hold every event", || {
        let predictions = pipeline.history_number("SELECT count() FROM {db}.inference_log FINAL");
        let outcomes = pipeline.history_number("SELECT count() FROM {db}.outcomes FINAL");
        (predictions == sent && outcomes == labeled).then_some(())
    });
    assert_eq!(pipeline.history_windows(), counts(truth));
    let distinct = pipeline.history_number("SELECT uniqExact(prediction_id) FROM {db}.outcomes");
    assert_eq!(distinct, labeled, "one outcome per labeled prediction");
}

#[test]
fn migrate_creates_every_table_and_is_safe_to_repeat() {
    let mut pipeline = Pipeline::new("migrate", 1);
    for _ in 0..2 {
        let said = pipeline.succeed(&["clickhouse", "migrate"]);
        assert!(said.contains(&pipeline.database()), "{said}");
    }
    let tables: Vec<String> = pipeline
        .history("SELECT name FROM system.tables WHERE database = '{db}' ORDER BY name")
        .iter()
        .map(|row| row["name"].as_str().unwrap().to_string())
        .collect();
    let expected = [
        "agent_actions",
        "alerts",
        "feature_drift",
        "incidents",
        "inference_log",
        "outcomes",
        "registry_events",
        "window_metrics",
    ];
    assert_eq!(tables, expected);
    pipeline.set("MLOBS_CLICKHOUSE_URL", "");
    let output = pipeline.mlobs(&["clickhouse", "migrate"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("clickhouse.url"), "{stderr}");
}

#[test]
fn the_history_holds_every_event_and_the_truth() {
    let pipeline = Pipeline::new("history", 2);
    let truth = pipeline.simulate("drift.toml");
    let run = pipeline.start("run", &[]);
    pipeline.wait_for(&truth, DEADLINE);
    wait_for_history(&pipeline, &truth);
    // One uninterrupted run writes each row once: even before merges (no
    // FINAL) nothing is doubled.
    let raw = pipeline.history_number("SELECT count() FROM {db}.inference_log");
    assert_eq!(raw, total(&truth, "predictions"));
    let drift_rows = pipeline.history_number(
        "SELECT count() FROM {db}.feature_drift FINAL \
         WHERE feature = 'monthly_charges' AND drifted = 1",
    );
    assert!(drift_rows > 0.0, "the drifted feature is in feature_drift");
    stop_gracefully(run);
}

#[test]
fn a_clickhouse_outage_pauses_the_history_and_loses_nothing() {
    // A ClickHouse of this test's own: stopping the shared one would hit
    // every test running beside this one.
    let clickhouse = PrivateService::clickhouse();
    let mut pipeline = Pipeline::new("outage", 2);
    pipeline.set("MLOBS_CLICKHOUSE_URL", &clickhouse.url());
    let run = pipeline.start("run", &[]);
    let address = pipeline.serving("run");
    let scenario = pipeline.scenario_at_speed("drift.toml", 300);
    let simulator = pipeline.simulate_in_background(&scenario);
    wait_until(DEADLINE, "the pipeline to write history", || {
        let rows = pipeline.history_number("SELECT count() FROM {db}.inference_log");
        (rows >= 2_000.0).then_some(())
    });
    clickhouse.down();
    let stopped = Instant::now();
    wait_until(DEADLINE, "/readyz to report ClickHouse", || {
        let (status, body) = get(&format!("http://{address}/readyz"))?;
        (status == 503 && body.contains("ClickHouse")).then_some(())
    });
    // The outage lasts about 30 s while traffic goes on; the pipeline must
    // stay up and ready to resume throughout.
    while stopped.elapsed() < Duration::from_secs(30) {
        assert!(get(&format!("http://{address}/healthz")).is_some_and(|(s, _)| s == 200));
        std::thread::sleep(Duration::from_millis(500));
    }
    let failures = pipeline.metric("run", "mlobs_sink_write_failures_total", "clickhouse");
    assert!(
        failures > Some(0.0),
        "the inserts failed meanwhile: {failures:?}"
    );
    clickhouse.up();
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);
    wait_for_history(&pipeline, &truth);
    wait_until(DEADLINE, "/readyz to recover", || {
        let (status, _) = get(&format!("http://{address}/readyz"))?;
        (status == 200).then_some(())
    });
    stop_gracefully(run);
}

#[test]
fn prometheus_sees_the_accuracy_the_windows_report() {
    // Baselines are read when `mlobs run` starts, and the simulator writes
    // them: a first, quick play on topics of its own provides them.
    let setup = Pipeline::new("prometheus-setup", 1);
    setup.simulate("drift.toml");
    let mut pipeline = Pipeline::new("prometheus", 2);
    let baselines = setup.dir.join("baselines").display().to_string();
    pipeline.set("MLOBS_BASELINES_DIR", &baselines);
    let run = pipeline.start("run", &[]);
    let address = pipeline.metrics_address("run");
    let _target = pipeline.scrape(&address);
    assert_eq!(
        get(&format!("http://{address}/healthz")).map(|(s, _)| s),
        Some(200)
    );
    // About a minute of traffic: Prometheus's rate() ignores what a counter
    // held at its first scrape, so that first second must be a small part.
    let truth = pipeline.simulate(&pipeline.scenario_at_speed("drift.toml", 150));
    let windows = pipeline.wait_for(&truth, DEADLINE);
    let (labeled, correct) = (total(&windows, "labeled"), total(&windows, "correct"));
    let test = format!("test=\"{}\"", pipeline.prefix);
    wait_until(DEADLINE, "Prometheus to scrape the final counts", || {
        let scraped = prometheus(&format!("sum(model_predictions_labeled_total{{{test}}})"));
        (scraped == Some(labeled)).then_some(())
    });
    let sent = prometheus(&format!("sum(model_predictions_total{{{test}}})"));
    assert_eq!(sent, Some(total(&truth, "predictions")));
    let accuracy = prometheus(&format!(
        "sum(rate(model_predictions_correct_total{{{test}}}[5m])) \
         / sum(rate(model_predictions_labeled_total{{{test}}}[5m]))"
    ))
    .expect("the accuracy query has a value");
    let expected = correct / labeled;
    assert!(
        (accuracy - expected).abs() < 0.01,
        "Prometheus says {accuracy:.4}, the windows {expected:.4}"
    );
    for series in [
        "model_inference_latency_ms_bucket",
        "model_prediction_confidence_bucket",
        "model_accuracy",
        "model_feature_drift_score",
        "model_feature_drifted",
        "model_dataset_drift_share",
        "mlobs_consumer_lag",
        "mlobs_sink_write_duration_seconds_count",
        "mlobs_join_pending_predictions",
    ] {
        let present = prometheus(&format!("count({series}{{{test}}})"));
        assert!(present.is_some_and(|n| n > 0.0), "{series} is scraped");
    }
    let drifted = prometheus(&format!(
        "max(model_feature_drifted{{{test},feature=\"monthly_charges\"}})"
    ));
    assert_eq!(
        drifted,
        Some(1.0),
        "the last window shows the drifted feature"
    );
    assert_eq!(
        get(&format!("http://{address}/readyz")).map(|(s, _)| s),
        Some(200)
    );
    stop_gracefully(run);
}
