//! The sections naming the services around mlobs: ClickHouse, the metrics
//! endpoint, MLflow.

use serde::{Deserialize, Serialize};

/// ClickHouse connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClickHouseConfig {
    /// HTTP interface, `http://host:8123`; empty switches the history off.
    pub url: String,
    /// Database holding mlobs' tables (created by the migration).
    pub database: String,
    /// User (sent as `X-ClickHouse-User`).
    pub user: String,
    /// Password (sent as `X-ClickHouse-Key`).
    pub password: String,
    /// Rows per table that trigger an insert before the next checkpoint.
    pub batch_rows: usize,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        ClickHouseConfig {
            url: "http://127.0.0.1:8123".into(),
            database: "mlobs".into(),
            user: "default".into(),
            password: String::new(),
            batch_rows: 50_000,
        }
    }
}

/// The metrics endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address `/metrics`, `/healthz` and `/readyz` listen on (port 0 picks
    /// a free port; empty switches the endpoint off).
    pub listen: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

/// MLflow tracking server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlflowConfig {
    /// Base URL, `http://host:5000`.
    pub url: String,
}

impl Default for MlflowConfig {
    fn default() -> Self {
        MlflowConfig {
            url: "http://127.0.0.1:5000".into(),
        }
    }
}
