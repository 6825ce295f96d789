//! One partition's life in stage 1: restore its state from the changelog,
//! process the records the consumer thread hands over, emit partials and
//! dead letters, checkpoint, and publish the offsets that became safe.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureProducer;

use super::checkpoint;
use super::idleness::Idleness;
use super::observe::Observer;
use super::worker::{Effects, Input, PartitionWorker, SourceRecord};
use crate::baselines::Baselines;
use crate::kafka::{Outbox, Outgoing};
use crate::shutdown::Shutdown;
use crate::sinks::Sinks;
use crate::{wire, Config, PipelineError};

/// A record handed from the consumer thread to a task.
pub(super) struct OwnedRecord {
    pub input: Input,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

/// What every task needs, shared.
pub(super) struct TaskEnv {
    pub config: Config,
    pub baselines: Arc<Baselines>,
    pub schemas: Arc<mlobs_schemas::WriterSchemas>,
    pub producer: FutureProducer,
    /// Asks the broker where partitions end (see [`Idleness`]).
    pub offsets: BaseConsumer,
    pub sources: u32,
    pub partials_partitions: i32,
    /// Offsets that are safe to commit: (topic, partition) -> next offset.
    pub committable: Mutex<BTreeMap<(String, i32), i64>>,
    pub sinks: Sinks,
    pub shutdown: Shutdown,
}

/// One partition's life: restore, process, checkpoint, until its channel closes.
pub(super) fn run_task(
    partition: i32,
    env: &TaskEnv,
    records: Receiver<OwnedRecord>,
) -> Result<(), PipelineError> {
    let topics = &env.config.kafka.topics;
    let restored = checkpoint::restore(&env.config.kafka, &topics.changelog, partition)?;
    if let Some(c) = &restored {
        eprintln!(
            "mlobs stage 1: partition {partition} restored at offsets {:?}",
            c.next_offsets
        );
    }
    let operators = super::operator_config(&env.config);
    let mut worker = PartitionWorker::new(
        partition as u32,
        env.sources,
        operators,
        restored,
        &env.baselines,
        env.schemas.clone(),
    );
    let mut outbox = Outbox::new(env.producer.clone());
    let mut observer = Observer::new(partition, &env.sinks, &env.shutdown, worker.counters());
    let outcome = process(
        partition,
        env,
        records,
        &mut worker,
        &mut outbox,
        &mut observer,
    );
    observer.stop();
    outcome
}

/// Handles records until the channel closes, checkpointing as it goes.
fn process(
    partition: i32,
    env: &TaskEnv,
    records: Receiver<OwnedRecord>,
    worker: &mut PartitionWorker,
    outbox: &mut Outbox,
    observer: &mut Observer,
) -> Result<(), PipelineError> {
    let timings = &env.config.runtime;
    let mut idleness = Idleness::new(Duration::from_millis(timings.idle_after_ms));
    let flush_after = Duration::from_millis(timings.flush_after_ms);
    let checkpoint_every = Duration::from_millis(timings.checkpoint_interval_ms);
    let mut last_checkpoint = Instant::now();
    let mut effects = Effects::default();
    loop {
        let first = records.recv_timeout(Duration::from_millis(100));
        let closed = matches!(first, Err(RecvTimeoutError::Disconnected));
        for record in first.into_iter().chain(records.try_iter().take(1_000)) {
            idleness.saw(record.input);
            let source = SourceRecord {
                input: record.input,
                offset: record.offset,
                key: record.key.as_deref(),
                payload: &record.payload,
            };
            worker.handle(source, &mut effects);
        }
        let now_idle = idleness.newly_idle(
            |input| worker.is_idle(input),
            |input| caught_up(env, partition, input, worker.next_offsets()[input as usize]),
        );
        for input in now_idle {
            worker.set_idle(input, true);
        }
        let all_idle = worker.is_idle(Input::Predictions) && worker.is_idle(Input::Labels);
        if all_idle && idleness.quiet_for() >= flush_after && worker.has_open_windows() {
            worker.flush(&mut effects);
        } else {
            worker.advance(&mut effects);
        }
        observer.observe(&mut effects)?;
        send(outbox, env, partition, &mut effects);
        if closed || last_checkpoint.elapsed() >= checkpoint_every {
            observer.checkpoint(worker)?;
            save_checkpoint(outbox, env, partition, worker)?;
            last_checkpoint = Instant::now();
        }
        if closed {
            return Ok(());
        }
    }
}

/// Queues partials and dead letters.
fn send(outbox: &mut Outbox, env: &TaskEnv, partition: i32, effects: &mut Effects) {
    let topics = &env.config.kafka.topics;
    for (key, payload) in effects.partials.drain(..) {
        outbox.send(Outgoing {
            topic: &topics.partials,
            partition: None,
            key: key.as_bytes(),
            payload: &payload,
            headers: None,
            timestamp: None,
        });
    }
    for letter in effects.dead_letters.drain(..) {
        let source_topic = letter.input.topic(&env.config.kafka.topics);
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: "mlobs.reason",
                value: Some(letter.reason),
            })
            .insert(Header {
                key: "mlobs.error",
                value: Some(&letter.detail),
            })
            .insert(Header {
                key: "mlobs.source.topic",
                value: Some(source_topic),
            })
            .insert(Header {
                key: "mlobs.source.partition",
                value: Some(&partition.to_string()),
            })
            .insert(Header {
                key: "mlobs.source.offset",
                value: Some(&letter.offset.to_string()),
            });
        let key = letter.key.unwrap_or_default();
        outbox.send(Outgoing {
            topic: &topics.dlq,
            partition: None,
            key: &key,
            payload: &letter.payload,
            headers: Some(headers),
            timestamp: None,
        });
    }
}

/// Heartbeats to every partials partition, then the state, then the offsets
/// it makes safe.
fn save_checkpoint(
    outbox: &mut Outbox,
    env: &TaskEnv,
    partition: i32,
    worker: &mut PartitionWorker,
) -> Result<(), PipelineError> {
    let topics = &env.config.kafka.topics;
    let heartbeat = wire::encode(&mlobs_operators::stage2::PartialRecord::Heartbeat(
        worker.heartbeat(),
    ));
    let key = format!("heartbeat/{partition}");
    for target in 0..env.partials_partitions {
        outbox.send(Outgoing {
            topic: &topics.partials,
            partition: Some(target),
            key: key.as_bytes(),
            payload: &heartbeat,
            headers: None,
            timestamp: None,
        });
    }
    match worker.checkpoint_if_changed() {
        Some(state) => checkpoint::save(outbox, &topics.changelog, partition, &state)?,
        // Unchanged: the last checkpoint still holds; the heartbeats must
        // still be acknowledged before anyone relies on them.
        None => {
            outbox.flush()?;
        }
    }
    let next = worker.next_offsets();
    let mut committable = env.committable.lock().expect("not poisoned");
    for (topic, offset) in [(&topics.predictions, next[0]), (&topics.labels, next[1])] {
        if offset > 0 {
            committable.insert((topic.clone(), partition), offset);
        }
    }
    Ok(())
}

/// True when the task has processed `input`'s partition up to the end the
/// broker reports (an unanswered question counts as not caught up).
fn caught_up(env: &TaskEnv, partition: i32, input: Input, next_offset: i64) -> bool {
    env.offsets
        .fetch_watermarks(
            input.topic(&env.config.kafka.topics),
            partition,
            Duration::from_secs(5),
        )
        .is_ok_and(|(low, high)| next_offset.max(low) >= high)
}
