//! `list_alerts(model_name?, status?, time_window)`: the latest state of
//! each alert (the alerts table keeps transitions; the highest updated_ms
//! wins) whose last change falls in the window, and every alert still
//! firing however long ago it last changed (what is on fire now matters
//! whatever window is asked), newest first.

use serde::Serialize;

use super::sql::{quote, time_filter};
use super::{num, text, Range, ToolError, Tools};

/// One alert, as it stands.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alert {
    /// Stable id of the alert.
    pub alert_id: String,
    /// The rule that fired it.
    pub rule: String,
    /// info, warning, critical.
    pub severity: String,
    /// firing or resolved.
    pub status: String,
    /// The model.
    pub model: String,
    /// The version ("" for all).
    pub version: String,
    /// What it says.
    pub summary: String,
    /// The metric it watches.
    pub metric: String,
    /// The metric's value (the metric's unit).
    pub value: f64,
    /// The rule's threshold (same unit).
    pub threshold: f64,
    /// The window it was evaluated on.
    pub window: Range,
    /// When it started firing, RFC 3339.
    pub started_at: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Alerts {
    /// The range of last changes covered.
    pub range: Range,
    /// Newest first.
    pub alerts: Vec<Alert>,
}

impl Tools {
    /// See the module documentation. An empty list is an answer here
    /// (no alert is good news), unlike an unknown model.
    pub fn list_alerts(
        &self,
        model_name: Option<&str>,
        status: Option<&str>,
        time_window: &str,
    ) -> Result<Alerts, ToolError> {
        let window = self.window(time_window)?;
        let mut filters = vec![format!(
            "({} OR status = 'firing')",
            time_filter("updated_ms", &window)
        )];
        if let Some(m) = model_name {
            let model = self.resolve(m)?;
            filters.push(format!("model = {}", quote(&model.model)));
            if let Some(v) = &model.version {
                filters.push(format!("version = {}", quote(v)));
            }
        }
        if let Some(s) = status {
            if !matches!(s, "firing" | "resolved") {
                return Err(ToolError::bad("status", s, "firing or resolved"));
            }
            filters.push(format!("status = {}", quote(s)));
        }
        let sql = format!(
            "SELECT alert_id, rule, severity, status, model, version, summary, metric, value, threshold, \
             toInt64(toUInt32(window_start)) * 1000 AS ws, toInt64(toUInt32(window_end)) * 1000 AS we, \
             toInt64(toUInt32(started_at)) * 1000 AS sa, updated_ms FROM {} FINAL WHERE {} ORDER BY updated_ms DESC",
            self.table("alerts"),
            filters.join(" AND ")
        );
        let ms = |v: &serde_json::Value| num(v).unwrap_or(0.0) as i64;
        let alerts = self
            .rows(&sql)?
            .iter()
            .map(|r| Alert {
                alert_id: text(&r["alert_id"]),
                rule: text(&r["rule"]),
                severity: text(&r["severity"]),
                status: text(&r["status"]),
                model: text(&r["model"]),
                version: text(&r["version"]),
                summary: text(&r["summary"]),
                metric: text(&r["metric"]),
                value: num(&r["value"]).unwrap_or(f64::NAN),
                threshold: num(&r["threshold"]).unwrap_or(f64::NAN),
                window: super::TimeWindow {
                    start_ms: ms(&r["ws"]),
                    end_ms: ms(&r["we"]),
                }
                .range(),
                started_at: mlobs_schemas::time::format_rfc3339(ms(&r["sa"])),
                updated_at: mlobs_schemas::time::format_rfc3339(ms(&r["updated_ms"])),
            })
            .collect();
        Ok(Alerts {
            range: window.range(),
            alerts,
        })
    }
}
