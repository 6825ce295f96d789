//! Alerts from Prometheus, end to end on real services: the pipeline
//! exports metrics, a Prometheus of the test's own evaluates the shipped
//! rules (with `for:` shortened, as `for:` counts wall time), an
//! Alertmanager of its own delivers to `mlobs alerts webhook`, and the
//! AlertEvent lands on the test's alerts topic.
//!
//! Private Prometheus and Alertmanager instances (the stack's binaries and
//! scripts, their own ports and data): the shared ones serve every other
//! test, and their Alertmanager delivers to the stack's webhook address.

mod support;

use std::collections::BTreeMap;

use mlobs_schemas::{AlertEvent, AlertStatus, Severity};
use mlobs_testkit::services::PrivateService;
use mlobs_testkit::wait_until;
use support::services::{fast_rules, prometheus_at};
use support::topic_reader::TopicReader;
use support::{Pipeline, DEADLINE};

#[test]
fn a_prometheus_rule_reaches_the_alerts_topic_through_alertmanager() {
    let pipeline = Pipeline::new("prom-alerts", 1);
    let (_webhook, webhook_url) = pipeline.webhook(&[]);
    let alertmanager = PrivateService::alertmanager(&format!("{webhook_url}/alerts"));
    let prometheus = PrivateService::prometheus(&fast_rules(&pipeline.dir), alertmanager.port);
    // The backlog first: the simulator writes the baselines `mlobs run`
    // reads at its start, so drift is measured too.
    let truth = pipeline.simulate("drift.toml");
    let run = pipeline.start("run", &[]);
    let metrics = pipeline.metrics_address("run");
    let target = serde_json::json!([{"targets": [metrics], "labels": {"test": pipeline.prefix}}]);
    let targets = prometheus.scrape_targets().join("pipeline.json");
    std::fs::write(&targets, target.to_string()).unwrap();
    pipeline.wait_for(&truth, DEADLINE);
    // What the pipeline exports once every window is in: the newest
    // window's accuracy, below the 0.95 SLO after the drift.
    let accuracy = wait_until(DEADLINE, "Prometheus to scrape the accuracy", || {
        let query = format!("model_accuracy{{test=\"{}\"}}", pipeline.prefix);
        prometheus_at(&prometheus.url(), &query)
    });
    assert!(
        accuracy < 0.95,
        "the drift scenario ends below the SLO: {accuracy}"
    );

    let mut reader = TopicReader::<AlertEvent>::new(&pipeline.brokers(), &pipeline.topic("alerts"));
    let ours = |e: &AlertEvent| e.details.get("test") == Some(&pipeline.prefix);
    let (key, event) = wait_until(DEADLINE, "the accuracy alert on the alerts topic", || {
        reader
            .read()
            .iter()
            .find(|(_, e)| ours(e) && e.rule == "accuracy_slo")
            .cloned()
    });
    assert_eq!(key, event.alert_id);
    assert_eq!(event.source, "alertmanager");
    assert_eq!(event.status, AlertStatus::Firing);
    assert_eq!(event.severity, Severity::Critical);
    assert_eq!(
        (
            event.model.as_str(),
            event.version.as_str(),
            event.environment.as_str()
        ),
        ("churn", "1", "simulation")
    );
    assert_eq!(event.details["alertname"], "ModelAccuracyDrop");
    assert_eq!(event.evidence.metric, "model_accuracy");
    assert_eq!(event.evidence.threshold, 0.95);
    // The value Prometheus saw when the alert fired: the accuracy of one of
    // the windows (the gauge moved on as later windows came in).
    let value = event.evidence.value;
    let windows = truth.as_array().unwrap();
    let measured = windows.iter().any(|w| {
        let (correct, labeled) = (
            w["correct"].as_f64().unwrap(),
            w["labeled"].as_f64().unwrap(),
        );
        labeled > 0.0 && (correct / labeled - value).abs() < 1e-9
    });
    assert!(
        value < 0.95 && measured,
        "evidence {value} is no window's accuracy"
    );
    assert!(
        event.summary.contains("below the 95% SLO"),
        "{}",
        event.summary
    );
    assert!(
        event.alert_id.starts_with("alertmanager:"),
        "{}",
        event.alert_id
    );
    let now = mlobs_schemas::time::now_ms();
    assert!(
        event.started_at > now - DEADLINE.as_millis() as i64 * 4 && event.started_at <= now,
        "startsAt is this run's: {}",
        event.started_at
    );
    // The drifted feature fires too, through the same path.
    let drift = wait_until(DEADLINE, "the feature drift alert", || {
        reader
            .read()
            .iter()
            .find(|(_, e)| ours(e) && e.rule == "feature_drift")
            .map(|(_, e)| e.details.clone())
    });
    assert_eq!(drift["feature"], "monthly_charges");
    // The pipeline stops: its series go stale, the rule stops holding, and
    // Alertmanager sends the alert resolved, under the firing event's id.
    support::stop_gracefully(run);
    let resolved = wait_until(DEADLINE, "the accuracy alert to resolve", || {
        reader
            .read()
            .iter()
            .find(|(_, e)| ours(e) && e.rule == "accuracy_slo" && e.status == AlertStatus::Resolved)
            .map(|(_, e)| e.clone())
    });
    assert_eq!(resolved.alert_id, event.alert_id);
    assert_eq!(resolved.reason, "alertmanager");
    assert_eq!(resolved.started_at, event.started_at);
    assert!(
        resolved.updated_at > resolved.started_at,
        "endsAt after startsAt"
    );
    // However often Alertmanager delivered, firing or resolved, each alert
    // (rule and labels) has one id.
    let mut ids: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (_, e) in reader.read().iter().filter(|(_, e)| ours(e)) {
        let labels = format!("{:?}", e.details);
        ids.entry((e.rule.clone(), labels))
            .or_default()
            .push(e.alert_id.clone());
    }
    for ((rule, _), seen) in &ids {
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{rule}: {seen:?}");
    }
}
