//! The stage-2 consumer group on the partials topic: one evaluator per
//! assigned partition. Offsets are committed up to the first record a
//! pending window still needs, so a restart rebuilds every pending window;
//! results already published may be published again, identical, under the
//! same key (readers keep the last record per key).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mlobs_operators::drift::DriftOptions;
use mlobs_operators::stage2::{Evaluator, PartialRecord, WindowResult};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::{ClientContext, Message, Statistics, TopicPartitionList};

use super::alerting::Alerting;
use super::champions::Champions;
use super::estimates::Estimates;
use super::{publish, record};
use crate::baselines::LiveBaselines;
use crate::group::{session, Membership};
use crate::health::Stage;
use crate::kafka_log;
use crate::outbox::Outbox;
use crate::shutdown::Shutdown;
use crate::sinks::Sinks;
use crate::{dead_letters, wire, Config, PipelineError};

/// Evaluators of the assigned partitions, and what is safe to commit.
struct EvaluateContext {
    topic: String,
    completion_timeout_ms: u64,
    evaluators: Mutex<BTreeMap<i32, Evaluator>>,
    membership: Arc<Membership>,
    sinks: Sinks,
}

impl ClientContext for EvaluateContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        kafka_log::client_log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.membership.observe(&error);
        kafka_log::client_error(&error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        crate::kafka::report_lag(&self.sinks.metrics, &self.membership.group, &statistics);
    }
}

impl ConsumerContext for EvaluateContext {
    fn commit_callback(&self, result: KafkaResult<()>, _: &TopicPartitionList) {
        crate::group::log_commit(&self.membership.group, result);
    }

    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(revoked) = rebalance {
            let mut evaluators = self.evaluators.lock().expect("not poisoned");
            self.publish_safe_offsets(&evaluators);
            self.membership.commit(consumer);
            self.membership.revoked(revoked);
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
            self.membership.assigned(assigned);
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
            self.sinks.metrics.assigned("evaluate", partitions.len());
            tracing::info!(stage = "evaluate", ?partitions, "partitions assigned");
        }
    }
}

impl EvaluateContext {
    /// Tells the membership how far each evaluator may be committed.
    fn publish_safe_offsets(&self, evaluators: &BTreeMap<i32, Evaluator>) {
        for (partition, evaluator) in evaluators {
            let safe = evaluator.safe_offset();
            if safe > 0 {
                self.membership.set_safe(&self.topic, *partition, safe);
            }
        }
    }
}

/// Runs stage 2 until `shutdown`.
pub fn run(
    config: &Config,
    baselines: Arc<LiveBaselines>,
    sinks: &Sinks,
    shutdown: &Shutdown,
) -> Result<(), PipelineError> {
    let kafka = &config.kafka;
    let instance = kafka.instance();
    let membership = Arc::new(Membership::new(
        &instance,
        &kafka.groups.evaluate,
        &[&kafka.topics.partials],
    ));
    let context = EvaluateContext {
        topic: kafka.topics.partials.clone(),
        completion_timeout_ms: config.runtime.completion_timeout_ms,
        evaluators: Mutex::new(BTreeMap::new()),
        membership: membership.clone(),
        sinks: sinks.clone(),
    };
    let consumer =
        crate::kafka::member(kafka, &kafka.groups.evaluate, &instance, context, "stage 2")?;
    let outcome = session::participate(&membership, &consumer, config, || {
        evaluate(config, &baselines, &consumer, shutdown)
    });
    let context = consumer.context();
    context.publish_safe_offsets(&context.evaluators.lock().expect("not poisoned"));
    membership.commit(&consumer);
    session::leave(&membership, &consumer, "stage 2", outcome.is_ok());
    outcome
}

