//! Sending records and knowing they arrived: a stage queues what it
//! produces, and at a checkpoint waits until the broker acknowledged every
//! record, in order, before it saves the state those records came from.
//!
//! A record the broker refuses (it is restarting, or answers with an error
//! librdkafka will not retry) is sent again, together with every record
//! queued after it, so that order per partition holds; a copy may then land
//! twice, which every reader tolerates (partials and window results are
//! keyed, checkpoints are addressed by offset). Only shutdown ends the
//! waiting: once it is overdue, the outbox gives up, nothing is committed
//! past what was acknowledged, and the next start sends again.

use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{DeliveryFuture, FutureRecord};

use crate::shutdown::Shutdown;
use crate::PipelineError;

/// How long, after shutdown was asked for, sending and waiting go on.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
const FIRST_RETRY: Duration = Duration::from_millis(200);
const MAX_RETRY: Duration = Duration::from_secs(5);

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

/// A record kept until the broker has it, so that it can be sent again.
struct Kept {
    topic: String,
    partition: Option<i32>,
    key: Vec<u8>,
    payload: Vec<u8>,
    headers: Option<OwnedHeaders>,
    timestamp: Option<i64>,
}

impl Kept {
    fn of(record: Outgoing<'_>) -> Self {
        Kept {
            topic: record.topic.to_string(),
            partition: record.partition,
            key: record.key.to_vec(),
            payload: record.payload.to_vec(),
            headers: record.headers,
            timestamp: record.timestamp,
        }
    }
}

/// Sends records and, on demand, waits until every one was acknowledged.
pub struct Outbox {
    producer: crate::kafka::Producer,
    pending: Vec<(Kept, DeliveryFuture)>,
    waiter: tokio::runtime::Runtime,
    shutdown: Shutdown,
}

impl Outbox {
    /// An outbox over the shared producer; it gives up waiting for the
    /// broker once `shutdown` is overdue.
    pub fn new(producer: crate::kafka::Producer, shutdown: Shutdown) -> Self {
        let waiter = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime builds");
        Outbox {
            producer,
            pending: Vec::new(),
            waiter,
            shutdown,
        }
    }

    /// Queues a record; when librdkafka's queue is full, waits for room.
    pub fn send(&mut self, record: Outgoing<'_>) -> Result<(), PipelineError> {
        let kept = Kept::of(record);
        let delivery = self.enqueue(&kept)?;
        self.pending.push((kept, delivery));
        Ok(())
    }

    /// Waits until every queued record is acknowledged; returns (partition,
    /// offset) of each, in send order.
    pub fn flush(&mut self) -> Result<Vec<(i32, i64)>, PipelineError> {
        let mut placed = Vec::with_capacity(self.pending.len());
        let mut retry = FIRST_RETRY;
        while !self.pending.is_empty() {
            let failed = {
                let pending = &mut self.pending[placed.len()..];
                let (placed_now, failed) =
                    self.waiter.block_on(wait_in_order(pending, &self.shutdown));
                placed.extend(placed_now);
                failed
            };
            let Some(error) = failed? else {
                self.pending.clear();
                break;
            };
            tracing::warn!(%error, retry_in_ms = retry.as_millis() as u64, "the broker refused a record; sending it and the ones after it again");
            if !self.shutdown.wait(retry) && self.shutdown.overdue(SHUTDOWN_GRACE) {
                return Err(gave_up());
            }
            retry = (retry * 2).min(MAX_RETRY);
            let resend: Vec<Kept> = self
                .pending
                .drain(placed.len()..)
                .map(|(kept, _)| kept)
                .collect();
            let mut acknowledged: Vec<(Kept, DeliveryFuture)> = Vec::new();
            std::mem::swap(&mut acknowledged, &mut self.pending);
            for kept in resend {
                let delivery = self.enqueue(&kept)?;
                acknowledged.push((kept, delivery));
            }
            self.pending = acknowledged;
        }
        Ok(placed)
    }

