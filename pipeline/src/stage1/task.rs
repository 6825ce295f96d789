//! One partition's life in stage 1: restore its state from the changelog
//! (retrying while the broker is slow or away), process the records the
//! consumer thread hands over, emit partials and dead letters, checkpoint,
//! and publish the offsets that became safe.

use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};

use super::checkpoint::{self, Checkpointer, Restored};
use super::idleness::Idleness;
use super::observe::Observer;
use super::worker::{Effects, Input, PartitionWorker, SourceRecord};
use crate::baselines::LiveBaselines;
use crate::dead_letters;
use crate::group::Membership;
use crate::outbox::{Outbox, Outgoing};
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
    pub baselines: Arc<LiveBaselines>,
    pub schemas: Arc<mlobs_schemas::WriterSchemas>,
    pub producer: crate::kafka::Producer,
    /// Asks the broker where partitions end (see [`Idleness`]).
    pub offsets: BaseConsumer<crate::kafka_log::Quiet>,
    pub sources: u32,
    pub partials_partitions: i32,
    /// Where safe offsets are published for the next commit.
    pub membership: Arc<Membership>,
    pub sinks: Sinks,
    pub shutdown: Shutdown,
}

/// The first pause between restore attempts; it doubles up to the maximum.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(10);

/// One partition's life: restore, process, checkpoint, until its channel closes.
pub(super) fn run_task(
    partition: i32,
    env: &TaskEnv,
    records: Receiver<OwnedRecord>,
) -> Result<(), PipelineError> {
    let group = &env.config.kafka.groups.join;
    let _span = tracing::info_span!("task", stage = "join", %group, partition).entered();
    let mut early = Vec::new();
    let Some((mut worker, mut checkpointer)) = restore(partition, env, &records, &mut early)?
    else {
        return Ok(()); // revoked or stopped while restoring
    };
    tracing::info!(next_offsets = ?worker.next_offsets(), "processing the partition");
    let mut outbox = Outbox::new(env.producer.clone(), env.shutdown.clone());
    let mut observer = Observer::new(partition, &env.sinks, &env.shutdown, &worker);
    let mut task = Task {
        partition,
        env,
        worker: &mut worker,
        outbox: &mut outbox,
        observer: &mut observer,
        checkpointer: &mut checkpointer,
    };
    let outcome = task.process(records, early);
    observer.stop();
    outcome
}

/// The newest checkpoint of `partition` as a worker, replayed up to the
/// progress recorded after it; retried with backoff until it succeeds, or
/// the partition is revoked or the process stops (`None` for both). Records
/// that arrive meanwhile are kept in `early`.
fn restore(
    partition: i32,
    env: &TaskEnv,
    records: &Receiver<OwnedRecord>,
    early: &mut Vec<OwnedRecord>,
) -> Result<Option<(PartitionWorker, Checkpointer)>, PipelineError> {
    let health = &env.sinks.health;
    let mut pause = FIRST_RETRY;
    for attempt in 1.. {
        match restore_once(partition, env) {
            Ok(restored) => {
                health.set_restoring(partition, None);
                return Ok(Some(restored));
            }
            // A missing ACL is not cured by trying again.
            Err(error @ PipelineError::Unauthorized { .. }) => return Err(error),
            Err(error) => {
                tracing::warn!(%error, attempt, retry_in_ms = pause.as_millis() as u64, "restoring the checkpoint failed; retrying");
                health.set_restoring(
                    partition,
                    Some(format!("attempt {attempt} failed: {error}")),
                );
            }
        }
        if !env.shutdown.wait(pause) {
            // Stopping while restoring: nothing was processed, so there is
            // nothing to checkpoint or commit.
            health.set_restoring(partition, None);
            return Ok(None);
        }
        loop {
            match records.try_recv() {
                Ok(record) => early.push(record),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    health.set_restoring(partition, None);
                    return Ok(None);
                }
            }
        }
        pause = (pause * 2).min(MAX_RETRY);
    }
    unreachable!("the attempts never run out")
}

