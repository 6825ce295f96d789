//! Confidences counted per predicted class in 1,000 bins: the form in
//! which windows carry what CBPE needs. Counts merge across partitions
//! exactly, like the other sketches, and stay small whatever the traffic:
//! in memory a class is 1,000 tallies (counting one is an index), on the
//! wire only its non-empty bins; classes beyond the limits' `max_classes`
//! count as one.
//!
//! Two tallies use the same bins: a window's predictions
//! ([`ConfidenceCounts`], what the estimate is computed from) and its
//! joined outcomes ([`LabeledCounts`], how often each confidence was
//! right: what a calibration is refreshed from).

use std::collections::BTreeMap;
use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use super::calibration::Labeled;
use crate::limits::capped_key;

/// Bins of the confidence in [0, 1]: a bin's centre is within 0.0005 of
/// any confidence in it, far below the estimate's own uncertainty.
pub const BINS: u16 = 1000;

/// Something counted per (class, bin).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(bound = "T: Copy + Default + PartialEq + Serialize + serde::de::DeserializeOwned")]
pub struct Binned<T: Copy + Default + PartialEq> {
    /// Predicted class -> tally per bin.
    classes: BTreeMap<String, Bins<T>>,
}

/// The tallies of one class: dense in memory (counting is an index, the
/// stage-1 chain's hot path), the non-empty bins only on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Vec<(u16, T)>", from = "Vec<(u16, T)>")]
#[serde(bound = "T: Copy + Default + PartialEq + Serialize + serde::de::DeserializeOwned")]
struct Bins<T: Copy + Default + PartialEq>(Vec<T>);

impl<T: Copy + Default + PartialEq> Default for Bins<T> {
    fn default() -> Self {
        Bins(vec![T::default(); usize::from(BINS)])
    }
}

impl<T: Copy + Default + PartialEq> From<Bins<T>> for Vec<(u16, T)> {
    fn from(bins: Bins<T>) -> Self {
        bins.non_empty().collect()
    }
}

impl<T: Copy + Default + PartialEq> From<Vec<(u16, T)>> for Bins<T> {
    fn from(sparse: Vec<(u16, T)>) -> Self {
        let mut bins = Bins::default();
        for (bin, tally) in sparse.into_iter().filter(|(bin, _)| *bin < BINS) {
            bins.0[usize::from(bin)] = tally;
        }
        bins
    }
}

impl<T: Copy + Default + PartialEq> Bins<T> {
    fn non_empty(&self) -> impl Iterator<Item = (u16, T)> + '_ {
        let empty = T::default();
        self.0
            .iter()
            .enumerate()
            .filter(move |(_, tally)| **tally != empty)
            .map(|(bin, tally)| (bin as u16, *tally))
    }
}

/// Predictions per (predicted class, confidence bin).
pub type ConfidenceCounts = Binned<u64>;

/// Joined outcomes per (predicted class, confidence bin).
pub type LabeledCounts = Binned<Tally>;

/// Outcomes of predictions: how many, and how many were right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Labeled predictions.
    pub labeled: u64,
    /// Of those, right.
    pub correct: u64,
}

impl Tally {
    /// One outcome.
    pub fn of(correct: bool) -> Self {
        Tally {
            labeled: 1,
            correct: u64::from(correct),
        }
    }

    /// correct / labeled.
    pub fn accuracy(&self) -> Option<f64> {
        (self.labeled > 0).then(|| self.correct as f64 / self.labeled as f64)
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.labeled += other.labeled;
        self.correct += other.correct;
    }
}

/// The bin of a confidence; `None` when it is not a probability.
fn bin_of(confidence: f64) -> Option<u16> {
    (0.0..=1.0)
        .contains(&confidence)
        .then(|| ((confidence * f64::from(BINS)) as u16).min(BINS - 1))
}

/// The confidence a bin stands for.
fn centre(bin: u16) -> f64 {
    (f64::from(bin) + 0.5) / f64::from(BINS)
}

