//! Stage 1 for one partition number, without Kafka: decode and validate
//! records of the predictions and labels partitions, run them through the
//! join and window operators, and say what must be sent. The runner does the
//! I/O; the in-process benchmark drives this directly.

use std::sync::Arc;

use mlobs_operators::stage1::{JoinedOutcome, Stage1, Stage1Config};
use mlobs_operators::stage2::{Heartbeat, PartialRecord};
use mlobs_schemas::{DecodeError, GroundTruthEvent, PredictionEvent, WriterSchemas};
use serde::{Deserialize, Serialize};

use crate::baselines::Baselines;
use crate::config::Topics;
use crate::dead_letters::{DeadLetter, Origin, Withheld};
use crate::privacy::PrivacyConfig;
use crate::wire;

/// The two inputs of a stage-1 partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The predictions topic.
    Predictions = 0,
    /// The labels topic.
    Labels = 1,
}

impl Input {
    /// The input a record of `topic` (one of the two inputs) belongs to.
    pub fn of_topic(topics: &Topics, topic: &str) -> Input {
        if topic == topics.predictions {
            Input::Predictions
        } else {
            Input::Labels
        }
    }

    /// The topic this input is read from.
    pub fn topic(self, topics: &Topics) -> &str {
        match self {
            Input::Predictions => &topics.predictions,
            Input::Labels => &topics.labels,
        }
    }
}

/// A record read from one of the inputs.
pub struct SourceRecord<'a> {
    /// Which input.
    pub input: Input,
    /// Its offset in the partition.
    pub offset: i64,
    /// Its key.
    pub key: Option<&'a [u8]>,
    /// Its value.
    pub payload: &'a [u8],
}

/// What handling records produced, for the runner to send.
#[derive(Default)]
pub struct Effects {
    /// Encoded partials keyed by model, for the partials topic.
    pub partials: Vec<(String, Vec<u8>)>,
    /// Records for the dead-letter topic.
    pub dead_letters: Vec<DeadLetter>,
    /// Valid predictions, for the inference log and the metrics.
    pub predictions: Vec<PredictionEvent>,
    /// Joined predictions and labels, for the outcomes history.
    pub outcomes: Vec<JoinedOutcome>,
}

impl Effects {
    /// Forgets everything (a replay's effects were all acknowledged before).
    pub fn clear(&mut self) {
        self.partials.clear();
        self.dead_letters.clear();
        self.predictions.clear();
        self.outcomes.clear();
    }
}

/// What a snapshot holds: the operator state and where to resume.
#[derive(Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Next offset to process, per input (records below are in the state).
    pub next_offsets: [i64; 2],
    /// Wall-clock time it was taken (ms): a replay from it judges event
    /// times against this clock, never a later one.
    pub saved_ms: i64,
    /// The operators.
    pub state: Stage1,
}

/// Stage-1 processing of one partition number.
pub struct PartitionWorker {
    partition: u32,
    sources: u32,
    stage: Stage1,
    schemas: Arc<WriterSchemas>,
    next_offsets: [i64; 2],
    idle: [bool; 2],
    /// The state changed since the last checkpoint was taken.
    changed: bool,
    /// Bytes of the records handled since the last time they were taken.
    input_bytes: u64,
    /// Events further than this ahead of the clock are refused.
    max_future_ms: i64,
    /// The clock for that check: a fixed time (a replay), or else the wall
    /// clock as read at the last `advance` (reading it once per batch, not
    /// per record, is plenty for a bound of an hour).
    clock_ms: Option<i64>,
    wall_ms: i64,
    /// Which models' raw features are withheld on arrival.
    privacy: Arc<PrivacyConfig>,
}

impl PartitionWorker {
    /// A worker for `partition` of `sources` partitions, from a checkpoint
    /// or empty. Baselines give the feature sketches their bins.
    pub fn new(
        partition: u32,
        sources: u32,
        config: Stage1Config,
        checkpoint: Option<Checkpoint>,
        baselines: &Baselines,
        schemas: Arc<WriterSchemas>,
    ) -> Self {
        let (stage, next_offsets) = match checkpoint {
            Some(c) => (c.state, c.next_offsets),
            None => (Stage1::new(config), [0, 0]),
        };
        let mut worker = PartitionWorker {
            partition,
            sources,
            stage,
            schemas,
            next_offsets,
            idle: [false; 2],
            changed: false,
            input_bytes: 0,
            max_future_ms: i64::MAX / 2,
            clock_ms: None,
            wall_ms: mlobs_schemas::time::now_ms(),
            privacy: Arc::default(),
        };
        worker.apply_baselines(baselines);
        worker
    }

