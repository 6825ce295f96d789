//! `mlobs alerts webhook` at its edges, against a real broker: what each
//! answer means to Alertmanager (200 only once the broker has the records,
//! 503 while it is away so that Alertmanager retries, 400 for a body no
//! retry can fix), records keyed by their stable ids, and a
//! command line that says what is wrong.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use mlobs_schemas::{AlertEvent, AlertStatus, WriterSchemas};
use mlobs_testkit::services::PrivateService;
use mlobs_testkit::wait_until;
use rdkafka::Message;
use serde_json::json;
use support::services::{get, post};
use support::{output_within, Pipeline, DEADLINE};

/// A notification as Alertmanager 0.25 sends it: two alerts of one group.
fn notification(status: &str) -> String {
    let alert = |version: &str, fingerprint: &str| {
        json!({
            "status": status,
            "labels": {"alertname": "ModelAccuracyDrop", "rule": "accuracy_slo",
                       "severity": "critical", "model": "churn", "version": version},
            "annotations": {"summary": "accuracy below the SLO", "value": "0.9", "threshold": "0.95"},
            "startsAt": "2026-01-05T10:15:00Z",
            "endsAt": if status == "resolved" { "2026-01-05T11:00:00Z" } else { "0001-01-01T00:00:00Z" },
            "generatorURL": "http://127.0.0.1:9090/graph",
            "fingerprint": fingerprint
        })
    };
    json!({
        "version": "4", "status": status, "receiver": "mlobs", "groupKey": "{}:{}",
        "truncatedAlerts": 0, "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": [alert("1", "aaaa"), alert("2", "bbbb")]
    })
    .to_string()
}

/// (key, event) of every record of the pipeline's alerts topic, once
/// `expected` arrived.
fn published(pipeline: &Pipeline, expected: usize) -> Vec<(String, AlertEvent)> {
    let schemas = WriterSchemas::builtin();
    pipeline
        .consume("alerts", expected)
        .iter()
        .map(|m| {
            let key = String::from_utf8_lossy(m.key().unwrap()).to_string();
            (key, schemas.decode(m.payload().unwrap()).unwrap())
        })
        .collect()
}

#[test]
fn answers_tell_alertmanager_when_to_retry_and_a_redelivery_keeps_its_id() {
    // A broker of the test's own: stopping the shared one would hit every
    // other test.
    let kafka = PrivateService::kafka();
    let pipeline = Pipeline::on_brokers("webhook", 1, &kafka.address());
    let (_webhook, base) = pipeline.webhook(&["--ack-timeout-ms", "2000"]);
    let url = format!("{base}/alerts");

    assert_eq!(post(&url, &notification("firing")).unwrap().0, 200);
    let events = published(&pipeline, 2);
    let keys: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    let ids: Vec<&str> = events.iter().map(|(_, e)| e.alert_id.as_str()).collect();
    assert_eq!(keys, ids, "keyed by alert id");
    assert!(events
        .iter()
        .all(|(_, e)| e.source == "alertmanager" && e.status == AlertStatus::Firing));

    // Malformed or foreign bodies: 400 with the reason, nothing published.
    let (status, body) = post(&url, "{\"version\":\"4\",\"alerts\":[{}]}").unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("missing field"), "{body}");
    let foreign = notification("firing").replace("\"model\":\"churn\",", "");
    let (status, body) = post(&url, &foreign).unwrap();
    assert_eq!(
        (status, body.contains("no `model` label")),
        (400, true),
        "{body}"
    );
    assert_eq!(get(&url).unwrap().0, 405);
    assert_eq!(get(&format!("{base}/nope")).unwrap().0, 404);

    // The broker goes away: 503 within the acknowledgement timeout (plus
    // the librdkafka report), so that Alertmanager keeps the alert.
    kafka.down();
    let asked = Instant::now();
    let (status, body) = post(&url, &notification("resolved")).unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
    // It comes back; Alertmanager's retries then get through.
    kafka.up();
    wait_until(
        DEADLINE,
        "a retried notification to be acknowledged",
        || (post(&url, &notification("resolved"))?.0 == 200).then_some(()),
    );
    // A plain redelivery of the firing notification, too.
    assert_eq!(post(&url, &notification("firing")).unwrap().0, 200);

    // Records before the outage, whatever the failed attempts left, the
    // acknowledged retry, the redelivery: two alerts, one id each, shared
    // by their firing and resolved events.
    let events = published(&pipeline, 6);
    let ids: BTreeSet<&str> = events.iter().map(|(_, e)| e.alert_id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let resolved: Vec<&AlertEvent> = events
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e.status == AlertStatus::Resolved)
        .collect();
    assert!(resolved.len() >= 2, "both resolved events arrived");
    assert!(resolved.iter().all(|e| e.reason == "alertmanager"));
}

#[test]
fn wrong_flags_and_a_taken_port_say_what_to_do() {
    let pipeline = Pipeline::new("webhook-flags", 1);
    let run = |args: &[&str]| {
        let output = output_within(pipeline.mlobs(args), DEADLINE);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (code, stderr) = run(&["alerts", "webhook", "--listen", "nowhere"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--listen") && stderr.contains("127.0.0.1:9466"),
        "{stderr}"
    );
    let (code, stderr) = run(&["alerts", "webhook", "--ack-timeout-ms", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--ack-timeout-ms"), "{stderr}");
    // Without a subcommand, `mlobs alerts` lists; a wrong filter says which exist.
    let (code, stderr) = run(&["alerts", "--status", "open"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("firing") && stderr.contains("resolved"),
        "{stderr}"
    );
    // A port something else holds: the error names it and the fix.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().to_string();
    let (code, stderr) = run(&["alerts", "webhook", "--listen", &taken]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&taken) && stderr.contains("--listen"),
        "{stderr}"
    );
    let help = pipeline.succeed(&["--help"]);
    assert!(help.contains("alerts"), "{help}");
}
