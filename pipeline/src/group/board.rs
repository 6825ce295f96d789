//! The claims topic, written and read: every stage of every instance posts
//! its claim there every few seconds and reads everyone else's (see
//! `claims`). The topic has one partition and is compacted on a Kafka that
//! compacts (the key is group/instance), so it stays small; a reader only
//! looks at the newest few thousand records.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;

use rdkafka::producer::FutureRecord;
use rdkafka::{Message, Offset, TopicPartitionList};

use super::claims::Claim;
use crate::config::KafkaConfig;
use crate::kafka::{consumer_config, Member};
use crate::kafka_log::Quiet;
use crate::PipelineError;

/// How far back from the end a new reader starts.
const LOOKBACK: i64 = 5_000;
/// Claims older than this are forgotten.
const FORGET_AFTER_MS: i64 = 15 * 60_000;

/// Claims posted and read.
pub struct ClaimBoard {
    topic: String,
    reader: Member<Quiet>,
    producer: crate::kafka::Producer,
    /// The reader reached the end of the topic (and read nothing since).
    at_end: bool,
    /// The newest claim of each process in each group.
    newest: HashMap<(String, String, i64, u32), Claim>,
}

impl ClaimBoard {
    /// A board on `kafka.topics.claims`, reading from near its end. The
    /// topic must exist (`mlobs topics create` makes it).
    pub fn open(kafka: &KafkaConfig) -> Result<Self, PipelineError> {
        let topic = kafka.topics.claims.clone();
        crate::topics::partition_count(kafka, &topic)?;
        let mut config = consumer_config(kafka, "mlobs-claims-reader");
        // Reading up to the end is told by an end-of-partition event, not by
        // asking where the end is: on tansu, a ListOffsets request waits
        // behind the reader's own pending fetch.
        config.set("enable.partition.eof", "true");
        let reader = Member::create(&config, Quiet, "claims reader")?;
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(&topic, 0, Offset::OffsetTail(LOOKBACK))
            .map_err(|e| PipelineError::kafka("positioning the claims reader", e))?;
        reader
            .assign(&assignment)
            .map_err(|e| PipelineError::kafka("assigning the claims topic", e))?;
        Ok(ClaimBoard {
            topic,
            reader,
            producer: crate::kafka::producer(kafka)?,
            at_end: false,
            newest: HashMap::new(),
        })
    }

    /// Posts `claim` (without waiting: a claim that cannot be sent now is
    /// simply not made; the next one comes a few seconds later).
    pub fn post(&self, claim: &Claim) {
        let payload = serde_json::to_vec(claim).expect("claims serialize");
        let key = claim.key();
        let record = FutureRecord::to(&self.topic).key(&key).payload(&payload);
        if let Err((error, _)) = self.producer.send_result(record) {
            tracing::debug!(%error, "a claim was not sent");
        }
    }

    /// Reads what was posted up to now (at most `budget` long).
    pub fn catch_up(&mut self, budget: Duration) -> Result<(), PipelineError> {
        let deadline = Instant::now() + budget;
        loop {
            if Instant::now() >= deadline {
                return Err(PipelineError::Stopped(format!(
                    "the claims topic was not read to its end within {} s",
                    budget.as_secs()
                )));
            }
            let message = match self.reader.poll(Duration::from_millis(100)) {
                // At the end already, and nothing new came: caught up.
                None if self.at_end => break,
                None => continue,
                Some(Err(KafkaError::PartitionEOF(_))) => {
                    self.at_end = true;
                    break;
                }
                Some(message) => {
                    message.map_err(|e| PipelineError::kafka("reading the claims topic", e))?
                }
            };
            self.at_end = false;
            match serde_json::from_slice::<Claim>(message.payload().unwrap_or_default()) {
                Ok(claim) => self.remember(claim),
                Err(error) => tracing::debug!(%error, "skipping a record that is not a claim"),
            }
        }
        let horizon = mlobs_schemas::time::now_ms() - FORGET_AFTER_MS;
        self.newest.retain(|_, claim| claim.at_ms >= horizon);
        Ok(())
    }

    /// The newest claim of every process in `group`.
    pub fn claims<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Claim> + 'a {
        self.newest
            .values()
            .filter(move |claim| claim.group == group)
    }

    fn remember(&mut self, claim: Claim) {
        let key = (
            claim.group.clone(),
            claim.instance.clone(),
            claim.started_ms,
            claim.pid,
        );
        match self.newest.get(&key) {
            Some(known) if known.at_ms >= claim.at_ms => {}
            _ => {
                self.newest.insert(key, claim);
            }
        }
    }
}
