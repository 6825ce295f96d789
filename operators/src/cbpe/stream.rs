//! CBPE in the stream. Per model version: which calibration is in use and
//! how recent labels refresh it. Per series: every window's estimate,
//! checked against the realized accuracy of its predictions as their labels
//! arrive, windows later.
//!
//! The refresh only learns from labeled windows that agree with the
//! calibration in use (their outcomes within the band the calibration
//! predicts). Labels that disagree are the very signal CBPE cannot give by
//! itself, that P(label | features) changed; learning them would hide it.
//!
//! Pure: stage 2 feeds it each window's merged metrics and the version's
//! validation outcomes, and publishes what it returns. It lives in memory:
//! a restarted stage 2 starts again from the validation outcomes, and
//! checks only the windows it estimated itself.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::calibration::Calibration;
use super::counts::{LabeledCounts, Tally};
use super::estimate::{estimate, Estimate, BAND_SIGMAS};
use super::validation::Validation;
use crate::metrics::MetricsPartial;

/// Labeled outcomes before a calibration is learned from windows alone.
pub const REFRESH_MIN_OUTCOMES: u64 = 1_000;
/// Outcomes the refresh keeps (the oldest windows go first).
pub const REFRESH_MAX_OUTCOMES: u64 = 20_000;
/// A window's estimate is checked once this many of its predictions, and
/// at least half of them, are labeled.
pub const CHECK_MIN_LABELED: u64 = 100;
/// Windows per series whose estimate waits for labels.
pub const TRACKED_WINDOWS: usize = 1_000;

/// What the calibration in use was learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The version's validation outcomes, registered with its baseline.
    Validation,
    /// Recent labeled windows.
    LabeledWindows,
    /// Nothing yet: the raw confidences.
    None,
}

impl Source {
    /// As published (`calibration_source`).
    pub fn name(self) -> &'static str {
        match self {
            Source::Validation => "validation",
            Source::LabeledWindows => "labeled_windows",
            Source::None => "none",
        }
    }
}

/// A window's estimate, as published with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowEstimate {
    /// `None` without classifications that report a confidence.
    pub estimate: Option<Estimate>,
    /// Where the calibration came from.
    pub source: Source,
    /// Held-out ECE of the probabilities used (`None` before any
    /// calibration).
    pub ece: Option<f64>,
}

/// An estimate checked against the labels of its window so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// The prediction window.
    pub window_start: i64,
    /// The estimated accuracy.
    pub estimated: f64,
    /// Realized accuracy of the labeled predictions.
    pub realized: f64,
    /// Predictions labeled so far.
    pub labeled: u64,
    /// Half-width of the band for this many labeled predictions.
    pub half_band: f64,
}

impl Check {
    /// Realized less estimated.
    pub fn error(&self) -> f64 {
        self.realized - self.estimated
    }

    /// The labels disagree with the estimate beyond its band.
    pub fn out_of_band(&self) -> bool {
        self.error().abs() > self.half_band
    }
}

/// The calibration of one model version.
struct VersionCalibration {
    /// The validation outcomes `calibration` was seeded from.
    seeded_from: Option<Validation>,
    calibration: Calibration,
    source: Source,
    /// Labeled windows that agreed with the calibration, by start.
    recent: VecDeque<(i64, LabeledCounts)>,
}

/// A window's estimate and the outcomes of its predictions so far, by the
/// window they were labeled in (a re-emitted label window replaces its
/// share rather than adding it twice).
struct Tracked {
    estimate: Estimate,
    by_label_window: BTreeMap<i64, Tally>,
}

/// CBPE state of one stage-2 process.
#[derive(Default)]
pub struct Estimator {
    versions: HashMap<(String, String), VersionCalibration>,
    series: HashMap<(String, String, String), BTreeMap<i64, Tracked>>,
}

