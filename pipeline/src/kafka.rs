//! Kafka clients as the runtime uses them: consumers that commit by hand
//! and join their groups as static members, and an idempotent producer that
//! never gives up on a record (a broker outage pauses the pipeline instead
//! of losing data; see `outbox` for how records are sent and acknowledged).

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::producer::FutureProducer;
use rdkafka::{ClientConfig, Statistics};

use crate::config::KafkaConfig;
use crate::kafka_log::Quiet;
use crate::sinks::Metrics;
use crate::PipelineError;

/// Settings for a consumer of `group`; the user's passthrough settings win.
///
/// Kafka's default timeouts (45 s session, 3 s heartbeat, 5 min poll
/// interval) are kept: a short session makes a slow broker evict healthy
/// members over and over, and fast failover comes from static membership and
/// the group watchdog instead (see `group`). Fetches are bounded so that
/// one poll hands over at most a few hundred KB per partition, and the
/// prefetch queue is bounded so that memory stays flat.
pub fn consumer_config(kafka: &KafkaConfig, group: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &kafka.brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        // Range assignment gives partition p of every topic to the same member:
        // predictions p and labels p meet in one task.
        .set("partition.assignment.strategy", "range")
        .set("max.partition.fetch.bytes", "262144")
        .set("fetch.max.bytes", "4194304")
        .set("queued.max.messages.kbytes", "16384");
    user_settings_win(&mut config, kafka);
    config
}

/// Applies the user's passthrough librdkafka settings over ours.
fn user_settings_win(config: &mut ClientConfig, kafka: &KafkaConfig) {
    for (key, value) in &kafka.librdkafka {
        config.set(key, value);
    }
}

/// Creates a member of `group` with `context`, as the static member
/// `instance` (`group.instance.id`): a restart after a crash gets its
/// partitions back without a rebalance. It receives librdkafka's statistics
/// (consumer lag among them) every 5 s.
pub fn member<C: ConsumerContext + 'static>(
    kafka: &KafkaConfig,
    group: &str,
    instance: &str,
    context: C,
    name: &'static str,
) -> Result<Member<C>, PipelineError> {
    let mut config = consumer_config(kafka, group);
    config
        .set("group.instance.id", instance)
        .set("client.id", format!("mlobs-{instance}"))
        .set("statistics.interval.ms", "5000");
    user_settings_win(&mut config, kafka);
    Member::create(&config, context, name)
}

/// Sets `mlobs_consumer_lag` from a statistics report of a consumer of
/// `group` (partitions whose lag librdkafka does not know yet are skipped).
pub fn report_lag(metrics: &Metrics, group: &str, statistics: &Statistics) {
    for (topic, report) in &statistics.topics {
        for (partition, p) in &report.partitions {
            if *partition >= 0 && p.consumer_lag >= 0 {
                metrics.lag(group, topic, *partition, p.consumer_lag);
            }
        }
    }
}

/// How long a stopping consumer waits for the broker to confirm that it left
/// its group. Offsets are committed before this, so giving up loses nothing:
/// the coordinator then evicts the member after `session.timeout.ms`.
const LEAVE_GROUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A consumer in a group that, when dropped, leaves the group within
/// [`LEAVE_GROUP_TIMEOUT`].
///
/// Dropping a plain `BaseConsumer` waits for the broker without a deadline;
/// a coordinator busy with a rebalance (tansu after a crashed member, see
/// docs/architecture.md) could then hold a shutdown forever.
pub struct Member<C: ConsumerContext + 'static> {
    consumer: Option<BaseConsumer<C>>,
    name: &'static str,
}

impl<C: ConsumerContext + 'static> Member<C> {
    /// Creates the consumer; `name` says who it is in log lines.
    pub fn create(
        config: &ClientConfig,
        context: C,
        name: &'static str,
    ) -> Result<Self, PipelineError> {
        let consumer = config
            .create_with_context(context)
            .map_err(|e| PipelineError::kafka(&format!("creating the {name} consumer"), e))?;
        Ok(Member {
            consumer: Some(consumer),
            name,
        })
    }
}

impl<C: ConsumerContext + 'static> std::ops::Deref for Member<C> {
    type Target = BaseConsumer<C>;

    fn deref(&self) -> &BaseConsumer<C> {
        self.consumer.as_ref().expect("present until dropped")
    }
}

impl<C: ConsumerContext + 'static> Drop for Member<C> {
    fn drop(&mut self) {
        let Some(consumer) = self.consumer.take() else {
            return;
        };
        let closed = consumer.close_queue().is_ok() && {
            let deadline = std::time::Instant::now() + LEAVE_GROUP_TIMEOUT;
            while !consumer.closed() && std::time::Instant::now() < deadline {
                consumer.poll(Duration::from_millis(100));
            }
            consumer.closed()
        };
        if closed {
            drop(consumer);
        } else {
            tracing::warn!(
                consumer = self.name,
                timeout_s = LEAVE_GROUP_TIMEOUT.as_secs(),
                "the broker did not confirm that the consumer closed; going on without it (offsets are committed)"
            );
            // Dropping would wait for the broker again, without a deadline.
            std::mem::forget(consumer);
        }
    }
}

