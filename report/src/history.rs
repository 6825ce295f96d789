//! Reading a model's history from ClickHouse: one query per table, each
//! built by a pure function (tested against the real 18.16 server by
//! `cli/tests/report.rs`), read with FINAL because the tables are
//! ReplacingMergeTrees whose merges replace rows only eventually.

use mlobs_pipeline::sinks::clickhouse::query::{num, quote, text};
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use serde_json::Value;

use crate::rows::{DriftRow, ErrorRow, Event, EventKind, WindowRow};
use crate::ReportError;

/// Which model and which event-time range `[since_ms, until_ms)`.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The history's database.
    pub database: String,
    /// The model.
    pub model: String,
    /// First window start included.
    pub since_ms: i64,
    /// Window starts before this.
    pub until_ms: i64,
}

/// Everything a report shows, as read.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Windows by start, then version.
    pub windows: Vec<WindowRow>,
    /// Error counts by window and type.
    pub errors: Vec<ErrorRow>,
    /// Drift by feature, then window.
    pub drift: Vec<DriftRow>,
    /// Alerts, actions and incidents, in no particular order (alerts in
    /// range; the agent's, of any time: they are placed by [`crate::clock`]).
    pub events: Vec<Event>,
}

impl Scope {
    fn table(&self, name: &str) -> String {
        format!("{}.{name}", self.database)
    }

    fn model_in_range(&self, start_column: &str) -> String {
        format!(
            "model = {} AND {start_column} >= {} AND {start_column} < {}",
            quote(&self.model),
            self.since_ms,
            self.until_ms
        )
    }

    /// Per version and window: counts added up over environments, the
    /// highest latency percentiles.
    pub fn windows_sql(&self) -> String {
        format!(
            "SELECT version, window_start_ms AS s, toInt64(toUInt32(window_end)) * 1000 AS e, \
             sum(predictions) AS p, sum(labeled) AS l, sum(correct) AS c, \
             max(latency_p50_ms) AS p50, max(latency_p95_ms) AS p95, max(latency_p99_ms) AS p99, \
             max(updated_ms) AS w FROM {} FINAL WHERE {} \
             GROUP BY version, s, e ORDER BY s, version",
            self.table("window_metrics"),
            self.model_in_range("window_start_ms")
        )
    }

    /// Per window and error type, every version's failures.
    pub fn errors_sql(&self) -> String {
        format!(
            "SELECT window_start_ms AS s, error_type AS t, sum(error_count) AS n FROM {} FINAL \
             ARRAY JOIN error_types AS error_type, error_counts AS error_count WHERE {} \
             GROUP BY s, t ORDER BY s, t",
            self.table("window_metrics"),
            self.model_in_range("window_start_ms")
        )
    }

    /// Per feature and window, the highest score of the versions'.
    pub fn drift_sql(&self) -> String {
        format!(
            "SELECT feature, any(method) AS m, window_start_ms AS s, max(score) AS v, \
             any(threshold) AS t FROM {} FINAL WHERE {} AND isNotNull(score) \
             GROUP BY feature, s ORDER BY feature, s",
            self.table("feature_drift"),
            self.model_in_range("window_start_ms")
        )
    }

    /// Alerts that started firing in the range (whatever they are now).
    pub fn alerts_sql(&self) -> String {
        format!(
            "SELECT rule, severity, status, version, summary, \
             toInt64(toUInt32(started_at)) * 1000 AS at FROM {} FINAL WHERE {} ORDER BY at",
            self.table("alerts"),
            self.model_in_range("toInt64(toUInt32(started_at)) * 1000")
        )
    }

    /// The model's executed actions, at any time (wall clock); the steps
    /// of a retrain job are its action's detail, not markers of their own.
    pub fn actions_sql(&self) -> String {
        format!(
            "SELECT action, version, target_version, approved_by, result, updated_ms AS at \
             FROM {} FINAL WHERE model = {} AND status = 'executed' \
             AND action NOT LIKE 'retrain.%' ORDER BY at",
            self.table("agent_actions"),
            quote(&self.model)
        )
    }

    /// When each incident of the model was diagnosed (its first proposal,
    /// wall clock) and what the diagnosis said.
    pub fn diagnoses_sql(&self) -> String {
        format!(
            "SELECT at, root_cause, feature, version FROM \
             (SELECT incident_id, toInt64(toUInt32(min(created_at))) * 1000 AS at FROM {} FINAL \
              WHERE model = {} AND incident_id != '' AND action NOT LIKE 'retrain.%' GROUP BY incident_id) \
             ANY INNER JOIN \
             (SELECT incident_id, root_cause, feature, version FROM {} FINAL WHERE model = {}) \
             USING incident_id ORDER BY at",
            self.table("agent_actions"),
            quote(&self.model),
            self.table("incidents"),
            quote(&self.model)
        )
    }

    /// The model's resolved incidents, at any time (wall clock).
    pub fn incidents_sql(&self) -> String {
        format!(
            "SELECT incident_id, root_cause, feature, version, resolution, updated_ms AS at \
             FROM {} FINAL WHERE model = {} AND status = 'resolved' ORDER BY at",
            self.table("incidents"),
            quote(&self.model)
        )
    }

    /// The models that have windows: what an unknown model's error lists.
    pub fn models_sql(&self) -> String {
        format!(
            "SELECT DISTINCT model FROM {} ORDER BY model",
            self.table("window_metrics")
        )
    }

