//! Counts on fixed bin edges: the exactly mergeable histogram behind PSI,
//! Jensen-Shannon and chi-square on numeric features, and the confidence
//! histogram.

use serde::{Deserialize, Serialize};

/// Bins `(-inf, e0], (e0, e1], ..., (e_last, +inf)` with a count each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinCounts {
    edges: Vec<f64>,
    counts: Vec<u64>,
}

/// Two histograms with different edges cannot be added.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("cannot merge histograms with different bin edges ({left} vs {right} edges)")]
pub struct EdgeMismatch {
    left: usize,
    right: usize,
}

impl BinCounts {
    /// Empty counts on `edges` (ascending, finite).
    pub fn new(edges: Vec<f64>) -> Self {
        let counts = vec![0; edges.len() + 1];
        BinCounts { edges, counts }
    }

    /// Adds one value (ignored when not finite).
    pub fn add(&mut self, value: f64) {
        if value.is_finite() {
            self.counts[bin_index(&self.edges, value)] += 1;
        }
    }

    /// Adds the counts of `other`, which must have the same edges.
    pub fn merge(&mut self, other: &BinCounts) -> Result<(), EdgeMismatch> {
        if self.edges != other.edges {
            return Err(EdgeMismatch {
                left: self.edges.len(),
                right: other.edges.len(),
            });
        }
        self.counts
            .iter_mut()
            .zip(&other.counts)
            .for_each(|(a, b)| *a += b);
        Ok(())
    }

    /// Adds `other`; when its edges differ, keeps only the total (one bin
    /// without edges), so that a reader falls back to another source for the
    /// bins instead of mixing incompatible ones.
    pub fn merge_or_forget_bins(&mut self, other: &BinCounts) {
        if self.merge(other).is_err() {
            let total = self.total() + other.total();
            *self = BinCounts {
                edges: Vec::new(),
                counts: vec![total],
            };
        }
    }

    /// The bin edges.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// Count per bin (one more than there are edges).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Total of all bins.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// Index of the bin `(e_{i-1}, e_i]` that holds `value`.
pub fn bin_index(edges: &[f64], value: f64) -> usize {
    edges.partition_point(|edge| *edge < value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_right_closed_bins_and_merge_adds() {
        let mut a = BinCounts::new(vec![0.0, 1.0]);
        for v in [-5.0, 0.0, 0.5, 1.0, 1.5, f64::NAN] {
            a.add(v);
        }
        assert_eq!(a.counts(), &[2, 2, 1]);
        let mut b = BinCounts::new(vec![0.0, 1.0]);
        b.add(2.0);
        a.merge(&b).unwrap();
        assert_eq!(a.counts(), &[2, 2, 2]);
        assert!(a.merge(&BinCounts::new(vec![0.0])).is_err());
        let mut other = BinCounts::new(vec![5.0]);
        other.add(1.0);
        a.merge_or_forget_bins(&other);
        assert_eq!(
            (a.edges(), a.counts()),
            (&[][..], &[7][..]),
            "different edges keep only the total"
        );
    }
}
