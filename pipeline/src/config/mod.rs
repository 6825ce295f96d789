//! mlobs configuration: one TOML file plus `MLOBS_*` environment overrides.
//!
//! Every key has a default that works with the local stack (`make up`), so an
//! empty file is a valid config. An environment variable named after a key's
//! path overrides it: `kafka.brokers` is `MLOBS_KAFKA_BROKERS`,
//! `kafka.topics.predictions` is `MLOBS_KAFKA_TOPICS_PREDICTIONS`. librdkafka
//! passthrough settings come from `[kafka.librdkafka]` or from
//! `MLOBS_LIBRDKAFKA_<KEY>` with dots written as underscores
//! (`MLOBS_LIBRDKAFKA_SASL_PASSWORD` sets `sasl.password`).

use std::net::SocketAddr;
use std::path::Path;

use mlobs_operators::limits::Limits;
use mlobs_schemas::WriterSchemas;
use serde::{Deserialize, Serialize};

mod agent;
mod alerts;
mod env;
mod kafka;
mod processing;
mod retrain;
mod services;

pub use agent::{AgentConfig, LlmConfig};
pub use alerts::{AlertRules, AlertsConfig};
pub use env::env_name;
pub use kafka::{Groups, KafkaConfig, Topics};
pub use processing::{BaselineSource, BaselinesConfig, JoinConfig, RuntimeConfig, WindowsConfig};
pub use retrain::{Promote, RetrainConfig, RetrainTriggers};
pub use services::{ClickHouseCompression, ClickHouseConfig, MetricsConfig, MlflowConfig};

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder of extra writer schemas (`*.avsc`), for records from producers
    /// newer than this build; empty means the built-in schemas only.
    pub schemas_dir: String,
    /// Kafka cluster, topics and consumer groups.
    pub kafka: KafkaConfig,
    /// Event-time windows.
    pub windows: WindowsConfig,
    /// Joining predictions with labels.
    pub join: JoinConfig,
    /// Checkpoints, idleness, completion of windows.
    pub runtime: RuntimeConfig,
    /// Where baselines come from.
    pub baselines: BaselinesConfig,
    /// ClickHouse, where history is kept.
    pub clickhouse: ClickHouseConfig,
    /// The Prometheus endpoint mlobs serves.
    pub metrics: MetricsConfig,
    /// MLflow, the model registry.
    pub mlflow: MlflowConfig,
    /// Caps on distinct values that come from event data.
    pub limits: Limits,
    /// Models whose raw features the pipeline must not keep.
    pub privacy: crate::privacy::PrivacyConfig,
    /// Alert rules evaluated on completed windows.
    pub alerts: AlertsConfig,
    /// The agent worker: approval policies, verification.
    pub agent: AgentConfig,
    /// Retraining: the dataset, the promotion policy, the triggers.
    pub retrain: RetrainConfig,
}

/// A configuration that cannot be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {detail}")]
    Read { path: String, detail: String },
    /// The file is not valid TOML or has an unknown key or a wrong type.
    #[error("config file {path} is invalid: {detail}")]
    Parse { path: String, detail: String },
    /// A value is out of range.
    #[error("config key `{key}` = {value:?} is invalid: {allowed}")]
    Invalid {
        key: String,
        value: String,
        allowed: String,
    },
}

