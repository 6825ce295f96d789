//! Reading a partition's newest checkpoint back: the newest snapshot, and
//! the progress made since, if any. Reading starts at the end of the
//! changelog partition and goes back only as far as the newest manifest or
//! progress record, so it costs the same however long the topic has grown
//! between two passes of Kafka's log cleaner (the topic is compacted).

use rdkafka::consumer::Consumer;

use crate::kafka_log::Quiet;

use super::{decode, ChangelogRecord, Progress};
use crate::config::KafkaConfig;
use crate::kafka::{reader_config, Member};
use crate::partition_reader::{PartitionReader, TIMEOUT};
use crate::stage1::worker::Checkpoint;
use crate::{wire, PipelineError};

/// How far back from the end a restore looks for a manifest at a time.
const SCAN: i64 = 64;

/// A checkpoint read back.
pub struct Restored {
    /// The newest snapshot.
    pub snapshot: Checkpoint,
    /// Its generation and where its manifest is.
    pub generation: u64,
    /// Offset of its manifest.
    pub manifest_offset: i64,
    /// Progress since the snapshot, when some was made.
    pub progress: Option<Progress>,
}

/// The newest checkpoint of `partition`, if any.
pub fn restore(
    kafka: &KafkaConfig,
    topic: &str,
    partition: i32,
) -> Result<Option<Restored>, PipelineError> {
    let failed = |detail: String| PipelineError::Checkpoint { partition, detail };
    let mut config = reader_config(kafka);
    config.set("enable.partition.eof", "true");
    let consumer = Member::create(&config, Quiet, "checkpoint reader")?;
    let reader = PartitionReader {
        consumer: &consumer,
        topic,
        partition,
    };
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, TIMEOUT)
        .map_err(|e| {
            PipelineError::unauthorized(&e, "READ", "TOPIC", topic)
                .unwrap_or_else(|| failed(format!("reading the changelog's offsets: {e}")))
        })?;
    let Some((offset, newest)) = reader.newest_mark(low, high)? else {
        return Ok(None);
    };
    let (manifest_offset, progress) = match newest {
        ChangelogRecord::Progress(progress) => (progress.manifest_offset, Some(progress)),
        _ => (offset, None),
    };
    let (generation, chunk_offsets) = match reader.read_one(manifest_offset)? {
        ChangelogRecord::Manifest {
            generation,
            chunk_offsets,
        } => (generation, chunk_offsets),
        _ => {
            return Err(failed(format!(
                "offset {manifest_offset} holds no manifest"
            )))
        }
    };
    let bytes = reader.chunks(generation, &chunk_offsets)?;
    let snapshot = wire::decode(&bytes).map_err(failed)?;
    Ok(Some(Restored {
        snapshot,
        generation,
        manifest_offset,
        progress,
    }))
}

impl PartitionReader<'_> {
    /// The newest manifest or progress record in `[low, high)`.
    fn newest_mark(
        &self,
        low: i64,
        high: i64,
    ) -> Result<Option<(i64, ChangelogRecord)>, PipelineError> {
        let mut end = high;
        while end > low {
            let start = (end - SCAN).max(low);
            let newest =
                self.read_range(start, end)?
                    .into_iter()
                    .rev()
                    .find_map(|(offset, payload)| match decode(&payload) {
                        Ok(
                            record @ (ChangelogRecord::Manifest { .. }
                            | ChangelogRecord::Progress(_)),
                        ) => Some((offset, record)),
                        Ok(ChangelogRecord::Chunk { .. }) => None,
                        Err(detail) => {
                            tracing::warn!(
                                partition = self.partition,
                                offset,
                                %detail,
                                "skipping a changelog record this mlobs cannot read"
                            );
                            None
                        }
                    });
            if newest.is_some() {
                return Ok(newest);
            }
            end = start;
        }
        Ok(None)
    }

    /// The record at `offset`.
    fn read_one(&self, offset: i64) -> Result<ChangelogRecord, PipelineError> {
        let records = self.read_range(offset, offset + 1)?;
        let (_, payload) = records
            .into_iter()
            .find(|(o, _)| *o == offset)
            .ok_or_else(|| self.failed(format!("offset {offset} is gone")))?;
        decode(&payload).map_err(|detail| self.failed(detail))
    }

    /// The snapshot bytes of `generation`, from its chunks at `offsets`.
    fn chunks(&self, generation: u64, offsets: &[i64]) -> Result<Vec<u8>, PipelineError> {
        let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
            return Err(self.failed("a manifest without chunks".into()));
        };
        let mut chunks: Vec<(u32, Vec<u8>)> = self
            .read_range(first, last + 1)?
            .into_iter()
            .filter(|(offset, _)| offsets.contains(offset))
            .filter_map(|(_, payload)| match decode(&payload) {
                Ok(ChangelogRecord::Chunk {
                    generation: g,
                    index,
                    bytes,
                }) if g == generation => Some((index, bytes)),
                _ => None,
            })
            .collect();
        if chunks.len() != offsets.len() {
            return Err(self.failed(format!(
                "{} of {} chunks of snapshot {generation} found",
                chunks.len(),
                offsets.len()
            )));
        }
        chunks.sort_by_key(|(index, _)| *index);
        Ok(chunks.into_iter().flat_map(|(_, bytes)| bytes).collect())
    }
}
