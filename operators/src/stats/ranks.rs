//! What a numeric baseline keeps of its training column, so that KS and
//! Wasserstein against it are as good as against the column itself.
//!
//! Up to [`EXACT_UP_TO`] rows it keeps the whole sorted column: then the
//! statistics are the exact ones. Beyond, it keeps the values at chosen
//! ranks: every value of each tail ([`TAIL`] at each end: on heavy-tailed
//! data the extremes carry much of the Wasserstein distance) and
//! [`MIDDLE`] evenly spaced ranks between them. Between two kept values the
//! CDF rises linearly (`PiecewiseCdf::from_ranks`), so the CDF is never off
//! by more than the share of rows between two kept ranks (under 1/10,000 of
//! the rows): the KS statistic moves by at most that. The Wasserstein
//! distance moves by at most the middle's range over [`MIDDLE`]; tested
//! against scipy on lognormal, Student-t(2), Pareto and bimodal data
//! (operators/tests/sketch_accuracy.rs).

/// Rows up to which a profile keeps the whole column (`mlobs baseline build
/// --exact-up-to` changes it).
pub const EXACT_UP_TO: usize = 100_000;
/// Values kept exactly at each end of a larger column.
pub const TAIL: usize = 1_000;
/// Evenly spaced ranks kept between the tails.
pub const MIDDLE: usize = 10_000;

/// The ranks (0-based, ascending) kept of a sorted column of `rows` values,
/// or `None` when it is kept whole (`rows <= exact_up_to`).
pub fn kept_ranks(rows: usize, exact_up_to: usize) -> Option<Vec<u64>> {
    if rows <= exact_up_to.max(2 * TAIL + MIDDLE) {
        return None;
    }
    let (low, high) = (TAIL, rows - TAIL);
    let step = (high - 1 - low) as f64 / (MIDDLE + 1) as f64;
    let middle = (1..=MIDDLE).map(|i| (low as f64 + i as f64 * step).round() as usize);
    Some(
        (0..low)
            .chain(middle)
            .chain(high..rows)
            .map(|rank| rank as u64)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::cdf::{ks_statistic, PiecewiseCdf};

    #[test]
    fn small_columns_are_kept_whole_and_large_ones_at_both_tails() {
        assert_eq!(kept_ranks(50_000, EXACT_UP_TO), None);
        let ranks = kept_ranks(1_000_000, EXACT_UP_TO).unwrap();
        assert_eq!(ranks.len(), 2 * TAIL + MIDDLE);
        assert!(
            ranks.windows(2).all(|w| w[0] < w[1]),
            "ascending, no repeat"
        );
        assert_eq!((ranks[0], ranks[TAIL - 1]), (0, TAIL as u64 - 1));
        assert_eq!(*ranks.last().unwrap(), 999_999);
        assert_eq!(kept_ranks(50_000, 10_000).unwrap().len(), 2 * TAIL + MIDDLE);
    }

    #[test]
    fn the_cdf_from_kept_ranks_is_within_one_gap_of_the_column() {
        let sorted: Vec<f64> = (0..300_000u64).map(|i| ((i * i) % 7919) as f64).collect();
        let mut sorted = sorted;
        sorted.sort_unstable_by(f64::total_cmp);
        let ranks = kept_ranks(sorted.len(), 0).unwrap();
        let sketch = PiecewiseCdf::from_ranks(
            ranks.iter().map(|&r| (r, sorted[r as usize])),
            sorted.len() as u64,
        );
        let exact = PiecewiseCdf::from_sorted(&sorted);
        let gap = (sorted.len() - 2 * TAIL) as f64 / MIDDLE as f64 / sorted.len() as f64;
        let ks = ks_statistic(&sketch, &exact);
        assert!(ks <= gap + 1e-12, "KS {ks} above one gap {gap}");
    }
}
