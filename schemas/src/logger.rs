//! PredictionLogger: the one call serving code makes per inference.
//!
//! `log` never blocks the inference path: it hands the event to a bounded
//! queue and returns. A background thread applies privacy mode, encodes and
//! produces in batches through librdkafka. When the queue is full (the broker
//! is slow or down) the event is dropped and counted, never waited for.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde::Deserialize;

use crate::codec::Encoder;
use crate::events::PredictionEvent;
use crate::features_hash::{features_hash, hash_key, HASH_KEY_ENV};
use crate::kafka::producer_config;

/// How the logger reaches Kafka and how much it may buffer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggerConfig {
    /// Bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// Topic the events go to (co-partitioned with the labels topic).
    pub topic: String,
    /// Events that may wait in memory; beyond this `log` drops.
    pub queue_capacity: usize,
    /// Omit raw features and send only their keyed hash (see
    /// [`crate::features_hash`]).
    pub privacy_mode: bool,
    /// The secret the hash is keyed with; empty: `MLOBS_PRIVACY_HASH_KEY`.
    /// Required in privacy mode. Keep it out of files in the repository.
    pub privacy_hash_key: String,
    /// How long librdkafka waits to fill a batch, in milliseconds.
    pub linger_ms: u32,
    /// librdkafka settings passed through unchanged (security, SASL, SSL...).
    pub librdkafka: BTreeMap<String, String>,
}

impl Default for LoggerConfig {
    fn default() -> Self {
        LoggerConfig {
            brokers: "127.0.0.1:9092".into(),
            topic: "mlobs.predictions".into(),
            queue_capacity: 10_000,
            privacy_mode: false,
            privacy_hash_key: String::new(),
            linger_ms: 20,
            librdkafka: BTreeMap::new(),
        }
    }
}

/// What happened to one `log` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logged {
    /// Queued for sending.
    Queued,
    /// Dropped because the queue was full.
    Dropped,
}

/// Counters of a logger's life so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoggerStats {
    /// Events accepted into the queue.
    pub queued: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Events the broker acknowledged.
    pub delivered: u64,
    /// Events that failed to encode or that the broker refused or timed out.
    pub failed: u64,
    /// Why the most recent failed event failed.
    pub last_failure: Option<String>,
}

impl LoggerStats {
    /// Accepted events that neither arrived nor failed (still in flight, or
    /// abandoned when a shutdown ran out of time).
    pub fn in_flight(&self) -> u64 {
        self.queued - self.delivered - self.failed
    }
}

#[derive(Default)]
struct Counters {
    queued: AtomicU64,
    dropped: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    /// Why the last failed event failed, for the operator.
    last_failure: std::sync::Mutex<Option<String>>,
}

impl Counters {
    fn snapshot(&self) -> LoggerStats {
        LoggerStats {
            queued: self.queued.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            last_failure: self.last_failure.lock().expect("not poisoned").clone(),
        }
    }
}

/// Error starting a logger.
#[derive(Debug, thiserror::Error)]
pub enum LoggerError {
    /// An invalid librdkafka setting, typically.
    #[error(
        "cannot start the prediction logger: {0}; check `brokers` and the `librdkafka` settings"
    )]
    Kafka(#[from] KafkaError),
    /// Privacy mode without a key to hash with.
    #[error("cannot start the prediction logger: privacy mode needs a hash key; set `privacy_hash_key` or the environment variable {HASH_KEY_ENV} (keep it out of files in the repository)")]
    NoHashKey,
}

