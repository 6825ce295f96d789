//! Stage-1 checkpoints in the changelog topic: the checkpoint of input
//! partition p lives in changelog partition p as chunk records followed by a
//! manifest naming their offsets. Restoring reads the last manifest and its
//! chunks only, so it costs the same however long the topic has grown (tansu
//! does not compact).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use super::worker::Checkpoint;
use crate::config::KafkaConfig;
use crate::kafka::{consumer_config, Member, Outbox, Outgoing};
use crate::{wire, PipelineError};

/// Bytes per chunk record (under the default 1 MB message limit).
const CHUNK: usize = 512 * 1024;
/// How far back from the end a restore looks for a manifest at a time.
const SCAN: i64 = 64;
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Serialize, Deserialize)]
enum ChangelogRecord {
    Chunk {
        generation: u64,
        index: u32,
        bytes: Vec<u8>,
    },
    Manifest {
        generation: u64,
        chunk_offsets: Vec<i64>,
    },
}

/// Writes `checkpoint` for `partition`, after everything queued before it
/// in `outbox` is acknowledged (so outputs are durable before the state
/// that produced them).
pub fn save(
    outbox: &mut Outbox,
    topic: &str,
    partition: i32,
    checkpoint: &Checkpoint,
) -> Result<(), PipelineError> {
    outbox.flush()?;
    let generation = mlobs_schemas::time::now_ms() as u64;
    let bytes = wire::encode(checkpoint);
    let chunks: Vec<&[u8]> = bytes.chunks(CHUNK).collect();
    for (index, chunk) in chunks.iter().enumerate() {
        let record = ChangelogRecord::Chunk {
            generation,
            index: index as u32,
            bytes: chunk.to_vec(),
        };
        let key = format!("p{partition}/c{index}");
        outbox.send(Outgoing {
            topic,
            partition: Some(partition),
            key: key.as_bytes(),
            payload: &wire::encode(&record),
            headers: None,
            timestamp: None,
        });
    }
    let chunk_offsets = outbox
        .flush()?
        .into_iter()
        .map(|(_, offset)| offset)
        .collect();
    let manifest = ChangelogRecord::Manifest {
        generation,
        chunk_offsets,
    };
    let key = format!("p{partition}");
    outbox.send(Outgoing {
        topic,
        partition: Some(partition),
        key: key.as_bytes(),
        payload: &wire::encode(&manifest),
        headers: None,
        timestamp: None,
    });
    outbox.flush()?;
    Ok(())
}

/// The last complete checkpoint of `partition`, if any.
pub fn restore(
    kafka: &KafkaConfig,
    topic: &str,
    partition: i32,
) -> Result<Option<Checkpoint>, PipelineError> {
    let failed = |detail: String| PipelineError::Checkpoint { partition, detail };
    let mut config = consumer_config(kafka, "mlobs-checkpoint-reader");
    config.set("enable.partition.eof", "true");
    let consumer = Member::create(&config, DefaultConsumerContext, "checkpoint reader")?;
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, TIMEOUT)
        .map_err(|e| PipelineError::kafka("reading the changelog's offsets", e))?;
    let mut end = high;
    while end > low {
        let start = (end - SCAN).max(low);
        let records = read_range(&consumer, topic, partition, start, end)?;
        let manifest =
            records
                .into_iter()
                .rev()
                .find_map(|(_, payload)| match wire::decode(&payload) {
                    Ok(ChangelogRecord::Manifest {
                        generation,
                        chunk_offsets,
                    }) => Some((generation, chunk_offsets)),
                    _ => None,
                });
        if let Some((generation, offsets)) = manifest {
            let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
                return Err(failed("a manifest without chunks".into()));
            };
            let mut chunks: Vec<(u32, Vec<u8>)> =
                read_range(&consumer, topic, partition, first, last + 1)?
                    .into_iter()
                    .filter(|(offset, _)| offsets.contains(offset))
                    .filter_map(|(_, payload)| match wire::decode(&payload) {
                        Ok(ChangelogRecord::Chunk {
                            generation: g,
                            index,
                            bytes,
                        }) if g == generation => Some((index, bytes)),
                        _ => None,
                    })
                    .collect();
            if chunks.len() != offsets.len() {
                return Err(failed(format!(
                    "{} of {} chunks found",
                    chunks.len(),
                    offsets.len()
                )));
            }
            chunks.sort_by_key(|(index, _)| *index);
            let bytes: Vec<u8> = chunks.into_iter().flat_map(|(_, bytes)| bytes).collect();
            return wire::decode(&bytes).map(Some).map_err(failed);
        }
        end = start;
    }
    Ok(None)
}

/// The records of `[from, to)` in one partition, with their offsets.
fn read_range(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, Vec<u8>)>, PipelineError> {
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Offset(from))
        .map_err(|e| PipelineError::kafka("positioning the checkpoint reader", e))?;
    consumer
        .assign(&assignment)
        .map_err(|e| PipelineError::kafka("assigning the changelog", e))?;
    let deadline = Instant::now() + TIMEOUT;
    let mut records = Vec::new();
    while records.last().map_or(from, |(offset, _)| offset + 1) < to {
        if Instant::now() > deadline {
            return Err(PipelineError::Checkpoint {
                partition,
                detail: format!("timed out reading offsets {from}..{to}"),
            });
        }
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) if message.offset() < to => {
                records.push((
                    message.offset(),
                    message.payload().unwrap_or_default().to_vec(),
                ));
            }
            Some(Ok(_)) => break,
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) => return Err(PipelineError::kafka("reading the changelog", e)),
            None => {}
        }
    }
    Ok(records)
}
