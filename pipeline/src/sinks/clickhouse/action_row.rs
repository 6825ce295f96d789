//! `mlobs.agent_actions`: one row per change of an action (the table keeps
//! the newest by `updated_ms`). Written by the agent for its actions and
//! by `mlobs retrain` for each step of a job, so both share the row.

use clickhouse::Row;
use serde::Serialize;

use super::rows::seconds;

/// A row of `agent_actions`; field order is the columns' order in
/// `infra/clickhouse/schema.sql` (a test checks).
#[derive(Debug, Clone, Default, Row, Serialize)]
pub struct ActionRow {
    /// The action's key: one row per state, the newest wins.
    pub action_id: String,
    /// The incident it belongs to ("" for none).
    pub incident_id: String,
    /// The alert that opened the incident.
    pub alert_id: String,
    /// Model.
    pub model: String,
    /// Environment.
    pub environment: String,
    /// The version the diagnosis names (or the champion a job started from).
    pub version: String,
    /// `rollback`, `retrain`, `retrain.fetch`, ...
    pub action: String,
    /// The version the action moves to or creates.
    pub target_version: String,
    /// What it should change.
    pub expected_effect: String,
    /// `approved`, `executed`, `failed`, ...
    pub status: String,
    /// The diagnosis' category.
    pub root_cause: String,
    /// Evidence claims, a JSON array.
    pub evidence: String,
    /// Who asked.
    pub requested_by: String,
    /// Who approved ("policy:<environment>" when no person had to).
    pub approved_by: String,
    /// What happened, in words.
    pub result: String,
    /// Created, Unix seconds.
    pub created_at: u32,
    /// Changed, Unix seconds.
    pub updated_at: u32,
    /// Changed, Unix ms: the version column.
    pub updated_ms: i64,
}

impl ActionRow {
    /// Sets the three time columns from `created_ms` and `updated_ms`.
    pub fn at(mut self, created_ms: i64, updated_ms: i64) -> Self {
        self.created_at = seconds(created_ms);
        self.updated_at = seconds(updated_ms);
        self.updated_ms = updated_ms;
        self
    }
}

#[cfg(test)]
mod tests {
    use clickhouse::Row;

    use super::super::columns::declared;
    use super::*;

    #[test]
    fn the_row_has_the_schemas_columns_in_order() {
        let names: Vec<String> = declared("agent_actions")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ActionRow::COLUMN_NAMES);
    }
}
