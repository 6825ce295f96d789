//! Per (model version, window) metrics, as a mergeable partial: stage 1 fills
//! one per source partition, stage 2 merges them into the window's result.

use std::collections::BTreeMap;

use mlobs_schemas::{FeatureValue, Outcome, PredictionEvent};
use serde::{Deserialize, Serialize};

use crate::cbpe::counts::{ConfidenceCounts, LabeledCounts, Tally};
use crate::limits::{capped_key, Capped, Limits};
use crate::sketch::{FeatureSketch, FeatureSpec, NumericSpec};
use crate::stats::bins::BinCounts;
use crate::stats::tdigest::TDigest;

#[path = "metrics_sums.rs"]
mod sums;
pub use sums::{RegressionErrors, Resources, SumCount};

/// Upper bin edges of the confidence histogram: 0.05, 0.10, ..., 0.95.
pub fn confidence_edges() -> Vec<f64> {
    (1..20).map(|i| f64::from(i) * 0.05).collect()
}

/// Metrics of one model version in one window (from one source or merged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsPartial {
    /// Inferences made in the window (failed ones included).
    pub predictions: u64,
    /// Failed inferences by error type.
    pub errors: BTreeMap<String, u64>,
    /// Outcomes that became known in the window.
    pub labeled: u64,
    /// Of those, classifications that were right.
    pub correct: u64,
    /// Predictions whose label did not arrive within the TTL, counted in the
    /// window where the TTL ran out.
    pub unlabeled: u64,
    /// Confusion counts: predicted class -> true class -> count.
    pub confusion: BTreeMap<String, BTreeMap<String, u64>>,
    /// Regression errors of the outcomes.
    pub regression: RegressionErrors,
    /// Histogram of confidences on [`confidence_edges`].
    pub confidence: BinCounts,
    /// Sum and count of confidences, for their mean.
    pub confidence_sum: SumCount,
    /// Latency sketch in milliseconds.
    pub latency: TDigest,
    /// Resource usage sums.
    pub resources: Resources,
    /// Feature sketches by name.
    pub features: BTreeMap<String, FeatureSketch>,
    /// Confidences of the window's classifications by predicted class:
    /// what CBPE estimates the window's accuracy from.
    pub confidences: ConfidenceCounts,
    /// Outcomes that became known in the window, binned by their
    /// prediction's confidence: what a calibration is refreshed from.
    pub labeled_confidences: LabeledCounts,
    /// Outcomes that became known in the window, by the start of the window
    /// their prediction was made in: the realized accuracy that window's
    /// estimate is checked against (labels come windows later).
    pub outcomes_by_prediction_window: BTreeMap<i64, Tally>,
}

impl Default for MetricsPartial {
    fn default() -> Self {
        MetricsPartial {
            predictions: 0,
            errors: BTreeMap::new(),
            labeled: 0,
            correct: 0,
            unlabeled: 0,
            confusion: BTreeMap::new(),
            regression: RegressionErrors::default(),
            confidence: BinCounts::new(confidence_edges()),
            confidence_sum: SumCount::default(),
            latency: TDigest::default(),
            resources: Resources::default(),
            features: BTreeMap::new(),
            confidences: ConfidenceCounts::default(),
            labeled_confidences: LabeledCounts::default(),
            outcomes_by_prediction_window: BTreeMap::new(),
        }
    }
}

/// A scored outcome's prediction and label, resolved to strings or numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Scored<'a> {
    /// Classification.
    Classes { predicted: &'a str, actual: &'a str },
    /// Regression.
    Numbers { predicted: f64, actual: f64 },
    /// A class and a number: counted as labeled, never correct.
    Mismatched,
}

impl<'a> Scored<'a> {
    /// Pairs a prediction with its label: the one rule for what is scored
    /// how, shared by the windows and the sinks.
    pub fn of(prediction: &'a Outcome, label: &'a Outcome) -> Self {
        match (prediction, label) {
            (Outcome::Class(p), Outcome::Class(a)) => Scored::Classes {
                predicted: p,
                actual: a,
            },
            (Outcome::Value(p), Outcome::Value(a)) => Scored::Numbers {
                predicted: *p,
                actual: *a,
            },
            _ => Scored::Mismatched,
        }
    }

    /// True for a classification that was right.
    pub fn is_correct(&self) -> bool {
        matches!(self, Scored::Classes { predicted, actual } if predicted == actual)
    }
}

