//! The mlobs Kafka runtime: configuration, topic management, the consumer
//! groups that turn prediction and label streams into per-version metrics,
//! and the sinks they feed.

pub mod acls;
pub mod alertmanager;
pub mod alerts_topic;
pub mod baselines;
pub mod config;
pub mod dead_letters;
pub mod group;
pub mod health;
pub mod kafka;
pub mod kafka_log;
pub mod logging;
pub mod outbox;
mod partition_reader;
pub mod privacy;
pub mod read_back;
pub mod replay;
pub mod shutdown;
pub mod sinks;
pub mod stage1;
pub mod stage2;
pub mod topics;
pub mod windows;
pub mod wire;

pub use config::Config;

/// Errors of the runtime, each naming the thing that failed and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A Kafka operation failed.
    #[error("Kafka error while {action}: {source}; is the broker reachable (kafka.brokers) and are the librdkafka settings right?")]
    Kafka {
        action: String,
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// A baseline file cannot be used.
    #[error("baseline {path}: {detail}")]
    Baseline { path: String, detail: String },
    /// A checkpoint cannot be read back (now: the restore is retried).
    #[error("checkpoint of partition {partition}: {detail}")]
    Checkpoint { partition: i32, detail: String },
    /// Another process joined the group under this instance's identity,
    /// and Kafka fenced this one.
    #[error("another mlobs process joined consumer group {group} as instance `{instance}`, and Kafka fenced this one (a static member's identity belongs to the newest process that joins with it); give each instance its own kafka.instance_id (MLOBS_KAFKA_INSTANCE_ID), or stop the other one")]
    DuplicateInstance { instance: String, group: String },
    /// A worker stopped unexpectedly.
    #[error("stopped: {0}")]
    Stopped(String),
    /// ClickHouse refused or could not be reached.
    #[error(transparent)]
    ClickHouse(#[from] sinks::clickhouse::ClickHouseError),
    /// MLflow cannot be used (its URL is unusable).
    #[error(transparent)]
    Mlflow(#[from] mlobs_registry::RegistryError),
    /// A topic is missing or misconfigured.
    #[error("topic {topic}: {detail}")]
    Topic { topic: String, detail: String },
    /// The cluster refused a request for want of an ACL; waiting does not
    /// cure that.
    #[error("Kafka refused {operation} on {resource} {name} ({code}): grant it to the principal mlobs connects as (kafka.librdkafka sasl.username); `mlobs topics acls --for COMPONENT` lists every ACL a component needs")]
    Unauthorized {
        operation: &'static str,
        resource: &'static str,
        name: String,
        code: String,
    },
}

impl PipelineError {
    pub fn kafka(action: &str, source: rdkafka::error::KafkaError) -> Self {
        PipelineError::Kafka {
            action: action.to_string(),
            source,
        }
    }

    /// [`PipelineError::Unauthorized`] when `error` is Kafka refusing an ACL
    /// (`operation` on `resource` `name` is what the request needed; a
    /// refusal of another kind of resource names that kind instead), else
    /// `None`.
    pub fn unauthorized(
        error: &rdkafka::error::KafkaError,
        operation: &'static str,
        resource: &'static str,
        name: &str,
    ) -> Option<Self> {
        use rdkafka::types::RDKafkaErrorCode as Code;
        let code = error.rdkafka_error_code()?;
        let refused = match code {
            Code::TopicAuthorizationFailed => "TOPIC",
            Code::GroupAuthorizationFailed => "GROUP",
            Code::ClusterAuthorizationFailed => "CLUSTER",
            _ => return None,
        };
        let name = if refused == resource {
            name.to_string()
        } else {
            "(the one this request used)".to_string()
        };
        Some(PipelineError::Unauthorized {
            operation,
            resource: refused,
            name,
            code: code.to_string(),
        })
    }
}
