//! Stage 1 of the pipeline for one source partition: validate, join
//! predictions with labels, and keep per (window, series) metrics until the
//! watermark closes the window. A series is a model version in one
//! environment: staging and production traffic of a version are watched
//! apart.
//!
//! Pure: the runtime feeds it decoded events in partition order, asks it to
//! advance, ships what it returns, and checkpoints it (it is serde).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mlobs_schemas::{GroundTruthEvent, Outcome, PredictionEvent};
use serde::{Deserialize, Serialize};

use crate::intern::Interner;
use crate::join::{key_of, Join, OnLabel, OnPrediction, Value, MAX_VERSIONS};
use crate::limits::{Capped, Limits};
use crate::metrics::{MetricsPartial, Scored};
use crate::sketch::FeatureSpec;
use crate::validate::{validate_label, validate_prediction, Invalid};
use crate::window::{Watermark, Windows};

#[path = "stage1_counters.rs"]
mod counters;
pub use counters::Counters;

/// Input numbers for the watermark.
const PREDICTIONS: usize = 0;
const LABELS: usize = 1;

/// How stage 1 cuts and joins.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stage1Config {
    /// Tumbling windows.
    pub windows: Windows,
    /// How long a prediction waits for its label (event time).
    pub label_ttl_ms: i64,
    /// Labels that may wait for their prediction.
    pub max_pending_labels: usize,
    /// Caps on distinct unknown features, classes and error types.
    pub limits: Limits,
}

/// How each feature of a model version is sketched (from its baseline).
pub type FeatureSpecs = Arc<BTreeMap<String, FeatureSpec>>;

/// A prediction joined with its label, for the outcomes history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinedOutcome {
    /// The prediction's id.
    pub prediction_id: String,
    /// Model name.
    pub model: String,
    /// Model version.
    pub version: String,
    /// Where the prediction was served.
    pub environment: String,
    /// What the model said.
    pub prediction: Outcome,
    /// What was true.
    pub label: Outcome,
    /// Prediction event time (ms).
    pub prediction_time: i64,
    /// Label event time (ms), which decides the window.
    pub label_time: i64,
}

impl JoinedOutcome {
    /// How the outcome is scored (as in the windows).
    pub fn scored(&self) -> Scored<'_> {
        Scored::of(&self.prediction, &self.label)
    }
}

/// Metrics of a closed window for one series from this partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedPartial {
    /// Model name.
    pub model: String,
    /// Model version.
    pub version: String,
    /// Serving environment.
    pub environment: String,
    /// Window start (ms, inclusive).
    pub window_start: i64,
    /// Window end (ms, exclusive).
    pub window_end: i64,
    /// The metrics.
    pub metrics: MetricsPartial,
}

impl ClosedPartial {
    /// Window first, then series: the order partials are emitted in.
    fn sort_key(&self) -> (i64, &str, &str, &str) {
        (
            self.window_start,
            &self.model,
            &self.version,
            &self.environment,
        )
    }
}

/// Stage-1 state of one partition.
#[derive(Clone, Serialize, Deserialize)]
pub struct Stage1 {
    config: Stage1Config,
    join: Join,
    watermark: Watermark,
    /// Series as written by [`series_key`].
    series: Interner,
    classes: Interner,
    #[serde(with = "crate::serde_pairs")]
    open: BTreeMap<(i64, u32), MetricsPartial>,
    /// Predictions waiting for their label, counted by (start of the window
    /// in which their TTL ends, series): what becomes `unlabeled` there if
    /// no label comes. Counting as they come avoids scanning the join.
    #[serde(with = "crate::serde_pairs")]
    pending: BTreeMap<(i64, u32), u64>,
    /// Windows up to (excluding) this start are closed.
    closed_before: Option<i64>,
    counters: Counters,
    capped: Capped,
    /// Feature specs by (model, version), as set by the runtime.
    #[serde(skip)]
    specs: HashMap<(String, String), FeatureSpecs>,
    /// The same, by interned series id (a cache of `specs`).
    #[serde(skip)]
    specs_by_series: Vec<Option<FeatureSpecs>>,
    /// Reused to build interner keys without allocating.
    #[serde(skip)]
    key_buffer: String,
}