impl Estimator {
    /// Takes one window of `series` (model, version, environment) starting
    /// at `window_start`: refreshes the version's calibration from its
    /// labeled outcomes, estimates its predictions' accuracy, and checks the
    /// estimates of earlier windows its labels belong to. `validation` is
    /// what the version's baseline carries.
    pub fn on_window(
        &mut self,
        series: (&str, &str, &str),
        window_start: i64,
        metrics: &MetricsPartial,
        validation: Option<&Validation>,
    ) -> (WindowEstimate, Vec<Check>) {
        let (model, version, environment) = series;
        let calibration = self
            .versions
            .entry((model.to_string(), version.to_string()))
            .or_insert_with(VersionCalibration::new);
        calibration.reseed(validation);
        calibration.learn(window_start, &metrics.labeled_confidences);
        let positive = validation.and_then(|v| v.positive_class.as_deref());
        let window = WindowEstimate {
            estimate: estimate(&metrics.confidences, &calibration.calibration, positive),
            source: calibration.source,
            ece: calibration.calibration.summary().map(|r| r.ece_calibrated),
        };
        let tracked = self
            .series
            .entry((model.into(), version.into(), environment.into()))
            .or_default();
        if let Some(estimate) = window.estimate {
            match tracked.get_mut(&window_start) {
                Some(known) => known.estimate = estimate,
                None => {
                    tracked.insert(
                        window_start,
                        Tracked {
                            estimate,
                            by_label_window: BTreeMap::new(),
                        },
                    );
                }
            }
        }
        let mut checks = Vec::new();
        for (start, tally) in &metrics.outcomes_by_prediction_window {
            if let Some(known) = tracked.get_mut(start) {
                known.by_label_window.insert(window_start, *tally);
                checks.extend(known.check(*start));
            }
        }
        while tracked.len() > TRACKED_WINDOWS {
            tracked.pop_first();
        }
        (window, checks)
    }
}

impl VersionCalibration {
    fn new() -> Self {
        VersionCalibration {
            seeded_from: None,
            calibration: Calibration::default(),
            source: Source::None,
            recent: VecDeque::new(),
        }
    }

    /// Starts again from `validation` when it differs from the seed in use
    /// (a baseline registered or replaced).
    fn reseed(&mut self, validation: Option<&Validation>) {
        let Some(validation) = validation else {
            return;
        };
        if self.seeded_from.as_ref() == Some(validation) {
            return;
        }
        self.calibration = Calibration::fit_counts(&validation.outcomes);
        self.source = Source::Validation;
        self.seeded_from = Some(validation.clone());
        self.recent.clear();
    }

    /// Keeps a labeled window that agrees with the calibration in use (any
    /// window while there is none), and refits from the kept windows once
    /// they hold enough outcomes.
    fn learn(&mut self, window_start: i64, labeled: &LabeledCounts) {
        if labeled.is_empty() {
            return;
        }
        if self.source != Source::None && !agrees(&self.calibration, labeled) {
            return;
        }
        self.recent.retain(|(start, _)| *start != window_start);
        self.recent.push_back((window_start, labeled.clone()));
        let outcomes = |recent: &VecDeque<(i64, LabeledCounts)>| {
            recent.iter().map(|(_, c)| c.total().labeled).sum::<u64>()
        };
        while self.recent.len() > 1 && outcomes(&self.recent) > REFRESH_MAX_OUTCOMES {
            self.recent.pop_front();
        }
        if outcomes(&self.recent) >= REFRESH_MIN_OUTCOMES {
            let mut all = LabeledCounts::default();
            for (_, counts) in &self.recent {
                all.merge(counts);
            }
            self.calibration = Calibration::fit_counts(&all);
            self.source = Source::LabeledWindows;
        }
    }
}

/// Whether the right outcomes of `labeled` are within `BAND_SIGMAS`
/// standard deviations of what `calibration` expects of them.
fn agrees(calibration: &Calibration, labeled: &LabeledCounts) -> bool {
    let (mut expected, mut variance, mut correct) = (0.0, 0.0, 0.0);
    for (class, confidence, tally) in labeled.bins() {
        let p = calibration.probability_correct(class, confidence);
        let n = tally.labeled as f64;
        expected += n * p;
        variance += n * p * (1.0 - p);
        correct += tally.correct as f64;
    }
    (correct - expected).abs() <= BAND_SIGMAS * variance.sqrt().max(1.0)
}

impl Tracked {
    /// The check of this window's estimate, once enough is labeled.
    fn check(&self, window_start: i64) -> Option<Check> {
        let mut outcomes = Tally::default();
        for tally in self.by_label_window.values() {
            outcomes += *tally;
        }
        let predictions = self.estimate.predictions;
        if outcomes.labeled < CHECK_MIN_LABELED || 2 * outcomes.labeled < predictions {
            return None;
        }
        // The band is for the accuracy of all the window's predictions; a
        // share of them varies more, by sqrt(predictions / labeled).
        let half_band = (self.estimate.accuracy_upper - self.estimate.accuracy)
            .max(self.estimate.accuracy - self.estimate.accuracy_lower)
            * (predictions as f64 / outcomes.labeled as f64).sqrt();
        Some(Check {
            window_start,
            estimated: self.estimate.accuracy,
            realized: outcomes.accuracy()?,
            labeled: outcomes.labeled,
            half_band,
        })
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