impl MetricsPartial {
    /// Counts one inference and sketches its features. `specs` says how each
    /// feature is sketched; a feature it does not name is sketched by the
    /// kind of its first value, up to `limits.max_unknown_features` such
    /// features. What met a cap is counted in `capped`.
    pub fn add_prediction(
        &mut self,
        event: &PredictionEvent,
        specs: &BTreeMap<String, FeatureSpec>,
        limits: &Limits,
        capped: &mut Capped,
    ) {
        self.predictions += 1;
        if let Some(error) = &event.error {
            let (key, over) = capped_key(&self.errors, &error.error_type, limits.max_error_types);
            capped.error_types += u64::from(over);
            *self.errors.entry(key.to_string()).or_default() += 1;
        }
        if let Some(confidence) = event.confidence {
            self.confidence.add(confidence);
            self.confidence_sum.add(Some(confidence));
            if let (None, Outcome::Class(class)) = (&event.error, &event.prediction) {
                capped.classes +=
                    u64::from(
                        self.confidences
                            .add(class, confidence, 1, limits.max_classes),
                    );
            }
        }
        self.latency.add(event.latency_ms);
        if let Some(r) = &event.resources {
            self.resources.cpu_time_ms.add(r.cpu_time_ms);
            self.resources.gpu_memory_mb.add(r.gpu_memory_mb);
            self.resources.gpu_utilization.add(r.gpu_utilization);
        }
        // The event's features, the specs and the sketches are all sorted by
        // name: one walk over them in step finds each feature's spec and
        // sketch. (Two map lookups per feature were a sixth of the stage-1
        // chain, in string comparisons.) Features without both go the long
        // way: the window's first value of a feature, or one without a spec.
        let mut spec_walk = specs.iter().peekable();
        let mut sketch_walk = self.features.iter_mut().peekable();
        let mut unsketched = Vec::new();
        for (name, value) in &event.features {
            let spec = walk_to(&mut spec_walk, name);
            match (walk_to(&mut sketch_walk, name), spec) {
                (Some(sketch), Some(spec)) => sketch_value(sketch, spec, value.as_ref()),
                _ => unsketched.push((name, value.as_ref())),
            }
        }
        for (name, value) in unsketched {
            if !self.add_feature(name, value, specs, limits) {
                capped.features += 1;
            }
        }
    }

    /// Compacts the t-digests of a partial that is done (see
    /// [`TDigest::compact`]).
    pub fn compact(&mut self) {
        self.latency.compact();
        for sketch in self.features.values_mut() {
            if let FeatureSketch::Numeric(numeric) = sketch {
                numeric.digest.compact();
            }
        }
    }

    /// How many sketched features the baseline does not name.
    fn unknown_features(&self, specs: &BTreeMap<String, FeatureSpec>) -> usize {
        self.features
            .keys()
            .filter(|name| !specs.contains_key(*name))
            .count()
    }

    /// Sketches one feature value; false when the feature is unknown to the
    /// baseline, new to this window, and the window sketches as many such
    /// features as it may already.
    fn add_feature(
        &mut self,
        name: &str,
        value: Option<&FeatureValue>,
        specs: &BTreeMap<String, FeatureSpec>,
        limits: &Limits,
    ) -> bool {
        let inferred;
        let known = specs.get(name);
        let spec = match known {
            Some(spec) => spec,
            None => {
                inferred = match value {
                    Some(FeatureValue::Categorical(_)) => {
                        FeatureSpec::Categorical(Default::default())
                    }
                    _ => FeatureSpec::Numeric(NumericSpec::default()),
                };
                &inferred
            }
        };
        if known.is_none()
            && !self.features.contains_key(name)
            && self.unknown_features(specs) >= limits.max_unknown_features
        {
            return false;
        }
        let sketch = match self.features.get_mut(name) {
            Some(sketch) => sketch,
            None => self
                .features
                .entry(name.to_string())
                .or_insert_with(|| FeatureSketch::new(spec)),
        };
        sketch_value(sketch, spec, value);
        true
    }

    /// Counts one outcome that became known in this window; classes beyond
    /// `limits.max_classes` (per axis of the confusion counts) are counted
    /// as [`crate::limits::OTHER`] and in `capped`.
    pub fn add_outcome(&mut self, scored: Scored<'_>, limits: &Limits, capped: &mut Capped) {
        self.labeled += 1;
        self.correct += u64::from(scored.is_correct());
        match scored {
            Scored::Classes { predicted, actual } => {
                let (row, over_row) = capped_key(&self.confusion, predicted, limits.max_classes);
                let row = self.confusion.entry(row.to_string()).or_default();
                let (column, over_column) = capped_key(row, actual, limits.max_classes);
                *row.entry(column.to_string()).or_default() += 1;
                capped.classes += u64::from(over_row || over_column);
            }
            Scored::Numbers { predicted, actual } => {
                let error = predicted - actual;
                self.regression.count += 1;
                self.regression.sum_abs += error.abs();
                self.regression.sum_sq += error * error;
            }
            Scored::Mismatched => {}
        }
    }