impl Stage1 {
    /// Empty state.
    pub fn new(config: Stage1Config) -> Self {
        Stage1 {
            config,
            join: Join::new(config.label_ttl_ms, config.max_pending_labels),
            watermark: Watermark::new(2),
            series: Interner::default(),
            classes: Interner::default(),
            open: BTreeMap::new(),
            pending: BTreeMap::new(),
            closed_before: None,
            counters: Counters::default(),
            capped: Capped::default(),
            specs: HashMap::new(),
            specs_by_series: Vec::new(),
            key_buffer: String::new(),
        }
    }

    /// Sets how the features of `model`/`version` are sketched.
    pub fn set_specs(&mut self, model: &str, version: &str, specs: FeatureSpecs) {
        self.specs
            .insert((model.to_string(), version.to_string()), specs);
        self.specs_by_series.clear();
    }

    /// Takes one prediction. Invalid ones are refused with a reason.
    pub fn on_prediction(
        &mut self,
        event: &PredictionEvent,
    ) -> Result<Option<JoinedOutcome>, Invalid> {
        validate_prediction(event)?;
        let series = self.series_id(event)?;
        let watermark = self.watermark.current();
        self.observe(PREDICTIONS, event.event_time);
        if self.config.windows.is_late(event.event_time, watermark) {
            self.counters.late_predictions += 1;
            return Ok(None);
        }
        let joined = if event.error.is_none() {
            let value = self.value_of(&event.prediction);
            match self.join.on_prediction(
                key_of(&event.prediction_id),
                series,
                event.event_time,
                value,
                event.confidence.map(|c| c as f32),
            ) {
                OnPrediction::Duplicate => {
                    self.counters.duplicate_predictions += 1;
                    return Ok(None);
                }
                OnPrediction::Waiting => {
                    let ttl_ends = self.ttl_window(event.event_time);
                    *self.pending.entry((ttl_ends, series)).or_default() += 1;
                    None
                }
                OnPrediction::Joined { label_time, label } => Some((label_time, label)),
            }
        } else {
            None
        };
        let specs = self.specs_of(series, event);
        let start = self.config.windows.start_of(event.event_time);
        self.open
            .entry((start, series))
            .or_default()
            .add_prediction(event, &specs, &self.config.limits, &mut self.capped);
        Ok(joined.map(|(label_time, label)| {
            let label = self.outcome_of(label);
            self.score(
                series,
                (event.prediction.clone(), event.confidence),
                label,
                (event.event_time, label_time),
                &event.prediction_id,
            )
        }))
    }

    /// Takes one label. Invalid ones are refused with a reason.
    pub fn on_label(&mut self, event: &GroundTruthEvent) -> Result<Option<JoinedOutcome>, Invalid> {
        validate_label(event)?;
        let watermark = self.watermark.current();
        self.observe(LABELS, event.event_time);
        if self.config.windows.is_late(event.event_time, watermark) {
            self.counters.late_labels += 1;
            return Ok(None);
        }
        let value = self.value_of(&event.label);
        match self
            .join
            .on_label(key_of(&event.prediction_id), event.event_time, value)
        {
            OnLabel::Joined {
                version,
                prediction_time,
                prediction,
                confidence,
            } => {
                self.no_longer_pending(prediction_time, version);
                let prediction = self.outcome_of(prediction);
                Ok(Some(self.score(
                    version,
                    (prediction, confidence.map(f64::from)),
                    event.label.clone(),
                    (prediction_time, event.event_time),
                    &event.prediction_id,
                )))
            }
            OnLabel::Waiting => Ok(None),
            OnLabel::Duplicate => {
                self.counters.duplicate_labels += 1;
                Ok(None)
            }
            OnLabel::Overflow => {
                self.counters.label_overflow += 1;
                Ok(None)
            }
        }
    }

    /// Marks input 0 (predictions) or 1 (labels) idle, so that it does not
    /// hold the watermark back.
    pub fn set_idle(&mut self, input: usize, idle: bool) {
        self.watermark.set_idle(input, idle);
    }

