//! Distances and tests between two binned distributions (reference shares
//! against current counts on the same bins), with the conventions of the
//! tools users compare us to.

use crate::stats::pvalues::{chi2_sf, normal_sf};

/// Share substituted for an empty bin in PSI and chi-square (Evidently's
/// value): it keeps the logarithm and the division finite.
pub const EMPTY_BIN_SHARE: f64 = 0.0001;

/// Population stability index: sum of (q - p) ln(q / p) over the bins, with
/// empty bins of either side counted as [`EMPTY_BIN_SHARE`] (no renormalising).
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(&p, &q)| {
            let (p, q) = (p.max(EMPTY_BIN_SHARE), q.max(EMPTY_BIN_SHARE));
            (q - p) * (q / p).ln()
        })
        .sum()
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

/// Pearson's chi-square of current counts against the reference shares:
/// `sum (o - e)^2 / e` with `e = share * total`, as `scipy.stats.chisquare(o, e)`.
/// Empty reference bins get [`EMPTY_BIN_SHARE`] and the shares are
/// renormalised to sum to one (scipy requires equal totals). Returns the
/// statistic and its p-value with `bins - 1` degrees of freedom; a single bin
/// carries no evidence (statistic 0, p-value 1).
pub fn chi_square(reference: &[f64], current_counts: &[f64]) -> (f64, f64) {
    let total: f64 = current_counts.iter().sum();
    if reference.len() < 2 || total <= 0.0 {
        return (0.0, 1.0);
    }
    let smoothed: Vec<f64> = reference.iter().map(|p| p.max(EMPTY_BIN_SHARE)).collect();
    let norm: f64 = smoothed.iter().sum();
    let statistic: f64 = smoothed
        .iter()
        .zip(current_counts)
        .map(|(p, o)| {
            let e = p / norm * total;
            (o - e) * (o - e) / e
        })
        .sum();
    (statistic, chi2_sf(statistic, (reference.len() - 1) as f64))
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
        assert!((two_proportion_z_test(30.0, 100.0, 60.0, 200.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn disjoint_distributions_reach_the_maximum_js_distance() {
        let d = jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]);
        assert!((d - 2f64.ln().sqrt()).abs() < 1e-12, "{d}");
    }
}
