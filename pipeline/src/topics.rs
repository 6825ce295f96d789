//! Creating mlobs' topics and checking that predictions and labels are
//! co-partitioned (a prediction and its label must land in the same
//! partition number, or stage 1 never sees them together).

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::Consumer;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::metadata::Metadata;

use crate::config::KafkaConfig;
use crate::kafka::MAX_RECORD_BYTES;
use crate::kafka_log::Quiet;
use crate::PipelineError;

const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// What `create` did for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// The topic was created with the configured partitions.
    New { partitions: i32 },
    /// The topic was there already, with this many partitions.
    Existing { partitions: i32 },
}

/// The settings a new topic gets: event topics keep `kafka.retention_ms` of
/// records; the changelog, window results and alerts are compacted (the
/// newest record per key is what matters), and so is the alert state. Every
/// topic the stages write accepts records as large as they may send (a
/// partial grows with the model's features, a dead letter carries the
/// record it refused); the inputs keep the broker's limit, which the
/// model servers' producers live with. `kafka.min_insync_replicas`, when
/// set, goes to every topic.
pub fn settings(kafka: &KafkaConfig, topic_key: &str) -> Vec<(&'static str, String)> {
    let compacted = matches!(
        topic_key,
        "kafka.topics.changelog"
            | "kafka.topics.window_metrics"
            | "kafka.topics.alerts"
            | "kafka.topics.alert_state"
            | "kafka.topics.incidents"
            | "kafka.topics.agent_actions"
    );
    let mut settings = if compacted {
        vec![("cleanup.policy", "compact".into())]
    } else {
        vec![
            ("cleanup.policy", "delete".into()),
            ("retention.ms", kafka.retention_ms.to_string()),
        ]
    };
    let input = matches!(
        topic_key,
        "kafka.topics.predictions" | "kafka.topics.labels"
    );
    if !input {
        settings.push(("max.message.bytes", MAX_RECORD_BYTES.to_string()));
    }
    if kafka.min_insync_replicas > 0 {
        settings.push(("min.insync.replicas", kafka.min_insync_replicas.to_string()));
    }
    settings
}

/// Creates every configured topic that does not exist yet (idempotent);
/// new topics get [`partitions`], [`settings`] and
/// `kafka.replication_factor` replicas.
pub async fn create(kafka: &KafkaConfig) -> Result<Vec<(String, Created)>, PipelineError> {
    // Reading the metadata first fails fast with the reason when the
    // cluster cannot be reached or refuses this client (the admin client
    // would only time out: its log, with the reason, is never served).
    fetch_metadata(kafka, None)?;
    let admin = admin_client(kafka)?;
    let all = kafka.topics.all();
    let settings: Vec<Vec<(&str, String)>> =
        all.iter().map(|(key, _)| settings(kafka, key)).collect();
    let new_topics: Vec<NewTopic> = all
        .iter()
        .zip(&settings)
        .map(|((_, name), settings)| {
            settings.iter().fold(
                NewTopic::new(
                    name,
                    kafka.partitions,
                    TopicReplication::Fixed(kafka.replication_factor),
                ),
                |topic, (key, value)| topic.set(key, value),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(METADATA_TIMEOUT));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .map_err(|e| PipelineError::kafka("creating topics", e))?;
    let metadata = fetch_metadata(kafka, None)?;
    let mut outcome = Vec::new();
    for result in results {
        let (name, created) = match result {
            Ok(name) => (name, true),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => (name, false),
            Err((name, code)) => {
                return Err(PipelineError::Topic {
                    topic: name,
                    detail: format!("the broker refused to create it: {code}"),
                })
            }
        };
        let partitions = partition_count_in(&metadata, &name)?.unwrap_or(kafka.partitions);
        let state = if created {
            Created::New { partitions }
        } else {
            Created::Existing { partitions }
        };
        outcome.push((name, state));
    }
    Ok(outcome)
}

/// Verifies that the predictions and labels topics exist and have the same
/// partition count; returns that count.
pub fn check_copartitioned(kafka: &KafkaConfig) -> Result<i32, PipelineError> {
    let predictions = &kafka.topics.predictions;
    let labels = &kafka.topics.labels;
    let (p, l) = (
        partition_count(kafka, predictions)?,
        partition_count(kafka, labels)?,
    );
    if p != l {
        return Err(PipelineError::Topic {
            topic: labels.clone(),
            detail: format!(
                "it has {l} partitions but {predictions} has {p}; predictions and labels must be \
                 co-partitioned (same partition count, same key, same partitioner). Recreate the \
                 one with the wrong count with {p} partitions, or set kafka.partitions to match"
            ),
        });
    }
    Ok(p)
}

/// Partitions of `topic`, which must exist. Asked of the topic alone: a
/// listing of every topic leaves out the ones the principal may not
/// describe, which would look like a missing topic instead of a missing ACL.
pub fn partition_count(kafka: &KafkaConfig, topic: &str) -> Result<i32, PipelineError> {
    let metadata = fetch_metadata(kafka, Some(topic))?;
    partition_count_in(&metadata, topic)?.ok_or_else(|| PipelineError::Topic {
        topic: topic.to_string(),
        detail: "it does not exist; run `mlobs topics create`".into(),
    })
}

fn admin_client(kafka: &KafkaConfig) -> Result<AdminClient<Quiet>, PipelineError> {
    mlobs_schemas::kafka::client_config(&kafka.brokers, &kafka.librdkafka)
        .create_with_context(Quiet)
        .map_err(|e| PipelineError::kafka("creating the admin client", e))
}

/// The cluster's metadata, of `topic` or of every topic; a cluster that
/// cannot answer yet is waited for ([`crate::kafka::patiently`]) before the
/// error reaches the user.
fn fetch_metadata(kafka: &KafkaConfig, topic: Option<&str>) -> Result<Metadata, PipelineError> {
    let what = format!("reading metadata from {}", kafka.brokers);
    let client = crate::kafka::offsets_client(kafka)?;
    crate::kafka::patiently(&what, &client, |client, timeout| {
        client.fetch_metadata(topic, timeout)
    })
    .map_err(|e| PipelineError::kafka(&what, e))
}

/// Partitions of `topic` in `metadata`: `Ok(None)` when it does not exist,
/// an error when the broker would not describe it (a missing ACL).
fn partition_count_in(metadata: &Metadata, topic: &str) -> Result<Option<i32>, PipelineError> {
    let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return Ok(None);
    };
    match found.error() {
        None => Ok(Some(found.partitions().len() as i32)),
        Some(code)
            if RDKafkaErrorCode::from(code) == RDKafkaErrorCode::TopicAuthorizationFailed =>
        {
            Err(PipelineError::Unauthorized {
                operation: "DESCRIBE (or READ, WRITE)",
                resource: "TOPIC",
                name: topic.to_string(),
                code: RDKafkaErrorCode::from(code).to_string(),
            })
        }
        Some(_) => Ok(None),
    }
}
