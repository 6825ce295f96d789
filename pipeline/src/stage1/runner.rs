//! The stage-1 consumer group: one consumer thread routes records to one
//! task thread per partition number (predictions p and labels p together),
//! through bounded channels. Records that do not fit wait beside the channel;
//! when as many wait as the channel holds, the partitions are paused, and
//! resumed once everything waiting went in. The consumer thread never
//! blocks, so it keeps serving the group (rebalances, leaves) while a slow
//! task or an unreachable sink holds consumption back, and memory stays
//! bounded. Pausing is the last resort because librdkafka drops what it
//! prefetched for a paused partition and fetches it again on resume (a
//! checkpoint that waits a second for the broker must not cause it).
//!
//! A task commits nothing itself: after each checkpoint it publishes the
//! offsets that are now safe, and the group session commits them (see
//! `group`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::{ClientContext, Message, Statistics, TopicPartitionList};

use super::task::{run_task, OwnedRecord, TaskEnv};
use super::worker::Input;
use crate::baselines::LiveBaselines;
use crate::group::{session, Membership};
use crate::health::Stage;
use crate::kafka_log;
use crate::shutdown::Shutdown;
use crate::sinks::Sinks;
use crate::{topics, Config, PipelineError};

/// A partition's task, and the records waiting for room in its channel.
struct Task {
    sender: SyncSender<OwnedRecord>,
    thread: JoinHandle<Result<(), PipelineError>>,
    /// Records that did not fit (in order, before any later record).
    held: VecDeque<OwnedRecord>,
    /// Fetching the partition is paused (too many records held).
    paused: bool,
}

/// The consumer's context: starts tasks on assignment, stops (and thereby
/// checkpoints) them on revocation.
struct JoinContext {
    env: Arc<TaskEnv>,
    tasks: Mutex<BTreeMap<i32, Task>>,
    failure: Mutex<Option<PipelineError>>,
}

impl ClientContext for JoinContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        kafka_log::client_log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.env.membership.observe(&error);
        kafka_log::client_error(&error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        let group = &self.env.config.kafka.groups.join;
        crate::kafka::report_lag(&self.env.sinks.metrics, group, &statistics);
    }
}

impl ConsumerContext for JoinContext {
    fn commit_callback(&self, result: KafkaResult<()>, _: &TopicPartitionList) {
        crate::group::log_commit(&self.env.membership.group, result);
    }

    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(revoked) = rebalance {
            let partitions = partition_numbers(revoked);
            tracing::info!(stage = "join", ?partitions, "partitions revoked");
            self.stop(&partitions);
            self.env.membership.commit(consumer);
            self.env.membership.revoked(revoked);
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(assigned) = rebalance {
            self.env.membership.assigned(assigned);
            // Pauses do not outlive an assignment.
            let _ = consumer.resume(assigned);
            let partitions = partition_numbers(assigned);
            tracing::info!(stage = "join", ?partitions, "partitions assigned");
            self.env.sinks.metrics.assigned("join", partitions.len());
            for partition in partitions {
                self.start(partition);
            }
        }
    }
}

impl JoinContext {
    fn start(&self, partition: i32) {
        let capacity = self.env.config.runtime.channel_capacity;
        let (sender, receiver) = mpsc::sync_channel(capacity);
        let env = self.env.clone();
        let thread = std::thread::Builder::new()
            .name(format!("join-{partition}"))
            .spawn(move || run_task(partition, &env, receiver))
            .expect("spawning a task thread");
        let mut tasks = self.tasks.lock().expect("not poisoned");
        let task = Task {
            sender,
            thread,
            held: VecDeque::new(),
            paused: false,
        };
        tasks.insert(partition, task);
        self.env.sinks.health.set_assigned(Stage::Join, tasks.len());
    }

    /// Stops tasks: each drains its channel, checkpoints and exits. Records
    /// held back for them are dropped: they were never processed, so their
    /// offsets were never committed.
    fn stop(&self, partitions: &[i32]) {
        let stopping: Vec<Task> = {
            let mut tasks = self.tasks.lock().expect("not poisoned");
            let stopping = partitions.iter().filter_map(|p| tasks.remove(p)).collect();
            self.env.sinks.health.set_assigned(Stage::Join, tasks.len());
            stopping
        };
        for task in stopping {
            drop(task.sender);
            self.record(task.thread.join());
        }
    }

    fn stop_all(&self) {
        let all: Vec<i32> = self
            .tasks
            .lock()
            .expect("not poisoned")
            .keys()
            .copied()
            .collect();
        self.stop(&all);
    }

