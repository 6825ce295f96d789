//! Sending simulated events to Kafka the way a real model server would:
//! predictions through the PredictionLogger, labels through a producer keyed
//! by prediction_id (same partitioner, so both topics stay co-partitioned).

use std::collections::BTreeMap;
use std::time::Duration;

use mlobs_schemas::kafka::producer_config;
use mlobs_schemas::{
    Encoder, GroundTruthEvent, Logged, LoggerConfig, PredictionEvent, PredictionLogger,
};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

use crate::{Output, SimError};

/// How long a label waits for room in a full producer queue before the run
/// fails: the broker took nothing for that long.
const QUEUE_FULL_PATIENCE: Duration = Duration::from_secs(60);

/// Sends a simulation's events to Kafka, as a model server and a label
/// source would.
pub struct KafkaOutput {
    logger: PredictionLogger,
    labels: ThreadedProducer<DefaultProducerContext>,
    labels_topic: String,
    encoder: Encoder<GroundTruthEvent>,
}

impl KafkaOutput {
    /// Connects to `brokers` with the given passthrough settings.
    pub fn connect(
        brokers: &str,
        librdkafka: &BTreeMap<String, String>,
        predictions_topic: &str,
        labels_topic: &str,
    ) -> Result<Self, SimError> {
        let logger = PredictionLogger::start(LoggerConfig {
            brokers: brokers.to_string(),
            topic: predictions_topic.to_string(),
            queue_capacity: 100_000,
            librdkafka: librdkafka.clone(),
            ..LoggerConfig::default()
        })
        .map_err(|e| SimError::Kafka(e.to_string()))?;
        let labels = producer_config(brokers, librdkafka)
            .set("linger.ms", "20")
            .create()
            .map_err(|e| SimError::Kafka(e.to_string()))?;
        Ok(KafkaOutput {
            logger,
            labels,
            labels_topic: labels_topic.to_string(),
            encoder: Encoder::default(),
        })
    }

    /// Flushes both streams and fails if anything was not delivered, since the
    /// truth would then overstate what the pipeline could see.
    pub fn finish(self, timeout: Duration) -> Result<(), SimError> {
        let stats = self.logger.shutdown(timeout);
        self.labels
            .flush(timeout)
            .map_err(|e| SimError::Kafka(format!("flushing labels: {e}")))?;
        if stats.dropped + stats.failed + stats.in_flight() > 0 {
            return Err(SimError::Kafka(format!(
                "predictions not delivered: {} dropped, {} failed, {} unsent (last failure: {}); is the broker up?",
                stats.dropped,
                stats.failed,
                stats.in_flight(),
                stats.last_failure.as_deref().unwrap_or("none")
            )));
        }
        Ok(())
    }
}

impl Output for KafkaOutput {
    fn prediction(&mut self, event: PredictionEvent) -> Result<bool, SimError> {
        // Unpaced, the simulator outruns the broker: it waits for room as
        // it does for labels, instead of dropping predictions.
        Ok(self.logger.log_within(event, QUEUE_FULL_PATIENCE) == Logged::Queued)
    }

    fn label(&mut self, event: GroundTruthEvent) -> Result<(), SimError> {
        let payload = self
            .encoder
            .encode(&event)
            .map_err(|e| SimError::Scenario(e.to_string()))?;
        // Stamped with the label's event time, as the logger stamps
        // predictions, so that time-based consumers see event time.
        let mut record = BaseRecord::to(&self.labels_topic)
            .key(&event.prediction_id)
            .payload(&payload)
            .timestamp(event.event_time);
        // A full queue is the broker falling behind an unpaced simulation:
        // wait for it to drain (the producer's thread keeps sending), as a
        // label source would, instead of failing the run.
        let deadline = std::time::Instant::now() + QUEUE_FULL_PATIENCE;
        loop {
            match self.labels.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned))
                    if std::time::Instant::now() < deadline =>
                {
                    record = returned;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(SimError::Kafka(format!("sending a label: {e}"))),
            }
        }
    }
}
