//! The Grafana dashboards against live data. scenarios/dashboards.toml plays
//! through the pipeline on the real stack while the test rolls version 2
//! out through the registry (10% -> 50% -> promoted). A Prometheus of the
//! test's own scrapes the pipeline with the shipped rules (their `for:`
//! cut, as `for:` counts wall time), ClickHouse fills up. Then every query
//! of every checked-in dashboard runs with the variables filled in as
//! Grafana fills them: PromQL through Prometheus's HTTP API over the run's
//! wall-clock span, SQL through ClickHouse over the scenario's event-time
//! span (registry changes, stamped with wall time, over the wall-clock
//! span). Each must return data of its panel's shape, so a renamed metric
//! or column fails here; the accuracy and traffic-share panels must match
//! the simulator's truth within one point.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mlobs_dashboards::check;
use mlobs_schemas::PredictionEvent;
use mlobs_testkit::services::{free_port, PrivateService};
use mlobs_testkit::{brokers, wait_until};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;
use serde_json::{json, Value};
use support::grafana::{dashboards, panel_rows, run, Selection, Span};
use support::services::{fast_rules, prometheus_at};
use support::topic_reader::TopicReader;
use support::{Pipeline, DEADLINE};

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The version of each window as the truth has it:
/// (window start as ClickHouse prints it in UTC, "v<version>") -> counts.
fn truth_by_window(truth: &Value) -> BTreeMap<(String, String), (f64, f64, f64)> {
    let mut windows = BTreeMap::new();
    for w in truth.as_array().unwrap() {
        let start = w["window_start"].as_str().unwrap();
        let start = start.trim_end_matches('Z').replace('T', " ");
        let key = (start, format!("v{}", w["version"].as_str().unwrap()));
        let n = |k: &str| w[k].as_f64().unwrap();
        windows.insert(key, (n("predictions"), n("labeled"), n("correct")));
    }
    windows
}

/// Moves version 2 to half the traffic once the servers are 40 minutes
/// into the scenario's event time, and promotes it at 80 minutes.
fn roll_out(pipeline: &Pipeline, model: &str) {
    let mut predictions =
        TopicReader::<PredictionEvent>::new(&pipeline.brokers(), &pipeline.topic("predictions"));
    let start = mlobs_schemas::time::parse_rfc3339("2026-01-05T09:00:00Z").unwrap();
    let mut at_minute = |minutes: i64| {
        let what = format!("predictions {minutes} minutes into the scenario");
        wait_until(DEADLINE, &what, || {
            let newest = predictions.read().iter().map(|(_, p)| p.event_time).max();
            newest.filter(|t| *t >= start + minutes * 60_000)
        });
    };
    at_minute(40);
    let audit = ["--by", "test", "--reason", "rollout step"];
    let traffic = ["model", "traffic", model, "--share", "0.5"];
    pipeline.succeed(&[&traffic[..], &audit].concat());
    at_minute(80);
    let promote = ["model", "promote", model, "--version", "2"];
    pipeline.succeed(&[&promote[..], &audit].concat());
}

/// One undecodable record on the predictions topic: a dead letter.
fn send_junk(pipeline: &Pipeline) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let topic = pipeline.topic("predictions");
    producer
        .send(BaseRecord::to(&topic).key("junk").payload(&b"not avro"[..]))
        .unwrap();
    producer.flush(Duration::from_secs(30)).unwrap();
}