/// How long a member waits, once its partitions are revoked, for librdkafka
/// to send the LeaveGroup that follows an unsubscribe.
const LEAVE_SETTLE: Duration = Duration::from_millis(1_500);

/// Leaves the group now (its partitions are revoked through the rebalance
/// callback, which the polls here serve). A static member does not send
/// LeaveGroup when it closes (KIP-345), only when it unsubscribes; without
/// this, its partitions would wait for the session timeout before moving
/// to the other instances on a graceful stop.
pub fn leave_group<C: ConsumerContext>(consumer: &BaseConsumer<C>, name: &str) {
    consumer.unsubscribe();
    let deadline = std::time::Instant::now() + LEAVE_GROUP_TIMEOUT;
    let mut settled_at = None;
    while std::time::Instant::now() < deadline {
        // Records fetched before the revocation are not processed: their
        // offsets were never committed.
        let _ = consumer.poll(Duration::from_millis(100));
        let unassigned = consumer.assignment().is_ok_and(|a| a.count() == 0);
        let since = *settled_at.get_or_insert_with(std::time::Instant::now);
        if !unassigned {
            settled_at = None;
        } else if since.elapsed() >= LEAVE_SETTLE {
            return;
        }
    }
    tracing::warn!(
        consumer = name,
        "leaving the group took longer than expected"
    );
}

/// Leaves the group and joins it again with the same subscription: the
/// coordinator then assigns every partition afresh (the way to reach
/// partitions a crashed member left behind on a broker that did not
/// rebalance). The rebalance callbacks stop and restart this member's tasks.
pub fn rejoin<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topics: &[&str],
    name: &str,
) -> Result<(), PipelineError> {
    leave_group(consumer, name);
    consumer
        .subscribe(topics)
        .map_err(|e| PipelineError::kafka("joining the group again", e))
}

/// A client that only asks the broker where partitions start and end.
pub fn offsets_client(kafka: &KafkaConfig) -> Result<BaseConsumer<Quiet>, PipelineError> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &kafka.brokers);
    user_settings_win(&mut config, kafka);
    config
        .create_with_context(Quiet)
        .map_err(|e| PipelineError::kafka("creating an offsets client", e))
}

/// The producer every stage sends with.
pub type Producer = FutureProducer<Quiet>;

/// The largest record a stage may send (librdkafka's `message.max.bytes`
/// for the producer; the partials topic is created with the same
/// `max.message.bytes`). A window's partial carries up to 12.7 KB per
/// numeric feature, so librdkafka's default of 1,000,000 bytes stopped a
/// model at about 80 numeric features; 32 MiB fits about 2,500. Consumers
/// fetch larger records as they meet them (`max.partition.fetch.bytes`
/// grows), up to `receive.message.max.bytes`, 100 MB by default.
pub const MAX_RECORD_BYTES: usize = 32 * 1024 * 1024;

/// The shared producer: one request in flight per partition, so that a
/// retry never reorders records (a heartbeat must follow the partials it
/// vouches for), and it retries forever (`message.timeout.ms = 0`). It is
/// not idempotent: everything mlobs writes is idempotent at the reader
/// (partials carry ids, results and claims are keyed, checkpoints are
/// addressed by offset), so a retried record that lands twice is harmless,
/// and idempotent producers cost tansu a producer-state update per batch
/// (docs/architecture.md has the figures).
pub fn producer(kafka: &KafkaConfig) -> Result<Producer, PipelineError> {
    let mut config = mlobs_schemas::kafka::producer_config(&kafka.brokers, &kafka.librdkafka);
    config
        .set("enable.idempotence", "false")
        .set("max.in.flight.requests.per.connection", "1")
        .set("message.timeout.ms", "0")
        .set("message.max.bytes", MAX_RECORD_BYTES.to_string())
        .set("linger.ms", "5");
    user_settings_win(&mut config, kafka);
    config
        .create_with_context(Quiet)
        .map_err(|e| PipelineError::kafka("creating the producer", e))
}

/// How long a one-shot request (metadata, watermarks) waits for a busy
/// broker before its error reaches the user. tansu serves a fetch of large
/// records by reading the partition's tail, and meanwhile answers metadata
/// in tens of seconds: that is slow, not down.
pub const PATIENCE: Duration = Duration::from_secs(90);
/// One attempt's share of [`PATIENCE`].
const ATTEMPT: Duration = Duration::from_secs(15);

/// Runs `request` (given its timeout) until it succeeds or [`PATIENCE`] has
/// passed, logging each retry with `what`; returns the last error.
pub fn patiently<T>(
    what: &str,
    mut request: impl FnMut(Duration) -> rdkafka::error::KafkaResult<T>,
) -> rdkafka::error::KafkaResult<T> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match request(left.min(ATTEMPT)) {
            Ok(answer) => return Ok(answer),
            Err(error) if left > ATTEMPT => {
                tracing::warn!(%error, "{what}: no answer yet; retrying");
            }
            Err(error) => return Err(error),
        }
    }
}
