//! Alertmanager's webhook body (JSON, version 4) to `AlertEvent`s: pure
//! code, no I/O, so every mapping rule is unit-tested here and the HTTP
//! edge (`webhook`) only moves bytes.

use std::collections::BTreeMap;

use mlobs_schemas::time::parse_rfc3339;
use mlobs_schemas::{AlertEvent, AlertEvidence, AlertStatus, Severity};
use serde::Deserialize;

/// The `source` of every event this module makes.
pub const SOURCE: &str = "alertmanager";
/// The `reason` of a resolved event: Alertmanager said so (the condition
/// may have cleared, or the rule may have gone away).
pub const RESOLVED_REASON: &str = "alertmanager";
/// The environment of an alert without an `environment` label (the
/// schema's default).
const DEFAULT_ENVIRONMENT: &str = "production";

/// A webhook body mlobs cannot use, with what is wrong: answered with 400,
/// which Alertmanager does not retry (retrying would not fix it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadNotification(pub String);

/// The part of Alertmanager's webhook body (version 4) mlobs reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    version: String,
    alerts: Vec<Alert>,
}

/// One alert of a notification.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Alert {
    status: String,
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    fingerprint: String,
}

/// The `AlertEvent`s of a webhook body, one per alert, in its order.
///
/// The id is `alertmanager:<fingerprint>:<startsAt in ms>`: Alertmanager's
/// fingerprint names the label set, startsAt the episode, so a redelivery
/// (Alertmanager retries, repeats every `repeat_interval`, or a second
/// replica sends too) gives the same id, and the firing and resolved events
/// of one episode share it. `updated_at` is the time of the state change
/// (startsAt when firing, endsAt when resolved), so a redelivered record is
/// the same record.
pub fn alert_events(body: &[u8]) -> Result<Vec<AlertEvent>, BadNotification> {
    let notification: Notification = serde_json::from_slice(body).map_err(|e| {
        BadNotification(format!(
            "the body is not an Alertmanager webhook notification: {e}"
        ))
    })?;
    if notification.version != "4" {
        return Err(BadNotification(format!(
            "webhook payload version {:?}; mlobs reads version \"4\" (Alertmanager 0.16 and later)",
            notification.version
        )));
    }
    notification
        .alerts
        .iter()
        .enumerate()
        .map(|(i, alert)| {
            alert_event(alert).map_err(|e| BadNotification(format!("alert {i}: {}", e.0)))
        })
        .collect()
}

fn alert_event(alert: &Alert) -> Result<AlertEvent, BadNotification> {
    let label = |name: &str| alert.labels.get(name).filter(|v| !v.is_empty());
    let required = |name: &str| {
        label(name).cloned().ok_or_else(|| {
            BadNotification(format!(
                "no `{name}` label (labels: {:?}); mlobs alerts are about a model version: \
                 route only alerts labelled model and version to this webhook (README, \"Alerts from Prometheus\")",
                alert.labels
            ))
        })
    };
    let (model, version) = (required("model")?, required("version")?);
    let alertname = label("alertname").cloned().unwrap_or_default();
    let rule = label("rule").cloned().unwrap_or_else(|| alertname.clone());
    if rule.is_empty() {
        return Err(BadNotification(
            "neither a `rule` nor an `alertname` label: the alert has no name".into(),
        ));
    }
    if alert.fingerprint.is_empty() {
        return Err(BadNotification(
            "no fingerprint (Alertmanager 0.20 and later send one): the alert cannot get a stable id".into(),
        ));
    }
    let started_at =
        parse_rfc3339(&alert.starts_at).map_err(|e| BadNotification(format!("startsAt: {e}")))?;
    let (status, reason, updated_at) = match alert.status.as_str() {
        "firing" => (AlertStatus::Firing, String::new(), started_at),
        "resolved" => {
            let ended = parse_rfc3339(&alert.ends_at)
                .map_err(|e| BadNotification(format!("endsAt of a resolved alert: {e}")))?;
            (AlertStatus::Resolved, RESOLVED_REASON.to_string(), ended)
        }
        other => {
            return Err(BadNotification(format!(
                "status {other:?}; Alertmanager sends \"firing\" or \"resolved\""
            )))
        }
    };
    // Evidence: annotations first (the mlobs rules put it there), labels
    // second; a value that is not given is NaN, never a made-up number.
    let given = |name: &str| {
        alert
            .annotations
            .get(name)
            .or_else(|| alert.labels.get(name))
            .filter(|v| !v.is_empty())
    };
    let number = |name: &str| {
        given(name)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let summary = given("summary")
        .or_else(|| given("description"))
        .cloned()
        .unwrap_or_else(|| format!("{rule} fired for {model}/{version}"));
    Ok(AlertEvent {
        alert_id: format!("{SOURCE}:{}:{started_at}", alert.fingerprint),
        rule: rule.clone(),
        severity: severity(label("severity").map(String::as_str)),
        status,
        environment: label("environment")
            .cloned()
            .unwrap_or_else(|| DEFAULT_ENVIRONMENT.into()),
        summary,
        source: SOURCE.into(),
        evidence: AlertEvidence {
            metric: given("metric").cloned().unwrap_or(rule),
            value: number("value"),
            threshold: number("threshold"),
            window_start: started_at,
            window_end: updated_at,
        },
        started_at,
        updated_at,
        reason,
        details: alert.labels.clone(),
        model,
        version,
    })
}

/// The schema's severity of a `severity` label: `info`, `warning` or
/// `critical` (any case); anything else, or none, is `warning` (the
/// schema's default), and the label itself stays in `details`.
fn severity(label: Option<&str>) -> Severity {
    match label.map(str::to_ascii_lowercase).as_deref() {
        Some("info") => Severity::Info,
        Some("critical") => Severity::Critical,
        _ => Severity::Warning,
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
