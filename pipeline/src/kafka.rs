//! Kafka clients as the runtime uses them: consumers that commit by hand,
//! an idempotent producer that never gives up on a record (a broker outage
//! pauses the pipeline instead of losing data), and an outbox that sends and
//! then waits for every acknowledgement at a checkpoint.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, ConsumerContext};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Statistics};

use crate::config::KafkaConfig;
use crate::sinks::Metrics;
use crate::PipelineError;

/// Settings for a consumer of `group`; the user's passthrough settings win.
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
        // A crashed member's partitions move within seconds, not the default 45 s.
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "1000");
    user_settings_win(&mut config, kafka);
    config
}

/// Applies the user's passthrough librdkafka settings over ours.
fn user_settings_win(config: &mut ClientConfig, kafka: &KafkaConfig) {
    for (key, value) in &kafka.librdkafka {
        config.set(key, value);
    }
}

/// Creates a consumer of `group` with `context`, which receives
/// librdkafka's statistics (consumer lag among them) every 5 s.
pub fn consumer<C: ConsumerContext + 'static>(
    kafka: &KafkaConfig,
    group: &str,
    context: C,
    name: &'static str,
) -> Result<Member<C>, PipelineError> {
    let mut config = consumer_config(kafka, group);
    config.set("statistics.interval.ms", "5000");
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
            eprintln!(
                "mlobs {}: the broker did not confirm leaving the group within {} s; going on without it (offsets are committed; the group evicts this member after session.timeout.ms)",
                self.name,
                LEAVE_GROUP_TIMEOUT.as_secs()
            );
            // Dropping would wait for the broker again, without a deadline.
            std::mem::forget(consumer);
        }
    }
}

/// A client that only asks the broker where partitions start and end.
pub fn offsets_client(kafka: &KafkaConfig) -> Result<BaseConsumer, PipelineError> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &kafka.brokers);
    user_settings_win(&mut config, kafka);
    config
        .create()
        .map_err(|e| PipelineError::kafka("creating an offsets client", e))
}

/// The shared producer: idempotent (no duplicates or reordering on retry),
/// and it retries forever (`message.timeout.ms = 0`).
pub fn producer(kafka: &KafkaConfig) -> Result<FutureProducer, PipelineError> {
    let mut config = mlobs_schemas::kafka::producer_config(&kafka.brokers, &kafka.librdkafka);
    config
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", "0")
        .set("linger.ms", "5");
    user_settings_win(&mut config, kafka);
    config
        .create()
        .map_err(|e| PipelineError::kafka("creating the producer", e))
}

/// One record to send.
pub struct Outgoing<'a> {
    /// Target topic.
    pub topic: &'a str,
    /// Explicit partition, or `None` to partition by key.
    pub partition: Option<i32>,
    /// Record key.
    pub key: &'a [u8],
    /// Record value.
    pub payload: &'a [u8],
    /// Record headers.
    pub headers: Option<OwnedHeaders>,
    /// Record timestamp (ms), if not now.
    pub timestamp: Option<i64>,
}

/// Sends records and, on demand, waits until every one was acknowledged.
pub struct Outbox {
    producer: FutureProducer,
    pending: Vec<DeliveryFuture>,
    waiter: tokio::runtime::Runtime,
}

impl Outbox {
    /// An outbox over the shared producer.
    pub fn new(producer: FutureProducer) -> Self {
        let waiter = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime builds");
        Outbox {
            producer,
            pending: Vec::new(),
            waiter,
        }
    }

    /// Queues a record; when librdkafka's queue is full, waits for room.
    pub fn send(&mut self, record: Outgoing<'_>) {
        let mut future = FutureRecord::to(record.topic)
            .key(record.key)
            .payload(record.payload);
        if let Some(partition) = record.partition {
            future = future.partition(partition);
        }
        if let Some(headers) = record.headers {
            future = future.headers(headers);
        }
        if let Some(timestamp) = record.timestamp {
            future = future.timestamp(timestamp);
        }
        loop {
            match self.producer.send_result(future) {
                Ok(delivery) => {
                    self.pending.push(delivery);
                    return;
                }
                Err((_, back)) => {
                    // Queue full: the broker is slow or away. Waiting here is
                    // what pauses consumption (the task's channel fills up).
                    future = back;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }

    /// Waits for every queued record; returns (partition, offset) of each in
    /// send order.
    pub fn flush(&mut self) -> Result<Vec<(i32, i64)>, PipelineError> {
        let pending = std::mem::take(&mut self.pending);
        self.waiter.block_on(async {
            let mut placed = Vec::with_capacity(pending.len());
            for delivery in pending {
                match delivery.await {
                    Ok(Ok(delivered)) => placed.push((delivered.partition, delivered.offset)),
                    Ok(Err((error, _))) => {
                        return Err(PipelineError::kafka("delivering a record", error))
                    }
                    Err(_) => return Err(PipelineError::Stopped("the producer was closed".into())),
                }
            }
            Ok(placed)
        })
    }
}