    /// Counts, for CBPE, a classification labeled in this window: made in
    /// the window starting at `prediction_window`, predicting `predicted`
    /// with `confidence`.
    pub fn add_labeled_classification(
        &mut self,
        prediction_window: i64,
        (predicted, confidence): (&str, Option<f64>),
        correct: bool,
        limits: &Limits,
    ) {
        *self
            .outcomes_by_prediction_window
            .entry(prediction_window)
            .or_default() += Tally::of(correct);
        if let Some(confidence) = confidence {
            self.labeled_confidences.add(
                predicted,
                confidence,
                Tally::of(correct),
                limits.max_classes,
            );
        }
    }

    /// Accuracy of the classifications labeled in this window.
    pub fn accuracy(&self) -> Option<f64> {
        let classified = self.labeled - self.regression.count;
        (classified > 0).then(|| self.correct as f64 / classified as f64)
    }

    /// Folds `other` in. Counts add exactly; sketches merge.
    pub fn merge(&mut self, other: &MetricsPartial) {
        self.confidence.merge_or_forget_bins(&other.confidence);
        for (name, sketch) in &other.features {
            match self.features.get_mut(name) {
                Some(mine) => mine.merge(sketch),
                None => {
                    self.features.insert(name.clone(), sketch.clone());
                }
            }
        }
        self.confidences.merge(&other.confidences);
        self.labeled_confidences.merge(&other.labeled_confidences);
        for (start, tally) in &other.outcomes_by_prediction_window {
            *self
                .outcomes_by_prediction_window
                .entry(*start)
                .or_default() += *tally;
        }
        self.predictions += other.predictions;
        self.labeled += other.labeled;
        self.correct += other.correct;
        self.unlabeled += other.unlabeled;
        for (error, n) in &other.errors {
            *self.errors.entry(error.clone()).or_default() += n;
        }
        for (predicted, row) in &other.confusion {
            let mine = self.confusion.entry(predicted.clone()).or_default();
            for (actual, n) in row {
                *mine.entry(actual.clone()).or_default() += n;
            }
        }
        self.regression.count += other.regression.count;
        self.regression.sum_abs += other.regression.sum_abs;
        self.regression.sum_sq += other.regression.sum_sq;
        self.confidence_sum.merge(&other.confidence_sum);
        self.latency.merge(&other.latency);
        self.resources
            .cpu_time_ms
            .merge(&other.resources.cpu_time_ms);
        self.resources
            .gpu_memory_mb
            .merge(&other.resources.gpu_memory_mb);
        self.resources
            .gpu_utilization
            .merge(&other.resources.gpu_utilization);
    }
}

/// Advances a walk over a map sorted by name to `name`, and takes its value
/// when the map has it.
fn walk_to<'a, V>(
    walk: &mut std::iter::Peekable<impl Iterator<Item = (&'a String, V)>>,
    name: &str,
) -> Option<V> {
    while let Some((key, _)) = walk.peek() {
        match key.as_str().cmp(name) {
            std::cmp::Ordering::Less => {
                walk.next();
            }
            std::cmp::Ordering::Equal => return walk.next().map(|(_, value)| value),
            std::cmp::Ordering::Greater => return None,
        }
    }
    None
}

/// Adds one value to its feature's sketch.
fn sketch_value(sketch: &mut FeatureSketch, spec: &FeatureSpec, value: Option<&FeatureValue>) {
    match (sketch, spec) {
        (FeatureSketch::Numeric(s), FeatureSpec::Numeric(spec)) => {
            // A string where a number belongs counts as missing.
            let number = match value {
                Some(FeatureValue::Numeric(x)) => Some(*x),
                _ => None,
            };
            s.add(number, spec);
        }
        (FeatureSketch::Categorical(s), FeatureSpec::Categorical(spec)) => match value {
            Some(FeatureValue::Categorical(label)) => s.add(Some(label), spec),
            // A number where a label belongs is taken as its text.
            Some(FeatureValue::Numeric(x)) => s.add(Some(&x.to_string()), spec),
            None => s.add(None, spec),
        },
        // The spec changed kind since the sketch was made (a new
        // baseline): the sketch keeps its kind, the value is missing.
        (FeatureSketch::Numeric(s), _) => s.missing += 1,
        (FeatureSketch::Categorical(s), _) => s.missing += 1,
    }
}