    /// Sketches the features of every version `baselines` knows with that
    /// version's specs (the windows opened from now on; an open window
    /// keeps the specs it started with).
    pub fn apply_baselines(&mut self, baselines: &Baselines) {
        for (model, version) in baselines.versions() {
            let baseline = baselines.get(model, version).expect("listed");
            self.stage.set_specs(model, version, baseline.specs.clone());
        }
    }

    /// Withholds the raw features of models in `hash` mode as soon as a
    /// record is decoded (see [`crate::privacy`]).
    pub fn with_privacy(mut self, privacy: Arc<PrivacyConfig>) -> Self {
        self.privacy = privacy;
        self
    }

    /// Refuses events stamped more than `max_future_ms` ahead of the clock
    /// (dead letter `future_event_time`): one of them would move the
    /// watermark and close every open window.
    pub fn with_future_limit(mut self, max_future_ms: i64) -> Self {
        self.max_future_ms = max_future_ms;
        self
    }

    /// Judges event times against `clock_ms` instead of the wall clock
    /// (`None`: the wall clock again). A replay of what a checkpoint left
    /// out uses the checkpoint's time: a record refused then is refused
    /// again, never taken in.
    pub fn set_clock(&mut self, clock_ms: Option<i64>) {
        self.clock_ms = clock_ms;
    }

    /// Bytes of records handled since the last call.
    pub fn take_input_bytes(&mut self) -> u64 {
        std::mem::take(&mut self.input_bytes)
    }

    /// Takes one record. Records below the restored offsets were already in
    /// the checkpointed state and are skipped.
    pub fn handle(&mut self, record: SourceRecord<'_>, effects: &mut Effects) {
        let input = record.input as usize;
        if record.offset < self.next_offsets[input] {
            return;
        }
        self.next_offsets[input] = record.offset + 1;
        self.changed = true;
        self.input_bytes += (record.payload.len() + record.key.map_or(0, <[u8]>::len)) as u64;
        let latest = self.clock_ms.unwrap_or(self.wall_ms) + self.max_future_ms;
        if self.idle[input] {
            self.idle[input] = false;
            self.stage.set_idle(input, false);
        }
        let mut withheld = None;
        let outcome = match record.input {
            Input::Predictions => match self.schemas.decode::<PredictionEvent>(record.payload) {
                Ok(mut event) => {
                    let private = self.privacy.enforce(&mut event);
                    let outcome = not_future(event.event_time, latest).and_then(|()| {
                        self.stage
                            .on_prediction(&event)
                            .map_err(|e| (e.reason, e.detail))
                    });
                    match outcome {
                        Ok(joined) => {
                            effects.predictions.push(event);
                            Ok(joined)
                        }
                        Err(error) => {
                            if private {
                                withheld = Some(Withheld::Features(mlobs_schemas::encode(&event)));
                            }
                            Err(error)
                        }
                    }
                }
                Err(error) => {
                    if self.privacy.hashes_any() {
                        withheld = Some(Withheld::Record);
                    }
                    Err(reject(error))
                }
            },
            Input::Labels => self
                .schemas
                .decode::<GroundTruthEvent>(record.payload)
                .map_err(reject)
                .and_then(|event| not_future(event.event_time, latest).map(|()| event))
                .and_then(|event| {
                    self.stage
                        .on_label(&event)
                        .map_err(|e| (e.reason, e.detail))
                }),
        };
        match outcome {
            Ok(joined) => effects.outcomes.extend(joined),
            Err((reason, detail)) => effects.dead_letters.push(
                DeadLetter {
                    origin: Origin::Input {
                        input: record.input,
                        partition: self.partition as i32,
                        offset: record.offset,
                    },
                    key: record.key.map(<[u8]>::to_vec),
                    payload: record.payload.to_vec(),
                    reason,
                    detail,
                    withheld: None,
                }
                .withholding(withheld),
            ),
        }
    }