/// One attempt: load the snapshot, replay the inputs up to the progress,
/// silently (every output of those records was acknowledged before the
/// progress was written).
fn restore_once(
    partition: i32,
    env: &TaskEnv,
) -> Result<(PartitionWorker, Checkpointer), PipelineError> {
    let kafka = &env.config.kafka;
    let restored = checkpoint::restore(kafka, &kafka.topics.changelog, partition)?;
    let (snapshot, position) = match restored {
        Some(Restored {
            snapshot,
            generation,
            manifest_offset,
            progress,
        }) => (
            Some((snapshot, progress)),
            Some((generation, manifest_offset)),
        ),
        None => (None, None),
    };
    let checkpointer = Checkpointer::new(&kafka.topics.changelog, partition, position);
    let Some((snapshot, progress)) = snapshot else {
        let worker = new_worker(partition, env, None);
        return Ok((worker, checkpointer));
    };
    let (from, saved_ms) = (snapshot.next_offsets, snapshot.saved_ms);
    let mut worker = new_worker(partition, env, Some(snapshot));
    let mut replayed = 0;
    if let Some(progress) = progress {
        worker.set_clock(Some(saved_ms));
        let mut discarded = Effects::default();
        replayed = checkpoint::replay_inputs(
            kafka,
            partition,
            from,
            progress.next_offsets,
            &env.shutdown,
            |record| {
                let source = SourceRecord {
                    input: record.input,
                    offset: record.offset,
                    key: record.key.as_deref(),
                    payload: &record.payload,
                };
                worker.handle(source, &mut discarded);
                discarded.clear();
            },
        )?;
        worker.set_clock(None);
        let watermark = (progress.watermark, progress.floor);
        worker.resume_at(
            progress.next_offsets,
            watermark,
            progress.idle,
            &mut discarded,
        );
    }
    worker.take_input_bytes();
    env.sinks.metrics.restored("join", replayed);
    tracing::info!(next_offsets = ?worker.next_offsets(), replayed, "partition restored from its checkpoint");
    Ok((worker, checkpointer))
}

fn new_worker(
    partition: i32,
    env: &TaskEnv,
    snapshot: Option<super::worker::Checkpoint>,
) -> PartitionWorker {
    PartitionWorker::new(
        partition as u32,
        env.sources,
        super::operator_config(&env.config),
        snapshot,
        &env.baselines.current(),
        env.schemas.clone(),
    )
    .with_future_limit(env.config.windows.max_future_ms)
    .with_privacy(Arc::new(env.config.privacy.clone()))
}

/// A partition's processing, with what it writes to.
struct Task<'a> {
    partition: i32,
    env: &'a TaskEnv,
    worker: &'a mut PartitionWorker,
    outbox: &'a mut Outbox,
    observer: &'a mut Observer,
    checkpointer: &'a mut Checkpointer,
}

