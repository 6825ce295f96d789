//! Distances and tests between two binned distributions (reference shares
//! against current counts on the same bins), with the conventions of the
//! tools users compare us to.

use crate::stats::pvalues::{chi2_sf, normal_sf};

/// Population stability index, `sum (p - q) ln(p / q)` over the bins, as
/// Evidently computes it: on each side, empty bins get that side's smallest
/// non-empty share divided by a million when it is at most 0.0001, else
/// 0.0001 (no renormalising).
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    let (p, q) = (fill_empty_bins(reference), fill_empty_bins(current));
    p.iter()
        .zip(&q)
        .map(|(&p, &q)| (p - q) * (p / q).ln())
        .sum()
}

fn fill_empty_bins(shares: &[f64]) -> Vec<f64> {
    let smallest = shares
        .iter()
        .copied()
        .filter(|s| *s > 0.0)
        .fold(f64::INFINITY, f64::min);
    let fill = if smallest <= 0.0001 {
        smallest / 1e6
    } else {
        0.0001
    };
    shares
        .iter()
        .map(|&s| if s > 0.0 { s } else { fill })
        .collect()
}

/// Jensen-Shannon distance with natural logarithms, as
/// `scipy.spatial.distance.jensenshannon(p, q)`: both sides normalised to sum
/// to one, `sqrt((KL(p, m) + KL(q, m)) / 2)` with `m` their average. In [0, sqrt(ln 2)].
pub fn jensen_shannon(reference: &[f64], current: &[f64]) -> f64 {
    let (sp, sq): (f64, f64) = (reference.iter().sum(), current.iter().sum());
    if sp <= 0.0 || sq <= 0.0 {
        return 0.0;
    }
    let kl_to_mean = |a: f64, m: f64| if a > 0.0 { a * (a / m).ln() } else { 0.0 };
    let divergence: f64 = reference
        .iter()
        .zip(current)
        .map(|(&p, &q)| {
            let (p, q) = (p / sp, q / sq);
            let m = (p + q) / 2.0;
            kl_to_mean(p, m) + kl_to_mean(q, m)
        })
        .sum();
    (divergence / 2.0).max(0.0).sqrt()
}

/// Pearson's chi-square of current counts against the reference shares, as
/// Evidently calls `scipy.stats.chisquare(observed, expected)`: expected is
/// the reference share times the current total, with no smoothing. Bins
/// empty on both sides are left out (Evidently only has categories seen on
/// one side), so the degrees of freedom are the occupied bins minus one. A
/// bin the reference never had but the current has makes the statistic
/// infinite and the p-value 0. Returns the statistic and the p-value; fewer
/// than two occupied bins carry no evidence (statistic 0, p-value 1).
pub fn chi_square(reference: &[f64], current_counts: &[f64]) -> (f64, f64) {
    let total: f64 = current_counts.iter().sum();
    let norm: f64 = reference.iter().sum();
    let occupied: Vec<(f64, f64)> = reference
        .iter()
        .zip(current_counts)
        .filter(|(p, o)| **p > 0.0 || **o > 0.0)
        .map(|(p, o)| (p / norm * total, *o))
        .collect();
    if occupied.len() < 2 || total <= 0.0 || norm <= 0.0 {
        return (0.0, 1.0);
    }
    if occupied.iter().any(|(e, _)| *e <= 0.0) {
        return (f64::INFINITY, 0.0);
    }
    let statistic: f64 = occupied.iter().map(|(e, o)| (o - e) * (o - e) / e).sum();
    (statistic, chi2_sf(statistic, (occupied.len() - 1) as f64))
}

/// Two-proportion z-test (pooled), two-sided p-value: does the share of one
/// value differ between reference (`x1` of `n1`) and current (`x2` of `n2`)?
pub fn two_proportion_z_test(x1: f64, n1: f64, x2: f64, n2: f64) -> f64 {
    if n1 <= 0.0 || n2 <= 0.0 {
        return 1.0;
    }
    let pooled = (x1 + x2) / (n1 + n2);
    let variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if variance <= 0.0 {
        return 1.0;
    }
    let z = (x1 / n1 - x2 / n2) / variance.sqrt();
    (2.0 * normal_sf(z.abs())).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_are_at_distance_zero() {
        let p = [0.2, 0.3, 0.5];
        assert_eq!(psi(&p, &p), 0.0);
        assert!(jensen_shannon(&p, &p).abs() < 1e-12);
        let (statistic, p_value) = chi_square(&p, &[20.0, 30.0, 50.0]);
        assert!(statistic.abs() < 1e-12 && (p_value - 1.0).abs() < 1e-12);
        // A bin empty on both sides adds no degree of freedom.
        let padded = chi_square(&[0.2, 0.3, 0.5, 0.0], &[25.0, 30.0, 45.0, 0.0]);
        assert_eq!(padded, chi_square(&p, &[25.0, 30.0, 45.0]));
        assert!((two_proportion_z_test(30.0, 100.0, 60.0, 200.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_category_the_reference_never_had_is_certain_drift() {
        assert_eq!(
            chi_square(&[0.5, 0.5, 0.0], &[10.0, 10.0, 1.0]),
            (f64::INFINITY, 0.0)
        );
    }

    #[test]
    fn psi_fills_empty_bins_per_side_as_evidently_does() {
        // Current's smallest share 0.5 > 0.0001: its empty bin counts 0.0001.
        let expected = (0.5f64 - 1.0) * 0.5f64.ln() + (0.5f64 - 0.0001) * (0.5f64 / 0.0001).ln();
        assert!((psi(&[0.5, 0.5], &[1.0, 0.0]) - expected).abs() < 1e-12);
    }

    #[test]
    fn disjoint_distributions_reach_the_maximum_js_distance() {
        let d = jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]);
        assert!((d - 2f64.ln().sqrt()).abs() < 1e-12, "{d}");
    }
}
