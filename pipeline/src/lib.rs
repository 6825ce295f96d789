//! The mlobs Kafka runtime: configuration, topic management, the consumer
//! groups that turn prediction and label streams into per-version metrics,
//! and the sinks they feed.

pub mod config;
pub mod skeleton;
pub mod topics;

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
    /// A topic is missing or misconfigured.
    #[error("topic {topic}: {detail}")]
    Topic { topic: String, detail: String },
}

impl PipelineError {
    fn kafka(action: &str, source: rdkafka::error::KafkaError) -> Self {
        PipelineError::Kafka {
            action: action.to_string(),
            source,
        }
    }
}
