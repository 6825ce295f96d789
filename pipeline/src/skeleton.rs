//! The walking skeleton of stage 1: one consumer group reads predictions and
//! labels, joins them by prediction_id in memory and counts per model version.
//! It proves the contracts and the stack end to end; the windowed,
//! checkpointed runtime replaces it.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use mlobs_schemas::{GroundTruthEvent, Outcome, PredictionEvent};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::Message;
use serde::Serialize;

use crate::{Config, PipelineError};

/// When the skeleton reports and stops.
#[derive(Debug, Clone)]
pub struct SkeletonOptions {
    /// How often the table is reported.
    pub report_every: Duration,
    /// Stop once no record arrived for this long (after the first one).
    pub exit_when_idle: Option<Duration>,
}

/// Counts of one model version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VersionCounts {
    /// Predictions seen.
    pub predictions: u64,
    /// Predictions whose label arrived.
    pub labeled: u64,
    /// Labeled predictions that were right.
    pub correct: u64,
}

/// Counts by (model, version), plus records that could not be decoded.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    /// Counts per model version, keyed `model/version`.
    pub versions: BTreeMap<String, VersionCounts>,
    /// Records that could not be decoded, by reason.
    pub rejected: BTreeMap<String, u64>,
}

enum Pending {
    Prediction { key: String, prediction: Outcome },
    Label(Outcome),
}

/// Consumes until idle (or forever), calling `report` every `report_every`.
pub fn run(
    config: &Config,
    options: &SkeletonOptions,
    mut report: impl FnMut(&Table),
) -> Result<Table, PipelineError> {
    let kafka = &config.kafka;
    let consumer: BaseConsumer =
        mlobs_schemas::kafka::client_config(&kafka.brokers, &kafka.librdkafka)
            .set("group.id", &kafka.groups.join)
            .set("auto.offset.reset", "earliest")
            .create()
            .map_err(|e| PipelineError::kafka("creating the consumer", e))?;
    let topics = [
        kafka.topics.predictions.as_str(),
        kafka.topics.labels.as_str(),
    ];
    consumer
        .subscribe(&topics)
        .map_err(|e| PipelineError::kafka("subscribing", e))?;

    let schemas = config.writer_schemas().map_err(PipelineError::Config)?;
    let mut table = Table::default();
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut last_record: Option<Instant> = None;
    let mut next_report = Instant::now() + options.report_every;
    loop {
        if let Some(result) = consumer.poll(Duration::from_millis(100)) {
            let message = result.map_err(|e| PipelineError::kafka("consuming", e))?;
            last_record = Some(Instant::now());
            let payload = message.payload().unwrap_or_default();
            let outcome = if message.topic() == kafka.topics.predictions {
                schemas
                    .decode::<PredictionEvent>(payload)
                    .map(|p| on_prediction(p, &mut table, &mut pending))
            } else {
                schemas
                    .decode::<GroundTruthEvent>(payload)
                    .map(|l| on_label(l, &mut table, &mut pending))
            };
            if let Err(e) = outcome {
                *table.rejected.entry(e.reason().to_string()).or_default() += 1;
            }
        }
        if Instant::now() >= next_report {
            report(&table);
            next_report += options.report_every;
        }
        if let (Some(idle), Some(last)) = (options.exit_when_idle, last_record) {
            if last.elapsed() >= idle {
                return Ok(table);
            }
        }
    }
}

fn on_prediction(p: PredictionEvent, table: &mut Table, pending: &mut HashMap<String, Pending>) {
    let key = format!("{}/{}", p.model, p.version);
    table.versions.entry(key.clone()).or_default().predictions += 1;
    match pending.remove(&p.prediction_id) {
        Some(Pending::Label(label)) => score(table, key, &p.prediction, &label),
        _ => {
            pending.insert(
                p.prediction_id,
                Pending::Prediction {
                    key,
                    prediction: p.prediction,
                },
            );
        }
    }
}

fn on_label(l: GroundTruthEvent, table: &mut Table, pending: &mut HashMap<String, Pending>) {
    match pending.remove(&l.prediction_id) {
        Some(Pending::Prediction { key, prediction }) => score(table, key, &prediction, &l.label),
        _ => {
            pending.insert(l.prediction_id, Pending::Label(l.label));
        }
    }
}

fn score(table: &mut Table, key: String, prediction: &Outcome, label: &Outcome) {
    let counts = table.versions.entry(key).or_default();
    counts.labeled += 1;
    if prediction == label {
        counts.correct += 1;
    }
}
