//! Drift between two samples that are both at hand (`mlobs drift
//! --reference`), decided as Evidently 0.7.23's `DataDriftPreset` decides
//! it, so that "as Evidently does" is a fact the conformance test checks
//! against Evidently itself (operators/tests/evidently_conformance.rs).
//!
//! Evidently's rules, all applied here:
//! - missing values are dropped first; the 1000-row rule counts the
//!   reference rows that remain;
//! - distinct values are counted on reference and current together;
//! - chi-square and the z-test run over the values seen on either side, with
//!   no "other" bucket: (values - 1) degrees of freedom;
//! - the KS p-value is scipy's default (exact up to 10,000 values a side);
//! - normalised Wasserstein divides by max(reference std, 0.001);
//! - PSI and Jensen-Shannon bin a numeric feature with more than 20
//!   reference values on Sturges' bins of both samples together, and
//!   anything else by its values.
//!
//! Streaming mode (a baseline profile against window sketches, in
//! numeric.rs and categorical.rs) keeps the baseline's bins instead.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;

use super::distances::{chi_square, jensen_shannon, psi, two_proportion_z_test};
use super::{choose_method, decide, Choice, FeatureDrift, Kind, Method, MethodError, Statistics};
use crate::baseline::{sorted_finite, ColumnData};
use crate::stats::ks_exact::ks_2samp_pvalue;
use crate::stats::moments::{Moments, Summary};

/// Below this, a normalised Wasserstein distance divides by this instead
/// of the reference's standard deviation (Evidently's floor).
const MIN_STD: f64 = 0.001;
/// Evidently bins a numeric feature on Sturges' edges above this many
/// distinct reference values, and by value at or below.
const MAX_VALUES_BINNED_BY_VALUE: usize = 20;

/// A distinct value and how often it occurs.
type Run = (f64, u64);

/// One column, reduced to what the tests need: distinct values and counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// Finite numbers: (value, count) ascending.
    Numeric {
        /// Distinct values with their counts, ascending.
        values: Vec<Run>,
        /// Count, missing and moments.
        summary: Summary,
    },
    /// Labels: count per label.
    Categorical {
        /// Count per label.
        counts: BTreeMap<String, u64>,
        /// Count and missing.
        summary: Summary,
    },
}

impl Sample {
    /// Reduces a column (consumed: a million numbers are sorted in place).
    /// Non-finite numbers count as missing.
    pub fn from_column(data: ColumnData) -> Self {
        match data {
            ColumnData::Numeric(values) => {
                let rows = values.len();
                let sorted = sorted_finite(values);
                let moments = Moments::of_slice(&sorted);
                let mut runs: Vec<Run> = Vec::new();
                for &x in &sorted {
                    match runs.last_mut() {
                        Some((v, n)) if *v == x => *n += 1,
                        _ => runs.push((x, 1)),
                    }
                }
                Sample::Numeric {
                    values: runs,
                    summary: Summary::numeric(&moments, (rows - sorted.len()) as u64),
                }
            }
            ColumnData::Categorical(values) => {
                let (counts, missing) = values.counts();
                let counts: BTreeMap<String, u64> = counts
                    .into_iter()
                    .map(|(v, n)| (v.to_string(), n))
                    .collect();
                let summary = Summary {
                    count: counts.values().sum::<u64>(),
                    missing,
                    ..Summary::default()
                };
                Sample::Categorical { counts, summary }
            }
        }
    }

    /// Numeric or categorical.
    pub fn kind(&self) -> Kind {
        match self {
            Sample::Numeric { .. } => Kind::Numeric,
            Sample::Categorical { .. } => Kind::Categorical,
        }
    }

    fn summary(&self) -> Summary {
        match self {
            Sample::Numeric { summary, .. } | Sample::Categorical { summary, .. } => *summary,
        }
    }
}