    /// The span of the model's windows, whatever the range.
    pub fn span_sql(&self) -> String {
        format!(
            "SELECT count() AS n, min(window_start_ms) AS s, max(window_start_ms) AS e FROM {} \
             WHERE model = {}",
            self.table("window_metrics"),
            quote(&self.model)
        )
    }
}

/// Reads the scope's history; fails with what to do when the model is
/// unknown or has no window in the range.
pub fn read(clickhouse: &ClickHouse, scope: &Scope) -> Result<History, ReportError> {
    let rows = |sql: String| clickhouse.json_rows(&sql).map_err(ReportError::from);
    let windows: Vec<WindowRow> = rows(scope.windows_sql())?.iter().map(window).collect();
    if windows.is_empty() {
        return Err(nothing_in_range(clickhouse, scope)?);
    }
    let mut events: Vec<Event> = rows(scope.alerts_sql())?.iter().map(alert).collect();
    events.extend(rows(scope.diagnoses_sql())?.iter().map(diagnosis));
    events.extend(rows(scope.actions_sql())?.iter().map(action));
    events.extend(rows(scope.incidents_sql())?.iter().map(incident));
    Ok(History {
        windows,
        errors: rows(scope.errors_sql())?.iter().map(error).collect(),
        drift: rows(scope.drift_sql())?.iter().map(drift).collect(),
        events,
    })
}

/// Why the range is empty: an unknown model, or a range that misses its
/// windows (saying where they are).
fn nothing_in_range(clickhouse: &ClickHouse, scope: &Scope) -> Result<ReportError, ReportError> {
    let span = clickhouse.json_rows(&scope.span_sql())?;
    let span = span.first().cloned().unwrap_or_default();
    if num(&span["n"]).unwrap_or(0.0) < 1.0 {
        let known = clickhouse.json_rows(&scope.models_sql())?;
        return Ok(ReportError::UnknownModel {
            model: scope.model.clone(),
            known: known.iter().map(|m| text(&m["model"])).collect(),
        });
    }
    Ok(ReportError::NoWindows {
        model: scope.model.clone(),
        since_ms: scope.since_ms,
        until_ms: scope.until_ms,
        first_ms: ms(&span["s"]),
        last_ms: ms(&span["e"]),
    })
}

fn ms(value: &Value) -> i64 {
    num(value).unwrap_or(0.0) as i64
}

fn count(value: &Value) -> u64 {
    num(value).map_or(0, |n| n.max(0.0) as u64)
}

fn window(r: &Value) -> WindowRow {
    WindowRow {
        version: text(&r["version"]),
        start_ms: ms(&r["s"]),
        end_ms: ms(&r["e"]),
        predictions: count(&r["p"]),
        labeled: count(&r["l"]),
        correct: count(&r["c"]),
        latency_ms: [num(&r["p50"]), num(&r["p95"]), num(&r["p99"])],
        written_ms: ms(&r["w"]),
    }
}

fn error(r: &Value) -> ErrorRow {
    ErrorRow {
        start_ms: ms(&r["s"]),
        error_type: text(&r["t"]),
        count: count(&r["n"]),
    }
}

fn drift(r: &Value) -> DriftRow {
    DriftRow {
        feature: text(&r["feature"]),
        method: text(&r["m"]),
        start_ms: ms(&r["s"]),
        score: num(&r["v"]).unwrap_or(f64::NAN),
        threshold: num(&r["t"]).unwrap_or(f64::NAN),
    }
}

fn alert(r: &Value) -> Event {
    Event {
        kind: EventKind::AlertFired,
        at_ms: ms(&r["at"]),
        wall_clock: false,
        version: text(&r["version"]),
        what: match text(&r["version"]).as_str() {
            "" => text(&r["rule"]),
            version => format!("{} (v{version})", text(&r["rule"])),
        },
        detail: format!(
            "{} ({}, now {})",
            text(&r["summary"]),
            text(&r["severity"]),
            text(&r["status"])
        ),
    }
}

fn action(r: &Value) -> Event {
    Event {
        kind: EventKind::ActionTaken,
        at_ms: ms(&r["at"]),
        wall_clock: true,
        version: text(&r["version"]),
        what: match text(&r["target_version"]).as_str() {
            "" => text(&r["action"]),
            target => format!("{} to {target}", text(&r["action"])),
        },
        detail: format!(
            "approved by {}: {}",
            text(&r["approved_by"]),
            text(&r["result"])
        ),
    }
}

/// An incident's root cause and feature, as its markers name it.
fn cause(r: &Value) -> String {
    format!("{} {}", text(&r["root_cause"]), text(&r["feature"]))
        .trim()
        .to_string()
}

fn diagnosis(r: &Value) -> Event {
    Event {
        kind: EventKind::Diagnosed,
        at_ms: ms(&r["at"]),
        wall_clock: true,
        version: text(&r["version"]),
        what: cause(r),
        detail: "the agent's diagnosis (its first proposal)".into(),
    }
}

fn incident(r: &Value) -> Event {
    Event {
        kind: EventKind::IncidentResolved,
        at_ms: ms(&r["at"]),
        wall_clock: true,
        version: text(&r["version"]),
        what: cause(r),
        detail: text(&r["resolution"]),
    }
}
