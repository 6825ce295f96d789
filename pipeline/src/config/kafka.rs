//! The `[kafka]` section: cluster, topics, consumer groups, passthrough.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where Kafka is and how mlobs uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// Partitions of every topic `mlobs topics create` makes. Predictions and
    /// labels must have the same count (they are co-partitioned).
    pub partitions: i32,
    /// Topic names.
    pub topics: Topics,
    /// Consumer group ids.
    pub groups: Groups,
    /// librdkafka settings passed through unchanged: `security.protocol`,
    /// `sasl.*`, `ssl.*` and so on, for clusters with authentication.
    pub librdkafka: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".into(),
            partitions: 4,
            topics: Topics::default(),
            groups: Groups::default(),
            librdkafka: BTreeMap::new(),
        }
    }
}

/// Names of the topics mlobs reads and writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topics {
    /// PredictionEvents from model servers, keyed by prediction_id.
    pub predictions: String,
    /// GroundTruthEvents, keyed by prediction_id, co-partitioned with predictions.
    pub labels: String,
    /// Records that could not be decoded or validated, with the reason in a header.
    pub dlq: String,
    /// Stage 1 -> stage 2: mergeable per-window partials and heartbeats,
    /// keyed by model/version.
    pub partials: String,
    /// Stage-1 checkpoints (state snapshots), one partition per input partition.
    pub changelog: String,
    /// Window results (WindowMetrics), keyed by model/version/window.
    pub window_metrics: String,
    /// Alert state changes (AlertEvent).
    pub alerts: String,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            predictions: "mlobs.predictions".into(),
            labels: "mlobs.labels".into(),
            dlq: "mlobs.dlq".into(),
            partials: "mlobs.partials".into(),
            changelog: "mlobs.join-changelog".into(),
            window_metrics: "mlobs.window-metrics".into(),
            alerts: "mlobs.alerts".into(),
        }
    }
}

impl Topics {
    /// Every topic with its config key, in creation order.
    pub fn all(&self) -> [(&'static str, &str); 7] {
        [
            ("kafka.topics.predictions", &self.predictions),
            ("kafka.topics.labels", &self.labels),
            ("kafka.topics.dlq", &self.dlq),
            ("kafka.topics.partials", &self.partials),
            ("kafka.topics.changelog", &self.changelog),
            ("kafka.topics.window_metrics", &self.window_metrics),
            ("kafka.topics.alerts", &self.alerts),
        ]
    }
}

/// Consumer group ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Groups {
    /// Stage 1: joins predictions with labels.
    pub join: String,
    /// Stage 2: merges partials into window results.
    pub evaluate: String,
}

impl Default for Groups {
    fn default() -> Self {
        Groups {
            join: "mlobs-join".into(),
            evaluate: "mlobs-evaluate".into(),
        }
    }
}
