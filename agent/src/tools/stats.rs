//! Pure statistics the tools need, kept apart from I/O so that they are
//! unit-tested: the two-proportion z-test (comparing versions), Pearson
//! correlation (resources against latency and errors), and lift and
//! support (error slices).

/// The standard normal CDF (Abramowitz and Stegun 7.1.26 erf, error
/// below 1.5e-7: plenty for a p-value shown to people).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// The pooled two-proportion z-test of `a_hits / a_n` against
/// `b_hits / b_n`: `(z, two-sided p)`, or `None` when a side is empty or
/// the pooled proportion is 0 or 1 (no variance, nothing to test).
pub fn two_proportion_z(a_hits: u64, a_n: u64, b_hits: u64, b_n: u64) -> Option<(f64, f64)> {
    if a_n == 0 || b_n == 0 {
        return None;
    }
    let (a, b) = (a_hits as f64 / a_n as f64, b_hits as f64 / b_n as f64);
    let pooled = (a_hits + b_hits) as f64 / (a_n + b_n) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / a_n as f64 + 1.0 / b_n as f64)).sqrt();
    if se == 0.0 {
        return None;
    }
    let z = (a - b) / se;
    Some((z, 2.0 * (1.0 - normal_cdf(z.abs()))))
}

/// Pearson's correlation of paired values, `None` with fewer than 3
/// pairs or a constant side.
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 3 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// A slice's counts: rows in it and bad rows (errors or wrong
/// predictions) among them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SliceCounts {
    /// Rows in the slice.
    pub rows: u64,
    /// Bad rows in the slice.
    pub bad: u64,
}

/// Lift and support of a slice against the whole: lift is the slice's bad
/// rate over the overall bad rate (`None` when nothing is bad overall);
/// support is the slice's share of the rows.
pub fn lift_and_support(slice: SliceCounts, total: SliceCounts) -> (Option<f64>, f64) {
    let support = if total.rows == 0 {
        0.0
    } else {
        slice.rows as f64 / total.rows as f64
    };
    let overall = if total.rows == 0 {
        0.0
    } else {
        total.bad as f64 / total.rows as f64
    };
    let lift = if overall == 0.0 || slice.rows == 0 {
        None
    } else {
        Some(slice.bad as f64 / slice.rows as f64 / overall)
    };
    (lift, support)
}

/// Edges between `bins` equal-count bins of sorted `values` (the
/// quantiles, ties removed): where numeric slices are cut.
pub fn quantile_edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    let mut edges = Vec::new();
    if sorted.is_empty() || bins < 2 {
        return edges;
    }
    for i in 1..bins {
        let idx = (i * sorted.len() / bins).min(sorted.len() - 1);
        let edge = sorted[idx];
        if edges.last() != Some(&edge) && edge > sorted[0] {
            edges.push(edge);
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_cdf_matches_tables() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
    }

    #[test]
    fn two_proportions_are_tested_like_statsmodels() {
        // statsmodels proportions_ztest([950, 880], [1000, 1000]):
        // z = 5.6126, p = 2.0e-8.
        let (z, p) = two_proportion_z(950, 1000, 880, 1000).unwrap();
        assert!((z - 5.6126).abs() < 1e-3, "{z}");
        assert!(p < 1e-7 && p > 0.0, "{p}");
        let (z, p) = two_proportion_z(50, 100, 50, 100).unwrap();
        assert!(z.abs() < 1e-12 && (p - 1.0).abs() < 1e-6);
        assert!(two_proportion_z(0, 0, 5, 10).is_none());
        assert!(two_proportion_z(10, 10, 10, 10).is_none());
    }

    #[test]
    fn pearson_sees_sign_and_needs_variance() {
        let up: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        assert!((pearson(&up).unwrap() - 1.0).abs() < 1e-12);
        let down: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, -(i as f64))).collect();
        assert!((pearson(&down).unwrap() + 1.0).abs() < 1e-12);
        assert!(pearson(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]).is_none());
        assert!(pearson(&[(1.0, 1.0), (2.0, 2.0)]).is_none());
    }

    #[test]
    fn lift_is_the_slice_rate_over_the_overall_rate() {
        let total = SliceCounts {
            rows: 1000,
            bad: 100,
        };
        let (lift, support) = lift_and_support(SliceCounts { rows: 200, bad: 80 }, total);
        assert!((lift.unwrap() - 4.0).abs() < 1e-12);
        assert!((support - 0.2).abs() < 1e-12);
        let (lift, _) = lift_and_support(
            SliceCounts { rows: 5, bad: 0 },
            SliceCounts { rows: 10, bad: 0 },
        );
        assert!(lift.is_none());
    }

    #[test]
    fn quantile_edges_split_evenly_without_ties() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(quantile_edges(&values, 4), vec![25.0, 50.0, 75.0]);
        assert_eq!(quantile_edges(&[1.0; 10], 4), Vec::<f64>::new());
    }
}
