//! The two datasources every dashboard reads, named by the uids that
//! infra/grafana/provisioning/datasources/mlobs.yml gives them: a user who
//! provisions that file gets dashboards that work without editing.

/// Prometheus: the live metrics `mlobs run` exports and the alert rules.
pub const PROMETHEUS: &str = "mlobs-prometheus";

/// ClickHouse (grafana-clickhouse-datasource): the history, database
/// `mlobs` by default.
pub const CLICKHOUSE: &str = "mlobs-clickhouse";