    /// Closes the windows the watermark has passed.
    pub fn advance(&mut self, effects: &mut Effects) {
        self.wall_ms = mlobs_schemas::time::now_ms();
        let closed = self.stage.advance();
        self.emit(closed, effects);
    }

    /// Closes every open window (both inputs idle for long enough).
    pub fn flush(&mut self, effects: &mut Effects) {
        let closed = self.stage.flush();
        self.emit(closed, effects);
    }

    /// Marks an input idle: it no longer holds the watermark back.
    pub fn set_idle(&mut self, input: Input, idle: bool) {
        self.idle[input as usize] = idle;
        self.stage.set_idle(input as usize, idle);
    }

    /// True when `input` is marked idle.
    pub fn is_idle(&self, input: Input) -> bool {
        self.idle[input as usize]
    }

    /// This partition's progress, for every partials partition.
    pub fn heartbeat(&self) -> Heartbeat {
        Heartbeat {
            source: self.partition,
            sources: self.sources,
            closed_before: self.stage.closed_before(),
            idle_empty: self.idle == [true, true] && !self.has_open_windows(),
        }
    }

    /// True while some window was not emitted yet.
    pub fn has_open_windows(&self) -> bool {
        self.stage.has_open_windows()
    }

    /// True once after the state changed (a record or a closed window):
    /// whether a checkpoint has anything new to say.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// The state to snapshot, and the offsets to resume from.
    pub fn snapshot(&self) -> Checkpoint {
        Checkpoint {
            next_offsets: self.next_offsets,
            saved_ms: mlobs_schemas::time::now_ms(),
            state: self.stage.clone(),
        }
    }

    /// The watermark the inputs justify and the flush floor.
    pub fn watermark(&self) -> (Option<i64>, Option<i64>) {
        self.stage.watermark()
    }

    /// After a replay up to `next_offsets`: puts back what the wall clock
    /// had done (idleness, the watermark it moved, flushes) and closes the
    /// windows that were closed then. Records a replay could not read (the
    /// broker dropped them) are skipped.
    pub fn resume_at(
        &mut self,
        next_offsets: [i64; 2],
        watermark: (Option<i64>, Option<i64>),
        idle: [bool; 2],
        effects: &mut Effects,
    ) {
        self.next_offsets = next_offsets;
        self.stage.raise_watermark(watermark.0, watermark.1);
        for (input, idle) in [Input::Predictions, Input::Labels].into_iter().zip(idle) {
            self.set_idle(input, idle);
        }
        self.advance(effects);
        self.changed = false;
    }

    /// The next offset to process per input.
    pub fn next_offsets(&self) -> [i64; 2] {
        self.next_offsets
    }

    /// Counts of events that did not make it into a window.
    pub fn counters(&self) -> mlobs_operators::stage1::Counters {
        self.stage.counters()
    }

    /// Values that met a cap.
    pub fn capped(&self) -> mlobs_operators::limits::Capped {
        self.stage.capped()
    }

    /// Predictions and labels waiting in the join.
    pub fn join_size(&self) -> (usize, usize) {
        self.stage.join_size()
    }

    fn emit(&mut self, closed: Vec<mlobs_operators::stage1::ClosedPartial>, effects: &mut Effects) {
        self.changed |= !closed.is_empty();
        for partial in closed {
            // Keyed by model: all its versions go to one stage-2 partition.
            let key = partial.model.clone();
            let record = PartialRecord::Window {
                source: self.partition,
                partial: Box::new(partial),
            };
            effects.partials.push((key, wire::encode(&record)));
        }
    }
}

fn reject(error: DecodeError) -> (&'static str, String) {
    (error.reason(), error.to_string())
}

/// Refuses an event time past `latest` (the clock plus the allowed lead).
fn not_future(event_time: i64, latest: i64) -> Result<(), (&'static str, String)> {
    if event_time <= latest {
        return Ok(());
    }
    Err((
        crate::dead_letters::FUTURE_EVENT_TIME,
        format!(
            "event_time {} is {} s ahead of what windows.max_future_ms allows",
            mlobs_schemas::time::format_rfc3339(event_time),
            (event_time - latest) / 1_000
        ),
    ))
}
