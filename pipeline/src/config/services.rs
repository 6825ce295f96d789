//! The sections naming the services around mlobs: ClickHouse, the metrics
//! endpoint, MLflow.

use serde::{Deserialize, Serialize};

/// ClickHouse connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClickHouseConfig {
    /// HTTP interface, `http://host:8123`, or `https://host:8443` for TLS;
    /// empty switches the history off.
    pub url: String,
    /// PEM file of the CA that signed ClickHouse's certificate (a private
    /// CA, a self-signed setup); it replaces the machine's trust store.
    /// Empty: the machine's trust store.
    pub ca_file: String,
    /// Database holding mlobs' tables (created by the migration).
    pub database: String,
    /// User (sent as `X-ClickHouse-User`).
    pub user: String,
    /// Password (sent as `X-ClickHouse-Key`).
    pub password: String,
    /// Rows per table that trigger an insert before the next checkpoint.
    pub batch_rows: usize,
    /// Compression on the wire. Off by default: the HTTP compression of
    /// the Debian build of ClickHouse 18.16 (the local stack) is broken
    /// (`compress=1` answers are empty, and older clickhouse crates lost
    /// rows over it); `lz4` compresses inserts (`decompress=1`), which
    /// worked against 18.16 with this crate, and asks current servers for
    /// compressed answers.
    pub compression: ClickHouseCompression,
}

/// `clickhouse.compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClickHouseCompression {
    /// Plain bodies (the default).
    #[default]
    None,
    /// ClickHouse's LZ4 blocks for inserts; `Accept-Encoding: lz4` for
    /// answers (servers that do not know it answer plainly).
    Lz4,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        ClickHouseConfig {
            url: "http://127.0.0.1:8123".into(),
            ca_file: String::new(),
            database: "mlobs".into(),
            user: "default".into(),
            password: String::new(),
            batch_rows: 50_000,
            compression: ClickHouseCompression::None,
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

/// MLflow tracking server and model registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlflowConfig {
    /// Base URL, `http://host:5000`.
    pub url: String,
    /// Where baselines fetched from MLflow are kept, so that a restart
    /// while MLflow is down still has them. Empty: `$XDG_CACHE_HOME/mlobs/
    /// baselines`, else `~/.cache/mlobs/baselines`.
    pub cache_dir: String,
    /// How often the pipeline asks MLflow for new or changed baselines
    /// (ms); a version registered meanwhile gets drift within this time.
    pub refresh_ms: u64,
    /// Registered models whose baselines the pipeline loads; empty: every
    /// model that has one. (From the environment: comma-separated.)
    pub models: Vec<String>,
}

impl Default for MlflowConfig {
    fn default() -> Self {
        MlflowConfig {
            url: "http://127.0.0.1:5000".into(),
            cache_dir: String::new(),
            refresh_ms: 30_000,
            models: Vec::new(),
        }
    }
}

impl MlflowConfig {
    /// `cache_dir`, or its default.
    pub fn cache_path(&self) -> std::path::PathBuf {
        if !self.cache_dir.is_empty() {
            return self.cache_dir.clone().into();
        }
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let cache = var("XDG_CACHE_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| var("HOME").map(|home| std::path::Path::new(&home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        cache.join("mlobs").join("baselines")
    }
}
