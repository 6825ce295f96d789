//! `mlobs replay`: re-process a time range of the input topics, in process,
//! into a fresh consumer group. Stage 1 runs per partition over the range,
//! stage 2 merges in memory, and the results go to the window-metrics topic
//! and the ClickHouse window tables (replacing earlier results under the
//! same keys). The same range always gives the same results. The inference
//! log and outcomes are not written again: a replay would write the same
//! rows.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlobs_operators::drift::DriftOptions;
use mlobs_operators::stage2::{Evaluator, PartialRecord};
use mlobs_schemas::WindowMetrics;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};

use crate::kafka_log::Quiet;
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::baselines::LiveBaselines;
use crate::kafka::{consumer_config, Member};
use crate::outbox::Outbox;
use crate::shutdown::Shutdown;
use crate::sinks::Sinks;
use crate::stage1::worker::{Effects, Input, PartitionWorker, SourceRecord};
use crate::stage2::estimates::Estimates;
use crate::stage2::{publish, record};
use crate::{dead_letters, topics, wire, Config, PipelineError};

/// Which event times to replay: `[from, to)`; `None` means the start or end
/// of the topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayRange {
    /// First event time (ms), or the earliest record.
    pub from: Option<i64>,
    /// End event time (ms, exclusive), or the end of the topics now.
    pub to: Option<i64>,
}

const TIMEOUT: Duration = Duration::from_secs(30);

/// Replays `range` as consumer group `group`; returns the window results it
/// published.
pub fn replay(
    config: &Config,
    baselines: Arc<LiveBaselines>,
    sinks: &Sinks,
    range: ReplayRange,
    group: &str,
) -> Result<Vec<WindowMetrics>, PipelineError> {
    let kafka = &config.kafka;
    let sources = topics::check_copartitioned(kafka)?;
    let schemas = Arc::new(config.writer_schemas()?);
    let consumer = Member::create(&consumer_config(kafka, group), Quiet, "replay")?;
    let mut evaluator = Evaluator::new(u64::MAX);
    let mut processed = TopicPartitionList::new();
    for partition in 0..sources {
        let mut worker = PartitionWorker::new(
            partition as u32,
            sources as u32,
            crate::stage1::operator_config(config),
            None,
            &baselines.current(),
            schemas.clone(),
        )
        .with_privacy(Arc::new(config.privacy.clone()));
        let mut effects = Effects::default();
        let ends = read_partition(
            &consumer,
            config,
            partition,
            range,
            &mut worker,
            &mut effects,
        )?;
        for (topic, end) in ends {
            let _ = processed.add_partition_offset(&topic, partition, Offset::Offset(end));
        }
        worker.set_idle(Input::Predictions, true);
        worker.set_idle(Input::Labels, true);
        worker.flush(&mut effects);
        for (offset, (_, payload)) in effects.partials.iter().enumerate() {
            let record: PartialRecord = wire::decode(payload).map_err(PipelineError::Stopped)?;
            evaluator.on_record(record, offset as i64, 0);
        }
        evaluator.on_record(PartialRecord::Heartbeat(worker.heartbeat()), 0, 0);
    }
    let results = evaluator.poll(0);
    let shutdown = Shutdown::default();
    let mut outbox = Outbox::new(crate::kafka::producer(kafka)?, shutdown.clone());
    let options = DriftOptions::default();
    let mut estimates = Estimates::new(sinks.metrics.clone());
    let metrics = publish(
        &mut outbox,
        config,
        &baselines,
        (&options, &mut estimates),
        &results,
    )?;
    let mut history = sinks.history_writer(&shutdown);
    for letter in record(&metrics, &[], history.as_mut(), &sinks.metrics)? {
        dead_letters::send(&mut outbox, &config.kafka.topics, &letter)?;
    }
    outbox.flush()?;
    if processed.count() > 0 {
        consumer
            .commit(&processed, CommitMode::Sync)
            .map_err(|e| PipelineError::kafka("committing the replay group", e))?;
    }
    Ok(metrics)
}

/// Feeds the range of both inputs of `partition` to `worker`; returns the
/// end offset reached per topic.
fn read_partition(
    consumer: &BaseConsumer<Quiet>,
    config: &Config,
    partition: i32,
    range: ReplayRange,
    worker: &mut PartitionWorker,
    effects: &mut Effects,
) -> Result<BTreeMap<String, i64>, PipelineError> {
    let topics = &config.kafka.topics;
    let mut assignment = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for topic in [&topics.predictions, &topics.labels] {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, TIMEOUT)
            .map_err(|e| PipelineError::kafka("reading offsets", e))?;
        let start = match range.from {
            Some(at) => offset_at(consumer, topic, partition, at, high)?,
            None => low,
        };
        let end = match range.to {
            Some(at) => offset_at(consumer, topic, partition, at, high)?,
            None => high,
        }
        .max(start);
        if end > start {
            let _ = assignment.add_partition_offset(topic, partition, Offset::Offset(start));
        }
        ends.insert(topic.clone(), end);
    }
    consumer
        .assign(&assignment)
        .map_err(|e| PipelineError::kafka("assigning the replay range", e))?;
    let mut positions: BTreeMap<String, i64> = assignment
        .elements()
        .iter()
        .map(|e| (e.topic().to_string(), 0))
        .collect();
    let mut deadline = Instant::now() + TIMEOUT;
    while positions
        .iter()
        .any(|(topic, position)| *position < ends[topic])
    {
        if Instant::now() > deadline {
            return Err(PipelineError::Stopped(format!(
                "replay of partition {partition} stalled"
            )));
        }
        let Some(result) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = match result {
            Ok(message) => message,
            Err(error) => match crate::kafka_log::poll_error(error, "reading the replay range") {
                Some(error) => return Err(PipelineError::kafka("reading the replay range", error)),
                None => continue,
            },
        };
        deadline = Instant::now() + TIMEOUT;
        let topic = message.topic().to_string();
        positions.insert(topic.clone(), message.offset() + 1);
        if message.offset() >= ends[&topic] {
            continue;
        }
        let record = SourceRecord {
            input: Input::of_topic(topics, &topic),
            offset: message.offset(),
            key: message.key(),
            payload: message.payload().unwrap_or_default(),
        };
        worker.handle(record, effects);
        worker.advance(effects);
        effects.predictions.clear();
        effects.outcomes.clear();
    }
    Ok(ends)
}

/// The first offset whose timestamp (event time) is at or after `at`, or
/// `high` when there is none.
fn offset_at(
    consumer: &BaseConsumer<Quiet>,
    topic: &str,
    partition: i32,
    at: i64,
    high: i64,
) -> Result<i64, PipelineError> {
    let mut query = TopicPartitionList::new();
    let _ = query.add_partition_offset(topic, partition, Offset::Offset(at));
    let found = consumer
        .offsets_for_times(query, TIMEOUT)
        .map_err(|e| PipelineError::kafka("finding offsets by time", e))?;
    Ok(match found.elements().first().map(|e| e.offset()) {
        Some(Offset::Offset(offset)) => offset,
        _ => high,
    })
}
