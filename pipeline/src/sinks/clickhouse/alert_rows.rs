//! `mlobs.alerts`: one row per alert transition; the table keeps the
//! newest per `alert_id` (ReplacingMergeTree on `updated_ms`).

use clickhouse::Row;
use mlobs_schemas::{AlertEvent, AlertStatus};
use serde::Serialize;

use super::rows::{seconds, Source};

/// A row of `mlobs.alerts`.
#[derive(Debug, Row, Serialize)]
pub struct AlertRow<'a> {
    alert_id: &'a str,
    rule: &'a str,
    severity: String,
    status: &'static str,
    model: &'a str,
    version: &'a str,
    environment: &'a str,
    source: &'a str,
    summary: &'a str,
    metric: &'a str,
    value: f64,
    threshold: f64,
    window_start: u32,
    window_end: u32,
    started_at: u32,
    updated_at: u32,
    reason: &'a str,
    details: String,
    updated_ms: i64,
}

impl Source for AlertEvent {
    const TABLE: &'static str = "alerts";
    type Row = AlertRow<'static>;
    fn rows<'a>(&'a self, out: &mut Vec<AlertRow<'a>>) {
        out.push(AlertRow {
            alert_id: &self.alert_id,
            rule: &self.rule,
            severity: format!("{:?}", self.severity).to_lowercase(),
            status: match self.status {
                AlertStatus::Firing => "firing",
                AlertStatus::Resolved => "resolved",
            },
            model: &self.model,
            version: &self.version,
            environment: &self.environment,
            source: &self.source,
            summary: &self.summary,
            metric: &self.evidence.metric,
            value: self.evidence.value,
            threshold: self.evidence.threshold,
            window_start: seconds(self.evidence.window_start),
            window_end: seconds(self.evidence.window_end),
            started_at: seconds(self.started_at),
            updated_at: seconds(self.updated_at),
            reason: &self.reason,
            details: serde_json::to_string(&self.details).expect("a string map serializes"),
            // Event time: a resolution always comes windows after its firing.
            updated_ms: self.updated_at,
        });
    }
}