impl Config {
    /// Reads `path` (or the defaults when `None`), applies the `MLOBS_*`
    /// variables of the process environment, and validates the result.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_with_env(path, std::env::vars())
    }

    /// [`Config::load`] with an explicit environment, for tests.
    pub fn load_with_env(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (text, origin) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                })?;
                (text, path.display().to_string())
            }
            None => (String::new(), "(defaults)".to_string()),
        };
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: origin,
            detail: e.to_string(),
        })?;
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    fn apply_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        let mut tree = toml::Value::try_from(&*self).expect("a Config always serializes");
        let mut keys = Vec::new();
        env::leaf_keys(&tree, String::new(), &mut keys);
        for (name, value) in env {
            if let Some(setting) = name.strip_prefix("MLOBS_LIBRDKAFKA_") {
                let key = setting.to_lowercase().replace('_', ".");
                self.kafka.librdkafka.insert(key, value);
                continue;
            }
            let Some(key) = keys.iter().find(|k| env_name(k) == name) else {
                continue;
            };
            env::set_leaf(&mut tree, key, &value, &name)?;
        }
        let librdkafka = std::mem::take(&mut self.kafka.librdkafka);
        *self = tree
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path: "(environment)".into(),
                detail: e.to_string(),
            })?;
        self.kafka.librdkafka.extend(librdkafka);
        Ok(())
    }

    /// The writer schemas records may use: built-in plus `schemas_dir`.
    pub fn writer_schemas(&self) -> Result<WriterSchemas, ConfigError> {
        let mut schemas = WriterSchemas::builtin();
        if !self.schemas_dir.is_empty() {
            schemas
                .register_dir(Path::new(&self.schemas_dir))
                .map_err(|e| ConfigError::Invalid {
                    key: "schemas_dir".into(),
                    value: self.schemas_dir.clone(),
                    allowed: format!("{e}; point it at a folder of .avsc files"),
                })?;
        }
        Ok(schemas)
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, value: &dyn ToString, allowed: &str| ConfigError::Invalid {
            key: key.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        };
        self.alerts.rules()?;
        self.retrain.validate()?;
        if self.kafka.brokers.trim().is_empty() {
            return Err(invalid(
                "kafka.brokers",
                &"",
                "give host:port of at least one broker",
            ));
        }
        if !(1..=1024).contains(&self.kafka.partitions) {
            return Err(invalid(
                "kafka.partitions",
                &self.kafka.partitions,
                "use 1 to 1024",
            ));
        }
        for (key, topic) in self.kafka.topics.all() {
            let legal = topic
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if topic.is_empty() || topic.len() > 249 || !legal {
                return Err(invalid(
                    key,
                    &topic,
                    "Kafka topic names are 1-249 of a-z A-Z 0-9 . _ -",
                ));
            }
        }
        let is_http = |url: &str| url.starts_with("http://") || url.starts_with("https://");
        if !(self.clickhouse.url.is_empty() || is_http(&self.clickhouse.url)) {
            return Err(invalid(
                "clickhouse.url",
                &self.clickhouse.url,
                "use an http:// or https:// URL, or \"\" to switch the history off",
            ));
        }
        if !self.clickhouse.ca_file.is_empty() && !self.clickhouse.url.starts_with("https://") {
            return Err(invalid(
                "clickhouse.ca_file",
                &self.clickhouse.ca_file,
                "a CA file is for TLS: make clickhouse.url an https:// URL, or leave ca_file empty",
            ));
        }
        if !is_http(&self.mlflow.url) {
            return Err(invalid(
                "mlflow.url",
                &self.mlflow.url,
                "use an http:// or https:// URL",
            ));
        }
        if self.mlflow.refresh_ms < 100 {
            return Err(invalid(
                "mlflow.refresh_ms",
                &self.mlflow.refresh_ms,
                "give at least 100 ms (default 30000)",
            ));
        }
        let database = &self.clickhouse.database;
        let first_is_letter = database.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if !first_is_letter
            || !database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(invalid(
                "clickhouse.database",
                database,
                "use a ClickHouse identifier: a letter or _, then letters, digits or _",
            ));
        }
        if self.windows.size_ms < 1_000 || self.windows.allowed_lateness_ms < 0 {
            return Err(invalid(
                "windows.size_ms",
                &self.windows.size_ms,
                "windows are at least 1000 ms and lateness is not negative",
            ));
        }
        if self.join.label_ttl_ms <= 0 || self.join.max_pending_labels == 0 {
            return Err(invalid(
                "join.label_ttl_ms",
                &self.join.label_ttl_ms,
                "give a positive TTL and room for pending labels",
            ));
        }
        if self.windows.max_future_ms <= 0 {
            return Err(invalid(
                "windows.max_future_ms",
                &self.windows.max_future_ms,
                "give a positive number of milliseconds (default 3600000, one hour)",
            ));
        }
        if self.kafka.replication_factor == 0 || self.kafka.replication_factor < -1 {
            return Err(invalid(
                "kafka.replication_factor",
                &self.kafka.replication_factor,
                "use 1 or more, or -1 for the broker's default",
            ));
        }
        let replicas = self.kafka.replication_factor;
        let min_insync = self.kafka.min_insync_replicas;
        if min_insync < 0 || (replicas > 0 && min_insync > replicas) {
            return Err(invalid(
                "kafka.min_insync_replicas",
                &min_insync,
                "use 0 for the broker's default, or 1 up to kafka.replication_factor (2 with 3 replicas keeps writing while one broker is down)",
            ));
        }
        if self.kafka.retention_ms <= 0 {
            return Err(invalid(
                "kafka.retention_ms",
                &self.kafka.retention_ms,
                "give a positive number of milliseconds (default 604800000, seven days)",
            ));
        }
        let limits = &self.limits;
        if limits.max_unknown_features == 0
            || limits.max_classes == 0
            || limits.max_error_types == 0
        {
            return Err(invalid(
                "limits.max_classes",
                &limits.max_classes,
                "every limit in [limits] must be at least 1",
            ));
        }
        if self.runtime.channel_capacity == 0 || self.runtime.checkpoint_interval_ms == 0 {
            return Err(invalid(
                "runtime.channel_capacity",
                &self.runtime.channel_capacity,
                "give positive capacities and intervals",
            ));
        }
        if !self.metrics.listen.is_empty() && self.metrics.listen.parse::<SocketAddr>().is_err() {
            return Err(invalid(
                "metrics.listen",
                &self.metrics.listen,
                "use ip:port, e.g. 127.0.0.1:9464 (port 0 picks a free one), or \"\" to switch it off",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