/// The poll loop: partials in, window results out.
fn evaluate(
    config: &Config,
    baselines: &LiveBaselines,
    consumer: &BaseConsumer<EvaluateContext>,
    shutdown: &Shutdown,
) -> Result<(), PipelineError> {
    let context = consumer.context();
    let sinks = &context.sinks;
    let mut history = sinks.history_writer(shutdown);
    let mut outbox = Outbox::new(crate::kafka::producer(&config.kafka)?, shutdown.clone());
    let options = DriftOptions::default();
    let mut estimates = Estimates::new(sinks.metrics.clone());
    let mut alerting = Alerting::new(config, options.dataset_share)?;
    let champions = Champions::start(config, shutdown);
    let started = Instant::now();
    let publish_every = Duration::from_millis(config.runtime.checkpoint_interval_ms);
    let mut last_publish = Instant::now();
    while !shutdown.requested() {
        if let Some(refusal) = context.membership.refusal() {
            return Err(refusal);
        }
        if let Some(alerting) = alerting.as_mut() {
            // Before any window completes in this turn: a stop while a
            // partition's alert state is read must not leave completed
            // windows unpublished behind a committed offset.
            let owned: Vec<i32> = context
                .evaluators
                .lock()
                .expect("not poisoned")
                .keys()
                .copied()
                .collect();
            alerting.follow(&config.kafka, &owned, shutdown)?;
            if shutdown.requested() {
                break;
            }
        }
        let now_ms = started.elapsed().as_millis() as u64;
        let mut results: BTreeMap<i32, Vec<WindowResult>> = BTreeMap::new();
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                sinks.metrics.consumed("evaluate", 1);
                let offset = message.offset();
                match wire::decode::<PartialRecord>(message.payload().unwrap_or_default()) {
                    Ok(record) => {
                        let mut evaluators = context.evaluators.lock().expect("not poisoned");
                        let partition = message.partition();
                        if let Some(evaluator) = evaluators.get_mut(&partition) {
                            let completed = evaluator.on_record(record, offset, now_ms);
                            results.entry(partition).or_default().extend(completed);
                        }
                    }
                    Err(error) => tracing::warn!(
                        stage = "evaluate",
                        partition = message.partition(),
                        offset,
                        %error,
                        "skipping an unreadable partial"
                    ),
                }
            }
            Some(Err(error)) => match context.membership.stop_for(consumer, &error) {
                Some(fatal) => return Err(fatal),
                None => kafka_log::client_error(&error, "stage 2 consumer; retrying"),
            },
            None => {}
        }
        for (partition, evaluator) in context.evaluators.lock().expect("not poisoned").iter_mut() {
            let dropped = evaluator.unprovable();
            results
                .entry(*partition)
                .or_default()
                .extend(evaluator.poll(now_ms));
            if evaluator.unprovable() > dropped {
                tracing::info!(
                    stage = "evaluate",
                    partition,
                    windows = evaluator.unprovable() - dropped,
                    "left windows to the consumer that saw them whole (this one started reading after part of them)"
                );
            }
        }
        results.retain(|_, completed| !completed.is_empty());
        if !results.is_empty() {
            let mut published = Vec::new();
            for (partition, completed) in &results {
                let windows = publish(
                    &mut outbox,
                    config,
                    baselines,
                    (&options, &mut estimates),
                    completed,
                )?;
                if let Some(alerting) = alerting.as_mut() {
                    alerting.evaluate(*partition, &windows, &|model| champions.get(model));
                }
                published.extend(windows);
            }
            let alerts = match alerting.as_mut() {
                Some(alerting) => alerting.publish(&mut outbox, config)?,
                None => Vec::new(),
            };
            let refused = record(&published, &alerts, history.as_mut(), &sinks.metrics)?;
            for letter in &refused {
                sinks.metrics.rejected(letter.reason);
                dead_letters::send(&mut outbox, &config.kafka.topics, letter)?;
            }
            if !refused.is_empty() {
                outbox.flush()?;
            }
        }
        if last_publish.elapsed() >= publish_every {
            context.publish_safe_offsets(&context.evaluators.lock().expect("not poisoned"));
            last_publish = Instant::now();
        }
    }
    Ok(())
}
