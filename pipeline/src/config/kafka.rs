//! The `[kafka]` section: cluster, topics, consumer groups, passthrough.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where Kafka is and how mlobs uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// This instance's stable identity in both consumer groups (Kafka's
    /// static membership, `group.instance.id`): a restart after a crash
    /// takes its partitions back at once. Empty: the host name (a pod's
    /// name on Kubernetes). Give each instance on one host its own.
    pub instance_id: String,
    /// Partitions of every topic `mlobs topics create` makes. Predictions and
    /// labels must have the same count (they are co-partitioned).
    pub partitions: i32,
    /// Replicas of every topic `mlobs topics create` makes (-1: the
    /// broker's `default.replication.factor`).
    pub replication_factor: i32,
    /// `min.insync.replicas` of every topic `mlobs topics create` makes (0:
    /// the broker's default). mlobs producers wait for every in-sync
    /// replica (`acks=all`), so with 3 replicas and 2 here a record counts
    /// as written once two brokers hold it, and writing goes on while one
    /// broker is down.
    pub min_insync_replicas: i32,
    /// How long the event topics (predictions, labels, dead letters,
    /// partials) keep records, in ms (`retention.ms`). Result topics
    /// (checkpoints, window results, alerts) are compacted instead.
    pub retention_ms: i64,
    /// Topic names.
    pub topics: Topics,
    /// Consumer group ids.
    pub groups: Groups,
    /// librdkafka settings passed through unchanged: `security.protocol`,
    /// `sasl.*`, `ssl.*` and so on, for clusters with authentication.
    pub librdkafka: BTreeMap<String, String>,
}

impl KafkaConfig {
    /// The instance identity: `instance_id`, or else the host name
    /// (`HOSTNAME`, as Kubernetes sets it to the pod's name, then the
    /// kernel's), or else "mlobs".
    pub fn instance(&self) -> String {
        if !self.instance_id.is_empty() {
            return self.instance_id.clone();
        }
        std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "mlobs".into())
    }
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".into(),
            instance_id: String::new(),
            partitions: 4,
            replication_factor: 1,
            min_insync_replicas: 0,
            retention_ms: 7 * 24 * 3_600_000,
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
    /// keyed by model (so every version of a model meets in one stage-2
    /// partition, where versions are compared with the champion).
    pub partials: String,
    /// Stage-1 checkpoints (state snapshots), one partition per input partition.
    pub changelog: String,
    /// Window results (WindowMetrics), keyed by model/version/window.
    pub window_metrics: String,
    /// Alert state changes (AlertEvent), keyed by model/version.
    pub alerts: String,
    /// Stage 2's alert rule state (streaks, firing alerts), one record per
    /// partials partition in the partition of the same number, so that the
    /// instance that takes a partition over continues its alerts (compacted).
    pub alert_state: String,
    /// The agent's incidents, newest state per incident id (JSON, compacted).
    pub incidents: String,
    /// The agent's actions and their approvals, newest state per action id
    /// (JSON, compacted): `mlobs agent approve` writes here.
    pub agent_actions: String,
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
            alert_state: "mlobs.alert-state".into(),
            incidents: "mlobs.incidents".into(),
            agent_actions: "mlobs.agent-actions".into(),
        }
    }
}

impl Topics {
    /// Every topic with its config key, in creation order.
    pub fn all(&self) -> [(&'static str, &str); 10] {
        [
            ("kafka.topics.predictions", &self.predictions),
            ("kafka.topics.labels", &self.labels),
            ("kafka.topics.dlq", &self.dlq),
            ("kafka.topics.partials", &self.partials),
            ("kafka.topics.changelog", &self.changelog),
            ("kafka.topics.window_metrics", &self.window_metrics),
            ("kafka.topics.alerts", &self.alerts),
            ("kafka.topics.alert_state", &self.alert_state),
            ("kafka.topics.incidents", &self.incidents),
            ("kafka.topics.agent_actions", &self.agent_actions),
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
    /// The agent worker (`mlobs agent run`): reads the alerts topic.
    pub agent: String,
    /// The group id of consumers that pick their own partitions and
    /// offsets and commit nothing: restoring checkpoints and alert state,
    /// reading actions, `mlobs windows`, `mlobs alerts`. librdkafka needs a
    /// group id even then, and looks its coordinator up, which Kafka
    /// allows to principals with DESCRIBE on the group.
    pub reader: String,
}

impl Default for Groups {
    fn default() -> Self {
        Groups {
            join: "mlobs-join".into(),
            evaluate: "mlobs-evaluate".into(),
            agent: "mlobs-agent".into(),
            reader: "mlobs-reader".into(),
        }
    }
}
