//! Drift statistics of a numeric feature against a baseline profile
//! (streaming mode): Evidently's method choice and thresholds, on the
//! baseline's bins (deciles, or the distinct values when there are at most
//! ten) rather than bins drawn from both samples.

use super::distances::{chi_square, jensen_shannon, psi, two_proportion_z_test};
use super::{
    choose_method, decide, Choice, FeatureDrift, Kind, Method, MethodError, Statistics, Summary,
};
use crate::baseline::{sorted_finite, NumericProfile, MAX_EXACT_VALUES};
use crate::sketch::NumericSketch;
use crate::stats::bins::BinCounts;
use crate::stats::cdf::{ks_statistic, wasserstein, PiecewiseCdf};
use crate::stats::ks_exact::ks_2samp_pvalue;
use crate::stats::moments::Moments;
use crate::stats::pvalues::ks_two_sample_pvalue;

/// Evidently's floor under the reference std of normalised Wasserstein.
const MIN_STD: f64 = 0.001;
/// The exact KS p-value costs up to n_ref x n_cur steps: a window computes
/// it (as scipy's default does) when the reference has at most this many
/// values, where KS is the automatic method, and the asymptotic one above.
const EXACT_KS_MAX_REFERENCE: u64 = 1000;

/// The reference side: its profile and its distribution (exact when the data
/// was at hand, else as exact as the profile allows).
#[derive(Debug, Clone)]
pub struct NumericReference {
    /// Summary, bins and distinct-value count.
    pub profile: NumericProfile,
    /// The distribution, as exactly as the profile allows: what raw current
    /// data is tested against.
    pub cdf: PiecewiseCdf,
    /// The distribution at no more than 12,000 knots, for a window's sketch
    /// (whose own error is far larger): a whole column of 100,000 values
    /// made every window's KS and Wasserstein walk 100,000 knots per
    /// feature. `None` when `cdf` is already that small.
    pub sketch_cdf: Option<PiecewiseCdf>,
}

impl NumericReference {
    /// From a stored profile.
    pub fn from_profile(profile: NumericProfile) -> Self {
        let cdf = profile.cdf();
        let sketch_cdf = profile.cdf_at_ranks();
        NumericReference {
            profile,
            cdf,
            sketch_cdf,
        }
    }
}

/// The current side: distribution, counts on the reference bins, summary.
#[derive(Debug, Clone)]
pub struct NumericCurrent {
    /// The distribution.
    pub cdf: PiecewiseCdf,
    /// Counts on the reference's bin edges.
    pub bin_counts: Vec<f64>,
    /// Count, missing and moments.
    pub summary: Summary,
    /// The distinct values, ascending, when there are at most
    /// [`MAX_EXACT_VALUES`].
    pub values: Option<Vec<f64>>,
    /// From a window's sketch (not the raw values).
    pub sketched: bool,
}

impl NumericCurrent {
    /// From a window's sketch. Its exact value counts are used when it kept
    /// them; bin counts come from the sketch when it was binned on
    /// `edges`, else they are estimated from the distribution.
    pub fn from_sketch(sketch: &NumericSketch, edges: &[f64]) -> Self {
        let cdf = match &sketch.exact {
            Some(values) => PiecewiseCdf::from_counts(values.iter().map(|(v, n)| (*v, *n as f64))),
            None => PiecewiseCdf::from_digest(&sketch.digest),
        };
        let count = sketch.moments.count();
        let bin_counts = if sketch.bins.edges() == edges {
            sketch.bins.counts().iter().map(|n| *n as f64).collect()
        } else {
            estimated_bin_counts(&cdf, edges, count)
        };
        NumericCurrent {
            cdf,
            bin_counts,
            summary: Summary::numeric(&sketch.moments, sketch.missing),
            values: sketch
                .exact
                .as_ref()
                .map(|values| values.iter().map(|(v, _)| *v).collect()),
            sketched: true,
        }
    }

    /// From the raw column, exactly.
    pub fn from_values(values: Vec<f64>, edges: &[f64]) -> Self {
        let rows = values.len();
        let sorted = sorted_finite(values);
        let mut bins = BinCounts::new(edges.to_vec());
        let mut moments = Moments::default();
        for x in &sorted {
            bins.add(*x);
            moments.add(*x);
        }
        let mut distinct = sorted.clone();
        distinct.dedup();
        NumericCurrent {
            cdf: PiecewiseCdf::from_sorted(&sorted),
            bin_counts: bins.counts().iter().map(|n| *n as f64).collect(),
            summary: Summary::numeric(&moments, (rows - sorted.len()) as u64),
            values: (distinct.len() <= MAX_EXACT_VALUES).then_some(distinct),
            sketched: false,
        }
    }
}