/// Tests one feature, reference against current, both of the same kind
/// (the caller checks). Fails only when a forced method cannot apply.
pub fn sample_drift(
    name: &str,
    reference: &Sample,
    current: &Sample,
    choice: Choice,
) -> Result<FeatureDrift, MethodError> {
    let numbers = match (reference, current) {
        (Sample::Numeric { values: r, .. }, Sample::Numeric { values: c, .. }) => {
            Some((&r[..], &c[..]))
        }
        _ => None,
    };
    // Numbers with many reference values get PSI and Jensen-Shannon on
    // Sturges' bins; the statistics per value (over a million values) would
    // be thrown away, so only a forced chi-square computes them.
    let rebinned = numbers.is_some_and(|(r, _)| r.len() > MAX_VALUES_BINNED_BY_VALUE);
    let per_value = !rebinned || choice.method == Some(Method::ChiSquare);
    let counts = if per_value {
        union_counts(reference, current)
    } else {
        Vec::new()
    };
    let distances = numbers.map(|(r, c)| Distances::of(r, c));
    let distinct = match distances {
        Some(d) if !per_value => d.values,
        _ => counts.len() as u64,
    };
    let sides = (reference.summary(), current.summary());
    let kind = reference.kind();
    let method = choose_method(name, kind, choice.method, sides.0.count, distinct)?;
    let statistics = if sides.0.count == 0 || sides.1.count == 0 {
        Statistics::default()
    } else {
        let mut statistics = if per_value {
            by_value(&counts, kind, method, (sides.0.count, sides.1.count))
        } else {
            Statistics::default()
        };
        if let (Some(runs), Some(distances)) = (numbers, distances) {
            add_numeric(&mut statistics, runs, distances, sides.0.std.unwrap_or(0.0));
        }
        statistics
    };
    Ok(decide(name, kind, method, choice, statistics, sides))
}

/// Count in the reference and in the current data of every value seen on
/// either side, in ascending value order (Python's `sorted` order: the
/// z-test's first value).
fn union_counts(reference: &Sample, current: &Sample) -> Vec<(f64, f64)> {
    match (reference, current) {
        (Sample::Numeric { values: r, .. }, Sample::Numeric { values: c, .. }) => {
            merge_sorted(r.iter().copied(), c.iter().copied())
        }
        (Sample::Categorical { counts: r, .. }, Sample::Categorical { counts: c, .. }) => {
            merge_sorted(
                r.iter().map(|(k, n)| (k, *n)),
                c.iter().map(|(k, n)| (k, *n)),
            )
        }
        _ => Vec::new(),
    }
}

fn merge_sorted<K: PartialOrd>(
    a: impl Iterator<Item = (K, u64)>,
    b: impl Iterator<Item = (K, u64)>,
) -> Vec<(f64, f64)> {
    fn take<K>(side: &mut Peekable<impl Iterator<Item = (K, u64)>>) -> f64 {
        side.next().map_or(0.0, |(_, n)| n as f64)
    }
    let (mut a, mut b) = (a.peekable(), b.peekable());
    let mut out = Vec::new();
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => return out,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((x, _)), Some((y, _))) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        };
        out.push(match order {
            Ordering::Less => (take(&mut a), 0.0),
            Ordering::Greater => (0.0, take(&mut b)),
            Ordering::Equal => (take(&mut a), take(&mut b)),
        });
    }
}

/// The statistics on the values themselves: chi-square, the z-test, and
/// PSI and Jensen-Shannon by value (numeric ones are rebinned later when
/// they have many values).
fn by_value(counts: &[(f64, f64)], kind: Kind, method: Method, rows: (u64, u64)) -> Statistics {
    let reference: Vec<f64> = counts.iter().map(|(r, _)| r / rows.0 as f64).collect();
    let current_counts: Vec<f64> = counts.iter().map(|(_, c)| *c).collect();
    let current: Vec<f64> = current_counts.iter().map(|c| c / rows.1 as f64).collect();
    let few_values = kind == Kind::Categorical || counts.len() <= 5 || method == Method::ChiSquare;
    let chi2 = few_values.then(|| chi_square(&reference, &current_counts));
    let z_p_value = (counts.len() <= 2).then(|| {
        let first = counts.first().copied().unwrap_or_default();
        two_proportion_z_test(first.0, rows.0 as f64, first.1, rows.1 as f64)
    });
    Statistics {
        psi: Some(psi(&reference, &current)),
        jensen_shannon: Some(jensen_shannon(&reference, &current)),
        chi2_statistic: chi2.map(|c| c.0),
        chi2_p_value: chi2.map(|c| c.1),
        z_p_value,
        ..Statistics::default()
    }
}

