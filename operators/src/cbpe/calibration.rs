//! How often a model is right at each confidence it reports, learned from
//! labeled predictions: per predicted class, an isotonic map from the
//! confidence to the observed share of correct predictions. It is applied
//! only where it helps, as NannyML decides: the expected calibration error
//! (ECE) of held-out predictions, calibrated against raw, over folds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::counts::LabeledCounts;
use super::isotonic::Isotonic;

/// Folds of the check whether calibrating helps (NannyML: 10 splits).
const FOLDS: usize = 10;
/// Equal-count bins of the expected calibration error (NannyML: 10).
const ECE_BINS: usize = 10;

/// One labeled prediction: the class the model predicted, the confidence
/// it gave that class, and whether the label agreed.
#[derive(Debug, Clone, PartialEq)]
pub struct Labeled {
    /// The predicted class label.
    pub predicted: String,
    /// The probability the model gave the predicted class, in [0, 1].
    pub confidence: f64,
    /// The label equals the prediction.
    pub correct: bool,
}

/// The calibration of one (model, version): per predicted class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calibration {
    classes: BTreeMap<String, ClassCalibration>,
}

/// The calibration of one predicted class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassCalibration {
    /// The isotonic map, when it lowers the held-out ECE; else the raw
    /// confidence is the probability of being right.
    map: Option<Isotonic>,
    /// What the check measured, reported beside the estimates.
    pub report: CalibrationReport,
}

/// The expected calibration errors the choice was made on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// Labeled predictions of this class the map was learned from.
    pub samples: u64,
    /// ECE of the raw confidences on held-out folds.
    pub ece_raw: f64,
    /// ECE of the calibrated confidences on the same folds.
    pub ece_calibrated: f64,
    /// The map is applied (it lowered the ECE).
    pub applied: bool,
}

impl Calibration {
    /// Learns a calibration from labeled predictions.
    pub fn fit(labeled: &[Labeled]) -> Self {
        let mut by_class: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
        for sample in labeled.iter().filter(|s| s.confidence.is_finite()) {
            by_class
                .entry(sample.predicted.as_str())
                .or_default()
                .push((sample.confidence, f64::from(u8::from(sample.correct))));
        }
        let classes = by_class
            .into_iter()
            .map(|(class, points)| (class.to_string(), ClassCalibration::fit(points)))
            .collect();
        Calibration { classes }
    }

    /// The probability that a prediction of `class` at `confidence` is
    /// right: the calibrated one where a map applies, else the confidence.
    pub fn probability_correct(&self, class: &str, confidence: f64) -> f64 {
        match self.classes.get(class).and_then(|c| c.map.as_ref()) {
            Some(map) => map.predict(confidence),
            None => confidence,
        }
        .clamp(0.0, 1.0)
    }

    /// The calibration learned from binned outcomes (a baseline's
    /// validation predictions, or recent labeled windows).
    pub fn fit_counts(counts: &LabeledCounts) -> Self {
        Self::fit(&counts.to_labeled())
    }

    /// What was measured, over all classes: the ECEs weighted by each
    /// class's samples; `applied` when any class's map is. `None` without
    /// samples.
    pub fn summary(&self) -> Option<CalibrationReport> {
        let samples: u64 = self.classes.values().map(|c| c.report.samples).sum();
        if samples == 0 {
            return None;
        }
        let weighted = |f: fn(&CalibrationReport) -> f64| {
            self.classes
                .values()
                .map(|c| c.report.samples as f64 * f(&c.report))
                .sum::<f64>()
                / samples as f64
        };
        Some(CalibrationReport {
            samples,
            ece_raw: weighted(|r| r.ece_raw),
            ece_calibrated: weighted(|r| {
                if r.applied {
                    r.ece_calibrated
                } else {
                    r.ece_raw
                }
            }),
            applied: self.classes.values().any(|c| c.report.applied),
        })
    }

    /// What was measured per class.
    pub fn reports(&self) -> impl Iterator<Item = (&str, &CalibrationReport)> {
        self.classes.iter().map(|(c, k)| (c.as_str(), &k.report))
    }
}

impl ClassCalibration {
    fn fit(mut points: Vec<(f64, f64)>) -> Self {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (ece_raw, ece_calibrated) = held_out_eces(&points);
        let applied = ece_calibrated < ece_raw;
        let map = applied.then(|| Isotonic::fit(&weighted(&points))).flatten();
        ClassCalibration {
            map,
            report: CalibrationReport {
                samples: points.len() as u64,
                ece_raw,
                ece_calibrated,
                applied,
            },
        }
    }
}

