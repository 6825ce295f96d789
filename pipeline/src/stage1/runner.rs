//! The stage-1 consumer group: one consumer thread routes records to one
//! task thread per partition number (predictions p and labels p together),
//! through bounded channels; a full channel blocks the consumer, which is
//! how a slow task or an unreachable sink pauses consumption.
//!
//! A task commits nothing itself: after each checkpoint it publishes the
//! offsets that are now safe, and the consumer thread commits them.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Message, Offset, Statistics, TopicPartitionList};

use super::task::{run_task, OwnedRecord, TaskEnv};
use super::worker::Input;
use crate::baselines::Baselines;
use crate::health::Stage;
use crate::shutdown::Shutdown;
use crate::sinks::Sinks;
use crate::{topics, Config, PipelineError};

struct Task {
    sender: SyncSender<OwnedRecord>,
    thread: JoinHandle<Result<(), PipelineError>>,
}

/// The consumer's context: starts tasks on assignment, stops (and thereby
/// checkpoints) them on revocation.
struct JoinContext {
    env: Arc<TaskEnv>,
    tasks: Mutex<BTreeMap<i32, Task>>,
    failure: Mutex<Option<PipelineError>>,
}

impl ClientContext for JoinContext {
    fn stats(&self, statistics: Statistics) {
        let group = &self.env.config.kafka.groups.join;
        crate::kafka::report_lag(&self.env.sinks.metrics, group, &statistics);
    }
}

impl ConsumerContext for JoinContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(revoked) = rebalance {
            let partitions = partition_numbers(revoked);
            self.stop(&partitions);
            commit(consumer, &self.env, CommitMode::Sync);
            self.env
                .committable
                .lock()
                .expect("not poisoned")
                .retain(|(_, p), _| !partitions.contains(p));
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(assigned) = rebalance {
            let partitions = partition_numbers(assigned);
            eprintln!("mlobs stage 1: assigned partitions {partitions:?}");
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
        tasks.insert(partition, Task { sender, thread });
        self.env.sinks.health.set_assigned(Stage::Join, tasks.len());
    }

    /// Stops tasks: each drains its channel, checkpoints and exits.
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

    fn route(&self, record: OwnedRecord, partition: i32) -> Result<(), PipelineError> {
        let sender = self
            .tasks
            .lock()
            .expect("not poisoned")
            .get(&partition)
            .map(|t| t.sender.clone());
        match sender {
            Some(sender) => sender
                .send(record)
                .map_err(|_| self.take_failure(partition)),
            None => Err(PipelineError::Stopped(format!(
                "a record for partition {partition}, which is not assigned here"
            ))),
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
    baselines: Arc<Baselines>,
    sinks: &Sinks,
    shutdown: &Shutdown,
) -> Result<(), PipelineError> {
    let kafka = &config.kafka;
    let sources = topics::check_copartitioned(kafka)? as u32;
    let partials_partitions = topics::partition_count(kafka, &kafka.topics.partials)?;
    let env = Arc::new(TaskEnv {
        config: config.clone(),
        baselines,
        schemas: Arc::new(config.writer_schemas()?),
        producer: crate::kafka::producer(kafka)?,
        offsets: crate::kafka::offsets_client(kafka)?,
        sources,
        partials_partitions,
        committable: Mutex::new(BTreeMap::new()),
        sinks: sinks.clone(),
        shutdown: shutdown.clone(),
    });
    let context = JoinContext {
        env: env.clone(),
        tasks: Mutex::new(BTreeMap::new()),
        failure: Mutex::new(None),
    };
    let consumer = crate::kafka::consumer(kafka, &kafka.groups.join, context, "stage 1")?;
    let inputs = [
        kafka.topics.predictions.as_str(),
        kafka.topics.labels.as_str(),
    ];
    consumer
        .subscribe(&inputs)
        .map_err(|e| PipelineError::kafka("subscribing to predictions and labels", e))?;
    let commit_every = Duration::from_millis(config.runtime.checkpoint_interval_ms);
    let mut last_commit = Instant::now();
    let outcome = loop {
        if shutdown.requested() {
            break Ok(());
        }
        if let Some(failure) = consumer
            .context()
            .failure
            .lock()
            .expect("not poisoned")
            .take()
        {
            break Err(failure);
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                let record = OwnedRecord {
                    input: Input::of_topic(&kafka.topics, message.topic()),
                    offset: message.offset(),
                    key: message.key().map(<[u8]>::to_vec),
                    payload: message.payload().unwrap_or_default().to_vec(),
                };
                if let Err(e) = consumer.context().route(record, message.partition()) {
                    break Err(e);
                }
            }
            Some(Err(e)) => eprintln!("mlobs stage 1: consumer error (retrying): {e}"),
            None => {}
        }
        if last_commit.elapsed() >= commit_every {
            commit(&consumer, &env, CommitMode::Async);
            last_commit = Instant::now();
        }
    };
    let all: Vec<i32> = consumer
        .context()
        .tasks
        .lock()
        .expect("not poisoned")
        .keys()
        .copied()
        .collect();
    consumer.context().stop(&all);
    commit(&consumer, &env, CommitMode::Sync);
    consumer.unsubscribe();
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

/// Commits every offset the tasks have made safe.
fn commit<C: ConsumerContext>(consumer: &BaseConsumer<C>, env: &TaskEnv, mode: CommitMode) {
    let mut offsets = TopicPartitionList::new();
    for ((topic, partition), next) in env.committable.lock().expect("not poisoned").iter() {
        let _ = offsets.add_partition_offset(topic, *partition, Offset::Offset(*next));
    }
    if offsets.count() > 0 {
        if let Err(e) = consumer.commit(&offsets, mode) {
            eprintln!("mlobs stage 1: commit failed (the next one retries): {e}");
        }
    }
}

fn partition_numbers(list: &TopicPartitionList) -> Vec<i32> {
    let mut partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
    partitions.sort_unstable();
    partitions.dedup();
    partitions
}
