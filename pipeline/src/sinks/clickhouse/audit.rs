//! The registry's audit trail in ClickHouse: one `registry_events` row per
//! change of what serves, written by the command that made the change
//! (not by the stages, so it needs no writer, batching or retries: a
//! failure is the command's answer).

use mlobs_registry::serving::Event;

use super::columns;
use super::rows::RegistryEventRow;
use super::{ClickHouse, ClickHouseError};

/// The table.
pub const TABLE: &str = "registry_events";

/// Writes `event` (the schema applied first, so a fresh database works).
pub fn record(clickhouse: &ClickHouse, event: &Event) -> Result<(), ClickHouseError> {
    super::migrate::migrate(clickhouse)?;
    columns::insert_as_declared::<RegistryEventRow<'static>>(
        clickhouse,
        TABLE,
        &[RegistryEventRow::new(event)],
    )
}

/// Writes `event` for a caller whose change already happened and stands
/// on the version's tags: a failure is logged, not returned (the agent, a
/// retrain job).
pub fn record_or_warn(clickhouse: &ClickHouse, event: &Event) {
    if let Err(error) = record(clickhouse, event) {
        tracing::warn!(%error, model = %event.model, action = event.action, "the registry change is audited on the version's tags only");
    }
}