    /// Hands `kept` to librdkafka, waiting while its queue is full.
    fn enqueue(&self, kept: &Kept) -> Result<DeliveryFuture, PipelineError> {
        loop {
            let mut record = FutureRecord::to(&kept.topic)
                .key(&kept.key)
                .payload(&kept.payload);
            if let Some(partition) = kept.partition {
                record = record.partition(partition);
            }
            if let Some(headers) = &kept.headers {
                record = record.headers(headers.clone());
            }
            if let Some(timestamp) = kept.timestamp {
                record = record.timestamp(timestamp);
            }
            match self.producer.send_result(record) {
                Ok(delivery) => return Ok(delivery),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // The broker is slow or away. Waiting here is what
                    // pauses consumption (the task's channel fills up).
                    if self.shutdown.overdue(SHUTDOWN_GRACE) {
                        return Err(gave_up());
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                // Anything else (a record over the size limit) would be
                // refused again every time: stop and say why.
                Err((error, _)) => return Err(refused(kept, &error)),
            }
        }
    }
}

/// Waits for `pending` in order: the offsets of those acknowledged up to the
/// first refusal, and that refusal (or the error that ends the wait).
async fn wait_in_order(
    pending: &mut [(Kept, DeliveryFuture)],
    shutdown: &Shutdown,
) -> (Vec<(i32, i64)>, Result<Option<String>, PipelineError>) {
    let mut placed = Vec::with_capacity(pending.len());
    for (kept, delivery) in pending.iter_mut() {
        let outcome = loop {
            let tick = tokio::time::timeout(Duration::from_millis(200), &mut *delivery);
            if let Ok(outcome) = tick.await {
                break outcome;
            }
            if shutdown.overdue(SHUTDOWN_GRACE) {
                return (placed, Err(gave_up()));
            }
        };
        match outcome {
            Ok(Ok(delivered)) => placed.push((delivered.partition, delivered.offset)),
            Ok(Err((error, _))) => {
                // Sending again cannot cure a missing ACL or a producer
                // that failed for good (idempotence broken).
                if let Some(refusal) =
                    PipelineError::unauthorized(&error, "WRITE", "TOPIC", &kept.topic)
                {
                    return (placed, Err(refusal));
                }
                if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
                    let fatal = PipelineError::Stopped(format!(
                        "the producer failed for good sending to {}: {error}; nothing past the last acknowledged record is committed, so a restart sends again",
                        kept.topic
                    ));
                    return (placed, Err(fatal));
                }
                return (placed, Ok(Some(error.to_string())));
            }
            Err(_) => {
                let closed = PipelineError::Stopped("the producer was closed".into());
                return (placed, Err(closed));
            }
        }
    }
    (placed, Ok(None))
}

fn refused(kept: &Kept, error: &KafkaError) -> PipelineError {
    PipelineError::Stopped(format!(
        "librdkafka refused a {}-byte record for topic {}: {error}; a stage sends records of up to {} bytes, which a window of several thousand features exceeds, and mlobs cannot split one yet",
        kept.payload.len(),
        kept.topic,
        crate::kafka::MAX_RECORD_BYTES
    ))
}

fn gave_up() -> PipelineError {
    PipelineError::Stopped(format!(
        "shut down while the broker did not acknowledge records for {} s; their input offsets were not committed, so the next start processes them again",
        SHUTDOWN_GRACE.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{kafka, Config};

    #[test]
    fn a_record_over_the_size_limit_stops_with_its_size_instead_of_waiting() {
        // librdkafka checks the size when the record is handed over, before
        // any broker is involved: none needs to listen.
        let env = [
            ("MLOBS_KAFKA_BROKERS", "127.0.0.1:1"),
            ("MLOBS_LIBRDKAFKA_MESSAGE_MAX_BYTES", "1000"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let config = Config::load_with_env(None, env).expect("the settings load");
        let mut outbox = Outbox::new(
            kafka::producer(&config.kafka).expect("a producer"),
            Shutdown::default(),
        );
        let payload = vec![7u8; 5000];
        let record = Outgoing {
            topic: "partials",
            partition: Some(0),
            key: b"k",
            payload: &payload,
            headers: None,
            timestamp: None,
        };
        let error = outbox.send(record).expect_err("refused").to_string();
        assert!(
            error.contains("5000-byte record for topic partials")
                && error.contains("Message size too large"),
            "{error}"
        );
    }
}
