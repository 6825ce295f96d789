use serde_json::{json, Value};

use super::*;

/// A notification as Alertmanager 0.25 sends it, with one alert per entry.
fn notification(alerts: Vec<Value>) -> Vec<u8> {
    json!({
        "receiver": "mlobs",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": {"alertname": "ModelAccuracyDrop"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "version": "4",
        "groupKey": "{}:{alertname=\"ModelAccuracyDrop\"}",
        "truncatedAlerts": 0
    })
    .to_string()
    .into_bytes()
}

fn accuracy_alert(status: &str) -> Value {
    json!({
        "status": status,
        "labels": {
            "alertname": "ModelAccuracyDrop", "rule": "accuracy_slo",
            "severity": "critical", "model": "churn", "version": "4",
            "environment": "staging", "instance": "127.0.0.1:9464", "job": "mlobs"
        },
        "annotations": {
            "summary": "churn/4 accuracy 88% is below the 95% SLO",
            "description": "longer text", "metric": "model_accuracy",
            "value": "0.8812", "threshold": "0.95"
        },
        "startsAt": "2026-01-05T10:15:00.123456789Z",
        "endsAt": if status == "resolved" { "2026-01-05T11:00:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=model_accuracy+%3C+0.95",
        "fingerprint": "4d5e7f0a1b2c3d4e"
    })
}

const STARTED: i64 = 1_767_608_100_123; // 2026-01-05T10:15:00.123Z

#[test]
fn a_firing_alert_becomes_an_alert_event_with_its_evidence() {
    let events = alert_events(&notification(vec![accuracy_alert("firing")])).unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        e.alert_id,
        format!("alertmanager:4d5e7f0a1b2c3d4e:{STARTED}")
    );
    assert_eq!(e.rule, "accuracy_slo");
    assert_eq!(e.severity, Severity::Critical);
    assert_eq!(e.status, AlertStatus::Firing);
    assert_eq!((e.model.as_str(), e.version.as_str()), ("churn", "4"));
    assert_eq!(e.environment, "staging");
    assert_eq!(e.summary, "churn/4 accuracy 88% is below the 95% SLO");
    assert_eq!(e.source, "alertmanager");
    assert_eq!(e.reason, "");
    assert_eq!(e.evidence.metric, "model_accuracy");
    assert_eq!(e.evidence.value, 0.8812);
    assert_eq!(e.evidence.threshold, 0.95);
    assert_eq!(
        (e.evidence.window_start, e.evidence.window_end),
        (STARTED, STARTED)
    );
    assert_eq!((e.started_at, e.updated_at), (STARTED, STARTED));
    assert_eq!(e.details["instance"], "127.0.0.1:9464");
    assert_eq!(e.details["alertname"], "ModelAccuracyDrop");
    assert_eq!(
        e.details.len(),
        8,
        "details are the labels: {:?}",
        e.details
    );
}

#[test]
fn resolved_shares_the_firing_id_and_says_alertmanager_resolved_it() {
    let firing = alert_events(&notification(vec![accuracy_alert("firing")])).unwrap();
    let resolved = alert_events(&notification(vec![accuracy_alert("resolved")])).unwrap();
    let (f, r) = (&firing[0], &resolved[0]);
    assert_eq!(r.alert_id, f.alert_id);
    assert_eq!(r.status, AlertStatus::Resolved);
    assert_eq!(r.reason, "alertmanager");
    let ended = 1_767_610_800_000; // 2026-01-05T11:00:00Z
    assert_eq!((r.started_at, r.updated_at), (STARTED, ended));
    assert_eq!(
        (r.evidence.window_start, r.evidence.window_end),
        (STARTED, ended)
    );
}

#[test]
fn a_redelivery_gives_the_same_events_and_another_episode_another_id() {
    let body = notification(vec![accuracy_alert("firing")]);
    assert_eq!(alert_events(&body).unwrap(), alert_events(&body).unwrap());
    let mut later = accuracy_alert("firing");
    later["startsAt"] = json!("2026-01-05T12:00:00Z");
    let other = alert_events(&notification(vec![later])).unwrap();
    assert_ne!(other[0].alert_id, alert_events(&body).unwrap()[0].alert_id);
}

#[test]
fn a_foreign_alert_falls_back_on_alertname_defaults_and_nan() {
    let alert = json!({
        "status": "firing",
        "labels": {"alertname": "HighLatency", "model": "fraud", "version": "2", "severity": "page"},
        "annotations": {},
        "startsAt": "2026-01-05T10:15:00+01:00",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "ab"
    });
    let events = alert_events(&notification(vec![alert])).unwrap();
    let e = &events[0];
    assert_eq!(e.rule, "HighLatency");
    assert_eq!(
        e.severity,
        Severity::Warning,
        "unknown severities are warning"
    );
    assert_eq!(e.details["severity"], "page");
    assert_eq!(e.environment, "production");
    assert_eq!(e.summary, "HighLatency fired for fraud/2");
    assert_eq!(e.evidence.metric, "HighLatency");
    assert!(e.evidence.value.is_nan() && e.evidence.threshold.is_nan());
    assert_eq!(e.started_at, STARTED - 123 - 3_600_000);
}

#[test]
fn every_alert_of_a_group_is_converted_in_order() {
    let mut second = accuracy_alert("firing");
    second["labels"]["version"] = json!("5");
    second["fingerprint"] = json!("ff");
    let events = alert_events(&notification(vec![accuracy_alert("firing"), second])).unwrap();
    let versions: Vec<&str> = events.iter().map(|e| e.version.as_str()).collect();
    assert_eq!(versions, ["4", "5"]);
    assert!(alert_events(&notification(vec![])).unwrap().is_empty());
}

/// The error message of a body that must be refused.
fn refused(body: &[u8]) -> String {
    alert_events(body).unwrap_err().to_string()
}

#[test]
fn malformed_bodies_are_refused_with_the_reason() {
    assert!(refused(b"not json").contains("not an Alertmanager webhook notification"));
    assert!(refused(b"{\"version\":\"4\"}").contains("missing field `alerts`"));
    let mut body: Value = serde_json::from_slice(&notification(vec![])).unwrap();
    body["version"] = json!("3");
    assert!(refused(body.to_string().as_bytes()).contains("version \"3\""));
    let cases: [(&str, Value, &str); 6] = [
        ("/labels/model", Value::Null, "alert 0: no `model` label"),
        ("/labels/version", json!(""), "no `version` label"),
        ("/status", json!("pending"), "status \"pending\""),
        ("/startsAt", json!("yesterday"), "startsAt"),
        ("/fingerprint", json!(""), "no fingerprint"),
        ("/endsAt", json!("0001-01-01"), "endsAt of a resolved alert"),
    ];
    for (pointer, value, expected) in cases {
        let mut alert = accuracy_alert(if pointer == "/endsAt" {
            "resolved"
        } else {
            "firing"
        });
        let (parent, field) = pointer.rsplit_once('/').unwrap();
        let object = alert.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        if value.is_null() {
            object.remove(field);
        } else {
            object.insert(field.to_string(), value);
        }
        let message = refused(&notification(vec![alert]));
        assert!(message.contains(expected), "{pointer}: {message}");
    }
}