/// Non-blocking, batching producer of prediction events.
pub struct PredictionLogger {
    queue: SyncSender<PredictionEvent>,
    counters: Arc<Counters>,
    worker: JoinHandle<()>,
    shutdown_deadline: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl PredictionLogger {
    /// Connects lazily (librdkafka retries in the background) and starts the
    /// sending thread. Fails only on invalid settings.
    pub fn start(config: LoggerConfig) -> Result<Self, LoggerError> {
        let hash_key = match hash_key(Some(&config.privacy_hash_key)) {
            Some(key) => Some(key.into_bytes()),
            None if config.privacy_mode => return Err(LoggerError::NoHashKey),
            None => None,
        };
        let counters = Arc::new(Counters::default());
        let mut client = producer_config(&config.brokers, &config.librdkafka);
        client.set("linger.ms", config.linger_ms.to_string()).set(
            "queue.buffering.max.messages",
            config.queue_capacity.max(1).to_string(),
        );
        let producer: BaseProducer<DeliveryCounter> =
            client.create_with_context(DeliveryCounter(counters.clone()))?;
        let (queue, receiver) = mpsc::sync_channel(config.queue_capacity);
        let shutdown_deadline = Arc::new(std::sync::Mutex::new(None));
        let sender = Sender {
            producer,
            topic: config.topic,
            hash_key: hash_key.filter(|_| config.privacy_mode),
            counters: counters.clone(),
            shutdown_deadline: shutdown_deadline.clone(),
        };
        let worker = std::thread::Builder::new()
            .name("prediction-logger".into())
            .spawn(move || sender.run(receiver))
            .expect("spawning a thread only fails when the OS is out of resources");
        Ok(PredictionLogger {
            queue,
            counters,
            worker,
            shutdown_deadline,
        })
    }

    /// Hands `event` to the sending thread, or drops it if the queue is full.
    /// Never blocks.
    pub fn log(&self, event: PredictionEvent) -> Logged {
        self.log_within(event, Duration::ZERO)
    }

    /// Hands `event` to the sending thread, waiting up to `patience` for
    /// room in the queue before it drops it: for simulations and replays,
    /// which would rather slow down to the broker's pace than lose events.
    /// (Serving code calls [`log`](Self::log), which never blocks.)
    pub fn log_within(&self, mut event: PredictionEvent, patience: Duration) -> Logged {
        let deadline = Instant::now() + patience;
        loop {
            match self.queue.try_send(event) {
                Ok(()) => {
                    self.counters.queued.fetch_add(1, Ordering::Relaxed);
                    return Logged::Queued;
                }
                Err(TrySendError::Full(returned)) if Instant::now() < deadline => {
                    event = returned;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                    self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    return Logged::Dropped;
                }
            }
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> LoggerStats {
        self.counters.snapshot()
    }

    /// Sends what is queued, waiting at most `timeout` for the broker, and
    /// returns the final counters. Events still unsent then are abandoned and
    /// show up in [`LoggerStats::in_flight`].
    pub fn shutdown(self, timeout: Duration) -> LoggerStats {
        *self.shutdown_deadline.lock().expect("not poisoned") = Some(Instant::now() + timeout);
        drop(self.queue);
        // The worker exits once the queue is drained and flushed or the deadline passed.
        let _ = self.worker.join();
        self.counters.snapshot()
    }
}

/// Counts librdkafka's delivery reports.
struct DeliveryCounter(Arc<Counters>);

impl ClientContext for DeliveryCounter {}

impl ProducerContext for DeliveryCounter {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => self.0.delivered.fetch_add(1, Ordering::Relaxed),
            Err((error, _)) => {
                *self.0.last_failure.lock().expect("not poisoned") = Some(error.to_string());
                self.0.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// The background half of the logger.
struct Sender {
    producer: BaseProducer<DeliveryCounter>,
    topic: String,
    /// Set in privacy mode: the key features are hashed with.
    hash_key: Option<Vec<u8>>,
    counters: Arc<Counters>,
    shutdown_deadline: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl Sender {
    fn run(self, receiver: mpsc::Receiver<PredictionEvent>) {
        let mut encoder = Encoder::<PredictionEvent>::default();
        loop {
            match receiver.recv_timeout(Duration::from_millis(50)) {
                Ok(mut event) => {
                    if let Some(key) = &self.hash_key {
                        withhold_features(&mut event, key);
                    }
                    match encoder.encode(&event) {
                        Ok(payload) => {
                            self.produce(&event.prediction_id, event.event_time, &payload)
                        }
                        Err(_) => {
                            self.counters.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.producer.poll(Duration::ZERO);
        }
        let remaining = self.deadline().saturating_duration_since(Instant::now());
        let _ = self.producer.flush(remaining);
    }

    /// Produces one record, waiting for room in librdkafka's queue. Only this
    /// thread waits; callers of `log` see the bounded queue fill and drop.
    /// The record's Kafka timestamp is the event time, so that
    /// `offsets_for_times` (and `mlobs replay --from`) work in event time.
    fn produce(&self, key: &str, event_time: i64, payload: &[u8]) {
        let mut record = BaseRecord::to(&self.topic)
            .key(key)
            .payload(payload)
            .timestamp(event_time);
        loop {
            match self.producer.send(record) {
                Ok(()) => return,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if Instant::now() < self.deadline() =>
                {
                    record = back;
                    self.producer.poll(Duration::from_millis(20));
                }
                Err(_) => {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }

    /// The shutdown deadline, or far in the future while running.
    fn deadline(&self) -> Instant {
        self.shutdown_deadline
            .lock()
            .expect("not poisoned")
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
    }
}

/// Replaces the raw features with their keyed hash
/// ([`features_hash`]): the event keeps no raw value.
pub fn withhold_features(event: &mut PredictionEvent, key: &[u8]) {
    event.features_hash = Some(features_hash(key, &event.features));
    event.features.clear();
}
