//! `mlobs clickhouse migrate` and the start of `mlobs run`: apply
//! `infra/clickhouse/schema.sql`, whose statements are all idempotent.

use super::{ClickHouse, ClickHouseError};

/// The schema, compiled in so the binary needs no file at run time.
pub const SCHEMA: &str = include_str!("../../../../infra/clickhouse/schema.sql");

/// The tables the schema creates, in order.
pub const TABLES: [&str; 8] = [
    "inference_log",
    "outcomes",
    "window_metrics",
    "feature_drift",
    "alerts",
    "agent_actions",
    "incidents",
    "registry_events",
];

/// Columns added after their table first shipped: (table, column, type and
/// position). `CREATE TABLE IF NOT EXISTS` leaves an older table as it was
/// and ClickHouse 18.16 has no `ADD COLUMN IF NOT EXISTS`, so [`migrate`]
/// adds each one that `system.columns` lacks. The schema's CREATE
/// statements already have them.
pub const ADDED_COLUMNS: [(&str, &str, &str); 17] = [
    (
        "feature_drift",
        "status",
        "String DEFAULT 'ok' AFTER drifted",
    ),
    (
        "alerts",
        "environment",
        "String DEFAULT 'production' AFTER version",
    ),
    (
        "alerts",
        "source",
        "String DEFAULT 'stream' AFTER environment",
    ),
    ("alerts", "reason", "String DEFAULT '' AFTER updated_at"),
    ("alerts", "details", "String DEFAULT '{}' AFTER reason"),
    (
        "agent_actions",
        "incident_id",
        "String DEFAULT '' AFTER action_id",
    ),
    (
        "agent_actions",
        "environment",
        "String DEFAULT 'production' AFTER model",
    ),
    (
        "agent_actions",
        "expected_effect",
        "String DEFAULT '' AFTER target_version",
    ),
    (
        "feature_drift",
        "current_unseen",
        "Int64 DEFAULT 0 AFTER current_missing",
    ),
    (
        "window_metrics",
        "accuracy_estimated",
        "Nullable(Float64) AFTER share_drifted",
    ),
    (
        "window_metrics",
        "accuracy_estimated_lower",
        "Nullable(Float64) AFTER accuracy_estimated",
    ),
    (
        "window_metrics",
        "accuracy_estimated_upper",
        "Nullable(Float64) AFTER accuracy_estimated_lower",
    ),
    (
        "window_metrics",
        "precision_estimated",
        "Nullable(Float64) AFTER accuracy_estimated_upper",
    ),
    (
        "window_metrics",
        "recall_estimated",
        "Nullable(Float64) AFTER precision_estimated",
    ),
    (
        "window_metrics",
        "f1_estimated",
        "Nullable(Float64) AFTER recall_estimated",
    ),
    (
        "window_metrics",
        "calibration_source",
        "String DEFAULT '' AFTER f1_estimated",
    ),
    (
        "window_metrics",
        "calibration_ece",
        "Nullable(Float64) AFTER calibration_source",
    ),
];

/// The schema's statements without comments (ClickHouse's HTTP interface
/// runs one statement per request), for the database `database` instead of
/// the schema's `mlobs`.
pub fn statements(schema: &str, database: &str) -> Vec<String> {
    let without_comments: String = schema
        .lines()
        .map(|line| line.split("--").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.replace("IF NOT EXISTS mlobs", &format!("IF NOT EXISTS {database}"))
                .replace(" mlobs.", &format!(" {database}."))
        })
        .collect()
}

/// Applies every statement of the schema and adds the columns an older
/// table lacks; returns how many statements ran.
pub fn migrate(clickhouse: &ClickHouse) -> Result<usize, ClickHouseError> {
    let database = clickhouse.database();
    let statements = statements(SCHEMA, database);
    for statement in &statements {
        clickhouse.execute(statement)?;
    }
    let mut ran = statements.len();
    for (table, column, definition) in ADDED_COLUMNS {
        let present = clickhouse.count(&format!(
            "SELECT count() FROM system.columns WHERE database = '{database}' AND table = '{table}' AND name = '{column}'"
        ))?;
        if present == 0 {
            clickhouse.execute(&format!(
                "ALTER TABLE {database}.{table} ADD COLUMN {column} {definition}"
            ))?;
            ran += 1;
        }
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_splits_into_a_database_and_every_table() {
        let statements = statements(SCHEMA, "mlobs");
        assert_eq!(statements.len(), 1 + TABLES.len());
        assert_eq!(statements[0], "CREATE DATABASE IF NOT EXISTS mlobs");
        for (statement, table) in statements[1..].iter().zip(TABLES) {
            let head = format!("CREATE TABLE IF NOT EXISTS mlobs.{table} (");
            assert!(statement.starts_with(&head), "{statement}");
            assert!(!statement.contains("--"));
        }
    }

    #[test]
    fn another_database_replaces_every_mention_of_mlobs() {
        for statement in statements(SCHEMA, "team_a") {
            assert!(!statement.contains("mlobs"), "{statement}");
            assert!(statement.contains("team_a"), "{statement}");
        }
    }
}