impl<T: AddAssign + Default + Copy + PartialEq> Binned<T> {
    /// Adds `tally` at (`class`, `confidence`); ignored when the
    /// confidence is not a probability. A class beyond the first
    /// `max_classes` counts as [`crate::limits::OTHER`]; returns whether it did.
    pub fn add(&mut self, class: &str, confidence: f64, tally: T, max_classes: usize) -> bool {
        let Some(bin) = bin_of(confidence) else {
            return false;
        };
        let (bins, capped) = match self.classes.get_mut(class) {
            Some(bins) => (bins, false),
            None => {
                let (key, capped) = capped_key(&self.classes, class, max_classes);
                (self.classes.entry(key.to_string()).or_default(), capped)
            }
        };
        bins.0[usize::from(bin)] += tally;
        capped
    }

    /// Folds `other` in (another partition's, or another window's).
    pub fn merge(&mut self, other: &Binned<T>) {
        for (class, bins) in &other.classes {
            let mine = self.classes.entry(class.clone()).or_default();
            for (bin, tally) in bins.non_empty() {
                mine.0[usize::from(bin)] += tally;
            }
        }
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// (class, bin centre, tally) for every non-empty bin.
    pub fn bins(&self) -> impl Iterator<Item = (&str, f64, T)> {
        self.classes.iter().flat_map(|(class, bins)| {
            bins.non_empty()
                .map(move |(bin, tally)| (class.as_str(), centre(bin), tally))
        })
    }
}

impl ConfidenceCounts {
    /// Predictions counted.
    pub fn total(&self) -> u64 {
        self.classes.values().flat_map(|b| b.0.iter()).sum()
    }
}

impl LabeledCounts {
    /// Outcomes counted.
    pub fn total(&self) -> Tally {
        let mut total = Tally::default();
        for tally in self.classes.values().flat_map(|b| b.0.iter()) {
            total += *tally;
        }
        total
    }

    /// The outcomes one by one at their bin's centre, as a calibration is
    /// fitted from them.
    pub fn to_labeled(&self) -> Vec<Labeled> {
        let mut labeled = Vec::with_capacity(self.total().labeled as usize);
        for (class, confidence, tally) in self.bins() {
            for i in 0..tally.labeled {
                labeled.push(Labeled {
                    predicted: class.to_string(),
                    confidence,
                    correct: i < tally.correct,
                });
            }
        }
        labeled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merge_as_if_counted_together() {
        let mut parts = [ConfidenceCounts::default(), ConfidenceCounts::default()];
        let mut both = ConfidenceCounts::default();
        for i in 0..1000 {
            let (class, confidence) = (["x", "y"][i % 2], (i % 97) as f64 / 96.0);
            parts[usize::from(i % 3 == 0)].add(class, confidence, 1, 10);
            both.add(class, confidence, 1, 10);
        }
        let [mut a, b] = parts;
        a.merge(&b);
        assert_eq!(a, both);
        assert_eq!(both.total(), 1000);
    }

    #[test]
    fn what_is_not_a_probability_is_not_counted() {
        let mut counts = ConfidenceCounts::default();
        for confidence in [-0.1, 1.5, f64::NAN] {
            counts.add("x", confidence, 1, 10);
        }
        assert!(counts.is_empty());
        counts.add("x", 1.0, 1, 10);
        assert_eq!(counts.bins().next(), Some(("x", 0.9995, 1)));
    }

    #[test]
    fn outcomes_unfold_into_labeled_predictions() {
        let mut labeled = LabeledCounts::default();
        for correct in [true, true, false] {
            labeled.add("yes", 0.8, Tally::of(correct), 10);
        }
        let total = labeled.total();
        assert_eq!((total.labeled, total.correct), (3, 2));
        let unfolded = labeled.to_labeled();
        assert_eq!(unfolded.len(), 3);
        assert_eq!(unfolded.iter().filter(|l| l.correct).count(), 2);
        assert!(unfolded
            .iter()
            .all(|l| (l.confidence - 0.8005).abs() < 1e-12));
    }
}