/// Tests a numeric feature. Fails only when a forced method cannot apply.
pub fn numeric_drift(
    name: &str,
    reference: &NumericReference,
    current: &NumericCurrent,
    choice: Choice,
) -> Result<FeatureDrift, MethodError> {
    let profile = &reference.profile;
    let values = values_together(profile, current);
    let method = choose_method(
        name,
        Kind::Numeric,
        choice.method,
        profile.summary.count,
        values,
    )?;
    let sides = (reference.profile.summary, current.summary);
    let statistics = if sides.0.count == 0 || sides.1.count == 0 {
        Statistics::default()
    } else {
        statistics(reference, current, values, method == Method::ChiSquare)
    };
    Ok(decide(
        name,
        Kind::Numeric,
        method,
        choice,
        statistics,
        sides,
    ))
}

/// Distinct values of reference and current together, as Evidently counts
/// them; exact whenever it matters (at most [`MAX_EXACT_VALUES`] a side).
fn values_together(profile: &NumericProfile, current: &NumericCurrent) -> u64 {
    match (&profile.values, &current.values) {
        (Some(reference), Some(current)) => {
            let mut all: Vec<f64> = reference.iter().map(|(v, _)| *v).collect();
            all.extend(current);
            all.sort_unstable_by(f64::total_cmp);
            all.dedup();
            all.len() as u64
        }
        // One side has more distinct values than the rules ever look at.
        _ => profile.unique.max(MAX_EXACT_VALUES as u64 + 1),
    }
}

fn statistics(
    reference: &NumericReference,
    current: &NumericCurrent,
    values: u64,
    chi2_forced: bool,
) -> Statistics {
    let profile = &reference.profile;
    let (n_ref, n_cur) = (profile.summary.count, current.summary.count);
    let reference_cdf = match &reference.sketch_cdf {
        Some(coarse) if current.sketched => coarse,
        _ => &reference.cdf,
    };
    let ks = ks_statistic(reference_cdf, &current.cdf);
    // A sketch's KS statistic can be off by as much as its CDFs were
    // interpolated. The p-value is that of the smallest statistic the
    // sketches allow, so that their error never makes a drift alarm.
    let ks_error = reference_cdf.interpolation_error() + current.cdf.interpolation_error();
    let ks_for_p_value = (ks - ks_error).max(0.0);
    let w = wasserstein(reference_cdf, &current.cdf);
    let std = profile.summary.std.unwrap_or(0.0).max(MIN_STD);
    let shares = current
        .bin_counts
        .iter()
        .map(|c| c / n_cur as f64)
        .collect::<Vec<_>>();
    let chi2 = (values <= 5 || chi2_forced)
        .then(|| chi_square(&profile.bin_frequencies, &current.bin_counts));
    let z_p_value = (values <= 2).then(|| {
        let first_ref = profile.bin_frequencies.first().copied().unwrap_or(0.0) * n_ref as f64;
        let first_cur = current.bin_counts.first().copied().unwrap_or(0.0);
        two_proportion_z_test(first_ref, n_ref as f64, first_cur, n_cur as f64)
    });
    Statistics {
        ks_statistic: Some(ks),
        ks_p_value: Some(if n_ref <= EXACT_KS_MAX_REFERENCE {
            ks_2samp_pvalue(ks_for_p_value, n_ref, n_cur)
        } else {
            ks_two_sample_pvalue(ks_for_p_value, n_ref, n_cur)
        }),
        wasserstein: Some(w),
        wasserstein_normalized: Some(w / std),
        psi: Some(psi(&profile.bin_frequencies, &shares)),
        jensen_shannon: Some(jensen_shannon(&profile.bin_frequencies, &shares)),
        chi2_statistic: chi2.map(|c| c.0),
        chi2_p_value: chi2.map(|c| c.1),
        z_p_value,
    }
}

/// Counts per bin `(e_{i-1}, e_i]` read off a distribution of `count` values.
fn estimated_bin_counts(cdf: &PiecewiseCdf, edges: &[f64], count: u64) -> Vec<f64> {
    let mut at_edges: Vec<f64> = edges.iter().map(|e| cdf.at(*e)).collect();
    at_edges.push(1.0);
    let mut previous = 0.0;
    at_edges
        .into_iter()
        .map(|f| {
            let share = (f - previous).max(0.0);
            previous = f;
            share * count as f64
        })
        .collect()
}
