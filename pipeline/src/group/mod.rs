//! A stage's membership in its consumer group, as Kafka's protocol gives
//! it: a static member (`group.instance.id` = `kafka.instance_id`), so
//! that a restart after a crash takes its partitions back without a
//! rebalance; offsets committed from one place; a graceful stop that hands
//! the partitions over at once (see [`session`]); and Kafka's fence on a
//! second process that joins under the same identity, turned into an error
//! that names the setting.
//!
//! Offsets are committed from one place, [`Membership::commit`], under one
//! lock and asynchronously (librdkafka sends commits in order), so that an
//! offset can never be committed backwards and no commit waits on a broker
//! that is away.

pub mod session;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::PipelineError;

/// A partition of one of the group's topics.
pub type Partition = (String, i32);

/// One stage's membership in its consumer group.
pub struct Membership {
    /// `kafka.instance_id`: the static member's `group.instance.id`.
    pub instance: String,
    /// The consumer group.
    pub group: String,
    /// The topics the stage subscribes to.
    pub topics: Vec<String>,
    /// Owned partitions and the offset that is safe to commit, once known.
    owned: Mutex<BTreeMap<Partition, Option<i64>>>,
    /// The group assigned partitions (maybe none) since the subscription.
    joined: AtomicBool,
    /// A refusal the client reported outside any poll (the coordinator
    /// lookup of a group the principal may not read).
    refused: Mutex<Option<PipelineError>>,
}

impl Membership {
    /// Membership of instance `instance` in `group`, reading `topics`.
    pub fn new(instance: &str, group: &str, topics: &[&str]) -> Self {
        Membership {
            instance: instance.to_string(),
            group: group.to_string(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned: Mutex::default(),
            joined: AtomicBool::new(false),
            refused: Mutex::new(None),
        }
    }

    /// The group handed these partitions to this instance.
    pub fn assigned(&self, list: &TopicPartitionList) {
        let mut owned = self.owned.lock().expect("not poisoned");
        for element in list.elements() {
            let partition = (element.topic().to_string(), element.partition());
            owned.entry(partition).or_insert(None);
        }
        self.joined.store(true, Ordering::SeqCst);
    }

    /// These partitions left this instance.
    pub fn revoked(&self, list: &TopicPartitionList) {
        let mut owned = self.owned.lock().expect("not poisoned");
        for element in list.elements() {
            owned.remove(&(element.topic().to_string(), element.partition()));
        }
    }

    /// True once the group has assigned this member its share (which may
    /// be nothing): from then on, leaving the group reaches the broker.
    pub fn joined(&self) -> bool {
        self.joined.load(Ordering::SeqCst)
    }

    /// Everything derived from `topic`/`partition` below `offset` is
    /// durable: the next commit may say so.
    pub fn set_safe(&self, topic: &str, partition: i32, offset: i64) {
        let mut owned = self.owned.lock().expect("not poisoned");
        if let Some(safe) = owned.get_mut(&(topic.to_string(), partition)) {
            *safe = Some(offset);
        }
    }

    /// Commits every owned partition's safe offset (without waiting for the
    /// answer; failures are logged by the consumer's commit callback).
    pub fn commit<C: ConsumerContext>(&self, consumer: &BaseConsumer<C>) {
        let owned = self.owned.lock().expect("not poisoned");
        let mut list = TopicPartitionList::new();
        for ((topic, partition), safe) in owned.iter() {
            if let Some(offset) = safe {
                let _ = list.add_partition_offset(topic, *partition, Offset::Offset(*offset));
            }
        }
        if list.count() > 0 {
            if let Err(error) = consumer.commit(&list, CommitMode::Async) {
                tracing::warn!(group = %self.group, %error, "commit failed; the next one retries");
            }
        }
    }

    /// Notes an error the client reported through its context (not a
    /// poll): a missing ACL there must stop the stage too, and is returned
    /// by the next [`Membership::refusal`].
    pub fn observe(&self, error: &KafkaError) {
        if let Some(refusal) = self.refusal_of(error) {
            self.refused
                .lock()
                .expect("not poisoned")
                .get_or_insert(refusal);
        }
    }

    /// The missing ACL [`Membership::observe`] noted, once.
    pub fn refusal(&self) -> Option<PipelineError> {
        self.refused.lock().expect("not poisoned").take()
    }

    /// The error to stop with when `error`, which the consumer's poll
    /// returned, means it cannot go on: Kafka fenced it because another
    /// process joined the group as the same static member (KIP-345: the
    /// newer one takes the identity over), another fatal error, or a
    /// missing ACL. `None` for what librdkafka recovers from by itself (a
    /// broker that went away).
    pub fn stop_for<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        error: &KafkaError,
    ) -> Option<PipelineError> {
        if let Some((code, reason)) = consumer.client().fatal_error() {
            return Some(match code {
                RDKafkaErrorCode::FencedInstanceId => PipelineError::DuplicateInstance {
                    instance: self.instance.clone(),
                    group: self.group.clone(),
                },
                _ => PipelineError::Stopped(format!(
                    "the consumer of group {} failed for good: {reason}",
                    self.group
                )),
            });
        }
        self.refusal_of(error)
    }

    /// The missing ACL `error` reports, naming this group or its topics.
    fn refusal_of(&self, error: &KafkaError) -> Option<PipelineError> {
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::GroupAuthorizationFailed) => {
                PipelineError::unauthorized(error, "READ", "GROUP", &self.group)
            }
            _ => PipelineError::unauthorized(error, "READ", "TOPIC", &self.topics.join(" or ")),
        }
    }
}

/// What a consumer context does with the answer to an asynchronous commit.
pub fn log_commit(group: &str, result: KafkaResult<()>) {
    if let Err(error) = result {
        tracing::warn!(%group, %error, "a commit failed; the next one retries");
    }
}