/// KS, Wasserstein, and PSI and Jensen-Shannon on Sturges' bins when the
/// reference has more than 20 distinct values.
fn add_numeric(
    statistics: &mut Statistics,
    runs: (&[Run], &[Run]),
    distances: Distances,
    std: f64,
) {
    let Distances {
        ks, wasserstein: w, ..
    } = distances;
    statistics.ks_statistic = Some(ks);
    statistics.ks_p_value = Some(ks_2samp_pvalue(ks, total(runs.0), total(runs.1)));
    statistics.wasserstein = Some(w);
    statistics.wasserstein_normalized = Some(w / std.max(MIN_STD));
    if runs.0.len() > MAX_VALUES_BINNED_BY_VALUE {
        let (p, q) = sturges_shares(runs.0, runs.1);
        statistics.psi = Some(psi(&p, &q));
        statistics.jensen_shannon = Some(jensen_shannon(&p, &q));
    }
}

/// What one pass over the runs of two exact samples gives.
#[derive(Debug, Clone, Copy)]
struct Distances {
    /// The KS statistic: what `ks_statistic` gives on the two CDFs.
    ks: f64,
    /// The Wasserstein-1 distance: what `wasserstein` gives on them.
    wasserstein: f64,
    /// Distinct values on either side.
    values: u64,
}

impl Distances {
    /// Walks both sides' runs in value order. Between two values both CDFs
    /// are flat, so neither CDF needs building.
    fn of(reference: &[Run], current: &[Run]) -> Distances {
        let (rows_r, rows_c) = (total(reference) as f64, total(current) as f64);
        let mut walk = Distances {
            ks: 0.0,
            wasserstein: 0.0,
            values: 0,
        };
        let (mut i, mut j) = (0, 0);
        let (mut below_r, mut below_c) = (0u64, 0u64);
        let mut previous: Option<(f64, f64)> = None; // (x, difference of the CDFs at x)
        while i < reference.len() || j < current.len() {
            let r = reference.get(i).map_or(f64::INFINITY, |run| run.0);
            let c = current.get(j).map_or(f64::INFINITY, |run| run.0);
            let x = r.min(c);
            if r == x {
                below_r += reference[i].1;
                i += 1;
            }
            if c == x {
                below_c += current[j].1;
                j += 1;
            }
            let difference = below_r as f64 / rows_r - below_c as f64 / rows_c;
            walk.ks = walk.ks.max(difference.abs());
            if let Some((x0, d0)) = previous {
                walk.wasserstein += d0.abs() * (x - x0);
            }
            previous = Some((x, difference));
            walk.values += 1;
        }
        walk
    }
}

fn total(runs: &[Run]) -> u64 {
    runs.iter().map(|(_, n)| n).sum()
}

