//! Kafka clients as the runtime uses them: consumers that commit by hand
//! and join their groups as static members, and an idempotent producer that
//! waits for every in-sync replica and never gives up on a record (a broker
//! outage pauses the pipeline instead of losing data; see `outbox` for how
//! records are sent and acknowledged).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::producer::FutureProducer;
use rdkafka::{ClientConfig, Statistics};

use crate::config::KafkaConfig;
use crate::kafka_log::Quiet;
use crate::shutdown::Shutdown;
use crate::sinks::Metrics;
use crate::PipelineError;

/// Settings for a consumer of `group`; the user's passthrough settings win.
///
/// Kafka's default timeouts (45 s session, 3 s heartbeat, 5 min poll
/// interval) are kept: a restart after a crash takes its partitions back at
/// once as the same static member, and a graceful stop leaves the group (see
/// `group`), so only an instance that never comes back waits out the
/// session.
pub fn consumer_config(kafka: &KafkaConfig, group: &str) -> ClientConfig {
    let mut config = reader_config(kafka);
    config
        .set("group.id", group)
        // Range assignment gives partition p of every topic to the same member:
        // predictions p and labels p meet in one task.
        .set("partition.assignment.strategy", "range");
    user_settings_win(&mut config, kafka);
    config
}

/// Settings for a consumer that assigns itself the partitions and offsets
/// it reads and commits nothing (the checkpoint, alert-state and action
/// readers, `mlobs windows`). librdkafka refuses to assign without a group
/// id, so it carries `kafka.groups.reader`, which it never joins.
///
/// Fetching as the Java consumer does (1 MB per partition, 50 MB per
/// request), at most 64 MB prefetched, and a fetch postponed only 10 ms
/// (librdkafka's `fetch.queue.backoff.ms` is 1 s) when that prefetch is
/// full: with 256 KB, 16 MB and 1 s, stage 1 stalled a second at a time
/// and processed 190-220k events/s from a backlog against 290-380k now
/// (`bench/pipeline_e2e.sh`; docs/architecture.md, "Stage 1").
pub fn reader_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut config = mlobs_schemas::kafka::client_config(&kafka.brokers, &Default::default());
    config
        .set("group.id", &kafka.groups.reader)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("max.partition.fetch.bytes", "1048576")
        .set("fetch.max.bytes", "52428800")
        .set("queued.max.messages.kbytes", "65536")
        .set("fetch.queue.backoff.ms", "10");
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

/// How long a stopping consumer waits for the broker to confirm that it
/// closed. Offsets are committed before this, so giving up loses nothing.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// A consumer that, when dropped, closes within [`CLOSE_TIMEOUT`].
///
/// Dropping a plain `BaseConsumer` of a group waits for the broker without
/// a deadline, so a broker that is away (stopped, or unreachable) would
/// hold a shutdown forever. A consumer outside any group has nothing to
/// close with the broker.
pub struct Member<C: ConsumerContext + 'static> {
    consumer: Option<BaseConsumer<C>>,
    name: &'static str,
    in_group: bool,
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
            in_group: config.get("group.id").is_some(),
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
        if !self.in_group {
            return;
        }
        let closed = consumer.close_queue().is_ok() && {
            let deadline = Instant::now() + CLOSE_TIMEOUT;
            while !consumer.closed() && Instant::now() < deadline {
                consumer.poll(Duration::from_millis(100));
            }
            consumer.closed()
        };
        if closed {
            drop(consumer);
        } else {
            tracing::warn!(
                consumer = self.name,
                timeout_s = CLOSE_TIMEOUT.as_secs(),
                "the broker did not confirm that the consumer closed; going on without it (offsets are committed)"
            );
            // Dropping would wait for the broker again, without a deadline.
            std::mem::forget(consumer);
        }
    }
}

