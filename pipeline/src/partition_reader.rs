//! Reading a range of one partition with a consumer of its own (assigned,
//! not in a group): what restoring stage-1 checkpoints and stage-2 alert
//! state both need.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::kafka_log::Quiet;
use crate::PipelineError;

/// How long one read may take before it fails (and the caller retries).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// Reads records of one partition.
pub(crate) struct PartitionReader<'a> {
    /// A consumer outside any group, assigned as it reads.
    pub consumer: &'a BaseConsumer<Quiet>,
    /// The topic read.
    pub topic: &'a str,
    /// The partition read.
    pub partition: i32,
}

impl PartitionReader<'_> {
    /// The records of `[from, to)`, with their offsets.
    pub fn read_range(&self, from: i64, to: i64) -> Result<Vec<(i64, Vec<u8>)>, PipelineError> {
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(self.topic, self.partition, Offset::Offset(from))
            .map_err(|e| self.failed(format!("positioning the reader: {e}")))?;
        self.consumer
            .assign(&assignment)
            .map_err(|e| self.failed(format!("assigning {}: {e}", self.topic)))?;
        let deadline = Instant::now() + TIMEOUT;
        let mut records = Vec::new();
        while records.last().map_or(from, |(offset, _)| offset + 1) < to {
            if Instant::now() > deadline {
                return Err(self.failed(format!("timed out reading offsets {from}..{to}")));
            }
            match self.consumer.poll(Duration::from_millis(200)) {
                Some(Ok(message)) if message.offset() < to => {
                    records.push((
                        message.offset(),
                        message.payload().unwrap_or_default().to_vec(),
                    ));
                }
                Some(Ok(_)) => break,
                Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => break,
                Some(Err(e)) => {
                    if let Some(e) =
                        crate::kafka_log::poll_error(e, &format!("reading {}", self.topic))
                    {
                        return Err(self.failed(format!("reading {}: {e}", self.topic)));
                    }
                }
                None => {}
            }
        }
        Ok(records)
    }

    pub fn failed(&self, detail: String) -> PipelineError {
        PipelineError::Checkpoint {
            partition: self.partition,
            detail,
        }
    }
}