#[test]
fn every_dashboard_query_returns_live_data_of_its_panels_shape() {
    let (pipeline, model, scenario) = Pipeline::on_registry("dashboards", "dashboards.toml");
    // No Alertmanager: the dashboards read ALERTS, not notifications.
    let prometheus = PrivateService::prometheus(&fast_rules(&pipeline.dir), free_port());
    let _run = pipeline.start("run", &[]);
    let targets = json!([{"targets": [pipeline.metrics_address("run")]}]);
    std::fs::write(
        prometheus.scrape_targets().join("pipeline.json"),
        targets.to_string(),
    )
    .unwrap();
    let wall_start = now_s();
    let simulator = pipeline.simulate_registered(&scenario);
    roll_out(&pipeline, &model);
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);
    send_junk(&pipeline);
    let url = prometheus.url();
    wait_until(DEADLINE, "the dead letter in Prometheus", || {
        prometheus_at(&url, "sum(mlobs_records_rejected_total)").filter(|n| *n >= 1.0)
    });
    let firing = format!(r#"count(ALERTS{{alertstate="firing", model="{model}"}})"#);
    wait_until(DEADLINE, "a firing alert in Prometheus", || {
        prometheus_at(&url, &firing)
    });
    let wall = Span {
        start_s: wall_start - 30,
        end_s: now_s() + 5,
    };
    let truth_windows = truth_by_window(&truth);
    let first = truth.as_array().unwrap().first().unwrap()["window_start"]
        .as_str()
        .unwrap();
    let last = truth.as_array().unwrap().last().unwrap()["window_end"]
        .as_str()
        .unwrap();
    let events = Span {
        start_s: mlobs_schemas::time::parse_rfc3339(first).unwrap() / 1000,
        end_s: mlobs_schemas::time::parse_rfc3339(last).unwrap() / 1000,
    };
    let all = Selection {
        model: &model,
        environment: "simulation",
        version: None,
    };

    // Every query, with all versions and with one picked (a filter that
    // the SQL shadows with an alias shows there).
    let only_2 = Selection {
        version: Some("2"),
        ..all
    };
    let mut failures = Vec::new();
    let mut ran = 0;
    for dashboard in dashboards() {
        for query in check::queries(&dashboard) {
            for selection in [&all, &only_2] {
                ran += 1;
                match run(&pipeline, &url, &query, selection, wall, events) {
                    Ok(answer) if query.place == "variable version" => {
                        let versions: Vec<&Value> = answer["data"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|r| &r[0])
                            .collect();
                        assert_eq!(versions, [&json!("1"), &json!("2")], "the version variable");
                    }
                    Ok(_) => {}
                    Err(why) => failures.push(format!(
                        "{} / {} (version {:?}): {why}",
                        dashboard["uid"], query.place, selection.version
                    )),
                }
            }
        }
    }
    println!("{ran} queries ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} queries failed: {failures:#?}",
        failures.len()
    );

    // The check itself fails on a metric or a column that is gone.
    let dashboard = dashboards()
        .into_iter()
        .find(|d| d["uid"] == "mlobs-performance")
        .unwrap();
    let queries = check::queries(&dashboard);
    let mut renamed = queries
        .iter()
        .find(|q| q.place == "Predictions per second")
        .unwrap()
        .clone();
    renamed.text = renamed
        .text
        .replace("model_predictions_total", "model_predictions_renamed_total");
    assert!(run(&pipeline, &url, &renamed, &all, wall, events).is_err());
    let dashboard = dashboards()
        .into_iter()
        .find(|d| d["uid"] == "mlobs-comparison")
        .unwrap();
    let mut renamed = check::queries(&dashboard)
        .into_iter()
        .find(|q| q.place == "Accuracy per window")
        .unwrap();
    renamed.text = renamed.text.replace("sum(labeled)", "sum(labelled)");
    assert!(run(&pipeline, &url, &renamed, &all, wall, events).is_err());

    // The history panels say what the simulator sent, window by window.
    let accuracy = panel_rows(
        &pipeline,
        "mlobs-comparison",
        "Accuracy per window",
        &all,
        events,
    );
    let labeled = truth_windows
        .values()
        .filter(|(_, labeled, _)| *labeled > 0.0)
        .count();
    assert_eq!(
        accuracy.len(),
        labeled,
        "one point per labeled (window, version)"
    );
    let mut largest_gap: f64 = 0.0;
    for row in &accuracy {
        let key = (
            row[0].as_str().unwrap().to_string(),
            row[1].as_str().unwrap().to_string(),
        );
        let (_, labeled, correct) = truth_windows[&key];
        let shown = support::services::number(&row[2]);
        largest_gap = largest_gap.max((shown - correct / labeled).abs());
        assert!(
            (shown - correct / labeled).abs() <= 0.01,
            "{key:?}: {shown} shown, truth {}",
            correct / labeled
        );
    }
    println!(
        "accuracy panel: {} points, largest difference from the truth {largest_gap:.2e}",
        accuracy.len()
    );
    let share = panel_rows(
        &pipeline,
        "mlobs-rollout",
        "Traffic share per window",
        &all,
        events,
    );
    let served = truth_windows
        .values()
        .filter(|(predictions, _, _)| *predictions > 0.0);
    assert_eq!(
        share.len(),
        served.count(),
        "one point per (window, version)"
    );
    let mut shares_of_v2 = Vec::new();
    for row in &share {
        let key = (
            row[0].as_str().unwrap().to_string(),
            row[1].as_str().unwrap().to_string(),
        );
        let total: f64 = truth_windows
            .iter()
            .filter(|((start, _), _)| *start == key.0)
            .map(|(_, c)| c.0)
            .sum();
        let expected = truth_windows[&key].0 / total;
        let shown = support::services::number(&row[2]);
        assert!(
            (shown - expected).abs() <= 0.01,
            "{key:?}: share {shown} shown, truth {expected}"
        );
        if key.1 == "v2" {
            shares_of_v2.push(shown);
        }
    }
    println!("version 2's share per window: {shares_of_v2:.2?}");
    assert!(
        shares_of_v2.first().is_some_and(|s| *s < 0.2),
        "starts near 10%: {shares_of_v2:?}"
    );
    assert!(
        shares_of_v2.last().is_some_and(|s| *s > 0.99),
        "ends at 100%: {shares_of_v2:?}"
    );
    assert!(
        shares_of_v2.iter().any(|s| (0.4..0.6).contains(s)),
        "half the traffic in between: {shares_of_v2:?}"
    );

    // One version picked: the panels show that version only.
    let picked = panel_rows(
        &pipeline,
        "mlobs-comparison",
        "Accuracy per window",
        &only_2,
        events,
    );
    assert!(
        !picked.is_empty() && picked.iter().all(|r| r[1] == "v2"),
        "{picked:?}"
    );
}