    /// Expires the join and closes every window the watermark has passed.
    /// Returns the closed partials, ascending by window then model/version.
    pub fn advance(&mut self) -> Vec<ClosedPartial> {
        let Some(watermark) = self.watermark.current() else {
            return Vec::new();
        };
        let windows = self.config.windows;
        if let Some(progress) = self.watermark.of_inputs() {
            self.join.set_progress(progress);
            self.counters.orphan_labels += self.join.take_orphans();
            self.settle_unlabeled(progress);
        }
        let mut closed = Vec::new();
        while let Some(entry) = self.open.first_entry() {
            let (start, version) = *entry.key();
            if windows.closes_at(start) > watermark {
                break;
            }
            let mut metrics = entry.remove();
            metrics.compact();
            let (model, version, environment) = self.series_names(version);
            closed.push(ClosedPartial {
                model,
                version,
                environment,
                window_start: start,
                window_end: start + windows.size_ms,
                metrics,
            });
        }
        closed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let first_open = windows
            .start_of(watermark - windows.allowed_lateness_ms - windows.size_ms)
            + windows.size_ms;
        self.closed_before = Some(self.closed_before.map_or(first_open, |c| c.max(first_open)));
        closed
    }

    /// Closes every open window now, whatever the watermark: the runtime
    /// calls this when both inputs have been idle for a while (or at the end
    /// of a replay). Events that arrive later for these windows are late.
    pub fn flush(&mut self) -> Vec<ClosedPartial> {
        let mut closed = self.advance();
        let Some(last) = self.open.last_key_value().map(|((start, _), _)| *start) else {
            return closed;
        };
        self.watermark
            .advance_to(self.config.windows.closes_at(last));
        closed.extend(self.advance());
        closed
    }

    /// The watermark the inputs justify, and the flush floor.
    pub fn watermark(&self) -> (Option<i64>, Option<i64>) {
        (self.watermark.of_inputs(), self.watermark.floor())
    }

    /// Raises the watermark to what it was (after a replay that could not
    /// redo what the wall clock did: idleness, flushes). Never lowers it.
    pub fn raise_watermark(&mut self, inputs: Option<i64>, floor: Option<i64>) {
        self.watermark.raise(inputs, floor);
        if let Some(progress) = self.watermark.of_inputs() {
            self.join.set_progress(progress);
        }
    }

    /// True while some window holds metrics that were not emitted yet.
    pub fn has_open_windows(&self) -> bool {
        !self.open.is_empty()
    }

    /// Every window starting before this is closed (after an `advance`).
    pub fn closed_before(&self) -> Option<i64> {
        self.closed_before
    }

    /// Counts of events that did not make it into a window.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Values that met a cap (see [`crate::limits`]).
    pub fn capped(&self) -> Capped {
        self.capped
    }

    /// Predictions and labels held by the join.
    pub fn join_size(&self) -> (usize, usize) {
        (self.join.predictions(), self.join.waiting_labels())
    }

    /// Records an event time on `input` and lets the join expire what the
    /// inputs' progress has left behind.
    fn observe(&mut self, input: usize, t: i64) {
        self.watermark.observe(input, t);
        if let Some(progress) = self.watermark.of_inputs() {
            self.join.set_progress(progress);
        }
    }

    /// Start of the window in which the TTL of a prediction made at `t` ends.
    fn ttl_window(&self, t: i64) -> i64 {
        self.config.windows.start_of(t + self.config.label_ttl_ms)
    }

