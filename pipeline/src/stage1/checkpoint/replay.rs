//! Replaying the inputs between a snapshot and the progress made after it:
//! the records of predictions p and labels p in `[from, to)`, read with a
//! reader of their own and handed over in record-timestamp order (event
//! time, for every mlobs producer), which is the order that leaves the
//! fewest events late.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::kafka_log::Quiet;
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::config::KafkaConfig;
use crate::kafka::{reader_config, Member};
use crate::shutdown::Shutdown;
use crate::stage1::worker::Input;
use crate::PipelineError;

/// How long the reader may go without a record before the attempt fails.
const STALL: Duration = Duration::from_secs(30);
/// Records held per input while waiting for the other one.
const HOLD: usize = 50_000;

/// One record of a replay.
pub struct Replayed {
    /// Which input.
    pub input: Input,
    /// Its offset.
    pub offset: i64,
    /// Its key.
    pub key: Option<Vec<u8>>,
    /// Its value.
    pub payload: Vec<u8>,
    timestamp: i64,
}

/// Reads `[from[i], to[i])` of input i's partition `partition` and hands
/// every record to `handle`, merged by timestamp. Returns how many records
/// were replayed.
pub fn replay_inputs(
    kafka: &KafkaConfig,
    partition: i32,
    from: [i64; 2],
    to: [i64; 2],
    shutdown: &Shutdown,
    mut handle: impl FnMut(Replayed),
) -> Result<u64, PipelineError> {
    let failed = |detail: String| PipelineError::Checkpoint { partition, detail };
    let inputs = [Input::Predictions, Input::Labels];
    let mut assignment = TopicPartitionList::new();
    for input in inputs {
        let i = input as usize;
        if from[i] < to[i] {
            let topic = input.topic(&kafka.topics);
            assignment
                .add_partition_offset(topic, partition, Offset::Offset(from[i]))
                .map_err(|e| failed(format!("positioning the replay: {e}")))?;
        }
    }
    if assignment.count() == 0 {
        return Ok(0);
    }
    let consumer: Member<Quiet> = Member::create(&reader_config(kafka), Quiet, "replay reader")?;
    consumer
        .assign(&assignment)
        .map_err(|e| failed(format!("assigning the inputs to replay: {e}")))?;
    let mut merge = Merge {
        queues: [VecDeque::new(), VecDeque::new()],
        next: from,
        to,
    };
    let mut replayed = 0;
    let mut last_record = Instant::now();
    while !merge.done() {
        if shutdown.requested() {
            return Err(PipelineError::Stopped("shut down during a replay".into()));
        }
        if last_record.elapsed() > STALL {
            return Err(failed(format!(
                "no record for {} s while replaying offsets {from:?}..{to:?}",
                STALL.as_secs()
            )));
        }
        if let Some(record) = poll(&consumer, kafka, &failed)? {
            last_record = Instant::now();
            merge.push(record);
        }
        while let Some(record) = merge.pop() {
            replayed += 1;
            handle(record);
        }
    }
    Ok(replayed)
}

fn poll(
    consumer: &BaseConsumer<Quiet>,
    kafka: &KafkaConfig,
    failed: &impl Fn(String) -> PipelineError,
) -> Result<Option<Replayed>, PipelineError> {
    match consumer.poll(Duration::from_millis(200)) {
        None => Ok(None),
        Some(Err(e)) => match crate::kafka_log::poll_error(e, "reading the inputs to replay") {
            Some(e) => Err(failed(format!("reading the inputs to replay: {e}"))),
            None => Ok(None),
        },
        Some(Ok(message)) => Ok(Some(Replayed {
            input: Input::of_topic(&kafka.topics, message.topic()),
            offset: message.offset(),
            key: message.key().map(<[u8]>::to_vec),
            payload: message.payload().unwrap_or_default().to_vec(),
            timestamp: message.timestamp().to_millis().unwrap_or(0),
        })),
    }
}

/// Two inputs merged by timestamp.
struct Merge {
    queues: [VecDeque<Replayed>; 2],
    /// Next offset expected per input.
    next: [i64; 2],
    to: [i64; 2],
}

impl Merge {
    fn push(&mut self, record: Replayed) {
        let i = record.input as usize;
        if record.offset >= self.next[i] && record.offset < self.to[i] {
            self.next[i] = record.offset + 1;
            self.queues[i].push_back(record);
        }
    }

    /// The next record to hand over: the earlier head, once the other input
    /// has a head too (or is complete, or holds too much to wait).
    fn pop(&mut self) -> Option<Replayed> {
        let complete = |i: usize| self.next[i] >= self.to[i];
        let heads = [0, 1].map(|i| self.queues[i].front().map(|r| r.timestamp));
        let take = match heads {
            [Some(a), Some(b)] => usize::from(b < a),
            [Some(_), None] if complete(1) || self.queues[0].len() > HOLD => 0,
            [None, Some(_)] if complete(0) || self.queues[1].len() > HOLD => 1,
            _ => return None,
        };
        self.queues[take].pop_front()
    }

    fn done(&self) -> bool {
        (0..2).all(|i| self.next[i] >= self.to[i] && self.queues[i].is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(input: Input, offset: i64, timestamp: i64) -> Replayed {
        Replayed {
            input,
            offset,
            key: None,
            payload: Vec::new(),
            timestamp,
        }
    }

    #[test]
    fn inputs_merge_by_timestamp_and_wait_for_each_other() {
        let mut merge = Merge {
            queues: [VecDeque::new(), VecDeque::new()],
            next: [0, 5],
            to: [2, 7],
        };
        merge.push(record(Input::Predictions, 0, 100));
        merge.push(record(Input::Predictions, 1, 300));
        assert!(merge.pop().is_none(), "labels may hold an earlier record");
        merge.push(record(Input::Labels, 5, 200));
        merge.push(record(Input::Labels, 5, 200)); // delivered twice: dropped
        let order: Vec<(i64, i64)> = std::iter::from_fn(|| merge.pop())
            .map(|r| (r.offset, r.timestamp))
            .collect();
        assert_eq!(order, vec![(0, 100), (5, 200)]);
        merge.push(record(Input::Labels, 6, 250));
        let rest: Vec<i64> = std::iter::from_fn(|| merge.pop())
            .map(|r| r.offset)
            .collect();
        assert_eq!(rest, vec![6, 1], "labels complete: predictions drain");
        assert!(merge.done());
    }
}
