//! Whether a table still has the columns `infra/clickhouse/schema.sql`
//! gives it, which decides how rows are sent.
//!
//! RowBinary is not self-describing: the server reads each value as the
//! type its column has, so a column whose type was changed by hand (say
//! `request_id Nullable(String)` tightened to `String`) would not be
//! refused, it would shift every following value and write garbage. The
//! crate's guard against that (`RowBinaryWithNamesAndTypes`) does not exist
//! in ClickHouse 18.16. So before each insert the writer compares the
//! table's columns (`system.columns`) with the schema's: when they agree,
//! rows go as RowBinary; when not, the writer says which columns differ and
//! sends that table's rows as JSONEachRow, which ClickHouse converts value
//! by value and refuses row by row, so the rows that still fit are written
//! and the others become dead letters, as before the crate.

use clickhouse::{Row, RowWrite};

use super::migrate::{statements, SCHEMA};
use super::{ClickHouse, ClickHouseError};

/// Inserts `rows` into `table` in the encoding its live columns allow,
/// saying which columns differ when they do: for the few rows a command or
/// the agent writes at a time (the stages' writer batches on its own).
pub fn insert_as_declared<R: RowWrite>(
    clickhouse: &ClickHouse,
    table: &str,
    rows: &[<R as Row>::Value<'_>],
) -> Result<(), ClickHouseError> {
    let (encoding, differ) = encoding(table, &clickhouse.columns(table)?);
    if encoding == Encoding::JsonEachRow {
        tracing::warn!(
            table,
            columns = differ.join("; "),
            "the table's columns differ from the schema; writing the rows as JSONEachRow"
        );
    }
    clickhouse.insert::<R>(table, rows, encoding)
}

/// How a batch of rows travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Binary, typed by the schema: the fast path.
    RowBinary,
    /// Text, converted by ClickHouse: for a table changed by hand.
    JsonEachRow,
}

/// The columns (name, type) schema.sql declares for `table`, in order.
pub fn declared(table: &str) -> Vec<(String, String)> {
    let head = format!("CREATE TABLE IF NOT EXISTS mlobs.{table} (");
    let Some(statement) = statements(SCHEMA, "mlobs")
        .into_iter()
        .find(|s| s.starts_with(&head))
    else {
        return Vec::new();
    };
    statement[head.len()..]
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with(')'))
        .filter_map(|line| {
            let (name, kind) = line.trim_end_matches(',').split_once(' ')?;
            // system.columns reports the type without its default.
            let kind = kind.split(" DEFAULT ").next().unwrap_or(kind);
            Some((name.to_string(), kind.trim().to_string()))
        })
        .collect()
}

/// How to send rows to `table` whose live columns are `live`, and, when
/// not as RowBinary, the columns that differ from the schema (for the log).
/// A table that is not there at all gets RowBinary: the insert then fails
/// with ClickHouse's own message, naming the missing table.
pub fn encoding(table: &str, live: &[(String, String)]) -> (Encoding, Vec<String>) {
    if live.is_empty() {
        return (Encoding::RowBinary, Vec::new());
    }
    let differ: Vec<String> = declared(table)
        .into_iter()
        .filter_map(
            |(name, kind)| match live.iter().find(|(live_name, _)| *live_name == name) {
                Some((_, live_kind)) if *live_kind == kind => None,
                Some((_, live_kind)) => Some(format!("{name} is {live_kind}, not {kind}")),
                None => Some(format!("{name} ({kind}) is missing")),
            },
        )
        .collect();
    if differ.is_empty() {
        (Encoding::RowBinary, differ)
    } else {
        (Encoding::JsonEachRow, differ)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::clickhouse::alert_rows::AlertRow;
    use crate::sinks::clickhouse::migrate::TABLES;
    use crate::sinks::clickhouse::rows::{
        DriftRow, InferenceRow, OutcomeRow, RegistryEventRow, WindowRow,
    };
    use clickhouse::Row;

    fn names(table: &str) -> Vec<String> {
        declared(table).into_iter().map(|(name, _)| name).collect()
    }

    #[test]
    fn every_row_type_has_the_schema_columns_in_order() {
        assert_eq!(names("inference_log"), InferenceRow::COLUMN_NAMES);
        assert_eq!(names("outcomes"), OutcomeRow::COLUMN_NAMES);
        assert_eq!(names("window_metrics"), WindowRow::COLUMN_NAMES);
        assert_eq!(names("feature_drift"), DriftRow::COLUMN_NAMES);
        assert_eq!(names("alerts"), AlertRow::COLUMN_NAMES);
        assert_eq!(names("registry_events"), RegistryEventRow::COLUMN_NAMES);
        for table in TABLES {
            assert!(!declared(table).is_empty(), "{table}");
        }
        let status = ("status".to_string(), "String".to_string());
        assert!(
            declared("feature_drift").contains(&status),
            "no DEFAULT in the type"
        );
        let log = declared("inference_log");
        assert_eq!(log[4], ("event_time".to_string(), "DateTime".to_string()));
        assert_eq!(log.last().unwrap().1, "Nullable(String)");
    }

    #[test]
    fn a_column_changed_by_hand_switches_the_table_to_json() {
        let mut live = declared("inference_log");
        assert_eq!(
            encoding("inference_log", &live),
            (Encoding::RowBinary, vec![])
        );
        live.push(("added_by_hand".into(), "String".into()));
        assert_eq!(encoding("inference_log", &live).0, Encoding::RowBinary);
        let request_id = live.iter().position(|(n, _)| n == "request_id").unwrap();
        live[request_id].1 = "String".into();
        let (encoding_now, differ) = encoding("inference_log", &live);
        assert_eq!(encoding_now, Encoding::JsonEachRow);
        assert_eq!(differ, ["request_id is String, not Nullable(String)"]);
        live.remove(request_id);
        assert_eq!(
            encoding("inference_log", &live).1,
            ["request_id (Nullable(String)) is missing"]
        );
    }
}