    /// A waiting prediction got its label: it will not be unlabeled.
    fn no_longer_pending(&mut self, prediction_time: i64, series: u32) {
        let key = (self.ttl_window(prediction_time), series);
        if let Some(count) = self.pending.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                self.pending.remove(&key);
            }
        }
    }

    /// Counts as unlabeled the predictions whose TTL ended in windows the
    /// inputs have passed (every one of them has expired in the join): in
    /// that window, or, when a flush closed it already, in
    /// `unlabeled_after_flush`.
    fn settle_unlabeled(&mut self, progress: i64) {
        let size = self.config.windows.size_ms;
        while let Some(entry) = self.pending.first_entry() {
            let (start, series) = *entry.key();
            if start + size > progress {
                break;
            }
            let count = entry.remove();
            if self.closed_before.is_some_and(|closed| start < closed) {
                self.counters.unlabeled_after_flush += count;
            } else {
                self.open.entry((start, series)).or_default().unlabeled += count;
            }
        }
    }

    fn series_id(&mut self, event: &PredictionEvent) -> Result<u32, Invalid> {
        series_key(
            &mut self.key_buffer,
            &event.model,
            &event.version,
            &event.environment,
        );
        if let Some(id) = self.series.get(&self.key_buffer) {
            return Ok(id);
        }
        if self.series.len() as u32 >= MAX_VERSIONS {
            return Err(Invalid::new(
                "too_many_versions",
                format!(
                    "more than {MAX_VERSIONS} model versions and environments in one partition"
                ),
            ));
        }
        Ok(self.series.intern(&self.key_buffer))
    }

    /// The feature specs of interned `series` (looked up by name once).
    fn specs_of(&mut self, series: u32, event: &PredictionEvent) -> FeatureSpecs {
        let index = series as usize;
        if self.specs_by_series.len() <= index {
            self.specs_by_series.resize(index + 1, None);
        }
        self.specs_by_series[index]
            .get_or_insert_with(|| {
                self.specs
                    .get(&(event.model.clone(), event.version.clone()))
                    .cloned()
                    .unwrap_or_default()
            })
            .clone()
    }

    fn series_names(&self, id: u32) -> (String, String, String) {
        series_names(self.series.name(id))
    }

    fn value_of(&mut self, outcome: &Outcome) -> Value {
        match outcome {
            Outcome::Class(class) => Value::Class(self.classes.intern(class)),
            Outcome::Value(x) => Value::Number(*x),
        }
    }

    fn outcome_of(&self, value: Value) -> Outcome {
        match value {
            Value::Class(id) => Outcome::Class(self.classes.name(id).to_string()),
            Value::Number(x) => Outcome::Value(x),
        }
    }

    /// Counts a joined outcome in the window of its label time (unless that
    /// window has closed: a prediction that came long after its label).
    /// `prediction` carries its confidence, `times` are the prediction's
    /// and the label's.
    fn score(
        &mut self,
        version: u32,
        (prediction, confidence): (Outcome, Option<f64>),
        label: Outcome,
        (prediction_time, label_time): (i64, i64),
        prediction_id: &str,
    ) -> JoinedOutcome {
        let scored = Scored::of(&prediction, &label);
        let windows = self.config.windows;
        if windows.is_late(label_time, self.watermark.current()) {
            self.counters.late_labels += 1;
        } else {
            let partial = self
                .open
                .entry((windows.start_of(label_time), version))
                .or_default();
            if let Scored::Classes { predicted, .. } = scored {
                partial.add_labeled_classification(
                    windows.start_of(prediction_time),
                    (predicted, confidence),
                    scored.is_correct(),
                    &self.config.limits,
                );
            }
            partial.add_outcome(scored, &self.config.limits, &mut self.capped);
        }
        let (model, version, environment) = self.series_names(version);
        JoinedOutcome {
            prediction_id: prediction_id.to_string(),
            model,
            version,
            environment,
            prediction,
            label,
            prediction_time,
            label_time,
        }
    }
}

/// Writes the interner key of a series into `buffer`: each of model and
/// version with its byte length in front, then the environment, so that no
/// character in a name (NUL included) can make two series one.
fn series_key(buffer: &mut String, model: &str, version: &str, environment: &str) {
    use std::fmt::Write;
    buffer.clear();
    let _ = write!(
        buffer,
        "{}:{model}{}:{version}{environment}",
        model.len(),
        version.len()
    );
}

/// The (model, version, environment) of a key written by [`series_key`].
fn series_names(key: &str) -> (String, String, String) {
    let mut rest = key;
    let mut field = || {
        let (length, tail) = rest.split_once(':').expect("a length prefix");
        let length: usize = length.parse().expect("a decimal length");
        let (name, tail) = tail.split_at(length);
        rest = tail;
        name.to_string()
    };
    let (model, version) = (field(), field());
    (model, version, rest.to_string())
}

#[cfg(test)]
#[path = "stage1_tests.rs"]
mod tests;