fn weighted(points: &[(f64, f64)]) -> Vec<(f64, f64, f64)> {
    points.iter().map(|&(x, y)| (x, y, 1.0)).collect()
}

/// ECE of the raw and of the calibrated confidences of every point, each
/// calibrated by a map fitted without its fold. Folds take every
/// `FOLDS`-th point in confidence order, so each spans the whole range.
/// Fewer than `2 * FOLDS` points, or a single outcome: no map (the raw
/// ECE is reported twice).
fn held_out_eces(sorted: &[(f64, f64)]) -> (f64, f64) {
    let outcomes_vary = sorted.iter().any(|p| p.1 != sorted[0].1);
    if sorted.len() < 2 * FOLDS || !outcomes_vary {
        let raw = ece(sorted);
        return (raw, raw);
    }
    let mut calibrated = Vec::with_capacity(sorted.len());
    for fold in 0..FOLDS {
        let train: Vec<(f64, f64, f64)> = sorted
            .iter()
            .enumerate()
            .filter(|(i, _)| i % FOLDS != fold)
            .map(|(_, &(x, y))| (x, y, 1.0))
            .collect();
        let map = Isotonic::fit(&train).expect("the other folds hold points");
        calibrated.extend(
            sorted
                .iter()
                .skip(fold)
                .step_by(FOLDS)
                .map(|&(x, y)| (map.predict(x), y)),
        );
    }
    (ece(sorted), ece(&calibrated))
}

/// Expected calibration error over equal-count bins of the predicted
/// probability (NannyML's `_calculate_expected_calibration_error`): the
/// share-weighted gap between the mean probability and the mean outcome.
pub fn ece(points: &[(f64, f64)]) -> f64 {
    if points.is_empty() {
        return 0.0;
    }
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bins = ECE_BINS.min(sorted.len() / 2).max(1);
    let n = sorted.len();
    (0..bins)
        .map(|b| {
            let bin = &sorted[b * n / bins..(b + 1) * n / bins];
            let mean =
                |f: fn(&(f64, f64)) -> f64| bin.iter().map(f).sum::<f64>() / bin.len() as f64;
            bin.len() as f64 / n as f64 * (mean(|p| p.0) - mean(|p| p.1)).abs()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed pseudo-random number in [0, 1) per index (splitmix64).
    fn unit(i: u64) -> f64 {
        let mut z = i.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }

    #[test]
    fn an_overconfident_model_is_calibrated_down() {
        // It says 0.9 and is right 60% of the time.
        let labeled: Vec<Labeled> = (0..2000)
            .map(|i| Labeled {
                predicted: if i % 2 == 0 { "yes" } else { "no" }.into(),
                confidence: 0.9,
                correct: unit(i) < 0.6,
            })
            .collect();
        let calibration = Calibration::fit(&labeled);
        let p = calibration.probability_correct("yes", 0.9);
        assert!((p - 0.6).abs() < 0.05, "{p}");
        for (_, report) in calibration.reports() {
            assert!(
                report.applied && report.ece_raw > 0.25 && report.ece_calibrated < 0.06,
                "{report:?}"
            );
        }
        // A class never seen keeps its raw confidence.
        assert_eq!(calibration.probability_correct("maybe", 0.7), 0.7);
    }

    #[test]
    fn a_calibrated_model_is_left_alone() {
        // At each of five confidences, every half of its 1,000 predictions
        // is right exactly as often as it says: the raw ECE is 0, and no
        // map can do better.
        let labeled: Vec<Labeled> = [0.5, 0.6, 0.7, 0.8, 0.9]
            .iter()
            .flat_map(|&level: &f64| {
                (0..1000).map(move |j| Labeled {
                    predicted: "yes".into(),
                    confidence: level,
                    correct: (j % 500) < (level * 500.0).round() as usize,
                })
            })
            .collect();
        let calibration = Calibration::fit(&labeled);
        let (_, report) = calibration.reports().next().unwrap();
        assert!(!report.applied && report.ece_raw < 1e-12, "{report:?}");
        assert_eq!(calibration.probability_correct("yes", 0.8), 0.8);
    }

    #[test]
    fn ece_is_the_weighted_gap_per_bin() {
        // Two bins: probabilities 0.2 with outcomes 0, 0.8 with outcomes 1.
        let points = [(0.2, 0.0), (0.2, 0.0), (0.8, 1.0), (0.8, 1.0)];
        assert!((ece(&points) - 0.2).abs() < 1e-12);
    }
}