    fn record(&self, outcome: std::thread::Result<Result<(), PipelineError>>) {
        let error = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(_) => PipelineError::Stopped("a stage-1 task panicked".into()),
        };
        self.failure
            .lock()
            .expect("not poisoned")
            .get_or_insert(error);
    }

    /// Hands `record` to its partition's task, or holds it and pauses the
    /// partition when the task has no room.
    fn route(
        &self,
        consumer: &BaseConsumer<Self>,
        record: OwnedRecord,
        partition: i32,
    ) -> Result<(), PipelineError> {
        let mut tasks = self.tasks.lock().expect("not poisoned");
        let Some(task) = tasks.get_mut(&partition) else {
            // Fetched before a revocation: not processed, not committed.
            tracing::debug!(
                partition,
                "dropping a record of a partition no longer assigned here"
            );
            return Ok(());
        };
        let record = if task.held.is_empty() {
            match task.sender.try_send(record) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(record)) => record,
                Err(TrySendError::Disconnected(_)) => {
                    drop(tasks);
                    return Err(self.take_failure(partition));
                }
            }
        } else {
            record
        };
        task.held.push_back(record);
        let capacity = self.env.config.runtime.channel_capacity;
        if !task.paused && task.held.len() >= capacity {
            task.paused = true;
            self.pause(consumer, partition, true);
        }
        Ok(())
    }

    /// Moves held records into their tasks' channels while there is room,
    /// and resumes the partitions whose held records all fit.
    fn drain_held(&self, consumer: &BaseConsumer<Self>) -> Result<(), PipelineError> {
        let mut tasks = self.tasks.lock().expect("not poisoned");
        let mut failed = None;
        for (&partition, task) in tasks.iter_mut().filter(|(_, t)| !t.held.is_empty()) {
            while let Some(record) = task.held.pop_front() {
                match task.sender.try_send(record) {
                    Ok(()) => {}
                    Err(TrySendError::Full(record)) => {
                        task.held.push_front(record);
                        break;
                    }
                    Err(TrySendError::Disconnected(_)) => {
                        failed = Some(partition);
                        break;
                    }
                }
            }
            if task.held.is_empty() && task.paused {
                task.paused = false;
                self.pause(consumer, partition, false);
            }
        }
        drop(tasks);
        match failed {
            Some(partition) => Err(self.take_failure(partition)),
            None => Ok(()),
        }
    }

    /// Pauses (or resumes) fetching partition p of both inputs.
    fn pause(&self, consumer: &BaseConsumer<Self>, partition: i32, pause: bool) {
        let topics = &self.env.config.kafka.topics;
        let mut list = TopicPartitionList::new();
        list.add_partition(&topics.predictions, partition);
        list.add_partition(&topics.labels, partition);
        let done = if pause {
            consumer.pause(&list)
        } else {
            consumer.resume(&list)
        };
        if let Err(error) = done {
            tracing::warn!(partition, pause, %error, "pausing or resuming a partition failed");
        }
    }

    fn take_failure(&self, partition: i32) -> PipelineError {
        if let Some(task) = self.tasks.lock().expect("not poisoned").remove(&partition) {
            drop(task.sender);
            self.record(task.thread.join());
        }
        self.failure
            .lock()
            .expect("not poisoned")
            .take()
            .unwrap_or_else(|| PipelineError::Stopped(format!("task {partition} ended")))
    }
}

/// Runs stage 1 until `shutdown`; returns the first fatal error.
pub fn run(
    config: &Config,
    baselines: Arc<LiveBaselines>,
    sinks: &Sinks,
    shutdown: &Shutdown,
) -> Result<(), PipelineError> {
    let kafka = &config.kafka;
    let sources = topics::check_copartitioned(kafka)? as u32;
    let partials_partitions = topics::partition_count(kafka, &kafka.topics.partials)?;
    let instance = kafka.instance();
    let inputs = [
        kafka.topics.predictions.as_str(),
        kafka.topics.labels.as_str(),
    ];
    let membership = Arc::new(Membership::new(&instance, &kafka.groups.join, &inputs));
    let env = Arc::new(TaskEnv {
        config: config.clone(),
        baselines,
        schemas: Arc::new(config.writer_schemas()?),
        producer: crate::kafka::producer(kafka)?,
        offsets: crate::kafka::offsets_client(kafka)?,
        sources,
        partials_partitions,
        membership: membership.clone(),
        sinks: sinks.clone(),
        shutdown: shutdown.clone(),
    });
    let context = JoinContext {
        env,
        tasks: Mutex::new(BTreeMap::new()),
        failure: Mutex::new(None),
    };
    let consumer = crate::kafka::member(kafka, &kafka.groups.join, &instance, context, "stage 1")?;
    let outcome = session::participate(&membership, &consumer, config, || {
        consume(&consumer, &membership, shutdown)
    });
    consumer.context().stop_all();
    membership.commit(&consumer);
    session::leave(&membership, &consumer, "stage 1", outcome.is_ok());
    let failure = consumer
        .context()
        .failure
        .lock()
        .expect("not poisoned")
        .take();
    match (outcome, failure) {
        (Err(e), _) | (Ok(()), Some(e)) => Err(e),
        (Ok(()), None) => Ok(()),
    }
}

/// The consumer thread's loop, until shutdown or a failure.
fn consume(
    consumer: &BaseConsumer<JoinContext>,
    membership: &Membership,
    shutdown: &Shutdown,
) -> Result<(), PipelineError> {
    let topics = &consumer.context().env.config.kafka.topics;
    while !shutdown.requested() {
        if let Some(refusal) = membership.refusal() {
            return Err(refusal);
        }
        if let Some(failure) = consumer
            .context()
            .failure
            .lock()
            .expect("not poisoned")
            .take()
        {
            return Err(failure);
        }
        consumer.context().drain_held(consumer)?;
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                let record = OwnedRecord {
                    input: Input::of_topic(topics, message.topic()),
                    offset: message.offset(),
                    key: message.key().map(<[u8]>::to_vec),
                    payload: message.payload().unwrap_or_default().to_vec(),
                };
                consumer
                    .context()
                    .route(consumer, record, message.partition())?;
            }
            Some(Err(error)) => match membership.stop_for(consumer, &error) {
                Some(fatal) => return Err(fatal),
                None => kafka_log::client_error(&error, "stage 1 consumer; retrying"),
            },
            None => {}
        }
    }
    Ok(())
}

fn partition_numbers(list: &TopicPartitionList) -> Vec<i32> {
    let mut partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
    partitions.sort_unstable();
    partitions.dedup();
    partitions
}
