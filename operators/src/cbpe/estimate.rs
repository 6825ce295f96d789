//! The accuracy a window should have, from its predictions' confidences
//! alone (CBPE): each prediction is right with its calibrated probability,
//! so the expected accuracy is their mean, and for a binary classifier the
//! expected confusion matrix gives precision, recall and F1.
//!
//! A window keeps counts of confidences per predicted class
//! ([`ConfidenceCounts`]), so the calibration is applied when the window
//! is evaluated and a newer calibration needs no replay.

use serde::{Deserialize, Serialize};

use super::calibration::Calibration;
use super::counts::ConfidenceCounts;

/// Half-width of the band in standard deviations (NannyML's 3).
pub const BAND_SIGMAS: f64 = 3.0;

/// What CBPE estimates for one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Predictions the estimate is over.
    pub predictions: u64,
    /// Expected accuracy.
    pub accuracy: f64,
    /// `accuracy` less `BAND_SIGMAS` standard deviations of the realised
    /// accuracy (a sum of independent Bernoulli outcomes), at least 0.
    pub accuracy_lower: f64,
    /// `accuracy` plus the same, at most 1.
    pub accuracy_upper: f64,
    /// Binary classifiers only (a positive class named): expected
    /// precision, recall and F1 of the positive class.
    pub binary: Option<BinaryEstimate>,
}

/// Expected precision, recall and F1 of the positive class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BinaryEstimate {
    /// `E[TP] / (E[TP] + E[FP])`.
    pub precision: f64,
    /// `E[TP] / (E[TP] + E[FN])`.
    pub recall: f64,
    /// `2 E[TP] / (2 E[TP] + E[FP] + E[FN])`.
    pub f1: f64,
}

/// The estimate for a window's counts under `calibration`; `positive`
/// names the positive class of a binary classifier. `None` for a window
/// without predictions that carry a confidence.
pub fn estimate(
    counts: &ConfidenceCounts,
    calibration: &Calibration,
    positive: Option<&str>,
) -> Option<Estimate> {
    let (mut n, mut correct, mut variance) = (0.0, 0.0, 0.0);
    // Expected counts of the positive class's confusion matrix.
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (class, centre, count) in counts.bins() {
        let count = count as f64;
        let p = calibration.probability_correct(class, centre);
        n += count;
        correct += count * p;
        variance += count * p * (1.0 - p);
        if Some(class) == positive {
            tp += count * p;
            fp += count * (1.0 - p);
        } else {
            // Predicted negative and wrong: the label is the positive class
            // (exactly so for a binary classifier).
            fn_ += count * (1.0 - p);
        }
    }
    if n == 0.0 {
        return None;
    }
    let accuracy = correct / n;
    let half_band = BAND_SIGMAS * variance.sqrt() / n;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Some(Estimate {
        predictions: n as u64,
        accuracy,
        accuracy_lower: (accuracy - half_band).max(0.0),
        accuracy_upper: (accuracy + half_band).min(1.0),
        binary: positive.map(|_| BinaryEstimate {
            precision: ratio(tp, tp + fp),
            recall: ratio(tp, tp + fn_),
            f1: ratio(2.0 * tp, 2.0 * tp + fp + fn_),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_is_the_mean_probability_of_being_right() {
        let mut counts = ConfidenceCounts::default();
        for _ in 0..300 {
            counts.add("yes", 0.9, 1, 10);
        }
        for _ in 0..100 {
            counts.add("no", 0.7, 1, 10);
        }
        let e = estimate(&counts, &Calibration::default(), Some("yes")).unwrap();
        // Bin centres: 0.9005 and 0.7005.
        let expected = (300.0 * 0.9005 + 100.0 * 0.7005) / 400.0;
        assert!((e.accuracy - expected).abs() < 1e-12, "{e:?}");
        let sd = (300.0 * 0.9005 * 0.0995 + 100.0 * 0.7005 * 0.2995f64).sqrt() / 400.0;
        assert!((e.accuracy_upper - e.accuracy - 3.0 * sd).abs() < 1e-12);
        let binary = e.binary.unwrap();
        let (tp, fp, fn_) = (300.0 * 0.9005, 300.0 * 0.0995, 100.0 * 0.2995);
        assert!((binary.precision - tp / (tp + fp)).abs() < 1e-12);
        assert!((binary.recall - tp / (tp + fn_)).abs() < 1e-12);
        assert!((binary.f1 - 2.0 * tp / (2.0 * tp + fp + fn_)).abs() < 1e-12);
        assert!(estimate(&ConfidenceCounts::default(), &Calibration::default(), None).is_none());
    }
}