/// Each side's share per bin of `np.histogram_bin_edges(both, "sturges")`:
/// equal-width bins from the smallest to the largest value of both samples,
/// `ceil(log2(n) + 1)` of them, each closed on the left (the last on both
/// sides), as `np.histogram` counts.
fn sturges_shares(reference: &[Run], current: &[Run]) -> (Vec<f64>, Vec<f64>) {
    let n = (total(reference) + total(current)) as f64;
    let ends = |runs: &[Run]| (runs[0].0, runs[runs.len() - 1].0);
    let (low, high) = {
        let (a, b) = (ends(reference), ends(current));
        (a.0.min(b.0), a.1.max(b.1))
    };
    let width = (high - low) / (n.log2() + 1.0);
    let bins = (((high - low) / width).ceil() as usize).max(1);
    let step = (high - low) / bins as f64;
    let inner: Vec<f64> = (1..bins).map(|i| low + i as f64 * step).collect();
    let shares = |runs: &[Run]| {
        let mut counts = vec![0u64; bins];
        let mut bin = 0;
        for (value, n) in runs {
            // Runs ascend: the bin only moves right.
            while inner.get(bin).is_some_and(|edge| edge <= value) {
                bin += 1;
            }
            counts[bin] += n;
        }
        let total = total(runs) as f64;
        counts.iter().map(|c| *c as f64 / total).collect()
    };
    (shares(reference), shares(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_sample(runs: &[Run]) -> Sample {
        Sample::Numeric {
            values: runs.to_vec(),
            summary: Summary::default(),
        }
    }

    fn numbers(values: &[f64]) -> Sample {
        Sample::from_column(ColumnData::Numeric(values.to_vec()))
    }

    #[test]
    fn values_are_counted_on_both_sides_together() {
        // Five values in the reference, seven with the current: numeric, so KS.
        let reference = numbers(&[1.0, 2.0, 3.0, 4.0, 5.0, 1.0, 2.0]);
        let current = numbers(&[1.0, 6.0, 7.0, f64::NAN]);
        let drift = sample_drift("x", &reference, &current, Choice::default()).unwrap();
        assert_eq!(drift.method, Method::Ks);
        assert_eq!(drift.current.missing, 1);
    }

    #[test]
    fn chi_square_has_one_degree_of_freedom_per_value_seen_minus_one() {
        let reference = numbers(&[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
        let current = numbers(&[1.0, 2.0, 3.0, 3.0, 3.0, 3.0]);
        let drift = sample_drift("x", &reference, &current, Choice::default()).unwrap();
        assert_eq!(drift.method, Method::ChiSquare);
        // Observed 1, 1, 4 against 2, 2, 2: statistic 3 on 2 degrees of freedom.
        let p = drift.statistics.chi2_p_value.unwrap();
        assert!((p - (-1.5f64).exp()).abs() < 1e-12, "{p}");
    }

    #[test]
    fn one_pass_over_the_runs_gives_what_the_cdfs_give() {
        use crate::stats::cdf::{ks_statistic, wasserstein, PiecewiseCdf};
        let mut rng = mlobs_testkit::TestRng::new(7);
        for _ in 0..50 {
            let mut draw = |n: usize, shift: f64| -> Vec<Run> {
                let values: Vec<f64> = (0..n)
                    .map(|_| (rng.uniform() * 20.0 + shift).round())
                    .collect();
                let Sample::Numeric { values, .. } = numbers(&values) else {
                    unreachable!("numbers")
                };
                values
            };
            let (r, c) = (draw(40, 0.0), draw(25, 3.0));
            let cdf =
                |runs: &[Run]| PiecewiseCdf::from_counts(runs.iter().map(|(v, n)| (*v, *n as f64)));
            let walk = Distances::of(&r, &c);
            assert_eq!(walk.ks, ks_statistic(&cdf(&r), &cdf(&c)));
            assert!((walk.wasserstein - wasserstein(&cdf(&r), &cdf(&c))).abs() < 1e-12);
            assert_eq!(
                walk.values as usize,
                union_counts(&run_sample(&r), &run_sample(&c)).len()
            );
        }
    }

    #[test]
    fn sturges_bins_cover_both_samples_and_close_the_last_bin() {
        let runs = |values: &[f64]| values.iter().map(|v| (*v, 1)).collect::<Vec<_>>();
        // 8 values in all: ceil(log2(8) + 1) = 4 bins of width 1 over [0, 4].
        let (p, q) = sturges_shares(&runs(&[0.0, 1.0, 2.0, 4.0]), &runs(&[0.5, 1.5, 3.0, 3.5]));
        assert_eq!(p, vec![0.25, 0.25, 0.25, 0.25]);
        assert_eq!(q, vec![0.25, 0.25, 0.0, 0.5]);
    }
}
