//! The agent's ClickHouse rows: `incidents` and `agent_actions` (the
//! latter's row type is the pipeline's, shared with `mlobs retrain`), one
//! row per change (the tables keep the newest by `updated_ms`). Field
//! order is the columns' order in `infra/clickhouse/schema.sql` (a test
//! checks).

use clickhouse::Row;
use mlobs_pipeline::sinks::clickhouse::action_row::ActionRow;
use mlobs_pipeline::sinks::clickhouse::rows::seconds;
use serde::Serialize;

use crate::graph::incident::name_of;
use crate::graph::{Action, Incident};

/// A row of `incidents`.
#[derive(Debug, Row, Serialize)]
pub struct IncidentRow {
    incident_id: String,
    model: String,
    environment: String,
    node: String,
    status: String,
    alerts: Vec<String>,
    firing: Vec<String>,
    root_cause: String,
    feature: String,
    version: String,
    confidence: f64,
    action_id: String,
    resolution: String,
    report: String,
    narration: String,
    opened_at: u32,
    updated_at: u32,
    updated_ms: i64,
}

impl IncidentRow {
    /// The row of `incident`.
    pub fn new(incident: &Incident) -> Self {
        let report = incident.report.as_ref();
        let cause = report.map(|r| &r.root_cause);
        IncidentRow {
            incident_id: incident.incident_id.clone(),
            model: incident.model.clone(),
            environment: incident.environment.clone(),
            node: name_of(&incident.node),
            status: name_of(&incident.status),
            alerts: incident.alerts.iter().cloned().collect(),
            firing: incident.firing.iter().cloned().collect(),
            root_cause: cause.map(|c| name_of(&c.category)).unwrap_or_default(),
            feature: cause.and_then(|c| c.feature.clone()).unwrap_or_default(),
            version: cause.and_then(|c| c.version.clone()).unwrap_or_default(),
            confidence: report.map_or(0.0, |r| r.confidence),
            action_id: incident.action_id.clone().unwrap_or_default(),
            resolution: incident.resolution.clone(),
            report: report
                .and_then(|r| serde_json::to_string(r).ok())
                .unwrap_or_default(),
            narration: incident
                .narration
                .as_ref()
                .and_then(|n| serde_json::to_string(n).ok())
                .unwrap_or_default(),
            opened_at: seconds(incident.opened_ms),
            updated_at: seconds(incident.updated_ms),
            updated_ms: incident.updated_ms,
        }
    }
}

/// The `agent_actions` row of `action`.
pub fn action_row(action: &Action) -> ActionRow {
    ActionRow {
        action_id: action.action_id.clone(),
        incident_id: action.incident_id.clone(),
        alert_id: action.alert_id.clone(),
        model: action.model.clone(),
        environment: action.environment.clone(),
        version: action.version.clone(),
        action: name_of(&action.action),
        target_version: action.target_version.clone().unwrap_or_default(),
        expected_effect: action.expected_effect.clone(),
        status: name_of(&action.status),
        root_cause: action.root_cause.clone(),
        evidence: serde_json::to_string(&action.evidence).unwrap_or_default(),
        requested_by: action.requested_by.clone(),
        approved_by: action.decided_by.clone(),
        result: action.result.clone(),
        ..ActionRow::default()
    }
    .at(action.created_ms, action.updated_ms)
}

#[cfg(test)]
mod tests {
    use clickhouse::Row;
    use mlobs_pipeline::sinks::clickhouse::columns::declared;

    use super::*;

    #[test]
    fn the_rows_have_the_schemas_columns_in_order() {
        let names = |table: &str| -> Vec<String> {
            declared(table).into_iter().map(|(name, _)| name).collect()
        };
        assert_eq!(names("incidents"), IncidentRow::COLUMN_NAMES);
    }
}
