//! Reading a whole topic of Avro records back, from every partition's
//! first offset to the end offsets found at the start: what `mlobs windows`
//! and `mlobs alerts` print, and what the agent restores its incidents from.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mlobs_schemas::{AvroRecord, WriterSchemas};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::config::KafkaConfig;
use crate::kafka::{reader_config, Member};
use crate::kafka_log::Quiet;
use crate::PipelineError;

/// How long reading may go without a record before it fails. A slow broker
/// (seconds per fetch while it takes a burst) only slows the reading down;
/// returning what had arrived by a fixed deadline printed a silent part of
/// the topic as if it were all of it.
const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Every record of `topic` that decodes as `T`, in each partition's order
/// (`what` names the topic in errors and logs).
pub fn read_topic<T: AvroRecord>(
    kafka: &KafkaConfig,
    topic: &str,
    schemas: &WriterSchemas,
    what: &'static str,
) -> Result<Vec<T>, PipelineError> {
    let records = read_records(kafka, topic, what)?;
    Ok(records
        .into_iter()
        .filter_map(|record| match schemas.decode::<T>(&record.payload) {
            Ok(decoded) => Some(decoded),
            Err(error) => {
                tracing::warn!(
                    topic,
                    partition = record.partition,
                    offset = record.offset,
                    %error,
                    "skipping a record this mlobs cannot read"
                );
                None
            }
        })
        .collect())
}

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its value.
    pub payload: Vec<u8>,
}

/// Every record of `topic`, undecoded, in each partition's order.
pub fn read_records(
    kafka: &KafkaConfig,
    topic: &str,
    what: &'static str,
) -> Result<Vec<ReadRecord>, PipelineError> {
    let consumer = Member::create(&reader_config(kafka), Quiet, what)?;
    let partitions = crate::topics::partition_count(kafka, topic)?;
    let mut assignment = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for partition in 0..partitions {
        let (low, high) =
            crate::kafka::patiently(&format!("reading {what} offsets"), &consumer, |c, t| {
                c.fetch_watermarks(topic, partition, t)
            })
            .map_err(|e| PipelineError::kafka(&format!("reading {what} offsets"), e))?;
        if high > low {
            ends.insert(partition, high);
            let _ = assignment.add_partition_offset(topic, partition, Offset::Offset(low));
        }
    }
    consumer
        .assign(&assignment)
        .map_err(|e| PipelineError::kafka(&format!("assigning {what}"), e))?;
    let mut records = Vec::new();
    let mut remaining = ends.len();
    let mut last_record = Instant::now();
    while remaining > 0 {
        let Some(result) = consumer.poll(Duration::from_millis(200)) else {
            // Offsets without a record (a transaction marker, on Kafka) are
            // passed without a message: the position tells.
            if past_the_ends(&consumer, topic, &ends) {
                break;
            }
            if last_record.elapsed() >= STALL_TIMEOUT {
                return Err(PipelineError::Topic {
                    topic: topic.to_string(),
                    detail: format!(
                        "reading {what}: no record for {} s with {remaining} partition(s) not read to their end; the broker is slow or away, try again",
                        STALL_TIMEOUT.as_secs()
                    ),
                });
            }
            continue;
        };
        let message = match result {
            Ok(message) => message,
            Err(error) => match crate::kafka_log::poll_error(error, &format!("reading {what}")) {
                Some(error) => {
                    return Err(PipelineError::unauthorized(&error, "READ", "TOPIC", topic)
                        .unwrap_or_else(|| {
                            PipelineError::kafka(&format!("reading {what}"), error)
                        }))
                }
                None => continue,
            },
        };
        last_record = Instant::now();
        if ends.get(&message.partition()) == Some(&(message.offset() + 1)) {
            remaining -= 1;
        }
        records.push(ReadRecord {
            partition: message.partition(),
            offset: message.offset(),
            payload: message.payload().unwrap_or_default().to_vec(),
        });
    }
    Ok(records)
}

/// True when the consumer's position is at or past every end offset.
fn past_the_ends<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    ends: &BTreeMap<i32, i64>,
) -> bool {
    let Ok(positions) = consumer.position() else {
        return false;
    };
    ends.iter().all(|(&partition, &end)| {
        positions
            .find_partition(topic, partition)
            .and_then(|p| p.offset().to_raw())
            .is_some_and(|position| position >= end)
    })
}
