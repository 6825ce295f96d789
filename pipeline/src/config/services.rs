//! The sections naming the services around mlobs: ClickHouse, the metrics
//! endpoint, MLflow.

use serde::{Deserialize, Serialize};

/// ClickHouse connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClickHouseConfig {
    /// HTTP interface, `http://host:8123`.
    pub url: String,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        ClickHouseConfig {
            url: "http://127.0.0.1:8123".into(),
        }
    }
}

/// The metrics endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address `/metrics` listens on.
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