/// A client that only asks the broker about topics and where partitions
/// start and end (a consumer without a group, which never reads a record).
pub fn offsets_client(kafka: &KafkaConfig) -> Result<BaseConsumer<Quiet>, PipelineError> {
    mlobs_schemas::kafka::client_config(&kafka.brokers, &kafka.librdkafka)
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

/// The shared producer: idempotent, so that a retry after a lost answer
/// neither duplicates nor reorders records within a partition (a heartbeat
/// must follow the partials it vouches for); `acks=all`, so that a record
/// counts as written only once every in-sync replica has it (with a topic's
/// `min.insync.replicas`, a broker that dies right after answering loses
/// nothing); and it retries forever (`message.timeout.ms = 0`): a broker
/// outage pauses the pipeline, it never drops a record.
pub fn producer(kafka: &KafkaConfig) -> Result<Producer, PipelineError> {
    let mut config = mlobs_schemas::kafka::producer_config(&kafka.brokers, &kafka.librdkafka);
    config
        .set("message.timeout.ms", "0")
        .set("message.max.bytes", MAX_RECORD_BYTES.to_string())
        .set("linger.ms", "5");
    user_settings_win(&mut config, kafka);
    config
        .create_with_context(Quiet)
        .map_err(|e| PipelineError::kafka("creating the producer", e))
}

/// How long a one-shot request (metadata, watermarks) keeps trying while
/// the cluster cannot answer it: when a broker dies, its partitions have no
/// leader until the controller notices (`broker.session.timeout.ms`, 9 s)
/// and elects another, and a restarting single broker takes seconds to
/// serve again. A failure that waiting does not cure (a refused password,
/// an untrusted certificate, a missing ACL) is returned at once.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// One attempt's share of [`PATIENCE`]: a misconfigured client's error
/// reaches the user after the first.
const ATTEMPT: Duration = Duration::from_secs(2);

/// Runs `request` on `client` (given its timeout) until it succeeds, fails
/// for good, or [`PATIENCE`] has passed, logging each retry with `what`;
/// returns the last error. Between attempts it serves the client's queue,
/// where librdkafka leaves the reason of a TLS or SASL failure (the
/// request itself only times out): that is how a refused password ends the
/// wait after one attempt. `client` must have nothing assigned yet (a
/// record served there would be lost).
pub fn patiently<C: ConsumerContext, T>(
    what: &str,
    client: &BaseConsumer<C>,
    request: impl FnMut(&BaseConsumer<C>, Duration) -> rdkafka::error::KafkaResult<T>,
) -> rdkafka::error::KafkaResult<T> {
    patiently_until(what, client, &Shutdown::default(), request)
}

/// [`patiently`] for a running stage: it gives up (with the last error)
/// as soon as `shutdown` is asked for, so that a stop while the broker is
/// away is not held for the rest of the patience.
pub fn patiently_until<C: ConsumerContext, T>(
    what: &str,
    client: &BaseConsumer<C>,
    shutdown: &Shutdown,
    mut request: impl FnMut(&BaseConsumer<C>, Duration) -> rdkafka::error::KafkaResult<T>,
) -> rdkafka::error::KafkaResult<T> {
    debug_assert!(client.assignment().map_or(true, |a| a.count() == 0));
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let attempt_ends = Instant::now() + left.min(ATTEMPT);
        let error = match request(client, left.min(ATTEMPT)) {
            Ok(answer) => return Ok(answer),
            Err(error) => error,
        };
        let _ = client.poll(Duration::ZERO);
        if left <= ATTEMPT || crate::kafka_log::fails_for_good(&error) || shutdown.requested() {
            return Err(error);
        }
        tracing::warn!(%error, "{what}: no answer yet; retrying");
        // An attempt can fail at once (with the broker away, a partition
        // is unknown until metadata comes back): the rest of its share is
        // spent serving the queue, or the retries spin a core and write
        // hundreds of thousands of lines a second.
        while !shutdown.requested() {
            let rest = attempt_ends.saturating_duration_since(Instant::now());
            if rest.is_zero() {
                break;
            }
            let _ = client.poll(rest.min(Duration::from_millis(100)));
        }
        if shutdown.requested() {
            return Err(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::error::{KafkaError, RDKafkaErrorCode};

    /// The failure the stress runs met: with the broker away, a request for
    /// a partition fails at once instead of timing out.
    #[test]
    fn a_request_that_fails_at_once_is_retried_once_an_attempt_and_a_stop_ends_it() {
        let client: BaseConsumer<Quiet> = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .create_with_context(Quiet)
            .unwrap();
        let shutdown = Shutdown::default();
        let stopper = shutdown.clone();
        let stop = std::thread::spawn(move || {
            std::thread::sleep(ATTEMPT + ATTEMPT / 2);
            stopper.trigger();
        });
        let mut attempts = 0;
        let answer: rdkafka::error::KafkaResult<()> =
            patiently_until("a test's request", &client, &shutdown, |_, _| {
                attempts += 1;
                Err(KafkaError::MetadataFetch(
                    RDKafkaErrorCode::UnknownPartition,
                ))
            });
        stop.join().unwrap();
        assert!(answer.is_err());
        // Two attempts fit before the stop at 1.5 attempts' time; spinning
        // made hundreds of thousands, and waiting out the patience 15.
        assert_eq!(attempts, 2, "attempts before the stop");
    }
}
