//! Consumer-group membership that keeps its promises without an operator:
//! a stable identity (static membership), claims on the partitions it owns
//! (see [`claims`]), a watchdog that notices partitions nobody owns and
//! makes the group assign them again, and a refusal to run twice under one
//! identity. Both stages use it; only the standard Kafka protocol is used,
//! so it behaves the same on tansu and on any Kafka.
//!
//! Offsets are committed from one place, [`Membership::commit`], under one
//! lock and asynchronously (librdkafka sends commits in order), so that an
//! offset can never be committed backwards and no commit waits on a broker
//! that is away.

pub mod board;
pub mod claims;
pub mod watch;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::{Offset, TopicPartitionList};

use crate::PipelineError;
use claims::{Claim, Identity, Partition};

/// One stage's membership in its consumer group.
pub struct Membership {
    /// This process.
    pub identity: Identity,
    /// The consumer group.
    pub group: String,
    /// The topics the stage subscribes to.
    pub topics: Vec<String>,
    /// Owned partitions and the offset that is safe to commit, once known.
    owned: Mutex<BTreeMap<Partition, Option<i64>>>,
    rejoin: AtomicBool,
    duplicate: Mutex<Option<Claim>>,
}

impl Membership {
    /// Membership of `identity` in `group`, reading `topics`.
    pub fn new(identity: Identity, group: &str, topics: &[&str]) -> Self {
        Membership {
            identity,
            group: group.to_string(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned: Mutex::default(),
            rejoin: AtomicBool::new(false),
            duplicate: Mutex::new(None),
        }
    }

    /// The group handed these partitions to this instance.
    pub fn assigned(&self, list: &TopicPartitionList) {
        let mut owned = self.owned.lock().expect("not poisoned");
        for element in list.elements() {
            let partition = (element.topic().to_string(), element.partition());
            owned.entry(partition).or_insert(None);
        }
    }

    /// These partitions left this instance.
    pub fn revoked(&self, list: &TopicPartitionList) {
        let mut owned = self.owned.lock().expect("not poisoned");
        for element in list.elements() {
            owned.remove(&(element.topic().to_string(), element.partition()));
        }
    }

    /// The partitions this instance owns.
    pub fn owned(&self) -> Vec<Partition> {
        let owned = self.owned.lock().expect("not poisoned");
        owned.keys().cloned().collect()
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

    /// Asks the stage to leave and rejoin the group, which makes the group
    /// assign every partition again.
    pub fn request_rejoin(&self) {
        self.rejoin.store(true, Ordering::SeqCst);
    }

    /// True once after [`Membership::request_rejoin`].
    pub fn take_rejoin(&self) -> bool {
        self.rejoin.swap(false, Ordering::SeqCst)
    }

    /// Records that another live process uses this identity.
    pub fn found_duplicate(&self, claim: Claim) {
        self.duplicate
            .lock()
            .expect("not poisoned")
            .get_or_insert(claim);
    }

    /// The error to stop with when another live process uses this identity.
    pub fn duplicate(&self) -> Option<PipelineError> {
        let claim = self.duplicate.lock().expect("not poisoned").clone()?;
        Some(PipelineError::DuplicateInstance {
            instance: claim.instance,
            group: self.group.clone(),
            pid: claim.pid,
        })
    }
}

/// What a consumer context does with the answer to an asynchronous commit.
pub fn log_commit(group: &str, result: KafkaResult<()>) {
    if let Err(error) = result {
        tracing::warn!(%group, %error, "a commit failed; the next one retries");
    }
}
