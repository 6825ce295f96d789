//! The stage-2 consumer group on the partials topic: one evaluator per
//! assigned partition. Offsets are committed up to the first record a
//! pending window still needs, so a restart rebuilds every pending window;
//! results already published may be published again, identical, under the
//! same key (readers keep the last record per key).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mlobs_operators::drift::DriftOptions;
use mlobs_operators::stage2::{Evaluator, PartialRecord};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Message, Offset, Statistics, TopicPartitionList};

use super::{publish, record};
use crate::baselines::Baselines;
use crate::health::Stage;
use crate::kafka::Outbox;
use crate::shutdown::Shutdown;
use crate::sinks::Sinks;
use crate::{wire, Config, PipelineError};

/// Evaluators of the assigned partitions, and what is safe to commit.
struct EvaluateContext {
    topic: String,
    group: String,
    completion_timeout_ms: u64,
    evaluators: Mutex<BTreeMap<i32, Evaluator>>,
    sinks: Sinks,
}

impl ClientContext for EvaluateContext {
    fn stats(&self, statistics: Statistics) {
        crate::kafka::report_lag(&self.sinks.metrics, &self.group, &statistics);
    }
}

impl ConsumerContext for EvaluateContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(revoked) = rebalance {
            let mut evaluators = self.evaluators.lock().expect("not poisoned");
            commit(consumer, &self.topic, &evaluators, CommitMode::Sync);
            for element in revoked.elements() {
                evaluators.remove(&element.partition());
            }
            self.sinks
                .health
                .set_assigned(Stage::Evaluate, evaluators.len());
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(assigned) = rebalance {
            let mut evaluators = self.evaluators.lock().expect("not poisoned");
            for element in assigned.elements() {
                evaluators
                    .entry(element.partition())
                    .or_insert_with(|| Evaluator::new(self.completion_timeout_ms));
            }
            let partitions: Vec<i32> = evaluators.keys().copied().collect();
            self.sinks
                .health
                .set_assigned(Stage::Evaluate, partitions.len());
            eprintln!("mlobs stage 2: assigned partitions {partitions:?}");
        }
    }
}

/// Runs stage 2 until `shutdown`.
pub fn run(
    config: &Config,
    baselines: Arc<Baselines>,
    sinks: &Sinks,
    shutdown: &Shutdown,
) -> Result<(), PipelineError> {
    let kafka = &config.kafka;
    let context = EvaluateContext {
        topic: kafka.topics.partials.clone(),
        group: kafka.groups.evaluate.clone(),
        completion_timeout_ms: config.runtime.completion_timeout_ms,
        evaluators: Mutex::new(BTreeMap::new()),
        sinks: sinks.clone(),
    };
    let mut history = sinks.history_writer(&["window_metrics", "feature_drift"], shutdown);
    let consumer = crate::kafka::consumer(kafka, &kafka.groups.evaluate, context, "stage 2")?;
    consumer
        .subscribe(&[&kafka.topics.partials])
        .map_err(|e| PipelineError::kafka("subscribing to partials", e))?;
    let mut outbox = Outbox::new(crate::kafka::producer(kafka)?);
    let options = DriftOptions::default();
    let started = Instant::now();
    let commit_every = Duration::from_millis(config.runtime.checkpoint_interval_ms);
    let mut last_commit = Instant::now();
    while !shutdown.requested() {
        let now_ms = started.elapsed().as_millis() as u64;
        let mut results = Vec::new();
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                let offset = message.offset();
                match wire::decode::<PartialRecord>(message.payload().unwrap_or_default()) {
                    Ok(record) => {
                        let mut evaluators =
                            consumer.context().evaluators.lock().expect("not poisoned");
                        if let Some(evaluator) = evaluators.get_mut(&message.partition()) {
                            results.extend(evaluator.on_record(record, offset, now_ms));
                        }
                    }
                    Err(e) => eprintln!(
                        "mlobs stage 2: skipping unreadable partial at offset {offset}: {e}"
                    ),
                }
            }
            Some(Err(e)) => eprintln!("mlobs stage 2: consumer error (retrying): {e}"),
            None => {}
        }
        for evaluator in consumer
            .context()
            .evaluators
            .lock()
            .expect("not poisoned")
            .values_mut()
        {
            let dropped = evaluator.unprovable();
            results.extend(evaluator.poll(now_ms));
            if evaluator.unprovable() > dropped {
                eprintln!(
                    "mlobs stage 2: left {} window(s) to the consumer that saw them whole (this one started reading after part of them)",
                    evaluator.unprovable() - dropped
                );
            }
        }
        if !results.is_empty() {
            let published = publish(&mut outbox, config, &baselines, &options, &results)?;
            record(&published, history.as_mut(), &sinks.metrics)?;
        }
        if last_commit.elapsed() >= commit_every {
            commit(
                &consumer,
                &kafka.topics.partials,
                &consumer.context().evaluators.lock().expect("not poisoned"),
                CommitMode::Async,
            );
            last_commit = Instant::now();
        }
    }
    commit(
        &consumer,
        &kafka.topics.partials,
        &consumer.context().evaluators.lock().expect("not poisoned"),
        CommitMode::Sync,
    );
    consumer.unsubscribe();
    Ok(())
}

fn commit<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    evaluators: &BTreeMap<i32, Evaluator>,
    mode: CommitMode,
) {
    let mut offsets = TopicPartitionList::new();
    for (partition, evaluator) in evaluators {
        let safe = evaluator.safe_offset();
        if safe > 0 {
            let _ = offsets.add_partition_offset(topic, *partition, Offset::Offset(safe));
        }
    }
    if offsets.count() > 0 {
        if let Err(e) = consumer.commit(&offsets, mode) {
            eprintln!("mlobs stage 2: commit failed (the next one retries): {e}");
        }
    }
}