impl Task<'_> {
    /// Handles records until the channel closes, checkpointing as it goes.
    fn process(
        &mut self,
        records: Receiver<OwnedRecord>,
        early: Vec<OwnedRecord>,
    ) -> Result<(), PipelineError> {
        let timings = &self.env.config.runtime;
        let mut idleness = Idleness::new(Duration::from_millis(timings.idle_after_ms));
        let flush_after = Duration::from_millis(timings.flush_after_ms);
        let checkpoint_every = Duration::from_millis(timings.checkpoint_interval_ms);
        let mut last_checkpoint = Instant::now();
        let mut effects = Effects::default();
        let mut early = early.into_iter();
        let mut baselines_seen = self.env.baselines.generation();
        loop {
            let generation = self.env.baselines.generation();
            if generation != baselines_seen {
                self.worker.apply_baselines(&self.env.baselines.current());
                baselines_seen = generation;
            }
            let first = match early.next() {
                Some(record) => Ok(record),
                None => records.recv_timeout(Duration::from_millis(100)),
            };
            let closed = matches!(first, Err(RecvTimeoutError::Disconnected));
            let mut read = 0;
            let mut seen = [false; 2];
            for record in first.into_iter().chain(records.try_iter().take(1_000)) {
                read += 1;
                seen[record.input as usize] = true;
                let source = SourceRecord {
                    input: record.input,
                    offset: record.offset,
                    key: record.key.as_deref(),
                    payload: &record.payload,
                };
                self.worker.handle(source, &mut effects);
            }
            // Once per batch: the clock, read per record, cost 3% of the
            // task's cycles.
            for input in [Input::Predictions, Input::Labels] {
                if seen[input as usize] {
                    idleness.saw(input);
                }
            }
            self.env.sinks.metrics.consumed("join", read);
            let worker = &mut *self.worker;
            let now_idle = idleness.newly_idle(
                |input| worker.is_idle(input),
                |input| {
                    caught_up(
                        self.env,
                        self.partition,
                        input,
                        worker.next_offsets()[input as usize],
                    )
                },
            );
            for input in now_idle {
                self.worker.set_idle(input, true);
            }
            let all_idle =
                self.worker.is_idle(Input::Predictions) && self.worker.is_idle(Input::Labels);
            if all_idle && idleness.quiet_for() >= flush_after && self.worker.has_open_windows() {
                self.worker.flush(&mut effects);
            } else {
                self.worker.advance(&mut effects);
            }
            let rejected = self.observer.observe(&mut effects)?;
            effects.dead_letters.extend(rejected);
            self.send(&mut effects)?;
            if closed || last_checkpoint.elapsed() >= checkpoint_every {
                self.checkpoint()?;
                last_checkpoint = Instant::now();
            }
            if closed {
                return Ok(());
            }
        }
    }

    /// Queues partials and dead letters.
    fn send(&mut self, effects: &mut Effects) -> Result<(), PipelineError> {
        let topics = &self.env.config.kafka.topics;
        for (key, payload) in effects.partials.drain(..) {
            self.outbox.send(Outgoing {
                topic: &topics.partials,
                partition: None,
                key: key.as_bytes(),
                payload: &payload,
                headers: None,
                timestamp: None,
            })?;
        }
        for letter in effects.dead_letters.drain(..) {
            self.env.sinks.metrics.rejected(letter.reason);
            dead_letters::send(self.outbox, topics, &letter)?;
        }
        Ok(())
    }

    /// Everything written so far is acknowledged (ClickHouse rows, then
    /// heartbeats to every partials partition), then the state, then the
    /// offsets it makes safe are published.
    fn checkpoint(&mut self) -> Result<(), PipelineError> {
        let mut rejected = self.observer.checkpoint(self.worker)?;
        self.send(&mut Effects {
            dead_letters: std::mem::take(&mut rejected),
            ..Effects::default()
        })?;
        let topics = &self.env.config.kafka.topics;
        let heartbeat = wire::encode(&mlobs_operators::stage2::PartialRecord::Heartbeat(
            self.worker.heartbeat(),
        ));
        let key = format!("heartbeat/{}", self.partition);
        for target in 0..self.env.partials_partitions {
            self.outbox.send(Outgoing {
                topic: &topics.partials,
                partition: Some(target),
                key: key.as_bytes(),
                payload: &heartbeat,
                headers: None,
                timestamp: None,
            })?;
        }
        if self.worker.take_changed() {
            let written = self.checkpointer.save(self.outbox, self.worker)?;
            self.env
                .sinks
                .metrics
                .checkpoint_written(written.kind, written.bytes);
        } else {
            // Unchanged: the last checkpoint still holds; the heartbeats must
            // still be acknowledged before anyone relies on them.
            self.outbox.flush()?;
        }
        let next = self.worker.next_offsets();
        for (input, offset) in [Input::Predictions, Input::Labels].into_iter().zip(next) {
            if offset > 0 {
                self.env
                    .membership
                    .set_safe(input.topic(topics), self.partition, offset);
            }
        }
        Ok(())
    }
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
